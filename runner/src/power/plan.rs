//! From `rollcage power`'s flags to a checked plan: the effect's key and range, the
//! values run (the no-regression point and `points` evenly spaced values), one
//! scenario per value, the policy and its gates. Everything is read and checked before
//! anything runs; a problem names the flag it came from.

use config::{Problem, Problems};
use policies::{CanarySpec, Policy, PolicyKind};
use reports::power::EffectKey;
use scenarios::Scenario;

use crate::RunnerError;
use crate::inputs::{ImportFlags, Override, Target, load_scenario, parse_override, resolve};
use crate::limits;

/// What the user asked for, before anything is read.
#[derive(Clone, Debug)]
pub struct PowerRequest {
    /// A built-in scenario name or a file.
    pub scenario: String,
    pub policy: String,
    /// `--effect KEY=FROM..TO`, as given.
    pub effect: String,
    pub points: usize,
    pub seeds: u64,
    pub master_seed: u64,
    /// `--set KEY=VALUE`, applied to the scenario at every point and to the policy.
    pub sets: Vec<String>,
    pub import: ImportFlags,
    pub bootstrap_resamples: usize,
}

/// A parsed `--effect`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EffectRange {
    pub key: EffectKey,
    pub from: f64,
    pub to: f64,
}

/// Parses `KEY=FROM..TO` (`KEY` with or without `scenario.`); the error says what is
/// wrong without the flag, which the caller puts in front.
pub fn parse_effect(raw: &str) -> Result<EffectRange, String> {
    let (key, range) = raw
        .split_once('=')
        .ok_or("expected KEY=FROM..TO, e.g. candidate.error_probability=0.001..0.02")?;
    let key = key.trim();
    let Some(k) = EffectKey::parse(key) else {
        let names: Vec<&str> = EffectKey::ALL.iter().map(|k| k.key()).collect();
        let bare = key.strip_prefix("scenario.").unwrap_or(key);
        let hint = config::suggest(bare, names.iter().copied())
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default();
        return Err(format!(
            "unknown key `{key}`{hint}; power sweeps a candidate parameter whose baseline value is \
             the no-regression point: {}",
            names.join(", ")
        ));
    };
    let (from, to) = range
        .split_once("..")
        .ok_or("expected a range FROM..TO after `=`, e.g. 0.001..0.02")?;
    let number = |what: &str, s: &str| -> Result<f64, String> {
        match s.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err(format!("{what} `{}` is not a number", s.trim())),
        }
    };
    let (from, to) = (number("FROM", from)?, number("TO", to)?);
    if from >= to {
        return Err(format!(
            "FROM ({from}) must be less than TO ({to}): the range goes from the smallest regression to the largest"
        ));
    }
    Ok(EffectRange { key: k, from, to })
}

/// `x` rounded to 6 significant digits, so that the value written in the files (Rust's
/// shortest text for it) is short and is exactly the value run.
fn round6(x: f64) -> f64 {
    format!("{x:.5e}")
        .parse()
        .expect("a formatted float parses")
}

/// `points` values evenly spaced from `from` to `to`, both included (linear spacing).
pub fn linear_points(from: f64, to: f64, points: usize) -> Vec<f64> {
    (0..points)
        .map(|i| round6(from + (to - from) * i as f64 / (points - 1) as f64))
        .collect()
}

/// The baseline's value of `key` in `s`: the no-regression point.
pub fn baseline_value(s: &Scenario, key: EffectKey) -> f64 {
    let b = &s.baseline;
    match key {
        EffectKey::ErrorProbability => b.error_probability,
        EffectKey::LatencyMultiplier => b.latency_multiplier,
        EffectKey::CrashOnStartProbability => b.crash_on_start_probability,
        EffectKey::LeakMbPerSecond => b.memory.leak_mb_per_second,
        EffectKey::LeakKbPerRequest => b.memory.leak_kb_per_request,
    }
}

