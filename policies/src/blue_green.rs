//! `blue-green`: an Argo Rollouts blue-green rollout.
//!
//! The candidate (preview) stack is scaled to the full replica count beside the active
//! baseline and receives no production traffic. Once every preview pod is available,
//! the pre-promotion analysis runs on it; when it succeeds (and after
//! `auto_promotion_seconds`) the active service switches: all traffic goes to the
//! candidate at once, which is the promotion. The optional post-promotion analysis then
//! runs on live traffic; the old stack is kept for `scale_down_delay_seconds` (Argo
//! default 30 s) after the switch (or after the post-promotion analysis succeeds), so
//! that a rollback within that time is a switch back, instant. A failed or errored
//! analysis aborts (before the switch the preview is simply dropped, after it the
//! traffic switches back); an Inconclusive one pauses for a human. After an abort the
//! candidate stack is scaled down `abort_scale_down_delay_seconds` after the baseline is
//! fully available again, and never when that delay is 0 (Argo's
//! `GetAbortScaleDownDelaySecondsOrDefault` returns no delay for 0 and
//! `shouldDelayScaleDownOnAbort` then leaves the preview at its size).
//!
//! What preview analysis can see: the candidate's restarts and memory always (its pods
//! run), and requests only through `preview_traffic_share`, a share of real traffic
//! standing in for the test traffic a team sends to the preview service. With the
//! default share of 0 an error-ratio or latency gate sees no candidate requests and
//! follows its `on_empty` rule.
//!
//! The Rollout's `spec.replicas` (`Observation::desired`, which an autoscaler changes)
//! is followed at every phase as `reconcileBlueGreenReplicaSets` follows it, and with no
//! `haltProgress` in it a pause does not stop it: the stable (active) stack takes the
//! replicas always; the preview takes them too (rollcage has no `previewReplicaCount`);
//! after the switch the old stack waiting out its scale-down delay takes them as well
//! (`scaleDownDelayHelper` keeps a ReplicaSet with a deadline at the Rollout's
//! replicas). After an abort the preview keeps its size until its scale-down deadline
//! (`shouldDelayScaleDownOnAbort`), except with `abort_scale_down_delay_seconds = 0`,
//! where it stays up and follows the replicas. A change is first a scaling event
//! (`syncReplicasOnly`), which reconciles these counts and not the services; rollcage
//! applies the counts and the services in the same sync, which differs only within one
//! instant.
//!
//! The progress deadline (`progress_deadline_seconds`, `progress_deadline_abort`) is
//! `argo_progress`'s, judged until the rollout is complete (the switch, and the
//! post-promotion analysis if any, done); readiness counts are the active stack's, so
//! preview pods becoming ready are no progress.

use serde::Serialize;
use sim_core::lb::TrafficSplit;
use sim_core::{Actions, Controller, Observation, Phase, SimDuration, SimTime, Version};

use crate::analysis::{AnalysisRun, AnalysisSpec, RunStatus};
use crate::argo_progress::{ArgoStatus, ProgressDeadline, Reconcile};
use crate::follow::{follow, spec_after};
use crate::gate::GateSpec;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlueGreenSpec {
    pub pre_promotion_analysis: Option<AnalysisSpec>,
    pub post_promotion_analysis: Option<AnalysisSpec>,
    /// Wait after the preview is ready (and analysed) before switching.
    pub auto_promotion_seconds: f64,
    pub scale_down_delay_seconds: f64,
    pub abort_scale_down_delay_seconds: f64,
    pub preview_traffic_share: f64,
    pub min_ready_seconds: f64,
    /// `spec.progressDeadlineSeconds` (Argo default 600).
    pub progress_deadline_seconds: f64,
    /// `spec.progressDeadlineAbort`: abort an update that misses its deadline.
    pub progress_deadline_abort: bool,
    pub gates: Vec<GateSpec>,
}

#[derive(Clone, Debug)]
enum State {
    Waiting,
    /// Preview scaling up; then analysed; `ready_at` is when it was first all available.
    Preview {
        ready_at: Option<SimTime>,
        analysis: Option<AnalysisRun>,
    },
    /// Switched; post-promotion analysis (if any) running; old stack kept.
    Switched {
        analysis: Option<AnalysisRun>,
        scale_down_at: Option<SimTime>,
    },
    Done,
    /// Waiting for a human; `switched` once the active service points at the candidate.
    Paused {
        switched: bool,
    },
    /// Traffic back on the baseline (once it is available); the candidate removed as
    /// `drop` says.
    Aborting {
        drop: AbortDrop,
    },
    RolledBack,
}

