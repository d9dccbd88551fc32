//! Resolving `--scenario`, `--policy` and `--set` into checked models.

use config::{Doc, Problem, Problems};
use policies::Policy;
use scenarios::Scenario;

use crate::RunnerError;

/// A scenario and a policy ready to run, and where they came from.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub scenario: Scenario,
    pub policy: Policy,
    pub scenario_source: String,
    pub policy_source: String,
    pub overrides: Vec<String>,
}

/// Which document a `--set` key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Scenario,
    Policy,
}

/// A parsed `--set KEY=VALUE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub target: Target,
    /// The key within its document (prefix removed).
    pub key: String,
    pub value: String,
    pub raw: String,
}

/// Parses `scenario.fleet.replicas=10` or `policy.max_surge=0%`.
pub fn parse_override(raw: &str) -> Result<Override, Problem> {
    let problem = |reason: &str| Problem {
        origin: "--set".into(),
        key: raw.to_string(),
        reason: reason.to_string(),
    };
    let (key, value) = raw
        .split_once('=')
        .ok_or_else(|| problem("expected KEY=VALUE"))?;
    let (target, rest) = if let Some(k) = key.strip_prefix("scenario.") {
        (Target::Scenario, k)
    } else if let Some(k) = key.strip_prefix("policy.") {
        (Target::Policy, k)
    } else {
        return Err(problem(
            "keys start with `scenario.` or `policy.`, e.g. scenario.fleet.replicas=10",
        ));
    };
    if rest.is_empty() {
        return Err(problem("the key after the prefix is empty"));
    }
    Ok(Override {
        target,
        key: rest.to_string(),
        value: value.to_string(),
        raw: raw.to_string(),
    })
}

/// Loads a built-in by name, or a file by path.
fn load(
    spec: &str,
    (what, whats): (&str, &str),
    builtin: impl Fn(&str) -> Option<Doc>,
    names: &[&str],
) -> Result<(Doc, String), RunnerError> {
    if let Some(doc) = builtin(spec) {
        return Ok((doc, "built-in".to_string()));
    }
    let path = std::path::Path::new(spec);
    if !path.exists() {
        let hint = config::suggest(spec, names.iter().copied())
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default();
        return Err(RunnerError::Usage(format!(
            "{spec}: no built-in {what} of that name and no such file{hint}; built-in {whats}: {}",
            names.join(", ")
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| RunnerError::io(path, e))?;
    let doc = Doc::parse(spec, &text)?;
    Ok((doc, spec.to_string()))
}

pub fn scenario_names() -> Vec<&'static str> {
    scenarios::BUILTIN.iter().map(|(n, _)| *n).collect()
}

pub fn policy_names() -> Vec<&'static str> {
    policies::BUILTIN.iter().map(|(n, _)| *n).collect()
}

fn apply(doc: &mut Doc, overrides: &[Override], target: Target, problems: &mut Vec<Problem>) {
    for o in overrides.iter().filter(|o| o.target == target) {
        if let Err(mut p) = doc.set(&o.key, &o.value) {
            p.key = o.raw.clone();
            problems.push(p);
        }
    }
}

/// Applies `target`'s overrides to `doc` and reads it with `from_doc`: the overrides'
/// problems first, then the document's, all at once.
fn read_with<T>(
    doc: &mut Doc,
    overrides: &[Override],
    target: Target,
    from_doc: impl Fn(&Doc) -> Result<T, Problems>,
) -> Result<T, RunnerError> {
    let mut problems = Vec::new();
    apply(doc, overrides, target, &mut problems);
    match from_doc(doc) {
        Ok(read) if problems.is_empty() => Ok(read),
        Ok(_) => Err(Problems(problems).into()),
        Err(Problems(mut more)) => {
            problems.append(&mut more);
            Err(Problems(problems).into())
        }
    }
}

/// Reads a scenario (name or file) with its overrides applied.
pub fn load_scenario(
    spec: &str,
    overrides: &[Override],
) -> Result<(Scenario, String), RunnerError> {
    let (mut doc, source) = load(
        spec,
        ("scenario", "scenarios"),
        scenarios::builtin,
        &scenario_names(),
    )?;
    let scenario = read_with(&mut doc, overrides, Target::Scenario, Scenario::from_doc)?;
    Ok((scenario, source))
}

/// Reads a policy (name or file) with its overrides applied.
pub fn load_policy(spec: &str, overrides: &[Override]) -> Result<(Policy, String), RunnerError> {
    let (mut doc, source) = load(
        spec,
        ("policy", "policies"),
        policies::builtin,
        &policy_names(),
    )?;
    let policy = read_with(&mut doc, overrides, Target::Policy, Policy::from_doc)?;
    Ok((policy, source))
}

/// Reads a policy with `--set policy.KEY=VALUE` overrides, for the commands that
/// take no scenario (`plan`, `export`, `gate`): a `scenario.` key there is a mistake,
/// not something to ignore.
pub fn load_policy_with_sets(spec: &str, sets: &[String]) -> Result<Policy, RunnerError> {
    let mut problems = Vec::new();
    let mut overrides = Vec::new();
    for raw in sets {
        match parse_override(raw) {
            Ok(o) if o.target == Target::Policy => overrides.push(o),
            Ok(o) => problems.push(Problem {
                origin: "--set".into(),
                key: o.raw,
                reason: "this command takes no scenario; only policy.KEY=VALUE applies".into(),
            }),
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems).into());
    }
    load_policy(spec, &overrides).map(|(policy, _)| policy)
}

