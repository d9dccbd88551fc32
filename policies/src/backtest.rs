//! Backtesting a policy on past metrics: the policy's own controller (`Policy::controller`,
//! the code the simulator runs) is synced through a range of real samples, so it
//! evaluates its gates at the times, with the windows, counts and limits it uses in a
//! simulation: Flagger every `interval`, counting failed checks to `threshold`; an Argo
//! analysis every `interval` up to `count`, with `failureLimit`, `inconclusiveLimit`
//! and `consecutiveErrorLimit`; a rolling update or CodeDeploy batches every
//! `gate_interval` during each bake.
//!
//! The pods are read from the fleet's series when there are some ([`Fleet::Observed`]:
//! kube-state-metrics' ReplicaSet status, which `metrics.om` writes at every change):
//! the controller then sees the pods, ready and available counts as they were, and
//! syncs at each change as a real controller is woken by it, so a step waits for pods
//! to start as it did. Without them ([`Fleet::Instant`]) the fleet is taken to follow
//! the controller at once: a ReplicaSet scaled to `n` has `n` ready pods immediately,
//! available after the policy's `min_ready_seconds`, and pods removed are gone; a step
//! then waits only for what the controller itself waits for (pauses, bakes, analyses,
//! intervals). The observed fleet is what happened, whatever this controller asks: a
//! backtest of the policy that ran follows it exactly, one of another policy sees pods
//! that did not follow its requests (use the instant fleet for that). The rollout begins at the range's start (`from`, the controller's
//! change start: gates ignore the candidate's samples up to it, as in a simulation),
//! and nobody pages or promotes by hand.
//!
//! The controller's requests are logged as the simulator's engine logs them (`step`,
//! `phase`, `detect` records beside the controller's own `gate` records), so a
//! backtest's rows read like a run's `events.csv`.

use sim_core::lb::TrafficSplit;
use sim_core::log::{LogKind, LogRecord};
use sim_core::metrics::{MetricsView, Sample};
use sim_core::record::FleetPoint;
use sim_core::{Actions, CohortStatus, Command, Observation, Phase, SimDuration, SimTime, Version};

use crate::Policy;

/// The most controller syncs one backtest makes (a bound on the work, whatever the
/// policy's intervals): far more than a day of 1-second intervals.
pub const MAX_SYNCS: usize = 1_000_000;
/// Syncs at one instant before time must move (a controller that keeps changing the
/// fleet at the same time would otherwise never let it).
const SYNCS_PER_INSTANT: usize = 64;

/// What a backtest found.
#[derive(Clone, Debug, PartialEq)]
pub struct Backtest {
    /// Every record in time order: gate evaluations, steps, phases, detections.
    pub log: Vec<LogRecord>,
    /// The rollout's phase at the end.
    pub phase: Phase,
    /// Whether the controller was still waiting for a time inside the range when it
    /// ended (the range was too short to see its decision).
    pub cut_short: bool,
    /// Why the backtest stopped early, if a bound stopped it.
    pub limit_hit: Option<String>,
}

impl Backtest {
    /// The overall decision: what the controller would have done.
    pub fn decision(&self) -> Decision {
        match self.phase {
            Phase::Promoted => Decision::Promote,
            Phase::RollingBack | Phase::RolledBack => Decision::Rollback,
            Phase::Paused => Decision::Pause,
            Phase::Idle | Phase::Progressing if !self.cut_short => Decision::Pause,
            Phase::Idle | Phase::Progressing => Decision::Advance,
        }
    }
}

/// The controller's decision at one moment or over a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Promoted: the candidate takes the whole fleet.
    Promote,
    /// Still progressing (every step so far advanced or waited).
    Advance,
    /// Stopped and waiting for a human: a `pause` on failure, an Inconclusive analysis,
    /// a pause without duration.
    Pause,
    /// Rolled back or aborted.
    Rollback,
}

impl Decision {
    pub fn name(self) -> &'static str {
        match self {
            Decision::Promote => "promote",
            Decision::Advance => "advance",
            Decision::Pause => "pause",
            Decision::Rollback => "rollback",
        }
    }

    /// `rollcage gate`'s exit code for it: 0 go on, 1 roll back, 3 pause.
    pub fn exit_code(self) -> u8 {
        match self {
            Decision::Promote | Decision::Advance => 0,
            Decision::Rollback => 1,
            Decision::Pause => 3,
        }
    }
}

