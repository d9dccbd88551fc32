//! What a PromQL query measures: the measure, its scale, its window, and whether it is
//! rollcage's own relative form, read from the query's shape and not from its metric
//! or label names wherever the shape says enough.
//!
//! **Parser: hand-written, not the `promql-parser` crate.** `promql-parser` 0.11 brings
//! about 40 crates the workspace does not have (the grmtools parser generator, which
//! builds its grammar in a build script, chrono, time, vergen, bincode): a scratch crate
//! depending on it took 56 s for a cold `cargo build --release` on this 2-core machine,
//! against 0.3 s without it (the workspace already builds a few of those crates, such as
//! regex and syn, so the marginal cost is somewhat lower, but the new crates and the
//! grammar's build script remain), and the project's cold set-up (build and tests) is at
//! its 8-minute budget. The recogniser needs a tree, not Prometheus's evaluation, and the
//! grammar of an expression is small: `parse` (this module's child) reads all of it
//! (selectors, ranges, subqueries, offsets, calls, aggregations, binary operators with
//! their modifiers) in a few hundred lines, with its own bounds on length and depth so
//! that no input can make it panic or run long.
//!
//! # Shapes recognised
//!
//! - **Error ratio or success rate** of a request counter by status:
//!   `sum(rate(R{..., C}[w])) / sum(rate(R{...}[w]))` where `C`, the one matcher the
//!   numerator adds, is a class of server errors (`=~"5.."`, `=~"5.*"`, `="5xx"`, Linkerd's
//!   `classification="failure"`) or its complement (`!~"5.."`, `!~"5.*"`,
//!   `classification!="failure"`); `rate`, `irate` or `increase`; `sum` or `sum by
//!   (...)`; with or without `or vector(0)` on the numerator and `> 0` on the
//!   denominator; `* 100` for a percentage; `1 - ...` or `100 - ...` for the complement.
//!   A histogram's `_bucket{le="+Inf"}` counts requests too (Traefik, Skipper).
//! - **Latency quantile**: `histogram_quantile(q, sum by (le) (rate(H_bucket[w])))`
//!   (or `sum(...) by (le)`), in the unit the histogram's name says (`_seconds`,
//!   `_milliseconds`, `_ms`, `_microseconds`), times 1000 for seconds to milliseconds.
//! - **Mean latency** `sum(rate(H_sum[w])) / sum(rate(H_count[w]))` is recognised so
//!   that the importer can say why it is refused: rollcage gates quantiles.
//! - **Container restarts**: `increase`, `changes` or `delta` of a `*_restarts_total`
//!   counter (kube-state-metrics' `kube_pod_container_status_restarts_total`), summed
//!   or not.
//! - What rollcage's own exports write besides (`export::promql`): the largest memory
//!   `max(max_over_time(M_bytes[w])) / 1048576`, the KPI (a counter per successful
//!   request), lost sessions, the `and on() (sum(increase(R[w])) >= N)` guard of
//!   `min_samples`, and the relative form `(candidate) - (T * (baseline) + S)`, whose
//!   baseline may look back (`or last_over_time((...)[1h:1m])`), read back with its
//!   threshold `T` and slack `S`.
//!
//! Anything else is a [`QueryError`] that says in words what was not understood.
//!
//! # `--map-metric` kinds
//!
//! A query rollcage cannot recognise can be told what it measures
//! (`--map-metric TEMPLATE/METRIC=KIND`, [`parse_kind`], then [`recognise_as`], which
//! still reads the window from the query's range selectors). The kinds:
//!
//! | KIND | the query's value |
//! |---|---|
//! | `error_ratio`, `error_percent` | failed requests per request, as 0–1 or 0–100 |
//! | `success_ratio`, `success_percent` | successful requests per request, 0–1 or 0–100 |
//! | `latency_pQ_ms`, `latency_pQ_s`, `latency_pQ_us` | the Q-th percentile latency (`latency_p99_ms`, `latency_p99.9_s`), in ms, s or µs |
//! | `restarts` | container restarts in the window |
//! | `memory_mb`, `memory_bytes` | the largest instance's memory, MiB or bytes |
//! | `kpi` | business conversions per successful request (higher is better) |
//! | `sessions_lost` | sessions lost in the window |

mod parse;

use std::fmt;

use parse::{Agg, BinOp, Binary, Dur, Expr, MatchOp, Matcher, Selector};
pub use parse::{MAX_DEPTH, MAX_QUERY_BYTES};

/// How a share is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// 0 to 1.
    Ratio,
    /// 0 to 100 (`* 100`).
    Percent,
}

impl Scale {
    /// The value of "everything": 1 or 100.
    pub fn whole(self) -> f64 {
        match self {
            Scale::Ratio => 1.0,
            Scale::Percent => 100.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Milliseconds,
    Microseconds,
}

impl TimeUnit {
    /// Milliseconds in one unit: rollcage's latency gates are in ms.
    pub fn millis(self) -> f64 {
        match self {
            TimeUnit::Seconds => 1000.0,
            TimeUnit::Milliseconds => 1.0,
            TimeUnit::Microseconds => 0.001,
        }
    }

    fn seconds(self) -> f64 {
        self.millis() / 1000.0
    }

    fn suffix(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "s",
            TimeUnit::Milliseconds => "ms",
            TimeUnit::Microseconds => "us",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryUnit {
    Bytes,
    /// 1048576 bytes, rollcage's `memory_mb`.
    Mebibytes,
}

/// What a query's value is, with its scale or unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Measure {
    /// Failed (5xx) requests per request.
    ErrorRatio(Scale),
    /// Requests other than 5xx per request.
    SuccessRatio(Scale),
    /// A latency quantile (0 < q < 1).
    LatencyQuantile { quantile: f64, unit: TimeUnit },
    /// Mean latency, a histogram's `_sum / _count`: no rollcage gate reads it.
    LatencyMean(TimeUnit),
    /// Container restarts in the window.
    Restarts,
    /// The largest instance's working-set memory.
    Memory(MemoryUnit),
    /// Conversions per successful request; higher is better.
    Kpi,
    /// Sessions lost in the window.
    SessionsLost,
}

impl Measure {
    /// The `--map-metric` word for this measure ([`parse_kind`] reads it back).
    pub fn kind(&self) -> String {
        match self {
            Measure::ErrorRatio(Scale::Ratio) => "error_ratio".into(),
            Measure::ErrorRatio(Scale::Percent) => "error_percent".into(),
            Measure::SuccessRatio(Scale::Ratio) => "success_ratio".into(),
            Measure::SuccessRatio(Scale::Percent) => "success_percent".into(),
            Measure::LatencyQuantile { quantile, unit } => {
                format!("latency_p{}_{}", percent_text(*quantile), unit.suffix())
            }
            Measure::LatencyMean(unit) => format!("latency_mean_{}", unit.suffix()),
            Measure::Restarts => "restarts".into(),
            Measure::Memory(MemoryUnit::Mebibytes) => "memory_mb".into(),
            Measure::Memory(MemoryUnit::Bytes) => "memory_bytes".into(),
            Measure::Kpi => "kpi".into(),
            Measure::SessionsLost => "sessions_lost".into(),
        }
    }

    /// The measure in words, for messages.
    pub fn describe(&self) -> String {
        match self {
            Measure::ErrorRatio(Scale::Ratio) => "an error ratio".into(),
            Measure::ErrorRatio(Scale::Percent) => "an error percentage".into(),
            Measure::SuccessRatio(Scale::Ratio) => "a success ratio".into(),
            Measure::SuccessRatio(Scale::Percent) => "a success percentage".into(),
            Measure::LatencyQuantile { quantile, unit } => format!(
                "the p{} latency in {}",
                percent_text(*quantile),
                unit.suffix()
            ),
            Measure::LatencyMean(unit) => format!("a mean latency in {}", unit.suffix()),
            Measure::Restarts => "container restarts".into(),
            Measure::Memory(MemoryUnit::Mebibytes) => "memory in MiB".into(),
            Measure::Memory(MemoryUnit::Bytes) => "memory in bytes".into(),
            Measure::Kpi => "the business KPI (conversions per successful request)".into(),
            Measure::SessionsLost => "lost sessions".into(),
        }
    }
}

/// `q` as a percentile's text: 0.99 is `99`, 0.999 is `99.9`, 0.05 is `5`, exactly
/// (decimal digits moved, never a product that rounds).
fn percent_text(q: f64) -> String {
    let s = format!("{q}");
    let Some(frac) = s.strip_prefix("0.") else {
        return format!("{}", q * 100.0);
    };
    let mut digits: String = frac.to_string();
    while digits.len() < 2 {
        digits.push('0');
    }
    let (int, rest) = digits.split_at(2);
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    if rest.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{rest}")
    }
}

/// The window a query reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Window {
    Seconds(f64),
    /// A template placeholder, by its inner text: Flagger's `interval` (the metric's
    /// interval), or an Argo argument left unresolved.
    Variable(String),
}

/// Whether the value is the measure itself or rollcage's relative margin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Form {
    Absolute,
    /// `candidate − (threshold × baseline + offset)`, in the query's own units. The
    /// offset is rollcage's slack (`+ S`, or `- S` for a KPI, where the bound is a
    /// minimum). `None`: no offset term at all, the shape rollcage's export gives a
    /// Mann-Whitney gate (`candidate − threshold × baseline`).
    Relative {
        threshold: f64,
        offset: Option<f64>,
    },
}

