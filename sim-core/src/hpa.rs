//! The HorizontalPodAutoscaler's replica computation, as a pure state machine.
//!
//! This mirrors Kubernetes' HPA controller (`pkg/controller/podautoscaler`) rule for
//! rule, so that a simulated autoscaler makes the decisions a real one would, including
//! its integer truncations and its strict/non-strict time comparisons. It does no I/O
//! and reads no clock: the caller passes `now` and the pods' scraped samples, and the
//! struct keeps only what the controller keeps between syncs (the recommendation history
//! and, when `behavior` is set, the scale-up and scale-down events).
//!
//! What each part mirrors:
//! - [`replica_count`], `ReplicaCalculator.GetResourceReplicas` (utilisation targets)
//!   and `calcPlainMetricReplicas` (average-value targets) in `replica_calculator.go`,
//!   with `GetResourceUtilizationRatio` / `GetMetricUsageRatio` from
//!   `metrics/utilization.go` and `Tolerances.isWithin`.
//! - [`Hpa::sync`]: the replica part of `reconcileAutoscaler` in `horizontal.go`
//!   (`recordInitialRecommendation`, the zero/above-max/below-min short cuts, the
//!   choice between `normalizeDesiredReplicas` and
//!   `normalizeDesiredReplicasWithBehaviors`, and `storeScaleEvent` after a rescale).
//! - `stabilize_with_behaviors`: `stabilizeRecommendationWithBehaviors`.
//! - `rate_limit`: `convertDesiredReplicasWithBehaviorRate`, with
//!   `calculateScaleUpLimitWithScalingRules`, `calculateScaleDownLimitWithBehaviors` and
//!   `getReplicasChangePerPeriod`.
//! - `stabilize_legacy` / `clamp_legacy`: `stabilizeRecommendation` and
//!   `convertDesiredReplicasWithRules` (the path taken when `spec.behavior` is nil).
//!
//! Not modelled: several metrics (the controller takes the largest proposal; the caller
//! can call [`replica_count`] per metric), object/external metrics, per-direction
//! tolerances (`behavior.scaleUp.tolerance`, alpha in 1.33), scale to zero.

use crate::time::{SimDuration, SimTime};

/// The controller's `--horizontal-pod-autoscaler-tolerance` default.
pub const DEFAULT_TOLERANCE: f64 = 0.1;
/// The controller's `--horizontal-pod-autoscaler-sync-period` default (the caller's
/// cadence: this module syncs whenever it is called).
pub const DEFAULT_SYNC_PERIOD: SimDuration = SimDuration::from_secs(15);
/// The controller's `--horizontal-pod-autoscaler-downscale-stabilization` default; it
/// fills `behavior.scaleDown.stabilizationWindowSeconds` when that is nil
/// (`maybeInitScaleDownStabilizationWindow`) and is the only window of the nil-behavior
/// path.
pub const DEFAULT_DOWNSCALE_STABILIZATION: SimDuration = SimDuration::from_secs(300);
/// `--horizontal-pod-autoscaler-cpu-initialization-period` default: the caller uses it
/// to decide which pods are [`PodSample::Unready`] (see `groupPods`).
pub const DEFAULT_CPU_INITIALIZATION_PERIOD: SimDuration = SimDuration::from_secs(300);
/// `--horizontal-pod-autoscaler-initial-readiness-delay` default, for the same use.
pub const DEFAULT_INITIAL_READINESS_DELAY: SimDuration = SimDuration::from_secs(30);

/// What the HPA aims for, in the units the controller computes in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// `target.type: Utilization`: usage as a whole percentage of each pod's request.
    /// `request_milli` is every pod's request, in the same milli-units as the samples
    /// (e.g. concurrency × 1000 when usage is busy workers × 1000).
    Utilization { percent: u32, request_milli: u64 },
    /// `target.type: AverageValue` on a pods metric (e.g. requests per second per pod),
    /// in milli-units.
    AverageValue { milli: u64 },
}

