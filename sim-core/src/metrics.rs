//! Observability: what the scraper collects and what detectors may see.
//!
//! Counters accumulate per version cohort between scrapes. Every `scrape_interval` the
//! scraper closes the interval into a `Sample`, stamped with the scrape time; a sample
//! becomes visible to gates and the pager only `metrics_lag` later. Detectors read the
//! store through a `MetricsView`, which hides what is not visible yet, so detection pays
//! the delays real gates pay.

use crate::hist::{Histogram, SparseHistogram};
use crate::ids::Version;
use crate::time::{SimDuration, SimTime};

/// The classes of bad event, as the SLO counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BadClass {
    /// An error response, a refused connection, or a request cut by a drain timeout.
    Error,
    /// The client gave up waiting.
    Timeout,
    /// Served, but slower than the SLO's latency threshold.
    Slow,
    /// A user session lost with its instance.
    SessionLost,
}

impl BadClass {
    pub const ALL: [BadClass; 4] = [
        BadClass::Error,
        BadClass::Timeout,
        BadClass::Slow,
        BadClass::SessionLost,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            BadClass::Error => "error",
            BadClass::Timeout => "timeout",
            BadClass::Slow => "slow",
            BadClass::SessionLost => "session_lost",
        }
    }
}

/// One cohort's counts over one scrape interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CohortSample {
    /// Requests that got an answer or gave up: ok + errors + timeouts.
    pub requests: u64,
    pub errors: u64,
    pub timeouts: u64,
    /// Successful but slower than the SLO threshold (a subset of the successes).
    pub slow: u64,
    pub sessions_lost: u64,
    /// Process crashes (restarts) in the interval.
    pub crashes: u64,
    /// Latency of served requests (successes and error responses).
    pub latency: SparseHistogram,
    /// Largest resident memory of any instance of the cohort at the scrape.
    pub memory_max_mb: f64,
    /// Instances of the cohort able to serve at the scrape.
    pub ready_instances: u32,
    /// Successful requests that could have converted, and those that did (the
    /// business KPI, when the scenario has one).
    pub kpi_requests: u64,
    pub conversions: u64,
}

impl CohortSample {
    /// Adds another sample's counters (not its histogram or gauges).
    fn add_counters(&mut self, other: &CohortSample) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.slow += other.slow;
        self.sessions_lost += other.sessions_lost;
        self.crashes += other.crashes;
        self.kpi_requests += other.kpi_requests;
        self.conversions += other.conversions;
    }

    /// Adds another interval's counts (a scrape that covers several intervals, as a
    /// cumulative counter does after a gap). Gauges take the later value.
    pub fn merge(&mut self, later: &CohortSample) {
        self.add_counters(later);
        let mut h = crate::hist::Histogram::new();
        h.merge_sparse(&self.latency);
        h.merge_sparse(&later.latency);
        self.latency = h.take_sparse();
        self.memory_max_mb = later.memory_max_mb;
        self.ready_instances = later.ready_instances;
    }

    /// Bad events as the SLO counts them.
    pub fn bad(&self) -> u64 {
        self.errors + self.timeouts + self.slow + self.sessions_lost
    }

    pub fn failed(&self) -> u64 {
        self.errors + self.timeouts
    }
}

/// What one scrape collected.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub at: SimTime,
    /// Indexed by `Version::index()`.
    pub cohorts: [CohortSample; 2],
    /// Running totals over all samples so far (this one included), so that any window's
    /// total is a difference of two entries.
    pub cum_requests: u64,
    pub cum_bad: u64,
}

impl Sample {
    pub fn cohort(&self, v: Version) -> &CohortSample {
        &self.cohorts[v.index()]
    }

    pub fn requests(&self) -> u64 {
        self.cohorts[0].requests + self.cohorts[1].requests
    }

    pub fn bad(&self) -> u64 {
        self.cohorts[0].bad() + self.cohorts[1].bad()
    }
}

/// Counts being accumulated for the current interval.
#[derive(Default)]
pub struct CohortAccumulator {
    pub requests: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub slow: u64,
    pub sessions_lost: u64,
    pub crashes: u64,
    pub kpi_requests: u64,
    pub conversions: u64,
    pub latency: Histogram,
}

impl CohortAccumulator {
    pub fn new() -> Self {
        CohortAccumulator::default()
    }

