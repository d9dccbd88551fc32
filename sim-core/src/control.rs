//! The boundary between the world and a rollout policy.
//!
//! A policy never touches the event queue. At every sync the engine hands it an
//! `Observation` (fleet status, lagged metrics, human requests) and the policy answers
//! through `Actions`: desired counts per ReplicaSet, the traffic split, when to be
//! woken next, what it detected, and log lines. The engine applies the actions.

use crate::ids::Version;
use crate::lb::TrafficSplit;
use crate::log::{LogKind, LogRecord};
use crate::metrics::MetricsView;
use crate::time::SimTime;

/// One version's pods, as a ReplicaSet's status reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CohortStatus {
    /// Desired count (`spec.replicas`).
    pub spec: u32,
    /// Pods that exist and are not terminating (`status.replicas`).
    pub pods: u32,
    /// Pods passing readiness (`status.readyReplicas`).
    pub ready: u32,
    /// Pods ready for at least `minReadySeconds` (`status.availableReplicas`).
    pub available: u32,
    /// Containers restarts summed over the version's pods, ever.
    pub restarts: u32,
    /// Pods being deleted and still draining (`status.terminatingReplicas`, Kubernetes
    /// 1.33+); not counted in `pods`.
    pub terminating: u32,
}

/// What a policy sees at a sync.
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    pub now: SimTime,
    /// The fleet's desired size (`Deployment.spec.replicas`).
    pub desired: u32,
    /// True from the moment the release is handed to the policy.
    pub release_requested: bool,
    /// Indexed by `Version::index()`.
    pub fleet: [CohortStatus; 2],
    /// Pods being deleted and still draining.
    pub terminating: u32,
    /// Scraped metrics, only what is visible by now.
    pub metrics: MetricsView<'a>,
    /// Set once the on-call human, paged by the SLO pager, asks for a rollback.
    pub rollback_requested: Option<SimTime>,
}

impl Observation<'_> {
    pub fn cohort(&self, v: Version) -> &CohortStatus {
        &self.fleet[v.index()]
    }
}

/// Where a rollout stands, as far as the outcome of a run is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Nothing started yet.
    Idle,
    Progressing,
    /// Stopped where it is (a gate failed with `pause`, or waiting for a human).
    Paused,
    /// The candidate runs the whole fleet.
    Promoted,
    /// Going back to the baseline.
    RollingBack,
    /// Back on the baseline after a rollback or an abort.
    RolledBack,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Progressing => "progressing",
            Phase::Paused => "paused",
            Phase::Promoted => "promoted",
            Phase::RollingBack => "rolling_back",
            Phase::RolledBack => "rolled_back",
        }
    }
}

/// One thing a policy asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    SetReplicas {
        version: Version,
        count: u32,
    },
    SetTraffic(TrafficSplit),
    Phase {
        phase: Phase,
        reason: String,
    },
    /// A detector fired (a gate); the first detection of the run sets `t_detect`.
    Detected {
        detector: String,
        reason: String,
    },
}

/// A policy's answer to one sync.
#[derive(Debug, Default)]
pub struct Actions {
    pub commands: Vec<Command>,
    pub wake_at: Option<SimTime>,
    pub log: Vec<LogRecord>,
}

impl Actions {
    pub fn clear(&mut self) {
        self.commands.clear();
        self.wake_at = None;
        self.log.clear();
    }

    pub fn set_replicas(&mut self, version: Version, count: u32) {
        self.commands.push(Command::SetReplicas { version, count });
    }

    pub fn set_traffic(&mut self, split: TrafficSplit) {
        self.commands.push(Command::SetTraffic(split));
    }

    pub fn phase(&mut self, phase: Phase, reason: impl Into<String>) {
        self.commands.push(Command::Phase {
            phase,
            reason: reason.into(),
        });
    }

    pub fn detected(&mut self, detector: impl Into<String>, reason: impl Into<String>) {
        self.commands.push(Command::Detected {
            detector: detector.into(),
            reason: reason.into(),
        });
    }

    /// Asks to be synced again at `t` (the earliest of several requests wins).
    pub fn wake_at(&mut self, t: SimTime) {
        self.wake_at = Some(self.wake_at.map_or(t, |w| w.min(t)));
    }

    pub fn log(&mut self, record: LogRecord) {
        self.log.push(record);
    }

    pub fn note(
        &mut self,
        at: SimTime,
        kind: LogKind,
        subject: impl Into<String>,
        reason: impl Into<String>,
    ) {
        self.log.push(LogRecord::new(at, kind, subject, reason));
    }
}

/// A rollout policy as the engine drives it.
pub trait Controller {
    /// Called whenever something the policy may care about changed (a pod's status,
    /// the release, a human's request) and at the times it asked to be woken.
    fn sync(&mut self, obs: &Observation<'_>, actions: &mut Actions);

    /// `minReadySeconds`: how long a pod must be ready before it counts as available.
    fn min_ready(&self) -> crate::time::SimDuration {
        crate::time::SimDuration::ZERO
    }
}
