//! Gates as Prometheus queries, for the Argo and Flagger exports.
//!
//! The queries assume the conventions of `docs/exports.md`: request counters
//! `http_requests_total{service, version, code}`, latency histograms
//! `http_request_duration_seconds_bucket{service, version, le}`, container restarts
//! `kube_pod_container_status_restarts_total{service, version}` and memory
//! `container_memory_working_set_bytes{service, version}`, where `version` tells the
//! new pods from the old ones. Each query returns one number; a relative gate returns
//! the margin `candidate − (threshold × baseline + slack)`, which passes at or below 0.

use crate::gate::{Comparison, GateMetric, GateSpec};
use sim_core::duration_text::{self, Style};

/// Label matchers selecting one version's series.
#[derive(Clone, Debug)]
pub struct Selectors {
    pub candidate: String,
    pub baseline: String,
}

impl Selectors {
    /// `service="S", version="canary"` / `version="stable"`.
    pub fn by_version(service: &str, candidate: &str, baseline: &str) -> Self {
        Selectors {
            candidate: format!("service=\"{service}\", version=\"{candidate}\""),
            baseline: format!("service=\"{service}\", version=\"{baseline}\""),
        }
    }
}

/// A Prometheus duration for a window in seconds (`90s`, `5m`).
pub fn duration(seconds: f64) -> String {
    duration_text::format(seconds, Style::Go { hours: true })
}

/// The metric of one version over the gate's window.
pub fn metric_query(metric: GateMetric, sel: &str, window: &str) -> String {
    match metric {
        GateMetric::ErrorRatio => format!(
            "sum(rate(http_requests_total{{{sel}, code=~\"5..\"}}[{window}])) / sum(rate(http_requests_total{{{sel}}}[{window}]))"
        ),
        GateMetric::Latency { quantile } => format!(
            "histogram_quantile({quantile}, sum by (le) (rate(http_request_duration_seconds_bucket{{{sel}}}[{window}]))) * 1000"
        ),
        GateMetric::Restarts => {
            format!("sum(increase(kube_pod_container_status_restarts_total{{{sel}}}[{window}]))")
        }
        GateMetric::MemoryMb => format!(
            "max(max_over_time(container_memory_working_set_bytes{{{sel}}}[{window}])) / 1048576"
        ),
        GateMetric::Kpi => format!(
            "sum(rate(business_conversions_total{{{sel}}}[{window}])) / sum(rate(http_requests_total{{{sel}, code!~\"5..\"}}[{window}]))"
        ),
        GateMetric::SessionsLost => {
            format!("sum(increase(sessions_lost_total{{{sel}}}[{window}]))")
        }
    }
}

/// A gate as one query and the bound its result must respect, plus what the query
/// cannot carry.
pub struct GateQuery {
    pub query: String,
    /// The result must stay at or below this (at or above it when `at_least`).
    pub bound: f64,
    /// A metric where higher is healthy (a KPI): the bound is a minimum.
    pub at_least: bool,
    pub notes: Vec<String>,
}

impl GateQuery {
    /// The bound as a condition on `result[0]` (Argo's `successCondition`).
    pub fn condition(&self) -> String {
        let op = if self.at_least { ">=" } else { "<=" };
        format!("result[0] {op} {}", self.bound)
    }
}

pub fn gate_query(g: &GateSpec, sel: &Selectors) -> GateQuery {
    let window = duration(g.window_seconds);
    let cand = metric_query(g.metric, &sel.candidate, &window);
    let base = metric_query(g.metric, &sel.baseline, &window);
    let mut notes = Vec::new();
    let at_least = g.metric.higher_is_better();
    let (mut query, bound) = match g.comparison {
        Comparison::Absolute => (cand, g.threshold),
        Comparison::Relative if at_least => (
            format!("({cand}) - ({} * ({base}) - {})", g.threshold, g.slack),
            0.0,
        ),
        Comparison::Relative => (
            format!("({cand}) - ({} * ({base}) + {})", g.threshold, g.slack),
            0.0,
        ),
        Comparison::MannWhitney(_) => {
            notes.push(format!(
                "gate {}: a Mann-Whitney test has no PromQL form; exported as candidate <= {} x baseline (the allowed mean ratio) of the same metric",
                g.name, g.threshold
            ));
            (format!("({cand}) - ({} * ({base}))", g.threshold), 0.0)
        }
    };
    if matches!(
        g.metric,
        GateMetric::ErrorRatio | GateMetric::Latency { .. } | GateMetric::Kpi
    ) && g.min_samples > 0
    {
        query = format!(
            "({query}) and on() (sum(increase(http_requests_total{{{}}}[{window}])) >= {})",
            sel.candidate, g.min_samples
        );
        notes.push(format!(
            "gate {}: min_samples {} empties the query when the candidate has fewer requests; the controller's rule for an empty result replaces on_empty = {}",
            g.name, g.min_samples, crate::gate::Verdict::from(g.on_empty).name()
        ));
    }
    GateQuery {
        query,
        bound,
        at_least,
        notes,
    }
}
