//! From `rollcage tune`'s flags and space file to a checked plan: every candidate (the
//! parameters' cartesian product, first parameter slowest, named as a sweep names a
//! grid combination) read as a policy, the race's spec, the limits on the runs it may
//! make, and the manifest. Nothing runs until all of it checks out.

use std::collections::BTreeSet;
use std::path::PathBuf;

use policies::Policy;
use reports::artifacts::manifest::GridAxis;
use reports::artifacts::tune_json;
use reports::artifacts::tune_manifest::{TuneManifest, TunePolicy, TuneScenario};
use reports::tune::RaceSpec;

use crate::RunnerError;
use crate::inputs::{Override, load_policy, parse_override};
use crate::limits;
use crate::sweep::plan::{combinations, variant_name};

use super::space::{Space, problems_text};

/// What the user asked for, before anything is read.
#[derive(Clone, Debug)]
pub struct TuneRequest {
    pub space: PathBuf,
    pub master_seed: u64,
    /// `--confidence`, in place of the space's.
    pub confidence: Option<f64>,
    /// `--budget-runs`.
    pub budget_runs: Option<u64>,
    /// `--exhaustive`: every candidate on every seed, nothing eliminated.
    pub exhaustive: bool,
    /// Overrides applied after the space's own (`--engine`).
    pub sets: Vec<String>,
}

/// One combination of the parameters' values.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// `gated-10pct[max_surge=25%,bake_seconds=60]`.
    pub name: String,
    pub values: Vec<String>,
    /// The policy, or why the combination is not one.
    pub policy: Result<Policy, String>,
}

impl Candidate {
    /// The `--set` words that make the base policy this candidate.
    pub fn sets(&self, space: &Space) -> Vec<String> {
        space
            .parameters
            .iter()
            .zip(&self.values)
            .map(|(p, v)| format!("{}={v}", p.key))
            .collect()
    }
}

/// A checked tune.
pub struct TunePlan {
    pub request: TuneRequest,
    pub space: Space,
    pub candidates: Vec<Candidate>,
    pub spec: RaceSpec,
    pub manifest: TuneManifest,
    /// The uncertain parameters' keys over every scenario: `tune-runs.csv`'s `param.`
    /// columns.
    pub param_keys: Vec<String>,
    /// Lines for stderr: the import's notes, and the combinations left out.
    pub notes: Vec<String>,
}

impl TunePlan {
    /// Runs an exhaustive grid of the valid candidates over the same seeds makes.
    pub fn grid_runs(&self) -> u64 {
        let valid = self.candidates.iter().filter(|c| c.policy.is_ok()).count() as u64;
        valid * self.space.scenarios.len() as u64 * self.spec.schedule.max_seeds
    }

    /// The parameters' keys, in the space's order.
    pub fn keys(&self) -> Vec<String> {
        self.space
            .parameters
            .iter()
            .map(|p| p.key.clone())
            .collect()
    }
}

