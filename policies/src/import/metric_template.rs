//! Flagger's metrics, read for the Canary that lists them: the built-in
//! `request-success-rate` and `request-duration`, an inline `query` (deprecated), and
//! `templateRef` to a `flagger.app/v1beta1` `MetricTemplate` document (in the same file
//! or an `--analysis` file).
//!
//! Flagger renders a query as a Go template before it runs it: `{{ name }}` (the
//! Canary's), `{{ namespace }}`, `{{ target }}` (the target Deployment), `{{ service }}`,
//! `{{ ingress }}`, `{{ route }}`, `{{ interval }}` (the metric's interval, which is
//! its window) and `{{ variables.KEY }}` (the metric's `templateVariables`). rollcage
//! substitutes them the same way, except `{{ interval }}`, which the query recogniser
//! reads as the window; a variable Flagger would not find is refused, as Flagger's
//! template fails. The value is then held to `thresholdRange` (`min`, `max`), or to the
//! deprecated `threshold` (a minimum for `request-success-rate`, a maximum for every
//! other metric, as Flagger compares it).
//!
//! The built-in metrics are what Flagger's providers query: `request-success-rate` is
//! the percentage of requests that are not 5xx, `request-duration` the p99 latency in
//! milliseconds, each over the metric's interval. A Flagger check fails when its
//! query has no value (no requests), as rollcage's Flagger policy fails a check whose
//! window is empty, so a query without a traffic guard is judged on any traffic
//! (`min_samples = 0`).

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::Context;
use super::analysis_template::KINDS;
use super::collect::Collector;
use super::condition::{self, GateDefaults};
use super::go_duration;
use super::manifest::Document;
use super::meta;
use super::node::{Findings, Node};
use super::query::{self, Form, Measure, ResultKind, Scale, Shape, TimeUnit, Window};
use crate::gate::{EmptyRule, GateSpec};

/// What a Canary's metrics render with (Flagger's `MetricTemplateModel`).
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub name: String,
    pub namespace: Option<String>,
    pub target: Option<String>,
    pub service: Option<String>,
    pub ingress: Option<String>,
    pub route: Option<String>,
}

/// Flagger's default metric interval.
pub const DEFAULT_INTERVAL: f64 = 60.0;

/// The placeholder of a value the file does not give.
fn placeholder(what: &str) -> String {
    format!("rollcage-placeholder-{what}")
}

/// Renders Flagger's template variables in `query` (all but `{{ interval }}`); `used`
/// collects the variables that stood in as placeholders.
pub fn render(
    query: &str,
    model: &Model,
    variables: &BTreeMap<String, String>,
    used: &mut Vec<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            return Err("a `{{` without its `}}` (Flagger's template fails to parse)".into());
        };
        out.push_str(&rest[..start]);
        let raw = &rest[start + 2..start + 2 + len];
        let tag = raw.trim_matches(|c: char| c == '-' || c.is_whitespace());
        let held = |v: &Option<String>, what: &str, used: &mut Vec<String>| match v {
            Some(s) => s.clone(),
            None => {
                used.push(what.to_string());
                placeholder(what)
            }
        };
        let value = match tag {
            "interval" => format!("{{{{{raw}}}}}"),
            "name" => model.name.clone(),
            "namespace" => held(&model.namespace, "namespace", used),
            "target" => held(&model.target, "target", used),
            "service" => held(&model.service, "service", used),
            "ingress" => held(&model.ingress, "ingress", used),
            "route" => held(&model.route, "route", used),
            _ => match tag.strip_prefix("variables.") {
                Some(k) => match variables.get(k) {
                    Some(v) => v.clone(),
                    None => {
                        return Err(format!(
                            "{{{{ {tag} }}}}: the metric's templateVariables have no {k} (Flagger's template fails: map has no entry for key)"
                        ));
                    }
                },
                None => {
                    return Err(format!(
                        "{{{{ {tag} }}}} is none of Flagger's template variables (name, namespace, target, service, ingress, route, interval, variables.KEY)"
                    ));
                }
            },
        };
        out.push_str(&value);
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// One Canary metric, read into a gate.
pub struct Metrics<'r, 'c> {
    ctx: &'r Context<'c>,
    model: Model,
    found: Collector,
}