/// One pod as the replica calculator sees it after `groupPods`.
///
/// The caller classifies, as `groupPods` does: deleted and failed pods are left out
/// altogether; Pending pods, and (for CPU) pods that are unready or still within the
/// CPU initialisation period without a full metric window since becoming ready, are
/// `Unready`; a running pod with no scraped sample is `Missing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodSample {
    /// A counted pod and its usage in milli-units.
    Ready(u64),
    /// Removed from the first computation; counted as 0 usage on a scale-up.
    Unready,
    /// No metric: counted as 0 on a scale-up, as using the fallback on a scale-down.
    Missing,
}

/// How a rules' policies are combined (`selectPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Select {
    /// The policy allowing the largest change (the API default).
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One `HPAScalingPolicy`: at most `value` pods, or `value` percent of the replicas at
/// the period's start, per `period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalingPolicy {
    Pods { value: u32, period: SimDuration },
    Percent { value: u32, period: SimDuration },
}

impl ScalingPolicy {
    fn period(&self) -> SimDuration {
        match *self {
            ScalingPolicy::Pods { period, .. } | ScalingPolicy::Percent { period, .. } => period,
        }
    }
}

/// One direction's `HPAScalingRules`, with every field filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    pub stabilization: SimDuration,
    pub policies: Vec<ScalingPolicy>,
    pub select: Select,
}

impl Rules {
    /// `defaultHPAScaleUpRules` in `pkg/apis/autoscaling/v2/defaults.go`: no window,
    /// the larger of 4 pods and 100 % per 15 s.
    pub fn default_scale_up() -> Rules {
        let period = SimDuration::from_secs(15);
        Rules {
            stabilization: SimDuration::ZERO,
            policies: vec![
                ScalingPolicy::Pods { value: 4, period },
                ScalingPolicy::Percent { value: 100, period },
            ],
            select: Select::Max,
        }
    }

    /// `defaultHPAScaleDownRules`: 100 % per 15 s; the API leaves the window nil and the
    /// controller fills in its flag, 300 s.
    pub fn default_scale_down() -> Rules {
        Rules {
            stabilization: DEFAULT_DOWNSCALE_STABILIZATION,
            policies: vec![ScalingPolicy::Percent {
                value: 100,
                period: SimDuration::from_secs(15),
            }],
            select: Select::Max,
        }
    }

    fn longest_period(&self) -> SimDuration {
        self.policies
            .iter()
            .map(ScalingPolicy::period)
            .max()
            .unwrap_or(SimDuration::ZERO)
    }
}

/// `spec.behavior`, after API defaulting (`SetDefaults_HorizontalPodAutoscalerBehavior`
/// fills each missing direction with its defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct Behavior {
    pub scale_up: Rules,
    pub scale_down: Rules,
}

impl Default for Behavior {
    fn default() -> Behavior {
        Behavior {
            scale_up: Rules::default_scale_up(),
            scale_down: Rules::default_scale_down(),
        }
    }
}

/// The parts of a HorizontalPodAutoscaler's spec (and the controller's flags) that
/// decide replica counts.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSpec {
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub target: Target,
    pub tolerance: f64,
    /// `None` is a nil `spec.behavior`: the controller then takes its older path (a 300 s
    /// downscale window that includes its edge, and a scale-up cap of max(2 × current,
    /// 4) per sync) rather than [`Behavior::default`]; the two differ (see the tests).
    pub behavior: Option<Behavior>,
    /// The nil-behavior path's window (the controller flag); unused with `behavior`.
    pub downscale_stabilization: SimDuration,
}

impl HpaSpec {
    /// A spec with the API's and the controller's defaults and a nil behavior.
    pub fn new(min_replicas: u32, max_replicas: u32, target: Target) -> HpaSpec {
        HpaSpec {
            min_replicas,
            max_replicas,
            target,
            tolerance: DEFAULT_TOLERANCE,
            behavior: None,
            downscale_stabilization: DEFAULT_DOWNSCALE_STABILIZATION,
        }
    }

