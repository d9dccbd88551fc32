//! Number formatting shared by the text and CSV outputs, fixed so that outputs are
//! byte-identical across platforms and runs.

use crate::stats::{Estimate, Rate};
use sim_core::duration_text::{self, Style};

/// Seconds with millisecond resolution; empty for `None`.
pub fn secs(v: Option<f64>) -> String {
    v.map(|s| format!("{s:.3}")).unwrap_or_default()
}

/// A value with six decimals; empty for `None`.
pub fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.6}")).unwrap_or_default()
}

/// Milliseconds with microsecond resolution; empty for `None`.
pub fn ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.3}")).unwrap_or_default()
}

/// An integer with thousands separators: 1,080,000.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A human duration: `45.0 s`, `12.5 min`, `2.1 h` (the workspace's one formatter,
/// `sim_core::duration_text`, in its `Human` style).
pub fn human_secs(s: f64) -> String {
    duration_text::format(s, Style::Human)
}

/// A rate as a percentage with one decimal: `75.0%`.
pub fn pct(r: &Rate) -> String {
    format!("{:.1}%", 100.0 * r.rate)
}

/// A rate's Wilson interval: `30.1–95.4%`.
pub fn pct_ci(r: &Rate) -> String {
    format!("{:.1}–{:.1}%", 100.0 * r.lo, 100.0 * r.hi)
}

/// A rate with its counts and interval: `75.0% (3 of 4; 95% CI 30.1–95.4%)`.
pub fn rate_full(r: &Rate) -> String {
    format!("{} ({} of {}; 95% CI {})", pct(r), r.k, r.n, pct_ci(r))
}

/// A duration estimate's interval in the unit of its value: `4.1–4.5 min`.
pub fn secs_ci(e: &Estimate) -> String {
    let (div, unit) = duration_text::human_unit(e.value);
    format!("{:.1}–{:.1} {unit}", e.lo / div, e.hi / div)
}

/// A budget percentage with three decimals: `0.023%`.
pub fn budget(v: f64) -> String {
    format!("{v:.3}%")
}

/// A budget estimate's interval: `0.019–0.023%`.
pub fn budget_ci(e: &Estimate) -> String {
    format!("{:.3}–{:.3}%", e.lo, e.hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(1_080_000), "1,080,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(secs(Some(60.0)), "60.000");
        assert_eq!(secs(None), "");
        assert_eq!(human_secs(90.0), "90.0 s");
        assert_eq!(human_secs(600.0), "10.0 min");
    }
}