/// Reads the space and every candidate, and checks the counts, before anything runs.
pub fn plan(req: TuneRequest, program: &str) -> Result<TunePlan, RunnerError> {
    let mut space = Space::load(&req.space, req.confidence)?;
    space.sets.extend(req.sets.iter().cloned());
    let shown = req.space.display().to_string();
    let usage = |why: String| RunnerError::Usage(format!("{shown}: {why}"));
    let axes: Vec<GridAxis> = space
        .parameters
        .iter()
        .map(|p| GridAxis {
            key: p.key.clone(),
            values: p.values.clone(),
        })
        .collect();
    let lengths: Vec<u64> = axes.iter().map(|a| a.values.len() as u64).collect();
    limits::variants(1, &lengths).map_err(|e| usage(format!("parameters: {e}")))?;
    let overrides: Vec<Override> = space
        .sets
        .iter()
        .filter_map(|s| parse_override(s).ok())
        .collect();
    let opts = space.import.read()?;
    let mut notes = space.notes.clone();
    let mut candidates = Vec::new();
    for values in combinations(&axes) {
        let mut with = overrides.clone();
        for (axis, v) in axes.iter().zip(&values) {
            with.push(parse_override(&format!("{}={v}", axis.key)).expect("checked keys"));
        }
        let name = variant_name(&space.policy.name, &axes, &values);
        let policy = load_policy(&space.policy_spec, &with, &opts)
            .map(|l| {
                for n in l.notes {
                    if !notes.contains(&n) {
                        notes.push(n);
                    }
                }
                l.policy
            })
            .map_err(|e| problems_text(&e));
        candidates.push(Candidate {
            name,
            values,
            policy,
        });
    }
    let invalid: Vec<&Candidate> = candidates.iter().filter(|c| c.policy.is_err()).collect();
    if invalid.len() == candidates.len() {
        let c = &candidates[0];
        return Err(usage(format!(
            "none of the {} combinations is a valid policy; e.g. {}: {}",
            candidates.len(),
            c.name,
            c.policy.as_ref().expect_err("invalid")
        )));
    }
    if let Some(first) = invalid.first() {
        notes.push(format!(
            "note: {} of the {} combinations are not valid policies and are left out (tune.csv says why), e.g. {}: {}",
            invalid.len(),
            candidates.len(),
            first.name,
            first.policy.as_ref().expect_err("invalid")
        ));
    }
    let scenarios = space.scenario_specs();
    let spec = RaceSpec {
        scenarios: scenarios.clone(),
        objective: space.objective,
        limits: space.limits.clone(),
        assertions: space.assertions.clone(),
        schedule: space.schedule,
        confidence: space.confidence,
        bootstrap: space.bootstrap,
        master_seed: req.master_seed,
        budget_runs: req.budget_runs,
        exhaustive: req.exhaustive,
    };
    let valid = (candidates.len() - invalid.len()) as u64;
    reports::tune::Race::check_budget(&spec, valid).map_err(RunnerError::Usage)?;
    let s = scenarios.len() as u64;
    let grid = valid
        .checked_mul(s)
        .and_then(|x| x.checked_mul(space.schedule.max_seeds));
    let base_runs = s * space.schedule.max_seeds;
    let held = match (grid, req.budget_runs) {
        (Some(g), Some(b)) => Some(g.min(b)),
        (g, None) => g,
        (None, Some(b)) => Some(b),
    }
    .and_then(|r| r.checked_add(base_runs));
    if held.is_none_or(|h| h > limits::MAX_TUNE_RUNS) {
        return Err(usage(format!(
            "{valid} candidates × {s} scenarios × {} seeds{} is more than the {} runs a tune may make (it keeps every run's figures); give a smaller --budget-runs, fewer values or fewer max_seeds",
            space.schedule.max_seeds,
            req.budget_runs
                .map_or(String::new(), |b| format!(" (a budget of {b})")),
            limits::MAX_TUNE_RUNS
        )));
    }
    if req.exhaustive
        && let (Some(b), Some(g)) = (req.budget_runs, grid)
        && b < g
    {
        return Err(RunnerError::Usage(format!(
            "--exhaustive runs every candidate on every seed: {g} runs, more than --budget-runs {b}"
        )));
    }
    let param_keys: Vec<String> = space
        .scenarios
        .iter()
        .flat_map(|s| s.scenario.uncertain_params().iter().map(|p| p.key.clone()))
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    let manifest = TuneManifest {
        schema_version: reports::SCHEMA_VERSION,
        program: program.to_string(),
        space: shown.clone(),
        name: space.name.clone(),
        master_seed: req.master_seed,
        confidence: space.confidence,
        budget_runs: req.budget_runs,
        exhaustive: req.exhaustive,
        bootstrap_resamples: space.bootstrap,
        schedule: space.schedule,
        objective: space.objective,
        limits: space.limits.clone(),
        scenarios: space
            .scenarios
            .iter()
            .zip(&scenarios)
            .map(|(s, spec)| TuneScenario {
                spec: spec.clone(),
                source: s.source.clone(),
                resolved: serde_json::to_value(&s.scenario).expect("scenario serializes"),
            })
            .collect(),
        policy: TunePolicy {
            name: space.policy.name.clone(),
            source: space.policy_source.clone(),
            resolved: serde_json::to_value(&space.policy).expect("policy serializes"),
        },
        parameters: space
            .parameters
            .iter()
            .map(|p| tune_json::Parameter {
                key: p.key.clone(),
                values: p.values.clone(),
            })
            .collect(),
        overrides: space.sets.clone(),
        import: space.import.words(),
        candidates: candidates.len() as u64,
        param_keys: param_keys.clone(),
    };
    Ok(TunePlan {
        request: req,
        space,
        candidates,
        spec,
        manifest,
        param_keys,
        notes,
    })
}
