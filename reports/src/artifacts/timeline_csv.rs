//! `timeline.csv` of `rollcage run --out`: one row per scrape interval, the truth
//! rather than the lagged view the detectors get.

use serde::{Deserialize, Serialize};
use sim_core::Version;
use sim_core::record::TimelineRow;

use super::{ArtifactError, cell, csv_from_bytes, csv_to_bytes};

pub const FILE_NAME: &str = "timeline.csv";

/// One row: the columns in file order (the field names are the header). Pods per
/// version and state, then the interval's rates and latencies, then the scrape's
/// state. Rates are per second of the interval; an empty cell is `None`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelineRecord {
    #[serde(serialize_with = "cell::num3", deserialize_with = "cell::de")]
    pub time_s: f64,
    pub baseline_starting: u32,
    pub baseline_ready: u32,
    pub baseline_crashed: u32,
    pub baseline_terminating: u32,
    pub candidate_starting: u32,
    pub candidate_ready: u32,
    pub candidate_crashed: u32,
    pub candidate_terminating: u32,
    pub available: u32,
    #[serde(serialize_with = "cell::num6", deserialize_with = "cell::de")]
    pub arrival_rate_rps: f64,
    #[serde(serialize_with = "cell::num6", deserialize_with = "cell::de")]
    pub request_rate_rps: f64,
    /// Errors and timeouts over requests resolved; `None` when none were.
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub error_ratio: Option<f64>,
    #[serde(serialize_with = "cell::opt_num3", deserialize_with = "cell::de_opt")]
    pub latency_p50_ms: Option<f64>,
    #[serde(serialize_with = "cell::opt_num3", deserialize_with = "cell::de_opt")]
    pub latency_p95_ms: Option<f64>,
    #[serde(serialize_with = "cell::opt_num3", deserialize_with = "cell::de_opt")]
    pub latency_p99_ms: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub burn_rate_5m: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub burn_rate_1h: Option<f64>,
    pub in_flight: u64,
    pub sessions_lost: u64,
    /// Whether the metrics pipeline delivered this scrape to detectors (`0`/`1`).
    #[serde(serialize_with = "cell::bit", deserialize_with = "cell::de_bit")]
    pub scraped: bool,
    /// The interval's counts per version: requests resolved, error responses and
    /// timeouts (the gates' `failed` is errors + timeouts; they are kept apart, as
    /// `metrics.om` writes them under two status codes).
    pub baseline_requests: u64,
    pub baseline_errors: u64,
    pub baseline_timeouts: u64,
    pub candidate_requests: u64,
    pub candidate_errors: u64,
    pub candidate_timeouts: u64,
    /// The SLO's events in the interval (requests resolved) and its bad events (errors,
    /// timeouts, slow successes, lost sessions), as the pager counts them.
    pub slo_events: u64,
    pub slo_bad_events: u64,
    /// The Deployment's `spec.replicas` at the scrape (the autoscaler moves it) and each
    /// version's Pending pods: written only by runs whose fleet can change size (an
    /// `[autoscaler]` or a `[cluster]`), so other runs' files keep their columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_replicas: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_pending: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_pending: Option<u32>,
}

impl TimelineRecord {
    /// The row of one scrape interval of `interval_s` seconds; `sizing` adds the
    /// columns of a fleet whose size can change.
    pub fn from_row(r: &TimelineRow, interval_s: f64, sizing: bool) -> TimelineRecord {
        let [b, c] = Version::ALL.map(|v| r.pods[v.index()]);
        TimelineRecord {
            time_s: r.at.as_secs_f64(),
            baseline_starting: b.starting,
            baseline_ready: b.ready,
            baseline_crashed: b.crashed,
            baseline_terminating: b.terminating,
            candidate_starting: c.starting,
            candidate_ready: c.ready,
            candidate_crashed: c.crashed,
            candidate_terminating: c.terminating,
            available: r.available,
            arrival_rate_rps: r.arrivals as f64 / interval_s,
            request_rate_rps: r.requests as f64 / interval_s,
            error_ratio: (r.requests > 0).then(|| r.failed as f64 / r.requests as f64),
            latency_p50_ms: r.latency_p50_ms,
            latency_p95_ms: r.latency_p95_ms,
            latency_p99_ms: r.latency_p99_ms,
            burn_rate_5m: r.burn_5m,
            burn_rate_1h: r.burn_1h,
            in_flight: r.in_flight,
            sessions_lost: r.sessions_lost,
            scraped: r.scraped,
            baseline_requests: r.versions[0].requests,
            baseline_errors: r.versions[0].errors,
            baseline_timeouts: r.versions[0].timeouts,
            candidate_requests: r.versions[1].requests,
            candidate_errors: r.versions[1].errors,
            candidate_timeouts: r.versions[1].timeouts,
            slo_events: r.requests,
            slo_bad_events: r.slo_bad_events,
            desired_replicas: sizing.then_some(r.desired),
            baseline_pending: sizing.then_some(b.pending),
            candidate_pending: sizing.then_some(c.pending),
        }
    }