/// Whether the policy sends a weight of the traffic to the candidate through a router.
pub fn traffic_routed(p: &Policy) -> bool {
    match &p.kind {
        PolicyKind::Canary(CanarySpec::Argo(s)) => s.traffic_routing,
        PolicyKind::Canary(CanarySpec::Flagger(_)) => true,
        _ => false,
    }
}

/// A checked power analysis.
pub struct PowerPlan {
    pub request: PowerRequest,
    pub effect: EffectRange,
    /// The baseline's value of the key.
    pub baseline: f64,
    /// The values run: the baseline's first, then the swept points.
    pub values: Vec<f64>,
    /// One scenario per value, all with the scenario's name (so replicate k has the
    /// same seed at every point: common random numbers).
    pub scenarios: Vec<Scenario>,
    pub scenario_source: String,
    pub policy: Policy,
    pub policy_source: String,
    /// The policy's gate names, in its order.
    pub gates: Vec<String>,
    /// Lines for stderr (what a manifest policy's import noted).
    pub notes: Vec<String>,
}

impl PowerPlan {
    /// Runs in the analysis.
    pub fn total(&self) -> u64 {
        self.values.len() as u64 * self.request.seeds
    }

    /// The `--set` that puts the key at `value`.
    pub fn set_for(&self, value: f64) -> String {
        format!("scenario.{}={value}", self.effect.key.key())
    }
}

fn usage(problems: Vec<String>) -> RunnerError {
    RunnerError::Usage(problems.join("\n"))
}

