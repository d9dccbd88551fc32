//! The fault catalog as the engine sees it.
//!
//! A fault is a mechanism with an id (its position in the table, a `FaultId`), a time
//! window in which it is live, and a kind. Instance faults change how the instances they
//! target behave and are folded into `InstanceParams` when a process starts or a window
//! opens or closes. World faults act on shared things: the data store, the traffic, the
//! fleet as a whole, the metrics pipeline. Every bad event a fault causes carries its id.

use crate::ids::Version;
use crate::time::{SimDuration, SimTime};

/// The most faults a world may hold, implied ones included. Each instance records the
/// faults placed on it as bit `i` of one `u64` (`Instance::affected`), so the mask, not
/// a policy, sets the cap; `WorldConfig::check` and the scenario reader both use this.
pub const MAX_FAULTS: usize = u64::BITS as usize;

/// An effect on the instances a fault targets.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Adds this chance of an error response to every served request.
    Errors { probability: f64 },
    /// Slows requests: service time × `multiplier`, plus `shift` on a `share` of them
    /// (a slow dependency call holds the worker, so it is load-dependent too).
    Latency {
        multiplier: f64,
        shift: SimDuration,
        share: f64,
    },
    /// A memory leak on top of the version's own, with garbage-collection pressure: from
    /// `gc_threshold` of the limit up to the limit, service times stretch linearly up to
    /// `gc_multiplier` (1 = no pressure).
    MemoryLeak {
        mb_per_s: f64,
        kb_per_request: f64,
        gc_multiplier: f64,
        gc_threshold: f64,
    },
    /// Adds this chance that a process start ends in a crash.
    CrashOnStart { probability: f64 },
    /// The process crashes this long after it became ready.
    CrashAfterReady { after: SimDuration },
    /// A silent correctness bug: this share of the conversions the instance would have
    /// made are lost. Only a business KPI shows it.
    KpiLoss { share: f64 },
    /// The load balancer weighs the instance this much (1 = fair share).
    LbWeight { weight: f64 },
    /// A downstream dependency misbehaving: a `call_share` of requests call it; such a
    /// call fails with `error_probability` and takes `latency` longer, holding the
    /// worker meanwhile.
    Dependency {
        call_share: f64,
        error_probability: f64,
        latency: SimDuration,
    },
}

/// A fault acting on something shared rather than on instances.
#[derive(Clone, Debug, PartialEq)]
pub enum WorldFault {
    /// The targeted (writing) version writes records in a new format that the other
    /// version cannot read: a reader fails, or silently corrupts, with probability equal
    /// to the share of new-format records. Records persist after the writer is gone
    /// until a backfill converts them, `backfill` after the last writer left.
    SchemaForward {
        write_share: f64,
        corrupt: bool,
        records: u64,
        backfill: SimDuration,
    },
    /// The targeted version cannot read old-format records; their share decays as the
    /// targeted version rewrites records in the new format.
    SchemaBackward { write_share: f64, records: u64 },
    /// Arrivals multiplied while live.
    TrafficSpike { multiplier: f64 },
    /// Random pods killed at this rate (per pod per hour) while live, Chaos-Monkey style.
    InstanceKill { rate_per_hour: f64 },
    /// At the window's start, the pods of one zone (of `zones`, assigned round-robin)
    /// die; they come back when the window closes or `reschedule` after the loss,
    /// whichever is first.
    ZoneLoss {
        zones: u32,
        zone: u32,
        reschedule: SimDuration,
    },
    /// No scrapes while live: detectors see stale data, then none.
    MetricsGap,
    /// Metrics reach detectors this much later while live.
    MetricsDelay { extra: SimDuration },
    /// New instances' load-balancer weight ramps from 0 to 1 over this long after they
    /// become ready (slow start).
    LbSlowStart { ramp: SimDuration },
    /// A share of the traffic rides long-lived client connections pinned to the instance
    /// they were opened to; a connection is re-opened when its instance leaves or after
    /// `lifetime`, so new instances get less of it.
    LbPinning {
        share: f64,
        connections: u32,
        lifetime: SimDuration,
    },
    /// A schema migration of the shared database: from its trigger on, the store's
    /// schema is `schema`; a version that cannot work with it fails the requests that
    /// touch the database, and those failures carry this fault.
    Migration {
        schema: String,
        trigger: MigrationTrigger,
    },
    /// Session state lives in instance memory: sessions are lost with their instance
    /// (drained, replaced, crashed). Marks the cause of those losses.
    SessionState,
    /// Session formats differ between versions: a session moving from one version to the
    /// other fails. Marks the cause of those failures.
    SessionFormat,
}

/// When a migration runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MigrationTrigger {
    /// The schema in place at t = 0; never runs. A version that cannot work with the
    /// initial schema fails with this fault as the cause.
    Initial,
    At(SimTime),
    /// Just before the release is handed to the policy (a pre-step).
    Release,
    /// When the rollout is promoted (a post-step).
    Promotion,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    Instance(Effect),
    World(WorldFault),
}

