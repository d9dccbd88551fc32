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
    let (Some(first), Some(last)) = (pass.iter().position(|&p| p), pass.iter().rposition(|&p| p))
    else {
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

/// The error share a success share's minimum `x` (of `whole`, 1 or 100) leaves, as
/// a ratio. The difference is rounded to 13 decimals of a ratio (11 of a percentage)
/// first: `100 - 99.9` is 0.0999999999999943 in binary, and the manifest meant 0.1.
fn complement_share(x: f64, whole: f64) -> f64 {
    let decimals = (13.0 - whole.log10().floor()).max(0.0) as usize;
    let d: f64 = format!("{:.decimals$}", whole - x)
        .parse()
        .unwrap_or(whole - x);
    tidy(d / whole)
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
            // Every measure is at least 0, and a share at most its whole: a side every
            // value meets bounds nothing, and is dropped when the other side bounds.
            let lower_vacuous =
                lower.is_some_and(|b| b.value < 0.0 || (b.value == 0.0 && b.inclusive));
            let upper_vacuous = upper.is_some_and(|b| {
                t.whole
                    .is_some_and(|w| b.value > w || (b.value == w && b.inclusive))
            });
            match (lower, upper) {
                (Some(_), Some(_)) if lower_vacuous && upper_vacuous => {
                    return fail(format!(
                        "{text} passes every value {what} can take: a gate that never fails"
                    ));
                }
                (Some(l), Some(_)) if lower_vacuous => {
                    notes.push(format!(
                        "{text}: {} is met by every value of {what}, and is dropped",
                        bound_text(l, true)
                    ));
                    lower = None;
                }
                (Some(_), Some(u)) if upper_vacuous => {
                    notes.push(format!(
                        "{text}: {} is met by every value of {what}, and is dropped",
                        bound_text(u, false)
                    ));
                    upper = None;
                }
                (Some(_), None) if lower_vacuous && t.healthy == Healthy::Low => {
                    return fail(format!(
                        "{text} passes every value {what} can take: a gate that never fails"
                    ));
                }
                _ => {}
            }
            let (b, lower_side) = match (lower, upper, t.healthy) {
                (Some(l), Some(u), _) => {
                    return fail(format!(
                        "{text} passes {what} only from {} to {}: a band, where a rollcage gate has one bound",
                        l.value, u.value
                    ));
                }
                (None, None, _) => {
                    return fail(format!("{text} bounds none of the values {what} can take"));
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
                (true, Some(w)) => complement_share(b.value, w),
                (false, Some(w)) if w != 1.0 => tidy(b.value / w),
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
                    format!(
                        "{}= {}",
                        if t.healthy == Healthy::High { ">" } else { "<" },
                        b.value
                    ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::promql::{Reader, Selectors, gate_query};
    use crate::gate::MannWhitneyRule;
    use crate::import::query::recognise;
    use crate::series::SeriesNames;
    use proptest::prelude::*;

    const V: ResultKind = ResultKind::Vector;

    fn incl(value: f64) -> Option<Bound> {
        Some(Bound {
            value,
            inclusive: true,
        })
    }

    fn strict(value: f64) -> Option<Bound> {
        Some(Bound {
            value,
            inclusive: false,
        })
    }

    fn ok(s: Option<&str>, f: Option<&str>, r: ResultKind) -> Condition {
        argo(s, f, r).unwrap_or_else(|e| panic!("{s:?} / {f:?}: {e}"))
    }

    fn refused(s: Option<&str>, f: Option<&str>, r: ResultKind, want: &str) {
        match argo(s, f, r) {
            Ok(c) => panic!("{s:?} / {f:?} read as {c:?}; expected {want:?}"),
            Err(e) => assert!(e.0.contains(want), "{s:?} / {f:?}: {e}\nexpected {want:?}"),
        }
    }

    /// Success and failure conditions, the result's kind, then the bounds and the
    /// outcomes of an empty and of a NaN result.
    type Case = (
        Option<&'static str>,
        Option<&'static str>,
        ResultKind,
        Option<Bound>,
        Option<Bound>,
        Outcome,
        Outcome,
    );

    #[test]
    fn argo_conditions_as_written_in_real_manifests() {
        use Outcome::*;
        let cases: [Case; 17] = [
            (
                Some("result[0] < 0.01"),
                None,
                V,
                None,
                strict(0.01),
                Error,
                Fail,
            ),
            (
                Some("result[0] <= 0.01"),
                None,
                V,
                None,
                incl(0.01),
                Error,
                Fail,
            ),
            (
                Some("result[0] >= 0.95"),
                None,
                V,
                incl(0.95),
                None,
                Error,
                Fail,
            ),
            (
                Some("result[0] > 0.95"),
                None,
                V,
                strict(0.95),
                None,
                Error,
                Fail,
            ),
            (
                Some("result <= 0.05"),
                None,
                ResultKind::Scalar,
                None,
                incl(0.05),
                Fail,
                Fail,
            ),
            (
                Some("len(result) == 0 || result[0] < 1"),
                None,
                V,
                None,
                strict(1.0),
                Pass,
                Fail,
            ),
            (
                Some("isNaN(result[0]) || result[0] < 0.01"),
                None,
                V,
                None,
                strict(0.01),
                Error,
                Pass,
            ),
            (
                Some("all(result, {# < 0.01})"),
                None,
                V,
                None,
                strict(0.01),
                Pass,
                Fail,
            ),
            (
                Some("all(result, # < 1000)"),
                None,
                V,
                None,
                strict(1000.0),
                Pass,
                Fail,
            ),
            (
                Some("max(result) < 0.05"),
                None,
                V,
                None,
                strict(0.05),
                Error,
                Fail,
            ),
            (
                Some("len(result) > 0 && result[0] >= 0.95"),
                None,
                V,
                incl(0.95),
                None,
                Fail,
                Fail,
            ),
            (
                Some("isNaN(result[0]) || result[0] >= 0.95"),
                None,
                V,
                incl(0.95),
                None,
                Error,
                Pass,
            ),
            (
                None,
                Some("result[0] > 0.01"),
                V,
                None,
                incl(0.01),
                Error,
                Pass,
            ),
            (
                Some("result[0] <= 0.01"),
                Some("result[0] > 0.01"),
                V,
                None,
                incl(0.01),
                Error,
                Inconclusive,
            ),
            (
                Some("result[0] < 0.01"),
                Some("result[0] >= 0.01"),
                V,
                None,
                strict(0.01),
                Error,
                Inconclusive,
            ),
            (
                Some("result[0] == 0"),
                None,
                V,
                incl(0.0),
                incl(0.0),
                Error,
                Fail,
            ),
            (
                Some("0.95 <= result[0]"),
                None,
                V,
                incl(0.95),
                None,
                Error,
                Fail,
            ),
        ];
        for (s, f, r, lower, upper, empty, nan) in cases {
            let c = ok(s, f, r);
            assert_eq!((c.lower, c.upper), (lower, upper), "{s:?} / {f:?}");
            assert_eq!((c.on_empty, c.on_nan), (empty, nan), "{s:?} / {f:?}");
        }
        // At exactly the bound neither holds: Inconclusive there, said in a note.
        let c = ok(Some("result[0] < 0.01"), Some("result[0] > 0.01"), V);
        assert_eq!(c.upper, strict(0.01));
        assert!(
            c.notes[0].contains("exactly 0.01 meets neither condition"),
            "{:?}",
            c.notes
        );
        assert!(ok(Some("result <= 0.05"), None, ResultKind::Scalar).notes[0].contains("scalar()"));
    }

    /// The value exactly at a bound and the next one past it, as Argo judges them.
    #[test]
    fn argo_judges_the_bound_itself_and_the_next_value() {
        let at = |s: &str, v: f64| {
            let c = expr::Cond::read(s, expr::Ty::List).unwrap();
            judge(Some(&c), None, &expr::V::List(vec![v])).outcome
        };
        assert_eq!(at("result[0] <= 0.05", 0.05), Outcome::Pass);
        assert_eq!(at("result[0] <= 0.05", 0.05f64.next_up()), Outcome::Fail);
        assert_eq!(at("result[0] < 0.05", 0.05), Outcome::Fail);
        assert_eq!(at("result[0] < 0.05", 0.05f64.next_down()), Outcome::Pass);
        assert_eq!(at("result[0] >= 0.95", 0.95), Outcome::Pass);
        assert_eq!(at("result[0] >= 0.95", 0.95f64.next_down()), Outcome::Fail);
        let f = expr::Cond::read("result[0] > 0.05", expr::Ty::List).unwrap();
        let s = expr::Cond::read("result[0] < 0.05", expr::Ty::List).unwrap();
        let both = |v: f64| judge(Some(&s), Some(&f), &expr::V::List(vec![v])).outcome;
        assert_eq!(both(0.05), Outcome::Inconclusive);
        assert_eq!(both(0.05f64.next_up()), Outcome::Fail);
        assert_eq!(both(0.05f64.next_down()), Outcome::Pass);
    }

    #[test]
    fn argo_conditions_rollcage_cannot_read_are_refused_naming_them() {
        refused(
            Some("result < 0.01"),
            None,
            V,
            "successCondition `result < 0.01`: it compares the list",
        );
        refused(
            Some("result[0] < 0.01"),
            None,
            ResultKind::Scalar,
            "is a number here",
        );
        refused(
            Some("result[0] <= 0.01"),
            Some("result[0] > 0.05"),
            V,
            "values just above 0.01 meet neither condition",
        );
        refused(
            Some("result[0] < 0.05"),
            Some("result[0] > 0.01"),
            V,
            "contradict each other",
        );
        refused(
            Some("result[0] < 0.01"),
            Some("result[0] < 0.005"),
            V,
            "contradict each other",
        );
        refused(Some("result[0] != 0.5"), None, V, "on both sides");
        refused(
            Some("result[0] < 0.01 && result[0] > 0.02"),
            None,
            V,
            "passes no value",
        );
        refused(
            Some("result[0] < 1 || result[0] >= 1"),
            None,
            V,
            "passes every value",
        );
        refused(
            None,
            None,
            V,
            "neither successCondition nor failureCondition",
        );
        refused(Some("len(result) > 0"), None, V, "with no number");
        refused(
            Some("default(result, 0) < 5"),
            None,
            V,
            "is an Error for the value",
        );
        refused(Some("result[1] < 5"), None, V, "past the result's 1 values");
        refused(
            None,
            Some("foo(result) > 1"),
            V,
            "failureCondition `foo(result) > 1`: it calls foo()",
        );
        refused(Some("result == 'ok'"), None, V, "strings");
    }

    #[test]
    fn flagger_ranges() {
        let c = flagger(Some(99.0), None).unwrap();
        assert_eq!((c.lower, c.upper), (incl(99.0), None));
        assert_eq!((c.on_empty, c.on_nan), (Outcome::Fail, Outcome::Fail));
        assert_eq!(c.text, "thresholdRange {min: 99}");
        let c = flagger(Some(10.0), Some(1000.0)).unwrap();
        assert_eq!((c.lower, c.upper), (incl(10.0), incl(1000.0)));
        let c = flagger(Some(5.0), Some(5.0)).unwrap();
        assert_eq!((c.lower, c.upper), (incl(5.0), incl(5.0)));
        assert!(
            flagger(Some(2.0), Some(1.0))
                .unwrap_err()
                .0
                .contains("min above max")
        );
        assert!(
            flagger(None, None)
                .unwrap_err()
                .0
                .contains("neither min nor max")
        );
        assert!(
            flagger(Some(f64::NAN), None)
                .unwrap_err()
                .0
                .contains("finite")
        );
    }

    fn defaults() -> GateDefaults {
        GateDefaults {
            min_samples: 77,
            on_empty: EmptyRule::Inconclusive,
            interval_seconds: Some(60.0),
        }
    }

    const ERRORS: &str = r#"(sum(rate(r{code=~"5.."}[1m])) or vector(0)) / (sum(rate(r[1m])) > 0)"#;
    const SUCCESS: &str = r#"sum(rate(r{code!~"5.."}[1m])) / sum(rate(r[1m]))"#;
    const LAT_S: &str = r#"histogram_quantile(0.95, sum(rate(l_seconds_bucket[2m])) by (le))"#;
    const LAT_MS: &str =
        r#"histogram_quantile(0.99, sum(rate(l_milliseconds_bucket[2m])) by (le))"#;
    const RESTARTS: &str = r#"sum(increase(kube_pod_container_status_restarts_total[10m]))"#;

    fn gate(q: &str, c: &Condition) -> Result<Imported, ConditionError> {
        to_gate("g", &recognise(q).unwrap(), c, &defaults())
    }

    fn argo_gate(q: &str, cond: &str) -> Result<Imported, ConditionError> {
        gate(q, &argo(Some(cond), None, V).unwrap())
    }

    #[test]
    fn shares_become_an_error_ratio() {
        let g = argo_gate(SUCCESS, "result[0] >= 0.95").unwrap();
        assert_eq!(g.gate.metric, GateMetric::ErrorRatio);
        assert_eq!(
            g.gate.threshold, 0.05,
            "exactly 0.05, not 1 - 0.95 in binary"
        );
        assert_eq!(g.gate.comparison, Comparison::Absolute);
        assert_eq!(g.gate.window_seconds, 60.0);
        let pct = format!("{SUCCESS} * 100");
        let g = gate(&pct, &flagger(Some(99.0), None).unwrap()).unwrap();
        assert_eq!(g.gate.threshold, 0.01);
        let g = gate(&pct, &flagger(Some(99.9), None).unwrap()).unwrap();
        assert_eq!(g.gate.threshold, 0.001);
        // Percent vs ratio: the same number means a hundred times less as a percentage.
        let g = gate(
            &format!("{ERRORS} * 100"),
            &flagger(None, Some(1.0)).unwrap(),
        )
        .unwrap();
        assert_eq!(g.gate.threshold, 0.01);
        let g = gate(
            &format!("{ERRORS} * 100"),
            &flagger(None, Some(0.3)).unwrap(),
        )
        .unwrap();
        assert_eq!(g.gate.threshold, 0.003);
        let g = gate(ERRORS, &flagger(None, Some(1.0)).unwrap()).unwrap();
        assert_eq!(g.gate.threshold, 1.0);
        // A vacuous side is dropped, with a note.
        let g = gate(&pct, &flagger(Some(99.0), Some(100.0)).unwrap()).unwrap();
        assert_eq!(g.gate.threshold, 0.01);
        assert!(
            g.notes
                .iter()
                .any(|n| n.contains("<= 100 is met by every value"))
        );
        assert!(
            gate(&pct, &flagger(Some(0.0), Some(100.0)).unwrap())
                .unwrap_err()
                .0
                .contains("never fails")
        );
    }

    #[test]
    fn a_bound_against_the_healthy_direction_is_refused() {
        let e = argo_gate(ERRORS, "result[0] >= 0.5").unwrap_err();
        assert!(e.0.contains("asks an error ratio to be >= 0.5"), "{e}");
        assert!(e.0.contains("lower is better"), "{e}");
        let e = argo_gate(SUCCESS, "result[0] <= 0.95").unwrap_err();
        assert!(e.0.contains("higher is better"), "{e}");
        let e = argo_gate(ERRORS, "result[0] >= 0.001 && result[0] <= 0.05").unwrap_err();
        assert!(e.0.contains("a band"), "{e}");
        assert!(
            argo_gate(ERRORS, "result[0] >= 0")
                .unwrap_err()
                .0
                .contains("never fails")
        );
    }

    #[test]
    fn strict_bounds_are_read_inclusive_with_a_note_and_exactly_for_counts() {
        let g = argo_gate(ERRORS, "result[0] < 0.01").unwrap();
        assert_eq!(g.gate.threshold, 0.01);
        assert!(
            g.notes
                .iter()
                .any(|n| n.contains("the strict < 0.01 is read as error_ratio <= 0.01")),
            "{:?}",
            g.notes
        );
        assert!(
            argo_gate(ERRORS, "result[0] <= 0.01")
                .unwrap()
                .notes
                .iter()
                .all(|n| !n.contains("strict"))
        );
        let g = argo_gate(SUCCESS, "result[0] > 0.95").unwrap();
        assert_eq!(g.gate.threshold, 0.05);
        assert!(
            g.notes.iter().any(|n| n.contains("the strict > 0.95")),
            "{:?}",
            g.notes
        );
        for (cond, want) in [
            ("result[0] < 1", 0.0),
            ("result[0] <= 0", 0.0),
            ("result[0] < 1.5", 1.0),
            ("result[0] <= 1.5", 1.5),
            ("result[0] < 3", 2.0),
        ] {
            assert_eq!(
                argo_gate(RESTARTS, cond).unwrap().gate.threshold,
                want,
                "{cond}"
            );
        }
        let g = argo_gate(RESTARTS, "result[0] < 1").unwrap();
        assert!(
            g.notes
                .iter()
                .any(|n| n.contains("is exactly container restarts <= 0")),
            "{:?}",
            g.notes
        );
        assert!(
            argo_gate(RESTARTS, "result[0] < 0")
                .unwrap_err()
                .0
                .contains("no value")
        );
        // `== 0` on restarts: the lower side (>= 0) every count meets is dropped.
        let g = argo_gate(RESTARTS, "result[0] == 0").unwrap();
        assert_eq!(
            (g.gate.metric, g.gate.threshold),
            (GateMetric::Restarts, 0.0)
        );
    }

    #[test]
    fn latency_thresholds_are_in_milliseconds() {
        let g = argo_gate(LAT_S, "result[0] <= 0.5").unwrap();
        assert_eq!(g.gate.metric, GateMetric::Latency { quantile: 0.95 });
        assert_eq!(g.gate.threshold, 500.0);
        assert_eq!(g.gate.window_seconds, 120.0);
        let g = argo_gate(LAT_MS, "result[0] <= 500").unwrap();
        assert_eq!(g.gate.metric, GateMetric::Latency { quantile: 0.99 });
        assert_eq!(g.gate.threshold, 500.0);
        let g = gate(
            &format!("{LAT_S} * 1000"),
            &flagger(Some(0.0), Some(350.0)).unwrap(),
        )
        .unwrap();
        assert_eq!(g.gate.threshold, 350.0);
        assert!(
            g.notes
                .iter()
                .any(|n| n.contains(">= 0 is met by every value"))
        );
        let mean = r#"sum(rate(l_seconds_sum[1m])) / sum(rate(l_seconds_count[1m]))"#;
        let e = argo_gate(mean, "result[0] <= 0.5").unwrap_err();
        assert!(e.0.contains("latency_p50_ms"), "{e}");
    }

    #[test]
    fn windows_resolve_or_are_refused() {
        let q = r#"sum(increase(kube_pod_container_status_restarts_total[{{ interval }}]))"#;
        let c = flagger(None, Some(0.0)).unwrap();
        let s = recognise(q).unwrap();
        assert_eq!(
            to_gate("g", &s, &c, &defaults())
                .unwrap()
                .gate
                .window_seconds,
            60.0
        );
        let none = GateDefaults {
            interval_seconds: None,
            ..defaults()
        };
        assert!(
            to_gate("g", &s, &c, &none)
                .unwrap_err()
                .0
                .contains("no interval")
        );
        let s = recognise(&q.replace("{{ interval }}", "{{ args.window }}")).unwrap();
        assert!(
            to_gate("g", &s, &c, &defaults())
                .unwrap_err()
                .0
                .contains("{{ args.window }}")
        );
        let s = recognise(&q.replace("{{ interval }}", "500ms")).unwrap();
        assert!(
            to_gate("g", &s, &c, &defaults())
                .unwrap_err()
                .0
                .contains("outside")
        );
        let s = recognise(&q.replace("{{ interval }}", "1s")).unwrap();
        assert_eq!(
            to_gate("g", &s, &c, &defaults())
                .unwrap()
                .gate
                .window_seconds,
            1.0
        );
    }

    #[test]
    fn the_relative_form_reads_threshold_and_slack() {
        let cand =
            r#"sum(increase(kube_pod_container_status_restarts_total{v="c"}[5m])) or vector(0)"#;
        let base =
            r#"sum(increase(kube_pod_container_status_restarts_total{v="b"}[5m])) or vector(0)"#;
        let rel = format!("({cand}) - (2 * ({base}) + 3)");
        let g = argo_gate(&rel, "result[0] <= 0").unwrap();
        assert_eq!(g.gate.comparison, Comparison::Relative);
        assert_eq!((g.gate.threshold, g.gate.slack), (2.0, 3.0));
        // A bound other than 0 moves the slack: c - (2b + 3) <= 2 is c <= 2b + 5.
        assert_eq!(argo_gate(&rel, "result[0] <= 2").unwrap().gate.slack, 5.0);
        let e = argo_gate(&rel, "result[0] <= -4").unwrap_err();
        assert!(e.0.contains("leaves a slack of -1"), "{e}");
        let e = argo_gate(&rel, "result[0] >= 0").unwrap_err();
        assert!(e.0.contains("at most a bound"), "{e}");
        // A KPI: c - (0.9b - 0.01) >= 0 is c >= 0.9b - 0.01.
        let k = |v: &str| {
            format!(
                "(sum(rate(conv{{v=\"{v}\"}}[1m])) or vector(0)) / (sum(rate(r{{v=\"{v}\", code!~\"5..\"}}[1m])) > 0)"
            )
        };
        let kpi = format!("({}) - (0.9 * ({}) - 0.01)", k("c"), k("b"));
        let g = argo_gate(&kpi, "result[0] >= 0").unwrap();
        assert_eq!(g.gate.metric, GateMetric::Kpi);
        assert_eq!((g.gate.threshold, g.gate.slack), (0.9, 0.01));
        // Seconds: the slack is converted to ms.
        let l = |v: &str| {
            format!(
                "histogram_quantile(0.99, sum by (le) (rate(l_seconds_bucket{{v=\"{v}\"}}[1m])))"
            )
        };
        let lat = format!("({}) - (1.5 * ({}) + 0.005)", l("c"), l("b"));
        let g = argo_gate(&lat, "result[0] <= 0").unwrap();
        assert_eq!((g.gate.threshold, g.gate.slack), (1.5, 5.0));
        // No slack term: read as slack 0, with a note.
        let mw = format!("({cand}) - (1.1 * ({base}))");
        let g = argo_gate(&mw, "result[0] <= 0").unwrap();
        assert_eq!(
            (g.gate.comparison, g.gate.slack),
            (Comparison::Relative, 0.0)
        );
        assert!(g.notes.iter().any(|n| n.contains("Mann-Whitney")));
        let s = |v: &str| {
            format!("sum(rate(r{{v=\"{v}\", code!~\"5..\"}}[1m])) / sum(rate(r{{v=\"{v}\"}}[1m]))")
        };
        let e = argo_gate(
            &format!("({}) - (1 * ({}) + 0)", s("c"), s("b")),
            "result[0] >= 0",
        )
        .unwrap_err();
        assert!(e.0.contains("relative margin of a success ratio"), "{e}");
    }

    #[test]
    fn guards_and_empty_results_reach_the_gate_and_its_notes() {
        let guarded = format!("({ERRORS}) and on() (sum(increase(r[1m])) >= 250)");
        let g = argo_gate(&guarded, "result[0] <= 0.01").unwrap();
        assert_eq!(g.gate.min_samples, 250);
        assert_eq!(g.on_empty, Outcome::Error);
        assert_eq!(
            g.gate.on_empty,
            EmptyRule::Inconclusive,
            "the caller's default"
        );
        assert!(g.notes.iter().any(|n| n.contains("min_samples 250")));
        let g = argo_gate(ERRORS, "result[0] <= 0.01").unwrap();
        assert_eq!(
            g.gate.min_samples, 77,
            "the caller's default without a guard"
        );
        let bare = r#"sum(rate(r{code=~"5.."}[1m])) / sum(rate(r[1m]))"#;
        let g = argo_gate(bare, "len(result) == 0 || result[0] <= 0.01").unwrap();
        assert_eq!(g.on_empty, Outcome::Pass);
        assert!(
            g.notes
                .iter()
                .any(|n| n.contains("until the candidate's first 5xx response")
                    && n.contains("counts as pass")),
            "{:?}",
            g.notes
        );
        assert_eq!(Outcome::Error.empty_rule(), None);
        assert_eq!(Outcome::Fail.empty_rule(), Some(EmptyRule::Fail));
    }

    // Round trips: what rollcage's Argo and Flagger exports write reads back as the gate.

    fn expected_comparison(c: Comparison) -> Comparison {
        match c {
            // The test has no PromQL form: it exports as the mean ratio, slack 0.
            Comparison::MannWhitney(_) => Comparison::Relative,
            c => c,
        }
    }

    fn check_round_trip(g: &GateSpec, back: &Imported, how: &str) -> Result<(), String> {
        let b = &back.gate;
        let min = if g.metric.needs_requests() && g.min_samples > 0 {
            g.min_samples
        } else {
            defaults().min_samples
        };
        let slack = if matches!(g.comparison, Comparison::Relative) {
            g.slack
        } else {
            0.0
        };
        let want = (
            g.metric,
            expected_comparison(g.comparison),
            g.threshold,
            slack,
            g.window_seconds,
            min,
        );
        let got = (
            b.metric,
            b.comparison,
            b.threshold,
            b.slack,
            b.window_seconds,
            b.min_samples,
        );
        if want == got {
            Ok(())
        } else {
            Err(format!(
                "{how}: gate {g:?}\nwant {want:?}\ngot  {got:?}\nnotes {:?}",
                back.notes
            ))
        }
    }

    fn round_trip(g: &GateSpec, reader: Reader) -> Result<(), String> {
        let n = SeriesNames::default();
        let sel = match reader {
            Reader::Argo => Selectors::by_version(&n, "svc", "canary", "stable"),
            Reader::Flagger => Selectors::flagger(&n),
        };
        let q = gate_query(&n, g, &sel, reader);
        let shape = recognise(&q.query).map_err(|e| format!("{}: {e}", q.query))?;
        let cond = match reader {
            Reader::Argo => argo(Some(&q.condition()), None, shape.result),
            Reader::Flagger if q.at_least => flagger(Some(q.bound), None),
            Reader::Flagger => flagger(None, Some(q.bound)),
        }
        .map_err(|e| e.0)?;
        let back = to_gate(&g.name, &shape, &cond, &defaults())
            .map_err(|e| format!("{}: {e}", q.query))?;
        if matches!(g.comparison, Comparison::MannWhitney(_))
            && !back.notes.iter().any(|n| n.contains("Mann-Whitney"))
        {
            return Err(format!("no Mann-Whitney note: {:?}", back.notes));
        }
        check_round_trip(g, &back, &q.query)
    }

    fn builtin_policies() -> Vec<crate::Policy> {
        crate::BUILTIN
            .iter()
            .map(|(name, _)| crate::Policy::from_doc(&crate::builtin(name).unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn every_builtin_gate_reads_back_from_both_exports_queries() {
        let mut gates = 0;
        for p in builtin_policies() {
            for g in p.kind.gates() {
                for r in [Reader::Argo, Reader::Flagger] {
                    round_trip(g, r).unwrap_or_else(|e| panic!("policy {}: {e}", p.name));
                }
                gates += 1;
            }
        }
        assert!(gates >= 15, "{gates} gates");
    }

    /// The same through the bytes of the real exports: YAML written, read back by
    /// libyaml, then imported.
    #[test]
    fn every_builtin_export_yaml_reads_back() {
        use crate::export::{Options, Target, export};
        use crate::k8s_names::{HttpUrl, ServiceName};
        use serde::Deserialize;
        use serde_norway::Value;
        let o = Options {
            service: ServiceName::new("svc").unwrap(),
            prometheus_address: HttpUrl::new("http://prometheus:9090").unwrap(),
            series: SeriesNames::default(),
        };
        let mut checked = 0;
        for p in builtin_policies() {
            for target in [Target::Argo, Target::Flagger] {
                let Ok(out) = export(&p, target, &o) else {
                    continue;
                };
                let docs: Vec<Value> = serde_norway::Deserializer::from_str(&out.text)
                    .map(|d| Value::deserialize(d).unwrap())
                    .collect();
                let kind = |d: &Value| {
                    d.get("kind")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                for g in p.kind.gates() {
                    let (query, cond): (String, Condition) = if target == Target::Argo {
                        let m = docs
                            .iter()
                            .filter(|d| kind(d) == "AnalysisTemplate")
                            .flat_map(|d| d["spec"]["metrics"].as_sequence().unwrap().iter())
                            .find(|m| m["name"].as_str() == Some(&g.name))
                            .unwrap_or_else(|| panic!("{}: no metric {}", p.name, g.name));
                        let q = m["provider"]["prometheus"]["query"]
                            .as_str()
                            .unwrap()
                            .to_string();
                        let s = m["successCondition"].as_str().unwrap().to_string();
                        let c = argo(Some(&s), None, recognise(&q).unwrap().result).unwrap();
                        (q, c)
                    } else {
                        let canary = docs.iter().find(|d| kind(d) == "Canary").unwrap();
                        let m = canary["spec"]["analysis"]["metrics"]
                            .as_sequence()
                            .unwrap()
                            .iter()
                            .find(|m| m["name"].as_str() == Some(&g.name))
                            .unwrap();
                        let template = m["templateRef"]["name"].as_str().unwrap();
                        let t = docs
                            .iter()
                            .find(|d| {
                                kind(d) == "MetricTemplate"
                                    && d["metadata"]["name"].as_str() == Some(template)
                            })
                            .unwrap();
                        let range = &m["thresholdRange"];
                        let c = flagger(
                            range.get("min").and_then(Value::as_f64),
                            range.get("max").and_then(Value::as_f64),
                        )
                        .unwrap();
                        (t["spec"]["query"].as_str().unwrap().to_string(), c)
                    };
                    let shape = recognise(&query).unwrap_or_else(|e| panic!("{query}: {e}"));
                    let back = to_gate(&g.name, &shape, &cond, &defaults()).unwrap();
                    check_round_trip(g, &back, &query)
                        .unwrap_or_else(|e| panic!("{}: {e}", p.name));
                    checked += 1;
                }
            }
        }
        assert!(checked >= 10, "{checked} gates through YAML");
    }

    fn any_metric() -> impl Strategy<Value = GateMetric> {
        prop_oneof![
            Just(GateMetric::ErrorRatio),
            prop_oneof![
                Just(0.5),
                Just(0.9),
                Just(0.95),
                Just(0.99),
                Just(0.999),
                0.001f64..0.999
            ]
            .prop_map(|quantile| GateMetric::Latency { quantile }),
            Just(GateMetric::Restarts),
            Just(GateMetric::MemoryMb),
            Just(GateMetric::Kpi),
            Just(GateMetric::SessionsLost),
        ]
    }

    fn any_number() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(0.0),
            Just(1.0),
            0.0f64..1.0,
            0.0f64..1000.0,
            0.0f64..MAX_THRESHOLD,
            (0u32..1000).prop_map(f64::from),
        ]
    }

    fn any_gate() -> impl Strategy<Value = GateSpec> {
        (
            any_metric(),
            prop_oneof![
                Just(Comparison::Absolute),
                Just(Comparison::Relative),
                Just(Comparison::MannWhitney(MannWhitneyRule::default())),
            ],
            any_number(),
            any_number(),
            prop_oneof![Just(1u32), Just(60), Just(3600), 1u32..=2_592_000],
            prop_oneof![Just(0u64), Just(100), 0u64..1_000_000],
        )
            .prop_map(
                |(metric, comparison, threshold, slack, window, min_samples)| GateSpec {
                    name: "g".into(),
                    metric,
                    comparison,
                    threshold,
                    slack,
                    window_seconds: f64::from(window),
                    min_samples,
                    on_empty: EmptyRule::Inconclusive,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1500))]

        /// Generated gates: metric x comparison x threshold x slack x window x
        /// min_samples, through both exports' queries and conditions and back.
        #[test]
        fn generated_gates_read_back_from_both_exports(g in any_gate()) {
            for r in [Reader::Argo, Reader::Flagger] {
                if let Err(e) = round_trip(&g, r) {
                    prop_assert!(false, "{}", e);
                }
            }
        }

        /// Any condition text: a bound or an error, never a panic.
        #[test]
        fn any_condition_is_a_bound_or_an_error(s in "\\PC{0,120}", f in proptest::option::of("[ -~]{0,60}")) {
            let _ = argo(Some(&s), f.as_deref(), V);
            let _ = argo(Some(&s), None, ResultKind::Scalar);
        }

        /// Conditions built from expr-lang's own pieces.
        #[test]
        fn condition_pieces_are_a_bound_or_an_error(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("result"), Just("[0]"), Just("[-1]"), Just(" < "), Just(" >= "), Just(" == "),
                    Just("0.01"), Just("1"), Just("-2"), Just(" || "), Just(" && "), Just("!"),
                    Just("("), Just(")"), Just("len(result)"), Just("isNaN("), Just("all(result, {"),
                    Just("# < 3"), Just("}"), Just(", "), Just("max("), Just("default(result, 0)"),
                    Just(" not "), Just(" and "), Just("1e300"), Just("NaN"),
                ],
                0..24,
            )
        ) {
            let s: String = parts.concat();
            let _ = argo(Some(&s), None, V);
            let _ = argo(None, Some(&s), V);
        }
    }
}
