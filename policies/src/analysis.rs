//! Running gates the way the controllers run them.
//!
//! `judge` evaluates every gate once and logs each result (Flagger's checks, CodeDeploy's
//! alarms). `AnalysisRun` is an Argo Rollouts AnalysisRun: each gate is one metric,
//! measured every `interval` until `count` measurements; a metric completes Failed when
//! `failed > failureLimit`, Inconclusive when `inconclusive > inconclusiveLimit`, Error
//! when `consecutiveErrors > consecutiveErrorLimit`, Successful when the count is
//! reached (Argo's `assessMetricStatus`). An Error measurement does not count towards
//! `count` and resets nothing but is reset by any other result. The first metric to
//! complete with anything but Successful terminates the run with that status.

use serde::Serialize;
use sim_core::log::{LogKind, LogRecord};
use sim_core::{Actions, Observation, SimDuration, SimTime};

use crate::gate::{GateResult, GateSpec, Verdict};

/// The result of evaluating every gate once.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// Fail if any failed, else inconclusive if any was, else pass.
    pub verdict: Verdict,
    /// The first failing gate and why.
    pub failed: Option<(String, String)>,
}

/// Logs one gate evaluation.
pub fn log_gate(
    act: &mut Actions,
    at: SimTime,
    g: &GateSpec,
    r: &GateResult,
    verdict: &'static str,
) {
    act.log(LogRecord {
        at,
        kind: LogKind::Gate,
        subject: g.name.clone(),
        value: r.value,
        threshold: r.bound,
        verdict: Some(verdict),
        reason: r.reason.clone(),
    });
}

/// Evaluates every gate on what `obs` shows since `since`, logging each.
pub fn judge(
    gates: &[GateSpec],
    obs: &Observation<'_>,
    since: SimTime,
    act: &mut Actions,
) -> Judgement {
    let mut verdict = Verdict::Pass;
    let mut failed = None;
    for g in gates {
        let r = g.evaluate(&obs.metrics, since);
        log_gate(act, obs.now, g, &r, r.verdict.name());
        match r.verdict {
            Verdict::Fail => {
                verdict = Verdict::Fail;
                failed.get_or_insert((g.name.clone(), r.reason));
            }
            Verdict::Inconclusive if verdict == Verdict::Pass => verdict = Verdict::Inconclusive,
            _ => {}
        }
    }
    Judgement { verdict, failed }
}

/// An Argo analysis: how often, how many times, and the limits.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AnalysisSpec {
    /// Measurements to take; the metric is Successful after this many non-error ones.
    pub count: u32,
    /// Time between measurements.
    pub interval_seconds: f64,
    /// Wait before the first measurement.
    pub initial_delay_seconds: f64,
    /// Failed measurements tolerated (Argo default 0: the first failure fails).
    pub failure_limit: u32,
    /// Inconclusive measurements tolerated (default 0).
    pub inconclusive_limit: u32,
    /// Consecutive errors tolerated (default 4: the fifth in a row is an Error).
    pub consecutive_error_limit: u32,
}

impl Default for AnalysisSpec {
    fn default() -> Self {
        AnalysisSpec {
            count: 1,
            interval_seconds: 60.0,
            initial_delay_seconds: 0.0,
            failure_limit: 0,
            inconclusive_limit: 0,
            consecutive_error_limit: 4,
        }
    }
}

/// How an analysis run (or one metric of it) ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Successful,
    /// The metric (gate) that failed and why.
    Failed {
        gate: String,
        reason: String,
    },
    Inconclusive {
        gate: String,
        reason: String,
    },
    Error {
        gate: String,
        reason: String,
    },
}

impl RunStatus {
    /// Argo's order from best to worst, used when several metrics end at once.
    fn rank(&self) -> u8 {
        match self {
            RunStatus::Running => 0,
            RunStatus::Successful => 1,
            RunStatus::Inconclusive { .. } => 2,
            RunStatus::Error { .. } => 3,
            RunStatus::Failed { .. } => 4,
        }
    }
}

/// Per-metric counters, as Argo's `MetricResult` keeps them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct MetricCounts {
    count: u32,
    failed: u32,
    inconclusive: u32,
    errors: u32,
    consecutive_errors: u32,
    successful_done: bool,
}

/// One running Argo AnalysisRun over the policy's gates.
#[derive(Clone, Debug)]
pub struct AnalysisRun {
    spec: AnalysisSpec,
    next: SimTime,
    metrics: Vec<MetricCounts>,
    status: RunStatus,
}

