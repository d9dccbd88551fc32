//! A policy written back in its own file form: exactly the keys `Policy::from_doc`
//! reads, so that `rollcage export --to json` imports back to the same policy. Keys are
//! in sorted order (serde_json's map), which keeps the output byte-stable.

use serde_json::{Map, Value, json};

use crate::analysis::AnalysisSpec;
use crate::canary_argo::ArgoStep;
use crate::canary_routed::CanaryScale;
use crate::gate::{Comparison, EmptyRule, GateMetric, GateSpec};
use crate::intstr::IntOrPercent;
use crate::k8s::StrategyType;
use crate::rolling::{FailureAction, Fenceposts};
use crate::{CanarySpec, Policy, PolicyKind};

fn intstr(v: IntOrPercent) -> Value {
    match v {
        IntOrPercent::Int(n) => json!(n),
        IntOrPercent::Percent(_) => json!(v.to_string()),
    }
}

fn fenceposts(m: &mut Map<String, Value>, f: Fenceposts) {
    m.insert("max_surge".into(), intstr(f.max_surge));
    m.insert("max_unavailable".into(), intstr(f.max_unavailable));
}

/// The two scale-down delays Argo's canary and blue-green strategies share.
fn scale_down_delays(put: &mut impl FnMut(&str, Value), delay: f64, abort_delay: f64) {
    put("scale_down_delay_seconds", json!(delay));
    put("abort_scale_down_delay_seconds", json!(abort_delay));
}

/// Argo's progress deadline, which its canary and blue-green strategies share.
fn argo_deadline(put: &mut impl FnMut(&str, Value), seconds: f64, abort: bool) {
    put("progress_deadline_seconds", json!(seconds));
    put("progress_deadline_abort", json!(abort));
}

fn analysis(a: &AnalysisSpec) -> Value {
    json!({
        "count": a.count,
        "interval_seconds": a.interval_seconds,
        "initial_delay_seconds": a.initial_delay_seconds,
        "failure_limit": a.failure_limit,
        "inconclusive_limit": a.inconclusive_limit,
        "consecutive_error_limit": a.consecutive_error_limit,
    })
}

fn gate(g: &GateSpec) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(g.name));
    let metric = match g.metric {
        GateMetric::ErrorRatio => "error_ratio",
        GateMetric::Latency { quantile } => {
            m.insert("quantile".into(), json!(quantile));
            "latency"
        }
        GateMetric::Restarts => "restarts",
        GateMetric::MemoryMb => "memory_mb",
        GateMetric::Kpi => "kpi",
        GateMetric::SessionsLost => "sessions_lost",
    };
    m.insert("metric".into(), json!(metric));
    m.insert("comparison".into(), json!(g.comparison.name()));
    if let Comparison::MannWhitney(rule) = g.comparison {
        m.insert("confidence".into(), json!(rule.confidence));
        m.insert("tolerance".into(), json!(rule.tolerance));
    }
    m.insert("threshold".into(), json!(g.threshold));
    m.insert("slack".into(), json!(g.slack));
    m.insert("window_seconds".into(), json!(g.window_seconds));
    m.insert("min_samples".into(), json!(g.min_samples));
    let empty = match g.on_empty {
        EmptyRule::Pass => "pass",
        EmptyRule::Fail => "fail",
        EmptyRule::Inconclusive => "inconclusive",
    };
    m.insert("on_empty".into(), json!(empty));
    Value::Object(m)
}

fn gates(m: &mut Map<String, Value>, gs: &[GateSpec]) {
    if !gs.is_empty() {
        m.insert("gates".into(), Value::Array(gs.iter().map(gate).collect()));
    }
}

