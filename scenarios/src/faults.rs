//! The fault catalog in scenario files: `[[faults]]` entries, their parameters with
//! defaults and validation, and their conversion to the engine's `FaultDef`s.
//!
//! Every entry has the common keys `kind`, `name` (its id in outputs; defaults to the
//! kind), `target` (`candidate`, `baseline` or `both`), `fraction` (share of the target's
//! instances affected), `start_seconds`, `duration_seconds`, `on_seconds`/`off_seconds`
//! (intermittent), and `release` (whether the release carries it; defaults to "targets
//! only the candidate"). The rest depends on the kind; `CATALOG` lists them.

use config::Section;
use serde::Serialize;

use crate::limits::*;
use sim_core::fault::{Effect, FaultDef, FaultKind, MigrationTrigger, Target, Window, WorldFault};
use sim_core::{SimDuration, SimTime};

/// One parameter of a fault kind, for `rollcage list faults` and the docs.
pub struct Param {
    pub key: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
}

/// A fault kind as the catalog describes it.
pub struct KindInfo {
    pub kind: &'static str,
    pub summary: &'static str,
    pub params: &'static [Param],
}

macro_rules! params {
    ($(($k:expr, $d:expr, $m:expr)),* $(,)?) => {
        &[$(Param { key: $k, default: $d, meaning: $m }),*]
    };
}

/// Every fault kind a scenario may hold.
pub const CATALOG: &[KindInfo] = &[
    KindInfo {
        kind: "memory-leak",
        summary: "memory grows per second or per request; GC pressure slows the instance as it nears its limit; OOM kill and restart with backoff",
        params: params![
            ("leak_mb_per_second", "2", "leak per second of process age"),
            ("leak_kb_per_request", "0", "leak per served request"),
            (
                "gc_multiplier",
                "1",
                "service-time multiplier at the memory limit (1 = no GC pressure)"
            ),
            (
                "gc_threshold",
                "0.7",
                "share of the limit where GC pressure starts"
            ),
        ],
    },
    KindInfo {
        kind: "crash-loop",
        summary: "a start crashes with a probability, or the process crashes a fixed time after readiness; restarts back off",
        params: params![
            ("probability", "1", "chance a process start crashes"),
            (
                "after_ready_seconds",
                "none",
                "crash this long after readiness instead"
            ),
        ],
    },
    KindInfo {
        kind: "latency",
        summary: "service times multiplied and/or shifted; load-dependent through the queue",
        params: params![
            ("multiplier", "1.5", "service-time multiplier"),
            ("shift_ms", "0", "added service time"),
            ("share", "1", "share of requests that get the shift"),
        ],
    },
    KindInfo {
        kind: "errors",
        summary: "a share of served requests fail; intermittent with on_seconds/off_seconds",
        params: params![("probability", "0.02", "chance a served request fails")],
    },
    KindInfo {
        kind: "schema-forward",
        summary: "the target writes records in a new format the other version cannot read: its reads fail or silently corrupt, and the records outlive the rollback until a backfill",
        params: params![
            ("write_share", "0.1", "share of requests that write"),
            (
                "effect",
                "error",
                "`error` or `corrupt` (a silent business-KPI loss)"
            ),
            ("records", "10000", "records in the table"),
            (
                "backfill_seconds",
                "900",
                "after the last writer is gone, when new-format records are converted back"
            ),
        ],
    },
    KindInfo {
        kind: "schema-backward",
        summary: "the target cannot read old-format records; their share decays as it rewrites them",
        params: params![
            ("write_share", "0.1", "share of requests that write"),
            ("records", "10000", "records in the table"),
        ],
    },
    KindInfo {
        kind: "migration",
        summary: "an expand/contract step changes the database schema; a version that cannot work with it fails its database requests (needs [schema])",
        params: params![
            ("schema", "required", "the schema after the migration"),
            ("at_seconds", "none", "run at this time, or"),
            (
                "trigger",
                "none",
                "`release` (a pre-step) or `promotion` (a post-step)"
            ),
        ],
    },
    KindInfo {
        kind: "kpi-loss",
        summary: "a silent correctness bug: a share of conversions lost; only a KPI shows it (needs [kpi] or uses a 5% conversion rate)",
        params: params![("share", "0.2", "share of conversions lost")],
    },
    KindInfo {
        kind: "lb-weight",
        summary: "load-balancer weight skew on a fraction of instances",
        params: params![("weight", "3", "weight of the affected instances (1 = fair)")],
    },
    KindInfo {
        kind: "lb-slow-start",
        summary: "new instances' share of traffic ramps up after readiness",
        params: params![("ramp_seconds", "60", "time to full weight")],
    },
    KindInfo {
        kind: "lb-pinning",
        summary: "a share of traffic rides long-lived connections pinned to old instances",
        params: params![
            ("share", "0.5", "share of requests on pinned connections"),
            ("connections", "50", "client connections"),
            (
                "lifetime_seconds",
                "600",
                "a connection is re-opened after this long"
            ),
        ],
    },
    KindInfo {
        kind: "dependency",
        summary: "a downstream dependency fails or slows for both versions; with client retries it amplifies load (a confounder for absolute gates)",
        params: params![
            (
                "call_share",
                "1",
                "share of requests that call the dependency"
            ),
            ("error_probability", "0.2", "chance a call fails"),
            ("latency_ms", "0", "added latency of a call"),
        ],
    },
    KindInfo {
        kind: "traffic-spike",
        summary: "arrivals multiplied for a while",
        params: params![("multiplier", "3", "rate multiplier")],
    },
    KindInfo {
        kind: "instance-kill",
        summary: "random pods killed at a rate, Chaos-Monkey style",
        params: params![("rate_per_hour", "1", "kills per pod per hour")],
    },
    KindInfo {
        kind: "zone-loss",
        summary: "one availability zone's pods die at once and come back when the zone does or after rescheduling",
        params: params![
            ("zones", "3", "zones, assigned to pods round-robin"),
            ("zone", "0", "the zone lost"),
            (
                "reschedule_seconds",
                "300",
                "when lost pods come back at the latest"
            ),
        ],
    },
    KindInfo {
        kind: "metrics-gap",
        summary: "scrapes lost: detectors see stale data, then none (each gate's on_empty rule decides)",
        params: params![],
    },
    KindInfo {
        kind: "metrics-delay",
        summary: "metrics reach detectors later than usual",
        params: params![("extra_seconds", "60", "added metrics lag")],
    },
];

