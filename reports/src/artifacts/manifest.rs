//! `manifest.json` of a sweep directory: everything the sweep was made from, written
//! first. Its `schema_version` versions every file of the directory (the CSV layouts
//! included). Two sweeps with equal manifests (shard aside) produce the same runs,
//! which is what `--resume` and `merge` check; a manifest read back is checked
//! against the same limits as a sweep's flags (`check_counts`), so a damaged or
//! hand-edited one is refused before anything is allocated.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ArtifactError, check_schema_version, json_from_bytes, json_to_bytes};
use crate::SCHEMA_VERSION;
use crate::limits::{self, MAX_SHARDS};
use crate::sweep::constraints::Constraints;

pub const FILE_NAME: &str = "manifest.json";

/// `--shard I/N`: the `I`-th of `N` slices, 0-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Parses `I/N` with `0 <= I < N <= MAX_SHARDS`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad =
            |why: &str| format!("{why}; expected I/N with 0 <= I < N <= {MAX_SHARDS}, e.g. 0/3");
        let (i, n) = s.split_once('/').ok_or_else(|| bad("no `/`"))?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| bad("I is not a whole number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| bad("N is not a whole number"))?;
        Shard { index, count }.check().map_err(|why| bad(&why))
    }

    /// `0 <= I < N <= MAX_SHARDS`: for `--shard` and for a manifest read back.
    pub fn check(self) -> Result<Shard, String> {
        if self.count == 0 {
            return Err("N must be at least 1".into());
        }
        if self.count > MAX_SHARDS {
            return Err(format!("N must be at most {MAX_SHARDS}"));
        }
        if self.index >= self.count {
            return Err("I must be less than N (shards count from 0)".into());
        }
        Ok(self)
    }

    /// How many of `seeds` replicates fall in this shard.
    pub fn replicates(&self, seeds: u64) -> u64 {
        if self.index >= seeds {
            0
        } else {
            (seeds - self.index).div_ceil(self.count)
        }
    }
}

/// One `--grid` axis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridAxis {
    /// As given, e.g. `policy.bake_seconds`.
    pub key: String,
    pub values: Vec<String>,
}

/// A scenario in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioEntry {
    pub name: String,
    /// `built-in` or the file as given.
    pub source: String,
    /// The scenario as read; for one with uncertain parameters, at their medians (each
    /// run's own values are in its row of `runs.csv`).
    pub resolved: serde_json::Value,
    /// The uncertain parameters, sorted by key; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncertain: Vec<UncertainEntry>,
}

/// An uncertain parameter of a scenario: its key and its distribution as `validate`
/// shows it (`uniform [0.5, 4]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UncertainEntry {
    pub key: String,
    pub distribution: String,
}

/// A policy variant in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyEntry {
    pub name: String,
    pub policy: String,
    pub source: String,
    pub grid_values: Vec<String>,
    pub resolved: serde_json::Value,
}

/// `manifest.json`: everything a sweep was made from. Two sweeps with equal manifests
/// (shard aside) produce the same runs, which is what `--resume` and `merge` check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The version of every file in the sweep directory (the CSV layouts included).
    pub schema_version: u32,
    pub program: String,
    pub master_seed: u64,
    pub seeds: u64,
    pub runs: u64,
    pub run_order: String,
    pub scenarios: Vec<ScenarioEntry>,
    pub policies: Vec<PolicyEntry>,
    pub grid: Vec<GridAxis>,
    pub overrides: Vec<String>,
    pub baseline: String,
    pub bootstrap_resamples: usize,
    pub constraints: Constraints,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The import flags of manifest policies (`--analysis FILE`, `--map-metric M`) as
    /// command-line words, for a command reproducing a run; absent when none were given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub import: Vec<String>,
    /// Every run was paired with its counterfactual twin (`--counterfactual`), so
    /// `runs.csv` and the summaries carry the counterfactual figures; absent when not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub counterfactual: bool,
}

pub const RUN_ORDER: &str = "run_id = (scenario_index * policies + policy_index) * seeds + replicate; shard I/N holds the replicates k with k mod N = I";

