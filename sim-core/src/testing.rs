//! A hand-built world for sim-core's own tests, the unit tests in `src/` and the engine
//! tests in `tests/` alike: the reference fleet, no rollout. Not part of the API.

use crate::dist::ServiceDist;
use crate::lb::Strategy;
use crate::rng::RunSeed;
use crate::slo::{PagerConfig, SloConfig};
use crate::traffic::RateProfile;
use crate::version::{MemoryModel, VersionModel};
use crate::world::{ClientConfig, FleetConfig, LbConfig, Observability, WorldConfig};
use crate::{SimDuration, SimTime};

/// A healthy version: 20 ms exponential service, no leak, 10 s start-up.
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

/// The reference fleet (20 pods, 600 req/s of 20 ms exponential work), no rollout.
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
        autoscaler: None,
        cluster: None,
        engine: crate::world::Engine::PerRequest,
    }
}
