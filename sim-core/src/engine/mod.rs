//! The discrete-event engine: one run of one world under one controller.
//!
//! Every cause of work is a variant of the closed `Event` enum; the loop pops events in
//! `(time, seq)` order until the horizon or a hard bound. Requests are simulated one
//! by one: each is routed, queued, served, failed or timed out, and every bad event
//! carries the fault that caused it.
//!
//! The submodules hold the parts: `requests` (the request path), `lifecycle` (pods),
//! `control` (the controller boundary and the ReplicaSet controller), `observe`
//! (scrapes and the pager), `sessions`, `store` (the shared database and its schema),
//! `world_faults` (spikes, kills, zone loss, the metrics pipeline), and `cluster` (the
//! room for pods and the scheduler: Pending pods, capacity changes).

mod autoscaler;
mod cluster;
mod control;
mod fluid;
mod lifecycle;
mod observe;
mod requests;
mod rollout;
mod sessions;
mod store;
mod tally;
mod world_faults;

use rand_chacha::ChaCha8Rng;

use crate::control::{Actions, CohortStatus, Command, Controller, Observation, Phase};
use crate::dist::unit;
use crate::fault::{FaultKind, MigrationTrigger, WorldFault};
use crate::hist::Histogram;
use crate::ids::{FaultId, InstanceId, Version};
use crate::instance::{InFlight, Instance, NO_SESSION, PodState, Request};
use crate::lb::{LoadBalancer, TrafficSplit};
use crate::log::{LogKind, LogRecord};
use crate::metrics::{BadClass, CohortAccumulator, CohortSample, MetricsStore};
use crate::queue::EventQueue;
use crate::record::{
    Counts, Detection, FaultRecord, FleetPoint, RunRecord, StateCounts, TimelineRow, VersionCounts,
};
use crate::rng::Purpose;
use crate::time::{SimDuration, SimTime};
use crate::traffic::ArrivalProcess;
use crate::version::InstanceParams;
use crate::world::WorldConfig;

use sessions::Sessions;
use store::DataStore;
use world_faults::Pinning;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// Already running (the fleet at t = 0).
    Warm,
    /// A new process: start-up time, then ready (or a crash).
    Cold,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CrashKind {
    OutOfMemory,
    OnStart,
    AfterReady,
    Killed,
    ZoneLoss,
}

impl CrashKind {
    fn describe(self) -> &'static str {
        match self {
            CrashKind::OutOfMemory => "OOM-killed",
            CrashKind::OnStart => "crashed on start",
            CrashKind::AfterReady => "crashed after readiness",
            CrashKind::Killed => "killed",
            CrashKind::ZoneLoss => "lost with its zone",
        }
    }
}

/// When a crashed process starts again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Restart {
    /// Kubernetes crash-loop backoff.
    Backoff,
    /// After this long (a pod rescheduled after its zone was lost).
    After(SimDuration),
}

/// Every cause of work in a run. Request arrivals are kept out of the queue: only one
/// is ever pending and they are half of all events, so the loop compares the next
/// arrival with the queue's head instead (an arrival goes first on a tie).
#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival,
    /// The fluid engine advances every pod by one step (kept out of the queue like
    /// arrivals: it goes first on a tie, so a scrape at the same instant sees it).
    FluidStep,
    /// A client retries a failed request.
    Retry {
        session: u32,
        attempt: u8,
    },
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
        fault: FaultId,
        opening: bool,
    },
    SessionArrival,
    SessionRequest {
        session: u32,
        generation: u32,
    },
    /// A Chaos-Monkey kill by an instance-kill fault.
    Kill {
        fault: FaultId,
    },
    /// metrics-server samples every pod (only with an autoscaler).
    MetricsSample,
    /// The HorizontalPodAutoscaler syncs (only with an autoscaler).
    AutoscalerSync,
    /// The cluster's room changes (`ClusterConfig::changes[change]`).
    CapacityChange {
        change: u32,
    },
    /// A schema migration runs.
    Migrate {
        fault: FaultId,
    },
    /// New-format records are converted back after the writer left.
    Backfill {
        fault: FaultId,
    },
}

