//! `canary` with `semantics = "argo"`: an Argo Rollouts canary.
//!
//! Steps run in order: `setWeight` (done when the ReplicaSets are at the counts the
//! weight asks for and the canary's pods are available), `pause` (timed, or until a
//! human promotes: in the simulation nobody does, so it waits forever, as Argo would),
//! and `analysis` (an AnalysisRun over the policy's gates: Successful goes on,
//! Inconclusive pauses, Failed or Error aborts). After the last step the weight is 100.
//!
//! Without a traffic router the weight is realised by replica counts: Argo's
//! `CalculateReplicaCountsForBasicCanary` and `approximateWeightedCanaryStableReplicaCounts`
//! (the closest canary/stable split to the weight, allowing one extra pod when maxSurge
//! permits, never 0 for a weight of 1–99 on two or more pods), bounded by maxSurge and
//! maxUnavailable (default 25% / 25%, resolved as Kubernetes does). As in Argo's
//! `reconcileCanaryReplicaSets`, a sync scales one ReplicaSet, the stable first, and the
//! next sync computes the counts again (`basic_canary_sync`). With a traffic
//! router (`traffic_routing = true`) the canary gets `ceil(replicas × weight / 100)` pods,
//! the stable stays at full size, and the load balancer sends the weight's share of
//! requests to the canary once those pods are available. An abort sets the weight to 0:
//! with a router, traffic returns to the stable at once and the canary is scaled down
//! `abort_scale_down_delay_seconds` later; without one, the same arithmetic scales back.
//!
//! The Rollout's `spec.replicas` (`Observation::desired`, which an autoscaler changes)
//! enters every count at every reconcile, so the weights are recomputed on the new size.
//! A change is first a scaling event (`isScalingEvent`: the stable's or the canary's
//! `desired-replicas` annotation differs), reconciled by `syncReplicasOnly`: the
//! ReplicaSets only (the stable first, then the canary, each annotated as it is
//! reached), no traffic, no step, no analysis, until both annotations are current.
//! Before the release and once promoted the one ReplicaSet takes the new count; the
//! old stable waiting out `scale_down_delay_seconds` keeps its own; after an abort the
//! stable follows (`abort_scale_down_delay_seconds` holds the canary at its size). A
//! pause step scales as any step does, but a Rollout paused by an Inconclusive analysis
//! scales nothing (`haltProgress`, which `syncReplicasOnly` obeys too; argo-rollouts
//! issue 4261), and since its annotations then stay stale, an abort of it waits until the
//! replicas are back where they were when it paused.
//!
//! The progress deadline (`progress_deadline_seconds`, `progress_deadline_abort`) is
//! `argo_progress`'s, judged at every reconcile until the promotion.

use serde::Serialize;
use sim_core::lb::TrafficSplit;
use sim_core::log::LogKind;
use sim_core::{Actions, Controller, Observation, Phase, SimDuration, SimTime, Version};

use crate::analysis::{AnalysisRun, AnalysisSpec, RunStatus};
use crate::argo_progress::{ArgoStatus, ProgressDeadline, Reconcile};
use crate::blue_green::AbortDrop;
use crate::canary_routed::{
    CanaryScale, Routed, abort_weight, current_set_weight, routed_counts, set_canary_scale,
};
use crate::gate::GateSpec;
use crate::k8s::ReplicaSet;
use crate::rolling::Fenceposts;

/// One step of an Argo canary.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArgoStep {
    /// Percent of traffic (0–100) for the canary.
    SetWeight(u32),
    /// Wait this many seconds, or (`None`) until promoted.
    Pause(Option<f64>),
    /// Run the policy's gates as an AnalysisRun.
    Analysis(AnalysisSpec),
    /// `setCanaryScale` (with a router only): the canary's size apart from the weight.
    SetCanaryScale(CanaryScale),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArgoCanarySpec {
    pub steps: Vec<ArgoStep>,
    #[serde(flatten)]
    pub fenceposts: Fenceposts,
    pub traffic_routing: bool,
    pub min_ready_seconds: f64,
    /// With a router: how long the old pods stay after promotion (Argo default 30 s).
    pub scale_down_delay_seconds: f64,
    /// With a router: how long the canary pods stay after an abort, from when the stable
    /// is whole again; 0 leaves them (Argo default 30 s). `None` only with
    /// `dynamic_stable_scale` and no value given, where Argo scales the canary down as
    /// traffic returns rather than after a delay.
    pub abort_scale_down_delay_seconds: Option<f64>,
    /// `dynamicStableScale` (with a router): the stable shrinks as the canary's weight
    /// grows, and grows back before an abort's weight returns to it.
    pub dynamic_stable_scale: bool,
    /// `minPodsPerReplicaSet` (with a router): a ReplicaSet that is not empty has at
    /// least this many pods.
    pub min_pods_per_replica_set: Option<u32>,
    /// The strategy-level `analysis`, run in the background from `starting_step`.
    pub analysis: Option<BackgroundAnalysis>,
    /// `spec.progressDeadlineSeconds` (Argo default 600).
    pub progress_deadline_seconds: f64,
    /// `spec.progressDeadlineAbort`: abort an update that misses its deadline.
    pub progress_deadline_abort: bool,
    pub gates: Vec<GateSpec>,
}

/// Argo's background analysis: an AnalysisRun over the gates that starts when step
/// `starting_step` (0-based, Argo's `startingStep`) is reached and runs until the rollout
/// is fully promoted; Failed or Error aborts, Inconclusive pauses. A `count` of 0 (the
/// default) measures until then, as a background metric without a count does.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BackgroundAnalysis {
    #[serde(flatten)]
    pub run: AnalysisSpec,
    pub starting_step: u32,
}

/// `approximateWeightedCanaryStableReplicaCounts`: the (canary, stable) counts whose
/// ratio is closest to `weight`, using `replicas` or, when surge is allowed,
/// `replicas + 1` pods in all; ties between floor and ceiling go to the larger canary.
pub fn approximate_weighted_counts(replicas: u32, weight: u32, max_surge: u32) -> (u32, u32) {
    if replicas == 0 {
        return (0, 0);
    }
    let exact = |total: u32| total as f64 * weight as f64 / 100.0;
    let ceil = exact(replicas).ceil() as u32;
    let floor = exact(replicas).floor() as u32;
    let tied = |total: u32| exact(total).fract() == 0.5;
    let zero_allowed = weight == 100 || weight == 0 || (replicas == 1 && max_surge == 0);
    let mut options = Vec::with_capacity(4);
    if ceil < replicas || zero_allowed {
        options.push((ceil, replicas));
    }
    if !tied(replicas) && (floor != 0 || zero_allowed) {
        options.push((floor, replicas));
    }
    if max_surge > 0 {
        options.push((ceil, replicas + 1));
        if !tied(replicas + 1) && (floor != 0 || zero_allowed) {
            options.push((floor, replicas + 1));
        }
    }
    let delta = |(c, t): (u32, u32)| (c as f64 * 100.0 / t as f64 - weight as f64).abs();
    let mut best = match options.first() {
        Some(&o) => o,
        None => return (0, replicas),
    };
    for &o in &options[1..] {
        if delta(o) < delta(best) {
            best = o;
        }
    }
    (best.0, best.1 - best.0)
}

/// `GetReplicasForScaleDown`.
fn for_scale_down(rs: ReplicaSet, ignore_availability: bool) -> i64 {
    if rs.spec < rs.available || ignore_availability {
        rs.spec as i64
    } else {
        rs.available as i64
    }
}

/// `adjustReplicaWithinLimits`: keeps the pair within maxSurge without breaking
/// maxUnavailable, taking the excess from the ReplicaSet being drained.
fn adjust_within_limits(
    drain: ReplicaSet,
    adjust: ReplicaSet,
    mut drain_count: i64,
    mut adjust_count: i64,
    max_allowed: i64,
    min_available: i64,
) -> (i64, i64) {
    let over = (adjust_count + drain_count - max_allowed).max(0);
    let mut available = (drain.available as i64).min(drain_count);
    adjust_count -= over;
    available += (adjust.available as i64).min(adjust_count);
    let extra = (adjust.available as i64 - adjust_count).max(0);
    let need = (min_available - available).max(0);
    adjust_count += extra.min(need);
    let over = (adjust_count + drain_count - max_allowed).max(0);
    drain_count -= over;
    (drain_count, adjust_count)
}

