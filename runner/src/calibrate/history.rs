//! A service's history as `calibrate` reads it: one JSON object whose keys are
//! [`KEYS`] and whose values are Prometheus `query_range` answers (what
//! `prometheus::Client::fetch` joins from the queries of `query`, and what a file given
//! to `--from-file` holds), each value the increase over the step ending at its
//! timestamp (the ready pods: the gauge then).
//!
//! Input that these queries could not produce is refused, naming the file, the JSON
//! path and the reason: a value that is not a finite number of 0 or more, times that do
//! not increase, a count key with more than one series (the queries sum them), a bucket
//! without an `le` label, buckets that are not cumulative or lack `+Inf`, more 5xx
//! than requests. `requests`, `latency_bucket` and `latency_sum` are required; an absent
//! key or an empty result of `errors` and `restarts` means none happened (the 5xx
//! series exists only once a 5xx was answered), and of `ready_pods` that the pods are
//! unknown (then `--replicas` must say).

use std::collections::BTreeMap;

use serde_json::Value;

use super::fit::latency::Histogram;

/// The keys of the input, in the order the queries are asked.
pub const KEYS: [&str; 6] = [
    "requests",
    "errors",
    "latency_bucket",
    "latency_sum",
    "restarts",
    "ready_pods",
];

/// The history, totalled and as a rate series.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// Seconds between points.
    pub step_seconds: f64,
    /// Unix seconds of the range's start: the first point's step begins here, and
    /// simulated t = 0 is this instant.
    pub start: f64,
    /// Unix seconds of the last point.
    pub end: f64,
    /// (seconds from `start` to the middle of the step, requests per second).
    pub rates: Vec<(f64, f64)>,
    pub requests: f64,
    pub errors: f64,
    pub restarts: f64,
    /// The ready-pod gauge at each point (empty when unknown).
    pub ready_pods: Vec<f64>,
    pub histogram: Histogram,
}

struct Reader<'a> {
    file: &'a str,
}

type Points = Vec<(f64, f64)>;
/// A series' labels and points.
type Labelled = (BTreeMap<String, String>, Points);

impl Reader<'_> {
    fn err(&self, at: &str, why: impl std::fmt::Display) -> String {
        if at.is_empty() {
            format!("{}: {why}", self.file)
        } else {
            format!("{}: {at}: {why}", self.file)
        }
    }

    /// A key's series: (labels, points), checked.
    fn series(&self, key: &str, v: &Value) -> Result<Vec<Labelled>, String> {
        if v.get("status").and_then(Value::as_str) != Some("success") {
            return Err(self.err(&format!("{key}.status"), "expected \"success\""));
        }
        if v.pointer("/data/resultType").and_then(Value::as_str) != Some("matrix") {
            return Err(self.err(
                &format!("{key}.data.resultType"),
                "expected \"matrix\" (a query_range answer)",
            ));
        }
        let Some(result) = v.pointer("/data/result").and_then(Value::as_array) else {
            return Err(self.err(&format!("{key}.data.result"), "expected an array of series"));
        };
        let mut out = Vec::with_capacity(result.len());
        for (si, s) in result.iter().enumerate() {
            let at = format!("{key}.data.result[{si}]");
            let mut labels = BTreeMap::new();
            match s.get("metric") {
                Some(Value::Object(m)) => {
                    for (k, l) in m {
                        let Some(l) = l.as_str() else {
                            return Err(
                                self.err(&format!("{at}.metric.{k}"), "a label value is a string")
                            );
                        };
                        labels.insert(k.clone(), l.to_string());
                    }
                }
                _ => return Err(self.err(&format!("{at}.metric"), "expected an object of labels")),
            }
            let Some(values) = s.get("values").and_then(Value::as_array) else {
                return Err(self.err(
                    &format!("{at}.values"),
                    "expected an array of [time, \"value\"]",
                ));
            };
            let mut points: Points = Vec::with_capacity(values.len());
            for (pi, p) in values.iter().enumerate() {
                let here = format!("{at}.values[{pi}]");
                let pair = p.as_array().filter(|a| a.len() == 2);
                let (t, x) = match pair.map(|a| (&a[0], &a[1])) {
                    Some((Value::Number(t), Value::String(x))) => {
                        (t.as_f64().unwrap_or(f64::NAN), x)
                    }
                    _ => return Err(self.err(&here, "expected [time, \"value\"]")),
                };
                if !(t.is_finite() && (0.0..=policies::live::MAX_TIME).contains(&t)) {
                    return Err(self.err(&here, format!("time {t} is not Unix seconds")));
                }
                if let Some(&(prev, _)) = points.last()
                    && t <= prev
                {
                    return Err(self.err(
                        &here,
                        format!("time {t} is not after the previous point's {prev}"),
                    ));
                }
                let value = match x.parse::<f64>() {
                    Ok(v) if v.is_finite() && v >= 0.0 => v,
                    _ => {
                        return Err(self.err(&here, format!(
                            "{x:?} is not a number of 0 or more (counts are increases, the pods a gauge)"
                        )));
                    }
                };
                points.push((t, value));
            }
            out.push((labels, points));
        }
        Ok(out)
    }

    /// A key whose query sums to one series: its points, empty when absent or empty.
    fn single(&self, doc: &serde_json::Map<String, Value>, key: &str) -> Result<Points, String> {
        let Some(v) = doc.get(key) else {
            return Ok(Vec::new());
        };
        let mut series = self.series(key, v)?;
        match series.len() {
            0 => Ok(Vec::new()),
            1 => Ok(series.remove(0).1),
            n => Err(self.err(
                &format!("{key}.data.result"),
                format!("{n} series; the query sums the service's series into one"),
            )),
        }
    }
}

