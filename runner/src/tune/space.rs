//! The space file of `rollcage tune`: TOML with a `schema_version`, read with every
//! problem reported at once, each naming the file, the key and the reason
//! (docs/tune.md has every key).
//!
//! ```toml
//! schema_version = 1
//! name = "checkout"
//! policy = "gated-10pct"          # built-in, a policy file or a manifest, beside the space
//! set = ["scenario.run.horizon_seconds=1200"]
//!
//! [[scenarios]]
//! scenario = "good-release"
//! weight = 0.8
//!
//! [[parameters]]
//! key = "policy.max_surge"
//! values = ["10%", "25%"]
//!
//! [[parameters]]
//! key = "policy.gates[0].threshold"
//! range = [0.002, 0.05]
//! log = true
//! points = 4
//!
//! [objective]
//! minimise = "deploy_p50"         # or "cost", with budget_price_seconds
//!
//! [constraints]
//! max_budget_p95 = "2%"
//! assertions = ["memory-leak: detection_rate >= 0.9"]
//!
//! [race]
//! first_seeds = 10
//! max_seeds = 160
//! ```
//!
//! A parameter is a grid axis over a `policy.` key, applied as `--set` and `--grid`
//! apply theirs (`inputs::load_policy`: policy files and manifests, array elements by
//! index). Each value is checked on the base policy alone first, so a value that no
//! policy could take is refused naming the parameter and the value; a combination of
//! values that are each fine but not together (a zero surge and a zero unavailable)
//! is kept as an invalid candidate, said why, and never run.

use std::path::{Path, PathBuf};

use config::{Doc, Problem, Problems, Section, Value};
use policies::Policy;
use reports::check::Assertion;
use reports::tune::{Class, Limits, Objective, ScenarioSpec, Schedule};
use scenarios::Scenario;

use crate::RunnerError;
use crate::check::suite::beside;
use crate::inputs::{ImportFlags, Override, Target, load_policy, load_scenario, parse_override};
use crate::limits;

/// The space file format this build reads.
pub const SCHEMA_VERSION: i64 = 1;

/// The most values one parameter may take: a range with a small step past it is a
/// mistake, and the candidates are the product of every parameter's values.
pub const MAX_VALUES: usize = 1000;

/// The most scenarios a space may weigh.
pub const MAX_SCENARIOS: usize = 100;

/// A scenario of the space: as written (a built-in name or a path beside the file),
/// its weight, and the scenario read.
#[derive(Clone, Debug)]
pub struct SpaceScenario {
    pub spec: String,
    pub weight: f64,
    pub scenario: Scenario,
    pub source: String,
}

/// A parameter and its values as text (as `--set` would take them).
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    pub key: String,
    pub values: Vec<String>,
}

/// The space file, read and checked; the base policy and scenarios read, every value
/// checked on the base policy alone.
#[derive(Clone, Debug)]
pub struct Space {
    pub path: PathBuf,
    pub name: String,
    /// The base policy as the file names it (resolved beside the file).
    pub policy_spec: String,
    pub policy: Policy,
    pub policy_source: String,
    pub sets: Vec<String>,
    pub import: ImportFlags,
    pub scenarios: Vec<SpaceScenario>,
    pub parameters: Vec<Parameter>,
    pub objective: Objective,
    pub limits: Limits,
    pub assertions: Vec<Assertion>,
    pub schedule: Schedule,
    pub confidence: f64,
    pub bootstrap: usize,
    /// What the import of a manifest policy noted, once.
    pub notes: Vec<String>,
}

/// A value as `--set` takes it: a string as written, a number in Rust's shortest form
/// that reads back to it (`30`, `0.01`), a boolean.
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Float(f) if f.is_finite() => Some(format!("{f}")),
        Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `x` to `digits` significant digits, as the shortest text that reads back to it.
fn rounded(x: f64, digits: usize) -> f64 {
    format!("{x:.*e}", digits - 1)
        .parse()
        .expect("a formatted float parses")
}