/// The catalog as `rollcage list faults` prints it.
pub fn catalog_text() -> String {
    let mut text = String::from(
        "Faults ([[faults]] entries; every kind also takes name, target, fraction,\n\
         start_seconds, duration_seconds, on_seconds/off_seconds and release):\n",
    );
    for k in CATALOG {
        text.push_str(&format!("  {:<16} {}\n", k.kind, k.summary));
        for p in k.params {
            text.push_str(&format!(
                "  {:<16}   {} = {}: {}\n",
                "", p.key, p.default, p.meaning
            ));
        }
    }
    text.push_str(
        "Implied by scenario sections: session-state ([sessions] store = \"memory\"),\n\
         session-format ([sessions] format_compatible = false), schema-incompatible\n\
         ([schema] whose initial schema the candidate cannot use).\n",
    );
    text
}

/// A `[[faults]]` entry as written, defaults applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultSpec {
    pub name: String,
    pub kind: String,
    pub target: String,
    pub fraction: f64,
    pub start_seconds: f64,
    pub duration_seconds: Option<f64>,
    pub on_seconds: Option<f64>,
    pub off_seconds: Option<f64>,
    pub release: bool,
    pub params: Params,
}

/// The kind-specific parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Params {
    MemoryLeak {
        leak_mb_per_second: f64,
        leak_kb_per_request: f64,
        gc_multiplier: f64,
        gc_threshold: f64,
    },
    CrashLoop {
        probability: f64,
        after_ready_seconds: Option<f64>,
    },
    Latency {
        multiplier: f64,
        shift_ms: f64,
        share: f64,
    },
    Errors {
        probability: f64,
    },
    SchemaForward {
        write_share: f64,
        effect: String,
        records: u64,
        backfill_seconds: f64,
    },
    SchemaBackward {
        write_share: f64,
        records: u64,
    },
    Migration {
        schema: String,
        at_seconds: Option<f64>,
        trigger: Option<String>,
    },
    KpiLoss {
        share: f64,
    },
    LbWeight {
        weight: f64,
    },
    LbSlowStart {
        ramp_seconds: f64,
    },
    LbPinning {
        share: f64,
        connections: u32,
        lifetime_seconds: f64,
    },
    Dependency {
        call_share: f64,
        error_probability: f64,
        latency_ms: f64,
    },
    TrafficSpike {
        multiplier: f64,
    },
    InstanceKill {
        rate_per_hour: f64,
    },
    ZoneLoss {
        zones: u32,
        zone: u32,
        reschedule_seconds: f64,
    },
    MetricsGap {},
    MetricsDelay {
        extra_seconds: f64,
    },
}

