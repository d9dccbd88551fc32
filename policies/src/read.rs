//! Reading the policy kinds beside `rolling` from a policy document. Every problem is
//! recorded on its key and reading goes on with a default, as for the rest of the file.

use config::Section;

use crate::analysis::AnalysisSpec;
use crate::batched::{BatchedSpec, MinimumHealthyHosts};
use crate::blue_green::BlueGreenSpec;
use crate::canary_argo::{ArgoCanarySpec, ArgoStep, BackgroundAnalysis};
use crate::canary_flagger::FlaggerSpec;
use crate::canary_routed::CanaryScale;
use crate::gate::GateSpec;
use crate::intstr::{Dialect, IntOrPercent};
use crate::limits::*;
use crate::{CanarySpec, K8S_DEFAULT, interval, read_fenceposts, read_gates, wait};

/// Argo's `progressDeadlineSeconds` (default 600) and `progressDeadlineAbort` (default
/// false), for the canary and blue-green strategies: the deadline must be greater than
/// `minReadySeconds`, as Argo's validation requires.
fn read_argo_deadline(root: &Section<'_>, min_ready: f64) -> (f64, bool) {
    let deadline = root.positive_in("progress_deadline_seconds", 600.0, MAX_WAIT_SECONDS);
    if deadline <= min_ready {
        let given = if root.has("progress_deadline_seconds") {
            ""
        } else {
            " (the default)"
        };
        root.problem(
            "progress_deadline_seconds",
            format!(
                "must be greater than min_ready_seconds ({}), as Argo's validation requires; found {}{given}",
                config::number(min_ready),
                config::number(deadline)
            ),
        );
    }
    (deadline, root.bool("progress_deadline_abort", false))
}

/// A whole percentage 0–100.
fn percent(s: &Section<'_>, key: &str, default: u32) -> u32 {
    s.u32_in(key, default, 0..=100)
}

/// An Argo analysis block (`analysis = {...}`, `pre_promotion_analysis = {...}`).
pub fn read_analysis(s: &Section<'_>) -> AnalysisSpec {
    read_analysis_counted(s, AnalysisSpec::default().count, 1)
}

/// An analysis block whose `count` defaults to `count_default` and is at least
/// `count_min` (a background analysis may have 0: measure until the rollout ends).
fn read_analysis_counted(s: &Section<'_>, count_default: u32, count_min: u32) -> AnalysisSpec {
    let d = AnalysisSpec::default();
    let a = AnalysisSpec {
        count: s.u32_in("count", count_default, count_min..=MAX_COUNT),
        interval_seconds: interval(s, "interval_seconds", d.interval_seconds),
        initial_delay_seconds: wait(s, "initial_delay_seconds", 0.0),
        failure_limit: s.u32_in("failure_limit", d.failure_limit, 0..=MAX_COUNT),
        inconclusive_limit: s.u32_in("inconclusive_limit", d.inconclusive_limit, 0..=MAX_COUNT),
        consecutive_error_limit: s.u32_in(
            "consecutive_error_limit",
            d.consecutive_error_limit,
            0..=MAX_COUNT,
        ),
    };
    if a.count != 1 && !s.has("interval_seconds") {
        let what = if a.count == 0 {
            "a background analysis that measures until the rollout ends (count 0)"
        } else {
            "an analysis with count > 1"
        };
        s.problem(
            "interval_seconds",
            format!("{what} needs an interval, as Argo requires"),
        );
    }
    a
}

/// `setCanaryScale`: exactly one of `replicas`, `weight` (0-100) or
/// `match_traffic_weight = true`.
fn read_canary_scale(s: &Section<'_>) -> Option<CanaryScale> {
    let key = exactly_one(
        s,
        "set_canary_scale has",
        &["replicas", "weight", "match_traffic_weight"],
    )?;
    Some(match key {
        "replicas" => CanaryScale::Replicas(s.u32_in("replicas", 0, 0..=MAX_PODS)),
        "weight" => CanaryScale::Weight(percent(s, "weight", 0)),
        _ => {
            if !s.bool("match_traffic_weight", true) {
                s.problem(
                    "match_traffic_weight",
                    "only true means anything (back to the setWeight steps' counts)",
                );
            }
            CanaryScale::MatchTrafficWeight
        }
    })
}

