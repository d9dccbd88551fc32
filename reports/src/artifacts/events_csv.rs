//! `events.csv` of `rollcage run --out`: every step, gate evaluation, fault, crash,
//! detection and rollback, in time order.

use serde::{Deserialize, Serialize};
use sim_core::log::LogRecord;

use super::{ArtifactError, cell, csv_from_bytes, csv_to_bytes};

pub const FILE_NAME: &str = "events.csv";

/// One line of the event log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    #[serde(serialize_with = "cell::num3", deserialize_with = "cell::de")]
    pub time_s: f64,
    /// `LogKind::name()`: `step`, `gate`, `fault`, ...
    pub kind: String,
    pub subject: String,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub value: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub threshold: Option<f64>,
    /// `pass`, `fail`, `inconclusive` for gates; empty otherwise.
    pub verdict: String,
    pub reason: String,
}

impl EventRecord {
    pub fn from_log(e: &LogRecord) -> EventRecord {
        EventRecord {
            time_s: e.at.as_secs_f64(),
            kind: e.kind.name().to_string(),
            subject: e.subject.clone(),
            value: e.value,
            threshold: e.threshold,
            verdict: e.verdict.unwrap_or("").to_string(),
            reason: e.reason.clone(),
        }
    }
}

/// The rows of a run's event log.
pub fn records(log: &[LogRecord]) -> Vec<EventRecord> {
    log.iter().map(EventRecord::from_log).collect()
}

pub fn to_bytes(rows: &[EventRecord]) -> Vec<u8> {
    csv_to_bytes(rows)
}

pub fn from_bytes(bytes: &[u8]) -> Result<Vec<EventRecord>, ArtifactError> {
    Ok(csv_from_bytes(bytes)?.into_iter().map(|(_, r)| r).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_back_as_written() {
        let rows = vec![
            EventRecord {
                time_s: 105.0,
                kind: "gate".into(),
                subject: "error-ratio".into(),
                value: Some(0.04),
                threshold: Some(0.01),
                verdict: "fail".into(),
                reason: "over, by \"a lot\"".into(),
            },
            EventRecord {
                time_s: 310.5,
                kind: "step".into(),
                ..EventRecord::default()
            },
        ];
        let bytes = to_bytes(&rows);
        assert_eq!(from_bytes(&bytes).unwrap(), rows);
        assert_eq!(to_bytes(&from_bytes(&bytes).unwrap()), bytes);
        let text = String::from_utf8(bytes).unwrap();
        let e = from_bytes(text.replacen("0.010000", "inf", 1).as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2, column 5: `threshold`: not a number: \"inf\""
        );
    }
}
