//! Argo Rollouts' `AnalysisTemplate` and `ClusterAnalysisTemplate`, read for the
//! Rollout analysis that refers to them (a canary step's `analysis`, the background
//! `analysis`, `prePromotionAnalysis`, `postPromotionAnalysis`).
//!
//! An analysis names templates (`templates: [{templateName, clusterScope}]`) and
//! hands them arguments (`args: [{name, value | valueFrom}]`). As Argo's `MergeArgs`
//! does, a template's declared argument takes the analysis's value when it gives one,
//! else its own default; one with neither is refused (Argo refuses the run: "args.X
//! was not resolved"), and an argument no template declares is ignored (noted). Every
//! `{{args.X}}` in a metric is then substituted, as Argo's `ResolveArgs` does (spaces
//! inside the braces allowed; any other `{{...}}` is refused, as Argo refuses it).
//! Values the simulation cannot know stand in as placeholders, said in a note:
//! `valueFrom.podTemplateHashValue` (`Latest`, the canary's ReplicaSet, or `Stable`),
//! a template's `valueFrom.secretKeyRef`, and the `fieldRef`s of the Rollout's
//! metadata the file does not hold (`metadata.name` is the Rollout's name, and
//! `metadata.namespace`, `labels['k']` and `annotations['k']` are read from the Rollout
//! when it has them).
//!
//! Each metric becomes a rollcage gate: its `provider.prometheus.query` through the
//! query recogniser (`--map-metric TEMPLATE/METRIC=KIND` says what an unrecognised one
//! measures), its `successCondition`/`failureCondition` through `condition::argo`. Its
//! `count`, `interval`, `initialDelay`, `failureLimit`, `inconclusiveLimit` and
//! `consecutiveErrorLimit` are the analysis's: rollcage's analysis has one of each for
//! all its gates, so metrics of one run with different ones are refused, naming both. A
//! metric in `dryRun` is measured by Argo without changing the rollout: noted, not a
//! gate.
//!
//! A query without a traffic guard is judged by Argo on whatever traffic there was, so
//! its gate has `min_samples = 0`; with no requests at all the query gives NaN or no
//! value, and `on_empty` is the condition's verdict when it is the same for both (else
//! `inconclusive`, with a note of what Argo does with each). With a guard (`and on()
//! sum(increase(...)) >= N`) below N requests the result is empty, which `result[0]`
//! makes an Error: rollcage reads that window as `on_empty = inconclusive`, and says so.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

use super::Context;
use super::collect::Collector;
use super::condition::{self, GateDefaults, Outcome};
use super::go_duration;
use super::manifest::{Document, describe};
use super::meta;
use super::node::{Findings, Node};
use super::query::{self, Form, ResultKind, Shape, Window};
use crate::analysis::AnalysisSpec;
use crate::gate::{EmptyRule, GateSpec};

/// What one analysis reference (a step's `analysis`, `prePromotionAnalysis`, ...) runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The analysis's path in the Rollout (`spec.strategy.canary.steps[1].analysis`).
    pub place: String,
    /// The count (0 when the metrics measure until the run is stopped), interval,
    /// initial delay and limits shared by its metrics.
    pub spec: AnalysisSpec,
    /// The metrics have an interval and no count: they measure until the rollout
    /// stops the run (a background analysis) or one of them fails.
    pub indefinite: bool,
    pub gates: Vec<GateSpec>,
    /// Where each gate's metric is: (the template's document, the metric's path).
    pub sources: Vec<(String, String)>,
}

