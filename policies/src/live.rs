//! Real metrics for `rollcage gate`: Prometheus `query_range` responses or a CSV, turned
//! into the same `Sample`s the simulator's scraper produces, so that the gates judge
//! them with the same code.
//!
//! Prometheus input is one JSON object whose keys name the series rollcage needs and
//! whose values are `query_range` responses (`{"status": "success", "data":
//! {"resultType": "matrix", "result": [...]}}`); every series carries a `version` label
//! (`canary`/`candidate`/`new` or `stable`/`baseline`/`primary`/`old`) and each value is
//! the increase over the step ending at its timestamp:
//!
//! | key | query (step S, the scrape interval) |
//! |---|---|
//! | `requests` | `sum by (version) (increase(http_requests_total{service="X"}[S]))` |
//! | `errors` | `sum by (version) (increase(http_requests_total{service="X", code=~"5.."}[S]))` |
//! | `latency_bucket` | `sum by (version, le) (increase(http_request_duration_seconds_bucket{service="X"}[S]))` |
//! | `restarts` | `sum by (version) (increase(kube_pod_container_status_restarts_total{service="X"}[S]))` |
//! | `memory_mb` | `max by (version) (container_memory_working_set_bytes{service="X"}) / 1048576` |
//! | `conversions` | `sum by (version) (increase(business_conversions_total{service="X"}[S]))` |
//! | `sessions_lost` | `sum by (version) (increase(sessions_lost_total{service="X"}[S]))` |
//!
//! Only `requests` is required. With `conversions`, the KPI is conversions per
//! successful request. A timestamp missing from a series (a gap) is an
//! interval without data for it. A latency bucket's requests count at the midpoint of
//! the bucket (`le` in seconds; the `+Inf` bucket at the last finite bound).
//!
//! CSV input has the header `time,version,requests,errors,restarts,memory_mb` followed
//! by optional `conversions` and `sessions_lost` columns and optional cumulative latency
//! bucket columns `le_<ms>` and `le_inf`, one row per (time, version); empty cells mean
//! no data.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;
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

/// One interval of one version as read, before it becomes a sample.
#[derive(Default)]
struct Cell {
    requests: Option<f64>,
    errors: f64,
    restarts: f64,
    memory_mb: f64,
    conversions: Option<f64>,
    sessions_lost: f64,
    /// Cumulative bucket counts by upper bound in ms (`f64::INFINITY` for +Inf).
    buckets: Vec<(f64, f64)>,
}

/// Samples keyed by time (milliseconds, to order exactly) then version.
type Cells = BTreeMap<i64, [Cell; 2]>;