/// Resolves both inputs, reporting the problems of both at once.
pub fn resolve(scenario: &str, policy: &str, sets: &[String]) -> Result<Resolved, RunnerError> {
    let mut problems = Vec::new();
    let mut overrides = Vec::new();
    for raw in sets {
        match parse_override(raw) {
            Ok(o) => overrides.push(o),
            Err(p) => problems.push(p),
        }
    }
    let mut fatal = None;
    let mut keep = |e: RunnerError| match e {
        RunnerError::Config(Problems(ps)) => problems.extend(ps),
        other => {
            fatal.get_or_insert(other);
        }
    };
    let scenario = load_scenario(scenario, &overrides).map_err(&mut keep).ok();
    let policy = load_policy(policy, &overrides).map_err(&mut keep).ok();
    if let Some(e) = fatal {
        return Err(e);
    }
    match (scenario, policy) {
        (Some((scenario, scenario_source)), Some((policy, policy_source)))
            if problems.is_empty() =>
        {
            Ok(Resolved {
                scenario,
                policy,
                scenario_source,
                policy_source,
                overrides: sets.to_vec(),
            })
        }
        _ => Err(Problems(problems).into()),
    }
}

/// Checks a file as a scenario or a policy, guessing which from its keys. A scenario
/// goes through everything `run` meets before its first event (`Scenario::from_doc`:
/// every value's bound, the work estimate against `run.max_events`, the engine's world
/// and its checks), so a file called ok here is one `run` accepts; the line says how
/// much work a run of it is.
pub fn validate_file(path: &str) -> Result<String, RunnerError> {
    let text = std::fs::read_to_string(path).map_err(|e| RunnerError::io(path, e))?;
    let doc = Doc::parse(path, &text)?;
    let is_policy = doc.table().contains_key("kind") || doc.table().contains_key("max_surge");
    if is_policy {
        let p = Policy::from_doc(&doc)?;
        Ok(format!("{path}: ok (policy {}, {})", p.name, p.kind.name()))
    } else {
        let s = Scenario::from_doc(&doc)?;
        let e = s.estimate();
        Ok(format!(
            "{path}: ok (scenario {}, about {} requests, {} events of at most {})",
            s.name,
            scenarios::work::about(e.requests()),
            scenarios::work::about(e.events()),
            s.run.max_events
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_need_a_known_prefix() {
        let o = parse_override("scenario.fleet.replicas=10").unwrap();
        assert_eq!(
            (o.target, o.key.as_str(), o.value.as_str()),
            (Target::Scenario, "fleet.replicas", "10")
        );
        assert!(parse_override("fleet.replicas=10").is_err());
        assert!(parse_override("policy.max_surge").is_err());
    }

    #[test]
    fn problems_of_both_inputs_come_together() {
        let err = resolve(
            "reference",
            "k8s-default",
            &[
                "scenario.fleet.replicsa=3".into(),
                "policy.max_surge=0".into(),
                "policy.max_unavailable=0".into(),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("fleet.replicsa: unknown key (did you mean `replicas`?)"),
            "{err}"
        );
        assert!(
            err.contains("max_unavailable: may not be 0 when max_surge is 0"),
            "{err}"
        );
    }

    #[test]
    fn unknown_names_suggest_builtins() {
        let err = resolve("memory-leek", "noop", &[]).unwrap_err().to_string();
        assert!(err.contains("did you mean `memory-leak`?"), "{err}");
    }

    #[test]
    fn every_builtin_resolves() {
        for s in scenario_names() {
            for p in policy_names() {
                resolve(s, p, &[]).unwrap_or_else(|e| panic!("{s} x {p}: {e}"));
            }
        }
    }
}
