//! `tune-manifest.json` of a tune: every input, resolved (the space file as given, its
//! scenarios and base policy as read, the parameters' values, the objective, limits,
//! schedule, confidence, budget, master seed and the program's version). It is written
//! first; `--resume` continues only a directory whose manifest has the same bytes, so
//! the rows already there are the runs this tune would make.

use serde::{Deserialize, Serialize};

use super::tune_json::Parameter;
use super::{ArtifactError, check_schema_version, json_from_bytes, json_to_bytes};
use crate::SCHEMA_VERSION;
use crate::tune::{Limits, Objective, ScenarioSpec, Schedule};

pub const FILE_NAME: &str = "tune-manifest.json";

/// A scenario as given and as read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuneScenario {
    #[serde(flatten)]
    pub spec: ScenarioSpec,
    /// `built-in`, or the file.
    pub source: String,
    pub resolved: serde_json::Value,
}

/// The base policy as given and as read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TunePolicy {
    pub name: String,
    pub source: String,
    pub resolved: serde_json::Value,
}

/// The document, keys in this order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuneManifest {
    pub schema_version: u32,
    pub program: String,
    pub space: String,
    pub name: String,
    pub master_seed: u64,
    pub confidence: f64,
    pub budget_runs: Option<u64>,
    pub exhaustive: bool,
    pub bootstrap_resamples: usize,
    pub schedule: Schedule,
    pub objective: Objective,
    pub limits: Limits,
    pub scenarios: Vec<TuneScenario>,
    pub policy: TunePolicy,
    pub parameters: Vec<Parameter>,
    /// The space's `set`, applied to every scenario and to the base policy.
    pub overrides: Vec<String>,
    /// `--analysis` and `--map-metric` of a manifest policy, as words.
    pub import: Vec<String>,
    /// Combinations of the parameters' values, valid or not.
    pub candidates: u64,
    /// The uncertain parameters' keys over every scenario, in `tune-runs.csv`'s
    /// `param.` column order.
    pub param_keys: Vec<String>,
}

impl TuneManifest {
    pub fn to_bytes(&self) -> Vec<u8> {
        json_to_bytes(self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<TuneManifest, ArtifactError> {
        check_schema_version(bytes, SCHEMA_VERSION, "")?;
        json_from_bytes(bytes)
    }

    /// The parameters' keys: `tune-runs.csv`'s and `tune.csv`'s columns between the
    /// candidate and the rest.
    pub fn keys(&self) -> Vec<String> {
        self.parameters.iter().map(|p| p.key.clone()).collect()
    }
}
