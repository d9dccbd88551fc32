//! The discrete-event engine: one run of one world under one controller.
//!
//! Every cause of work is a variant of the closed `Event` enum; the loop pops events in
//! `(time, seq)` order until the horizon or a hard bound. Requests are simulated one
//! by one: each is routed, queued, served, failed or timed out, and every bad event
//! carries the fault that caused it.

use rand_chacha::ChaCha8Rng;

use crate::control::{Actions, CohortStatus, Command, Controller, Observation, Phase};
use crate::dist::unit;
use crate::hist::Histogram;
use crate::ids::{FaultId, InstanceId, Version};
use crate::instance::{InFlight, Instance, PodState};
use crate::lb::{LoadBalancer, TrafficSplit};
use crate::log::{LogKind, LogRecord};
use crate::metrics::{BadClass, CohortAccumulator, MetricsStore};
use crate::queue::EventQueue;
use crate::record::{Counts, Detection, FaultRecord, RunRecord, StateCounts, TimelineRow};
use crate::rng::Purpose;
use crate::time::{SimDuration, SimTime};
use crate::traffic::ArrivalProcess;
use crate::version::InstanceParams;
use crate::world::WorldConfig;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// Already running (the fleet at t = 0).
    Warm,
    /// A new process: start-up time, then ready (or a crash).
    Cold,
}

#[derive(Clone, Copy, Debug)]
enum CrashKind {
    OutOfMemory,
    OnStart,
}

/// Every cause of work in a run. Request arrivals are kept out of the queue: only one
/// is ever pending and they are half of all events, so the loop compares the next
/// arrival with the queue's head instead (an arrival goes first on a tie).
#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival,
    Completion {
        inst: InstanceId,
        slot: u32,
        epoch: u32,
    },
    Ready {
        inst: InstanceId,
        epoch: u32,
    },
    Available {
        inst: InstanceId,
        epoch: u32,
    },
    Crash {
        inst: InstanceId,
        epoch: u32,
        kind: CrashKind,
        cause: Option<FaultId>,
    },
    Restart {
        inst: InstanceId,
        epoch: u32,
    },
    DrainTimeout {
        inst: InstanceId,
        epoch: u32,
    },
    HealthCheck,
    Scrape,
    /// A coalesced controller sync after a status change.
    Sync,
    /// A controller sync the controller asked for.
    Wake,
    RolloutStart,
    PagerAck,
    FaultWindow {
        fault: u16,
        opening: bool,
    },
}

/// Rounds a positive float of nanoseconds to at least 1 ns, without a libm call.
#[inline]
fn round_nanos(x: f64) -> u64 {
    ((x + 0.5) as u64).max(1)
}

/// Runs one world to its horizon under `controller`.
pub fn run(cfg: &WorldConfig, controller: &mut dyn Controller) -> RunRecord {
    if let Err(e) = cfg.check() {
        panic!("invalid world configuration: {e}");
    }
    let mut world = World::new(cfg, controller.min_ready());
    world.run(controller);
    world.finish()
}

struct Streams {
    arrivals: ChaCha8Rng,
    service: ChaCha8Rng,
    routing: ChaCha8Rng,
    requests: ChaCha8Rng,
    faults: ChaCha8Rng,
    lifecycle: ChaCha8Rng,
}

struct World<'c> {
    cfg: &'c WorldConfig,
    min_ready: SimDuration,
    now: SimTime,
    queue: EventQueue<Event>,
    /// The next request arrival, if any before the horizon.
    next_arrival: Option<SimTime>,
    rng: Streams,
    arrivals: ArrivalProcess,
    instances: Vec<Instance>,
    /// Instances not yet terminated, in creation order.
    live: Vec<InstanceId>,
    lb: LoadBalancer,
    spec: [u32; 2],
    acc: [CohortAccumulator; 2],
    arrivals_in_interval: u64,
    store: MetricsStore,
    scratch_hist: Histogram,
    run_latency: Histogram,
    counts: Counts,
    crashes: u64,
    instances_max: u32,
    available_min: u32,
    release_requested: bool,
    rollback_requested: Option<SimTime>,
    pager_fired: bool,
    sync_pending: bool,
    actions: Actions,
    phase: Phase,
    t_change_start: Option<SimTime>,
    t_change_end: Option<SimTime>,
    t_promoted: Option<SimTime>,
    t_full_fleet: Option<SimTime>,
    t_impact_start: Option<SimTime>,
    t_recover: Option<SimTime>,
    detection: Option<Detection>,
    faults: Vec<FaultRecord>,
    peak_burn_5m: f64,
    peak_burn_1h: f64,
    timeline: Vec<TimelineRow>,
    log: Vec<LogRecord>,
    events_processed: u64,
    limit_hit: Option<String>,
}

