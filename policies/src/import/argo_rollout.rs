//! `argoproj.io/v1alpha1` `Rollout` → a `canary` policy with `semantics = "argo"`, or
//! a `blue-green` one, with the gates of the AnalysisTemplates it refers to
//! (`analysis_template`).
//!
//! | field | rollcage |
//! |---|---|
//! | `metadata.name` | `name` |
//! | `spec.replicas` | the default of `plan --replicas` and `gate --replicas` (as a Deployment's) |
//! | `spec.minReadySeconds` | `min_ready_seconds` |
//! | `spec.progressDeadlineSeconds` | `progress_deadline_seconds` (default 600; greater than `minReadySeconds`, as Argo validates; more than 30 days reads as 30 days, which no run reaches) |
//! | `spec.progressDeadlineAbort` | `progress_deadline_abort` |
//! | `spec.strategy.canary.steps[]` | `steps`: `setWeight` → `set_weight`; `pause` → `pause` (`duration` in seconds: a number, a string of digits, or a Go duration such as `10m`, as Argo reads it; none: until promoted); `analysis` → `analysis` (the templates' metrics are the gates); `setCanaryScale` → `set_canary_scale`; `experiment`, `setHeaderRoute`, `setMirrorRoute`, `plugin` refused |
//! | no `steps` | `steps = [{ set_weight = 100 }]`: Argo takes the weight to 100 at once |
//! | `canary.maxSurge`, `maxUnavailable` | `max_surge`, `max_unavailable`, in Argo's forms (`"25"` is 25%) |
//! | `canary.trafficRouting` | `traffic_routing = true` (the router itself noted); `maxTrafficWeight` other than 100 refused |
//! | `canary.scaleDownDelaySeconds`, `abortScaleDownDelaySeconds`, `dynamicStableScale`, `minPodsPerReplicaSet` | the keys of the same names (with a router, as Argo requires) |
//! | `canary.analysis` | the background `analysis` (`startingStep` → `starting_step`) |
//! | `blueGreen.autoPromotionSeconds`, `scaleDownDelaySeconds`, `abortScaleDownDelaySeconds`, `prePromotionAnalysis`, `postPromotionAnalysis` | the keys of the same names |
//! | `blueGreen.autoPromotionEnabled: false` | `auto_promotion_seconds` = 30 days: nobody promotes a simulated rollout |
//! | `blueGreen.previewReplicaCount` | refused unless it is `spec.replicas` (a partial preview is not modelled) |
//!
//! Services, metadata, anti-affinity, the selector and pod template, history limits and
//! the like are noted: what they configure is routing or bookkeeping the scenario
//! stands for. Every field not listed is refused with why.

use config::{Table, Value};
use serde_json::Value as J;

use super::Context;
use super::analysis_template::{Analyses, RolloutMeta, Run};
use super::gate_table;
use super::go_duration;
use super::manifest::describe;
use super::node::Node;
use super::object::{self, INT32};
use super::policy_doc::PolicyDoc;
use crate::limits::MAX_WAIT_SECONDS;

/// Reads a Rollout.
pub fn read(root: &Node<'_>, ctx: &mut Context<'_>) {
    let Some((name, spec)) = object::open(root, "a Rollout's spec holds its strategy") else {
        return;
    };
    let metadata = root.value().get("metadata").cloned().unwrap_or(J::Null);
    let mut out = std::mem::take(&mut ctx.out);
    if let Some(n) = &name {
        out.put("name", n.as_str());
    }
    {
        let analyses = Analyses::new(
            ctx,
            RolloutMeta {
                name: name.clone().unwrap_or_default(),
                metadata,
            },
        );
        let mut r = Reader {
            out: &mut out,
            analyses: &analyses,
            runs: Vec::new(),
        };
        let replicas = r.common(&spec);
        let strategy = spec.map("strategy");
        let description = match &strategy {
            None => {
                if !spec.has("strategy") {
                    spec.problem("strategy", "missing: canary or blueGreen");
                }
                None
            }
            Some(st) => {
                match (st.map("canary"), st.map("blueGreen")) {
                    (Some(c), None) => Some(r.canary(&c)),
                    (None, Some(b)) => Some(r.blue_green(&b, replicas)),
                    (Some(_), Some(_)) => {
                        st.problem("", "Multiple Strategies can not be listed (Argo): give canary or blueGreen");
                        None
                    }
                    (None, None) => {
                        if !st.has("canary") && !st.has("blueGreen") {
                            st.problem("", "missing: canary or blueGreen");
                        }
                        None
                    }
                }
            }
        };
        r.gates(&spec);
        if let Some(d) = description {
            r.out.put(
                "description",
                format!(
                    "Argo Rollout {}: {d}",
                    name.as_deref().unwrap_or("(unnamed)")
                ),
            );
        }
        analyses.finish();
    }
    ctx.out = out;
}