/// What the controller hands to the condition. Argo's Prometheus provider gives an
/// instant vector as a list (`result[0]`) and a scalar as a number (`result`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultKind {
    Vector,
    /// The query is `scalar(...)`: a number, never empty (NaN instead).
    Scalar,
}

/// What a query measures.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    pub measure: Measure,
    pub window: Window,
    pub form: Form,
    pub result: ResultKind,
    /// The candidate's traffic guard (`and on() (sum(increase(R[w])) >= N)`): fewer
    /// requests in the window give an empty result. rollcage's `min_samples`.
    pub min_requests: Option<u64>,
    /// The counter the query divides or counts is one client libraries create at its
    /// first increment (5xx responses, conversions, lost sessions) and the query has no
    /// `or vector(0)`: until the candidate's first such event the result is empty (an
    /// Error in Argo, "no values" in Flagger), where rollcage's gate reads 0.
    pub empty_before_first_count: bool,
    /// What the shape implies that rollcage reads differently, for the importer to list.
    pub notes: Vec<String>,
}

/// What was not understood, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

fn fail<T>(msg: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError(msg.into()))
}

fn show(e: &Expr) -> String {
    format!("`{}`", parse::show(e, 160))
}

fn parsed(query: &str) -> Result<Expr, QueryError> {
    parse::parse(query)
        .map_err(|e| QueryError(format!("not a PromQL query rollcage can read: {e}")))
}

/// Counts a gate reads as they are.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Count {
    Restarts,
    SessionsLost,
}

impl Count {
    fn words(self) -> &'static str {
        match self {
            Count::Restarts => "restarts",
            Count::SessionsLost => "lost sessions",
        }
    }
}

/// A value on the way to a [`Measure`]: scales and units are factors until the end.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Val {
    /// Errors (or successes) per request, times `scale`.
    Ratio {
        errors: bool,
        scale: f64,
    },
    Kpi {
        scale: f64,
    },
    /// `unit`: seconds in one unit of the value.
    Quantile {
        q: f64,
        unit: f64,
    },
    Mean {
        unit: f64,
    },
    Count(Count),
    /// `bytes`: bytes in one unit of the value.
    Memory {
        bytes: f64,
    },
}

#[derive(Clone, Debug)]
struct Measured {
    val: Val,
    window: Dur,
    min_requests: Option<u64>,
    first_count: bool,
}

#[derive(Default)]
struct Cx {
    notes: Vec<String>,
}

impl Cx {
    fn note(&mut self, n: String) {
        if !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }
}

/// Reads what `query` measures.
pub fn recognise(query: &str) -> Result<Shape, QueryError> {
    let tree = parsed(query)?;
    let mut cx = Cx::default();
    let (body, result) = scalar(&tree);
    let (body, guard) = strip_guards(body, &mut cx)?;
    let (m, form) = match relative_parts(body) {
        Some(r) => relative(r, guard, &mut cx)?,
        None => {
            let mut m = measured(body, &mut cx)?;
            m.min_requests = most(guard, m.min_requests);
            (m, Form::Absolute)
        }
    };
    let measure = finish(m.val)?;
    Ok(Shape {
        measure,
        window: window(&m.window),
        form,
        result,
        min_requests: m.min_requests,
        empty_before_first_count: m.first_count,
        notes: cx.notes,
    })
}

/// The shape of a query the user says measures `measure` (`--map-metric`): the window
/// is the one its range selectors share.
pub fn recognise_as(query: &str, measure: Measure) -> Result<Shape, QueryError> {
    let tree = parsed(query)?;
    let (_, result) = scalar(&tree);
    let mut ranges = Vec::new();
    collect_ranges(&tree, &mut ranges);
    let mut unique: Vec<&Dur> = Vec::new();
    for r in ranges {
        if !unique.contains(&r) {
            unique.push(r);
        }
    }
    let window = match unique.as_slice() {
        [] => {
            return fail(
                "the query reads no range selector (such as `[5m]`), so rollcage cannot tell its window",
            );
        }
        [w] => window(w),
        ws => {
            let texts: Vec<String> = ws.iter().map(|w| dur_text(w)).collect();
            return fail(format!(
                "the query reads ranges of {}: a rollcage gate has one window",
                texts.join(" and ")
            ));
        }
    };
    Ok(Shape {
        measure,
        window,
        form: Form::Absolute,
        result,
        min_requests: None,
        empty_before_first_count: false,
        notes: vec![format!(
            "what the query measures is as --map-metric says ({}), not recognised from the query",
            measure.kind()
        )],
    })
}

/// A `--map-metric` KIND (the table in the module doc).
pub fn parse_kind(s: &str) -> Result<Measure, String> {
    let simple = match s {
        "error_ratio" => Some(Measure::ErrorRatio(Scale::Ratio)),
        "error_percent" => Some(Measure::ErrorRatio(Scale::Percent)),
        "success_ratio" => Some(Measure::SuccessRatio(Scale::Ratio)),
        "success_percent" => Some(Measure::SuccessRatio(Scale::Percent)),
        "restarts" => Some(Measure::Restarts),
        "memory_mb" => Some(Measure::Memory(MemoryUnit::Mebibytes)),
        "memory_bytes" => Some(Measure::Memory(MemoryUnit::Bytes)),
        "kpi" => Some(Measure::Kpi),
        "sessions_lost" => Some(Measure::SessionsLost),
        _ => None,
    };
    if let Some(m) = simple {
        return Ok(m);
    }
    const KINDS: &str = "error_ratio, error_percent, success_ratio, success_percent, latency_pQ_ms, latency_pQ_s, latency_pQ_us (latency_p99_ms, latency_p99.9_s), restarts, memory_mb, memory_bytes, kpi, sessions_lost";
    let Some(rest) = s.strip_prefix("latency_p") else {
        return Err(format!("unknown kind {s:?}: one of {KINDS}"));
    };
    let Some((pct, unit)) = rest.rsplit_once('_') else {
        return Err(format!(
            "kind {s:?} names no unit: latency_pQ_ms, latency_pQ_s or latency_pQ_us"
        ));
    };
    let unit = match unit {
        "ms" => TimeUnit::Milliseconds,
        "s" => TimeUnit::Seconds,
        "us" => TimeUnit::Microseconds,
        u => {
            return Err(format!("kind {s:?}: unit {u:?} is none of ms, s, us"));
        }
    };
    let well_formed = !pct.is_empty()
        && pct.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && pct.bytes().filter(|&b| b == b'.').count() <= 1
        && !pct.starts_with('.')
        && !pct.ends_with('.');
    // Parsing the decimal text shifted by two places gives the double nearest the
    // quantile itself (99.9 becomes exactly the 0.999 a manifest would hold).
    let q = format!("{pct}e-2")
        .parse::<f64>()
        .ok()
        .filter(|_| well_formed);
    match q {
        Some(q) if q > 0.0 && q < 1.0 => Ok(Measure::LatencyQuantile { quantile: q, unit }),
        _ => Err(format!(
            "kind {s:?}: the percentile {pct:?} is not a number between 0 and 100 (exclusive)"
        )),
    }
}

fn scalar(tree: &Expr) -> (&Expr, ResultKind) {
    match tree.unparen() {
        Expr::Call(f, args) if f == "scalar" && args.len() == 1 => (&args[0], ResultKind::Scalar),
        t => (t, ResultKind::Vector),
    }
}

fn window(d: &Dur) -> Window {
    match d {
        Dur::Seconds(s) => Window::Seconds(*s),
        Dur::Template(t) => Window::Variable(t.clone()),
    }
}

fn dur_text(d: &Dur) -> String {
    match d {
        Dur::Seconds(s) => format!("{s}s"),
        Dur::Template(t) => format!("{{{{ {t} }}}}"),
    }
}

fn collect_ranges<'a>(e: &'a Expr, out: &mut Vec<&'a Dur>) {
    match e {
        Expr::Range(_, d) => out.push(d),
        Expr::Subquery { expr, .. } | Expr::Neg(expr) | Expr::Paren(expr) => {
            collect_ranges(expr, out)
        }
        Expr::Shifted(expr, _) => collect_ranges(expr, out),
        Expr::Call(_, args) => args.iter().for_each(|a| collect_ranges(a, out)),
        Expr::Agg(a) => collect_ranges(&a.expr, out),
        Expr::Binary(b) => {
            collect_ranges(&b.lhs, out);
            collect_ranges(&b.rhs, out);
        }
        Expr::Num(_) | Expr::Str(_) | Expr::Template(_) | Expr::Selector(_) => {}
    }
}

fn most(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

fn num(e: &Expr) -> Option<f64> {
    match e.unparen() {
        Expr::Num(n) => Some(*n),
        Expr::Neg(inner) => match inner.unparen() {
            Expr::Num(n) => Some(-*n),
            _ => None,
        },
        _ => None,
    }
}

/// `f(S[w])` for a rate-like `f`: the function, the selector and the window.
fn rate_of(e: &Expr) -> Option<(&str, &Selector, &Dur)> {
    let Expr::Call(f, args) = e.unparen() else {
        return None;
    };
    if !matches!(f.as_str(), "rate" | "irate" | "increase") {
        return None;
    }
    match args.as_slice() {
        [Expr::Range(s, w)] => Some((f.as_str(), s, w)),
        _ => None,
    }
}

/// `sum(rate(S[w]))`, `sum by (...) (increase(S[w]))` or an unaggregated `rate(S[w])`.
struct CountSum<'a> {
    agg: Option<&'a Agg>,
    func: &'a str,
    sel: &'a Selector,
    window: &'a Dur,
}

