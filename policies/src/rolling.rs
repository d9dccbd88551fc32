//! The `rolling` policy: a Kubernetes Deployment's RollingUpdate, plus what teams add on
//! top of it: a bake time between steps, health gates, and an action on failure.
//!
//! The step arithmetic is `k8s::rolling_sync`, exactly the controller's. The additions
//! only ever hold the controller back: after a step's new pods are all available, no
//! further action is taken until the bake time has passed and every gate has passed
//! on data scraped after the step. A failing gate stops the rollout at once.

use serde::Serialize;
use sim_core::log::{LogKind, LogRecord};
use sim_core::{Actions, Controller, Observation, Phase, SimDuration, SimTime, Version};

use crate::gate::{GateSpec, Verdict};
use crate::intstr::IntOrPercent;
use crate::k8s::{self, ReplicaSet, SyncAction};

/// What a failed gate does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureAction {
    /// Stop where it is and wait for a human.
    Pause,
    /// Scale the candidate to zero and the baseline back up at once.
    Abort,
    /// Roll back step by step with the rollback's own surge and unavailability.
    Rollback,
}

impl FailureAction {
    pub const NAMES: [&'static str; 3] = ["pause", "abort", "rollback"];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn parse(s: &str) -> Option<FailureAction> {
        match s {
            "pause" => Some(FailureAction::Pause),
            "abort" => Some(FailureAction::Abort),
            "rollback" => Some(FailureAction::Rollback),
            _ => None,
        }
    }
}

/// `maxSurge` and `maxUnavailable`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Fenceposts {
    pub max_surge: IntOrPercent,
    pub max_unavailable: IntOrPercent,
}