impl Run {
    /// The metrics, for messages: `template success-rate metric error-ratio, ...`.
    pub fn describe_gates(&self) -> String {
        if self.gates.is_empty() {
            return "no gates".into();
        }
        self.gates
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The measurement settings of one metric, as Argo runs it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Timing {
    /// `None`: an interval and no count (Argo's `EffectiveCount` is nil): measured
    /// until the run is stopped.
    count: Option<u32>,
    interval: Option<f64>,
    initial_delay: f64,
    failure_limit: u32,
    inconclusive_limit: u32,
    consecutive_error_limit: u32,
}

impl Timing {
    fn describe(&self) -> String {
        let mut s = match self.count {
            Some(c) => format!("count {c}"),
            None => "no count".to_string(),
        };
        if let Some(i) = self.interval {
            s.push_str(&format!(", interval {i} s"));
        }
        if self.initial_delay > 0.0 {
            s.push_str(&format!(", initialDelay {} s", self.initial_delay));
        }
        s.push_str(&format!(
            ", failureLimit {}, inconclusiveLimit {}, consecutiveErrorLimit {}",
            self.failure_limit, self.inconclusive_limit, self.consecutive_error_limit
        ));
        s
    }
}

/// A metric read with its template's arguments.
#[derive(Clone, Debug)]
struct MetricRead {
    name: String,
    origin: String,
    path: String,
    template: String,
    timing: Timing,
    /// `None` for a dry-run metric.
    gate: Option<GateSpec>,
}

/// The Rollout's metadata, which an argument's `fieldRef` reads.
#[derive(Clone, Debug)]
pub struct RolloutMeta {
    pub name: String,
    pub metadata: J,
}

/// An argument's value, or the placeholder that stands for a value the simulation
/// cannot know, with why.
#[derive(Clone, Debug)]
enum Arg {
    Value(String),
    Placeholder { value: String, why: String },
}

impl Arg {
    fn text(&self) -> &str {
        match self {
            Arg::Value(v) | Arg::Placeholder { value: v, .. } => v,
        }
    }
}

/// A template read with one set of arguments and dry-run names.
type Key = (String, String, Vec<(String, String)>, Vec<String>);

/// The analyses of one Rollout: templates are read once per set of arguments, and
/// what reading them found is reported once.
pub struct Analyses<'r, 'c> {
    ctx: &'r Context<'c>,
    rollout: RolloutMeta,
    cache: RefCell<BTreeMap<Key, Option<Vec<MetricRead>>>>,
    found: Collector,
}

/// The placeholder of an argument the simulation cannot know: a word PromQL reads in a
/// label value (and nowhere a number or a duration is expected, where it is refused).
fn placeholder(arg: &str) -> String {
    format!("rollcage-placeholder-{arg}")
}

/// Substitutes `{{args.NAME}}` as Argo's `ResolveArgs` does.
fn substitute(text: &str, args: &BTreeMap<String, Arg>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let tag = rest[start + 2..start + 2 + len].trim();
        match tag.strip_prefix("args.").and_then(|n| args.get(n)) {
            Some(v) => out.push_str(v.text()),
            None if tag.starts_with("args.") => {
                return Err(format!(
                    "{{{{{tag}}}}} names an argument no template of this analysis declares (Argo fails the run: failed to resolve it)"
                ));
            }
            None => {
                return Err(format!(
                    "{{{{{tag}}}}} is not an argument (`{{{{args.NAME}}}}`), and Argo resolves nothing else in a metric"
                ));
            }
        }
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A string at `key` with the arguments substituted.
fn sub(n: &Node<'_>, key: &str, args: &BTreeMap<String, Arg>) -> Option<String> {
    let s = n.str(key)?;
    match substitute(s, args) {
        Ok(v) => Some(v),
        Err(e) => {
            n.problem(key, e);
            None
        }
    }
}

/// Argo's `IntOrString` fields (`count`, `failureLimit`, ...): a number, or a string of
/// one (usually `"{{args.X}}"`), read after substitution.
fn int_or_string(n: &Node<'_>, key: &str, args: &BTreeMap<String, Arg>) -> Option<i64> {
    let v = n.get(key)?;
    let parsed = match v.value() {
        J::Number(x) => x
            .as_i64()
            .ok_or_else(|| format!("expected a whole number, found {x}")),
        J::String(s) => match substitute(s, args) {
            Ok(t) => t
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("expected a whole number, found {t:?}")),
            Err(e) => Err(e),
        },
        other => Err(format!(
            "expected a whole number, found {}",
            describe(other)
        )),
    };
    match parsed {
        Ok(i) => Some(i),
        Err(e) => {
            v.refused(e);
            None
        }
    }
}

/// A Go duration at `key`, in seconds, not negative.
fn duration(n: &Node<'_>, key: &str, args: &BTreeMap<String, Arg>) -> Option<f64> {
    let s = sub(n, key, args)?;
    match go_duration::parse(&s) {
        Ok(d) if d < 0.0 => {
            n.problem(key, format!("must not be negative, found {s:?}"));
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            n.problem(key, e);
            None
        }
    }
}

/// The providers Argo has besides Prometheus; none is read (`--map-metric` says what
/// one measures).
const OTHER_PROVIDERS: [&str; 11] = [
    "kayenta",
    "web",
    "datadog",
    "wavefront",
    "newRelic",
    "job",
    "cloudWatch",
    "graphite",
    "influxdb",
    "skywalking",
    "plugin",
];

/// The `--map-metric` words, for messages.
pub const KINDS: &str = "error_ratio, error_percent, success_ratio, success_percent, latency_pQ_ms (e.g. latency_p99_ms), latency_pQ_s, latency_pQ_us, restarts, memory_mb, memory_bytes, kpi, sessions_lost";

/// The traffic-guard and empty-result rules of an imported gate (module doc), with what
/// they imply said in notes.
pub fn settle_empty(
    gate: &mut GateSpec,
    shape: &Shape,
    on_empty: Outcome,
    on_nan: Outcome,
    condition: &str,
    notes: &mut Vec<String>,
) {
    if !gate.metric.needs_requests() {
        return;
    }
    match shape.min_requests {
        None => {
            // Without requests the query gives NaN (0 / 0) or no series at all,
            // depending on whether the canary's series exist yet; the gate's on_empty
            // stands for both, so it takes the condition's verdict only when the two
            // agree.
            gate.min_samples = 0;
            match (on_empty == on_nan, on_nan.empty_rule()) {
                (true, Some(rule)) => {
                    gate.on_empty = rule;
                    if rule != EmptyRule::Inconclusive {
                        notes.push(format!(
                            "with no candidate requests the query gives NaN or no value, which {condition} counts {}: on_empty = {}",
                            on_nan.name(),
                            on_nan.name()
                        ));
                    }
                }
                _ => notes.push(format!(
                    "with no candidate requests the query gives NaN or no value (no series yet), which {condition} counts {} and {}; rollcage reads a window without requests as on_empty = inconclusive",
                    outcome_words(on_nan),
                    outcome_words(on_empty)
                )),
            }
        }
        Some(n) => match on_empty.empty_rule() {
            Some(rule) => gate.on_empty = rule,
            None => notes.push(format!(
                "below {n} candidate requests the query is empty, which {condition} counts as an Error (against consecutiveErrorLimit); rollcage reads that window as on_empty = inconclusive"
            )),
        },
    }
}

fn outcome_words(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "a pass",
        Outcome::Fail => "a failure",
        Outcome::Inconclusive => "inconclusive",
        Outcome::Error => "an Error (against consecutiveErrorLimit)",
    }
}

impl<'r, 'c> Analyses<'r, 'c> {
    pub fn new(ctx: &'r Context<'c>, rollout: RolloutMeta) -> Self {
        Analyses {
            ctx,
            rollout,
            cache: RefCell::new(BTreeMap::new()),
            found: Collector::default(),
        }
    }

