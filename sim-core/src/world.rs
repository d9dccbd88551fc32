//! Everything the engine needs to build a world, checked before the first event.

use crate::dist::ServiceDist;
use crate::fault::{FaultDef, FaultKind, WorldFault};
use crate::lb::Strategy;
use crate::rng::RunSeed;
use crate::slo::SloConfig;
use crate::time::{SimDuration, SimTime};
use crate::traffic::RateProfile;
use crate::version::VersionModel;

/// The fleet: a Deployment's pods and how each behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetConfig {
    pub replicas: u32,
    /// Workers per instance: requests served at once.
    pub concurrency: u32,
    /// The client gives up after this long.
    pub request_timeout: SimDuration,
    /// A draining instance's remaining requests are cut after this long.
    pub drain_timeout: SimDuration,
    /// Crash-loop backoff: first delay, cap, and the healthy run time that resets it
    /// (Kubernetes: 10 s doubling to 300 s, reset after 10 min).
    pub backoff_initial: SimDuration,
    pub backoff_max: SimDuration,
    pub backoff_reset: SimDuration,
    /// Requests an instance queues beyond its busy workers; one more is refused as an
    /// error (load shedding), which keeps an overloaded run's memory flat.
    pub queue_limit: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LbConfig {
    pub strategy: Strategy,
    pub health_interval: SimDuration,
    /// Consecutive failed checks before an instance is taken out.
    pub unhealthy_threshold: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Observability {
    pub scrape_interval: SimDuration,
    /// How long after a scrape its numbers reach detectors.
    pub metrics_lag: SimDuration,
}

/// User sessions: a second source of traffic whose requests come back to the same
/// instance when affinity is on.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionConfig {
    /// New sessions per second (Poisson).
    pub rate: f64,
    /// Mean requests per session (geometric, at least one).
    pub requests_mean: f64,
    /// Mean pause between a session's requests (exponential).
    pub think_time: SimDuration,
    /// A session ends after this long whatever is left.
    pub lifetime: SimDuration,
    /// Cookie affinity: a session's requests go to the instance that served its first.
    pub sticky: bool,
}

/// The shared database's schema and who can work with it.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaConfig {
    pub initial: String,
    /// Schemas each version works with, indexed by `Version::index()`.
    pub compatible: [Vec<String>; 2],
    /// Share of requests that touch the database.
    pub db_share: f64,
}

/// A business KPI: each successful request converts with this probability.
#[derive(Clone, Debug, PartialEq)]
pub struct KpiConfig {
    pub conversion_probability: f64,
}

/// Clients retry failed requests: each error response is retried up to `retries` times,
/// `backoff` later (doubling), which amplifies load when things go wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientConfig {
    pub retries: u32,
    pub backoff: SimDuration,
}

impl ClientConfig {
    pub const NO_RETRIES: ClientConfig = ClientConfig {
        retries: 0,
        backoff: SimDuration::ZERO,
    };
}

/// What the autoscaler reads from each pod (metrics-server's resource metric, or a
/// pods metric through a metrics adapter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoscalerMetric {
    /// Busy workers over `fleet.concurrency`, standing in for CPU: a `Utilization`
    /// target, with the HPA's CPU rules for pods that are not yet ready.
    Utilization,
    /// Requests served per second per pod: an `AverageValue` pods metric.
    RequestsPerPod,
}

