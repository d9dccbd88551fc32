//! The `rolling` policy: a Kubernetes Deployment's RollingUpdate, plus what teams add on
//! top of it: a bake time between steps, health gates, and an action on failure.
//!
//! The step arithmetic is `k8s::rolling_sync`, exactly the controller's, or with
//! `strategy = "recreate"` the Recreate strategy's: every old pod scaled away and gone
//! (terminating ones included) before the new ReplicaSet is created at full size. When
//! the desired replicas change mid-rollout, the sync is a scaling event instead and the
//! controller's `scale` shares the change out (`k8s::proportional_scale`). Progress and
//! its deadline are the controller's `DeploymentProgressing` and `DeploymentTimedOut`.
//!
//! The Deployment's replicas (`Observation::desired`, which an autoscaler changes) are
//! followed at every phase, as the controller follows them: before the release and at
//! rest the one active ReplicaSet takes the new count (`FindActiveOrLatest`); during the
//! rollout, the rollback and a bake hold a change is a scaling event (`isScalingEvent`:
//! an active ReplicaSet's `desired-replicas` annotation differs) handled before any
//! step; while paused (`on_failure = "pause"`) every sync is `scale`, as
//! `syncDeployment` runs `sync` for a paused Deployment, so a paused rollout is shared
//! out proportionally and, like the controller's, tops the largest ReplicaSet up to
//! `replicas + maxSurge` when it holds fewer pods. A sync that is a scaling event judges
//! no progress (the controller's `sync` writes the status without the Progressing
//! condition), so progress made before it counts only from the next sync.
//!
//! The additions only ever hold the controller back: after a step's new pods are all
//! available, no further action is taken until the bake time has passed and every gate
//! has passed on data scraped after the step. A failing gate stops the rollout at once.
//!
//! Terminating pods are treated as Kubernetes 1.33 to 1.36 treat them (the releases
//! whose `apps/v1` has `status.terminatingReplicas` and no Deployment
//! `spec.podReplacementPolicy`, which the Kubernetes API still lacks at the time of
//! writing): a RollingUpdate counts no terminating pod against surge or availability,
//! so replacements start as soon as old pods begin terminating (what the proposed
//! `TerminationStarted` policy would keep), while Recreate waits until no old pod is
//! running or terminating.

use serde::Serialize;
use sim_core::log::{LogKind, LogRecord};
use sim_core::{Actions, Controller, Observation, Phase, SimDuration, SimTime, Version};