fn count_sum(e: &Expr) -> Option<CountSum<'_>> {
    let e = e.unparen();
    let (agg, inner) = match e {
        Expr::Agg(a) if a.param.is_none() => (Some(a), a.expr.as_ref()),
        other => (None, other),
    };
    let (func, sel, window) = rate_of(inner)?;
    Some(CountSum {
        agg,
        func,
        sel,
        window,
    })
}

/// A traffic guard on the right of `and`: `Some(Some(N))` for at least N requests in
/// the window (`sum(increase(R[w])) >= N`), `Some(None)` for "some traffic" (`... > 0`).
fn traffic_guard(e: &Expr) -> Option<Option<u64>> {
    let Expr::Binary(b) = e.unparen() else {
        return None;
    };
    if b.bool_mod || b.matching.is_some() {
        return None;
    }
    let n = num(&b.rhs)?;
    let cs = count_sum(&b.lhs)?;
    cs.agg.filter(|a| a.op == "sum")?;
    match b.op {
        BinOp::Gt if n == 0.0 => Some(None),
        BinOp::Ge if cs.func == "increase" && n.fract() == 0.0 && (0.0..=1e15).contains(&n) => {
            Some(Some(n as u64))
        }
        _ => None,
    }
}

/// Strips `X and on() (guard)` (any number of them), returning `X` and the largest
/// request count a guard asks for.
fn strip_guards<'a>(e: &'a Expr, _cx: &mut Cx) -> Result<(&'a Expr, Option<u64>), QueryError> {
    let mut e = e.unparen();
    let mut min = None;
    while let Expr::Binary(b) = e
        && b.op == BinOp::And
    {
        let plain = b
            .matching
            .as_ref()
            .is_none_or(|m| m.on && m.labels.is_empty() && m.group.is_none());
        match traffic_guard(&b.rhs) {
            Some(g) if plain => min = most(min, g),
            _ => {
                return fail(format!(
                    "in {}, the right side of `and` is no traffic guard (`sum(increase(requests[w])) >= N` or `sum(rate(...)) > 0`), so rollcage cannot tell what it filters",
                    show(e)
                ));
            }
        }
        e = b.lhs.unparen();
    }
    Ok((e, min))
}

struct Rel<'a> {
    cand: &'a Expr,
    threshold: f64,
    offset: Option<f64>,
    base: &'a Expr,
}

/// `(C) - (T * (B) + S)`, `(C) - (T * (B) - S)` or `(C) - (T * (B))`.
fn relative_parts(e: &Expr) -> Option<Rel<'_>> {
    let Expr::Binary(b) = e.unparen() else {
        return None;
    };
    if b.op != BinOp::Sub || b.matching.is_some() || num(&b.lhs).is_some() {
        return None;
    }
    let scaled = factor;
    let rhs = b.rhs.unparen();
    if let Expr::Binary(a) = rhs
        && matches!(a.op, BinOp::Add | BinOp::Sub)
        && a.matching.is_none()
        && let Some(s) = num(&a.rhs)
        && let Some((threshold, base)) = scaled(&a.lhs)
    {
        let offset = if a.op == BinOp::Add { s } else { -s };
        return Some(Rel {
            cand: &b.lhs,
            threshold,
            offset: Some(offset + 0.0),
            base,
        });
    }
    let (threshold, base) = scaled(rhs)?;
    Some(Rel {
        cand: &b.lhs,
        threshold,
        offset: None,
        base,
    })
}

fn relative(r: Rel<'_>, guard: Option<u64>, cx: &mut Cx) -> Result<(Measured, Form), QueryError> {
    if !r.threshold.is_finite() || r.offset.is_some_and(|o| !o.is_finite()) {
        return fail("the relative form's threshold or slack is not a finite number");
    }
    let mut cand = measured(r.cand, cx)?;
    let base = baseline(r.base, cx)?;
    if cand.val != base.val {
        return fail(format!(
            "a difference of {} and {} times {}: rollcage's relative form subtracts a multiple of the same measure of the baseline",
            val_words(cand.val),
            r.threshold,
            val_words(base.val)
        ));
    }
    if cand.window != base.window {
        return fail(format!(
            "the candidate is read over {}, the baseline over {}: a relative gate has one window",
            dur_text(&cand.window),
            dur_text(&base.window)
        ));
    }
    let cand_min = most(guard, cand.min_requests);
    if base.min_requests != cand_min {
        cx.note(format!(
            "the baseline's traffic guard asks for {} requests and the candidate's for {}; rollcage's min_samples holds for both, and is the candidate's",
            base.min_requests.unwrap_or(0),
            cand_min.unwrap_or(0)
        ));
    }
    cand.min_requests = cand_min;
    Ok((
        cand,
        Form::Relative {
            threshold: r.threshold,
            offset: r.offset,
        },
    ))
}

/// The baseline of the relative form: the measure, or the measure `or` its look back
/// over the latest window that had traffic (`last_over_time((M)[1h:1m])`).
fn baseline(e: &Expr, cx: &mut Cx) -> Result<Measured, QueryError> {
    if let Expr::Binary(b) = e.unparen()
        && b.op == BinOp::Or
        && let Expr::Call(f, args) = b.rhs.unparen()
        && f == "last_over_time"
    {
        let [Expr::Subquery { expr, .. }] = args.as_slice() else {
            return fail(format!(
                "the baseline's look back {} is not `last_over_time((baseline)[lookback:step])`",
                show(&b.rhs)
            ));
        };
        if expr.unparen() != b.lhs.unparen() {
            return fail(format!(
                "the baseline's look back {} does not repeat the baseline {}",
                show(&b.rhs),
                show(&b.lhs)
            ));
        }
        return measured(&b.lhs, cx);
    }
    measured(e, cx)
}

fn measured(e: &Expr, cx: &mut Cx) -> Result<Measured, QueryError> {
    let e = e.unparen();
    match e {
        Expr::Binary(b) => binary(e, b, cx),
        Expr::Call(f, args) if f == "histogram_quantile" => quantile(args, cx),
        Expr::Call(..) | Expr::Agg(_) => series(e, cx),
        Expr::Num(n) => fail(format!("the number {n} alone measures nothing")),
        Expr::Selector(_) => fail(format!(
            "{} is read at one instant, without a range: it has no window and counts nothing in one",
            show(e)
        )),
        Expr::Range(..) => fail(format!(
            "{} is a range of raw samples, not one value",
            show(e)
        )),
        Expr::Subquery { .. } => fail(format!("{} is a subquery, not one value", show(e))),
        Expr::Shifted(_, m) => fail(format!(
            "{}: `{m}` reads another time than the analysis's own, which rollcage cannot simulate",
            show(e)
        )),
        Expr::Template(t) => fail(format!(
            "the template {{{{ {t} }}}} stands where an expression should: resolve it before import"
        )),
        Expr::Str(s) => fail(format!("the string {s:?} is no measurement")),
        Expr::Neg(_) => fail(format!("{} negates a measurement", show(e))),
        Expr::Paren(inner) => measured(inner, cx),
    }
}

fn binary(e: &Expr, b: &Binary, cx: &mut Cx) -> Result<Measured, QueryError> {
    match b.op {
        BinOp::And => {
            let (inner, min) = strip_guards(e, cx)?;
            let mut m = measured(inner, cx)?;
            m.min_requests = most(m.min_requests, min);
            Ok(m)
        }
        BinOp::Or if is_vector0(&b.rhs) => {
            let mut m = measured(&b.lhs, cx)?;
            m.first_count = false;
            Ok(m)
        }
        BinOp::Or => fail(format!(
            "{} falls back on {} where the first has no value: rollcage reads one measure (`or vector(0)` aside, and the relative form's baseline look back)",
            show(&b.lhs),
            show(&b.rhs)
        )),
        BinOp::Mul => match (num(&b.lhs), num(&b.rhs)) {
            (Some(f), None) => scale(measured(&b.rhs, cx)?, f, e),
            (None, Some(f)) => scale(measured(&b.lhs, cx)?, f, e),
            (Some(_), Some(_)) => fail(format!("{} is a constant", show(e))),
            (None, None) => fail(format!("{} multiplies two measurements", show(e))),
        },
        BinOp::Div => match (num(&b.lhs), num(&b.rhs)) {
            (_, Some(f)) if f != 0.0 => scale(measured(&b.lhs, cx)?, 1.0 / f, e),
            (Some(_), _) | (_, Some(_)) => fail(format!(
                "{} divides by a measurement or by zero: no shape rollcage recognises",
                show(e)
            )),
            // `100 * a / b` is `(100 * a) / b`: the factor scales the ratio.
            (None, None) => match factor(&b.lhs) {
                Some((k, top)) => scale(ratio(e, top, &b.rhs, b, cx)?, k, e),
                None => ratio(e, &b.lhs, &b.rhs, b, cx),
            },
        },
        BinOp::Sub => match num(&b.lhs) {
            Some(k) if num(&b.rhs).is_none() => complement(measured(&b.rhs, cx)?, k, e),
            _ => fail(format!(
                "{} is a difference that is not rollcage's relative form, `(candidate) - (threshold * (baseline) + slack)`",
                show(e)
            )),
        },
        op if op.is_comparison() => fail(format!(
            "{} filters the result by a comparison: the bound belongs in the condition (successCondition, thresholdRange)",
            show(e)
        )),
        _ => fail(format!("{}: no shape rollcage recognises", show(e))),
    }
}