impl Params {
    /// Kinds that act on the world as a whole: their target is everything and they are
    /// never carried by the release.
    fn environmental(&self) -> bool {
        matches!(
            self,
            Params::TrafficSpike { .. }
                | Params::InstanceKill { .. }
                | Params::ZoneLoss { .. }
                | Params::MetricsGap {}
                | Params::MetricsDelay { .. }
                | Params::LbSlowStart { .. }
                | Params::LbPinning { .. }
                | Params::Migration { .. }
        )
    }

    /// Kinds that change the business KPI, so the scenario models conversions.
    pub fn touches_kpi(&self) -> bool {
        match self {
            Params::KpiLoss { .. } => true,
            Params::SchemaForward { effect, .. } => effect == "corrupt",
            _ => false,
        }
    }
}

fn params(s: &Section<'_>, kind: &str) -> Params {
    match kind {
        "memory-leak" => {
            let gc_multiplier = s.f64_in("gc_multiplier", 1.0, 1.0..=MAX_GC_MULTIPLIER);
            let gc_threshold = s.fraction("gc_threshold", 0.7);
            if gc_threshold >= 1.0 {
                s.problem("gc_threshold", "must be below 1 (the limit itself)");
            }
            Params::MemoryLeak {
                leak_mb_per_second: s.f64_in("leak_mb_per_second", 2.0, 0.0..=MAX_MEMORY_MB),
                leak_kb_per_request: s.f64_in("leak_kb_per_request", 0.0, 0.0..=MAX_MEMORY_MB),
                gc_multiplier,
                gc_threshold,
            }
        }
        "crash-loop" => Params::CrashLoop {
            probability: s.fraction("probability", 1.0),
            after_ready_seconds: s
                .has("after_ready_seconds")
                .then(|| s.positive_in("after_ready_seconds", 60.0, MAX_HORIZON_SECONDS)),
        },
        "latency" => Params::Latency {
            multiplier: s.positive_in("multiplier", 1.5, MAX_MULTIPLIER),
            shift_ms: s.f64_in("shift_ms", 0.0, 0.0..=MAX_SERVICE_MS),
            share: s.fraction("share", 1.0),
        },
        "errors" => Params::Errors {
            probability: s.fraction("probability", 0.02),
        },
        "schema-forward" => Params::SchemaForward {
            write_share: s.fraction("write_share", 0.1),
            effect: s
                .choice("effect", "error", &["error", "corrupt"])
                .to_string(),
            records: s.u64_in("records", 10_000, 1..=MAX_RECORDS),
            backfill_seconds: s.f64_in("backfill_seconds", 900.0, 0.0..=MAX_HORIZON_SECONDS),
        },
        "schema-backward" => Params::SchemaBackward {
            write_share: s.fraction("write_share", 0.1),
            records: s.u64_in("records", 10_000, 1..=MAX_RECORDS),
        },
        "migration" => {
            let schema = s.opt_str("schema").unwrap_or_default().to_string();
            if schema.is_empty() && !s.has("schema") {
                s.problem(
                    "schema",
                    "missing: a migration names the schema it moves to",
                );
            }
            let at_given = s.has("at_seconds");
            let at_seconds = s.opt_f64_in("at_seconds", 0.0..=MAX_HORIZON_SECONDS);
            let trigger = s.has("trigger").then(|| {
                s.choice("trigger", "release", &["release", "promotion"])
                    .to_string()
            });
            if at_given == trigger.is_some() {
                s.problem("at_seconds", "give exactly one of at_seconds and trigger");
            }
            Params::Migration {
                schema,
                at_seconds,
                trigger,
            }
        }
        "kpi-loss" => Params::KpiLoss {
            share: s.fraction("share", 0.2),
        },
        "lb-weight" => Params::LbWeight {
            weight: s.positive_in("weight", 3.0, MAX_LB_WEIGHT),
        },
        "lb-slow-start" => Params::LbSlowStart {
            ramp_seconds: s.f64_in("ramp_seconds", 60.0, MIN_PERIOD_SECONDS..=MAX_DELAY_SECONDS),
        },
        "lb-pinning" => Params::LbPinning {
            share: s.fraction("share", 0.5),
            connections: s.u32_in("connections", 50, 1..=MAX_CONNECTIONS),
            lifetime_seconds: s.f64_in(
                "lifetime_seconds",
                600.0,
                MIN_PERIOD_SECONDS..=MAX_HORIZON_SECONDS,
            ),
        },
        "dependency" => Params::Dependency {
            call_share: s.fraction("call_share", 1.0),
            error_probability: s.fraction("error_probability", 0.2),
            latency_ms: s.f64_in("latency_ms", 0.0, 0.0..=MAX_SERVICE_MS),
        },
        "traffic-spike" => Params::TrafficSpike {
            multiplier: s.positive_in("multiplier", 3.0, MAX_SPIKE_MULTIPLIER),
        },
        "instance-kill" => Params::InstanceKill {
            rate_per_hour: s.f64_in("rate_per_hour", 1.0, 0.0..=MAX_KILLS_PER_HOUR),
        },
        "zone-loss" => {
            let zones = s.u32_in("zones", 3, 2..=MAX_ZONES);
            let zone = s.u32_in("zone", 0, 0..=MAX_ZONES - 1);
            if zone >= zones {
                s.problem(
                    "zone",
                    format!("zones are numbered 0 to {}, found {zone}", zones - 1),
                );
            }
            Params::ZoneLoss {
                zones,
                zone,
                reschedule_seconds: s.f64_in(
                    "reschedule_seconds",
                    300.0,
                    MIN_PERIOD_SECONDS..=MAX_HORIZON_SECONDS,
                ),
            }
        }
        "metrics-gap" => Params::MetricsGap {},
        "metrics-delay" => Params::MetricsDelay {
            extra_seconds: s.positive_in("extra_seconds", 60.0, MAX_DELAY_SECONDS),
        },
        _ => unreachable!("kind checked against the catalog"),
    }
}

