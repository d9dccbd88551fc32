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
        let req = Request {
            arrival: w.now,
            session: NO_SESSION,
            attempt: 0,
        };
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
}
