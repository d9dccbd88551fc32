//! Observation: scrapes, the timeline, and the SLO pager.

use super::*;

impl World<'_> {
    pub(super) fn on_scrape(&mut self) {
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
                PodState::Pending => c.pending += 1,
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
        if let Some(f) = &self.fluid {
            in_flight += f.in_flight();
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
        let slo_bad_events = cohorts[0].bad() + cohorts[1].bad();
        let versions = cohorts.each_ref().map(|c| VersionCounts {
            requests: c.requests,
            errors: c.errors,
            timeouts: c.timeouts,
        });
        let ms = |q: f64, h: &Histogram| h.quantile(q).map(|us| us / 1000.0);
        let (p50, p95, p99) = (
            ms(0.5, &self.scratch_hist),
            ms(0.95, &self.scratch_hist),
            ms(0.99, &self.scratch_hist),
        );
        self.scratch_hist.clear();
        let scraped = self.deliver_scrape(&cohorts);
        self.store.push(self.now, cohorts);
        let eps = self.cfg.slo.error_budget();
        let truth = self.store.truth();
        let burn_5m = truth.burn_rate(SimDuration::from_secs(300), eps);
        let burn_1h = truth.burn_rate(SimDuration::from_secs(3600), eps);
        self.peak_burn_5m = self.peak_burn_5m.max(burn_5m.unwrap_or(0.0));
        self.peak_burn_1h = self.peak_burn_1h.max(burn_1h.unwrap_or(0.0));
        self.timeline.push(TimelineRow {
            at: self.now,
            desired: self.desired,
            pods,
            available,
            arrivals: self.counts.arrived - self.counts_at_scrape.arrived,
            requests,
            failed,
            latency_p50_ms: p50,
            latency_p95_ms: p95,
            latency_p99_ms: p99,
            burn_5m,
            burn_1h,
            in_flight,
            sessions_lost: self.counts.sessions_lost - self.counts_at_scrape.sessions_lost,
            scraped,
            versions,
            slo_bad_events,
        });
        self.counts_at_scrape = self.counts;
        self.evaluate_pager();
        self.queue.push(
            self.now + self.cfg.observability.scrape_interval,
            Event::Scrape,
        );
    }

    /// What detectors see now: the scrapes the pipeline delivered, after its lag.
    pub(super) fn detector_view(&self) -> crate::metrics::MetricsView<'_> {
        let store = self.observed.as_ref().unwrap_or(&self.store);
        store.view(self.now, self.metrics_lag())
    }

    /// The metrics lag now, extra delay faults included.
    fn metrics_lag(&self) -> SimDuration {
        let extra = self
            .index
            .delays
            .iter()
            .filter(|(f, _)| self.cfg.faults[*f].live_at(self.now))
            .map(|(_, d)| *d)
            .fold(SimDuration::ZERO, |a, d| a + d);
        self.cfg.observability.metrics_lag + extra
    }

    /// Hands a closed interval to the metrics pipeline. While a gap fault is live the
    /// scrape is lost and its counts wait, as a cumulative counter's do, for the next
    /// scrape that gets through. Returns whether this scrape got through.
    fn deliver_scrape(&mut self, cohorts: &[CohortSample; 2]) -> bool {
        let Some(observed) = &mut self.observed else {
            return true;
        };
        let now = self.now;
        let gap = self
            .index
            .gaps
            .iter()
            .any(|&f| self.cfg.faults[f].live_at(now));
        let mut pending = self.unscraped.take().unwrap_or_default();
        for (p, c) in pending.iter_mut().zip(cohorts) {
            p.merge(c);
        }
        if gap {
            self.unscraped = Some(pending);
            false
        } else {
            observed.push(now, pending);
            true
        }
    }

    pub(super) fn evaluate_pager(&mut self) {
        if self.pager_fired {
            return;
        }
        let cfg = self.cfg;
        let eps = cfg.slo.error_budget();
        let (rule, burn) = {
            let view = self.detector_view();
            match cfg.slo.pager.firing(&view, eps) {
                Some(rule) => (rule, view.burn_rate(rule.short, eps)),
                None => return,
            }
        };
        self.pager_fired = true;
        let reason = format!(
            "burn rate over {} and {} above {}",
            crate::slo::window_label(rule.long),
            crate::slo::window_label(rule.short),
            rule.factor
        );
        let mut rec = LogRecord::new(self.now, LogKind::Pager, "slo_pager", reason.clone());
        rec.threshold = Some(rule.factor);
        rec.value = burn;
        self.log.push(rec);
        self.apply(Command::Detected {
            detector: "slo_pager".to_string(),
            reason,
        });
        self.queue
            .push(self.now + cfg.slo.pager.ack, Event::PagerAck);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Idle, fault};
    use super::*;
    use crate::fault::{FaultDef, FaultKind, Target, Window};
    use crate::testing;

    fn window(start_s: u64, end_s: u64) -> Window {
        Window {
            start: SimTime::from_secs(start_s),
            end: SimTime::from_secs(end_s),
            period: None,
        }
    }

    fn world_fault(name: &str, window: Window, kind: WorldFault) -> FaultDef {
        fault(name, Target::both(), window, FaultKind::World(kind))
    }

    /// A scrape's row counts the pods by state, the available ones, and the two
    /// versions' requests, failures and bad events together; the ready pods (a
    /// terminating one is not) go with the version's sample; arrivals are the
    /// interval's.
    #[test]
    fn a_scrape_counts_pods_by_state_and_sums_both_versions() {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 5;
        // The draining pod's request does not time out by the scrapes.
        cfg.fleet.request_timeout = SimDuration::from_secs(60);
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        w.crash(InstanceId(1), None, CrashKind::Killed, Restart::Backoff);
        let req = Request::anonymous(w.now);
        w.admit_to(InstanceId(2), req);
        w.delete_pod(InstanceId(2));
        let pending = InstanceId(3);
        w.untally(pending);
        w.instances[pending.index()].state = PodState::Pending;
        w.instances[pending.index()].available = false;
        w.tally(pending);
        w.create_pod(Version::Candidate, Start::Cold);
        let [base, cand] = &mut w.acc;
        (base.requests, base.errors, base.timeouts) = (7, 2, 1);
        (cand.requests, cand.errors, cand.slow) = (3, 1, 1);
        w.counts.arrived = 12;
        w.now = SimTime::from_secs(15);
        w.on_scrape();
        let row = w.timeline.last().unwrap();
        let counts = |pending, starting, ready, crashed, terminating| StateCounts {
            pending,
            starting,
            ready,
            crashed,
            terminating,
        };
        assert_eq!(row.pods, [counts(1, 0, 2, 1, 1), counts(0, 1, 0, 0, 0)]);
        assert_eq!(row.available, 2);
        assert_eq!((row.requests, row.failed, row.slo_bad_events), (10, 4, 5));
        assert_eq!(row.arrivals, 12);
        let sample = w.store.samples().last().unwrap();
        assert_eq!(sample.cohorts[0].ready_instances, 2);
        assert_eq!(sample.cohorts[1].ready_instances, 0);
        w.counts.arrived = 20;
        w.now = SimTime::from_secs(30);
        w.on_scrape();
        assert_eq!(w.timeline.last().unwrap().arrivals, 8, "the interval's");
    }

    /// The timeline's latency quantiles are in milliseconds: the reference fleet is 20
    /// M/M/1 queues at 60% (30 req/s on 20 ms), whose sojourn median is ln 2 / (50 −
    /// 30) s = 34.7 ms. Every interval's arrivals add up to the run's.
    #[test]
    fn the_timeline_reads_latency_in_milliseconds() {
        let cfg = testing::world(1, 60);
        let rec = run(&cfg, &mut Idle);
        assert_eq!(rec.timeline.len(), 4);
        for row in &rec.timeline {
            let p50 = row.latency_p50_ms.unwrap();
            assert!((30.0..40.0).contains(&p50), "p50 {p50} ms at {}", row.at);
        }
        let arrivals: u64 = rec.timeline.iter().map(|r| r.arrivals).sum();
        assert_eq!(arrivals, rec.counts.arrived);
    }

    /// The metrics lag grows by a delay fault's extra while it is live.
    #[test]
    fn a_delay_fault_adds_to_the_lag_while_live() {
        let mut cfg = testing::world(1, 600);
        cfg.faults = vec![world_fault(
            "slow-pipeline",
            window(100, 200),
            WorldFault::MetricsDelay {
                extra: SimDuration::from_secs(20),
            },
        )];
        cfg.check().unwrap();
        let mut w = World::new(&cfg, SimDuration::ZERO);
        w.now = SimTime::from_secs(150);
        assert_eq!(w.metrics_lag(), SimDuration::from_secs(50));
        w.now = SimTime::from_secs(200);
        assert_eq!(w.metrics_lag(), SimDuration::from_secs(30));
    }

    /// Scrapes during a metrics gap are lost and their counts arrive with the next one
    /// that gets through, as a cumulative counter's would.
    #[test]
    fn a_gap_loses_scrapes_and_the_next_carries_their_counts() {
        let mut cfg = testing::world(1, 90);
        cfg.faults = vec![world_fault("gap", window(30, 60), WorldFault::MetricsGap)];
        let rec = run(&cfg, &mut Idle);
        let scraped: Vec<bool> = rec.timeline.iter().map(|r| r.scraped).collect();
        assert_eq!(scraped, [true, false, false, true, true, true]);
        let at: Vec<u64> = rec
            .metrics
            .samples()
            .iter()
            .map(|s| s.at.0 / 1_000_000_000)
            .collect();
        assert_eq!(at, [15, 60, 75, 90]);
        let delivered = rec.metrics.samples()[1].cohorts[0].requests;
        let lost_and_next: u64 = rec.timeline[1..4].iter().map(|r| r.requests).sum();
        assert_eq!(delivered, lost_and_next);
    }

    /// The SLO pager pages on a fast burn (half the requests failing burns 500 times
    /// the budget), once, as a detection.
    #[test]
    fn the_pager_pages_on_a_fast_burn() {
        let mut cfg = testing::world(1, 300);
        cfg.versions[0].error_probability = 0.5;
        let rec = run(&cfg, &mut Idle);
        let d = rec.detection.expect("paged");
        assert_eq!(d.detector, "slo_pager");
        assert!(d.at <= SimTime::from_secs(180), "{}", d.at);
        let pages = rec.log.iter().filter(|r| r.kind == LogKind::Pager).count();
        assert_eq!(pages, 1);
        // A healthy fleet is not paged.
        let rec = run(&testing::world(1, 300), &mut Idle);
        assert!(rec.detection.is_none());
    }
}
