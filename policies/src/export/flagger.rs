//! Flagger: a Canary and one MetricTemplate per gate.

use super::promql::{Reader, Selectors, gate_query};
use super::yaml::Y;
use super::{ExportError, Options};
use crate::canary_flagger::FlaggerSpec;
use crate::gate::{Comparison, GateMetric, GateSpec};
use crate::k8s_names::DnsSubdomain;
use sim_core::duration_text::{self, Style};

/// Flagger durations match `^[0-9]+(m|s)`.
fn duration(seconds: f64) -> String {
    duration_text::format(seconds, Style::Go { hours: false })
}

/// A gate named after one of Flagger's built-in metrics (`request-success-rate`,
/// `request-duration`): Flagger runs its built-in check for a metric of that name,
/// whatever else the metric says, so the gate is written as that check (a success
/// percentage's minimum, the p99 in milliseconds' maximum) when it is one, and refused
/// when it is not (a templateRef beside it would be checked as well, against the
/// built-in's meaning of the bound).
fn builtin(g: &GateSpec, notes: &mut Vec<String>) -> Result<Option<Y>, ExportError> {
    let bound = match (g.name.as_str(), g.metric, g.comparison) {
        ("request-success-rate", GateMetric::ErrorRatio, Comparison::Absolute) => {
            // The success percentage, to 12 significant digits (100 x 0.001 is not
            // exactly 0.1 in binary).
            let min: f64 = format!("{:.12e}", 100.0 - 100.0 * g.threshold)
                .parse()
                .unwrap_or(100.0 - 100.0 * g.threshold);
            ("min", min)
        }
        ("request-duration", GateMetric::Latency { quantile: 0.99 }, Comparison::Absolute) => {
            ("max", g.threshold)
        }
        ("request-success-rate" | "request-duration", _, _) => {
            return Err(ExportError(format!(
                "gate {:?}: Flagger runs its built-in {} check for a metric of that name (an absolute {}), which this gate is not; rename the gate",
                g.name,
                g.name,
                if g.name == "request-success-rate" {
                    "error_ratio gate, as a success percentage"
                } else {
                    "p99 latency gate, in milliseconds"
                }
            )));
        }
        _ => return Ok(None),
    };
    if g.min_samples > 0 && g.metric.needs_requests() {
        notes.push(format!(
            "gate {}: Flagger's built-in {} has no traffic guard: min_samples {} is dropped (Flagger fails a check without requests)",
            g.name, g.name, g.min_samples
        ));
    }
    Ok(Some(Y::map(vec![
        ("name", Y::str(&g.name)),
        ("interval", Y::str(duration(g.window_seconds))),
        ("thresholdRange", Y::map(vec![(bound.0, Y::Float(bound.1))])),
    ])))
}

/// The Canary and its MetricTemplates. A template is named `SERVICE-GATE`, an object
/// name, so a gate whose name cannot be part of one is refused here rather than written
/// into a template that the API server rejects.
pub fn canary(s: &FlaggerSpec, o: &Options) -> Result<(Vec<Y>, Vec<String>), ExportError> {
    let mut notes = Vec::new();
    // Flagger's canary pods carry app=<target>, the primary's app=<target>-primary.
    let sel = Selectors::flagger(&o.series);
    let mut metrics = Vec::new();
    let mut templates = Vec::new();
    for g in &s.gates {
        if let Some(m) = builtin(g, &mut notes)? {
            metrics.push(m);
            continue;
        }
        let q = gate_query(&o.series, g, &sel, Reader::Flagger);
        notes.extend(q.notes);
        let name = format!("{}-{}", o.service, g.name);
        DnsSubdomain::new(&name).map_err(|e| {
            ExportError(format!(
                "gate {:?}: its Flagger MetricTemplate name {name:?} {e}; rename the gate",
                g.name
            ))
        })?;
        metrics.push(Y::map(vec![
            ("name", Y::str(&g.name)),
            ("interval", Y::str(duration(g.window_seconds))),
            ("templateRef", Y::map(vec![("name", Y::str(&name))])),
            (
                "thresholdRange",
                Y::map(vec![(
                    if q.at_least { "min" } else { "max" },
                    Y::Float(q.bound),
                )]),
            ),
        ]));
        templates.push(Y::map(vec![
            ("apiVersion", Y::str("flagger.app/v1beta1")),
            ("kind", Y::str("MetricTemplate")),
            ("metadata", Y::map(vec![("name", Y::str(&name))])),
            (
                "spec",
                Y::map(vec![
                    (
                        "provider",
                        Y::map(vec![
                            ("type", Y::str("prometheus")),
                            ("address", Y::str(o.prometheus_address.as_str())),
                        ]),
                    ),
                    ("query", Y::str(q.query)),
                ]),
            ),
        ]));
    }
    let mut a = vec![
        ("interval", Y::str(duration(s.interval_seconds))),
        ("threshold", Y::int(s.threshold)),
    ];
    if s.iterations > 0 {
        a.push(("iterations", Y::int(s.iterations)));
        if s.iteration_traffic_share > 0.0 {
            notes.push(format!(
                "iteration_traffic_share {} stands for the load tester's traffic: add a load-test webhook",
                s.iteration_traffic_share
            ));
        }
    } else {
        if let Some(w) = s.max_weight {
            a.push(("maxWeight", Y::int(w)));
        }
        if s.step_weight > 0 {
            a.push(("stepWeight", Y::int(s.step_weight)));
        }
        if !s.step_weights.is_empty() {
            a.push((
                "stepWeights",
                Y::Seq(s.step_weights.iter().map(|&w| Y::int(w)).collect()),
            ));
        }
    }
    a.push(("metrics", Y::Seq(metrics)));
    if s.min_ready_seconds > 0.0 {
        notes.push("min_ready_seconds belongs to the target Deployment (minReadySeconds), which Flagger does not own".into());
    }
    let mut spec = Vec::new();
    if !s.traffic_routing {
        spec.push(("provider", Y::str("kubernetes")));
    }
    spec.push((
        "targetRef",
        Y::map(vec![
            ("apiVersion", Y::str("apps/v1")),
            ("kind", Y::str("Deployment")),
            ("name", Y::str(o.service.as_str())),
        ]),
    ));
    spec.push((
        "progressDeadlineSeconds",
        Y::int(s.progress_deadline_seconds.round() as i64),
    ));
    spec.push(("service", Y::map(vec![("port", Y::int(80))])));
    spec.push(("analysis", Y::map(a)));
    let canary = Y::map(vec![
        ("apiVersion", Y::str("flagger.app/v1beta1")),
        ("kind", Y::str("Canary")),
        (
            "metadata",
            Y::map(vec![("name", Y::str(o.service.as_str()))]),
        ),
        ("spec", Y::map(spec)),
    ]);
    let mut docs = vec![canary];
    docs.extend(templates);
    Ok((docs, notes))
}
