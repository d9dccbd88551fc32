//! Argo Rollouts' progress deadline: `spec.progressDeadlineSeconds` (default 600) and
//! `spec.progressDeadlineAbort` (default false), as `rollout/sync.go` judges them at the
//! end of every reconcile of an update in flight (`persistRolloutStatus`), for the canary
//! and the blue-green strategies alike.
//!
//! The `Progressing` condition's `lastUpdateTime` is the clock. It is set when the new
//! ReplicaSet is created, and again whenever `RolloutProgressing` sees progress against
//! the status of the previous reconcile: a different number of updated pods, fewer old
//! pods, more ready or more available pods, a step index that moved, or (blue-green)
//! a service selector that moved. A paused rollout (`checkPausedConditions`: a pause
//! condition such as a pause step's or an Inconclusive analysis's) has the reason
//! `RolloutPaused` and never times out; resuming sets the clock to the resumption. A
//! step that is a pause or an analysis (`isIndefiniteStep`) does not count against the
//! deadline either. A healthy rollout (`RolloutHealthy`: every pod updated and available,
//! the strategy complete) takes the reason `NewReplicaSetAvailable`, its clock set when
//! it first becomes so.
//!
//! `RolloutTimedOut` is strict: `lastUpdateTime + deadline` must be *before* now, so a
//! reconcile exactly at the deadline has not timed out and one a nanosecond later has.
//! Without abort, the condition becomes `ProgressDeadlineExceeded` (the Rollout's phase
//! Degraded) and the rollout goes on as it was; with `progressDeadlineAbort`,
//! `evaluateProgressDeadlineAbort` aborts the update first, judging the condition the
//! previous reconcile left, unless this reconcile made progress or sits at an
//! indefinite step. That check does not skip a healthy condition: a blue-green rollout
//! whose post-promotion analysis outlasts the deadline without progress is aborted, as
//! the controller's code has it.
//!
//! Argo asks to be requeued a second after the deadline (against clock skew); the
//! simulation has none and asks for the first nanosecond past it, as `rolling` does.

use sim_core::log::LogKind;
use sim_core::{Actions, Observation, SimDuration, SimTime, Version};

/// What `RolloutProgressing` compares between two reconciles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArgoStatus {
    /// `status.replicas`: pods of every ReplicaSet, terminating ones excluded.
    pub replicas: u32,
    /// `status.updatedReplicas`: pods of the new ReplicaSet.
    pub updated: u32,
    /// `status.readyReplicas` (blue-green: the active ReplicaSet's).
    pub ready: u32,
    /// `status.availableReplicas` (blue-green: the active ReplicaSet's).
    pub available: u32,
    /// The strategy's own progress: a canary's `currentStepIndex`; for blue-green, how
    /// many of the preview and active selectors point at the new pods.
    pub strategy: u32,
}

impl ArgoStatus {
    /// A canary's status at step `index` (every ReplicaSet's readiness counts).
    pub fn canary(obs: &Observation<'_>, index: usize) -> ArgoStatus {
        let (b, c) = (
            obs.cohort(Version::Baseline),
            obs.cohort(Version::Candidate),
        );
        ArgoStatus {
            replicas: b.pods + c.pods,
            updated: c.pods,
            ready: b.ready + c.ready,
            available: b.available + c.available,
            strategy: index as u32,
        }
    }

    /// A blue-green rollout's status: readiness is the active ReplicaSet's
    /// (`syncRolloutStatusBlueGreen`), the candidate's once the active service switched.
    pub fn blue_green(obs: &Observation<'_>, selectors: u32, switched: bool) -> ArgoStatus {
        let (b, c) = (
            obs.cohort(Version::Baseline),
            obs.cohort(Version::Candidate),
        );
        let active = if switched { c } else { b };
        ArgoStatus {
            replicas: b.pods + c.pods,
            updated: c.pods,
            ready: active.ready,
            available: active.available,
            strategy: selectors,
        }
    }
}

/// `RolloutProgressing`.
pub fn rollout_progressing(old: &ArgoStatus, new: &ArgoStatus) -> bool {
    let old_old = old.replicas as i64 - old.updated as i64;
    let new_old = new.replicas as i64 - new.updated as i64;
    new.updated != old.updated
        || new_old < old_old
        || new.ready > old.ready
        || new.available > old.available
        || new.strategy != old.strategy
}

/// The `Progressing` condition's reason, as far as the deadline reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    /// `NewReplicaSetCreated`, `ReplicaSetUpdated`, `RolloutResumed`, ...
    Progressing,
    /// `RolloutPaused`: never times out.
    Paused,
    /// `NewReplicaSetAvailable`.
    Healthy,
    /// `ProgressDeadlineExceeded`.
    TimedOut,
}

