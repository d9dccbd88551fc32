//! A Kubernetes Deployment with its RollingUpdate or Recreate strategy.

use super::Options;
use super::yaml::Y;
use crate::intstr::IntOrPercent;
use crate::k8s::StrategyType;
use crate::rolling::{FailureAction, RollingSpec};

pub fn intstr(v: IntOrPercent) -> Y {
    match v {
        IntOrPercent::Int(n) => Y::int(n),
        IntOrPercent::Percent(_) => Y::str(v.to_string()),
    }
}

/// Labels, selector and a pod template for `service` (the image is a placeholder).
pub fn pod_template(service: &str, labels: Vec<(&str, Y)>) -> Y {
    let mut l = vec![("app", Y::str(service))];
    l.extend(labels);
    Y::map(vec![
        ("metadata", Y::map(vec![("labels", Y::map(l))])),
        (
            "spec",
            Y::map(vec![(
                "containers",
                Y::Seq(vec![Y::map(vec![
                    ("name", Y::str(service)),
                    (
                        "image",
                        Y::str(format!("{service}:replace-with-your-image-tag")),
                    ),
                ])]),
            )]),
        ),
    ])
}

pub fn selector(service: &str) -> Y {
    Y::map(vec![(
        "matchLabels",
        Y::map(vec![("app", Y::str(service))]),
    )])
}

/// `spec.strategy`: RollingUpdate with its fenceposts, or Recreate (which takes none).
fn strategy(s: &RollingSpec) -> Y {
    match s.strategy {
        StrategyType::Recreate => Y::map(vec![("type", Y::str("Recreate"))]),
        StrategyType::RollingUpdate => Y::map(vec![
            ("type", Y::str("RollingUpdate")),
            (
                "rollingUpdate",
                Y::map(vec![
                    ("maxSurge", intstr(s.step.max_surge)),
                    ("maxUnavailable", intstr(s.step.max_unavailable)),
                ]),
            ),
        ]),
    }
}

pub fn deployment(s: &RollingSpec, o: &Options) -> (Vec<Y>, Vec<String>) {
    let mut notes = Vec::new();
    if !s.gates.is_empty() {
        let names: Vec<&str> = s.gates.iter().map(|g| g.name.as_str()).collect();
        notes.push(format!(
            "Kubernetes has no health gates: gates {} are not checked (export to argo to keep them)",
            names.join(", ")
        ));
    }
    if s.bake_seconds > 0.0 {
        notes.push(format!(
            "Kubernetes has no bake between steps: bake_seconds {} is dropped (minReadySeconds is the closest knob)",
            s.bake_seconds
        ));
    }
    if !s.gates.is_empty() || s.on_failure != FailureAction::Rollback || s.rollback != s.step {
        notes.push(format!(
            "Kubernetes never rolls back by itself: on_failure = {} and the rollback's own surge/unavailable are not expressible; a stalled rollout is only reported after progressDeadlineSeconds",
            s.on_failure.name()
        ));
    }
    for (field, v) in [
        ("minReadySeconds", s.min_ready_seconds),
        ("progressDeadlineSeconds", s.progress_deadline_seconds),
    ] {
        if v.fract() != 0.0 {
            notes.push(format!(
                "{field} is whole seconds: {v} is written as {}",
                v.round()
            ));
        }
    }
    if s.progress_deadline_seconds.round() <= s.min_ready_seconds.round() {
        notes.push(format!(
            "Kubernetes refuses a progressDeadlineSeconds ({}) not greater than minReadySeconds ({}): apply fails until one changes",
            s.progress_deadline_seconds.round(),
            s.min_ready_seconds.round()
        ));
    }
    let doc = Y::map(vec![
        ("apiVersion", Y::str("apps/v1")),
        ("kind", Y::str("Deployment")),
        (
            "metadata",
            Y::map(vec![
                ("name", Y::str(o.service.as_str())),
                ("labels", Y::map(vec![("app", Y::str(o.service.as_str()))])),
            ]),
        ),
        (
            "spec",
            Y::map(vec![
                (
                    "minReadySeconds",
                    Y::int(s.min_ready_seconds.round() as i64),
                ),
                (
                    "progressDeadlineSeconds",
                    Y::int(s.progress_deadline_seconds.round() as i64),
                ),
                ("selector", selector(o.service.as_str())),
                ("strategy", strategy(s)),
                ("template", pod_template(o.service.as_str(), vec![])),
            ]),
        ),
    ]);
    (vec![doc], notes)
}
