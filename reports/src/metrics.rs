//! Per-run metrics, exactly as DESIGN §5 defines them.
//!
//! Timestamps: `t_change_start` (first candidate pod), `t_change_end` (promoted or
//! fully rolled back), `t_fault_active`, `t_impact_start` (first bad event attributed
//! to a fault), `t_detect` (first detector, and which), `t_mitigate` (the last
//! attributed bad event, provided the run goes on for the hold period after it with
//! none), `t_recover` (no live pod carries a live fault and capacity is restored).
//!
//! Durations: `ttd = t_detect − t_impact_start` (0 if the detector fired before the
//! first bad event), `ttm = t_mitigate − t_detect` (0 if the impact had already ended),
//! `impact_duration = t_mitigate − t_impact_start` (MTTR, the user's view),
//! `tt_recover = t_recover − t_impact_start` (MTTR, the system's view),
//! `deploy_duration = t_change_end − t_change_start`. Anything that did not happen
//! within the horizon is `None`: censored, never dropped.

use serde::{Deserialize, Serialize};
use sim_core::log::{LogKind, LogRecord};
use sim_core::metrics::BadClass;
use sim_core::{Phase, RunRecord, SimDuration, SimTime};

/// How a run ended, from the rollout's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Promoted, no fault (or nothing to change).
    Succeeded,
    /// A fault, stopped before it reached the whole fleet.
    Caught,
    /// A fault that reached the whole fleet before anything detected it.
    Escaped,
    /// Stopped by a detector with no fault present.
    FalseRollback,
    /// Neither promoted nor stopped by the horizon.
    Stalled,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Succeeded,
        Outcome::Caught,
        Outcome::Escaped,
        Outcome::FalseRollback,
        Outcome::Stalled,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Caught => "caught",
            Outcome::Escaped => "escaped",
            Outcome::FalseRollback => "false_rollback",
            Outcome::Stalled => "stalled",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.name() == s)
    }
}

/// What one fault did, in seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultSummary {
    pub name: String,
    pub t_active_s: Option<f64>,
    pub t_first_bad_s: Option<f64>,
    pub t_last_bad_s: Option<f64>,
    pub bad_events: BadByClass,
    /// Business-KPI losses it caused (lost conversions, corrupted answers).
    pub kpi_lost: u64,
    /// Carried by the release rather than the environment (`false` in a file written
    /// before the distinction).
    #[serde(default)]
    pub release: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadByClass {
    pub error: u64,
    pub timeout: u64,
    pub slow: u64,
    pub session_lost: u64,
}

impl BadByClass {
    fn from_array(a: [u64; 4]) -> Self {
        BadByClass {
            error: a[BadClass::Error.index()],
            timeout: a[BadClass::Timeout.index()],
            slow: a[BadClass::Slow.index()],
            session_lost: a[BadClass::SessionLost.index()],
        }
    }

    pub fn total(&self) -> u64 {
        self.error + self.timeout + self.slow + self.session_lost
    }
}