/// Reads and checks everything before anything runs.
pub fn plan(req: &PowerRequest) -> Result<PowerPlan, RunnerError> {
    let flag = format!("--effect {}", req.effect);
    let mut problems = Vec::new();
    let effect = parse_effect(&req.effect).map_err(|e| problems.push(format!("{flag}: {e}")));
    if let Err(e) = limits::check_seeds(req.seeds) {
        problems.push(format!("--seeds: {e}"));
    }
    if !(limits::MIN_POWER_POINTS..=limits::MAX_POWER_POINTS).contains(&(req.points as u64)) {
        problems.push(format!(
            "--points: {} points: expected {} to {} (a curve needs two points to interpolate on)",
            req.points,
            limits::MIN_POWER_POINTS,
            limits::MAX_POWER_POINTS
        ));
    } else if let Err(e) = limits::power_runs(req.points as u64, req.seeds) {
        problems.push(format!("--seeds {}: {e}", req.seeds));
    }
    if let Err(e) = limits::check_bootstrap(req.bootstrap_resamples as u64) {
        problems.push(format!("--bootstrap: {e}"));
    }
    if let Ok(e) = &effect {
        for raw in &req.sets {
            if let Ok(o) = parse_override(raw)
                && o.target == Target::Scenario
                && EffectKey::parse(&o.key) == Some(e.key)
            {
                problems.push(format!(
                    "--set {raw}: sets the key --effect sweeps ({}); drop one of them",
                    e.key.key()
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(usage(problems));
    }
    let effect = effect.expect("no problems");
    let resolved = resolve(&req.scenario, &req.policy, &req.sets, &req.import)?;
    let base = &resolved.scenario;
    if !base.release.enabled {
        return Err(usage(vec![format!(
            "--scenario {}: it has no release (release.enabled = false), so there is nothing to detect",
            req.scenario
        )]));
    }
    let baseline = baseline_value(base, effect.key);
    if effect.from <= baseline {
        return Err(usage(vec![format!(
            "{flag}: FROM ({}) must exceed the baseline's value of {} in scenario {} ({baseline}): \
             that is the no-regression point, which power adds itself",
            effect.from,
            effect.key.baseline_key(),
            base.name
        )]));
    }

    let mut overrides: Vec<Override> = Vec::new();
    for raw in &req.sets {
        overrides.push(parse_override(raw).expect("checked by resolve"));
    }
    let load_at = |value: f64| -> Result<Scenario, String> {
        let mut with = overrides.clone();
        with.push(
            parse_override(&format!("scenario.{}={value}", effect.key.key())).expect("a valid key"),
        );
        load_scenario(&req.scenario, &with)
            .map(|(s, _)| s)
            .map_err(|e| match e {
                RunnerError::Config(Problems(ps)) => ps
                    .iter()
                    .map(|p| {
                        let at = Problem {
                            origin: format!("{flag}: at {}={value}", effect.key.key()),
                            key: String::new(),
                            reason: if p.origin == "--set" {
                                p.reason.clone()
                            } else {
                                p.to_string()
                            },
                        };
                        at.to_string()
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                other => format!("{flag}: {other}"),
            })
    };
    // Both ends first: a range the key refuses is said once per end, not per point.
    let ends: Vec<String> = [effect.from, effect.to]
        .iter()
        .filter_map(|&v| load_at(v).err())
        .collect();
    if !ends.is_empty() {
        return Err(usage(ends));
    }
    let mut values = vec![baseline];
    values.extend(linear_points(effect.from, effect.to, req.points));
    let mut scenarios = Vec::with_capacity(values.len());
    let mut failed = Vec::new();
    for &v in &values {
        match load_at(v) {
            Ok(s) => scenarios.push(s),
            Err(e) => failed.push(e),
        }
    }
    if !failed.is_empty() {
        return Err(usage(failed));
    }
    let release_faults: Vec<String> = scenarios[0]
        .faults()
        .into_iter()
        .filter(|f| f.release)
        .map(|f| f.name)
        .collect();
    if !release_faults.is_empty() {
        return Err(usage(vec![format!(
            "{flag}: at no regression ({}={baseline}) scenario {} still carries the release fault{} {}, \
             so its false-rollback point would not be a good release; choose a scenario whose only \
             regression is this key (good-release, error-regression, latency-regression) or \
             remove the others with --set",
            effect.key.key(),
            base.name,
            if release_faults.len() == 1 { "" } else { "s" },
            release_faults.join(", ")
        )]));
    }
    let gates = resolved
        .policy
        .kind
        .gates()
        .iter()
        .map(|g| g.name.clone())
        .collect();
    Ok(PowerPlan {
        request: req.clone(),
        effect,
        baseline,
        values,
        scenarios,
        scenario_source: resolved.scenario_source,
        policy: resolved.policy,
        policy_source: resolved.policy_source,
        gates,
        notes: resolved.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(effect: &str) -> PowerRequest {
        PowerRequest {
            scenario: "good-release".into(),
            policy: "argo-canary".into(),
            effect: effect.into(),
            points: 4,
            seeds: 3,
            master_seed: 1,
            sets: vec![],
            import: ImportFlags::default(),
            bootstrap_resamples: 100,
        }
    }

    fn refusal(req: &PowerRequest) -> String {
        plan(req).err().expect("refused").to_string()
    }

    #[test]
    fn effects_parse_and_malformed_ones_say_why() {
        assert_eq!(
            parse_effect("candidate.error_probability=0.001..0.02"),
            Ok(EffectRange {
                key: EffectKey::ErrorProbability,
                from: 0.001,
                to: 0.02
            })
        );
        assert_eq!(
            parse_effect("scenario.candidate.latency_multiplier=1.05..2").map(|e| e.key),
            Ok(EffectKey::LatencyMultiplier)
        );
        let e = parse_effect("candidate.error_probability").unwrap_err();
        assert!(e.starts_with("expected KEY=FROM..TO"), "{e}");
        let e = parse_effect("candidate.error_probability=0.01").unwrap_err();
        assert!(e.starts_with("expected a range FROM..TO"), "{e}");
        let e = parse_effect("candidate.error_probabilty=0.01..0.02").unwrap_err();
        assert!(e.contains("unknown key `candidate.error_probabilty` (did you mean `candidate.error_probability`?)"), "{e}");
        let e = parse_effect("fleet.replicas=1..2").unwrap_err();
        assert!(e.starts_with("unknown key `fleet.replicas`;"), "{e}");
        let e = parse_effect("candidate.error_probability=x..0.02").unwrap_err();
        assert_eq!(e, "FROM `x` is not a number");
        let e = parse_effect("candidate.error_probability=0.01..inf").unwrap_err();
        assert_eq!(e, "TO `inf` is not a number");
        // FROM equal to TO is refused, FROM just below it is not.
        let e = parse_effect("candidate.error_probability=0.02..0.02").unwrap_err();
        assert!(
            e.starts_with("FROM (0.02) must be less than TO (0.02)"),
            "{e}"
        );
        assert!(parse_effect("candidate.error_probability=0.0199..0.02").is_ok());
    }

    #[test]
    fn points_are_linear_with_both_ends() {
        assert_eq!(linear_points(0.001, 0.004, 4), [0.001, 0.002, 0.003, 0.004]);
        assert_eq!(linear_points(1.05, 2.0, 2), [1.05, 2.0]);
        let p = linear_points(0.001, 0.02, 8);
        assert_eq!(p.len(), 8);
        assert_eq!((p[0], p[7]), (0.001, 0.02));
        assert_eq!(p[1], 0.00371429, "six significant digits");
    }

    #[test]
    fn a_plan_has_the_no_regression_point_first_and_one_scenario_per_value() {
        let p = plan(&request("candidate.error_probability=0.005..0.02")).unwrap();
        assert_eq!(p.values, [0.0, 0.005, 0.01, 0.015, 0.02]);
        assert_eq!(p.scenarios.len(), 5);
        assert!(p.scenarios.iter().all(|s| s.name == "good-release"));
        assert_eq!(p.scenarios[3].candidate.error_probability, 0.015);
        assert_eq!(p.gates, ["error-ratio", "p99-latency", "restarts"]);
        assert_eq!(p.total(), 15);
        assert!(!traffic_routed(&p.policy));
    }

    #[test]
    fn bad_inputs_are_refused_naming_the_flag() {
        let e = refusal(&request("candidate.error_probability=0.5..1.5"));
        assert!(
            e.contains(
                "--effect candidate.error_probability=0.5..1.5: at candidate.error_probability=1.5:"
            ),
            "{e}"
        );
        assert!(!e.contains("=0.5:"), "the lower end is fine: {e}");
        let e = refusal(&request("candidate.latency_multiplier=0.5..2"));
        assert!(e.contains("FROM (0.5) must exceed the baseline's value of baseline.latency_multiplier in scenario good-release (1)"), "{e}");
        let mut r = request("candidate.latency_multiplier=1.1..2");
        r.scenario = "error-regression".into();
        let e = refusal(&r);
        assert!(
            e.contains("still carries the release fault error-regression"),
            "{e}"
        );
        r.sets = vec!["scenario.candidate.error_probability=0".into()];
        assert!(plan(&r).is_ok(), "removed with --set");
        r.sets = vec!["scenario.candidate.latency_multiplier=3".into()];
        assert!(refusal(&r).contains("sets the key --effect sweeps"));
        let mut r = request("candidate.error_probability=0.01..0.02");
        r.points = 1;
        assert!(refusal(&r).contains("--points: 1 points: expected 2 to 100"));
        r.points = 0;
        assert!(refusal(&r).contains("--points: 0 points"));
        r.points = 2;
        r.seeds = 333_334;
        assert!(refusal(&r).contains("3 points (the no-regression point included) × 333334 seeds"));
        r.seeds = 333_333;
        assert!(plan(&r).is_ok());
        let mut r = request("candidate.error_probability=0.01..0.02");
        r.scenario = "steady".into();
        assert!(refusal(&r).contains("it has no release"));
    }
}