/// `k * X` or `X * k`: the number and the rest.
fn factor(e: &Expr) -> Option<(f64, &Expr)> {
    let Expr::Binary(m) = e.unparen() else {
        return None;
    };
    if m.op != BinOp::Mul || m.matching.is_some() {
        return None;
    }
    match (num(&m.lhs), num(&m.rhs)) {
        (Some(k), None) => Some((k, &m.rhs)),
        (None, Some(k)) => Some((k, &m.lhs)),
        _ => None,
    }
}

fn is_vector0(e: &Expr) -> bool {
    matches!(e.unparen(), Expr::Call(f, a) if f == "vector" && a.len() == 1 && num(&a[0]) == Some(0.0))
}

fn scale(mut m: Measured, f: f64, e: &Expr) -> Result<Measured, QueryError> {
    if !f.is_finite() || f == 0.0 {
        return fail(format!("{} scales by {f}", show(e)));
    }
    m.val = match m.val {
        Val::Ratio { errors, scale } => Val::Ratio {
            errors,
            scale: scale * f,
        },
        Val::Kpi { scale } => Val::Kpi { scale: scale * f },
        Val::Quantile { q, unit } => Val::Quantile { q, unit: unit / f },
        Val::Mean { unit } => Val::Mean { unit: unit / f },
        Val::Memory { bytes } => Val::Memory { bytes: bytes / f },
        Val::Count(c) => {
            return fail(format!(
                "{} scales a count of {} by {f}: rollcage counts them as they are",
                show(e),
                c.words()
            ));
        }
    };
    Ok(m)
}

fn complement(mut m: Measured, k: f64, e: &Expr) -> Result<Measured, QueryError> {
    match m.val {
        Val::Ratio { errors, scale } if close(k, scale) => {
            m.val = Val::Ratio {
                errors: !errors,
                scale,
            };
            Ok(m)
        }
        Val::Ratio { scale, .. } => fail(format!(
            "{}: {k} minus a share scaled by {scale} is no complement (1 - ratio, or 100 - percentage)",
            show(e)
        )),
        v => fail(format!(
            "{}: {k} minus {} is no shape rollcage recognises",
            show(e),
            val_words(v)
        )),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-300)
}

/// The status class a matcher selects: `Some(true)` server errors, `Some(false)` the
/// rest.
fn status_class(m: &Matcher) -> Option<bool> {
    let v = m.value.trim();
    let v = v.strip_prefix('^').unwrap_or(v);
    let v = v.strip_suffix('$').unwrap_or(v);
    let five_re = [
        "5..",
        "5.*",
        "5.+",
        "5\\d\\d",
        "5\\d{2}",
        "5[0-9][0-9]",
        "5[0-9]{2}",
        "5xx",
        "5XX",
    ]
    .contains(&v);
    let five_eq = v.eq_ignore_ascii_case("5xx");
    match m.op {
        MatchOp::Re if five_re => Some(true),
        MatchOp::Nre if five_re => Some(false),
        MatchOp::Eq if five_eq || v == "failure" => Some(true),
        MatchOp::Ne if five_eq || v == "failure" => Some(false),
        MatchOp::Eq if v == "success" => Some(false),
        MatchOp::Ne if v == "success" => Some(true),
        _ => None,
    }
}

/// Seconds in one unit of a histogram named `base` (its name without `_bucket`, `_sum`
/// or `_count`), from the last unit word of the name.
fn unit_of(base: &str) -> Option<f64> {
    base.rsplit('_').find_map(|w| match w {
        "seconds" | "second" => Some(1.0),
        "milliseconds" | "millisecond" | "millis" | "ms" => Some(1e-3),
        "microseconds" | "microsecond" | "micros" | "us" => Some(1e-6),
        _ => None,
    })
}

/// A request counter's ratio: errors or successes per request, the mean latency, or
/// the KPI.
fn ratio(
    e: &Expr,
    top: &Expr,
    bottom: &Expr,
    b: &Binary,
    cx: &mut Cx,
) -> Result<Measured, QueryError> {
    if b.matching.is_some() {
        return fail(format!(
            "{} divides series matched by their labels (`on`/`ignoring`): rollcage reads a ratio of two sums",
            show(e)
        ));
    }
    let (num_e, zero_filled) = match top.unparen() {
        Expr::Binary(o) if o.op == BinOp::Or && is_vector0(&o.rhs) => (&o.lhs, true),
        _ => (top, false),
    };
    let den_e = match bottom.unparen() {
        Expr::Binary(c)
            if matches!(c.op, BinOp::Gt | BinOp::Ne) && !c.bool_mod && num(&c.rhs) == Some(0.0) =>
        {
            &c.lhs
        }
        _ => bottom,
    };
    let (Some(n), Some(d)) = (count_sum(num_e), count_sum(den_e)) else {
        return fail(format!(
            "{} divides {} by {}, where rollcage reads a ratio of two sums of rate() or increase() of counters",
            show(e),
            show(num_e),
            show(den_e)
        ));
    };
    let (Some(na), Some(da)) = (n.agg, d.agg) else {
        return fail(format!(
            "{} divides unaggregated rates, which matches their series one to one by all their labels: sum each side",
            show(e)
        ));
    };
    if na.op != "sum" || da.op != "sum" {
        return fail(format!(
            "{} divides {}() by {}() of rates: rollcage reads a ratio of sums",
            show(e),
            na.op,
            da.op
        ));
    }
    if n.func != d.func {
        return fail(format!(
            "the numerator takes {}() and the denominator {}(): a share of requests takes the same of both",
            n.func, d.func
        ));
    }
    if n.window != d.window {
        return fail(format!(
            "the numerator is over {} and the denominator over {}: a share of requests reads one window",
            dur_text(n.window),
            dur_text(d.window)
        ));
    }
    if na.grouping != da.grouping {
        return fail(format!(
            "the numerator and the denominator of {} are grouped differently",
            show(e)
        ));
    }
    if na
        .grouping
        .as_ref()
        .is_some_and(|g| g.without || !g.labels.is_empty())
    {
        cx.note(per_group(e));
    }
    if n.func == "irate" {
        cx.note(IRATE.into());
    }
    let (Some(nn), Some(dn)) = (n.sel.metric(), d.sel.metric()) else {
        return fail(format!("{} has a selector without a metric name", show(e)));
    };
    let errors_class = |m: &Matcher| status_class(m).is_some();
    let (val, first_count) = if nn == dn {
        let errors = class(&n, &d, nn)?;
        (Val::Ratio { errors, scale: 1.0 }, errors && !zero_filled)
    } else if let (Some(nb), Some(db)) = (nn.strip_suffix("_sum"), dn.strip_suffix("_count"))
        && nb == db
    {
        if !same_labels(n.sel, d.sel) {
            return fail(format!(
                "the mean {} / {} selects different series above and below",
                nn, dn
            ));
        }
        let Some(unit) = unit_of(nb) else {
            return fail(format!(
                "the mean latency {nb} names no unit (_seconds, _milliseconds, _ms)"
            ));
        };
        (Val::Mean { unit }, false)
    } else if d.sel.labels().any(|m| status_class(m) == Some(false))
        && !n.sel.labels().any(errors_class)
    {
        cx.note(format!(
            "read as the business KPI: {nn} per successful request ({dn} other than 5xx)"
        ));
        (Val::Kpi { scale: 1.0 }, !zero_filled)
    } else {
        return fail(format!(
            "a ratio of two different counters, {nn} / {dn}: rollcage reads a share of one request counter (its 5xx or non-5xx responses per request)"
        ));
    };
    Ok(Measured {
        val,
        window: n.window.clone(),
        min_requests: None,
        first_count,
    })
}

fn same_labels(a: &Selector, b: &Selector) -> bool {
    a.labels().all(|m| b.labels().any(|x| x == m)) && b.labels().all(|m| a.labels().any(|x| x == m))
}

/// Whether a same-counter ratio is of errors (`true`) or successes: the one matcher
/// the numerator adds to the denominator's.
fn class(n: &CountSum<'_>, d: &CountSum<'_>, name: &str) -> Result<bool, QueryError> {
    if let Some(m) = d.sel.labels().find(|m| !n.sel.labels().any(|x| x == *m)) {
        return fail(format!(
            "the denominator selects {m}, which the numerator does not: not a share of the same requests"
        ));
    }
    let extra: Vec<&Matcher> = n
        .sel
        .labels()
        .filter(|m| !d.sel.labels().any(|x| x == *m))
        .collect();
    let errors = match extra.as_slice() {
        [] => {
            return fail(format!(
                "the numerator and the denominator select the same series of {name}: the ratio is 1"
            ));
        }
        [m] => match status_class(m) {
            Some(errors) => errors,
            None => {
                return fail(format!(
                    "the numerator selects {m}, which is neither the class of server errors (5xx) nor its complement, the classes rollcage's error ratio counts"
                ));
            }
        },
        ms => {
            let texts: Vec<String> = ms.iter().map(|m| m.to_string()).collect();
            return fail(format!(
                "the numerator selects {}: more than the one status class rollcage reads",
                texts.join(", ")
            ));
        }
    };
    if name.ends_with("_bucket")
        && !d
            .sel
            .labels()
            .any(|m| m.label == "le" && m.op == MatchOp::Eq && m.value == "+Inf")
    {
        return fail(format!(
            "{name} is a histogram's buckets: without le=\"+Inf\" each request is counted once per bucket"
        ));
    }
    Ok(errors)
}

