//! The exported queries on a real Prometheus: series built here by construction are
//! backfilled with promtool, and every query of every Argo and Flagger export (the
//! built-in policies, and a policy with every gate metric in every form) is run at
//! every step of a good release. Each must return one finite value, equal to the one
//! the series were built to give, and pass its bound, including before any error
//! happened (the 5xx series does not exist yet), on a canary with no 5xx series at
//! all and with a stable side that lost its traffic. A baseline that never existed
//! gives an empty result (the controller's rule for no data), as the exports say.
//!
//! Needs `prometheus` and `promtool` (Debian's `prometheus` package; see
//! `tests/support/prometheus.rs` for the switches). One server serves the whole file.

#[path = "support/prometheus.rs"]
mod prom;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use policies::Policy;
use policies::export::{self, Options, Target};
use policies::gate::{Comparison, GateMetric, GateSpec};
use policies::series::SeriesNames;
use prom::Prometheus;
use reports::artifacts::{metrics_om, timeline_csv};
use serde::Deserialize as _;

/// The release's first step (a multiple of 60 s, so subquery steps fall on samples).
const T0: i64 = 1_699_999_200;
const STEP: i64 = 15;
/// Steps of the release: 20 minutes.
const STEPS: i64 = 80;
/// The stable side's history before the release, and the canary's.
const STABLE_FROM: i64 = T0 - 1800;
const CANARY_FROM: i64 = T0 - 120;
/// The healthy canary's first 5xx (its series appears at this scrape).
const T_ERR: i64 = T0 + 300;
/// When the stable side of the `idle` case loses its traffic.
const T_IDLE: i64 = T0 + 600;
const NAMESPACE: &str = "prod";
/// The policy of the simulated good release (its name is the series' `service`).
const GOOD_POLICY: &str = "gated-10pct";

/// Latency buckets (seconds) and the cumulative share of requests under each.
const BOUNDS: [f64; 6] = [0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
const CANARY_CDF: [f64; 6] = [0.35, 0.65, 0.88, 0.992, 0.999, 1.0];
const STABLE_CDF: [f64; 6] = [0.4, 0.7, 0.9, 0.995, 0.999, 1.0];

/// The cases, one service each.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Case {
    /// A canary whose 5xx series appears at `T_ERR` (0.5% of requests from then).
    Healthy,
    /// No 5xx series on either side, no restarts series on the canary.
    Quiet,
    /// The stable side's counters go flat at `T_IDLE`; the canary takes all traffic.
    Idle,
    /// No stable series at all (a first release).
    NoBase,
}

const CASES: [Case; 4] = [Case::Healthy, Case::Quiet, Case::Idle, Case::NoBase];

impl Case {
    fn service(self) -> &'static str {
        match self {
            Case::Healthy => "healthy",
            Case::Quiet => "quiet",
            Case::Idle => "idle",
            Case::NoBase => "nobase",
        }
    }
}

/// One version of one case, as rates over time.
struct Version {
    case: Case,
    canary: bool,
}

impl Version {
    fn from(&self) -> i64 {
        if self.canary {
            CANARY_FROM
        } else {
            STABLE_FROM
        }
    }

    /// Requests per second at time `t` (over the scrape interval ending at `t`).
    fn rps(&self, t: i64) -> f64 {
        match (self.case, self.canary) {
            (Case::Idle, false) if t > T_IDLE => 0.0,
            (Case::Idle, true) if t > T_IDLE => 200.0,
            (_, true) => 20.0,
            (_, false) => 180.0,
        }
    }

    /// The share of requests answered with a 5xx at `t`, and whether the 5xx series
    /// exists then.
    fn errors(&self, t: i64) -> Option<f64> {
        match (self.case, self.canary) {
            (Case::Quiet, _) => None,
            (Case::Healthy | Case::NoBase, true) if t < T_ERR => None,
            (_, true) => Some(0.005),
            (_, false) => Some(0.002),
        }
    }