/// The policy as a document `Policy::from_doc` reads back unchanged.
pub fn to_file(p: &Policy) -> Value {
    let mut m = Map::new();
    m.insert("schema_version".into(), json!(p.schema_version));
    m.insert("name".into(), json!(p.name));
    m.insert("description".into(), json!(p.description));
    m.insert("kind".into(), json!(p.kind.name()));
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    match &p.kind {
        PolicyKind::Noop => {}
        PolicyKind::Rolling(s) => {
            put("min_ready_seconds", json!(s.min_ready_seconds));
            put(
                "progress_deadline_seconds",
                json!(s.progress_deadline_seconds),
            );
            put("bake_seconds", json!(s.bake_seconds));
            put("gate_interval_seconds", json!(s.gate_interval_seconds));
            let action = match s.on_failure {
                FailureAction::Pause => "pause",
                FailureAction::Abort => "abort",
                FailureAction::Rollback => "rollback",
            };
            put("on_failure", json!(action));
            if s.strategy == StrategyType::Recreate {
                // Recreate takes no fenceposts: the reader refuses them.
                put("strategy", json!(s.strategy.name()));
            } else {
                let mut rb = Map::new();
                fenceposts(&mut rb, s.rollback);
                put("rollback", Value::Object(rb));
                fenceposts(&mut m, s.step);
            }
            gates(&mut m, &s.gates);
        }
        PolicyKind::Canary(CanarySpec::Argo(s)) => {
            put("semantics", json!("argo"));
            let steps = s
                .steps
                .iter()
                .map(|st| match st {
                    ArgoStep::SetWeight(w) => json!({ "set_weight": w }),
                    ArgoStep::Pause(None) => json!({ "pause": {} }),
                    ArgoStep::Pause(Some(d)) => json!({ "pause": { "duration_seconds": d } }),
                    ArgoStep::Analysis(a) => json!({ "analysis": analysis(a) }),
                    ArgoStep::SetCanaryScale(c) => json!({ "set_canary_scale": match c {
                        CanaryScale::Replicas(n) => json!({ "replicas": n }),
                        CanaryScale::Weight(w) => json!({ "weight": w }),
                        CanaryScale::MatchTrafficWeight => json!({ "match_traffic_weight": true }),
                    }}),
                })
                .collect();
            put("steps", Value::Array(steps));
            put("traffic_routing", json!(s.traffic_routing));
            put("min_ready_seconds", json!(s.min_ready_seconds));
            if s.dynamic_stable_scale {
                // The reader refuses a scale-down delay beside dynamic stable scaling.
                put("dynamic_stable_scale", json!(true));
            } else {
                put(
                    "scale_down_delay_seconds",
                    json!(s.scale_down_delay_seconds),
                );
            }
            if let Some(d) = s.abort_scale_down_delay_seconds {
                put("abort_scale_down_delay_seconds", json!(d));
            }
            if let Some(n) = s.min_pods_per_replica_set {
                put("min_pods_per_replica_set", json!(n));
            }
            if let Some(b) = &s.analysis {
                let mut a = analysis(&b.run);
                a["starting_step"] = json!(b.starting_step);
                put("analysis", a);
            }
            argo_deadline(
                &mut put,
                s.progress_deadline_seconds,
                s.progress_deadline_abort,
            );
            fenceposts(&mut m, s.fenceposts);
            gates(&mut m, &s.gates);
        }
        PolicyKind::Canary(CanarySpec::Flagger(s)) => {
            put("semantics", json!("flagger"));
            put("interval_seconds", json!(s.interval_seconds));
            put("threshold", json!(s.threshold));
            if let Some(w) = s.max_weight {
                put("max_weight", json!(w));
            }
            if s.step_weight > 0 {
                put("step_weight", json!(s.step_weight));
            }
            if !s.step_weights.is_empty() {
                put("step_weights", json!(s.step_weights));
            }
            if s.iterations > 0 {
                put("iterations", json!(s.iterations));
                put("iteration_traffic_share", json!(s.iteration_traffic_share));
            }
            put("traffic_routing", json!(s.traffic_routing));
            put("min_ready_seconds", json!(s.min_ready_seconds));
            put(
                "progress_deadline_seconds",
                json!(s.progress_deadline_seconds),
            );
            gates(&mut m, &s.gates);
        }
        PolicyKind::BlueGreen(s) => {
            if let Some(a) = &s.pre_promotion_analysis {
                put("pre_promotion_analysis", analysis(a));
            }
            if let Some(a) = &s.post_promotion_analysis {
                put("post_promotion_analysis", analysis(a));
            }
            put("auto_promotion_seconds", json!(s.auto_promotion_seconds));
            scale_down_delays(
                &mut put,
                s.scale_down_delay_seconds,
                s.abort_scale_down_delay_seconds,
            );
            put("preview_traffic_share", json!(s.preview_traffic_share));
            put("min_ready_seconds", json!(s.min_ready_seconds));
            argo_deadline(
                &mut put,
                s.progress_deadline_seconds,
                s.progress_deadline_abort,
            );
            gates(&mut m, &s.gates);
        }
        PolicyKind::Batched(s) => {
            put(
                "minimum_healthy_hosts",
                json!({
                    "type": s.minimum_healthy_hosts.kind(),
                    "value": s.minimum_healthy_hosts.value(),
                }),
            );
            if let Some(b) = s.batch_size {
                put("batch_size", intstr(b));
            }
            put("bake_seconds", json!(s.bake_seconds));
            put("gate_interval_seconds", json!(s.gate_interval_seconds));
            put("auto_rollback", json!(s.auto_rollback));
            put("min_ready_seconds", json!(s.min_ready_seconds));
            gates(&mut m, &s.gates);
        }
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in policy, written in its file form and read back, is the same policy.
    #[test]
    fn file_form_reads_back_unchanged() {
        for (name, _) in crate::BUILTIN {
            let doc = crate::builtin(name).unwrap();
            let p = Policy::from_doc(&doc).unwrap();
            let text = serde_json::to_string_pretty(&to_file(&p)).unwrap();
            let back = config::Doc::parse("exported.json", &text).unwrap();
            let q = Policy::from_doc(&back).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
            assert_eq!(p, q, "{name}");
        }
    }

    fn round_trip(toml: &str) -> Policy {
        let doc = config::Doc::parse("p.toml", toml).unwrap();
        let p = Policy::from_doc(&doc).unwrap();
        let text = serde_json::to_string_pretty(&to_file(&p)).unwrap();
        let back = config::Doc::parse("exported.json", &text).unwrap();
        let q = Policy::from_doc(&back).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(p, q, "{text}");
        p
    }

    /// The keys of this controller gaps read back too: Recreate, setCanaryScale,
    /// minPodsPerReplicaSet, dynamicStableScale (with and without an abort delay), the
    /// background analysis and Argo's bare-number percentage.
    #[test]
    fn the_fidelity_keys_read_back_unchanged() {
        round_trip("schema_version = 1\nstrategy = \"recreate\"\nbake_seconds = 5\n");
        let gates = "[[gates]]\nname = \"e\"\nthreshold = 0.01\n";
        let p = round_trip(&format!(
            "schema_version = 1\nkind = \"canary\"\ntraffic_routing = true\n\
             max_surge = \"25\"\nmin_pods_per_replica_set = 2\ndynamic_stable_scale = true\n\
             steps = [{{set_canary_scale = {{replicas = 2}}}}, {{set_weight = 20}}, \
             {{set_canary_scale = {{weight = 30}}}}, {{set_canary_scale = {{match_traffic_weight = true}}}}]\n\
             analysis = {{starting_step = 1, interval_seconds = 30}}\n{gates}"
        ));
        let PolicyKind::Canary(CanarySpec::Argo(s)) = p.kind else {
            panic!()
        };
        assert_eq!(s.abort_scale_down_delay_seconds, None);
        round_trip(&format!(
            "schema_version = 1\nkind = \"canary\"\ntraffic_routing = true\n\
             dynamic_stable_scale = true\nabort_scale_down_delay_seconds = 0\n\
             steps = [{{set_weight = 20}}]\nanalysis = {{count = 3, interval_seconds = 30}}\n{gates}"
        ));
    }

    /// Argo's progress deadline and its abort read back, for both Argo kinds.
    #[test]
    fn the_argo_progress_deadline_reads_back_unchanged() {
        let p = round_trip(
            "schema_version = 1\nkind = \"canary\"\nprogress_deadline_seconds = 120.5\n\
             progress_deadline_abort = true\nsteps = [{set_weight = 20}]\n",
        );
        let PolicyKind::Canary(CanarySpec::Argo(s)) = p.kind else {
            panic!()
        };
        assert_eq!(
            (s.progress_deadline_seconds, s.progress_deadline_abort),
            (120.5, true)
        );
        let p = round_trip(
            "schema_version = 1\nkind = \"blue-green\"\nprogress_deadline_seconds = 90\n\
             progress_deadline_abort = true\n",
        );
        let PolicyKind::BlueGreen(s) = p.kind else {
            panic!()
        };
        assert_eq!(
            (s.progress_deadline_seconds, s.progress_deadline_abort),
            (90.0, true)
        );
    }
}
