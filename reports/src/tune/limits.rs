//! The limits a candidate must meet, checked two ways on its runs: by the estimate
//! (does the figure meet the limit?) and by an exact test (how surprising would these
//! runs be if the limit held?). The estimate picks the leader and the final choice;
//! the test alone eliminates, since an elimination is final.
//!
//! A limit on a quantile is a limit on a rate: "p95 budget ≤ 2%" holds exactly when
//! at most 5% of runs burn more than 2%. So every limit but a mean's is tested the
//! same way, by the exact binomial tail of the count of runs on the wrong side
//! (`stats::binomial_at_least`), which is right at the small limits and few runs a
//! race starts with, where a normal or Wilson score test is far too eager (one false
//! rollback in 10 runs against a 1% limit: the score test says p = 0.002, the exact
//! tail 0.096). A mean is tested with the normal approximation of its standard error.

use serde::{Deserialize, Serialize};

use super::objective::{budget_pct, deploy_s};
use super::spec::{Class, RaceSpec};
use crate::artifacts::runs_csv::RunRow;
use crate::check::{Assertion, Measure, Op};
use crate::metrics::Outcome;
use crate::stats::{binomial_at_least, binomial_at_most};
use crate::vocab::{Stat, Unit};

/// One limit on one scenario (or pooled), judged on a candidate's runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LimitCheck {
    /// `max_budget_p95`, `max_deploy_p50`, `max_false_rollback`, or the assertion as
    /// written.
    pub limit: String,
    /// The scenario it was judged on; `None` for a figure pooled over scenarios.
    pub scenario: Option<String>,
    /// The figure's estimate; `None` when no run defines it.
    pub estimate: Option<f64>,
    /// Whether the estimate meets the limit (an undefined figure does not).
    pub holds: bool,
    /// The p-value of "the limit holds": small is evidence that it breaks.
    pub p: f64,
    /// What the runs showed, in words: `7 of 20 runs above 2.000%`.
    pub evidence: String,
}

impl LimitCheck {
    /// `max_budget_p95 on memory-leak`.
    pub fn what(&self) -> String {
        match &self.scenario {
            Some(s) => format!("{} on {s}", self.limit),
            None => self.limit.clone(),
        }
    }
}

/// The type-7 quantile of `values` (sorted ascending; `+∞` for runs whose figure never
/// came), keeping `+∞` when the quantile reaches one.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = h - lo as f64;
    if frac == 0.0 || sorted[lo] == sorted[hi] {
        sorted[lo]
    } else {
        sorted[lo] + frac * (sorted[hi] - sorted[lo])
    }
}

/// A limit on the `q` quantile of `values` (`+∞`: never observed by the horizon):
/// `upper` is `quantile ≤ bound`. Tested as the count of runs on the wrong side of the
/// bound against the share the quantile leaves there.
fn quantile_check(
    limit: String,
    scenario: Option<String>,
    mut values: Vec<f64>,
    q: f64,
    bound: f64,
    op: Op,
    unit: Unit,
) -> LimitCheck {
    let n = values.len() as u64;
    if n == 0 {
        return undefined(limit, scenario);
    }
    values.sort_by(f64::total_cmp);
    let est = quantile(&values, q);
    let upper = matches!(op, Op::Le | Op::Lt);
    let (k, share, side) = if upper {
        let k = values.iter().filter(|&&v| v > bound).count() as u64;
        (k, 1.0 - q, "above")
    } else {
        let k = values.iter().filter(|&&v| v < bound).count() as u64;
        (k, q, "below")
    };
    LimitCheck {
        limit,
        scenario,
        estimate: Some(est),
        holds: holds(op, est, bound),
        p: binomial_at_least(k, n, share),
        evidence: format!(
            "{k} of {n} runs {side} {}, the quantile {} (a share of {:.0}% {side} is what the limit allows)",
            unit.show(bound),
            if est.is_finite() {
                unit.show(est)
            } else {
                "never reached by the horizon".to_string()
            },
            100.0 * share
        ),
    }
}