/// Which instances a fault touches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Target {
    /// Indexed by `Version::index()`.
    pub versions: [bool; 2],
    /// Share of those instances affected, decided per instance when it is created.
    pub fraction: f64,
}

impl Target {
    pub fn version(v: Version) -> Target {
        let mut versions = [false; 2];
        versions[v.index()] = true;
        Target {
            versions,
            fraction: 1.0,
        }
    }

    pub fn both() -> Target {
        Target {
            versions: [true, true],
            fraction: 1.0,
        }
    }

    pub fn includes(&self, v: Version) -> bool {
        self.versions[v.index()]
    }
}

/// When a fault is live: `[start, end)`, optionally switching on and off inside it
/// (`on` live, then `off` quiet, repeating from `start`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub start: SimTime,
    pub end: SimTime,
    pub period: Option<(SimDuration, SimDuration)>,
}

impl Window {
    pub const ALWAYS: Window = Window {
        start: SimTime::ZERO,
        end: SimTime::MAX,
        period: None,
    };

    pub fn live_at(&self, t: SimTime) -> bool {
        if t < self.start || t >= self.end {
            return false;
        }
        match self.period {
            None => true,
            Some((on, off)) => (t - self.start).0 % (on.0 + off.0) < on.0,
        }
    }

    /// Every instant up to `horizon` at which liveness changes, with the new state.
    pub fn edges(&self, horizon: SimTime) -> Vec<(SimTime, bool)> {
        let mut edges = Vec::new();
        if self.start > SimTime::ZERO && self.start <= horizon {
            edges.push((self.start, true));
        }
        if let Some((on, off)) = self.period {
            let mut t = self.start;
            loop {
                let off_at = t + on;
                let on_at = off_at + off;
                if off_at >= self.end || off_at > horizon {
                    break;
                }
                edges.push((off_at, false));
                if on_at >= self.end || on_at > horizon {
                    break;
                }
                edges.push((on_at, true));
                t = on_at;
            }
        }
        if self.end <= horizon {
            edges.push((self.end, false));
        }
        edges
    }
}

/// A fault in the scenario's fault table; its position is its `FaultId`.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultDef {
    pub name: String,
    pub target: Target,
    pub window: Window,
    /// Carried by the release itself. A run in which a release fault becomes active is
    /// a bad release (`caught` or `escaped`); other faults (a dependency outage, a zone
    /// loss, the rollout's session losses) are the environment, and stopping a good
    /// release because of them is a false rollback.
    pub release: bool,
    pub kind: FaultKind,
}

impl FaultDef {
    pub fn live_at(&self, t: SimTime) -> bool {
        self.window.live_at(t)
    }

    pub fn effect(&self) -> Option<&Effect> {
        match &self.kind {
            FaultKind::Instance(e) => Some(e),
            FaultKind::World(_) => None,
        }
    }

    pub fn world(&self) -> Option<&WorldFault> {
        match &self.kind {
            FaultKind::World(w) => Some(w),
            FaultKind::Instance(_) => None,
        }
    }

    /// A fault that adds load or shifts it between instances (a failing dependency adds
    /// the clients' retries): slow and timed-out requests with no direct cause are
    /// attributed to it while it is live.
    pub fn shapes_load(&self) -> bool {
        matches!(
            self.kind,
            FaultKind::World(
                WorldFault::TrafficSpike { .. }
                    | WorldFault::LbSlowStart { .. }
                    | WorldFault::LbPinning { .. }
            ) | FaultKind::Instance(Effect::LbWeight { .. } | Effect::Dependency { .. })
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_windows_switch_on_and_off() {
        let w = Window {
            start: SimTime::from_secs(100),
            end: SimTime::from_secs(400),
            period: Some((SimDuration::from_secs(30), SimDuration::from_secs(70))),
        };
        assert!(!w.live_at(SimTime::from_secs(99)));
        assert!(w.live_at(SimTime::from_secs(100)));
        assert!(w.live_at(SimTime::from_secs(129)));
        assert!(!w.live_at(SimTime::from_secs(130)));
        assert!(w.live_at(SimTime::from_secs(200)));
        assert!(!w.live_at(SimTime::from_secs(400)));
        let secs: Vec<(u64, bool)> = w
            .edges(SimTime::from_secs(1000))
            .into_iter()
            .map(|(t, on)| (t.0 / 1_000_000_000, on))
            .collect();
        assert_eq!(
            secs,
            vec![
                (100, true),
                (130, false),
                (200, true),
                (230, false),
                (300, true),
                (330, false),
                (400, false)
            ]
        );
        for (t, on) in w.edges(SimTime::from_secs(1000)) {
            if t < w.end {
                assert_eq!(w.live_at(t), on, "at {t}");
            }
        }
    }

    #[test]
    fn always_has_no_edges() {
        assert!(Window::ALWAYS.edges(SimTime::from_secs(10)).is_empty());
        assert!(Window::ALWAYS.live_at(SimTime::from_secs(10)));
    }
}