fn version(label: &str) -> Option<Version> {
    match label {
        "canary" | "candidate" | "new" => Some(Version::Candidate),
        "stable" | "baseline" | "primary" | "old" => Some(Version::Baseline),
        _ => None,
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
            let requests = c.requests.unwrap_or(0.0).round().max(0.0) as u64;
            let errors = (c.errors.round().max(0.0) as u64).min(requests);
            let count = |x: f64| x.round().max(0.0) as u64;
            CohortSample {
                requests,
                errors,
                crashes: count(c.restarts),
                memory_max_mb: c.memory_mb,
                latency: SparseHistogram::from_counts(counts),
                sessions_lost: count(c.sessions_lost),
                kpi_requests: if c.conversions.is_some() {
                    requests - errors
                } else {
                    0
                },
                conversions: c.conversions.map_or(0, count),
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

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => s.parse::<f64>().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Reads the Prometheus form.
pub fn from_prometheus(file: &str, text: &str) -> Result<Vec<Sample>, LiveError> {
    let err = |location: String, reason: String| LiveError {
        file: file.to_string(),
        location,
        reason,
    };
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| err(String::new(), format!("not valid JSON: {e}")))?;
    let Value::Object(map) = doc else {
        return Err(err(
            String::new(),
            format!(
                "expected an object with query_range responses under keys {}",
                SERIES.join(", ")
            ),
        ));
    };
    for k in map.keys() {
        if !SERIES.contains(&k.as_str()) {
            return Err(err(
                k.clone(),
                format!("unknown series; expected: {}", SERIES.join(", ")),
            ));
        }
    }
    if !map.contains_key("requests") {
        return Err(err(
            "requests".into(),
            "missing: the request counts are required".into(),
        ));
    }
    let mut cells = Cells::new();
    for key in SERIES {
        let Some(resp) = map.get(key) else { continue };
        if resp.get("status").and_then(Value::as_str) != Some("success") {
            return Err(err(format!("{key}.status"), "expected \"success\"".into()));
        }
        if resp.pointer("/data/resultType").and_then(Value::as_str) != Some("matrix") {
            return Err(err(
                format!("{key}.data.resultType"),
                "expected \"matrix\" (a query_range response)".into(),
            ));
        }
        let Some(result) = resp.pointer("/data/result").and_then(Value::as_array) else {
            return Err(err(
                format!("{key}.data.result"),
                "expected an array of series".into(),
            ));
        };
        for (i, series) in result.iter().enumerate() {
            let at = format!("{key}.data.result[{i}]");
            let label = series
                .pointer("/metric/version")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    err(
                        format!("{at}.metric"),
                        "no `version` label (sum by (version) in the query)".into(),
                    )
                })?;
            let v = version(label).ok_or_else(|| {
                err(format!("{at}.metric.version"), format!(
                    "\"{label}\" is neither new (canary, candidate, new) nor old (stable, baseline, primary, old)"
                ))
            })?;
            let le = if key == "latency_bucket" {
                let raw = series
                    .pointer("/metric/le")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        err(
                            format!("{at}.metric"),
                            "no `le` label (sum by (version, le) in the query)".into(),
                        )
                    })?;
                Some(if raw == "+Inf" {
                    f64::INFINITY
                } else {
                    raw.parse::<f64>().map_err(|_| {
                        err(
                            format!("{at}.metric.le"),
                            format!("\"{raw}\" is not a number"),
                        )
                    })? * 1000.0
                })
            } else {
                None
            };
            let values = series
                .get("values")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    err(
                        format!("{at}.values"),
                        "expected [[timestamp, \"value\"], ...]".into(),
                    )
                })?;
            for (j, point) in values.iter().enumerate() {
                let loc = format!("{at}.values[{j}]");
                let pair = point
                    .as_array()
                    .filter(|p| p.len() == 2)
                    .ok_or_else(|| err(loc.clone(), "expected [timestamp, \"value\"]".into()))?;
                let t = num(&pair[0])
                    .filter(|t| t.is_finite() && *t >= 0.0)
                    .ok_or_else(|| {
                        err(
                            loc.clone(),
                            "the timestamp is not a non-negative number".into(),
                        )
                    })?;
                let x = num(&pair[1])
                    .ok_or_else(|| err(loc.clone(), "the value is not a number".into()))?;
                if x.is_nan() {
                    continue; // Prometheus writes "NaN" for 0/0: no data.
                }
                let cell = &mut cells.entry((t * 1000.0).round() as i64).or_default()[v.index()];
                match key {
                    "requests" => cell.requests = Some(x),
                    "errors" => cell.errors = x,
                    "restarts" => cell.restarts = x,
                    "memory_mb" => cell.memory_mb = x,
                    "conversions" => cell.conversions = Some(x),
                    "sessions_lost" => cell.sessions_lost = x,
                    _ => cell.buckets.push((le.expect("bucket"), x)),
                }
            }
        }
    }
    Ok(to_samples(cells))
}