impl<'c> World<'c> {
    fn new(cfg: &'c WorldConfig, min_ready: SimDuration) -> Self {
        let scrapes = (cfg.horizon.0 / cfg.observability.scrape_interval.0.max(1)) as usize + 2;
        let mut w = World {
            cfg,
            min_ready,
            now: SimTime::ZERO,
            queue: EventQueue::with_capacity(1024),
            next_arrival: None,
            rng: Streams {
                arrivals: cfg.seed.stream(Purpose::Arrivals),
                service: cfg.seed.stream(Purpose::Service),
                routing: cfg.seed.stream(Purpose::Routing),
                requests: cfg.seed.stream(Purpose::Requests),
                faults: cfg.seed.stream(Purpose::Faults),
                lifecycle: cfg.seed.stream(Purpose::Lifecycle),
            },
            arrivals: ArrivalProcess::new(cfg.traffic.clone()),
            instances: Vec::with_capacity(cfg.fleet.replicas as usize * 3),
            live: Vec::with_capacity(cfg.fleet.replicas as usize * 3),
            lb: LoadBalancer::new(cfg.lb.strategy),
            spec: [cfg.fleet.replicas, 0],
            acc: [CohortAccumulator::new(), CohortAccumulator::new()],
            arrivals_in_interval: 0,
            store: MetricsStore::with_capacity(scrapes, cfg.traffic.steady_rate()),
            scratch_hist: Histogram::new(),
            run_latency: Histogram::new(),
            counts: Counts::default(),
            crashes: 0,
            instances_max: 0,
            available_min: u32::MAX,
            release_requested: false,
            rollback_requested: None,
            pager_fired: false,
            sync_pending: false,
            actions: Actions::default(),
            phase: Phase::Idle,
            t_change_start: None,
            t_change_end: None,
            t_promoted: None,
            t_full_fleet: None,
            t_impact_start: None,
            t_recover: None,
            detection: None,
            faults: cfg
                .faults
                .iter()
                .map(|f| FaultRecord {
                    name: f.name.clone(),
                    ..FaultRecord::default()
                })
                .collect(),
            peak_burn_5m: 0.0,
            peak_burn_1h: 0.0,
            timeline: Vec::with_capacity(scrapes),
            log: Vec::new(),
            events_processed: 0,
            limit_hit: None,
        };
        w.boot();
        w
    }

    /// The steady state at t = 0: every baseline pod warm, ready and available.
    fn boot(&mut self) {
        for _ in 0..self.cfg.fleet.replicas {
            self.create_pod(Version::Baseline, Start::Warm);
        }
        self.update_fleet_extremes();
        self.next_arrival = self
            .arrivals
            .next_after(SimTime::ZERO, &mut self.rng.arrivals)
            .filter(|&t| t <= self.cfg.horizon);
        self.queue.push(
            SimTime::ZERO + self.cfg.lb.health_interval,
            Event::HealthCheck,
        );
        self.queue.push(
            SimTime::ZERO + self.cfg.observability.scrape_interval,
            Event::Scrape,
        );
        if let Some(t) = self.cfg.rollout_start {
            self.queue.push(t, Event::RolloutStart);
        }
        for (i, f) in self.cfg.faults.iter().enumerate() {
            let fault = i as u16;
            if f.start > SimTime::ZERO {
                self.queue.push(
                    f.start,
                    Event::FaultWindow {
                        fault,
                        opening: true,
                    },
                );
            }
            if f.end <= self.cfg.horizon {
                self.queue.push(
                    f.end,
                    Event::FaultWindow {
                        fault,
                        opening: false,
                    },
                );
            }
        }
        self.sync_pending = true;
        self.queue.push(SimTime::ZERO, Event::Sync);
    }

    /// The next event: the pending arrival if it is no later than the queue's head.
    fn next_event(&mut self) -> Option<(SimTime, Event)> {
        match (self.next_arrival, self.queue.peek_time()) {
            (Some(a), Some(q)) if a <= q => {
                self.next_arrival = None;
                Some((a, Event::Arrival))
            }
            (Some(a), None) => {
                self.next_arrival = None;
                Some((a, Event::Arrival))
            }
            _ => self.queue.pop(),
        }
    }

    fn run(&mut self, controller: &mut dyn Controller) {
        while let Some((t, ev)) = self.next_event() {
            if t > self.cfg.horizon {
                break;
            }
            debug_assert!(t >= self.now, "time went backwards");
            self.now = t;
            self.events_processed += 1;
            if self.events_processed > self.cfg.max_events {
                let why = format!("event bound of {} reached", self.cfg.max_events);
                self.log
                    .push(LogRecord::new(t, LogKind::Limit, "engine", why.clone()));
                self.limit_hit = Some(why);
                break;
            }
            self.handle(ev, controller);
        }
    }

