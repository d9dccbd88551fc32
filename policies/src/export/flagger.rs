//! Flagger: a Canary and one MetricTemplate per gate.

use super::promql::{Reader, Selectors, gate_query};
use super::yaml::Y;
use super::{ExportError, Options};
use crate::canary_flagger::FlaggerSpec;
use crate::k8s_names::DnsSubdomain;
use sim_core::duration_text::{self, Style};

/// Flagger durations match `^[0-9]+(m|s)`.
fn duration(seconds: f64) -> String {
    duration_text::format(seconds, Style::Go { hours: false })
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
