//! The bound a metric's condition puts on its query's result, and the rollcage gate a
//! query's [`Shape`] and that bound make.
//!
//! [`argo`] reads `successCondition`/`failureCondition` as Argo Rollouts judges a
//! measurement (`EvaluateResult`: with a success condition only, a measurement that
//! does not meet it Fails; with a failure condition only, one that does not meet it
//! Succeeds; with both, neither holding is Inconclusive; an expression error is an
//! Error). The expressions are evaluated, not pattern-matched (`expr`, this module's
//! child, holds the part of expr-lang conditions are written in), at values just
//! below, at and just above each number they compare the result with, so any
//! combination of guards (`len(result) == 0 || ...`, `isNaN(result[0]) || ...`,
//! `all(result, {# < 0.01})`) reads as the bound it is, with what an empty result and
//! a NaN give. [`flagger`] reads `thresholdRange` (Flagger fails a check when the value
//! is below `min` or above `max`, and when there is no value or a NaN).
//!
//! [`to_gate`] then maps the measure onto rollcage's gate metrics: a success share's
//! minimum becomes an error ratio's maximum (`>= 0.95` is `error_ratio <= 0.05`), a
//! percentage becomes a ratio, seconds become milliseconds, a relative margin's bound
//! becomes the slack; a bound in the direction a measure is not healthy in is refused.
//! rollcage gates pass at exactly their threshold, so a strict `<` is read as `<=`,
//! and said in a note (for a count, `< 1` is exactly `<= 0`).

mod expr;

use std::fmt;

use crate::gate::{Comparison, EmptyRule, GateMetric, GateSpec};
use crate::import::query::{Form, Measure, MemoryUnit, ResultKind, Shape, Window};
use crate::limits::{MAX_THRESHOLD, MAX_WAIT_SECONDS, MIN_INTERVAL_SECONDS};

pub use expr::{MAX_CONDITION_BYTES, MAX_DEPTH};

/// One end of the values that pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    pub value: f64,
    /// Whether exactly `value` passes.
    pub inclusive: bool,
}

/// What the controller makes of one measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Inconclusive,
    /// Argo's Error phase (the condition could not be evaluated): counted against
    /// `consecutiveErrorLimit`, not as a verdict.
    Error,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Inconclusive => "inconclusive",
            Outcome::Error => "error",
        }
    }

    /// The gate's `on_empty` this outcome is, when it is a verdict.
    pub fn empty_rule(self) -> Option<EmptyRule> {
        match self {
            Outcome::Pass => Some(EmptyRule::Pass),
            Outcome::Fail => Some(EmptyRule::Fail),
            Outcome::Inconclusive => Some(EmptyRule::Inconclusive),
            Outcome::Error => None,
        }
    }
}

/// The values of a query's result that pass: from `lower` (when set) to `upper` (when
/// set), and what a result without a value gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub lower: Option<Bound>,
    pub upper: Option<Bound>,
    /// A measurement whose result is empty (no series).
    pub on_empty: Outcome,
    /// A measurement whose value is NaN (0/0: no requests in the window).
    pub on_nan: Outcome,
    /// The condition as written, for messages.
    pub text: String,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionError(pub String);

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConditionError {}

fn fail<T>(msg: impl Into<String>) -> Result<T, ConditionError> {
    Err(ConditionError(msg.into()))
}

fn bound_text(b: Bound, lower: bool) -> String {
    let op = match (lower, b.inclusive) {
        (true, true) => ">=",
        (true, false) => ">",
        (false, true) => "<=",
        (false, false) => "<",
    };
    format!("{op} {}", b.value)
}

/// Where a value sits among the numbers a condition compares with.
#[derive(Clone, Copy, Debug)]
enum Pt {
    Far,
    Below(f64),
    At(f64),
    Above(f64),
}

/// Argo's judgement of one measurement, `EvaluateResult`.
struct Judged {
    outcome: Outcome,
    error: Option<String>,
    both: bool,
}

