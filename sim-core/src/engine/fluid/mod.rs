//! The fluid engine: the same world as the per-request engine (controllers, pod
//! lifecycle, health checks, scrapes, gates, pager, metrics pipeline, faults,
//! outputs), with requests advanced as counts in fixed steps instead of one by one.
//!
//! Every `step` (`run.fluid_step_seconds`) the step's arrivals are a Poisson count of
//! the rate integrated over it, drawn from the arrivals stream. The load balancer's
//! members are grouped into cohorts, pods of one version, state, set of faults and
//! queue that behave alike, and the count is split over the cohorts by the balancer's
//! shares (`shares`). Each cohort is a multi-server queue (`queue`): a fluid backlog
//! carried from step to step, plus the stationary wait of a queue at the step's load;
//! its requests' latency is that wait plus the service time, added to the latency
//! histograms as bucket masses (`shape`), and its errors, sheds, timeouts and slow
//! requests are counts drawn from their probabilities (`split`). A step's requests
//! are resolved in the step they arrive in: their outcome is decided by the queue
//! they join. docs/engines.md says what this approximates and how well.

mod queue;
mod shape;
mod split;

use std::collections::{BTreeMap, HashMap};

use super::*;
use crate::lb::Strategy;
use crate::world::Engine;
use queue::Routing;
use shape::{Masses, ServiceShape, Wait};

/// A pod's fluid state, by instance index.
#[derive(Clone, Copy, Debug, Default)]
struct Pod {
    /// The process the state belongs to: a new process starts with an empty queue.
    epoch: u32,
    /// Requests waiting (a fluid quantity).
    backlog: f64,
    /// The mean stationary wait now in effect, in seconds: it relaxes towards the law's
    /// at the step's load (`queue::relax`), as a real queue takes time to fill and drain.
    wait_s: f64,
    /// Requests served by the process and service time booked, with their fractions.
    served: f64,
    busy_nanos: f64,
}

/// What makes pods behave alike in a step. Pods with equal keys get equal shares and
/// equal queues, so they stay alike until an event sets them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    version: Version,
    serving: bool,
    /// The faults placed on the pod (with its version, what its parameters are).
    affected: u64,
    crash_cause: Option<FaultId>,
    backlog_cause: Option<FaultId>,
    backlog: u64,
    wait: u64,
    /// The balancer weight and the garbage-collection stretch, in 1/1024 steps.
    weight: u32,
    gc: u32,
}

struct Cohort {
    key: Key,
    members: Vec<InstanceId>,
    /// The members' balancer weights, summed.
    weight: f64,
    /// The members' mean garbage-collection stretch.
    gc: f64,
}

/// Everything a cohort's latency law depends on: the cache's key.
#[derive(Clone, Copy, Debug, PartialEq)]
struct LawKey {
    service: ServiceShape,
    wait: Wait,
}

pub(super) struct Fluid {
    step: SimDuration,
    last: SimTime,
    next: Option<SimTime>,
    pods: Vec<Pod>,
    cohorts: Vec<Cohort>,
    /// Cohort by key, for pods whose key is not the previous pod's.
    index: HashMap<Key, usize>,
    /// Latency laws of recent steps: a steady cohort's law is the same every step.
    laws: Vec<(LawKey, Masses)>,
    laws_next: usize,
    /// Client retries waiting, by when they are due, as counts by attempt (index 0 is
    /// the first retry).
    retries: BTreeMap<SimTime, Vec<u64>>,
    /// Requests in the system at the last step (Little's law), for the timeline.
    in_flight: f64,
    scratch: Vec<u64>,
    weights: Vec<f64>,
}

/// Latency laws kept: one per cohort of a steady fleet, a few more during a rollout.
const LAWS_KEPT: usize = 16;

/// Sub-steps of the midpoint rule that integrates the arrival rate over a step: a
/// diurnal profile is smooth at a second's scale, and spike windows and step
/// profiles change at whole seconds.
const RATE_POINTS: u32 = 8;