/// A number of a range: a whole number when it is one, so that integer keys take it.
fn number_text(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The values of `range = [lo, hi]` with `step`, or `points` (evenly spaced, or on a
/// log scale with `log = true`), both ends included.
fn range_values(s: &Section<'_>) -> Option<Vec<String>> {
    let nums = match s.raw("range") {
        Some(Value::Array(items)) if items.len() == 2 => {
            let n: Vec<Option<f64>> = items
                .iter()
                .map(|v| match v {
                    Value::Integer(i) => Some(*i as f64),
                    Value::Float(f) if f.is_finite() => Some(*f),
                    _ => None,
                })
                .collect();
            match (n[0], n[1]) {
                (Some(lo), Some(hi)) if lo < hi => Some((lo, hi)),
                (Some(lo), Some(hi)) => {
                    s.problem(
                        "range",
                        format!(
                            "[{}, {}]: the first end must be below the second",
                            config::number(lo),
                            config::number(hi)
                        ),
                    );
                    None
                }
                _ => {
                    s.problem("range", "expected two numbers, [LOW, HIGH]");
                    None
                }
            }
        }
        Some(_) => {
            s.problem("range", "expected two numbers, [LOW, HIGH]");
            None
        }
        None => None,
    };
    let step = s.opt_f64("step");
    let points = s.raw("points").and_then(|v| match v {
        Value::Integer(i) => Some(*i),
        other => {
            s.problem(
                "points",
                format!("expected a whole number, found {}", config::describe(other)),
            );
            None
        }
    });
    let log = s.bool("log", false);
    let (lo, hi) = nums?;
    let values: Vec<f64> = match (step, points, log) {
        (Some(_), Some(_), _) => {
            s.problem("step", "give `step` or `points`, not both");
            return None;
        }
        (Some(_), None, true) => {
            s.problem(
                "log",
                "a log-spaced range takes `points`, not `step` (a log range has no fixed step)",
            );
            return None;
        }
        (None, None, _) => {
            s.problem(
                "range",
                "needs `step = S` (LOW, LOW + S, ... up to HIGH) or `points = N` (N values, both ends included; with `log = true`, on a log scale)",
            );
            return None;
        }
        (Some(step), None, false) => {
            if step <= 0.0 {
                s.problem(
                    "step",
                    format!("must be above 0, found {}", config::number(step)),
                );
                return None;
            }
            let count = ((hi - lo) / step * (1.0 + 1e-12)).floor() + 1.0;
            if count > MAX_VALUES as f64 {
                s.problem(
                    "step",
                    format!(
                        "gives {count} values from {} to {}; a parameter takes at most {MAX_VALUES}",
                        config::number(lo),
                        config::number(hi)
                    ),
                );
                return None;
            }
            (0..count as usize)
                .map(|i| rounded(lo + step * i as f64, 12))
                .collect()
        }
        (None, Some(n), log) => {
            if !(2..=MAX_VALUES as i64).contains(&n) {
                s.problem(
                    "points",
                    format!("must be 2 to {MAX_VALUES} (both ends are points), found {n}"),
                );
                return None;
            }
            if log && lo <= 0.0 {
                s.problem(
                    "range",
                    format!(
                        "a log-spaced range needs LOW above 0, found {}",
                        config::number(lo)
                    ),
                );
                return None;
            }
            let last = (n - 1) as f64;
            (0..n)
                .map(|i| {
                    let t = i as f64 / last;
                    let x = if log {
                        lo * (hi / lo).powf(t)
                    } else {
                        lo + (hi - lo) * t
                    };
                    rounded(x, 6)
                })
                .collect()
        }
    };
    let texts: Vec<String> = values.iter().map(|&x| number_text(x)).collect();
    for (i, t) in texts.iter().enumerate() {
        if texts[..i].contains(t) {
            s.problem(
                "points",
                format!("the range gives {t} twice at six significant digits; use fewer points"),
            );
            return None;
        }
    }
    Some(texts)
}

/// One `[[parameters]]` table: its key and values, or `None` after recording why not.
fn parameter(s: &Section<'_>) -> Option<Parameter> {
    let key = match s.raw("key") {
        Some(Value::String(k)) => Some(k.clone()),
        Some(v) => {
            s.problem(
                "key",
                format!("expected a string, found {}", config::describe(v)),
            );
            None
        }
        None => {
            s.problem(
                "key",
                "missing: the policy field this parameter sets, e.g. policy.max_surge",
            );
            None
        }
    };
    let key = key.and_then(|k| match parse_override(&format!("{k}=x")) {
        Ok(o) if o.target == Target::Policy => Some(k),
        Ok(_) => {
            s.problem(
                "key",
                format!("`{k}`: a parameter is a policy field (policy.KEY); fix scenario fields with `set`"),
            );
            None
        }
        Err(p) => {
            s.problem("key", format!("`{k}`: {}", p.reason));
            None
        }
    });
    let listed = s.has("values");
    let ranged = s.has("range");
    let values = match (listed, ranged) {
        (true, true) => {
            s.problem("range", "give `values` or `range`, not both");
            s.allow(&["values", "range", "step", "points", "log"]);
            None
        }
        (false, false) => {
            s.problem(
                "values",
                "missing: `values = [...]`, or `range = [LOW, HIGH]` with `step` or `points`",
            );
            None
        }
        (true, false) => match s.raw("values") {
            Some(Value::Array(items)) if items.is_empty() => {
                s.problem("values", "must not be empty");
                None
            }
            Some(Value::Array(items)) if items.len() > MAX_VALUES => {
                s.problem(
                    "values",
                    format!(
                        "{} values; a parameter takes at most {MAX_VALUES}",
                        items.len()
                    ),
                );
                None
            }
            Some(Value::Array(items)) => {
                let mut out: Vec<String> = Vec::new();
                let mut ok = true;
                for (i, v) in items.iter().enumerate() {
                    match value_text(v) {
                        Some(t) if out.contains(&t) => {
                            s.problem(&format!("values[{i}]"), format!("`{t}` is listed twice"));
                            ok = false;
                        }
                        Some(t) => out.push(t),
                        None => {
                            s.problem(
                                &format!("values[{i}]"),
                                format!(
                                    "expected a number, a string or a boolean, found {}",
                                    config::describe(v)
                                ),
                            );
                            ok = false;
                        }
                    }
                }
                ok.then_some(out)
            }
            Some(v) => {
                s.problem(
                    "values",
                    format!("expected a list, found {}", config::describe(v)),
                );
                None
            }
            None => None,
        },
        (false, true) => range_values(s),
    };
    let values = values?;
    for (i, v) in values.iter().enumerate() {
        if v.contains(',') || v.is_empty() {
            let at = if listed {
                format!("values[{i}]")
            } else {
                "range".into()
            };
            s.problem(
                &at,
                format!("`{v}`: a value may not be empty or hold a comma (commas separate the values in a candidate's name)"),
            );
            return None;
        }
    }
    Some(Parameter { key: key?, values })
}

/// A percentage limit: a number (percent) or `"2%"`, or `"none"` for no limit.
fn percent_limit(s: &Section<'_>, key: &str, default: f64) -> Option<f64> {
    match s.raw(key) {
        None => Some(default),
        Some(Value::String(t)) if t == "none" => None,
        Some(v) => {
            let text = match v {
                Value::String(t) => t.trim().trim_end_matches('%').trim().to_string(),
                Value::Integer(i) => i.to_string(),
                Value::Float(f) => format!("{f}"),
                _ => String::new(),
            };
            match text.parse::<f64>() {
                Ok(x) if (0.0..=100.0).contains(&x) => Some(x),
                _ => {
                    s.problem(
                        key,
                        format!("expected a percentage from 0 to 100 (2, or \"2%\"), or \"none\"; found {}", config::describe(v)),
                    );
                    Some(default)
                }
            }
        }
    }
}

/// A duration limit: seconds, or `"30m"`, or `"none"`.
fn duration_limit(s: &Section<'_>, key: &str, default: f64) -> Option<f64> {
    match s.raw(key) {
        None => Some(default),
        Some(Value::String(t)) if t == "none" => None,
        Some(v) => {
            let parsed = match v {
                Value::String(t) => sim_core::duration_text::parse(t),
                Value::Integer(i) if *i >= 0 => Some(*i as f64),
                Value::Float(f) if f.is_finite() && *f >= 0.0 => Some(*f),
                _ => None,
            };
            if parsed.is_none() {
                s.problem(
                    key,
                    format!(
                        "expected {} or \"none\"; found {}",
                        sim_core::duration_text::EXPECTED,
                        config::describe(v)
                    ),
                );
            }
            Some(parsed.unwrap_or(default))
        }
    }
}

/// What the file says, before the files it names are read.
struct Keys {
    name: String,
    policy: Option<String>,
    sets: Vec<String>,
    import: ImportFlags,
    scenarios: Vec<(String, f64)>,
    parameters: Vec<Option<Parameter>>,
    objective: Objective,
    limits: Limits,
    assertions: Vec<(usize, Assertion)>,
    schedule: Schedule,
    confidence: f64,
    bootstrap: usize,
}

fn read_keys(doc: &Doc, path: &Path, confidence: Option<f64>) -> Keys {
    let dir = path.parent().unwrap_or(Path::new("."));
    let root = doc.root();
    root.schema_version(SCHEMA_VERSION);
    let stem = path
        .file_stem()
        .map_or("space".to_string(), |s| s.to_string_lossy().into_owned());
    let name = root.str("name", &stem).to_string();
    let policy = match root.raw("policy") {
        Some(Value::String(p)) => {
            let builtin = crate::inputs::policy_names().contains(&p.as_str());
            Some(beside(dir, p, builtin))
        }
        Some(v) => {
            root.problem(
                "policy",
                format!(
                    "expected a string (a built-in policy, a policy file or a manifest), found {}",
                    config::describe(v)
                ),
            );
            None
        }
        None => {
            root.problem("policy", "missing: the base policy the parameters change (a built-in name, a policy file or a manifest)");
            None
        }
    };
    let sets = root.opt_strings("set").unwrap_or_default();
    for (i, s) in sets.iter().enumerate() {
        if let Err(p) = parse_override(s) {
            root.problem(&format!("set[{i}]"), p.reason);
        }
    }
    let import = ImportFlags {
        analysis: root
            .opt_strings("analysis")
            .unwrap_or_default()
            .iter()
            .map(|a| PathBuf::from(beside(dir, a, false)))
            .collect(),
        map_metric: root.opt_strings("map_metric").unwrap_or_default(),
    };
    let mut scenarios = Vec::new();
    let tables = root.tables("scenarios");
    if !root.has("scenarios") {
        root.problem(
            "scenarios",
            "missing: [[scenarios]] tables, each with `scenario` and `weight`",
        );
    }
    if tables.len() > MAX_SCENARIOS {
        root.problem(
            "scenarios",
            format!(
                "{} scenarios; a space weighs at most {MAX_SCENARIOS}",
                tables.len()
            ),
        );
    }
    for t in &tables {
        let spec = match t.raw("scenario") {
            Some(Value::String(s)) => s.clone(),
            Some(v) => {
                t.problem(
                    "scenario",
                    format!("expected a string, found {}", config::describe(v)),
                );
                String::new()
            }
            None => {
                t.problem(
                    "scenario",
                    "missing: a built-in scenario name or a scenario file",
                );
                String::new()
            }
        };
        let weight = match t.opt_f64("weight") {
            Some(w) if w > 0.0 => w,
            Some(w) => {
                t.problem(
                    "weight",
                    format!(
                        "must be above 0 (how likely this kind of release is), found {}",
                        config::number(w)
                    ),
                );
                1.0
            }
            None => {
                if !t.has("weight") {
                    t.problem(
                        "weight",
                        "missing: how likely this kind of release is, e.g. 0.8",
                    );
                }
                1.0
            }
        };
        if !spec.is_empty() {
            let builtin = crate::inputs::scenario_names().contains(&spec.as_str());
            scenarios.push((beside(dir, &spec, builtin), weight));
        }
    }
    let ptables = root.tables("parameters");
    if ptables.is_empty() {
        root.problem(
            "parameters",
            "missing: [[parameters]] tables, each a policy key with `values` or a `range`",
        );
    }
    let parameters: Vec<Option<Parameter>> = ptables.iter().map(parameter).collect();
    for (i, p) in parameters.iter().enumerate() {
        if let Some(p) = p
            && parameters[..i].iter().flatten().any(|q| q.key == p.key)
        {
            root.problem(
                &format!("parameters[{i}].key"),
                format!("`{}` is a parameter twice", p.key),
            );
        }
    }
    let objective = {
        let o = root.section("objective");
        match o.choice("minimise", "deploy_p50", &["deploy_p50", "cost"]) {
            "cost" => {
                let price = o.opt_f64("budget_price_seconds");
                match price {
                    Some(p) if p >= 0.0 => Objective::Cost { budget_price_s: p },
                    Some(p) => {
                        o.problem(
                            "budget_price_seconds",
                            format!("must not be negative, found {}", config::number(p)),
                        );
                        Objective::DeployP50
                    }
                    None => {
                        if !o.has("budget_price_seconds") {
                            o.problem("budget_price_seconds", "missing: the cost objective needs the seconds of deploy time one percent of the error budget is worth");
                        }
                        Objective::DeployP50
                    }
                }
            }
            _ => {
                if o.has("budget_price_seconds") {
                    o.problem(
                        "budget_price_seconds",
                        "only the cost objective (minimise = \"cost\") has a price",
                    );
                }
                o.allow(&["budget_price_seconds"]);
                Objective::DeployP50
            }
        }
    };
    let defaults = reports::sweep::Constraints::default();
    let (limits, assertions) = {
        let c = root.section("constraints");
        let raw = c.opt_strings("assertions").unwrap_or_default();
        let mut parsed = Vec::new();
        for (i, a) in raw.iter().enumerate() {
            match Assertion::parse(a) {
                Ok(x) => parsed.push((i, x)),
                Err(why) => c.problem(&format!("assertions[{i}]"), format!("`{a}`: {why}")),
            }
        }
        (
            Limits {
                max_budget_p95_pct: percent_limit(
                    &c,
                    "max_budget_p95",
                    defaults.max_budget_p95_pct,
                ),
                max_deploy_p50_s: duration_limit(&c, "max_deploy_p50", defaults.max_deploy_p50_s),
                max_false_rollback_pct: percent_limit(
                    &c,
                    "max_false_rollback",
                    defaults.max_false_rollback_pct,
                ),
                assertions: raw,
            },
            parsed,
        )
    };
    let (schedule, file_confidence, bootstrap) = {
        let r = root.section("race");
        let first = r.u64("first_seeds", 10);
        let max = r.u64("max_seeds", 160);
        let range = limits::MIN_TUNE_SEEDS..=limits::MAX_TUNE_SEEDS;
        if !range.contains(&first) {
            r.problem(
                "first_seeds",
                format!(
                    "must be {} to {} (fewer than {} paired seeds judge nothing), found {first}",
                    range.start(),
                    range.end(),
                    range.start()
                ),
            );
        }
        if !range.contains(&max) {
            r.problem(
                "max_seeds",
                format!("must be {} to {}, found {max}", range.start(), range.end()),
            );
        } else if max < first {
            r.problem("max_seeds", format!("{max} is below first_seeds ({first})"));
        }
        let conf = r.opt_f64("confidence");
        let boot = match limits::check_bootstrap(r.u64("bootstrap", 1000)) {
            Ok(b) => b,
            Err(why) => {
                r.problem("bootstrap", why);
                1000
            }
        };
        (
            Schedule {
                first_seeds: first.clamp(*range.start(), *range.end()),
                max_seeds: max.clamp(first.clamp(*range.start(), *range.end()), *range.end()),
            },
            conf,
            boot,
        )
    };
    let confidence = confidence.or(file_confidence).unwrap_or(0.95);
    if !(0.5..1.0).contains(&confidence) {
        root.problem(
            "race.confidence",
            format!("must be at least 0.5 and below 1 (the probability that no candidate is eliminated wrongly), found {}", config::number(confidence)),
        );
    }
    Keys {
        name,
        policy,
        sets,
        import,
        scenarios,
        parameters,
        objective,
        limits,
        assertions,
        schedule,
        confidence,
        bootstrap,
    }
}

/// The text of a `--set` problem as a space file reports it: the key it was found at
/// and why.
fn inner(p: &Problem) -> String {
    if p.origin == "--set" {
        format!("{}: {}", p.key, p.reason)
    } else {
        p.to_string()
    }
}

pub(super) fn problems_text(e: &RunnerError) -> String {
    match e {
        RunnerError::Config(Problems(ps)) => ps.iter().map(inner).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

impl Space {
    /// Reads a space file and everything it names, reporting every problem at once.
    /// `confidence` (`--confidence`) takes the place of the file's.
    pub fn load(path: &Path, confidence: Option<f64>) -> Result<Space, RunnerError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RunnerError::io(path, e))?;
        let doc = Doc::parse(&shown, &text)?;
        let keys = read_keys(&doc, path, confidence);
        let mut problems: Vec<Problem> = doc.problems();
        let at = |key: String, reason: String| Problem {
            origin: shown.clone(),
            key,
            reason,
        };
        let overrides: Vec<Override> = keys
            .sets
            .iter()
            .filter_map(|s| parse_override(s).ok())
            .collect();
        let mut scenarios = Vec::new();
        for (i, (spec, weight)) in keys.scenarios.iter().enumerate() {
            match load_scenario(spec, &overrides) {
                Ok((s, source)) => {
                    if !s.release.enabled {
                        problems.push(at(
                            format!("scenarios[{i}]"),
                            format!("{spec}: it has no release (release.enabled = false), so no policy acts on it"),
                        ));
                    } else if scenarios
                        .iter()
                        .any(|x: &SpaceScenario| x.scenario.name == s.name)
                    {
                        problems.push(at(
                            format!("scenarios[{i}]"),
                            format!(
                                "another scenario is also named {}; names identify seeds",
                                s.name
                            ),
                        ));
                    }
                    scenarios.push(SpaceScenario {
                        spec: spec.clone(),
                        weight: *weight,
                        scenario: s,
                        source,
                    });
                }
                Err(e) => problems.push(at(format!("scenarios[{i}]"), problems_text(&e))),
            }
        }
        let import = match keys.import.read() {
            Ok(o) => Some(o),
            Err(e) => {
                problems.push(at("analysis".into(), problems_text(&e)));
                None
            }
        };
        let mut notes = Vec::new();
        let mut base = None;
        if let (Some(spec), Some(opts)) = (&keys.policy, &import) {
            match load_policy(spec, &overrides, opts) {
                Ok(loaded) => {
                    notes.extend(loaded.notes.iter().cloned());
                    base = Some((loaded.policy, loaded.source));
                }
                Err(e) => problems.push(at(
                    "policy".into(),
                    format!("{spec}: {}", problems_text(&e)),
                )),
            }
        }
        // Each value alone on the base policy: a value no combination could take.
        if let (Some(spec), Some(opts), Some(_)) = (&keys.policy, &import, &base) {
            for (i, p) in keys.parameters.iter().enumerate() {
                let Some(p) = p else { continue };
                for (j, v) in p.values.iter().enumerate() {
                    let mut with = overrides.clone();
                    with.push(
                        parse_override(&format!("{}={v}", p.key)).expect("the key was checked"),
                    );
                    if let Err(e) = load_policy(spec, &with, opts) {
                        problems.push(at(
                            format!("parameters[{i}].values[{j}]"),
                            format!("`{} = {v}`: {}", p.key, problems_text(&e)),
                        ));
                    }
                }
            }
        }
        // Assertions name scenarios of the space.
        let names: Vec<String> = scenarios.iter().map(|s| s.scenario.name.clone()).collect();
        if scenarios.len() == keys.scenarios.len() {
            for (i, a) in &keys.assertions {
                if let Some(s) = &a.scenario
                    && !names.contains(s)
                {
                    let hint = config::suggest(s, names.iter().map(String::as_str))
                        .map(|n| format!(" (did you mean `{n}`?)"))
                        .unwrap_or_default();
                    problems.push(at(
                        format!("constraints.assertions[{i}]"),
                        format!(
                            "`{}`: the space weighs no scenario named `{s}`{hint}; it weighs {}",
                            a.text,
                            names.join(", ")
                        ),
                    ));
                }
            }
            if keys.objective == Objective::DeployP50
                && !scenarios.is_empty()
                && scenarios.iter().all(|s| class(&s.scenario) == Class::Fault)
            {
                problems.push(at(
                    "objective.minimise".into(),
                    "deploy_p50 reads the good-release scenarios and every scenario of the space carries a release fault: add a good release, or minimise \"cost\"".into(),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Problems(problems).into());
        }
        let (policy, policy_source) = base.expect("no problems");
        Ok(Space {
            path: path.to_path_buf(),
            name: keys.name,
            policy_spec: keys.policy.expect("no problems"),
            policy,
            policy_source,
            sets: keys.sets,
            import: keys.import,
            scenarios,
            parameters: keys
                .parameters
                .into_iter()
                .map(|p| p.expect("no problems"))
                .collect(),
            objective: keys.objective,
            limits: keys.limits,
            assertions: keys.assertions.into_iter().map(|(_, a)| a).collect(),
            schedule: keys.schedule,
            confidence: keys.confidence,
            bootstrap: keys.bootstrap,
            notes,
        })
    }

    /// The scenarios as the race weighs and classes them.
    pub fn scenario_specs(&self) -> Vec<ScenarioSpec> {
        self.scenarios
            .iter()
            .map(|s| ScenarioSpec {
                name: s.scenario.name.clone(),
                weight: s.weight,
                class: class(&s.scenario),
                censored_deploy_s: (s.scenario.run.horizon_seconds
                    - s.scenario.release.start_seconds)
                    .max(0.0),
            })
            .collect()
    }
}

/// Whether a scenario's release carries a fault (from the scenario, not its runs).
pub fn class(s: &Scenario) -> Class {
    if s.faults().iter().any(|f| f.release) {
        Class::Fault
    } else {
        Class::Good
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values of one `[[parameters]]` table, or the problems it has.
    fn values(table: &str) -> Result<Vec<String>, Vec<String>> {
        let doc = Doc::parse("space.toml", &format!("[p]\nkey = \"policy.x\"\n{table}")).unwrap();
        let got = {
            let root = doc.root();
            let p = root.section("p");
            parameter(&p).map(|p| p.values)
        };
        match (got, doc.into_result()) {
            (Some(v), Ok(())) => Ok(v),
            (_, Err(ps)) => Err(ps.0.iter().map(|p| p.to_string()).collect()),
            (None, Ok(())) => Err(vec![]),
        }
    }

    #[test]
    fn ranges_give_their_ends_and_steps_as_written() {
        let v = |t: &str| values(t).unwrap_or_else(|e| panic!("{t}: {e:?}"));
        assert_eq!(
            v("range = [0, 180]\nstep = 30"),
            ["0", "30", "60", "90", "120", "150", "180"]
        );
        // A step that does not reach the top stops below it.
        assert_eq!(v("range = [0, 100]\nstep = 30"), ["0", "30", "60", "90"]);
        // Decimal steps land on the decimals written, not 0.30000000000000004.
        assert_eq!(v("range = [0.1, 0.3]\nstep = 0.1"), ["0.1", "0.2", "0.3"]);
        assert_eq!(
            v("range = [0.005, 0.04]\nlog = true\npoints = 4"),
            ["0.005", "0.01", "0.02", "0.04"]
        );
        assert_eq!(v("range = [10, 20]\npoints = 3"), ["10", "15", "20"]);
        assert_eq!(
            v("values = [\"10%\", 2, 0.5, true]"),
            ["10%", "2", "0.5", "true"]
        );
        // MAX_VALUES values are taken, one more is refused.
        assert_eq!(v("range = [1, 1000]\nstep = 1").len(), MAX_VALUES);
        let e = values("range = [1, 1001]\nstep = 1").unwrap_err();
        assert!(
            e[0].contains("gives 1001 values from 1 to 1001; a parameter takes at most 1000"),
            "{e:?}"
        );
    }

    #[test]
    fn bad_ranges_say_what_to_write() {
        let e = |t: &str| values(t).unwrap_err().join("\n");
        assert!(
            e("range = [5, 1]\nstep = 1")
                .contains("p.range: [5, 1]: the first end must be below the second")
        );
        assert!(e("range = [0, 1]\nstep = 0").contains("p.step: must be above 0, found 0"));
        assert!(
            e("range = [0, 1]\nlog = true\npoints = 3")
                .contains("a log-spaced range needs LOW above 0")
        );
        assert!(
            e("range = [1, 2]\nlog = true\nstep = 1").contains("a log-spaced range takes `points`")
        );
        assert!(e("range = [1, 2]\npoints = 1").contains("p.points: must be 2 to 1000"));
        assert!(
            e("range = [1, 2]\nstep = 1\npoints = 2").contains("give `step` or `points`, not both")
        );
        assert!(
            e("range = [1, 1.000001]\npoints = 5")
                .contains("gives 1 twice at six significant digits")
        );
        assert!(e("values = []").contains("p.values: must not be empty"));
        assert!(e("values = [\"a,b\"]").contains("may not be empty or hold a comma"));
        assert!(
            e("values = [[1]]")
                .contains("p.values[0]: expected a number, a string or a boolean, found an array")
        );
        assert!(e("values = [1]\nrange = [1, 2]").contains("give `values` or `range`, not both"));
    }
}
