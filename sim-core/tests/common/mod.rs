//! A hand-built world for engine tests: the reference fleet, no rollout.

use sim_core::dist::ServiceDist;
use sim_core::lb::Strategy;
use sim_core::rng::RunSeed;
use sim_core::slo::{PagerConfig, SloConfig};
use sim_core::traffic::RateProfile;
use sim_core::version::{MemoryModel, VersionModel};
use sim_core::world::{ClientConfig, FleetConfig, LbConfig, Observability, WorldConfig};
use sim_core::{Actions, Controller, Observation, SimDuration, SimTime};

pub fn model() -> VersionModel {
    VersionModel {
        service: ServiceDist::Exponential {
            mean: SimDuration::from_millis(20),
        },
        service_multiplier: 1.0,
        error_probability: 0.0,
        memory: MemoryModel::NO_LEAK,
        startup: SimDuration::from_secs(10),
        crash_on_start_probability: 0.0,
    }
}

pub fn world(seed: u64, horizon_s: u64) -> WorldConfig {
    WorldConfig {
        seed: RunSeed::new(seed, 0, 0),
        horizon: SimTime::from_secs(horizon_s),
        max_events: 1_000_000_000,
        fleet: FleetConfig {
            replicas: 20,
            concurrency: 1,
            request_timeout: SimDuration::from_secs(10),
            drain_timeout: SimDuration::from_secs(30),
            backoff_initial: SimDuration::from_secs(10),
            backoff_max: SimDuration::from_secs(300),
            backoff_reset: SimDuration::from_secs(600),
            queue_limit: 1000,
        },
        lb: LbConfig {
            strategy: Strategy::Random,
            health_interval: SimDuration::from_secs(5),
            unhealthy_threshold: 2,
        },
        traffic: RateProfile::Constant { rate: 600.0 },
        versions: [model(), model()],
        faults: vec![],
        sessions: None,
        schema: None,
        kpi: None,
        client: ClientConfig::NO_RETRIES,
        slo: SloConfig {
            objective: 0.999,
            latency_threshold: SimDuration::from_millis(500),
            window: SimDuration::from_secs(30 * 86_400),
            pager: PagerConfig::workbook(SimDuration::from_secs(300)),
        },
        observability: Observability {
            scrape_interval: SimDuration::from_secs(15),
            metrics_lag: SimDuration::from_secs(30),
        },
        rollout_start: None,
    }
}

/// Changes nothing, ever.
pub struct Idle;

impl Controller for Idle {
    fn sync(&mut self, _obs: &Observation<'_>, _actions: &mut Actions) {}
}
