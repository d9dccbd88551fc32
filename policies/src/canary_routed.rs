//! The replica arithmetic of an Argo canary with a traffic router, as
//! `utils/replicaset/canary.go` and `rollout/trafficrouting.go` compute it: the canary's
//! count from the weight or a `setCanaryScale` step (`GetCanaryReplicasOrWeight`,
//! `UseSetCanaryScale`), `minPodsPerReplicaSet` (`CheckMinPodsPerReplicaSet`), the stable's
//! count under `dynamicStableScale` (`CalculateReplicaCountsForTrafficRoutedCanary`), and
//! the weights an abort steps down through (`GetDesiredCanaryWeight`,
//! `calculateDesiredWeightOnAbortOrStableRollback`). Pure functions of counts, so Argo's
//! own test cases pin them.

use serde::Serialize;

use crate::canary_argo::ArgoStep;
use crate::k8s::ReplicaSet;

/// A `setCanaryScale` step: the canary's size apart from the traffic weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CanaryScale {
    /// An explicit pod count.
    Replicas(u32),
    /// A percentage of `spec.replicas`.
    Weight(u32),
    /// Back to following the setWeight steps.
    MatchTrafficWeight,
}

/// What the arithmetic reads of the Rollout.
#[derive(Clone, Copy, Debug)]
pub struct Routed<'a> {
    pub replicas: u32,
    pub steps: &'a [ArgoStep],
    /// `status.currentStepIndex`: `steps.len()` past the last step; Argo sets it back
    /// to 0 on an abort.
    pub step_index: usize,
    pub aborted: bool,
    pub dynamic_stable_scale: bool,
    pub min_pods_per_replica_set: Option<u32>,
    /// `abortScaleDownDelaySeconds` as written: `None` when not given (30 s).
    pub abort_delay: Option<f64>,
}

impl Routed<'_> {
    /// `GetAbortScaleDownDelaySecondsOrDefault` returned a delay (anything but 0).
    fn abort_delay_set(&self) -> bool {
        self.abort_delay != Some(0.0)
    }

    /// `HasExplicitAbortScaleDownDelay`: given, and not 0.
    fn explicit_abort_delay(&self) -> bool {
        self.abort_delay.is_some_and(|d| d != 0.0)
    }
}

/// `trafficWeightToReplicas`: a weight's share of `replicas`, rounded up.
pub fn weight_to_replicas(replicas: u32, weight: u32) -> u32 {
    (weight as u64 * replicas as u64).div_ceil(100) as u32
}

/// `CheckMinPodsPerReplicaSet`: a ReplicaSet that is not empty has at least
/// `minPodsPerReplicaSet` pods, capped at `spec.replicas`.
pub fn check_min_pods(r: &Routed<'_>, count: u32) -> u32 {
    match r.min_pods_per_replica_set {
        Some(min) if count > 0 => count.max(min.min(r.replicas)),
        _ => count,
    }
}

/// `UseSetCanaryScale`: the latest `setCanaryScale` at or before the current step,
/// unless it is `matchTrafficWeight`; after an abort only when the abort delay is 0
/// (the canary is left up), and then, since the abort set the step index back to 0,
/// only a `setCanaryScale` that is the first step.
pub fn set_canary_scale(r: &Routed<'_>) -> Option<CanaryScale> {
    if r.aborted && r.abort_delay_set() {
        return None;
    }
    let index = if r.aborted { 0 } else { r.step_index };
    if index >= r.steps.len() {
        return None;
    }
    let scale = r.steps[..=index].iter().rev().find_map(|s| match s {
        ArgoStep::SetCanaryScale(c) => Some(*c),
        _ => None,
    })?;
    (scale != CanaryScale::MatchTrafficWeight).then_some(scale)
}

/// `GetCurrentSetWeight`: 0 after an abort, 100 past the last step, else the latest
/// setWeight at or before the current step (0 before any).
pub fn current_set_weight(r: &Routed<'_>) -> u32 {
    if r.aborted {
        return 0;
    }
    if r.step_index >= r.steps.len() {
        return 100;
    }
    r.steps[..=r.step_index]
        .iter()
        .rev()
        .find_map(|s| match s {
            ArgoStep::SetWeight(w) => Some(*w),
            _ => None,
        })
        .unwrap_or(0)
}

