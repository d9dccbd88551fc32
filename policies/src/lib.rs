//! Rollout policies. Each kind behaves as the controller it mirrors; policies see
//! observations and return decisions, never touching the event queue.
//!
//! A policy file is TOML with a `schema_version`; `Policy::from_doc` reads it and
//! reports every problem at once.

#![forbid(unsafe_code)]

pub mod analysis;
pub mod argo_progress;
pub mod backtest;
pub mod batched;
pub mod blue_green;
pub mod canary_argo;
pub mod canary_flagger;
pub mod canary_routed;
pub mod export;
pub mod file_form;
mod follow;
pub mod gate;
pub mod import;
pub mod intstr;
pub mod k8s;
pub mod k8s_names;
pub mod limits;
pub mod live;
pub mod live_fleet;
pub mod live_query;
pub mod plan;
pub mod read;
pub mod rolling;
pub mod series;
pub mod stats;
#[cfg(test)]
mod test_fleet;

use config::{Doc, Problems, Section};
use serde::Serialize;
use sim_core::Controller;

use crate::batched::{BatchedController, BatchedSpec};
use crate::blue_green::{BlueGreenController, BlueGreenSpec};
use crate::canary_argo::{ArgoCanaryController, ArgoCanarySpec};
use crate::canary_flagger::{FlaggerController, FlaggerSpec};
use crate::gate::{Comparison, EmptyRule, GateMetric, GateSpec, MannWhitneyRule};
use crate::intstr::{Dialect, IntOrPercent};
use crate::k8s::StrategyType;
use crate::limits::*;
use crate::rolling::{FailureAction, Fenceposts, NoopController, RollingController, RollingSpec};

/// The policy file format this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Policy {
    pub schema_version: i64,
    pub name: String,
    pub description: String,
    #[serde(flatten)]
    pub kind: PolicyKind,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicyKind {
    Rolling(RollingSpec),
    Canary(CanarySpec),
    #[serde(rename = "blue-green")]
    BlueGreen(BlueGreenSpec),
    Batched(BatchedSpec),
    Noop,
}

/// A canary, with the semantics of the controller it mirrors.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "semantics", rename_all = "snake_case")]
pub enum CanarySpec {
    Argo(ArgoCanarySpec),
    Flagger(FlaggerSpec),
}

impl PolicyKind {
    pub const NAMES: [&'static str; 5] = ["rolling", "canary", "blue-green", "batched", "noop"];

    pub fn name(&self) -> &'static str {
        match self {
            PolicyKind::Rolling(_) => "rolling",
            PolicyKind::Canary(_) => "canary",
            PolicyKind::BlueGreen(_) => "blue-green",
            PolicyKind::Batched(_) => "batched",
            PolicyKind::Noop => "noop",
        }
    }

    /// The gates the policy judges with, in file order.
    pub fn gates(&self) -> &[GateSpec] {
        match self {
            PolicyKind::Rolling(s) => &s.gates,
            PolicyKind::Canary(CanarySpec::Argo(s)) => &s.gates,
            PolicyKind::Canary(CanarySpec::Flagger(s)) => &s.gates,
            PolicyKind::BlueGreen(s) => &s.gates,
            PolicyKind::Batched(s) => &s.gates,
            PolicyKind::Noop => &[],
        }
    }
}

impl Policy {
    /// Reads a policy document, reporting every problem at once.
    pub fn from_doc(doc: &Doc) -> Result<Policy, Problems> {
        let policy = {
            let root = doc.root();
            root.schema_version(SCHEMA_VERSION);
            let name = root.str("name", "unnamed").to_string();
            let description = root.str("description", "").to_string();
            let kind = match root.choice("kind", "rolling", &PolicyKind::NAMES) {
                "noop" => PolicyKind::Noop,
                "canary" => PolicyKind::Canary(read::read_canary(&root)),
                "blue-green" => PolicyKind::BlueGreen(read::read_blue_green(&root)),
                "batched" => PolicyKind::Batched(read::read_batched(&root)),
                _ => PolicyKind::Rolling(read_rolling(&root)),
            };
            Policy {
                schema_version: SCHEMA_VERSION,
                name,
                description,
                kind,
            }
        };
        if doc.has_problems() {
            Err(Problems(doc.problems()))
        } else {
            Ok(policy)
        }
    }

