//! Running one scenario under one policy for one seed.

use policies::Policy;
use reports::RunMetrics;
use reports::metrics::Twin;
use scenarios::Scenario;
use scenarios::uncertain::Drawn;
use sim_core::RunRecord;
use sim_core::rng::RunSeed;

use crate::RunnerError;

/// The stable per-scenario component of a run's seed: a hash of the scenario's name,
/// so a scenario draws the same streams whatever list it appears in.
pub fn scenario_key(name: &str) -> u64 {
    sim_core::hash::fnv1a(name.as_bytes())
}

/// The seed of replicate `replicate` of `scenario` under master seed `master`. The
/// policy plays no part: every policy sees the same draws (common random numbers).
pub fn run_seed(master: u64, scenario: &Scenario, replicate: u64) -> RunSeed {
    RunSeed::new(master, scenario_key(&scenario.name), replicate)
}

/// The scenario replicate `replicate` runs: `scenario` itself, or, when it has
/// uncertain parameters, its draw for the run's seed (which the policy has no part
/// in, so every policy compared on a replicate faces the same world).
pub fn draw(scenario: &Scenario, master: u64, replicate: u64) -> Result<Drawn<'_>, RunnerError> {
    Ok(scenario.draw(run_seed(master, scenario, replicate))?)
}

/// One replicate of the scenario `drawn` (see `draw`) and its metrics.
pub fn run_drawn(
    drawn: &Scenario,
    policy: &Policy,
    master: u64,
    replicate: u64,
) -> (RunRecord, RunMetrics) {
    let world = drawn.world(run_seed(master, drawn, replicate));
    let mut controller = policy.controller();
    let record = sim_core::run(&world, controller.as_mut());
    let metrics = RunMetrics::derive(&record, drawn.mitigation_hold());
    (record, metrics)
}

/// `draw`, for callers holding a scenario `Scenario::from_doc` accepted: a draw is
/// refused only if a rule of the reader is not monotone (every corner of the
/// parameters' box was read when the scenario was), which is a bug: it panics naming
/// the draw.
pub fn draw_accepted(scenario: &Scenario, master: u64, replicate: u64) -> Drawn<'_> {
    draw(scenario, master, replicate).unwrap_or_else(|e| {
        panic!(
            "scenario {}, replicate {replicate}: a draw every corner check accepted is refused: {e}",
            scenario.name
        )
    })
}

/// Runs one replicate and derives its metrics: the draw and the run at once, for
/// callers that need not see what was drawn.
pub fn run_once(
    scenario: &Scenario,
    policy: &Policy,
    master: u64,
    replicate: u64,
) -> (RunRecord, RunMetrics) {
    let drawn = draw_accepted(scenario, master, replicate);
    run_drawn(&drawn.scenario, policy, master, replicate)
}

/// The `minReadySeconds` of `policy`: with the scenario and replicate, all a twin
/// depends on (see `sim_core::twin`).
pub fn twin_key(policy: &Policy) -> sim_core::SimDuration {
    policy.controller().min_ready()
}

/// The figures of the twin of replicate `replicate` of `scenario` (the same world and
/// seed without the release, the same draw of its uncertain parameters) for policies
/// whose `minReadySeconds` is `min_ready`.
pub fn run_twin(
    scenario: &Scenario,
    master: u64,
    replicate: u64,
    min_ready: sim_core::SimDuration,
) -> Twin {
    let drawn = draw_accepted(scenario, master, replicate);
    let world = drawn
        .scenario
        .world(run_seed(master, &drawn.scenario, replicate));
    let record = sim_core::twin::run_twin(&world, min_ready);
    Twin::of(&RunMetrics::derive(
        &record,
        drawn.scenario.mitigation_hold(),
    ))
}

/// `run_once`, its metrics paired with its twin's (`--counterfactual`).
pub fn run_with_twin(
    scenario: &Scenario,
    policy: &Policy,
    master: u64,
    replicate: u64,
) -> (RunRecord, RunMetrics) {
    let (record, metrics) = run_once(scenario, policy, master, replicate);
    let twin = run_twin(scenario, master, replicate, twin_key(policy));
    (record, metrics.with_twin(twin))
}

