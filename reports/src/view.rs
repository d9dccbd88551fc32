//! What a report is drawn from: plain structs the runner fills by reading a run or
//! sweep directory back. Nothing here reads a file; everything is already parsed.

use crate::artifacts::events_csv::EventRecord;
use crate::artifacts::timeline_csv::TimelineRecord;
use crate::format::{budget, human_secs, thousands};
use crate::metrics::RunMetrics;
use crate::sweep::sensitivity::GroupSensitivity;
use crate::sweep::{GroupSummary, ParetoPoint, Recommendation};
use crate::vocab::Metric;

/// One row of `events.csv`: the file's own row type.
pub type LogEvent = EventRecord;

/// A row of a run report's facts table: a moment of the run and when it happened,
/// beside a figure and its value (either pair may be empty).
pub struct FactRow {
    pub moment: &'static str,
    pub at: String,
    pub figure: &'static str,
    pub value: String,
}

impl RunView {
    /// The facts table, as plain text: the HTML and Markdown reports escape the cells
    /// their own way and show the same rows. The figures after the fixed rows are the
    /// vocabulary's facts (`Metric::facts`), `n/a` when the run did not have them; the
    /// counterfactual ones only for a run made with `--counterfactual`.
    pub fn fact_rows(&self) -> Vec<FactRow> {
        let m = &self.metrics;
        let at = |t: Option<f64>| t.map_or_else(|| "never".to_string(), |t| format!("{t:.1} s"));
        let dur = |d: Option<f64>| d.map_or_else(|| "n/a".to_string(), human_secs);
        let faults: Vec<String> = m
            .faults
            .iter()
            .map(|x| format!("{}{}", x.name, if x.release { " (release)" } else { "" }))
            .collect();
        let row = |moment, at, figure, value| FactRow {
            moment,
            at,
            figure,
            value,
        };
        let figs = crate::vocab::Figures::of(m);
        let more = Metric::facts()
            .filter(|&f| figs.includes(f))
            .filter_map(|f| {
                let value = f
                    .value(m)
                    .map_or_else(|| "n/a".to_string(), |v| f.unit().show(v));
                Some(row("", String::new(), f.fact_label()?, value))
            });
        let mut rows = vec![
            row(
                "release started",
                at(m.t_change_start_s),
                "deploy duration",
                dur(m.deploy_duration_s),
            ),
            row(
                "fault live",
                at(m.t_fault_active_s),
                "faults",
                if faults.is_empty() {
                    "none".into()
                } else {
                    faults.join(", ")
                },
            ),
            row(
                "first impact",
                at(m.t_impact_start_s),
                "ttd (MTTD sample)",
                dur(m.ttd_s),
            ),
            row("detected", at(m.t_detect_s), "ttm", dur(m.ttm_s)),
            row(
                "mitigated",
                at(m.t_mitigate_s),
                "impact duration (MTTR, user view)",
                dur(m.impact_duration_s),
            ),
            row(
                "recovered",
                at(m.t_recover_s),
                "tt_recover (MTTR, system view)",
                dur(m.tt_recover_s),
            ),
            row(
                "change ended",
                at(m.t_change_end_s),
                "error budget consumed",
                budget(m.budget_consumed_pct),
            ),
            row(
                "",
                String::new(),
                "peak burn rate 5 m / 1 h",
                format!("{:.1} / {:.1}", m.peak_burn_rate_5m, m.peak_burn_rate_1h),
            ),
            row(
                "",
                String::new(),
                "requests (bad)",
                format!(
                    "{} ({})",
                    thousands(m.requests_total),
                    thousands(m.requests_bad)
                ),
            ),
            row(
                "",
                String::new(),
                "p99 latency, crashes",
                format!(
                    "{}, {}",
                    m.latency_p99_ms
                        .map_or_else(|| "n/a".into(), |l| format!("{l:.1} ms")),
                    m.crashes
                ),
            ),
        ];
        rows.extend(more);
        rows
    }
}

/// Everything a run report needs: `run.json`, `timeline.csv` and `events.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunView {
    /// The program that wrote the run, as `run.json` records it.
    pub program: String,
    pub scenario: String,
    pub policy: String,
    pub seed: u64,
    /// The command that reproduces the run.
    pub reproduce: String,
    pub horizon_s: f64,
    pub slo_objective: Option<f64>,
    /// Every figure of `run.json`.
    pub metrics: RunMetrics,
    pub timeline: Vec<TimelineRecord>,
    pub events: Vec<LogEvent>,
}

/// A grid axis of a sweep: the key as given (`policy.bake_seconds`) and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

/// A policy variant of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyInfo {
    /// The variant's name, `gated-10pct[bake_seconds=60]`.
    pub name: String,
    /// The policy it is a variant of, `gated-10pct`.
    pub base: String,
    /// Its grid values, in axis order.
    pub grid_values: Vec<String>,
}

/// The per-run values of one (scenario, policy) group that the distributions need,
/// read from `runs.csv`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupRuns {
    pub scenario: String,
    pub policy: String,
    /// Runs where a fault became active.
    pub fault_runs: u64,
    /// `ttd_s` of the fault runs that were detected, in run order.
    pub ttd_s: Vec<f64>,
    /// `budget_consumed_pct` of every run, in run order.
    pub budget_pct: Vec<f64>,
}

/// Everything a sweep report needs: `manifest.json`, `summary.json` and `runs.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepView {
    pub program: String,
    pub master_seed: u64,
    pub seeds: u64,
    pub scenarios: Vec<String>,
    pub policies: Vec<PolicyInfo>,
    pub grid: Vec<Axis>,
    pub baseline: String,
    pub groups: Vec<GroupSummary>,
    pub pareto: Vec<ParetoPoint>,
    pub recommendation: Recommendation,
    /// In the order of `groups`.
    pub runs: Vec<GroupRuns>,
    /// From `sensitivity.csv` and `budget_exceedance.csv`, in group order; empty when
    /// the sweep had no uncertain parameters (and wrote neither file).
    pub sensitivity: Vec<GroupSensitivity>,
}

impl SweepView {
    pub fn group(&self, scenario: &str, policy: &str) -> Option<&GroupSummary> {
        self.groups
            .iter()
            .find(|g| g.scenario == scenario && g.policy == policy)
    }

    pub fn group_runs(&self, scenario: &str, policy: &str) -> Option<&GroupRuns> {
        self.runs
            .iter()
            .find(|g| g.scenario == scenario && g.policy == policy)
    }

    /// Scenarios where some run had an active fault, in sweep order.
    pub fn fault_scenarios(&self) -> Vec<&str> {
        self.scenarios
            .iter()
            .filter(|s| {
                self.groups
                    .iter()
                    .any(|g| &g.scenario == *s && g.fault_runs > 0)
            })
            .map(String::as_str)
            .collect()
    }
}