/// What one reconcile of the update in flight saw.
#[derive(Clone, Copy, Debug)]
pub struct Reconcile {
    pub now: SimTime,
    pub status: ArgoStatus,
    /// A pause condition holds (a pause step running, an Inconclusive analysis, the
    /// blue-green auto-promotion wait).
    pub paused: bool,
    /// The current step is a pause or an analysis.
    pub indefinite: bool,
    /// `RolloutHealthy`.
    pub healthy: bool,
}

/// The deadline's state across reconciles.
#[derive(Clone, Debug)]
pub struct ProgressDeadline {
    deadline: SimDuration,
    seconds: f64,
    abort: bool,
    reason: Reason,
    last_update: SimTime,
    last: ArgoStatus,
    reported: bool,
}

impl ProgressDeadline {
    pub fn new(seconds: f64, abort: bool) -> ProgressDeadline {
        ProgressDeadline {
            deadline: SimDuration::from_secs_f64(seconds),
            seconds,
            abort,
            reason: Reason::Progressing,
            last_update: SimTime::ZERO,
            last: ArgoStatus::default(),
            reported: false,
        }
    }

    /// The new ReplicaSet was created (`NewReplicaSetCreated`): the clock starts.
    pub fn start(&mut self, now: SimTime, status: ArgoStatus) {
        self.reason = Reason::Progressing;
        self.last_update = now;
        self.last = status;
    }

    /// `RolloutTimedOut` on the condition as it stands.
    fn timed_out(&self, now: SimTime) -> bool {
        match self.reason {
            Reason::Paused => false,
            Reason::TimedOut => true,
            Reason::Progressing | Reason::Healthy => self.last_update + self.deadline < now,
        }
    }

    fn report(&mut self, now: SimTime, act: &mut Actions, what: &str) {
        if !self.reported {
            self.reported = true;
            act.note(
                now,
                LogKind::Condition,
                "ProgressDeadlineExceeded",
                format!("no progress for {}s; {what}", self.seconds),
            );
        }
    }

