//! Gates as Prometheus queries, for the Argo and Flagger exports.
//!
//! The series names and labels come from a [`SeriesNames`] (`crate::series`, defaults
//! in `docs/exports.md`), where `version` tells the new pods from the old ones. Each
//! query returns one number; a relative gate returns the margin
//! `candidate − (threshold × baseline + slack)`, which passes at or below 0.
//!
//! Real series are not the simulator's: client libraries create a labelled series only
//! at its first increment (a healthy canary has no `code="5xx"` series), and a version
//! may have no traffic in a window (the stable side at the last step of a canary). The
//! controllers read an empty result and NaN their own way (Argo: an empty result is an
//! Error, NaN and ±Inf fail `successCondition`; Flagger: empty and NaN are "no values
//! found", a failed check), so every query is written to return a finite value when
//! the data allows one and an empty result, never NaN, when it does not:
//!
//! - a count that has no series yet (5xx responses, conversions, restarts, lost
//!   sessions) is 0: `(sum(rate(...)) or vector(0))`;
//! - a ratio divides by `(sum(rate(...)) > 0)` and a quantile reads the buckets only
//!   when the `+Inf` bucket grew, so a version without requests gives an empty result
//!   (the controller's rule for no data) instead of NaN (a failure in both);
//! - a relative gate's baseline without enough traffic in the window is its value over
//!   the latest window of the past [`BASELINE_LOOKBACK`] that had enough (a subquery),
//!   as rollcage's own gate does; with none the query is empty.

use crate::gate::{Comparison, GateMetric, GateSpec};
use crate::series::{LE, SeriesNames};
use sim_core::duration_text::{self, Style};

/// How far back a relative gate looks for the baseline's latest window with traffic.
pub const BASELINE_LOOKBACK: &str = "1h";

/// The controller that reads the queries: it decides what an empty result means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    Argo,
    Flagger,
}

impl Reader {
    pub fn name(self) -> &'static str {
        match self {
            Reader::Argo => "Argo",
            Reader::Flagger => "Flagger",
        }
    }

    /// What the controller does with an empty result, for the export's comments.
    pub fn empty_rule(self) -> &'static str {
        match self {
            Reader::Argo => {
                "Argo counts an empty result as an Error (successCondition cannot read result[0]), and the analysis ends in Error, aborting the rollout, after more than consecutiveErrorLimit consecutive Errors"
            }
            Reader::Flagger => {
                "Flagger counts an empty result as \"no values found\": it halts advancement and counts a failed check, and rolls back after `threshold` of them"
            }
        }
    }
}

/// Label matchers selecting one version's series.
#[derive(Clone, Debug)]
pub struct Selectors {
    pub candidate: String,
    pub baseline: String,
}

impl Selectors {
    /// `service="S", version="canary"` / `version="stable"`, with the label names of
    /// `names`.
    pub fn by_version(names: &SeriesNames, service: &str, candidate: &str, baseline: &str) -> Self {
        let l = &names.labels;
        Selectors {
            candidate: format!("{}=\"{service}\", {}=\"{candidate}\"", l.service, l.version),
            baseline: format!("{}=\"{service}\", {}=\"{baseline}\"", l.service, l.version),
        }
    }

    /// Flagger's own labels: the canary's pods are `app=<target>`, the primary's
    /// `app=<target>-primary`, in the canary's namespace (template variables Flagger
    /// fills in).
    pub fn flagger(names: &SeriesNames) -> Self {
        let l = &names.labels;
        Selectors {
            candidate: format!(
                "{}=\"{{{{ namespace }}}}\", {}=\"{{{{ target }}}}\"",
                l.namespace, l.app
            ),
            baseline: format!(
                "{}=\"{{{{ namespace }}}}\", {}=\"{{{{ target }}}}-primary\"",
                l.namespace, l.app
            ),
        }
    }
}

/// A Prometheus duration for a window in seconds (`90s`, `5m`).
pub fn duration(seconds: f64) -> String {
    duration_text::format(seconds, Style::Go { hours: true })
}