/// Every per-run figure, in seconds, milliseconds and percent: the metrics of
/// `run.json` (`artifacts::run_json`), read back by the same type. A figure added
/// after a file was written reads as absent: `Option`s as `None` (serde's rule for a
/// missing optional key), the later counts (`#[serde(default)]`) as 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunMetrics {
    pub outcome: Outcome,
    /// Why a `stalled` run stalled ([`stall_reason`]); absent for every other outcome,
    /// so the files of other runs keep their keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_reason: Option<String>,
    pub requests_total: u64,
    pub requests_bad: u64,
    pub requests_succeeded: u64,
    pub requests_in_flight_end: u64,
    pub bad_events: BadByClass,
    pub latency_mean_ms: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub budget_consumed_pct: f64,
    pub peak_burn_rate_5m: f64,
    pub peak_burn_rate_1h: f64,
    pub t_change_start_s: Option<f64>,
    pub t_change_end_s: Option<f64>,
    pub t_full_fleet_s: Option<f64>,
    pub t_fault_active_s: Option<f64>,
    /// First time a fault the release carries was live: what makes a run a bad
    /// release (environmental faults do not).
    pub t_release_fault_active_s: Option<f64>,
    pub t_impact_start_s: Option<f64>,
    pub t_detect_s: Option<f64>,
    pub detector: Option<String>,
    pub t_mitigate_s: Option<f64>,
    pub t_recover_s: Option<f64>,
    pub ttd_s: Option<f64>,
    pub ttm_s: Option<f64>,
    pub impact_duration_s: Option<f64>,
    pub tt_recover_s: Option<f64>,
    pub deploy_duration_s: Option<f64>,
    pub crashes: u64,
    pub instances_max: u32,
    pub available_min: u32,
    pub sessions_lost: u64,
    /// Client retries among the requests.
    pub retries: u64,
    /// Conversions per successful request (the business KPI), when modelled.
    pub kpi_conversion_rate: Option<f64>,
    pub kpi_lost: u64,
    /// Bad events attributed to a fault, and those with none (background noise and the
    /// rollout's own cost).
    pub fault_bad_events: u64,
    pub unattributed_bad_events: u64,
    pub faults: Vec<FaultSummary>,
    /// `Phase::name()` of the rollout at the end of the run.
    pub final_phase: String,
    /// Set when a hard bound cut the run short: its figures are incomplete.
    pub limit_hit: Option<String>,
    pub events_processed: u64,
    /// Deployment progress (M3): rollout steps during the change (see
    /// `sim_core::record::RolloutRecord::steps`), the time each batch took (from its
    /// step to the next, the last to the end of the change) and batches per hour.
    #[serde(default)]
    pub batches: u32,
    pub batch_time_mean_s: Option<f64>,
    pub batch_time_max_s: Option<f64>,
    pub batches_per_hour: Option<f64>,
    /// Healthy instance ratio (M5): available pods (at most the desired count) over the
    /// desired count during the change, its minimum and its time-weighted mean.
    pub healthy_ratio_min: Option<f64>,
    pub healthy_ratio_mean: Option<f64>,
    /// New-version crash rate (M6): candidate crashes per 1000 candidate starts.
    #[serde(default)]
    pub candidate_starts: u64,
    #[serde(default)]
    pub candidate_crashes: u64,
    pub candidate_crash_rate: Option<f64>,
    /// Dependency error rate (M10): requests failed by a dependency fault over the calls
    /// to it during the change; 0 when nothing called a failing dependency.
    #[serde(default)]
    pub dependency_error_rate: f64,
    /// The release's cost against the run's counterfactual twin (`--counterfactual`);
    /// absent otherwise, so a run without the flag writes what it always wrote.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub counterfactual: Option<Counterfactual>,
}

/// The figures the counterfactual compares: what a run's twin (the same world and
/// seed without the release, `sim_core::twin`) consumed, the part of a run's figures
/// the environment caused; or the same figures of the run itself.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Twin {
    pub budget_consumed_pct: f64,
    pub requests_bad: u64,
}

impl Twin {
    /// The twin's figures, from its metrics.
    pub fn of(twin: &RunMetrics) -> Twin {
        Twin {
            budget_consumed_pct: twin.budget_consumed_pct,
            requests_bad: twin.requests_bad,
        }
    }
}

/// A run against its twin: what the release itself cost. Both runs share the SLO's
/// scale (the same world), so the budget difference is the bad-event difference on
/// that scale. Either difference can be negative: a release that fixes something, or
/// a rollback that removed pods a kill would otherwise have hit, and noise (after the
/// release the two runs serve requests in a different order, so per-request draws
/// differ).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Counterfactual {
    /// `budget_consumed_pct` minus the twin's.
    pub budget_release_pct: f64,
    /// `requests_bad` minus the twin's.
    pub bad_events_release: i64,
    pub twin_budget_consumed_pct: f64,
    pub twin_requests_bad: u64,
}

impl Counterfactual {
    /// The release's cost in `run` given its twin's figures.
    pub fn of(run: &RunMetrics, twin: Twin) -> Counterfactual {
        Counterfactual::of_figures(Twin::of(run), twin)
    }

