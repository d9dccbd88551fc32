//! Real metrics for `rollcage gate`: Prometheus `query_range` responses or a CSV, turned
//! into the same `Sample`s the simulator's scraper produces, so that the gates judge
//! them with the same code. The user's description of both forms, with examples, is in
//! `docs/exports.md` ("Gate input").
//!
//! Prometheus input is one JSON object whose keys name the series rollcage needs and
//! whose values are `query_range` responses (`{"status": "success", "data":
//! {"resultType": "matrix", "result": [...]}}`); every series carries a `version` label
//! (`canary`/`candidate`/`new` or `stable`/`baseline`/`primary`/`old`) and each value is
//! the increase over the step ending at its timestamp:
//!
//! The queries, one per key of [`SERIES`], are `live_query::queries`: the counter's
//! difference between the step's two ends (exact at any alignment of the query to the
//! scrapes, on Prometheus 2 and 3; why is in that module), `max by (version)` of the
//! memory gauge.
//!
//! CSV input has the header `time,version,requests,errors,restarts,memory_mb` followed
//! by optional `conversions` and `sessions_lost` columns and optional latency bucket
//! columns `le_<ms>` and `le_inf`, one row per (time, version); empty cells mean no data.
//!
//! A gate that advances on garbage ships a bad release, so input that is not what these
//! queries produce is refused (exit 2 in the CLI) with the file, the place (JSON path
//! with the series' labels, or CSV line, and the time and version) and the reason; it
//! never becomes a verdict. The rules, each pinned by a test below:
//!
//! - every value is a number; counts (everything but `memory_mb`) are increases, so they
//!   are finite, at least 0 and at most [`MAX_COUNT`]; memory is finite and at least 0.
//!   A counter reset is no reason for a negative value: the queries (`live_query`) account
//!   for it, so a negative value means the input is not their output (a raw
//!   counter's difference, or a corrupted file), and it is refused, not read as a reset;
//! - `NaN` is refused (a missing value is a missing point or an empty cell);
//! - timestamps are Unix seconds from 0 to [`MAX_TIME`]; within a series (JSON) or the
//!   rows of a version (CSV) they strictly increase, so a duplicate or a step back is
//!   refused, and so is a second value for the same series, version and time (two
//!   series with one `version`, or `canary` and `new` both given);
//! - errors are at most the requests of the same time and version, and errors need a
//!   requests value;
//! - a latency histogram is cumulative (a bucket holds at least what the one below it
//!   holds), has its `+Inf` bucket (the total) and at least one finite bound;
//! - a file is at most [`MAX_FILE_BYTES`], with at most [`MAX_TIMESTAMPS`] distinct
//!   times, [`MAX_VALUES`] values and [`MAX_BUCKETS`] bucket bounds, so memory stays
//!   bounded whatever the input.

use std::cell::Cell as StdCell;
use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use sim_core::hist::SparseHistogram;
use sim_core::metrics::{CohortSample, Sample};
use sim_core::{SimTime, Version};

/// What is wrong with an input: the file, where in it, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveError {
    pub file: String,
    pub location: String,
    pub reason: String,
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.file, self.location, self.reason)
        }
    }
}

impl std::error::Error for LiveError {}

/// The largest input file: 64 MiB, far beyond a day of 15-second scrapes of every
/// series, and small enough that reading it stays within a few hundred MB.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// The most distinct timestamps (samples): a week of 15-second steps is 40,320, and a
/// Prometheus range query returns at most 11,000 points per series.
pub const MAX_TIMESTAMPS: usize = 100_000;
/// The most values (JSON points or filled CSV cells) in one file.
pub const MAX_VALUES: usize = 2_000_000;
/// The most distinct latency bucket bounds: enough for both edges of every bucket of
/// the simulator's histogram (`sim_core::hist::BUCKETS`), so a run's OpenMetrics, with
/// a bound at each edge of every bucket it used, reads back to the same quantiles.
pub const MAX_BUCKETS: usize = 4096;
/// The largest count in one interval: a latency bucket keeps its count in 32 bits.
pub const MAX_COUNT: f64 = u32::MAX as f64;
/// The latest timestamp, in Unix seconds (in the year 2286), so that every time fits
/// the simulator's nanosecond clock.
pub const MAX_TIME: f64 = 1e10;

/// The series keys of the Prometheus input.
pub const SERIES: [&str; 7] = [
    "requests",
    "errors",
    "latency_bucket",
    "restarts",
    "memory_mb",
    "conversions",
    "sessions_lost",
];

/// Where a value came from, kept small (values are many) and turned into words only
/// when a message needs it.
#[derive(Clone, Copy, Debug)]
enum Origin {
    /// A CSV line (from 1).
    Line(u64),
    /// A JSON point: index into `SERIES`, the series in `result`, the point in `values`.
    Point { key: u8, series: u32, point: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Field {
    x: f64,
    at: Origin,
}

/// One interval of one version as read, before it becomes a sample.
#[derive(Default)]
struct Cell {
    /// The version's name as the input wrote it (for messages).
    label: &'static str,
    requests: Option<Field>,
    errors: Option<Field>,
    restarts: Option<Field>,
    memory_mb: Option<Field>,
    conversions: Option<Field>,
    sessions_lost: Option<Field>,
    /// Cumulative bucket counts by upper bound in ms (`f64::INFINITY` for +Inf).
    buckets: Vec<(f64, Field)>,
}

/// Samples keyed by time (milliseconds, to order exactly) then version.
type Cells = BTreeMap<i64, [Cell; 2]>;

const NEW: [&str; 3] = ["canary", "candidate", "new"];
const OLD: [&str; 4] = ["stable", "baseline", "primary", "old"];

pub(crate) fn version(label: &str) -> Option<(Version, &'static str)> {
    if let Some(l) = NEW.iter().find(|l| **l == label) {
        return Some((Version::Candidate, l));
    }
    OLD.iter()
        .find(|l| **l == label)
        .map(|l| (Version::Baseline, *l))
}

pub(crate) fn unknown_version(label: &str) -> String {
    format!(
        "{label:?} is neither new ({}) nor old ({})",
        NEW.join(", "),
        OLD.join(", ")
    )
}

/// What a value stands for: its name in messages and whether it is a count.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Requests,
    Errors,
    Bucket,
    Restarts,
    MemoryMb,
    Conversions,
    SessionsLost,
}

impl Kind {
    /// In `SERIES` order.
    const ALL: [Kind; 7] = [
        Kind::Requests,
        Kind::Errors,
        Kind::Bucket,
        Kind::Restarts,
        Kind::MemoryMb,
        Kind::Conversions,
        Kind::SessionsLost,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Requests => "requests",
            Kind::Errors => "errors",
            Kind::Bucket => "latency bucket",
            Kind::Restarts => "restarts",
            Kind::MemoryMb => "memory_mb",
            Kind::Conversions => "conversions",
            Kind::SessionsLost => "sessions_lost",
        }
    }

    fn slot(self, cell: &mut Cell) -> &mut Option<Field> {
        match self {
            Kind::Requests => &mut cell.requests,
            Kind::Errors => &mut cell.errors,
            Kind::Restarts => &mut cell.restarts,
            Kind::MemoryMb => &mut cell.memory_mb,
            Kind::Conversions => &mut cell.conversions,
            Kind::SessionsLost => &mut cell.sessions_lost,
            Kind::Bucket => unreachable!("buckets are kept by bound"),
        }
    }
}