struct Reader<'o, 'a, 'r, 'c> {
    out: &'o mut PolicyDoc,
    analyses: &'a Analyses<'r, 'c>,
    /// Every analysis read, with where its gates go.
    runs: Vec<Run>,
}

/// Argo's `maxSurge`/`maxUnavailable`: a count or a string (`"25%"`, or `"25"`, which
/// Argo reads as 25%), checked by the policy reader in Argo's dialect.
fn fencepost(n: &Node<'_>, key: &str) -> Option<Value> {
    let v = n.get(key)?;
    match v.value() {
        J::Number(x) => match x.as_i64() {
            Some(i) if i >= 0 => Some(Value::Integer(i)),
            _ => {
                v.refused(format!(
                    "expected a count like 2 or a percentage like \"25%\", found {x}"
                ));
                None
            }
        },
        J::String(s) => Some(Value::String(s.clone())),
        other => {
            v.refused(format!(
                "expected a count like 2 or a percentage like \"25%\", found {}",
                describe(other)
            ));
            None
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A pause step's `duration` as Argo's `DurationSeconds` reads it: a number of
/// seconds, a string of digits, or a Go duration truncated to whole seconds.
pub fn pause_seconds(v: &J) -> Result<f64, String> {
    let secs = match v {
        J::Number(x) => x
            .as_i64()
            .ok_or_else(|| format!("expected whole seconds, found {x}"))?,
        J::String(s) => match s.parse::<i64>() {
            Ok(i) => i,
            Err(_) => go_duration::parse(s)?.trunc() as i64,
        },
        other => {
            return Err(format!(
                "expected seconds or a duration such as \"10m\", found {}",
                describe(other)
            ));
        }
    };
    if secs < 0 {
        return Err(format!(
            "Duration needs to be greater than 0 (Argo), found {secs} s"
        ));
    }
    if secs > i32::MAX as i64 {
        return Err(format!(
            "at most {} s (Argo's int32), found {secs} s",
            i32::MAX
        ));
    }
    Ok(secs as f64)
}

impl Reader<'_, '_, '_, '_> {
    fn set(&mut self, key: &str, value: impl Into<Value>, from: &Node<'_>) {
        self.out.set(key, value, from);
    }

    /// A whole number of seconds at `key`, set as `to`.
    fn seconds(&mut self, n: &Node<'_>, key: &str, to: &str) -> Option<i64> {
        let v = n.int_in(key, "a whole number of seconds", INT32)?;
        let at = n.get(key).expect("just read");
        self.set(to, v, &at);
        Some(v)
    }

    /// The fields of a Rollout's spec beside its strategy; returns `spec.replicas`.
    fn common(&mut self, spec: &Node<'_>) -> Option<i64> {
        let count = object::replicas(spec, "a Rollout", self.out);
        let min_ready = self.seconds(spec, "minReadySeconds", "min_ready_seconds");
        object::progress_deadline(spec, min_ready, "Argo's validation", self.out);
        if let Some(b) = spec.bool("progressDeadlineAbort") {
            let at = spec.get("progressDeadlineAbort").expect("just read");
            self.set("progress_deadline_abort", b, &at);
        }
        spec.refuse_true(
            "paused",
            "a paused Rollout does not roll out until it is resumed; rollcage simulates the rollout that starts at the release: remove paused (or set it to false)",
        );
        spec.note(
            "selector",
            "not simulated: it selects the Rollout's pods, and the simulated fleet is those pods",
        );
        spec.note(
            "template",
            "not simulated: the pods' image, resources, probes and the rest; how the pods behave (startup time, errors, latency, memory) is the scenario's baseline and candidate",
        );
        spec.note(
            "workloadRef",
            "not simulated: the pod template comes from the Deployment it names; how the pods behave is the scenario's baseline and candidate",
        );
        spec.note(
            "revisionHistoryLimit",
            "not simulated: old ReplicaSets kept for a rollback; a rollout moves pods between the stable ReplicaSet and the canary only",
        );
        spec.note(
            "rollbackWindow",
            "not simulated: how many revisions back a rollback skips the steps; the simulation rolls out one release from the stable",
        );
        spec.note(
            "analysis",
            "not simulated: how many AnalysisRuns Argo keeps; the verdicts are the same",
        );
        spec.refuse(
            "restartAt",
            "restarts every pod at that time, which rollcage does not simulate (`kubectl argo rollouts restart` sets it): remove it",
        );
        count
    }

    /// An analysis reference; its gates are checked against the policy's at the end.
    fn analysis(&mut self, n: &Node<'_>) -> Option<Run> {
        let run = self.analyses.run(n)?;
        self.runs.push(run.clone());
        Some(run)
    }

    fn canary(&mut self, c: &Node<'_>) -> String {
        self.out.put("kind", "canary");
        self.out.put("semantics", "argo");
        let traffic = c.map("trafficRouting");
        let routed = traffic.is_some();
        if let Some(t) = &traffic {
            if let Some(w) = t.get("maxTrafficWeight") {
                match w.value().as_i64() {
                    Some(100) => w.note_here("not simulated: 100 is the default"),
                    _ => w.refused(format!(
                        "a total weight other than 100 ({}) is not modelled yet: rollcage's weights are percentages",
                        describe(w.value())
                    )),
                }
            }
            let routers: Vec<&str> = t
                .keys()
                .into_iter()
                .filter(|k| *k != "maxTrafficWeight")
                .collect();
            t.note_here(format!(
                "traffic_routing = true; the router ({}) is not simulated: the scenario's load balancer sends the canary the weight's share of requests",
                if routers.is_empty() { "none named".to_string() } else { routers.join(", ") }
            ));
        }
        self.out.put("traffic_routing", routed);
        if let Some(t) = &traffic {
            self.out
                .origin("traffic_routing", t.findings().origin(), t.path());
        }
        let mut surge = None;
        let mut unavailable = None;
        if let Some(v) = fencepost(c, "maxSurge") {
            surge = Some(text(&v));
            self.set("max_surge", v, &c.get("maxSurge").expect("read"));
        }
        if let Some(v) = fencepost(c, "maxUnavailable") {
            unavailable = Some(text(&v));
            self.set(
                "max_unavailable",
                v,
                &c.get("maxUnavailable").expect("read"),
            );
        }
        // Steps.
        let steps = c.seq("steps");
        let mut out_steps: Vec<Value> = Vec::new();
        for s in &steps {
            if let Some(v) = self.step(s, out_steps.len()) {
                out_steps.push(v);
            }
        }
        if steps.is_empty() {
            let at = if c.has("steps") {
                c.key_path("steps")
            } else {
                c.path().to_string()
            };
            c.findings().note(
                &at,
                "no steps: Argo takes the weight to 100 at once (within maxSurge and maxUnavailable), read as one step set_weight = 100",
            );
            let mut t = Table::new();
            t.insert("set_weight".into(), Value::Integer(100));
            out_steps.push(Value::Table(t));
        }
        let n_steps = out_steps.len();
        self.out.put("steps", Value::Array(out_steps));
        // Delays and scaling.
        if routed {
            self.seconds(c, "scaleDownDelaySeconds", "scale_down_delay_seconds");
            self.seconds(
                c,
                "abortScaleDownDelaySeconds",
                "abort_scale_down_delay_seconds",
            );
        } else {
            if c.has("scaleDownDelaySeconds") {
                c.refuse(
                    "scaleDownDelaySeconds",
                    "Canary scaleDownDelaySeconds can only be used with traffic routing (Argo refuses it)",
                );
            }
            if let Some(d) = c.int_in(
                "abortScaleDownDelaySeconds",
                "a whole number of seconds",
                INT32,
            ) {
                c.findings().note(
                    &c.key_path("abortScaleDownDelaySeconds"),
                    format!("not simulated: without a traffic router an abort scales the canary back by the weight's replica counts at once; Argo uses the delay ({d} s) with a router only"),
                );
            }
        }
        if let Some(b) = c.bool("dynamicStableScale") {
            self.set(
                "dynamic_stable_scale",
                b,
                &c.get("dynamicStableScale").expect("read"),
            );
        }
        if let Some(m) = c.int_in("minPodsPerReplicaSet", "a whole number of pods", INT32) {
            self.set(
                "min_pods_per_replica_set",
                m,
                &c.get("minPodsPerReplicaSet").expect("read"),
            );
        }
        // The background analysis.
        if let Some(a) = c.map("analysis") {
            let starting = a.int_in("startingStep", "a step index (0-based)", INT32);
            if let Some(run) = self.analysis(&a) {
                let mut extra = Vec::new();
                if let Some(s) = starting {
                    extra.push(("starting_step", s));
                }
                self.out
                    .put("analysis", gate_table::analysis(&run.spec, &extra));
                if let Some(s) = a.get("startingStep") {
                    self.out
                        .origin("analysis.starting_step", s.findings().origin(), s.path());
                }
                self.run_origins("analysis", &run);
            }
        }
        c.note(
            "canaryService",
            "not simulated: the Service the router sends the canary's share to; the scenario's load balancer routes requests",
        );
        c.note(
            "stableService",
            "not simulated: the Service the router sends the stable's share to; the scenario's load balancer routes requests",
        );
        c.note(
            "canaryMetadata",
            "not simulated: labels and annotations on the canary's pods",
        );
        c.note(
            "stableMetadata",
            "not simulated: labels and annotations on the stable's pods",
        );
        c.note(
            "antiAffinity",
            "not simulated: where the canary's pods are scheduled; the simulated fleet has no nodes",
        );
        c.note(
            "scaleDownDelayRevisionLimit",
            "not simulated: how many older ReplicaSets wait out the scale-down delay; the simulation has the stable and the canary only",
        );
        c.note(
            "pingPong",
            "not simulated: which of two Services is the stable one after a promotion (ALB and Istio routing); the routing itself is the scenario's load balancer",
        );
        c.refuse(
            "replicaProgressThreshold",
            "a step done before all its pods are available is not modelled yet: rollcage's steps wait for every pod",
        );
        let mut d = format!(
            "canary, {n_steps} step{}",
            if n_steps == 1 { "" } else { "s" }
        );
        if routed {
            d.push_str(", traffic routing");
        }
        d.push_str(&format!(
            ", maxSurge {}, maxUnavailable {}",
            surge.as_deref().unwrap_or("25%"),
            unavailable.as_deref().unwrap_or("25%")
        ));
        d
    }

    /// One canary step, as the `index`-th of rollcage's steps.
    fn step(&mut self, s: &Node<'_>, index: usize) -> Option<Value> {
        const KINDS: [&str; 8] = [
            "setWeight",
            "pause",
            "analysis",
            "setCanaryScale",
            "experiment",
            "setHeaderRoute",
            "setMirrorRoute",
            "plugin",
        ];
        let present: Vec<&str> = KINDS
            .iter()
            .copied()
            .filter(|k| s.value().get(*k).is_some_and(|v| !v.is_null()))
            .collect();
        if present.len() != 1 {
            s.allow(&["*"]);
            s.problem(
                "",
                format!(
                    "a step has exactly one of {} (Argo); found {}",
                    KINDS.join(", "),
                    if present.is_empty() {
                        "none".to_string()
                    } else {
                        present.join(", ")
                    }
                ),
            );
            return None;
        }
        let mut t = Table::new();
        let key = format!("steps[{index}]");
        match present[0] {
            "setWeight" => {
                let w = s.int_in("setWeight", "a whole percentage 0-100", 0..=100)?;
                t.insert("set_weight".into(), Value::Integer(w));
                let at = s.get("setWeight").expect("read");
                self.out.origin(
                    &format!("{key}.set_weight"),
                    at.findings().origin(),
                    at.path(),
                );
            }
            "pause" => {
                let p = s.map("pause")?;
                let mut pt = Table::new();
                if let Some(d) = p.get("duration") {
                    match pause_seconds(d.value()) {
                        Ok(secs) => {
                            if secs > MAX_WAIT_SECONDS {
                                d.findings().note(
                                    d.path(),
                                    format!("{secs} s is beyond the longest run (30 days): read as {MAX_WAIT_SECONDS} s, a pause no run sees the end of, as yours"),
                                );
                            }
                            pt.insert(
                                "duration_seconds".into(),
                                Value::Float(secs.min(MAX_WAIT_SECONDS)),
                            );
                            self.out.origin(
                                &format!("{key}.pause.duration_seconds"),
                                d.findings().origin(),
                                d.path(),
                            );
                        }
                        Err(e) => {
                            d.refused(e);
                            return None;
                        }
                    }
                }
                t.insert("pause".into(), Value::Table(pt));
            }
            "analysis" => {
                let a = s.map("analysis")?;
                let run = self.analysis(&a)?;
                if run.indefinite {
                    a.problem(
                        "templates",
                        format!(
                            "the metrics ({}) have an interval and no count, so Argo measures until one fails: this step would never complete; give them a count",
                            run.describe_gates()
                        ),
                    );
                    return None;
                }
                t.insert("analysis".into(), gate_table::analysis(&run.spec, &[]));
                self.run_origins(&format!("{key}.analysis"), &run);
            }
            "setCanaryScale" => {
                let c = s.map("setCanaryScale")?;
                let mut ct = Table::new();
                if let Some(r) = c.int_in("replicas", "a whole number of pods", INT32) {
                    ct.insert("replicas".into(), Value::Integer(r));
                }
                if let Some(w) = c.int_in("weight", "a whole percentage 0-100", 0..=100) {
                    ct.insert("weight".into(), Value::Integer(w));
                }
                if let Some(m) = c.bool("matchTrafficWeight") {
                    ct.insert("match_traffic_weight".into(), Value::Boolean(m));
                }
                self.out.origin(
                    &format!("{key}.set_canary_scale"),
                    c.findings().origin(),
                    c.path(),
                );
                t.insert("set_canary_scale".into(), Value::Table(ct));
            }
            "experiment" => {
                s.refuse("experiment", "an experiment runs extra ReplicaSets beside the canary for a while: not modelled yet (rollcage's fleet has the stable and the canary)");
                return None;
            }
            "setHeaderRoute" => {
                s.refuse("setHeaderRoute", "sends the requests whose headers match to the canary, apart from the weight: not modelled yet (rollcage's requests have no headers)");
                return None;
            }
            "setMirrorRoute" => {
                s.refuse("setMirrorRoute", "mirrors a share of the requests to the canary, whose answers are dropped: not modelled yet (rollcage's canary serves real requests only)");
                return None;
            }
            _ => {
                s.refuse(
                    "plugin",
                    "a step plugin runs code of its own, which rollcage cannot simulate",
                );
                return None;
            }
        }
        Some(Value::Table(t))
    }

    /// Records where the keys of an analysis block (`steps[1].analysis`) came from.
    fn run_origins(&mut self, key: &str, run: &Run) {
        if let Some((origin, path)) = run.sources.first() {
            for (k, field) in [
                ("count", "count"),
                ("interval_seconds", "interval"),
                ("initial_delay_seconds", "initialDelay"),
                ("failure_limit", "failureLimit"),
                ("inconclusive_limit", "inconclusiveLimit"),
                ("consecutive_error_limit", "consecutiveErrorLimit"),
            ] {
                self.out
                    .origin(&format!("{key}.{k}"), origin, &format!("{path}.{field}"));
            }
        }
    }

    fn blue_green(&mut self, b: &Node<'_>, replicas: Option<i64>) -> String {
        self.out.put("kind", "blue-green");
        let mut d = "blue-green".to_string();
        let auto = b.bool("autoPromotionEnabled");
        let seconds = b.int_in("autoPromotionSeconds", "a whole number of seconds", INT32);
        match auto {
            Some(false) => {
                let at = b.get("autoPromotionEnabled").expect("read");
                at.note_here(format!(
                    "false: Argo waits before the switch until someone promotes, and nobody promotes a simulated rollout: read as auto_promotion_seconds = {MAX_WAIT_SECONDS} (30 days, past every run)"
                ));
                self.set("auto_promotion_seconds", MAX_WAIT_SECONDS as i64, &at);
                if let Some(s) = b.get("autoPromotionSeconds") {
                    s.note_here("not simulated: Argo promotes after it only when autoPromotionEnabled is true");
                }
                d.push_str(", promoted by hand");
            }
            _ => {
                if auto == Some(true) {
                    b.findings().note(
                        &b.key_path("autoPromotionEnabled"),
                        "not simulated: true is the default",
                    );
                }
                if let Some(s) = seconds {
                    self.set(
                        "auto_promotion_seconds",
                        s,
                        &b.get("autoPromotionSeconds").expect("read"),
                    );
                    d.push_str(&format!(", auto-promoted after {s} s"));
                }
            }
        }
        self.seconds(b, "scaleDownDelaySeconds", "scale_down_delay_seconds");
        self.seconds(
            b,
            "abortScaleDownDelaySeconds",
            "abort_scale_down_delay_seconds",
        );
        if let Some(p) = b.int_in("previewReplicaCount", "a whole number of pods", INT32) {
            if Some(p) == replicas {
                b.findings().note(
                    &b.key_path("previewReplicaCount"),
                    "not simulated: the preview at the full replica count, as rollcage's blue-green scales it",
                );
            } else {
                b.problem(
                    "previewReplicaCount",
                    format!(
                        "a preview of {p} pods{} is not modelled yet: rollcage's blue-green scales the preview to the full replica count before the switch",
                        match replicas {
                            Some(r) => format!(" (of {r})"),
                            None => String::new(),
                        }
                    ),
                );
            }
        }
        for (field, key) in [
            ("prePromotionAnalysis", "pre_promotion_analysis"),
            ("postPromotionAnalysis", "post_promotion_analysis"),
        ] {
            if let Some(a) = b.map(field)
                && let Some(run) = self.analysis(&a)
            {
                if run.indefinite {
                    a.problem(
                        "templates",
                        format!(
                            "the metrics ({}) have an interval and no count, so Argo measures until one fails: the {field} would never complete; give them a count",
                            run.describe_gates()
                        ),
                    );
                    continue;
                }
                self.out.put(key, gate_table::analysis(&run.spec, &[]));
                self.run_origins(key, &run);
            }
        }
        b.note(
            "activeService",
            "not simulated: the Service that takes the traffic; the switch is the scenario's load balancer moving every request to the candidate",
        );
        b.note(
            "previewService",
            "not simulated: the Service of the preview stack; the test traffic it gets is preview_traffic_share (0 unless set with --set policy.preview_traffic_share=...)",
        );
        b.note(
            "maxUnavailable",
            "not simulated: how many pods may be unavailable while a stack scales with the replica count; the simulated replica count does not change during a rollout",
        );
        b.note(
            "previewMetadata",
            "not simulated: labels and annotations on the preview's pods",
        );
        b.note(
            "activeMetadata",
            "not simulated: labels and annotations on the active pods",
        );
        b.note(
            "antiAffinity",
            "not simulated: where the preview's pods are scheduled; the simulated fleet has no nodes",
        );
        b.note(
            "scaleDownDelayRevisionLimit",
            "not simulated: how many older ReplicaSets wait out the scale-down delay; the simulation has the active and the preview only",
        );
        d
    }

    /// The gates: every analysis of the Rollout measures the same ones, since rollcage's
    /// gates are the policy's.
    fn gates(&mut self, spec: &Node<'_>) {
        let Some(first) = self.runs.first() else {
            return;
        };
        for r in &self.runs[1..] {
            if r.gates != first.gates {
                let same_names = r.gates.len() == first.gates.len()
                    && r.gates
                        .iter()
                        .zip(&first.gates)
                        .all(|(a, b)| a.name == b.name);
                let what = if same_names {
                    format!(
                        "the same metrics ({}) with other queries, conditions or windows (its args differ?)",
                        r.describe_gates()
                    )
                } else {
                    format!(
                        "{}, where {} measures {}",
                        r.describe_gates(),
                        first.place,
                        first.describe_gates()
                    )
                };
                spec.findings().problem(
                    &r.place,
                    format!(
                        "measures {what}: rollcage's gates are the policy's, the same in every analysis of a Rollout; give its analyses the same templates and args"
                    ),
                );
                return;
            }
        }
        let first = first.clone();
        self.out.put("gates", gate_table::gates(&first.gates));
        for (i, (origin, path)) in first.sources.iter().enumerate() {
            for k in [
                "threshold",
                "slack",
                "window_seconds",
                "quantile",
                "min_samples",
            ] {
                self.out.origin(&format!("gates[{i}].{k}"), origin, path);
            }
            self.out
                .origin(&format!("gates[{i}].name"), origin, &format!("{path}.name"));
        }
    }
}

#[cfg(test)]
mod tests;
