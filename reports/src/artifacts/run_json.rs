//! `run.json` of `rollcage run --out` (and `run --json` on stdout): what the run was
//! made from and every figure of `RunMetrics`, flattened beside them.

use serde::{Deserialize, Serialize};

use super::{ArtifactError, check_schema_version, json_from_bytes, json_to_bytes};
use crate::SCHEMA_VERSION;
use crate::metrics::RunMetrics;

pub const FILE_NAME: &str = "run.json";

/// What a run was made from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// The values this run drew for the scenario's uncertain parameters, by key
    /// (sorted); `scenario_resolved` holds them in place. Absent for a scenario without
    /// uncertain parameters.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<String, f64>,
    /// The engine that made the run (`per-request` or `fluid`), when the scenario
    /// chose one (`run.engine`, `--engine`); absent is the per-request default, so
    /// outputs made before the choice existed read the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
}

/// The document: keys in this order, the metrics' keys after `inputs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunJson {
    pub schema_version: u32,
    /// The program that wrote it (`rollcage 0.1.0`).
    pub program: String,
    pub inputs: RunInputs,
    #[serde(flatten)]
    pub metrics: RunMetrics,
}

impl RunJson {
    /// A document of this build's schema.
    pub fn new(inputs: RunInputs, metrics: RunMetrics, program: &str) -> RunJson {
        RunJson {
            schema_version: SCHEMA_VERSION,
            program: program.to_string(),
            inputs,
            metrics,
        }
    }

    /// Pretty-printed, keys in a fixed order, ending in a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        json_to_bytes(self)
    }

    /// Refuses another `schema_version` before reading the rest.
    pub fn from_bytes(bytes: &[u8]) -> Result<RunJson, ArtifactError> {
        check_schema_version(bytes, SCHEMA_VERSION, "")?;
        json_from_bytes(bytes)
    }

    /// A number the resolved scenario holds at `path` (`run.horizon_seconds`), if any.
    pub fn scenario_number(&self, path: &str) -> Option<f64> {
        path.split('.')
            .try_fold(&self.inputs.scenario_resolved, |v, k| v.get(k))
            .and_then(serde_json::Value::as_f64)
    }
}