/// Checks one value; the reason when it cannot be what the series holds.
fn check_value(kind: Kind, x: f64, text: &str) -> Result<f64, String> {
    if x.is_nan() {
        return Err(format!(
            "{} {text} is not a number (no data is a missing point in JSON, an empty cell in CSV)",
            kind.name()
        ));
    }
    if !x.is_finite() {
        return Err(format!("{} {text} is not finite", kind.name()));
    }
    if kind == Kind::MemoryMb {
        if x < 0.0 {
            return Err(format!("memory_mb {text} is negative"));
        }
        return Ok(x);
    }
    if x < 0.0 {
        return Err(format!(
            "{} {text} is negative: values are increases over the step, never below 0 (the queries already account for counter resets)",
            kind.name()
        ));
    }
    if x > MAX_COUNT {
        return Err(format!(
            "{} {text} is over {MAX_COUNT}, the most rollcage counts in one interval",
            kind.name()
        ));
    }
    Ok(x)
}

/// Checks a timestamp in Unix seconds.
fn check_time(t: f64, text: &str) -> Result<f64, String> {
    if !t.is_finite() {
        Err(format!("timestamp {text} is not a finite number"))
    } else if t < 0.0 {
        Err(format!("timestamp {text} is negative"))
    } else if t > MAX_TIME {
        Err(format!(
            "timestamp {text} is after {MAX_TIME} (Unix seconds, the year 2286)"
        ))
    } else {
        Ok(t)
    }
}

fn key_of(t: f64) -> i64 {
    (t * 1000.0).round() as i64
}

fn secs_text(ms: i64) -> String {
    format!("{}", ms as f64 / 1000.0)
}

/// Bounds the distinct times (and so the cells) while they are filled.
fn cell_at<'c>(
    cells: &'c mut Cells,
    ms: i64,
    v: Version,
    label: &'static str,
) -> Result<&'c mut Cell, String> {
    if !cells.contains_key(&ms) && cells.len() >= MAX_TIMESTAMPS {
        return Err(format!(
            "more than {MAX_TIMESTAMPS} distinct timestamps: judge a shorter range or a longer step"
        ));
    }
    let cell = &mut cells.entry(ms).or_default()[v.index()];
    if cell.label.is_empty() {
        cell.label = label;
    }
    Ok(cell)
}