    fn handle(&mut self, ev: Event, controller: &mut dyn Controller) {
        match ev {
            Event::Arrival => self.on_arrival(),
            Event::Completion { inst, slot, epoch } => self.on_completion(inst, slot, epoch),
            Event::Ready { inst, epoch } => self.on_ready(inst, epoch),
            Event::Available { inst, epoch } => {
                let i = &mut self.instances[inst.index()];
                if i.epoch == epoch && i.state == PodState::Ready {
                    i.available = true;
                    self.fleet_changed();
                }
            }
            Event::Crash {
                inst,
                epoch,
                kind,
                cause,
            } => {
                let i = &self.instances[inst.index()];
                if i.epoch == epoch
                    && matches!(
                        i.state,
                        PodState::Starting | PodState::Ready | PodState::Terminating
                    )
                {
                    self.crash(inst, cause, kind);
                }
            }
            Event::Restart { inst, epoch } => {
                let i = &self.instances[inst.index()];
                if i.epoch == epoch && i.state == PodState::Crashed {
                    self.log.push(LogRecord::new(
                        self.now,
                        LogKind::Restart,
                        inst.to_string(),
                        format!("{} restart {} after backoff", i.version, i.restarts),
                    ));
                    self.start_process(inst, Start::Cold);
                }
            }
            Event::DrainTimeout { inst, epoch } => {
                let i = &self.instances[inst.index()];
                if i.epoch == epoch && i.state == PodState::Terminating {
                    self.fail_all(inst, None);
                    self.terminate(inst);
                }
            }
            Event::HealthCheck => self.on_health_check(),
            Event::Scrape => self.on_scrape(),
            Event::Sync => {
                self.sync_pending = false;
                self.sync(controller);
            }
            Event::Wake => self.sync(controller),
            Event::RolloutStart => {
                self.release_requested = true;
                self.log.push(LogRecord::new(
                    self.now,
                    LogKind::Phase,
                    "release",
                    "release handed to the policy",
                ));
                self.request_sync();
            }
            Event::PagerAck => {
                self.rollback_requested = Some(self.now);
                self.log.push(LogRecord::new(
                    self.now,
                    LogKind::Pager,
                    "on-call",
                    "page acknowledged; human asks for a rollback",
                ));
                self.request_sync();
            }
            Event::FaultWindow { fault, opening } => self.on_fault_window(fault as usize, opening),
        }
    }

    // ---- requests -------------------------------------------------------------------

    fn on_arrival(&mut self) {
        self.counts.arrived += 1;
        self.arrivals_in_interval += 1;
        self.next_arrival = self
            .arrivals
            .next_after(self.now, &mut self.rng.arrivals)
            .filter(|&t| t <= self.cfg.horizon);
        let instances = &self.instances;
        let target = self.lb.route(&mut self.rng.routing, |id| {
            instances[id.index()].outstanding()
        });
        let Some(id) = target else {
            // No backend at all: the load balancer answers 503. If pods are down
            // because of a fault, the 503 is that fault's doing.
            let cause = self
                .live
                .iter()
                .find_map(|&id| self.instances[id.index()].crash_cause);
            self.record_bad(self.now, Version::Baseline, BadClass::Error, cause);
            return;
        };
        let inst = &mut self.instances[id.index()];
        if inst.state != PodState::Ready {
            // Dead but not yet taken out by health checks: connection refused.
            let (v, cause) = (inst.version, inst.crash_cause);
            self.record_bad(self.now, v, BadClass::Error, cause);
            return;
        }
        match inst.free_slots.pop() {
            Some(slot) => self.start_service(id, slot, self.now),
            None => inst.queue.push_back(self.now),
        }
    }

    fn start_service(&mut self, id: InstanceId, slot: u32, arrival: SimTime) {
        let inst = &mut self.instances[id.index()];
        let model = &self.cfg.versions[inst.version.index()];
        let p = &inst.params;
        let base = model.service.sample_nanos(&mut self.rng.service);
        let actual = base * p.service_multiplier;
        let extra = if p.latency_fault.is_some() {
            (actual - base * model.service_multiplier).max(0.0)
        } else {
            0.0
        };
        let fails = if p.error_segments > 0 {
            p.error_for(unit(&mut self.rng.requests))
        } else {
            None
        };
        inst.slots[slot as usize] = Some(InFlight {
            arrival,
            extra: SimDuration(extra as u64),
            fails,
            resolved: false,
        });
        let done = self.now + SimDuration(round_nanos(actual));
        self.queue.push(
            done,
            Event::Completion {
                inst: id,
                slot,
                epoch: inst.epoch,
            },
        );
    }

    fn on_completion(&mut self, id: InstanceId, slot: u32, epoch: u32) {
        let inst = &mut self.instances[id.index()];
        if inst.epoch != epoch {
            return;
        }
        let f = inst.slots[slot as usize]
            .take()
            .expect("completion for an empty worker");
        let (v, latency_fault) = (inst.version, inst.params.latency_fault);
        inst.served += 1;
        let timeout = self.cfg.fleet.request_timeout;
        let latency = self.now - f.arrival;
        if !f.resolved {
            if latency > timeout {
                let cause = latency_fault.filter(|_| latency.0 - f.extra.0 <= timeout.0);
                self.record_bad(f.arrival + timeout, v, BadClass::Timeout, cause);
            } else {
                self.acc[v.index()].latency.record(latency.as_micros());
                match f.fails {
                    Some(cause) => self.record_bad(self.now, v, BadClass::Error, cause),
                    None => {
                        self.counts.succeeded += 1;
                        self.acc[v.index()].requests += 1;
                        let threshold = self.cfg.slo.latency_threshold;
                        if latency > threshold {
                            let cause =
                                latency_fault.filter(|_| latency.0 - f.extra.0 <= threshold.0);
                            self.record_bad(self.now, v, BadClass::Slow, cause);
                        }
                    }
                }
            }
        }
        // A per-request leak can push the process over its limit.
        let inst = &self.instances[id.index()];
        if inst.params.leak_kb_per_request > 0.0 {
            let model = &self.cfg.versions[v.index()].memory;
            if inst.memory_mb(model.base_mb, self.now) >= model.limit_mb {
                let cause = inst.params.leak_fault;
                self.instances[id.index()].free_slots.push(slot);
                self.crash(id, cause, CrashKind::OutOfMemory);
                return;
            }
        }
        self.next_from_queue(id, slot);
    }