/// A `rollcage run` command for one run: `scenario` and `policy` as the command takes
/// them (built-in names or files), every `--set` (a sweep's grid values among them),
/// then the import flags of a manifest policy (`--analysis FILE`) as words.
/// Words are quoted for a POSIX shell where they need it; `--set` values always are.
pub fn reproduce_command(
    scenario: &str,
    policy: &str,
    seed: u64,
    replicate: u64,
    sets: &[String],
    import: &[String],
) -> String {
    let mut cmd = format!(
        "rollcage run --scenario {} --policy {} --seed {seed} --replicate {replicate}",
        shell_word(scenario),
        shell_word(policy)
    );
    for s in sets {
        cmd.push_str(" --set ");
        cmd.push_str(&single_quoted(s));
    }
    for w in import {
        cmd.push(' ');
        cmd.push_str(&shell_word(w));
    }
    cmd
}

/// `word` as is when a shell reads it unchanged, else single-quoted.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,%+@".contains(c));
    if plain {
        word.to_string()
    } else {
        single_quoted(word)
    }
}

/// `'word'`, with each `'` inside written as `'\''` (close, escaped quote, reopen).
fn single_quoted(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Common random numbers: a replicate's seed is the master seed's, the scenario's
    /// and the replicate's, never the policy's, so every policy compared on a replicate
    /// faces the same arrivals; another replicate, master seed or scenario is another
    /// world.
    #[test]
    fn a_replicate_faces_the_same_world_under_every_policy() {
        let resolve = |s: &str, p: &str| {
            crate::inputs::resolve(s, p, &[], &Default::default()).expect("built-ins resolve")
        };
        let (a, b) = (
            resolve("good-release", "k8s-default"),
            resolve("good-release", "gated-10pct"),
        );
        assert_eq!(run_seed(7, &a.scenario, 3), run_seed(7, &b.scenario, 3));
        let (ra, _) = run_once(&a.scenario, &a.policy, 7, 3);
        let (rb, _) = run_once(&b.scenario, &b.policy, 7, 3);
        assert_eq!(ra.counts.arrived, rb.counts.arrived, "the same arrivals");
        let other = resolve("memory-leak", "k8s-default");
        let seed = run_seed(7, &a.scenario, 3);
        assert_ne!(seed, run_seed(7, &a.scenario, 4));
        assert_ne!(seed, run_seed(8, &a.scenario, 3));
        assert_ne!(seed, run_seed(7, &other.scenario, 3));
        let (r4, _) = run_once(&a.scenario, &a.policy, 7, 4);
        assert_ne!(ra.counts.arrived, r4.counts.arrived, "another replicate");
    }

    #[test]
    fn reproduce_commands_quote_what_a_shell_would_split() {
        assert_eq!(
            reproduce_command(
                "memory-leak",
                "gated-10pct",
                7,
                3,
                &["scenario.run.horizon_seconds=300".into()],
                &[]
            ),
            "rollcage run --scenario memory-leak --policy gated-10pct --seed 7 --replicate 3 \
             --set 'scenario.run.horizon_seconds=300'"
        );
        assert_eq!(
            reproduce_command(
                "my dir/s.toml",
                "p.toml",
                1,
                0,
                &["policy.name=it's".into()],
                &[]
            ),
            "rollcage run --scenario 'my dir/s.toml' --policy p.toml --seed 1 --replicate 0 \
             --set 'policy.name=it'\\''s'"
        );
        assert_eq!(
            reproduce_command(
                "steady",
                "rollout.yaml#web",
                1,
                0,
                &[],
                &["--analysis".into(), "my templates.yaml".into()]
            ),
            "rollcage run --scenario steady --policy 'rollout.yaml#web' --seed 1 --replicate 0 \
             --analysis 'my templates.yaml'"
        );
    }
}
