//! `tune.json` of a tune: what was searched (the space's parameters and scenarios,
//! the objective, the limits, the schedule), how the race went round by round, why it
//! stopped, the chosen policy and those it could not be separated from, every
//! candidate's result (as `tune.csv`), and the chosen policy against the base policy,
//! paired on the same seeds. The tune's report is drawn from it (`rollcage report DIR`
//! reads it back).

use serde::{Deserialize, Serialize};

use super::{ArtifactError, check_schema_version, json_from_bytes, json_to_bytes};
use crate::SCHEMA_VERSION;
use crate::stats::Estimate;
use crate::sweep::Paired;
use crate::tune::{
    CandidateResult, Limits, Objective, RoundRecord, ScenarioSpec, Schedule, Stop, Verdict,
};

pub const FILE_NAME: &str = "tune.json";

/// One parameter of the space and the values it takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// `policy.max_surge`, `policy.gates[0].threshold`.
    pub key: String,
    pub values: Vec<String>,
}

/// How many runs the tune made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    /// Runs of the race.
    pub race: u64,
    /// Runs of the base policy, for the comparison with the chosen one.
    pub base: u64,
    /// Runs an exhaustive grid of the valid candidates over the same seeds takes:
    /// every candidate on the most seeds of every scenario.
    pub grid: u64,
    /// `--budget-runs`, if given.
    pub budget: Option<u64>,
}

/// The chosen policy against the base policy on the seeds the chosen one ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersusBase {
    pub base: String,
    /// The base policy is one of the candidates' policies: the chosen one itself
    /// (nothing to compare) or another.
    pub same_as_best: bool,
    pub seeds: u64,
    /// Chosen minus base, paired, with a 95% interval.
    pub objective: Option<Estimate>,
    /// Per scenario and figure, chosen minus base (`sweep`'s paired comparisons).
    pub paired: Vec<Paired>,
}

/// The document, keys in this order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuneJson {
    pub schema_version: u32,
    pub program: String,
    /// The space file as given.
    pub space: String,
    pub name: String,
    /// The base policy's name and where it came from.
    pub policy: String,
    pub policy_source: String,
    pub master_seed: u64,
    pub confidence: f64,
    pub exhaustive: bool,
    pub objective: Objective,
    pub limits: Limits,
    pub scenarios: Vec<ScenarioSpec>,
    pub parameters: Vec<Parameter>,
    pub schedule: Schedule,
    /// The error rate each round of the schedule spends: `(1 − confidence) / (steps +
    /// 1)`; catch-up rounds after the last step spend half as much each as the one
    /// before (each round's is in `rounds`).
    pub alpha_per_round: f64,
    pub runs: RunCounts,
    pub rounds: Vec<RoundRecord>,
    pub stop: Stop,
    /// The chosen candidate's name; `None` when no survivor meets the limits.
    pub best: Option<String>,
    /// One survivor left, meeting every limit: best with the requested confidence.
    pub confident: bool,
    /// Survivors meeting every limit that the race could not separate from the best.
    pub not_separated: Vec<String>,
    pub candidates: Vec<CandidateResult>,
    pub versus_base: Option<VersusBase>,
}

impl TuneJson {
    pub fn to_bytes(&self) -> Vec<u8> {
        json_to_bytes(self)
    }

    /// Refuses another `schema_version`, then checks the document hangs together:
    /// candidates in order, one value per parameter, the best and the not separated
    /// among them with those verdicts.
    pub fn from_bytes(bytes: &[u8]) -> Result<TuneJson, ArtifactError> {
        check_schema_version(bytes, SCHEMA_VERSION, "")?;
        let doc: TuneJson = json_from_bytes(bytes)?;
        doc.check().map_err(ArtifactError::file)?;
        Ok(doc)
    }

    fn check(&self) -> Result<(), String> {
        for (i, c) in self.candidates.iter().enumerate() {
            if c.index != i {
                return Err(format!(
                    "`candidates[{i}]`: index {}, expected {i}",
                    c.index
                ));
            }
            if c.values.len() != self.parameters.len() {
                return Err(format!(
                    "`candidates[{i}]`: {} values for {} parameters",
                    c.values.len(),
                    self.parameters.len()
                ));
            }
        }
        let verdict = |name: &str| {
            self.candidates
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.verdict)
        };
        if let Some(b) = &self.best
            && verdict(b) != Some(Verdict::Best)
        {
            return Err(format!(
                "`best`: {b} is not a candidate whose verdict is best"
            ));
        }
        for n in &self.not_separated {
            if verdict(n) != Some(Verdict::NotSeparated) {
                return Err(format!(
                    "`not_separated`: {n} is not a candidate not separated from the best"
                ));
            }
        }
        Ok(())
    }

    /// The chosen candidate's result.
    pub fn best_result(&self) -> Option<&CandidateResult> {
        let b = self.best.as_ref()?;
        self.candidates.iter().find(|c| &c.name == b)
    }

    /// Every run made: the race's and the base policy's.
    pub fn runs_used(&self) -> u64 {
        self.runs.race + self.runs.base
    }
}