impl Fluid {
    pub(super) fn for_world(cfg: &WorldConfig) -> Option<Box<Fluid>> {
        let Engine::Fluid { step } = cfg.engine else {
            return None;
        };
        Some(Box::new(Fluid {
            step,
            last: SimTime::ZERO,
            next: Some((SimTime::ZERO + step).min(cfg.horizon)),
            pods: Vec::new(),
            cohorts: Vec::new(),
            index: HashMap::new(),
            laws: Vec::new(),
            laws_next: 0,
            retries: BTreeMap::new(),
            in_flight: 0.0,
            scratch: Vec::new(),
            weights: Vec::new(),
        }))
    }

    /// When the next step is due, if any is left before the horizon.
    pub(super) fn next_step(&self) -> Option<SimTime> {
        self.next
    }

    /// Requests queued or in service now, rounded (what a scrape reports).
    pub(super) fn in_flight(&self) -> u64 {
        self.in_flight.round() as u64
    }

    fn law(&mut self, key: LawKey, timeout_ns: f64, threshold_ns: f64) -> usize {
        if let Some(k) = self.laws.iter().position(|(k, _)| *k == key) {
            return k;
        }
        let m = shape::masses(&key.service, key.wait, timeout_ns, threshold_ns);
        if self.laws.len() < LAWS_KEPT {
            self.laws.push((key, m));
            self.laws.len() - 1
        } else {
            let k = self.laws_next;
            self.laws[k] = (key, m);
            self.laws_next = (k + 1) % LAWS_KEPT;
            k
        }
    }
}

/// The balancer's share of a cohort within its pool, before normalising: its members'
/// weights for the strategies that pick pods alike (random, round-robin, power of two),
/// and for least-outstanding also their capacity, its fluid limit (a least-loaded
/// balancer fills whichever pod has room first, so loads equalise per unit of
/// capacity). A cohort that refuses requests (crashed but still a member) counts as
/// `capacity_fallback` per pod.
fn share(strategy: Strategy, weight: f64, capacity: Option<f64>, capacity_fallback: f64) -> f64 {
    match strategy {
        Strategy::LeastOutstanding => weight * capacity.unwrap_or(capacity_fallback),
        Strategy::Random | Strategy::RoundRobin | Strategy::PowerOfTwo => weight,
    }
}

/// Quantises a positive factor to 1/1024 for a cohort key.
fn quantise(x: f64) -> u32 {
    (x * 1024.0).round().clamp(0.0, u32::MAX as f64) as u32
}

/// What a served cohort's step came to, for the bookkeeping after it.
struct Served {
    wait_end_s: f64,
    served: u64,
    errors: u64,
    mean_service_ns: f64,
    backlog_end: f64,
    latency_s: f64,
    lambda: f64,
}