/// `GetDesiredCanaryWeight`: with dynamicStableScale an abort steps back through the
/// setWeight steps, from the last, to the first whose pods are fewer than the canary
/// still needs (`replicas − stable available`, or the canary's available pods if more,
/// unless an explicit abort delay holds the canary up), and 0 past the first; otherwise
/// `GetCurrentSetWeight`.
///
/// `new` and `stable` are `None` where Argo has no such ReplicaSet (its tests pass nil).
pub fn desired_canary_weight(
    r: &Routed<'_>,
    new: Option<ReplicaSet>,
    stable: Option<ReplicaSet>,
) -> u32 {
    let (Some(new), Some(stable), true) = (new, stable, r.aborted && r.dynamic_stable_scale) else {
        return current_set_weight(r);
    };
    let expected = r.replicas.saturating_sub(stable.available);
    let canary = if r.explicit_abort_delay() {
        expected
    } else {
        expected.max(new.available)
    };
    r.steps
        .iter()
        .rev()
        .find_map(|s| match s {
            ArgoStep::SetWeight(w) if weight_to_replicas(r.replicas, *w) < canary => Some(*w),
            _ => None,
        })
        .unwrap_or(0)
}

/// `GetCanaryReplicasOrWeight`: an explicit canary count, or the weight to size it by.
pub fn canary_replicas_or_weight(
    r: &Routed<'_>,
    new: Option<ReplicaSet>,
    stable: Option<ReplicaSet>,
) -> (Option<u32>, u32) {
    if !r.aborted && r.step_index >= r.steps.len() {
        return (None, 100);
    }
    match set_canary_scale(r) {
        Some(CanaryScale::Replicas(n)) => (Some(n), 0),
        Some(CanaryScale::Weight(w)) => (None, w),
        _ => (None, desired_canary_weight(r, new, stable)),
    }
}

/// `CalculateReplicaCountsForTrafficRoutedCanary`: the (canary, stable) counts. Without
/// dynamicStableScale the stable stays whole; with it, the stable has the larger of its
/// desired weight's pods and its current traffic weight's, and after an abort the canary
/// keeps the pods of the traffic it still gets. `weights` is the router's current
/// (canary, stable) split, if it has one.
pub fn routed_counts(
    r: &Routed<'_>,
    new: Option<ReplicaSet>,
    stable: Option<ReplicaSet>,
    weights: Option<(u32, u32)>,
) -> (u32, u32) {
    let (explicit, weight) = canary_replicas_or_weight(r, new, stable);
    let mut canary = match explicit {
        Some(n) => n,
        None => check_min_pods(r, weight_to_replicas(r.replicas, weight)),
    };
    if !r.dynamic_stable_scale {
        return (canary, r.replicas);
    }
    let mut stable_count = weight_to_replicas(r.replicas, 100 - weight.min(100));
    if let Some((canary_weight, stable_weight)) = weights {
        stable_count = stable_count.max(weight_to_replicas(r.replicas, stable_weight));
        if r.aborted {
            canary = canary.max(weight_to_replicas(r.replicas, canary_weight));
        }
    }
    (check_min_pods(r, canary), check_min_pods(r, stable_count))
}