fn judge(s: Option<&expr::Cond>, f: Option<&expr::Cond>, r: &expr::V) -> Judged {
    let run = |c: Option<&expr::Cond>, field: &str| match c.map(|c| c.holds(r)) {
        None => Ok(None),
        Some(Ok(b)) => Ok(Some(b)),
        Some(Err(e)) => Err(format!("{field}: {e}")),
    };
    let (sv, fv) = match (run(s, "successCondition"), run(f, "failureCondition")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            return Judged {
                outcome: Outcome::Error,
                error: Some(e),
                both: false,
            };
        }
    };
    let outcome = match (sv, fv) {
        (Some(true), None) | (None, Some(false)) => Outcome::Pass,
        (Some(false), None) | (None, Some(true)) => Outcome::Fail,
        (Some(_), Some(true)) => Outcome::Fail,
        (Some(true), Some(false)) => Outcome::Pass,
        (Some(false), Some(false)) => Outcome::Inconclusive,
        (None, None) => Outcome::Pass,
    };
    Judged {
        outcome,
        error: None,
        both: sv == Some(true) && fv == Some(true),
    }
}

/// Reads an Argo metric's conditions, for a query whose result is `result`.
pub fn argo(
    success: Option<&str>,
    failure: Option<&str>,
    result: ResultKind,
) -> Result<Condition, ConditionError> {
    let text = match (success, failure) {
        (Some(s), Some(f)) => format!("successCondition `{s}` with failureCondition `{f}`"),
        (Some(s), None) => format!("successCondition `{s}`"),
        (None, Some(f)) => format!("failureCondition `{f}`"),
        (None, None) => {
            return fail(
                "neither successCondition nor failureCondition: Argo counts every measurement Successful, a gate that never fails",
            );
        }
    };
    let ty = match result {
        ResultKind::Vector => expr::Ty::List,
        ResultKind::Scalar => expr::Ty::Num,
    };
    let read = |field: &str, t: &str| {
        expr::Cond::read(t, ty).map_err(|e| ConditionError(format!("{field} `{t}`: {e}")))
    };
    let s = success.map(|t| read("successCondition", t)).transpose()?;
    let f = failure.map(|t| read("failureCondition", t)).transpose()?;
    let mut consts = Vec::new();
    for c in [&s, &f].into_iter().flatten() {
        c.constants(&mut consts);
    }
    consts.retain(|c| c.is_finite());
    consts.sort_by(f64::total_cmp);
    consts.dedup();
    if consts.is_empty() {
        return fail(format!(
            "{text} compares the result with no number, so it sets no bound rollcage can read"
        ));
    }
    let world = |v: Option<f64>| match (result, v) {
        (ResultKind::Vector, Some(v)) => expr::V::List(vec![v]),
        (ResultKind::Vector, None) => expr::V::List(Vec::new()),
        (ResultKind::Scalar, v) => expr::V::Num(v.unwrap_or(f64::NAN)),
    };
    let (lo, hi) = (consts[0], consts[consts.len() - 1]);
    let mut pts = vec![(lo - (lo.abs() + 1.0), Pt::Far)];
    for &c in &consts {
        pts.push((c.next_down(), Pt::Below(c)));
        pts.push((c, Pt::At(c)));
        pts.push((c.next_up(), Pt::Above(c)));
    }
    pts.push((hi + (hi.abs() + 1.0), Pt::Far));
    let mut notes = Vec::new();
    let mut pass = Vec::with_capacity(pts.len());
    for &(v, pt) in &pts {
        let j = judge(s.as_ref(), f.as_ref(), &world(Some(v)));
        if j.outcome == Outcome::Error {
            return fail(format!(
                "{text} is an Error for the value {v}: {}",
                j.error.unwrap_or_default()
            ));
        }
        if j.both {
            return fail(format!(
                "{text}: both conditions hold for the value {v} (Argo counts it Failed), so they contradict each other"
            ));
        }
        if j.outcome == Outcome::Inconclusive {
            let Pt::At(c) = pt else {
                let place = match pt {
                    Pt::Below(c) => format!("just below {c}"),
                    Pt::Above(c) => format!("just above {c}"),
                    _ => format!("such as {v}"),
                };
                return fail(format!(
                    "{text}: values {place} meet neither condition, which Argo counts Inconclusive; a rollcage gate passes or fails, with no band between"
                ));
            };
            notes.push(format!(
                "{text}: exactly {c} meets neither condition, which Argo counts Inconclusive; the gate below passes or fails it"
            ));
        }
        pass.push(j.outcome == Outcome::Pass);
    }
    let (Some(first), Some(last)) = (
        pass.iter().position(|&p| p),
        pass.iter().rposition(|&p| p),
    ) else {
        return fail(format!("{text} passes no value"));
    };
    if pass[first..=last].iter().any(|&p| !p) {
        return fail(format!(
            "{text} passes values on both sides of one it fails: not one bound"
        ));
    }
    let not_a_bound = || ConditionError(format!("{text} is not a bound on the result"));
    let lower = match (first, pts[first].1) {
        (0, _) => None,
        (_, Pt::At(c)) => Some(Bound {
            value: c,
            inclusive: true,
        }),
        (_, Pt::Above(c)) => Some(Bound {
            value: c,
            inclusive: false,
        }),
        _ => return Err(not_a_bound()),
    };
    let upper = match pts[last].1 {
        _ if last == pts.len() - 1 => None,
        Pt::At(c) => Some(Bound {
            value: c,
            inclusive: true,
        }),
        Pt::Below(c) => Some(Bound {
            value: c,
            inclusive: false,
        }),
        _ => return Err(not_a_bound()),
    };
    if lower.is_none() && upper.is_none() {
        return fail(format!("{text} passes every value: it bounds nothing"));
    }
    let on_nan = judge(s.as_ref(), f.as_ref(), &world(Some(f64::NAN))).outcome;
    let on_empty = match result {
        ResultKind::Vector => judge(s.as_ref(), f.as_ref(), &world(None)).outcome,
        ResultKind::Scalar => {
            notes.push(
                "the query is scalar(): an empty vector becomes NaN, so an empty result is judged as a NaN"
                    .into(),
            );
            on_nan
        }
    };
    Ok(Condition {
        lower,
        upper,
        on_empty,
        on_nan,
        text,
        notes,
    })
}

