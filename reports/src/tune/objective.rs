//! The objective of a race as a function of runs: each run's figure (deploy time, or
//! cost), each scenario's statistic of it (the p50, or the mean), their weighted
//! mixture, and the paired, stratified bootstrap that compares two candidates on the
//! same seeds.
//!
//! Candidates run the same replicates of every scenario (the run seed ignores the
//! policy), so replicate k of scenario s is one world both candidates faced: a
//! resample draws replicates with replacement within each scenario (stratified, so a
//! scenario keeps its weight) and evaluates both candidates on the same draw
//! (paired). The generator is seeded from the master seed and the names compared,
//! never from the clock or the order work finished in.

use rand_chacha::ChaCha8Rng;

use super::spec::{Class, Objective, RaceSpec, ScenarioSpec};
use crate::artifacts::runs_csv::RunRow;
use crate::metrics::Outcome;
use crate::stats::{Estimate, bootstrap_rng, interval, quantile_sorted, resample_counts};
use crate::vocab::Metric;

/// A run's deploy time: its change's duration, or the scenario's `censored_deploy_s`
/// when the change did not end by the horizon (or never started) or, on a good
/// release, ended in a rollback: a release that did not ship ranks after every one
/// that did (a false rollback is quick, and must not look fast). A p50 stays exact
/// while fewer than half the runs count so.
pub fn deploy_s(row: &RunRow, s: &ScenarioSpec) -> f64 {
    let shipped = s.class == Class::Fault || row.outcome != Outcome::FalseRollback;
    match row.value(Metric::DeployDuration) {
        Some(d) if row.change_ended && shipped => d,
        _ => s.censored_deploy_s,
    }
}

/// A run's budget consumed, in % of the SLO window's error budget (every run has it).
pub fn budget_pct(row: &RunRow) -> f64 {
    row.value(Metric::BudgetConsumed).unwrap_or(0.0)
}

/// The figure the objective reads in one run.
pub fn run_figure(objective: Objective, row: &RunRow, s: &ScenarioSpec) -> f64 {
    match objective {
        Objective::DeployP50 => deploy_s(row, s),
        Objective::Cost { budget_price_s } => deploy_s(row, s) + budget_price_s * budget_pct(row),
    }
}

/// One candidate's figures on one scenario's first `n` replicates, sorted once so
/// that a resample's p50 is one walk along the counts.
struct Column {
    /// By replicate.
    values: Vec<f64>,
    /// Replicate indices in ascending order of value (ties by replicate).
    order: Vec<usize>,
    sorted: Vec<f64>,
}

impl Column {
    fn new(objective: Objective, rows: &[RunRow], s: &ScenarioSpec) -> Column {
        let values: Vec<f64> = rows.iter().map(|r| run_figure(objective, r, s)).collect();
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
        let sorted = order.iter().map(|&i| values[i]).collect();
        Column {
            values,
            order,
            sorted,
        }
    }

    /// The scenario's statistic on the whole sample.
    fn statistic(&self, objective: Objective) -> f64 {
        match objective {
            Objective::DeployP50 => quantile_sorted(&self.sorted, 0.5),
            Objective::Cost { .. } => self.values.iter().sum::<f64>() / self.values.len() as f64,
        }
    }

    /// The statistic on the multiset where replicate i appears `counts[i]` times.
    fn resampled(&self, objective: Objective, counts: &[u32], scratch: &mut Vec<u32>) -> f64 {
        match objective {
            Objective::DeployP50 => {
                scratch.clear();
                scratch.extend(self.order.iter().map(|&i| counts[i]));
                crate::stats::weighted_quantile(&self.sorted, scratch, 0.5)
            }
            Objective::Cost { .. } => {
                let sum: f64 = self
                    .values
                    .iter()
                    .zip(counts)
                    .map(|(v, &c)| v * f64::from(c))
                    .sum();
                sum / self.values.len() as f64
            }
        }
    }
}