/// Checks every interval of every version once all values are in: the rules that tie
/// values of one time and version together. `describe` words an origin.
fn check_cells(
    cells: &Cells,
    describe: &dyn Fn(Origin, i64, &str) -> String,
) -> Result<(), (String, String)> {
    for (&ms, pair) in cells {
        for c in pair {
            let at = |o: Origin| describe(o, ms, c.label);
            if let Some(e) = c.errors {
                match c.requests {
                    Some(r) if e.x > r.x + 1e-9 * r.x.max(1.0) => {
                        return Err((
                            at(e.at),
                            format!(
                                "errors {} > requests {}{}",
                                e.x,
                                r.x,
                                same_place(e.at, r.at, &at)
                            ),
                        ));
                    }
                    None if e.x > 0.0 => {
                        return Err((
                            at(e.at),
                            format!(
                                "errors {} without a requests value at this time and version",
                                e.x
                            ),
                        ));
                    }
                    _ => {}
                }
            }
            if c.buckets.is_empty() {
                continue;
            }
            let mut b: Vec<(f64, Field)> = c.buckets.clone();
            b.sort_by(|x, y| x.0.total_cmp(&y.0));
            if let Some(w) = b.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err((
                    at(w[1].1.at),
                    format!(
                        "a second latency bucket value for this version, bound and time, after {}: one series per version and bound (aggregate with sum by (version, le))",
                        at(w[0].1.at)
                    ),
                ));
            }
            let (last_le, last) = b[b.len() - 1];
            if last_le.is_finite() {
                return Err((
                    at(last.at),
                    format!(
                        "latency buckets without the +Inf bucket (le=\"+Inf\" / le_inf): the requests above {} ms are unknown",
                        last_le
                    ),
                ));
            }
            if b.len() == 1 {
                return Err((
                    at(last.at),
                    "only the +Inf latency bucket: with no finite bound the latency is unknown"
                        .into(),
                ));
            }
            for w in b.windows(2) {
                let ((lo_le, lo), (hi_le, hi)) = (w[0], w[1]);
                if hi.x < lo.x - 1e-9 * lo.x.max(1.0) {
                    let bound = |le: f64| {
                        if le.is_finite() {
                            format!("{le} ms")
                        } else {
                            "+Inf".into()
                        }
                    };
                    return Err((
                        at(hi.at),
                        format!(
                            "latency buckets are not cumulative: {} under {} < {} under {} (each bucket counts every request at or under its bound){}",
                            hi.x,
                            bound(hi_le),
                            lo.x,
                            bound(lo_le),
                            same_place(hi.at, lo.at, &at)
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// " (other place)" when two values of one check come from different places.
fn same_place(a: Origin, b: Origin, at: &dyn Fn(Origin) -> String) -> String {
    match (a, b) {
        (Origin::Line(x), Origin::Line(y)) if x == y => String::new(),
        _ => format!(" (at {})", at(b)),
    }
}

fn to_samples(cells: Cells) -> Vec<Sample> {
    let mut out: Vec<Sample> = Vec::with_capacity(cells.len());
    let mut cum = (0u64, 0u64);
    for (ms, pair) in cells {
        let cohorts = pair.map(|c| {
            let mut b = c.buckets;
            b.sort_by(|x, y| x.0.total_cmp(&y.0));
            let mut counts = Vec::new();
            let (mut prev_le, mut prev_n) = (0.0, 0.0);
            for (le, n) in b {
                let n = n.x;
                let inc = (n - prev_n).max(0.0).round() as u64;
                let at_ms = if le.is_finite() {
                    (prev_le + le) / 2.0
                } else {
                    prev_le
                };
                if inc > 0 {
                    counts.push(((at_ms * 1000.0).round() as u64, inc));
                }
                prev_n = n.max(prev_n);
                if le.is_finite() {
                    prev_le = le;
                }
            }
            let count = |f: Option<Field>| f.map_or(0, |f| f.x.round() as u64);
            let requests = count(c.requests);
            // Checked to be at most the requests; rounding cannot make it more.
            let errors = count(c.errors).min(requests);
            CohortSample {
                requests,
                errors,
                crashes: count(c.restarts),
                memory_max_mb: c.memory_mb.map_or(0.0, |f| f.x),
                latency: SparseHistogram::from_counts(counts),
                sessions_lost: count(c.sessions_lost),
                kpi_requests: if c.conversions.is_some() {
                    requests - errors
                } else {
                    0
                },
                conversions: count(c.conversions),
                ..CohortSample::default()
            }
        });
        let s = Sample {
            at: SimTime::from_secs_f64(ms as f64 / 1000.0),
            cum_requests: 0,
            cum_bad: 0,
            cohorts,
        };
        cum.0 += s.requests();
        cum.1 += s.bad();
        out.push(Sample {
            cum_requests: cum.0,
            cum_bad: cum.1,
            ..s
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// The Prometheus form, read into typed structs (no generic JSON tree: a point costs 32
// bytes, not hundreds), with serde_path_to_error naming the path of a value of the wrong
// type.

/// A number as Prometheus writes it (a string such as `"12"`, `"+Inf"`, `"NaN"`) or as a
/// JSON number; `None` when it is neither.
#[derive(Clone, Copy, Debug)]
struct Num(Option<f64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string holding one")
            }
            fn visit_f64<E>(self, x: f64) -> Result<Num, E> {
                Ok(Num(Some(x)))
            }
            fn visit_u64<E>(self, x: u64) -> Result<Num, E> {
                Ok(Num(Some(x as f64)))
            }
            fn visit_i64<E>(self, x: i64) -> Result<Num, E> {
                Ok(Num(Some(x as f64)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Num, E> {
                Ok(Num(s.trim().parse::<f64>().ok()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[timestamp, "value"]`, exactly two.
struct Point(Num, Num);

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Point, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Point;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a point [timestamp, \"value\"]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Point, A::Error> {
                let t = seq
                    .next_element::<Num>()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let x = seq
                    .next_element::<Num>()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                let mut n = 2;
                while seq.next_element::<de::IgnoredAny>()?.is_some() {
                    n += 1;
                }
                if n > 2 {
                    return Err(de::Error::invalid_length(n, &self));
                }
                Ok(Point(t, x))
            }
        }
        d.deserialize_seq(V)
    }
}

thread_local! {
    /// Values read so far by this thread's current parse: a limit that must act while
    /// serde builds the vectors, before they take the memory.
    static VALUES_READ: StdCell<usize> = const { StdCell::new(0) };
}

/// A series' `values`, counted against [`MAX_VALUES`] as they are read.
struct Points(Vec<Point>);

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Points, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Points;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[[timestamp, \"value\"], ...]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Points, A::Error> {
                let mut out = Vec::new();
                while let Some(p) = seq.next_element::<Point>()? {
                    let n = VALUES_READ.with(|c| {
                        c.set(c.get() + 1);
                        c.get()
                    });
                    if n > MAX_VALUES {
                        return Err(de::Error::custom(format!(
                            "more than {MAX_VALUES} values in the file"
                        )));
                    }
                    out.push(p);
                }
                Ok(Points(out))
            }
        }
        d.deserialize_seq(V)
    }
}

/// A series' labels: only `version` and `le` matter; a repeated one is an error.
#[derive(Deserialize, Default)]
struct Labels {
    version: Option<String>,
    le: Option<String>,
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    metric: Labels,
    values: Option<Points>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: Option<String>,
    result: Option<Vec<Series>>,
}

#[derive(Deserialize)]
struct Response {
    status: Option<String>,
    data: Option<Data>,
}

/// The top-level object in file order, so that a repeated key is seen (a map type
/// would keep the last silently).
struct Entries(Vec<(String, Response)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entries, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "an object with query_range responses under keys {}",
                    SERIES.join(", ")
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out: Vec<(String, Response)> = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    if !SERIES.contains(&k.as_str()) {
                        return Err(de::Error::custom(format!(
                            "unknown series {k:?}; expected: {}",
                            SERIES.join(", ")
                        )));
                    }
                    if out.iter().any(|(x, _)| *x == k) {
                        return Err(de::Error::custom(format!("series {k:?} appears twice")));
                    }
                    let v = map.next_value::<Response>()?;
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn labels_text(l: &Labels) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &l.version {
        parts.push(format!("version={v:?}"));
    }
    if let Some(le) = &l.le {
        parts.push(format!("le={le:?}"));
    }
    format!("{{{}}}", parts.join(", "))
}

/// Reads the Prometheus form.
pub fn from_prometheus(file: &str, text: &str) -> Result<Vec<Sample>, LiveError> {
    let err = |location: String, reason: String| LiveError {
        file: file.to_string(),
        location,
        reason,
    };
    check_size(file, text)?;
    VALUES_READ.with(|c| c.set(0));
    let mut de = serde_json::Deserializer::from_str(text);
    let entries: Entries = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let location = if path == "." { String::new() } else { path };
        err(location, format!("{inner}"))
    })?;
    de.end()
        .map_err(|e| err(String::new(), format!("after the object: {e}")))?;
    let docs: Vec<Option<&Response>> = SERIES
        .iter()
        .map(|k| entries.0.iter().find(|(x, _)| x == k).map(|(_, r)| r))
        .collect();
    if docs[0].is_none() {
        return Err(err(
            "requests".into(),
            "missing: the request counts are required".into(),
        ));
    }
    let series_of = |key: usize, i: usize| -> &Series {
        &docs[key]
            .and_then(|r| r.data.as_ref())
            .and_then(|d| d.result.as_ref())
            .expect("read")[i]
    };
    let describe_point = |key: u8, series: u32, point: u32| -> String {
        let s = series_of(key as usize, series as usize);
        format!(
            "{}.data.result[{series}] {}, values[{point}]",
            SERIES[key as usize],
            labels_text(&s.metric)
        )
    };
    let mut cells = Cells::new();
    let mut bounds: Vec<u64> = Vec::new();
    for (ki, (&key, resp)) in SERIES.iter().zip(&docs).enumerate() {
        let Some(resp) = resp else { continue };
        let kind = Kind::ALL[ki];
        if resp.status.as_deref() != Some("success") {
            return Err(err(format!("{key}.status"), "expected \"success\"".into()));
        }
        let data = resp.data.as_ref();
        if data.and_then(|d| d.result_type.as_deref()) != Some("matrix") {
            return Err(err(
                format!("{key}.data.resultType"),
                "expected \"matrix\" (a query_range response)".into(),
            ));
        }
        let Some(result) = data.and_then(|d| d.result.as_ref()) else {
            return Err(err(
                format!("{key}.data.result"),
                "expected an array of series".into(),
            ));
        };
        for (si, series) in result.iter().enumerate() {
            let at = format!("{key}.data.result[{si}]");
            let label = series.metric.version.as_deref().ok_or_else(|| {
                err(
                    format!("{at}.metric"),
                    "no `version` label (sum by (version) in the query)".into(),
                )
            })?;
            let (v, label) = version(label)
                .ok_or_else(|| err(format!("{at}.metric.version"), unknown_version(label)))?;
            let le = if kind == Kind::Bucket {
                let raw = series.metric.le.as_deref().ok_or_else(|| {
                    err(
                        format!("{at}.metric"),
                        "no `le` label (sum by (version, le) in the query)".into(),
                    )
                })?;
                let le = if raw == "+Inf" {
                    f64::INFINITY
                } else {
                    match raw.parse::<f64>() {
                        Ok(s) if s.is_finite() && s >= 0.0 => s * 1000.0,
                        _ => {
                            return Err(err(
                                format!("{at}.metric.le"),
                                format!(
                                    "{raw:?} is not a bucket bound (seconds at least 0, or \"+Inf\")"
                                ),
                            ));
                        }
                    }
                };
                if !bounds.contains(&le.to_bits()) {
                    if bounds.len() >= MAX_BUCKETS {
                        return Err(err(
                            format!("{at}.metric.le"),
                            format!("more than {MAX_BUCKETS} distinct bucket bounds"),
                        ));
                    }
                    bounds.push(le.to_bits());
                }
                Some(le)
            } else {
                None
            };
            let Some(values) = &series.values else {
                return Err(err(
                    format!("{at}.values"),
                    "missing: expected [[timestamp, \"value\"], ...] (a query_range matrix)".into(),
                ));
            };
            let mut prev: Option<(i64, usize)> = None;
            for (pi, Point(t, x)) in values.0.iter().enumerate() {
                let here = format!("{at} {}, values[{pi}]", labels_text(&series.metric));
                let t =
                    t.0.ok_or_else(|| "the timestamp is not a number".to_string())
                        .and_then(|t| check_time(t, &t.to_string()))
                        .map_err(|r| err(here.clone(), r))?;
                let ms = key_of(t);
                let here = format!("{here} (t={})", secs_text(ms));
                if let Some((p, j)) = prev {
                    if ms == p {
                        return Err(err(
                            here,
                            format!("duplicate timestamp: values[{j}] has the same time"),
                        ));
                    }
                    if ms < p {
                        return Err(err(
                            here,
                            format!(
                                "timestamps go back: after t={} (values[{j}]); a query_range series is in time order",
                                secs_text(p)
                            ),
                        ));
                    }
                }
                prev = Some((ms, pi));
                let x =
                    x.0.ok_or_else(|| "the value is not a number".to_string())
                        .and_then(|x| check_value(kind, x, &x.to_string()))
                        .map_err(|r| err(here.clone(), r))?;
                let origin = Origin::Point {
                    key: ki as u8,
                    series: si as u32,
                    point: pi as u32,
                };
                let field = Field { x, at: origin };
                let cell = cell_at(&mut cells, ms, v, label).map_err(|r| err(here.clone(), r))?;
                let earlier = match le {
                    // A second value for a bound is found once the cell's buckets are
                    // sorted (`check_cells`): a search here would cost the bounds
                    // already in the cell for every value.
                    Some(le) => {
                        cell.buckets.push((le, field));
                        None
                    }
                    None => {
                        let slot = kind.slot(cell);
                        match slot {
                            Some(f) => Some(f.at),
                            None => {
                                *slot = Some(field);
                                None
                            }
                        }
                    }
                };
                if let Some(Origin::Point { key, series, point }) = earlier {
                    return Err(err(
                        here,
                        format!(
                            "a second {} value for this version and time, after {}: one series per version{} (aggregate with sum by (version{}))",
                            kind.name(),
                            describe_point(key, series, point),
                            if le.is_some() { " and bound" } else { "" },
                            if le.is_some() { ", le" } else { "" },
                        ),
                    ));
                }
            }
        }
    }
    let describe = |o: Origin, ms: i64, _label: &str| match o {
        Origin::Point { key, series, point } => {
            format!(
                "{} (t={})",
                describe_point(key, series, point),
                secs_text(ms)
            )
        }
        Origin::Line(n) => format!("line {n}"),
    };
    check_cells(&cells, &describe).map_err(|(l, r)| err(l, r))?;
    Ok(to_samples(cells))
}

// ---------------------------------------------------------------------------------------
// The CSV form, read with the csv crate (quoting, CRLF line ends).

/// The columns every CSV starts with, in order.
pub const CSV_FIXED: [&str; 6] = [
    "time",
    "version",
    "requests",
    "errors",
    "restarts",
    "memory_mb",
];

/// Reads the CSV form.
pub fn from_csv(file: &str, text: &str) -> Result<Vec<Sample>, LiveError> {
    let err = |location: String, reason: String| LiveError {
        file: file.to_string(),
        location,
        reason,
    };
    check_size(file, text)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    // The line a record is on, from its byte offset: the csv crate reports the offset
    // (and line) where it started looking, before the blank lines it skips, so both are
    // moved past any line ends; lines are counted incrementally (records come in order).
    let counted = StdCell::new((0usize, 1u64));
    let line_at = |byte: u64| -> u64 {
        let mut start = (byte as usize).min(text.len());
        while text[start..].starts_with(['\r', '\n']) {
            start += 1;
        }
        let (from, line) = counted.get();
        let line = line + text[from.min(start)..start].matches('\n').count() as u64;
        counted.set((start, line));
        line
    };
    let line_of = |r: &csv::StringRecord| r.position().map_or(0, |p| line_at(p.byte()));
    let csv_err = |e: csv::Error| {
        let line = e.position().map_or(0, |p| line_at(p.byte()));
        err(format!("line {line}"), format!("not CSV: {e}"))
    };
    let mut records = reader
        .records()
        .filter(|r| r.as_ref().map_or(true, |r| r.iter().any(|f| !f.is_empty())));
    let Some(header) = records.next().transpose().map_err(csv_err)? else {
        return Err(err(
            String::new(),
            format!("empty file: expected a header line {}", CSV_FIXED.join(",")),
        ));
    };
    let hline = format!("line {}", line_of(&header));
    let cols: Vec<String> = header.iter().map(str::to_string).collect();
    if cols[0].parse::<f64>().is_ok() {
        return Err(err(
            hline,
            format!(
                "no header: the first line must name the columns, starting {}",
                CSV_FIXED.join(",")
            ),
        ));
    }
    for (k, want) in CSV_FIXED.iter().enumerate() {
        match cols.get(k) {
            Some(c) if c == want => {}
            Some(c) => {
                return Err(err(
                    hline,
                    format!(
                        "column {} is {c:?} where {want:?} belongs: the header starts {}",
                        k + 1,
                        CSV_FIXED.join(",")
                    ),
                ));
            }
            None => {
                return Err(err(
                    hline,
                    format!(
                        "missing column {want:?}: the header starts {}",
                        CSV_FIXED.join(",")
                    ),
                ));
            }
        }
    }
    // Optional named columns, then latency buckets.
    let mut named: Vec<(usize, Kind)> = Vec::new();
    let mut bounds: Vec<(usize, f64)> = Vec::new();
    for (k, c) in cols.iter().enumerate().skip(CSV_FIXED.len()) {
        if cols[..k].contains(c) {
            return Err(err(hline, format!("column {c:?} appears twice")));
        }
        let kind = match c.as_str() {
            "conversions" => Some(Kind::Conversions),
            "sessions_lost" => Some(Kind::SessionsLost),
            _ => None,
        };
        if let Some(kind) = kind {
            if !bounds.is_empty() {
                return Err(err(
                    hline,
                    format!("column {c:?} must come before the le_ columns"),
                ));
            }
            named.push((k, kind));
            continue;
        }
        let b = match c.strip_prefix("le_") {
            Some("inf") => f64::INFINITY,
            Some(ms) => match ms.parse::<f64>() {
                Ok(b) if b.is_finite() && b >= 0.0 => b,
                _ => {
                    return Err(err(
                        hline,
                        format!("column {c:?}: expected le_<milliseconds, at least 0> or le_inf"),
                    ));
                }
            },
            None => {
                let known = ["conversions", "sessions_lost", "le_<ms>", "le_inf"];
                return Err(err(
                    hline,
                    format!(
                        "unknown column {c:?}; after the fixed columns: {}",
                        known.join(", ")
                    ),
                ));
            }
        };
        if let Some((j, _)) = bounds.iter().find(|(_, x)| *x == b) {
            return Err(err(
                hline,
                format!("column {c:?} is the same bound as column {:?}", cols[*j]),
            ));
        }
        bounds.push((k, b));
    }
    if bounds.len() > MAX_BUCKETS {
        return Err(err(
            hline,
            format!("{} bucket columns, more than {MAX_BUCKETS}", bounds.len()),
        ));
    }
    if !bounds.is_empty() && !bounds.iter().any(|(_, b)| b.is_infinite()) {
        return Err(err(
            hline,
            "latency bucket columns without le_inf (the total): the requests above the last bound would be lost".into(),
        ));
    }
    let mut cells = Cells::new();
    let mut last: [Option<(i64, u64)>; 2] = [None, None];
    let mut values = 0usize;
    for rec in records {
        let rec = rec.map_err(csv_err)?;
        let line = line_of(&rec);
        if rec.len() != cols.len() {
            return Err(err(
                format!("line {line}"),
                format!("{} fields, the header has {}", rec.len(), cols.len()),
            ));
        }
        let f = |k: usize| rec.get(k).unwrap_or("");
        let col = |k: usize| format!("line {line}, column {}", cols[k]);
        let t = if f(0).is_empty() {
            Err("a time in Unix seconds is required".to_string())
        } else {
            f(0).parse::<f64>()
                .map_err(|_| format!("{:?} is not a number", f(0)))
                .and_then(|t| check_time(t, f(0)))
        }
        .map_err(|r| err(col(0), r))?;
        let (v, label) = version(f(1)).ok_or_else(|| err(col(1), unknown_version(f(1))))?;
        let ms = key_of(t);
        let here = format!("line {line} (t={}, version={label})", f(0));
        if let Some((p, pl)) = last[v.index()] {
            if ms == p {
                return Err(err(
                    here,
                    format!("duplicate row: line {pl} has the same time and version"),
                ));
            }
            if ms < p {
                return Err(err(
                    here,
                    format!(
                        "time goes back: line {pl} has t={} for this version; a version's rows are in time order",
                        secs_text(p)
                    ),
                ));
            }
        }
        last[v.index()] = Some((ms, line));
        let number = |k: usize, kind: Kind| -> Result<Option<f64>, LiveError> {
            let s = f(k);
            if s.is_empty() {
                return Ok(None);
            }
            let x = s
                .parse::<f64>()
                .map_err(|_| format!("{} {s:?} is not a number", kind.name()))
                .and_then(|x| check_value(kind, x, s))
                .map_err(|r| err(format!("{here}, column {}", cols[k]), r))?;
            Ok(Some(x))
        };
        let at = Origin::Line(line);
        let mut row = Cell {
            label,
            ..Cell::default()
        };
        let fixed = [
            (2, Kind::Requests),
            (3, Kind::Errors),
            (4, Kind::Restarts),
            (5, Kind::MemoryMb),
        ];
        for (k, kind) in fixed.into_iter().chain(named.iter().copied()) {
            *kind.slot(&mut row) = number(k, kind)?.map(|x| Field { x, at });
        }
        for &(k, b) in &bounds {
            if let Some(x) = number(k, Kind::Bucket)? {
                row.buckets.push((b, Field { x, at }));
            }
        }
        values += rec.iter().skip(2).filter(|s| !s.is_empty()).count();
        if values > MAX_VALUES {
            return Err(err(
                here,
                format!("more than {MAX_VALUES} values in the file"),
            ));
        }
        let cell = cell_at(&mut cells, ms, v, label).map_err(|r| err(here.clone(), r))?;
        *cell = row;
    }
    let describe = |o: Origin, ms: i64, label: &str| match o {
        Origin::Line(n) => format!("line {n} (t={}, version={label})", secs_text(ms)),
        Origin::Point { .. } => unreachable!("a CSV has lines"),
    };
    check_cells(&cells, &describe).map_err(|(l, r)| err(l, r))?;
    Ok(to_samples(cells))
}

fn check_size(file: &str, text: &str) -> Result<(), LiveError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(LiveError {
            file: file.to_string(),
            location: String::new(),
            reason: format!(
                "{} bytes, over the {} MiB a gate input may have",
                text.len(),
                MAX_FILE_BYTES >> 20
            ),
        });
    }
    Ok(())
}

/// Reads either form: JSON if the text starts with `{` or `[`, else CSV.
pub fn read(file: &str, text: &str) -> Result<Vec<Sample>, LiveError> {
    check_size(file, text)?;
    let body = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    if body.is_empty() {
        return Err(LiveError {
            file: file.to_string(),
            location: String::new(),
            reason: format!(
                "empty file: expected Prometheus query_range JSON or a CSV starting {} (docs/exports.md)",
                CSV_FIXED.join(",")
            ),
        });
    }
    if body.starts_with(['{', '[']) {
        from_prometheus(file, body)
    } else {
        from_csv(file, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(series: &str) -> String {
        format!(r#"{{"status":"success","data":{{"resultType":"matrix","result":[{series}]}}}}"#)
    }

    /// A JSON input holding only the request counts, of `series`.
    fn requests(series: &str) -> String {
        format!(r#"{{"requests": {}}}"#, matrix(series))
    }

    #[test]
    fn prometheus_series_become_samples() {
        let text = format!(
            r#"{{"requests": {}, "errors": {}, "latency_bucket": {}}}"#,
            matrix(
                r#"{"metric":{"version":"canary"},"values":[[100,"50"],[115,"60"]]},{"metric":{"version":"stable"},"values":[[100,"500"],[115,"600"]]}"#
            ),
            matrix(r#"{"metric":{"version":"canary"},"values":[[115,"6"]]}"#),
            matrix(
                r#"{"metric":{"version":"canary","le":"0.1"},"values":[[100,"40"]]},{"metric":{"version":"canary","le":"+Inf"},"values":[[100,"50"]]}"#
            ),
        );
        let s = read("m.json", &text).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].at, SimTime::from_secs(100));
        let c = s[1].cohort(Version::Candidate);
        assert_eq!((c.requests, c.errors), (60, 6));
        assert_eq!(s[1].cohort(Version::Baseline).requests, 600);
        // 40 requests at the midpoint of (0, 100 ms], 10 in +Inf at 100 ms.
        let h = &s[0].cohort(Version::Candidate).latency;
        assert_eq!(h.total(), 50);
        assert!((h.quantile(0.5).unwrap() - 50_000.0).abs() < 500.0);
        assert_eq!(s[1].cum_requests, 1210);
    }

    #[test]
    fn bad_input_names_the_place() {
        let e = read("m.json", r#"{"requests": {"status":"error"}}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.json: requests.status: expected \"success\""
        );
        let e = read(
            "m.json",
            &requests(r#"{"metric":{"version":"blue"},"values":[]}"#),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("m.json: requests.data.result[0].metric.version: \"blue\""),
            "{e}"
        );
        let e = read("m.json", r#"{"reqs": {}}"#).unwrap_err();
        assert!(e.to_string().contains("unknown series \"reqs\""), "{e}");
        let e = read(
            "m.csv",
            "time,version,requests,errors,restarts,memory_mb\n10,canary,x,,,\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.csv: line 2 (t=10, version=canary), column requests: requests \"x\" is not a number"
        );
    }

    #[test]
    fn csv_rows_become_samples() {
        let text = "time,version,requests,errors,restarts,memory_mb,le_50,le_inf\n\
                    15,canary,100,2,0,310,90,100\n15,stable,900,1,,250,850,900\n30,canary,100,0,1,,,\n";
        let s = read("m.csv", text).unwrap();
        assert_eq!(s.len(), 2);
        let c = s[0].cohort(Version::Candidate);
        assert_eq!(
            (c.requests, c.errors, c.memory_max_mb, c.latency.total()),
            (100, 2, 310.0, 100)
        );
        assert_eq!(s[1].cohort(Version::Candidate).crashes, 1);
    }

    #[test]
    fn conversions_and_session_losses_feed_kpi_and_session_gates() {
        let text = format!(
            r#"{{"requests": {}, "errors": {}, "conversions": {}, "sessions_lost": {}}}"#,
            matrix(
                r#"{"metric":{"version":"canary"},"values":[[15,"1000"]]},{"metric":{"version":"stable"},"values":[[15,"1000"]]}"#
            ),
            matrix(r#"{"metric":{"version":"canary"},"values":[[15,"100"]]}"#),
            matrix(
                r#"{"metric":{"version":"canary"},"values":[[15,"27"]]},{"metric":{"version":"stable"},"values":[[15,"50"]]}"#
            ),
            matrix(r#"{"metric":{"version":"canary"},"values":[[15,"4"]]}"#),
        );
        let s = read("m.json", &text).unwrap();
        let c = s[0].cohort(Version::Candidate);
        // The KPI is conversions per successful request: 27 of 900.
        assert_eq!(
            (c.kpi_requests, c.conversions, c.sessions_lost),
            (900, 27, 4)
        );
        assert_eq!(s[0].cohort(Version::Baseline).kpi_requests, 1000);
        let csv = "time,version,requests,errors,restarts,memory_mb,conversions,sessions_lost,le_100,le_inf\n\
                   15,canary,100,0,0,,5,2,90,100\n";
        let s = read("m.csv", csv).unwrap();
        let c = s[0].cohort(Version::Candidate);
        assert_eq!(
            (
                c.kpi_requests,
                c.conversions,
                c.sessions_lost,
                c.latency.total()
            ),
            (100, 5, 2, 100)
        );
        let bad = "time,version,requests,errors,restarts,memory_mb,le_inf,conversions\n";
        assert!(
            read("m.csv", bad)
                .unwrap_err()
                .to_string()
                .contains("must come before the le_ columns")
        );
    }

    // --- Refusals: one test per rule, each in both forms where the form can say it. ---

    const HEADER: &str = "time,version,requests,errors,restarts,memory_mb";

    /// A CSV of the fixed columns plus `extra` header columns, then `rows`.
    fn csv(extra: &str, rows: &[&str]) -> String {
        let mut t = format!("{HEADER}{extra}\n");
        for r in rows {
            t.push_str(r);
            t.push('\n');
        }
        t
    }

    /// A Prometheus document: `requests` with one canary point at t=15 of 100 plus what
    /// `extra` adds (`"key": response` pairs).
    fn prom(extra: &[(&str, &str)]) -> String {
        let mut parts = vec![format!(
            r#""requests": {}"#,
            matrix(r#"{"metric":{"version":"canary"},"values":[[15,"100"]]}"#)
        )];
        for (k, series) in extra {
            parts.push(format!(r#""{k}": {}"#, matrix(series)));
        }
        format!("{{{}}}", parts.join(", "))
    }

    fn refused(file: &str, text: &str) -> String {
        match read(file, text) {
            Ok(s) => panic!("accepted {} samples of:\n{text}", s.len()),
            Err(e) => e.to_string(),
        }
    }

    fn canary(values: &str) -> String {
        format!(r#"{{"metric":{{"version":"canary"}},"values":{values}}}"#)
    }

    #[test]
    fn negative_counts_are_refused_not_read_as_resets() {
        let cases = [
            (
                "requests",
                "15,canary,-1,0,0,300",
                "requests -1 is negative",
            ),
            ("errors", "15,canary,10,-2,0,300", "errors -2 is negative"),
            (
                "restarts",
                "15,canary,10,0,-1,300",
                "restarts -1 is negative",
            ),
            (
                "memory_mb",
                "15,canary,10,0,0,-300",
                "memory_mb -300 is negative",
            ),
        ];
        for (col, row, why) in cases {
            let e = refused("m.csv", &csv("", &[row]));
            assert_eq!(
                e,
                format!(
                    "m.csv: line 2 (t=15, version=canary), column {col}: {why}{}",
                    if col == "memory_mb" {
                        ""
                    } else {
                        ": values are increases over the step, never below 0 (the queries already account for counter resets)"
                    }
                )
            );
        }
        let e = refused(
            "m.csv",
            &csv(",le_100,le_inf", &["15,canary,10,0,0,300,-1,10"]),
        );
        assert!(
            e.starts_with(
                "m.csv: line 2 (t=15, version=canary), column le_100: latency bucket -1 is negative"
            ),
            "{e}"
        );
        let e = refused(
            "m.csv",
            &csv(",conversions,sessions_lost", &["15,canary,10,0,0,300,1,-1"]),
        );
        assert!(
            e.contains("column sessions_lost: sessions_lost -1 is negative"),
            "{e}"
        );
        for (key, why) in [
            ("errors", "errors -2 is negative"),
            ("restarts", "restarts -2 is negative"),
            ("memory_mb", "memory_mb -2 is negative"),
            ("conversions", "conversions -2 is negative"),
            ("sessions_lost", "sessions_lost -2 is negative"),
        ] {
            let e = refused("m.json", &prom(&[(key, &canary(r#"[[15,"-2"]]"#))]));
            assert!(
                e.starts_with(&format!(
                    "m.json: {key}.data.result[0] {{version=\"canary\"}}, values[0] (t=15): {why}"
                )),
                "{e}"
            );
        }
        let e = refused(
            "m.json",
            &prom(&[(
                "latency_bucket",
                r#"{"metric":{"version":"canary","le":"0.1"},"values":[[15,"-1"]]}"#,
            )]),
        );
        assert!(
            e.starts_with("m.json: latency_bucket.data.result[0] {version=\"canary\", le=\"0.1\"}, values[0] (t=15): latency bucket -1 is negative"),
            "{e}"
        );
        let e = refused("m.json", &requests(&canary(r#"[[15,"-100"]]"#)));
        assert!(e.contains("requests -100 is negative"), "{e}");
    }

    #[test]
    fn infinities_nan_and_overflowing_numbers_are_refused() {
        for (text, why) in [
            ("+Inf", "errors +Inf is not finite"),
            ("-Inf", "errors -Inf is not finite"),
            ("inf", "errors inf is not finite"),
            ("1e400", "errors 1e400 is not finite"),
            (
                "NaN",
                "errors NaN is not a number (no data is a missing point in JSON, an empty cell in CSV)",
            ),
            (
                "4294967296",
                "errors 4294967296 is over 4294967295, the most rollcage counts in one interval",
            ),
        ] {
            let e = refused("m.csv", &csv("", &[&format!("15,canary,10,{text},0,300")]));
            assert_eq!(
                e,
                format!("m.csv: line 2 (t=15, version=canary), column errors: {why}")
            );
        }
        // The boundary itself is a count.
        assert!(read("m.csv", &csv("", &["15,canary,4294967295,0,0,300"])).is_ok());
        for (text, why) in [
            ("\"+Inf\"", "errors inf is not finite"),
            ("\"-Inf\"", "errors -inf is not finite"),
            ("\"1e400\"", "errors inf is not finite"),
            ("\"NaN\"", "errors NaN is not a number"),
            ("\"ten\"", "the value is not a number"),
        ] {
            let e = refused(
                "m.json",
                &prom(&[("errors", &canary(&format!("[[15,{text}]]")))]),
            );
            assert!(
                e.starts_with(&format!(
                    "m.json: errors.data.result[0] {{version=\"canary\"}}, values[0] (t=15): {why}"
                )),
                "{text}: {e}"
            );
        }
        // A bare JSON number out of f64's range is refused by the JSON reader, with its path.
        let e = refused("m.json", &prom(&[("errors", &canary("[[15,1e400]]"))]));
        assert!(
            e.starts_with("m.json: errors.data.result[0].values[0][1]: number out of range"),
            "{e}"
        );
        for (t, why) in [
            ("\"+Inf\"", "timestamp inf is not a finite number"),
            ("-15", "timestamp -15 is negative"),
            ("1e11", "timestamp 100000000000 is after 10000000000"),
        ] {
            let e = refused("m.json", &requests(&canary(&format!("[[{t},\"1\"]]"))));
            assert!(e.contains(why), "{t}: {e}");
        }
        let e = refused("m.csv", &csv("", &["NaN,canary,10,0,0,300"]));
        assert_eq!(
            e,
            "m.csv: line 2, column time: timestamp NaN is not a finite number"
        );
        assert!(read("m.csv", &csv("", &["10000000000,canary,1,0,0,1"])).is_ok());
        assert!(refused("m.csv", &csv("", &["10000000001,canary,1,0,0,1"])).contains("is after"));
    }

    #[test]
    fn duplicate_times_and_rows_are_refused() {
        let e = refused(
            "m.csv",
            &csv(
                "",
                &[
                    "15,canary,10,0,0,300",
                    "15,stable,10,0,0,300",
                    "15,canary,10,0,0,300",
                ],
            ),
        );
        assert_eq!(
            e,
            "m.csv: line 4 (t=15, version=canary): duplicate row: line 2 has the same time and version"
        );
        // Two names of one version are one version.
        let e = refused(
            "m.csv",
            &csv("", &["15,canary,10,0,0,300", "15,new,10,0,0,300"]),
        );
        assert!(
            e.contains("line 3 (t=15, version=new): duplicate row: line 2"),
            "{e}"
        );
        let e = refused(
            "m.json",
            &requests(&canary(r#"[[15,"1"],[30,"1"],[30,"2"]]"#)),
        );
        assert_eq!(
            e,
            "m.json: requests.data.result[0] {version=\"canary\"}, values[2] (t=30): duplicate timestamp: values[1] has the same time"
        );
        // Two series for one version (a query without sum by (version)).
        let e = refused(
            "m.json",
            &requests(&format!(
                "{},{}",
                canary(r#"[[15,"1"]]"#),
                r#"{"metric":{"version":"new"},"values":[[15,"1"]]}"#
            )),
        );
        assert_eq!(
            e,
            "m.json: requests.data.result[1] {version=\"new\"}, values[0] (t=15): a second requests value for this version and time, after requests.data.result[0] {version=\"canary\"}, values[0]: one series per version (aggregate with sum by (version))"
        );
        // A repeated key would otherwise hide the first response.
        let r = matrix(&canary(r#"[[15,"1"]]"#));
        let e = refused(
            "m.json",
            &format!(r#"{{"requests": {r}, "requests": {r}}}"#),
        );
        assert!(e.contains("series \"requests\" appears twice"), "{e}");
        let e = refused(
            "m.json",
            &requests(r#"{"metric":{"version":"canary","version":"stable"},"values":[]}"#),
        );
        assert!(e.contains("duplicate field `version`"), "{e}");
    }

    #[test]
    fn time_must_move_forward() {
        let e = refused(
            "m.csv",
            &csv(
                "",
                &[
                    "30,canary,10,0,0,300",
                    "15,stable,10,0,0,300",
                    "15,canary,10,0,0,300",
                ],
            ),
        );
        assert_eq!(
            e,
            "m.csv: line 4 (t=15, version=canary): time goes back: line 2 has t=30 for this version; a version's rows are in time order"
        );
        let e = refused("m.json", &requests(&canary(r#"[[30,"1"],[15,"1"]]"#)));
        assert!(
            e.starts_with("m.json: requests.data.result[0] {version=\"canary\"}, values[1] (t=15): timestamps go back: after t=30 (values[0])"),
            "{e}"
        );
        // Versions may come in blocks: each is in order.
        assert!(
            read(
                "m.csv",
                &csv(
                    "",
                    &[
                        "15,canary,1,0,0,1",
                        "30,canary,1,0,0,1",
                        "15,stable,1,0,0,1"
                    ]
                )
            )
            .is_ok()
        );
    }

    #[test]
    fn errors_are_at_most_the_requests() {
        let e = refused(
            "m.csv",
            &csv("", &["15,canary,10,0,0,300", "120,candidate,10,12,0,300"]),
        );
        assert_eq!(
            e,
            "m.csv: line 3 (t=120, version=candidate): errors 12 > requests 10"
        );
        assert!(read("m.csv", &csv("", &["15,canary,10,10,0,300"])).is_ok());
        let e = refused("m.csv", &csv("", &["15,canary,,3,0,300"]));
        assert_eq!(
            e,
            "m.csv: line 2 (t=15, version=canary): errors 3 without a requests value at this time and version"
        );
        assert!(read("m.csv", &csv("", &["15,canary,,0,0,300"])).is_ok());
        let e = refused("m.json", &prom(&[("errors", &canary(r#"[[15,"101"]]"#))]));
        assert_eq!(
            e,
            "m.json: errors.data.result[0] {version=\"canary\"}, values[0] (t=15): errors 101 > requests 100 (at requests.data.result[0] {version=\"canary\"}, values[0] (t=15))"
        );
        assert!(read("m.json", &prom(&[("errors", &canary(r#"[[15,"100"]]"#))])).is_ok());
        let e = refused("m.json", &prom(&[("errors", &canary(r#"[[30,"1"]]"#))]));
        assert!(
            e.contains("values[0] (t=30): errors 1 without a requests value"),
            "{e}"
        );
    }

    #[test]
    fn histograms_must_be_cumulative_and_complete() {
        let h = ",le_100,le_250,le_inf";
        let e = refused("m.csv", &csv(h, &["15,canary,100,0,0,300,60,40,100"]));
        assert_eq!(
            e,
            "m.csv: line 2 (t=15, version=canary): latency buckets are not cumulative: 40 under 250 ms < 60 under 100 ms (each bucket counts every request at or under its bound)"
        );
        let e = refused("m.csv", &csv(h, &["15,canary,100,0,0,300,60,90,80"]));
        assert!(e.contains("80 under +Inf < 90 under 250 ms"), "{e}");
        assert!(read("m.csv", &csv(h, &["15,canary,100,0,0,300,60,60,100"])).is_ok());
        let e = refused("m.csv", &csv(h, &["15,canary,100,0,0,300,60,90,"]));
        assert!(e.contains("latency buckets without the +Inf bucket"), "{e}");
        let e = refused("m.csv", &csv(h, &["15,canary,100,0,0,300,,,100"]));
        assert!(e.contains("only the +Inf latency bucket"), "{e}");
        let e = refused("m.csv", &csv(",le_100", &[]));
        assert!(e.contains("without le_inf"), "{e}");
        let e = refused("m.csv", &csv(",le_100,le_100.0,le_inf", &[]));
        assert!(
            e.contains("column \"le_100.0\" is the same bound as column \"le_100\""),
            "{e}"
        );
        let b = |le: &str, n: &str| {
            format!(r#"{{"metric":{{"version":"canary","le":"{le}"}},"values":[[15,"{n}"]]}}"#)
        };
        let e = refused(
            "m.json",
            &prom(&[(
                "latency_bucket",
                &[b("0.1", "60"), b("0.25", "40"), b("+Inf", "100")].join(","),
            )]),
        );
        assert_eq!(
            e,
            "m.json: latency_bucket.data.result[1] {version=\"canary\", le=\"0.25\"}, values[0] (t=15): latency buckets are not cumulative: 40 under 250 ms < 60 under 100 ms (each bucket counts every request at or under its bound) (at latency_bucket.data.result[0] {version=\"canary\", le=\"0.1\"}, values[0] (t=15))"
        );
        let e = refused("m.json", &prom(&[("latency_bucket", &b("0.1", "60"))]));
        assert!(e.contains("without the +Inf bucket"), "{e}");
        let e = refused("m.json", &prom(&[("latency_bucket", &b("-0.1", "60"))]));
        assert!(
            e.contains("metric.le: \"-0.1\" is not a bucket bound"),
            "{e}"
        );
        let e = refused("m.json", &prom(&[("latency_bucket", &b("Inf", "60"))]));
        assert!(e.contains("\"Inf\" is not a bucket bound"), "{e}");
        let e = refused(
            "m.json",
            &prom(&[(
                "latency_bucket",
                &[b("0.1", "60"), b("0.1", "60")].join(","),
            )]),
        );
        assert!(e.contains("a second latency bucket value"), "{e}");
    }

    #[test]
    fn empty_files_missing_columns_and_unknown_versions_are_refused() {
        for text in ["", "  \n\n", "\u{feff}"] {
            assert!(
                refused("m.csv", text).contains("m.csv: empty file"),
                "{text:?}"
            );
        }
        assert!(refused("m.json", "{}").contains("requests: missing"));
        assert!(refused("m.json", "[]").contains("invalid type: sequence"));
        assert!(refused("m.json", "{\"requests\": ").contains("EOF while parsing"));
        assert!(refused("m.json", &format!("{} x", prom(&[]))).contains("after the object"));
        let e = refused("m.csv", "time,version,requests,errors,memory_mb\n");
        assert_eq!(
            e,
            "m.csv: line 1: column 5 is \"memory_mb\" where \"restarts\" belongs: the header starts time,version,requests,errors,restarts,memory_mb"
        );
        let e = refused("m.csv", "time,version,requests,errors,restarts\n");
        assert!(e.contains("missing column \"memory_mb\""), "{e}");
        let e = refused("m.csv", "15,canary,10,0,0,300\n");
        assert!(e.contains("m.csv: line 1: no header"), "{e}");
        let e = refused("m.csv", &csv(",conversions,conversions", &[]));
        assert!(e.contains("column \"conversions\" appears twice"), "{e}");
        let e = refused("m.csv", &csv(",latency", &[]));
        assert!(e.contains("unknown column \"latency\""), "{e}");
        let e = refused("m.csv", &csv("", &["15,blue,10,0,0,300"]));
        assert_eq!(
            e,
            "m.csv: line 2, column version: \"blue\" is neither new (canary, candidate, new) nor old (stable, baseline, primary, old)"
        );
        let e = refused("m.csv", &csv("", &["15,canary,10,0,0"]));
        assert_eq!(e, "m.csv: line 2: 5 fields, the header has 6");
        let e = refused("m.csv", &csv("", &[",canary,10,0,0,1"]));
        assert!(
            e.contains("column time: a time in Unix seconds is required"),
            "{e}"
        );
        let e = refused("m.json", &requests(r#"{"metric":{},"values":[]}"#));
        assert!(e.contains("result[0].metric: no `version` label"), "{e}");
        let e = refused("m.json", &requests(r#"{"metric":{"version":"canary"}}"#));
        assert!(e.contains("result[0].values: missing"), "{e}");
        let e = refused("m.json", &requests(&canary(r#"[[15,"1","2"]]"#)));
        assert!(
            e.starts_with("m.json: requests.data.result[0].values[0]: invalid length 3"),
            "{e}"
        );
        // Line numbers count the blank lines the reader skips, and CRLF ends.
        let e = refused(
            "m.csv",
            &format!("{HEADER}\r\n\r\n\n15,canary,1,0,0,1\n\n\n15,canary,1,0,0,1\n"),
        );
        assert!(
            e.starts_with("m.csv: line 7 (t=15, version=canary): duplicate row: line 4"),
            "{e}"
        );
        let e = refused(
            "m.csv",
            &format!("{HEADER}\n\"1\n5\",canary,1,0,0,1\n15,x,1,0,0,1\n"),
        );
        assert!(e.starts_with("m.csv: line 2, column time"), "{e}");
        let e = refused(
            "m.csv",
            &format!("{HEADER}\n15,canary,1,0,0,\"1\n\"\n\n30,x,1,0,0,1\n"),
        );
        assert!(e.starts_with("m.csv: line 5, column version"), "{e}");
        // Quoted CSV fields, CRLF line ends and a byte-order mark read as plain ones.
        let s = read("m.csv", "\u{feff}time,version,requests,errors,restarts,memory_mb\r\n\"15\",\"canary\",10,0,0,300\r\n").unwrap();
        assert_eq!(s[0].cohort(Version::Candidate).requests, 10);
        // A header alone, or empty results, are no data (the gates' on_empty), not garbage.
        assert!(read("m.csv", &csv("", &[])).unwrap().is_empty());
        assert!(read("m.json", &requests("")).unwrap().is_empty());
    }

    #[test]
    fn sizes_are_bounded() {
        let big = format!("{HEADER}\n{}", " ".repeat(MAX_FILE_BYTES));
        assert_eq!(
            refused("m.csv", &big),
            format!(
                "m.csv: {} bytes, over the 64 MiB a gate input may have",
                MAX_FILE_BYTES + HEADER.len() + 1
            )
        );
        let mut rows = String::from(HEADER);
        rows.push('\n');
        for t in 0..=MAX_TIMESTAMPS {
            rows.push_str(&format!("{t},canary,1,0,0,1\n"));
        }
        let e = refused("m.csv", &rows);
        assert!(
            e.starts_with(&format!(
                "m.csv: line {} (t={MAX_TIMESTAMPS}, version=canary): more than {MAX_TIMESTAMPS} distinct timestamps",
                MAX_TIMESTAMPS + 2
            )),
            "{e}"
        );
        let points: Vec<String> = (0..=MAX_VALUES).map(|t| format!("[{t},\"1\"]")).collect();
        let e = refused(
            "m.json",
            &requests(&canary(&format!("[{}]", points.join(",")))),
        );
        assert!(
            e.starts_with(&format!(
                "m.json: requests.data.result[0].values: more than {MAX_VALUES} values in the file"
            )),
            "{e}"
        );
        let mut header = String::from(HEADER);
        for b in 0..=MAX_BUCKETS {
            header.push_str(&format!(",le_{b}"));
        }
        header.push_str(",le_inf\n");
        assert!(
            refused("m.csv", &header).contains(&format!("bucket columns, more than {MAX_BUCKETS}"))
        );
    }
}
