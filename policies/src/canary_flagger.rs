//! `canary` with `semantics = "flagger"`: Flagger's canary scheduler.
//!
//! Flagger acts once per `interval`. On the new revision it scales the canary up to the
//! full replica count (beside the untouched primary). At each tick, in this order:
//! a promotion in progress routes all traffic to the primary (now running the new
//! version) and the next tick scales the canary to zero; a canary not ready waits
//! (and is rolled back after `progress_deadline_seconds`); `failedChecks >= threshold`
//! rolls back (so the rollback comes one tick after the failing check that reached the
//! threshold); otherwise the metric checks run over their windows (except on the first
//! tick, before any traffic) and a failure adds one to `failedChecks`, which is
//! cumulative and never reset; a window with no data is a failed check. When the
//! checks pass, the weight grows by `stepWeight` (capped at 100 only, so 50 / 20 goes 20,
//! 40, 60) or to the next of `stepWeights`, and once it has reached `maxWeight` the
//! canary is promoted. With `iterations` (Flagger's Blue/Green, the only mode of its
//! Kubernetes provider) the weight stays 0 and the canary is promoted after that many
//! passing ticks; `iteration_traffic_share` stands for the test traffic Flagger's load
//! tester (or an A/B match) would send it.
//!
//! In rollcage's two-version fleet the new primary and the canary both run the
//! candidate, so the promotion's primary update is modelled as the candidate pods
//! taking all traffic and the baseline pods being removed.
//!
//! The target's replicas (`Observation::desired`, which an autoscaler changes) are the
//! primary's: Flagger gives the primary its own HPA (a copy of the target's, aimed at
//! `<name>-primary`), so the primary follows them at every phase, before the release,
//! during the analysis, through the promotion and after a rollback; after a promotion
//! the candidate pods are the primary and follow them. The canary, scaled up to the
//! replicas when the analysis starts, follows them too while it is analysed. Real
//! Flagger leaves the canary to the target's own HPA, which scales it on the canary
//! pods' own load; that second autoscaler is not modelled: here the canary follows the
//! primary's count.

use serde::Serialize;
use sim_core::lb::TrafficSplit;
use sim_core::log::LogKind;
use sim_core::{Actions, Controller, Observation, Phase, SimDuration, SimTime, Version};

use crate::analysis::log_gate;
use crate::follow::follow;
use crate::gate::{GateSpec, Verdict};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlaggerSpec {
    pub interval_seconds: f64,
    /// Failed checks before a rollback.
    pub threshold: u32,
    /// Promotion weight (Flagger default 100); ignored with `step_weights`.
    pub max_weight: Option<u32>,
    pub step_weight: u32,
    pub step_weights: Vec<u32>,
    /// Blue/Green: passing ticks before promotion, weight staying 0.
    pub iterations: u32,
    pub iteration_traffic_share: f64,
    pub traffic_routing: bool,
    pub min_ready_seconds: f64,
    /// A canary whose pods are not available for this long is rolled back.
    pub progress_deadline_seconds: f64,
    pub gates: Vec<GateSpec>,
}

impl FlaggerSpec {
    /// `maxWeight()`: the last of `stepWeights` (at most 100), else `maxWeight`, else 100.
    pub fn max_weight(&self) -> u32 {
        if let Some(&last) = self.step_weights.last() {
            return last.min(100);
        }
        self.max_weight.filter(|&w| w > 0).unwrap_or(100)
    }

    /// `nextStepWeight()`.
    pub fn next_step_weight(&self, weight: u32) -> u32 {
        if self.step_weight > 0 || self.step_weights.is_empty() {
            return self.step_weight;
        }
        let max_step = 100u32.saturating_sub(weight);
        if max_step == 0 {
            return 1;
        }
        if weight == 0 {
            return max_step.min(self.step_weights[0]);
        }
        for pair in self.step_weights.windows(2) {
            if pair[0] == weight {
                return max_step.min(pair[1].saturating_sub(weight));
            }
        }
        max_step
    }