    fn note(&self, origin: &str, key: &str, text: impl Into<String>) {
        self.found.note(origin, key, text);
    }

    /// Hands what the templates' reading found to the import.
    pub fn finish(self) {
        self.found.finish(self.ctx);
    }

    /// A `fieldRef` of the Rollout's metadata, as Argo's downward API reads it.
    fn field_ref(&self, path: &str, arg: &str) -> Result<Arg, String> {
        let m = &self.rollout.metadata;
        let held = |v: Option<&J>, what: &str| match v.and_then(J::as_str) {
            Some(s) => Arg::Value(s.to_string()),
            None => Arg::Placeholder {
                value: placeholder(arg),
                why: format!("the Rollout's {what}, which the file does not give"),
            },
        };
        let keyed = |prefix: &str| -> Option<String> {
            let inner = path.strip_prefix(prefix)?.strip_suffix("']")?;
            Some(inner.to_string())
        };
        Ok(match path {
            "metadata.name" => Arg::Value(self.rollout.name.clone()),
            "metadata.namespace" => held(m.get("namespace"), "namespace"),
            "metadata.uid" => Arg::Placeholder {
                value: placeholder(arg),
                why: "the Rollout's uid, which the API server assigns".into(),
            },
            _ => {
                if let Some(k) = keyed("metadata.labels['") {
                    held(
                        m.get("labels").and_then(|l| l.get(&k)),
                        &format!("label {k}"),
                    )
                } else if let Some(k) = keyed("metadata.annotations['") {
                    held(
                        m.get("annotations").and_then(|l| l.get(&k)),
                        &format!("annotation {k}"),
                    )
                } else {
                    return Err(format!(
                        "{path:?}: Argo reads metadata.name, metadata.namespace, metadata.uid, metadata.labels['KEY'] and metadata.annotations['KEY'] here"
                    ));
                }
            }
        })
    }