/// When an aborted rollout's preview goes, as Argo's `reconcileNewReplicaSet` decides:
/// the `scale-down-deadline` is set `abortScaleDownDelaySeconds` after the active stack is
/// fully available again, and a delay of 0 means the preview is never scaled down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AbortDrop {
    /// The baseline is not yet fully available: no deadline yet.
    Pending,
    /// Scale the candidate to zero at this time.
    At(SimTime),
    /// `abort_scale_down_delay_seconds = 0`: the candidate stays up.
    Never,
}

impl AbortDrop {
    /// The state at an abort with `delay` seconds.
    pub(crate) fn start(delay: f64) -> AbortDrop {
        if delay == 0.0 {
            AbortDrop::Never
        } else {
            AbortDrop::Pending
        }
    }

    /// Moves on once the baseline is fully available; true when the candidate must go
    /// now. Asks to be woken at the deadline.
    pub(crate) fn due(
        &mut self,
        baseline_ready: bool,
        delay: f64,
        now: SimTime,
        act: &mut Actions,
    ) -> bool {
        if *self == AbortDrop::Pending && baseline_ready {
            *self = AbortDrop::At(now + SimDuration::from_secs_f64(delay));
        }
        match *self {
            AbortDrop::At(t) if now >= t => true,
            AbortDrop::At(t) => {
                act.wake_at(t);
                false
            }
            AbortDrop::Pending | AbortDrop::Never => false,
        }
    }
}

pub struct BlueGreenController {
    spec: BlueGreenSpec,
    state: State,
    change_start: SimTime,
    /// This sync ended waiting out `auto_promotion_seconds` (Argo's BlueGreenPause).
    promotion_wait: bool,
    deadline: ProgressDeadline,
}

impl BlueGreenController {
    pub fn new(spec: BlueGreenSpec) -> Self {
        let deadline =
            ProgressDeadline::new(spec.progress_deadline_seconds, spec.progress_deadline_abort);
        BlueGreenController {
            spec,
            state: State::Waiting,
            change_start: SimTime::ZERO,
            promotion_wait: false,
            deadline,
        }
    }

    /// The counts `reconcileBlueGreenReplicaSets` keeps in the state the rollout is in.
    fn follow_replicas(&self, obs: &Observation<'_>, act: &mut Actions) {
        match self.state {
            State::Waiting => follow(obs, act, Version::Baseline),
            State::Preview { .. } | State::Switched { .. } | State::Paused { .. } => {
                follow(obs, act, Version::Baseline);
                follow(obs, act, Version::Candidate);
            }
            State::Done => follow(obs, act, Version::Candidate),
            State::Aborting { drop } => {
                follow(obs, act, Version::Baseline);
                if drop == AbortDrop::Never {
                    follow(obs, act, Version::Candidate);
                }
            }
            State::RolledBack => {
                follow(obs, act, Version::Baseline);
                if spec_after(obs, act, Version::Candidate) > 0 {
                    // Left up by an abort delay of 0: the preview keeps following.
                    follow(obs, act, Version::Candidate);
                }
            }
        }
    }

    /// The progress deadline, judged until the rollout is complete.
    fn judge_deadline(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        let (switched, paused) = match self.state {
            State::Preview { .. } => (false, self.promotion_wait),
            State::Paused { switched } => (switched, true),
            State::Switched {
                analysis: Some(_), ..
            } => (true, false),
            _ => return,
        };
        let cand = obs.cohort(Version::Candidate);
        let r = Reconcile {
            now: obs.now,
            status: ArgoStatus::blue_green(obs, 1 + switched as u32, switched),
            paused,
            indefinite: false,
            healthy: switched && cand.pods == obs.desired && cand.available == obs.desired,
        };
        // Not a detection: the abort says the rollout made no progress, not that the
        // release is bad, so the run's outcome is `stalled` (with the condition as its
        // reason) rather than a false rollback or a catch.
        if self.deadline.judge(r, act) {
            self.abort(
                obs,
                act,
                "progress deadline exceeded: abort (progress_deadline_abort)".into(),
            );
        }
    }