impl Manifest {
    /// Pretty JSON ending in a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        json_to_bytes(self)
    }

    /// Reads a manifest back and checks its counts (`check_counts`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Manifest, ArtifactError> {
        check_schema_version(bytes, SCHEMA_VERSION, "")?;
        let m: Manifest = json_from_bytes(bytes)?;
        m.check_counts().map_err(ArtifactError::file)?;
        Ok(m)
    }

    /// The figures this sweep's runs carry.
    pub fn figures(&self) -> crate::vocab::Figures {
        crate::vocab::Figures {
            counterfactual: self.counterfactual,
        }
    }

    pub fn grid_keys(&self) -> Vec<String> {
        self.grid.iter().map(|a| a.key.clone()).collect()
    }

    /// Every scenario's uncertain parameters' keys, sorted, each once: the `param.`
    /// columns of `runs.csv`.
    pub fn param_keys(&self) -> Vec<String> {
        let keys: std::collections::BTreeSet<&str> = self
            .scenarios
            .iter()
            .flat_map(|s| s.uncertain.iter().map(|u| u.key.as_str()))
            .collect();
        keys.into_iter().map(String::from).collect()
    }

    pub fn policy_names(&self) -> Vec<String> {
        self.policies.iter().map(|p| p.name.clone()).collect()
    }

    /// Checks the counts of a manifest read back from a file (`merge`, `report`), so
    /// that a damaged or hand-edited one is refused instead of dividing by zero,
    /// overflowing, or allocating without bound. Returns the reason.
    pub fn check_counts(&self) -> Result<(), String> {
        if self.scenarios.is_empty() || self.policies.is_empty() {
            return Err("a sweep with no scenarios or no policies".into());
        }
        limits::check_seeds(self.seeds).map_err(|e| format!("`seeds`: {e}"))?;
        // Only the upper bound matters when reading back: it bounds the memory the
        // summaries take (a sweep written by an older build may have used fewer).
        if self.bootstrap_resamples as u64 > limits::MAX_BOOTSTRAP {
            return Err(format!(
                "`bootstrap_resamples`: {} is more than {}",
                self.bootstrap_resamples,
                limits::MAX_BOOTSTRAP
            ));
        }
        let runs = limits::runs(
            self.scenarios.len() as u64,
            self.policies.len() as u64,
            self.seeds,
        )?;
        if runs != self.runs {
            return Err(format!(
                "`runs` is {}, but {} scenarios × {} policies × {} seeds make {runs}",
                self.runs,
                self.scenarios.len(),
                self.policies.len(),
                self.seeds
            ));
        }
        if let Some(s) = self.shard {
            s.check().map_err(|e| format!("`shard` {s}: {e}"))?;
        }
        let axes = self.grid.len();
        if let Some(p) = self.policies.iter().find(|p| p.grid_values.len() != axes) {
            return Err(format!(
                "policy {} has {} grid values for {axes} grid keys",
                p.name,
                p.grid_values.len()
            ));
        }
        Ok(())
    }

    /// The (scenario, policy, replicate) of a run id.
    pub fn locate(&self, run_id: u64) -> (usize, usize, u64) {
        let group = run_id / self.seeds;
        let v = self.policies.len() as u64;
        (
            (group / v) as usize,
            (group % v) as usize,
            run_id % self.seeds,
        )
    }

    /// How many runs this directory holds when complete.
    pub fn shard_runs(&self) -> u64 {
        let groups = (self.scenarios.len() * self.policies.len()) as u64;
        groups * self.shard.map_or(self.seeds, |s| s.replicates(self.seeds))
    }

    /// The run id at `position` within this directory's runs.
    pub fn run_at(&self, position: u64) -> u64 {
        match self.shard {
            None => position,
            Some(s) => {
                let per_group = s.replicates(self.seeds);
                let (group, j) = (position / per_group, position % per_group);
                group * self.seeds + s.index + j * s.count
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            schema_version: SCHEMA_VERSION,
            program: "rollcage 0.1.0".into(),
            master_seed: 7,
            seeds: 3,
            runs: 6,
            run_order: RUN_ORDER.into(),
            scenarios: vec![ScenarioEntry {
                name: "steady".into(),
                source: "built-in".into(),
                resolved: serde_json::json!({"run": {"horizon_seconds": 600.5}}),
                uncertain: vec![UncertainEntry {
                    key: "traffic.rate".into(),
                    distribution: "uniform [100, 900]".into(),
                }],
            }],
            policies: ["a", "b"]
                .map(|p| PolicyEntry {
                    name: format!("{p}[bake=30]"),
                    policy: p.into(),
                    source: "built-in".into(),
                    grid_values: vec!["30".into()],
                    resolved: serde_json::json!({"kind": "rolling"}),
                })
                .to_vec(),
            grid: vec![GridAxis {
                key: "policy.bake".into(),
                values: vec!["30".into()],
            }],
            overrides: vec![],
            baseline: "a[bake=30]".into(),
            bootstrap_resamples: 100,
            constraints: Constraints::default(),
            shard: Some(Shard { index: 1, count: 2 }),
            import: vec!["--analysis".into(), "templates.yaml".into()],
            counterfactual: false,
        }
    }

    #[test]
    fn manifests_read_back_as_written() {
        let m = manifest();
        let bytes = m.to_bytes();
        assert_eq!(Manifest::from_bytes(&bytes).unwrap(), m);
        assert_eq!(Manifest::from_bytes(&bytes).unwrap().to_bytes(), bytes);
        // Without --counterfactual the key is absent: a manifest reads as it always did.
        assert!(!String::from_utf8_lossy(&bytes).contains("counterfactual"));
        let cf = Manifest {
            counterfactual: true,
            ..manifest()
        };
        let bytes = cf.to_bytes();
        assert!(String::from_utf8_lossy(&bytes).contains("\"counterfactual\": true"));
        assert_eq!(Manifest::from_bytes(&bytes).unwrap(), cf);
        assert_eq!(cf.figures(), crate::vocab::Figures::EVERY);
    }

    #[test]
    fn bad_manifests_name_where_and_why() {
        let text = String::from_utf8(manifest().to_bytes()).unwrap();
        let e = Manifest::from_bytes(text.replace("\"seeds\": 3", "\"seeds\": -3").as_bytes())
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("seeds"), "{e}");
        assert!(e.line.is_some() && e.column.is_some(), "{e}");
        let e = Manifest::from_bytes(text.replace("\"runs\": 6", "\"runs\": 7").as_bytes())
            .unwrap_err();
        assert!(e.reason.contains("`runs` is 7"), "{e}");
        let e = Manifest::from_bytes(
            text.replace("\"schema_version\": 1", "\"schema_version\": 2")
                .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "schema_version 2; this build reads schema_version 1"
        );
        let e = Manifest::from_bytes(b"[1, 2").unwrap_err();
        assert!(e.reason.starts_with("not valid JSON"), "{e}");
    }
}