fn holds(op: Op, x: f64, bound: f64) -> bool {
    match op {
        Op::Le => x <= bound,
        Op::Lt => x < bound,
        Op::Ge => x >= bound,
        Op::Gt => x > bound,
    }
}

fn undefined(limit: String, scenario: Option<String>) -> LimitCheck {
    LimitCheck {
        limit,
        scenario,
        estimate: None,
        holds: false,
        p: 1.0,
        evidence: "no run defines it".into(),
    }
}

/// A limit on a rate: `k` of `n` runs, against `bound` (a share).
fn rate_check(
    limit: String,
    scenario: Option<String>,
    k: u64,
    n: u64,
    bound: f64,
    op: Op,
) -> LimitCheck {
    if n == 0 {
        return undefined(limit, scenario);
    }
    let rate = k as f64 / n as f64;
    let p = match op {
        Op::Le | Op::Lt => binomial_at_least(k, n, bound),
        Op::Ge | Op::Gt => binomial_at_most(k, n, bound),
    };
    LimitCheck {
        limit,
        scenario,
        estimate: Some(rate),
        holds: holds(op, rate, bound),
        p,
        evidence: format!(
            "{k} of {n} runs, {} against {}",
            Unit::Share.show(rate),
            Unit::Share.show(bound)
        ),
    }
}