/// The metric of one version over the gate's window: a finite value, or an empty
/// result when the version had no requests (ratios, quantiles) or no series (memory).
pub fn metric_query(n: &SeriesNames, metric: GateMetric, sel: &str, window: &str) -> String {
    let (req, code) = (&n.requests, &n.labels.code);
    match metric {
        GateMetric::ErrorRatio => format!(
            "(sum(rate({req}{{{sel}, {code}=~\"5..\"}}[{window}])) or vector(0)) / (sum(rate({req}{{{sel}}}[{window}])) > 0)"
        ),
        GateMetric::Latency { quantile } => {
            let b = n.latency_bucket();
            format!(
                "histogram_quantile({quantile}, sum by ({LE}) (rate({b}{{{sel}}}[{window}])) and on() (sum(rate({b}{{{sel}, {LE}=\"+Inf\"}}[{window}])) > 0)) * 1000"
            )
        }
        GateMetric::Restarts => format!(
            "sum(increase({}{{{sel}}}[{window}])) or vector(0)",
            n.restarts
        ),
        GateMetric::MemoryMb => format!(
            "max(max_over_time({}{{{sel}}}[{window}])) / 1048576",
            n.memory
        ),
        GateMetric::Kpi => format!(
            "(sum(rate({}{{{sel}}}[{window}])) or vector(0)) / (sum(rate({req}{{{sel}, {code}!~\"5..\"}}[{window}])) > 0)",
            n.conversions
        ),
        GateMetric::SessionsLost => format!(
            "sum(increase({}{{{sel}}}[{window}])) or vector(0)",
            n.sessions_lost
        ),
    }
}

/// `query` kept only when the version selected by `sel` answered at least `min`
/// requests in the window.
fn with_min_requests(n: &SeriesNames, query: &str, sel: &str, window: &str, min: u64) -> String {
    format!(
        "({query}) and on() (sum(increase({}{{{sel}}}[{window}])) >= {min})",
        n.requests
    )
}

