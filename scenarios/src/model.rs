//! The scenario model, in the units a user writes (seconds, milliseconds, MB).

use serde::Serialize;
use sim_core::dist::ServiceDist;
use sim_core::fault::{Effect, FaultDef, FaultKind, MigrationTrigger, Target, Window, WorldFault};
use sim_core::lb::Strategy;
use sim_core::rng::RunSeed;
use sim_core::slo::{PagerConfig, SloConfig};
use sim_core::traffic::RateProfile;
use sim_core::version::{MemoryModel, VersionModel};
use sim_core::world::{
    ClientConfig, Engine, FleetConfig, KpiConfig, LbConfig, Observability, SchemaConfig,
    SessionConfig, WorldConfig,
};

use crate::faults::{FaultSpec, implied};
use sim_core::{SimDuration, SimTime, Version};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    pub schema_version: i64,
    pub name: String,
    pub description: String,
    pub run: RunLimits,
    pub release: Release,
    pub fleet: Fleet,
    pub load_balancer: LoadBalancer,
    pub traffic: Traffic,
    pub service: Service,
    pub baseline: VersionProfile,
    pub candidate: VersionProfile,
    pub slo: Slo,
    pub observability: Obs,
    pub client: Client,
    pub sessions: Option<Sessions>,
    pub schema: Option<Schema>,
    pub kpi: Option<Kpi>,
    /// The `[[faults]]` entries.
    pub faults: Vec<FaultSpec>,
    /// `[autoscaler]`: a HorizontalPodAutoscaler on the Deployment. Left out of the
    /// scenario's echo when absent, so a scenario without one writes what it always did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaler: Option<Autoscaler>,
    /// `[cluster]`: limited room for pods (a quota, node capacity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Cluster>,
    /// The uncertain parameters and the document they are drawn into (`uncertain`);
    /// `None` for a scenario of fixed numbers, and for a scenario drawn for one run.
    /// Not serialised: a scenario written out is the one a run used.
    #[serde(skip)]
    pub uncertainty: Option<std::sync::Arc<crate::uncertain::Uncertainty>>,
}

/// Client behaviour: retries of failed requests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Client {
    pub retries: u32,
    pub retry_backoff_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sessions {
    pub rate: f64,
    pub requests_per_session: f64,
    pub think_time_seconds: f64,
    pub lifetime_seconds: f64,
    pub affinity: Affinity,
    pub store: SessionStore,
    pub format_compatible: bool,
}

/// Whether the load balancer keeps a session on the instance that served it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Affinity {
    /// Sticky: a session cookie pins it to one instance.
    Cookie,
    /// Every request of a session is routed afresh.
    None,
}

impl Affinity {
    pub const ALL: [Affinity; 2] = [Affinity::Cookie, Affinity::None];

    /// The name in a scenario file; the same as its serde name.
    pub fn name(self) -> &'static str {
        match self {
            Affinity::Cookie => "cookie",
            Affinity::None => "none",
        }
    }
}

/// Where session state lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStore {
    /// In the instance's memory: it dies with its instance (a `session_lost` bad event).
    Memory,
    /// In a shared store that outlives instances.
    External,
}

impl SessionStore {
    pub const ALL: [SessionStore; 2] = [SessionStore::Memory, SessionStore::External];

