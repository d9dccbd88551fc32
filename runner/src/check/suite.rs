//! The suite file of `rollcage check`: TOML with a `schema_version`, read with every
//! problem reported at once.
//!
//! ```toml
//! schema_version = 1
//! name = "checkout"
//! policies = ["careful.toml"]           # built-in names or files beside the suite
//! scenarios = ["good-release", "memory-leak", "checkout-leak.toml"]
//! seeds = 40
//! seed = 1                              # master seed (default 1)
//! set = ["scenario.run.horizon_seconds=1800"]
//! judge = "estimate"                    # or "interval"
//! assertions = [
//!   "memory-leak: detection_rate >= 0.95",
//!   "good-release: false_rollback_rate <= 1%",
//!   "all: budget_consumed.p95 <= 2%",
//!   "good-release: deploy_duration.p50 <= 20m",
//! ]
//! ```

use std::path::{Path, PathBuf};

use config::{Doc, Problem, Problems, Section, Value};
use reports::check::{Assertion, Judge};

use crate::RunnerError;
use crate::inputs::{load_policy, load_scenario, parse_override};

/// The suite file format this build reads.
pub const SCHEMA_VERSION: i64 = 1;

/// A suite, checked and resolved.
#[derive(Clone, Debug)]
pub struct Suite {
    pub name: String,
    /// Scenario and policy specs as the sweep takes them (built-in names or paths).
    pub scenarios: Vec<String>,
    /// The scenarios' own names, in the same order (what assertions refer to).
    pub scenario_names: Vec<String>,
    pub policies: Vec<String>,
    pub seeds: u64,
    pub master_seed: u64,
    pub sets: Vec<String>,
    pub judge: Judge,
    pub bootstrap: usize,
    pub assertions: Vec<Assertion>,
}

fn strings(s: &Section<'_>, key: &str, required: bool) -> Vec<String> {
    match s.raw(key) {
        None => {
            if required {
                s.problem(key, "missing: a list of strings");
            }
            Vec::new()
        }
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, v) in items.iter().enumerate() {
                match v.as_str() {
                    Some(x) => out.push(x.to_string()),
                    None => s.problem(
                        &format!("{key}[{i}]"),
                        format!("expected a string, found {}", config::describe(v)),
                    ),
                }
            }
            if required && items.is_empty() {
                s.problem(key, "must not be empty");
            }
            out
        }
        Some(v) => {
            s.problem(
                key,
                format!("expected a list of strings, found {}", config::describe(v)),
            );
            Vec::new()
        }
    }
}

/// A spec as the sweep should take it: a built-in name stays, a file beside the suite
/// is found there, anything else stays as written (so that its error can suggest a
/// built-in).
fn beside(suite_dir: &Path, spec: &str, builtin: bool) -> String {
    let p = PathBuf::from(spec);
    if builtin || p.is_absolute() {
        return spec.to_string();
    }
    let near = suite_dir.join(&p);
    if near.exists() {
        near.to_string_lossy().into_owned()
    } else {
        spec.to_string()
    }
}

impl Suite {
    /// Reads a suite file: its keys, then its scenarios and policies (so that problems
    /// in those files, and assertions naming a scenario the suite does not run, are all
    /// reported with the rest).
    pub fn load(path: &Path) -> Result<Suite, RunnerError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RunnerError::io(path, e))?;
        let doc = Doc::parse(&shown, &text)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut problems: Vec<Problem> = Vec::new();
        let suite = {
            let root = doc.root();
            root.schema_version(SCHEMA_VERSION);
            let judge = match root.choice("judge", "estimate", &["estimate", "interval"]) {
                "interval" => Judge::Interval,
                _ => Judge::Estimate,
            };
            let raw_assertions = strings(&root, "assertions", true);
            let mut assertions = Vec::new();
            for (i, a) in raw_assertions.iter().enumerate() {
                match Assertion::parse(a) {
                    Ok(a) => assertions.push(a),
                    Err(why) => root.problem(&format!("assertions[{i}]"), format!("`{a}`: {why}")),
                }
            }
            let sets = strings(&root, "set", false);
            for (i, s) in sets.iter().enumerate() {
                if let Err(p) = parse_override(s) {
                    root.problem(&format!("set[{i}]"), p.reason);
                }
            }
            let names_s = crate::inputs::scenario_names();
            let names_p = crate::inputs::policy_names();
            Suite {
                name: root.str("name", "unnamed").to_string(),
                scenarios: strings(&root, "scenarios", true)
                    .iter()
                    .map(|s| beside(dir, s, names_s.contains(&s.as_str())))
                    .collect(),
                scenario_names: Vec::new(),
                policies: strings(&root, "policies", true)
                    .iter()
                    .map(|p| beside(dir, p, names_p.contains(&p.as_str())))
                    .collect(),
                seeds: root.u64("seeds", 30).max(1),
                master_seed: root.u64("seed", 1),
                sets,
                judge,
                bootstrap: root.u64("bootstrap", 1000) as usize,
                assertions,
            }
        };
        problems.extend(doc.problems());
        let mut suite = suite;
        // The scenarios and policies themselves, with the suite's overrides.
        let overrides: Vec<_> = suite
            .sets
            .iter()
            .filter_map(|s| parse_override(s).ok())
            .collect();
        let mut take = |e: RunnerError, key: String| match e {
            RunnerError::Config(Problems(ps)) => problems.extend(ps),
            other => problems.push(Problem {
                origin: shown.clone(),
                key,
                reason: other.to_string(),
            }),
        };
        for (i, spec) in suite.scenarios.iter().enumerate() {
            match load_scenario(spec, &overrides) {
                Ok((s, _)) => suite.scenario_names.push(s.name),
                Err(e) => take(e, format!("scenarios[{i}]")),
            }
        }
        for (i, spec) in suite.policies.iter().enumerate() {
            if let Err(e) = load_policy(spec, &overrides) {
                take(e, format!("policies[{i}]"));
            }
        }
        if suite.scenario_names.len() == suite.scenarios.len() {
            for (i, a) in suite.assertions.iter().enumerate() {
                if let Some(s) = &a.scenario
                    && !suite.scenario_names.contains(s)
                {
                    let hint = config::suggest(s, suite.scenario_names.iter().map(String::as_str))
                        .map(|n| format!(" (did you mean `{n}`?)"))
                        .unwrap_or_default();
                    problems.push(Problem {
                        origin: shown.clone(),
                        key: format!("assertions[{i}]"),
                        reason: format!(
                            "`{}`: the suite runs no scenario named `{s}`{hint}; it runs {}",
                            a.text,
                            suite.scenario_names.join(", ")
                        ),
                    });
                }
            }
        }
        if problems.is_empty() {
            Ok(suite)
        } else {
            Err(Problems(problems).into())
        }
    }
}
