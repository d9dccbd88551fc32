//! `rollcage plan`: what a policy's controller does on a healthy rollout, step by step.
//!
//! The plan uses the controllers' own arithmetic (`k8s::rolling_sync`,
//! `canary_argo::basic_canary_sync`, Flagger's weight schedule, CodeDeploy's batches)
//! on a world where every pod becomes available the moment it is asked for and every
//! gate passes. Each row is one action: the ReplicaSet counts it asks for (desired),
//! the pods available when it is taken, the traffic weight where a router sets one,
//! and what has to happen before the next row.

use serde::Serialize;

use crate::analysis::AnalysisSpec;
use crate::batched::BatchedSpec;
use crate::blue_green::BlueGreenSpec;
use crate::canary_argo::{ArgoCanarySpec, ArgoStep, CanarySync, basic_canary_sync};
use crate::canary_flagger::FlaggerSpec;
use crate::canary_routed::{Routed, current_set_weight, routed_counts};
use crate::k8s::{self, ReplicaSet, StrategyType, SyncAction};
use crate::rolling::RollingSpec;
use crate::{CanarySpec, Policy, PolicyKind};

/// One action of the controller.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanStep {
    pub step: usize,
    pub action: String,
    pub old_desired: u32,
    pub old_available: u32,
    pub new_desired: u32,
    pub new_available: u32,
    /// Share of requests the router sends to the new version, percent.
    pub weight_percent: Option<f64>,
    /// What ends this step (what the controller waits for before the next).
    pub until: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub schema_version: u32,
    pub policy: String,
    pub kind: String,
    pub replicas: u32,
    pub steps: Vec<PlanStep>,
}

/// Builds the rows while tracking the counts.
struct Rows {
    steps: Vec<PlanStep>,
    old: u32,
    new: u32,
    weight: Option<f64>,
}

impl Rows {
    fn new(replicas: u32) -> Self {
        Rows {
            steps: Vec::new(),
            old: replicas,
            new: 0,
            weight: None,
        }
    }

    /// Records an action that sets the counts; pods asked for are not available yet,
    /// pods removed are gone at once.
    fn push(&mut self, action: impl Into<String>, old: u32, new: u32, until: impl Into<String>) {
        let old_available = old.min(self.old);
        let new_available = new.min(self.new);
        self.old = old;
        self.new = new;
        self.steps.push(PlanStep {
            step: self.steps.len() + 1,
            action: action.into(),
            old_desired: old,
            old_available,
            new_desired: new,
            new_available,
            weight_percent: self.weight,
            until: until.into(),
        });
    }
}

fn analysis_text(a: &AnalysisSpec, gates: usize) -> String {
    let delay = if a.initial_delay_seconds > 0.0 {
        format!(" after {}s", a.initial_delay_seconds)
    } else {
        String::new()
    };
    let count = if a.count == 0 {
        "measurements until promotion".to_string()
    } else {
        format!("{} measurement(s)", a.count)
    };
    format!(
        "analysis of {gates} gate(s): {count}{delay}, every {}s; Failed or Error aborts, Inconclusive pauses",
        a.interval_seconds
    )
}

fn rolling(spec: &RollingSpec, replicas: u32, rows: &mut Rows) {
    let (surge, unavailable) = spec.step.resolve(replicas);
    let hold = match (spec.bake_seconds > 0.0, spec.gates.is_empty()) {
        (false, true) => String::new(),
        (true, true) => format!(", then bake {}s", spec.bake_seconds),
        (bake, false) => format!(
            ", then {}every gate passes (evaluated every {}s)",
            if bake {
                format!("bake {}s and ", spec.bake_seconds)
            } else {
                String::new()
            },
            spec.gate_interval_seconds
        ),
    };
    if spec.strategy == StrategyType::Recreate {
        rows.push(
            "scale old ReplicaSet down to 0",
            0,
            rows.new,
            "every old pod gone, terminating ones included (Recreate waits for them)",
        );
        rows.push(
            "scale new ReplicaSet up",
            0,
            replicas,
            format!("{replicas} new pods available{hold}"),
        );
        return;
    }
    for _ in 0..10_000 {
        let new = ReplicaSet::all_available(rows.new);
        let old = ReplicaSet::all_available(rows.old);
        if k8s::complete(replicas, new, rows.old) {
            break;
        }
        match k8s::rolling_sync(replicas, surge, unavailable, new, old) {
            SyncAction::ScaleNew(n) => {
                let until = format!("{} new pods available{hold}", n.saturating_sub(rows.new));
                rows.push("scale new ReplicaSet up", rows.old, n, until);
            }
            SyncAction::ScaleOld(n) => {
                rows.push(
                    "scale old ReplicaSet down",
                    n,
                    rows.new,
                    "old pods terminating (no wait)",
                );
            }
            SyncAction::Wait => break,
        }
    }
}