fn total(points: &Points) -> f64 {
    points.iter().map(|p| p.1).sum()
}

/// Reads the history from `text` (the answers of `query::queries`, or a file of them);
/// `file` names it in messages.
pub fn read(file: &str, text: &str) -> Result<History, String> {
    let r = Reader { file };
    if text.len() > policies::live::MAX_FILE_BYTES {
        return Err(r.err(
            "",
            format!("over {} MiB", policies::live::MAX_FILE_BYTES >> 20),
        ));
    }
    let doc: Value = serde_json::from_str(text).map_err(|e| r.err("", format!("not JSON: {e}")))?;
    let Value::Object(doc) = doc else {
        return Err(r.err(
            "",
            format!("expected an object whose keys are {}", KEYS.join(", ")),
        ));
    };
    for k in doc.keys() {
        if !KEYS.contains(&k.as_str()) {
            let hint = config::suggest(k, KEYS.iter().copied())
                .map(|s| format!(" (did you mean {s:?}?)"))
                .unwrap_or_default();
            return Err(r.err(
                k,
                format!("unknown key{hint}; expected: {}", KEYS.join(", ")),
            ));
        }
    }
    for required in ["requests", "latency_bucket", "latency_sum"] {
        if !doc.contains_key(required) {
            return Err(r.err(
                required,
                "missing: calibration needs the requests, the latency histogram and its sum",
            ));
        }
    }
    let requests = r.single(&doc, "requests")?;
    if requests.len() < 2 {
        return Err(r.err(
            "requests.data.result",
            format!(
                "{} point(s); calibration needs a range of at least 2 steps",
                requests.len()
            ),
        ));
    }
    let step = requests
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .fold(f64::INFINITY, f64::min);
    let start = requests[0].0 - step;
    let end = requests[requests.len() - 1].0;
    let rates = requests
        .iter()
        .map(|&(t, n)| (t - step / 2.0 - start, n / step))
        .collect();
    let errors = r.single(&doc, "errors")?;
    let (requests_total, errors_total) = (total(&requests), total(&errors));
    if errors_total > requests_total {
        return Err(r.err(
            "errors",
            format!("{errors_total} 5xx answers, more than the {requests_total} requests"),
        ));
    }
    let sum = r.single(&doc, "latency_sum")?;
    let mut bounds: Vec<(f64, f64)> = Vec::new();
    let mut inf: Option<f64> = None;
    for (si, (labels, points)) in r
        .series("latency_bucket", &doc["latency_bucket"])?
        .into_iter()
        .enumerate()
    {
        let at = format!("latency_bucket.data.result[{si}].metric");
        let Some(le) = labels.get(policies::series::LE) else {
            return Err(r.err(&at, "no `le` label (sum by (le) in the query)"));
        };
        let count = total(&points);
        if le == "+Inf" {
            inf = Some(count);
            continue;
        }
        match le.parse::<f64>() {
            Ok(b) if b.is_finite() && b > 0.0 => {
                if bounds.iter().any(|(x, _)| *x == b) {
                    return Err(r.err(&format!("{at}.le"), format!("bound {le} appears twice")));
                }
                bounds.push((b, count));
            }
            _ => {
                return Err(r.err(
                    &format!("{at}.le"),
                    format!("{le:?} is not a bucket bound (seconds above 0, or \"+Inf\")"),
                ));
            }
        }
    }
    bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some(inf) = inf else {
        return Err(r.err(
            "latency_bucket",
            "no +Inf bucket: the requests above the last bound are unknown",
        ));
    };
    if bounds.is_empty() {
        return Err(r.err(
            "latency_bucket",
            "only the +Inf bucket: with no finite bound the latency is unknown",
        ));
    }
    if inf <= 0.0 {
        return Err(r.err(
            "latency_bucket",
            "no request in the histogram over the range",
        ));
    }
    let sum_total = total(&sum);
    if sum_total <= 0.0 {
        return Err(r.err(
            "latency_sum",
            "the durations sum to 0 over the range: the mean latency is unknown",
        ));
    }
    let mut prev = (0.0, 0.0);
    for &(b, c) in bounds.iter().chain(std::iter::once(&(f64::INFINITY, inf))) {
        if c < prev.1 {
            return Err(r.err(
                "latency_bucket",
                format!("not cumulative: {c} requests at or below {b} s, fewer than the {} at or below {} s", prev.1, prev.0),
            ));
        }
        prev = (b, c);
    }
    let ready_pods = r
        .single(&doc, "ready_pods")?
        .into_iter()
        .map(|p| p.1)
        .collect();
    Ok(History {
        step_seconds: step,
        start,
        end,
        rates,
        requests: requests_total,
        errors: errors_total,
        restarts: total(&r.single(&doc, "restarts")?),
        ready_pods,
        histogram: Histogram {
            bounds: bounds.iter().map(|b| b.0).collect(),
            cumulative: bounds.iter().map(|b| b.1).collect(),
            total: inf,
            sum: sum_total,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(series: &[(&str, &[(f64, &str)])]) -> String {
        let s: Vec<String> = series
            .iter()
            .map(|(labels, values)| {
                let v: Vec<String> = values
                    .iter()
                    .map(|(t, x)| format!("[{t}, \"{x}\"]"))
                    .collect();
                format!(
                    "{{\"metric\": {{{labels}}}, \"values\": [{}]}}",
                    v.join(", ")
                )
            })
            .collect();
        format!(
            "{{\"status\": \"success\", \"data\": {{\"resultType\": \"matrix\", \"result\": [{}]}}}}",
            s.join(", ")
        )
    }

    fn doc(extra: &[(&str, String)]) -> String {
        let mut keys: BTreeMap<&str, String> = BTreeMap::new();
        keys.insert(
            "requests",
            matrix(&[("", &[(1060.0, "600"), (1120.0, "1200")])]),
        );
        keys.insert(
            "latency_bucket",
            matrix(&[
                ("\"le\": \"0.05\"", &[(1060.0, "500"), (1120.0, "1000")]),
                ("\"le\": \"+Inf\"", &[(1060.0, "600"), (1120.0, "1200")]),
            ]),
        );
        keys.insert(
            "latency_sum",
            matrix(&[("", &[(1060.0, "12"), (1120.0, "24")])]),
        );
        keys.insert(
            "ready_pods",
            matrix(&[("", &[(1060.0, "4"), (1120.0, "5")])]),
        );
        for (k, v) in extra {
            keys.insert(k, v.clone());
        }
        let body: Vec<String> = keys
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("\"{k}\": {v}"))
            .collect();
        format!("{{{}}}", body.join(",\n"))
    }

    #[test]
    fn answers_become_rates_and_totals() {
        let h = read("d.json", &doc(&[])).unwrap();
        assert_eq!(h.step_seconds, 60.0);
        assert_eq!((h.start, h.end), (1000.0, 1120.0));
        assert_eq!(h.rates, vec![(30.0, 10.0), (90.0, 20.0)]);
        assert_eq!((h.requests, h.errors, h.restarts), (1800.0, 0.0, 0.0));
        assert_eq!(h.ready_pods, vec![4.0, 5.0]);
        assert_eq!(h.histogram.bounds, vec![0.05]);
        assert_eq!(h.histogram.cumulative, vec![1500.0]);
        assert_eq!((h.histogram.total, h.histogram.sum), (1800.0, 36.0));
    }

    #[test]
    fn bad_answers_name_the_file_the_place_and_the_problem() {
        let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
            (vec![("request", matrix(&[]))], "d.json: request: unknown key (did you mean \"requests\"?)"),
            (vec![("latency_sum", String::new())], "d.json: latency_sum: missing"),
            (
                vec![("requests", matrix(&[("", &[(1060.0, "600")])]))],
                "requests.data.result: 1 point(s)",
            ),
            (
                vec![("requests", matrix(&[("", &[(1060.0, "600"), (1060.0, "1")])]))],
                "requests.data.result[0].values[1]: time 1060 is not after",
            ),
            (
                vec![("requests", matrix(&[("", &[(1060.0, "600"), (1120.0, "-1")])]))],
                "requests.data.result[0].values[1]: \"-1\" is not a number of 0 or more",
            ),
            (
                vec![("requests", matrix(&[("", &[(1060.0, "NaN"), (1120.0, "1")])]))],
                "values[0]: \"NaN\" is not a number",
            ),
            (
                vec![("errors", matrix(&[("", &[(1060.0, "2000")])]))],
                "d.json: errors: 2000 5xx answers, more than the 1800 requests",
            ),
            (
                vec![("restarts", matrix(&[("\"pod\": \"a\"", &[]), ("\"pod\": \"b\"", &[])]))],
                "restarts.data.result: 2 series; the query sums",
            ),
            (
                vec![("latency_bucket", matrix(&[("", &[(1060.0, "1")])]))],
                "latency_bucket.data.result[0].metric: no `le` label",
            ),
            (
                vec![("latency_bucket", matrix(&[("\"le\": \"0.1\"", &[(1060.0, "1")])]))],
                "latency_bucket: no +Inf bucket",
            ),
            (
                vec![(
                    "latency_bucket",
                    matrix(&[
                        ("\"le\": \"0.1\"", &[(1060.0, "5")]),
                        ("\"le\": \"0.2\"", &[(1060.0, "4")]),
                        ("\"le\": \"+Inf\"", &[(1060.0, "6")]),
                    ]),
                )],
                "not cumulative: 4 requests at or below 0.2 s, fewer than the 5 at or below 0.1 s",
            ),
            (
                vec![("latency_sum", matrix(&[("", &[(1060.0, "0")])]))],
                "d.json: latency_sum: the durations sum to 0",
            ),            (
                vec![("ready_pods", "{\"status\": \"error\"}".to_string())],
                "ready_pods.status: expected \"success\"",
            ),
            (
                vec![("ready_pods", "{\"status\": \"success\", \"data\": {\"resultType\": \"vector\", \"result\": []}}".to_string())],
                "ready_pods.data.resultType: expected \"matrix\"",
            ),
        ];
        for (extra, want) in cases {
            let e = read("d.json", &doc(&extra)).unwrap_err();
            assert!(e.contains(want), "want {want:?}, got {e}");
        }
        assert!(
            read("d.json", "[1]")
                .unwrap_err()
                .contains("expected an object")
        );
        assert!(
            read("d.json", "{")
                .unwrap_err()
                .starts_with("d.json: not JSON")
        );
    }

    #[test]
    fn absent_errors_restarts_and_pods_are_none_and_unknown() {
        let h = read(
            "d.json",
            &doc(&[("ready_pods", String::new()), ("errors", matrix(&[]))]),
        )
        .unwrap();
        assert!(h.ready_pods.is_empty());
        assert_eq!(h.errors, 0.0);
    }
}