/// `CalculateReplicaCountsForBasicCanary` with no older ReplicaSets: the (canary,
/// stable) specs for this sync.
pub fn basic_canary_counts(
    replicas: u32,
    weight: u32,
    max_surge: u32,
    max_unavailable: u32,
    new: ReplicaSet,
    stable: ReplicaSet,
) -> (u32, u32) {
    basic_canary_counts_among(
        replicas,
        weight,
        max_surge,
        max_unavailable,
        new,
        stable,
        &[],
    )
}

/// `CalculateReplicaCountsForBasicCanary`: the (canary, stable) specs for this sync,
/// with `older` the ReplicaSets that are neither (an update abandoned mid-way). Their
/// pods count against the surge, and while any remain neither the canary nor the
/// stable is scaled down: the older ones go first (`scale_down_older`).
///
/// A run of rollcage has one release, so its controllers pass no older ReplicaSets;
/// the form with them is the controller's, pinned by its tests.
pub fn basic_canary_counts_among(
    replicas: u32,
    weight: u32,
    max_surge: u32,
    max_unavailable: u32,
    new: ReplicaSet,
    stable: ReplicaSet,
    older: &[ReplicaSet],
) -> (u32, u32) {
    let (want_new, want_stable) = approximate_weighted_counts(replicas, weight, max_surge);
    let (want_new, want_stable) = (want_new as i64, want_stable as i64);
    let mut new_count = new.spec as i64;
    let mut stable_count = stable.spec as i64;
    let max_allowed = (replicas + max_surge) as i64;
    let older_pods: i64 = older.iter().map(|r| r.spec as i64).sum();
    let mut scale_up = max_allowed - (new.spec + stable.spec) as i64 - older_pods;
    if (stable.spec as i64) < want_stable && scale_up > 0 {
        if stable.spec as i64 + scale_up < want_stable {
            stable_count = stable.spec as i64 + scale_up;
            scale_up = 0;
        } else {
            stable_count = want_stable;
            scale_up -= want_stable - stable.spec as i64;
        }
    }
    if (new.spec as i64) < want_new && scale_up > 0 {
        new_count = (new.spec as i64 + scale_up).min(want_new);
    }
    if older_pods > 0 {
        return (new_count.max(0) as u32, stable_count.max(0) as u32);
    }
    let min_available = replicas as i64 - max_unavailable.min(replicas) as i64;
    let increasing = want_new >= new.spec as i64;
    let to_scale_down = for_scale_down(new, !increasing) + for_scale_down(stable, increasing);
    if to_scale_down > min_available {
        let scale_down = to_scale_down - min_available;
        let shrink = |rs: ReplicaSet, want: i64, current: i64| {
            if rs.spec as i64 > want {
                want.max(rs.spec as i64 - scale_down)
            } else {
                current
            }
        };
        // The ReplicaSet moving away from its share shrinks first; the other adjusts.
        let shrink_first = |first: ReplicaSet, other: ReplicaSet, want: i64, counts: (i64, i64)| {
            let first_count = shrink(first, want, counts.0);
            adjust_within_limits(
                first,
                other,
                first_count,
                counts.1,
                max_allowed,
                min_available,
            )
        };
        if !increasing {
            (new_count, stable_count) =
                shrink_first(new, stable, want_new, (new_count, stable_count));
        } else {
            (stable_count, new_count) =
                shrink_first(stable, new, want_stable, (stable_count, new_count));
        }
    }
    (new_count.max(0) as u32, stable_count.max(0) as u32)
}

/// `scaleDownOldReplicaSetsForCanary` for the ReplicaSets that are neither stable nor
/// canary, newest revision first (`older` is in that order): their unhealthy pods are
/// cleaned up first (as in a Deployment), then, without a traffic router, each is
/// scaled down by what availability allows, `available − minAvailable` in all (their
/// pods would take traffic from the Service otherwise); with one, an intermediate
/// ReplicaSet of an update abandoned mid-way receives no traffic and goes to 0 at
/// once. `available` is every ReplicaSet's available pods (stable and canary too).
/// Returns the older ReplicaSets' specs in `older`'s order.
pub fn scale_down_older(
    replicas: u32,
    max_unavailable: u32,
    routed: bool,
    available: u32,
    older: &[ReplicaSet],
) -> Vec<u32> {
    let mut specs: Vec<ReplicaSet> = older.to_vec();
    let unhealthy: u32 = older
        .iter()
        .map(|r| r.spec.saturating_sub(r.available))
        .sum();
    crate::k8s::cleanup_unhealthy_replicas(&mut specs, unhealthy);
    let min_available = replicas as i64 - max_unavailable.min(replicas) as i64;
    let mut left = available as i64 - min_available;
    if left <= 0 {
        return specs.iter().map(|r| r.spec).collect();
    }
    for rs in specs.iter_mut() {
        if left <= 0 {
            break;
        }
        if rs.spec == 0 {
            continue;
        }
        let target = if !routed && rs.spec as i64 > left {
            rs.spec as i64 - left
        } else {
            0
        };
        left -= rs.spec as i64 - target;
        rs.spec = target as u32;
    }
    specs.iter().map(|r| r.spec).collect()
}

/// What one reconcile of a basic canary does: Argo scales one ReplicaSet per reconcile
/// and recomputes on the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CanarySync {
    /// Set the stable ReplicaSet's spec (`reconcileCanaryStableReplicaSet`, first).
    ScaleStable(u32),
    /// Set the canary ReplicaSet's spec (`reconcileNewReplicaSet`, only when the stable
    /// needed nothing).
    ScaleCanary(u32),
    /// Both are at the counts this reconcile computes.
    Wait,
}

/// One reconcile of `reconcileCanaryReplicaSets` for a basic canary: both counts come
/// from `CalculateReplicaCountsForBasicCanary`, but only one ReplicaSet is scaled, the
/// stable one first; a reconcile that scaled the stable returns, and the canary's count
/// is computed again on the next one, from the counts the stable scaling left. So the
/// path between two steps goes stable, canary, stable, ... rather than both at once.
pub fn basic_canary_sync(
    replicas: u32,
    weight: u32,
    max_surge: u32,
    max_unavailable: u32,
    new: ReplicaSet,
    stable: ReplicaSet,
) -> CanarySync {
    let (n, s) = basic_canary_counts(replicas, weight, max_surge, max_unavailable, new, stable);
    if s != stable.spec {
        CanarySync::ScaleStable(s)
    } else if n != new.spec {
        CanarySync::ScaleCanary(n)
    } else {
        CanarySync::Wait
    }
}

#[derive(Clone, Debug)]
enum State {
    Waiting,
    /// Running step `index`; `entered` is when the step began.
    Step {
        index: usize,
        entered: SimTime,
        analysis: Option<AnalysisRun>,
    },
    /// All steps done: weight 100 until the canary is the whole fleet.
    Promoting,
    /// Promoted; with a router, old pods go at `scale_down_at`.
    Promoted {
        scale_down_at: Option<SimTime>,
    },
    /// Stopped for a human at step `index` (`steps.len()` once past the last): an
    /// indefinite pause step, or an Inconclusive analysis (`inconclusive`), which halts
    /// all scaling.
    Paused {
        index: usize,
        inconclusive: bool,
    },
    /// Weight 0 (or, with dynamicStableScale, stepping down) until the stable is whole
    /// again; `hold`, when the abort delay keeps the canary at its size, says when it
    /// goes.
    Aborting {
        hold: Option<AbortDrop>,
    },
    RolledBack,
}

pub struct ArgoCanaryController {
    spec: ArgoCanarySpec,
    state: State,
    change_start: SimTime,
    weight_applied: Option<u32>,
    /// The strategy-level analysis, once started.
    background: Option<AnalysisRun>,
    /// Each ReplicaSet's `desired-replicas` annotation, indexed by `Version::index()`:
    /// the Rollout's replicas when the controller last reconciled it.
    annotations: [Option<u32>; 2],
    /// The Inconclusive pause condition stands (`haltProgress`); only a full reconcile
    /// after the pause ends clears it.
    halted: bool,
    /// This sync is `syncReplicasOnly`: counts only, no traffic, no steps.
    replicas_only: bool,
    deadline: ProgressDeadline,
}

impl ArgoCanaryController {
    pub fn new(spec: ArgoCanarySpec) -> Self {
        let deadline =
            ProgressDeadline::new(spec.progress_deadline_seconds, spec.progress_deadline_abort);
        ArgoCanaryController {
            spec,
            state: State::Waiting,
            change_start: SimTime::ZERO,
            weight_applied: None,
            background: None,
            annotations: [None, None],
            halted: false,
            replicas_only: false,
            deadline,
        }
    }

