//! `pareto.csv` of a sweep: one row per policy with the figures the frontier is drawn
//! on (each the worst over its scenario class, with the scenario it came from), the
//! rates, and whether the policy is eligible and on the frontier. Versioned by the
//! sweep's `manifest.json`.

use serde::{Deserialize, Serialize};

use super::{ArtifactError, cell, csv_from_bytes, csv_to_bytes};
use crate::sweep::frontier::{ParetoPoint, Worst};

pub const FILE_NAME: &str = "pareto.csv";

/// One row. The rate columns are named after `vocab::Rate` (a test checks it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ParetoRecord {
    pub policy: String,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub deploy_p50_s: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub deploy_p50_lo_s: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub deploy_p50_hi_s: Option<f64>,
    /// The scenario the deploy figure is from; empty without one.
    pub deploy_scenario: String,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub budget_p95_pct: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub budget_p95_lo_pct: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub budget_p95_hi_pct: Option<f64>,
    pub budget_scenario: String,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub false_rollback_rate: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub false_rollback_rate_lo: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub false_rollback_rate_hi: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub detection_rate: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub escape_rate: Option<f64>,
    pub eligible: bool,
    pub frontier: bool,
}

impl ParetoRecord {
    pub fn from_point(p: &ParetoPoint) -> ParetoRecord {
        let worst = |w: &Option<Worst>| {
            let e = w.as_ref().map(|w| w.estimate);
            (
                [e.map(|e| e.value), e.map(|e| e.lo), e.map(|e| e.hi)],
                w.as_ref().map(|w| w.scenario.clone()).unwrap_or_default(),
            )
        };
        let ([d, dlo, dhi], deploy_scenario) = worst(&p.deploy_p50_s);
        let ([b, blo, bhi], budget_scenario) = worst(&p.budget_p95_pct);
        let fr = p.false_rollback_rate;
        ParetoRecord {
            policy: p.policy.clone(),
            deploy_p50_s: d,
            deploy_p50_lo_s: dlo,
            deploy_p50_hi_s: dhi,
            deploy_scenario,
            budget_p95_pct: b,
            budget_p95_lo_pct: blo,
            budget_p95_hi_pct: bhi,
            budget_scenario,
            false_rollback_rate: fr.map(|r| r.rate),
            false_rollback_rate_lo: fr.map(|r| r.lo),
            false_rollback_rate_hi: fr.map(|r| r.hi),
            detection_rate: p.detection_rate.map(|r| r.rate),
            escape_rate: p.escape_rate.map(|r| r.rate),
            eligible: p.eligible,
            frontier: p.frontier,
        }
    }
}

pub fn records(points: &[ParetoPoint]) -> Vec<ParetoRecord> {
    points.iter().map(ParetoRecord::from_point).collect()
}

pub fn to_bytes(rows: &[ParetoRecord]) -> Vec<u8> {
    csv_to_bytes(rows)
}

pub fn from_bytes(bytes: &[u8]) -> Result<Vec<ParetoRecord>, ArtifactError> {
    Ok(csv_from_bytes(bytes)?.into_iter().map(|(_, r)| r).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::csv_header;
    use crate::vocab::Rate;

    #[test]
    fn rate_columns_are_the_vocabulary_names() {
        let h = csv_header::<ParetoRecord>();
        let fr = Rate::FalseRollback.name();
        let i = h.iter().position(|c| c == fr).unwrap();
        assert_eq!(h[i + 1], format!("{fr}_lo"));
        assert_eq!(h[i + 2], format!("{fr}_hi"));
        assert_eq!(h[i + 3], Rate::Detection.name());
        assert_eq!(h[i + 4], Rate::Escape.name());
    }

    #[test]
    fn rows_read_back_as_written() {
        let rows = vec![
            ParetoRecord {
                policy: "gated[bake=30,x=\"y\"]".into(),
                deploy_p50_s: Some(120.5),
                deploy_p50_lo_s: Some(100.0),
                deploy_p50_hi_s: Some(130.25),
                deploy_scenario: "good-release".into(),
                false_rollback_rate: Some(0.0),
                false_rollback_rate_lo: Some(0.0),
                false_rollback_rate_hi: Some(0.5),
                eligible: true,
                ..ParetoRecord::default()
            },
            ParetoRecord::default(),
        ];
        let bytes = to_bytes(&rows);
        assert_eq!(from_bytes(&bytes).unwrap(), rows);
        assert_eq!(to_bytes(&from_bytes(&bytes).unwrap()), bytes);
        let text = String::from_utf8(bytes).unwrap();
        let e = from_bytes(text.replacen(",true,", ",yes,", 1).as_bytes()).unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(2), Some("eligible")),
            "{e}"
        );
    }
}
