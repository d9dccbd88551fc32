//! `runs.csv`: one row per run, in run-id order. It is the sweep's primary record:
//! every summary is computed from its text, never from in-memory figures, so a sweep,
//! a resumed sweep and a merge of shards all summarise the same bytes.

use csv::StringRecord;

use crate::format::{num, secs};
use crate::metrics::{Outcome, RunMetrics};

/// The columns after the identity columns (`run_id`, `scenario`, `policy`, one per
/// grid key, `seed`, `replicate`).
const FIGURES: [&str; 40] = [
    "outcome",
    "detector",
    "t_change_start_s",
    "t_change_end_s",
    "t_full_fleet_s",
    "t_fault_active_s",
    "t_release_fault_active_s",
    "t_impact_start_s",
    "t_detect_s",
    "t_mitigate_s",
    "t_recover_s",
    "ttd_s",
    "ttm_s",
    "impact_duration_s",
    "tt_recover_s",
    "deploy_duration_s",
    "requests_total",
    "requests_bad",
    "bad_error",
    "bad_timeout",
    "bad_slow",
    "bad_session_lost",
    "fault_bad_events",
    "budget_consumed_pct",
    "peak_burn_rate_5m",
    "peak_burn_rate_1h",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "crashes",
    "instances_max",
    "available_min",
    "sessions_lost",
    "retries",
    "kpi_conversion_rate",
    "kpi_lost",
    "unattributed_bad_events",
    "events_processed",
    "limit_hit",
];

/// The header row for a sweep whose grid has `grid_keys` (as given, e.g.
/// `policy.bake_seconds`).
pub fn header(grid_keys: &[String]) -> Vec<String> {
    let mut h: Vec<String> = ["run_id", "scenario", "policy"].map(String::from).to_vec();
    h.extend(grid_keys.iter().cloned());
    h.extend(["seed", "replicate"].map(String::from));
    h.extend(FIGURES.iter().map(|s| s.to_string()));
    h
}

/// Who a run was: its place in the sweep.
#[derive(Clone, Copy, Debug)]
pub struct RunIdentity<'a> {
    pub run_id: u64,
    pub scenario: &'a str,
    pub policy: &'a str,
    /// The policy's grid values, in grid-key order.
    pub grid_values: &'a [String],
    pub seed: u64,
    pub replicate: u64,
}

/// The fields of one row, in header order.
pub fn row(id: &RunIdentity<'_>, m: &RunMetrics) -> Vec<String> {
    let mut r = vec![
        id.run_id.to_string(),
        id.scenario.to_string(),
        id.policy.to_string(),
    ];
    r.extend(id.grid_values.iter().cloned());
    r.extend([id.seed.to_string(), id.replicate.to_string()]);
    let b = &m.bad_events;
    r.extend([
        m.outcome.name().to_string(),
        m.detector.clone().unwrap_or_default(),
        secs(m.t_change_start_s),
        secs(m.t_change_end_s),
        secs(m.t_full_fleet_s),
        secs(m.t_fault_active_s),
        secs(m.t_release_fault_active_s),
        secs(m.t_impact_start_s),
        secs(m.t_detect_s),
        secs(m.t_mitigate_s),
        secs(m.t_recover_s),
        secs(m.ttd_s),
        secs(m.ttm_s),
        secs(m.impact_duration_s),
        secs(m.tt_recover_s),
        secs(m.deploy_duration_s),
        m.requests_total.to_string(),
        m.requests_bad.to_string(),
        b.error.to_string(),
        b.timeout.to_string(),
        b.slow.to_string(),
        b.session_lost.to_string(),
        m.fault_bad_events.to_string(),
        num(Some(m.budget_consumed_pct)),
        num(Some(m.peak_burn_rate_5m)),
        num(Some(m.peak_burn_rate_1h)),
        num(m.latency_mean_ms),
        num(m.latency_p50_ms),
        num(m.latency_p95_ms),
        num(m.latency_p99_ms),
        m.crashes.to_string(),
        m.instances_max.to_string(),
        m.available_min.to_string(),
        m.sessions_lost.to_string(),
        m.retries.to_string(),
        num(m.kpi_conversion_rate),
        m.kpi_lost.to_string(),
        m.unattributed_bad_events.to_string(),
        m.events_processed.to_string(),
        m.limit_hit.clone().unwrap_or_default(),
    ]);
    r
}

