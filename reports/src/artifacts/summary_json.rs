//! `summary.json` of a sweep: everything it concluded, as one document with its own
//! `schema_version`.

use serde::{Deserialize, Serialize};

use super::{ArtifactError, check_schema_version, json_from_bytes, json_to_bytes};
use crate::SCHEMA_VERSION;
use crate::sweep::frontier::{ParetoPoint, Recommendation};
use crate::sweep::group::{GroupSummary, Paired};

pub const FILE_NAME: &str = "summary.json";

/// The document, keys in this order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryJson {
    pub schema_version: u32,
    pub master_seed: u64,
    pub seeds: u64,
    pub bootstrap_resamples: usize,
    pub baseline: String,
    /// One per (scenario, policy), in run order.
    pub groups: Vec<GroupSummary>,
    pub paired: Vec<Paired>,
    /// One per policy, in manifest order.
    pub pareto: Vec<ParetoPoint>,
    pub recommendation: Recommendation,
}

impl SummaryJson {
    /// Pretty-printed, keys in a fixed order, ending in a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        json_to_bytes(self)
    }

    /// Refuses another `schema_version` before reading the rest.
    pub fn from_bytes(bytes: &[u8]) -> Result<SummaryJson, ArtifactError> {
        check_schema_version(bytes, SCHEMA_VERSION, "")?;
        json_from_bytes(bytes)
    }
}

impl SummaryJson {
    /// Whether this summary is of `m`'s sweep: one group per scenario × policy in run
    /// order, one Pareto point per policy. The reason names `manifest.json`.
    pub fn check_matches(&self, m: &super::manifest::Manifest) -> Result<(), String> {
        let manifest = super::manifest::FILE_NAME;
        let expected: Vec<(&str, &str)> = m
            .scenarios
            .iter()
            .flat_map(|s| {
                m.policies
                    .iter()
                    .map(move |p| (s.name.as_str(), p.name.as_str()))
            })
            .collect();
        let found: Vec<(&str, &str)> = self
            .groups
            .iter()
            .map(|g| (g.scenario.as_str(), g.policy.as_str()))
            .collect();
        if found != expected {
            return Err(format!(
                "its groups do not match {manifest} ({} groups, expected {} scenario × policy pairs in run order); was the sweep rerun without its summaries?",
                found.len(),
                expected.len()
            ));
        }
        if self
            .pareto
            .iter()
            .map(|p| p.policy.as_str())
            .ne(m.policies.iter().map(|p| p.name.as_str()))
        {
            return Err(format!(
                "its Pareto points do not match the policies of {manifest}"
            ));
        }
        Ok(())
    }
}
