//! Per (scenario, policy) statistics and paired comparisons against the baseline.
//!
//! Rates (Wilson 95% intervals), where a "fault run" is one in which a fault the release
//! carries became active (environmental faults, such as a dependency outage, do not
//! make a release bad):
//! - detection rate: fault runs where a detector fired, over fault runs;
//! - false-rollback rate: runs with outcome `false_rollback`, over the other runs;
//! - escape rate: runs with outcome `escaped`, over fault runs.
//!
//! Durations are summarised over the runs where they were observed. A run where the
//! start happened but the end did not by the horizon is *censored*: counted, never
//! averaged in, never dropped silently.

use serde::{Deserialize, Serialize};

use crate::artifacts::runs_csv::RunRow;
use crate::metrics::Outcome;
use crate::stats::{Describe, Estimate, Rate, bootstrap_rng, describe, mean_difference, wilson};
use crate::vocab::{self, Figures, Metric, Quantity};

/// A summarised figure's value in a run (`None` if not observed) and whether it was
/// censored (its start happened, its end did not by the horizon).
fn observe(row: &RunRow, metric: Metric) -> (Option<f64>, bool) {
    let censored = metric.sample().is_some_and(|s| s.censored(row));
    (row.value(metric), censored)
}

/// How the bootstrap is drawn: the sweep's master seed and resample count.
#[derive(Clone, Copy, Debug)]
pub struct Bootstrap {
    pub master_seed: u64,
    pub resamples: usize,
}

/// One summarised figure of a group; read back from `summary.json` by its name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    pub metric: Metric,
    /// Runs where the metric was observed: the sample the statistics describe.
    pub n: u64,
    /// Runs where its start happened but its end did not by the horizon.
    pub censored: u64,
    #[serde(flatten)]
    pub stats: Option<Describe>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    pub succeeded: u64,
    pub caught: u64,
    pub escaped: u64,
    pub false_rollback: u64,
    pub stalled: u64,
}

impl OutcomeCounts {
    fn add(&mut self, o: Outcome) {
        *match o {
            Outcome::Succeeded => &mut self.succeeded,
            Outcome::Caught => &mut self.caught,
            Outcome::Escaped => &mut self.escaped,
            Outcome::FalseRollback => &mut self.false_rollback,
            Outcome::Stalled => &mut self.stalled,
        } += 1;
    }
}

/// Everything the sweep reports about one scenario under one policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub scenario: String,
    pub policy: String,
    pub n: u64,
    pub outcomes: OutcomeCounts,
    /// Runs where a fault the release carries became active.
    pub fault_runs: u64,
    /// Runs where none did.
    pub no_fault_runs: u64,
    /// Runs where a change started (the candidate was deployed at all).
    pub change_runs: u64,
    /// Fault runs nothing detected by the horizon (censored detection).
    pub undetected: u64,
    /// Runs a hard bound cut short: their figures are incomplete.
    pub limit_hit: u64,
    pub detection_rate: Option<Rate>,
    pub false_rollback_rate: Option<Rate>,
    pub escape_rate: Option<Rate>,
    pub metrics: Vec<MetricSummary>,
}

impl GroupSummary {
    /// A summarised figure; `None` if the summary does not hold it (a `summary.json`
    /// written before the figure existed).
    pub fn metric(&self, metric: Metric) -> Option<&MetricSummary> {
        self.metrics.iter().find(|m| m.metric == metric)
    }
}

/// Summarises the runs of one (scenario, policy) group.
pub fn summarize(scenario: &str, policy: &str, rows: &[RunRow], boot: Bootstrap) -> GroupSummary {
    let mut outcomes = OutcomeCounts::default();
    let (mut fault_runs, mut detected, mut change_runs, mut limit_hit) = (0, 0, 0, 0);
    for r in rows {
        outcomes.add(r.outcome);
        fault_runs += r.fault_active as u64;
        detected += (r.fault_active && r.detected) as u64;
        change_runs += r.change_started as u64;
        limit_hit += r.limit_hit as u64;
    }
    let n = rows.len() as u64;
    let no_fault_runs = n - fault_runs;
    // The counterfactual figures are summarised when the rows carry them (a sweep
    // made with `--counterfactual`, where every row does).
    let figs = Figures {
        counterfactual: rows
            .iter()
            .any(|r| r.value(Metric::BudgetRelease).is_some()),
    };
    let metrics = figs
        .summarised()
        .map(|metric| {
            let mut values = Vec::with_capacity(rows.len());
            let mut censored = 0;
            for r in rows {
                let (v, c) = observe(r, metric);
                values.extend(v);
                censored += c as u64;
            }
            let mut rng = bootstrap_rng(boot.master_seed, &[scenario, policy, metric.name()]);
            MetricSummary {
                metric,
                n: values.len() as u64,
                censored,
                stats: describe(&values, boot.resamples, &mut rng),
            }
        })
        .collect();
    GroupSummary {
        scenario: scenario.to_string(),
        policy: policy.to_string(),
        n,
        outcomes,
        fault_runs,
        no_fault_runs,
        change_runs,
        undetected: fault_runs - detected,
        limit_hit,
        detection_rate: wilson(detected, fault_runs),
        false_rollback_rate: wilson(outcomes.false_rollback, no_fault_runs),
        escape_rate: wilson(outcomes.escaped, fault_runs),
        metrics,
    }
}

/// A policy against the baseline on one scenario and metric: the mean of the paired
/// differences (policy minus baseline) over the replicates where both observed it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    pub scenario: String,
    pub policy: String,
    pub baseline: String,
    pub metric: Quantity,
    pub pairs: u64,
    pub difference: Option<Estimate>,
}