impl AnalysisRun {
    pub fn start(spec: AnalysisSpec, now: SimTime, gates: usize) -> Self {
        AnalysisRun {
            spec,
            next: now + SimDuration::from_secs_f64(spec.initial_delay_seconds),
            metrics: vec![MetricCounts::default(); gates],
            status: if gates == 0 {
                RunStatus::Successful
            } else {
                RunStatus::Running
            },
        }
    }

    pub fn status(&self) -> &RunStatus {
        &self.status
    }

    /// Takes the measurements due by `obs.now`, judging data since `since`, and returns
    /// the run's status; asks to be woken for the next measurement.
    pub fn step(
        &mut self,
        gates: &[GateSpec],
        obs: &Observation<'_>,
        since: SimTime,
        act: &mut Actions,
    ) -> &RunStatus {
        if self.status != RunStatus::Running {
            return &self.status;
        }
        if obs.now < self.next {
            act.wake_at(self.next);
            return &self.status;
        }
        let spec = self.spec;
        let mut ended = RunStatus::Running;
        for (g, m) in gates.iter().zip(self.metrics.iter_mut()) {
            if m.successful_done {
                continue;
            }
            let r = g.evaluate(&obs.metrics, since);
            let phase = if r.no_data {
                m.errors += 1;
                m.consecutive_errors += 1;
                "error"
            } else {
                m.count += 1;
                m.consecutive_errors = 0;
                match r.verdict {
                    Verdict::Pass => "pass",
                    Verdict::Fail => {
                        m.failed += 1;
                        "fail"
                    }
                    Verdict::Inconclusive => {
                        m.inconclusive += 1;
                        "inconclusive"
                    }
                }
            };
            log_gate(act, obs.now, g, &r, phase);
            // Why a limit ended the run: "failed (3) > failureLimit (2): <the gate's reason>".
            let over = |count: &str, n: u32, limit: &str, max: u32| {
                format!("{count} ({n}) > {limit} ({max}): {}", r.reason)
            };
            let status = if m.failed > spec.failure_limit {
                RunStatus::Failed {
                    gate: g.name.clone(),
                    reason: over("failed", m.failed, "failureLimit", spec.failure_limit),
                }
            } else if m.inconclusive > spec.inconclusive_limit {
                RunStatus::Inconclusive {
                    gate: g.name.clone(),
                    reason: over(
                        "inconclusive",
                        m.inconclusive,
                        "inconclusiveLimit",
                        spec.inconclusive_limit,
                    ),
                }
            } else if m.consecutive_errors > spec.consecutive_error_limit {
                RunStatus::Error {
                    gate: g.name.clone(),
                    reason: over(
                        "consecutiveErrors",
                        m.consecutive_errors,
                        "consecutiveErrorLimit",
                        spec.consecutive_error_limit,
                    ),
                }
            } else {
                // A count of 0 (a background analysis) measures until it is stopped.
                if spec.count > 0 && m.count >= spec.count {
                    m.successful_done = true;
                }
                RunStatus::Running
            };
            if status.rank() > ended.rank() {
                ended = status;
            }
        }
        if ended != RunStatus::Running {
            self.status = ended;
        } else if self.metrics.iter().all(|m| m.successful_done) {
            self.status = RunStatus::Successful;
        } else {
            self.next = obs.now + SimDuration::from_secs_f64(spec.interval_seconds);
            act.wake_at(self.next);
        }
        &self.status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{Comparison, EmptyRule, GateMetric};
    use sim_core::metrics::{CohortSample, MetricsStore};
    use sim_core::{CohortStatus, Command};

    fn gate() -> GateSpec {
        GateSpec {
            name: "errors".into(),
            metric: GateMetric::ErrorRatio,
            comparison: Comparison::Absolute,
            threshold: 0.01,
            slack: 0.0,
            window_seconds: 60.0,
            min_samples: 100,
            on_empty: EmptyRule::Inconclusive,
        }
    }

    /// A store with one scrape every 15 s up to `until`, the candidate serving
    /// `requests` per scrape with `errors` failures.
    fn store(until: u64, requests: u64, errors: u64) -> MetricsStore {
        let mut m = MetricsStore::default();
        for t in (15..=until).step_by(15) {
            let c = CohortSample {
                requests,
                errors,
                ..CohortSample::default()
            };
            m.push(SimTime::from_secs(t), [CohortSample::default(), c]);
        }
        m
    }

    fn obs(m: &MetricsStore, now: u64) -> Observation<'_> {
        Observation {
            now: SimTime::from_secs(now),
            desired: 10,
            release_requested: true,
            fleet: [CohortStatus::default(); 2],
            terminating: 0,
            metrics: m.view(SimTime::from_secs(now), SimDuration::ZERO),
            rollback_requested: None,
        }
    }