    /// The API server's validation of these fields (`ValidateHorizontalPodAutoscaler`
    /// and `validateScalingRules`), as `(field path, problem)`, so a scenario loader can
    /// name the field. Upstream bounds: window ≤ 3600 s, period in 1..=1800 s, values > 0.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |f: &str, p: String| Err((f.to_string(), p));
        if self.min_replicas == 0 {
            return err(
                "minReplicas",
                "must be at least 1 (scale to zero is not modelled)".into(),
            );
        }
        if self.max_replicas < self.min_replicas {
            return err(
                "maxReplicas",
                format!(
                    "{} is less than minReplicas {}",
                    self.max_replicas, self.min_replicas
                ),
            );
        }
        match self.target {
            Target::Utilization { percent: 0, .. } => {
                return err("target.averageUtilization", "must be greater than 0".into());
            }
            Target::Utilization {
                request_milli: 0, ..
            } => return err("target.request", "must be greater than 0".into()),
            Target::AverageValue { milli: 0 } => {
                return err("target.averageValue", "must be greater than 0".into());
            }
            _ => {}
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return err(
                "tolerance",
                format!("{} is not a non-negative number", self.tolerance),
            );
        }
        if let Some(b) = &self.behavior {
            for (name, rules) in [
                ("behavior.scaleUp", &b.scale_up),
                ("behavior.scaleDown", &b.scale_down),
            ] {
                if rules.stabilization > SimDuration::from_secs(3600) {
                    return err(
                        &format!("{name}.stabilizationWindowSeconds"),
                        "must be at most 3600 s".into(),
                    );
                }
                if rules.select != Select::Disabled && rules.policies.is_empty() {
                    return err(&format!("{name}.policies"), "must not be empty".into());
                }
                for (i, p) in rules.policies.iter().enumerate() {
                    let (value, period) = match *p {
                        ScalingPolicy::Pods { value, period }
                        | ScalingPolicy::Percent { value, period } => (value, period),
                    };
                    if value == 0 {
                        return err(
                            &format!("{name}.policies[{i}].value"),
                            "must be greater than 0".into(),
                        );
                    }
                    if period.0 == 0 || period > SimDuration::from_secs(1800) {
                        return err(
                            &format!("{name}.policies[{i}].periodSeconds"),
                            "must be in 1..=1800 s".into(),
                        );
                    }
                }
            }
        }
        Ok(())
    }
}

/// `Tolerances.isWithin`: `1 - t <= ratio <= 1 + t`, in `f64` exactly as Go computes it
/// (so a ratio of 1.1 with tolerance 0.1 is within: both sides are the same double).
fn within_tolerance(ratio: f64, tolerance: f64) -> bool {
    (1.0 - tolerance) <= ratio && ratio <= (1.0 + tolerance)
}

/// The usage ratio of `count` pods using `total` milli-units: `GetResourceUtilizationRatio`
/// truncates the utilisation to a whole percent first, `GetMetricUsageRatio` truncates
/// the average to a whole milli-unit first.
fn usage_ratio(target: Target, total: u64, count: u64) -> f64 {
    match target {
        Target::Utilization {
            percent,
            request_milli,
        } => {
            let pct = (total as u128 * 100) / (request_milli as u128 * count as u128);
            pct as f64 / percent as f64
        }
        Target::AverageValue { milli } => (total / count) as f64 / milli as f64,
    }
}