/// With a router: the canary's and (with dynamicStableScale) the stable's counts from
/// `canary_routed`, the stable scaled first, and the weight moved once the counts are
/// there.
fn argo_routed(spec: &ArgoCanarySpec, replicas: u32, index: usize, label: &str, rows: &mut Rows) {
    let r = Routed {
        replicas,
        steps: &spec.steps,
        step_index: index,
        aborted: false,
        dynamic_stable_scale: spec.dynamic_stable_scale,
        min_pods_per_replica_set: spec.min_pods_per_replica_set,
        abort_delay: spec.abort_scale_down_delay_seconds,
    };
    for _ in 0..1000 {
        // Before the router is first set, all traffic is the stable's.
        let weight = rows.weight.map_or(0, |w| w as u32);
        let new = ReplicaSet::all_available(rows.new);
        let stable = ReplicaSet::all_available(rows.old);
        let (want_new, want_stable) =
            routed_counts(&r, Some(new), Some(stable), Some((weight, 100 - weight)));
        let at_counts =
            rows.new == want_new && (spec.dynamic_stable_scale || rows.old == want_stable);
        let target = current_set_weight(&r);
        if at_counts && weight != target {
            rows.weight = Some(target as f64);
            rows.push(
                format!("{label}: route {target}% to the canary"),
                rows.old,
                rows.new,
                "router updated",
            );
        } else if rows.old != want_stable {
            let until = if want_stable > rows.old {
                format!("{} stable pods available", want_stable - rows.old)
            } else {
                "pods terminating (no wait)".to_string()
            };
            rows.push(
                format!("{label}: stable {want_stable}"),
                want_stable,
                rows.new,
                until,
            );
        } else if rows.new != want_new {
            let until = if want_new > rows.new {
                format!("{} canary pods available", want_new - rows.new)
            } else {
                "pods terminating (no wait)".to_string()
            };
            rows.push(
                format!("{label}: canary {want_new}"),
                rows.old,
                want_new,
                until,
            );
        } else {
            break;
        }
    }
}