/// Where a metric's query is, for `--map-metric` and messages.
enum Source<'a> {
    Builtin(Measure),
    Inline(String),
    Template { doc: &'a Document, name: String },
}

impl<'r, 'c> Metrics<'r, 'c> {
    pub fn new(ctx: &'r Context<'c>, model: Model) -> Self {
        Metrics {
            ctx,
            model,
            found: Collector::default(),
        }
    }

    /// Hands what the templates' reading found to the import.
    pub fn finish(self) {
        self.found.finish(self.ctx);
    }

    /// A metric of `analysis.metrics`, read into a gate; `None` after a problem.
    pub fn read(&self, m: &Node<'_>) -> Option<GateSpec> {
        let name = m.str("name").map(str::to_string);
        let Some(name) = name else {
            if !m.has("name") {
                m.problem("name", "missing: a metric's name");
            }
            m.allow(&["*"]);
            return None;
        };
        let interval = match m.str("interval") {
            Some(s) => match go_duration::parse(s) {
                Ok(d) if d > 0.0 => Some(d),
                Ok(_) => {
                    m.problem("interval", format!("must be more than 0, found {s:?}"));
                    None
                }
                Err(e) => {
                    m.problem("interval", e);
                    None
                }
            },
            None => Some(DEFAULT_INTERVAL),
        }?;
        let mut variables = BTreeMap::new();
        if let Some(v) = m.map("templateVariables") {
            for k in v.keys() {
                match v.str(k) {
                    Some(s) => {
                        variables.insert(k.to_string(), s.to_string());
                    }
                    None => return None,
                }
            }
        }
        let (min, max) = match m.map("thresholdRange") {
            Some(r) => {
                let num = |k: &str| {
                    let n = r.get(k)?;
                    match n.value().as_f64() {
                        Some(x) => Some(x),
                        None => {
                            n.refused(format!(
                                "expected a number, found {}",
                                super::manifest::describe(n.value())
                            ));
                            None
                        }
                    }
                };
                let (lo, hi) = (num("min"), num("max"));
                if m.has("threshold") {
                    m.findings().note(
                        &m.key_path("threshold"),
                        "not simulated: Flagger reads thresholdRange when both are given",
                    );
                }
                (lo, hi)
            }
            None => {
                let t = m.get("threshold").and_then(|n| match n.value().as_f64() {
                    Some(x) => Some(x),
                    None => {
                        n.refused("expected a number");
                        None
                    }
                });
                match t {
                    // Flagger compares `threshold > value` for the success rate,
                    // `value > threshold` for everything else.
                    Some(t) if name == "request-success-rate" => (Some(t), None),
                    Some(t) => (None, Some(t)),
                    None => {
                        m.problem(
                            "thresholdRange",
                            "missing: thresholdRange (min, max) or threshold bounds the metric",
                        );
                        return None;
                    }
                }
            }
        };
        let builtin = match name.as_str() {
            "request-success-rate" => Some(Measure::SuccessRatio(Scale::Percent)),
            "request-duration" => Some(Measure::LatencyQuantile {
                quantile: 0.99,
                unit: TimeUnit::Milliseconds,
            }),
            _ => None,
        };
        let inline = m.str("query").map(str::to_string);
        let template = m.map("templateRef").and_then(|t| {
            let n = t.str("name").map(str::to_string);
            if n.is_none() && !t.has("name") {
                t.problem("name", "missing: the MetricTemplate's name");
            }
            if let Some(ns) = t.str("namespace") {
                t.findings().note(
                    &t.key_path("namespace"),
                    format!("not simulated: the template is looked up by name in the files given, not in namespace {ns}"),
                );
            }
            n.map(|n| (n, t.key_path("name")))
        });
        let other = match (inline, template) {
            (Some(q), None) => Some(Source::Inline(q)),
            (None, Some((t, at))) => match self.ctx.template("MetricTemplate", &t) {
                Some(doc) => Some(Source::Template { doc, name: t }),
                None => {
                    m.findings().problem(
                        &at,
                        format!("no MetricTemplate {t:?} in this file or in the --analysis files; give the file that holds it with --analysis FILE"),
                    );
                    return None;
                }
            },
            (None, None) => None,
            (Some(_), Some(_)) => {
                m.problem(
                    "",
                    format!("metric {name}: Flagger checks an inline query and a templateRef each on its own; give one per metric (rollcage's gates are named after their metric)"),
                );
                return None;
            }
        };
        let threshold_at = if m.has("thresholdRange") {
            "thresholdRange"
        } else {
            "threshold"
        };
        match (builtin, other) {
            (Some(b), None) => self.gate(
                m,
                &name,
                Source::Builtin(b),
                interval,
                &variables,
                (min, max),
            ),
            (None, Some(src)) => self.gate(m, &name, src, interval, &variables, (min, max)),
            (None, None) => {
                m.problem(
                    "",
                    format!("metric {name}: no templateRef or query, and {name} is not one of Flagger's built-in metrics (request-success-rate, request-duration)"),
                );
                None
            }
            (Some(b), Some(src)) => {
                // Flagger runs its built-in check of this name and the query's, each
                // failing the check on its own: one gate when they are the same check.
                let built = self.gate(
                    m,
                    &name,
                    Source::Builtin(b),
                    interval,
                    &variables,
                    (min, max),
                )?;
                let queried = self.gate(m, &name, src, interval, &variables, (min, max))?;
                let same = built.metric == queried.metric
                    && built.comparison == queried.comparison
                    && built.threshold == queried.threshold
                    && built.slack == queried.slack
                    && built.window_seconds == queried.window_seconds;
                if same {
                    m.findings().note(
                        m.path(),
                        format!("metric {name}: Flagger runs its built-in {name} check and this metric's query, which measure the same against the same bound: one gate (the stricter min_samples, {}: a check without a value fails)", built.min_samples.max(queried.min_samples)),
                    );
                    Some(GateSpec {
                        min_samples: built.min_samples.max(queried.min_samples),
                        ..queried
                    })
                } else {
                    m.problem(
                        threshold_at,
                        format!("metric {name}: Flagger runs its built-in {name} check ({} <= {} over {} s) and this metric's query ({} {} over {} s), each failing the check on its own, and rollcage's gates are one per metric: rename the metric, or make the query measure what the built-in one does", built.metric.label(), built.threshold, built.window_seconds, queried.metric.label(), queried.threshold, queried.window_seconds),
                    );
                    None
                }
            }
        }
    }