    /// Pods of the baseline, then the candidate: starting, ready, crashed, terminating.
    pub fn pods(&self) -> [[u32; 4]; 2] {
        [
            [
                self.baseline_starting,
                self.baseline_ready,
                self.baseline_crashed,
                self.baseline_terminating,
            ],
            [
                self.candidate_starting,
                self.candidate_ready,
                self.candidate_crashed,
                self.candidate_terminating,
            ],
        ]
    }
}

/// The rows of a run's timeline record, scraped every `interval_s` seconds (`sizing`:
/// see [`TimelineRecord::desired_replicas`]).
pub fn records(rows: &[TimelineRow], interval_s: f64, sizing: bool) -> Vec<TimelineRecord> {
    rows.iter()
        .map(|r| TimelineRecord::from_row(r, interval_s, sizing))
        .collect()
}

pub fn to_bytes(rows: &[TimelineRecord]) -> Vec<u8> {
    csv_to_bytes(rows)
}

/// Reads the rows back; time never goes backwards (a row that does is refused with
/// its line).
pub fn from_bytes(bytes: &[u8]) -> Result<Vec<TimelineRecord>, ArtifactError> {
    let mut last = f64::NEG_INFINITY;
    let mut out = Vec::new();
    for (line, r) in csv_from_bytes::<TimelineRecord>(bytes)? {
        if r.time_s < last {
            return Err(ArtifactError {
                line: Some(line),
                column: Some(1),
                field: Some("time_s".into()),
                reason: format!("goes back in time ({} after {last})", r.time_s),
            });
        }
        last = r.time_s;
        out.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: f64) -> TimelineRecord {
        TimelineRecord {
            time_s: t,
            baseline_ready: 3,
            candidate_starting: 1,
            available: 3,
            arrival_rate_rps: 10.5,
            request_rate_rps: 10.25,
            error_ratio: Some(0.125),
            latency_p99_ms: Some(220.5),
            burn_rate_1h: Some(2.0),
            in_flight: 4,
            scraped: true,
            baseline_requests: 150,
            baseline_errors: 2,
            candidate_requests: 4,
            candidate_timeouts: 1,
            slo_events: 154,
            slo_bad_events: 5,
            ..TimelineRecord::default()
        }
    }

    #[test]
    fn rows_read_back_as_written() {
        let rows = [row(15.0), row(30.0)];
        let bytes = to_bytes(&rows);
        assert!(bytes.starts_with(b"time_s,baseline_starting,"));
        assert_eq!(from_bytes(&bytes).unwrap(), rows);
        assert_eq!(to_bytes(&from_bytes(&bytes).unwrap()), bytes);
        // No rows: the header alone.
        let empty = to_bytes(&[]);
        assert_eq!(String::from_utf8_lossy(&empty).lines().count(), 1);
        assert_eq!(from_bytes(&empty).unwrap(), vec![]);
    }

    /// A fleet that can change size adds three columns at the end, and they read back;
    /// a file without them reads as `None`.
    #[test]
    fn sizing_columns_are_written_only_when_the_fleet_can_change_size() {
        let sized = TimelineRecord {
            desired_replicas: Some(12),
            baseline_pending: Some(0),
            candidate_pending: Some(2),
            ..row(15.0)
        };
        let bytes = to_bytes(std::slice::from_ref(&sized));
        let header = String::from_utf8_lossy(&bytes)
            .lines()
            .next()
            .unwrap()
            .to_string();
        assert!(
            header.ends_with(",slo_bad_events,desired_replicas,baseline_pending,candidate_pending"),
            "{header}"
        );
        assert_eq!(from_bytes(&bytes).unwrap(), vec![sized]);
        let plain = to_bytes(&[row(15.0)]);
        let header = String::from_utf8_lossy(&plain)
            .lines()
            .next()
            .unwrap()
            .to_string();
        assert!(header.ends_with(",slo_bad_events"), "{header}");
        assert_eq!(from_bytes(&plain).unwrap()[0].desired_replicas, None);
    }

    #[test]
    fn bad_cells_name_their_line_and_column() {
        let text = String::from_utf8(to_bytes(&[row(15.0), row(30.0)])).unwrap();
        let bad = text.replacen("10.250000", "zero", 2);
        let e = from_bytes(bad.as_bytes()).unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(12)));
        assert_eq!(e.field.as_deref(), Some("request_rate_rps"));
        assert!(e.reason.contains("not a number: \"zero\""), "{e}");
        let e = from_bytes(text.replacen("\n15.000", "\n45.000", 1).as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3, column 1: `time_s`: goes back in time (30 after 45)"
        );
        let e = from_bytes(text.replacen("burn_rate_1h", "burn_1h", 1).as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "line 1: no `burn_rate_1h` column");
        let e = from_bytes(text.replacen(",4,0,1,", ",4,0,yes,", 1).as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("scraped"));
        let e = from_bytes(text.replacen(",5\n", ",5,2\n", 1).as_bytes()).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e = from_bytes(text.replacen(",3,", ",-3,", 1).as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("baseline_ready"), "{e}");
    }
}
