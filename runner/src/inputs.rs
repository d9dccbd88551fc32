//! Resolving `--scenario`, `--policy` and `--set` into checked models.
//!
//! A policy is a built-in name, a predefined CodeDeploy configuration
//! (`CodeDeployDefault.HalfAtATime`), a rollcage policy file (TOML, or the JSON of
//! `export --to json`), or a manifest (`.yaml`/`.yml`, or JSON that is a Kubernetes
//! object or a CodeDeploy configuration), which `policies::import` reads into the same
//! policy document; `FILE#NAME` picks one policy of a manifest holding several. The
//! import's notes come back with the policy (`LoadedPolicy::notes`) for the command to
//! print on stderr.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use config::{Doc, Problem, Problems};
use policies::Policy;
use policies::import::{self, Import, MetricMapping, Replicas};
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
    /// The import's notes, and a note when the manifest's replicas differ from the
    /// scenario's fleet, as lines for stderr.
    pub notes: Vec<String>,
}

/// `--analysis FILE` and `--map-metric TEMPLATE/METRIC=KIND`, as given: what every
/// command that takes a policy passes to the importer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportFlags {
    pub analysis: Vec<PathBuf>,
    pub map_metric: Vec<String>,
}

impl ImportFlags {
    /// Reads the `--analysis` files (each bounded as a manifest is) and parses the
    /// mappings, reporting every problem at once.
    pub fn read(&self) -> Result<import::Options, RunnerError> {
        let mut problems = Vec::new();
        let mut opts = import::Options::default();
        for path in &self.analysis {
            match read_manifest(path) {
                Ok(text) => opts.analysis.push((path.display().to_string(), text)),
                Err(RunnerError::Config(Problems(ps))) => problems.extend(ps),
                Err(e) => problems.push(Problem {
                    origin: "--analysis".into(),
                    key: String::new(),
                    reason: e.to_string(),
                }),
            }
        }
        for raw in &self.map_metric {
            match MetricMapping::parse(raw) {
                Ok(m) => opts.map_metric.push(m),
                Err(why) => problems.push(Problem {
                    origin: "--map-metric".into(),
                    key: String::new(),
                    reason: why.trim_start_matches("--map-metric ").to_string(),
                }),
            }
        }
        if problems.is_empty() {
            Ok(opts)
        } else {
            Err(Problems(problems).into())
        }
    }

    /// The flags as command-line words (`--analysis FILE ...`), for a command that
    /// reproduces a run.
    pub fn words(&self) -> Vec<String> {
        let mut w = Vec::new();
        for a in &self.analysis {
            w.push("--analysis".to_string());
            w.push(a.display().to_string());
        }
        for m in &self.map_metric {
            w.push("--map-metric".to_string());
            w.push(m.clone());
        }
        w
    }

    pub fn is_empty(&self) -> bool {
        self.analysis.is_empty() && self.map_metric.is_empty()
    }
}

/// A policy read, with what its import found.
#[derive(Clone, Debug)]
pub struct LoadedPolicy {
    pub policy: Policy,
    /// `built-in`, or the file (with its `#NAME`).
    pub source: String,
    /// The import's notes as lines for stderr (empty for a rollcage policy).
    pub notes: Vec<String>,
    /// The fleet size a manifest asks for (a Deployment's `spec.replicas`).
    pub replicas: Option<Replicas>,
}

/// The line a note is printed as on stderr.
pub fn note_line(note: &impl std::fmt::Display) -> String {
    format!("note: {note}")
}

/// A note when the fleet a manifest asks for is not the scenario's, which is what the
/// simulation runs.
pub fn replicas_note(replicas: &Replicas, scenario: &Scenario) -> Option<String> {
    let fleet = scenario.fleet.replicas;
    (replicas.count != fleet).then(|| {
        note_line(&format!(
            "{}: {} replicas, but scenario {} simulates its own fleet of {fleet}; set scenario.fleet.replicas={} to simulate {}",
            replicas.origin, replicas.count, scenario.name, replicas.count, replicas.count
        ))
    })
}

/// Reads a manifest file up to its bound: a larger file is refused unread.
fn read_manifest(path: &Path) -> Result<String, RunnerError> {
    let max = policies::limits::MAX_MANIFEST_BYTES;
    let file = std::fs::File::open(path).map_err(|e| RunnerError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| RunnerError::io(path, e))?;
    let shown = path.display().to_string();
    if bytes.len() > max {
        return Err(Problems(vec![Problem {
            origin: shown,
            key: String::new(),
            reason: format!("over {max} bytes; a manifest file holds at most that many"),
        }])
        .into());
    }
    String::from_utf8(bytes).map_err(|_| RunnerError::Usage(format!("{shown}: not UTF-8 text")))
}