/// The replica count the metric proposes, or `None` when the controller would fail this
/// metric (no pods, or no ready pod with a sample: "did not receive metrics for targeted
/// pods") and so not rescale.
///
/// Mirrors `GetResourceReplicas` / `calcPlainMetricReplicas`: without unready pods on a
/// scale-up and without missing pods, `ceil(ratio × ready)` unless within tolerance.
/// Otherwise missing pods are filled in (on a scale-down, ratio < 1: utilisation targets
/// count them at max(100 %, target) of their request, average-value targets at the
/// target; on a scale-up, ratio > 1: at 0; at exactly 1 they are left out), unready pods
/// count 0 on a scale-up, the ratio is recomputed, and the current count is kept if the
/// new ratio is within tolerance, flips direction, or `ceil(new ratio × counted)` would
/// move against the ratio's direction.
///
/// The target must have passed [`HpaSpec::validate`] (a zero request would divide by
/// zero).
pub fn replica_count(
    current: u32,
    target: Target,
    tolerance: f64,
    pods: &[PodSample],
) -> Option<u32> {
    let (mut ready, mut unready, mut missing, mut total) = (0u64, 0u64, 0u64, 0u64);
    for p in pods {
        match *p {
            PodSample::Ready(v) => {
                ready += 1;
                total += v;
            }
            PodSample::Unready => unready += 1,
            PodSample::Missing => missing += 1,
        }
    }
    if ready == 0 {
        return None;
    }
    let ratio = usage_ratio(target, total, ready);
    let scale_up_with_unready = unready > 0 && ratio > 1.0;
    if !scale_up_with_unready && missing == 0 {
        if within_tolerance(ratio, tolerance) {
            return Some(current);
        }
        return Some(ceil_to_u32(ratio * ready as f64));
    }
    let (mut count, mut new_total) = (ready, total);
    if missing > 0 {
        if ratio < 1.0 {
            let fallback = match target {
                Target::Utilization {
                    percent,
                    request_milli,
                } => request_milli * u64::from(percent.max(100)) / 100,
                Target::AverageValue { milli } => milli,
            };
            count += missing;
            new_total += fallback * missing;
        } else if ratio > 1.0 {
            count += missing;
        }
    }
    if scale_up_with_unready {
        count += unready;
    }
    let new_ratio = usage_ratio(target, new_total, count);
    if within_tolerance(new_ratio, tolerance)
        || (ratio < 1.0 && new_ratio > 1.0)
        || (ratio > 1.0 && new_ratio < 1.0)
    {
        return Some(current);
    }
    let proposed = ceil_to_u32(new_ratio * count as f64);
    if (new_ratio < 1.0 && proposed > current) || (new_ratio > 1.0 && proposed < current) {
        return Some(current);
    }
    Some(proposed)
}

