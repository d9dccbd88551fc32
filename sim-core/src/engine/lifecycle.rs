//! Pod lifecycle: creation, process starts, readiness, crashes, deletion, health checks
//! and fault windows.

use super::*;

/// Whether a fault is placed on individual instances (and so marks them).
pub(super) fn per_instance(f: &crate::fault::FaultDef) -> bool {
    matches!(
        f.kind,
        FaultKind::Instance(_)
            | FaultKind::World(
                WorldFault::SchemaForward { .. }
                    | WorldFault::SchemaBackward { .. }
                    | WorldFault::SessionFormat
            )
    )
}

/// World faults whose window must close before the fleet counts as recovered: those
/// that take capacity or add or shift load.
fn blocks_recovery(f: &crate::fault::FaultDef) -> bool {
    f.shapes_load()
        || matches!(
            f.kind,
            FaultKind::World(WorldFault::InstanceKill { .. } | WorldFault::ZoneLoss { .. })
        )
}

impl World<'_> {
    /// Creates a pod of `version` and starts its process.
    pub(super) fn create_pod(&mut self, version: Version, start: Start) -> InstanceId {
        let id = InstanceId(self.instances.len() as u32);
        let mut affected = 0u64;
        for (i, f) in self.cfg.faults.iter().enumerate() {
            if per_instance(f)
                && f.target.includes(version)
                && (f.target.fraction >= 1.0 || unit(&mut self.rng.faults) < f.target.fraction)
            {
                affected |= 1 << i;
            }
        }
        let params = self.params_for(version, affected);
        let zone = self.zone_for(id);
        self.instances.push(Instance::new(
            version,
            self.now,
            self.cfg.fleet.concurrency,
            params,
            affected,
            self.cfg.fleet.backoff_initial,
            zone,
        ));
        self.live.push(id);
        self.tally(id);
        if version == Version::Candidate && self.t_change_start.is_none() {
            self.t_change_start = Some(self.now);
        }
        if self.cluster.is_some() && !self.schedule_new(id) {
            return id;
        }
        self.start_process(id, start);
        id
    }

    /// Zones are assigned round-robin, skipping zones that are down.
    pub(super) fn zone_for(&self, id: InstanceId) -> u32 {
        let zones = self.index.zones;
        (0..zones)
            .map(|k| (id.0 + k) % zones)
            .find(|&z| self.zones_down & (1 << z) == 0)
            .unwrap_or(id.0 % zones)
    }

    pub(super) fn params_for(&self, version: Version, affected: u64) -> InstanceParams {
        let now = self.now;
        InstanceParams::build(
            &self.cfg.versions[version.index()],
            self.cfg
                .faults
                .iter()
                .enumerate()
                .filter(move |(i, f)| affected & (1 << i) != 0 && f.live_at(now))
                .filter_map(|(i, f)| f.effect().map(|e| (FaultId::from_index(i), e))),
        )
    }

    /// Starts a pod's process. A cold start is ready after the version's start-up time
    /// (or crashes instead, by the crash-on-start chance); a warm one (the fleet at
    /// t = 0) is ready and available at once.
    pub(super) fn start_process(&mut self, id: InstanceId, start: Start) {
        let now = self.now;
        let (version, affected) = {
            let i = &self.instances[id.index()];
            (i.version, i.affected)
        };
        let params = self.params_for(version, affected);
        let model = &self.cfg.versions[version.index()];
        self.untally(id);
        let inst = &mut self.instances[id.index()];
        inst.state = PodState::Starting;
        inst.epoch += 1;
        inst.process += 1;
        inst.pinned_sessions = 0;
        inst.process_start = now;
        inst.ready_since = None;
        inst.available = false;
        inst.served = 0;
        inst.params = params;
        let epoch = inst.epoch;
        if start == Start::Warm {
            inst.state = PodState::Ready;
            inst.ready_since = Some(now);
            inst.available = true;
        }
        self.tally(id);
        match start {
            Start::Warm => {
                self.lb.add(id, version);
                self.schedule_crash_after_ready(id);
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
        let oom_secs = (model.memory.limit_mb - model.memory.base_mb) / params.leak_mb_per_s;
        // A leak so slow (a subnormal rate) that its limit is never reached has an
        // infinite time to OOM, and one past the horizon never happens in this run:
        // neither is scheduled. (The input fuzz found the first one panicking.)
        if params.leak_mb_per_s > 0.0
            && oom_secs.is_finite()
            && oom_secs <= self.cfg.horizon.since(now).as_secs_f64()
        {
            let secs = oom_secs;
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
        self.refresh_max_weight();
    }

    /// Records the first moment each fault in `mask` is live somewhere.
    pub(super) fn mark_faults_active(&mut self, mask: u64) {
        if mask == 0 {
            return;
        }
        for (i, f) in self.cfg.faults.iter().enumerate() {
            if mask & (1 << i) != 0 && f.live_at(self.now) && self.faults[i].t_active.is_none() {
                self.faults[i].t_active = Some(self.now);
                let what = if per_instance(f) {
                    "mechanism live on its first instance"
                } else {
                    "mechanism live"
                };
                self.log.push(LogRecord::new(
                    self.now,
                    LogKind::Fault,
                    f.name.clone(),
                    what,
                ));
            }
        }
    }

    pub(super) fn on_ready(&mut self, id: InstanceId, epoch: u32) {
        let inst = &self.instances[id.index()];
        if inst.epoch != epoch || inst.state != PodState::Starting {
            return;
        }
        self.untally(id);
        let inst = &mut self.instances[id.index()];
        inst.state = PodState::Ready;
        inst.ready_since = Some(self.now);
        inst.ready_changed = self.now;
        inst.health_failures = 0;
        inst.crash_cause = None;
        let v = inst.version;
        if self.min_ready == SimDuration::ZERO {
            inst.available = true;
        }
        self.tally(id);
        if v == Version::Candidate {
            self.rollout.rec.candidate_starts += 1;
        }
        if self.min_ready != SimDuration::ZERO {
            self.queue.push(
                self.now + self.min_ready,
                Event::Available { inst: id, epoch },
            );
        }
        self.lb.add(id, v);
        self.schedule_crash_after_ready(id);
        self.fleet_changed();
    }

    fn schedule_crash_after_ready(&mut self, id: InstanceId) {
        let inst = &self.instances[id.index()];
        if let Some(after) = inst.params.crash_after_ready {
            self.queue.push(
                self.now + after,
                Event::Crash {
                    inst: id,
                    epoch: inst.epoch,
                    kind: CrashKind::AfterReady,
                    cause: inst.params.crash_after_fault,
                },
            );
        }
    }

    pub(super) fn crash(
        &mut self,
        id: InstanceId,
        cause: Option<FaultId>,
        kind: CrashKind,
        restart: Restart,
    ) {
        self.fail_all(id, cause);
        let cfg = &self.cfg.fleet;
        let now = self.now;
        self.untally(id);
        let inst = &mut self.instances[id.index()];
        let was_terminating = inst.state == PodState::Terminating;
        if inst.state == PodState::Ready {
            inst.ready_changed = now;
        }
        inst.epoch += 1;
        inst.available = false;
        inst.pinned_sessions = 0;
        inst.crash_cause = cause;
        inst.restarts += 1;
        let v = inst.version;
        self.crashes += 1;
        if v == Version::Candidate {
            let r = &mut self.rollout.rec;
            r.candidate_crashes += 1;
            r.candidate_starts += u64::from(kind == CrashKind::OnStart);
        }
        self.acc[v.index()].crashes += 1;
        let mut reason = format!("{v} {}", kind.describe());
        if let Some(f) = cause {
            reason.push_str(&format!(" (fault {})", self.cfg.faults[f.index()].name));
        }
        if was_terminating {
            self.tally(id);
            self.log
                .push(LogRecord::new(now, LogKind::Crash, id.to_string(), reason));
            self.terminate(id);
            return;
        }
        let delay = match restart {
            Restart::Backoff => {
                if now.since(inst.process_start) >= cfg.backoff_reset {
                    inst.backoff = cfg.backoff_initial;
                }
                let d = inst.backoff;
                inst.backoff =
                    SimDuration((inst.backoff.0.saturating_mul(2)).min(cfg.backoff_max.0));
                d
            }
            Restart::After(d) => d,
        };
        inst.state = PodState::Crashed;
        let epoch = inst.epoch;
        self.tally(id);
        reason.push_str(&format!("; restart in {delay}"));
        self.log
            .push(LogRecord::new(now, LogKind::Crash, id.to_string(), reason));
        self.queue
            .push(now + delay, Event::Restart { inst: id, epoch });
        self.fleet_changed();
    }

    /// Deletes a pod: a ready one drains (requests and pinned sessions finish, up to
    /// the drain timeout), anything else goes at once.
    pub(super) fn delete_pod(&mut self, id: InstanceId) {
        let inst = &mut self.instances[id.index()];
        let v = inst.version;
        match inst.state {
            PodState::Pending | PodState::Starting | PodState::Crashed => self.terminate(id),
            PodState::Ready => {
                self.untally(id);
                let inst = &mut self.instances[id.index()];
                inst.state = PodState::Terminating;
                inst.available = false;
                self.tally(id);
                self.lb.remove(id, v);
                if self.instances[id.index()].drained() {
                    self.terminate(id);
                } else {
                    let epoch = self.instances[id.index()].epoch;
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
    pub(super) fn terminate(&mut self, id: InstanceId) {
        self.untally(id);
        let inst = &mut self.instances[id.index()];
        let was = inst.state;
        inst.epoch += 1;
        inst.state = PodState::Terminated;
        inst.available = false;
        inst.queue = Default::default();
        inst.slots = Vec::new();
        inst.free_slots = Vec::new();
        let v = inst.version;
        self.lb.remove(id, v);
        self.load_changed(id);
        self.leave_live(id);
        if self.cluster.is_some() {
            self.left_cluster(id, was);
        }
        self.fleet_changed();
    }

    pub(super) fn on_health_check(&mut self) {
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

    pub(super) fn on_fault_window(&mut self, fault: usize, opening: bool) {
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
        if per_instance(f) {
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
            self.refresh_max_weight();
        } else {
            if opening {
                self.mark_faults_active(bit);
            }
            self.world_fault_window(fault, opening);
        }
        self.refresh_load_fault();
        self.check_recovery();
    }

    /// `t_recover`: after the impact began, no live pod carries a live fault, no fault
    /// that takes capacity or adds load is live, and the fleet has its desired capacity
    /// available again.
    pub(super) fn check_recovery(&mut self) {
        if self.t_impact_start.is_none() || self.t_recover.is_some() {
            return;
        }
        let now = self.now;
        let faults = &self.cfg.faults;
        if faults.iter().any(|f| blocks_recovery(f) && f.live_at(now)) {
            return;
        }
        // A live pod carries a live fault: from the tally's carriers, O(faults).
        let carried = faults
            .iter()
            .zip(&self.tally.carriers)
            .any(|(f, &n)| n > 0 && f.live_at(now));
        if carried {
            return;
        }
        if self.tally.available_total() >= self.desired {
            self.t_recover = Some(self.now);
        }
    }

    /// The largest load-balancer weight, for thinning.
    pub(super) fn refresh_max_weight(&mut self) {
        if !self.index.weighted {
            return;
        }
        self.max_weight = self
            .live
            .iter()
            .map(|&id| self.instances[id.index()].params.lb_weight)
            .fold(1.0, f64::max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    /// `unhealthy_threshold` failed checks in a row take a pod out of the load balancer:
    /// it is still a member after `threshold - 1` of them and gone at the `threshold`-th,
    /// and a passing check in between starts the count again.
    #[test]
    fn a_pod_leaves_the_load_balancer_at_exactly_its_threshold_of_failed_checks() {
        for threshold in [1u32, 2, 3] {
            let mut cfg = testing::world(1, 60);
            cfg.fleet.replicas = 2;
            cfg.lb.unhealthy_threshold = threshold;
            cfg.check().unwrap();
            let mut w = World::new(&cfg, SimDuration::ZERO);
            let sick = InstanceId(0);
            assert!(w.lb.contains(sick) && w.lb.contains(InstanceId(1)));
            if threshold > 1 {
                // One failed check, then a passing one: the count starts again.
                w.instances[sick.index()].state = PodState::Crashed;
                w.on_health_check();
                w.instances[sick.index()].state = PodState::Ready;
                w.on_health_check();
                assert!(
                    w.lb.contains(sick),
                    "threshold {threshold}: reset by a pass"
                );
            }
            w.instances[sick.index()].state = PodState::Crashed;
            for check in 1..threshold {
                w.on_health_check();
                assert!(w.lb.contains(sick), "threshold {threshold}, check {check}");
            }
            w.on_health_check();
            assert!(
                !w.lb.contains(sick),
                "threshold {threshold}: out at the last"
            );
            assert!(w.lb.contains(InstanceId(1)), "the healthy pod stays");
        }
    }

    /// A deleted pod leaves the load balancer at once and drains what it holds: no new
    /// request reaches it, and it goes only when empty (or at the drain timeout).
    #[test]
    fn a_draining_pod_gets_no_new_requests() {
        let slow = crate::version::VersionModel {
            service: crate::dist::ServiceDist::Constant {
                value: SimDuration::from_secs(1000),
            },
            ..testing::model()
        };
        let mut cfg = testing::world(1, 60);
        cfg.fleet.replicas = 2;
        cfg.fleet.queue_limit = 1000;
        cfg.traffic = crate::traffic::RateProfile::Constant { rate: 0.0 };
        cfg.versions = [slow.clone(), slow];
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        let req = Request::anonymous(w.now);
        let (draining, other) = (InstanceId(0), InstanceId(1));
        w.admit_to(draining, req);
        w.delete_pod(draining);
        let pod = &w.instances[draining.index()];
        assert_eq!(pod.state, PodState::Terminating, "it still holds a request");
        assert!(!w.lb.contains(draining) && w.lb.contains(other));
        for _ in 0..50 {
            w.admit_new(req);
        }
        assert_eq!(w.instances[draining.index()].outstanding(), 1);
        assert_eq!(w.instances[other.index()].outstanding(), 50);
    }

    use super::super::tests::{fault, scheduled};
    use crate::fault::{Effect, Target, Window};

    fn from(start_s: u64) -> Window {
        Window {
            start: SimTime::from_secs(start_s),
            ..Window::ALWAYS
        }
    }

    fn between(start_s: u64, end_s: u64) -> Window {
        Window {
            start: SimTime::from_secs(start_s),
            end: SimTime::from_secs(end_s),
            period: None,
        }
    }

    fn crashes_of(events: &[(SimTime, Event)], id: InstanceId) -> Vec<(SimTime, CrashKind)> {
        events
            .iter()
            .filter_map(|&(t, e)| match e {
                Event::Crash { inst, kind, .. } if inst == id => Some((t, kind)),
                _ => None,
            })
            .collect()
    }

    /// Zones are dealt round-robin by pod id, a lost zone's turn going to the next zone
    /// up; with every zone lost, the pod's own turn.
    #[test]
    fn zones_are_dealt_round_robin_skipping_lost_ones() {
        let cfg = testing::world(1, 60);
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        w.index.zones = 3;
        let zones = |w: &World<'_>| {
            (0..7)
                .map(|k| w.zone_for(InstanceId(k)))
                .collect::<Vec<_>>()
        };
        assert_eq!(zones(&w), [0, 1, 2, 0, 1, 2, 0]);
        w.zones_down = 0b010;
        assert_eq!(zones(&w), [0, 2, 2, 0, 2, 2, 0]);
        w.zones_down = 0b001;
        assert_eq!(zones(&w), [1, 1, 2, 1, 1, 2, 1]);
        w.zones_down = 0b111;
        assert_eq!(zones(&w), [0, 1, 2, 0, 1, 2, 0]);
    }

    /// The epoch counts a pod's process starts, crashes and its deletion, and `process`
    /// its process starts, so every event scheduled before one of them is stale after
    /// it. A crash counts once, for its version; a crash on start also counts as a
    /// candidate start, one after readiness does not.
    #[test]
    fn a_crash_is_counted_once_for_its_version_and_makes_older_events_stale() {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 1;
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        let base = InstanceId(0);
        assert_eq!(
            (w.instances[0].epoch, w.instances[0].process),
            (1, 1),
            "the warm fleet"
        );
        w.now = SimTime::from_secs(5);
        let cand = w.create_pod(Version::Candidate, Start::Cold);
        assert_eq!(w.instances[cand.index()].epoch, 1);
        w.now = SimTime::from_secs(15);
        w.on_ready(cand, 1);
        assert_eq!(w.rollout.rec.candidate_starts, 1);
        w.now = SimTime::from_secs(30);
        w.crash(cand, None, CrashKind::AfterReady, Restart::Backoff);
        let pod = &w.instances[cand.index()];
        assert_eq!(
            (pod.state, pod.epoch, pod.process),
            (PodState::Crashed, 2, 1)
        );
        assert_eq!(pod.restarts, 1);
        assert_eq!(pod.ready_changed, SimTime::from_secs(30), "it was ready");
        assert_eq!(w.crashes, 1);
        assert_eq!(w.acc[Version::Candidate.index()].crashes, 1);
        assert_eq!(w.acc[Version::Baseline.index()].crashes, 0);
        assert_eq!(w.rollout.rec.candidate_crashes, 1);
        assert_eq!(
            w.rollout.rec.candidate_starts, 1,
            "after readiness: no start"
        );
        // Restarted: a cold start, epoch 3, process 2; crashing on start is a start.
        w.now = SimTime::from_secs(40);
        w.start_process(cand, Start::Cold);
        let pod = &w.instances[cand.index()];
        assert_eq!(
            (pod.state, pod.epoch, pod.process),
            (PodState::Starting, 3, 2)
        );
        w.now = SimTime::from_secs(45);
        w.crash(cand, None, CrashKind::OnStart, Restart::Backoff);
        let pod = &w.instances[cand.index()];
        assert_eq!(
            pod.ready_changed,
            SimTime::from_secs(30),
            "it was not ready: the last change stays"
        );
        assert_eq!(w.rollout.rec.candidate_crashes, 2);
        assert_eq!(w.rollout.rec.candidate_starts, 2);
        // A baseline crash is the baseline's.
        w.crash(base, None, CrashKind::Killed, Restart::Backoff);
        assert_eq!(w.acc[Version::Baseline.index()].crashes, 1);
        assert_eq!(w.rollout.rec.candidate_crashes, 2);
        assert_eq!(w.crashes, 3);
        // Deleted: the epoch moves once more.
        w.delete_pod(cand);
        let pod = &w.instances[cand.index()];
        assert_eq!((pod.state, pod.epoch), (PodState::Terminated, 5));
    }

    /// A readiness event counts only for the process it was scheduled for, and only
    /// while that process is starting; a baseline pod's readiness is not a candidate
    /// start. With `minReadySeconds` the pod becomes available later, by an event.
    #[test]
    fn readiness_counts_only_for_its_own_starting_process() {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 1;
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::from_secs(5));
        let cand = w.create_pod(Version::Candidate, Start::Cold);
        w.crash(cand, None, CrashKind::OnStart, Restart::Backoff);
        w.start_process(cand, Start::Cold);
        assert_eq!(w.instances[cand.index()].epoch, 3);
        w.on_ready(cand, 1);
        assert_eq!(w.instances[cand.index()].state, PodState::Starting, "stale");
        w.on_ready(cand, 3);
        let pod = &w.instances[cand.index()];
        assert_eq!(pod.state, PodState::Ready);
        assert!(!pod.available, "not before minReadySeconds");
        assert_eq!(w.rollout.rec.candidate_starts, 2);
        // Ready again for the same process: already ready, nothing counts.
        w.on_ready(cand, 3);
        assert_eq!(w.rollout.rec.candidate_starts, 2);
        let base = w.create_pod(Version::Baseline, Start::Cold);
        w.on_ready(base, 1);
        assert_eq!(w.rollout.rec.candidate_starts, 2, "a baseline pod");
        let available: Vec<_> = scheduled(&mut w)
            .into_iter()
            .filter_map(|(t, e)| match e {
                Event::Available { inst, .. } => Some((t, inst)),
                _ => None,
            })
            .collect();
        assert_eq!(
            available,
            [(SimTime::from_secs(5), cand), (SimTime::from_secs(5), base)]
        );
        // Without minReadySeconds: available at once, no event.
        let mut w = World::new(&cfg, SimDuration::ZERO);
        let cand = w.create_pod(Version::Candidate, Start::Cold);
        w.on_ready(cand, 1);
        assert!(w.instances[cand.index()].available);
        assert!(
            !scheduled(&mut w)
                .iter()
                .any(|(_, e)| matches!(e, Event::Available { .. }))
        );
    }

    /// What a cold start schedules: readiness after the start-up time, or instead a
    /// crash on start when the fault says so (drawn from the lifecycle stream only when
    /// there is a chance), a crash after readiness once ready, and an out-of-memory
    /// crash when a leak reaches the limit before the horizon (not after it).
    #[test]
    fn a_cold_start_schedules_readiness_or_its_crash() {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 1;
        cfg.faults = vec![
            fault(
                "on-start",
                Target::version(Version::Candidate),
                from(100),
                FaultKind::Instance(Effect::CrashOnStart { probability: 1.0 }),
            ),
            fault(
                "after-ready",
                Target::version(Version::Candidate),
                between(0, 100),
                FaultKind::Instance(Effect::CrashAfterReady {
                    after: SimDuration::from_secs(7),
                }),
            ),
        ];
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        let untouched = w.rng.lifecycle.clone();
        let cand = w.create_pod(Version::Candidate, Start::Cold);
        assert!(
            w.rng.lifecycle == untouched,
            "no crash-on-start chance: no draw"
        );
        w.now = SimTime::from_secs(10);
        w.on_ready(cand, 1);
        let events = scheduled(&mut w);
        assert!(events.iter().any(|&(t, e)| t == SimTime::from_secs(10)
            && matches!(e, Event::Ready { inst, epoch: 1 } if inst == cand)));
        assert_eq!(
            crashes_of(&events, cand),
            [(SimTime::from_secs(17), CrashKind::AfterReady)]
        );
        // From 100 s every start crashes, at the end of its start-up.
        w.now = SimTime::from_secs(100);
        let doomed = w.create_pod(Version::Candidate, Start::Cold);
        let events = scheduled(&mut w);
        assert_eq!(
            crashes_of(&events, doomed),
            [(SimTime::from_secs(110), CrashKind::OnStart)]
        );
        assert!(
            !events
                .iter()
                .any(|(_, e)| matches!(e, Event::Ready { inst, .. } if *inst == doomed))
        );
        // A leak: 100 MB/s from 100 MB to the limit of 1100 MB is an OOM 10 s after
        // the start; a thousand times slower, past the 600 s horizon, none.
        for (mb_per_s, oom) in [(100.0, Some(SimTime::from_secs(110))), (0.1, None)] {
            let mut cfg = testing::world(1, 600);
            cfg.fleet.replicas = 1;
            cfg.versions[1].memory = crate::version::MemoryModel {
                base_mb: 100.0,
                leak_mb_per_s: mb_per_s,
                leak_kb_per_request: 0.0,
                limit_mb: 1100.0,
            };
            cfg.check().unwrap();
            let mut w = World::new(&cfg, SimDuration::ZERO);
            w.now = SimTime::from_secs(100);
            let leaky = w.create_pod(Version::Candidate, Start::Cold);
            let events = scheduled(&mut w);
            assert_eq!(
                crashes_of(&events, leaky),
                oom.map(|t| (t, CrashKind::OutOfMemory))
                    .into_iter()
                    .collect::<Vec<_>>(),
                "{mb_per_s} MB/s"
            );
        }
    }

    /// A fault is active from the first moment it is live on a pod that carries it:
    /// placed at creation, or when its window opens on pods that carry it. A fault no
    /// live pod carries, or whose window has not opened, is not active, and the first
    /// moment stays the first.
    #[test]
    fn a_fault_is_active_from_its_first_live_moment_on_a_carrier() {
        let slow = |name: &str, target, window| {
            fault(
                name,
                target,
                window,
                FaultKind::Instance(Effect::Latency {
                    multiplier: 3.0,
                    shift: SimDuration::ZERO,
                    share: 0.0,
                }),
            )
        };
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 2;
        cfg.faults = vec![
            slow("always", Target::version(Version::Baseline), Window::ALWAYS),
            slow("later", Target::version(Version::Baseline), from(20)),
            slow("candidate", Target::version(Version::Candidate), from(20)),
        ];
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        let active = |w: &World<'_>| w.faults.iter().map(|f| f.t_active).collect::<Vec<_>>();
        assert_eq!(active(&w), [Some(SimTime::ZERO), None, None]);
        let multiplier = |w: &World<'_>| w.instances[0].params.service_multiplier;
        assert_eq!(multiplier(&w), 3.0);
        // Carried but not live yet: not active.
        w.now = SimTime::from_secs(10);
        w.mark_faults_active(0b011);
        assert_eq!(active(&w), [Some(SimTime::ZERO), None, None]);
        w.now = SimTime::from_secs(20);
        w.on_fault_window(1, true);
        w.on_fault_window(2, true);
        assert_eq!(
            active(&w),
            [Some(SimTime::ZERO), Some(SimTime::from_secs(20)), None],
            "no candidate pod carries the third"
        );
        assert_eq!(multiplier(&w), 9.0, "both faults slow the baseline pods");
        w.now = SimTime::from_secs(30);
        w.mark_faults_active(0b011);
        assert_eq!(
            active(&w),
            [Some(SimTime::ZERO), Some(SimTime::from_secs(20)), None],
            "the first moment stays"
        );
    }

    /// The fleet recovers (after an impact) once no fault that takes capacity or adds
    /// load is live, no live pod carries a live fault, and the desired pods are
    /// available; a fault that does neither (a metrics gap) does not hold it back.
    #[test]
    fn recovery_waits_for_the_faults_that_take_capacity() {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 2;
        cfg.faults = vec![
            fault(
                "kills",
                Target::both(),
                between(0, 100),
                FaultKind::World(WorldFault::InstanceKill { rate_per_hour: 1.0 }),
            ),
            fault(
                "gap",
                Target::both(),
                Window::ALWAYS,
                FaultKind::World(WorldFault::MetricsGap),
            ),
        ];
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        w.t_impact_start = Some(SimTime::from_secs(10));
        w.now = SimTime::from_secs(50);
        w.check_recovery();
        assert_eq!(w.t_recover, None, "the kills are live");
        w.now = SimTime::from_secs(100);
        w.check_recovery();
        assert_eq!(
            w.t_recover,
            Some(SimTime::from_secs(100)),
            "only the gap is live"
        );
        // One pod short of the desired two: not yet.
        let mut w = World::new(&cfg, SimDuration::ZERO);
        w.t_impact_start = Some(SimTime::from_secs(10));
        w.now = SimTime::from_secs(100);
        w.crash(InstanceId(0), None, CrashKind::Killed, Restart::Backoff);
        w.check_recovery();
        assert_eq!(w.t_recover, None, "one of two pods available");
        // Without an impact there is nothing to recover from; once recovered, the
        // first moment stays.
        let mut w = World::new(&cfg, SimDuration::ZERO);
        w.now = SimTime::from_secs(100);
        w.check_recovery();
        assert_eq!(w.t_recover, None, "no impact");
        w.t_impact_start = Some(SimTime::from_secs(10));
        w.check_recovery();
        w.now = SimTime::from_secs(200);
        w.check_recovery();
        assert_eq!(w.t_recover, Some(SimTime::from_secs(100)));
        // A live pod carrying a live fault holds recovery back.
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 2;
        cfg.faults = vec![fault(
            "errors",
            Target::version(Version::Baseline),
            Window::ALWAYS,
            FaultKind::Instance(Effect::Errors { probability: 0.1 }),
        )];
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        w.t_impact_start = Some(SimTime::from_secs(10));
        w.now = SimTime::from_secs(100);
        w.check_recovery();
        assert_eq!(w.t_recover, None, "the baseline pods carry the errors");
    }

    /// Weighted routing thins against the largest weight of a live pod: it follows a
    /// weight fault's window.
    #[test]
    fn the_largest_weight_follows_the_weight_faults_window() {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 2;
        cfg.faults = vec![fault(
            "heavy",
            Target::version(Version::Baseline),
            between(0, 100),
            FaultKind::Instance(Effect::LbWeight { weight: 4.0 }),
        )];
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        assert_eq!(w.max_weight, 4.0);
        w.now = SimTime::from_secs(100);
        w.on_fault_window(0, false);
        assert_eq!(w.max_weight, 1.0);
    }
}
