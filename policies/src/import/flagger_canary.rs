//! `flagger.app/v1beta1` `Canary` → a `canary` policy with `semantics = "flagger"`,
//! its metrics the gates (`metric_template`).
//!
//! | field | rollcage |
//! |---|---|
//! | `metadata.name` | `name` |
//! | `spec.provider` | `traffic_routing`: `false` for `kubernetes` (Blue/Green by pods), `true` for a mesh or ingress, and when absent (Flagger's `-mesh-provider`, `istio` unless set) |
//! | `spec.progressDeadlineSeconds` | `progress_deadline_seconds` (default 600) |
//! | `spec.analysis.interval` | `interval_seconds` (a Go duration; Flagger's default 60 s, its floor 10 s) |
//! | `analysis.threshold` | `threshold` (Flagger's default 1) |
//! | `analysis.maxWeight`, `stepWeight`, `stepWeights`, `iterations` | `max_weight`, `step_weight`, `step_weights`, `iterations` (Blue/Green when there is no step weight) |
//! | `analysis.metrics[]` | `gates` |
//! | `spec.skipAnalysis: true`, `suspend: true`, `autoscalerRef`, `analysis.match`, `mirror: true`, `sessionAffinity`, `stepWeightPromotion`, ready thresholds other than 100 | refused: each changes the rollout in a way rollcage does not model |
//!
//! Webhooks, alerts, the target and its Service are noted: they call or describe things
//! outside the simulation.

use config::Value;
use serde_json::Value as J;

use super::Context;
use super::gate_table;
use super::go_duration;
use super::metric_template::{self, Metrics};
use super::node::Node;
use super::object::{self, INT32};
use crate::gate::GateSpec;

/// Flagger's analysis interval floor (`GetAnalysisInterval`).
const MIN_INTERVAL: f64 = 10.0;

