//! `budget_exceedance.csv` of a sweep with uncertain parameters: per scenario ×
//! policy, how many runs burned more error budget than the limit (the sweep's
//! `--max-budget-p95`, in % of the SLO window's budget) and that probability with
//! its Wilson 95% interval (`sweep::sensitivity::Exceedance`). Written beside
//! `sensitivity.csv`, only when that is; versioned by the sweep's `manifest.json`.

use serde::{Deserialize, Serialize};

use super::{ArtifactError, cell, csv_from_bytes, csv_to_bytes, csv_value_error};
use crate::sweep::sensitivity::GroupSensitivity;

pub const FILE_NAME: &str = "budget_exceedance.csv";

/// One row per group; the probability cells are empty for a group with no runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExceedanceRecord {
    pub scenario: String,
    pub policy: String,
    #[serde(serialize_with = "cell::num6", deserialize_with = "cell::de")]
    pub limit_pct: f64,
    pub runs: u64,
    pub exceeded: u64,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub probability: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub probability_lo: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub probability_hi: Option<f64>,
}

pub fn records(groups: &[GroupSensitivity]) -> Vec<ExceedanceRecord> {
    groups
        .iter()
        .map(|g| {
            let r = g.exceedance.rate;
            ExceedanceRecord {
                scenario: g.scenario.clone(),
                policy: g.policy.clone(),
                limit_pct: g.exceedance.limit_pct,
                runs: r.map_or(0, |r| r.n),
                exceeded: r.map_or(0, |r| r.k),
                probability: r.map(|r| r.rate),
                probability_lo: r.map(|r| r.lo),
                probability_hi: r.map(|r| r.hi),
            }
        })
        .collect()
}

pub fn to_bytes(rows: &[ExceedanceRecord]) -> Vec<u8> {
    csv_to_bytes(rows)
}

/// Reads the table; more runs exceeded than there are, or a probability outside
/// [0, 1], is refused with its line and column.
pub fn from_bytes(bytes: &[u8]) -> Result<Vec<ExceedanceRecord>, ArtifactError> {
    let rows = csv_from_bytes::<ExceedanceRecord>(bytes)?;
    for (line, r) in &rows {
        let bad = |field: &str, reason: String| csv_value_error(bytes, *line, field, reason);
        if r.exceeded > r.runs {
            return Err(bad(
                "exceeded",
                format!("{} of {} runs", r.exceeded, r.runs),
            ));
        }
        for (field, v) in [
            ("probability", r.probability),
            ("probability_lo", r.probability_lo),
            ("probability_hi", r.probability_hi),
        ] {
            if let Some(v) = v.filter(|v| !(0.0..=1.0).contains(v)) {
                return Err(bad(field, format!("{v} is outside [0, 1]")));
            }
        }
    }
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_as_written_and_bad_ones_are_named() {
        let rows = vec![ExceedanceRecord {
            scenario: "leak".into(),
            policy: "canary".into(),
            limit_pct: 2.0,
            runs: 50,
            exceeded: 5,
            probability: Some(0.1),
            probability_lo: Some(0.043481),
            probability_hi: Some(0.213607),
        }];
        let bytes = to_bytes(&rows);
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "scenario,policy,limit_pct,runs,exceeded,probability,probability_lo,probability_hi\n\
             leak,canary,2.000000,50,5,0.100000,0.043481,0.213607\n"
        );
        assert_eq!(from_bytes(&bytes).unwrap(), rows);
        let text = String::from_utf8(bytes).unwrap();
        let e = from_bytes(text.replace(",50,5,", ",5,50,").as_bytes()).unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(2), Some("exceeded")),
            "{e}"
        );
        let e = from_bytes(text.replace("0.213607", "1.2").as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("probability_hi"), "{e}");
    }
}