/// Reads one `[[faults]]` entry.
pub fn read(s: &Section<'_>) -> FaultSpec {
    let kinds: Vec<&str> = CATALOG.iter().map(|k| k.kind).collect();
    if !s.has("kind") {
        s.problem("kind", format!("missing; one of: {}", kinds.join(", ")));
    }
    let kind = s.choice("kind", "errors", &kinds).to_string();
    let params = params(s, &kind);
    let default_target = if params.environmental() || matches!(params, Params::Dependency { .. }) {
        "both"
    } else {
        "candidate"
    };
    let target = s
        .choice("target", default_target, &["candidate", "baseline", "both"])
        .to_string();
    if params.environmental() && target != "both" {
        s.problem(
            "target",
            format!("a {kind} fault acts on the whole fleet; leave target out"),
        );
    }
    let start_seconds = s.f64_in("start_seconds", 0.0, 0.0..=MAX_HORIZON_SECONDS);
    let duration_seconds = s
        .has("duration_seconds")
        .then(|| s.positive_in("duration_seconds", 60.0, MAX_HORIZON_SECONDS));
    let phase = |key: &str| {
        s.has(key)
            .then(|| s.f64_in(key, 60.0, MIN_PERIOD_SECONDS..=MAX_HORIZON_SECONDS))
    };
    let on_seconds = phase("on_seconds");
    let off_seconds = phase("off_seconds");
    if on_seconds.is_some() != off_seconds.is_some() {
        s.problem(
            "on_seconds",
            "give both on_seconds and off_seconds for an intermittent fault",
        );
    }
    let release = s.bool("release", !params.environmental() && target == "candidate");
    FaultSpec {
        name: s.str("name", &kind).to_string(),
        kind,
        target,
        fraction: s.fraction("fraction", 1.0),
        start_seconds,
        duration_seconds,
        on_seconds,
        off_seconds,
        release,
        params,
    }
}

fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s)
}

impl FaultSpec {
    pub fn window(&self) -> Window {
        let start = SimTime::from_secs_f64(self.start_seconds);
        Window {
            start,
            end: self
                .duration_seconds
                .map_or(SimTime::MAX, |d| start + secs(d)),
            period: self
                .on_seconds
                .zip(self.off_seconds)
                .map(|(on, off)| (secs(on), secs(off))),
        }
    }

