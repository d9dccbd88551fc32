//! `power.json` of a power analysis: what was swept, on what, and every detector's
//! power at every point with its minimum detectable effects. It is what the power
//! report is drawn from (`rollcage report DIR` reads it back).

use serde::{Deserialize, Serialize};

use super::{ArtifactError, check_schema_version, json_from_bytes, json_to_bytes};
use crate::SCHEMA_VERSION;
use crate::power::{DetectorPower, EffectKey, POLICY_DETECTOR};

pub const FILE_NAME: &str = "power.json";

/// The swept key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EffectSweep {
    /// `candidate.error_probability`, ...
    pub key: String,
    /// The baseline's value of the key: the no-regression point.
    pub baseline: f64,
    pub from: f64,
    pub to: f64,
    /// Points from `from` to `to` (the no-regression point comes on top).
    pub points: usize,
    /// How they are spaced: `linear` (evenly, both ends included).
    pub spacing: String,
}

/// The document, keys in this order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerJson {
    pub schema_version: u32,
    pub program: String,
    pub scenario: String,
    pub scenario_source: String,
    pub policy: String,
    pub policy_source: String,
    /// The policy's kind (`rolling`, `canary`, ...).
    pub policy_kind: String,
    /// Whether the policy routes a weight of traffic to the candidate (a canary behind
    /// a traffic router): then the weight at detection is the canary weight; otherwise
    /// it is the candidate pods' share of the traffic.
    pub traffic_routed: bool,
    /// `--set` overrides, as given.
    pub overrides: Vec<String>,
    pub effect: EffectSweep,
    pub master_seed: u64,
    pub seeds: u64,
    pub bootstrap_resamples: usize,
    /// The values run, the no-regression point first.
    pub values: Vec<f64>,
    /// The policy first, then each gate in the policy's order.
    pub detectors: Vec<DetectorPower>,
}

impl PowerJson {
    pub fn to_bytes(&self) -> Vec<u8> {
        json_to_bytes(self)
    }

    /// Refuses another `schema_version`, then checks the document hangs together: a
    /// known key, the policy first, every detector with one point per value.
    pub fn from_bytes(bytes: &[u8]) -> Result<PowerJson, ArtifactError> {
        check_schema_version(bytes, SCHEMA_VERSION, "")?;
        let doc: PowerJson = json_from_bytes(bytes)?;
        doc.check().map_err(ArtifactError::file)?;
        Ok(doc)
    }

    fn check(&self) -> Result<(), String> {
        if EffectKey::parse(&self.effect.key).is_none() {
            return Err(format!(
                "`effect.key`: {} is not a key power sweeps",
                self.effect.key
            ));
        }
        if self.detectors.first().map(|d| d.detector.as_str()) != Some(POLICY_DETECTOR) {
            return Err(format!("`detectors`: the first is not `{POLICY_DETECTOR}`"));
        }
        if self.values.len() != self.effect.points + 1 {
            return Err(format!(
                "`values`: {} values, expected the no-regression point and {} points",
                self.values.len(),
                self.effect.points
            ));
        }
        for (i, d) in self.detectors.iter().enumerate() {
            if d.points.len() != self.values.len()
                || d.points
                    .iter()
                    .zip(&self.values)
                    .enumerate()
                    .any(|(p, (pt, v))| pt.point != p || pt.value != *v)
            {
                return Err(format!(
                    "`detectors[{i}].points`: not one per value, in order"
                ));
            }
        }
        Ok(())
    }

    /// The swept key.
    pub fn key(&self) -> EffectKey {
        EffectKey::parse(&self.effect.key).expect("checked when read or built")
    }

    /// The policy as a whole.
    pub fn policy_power(&self) -> &DetectorPower {
        &self.detectors[0]
    }
}
