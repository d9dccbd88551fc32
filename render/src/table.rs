//! The compact plain-text summary `rollcage sweep` prints at the end.

use std::fmt::Write;

use crate::paint::Paint;
use reports::format::human_secs;
use reports::stats::Rate;
use reports::sweep::frontier::{ParetoPoint, Recommendation};
use reports::sweep::group::GroupSummary;
use reports::vocab::Metric;

fn rate(r: &Option<Rate>) -> String {
    r.map(|r| format!("{:.1}%", 100.0 * r.rate))
        .unwrap_or_else(|| "-".into())
}

fn p(g: &GroupSummary, metric: Metric, pick: fn(&reports::stats::Describe) -> f64) -> String {
    match g.metric(metric).and_then(|m| m.stats) {
        Some(d) => metric.unit().show(pick(&d)),
        None => "-".into(),
    }
}

/// An estimate with its 95% interval in the figure's unit: `0.012% (0.008-0.016%)`.
fn with_interval(g: &GroupSummary, metric: Metric) -> String {
    match g.metric(metric).and_then(|m| m.stats) {
        Some(d) => {
            let (u, e) = (metric.unit(), d.mean);
            format!("{} ({} to {})", u.show(e.value), u.show(e.lo), u.show(e.hi))
        }
        None => "-".into(),
    }
}

/// The counterfactual figures of a `--counterfactual` sweep, one line per group: the
/// mean budget the release itself burned with its interval, beside what the twins
/// burned without it. Nothing when the groups do not carry them.
fn counterfactual_table(
    s: &mut String,
    groups: &[GroupSummary],
    sw: usize,
    pw: usize,
    paint: Paint,
) {
    if groups
        .iter()
        .all(|g| g.metric(Metric::BudgetRelease).is_none())
    {
        return;
    }
    let _ = writeln!(
        s,
        "\nCounterfactual: budget burned by the release itself (each run minus its twin without the release)"
    );
    let header = format!(
        "{:<sw$}  {:<pw$}  {:>32}  {:>12}  {:>12}",
        "scenario", "policy", "release mean (95% CI)", "release p95", "twin mean"
    );
    let _ = writeln!(s, "{}", paint.bold(&header));
    for g in groups {
        let _ = writeln!(
            s,
            "{:<sw$}  {:<pw$}  {:>32}  {:>12}  {:>12}",
            g.scenario,
            g.policy,
            with_interval(g, Metric::BudgetRelease),
            p(g, Metric::BudgetRelease, |d| d.p95.value),
            p(g, Metric::TwinBudgetConsumed, |d| d.mean.value),
        );
    }
}

/// One line per group, then the frontier and the recommendation.
pub fn sweep_table(
    groups: &[GroupSummary],
    points: &[ParetoPoint],
    rec: &Recommendation,
) -> String {
    sweep_table_painted(groups, points, rec, Paint::PLAIN)
}

/// [`sweep_table`], in colour when `paint` says: the header in bold, the
/// recommended policy's rows in green, frontier policies in cyan, escapes in red.
pub fn sweep_table_painted(
    groups: &[GroupSummary],
    points: &[ParetoPoint],
    rec: &Recommendation,
    paint: Paint,
) -> String {
    let on_frontier = |p: &str| points.iter().any(|q| q.frontier && q.policy == p);
    let sw = groups
        .iter()
        .map(|g| g.scenario.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let pw = groups
        .iter()
        .map(|g| g.policy.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut s = String::new();
    let header = format!(
        "{:<sw$}  {:<pw$}  {:>5}  {:>7}  {:>8}  {:>7}  {:>10}  {:>10}  {:>10}  {:>10}",
        "scenario",
        "policy",
        "n",
        "detect",
        "false-rb",
        "escape",
        "ttd p50",
        "impact p50",
        "budget p95",
        "deploy p50",
    );
    let _ = writeln!(s, "{}", paint.bold(&header));
    for g in groups {
        let policy = format!("{:<pw$}", g.policy);
        let policy = if rec.policy.as_deref() == Some(g.policy.as_str()) {
            paint.bold_green(&policy)
        } else if on_frontier(&g.policy) {
            paint.cyan(&policy)
        } else {
            policy
        };
        let escape = format!("{:>7}", rate(&g.escape_rate));
        let escape = match g.escape_rate {
            Some(r) if r.k > 0 => paint.red(&escape),
            _ => escape,
        };
        let _ = writeln!(
            s,
            "{:<sw$}  {policy}  {:>5}  {:>7}  {:>8}  {escape}  {:>10}  {:>10}  {:>10}  {:>10}",
            g.scenario,
            g.n,
            rate(&g.detection_rate),
            rate(&g.false_rollback_rate),
            p(g, Metric::Ttd, |d| d.p50.value),
            p(g, Metric::ImpactDuration, |d| d.p50.value),
            p(g, Metric::BudgetConsumed, |d| d.p95.value),
            p(g, Metric::DeployDuration, |d| d.p50.value),
        );
    }
    counterfactual_table(&mut s, groups, sw, pw, paint);
    let cut: u64 = groups.iter().map(|g| g.limit_hit).sum();
    if cut > 0 {
        let _ = writeln!(
            s,
            "{}: {cut} runs were cut short by a hard bound (limit_hit in runs.csv); their figures are incomplete",
            paint.red("WARNING")
        );
    }
    let frontier: Vec<&str> = points
        .iter()
        .filter(|p| p.frontier)
        .map(|p| p.policy.as_str())
        .collect();
    let _ = writeln!(
        s,
        "\nPareto frontier (deploy p50 on good releases vs budget p95 on faults): {}",
        if frontier.is_empty() {
            "none".to_string()
        } else {
            frontier.join(", ")
        }
    );
    let c = &rec.constraints;
    let _ = writeln!(
        s,
        "Constraints: p95 budget <= {}%, p50 deploy <= {}, false rollbacks <= {}%",
        c.max_budget_p95_pct,
        human_secs(c.max_deploy_p50_s),
        c.max_false_rollback_pct
    );
    match &rec.policy {
        Some(p) => {
            let _ = writeln!(s, "Recommendation: {}", paint.bold_green(p));
        }
        None => {
            let _ = writeln!(s, "Recommendation: {}", paint.yellow("none"));
        }
    }
    for e in &rec.evidence {
        let _ = writeln!(s, "  {e}");
    }
    s
}