    fn cdf(&self) -> [f64; 6] {
        if self.canary { CANARY_CDF } else { STABLE_CDF }
    }

    fn conversions_per_ok(&self) -> f64 {
        if self.canary { 0.048 } else { 0.05 }
    }

    fn memory_mib(&self) -> f64 {
        if self.canary { 300.0 } else { 280.0 }
    }

    /// Restarts so far (flat), or no series.
    fn restarts(&self) -> Option<f64> {
        match (self.case, self.canary) {
            (Case::Quiet, true) => None,
            (_, true) => Some(0.0),
            (_, false) => Some(2.0),
        }
    }

    /// Sessions lost per second, or no series (the canary never lost one).
    fn sessions_lost_rate(&self) -> Option<f64> {
        (!self.canary).then_some(0.01)
    }

    fn labels(&self, names: &SeriesNames) -> String {
        let l = &names.labels;
        let svc = self.case.service();
        let (version, app) = if self.canary {
            ("canary", svc.to_string())
        } else {
            ("stable", format!("{svc}-primary"))
        };
        format!(
            "{}=\"{svc}\",{}=\"{version}\",{}=\"{NAMESPACE}\",{}=\"{app}\"",
            l.service, l.version, l.namespace, l.app
        )
    }

    fn times(&self) -> impl Iterator<Item = i64> {
        (self.from()..=T0 + STEPS * STEP).step_by(STEP as usize)
    }

    /// A counter's samples: `per_second(t)` integrated over each scrape interval from
    /// the first time it is `Some` (when the series appears).
    fn counter(&self, per_second: impl Fn(i64) -> Option<f64>) -> Vec<(i64, f64)> {
        let mut total = 0.0;
        let mut out = Vec::new();
        for t in self.times() {
            if let Some(r) = per_second(t) {
                // A pod's series start at 0; a series created later by its first
                // increment (a 5xx) starts with that interval's count.
                if t > self.from() {
                    total += r * STEP as f64;
                }
                out.push((t, total));
            }
        }
        out
    }
}