    /// The name in a scenario file; the same as its serde name.
    pub fn name(self) -> &'static str {
        match self {
            SessionStore::Memory => "memory",
            SessionStore::External => "external",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Schema {
    pub initial: String,
    pub db_share: f64,
    /// Schemas each version works with.
    pub baseline: Vec<String>,
    pub candidate: Vec<String>,
}

/// The conversion rate of the KPI model when a scenario leaves it unsaid (in `[kpi]`, or
/// by having no `[kpi]` while a fault touches the KPI): one default for both paths, so
/// an implied KPI model and an empty `[kpi]` table behave alike.
pub const DEFAULT_CONVERSION_PROBABILITY: f64 = 0.05;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Kpi {
    pub conversion_probability: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunLimits {
    pub horizon_seconds: f64,
    pub max_events: u64,
    /// After the last bad event, how long the fault must stay quiet to count as
    /// mitigated.
    pub mitigation_hold_seconds: f64,
    /// Which engine runs the scenario. Written only when not the default, so outputs
    /// of the per-request engine stay as they were before there was a choice.
    #[serde(skip_serializing_if = "EngineChoice::is_default")]
    pub engine: EngineChoice,
    /// The fluid engine's step; written only when not its default.
    #[serde(skip_serializing_if = "is_default_fluid_step")]
    pub fluid_step_seconds: f64,
}

/// `run.fluid_step_seconds` when a scenario leaves it unsaid.
pub const DEFAULT_FLUID_STEP_SECONDS: f64 = 1.0;

fn is_default_fluid_step(s: &f64) -> bool {
    *s == DEFAULT_FLUID_STEP_SECONDS
}

/// `run.engine`: the engine a scenario asks for (docs/engines.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineChoice {
    /// Every request simulated (the default).
    PerRequest,
    /// Pods advanced in steps, requests as counts; a scenario it cannot run is refused.
    Fluid,
    /// Fluid when the scenario's expected requests reach `AUTO_FLUID_REQUESTS` and
    /// the fluid engine can run it, else per-request.
    Auto,
}

impl EngineChoice {
    pub const ALL: [EngineChoice; 3] = [
        EngineChoice::PerRequest,
        EngineChoice::Fluid,
        EngineChoice::Auto,
    ];

    /// The name a scenario file and `--engine` give it.
    pub fn name(self) -> &'static str {
        match self {
            EngineChoice::PerRequest => "per-request",
            EngineChoice::Fluid => "fluid",
            EngineChoice::Auto => "auto",
        }
    }

    fn is_default(&self) -> bool {
        *self == EngineChoice::PerRequest
    }
}

/// The expected requests (the work estimate's, `work::Estimate::requests`) from which
/// `auto` picks the fluid engine: 20 million, where the per-request engine takes about
/// two seconds a run (about 100 ns a request on the reference machine, BENCHMARKS.md)
/// and the fluid engine well under a tenth of that.
pub const AUTO_FLUID_REQUESTS: f64 = 20e6;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Release {
    /// Whether the candidate is released at all (`steady` has no release).
    pub enabled: bool,
    pub start_seconds: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fleet {
    pub replicas: u32,
    pub concurrency: u32,
    /// Requests a pod queues beyond its busy workers; more are shed as errors.
    pub queue_limit: u32,
    pub request_timeout_seconds: f64,
    pub drain_timeout_seconds: f64,
    pub backoff_initial_seconds: f64,
    pub backoff_max_seconds: f64,
    pub backoff_reset_seconds: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoadBalancer {
    /// Written to `run.json` by its file name (`Strategy::name`): sim-core has no serde.
    #[serde(serialize_with = "strategy_name")]
    pub strategy: Strategy,
    pub health_check_interval_seconds: f64,
    pub unhealthy_threshold: u32,
}

fn strategy_name<S: serde::Serializer>(s: &Strategy, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.name())
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "profile", rename_all = "snake_case")]
pub enum Traffic {
    Constant {
        rate: f64,
    },
    Diurnal {
        rate: f64,
        amplitude: f64,
        period_seconds: f64,
        peak_at_seconds: f64,
    },
    Step {
        rate: f64,
        after_rate: f64,
        at_seconds: f64,
    },
    Spike {
        rate: f64,
        peak_rate: f64,
        start_seconds: f64,
        duration_seconds: f64,
    },
    /// A recorded rate series (`replay`): `file` as written (relative to the scenario
    /// file's directory), its rates times `scale`, from `shift_seconds` into it.
    Replay {
        file: String,
        scale: f64,
        /// Seconds; echoed under the file's key.
        #[serde(rename = "shift")]
        shift_seconds: f64,
        /// The window the run replays, in the engine's time (`replay::RateSeries::window`).
        #[serde(skip)]
        points: std::sync::Arc<[(SimTime, f64)]>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "distribution", rename_all = "snake_case")]
pub enum Service {
    Exponential { mean_ms: f64 },
    Lognormal { mean_ms: f64, sigma: f64 },
    Constant { mean_ms: f64 },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VersionProfile {
    pub latency_multiplier: f64,
    pub error_probability: f64,
    pub startup_seconds: f64,
    pub crash_on_start_probability: f64,
    pub memory: Memory,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Memory {
    pub base_mb: f64,
    pub leak_mb_per_second: f64,
    pub leak_kb_per_request: f64,
    /// `None`: no limit, never OOM-killed.
    pub limit_mb: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Slo {
    pub objective: f64,
    pub latency_threshold_ms: f64,
    pub window_days: f64,
    pub pager: Pager,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pager {
    pub enabled: bool,
    pub ack_seconds: f64,
}

/// `[autoscaler]`, in the units a user writes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Autoscaler {
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub metric: HpaMetric,
    /// `target_utilization_percent` (utilisation) or `target_requests_per_pod`
    /// (requests per pod), whichever the metric reads.
    pub target: f64,
    pub tolerance: f64,
    pub sync_period_seconds: f64,
    pub metrics_resolution_seconds: f64,
    pub cpu_initialization_period_seconds: f64,
    pub initial_readiness_delay_seconds: f64,
    /// The controller's downscale window, used when `behavior` is absent.
    pub downscale_stabilization_seconds: f64,
    /// `[autoscaler.behavior]`; absent is a nil `spec.behavior`.
    pub behavior: Option<HpaBehavior>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HpaMetric {
    Utilization,
    RequestsPerPod,
}

impl HpaMetric {
    pub const ALL: [HpaMetric; 2] = [HpaMetric::Utilization, HpaMetric::RequestsPerPod];

    pub fn name(self) -> &'static str {
        match self {
            HpaMetric::Utilization => "utilization",
            HpaMetric::RequestsPerPod => "requests_per_pod",
        }
    }
}

/// `[autoscaler.behavior]`: both directions, each filled with the API's defaults
/// where not written.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HpaBehavior {
    pub scale_up: HpaRules,
    pub scale_down: HpaRules,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HpaRules {
    pub stabilization_window_seconds: f64,
    pub select: HpaSelect,
    pub policies: Vec<HpaPolicy>,
}

/// `selectPolicy`: which of a direction's policies wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HpaSelect {
    Max,
    Min,
    Disabled,
}

impl HpaSelect {
    pub const ALL: [HpaSelect; 3] = [HpaSelect::Max, HpaSelect::Min, HpaSelect::Disabled];

    pub fn name(self) -> &'static str {
        match self {
            HpaSelect::Max => "max",
            HpaSelect::Min => "min",
            HpaSelect::Disabled => "disabled",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HpaPolicy {
    #[serde(rename = "type")]
    pub kind: HpaPolicyKind,
    pub value: u32,
    pub period_seconds: f64,
}

/// A scaling policy's `type`: a number of pods or a percentage of the current ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HpaPolicyKind {
    Pods,
    Percent,
}

impl HpaPolicyKind {
    pub const ALL: [HpaPolicyKind; 2] = [HpaPolicyKind::Pods, HpaPolicyKind::Percent];

    pub fn name(self) -> &'static str {
        match self {
            HpaPolicyKind::Pods => "pods",
            HpaPolicyKind::Percent => "percent",
        }
    }
}

/// `[cluster]`: the room for pods, and how it changes during the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster {
    /// A ResourceQuota on `pods`.
    pub max_pods: Option<u32>,
    /// Node capacity in pods, one entry per zone.
    pub zone_pods: Option<Vec<u32>>,
    /// `[[cluster.changes]]`, in time order.
    pub changes: Vec<ClusterChange>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterChange {
    pub at_seconds: f64,
    pub max_pods: Option<u32>,
    pub zone_pods: Option<Vec<u32>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Obs {
    pub scrape_interval_seconds: f64,
    pub metrics_lag_seconds: f64,
}

fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s)
}

fn at(s: f64) -> SimTime {
    SimTime::from_secs_f64(s)
}

impl Traffic {
    pub fn profile(&self) -> RateProfile {
        match *self {
            Traffic::Replay { ref points, .. } => RateProfile::Replay {
                points: points.clone(),
            },
            Traffic::Constant { rate } => RateProfile::Constant { rate },
            Traffic::Diurnal {
                rate,
                amplitude,
                period_seconds,
                peak_at_seconds,
            } => RateProfile::Diurnal {
                mean: rate,
                amplitude,
                period: secs(period_seconds),
                peak_at: at(peak_at_seconds),
            },
            Traffic::Step {
                rate,
                after_rate,
                at_seconds,
            } => RateProfile::Step {
                before: rate,
                after: after_rate,
                at: at(at_seconds),
            },
            Traffic::Spike {
                rate,
                peak_rate,
                start_seconds,
                duration_seconds,
            } => RateProfile::Spike {
                base: rate,
                peak: peak_rate,
                start: at(start_seconds),
                duration: secs(duration_seconds),
            },
        }
    }
}

impl Service {
    pub fn dist(&self) -> ServiceDist {
        let ms = |m: f64| SimDuration::from_secs_f64(m / 1000.0);
        match *self {
            Service::Exponential { mean_ms } => ServiceDist::Exponential { mean: ms(mean_ms) },
            Service::Lognormal { mean_ms, sigma } => ServiceDist::LogNormal {
                mean: ms(mean_ms),
                sigma,
            },
            Service::Constant { mean_ms } => ServiceDist::Constant { value: ms(mean_ms) },
        }
    }
}

impl Scenario {
    /// The candidate's defects relative to the baseline, each a fault of its own. The
    /// candidate's version model keeps only what is not worse than the baseline; the
    /// excess becomes the fault, so errors, slowness, leaks and crash-on-start caused
    /// by the release are attributed exactly.
    pub fn faults(&self) -> Vec<FaultDef> {
        let (b, c) = (&self.baseline, &self.candidate);
        let mut faults = Vec::new();
        let mut add = |name: &str, effect: Effect| {
            faults.push(FaultDef {
                name: name.to_string(),
                target: Target::version(Version::Candidate),
                window: Window::ALWAYS,
                release: true,
                kind: FaultKind::Instance(effect),
            })
        };
        if c.error_probability > b.error_probability {
            add(
                "error-regression",
                Effect::Errors {
                    probability: c.error_probability - b.error_probability,
                },
            );
        }
        if c.latency_multiplier > b.latency_multiplier {
            add(
                "latency-regression",
                Effect::Latency {
                    multiplier: c.latency_multiplier / b.latency_multiplier,
                    shift: SimDuration::ZERO,
                    share: 0.0,
                },
            );
        }
        let leak = |v: &VersionProfile| (v.memory.leak_mb_per_second, v.memory.leak_kb_per_request);
        let ((bs, br), (cs, cr)) = (leak(b), leak(c));
        if cs > bs || cr > br {
            add(
                "memory-leak",
                Effect::MemoryLeak {
                    mb_per_s: (cs - bs).max(0.0),
                    kb_per_request: (cr - br).max(0.0),
                    gc_multiplier: 1.0,
                    gc_threshold: 1.0,
                },
            );
        }
        if c.crash_on_start_probability > b.crash_on_start_probability {
            // P(crash) = 1 − (1 − p_b)(1 − p_f)  ⇒  p_f = (p_c − p_b) / (1 − p_b).
            add(
                "crash-on-start",
                Effect::CrashOnStart {
                    probability: (c.crash_on_start_probability - b.crash_on_start_probability)
                        / (1.0 - b.crash_on_start_probability),
                },
            );
        }
        faults.extend(self.faults.iter().map(FaultSpec::def));
        if let Some(s) = &self.sessions {
            if s.store == SessionStore::Memory {
                faults.push(implied(
                    "session-state",
                    Target::both(),
                    false,
                    WorldFault::SessionState,
                ));
            }
            if !s.format_compatible {
                faults.push(implied(
                    "session-format",
                    Target::version(Version::Candidate),
                    true,
                    WorldFault::SessionFormat,
                ));
            }
        }
        if let Some(schema) = &self.schema
            && !schema.candidate.contains(&schema.initial)
        {
            // The release cannot work with the schema it is deployed against: its
            // failures, if a migration does not come first, carry this fault.
            faults.push(implied(
                "schema-incompatible",
                Target::version(Version::Candidate),
                true,
                WorldFault::Migration {
                    schema: schema.initial.clone(),
                    trigger: MigrationTrigger::Initial,
                },
            ));
        }
        faults
    }