/// What one sync asked for, as a decision: the strongest of its requests.
pub fn step_decision(records: &[LogRecord]) -> Option<Decision> {
    let mut out = None;
    for r in records {
        let d = match (r.kind, r.subject.as_str()) {
            (LogKind::Phase, "promoted") => Decision::Promote,
            (LogKind::Phase, "rolling_back" | "rolled_back") => Decision::Rollback,
            (LogKind::Phase, "paused") => Decision::Pause,
            (LogKind::Step | LogKind::Phase, _) => Decision::Advance,
            _ => continue,
        };
        let rank = |d: Decision| match d {
            Decision::Advance => 0,
            Decision::Promote => 1,
            Decision::Pause => 2,
            Decision::Rollback => 3,
        };
        if out.is_none_or(|o| rank(d) > rank(o)) {
            out = Some(d);
        }
    }
    out
}

/// Where the backtest's pods come from.
#[derive(Clone, Copy, Debug)]
pub enum Fleet<'a> {
    /// Pods follow the controller at once (no fleet series).
    Instant,
    /// The fleet's status at each change, in time order (the ReplicaSets' `spec` is
    /// ignored: the controller's own requests are its spec).
    Observed(&'a [FleetPoint]),
}

/// One version's pods in the instant fleet.
#[derive(Clone, Copy, Default)]
struct Pods {
    spec: u32,
    available: u32,
    /// When the pods asked for last become available.
    available_at: Option<SimTime>,
}