fn family(out: &mut String, name: &str, kind: &str) {
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn samples(out: &mut String, series: &str, points: &[(i64, f64)]) {
    for (t, v) in points {
        let _ = writeln!(out, "{series} {v} {t}");
    }
}

/// The OpenMetrics text of every case under `names`.
fn openmetrics(names: &SeriesNames, cases: &[Case]) -> String {
    let versions: Vec<Version> = cases
        .iter()
        .flat_map(|&case| {
            let stable = (case != Case::NoBase).then_some(Version {
                case,
                canary: false,
            });
            std::iter::once(Version { case, canary: true }).chain(stable)
        })
        .collect();
    let code = &names.labels.code;
    let mut out = String::new();
    family(
        &mut out,
        names.requests.trim_end_matches("_total"),
        "counter",
    );
    for v in &versions {
        let lab = v.labels(names);
        let ok = v.counter(|t| Some(v.rps(t) * (1.0 - v.errors(t).unwrap_or(0.0))));
        samples(
            &mut out,
            &format!("{}{{{lab},{code}=\"200\"}}", names.requests),
            &ok,
        );
        let bad = v.counter(|t| v.errors(t).map(|e| v.rps(t) * e));
        samples(
            &mut out,
            &format!("{}{{{lab},{code}=\"500\"}}", names.requests),
            &bad,
        );
    }
    family(&mut out, &names.latency_histogram, "histogram");
    for v in &versions {
        let lab = v.labels(names);
        let le: Vec<(String, f64)> = BOUNDS
            .iter()
            .zip(v.cdf())
            .map(|(b, f)| (format!("{b}"), f))
            .chain(std::iter::once(("+Inf".to_string(), 1.0)))
            .collect();
        for (bound, share) in &le {
            let c = v.counter(|t| Some(v.rps(t) * share));
            samples(
                &mut out,
                &format!("{}{{{lab},le=\"{bound}\"}}", names.latency_bucket()),
                &c,
            );
        }
        let count = v.counter(|t| Some(v.rps(t)));
        samples(
            &mut out,
            &format!("{}_count{{{lab}}}", names.latency_histogram),
            &count,
        );
        let sum = v.counter(|t| Some(v.rps(t) * 0.05));
        samples(
            &mut out,
            &format!("{}_sum{{{lab}}}", names.latency_histogram),
            &sum,
        );
    }
    family(
        &mut out,
        names.restarts.trim_end_matches("_total"),
        "counter",
    );
    for v in &versions {
        if let Some(r) = v.restarts() {
            let pts: Vec<(i64, f64)> = v.times().map(|t| (t, r)).collect();
            samples(
                &mut out,
                &format!("{}{{{}}}", names.restarts, v.labels(names)),
                &pts,
            );
        }
    }
    family(&mut out, &names.memory, "gauge");
    for v in &versions {
        let pts: Vec<(i64, f64)> = v
            .times()
            .map(|t| (t, v.memory_mib() * 1_048_576.0))
            .collect();
        samples(
            &mut out,
            &format!("{}{{{}}}", names.memory, v.labels(names)),
            &pts,
        );
    }
    family(
        &mut out,
        names.conversions.trim_end_matches("_total"),
        "counter",
    );
    for v in &versions {
        let c = v.counter(|t| {
            Some(v.rps(t) * (1.0 - v.errors(t).unwrap_or(0.0)) * v.conversions_per_ok())
        });
        samples(
            &mut out,
            &format!("{}{{{}}}", names.conversions, v.labels(names)),
            &c,
        );
    }
    family(
        &mut out,
        names.sessions_lost.trim_end_matches("_total"),
        "counter",
    );
    for v in &versions {
        if let Some(r) = v.sessions_lost_rate() {
            let c = v.counter(|_| Some(r));
            samples(
                &mut out,
                &format!("{}{{{}}}", names.sessions_lost, v.labels(names)),
                &c,
            );
        }
    }
    out.push_str("# EOF\n");
    out
}

/// `histogram_quantile` over the constructed buckets (linear within a bucket, from 0
/// below the first), in ms.
fn quantile_ms(cdf: &[f64; 6], q: f64) -> f64 {
    let mut lower = (0.0, 0.0);
    for (b, f) in BOUNDS.iter().zip(cdf) {
        if *f >= q {
            return 1000.0 * (lower.0 + (b - lower.0) * (q - lower.1) / (f - lower.1));
        }
        lower = (*b, *f);
    }
    1000.0 * BOUNDS[5]
}

/// What a version's metric is over the window ending at `t`, when the series make it
/// one number (`Some(None)`: no exact value, the window straddles a change; `None`: the
/// query is to be empty).
fn version_value(case: Case, canary: bool, g: &GateSpec, t: i64) -> Option<Option<f64>> {
    let v = Version { case, canary };
    let w = g.window_seconds as i64;
    if !canary && case == Case::NoBase {
        // Counts without a series are 0; anything else has no baseline.
        return match g.metric {
            GateMetric::Restarts | GateMetric::SessionsLost => Some(Some(0.0)),
            _ => None,
        };
    }
    Some(Some(match g.metric {
        GateMetric::ErrorRatio => {
            let now = v.errors(t).unwrap_or(0.0);
            let start = v.errors(t - w).unwrap_or(0.0);
            let existed = v.errors(t - w).is_some() || v.errors(t).is_none();
            if now != start || !existed {
                return Some(None);
            }
            now
        }
        GateMetric::Latency { quantile } => quantile_ms(&v.cdf(), quantile),
        GateMetric::Restarts => 0.0,
        GateMetric::MemoryMb => v.memory_mib(),
        GateMetric::Kpi => v.conversions_per_ok(),
        GateMetric::SessionsLost => v.sessions_lost_rate().map_or(0.0, |r| r * w as f64),
    }))
}

/// The value a gate's query is built to return at `t`: `Some(Some(x))` exactly x,
/// `Some(None)` some finite number (no exact expectation), `None` empty.
fn expected(case: Case, g: &GateSpec, t: i64) -> Option<Option<f64>> {
    let cand = version_value(case, true, g, t)?;
    if matches!(g.comparison, Comparison::Absolute) {
        return Some(cand);
    }
    // The baseline of a ratio or quantile is constant by construction, so the look
    // back finds the same value whenever it finds one.
    let base = version_value(case, false, g, t)?;
    let (Some(c), Some(b)) = (cand, base) else {
        return Some(None);
    };
    Some(Some(match g.comparison {
        Comparison::Relative if g.metric.higher_is_better() => c - (g.threshold * b - g.slack),
        Comparison::Relative => c - (g.threshold * b + g.slack),
        _ => c - g.threshold * b,
    }))
}

/// One exported query and how its controller judges it.
struct Exported {
    origin: String,
    gate: GateSpec,
    query: String,
    /// Argo's successCondition or Flagger's thresholdRange as (bound, at least).
    bound: f64,
    at_least: bool,
}

fn yaml_docs(text: &str) -> Vec<serde_norway::Value> {
    serde_norway::Deserializer::from_str(text)
        .map(|d| serde_norway::Value::deserialize(d).unwrap())
        .collect()
}

fn s<'a>(v: &'a serde_norway::Value, path: &[&str]) -> &'a serde_norway::Value {
    path.iter().fold(v, |v, k| &v[*k])
}

