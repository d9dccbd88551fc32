//! Wording and cell values shared by the HTML and Markdown reports, so that both say
//! the same thing in the same words.

use reports::stats::Estimate;
use reports::sweep::GroupSummary;
use reports::view::SweepView;
use reports::vocab::{Metric, Stat};

/// A burn-rate factor as the SRE Workbook writes it: `14.4`, `6`.
pub fn factor(f: f64) -> String {
    let s = format!("{f:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// A metric's estimate picked by `stat` (`p50`, `p95`), and its censored count.
pub fn metric(g: &GroupSummary, metric: Metric, stat: Stat) -> (Option<Estimate>, u64) {
    match g.metric(metric) {
        Some(m) => (m.stats.map(|d| stat.of(&d)), m.censored),
        None => (None, 0),
    }
}

/// The marks after a policy's name: frontier, recommended, baseline.
pub fn policy_marks(v: &SweepView, policy: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if v.recommendation.policy.as_deref() == Some(policy) {
        out.push("recommended");
    }
    if v.pareto.iter().any(|p| p.policy == policy && p.frontier) {
        out.push("frontier");
    }
    if v.baseline == policy {
        out.push("baseline");
    }
    out
}

/// A summarised figure's mean for each policy of the sweep, in sweep order (`None`: no
/// run of that group observed it).
pub struct FigureRow {
    pub metric: Metric,
    pub means: Vec<Option<Estimate>>,
}

/// Every figure the vocabulary summarises, for one scenario, policy by policy. The
/// headline table has room for four figures; this one takes them all from the
/// vocabulary (batch times, the healthy ratio, crash and dependency error rates
/// included), so a figure added there shows up here with no line of the pages naming it.
/// The counterfactual figures (`--counterfactual`: the release's own cost and its
/// twin's) are rows only when the sweep has them.
pub fn figure_rows(v: &SweepView, scenario: &str) -> Vec<FigureRow> {
    reports::vocab::Figures::EVERY
        .summarised()
        .map(|m| FigureRow {
            metric: m,
            means: v
                .policies
                .iter()
                .map(|p| {
                    v.groups
                        .iter()
                        .find(|g| g.scenario == scenario && g.policy == p.name)
                        .and_then(|g| metric(g, m, Stat::Mean).0)
                })
                .collect(),
        })
        .filter(|row| !row.metric.is_counterfactual() || row.means.iter().any(Option::is_some))
        .collect()
}

/// An estimate in its figure's unit and its 95% interval, `("12.5 min", "[11.0 min,
/// 14.1 min]")`, or `n/a` and nothing.
pub fn shown(m: Metric, e: Option<Estimate>) -> (String, String) {
    let unit = m.unit();
    match e {
        Some(e) => (
            unit.show(e.value),
            format!("[{}, {}]", unit.show(e.lo), unit.show(e.hi)),
        ),
        None => ("n/a".into(), String::new()),
    }
}

/// The exceedance of a group's budget limit in words: `10.0% of runs burned more than
/// 2% of the error budget (5 of 50; 95% CI 4.3–21.4%)`.
pub fn exceedance(e: &reports::sweep::sensitivity::Exceedance) -> String {
    let limit = {
        let s = format!("{:.4}", e.limit_pct);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    match &e.rate {
        Some(r) => format!(
            "{} of runs burned more than {limit}% of the error budget ({} of {}; 95% CI {})",
            reports::format::pct(r),
            r.k,
            r.n,
            reports::format::pct_ci(r)
        ),
        None => format!("no runs to compare with the {limit}% budget limit"),
    }
}

/// A correlation's ρ and interval as cells, `("0.91", "[0.85, 0.95]")`, and what the
/// interval says: whether the runs tell the effect from none.
pub fn rho_cells(c: &reports::sweep::sensitivity::Correlation) -> (String, String, &'static str) {
    match (c.rho, c.lo, c.hi) {
        (Some(rho), Some(lo), Some(hi)) => (
            format!("{rho:.2}"),
            format!("[{lo:.2}, {hi:.2}]"),
            if lo > 0.0 {
                "larger value, larger figure"
            } else if hi < 0.0 {
                "larger value, smaller figure"
            } else {
                "not told from none (interval includes 0)"
            },
        ),
        (Some(rho), ..) => (format!("{rho:.2}"), String::new(), "no interval"),
        (None, ..) => (
            "n/a".into(),
            String::new(),
            "the parameter or the figure does not vary",
        ),
    }
}