const IRATE: &str = "irate() reads the last two samples in the window, not the whole window as rollcage's gate does";

fn per_group(e: &Expr) -> String {
    format!(
        "{} keeps one value per group; the controller reads one of them (Argo result[0], Flagger the last), where rollcage gates the whole candidate",
        show(e)
    )
}

fn quantile(args: &[Expr], cx: &mut Cx) -> Result<Measured, QueryError> {
    let [q, inner] = args else {
        return fail(format!(
            "histogram_quantile takes two arguments, found {}",
            args.len()
        ));
    };
    let q = match q.unparen() {
        Expr::Num(q) => *q,
        Expr::Template(t) => {
            return fail(format!(
                "the quantile is the template {{{{ {t} }}}}: resolve it before import"
            ));
        }
        other => return fail(format!("the quantile {} is not a number", show(other))),
    };
    if !(q > 0.0 && q < 1.0) {
        return fail(format!(
            "the quantile {q} is outside (0, 1), where a rollcage latency gate's quantile lies"
        ));
    }
    let (inner, min) = strip_guards(inner, cx)?;
    let Expr::Agg(a) = inner else {
        if count_sum(inner).is_some() {
            return fail(format!(
                "histogram_quantile over unaggregated buckets {} gives one quantile per series: sum them by (le)",
                show(inner)
            ));
        }
        return fail(format!(
            "histogram_quantile over {}, not a sum of rate() of bucket series",
            show(inner)
        ));
    };
    if a.op != "sum" || a.param.is_some() {
        return fail(format!(
            "histogram_quantile over {}() of buckets: rollcage reads buckets summed by (le)",
            a.op
        ));
    }
    let keeps_le = a.grouping.as_ref().is_some_and(|g| {
        let has = g.labels.iter().any(|l| l == "le");
        if g.without { !has } else { has }
    });
    if !keeps_le {
        return fail(format!(
            "{} sums the buckets without keeping `le`, the bucket bounds histogram_quantile reads: sum by (le)",
            show(inner)
        ));
    }
    if a.grouping
        .as_ref()
        .is_some_and(|g| g.without || g.labels.len() > 1)
    {
        cx.note(per_group(inner));
    }
    let Some((f, sel, w)) = rate_of(&a.expr) else {
        return fail(format!(
            "histogram_quantile over {}, not a sum of rate() of bucket series",
            show(&a.expr)
        ));
    };
    let Some(name) = sel.metric() else {
        return fail(format!("{} has no metric name", show(&a.expr)));
    };
    let Some(base) = name.strip_suffix("_bucket") else {
        return fail(format!(
            "histogram_quantile over a non-bucket series, {name}: rollcage reads a classic histogram's _bucket series summed by (le) (native histograms are not recognised)"
        ));
    };
    if sel.labels().any(|m| m.label == "le") {
        return fail(format!(
            "the bucket series {name} is filtered by le, which leaves histogram_quantile some buckets only"
        ));
    }
    if f == "irate" {
        cx.note(IRATE.into());
    }
    let Some(unit) = unit_of(base) else {
        return fail(format!(
            "the histogram {name} names no unit (_seconds, _milliseconds, _ms, _microseconds): say what the query measures with --map-metric TEMPLATE/METRIC=latency_p{}_ms (or _s)",
            percent_text(q)
        ));
    };
    Ok(Measured {
        val: Val::Quantile { q, unit },
        window: w.clone(),
        min_requests: min,
        first_count: false,
    })
}

fn count_kind(name: &str) -> Option<Count> {
    if name.ends_with("restarts_total") {
        Some(Count::Restarts)
    } else if name.contains("sessions_lost") {
        Some(Count::SessionsLost)
    } else {
        None
    }
}

/// Counts (restarts, lost sessions) and the memory gauge: `agg(f(S[w]))` or `f(S[w])`.
fn series(e: &Expr, cx: &mut Cx) -> Result<Measured, QueryError> {
    let (agg, inner) = match e {
        Expr::Agg(a) => (Some(a), a.expr.unparen()),
        other => (None, other),
    };
    if let Some(a) = agg
        && a.param.is_some()
    {
        return fail(format!(
            "{} keeps some series only: no shape rollcage recognises",
            show(e)
        ));
    }
    let Expr::Call(f, args) = inner else {
        return measured(inner, cx).and_then(|_| {
            fail(format!(
                "{}() over {}: no shape rollcage recognises",
                agg.map_or("", |a| a.op.as_str()),
                show(inner)
            ))
        });
    };
    let [Expr::Range(sel, w)] = args.as_slice() else {
        return fail(format!(
            "{}: rollcage reads {f}() of one range selector such as `x[5m]`",
            show(inner)
        ));
    };
    let Some(name) = sel.metric() else {
        return fail(format!("{} has no metric name", show(inner)));
    };
    let op = agg.map(|a| a.op.as_str());
    let grouped = agg
        .and_then(|a| a.grouping.as_ref())
        .is_some_and(|g| g.without || !g.labels.is_empty());
    let memory = name.contains("memory") && name.ends_with("bytes");
    let (val, first_count) = match (f.as_str(), count_kind(name)) {
        ("max_over_time", _) if memory => {
            if !matches!(op, None | Some("max")) {
                return fail(format!(
                    "{} takes {}() of memory: rollcage's memory gate reads the largest instance's (max)",
                    show(e),
                    op.unwrap_or_default()
                ));
            }
            (Val::Memory { bytes: 1.0 }, false)
        }
        ("increase" | "changes" | "delta", Some(c)) => {
            match op {
                None | Some("sum") => {}
                Some("max") => cx.note(format!(
                    "{} is the most {} of one series, where rollcage counts all of the candidate's: the same for a threshold of 0",
                    show(e),
                    c.words()
                )),
                Some(o) => {
                    return fail(format!(
                        "{} takes {o}() of {}: rollcage counts all of them (sum)",
                        show(e),
                        c.words()
                    ));
                }
            }
            if f == "changes" {
                cx.note(format!(
                    "changes() counts the samples where {name} moved: the restarts, while a container restarts at most once between two scrapes"
                ));
            }
            (Val::Count(c), c == Count::SessionsLost)
        }
        ("rate" | "irate", Some(c)) => {
            return fail(format!(
                "{f}() of {name} is {} per second; rollcage counts them in the window: increase()",
                c.words()
            ));
        }
        ("rate" | "irate" | "increase", None) => {
            return fail(format!(
                "a count of {name}, which is none of the counts rollcage gates: requests by status (as a share), restarts (a *_restarts_total counter), lost sessions"
            ));
        }
        _ => {
            return fail(format!(
                "{}: {f}() of {name} is no shape rollcage recognises",
                show(e)
            ));
        }
    };
    if agg.is_none() || grouped {
        cx.note(per_group(e));
    }
    Ok(Measured {
        val,
        window: w.clone(),
        min_requests: None,
        first_count,
    })
}

fn val_words(v: Val) -> String {
    match finish(v) {
        Ok(m) => m.describe(),
        Err(_) => match v {
            Val::Ratio { errors: true, .. } => "a scaled error share".into(),
            Val::Ratio { errors: false, .. } => "a scaled success share".into(),
            Val::Kpi { .. } => "a scaled KPI".into(),
            Val::Quantile { .. } | Val::Mean { .. } => "a latency in an unknown unit".into(),
            Val::Memory { .. } => "memory in an unknown unit".into(),
            Val::Count(c) => c.words().into(),
        },
    }
}