    /// A controller that runs this policy in the simulator.
    pub fn controller(&self) -> Box<dyn Controller> {
        match &self.kind {
            PolicyKind::Rolling(spec) => Box::new(RollingController::new(spec.clone())),
            PolicyKind::Canary(CanarySpec::Argo(spec)) => {
                Box::new(ArgoCanaryController::new(spec.clone()))
            }
            PolicyKind::Canary(CanarySpec::Flagger(spec)) => {
                Box::new(FlaggerController::new(spec.clone()))
            }
            PolicyKind::BlueGreen(spec) => Box::new(BlueGreenController::new(spec.clone())),
            PolicyKind::Batched(spec) => Box::new(BatchedController::new(spec.clone())),
            PolicyKind::Noop => Box::new(NoopController),
        }
    }

    /// One line for `rollcage list`.
    pub fn summary(&self) -> String {
        if self.description.is_empty() {
            self.kind.name().to_string()
        } else {
            self.description.clone()
        }
    }
}

fn int_or_percent(
    s: &Section<'_>,
    key: &str,
    default: IntOrPercent,
    dialect: Dialect,
) -> IntOrPercent {
    match s.raw(key) {
        None => default,
        Some(v) => IntOrPercent::from_value_in(v, dialect).unwrap_or_else(|e| {
            s.problem(key, e);
            default
        }),
    }
}

/// `maxSurge`/`maxUnavailable` with the Kubernetes API's validation, strings read as
/// `dialect` reads them.
pub(crate) fn read_fenceposts(
    s: &Section<'_>,
    default: Fenceposts,
    dialect: Dialect,
) -> Fenceposts {
    let f = Fenceposts {
        max_surge: int_or_percent(s, "max_surge", default.max_surge, dialect),
        max_unavailable: int_or_percent(s, "max_unavailable", default.max_unavailable, dialect),
    };
    if f.max_surge.is_zero() && f.max_unavailable.is_zero() {
        s.problem(
            "max_unavailable",
            "may not be 0 when max_surge is 0 (as the Kubernetes API requires)",
        );
    }
    if let IntOrPercent::Percent(p) = f.max_unavailable
        && p > 100.0
    {
        s.problem(
            "max_unavailable",
            format!("must not be greater than 100%, found {p}%"),
        );
    }
    f
}

pub(crate) const K8S_DEFAULT: Fenceposts = Fenceposts {
    max_surge: IntOrPercent::Percent(25.0),
    max_unavailable: IntOrPercent::Percent(25.0),
};

fn read_rolling(root: &Section<'_>) -> RollingSpec {
    let strategy = match root.choice("strategy", "rolling_update", &StrategyType::NAMES) {
        "recreate" => StrategyType::Recreate,
        _ => StrategyType::RollingUpdate,
    };
    if strategy == StrategyType::Recreate {
        // The Kubernetes API: "may not be specified when strategy `type` is 'Recreate'".
        for key in ["max_surge", "max_unavailable", "rollback"] {
            if root.has(key) {
                root.problem(
                    key,
                    "may not be given with strategy = \"recreate\" (Recreate has no surge or \
                     unavailability, as the Kubernetes API says)",
                );
            }
        }
    }
    let step = read_fenceposts(root, K8S_DEFAULT, Dialect::Kubernetes);
    let rollback = read_fenceposts(&root.section("rollback"), step, Dialect::Kubernetes);
    let on_failure =
        FailureAction::parse(root.choice("on_failure", "rollback", &FailureAction::NAMES))
            .unwrap_or(FailureAction::Rollback);
    let gates = read_gates(root);
    RollingSpec {
        strategy,
        step,
        min_ready_seconds: wait(root, "min_ready_seconds", 0.0),
        progress_deadline_seconds: root.positive_in(
            "progress_deadline_seconds",
            600.0,
            MAX_WAIT_SECONDS,
        ),
        bake_seconds: wait(root, "bake_seconds", 0.0),
        gate_interval_seconds: interval(root, "gate_interval_seconds", 15.0),
        gates,
        on_failure,
        rollback,
    }
}

/// A wait in seconds: from 0 to `MAX_WAIT_SECONDS`.
pub(crate) fn wait(s: &Section<'_>, key: &str, default: f64) -> f64 {
    s.f64_in(key, default, 0.0..=MAX_WAIT_SECONDS)
}

/// A polling interval in seconds: from `MIN_INTERVAL_SECONDS` to `MAX_INTERVAL_SECONDS`.
pub(crate) fn interval(s: &Section<'_>, key: &str, default: f64) -> f64 {
    s.f64_in(key, default, MIN_INTERVAL_SECONDS..=MAX_INTERVAL_SECONDS)
}

