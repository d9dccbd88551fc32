//! The counterfactual twin of a run: the same world on the same seed in which the
//! release never happens.
//!
//! A run's SLO budget mixes what the release cost with what the environment cost (a
//! dependency outage, a traffic spike, kills). Attribution separates direct harm but
//! not secondary effects (capacity lost to a crash loop slowing healthy pods). The
//! twin answers "what would this world have burned without the release": the
//! difference between a run and its twin is the release's cost.
//!
//! The twin is the run's `WorldConfig` with `rollout_start` removed, under a
//! controller that only keeps the baseline at the Deployment's replicas. Before the
//! release every policy does just that (it follows an autoscaler's `spec.replicas`
//! and nothing else), so a twin is the same for every policy with the same
//! `minReadySeconds` (which decides when a pod restarted after a kill counts as
//! available): a sweep computes it once per (scenario, replicate, `min_ready`) and
//! shares it.
//!
//! Until the release time the twin and the run process the same events in the same
//! order with the same draws: the release is the first event in which they differ
//! (the `RolloutStart` the twin lacks), and every stream the environment draws from
//! (arrivals, session arrivals, kills) is apart from those the release draws from.

use crate::control::{Actions, Controller, Observation};
use crate::ids::Version;
use crate::record::RunRecord;
use crate::time::SimDuration;
use crate::world::WorldConfig;

/// Holds the fleet on the baseline at the Deployment's replicas, as every policy does
/// before its release: the control arm of a counterfactual.
struct Hold {
    min_ready: SimDuration,
}

impl Controller for Hold {
    fn sync(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        if obs.cohort(Version::Baseline).spec != obs.desired {
            act.set_replicas(Version::Baseline, obs.desired);
        }
    }

    fn min_ready(&self) -> SimDuration {
        self.min_ready
    }
}

/// The world of `cfg` without its release.
pub fn world_without_release(cfg: &WorldConfig) -> WorldConfig {
    WorldConfig {
        rollout_start: None,
        ..cfg.clone()
    }
}

/// Runs the twin of a run of `cfg` under a policy whose `minReadySeconds` is
/// `min_ready`.
pub fn run_twin(cfg: &WorldConfig, min_ready: SimDuration) -> RunRecord {
    crate::engine::run(&world_without_release(cfg), &mut Hold { min_ready })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::world;
    use crate::time::SimTime;

    #[test]
    fn a_twin_has_no_release_and_no_change() {
        let mut cfg = world(3, 120);
        cfg.rollout_start = Some(SimTime::from_secs(30));
        assert_eq!(world_without_release(&cfg).rollout_start, None);
        let twin = run_twin(&cfg, SimDuration::ZERO);
        assert_eq!(twin.t_change_start, None);
        assert!(twin.counts.arrived > 0);
        assert!(
            twin.log.iter().all(|r| r.subject != "release"),
            "the release is never handed to anyone"
        );
    }
}