    /// Scales `v` to `n` as `scaleReplicaSetAndRecordEvent` does: the count if it
    /// differs, and the `desired-replicas` annotation.
    fn scale(&mut self, obs: &Observation<'_>, act: &mut Actions, v: Version, n: u32) {
        self.annotations[v.index()] = Some(obs.desired);
        if obs.cohort(v).spec != n {
            act.set_replicas(v, n);
        }
    }

    /// The ReplicaSets `isScalingEvent` looks at: the new one and the stable one
    /// (one and the same before the release and once promoted).
    fn watched(&self) -> &'static [Version] {
        match self.state {
            State::Waiting => &[Version::Baseline],
            State::Promoted { .. } => &[Version::Candidate],
            _ => &Version::ALL,
        }
    }

    /// `isScalingEvent`: an active watched ReplicaSet is annotated with other replicas
    /// than the Rollout's.
    fn scaling_event(&self, obs: &Observation<'_>) -> bool {
        self.watched().iter().any(|&v| {
            obs.cohort(v).spec > 0 && self.annotations[v.index()].is_some_and(|d| d != obs.desired)
        })
    }

    /// The setWeight in force at step `index` (0 before the first; 100 past the end).
    fn weight_at(&self, index: usize) -> u32 {
        current_set_weight(&self.routed(0, index, false))
    }

    fn routed(&self, replicas: u32, index: usize, aborted: bool) -> Routed<'_> {
        Routed {
            replicas,
            steps: &self.spec.steps,
            step_index: if aborted { 0 } else { index },
            aborted,
            dynamic_stable_scale: self.spec.dynamic_stable_scale,
            min_pods_per_replica_set: self.spec.min_pods_per_replica_set,
            abort_delay: self.spec.abort_scale_down_delay_seconds,
        }
    }

    /// `shouldDelayScaleDownOnAbort`: with a router, an abort keeps the canary at its
    /// size until `abortScaleDownDelaySeconds` after the stable is whole, unless that
    /// delay is 0, or dynamicStableScale runs without an explicit delay.
    fn holds_canary_on_abort(&self) -> bool {
        let d = self.spec.abort_scale_down_delay_seconds;
        self.spec.traffic_routing
            && d != Some(0.0)
            && !(self.spec.dynamic_stable_scale && d.is_none())
    }

    /// Moves the ReplicaSets (and the router) towards step `index` (the promotion at
    /// `steps.len()`), or back after an abort; true once the counts are there (and, for
    /// a basic canary, the weight they stand for). `hold_canary` keeps the canary's
    /// size (an abort's delay).
    fn reconcile(
        &mut self,
        obs: &Observation<'_>,
        act: &mut Actions,
        index: usize,
        aborted: bool,
        hold_canary: bool,
    ) -> bool {
        let desired = obs.desired;
        let new = ReplicaSet::of(obs, Version::Candidate);
        let stable = ReplicaSet::of(obs, Version::Baseline);
        if self.halted {
            // haltProgress: no ReplicaSet is reconciled (nor annotated).
            return false;
        }
        if !self.spec.traffic_routing {
            let weight = if aborted { 0 } else { self.weight_at(index) };
            let (surge, unavailable) = self.spec.fenceposts.resolve(desired);
            match basic_canary_sync(desired, weight, surge, unavailable, new, stable) {
                CanarySync::ScaleStable(s) => self.scale(obs, act, Version::Baseline, s),
                CanarySync::ScaleCanary(n) => {
                    self.annotations[Version::Baseline.index()] = Some(desired);
                    self.scale(obs, act, Version::Candidate, n);
                }
                CanarySync::Wait => self.annotations = [Some(desired); 2],
            }
            let (want_new, want_stable) = approximate_weighted_counts(desired, weight, surge);
            return new.spec == want_new
                && new.available == want_new
                && stable.spec == want_stable
                && obs.cohort(Version::Baseline).pods == want_stable;
        }
        let dynamic = self.spec.dynamic_stable_scale;
        let r = self.routed(desired, index, aborted);
        // Before the router is first set, all traffic is the stable's.
        let current = self.weight_applied.unwrap_or(0);
        let weights = Some((current, 100 - current));
        let (want_new, want_stable) = routed_counts(&r, Some(new), Some(stable), weights);
        // `AtDesiredReplicaCountsForCanary`: the canary at its count and available; the
        // stable's pods all created unless dynamicStableScale sizes it.
        let at_counts = new.spec == want_new
            && new.available >= want_new
            && (dynamic
                || (stable.spec == want_stable
                    && obs.cohort(Version::Baseline).pods == want_stable));
        // reconcileTrafficRouting comes first in a reconcile.
        let target = if aborted {
            abort_weight(&r, new, stable, Some(current))
        } else {
            current_set_weight(&r)
        };
        let stable_share = (100 - target) * desired / 100;
        let may_shift = if aborted {
            !dynamic || stable.available >= stable_share
        } else {
            at_counts
        };
        if may_shift && self.weight_applied != Some(target) && !self.replicas_only {
            act.set_traffic(TrafficSplit::CandidateWeight(target as f64 / 100.0));
            self.weight_applied = Some(target);
            if dynamic {
                // The counts follow the new weight: reconcile again at once, as Argo's
                // status update requeues the Rollout.
                act.wake_at(obs.now);
            }
        }
        // reconcileCanaryReplicaSets: the stable first; a sync that scales it scales
        // nothing else. The canary is annotated even while an abort delay holds it
        // (`syncNewRSReplicasAnnotation`).
        self.annotations[Version::Baseline.index()] = Some(desired);
        if stable.spec != want_stable {
            act.set_replicas(Version::Baseline, want_stable);
            return false;
        }
        self.annotations[Version::Candidate.index()] = Some(desired);
        if new.spec != want_new && !hold_canary {
            act.set_replicas(Version::Candidate, want_new);
            return false;
        }
        at_counts
    }

    fn abort(&mut self, obs: &Observation<'_>, act: &mut Actions, reason: String) {
        act.phase(Phase::RollingBack, reason);
        self.background = None;
        let hold = self.holds_canary_on_abort().then(|| {
            let delay = self.spec.abort_scale_down_delay_seconds.unwrap_or(30.0);
            AbortDrop::start(delay)
        });
        if self.spec.traffic_routing && !self.spec.dynamic_stable_scale && !self.replicas_only {
            // The stable is whole: all traffic goes back to it at once (at the next full
            // reconcile when this one is a scaling event's).
            act.set_traffic(TrafficSplit::CandidateWeight(0.0));
            self.weight_applied = Some(0);
        }
        self.state = State::Aborting { hold };
        // The rest of the abort happens at the next sync, at this same instant.
        act.wake_at(obs.now);
    }

    /// Steps the background analysis (from `starting_step` on); false if it stopped
    /// the rollout (aborted it or paused it).
    fn background(&mut self, obs: &Observation<'_>, act: &mut Actions, index: usize) -> bool {
        let Some(b) = self.spec.analysis else {
            return true;
        };
        if index < b.starting_step as usize {
            return true;
        }
        let gates = self.spec.gates.len();
        let run = self
            .background
            .get_or_insert_with(|| AnalysisRun::start(b.run, obs.now, gates));
        match run
            .step(&self.spec.gates, obs, self.change_start, act)
            .clone()
        {
            RunStatus::Running | RunStatus::Successful => true,
            RunStatus::Inconclusive { gate, reason } => {
                act.phase(
                    Phase::Paused,
                    format!("background analysis Inconclusive on {gate}: {reason}"),
                );
                self.pause_inconclusive(index);
                false
            }
            RunStatus::Failed { gate, reason } => {
                act.detected(format!("gate:{gate}"), reason);
                let why = format!("background analysis Failed on {gate}: abort");
                self.abort(obs, act, why);
                false
            }
            RunStatus::Error { gate, reason } => {
                act.detected(format!("analysis-error:{gate}"), reason);
                let why = format!("background analysis Error on {gate}: abort");
                self.abort(obs, act, why);
                false
            }
        }
    }

    /// An Inconclusive analysis pauses the rollout at step `index` and halts scaling.
    fn pause_inconclusive(&mut self, index: usize) {
        self.state = State::Paused {
            index,
            inconclusive: true,
        };
        self.halted = true;
    }

    fn run_steps(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        loop {
            let State::Step { index, entered, .. } = &self.state else {
                return;
            };
            let (index, entered) = (*index, *entered);
            if self.replicas_only {
                self.reconcile(obs, act, index.min(self.spec.steps.len()), false, false);
                return;
            }
            if !self.background(obs, act, index) {
                return;
            }
            if index >= self.spec.steps.len() {
                self.state = State::Promoting;
                return;
            }
            let at_counts = self.reconcile(obs, act, index, false, false);
            let done = match self.spec.steps[index].clone() {
                ArgoStep::SetWeight(w) => {
                    at_counts && (!self.spec.traffic_routing || self.weight_applied == Some(w))
                }
                ArgoStep::SetCanaryScale(_) => at_counts,
                ArgoStep::Pause(Some(secs)) => {
                    let until = entered + SimDuration::from_secs_f64(secs);
                    if obs.now < until {
                        act.wake_at(until);
                    }
                    obs.now >= until
                }
                ArgoStep::Pause(None) => {
                    act.phase(
                        Phase::Paused,
                        format!("step {}: paused until promoted", index + 1),
                    );
                    self.state = State::Paused {
                        index,
                        inconclusive: false,
                    };
                    return;
                }
                ArgoStep::Analysis(a) => {
                    let since = self.change_start;
                    let State::Step { analysis, .. } = &mut self.state else {
                        unreachable!()
                    };
                    let run = analysis.get_or_insert_with(|| {
                        AnalysisRun::start(a, obs.now, self.spec.gates.len())
                    });
                    match run.step(&self.spec.gates, obs, since, act).clone() {
                        RunStatus::Running => false,
                        RunStatus::Successful => true,
                        RunStatus::Inconclusive { gate, reason } => {
                            act.phase(
                                Phase::Paused,
                                format!("analysis Inconclusive on {gate}: {reason}"),
                            );
                            self.pause_inconclusive(index);
                            return;
                        }
                        RunStatus::Failed { gate, reason } => {
                            act.detected(format!("gate:{gate}"), reason.clone());
                            self.abort(obs, act, format!("analysis Failed on {gate}: abort"));
                            return;
                        }
                        RunStatus::Error { gate, reason } => {
                            act.detected(format!("analysis-error:{gate}"), reason.clone());
                            self.abort(obs, act, format!("analysis Error on {gate}: abort"));
                            return;
                        }
                    }
                }
            };
            if !done {
                return;
            }
            act.note(
                obs.now,
                LogKind::Step,
                "canary",
                format!("step {} of {} done", index + 1, self.spec.steps.len()),
            );
            self.state = State::Step {
                index: index + 1,
                entered: obs.now,
                analysis: None,
            };
        }
    }

    fn aborting(&mut self, obs: &Observation<'_>, act: &mut Actions, mut hold: Option<AbortDrop>) {
        let base = obs.cohort(Version::Baseline);
        let ready = base.available >= obs.desired;
        let at_counts = self.reconcile(obs, act, 0, true, hold.is_some());
        if let Some(h) = hold.as_mut() {
            let delay = self.spec.abort_scale_down_delay_seconds.unwrap_or(30.0);
            if h.due(ready, delay, obs.now, act) && obs.cohort(Version::Candidate).spec > 0 {
                act.set_replicas(Version::Candidate, 0);
            }
        }
        self.state = State::Aborting { hold };
        let canary = obs.cohort(Version::Candidate);
        let traffic_back = !self.spec.traffic_routing || self.weight_applied == Some(0);
        if !(ready && traffic_back) {
            return;
        }
        if canary.pods == 0 {
            act.phase(Phase::RolledBack, "abort complete: stable restored");
            self.state = State::RolledBack;
        } else if at_counts
            && self.spec.abort_scale_down_delay_seconds == Some(0.0)
            && set_canary_scale(&self.routed(obs.desired, 0, true)).is_some()
        {
            // abortScaleDownDelaySeconds = 0 with a setCanaryScale in force: Argo leaves
            // the canary up, with no traffic.
            act.phase(
                Phase::RolledBack,
                "abort complete: stable restored; the canary stays up \
                 (abort_scale_down_delay_seconds = 0 and set_canary_scale)",
            );
            self.state = State::RolledBack;
        }
    }
}

