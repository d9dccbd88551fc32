//! One instance (a pod): its lifecycle state, its workers and its queue.

use std::collections::VecDeque;

use crate::ids::{FaultId, Version};
use crate::time::{SimDuration, SimTime};
use crate::version::InstanceParams;

/// Lifecycle: `Starting → Ready → Terminating → Terminated`, plus `Crashed` (waiting
/// out the crash-loop backoff) which returns to `Starting`. Available is `Ready` for at
/// least `minReadySeconds`, kept as a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodState {
    /// Created but not scheduled: the cluster has no room for it (only with
    /// `[cluster]`). No process, no zone yet, not ready.
    Pending,
    Starting,
    Ready,
    Crashed,
    Terminating,
    Terminated,
}

impl PodState {
    /// Counted by its ReplicaSet (Kubernetes does not count terminating pods).
    pub fn counts_as_pod(self) -> bool {
        matches!(
            self,
            PodState::Pending | PodState::Starting | PodState::Ready | PodState::Crashed
        )
    }
}

/// No session: the request is anonymous traffic.
pub const NO_SESSION: u32 = u32::MAX;

/// A request as it waits and is served.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub arrival: SimTime,
    /// The session it belongs to, or `NO_SESSION`.
    pub session: u32,
    /// 0 for a first try, k for the k-th client retry.
    pub attempt: u8,
}

impl Request {
    /// A first try of anonymous traffic (no session), arriving at `arrival`.
    #[inline]
    pub fn anonymous(arrival: SimTime) -> Request {
        Request {
            arrival,
            session: NO_SESSION,
            attempt: 0,
        }
    }
}

/// A request being served by one worker.
#[derive(Clone, Copy, Debug)]
pub struct InFlight {
    pub req: Request,
    /// The fault that added most service time (latency, GC pressure, a slow
    /// dependency), to which slowness is attributed.
    pub slow_cause: Option<FaultId>,
    /// `Some(cause)` if the response will be an error.
    pub fails: Option<Option<FaultId>>,
    /// A silently corrupted answer (a business-KPI loss), and its cause.
    pub corrupt: Option<FaultId>,
    /// Already counted (as a timeout) while still occupying the worker.
    pub resolved: bool,
}

pub struct Instance {
    pub version: Version,
    pub state: PodState,
    /// Bumped when a process starts or dies, so that events scheduled for an earlier
    /// process (completions, readiness, OOM) are recognised as stale.
    pub epoch: u32,
    pub available: bool,
    pub created_at: SimTime,
    pub process_start: SimTime,
    pub ready_since: Option<SimTime>,
    pub restarts: u32,
    /// The delay before the next restart.
    pub backoff: SimDuration,
    pub health_failures: u32,
    /// Why the process died, while it is dead: requests refused meanwhile carry it.
    pub crash_cause: Option<FaultId>,
    pub slots: Vec<Option<InFlight>>,
    pub free_slots: Vec<u32>,
    pub queue: VecDeque<Request>,
    pub params: InstanceParams,
    /// Bit `i` set if fault `i` was placed on this instance at creation.
    pub affected: u64,
    /// Requests served by the current process (for per-request leaks).
    pub served: u64,
    /// Counts process starts: in-memory session state belongs to one process.
    pub process: u32,
    /// Availability zone, assigned at creation.
    pub zone: u32,
    /// Live sessions pinned to this instance: a draining instance waits for them (up
    /// to the drain timeout).
    pub pinned_sessions: u32,
    /// A queue that built up while a fault held capacity down or added load is that
    /// fault's until it drains: slowness it causes carries this cause.
    pub backlog_cause: Option<FaultId>,
    /// Service time booked by every request this pod started, ever: the autoscaler's
    /// utilisation is its growth over a metrics window (busy workers, standing in for
    /// CPU). One add per request; read only with an `[autoscaler]`.
    pub busy_nanos: u64,
    /// The last change of the pod's Ready condition (created not ready, became ready,
    /// crashed out of ready): the HPA's CPU rules for pods that are starting read it.
    pub ready_changed: SimTime,
}

impl Instance {
    pub fn new(
        version: Version,
        now: SimTime,
        concurrency: u32,
        params: InstanceParams,
        affected: u64,
        backoff: SimDuration,
        zone: u32,
    ) -> Instance {
        Instance {
            version,
            state: PodState::Starting,
            epoch: 0,
            available: false,
            created_at: now,
            process_start: now,
            ready_since: None,
            restarts: 0,
            backoff,
            health_failures: 0,
            crash_cause: None,
            slots: vec![None; concurrency as usize],
            free_slots: (0..concurrency).rev().collect(),
            queue: VecDeque::new(),
            params,
            affected,
            served: 0,
            process: 0,
            zone,
            pinned_sessions: 0,
            backlog_cause: None,
            busy_nanos: 0,
            ready_changed: now,
        }
    }

    /// Queued plus in-service requests: what least-outstanding routing compares.
    #[inline]
    pub fn outstanding(&self) -> usize {
        self.queue.len() + self.slots.len() - self.free_slots.len()
    }

    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.free_slots.len() == self.slots.len()
    }

    /// A draining instance may go once it holds no request and no session.
    pub fn drained(&self) -> bool {
        self.is_idle() && self.pinned_sessions == 0
    }

    /// Serving requests: ready, or draining what it still holds.
    pub fn serving(&self) -> bool {
        matches!(self.state, PodState::Ready | PodState::Terminating)
    }

    /// Resident memory of the current process.
    pub fn memory_mb(&self, base_mb: f64, now: SimTime) -> f64 {
        base_mb
            + self.params.leak_mb_per_s * now.since(self.process_start).as_secs_f64()
            + self.params.leak_kb_per_request * self.served as f64 / 1024.0
    }

    /// Frees all workers and returns what they held.
    pub fn clear_workers(&mut self) -> impl Iterator<Item = InFlight> + '_ {
        let n = self.slots.len() as u32;
        self.free_slots.clear();
        self.free_slots.extend((0..n).rev());
        self.slots.iter_mut().filter_map(Option::take)
    }
}
