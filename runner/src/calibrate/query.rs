//! The PromQL `calibrate --prometheus` asks, one `query_range` per key of
//! `history::KEYS`: the service's whole traffic (every version, every pod), with names
//! from `SeriesNames`, the one owner of the series' names and labels.
//!
//! Counts are the counter's difference between the two ends of each step, summed over
//! the service's series, as `gate`'s queries take them (`policies::live_query` says why
//! that is exact at any alignment, across resets and for series born in the range); the
//! ready pods are the gauge summed over the service's ReplicaSets at each step.

use policies::live_query::escape;
use policies::series::{LE, SeriesNames};

/// One query per key of `history::KEYS`, in that order.
pub fn queries(
    names: &SeriesNames,
    service: &str,
    step_seconds: u64,
) -> Vec<(&'static str, String)> {
    let l = &names.labels;
    let sel = format!("{}=\"{}\"", l.service, escape(service));
    let errors_sel = format!("{sel}, {}=~\"5..\"", l.code);
    let delta = |metric: &str, sel: &str, by: &str| {
        let x = format!("{metric}{{{sel}}}");
        format!("sum{by} (({x} - {x} offset {step_seconds}s) >= 0 or {x})")
    };
    vec![
        ("requests", delta(&names.requests, &sel, "")),
        ("errors", delta(&names.requests, &errors_sel, "")),
        (
            "latency_bucket",
            delta(&names.latency_bucket(), &sel, &format!(" by ({LE})")),
        ),
        (
            "latency_sum",
            delta(&format!("{}_sum", names.latency_histogram), &sel, ""),
        ),
        ("restarts", delta(&names.restarts, &sel, "")),
        ("ready_pods", format!("sum({}{{{sel}}})", names.ready_pods)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_asked_with_the_service_and_the_step() {
        let q = queries(&SeriesNames::default(), "check\"out", 60);
        let keys: Vec<&str> = q.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, super::super::history::KEYS);
        assert_eq!(
            q[0].1,
            "sum ((http_requests_total{service=\"check\\\"out\"} - http_requests_total{service=\"check\\\"out\"} offset 60s) >= 0 or http_requests_total{service=\"check\\\"out\"})"
        );
        assert!(q[1].1.contains("code=~\"5..\"} offset 60s"), "{}", q[1].1);
        assert!(
            q[2].1
                .starts_with("sum by (le) ((http_request_duration_seconds_bucket{")
        );
        assert!(q[3].1.contains("http_request_duration_seconds_sum{"));
        assert_eq!(
            q[5].1,
            "sum(kube_replicaset_status_ready_replicas{service=\"check\\\"out\"})"
        );
    }
}