    /// The arguments an analysis hands over, by name, in order.
    fn incoming(&self, node: &Node<'_>) -> Vec<(String, Arg, String)> {
        let mut out: Vec<(String, Arg, String)> = Vec::new();
        for a in node.seq("args") {
            let Some(name) = a.str("name").map(str::to_string) else {
                if !a.has("name") {
                    a.problem("name", "missing: an argument's name");
                }
                a.allow(&["value", "valueFrom"]);
                continue;
            };
            let value = match (a.str("value"), a.map("valueFrom")) {
                (Some(_), Some(_)) => {
                    a.problem("valueFrom", "give value or valueFrom, not both");
                    None
                }
                (Some(v), None) => Some(Arg::Value(v.to_string())),
                (None, Some(vf)) => self.value_from_rollout(&vf, &name),
                (None, None) => {
                    if !a.has("value") && !a.has("valueFrom") {
                        a.problem("", format!("argument {name}: give value or valueFrom"));
                    }
                    None
                }
            };
            if let Some(v) = value {
                if out.iter().any(|(n, _, _)| *n == name) {
                    a.problem("name", format!("argument {name} is given twice"));
                    continue;
                }
                out.push((name, v, a.path().to_string()));
            }
        }
        out
    }

    /// A Rollout argument's `valueFrom`: a ReplicaSet's pod-template hash or a field of
    /// the Rollout.
    fn value_from_rollout(&self, vf: &Node<'_>, name: &str) -> Option<Arg> {
        let hash = vf.str("podTemplateHashValue");
        let field = vf
            .map("fieldRef")
            .and_then(|f| f.str("fieldPath").map(str::to_string));
        match (hash, field) {
            (Some(h), None) => match h {
                "Latest" => Some(Arg::Placeholder {
                    value: "rollcage-latest-hash".into(),
                    why: "the pod-template hash of the canary's ReplicaSet (Latest): the query selects the canary's pods, which is what a rollcage gate measures".into(),
                }),
                "Stable" => Some(Arg::Placeholder {
                    value: "rollcage-stable-hash".into(),
                    why: "the pod-template hash of the stable ReplicaSet (Stable): the query selects the stable's pods; a rollcage gate measures the candidate (a relative gate compares it with the baseline), so a query of the stable alone is gated as if it measured the canary".into(),
                }),
                other => {
                    vf.problem(
                        "podTemplateHashValue",
                        format!("must be Stable or Latest, found {other:?}"),
                    );
                    None
                }
            },
            (None, Some(path)) => match self.field_ref(&path, name) {
                Ok(a) => Some(a),
                Err(e) => {
                    vf.problem("fieldRef.fieldPath", e);
                    None
                }
            },
            (Some(_), Some(_)) => {
                vf.problem("", "give podTemplateHashValue or fieldRef, not both");
                None
            }
            (None, None) => {
                if !vf.has("podTemplateHashValue") && !vf.has("fieldRef") {
                    vf.problem("", "give podTemplateHashValue or fieldRef");
                }
                None
            }
        }
    }