impl ArgoCanaryController {
    /// One reconcile of the state the rollout is in (the whole of it, or under
    /// `replicas_only` the ReplicaSets only).
    fn reconcile_state(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        let len = self.spec.steps.len();
        match self.state.clone() {
            State::Step { .. } => {
                self.run_steps(obs, act);
                if matches!(self.state, State::Promoting) {
                    self.reconcile_state(obs, act);
                }
            }
            State::Promoting if self.replicas_only => {
                self.reconcile(obs, act, len, false, false);
            }
            State::Promoting => {
                if !self.background(obs, act, len) {
                    return;
                }
                let at_counts = self.reconcile(obs, act, len, false, false);
                let weighted = !self.spec.traffic_routing || self.weight_applied == Some(100);
                if at_counts && weighted {
                    // Fully promoted: the background analysis ends.
                    self.background = None;
                    let scale_down_at = self.spec.traffic_routing.then(|| {
                        if self.spec.dynamic_stable_scale {
                            // Dynamic stable scaling scales the old stable down now.
                            obs.now
                        } else {
                            obs.now + SimDuration::from_secs_f64(self.spec.scale_down_delay_seconds)
                        }
                    });
                    if let Some(t) = scale_down_at {
                        act.wake_at(t);
                    }
                    act.phase(Phase::Promoted, "all steps done, canary is the stable");
                    self.state = State::Promoted { scale_down_at };
                }
            }
            State::Promoted { scale_down_at } => {
                // The canary is the stable: it takes the Rollout's replicas; the old stable
                // keeps its own count until its scale-down deadline (scaleDownDelayHelper).
                self.scale(obs, act, Version::Candidate, obs.desired);
                match scale_down_at {
                    Some(t) if obs.now < t => act.wake_at(t),
                    Some(_) if obs.cohort(Version::Baseline).spec > 0 => {
                        act.set_replicas(Version::Baseline, 0)
                    }
                    _ => {}
                }
            }
            State::Aborting { hold } => self.aborting(obs, act, hold),
            State::Paused {
                index,
                inconclusive: false,
            } => {
                // A pause step is a controller pause: the counts still follow the
                // replicas (no haltProgress).
                self.reconcile(obs, act, index, false, false);
            }
            State::RolledBack => {
                // The stable follows the replicas; the canary keeps the abort's count.
                self.reconcile(obs, act, 0, true, false);
            }
            State::Waiting | State::Paused { .. } => {}
        }
    }

