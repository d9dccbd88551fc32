//! Distribution tables: a number a user does not know, written where the number goes.
//!
//! `leak_mb_per_second = { uniform = [0.5, 4] }` says "somewhere between 0.5 and 4".
//! A table is a distribution table when one of its keys names a distribution
//! (`uniform`, `log_uniform`, `normal`, `lognormal`, `choice`); those names are
//! reserved, no section of a rollcage document uses them, so a typo inside such a
//! table (`{ uniform = [1, 2], wieghts = [1] }`) is reported, never read as a section.
//!
//! This module owns the syntax (`find`, `Distribution::parse`), the rules on each
//! distribution's own parameters (a < b, sd > 0, weights), its support's ends (what a
//! bound check must try) and its quantile function: a draw is `quantile(u)` for one
//! uniform `u` in (0, 1), so whoever owns the random streams (the scenario) draws
//! exactly one number per parameter and truncation never needs rejection.

use std::collections::BTreeSet;
use std::fmt;

use statrs::function::erf::{erfc, erfc_inv};
use toml::{Table, Value};

use crate::{Doc, number};

/// The distribution names a table may hold (one of them).
pub const NAMES: [&str; 5] = ["uniform", "log_uniform", "normal", "lognormal", "choice"];

/// One uncertain number.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// Every value in `[low, high]` equally likely.
    Uniform { low: f64, high: f64 },
    /// Uniform in the logarithm: each factor of ten between `low` and `high` equally
    /// likely (`low > 0`).
    LogUniform { low: f64, high: f64 },
    /// A normal distribution truncated to `[min, max]` (an absent end is open).
    Normal {
        mean: f64,
        sd: f64,
        min: Option<f64>,
        max: Option<f64>,
    },
    /// `exp` of a normal with `ln(median)` and `sigma`, truncated to `[min, max]`.
    LogNormal {
        median: f64,
        sigma: f64,
        min: Option<f64>,
        max: Option<f64>,
    },
    /// One of `values` (TOML integers stay integers), with `weights` (equal if unsaid).
    Choice {
        values: Vec<Value>,
        weights: Vec<f64>,
    },
}

/// One end of what a distribution can draw, as a bound check must try it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct End {
    pub value: f64,
    /// The distribution has no end on this side: `value` is a stand-in (`±f64::MAX`,
    /// or the smallest positive number for a lognormal's open 0).
    pub open: bool,
    /// `Some(i)`: the end is choice value `i`, substituted as written.
    pub choice: Option<usize>,
}

/// A distribution table found in a document.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// The dotted key as problems name it: `candidate.memory.leak_mb_per_second`,
    /// `faults[0].rate_per_hour`.
    pub key: String,
    pub path: Vec<Segment>,
    pub parsed: Result<Distribution, String>,
}

/// One step of a path into a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Whether `t` is a distribution table (it holds a distribution's name).
pub fn is_distribution(t: &Table) -> bool {
    NAMES.iter().any(|n| t.contains_key(*n))
}

