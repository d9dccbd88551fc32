//! Scenarios: a fleet, its traffic, its SLO, and a release (good or bad).
//!
//! A scenario file is TOML with a `schema_version`. `Scenario::from_doc` reads it,
//! reporting every problem at once; `Scenario::world` turns it into the engine's
//! `WorldConfig` for one seed. The candidate's defects relative to the baseline become
//! faults with their own ids, so every bad event they cause is attributed to them.

#![forbid(unsafe_code)]

mod cluster;
pub mod faults;
pub mod limits;
mod model;
mod read;
pub mod replay;
mod scaling;
pub mod uncertain;
pub mod work;

pub use model::*;

use config::{Doc, Problems};
use sim_core::rng::RunSeed;

/// The scenario file format this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

impl Scenario {
    /// Reads a scenario document, reporting every problem at once. A document whose
    /// values are each within bounds is then checked as a whole, as a run would meet
    /// it: its work estimate against `run.max_events` and the memory limits
    /// (`work::check`), and the engine's world built from it (`WorldConfig::check`).
    /// So whatever reads scenarios (run, validate, sweeps, checks, game days) refuses
    /// the same files, before anything runs.
    ///
    /// A document holding distribution tables reads as the scenario at its parameters'
    /// medians, carrying what `draw` needs, once every value they can draw is accepted
    /// (`uncertain`).
    pub fn from_doc(doc: &Doc) -> Result<Scenario, Problems> {
        let found = config::uncertain::find(doc.table());
        if found.is_empty() {
            Scenario::from_fixed_doc(doc)
        } else {
            uncertain::read(doc, found)
        }
    }

    /// `from_doc` for a document of plain numbers.
    fn from_fixed_doc(doc: &Doc) -> Result<Scenario, Problems> {
        let scenario = read::scenario(&doc.root());
        if !doc.has_problems() && scenario.run.engine == EngineChoice::Fluid {
            let world = scenario.world(RunSeed::new(0, 0, 0));
            for what in sim_core::world::fluid_unsupported(&world) {
                doc.problem(
                    "run.engine",
                    format!(
                        "the fluid engine cannot run {what}; use --engine per-request (or run.engine = \"per-request\"), or \"auto\", which falls back to it"
                    ),
                );
            }
        }
        if !doc.has_problems() {
            for (key, reason) in work::check(&scenario) {
                doc.problem(&key, reason);
            }
        }
        if !doc.has_problems()
            && let Err(e) = scenario.world(RunSeed::new(0, 0, 0)).check()
        {
            doc.problem("", format!("the engine cannot run this scenario: {e}"));
        }
        if doc.has_problems() {
            Err(Problems(doc.problems()))
        } else {
            Ok(scenario)
        }
    }

    /// One line for `rollcage list`.
    pub fn summary(&self) -> String {
        self.description.clone()
    }

    /// The work this scenario asks of the engine (see `work`).
    pub fn estimate(&self) -> work::Estimate {
        work::estimate(self)
    }
}

/// The built-in scenarios, by name, as TOML files shipped in the binary.
pub const BUILTIN: [(&str, &str); 29] = [
    ("steady", include_str!("../builtin/steady.toml")),
    ("good-release", include_str!("../builtin/good-release.toml")),
    (
        "error-regression",
        include_str!("../builtin/error-regression.toml"),
    ),
    (
        "latency-regression",
        include_str!("../builtin/latency-regression.toml"),
    ),
    ("memory-leak", include_str!("../builtin/memory-leak.toml")),
    ("crashloop", include_str!("../builtin/crashloop.toml")),
    ("reference", include_str!("../builtin/reference.toml")),
    (
        "schema-forward",
        include_str!("../builtin/schema-forward.toml"),
    ),
    (
        "schema-backward",
        include_str!("../builtin/schema-backward.toml"),
    ),
    (
        "schema-expand-contract",
        include_str!("../builtin/schema-expand-contract.toml"),
    ),
    (
        "sticky-sessions",
        include_str!("../builtin/sticky-sessions.toml"),
    ),
    ("config-drift", include_str!("../builtin/config-drift.toml")),
    ("lb-imbalance", include_str!("../builtin/lb-imbalance.toml")),
    (
        "dependency-outage",
        include_str!("../builtin/dependency-outage.toml"),
    ),
    (
        "traffic-spike",
        include_str!("../builtin/traffic-spike.toml"),
    ),
    ("zone-loss", include_str!("../builtin/zone-loss.toml")),
    ("silent-kpi", include_str!("../builtin/silent-kpi.toml")),
    ("metrics-gap", include_str!("../builtin/metrics-gap.toml")),
    (
        "memory-leak-slow",
        include_str!("../builtin/memory-leak-slow.toml"),
    ),
    (
        "memory-leak-gc",
        include_str!("../builtin/memory-leak-gc.toml"),
    ),
    (
        "crash-after-ready",
        include_str!("../builtin/crash-after-ready.toml"),
    ),
    (
        "intermittent-errors",
        include_str!("../builtin/intermittent-errors.toml"),
    ),
    (
        "memory-leak-uncertain",
        include_str!("../builtin/memory-leak-uncertain.toml"),
    ),
    (
        "error-regression-uncertain",
        include_str!("../builtin/error-regression-uncertain.toml"),
    ),
    (
        "good-release-uncertain",
        include_str!("../builtin/good-release-uncertain.toml"),
    ),
    (
        "spike-with-hpa",
        include_str!("../builtin/spike-with-hpa.toml"),
    ),
    ("hpa-flapping", include_str!("../builtin/hpa-flapping.toml")),
    ("quota-stuck", include_str!("../builtin/quota-stuck.toml")),
    ("quota-tight", include_str!("../builtin/quota-tight.toml")),
];

/// Loads a built-in scenario by name.
pub fn builtin(name: &str) -> Option<Doc> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(n, text)| {
        Doc::parse(&format!("built-in scenario {n}"), text).expect("built-in scenarios parse")
    })
}