    /// Whether `runCanary` promotes at this weight: at `maxWeight`, or at 100 (the total
    /// weight, which also covers a last step weight above 100).
    pub fn should_promote(&self, weight: u32) -> bool {
        weight >= self.max_weight() || weight >= 100
    }

    /// The weights a healthy canary goes through before promotion.
    pub fn weight_schedule(&self) -> Vec<u32> {
        let mut out = Vec::new();
        if self.iterations > 0 {
            return out;
        }
        let mut w = 0;
        while !self.should_promote(w) && out.len() < 1000 {
            let step = self.next_step_weight(w);
            if step == 0 {
                break;
            }
            w = (w + step).min(100);
            out.push(w);
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Waiting,
    Progressing,
    /// Spec copied to the primary: next tick routes everything to it.
    Promoting,
    /// Traffic on the new primary: next tick scales the old pods away.
    Finalising,
    Succeeded,
    RollingBack,
    Failed,
}

pub struct FlaggerController {
    spec: FlaggerSpec,
    state: State,
    change_start: SimTime,
    next_tick: SimTime,
    weight: u32,
    iterations_done: u32,
    failed_checks: u32,
    /// When the canary last was (or began to be) ready, for the progress deadline.
    ready_since: SimTime,
    last_failure: Option<(String, String)>,
}

impl FlaggerController {
    pub fn new(spec: FlaggerSpec) -> Self {
        FlaggerController {
            spec,
            state: State::Waiting,
            change_start: SimTime::ZERO,
            next_tick: SimTime::ZERO,
            weight: 0,
            iterations_done: 0,
            failed_checks: 0,
            ready_since: SimTime::ZERO,
            last_failure: None,
        }
    }

    fn interval(&self) -> SimDuration {
        SimDuration::from_secs_f64(self.spec.interval_seconds)
    }

    fn set_weight(&mut self, act: &mut Actions, weight: u32) {
        self.weight = weight;
        act.set_traffic(TrafficSplit::CandidateWeight(weight as f64 / 100.0));
    }

    fn rollback(&mut self, obs: &Observation<'_>, act: &mut Actions, reason: String) {
        let (detector, why) = self
            .last_failure
            .clone()
            .unwrap_or_else(|| ("flagger".into(), reason.clone()));
        act.detected(detector, why);
        act.phase(Phase::RollingBack, reason);
        act.set_traffic(TrafficSplit::CandidateWeight(0.0));
        act.set_replicas(Version::Candidate, 0);
        act.set_replicas(Version::Baseline, obs.desired);
        self.state = State::RollingBack;
    }

    /// The primary, and the canary while it runs, take the target's replicas.
    fn follow_replicas(&self, obs: &Observation<'_>, act: &mut Actions) {
        match self.state {
            State::Waiting | State::RollingBack | State::Failed => {
                follow(obs, act, Version::Baseline)
            }
            State::Progressing | State::Promoting | State::Finalising => {
                follow(obs, act, Version::Baseline);
                follow(obs, act, Version::Candidate);
            }
            State::Succeeded => follow(obs, act, Version::Candidate),
        }
    }

    /// Every gate once; a failing gate or an empty window fails the check.
    fn checks_pass(&mut self, obs: &Observation<'_>, act: &mut Actions) -> bool {
        let mut ok = true;
        for g in &self.spec.gates {
            let r = g.evaluate(&obs.metrics, self.change_start);
            let failed = r.verdict == Verdict::Fail || r.value.is_none();
            log_gate(act, obs.now, g, &r, if failed { "fail" } else { "pass" });
            if failed && ok {
                ok = false;
                self.last_failure = Some((format!("gate:{}", g.name), r.reason.clone()));
            }
        }
        ok
    }

    fn tick(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        match self.state {
            State::Promoting => {
                self.set_weight(act, 100);
                act.note(
                    obs.now,
                    LogKind::Step,
                    "flagger",
                    "routing all traffic to the new primary",
                );
                self.state = State::Finalising;
                return;
            }
            State::Finalising => {
                act.set_replicas(Version::Baseline, 0);
                act.phase(Phase::Promoted, "promotion completed");
                self.state = State::Succeeded;
                return;
            }
            _ => {}
        }
        let cand = obs.cohort(Version::Candidate);
        if cand.available < cand.spec {
            let deadline =
                self.ready_since + SimDuration::from_secs_f64(self.spec.progress_deadline_seconds);
            if obs.now >= deadline {
                self.last_failure = Some((
                    "flagger:progress-deadline".into(),
                    format!(
                        "canary not ready for {}s",
                        self.spec.progress_deadline_seconds
                    ),
                ));
                self.rollback(
                    obs,
                    act,
                    "canary progress deadline exceeded: rollback".into(),
                );
            }
            return;
        }
        self.ready_since = obs.now;
        if self.failed_checks >= self.spec.threshold {
            self.rollback(
                obs,
                act,
                format!(
                    "failed checks {} >= threshold {}: rollback",
                    self.failed_checks, self.spec.threshold
                ),
            );
            return;
        }
        let first = self.weight == 0 && self.iterations_done == 0;
        if !first && !self.checks_pass(obs, act) {
            self.failed_checks += 1;
            act.note(
                obs.now,
                LogKind::Condition,
                "flagger",
                format!(
                    "failed checks {}/{}",
                    self.failed_checks, self.spec.threshold
                ),
            );
            return;
        }
        if self.spec.iterations > 0 {
            if first {
                act.set_traffic(TrafficSplit::CandidateWeight(
                    self.spec.iteration_traffic_share,
                ));
            }
            if self.iterations_done < self.spec.iterations {
                self.iterations_done += 1;
                act.note(
                    obs.now,
                    LogKind::Step,
                    "flagger",
                    format!(
                        "iteration {}/{}",
                        self.iterations_done, self.spec.iterations
                    ),
                );
                return;
            }
        } else if !self.spec.should_promote(self.weight) {
            let w = (self.weight + self.spec.next_step_weight(self.weight)).min(100);
            self.set_weight(act, w);
            return;
        }
        act.note(
            obs.now,
            LogKind::Step,
            "flagger",
            "copying the canary spec to the primary",
        );
        self.state = State::Promoting;
    }
}

impl Controller for FlaggerController {
    fn sync(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        if self.state == State::Waiting {
            if !obs.release_requested {
                self.follow_replicas(obs, act);
                return;
            }
            self.change_start = obs.now;
            self.ready_since = obs.now;
            act.phase(
                Phase::Progressing,
                "new revision detected: scaling up the canary",
            );
            act.set_traffic(TrafficSplit::CandidateWeight(0.0));
            act.set_replicas(Version::Candidate, obs.desired);
            self.state = State::Progressing;
            self.next_tick = obs.now + self.interval();
        }
        if obs.rollback_requested.is_some()
            && matches!(
                self.state,
                State::Progressing | State::Promoting | State::Finalising
            )
        {
            self.last_failure = Some(("flagger:manual".into(), "rollback requested".into()));
            self.rollback(
                obs,
                act,
                "on-call engineer rolls back after the page".into(),
            );
        }
        match self.state {
            State::Progressing | State::Promoting | State::Finalising => {
                if obs.now >= self.next_tick {
                    self.tick(obs, act);
                    self.next_tick = obs.now + self.interval();
                }
                if !matches!(self.state, State::Succeeded | State::RollingBack) {
                    act.wake_at(self.next_tick);
                }
            }
            State::RollingBack => {
                let base = obs.cohort(Version::Baseline);
                if obs.cohort(Version::Candidate).pods == 0 && base.available >= obs.desired {
                    act.phase(Phase::RolledBack, "canary scaled to zero, primary serving");
                    self.state = State::Failed;
                }
            }
            State::Waiting | State::Succeeded | State::Failed => {}
        }
        self.follow_replicas(obs, act);
    }

    fn min_ready(&self) -> SimDuration {
        SimDuration::from_secs_f64(self.spec.min_ready_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(max_weight: Option<u32>, step: u32, steps: &[u32]) -> FlaggerSpec {
        FlaggerSpec {
            interval_seconds: 60.0,
            threshold: 5,
            max_weight,
            step_weight: step,
            step_weights: steps.to_vec(),
            iterations: 0,
            iteration_traffic_share: 0.0,
            traffic_routing: true,
            min_ready_seconds: 0.0,
            progress_deadline_seconds: 600.0,
            gates: Vec::new(),
        }
    }

    #[test]
    fn linear_weights_overshoot_max_weight() {
        assert_eq!(spec(Some(50), 20, &[]).weight_schedule(), vec![20, 40, 60]);
        assert_eq!(
            spec(Some(50), 10, &[]).weight_schedule(),
            vec![10, 20, 30, 40, 50]
        );
        assert_eq!(spec(None, 30, &[]).weight_schedule(), vec![30, 60, 90, 100]);
    }

    #[test]
    fn step_weights_follow_the_list() {
        let s = spec(None, 0, &[1, 5, 10, 50, 80]);
        assert_eq!(s.max_weight(), 80);
        assert_eq!(s.weight_schedule(), vec![1, 5, 10, 50, 80]);
        // A last step above 100 promotes at 100.
        let over = spec(None, 0, &[20, 60, 120]);
        assert_eq!(over.weight_schedule(), vec![20, 60, 100]);
    }

    use crate::gate::{Comparison, EmptyRule, GateMetric};
    use sim_core::metrics::{CohortSample, MetricsStore};
    use sim_core::{CohortStatus, Command};

    /// Candidate error counts per 15 s scrape, `None` for a scrape with no candidate data.
    fn store(errors: impl Fn(u64) -> Option<u64>) -> MetricsStore {
        let mut m = MetricsStore::default();
        for t in (15..=3000).step_by(15) {
            let c = match errors(t) {
                Some(e) => CohortSample {
                    requests: 100,
                    errors: e,
                    ..CohortSample::default()
                },
                None => CohortSample::default(),
            };
            let b = CohortSample {
                requests: 900,
                ..CohortSample::default()
            };
            m.push(SimTime::from_secs(t), [b, c]);
        }
        m
    }

    /// Drives the controller tick by tick; returns the commands of every tick.
    fn drive(spec: FlaggerSpec, m: &MetricsStore, ticks: usize) -> Vec<Vec<Command>> {
        let mut c = FlaggerController::new(spec);
        let mut out = Vec::new();
        for k in 0..=ticks {
            let now = SimTime::from_secs(60 * k as u64);
            let ready = CohortStatus {
                spec: 10,
                pods: 10,
                ready: 10,
                available: 10,
                restarts: 0,
                terminating: 0,
            };
            let obs = Observation {
                now,
                desired: 10,
                release_requested: true,
                fleet: [
                    ready,
                    if k == 0 {
                        CohortStatus::default()
                    } else {
                        ready
                    },
                ],
                terminating: 0,
                metrics: m.view(now, SimDuration::ZERO),
                rollback_requested: None,
            };
            let mut act = Actions::default();
            c.sync(&obs, &mut act);
            out.push(act.commands);
        }
        out
    }

    fn gated() -> FlaggerSpec {
        let mut s = spec(Some(50), 10, &[]);
        s.threshold = 2;
        s.gates = vec![GateSpec {
            name: "errors".into(),
            metric: GateMetric::ErrorRatio,
            comparison: Comparison::Absolute,
            threshold: 0.05,
            slack: 0.0,
            window_seconds: 15.0,
            min_samples: 10,
            on_empty: EmptyRule::Pass,
        }];
        s
    }

    fn rolled_back_at(ticks: &[Vec<Command>]) -> Option<usize> {
        ticks.iter().position(|cs| {
            cs.iter().any(|c| {
                matches!(
                    c,
                    Command::Phase {
                        phase: Phase::RollingBack,
                        ..
                    }
                )
            })
        })
    }

    #[test]
    fn failed_checks_are_cumulative_and_roll_back_a_tick_later() {
        // Failing windows at ticks 2 and 4, a passing one at 3 between them: the count is
        // not reset, reaches the threshold 2 at tick 4, and tick 5 rolls back.
        let m = store(|t| Some(if t == 120 || t == 240 { 50 } else { 0 }));
        let ticks = drive(gated(), &m, 8);
        assert_eq!(rolled_back_at(&ticks), Some(5));
        assert!(
            ticks[5].iter().any(
                |c| matches!(c, Command::Detected { detector, .. } if detector == "gate:errors")
            )
        );
    }

    #[test]
    fn a_window_without_data_is_a_failed_check() {
        // No candidate data at ticks 2 and 3, even with on_empty = pass.
        let m = store(|t| if t == 120 || t == 180 { None } else { Some(0) });
        assert_eq!(rolled_back_at(&drive(gated(), &m, 8)), Some(4));
        // With data everywhere, the canary is promoted: 10..50, then promotion.
        let healthy = store(|_| Some(0));
        let ticks = drive(gated(), &healthy, 10);
        assert_eq!(rolled_back_at(&ticks), None);
        let promoted = ticks.iter().position(|cs| {
            cs.iter().any(|c| {
                matches!(
                    c,
                    Command::Phase {
                        phase: Phase::Promoted,
                        ..
                    }
                )
            })
        });
        // tick 1 weight 10 ... tick 5 weight 50, tick 6 promote, 7 route, 8 finalise.
        assert_eq!(promoted, Some(8));
    }

    /// The primary follows the target's replicas at every phase, and the canary while
    /// it is analysed; after a promotion the candidate pods (the new primary) follow,
    /// after a rollback the primary.
    #[test]
    fn the_primary_and_the_canary_follow_the_replicas() {
        use crate::test_fleet::Fleet;
        // Without gates every check passes: 20, 40, ... 100 one tick apart.
        let spec = FlaggerSpec {
            step_weight: 20,
            ..spec(None, 20, &[])
        };
        let mut c = FlaggerController::new(spec.clone());
        let mut f = Fleet::new(4);
        f.release_requested = false;
        f.resize(5);
        f.sync(&mut c);
        assert_eq!(f.spec, [5, 0], "before the release");
        f.settle();
        f.release_requested = true;
        f.sync(&mut c);
        assert_eq!(f.spec, [5, 5]);
        for n in [6, 5, 8] {
            f.resize(n);
            f.sync(&mut c);
            assert_eq!(f.spec, [n, n], "analysed");
        }
        f.run(&mut c, 1000, &[Phase::Promoted]);
        assert_eq!(f.phases.last(), Some(&Phase::Promoted));
        assert_eq!(f.spec, [0, 8]);
        f.resize(3);
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 3], "promoted");
        // A rollback: the primary follows, the canary stays at zero.
        let mut c = FlaggerController::new(spec);
        let mut f = Fleet::new(4);
        f.sync(&mut c);
        f.settle();
        f.rollback_requested = Some(f.now);
        f.sync(&mut c);
        assert_eq!(f.spec, [4, 0]);
        f.resize(7);
        f.sync(&mut c);
        assert_eq!(f.spec, [7, 0], "rolling back");
        f.settle();
        f.sync(&mut c);
        assert_eq!(f.phases.last(), Some(&Phase::RolledBack));
        f.resize(6);
        f.sync(&mut c);
        assert_eq!(f.spec, [6, 0], "rolled back");
    }
}