/// Reads a Flagger metric's `thresholdRange` (for the deprecated `threshold`, give it
/// as the bound Flagger reads it as: `min` for `request-success-rate`, `max` for
/// everything else). Flagger fails a check when the value is below `min` or above
/// `max`, and when the query gives no value or NaN ("no values found").
pub fn flagger(min: Option<f64>, max: Option<f64>) -> Result<Condition, ConditionError> {
    let mut parts = Vec::new();
    if let Some(m) = min {
        parts.push(format!("min: {m}"));
    }
    if let Some(m) = max {
        parts.push(format!("max: {m}"));
    }
    let text = format!("thresholdRange {{{}}}", parts.join(", "));
    if min.is_none() && max.is_none() {
        return fail(format!(
            "{text} has neither min nor max: Flagger passes every value, a gate that never fails"
        ));
    }
    if min.is_some_and(|m| !m.is_finite()) || max.is_some_and(|m| !m.is_finite()) {
        return fail(format!("{text}: a bound is not a finite number"));
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return fail(format!("{text} has min above max: no value passes"));
    }
    let incl = |value| Bound {
        value,
        inclusive: true,
    };
    Ok(Condition {
        lower: min.map(incl),
        upper: max.map(incl),
        on_empty: Outcome::Fail,
        on_nan: Outcome::Fail,
        text,
        notes: Vec::new(),
    })
}

/// What the caller decides where the manifest says nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct GateDefaults {
    /// The gate's `min_samples` when the query has no traffic guard.
    pub min_samples: u64,
    /// The gate's `on_empty` (the condition's own rule for an empty result is in
    /// [`Imported::on_empty`]).
    pub on_empty: EmptyRule,
    /// The metric's interval in seconds, the value of Flagger's `{{ interval }}`.
    pub interval_seconds: Option<f64>,
}

/// A gate read from a query and its condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    pub gate: GateSpec,
    /// What the controller makes of an empty result under this condition (Argo:
    /// Error for `result[0]`; Pass after `len(result) == 0 ||`; Flagger: Fail).
    pub on_empty: Outcome,
    /// What it makes of a NaN result (no requests in the window).
    pub on_nan: Outcome,
    /// Everything rollcage reads differently from the controller, for the importer
    /// to list.
    pub notes: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Healthy {
    Low,
    High,
}

/// How a measure becomes a gate metric.
struct Target {
    metric: GateMetric,
    healthy: Healthy,
    /// Gate units per unit of the query's value.
    factor: f64,
    /// The value of "everything" of a share (1 or 100): no value exceeds it.
    whole: Option<f64>,
    /// A success share, gated as its complement, the error ratio.
    complement: bool,
    /// Whole numbers in the simulator (restarts, lost sessions).
    count: bool,
}

