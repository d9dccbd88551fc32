//! The files `rollcage run --out DIR` writes: `run.json`, `timeline.csv`, `events.csv`.

use serde::Serialize;
use sim_core::log::LogRecord;
use sim_core::record::TimelineRow;
use sim_core::{RunRecord, Version};

use crate::SCHEMA_VERSION;
use crate::format::{ms, num, secs};
use crate::metrics::RunMetrics;

/// What a run was made from, for `run.json`.
#[derive(Clone, Debug, Serialize)]
pub struct RunInputs {
    pub scenario: String,
    /// `built-in` or the file path as given.
    pub scenario_source: String,
    pub policy: String,
    pub policy_source: String,
    /// `--set` overrides in the order given.
    pub overrides: Vec<String>,
    pub seed: u64,
    /// The command that reproduces this run.
    pub reproduce: String,
    /// The scenario and policy as resolved, defaults and overrides applied.
    pub scenario_resolved: serde_json::Value,
    pub policy_resolved: serde_json::Value,
}

#[derive(Serialize)]
struct RunJson<'a> {
    schema_version: u32,
    program: &'a str,
    inputs: &'a RunInputs,
    #[serde(flatten)]
    metrics: &'a RunMetrics,
}

/// `run.json`: pretty-printed, keys in a fixed order, ending in a newline.
pub fn run_json(inputs: &RunInputs, metrics: &RunMetrics, program: &str) -> String {
    let doc = RunJson {
        schema_version: SCHEMA_VERSION,
        program,
        inputs,
        metrics,
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("run metrics serialize");
    s.push('\n');
    s
}

const TIMELINE_HEADER: [&str; 21] = [
    "time_s",
    "baseline_starting",
    "baseline_ready",
    "baseline_crashed",
    "baseline_terminating",
    "candidate_starting",
    "candidate_ready",
    "candidate_crashed",
    "candidate_terminating",
    "available",
    "arrival_rate_rps",
    "request_rate_rps",
    "error_ratio",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "burn_rate_5m",
    "burn_rate_1h",
    "in_flight",
    "sessions_lost",
    "scraped",
];

/// `timeline.csv`: one row per scrape interval, the truth rather than the lagged view.
pub fn timeline_csv(record: &RunRecord, scrape_interval_s: f64) -> String {
    timeline_csv_rows(&record.timeline, scrape_interval_s)
}

/// `timeline.csv` of these rows.
pub fn timeline_csv_rows(rows: &[TimelineRow], scrape_interval_s: f64) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(TIMELINE_HEADER).expect("in-memory write");
    for row in rows {
        w.write_record(timeline_row(row, scrape_interval_s))
            .expect("in-memory write");
    }
    String::from_utf8(w.into_inner().expect("in-memory flush")).expect("csv is utf-8")
}

fn timeline_row(r: &TimelineRow, interval_s: f64) -> Vec<String> {
    let mut out = vec![secs(Some(r.at.as_secs_f64()))];
    for v in Version::ALL {
        let p = r.pods[v.index()];
        out.extend([p.starting, p.ready, p.crashed, p.terminating].map(|n| n.to_string()));
    }
    let error_ratio = (r.requests > 0).then(|| r.failed as f64 / r.requests as f64);
    out.extend([
        r.available.to_string(),
        num(Some(r.arrivals as f64 / interval_s)),
        num(Some(r.requests as f64 / interval_s)),
        num(error_ratio),
        ms(r.latency_p50_ms),
        ms(r.latency_p95_ms),
        ms(r.latency_p99_ms),
        num(r.burn_5m),
        num(r.burn_1h),
        r.in_flight.to_string(),
        r.sessions_lost.to_string(),
        u8::from(r.scraped).to_string(),
    ]);
    out
}

/// `events.csv`: every step, gate evaluation, fault, crash, detection and rollback.
pub fn events_csv(record: &RunRecord) -> String {
    events_csv_rows(&record.log)
}

/// `events.csv` of these log lines.
pub fn events_csv_rows(log: &[LogRecord]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "time_s",
        "kind",
        "subject",
        "value",
        "threshold",
        "verdict",
        "reason",
    ])
    .expect("in-memory write");
    for e in log {
        w.write_record([
            secs(Some(e.at.as_secs_f64())),
            e.kind.name().to_string(),
            e.subject.clone(),
            num(e.value),
            num(e.threshold),
            e.verdict.unwrap_or("").to_string(),
            e.reason.clone(),
        ])
        .expect("in-memory write");
    }
    String::from_utf8(w.into_inner().expect("in-memory flush")).expect("csv is utf-8")
}
