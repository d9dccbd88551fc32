//! The Kubernetes Deployment controller's RollingUpdate arithmetic, as in
//! `pkg/controller/deployment/rolling.go` and `util/deployment_util.go`.
//!
//! A sync either scales the new ReplicaSet up (or down to the desired count), or scales
//! old ones down; never both. Old pods that are not available are cleaned up first.
//! These are pure functions of ReplicaSet counts so that the controller's documented
//! cases can be pinned in unit tests.

use serde::Serialize;
use sim_core::{Observation, SimDuration, SimTime, Version};

use crate::intstr::IntOrPercent;

/// `ResolveFenceposts`: surge rounds up, unavailable rounds down, and if both come to
/// zero, unavailable becomes one so the rollout can make progress.
pub fn resolve_fenceposts(
    surge: IntOrPercent,
    unavailable: IntOrPercent,
    desired: u32,
) -> (u32, u32) {
    let s = surge.scaled(desired, true);
    let u = unavailable.scaled(desired, false);
    if s == 0 && u == 0 { (0, 1) } else { (s, u) }
}

/// `spec.strategy.type` of a Deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyType {
    /// `RollingUpdate` (the API default): surge and unavailability bound each step.
    RollingUpdate,
    /// `Recreate`: every old pod is gone before any new one is created.
    Recreate,
}

impl StrategyType {
    pub const NAMES: [&'static str; 2] = ["rolling_update", "recreate"];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// `MaxUnavailable` in deployment_util.go: 0 for a Recreate Deployment or one of zero
/// replicas; otherwise the resolved `maxUnavailable`, never more than the replicas.
pub fn max_unavailable(strategy: StrategyType, unavailable: u32, desired: u32) -> u32 {
    if strategy != StrategyType::RollingUpdate || desired == 0 {
        0
    } else {
        unavailable.min(desired)
    }
}

/// `MaxSurge`: 0 for a Recreate Deployment, else the resolved `maxSurge`.
pub fn max_surge(strategy: StrategyType, surge: u32) -> u32 {
    if strategy == StrategyType::RollingUpdate {
        surge
    } else {
        0
    }
}

/// `MinAvailable`: the pods that must stay available, `replicas − MaxUnavailable` for a
/// rolling update and 0 for Recreate (which takes everything down on purpose).
pub fn min_available(strategy: StrategyType, unavailable: u32, desired: u32) -> u32 {
    if strategy != StrategyType::RollingUpdate {
        return 0;
    }
    desired - max_unavailable(strategy, unavailable, desired)
}

/// The counts of `DeploymentStatus` that progress is judged on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeploymentStatus {
    /// `status.replicas`: pods of every ReplicaSet, terminating ones excluded.
    pub replicas: u32,
    /// `status.updatedReplicas`: pods of the new ReplicaSet.
    pub updated: u32,
    pub ready: u32,
    pub available: u32,
}

impl DeploymentStatus {
    /// The status of a rollout towards `to`, as the controller computes it.
    pub fn of(obs: &Observation<'_>, to: Version) -> DeploymentStatus {
        let (new, old) = (obs.cohort(to), obs.cohort(to.other()));
        DeploymentStatus {
            replicas: new.pods + old.pods,
            updated: new.pods,
            ready: new.ready + old.ready,
            available: new.available + old.available,
        }
    }
}

/// `DeploymentProgressing`: more updated pods, fewer old pods, more ready or more
/// available pods than at the last status is progress; nothing else is.
pub fn deployment_progressing(old: &DeploymentStatus, new: &DeploymentStatus) -> bool {
    let old_old = old.replicas as i64 - old.updated as i64;
    let new_old = new.replicas as i64 - new.updated as i64;
    new.updated > old.updated
        || new_old < old_old
        || new.ready > old.ready
        || new.available > old.available
}

/// The reason of the `Progressing` condition, as far as `DeploymentTimedOut` reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressReason {
    /// `NewReplicaSetAvailable`: the rollout completed.
    NewReplicaSetAvailable,
    /// `ProgressDeadlineExceeded`: already timed out.
    TimedOut,
    /// Any other (ReplicaSetUpdated, NewReplicaSetCreated, DeploymentResumed, ...).
    Progressing,
}

/// A `Progressing` condition: its reason and `lastUpdateTime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgressCondition {
    pub reason: ProgressReason,
    pub last_update: SimTime,
}

/// `progressDeadlineSeconds` of `i32::MAX` means no deadline (`HasProgressDeadline`).
pub const NO_PROGRESS_DEADLINE: f64 = i32::MAX as f64;

/// `HasProgressDeadline`: a deadline unless there is none or it is `i32::MAX` seconds.
pub fn progress_deadline(seconds: Option<f64>) -> Option<SimDuration> {
    seconds
        .filter(|&s| s != NO_PROGRESS_DEADLINE)
        .map(SimDuration::from_secs_f64)
}