fn target(m: &Measure) -> Result<Target, ConditionError> {
    let t = |metric, healthy, factor| Target {
        metric,
        healthy,
        factor,
        whole: None,
        complement: false,
        count: false,
    };
    Ok(match *m {
        Measure::ErrorRatio(s) => Target {
            whole: Some(s.whole()),
            ..t(GateMetric::ErrorRatio, Healthy::Low, 1.0 / s.whole())
        },
        Measure::SuccessRatio(s) => Target {
            whole: Some(s.whole()),
            complement: true,
            ..t(GateMetric::ErrorRatio, Healthy::High, 1.0 / s.whole())
        },
        Measure::LatencyQuantile { quantile, unit } => t(
            GateMetric::Latency { quantile },
            Healthy::Low,
            unit.millis(),
        ),
        Measure::LatencyMean(_) => {
            return fail(
                "the query is a mean latency (a histogram's sum / count), and rollcage gates latency quantiles: map it with --map-metric TEMPLATE/METRIC=latency_p50_ms (or _s) to gate the median instead",
            );
        }
        Measure::Restarts => Target {
            count: true,
            ..t(GateMetric::Restarts, Healthy::Low, 1.0)
        },
        Measure::Memory(MemoryUnit::Mebibytes) => t(GateMetric::MemoryMb, Healthy::Low, 1.0),
        Measure::Memory(MemoryUnit::Bytes) => {
            t(GateMetric::MemoryMb, Healthy::Low, 1.0 / 1_048_576.0)
        }
        Measure::Kpi => t(GateMetric::Kpi, Healthy::High, 1.0),
        Measure::SessionsLost => Target {
            count: true,
            ..t(GateMetric::SessionsLost, Healthy::Low, 1.0)
        },
    })
}

/// `x` to 15 significant digits: what a unit conversion adds below them is the
/// binary representation's (1 - 0.95 is 0.050000000000000044), not the manifest's.
fn tidy(x: f64) -> f64 {
    format!("{x:.14e}").parse().unwrap_or(x)
}