    fn version_model(&self, v: Version) -> VersionModel {
        let (b, c) = (&self.baseline, &self.candidate);
        let own = match v {
            Version::Baseline => b,
            Version::Candidate => c,
        };
        // The candidate's worse-than-baseline parts are carried by faults.
        let floor = |cand: f64, base: f64| match v {
            Version::Baseline => cand,
            Version::Candidate => cand.min(base),
        };
        VersionModel {
            service: self.service.dist(),
            service_multiplier: floor(own.latency_multiplier, b.latency_multiplier),
            error_probability: floor(own.error_probability, b.error_probability),
            memory: MemoryModel {
                base_mb: own.memory.base_mb,
                leak_mb_per_s: floor(own.memory.leak_mb_per_second, b.memory.leak_mb_per_second),
                leak_kb_per_request: floor(
                    own.memory.leak_kb_per_request,
                    b.memory.leak_kb_per_request,
                ),
                limit_mb: own.memory.limit_mb.unwrap_or(f64::INFINITY),
            },
            startup: secs(own.startup_seconds),
            crash_on_start_probability: floor(
                own.crash_on_start_probability,
                b.crash_on_start_probability,
            ),
        }
    }

    /// The engine that runs this scenario: `run.engine`, with `auto` decided by the
    /// work estimate and by what the fluid engine can run.
    pub fn engine(&self) -> Engine {
        let fluid = Engine::Fluid {
            step: secs(self.run.fluid_step_seconds),
        };
        match self.run.engine {
            EngineChoice::PerRequest => Engine::PerRequest,
            EngineChoice::Fluid => fluid,
            EngineChoice::Auto => {
                let mut world = self.world_with(RunSeed::new(0, 0, 0), Engine::PerRequest);
                world.engine = fluid;
                if self.estimate().requests() >= AUTO_FLUID_REQUESTS
                    && sim_core::world::fluid_unsupported(&world).is_empty()
                {
                    fluid
                } else {
                    Engine::PerRequest
                }
            }
        }
    }