    /// Gives a freed worker the oldest queued request whose client still waits.
    fn next_from_queue(&mut self, id: InstanceId, slot: u32) {
        let timeout = self.cfg.fleet.request_timeout;
        loop {
            let inst = &mut self.instances[id.index()];
            let Some(arrival) = inst.queue.pop_front() else {
                inst.free_slots.push(slot);
                if inst.state == PodState::Terminating && inst.is_idle() {
                    self.terminate(id);
                }
                return;
            };
            if self.now.since(arrival) > timeout {
                let (v, cause) = (inst.version, inst.params.latency_fault);
                self.record_bad(arrival + timeout, v, BadClass::Timeout, cause);
                continue;
            }
            self.start_service(id, slot, arrival);
            return;
        }
    }

    /// Counts a bad event at `at` (which may precede `now` for timeouts found late).
    fn record_bad(&mut self, at: SimTime, v: Version, class: BadClass, cause: Option<FaultId>) {
        let acc = &mut self.acc[v.index()];
        match class {
            BadClass::Error => {
                acc.errors += 1;
                acc.requests += 1;
                self.counts.errors += 1;
            }
            BadClass::Timeout => {
                acc.timeouts += 1;
                acc.requests += 1;
                self.counts.timeouts += 1;
            }
            BadClass::Slow => {
                acc.slow += 1;
                self.counts.slow += 1;
            }
            BadClass::SessionLost => {
                acc.sessions_lost += 1;
                self.counts.sessions_lost += 1;
            }
        }
        if let Some(f) = cause {
            let rec = &mut self.faults[f.index()];
            rec.bad[class.index()] += 1;
            rec.t_first_bad = Some(rec.t_first_bad.map_or(at, |t| t.min(at)));
            rec.t_last_bad = Some(rec.t_last_bad.map_or(at, |t| t.max(at)));
            if self.t_impact_start.is_none_or(|t| at < t) {
                self.t_impact_start = Some(at);
            }
        }
    }

    /// Fails every request an instance holds (crash or drain cut).
    fn fail_all(&mut self, id: InstanceId, cause: Option<FaultId>) {
        let inst = &mut self.instances[id.index()];
        let v = inst.version;
        let mut failed = 0u64;
        for f in inst.clear_workers() {
            if !f.resolved {
                failed += 1;
            }
        }
        failed += inst.queue.len() as u64;
        inst.queue.clear();
        for _ in 0..failed {
            self.record_bad(self.now, v, BadClass::Error, cause);
        }
    }

    /// Client-side timeouts of requests still queued or in service, so that each
    /// scrape counts them in the interval they happened in.
    fn sweep_timeouts(&mut self) {
        let timeout = self.cfg.fleet.request_timeout;
        for k in 0..self.live.len() {
            let id = self.live[k];
            let inst = &mut self.instances[id.index()];
            let (v, cause) = (inst.version, inst.params.latency_fault);
            let mut expired = Vec::new();
            while let Some(&arrival) = inst.queue.front() {
                if self.now.since(arrival) <= timeout {
                    break;
                }
                inst.queue.pop_front();
                expired.push(arrival);
            }
            for f in inst.slots.iter_mut().flatten() {
                if !f.resolved && self.now.since(f.arrival) > timeout {
                    f.resolved = true;
                    expired.push(f.arrival);
                }
            }
            for arrival in expired {
                self.record_bad(arrival + timeout, v, BadClass::Timeout, cause);
            }
        }
    }

    // ---- lifecycle ------------------------------------------------------------------

    /// Creates a pod of `version` and starts its process.
    fn create_pod(&mut self, version: Version, start: Start) -> InstanceId {
        let id = InstanceId(self.instances.len() as u32);
        let mut affected = 0u64;
        for (i, f) in self.cfg.faults.iter().enumerate() {
            if f.target.includes(version)
                && (f.target.fraction >= 1.0 || unit(&mut self.rng.faults) < f.target.fraction)
            {
                affected |= 1 << i;
            }
        }
        let params = self.params_for(version, affected);
        self.instances.push(Instance::new(
            version,
            self.now,
            self.cfg.fleet.concurrency,
            params,
            affected,
            self.cfg.fleet.backoff_initial,
        ));
        self.live.push(id);
        if version == Version::Candidate && self.t_change_start.is_none() {
            self.t_change_start = Some(self.now);
        }
        self.start_process(id, start);
        id
    }

