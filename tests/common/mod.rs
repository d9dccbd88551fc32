//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use reports::RunMetrics;
use runner::inputs::resolve;
use sim_core::RunRecord;

/// Runs a built-in (or file) scenario under a policy through the library.
pub fn run(scenario: &str, policy: &str, seed: u64, sets: &[&str]) -> (RunRecord, RunMetrics) {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let r = resolve(scenario, policy, &sets).unwrap_or_else(|e| panic!("{e}"));
    runner::execute::run_once(&r.scenario, &r.policy, seed, 0)
}

/// Runs the `rollcage` binary.
pub fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollcage"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("rollcage runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh, empty temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollcage-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Checks the request conservation law of a run.
pub fn assert_conserved(rec: &RunRecord) {
    let c = rec.counts;
    assert_eq!(
        c.arrived,
        c.succeeded + c.errors + c.timeouts + c.in_flight_end,
        "arrived = succeeded + failed + in flight: {c:?}"
    );
}