    /// The gate of one source of a metric's value, held to `(min, max)`.
    fn gate(
        &self,
        m: &Node<'_>,
        name: &str,
        source: Source<'_>,
        interval: f64,
        variables: &BTreeMap<String, String>,
        (min, max): (Option<f64>, Option<f64>),
    ) -> Option<GateSpec> {
        let name = name.to_string();
        let (template_name, query, query_at, findings) = match &source {
            Source::Builtin(_) => (self.model.name.clone(), None, m.path().to_string(), None),
            Source::Inline(q) => {
                m.findings().note(
                    &m.key_path("query"),
                    "an inline query (deprecated by Flagger for templateRef); --map-metric names it CANARY/METRIC",
                );
                (
                    self.model.name.clone(),
                    Some(q.clone()),
                    m.key_path("query"),
                    None,
                )
            }
            Source::Template { doc, name: t } => {
                let f = Findings::new(doc.origin());
                let q = {
                    let root = f.root(&doc.value);
                    root.allow(&["apiVersion", "kind"]);
                    meta::read(&root);
                    meta::status(&root);
                    read_template_spec(&root, self.ctx.mapping(t, &name).is_some(), &name, t)
                };
                (t.clone(), q, "spec.query".to_string(), Some(f))
            }
        };
        // The problems and notes of a template are its own document's.
        let at_template = |f: &Option<Findings>, key: &str, reason: String, problem: bool| match f {
            Some(f) if problem => f.problem(key, reason),
            Some(f) => f.note(key, reason),
            None if problem => m.findings().problem(key, reason),
            None => m.findings().note(key, reason),
        };
        let finish = |f: Option<Findings>| {
            if let Some(f) = f {
                self.found.merge(f);
            }
        };
        let mapped = match &source {
            Source::Builtin(_) => None,
            _ => self.ctx.mapping(&template_name, &name),
        };
        let shape = match (&source, &query, mapped) {
            (Source::Builtin(measure), _, _) => Shape {
                measure: *measure,
                window: Window::Seconds(interval),
                form: Form::Absolute,
                result: ResultKind::Vector,
                min_requests: None,
                empty_before_first_count: false,
                notes: vec![format!(
                    "Flagger's built-in {name}: {} over the metric's interval ({interval} s)",
                    measure.describe()
                )],
            },
            (_, Some(q), mapping) => {
                let mut used = Vec::new();
                let rendered = match render(q, &self.model, variables, &mut used) {
                    Ok(r) => r,
                    Err(e) => {
                        at_template(&findings, &query_at, format!("metric {name}: {e}"), true);
                        finish(findings);
                        return None;
                    }
                };
                for v in used {
                    at_template(
                        &findings,
                        &query_at,
                        format!(
                            "metric {name}: {{{{ {v} }}}} is the Canary's {v}, which the file does not give; the query reads {:?} in its place",
                            placeholder(&v)
                        ),
                        false,
                    );
                }
                let shape = match mapping {
                    None => query::recognise(&rendered).map_err(|e| {
                        format!(
                            "metric {name}: rollcage cannot tell what this query measures: {e}. The query: `{rendered}`. Say what it measures with --map-metric {template_name}/{name}=KIND ({KINDS})"
                        )
                    }),
                    Some(kind) => query::parse_kind(kind)
                        .map_err(|e| format!("--map-metric {template_name}/{name}={kind}: {e}"))
                        .and_then(|measure| {
                            query::recognise_as(&rendered, measure).map_err(|e| {
                                format!("metric {name} (--map-metric {kind}): {e}. The query: `{rendered}`")
                            })
                        }),
                };
                match shape {
                    Ok(s) => s,
                    Err(e) => {
                        at_template(&findings, &query_at, e, true);
                        finish(findings);
                        return None;
                    }
                }
            }
            (_, None, Some(kind)) => match query::parse_kind(kind) {
                // A provider rollcage does not read, told what it measures.
                Ok(measure) => Shape {
                    measure,
                    window: Window::Seconds(interval),
                    form: Form::Absolute,
                    result: ResultKind::Vector,
                    min_requests: None,
                    empty_before_first_count: false,
                    notes: Vec::new(),
                },
                Err(e) => {
                    at_template(
                        &findings,
                        &query_at,
                        format!("--map-metric {template_name}/{name}={kind}: {e}"),
                        true,
                    );
                    finish(findings);
                    return None;
                }
            },
            (_, None, None) => {
                finish(findings);
                return None;
            }
        };
        let defaults = GateDefaults {
            min_samples: 100,
            on_empty: EmptyRule::Inconclusive,
            interval_seconds: Some(interval),
        };
        // Both the range and its mapping onto a gate are the threshold's problems.
        let imported = match condition::flagger(min, max)
            .and_then(|cond| condition::to_gate(&name, &shape, &cond, &defaults))
        {
            Ok(i) => i,
            Err(e) => {
                m.problem(
                    if m.has("thresholdRange") {
                        "thresholdRange"
                    } else {
                        "threshold"
                    },
                    format!("metric {name}: {e}"),
                );
                finish(findings);
                return None;
            }
        };
        let mut gate = imported.gate;
        if gate.metric.needs_requests() && shape.min_requests.is_none() {
            gate.min_samples = 0;
        }
        for n in imported.notes {
            at_template(&findings, &query_at, format!("metric {name}: {n}"), false);
        }
        finish(findings);
        Some(gate)
    }
}