/// The most lines a run's event log (`events.csv`) may hold, about 100 MB: a crash
/// loop or a kill storm on a large fleet could otherwise log without end while staying
/// under `max_events`. Reaching it ends the run as a reported failure, like `max_events`.
pub const MAX_LOG_RECORDS: usize = 1_000_000;

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
    sessions: ChaCha8Rng,
    /// The environment's own streams (see `rng::Purpose::Kills`, `SessionArrivals`).
    kills: ChaCha8Rng,
    session_arrivals: ChaCha8Rng,
}

/// Faults the request path consults, found once so the hot path only tests flags.
struct FaultIndex {
    /// The load balancer must weigh instances (skew or slow start).
    weighted: bool,
    slow_start: Option<(SimDuration, FaultId)>,
    pinning: Option<Pinning>,
    /// Metrics gaps exist: keep what the scraper got apart from the truth.
    gaps: Vec<usize>,
    delays: Vec<(usize, SimDuration)>,
    kills: Vec<usize>,
    zones: u32,
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
    /// Instances not yet terminated, in creation order (so sorted by id).
    live: Vec<InstanceId>,
    /// The live fleet's status, kept at every pod status change.
    tally: tally::Tally,
    lb: LoadBalancer,
    /// Largest load-balancer weight among instances, when weights differ.
    max_weight: f64,
    /// The Deployment's `spec.replicas`: `fleet.replicas` until an autoscaler moves it.
    desired: u32,
    autoscaler: Option<autoscaler::Autoscaler>,
    spec: [u32; 2],
    acc: [CohortAccumulator; 2],
    /// `counts` at the last scrape: a timeline row's per-interval figures are the
    /// difference, so the request path keeps one counter, not two.
    counts_at_scrape: Counts,
    /// Every interval, as it happened.
    store: MetricsStore,
    /// What the scraper delivered, when the metrics pipeline can lose scrapes.
    observed: Option<MetricsStore>,
    /// Counts of intervals whose scrape was lost, waiting for the next one.
    unscraped: Option<[CohortSample; 2]>,
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
    index: FaultIndex,
    /// A fault that holds pods down right now (crashed, killed, lost with a zone).
    capacity_fault: Option<FaultId>,
    /// A load-shaping fault live right now.
    load_fault: Option<FaultId>,
    zones_down: u64,
    sessions: Option<Sessions>,
    data: Option<DataStore>,
    /// Limited room for pods, when the world has it.
    cluster: Option<cluster::Cluster>,
    peak_burn_5m: f64,
    peak_burn_1h: f64,
    timeline: Vec<TimelineRow>,
    log: Vec<LogRecord>,
    events_processed: u64,
    limit_hit: Option<String>,
    rollout: rollout::RolloutStats,
    fleet: Vec<FleetPoint>,
    /// The fluid engine's state, when it runs the requests (`WorldConfig::engine`).
    fluid: Option<Box<fluid::Fluid>>,
}

