//! The request path: arrival, routing, service, completion, failure and timeouts.

use super::*;

impl World<'_> {
    pub(super) fn on_arrival(&mut self) {
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

    pub(super) fn start_service(&mut self, id: InstanceId, slot: u32, arrival: SimTime) {
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

    pub(super) fn on_completion(&mut self, id: InstanceId, slot: u32, epoch: u32) {
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
    pub(super) fn next_from_queue(&mut self, id: InstanceId, slot: u32) {
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
    pub(super) fn record_bad(
        &mut self,
        at: SimTime,
        v: Version,
        class: BadClass,
        cause: Option<FaultId>,
    ) {
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
    pub(super) fn fail_all(&mut self, id: InstanceId, cause: Option<FaultId>) {
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
    pub(super) fn sweep_timeouts(&mut self) {
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
}