/// `DeploymentTimedOut`: without a deadline or a condition it never times out; a
/// completed rollout has not timed out; one already reported has; otherwise it has once
/// `lastUpdateTime + deadline` is strictly before `now`.
pub fn deployment_timed_out(
    deadline: Option<SimDuration>,
    condition: Option<ProgressCondition>,
    now: SimTime,
) -> bool {
    let (Some(deadline), Some(c)) = (deadline, condition) else {
        return false;
    };
    match c.reason {
        ProgressReason::NewReplicaSetAvailable => false,
        ProgressReason::TimedOut => true,
        ProgressReason::Progressing => c.last_update + deadline < now,
    }
}

/// `cleanupUnhealthyReplicas`: scales old ReplicaSets (oldest first) down by their pods
/// that are not available, at most `max_cleanup` in all, so that unhealthy pods never
/// block a rollout (kubernetes#16737). Returns how many pods were cleaned up; `old`'s
/// specs are updated in place (their availability is not: the controller reads the
/// status it had).
pub fn cleanup_unhealthy_replicas(old: &mut [ReplicaSet], max_cleanup: u32) -> u32 {
    let mut total = 0;
    for rs in old.iter_mut() {
        if total >= max_cleanup {
            break;
        }
        // Kubernetes skips a ReplicaSet scaled to zero or with every pod available:
        // for both, the saturating difference below is zero.
        let down = (max_cleanup - total).min(rs.spec.saturating_sub(rs.available));
        rs.spec -= down;
        total += down;
    }
    total
}

/// A ReplicaSet as the controller sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaSet {
    /// `spec.replicas`.
    pub spec: u32,
    /// `status.availableReplicas`.
    pub available: u32,
}

impl ReplicaSet {
    /// A ReplicaSet of `n` pods, all available (a healthy rollout's).
    pub fn all_available(n: u32) -> ReplicaSet {
        ReplicaSet {
            spec: n,
            available: n,
        }
    }

    /// The ReplicaSet of version `v`, as the controller observes it.
    pub fn of(obs: &Observation<'_>, v: Version) -> ReplicaSet {
        let c = obs.cohort(v);
        ReplicaSet {
            spec: c.spec,
            available: c.available,
        }
    }
}

/// What one sync does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncAction {
    /// Set the new ReplicaSet's spec.
    ScaleNew(u32),
    /// Set the old ReplicaSet's spec.
    ScaleOld(u32),
    /// Nothing to do right now.
    Wait,
}

/// `NewRSNewReplicas` for RollingUpdate: how far the new ReplicaSet may grow, the
/// surge measured against the pods of every old ReplicaSet
/// (`GetReplicaCountForReplicaSets(allRSs)`).
pub fn new_rs_new_replicas_among(
    desired: u32,
    max_surge: u32,
    new: ReplicaSet,
    olds: &[ReplicaSet],
) -> u32 {
    let current = new.spec as u64 + olds.iter().map(|r| r.spec as u64).sum::<u64>();
    let max_total = desired as u64 + max_surge as u64;
    if current >= max_total {
        return new.spec;
    }
    let up = (max_total - current).min(desired.saturating_sub(new.spec) as u64);
    new.spec + up as u32
}

/// `reconcileNewReplicaSet`: `Some(target)` if the new ReplicaSet must be scaled.
pub fn reconcile_new(
    desired: u32,
    max_surge: u32,
    new: ReplicaSet,
    old: ReplicaSet,
) -> Option<u32> {
    reconcile_new_among(desired, max_surge, new, &[old])
}

/// `reconcileNewReplicaSet` with every old ReplicaSet.
pub fn reconcile_new_among(
    desired: u32,
    max_surge: u32,
    new: ReplicaSet,
    olds: &[ReplicaSet],
) -> Option<u32> {
    match new.spec.cmp(&desired) {
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Greater => Some(desired),
        std::cmp::Ordering::Less => {
            let target = new_rs_new_replicas_among(desired, max_surge, new, olds);
            (target != new.spec).then_some(target)
        }
    }
}

/// `reconcileOldReplicaSets` with one old ReplicaSet: `Some(target)` if it must shrink
/// (see `reconcile_olds`).
pub fn reconcile_old(
    desired: u32,
    max_unavailable: u32,
    new: ReplicaSet,
    old: ReplicaSet,
) -> Option<u32> {
    let target = reconcile_olds(desired, max_unavailable, new, &[old])[0];
    (target != old.spec).then_some(target)
}