    fn abort(&mut self, obs: &Observation<'_>, act: &mut Actions, reason: String) {
        act.phase(Phase::RollingBack, reason);
        act.set_replicas(Version::Baseline, obs.desired);
        let base = obs.cohort(Version::Baseline);
        if base.available >= obs.desired {
            act.set_traffic(TrafficSplit::CandidateWeight(0.0));
        }
        let mut drop = AbortDrop::start(self.spec.abort_scale_down_delay_seconds);
        drop.due(
            base.available >= obs.desired,
            self.spec.abort_scale_down_delay_seconds,
            obs.now,
            act,
        );
        self.state = State::Aborting { drop };
    }

    /// Steps an analysis; `Some(true)` succeeded, `Some(false)` the rollout stopped.
    fn analyse(
        &mut self,
        run: &mut AnalysisRun,
        obs: &Observation<'_>,
        act: &mut Actions,
        when: &str,
    ) -> Option<bool> {
        match run
            .step(&self.spec.gates, obs, self.change_start, act)
            .clone()
        {
            RunStatus::Running => None,
            RunStatus::Successful => Some(true),
            RunStatus::Inconclusive { gate, reason } => {
                act.phase(
                    Phase::Paused,
                    format!("{when} analysis Inconclusive on {gate}: {reason}"),
                );
                self.state = State::Paused {
                    switched: matches!(self.state, State::Switched { .. }),
                };
                Some(false)
            }
            RunStatus::Failed { gate, reason } => {
                act.detected(format!("gate:{gate}"), reason);
                self.abort(obs, act, format!("{when} analysis Failed on {gate}: abort"));
                Some(false)
            }
            RunStatus::Error { gate, reason } => {
                act.detected(format!("analysis-error:{gate}"), reason);
                self.abort(obs, act, format!("{when} analysis Error on {gate}: abort"));
                Some(false)
            }
        }
    }

    fn preview(
        &mut self,
        obs: &Observation<'_>,
        act: &mut Actions,
        ready_at: Option<SimTime>,
        analysis: Option<AnalysisRun>,
    ) {
        let cand = obs.cohort(Version::Candidate);
        let Some(ready) = ready_at.or((cand.available >= obs.desired).then_some(obs.now)) else {
            self.state = State::Preview { ready_at, analysis };
            return;
        };
        let mut run = match (analysis, self.spec.pre_promotion_analysis) {
            (Some(r), _) => Some(r),
            (None, Some(a)) => Some(AnalysisRun::start(a, ready, self.spec.gates.len())),
            (None, None) => None,
        };
        if let Some(r) = run.as_mut() {
            match self.analyse(r, obs, act, "pre-promotion") {
                None => {
                    self.state = State::Preview {
                        ready_at: Some(ready),
                        analysis: run,
                    };
                    return;
                }
                Some(false) => return,
                Some(true) => {}
            }
        }
        let switch_at = ready + SimDuration::from_secs_f64(self.spec.auto_promotion_seconds);
        if obs.now < switch_at {
            self.promotion_wait = true;
            act.wake_at(switch_at);
            self.state = State::Preview {
                ready_at: Some(ready),
                analysis: run,
            };
            return;
        }
        act.set_traffic(TrafficSplit::CandidateWeight(1.0));
        act.phase(Phase::Promoted, "active service switched to the new stack");
        let post = self
            .spec
            .post_promotion_analysis
            .map(|a| AnalysisRun::start(a, obs.now, self.spec.gates.len()));
        let scale_down_at = post.is_none().then(|| self.scale_down_at(obs, act));
        self.state = State::Switched {
            analysis: post,
            scale_down_at,
        };
        self.switched(obs, act);
    }

    fn scale_down_at(&self, obs: &Observation<'_>, act: &mut Actions) -> SimTime {
        let t = obs.now + SimDuration::from_secs_f64(self.spec.scale_down_delay_seconds);
        act.wake_at(t);
        t
    }

    fn switched(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        let State::Switched {
            analysis,
            scale_down_at,
        } = self.state.clone()
        else {
            return;
        };
        let mut scale_down_at = scale_down_at;
        let mut analysis = analysis;
        if let Some(run) = analysis.as_mut() {
            match self.analyse(run, obs, act, "post-promotion") {
                None => {
                    self.state = State::Switched {
                        analysis,
                        scale_down_at,
                    };
                    return;
                }
                Some(false) => return,
                Some(true) => {
                    analysis = None;
                    scale_down_at = Some(self.scale_down_at(obs, act));
                }
            }
        }
        match scale_down_at {
            Some(t) if obs.now >= t => {
                act.set_replicas(Version::Baseline, 0);
                self.state = State::Done;
            }
            _ => {
                self.state = State::Switched {
                    analysis,
                    scale_down_at,
                }
            }
        }
    }
}

