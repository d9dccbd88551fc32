//! The Kubernetes Deployment controller's RollingUpdate arithmetic, as in
//! `pkg/controller/deployment/rolling.go` and `util/deployment_util.go`.
//!
//! A sync either scales the new ReplicaSet up (or down to the desired count), or scales
//! old ones down; never both. Old pods that are not available are cleaned up first.
//! These are pure functions of ReplicaSet counts so that the controller's documented
//! cases can be pinned in unit tests.

use sim_core::{Observation, Version};

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

/// `NewRSNewReplicas` for RollingUpdate: how far the new ReplicaSet may grow.
pub fn new_rs_new_replicas(desired: u32, max_surge: u32, new: ReplicaSet, old: ReplicaSet) -> u32 {
    let current = new.spec + old.spec;
    let max_total = desired + max_surge;
    if current >= max_total {
        return new.spec;
    }
    let up = (max_total - current).min(desired.saturating_sub(new.spec));
    new.spec + up
}

/// `reconcileNewReplicaSet`: `Some(target)` if the new ReplicaSet must be scaled.
pub fn reconcile_new(
    desired: u32,
    max_surge: u32,
    new: ReplicaSet,
    old: ReplicaSet,
) -> Option<u32> {
    if new.spec == desired {
        return None;
    }
    if new.spec > desired {
        return Some(desired);
    }
    let target = new_rs_new_replicas(desired, max_surge, new, old);
    (target != new.spec).then_some(target)
}

/// `reconcileOldReplicaSets` with one old ReplicaSet: `Some(target)` if it must shrink.
/// First unhealthy (not available) old pods are cleaned up within the bound
/// `Σspec − minAvailable − (new.spec − new.available)`, then available old pods are
/// scaled down as far as `minAvailable` allows.
pub fn reconcile_old(
    desired: u32,
    max_unavailable: u32,
    new: ReplicaSet,
    old: ReplicaSet,
) -> Option<u32> {
    if old.spec == 0 {
        return None;
    }
    let all = (new.spec + old.spec) as i64;
    let min_available = desired.saturating_sub(max_unavailable) as i64;
    let new_unavailable = new.spec as i64 - new.available as i64;
    let max_scaled_down = all - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return None;
    }
    // cleanupUnhealthyReplicas
    let unhealthy = old.spec.saturating_sub(old.available) as i64;
    let cleanup = unhealthy.min(max_scaled_down);
    let old_spec = old.spec as i64 - cleanup;
    // scaleDownOldReplicaSetsForRollingUpdate
    let available = (new.available + old.available) as i64;
    let scale_down = if available <= min_available {
        0
    } else {
        (available - min_available).min(old_spec)
    };
    let target = old_spec - scale_down;
    (target != old.spec as i64).then_some(target as u32)
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