/// `reconcileOldReplicaSets`: the old ReplicaSets' specs after one sync, in `olds`'
/// order, which must be oldest first (creation order, as the controller sorts them).
/// First unhealthy (not available) old pods are cleaned up, oldest ReplicaSet first,
/// within the bound `Σspec − minAvailable − (new.spec − new.available)`; then
/// `scaleDownOldReplicaSetsForRollingUpdate` takes available old pods down, oldest
/// ReplicaSet first, as far as `minAvailable` allows, counting availability as the
/// sync observed it (the cleanup removed unavailable pods only).
///
/// A run of rollcage has one release, so its Deployments have one old ReplicaSet; the
/// slice form is the controller's, kept so that a roll-over (an update in the middle of
/// an update) is answered as Kubernetes answers it.
pub fn reconcile_olds(
    desired: u32,
    max_unavailable: u32,
    new: ReplicaSet,
    olds: &[ReplicaSet],
) -> Vec<u32> {
    let mut specs: Vec<ReplicaSet> = olds.to_vec();
    let old_pods: i64 = olds.iter().map(|r| r.spec as i64).sum();
    if old_pods == 0 {
        return specs.iter().map(|r| r.spec).collect();
    }
    let all = new.spec as i64 + old_pods;
    let min_available = min_available(StrategyType::RollingUpdate, max_unavailable, desired) as i64;
    let new_unavailable = new.spec as i64 - new.available as i64;
    let max_scaled_down = all - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return specs.iter().map(|r| r.spec).collect();
    }
    cleanup_unhealthy_replicas(&mut specs, max_scaled_down as u32);
    // scaleDownOldReplicaSetsForRollingUpdate
    let available = new.available as i64 + olds.iter().map(|r| r.available as i64).sum::<i64>();
    // Nothing to scale down unless more are available than must be.
    let mut left = available - min_available;
    for rs in specs.iter_mut() {
        if left <= 0 {
            break;
        }
        let down = (rs.spec as i64).min(left);
        rs.spec -= down as u32;
        left -= down;
    }
    specs.iter().map(|r| r.spec).collect()
}

/// One sync of `rolloutRolling`: scale up first; only if nothing to scale up, scale
/// down.
pub fn rolling_sync(
    desired: u32,
    surge: u32,
    unavailable: u32,
    new: ReplicaSet,
    old: ReplicaSet,
) -> SyncAction {
    if let Some(n) = reconcile_new(desired, surge, new, old) {
        return SyncAction::ScaleNew(n);
    }
    match reconcile_old(desired, unavailable, new, old) {
        Some(n) => SyncAction::ScaleOld(n),
        None => SyncAction::Wait,
    }
}

/// A ReplicaSet with the annotations the Deployment controller keeps on it
/// (`deployment.kubernetes.io/desired-replicas` and `.../max-replicas`), as `scale` reads
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnnotatedReplicaSet {
    pub spec: u32,
    pub available: u32,
    /// `desired-replicas`: the Deployment's replicas when the controller last scaled it.
    pub desired_replicas: Option<u32>,
    /// `max-replicas`: that count plus the surge it allowed.
    pub max_replicas: Option<u32>,
}