    /// The same from the two runs' figures (`run`'s taken as a `Twin` would be).
    pub fn of_figures(run: Twin, twin: Twin) -> Counterfactual {
        Counterfactual {
            budget_release_pct: run.budget_consumed_pct - twin.budget_consumed_pct,
            bad_events_release: signed_difference(run.requests_bad, twin.requests_bad),
            twin_budget_consumed_pct: twin.budget_consumed_pct,
            twin_requests_bad: twin.requests_bad,
        }
    }
}

/// `a − b` as a signed count, saturating (a run holds far fewer than 2^63 requests).
fn signed_difference(a: u64, b: u64) -> i64 {
    if a >= b {
        i64::try_from(a - b).unwrap_or(i64::MAX)
    } else {
        i64::try_from(b - a).map_or(i64::MIN, |d| -d)
    }
}

fn s(t: Option<SimTime>) -> Option<f64> {
    t.map(SimTime::as_secs_f64)
}

fn diff(later: Option<f64>, earlier: Option<f64>) -> Option<f64> {
    Some(later? - earlier?)
}

impl RunMetrics {
    /// Derives every metric from a run record; `hold` is the quiet period after the
    /// last bad event that makes a fault count as mitigated.
    pub fn derive(r: &RunRecord, hold: SimDuration) -> RunMetrics {
        let c = &r.counts;
        let t_detect = r.detection.as_ref().map(|d| d.at);
        let t_mitigate = r.t_last_bad.filter(|&last| r.horizon.since(last) >= hold);
        let (t_impact, t_detect_s) = (s(r.t_impact_start), s(t_detect));
        let t_mitigate_s = s(t_mitigate);
        let ttd = diff(t_detect_s, t_impact).map(|d| d.max(0.0));
        let ttm = diff(t_mitigate_s, t_detect_s).map(|d| d.max(0.0));
        let fault_bad = r.faults.iter().map(|f| f.bad.iter().sum::<u64>()).sum();
        let budget_events = r.error_budget * r.slo_window_events;
        let ro = &r.rollout;
        let batches = batch_times(r);
        let healthy = healthy_ratio(r);
        let outcome = outcome(r);
        RunMetrics {
            outcome,
            stall_reason: (outcome == Outcome::Stalled).then(|| {
                stall_reason(r.limit_hit.as_deref(), &r.log, r.pending_end, r.final_phase)
            }),
            requests_total: c.arrived,
            requests_bad: c.bad_total(),
            requests_succeeded: c.succeeded,
            requests_in_flight_end: c.in_flight_end,
            bad_events: BadByClass {
                error: c.errors,
                timeout: c.timeouts,
                slow: c.slow,
                session_lost: c.sessions_lost,
            },
            latency_mean_ms: r.latency.mean().map(|us| us / 1000.0),
            latency_p50_ms: r.latency.quantile(0.50).map(|us| us / 1000.0),
            latency_p95_ms: r.latency.quantile(0.95).map(|us| us / 1000.0),
            latency_p99_ms: r.latency.quantile(0.99).map(|us| us / 1000.0),
            budget_consumed_pct: if budget_events > 0.0 {
                100.0 * c.bad_total() as f64 / budget_events
            } else {
                0.0
            },
            peak_burn_rate_5m: r.peak_burn_5m,
            peak_burn_rate_1h: r.peak_burn_1h,
            t_change_start_s: s(r.t_change_start),
            t_change_end_s: s(r.t_change_end),
            t_full_fleet_s: s(r.t_full_fleet),
            t_fault_active_s: s(r.t_fault_active),
            t_release_fault_active_s: s(r.t_release_fault_active),
            t_impact_start_s: t_impact,
            t_detect_s,
            detector: r.detection.as_ref().map(|d| d.detector.clone()),
            t_mitigate_s,
            t_recover_s: s(r.t_recover),
            ttd_s: ttd,
            ttm_s: ttm,
            impact_duration_s: diff(t_mitigate_s, t_impact),
            tt_recover_s: diff(s(r.t_recover), t_impact),
            deploy_duration_s: diff(s(r.t_change_end), s(r.t_change_start)),
            crashes: r.crashes,
            instances_max: r.instances_max,
            available_min: r.available_min,
            sessions_lost: c.sessions_lost,
            retries: c.retries,
            kpi_conversion_rate: (c.kpi_requests > 0)
                .then(|| c.conversions as f64 / c.kpi_requests as f64),
            kpi_lost: c.kpi_lost,
            fault_bad_events: fault_bad,
            unattributed_bad_events: c.bad_unattributed,
            faults: r
                .faults
                .iter()
                .map(|f| FaultSummary {
                    name: f.name.clone(),
                    t_active_s: s(f.t_active),
                    t_first_bad_s: s(f.t_first_bad),
                    t_last_bad_s: s(f.t_last_bad),
                    bad_events: BadByClass::from_array(f.bad),
                    kpi_lost: f.kpi_lost,
                    release: f.release,
                })
                .collect(),
            final_phase: r.final_phase.name().to_string(),
            limit_hit: r.limit_hit.clone(),
            events_processed: r.events_processed,
            batches: r.rollout.steps,
            batch_time_mean_s: batches.map(|b| b.mean),
            batch_time_max_s: batches.map(|b| b.max),
            batches_per_hour: batches.and_then(|b| (b.mean > 0.0).then(|| 3600.0 / b.mean)),
            healthy_ratio_min: healthy.map(|h| h.0),
            healthy_ratio_mean: healthy.and_then(|h| h.1),
            candidate_starts: ro.candidate_starts,
            candidate_crashes: ro.candidate_crashes,
            candidate_crash_rate: (ro.candidate_starts > 0)
                .then(|| 1000.0 * ro.candidate_crashes as f64 / ro.candidate_starts as f64),
            dependency_error_rate: if ro.dependency_calls > 0.0 {
                ro.dependency_errors as f64 / ro.dependency_calls
            } else {
                0.0
            },
            counterfactual: None,
        }
    }