fn argo(spec: &ArgoCanarySpec, replicas: u32, rows: &mut Rows) {
    let (surge, unavailable) = spec.fenceposts.resolve(replicas);
    let go_to = |index: usize, label: &str, rows: &mut Rows| {
        if spec.traffic_routing {
            argo_routed(spec, replicas, index, label, rows);
            return;
        }
        let w = if index >= spec.steps.len() {
            100
        } else {
            spec.steps[..=index]
                .iter()
                .rev()
                .find_map(|s| match s {
                    ArgoStep::SetWeight(w) => Some(*w),
                    _ => None,
                })
                .unwrap_or(0)
        };
        // One ReplicaSet per reconcile, the stable first, as Argo scales them.
        for _ in 0..1000 {
            let new = ReplicaSet::all_available(rows.new);
            let stable = ReplicaSet::all_available(rows.old);
            match basic_canary_sync(replicas, w, surge, unavailable, new, stable) {
                CanarySync::ScaleStable(s) => {
                    let until = if s > rows.old {
                        format!("{} stable pods available", s - rows.old)
                    } else {
                        "pods terminating (no wait)".to_string()
                    };
                    rows.push(format!("{label}: stable {s}"), s, rows.new, until);
                }
                CanarySync::ScaleCanary(n) => {
                    let until = if n > rows.new {
                        format!("{} canary pods available", n - rows.new)
                    } else {
                        "pods terminating (no wait)".to_string()
                    };
                    rows.push(format!("{label}: canary {n}"), rows.old, n, until);
                }
                CanarySync::Wait => break,
            }
        }
    };
    let background = spec.analysis.map(|b| {
        (
            b.starting_step as usize,
            analysis_text(&b.run, spec.gates.len()),
        )
    });
    for (i, step) in spec.steps.iter().enumerate() {
        if let Some((start, text)) = &background
            && *start == i
        {
            rows.push(
                format!("background analysis starts (step {})", i + 1),
                rows.old,
                rows.new,
                format!("runs beside the steps until promotion: {text}"),
            );
        }
        match step {
            ArgoStep::SetWeight(_) => go_to(i, &format!("step {} setWeight", i + 1), rows),
            ArgoStep::SetCanaryScale(_) => {
                go_to(i, &format!("step {} setCanaryScale", i + 1), rows)
            }
            ArgoStep::Pause(Some(d)) => rows.push(
                format!("step {} pause", i + 1),
                rows.old,
                rows.new,
                format!("{d}s pass"),
            ),
            ArgoStep::Pause(None) => rows.push(
                format!("step {} pause", i + 1),
                rows.old,
                rows.new,
                "a human promotes the rollout (never, in the simulator)",
            ),
            ArgoStep::Analysis(a) => rows.push(
                format!("step {} analysis", i + 1),
                rows.old,
                rows.new,
                analysis_text(a, spec.gates.len()),
            ),
        }
    }
    go_to(spec.steps.len(), "promote", rows);
    if spec.traffic_routing && rows.old > 0 {
        rows.push(
            "scale the old ReplicaSet down",
            0,
            rows.new,
            format!(
                "after scaleDownDelaySeconds {}s",
                spec.scale_down_delay_seconds
            ),
        );
    }
}

fn flagger(spec: &FlaggerSpec, replicas: u32, rows: &mut Rows) {
    let tick = format!("next check, {}s later", spec.interval_seconds);
    rows.weight = Some(0.0);
    rows.push(
        "scale the canary up",
        replicas,
        replicas,
        format!("canary available, then {tick}"),
    );
    if spec.iterations > 0 {
        rows.weight = Some(spec.iteration_traffic_share * 100.0);
        for i in 1..=spec.iterations {
            rows.push(
                format!("iteration {i}/{}", spec.iterations),
                replicas,
                replicas,
                format!("checks pass at the {tick}"),
            );
        }
    } else {
        for w in spec.weight_schedule() {
            rows.weight = Some(w as f64);
            rows.push(
                format!("advance canary weight to {w}%"),
                replicas,
                replicas,
                format!("checks pass at the {tick}"),
            );
        }
    }
    rows.push(
        "promote: copy the canary spec to the primary",
        replicas,
        replicas,
        tick.clone(),
    );
    rows.weight = Some(100.0);
    rows.push(
        "route all traffic to the new primary",
        replicas,
        replicas,
        tick,
    );
    rows.push("scale the canary to zero: succeeded", 0, replicas, "done");
}

fn blue_green(spec: &BlueGreenSpec, replicas: u32, rows: &mut Rows) {
    rows.weight = Some(spec.preview_traffic_share * 100.0);
    rows.push(
        "scale the preview stack up",
        replicas,
        replicas,
        "every preview pod available",
    );
    if let Some(a) = &spec.pre_promotion_analysis {
        rows.push(
            "pre-promotion analysis",
            replicas,
            replicas,
            analysis_text(a, spec.gates.len()),
        );
    }
    if spec.auto_promotion_seconds > 0.0 {
        rows.push(
            "wait before promotion",
            replicas,
            replicas,
            format!("{}s pass", spec.auto_promotion_seconds),
        );
    }
    rows.weight = Some(100.0);
    rows.push(
        "switch the active service: promoted",
        replicas,
        replicas,
        "traffic switched",
    );
    if let Some(a) = &spec.post_promotion_analysis {
        rows.push(
            "post-promotion analysis",
            replicas,
            replicas,
            analysis_text(a, spec.gates.len()),
        );
    }
    rows.push(
        "scale the old stack down",
        0,
        replicas,
        format!(
            "after scaleDownDelaySeconds {}s (an instant rollback until then)",
            spec.scale_down_delay_seconds
        ),
    );
}