/// `GetProportion` with `getReplicaSetFraction`: the ReplicaSet's share of the change,
/// `round(spec × (replicas + maxSurge) / max-replicas annotation) − spec` (the
/// Deployment's `status.replicas` standing in for a missing annotation; the whole spec
/// when scaling to zero), no more than what is left to add (or remove).
fn proportion(
    rs: &AnnotatedReplicaSet,
    desired: u32,
    allowed_total: i64,
    status_replicas: u32,
    to_add: i64,
    added: i64,
) -> i64 {
    // Kubernetes also returns 0 for a ReplicaSet at zero and for nothing to add: the
    // callers pass active ReplicaSets only, and with nothing to add nothing is added.
    if to_add == added {
        return 0;
    }
    let fraction = if desired == 0 {
        -(rs.spec as i64)
    } else {
        let annotated = rs.max_replicas.unwrap_or(status_replicas).max(1);
        let size = rs.spec as f64 * allowed_total as f64 / annotated as f64;
        // integer.RoundToInt32: halves round away from zero.
        (size + 0.5).floor() as i64 - rs.spec as i64
    };
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// `scale` in sync.go: the ReplicaSets' new specs when the Deployment's replicas change
/// (a scaling event: some active ReplicaSet's `desired-replicas` annotation differs).
/// `rss` are every ReplicaSet, oldest first (creation order); `new` is the new one's
/// index. One active ReplicaSet (or none: then the newest) simply takes `desired`; a
/// saturated new ReplicaSet leaves the old ones at zero; otherwise, for a rolling update,
/// `desired + maxSurge` minus the pods there are is shared out in proportion to each
/// ReplicaSet's size against its `max-replicas`, largest first (newer first among equals
/// when scaling up, older first when scaling down), and what rounding leaves over goes
/// to the first of that order. A Recreate Deployment with several active ReplicaSets is
/// left alone (its rollout scales them). Returns the specs in `rss`'s order.
pub fn proportional_scale(
    strategy: StrategyType,
    desired: u32,
    max_surge: u32,
    status_replicas: u32,
    rss: &[AnnotatedReplicaSet],
    new: Option<usize>,
) -> Vec<u32> {
    let mut sizes: Vec<u32> = rss.iter().map(|r| r.spec).collect();
    let active: Vec<usize> = (0..rss.len()).filter(|&i| rss[i].spec > 0).collect();
    // FindActiveOrLatest
    let only = match active.len() {
        0 => new.or(rss.len().checked_sub(1)),
        1 => Some(active[0]),
        _ => None,
    };
    if let Some(i) = only {
        sizes[i] = desired;
        return sizes;
    }
    // IsSaturated
    if let Some(n) = new {
        let r = &rss[n];
        if r.spec == desired && r.desired_replicas == Some(desired) && r.available == desired {
            for &i in &active {
                if i != n {
                    sizes[i] = 0;
                }
            }
            return sizes;
        }
    }
    if strategy != StrategyType::RollingUpdate {
        return sizes;
    }
    let total: i64 = active.iter().map(|&i| rss[i].spec as i64).sum();
    let allowed_total = if desired > 0 {
        (desired + max_surge) as i64
    } else {
        0
    };
    let to_add = allowed_total - total;
    let mut order = active;
    match to_add.cmp(&0) {
        // ReplicaSetsBySizeNewer
        std::cmp::Ordering::Greater => {
            order.sort_by(|&a, &b| rss[b].spec.cmp(&rss[a].spec).then(b.cmp(&a)))
        }
        // ReplicaSetsBySizeOlder
        std::cmp::Ordering::Less => {
            order.sort_by(|&a, &b| rss[b].spec.cmp(&rss[a].spec).then(a.cmp(&b)))
        }
        std::cmp::Ordering::Equal => {}
    }
    let mut added = 0;
    let mut next: Vec<i64> = Vec::with_capacity(order.len());
    for &i in &order {
        let p = proportion(
            &rss[i],
            desired,
            allowed_total,
            status_replicas,
            to_add,
            added,
        );
        next.push(rss[i].spec as i64 + p);
        added += p;
    }
    if let Some(first) = next.first_mut() {
        *first = (*first + to_add - added).max(0);
    }
    for (k, &i) in order.iter().enumerate() {
        sizes[i] = next[k].max(0) as u32;
    }
    sizes
}

/// `DeploymentComplete`: every replica updated and available, no old pods left.
pub fn complete(desired: u32, new: ReplicaSet, old_pods: u32) -> bool {
    new.spec == desired && new.available >= desired && old_pods == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntOrPercent::{Int, Percent};

    fn rs(spec: u32, available: u32) -> ReplicaSet {
        ReplicaSet { spec, available }
    }

    /// The status sums both ReplicaSets' pods, ready and available pods; only the new
    /// one's pods are updated.
    #[test]
    fn the_status_adds_up_both_replica_sets() {
        let m = sim_core::metrics::MetricsStore::default();
        let status = |pods, ready, available| sim_core::CohortStatus {
            spec: pods,
            pods,
            ready,
            available,
            restarts: 0,
            terminating: 0,
        };
        let obs = Observation {
            now: SimTime::ZERO,
            desired: 8,
            release_requested: true,
            // Baseline (old), candidate (new).
            fleet: [status(5, 4, 3), status(3, 2, 1)],
            terminating: 0,
            metrics: m.view(SimTime::ZERO, sim_core::SimDuration::ZERO),
            rollback_requested: None,
        };
        assert_eq!(
            DeploymentStatus::of(&obs, Version::Candidate),
            DeploymentStatus {
                replicas: 8,
                updated: 3,
                ready: 6,
                available: 4,
            }
        );
        assert_eq!(DeploymentStatus::of(&obs, Version::Baseline).updated, 5);
    }

    #[test]
    fn fenceposts_round_as_kubernetes_does() {
        // From deployment_util_test.go TestResolveFenceposts.
        assert_eq!(resolve_fenceposts(Percent(0.0), Percent(0.0), 0), (0, 1));
        assert_eq!(resolve_fenceposts(Percent(39.0), Percent(39.0), 10), (4, 3));
        assert_eq!(resolve_fenceposts(Percent(25.0), Percent(25.0), 8), (2, 2));
        assert_eq!(resolve_fenceposts(Int(1), Int(1), 2), (1, 1));
        assert_eq!(resolve_fenceposts(Int(0), Int(0), 10), (0, 1));
        // The defaults on 20 and on 10 replicas.
        assert_eq!(resolve_fenceposts(Percent(25.0), Percent(25.0), 20), (5, 5));
        assert_eq!(resolve_fenceposts(Percent(25.0), Percent(25.0), 10), (3, 2));
        // A percentage that resolves to zero on a small fleet.
        assert_eq!(resolve_fenceposts(Percent(10.0), Percent(10.0), 5), (1, 0));
        assert_eq!(resolve_fenceposts(Percent(0.0), Percent(10.0), 5), (0, 1));
    }

    #[test]
    fn scale_up_amounts_match_rolling_test() {
        // From rolling_test.go TestDeploymentController_reconcileNewReplicaSet
        // (maxUnavailable 0): (desired, surge, old, new) -> expected new spec.
        assert_eq!(reconcile_new(10, 0, rs(0, 0), rs(10, 10)), None);
        assert_eq!(reconcile_new(10, 2, rs(0, 0), rs(10, 10)), Some(2));
        assert_eq!(reconcile_new(10, 2, rs(0, 0), rs(5, 5)), Some(7));
        assert_eq!(reconcile_new(10, 2, rs(2, 0), rs(10, 10)), None);
        assert_eq!(reconcile_new(10, 2, rs(11, 11), rs(2, 2)), Some(10));
    }

    #[test]
    fn scale_down_amounts_match_rolling_test() {
        // reconcileOldReplicaSets (maxSurge 0): (desired, unavailable, new, old).
        // maxUnavailable 0 with maxSurge 0 resolves to unavailable 1.
        let (_, u) = resolve_fenceposts(Int(0), Int(0), 10);
        assert_eq!(reconcile_old(10, u, rs(0, 0), rs(10, 10)), Some(9));
        assert_eq!(reconcile_old(10, 2, rs(0, 0), rs(10, 10)), Some(8));
        // Unhealthy old pods are cleaned up first.
        assert_eq!(reconcile_old(10, 2, rs(0, 0), rs(10, 8)), Some(8));
        // One unhealthy cleaned up and one ready pod scaled down.
        assert_eq!(reconcile_old(10, 2, rs(0, 0), rs(10, 9)), Some(8));
        // Unavailable new pods stop further scale-down.
        assert_eq!(reconcile_old(10, 2, rs(2, 0), rs(8, 8)), None);
        // scaleDownOldReplicaSetsForRollingUpdate scales nothing with one ready pod of
        // ten; the cleanup before it still removes the two unhealthy pods it may.
        assert_eq!(reconcile_old(10, 2, rs(0, 0), rs(10, 1)), Some(8));
        assert_eq!(reconcile_old(10, 2, rs(0, 0), rs(0, 0)), None);
    }

    #[test]
    fn cleanup_is_bounded_by_max_scaled_down() {
        // cleanupUnhealthyReplicas: 10 old, 8 available; the bound caps the cleanup.
        // desired 10, unavailable 2, new 1 spec / 0 available: bound = 11 - 8 - 1 = 2.
        assert_eq!(reconcile_old(10, 2, rs(1, 0), rs(10, 8)), Some(8));
        // Three unhealthy but a bound of 12 - 8 - 2 = 2: only two are cleaned up.
        assert_eq!(reconcile_old(10, 2, rs(2, 0), rs(10, 7)), Some(8));
    }

    #[test]
    fn a_roll_over_shares_the_scale_down_among_old_replica_sets_oldest_first() {
        // The controller's own example (rolling.go, case 2): 10 replicas, maxUnavailable
        // 2, maxSurge 3; a third template arrives while 13 pods run (8 of the first
        // ReplicaSet, 5 of the second, all available). The new ReplicaSet starts at 0
        // (13 pods is already the surge limit); the old ones may lose 13 - 8 - 0 = 5,
        // taken from the oldest first.
        let olds = [rs(8, 8), rs(5, 5)];
        assert_eq!(new_rs_new_replicas_among(10, 3, rs(0, 0), &olds), 0);
        assert_eq!(reconcile_new_among(10, 3, rs(0, 0), &olds), None);
        assert_eq!(reconcile_olds(10, 2, rs(0, 0), &olds), vec![3, 5]);
        // More to shed than the oldest holds: it goes to 0 and the next pays the rest.
        assert_eq!(
            reconcile_olds(10, 2, rs(0, 0), &[rs(3, 3), rs(10, 10)]),
            vec![0, 8]
        );
        // Then the new one grows into the room the old ones left, counting all of them.
        assert_eq!(
            new_rs_new_replicas_among(10, 3, rs(0, 0), &[rs(3, 3), rs(5, 5)]),
            5
        );
        // An empty old ReplicaSet is skipped, not scaled below zero.
        assert_eq!(
            reconcile_olds(10, 2, rs(0, 0), &[rs(0, 0), rs(10, 10)]),
            vec![0, 8]
        );
    }

    #[test]
    fn a_roll_over_cleans_unhealthy_pods_oldest_first_within_the_bound() {
        // The controller's case 1 (rolling.go): the second ReplicaSet's 5 pods crash;
        // a node failure makes one of the first's 8 unavailable. 13 - 8 - 0 (the new
        // one has no pods) = 5 may go: the oldest's unhealthy pod first, then the
        // crashing ones, then nothing available (7 available of minAvailable 8).
        let olds = [rs(8, 7), rs(5, 0)];
        assert_eq!(reconcile_olds(10, 2, rs(0, 0), &olds), vec![7, 1]);
        // New pods that are not available do not widen the bound (17 - 8 - 4 = 5)...
        assert_eq!(reconcile_olds(10, 2, rs(4, 0), &olds), vec![7, 1]);
        // ...an available one does (14 - 8 - 0 = 6): every unhealthy pod goes, and with
        // 8 available, none that serves.
        assert_eq!(reconcile_olds(10, 2, rs(1, 1), &olds), vec![7, 0]);
        // Two available new pods: the cleanup (bound 7) and then one available old pod
        // (9 available, minAvailable 8), from the oldest.
        assert_eq!(reconcile_olds(10, 2, rs(4, 2), &olds), vec![6, 0]);
        // One old ReplicaSet: the same answer as reconcile_old.
        assert_eq!(reconcile_olds(10, 2, rs(0, 0), &[rs(10, 9)]), vec![8]);
        assert_eq!(reconcile_old(10, 2, rs(0, 0), rs(10, 9)), Some(8));
    }

    #[test]
    fn a_sync_never_scales_both_ways() {
        // desired 20, 25%/25%: the first sync surges, the second scales old down.
        let (s, u) = resolve_fenceposts(Percent(25.0), Percent(25.0), 20);
        let old = rs(20, 20);
        assert_eq!(
            rolling_sync(20, s, u, rs(0, 0), old),
            SyncAction::ScaleNew(5)
        );
        assert_eq!(
            rolling_sync(20, s, u, rs(5, 0), old),
            SyncAction::ScaleOld(15)
        );
        // New pods not yet available: no more scale-down beyond minAvailable.
        assert_eq!(
            rolling_sync(20, s, u, rs(5, 0), rs(15, 15)),
            SyncAction::ScaleNew(10)
        );
        assert_eq!(
            rolling_sync(20, s, u, rs(10, 0), rs(15, 15)),
            SyncAction::Wait
        );
        assert!(complete(20, rs(20, 20), 0));
        assert!(!complete(20, rs(20, 19), 0));
    }

    /// TestMaxUnavailable (deployment_util_test.go), with MinAvailable beside it.
    #[test]
    fn max_unavailable_and_min_available_match_the_controller() {
        use StrategyType::{Recreate, RollingUpdate};
        let mu = |replicas, u: IntOrPercent| {
            let (_, u) = resolve_fenceposts(Int(1), u, replicas);
            max_unavailable(RollingUpdate, u, replicas)
        };
        assert_eq!(mu(10, Int(5)), 5);
        assert_eq!(mu(10, Int(10)), 10);
        assert_eq!(mu(5, Int(10)), 5);
        assert_eq!(mu(0, Int(10)), 0);
        assert_eq!(max_unavailable(Recreate, 3, 10), 0);
        assert_eq!(mu(10, Percent(50.0)), 5);
        assert_eq!(mu(10, Percent(100.0)), 10);
        assert_eq!(mu(5, Percent(100.0)), 5);
        assert_eq!(min_available(RollingUpdate, 2, 10), 8);
        assert_eq!(min_available(RollingUpdate, 10, 5), 0);
        assert_eq!(min_available(Recreate, 2, 10), 0);
        assert_eq!(max_surge(RollingUpdate, 3), 3);
        assert_eq!(max_surge(Recreate, 3), 0);
    }

    fn status(replicas: u32, updated: u32, ready: u32, available: u32) -> DeploymentStatus {
        DeploymentStatus {
            replicas,
            updated,
            ready,
            available,
        }
    }

    /// TestDeploymentProgressing: (old status, new status) -> progressing.
    #[test]
    fn progress_is_what_the_controller_calls_progress() {
        let cases = [
            (status(10, 4, 4, 4), status(10, 6, 4, 4), true),
            (status(10, 4, 4, 4), status(10, 4, 4, 4), false),
            (status(10, 4, 6, 6), status(8, 4, 6, 6), true),
            (status(10, 7, 3, 3), status(10, 6, 3, 3), false),
            (status(10, 4, 7, 7), status(8, 8, 5, 5), true),
            (status(10, 10, 9, 8), status(10, 10, 10, 8), true),
            (status(10, 10, 10, 9), status(10, 10, 10, 10), true),
        ];
        for (old, new, want) in cases {
            assert_eq!(
                deployment_progressing(&old, &new),
                want,
                "{old:?} -> {new:?}"
            );
        }
    }

    /// TestDeploymentTimedOut: a 10 s deadline from 00:01:09 has passed at 00:01:20
    /// (11 s), one from 00:01:11 has not (9 s); no deadline, an "infinite" one and a
    /// completed rollout never time out. The comparison is strict: exactly at the
    /// deadline is not yet a timeout.
    #[test]
    fn timeouts_match_the_controller() {
        let t = |m: u64, s: u64| SimTime::from_secs(60 * m + s);
        let cond = |reason, at| {
            Some(ProgressCondition {
                reason,
                last_update: at,
            })
        };
        use ProgressReason::*;
        let ten = progress_deadline(Some(10.0));
        assert_eq!(progress_deadline(None), None);
        assert_eq!(progress_deadline(Some(NO_PROGRESS_DEADLINE)), None);
        assert!(!deployment_timed_out(
            None,
            cond(Progressing, t(1, 9)),
            t(1, 20)
        ));
        let infinite = progress_deadline(Some(NO_PROGRESS_DEADLINE));
        assert!(!deployment_timed_out(
            infinite,
            cond(Progressing, t(1, 9)),
            t(1, 20)
        ));
        assert!(deployment_timed_out(
            ten,
            cond(Progressing, t(1, 9)),
            t(1, 20)
        ));
        assert!(!deployment_timed_out(
            ten,
            cond(Progressing, t(1, 11)),
            t(1, 20)
        ));
        let done = cond(NewReplicaSetAvailable, SimTime::ZERO);
        assert!(!deployment_timed_out(ten, done, t(1, 20)));
        assert!(deployment_timed_out(
            ten,
            cond(TimedOut, t(1, 19)),
            t(1, 20)
        ));
        assert!(!deployment_timed_out(ten, None, t(1, 20)));
        // The boundary: 10 s exactly is not past the deadline, a nanosecond more is.
        assert!(!deployment_timed_out(
            ten,
            cond(Progressing, t(1, 10)),
            t(1, 20)
        ));
        let just_past = t(1, 20) + SimDuration(1);
        assert!(deployment_timed_out(
            ten,
            cond(Progressing, t(1, 10)),
            just_past
        ));
    }

    /// TestDeploymentController_cleanupUnhealthyReplicas (rolling_test.go): an old
    /// ReplicaSet of 10 with (available) ready pods and the most that may be cleaned up
    /// -> pods cleaned.
    #[test]
    fn cleanup_matches_rolling_test() {
        let cases = [(8, 1, 1), (8, 3, 2), (8, 0, 0), (10, 3, 0)];
        for (ready, max, want) in cases {
            let mut rss = [rs(10, ready)];
            assert_eq!(
                cleanup_unhealthy_replicas(&mut rss, max),
                want,
                "{ready} {max}"
            );
            assert_eq!(rss[0].spec, 10 - want);
        }
        // Oldest first, each by its unavailable pods, within the bound.
        let mut rss = [rs(4, 1), rs(5, 2)];
        assert_eq!(cleanup_unhealthy_replicas(&mut rss, 4), 4);
        assert_eq!(rss, [rs(1, 1), rs(4, 2)]);
    }

    fn annotated(spec: u32, desired: u32, surge: u32) -> AnnotatedReplicaSet {
        AnnotatedReplicaSet {
            spec,
            available: spec,
            desired_replicas: Some(desired),
            max_replicas: Some(desired + surge),
        }
    }

    /// TestScale (sync_test.go): ReplicaSets oldest first, the new one last, annotated
    /// with the old Deployment's replicas and surge; the Deployment's new replicas and
    /// surge -> the new specs. The tests' Deployments default to maxSurge 0 and
    /// maxUnavailable 0 (resolved to unavailable 1).
    #[test]
    fn proportional_scaling_matches_test_scale() {
        use StrategyType::RollingUpdate;
        // (name, old replicas, old surge, new replicas, new surge, specs oldest first,
        // whether the last is the new ReplicaSet, expected specs)
        type Case = (
            &'static str,
            u32,
            u32,
            u32,
            u32,
            &'static [u32],
            bool,
            &'static [u32],
        );
        let cases: [Case; 14] = [
            (
                "normal scaling event: 10 -> 12",
                10,
                0,
                12,
                0,
                &[10],
                true,
                &[12],
            ),
            (
                "normal scaling event: 10 -> 5",
                10,
                0,
                5,
                0,
                &[10],
                true,
                &[5],
            ),
            (
                "proportional scaling: 5 -> 10",
                5,
                0,
                10,
                0,
                &[3, 2],
                true,
                &[6, 4],
            ),
            (
                "proportional scaling: 5 -> 3",
                5,
                0,
                3,
                0,
                &[3, 2],
                true,
                &[2, 1],
            ),
            (
                "proportional scaling: 9 -> 4",
                9,
                0,
                4,
                0,
                &[1, 8],
                true,
                &[0, 4],
            ),
            (
                "proportional scaling: 7 -> 10",
                7,
                0,
                10,
                0,
                &[2, 3, 2],
                true,
                &[3, 4, 3],
            ),
            (
                "proportional scaling: 13 -> 8",
                13,
                0,
                8,
                0,
                &[3, 8, 2],
                true,
                &[2, 5, 1],
            ),
            (
                "leftover distribution: 3 -> 4",
                3,
                0,
                4,
                0,
                &[1, 1, 1],
                true,
                &[1, 1, 2],
            ),
            (
                "leftover distribution: 3 -> 2",
                3,
                0,
                2,
                0,
                &[1, 1, 1],
                true,
                &[0, 1, 1],
            ),
            (
                "proportional scaling (no new rs): 4 -> 5",
                4,
                0,
                5,
                0,
                &[2, 2],
                false,
                &[2, 3],
            ),
            (
                "proportional scaling: 6 -> 0",
                6,
                0,
                0,
                0,
                &[1, 2, 3],
                true,
                &[0, 0, 0],
            ),
            (
                "proportional scaling: 0 -> 6",
                6,
                0,
                6,
                0,
                &[0, 0, 0],
                true,
                &[0, 0, 6],
            ),
            (
                "deployment with surge pods",
                10,
                2,
                20,
                2,
                &[6, 6],
                true,
                &[11, 11],
            ),
            (
                "change both surge and size",
                10,
                3,
                50,
                6,
                &[8, 5],
                true,
                &[34, 22],
            ),
        ];
        for (name, old_d, old_s, d, surge, specs, has_new, want) in cases {
            let rss: Vec<_> = specs.iter().map(|&n| annotated(n, old_d, old_s)).collect();
            let new = has_new.then_some(rss.len() - 1);
            let got = proportional_scale(RollingUpdate, d, surge, old_d, &rss, new);
            assert_eq!(got, want, "{name}");
        }
        // "change both size and template": 10 -> 14 with no new ReplicaSet yet.
        let rss = [annotated(3, 10, 0), annotated(7, 10, 0)];
        assert_eq!(
            proportional_scale(RollingUpdate, 14, 0, 10, &rss, None),
            [4, 10]
        );
        // "failed rs update", the annotations it leaves: 5 replicas; foo-v2 still says 3.
        let rss = [annotated(1, 5, 0), annotated(1, 3, 0), annotated(2, 5, 0)];
        assert_eq!(
            proportional_scale(RollingUpdate, 5, 0, 5, &rss, Some(2)),
            [1, 2, 2]
        );
        // "saturated but broken new replica set does not affect old pods": 2 replicas,
        // surge 1, the new one full but unavailable.
        let mut new = annotated(2, 2, 1);
        new.available = 0;
        let rss = [annotated(1, 2, 1), new];
        assert_eq!(
            proportional_scale(RollingUpdate, 2, 1, 3, &rss, Some(1)),
            [1, 2]
        );
        // A saturated, available new ReplicaSet takes the old ones to zero.
        let rss = [annotated(1, 2, 1), annotated(2, 2, 1)];
        assert_eq!(
            proportional_scale(RollingUpdate, 2, 1, 3, &rss, Some(1)),
            [0, 2]
        );
        // No active ReplicaSet and no new one: the latest takes the replicas.
        let rss = [annotated(0, 2, 1), annotated(0, 2, 1)];
        assert_eq!(
            proportional_scale(RollingUpdate, 3, 1, 0, &rss, None),
            [0, 3]
        );
        // Scaling to zero takes every ReplicaSet to zero, whatever the surge.
        let rss = [annotated(3, 6, 2), annotated(3, 6, 2)];
        assert_eq!(
            proportional_scale(RollingUpdate, 0, 2, 6, &rss, Some(1)),
            [0, 0]
        );
        // Scaling down, the largest ReplicaSet goes first even when it is the newer:
        // 10 -> 7 replicas with surge 2 removes one pod, from the 6 (6 x 9 / 12 = 4.5,
        // rounded away from zero to 5), not from the older 4.
        let rss = [annotated(4, 10, 2), annotated(6, 10, 2)];
        assert_eq!(
            proportional_scale(RollingUpdate, 7, 2, 10, &rss, Some(1)),
            [4, 5]
        );
        // Without a max-replicas annotation, status.replicas stands in.
        let mut rss = [annotated(3, 5, 0), annotated(2, 5, 0)];
        rss[0].max_replicas = None;
        rss[1].max_replicas = None;
        assert_eq!(
            proportional_scale(RollingUpdate, 10, 0, 5, &rss, Some(1)),
            [6, 4]
        );
        // A paused Deployment runs `scale` at every sync, replicas changed or not. Holding
        // fewer pods than replicas + maxSurge (5 + 3 of 10 + 3), no proportion moves and
        // the leftover tops the largest ReplicaSet up to the allowed size; at it, nothing.
        let rss = [annotated(5, 10, 3), annotated(3, 10, 3)];
        assert_eq!(
            proportional_scale(RollingUpdate, 10, 3, 8, &rss, Some(1)),
            [10, 3]
        );
        let rss = [annotated(10, 10, 3), annotated(3, 10, 3)];
        assert_eq!(
            proportional_scale(RollingUpdate, 10, 3, 13, &rss, Some(1)),
            [10, 3]
        );
        // A change of exactly one pod goes to the largest: 10 -> 11 with both at 5, no
        // surge: 5 × 11 / 10 rounds (half away from zero) to 6 for the newer one first.
        let rss = [annotated(5, 10, 0), annotated(5, 10, 0)];
        assert_eq!(
            proportional_scale(RollingUpdate, 11, 0, 10, &rss, Some(1)),
            [5, 6]
        );
        // Recreate shares nothing out.
        let rss = [annotated(3, 5, 0), annotated(2, 5, 0)];
        assert_eq!(
            proportional_scale(StrategyType::Recreate, 10, 0, 5, &rss, Some(1)),
            [3, 2]
        );
    }

    #[test]
    fn reference_batches_of_two() {
        // No surge, two unavailable: drain two, start two, wait for them.
        let old = rs(20, 20);
        assert_eq!(
            rolling_sync(20, 0, 2, rs(0, 0), old),
            SyncAction::ScaleOld(18)
        );
        assert_eq!(
            rolling_sync(20, 0, 2, rs(0, 0), rs(18, 18)),
            SyncAction::ScaleNew(2)
        );
        assert_eq!(
            rolling_sync(20, 0, 2, rs(2, 0), rs(18, 18)),
            SyncAction::Wait
        );
        assert_eq!(
            rolling_sync(20, 0, 2, rs(2, 2), rs(18, 18)),
            SyncAction::ScaleOld(16)
        );
    }
}
