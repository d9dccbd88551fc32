//! The request path: arrival, routing, service, completion, failure, timeouts, client
//! retries, and attribution of every bad event.
//!
//! The functions every request runs through are `#[inline(always)]`: left to itself the
//! compiler kept them as calls, and the calls (register saves, arguments through
//! memory) cost 9% of all instructions and about 15% of the time of a run
//! (`BENCHMARKS.md`).

use super::*;

impl World<'_> {
    #[inline(always)]
    pub(super) fn on_arrival(&mut self) {
        self.next_arrival =
            self.arrivals
                .next_after(self.now, self.cfg.horizon, &mut self.rng.arrivals);
        self.admit_new(Request::anonymous(self.now));
    }

    /// A request reaches the load balancer, which picks its instance.
    #[inline(always)]
    pub(super) fn admit_new(&mut self, req: Request) {
        self.counts.arrived += 1;
        match self.pick_instance() {
            Some(id) => self.admit_to(id, req),
            None => {
                // No backend at all: the load balancer answers 503. If pods are down
                // because of a fault, the 503 is that fault's doing.
                let cause = self.capacity_fault;
                self.fail_request(req, Version::Baseline, cause);
            }
        }
    }

    /// The load balancer's choice for a request without affinity.
    #[inline]
    pub(super) fn pick_instance(&mut self) -> Option<InstanceId> {
        if let Some(p) = &self.index.pinning
            && unit(&mut self.rng.routing) < p.share
        {
            return self.pinned_connection();
        }
        self.balance()
    }

    /// The balancing strategy alone, weights applied when they differ.
    #[inline]
    pub(super) fn balance(&mut self) -> Option<InstanceId> {
        let instances = &self.instances;
        if !self.index.weighted {
            return self.lb.route(&mut self.rng.routing, |id| {
                instances[id.index()].outstanding()
            });
        }
        let (now, slow_start) = (self.now, self.index.slow_start);
        self.lb.route_weighted(
            &mut self.rng.routing,
            |id| instances[id.index()].outstanding(),
            |id| weight_of(&instances[id.index()], now, slow_start),
            self.max_weight,
        )
    }

    /// Pod `id`'s queued plus in-service count changed: least-outstanding routing keeps
    /// its index of them current (called after every change of its queue's length or
    /// of its free workers, before anything can route again).
    #[inline(always)]
    pub(super) fn load_changed(&mut self, id: InstanceId) {
        if self.lb.indexes_load() {
            let n = self.instances[id.index()].outstanding();
            self.lb.set_load(id, n);
        }
    }

    /// A request arrives at a chosen instance.
    #[inline(always)]
    pub(super) fn admit_to(&mut self, id: InstanceId, req: Request) {
        let limit = self.cfg.fleet.queue_limit as usize;
        let inst = &mut self.instances[id.index()];
        if !inst.serving() {
            // Dead but not yet taken out by health checks: connection refused.
            let (v, cause) = (inst.version, inst.crash_cause);
            self.fail_request(req, v, cause);
            return;
        }
        match inst.free_slots.pop() {
            Some(slot) => {
                self.load_changed(id);
                self.start_service(id, slot, req)
            }
            None => {
                // The fault live now takes over the backlog; with none live, the one
                // that built it keeps it until it drains.
                if let Some(cause) = self.capacity_fault.or(self.load_fault) {
                    inst.backlog_cause = Some(cause);
                }
                if inst.queue.len() < limit {
                    inst.queue.push_back(req);
                    self.load_changed(id);
                } else {
                    self.shed(id, req);
                }
            }
        }
    }

    /// A request that finds its instance's queue full is refused at once, as a server
    /// shedding load answers 503: an error, retried by the client like any other, so
    /// memory stays flat however far the load exceeds capacity. The overload is blamed
    /// as a timeout in that queue would be: on the fault that slows the instance or
    /// built its backlog, else on one holding capacity down or adding load.
    #[cold]
    #[inline(never)]
    fn shed(&mut self, id: InstanceId, req: Request) {
        let inst = &self.instances[id.index()];
        let v = inst.version;
        let cause = inst
            .params
            .slow_fault()
            .or(inst.backlog_cause)
            .or(self.capacity_fault)
            .or(self.load_fault);
        self.counts.shed += 1;
        self.fail_request(req, v, cause);
    }

    #[inline(always)]
    pub(super) fn start_service(&mut self, id: InstanceId, slot: u32, req: Request) {
        // Borrow the instance's parameters in place: they are read on every request and
        // too large to copy.
        let inst = &self.instances[id.index()];
        let v = inst.version;
        let p = &inst.params;
        let model = &self.cfg.versions[v.index()];
        let sample = model.service.sample_nanos(&mut self.rng.service);
        let mut actual = sample * p.service_multiplier;
        let mut slow_cause = p.latency_fault;
        if p.gc_multiplier > 1.0 || p.shift_share > 0.0 {
            let mut extra = (actual - sample * model.service_multiplier).max(0.0);
            if p.gc_multiplier > 1.0 {
                let memory = inst.memory_mb(model.memory.base_mb, self.now);
                let gc = actual * (p.gc_stretch(memory, model.memory.limit_mb) - 1.0);
                if gc > extra {
                    slow_cause = p.leak_fault;
                }
                actual += gc;
                extra += gc;
            }
            if p.shift_share > 0.0 && unit(&mut self.rng.requests) < p.shift_share {
                let shift = p.shift.0 as f64;
                if shift > extra {
                    slow_cause = p.shift_fault;
                }
                actual += shift;
            }
        }
        let mut fails = if p.error_segments > 0 {
            p.error_for(unit(&mut self.rng.requests))
        } else {
            None
        };
        if p.dependency_share > 0.0 && self.t_change_start.is_some() && self.t_change_end.is_none()
        {
            let r = &mut self.rollout.rec;
            r.dependency_calls += p.dependency_share;
            if let Some(Some(cause)) = fails {
                r.dependency_errors += u64::from(p.dependency_faults & (1 << cause.index()) != 0);
            }
        }
        let mut corrupt = None;
        if self.data.is_some() && fails.is_none() {
            (fails, corrupt) = self.db_access(v);
        }
        let inst = &mut self.instances[id.index()];
        inst.slots[slot as usize] = Some(InFlight {
            req,
            slow_cause,
            fails,
            corrupt,
            resolved: false,
        });
        let service = round_nanos(actual);
        inst.busy_nanos += service;
        let done = self.now + SimDuration(service);
        self.queue.push(
            done,
            Event::Completion {
                inst: id,
                slot,
                epoch: inst.epoch,
            },
        );
    }

    #[inline(always)]
    pub(super) fn on_completion(&mut self, id: InstanceId, slot: u32, epoch: u32) {
        let inst = &mut self.instances[id.index()];
        if inst.epoch != epoch {
            return;
        }
        let f = inst.slots[slot as usize]
            .take()
            .expect("completion for an empty worker");
        let v = inst.version;
        let slow_cause = f.slow_cause.or(inst.backlog_cause);
        inst.served += 1;
        let timeout = self.cfg.fleet.request_timeout;
        let latency = self.now - f.req.arrival;
        // A slow or timed-out request on an instance a fault slows down is that fault's:
        // the fault stretches the queue ahead of the request as well as its own service,
        // so subtracting only its own extra time would under-attribute.
        if !f.resolved {
            if latency > timeout {
                self.record_bad(f.req.arrival + timeout, v, BadClass::Timeout, slow_cause);
                self.request_done(f.req);
            } else {
                self.acc[v.index()].latency.record(latency.as_micros());
                match f.fails {
                    Some(cause) => self.fail_request(f.req, v, cause),
                    None => {
                        self.counts.succeeded += 1;
                        self.acc[v.index()].requests += 1;
                        let threshold = self.cfg.slo.latency_threshold;
                        if latency > threshold {
                            self.record_bad(self.now, v, BadClass::Slow, slow_cause);
                        }
                        if self.cfg.kpi.is_some() || f.corrupt.is_some() {
                            self.business_outcome(id, v, f.corrupt);
                        }
                        self.request_done(f.req);
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
                self.load_changed(id);
                self.crash(id, cause, CrashKind::OutOfMemory, Restart::Backoff);
                return;
            }
        }
        self.next_from_queue(id, slot);
    }

    /// Conversions for the business KPI: a success converts with the scenario's
    /// probability, unless a KPI bug on the instance loses it or the answer was
    /// silently corrupted.
    fn business_outcome(&mut self, id: InstanceId, v: Version, corrupt: Option<FaultId>) {
        if let Some(cause) = corrupt {
            self.record_kpi_loss(self.now, Some(cause));
        }
        let Some(kpi) = &self.cfg.kpi else {
            return;
        };
        let p = kpi.conversion_probability;
        let (keep, kpi_fault) = {
            let params = &self.instances[id.index()].params;
            (params.kpi_keep, params.kpi_fault)
        };
        self.acc[v.index()].kpi_requests += 1;
        self.counts.kpi_requests += 1;
        let u = unit(&mut self.rng.requests);
        if u >= p || corrupt.is_some() {
            return;
        }
        if u < p * keep {
            self.acc[v.index()].conversions += 1;
            self.counts.conversions += 1;
        } else {
            self.record_kpi_loss(self.now, kpi_fault);
        }
    }

    /// Gives a freed worker the oldest queued request whose client still waits.
    #[inline(always)]
    pub(super) fn next_from_queue(&mut self, id: InstanceId, slot: u32) {
        let timeout = self.cfg.fleet.request_timeout;
        loop {
            let inst = &mut self.instances[id.index()];
            let Some(req) = inst.queue.pop_front() else {
                inst.backlog_cause = None;
                inst.free_slots.push(slot);
                let done = inst.state == PodState::Terminating && inst.drained();
                self.load_changed(id);
                if done {
                    self.terminate(id);
                }
                return;
            };
            self.load_changed(id);
            let inst = &self.instances[id.index()];
            if self.now.since(req.arrival) > timeout {
                let (v, cause) = (
                    inst.version,
                    inst.params.slow_fault().or(inst.backlog_cause),
                );
                self.record_bad(req.arrival + timeout, v, BadClass::Timeout, cause);
                self.request_done(req);
                continue;
            }
            self.start_service(id, slot, req);
            return;
        }
    }

    /// An error response (or a refused connection): counted, then retried by the
    /// client if it still may, else the request is done.
    pub(super) fn fail_request(&mut self, req: Request, v: Version, cause: Option<FaultId>) {
        self.record_bad(self.now, v, BadClass::Error, cause);
        let client = &self.cfg.client;
        if (req.attempt as u32) < client.retries {
            let backoff = client.backoff.saturating_mul(1 << req.attempt.min(16));
            self.queue.push(
                self.now + backoff,
                Event::Retry {
                    session: req.session,
                    attempt: req.attempt + 1,
                },
            );
        } else {
            self.request_done(req);
        }
    }

    /// The request is over for its client: a session moves on to its next request.
    #[inline]
    pub(super) fn request_done(&mut self, req: Request) {
        if req.session != NO_SESSION {
            self.session_request_done(req.session);
        }
    }

    /// Counts a bad event at `at` (which may precede `now` for timeouts found late).
    /// A slow or timed-out request with no direct cause is attributed to a fault that
    /// holds capacity down, or else to a live load-shaping fault.
    #[inline]
    pub(super) fn record_bad(
        &mut self,
        at: SimTime,
        v: Version,
        class: BadClass,
        cause: Option<FaultId>,
    ) {
        self.record_bad_n(at, v, class, cause, 1);
    }

    /// `record_bad` for `n` events at once (the fluid engine counts a step's at once).
    pub(super) fn record_bad_n(
        &mut self,
        at: SimTime,
        v: Version,
        class: BadClass,
        cause: Option<FaultId>,
        n: u64,
    ) {
        if n == 0 {
            return;
        }
        let cause = match class {
            BadClass::Slow | BadClass::Timeout => cause.or(self.capacity_fault).or(self.load_fault),
            BadClass::Error | BadClass::SessionLost => cause,
        };
        let acc = &mut self.acc[v.index()];
        match class {
            BadClass::Error => {
                acc.errors += n;
                acc.requests += n;
                self.counts.errors += n;
            }
            BadClass::Timeout => {
                acc.timeouts += n;
                acc.requests += n;
                self.counts.timeouts += n;
            }
            BadClass::Slow => {
                acc.slow += n;
                self.counts.slow += n;
            }
            BadClass::SessionLost => {
                acc.sessions_lost += n;
                self.counts.sessions_lost += n;
            }
        }
        match cause {
            Some(f) => {
                self.faults[f.index()].bad[class.index()] += n;
                self.impact(at, f);
            }
            None => self.counts.bad_unattributed += n,
        }
    }

    /// A business-KPI loss: invisible to the SLO, but an impact of its fault.
    fn record_kpi_loss(&mut self, at: SimTime, cause: Option<FaultId>) {
        self.counts.kpi_lost += 1;
        if let Some(f) = cause {
            self.faults[f.index()].kpi_lost += 1;
            self.impact(at, f);
        }
    }

    pub(super) fn impact(&mut self, at: SimTime, f: FaultId) {
        let rec = &mut self.faults[f.index()];
        // A fault that does harm is live, whatever else recorded.
        rec.t_active = Some(rec.t_active.map_or(at, |t| t.min(at)));
        rec.t_first_bad = Some(rec.t_first_bad.map_or(at, |t| t.min(at)));
        rec.t_last_bad = Some(rec.t_last_bad.map_or(at, |t| t.max(at)));
        if self.t_impact_start.is_none_or(|t| at < t) {
            self.t_impact_start = Some(at);
        }
    }

    /// Fails every request an instance holds (crash or drain cut); returns how many.
    pub(super) fn fail_all(&mut self, id: InstanceId, cause: Option<FaultId>) -> u64 {
        let inst = &mut self.instances[id.index()];
        let v = inst.version;
        let mut held: Vec<Request> = inst
            .clear_workers()
            .filter(|f| !f.resolved)
            .map(|f| f.req)
            .collect();
        held.extend(inst.queue.drain(..));
        self.load_changed(id);
        let n = held.len() as u64;
        for req in held {
            self.fail_request(req, v, cause);
        }
        n
    }

    /// Client-side timeouts of requests still queued or in service, so that each
    /// scrape counts them in the interval they happened in.
    pub(super) fn sweep_timeouts(&mut self) {
        let timeout = self.cfg.fleet.request_timeout;
        for k in 0..self.live.len() {
            let id = self.live[k];
            let inst = &mut self.instances[id.index()];
            let (v, cause) = (
                inst.version,
                inst.params.slow_fault().or(inst.backlog_cause),
            );
            let mut expired = Vec::new();
            while let Some(req) = inst.queue.front() {
                if self.now.since(req.arrival) <= timeout {
                    break;
                }
                expired.push(*req);
                inst.queue.pop_front();
            }
            if self.lb.indexes_load() {
                let n = inst.outstanding();
                self.lb.set_load(id, n);
            }
            for f in inst.slots.iter_mut().flatten() {
                if !f.resolved && self.now.since(f.req.arrival) > timeout {
                    f.resolved = true;
                    expired.push(f.req);
                }
            }
            for req in expired {
                self.record_bad(req.arrival + timeout, v, BadClass::Timeout, cause);
                self.request_done(req);
            }
        }
    }
}

/// The least share of its weight a slow-starting pod gets, however fresh: a pod just
/// ready still takes a trickle, so a pool of fresh pods (after a zone comes back, say)
/// can route at all. A power of two, so the multiply is exact.
const SLOW_START_MIN_SHARE: f64 = 1.0 / 64.0;

/// An instance's load-balancer weight now: its fault-given weight, ramped up after
/// readiness when slow start is on.
pub(super) fn weight_of(
    inst: &Instance,
    now: SimTime,
    slow_start: Option<(SimDuration, FaultId)>,
) -> f64 {
    let mut w = inst.params.lb_weight;
    if let (Some((ramp, _)), Some(ready)) = (slow_start, inst.ready_since)
        && ready > SimTime::ZERO
    {
        let age = now.since(ready).0 as f64;
        w *= (age / ramp.0 as f64).clamp(SLOW_START_MIN_SHARE, 1.0);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::ServiceDist;
    use crate::fault::Effect;
    use crate::testing;
    use crate::traffic::RateProfile;
    use crate::version::VersionModel;
    use crate::world::ClientConfig;

    /// One pod with one worker, no traffic of its own, service slower than the test:
    /// every request admitted by hand stays where it was put.
    fn one_pod(queue_limit: u32) -> WorldConfig {
        let model = VersionModel {
            service: ServiceDist::Constant {
                value: SimDuration::from_secs(1000),
            },
            ..testing::model()
        };
        let mut w = testing::world(1, 60);
        w.max_events = 1_000;
        w.fleet.replicas = 1;
        w.fleet.queue_limit = queue_limit;
        w.traffic = RateProfile::Constant { rate: 0.0 };
        w.versions = [model.clone(), model];
        w
    }

    fn admit(w: &mut World<'_>, n: usize) {
        for _ in 0..n {
            w.admit_new(Request::anonymous(w.now));
        }
    }

    #[test]
    fn a_full_queue_refuses_the_next_request_as_an_error() {
        let cfg = one_pod(3);
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        // One request on the worker, then the queue filled exactly to its limit: all
        // accepted.
        admit(&mut w, 1 + 3);
        assert_eq!(w.instances[0].queue.len(), 3);
        assert_eq!((w.counts.errors, w.counts.shed), (0, 0));
        // One more is shed: an error, counted once, and the queue does not grow.
        admit(&mut w, 1);
        assert_eq!(w.instances[0].queue.len(), 3);
        assert_eq!((w.counts.errors, w.counts.shed), (1, 1));
        assert_eq!(w.counts.bad_unattributed, 1, "no fault: shed unattributed");
        admit(&mut w, 10);
        assert_eq!(w.instances[0].queue.len(), 3);
        assert_eq!((w.counts.errors, w.counts.shed), (11, 11));
        let c = w.counts;
        let held = w.instances[0].outstanding() as u64;
        assert_eq!(c.arrived, c.succeeded + c.errors + c.timeouts + held);
    }

    #[test]
    fn a_shed_request_is_retried_like_any_error() {
        let mut cfg = one_pod(1);
        cfg.client = ClientConfig {
            retries: 2,
            backoff: SimDuration::from_secs(1),
        };
        let mut w = World::new(&cfg, SimDuration::ZERO);
        admit(&mut w, 2);
        let pending = w.queue.len();
        admit(&mut w, 1);
        assert_eq!(w.counts.shed, 1);
        assert_eq!(w.queue.len(), pending + 1, "one retry scheduled");
        let mut retries = 0;
        while let Some((_, e)) = w.queue.pop() {
            retries += matches!(e, Event::Retry { attempt: 1, .. }) as u32;
        }
        assert_eq!(retries, 1, "the client retries the refused request");
    }

    /// One request's service on a baseline pod carrying `faults` (each on every
    /// baseline pod), started at `at` seconds: its service time and the fault its
    /// slowness is blamed on. The version serves in exactly 10 ms; its memory goes
    /// from 100 MB towards a 1100 MB limit.
    fn served(faults: Vec<(&str, Effect)>, at: u64) -> (f64, Option<usize>) {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 1;
        cfg.versions[0].service = crate::dist::ServiceDist::Constant {
            value: SimDuration::from_millis(10),
        };
        cfg.versions[0].memory = crate::version::MemoryModel {
            base_mb: 100.0,
            leak_mb_per_s: 0.0,
            leak_kb_per_request: 0.0,
            limit_mb: 1100.0,
        };
        cfg.faults = faults
            .into_iter()
            .map(|(name, effect)| {
                super::super::tests::fault(
                    name,
                    crate::fault::Target::version(Version::Baseline),
                    crate::fault::Window::ALWAYS,
                    FaultKind::Instance(effect),
                )
            })
            .collect();
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        w.now = SimTime::from_secs(at);
        let id = InstanceId(0);
        let slot = w.instances[0].free_slots.pop().unwrap();
        let untouched = w.rng.requests.clone();
        let req = Request::anonymous(w.now);
        w.start_service(id, slot, req);
        let shifts = w.instances[0].params.shift_share > 0.0;
        assert_eq!(
            w.rng.requests == untouched,
            !shifts,
            "a draw only for a shift"
        );
        let done = std::iter::from_fn(|| w.queue.pop())
            .find_map(|(t, e)| {
                matches!(e, Event::Completion { inst, .. } if inst == id).then_some(t)
            })
            .unwrap();
        let ms = done.since(w.now).as_secs_f64() * 1e3;
        assert_eq!(w.instances[0].busy_nanos, done.since(w.now).0);
        let cause = w.instances[0].slots[slot as usize].unwrap().slow_cause;
        (ms, cause.map(|f| f.index()))
    }

    fn latency(multiplier: f64, shift_ms: u64, share: f64) -> Effect {
        Effect::Latency {
            multiplier,
            shift: SimDuration::from_millis(shift_ms),
            share,
        }
    }

    fn close(ms: f64, want: f64) -> bool {
        (ms - want).abs() < 1e-6
    }

    /// Service time stacks the latency multiplier, the garbage-collection stretch and a
    /// slow dependency's shift; the slowness is blamed on whichever adds the most.
    #[test]
    fn service_time_stacks_the_faults_and_blames_the_largest() {
        let (ms, cause) = served(vec![("x2", latency(2.0, 0, 0.0))], 0);
        assert!(close(ms, 20.0), "{ms}");
        assert_eq!(cause, Some(0));
        // A 50 ms shift on every request adds more than the multiplier's 10 ms.
        let (ms, cause) = served(
            vec![
                ("x2", latency(2.0, 0, 0.0)),
                ("shift", latency(1.0, 50, 1.0)),
            ],
            0,
        );
        assert!(close(ms, 70.0), "{ms}");
        assert_eq!(cause, Some(1));
        // A 5 ms one adds less.
        let (ms, cause) = served(
            vec![
                ("x2", latency(2.0, 0, 0.0)),
                ("shift", latency(1.0, 5, 1.0)),
            ],
            0,
        );
        assert!(close(ms, 25.0), "{ms}");
        assert_eq!(cause, Some(0));
        // A leak of 10 MB/s with garbage-collection pressure from half the limit (550
        // MB) up to 3x at the limit: at 80 s (900 MB) the stretch is 1 + 2 x 350 / 550,
        // adding 25.45 ms to 20 (more than the multiplier's 10); at 56 s (660 MB) it is
        // 1.4, adding 8 ms (less).
        let leak = Effect::MemoryLeak {
            mb_per_s: 10.0,
            kb_per_request: 0.0,
            gc_multiplier: 3.0,
            gc_threshold: 0.5,
        };
        let (ms, cause) = served(
            vec![("x2", latency(2.0, 0, 0.0)), ("leak", leak.clone())],
            80,
        );
        assert!(close(ms, 20.0 * (1.0 + 2.0 * 350.0 / 550.0)), "{ms}");
        assert_eq!(cause, Some(1));
        let (ms, cause) = served(vec![("x2", latency(2.0, 0, 0.0)), ("leak", leak)], 56);
        assert!(close(ms, 28.0), "{ms}");
        assert_eq!(cause, Some(0));
    }

    /// During the change, each request on a pod with a dependency fault counts its
    /// share of a dependency call; not before the change.
    #[test]
    fn dependency_calls_count_during_the_change_only() {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 1;
        cfg.faults = vec![super::super::tests::fault(
            "dep",
            crate::fault::Target::both(),
            crate::fault::Window::ALWAYS,
            FaultKind::Instance(Effect::Dependency {
                call_share: 0.25,
                error_probability: 0.0,
                latency: SimDuration::ZERO,
            }),
        )];
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        let req = Request::anonymous(w.now);
        let start = |w: &mut World<'_>| {
            let slot = w.instances[0].free_slots.pop().unwrap();
            w.start_service(InstanceId(0), slot, req);
            w.instances[0].free_slots.push(slot);
        };
        start(&mut w);
        assert_eq!(w.rollout.rec.dependency_calls, 0.0, "before the change");
        w.t_change_start = Some(SimTime::ZERO);
        start(&mut w);
        start(&mut w);
        assert_eq!(w.rollout.rec.dependency_calls, 0.5);
        w.t_change_end = Some(SimTime::ZERO);
        start(&mut w);
        assert_eq!(w.rollout.rec.dependency_calls, 0.5, "after the change");
    }
}