/// A MetricTemplate's spec: its query, or `None` when its provider is not read (and
/// not mapped).
fn read_template_spec(
    root: &Node<'_>,
    mapped: bool,
    metric: &str,
    template: &str,
) -> Option<String> {
    let Some(spec) = root.map("spec") else {
        if !root.has("spec") {
            root.problem(
                "spec",
                "missing: a MetricTemplate's spec holds its provider and query",
            );
        }
        return None;
    };
    let provider = spec.map("provider");
    let kind = provider
        .as_ref()
        .and_then(|p| p.str("type"))
        .unwrap_or("prometheus")
        .to_string();
    if let Some(p) = &provider {
        p.note(
            "address",
            "not simulated: the metrics server Flagger asks; the simulation's own metrics answer the query",
        );
        p.note(
            "secretRef",
            "not simulated: the credentials Flagger signs its requests with",
        );
        p.note(
            "headers",
            "not simulated: HTTP headers of the request to the metrics server",
        );
        p.note(
            "insecureSkipVerify",
            "not simulated: TLS verification of the metrics server",
        );
        p.note(
            "region",
            "not simulated: the cloud region of the metrics service",
        );
    }
    let query = spec.str("query").map(str::to_string);
    if query.is_none() && !spec.has("query") {
        spec.problem("query", "missing: the query");
    }
    if kind != "prometheus" {
        let at = provider.as_ref().and_then(|p| p.get("type"));
        if mapped {
            if let Some(t) = &at {
                t.note_here(format!(
                    "not simulated: a {kind} query is not read; --map-metric says what it measures, and its window is the metric's interval"
                ));
            }
            return None;
        }
        let why = format!(
            "the {kind} provider is not read (rollcage reads Prometheus queries); say what metric {metric} measures with --map-metric {template}/{metric}=KIND ({KINDS}), and its window is taken as the metric's interval"
        );
        match at {
            Some(t) => t.refused(why),
            None => spec.problem("provider", why),
        }
        return None;
    }
    query
}