use crate::gate::{GateSpec, Verdict};
use crate::intstr::IntOrPercent;
use crate::k8s::{
    self, AnnotatedReplicaSet, DeploymentStatus, ProgressCondition, ProgressReason, ReplicaSet,
    StrategyType, SyncAction,
};

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
    /// `spec.strategy.type`; with Recreate the fenceposts are unused.
    pub strategy: StrategyType,
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
    /// When `DeploymentProgressing` last held (the Progressing condition's
    /// `lastUpdateTime`).
    last_progress: SimTime,
    /// The status progress was last judged against.
    last_status: DeploymentStatus,
    deadline_reported: bool,
    /// The deadline wake last asked for: a sync at that moment may be the only one the
    /// gates' next evaluation was asked with (a sync asks for its earliest wake only).
    deadline_wake: Option<SimTime>,
    /// Each ReplicaSet's `desired-replicas` and `max-replicas` annotations, indexed by
    /// `Version::index()`; `None` before the controller first scales it.
    annotations: [Option<(u32, u32)>; 2],
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
            last_status: DeploymentStatus::default(),
            deadline_reported: false,
            deadline_wake: None,
            annotations: [None, None],
        }
    }

    fn secs(s: f64) -> SimDuration {
        SimDuration::from_secs_f64(s)
    }

    fn forward(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        let now = obs.now;
        let new = ReplicaSet::of(obs, Version::Candidate);
        let status = DeploymentStatus::of(obs, Version::Candidate);
        let scaling = self.stale(obs);
        if !scaling && k8s::deployment_progressing(&self.last_status, &status) {
            self.last_progress = now;
        }
        self.last_status = status;
        if !self.spec.gates.is_empty() && new.spec > 0 && now >= self.next_gate_eval {
            let verdict = self.evaluate_gates(obs, act);
            if verdict == Verdict::Fail {
                return;
            }
        }
        if scaling {
            // The controller scales whatever rollcage's hold says: the hold is judged
            // again, on the new sizes, at the next sync.
            let step = self.spec.step;
            self.share_out(obs, act, Version::Candidate, &step);
            return;
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
        let step = self.spec.step;
        if self.sync_towards(obs, act, Version::Candidate, &step) {
            self.state = State::Promoted;
            act.phase(Phase::Promoted, "all replicas updated and available");
            return;
        }
        self.check_deadline(now, act);
    }

    /// Kubernetes reports a rollout that made no progress for
    /// `progressDeadlineSeconds` (`DeploymentTimedOut`: strictly after the deadline)
    /// and does nothing else about it.
    fn check_deadline(&mut self, now: SimTime, act: &mut Actions) {
        if self.deadline_reported {
            return;
        }
        // The sync that asked for this deadline wake asked for it instead of the gates'
        // next evaluation, when that was later: ask for it again.
        if self.deadline_wake == Some(now)
            && !self.spec.gates.is_empty()
            && self.next_gate_eval > now
        {
            act.wake_at(self.next_gate_eval);
        }
        let deadline = k8s::progress_deadline(Some(self.spec.progress_deadline_seconds));
        let condition = ProgressCondition {
            reason: ProgressReason::Progressing,
            last_update: self.last_progress,
        };
        if k8s::deployment_timed_out(deadline, Some(condition), now) {
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
        } else if let Some(d) = deadline {
            // The first moment `DeploymentTimedOut` holds.
            let at = self.last_progress + d + SimDuration(1);
            self.deadline_wake = Some(at);
            act.wake_at(at);
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
                self.scale(obs, act, Version::Candidate, 0);
                self.scale(obs, act, Version::Baseline, obs.desired);
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
    /// same strategy runs the other way, with the rollback's own fenceposts.
    fn roll_back(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        let rollback = self.spec.rollback;
        if self.sync_towards(obs, act, Version::Baseline, &rollback) {
            self.state = State::RolledBack;
            act.phase(Phase::RolledBack, "all replicas back on the baseline");
        }
    }

    /// The surge the Deployment allows at `desired` replicas.
    fn surge(&self, fenceposts: &Fenceposts, desired: u32) -> u32 {
        k8s::max_surge(self.spec.strategy, fenceposts.resolve(desired).0)
    }

    /// The Deployment's `maxSurge` and `maxUnavailable` now: the rollback's while rolling
    /// back, the rollout's otherwise.
    fn in_force(&self) -> Fenceposts {
        if self.state == State::RollingBack {
            self.spec.rollback
        } else {
            self.spec.step
        }
    }

    /// Scales `v`'s ReplicaSet as `scaleReplicaSet` does: its spec and its annotations
    /// (the Deployment's replicas and replicas + surge).
    fn scale(&mut self, obs: &Observation<'_>, act: &mut Actions, v: Version, n: u32) {
        let surge = self.surge(&self.in_force(), obs.desired);
        self.annotations[v.index()] = Some((obs.desired, obs.desired + surge));
        if obs.cohort(v).spec != n {
            act.set_replicas(v, n);
        }
    }

    /// `isScalingEvent`: an active ReplicaSet's `desired-replicas` annotation is not
    /// the Deployment's replicas, so they changed since it was last scaled.
    fn stale(&self, obs: &Observation<'_>) -> bool {
        Version::ALL.iter().any(|&v| {
            obs.cohort(v).spec > 0
                && self.annotations[v.index()].is_some_and(|(d, _)| d != obs.desired)
        })
    }

    /// On a scaling event the sync is `scale` (proportional scaling) instead of a rollout
    /// step: the one sync that may change both ReplicaSets, as the controller's does.
    /// True if it was one.
    fn scaling_event(
        &mut self,
        obs: &Observation<'_>,
        act: &mut Actions,
        to: Version,
        fenceposts: &Fenceposts,
    ) -> bool {
        if !self.stale(obs) {
            return false;
        }
        self.share_out(obs, act, to, fenceposts);
        true
    }

    /// `scale` in sync.go with `to`'s ReplicaSet as the new one (if the controller has
    /// scaled it yet), within `fenceposts`' surge: each ReplicaSet's new spec from
    /// `k8s::proportional_scale`, and every active one scaled (annotations included).
    fn share_out(
        &mut self,
        obs: &Observation<'_>,
        act: &mut Actions,
        to: Version,
        fenceposts: &Fenceposts,
    ) {
        let desired = obs.desired;
        // Creation order: the baseline's ReplicaSet is the older one.
        let rss = Version::ALL.map(|v| {
            let c = obs.cohort(v);
            let a = self.annotations[v.index()];
            AnnotatedReplicaSet {
                spec: c.spec,
                available: c.available,
                desired_replicas: a.map(|a| a.0),
                max_replicas: a.map(|a| a.1),
            }
        });
        let new = self.annotations[to.index()].map(|_| to.index());
        let pods = obs.cohort(Version::Baseline).pods + obs.cohort(Version::Candidate).pods;
        let surge = self.surge(fenceposts, desired);
        let sizes = k8s::proportional_scale(self.spec.strategy, desired, surge, pods, &rss, new);
        if sizes[0] != rss[0].spec || sizes[1] != rss[1].spec {
            act.note(
                obs.now,
                LogKind::Step,
                "scale",
                format!(
                    "replicas {desired}: baseline {} -> {}, candidate {} -> {}",
                    rss[0].spec, sizes[0], rss[1].spec, sizes[1]
                ),
            );
        }
        for v in Version::ALL {
            if rss[v.index()].spec > 0 || sizes[v.index()] > 0 {
                self.scale(obs, act, v, sizes[v.index()]);
            }
        }
    }

    /// One sync of the Deployment controller with `to`'s ReplicaSet as the new one and
    /// the other version's as the old one, within `fenceposts`; true, and nothing
    /// done, once the rollout to `to` is complete.
    fn sync_towards(
        &mut self,
        obs: &Observation<'_>,
        act: &mut Actions,
        to: Version,
        fenceposts: &Fenceposts,
    ) -> bool {
        if self.scaling_event(obs, act, to, fenceposts) {
            return false;
        }
        let desired = obs.desired;
        let from = to.other();
        let (new, old) = (ReplicaSet::of(obs, to), ReplicaSet::of(obs, from));
        let old_pods = obs.cohort(from);
        if k8s::complete(desired, new, old_pods.pods) {
            return true;
        }
        if self.spec.strategy == StrategyType::Recreate {
            // rolloutRecreate: scale every old ReplicaSet to zero; then wait until no
            // old pod is running, terminating ones included (oldPodsRunning); then
            // create the new ReplicaSet at full size.
            if old.spec > 0 {
                self.scale(obs, act, from, 0);
            } else if old_pods.pods == 0 && old_pods.terminating == 0 && new.spec != desired {
                self.scale(obs, act, to, desired);
            }
            return false;
        }
        let (surge, unavailable) = fenceposts.resolve(desired);
        match k8s::rolling_sync(desired, surge, unavailable, new, old) {
            SyncAction::ScaleNew(n) => self.scale(obs, act, to, n),
            SyncAction::ScaleOld(n) => self.scale(obs, act, from, n),
            SyncAction::Wait => {}
        }
        false
    }

    /// At rest (promoted or rolled back), the one active ReplicaSet follows the
    /// Deployment's replicas (`scale`'s `FindActiveOrLatest`).
    fn follow_replicas(&mut self, obs: &Observation<'_>, act: &mut Actions, settled: Version) {
        if obs.cohort(settled).spec != obs.desired && obs.cohort(settled.other()).spec == 0 {
            self.scale(obs, act, settled, obs.desired);
        }
    }
}

impl Controller for RollingController {
    fn sync(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        if self.state == State::Waiting {
            let base = Version::Baseline.index();
            if self.annotations[base].is_none() {
                // The baseline's ReplicaSet as its own rollout left it: annotated with the
                // replicas it was scaled to.
                let n = obs.fleet[base].spec;
                self.annotations[base] = Some((n, n + self.surge(&self.spec.step, n)));
            }
            if !obs.release_requested {
                // At rest: the one ReplicaSet follows the Deployment's replicas.
                let step = self.spec.step;
                self.scaling_event(obs, act, Version::Baseline, &step);
                return;
            }
            self.state = State::Forward;
            self.change_start = obs.now;
            self.last_progress = obs.now;
            self.last_status = DeploymentStatus::of(obs, Version::Candidate);
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
                self.follow_replicas(obs, act, Version::Baseline);
                let base = obs.cohort(Version::Baseline);
                if base.available >= obs.desired && obs.cohort(Version::Candidate).pods == 0 {
                    self.state = State::RolledBack;
                    act.phase(Phase::RolledBack, "abort complete: baseline restored");
                }
            }
            State::Promoted => self.follow_replicas(obs, act, Version::Candidate),
            State::RolledBack => self.follow_replicas(obs, act, Version::Baseline),
            State::Paused => {
                // A paused Deployment's every sync is `scale`.
                let step = self.spec.step;
                self.share_out(obs, act, Version::Candidate, &step);
            }
            State::Waiting => {}
        }
    }

    fn min_ready(&self) -> SimDuration {
        Self::secs(self.spec.min_ready_seconds)
    }
}

/// Releases nothing: the control arm of a comparison. Its Deployment still follows its
/// replicas as any Deployment at rest does (the one ReplicaSet takes the new count), so
/// an autoscaler acts on the control arm as it does on every policy's fleet before the
/// release; with replicas that never change it never acts.
pub struct NoopController;

impl Controller for NoopController {
    fn sync(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        let base = obs.cohort(Version::Baseline);
        if base.spec != obs.desired && obs.cohort(Version::Candidate).spec == 0 {
            act.set_replicas(Version::Baseline, obs.desired);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fleet::Fleet;

    fn spec(toml: &str) -> RollingSpec {
        let doc = config::Doc::parse("r.toml", &format!("schema_version = 1\n{toml}")).unwrap();
        match crate::Policy::from_doc(&doc).unwrap().kind {
            crate::PolicyKind::Rolling(s) => s,
            k => panic!("not rolling: {k:?}"),
        }
    }

    /// Recreate: old pods scaled to zero, nothing created while any old pod is still
    /// terminating, then the new ReplicaSet at full size.
    #[test]
    fn recreate_waits_for_terminating_pods() {
        let mut c = RollingController::new(spec("strategy = \"recreate\""));
        let mut f = Fleet::new(4);
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 0]);
        assert_eq!(f.terminating, [4, 0]);
        // Still terminating: no new pod, sync after sync.
        for _ in 0..3 {
            f.sync(&mut c);
            assert_eq!((f.spec, f.changes), ([0, 0], 0));
        }
        f.terminating = [1, 0];
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 0], "one old pod still terminating");
        f.terminating = [0, 0];
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 4]);
        f.settle();
        f.sync(&mut c);
        assert_eq!(f.phases.last(), Some(&Phase::Promoted));
        assert_eq!(f.path, vec![(4, 0), (0, 0), (0, 4)]);
    }

    /// A Recreate rollout takes no fenceposts, as the Kubernetes API refuses them.
    #[test]
    fn recreate_refuses_surge_and_unavailability() {
        for key in [
            "max_surge = 1",
            "max_unavailable = 1",
            "rollback = { max_surge = 1 }",
        ] {
            let doc = config::Doc::parse(
                "r.toml",
                &format!("schema_version = 1\nstrategy = \"recreate\"\n{key}\n"),
            )
            .unwrap();
            let e = crate::Policy::from_doc(&doc).unwrap_err().to_string();
            assert!(e.contains("may not be given with strategy"), "{key}: {e}");
        }
        let doc =
            config::Doc::parse("r.toml", "schema_version = 1\nstrategy = \"blue\"\n").unwrap();
        let e = crate::Policy::from_doc(&doc).unwrap_err().to_string();
        assert!(e.contains("strategy"), "{e}");
    }

    /// Recreate rolls back the same way: the candidate away and gone, then the baseline.
    #[test]
    fn recreate_rolls_back_by_recreating() {
        let mut c = RollingController::new(spec("strategy = \"recreate\""));
        let mut f = Fleet::new(3);
        f.run(&mut c, 100, &[Phase::Promoted]);
        f.rollback_requested = Some(f.now);
        f.run(&mut c, 100, &[Phase::RolledBack]);
        assert_eq!(f.phases.last(), Some(&Phase::RolledBack));
        assert_eq!(f.path, vec![(3, 0), (0, 0), (0, 3), (0, 0), (3, 0)]);
    }

    /// The replicas change mid-rollout (10 -> 20, 25%/25%): the next sync is a scaling
    /// event that scales both ReplicaSets at once, as `scale` does, and the rollout then
    /// goes on to 20.
    #[test]
    fn a_change_of_replicas_mid_rollout_is_scaled_proportionally() {
        let mut c = RollingController::new(spec(""));
        let mut f = Fleet::new(10);
        f.sync(&mut c);
        assert_eq!(f.spec, [10, 3]);
        f.settle();
        f.sync(&mut c);
        assert_eq!(f.spec, [5, 3]);
        f.settle();
        f.desired = 20;
        f.sync(&mut c);
        // allowed 20 + 5 = 25, 8 pods: 17 to add. Old 5 × 25 / 13 rounds to 10 (+5),
        // new 3 × 25 / 13 to 6 (+3); the 9 left over go to the largest, the old one.
        assert_eq!(f.changes, 2);
        assert_eq!(f.spec, [19, 6]);
        f.run(&mut c, 1000, &[Phase::Promoted]);
        assert_eq!(f.phases.last(), Some(&Phase::Promoted));
        assert_eq!(f.spec, [0, 20]);
        // Every other sync changed one ReplicaSet.
        let both = f
            .path
            .windows(2)
            .filter(|w| w[0].0 != w[1].0 && w[0].1 != w[1].1);
        assert_eq!(both.count(), 0, "{:?}", f.path);
        // Promoted, the Deployment scaled down: the one active ReplicaSet follows.
        f.desired = 12;
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 12]);
    }

    /// A gate that fails on its first evaluation (no data is a failure), then `action`.
    fn failing_gate(action: &str) -> RollingSpec {
        spec(&format!(
            "on_failure = \"{action}\"\n[[gates]]\nname = \"e\"\nthreshold = 0.01\non_empty = \"fail\"\n"
        ))
    }

    /// Before the release the one ReplicaSet follows the Deployment's replicas, by one
    /// pod as by many, and nothing is released; the release then rolls out on the
    /// current count.
    #[test]
    fn before_the_release_the_baseline_follows_the_replicas() {
        let mut c = RollingController::new(spec(""));
        let mut f = Fleet::new(10);
        f.release_requested = false;
        f.sync(&mut c);
        assert_eq!((f.spec, f.changes), ([10, 0], 0));
        for n in [11, 25, 24, 3] {
            f.resize(n);
            f.sync(&mut c);
            assert_eq!((f.spec, f.changes), ([n, 0], 1));
            f.settle();
        }
        assert!(f.phases.is_empty());
        f.release_requested = true;
        f.run(&mut c, 100, &[Phase::Promoted]);
        assert_eq!(f.phases.last(), Some(&Phase::Promoted));
        // 3 replicas at 25%/25%: surge 1, unavailable 0, one pod at a time.
        assert_eq!(
            f.path[4..],
            [(3, 0), (3, 1), (2, 1), (2, 2), (1, 2), (1, 3), (0, 3)]
        );
    }

    /// Replicas that change at the release itself: the first sync is the scaling event
    /// (the old ReplicaSet's annotation still says 10), the rollout's first step the next.
    #[test]
    fn a_change_at_the_release_is_scaled_before_the_first_step() {
        let mut c = RollingController::new(spec(""));
        let mut f = Fleet::new(10);
        f.resize(20);
        f.sync(&mut c);
        assert_eq!(f.spec, [20, 0]);
        f.sync(&mut c);
        assert_eq!(f.spec, [20, 5]);
    }

    /// Shrinking mid-rollout (at 5 old, 3 new of 10): to 4 replicas the old ReplicaSet
    /// pays the whole change; to 2, below the 3 new pods, both shrink and the new one
    /// is left at the replicas. Either rollout then completes at the new count.
    #[test]
    fn a_shrink_mid_rollout_is_shared_out_and_the_rollout_completes() {
        for (to, want) in [(4, [2, 3]), (2, [1, 2])] {
            let mut c = RollingController::new(spec(""));
            let mut f = Fleet::new(10);
            f.sync(&mut c);
            f.settle();
            f.sync(&mut c);
            assert_eq!(f.spec, [5, 3]);
            f.settle();
            f.resize(to);
            f.sync(&mut c);
            // Allowed: `to` + 1 surge pod; older first: 5 × (to + 1) / 13 rounded, then
            // the new ReplicaSet within what is left to remove.
            assert_eq!(f.spec, want, "to {to}");
            f.run(&mut c, 100, &[Phase::Promoted]);
            assert_eq!(f.phases.last(), Some(&Phase::Promoted), "to {to}");
            assert_eq!(f.spec, [0, to]);
        }
    }

    /// Paused (a gate failed with `pause`), every sync is the controller's `scale`: a
    /// change of replicas is shared out in proportion, and back, by one pod as by many,
    /// and the rollout does not move on.
    #[test]
    fn a_paused_rollout_is_scaled_proportionally() {
        let mut c = RollingController::new(failing_gate("pause"));
        let mut f = Fleet::new(10);
        f.sync_until_quiet(&mut c, 10);
        assert_eq!(f.phases.last(), Some(&Phase::Paused));
        assert_eq!(f.spec, [10, 3]);
        f.settle();
        f.resize(20);
        f.sync(&mut c);
        // 25 allowed, 13 there: 10 × 25 / 13 rounds to 19, 3 × 25 / 13 to 6.
        assert_eq!((f.spec, f.changes), ([19, 6], 2));
        f.settle();
        f.resize(10);
        f.sync(&mut c);
        // 13 allowed, 25 there, older first: 19 × 13 / 25 rounds to 10, 6 × 13 / 25 to 3.
        assert_eq!(f.spec, [10, 3]);
        f.settle();
        f.resize(11);
        f.sync(&mut c);
        // One pod more: 14 allowed (surge 3 of 11); 10 × 14 / 13 rounds to 11.
        assert_eq!(f.spec, [11, 3]);
        f.settle();
        f.sync(&mut c);
        assert_eq!(f.changes, 0);
        assert_eq!(f.phases.last(), Some(&Phase::Paused));
    }

    /// An abort in flight and a finished one: the baseline follows the replicas.
    #[test]
    fn an_abort_follows_the_replicas() {
        let mut c = RollingController::new(failing_gate("abort"));
        let mut f = Fleet::new(10);
        f.sync(&mut c);
        f.sync(&mut c);
        assert_eq!(f.spec, [10, 0]);
        assert_eq!(f.phases.last(), Some(&Phase::RollingBack));
        f.resize(14);
        f.sync(&mut c);
        assert_eq!(f.spec, [14, 0]);
        assert_eq!(
            f.phases.last(),
            Some(&Phase::RollingBack),
            "10 of 14 available"
        );
        f.settle();
        f.sync(&mut c);
        assert_eq!(f.phases.last(), Some(&Phase::RolledBack));
        f.resize(13);
        f.sync(&mut c);
        assert_eq!(f.spec, [13, 0]);
    }

    /// A rollback from the promoted fleet, mid-way (3 baseline, 10 candidate), is a
    /// rollout towards the baseline: the baseline's ReplicaSet is the new one, and a
    /// change of replicas is shared out with the newer-first order of a scale-up.
    #[test]
    fn a_rollback_mid_way_is_scaled_proportionally() {
        let mut c = RollingController::new(spec(""));
        let mut f = Fleet::new(10);
        f.run(&mut c, 100, &[Phase::Promoted]);
        f.rollback_requested = Some(f.now);
        f.sync(&mut c);
        assert_eq!(f.spec, [3, 10]);
        f.resize(20);
        f.sync(&mut c);
        // 25 allowed, 13 there: 10 × 25 / 13 rounds to 19, 3 × 25 / 13 to 6.
        assert_eq!(f.spec, [6, 19]);
        f.run(&mut c, 100, &[Phase::RolledBack]);
        assert_eq!(f.phases.last(), Some(&Phase::RolledBack));
        assert_eq!(f.spec, [20, 0]);
        f.resize(19);
        f.sync(&mut c);
        assert_eq!(f.spec, [19, 0]);
    }

    /// Recreate, as `rolloutRecreate` and `isScalingEvent` have it: while no ReplicaSet
    /// is active (old scaled to zero, its pods terminating) a change is no scaling
    /// event and the new ReplicaSet is created at the count of the moment; once it is
    /// the one active ReplicaSet, it follows.
    #[test]
    fn recreate_creates_at_the_current_count_and_follows() {
        let mut c = RollingController::new(spec("strategy = \"recreate\""));
        let mut f = Fleet::new(4);
        f.sync(&mut c);
        assert_eq!((f.spec, f.terminating), ([0, 0], [4, 0]));
        f.resize(6);
        f.sync(&mut c);
        assert_eq!((f.spec, f.changes), ([0, 0], 0));
        f.terminating = [0, 0];
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 6]);
        f.resize(8);
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 8]);
        f.settle();
        f.sync(&mut c);
        assert_eq!(f.phases.last(), Some(&Phase::Promoted));
        f.resize(3);
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 3]);
    }

    /// The control arm releases nothing and still follows the replicas.
    #[test]
    fn noop_follows_the_replicas_and_releases_nothing() {
        let mut c = NoopController;
        let mut f = Fleet::new(5);
        f.sync(&mut c);
        assert_eq!(f.changes, 0);
        for n in [6, 5, 1] {
            f.resize(n);
            f.sync(&mut c);
            assert_eq!(f.spec, [n, 0]);
        }
        assert!(f.phases.is_empty());
    }

    /// With no new pods ever available, the deadline is reported at the first sync
    /// strictly after `progressDeadlineSeconds` without progress, not at it.
    #[test]
    fn the_progress_deadline_is_reported_strictly_after_it() {
        let mut c = RollingController::new(spec("progress_deadline_seconds = 60"));
        let mut f = Fleet::new(4);
        // The engine syncs again at once after every change: up 1, old down 1, up 1
        // more, then nothing until a new pod is available, which never happens.
        f.sync(&mut c);
        while f.changes > 0 {
            f.sync(&mut c);
        }
        assert_eq!(f.path, vec![(4, 0), (4, 1), (3, 1), (3, 2)]);
        let deadline = SimTime::ZERO + SimDuration::from_secs(60);
        assert_eq!(f.wake_at, Some(deadline + SimDuration(1)));
        f.now = deadline;
        f.sync(&mut c);
        let reported = |f: &Fleet| {
            f.log
                .iter()
                .any(|r| r.subject == "ProgressDeadlineExceeded")
        };
        assert!(!reported(&f));
        f.now = deadline + SimDuration(1);
        f.sync(&mut c);
        assert!(reported(&f));
        // Progress (an old pod going) restarts the clock: a fresh controller whose old
        // ReplicaSet shrank at 50 s is not timed out at 61 s.
        let mut c = RollingController::new(spec(
            "progress_deadline_seconds = 60\nmax_surge = 0\nmax_unavailable = 1",
        ));
        let mut f = Fleet::new(4);
        f.sync(&mut c);
        assert_eq!(f.spec, [3, 0]);
        f.settle();
        f.now = SimTime::ZERO + SimDuration::from_secs(50);
        f.sync(&mut c);
        assert_eq!(f.spec, [3, 1]);
        f.sync(&mut c);
        f.now = SimTime::ZERO + SimDuration::from_secs(61);
        f.sync(&mut c);
        assert!(!reported(&f));
    }
}