    /// These metrics with the release's cost against a twin with figures `twin`.
    pub fn with_twin(mut self, twin: Twin) -> RunMetrics {
        self.counterfactual = Some(Counterfactual::of(&self, twin));
        self
    }
}

/// Time per batch over the rollout's completed batches, in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
struct BatchTimes {
    mean: f64,
    max: f64,
}

/// A batch runs from its step to the next step, and the last one to the end of the
/// change; a change still running at the end of the run leaves its last batch
/// unfinished, not counted. `None` without a completed batch.
fn batch_times(r: &RunRecord) -> Option<BatchTimes> {
    let ro = &r.rollout;
    let (first, last) = (ro.t_first_step?, ro.t_last_step?);
    let gap_max = ro.step_gap_max.as_secs_f64();
    let (span, done, max) = match r.t_change_end {
        Some(end) => {
            let tail = end.since(last).as_secs_f64();
            (end.since(first).as_secs_f64(), ro.steps, gap_max.max(tail))
        }
        None => (last.since(first).as_secs_f64(), ro.steps - 1, gap_max),
    };
    (done > 0).then(|| BatchTimes {
        mean: span / f64::from(done),
        max,
    })
}

/// The healthy ratio's minimum and time-weighted mean over the change (the mean is
/// `None` for a change that took no time). `None` if the change never started or the
/// fleet desires no pods.
///
/// When an autoscaler moved the desired count, both are against the count desired at
/// each moment: the least of available / desired over the change, and the available
/// pod-time over the desired pod-time.
fn healthy_ratio(r: &RunRecord) -> Option<(f64, Option<f64>)> {
    let ro = &r.rollout;
    if let Some(m) = ro.moving_desired {
        ro.healthy_min?;
        let mean = (m.desired_pod_nanos > 0)
            .then(|| ro.healthy_pod_nanos as f64 / m.desired_pod_nanos as f64);
        return Some((m.ratio_min?, mean));
    }
    let desired = f64::from(r.desired);
    let min = f64::from(ro.healthy_min?) / desired;
    if r.desired == 0 {
        return None;
    }
    let window = ro.change_window.0 as f64;
    let mean = (window > 0.0).then(|| ro.healthy_pod_nanos as f64 / (window * desired));
    Some((min, mean))
}