    /// The engine's world for one seed.
    pub fn world(&self, seed: RunSeed) -> WorldConfig {
        self.world_with(seed, self.engine())
    }

    /// The world for one seed, run by `engine`.
    fn world_with(&self, seed: RunSeed, engine: Engine) -> WorldConfig {
        let f = &self.fleet;
        WorldConfig {
            seed,
            horizon: at(self.run.horizon_seconds),
            max_events: self.run.max_events,
            engine,
            fleet: FleetConfig {
                replicas: f.replicas,
                concurrency: f.concurrency,
                request_timeout: secs(f.request_timeout_seconds),
                drain_timeout: secs(f.drain_timeout_seconds),
                backoff_initial: secs(f.backoff_initial_seconds),
                backoff_max: secs(f.backoff_max_seconds),
                backoff_reset: secs(f.backoff_reset_seconds),
                queue_limit: f.queue_limit,
            },
            lb: LbConfig {
                strategy: self.load_balancer.strategy,
                health_interval: secs(self.load_balancer.health_check_interval_seconds),
                unhealthy_threshold: self.load_balancer.unhealthy_threshold,
            },
            traffic: self.traffic.profile(),
            versions: [
                self.version_model(Version::Baseline),
                self.version_model(Version::Candidate),
            ],
            faults: self.faults(),
            sessions: self
                .sessions
                .as_ref()
                .filter(|s| s.rate > 0.0)
                .map(|s| SessionConfig {
                    rate: s.rate,
                    requests_mean: s.requests_per_session,
                    think_time: secs(s.think_time_seconds),
                    lifetime: secs(s.lifetime_seconds),
                    sticky: s.affinity == Affinity::Cookie,
                }),
            schema: self.schema.as_ref().map(|s| SchemaConfig {
                initial: s.initial.clone(),
                compatible: [s.baseline.clone(), s.candidate.clone()],
                db_share: s.db_share,
            }),
            kpi: self.kpi_config(),
            client: ClientConfig {
                retries: self.client.retries,
                backoff: secs(self.client.retry_backoff_ms / 1000.0),
            },
            slo: SloConfig {
                objective: self.slo.objective,
                latency_threshold: SimDuration::from_secs_f64(
                    self.slo.latency_threshold_ms / 1000.0,
                ),
                window: secs(self.slo.window_days * 86_400.0),
                pager: {
                    let mut p = PagerConfig::workbook(secs(self.slo.pager.ack_seconds));
                    p.enabled = self.slo.pager.enabled;
                    p
                },
            },
            observability: Observability {
                scrape_interval: secs(self.observability.scrape_interval_seconds),
                metrics_lag: secs(self.observability.metrics_lag_seconds),
            },
            rollout_start: self.release.enabled.then(|| at(self.release.start_seconds)),
            autoscaler: self.autoscaler.as_ref().map(|a| a.config(f.concurrency)),
            cluster: self.cluster.as_ref().map(Cluster::config),
        }
    }

    /// Whether the fleet's size can change under the rollout (an autoscaler, or a
    /// cluster with limited room): such runs write the sizing columns of
    /// `timeline.csv`.
    pub fn fleet_can_resize(&self) -> bool {
        self.autoscaler.is_some() || self.cluster.is_some()
    }

    /// Whether the run has a business KPI (configured, or implied by a fault).
    pub fn has_kpi(&self) -> bool {
        self.kpi_config().is_some()
    }

    /// The KPI model: as configured, or a 5% conversion rate when a fault touches the
    /// KPI and the scenario did not say.
    fn kpi_config(&self) -> Option<KpiConfig> {
        let needed = self.faults.iter().any(|f| f.params.touches_kpi());
        match &self.kpi {
            Some(k) => Some(KpiConfig {
                conversion_probability: k.conversion_probability,
            }),
            None if needed => Some(KpiConfig {
                conversion_probability: DEFAULT_CONVERSION_PROBABILITY,
            }),
            None => None,
        }
    }

    pub fn mitigation_hold(&self) -> SimDuration {
        secs(self.run.mitigation_hold_seconds)
    }
}