/// The baseline of a relative gate: its value over the window when it had enough
/// traffic there, else over the latest window of the past hour that had (rollcage's
/// gate reads the baseline the same way, `GateSpec::baseline_value`). A count is never
/// empty, so it needs no look back.
pub fn baseline_query(n: &SeriesNames, g: &GateSpec, sel: &str, window: &str) -> String {
    let mut b = metric_query(n, g.metric, sel, window);
    if g.metric.needs_requests() && g.min_samples > 0 {
        b = with_min_requests(n, &b, sel, window, g.min_samples);
    }
    if matches!(g.metric, GateMetric::Restarts | GateMetric::SessionsLost) {
        return b;
    }
    let step = duration(g.window_seconds.min(60.0));
    format!("({b}) or last_over_time(({b})[{BASELINE_LOOKBACK}:{step}])")
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

pub fn gate_query(n: &SeriesNames, g: &GateSpec, sel: &Selectors, reader: Reader) -> GateQuery {
    let window = duration(g.window_seconds);
    let cand = metric_query(n, g.metric, &sel.candidate, &window);
    let mut notes = Vec::new();
    let at_least = g.metric.higher_is_better();
    let base = || baseline_query(n, g, &sel.baseline, &window);
    let (mut query, bound) = match g.comparison {
        Comparison::Absolute => (cand, g.threshold),
        Comparison::Relative if at_least => (
            format!("({cand}) - ({} * ({}) - {})", g.threshold, base(), g.slack),
            0.0,
        ),
        Comparison::Relative => (
            format!("({cand}) - ({} * ({}) + {})", g.threshold, base(), g.slack),
            0.0,
        ),
        Comparison::MannWhitney(_) => {
            notes.push(format!(
                "gate {}: a Mann-Whitney test has no PromQL form; exported as candidate <= {} x baseline (the allowed mean ratio) of the same metric",
                g.name, g.threshold
            ));
            (format!("({cand}) - ({} * ({}))", g.threshold, base()), 0.0)
        }
    };
    if g.metric.needs_requests() && g.min_samples > 0 {
        query = with_min_requests(n, &query, &sel.candidate, &window, g.min_samples);
        notes.push(format!(
            "gate {}: min_samples {} empties the query when the candidate has fewer requests; {}'s rule for an empty result (below) replaces on_empty = {}",
            g.name,
            g.min_samples,
            reader.name(),
            crate::gate::Verdict::from(g.on_empty).name(),
        ));
    }
    GateQuery {
        query,
        bound,
        at_least,
        notes,
    }
}

/// How the queries of `gates` read missing series and idle versions, for the comments
/// of an export: the controller's rule for an empty result first, then each case that
/// gives one (or gives a number where a naive query would give none).
pub fn remarks(gates: &[GateSpec], reader: Reader) -> Vec<String> {
    if gates.is_empty() {
        return Vec::new();
    }
    let mut r = vec![format!(
        "an empty result is no data, not a verdict: {}",
        reader.empty_rule()
    )];
    let any = |f: &dyn Fn(&GateSpec) -> bool| gates.iter().any(f);
    if any(&|g| {
        matches!(
            g.metric,
            GateMetric::ErrorRatio
                | GateMetric::Kpi
                | GateMetric::Restarts
                | GateMetric::SessionsLost
        )
    }) {
        r.push("a count without a series yet (5xx responses, conversions, restarts, lost sessions) is 0 (`or vector(0)`): client libraries create a labelled series at its first increment, so a healthy canary has no 5xx series".to_string());
    }
    if any(&|g| g.metric.needs_requests()) {
        r.push("a version without requests in the window gives an empty result, never NaN (ratios divide by `(sum(rate(...)) > 0)`, quantiles need requests in the +Inf bucket)".to_string());
    }
    if any(&|g| matches!(g.metric, GateMetric::MemoryMb)) {
        r.push("memory without a series (no pod of the version) gives an empty result".to_string());
    }
    if any(&|g| !matches!(g.comparison, Comparison::Absolute)) {
        r.push(format!(
            "a relative gate whose baseline had no traffic in the window (or fewer than min_samples requests: all traffic on the canary, say) compares with the baseline's value over the latest window of the past {BASELINE_LOOKBACK} that had enough, as rollcage's gate does; with none in that time the result is empty"
        ));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{EmptyRule, MannWhitneyRule};

    fn gate(metric: GateMetric, comparison: Comparison, min_samples: u64) -> GateSpec {
        GateSpec {
            name: "g".into(),
            metric,
            comparison,
            threshold: 1.5,
            slack: 5.0,
            window_seconds: 120.0,
            min_samples,
            on_empty: EmptyRule::Inconclusive,
        }
    }

    fn q(g: &GateSpec) -> String {
        let n = SeriesNames::default();
        gate_query(
            &n,
            g,
            &Selectors::by_version(&n, "svc", "canary", "stable"),
            Reader::Argo,
        )
        .query
    }

    const C: &str = "service=\"svc\", version=\"canary\"";

    #[test]
    fn counts_without_a_series_are_zero() {
        assert_eq!(
            q(&gate(GateMetric::ErrorRatio, Comparison::Absolute, 0)),
            format!(
                "(sum(rate(http_requests_total{{{C}, code=~\"5..\"}}[2m])) or vector(0)) / (sum(rate(http_requests_total{{{C}}}[2m])) > 0)"
            )
        );
        assert_eq!(
            q(&gate(GateMetric::Restarts, Comparison::Absolute, 0)),
            format!(
                "sum(increase(kube_pod_container_status_restarts_total{{{C}}}[2m])) or vector(0)"
            )
        );
        assert_eq!(
            q(&gate(GateMetric::SessionsLost, Comparison::Absolute, 0)),
            format!("sum(increase(sessions_lost_total{{{C}}}[2m])) or vector(0)")
        );
        assert_eq!(
            q(&gate(GateMetric::Kpi, Comparison::Absolute, 0)),
            format!(
                "(sum(rate(business_conversions_total{{{C}}}[2m])) or vector(0)) / (sum(rate(http_requests_total{{{C}, code!~\"5..\"}}[2m])) > 0)"
            )
        );
        assert_eq!(
            q(&gate(GateMetric::MemoryMb, Comparison::Absolute, 0)),
            format!("max(max_over_time(container_memory_working_set_bytes{{{C}}}[2m])) / 1048576")
        );
    }

    #[test]
    fn a_quantile_needs_requests_in_the_inf_bucket() {
        assert_eq!(
            q(&gate(
                GateMetric::Latency { quantile: 0.99 },
                Comparison::Absolute,
                0
            )),
            format!(
                "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{{C}}}[2m])) and on() (sum(rate(http_request_duration_seconds_bucket{{{C}, le=\"+Inf\"}}[2m])) > 0)) * 1000"
            )
        );
    }

    #[test]
    fn min_samples_guards_the_candidate_and_the_baseline() {
        let text = q(&gate(GateMetric::ErrorRatio, Comparison::Absolute, 200));
        assert!(
            text.ends_with(&format!(
                ") and on() (sum(increase(http_requests_total{{{C}}}[2m])) >= 200)"
            )),
            "{text}"
        );
        let text = q(&gate(
            GateMetric::Latency { quantile: 0.99 },
            Comparison::Relative,
            100,
        ));
        let s = "service=\"svc\", version=\"stable\"";
        let guard = format!("and on() (sum(increase(http_requests_total{{{s}}}[2m])) >= 100)");
        // Once in the baseline of the window, once in the look back.
        assert_eq!(text.matches(&guard).count(), 2, "{text}");
        assert!(text.contains("or last_over_time(("), "{text}");
        assert!(text.contains(")[1h:1m]))"), "{text}");
        // Restarts need no requests: no guard, whatever min_samples says.
        assert!(!q(&gate(GateMetric::Restarts, Comparison::Absolute, 100)).contains("and on()"));
    }

    #[test]
    fn a_relative_gate_is_a_margin_against_a_baseline_that_looks_back() {
        let n = SeriesNames::default();
        let g = gate(GateMetric::ErrorRatio, Comparison::Relative, 0);
        let s = "service=\"svc\", version=\"stable\"";
        let base_now = metric_query(&n, g.metric, s, "2m");
        let cand = metric_query(&n, g.metric, C, "2m");
        assert_eq!(
            q(&g),
            format!("({cand}) - (1.5 * (({base_now}) or last_over_time(({base_now})[1h:1m])) + 5)")
        );
        let kpi = gate(GateMetric::Kpi, Comparison::Relative, 0);
        assert!(q(&kpi).contains(")) - 5)"), "{}", q(&kpi));
        // A count's baseline is never empty: no look back.
        let r = q(&gate(GateMetric::Restarts, Comparison::Relative, 0));
        assert!(!r.contains("last_over_time"), "{r}");
        let mw = gate(
            GateMetric::MemoryMb,
            Comparison::MannWhitney(MannWhitneyRule::default()),
            0,
        );
        assert!(q(&mw).contains("last_over_time"), "{}", q(&mw));
        assert!(q(&mw).ends_with("[1h:1m])))"), "{}", q(&mw));
    }

    #[test]
    fn the_names_come_from_the_mapping() {
        let n = SeriesNames::from_toml(
            "n.toml",
            "[metrics]\nrequests = \"reqs_total\"\nlatency_histogram = \"lat\"\n[labels]\nversion = \"track\"\ncode = \"status\"\nservice = \"job\"\n",
        )
        .unwrap();
        let sel = Selectors::by_version(&n, "svc", "canary", "stable");
        let e = gate_query(
            &n,
            &gate(GateMetric::ErrorRatio, Comparison::Absolute, 10),
            &sel,
            Reader::Argo,
        );
        assert!(
            e.query
                .contains("reqs_total{job=\"svc\", track=\"canary\", status=~\"5..\"}"),
            "{}",
            e.query
        );
        assert!(!e.query.contains("http_requests_total"), "{}", e.query);
        let l = gate_query(
            &n,
            &gate(
                GateMetric::Latency { quantile: 0.5 },
                Comparison::Absolute,
                0,
            ),
            &sel,
            Reader::Argo,
        );
        assert!(
            l.query
                .contains("rate(lat_bucket{job=\"svc\", track=\"canary\"}[2m])"),
            "{}",
            l.query
        );
        let f = Selectors::flagger(&n);
        assert_eq!(
            f.candidate,
            "namespace=\"{{ namespace }}\", app=\"{{ target }}\""
        );
        assert_eq!(
            f.baseline,
            "namespace=\"{{ namespace }}\", app=\"{{ target }}-primary\""
        );
    }

    #[test]
    fn the_remarks_name_the_controller_rule() {
        let gates = [
            gate(GateMetric::ErrorRatio, Comparison::Absolute, 0),
            gate(
                GateMetric::Latency { quantile: 0.99 },
                Comparison::Relative,
                0,
            ),
        ];
        let a = remarks(&gates, Reader::Argo).join("\n");
        assert!(
            a.contains("or vector(0)") && a.contains("consecutiveErrorLimit"),
            "{a}"
        );
        assert!(remarks(&[], Reader::Argo).is_empty());
        assert!(a.contains("past 1h"), "{a}");
        let f = remarks(&gates, Reader::Flagger).join("\n");
        assert!(f.contains("no values found"), "{f}");
        assert!(
            remarks(&gates[..1], Reader::Argo)
                .iter()
                .all(|r| !r.contains("relative"))
        );
    }
}