/// `spec.provider` of a Canary: whether traffic is shifted by weight (a mesh or an
/// ingress) or by pods only (`kubernetes`).
pub fn routed(provider: Option<&str>) -> bool {
    provider != Some("kubernetes")
}

/// The model's fields from the Canary's spec.
pub fn model(name: &str, metadata: &J, spec: &J) -> Model {
    let s = |v: Option<&J>| v.and_then(J::as_str).map(str::to_string);
    let target = s(spec.pointer("/targetRef/name"));
    Model {
        name: name.to_string(),
        namespace: s(metadata.get("namespace")),
        service: s(spec.pointer("/service/name")).or_else(|| target.clone()),
        ingress: s(spec.pointer("/ingressRef/name")).or_else(|| target.clone()),
        route: s(spec.pointer("/routeRef/name")).or_else(|| target.clone()),
        target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flaggers_variables_are_rendered_and_interval_kept() {
        let model = Model {
            name: "podinfo".into(),
            namespace: Some("test".into()),
            target: Some("podinfo".into()),
            service: Some("podinfo-svc".into()),
            ..Model::default()
        };
        let vars: BTreeMap<String, String> = [("code".to_string(), "5..".to_string())].into();
        let mut used = Vec::new();
        let q = r#"sum(rate(r{namespace="{{ namespace }}",pod=~"{{target}}-.*",code=~"{{ variables.code }}",svc="{{- service -}}"}[{{ interval }}]))"#;
        assert_eq!(
            render(q, &model, &vars, &mut used),
            Ok(r#"sum(rate(r{namespace="test",pod=~"podinfo-.*",code=~"5..",svc="podinfo-svc"}[{{ interval }}]))"#.to_string())
        );
        assert!(used.is_empty());
        assert_eq!(
            render("{{ ingress }}/{{ name }}", &model, &vars, &mut used),
            Ok("rollcage-placeholder-ingress/podinfo".into())
        );
        assert_eq!(used, ["ingress"]);
        let e = render("{{ variables.missing }}", &model, &vars, &mut used).unwrap_err();
        assert!(e.contains("no missing"), "{e}");
        let e = render("{{ pod }}", &model, &vars, &mut used).unwrap_err();
        assert!(e.contains("none of Flagger's template variables"), "{e}");
        let e = render("x{{ namespace", &model, &vars, &mut used).unwrap_err();
        assert!(e.contains("without its"), "{e}");
    }

    #[test]
    fn only_the_kubernetes_provider_has_no_router() {
        assert!(!routed(Some("kubernetes")));
        assert!(routed(Some("istio")));
        assert!(routed(None));
    }
}
