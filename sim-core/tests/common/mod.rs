//! A hand-built world for engine tests: the reference fleet, no rollout (built by
//! `sim_core::testing`, which the crate's unit tests share).

pub use sim_core::testing::world;
use sim_core::{Actions, Controller, Observation};

/// Changes nothing, ever.
pub struct Idle;

impl Controller for Idle {
    fn sync(&mut self, _obs: &Observation<'_>, _actions: &mut Actions) {}
}
