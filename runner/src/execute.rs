//! Running one scenario under one policy for one seed.

use policies::Policy;
use reports::RunMetrics;
use scenarios::Scenario;
use sim_core::RunRecord;
use sim_core::rng::RunSeed;

/// The stable per-scenario component of a run's seed: a hash of the scenario's name,
/// so a scenario draws the same streams whatever list it appears in.
pub fn scenario_key(name: &str) -> u64 {
    // FNV-1a, 64 bit.
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The seed of replicate `replicate` of `scenario` under master seed `master`. The
/// policy plays no part: every policy sees the same draws (common random numbers).
pub fn run_seed(master: u64, scenario: &Scenario, replicate: u64) -> RunSeed {
    RunSeed::new(master, scenario_key(&scenario.name), replicate)
}

/// Runs one replicate and derives its metrics.
pub fn run_once(
    scenario: &Scenario,
    policy: &Policy,
    master: u64,
    replicate: u64,
) -> (RunRecord, RunMetrics) {
    let world = scenario.world(run_seed(master, scenario, replicate));
    let mut controller = policy.controller();
    let record = sim_core::run(&world, controller.as_mut());
    let metrics = RunMetrics::derive(&record, scenario.mitigation_hold());
    (record, metrics)
}