impl Controller for BlueGreenController {
    fn sync(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        self.promotion_wait = false;
        if matches!(self.state, State::Waiting) {
            if !obs.release_requested {
                self.follow_replicas(obs, act);
                return;
            }
            self.change_start = obs.now;
            self.deadline
                .start(obs.now, ArgoStatus::blue_green(obs, 0, false));
            act.phase(Phase::Progressing, "preview stack scaling up");
            act.set_traffic(TrafficSplit::CandidateWeight(
                self.spec.preview_traffic_share,
            ));
            act.set_replicas(Version::Candidate, obs.desired);
            self.state = State::Preview {
                ready_at: None,
                analysis: None,
            };
        }
        if obs.rollback_requested.is_some()
            && matches!(
                self.state,
                State::Preview { .. } | State::Switched { .. } | State::Done | State::Paused { .. }
            )
        {
            self.abort(
                obs,
                act,
                "on-call engineer rolls back after the page".into(),
            );
        }
        match self.state.clone() {
            State::Preview { ready_at, analysis } => self.preview(obs, act, ready_at, analysis),
            State::Switched { .. } => self.switched(obs, act),
            State::Aborting { mut drop } => {
                let base = obs.cohort(Version::Baseline);
                let ready = base.available >= obs.desired;
                if ready {
                    act.set_traffic(TrafficSplit::CandidateWeight(0.0));
                }
                let delay = self.spec.abort_scale_down_delay_seconds;
                if drop.due(ready, delay, obs.now, act) {
                    act.set_replicas(Version::Candidate, 0);
                }
                self.state = State::Aborting { drop };
                let gone = obs.cohort(Version::Candidate).pods == 0;
                if ready && (gone || drop == AbortDrop::Never) {
                    let reason = if gone {
                        "back on the previous stack"
                    } else {
                        "back on the previous stack; the preview stays up \
                         (abort_scale_down_delay_seconds = 0)"
                    };
                    act.phase(Phase::RolledBack, reason);
                    self.state = State::RolledBack;
                }
            }
            State::Waiting | State::Done | State::Paused { .. } | State::RolledBack => {}
        }
        self.follow_replicas(obs, act);
        self.judge_deadline(obs, act);
    }