fn str_at<'a>(v: &'a serde_norway::Value, path: &[&str]) -> &'a str {
    s(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path:?} is not a string in {v:?}"))
}

/// Flagger renders a MetricTemplate's query as a Go template with these functions.
fn render_flagger(query: &str, service: &str, namespace: &str, interval: &str) -> String {
    let out = query
        .replace("{{ target }}", service)
        .replace("{{ namespace }}", namespace)
        .replace("{{ name }}", service)
        .replace("{{ service }}", service)
        .replace("{{ interval }}", interval);
    assert!(!out.contains("{{"), "an unrendered variable: {out}");
    out
}

/// Every query of `policy`'s export to `target` for `service`, with its gate.
fn exported(policy: &Policy, target: Target, text: &str, service: &str) -> Vec<Exported> {
    exported_in(policy, target, text, service, NAMESPACE)
}

/// The same, for Flagger's queries in `namespace`.
fn exported_in(
    policy: &Policy,
    target: Target,
    text: &str,
    service: &str,
    namespace: &str,
) -> Vec<Exported> {
    let gate = |name: &str| {
        policy
            .kind
            .gates()
            .iter()
            .find(|g| g.name == name)
            .unwrap_or_else(|| panic!("no gate {name} in {}", policy.name))
            .clone()
    };
    let docs = yaml_docs(text);
    let kind = |d: &serde_norway::Value| d["kind"].as_str().unwrap_or("").to_string();
    let mut out = Vec::new();
    match target {
        Target::Argo => {
            for d in docs.iter().filter(|d| kind(d) == "AnalysisTemplate") {
                for m in d["spec"]["metrics"].as_sequence().unwrap() {
                    let name = str_at(m, &["name"]);
                    let cond = str_at(m, &["successCondition"]);
                    let (at_least, bound) = match cond.split_whitespace().collect::<Vec<_>>()[..] {
                        ["result[0]", "<=", b] => (false, b.parse().unwrap()),
                        ["result[0]", ">=", b] => (true, b.parse().unwrap()),
                        _ => panic!("unexpected successCondition {cond}"),
                    };
                    out.push(Exported {
                        origin: format!(
                            "{} argo {} {name}",
                            policy.name,
                            str_at(d, &["metadata", "name"])
                        ),
                        gate: gate(name),
                        query: str_at(m, &["provider", "prometheus", "query"]).to_string(),
                        bound,
                        at_least,
                    });
                }
            }
        }
        Target::Flagger => {
            let templates: BTreeMap<String, String> = docs
                .iter()
                .filter(|d| kind(d) == "MetricTemplate")
                .map(|d| {
                    (
                        str_at(d, &["metadata", "name"]).to_string(),
                        str_at(d, &["spec", "query"]).to_string(),
                    )
                })
                .collect();
            let canary = docs.iter().find(|d| kind(d) == "Canary").unwrap();
            for m in canary["spec"]["analysis"]["metrics"].as_sequence().unwrap() {
                let name = str_at(m, &["name"]);
                let template = str_at(m, &["templateRef", "name"]);
                let range = &m["thresholdRange"];
                let (at_least, bound) = match (range["min"].as_f64(), range["max"].as_f64()) {
                    (Some(b), None) => (true, b),
                    (None, Some(b)) => (false, b),
                    r => panic!("unexpected thresholdRange {r:?}"),
                };
                out.push(Exported {
                    origin: format!("{} flagger {template}", policy.name),
                    gate: gate(name),
                    query: render_flagger(
                        &templates[template],
                        service,
                        namespace,
                        str_at(m, &["interval"]),
                    ),
                    bound,
                    at_least,
                });
            }
        }
        _ => unreachable!(),
    }
    assert_eq!(
        out.iter()
            .map(|e| e.gate.name.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        policy.kind.gates().len(),
        "every gate of {} is exported to {}",
        policy.name,
        target.name()
    );
    out
}

/// A policy with every gate metric in every form, for Argo or Flagger.
fn every_form(semantics: &str) -> Policy {
    let head = match semantics {
        "argo" => {
            "kind = \"canary\"\nsemantics = \"argo\"\ntraffic_routing = false\nmax_surge = \"25%\"\nmax_unavailable = 0\n\n[[steps]]\nset_weight = 10\n\n[[steps]]\nanalysis = { count = 3, interval_seconds = 30 }\n"
        }
        _ => {
            "kind = \"canary\"\nsemantics = \"flagger\"\ntraffic_routing = true\ninterval_seconds = 60\nthreshold = 3\nmax_weight = 50\nstep_weight = 10\n"
        }
    };
    let gates = [
        ("err-abs", "error_ratio", "", "absolute", 0.01, 0.0, 60, 0),
        (
            "err-abs-min",
            "error_ratio",
            "",
            "absolute",
            0.01,
            0.0,
            60,
            500,
        ),
        ("err-rel", "error_ratio", "", "relative", 3.0, 0.001, 60, 0),
        (
            "err-rel-min",
            "error_ratio",
            "",
            "relative",
            3.0,
            0.001,
            120,
            500,
        ),
        ("p50-abs", "latency", "0.5", "absolute", 100.0, 0.0, 60, 0),
        (
            "p99-rel-min",
            "latency",
            "0.99",
            "relative",
            1.5,
            5.0,
            120,
            200,
        ),
        (
            "p95-mw",
            "latency",
            "0.95",
            "mann_whitney",
            1.1,
            0.0,
            60,
            100,
        ),
        ("restarts-abs", "restarts", "", "absolute", 0.0, 0.0, 600, 0),
        ("restarts-rel", "restarts", "", "relative", 1.0, 1.0, 600, 0),
        ("mem-abs", "memory_mb", "", "absolute", 512.0, 0.0, 60, 0),
        ("mem-rel", "memory_mb", "", "relative", 1.2, 10.0, 120, 0),
        ("kpi-abs", "kpi", "", "absolute", 0.04, 0.0, 60, 0),
        ("kpi-rel-min", "kpi", "", "relative", 0.9, 0.001, 120, 200),
        (
            "sessions-abs",
            "sessions_lost",
            "",
            "absolute",
            0.0,
            0.0,
            300,
            0,
        ),
        (
            "sessions-rel",
            "sessions_lost",
            "",
            "relative",
            1.0,
            1.0,
            300,
            0,
        ),
    ];
    let mut text = format!("schema_version = 1\nname = \"every-form-{semantics}\"\n{head}");
    for (name, metric, q, cmp, threshold, slack, window, min) in gates {
        let _ = write!(
            text,
            "\n[[gates]]\nname = \"{name}\"\nmetric = \"{metric}\"\ncomparison = \"{cmp}\"\nthreshold = {threshold:?}\nslack = {slack:?}\nwindow_seconds = {window}\nmin_samples = {min}\n"
        );
        if !q.is_empty() {
            let _ = writeln!(text, "quantile = {q}");
        }
    }
    let doc = config::Doc::parse("every-form.toml", &text).unwrap();
    Policy::from_doc(&doc).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn options(service: &str, series: SeriesNames) -> Options {
    Options {
        service: service.parse().unwrap(),
        prometheus_address: "http://127.0.0.1:9090".parse().unwrap(),
        series,
    }
}

/// The policies with Argo or Flagger exports: the built-in ones and the two with every
/// gate form.
fn policies_to_check() -> Vec<(Policy, Target)> {
    let mut out = Vec::new();
    for (name, _) in policies::BUILTIN {
        let p = Policy::from_doc(&policies::builtin(name).unwrap()).unwrap();
        for t in [Target::Argo, Target::Flagger] {
            if export::targets_for(&p.kind).contains(&t) && !p.kind.gates().is_empty() {
                out.push((p.clone(), t));
            }
        }
    }
    out.push((every_form("argo"), Target::Argo));
    out.push((every_form("flagger"), Target::Flagger));
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 + 1e-6 * b.abs()
}

/// What one query did at every step: the problems, and how many values were compared
/// with the one the series were built to give.
struct Checked {
    problems: Vec<String>,
    /// Values equal to the built ones, or empty where the baseline never existed.
    exact: usize,
    /// Distinct (case, query) pairs run.
    queries: usize,
}

/// Runs `e` for `case` at every step of the release.
fn check_query(p: &Prometheus, case: Case, e: &Exported) -> Checked {
    let mut problems = Vec::new();
    let mut exact = 0;
    {
        for k in 0..=STEPS {
            let t = T0 + k * STEP;
            let got = p.query(&e.query, t as f64).single();
            let want = expected(case, &e.gate, t);
            let at = format!("{} [{}] at T0+{}s", e.origin, case.service(), k * STEP);
            match (got, want) {
                (None, None) => exact += 1,
                (Some(v), None) => {
                    problems.push(format!("{at}: {v}, but an empty result was expected"))
                }
                (None, Some(_)) => problems.push(format!("{at}: empty result\n  {}", e.query)),
                (Some(v), Some(w)) => {
                    if !v.is_finite() {
                        problems.push(format!("{at}: {v}\n  {}", e.query));
                        continue;
                    }
                    if let Some(w) = w {
                        exact += 1;
                        if !close(v, w) {
                            problems.push(format!("{at}: {v}, built to be {w}\n  {}", e.query));
                        }
                    }
                    let pass = if e.at_least {
                        v >= e.bound
                    } else {
                        v <= e.bound
                    };
                    if !pass {
                        problems.push(format!(
                            "{at}: {v} fails the bound {} {} of a good release",
                            if e.at_least { ">=" } else { "<=" },
                            e.bound
                        ));
                    }
                }
            }
        }
    }
    Checked {
        problems,
        exact,
        queries: 1,
    }
}

/// Checks every (case, query) pair, a few at a time (the server answers in parallel).
fn check_all(p: &Prometheus, work: &[(Case, Exported)]) -> Checked {
    let mut seen = std::collections::BTreeSet::new();
    let work: Vec<&(Case, Exported)> = work
        .iter()
        .filter(|(c, e)| seen.insert((c.service(), e.query.clone())))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Checked> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((case, e)) = work.get(i) else { break };
                        mine.push(check_query(p, *case, e));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    Checked {
        problems: results.iter().flat_map(|r| r.problems.clone()).collect(),
        exact: results.iter().map(|r| r.exact).sum(),
        queries: results.len(),
    }
}

fn report(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problems, the first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(25)].join("\n")
    );
}