/// The `[[gates]]` of a policy; names must be unique.
pub(crate) fn read_gates(root: &Section<'_>) -> Vec<GateSpec> {
    let gates = root
        .tables("gates")
        .iter()
        .map(read_gate)
        .collect::<Vec<_>>();
    if gates.len() > MAX_GATES {
        root.problem(
            "gates",
            format!("at most {MAX_GATES} gates, found {}", gates.len()),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for g in &gates {
        if !seen.insert(g.name.clone()) {
            root.problem("gates", format!("two gates are named \"{}\"", g.name));
        }
    }
    gates
}

fn read_gate(s: &Section<'_>) -> GateSpec {
    let metric = match s.choice("metric", "error_ratio", &GateMetric::NAMES) {
        "latency" => {
            let q = s.f64("quantile", 0.99);
            if !(q > 0.0 && q < 1.0) {
                s.problem("quantile", format!("must be between 0 and 1, found {q}"));
            }
            GateMetric::Latency { quantile: q }
        }
        "restarts" => GateMetric::Restarts,
        "memory_mb" => GateMetric::MemoryMb,
        "kpi" => GateMetric::Kpi,
        "sessions_lost" => GateMetric::SessionsLost,
        _ => GateMetric::ErrorRatio,
    };
    if !matches!(metric, GateMetric::Latency { .. }) && s.has("quantile") {
        s.problem("quantile", "only latency gates take a quantile");
    }
    let comparison = match s.choice("comparison", "absolute", &Comparison::NAMES) {
        "relative" => Comparison::Relative,
        "mann_whitney" => {
            let d = MannWhitneyRule::default();
            let confidence = s.f64("confidence", d.confidence);
            if !(confidence > 0.5 && confidence < 1.0) {
                s.problem(
                    "confidence",
                    format!("must be between 0.5 and 1, found {confidence}"),
                );
            }
            Comparison::MannWhitney(MannWhitneyRule {
                confidence,
                tolerance: s.f64_in("tolerance", d.tolerance, 0.0..=MAX_TOLERANCE),
            })
        }
        _ => Comparison::Absolute,
    };
    if !matches!(comparison, Comparison::MannWhitney(_)) {
        for key in ["confidence", "tolerance"] {
            if s.has(key) {
                s.problem(
                    key,
                    "only mann_whitney gates take a confidence and a tolerance",
                );
            }
        }
    }
    let on_empty = match s.choice("on_empty", "inconclusive", &EmptyRule::NAMES) {
        "pass" => EmptyRule::Pass,
        "fail" => EmptyRule::Fail,
        _ => EmptyRule::Inconclusive,
    };
    let threshold = match s.opt_f64("threshold") {
        Some(t) if (0.0..=MAX_THRESHOLD).contains(&t) => t,
        Some(t) if t > MAX_THRESHOLD => {
            s.problem(
                "threshold",
                format!(
                    "must be at most {}, found {}",
                    config::number(MAX_THRESHOLD),
                    config::number(t)
                ),
            );
            0.0
        }
        Some(t) => {
            s.problem("threshold", format!("must not be negative, found {t}"));
            0.0
        }
        None if matches!(comparison, Comparison::MannWhitney(_)) => 1.0,
        None => {
            if !s.has("threshold") {
                s.problem("threshold", "missing: every gate needs a threshold");
            }
            0.0
        }
    };
    GateSpec {
        name: s.str("name", &metric.label()).to_string(),
        metric,
        comparison,
        threshold,
        slack: s.f64_in("slack", 0.0, 0.0..=MAX_THRESHOLD),
        window_seconds: s.f64_in(
            "window_seconds",
            60.0,
            MIN_INTERVAL_SECONDS..=MAX_WAIT_SECONDS,
        ),
        min_samples: s.u64_in("min_samples", 100, 0..=MAX_MIN_SAMPLES),
        on_empty,
    }
}

/// The built-in policies, by name, as TOML files shipped in the binary.
pub const BUILTIN: [(&str, &str); 10] = [
    ("k8s-default", include_str!("../builtin/k8s-default.toml")),
    (
        "one-at-a-time",
        include_str!("../builtin/one-at-a-time.toml"),
    ),
    ("gated-10pct", include_str!("../builtin/gated-10pct.toml")),
    ("reference", include_str!("../builtin/reference.toml")),
    ("noop", include_str!("../builtin/noop.toml")),
    ("argo-canary", include_str!("../builtin/argo-canary.toml")),
    (
        "flagger-canary",
        include_str!("../builtin/flagger-canary.toml"),
    ),
    ("blue-green", include_str!("../builtin/blue-green.toml")),
    (
        "codedeploy-half",
        include_str!("../builtin/codedeploy-half.toml"),
    ),
    (
        "codedeploy-one-at-a-time",
        include_str!("../builtin/codedeploy-one-at-a-time.toml"),
    ),
];

/// Loads a built-in policy by name.
pub fn builtin(name: &str) -> Option<Doc> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(n, text)| {
        Doc::parse(&format!("built-in policy {n}"), text).expect("built-in policies parse")
    })
}
