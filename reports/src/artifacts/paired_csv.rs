//! `paired.csv` of a sweep: every policy minus the baseline, per scenario and compared
//! quantity (`Quantity::all()`: the rates, then the summarised figures). Versioned by
//! the sweep's `manifest.json`.

use serde::{Deserialize, Serialize};

use super::{ArtifactError, cell, csv_from_bytes, csv_to_bytes};
use crate::stats::Estimate;
use crate::sweep::group::Paired;
use crate::vocab::{Quantity, Rate};

pub const FILE_NAME: &str = "paired.csv";

/// One row: the mean paired difference (policy minus baseline) and its interval,
/// empty when there were too few pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedRecord {
    pub scenario: String,
    pub policy: String,
    pub baseline: String,
    pub metric: Quantity,
    pub pairs: u64,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub mean_difference: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub mean_difference_lo: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub mean_difference_hi: Option<f64>,
}

impl Default for PairedRecord {
    /// Only for the header (`csv_header`).
    fn default() -> Self {
        PairedRecord {
            scenario: String::new(),
            policy: String::new(),
            baseline: String::new(),
            metric: Quantity::Rate(Rate::Detection),
            pairs: 0,
            mean_difference: None,
            mean_difference_lo: None,
            mean_difference_hi: None,
        }
    }
}

impl PairedRecord {
    pub fn from_paired(p: &Paired) -> PairedRecord {
        let d = p.difference;
        PairedRecord {
            scenario: p.scenario.clone(),
            policy: p.policy.clone(),
            baseline: p.baseline.clone(),
            metric: p.metric,
            pairs: p.pairs,
            mean_difference: d.map(|e| e.value),
            mean_difference_lo: d.map(|e| e.lo),
            mean_difference_hi: d.map(|e| e.hi),
        }
    }

    /// The difference as an estimate, if all three cells are there.
    pub fn difference(&self) -> Option<Estimate> {
        Some(Estimate {
            value: self.mean_difference?,
            lo: self.mean_difference_lo?,
            hi: self.mean_difference_hi?,
        })
    }
}

pub fn records(paired: &[Paired]) -> Vec<PairedRecord> {
    paired.iter().map(PairedRecord::from_paired).collect()
}

pub fn to_bytes(rows: &[PairedRecord]) -> Vec<u8> {
    csv_to_bytes(rows)
}

pub fn from_bytes(bytes: &[u8]) -> Result<Vec<PairedRecord>, ArtifactError> {
    Ok(csv_from_bytes(bytes)?.into_iter().map(|(_, r)| r).collect())
}