/// The measure a value is, once every factor is applied.
fn finish(v: Val) -> Result<Measure, QueryError> {
    let time = |unit: f64| {
        [
            TimeUnit::Seconds,
            TimeUnit::Milliseconds,
            TimeUnit::Microseconds,
        ]
        .into_iter()
        .find(|u| close(unit, u.seconds()))
    };
    Ok(match v {
        Val::Ratio { errors, scale } => {
            let s = if close(scale, 1.0) {
                Scale::Ratio
            } else if close(scale, 100.0) {
                Scale::Percent
            } else {
                return fail(format!(
                    "a share scaled by {scale}: neither a ratio (x 1) nor a percentage (x 100)"
                ));
            };
            if errors {
                Measure::ErrorRatio(s)
            } else {
                Measure::SuccessRatio(s)
            }
        }
        Val::Kpi { scale } if close(scale, 1.0) => Measure::Kpi,
        Val::Kpi { scale } => {
            return fail(format!(
                "the KPI scaled by {scale}: rollcage's KPI is conversions per successful request, unscaled"
            ));
        }
        Val::Quantile { q, unit } => match time(unit) {
            Some(u) => Measure::LatencyQuantile {
                quantile: q,
                unit: u,
            },
            None => {
                return fail(format!("a latency in units of {unit} s, none of s, ms, µs"));
            }
        },
        Val::Mean { unit } => match time(unit) {
            Some(u) => Measure::LatencyMean(u),
            None => {
                return fail(format!(
                    "a mean latency in units of {unit} s, none of s, ms, µs"
                ));
            }
        },
        Val::Count(Count::Restarts) => Measure::Restarts,
        Val::Count(Count::SessionsLost) => Measure::SessionsLost,
        Val::Memory { bytes } if close(bytes, 1.0) => Measure::Memory(MemoryUnit::Bytes),
        Val::Memory { bytes } if close(bytes, 1_048_576.0) => {
            Measure::Memory(MemoryUnit::Mebibytes)
        }
        Val::Memory { bytes } => {
            return fail(format!(
                "memory in units of {bytes} bytes, neither bytes nor MiB (/ 1048576)"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(q: &str) -> Shape {
        recognise(q).unwrap_or_else(|e| panic!("{q}\n{e}"))
    }

    fn refused(q: &str, want: &str) {
        match recognise(q) {
            Ok(s) => panic!("{q}\nrecognised as {s:?}, expected a refusal containing {want:?}"),
            Err(e) => assert!(e.0.contains(want), "{q}\n{e}\nexpected {want:?}"),
        }
    }

    fn secs(s: f64) -> Window {
        Window::Seconds(s)
    }

    // Success and error shares, in the shapes Argo's and Flagger's docs and Flagger's
    // built-in observers use (written here with other names).

    #[test]
    fn argo_style_success_rate_with_irate() {
        let s = ok(r#"
            sum(irate(mesh_requests_total{reporter="source", destination_service=~"{{args.svc}}", response_code!~"5.*"}[5m]))
            /
            sum(irate(mesh_requests_total{reporter="source", destination_service=~"{{args.svc}}"}[5m]))"#);
        assert_eq!(s.measure, Measure::SuccessRatio(Scale::Ratio));
        assert_eq!(s.window, secs(300.0));
        assert_eq!(s.form, Form::Absolute);
        assert_eq!(s.result, ResultKind::Vector);
        assert!(!s.empty_before_first_count);
        assert!(
            s.notes.iter().any(|n| n.contains("irate()")),
            "{:?}",
            s.notes
        );
    }

    #[test]
    fn flagger_style_success_percentages_over_the_interval() {
        // Istio-like, Linkerd-like, NGINX-like, Envoy-like (a trailing comma), and a
        // histogram's +Inf bucket counting requests (Traefik-like).
        for q in [
            r#"sum(rate(mesh_requests_total{reporter="destination", ns="{{ namespace }}", wl=~"{{ target }}", response_code!~"5.*"}[{{ interval }}])) / sum(rate(mesh_requests_total{reporter="destination", ns="{{ namespace }}", wl=~"{{ target }}"}[{{ interval }}])) * 100"#,
            r#"sum(rate(proxy_response_total{namespace="{{ namespace }}", deployment=~"{{ target }}", classification!="failure", direction="inbound"}[{{ interval }}])) / sum(rate(proxy_response_total{namespace="{{ namespace }}", deployment=~"{{ target }}", direction="inbound"}[{{ interval }}])) * 100"#,
            r#"sum(rate(ingress_requests{namespace="{{ namespace }}", ingress="{{ ingress }}", canary!="", status!~"5.*"}[{{ interval }}])) / sum(rate(ingress_requests{namespace="{{ namespace }}", ingress="{{ ingress }}", canary!=""}[{{ interval }}])) * 100"#,
            r#"sum(rate(upstream_rq{cluster=~"{{ namespace }}_{{ service }}-canary_[0-9a-z-]+", upstream_response_code!~"5.*"}[{{ interval }}])) / sum(rate(upstream_rq{cluster=~"{{ namespace }}_{{ service }}-canary_[0-9a-z-]+",}[{{ interval }}])) * 100"#,
            r#"sum(rate(svc_duration_seconds_bucket{service=~"{{ target }}", code!~"5..", le="+Inf"}[{{ interval }}])) / sum(rate(svc_duration_seconds_bucket{service=~"{{ target }}", le="+Inf"}[{{ interval }}])) * 100"#,
            // A histogram's _count counts requests too (Flagger's plain Kubernetes one).
            r#"sum(rate(req_duration_seconds_count{ns="{{ namespace }}", pod=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", status!~"5.*"}[{{ interval }}])) / sum(rate(req_duration_seconds_count{ns="{{ namespace }}", pod=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) * 100"#,
        ] {
            let s = ok(q);
            assert_eq!(s.measure, Measure::SuccessRatio(Scale::Percent), "{q}");
            assert_eq!(s.window, Window::Variable("interval".into()), "{q}");
        }
    }

    #[test]
    fn error_ratios_by_status_class() {
        for q in [
            r#"sum(rate(http_requests_total{app="a", code=~"5.."}[2m])) / sum(rate(http_requests_total{app="a"}[2m]))"#,
            r#"sum(increase(reqs{status=~"5.*"}[2m])) / sum(increase(reqs[2m]))"#,
            r#"(sum(rate(reqs{status_class="5xx"}[2m])) or vector(0)) / (sum(rate(reqs[2m])) > 0)"#,
            r#"sum(rate(response_total{classification="failure"}[2m])) / sum(rate(response_total[2m]))"#,
            r#"sum(rate(reqs{code=~"^5[0-9]{2}$"}[2m])) / sum(rate(reqs[2m]))"#,
            r#"1 - sum(rate(reqs{code!~"5.."}[2m])) / sum(rate(reqs[2m]))"#,
        ] {
            let s = ok(q);
            assert_eq!(s.measure, Measure::ErrorRatio(Scale::Ratio), "{q}");
            assert_eq!(s.window, secs(120.0), "{q}");
        }
        // A success percentage's complement is an error percentage; a ratio's
        // complement times 100 too.
        for q in [
            r#"100 - sum(rate(reqs{code!~"5.."}[1m])) / sum(rate(reqs[1m])) * 100"#,
            r#"(1 - sum(rate(reqs{code!~"5.."}[1m])) / sum(rate(reqs[1m]))) * 100"#,
            r#"100 * sum(rate(reqs{code=~"5.."}[1m])) / sum(rate(reqs[1m]))"#,
        ] {
            assert_eq!(ok(q).measure, Measure::ErrorRatio(Scale::Percent), "{q}");
        }
    }

    #[test]
    fn scale_one_hundred_is_a_percentage_and_one_a_ratio() {
        let base = r#"sum(rate(reqs{code=~"5.."}[1m])) / sum(rate(reqs[1m]))"#;
        assert_eq!(
            ok(&format!("{base} * 1")).measure,
            Measure::ErrorRatio(Scale::Ratio)
        );
        assert_eq!(
            ok(&format!("{base} * 100")).measure,
            Measure::ErrorRatio(Scale::Percent)
        );
        assert_eq!(
            ok(&format!("({base} * 1000) / 10")).measure,
            Measure::ErrorRatio(Scale::Percent)
        );
        refused(
            &format!("{base} * 10"),
            "neither a ratio (x 1) nor a percentage",
        );
        refused(&format!("{base} * 100.5"), "neither a ratio");
        refused(&format!("100 - {base}"), "no complement");
    }

    #[test]
    fn a_missing_error_series_empties_the_query_unless_zero_filled() {
        let bare = r#"sum(rate(reqs{code=~"5.."}[1m])) / sum(rate(reqs[1m]))"#;
        assert!(ok(bare).empty_before_first_count);
        let filled = r#"(sum(rate(reqs{code=~"5.."}[1m])) or vector(0)) / sum(rate(reqs[1m]))"#;
        assert!(!ok(filled).empty_before_first_count);
        // A success share's numerator exists as soon as anything succeeds.
        let success = r#"sum(rate(reqs{code!~"5.."}[1m])) / sum(rate(reqs[1m]))"#;
        assert!(!ok(success).empty_before_first_count);
    }

    #[test]
    fn grouped_sums_are_read_with_a_note() {
        let s = ok(r#"sum by (svc) (rate(reqs{code=~"5.."}[1m])) / sum by (svc) (rate(reqs[1m]))"#);
        assert_eq!(s.measure, Measure::ErrorRatio(Scale::Ratio));
        assert!(
            s.notes.iter().any(|n| n.contains("one value per group")),
            "{:?}",
            s.notes
        );
        assert!(
            ok(r#"sum(rate(reqs{code=~"5.."}[1m])) / sum(rate(reqs[1m]))"#)
                .notes
                .is_empty()
        );
    }

    #[test]
    fn shares_rollcage_cannot_read_are_refused_with_the_reason() {
        refused(
            r#"100 - sum(rate(reqs{code!="404"}[1m])) / sum(rate(reqs[1m])) * 100"#,
            r#"selects code!="404", which is neither the class of server errors"#,
        );
        refused(
            r#"100 - sum(rate(rpc_handled_total{grpc_code!="OK"}[1m])) / sum(rate(rpc_started_total[1m])) * 100"#,
            "a ratio of two different counters, rpc_handled_total / rpc_started_total",
        );
        refused(
            r#"sum(rate(reqs{code=~"5.."}[1m])) / sum(rate(reqs[5m]))"#,
            "over 60s and the denominator over 300s",
        );
        refused(
            r#"sum(rate(reqs{code=~"5.."}[1m])) / sum(increase(reqs[1m]))"#,
            "the numerator takes rate() and the denominator increase()",
        );
        refused(
            r#"sum(rate(reqs{code=~"5.."}[1m])) / sum(rate(reqs{method="GET"}[1m]))"#,
            r#"the denominator selects method="GET""#,
        );
        refused(
            r#"sum(rate(reqs{code=~"5..", method="GET"}[1m])) / sum(rate(reqs[1m]))"#,
            "more than the one status class",
        );
        refused(
            r#"sum(rate(reqs[1m])) / sum(rate(reqs[1m]))"#,
            "the ratio is 1",
        );
        refused(
            r#"rate(reqs{code=~"5.."}[1m]) / rate(reqs[1m])"#,
            "unaggregated rates",
        );
        refused(
            r#"avg(rate(reqs{code=~"5.."}[1m])) / avg(rate(reqs[1m]))"#,
            "divides avg() by avg()",
        );
        refused(
            r#"sum by (a) (rate(reqs{code=~"5.."}[1m])) / sum(rate(reqs[1m]))"#,
            "grouped differently",
        );
        refused(
            r#"sum(rate(x_bucket{code=~"5.."}[1m])) / sum(rate(x_bucket[1m]))"#,
            "once per bucket",
        );
        refused(
            r#"sum(rate(reqs{code=~"5.."}[1m])) / ignoring(code) sum(rate(reqs[1m]))"#,
            "matched by their labels",
        );
    }

    // Latency.

    #[test]
    fn histogram_quantiles_in_seconds_and_milliseconds() {
        let cases = [
            (
                r#"histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{app="a"}[5m])) by (le))"#,
                0.99,
                TimeUnit::Seconds,
            ),
            (
                r#"histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) * 1000"#,
                0.99,
                TimeUnit::Milliseconds,
            ),
            (
                r#"histogram_quantile(0.95, sum(rate(mesh_request_duration_milliseconds_bucket{wl=~"{{ target }}"}[5m])) by (le))"#,
                0.95,
                TimeUnit::Milliseconds,
            ),
            (
                r#"histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{direction="inbound"}[5m])) by (le))"#,
                0.99,
                TimeUnit::Milliseconds,
            ),
            (
                r#"histogram_quantile(0.5, sum(increase(rpc_latency_microseconds_bucket[5m])) by (le)) / 1000"#,
                0.5,
                TimeUnit::Milliseconds,
            ),
            (
                r#"histogram_quantile(0.9, sum without (pod) (rate(req_seconds_bucket[5m])))"#,
                0.9,
                TimeUnit::Seconds,
            ),
        ];
        for (q, quantile, unit) in cases {
            let s = ok(q);
            assert_eq!(
                s.measure,
                Measure::LatencyQuantile { quantile, unit },
                "{q}"
            );
            assert_eq!(s.window, secs(300.0), "{q}");
        }
        // The quantile is read exactly: 0.95 is not 0.99.
        let p95 = ok(r#"histogram_quantile(0.95, sum(rate(x_seconds_bucket[1m])) by (le))"#);
        assert_ne!(
            p95.measure,
            Measure::LatencyQuantile {
                quantile: 0.99,
                unit: TimeUnit::Seconds
            }
        );
    }

    #[test]
    fn latency_shapes_rollcage_cannot_read_are_refused() {
        refused(
            r#"histogram_quantile(0.99, sum(rate(http_request_duration_seconds[5m])))"#,
            "without keeping `le`",
        );
        refused(
            r#"histogram_quantile(0.99, sum(rate(http_request_duration_seconds[5m])) by (le))"#,
            "histogram_quantile over a non-bucket series, http_request_duration_seconds",
        );
        refused(
            r#"histogram_quantile(0.99, sum(rate(upstream_rq_time_bucket[5m])) by (le))"#,
            "names no unit",
        );
        refused(
            r#"histogram_quantile(1, sum(rate(x_seconds_bucket[5m])) by (le))"#,
            "outside (0, 1)",
        );
        refused(
            r#"histogram_quantile(0.99, rate(x_seconds_bucket[5m]))"#,
            "unaggregated buckets",
        );
        refused(
            r#"histogram_quantile(0.99, max(rate(x_seconds_bucket[5m])) by (le))"#,
            "over max() of buckets",
        );
        refused(
            r#"histogram_quantile({{args.q}}, sum(rate(x_seconds_bucket[5m])) by (le))"#,
            "the quantile is the template",
        );
        refused(
            r#"histogram_quantile(0.99, sum(rate(x_seconds_bucket[5m])) by (le)) * 60"#,
            "none of s, ms",
        );
    }

    #[test]
    fn a_mean_latency_is_recognised_to_be_refused_later() {
        // NGINX-like and Skipper-like request durations: sum / count, in ms.
        let s = ok(
            r#"sum(rate(ingress_response_duration_seconds_sum{ingress="{{ ingress }}"}[{{ interval }}])) / sum(rate(ingress_response_duration_seconds_count{ingress="{{ ingress }}"}[{{ interval }}])) * 1000"#,
        );
        assert_eq!(s.measure, Measure::LatencyMean(TimeUnit::Milliseconds));
        refused(
            r#"sum(rate(a_seconds_sum{x="1"}[1m])) / sum(rate(a_seconds_count[1m]))"#,
            "different series above and below",
        );
    }

    // Restarts and rollcage's other measures.

    #[test]
    fn container_restarts() {
        for (q, note) in [
            (
                r#"sum(increase(kube_pod_container_status_restarts_total{namespace="shop", pod=~"web-.*"}[10m]))"#,
                None,
            ),
            (
                r#"sum(changes(kube_pod_container_status_restarts_total{pod=~"web-.*"}[10m]))"#,
                Some("changes()"),
            ),
            (
                r#"max(delta(kube_pod_container_status_restarts_total[10m]))"#,
                Some("the most restarts of one series"),
            ),
            (
                r#"sum(increase(app_worker_restarts_total[10m])) or vector(0)"#,
                None,
            ),
            (
                r#"increase(kube_pod_container_status_restarts_total[10m])"#,
                Some("one value per group"),
            ),
        ] {
            let s = ok(q);
            assert_eq!(s.measure, Measure::Restarts, "{q}");
            assert_eq!(s.window, secs(600.0), "{q}");
            if let Some(n) = note {
                assert!(s.notes.iter().any(|x| x.contains(n)), "{q}: {:?}", s.notes);
            }
        }
        refused(
            r#"sum(rate(kube_pod_container_status_restarts_total[10m]))"#,
            "restarts per second",
        );
        refused(
            r#"sum(kube_pod_container_status_restarts_total)"#,
            "read at one instant",
        );
        refused(
            r#"avg(increase(kube_pod_container_status_restarts_total[10m]))"#,
            "takes avg() of restarts",
        );
        refused(
            r#"sum(increase(kube_pod_container_status_restarts_total[10m])) * 2"#,
            "scales a count",
        );
        refused(r#"sum(increase(jobs_total[10m]))"#, "a count of jobs_total");
    }

    #[test]
    fn memory_kpi_and_sessions() {
        let m = ok(
            r#"max(max_over_time(container_memory_working_set_bytes{pod=~"web-.*"}[5m])) / 1048576"#,
        );
        assert_eq!(m.measure, Measure::Memory(MemoryUnit::Mebibytes));
        let m = ok(r#"max(max_over_time(container_memory_working_set_bytes[5m])) / 1024 / 1024"#);
        assert_eq!(m.measure, Measure::Memory(MemoryUnit::Mebibytes));
        let m = ok(r#"max(max_over_time(container_memory_working_set_bytes[5m]))"#);
        assert_eq!(m.measure, Measure::Memory(MemoryUnit::Bytes));
        refused(
            r#"sum(max_over_time(container_memory_working_set_bytes[5m]))"#,
            "takes sum() of memory",
        );
        refused(
            r#"max(max_over_time(container_memory_working_set_bytes[5m])) / 1000"#,
            "neither bytes nor MiB",
        );
        let k = ok(
            r#"(sum(rate(orders_total[5m])) or vector(0)) / (sum(rate(http_requests_total{code!~"5.."}[5m])) > 0)"#,
        );
        assert_eq!(k.measure, Measure::Kpi);
        assert!(k.notes.iter().any(|n| n.contains("business KPI")));
        assert!(!k.empty_before_first_count);
        let l = ok(r#"sum(increase(sessions_lost_total[5m]))"#);
        assert_eq!(l.measure, Measure::SessionsLost);
        assert!(l.empty_before_first_count);
        assert!(
            !ok(r#"sum(increase(sessions_lost_total[5m])) or vector(0)"#).empty_before_first_count
        );
    }

    #[test]
    fn guards_scalars_and_the_relative_form() {
        let s = ok(
            r#"((sum(rate(r{code=~"5.."}[1m])) or vector(0)) / (sum(rate(r[1m])) > 0)) and on() (sum(increase(r[1m])) >= 250)"#,
        );
        assert_eq!(s.min_requests, Some(250));
        let s = ok(r#"scalar(sum(rate(r{code=~"5.."}[1m])) / sum(rate(r[1m])))"#);
        assert_eq!(s.result, ResultKind::Scalar);
        let cand = r#"sum(increase(kube_pod_container_status_restarts_total{v="c"}[5m]))"#;
        let base = r#"sum(increase(kube_pod_container_status_restarts_total{v="b"}[5m]))"#;
        let s = ok(&format!("({cand}) - (2 * ({base}) + 1)"));
        assert_eq!(
            s.form,
            Form::Relative {
                threshold: 2.0,
                offset: Some(1.0)
            }
        );
        let s = ok(&format!("({cand}) - (2 * ({base}) - 1)"));
        assert_eq!(
            s.form,
            Form::Relative {
                threshold: 2.0,
                offset: Some(-1.0)
            }
        );
        let s = ok(&format!("({cand}) - (1.5 * ({base}))"));
        assert_eq!(
            s.form,
            Form::Relative {
                threshold: 1.5,
                offset: None
            }
        );
        refused(
            &format!(
                "({cand}) - (2 * (sum(increase(kube_pod_container_status_restarts_total[1m]))) + 1)"
            ),
            "the candidate is read over 300s, the baseline over 60s",
        );
        refused(
            &format!(
                "({cand}) - (2 * (max(max_over_time(container_memory_working_set_bytes[5m]))) + 1)"
            ),
            "a difference of container restarts and 2 times memory in bytes",
        );
        let lat = r#"histogram_quantile(0.99, sum by (le) (rate(l_seconds_bucket[1m]))) * 1000"#;
        refused(
            &format!(
                "({lat}) - (1.5 * (({lat}) or last_over_time((max(max_over_time(container_memory_working_set_bytes[1m])))[1h:1m])) + 5)"
            ),
            "does not repeat the baseline",
        );
        refused(&format!("({lat}) and on() (up == 1)"), "no traffic guard");
        refused(
            &format!("{lat} > 500"),
            "filters the result by a comparison",
        );
    }

    #[test]
    fn what_is_not_a_measurement_says_so() {
        refused("1 + 2", "no shape");
        refused("42", "the number 42 alone");
        refused(r#"http_requests_total{code="500"}"#, "read at one instant");
        refused(
            r#"sum(rate(reqs{code=~"5.."}[1m] offset 1h)) / sum(rate(reqs[1m]))"#,
            "divides",
        );
        refused(
            r#"sum(increase(kube_pod_container_status_restarts_total[5m] offset 1h))"#,
            "rollcage reads increase() of one range selector",
        );
        refused(
            r#"sum(increase(kube_pod_container_status_restarts_total[5m])) offset 1h"#,
            "reads another time",
        );
        refused("{{ args.query }}", "the template {{ args.query }}");
        refused("sum(rate(x[5m])", "not a PromQL query rollcage can read");
        refused(
            r#"topk(3, increase(kube_pod_container_status_restarts_total[5m]))"#,
            "keeps some series only",
        );
        refused(r#"a / b"#, "where rollcage reads a ratio of two sums");
        refused(r#"x or y"#, "falls back on");
        refused(
            r#"-sum(increase(kube_pod_container_status_restarts_total[5m]))"#,
            "negates",
        );
    }

    #[test]
    fn the_map_metric_override_reads_the_window() {
        let k = parse_kind("latency_p99_ms").unwrap();
        let s = recognise_as(
            r#"avg(upstream_rq_time{x="1"}) and on() sum(rate(upstream_rq[2m])) > 0"#,
            k,
        )
        .unwrap();
        assert_eq!(s.window, secs(120.0));
        assert_eq!(s.measure, k);
        assert!(s.notes[0].contains("as --map-metric says (latency_p99_ms)"));
        assert_eq!(
            recognise_as("quantile_over_time(0.99, lat[{{ interval }}])", k)
                .unwrap()
                .window,
            Window::Variable("interval".into())
        );
        assert!(
            recognise_as("avg(upstream_rq_time)", k)
                .unwrap_err()
                .0
                .contains("no range selector")
        );
        assert!(
            recognise_as("rate(a[1m]) / rate(b[5m])", k)
                .unwrap_err()
                .0
                .contains("ranges of 60s and 300s")
        );
    }

    #[test]
    fn kinds_read_back_what_they_name() {
        let all = [
            Measure::ErrorRatio(Scale::Ratio),
            Measure::ErrorRatio(Scale::Percent),
            Measure::SuccessRatio(Scale::Ratio),
            Measure::SuccessRatio(Scale::Percent),
            Measure::LatencyQuantile {
                quantile: 0.99,
                unit: TimeUnit::Milliseconds,
            },
            Measure::LatencyQuantile {
                quantile: 0.95,
                unit: TimeUnit::Seconds,
            },
            Measure::LatencyQuantile {
                quantile: 0.999,
                unit: TimeUnit::Microseconds,
            },
            Measure::LatencyQuantile {
                quantile: 0.05,
                unit: TimeUnit::Milliseconds,
            },
            Measure::Restarts,
            Measure::Memory(MemoryUnit::Mebibytes),
            Measure::Memory(MemoryUnit::Bytes),
            Measure::Kpi,
            Measure::SessionsLost,
        ];
        for m in all {
            assert_eq!(parse_kind(&m.kind()), Ok(m), "{}", m.kind());
        }
        assert_eq!(
            parse_kind("latency_p99.9_s"),
            Ok(Measure::LatencyQuantile {
                quantile: 0.999,
                unit: TimeUnit::Seconds
            })
        );
        assert_eq!(
            Measure::LatencyMean(TimeUnit::Seconds).kind(),
            "latency_mean_s"
        );
        for (bad, want) in [
            ("error", "unknown kind"),
            ("latency_p99", "names no unit"),
            ("latency_p99_min", "none of ms, s, us"),
            ("latency_p100_ms", "between 0 and 100"),
            ("latency_p0_ms", "between 0 and 100"),
            ("latency_p9.9.9_ms", "between 0 and 100"),
            ("latency_p-1_ms", "between 0 and 100"),
            ("latency_pe3_ms", "between 0 and 100"),
            ("latency_p_ms", "between 0 and 100"),
        ] {
            let e = parse_kind(bad).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    /// Queries in the shapes above, for mutation.
    const SEEDS: [&str; 6] = [
        r#"(sum(rate(r{s="a", code=~"5.."}[1m])) or vector(0)) / (sum(rate(r{s="a"}[1m])) > 0)"#,
        r#"histogram_quantile(0.99, sum by (le) (rate(h_seconds_bucket{s="a"}[1m])) and on() (sum(rate(h_seconds_bucket{le="+Inf"}[1m])) > 0)) * 1000"#,
        r#"((x) - (1.5 * ((y) or last_over_time((y)[1h:1m])) + 5)) and on() (sum(increase(r[1m])) >= 100)"#,
        r#"sum(rate(m{a=~"{{ t }}", c!~"5.*",}[{{ interval }}])) / sum(rate(m{a=~"{{ t }}",}[{{ interval }}])) * 100"#,
        r#"sum by (a, le) (x) offset -5m @ end() # c"#,
        r#"-2 ^ 3 % atan2 unless bool 0x1F 'q\x41' `raw` "\u00e9" 1e-3 .5 Inf NaN"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Any text: a shape or an error, never a panic.
        #[test]
        fn any_text_is_a_shape_or_an_error(s in "\\PC{0,200}") {
            let _ = recognise(&s);
            let _ = recognise_as(&s, Measure::Restarts);
        }

        /// PromQL-ish text built from PromQL's own pieces.
        #[test]
        fn promql_pieces_are_a_shape_or_an_error(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("sum("), Just("rate("), Just("x"), Just("{a=\"5..\"}"), Just("[5m]"),
                    Just(")"), Just("("), Just(" / "), Just(" * 100"), Just(" or vector(0)"),
                    Just(" and on() "), Just(" > 0"), Just("histogram_quantile(0.99, "),
                    Just(" by (le)"), Just(", "), Just("[1h:1m]"), Just("{{ interval }}"),
                    Just("1 - "), Just("-"), Just("\""), Just("{"), Just("}"), Just("["),
                    Just("]"), Just("offset "), Just("@ "), Just("#"), Just("\n"),
                ],
                0..40,
            )
        ) {
            let q: String = parts.concat();
            let _ = recognise(&q);
        }

        /// Real shapes with bytes deleted, inserted or repeated.
        #[test]
        fn mutated_queries_are_a_shape_or_an_error(
            seed in 0..SEEDS.len(),
            edits in proptest::collection::vec((any::<usize>(), 0u8..3, any::<char>()), 1..6),
        ) {
            let mut q: Vec<char> = SEEDS[seed].chars().collect();
            for (at, op, ch) in edits {
                if q.is_empty() {
                    q.push(ch);
                    continue;
                }
                let i = at % q.len();
                match op {
                    0 => { q.remove(i); }
                    1 => q.insert(i, ch),
                    _ => {
                        let piece: Vec<char> = q[i..(i + 8).min(q.len())].to_vec();
                        for (k, c) in piece.into_iter().enumerate() {
                            q.insert(i + k, c);
                        }
                    }
                }
            }
            let q: String = q.into_iter().collect();
            let _ = recognise(&q);
        }
    }

    #[test]
    fn the_worst_inputs_end_quickly() {
        let t = std::time::Instant::now();
        let n = MAX_QUERY_BYTES;
        let inputs = [
            "(".repeat(n),
            "-".repeat(n),
            "x + ".repeat(n / 4),
            "{{".repeat(n / 2),
            format!("x{{{}}}", "a=\"b\",".repeat(n / 7)),
            format!("\"{}", "\\x".repeat(n / 3)),
            "sum(".repeat(MAX_DEPTH - 2) + "x" + &")".repeat(MAX_DEPTH - 2),
            "1".repeat(n),
        ];
        for q in &inputs {
            assert!(q.len() <= n + 16);
            let _ = recognise(q);
        }
        // Linear work: microseconds each; a generous bound that only an explosion
        // (or a hang) would cross.
        assert!(
            t.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            t.elapsed()
        );
    }
}