    fn params_for(&self, version: Version, affected: u64) -> InstanceParams {
        let now = self.now;
        InstanceParams::build(
            &self.cfg.versions[version.index()],
            self.cfg
                .faults
                .iter()
                .enumerate()
                .filter(move |(i, f)| affected & (1 << i) != 0 && f.live_at(now))
                .map(|(i, f)| (FaultId::from_index(i), &f.effect)),
        )
    }

    /// Starts a pod's process. A cold start is ready after the version's start-up time
    /// (or crashes instead, by the crash-on-start chance); a warm one (the fleet at
    /// t = 0) is ready and available at once.
    fn start_process(&mut self, id: InstanceId, start: Start) {
        let now = self.now;
        let (version, affected) = {
            let i = &self.instances[id.index()];
            (i.version, i.affected)
        };
        let params = self.params_for(version, affected);
        let model = &self.cfg.versions[version.index()];
        let inst = &mut self.instances[id.index()];
        inst.state = PodState::Starting;
        inst.epoch += 1;
        inst.process_start = now;
        inst.ready_since = None;
        inst.available = false;
        inst.served = 0;
        inst.params = params;
        let epoch = inst.epoch;
        match start {
            Start::Warm => {
                inst.state = PodState::Ready;
                inst.ready_since = Some(now);
                inst.available = true;
                self.lb.add(id, version);
            }
            Start::Cold => {
                let up = now + model.startup;
                if params.crash_on_start > 0.0
                    && unit(&mut self.rng.lifecycle) < params.crash_on_start
                {
                    self.queue.push(
                        up,
                        Event::Crash {
                            inst: id,
                            epoch,
                            kind: CrashKind::OnStart,
                            cause: params.crash_fault,
                        },
                    );
                } else {
                    self.queue.push(up, Event::Ready { inst: id, epoch });
                }
            }
        }
        if params.leak_mb_per_s > 0.0 && model.memory.limit_mb.is_finite() {
            let secs = (model.memory.limit_mb - model.memory.base_mb) / params.leak_mb_per_s;
            self.queue.push(
                now + SimDuration::from_secs_f64(secs),
                Event::Crash {
                    inst: id,
                    epoch,
                    kind: CrashKind::OutOfMemory,
                    cause: params.leak_fault,
                },
            );
        }
        self.mark_faults_active(affected);
    }

    fn mark_faults_active(&mut self, affected: u64) {
        if affected == 0 {
            return;
        }
        for (i, f) in self.cfg.faults.iter().enumerate() {
            if affected & (1 << i) != 0 && f.live_at(self.now) && self.faults[i].t_active.is_none()
            {
                self.faults[i].t_active = Some(self.now);
                self.log.push(LogRecord::new(
                    self.now,
                    LogKind::Fault,
                    f.name.clone(),
                    "mechanism live on its first instance",
                ));
            }
        }
    }

    fn on_ready(&mut self, id: InstanceId, epoch: u32) {
        let inst = &mut self.instances[id.index()];
        if inst.epoch != epoch || inst.state != PodState::Starting {
            return;
        }
        inst.state = PodState::Ready;
        inst.ready_since = Some(self.now);
        inst.health_failures = 0;
        inst.crash_cause = None;
        let v = inst.version;
        if self.min_ready == SimDuration::ZERO {
            inst.available = true;
        } else {
            self.queue.push(
                self.now + self.min_ready,
                Event::Available { inst: id, epoch },
            );
        }
        self.lb.add(id, v);
        self.fleet_changed();
    }

    fn crash(&mut self, id: InstanceId, cause: Option<FaultId>, kind: CrashKind) {
        self.fail_all(id, cause);
        let cfg = &self.cfg.fleet;
        let now = self.now;
        let inst = &mut self.instances[id.index()];
        let was_terminating = inst.state == PodState::Terminating;
        inst.epoch += 1;
        inst.available = false;
        inst.crash_cause = cause;
        inst.restarts += 1;
        let v = inst.version;
        self.crashes += 1;
        self.acc[v.index()].crashes += 1;
        let what = match kind {
            CrashKind::OutOfMemory => "OOM-killed",
            CrashKind::OnStart => "crashed on start",
        };
        let mut reason = format!("{v} {what}");
        if let Some(f) = cause {
            reason.push_str(&format!(" (fault {})", self.cfg.faults[f.index()].name));
        }
        if was_terminating {
            self.log
                .push(LogRecord::new(now, LogKind::Crash, id.to_string(), reason));
            self.terminate(id);
            return;
        }
        if now.since(inst.process_start) >= cfg.backoff_reset {
            inst.backoff = cfg.backoff_initial;
        }
        let delay = inst.backoff;
        inst.backoff = SimDuration((inst.backoff.0.saturating_mul(2)).min(cfg.backoff_max.0));
        inst.state = PodState::Crashed;
        let epoch = inst.epoch;
        reason.push_str(&format!("; restart in {delay}"));
        self.log
            .push(LogRecord::new(now, LogKind::Crash, id.to_string(), reason));
        self.queue
            .push(now + delay, Event::Restart { inst: id, epoch });
        self.fleet_changed();
    }

