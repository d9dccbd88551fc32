//! Health gates: the checks a policy runs on the candidate before it goes further.
//!
//! A gate reads a metric of the candidate cohort over a window of scraped, lagged
//! samples and compares it with an absolute threshold or with the baseline cohort over
//! the same window. The same code judges simulated metrics and imported real ones: it
//! only sees `MetricsView`.

use serde::Serialize;
use sim_core::metrics::{MetricsView, Sample, sum_cohort};

use crate::stats::{self, Classification, Weighted};
use sim_core::{SimDuration, SimTime, Version};

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "name")]
pub enum GateMetric {
    /// (errors + timeouts) / requests.
    ErrorRatio,
    /// A latency quantile in milliseconds, of served requests.
    Latency { quantile: f64 },
    /// Process crashes (container restarts) in the window.
    Restarts,
    /// Largest resident memory of any instance, MB.
    MemoryMb,
    /// Conversions per successful request: the business KPI. Higher is better.
    Kpi,
    /// Sessions lost in the window.
    SessionsLost,
}

impl GateMetric {
    pub const NAMES: [&'static str; 6] = [
        "error_ratio",
        "latency",
        "restarts",
        "memory_mb",
        "kpi",
        "sessions_lost",
    ];

    /// Whether a larger value is the healthy direction (a KPI), so the gate holds the
    /// candidate to at least its bound rather than at most.
    pub fn higher_is_better(&self) -> bool {
        matches!(self, GateMetric::Kpi)
    }

    pub fn label(&self) -> String {
        match self {
            GateMetric::ErrorRatio => "error_ratio".into(),
            GateMetric::Latency { quantile } => format!("latency_p{}_ms", quantile * 100.0),
            GateMetric::Restarts => "restarts".into(),
            GateMetric::MemoryMb => "memory_mb".into(),
            GateMetric::Kpi => "kpi_conversion_rate".into(),
            GateMetric::SessionsLost => "sessions_lost".into(),
        }
    }

    /// Whether the metric needs requests to mean anything.
    pub fn needs_requests(&self) -> bool {
        matches!(
            self,
            GateMetric::ErrorRatio | GateMetric::Latency { .. } | GateMetric::Kpi
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// candidate ≤ threshold (≥ for a KPI).
    Absolute,
    /// candidate ≤ threshold × baseline + slack (≥ threshold × baseline − slack for a
    /// KPI).
    Relative,
    /// Kayenta's Mann-Whitney U judgement of the candidate against the baseline over
    /// the same window (`threshold` is the allowed increase of the mean ratio).
    MannWhitney(MannWhitneyRule),
}

impl Comparison {
    pub const NAMES: [&'static str; 3] = ["absolute", "relative", "mann_whitney"];

    pub fn name(&self) -> &'static str {
        match self {
            Comparison::Absolute => "absolute",
            Comparison::Relative => "relative",
            Comparison::MannWhitney(_) => "mann_whitney",
        }
    }
}

/// Kayenta's NetflixACAJudge settings: confidence 0.98 and tolerance 0.25.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MannWhitneyRule {
    /// Confidence level of the interval of the shift.
    pub confidence: f64,
    /// The interval must clear `tolerance × |estimate|` to count as a change.
    pub tolerance: f64,
}

impl Default for MannWhitneyRule {
    fn default() -> Self {
        MannWhitneyRule {
            confidence: 0.98,
            tolerance: 0.25,
        }
    }
}

/// What a window without enough data means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmptyRule {
    Pass,
    Fail,
    Inconclusive,
}