/// Encodes fields as one CSV line, newline included.
pub fn line<I, S>(fields: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(Vec::with_capacity(512));
    w.write_record(fields).expect("in-memory write");
    w.into_inner().expect("in-memory flush")
}

/// What the summaries need of one run, read back from its row. The scenario and
/// policy names are checked by the reader and not kept: a group holds many rows.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub run_id: u64,
    pub replicate: u64,
    pub outcome: Outcome,
    pub change_started: bool,
    pub change_ended: bool,
    /// A fault the release carries became active: the run is a bad release.
    pub fault_active: bool,
    pub impact_started: bool,
    pub detected: bool,
    pub mitigated: bool,
    pub recovered: bool,
    pub limit_hit: bool,
    pub ttd_s: Option<f64>,
    pub impact_duration_s: Option<f64>,
    pub tt_recover_s: Option<f64>,
    pub budget_consumed_pct: f64,
    pub deploy_duration_s: Option<f64>,
}

/// Where each needed column sits, found by name in the header.
#[derive(Clone, Debug)]
pub struct Columns {
    idx: [usize; 18],
}

/// The columns the summaries read; a baseline file keeps just these.
pub const NEEDED: [&str; 18] = [
    "run_id",
    "scenario",
    "policy",
    "replicate",
    "outcome",
    "t_change_start_s",
    "t_change_end_s",
    "t_release_fault_active_s",
    "t_impact_start_s",
    "t_detect_s",
    "t_mitigate_s",
    "t_recover_s",
    "limit_hit",
    "ttd_s",
    "impact_duration_s",
    "tt_recover_s",
    "budget_consumed_pct",
    "deploy_duration_s",
];

impl Columns {
    /// Locates the needed columns; the error names the first one missing.
    pub fn from_header(header: &StringRecord) -> Result<Columns, String> {
        let mut idx = [0usize; 18];
        for (slot, name) in idx.iter_mut().zip(NEEDED) {
            *slot = header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| format!("no `{name}` column"))?;
        }
        Ok(Columns { idx })
    }

    /// The scenario and policy names of a row.
    pub fn identity<'r>(&self, rec: &'r StringRecord) -> (&'r str, &'r str) {
        (
            rec.get(self.idx[1]).unwrap_or(""),
            rec.get(self.idx[2]).unwrap_or(""),
        )
    }

    /// Parses one row; the error names the column and the bad value.
    pub fn parse(&self, rec: &StringRecord) -> Result<RunRow, String> {
        let field = |i: usize| -> Result<&str, String> {
            rec.get(self.idx[i])
                .ok_or_else(|| format!("row has no `{}` field", NEEDED[i]))
        };
        let int = |i: usize| -> Result<u64, String> {
            let v = field(i)?;
            v.parse()
                .map_err(|_| format!("`{}`: not an integer: {v:?}", NEEDED[i]))
        };
        let opt = |i: usize| -> Result<Option<f64>, String> {
            let v = field(i)?;
            if v.is_empty() {
                return Ok(None);
            }
            v.parse()
                .map(Some)
                .map_err(|_| format!("`{}`: not a number: {v:?}", NEEDED[i]))
        };
        let outcome = {
            let v = field(4)?;
            Outcome::parse(v).ok_or_else(|| format!("`outcome`: unknown outcome {v:?}"))?
        };
        Ok(RunRow {
            run_id: int(0)?,
            replicate: int(3)?,
            outcome,
            change_started: opt(5)?.is_some(),
            change_ended: opt(6)?.is_some(),
            fault_active: opt(7)?.is_some(),
            impact_started: opt(8)?.is_some(),
            detected: opt(9)?.is_some(),
            mitigated: opt(10)?.is_some(),
            recovered: opt(11)?.is_some(),
            limit_hit: !field(12)?.is_empty(),
            ttd_s: opt(13)?,
            impact_duration_s: opt(14)?,
            tt_recover_s: opt(15)?,
            budget_consumed_pct: opt(16)?
                .ok_or_else(|| "`budget_consumed_pct`: empty".to_string())?,
            deploy_duration_s: opt(17)?,
        })
    }
}