    /// Closes the interval: returns its sample and starts a new one.
    pub fn take(&mut self, memory_max_mb: f64, ready_instances: u32) -> CohortSample {
        let s = CohortSample {
            requests: self.requests,
            errors: self.errors,
            timeouts: self.timeouts,
            slow: self.slow,
            sessions_lost: self.sessions_lost,
            crashes: self.crashes,
            latency: self.latency.take_sparse(),
            memory_max_mb,
            ready_instances,
            kpi_requests: self.kpi_requests,
            conversions: self.conversions,
        };
        self.kpi_requests = 0;
        self.conversions = 0;
        self.requests = 0;
        self.errors = 0;
        self.timeouts = 0;
        self.slow = 0;
        self.sessions_lost = 0;
        self.crashes = 0;
        s
    }
}

/// All samples of a run, in scrape order.
#[derive(Clone, Debug, Default)]
pub struct MetricsStore {
    samples: Vec<Sample>,
    prior_rate: f64,
}

impl MetricsStore {
    /// `prior_rate` is the request rate of the healthy history before t = 0: the
    /// service has been running long before the simulation starts, so a burn-rate
    /// window reaching back before the first scrape sees good requests there, not
    /// nothing.
    pub fn with_capacity(n: usize, prior_rate: f64) -> Self {
        MetricsStore {
            samples: Vec::with_capacity(n),
            prior_rate,
        }
    }

    /// Appends a scrape; `cum_*` are filled in here.
    pub fn push(&mut self, at: SimTime, cohorts: [CohortSample; 2]) {
        if let Some(last) = self.samples.last() {
            assert!(at > last.at, "scrapes must move forward in time");
        }
        let (prev_req, prev_bad) = self
            .samples
            .last()
            .map_or((0, 0), |s| (s.cum_requests, s.cum_bad));
        let mut s = Sample {
            at,
            cohorts,
            cum_requests: 0,
            cum_bad: 0,
        };
        s.cum_requests = prev_req + s.requests();
        s.cum_bad = prev_bad + s.bad();
        self.samples.push(s);
    }

    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// What a detector sees at `now` when metrics arrive `lag` after the scrape.
    pub fn view(&self, now: SimTime, lag: SimDuration) -> MetricsView<'_> {
        let visible_until = now.saturating_sub(lag);
        let end = self.samples.partition_point(|s| s.at <= visible_until);
        MetricsView {
            samples: &self.samples[..end],
            visible_until,
            prior_rate: self.prior_rate,
        }
    }

    /// Everything, as if there were no lag (ground truth for reports).
    pub fn truth(&self) -> MetricsView<'_> {
        MetricsView {
            samples: &self.samples,
            visible_until: self.samples.last().map_or(SimTime::ZERO, |s| s.at),
            prior_rate: self.prior_rate,
        }
    }
}

/// The samples visible at one moment.
#[derive(Clone, Copy, Debug)]
pub struct MetricsView<'a> {
    samples: &'a [Sample],
    visible_until: SimTime,
    prior_rate: f64,
}

impl<'a> MetricsView<'a> {
    /// Builds a view over samples from elsewhere (e.g. imported real metrics).
    pub fn over(samples: &'a [Sample], visible_until: SimTime) -> Self {
        MetricsView {
            samples,
            visible_until,
            prior_rate: 0.0,
        }
    }

    pub fn visible_until(&self) -> SimTime {
        self.visible_until
    }

    pub fn samples(&self) -> &'a [Sample] {
        self.samples
    }

    pub fn latest(&self) -> Option<&'a Sample> {
        self.samples.last()
    }

    /// Samples scraped in `(visible_until - len, visible_until]`.
    pub fn window(&self, len: SimDuration) -> &'a [Sample] {
        let from = self.visible_until.saturating_sub(len);
        let start = self.samples.partition_point(|s| s.at <= from);
        &self.samples[start..]
    }

    /// Samples scraped in `(from, to]`.
    pub fn between(&self, from: SimTime, to: SimTime) -> &'a [Sample] {
        let start = self.samples.partition_point(|s| s.at <= from);
        let end = self.samples.partition_point(|s| s.at <= to);
        &self.samples[start..end.max(start)]
    }

    /// Burn rate over the window: `(bad / requests) / error_budget`, `None` without
    /// requests. The part of the window before t = 0 counts as healthy history at the
    /// store's prior rate.
    pub fn burn_rate(&self, len: SimDuration, error_budget: f64) -> Option<f64> {
        let w = self.window(len);
        let last = w.last()?;
        let before_start = len.0.saturating_sub(self.visible_until.0) as f64 / 1e9;
        let history = self.prior_rate * before_start;
        let before = self.samples.len() - w.len();
        let (req0, bad0) = if before == 0 {
            (0, 0)
        } else {
            let s = &self.samples[before - 1];
            (s.cum_requests, s.cum_bad)
        };
        let req = (last.cum_requests - req0) as f64 + history;
        let bad = last.cum_bad - bad0;
        (req > 0.0).then(|| bad as f64 / req / error_budget)
    }
}

