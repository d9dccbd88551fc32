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
//! analysis = ["templates.yaml"]         # --analysis files for manifest policies (beside the suite)
//! map_metric = ["success-rate/errors=error_ratio"]   # --map-metric mappings
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
use crate::inputs::{ImportFlags, Override, Target, load_policy, load_scenario, parse_override};
use crate::limits;

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
    /// `analysis` (files beside the suite) and `map_metric`: what `--analysis` and
    /// `--map-metric` give the commands that take a policy on the command line.
    pub import: ImportFlags,
}

/// A list of strings at `key`; a required one must be present and not empty.
fn strings(s: &Section<'_>, key: &str, required: bool) -> Vec<String> {
    let found = s.opt_strings(key);
    let empty_list = s
        .raw(key)
        .and_then(Value::as_array)
        .is_some_and(|a| a.is_empty());
    match found {
        None if required => s.problem(key, "missing: a list of strings"),
        Some(_) if required && empty_list => s.problem(key, "must not be empty"),
        _ => {}
    }
    found.unwrap_or_default()
}

/// A spec as the sweep should take it: a built-in name stays, a file beside the suite
/// is found there, anything else stays as written (so that its error can suggest a
/// built-in).
pub(crate) fn beside(suite_dir: &Path, spec: &str, builtin: bool) -> String {
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

/// A problem the suite's `set` caused is reported against the suite file and the
/// `set` entry, not as a `--set` the user never typed: `suite.toml: set[0]
/// "scenario.fleet.replicas=-1": fleet.replicas: must be ...`.
fn blame_set(p: Problem, suite: &str, sets: &[(usize, Override)], target: Target) -> Problem {
    if p.origin != "--set" {
        return p;
    }
    let hit = sets.iter().find(|(_, o)| {
        o.target == target && (p.key == o.key || p.key.starts_with(&format!("{}.", o.key)))
    });
    match hit {
        Some((i, o)) => Problem {
            origin: suite.to_string(),
            key: format!("set[{i}] {:?}", o.raw),
            reason: format!("{}: {}", p.key, p.reason),
        },
        None => p,
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
                seeds: match limits::check_seeds(root.u64("seeds", 30)) {
                    Ok(n) => n,
                    Err(why) => {
                        root.problem("seeds", why);
                        1
                    }
                },
                master_seed: root.u64("seed", 1),
                sets,
                judge,
                bootstrap: match limits::check_bootstrap(root.u64("bootstrap", 1000)) {
                    Ok(n) => n,
                    Err(why) => {
                        root.problem("bootstrap", why);
                        1000
                    }
                },
                assertions,
                import: ImportFlags {
                    analysis: strings(&root, "analysis", false)
                        .iter()
                        .map(|a| PathBuf::from(beside(dir, a, false)))
                        .collect(),
                    map_metric: strings(&root, "map_metric", false),
                },
            }
        };
        problems.extend(doc.problems());
        let mut suite = suite;
        // The scenarios and policies themselves, with the suite's overrides.
        let overrides: Vec<(usize, Override)> = suite
            .sets
            .iter()
            .enumerate()
            .filter_map(|(i, s)| parse_override(s).ok().map(|o| (i, o)))
            .collect();
        let with_index = overrides.clone();
        let overrides: Vec<Override> = overrides.into_iter().map(|(_, o)| o).collect();
        let mut take = |e: RunnerError, key: String, target: Target| match e {
            RunnerError::Config(Problems(ps)) => {
                for p in ps {
                    let p = blame_set(p, &shown, &with_index, target);
                    // Every scenario reports a bad `set` entry; once is enough.
                    if !problems.contains(&p) {
                        problems.push(p);
                    }
                }
            }
            other => problems.push(Problem {
                origin: shown.clone(),
                key,
                reason: other.to_string(),
            }),
        };
        for (i, spec) in suite.scenarios.iter().enumerate() {
            match load_scenario(spec, &overrides) {
                Ok((s, _)) => suite.scenario_names.push(s.name),
                Err(e) => take(e, format!("scenarios[{i}]"), Target::Scenario),
            }
        }
        match suite.import.read() {
            Ok(opts) => {
                for (i, spec) in suite.policies.iter().enumerate() {
                    if let Err(e) = load_policy(spec, &overrides, &opts) {
                        take(e, format!("policies[{i}]"), Target::Policy);
                    }
                }
            }
            Err(e) => take(e, "analysis".into(), Target::Policy),
        }
        if let Err(why) = limits::runs(
            suite.scenarios.len() as u64,
            suite.policies.len() as u64,
            suite.seeds,
        ) {
            problems.push(Problem {
                origin: shown.clone(),
                key: "seeds".into(),
                reason: why,
            });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, body: &str) -> Result<Suite, String> {
        let dir =
            std::env::temp_dir().join(format!("rollcage-suite-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("suite.toml");
        let text = format!(
            "schema_version = 1\npolicies = [\"reference\"]\nscenarios = [\"good-release\", \"steady\"]\n\
             assertions = [\"all: budget_consumed.p95 <= 2%\"]\n{body}"
        );
        std::fs::write(&path, text).unwrap();
        let r = Suite::load(&path).map_err(|e| e.to_string());
        std::fs::remove_dir_all(&dir).unwrap();
        r.map_err(|e| e.replace(&path.display().to_string(), "suite.toml"))
    }

    #[test]
    fn seeds_zero_and_past_the_limit_are_refused_at_the_key() {
        assert!(
            load("seeds0", "seeds = 0\n")
                .unwrap_err()
                .contains("suite.toml: seeds: must be at least 1")
        );
        assert_eq!(load("seeds1", "seeds = 1\n").unwrap().seeds, 1);
        // 1 policy × 2 scenarios: half the run limit is the most seeds there can be.
        let half = limits::MAX_RUNS / 2;
        assert_eq!(
            load("half", &format!("seeds = {half}\n")).unwrap().seeds,
            half
        );
        let e = load("over", &format!("seeds = {}\n", half + 1)).unwrap_err();
        assert!(
            e.contains(
                "suite.toml: seeds: 2 scenarios × 1 policy variant × 500000001 seeds is more than"
            ),
            "{e}"
        );
        let e = load("max", &format!("seeds = {}\n", limits::MAX_SEEDS + 1)).unwrap_err();
        assert!(
            e.contains("suite.toml: seeds: 1000000001 is more than"),
            "{e}"
        );
    }

    #[test]
    fn bootstrap_counts_too_small_for_an_interval_are_refused() {
        for bad in [0, 1, 99, 100_001] {
            let e = load(&format!("b{bad}"), &format!("bootstrap = {bad}\n")).unwrap_err();
            assert!(
                e.contains(&format!(
                    "suite.toml: bootstrap: {bad} resamples: expected 100 to 100000"
                )),
                "{e}"
            );
        }
        assert_eq!(load("b100", "bootstrap = 100\n").unwrap().bootstrap, 100);
        assert_eq!(
            load("bmax", "bootstrap = 100000\n").unwrap().bootstrap,
            100_000
        );
    }

    #[test]
    fn a_bad_set_entry_is_blamed_on_the_suite_file_and_its_index() {
        let e = load(
            "set",
            "set = [\"scenario.run.horizon_seconds=300\", \"scenario.fleet.replicas=-1\"]\n",
        )
        .unwrap_err();
        assert!(
            e.contains(
                "suite.toml: set[1] \"scenario.fleet.replicas=-1\": fleet.replicas: must be a whole number of at least 1, found -1"
            ),
            "{e}"
        );
        assert!(!e.contains("--set"), "the suite has no --set: {e}");
        // Both scenarios report it; it is listed once.
        assert_eq!(e.matches("set[1]").count(), 1, "{e}");
        let e = load("set-policy", "set = [\"policy.max_surge=lots\"]\n").unwrap_err();
        assert!(
            e.contains("suite.toml: set[0] \"policy.max_surge=lots\": max_surge:"),
            "{e}"
        );
    }
}