/// Every distribution table of `table`, sorted by key (so that what is drawn, and in
/// which column it lands, never depends on where in the file it was written).
pub fn find(table: &Table) -> Vec<Found> {
    let mut out = Vec::new();
    walk_table(table, &mut Vec::new(), &mut out);
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

fn walk_table(t: &Table, path: &mut Vec<Segment>, out: &mut Vec<Found>) {
    for (k, v) in t {
        path.push(Segment::Key(k.clone()));
        walk_value(v, path, out);
        path.pop();
    }
}

fn walk_value(v: &Value, path: &mut Vec<Segment>, out: &mut Vec<Found>) {
    match v {
        Value::Table(t) if is_distribution(t) => out.push(Found {
            key: key_text(path),
            path: path.clone(),
            parsed: Distribution::parse(t),
        }),
        Value::Table(t) => walk_table(t, path, out),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                walk_value(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// `a.b[2].c`, as `Section::key_path` writes keys.
pub fn key_text(path: &[Segment]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Segment::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Puts `value` at `path` (which `find` returned for this table).
pub fn set_at(table: &mut Table, path: &[Segment], value: Value) {
    let Some((Segment::Key(first), rest)) = path.split_first() else {
        return;
    };
    let Some(slot) = table.get_mut(first) else {
        return;
    };
    set_in(slot, rest, value);
}

fn set_in(slot: &mut Value, path: &[Segment], value: Value) {
    let Some((seg, rest)) = path.split_first() else {
        *slot = value;
        return;
    };
    let next = match (seg, slot) {
        (Segment::Key(k), Value::Table(t)) => t.get_mut(k),
        (Segment::Index(i), Value::Array(a)) => a.get_mut(*i),
        _ => None,
    };
    if let Some(next) = next {
        set_in(next, rest, value);
    }
}

/// Removes what is at `path` (a distribution table that did not parse, so that the
/// reader takes the key's default instead of reporting a second problem there).
pub fn remove_at(table: &mut Table, path: &[Segment]) {
    match path {
        [Segment::Key(k)] => {
            table.remove(k);
        }
        [Segment::Key(k), rest @ ..] => {
            if let Some(v) = table.get_mut(k) {
                remove_in(v, rest);
            }
        }
        _ => {}
    }
}

fn remove_in(v: &mut Value, path: &[Segment]) {
    match (path, v) {
        ([Segment::Key(k)], Value::Table(t)) => {
            t.remove(k);
        }
        // An array element cannot be left out without shifting the others: a number
        // stands in for it (the problem is reported already).
        ([Segment::Index(i)], Value::Array(a)) => {
            if let Some(slot) = a.get_mut(*i) {
                *slot = Value::Integer(0);
            }
        }
        ([Segment::Key(k), rest @ ..], Value::Table(t)) => {
            if let Some(v) = t.get_mut(k) {
                remove_in(v, rest);
            }
        }
        ([Segment::Index(i), rest @ ..], Value::Array(a)) => {
            if let Some(v) = a.get_mut(*i) {
                remove_in(v, rest);
            }
        }
        _ => {}
    }
}

fn finite(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

fn pair(name: &str, v: &Value) -> Result<(f64, f64), String> {
    let bad = || format!("{name} takes two numbers [low, high], found {}", shown(v));
    let Value::Array(items) = v else {
        return Err(bad());
    };
    match items.as_slice() {
        [a, b] => match (finite(a), finite(b)) {
            (Some(a), Some(b)) if a < b => Ok((a, b)),
            (Some(a), Some(b)) => Err(format!(
                "{name} [{}, {}] needs low < high",
                number(a),
                number(b)
            )),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// A value as a message shows it: numbers as written, others by their type.
fn shown(v: &Value) -> String {
    match finite(v) {
        Some(x) => number(x),
        None => crate::describe(v),
    }
}

/// The keys of a `{ mean = .., sd = .. }` parameter table, read strictly.
struct Params<'t> {
    name: &'static str,
    table: &'t Table,
}

impl Params<'_> {
    fn of<'t>(name: &'static str, v: &'t Value, keys: &[&str]) -> Result<Params<'t>, String> {
        let Value::Table(table) = v else {
            return Err(format!(
                "{name} takes a table {{ {} }}, found {}",
                keys.join(", "),
                crate::describe(v)
            ));
        };
        if let Some(k) = table.keys().find(|k| !keys.contains(&k.as_str())) {
            return Err(format!(
                "{name}: unknown parameter `{k}`; it takes {}",
                keys.join(", ")
            ));
        }
        Ok(Params { name, table })
    }

    fn opt(&self, key: &str) -> Result<Option<f64>, String> {
        match self.table.get(key) {
            None => Ok(None),
            Some(v) => finite(v).map(Some).ok_or_else(|| {
                format!(
                    "{}: `{key}` must be a finite number, found {}",
                    self.name,
                    crate::describe(v)
                )
            }),
        }
    }

    fn req(&self, key: &str) -> Result<f64, String> {
        self.opt(key)?
            .ok_or_else(|| format!("{}: `{key}` is missing", self.name))
    }
}

impl Distribution {
    /// Reads a distribution table, or says what is wrong with it (one reason: the
    /// first rule broken, naming the distribution and its parameter).
    pub fn parse(t: &Table) -> Result<Distribution, String> {
        let named: Vec<&str> = NAMES
            .iter()
            .copied()
            .filter(|n| t.contains_key(*n))
            .collect();
        let [name] = named[..] else {
            return Err(format!(
                "a distribution table names one distribution, found {}",
                named.join(" and ")
            ));
        };
        let allowed: &[&str] = if name == "choice" {
            &["choice", "weights"]
        } else {
            &[name]
        };
        if let Some(k) = t.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!(
                "unknown key `{k}` beside {name}; a distribution table holds {}",
                allowed.join(" and ")
            ));
        }
        let v = &t[name];
        let d = match name {
            "uniform" => {
                let (low, high) = pair(name, v)?;
                Distribution::Uniform { low, high }
            }
            "log_uniform" => {
                let (low, high) = pair(name, v)?;
                if low <= 0.0 {
                    return Err(format!(
                        "log_uniform [{}, {}] needs low > 0 (it is uniform in the logarithm)",
                        number(low),
                        number(high)
                    ));
                }
                Distribution::LogUniform { low, high }
            }
            "normal" => {
                let p = Params::of(name, v, &["mean", "sd", "min", "max"])?;
                let (mean, sd) = (p.req("mean")?, p.req("sd")?);
                if sd <= 0.0 {
                    return Err(format!(
                        "normal: `sd` must be positive, found {}",
                        number(sd)
                    ));
                }
                let (min, max) = (p.opt("min")?, p.opt("max")?);
                check_truncation(name, min, max)?;
                Distribution::Normal { mean, sd, min, max }
            }
            "lognormal" => {
                let p = Params::of(name, v, &["median", "sigma", "min", "max"])?;
                let (median, sigma) = (p.req("median")?, p.req("sigma")?);
                if median <= 0.0 {
                    return Err(format!(
                        "lognormal: `median` must be positive, found {}",
                        number(median)
                    ));
                }
                if sigma <= 0.0 {
                    return Err(format!(
                        "lognormal: `sigma` must be positive, found {}",
                        number(sigma)
                    ));
                }
                let (min, max) = (p.opt("min")?, p.opt("max")?);
                if let Some(m) = min.filter(|&m| m <= 0.0) {
                    return Err(format!(
                        "lognormal: `min` must be positive (it draws only positive values), found {}",
                        number(m)
                    ));
                }
                if let Some(m) = max.filter(|&m| m <= 0.0) {
                    return Err(format!(
                        "lognormal: `max` must be positive (it draws only positive values), found {}",
                        number(m)
                    ));
                }
                check_truncation(name, min, max)?;
                Distribution::LogNormal {
                    median,
                    sigma,
                    min,
                    max,
                }
            }
            _ => choice(v, t.get("weights"))?,
        };
        if d.mass() <= 0.0 {
            return Err(format!(
                "{d}: its interval holds no probability (it lies too far out in a tail to draw from)"
            ));
        }
        Ok(d)
    }

    /// What a bound check must try: the support's two ends (for a choice, every value).
    pub fn ends(&self) -> Vec<End> {
        let end = |value: f64, open: bool| End {
            value,
            open,
            choice: None,
        };
        let side = |v: Option<f64>, stand_in: f64| match v {
            Some(x) => end(x, false),
            None => end(stand_in, true),
        };
        match self {
            Distribution::Uniform { low, high } | Distribution::LogUniform { low, high } => {
                vec![end(*low, false), end(*high, false)]
            }
            Distribution::Normal { min, max, .. } => {
                vec![side(*min, -f64::MAX), side(*max, f64::MAX)]
            }
            Distribution::LogNormal { min, max, .. } => {
                vec![side(*min, f64::MIN_POSITIVE), side(*max, f64::MAX)]
            }
            Distribution::Choice { values, .. } => values
                .iter()
                .enumerate()
                .map(|(i, v)| End {
                    value: finite(v).unwrap_or(0.0),
                    open: false,
                    choice: Some(i),
                })
                .collect(),
        }
    }

    /// The value at probability `u` in (0, 1): the inverse of the (truncated) CDF, so
    /// that one uniform draw gives one value and truncation costs no retries. For a
    /// choice, the value whose cumulative weight first exceeds `u` × the total. The
    /// result is clamped to the support's ends against the last bit of rounding.
    pub fn quantile(&self, u: f64) -> f64 {
        match self {
            Distribution::Uniform { low, high } => (low + u * (high - low)).clamp(*low, *high),
            Distribution::LogUniform { low, high } => {
                let (a, b) = (low.ln(), high.ln());
                (a + u * (b - a)).exp().clamp(*low, *high)
            }
            Distribution::Normal { mean, sd, min, max } => {
                let z = truncated_normal(
                    u,
                    min.map(|m| (m - mean) / sd),
                    max.map(|m| (m - mean) / sd),
                );
                (mean + sd * z).clamp(min.unwrap_or(f64::MIN), max.unwrap_or(f64::MAX))
            }
            Distribution::LogNormal {
                median,
                sigma,
                min,
                max,
            } => {
                let ln_m = median.ln();
                let lo = min.map(|m| (m.ln() - ln_m) / sigma);
                let hi = max.map(|m| (m.ln() - ln_m) / sigma);
                let z = truncated_normal(u, lo, hi);
                (ln_m + sigma * z)
                    .exp()
                    .clamp(min.unwrap_or(0.0), max.unwrap_or(f64::MAX))
            }
            Distribution::Choice { values, .. } => {
                finite(&values[self.choice_index(u)]).unwrap_or(0.0)
            }
        }
    }

    /// For a choice: the index `quantile(u)` picks.
    pub fn choice_index(&self, u: f64) -> usize {
        let Distribution::Choice { weights, .. } = self else {
            return 0;
        };
        let total: f64 = weights.iter().sum();
        let target = u * total;
        let mut cum = 0.0;
        let mut last = 0;
        for (i, &w) in weights.iter().enumerate() {
            if w <= 0.0 {
                continue;
            }
            cum += w;
            last = i;
            if target < cum {
                return i;
            }
        }
        last
    }

    /// The probability the truncation interval holds before renormalising (1 for the
    /// distributions that are not truncated).
    fn mass(&self) -> f64 {
        match self {
            Distribution::Normal { mean, sd, min, max } => {
                tail_mass(min.map(|m| (m - mean) / sd), max.map(|m| (m - mean) / sd))
            }
            Distribution::LogNormal {
                median,
                sigma,
                min,
                max,
            } => {
                let ln_m = median.ln();
                tail_mass(
                    min.map(|m| (m.ln() - ln_m) / sigma),
                    max.map(|m| (m.ln() - ln_m) / sigma),
                )
            }
            _ => 1.0,
        }
    }
}

fn check_truncation(name: &str, min: Option<f64>, max: Option<f64>) -> Result<(), String> {
    match (min, max) {
        (Some(a), Some(b)) if a >= b => Err(format!(
            "{name}: `min` ({}) must be below `max` ({})",
            number(a),
            number(b)
        )),
        _ => Ok(()),
    }
}

fn choice(v: &Value, weights: Option<&Value>) -> Result<Distribution, String> {
    let Value::Array(items) = v else {
        return Err(format!(
            "choice takes a list of numbers [v1, v2, ...], found {}",
            crate::describe(v)
        ));
    };
    if items.is_empty() {
        return Err("choice needs at least one value".into());
    }
    if let Some(bad) = items.iter().find(|x| finite(x).is_none()) {
        return Err(format!(
            "choice values must be finite numbers, found {}",
            crate::describe(bad)
        ));
    }
    let weights = match weights {
        None => vec![1.0; items.len()],
        Some(Value::Array(ws)) => {
            if ws.len() != items.len() {
                return Err(format!(
                    "choice has {} values but {} weights; give one weight per value",
                    items.len(),
                    ws.len()
                ));
            }
            let mut out = Vec::with_capacity(ws.len());
            for w in ws {
                match finite(w) {
                    Some(x) if x >= 0.0 => out.push(x),
                    _ => {
                        return Err(format!(
                            "choice weights must be numbers of at least 0, found {}",
                            shown(w)
                        ));
                    }
                }
            }
            if out.iter().sum::<f64>() <= 0.0 {
                return Err("choice weights must not all be 0".into());
            }
            out
        }
        Some(other) => {
            return Err(format!(
                "choice weights are a list of numbers, found {}",
                crate::describe(other)
            ));
        }
    };
    Ok(Distribution::Choice {
        values: items.clone(),
        weights,
    })
}

/// `P(Z ≤ z)` for the standard normal.
fn cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// `P(Z > z)`.
fn sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The standard normal's mass in `[lo, hi]` (absent ends open), computed in the
/// upper tail when the interval lies above 0 so that a far-out interval keeps its
/// digits.
fn tail_mass(lo: Option<f64>, hi: Option<f64>) -> f64 {
    let (a, b) = (lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY));
    if a >= 0.0 {
        sf(a) - sf(b)
    } else {
        cdf(b) - cdf(a)
    }
}

/// The standard normal truncated to `[lo, hi]` at probability `u`: `Φ⁻¹(Φ(a) + u (Φ(b)
/// − Φ(a)))`, through the upper tail (`Q`, `Q⁻¹`) when the interval lies above 0, by
/// the normal's symmetry, so that neither side loses precision to `1 − tiny`.
fn truncated_normal(u: f64, lo: Option<f64>, hi: Option<f64>) -> f64 {
    let (a, b) = (lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY));
    let z = if a >= 0.0 {
        let (qa, qb) = (sf(a), sf(b));
        let q = qa - u * (qa - qb);
        std::f64::consts::SQRT_2 * erfc_inv(2.0 * q)
    } else {
        let (pa, pb) = (cdf(a), cdf(b));
        let p = pa + u * (pb - pa);
        -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
    };
    if z.is_nan() {
        0.0f64.clamp(a, b)
    } else {
        z.clamp(a, b)
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |name: &str, v: &Option<f64>| {
            v.map(|x| format!(", {name} {}", number(x)))
                .unwrap_or_default()
        };
        match self {
            Distribution::Uniform { low, high } => {
                write!(f, "uniform [{}, {}]", number(*low), number(*high))
            }
            Distribution::LogUniform { low, high } => {
                write!(f, "log_uniform [{}, {}]", number(*low), number(*high))
            }
            Distribution::Normal { mean, sd, min, max } => write!(
                f,
                "normal (mean {}, sd {}{}{})",
                number(*mean),
                number(*sd),
                opt("min", min),
                opt("max", max)
            ),
            Distribution::LogNormal {
                median,
                sigma,
                min,
                max,
            } => write!(
                f,
                "lognormal (median {}, sigma {}{}{})",
                number(*median),
                number(*sigma),
                opt("min", min),
                opt("max", max)
            ),
            Distribution::Choice { values, weights } => {
                let vs: Vec<String> = values.iter().map(shown).collect();
                write!(f, "choice [{}]", vs.join(", "))?;
                if weights.windows(2).any(|w| w[0] != w[1]) {
                    let ws: Vec<String> = weights.iter().map(|w| number(*w)).collect();
                    write!(f, " weights [{}]", ws.join(", "))?;
                }
                Ok(())
            }
        }
    }
}

/// A document kept to be read again with numbers in place of its distributions: its
/// origin, its table (`--set` applied) and which keys `--set` gave, so that a problem
/// found in a substituted copy is labelled as the original's would be. Unlike a `Doc`
/// it holds no cells, so it can be shared between threads.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    origin: String,
    table: Table,
    overridden: BTreeSet<String>,
}

impl Template {
    pub fn table(&self) -> &Table {
        &self.table
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A fresh document: this one's table changed by `edit`, same origin and labels.
    pub fn doc_with(&self, edit: impl FnOnce(&mut Table)) -> Doc {
        let mut table = self.table.clone();
        edit(&mut table);
        let mut doc = Doc::from_table(&self.origin, table);
        doc.overridden = self.overridden.clone();
        doc
    }
}

impl Doc {
    /// This document as a `Template`.
    pub fn template(&self) -> Template {
        Template {
            origin: self.origin.clone(),
            table: self.table.clone(),
            overridden: self.overridden.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(text: &str) -> Result<Distribution, String> {
        let t: Table = format!("x = {text}").parse().unwrap();
        match &t["x"] {
            Value::Table(d) => Distribution::parse(d),
            _ => panic!("not a table"),
        }
    }

    #[test]
    fn each_distribution_parses_and_shows_as_written() {
        for (text, shown) in [
            ("{ uniform = [0.1, 2] }", "uniform [0.1, 2]"),
            ("{ log_uniform = [1e-3, 10] }", "log_uniform [0.001, 10]"),
            (
                "{ normal = { mean = 5, sd = 1, min = 0, max = 10 } }",
                "normal (mean 5, sd 1, min 0, max 10)",
            ),
            (
                "{ lognormal = { median = 2, sigma = 0.5 } }",
                "lognormal (median 2, sigma 0.5)",
            ),
            (
                "{ lognormal = { median = 2, sigma = 0.5, max = 30 } }",
                "lognormal (median 2, sigma 0.5, max 30)",
            ),
            ("{ choice = [1, 2, 4] }", "choice [1, 2, 4]"),
            (
                "{ choice = [1, 2.5], weights = [3, 1] }",
                "choice [1, 2.5] weights [3, 1]",
            ),
        ] {
            assert_eq!(dist(text).unwrap().to_string(), shown, "{text}");
        }
    }

    #[test]
    fn bad_distributions_say_which_rule_they_break() {
        for (text, reason) in [
            ("{ uniform = [2, 1] }", "uniform [2, 1] needs low < high"),
            ("{ uniform = [1, 1] }", "uniform [1, 1] needs low < high"),
            (
                "{ uniform = [1] }",
                "uniform takes two numbers [low, high], found an array",
            ),
            (
                "{ uniform = [1, inf] }",
                "uniform takes two numbers [low, high], found an array",
            ),
            (
                "{ log_uniform = [0, 1] }",
                "log_uniform [0, 1] needs low > 0 (it is uniform in the logarithm)",
            ),
            (
                "{ normal = { mean = 1, sd = 0 } }",
                "normal: `sd` must be positive, found 0",
            ),
            (
                "{ normal = { mean = 1, sd = -1 } }",
                "normal: `sd` must be positive, found -1",
            ),
            ("{ normal = { sd = 1 } }", "normal: `mean` is missing"),
            (
                "{ normal = { mean = 1, sd = 1, mn = 0 } }",
                "normal: unknown parameter `mn`; it takes mean, sd, min, max",
            ),
            (
                "{ normal = { mean = 1, sd = 1, min = 3, max = 3 } }",
                "normal: `min` (3) must be below `max` (3)",
            ),
            (
                "{ normal = { mean = 0, sd = 1, min = 50, max = 60 } }",
                "normal (mean 0, sd 1, min 50, max 60): its interval holds no probability (it lies too far out in a tail to draw from)",
            ),
            (
                "{ lognormal = { median = 0, sigma = 1 } }",
                "lognormal: `median` must be positive, found 0",
            ),
            (
                "{ lognormal = { median = 1, sigma = 0 } }",
                "lognormal: `sigma` must be positive, found 0",
            ),
            (
                "{ choice = [1, 2], weights = [1] }",
                "choice has 2 values but 1 weights; give one weight per value",
            ),
            (
                "{ choice = [1, 2], weights = [1, -1] }",
                "choice weights must be numbers of at least 0, found -1",
            ),
            (
                "{ choice = [1, 2], weights = [0, 0] }",
                "choice weights must not all be 0",
            ),
            ("{ choice = [] }", "choice needs at least one value"),
            (
                "{ choice = [1, \"a\"] }",
                "choice values must be finite numbers, found the string \"a\"",
            ),
            (
                "{ uniform = [1, 2], normal = { mean = 1, sd = 1 } }",
                "a distribution table names one distribution, found uniform and normal",
            ),
            (
                "{ uniform = [1, 2], weights = [1] }",
                "unknown key `weights` beside uniform; a distribution table holds uniform",
            ),
        ] {
            assert_eq!(dist(text), Err(reason.to_string()), "{text}");
        }
        // The nearest legal values are accepted.
        assert!(dist("{ choice = [1, 2], weights = [0, 1] }").is_ok());
        assert!(dist("{ log_uniform = [1e-300, 1] }").is_ok());
        assert!(dist("{ normal = { mean = 0, sd = 1, min = 5, max = 6 } }").is_ok());
    }

    #[test]
    fn tables_are_found_at_any_depth_sorted_by_key() {
        let t: Table = "[fleet]\nreplicas = { choice = [10, 20] }\n\
            [candidate.memory]\nleak_mb_per_second = { uniform = [0.5, 4] }\n\
            [[faults]]\nkind = \"instance-kill\"\nrate_per_hour = { uniform = [1, 2] }\n\
            [traffic]\nrate = 600\n"
            .parse()
            .unwrap();
        let keys: Vec<String> = find(&t).into_iter().map(|f| f.key).collect();
        assert_eq!(
            keys,
            [
                "candidate.memory.leak_mb_per_second",
                "faults[0].rate_per_hour",
                "fleet.replicas"
            ]
        );
        let mut t2 = t.clone();
        for f in find(&t) {
            set_at(&mut t2, &f.path, Value::Float(1.5));
        }
        assert!(find(&t2).is_empty());
        assert_eq!(t2["faults"][0]["rate_per_hour"].as_float(), Some(1.5));
        assert_eq!(t2["fleet"]["replicas"].as_float(), Some(1.5));
        let mut t3 = t.clone();
        remove_at(&mut t3, &find(&t)[2].path);
        assert!(t3["fleet"].get("replicas").is_none());
    }

    /// `--set KEY={ uniform = [a, b] }` reads the value as TOML, so a distribution
    /// given on the command line is the same table as one in a file.
    #[test]
    fn a_set_value_can_be_a_distribution() {
        let mut doc = Doc::parse("s.toml", "[candidate.memory]\nbase_mb = 200\n").unwrap();
        doc.set(
            "candidate.memory.leak_mb_per_second",
            "{ uniform = [0.1, 2] }",
        )
        .unwrap();
        let found = find(doc.table());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "candidate.memory.leak_mb_per_second");
        assert_eq!(
            found[0].parsed,
            Ok(Distribution::Uniform {
                low: 0.1,
                high: 2.0
            })
        );
        // A problem in a copy read from the template is still labelled `--set`.
        let copy = doc.template().doc_with(|_| {});
        copy.problem("candidate.memory.leak_mb_per_second", "x");
        assert_eq!(copy.problems()[0].origin, "--set");
    }

    #[test]
    fn quantiles_stay_in_the_support_and_hit_the_middle() {
        let u = dist("{ uniform = [2, 4] }").unwrap();
        assert_eq!(u.quantile(0.5), 3.0);
        assert_eq!(u.quantile(0.25), 2.5);
        let lu = dist("{ log_uniform = [1, 100] }").unwrap();
        assert!((lu.quantile(0.5) - 10.0).abs() < 1e-12);
        let n = dist("{ normal = { mean = 5, sd = 2 } }").unwrap();
        assert!((n.quantile(0.5) - 5.0).abs() < 1e-12);
        // Φ(1) = 0.841344746...: the quantile there is mean + sd.
        assert!((n.quantile(0.841_344_746_068_542_9) - 7.0).abs() < 1e-9);
        // Truncated to [5, 6]: half the mass of [5, ∞) below 5 + 2·Φ⁻¹(...) ; the ends map
        // to the ends.
        let t = dist("{ normal = { mean = 5, sd = 2, min = 5, max = 6 } }").unwrap();
        assert!((t.quantile(1e-16) - 5.0).abs() < 1e-9);
        assert!((t.quantile(1.0 - 1e-16) - 6.0).abs() < 1e-9);
        // Far in the upper tail the interval keeps its digits (computed through Q).
        let far = dist("{ normal = { mean = 0, sd = 1, min = 10, max = 11 } }").unwrap();
        for k in 1..100 {
            let x = far.quantile(k as f64 / 100.0);
            assert!((10.0..=11.0).contains(&x), "{x}");
        }
        assert!(far.quantile(0.5) < 10.2, "most of the mass sits near 10");
        let ln = dist("{ lognormal = { median = 2, sigma = 0.5, max = 3 } }").unwrap();
        assert!(ln.quantile(1.0 - 1e-16) <= 3.0);
        let c = dist("{ choice = [1, 2, 3], weights = [1, 0, 1] }").unwrap();
        assert_eq!(c.quantile(0.49), 1.0);
        assert_eq!(c.quantile(0.5), 3.0);
        assert_eq!(c.choice_index(0.999), 2);
    }

    #[test]
    fn ends_are_the_support_and_open_ends_stand_in_large() {
        let ends = |t: &str| dist(t).unwrap().ends();
        assert_eq!(
            ends("{ uniform = [0, 2] }")
                .iter()
                .map(|e| (e.value, e.open))
                .collect::<Vec<_>>(),
            [(0.0, false), (2.0, false)]
        );
        let ln = ends("{ lognormal = { median = 2, sigma = 0.5 } }");
        assert_eq!(
            (ln[0].value, ln[0].open, ln[1].value, ln[1].open),
            (f64::MIN_POSITIVE, true, f64::MAX, true)
        );
        let c = ends("{ choice = [3, 1.5] }");
        assert_eq!(
            c.iter().map(|e| (e.value, e.choice)).collect::<Vec<_>>(),
            [(3.0, Some(0)), (1.5, Some(1))]
        );
    }
}