/// A candidate's runs as the objective reads them: per scenario of the objective, its
/// weight and the first `n` replicates.
pub struct Sample {
    columns: Vec<(f64, Column)>,
    objective: Objective,
}

impl Sample {
    /// `runs[s]` holds the candidate's runs on scenario `s` in replicate order (at
    /// least `n` of them on every scenario the objective reads).
    pub fn new(spec: &RaceSpec, runs: &[Vec<RunRow>], n: usize) -> Sample {
        let columns = spec
            .objective_weights()
            .into_iter()
            .map(|(s, w)| {
                (
                    w,
                    Column::new(spec.objective, &runs[s][..n], &spec.scenarios[s]),
                )
            })
            .collect();
        Sample {
            columns,
            objective: spec.objective,
        }
    }

    /// The objective on the whole sample: Σ w · statistic.
    pub fn value(&self) -> f64 {
        self.columns
            .iter()
            .map(|(w, c)| w * c.statistic(self.objective))
            .sum()
    }

    fn n(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.values.len())
    }
}

/// A comparison of two candidates on the same seeds: the difference of their
/// objectives (first minus second), its bootstrap standard error and 95% percentile
/// interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Difference {
    pub value: f64,
    pub se: f64,
    pub interval: Estimate,
}

impl Difference {
    /// The one-sided p-value of "the first is not worse than the second" (objective
    /// differences are lower-is-better), from the normal approximation of the
    /// bootstrap distribution, so that the small levels a correction over many
    /// candidates asks for are reachable with a thousand resamples. A difference with
    /// no spread at all (every resample the same) is certain either way.
    pub fn p_worse(&self) -> f64 {
        if self.se > 0.0 {
            policies::stats::normal_sf(self.value / self.se)
        } else if self.value > 0.0 {
            0.0
        } else {
            1.0
        }
    }
}

/// The bootstrap generator of a comparison or an estimate, from the master seed and
/// what is estimated (`["tune", "round 2", "a[x=1]", "a[x=2]"]`).
pub fn rng(spec: &RaceSpec, identity: &[&str]) -> ChaCha8Rng {
    bootstrap_rng(spec.master_seed, identity)
}

/// `a − b` on their common replicates (both samples of the same `n`), resampling the
/// replicates of each scenario with replacement, the same draw for both.
pub fn paired(a: &Sample, b: &Sample, resamples: usize, rng: &mut ChaCha8Rng) -> Difference {
    assert_eq!(a.n(), b.n(), "paired samples have the same replicates");
    let value = a.value() - b.value();
    let n = a.n();
    let mut counts = vec![0u32; n];
    let mut scratch = Vec::with_capacity(n);
    let mut reps = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let mut d = 0.0;
        for ((w, ca), (_, cb)) in a.columns.iter().zip(&b.columns) {
            resample_counts(rng, &mut counts);
            d += w
                * (ca.resampled(a.objective, &counts, &mut scratch)
                    - cb.resampled(b.objective, &counts, &mut scratch));
        }
        reps.push(d);
    }
    Difference {
        value,
        se: sd(&reps),
        interval: if resamples == 0 {
            Estimate {
                value,
                lo: value,
                hi: value,
            }
        } else {
            interval(&mut reps, value)
        },
    }
}

/// One candidate's objective with its 95% percentile-bootstrap interval (stratified
/// by scenario).
pub fn estimate(a: &Sample, resamples: usize, rng: &mut ChaCha8Rng) -> Estimate {
    let value = a.value();
    let mut counts = vec![0u32; a.n()];
    let mut scratch = Vec::new();
    let mut reps = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let mut j = 0.0;
        for (w, c) in &a.columns {
            resample_counts(rng, &mut counts);
            j += w * c.resampled(a.objective, &counts, &mut scratch);
        }
        reps.push(j);
    }
    if resamples == 0 {
        return Estimate {
            value,
            lo: value,
            hi: value,
        };
    }
    interval(&mut reps, value)
}