    /// Judges one reconcile; true when `progressDeadlineAbort` aborts the update now
    /// (the caller aborts). Logs `ProgressDeadlineExceeded` the first time the deadline
    /// passes, and asks to be woken the first moment it would.
    pub fn judge(&mut self, r: Reconcile, act: &mut Actions) -> bool {
        // checkPausedConditions
        if r.paused && self.reason != Reason::Paused {
            self.reason = Reason::Paused;
            self.last_update = r.now;
        } else if !r.paused && self.reason == Reason::Paused {
            self.reason = Reason::Progressing;
            self.last_update = r.now;
        }
        let progressing = rollout_progressing(&self.last, &r.status);
        self.last = r.status;
        let indefinite = r.indefinite || r.paused;
        // evaluateProgressDeadlineAbort: on the condition the last reconcile left.
        if self.abort && !progressing && !indefinite && self.timed_out(r.now) {
            self.report(r.now, act, "the rollout is aborted (progressDeadlineAbort)");
            return true;
        }
        // calculateRolloutConditions
        if r.healthy {
            if self.reason != Reason::Healthy {
                self.reason = Reason::Healthy;
                self.last_update = r.now;
            }
        } else if progressing {
            self.reason = Reason::Progressing;
            self.last_update = r.now;
        } else if !indefinite && self.timed_out(r.now) {
            self.reason = Reason::TimedOut;
            self.report(r.now, act, "the Rollout is Degraded and goes on (no abort)");
        }
        // requeueStuckRollout (the healthy case only matters with abort: see above)
        let waits = self.reason != Reason::TimedOut && !indefinite && (!r.healthy || self.abort);
        if waits {
            act.wake_at(self.last_update + self.deadline + SimDuration(1));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(updated: u32, available: u32) -> ArgoStatus {
        ArgoStatus {
            replicas: 10,
            updated,
            ready: available,
            available,
            strategy: 0,
        }
    }

    fn at(now: SimTime, status: ArgoStatus) -> Reconcile {
        Reconcile {
            now,
            status,
            paused: false,
            indefinite: false,
            healthy: false,
        }
    }

    fn reported(act: &Actions) -> bool {
        act.log
            .iter()
            .any(|r| r.subject == "ProgressDeadlineExceeded")
    }

    /// Strictly after the deadline: exactly at it is not a timeout, a nanosecond past
    /// it is; reported once.
    #[test]
    fn the_deadline_is_strict_and_reported_once() {
        for abort in [false, true] {
            let mut d = ProgressDeadline::new(60.0, abort);
            let t0 = SimTime::from_secs(100);
            d.start(t0, status(0, 10));
            let mut act = Actions::default();
            let deadline = t0 + SimDuration::from_secs(60);
            assert!(!d.judge(at(deadline, status(0, 10)), &mut act));
            assert!(!reported(&act), "abort {abort}");
            assert_eq!(act.wake_at, Some(deadline + SimDuration(1)));
            let fired = d.judge(at(deadline + SimDuration(1), status(0, 10)), &mut act);
            assert_eq!(fired, abort);
            assert!(reported(&act), "abort {abort}");
            let mut again = Actions::default();
            d.judge(at(deadline + SimDuration(2), status(0, 10)), &mut again);
            assert!(!reported(&again), "once");
        }
    }

    /// Progress restarts the clock; what counts as progress is `RolloutProgressing`'s.
    #[test]
    fn progress_is_what_argo_calls_progress() {
        let s = |replicas, updated, ready, available, strategy| ArgoStatus {
            replicas,
            updated,
            ready,
            available,
            strategy,
        };
        let old = s(10, 2, 8, 8, 1);
        assert!(!rollout_progressing(&old, &old));
        assert!(rollout_progressing(&old, &s(10, 3, 8, 8, 1)), "updated up");
        assert!(rollout_progressing(&old, &s(9, 1, 8, 8, 1)), "updated down");
        assert!(
            rollout_progressing(&old, &s(9, 2, 8, 8, 1)),
            "an old pod gone"
        );
        assert!(
            !rollout_progressing(&old, &s(11, 2, 8, 8, 1)),
            "an old pod more"
        );
        assert!(rollout_progressing(&old, &s(10, 2, 9, 8, 1)), "ready up");
        assert!(!rollout_progressing(&old, &s(10, 2, 7, 7, 1)), "ready down");
        assert!(
            rollout_progressing(&old, &s(10, 2, 8, 9, 1)),
            "available up"
        );
        assert!(rollout_progressing(&old, &s(10, 2, 8, 8, 2)), "step");
        let mut d = ProgressDeadline::new(60.0, false);
        d.start(SimTime::ZERO, old);
        let mut act = Actions::default();
        d.judge(at(SimTime::from_secs(50), s(10, 3, 8, 8, 1)), &mut act);
        d.judge(at(SimTime::from_secs(110), s(10, 3, 8, 8, 1)), &mut act);
        assert!(
            !reported(&act),
            "60 s from the progress at 50 s, not from 0"
        );
        d.judge(
            at(SimTime::from_secs(110) + SimDuration(1), s(10, 3, 8, 8, 1)),
            &mut act,
        );
        assert!(reported(&act));
    }

    /// A paused rollout never times out, however long; resuming restarts the clock.
    /// An indefinite step does not count either.
    #[test]
    fn a_pause_and_an_indefinite_step_never_time_out() {
        for abort in [false, true] {
            let mut d = ProgressDeadline::new(60.0, abort);
            d.start(SimTime::ZERO, status(1, 10));
            let mut act = Actions::default();
            let paused = |now| Reconcile {
                paused: true,
                ..at(now, status(1, 10))
            };
            for t in [30, 61, 3600, 86_400] {
                assert!(!d.judge(paused(SimTime::from_secs(t)), &mut act));
            }
            assert!(!reported(&act));
            assert_eq!(act.wake_at, None, "nothing to wait for while paused");
            // Resumed at 86 400 s: 60 s from then, not from the start.
            let resumed = SimTime::from_secs(86_401);
            assert!(!d.judge(at(resumed, status(1, 10)), &mut act));
            let deadline = resumed + SimDuration::from_secs(60);
            assert_eq!(act.wake_at, Some(deadline + SimDuration(1)));
            assert!(!d.judge(at(deadline, status(1, 10)), &mut act));
            assert!(!reported(&act));
            let past = deadline + SimDuration(1);
            let indefinite = Reconcile {
                indefinite: true,
                ..at(past, status(1, 10))
            };
            assert!(!d.judge(indefinite, &mut act));
            assert!(!reported(&act), "an analysis step");
            assert_eq!(d.judge(at(past, status(1, 10)), &mut act), abort);
            assert!(reported(&act));
        }
    }

    /// A healthy rollout is not Degraded without abort; with abort the check on the
    /// condition the last reconcile left does not skip a healthy one.
    #[test]
    fn a_healthy_rollout_times_out_only_with_abort() {
        for abort in [false, true] {
            let mut d = ProgressDeadline::new(60.0, abort);
            d.start(SimTime::ZERO, status(10, 10));
            let mut act = Actions::default();
            let healthy = |now| Reconcile {
                healthy: true,
                ..at(now, status(10, 10))
            };
            assert!(!d.judge(healthy(SimTime::from_secs(5)), &mut act));
            assert!(!d.judge(healthy(SimTime::from_secs(65)), &mut act));
            let fired = d.judge(healthy(SimTime::from_secs(65) + SimDuration(1)), &mut act);
            assert_eq!(fired, abort);
            assert_eq!(reported(&act), abort);
        }
    }
}