impl<'c> World<'c> {
    fn new(cfg: &'c WorldConfig, min_ready: SimDuration) -> Self {
        let scrapes = (cfg.horizon.0 / cfg.observability.scrape_interval.0.max(1)) as usize + 2;
        let mut index = world_faults::find_faults(cfg);
        index.zones = cluster::zones(cfg, index.zones);
        let spikes = cfg
            .faults
            .iter()
            .filter_map(|f| match f.world() {
                Some(WorldFault::TrafficSpike { multiplier }) => Some((f.window, *multiplier)),
                _ => None,
            })
            .collect();
        let prior_rate = cfg.steady_rate();
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
                sessions: cfg.seed.stream(Purpose::Sessions),
                kills: cfg.seed.stream(Purpose::Kills),
                session_arrivals: cfg.seed.stream(Purpose::SessionArrivals),
            },
            arrivals: ArrivalProcess::with_spikes(cfg.traffic.clone(), spikes, cfg.horizon),
            instances: Vec::with_capacity(cfg.fleet.replicas as usize * 3),
            live: Vec::with_capacity(cfg.fleet.replicas as usize * 3),
            tally: tally::Tally::new(cfg.faults.len()),
            lb: LoadBalancer::sized(
                cfg.lb.strategy,
                cfg.fleet
                    .replicas
                    .max(cfg.autoscaler.as_ref().map_or(0, |a| a.spec.max_replicas))
                    as usize,
            ),
            max_weight: 1.0,
            desired: cfg.fleet.replicas,
            autoscaler: cfg.autoscaler.as_ref().map(autoscaler::Autoscaler::new),
            spec: [cfg.fleet.replicas, 0],
            acc: [CohortAccumulator::new(), CohortAccumulator::new()],
            counts_at_scrape: Counts::default(),
            store: MetricsStore::with_capacity(scrapes, prior_rate),
            observed: (!index.gaps.is_empty())
                .then(|| MetricsStore::with_capacity(scrapes, prior_rate)),
            unscraped: None,
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
                    release: f.release,
                    ..FaultRecord::default()
                })
                .collect(),
            index,
            capacity_fault: None,
            load_fault: None,
            zones_down: 0,
            sessions: cfg.sessions.as_ref().map(|s| Sessions::new(s, &cfg.faults)),
            data: DataStore::new(cfg),
            cluster: cfg.cluster.as_ref().map(cluster::Cluster::new),
            peak_burn_5m: 0.0,
            peak_burn_1h: 0.0,
            timeline: Vec::with_capacity(scrapes),
            log: Vec::new(),
            events_processed: 0,
            limit_hit: None,
            rollout: rollout::RolloutStats::new(cfg.fleet.replicas),
            fleet: Vec::new(),
            fluid: fluid::Fluid::for_world(cfg),
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
        if self.fluid.is_none() {
            self.next_arrival =
                self.arrivals
                    .next_after(SimTime::ZERO, self.cfg.horizon, &mut self.rng.arrivals);
        }
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
        self.boot_autoscaler();
        self.schedule_capacity_changes();
        for (i, f) in self.cfg.faults.iter().enumerate() {
            let fault = FaultId::from_index(i);
            for (t, opening) in f.window.edges(self.cfg.horizon) {
                self.queue.push(t, Event::FaultWindow { fault, opening });
            }
            match f.world() {
                Some(WorldFault::InstanceKill { .. }) if f.live_at(SimTime::ZERO) => {
                    self.schedule_kill(i);
                }
                Some(WorldFault::Migration {
                    trigger: MigrationTrigger::At(t),
                    ..
                }) if *t <= self.cfg.horizon => self.queue.push(*t, Event::Migrate { fault }),
                _ => {}
            }
        }
        let world_live: u64 = self
            .cfg
            .faults
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                // A migration is live once it runs (or, for the initial schema, once it
                // does harm), not from the start.
                !lifecycle::per_instance(f)
                    && !matches!(f.world(), Some(WorldFault::Migration { .. }))
                    && f.live_at(SimTime::ZERO)
            })
            .fold(0, |m, (i, _)| m | 1 << i);
        self.mark_faults_active(world_live);
        self.refresh_load_fault();
        if let Some(s) = &self.sessions
            && let Some(t) = s.next_arrival(SimTime::ZERO, &mut self.rng.session_arrivals)
            && t <= self.cfg.horizon
        {
            self.queue.push(t, Event::SessionArrival);
        }
        self.sync_pending = true;
        self.queue.push(SimTime::ZERO, Event::Sync);
    }

    /// The next event: the pending arrival if it is no later than the queue's head.
    fn next_event(&mut self) -> Option<(SimTime, Event)> {
        if let Some(f) = &self.fluid {
            let step = f.next_step();
            if step.is_some_and(|s| self.queue.peek_time().is_none_or(|q| s <= q)) {
                return step.map(|s| (s, Event::FluidStep));
            }
        }
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
            assert!(t >= self.now, "time went backwards: {t} after {}", self.now);
            self.now = t;
            self.events_processed += 1;
            if self.events_processed > self.cfg.max_events {
                self.stop(format!("event bound of {} reached", self.cfg.max_events));
                break;
            }
            // The two events of every request get a direct path; the rest (a few per
            // second of simulated time) go through `handle`.
            match ev {
                Event::Arrival => self.on_arrival(),
                Event::Completion { inst, slot, epoch } => self.on_completion(inst, slot, epoch),
                Event::FluidStep => self.on_fluid_step(),
                other => {
                    self.handle(other, controller);
                    // Every log line comes from such an event (a crash on the request
                    // path needs a restart first), so checking here bounds the log.
                    if self.log.len() > MAX_LOG_RECORDS {
                        self.stop(format!(
                            "event log bound of {MAX_LOG_RECORDS} records reached"
                        ));
                        break;
                    }
                }
            }
        }
    }

    /// Ends the run at a hard bound, as a reported failure.
    #[cold]
    fn stop(&mut self, why: String) {
        self.log.push(LogRecord::new(
            self.now,
            LogKind::Limit,
            "engine",
            why.clone(),
        ));
        self.limit_hit = Some(why);
    }

    #[inline(never)]
    fn handle(&mut self, ev: Event, controller: &mut dyn Controller) {
        match ev {
            Event::Arrival | Event::Completion { .. } | Event::FluidStep => {
                unreachable!("the loop dispatches the request path itself")
            }
            Event::Retry { session, attempt } => {
                self.counts.retries += 1;
                let req = Request {
                    arrival: self.now,
                    session,
                    attempt,
                };
                if session == NO_SESSION {
                    self.admit_new(req);
                } else {
                    self.retry_session(req);
                }
            }
            Event::Ready { inst, epoch } => self.on_ready(inst, epoch),
            Event::Available { inst, epoch } => {
                let i = &self.instances[inst.index()];
                if i.epoch == epoch && i.state == PodState::Ready {
                    self.untally(inst);
                    self.instances[inst.index()].available = true;
                    self.tally(inst);
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
                    self.crash(inst, cause, kind, Restart::Backoff);
                }
            }
            Event::Restart { inst, epoch } => {
                let i = &self.instances[inst.index()];
                if i.epoch == epoch && i.state == PodState::Crashed && !self.restart_elsewhere(inst)
                {
                    let i = &self.instances[inst.index()];
                    self.log.push(LogRecord::new(
                        self.now,
                        LogKind::Restart,
                        inst.to_string(),
                        format!("{} restart {}", i.version, i.restarts),
                    ));
                    self.start_process(inst, Start::Cold);
                }
            }
            Event::DrainTimeout { inst, epoch } => {
                let i = &self.instances[inst.index()];
                if i.epoch == epoch && i.state == PodState::Terminating {
                    self.counts.drain_cuts += self.fail_all(inst, None);
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
                self.run_migrations(MigrationTrigger::Release);
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
            Event::FaultWindow { fault, opening } => self.on_fault_window(fault.index(), opening),
            Event::SessionArrival => self.on_session_arrival(),
            Event::SessionRequest {
                session,
                generation,
            } => self.on_session_request(session, generation),
            Event::Kill { fault } => self.on_kill(fault.index()),
            Event::MetricsSample => self.on_metrics_sample(),
            Event::AutoscalerSync => self.on_autoscaler_sync(),
            Event::CapacityChange { change } => self.change_capacity(change as usize),
            Event::Migrate { fault } => self.migrate(fault.index()),
            Event::Backfill { fault } => self.backfill(fault.index()),
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
        let t_release_fault_active = self
            .faults
            .iter()
            .filter(|f| f.release)
            .filter_map(|f| f.t_active)
            .min();
        let t_last_bad = self.faults.iter().filter_map(|f| f.t_last_bad).max();
        let slo_window_events = self.cfg.steady_rate() * self.cfg.slo.window.as_secs_f64();
        // The run ends at its horizon, or where a hard bound stopped it.
        let end = if self.limit_hit.is_some() {
            self.now
        } else {
            self.cfg.horizon
        };
        let pending_end = self.pending_count();
        let window = (self.t_change_start, self.t_change_end);
        let rollout = std::mem::take(&mut self.rollout).finish(end, window, self.desired);
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
            t_release_fault_active,
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
            metrics: self.observed.unwrap_or(self.store),
            rollout,
            fleet: self.fleet,
            pending_end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{FaultDef, FaultKind, Target, Window};
    use crate::testing;

    /// The engine's tests' helpers, shared by the modules' `tests`.
    pub(super) fn fault(name: &str, target: Target, window: Window, kind: FaultKind) -> FaultDef {
        FaultDef {
            name: name.into(),
            target,
            window,
            release: false,
            kind,
        }
    }

    /// Every event scheduled, in order (the queue is emptied).
    pub(super) fn scheduled(w: &mut World<'_>) -> Vec<(SimTime, Event)> {
        std::iter::from_fn(|| w.queue.pop()).collect()
    }

    #[test]
    fn nanoseconds_round_to_the_nearest_and_to_at_least_one() {
        assert_eq!(round_nanos(0.2), 1);
        assert_eq!(round_nanos(1.4), 1);
        assert_eq!(round_nanos(1.5), 2);
        assert_eq!(round_nanos(2.6), 3);
        assert_eq!(round_nanos(1e9 + 0.49), 1_000_000_000);
    }

    /// At boot: a kill fault live at t = 0 starts killing (a later one at its window's
    /// opening, not twice); a migration at a time up to the horizon is scheduled (at
    /// exactly the horizon too), one past it not; world faults live at t = 0 are
    /// active, later ones and per-instance faults no pod carries are not.
    #[test]
    fn boot_schedules_the_faults_that_start_in_the_run() {
        let horizon = SimTime::from_secs(600);
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 2;
        cfg.schema = Some(crate::world::SchemaConfig {
            initial: "v1".into(),
            compatible: [
                vec!["v1".into(), "v2".into()],
                vec!["v1".into(), "v2".into()],
            ],
            db_share: 0.5,
        });
        let later = Window {
            start: SimTime::from_secs(100),
            ..Window::ALWAYS
        };
        let migration = |at| {
            FaultKind::World(WorldFault::Migration {
                schema: "v2".into(),
                trigger: MigrationTrigger::At(at),
            })
        };
        let kill_storm = FaultKind::World(WorldFault::InstanceKill {
            rate_per_hour: 3600.0,
        });
        cfg.faults = vec![
            fault("kills-later", Target::both(), later, kill_storm.clone()),
            fault(
                "at-horizon",
                Target::both(),
                Window::ALWAYS,
                migration(horizon),
            ),
            fault(
                "past-horizon",
                Target::both(),
                Window::ALWAYS,
                migration(horizon + SimDuration(1)),
            ),
            fault(
                "gap",
                Target::both(),
                Window::ALWAYS,
                FaultKind::World(WorldFault::MetricsGap),
            ),
            fault(
                "gap-later",
                Target::both(),
                later,
                FaultKind::World(WorldFault::MetricsGap),
            ),
            fault(
                "candidate-errors",
                Target::version(Version::Candidate),
                Window::ALWAYS,
                FaultKind::Instance(crate::fault::Effect::Errors { probability: 0.5 }),
            ),
        ];
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        let active: Vec<bool> = w.faults.iter().map(|f| f.t_active.is_some()).collect();
        assert_eq!(active, [false, false, false, true, false, false]);
        let events = scheduled(&mut w);
        let kills: Vec<SimTime> = events
            .iter()
            .filter(|(_, e)| matches!(e, Event::Kill { .. }))
            .map(|&(t, _)| t)
            .collect();
        assert_eq!(kills, [], "the kills start when their window opens");
        let migrations: Vec<(SimTime, usize)> = events
            .iter()
            .filter_map(|&(t, e)| match e {
                Event::Migrate { fault } => Some((t, fault.index())),
                _ => None,
            })
            .collect();
        assert_eq!(migrations, [(horizon, 1)]);
        // A kill fault live from t = 0 schedules its first kill at boot.
        cfg.faults = vec![fault("kills", Target::both(), Window::ALWAYS, kill_storm)];
        let mut w = World::new(&cfg, SimDuration::ZERO);
        let events = scheduled(&mut w);
        assert_eq!(
            events
                .iter()
                .filter(|(_, e)| matches!(e, Event::Kill { .. }))
                .count(),
            1
        );
    }

    /// The pending arrival goes before the queue's head on a tie, and is not lost when
    /// the queue is empty.
    #[test]
    fn the_pending_arrival_goes_first_on_a_tie_and_after_the_queue_empties() {
        let cfg = testing::world(1, 600);
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        let a = w.next_arrival.expect("an arrival");
        scheduled(&mut w);
        w.queue.push(a, Event::Scrape);
        assert!(matches!(w.next_event(), Some((t, Event::Arrival)) if t == a));
        assert!(matches!(w.next_event(), Some((t, Event::Scrape)) if t == a));
        w.next_arrival = Some(a);
        assert!(matches!(w.next_event(), Some((t, Event::Arrival)) if t == a));
        assert!(w.next_event().is_none());
    }

    /// With sessions, the first session arrives in the run: its arrival is scheduled at
    /// boot.
    #[test]
    fn boot_schedules_the_first_session() {
        let mut cfg = testing::world(1, 600);
        cfg.sessions = Some(crate::world::SessionConfig {
            rate: 10.0,
            requests_mean: 3.0,
            think_time: SimDuration::from_secs(1),
            lifetime: SimDuration::from_secs(60),
            sticky: true,
        });
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        let first: Vec<SimTime> = scheduled(&mut w)
            .into_iter()
            .filter(|(_, e)| matches!(e, Event::SessionArrival))
            .map(|(t, _)| t)
            .collect();
        assert_eq!(first.len(), 1, "{first:?}");
        assert!(
            first[0] < SimTime::from_secs(10),
            "at 10 a second: {first:?}"
        );
    }

    /// A controller that does nothing.
    pub(super) struct Idle;

    impl Controller for Idle {
        fn sync(&mut self, _: &crate::control::Observation<'_>, _: &mut Actions) {}
    }

    /// A client retry is counted and, without a session, routed as a new request.
    #[test]
    fn an_anonymous_retry_is_counted_and_routed_as_a_new_request() {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 2;
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        let retry = Event::Retry {
            session: NO_SESSION,
            attempt: 1,
        };
        w.handle(retry, &mut Idle);
        w.handle(retry, &mut Idle);
        assert_eq!(w.counts.retries, 2);
        let held: usize = w.instances.iter().map(Instance::outstanding).sum();
        assert_eq!(held, 2, "both retries are with a pod");
    }

    /// A pod event counts only for the process it was scheduled for and in the states
    /// it applies to: availability for a ready pod, a crash for a running one, a drain
    /// timeout for a draining one (which cuts what it still holds).
    #[test]
    fn pod_events_apply_only_to_their_own_process_and_state() {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 3;
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::from_secs(5));
        let (a, b, c) = (InstanceId(0), InstanceId(1), InstanceId(2));
        // Availability: a stale one, then one for a crashed pod, then the real one.
        w.untally(a);
        w.instances[a.index()].available = false;
        w.tally(a);
        w.handle(Event::Available { inst: a, epoch: 0 }, &mut Idle);
        assert!(!w.instances[a.index()].available, "stale");
        w.handle(Event::Available { inst: a, epoch: 1 }, &mut Idle);
        assert!(w.instances[a.index()].available);
        let crash = |inst, epoch| Event::Crash {
            inst,
            epoch,
            kind: CrashKind::Killed,
            cause: None,
        };
        w.handle(crash(b, 0), &mut Idle);
        assert_eq!(w.instances[b.index()].state, PodState::Ready, "stale");
        w.handle(crash(b, 1), &mut Idle);
        assert_eq!(w.instances[b.index()].state, PodState::Crashed);
        assert_eq!(w.instances[b.index()].restarts, 1);
        let epoch = w.instances[b.index()].epoch;
        w.handle(Event::Available { inst: b, epoch }, &mut Idle);
        assert!(!w.instances[b.index()].available, "crashed");
        w.handle(crash(b, epoch), &mut Idle);
        assert_eq!(w.instances[b.index()].restarts, 1, "already crashed");
        // A drain timeout cuts what the pod holds, once.
        let req = Request::anonymous(w.now);
        w.admit_to(c, req);
        w.delete_pod(c);
        let epoch = w.instances[c.index()].epoch;
        w.handle(Event::DrainTimeout { inst: c, epoch: 0 }, &mut Idle);
        assert_eq!(w.instances[c.index()].state, PodState::Terminating, "stale");
        w.handle(Event::DrainTimeout { inst: c, epoch }, &mut Idle);
        assert_eq!(w.instances[c.index()].state, PodState::Terminated);
        assert_eq!(w.counts.drain_cuts, 1);
        w.handle(Event::DrainTimeout { inst: c, epoch }, &mut Idle);
        assert_eq!(w.counts.drain_cuts, 1, "already gone");
    }

    /// The SLO window's events: the steady rate over the whole window (30 days of
    /// 600 req/s), whatever the run's own length.
    #[test]
    fn the_slo_windows_events_are_the_steady_rate_over_the_window() {
        let cfg = testing::world(1, 10);
        let rec = run(&cfg, &mut Idle);
        assert_eq!(rec.slo_window_events, 600.0 * 30.0 * 86_400.0);
    }
}