fn batched(spec: &BatchedSpec, replicas: u32, rows: &mut Rows) {
    let b = spec.batch(replicas);
    if b == 0 {
        rows.push(
            "deployment fails: the minimum healthy hosts leave no instance to deploy to",
            replicas,
            0,
            "nothing",
        );
        return;
    }
    let mut k = 0;
    while rows.old > 0 {
        k += 1;
        let n = b.min(rows.old);
        let last = rows.old == n;
        let until = if last || spec.bake_seconds <= 0.0 {
            format!("{n} instance(s) healthy")
        } else {
            format!("{n} instance(s) healthy, then bake {}s", spec.bake_seconds)
        };
        rows.push(
            format!("batch {k}: deploy in place to {n}"),
            rows.old - n,
            rows.new + n,
            until,
        );
    }
}

/// The plan of `policy` on `replicas` pods.
pub fn plan(policy: &Policy, replicas: u32) -> Plan {
    let mut rows = Rows::new(replicas);
    match &policy.kind {
        PolicyKind::Rolling(s) => rolling(s, replicas, &mut rows),
        PolicyKind::Canary(CanarySpec::Argo(s)) => argo(s, replicas, &mut rows),
        PolicyKind::Canary(CanarySpec::Flagger(s)) => flagger(s, replicas, &mut rows),
        PolicyKind::BlueGreen(s) => blue_green(s, replicas, &mut rows),
        PolicyKind::Batched(s) => batched(s, replicas, &mut rows),
        PolicyKind::Noop => {}
    }
    Plan {
        schema_version: 1,
        policy: policy.name.clone(),
        kind: policy.kind.name().to_string(),
        replicas,
        steps: rows.steps,
    }
}