    /// Deletes a pod: a ready one drains, anything else goes at once.
    fn delete_pod(&mut self, id: InstanceId) {
        let inst = &mut self.instances[id.index()];
        let v = inst.version;
        match inst.state {
            PodState::Starting | PodState::Crashed => self.terminate(id),
            PodState::Ready => {
                inst.state = PodState::Terminating;
                inst.available = false;
                self.lb.remove(id, v);
                if inst.is_idle() {
                    self.terminate(id);
                } else {
                    let epoch = inst.epoch;
                    self.queue.push(
                        self.now + self.cfg.fleet.drain_timeout,
                        Event::DrainTimeout { inst: id, epoch },
                    );
                }
            }
            PodState::Terminating | PodState::Terminated => {}
        }
    }

    /// The pod is gone; every event still scheduled for it becomes stale.
    fn terminate(&mut self, id: InstanceId) {
        let inst = &mut self.instances[id.index()];
        inst.epoch += 1;
        inst.state = PodState::Terminated;
        inst.available = false;
        inst.queue = Default::default();
        inst.slots = Vec::new();
        inst.free_slots = Vec::new();
        let v = inst.version;
        self.lb.remove(id, v);
        self.live.retain(|&x| x != id);
        self.fleet_changed();
    }

    fn on_health_check(&mut self) {
        let threshold = self.cfg.lb.unhealthy_threshold;
        let members: Vec<InstanceId> = self.lb.members().to_vec();
        for id in members {
            let inst = &mut self.instances[id.index()];
            if inst.state == PodState::Ready {
                inst.health_failures = 0;
            } else {
                inst.health_failures += 1;
                if inst.health_failures >= threshold {
                    let v = inst.version;
                    self.lb.remove(id, v);
                }
            }
        }
        self.queue
            .push(self.now + self.cfg.lb.health_interval, Event::HealthCheck);
    }

    fn on_fault_window(&mut self, fault: usize, opening: bool) {
        let f = &self.cfg.faults[fault];
        self.log.push(LogRecord::new(
            self.now,
            LogKind::Fault,
            f.name.clone(),
            if opening {
                "window opens"
            } else {
                "window closes"
            },
        ));
        let bit = 1u64 << fault;
        for k in 0..self.live.len() {
            let id = self.live[k];
            let (v, affected) = {
                let i = &self.instances[id.index()];
                (i.version, i.affected)
            };
            if affected & bit != 0 {
                self.instances[id.index()].params = self.params_for(v, affected);
                if opening {
                    self.mark_faults_active(bit);
                }
            }
        }
        self.check_recovery();
    }

    // ---- fleet bookkeeping ----------------------------------------------------------

    /// A pod's status changed: the controller must look, extremes may move.
    fn fleet_changed(&mut self) {
        self.update_fleet_extremes();
        self.check_recovery();
        self.request_sync();
    }

    fn request_sync(&mut self) {
        if !self.sync_pending {
            self.sync_pending = true;
            self.queue.push(self.now, Event::Sync);
        }
    }

    fn update_fleet_extremes(&mut self) {
        let (mut pods, mut available) = ([0u32; 2], 0);
        for &id in &self.live {
            let i = &self.instances[id.index()];
            pods[i.version.index()] += i.state.counts_as_pod() as u32;
            available += i.available as u32;
        }
        self.instances_max = self.instances_max.max(pods[0] + pods[1]);
        self.available_min = self.available_min.min(available);
        if self.t_full_fleet.is_none() && pods[0] == 0 && pods[1] >= self.cfg.fleet.replicas {
            self.t_full_fleet = Some(self.now);
        }
    }

    /// `t_recover`: after the impact began, no live pod carries a live fault and the
    /// fleet has its desired capacity available again.
    fn check_recovery(&mut self) {
        if self.t_impact_start.is_none() || self.t_recover.is_some() {
            return;
        }
        let mut available = 0;
        for &id in &self.live {
            let i = &self.instances[id.index()];
            if i.affected != 0 && self.fault_live_on(i.affected) {
                return;
            }
            available += i.available as u32;
        }
        if available >= self.cfg.fleet.replicas {
            self.t_recover = Some(self.now);
        }
    }

    fn fault_live_on(&self, affected: u64) -> bool {
        self.cfg
            .faults
            .iter()
            .enumerate()
            .any(|(i, f)| affected & (1 << i) != 0 && f.live_at(self.now))
    }