/// Sums a cohort over samples.
pub fn sum_cohort(samples: &[Sample], v: Version) -> CohortSample {
    let mut total = CohortSample::default();
    let mut hist = Histogram::new();
    for s in samples {
        let c = s.cohort(v);
        total.add_counters(c);
        total.memory_max_mb = total.memory_max_mb.max(c.memory_max_mb);
        total.ready_instances = c.ready_instances;
        hist.merge_sparse(&c.latency);
    }
    total.latency = hist.take_sparse();
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(requests: u64, errors: u64) -> CohortSample {
        CohortSample {
            requests,
            errors,
            ..CohortSample::default()
        }
    }

    fn store() -> MetricsStore {
        let mut m = MetricsStore::default();
        for i in 1..=8u64 {
            // 100 requests per scrape on the baseline, 10 errors from scrape 5 on.
            let errors = if i >= 5 { 10 } else { 0 };
            m.push(
                SimTime::from_secs(15 * i),
                [cohort(100, errors), cohort(0, 0)],
            );
        }
        m
    }

    #[test]
    fn lag_hides_recent_scrapes() {
        let m = store();
        let v = m.view(SimTime::from_secs(70), SimDuration::from_secs(30));
        // visible until 40 s: the scrapes at 15 and 30 s.
        assert_eq!(v.samples().len(), 2);
        assert_eq!(v.latest().unwrap().at, SimTime::from_secs(30));
    }

    #[test]
    fn windows_and_burn_rates() {
        let m = store();
        let v = m.view(SimTime::from_secs(120), SimDuration::ZERO);
        assert_eq!(v.window(SimDuration::from_secs(60)).len(), 4);
        // Last 60 s: 40 bad out of 400 -> ratio 0.1 -> burn 100 at 99.9%.
        let burn = v.burn_rate(SimDuration::from_secs(60), 0.001).unwrap();
        assert!((burn - 100.0).abs() < 1e-9, "{burn}");
        // Whole run: 40 of 800.
        let burn = v.burn_rate(SimDuration::from_secs(3600), 0.001).unwrap();
        assert!((burn - 50.0).abs() < 1e-9, "{burn}");
        let summed = sum_cohort(v.window(SimDuration::from_secs(30)), Version::Baseline);
        assert_eq!((summed.requests, summed.errors), (200, 20));
    }

    /// A window is `(end − len, end]`: a scrape exactly `len` before the end is out,
    /// one a nanosecond later is in, so a rule's window holds `len / interval` scrapes
    /// and not one more.
    #[test]
    fn a_window_excludes_the_scrape_exactly_its_length_ago() {
        let m = store();
        let v = m.view(SimTime::from_secs(120), SimDuration::ZERO);
        let first = |len: SimDuration| v.window(len).first().map(|s| s.at);
        assert_eq!(
            first(SimDuration::from_secs(60)),
            Some(SimTime::from_secs(75))
        );
        let just_over = SimDuration(SimDuration::from_secs(60).0 + 1);
        assert_eq!(first(just_over), Some(SimTime::from_secs(60)));
        assert_eq!(v.window(just_over).len(), 5);
        // The burn follows the window: scrapes 5 to 8 (10% bad) in 60 s, plus the
        // clean scrape 4 in 60 s + 1 ns.
        let burn = |len| v.burn_rate(len, 0.001).unwrap();
        assert!((burn(SimDuration::from_secs(60)) - 100.0).abs() < 1e-9);
        assert!((burn(just_over) - 80.0).abs() < 1e-9);
    }

    #[test]
    fn empty_view_has_no_burn() {
        let m = MetricsStore::default();
        assert_eq!(
            m.view(SimTime::from_secs(10), SimDuration::ZERO)
                .burn_rate(SimDuration::from_secs(60), 0.001),
            None
        );
    }

    #[test]
    fn windows_before_the_start_see_healthy_history() {
        // 120 s of run at 100 requests per 15 s with 10 errors per scrape from 5 on,
        // plus 1 h − 120 s of history at 100/15 requests per second, all good.
        let mut m = MetricsStore::with_capacity(8, 100.0 / 15.0);
        for i in 1..=8u64 {
            let errors = if i >= 5 { 10 } else { 0 };
            m.push(
                SimTime::from_secs(15 * i),
                [cohort(100, errors), cohort(0, 0)],
            );
        }
        let v = m.view(SimTime::from_secs(120), SimDuration::ZERO);
        let burn = v.burn_rate(SimDuration::from_secs(3600), 0.001).unwrap();
        // 40 bad of 3600 s x 100/15 = 24 000 requests.
        assert!((burn - 40.0 / 24_000.0 / 0.001).abs() < 1e-9, "{burn}");
    }
}