/// Reads the CSV form.
pub fn from_csv(file: &str, text: &str) -> Result<Vec<Sample>, LiveError> {
    let err = |location: String, reason: String| LiveError {
        file: file.to_string(),
        location,
        reason,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(err(
            String::new(),
            "empty file: expected a header line".into(),
        ));
    };
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let fixed = [
        "time",
        "version",
        "requests",
        "errors",
        "restarts",
        "memory_mb",
    ];
    if cols.len() < fixed.len() || cols[..fixed.len()] != fixed {
        return Err(err(
            "line 1".into(),
            format!("the header must start with {}", fixed.join(",")),
        ));
    }
    // Optional named columns, then latency buckets.
    let mut named: Vec<(usize, &str)> = Vec::new();
    let mut bounds = Vec::new();
    for (k, c) in cols.iter().enumerate().skip(fixed.len()) {
        if matches!(*c, "conversions" | "sessions_lost") {
            if !bounds.is_empty() {
                return Err(err(
                    "line 1".into(),
                    format!("column \"{c}\" must come before the le_ columns"),
                ));
            }
            named.push((k, c));
            continue;
        }
        let b = match c.strip_prefix("le_") {
            Some("inf") => f64::INFINITY,
            Some(ms) => ms.parse::<f64>().map_err(|_| {
                err(
                    "line 1".into(),
                    format!("column \"{c}\": expected le_<milliseconds> or le_inf"),
                )
            })?,
            None => {
                let known = ["conversions", "sessions_lost", "le_<ms>", "le_inf"];
                return Err(err(
                    "line 1".into(),
                    format!(
                        "unknown column \"{c}\"; after the fixed columns: {}",
                        known.join(", ")
                    ),
                ));
            }
        };
        bounds.push(b);
    }
    let mut cells = Cells::new();
    for (i, line) in lines {
        let loc = |c: &str| format!("line {}, column {c}", i + 1);
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != cols.len() {
            return Err(err(
                format!("line {}", i + 1),
                format!("{} fields, the header has {}", f.len(), cols.len()),
            ));
        }
        let number = |k: usize| -> Result<Option<f64>, LiveError> {
            if f[k].is_empty() {
                return Ok(None);
            }
            f[k].parse::<f64>()
                .map(Some)
                .map_err(|_| err(loc(cols[k]), format!("\"{}\" is not a number", f[k])))
        };
        let t = number(0)?
            .filter(|t| *t >= 0.0)
            .ok_or_else(|| err(loc("time"), "a time in seconds is required".into()))?;
        let v = version(f[1]).ok_or_else(|| err(loc("version"), format!("\"{}\" is neither new (canary, candidate, new) nor old (stable, baseline, primary, old)", f[1])))?;
        let cell = &mut cells.entry((t * 1000.0).round() as i64).or_default()[v.index()];
        cell.requests = number(2)?;
        cell.errors = number(3)?.unwrap_or(0.0);
        cell.restarts = number(4)?.unwrap_or(0.0);
        cell.memory_mb = number(5)?.unwrap_or(0.0);
        for &(k, name) in &named {
            let x = number(k)?;
            match name {
                "conversions" => cell.conversions = x,
                _ => cell.sessions_lost = x.unwrap_or(0.0),
            }
        }
        let first_bucket = fixed.len() + named.len();
        for (j, &b) in bounds.iter().enumerate() {
            if let Some(n) = number(first_bucket + j)? {
                cell.buckets.push((b, n));
            }
        }
    }
    Ok(to_samples(cells))
}

/// Reads either form: JSON if the text starts with `{`, else CSV.
pub fn read(file: &str, text: &str) -> Result<Vec<Sample>, LiveError> {
    if text.trim_start().starts_with('{') {
        from_prometheus(file, text)
    } else {
        from_csv(file, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(series: &str) -> String {
        format!(r#"{{"status":"success","data":{{"resultType":"matrix","result":[{series}]}}}}"#)
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
            &format!(
                r#"{{"requests": {}}}"#,
                matrix(r#"{"metric":{"version":"blue"},"values":[]}"#)
            ),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("m.json: requests.data.result[0].metric.version: \"blue\""),
            "{e}"
        );
        let e = read("m.json", r#"{"reqs": {}}"#).unwrap_err();
        assert!(e.to_string().contains("reqs: unknown series"), "{e}");
        let e = read(
            "m.csv",
            "time,version,requests,errors,restarts,memory_mb\n10,canary,x,,,\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.csv: line 2, column requests: \"x\" is not a number"
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
        let csv = "time,version,requests,errors,restarts,memory_mb,conversions,sessions_lost,le_inf\n\
                   15,canary,100,0,0,,5,2,100\n";
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
}