    fn engine_target(&self) -> Target {
        let versions = match self.target.as_str() {
            "baseline" => [true, false],
            "candidate" => [false, true],
            _ => [true, true],
        };
        Target {
            versions,
            fraction: self.fraction,
        }
    }

    /// The engine's definition.
    pub fn def(&self) -> FaultDef {
        let kind = match self.params {
            Params::MemoryLeak {
                leak_mb_per_second,
                leak_kb_per_request,
                gc_multiplier,
                gc_threshold,
            } => FaultKind::Instance(Effect::MemoryLeak {
                mb_per_s: leak_mb_per_second,
                kb_per_request: leak_kb_per_request,
                gc_multiplier,
                gc_threshold,
            }),
            Params::CrashLoop {
                probability,
                after_ready_seconds,
            } => FaultKind::Instance(match after_ready_seconds {
                Some(after) => Effect::CrashAfterReady { after: secs(after) },
                None => Effect::CrashOnStart { probability },
            }),
            Params::Latency {
                multiplier,
                shift_ms,
                share,
            } => FaultKind::Instance(Effect::Latency {
                multiplier,
                shift: secs(shift_ms / 1000.0),
                share,
            }),
            Params::Errors { probability } => FaultKind::Instance(Effect::Errors { probability }),
            Params::SchemaForward {
                write_share,
                ref effect,
                records,
                backfill_seconds,
            } => FaultKind::World(WorldFault::SchemaForward {
                write_share,
                corrupt: effect == "corrupt",
                records,
                backfill: secs(backfill_seconds),
            }),
            Params::SchemaBackward {
                write_share,
                records,
            } => FaultKind::World(WorldFault::SchemaBackward {
                write_share,
                records,
            }),
            Params::Migration {
                ref schema,
                at_seconds,
                ref trigger,
            } => FaultKind::World(WorldFault::Migration {
                schema: schema.clone(),
                trigger: match (at_seconds, trigger.as_deref()) {
                    (Some(t), _) => MigrationTrigger::At(SimTime::from_secs_f64(t)),
                    (None, Some("promotion")) => MigrationTrigger::Promotion,
                    _ => MigrationTrigger::Release,
                },
            }),
            Params::KpiLoss { share } => FaultKind::Instance(Effect::KpiLoss { share }),
            Params::LbWeight { weight } => FaultKind::Instance(Effect::LbWeight { weight }),
            Params::LbSlowStart { ramp_seconds } => FaultKind::World(WorldFault::LbSlowStart {
                ramp: secs(ramp_seconds),
            }),
            Params::LbPinning {
                share,
                connections,
                lifetime_seconds,
            } => FaultKind::World(WorldFault::LbPinning {
                share,
                connections,
                lifetime: secs(lifetime_seconds),
            }),
            Params::Dependency {
                call_share,
                error_probability,
                latency_ms,
            } => FaultKind::Instance(Effect::Dependency {
                call_share,
                error_probability,
                latency: secs(latency_ms / 1000.0),
            }),
            Params::TrafficSpike { multiplier } => {
                FaultKind::World(WorldFault::TrafficSpike { multiplier })
            }
            Params::InstanceKill { rate_per_hour } => {
                FaultKind::World(WorldFault::InstanceKill { rate_per_hour })
            }
            Params::ZoneLoss {
                zones,
                zone,
                reschedule_seconds,
            } => FaultKind::World(WorldFault::ZoneLoss {
                zones,
                zone,
                reschedule: secs(reschedule_seconds),
            }),
            Params::MetricsGap {} => FaultKind::World(WorldFault::MetricsGap),
            Params::MetricsDelay { extra_seconds } => FaultKind::World(WorldFault::MetricsDelay {
                extra: secs(extra_seconds),
            }),
        };
        FaultDef {
            name: self.name.clone(),
            target: self.engine_target(),
            window: self.window(),
            release: self.release,
            kind,
        }
    }
}

/// A fault the engine needs that the scenario implies (session state, formats).
pub fn implied(name: &str, target: Target, release: bool, world: WorldFault) -> FaultDef {
    FaultDef {
        name: name.to_string(),
        target,
        window: Window::ALWAYS,
        release,
        kind: FaultKind::World(world),
    }
}
