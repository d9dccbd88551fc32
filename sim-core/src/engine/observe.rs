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
