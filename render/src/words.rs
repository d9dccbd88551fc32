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
