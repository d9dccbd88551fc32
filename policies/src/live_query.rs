//! The PromQL `rollcage gate --prometheus` asks: one `query_range` per series of the
//! gate input (`live::SERIES`), whose answer `live::from_prometheus` reads as it reads a
//! file. Names come from [`SeriesNames`], the one owner of the series' names and labels.
//!
//! Every count is the difference of the counter at the two ends of the step,
//! evaluated by `query_range` with `step` equal to the step:
//!
//! ```text
//! sum by (version) ((X{sel} - X{sel} offset STEP) >= 0 or X{sel})
//! ```
//!
//! Why this and not `increase(X[STEP])`:
//!
//! - **Exact at any alignment.** An instant selector at `t` reads the latest sample at
//!   or before `t`; `offset STEP` reads the latest at or before `t − STEP`, which is the
//!   previous point of the range query. So the points' differences telescope: over any
//!   run of points the sum is the counter's value at the last point minus its value at
//!   the point before the first, whatever the scrape times are. `increase(X[STEP])`
//!   instead extrapolates inside each window, sees no sample pair (and returns nothing)
//!   when the window holds one scrape, and counts a pair twice when the window is wider.
//! - **The same on Prometheus 2 and 3.** No range selector is involved, so Prometheus 3's
//!   left-open ranges change nothing; an instant selector's 5-minute look-back includes
//!   `t` on both.
//! - **A series born in the range.** Client libraries create a labelled series (the 5xx
//!   one) at its first increment: at its first point the `offset` side is missing, the
//!   difference is empty, and `or X` gives the counter itself, which is the whole count
//!   since the series began, the step's increase.
//! - **A counter reset** (a pod restarted) makes the difference negative; `>= 0` drops
//!   it and `or X` gives the counter's value after the reset: the count since the reset,
//!   as `increase()` counts it. What the counter counted between the last scrape before
//!   the reset and the reset is lost (no query can see it).
//! - The difference is taken per series, before `sum by (version)`, so one pod's reset or
//!   birth does not disturb the others.
//!
//! Memory is a gauge: `max by (version) (M{sel}) / 1048576`, the latest scrape at each
//! point. When the version label is not called `version`, `label_replace` copies it to
//! `version`, the label the reader takes the version from.

use crate::series::{LE, SeriesNames};

/// One query per key of `live::SERIES`, in that order.
pub fn queries(
    names: &SeriesNames,
    service: &str,
    step_seconds: u64,
) -> Vec<(&'static str, String)> {
    let l = &names.labels;
    let sel = format!("{}=\"{}\"", l.service, escape(service));
    let errors_sel = format!("{sel}, {}=~\"5..\"", l.code);
    let step = format!("{step_seconds}s");
    let by = |extra: &str| format!("{}{extra}", l.version);
    let delta = |metric: &str, sel: &str, by: &str| {
        let x = format!("{metric}{{{sel}}}");
        versioned(
            names,
            format!("sum by ({by}) (({x} - {x} offset {step}) >= 0 or {x})"),
        )
    };
    vec![
        ("requests", delta(&names.requests, &sel, &by(""))),
        ("errors", delta(&names.requests, &errors_sel, &by(""))),
        (
            "latency_bucket",
            delta(&names.latency_bucket(), &sel, &by(&format!(", {LE}"))),
        ),
        ("restarts", delta(&names.restarts, &sel, &by(""))),
        (
            "memory_mb",
            versioned(
                names,
                format!(
                    "max by ({}) ({}{{{sel}}}) / 1048576",
                    l.version, names.memory
                ),
            ),
        ),
        ("conversions", delta(&names.conversions, &sel, &by(""))),
        ("sessions_lost", delta(&names.sessions_lost, &sel, &by(""))),
    ]
}

/// Copies the version label to `version` when it has another name.
fn versioned(names: &SeriesNames, q: String) -> String {
    let v = &names.labels.version;
    if v == "version" {
        q
    } else {
        format!("label_replace({q}, \"version\", \"$1\", \"{v}\", \"(.*)\")")
    }
}

/// A PromQL double-quoted string's content.
pub fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::SERIES;

    #[test]
    fn one_query_per_series_key_with_the_step_as_offset() {
        let q = queries(&SeriesNames::default(), "checkout", 15);
        let keys: Vec<&str> = q.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, SERIES);
        assert_eq!(
            q[0].1,
            "sum by (version) ((http_requests_total{service=\"checkout\"} - http_requests_total{service=\"checkout\"} offset 15s) >= 0 or http_requests_total{service=\"checkout\"})"
        );
        assert!(
            q[1].1
                .contains("{service=\"checkout\", code=~\"5..\"} offset 15s")
        );
        assert!(
            q[2].1
                .starts_with("sum by (version, le) ((http_request_duration_seconds_bucket{")
        );
        assert_eq!(
            q[4].1,
            "max by (version) (container_memory_working_set_bytes{service=\"checkout\"}) / 1048576"
        );
        for (_, text) in &q {
            assert!(!text.contains("increase("), "{text}");
        }
    }

    #[test]
    fn renamed_series_and_labels_are_used_and_the_version_label_copied() {
        let names = SeriesNames::from_toml(
            "n.toml",
            "[metrics]\nrequests = \"api_total\"\n[labels]\nversion = \"track\"\nservice = \"svc\"\ncode = \"status\"\n",
        )
        .unwrap();
        let q = queries(&names, "a", 30);
        assert_eq!(
            q[1].1,
            "label_replace(sum by (track) ((api_total{svc=\"a\", status=~\"5..\"} - api_total{svc=\"a\", status=~\"5..\"} offset 30s) >= 0 or api_total{svc=\"a\", status=~\"5..\"}), \"version\", \"$1\", \"track\", \"(.*)\")"
        );
    }
}