/// The one key of `keys` a table that is one of several things holds (a step is a
/// `set_weight`, a `pause`, ...). None, or more than one, is a problem at the table,
/// saying `what` has exactly one of them and which were found; every key of `keys` is
/// then taken as read, so none is reported unknown as well.
fn exactly_one<'k>(s: &Section<'_>, what: &str, keys: &[&'k str]) -> Option<&'k str> {
    let present: Vec<&str> = keys.iter().copied().filter(|k| s.has(k)).collect();
    if present.len() != 1 {
        s.allow(keys);
        s.doc().problem(
            s.key_path("").trim_end_matches('.'),
            format!(
                "{what} exactly one of {}; found {}",
                keys.join(", "),
                if present.is_empty() {
                    "none".to_string()
                } else {
                    present.join(", ")
                }
            ),
        );
        return None;
    }
    Some(present[0])
}

fn read_argo_step(s: &Section<'_>) -> Option<ArgoStep> {
    let key = exactly_one(
        s,
        "a step has",
        &["set_weight", "pause", "analysis", "set_canary_scale"],
    )?;
    Some(match key {
        "set_weight" => ArgoStep::SetWeight(percent(s, "set_weight", 0)),
        "set_canary_scale" => {
            ArgoStep::SetCanaryScale(read_canary_scale(&s.section("set_canary_scale"))?)
        }
        "pause" => {
            let p = s.section("pause");
            ArgoStep::Pause(p.opt_f64_in("duration_seconds", 0.0..=MAX_WAIT_SECONDS))
        }
        _ => ArgoStep::Analysis(read_analysis(&s.section("analysis"))),
    })
}

fn read_argo(root: &Section<'_>, gates: Vec<GateSpec>) -> ArgoCanarySpec {
    let steps: Vec<ArgoStep> = root
        .tables("steps")
        .iter()
        .filter_map(read_argo_step)
        .collect();
    if steps.len() > MAX_STEPS {
        root.problem(
            "steps",
            format!("at most {MAX_STEPS} steps, found {}", steps.len()),
        );
    }
    if steps.is_empty() && !root.doc().has_problems() {
        root.problem(
            "steps",
            "an Argo canary needs at least one step (set_weight, pause or analysis)",
        );
    }
    if steps.iter().any(|s| matches!(s, ArgoStep::Analysis(_))) && gates.is_empty() {
        root.problem("gates", "an analysis step needs gates to measure");
    }
    let traffic_routing = root.bool("traffic_routing", false);
    let dynamic_stable_scale = root.bool("dynamic_stable_scale", false);
    // Argo's validation: these need a traffic router.
    let router_only = |key: &str, what: &str| {
        if !traffic_routing {
            root.problem(
                key,
                format!("{what} needs traffic_routing = true, as Argo requires"),
            );
        }
    };
    if steps
        .iter()
        .any(|s| matches!(s, ArgoStep::SetCanaryScale(_)))
    {
        router_only("steps", "a set_canary_scale step");
    }
    if dynamic_stable_scale {
        router_only("dynamic_stable_scale", "dynamic_stable_scale");
        if root.has("scale_down_delay_seconds") {
            root.problem(
                "scale_down_delay_seconds",
                "may not be given with dynamic_stable_scale (Argo scales the old stable down as \
                 the weight moves, and refuses both)",
            );
        }
    }
    let min_pods_per_replica_set = root.has("min_pods_per_replica_set").then(|| {
        router_only("min_pods_per_replica_set", "min_pods_per_replica_set");
        root.u32_in("min_pods_per_replica_set", 1, 1..=MAX_PODS)
    });
    let analysis = root.has("analysis").then(|| {
        let a = root.section("analysis");
        let starting_step = a.u32_in("starting_step", 0, 0..=MAX_STEPS as u32);
        if starting_step as usize > steps.len() {
            a.problem(
                "starting_step",
                format!(
                    "is past the last step: there are {} steps (0-based, as Argo's startingStep)",
                    steps.len()
                ),
            );
        }
        BackgroundAnalysis {
            run: read_analysis_counted(&a, 0, 0),
            starting_step,
        }
    });
    if analysis.is_some() && gates.is_empty() {
        root.problem("gates", "a background analysis needs gates to measure");
    }
    // Without dynamic stable scaling an abort always has a delay: 30 s unless given.
    let abort_scale_down_delay_seconds = if root.has("abort_scale_down_delay_seconds") {
        Some(wait(root, "abort_scale_down_delay_seconds", 30.0))
    } else {
        (!dynamic_stable_scale).then_some(30.0)
    };
    let min_ready_seconds = wait(root, "min_ready_seconds", 0.0);
    let (progress_deadline_seconds, progress_deadline_abort) =
        read_argo_deadline(root, min_ready_seconds);
    ArgoCanarySpec {
        steps,
        fenceposts: read_fenceposts(root, K8S_DEFAULT, Dialect::Argo),
        traffic_routing,
        min_ready_seconds,
        scale_down_delay_seconds: wait(root, "scale_down_delay_seconds", 30.0),
        abort_scale_down_delay_seconds,
        dynamic_stable_scale,
        min_pods_per_replica_set,
        analysis,
        progress_deadline_seconds,
        progress_deadline_abort,
        gates,
    }
}

fn read_flagger(root: &Section<'_>, gates: Vec<GateSpec>) -> FlaggerSpec {
    let step_weights: Vec<u32> = match root.raw("step_weights") {
        None => Vec::new(),
        Some(config::Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v.as_integer() {
                Some(i) if (1..=100).contains(&i) => Some(i as u32),
                _ => {
                    root.problem(
                        "step_weights",
                        format!(
                            "expected whole percentages from 1 to 100, found {}",
                            config::describe(v)
                        ),
                    );
                    None
                }
            })
            .collect(),
        Some(v) => {
            root.problem(
                "step_weights",
                format!(
                    "expected an array like [5, 10, 50], found {}",
                    config::describe(v)
                ),
            );
            Vec::new()
        }
    };
    if step_weights.windows(2).any(|w| w[1] <= w[0]) {
        root.problem("step_weights", "must increase");
    }
    if !root.has("threshold") {
        root.problem(
            "threshold",
            "missing: how many failed checks before a rollback",
        );
    }
    let threshold = root.u32_in("threshold", 1, 1..=MAX_COUNT);
    let spec = FlaggerSpec {
        interval_seconds: interval(root, "interval_seconds", 60.0),
        threshold,
        max_weight: root
            .has("max_weight")
            .then(|| percent(root, "max_weight", 100)),
        step_weight: percent(root, "step_weight", 0),
        step_weights,
        iterations: root.u32_in("iterations", 0, 0..=MAX_COUNT),
        iteration_traffic_share: root.fraction("iteration_traffic_share", 0.0),
        traffic_routing: root.bool("traffic_routing", true),
        min_ready_seconds: wait(root, "min_ready_seconds", 0.0),
        progress_deadline_seconds: root.positive_in(
            "progress_deadline_seconds",
            600.0,
            MAX_WAIT_SECONDS,
        ),
        gates,
    };
    let weighted = spec.step_weight > 0 || !spec.step_weights.is_empty();
    if spec.iterations > 0 && weighted {
        root.problem(
            "iterations",
            "give either iterations (Blue/Green) or step weights, not both",
        );
    } else if spec.iterations == 0 && !weighted {
        root.problem(
            "step_weight",
            "missing: give step_weight, step_weights or iterations",
        );
    }
    if spec.step_weight > 0 && !spec.step_weights.is_empty() {
        root.problem("step_weights", "give step_weight or step_weights, not both");
    }
    if weighted && !spec.traffic_routing {
        root.problem(
            "traffic_routing",
            "Flagger shifts traffic by weight only through a mesh or ingress; its Kubernetes \
             provider supports iterations (Blue/Green) only",
        );
    }
    if spec.iterations == 0 && root.has("iteration_traffic_share") {
        root.problem(
            "iteration_traffic_share",
            "only iterations (Blue/Green) take a traffic share",
        );
    }
    spec
}

pub fn read_canary(root: &Section<'_>) -> CanarySpec {
    let gates = read_gates(root);
    match root.choice("semantics", "argo", &["argo", "flagger"]) {
        "flagger" => CanarySpec::Flagger(read_flagger(root, gates)),
        _ => CanarySpec::Argo(read_argo(root, gates)),
    }
}

pub fn read_blue_green(root: &Section<'_>) -> BlueGreenSpec {
    let gates = read_gates(root);
    let analysis = |key: &str| root.has(key).then(|| read_analysis(&root.section(key)));
    let min_ready_seconds = wait(root, "min_ready_seconds", 0.0);
    let (progress_deadline_seconds, progress_deadline_abort) =
        read_argo_deadline(root, min_ready_seconds);
    let spec = BlueGreenSpec {
        pre_promotion_analysis: analysis("pre_promotion_analysis"),
        post_promotion_analysis: analysis("post_promotion_analysis"),
        auto_promotion_seconds: wait(root, "auto_promotion_seconds", 0.0),
        scale_down_delay_seconds: wait(root, "scale_down_delay_seconds", 30.0),
        abort_scale_down_delay_seconds: wait(root, "abort_scale_down_delay_seconds", 30.0),
        preview_traffic_share: root.fraction("preview_traffic_share", 0.0),
        min_ready_seconds,
        progress_deadline_seconds,
        progress_deadline_abort,
        gates,
    };
    let analysed = spec.pre_promotion_analysis.is_some() || spec.post_promotion_analysis.is_some();
    if analysed && spec.gates.is_empty() {
        root.problem("gates", "an analysis needs gates to measure");
    }
    if !analysed && !spec.gates.is_empty() {
        root.problem(
            "gates",
            "gates run only in pre_promotion_analysis or post_promotion_analysis; add one",
        );
    }
    spec
}

pub fn read_batched(root: &Section<'_>) -> BatchedSpec {
    let gates = read_gates(root);
    if !root.has("minimum_healthy_hosts") {
        root.problem(
            "minimum_healthy_hosts",
            "missing: e.g. { type = \"FLEET_PERCENT\", value = 50 } (CodeDeploy's HalfAtATime)",
        );
    }
    let m = root.section("minimum_healthy_hosts");
    let kind = m.choice("type", "FLEET_PERCENT", &MinimumHealthyHosts::TYPES);
    let value = m.u32_in("value", 50, 0..=MAX_PODS);
    let minimum = if kind == "HOST_COUNT" {
        MinimumHealthyHosts::HostCount(value)
    } else {
        if value > 100 {
            m.problem(
                "value",
                format!("a FLEET_PERCENT is at most 100, found {value}"),
            );
        }
        MinimumHealthyHosts::FleetPercent(value.min(100))
    };
    drop(m);
    let batch_size = root
        .raw("batch_size")
        .and_then(|v| match IntOrPercent::from_value(v) {
            Ok(b) if b.is_zero() => {
                root.problem("batch_size", "must be at least 1 instance");
                None
            }
            Ok(b) => Some(b),
            Err(e) => {
                root.problem("batch_size", e);
                None
            }
        });
    BatchedSpec {
        minimum_healthy_hosts: minimum,
        batch_size,
        bake_seconds: wait(root, "bake_seconds", 0.0),
        gate_interval_seconds: interval(root, "gate_interval_seconds", 15.0),
        auto_rollback: root.bool("auto_rollback", true),
        min_ready_seconds: wait(root, "min_ready_seconds", 0.0),
        gates,
    }
}