    /// A template's declared arguments, read from its document as it is: (name, its
    /// own value, the path of its declaration).
    fn declared(&self, doc: &Document) -> Vec<(String, Option<Arg>, String)> {
        let Some(J::Array(args)) = doc.value.pointer("/spec/args") else {
            return Vec::new();
        };
        args.iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let name = a.get("name")?.as_str()?.to_string();
                let path = format!("spec.args[{i}]");
                let own = if let Some(v) = a.get("value").and_then(J::as_str) {
                    Some(Arg::Value(v.to_string()))
                } else if let Some(s) = a.pointer("/valueFrom/secretKeyRef") {
                    let what = match (
                        s.get("name").and_then(J::as_str),
                        s.get("key").and_then(J::as_str),
                    ) {
                        (Some(n), Some(k)) => format!("key {k} of Secret {n}"),
                        _ => "a Secret's key".to_string(),
                    };
                    Some(Arg::Placeholder {
                        value: placeholder(&name),
                        why: format!("{what}, which rollcage does not read"),
                    })
                } else if let Some(p) = a.pointer("/valueFrom/fieldRef/fieldPath") {
                    let p = p.as_str()?;
                    self.field_ref(p, &name).ok()
                } else {
                    None
                };
                Some((name, own, path))
            })
            .collect()
    }

    /// Reads an analysis reference at `node` (its `templates`, `args` and `dryRun`;
    /// the caller reads or allows the rest, e.g. `startingStep`).
    pub fn run(&self, node: &Node<'_>) -> Option<Run> {
        let place = node.path().to_string();
        let incoming = self.incoming(node);
        let mut dry: Vec<String> = Vec::new();
        for d in node.seq("dryRun") {
            if let Some(m) = d.str("metricName") {
                dry.push(m.to_string());
                d.findings().note(
                    &d.key_path("metricName"),
                    format!(
                        "dry-run: Argo measures {} without letting the result change the rollout; not a gate",
                        if m == "*" {
                            "every metric".to_string()
                        } else {
                            format!("metric {m}")
                        }
                    ),
                );
            }
        }
        dry.sort();
        dry.dedup();
        node.note(
            "measurementRetention",
            "not simulated: how many measurements Argo keeps on the AnalysisRun; the verdict is the same",
        );
        node.note(
            "analysisRunMetadata",
            "not simulated: labels and annotations of the AnalysisRun object",
        );
        let refs = node.seq("templates");
        if refs.is_empty() {
            if !node.findings().has_problems() {
                node.problem(
                    "templates",
                    "missing: an analysis names at least one template",
                );
            }
            return None;
        }
        let mut metrics: Vec<MetricRead> = Vec::new();
        let mut declared_names: BTreeSet<String> = BTreeSet::new();
        let mut ok = true;
        for r in &refs {
            let mut this_ok = true;
            let name = r.str("templateName");
            let cluster = r.bool("clusterScope").unwrap_or(false);
            let Some(name) = name else {
                if !r.has("templateName") {
                    r.problem("templateName", "missing: the template's name");
                }
                ok = false;
                continue;
            };
            let kind = if cluster {
                "ClusterAnalysisTemplate"
            } else {
                "AnalysisTemplate"
            };
            let Some(doc) = self.ctx.template(kind, name) else {
                let other = if cluster {
                    "AnalysisTemplate"
                } else {
                    "ClusterAnalysisTemplate"
                };
                let hint = if self.ctx.template(other, name).is_some() {
                    format!(
                        " (there is a{} {other} of that name: {})",
                        if cluster { "n" } else { "" },
                        if cluster {
                            "drop clusterScope"
                        } else {
                            "set clusterScope: true"
                        }
                    )
                } else {
                    String::new()
                };
                r.problem(
                    "templateName",
                    format!(
                        "no {kind} {name:?} in this file or in the --analysis files{hint}; give the file that holds it with --analysis FILE"
                    ),
                );
                ok = false;
                continue;
            };
            // MergeArgs: the analysis's value, else the template's own.
            let mut args: BTreeMap<String, Arg> = BTreeMap::new();
            for (arg, own, path) in self.declared(doc) {
                declared_names.insert(arg.clone());
                let given = incoming.iter().find(|(n, _, _)| *n == arg);
                match (given, own) {
                    (Some((_, v, from)), _) => {
                        if let Arg::Placeholder { value, why } = v {
                            self.note(
                                node.findings().origin(),
                                from,
                                format!(
                                    "argument {arg} is {why}; the query reads {value:?} in its place"
                                ),
                            );
                        }
                        args.insert(arg, v.clone());
                    }
                    (None, Some(v)) => {
                        if let Arg::Placeholder { value, why } = &v {
                            self.note(
                                &doc.origin(),
                                &path,
                                format!(
                                    "argument {arg} is {why}; the query reads {value:?} in its place"
                                ),
                            );
                        }
                        args.insert(arg, v);
                    }
                    (None, None) => {
                        node.problem(
                            "args",
                            format!(
                                "{kind} {name} declares argument {arg} without a value, and this analysis gives none (Argo refuses the run: args.{arg} was not resolved)"
                            ),
                        );
                        this_ok = false;
                    }
                }
            }
            if !this_ok {
                ok = false;
                continue;
            }
            let key: Key = (
                kind.to_string(),
                name.to_string(),
                args.iter()
                    .map(|(k, v)| (k.clone(), v.text().to_string()))
                    .collect(),
                dry.clone(),
            );
            let cached = self.cache.borrow().get(&key).cloned();
            let read = match cached {
                Some(r) => r,
                None => {
                    let r = self.read_template(doc, &args, &dry);
                    self.cache.borrow_mut().insert(key, r.clone());
                    r
                }
            };
            match read {
                Some(ms) => metrics.extend(ms),
                None => ok = false,
            }
        }
        for (n, _, path) in &incoming {
            if !declared_names.contains(n) {
                self.note(
                    node.findings().origin(),
                    path,
                    format!("not used: no template of this analysis declares argument {n} (Argo ignores it)"),
                );
            }
        }
        if !ok {
            return None;
        }
        // One run: metric names are unique (Argo's FlattenTemplates refuses repeats).
        for (i, m) in metrics.iter().enumerate() {
            if let Some(first) = metrics[..i].iter().find(|x| x.name == m.name) {
                node.problem(
                    "templates",
                    format!(
                        "metric {} is in template {} ({}) and in template {} ({}): Argo refuses two metrics of one name in a run",
                        m.name, first.template, first.path, m.template, m.path
                    ),
                );
                return None;
            }
        }
        let gated: Vec<&MetricRead> = metrics.iter().filter(|m| m.gate.is_some()).collect();
        let Some(first) = gated.first() else {
            node.problem(
                "templates",
                "every metric of this analysis is dry-run: it can never fail, and a rollcage analysis needs a gate; remove the analysis or a metric from dryRun",
            );
            return None;
        };
        for m in &gated[1..] {
            if m.timing != first.timing {
                node.problem(
                    "templates",
                    format!(
                        "metric {} of template {} ({}: {}) and metric {} of template {} ({}: {}) are measured differently, and a rollcage analysis has one count, interval, initialDelay and set of limits for all its gates; give the metrics of one analysis the same ones",
                        first.name,
                        first.template,
                        first.path,
                        first.timing.describe(),
                        m.name,
                        m.template,
                        m.path,
                        m.timing.describe()
                    ),
                );
                return None;
            }
        }
        let t = first.timing;
        let d = AnalysisSpec::default();
        Some(Run {
            place,
            spec: AnalysisSpec {
                count: t.count.unwrap_or(0),
                interval_seconds: t.interval.unwrap_or(d.interval_seconds),
                initial_delay_seconds: t.initial_delay,
                failure_limit: t.failure_limit,
                inconclusive_limit: t.inconclusive_limit,
                consecutive_error_limit: t.consecutive_error_limit,
            },
            indefinite: t.count.is_none(),
            gates: gated.iter().filter_map(|m| m.gate.clone()).collect(),
            sources: gated
                .iter()
                .map(|m| (m.origin.clone(), m.path.clone()))
                .collect(),
        })
    }

    /// A template with its arguments resolved: its metrics, or `None` when it has a
    /// problem (reported).
    fn read_template(
        &self,
        doc: &Document,
        args: &BTreeMap<String, Arg>,
        rollout_dry: &[String],
    ) -> Option<Vec<MetricRead>> {
        let findings = Findings::new(doc.origin());
        let template = doc.name.clone().unwrap_or_default();
        let out = {
            let root = findings.root(&doc.value);
            root.allow(&["apiVersion", "kind"]);
            meta::read(&root);
            meta::status(&root);
            let spec = root.map("spec");
            if spec.is_none() && !root.has("spec") {
                root.problem("spec", "missing: a template's spec holds its metrics");
            }
            spec.map(|spec| self.read_spec(&spec, &template, args, rollout_dry))
        };
        let bad = findings.has_problems();
        self.found.merge(findings);
        match out {
            Some(ms) if !bad => Some(ms),
            _ => None,
        }
    }

    fn read_spec(
        &self,
        spec: &Node<'_>,
        template: &str,
        args: &BTreeMap<String, Arg>,
        rollout_dry: &[String],
    ) -> Vec<MetricRead> {
        for a in spec.seq("args") {
            if !a.has("name") {
                a.problem("name", "missing: an argument's name");
            }
            a.str("name");
            a.str("value");
            if let Some(vf) = a.map("valueFrom") {
                if let Some(s) = vf.map("secretKeyRef") {
                    s.str("name");
                    s.str("key");
                }
                if let Some(f) = vf.map("fieldRef") {
                    f.str("fieldPath");
                }
            }
        }
        let mut dry: Vec<String> = rollout_dry.to_vec();
        for d in spec.seq("dryRun") {
            if let Some(m) = d.str("metricName") {
                dry.push(m.to_string());
            }
        }
        spec.note(
            "measurementRetention",
            "not simulated: how many measurements Argo keeps on the AnalysisRun; the verdict is the same",
        );
        spec.refuse(
            "templates",
            "a template made of other templates is not read yet: name those templates in the Rollout's analysis instead",
        );
        let metrics = spec.seq("metrics");
        if metrics.is_empty() && !spec.findings().has_problems() {
            spec.problem(
                "metrics",
                "missing: a template holds at least one metric (Argo: no metrics specified)",
            );
        }
        let mut out = Vec::new();
        for (i, m) in metrics.iter().enumerate() {
            let name = m.str("name").map(str::to_string);
            if let Some(n) = &name
                && metrics[..i]
                    .iter()
                    .any(|x| x.value().get("name").and_then(J::as_str) == Some(n))
            {
                m.problem("name", format!("duplicate name {n:?} (Argo refuses it)"));
            }
            let Some(name) = name else {
                if !m.has("name") {
                    m.problem("name", "missing: a metric's name");
                }
                m.allow(&["*"]);
                continue;
            };
            let is_dry = dry.iter().any(|d| d == "*" || *d == name);
            if let Some(r) = self.read_metric(m, &name, template, args, is_dry) {
                out.push(r);
            }
        }
        out
    }

    fn read_metric(
        &self,
        m: &Node<'_>,
        name: &str,
        template: &str,
        args: &BTreeMap<String, Arg>,
        dry: bool,
    ) -> Option<MetricRead> {
        let interval = duration(m, "interval", args);
        let initial_delay = duration(m, "initialDelay", args).unwrap_or(0.0);
        let nonneg = |key: &str, default: i64| -> i64 {
            match int_or_string(m, key, args) {
                Some(v) if v < 0 => {
                    m.problem(key, format!("must be at least 0, found {v}"));
                    default
                }
                Some(v) => v,
                None => default,
            }
        };
        let count = nonneg("count", 0);
        let failure_limit = match int_or_string(m, "failureLimit", args) {
            Some(-1) => {
                m.problem(
                    "failureLimit",
                    "-1 turns the failure limit off, for consecutiveSuccessLimit alone to decide: not modelled yet (rollcage's analysis fails on failureLimit)",
                );
                0
            }
            Some(v) if v < -1 => {
                m.problem(
                    "failureLimit",
                    format!("must be at least 0, or -1 to be disabled (Argo), found {v}"),
                );
                0
            }
            Some(v) => v,
            None => 0,
        };
        let inconclusive_limit = nonneg("inconclusiveLimit", 0);
        let consecutive_error_limit = nonneg("consecutiveErrorLimit", 4);
        match int_or_string(m, "consecutiveSuccessLimit", args) {
            Some(0) => m.findings().note(
                &m.key_path("consecutiveSuccessLimit"),
                "not simulated: 0 is the default (off)",
            ),
            Some(v) => m.problem(
                "consecutiveSuccessLimit",
                format!(
                    "{v}: a metric that succeeds after {v} successes in a row is not modelled yet (rollcage's analysis succeeds when the count is reached)"
                ),
            ),
            None => {}
        }
        // Argo's ValidateMetric.
        if count > 0 {
            if count < failure_limit {
                m.problem(
                    "count",
                    format!("must be at least failureLimit ({failure_limit}), as Argo requires; found {count}"),
                );
            }
            if count < inconclusive_limit {
                m.problem(
                    "count",
                    format!("must be at least inconclusiveLimit ({inconclusive_limit}), as Argo requires; found {count}"),
                );
            }
        }
        if count > 1 && !m.has("interval") {
            m.problem(
                "interval",
                "missing: a count above 1 needs an interval, as Argo requires",
            );
        }
        let to_u32 = |v: i64| v.clamp(0, u32::MAX as i64) as u32;
        let timing = Timing {
            count: match (count, m.has("interval")) {
                (0, false) => Some(1),
                (0, true) => None,
                (c, _) => Some(to_u32(c)),
            },
            interval,
            initial_delay,
            failure_limit: to_u32(failure_limit),
            inconclusive_limit: to_u32(inconclusive_limit),
            consecutive_error_limit: to_u32(consecutive_error_limit),
        };
        let success = sub(m, "successCondition", args);
        let failure = sub(m, "failureCondition", args);
        let Some(provider) = m.map("provider") else {
            if !m.has("provider") {
                m.problem(
                    "provider",
                    "missing: a metric's provider (Argo: no provider specified)",
                );
            }
            return None;
        };
        let keys: Vec<&str> = provider.keys();
        let path = m.path().to_string();
        let origin = m.findings().origin().to_string();
        let read = |gate: Option<GateSpec>| MetricRead {
            name: name.to_string(),
            origin: origin.clone(),
            path: path.clone(),
            template: template.to_string(),
            timing,
            gate,
        };
        if keys.len() != 1 {
            provider.problem(
                "",
                format!(
                    "a metric has exactly one provider, found {}",
                    if keys.is_empty() {
                        "none".to_string()
                    } else {
                        keys.join(", ")
                    }
                ),
            );
            provider.allow(&["*"]);
            return None;
        }
        let which = keys[0];
        let mapped = if dry {
            None
        } else {
            self.ctx.mapping(template, name)
        };
        let (query, query_at) = if which == "prometheus" {
            let p = provider.map("prometheus")?;
            let q = sub(&p, "query", args);
            if q.is_none() && !p.has("query") {
                p.problem("query", "missing: the PromQL query");
            }
            p.note(
                "address",
                "not simulated: the Prometheus the controller asks; the simulation's own metrics answer the query",
            );
            p.note(
                "authentication",
                "not simulated: how the controller signs its requests to Prometheus",
            );
            p.note(
                "timeout",
                "not simulated: the query's timeout; a simulated query always answers",
            );
            p.note(
                "insecure",
                "not simulated: TLS verification of the Prometheus address",
            );
            p.note(
                "headers",
                "not simulated: HTTP headers of the request to Prometheus",
            );
            p.refuse(
                "rangeQuery",
                "a range query gives a matrix of values over time, which rollcage's gates do not read: not modelled yet; use an instant query",
            );
            (q, p.key_path("query"))
        } else if OTHER_PROVIDERS.contains(&which) {
            let pn = provider.get(which).expect("the key is there");
            if dry {
                pn.note_here("not simulated: a dry-run metric");
            } else if let Some(kind) = mapped {
                pn.note_here(format!(
                    "not simulated: the {which} provider is not read; --map-metric {template}/{name}={kind} says what it measures, and its window is the metric's interval ({} s)",
                    interval.unwrap_or(60.0)
                ));
            } else {
                pn.refused(format!(
                    "metric {name}: the {which} provider is not read (rollcage reads Prometheus queries); say what the metric measures with --map-metric {template}/{name}=KIND ({KINDS}), and its window is taken as the metric's interval"
                ));
                return None;
            }
            (None, pn.path().to_string())
        } else {
            // An unknown provider is reported by the provider's node.
            return None;
        };
        if dry {
            m.findings().note(
                &path,
                "dry-run: Argo measures this metric without letting the result change the rollout; not a gate",
            );
            return Some(read(None));
        }
        let shape = match (query.as_deref(), mapped) {
            (Some(q), None) => match query::recognise(q) {
                Ok(s) => s,
                Err(e) => {
                    m.findings().problem(
                        &query_at,
                        format!(
                            "metric {name}: rollcage cannot tell what this query measures: {e}. The query: `{q}`. Say what it measures with --map-metric {template}/{name}=KIND ({KINDS})"
                        ),
                    );
                    return None;
                }
            },
            (q, Some(kind)) => {
                let measure = match query::parse_kind(kind) {
                    Ok(k) => k,
                    Err(e) => {
                        m.findings().problem(
                            &query_at,
                            format!("--map-metric {template}/{name}={kind}: {e}"),
                        );
                        return None;
                    }
                };
                match q {
                    Some(q) => match query::recognise_as(q, measure) {
                        Ok(s) => s,
                        Err(e) => {
                            m.findings().problem(
                                &query_at,
                                format!(
                                    "metric {name} (--map-metric {kind}): {e}. The query: `{q}`"
                                ),
                            );
                            return None;
                        }
                    },
                    None => Shape {
                        measure,
                        window: Window::Seconds(interval.unwrap_or(60.0)),
                        form: Form::Absolute,
                        result: ResultKind::Vector,
                        min_requests: None,
                        empty_before_first_count: false,
                        notes: Vec::new(),
                    },
                }
            }
            (None, None) => return None,
        };
        let cond_at = if success.is_some() || failure.is_none() {
            m.key_path("successCondition")
        } else {
            m.key_path("failureCondition")
        };
        let cond = match condition::argo(success.as_deref(), failure.as_deref(), shape.result) {
            Ok(c) => c,
            Err(e) => {
                m.findings()
                    .problem(&cond_at, format!("metric {name}: {e}"));
                return None;
            }
        };
        let defaults = GateDefaults {
            min_samples: 100,
            on_empty: EmptyRule::Inconclusive,
            interval_seconds: interval,
        };
        let imported = match condition::to_gate(name, &shape, &cond, &defaults) {
            Ok(i) => i,
            Err(e) => {
                m.findings()
                    .problem(&cond_at, format!("metric {name}: {e}"));
                return None;
            }
        };
        let mut gate = imported.gate;
        let mut notes = imported.notes;
        settle_empty(
            &mut gate,
            &shape,
            imported.on_empty,
            imported.on_nan,
            &cond.text,
            &mut notes,
        );
        for n in notes {
            m.findings().note(&query_at, format!("metric {name}: {n}"));
        }
        Some(read(Some(gate)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, Arg> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Arg::Value(v.to_string())))
            .collect()
    }

    #[test]
    fn arguments_are_substituted_as_argo_does() {
        let a = args(&[("service", "checkout"), ("window", "5m")]);
        assert_eq!(
            substitute(
                "rate(r{service=\"{{args.service}}\"}[{{ args.window }}])",
                &a
            ),
            Ok("rate(r{service=\"checkout\"}[5m])".to_string())
        );
        assert_eq!(substitute("no braces", &a), Ok("no braces".into()));
        assert_eq!(substitute("{{ unclosed", &a), Ok("{{ unclosed".into()));
        let e = substitute("{{args.missing}}", &a).unwrap_err();
        assert!(
            e.contains("{{args.missing}} names an argument no template"),
            "{e}"
        );
        let e = substitute("{{ interval }}", &a).unwrap_err();
        assert!(e.contains("{{interval}} is not an argument"), "{e}");
    }
}