impl Fenceposts {
    pub fn resolve(&self, desired: u32) -> (u32, u32) {
        k8s::resolve_fenceposts(self.max_surge, self.max_unavailable, desired)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RollingSpec {
    #[serde(flatten)]
    pub step: Fenceposts,
    pub min_ready_seconds: f64,
    pub progress_deadline_seconds: f64,
    pub bake_seconds: f64,
    pub gate_interval_seconds: f64,
    pub gates: Vec<GateSpec>,
    pub on_failure: FailureAction,
    pub rollback: Fenceposts,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// No release yet.
    Waiting,
    Forward,
    Paused,
    RollingBack,
    /// Candidate scaled to zero at once; waiting for the baseline to be available.
    Aborting,
    Promoted,
    RolledBack,
}

/// A step's hold: the new ReplicaSet size it is for and when the bake ends.
#[derive(Clone, Copy, Debug)]
struct Hold {
    new_spec: u32,
    until: SimTime,
}

pub struct RollingController {
    spec: RollingSpec,
    state: State,
    change_start: SimTime,
    /// New ReplicaSet size whose hold has been cleared.
    cleared_for: u32,
    hold: Option<Hold>,
    next_gate_eval: SimTime,
    /// Time and overall verdict of the latest gate evaluation.
    last_verdict: Option<(SimTime, Verdict)>,
    last_progress: SimTime,
    last_new: ReplicaSet,
    deadline_reported: bool,
}

impl RollingController {
    pub fn new(spec: RollingSpec) -> Self {
        RollingController {
            spec,
            state: State::Waiting,
            change_start: SimTime::ZERO,
            cleared_for: 0,
            hold: None,
            next_gate_eval: SimTime::ZERO,
            last_verdict: None,
            last_progress: SimTime::ZERO,
            last_new: ReplicaSet {
                spec: 0,
                available: 0,
            },
            deadline_reported: false,
        }
    }

    fn secs(s: f64) -> SimDuration {
        SimDuration::from_secs_f64(s)
    }

    fn forward(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        let now = obs.now;
        let new = ReplicaSet::of(obs, Version::Candidate);
        if new != self.last_new {
            if new.spec != self.last_new.spec || new.available > self.last_new.available {
                self.last_progress = now;
            }
            self.last_new = new;
        }
        if !self.spec.gates.is_empty() && new.spec > 0 && now >= self.next_gate_eval {
            let verdict = self.evaluate_gates(obs, act);
            if verdict == Verdict::Fail {
                return;
            }
        }
        let holding = self.spec.bake_seconds > 0.0 || !self.spec.gates.is_empty();
        if holding && new.spec > self.cleared_for && new.spec > 0 && new.available >= new.spec {
            let hold = match self.hold {
                Some(h) if h.new_spec == new.spec => h,
                _ => {
                    let h = Hold {
                        new_spec: new.spec,
                        until: now + Self::secs(self.spec.bake_seconds),
                    };
                    act.note(
                        now,
                        LogKind::Step,
                        "bake",
                        format!(
                            "{} candidate pods available; holding {}s",
                            new.spec, self.spec.bake_seconds
                        ),
                    );
                    self.hold = Some(h);
                    h
                }
            };
            if now < hold.until {
                act.wake_at(hold.until);
                return;
            }
            if !self.spec.gates.is_empty() {
                let fresh = self.last_verdict.filter(|&(t, _)| t >= hold.until);
                let verdict = match fresh {
                    Some((_, v)) => v,
                    None => self.evaluate_gates(obs, act),
                };
                match verdict {
                    Verdict::Fail => return,
                    Verdict::Inconclusive => {
                        act.wake_at(self.next_gate_eval);
                        return;
                    }
                    Verdict::Pass => {}
                }
            }
            self.cleared_for = new.spec;
            // The hold was deliberate: it does not count against the deadline.
            self.last_progress = now;
        }
        if sync_towards(obs, act, Version::Candidate, &self.spec.step) {
            self.state = State::Promoted;
            act.phase(Phase::Promoted, "all replicas updated and available");
            return;
        }
        self.check_deadline(now, act);
    }

    /// Kubernetes reports a rollout that made no progress for
    /// `progressDeadlineSeconds` and does nothing else about it.
    fn check_deadline(&mut self, now: SimTime, act: &mut Actions) {
        if self.deadline_reported {
            return;
        }
        let deadline = self.last_progress + Self::secs(self.spec.progress_deadline_seconds);
        if now >= deadline {
            self.deadline_reported = true;
            act.note(
                now,
                LogKind::Condition,
                "ProgressDeadlineExceeded",
                format!(
                    "no progress for {}s; reported, not rolled back",
                    self.spec.progress_deadline_seconds
                ),
            );
        } else {
            act.wake_at(deadline);
        }
    }

    /// Evaluates every gate, logs each, and acts on a failure. Returns the overall
    /// verdict: fail if any failed, else inconclusive if any was, else pass.
    fn evaluate_gates(&mut self, obs: &Observation<'_>, act: &mut Actions) -> Verdict {
        let now = obs.now;
        let mut overall = Verdict::Pass;
        let mut failed = None;
        for g in &self.spec.gates {
            let r = g.evaluate(&obs.metrics, self.change_start);
            act.log(LogRecord {
                at: now,
                kind: LogKind::Gate,
                subject: g.name.clone(),
                value: r.value,
                threshold: r.bound,
                verdict: Some(r.verdict.name()),
                reason: r.reason.clone(),
            });
            match r.verdict {
                Verdict::Fail => {
                    overall = Verdict::Fail;
                    failed.get_or_insert((g.name.clone(), r.reason));
                }
                Verdict::Inconclusive if overall == Verdict::Pass => {
                    overall = Verdict::Inconclusive
                }
                _ => {}
            }
        }
        self.last_verdict = Some((now, overall));
        self.next_gate_eval = now + Self::secs(self.spec.gate_interval_seconds);
        act.wake_at(self.next_gate_eval);
        if let Some((name, reason)) = failed {
            act.detected(format!("gate:{name}"), reason);
            self.fail(obs, act, &name);
        }
        overall
    }

    fn fail(&mut self, obs: &Observation<'_>, act: &mut Actions, gate: &str) {
        match self.spec.on_failure {
            FailureAction::Pause => {
                self.state = State::Paused;
                act.phase(Phase::Paused, format!("gate {gate} failed: paused"));
            }
            FailureAction::Abort => {
                self.state = State::Aborting;
                act.phase(Phase::RollingBack, format!("gate {gate} failed: abort"));
                act.set_replicas(Version::Candidate, 0);
                act.set_replicas(Version::Baseline, obs.desired);
            }
            FailureAction::Rollback => {
                self.start_rollback(obs, act, format!("gate {gate} failed: rollback"));
            }
        }
    }

    fn start_rollback(&mut self, obs: &Observation<'_>, act: &mut Actions, reason: String) {
        self.state = State::RollingBack;
        act.phase(Phase::RollingBack, reason);
        self.roll_back(obs, act);
    }

    /// `kubectl rollout undo`: the baseline's ReplicaSet becomes the new one and the
    /// same RollingUpdate runs the other way, with the rollback's own fenceposts.
    fn roll_back(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        if sync_towards(obs, act, Version::Baseline, &self.spec.rollback) {
            self.state = State::RolledBack;
            act.phase(Phase::RolledBack, "all replicas back on the baseline");
        }
    }
}

/// One RollingUpdate sync with `to`'s ReplicaSet as the new one and the other
/// version's as the old one, within `fenceposts`; true, and nothing done, once the
/// rollout to `to` is complete.
fn sync_towards(
    obs: &Observation<'_>,
    act: &mut Actions,
    to: Version,
    fenceposts: &Fenceposts,
) -> bool {
    let desired = obs.desired;
    let from = to.other();
    let (new, old) = (ReplicaSet::of(obs, to), ReplicaSet::of(obs, from));
    if k8s::complete(desired, new, obs.cohort(from).pods) {
        return true;
    }
    let (surge, unavailable) = fenceposts.resolve(desired);
    match k8s::rolling_sync(desired, surge, unavailable, new, old) {
        SyncAction::ScaleNew(n) => act.set_replicas(to, n),
        SyncAction::ScaleOld(n) => act.set_replicas(from, n),
        SyncAction::Wait => {}
    }
    false
}

impl Controller for RollingController {
    fn sync(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        if self.state == State::Waiting {
            if !obs.release_requested {
                return;
            }
            self.state = State::Forward;
            self.change_start = obs.now;
            self.last_progress = obs.now;
            act.phase(Phase::Progressing, "rolling update started");
        }
        if obs.rollback_requested.is_some()
            && matches!(self.state, State::Forward | State::Paused | State::Promoted)
        {
            self.start_rollback(
                obs,
                act,
                "on-call engineer rolls back after the page".into(),
            );
            return;
        }
        match self.state {
            State::Forward => self.forward(obs, act),
            State::RollingBack => self.roll_back(obs, act),
            State::Aborting => {
                let base = obs.cohort(Version::Baseline);
                if base.available >= obs.desired && obs.cohort(Version::Candidate).pods == 0 {
                    self.state = State::RolledBack;
                    act.phase(Phase::RolledBack, "abort complete: baseline restored");
                }
            }
            State::Waiting | State::Paused | State::Promoted | State::RolledBack => {}
        }
    }

    fn min_ready(&self) -> SimDuration {
        Self::secs(self.spec.min_ready_seconds)
    }
}

/// Changes nothing: the control arm of a comparison.
pub struct NoopController;

impl Controller for NoopController {
    fn sync(&mut self, _obs: &Observation<'_>, _act: &mut Actions) {}
}
