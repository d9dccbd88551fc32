//! The SLO and the pager that guards it.
//!
//! The pager follows the SRE Workbook's multi-window, multi-burn-rate alert: it pages
//! when both the long and the short window of a rule burn faster than the rule's
//! factor. It reads scraped, lagged metrics like any detector. A page is followed by a
//! modelled human response: after `ack` the on-call engineer rolls the release back.

use crate::metrics::MetricsView;
use crate::time::SimDuration;

/// The service level objective.
#[derive(Clone, Debug, PartialEq)]
pub struct SloConfig {
    /// E.g. 0.999.
    pub objective: f64,
    /// A successful request slower than this is a bad event.
    pub latency_threshold: SimDuration,
    /// The compliance window the error budget is defined over (30 days by default).
    pub window: SimDuration,
    pub pager: PagerConfig,
}

impl SloConfig {
    /// ε = 1 − objective: the share of events allowed to be bad.
    pub fn error_budget(&self) -> f64 {
        1.0 - self.objective
    }
}

/// One multi-window rule: page when burn(long) > factor and burn(short) > factor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BurnRule {
    pub long: SimDuration,
    pub short: SimDuration,
    pub factor: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PagerConfig {
    pub enabled: bool,
    pub rules: Vec<BurnRule>,
    /// From the page to the human's rollback.
    pub ack: SimDuration,
}

impl PagerConfig {
    /// The Workbook's paging rules for a 30-day window: 2% of the budget in 1 h
    /// (factor 14.4, short window 5 m) or 5% in 6 h (factor 6, short window 30 m).
    pub fn workbook(ack: SimDuration) -> PagerConfig {
        PagerConfig {
            enabled: true,
            rules: vec![
                BurnRule {
                    long: SimDuration::from_secs(3600),
                    short: SimDuration::from_secs(300),
                    factor: 14.4,
                },
                BurnRule {
                    long: SimDuration::from_secs(6 * 3600),
                    short: SimDuration::from_secs(1800),
                    factor: 6.0,
                },
            ],
            ack,
        }
    }

    /// The first rule that fires on this view, if any.
    pub fn firing(&self, view: &MetricsView<'_>, error_budget: f64) -> Option<BurnRule> {
        if !self.enabled {
            return None;
        }
        self.rules.iter().copied().find(|r| {
            let long = view.burn_rate(r.long, error_budget);
            let short = view.burn_rate(r.short, error_budget);
            matches!((long, short), (Some(l), Some(s)) if l > r.factor && s > r.factor)
        })
    }
}

/// A window as alerting rules write it: `1h`, `5m`, `90s` (the one formatter's Go
/// style), or `1.500s` for a window of fractional seconds, which the Go style would
/// round. The rules' windows are whole, positive constants, so the Go style's floor of
/// `1s` never applies.
pub fn window_label(d: SimDuration) -> String {
    if !d.0.is_multiple_of(1_000_000_000) {
        format!("{:.3}s", d.as_secs_f64())
    } else {
        crate::duration_text::format(
            d.as_secs_f64(),
            crate::duration_text::Style::Go { hours: true },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{CohortSample, MetricsStore};
    use crate::time::SimTime;

    fn run(bad_from_scrape: u64, scrapes: u64) -> MetricsStore {
        let mut m = MetricsStore::default();
        for i in 1..=scrapes {
            let errors = if i >= bad_from_scrape { 20 } else { 0 };
            let c = CohortSample {
                requests: 1000,
                errors,
                ..CohortSample::default()
            };
            m.push(SimTime::from_secs(15 * i), [c, CohortSample::default()]);
        }
        m
    }

    #[test]
    fn pages_only_when_both_windows_burn() {
        let pager = PagerConfig::workbook(SimDuration::from_secs(300));
        // 2% errors = burn 20 at 99.9%. Starting at scrape 200 (50 min) with 240 scrapes
        // (1 h): the 1 h window holds 41 bad scrapes of 240 -> burn 3.4: no page yet.
        let m = run(200, 240);
        let v = m.view(SimTime::from_secs(15 * 240), SimDuration::ZERO);
        assert_eq!(pager.firing(&v, 0.001), None);
        // Bad from the start: both windows at 20 -> the 1 h rule fires.
        let m = run(1, 240);
        let v = m.view(SimTime::from_secs(15 * 240), SimDuration::ZERO);
        assert_eq!(pager.firing(&v, 0.001).unwrap().factor, 14.4);
    }

    /// A rule pages on a burn strictly above its factor: exactly at it is quiet, one
    /// ulp below it pages. A 50% objective makes the burn exact: 25% bad is burn 0.5.
    #[test]
    fn a_burn_exactly_at_the_factor_does_not_page() {
        let mut m = MetricsStore::default();
        for i in 1..=8u64 {
            let c = CohortSample {
                requests: 1000,
                errors: 250,
                ..CohortSample::default()
            };
            m.push(SimTime::from_secs(15 * i), [c, CohortSample::default()]);
        }
        let v = m.view(SimTime::from_secs(120), SimDuration::ZERO);
        let pager = |factor: f64| PagerConfig {
            enabled: true,
            rules: vec![BurnRule {
                long: SimDuration::from_secs(60),
                short: SimDuration::from_secs(30),
                factor,
            }],
            ack: SimDuration::ZERO,
        };
        assert_eq!(v.burn_rate(SimDuration::from_secs(60), 0.5), Some(0.5));
        assert_eq!(pager(0.5).firing(&v, 0.5), None);
        let below = f64::from_bits(0.5f64.to_bits() - 1);
        assert_eq!(pager(below).firing(&v, 0.5).map(|r| r.factor), Some(below));
    }

    /// ε = 1 − objective: 99.9% leaves a thousandth of the events to be bad, 99% a
    /// hundredth, 100% none.
    #[test]
    fn the_error_budget_is_one_minus_the_objective() {
        let slo = |objective: f64| SloConfig {
            objective,
            latency_threshold: SimDuration::from_secs(1),
            window: SimDuration::from_secs(30 * 86_400),
            pager: PagerConfig::workbook(SimDuration::ZERO),
        };
        assert!((slo(0.999).error_budget() - 0.001).abs() < 1e-15);
        assert!((slo(0.99).error_budget() - 0.01).abs() < 1e-15);
        assert_eq!(slo(1.0).error_budget(), 0.0);
    }

    #[test]
    fn window_labels() {
        assert_eq!(window_label(SimDuration::from_secs(3600)), "1h");
        assert_eq!(window_label(SimDuration::from_secs(300)), "5m");
        assert_eq!(window_label(SimDuration::from_secs(45)), "45s");
    }

    /// The Workbook's rules are budget shares over a 30-day window: burning at the
    /// first rule's factor for its long window spends 2% of the budget, at the second's
    /// 5%.
    #[test]
    fn workbook_rules_spend_two_and_five_percent_of_a_30_day_budget() {
        let month = 30.0 * 86_400.0;
        let rules = PagerConfig::workbook(SimDuration::from_secs(300)).rules;
        let spent: Vec<f64> = rules
            .iter()
            .map(|r| r.factor * r.long.as_secs_f64() / month)
            .collect();
        assert_eq!(spent.len(), 2);
        assert!((spent[0] - 0.02).abs() < 1e-12, "{spent:?}");
        assert!((spent[1] - 0.05).abs() < 1e-12, "{spent:?}");
        assert_eq!(
            rules
                .iter()
                .map(|r| r.short.as_secs_f64())
                .collect::<Vec<_>>(),
            [300.0, 1800.0]
        );
    }
}