fn ceil_to_u32(x: f64) -> u32 {
    // Go's int32(math.Ceil(x)); `as` saturates where Go would wrap, past any real count.
    x.ceil() as u32
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Recommendation {
    replicas: u32,
    at: SimTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ScaleEvent {
    change: u32,
    at: SimTime,
    outdated: bool,
}

/// `t.After(now - d)`: strictly younger than `d` (an entry exactly `d` old is out).
fn younger_than(now: SimTime, t: SimTime, d: SimDuration) -> bool {
    now.since(t) < d
}

/// `t.Before(now - d)`: strictly older than `d`.
fn older_than(now: SimTime, t: SimTime, d: SimDuration) -> bool {
    now.since(t) > d
}

/// One HPA's controller state: the spec, the recommendation history and the scale
/// events, each bounded as upstream bounds them (a slot older than every window or
/// period is reused before the list grows), so after warm-up a sync allocates nothing.
#[derive(Clone, Debug)]
pub struct Hpa {
    spec: HpaSpec,
    /// `recommendations[key]`; `None` until the first sync, like the nil map entry that
    /// `recordInitialRecommendation` fills.
    recommendations: Option<Vec<Recommendation>>,
    scale_up_events: Vec<ScaleEvent>,
    scale_down_events: Vec<ScaleEvent>,
}

impl Hpa {
    pub fn new(spec: HpaSpec) -> Hpa {
        Hpa {
            spec,
            recommendations: None,
            scale_up_events: Vec::new(),
            scale_down_events: Vec::new(),
        }
    }

    pub fn spec(&self) -> &HpaSpec {
        &self.spec
    }

    /// One sync of the controller at `now`, for a target whose `spec.replicas` is
    /// `current`: returns the new `spec.replicas` (equal to `current` when it does not
    /// rescale), and records what the controller records.
    pub fn sync(&mut self, now: SimTime, current: u32, pods: &[PodSample]) -> u32 {
        self.recommendations.get_or_insert_with(|| {
            vec![Recommendation {
                replicas: current,
                at: now,
            }]
        });
        let min = self.spec.min_replicas;
        let max = self.spec.max_replicas;
        let desired = if current == 0 && min != 0 {
            // "scaling is disabled since the replica count of the target is zero"
            return 0;
        } else if current > max {
            max
        } else if current < min {
            min
        } else {
            let Some(proposed) =
                replica_count(current, self.spec.target, self.spec.tolerance, pods)
            else {
                return current;
            };
            if self.spec.behavior.is_some() {
                let stabilized = self.stabilize_with_behaviors(now, current, proposed);
                self.rate_limit(now, current, stabilized)
            } else {
                let stabilized = self.stabilize_legacy(now, proposed);
                clamp_legacy(current, stabilized, min, max)
            }
        };
        if desired != current {
            self.store_scale_event(now, current, desired);
        }
        desired
    }

    /// `stabilizeRecommendation` (nil behavior): the largest recommendation not older
    /// than the window; an entry exactly the window old still counts (`!Before(cutoff)`).
    fn stabilize_legacy(&mut self, now: SimTime, proposed: u32) -> u32 {
        let window = self.spec.downscale_stabilization;
        let recs = self.recommendations.get_or_insert_with(Vec::new);
        let mut best = proposed;
        let mut old = None;
        for (i, r) in recs.iter().enumerate() {
            if older_than(now, r.at, window) {
                old = Some(i);
            } else {
                best = best.max(r.replicas);
            }
        }
        record(
            recs,
            old,
            Recommendation {
                replicas: proposed,
                at: now,
            },
        );
        best
    }

    /// `stabilizeRecommendationWithBehaviors`: the lowest recommendation within the
    /// scale-up window and the highest within the scale-down window bound the result,
    /// which starts from `current`; entries exactly a window old are out (`After`).
    fn stabilize_with_behaviors(&mut self, now: SimTime, current: u32, proposed: u32) -> u32 {
        let b = self.spec.behavior.as_ref().expect("behavior path");
        let (up_w, down_w) = (b.scale_up.stabilization, b.scale_down.stabilization);
        let recs = self.recommendations.get_or_insert_with(Vec::new);
        let (mut up, mut down) = (proposed, proposed);
        let mut old = None;
        for (i, r) in recs.iter().enumerate() {
            if younger_than(now, r.at, up_w) {
                up = up.min(r.replicas);
            }
            if younger_than(now, r.at, down_w) {
                down = down.max(r.replicas);
            }
            if older_than(now, r.at, up_w) && older_than(now, r.at, down_w) {
                old = Some(i);
            }
        }
        record(
            recs,
            old,
            Recommendation {
                replicas: proposed,
                at: now,
            },
        );
        current.max(up).min(down)
    }

    /// `convertDesiredReplicasWithBehaviorRate`: clamps to `[max(min, scale-down limit),
    /// min(max, scale-up limit)]` in the direction of the change, never past `current`.
    fn rate_limit(&self, now: SimTime, current: u32, desired: u32) -> u32 {
        let b = self.spec.behavior.as_ref().expect("behavior path");
        let cur = i64::from(current);
        let d = i64::from(desired);
        if d > cur {
            let limit = self.scale_limit(now, cur, &b.scale_up, true).max(cur);
            let allowed = i64::from(self.spec.max_replicas).min(limit);
            d.min(allowed) as u32
        } else if d < cur {
            let limit = self.scale_limit(now, cur, &b.scale_down, false).min(cur);
            let allowed = i64::from(self.spec.min_replicas).max(limit);
            d.max(allowed) as u32
        } else {
            desired
        }
    }

    /// Replicas at the start of `period`: `current - added + deleted` in the period.
    fn period_start(&self, now: SimTime, current: i64, period: SimDuration) -> i64 {
        current - changed_within(&self.scale_up_events, now, period)
            + changed_within(&self.scale_down_events, now, period)
    }

    /// `calculateScaleUpLimitWithScalingRules` (`up`) and
    /// `calculateScaleDownLimitWithBehaviors`: each policy proposes a bound from the
    /// replicas at its period's start; `Max` takes the most permissive (the largest up,
    /// the smallest down), `Min` the least. A scale-down Percent truncates toward zero,
    /// like Go's `int32(float64)`; a scale-up Percent rounds up.
    fn scale_limit(&self, now: SimTime, current: i64, rules: &Rules, up: bool) -> i64 {
        let most_permissive = match rules.select {
            Select::Disabled => return current,
            Select::Max => true,
            Select::Min => false,
        };
        // Take the larger proposal when scaling up permissively or down strictly.
        let larger = up == most_permissive;
        let mut result = if larger {
            i64::from(i32::MIN)
        } else {
            i64::from(i32::MAX)
        };
        for p in &rules.policies {
            let start = self.period_start(now, current, p.period());
            let proposed = match (*p, up) {
                (ScalingPolicy::Pods { value, .. }, true) => start + i64::from(value),
                (ScalingPolicy::Pods { value, .. }, false) => start - i64::from(value),
                (ScalingPolicy::Percent { value, .. }, true) => {
                    (start as f64 * (1.0 + f64::from(value) / 100.0)).ceil() as i64
                }
                (ScalingPolicy::Percent { value, .. }, false) => {
                    (start as f64 * (1.0 - f64::from(value) / 100.0)) as i64
                }
            };
            result = if larger {
                result.max(proposed)
            } else {
                result.min(proposed)
            };
        }
        result
    }

    /// `storeScaleEvent`: nothing without behavior; otherwise events older than the
    /// direction's longest period are marked outdated (for good), and the last outdated
    /// slot is reused or the event appended.
    fn store_scale_event(&mut self, now: SimTime, prev: u32, new: u32) {
        let Some(b) = &self.spec.behavior else { return };
        let (events, rules, change) = if new > prev {
            (&mut self.scale_up_events, &b.scale_up, new - prev)
        } else {
            (&mut self.scale_down_events, &b.scale_down, prev - new)
        };
        let longest = rules.longest_period();
        let mut old = None;
        for (i, e) in events.iter_mut().enumerate() {
            if older_than(now, e.at, longest) {
                e.outdated = true;
            }
            if e.outdated {
                old = Some(i);
            }
        }
        let event = ScaleEvent {
            change,
            at: now,
            outdated: false,
        };
        match old {
            Some(i) => events[i] = event,
            None => events.push(event),
        }
    }

    /// Length of the recommendation history (for tests of its bound).
    pub fn history_len(&self) -> usize {
        self.recommendations.as_ref().map_or(0, Vec::len)
    }

    /// Number of stored scale events, up and down (for tests of their bound).
    pub fn scale_events_len(&self) -> usize {
        self.scale_up_events.len() + self.scale_down_events.len()
    }
}

/// `getReplicasChangePerPeriod`: the replicas changed by events strictly younger than
/// `period` (an event exactly `period` old no longer counts).
fn changed_within(events: &[ScaleEvent], now: SimTime, period: SimDuration) -> i64 {
    events
        .iter()
        .filter(|e| younger_than(now, e.at, period))
        .map(|e| i64::from(e.change))
        .sum()
}

/// Replace the obsolete slot if there is one, else append (both stabilize functions).
fn record(recs: &mut Vec<Recommendation>, old: Option<usize>, rec: Recommendation) {
    match old {
        Some(i) => recs[i] = rec,
        None => recs.push(rec),
    }
}

/// `convertDesiredReplicasWithRules` with `calculateScaleUpLimit`: at least `min`, at
/// most `min(max, max(2 × current, 4))`.
fn clamp_legacy(current: u32, desired: u32, min: u32, max: u32) -> u32 {
    let scale_up_limit = (2.0 * f64::from(current)).max(4.0) as u32;
    let max_allowed = max.min(scale_up_limit);
    if desired < min {
        min
    } else if desired > max_allowed {
        max_allowed
    } else {
        desired
    }
}

#[cfg(test)]
mod tests;