impl EmptyRule {
    pub const NAMES: [&'static str; 3] = ["pass", "fail", "inconclusive"];
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateSpec {
    pub name: String,
    pub metric: GateMetric,
    pub comparison: Comparison,
    pub threshold: f64,
    /// Added to the relative bound, so a baseline at zero does not fail every error.
    pub slack: f64,
    pub window_seconds: f64,
    /// Fewest candidate requests in the window for a verdict.
    pub min_samples: u64,
    pub on_empty: EmptyRule,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
}

impl From<EmptyRule> for Verdict {
    fn from(r: EmptyRule) -> Verdict {
        match r {
            EmptyRule::Pass => Verdict::Pass,
            EmptyRule::Fail => Verdict::Fail,
            EmptyRule::Inconclusive => Verdict::Inconclusive,
        }
    }
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// One evaluation of one gate.
#[derive(Clone, Debug, PartialEq)]
pub struct GateResult {
    pub value: Option<f64>,
    /// The bound the value was held to (for relative gates, already scaled).
    pub bound: Option<f64>,
    pub verdict: Verdict,
    pub reason: String,
    /// The window held no scraped sample at all (the query would return no series):
    /// Argo counts such a measurement as an Error, not as a verdict.
    pub no_data: bool,
}

impl GateSpec {
    /// Judges the candidate on what `view` shows, ignoring samples up to `since` (the
    /// rollout's start: the candidate cohort had no data before).
    pub fn evaluate(&self, view: &MetricsView<'_>, since: SimTime) -> GateResult {
        let len = SimDuration::from_secs_f64(self.window_seconds);
        let all = view.window(len);
        let window = &all[all.partition_point(|s| s.at <= since)..];
        let cand = sum_cohort(window, Version::Candidate);
        let enough = !window.is_empty()
            && (!self.metric.needs_requests() || cand.requests >= self.min_samples.max(1));
        if window.is_empty() {
            let mut r = self.empty("no scraped sample in the window".into());
            r.no_data = true;
            return r;
        }
        if !enough {
            let reason = format!(
                "{} candidate requests in the window, {} needed",
                cand.requests, self.min_samples
            );
            return self.empty(reason);
        }
        let value = match metric_value(self.metric, window, Version::Candidate) {
            Some(v) => v,
            None => return self.empty("no candidate latency samples".into()),
        };
        let higher = self.metric.higher_is_better();
        let bound = match self.comparison {
            Comparison::MannWhitney(rule) => return self.mann_whitney(rule, window),
            Comparison::Absolute => self.threshold,
            Comparison::Relative => match self.baseline_value(view, len) {
                Some(base) if higher => self.threshold * base - self.slack,
                Some(base) => self.threshold * base + self.slack,
                None => return self.empty("no baseline data to compare with".into()),
            },
        };
        let pass = if higher {
            value >= bound
        } else {
            value <= bound
        };
        GateResult {
            value: Some(value),
            bound: Some(bound),
            verdict: if pass { Verdict::Pass } else { Verdict::Fail },
            reason: format!(
                "{} {} {:.6} {} {:.6}",
                self.metric.label(),
                "candidate",
                value,
                match (higher, pass) {
                    (false, true) => "<=",
                    (false, false) => ">",
                    (true, true) => ">=",
                    (true, false) => "<",
                },
                bound
            ),
            no_data: false,
        }
    }

    /// Kayenta's judgement: the candidate's observations against the baseline's over the
    /// same window. Fails only on a significant change in the harmful direction (up,
    /// or down for a KPI) whose mean ratio is beyond `threshold`.
    fn mann_whitney(&self, rule: MannWhitneyRule, window: &[Sample]) -> GateResult {
        let base = sum_cohort(window, Version::Baseline);
        if self.metric.needs_requests() && base.requests < self.min_samples.max(1) {
            return self.empty(format!(
                "{} baseline requests in the window, {} needed",
                base.requests, self.min_samples
            ));
        }
        let cand_obs = observations(self.metric, window, Version::Candidate);
        let base_obs = observations(self.metric, window, Version::Baseline);
        let Some(r) = stats::mann_whitney(&cand_obs, &base_obs, rule.confidence) else {
            return self.empty("no observations to compare".into());
        };
        // The harmful direction is up for every metric but a KPI, where it is down:
        // the candidate fails on a significant change that way whose mean ratio is
        // beyond `threshold`.
        let (class, harmful) = if self.metric.higher_is_better() {
            let c = stats::classify(&r, rule.tolerance, f64::INFINITY, self.threshold);
            (c, Classification::Low)
        } else {
            let c = stats::classify(&r, rule.tolerance, self.threshold, 1.0);
            (c, Classification::High)
        };
        let verdict = if class == harmful {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        GateResult {
            value: Some(r.mean_ratio),
            bound: Some(self.threshold),
            verdict,
            reason: format!(
                "{} mann-whitney: shift {:.6} [{:.6}, {:.6}] at {}%, p={:.3e}, mean ratio {:.4} (allowed {}): {}",
                self.metric.label(),
                r.estimate,
                r.ci_low,
                r.ci_high,
                rule.confidence * 100.0,
                r.p_value,
                r.mean_ratio,
                self.threshold,
                class.name()
            ),
            no_data: false,
        }
    }

    fn empty(&self, reason: String) -> GateResult {
        let verdict = match self.on_empty {
            EmptyRule::Pass => Verdict::Pass,
            EmptyRule::Fail => Verdict::Fail,
            EmptyRule::Inconclusive => Verdict::Inconclusive,
        };
        GateResult {
            value: None,
            bound: None,
            verdict,
            reason: format!("empty window ({reason}): {}", verdict.name()),
            no_data: false,
        }
    }

    /// The baseline's value over the same window, or, when the baseline has too little
    /// traffic there (late in a rollout), over the latest window where it had enough.
    fn baseline_value(&self, view: &MetricsView<'_>, len: SimDuration) -> Option<f64> {
        let enough = |s: &[Sample]| {
            let b = sum_cohort(s, Version::Baseline);
            !s.is_empty()
                && (!self.metric.needs_requests() || b.requests >= self.min_samples.max(1))
        };
        let same = view.window(len);
        if enough(same) {
            return metric_value(self.metric, same, Version::Baseline);
        }
        let last = view
            .samples()
            .iter()
            .rev()
            .find(|s| s.cohort(Version::Baseline).requests > 0)?;
        let earlier = view.between(last.at.saturating_sub(len), last.at);
        if enough(earlier) {
            metric_value(self.metric, earlier, Version::Baseline)
        } else {
            None
        }
    }
}

/// What the Mann-Whitney test compares, per cohort: the latency histogram's buckets
/// (midpoint in ms, count) for latency; one value per scrape interval for the others
/// (the interval's error ratio where it had requests, its restarts, its memory).
pub fn observations(metric: GateMetric, samples: &[Sample], v: Version) -> Vec<Weighted> {
    match metric {
        GateMetric::Latency { .. } => sum_cohort(samples, v)
            .latency
            .buckets()
            .map(|(us, n)| (us / 1000.0, n))
            .collect(),
        GateMetric::ErrorRatio => samples
            .iter()
            .map(|s| s.cohort(v))
            .filter(|c| c.requests > 0)
            .map(|c| (c.failed() as f64 / c.requests as f64, 1))
            .collect(),
        GateMetric::Restarts => samples
            .iter()
            .map(|s| (s.cohort(v).crashes as f64, 1))
            .collect(),
        GateMetric::MemoryMb => samples
            .iter()
            .map(|s| s.cohort(v))
            .filter(|c| c.ready_instances > 0 || c.memory_max_mb > 0.0)
            .map(|c| (c.memory_max_mb, 1))
            .collect(),
        GateMetric::Kpi => samples
            .iter()
            .map(|s| s.cohort(v))
            .filter(|c| c.kpi_requests > 0)
            .map(|c| (c.conversions as f64 / c.kpi_requests as f64, 1))
            .collect(),
        GateMetric::SessionsLost => samples
            .iter()
            .map(|s| (s.cohort(v).sessions_lost as f64, 1))
            .collect(),
    }
}

/// The metric for one cohort over samples.
pub fn metric_value(metric: GateMetric, samples: &[Sample], v: Version) -> Option<f64> {
    let c = sum_cohort(samples, v);
    match metric {
        GateMetric::ErrorRatio => (c.requests > 0).then(|| c.failed() as f64 / c.requests as f64),
        GateMetric::Latency { quantile } => c.latency.quantile(quantile).map(|us| us / 1000.0),
        GateMetric::Restarts => Some(c.crashes as f64),
        GateMetric::MemoryMb => Some(c.memory_max_mb),
        GateMetric::Kpi => {
            (c.kpi_requests > 0).then(|| c.conversions as f64 / c.kpi_requests as f64)
        }
        GateMetric::SessionsLost => Some(c.sessions_lost as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::hist::SparseHistogram;
    use sim_core::metrics::{CohortSample, MetricsStore};

    fn cohort(requests: u64, errors: u64, latency_ms: u64, crashes: u64) -> CohortSample {
        CohortSample {
            requests,
            errors,
            crashes,
            latency: SparseHistogram::from_values((0..requests).map(|_| latency_ms * 1000)),
            ..CohortSample::default()
        }
    }

    fn gate(metric: GateMetric, comparison: Comparison, threshold: f64) -> GateSpec {
        GateSpec {
            name: "g".into(),
            metric,
            comparison,
            threshold,
            slack: 0.0,
            window_seconds: 60.0,
            min_samples: 50,
            on_empty: EmptyRule::Inconclusive,
        }
    }

    /// The candidate's p99 held to `threshold` × the baseline's.
    fn relative_p99(threshold: f64) -> GateSpec {
        gate(
            GateMetric::Latency { quantile: 0.99 },
            Comparison::Relative,
            threshold,
        )
    }

    fn store(cand: impl Fn(u64) -> CohortSample) -> MetricsStore {
        let mut m = MetricsStore::default();
        for i in 1..=8 {
            m.push(SimTime::from_secs(15 * i), [cohort(100, 1, 50, 0), cand(i)]);
        }
        m
    }

    /// Four scrapes of 1000 KPI requests each: the baseline converts 50 (5%), the
    /// candidate 38 (3.8%, exactly the double 0.038 over the window).
    fn kpi_store() -> MetricsStore {
        let with_kpi = |conversions: u64| CohortSample {
            requests: 1000,
            kpi_requests: 1000,
            conversions,
            ..CohortSample::default()
        };
        let mut m = MetricsStore::default();
        for i in 1..=4 {
            m.push(SimTime::from_secs(15 * i), [with_kpi(50), with_kpi(38)]);
        }
        m
    }

    #[test]
    fn absolute_error_ratio() {
        let m = store(|_| cohort(100, 3, 50, 0));
        let v = m.view(SimTime::from_secs(120), SimDuration::ZERO);
        let r =
            gate(GateMetric::ErrorRatio, Comparison::Absolute, 0.02).evaluate(&v, SimTime::ZERO);
        assert_eq!(r.verdict, Verdict::Fail);
        assert!((r.value.unwrap() - 0.03).abs() < 1e-12);
        let r =
            gate(GateMetric::ErrorRatio, Comparison::Absolute, 0.05).evaluate(&v, SimTime::ZERO);
        assert_eq!(r.verdict, Verdict::Pass);
    }

    #[test]
    fn relative_latency_against_baseline() {
        let m = store(|_| cohort(100, 0, 90, 0));
        let v = m.view(SimTime::from_secs(120), SimDuration::ZERO);
        let g = relative_p99(1.5);
        let r = g.evaluate(&v, SimTime::ZERO);
        assert_eq!(r.verdict, Verdict::Fail, "{r:?}");
        let bound = r.bound.unwrap();
        assert!((bound - 75.0).abs() / 75.0 < 0.01, "1.5 x 50 ms: {bound}");
        let g = relative_p99(2.0);
        assert_eq!(g.evaluate(&v, SimTime::ZERO).verdict, Verdict::Pass);
    }

    #[test]
    fn kpi_gate_holds_the_candidate_to_at_least_its_bound() {
        let m = kpi_store();
        let v = m.view(SimTime::from_secs(60), SimDuration::ZERO);
        let mut g = gate(GateMetric::Kpi, Comparison::Relative, 0.9);
        let r = g.evaluate(&v, SimTime::ZERO);
        // 3.8% against 0.9 x 5% = 4.5%: a fall of a quarter fails.
        assert_eq!(r.verdict, Verdict::Fail, "{r:?}");
        assert!(r.reason.contains('<'));
        g.threshold = 0.7;
        assert_eq!(g.evaluate(&v, SimTime::ZERO).verdict, Verdict::Pass);
        let g = gate(GateMetric::Kpi, Comparison::Absolute, 0.04);
        assert_eq!(g.evaluate(&v, SimTime::ZERO).verdict, Verdict::Fail);
    }

    /// The bound belongs to the passing side in both directions: a value exactly on it
    /// passes, and the next float past it fails (`>=` for higher-is-better, `<=` for
    /// lower-is-better, as Argo's `result >= x` / `result <= x` conditions read).
    #[test]
    fn a_value_exactly_at_its_bound_passes_and_one_ulp_past_it_fails() {
        let up = |x: f64| f64::from_bits(x.to_bits() + 1);
        let down = |x: f64| f64::from_bits(x.to_bits() - 1);
        // Lower is better: 24 errors in 800 requests is exactly the double 0.03.
        let m = store(|_| cohort(100, 3, 50, 0));
        let v = m.view(SimTime::from_secs(120), SimDuration::ZERO);
        let judge = |t: f64| {
            gate(GateMetric::ErrorRatio, Comparison::Absolute, t).evaluate(&v, SimTime::ZERO)
        };
        let at = judge(0.03);
        assert_eq!(
            (at.value, at.verdict),
            (Some(0.03), Verdict::Pass),
            "{at:?}"
        );
        assert!(at.reason.contains("<="), "{}", at.reason);
        assert_eq!(judge(down(0.03)).verdict, Verdict::Fail);
        // Higher is better: 152 conversions in 4000 KPI requests is exactly 0.038.
        let m = kpi_store();
        let v = m.view(SimTime::from_secs(60), SimDuration::ZERO);
        let judge =
            |t: f64| gate(GateMetric::Kpi, Comparison::Absolute, t).evaluate(&v, SimTime::ZERO);
        let at = judge(0.038);
        assert_eq!(
            (at.value, at.verdict),
            (Some(0.038), Verdict::Pass),
            "{at:?}"
        );
        assert!(at.reason.contains(">="), "{}", at.reason);
        assert_eq!(judge(up(0.038)).verdict, Verdict::Fail);
    }

    /// The Mann-Whitney gate compares the candidate against the baseline, in that order:
    /// a slower candidate fails, a faster one passes (faster is not harmful), so swapping
    /// the two samples flips both verdicts.
    #[test]
    fn mann_whitney_fails_only_a_candidate_worse_than_its_baseline() {
        let judge = |cand_ms: u64| {
            let m = store(|_| cohort(100, 0, cand_ms, 0));
            let v = m.view(SimTime::from_secs(120), SimDuration::ZERO);
            let g = gate(
                GateMetric::Latency { quantile: 0.5 },
                Comparison::MannWhitney(MannWhitneyRule::default()),
                1.0,
            );
            g.evaluate(&v, SimTime::ZERO)
        };
        let slower = judge(90);
        assert_eq!(slower.verdict, Verdict::Fail, "{slower:?}");
        let ratio = slower.value.unwrap();
        assert!(
            (ratio - 1.8).abs() < 0.01,
            "candidate over baseline: {ratio}"
        );
        let faster = judge(30);
        assert_eq!(faster.verdict, Verdict::Pass, "{faster:?}");
        assert!((faster.value.unwrap() - 0.6).abs() < 0.01);
    }

    /// A relative gate's slack widens the bound on the passing side: below the baseline's
    /// multiple for a higher-is-better metric, above it for a lower-is-better one.
    #[test]
    fn relative_slack_widens_the_bound_toward_passing() {
        // Lower is better: p99 90 ms against 1.5 x 50 ms + 20 ms = 95 ms passes.
        let m = store(|_| cohort(100, 0, 90, 0));
        let v = m.view(SimTime::from_secs(120), SimDuration::ZERO);
        let mut g = relative_p99(1.5);
        g.slack = 20.0;
        let r = g.evaluate(&v, SimTime::ZERO);
        assert_eq!(r.verdict, Verdict::Pass, "{r:?}");
        assert!((r.bound.unwrap() - 95.0).abs() < 1.0, "{r:?}");
        // Higher is better: 3.8% against 0.9 x 5% − 1% = 3.5% passes.
        let m = kpi_store();
        let v = m.view(SimTime::from_secs(60), SimDuration::ZERO);
        let mut g = gate(GateMetric::Kpi, Comparison::Relative, 0.9);
        g.slack = 0.01;
        let r = g.evaluate(&v, SimTime::ZERO);
        assert_eq!(r.verdict, Verdict::Pass, "{r:?}");
        assert!((r.bound.unwrap() - 0.035).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn too_few_samples_follow_the_empty_rule() {
        let m = store(|_| cohort(5, 5, 50, 0));
        let v = m.view(SimTime::from_secs(120), SimDuration::ZERO);
        let mut g = gate(GateMetric::ErrorRatio, Comparison::Absolute, 0.01);
        assert_eq!(g.evaluate(&v, SimTime::ZERO).verdict, Verdict::Inconclusive);
        g.on_empty = EmptyRule::Fail;
        assert_eq!(g.evaluate(&v, SimTime::ZERO).verdict, Verdict::Fail);
        g.on_empty = EmptyRule::Pass;
        assert_eq!(g.evaluate(&v, SimTime::ZERO).verdict, Verdict::Pass);
        // Lag hides everything: empty too.
        let hidden = m.view(SimTime::from_secs(10), SimDuration::ZERO);
        g.on_empty = EmptyRule::Inconclusive;
        assert_eq!(
            g.evaluate(&hidden, SimTime::ZERO).verdict,
            Verdict::Inconclusive
        );
    }

    /// Late in a rollout the baseline has no traffic in the gate's window: its value
    /// comes from the latest window where it had enough, not from the empty one (and
    /// not from a window ending at a scrape where it had none).
    #[test]
    fn a_relative_gate_falls_back_to_the_baselines_latest_window_with_traffic() {
        let mut m = MetricsStore::default();
        for i in 1..=8 {
            let base = if i <= 4 {
                cohort(100, 0, 50, 0)
            } else {
                CohortSample::default()
            };
            m.push(SimTime::from_secs(15 * i), [base, cohort(200, 0, 90, 0)]);
        }
        let v = m.view(SimTime::from_secs(120), SimDuration::ZERO);
        let g = relative_p99(1.5);
        let r = g.evaluate(&v, SimTime::ZERO);
        // The baseline's p99 over (0, 60] s: 50 ms, so the bound is 75 ms.
        assert_eq!(r.verdict, Verdict::Fail, "{r:?}");
        let bound = r.bound.unwrap();
        assert!((bound - 75.0).abs() / 75.0 < 0.01, "{r:?}");
        // With the baseline's traffic one request short of the minimum there too, there
        // is nothing to compare with.
        let mut g = g;
        g.min_samples = 401;
        let r = g.evaluate(&v, SimTime::ZERO);
        assert_eq!(r.verdict, Verdict::Inconclusive, "{r:?}");
        assert!(r.reason.contains("no baseline data"), "{r:?}");
    }

    /// The Mann-Whitney gate needs `min_samples` baseline requests in its window: at
    /// exactly that many it judges, one fewer is an empty window.
    #[test]
    fn mann_whitney_judges_from_exactly_min_samples_baseline_requests() {
        let mut m = MetricsStore::default();
        for i in 1..=4 {
            m.push(
                SimTime::from_secs(15 * i),
                [cohort(100, 0, 50, 0), cohort(200, 0, 90, 0)],
            );
        }
        let v = m.view(SimTime::from_secs(60), SimDuration::ZERO);
        let judge = |min_samples: u64| {
            let mut g = gate(
                GateMetric::Latency { quantile: 0.5 },
                Comparison::MannWhitney(MannWhitneyRule::default()),
                1.0,
            );
            g.min_samples = min_samples;
            g.evaluate(&v, SimTime::ZERO)
        };
        // 400 baseline requests (and 800 candidate ones) in the window.
        assert_eq!(judge(400).verdict, Verdict::Fail, "{:?}", judge(400));
        let short = judge(401);
        assert_eq!(short.verdict, Verdict::Inconclusive, "{short:?}");
        assert!(short.reason.contains("400 baseline requests"), "{short:?}");
    }

    /// Latency observations are in milliseconds, as the gate's thresholds and reasons.
    #[test]
    fn latency_observations_are_in_milliseconds() {
        let mut m = MetricsStore::default();
        m.push(
            SimTime::from_secs(15),
            [cohort(10, 0, 50, 0), CohortSample::default()],
        );
        let obs = observations(
            GateMetric::Latency { quantile: 0.5 },
            m.samples(),
            Version::Baseline,
        );
        assert_eq!(obs.iter().map(|&(_, n)| n).sum::<u64>(), 10, "{obs:?}");
        for &(ms, _) in &obs {
            assert!((45.0..55.0).contains(&ms), "50 ms as {ms}");
        }
    }

    /// One observation per scrape interval for the ratio and memory metrics, counting
    /// only the intervals that measured something: an interval without requests has no
    /// error ratio, one without KPI requests no conversion rate, one with neither a
    /// ready pod nor a memory reading no memory.
    #[test]
    fn per_interval_observations_skip_the_intervals_that_measured_nothing() {
        let c = |requests, errors, kpi_requests, conversions, ready_instances, memory_max_mb| {
            CohortSample {
                requests,
                errors,
                kpi_requests,
                conversions,
                ready_instances,
                memory_max_mb,
                ..CohortSample::default()
            }
        };
        let mut m = MetricsStore::default();
        let intervals = [
            c(100, 5, 50, 5, 2, 300.0),
            c(0, 0, 0, 0, 0, 0.0),
            c(40, 10, 20, 1, 0, 250.0),
            c(10, 0, 10, 10, 1, 0.0),
        ];
        for (i, cand) in intervals.into_iter().enumerate() {
            m.push(
                SimTime::from_secs(15 * (i as u64 + 1)),
                [CohortSample::default(), cand],
            );
        }
        let obs = |metric| observations(metric, m.samples(), Version::Candidate);
        assert_eq!(
            obs(GateMetric::ErrorRatio),
            vec![(0.05, 1), (0.25, 1), (0.0, 1)]
        );
        assert_eq!(obs(GateMetric::Kpi), vec![(0.1, 1), (0.05, 1), (1.0, 1)]);
        assert_eq!(
            obs(GateMetric::MemoryMb),
            vec![(300.0, 1), (250.0, 1), (0.0, 1)]
        );
        // Over no requests there is no ratio at all (not 0/0).
        let idle = &m.samples()[1..2];
        assert_eq!(
            metric_value(GateMetric::ErrorRatio, idle, Version::Candidate),
            None
        );
        assert_eq!(
            metric_value(GateMetric::Kpi, idle, Version::Candidate),
            None
        );
        assert_eq!(
            metric_value(GateMetric::ErrorRatio, m.samples(), Version::Candidate),
            Some(15.0 / 150.0)
        );
    }

    #[test]
    fn restarts_count_in_window_only() {
        let m = store(|i| cohort(100, 0, 50, u64::from(i == 2)));
        let late = m.view(SimTime::from_secs(120), SimDuration::ZERO);
        let g = gate(GateMetric::Restarts, Comparison::Absolute, 0.0);
        assert_eq!(g.evaluate(&late, SimTime::ZERO).verdict, Verdict::Pass);
        let early = m.view(SimTime::from_secs(45), SimDuration::ZERO);
        assert_eq!(g.evaluate(&early, SimTime::ZERO).verdict, Verdict::Fail);
    }
}