/// A limit on a mean, with the normal approximation of its standard error.
fn mean_check(
    limit: String,
    scenario: Option<String>,
    values: &[f64],
    bound: f64,
    op: Op,
    unit: Unit,
) -> LimitCheck {
    let n = values.len();
    if n == 0 {
        return undefined(limit, scenario);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    // Evidence against the limit: how far the mean is on the wrong side.
    let beyond = match op {
        Op::Le | Op::Lt => mean - bound,
        Op::Ge | Op::Gt => bound - mean,
    };
    let p = if n < 2 {
        1.0
    } else if sd > 0.0 {
        policies::stats::normal_sf(beyond / (sd / (n as f64).sqrt()))
    } else if beyond > 0.0 {
        0.0
    } else {
        1.0
    };
    LimitCheck {
        limit,
        scenario,
        estimate: Some(mean),
        holds: holds(op, mean, bound),
        p,
        evidence: format!(
            "mean {} (sd {}) of {n} runs against {}",
            unit.show(mean),
            unit.show(sd),
            unit.show(bound)
        ),
    }
}

/// Every limit of `spec` judged on a candidate's first `n` runs of each scenario
/// (`runs[s]`, in replicate order), in a fixed order: the deploy limit per good
/// release, the budget limit per fault scenario, the false-rollback limit pooled,
/// then each assertion per scenario in its scope.
pub fn checks(spec: &RaceSpec, runs: &[Vec<RunRow>], n: usize) -> Vec<LimitCheck> {
    let mut out = Vec::new();
    let first = |s: usize| &runs[s][..n];
    let lim = &spec.limits;
    for (i, s) in spec.scenarios.iter().enumerate() {
        if let (Some(max), Class::Good) = (lim.max_deploy_p50_s, s.class) {
            let v = first(i).iter().map(|r| deploy_s(r, s)).collect();
            out.push(quantile_check(
                "max_deploy_p50".into(),
                Some(s.name.clone()),
                v,
                0.5,
                max,
                Op::Le,
                Unit::Seconds,
            ));
        }
    }
    for (i, s) in spec.scenarios.iter().enumerate() {
        if let (Some(max), Class::Fault) = (lim.max_budget_p95_pct, s.class) {
            let v = first(i).iter().map(budget_pct).collect();
            out.push(quantile_check(
                "max_budget_p95".into(),
                Some(s.name.clone()),
                v,
                0.95,
                max,
                Op::Le,
                Unit::BudgetPct,
            ));
        }
    }
    if let Some(max) = lim.max_false_rollback_pct {
        let (mut k, mut m) = (0, 0);
        for i in 0..spec.scenarios.len() {
            for r in first(i).iter().filter(|r| !r.fault_active) {
                m += 1;
                k += u64::from(r.outcome == Outcome::FalseRollback);
            }
        }
        if m > 0 {
            out.push(rate_check(
                "max_false_rollback".into(),
                None,
                k,
                m,
                max / 100.0,
                Op::Le,
            ));
        }
    }
    for a in &spec.assertions {
        for (i, s) in spec.scenarios.iter().enumerate() {
            if a.scenario.as_ref().is_none_or(|x| *x == s.name) {
                out.push(assertion_check(a, &s.name, first(i)));
            }
        }
    }
    out
}

/// A `check`-style assertion on one scenario's runs.
fn assertion_check(a: &Assertion, scenario: &str, rows: &[RunRow]) -> LimitCheck {
    let (limit, scenario) = (format!("`{}`", a.text), Some(scenario.to_string()));
    match a.measure {
        Measure::Rate(rate) => {
            let ind: Vec<f64> = rows.iter().filter_map(|r| rate.indicator(r)).collect();
            let k = ind.iter().filter(|&&x| x > 0.5).count() as u64;
            rate_check(limit, scenario, k, ind.len() as u64, a.threshold, a.op)
        }
        Measure::Stat(metric, stat) => {
            let sample = metric.sample();
            let mut values = Vec::with_capacity(rows.len());
            for r in rows {
                match r.value(metric) {
                    Some(v) => values.push(v),
                    None if sample.is_some_and(|s| s.censored(r)) => values.push(f64::INFINITY),
                    None => {}
                }
            }
            let q = match stat {
                Stat::Mean => {
                    values.retain(|v| v.is_finite());
                    return mean_check(limit, scenario, &values, a.threshold, a.op, metric.unit());
                }
                Stat::P50 => 0.5,
                Stat::P95 => 0.95,
                Stat::P99 => 0.99,
            };
            quantile_check(limit, scenario, values, q, a.threshold, a.op, metric.unit())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tune::objective::tests::{run, run_with, spec};
    use crate::tune::spec::Objective;

    #[test]
    fn a_quantile_limit_is_tested_as_the_share_of_runs_beyond_it() {
        let mut s = spec(Objective::DeployP50, &[("f", 1.0, Class::Fault)]);
        s.limits.max_budget_p95_pct = Some(2.0);
        // 20 runs, 3 above 2%: the p95 estimate is above, but 3 of 20 against an
        // allowed 5% is not yet convincing; 6 of 20 is.
        let rows = |above: u64| -> Vec<RunRow> {
            (0..20)
                .map(|i| run(i, Some(100.0), if i < above { 2.5 } else { 1.0 }))
                .collect()
        };
        let c = checks(&s, &[rows(3)], 20);
        assert_eq!(c.len(), 1);
        assert!(!c[0].holds);
        assert!((c[0].p - binomial_at_least(3, 20, 0.05)).abs() < 1e-15);
        assert!(c[0].p > 0.05, "{}", c[0].p);
        assert!(
            c[0].evidence.starts_with("3 of 20 runs above 2.000%"),
            "{}",
            c[0].evidence
        );
        let c = checks(&s, &[rows(6)], 20);
        assert!(c[0].p < 1e-3, "{}", c[0].p);
        // At the bound itself a run is not above it: 2.0% against 2% holds.
        let at: Vec<RunRow> = (0..20).map(|i| run(i, Some(100.0), 2.0)).collect();
        let c = checks(&s, &[at], 20);
        assert!(c[0].holds && c[0].p == 1.0, "{:?}", c[0]);
        // One past it, on every run: certain to break.
        let past: Vec<RunRow> = (0..20).map(|i| run(i, Some(100.0), 2.001)).collect();
        let c = checks(&s, &[past], 20);
        assert!(!c[0].holds && c[0].p < 1e-20, "{:?}", c[0]);
    }

    #[test]
    fn a_deploy_limit_counts_unfinished_runs_as_beyond_it() {
        let mut s = spec(Objective::DeployP50, &[("g", 1.0, Class::Good)]);
        s.limits.max_deploy_p50_s = Some(600.0);
        let rows: Vec<RunRow> = (0..10)
            .map(|i| run(i, if i < 6 { None } else { Some(300.0) }, 0.0))
            .collect();
        let c = checks(&s, &[rows], 10);
        assert!(!c[0].holds);
        assert_eq!(c[0].estimate, Some(1000.0), "the censored deploy time");
        assert!((c[0].p - binomial_at_least(6, 10, 0.5)).abs() < 1e-15);
    }

    #[test]
    fn false_rollbacks_are_pooled_over_runs_without_a_release_fault() {
        let mut s = spec(
            Objective::DeployP50,
            &[("g", 0.9, Class::Good), ("f", 0.1, Class::Fault)],
        );
        s.limits.max_false_rollback_pct = Some(1.0);
        let good: Vec<RunRow> = (0..10)
            .map(|i| {
                let o = if i == 0 {
                    Outcome::FalseRollback
                } else {
                    Outcome::Succeeded
                };
                run_with(i, Some(100.0), 0.0, o, false)
            })
            .collect();
        let bad: Vec<RunRow> = (0..10)
            .map(|i| run_with(i, Some(50.0), 0.1, Outcome::Caught, true))
            .collect();
        let c = checks(&s, &[good, bad], 10);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].scenario.as_deref(), c[0].estimate), (None, Some(0.1)));
        assert!(!c[0].holds);
        // The exact tail, not the score test: one in ten against 1% is p = 0.096.
        assert!((c[0].p - 0.095_617_924_991).abs() < 1e-9, "{}", c[0].p);
    }

    #[test]
    fn assertions_are_judged_on_every_scenario_in_their_scope() {
        let mut s = spec(
            Objective::DeployP50,
            &[("g", 0.9, Class::Good), ("f", 0.1, Class::Fault)],
        );
        s.assertions = vec![
            Assertion::parse("f: detection_rate >= 0.9").unwrap(),
            Assertion::parse("all: ttd.p50 <= 1m").unwrap(),
            Assertion::parse("all: budget_consumed.mean <= 0.5%").unwrap(),
        ];
        let good: Vec<RunRow> = (0..10).map(|i| run(i, Some(100.0), 0.0)).collect();
        // 6 of 10 caught (ttd 30 s), 4 escaped undetected (censored ttd).
        let bad: Vec<RunRow> = (0..10)
            .map(|i| {
                let o = if i < 6 {
                    Outcome::Caught
                } else {
                    Outcome::Escaped
                };
                run_with(i, Some(50.0), 1.0, o, true)
            })
            .collect();
        let c = checks(&s, &[good, bad], 10);
        let names: Vec<String> = c.iter().map(LimitCheck::what).collect();
        assert_eq!(
            names,
            [
                "`f: detection_rate >= 0.9` on f",
                "`all: ttd.p50 <= 1m` on g",
                "`all: ttd.p50 <= 1m` on f",
                "`all: budget_consumed.mean <= 0.5%` on g",
                "`all: budget_consumed.mean <= 0.5%` on f",
            ]
        );
        // 6 of 10 detected against at least 90%: P(Bin(10, 0.9) <= 6) = 0.0128.
        assert!(
            !c[0].holds && (c[0].p - 0.012_795_198_1).abs() < 1e-8,
            "{:?}",
            c[0]
        );
        // A good release defines no time to detect: undefined, never proven broken.
        assert!(!c[1].holds && c[1].p == 1.0 && c[1].estimate.is_none());
        // 4 of 10 never detected count as later than a minute; the p50 is 30 s.
        assert!(c[2].holds && c[2].estimate == Some(30.0), "{:?}", c[2]);
        assert!(c[3].holds && c[3].p == 1.0);
        // Every fault run burned exactly 1%: a mean past 0.5% with no spread.
        assert!(!c[4].holds && c[4].p == 0.0, "{:?}", c[4]);
    }
}