/// `calculateDesiredWeightOnAbortOrStableRollback`: the canary's traffic weight during
/// an abort. 0 at once without dynamicStableScale; with it the weight follows the stable
/// back up, never rising, held while the stable is still short of its share.
pub fn abort_weight(
    r: &Routed<'_>,
    new: ReplicaSet,
    stable: ReplicaSet,
    current_canary_weight: Option<u32>,
) -> u32 {
    if !r.dynamic_stable_scale || r.replicas == 0 {
        return 0;
    }
    let desired = desired_canary_weight(r, Some(new), Some(stable));
    let stable_weight = (100 * stable.available / r.replicas).min(100);
    let expected = 100 - stable_weight;
    let Some(current) = current_canary_weight else {
        return expected.max(desired);
    };
    if desired == 0 {
        return expected.min(current);
    }
    if stable_weight < 100 - desired {
        return current;
    }
    desired.min(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs(spec: u32, available: u32) -> Option<ReplicaSet> {
        Some(ReplicaSet { spec, available })
    }

    fn routed(replicas: u32, steps: &[ArgoStep]) -> Routed<'_> {
        Routed {
            replicas,
            steps,
            step_index: 0,
            aborted: false,
            dynamic_stable_scale: false,
            min_pods_per_replica_set: None,
            abort_delay: None,
        }
    }

    #[test]
    fn weights_round_up_to_pods() {
        // TestTrafficWeightToReplicas.
        for (w, want) in [(0, 0), (20, 2), (25, 3), (33, 4), (99, 10), (100, 10)] {
            assert_eq!(weight_to_replicas(10, w), want, "{w}");
        }
    }

    /// TestCalculateReplicaCountsForCanaryTrafficRouting and the routed cases of
    /// TestCalculateReplicaCountsForCanary (`newRollout(replicas, setWeight, ...)`: one
    /// step holding the setWeight and the setCanaryScale).
    #[test]
    fn routed_counts_match_argo_tests() {
        let steps = [ArgoStep::SetWeight(10)];
        let r = routed(10, &steps);
        assert_eq!(routed_counts(&r, rs(0, 0), rs(10, 10), None), (1, 10));
        // "Honor MinPodsPerReplicaSet when using trafficRouting and starting canary".
        let steps = [ArgoStep::SetWeight(5)];
        let r = Routed {
            min_pods_per_replica_set: Some(2),
            ..routed(10, &steps)
        };
        assert_eq!(routed_counts(&r, rs(0, 0), rs(10, 10), None), (2, 10));
        // "Cap MinPodsPerReplicaSet when it exceeds rollout replicas" (promoted fully).
        let steps = [ArgoStep::SetWeight(100)];
        let r = Routed {
            min_pods_per_replica_set: Some(2),
            step_index: 1,
            ..routed(1, &steps)
        };
        assert_eq!(routed_counts(&r, rs(0, 0), rs(1, 1), None), (1, 1));
        // A weight of 0 leaves an empty canary empty whatever the minimum.
        let steps = [ArgoStep::SetWeight(0)];
        let r = Routed {
            min_pods_per_replica_set: Some(2),
            ..routed(10, &steps)
        };
        assert_eq!(routed_counts(&r, rs(0, 0), rs(10, 10), None), (0, 10));
    }

    /// The abort cases with setCanaryScale of TestCalculateReplicaCountsForCanary and
    /// TestGetCanaryReplicasOrWeight.
    #[test]
    fn set_canary_scale_matches_argo_tests() {
        // "aborted with abortScaleDownDelaySeconds:0 and setCanaryScale": kept up.
        let steps = [ArgoStep::SetCanaryScale(CanaryScale::Replicas(1))];
        let r = Routed {
            aborted: true,
            abort_delay: Some(0.0),
            ..routed(1, &steps)
        };
        assert_eq!(routed_counts(&r, rs(1, 1), rs(1, 1), None), (1, 1));
        // "... abortScaleDownDelaySeconds>0 and setCanaryScale": scaled down.
        let r = Routed {
            abort_delay: Some(30.0),
            ..r
        };
        assert_eq!(routed_counts(&r, rs(1, 1), rs(1, 1), None), (0, 1));
        // "test canary step weight" / "test canary step replicas".
        let steps = [
            ArgoStep::SetWeight(10),
            ArgoStep::SetCanaryScale(CanaryScale::Weight(20)),
        ];
        let r = Routed {
            step_index: 1,
            ..routed(10, &steps)
        };
        assert_eq!(
            canary_replicas_or_weight(&r, rs(0, 0), rs(10, 10)),
            (None, 20)
        );
        let steps = [
            ArgoStep::SetWeight(10),
            ArgoStep::SetCanaryScale(CanaryScale::Replicas(5)),
        ];
        let r = Routed {
            step_index: 1,
            ..routed(10, &steps)
        };
        assert_eq!(
            canary_replicas_or_weight(&r, rs(0, 0), rs(10, 10)),
            (Some(5), 0)
        );
        // matchTrafficWeight goes back to the setWeight; past the steps it is 100.
        let steps = [
            ArgoStep::SetCanaryScale(CanaryScale::Replicas(5)),
            ArgoStep::SetWeight(30),
            ArgoStep::SetCanaryScale(CanaryScale::MatchTrafficWeight),
        ];
        let r = Routed {
            step_index: 1,
            ..routed(10, &steps)
        };
        assert_eq!(routed_counts(&r, rs(0, 0), rs(10, 10), None), (5, 10));
        let r = Routed { step_index: 2, ..r };
        assert_eq!(routed_counts(&r, rs(5, 5), rs(10, 10), None), (3, 10));
        let r = Routed { step_index: 3, ..r };
        assert_eq!(routed_counts(&r, rs(3, 3), rs(10, 10), None), (10, 10));
        // An abort with delay 0 keeps only a first-step setCanaryScale: the abort sets the
        // step index back to 0.
        let r = Routed {
            step_index: 1,
            aborted: true,
            abort_delay: Some(0.0),
            ..r
        };
        assert_eq!(routed_counts(&r, rs(5, 5), rs(10, 10), None), (5, 10));
        let steps = [
            ArgoStep::SetWeight(30),
            ArgoStep::SetCanaryScale(CanaryScale::Replicas(5)),
        ];
        let r = Routed { steps: &steps, ..r };
        assert_eq!(routed_counts(&r, rs(5, 5), rs(10, 10), None), (0, 10));
    }

    /// TestCalculateReplicaCountsForCanaryTrafficRoutingDynamicScale: 10 replicas,
    /// dynamicStableScale, the rollout's one step setWeight `w` (plus `extra`), the
    /// router at (canary, stable) weights.
    #[test]
    fn dynamic_stable_scale_matches_argo_tests() {
        type Rs = Option<ReplicaSet>;
        type Case = (u32, bool, bool, (u32, u32), Rs, Rs, (u32, u32));
        // (setWeight, abort, with an extra setWeight 60 step, weights, canary, stable) ->
        // (canary, stable); `None` where the test passes no ReplicaSet.
        let cases: [Case; 8] = [
            (20, true, true, (60, 40), rs(6, 6), rs(4, 4), (6, 8)),
            (20, true, true, (60, 40), rs(1, 1), rs(4, 4), (6, 8)),
            (20, true, true, (60, 40), rs(2, 2), rs(8, 4), (6, 8)),
            (20, true, true, (60, 40), None, None, (6, 10)),
            (10, false, false, (10, 90), None, None, (1, 9)),
            (20, false, false, (10, 90), None, None, (2, 9)),
            (20, true, false, (20, 80), None, None, (2, 10)),
            (20, true, false, (10, 90), None, None, (1, 10)),
        ];
        for (w, abort, extra, weights, canary, stable, want) in cases {
            let mut steps = vec![ArgoStep::SetWeight(w)];
            if extra {
                steps.push(ArgoStep::SetWeight(60));
            }
            let r = Routed {
                aborted: abort,
                dynamic_stable_scale: true,
                ..routed(10, &steps)
            };
            assert_eq!(
                routed_counts(&r, canary, stable, Some(weights)),
                want,
                "setWeight {w} abort {abort} {weights:?} {canary:?} {stable:?}"
            );
        }
    }

    /// TestGetDesiredCanaryWeightOnAbortWithScaleDownDelay: setWeight 10 then 50 on 10
    /// replicas, dynamicStableScale, aborted, a canary of 5 available.
    #[test]
    fn abort_weights_step_down_as_argo_tests_say() {
        let steps = [ArgoStep::SetWeight(10), ArgoStep::SetWeight(50)];
        let r = |delay| Routed {
            aborted: true,
            dynamic_stable_scale: true,
            abort_delay: delay,
            ..routed(10, &steps)
        };
        let weight = |delay, stable| desired_canary_weight(&r(delay), rs(5, 5), rs(stable, stable));
        assert_eq!(weight(None, 9), 10);
        assert_eq!(weight(Some(30.0), 5), 10);
        assert_eq!(weight(Some(30.0), 9), 0);
        assert_eq!(weight(Some(0.0), 9), 10);
        // "stable scales to spec.Replicas once weight reaches zero".
        let got = routed_counts(&r(Some(30.0)), rs(5, 5), rs(9, 9), Some((10, 90)));
        assert_eq!(got.1, 10);
    }

    /// The router's weight during an abort with dynamicStableScale never rises and
    /// waits for the stable.
    #[test]
    fn the_abort_weight_follows_the_stable() {
        let steps = [ArgoStep::SetWeight(10), ArgoStep::SetWeight(50)];
        let r = Routed {
            aborted: true,
            dynamic_stable_scale: true,
            ..routed(10, &steps)
        };
        // Stable 5 of 10 available, canary 5: desired weight 10; the stable is short of
        // 90% so the weight stays at 50.
        let w = |new, stable, current| abort_weight(&r, new, stable, current);
        assert_eq!(w(rs(5, 5).unwrap(), rs(5, 5).unwrap(), Some(50)), 50);
        // Stable back to 9: desired 10 reached.
        assert_eq!(w(rs(5, 5).unwrap(), rs(9, 9).unwrap(), Some(50)), 10);
        // Everything back: 0.
        assert_eq!(w(rs(1, 1).unwrap(), rs(10, 10).unwrap(), Some(10)), 0);
        // Without dynamicStableScale: 0 at once.
        let r = Routed {
            dynamic_stable_scale: false,
            ..r
        };
        assert_eq!(
            abort_weight(&r, rs(5, 5).unwrap(), rs(5, 5).unwrap(), Some(50)),
            0
        );
    }
}