    fn min_ready(&self) -> SimDuration {
        SimDuration::from_secs_f64(self.spec.min_ready_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fleet::Fleet;

    fn spec(abort_delay: f64) -> BlueGreenSpec {
        BlueGreenSpec {
            pre_promotion_analysis: None,
            post_promotion_analysis: None,
            auto_promotion_seconds: 0.0,
            scale_down_delay_seconds: 600.0,
            abort_scale_down_delay_seconds: abort_delay,
            preview_traffic_share: 0.0,
            min_ready_seconds: 0.0,
            progress_deadline_seconds: 600.0,
            progress_deadline_abort: false,
            gates: Vec::new(),
        }
    }

    /// Promotes (old stack kept 600 s), then the human aborts: the baseline is still up,
    /// so the delay starts at the abort.
    fn abort_after_switch(abort_delay: f64) -> (Fleet, BlueGreenController) {
        let mut c = BlueGreenController::new(spec(abort_delay));
        let mut f = Fleet::new(4);
        f.run(&mut c, 100, &[Phase::Promoted]);
        assert_eq!(f.phases.last(), Some(&Phase::Promoted));
        f.now += SimDuration::from_secs(10);
        f.rollback_requested = Some(f.now);
        f.run(&mut c, 100, &[Phase::RolledBack]);
        assert_eq!(f.phases.last(), Some(&Phase::RolledBack));
        (f, c)
    }

    fn converge(f: &mut Fleet, c: &mut BlueGreenController) {
        f.run(c, 200, &[]);
    }

    /// Before the release the active stack follows the replicas; during the preview
    /// both stacks do; after the switch both do while the old one waits out its delay,
    /// then the new one alone. By one pod as by many.
    #[test]
    fn both_stacks_follow_the_replicas_until_the_old_one_goes() {
        let mut c = BlueGreenController::new(spec(30.0));
        let mut f = Fleet::new(4);
        f.release_requested = false;
        for n in [5, 3] {
            f.resize(n);
            f.sync(&mut c);
            assert_eq!(f.spec, [n, 0]);
        }
        f.settle();
        f.release_requested = true;
        f.sync(&mut c);
        assert_eq!(f.spec, [3, 3]);
        f.resize(6);
        f.sync(&mut c);
        assert_eq!(f.spec, [6, 6], "the preview and the active stack");
        f.run(&mut c, 100, &[Phase::Promoted]);
        assert_eq!(f.phases.last(), Some(&Phase::Promoted));
        let switched = f.now;
        f.resize(7);
        f.sync(&mut c);
        assert_eq!(
            f.spec,
            [7, 7],
            "the old stack waiting out its delay follows too"
        );
        f.settle();
        let scale_down = switched + SimDuration::from_secs(600);
        f.now = switched + SimDuration::from_secs(599) + SimDuration(999_999_999);
        f.sync(&mut c);
        assert_eq!(f.spec, [7, 7]);
        f.now = scale_down;
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 7]);
        f.resize(2);
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 2]);
    }

    /// Paused (an Inconclusive pre-promotion analysis), blue-green still scales both
    /// stacks: `reconcileBlueGreenReplicaSets` has no `haltProgress`.
    #[test]
    fn a_paused_blue_green_rollout_still_scales() {
        let mut c = BlueGreenController::new(BlueGreenSpec {
            pre_promotion_analysis: Some(AnalysisSpec::default()),
            gates: vec![crate::gate::GateSpec {
                name: "errors".into(),
                metric: crate::gate::GateMetric::ErrorRatio,
                comparison: crate::gate::Comparison::Absolute,
                threshold: 0.01,
                slack: 0.0,
                window_seconds: 60.0,
                min_samples: 100,
                on_empty: crate::gate::EmptyRule::Inconclusive,
            }],
            ..spec(30.0)
        });
        let mut f = Fleet::new(4);
        // One request per scrape: too few for a verdict, an Inconclusive measurement.
        f.healthy_scrapes(3600, 1);
        f.run(&mut c, 100, &[Phase::Paused]);
        assert_eq!(f.phases.last(), Some(&Phase::Paused));
        for n in [9, 8, 3] {
            f.resize(n);
            f.sync(&mut c);
            assert_eq!(f.spec, [n, n]);
        }
    }

    /// After an abort the stable stack follows the replicas; the preview keeps its size
    /// until its scale-down deadline, or, with an abort delay of 0, stays up and follows.
    #[test]
    fn after_an_abort_the_stable_follows_and_the_preview_is_held() {
        let (mut f, mut c) = abort_after_switch(30.0);
        assert_eq!(f.spec, [4, 0]);
        f.resize(6);
        f.sync(&mut c);
        assert_eq!(f.spec, [6, 0]);
        // Mid-abort: the preview held at 4 while the baseline grows.
        let mut c = BlueGreenController::new(spec(30.0));
        let mut f = Fleet::new(4);
        f.run(&mut c, 100, &[Phase::Promoted]);
        f.rollback_requested = Some(f.now);
        f.sync(&mut c);
        f.resize(5);
        f.sync(&mut c);
        assert_eq!(f.spec, [5, 4]);
        converge(&mut f, &mut c);
        assert_eq!(f.phases.last(), Some(&Phase::RolledBack));
        assert_eq!(f.spec, [5, 0]);
        // Left up (delay 0): the preview follows as well.
        let (mut f, mut c) = abort_after_switch(0.0);
        assert_eq!(f.spec, [4, 4]);
        f.resize(3);
        f.sync(&mut c);
        assert_eq!(f.spec, [3, 3]);
    }

    /// The progress deadline: preview pods never available time the rollout out
    /// strictly after the deadline; with abort the rollout is aborted.
    #[test]
    fn the_progress_deadline_at_and_past_it() {
        for abort in [false, true] {
            let mut c = BlueGreenController::new(BlueGreenSpec {
                progress_deadline_seconds: 60.0,
                progress_deadline_abort: abort,
                ..spec(30.0)
            });
            let mut f = Fleet::new(4);
            f.sync_until_quiet(&mut c, 10);
            assert_eq!(f.spec, [4, 4]);
            let deadline = SimTime::ZERO + SimDuration::from_secs(60);
            let reported = |f: &Fleet| {
                f.log
                    .iter()
                    .filter(|r| r.subject == "ProgressDeadlineExceeded")
                    .count()
            };
            f.now = deadline;
            f.sync(&mut c);
            assert_eq!(reported(&f), 0, "abort {abort}");
            f.now = deadline + SimDuration(1);
            f.sync(&mut c);
            assert_eq!(reported(&f), 1, "abort {abort}");
            assert_eq!(
                f.phases.last(),
                Some(if abort {
                    &Phase::RollingBack
                } else {
                    &Phase::Progressing
                })
            );
        }
    }

    /// With abort, a switched rollout whose post-promotion analysis outlasts the
    /// deadline without progress is aborted: `evaluateProgressDeadlineAbort` reads the
    /// healthy condition the last reconcile left as any other. Without abort it is not
    /// even reported (the rollout is healthy).
    #[test]
    fn a_long_post_promotion_analysis_meets_the_deadline_only_with_abort() {
        for abort in [false, true] {
            let mut c = BlueGreenController::new(BlueGreenSpec {
                post_promotion_analysis: Some(AnalysisSpec {
                    count: 100,
                    interval_seconds: 60.0,
                    ..AnalysisSpec::default()
                }),
                gates: vec![crate::gate::GateSpec {
                    name: "errors".into(),
                    metric: crate::gate::GateMetric::ErrorRatio,
                    comparison: crate::gate::Comparison::Absolute,
                    threshold: 0.01,
                    slack: 0.0,
                    window_seconds: 60.0,
                    min_samples: 10,
                    on_empty: crate::gate::EmptyRule::Inconclusive,
                }],
                progress_deadline_seconds: 120.0,
                progress_deadline_abort: abort,
                ..spec(30.0)
            });
            let mut f = Fleet::new(4);
            f.healthy_scrapes(7200, 1000);
            f.run(&mut c, 1000, &[Phase::RollingBack]);
            let reported = f
                .log
                .iter()
                .any(|r| r.subject == "ProgressDeadlineExceeded");
            assert_eq!(reported, abort);
            assert_eq!(f.phases.contains(&Phase::RollingBack), abort);
        }
    }

    /// `abortScaleDownDelaySeconds: 0` leaves the preview up indefinitely (Argo's table
    /// in docs/features/scaledown-aborted-rs.md, `shouldDelayScaleDownOnAbort`).
    #[test]
    fn an_abort_delay_of_zero_never_scales_the_candidate_down() {
        let (mut f, mut c) = abort_after_switch(0.0);
        assert_eq!(f.spec, [4, 4], "{:?}", f.path);
        f.now += SimDuration::from_secs(86_400);
        f.sync(&mut c);
        assert_eq!(f.spec, [4, 4]);
    }

    /// A delay of N scales the candidate down N seconds after the baseline is fully
    /// available: not a moment before.
    #[test]
    fn an_abort_delay_scales_the_candidate_down_after_it() {
        let (f, _) = abort_after_switch(30.0);
        assert_eq!(f.spec, [4, 0]);
        let abort = f.rollback_requested.unwrap();
        let last = *f.times.last().unwrap();
        assert_eq!(last, abort + SimDuration::from_secs(30));
        // The baseline had to come back first when it had been scaled away.
        let mut c = BlueGreenController::new(BlueGreenSpec {
            scale_down_delay_seconds: 0.0,
            ..spec(30.0)
        });
        let mut f = Fleet::new(4);
        f.run(&mut c, 100, &[]);
        assert_eq!(f.spec, [0, 4]);
        f.now += SimDuration::from_secs(10);
        f.rollback_requested = Some(f.now);
        f.sync(&mut c);
        assert_eq!(f.spec, [4, 4]);
        // Baseline pods start; the deadline waits for them.
        f.now += SimDuration::from_secs(20);
        f.sync(&mut c);
        assert_eq!(f.spec, [4, 4]);
        f.settle();
        let ready_at = f.now;
        f.sync(&mut c);
        assert_eq!(f.wake_at, Some(ready_at + SimDuration::from_secs(30)));
        f.now = ready_at + SimDuration::from_secs(29) + SimDuration(999_999_999);
        f.sync(&mut c);
        assert_eq!(f.spec, [4, 4]);
        f.now += SimDuration(1);
        f.sync(&mut c);
        assert_eq!(f.spec, [4, 0]);
    }
}