impl Plan {
    /// A fixed-width table for the terminal.
    pub fn text(&self) -> String {
        let mut out = format!(
            "plan: policy {} ({}) on {} replicas, every pod available at once, every gate passing\n",
            self.policy, self.kind, self.replicas
        );
        if self.steps.is_empty() {
            out.push_str("  nothing: this policy never changes the fleet\n");
            return out;
        }
        out.push_str("step  old (desired/avail)  new (desired/avail)  weight  action; until\n");
        for s in &self.steps {
            let w = s
                .weight_percent
                .map_or("-".to_string(), |w| format!("{w}%"));
            out.push_str(&format!(
                "{:>4}  {:>9}/{:<9}  {:>9}/{:<9}  {:>6}  {}; until {}\n",
                s.step,
                s.old_desired,
                s.old_available,
                s.new_desired,
                s.new_available,
                w,
                s.action,
                s.until
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(name: &str) -> Policy {
        Policy::from_doc(&crate::builtin(name).unwrap()).unwrap()
    }

    fn counts(p: &Plan) -> Vec<(u32, u32)> {
        p.steps
            .iter()
            .map(|s| (s.old_desired, s.new_desired))
            .collect()
    }

    #[test]
    fn rolling_25_25_on_10_follows_the_deployment_controller() {
        // Surge 3 (rounded up), unavailable 2 (rounded down): up 3, down 5, up 8, down 0, up 10.
        let p = plan(&policy("k8s-default"), 10);
        assert_eq!(counts(&p), vec![(10, 3), (5, 3), (5, 8), (0, 8), (0, 10)]);
        assert_eq!((p.steps[0].new_available, p.steps[1].new_available), (0, 3));
        let p = plan(&policy("reference"), 20);
        assert_eq!(p.steps.len(), 20, "ten drains of two and ten starts of two");
        assert!(
            p.steps[1].until.contains("bake 30s"),
            "{}",
            p.steps[1].until
        );
    }

    #[test]
    fn recreate_takes_everything_down_then_up() {
        let doc = config::Doc::parse(
            "r.toml",
            "schema_version = 1\nstrategy = \"recreate\"\nbake_seconds = 30\n",
        )
        .unwrap();
        let p = plan(&Policy::from_doc(&doc).unwrap(), 5);
        assert_eq!(counts(&p), vec![(0, 0), (0, 5)]);
        assert!(
            p.steps[0].until.contains("terminating"),
            "{}",
            p.steps[0].until
        );
        assert!(
            p.steps[1].until.contains("bake 30s"),
            "{}",
            p.steps[1].until
        );
    }

    #[test]
    fn flagger_50_20_goes_20_40_60() {
        let doc = config::Doc::parse(
            "f.toml",
            "schema_version = 1\nkind = \"canary\"\nsemantics = \"flagger\"\nthreshold = 2\nmax_weight = 50\nstep_weight = 20\n",
        )
        .unwrap();
        let p = plan(&Policy::from_doc(&doc).unwrap(), 4);
        let weights: Vec<f64> = p.steps.iter().filter_map(|s| s.weight_percent).collect();
        assert_eq!(weights, vec![0.0, 20.0, 40.0, 60.0, 60.0, 100.0, 100.0]);
    }

    /// The example: argo-canary (setWeight 10, 30, 60, then the promotion's
    /// 100) on six replicas, maxSurge 25% (2) and maxUnavailable 0. Argo scales one
    /// ReplicaSet per reconcile, the stable first, and recomputes: derived from
    /// `reconcileCanaryReplicaSets` and `CalculateReplicaCountsForBasicCanary`, the
    /// stable/canary path is 6/1, 5/1, 5/2, 4/2, 4/4, 3/4, 2/4, 2/6, 0/6. Applying both
    /// counts of one calculation at once went 6/1, 5/2, 4/3, 3/4, 2/5, 1/6, 0/6.
    #[test]
    fn argo_basic_canary_on_6_scales_one_replicaset_per_reconcile() {
        let p = plan(&policy("argo-canary"), 6);
        let mut path = counts(&p);
        path.dedup();
        assert_eq!(
            path,
            vec![
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
        // Every row changes one ReplicaSet, never both.
        let mut last = (6, 0);
        for s in &p.steps {
            let now = (s.old_desired, s.new_desired);
            assert!(now.0 == last.0 || now.1 == last.1, "{last:?} -> {now:?}");
            last = now;
        }
    }

    #[test]
    fn argo_basic_canary_on_10() {
        let p = plan(&policy("argo-canary"), 10);
        // setWeight 10 with surge 3 (25% of 10 rounded up), unavailable 0: one canary
        // pod on top of ten stable, then the stable comes down to nine.
        assert_eq!(&counts(&p)[..2], &[(10, 1), (9, 1)]);
        let last = p.steps.last().unwrap();
        assert_eq!((last.old_desired, last.new_desired), (0, 10));
    }

    fn canary(toml: &str) -> Policy {
        let doc = config::Doc::parse(
            "c.toml",
            &format!("schema_version = 1\nkind = \"canary\"\ntraffic_routing = true\n{toml}"),
        )
        .unwrap();
        Policy::from_doc(&doc).unwrap()
    }

    /// A routed plan follows setCanaryScale, minPodsPerReplicaSet and dynamicStableScale
    /// as the controller does.
    #[test]
    fn argo_routed_plans_follow_the_routed_arithmetic() {
        let p = plan(
            &canary(
                "steps = [{set_canary_scale = {replicas = 3}}, {set_weight = 20}, {set_canary_scale = {match_traffic_weight = true}}]",
            ),
            10,
        );
        let mut path = counts(&p);
        path.dedup();
        assert_eq!(path, vec![(10, 3), (10, 2), (10, 10), (0, 10)]);
        let p = plan(
            &canary("min_pods_per_replica_set = 2\nsteps = [{set_weight = 5}]"),
            10,
        );
        assert_eq!(counts(&p)[0], (10, 2));
        let p = plan(
            &canary("dynamic_stable_scale = true\nsteps = [{set_weight = 20}, {set_weight = 50}]"),
            10,
        );
        let mut path = counts(&p);
        path.dedup();
        assert_eq!(
            path,
            vec![(10, 2), (8, 2), (8, 5), (5, 5), (5, 10), (0, 10)]
        );
        let last = p.steps.last().unwrap();
        assert!(
            last.action.contains("stable 0"),
            "no delayed scale-down row: {last:?}"
        );
    }

    #[test]
    fn codedeploy_half_on_9() {
        let p = plan(&policy("codedeploy-half"), 9);
        // FLEET_PERCENT 50 of 9 rounds up to 5 healthy: batches of 4, 4, 1.
        assert_eq!(counts(&p), vec![(5, 4), (1, 8), (0, 9)]);
    }
}