/// The outcome class of DESIGN §5. With a release fault (one the candidate carries):
/// `escaped` if every pod ran the candidate at some point (whatever came after), else
/// `caught` if a detector fired, else `stalled`. Without one (environmental faults
/// such as a dependency outage do not count): `false_rollback` if a detector fired and the rollout
/// ended stopped or rolled back, else `succeeded` if it was promoted or there was
/// nothing to change, else `stalled`.
pub fn outcome(r: &RunRecord) -> Outcome {
    let detected = r.detection.is_some();
    // Only faults the release carries make it a bad release; a dependency outage or a
    // zone loss during a good release does not.
    if r.t_release_fault_active.is_some() {
        return if r.t_full_fleet.is_some() || r.t_promoted.is_some() {
            Outcome::Escaped
        } else if detected {
            Outcome::Caught
        } else {
            Outcome::Stalled
        };
    }
    let stopped = matches!(
        r.final_phase,
        Phase::Paused | Phase::RollingBack | Phase::RolledBack
    );
    if detected && stopped {
        Outcome::FalseRollback
    } else if r.t_change_start.is_none() || r.t_promoted.is_some() {
        Outcome::Succeeded
    } else {
        Outcome::Stalled
    }
}

/// Why a run stalled, from what its record says, most telling first:
/// - a run cut short by a hard bound: that bound (its figures are incomplete);
/// - else the last `ProgressDeadlineExceeded` condition the controller reported, and
///   the pods still Pending at the horizon when there are some (the usual cause: a
///   surge the cluster has no room for), joined by `; `;
/// - else the Pending pods alone;
/// - else "not promoted by the horizon", with the rollout's phase then.
pub fn stall_reason(
    limit_hit: Option<&str>,
    log: &[LogRecord],
    pending_end: u32,
    phase: Phase,
) -> String {
    if let Some(limit) = limit_hit {
        return format!("cut short by a hard bound: {limit}");
    }
    let mut parts = Vec::new();
    if let Some(c) = log
        .iter()
        .rev()
        .find(|e| e.kind == LogKind::Condition && e.subject == "ProgressDeadlineExceeded")
    {
        parts.push(format!(
            "ProgressDeadlineExceeded at {:.0} s ({})",
            c.at.as_secs_f64(),
            c.reason
        ));
    }
    if pending_end > 0 {
        let pods = if pending_end == 1 { "pod" } else { "pods" };
        parts.push(format!(
            "{pending_end} {pods} Pending at the horizon (no room in the cluster)"
        ));
    }
    if parts.is_empty() {
        format!("not promoted by the horizon (phase {})", phase.name())
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deadline(at_s: u64) -> LogRecord {
        LogRecord::new(
            SimTime::from_secs(at_s),
            LogKind::Condition,
            "ProgressDeadlineExceeded",
            "no progress for 600s; reported, not rolled back",
        )
    }

    /// The budget consumed is the run's bad events over the budget's allowance:
    /// ε = 1 − objective of the events the SLO window expects at the steady rate. Each
    /// factor is checked from the configuration, not from the record: 99% over one day at
    /// 600 req/s allows 518,400 bad events.
    #[test]
    fn budget_consumed_is_bad_events_over_epsilon_of_the_windows_events() {
        let mut cfg = sim_core::testing::world(3, 60);
        cfg.slo.objective = 0.99;
        cfg.slo.window = SimDuration::from_secs(86_400);
        cfg.versions[0].error_probability = 0.05;
        let rec = sim_core::twin::run_twin(&cfg, SimDuration::ZERO);
        let m = RunMetrics::derive(&rec, SimDuration::from_secs(60));
        let bad = rec.counts.bad_total();
        assert!(bad > 1000, "{bad} bad events");
        let allowance = (1.0 - 0.99) * 600.0 * 86_400.0;
        let expected = 100.0 * bad as f64 / allowance;
        assert!(
            (m.budget_consumed_pct - expected).abs() <= 1e-9 * expected,
            "{} against {expected}",
            m.budget_consumed_pct
        );
    }

    /// A record of the reference fleet (20 M/M/1 queues at 60%, 30 s), its times and
    /// counts then set by hand: what `run.json` derives from them.
    fn record() -> RunRecord {
        let cfg = sim_core::testing::world(3, 30);
        let mut r = sim_core::twin::run_twin(&cfg, SimDuration::ZERO);
        let t = |s: u64| Some(SimTime::from_secs(s));
        r.horizon = SimTime::from_secs(600);
        r.t_impact_start = t(100);
        r.detection = Some(sim_core::record::Detection {
            at: SimTime::from_secs(130),
            detector: "gate".into(),
            reason: "why".into(),
        });
        r.t_last_bad = t(200);
        r.t_recover = t(250);
        r.t_change_start = t(50);
        r.t_change_end = t(350);
        let ro = &mut r.rollout;
        (ro.t_first_step, ro.t_last_step, ro.steps) = (t(50), t(150), 3);
        ro.step_gap_max = SimDuration::from_secs(60);
        (ro.healthy_min, ro.healthy_pod_nanos) = (Some(15), 1800 * 1_000_000_000);
        ro.change_window = SimDuration::from_secs(100);
        (ro.candidate_starts, ro.candidate_crashes) = (8, 2);
        (ro.dependency_calls, ro.dependency_errors) = (4.0, 1);
        (r.counts.kpi_requests, r.counts.conversions) = (200, 50);
        r
    }

    /// Every time, duration and ratio of `run.json` from a record whose figures are
    /// known: detection 30 s after the impact, mitigation (the last bad event, held
    /// quiet for the hold) 70 s after that, batches of 100 s on average, the longest
    /// the 200 s tail to the change's end, 15 of 20 pods the least healthy.
    #[test]
    fn run_json_figures_follow_the_record() {
        let hold = SimDuration::from_secs(60);
        let m = RunMetrics::derive(&record(), hold);
        assert_eq!(
            (m.ttd_s, m.ttm_s, m.impact_duration_s, m.tt_recover_s),
            (Some(30.0), Some(70.0), Some(100.0), Some(150.0))
        );
        assert_eq!(
            (m.t_mitigate_s, m.deploy_duration_s),
            (Some(200.0), Some(300.0))
        );
        assert_eq!(
            (m.batch_time_mean_s, m.batch_time_max_s, m.batches_per_hour),
            (Some(100.0), Some(200.0), Some(36.0))
        );
        assert_eq!(m.healthy_ratio_min, Some(0.75));
        assert_eq!(m.healthy_ratio_mean, Some(0.9));
        assert_eq!(m.candidate_crash_rate, Some(250.0));
        assert_eq!(m.dependency_error_rate, 0.25);
        assert_eq!(m.kpi_conversion_rate, Some(0.25));
        // Latency in ms, against M/M/1 at 60% on 20 ms: sojourn exponential of rate
        // 20/s, mean 50 ms, p50 ln 2/20, p95 ln 20/20, p99 ln 100/20 s.
        let within = |x: Option<f64>, lo: f64, hi: f64| x.is_some_and(|x| (lo..hi).contains(&x));
        assert!(
            within(m.latency_mean_ms, 45.0, 55.0),
            "{:?}",
            m.latency_mean_ms
        );
        assert!(
            within(m.latency_p50_ms, 30.0, 40.0),
            "{:?}",
            m.latency_p50_ms
        );
        assert!(
            within(m.latency_p95_ms, 135.0, 165.0),
            "{:?}",
            m.latency_p95_ms
        );
        assert!(
            within(m.latency_p99_ms, 200.0, 260.0),
            "{:?}",
            m.latency_p99_ms
        );
        // The last bad event exactly the hold before the horizon is mitigated; one
        // nanosecond later it is not.
        let mut r = record();
        r.t_last_bad = Some(SimTime::from_secs(540));
        assert_eq!(RunMetrics::derive(&r, hold).t_mitigate_s, Some(540.0));
        r.t_last_bad = Some(SimTime::from_secs(540) + SimDuration(1));
        assert_eq!(RunMetrics::derive(&r, hold).t_mitigate_s, None);
    }

    /// The ratios without a denominator: no batch finished, no desired pod, a change
    /// of no time, no candidate start, no dependency call, no KPI request, no budget.
    #[test]
    fn run_json_ratios_without_a_denominator_are_absent_or_zero() {
        let mut r = record();
        // A change still running: its last batch is unfinished, 2 done in 100 s.
        r.t_change_end = None;
        let m = RunMetrics::derive(&r, SimDuration::ZERO);
        assert_eq!(
            (m.batch_time_mean_s, m.batch_time_max_s),
            (Some(50.0), Some(60.0))
        );
        r.rollout.steps = 1;
        (r.rollout.t_first_step, r.rollout.t_last_step) = (r.t_change_start, r.t_change_start);
        assert_eq!(
            RunMetrics::derive(&r, SimDuration::ZERO).batch_time_mean_s,
            None
        );
        let mut r = record();
        r.rollout.change_window = SimDuration::ZERO;
        (r.rollout.candidate_starts, r.rollout.dependency_calls) = (0, 0.0);
        r.counts.kpi_requests = 0;
        r.error_budget = 0.0;
        let m = RunMetrics::derive(&r, SimDuration::ZERO);
        assert_eq!(
            (m.healthy_ratio_min, m.healthy_ratio_mean),
            (Some(0.75), None)
        );
        assert_eq!(m.candidate_crash_rate, None);
        assert_eq!(m.dependency_error_rate, 0.0);
        assert_eq!(m.kpi_conversion_rate, None);
        assert_eq!(m.budget_consumed_pct, 0.0);
        r.desired = 0;
        assert_eq!(
            RunMetrics::derive(&r, SimDuration::ZERO).healthy_ratio_min,
            None
        );
        // With a moving desired count, the ratios are against it.
        let mut r = record();
        r.rollout.moving_desired = Some(sim_core::record::MovingDesired {
            ratio_min: Some(0.6),
            desired_pod_nanos: 2000 * 1_000_000_000,
        });
        let m = RunMetrics::derive(&r, SimDuration::ZERO);
        assert_eq!(
            (m.healthy_ratio_min, m.healthy_ratio_mean),
            (Some(0.6), Some(0.9))
        );
    }

    /// The outcome classes (DESIGN §5). A release fault: escaped once every pod ran
    /// the candidate or it was promoted, else caught if detected, else stalled. None:
    /// a false rollback if detected and stopped, else succeeded if promoted or nothing
    /// changed, else stalled.
    #[test]
    fn outcome_classes() {
        let t = Some(SimTime::from_secs(300));
        let case = |release_fault: bool,
                    full_fleet: bool,
                    promoted: bool,
                    detected: bool,
                    phase: Phase,
                    started: bool| {
            let mut r = record();
            r.t_release_fault_active = release_fault.then_some(SimTime::from_secs(60));
            r.t_full_fleet = if full_fleet { t } else { None };
            r.t_promoted = if promoted { t } else { None };
            if !detected {
                r.detection = None;
            }
            r.final_phase = phase;
            if !started {
                r.t_change_start = None;
            }
            outcome(&r)
        };
        use Outcome::*;
        use Phase::{Paused, Progressing, Promoted, RolledBack};
        assert_eq!(case(true, true, false, false, Progressing, true), Escaped);
        assert_eq!(case(true, false, true, false, Promoted, true), Escaped);
        assert_eq!(case(true, false, false, true, RolledBack, true), Caught);
        assert_eq!(case(true, false, false, false, Progressing, true), Stalled);
        assert_eq!(
            case(false, false, false, true, RolledBack, true),
            FalseRollback
        );
        assert_eq!(case(false, false, false, true, Paused, true), FalseRollback);
        assert_eq!(case(false, true, true, true, Promoted, true), Succeeded);
        assert_eq!(case(false, false, false, false, Paused, true), Stalled);
        assert_eq!(
            case(false, false, false, false, Progressing, false),
            Succeeded
        );
        assert_eq!(case(false, true, true, false, Promoted, true), Succeeded);
        assert_eq!(case(false, false, false, false, Progressing, true), Stalled);
    }

    /// A fault's bad events reach `run.json` by class, each from its own counter.
    #[test]
    fn a_faults_bad_events_keep_their_classes() {
        let cfg = sim_core::testing::world(3, 30);
        let mut rec = sim_core::twin::run_twin(&cfg, SimDuration::ZERO);
        let mut bad = [0; 4];
        bad[BadClass::Error.index()] = 1;
        bad[BadClass::Timeout.index()] = 2;
        bad[BadClass::Slow.index()] = 3;
        bad[BadClass::SessionLost.index()] = 4;
        rec.faults = vec![sim_core::record::FaultRecord {
            name: "f".into(),
            bad,
            ..Default::default()
        }];
        let m = RunMetrics::derive(&rec, SimDuration::from_secs(60));
        assert_eq!(
            m.faults[0].bad_events,
            BadByClass {
                error: 1,
                timeout: 2,
                slow: 3,
                session_lost: 4,
            }
        );
        assert_eq!(m.faults[0].bad_events.total(), 10);
    }

    /// An outcome reads back from its name, and nothing else reads as one.
    #[test]
    fn outcomes_parse_from_their_names_only() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.name()), Some(o));
        }
        assert_eq!(Outcome::parse("rolled_back"), None);
        assert_eq!(Outcome::parse(""), None);
    }

    #[test]
    fn a_stall_names_the_deadline_the_pending_pods_or_the_phase() {
        let other = LogRecord::new(SimTime::from_secs(5), LogKind::Condition, "flagger", "x");
        assert_eq!(
            stall_reason(
                None,
                &[deadline(100), other.clone(), deadline(700)],
                0,
                Phase::Progressing
            ),
            "ProgressDeadlineExceeded at 700 s (no progress for 600s; reported, not rolled back)",
            "the last report"
        );
        assert_eq!(
            stall_reason(None, &[deadline(700)], 1, Phase::Progressing),
            "ProgressDeadlineExceeded at 700 s (no progress for 600s; reported, not rolled back); \
             1 pod Pending at the horizon (no room in the cluster)"
        );
        assert_eq!(
            stall_reason(None, std::slice::from_ref(&other), 3, Phase::Progressing),
            "3 pods Pending at the horizon (no room in the cluster)"
        );
        // A deadline logged under another kind is not the condition.
        let step = LogRecord {
            kind: LogKind::Step,
            ..deadline(50)
        };
        assert_eq!(
            stall_reason(None, &[step, other], 0, Phase::Paused),
            "not promoted by the horizon (phase paused)"
        );
        assert_eq!(
            stall_reason(
                Some("event bound of 10 reached"),
                &[deadline(9)],
                2,
                Phase::Progressing
            ),
            "cut short by a hard bound: event bound of 10 reached"
        );
    }

    fn figures(budget: f64, bad: u64) -> Twin {
        Twin {
            budget_consumed_pct: budget,
            requests_bad: bad,
        }
    }

    #[test]
    fn the_release_costs_the_run_minus_its_twin() {
        let run = Twin {
            budget_consumed_pct: 3.872,
            requests_bad: 60_222,
        };
        let c = Counterfactual::of_figures(run, figures(3.852, 59_908));
        assert_eq!(c.budget_release_pct, 3.872 - 3.852);
        assert_eq!(c.bad_events_release, 314);
        assert_eq!(
            (c.twin_budget_consumed_pct, c.twin_requests_bad),
            (3.852, 59_908)
        );
    }

    /// A run identical to its twin costs exactly nothing: no rounding leaves a residue.
    #[test]
    fn a_run_equal_to_its_twin_costs_exactly_zero() {
        let same = figures(0.001_234_567, 22);
        let c = Counterfactual::of_figures(same, same);
        assert_eq!(
            c.budget_release_pct.to_bits(),
            0.0f64.to_bits(),
            "+0, not -0"
        );
        assert_eq!(c.bad_events_release, 0);
    }

    /// A release can cost less than nothing (a rollback that removed the pods an
    /// outage hit, or noise): the count difference keeps its sign.
    #[test]
    fn a_run_better_than_its_twin_has_a_negative_cost() {
        let c = Counterfactual::of_figures(figures(0.5, 100), figures(0.75, 150));
        assert_eq!(c.budget_release_pct, -0.25);
        assert_eq!(c.bad_events_release, -50);
        assert_eq!(signed_difference(0, u64::MAX), i64::MIN);
        assert_eq!(signed_difference(u64::MAX, 0), i64::MAX);
        assert_eq!(signed_difference(1 << 62, (1 << 62) + 1), -1);
    }
}