pub fn read(root: &Node<'_>, ctx: &mut Context<'_>) {
    let Some((name, spec)) = object::open(root, "a Canary's spec holds its analysis") else {
        return;
    };
    let metadata = root.value().get("metadata").cloned().unwrap_or(J::Null);
    let mut out = std::mem::take(&mut ctx.out);
    out.put("kind", "canary");
    out.put("semantics", "flagger");
    if let Some(n) = &name {
        out.put("name", n.as_str());
    }
    let metrics = Metrics::new(
        ctx,
        metric_template::model(name.as_deref().unwrap_or(""), &metadata, spec.value()),
    );

    // Routing.
    let provider = spec.str("provider");
    let routed = metric_template::routed(provider);
    out.put("traffic_routing", routed);
    match spec.get("provider") {
        Some(p) => {
            out.origin("traffic_routing", p.findings().origin(), p.path());
            p.note_here(format!(
                "traffic_routing = {routed}: {}",
                if routed {
                    "the mesh or ingress shifts the canary's weight; the router itself is the scenario's load balancer"
                } else {
                    "Flagger's Kubernetes provider has no router and runs Blue/Green by pods only"
                }
            ));
        }
        None => spec.findings().note(
            spec.path(),
            "no provider: Flagger uses its -mesh-provider flag (istio unless set), a router: traffic_routing = true",
        ),
    }
    let deadline = spec.int_in(
        "progressDeadlineSeconds",
        "a whole number of seconds",
        INT32,
    );
    if let Some(d) = deadline {
        out.set(
            "progress_deadline_seconds",
            d,
            &spec.get("progressDeadlineSeconds").expect("read"),
        );
    }
    spec.refuse_true(
        "skipAnalysis",
        "true promotes the canary without its analysis: not modelled (rollcage's Flagger policy always runs its checks); remove it to simulate the analysis",
    );
    spec.refuse_true(
        "suspend",
        "a suspended Canary does not roll out; rollcage simulates the rollout that starts at the release: remove suspend (or set it to false)",
    );
    spec.refuse(
        "autoscalerRef",
        "an autoscaler changes the replica count during the rollout; rollcage's fleet is the scenario's fixed fleet.replicas: remove it and set the fleet size in the scenario",
    );
    if let Some(t) = spec.map("targetRef") {
        match t.str("kind") {
            Some("Deployment") | None => t.note_here(
                "not simulated: the Deployment Flagger copies into a primary; its pods are the scenario's fleet (its minReadySeconds is not read: set min_ready_seconds with --set)",
            ),
            Some(other) => t.refused(format!(
                "a {other} target is not modelled: rollcage's fleet is a Deployment's replicas"
            )),
        }
    } else if !spec.has("targetRef") {
        spec.problem("targetRef", "missing: the Deployment the Canary rolls out");
    }
    spec.note(
        "service",
        "not simulated: the Services and routes Flagger generates; the scenario's load balancer routes requests",
    );
    for key in ["ingressRef", "routeRef", "upstreamRef"] {
        spec.note(
            key,
            "not simulated: the object whose routes Flagger edits; the scenario's load balancer shifts the weight",
        );
    }
    spec.note(
        "metricsServer",
        "not simulated: the Prometheus Flagger asks; the simulation's own metrics answer the queries",
    );
    spec.note(
        "revertOnDeletion",
        "not simulated: what Flagger does when the Canary is deleted",
    );

    // The analysis (spec.canaryAnalysis is its deprecated name).
    let analysis = match (spec.map("analysis"), spec.map("canaryAnalysis")) {
        (Some(a), old) => {
            if let Some(o) = old {
                o.note_here("not simulated: Flagger reads spec.analysis when both are given");
            }
            Some(a)
        }
        (None, Some(a)) => Some(a),
        (None, None) => {
            if !spec.has("analysis") && !spec.has("canaryAnalysis") {
                spec.problem(
                    "analysis",
                    "missing: without an analysis Flagger promotes at once (skipAnalysis), which rollcage does not model",
                );
            }
            None
        }
    };
    let mut description = None;
    let mut gates: Vec<GateSpec> = Vec::new();
    if let Some(a) = &analysis {
        let interval = match a.str("interval") {
            Some(s) => match go_duration::parse(s) {
                Ok(d) if d < MIN_INTERVAL => {
                    a.findings().note(
                        &a.key_path("interval"),
                        format!("{s}: below Flagger's floor of 10 s, which it uses instead"),
                    );
                    Some(MIN_INTERVAL)
                }
                Ok(d) => Some(d),
                Err(e) => {
                    a.problem("interval", e);
                    None
                }
            },
            None => {
                if !a.has("interval") {
                    a.findings()
                        .note(a.path(), "no interval: Flagger's default, 60 s");
                }
                None
            }
        };
        if let Some(i) = interval {
            out.set("interval_seconds", i, &a.get("interval").expect("read"));
        }
        let threshold = a.int_in("threshold", "a whole number of failed checks", INT32);
        let threshold = match threshold {
            Some(t) if t > 0 => {
                out.set("threshold", t, &a.get("threshold").expect("read"));
                t
            }
            other => {
                let why = match other {
                    Some(t) => format!("{t}: Flagger reads a threshold below 1 as 1"),
                    None => {
                        "no threshold: Flagger's default, 1 (the first failed check rolls back)"
                            .into()
                    }
                };
                let at = if a.has("threshold") {
                    a.key_path("threshold")
                } else {
                    a.path().to_string()
                };
                a.findings().note(&at, why);
                out.put("threshold", 1);
                1
            }
        };
        let mut weights = String::new();
        if let Some(w) = a.int_in("maxWeight", "a whole percentage", 0..=100) {
            out.set("max_weight", w, &a.get("maxWeight").expect("read"));
            weights.push_str(&format!(" to {w}%"));
        }
        if let Some(w) = a.int_in("stepWeight", "a whole percentage", 0..=100) {
            out.set("step_weight", w, &a.get("stepWeight").expect("read"));
            weights = format!(", +{w}%{weights}");
        }
        let steps = a.seq("stepWeights");
        if !steps.is_empty() {
            let ws: Vec<Value> = steps
                .iter()
                .filter_map(|s| match s.value().as_i64() {
                    Some(i) => Some(Value::Integer(i)),
                    None => {
                        s.refused("expected a whole percentage");
                        None
                    }
                })
                .collect();
            weights = format!(
                ", weights {}",
                ws.iter()
                    .map(|w| format!("{w}%"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            out.put("step_weights", Value::Array(ws));
            out.origin(
                "step_weights",
                a.findings().origin(),
                &a.key_path("stepWeights"),
            );
        }
        if let Some(i) = a.int_in("iterations", "a whole number of checks", INT32) {
            out.set("iterations", i, &a.get("iterations").expect("read"));
            weights = format!(", Blue/Green, {i} iterations");
        }
        if !a.has("stepWeight") && !a.has("stepWeights") && !a.has("iterations") {
            a.problem(
                "",
                "missing: stepWeight, stepWeights (a canary) or iterations (Blue/Green): without them Flagger never moves traffic to the canary",
            );
        }
        match a.int_in("stepWeightPromotion", "a whole percentage", 0..=100) {
            Some(0) => a.findings().note(
                &a.key_path("stepWeightPromotion"),
                "not simulated: 0 is the default (the primary takes all traffic at once)",
            ),
            Some(w) => a.problem(
                "stepWeightPromotion",
                format!("{w}: a promotion in steps of the primary's weight is not modelled yet (rollcage's Flagger promotion routes all traffic at once)"),
            ),
            None => {}
        }
        a.refuse_true(
            "mirror",
            "mirroring copies requests to the canary and drops its answers: not modelled yet (rollcage's canary serves real requests only)",
        );
        a.note(
            "mirrorWeight",
            "not simulated: the share of requests mirrored, used with mirror: true only",
        );
        a.refuse(
            "match",
            "A/B testing sends the requests whose headers or cookies match to the canary: not modelled yet (rollcage's requests have no headers)",
        );
        a.refuse(
            "sessionAffinity",
            "keeps the users routed to the canary on it by cookie, so its share grows past the weight: not modelled yet",
        );
        for key in ["canaryReadyThreshold", "primaryReadyThreshold"] {
            match a.int_in(key, "a whole percentage", 0..=100) {
                Some(100) => a.findings().note(
                    &a.key_path(key),
                    "not simulated: 100 is the default (every pod ready), as rollcage waits",
                ),
                Some(p) => a.problem(
                    key,
                    format!("{p}%: going on with part of the pods ready is not modelled yet (rollcage waits for every pod)"),
                ),
                None => {}
            }
        }
        a.note(
            "alerts",
            "not simulated: notifications Flagger sends; they do not change the rollout",
        );
        for w in a.seq("webhooks") {
            let kind = w
                .value()
                .get("type")
                .and_then(J::as_str)
                .unwrap_or("rollout");
            let why = match kind {
                "confirm-rollout" | "confirm-promotion" | "confirm-traffic-increase" => {
                    "an approval gate outside the simulation, read as answering yes at once"
                }
                "pre-rollout" | "rollout" | "post-rollout" => {
                    "a call to a service outside the simulation (a load tester, a test suite), read as succeeding at once; a load tester's traffic is iteration_traffic_share (--set policy.iteration_traffic_share=...)"
                }
                "rollback" => {
                    "a manual rollback trigger outside the simulation, read as never asking"
                }
                _ => "a call to a service outside the simulation, read as succeeding at once",
            };
            w.note_here(format!("not simulated: a {kind} webhook: {why}"));
        }
        for m in a.seq("metrics") {
            if let Some(g) = metrics.read(&m) {
                if gates.iter().any(|x| x.name == g.name) {
                    m.problem("name", format!("two metrics are named {:?}", g.name));
                    continue;
                }
                let i = gates.len();
                for k in ["threshold", "window_seconds", "min_samples", "quantile"] {
                    out.origin(&format!("gates[{i}].{k}"), m.findings().origin(), m.path());
                }
                gates.push(g);
            }
        }
        let every = interval.unwrap_or(60.0);
        description = Some(format!(
            "every {every} s{weights}, rollback after {threshold} failed check{}",
            if threshold == 1 { "" } else { "s" }
        ));
    }
    if !gates.is_empty() {
        out.put("gates", gate_table::gates(&gates));
    }
    if let Some(d) = description {
        out.put(
            "description",
            format!(
                "Flagger Canary {}: {d}",
                name.as_deref().unwrap_or("(unnamed)")
            ),
        );
    }
    metrics.finish();
    ctx.out = out;
}

#[cfg(test)]
mod tests;