    /// The progress deadline, judged at the end of every reconcile until the canary is
    /// whole and every step done (`shouldFullPromote`); `progress_deadline_abort` aborts.
    fn judge_deadline(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        let len = self.spec.steps.len();
        let (index, paused) = match self.state {
            // A timed pause step holds a pause condition while it runs.
            State::Step { index, .. } => (
                index,
                matches!(self.spec.steps.get(index), Some(ArgoStep::Pause(Some(_)))),
            ),
            State::Paused { index, .. } => (index, true),
            State::Promoting if obs.cohort(Version::Candidate).available < obs.desired => {
                (len, false)
            }
            _ => return,
        };
        let indefinite = matches!(
            self.spec.steps.get(index),
            Some(ArgoStep::Pause(_) | ArgoStep::Analysis(_))
        );
        let r = Reconcile {
            now: obs.now,
            status: ArgoStatus::canary(obs, index),
            paused,
            indefinite,
            healthy: false,
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
}

impl Controller for ArgoCanaryController {
    fn sync(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        if matches!(self.state, State::Waiting) {
            let base = Version::Baseline.index();
            // The stable as its own update left it: annotated with its size.
            self.annotations[base].get_or_insert(obs.fleet[base].spec);
            if !obs.release_requested {
                // At rest the stable is the new ReplicaSet: it takes the replicas.
                self.scale(obs, act, Version::Baseline, obs.desired);
                return;
            }
            self.change_start = obs.now;
            act.phase(Phase::Progressing, "canary started");
            self.state = State::Step {
                index: 0,
                entered: obs.now,
                analysis: None,
            };
            self.deadline.start(obs.now, ArgoStatus::canary(obs, 0));
        }
        let before = self.annotations;
        self.replicas_only = self.scaling_event(obs);
        if obs.rollback_requested.is_some()
            && matches!(
                self.state,
                State::Step { .. }
                    | State::Paused { .. }
                    | State::Promoting
                    | State::Promoted { .. }
            )
        {
            self.abort(obs, act, "on-call engineer aborts after the page".into());
        }
        if !self.replicas_only
            && !matches!(
                self.state,
                State::Paused {
                    inconclusive: true,
                    ..
                }
            )
        {
            self.halted = false;
        }
        self.reconcile_state(obs, act);
        if self.replicas_only && self.annotations != before {
            // Updating the ReplicaSets requeues the Rollout: the next reconcile is now.
            act.wake_at(obs.now);
        }
        self.replicas_only = false;
        self.judge_deadline(obs, act);
    }

    fn min_ready(&self) -> SimDuration {
        SimDuration::from_secs_f64(self.spec.min_ready_seconds)
    }
}

/// The step counts pinned by Argo's own tests.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::intstr::IntOrPercent;
    use crate::test_fleet::Fleet;

    #[test]
    fn approximations_match_argo_tests() {
        // TestApproximateWeightedNewStableReplicaCounts: (replicas, weight, surge) -> (canary, stable).
        let cases = [
            ((0, 50, 0), (0, 0)),
            ((1, 0, 0), (0, 1)),
            ((1, 49, 0), (0, 1)),
            ((1, 50, 0), (1, 0)),
            ((1, 1, 1), (1, 1)),
            ((1, 100, 1), (1, 0)),
            ((2, 1, 0), (1, 1)),
            ((2, 99, 0), (1, 1)),
            ((2, 1, 1), (1, 2)),
            ((2, 99, 1), (2, 1)),
            ((3, 10, 0), (1, 2)),
            ((3, 50, 0), (2, 1)),
            ((3, 10, 1), (1, 3)),
            ((3, 33, 1), (1, 2)),
            ((3, 49, 1), (2, 2)),
            ((10, 1, 0), (1, 9)),
            ((10, 14, 0), (1, 9)),
            ((10, 15, 0), (2, 8)),
            ((10, 99, 0), (9, 1)),
            ((10, 1, 1), (1, 10)),
            ((10, 18, 1), (2, 9)),
            ((10, 20, 1), (2, 8)),
            ((10, 24, 1), (3, 8)),
            ((10, 99, 1), (10, 1)),
            ((10, 100, 1), (10, 0)),
        ];
        for ((r, w, s), want) in cases {
            assert_eq!(
                approximate_weighted_counts(r, w, s),
                want,
                "{r} replicas {w}% surge {s}"
            );
        }
    }

    fn rs(spec: u32, available: u32) -> ReplicaSet {
        ReplicaSet { spec, available }
    }

    pub(crate) fn argo_spec(toml: &str) -> ArgoCanarySpec {
        let doc = config::Doc::parse(
            "t.toml",
            &format!("schema_version = 1\nkind = \"canary\"\n{toml}"),
        )
        .unwrap();
        match crate::Policy::from_doc(&doc).unwrap().kind {
            crate::PolicyKind::Canary(crate::CanarySpec::Argo(s)) => s,
            k => panic!("not an Argo canary: {k:?}"),
        }
    }

    /// The (stable, canary) path and the router's weights of a routed canary on an
    /// instant fleet, to `until`.
    fn routed_run(toml: &str, replicas: u32, until: &[Phase]) -> (Fleet, ArgoCanaryController) {
        let spec = argo_spec(&format!("traffic_routing = true\n{toml}"));
        let mut c = ArgoCanaryController::new(spec);
        let mut f = Fleet::new(replicas);
        f.run(&mut c, 1000, until);
        (f, c)
    }

    fn weights(f: &Fleet) -> Vec<String> {
        f.log
            .iter()
            .filter(|r| r.reason.starts_with("step ") && r.subject == "canary")
            .map(|r| r.reason.clone())
            .collect()
    }

    /// setCanaryScale sizes the canary apart from the weight until matchTrafficWeight;
    /// then the setWeight steps size it again.
    #[test]
    fn set_canary_scale_sizes_the_canary_apart_from_the_weight() {
        let (f, c) = routed_run(
            "steps = [{set_canary_scale = {replicas = 3}}, {set_weight = 20}, {set_canary_scale = {match_traffic_weight = true}}, {set_weight = 50}]",
            10,
            &[Phase::Promoted],
        );
        assert_eq!(f.phases.last(), Some(&Phase::Promoted));
        let mut path = f.path.clone();
        path.dedup();
        assert_eq!(path, vec![(10, 0), (10, 3), (10, 2), (10, 5), (10, 10)]);
        assert_eq!(c.weight_applied, Some(100));
        assert_eq!(weights(&f).len(), 4);
        // The old stable goes scaleDownDelaySeconds (30 s) after the promotion.
        let promoted = f.now;
        let (mut f, mut c) = (f, c);
        f.run(&mut c, 100, &[]);
        assert_eq!(f.spec, [0, 10]);
        assert_eq!(
            *f.times.last().unwrap(),
            promoted + SimDuration::from_secs(30)
        );
    }

    /// minPodsPerReplicaSet: 5% of 10 would be one canary pod; the minimum makes it 2.
    #[test]
    fn min_pods_per_replica_set_floors_the_canary() {
        let (f, _) = routed_run(
            "min_pods_per_replica_set = 2\nsteps = [{set_weight = 5}, {pause = {}}]",
            10,
            &[Phase::Paused],
        );
        assert_eq!(f.spec, [10, 2]);
        let (f, _) = routed_run(
            "steps = [{set_weight = 5}, {pause = {}}]",
            10,
            &[Phase::Paused],
        );
        assert_eq!(f.spec, [10, 1]);
    }

    /// dynamicStableScale: the stable shrinks once the weight has moved to the canary,
    /// and goes at once at promotion (no scaleDownDelaySeconds).
    #[test]
    fn dynamic_stable_scale_shrinks_the_stable_behind_the_weight() {
        let (f, c) = routed_run(
            "dynamic_stable_scale = true\nsteps = [{set_weight = 20}, {set_weight = 50}]",
            10,
            &[Phase::Promoted],
        );
        assert_eq!(c.weight_applied, Some(100));
        let promoted = f.now;
        let (mut f, mut c) = (f, c);
        f.run(&mut c, 100, &[]);
        let mut path = f.path.clone();
        path.dedup();
        assert_eq!(
            path,
            vec![(10, 0), (10, 2), (8, 2), (8, 5), (5, 5), (5, 10), (0, 10)]
        );
        // The old stable goes at the promotion, without a scale-down delay.
        assert_eq!(*f.times.last().unwrap(), promoted);
    }

    /// abortScaleDownDelaySeconds = 0: Argo keeps the canary only when a setCanaryScale
    /// is the first step (the abort sets the step index back to 0); otherwise the abort's
    /// weight 0 scales it away at once.
    #[test]
    fn an_abort_delay_of_zero_keeps_a_set_canary_scale() {
        let abort_at = |toml: &str| {
            let (mut f, mut c) = routed_run(
                &format!("abort_scale_down_delay_seconds = 0\n{toml}"),
                10,
                &[Phase::Paused],
            );
            f.rollback_requested = Some(f.now);
            f.run(&mut c, 100, &[Phase::RolledBack]);
            assert_eq!(f.phases.last(), Some(&Phase::RolledBack));
            assert_eq!(c.weight_applied, Some(0));
            f
        };
        let f = abort_at(
            "steps = [{set_canary_scale = {replicas = 4}}, {set_weight = 20}, {pause = {}}]",
        );
        assert_eq!(f.spec, [10, 4], "kept up");
        let f = abort_at(
            "steps = [{set_weight = 20}, {set_canary_scale = {replicas = 4}}, {pause = {}}]",
        );
        assert_eq!(f.spec, [10, 0], "{:?} {:?}", f.path, f.phases);
        // Scaled down at the abort's instant.
        assert_eq!(*f.times.last().unwrap(), f.rollback_requested.unwrap());
        // The default delay: 30 s after the stable is whole (it is at once here).
        let (mut f, mut c) = routed_run(
            "steps = [{set_weight = 20}, {pause = {}}]",
            10,
            &[Phase::Paused],
        );
        let t = f.now;
        f.rollback_requested = Some(t);
        f.run(&mut c, 100, &[Phase::RolledBack]);
        assert_eq!(f.spec, [10, 0]);
        assert_eq!(*f.times.last().unwrap(), t + SimDuration::from_secs(30));
    }

    /// With dynamicStableScale and no explicit abort delay, an abort brings the stable
    /// back up first and the canary down behind it, through the setWeight steps.
    #[test]
    fn a_dynamic_abort_steps_back_through_the_weights() {
        let (mut f, mut c) = routed_run(
            "dynamic_stable_scale = true\nsteps = [{set_weight = 20}, {set_weight = 60}, {pause = {}}]",
            10,
            &[Phase::Paused],
        );
        assert_eq!(f.spec, [4, 6]);
        f.rollback_requested = Some(f.now);
        let from = f.path.len();
        f.run(&mut c, 200, &[Phase::RolledBack]);
        assert_eq!(
            f.phases.last(),
            Some(&Phase::RolledBack),
            "{:?} {:?}",
            f.path,
            c.weight_applied
        );
        assert_eq!(f.spec, [10, 0]);
        let mut back = f.path[from - 1..].to_vec();
        back.dedup();
        // GetDesiredCanaryWeight steps back to setWeight 20 while the stable grows to its
        // 80%; once the router is at 20% the canary shrinks to its 2 pods; then the
        // stable is whole, the weight 0 and the canary gone. One ReplicaSet per sync.
        assert_eq!(back, vec![(4, 6), (8, 6), (8, 2), (10, 2), (10, 0)]);
        assert_eq!(c.weight_applied, Some(0));
    }

    /// The background analysis starts at `starting_step` and an Error there aborts.
    #[test]
    fn a_background_analysis_starts_at_its_step_and_aborts_on_error() {
        let spec = argo_spec(
            "steps = [{set_weight = 20}, {pause = {duration_seconds = 60}}, {set_weight = 40}, {pause = {}}]\n\
             analysis = {starting_step = 2, interval_seconds = 30, consecutive_error_limit = 0}\n\
             [[gates]]\nname = \"errors\"\nthreshold = 0.01\n",
        );
        let mut c = ArgoCanaryController::new(spec);
        let mut f = Fleet::new(10);
        f.run(&mut c, 1000, &[Phase::RollingBack, Phase::Paused]);
        assert_eq!(f.detections, vec!["analysis-error:errors".to_string()]);
        // Its first (and failing) measurement came only when step 3 began: after the
        // 60 s pause.
        let first = f.log.iter().find(|r| r.subject == "errors").unwrap();
        assert!(first.at >= SimTime::from_secs(60), "{:?}", first.at);
        f.run(&mut c, 1000, &[Phase::RolledBack]);
        assert_eq!(f.phases.last(), Some(&Phase::RolledBack));
        assert_eq!(f.spec, [10, 0]);
    }

    /// A background analysis without a count measures every interval until promotion,
    /// and not after.
    #[test]
    fn a_background_analysis_runs_until_promotion() {
        let spec = argo_spec(
            "steps = [{set_weight = 20}, {pause = {duration_seconds = 120}}]\n\
             analysis = {interval_seconds = 30}\n\
             [[gates]]\nname = \"errors\"\nthreshold = 0.01\nmin_samples = 10\n",
        );
        let mut c = ArgoCanaryController::new(spec);
        let mut f = Fleet::new(10);
        f.healthy_scrapes(3600, 1000);
        f.run(&mut c, 1000, &[Phase::Promoted]);
        assert_eq!(f.phases.last(), Some(&Phase::Promoted));
        let promoted = *f.times.last().unwrap();
        let measured: Vec<SimTime> = f
            .log
            .iter()
            .filter(|r| r.subject == "errors")
            .map(|r| r.at)
            .collect();
        assert!(measured.len() >= 4, "{measured:?}");
        f.now = promoted + SimDuration::from_secs(600);
        f.sync(&mut c);
        let after = f.log.iter().filter(|r| r.subject == "errors").count();
        assert_eq!(after, measured.len(), "no measurement after promotion");
    }

    /// Syncs (settling pods and following wakes) until nothing is left to do.
    fn converge(f: &mut Fleet, c: &mut ArgoCanaryController) {
        f.run(c, 200, &[]);
    }

    /// Before the release the stable is the new ReplicaSet: it takes the Rollout's
    /// replicas, by one pod as by many, with or without a router.
    #[test]
    fn before_the_release_the_stable_follows_the_replicas() {
        for routed in ["", "traffic_routing = true\n"] {
            let mut c = ArgoCanaryController::new(argo_spec(&format!(
                "{routed}steps = [{{set_weight = 30}}, {{pause = {{}}}}]"
            )));
            let mut f = Fleet::new(10);
            f.release_requested = false;
            for n in [11, 20, 19, 4] {
                f.resize(n);
                f.sync(&mut c);
                assert_eq!((f.spec, f.changes), ([n, 0], 1), "{routed}");
                f.settle();
            }
            assert!(f.phases.is_empty());
        }
    }

    /// 10 -> 20 replicas at a 30% weight, paused at the pause step after it (a
    /// controller pause, which scales): the counts are recomputed on 20 as Argo's
    /// functions give them, the stable first, one ReplicaSet per sync; and back to 10.
    #[test]
    fn the_weights_are_recomputed_on_the_new_replicas() {
        let steps = "steps = [{set_weight = 30}, {pause = {}}]";
        /// (policy, counts at 10, path to 20, counts at 20)
        type Case = (String, [u32; 2], &'static [(u32, u32)], [u32; 2]);
        let cases: [Case; 3] = [
            // Basic: CalculateReplicaCountsForBasicCanary(20, 30%, surge 5): (6, 14).
            (steps.to_string(), [7, 3], &[(14, 3), (14, 6)], [14, 6]),
            // Routed: the stable whole, the canary ceil(20 × 30%) = 6.
            (
                format!("traffic_routing = true\n{steps}"),
                [10, 3],
                &[(20, 3), (20, 6)],
                [20, 6],
            ),
            // Dynamic: the stable ceil(20 × 70%) = 14.
            (
                format!("traffic_routing = true\ndynamic_stable_scale = true\n{steps}"),
                [7, 3],
                &[(14, 3), (14, 6)],
                [14, 6],
            ),
        ];
        for (toml, at10, path, at20) in cases {
            let mut c = ArgoCanaryController::new(argo_spec(&toml));
            let mut f = Fleet::new(10);
            f.run(&mut c, 1000, &[Phase::Paused]);
            assert_eq!(f.spec, at10, "{toml}");
            let from = f.path.len();
            f.resize(20);
            converge(&mut f, &mut c);
            assert_eq!(f.spec, at20, "{toml}");
            assert_eq!(&f.path[from..], path, "{toml}");
            assert_eq!(f.phases.last(), Some(&Phase::Paused));
            f.resize(10);
            converge(&mut f, &mut c);
            assert_eq!(f.spec, at10, "{toml}: back");
        }
    }

    /// One pod more (10 -> 11 at 30%): the basic canary's closest split is (3, 8), so
    /// the stable takes the pod; a router's canary becomes ceil(3.3) = 4.
    #[test]
    fn a_change_of_one_pod() {
        let steps = "steps = [{set_weight = 30}, {pause = {}}]";
        for (toml, want) in [
            (steps.to_string(), [8, 3]),
            (format!("traffic_routing = true\n{steps}"), [11, 4]),
        ] {
            let mut c = ArgoCanaryController::new(argo_spec(&toml));
            let mut f = Fleet::new(10);
            f.run(&mut c, 1000, &[Phase::Paused]);
            f.resize(11);
            converge(&mut f, &mut c);
            assert_eq!(f.spec, want, "{toml}");
        }
    }

    /// A shrink below the surge (10 -> 2, surge 3): at 30% of 2 with one surge pod
    /// Argo's split is one canary and two stable pods, and the bounds get there with
    /// the stable first; mid-step, the step then completes at the new counts.
    #[test]
    fn a_shrink_below_the_surge() {
        let mut c =
            ArgoCanaryController::new(argo_spec("steps = [{set_weight = 30}, {pause = {}}]"));
        let mut f = Fleet::new(10);
        f.sync(&mut c);
        f.sync(&mut c);
        assert_eq!(
            f.spec,
            [8, 3],
            "mid-step, the canary's pods not yet available"
        );
        f.resize(2);
        f.run(&mut c, 1000, &[Phase::Paused]);
        assert_eq!(f.phases.last(), Some(&Phase::Paused));
        assert_eq!(f.spec, [2, 1]);
        assert_eq!(approximate_weighted_counts(2, 30, 1), (1, 2));
    }

    /// Paused by an Inconclusive analysis, the Rollout scales nothing (haltProgress,
    /// which syncReplicasOnly obeys); aborted meanwhile, the abort waits as long as the
    /// replicas differ from the annotations, and goes on once they are back.
    #[test]
    fn an_inconclusive_pause_halts_scaling() {
        let spec = argo_spec(
            "steps = [{set_weight = 30}, {analysis = {}}]\n[[gates]]\nname = \"errors\"\nthreshold = 0.01\n",
        );
        let mut c = ArgoCanaryController::new(spec);
        let mut f = Fleet::new(10);
        // One request per scrape: below min_samples, an Inconclusive measurement.
        f.healthy_scrapes(3600, 1);
        f.run(&mut c, 1000, &[Phase::Paused]);
        assert_eq!(f.phases.last(), Some(&Phase::Paused));
        assert_eq!(f.spec, [7, 3]);
        f.resize(20);
        converge(&mut f, &mut c);
        assert_eq!(f.spec, [7, 3], "halted");
        f.rollback_requested = Some(f.now);
        converge(&mut f, &mut c);
        assert_eq!(f.phases.last(), Some(&Phase::RollingBack));
        assert_eq!(f.spec, [7, 3], "the abort waits on the stale annotations");
        f.resize(10);
        converge(&mut f, &mut c);
        assert_eq!(f.phases.last(), Some(&Phase::RolledBack));
        assert_eq!(f.spec, [10, 0]);
        // Rolled back, the stable follows.
        f.resize(12);
        converge(&mut f, &mut c);
        assert_eq!(f.spec, [12, 0]);
    }

    /// Promoted, the canary is the stable and follows the replicas; with a router the
    /// old stable keeps its own count until its scale-down delay ends.
    #[test]
    fn after_promotion_the_new_stable_follows() {
        let mut c = ArgoCanaryController::new(argo_spec("steps = [{set_weight = 50}]"));
        let mut f = Fleet::new(10);
        f.run(&mut c, 1000, &[Phase::Promoted]);
        assert_eq!(f.spec, [0, 10]);
        for n in [14, 13] {
            f.resize(n);
            converge(&mut f, &mut c);
            assert_eq!(f.spec, [0, n]);
        }
        let (mut f, mut c) = routed_run("steps = [{set_weight = 50}]", 10, &[Phase::Promoted]);
        assert_eq!(f.spec, [10, 10]);
        let promoted = f.now;
        f.resize(12);
        f.sync(&mut c);
        assert_eq!(f.spec, [10, 12], "the old stable keeps its count");
        f.settle();
        converge(&mut f, &mut c);
        assert_eq!(f.spec, [0, 12]);
        assert_eq!(
            *f.times.last().unwrap(),
            promoted + SimDuration::from_secs(30)
        );
    }

    /// An abort's stable follows the replicas while the router's abort delay holds the
    /// canary at its size.
    #[test]
    fn an_abort_follows_with_the_stable_and_holds_the_canary() {
        let (mut f, mut c) = routed_run(
            "steps = [{set_weight = 30}, {pause = {}}]",
            10,
            &[Phase::Paused],
        );
        assert_eq!(f.spec, [10, 3]);
        f.rollback_requested = Some(f.now);
        f.sync(&mut c);
        f.resize(15);
        f.sync_until_quiet(&mut c, 10);
        assert_eq!(f.spec, [15, 3], "the canary held by the abort delay");
        converge(&mut f, &mut c);
        assert_eq!(f.phases.last(), Some(&Phase::RolledBack));
        assert_eq!(f.spec, [15, 0]);
    }

    /// The progress deadline: a canary whose pods never become available times out
    /// strictly after `progress_deadline_seconds` without progress: exactly at it is
    /// not exceeded, a nanosecond past it is. Without abort it is reported once and the
    /// rollout stays where it is; with abort it is aborted as Argo aborts.
    #[test]
    fn the_progress_deadline_at_and_past_it() {
        for abort in [false, true] {
            let mut c = ArgoCanaryController::new(argo_spec(&format!(
                "progress_deadline_seconds = 60\nprogress_deadline_abort = {abort}\n\
                 steps = [{{set_weight = 50}}, {{pause = {{}}}}]"
            )));
            let mut f = Fleet::new(4);
            f.sync_until_quiet(&mut c, 10);
            assert_eq!(f.spec, [3, 2]);
            let deadline = SimTime::ZERO + SimDuration::from_secs(60);
            assert_eq!(f.wake_at, Some(deadline + SimDuration(1)));
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
            if abort {
                assert_eq!(f.phases.last(), Some(&Phase::RollingBack));
                // An abort for want of progress is no detection: the run is stalled.
                assert!(f.detections.is_empty());
                f.run(&mut c, 1000, &[Phase::RolledBack]);
                assert_eq!(f.spec, [4, 0]);
            } else {
                assert_eq!(f.phases.last(), Some(&Phase::Progressing));
                assert!(f.detections.is_empty());
                f.now += SimDuration::from_secs(3600);
                f.sync(&mut c);
                assert_eq!(reported(&f), 1, "once");
                assert_eq!((f.spec, f.phases.len()), ([3, 2], 1));
            }
        }
    }

    /// A paused rollout never times out, with or without abort; a timed pause step
    /// does not count, and the clock restarts when it ends.
    #[test]
    fn a_paused_rollout_never_times_out() {
        for abort in [false, true] {
            let mut c = ArgoCanaryController::new(argo_spec(&format!(
                "progress_deadline_seconds = 60\nprogress_deadline_abort = {abort}\n\
                 steps = [{{set_weight = 50}}, {{pause = {{duration_seconds = 300}}}}, {{set_weight = 80}}, {{pause = {{}}}}]"
            )));
            let mut f = Fleet::new(4);
            f.run(&mut c, 1000, &[Phase::Paused]);
            assert_eq!(f.phases.last(), Some(&Phase::Paused));
            assert!(f.now >= SimTime::from_secs(300), "{:?}", f.now);
            f.now += SimDuration::from_secs(86_400);
            f.sync(&mut c);
            assert!(
                f.log
                    .iter()
                    .all(|r| r.subject != "ProgressDeadlineExceeded"),
                "abort {abort}"
            );
            assert_eq!(f.phases.last(), Some(&Phase::Paused));
        }
    }

    /// The reader refuses what Argo's validation refuses.
    #[test]
    fn routed_only_keys_need_a_router() {
        let refused = |toml: &str, what: &str| {
            let doc = config::Doc::parse(
                "c.toml",
                &format!("schema_version = 1\nkind = \"canary\"\n{toml}\n"),
            )
            .unwrap();
            let e = crate::Policy::from_doc(&doc).unwrap_err().to_string();
            assert!(e.contains(what), "{toml}: {e}");
        };
        refused(
            "steps = [{set_canary_scale = {replicas = 1}}]",
            "needs traffic_routing",
        );
        refused(
            "dynamic_stable_scale = true\nsteps = [{set_weight = 1}]",
            "needs traffic_routing",
        );
        refused(
            "min_pods_per_replica_set = 2\nsteps = [{set_weight = 1}]",
            "needs traffic_routing",
        );
        refused(
            "traffic_routing = true\ndynamic_stable_scale = true\nscale_down_delay_seconds = 5\nsteps = [{set_weight = 1}]",
            "may not be given with dynamic_stable_scale",
        );
        refused(
            "traffic_routing = true\nsteps = [{set_canary_scale = {replicas = 1, weight = 2}}]",
            "steps[0].set_canary_scale: set_canary_scale has exactly one of replicas, weight, match_traffic_weight; found replicas, weight",
        );
        refused(
            "traffic_routing = true\nsteps = [{set_canary_scale = {}}]",
            "set_canary_scale has exactly one of replicas, weight, match_traffic_weight; found none",
        );
        refused(
            "steps = [{set_weight = 1, pause = {}}]",
            "steps[0]: a step has exactly one of set_weight, pause, analysis, set_canary_scale; found set_weight, pause",
        );
        refused(
            "steps = [{set_weight = 1}, {}]",
            "steps[1]: a step has exactly one of set_weight, pause, analysis, set_canary_scale; found none",
        );
        refused(
            "steps = [{set_weight = 1}]\nanalysis = {count = 0}\n[[gates]]\nthreshold = 1",
            "needs an interval",
        );
        refused(
            "steps = [{set_weight = 1}]\nanalysis = {starting_step = 2, interval_seconds = 5}\n[[gates]]\nthreshold = 1",
            "past the last step",
        );
        refused(
            "steps = [{set_weight = 1}]\nanalysis = {interval_seconds = 5}",
            "needs gates",
        );
    }

    /// A bare `"25"` is 25% for Argo's canary fenceposts and an error for a Deployment.
    #[test]
    fn a_bare_number_string_is_a_percentage_for_argo_only() {
        let s =
            argo_spec("max_surge = \"25\"\nmax_unavailable = \"10\"\nsteps = [{set_weight = 10}]");
        assert_eq!(s.fenceposts.max_surge, IntOrPercent::Percent(25.0));
        assert_eq!(s.fenceposts.max_unavailable, IntOrPercent::Percent(10.0));
        assert_eq!(s.fenceposts.resolve(20), (5, 2));
        let doc = config::Doc::parse(
            "r.toml",
            "schema_version = 1\nkind = \"rolling\"\nmax_surge = \"25\"\n",
        )
        .unwrap();
        let e = crate::Policy::from_doc(&doc).unwrap_err().to_string();
        assert!(
            e.contains("max_surge") && e.contains("neither a count"),
            "{e}"
        );
        // Both zero is still refused, as Argo's validation refuses it.
        let doc = config::Doc::parse(
            "c.toml",
            "schema_version = 1\nkind = \"canary\"\nmax_surge = \"0\"\nmax_unavailable = 0\nsteps = [{set_weight = 10}]\n",
        )
        .unwrap();
        let e = crate::Policy::from_doc(&doc).unwrap_err().to_string();
        assert!(e.contains("may not be 0"), "{e}");
    }

    /// The controller, synced on an instant fleet, scales one ReplicaSet per sync, the
    /// stable first, and recomputes: the six-replica path (the steps of
    /// argo-canary without its analyses, maxSurge 25% = 2, maxUnavailable 0).
    #[test]
    fn the_controller_scales_one_replicaset_per_sync() {
        let spec = argo_spec(
            "max_surge = \"25%\"\nmax_unavailable = 0\nsteps = [{set_weight = 10}, {set_weight = 30}, {set_weight = 60}, {pause = {duration_seconds = 60}}]",
        );
        let mut c = ArgoCanaryController::new(spec);
        let mut f = Fleet::new(6);
        f.run(&mut c, 1000, &[Phase::Promoted]);
        assert_eq!(f.phases.last(), Some(&Phase::Promoted));
        assert_eq!(
            f.path,
            vec![
                (6, 0),
                (6, 1),
                (5, 1),
                (5, 2),
                (4, 2),
                (4, 4),
                (3, 4),
                (2, 4),
                (2, 6),
                (0, 6)
            ]
        );
    }

    #[test]
    fn older_replica_sets_count_against_the_surge_and_go_first() {
        // TestCalculateReplicaCountsForCanary's cases with an older ReplicaSet (3 pods,
        // all available): (replicas, weight, surge, unavailable, stable, canary).
        let older = [rs(3, 3)];
        // "Scale up Stable before canaryRS": 11 pods allowed, 4 there (the older 3
        // among them), 7 to add; the stable takes 6 to reach its 7, the canary the last.
        assert_eq!(
            basic_canary_counts_among(10, 30, 1, 0, rs(0, 0), rs(1, 1), &older),
            (1, 7)
        );
        // "Do not scale down canaryRS or stable when older RS count >= scaleDownCount".
        assert_eq!(
            basic_canary_counts_among(10, 30, 0, 1, rs(4, 2), rs(8, 6), &older),
            (4, 8)
        );
        // The same pair without the older ReplicaSet scales down as usual.
        assert_eq!(
            basic_canary_counts(10, 30, 0, 1, rs(4, 2), rs(8, 6)),
            basic_canary_counts_among(10, 30, 0, 1, rs(4, 2), rs(8, 6), &[])
        );
        assert_ne!(
            basic_canary_counts(10, 30, 0, 1, rs(4, 2), rs(8, 6)),
            (4, 8)
        );
        // An older ReplicaSet scaled to 0 changes nothing.
        assert_eq!(
            basic_canary_counts_among(10, 30, 0, 1, rs(4, 2), rs(8, 6), &[rs(0, 0)]),
            basic_canary_counts(10, 30, 0, 1, rs(4, 2), rs(8, 6))
        );
    }

    #[test]
    fn older_replica_sets_scale_down_within_availability() {
        // scaleDownOldReplicaSetsForCanary: 10 replicas, maxUnavailable 2 (minAvailable
        // 8). 11 available in all: 3 may go. Without a router the newest older one loses
        // 3 of its 5, the next keeps its pods.
        let older = [rs(5, 5), rs(2, 2)];
        assert_eq!(scale_down_older(10, 2, false, 11, &older), vec![2, 2]);
        // Exactly at minAvailable: nothing goes (one more available: one goes).
        assert_eq!(scale_down_older(10, 2, false, 8, &older), vec![5, 2]);
        assert_eq!(scale_down_older(10, 2, false, 9, &older), vec![4, 2]);
        // With a router an intermediate ReplicaSet takes no traffic: it goes to 0 whole,
        // and the allowance it used up stops the next.
        assert_eq!(scale_down_older(10, 2, true, 11, &older), vec![0, 2]);
        assert_eq!(scale_down_older(10, 2, true, 16, &older), vec![0, 0]);
        // Unhealthy pods are cleaned up whatever the availability.
        assert_eq!(
            scale_down_older(10, 2, false, 8, &[rs(5, 3), rs(2, 0)]),
            vec![3, 0]
        );
    }

    #[test]
    fn basic_canary_matches_argo_tests() {
        // TestCalculateReplicaCountsForCanary: (replicas, weight, surge, unavailable,
        // stable, canary) -> (canary, stable).
        let cases = [
            ((10, 20, 2, 0, rs(10, 10), rs(0, 0)), (2, 10)),
            ((10, 20, 2, 0, rs(10, 10), rs(2, 2)), (2, 8)),
            ((10, 30, 2, 0, rs(10, 10), rs(0, 0)), (2, 10)),
            ((10, 20, 0, 2, rs(10, 10), rs(0, 0)), (0, 8)),
            ((10, 50, 2, 1, rs(10, 10), rs(0, 0)), (2, 9)),
            ((10, 0, 1, 1, rs(10, 10), rs(1, 1)), (0, 10)),
            ((10, 100, 1, 1, rs(1, 1), rs(10, 10)), (10, 0)),
            ((1, 20, 1, 0, rs(1, 1), rs(0, 0)), (1, 1)),
            ((1, 90, 1, 0, rs(1, 1), rs(0, 0)), (1, 1)),
            ((10, 30, 0, 3, rs(8, 5), rs(4, 4)), (3, 7)),
            ((10, 100, 1, 0, rs(10, 2), rs(10, 8)), (9, 2)),
            ((10, 5, 0, 1, rs(10, 10), rs(0, 0)), (0, 9)),
            ((10, 5, 0, 1, rs(9, 9), rs(0, 0)), (1, 9)),
            ((4, 100, 1, 0, rs(4, 1), rs(0, 0)), (1, 4)),
            ((3, 99, 0, 2, rs(3, 3), rs(0, 0)), (0, 1)),
            ((3, 99, 0, 2, rs(1, 1), rs(0, 0)), (2, 1)),
            ((4, 100, 1, 0, rs(4, 1), rs(1, 1)), (1, 3)),
            ((4, 0, 1, 0, rs(0, 0), rs(4, 4)), (4, 1)),
        ];
        for ((r, w, s, u, stable, canary), want) in cases {
            assert_eq!(
                basic_canary_counts(r, w, s, u, canary, stable),
                want,
                "{r} replicas {w}% surge {s} unavailable {u} stable {stable:?} canary {canary:?}"
            );
        }
        // Both 0% resolve to unavailable 1, as in Kubernetes.
        let f = Fenceposts {
            max_surge: crate::intstr::IntOrPercent::Percent(0.0),
            max_unavailable: crate::intstr::IntOrPercent::Percent(0.0),
        };
        let (s, u) = f.resolve(10);
        assert_eq!(
            basic_canary_counts(10, 10, s, u, rs(0, 0), rs(10, 10)),
            (0, 9)
        );
        assert_eq!(
            crate::k8s::resolve_fenceposts(f.max_surge, f.max_unavailable, 10),
            (0, 1)
        );
    }
}