/// The sample standard deviation (0 for fewer than two values).
fn sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let ss: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
    (ss / (xs.len() - 1) as f64).sqrt()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tune::spec::{Limits, Schedule};

    /// A run of a good release whose change took `deploy` seconds (`None`: it did not
    /// end) and burned `budget` % of the error budget.
    pub fn run(replicate: u64, deploy: Option<f64>, budget: f64) -> RunRow {
        run_with(replicate, deploy, budget, Outcome::Succeeded, false)
    }

    pub fn run_with(
        replicate: u64,
        deploy: Option<f64>,
        budget: f64,
        outcome: Outcome,
        fault: bool,
    ) -> RunRow {
        RunRow {
            run_id: replicate,
            replicate,
            outcome,
            change_started: true,
            change_ended: deploy.is_some(),
            fault_active: fault,
            impact_started: fault,
            detected: fault && outcome == Outcome::Caught,
            mitigated: fault,
            recovered: fault,
            limit_hit: false,
            values: RunRow::values_by(|m| match m {
                Metric::DeployDuration => deploy,
                Metric::BudgetConsumed => Some(budget),
                Metric::Ttd => (fault && outcome == Outcome::Caught).then_some(30.0),
                _ => None,
            }),
            params: Vec::new(),
        }
    }

    pub fn spec(objective: Objective, scenarios: &[(&str, f64, Class)]) -> RaceSpec {
        RaceSpec {
            scenarios: scenarios
                .iter()
                .map(|&(name, weight, class)| ScenarioSpec {
                    name: name.into(),
                    weight,
                    class,
                    censored_deploy_s: 1000.0,
                })
                .collect(),
            objective,
            limits: Limits {
                max_budget_p95_pct: None,
                max_deploy_p50_s: None,
                max_false_rollback_pct: None,
                assertions: Vec::new(),
            },
            assertions: Vec::new(),
            schedule: Schedule {
                first_seeds: 10,
                max_seeds: 40,
            },
            confidence: 0.95,
            bootstrap: 500,
            master_seed: 1,
            budget_runs: None,
            exhaustive: false,
        }
    }

    #[test]
    fn deploy_time_counts_a_run_that_did_not_finish_as_the_longest() {
        let s = spec(Objective::DeployP50, &[("g", 1.0, Class::Good)]);
        assert_eq!(deploy_s(&run(0, Some(300.0), 0.0), &s.scenarios[0]), 300.0);
        assert_eq!(deploy_s(&run(0, None, 0.0), &s.scenarios[0]), 1000.0);
        // A good release rolled back did not ship; a bad one rolled back is what it
        // cost to stop it.
        let back = run_with(0, Some(40.0), 0.0, Outcome::FalseRollback, false);
        assert_eq!(deploy_s(&back, &s.scenarios[0]), 1000.0);
        let mut fault = s.scenarios[0].clone();
        fault.class = Class::Fault;
        let caught = run_with(0, Some(40.0), 0.0, Outcome::Caught, true);
        assert_eq!(deploy_s(&caught, &fault), 40.0);
        // Two of five unfinished: the p50 is still the middle finished run.
        let rows: Vec<RunRow> = [Some(100.0), None, Some(300.0), None, Some(200.0)]
            .iter()
            .enumerate()
            .map(|(i, d)| run(i as u64, *d, 0.0))
            .collect();
        assert_eq!(
            Sample::new(&s, std::slice::from_ref(&rows), 5).value(),
            300.0
        );
        // Three of five: the p50 is censored.
        let mut more = rows;
        more[0] = run(0, None, 0.0);
        assert_eq!(Sample::new(&s, &[more], 5).value(), 1000.0);
    }

    #[test]
    fn the_objective_mixes_scenarios_by_their_normalised_weights() {
        let s = spec(
            Objective::Cost {
                budget_price_s: 100.0,
            },
            &[("g", 0.8, Class::Good), ("f", 0.2, Class::Fault)],
        );
        let good: Vec<RunRow> = (0..4).map(|i| run(i, Some(100.0), 0.0)).collect();
        let bad: Vec<RunRow> = (0..4).map(|i| run(i, Some(50.0), 2.0)).collect();
        // 0.8 × 100 + 0.2 × (50 + 100 × 2) = 130.
        let j = Sample::new(&s, &[good.clone(), bad.clone()], 4).value();
        assert!((j - 130.0).abs() < 1e-9, "{j}");
        // The p50 objective reads only the good release, whatever its weight.
        let mut p50 = s.clone();
        p50.objective = Objective::DeployP50;
        p50.scenarios[0].weight = 0.1;
        assert_eq!(p50.objective_weights(), vec![(0, 1.0)]);
        assert_eq!(Sample::new(&p50, &[good, bad], 4).value(), 100.0);
    }

    #[test]
    fn paired_differences_cancel_what_the_seeds_share() {
        let s = spec(Objective::DeployP50, &[("g", 1.0, Class::Good)]);
        // Replicates vary a lot (the world), the candidates differ by exactly 5 s:
        // paired, the difference has no spread at all.
        let a: Vec<RunRow> = (0..20)
            .map(|i| run(i, Some(100.0 + 37.0 * (i % 7) as f64), 0.0))
            .collect();
        let b: Vec<RunRow> = a
            .iter()
            .map(|r| {
                run(
                    r.replicate,
                    r.value(Metric::DeployDuration).map(|d| d + 5.0),
                    0.0,
                )
            })
            .collect();
        let (sa, sb) = (Sample::new(&s, &[a], 20), Sample::new(&s, &[b], 20));
        let d = paired(&sb, &sa, 500, &mut rng(&s, &["t"]));
        assert_eq!((d.value, d.se), (5.0, 0.0));
        assert_eq!((d.interval.lo, d.interval.hi), (5.0, 5.0));
        assert_eq!(d.p_worse(), 0.0, "worse on every resample");
        let d = paired(&sa, &sb, 500, &mut rng(&s, &["t"]));
        assert_eq!(d.p_worse(), 1.0, "better is never worse");
        let same = paired(&sa, &sa, 500, &mut rng(&s, &["t"]));
        assert_eq!((same.value, same.se, same.p_worse()), (0.0, 0.0, 1.0));
    }

    #[test]
    fn a_noisy_difference_has_a_p_value_between() {
        let s = spec(
            Objective::Cost {
                budget_price_s: 0.0,
            },
            &[("g", 1.0, Class::Good)],
        );
        let a: Vec<RunRow> = (0..30).map(|i| run(i, Some(100.0), 0.0)).collect();
        // Worse by 2 s on average, with a spread of ±10 s.
        let b: Vec<RunRow> = (0..30)
            .map(|i| run(i, Some(102.0 + if i % 2 == 0 { 10.0 } else { -10.0 }), 0.0))
            .collect();
        let (sa, sb) = (Sample::new(&s, &[a], 30), Sample::new(&s, &[b], 30));
        let d = paired(&sb, &sa, 2000, &mut rng(&s, &["noisy"]));
        assert!((d.value - 2.0).abs() < 1e-9);
        // se ≈ 10 / √30 ≈ 1.83, so z ≈ 1.1 and p ≈ 0.14.
        assert!((d.se - 1.83).abs() < 0.2, "{d:?}");
        let p = d.p_worse();
        assert!((0.08..0.22).contains(&p), "{p}");
        assert!(d.interval.lo < 0.0 && d.interval.hi > 0.0);
        // The same generator gives the same answer.
        assert_eq!(d, paired(&sb, &sa, 2000, &mut rng(&s, &["noisy"])));
        let e = estimate(&sb, 500, &mut rng(&s, &["e"]));
        assert!(e.lo < 102.0 && 102.0 < e.hi && e.value == 102.0, "{e:?}");
    }
}