    fn fleet_status(&self) -> ([CohortStatus; 2], u32) {
        let mut fleet = [CohortStatus::default(); 2];
        let mut terminating = 0;
        for &id in &self.live {
            let i = &self.instances[id.index()];
            let c = &mut fleet[i.version.index()];
            c.restarts += i.restarts;
            match i.state {
                PodState::Terminating => terminating += 1,
                PodState::Terminated => {}
                s => {
                    c.pods += 1;
                    c.ready += (s == PodState::Ready) as u32;
                    c.available += i.available as u32;
                }
            }
        }
        for v in Version::ALL {
            fleet[v.index()].spec = self.spec[v.index()];
        }
        (fleet, terminating)
    }

    // ---- the controller -------------------------------------------------------------

    fn sync(&mut self, controller: &mut dyn Controller) {
        let (fleet, terminating) = self.fleet_status();
        let mut actions = std::mem::take(&mut self.actions);
        actions.clear();
        {
            let obs = Observation {
                now: self.now,
                desired: self.cfg.fleet.replicas,
                release_requested: self.release_requested,
                fleet,
                terminating,
                metrics: self
                    .store
                    .view(self.now, self.cfg.observability.metrics_lag),
                rollback_requested: self.rollback_requested,
            };
            controller.sync(&obs, &mut actions);
        }
        self.log.append(&mut actions.log);
        for cmd in actions.commands.drain(..) {
            self.apply(cmd);
        }
        if let Some(t) = actions.wake_at {
            self.queue.push(t.max(self.now), Event::Wake);
        }
        self.actions = actions;
    }

    fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::SetReplicas { version, count } => {
                let old = self.spec[version.index()];
                if old != count {
                    self.log.push(LogRecord::new(
                        self.now,
                        LogKind::Step,
                        version.name(),
                        format!("replicas {old} -> {count}"),
                    ));
                }
                self.spec[version.index()] = count;
                self.reconcile(version);
            }
            Command::SetTraffic(split) => {
                if self.lb.split() != split {
                    let what = match split {
                        TrafficSplit::Pods => "traffic by pod count".to_string(),
                        TrafficSplit::CandidateWeight(w) => {
                            format!("candidate weight {:.1}%", w * 100.0)
                        }
                    };
                    self.log
                        .push(LogRecord::new(self.now, LogKind::Step, "traffic", what));
                }
                self.lb.set_split(split);
            }
            Command::Phase { phase, reason } => {
                if phase == self.phase {
                    return;
                }
                self.phase = phase;
                // The change ends the first time it is promoted or rolled back; a later
                // rollback of a promoted release is a change of its own.
                match phase {
                    Phase::Promoted => {
                        self.t_promoted.get_or_insert(self.now);
                        self.t_change_end.get_or_insert(self.now);
                    }
                    Phase::RolledBack => {
                        self.t_change_end.get_or_insert(self.now);
                    }
                    _ => {}
                }
                self.log.push(LogRecord::new(
                    self.now,
                    LogKind::Phase,
                    phase.name(),
                    reason,
                ));
            }
            Command::Detected { detector, reason } => {
                self.log.push(LogRecord::new(
                    self.now,
                    LogKind::Detect,
                    detector.clone(),
                    reason.clone(),
                ));
                if self.detection.is_none() {
                    self.detection = Some(Detection {
                        at: self.now,
                        detector,
                        reason,
                    });
                }
            }
        }
    }

    /// The ReplicaSet controller: make the version's pod count match its spec. Victims
    /// of a scale-down are chosen in Kubernetes' order: not ready before ready, ready
    /// for less time first, more restarts first, newer first.
    fn reconcile(&mut self, version: Version) {
        let want = self.spec[version.index()];
        let mut pods: Vec<InstanceId> = self
            .live
            .iter()
            .copied()
            .filter(|&id| {
                let i = &self.instances[id.index()];
                i.version == version && i.state.counts_as_pod()
            })
            .collect();
        let have = pods.len() as u32;
        if have < want {
            for _ in have..want {
                self.create_pod(version, Start::Cold);
            }
            self.fleet_changed();
        } else if have > want {
            let instances = &self.instances;
            pods.sort_by_key(|&id| {
                let i = &instances[id.index()];
                let ready = i.state == PodState::Ready;
                (
                    ready,
                    std::cmp::Reverse(i.ready_since),
                    std::cmp::Reverse(i.restarts),
                    std::cmp::Reverse(i.created_at),
                    std::cmp::Reverse(id),
                )
            });
            for &id in pods.iter().take((have - want) as usize) {
                self.delete_pod(id);
            }
            self.fleet_changed();
        }
    }

    // ---- observation ----------------------------------------------------------------

    fn on_scrape(&mut self) {
        self.sweep_timeouts();
        let mut pods = [StateCounts::default(); 2];
        let mut memory = [0.0f64; 2];
        let mut ready = [0u32; 2];
        let mut available = 0;
        let mut in_flight = 0u64;
        for &id in &self.live {
            let i = &self.instances[id.index()];
            let c = &mut pods[i.version.index()];
            match i.state {
                PodState::Starting => c.starting += 1,
                PodState::Ready => c.ready += 1,
                PodState::Crashed => c.crashed += 1,
                PodState::Terminating => c.terminating += 1,
                PodState::Terminated => {}
            }
            available += i.available as u32;
            in_flight += i.outstanding() as u64;
            if matches!(
                i.state,
                PodState::Starting | PodState::Ready | PodState::Terminating
            ) {
                let base = self.cfg.versions[i.version.index()].memory.base_mb;
                let m = &mut memory[i.version.index()];
                *m = m.max(i.memory_mb(base, self.now));
                ready[i.version.index()] += (i.state == PodState::Ready) as u32;
            }
        }
        let cohorts = [
            self.acc[0].take(memory[0], ready[0]),
            self.acc[1].take(memory[1], ready[1]),
        ];
        for c in &cohorts {
            self.run_latency.merge_sparse(&c.latency);
            self.scratch_hist.merge_sparse(&c.latency);
        }
        let requests = cohorts[0].requests + cohorts[1].requests;
        let failed = cohorts[0].failed() + cohorts[1].failed();
        let ms = |q: f64, h: &Histogram| h.quantile(q).map(|us| us / 1000.0);
        let (p50, p95, p99) = (
            ms(0.5, &self.scratch_hist),
            ms(0.95, &self.scratch_hist),
            ms(0.99, &self.scratch_hist),
        );
        self.scratch_hist.clear();
        self.store.push(self.now, cohorts);
        let eps = self.cfg.slo.error_budget();
        let truth = self.store.truth();
        let burn_5m = truth.burn_rate(SimDuration::from_secs(300), eps);
        let burn_1h = truth.burn_rate(SimDuration::from_secs(3600), eps);
        self.peak_burn_5m = self.peak_burn_5m.max(burn_5m.unwrap_or(0.0));
        self.peak_burn_1h = self.peak_burn_1h.max(burn_1h.unwrap_or(0.0));
        self.timeline.push(TimelineRow {
            at: self.now,
            pods,
            available,
            arrivals: std::mem::take(&mut self.arrivals_in_interval),
            requests,
            failed,
            latency_p50_ms: p50,
            latency_p95_ms: p95,
            latency_p99_ms: p99,
            burn_5m,
            burn_1h,
            in_flight,
        });
        self.evaluate_pager();
        self.queue.push(
            self.now + self.cfg.observability.scrape_interval,
            Event::Scrape,
        );
    }

    fn evaluate_pager(&mut self) {
        if self.pager_fired {
            return;
        }
        let pager = &self.cfg.slo.pager;
        let view = self
            .store
            .view(self.now, self.cfg.observability.metrics_lag);
        if let Some(rule) = pager.firing(&view, self.cfg.slo.error_budget()) {
            self.pager_fired = true;
            let reason = format!(
                "burn rate over {} and {} above {}",
                crate::slo::window_label(rule.long),
                crate::slo::window_label(rule.short),
                rule.factor
            );
            let mut rec = LogRecord::new(self.now, LogKind::Pager, "slo_pager", reason.clone());
            rec.threshold = Some(rule.factor);
            rec.value = view.burn_rate(rule.short, self.cfg.slo.error_budget());
            self.log.push(rec);
            self.apply(Command::Detected {
                detector: "slo_pager".to_string(),
                reason,
            });
            self.queue.push(self.now + pager.ack, Event::PagerAck);
        }
    }

    fn finish(mut self) -> RunRecord {
        // Whatever is still queued or being served has not been resolved.
        let mut in_flight = 0;
        for &id in &self.live {
            let i = &self.instances[id.index()];
            in_flight += i.queue.len() as u64;
            in_flight += i.slots.iter().flatten().filter(|f| !f.resolved).count() as u64;
        }
        self.counts.in_flight_end = in_flight;
        for acc in &mut self.acc {
            let s = acc.take(0.0, 0);
            self.run_latency.merge_sparse(&s.latency);
        }
        let t_fault_active = self.faults.iter().filter_map(|f| f.t_active).min();
        let t_last_bad = self.faults.iter().filter_map(|f| f.t_last_bad).max();
        let slo_window_events = self.cfg.traffic.steady_rate() * self.cfg.slo.window.as_secs_f64();
        RunRecord {
            horizon: self.cfg.horizon,
            limit_hit: self.limit_hit,
            events_processed: self.events_processed,
            counts: self.counts,
            latency: self.run_latency,
            crashes: self.crashes,
            instances_max: self.instances_max,
            available_min: self.available_min,
            desired: self.cfg.fleet.replicas,
            t_change_start: self.t_change_start,
            t_change_end: self.t_change_end,
            t_promoted: self.t_promoted,
            t_full_fleet: self.t_full_fleet,
            final_phase: self.phase,
            t_fault_active,
            t_impact_start: self.t_impact_start,
            t_last_bad,
            detection: self.detection,
            t_recover: self.t_recover,
            faults: self.faults,
            peak_burn_5m: self.peak_burn_5m,
            peak_burn_1h: self.peak_burn_1h,
            error_budget: self.cfg.slo.error_budget(),
            slo_window_events,
            timeline: self.timeline,
            log: self.log,
            metrics: self.store,
        }
    }
}