    /// Measures at 0, 60, 120 ... until the run ends; returns the status and when.
    fn run(spec: AnalysisSpec, m: &MetricsStore, times: &[u64]) -> (RunStatus, u64) {
        let gates = [gate()];
        let mut r = AnalysisRun::start(spec, SimTime::ZERO, 1);
        let mut act = Actions::default();
        for &t in times {
            let s = r.step(&gates, &obs(m, t), SimTime::ZERO, &mut act).clone();
            if s != RunStatus::Running {
                return (s, t);
            }
        }
        (RunStatus::Running, 0)
    }

    fn minutes(n: u64) -> Vec<u64> {
        (0..n).map(|i| 1000 + 60 * i).collect()
    }

    #[test]
    fn the_fifth_consecutive_error_ends_in_error_with_the_defaults() {
        // No scrape at all in any window: every measurement is an Error.
        let empty = MetricsStore::default();
        let spec = AnalysisSpec {
            count: 10,
            ..AnalysisSpec::default()
        };
        let (s, t) = run(spec, &empty, &minutes(10));
        assert!(matches!(s, RunStatus::Error { .. }), "{s:?}");
        assert_eq!(
            t,
            1000 + 4 * 60,
            "errors 1-4 are tolerated (limit 4, strictly greater)"
        );
        // Errors do not count towards `count`: five errors never make a success.
        let spec = AnalysisSpec {
            count: 1,
            consecutive_error_limit: 10,
            ..AnalysisSpec::default()
        };
        assert_eq!(run(spec, &empty, &minutes(5)).0, RunStatus::Running);
    }

    #[test]
    fn failure_limit_is_strict() {
        let bad = store(2000, 200, 20);
        let (s, t) = run(
            AnalysisSpec {
                count: 5,
                ..AnalysisSpec::default()
            },
            &bad,
            &minutes(5),
        );
        assert!(matches!(s, RunStatus::Failed { .. }));
        assert_eq!(t, 1000, "failureLimit 0: the first failure fails");
        let spec = AnalysisSpec {
            count: 5,
            failure_limit: 2,
            ..AnalysisSpec::default()
        };
        assert_eq!(
            run(spec, &bad, &minutes(5)).1,
            1000 + 2 * 60,
            "the third failure > 2"
        );
    }

    #[test]
    fn inconclusive_and_success() {
        // Data, but too few candidate requests: Inconclusive at once with the default limit.
        let thin = store(2000, 5, 0);
        let (s, _) = run(AnalysisSpec::default(), &thin, &minutes(3));
        assert!(matches!(s, RunStatus::Inconclusive { .. }), "{s:?}");
        let good = store(2000, 200, 0);
        let (s, t) = run(
            AnalysisSpec {
                count: 3,
                ..AnalysisSpec::default()
            },
            &good,
            &minutes(5),
        );
        assert_eq!((s, t), (RunStatus::Successful, 1000 + 2 * 60));
    }

    #[test]
    fn measurements_wait_for_the_interval() {
        let good = store(2000, 200, 0);
        let gates = [gate()];
        let spec = AnalysisSpec {
            count: 2,
            interval_seconds: 30.0,
            initial_delay_seconds: 10.0,
            ..AnalysisSpec::default()
        };
        let mut r = AnalysisRun::start(spec, SimTime::from_secs(1000), 1);
        let mut act = Actions::default();
        assert_eq!(
            *r.step(&gates, &obs(&good, 1005), SimTime::ZERO, &mut act),
            RunStatus::Running
        );
        assert_eq!(act.wake_at, Some(SimTime::from_secs(1010)));
        assert!(
            act.commands
                .iter()
                .all(|c| !matches!(c, Command::Detected { .. }))
        );
        assert_eq!(
            *r.step(&gates, &obs(&good, 1010), SimTime::ZERO, &mut act),
            RunStatus::Running
        );
        assert_eq!(
            *r.step(&gates, &obs(&good, 1030), SimTime::ZERO, &mut act),
            RunStatus::Running
        );
        assert_eq!(
            *r.step(&gates, &obs(&good, 1040), SimTime::ZERO, &mut act),
            RunStatus::Successful
        );
    }
}