/// A HorizontalPodAutoscaler on the Deployment (or Rollout).
#[derive(Clone, Debug, PartialEq)]
pub struct AutoscalerConfig {
    /// Replica bounds, target, tolerance and behavior, as the HPA controller takes them.
    pub spec: crate::hpa::HpaSpec,
    pub metric: AutoscalerMetric,
    /// `--horizontal-pod-autoscaler-sync-period`: the HPA syncs at every multiple.
    pub sync_period: SimDuration,
    /// metrics-server's `--metric-resolution`: each pod's sample is the average over
    /// the last such window, taken at its multiples.
    pub metrics_resolution: SimDuration,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` and
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (utilisation only).
    pub cpu_initialization_period: SimDuration,
    pub initial_readiness_delay: SimDuration,
}

/// The room the cluster has for pods: a ResourceQuota on `pods`, node capacity, or both.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    pub capacity: Capacity,
    /// Later capacities (a node pool shrinking or growing), in time order.
    pub changes: Vec<(SimTime, Capacity)>,
}

/// Schedulable pods at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Capacity {
    /// At most this many pods in the namespace (a ResourceQuota `pods`), if set.
    pub max_pods: Option<u32>,
    /// At most this many pods in each zone (node capacity), if set; its length is the
    /// number of zones pods are spread over.
    pub zone_pods: Option<Vec<u32>>,
}

impl Capacity {
    /// The most pods this room schedules at once.
    pub fn room(&self) -> Option<u64> {
        let zones = self
            .zone_pods
            .as_ref()
            .map(|z| z.iter().map(|&n| u64::from(n)).sum::<u64>());
        match (self.max_pods.map(u64::from), zones) {
            (Some(m), Some(z)) => Some(m.min(z)),
            (m, z) => m.or(z),
        }
    }
}

impl ClusterConfig {
    /// What the engine relies on: zones the engine can mask (1 to 64), the same zones
    /// in every change and in every zone-loss fault, changes in time order, and an
    /// initial fleet that fits the initial room (the fleet at t = 0 is running).
    fn check(&self, replicas: u32, faults: &[FaultDef]) -> Vec<String> {
        let mut problems = Vec::new();
        let zones = self.capacity.zone_pods.as_ref().map(Vec::len);
        // The engine keeps the zones that are down in a 64-bit mask.
        if let Some(n) = zones
            && !(1..=u64::BITS as usize).contains(&n)
        {
            problems.push(format!("a cluster has 1 to 64 zones, found {n}"));
        }
        for (at, c) in &self.changes {
            if c.zone_pods
                .as_ref()
                .map(Vec::len)
                .is_some_and(|n| Some(n) != zones)
            {
                problems.push(format!(
                    "the capacity change at {at} gives zone_pods for other zones than the cluster's"
                ));
            }
        }
        if self.changes.windows(2).any(|w| w[1].0 < w[0].0) {
            problems.push("capacity changes must be in time order".to_string());
        }
        if let Some(n) = zones {
            for f in faults {
                if let FaultKind::World(WorldFault::ZoneLoss { zones: z, .. }) = f.kind
                    && z as usize != n
                {
                    problems.push(format!(
                        "zone-loss fault {} has {z} zones, the cluster's zone_pods {n}",
                        f.name
                    ));
                }
            }
        }
        if self
            .capacity
            .room()
            .is_some_and(|room| room < u64::from(replicas))
        {
            problems.push(format!(
                "the initial fleet of {replicas} pods does not fit the cluster's room"
            ));
        }
        problems
    }
}

/// Which engine advances a run's requests. Both run the same world (controllers,
/// lifecycle, health checks, scrapes, pager, faults, outputs); they differ in how
/// requests are simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Every request on its own: routed, queued, served, failed or timed out. Exact
    /// for whatever the world holds; its cost grows with the requests simulated.
    PerRequest,
    /// Pods advanced together in steps of `step`: requests as counts, latency as
    /// histogram masses (`engine::fluid`, docs/engines.md). Its cost grows with steps
    /// and pods, not requests; it refuses what needs a request's identity.
    Fluid { step: SimDuration },
}

impl Engine {
    /// The shortest and longest fluid step: below 10 ms a step holds too few requests
    /// of a small pod for counts to beat the per-request engine; above 5 s a step
    /// blurs what a 15 s scrape and a 5 s health check see.
    pub const MIN_STEP: SimDuration = SimDuration(10_000_000);
    pub const MAX_STEP: SimDuration = SimDuration(5_000_000_000);

    /// The name a scenario file and `--engine` give it (and outputs record).
    pub fn name(self) -> &'static str {
        match self {
            Engine::PerRequest => "per-request",
            Engine::Fluid { .. } => "fluid",
        }
    }
}

/// What a world holds that the fluid engine cannot express, each with the scenario
/// key or fault that holds it: everything that needs a request's identity (a session
/// returning to its pod, a connection pinned to one, a database record read by one
/// request and written by another). Empty if the fluid engine can run it.
pub fn fluid_unsupported(cfg: &WorldConfig) -> Vec<String> {
    let mut found = Vec::new();
    if cfg.sessions.is_some() {
        found.push(
            "[sessions] (each session is a sequence of requests with an identity)".to_string(),
        );
    }
    if cfg.schema.is_some() {
        found.push("[schema] (each request reads or writes records of one format)".to_string());
    }
    for f in &cfg.faults {
        let why = match &f.kind {
            FaultKind::World(WorldFault::LbPinning { .. }) => {
                "pins connections, and their requests, to one pod"
            }
            FaultKind::World(WorldFault::SessionState | WorldFault::SessionFormat) => {
                "acts on sessions"
            }
            FaultKind::World(
                WorldFault::Migration { .. }
                | WorldFault::SchemaForward { .. }
                | WorldFault::SchemaBackward { .. },
            ) => "acts on records each request reads",
            _ => continue,
        };
        found.push(format!("fault {} ({why})", f.name));
    }
    found
}

/// A fully specified world.
#[derive(Clone, Debug, PartialEq)]
pub struct WorldConfig {
    pub seed: RunSeed,
    pub horizon: SimTime,
    /// Hard bound on processed events; reaching it ends the run as a reported failure.
    pub max_events: u64,
    pub fleet: FleetConfig,
    pub lb: LbConfig,
    pub traffic: RateProfile,
    /// Indexed by `Version::index()`.
    pub versions: [VersionModel; 2],
    pub faults: Vec<FaultDef>,
    pub sessions: Option<SessionConfig>,
    pub schema: Option<SchemaConfig>,
    pub kpi: Option<KpiConfig>,
    pub client: ClientConfig,
    pub slo: SloConfig,
    pub observability: Observability,
    /// When the release is handed to the policy; `None` for no release.
    pub rollout_start: Option<SimTime>,
    /// A HorizontalPodAutoscaler, if the Deployment has one.
    pub autoscaler: Option<AutoscalerConfig>,
    /// Limited room for pods; `None` is a cluster that schedules every pod at once.
    pub cluster: Option<ClusterConfig>,
    /// How requests are simulated.
    pub engine: Engine,
}

impl WorldConfig {
    /// Requests per second the service expects in steady state (anonymous traffic
    /// plus sessions): the SLO window's scale and the healthy history's rate.
    pub fn steady_rate(&self) -> f64 {
        self.traffic.steady_rate()
            + self
                .sessions
                .as_ref()
                .map_or(0.0, |s| s.rate * s.requests_mean)
    }

    /// Checks the invariants the engine relies on. The scenario layer reports user
    /// mistakes with file and key; this catches what slipped past it.
    pub fn check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let mut need = |ok: bool, what: &str| {
            if !ok {
                problems.push(what.to_string());
            }
        };
        need(self.horizon > SimTime::ZERO, "horizon must be positive");
        need(self.max_events > 0, "max_events must be positive");
        need(self.fleet.replicas > 0, "fleet.replicas must be at least 1");
        need(
            self.fleet.concurrency > 0,
            "fleet.concurrency must be at least 1",
        );
        need(
            self.fleet.queue_limit > 0,
            "fleet.queue_limit must be at least 1",
        );
        need(
            self.fleet.request_timeout > SimDuration::ZERO,
            "request timeout must be positive",
        );
        need(
            self.fleet.backoff_initial > SimDuration::ZERO
                && self.fleet.backoff_max >= self.fleet.backoff_initial,
            "backoff must be positive and its cap at least its first delay",
        );
        need(
            self.lb.health_interval > SimDuration::ZERO && self.lb.unhealthy_threshold > 0,
            "health checks need a positive interval and threshold",
        );
        need(
            self.observability.scrape_interval > SimDuration::ZERO,
            "scrape interval must be positive",
        );
        need(
            self.slo.objective > 0.0 && self.slo.objective < 1.0,
            "SLO objective must be in (0, 1)",
        );
        need(
            self.traffic.peak_rate() >= 0.0,
            "traffic rate must be non-negative",
        );
        need(
            self.faults.len() <= crate::fault::MAX_FAULTS,
            "at most 64 faults",
        );
        for v in &self.versions {
            need(
                v.service_multiplier > 0.0 && v.service.mean() > SimDuration::ZERO,
                "service time must be positive",
            );
            if let ServiceDist::LogNormal { sigma, .. } = v.service {
                need(sigma > 0.0, "log-normal sigma must be positive");
            }
            need(
                (0.0..=1.0).contains(&v.error_probability)
                    && (0.0..=1.0).contains(&v.crash_on_start_probability),
                "probabilities must be in [0, 1]",
            );
            need(
                v.memory.limit_mb > v.memory.base_mb,
                "memory limit must exceed base memory",
            );
        }
        for f in &self.faults {
            need(
                (0.0..=1.0).contains(&f.target.fraction),
                "fault fraction must be in [0, 1]",
            );
            need(
                f.window.end > f.window.start,
                "fault window must not be empty",
            );
            if let Some((on, off)) = f.window.period {
                need(
                    on.0 > 0 && off.0 > 0,
                    "fault on/off periods must be positive",
                );
            }
            match &f.kind {
                FaultKind::World(WorldFault::Migration { .. }) => {
                    need(self.schema.is_some(), "a migration needs a schema");
                }
                FaultKind::World(WorldFault::SessionState | WorldFault::SessionFormat) => {
                    need(self.sessions.is_some(), "session faults need sessions");
                }
                _ => {}
            }
        }
        if let Some(s) = &self.sessions {
            need(
                s.rate >= 0.0 && s.requests_mean >= 1.0 && s.lifetime > SimDuration::ZERO,
                "sessions need a non-negative rate, at least one request and a lifetime",
            );
        }
        if let Some(k) = &self.kpi {
            need(
                (0.0..=1.0).contains(&k.conversion_probability),
                "conversion probability must be in [0, 1]",
            );
        }
        if let Some(c) = &self.cluster {
            problems.extend(c.check(self.fleet.replicas, &self.faults));
        }
        if let Engine::Fluid { step } = self.engine {
            if !(Engine::MIN_STEP..=Engine::MAX_STEP).contains(&step) {
                problems.push(format!("the fluid step must be 10 ms to 5 s, found {step}"));
            }
            for what in fluid_unsupported(self) {
                problems.push(format!("the fluid engine cannot run {what}"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}