/// Combines a query's shape and its condition into a gate named `name`.
pub fn to_gate(
    name: &str,
    shape: &Shape,
    cond: &Condition,
    d: &GateDefaults,
) -> Result<Imported, ConditionError> {
    let t = target(&shape.measure)?;
    let what = shape.measure.describe();
    let text = &cond.text;
    let mut notes = shape.notes.clone();
    notes.extend(cond.notes.iter().cloned());
    let window_seconds = match &shape.window {
        Window::Seconds(s) => *s,
        Window::Variable(v) if v == "interval" => d.interval_seconds.ok_or_else(|| {
            ConditionError(
                "the query's window is {{ interval }}, and no interval was given for it".into(),
            )
        })?,
        Window::Variable(v) => {
            return fail(format!(
                "the query's window is the template {{{{ {v} }}}}, which rollcage cannot resolve: resolve the template's arguments first"
            ));
        }
    };
    if !(MIN_INTERVAL_SECONDS..=MAX_WAIT_SECONDS).contains(&window_seconds) {
        return fail(format!(
            "the query's window of {window_seconds} s is outside the {MIN_INTERVAL_SECONDS} s to {MAX_WAIT_SECONDS} s a rollcage gate reads"
        ));
    }
    let strict_note = |b: Bound, lower: bool, read: String| {
        format!(
            "{text}: the strict {} is read as {read}: a rollcage gate passes at exactly its threshold",
            bound_text(b, lower)
        )
    };
    let (comparison, threshold, slack) = match shape.form {
        Form::Absolute => {
            let (mut lower, mut upper) = (cond.lower, cond.upper);
            if let Some(b) = lower
                && (b.value < 0.0 || (b.value == 0.0 && b.inclusive))
            {
                notes.push(format!(
                    "{text}: {} is met by every value of {what}, and is dropped",
                    bound_text(b, true)
                ));
                lower = None;
            }
            if let (Some(b), Some(w)) = (upper, t.whole)
                && (b.value > w || (b.value == w && b.inclusive))
            {
                notes.push(format!(
                    "{text}: {} is met by every value of {what}, and is dropped",
                    bound_text(b, false)
                ));
                upper = None;
            }
            let (b, lower_side) = match (lower, upper, t.healthy) {
                (Some(l), Some(u), _) => {
                    return fail(format!(
                        "{text} passes {what} only from {} to {}: a band, where a rollcage gate has one bound",
                        l.value, u.value
                    ));
                }
                (None, None, _) => {
                    return fail(format!(
                        "{text} bounds none of the values {what} can take"
                    ));
                }
                (Some(l), None, Healthy::High) => (l, true),
                (None, Some(u), Healthy::Low) => (u, false),
                (Some(l), None, Healthy::Low) => {
                    return fail(format!(
                        "{text} asks {what} to be {}: a bound in the direction it is not healthy in (lower is better)",
                        bound_text(l, true)
                    ));
                }
                (None, Some(u), Healthy::High) => {
                    return fail(format!(
                        "{text} asks {what} to be {}: a bound in the direction it is not healthy in (higher is better)",
                        bound_text(u, false)
                    ));
                }
            };
            let mut x = match (t.complement, t.whole) {
                (true, Some(w)) => tidy((w - b.value) / w),
                _ if t.factor != 1.0 => tidy(b.value * t.factor),
                _ => b.value,
            };
            let gate_op = if t.healthy == Healthy::High && !t.complement {
                ">="
            } else {
                "<="
            };
            if !b.inclusive {
                if t.count {
                    let y = x.ceil() - 1.0;
                    notes.push(format!(
                        "{text}: {what} {} is exactly {what} <= {y}, a count",
                        bound_text(b, lower_side)
                    ));
                    x = y;
                } else {
                    notes.push(strict_note(
                        b,
                        lower_side,
                        format!("{} {gate_op} {x}", t.metric.label()),
                    ));
                }
            }
            if x < 0.0 {
                return fail(format!("{text}: no value of {what} passes it"));
            }
            if x > MAX_THRESHOLD {
                return fail(format!(
                    "{text}: the threshold {x} is above the {MAX_THRESHOLD} a rollcage gate reads"
                ));
            }
            (Comparison::Absolute, x, 0.0)
        }
        Form::Relative { threshold, offset } => {
            if t.complement {
                return fail(format!(
                    "a relative margin of {what}: rollcage's relative form is of the error ratio, latency, restarts, memory, KPI or lost sessions"
                ));
            }
            let b = match (cond.lower, cond.upper, t.healthy) {
                (None, Some(u), Healthy::Low) => u,
                (Some(l), None, Healthy::High) => l,
                _ => {
                    let want = if t.healthy == Healthy::Low {
                        "at most a bound"
                    } else {
                        "at least a bound"
                    };
                    return fail(format!(
                        "{text} on the relative margin candidate - (threshold x baseline + slack) of {what}: rollcage's relative gate holds the margin to {want}, one side only"
                    ));
                }
            };
            let off = offset.unwrap_or(0.0);
            if offset.is_none() {
                notes.push(format!(
                    "the query compares the candidate with {threshold} x the baseline and no slack: read as a relative gate with slack 0 (a rollcage Mann-Whitney gate exports as this shape; its test has no PromQL form and is not recovered)"
                ));
            }
            let margin = if t.healthy == Healthy::Low {
                off + b.value
            } else {
                -(off + b.value)
            } + 0.0;
            let slack = if t.factor != 1.0 {
                tidy(margin * t.factor)
            } else {
                margin
            };
            if !b.inclusive {
                notes.push(strict_note(
                    b,
                    t.healthy == Healthy::High,
                    format!("{}= {}", if t.healthy == Healthy::High { ">" } else { "<" }, b.value),
                ));
            }
            if slack < 0.0 {
                return fail(format!(
                    "{text} with the query's slack {off} leaves a slack of {slack}, below the 0 a rollcage relative gate allows"
                ));
            }
            if !(0.0..=MAX_THRESHOLD).contains(&threshold) || slack > MAX_THRESHOLD {
                return fail(format!(
                    "the relative form's threshold {threshold} or slack {slack} is outside the 0 to {MAX_THRESHOLD} a rollcage gate reads"
                ));
            }
            (Comparison::Relative, threshold, slack)
        }
    };
    let min_samples = match shape.min_requests {
        Some(n) if t.metric.needs_requests() => {
            notes.push(format!(
                "min_samples {n} is the query's traffic guard (fewer requests in the window empty the result)"
            ));
            n
        }
        _ => d.min_samples,
    };
    if shape.empty_before_first_count {
        let first = match shape.measure {
            Measure::Kpi => "conversion",
            Measure::SessionsLost => "lost session",
            _ => "5xx response",
        };
        notes.push(format!(
            "until the candidate's first {first} the query has no value (its counter has no series yet and there is no `or vector(0)`), which {text} counts as {}; rollcage's gate reads 0 there",
            cond.on_empty.name()
        ));
    }
    Ok(Imported {
        gate: GateSpec {
            name: name.to_string(),
            metric: t.metric,
            comparison,
            threshold,
            slack,
            window_seconds,
            min_samples,
            on_empty: d.on_empty,
        },
        on_empty: cond.on_empty,
        on_nan: cond.on_nan,
        notes,
    })
}