#[test]
fn exported_queries_return_finite_values_on_real_series() {
    let Some(bins) = prom::binaries("exported_queries_return_finite_values_on_real_series") else {
        return;
    };
    let names = SeriesNames::default();
    let renamed = SeriesNames::from_toml(
        "renamed.toml",
        "[metrics]\nrequests = \"api_hits_total\"\nlatency_histogram = \"api_latency_seconds\"\nrestarts = \"pod_restarts_total\"\nmemory = \"pod_memory_bytes\"\nconversions = \"orders_total\"\nsessions_lost = \"dropped_sessions_total\"\n\n[labels]\nservice = \"job\"\nversion = \"track\"\ncode = \"status\"\nnamespace = \"ns\"\napp = \"workload\"\n",
    )
    .unwrap();
    let mut om = openmetrics(&names, &CASES);
    // The healthy case again under other names, as service "healthy" of a second
    // family set: the exports read only the names they were given.
    om.truncate(om.len() - "# EOF\n".len());
    om.push_str(&openmetrics(&renamed, &[Case::Healthy]));
    let work = std::env::temp_dir().join(format!("rollcage-prometheus-{}", std::process::id()));
    // A simulated good release too, as `run --out` writes it (metrics.om at the default
    // epoch, its series labelled with the policy's name).
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let run_dir = work.join("good-release");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_rollcage"))
        .args([
            "run",
            "--scenario",
            "good-release",
            "--policy",
            GOOD_POLICY,
            "--out",
        ])
        .arg(&run_dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fixture = work.join("fixture.om");
    std::fs::write(&fixture, &om).unwrap();
    let server = Prometheus::start_files(
        &bins,
        &[fixture, run_dir.join(metrics_om::FILE_NAME)],
        STABLE_FROM,
        &work,
    );

    // The old forms are shown to fail on these series, so this test can fail: no 5xx
    // series gives an empty ratio, an idle stable side a NaN quantile.
    let sel = |svc: &str, v: &str| format!("service=\"{svc}\", version=\"{v}\"");
    let old_ratio = format!(
        "sum(rate(http_requests_total{{{}, code=~\"5..\"}}[1m])) / sum(rate(http_requests_total{{{}}}[1m]))",
        sel("quiet", "canary"),
        sel("quiet", "canary")
    );
    assert_eq!(server.query(&old_ratio, (T0 + 300) as f64).single(), None);
    let old_p99 = format!(
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{{}}}[1m]))) * 1000",
        sel("idle", "stable")
    );
    let v = server.query(&old_p99, (T_IDLE + 300) as f64).single();
    assert!(v.is_some_and(f64::is_nan), "{v:?}");

    // The documented verdict of a relative gate whose baseline is idle: the baseline's
    // latest window with traffic answers (so a good canary passes as before), and with
    // no baseline ever the result is empty (Argo's Error, Flagger's failed check).
    let every = every_form("argo");
    let p99 = |case: Case| {
        let e = export::export(
            &every,
            Target::Argo,
            &options(case.service(), names.clone()),
        )
        .unwrap();
        exported(&every, Target::Argo, &e.text, case.service())
            .into_iter()
            .find(|q| q.gate.name == "p99-rel-min")
            .unwrap()
    };
    let idle = p99(Case::Idle);
    let before = server.query(&idle.query, (T_IDLE - 60) as f64).single();
    let after = server.query(&idle.query, (T_IDLE + 300) as f64).single();
    assert!(before.is_some_and(|v| v < 0.0), "{before:?}");
    assert_eq!(
        before.map(|v| (v * 1e6).round()),
        after.map(|v| (v * 1e6).round())
    );
    let stable_now = format!(
        "sum(rate(http_requests_total{{{}}}[2m])) > 0",
        sel("idle", "stable")
    );
    assert_eq!(
        server.query(&stable_now, (T_IDLE + 300) as f64).single(),
        None
    );
    let first_release = p99(Case::NoBase);
    assert_eq!(
        server
            .query(&first_release.query, (T0 + 300) as f64)
            .single(),
        None
    );

    let mut work = Vec::new();
    for (policy, target) in policies_to_check() {
        for case in CASES {
            let e = export::export(&policy, target, &options(case.service(), names.clone()))
                .unwrap_or_else(|e| panic!("{}: {e}", policy.name));
            let queries = exported(&policy, target, &e.text, case.service());
            work.extend(queries.into_iter().map(|q| (case, q)));
        }
    }
    // The mapping: every form, exported with the other names, on the renamed series.
    for (policy, target) in [
        (every_form("argo"), Target::Argo),
        (every_form("flagger"), Target::Flagger),
    ] {
        let e = export::export(&policy, target, &options("healthy", renamed.clone())).unwrap();
        assert!(!e.text.contains("http_requests_total"), "{}", e.text);
        let mut queries = exported(&policy, target, &e.text, "healthy");
        for q in &mut queries {
            q.origin = format!("{} (renamed series)", q.origin);
        }
        work.extend(queries.into_iter().map(|q| (Case::Healthy, q)));
    }
    let started = std::time::Instant::now();
    let checked = check_all(&server, &work);
    report(&checked.problems);
    let steps = (STEPS + 1) as usize;
    eprintln!(
        "{} distinct queries at {steps} steps ({} values compared with the built ones) in {:.1?}",
        checked.queries,
        checked.exact,
        started.elapsed()
    );
    // Most values are known exactly: only windows across a change are not.
    assert!(checked.queries > 100, "{} queries only", checked.queries);
    assert!(
        checked.exact * 10 > checked.queries * steps * 7,
        "{} exact",
        checked.exact
    );

    // The simulated good release: every query of every export, for the run's service,
    // is finite and non-empty at every scrape at which both versions served throughout
    // the longest window (10 minutes), i.e. whenever the data allows a value.
    let timeline =
        timeline_csv::from_bytes(&std::fs::read(run_dir.join(timeline_csv::FILE_NAME)).unwrap())
            .unwrap();
    let epoch = metrics_om::parse_epoch(metrics_om::DEFAULT_EPOCH).unwrap() / 1000;
    let both =
        |r: &timeline_csv::TimelineRecord| r.baseline_requests > 0 && r.candidate_requests > 0;
    let steps: Vec<f64> = timeline
        .iter()
        .filter(|r| {
            r.time_s >= 600.0
                && timeline
                    .iter()
                    .filter(|p| p.time_s > r.time_s - 600.0 && p.time_s <= r.time_s)
                    .all(both)
        })
        .map(|r| r.time_s)
        .collect();
    assert!(
        steps.len() >= 20,
        "{} steps with both versions serving",
        steps.len()
    );
    let mut queries = Vec::new();
    for (policy, target) in policies_to_check() {
        let e = export::export(&policy, target, &options(GOOD_POLICY, names.clone())).unwrap();
        queries.extend(exported_in(
            &policy,
            target,
            &e.text,
            GOOD_POLICY,
            metrics_om::NAMESPACE,
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    queries.retain(|q| seen.insert(q.query.clone()));
    let mut problems = Vec::new();
    for q in &queries {
        for &t in &steps {
            match server.query(&q.query, epoch as f64 + t).single() {
                Some(v) if v.is_finite() => {}
                v => problems.push(format!("{} at t={t}: {v:?}\n  {}", q.origin, q.query)),
            }
        }
    }
    report(&problems);
    eprintln!(
        "simulated good release: {} distinct queries at {} steps, all finite",
        queries.len(),
        steps.len()
    );
}