/// Runs `policy`'s controller from `from` to `to` (inclusive) on `samples` (in time
/// order, the history before `from` included), with `replicas` pods desired.
pub fn run(
    policy: &Policy,
    samples: &[Sample],
    from: SimTime,
    to: SimTime,
    replicas: u32,
    source: Fleet<'_>,
) -> Backtest {
    let mut controller = policy.controller();
    let min_ready = controller.min_ready();
    let mut pods = [Pods::default(); 2];
    pods[Version::Baseline.index()] = Pods {
        spec: replicas,
        available: replicas,
        available_at: None,
    };
    let mut log: Vec<LogRecord> = Vec::new();
    let mut phase = Phase::Idle;
    let mut split = TrafficSplit::Pods;
    let mut act = Actions::default();
    // Every wake the controller asked for, earliest first: as in the engine's queue, a
    // later sync (a pod became ready) does not cancel one asked for before.
    let mut wakes: Vec<Wake> = Vec::new();
    let mut now = from;
    let mut at_instant = 0;
    let mut cut_short = false;
    let mut limit_hit = None;
    for syncs in 0.. {
        if syncs >= MAX_SYNCS {
            limit_hit = Some(format!("more than {MAX_SYNCS} controller syncs"));
            break;
        }
        for p in &mut pods {
            if p.available_at.is_some_and(|t| t <= now) {
                p.available = p.spec;
                p.available_at = None;
            }
        }
        let fleet = match source {
            Fleet::Observed(points) => match observed_at(points, now) {
                Some(p) => {
                    let mut c = p.cohorts;
                    for v in Version::ALL {
                        c[v.index()].spec = pods[v.index()].spec;
                    }
                    c
                }
                None => instant(&pods),
            },
            Fleet::Instant => instant(&pods),
        };
        let due = wakes.first().is_some_and(|w| w.at <= now);
        let trigger = if due { Some(wakes.remove(0)) } else { None };
        let seen = sees_scrape_at_now(samples, now, trigger);
        let visible = &samples[..samples.partition_point(|s| s.at < now || (seen && s.at == now))];
        let obs = Observation {
            now,
            desired: replicas,
            release_requested: true,
            fleet,
            terminating: 0,
            metrics: MetricsView::over(visible, now),
            rollback_requested: None,
        };
        act.clear();
        controller.sync(&obs, &mut act);
        if let Some(w) = act.wake_at {
            let w = Wake {
                at: w.max(now),
                asked_at: now,
                saw_scrape: seen,
            };
            let i = wakes.partition_point(|x| x.at <= w.at);
            wakes.insert(i, w);
        }
        log.append(&mut act.log);
        let mut changed = false;
        for cmd in act.commands.drain(..) {
            match cmd {
                Command::SetReplicas { version, count } => {
                    let p = &mut pods[version.index()];
                    if p.spec == count {
                        continue;
                    }
                    log.push(LogRecord::new(
                        now,
                        LogKind::Step,
                        version.name(),
                        format!("replicas {} -> {count}", p.spec),
                    ));
                    changed = true;
                    p.spec = count;
                    if count <= p.available || min_ready == SimDuration::ZERO {
                        p.available = count;
                        p.available_at = None;
                    } else {
                        p.available_at = Some(now + min_ready);
                    }
                }
                Command::SetTraffic(s) => {
                    if s != split {
                        let what = match s {
                            TrafficSplit::Pods => "traffic by pod count".to_string(),
                            TrafficSplit::CandidateWeight(w) => {
                                format!("candidate weight {:.1}%", w * 100.0)
                            }
                        };
                        log.push(LogRecord::new(now, LogKind::Step, "traffic", what));
                        split = s;
                    }
                }
                Command::Phase { phase: p, reason } => {
                    if p != phase {
                        phase = p;
                        log.push(LogRecord::new(now, LogKind::Phase, p.name(), reason));
                    }
                }
                Command::Detected { detector, reason } => {
                    log.push(LogRecord::new(now, LogKind::Detect, detector, reason));
                }
            }
        }
        let pending = match source {
            Fleet::Instant => pods.iter().filter_map(|p| p.available_at).min(),
            Fleet::Observed(points) => {
                let i = points.partition_point(|p| p.at <= now);
                points.get(i).map(|p| p.at)
            }
        };
        let next = if changed && at_instant + 1 < SYNCS_PER_INSTANT {
            Some(now)
        } else {
            match (wakes.first().map(|w| w.at), pending) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        let Some(next) = next else { break };
        let next = next.max(now);
        if next > to {
            cut_short = true;
            break;
        }
        at_instant = if next == now { at_instant + 1 } else { 0 };
        if next == now && at_instant >= SYNCS_PER_INSTANT {
            // The controller asked for the same instant again and again: move on by
            // the smallest step the clock has rather than spin.
            now += SimDuration(1);
            at_instant = 0;
        } else {
            now = next;
        }
    }
    Backtest {
        log,
        phase,
        cut_short,
        limit_hit,
    }
}

/// A wake the controller asked for: when, when it asked, and whether the sync that
/// asked saw a scrape made at that very moment.
#[derive(Clone, Copy, Debug)]
struct Wake {
    at: SimTime,
    asked_at: SimTime,
    saw_scrape: bool,
}

/// Whether a sync at `now` sees a scrape made at the same instant, as the engine orders
/// events at one time (by when they were queued): the scrape at `now` is queued by the
/// scrape before it, at `prev`. A sync woken by the controller's own wake was queued
/// when it asked (`asked_at`): after `prev` it runs after the scrape and sees it, before
/// `prev` it runs first and does not, and at `prev` itself it follows the order of that
/// moment (whether the sync then saw the scrape at `prev`). Any other sync (the range's
/// first, a pod's change, a change at the same instant) is queued at `now`, after the
/// scrape, and sees it.
fn sees_scrape_at_now(samples: &[Sample], now: SimTime, trigger: Option<Wake>) -> bool {
    let i = samples.partition_point(|s| s.at < now);
    if samples.get(i).is_none_or(|s| s.at != now) {
        return false;
    }
    let Some(w) = trigger else { return true };
    match i.checked_sub(1).map(|j| samples[j].at) {
        None => true,
        Some(prev) if w.asked_at > prev => true,
        Some(prev) if w.asked_at == prev => w.saw_scrape,
        Some(_) => false,
    }
}

/// The instant fleet's status: every pod asked for exists and is ready.
fn instant(pods: &[Pods; 2]) -> [CohortStatus; 2] {
    pods.map(|p| CohortStatus {
        spec: p.spec,
        pods: p.spec,
        ready: p.spec,
        available: p.available,
        restarts: 0,
        terminating: 0,
    })
}

/// The observed fleet at `now`: the latest point at or before it.
fn observed_at(points: &[FleetPoint], now: SimTime) -> Option<&FleetPoint> {
    let i = points.partition_point(|p| p.at <= now);
    i.checked_sub(1).map(|i| &points[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::metrics::{CohortSample, MetricsStore};

    fn policy(name: &str) -> Policy {
        Policy::from_doc(&crate::builtin(name).expect("a built-in policy")).unwrap()
    }

    /// Scrapes every 15 s from 15 to `until` s, the candidate failing `errors` of 1000.
    fn samples(until: u64, errors: impl Fn(u64) -> u64) -> Vec<Sample> {
        let mut m = MetricsStore::default();
        for t in (15..=until).step_by(15) {
            let c = |e: u64| CohortSample {
                requests: 1000,
                errors: e,
                latency: sim_core::hist::SparseHistogram::from_values((0..1000).map(|_| 20_000)),
                memory_max_mb: 100.0,
                ready_instances: 1,
                ..CohortSample::default()
            };
            m.push(SimTime::from_secs(t), [c(0), c(errors(t))]);
        }
        m.samples().to_vec()
    }

    /// A backtest of 10 replicas on the instant fleet, from and to whole seconds.
    fn on_instant(p: &Policy, s: &[Sample], from: u64, to: u64) -> Backtest {
        run(
            p,
            s,
            SimTime::from_secs(from),
            SimTime::from_secs(to),
            10,
            Fleet::Instant,
        )
    }

    fn gate_times(b: &Backtest) -> Vec<u64> {
        let mut t: Vec<u64> = b
            .log
            .iter()
            .filter(|r| r.kind == LogKind::Gate)
            .map(|r| r.at.as_secs_f64() as u64)
            .collect();
        t.dedup();
        t
    }

    #[test]
    fn flagger_checks_every_interval_and_promotes_a_healthy_canary() {
        let p = policy("flagger-canary");
        let s = samples(3600, |_| 0);
        let b = on_instant(&p, &s, 60, 3600);
        assert_eq!(b.decision(), Decision::Promote, "{:#?}", b.log);
        let times = gate_times(&b);
        // The first tick (one interval in) sets the first weight without checks.
        assert_eq!(times[0], 60 + 120, "{times:?}");
        assert!(times.windows(2).all(|w| w[1] - w[0] == 60), "{times:?}");
    }

    #[test]
    fn flagger_rolls_back_after_threshold_failed_checks() {
        let p = policy("flagger-canary");
        let s = samples(3600, |_| 100);
        let b = on_instant(&p, &s, 60, 3600);
        assert_eq!(b.decision(), Decision::Rollback);
        let fails = b
            .log
            .iter()
            .filter(|r| r.kind == LogKind::Gate && r.verdict == Some("fail"))
            .map(|r| r.at)
            .collect::<std::collections::BTreeSet<_>>();
        let crate::PolicyKind::Canary(crate::CanarySpec::Flagger(f)) = &p.kind else {
            panic!("not flagger")
        };
        assert_eq!(fails.len() as u32, f.threshold, "{:#?}", b.log);
    }

    #[test]
    fn a_range_too_short_for_a_decision_advances_and_says_so() {
        let p = policy("gated-10pct");
        let s = samples(600, |_| 0);
        let b = on_instant(&p, &s, 60, 300);
        assert!(b.cut_short);
        assert_eq!(b.decision(), Decision::Advance);
        let bad = samples(600, |_| 100);
        let b = on_instant(&p, &bad, 60, 600);
        assert_eq!(b.decision(), Decision::Rollback, "{:#?}", b.log);
    }

    #[test]
    fn every_builtin_policy_runs_to_a_decision_on_healthy_metrics() {
        let s = samples(4 * 3600, |_| 0);
        for (name, _) in crate::BUILTIN {
            if name == "noop" {
                continue;
            }
            let p = policy(name);
            let b = on_instant(&p, &s, 60, 4 * 3600);
            assert!(b.limit_hit.is_none(), "{name}");
            assert_eq!(b.decision(), Decision::Promote, "{name}: {:#?}", b.log);
        }
    }

    fn status(pods: u32, ready: u32) -> CohortStatus {
        CohortStatus {
            spec: 0,
            pods,
            ready,
            available: ready,
            restarts: 0,
            terminating: 0,
        }
    }

    /// The times the candidate was scaled up, with the counts.
    fn candidate_steps(b: &Backtest) -> Vec<(f64, String)> {
        b.log
            .iter()
            .filter(|r| r.kind == LogKind::Step && r.subject == Version::Candidate.name())
            .map(|r| (r.at.as_secs_f64(), r.reason.clone()))
            .collect()
    }

    #[test]
    fn an_observed_fleet_holds_a_step_until_its_pods_are_there() {
        let p = policy("gated-10pct");
        let s = samples(3600, |_| 0);
        let from = SimTime::from_secs(60);
        let to = SimTime::from_secs(3600);
        // The canary pod asked for at 60 s is ready at 100 s; a stable pod goes at 100.2 s.
        let fleet = [
            FleetPoint {
                at: SimTime::ZERO,
                cohorts: [status(10, 10), status(0, 0)],
            },
            FleetPoint {
                at: from,
                cohorts: [status(10, 10), status(1, 0)],
            },
            FleetPoint {
                at: SimTime::from_secs(100),
                cohorts: [status(10, 10), status(1, 1)],
            },
            FleetPoint {
                at: SimTime(100_200_000_000),
                cohorts: [status(9, 9), status(1, 1)],
            },
        ];
        let instant = run(&p, &s, from, to, 10, Fleet::Instant);
        let observed = run(&p, &s, from, to, 10, Fleet::Observed(&fleet));
        let steps = |b: &Backtest| -> Vec<f64> { candidate_steps(b).iter().map(|x| x.0).collect() };
        // The bake (120 s) starts when the batch's pods are available: at once on the
        // instant fleet, at 100 s on the observed one.
        assert_eq!(steps(&instant)[..2], [60.0, 180.0]);
        assert_eq!(steps(&observed), [60.0, 220.0], "{:#?}", observed.log);
        // The second batch's pod never appears in the series: the controller waits,
        // and reports the deadline (600 s) after its last progress, as it would: strictly
        // after it, one nanosecond past (DeploymentTimedOut compares with `Before`).
        let deadline: Vec<SimTime> = observed
            .log
            .iter()
            .filter(|r| r.subject == "ProgressDeadlineExceeded")
            .map(|r| r.at)
            .collect();
        assert_eq!(deadline, [SimTime::from_secs(820) + SimDuration(1)]);
        // Kubernetes only reports the deadline: the rollout is still progressing.
        assert!(observed.cut_short);
        // And the gates go on being evaluated after it, every 15 s.
        assert!(
            observed
                .log
                .iter()
                .any(|r| r.kind == LogKind::Gate && r.at == SimTime::from_secs(835)),
            "{:#?}",
            &observed.log[observed.log.len().saturating_sub(4)..]
        );
        assert_eq!(observed.decision(), Decision::Advance);
    }

    /// A scrape at 30 s with the one before at 15 s.
    fn wake(asked_at: u64, saw_scrape: bool) -> Option<Wake> {
        Some(Wake {
            at: SimTime::from_secs(30),
            asked_at: SimTime::from_secs(asked_at),
            saw_scrape,
        })
    }

    #[test]
    fn a_scrape_at_the_sync_is_seen_in_the_engines_order() {
        let s = samples(60, |_| 0);
        let at = SimTime::from_secs(30);
        // Queued after the scrape before (15 s) queued this one: it runs after it.
        assert!(sees_scrape_at_now(&s, at, wake(20, false)));
        // Queued before: it runs first and does not see it.
        assert!(!sees_scrape_at_now(&s, at, wake(14, true)));
        // Queued at 15 s: as the sync then was ordered with the scrape then.
        assert!(sees_scrape_at_now(&s, at, wake(15, true)));
        assert!(!sees_scrape_at_now(&s, at, wake(15, false)));
        // A sync for a pod's change, or the range's first, is queued at the moment.
        assert!(sees_scrape_at_now(&s, at, None));
        // No scrape at that moment: nothing to see.
        assert!(!sees_scrape_at_now(&s, SimTime::from_secs(31), None));
    }
}