impl World<'_> {
    /// One step: this step's arrivals (and the retries due) routed, served and counted.
    pub(super) fn on_fluid_step(&mut self) {
        let cfg = self.cfg;
        let f = self.fluid.as_mut().expect("fluid engine");
        let (from, to) = (f.last, self.now);
        f.last = to;
        f.next = (to < cfg.horizon).then(|| (to + f.step).min(cfg.horizon));
        let dt = to.since(from).as_secs_f64();
        if dt <= 0.0 {
            return;
        }
        let width = to.since(from).0 as f64 / f64::from(RATE_POINTS);
        let expected: f64 = (0..RATE_POINTS)
            .map(|j| {
                let t = SimTime(from.0 + ((f64::from(j) + 0.5) * width) as u64);
                self.arrivals.rate_at(t)
            })
            .sum::<f64>()
            * dt
            / f64::from(RATE_POINTS);
        let fresh = split::poisson(&mut self.rng.arrivals, expected);
        // Attempts: index 0 the first tries, k the k-th retries.
        let attempts = cfg.client.retries as usize + 1;
        let mut by_attempt = vec![0u64; attempts];
        by_attempt[0] = fresh;
        let f = self.fluid.as_mut().expect("fluid engine");
        while let Some(entry) = f.retries.first_entry() {
            if *entry.key() > to {
                break;
            }
            for (k, n) in entry.remove().into_iter().enumerate() {
                by_attempt[(k + 1).min(attempts - 1)] += n;
            }
        }
        let total: u64 = by_attempt.iter().sum();
        self.counts.arrived += total;
        self.counts.retries += total - fresh;
        // Retries arrive as counts: their rate is their count over the step.
        let expected = expected + (total - fresh) as f64;
        let failed = self.fluid_route(total, expected, dt);
        self.schedule_fluid_retries(failed, &by_attempt);
    }

    /// Splits `failed` errors of this step over the attempts that made it (in
    /// proportion to the step's arrivals by attempt) and queues the retries the
    /// clients still make, `backoff × 2^attempt` later.
    fn schedule_fluid_retries(&mut self, failed: u64, by_attempt: &[u64]) {
        let client = &self.cfg.client;
        if failed == 0 || client.retries == 0 {
            return;
        }
        let weights: Vec<f64> = by_attempt.iter().map(|&n| n as f64).collect();
        let mut parts = Vec::new();
        split::multinomial(&mut self.rng.requests, failed, &weights, &mut parts);
        let f = self.fluid.as_mut().expect("fluid engine");
        for (attempt, &n) in parts.iter().enumerate() {
            if n == 0 || attempt as u32 >= client.retries {
                continue;
            }
            let backoff = client.backoff.saturating_mul(1 << attempt.min(16));
            let due = self.now + backoff;
            let slot = f
                .retries
                .entry(due)
                .or_insert_with(|| vec![0; client.retries as usize]);
            slot[attempt] += n;
        }
    }

    /// Groups the balancer's members into cohorts (`Fluid::cohorts`).
    fn fluid_cohorts(&mut self) {
        let now = self.now;
        let slow_start = self.index.slow_start;
        let weighted = self.index.weighted;
        let f = self.fluid.as_mut().expect("fluid engine");
        for c in &mut f.cohorts {
            c.members.clear();
        }
        let mut used = 0usize;
        f.index.clear();
        let mut last: Option<(Key, usize)> = None;
        for &id in self.lb.members() {
            let inst = &self.instances[id.index()];
            if f.pods.len() <= id.index() {
                f.pods.resize(id.index() + 1, Pod::default());
            }
            let pod = &mut f.pods[id.index()];
            if pod.epoch != inst.epoch {
                *pod = Pod {
                    epoch: inst.epoch,
                    ..Pod::default()
                };
            }
            let weight = if weighted {
                requests::weight_of(inst, now, slow_start)
            } else {
                1.0
            };
            let model = &self.cfg.versions[inst.version.index()];
            let gc = if inst.params.gc_multiplier > 1.0 {
                inst.params.gc_stretch(
                    inst.memory_mb(model.memory.base_mb, now),
                    model.memory.limit_mb,
                )
            } else {
                1.0
            };
            let key = Key {
                version: inst.version,
                serving: inst.serving(),
                affected: inst.affected,
                crash_cause: inst.crash_cause,
                backlog_cause: inst.backlog_cause,
                backlog: pod.backlog.to_bits(),
                wait: pod.wait_s.to_bits(),
                weight: quantise(weight),
                gc: quantise(gc),
            };
            let k = match last {
                Some((k, at)) if k == key => at,
                _ => *f.index.entry(key).or_insert_with(|| {
                    if used == f.cohorts.len() {
                        f.cohorts.push(Cohort {
                            key,
                            members: Vec::new(),
                            weight: 0.0,
                            gc: 0.0,
                        });
                    }
                    let c = &mut f.cohorts[used];
                    c.key = key;
                    c.weight = 0.0;
                    c.gc = 0.0;
                    used += 1;
                    used - 1
                }),
            };
            last = Some((key, k));
            let c = &mut f.cohorts[k];
            c.members.push(id);
            c.weight += weight;
            c.gc += gc;
        }
        f.cohorts.truncate(used);
        for c in &mut f.cohorts {
            c.gc /= c.members.len() as f64;
        }
    }

    /// The service law of a cohort's pods.
    fn fluid_service(&self, c: &Cohort) -> ServiceShape {
        let p = &self.instances[c.members[0].index()].params;
        ServiceShape {
            dist: self.cfg.versions[c.key.version.index()].service,
            scale: p.service_multiplier * c.gc,
            shift_ns: p.shift.0 as f64,
            shift_share: p.shift_share,
        }
    }

    /// Routes `total` requests (expected `expected`) over the balancer's cohorts and
    /// serves them; returns how many failed with an error (what clients retry).
    fn fluid_route(&mut self, total: u64, expected: f64, dt: f64) -> u64 {
        self.fluid_cohorts();
        let cfg = self.cfg;
        let strategy = cfg.lb.strategy;
        let mut f = self.fluid.take().expect("fluid engine");
        f.in_flight = 0.0;
        if f.cohorts.is_empty() {
            // No backend: the balancer answers 503, the doing of a fault holding pods
            // down if one does.
            self.fluid = Some(f);
            let cause = self.capacity_fault;
            self.record_bad_n(self.now, Version::Baseline, BadClass::Error, cause, total);
            return total;
        }
        // Pools: every member, or one per version under a traffic router's weight.
        let split = self.lb.split();
        let pool_of = move |v: Version| match split {
            TrafficSplit::Pods => 0,
            TrafficSplit::CandidateWeight(_) => v.index(),
        };
        let services: Vec<ServiceShape> = f.cohorts.iter().map(|c| self.fluid_service(c)).collect();
        let workers = f64::from(cfg.fleet.concurrency);
        let capacity: Vec<Option<f64>> = f
            .cohorts
            .iter()
            .zip(&services)
            .map(|(c, s)| c.key.serving.then(|| workers * 1e9 / s.mean_ns()))
            .collect();
        let mut pool_weight = [0.0f64; 2];
        let mut pool_pods = [0usize; 2];
        let mut pool_capacity = [0.0f64; 2];
        let mut pool_servers = [0u64; 2];
        for (k, c) in f.cohorts.iter().enumerate() {
            let p = pool_of(c.key.version);
            pool_pods[p] += c.members.len();
            if let Some(cap) = capacity[k] {
                pool_capacity[p] += cap * c.members.len() as f64;
                pool_servers[p] += u64::from(cfg.fleet.concurrency) * c.members.len() as u64;
            }
        }
        let fallback = |p: usize| {
            if pool_pods[p] > 0 && pool_capacity[p] > 0.0 {
                pool_capacity[p] / pool_servers[p] as f64 * workers
            } else {
                1.0
            }
        };
        f.weights.clear();
        for (k, c) in f.cohorts.iter().enumerate() {
            let p = pool_of(c.key.version);
            let per_pod = capacity[k];
            let w = share(strategy, c.weight, per_pod, fallback(p));
            f.weights.push(w);
            pool_weight[p] += w;
        }
        // The pools' shares of the traffic.
        let pool_share = match split {
            TrafficSplit::Pods => [1.0, 0.0],
            TrafficSplit::CandidateWeight(w) => {
                let (base, cand) = (pool_pods[0] > 0, pool_pods[1] > 0);
                match (base, cand) {
                    (true, true) => [1.0 - w, w],
                    (true, false) => [1.0, 0.0],
                    _ => [0.0, 1.0],
                }
            }
        };
        for (k, c) in f.cohorts.iter().enumerate() {
            let p = pool_of(c.key.version);
            f.weights[k] = if pool_weight[p] > 0.0 {
                pool_share[p] * f.weights[k] / pool_weight[p]
            } else {
                0.0
            };
        }
        let mut counts = std::mem::take(&mut f.scratch);
        split::multinomial(&mut self.rng.routing, total, &f.weights, &mut counts);
        let rate = expected / dt;
        let mut failed = 0;
        let mut ooms = Vec::new();
        for k in 0..f.cohorts.len() {
            let c = &f.cohorts[k];
            let n = c.members.len() as f64;
            let lambda = rate * f.weights[k] / n;
            let v = c.key.version;
            if !c.key.serving {
                // Dead but not yet taken out by health checks: connection refused.
                failed += counts[k];
                self.record_bad_n(self.now, v, BadClass::Error, c.key.crash_cause, counts[k]);
                continue;
            }
            let p = pool_of(v);
            let routing = match strategy {
                Strategy::Random => Routing::Independent { ca2: 1.0 },
                Strategy::RoundRobin => Routing::Independent {
                    ca2: 1.0 / pool_pods[p].max(1) as f64,
                },
                Strategy::PowerOfTwo => Routing::PowerOfTwo,
                Strategy::LeastOutstanding => Routing::Pooled {
                    servers: pool_servers[p],
                    lambda: rate * pool_share[p],
                    mu: pool_capacity[p] / pool_servers[p].max(1) as f64,
                },
            };
            let out = self.fluid_serve(&mut f, k, &services[k], counts[k], lambda, dt, routing);
            failed += out.errors;
            f.in_flight += n * out.lambda * out.latency_s;
            let c = &f.cohorts[k];
            let per_pod = out.served as f64 / n;
            let backlog_cause = if out.backlog_end > 0.0 {
                self.capacity_fault
                    .or(self.load_fault)
                    .or(c.key.backlog_cause)
            } else {
                None
            };
            let leaks = self.instances[c.members[0].index()]
                .params
                .leak_kb_per_request
                > 0.0;
            for &id in &c.members {
                let pod = &mut f.pods[id.index()];
                pod.backlog = out.backlog_end;
                pod.wait_s = out.wait_end_s;
                pod.served += per_pod;
                pod.busy_nanos += per_pod * out.mean_service_ns;
                let inst = &mut self.instances[id.index()];
                inst.served = pod.served as u64;
                inst.busy_nanos = pod.busy_nanos as u64;
                inst.backlog_cause = backlog_cause;
                if leaks {
                    let model = &cfg.versions[inst.version.index()].memory;
                    if inst.memory_mb(model.base_mb, self.now) >= model.limit_mb {
                        ooms.push((id, inst.params.leak_fault));
                    }
                }
            }
        }
        f.scratch = counts;
        self.fluid = Some(f);
        // A per-request leak can push processes over their limit.
        for (id, cause) in ooms {
            self.crash(id, cause, CrashKind::OutOfMemory, Restart::Backoff);
        }
        failed
    }

    /// Serves cohort `k`'s `count` requests, offered `lambda` per pod per second.
    #[allow(clippy::too_many_arguments)]
    fn fluid_serve(
        &mut self,
        f: &mut Fluid,
        k: usize,
        service: &ServiceShape,
        count: u64,
        lambda: f64,
        dt: f64,
        routing: Routing,
    ) -> Served {
        let cfg = self.cfg;
        let c = &f.cohorts[k];
        let (v, first, gc) = (c.key.version, c.members[0], c.gc);
        let params = self.instances[first.index()].params;
        let start = f.pods[first.index()].backlog;
        let mean_ns = service.mean_ns();
        let workers = cfg.fleet.concurrency;
        let mu = 1e9 / mean_ns;
        let capacity = f64::from(workers) * mu;
        let timeout = cfg.fleet.request_timeout;
        let backlog = queue::advance(
            start,
            lambda * dt,
            capacity * dt,
            f64::from(cfg.fleet.queue_limit),
            capacity * timeout.as_secs_f64(),
        );
        // The stationary wait at the step's load, relaxed from the one in effect, and
        // the backlog's on top of it: the total's mean is the larger of the two, so
        // the law is continuous as a backlog starts (a queue at capacity already waits
        // long) and becomes the backlog's alone once that is the longer.
        let (p_stat, rate) = queue::stationary_wait(routing, workers, lambda, mu, service.scv());
        let target_s = if rate > 0.0 { p_stat / rate } else { 0.0 };
        let tau = queue::relaxation_s(routing, workers, lambda, mu);
        let (wait_mean_s, wait_end_s) =
            queue::relax(f.pods[first.index()].wait_s, target_s, tau, dt);
        let delay_s = backlog.mean / capacity;
        let extra_s = wait_mean_s - delay_s;
        // The part of the mean left to the stationary law: below its own mean, fewer
        // requests wait, as long as they would at the step's load (the law's tail kept);
        // above (a queue still draining from a higher load), they wait longer.
        let (p_wait, rate_per_s) = if extra_s <= 0.0 || p_stat <= 0.0 {
            (0.0, 0.0)
        } else if extra_s <= target_s {
            (p_stat * extra_s / target_s, rate)
        } else {
            (p_stat, p_stat / extra_s)
        };
        let wait = Wait {
            delay_ns: delay_s * 1e9,
            p_wait,
            rate_per_ns: rate_per_s / 1e9,
        };
        let law = f.law(
            LawKey {
                service: *service,
                wait,
            },
            timeout.0 as f64,
            cfg.slo.latency_threshold.0 as f64,
        );
        let m = &f.laws[law].1;
        // Refused at the queue, then timed out, then served: errors, slow.
        let rng = &mut self.rng.requests;
        let shed = split::binomial(rng, count, backlog.shed);
        let expired = split::binomial(rng, count - shed, backlog.expired);
        let admitted = count - shed - expired;
        let timed_out = split::binomial(rng, admitted, 1.0 - m.served);
        let served = admitted - timed_out;
        let mut left = served;
        let mut errors = [0u64; crate::version::MAX_ERROR_SEGMENTS];
        let mut below = 0.0;
        for (s, n) in errors
            .iter_mut()
            .enumerate()
            .take(params.error_segments as usize)
        {
            let upper = params.error_upper[s];
            let p = (upper - below) / (1.0 - below);
            *n = split::binomial(rng, left, p);
            left -= *n;
            below = upper;
        }
        let succeeded = left;
        let slow = if m.served > 0.0 {
            split::binomial(rng, succeeded, (m.served - m.fast) / m.served)
        } else {
            0
        };
        let acc = &mut self.acc[v.index()];
        split::spread(served, &m.cdf, m.served, |b, n| {
            acc.latency.record_bucket_n(m.first + b, n)
        });
        let latency_s = m.mean_us / 1e6;
        self.counts.succeeded += succeeded;
        acc.requests += succeeded;
        // Causes, as the per-request engine gives them.
        let inst = &self.instances[first.index()];
        let backlog_cause = inst.backlog_cause;
        let slow_fault = params.slow_fault();
        let shed_cause = slow_fault
            .or(backlog_cause)
            .or(self.capacity_fault)
            .or(self.load_fault);
        let slow_cause = self.fluid_slow_cause(v, &params, gc).or(backlog_cause);
        self.counts.shed += shed;
        let now = self.now;
        self.record_bad_n(now, v, BadClass::Error, shed_cause, shed);
        self.record_bad_n(
            now,
            v,
            BadClass::Timeout,
            slow_fault.or(backlog_cause),
            expired,
        );
        self.record_bad_n(now, v, BadClass::Timeout, slow_cause, timed_out);
        let mut error_total = shed;
        let mut dependency_errors = 0;
        for (s, &n) in errors
            .iter()
            .enumerate()
            .take(params.error_segments as usize)
        {
            let cause = params.error_cause[s];
            self.record_bad_n(now, v, BadClass::Error, cause, n);
            error_total += n;
            if cause.is_some_and(|f| params.dependency_faults & (1 << f.index()) != 0) {
                dependency_errors += n;
            }
        }
        self.record_bad_n(now, v, BadClass::Slow, slow_cause, slow);
        if params.dependency_share > 0.0
            && self.t_change_start.is_some()
            && self.t_change_end.is_none()
        {
            let r = &mut self.rollout.rec;
            r.dependency_calls += params.dependency_share * served as f64;
            r.dependency_errors += dependency_errors;
        }
        if let Some(kpi) = &cfg.kpi {
            self.fluid_kpi(v, &params, kpi.conversion_probability, succeeded);
        }
        Served {
            wait_end_s,
            served,
            errors: error_total,
            mean_service_ns: mean_ns,
            backlog_end: backlog.end,
            latency_s,
            lambda,
        }
    }

    /// The fault a cohort's slow requests are blamed on: the one adding the most
    /// service time, as the per-request engine picks per request (a latency
    /// multiplier, then garbage-collection pressure if it adds more, then a slow
    /// dependency's shift if that is longer still).
    fn fluid_slow_cause(&self, v: Version, p: &InstanceParams, gc: f64) -> Option<FaultId> {
        let model = &self.cfg.versions[v.index()];
        let base = model.service.mean().0 as f64;
        let mut extra = base * (p.service_multiplier - model.service_multiplier).max(0.0);
        let mut cause = p.latency_fault;
        if gc > 1.0 {
            let more = base * p.service_multiplier * (gc - 1.0);
            if more > extra {
                cause = p.leak_fault;
            }
            extra += more;
        }
        if p.shift_share > 0.0 && p.shift.0 as f64 > extra {
            cause = p.shift_fault;
        }
        cause
    }

    /// Conversions of `succeeded` requests: each converts with the KPI's probability,
    /// unless the cohort's KPI bug loses it.
    fn fluid_kpi(&mut self, v: Version, p: &InstanceParams, conversion: f64, succeeded: u64) {
        let rng = &mut self.rng.requests;
        let converted = split::binomial(rng, succeeded, conversion * p.kpi_keep);
        let rest = succeeded - converted;
        let lose = conversion * (1.0 - p.kpi_keep);
        let lost = if lose > 0.0 {
            split::binomial(rng, rest, lose / (1.0 - conversion * p.kpi_keep))
        } else {
            0
        };
        let acc = &mut self.acc[v.index()];
        acc.kpi_requests += succeeded;
        acc.conversions += converted;
        self.counts.kpi_requests += succeeded;
        self.counts.conversions += converted;
        if lost > 0 {
            self.counts.kpi_lost += lost;
            if let Some(f) = p.kpi_fault {
                self.faults[f.index()].kpi_lost += lost;
                self.impact(self.now, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_weight_and_for_least_outstanding_capacity() {
        // Random, round-robin and power of two: by weight alone, refusing or not.
        for s in [Strategy::Random, Strategy::RoundRobin, Strategy::PowerOfTwo] {
            assert_eq!(share(s, 3.0, Some(100.0), 50.0), 3.0);
            assert_eq!(share(s, 3.0, None, 50.0), 3.0);
        }
        // Least-outstanding: a pod twice as fast takes twice the share.
        let lo = Strategy::LeastOutstanding;
        assert_eq!(
            share(lo, 1.0, Some(100.0), 50.0) / share(lo, 1.0, Some(50.0), 50.0),
            2.0
        );
        // A refusing cohort counts at the pool's mean capacity.
        assert_eq!(share(lo, 2.0, None, 50.0), 100.0);
        assert_eq!(share(lo, 0.0, Some(100.0), 50.0), 0.0);
    }

    #[test]
    fn quantised_keys_tell_apart_a_thousandth() {
        assert_eq!(quantise(1.0), 1024);
        assert_ne!(quantise(1.0), quantise(1.001));
        assert_eq!(quantise(1.0), quantise(1.0 + 1e-4));
        assert_eq!(quantise(-1.0), 0);
    }
}