/// Whether a file is read bounded, as a manifest may be, before it is told apart.
fn manifest_like(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e))
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
        return Err(not_found(spec, (what, whats), names));
    }
    let text = std::fs::read_to_string(path).map_err(|e| RunnerError::io(path, e))?;
    let doc = Doc::parse(spec, &text)?;
    Ok((doc, spec.to_string()))
}

/// Neither a built-in nor a file: the nearest built-in name, and all of them.
fn not_found(spec: &str, (what, whats): (&str, &str), names: &[&str]) -> RunnerError {
    let hint = config::suggest(spec, names.iter().copied())
        .map(|n| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default();
    RunnerError::Usage(format!(
        "{spec}: no built-in {what} of that name and no such file{hint}; built-in {whats}: {}",
        names.join(", ")
    ))
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

/// A policy document before its overrides: a rollcage one, or an import.
enum PolicyDoc {
    Rollcage(Doc),
    Imported(Box<Import>),
}

/// Finds a policy: a built-in, a predefined CodeDeploy configuration, or a file
/// (`FILE#NAME` picking one policy of a manifest).
fn find_policy(spec: &str, opts: &import::Options) -> Result<(PolicyDoc, String), RunnerError> {
    if let Some(doc) = policies::builtin(spec) {
        return Ok((PolicyDoc::Rollcage(doc), "built-in".to_string()));
    }
    if let Some(imported) = import::import_named(spec, opts) {
        return Ok((
            PolicyDoc::Imported(Box::new(imported?)),
            "built-in".to_string(),
        ));
    }
    let (file, select) = match spec.rsplit_once('#') {
        Some((f, name)) if !Path::new(spec).exists() && Path::new(f).exists() => (f, Some(name)),
        _ => (spec, None),
    };
    let path = Path::new(file);
    if !path.exists() {
        return Err(not_found(spec, ("policy", "policies"), &policy_names()));
    }
    let text = if manifest_like(path) {
        read_manifest(path)?
    } else {
        std::fs::read_to_string(path).map_err(|e| RunnerError::io(path, e))?
    };
    if import::is_manifest(file, &text) {
        let imported = import::import(file, &text, select, opts)?;
        return Ok((PolicyDoc::Imported(Box::new(imported)), spec.to_string()));
    }
    if let Some(name) = select {
        return Err(RunnerError::Usage(format!(
            "{spec}: #{name} picks one policy of a manifest file, and {file} is a rollcage policy file (one policy)"
        )));
    }
    Ok((
        PolicyDoc::Rollcage(Doc::parse(file, &text)?),
        spec.to_string(),
    ))
}

/// Reads a policy (name or file) with its overrides applied; a manifest goes through
/// the importer with `opts` (the `--analysis` files and `--map-metric` mappings).
pub fn load_policy(
    spec: &str,
    overrides: &[Override],
    opts: &import::Options,
) -> Result<LoadedPolicy, RunnerError> {
    let (doc, source) = find_policy(spec, opts)?;
    match doc {
        PolicyDoc::Rollcage(mut doc) => {
            let policy = read_with(&mut doc, overrides, Target::Policy, Policy::from_doc)?;
            Ok(LoadedPolicy {
                policy,
                source,
                notes: Vec::new(),
                replicas: None,
            })
        }
        PolicyDoc::Imported(imported) => {
            let mut doc = imported.doc();
            let policy =
                read_with(&mut doc, overrides, Target::Policy, Policy::from_doc).map_err(|e| {
                    match e {
                        RunnerError::Config(ps) => RunnerError::Config(imported.locate(ps)),
                        other => other,
                    }
                })?;
            Ok(LoadedPolicy {
                policy,
                source,
                notes: imported.notes.iter().map(note_line).collect(),
                replicas: imported.replicas.clone(),
            })
        }
    }
}

/// Reads a policy with `--set policy.KEY=VALUE` overrides, for the commands that
/// take no scenario (`plan`, `export`, `gate`): a `scenario.` key there is a mistake,
/// not something to ignore.
pub fn load_policy_with_sets(
    spec: &str,
    sets: &[String],
    flags: &ImportFlags,
) -> Result<LoadedPolicy, RunnerError> {
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
    load_policy(spec, &overrides, &flags.read()?)
}

/// Resolves both inputs, reporting the problems of both at once.
pub fn resolve(
    scenario: &str,
    policy: &str,
    sets: &[String],
    flags: &ImportFlags,
) -> Result<Resolved, RunnerError> {
    let opts = flags.read()?;
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
    let policy = load_policy(policy, &overrides, &opts)
        .map_err(&mut keep)
        .ok();
    if let Some(e) = fatal {
        return Err(e);
    }
    match (scenario, policy) {
        (Some((scenario, scenario_source)), Some(loaded)) if problems.is_empty() => {
            let mut notes = loaded.notes;
            notes.extend(
                loaded
                    .replicas
                    .as_ref()
                    .and_then(|r| replicas_note(r, &scenario)),
            );
            Ok(Resolved {
                scenario,
                policy: loaded.policy,
                scenario_source,
                policy_source: loaded.source,
                overrides: sets.to_vec(),
                notes,
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
pub fn validate_file(path: &str, flags: &ImportFlags) -> Result<Validation, RunnerError> {
    let p = Path::new(path);
    let text = if manifest_like(p) {
        read_manifest(p)?
    } else {
        std::fs::read_to_string(path).map_err(|e| RunnerError::io(path, e))?
    };
    if import::is_manifest(path, &text) {
        return validate_manifest(path, &text, flags);
    }
    let doc = Doc::parse(path, &text)?;
    let is_policy = doc.table().contains_key("kind") || doc.table().contains_key("max_surge");
    let line = if is_policy {
        let p = Policy::from_doc(&doc)?;
        format!("{path}: ok (policy {}, {})", p.name, p.kind.name())
    } else {
        let s = Scenario::from_doc(&doc)?;
        let e = s.estimate();
        let mut line = format!(
            "{path}: ok (scenario {}, about {} requests, {} events of at most {})",
            s.name,
            scenarios::work::about(e.requests()),
            scenarios::work::about(e.events()),
            s.run.max_events
        );
        line.push_str(&uncertain_lines(&s));
        line
    };
    Ok(Validation {
        line,
        notes: Vec::new(),
    })
}

/// A scenario's uncertain parameters as `validate` lists them, one indented line
/// each after the scenario's line (nothing for a scenario without any); the work
/// figures above are at the parameters' medians.
pub fn uncertain_lines(s: &Scenario) -> String {
    let params = s.uncertain_params();
    if params.is_empty() {
        return String::new();
    }
    let mut text = format!(
        "\n  {} uncertain parameter{}, each drawn per replicate (figures above at the medians; every draw checked):",
        params.len(),
        if params.len() == 1 { "" } else { "s" }
    );
    for p in params {
        text.push_str(&format!(
            "\n    {}: {}{}",
            p.key,
            p.distribution,
            match (p.integer, &p.distribution) {
                (true, config::uncertain::Distribution::Choice { .. }) => "",
                (true, _) => ", rounded to a whole number",
                _ => "",
            }
        ));
    }
    text
}

/// What `validate` says of a file: its line for stdout, and the import's notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validation {
    pub line: String,
    pub notes: Vec<String>,
}

/// A manifest file: the policy it holds read as `run` reads it (the import, then
/// `Policy::from_doc`), or a file of templates.
fn validate_manifest(
    path: &str,
    text: &str,
    flags: &ImportFlags,
) -> Result<Validation, RunnerError> {
    let opts = flags.read()?;
    match import::validate(path, text, &opts)? {
        import::Validated::Templates(labels) => Ok(Validation {
            line: format!(
                "{path}: ok ({} template{}: {}; each is read in full by the policy that refers to it)",
                labels.len(),
                if labels.len() == 1 { "" } else { "s" },
                labels.join(", ")
            ),
            notes: Vec::new(),
        }),
        import::Validated::Policy(imported) => {
            let p = Policy::from_doc(&imported.doc()).map_err(|ps| imported.locate(ps))?;
            Ok(Validation {
                line: format!(
                    "{path}: ok (policy {}, {}, from {})",
                    p.name,
                    p.kind.name(),
                    imported
                        .from
                        .strip_prefix(&format!("{path}: "))
                        .unwrap_or(&imported.from)
                ),
                notes: imported.notes.iter().map(note_line).collect(),
            })
        }
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
            &ImportFlags::default(),
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
        let err = resolve("memory-leek", "noop", &[], &ImportFlags::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `memory-leak`?"), "{err}");
    }

    #[test]
    fn every_builtin_resolves() {
        for s in scenario_names() {
            for p in policy_names() {
                resolve(s, p, &[], &ImportFlags::default())
                    .unwrap_or_else(|e| panic!("{s} x {p}: {e}"));
            }
        }
    }
}