/// Pairs `rows` (of `policy` on `scenario`) with `baseline_rows` by replicate (common
/// random numbers make replicate k the same traffic and fault draws under both) and
/// compares every metric. Both slices are in replicate order.
pub fn paired(
    scenario: &str,
    policy: &str,
    baseline: &str,
    baseline_rows: &[RunRow],
    rows: &[RunRow],
    boot: Bootstrap,
) -> Vec<Paired> {
    if rows.is_empty() || baseline_rows.is_empty() {
        return Vec::new();
    }
    Metric::summarised()
        .map(|metric| {
            let ids = [scenario, policy, baseline];
            paired_by(
                &ids,
                Quantity::Metric(metric),
                baseline_rows,
                rows,
                boot,
                |r| observe(r, metric).0,
            )
        })
        .collect()
}

/// As `paired`, for the rates: the mean paired difference of the indicators is the
/// change in the rate on the replicates where both runs define it.
pub fn paired_rates(
    scenario: &str,
    policy: &str,
    baseline: &str,
    baseline_rows: &[RunRow],
    rows: &[RunRow],
    boot: Bootstrap,
) -> Vec<Paired> {
    vocab::Rate::ALL
        .into_iter()
        .map(|rate| {
            let ids = [scenario, policy, baseline];
            paired_by(&ids, Quantity::Rate(rate), baseline_rows, rows, boot, |r| {
                rate.indicator(r)
            })
        })
        .collect()
}

/// Differences `value(row) − value(baseline row)` over the replicates both define,
/// with a seeded bootstrap interval of their mean.
fn paired_by(
    ids: &[&str; 3],
    metric: Quantity,
    baseline_rows: &[RunRow],
    rows: &[RunRow],
    boot: Bootstrap,
    value: impl Fn(&RunRow) -> Option<f64>,
) -> Paired {
    let mut d = Vec::with_capacity(rows.len());
    let mut b = baseline_rows.iter().peekable();
    for r in rows {
        while b.next_if(|x| x.replicate < r.replicate).is_some() {}
        let Some(x) = b.peek().filter(|x| x.replicate == r.replicate) else {
            continue;
        };
        if let (Some(p), Some(q)) = (value(r), value(x)) {
            d.push(p - q);
        }
    }
    let [scenario, policy, baseline] = *ids;
    let mut rng = bootstrap_rng(
        boot.master_seed,
        &[scenario, policy, baseline, metric.name(), "paired"],
    );
    Paired {
        scenario: scenario.to_string(),
        policy: policy.to_string(),
        baseline: baseline.to_string(),
        metric,
        pairs: d.len() as u64,
        difference: mean_difference(&d, boot.resamples, &mut rng),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(replicate: u64, outcome: Outcome, fault: bool, ttd: Option<f64>) -> RunRow {
        RunRow {
            run_id: replicate,
            replicate,
            outcome,
            change_started: true,
            change_ended: true,
            fault_active: fault,
            impact_started: fault,
            detected: ttd.is_some(),
            mitigated: fault,
            recovered: fault,
            limit_hit: false,
            values: RunRow::values_by(|m| match m {
                Metric::Ttd => ttd,
                Metric::ImpactDuration => fault.then_some(100.0),
                Metric::TtRecover => fault.then_some(120.0),
                Metric::BudgetConsumed => Some(replicate as f64),
                Metric::DeployDuration => Some(300.0),
                _ => None,
            }),
            params: Vec::new(),
        }
    }

    const BOOT: Bootstrap = Bootstrap {
        master_seed: 1,
        resamples: 100,
    };

    #[test]
    fn rates_use_their_own_denominators() {
        let rows = vec![
            row(0, Outcome::Caught, true, Some(30.0)),
            row(1, Outcome::Escaped, true, None),
            row(2, Outcome::Escaped, true, Some(90.0)),
            row(3, Outcome::FalseRollback, false, None),
            row(4, Outcome::Succeeded, false, None),
        ];
        let g = summarize("s", "p", &rows, BOOT);
        assert_eq!((g.n, g.fault_runs, g.no_fault_runs), (5, 3, 2));
        let d = g.detection_rate.unwrap();
        assert_eq!((d.k, d.n), (2, 3));
        let f = g.false_rollback_rate.unwrap();
        assert_eq!((f.k, f.n), (1, 2));
        let e = g.escape_rate.unwrap();
        assert_eq!((e.k, e.n), (2, 3));
        assert_eq!(g.undetected, 1);
        let ttd = g.metric(Metric::Ttd).unwrap();
        assert_eq!(
            (ttd.n, ttd.censored),
            (2, 1),
            "the undetected run is censored"
        );
        assert_eq!(ttd.stats.unwrap().mean.value, 60.0);
        assert_eq!(g.metric(Metric::BudgetConsumed).unwrap().n, 5);
    }

    #[test]
    fn pairs_match_replicates_and_skip_unobserved() {
        let base = vec![
            row(0, Outcome::Caught, true, Some(10.0)),
            row(1, Outcome::Caught, true, Some(20.0)),
            row(2, Outcome::Caught, true, None),
        ];
        let other = vec![
            row(0, Outcome::Caught, true, Some(15.0)),
            row(1, Outcome::Caught, true, Some(35.0)),
            row(2, Outcome::Caught, true, Some(99.0)),
        ];
        let p = paired("s", "p", "b", &base, &other, BOOT);
        let ttd = p
            .iter()
            .find(|p| p.metric == Quantity::Metric(Metric::Ttd))
            .unwrap();
        assert_eq!(ttd.pairs, 2);
        assert_eq!(ttd.difference.unwrap().value, 10.0);
        let budget = p
            .iter()
            .find(|p| p.metric == Quantity::Metric(Metric::BudgetConsumed))
            .unwrap();
        assert_eq!(budget.pairs, 3);
        assert_eq!(budget.difference.unwrap().value, 0.0);
    }
}
