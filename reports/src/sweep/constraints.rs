//! What a user accepts of a recommended policy: an input of the sweep, recorded in its
//! manifest and read by the frontier. A module of its own so that the manifest (an
//! artifact) and the frontier (analysis of the summaries, which read the manifest's
//! runs) both take it from here rather than from each other.

use serde::{Deserialize, Serialize};

/// What the user accepts. Percentages as the flags take them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Constraints {
    /// Largest acceptable p95 of budget consumed on the worst fault scenario, in % of
    /// the SLO window's error budget.
    pub max_budget_p95_pct: f64,
    /// Largest acceptable p50 deploy duration on the worst good-release scenario.
    pub max_deploy_p50_s: f64,
    /// Largest acceptable false-rollback rate, in %.
    pub max_false_rollback_pct: f64,
}

impl Default for Constraints {
    fn default() -> Self {
        Constraints {
            max_budget_p95_pct: 2.0,
            max_deploy_p50_s: 1800.0,
            max_false_rollback_pct: 1.0,
        }
    }
}
