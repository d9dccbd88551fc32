//! `metrics.om` of `rollcage run --out`: the run as the Prometheus series a real
//! service would have left, in OpenMetrics text at scrape resolution, for
//! `promtool tsdb create-blocks-from openmetrics`.
//!
//! It lives with the other files of a run directory, and takes every series and label
//! name from [`policies::series::SeriesNames`], the one owner of those names, so what
//! it writes is what the exported queries, `gate` and the SLO rules
//! ([`crate::prometheus`]) read. (That is why `reports` depends on `policies`.)
//!
//! What is written, per version (`version="stable"` for the baseline, `"canary"` for
//! the candidate), from the scrapes the metrics pipeline delivered (the detectors'
//! samples, `RunRecord::metrics`), each counter cumulative from 0 at t = 0:
//!
//! - requests by status `code`: `200` for successes, `500` for error responses,
//!   `504` for timeouts, so `code=~"5.."` counts errors + timeouts, the gates' failed
//!   requests;
//! - the latency histogram of served requests (successes and error responses; a
//!   timeout is not served), in seconds, with the bounds of [`bucket_bounds`];
//! - restarts, working-set memory of the largest pod (a gauge, in bytes; no sample
//!   while the version has no pod), sessions lost, conversions (only when the scenario
//!   has a KPI), and the SLO's events and bad events;
//! - the ReplicaSets' status as kube-state-metrics reports it (gauges: pods asked for,
//!   pods, ready pods, available pods, terminating pods), from the fleet the controller saw
//!   (`RunRecord::fleet`), at every scrape **and at every moment it changed**, so that
//!   `gate --from/--to` can follow the pods as they were (see [`fleet_times`]).
//!
//! Timestamps are the scrape times after the epoch (`run --epoch`, RFC 3339, default
//! [`DEFAULT_EPOCH`]), in seconds with millisecond resolution. Nothing reads the clock.

use std::fmt::Write as _;

use policies::series::SeriesNames;
use sim_core::hist::bucket_range;
use sim_core::metrics::{CohortSample, Sample};
use sim_core::record::FleetPoint;
use sim_core::{CohortStatus, SimTime};

pub const FILE_NAME: &str = "metrics.om";

/// The time of simulated t = 0 when `run --epoch` is not given.
pub const DEFAULT_EPOCH: &str = "2026-01-01T00:00:00Z";

/// The `namespace` label (Flagger's queries select by it).
pub const NAMESPACE: &str = "default";

/// Status codes: successes, error responses, timeouts.
pub const CODE_OK: &str = "200";
pub const CODE_ERROR: &str = "500";
pub const CODE_TIMEOUT: &str = "504";

/// The `version` label of the baseline's and the candidate's series (the Argo
/// export's pod labels), indexed by `Version::index()`.
pub const VERSION_LABELS: [&str; 2] = ["stable", "canary"];

/// What `metrics.om` is written from.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub names: &'a SeriesNames,
    /// The `service` label; `app` is this for the canary and `SERVICE-primary` for the
    /// stable side, as Flagger names them.
    pub service: &'a str,
    /// Unix time of simulated t = 0, in milliseconds.
    pub epoch_ms: i64,
    /// The delivered scrapes, in time order.
    pub samples: &'a [Sample],
    /// Whether the scenario has a business KPI (conversions are written only then).
    pub kpi: bool,
    /// The fleet at each change, in time order (`RunRecord::fleet`).
    pub fleet: &'a [FleetPoint],
}

/// The latency buckets' bounds, in half microseconds (`2 × µs`, odd numbers): both
/// edges of every bucket of `sim_core::hist` that holds a value in some scrape of
/// either version, half a microsecond outside its integer range, sorted. A fixed set
/// for the whole run: at most twice the number of buckets used (adjacent buckets share
/// an edge, so usually little more than that number), each written as `le` in seconds.
/// The lower edge of the bin of 0 µs, half a µs below 0, is left out: no latency is
/// below 0, and readers (Prometheus' `histogram_quantile`, `gate`) take the first
/// bucket to start at 0 when its bound is positive.
pub fn bucket_bounds(samples: &[Sample]) -> Vec<u64> {
    let mut used: Vec<usize> = samples
        .iter()
        .flat_map(|s| s.cohorts.iter())
        .flat_map(|c| c.latency.bins().map(|(i, _)| i))
        .collect();
    used.sort_unstable();
    used.dedup();
    let mut out: Vec<u64> = used
        .iter()
        .flat_map(|&i| {
            let (lo, hi) = bucket_range(i);
            // None: the lower edge of the bin of 0 µs (see above).
            [(2 * lo).checked_sub(1), Some(2 * hi + 1)]
        })
        .flatten()
        .collect();
    out.dedup();
    out
}

/// A bound in half microseconds as `le` text in seconds: exact, 7 decimals (an odd
/// number of half microseconds ends in 5 at the seventh). Unsigned: `bucket_bounds`
/// writes no bound below 0.
pub fn bound_text(half_micros: u64) -> String {
    let tenths_of_micro = half_micros * 5;
    format!(
        "{}.{:07}",
        tenths_of_micro / 10_000_000,
        tenths_of_micro % 10_000_000
    )
}

/// A timestamp in milliseconds as OpenMetrics seconds.
fn time_text(ms: i64) -> String {
    let (s, frac) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    if frac == 0 {
        format!("{s}")
    } else {
        format!("{s}.{frac:03}")
    }
}

/// A label value with OpenMetrics' escapes.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The family header: the family name (a counter's without `_total`), its type, its
/// unit when the name ends in it, and its help.
fn header(out: &mut String, name: &str, kind: &str, unit: Option<&str>, help: &str) {
    let (family, kind) = match kind {
        // OpenMetrics counters' samples end in `_total`; a counter renamed without
        // the suffix is written as `unknown`, which every reader takes.
        "counter" => match name.strip_suffix("_total") {
            Some(f) => (f, "counter"),
            None => (name, "unknown"),
        },
        k => (name, k),
    };
    let _ = writeln!(out, "# TYPE {family} {kind}");
    if let Some(u) = unit.filter(|u| family.ends_with(&format!("_{u}"))) {
        let _ = writeln!(out, "# UNIT {family} {u}");
    }
    let _ = writeln!(out, "# HELP {family} {help}");
}

/// The label sets of the two versions, without the braces.
fn version_labels(m: &Input<'_>) -> [String; 2] {
    let l = &m.names.labels;
    let svc = escape(m.service);
    [0, 1].map(|v| {
        let app = if v == 0 {
            format!("{svc}-primary")
        } else {
            svc.clone()
        };
        format!(
            "{}=\"{svc}\",{}=\"{}\",{}=\"{NAMESPACE}\",{}=\"{app}\"",
            l.service, l.version, VERSION_LABELS[v], l.namespace, l.app
        )
    })
}

/// The scrape times in milliseconds after the epoch, t = 0 first.
fn times(m: &Input<'_>) -> Vec<i64> {
    std::iter::once(m.epoch_ms)
        .chain(
            m.samples
                .iter()
                .map(|s| m.epoch_ms + (s.at.0 / 1_000_000) as i64),
        )
        .collect()
}

/// A counter's value in one cohort's interval.
type Count = fn(&CohortSample) -> u64;

/// One fleet gauge's value in a version's status.
type Pods = fn(&CohortStatus) -> u32;

/// One counter family: per version, `value` summed over the scrapes, from 0 at t = 0.
fn counter(out: &mut String, m: &Input<'_>, name: &str, help: &str, extra: &[(&str, Count)]) {
    header(out, name, "counter", None, help);
    let labels = version_labels(m);
    let t = times(m);
    for (v, lab) in labels.iter().enumerate() {
        for (more, value) in extra {
            let mut total = 0u64;
            let series = format!("{name}{{{lab}{more}}}");
            let _ = writeln!(out, "{series} 0 {}", time_text(t[0]));
            for (s, at) in m.samples.iter().zip(&t[1..]) {
                total += value(&s.cohorts[v]);
                let _ = writeln!(out, "{series} {total} {}", time_text(*at));
            }
        }
    }
}

/// The OpenMetrics text of a run.
pub fn to_bytes(m: &Input<'_>) -> Vec<u8> {
    let n = m.names;
    let code = &n.labels.code;
    let mut out = String::new();
    let by_code = [
        (format!(",{code}=\"{CODE_OK}\""), ok as Count),
        (format!(",{code}=\"{CODE_ERROR}\""), |c| c.errors),
        (format!(",{code}=\"{CODE_TIMEOUT}\""), |c| c.timeouts),
    ];
    let by_code: Vec<(&str, Count)> = by_code.iter().map(|(l, f)| (l.as_str(), *f)).collect();
    counter(
        &mut out,
        m,
        &n.requests,
        "Requests answered or timed out, by status code (200 ok, 500 error, 504 timeout).",
        &by_code,
    );
    histogram(&mut out, m);
    counter(
        &mut out,
        m,
        &n.restarts,
        "Container restarts (process crashes).",
        &[("", |c| c.crashes)],
    );
    let fleet: [(&str, &str, Pods); 5] = [
        (
            &n.desired_pods,
            "Pods the ReplicaSet asks for (spec.replicas).",
            |c| c.spec,
        ),
        (
            &n.pods,
            "Pods that exist and are not terminating (status.replicas).",
            |c| c.pods,
        ),
        (
            &n.ready_pods,
            "Pods passing readiness (status.readyReplicas).",
            |c| c.ready,
        ),
        (
            &n.available_pods,
            "Pods ready for at least minReadySeconds (status.availableReplicas).",
            |c| c.available,
        ),
        (
            &n.terminating_pods,
            "Pods being deleted and still draining (status.terminatingReplicas).",
            |c| c.terminating,
        ),
    ];
    let at = fleet_times(m);
    for (name, help, value) in fleet {
        fleet_gauge(&mut out, m, &at, name, help, value);
    }
    gauge(
        &mut out,
        m,
        &n.memory,
        Some("bytes"),
        "Working-set memory of the version's largest pod; no sample without a pod.",
        |c| (c.memory_max_mb > 0.0).then(|| format!("{}", c.memory_max_mb * 1_048_576.0)),
    );
    counter(
        &mut out,
        m,
        &n.sessions_lost,
        "User sessions lost with their pod.",
        &[("", |c| c.sessions_lost)],
    );
    if m.kpi {
        counter(
            &mut out,
            m,
            &n.conversions,
            "Business conversions (the KPI is conversions per successful request).",
            &[("", |c| c.conversions)],
        );
    }
    counter(
        &mut out,
        m,
        &n.slo_events,
        "The SLO's events: requests answered or timed out.",
        &[("", |c| c.requests)],
    );
    counter(
        &mut out,
        m,
        &n.slo_bad_events,
        "The SLO's bad events: errors, timeouts, successes slower than the SLO's latency threshold, lost sessions.",
        &[("", CohortSample::bad)],
    );
    out.push_str("# EOF\n");
    out.into_bytes()
}

fn ok(c: &CohortSample) -> u64 {
    c.requests - c.failed()
}

fn gauge(
    out: &mut String,
    m: &Input<'_>,
    name: &str,
    unit: Option<&str>,
    help: &str,
    value: impl Fn(&CohortSample) -> Option<String>,
) {
    header(out, name, "gauge", unit, help);
    let labels = version_labels(m);
    let t = times(m);
    for (v, lab) in labels.iter().enumerate() {
        for (s, at) in m.samples.iter().zip(&t[1..]) {
            if let Some(x) = value(&s.cohorts[v]) {
                let _ = writeln!(out, "{name}{{{lab}}} {x} {}", time_text(*at));
            }
        }
    }
}

/// The times the fleet gauges are written at, in milliseconds after the epoch, each with
/// the fleet point that holds then: every scrape, and every change rounded **up** to the
/// millisecond (Prometheus keeps milliseconds). Up, because the simulated controller
/// that synced at the change saw the scrapes before it and none after: a backtest that
/// syncs at the rounded time sees the same scrapes (`s.at < now`) unless a scrape fell
/// within the same millisecond. Changes within one millisecond leave its last state.
/// Nothing is written before the first point.
pub fn fleet_times(m: &Input<'_>) -> Vec<(i64, usize)> {
    let ms = |t: SimTime| t.0.div_ceil(1_000_000) as i64;
    let mut at: Vec<i64> = times(m)
        .into_iter()
        .map(|t| t - m.epoch_ms)
        .chain(m.fleet.iter().map(|p| ms(p.at)))
        .collect();
    at.sort_unstable();
    at.dedup();
    at.into_iter()
        .filter_map(|t| {
            let held = m.fleet.partition_point(|p| p.at.0 <= t as u64 * 1_000_000);
            held.checked_sub(1).map(|i| (m.epoch_ms + t, i))
        })
        .collect()
}

fn fleet_gauge(
    out: &mut String,
    m: &Input<'_>,
    at: &[(i64, usize)],
    name: &str,
    help: &str,
    value: Pods,
) {
    header(out, name, "gauge", None, help);
    for (v, lab) in version_labels(m).iter().enumerate() {
        for &(t, i) in at {
            let x = value(&m.fleet[i].cohorts[v]);
            let _ = writeln!(out, "{name}{{{lab}}} {x} {}", time_text(t));
        }
    }
}

/// The latency histogram: per version and scrape, every bound's cumulative count,
/// `+Inf`, `_count` and `_sum` (the exact sum of the latencies, in seconds).
fn histogram(out: &mut String, m: &Input<'_>) {
    let name = &m.names.latency_histogram;
    header(
        out,
        name,
        "histogram",
        Some("seconds"),
        "Latency of served requests (timeouts are not served). Bounds: both edges of every rollcage histogram bin used in the run.",
    );
    let bounds = bucket_bounds(m.samples);
    let texts: Vec<String> = bounds.iter().map(|&b| bound_text(b)).collect();
    let labels = version_labels(m);
    let t = times(m);
    for (v, lab) in labels.iter().enumerate() {
        // Counts per bucket between bounds (index k: at most bounds[k]), over time.
        let mut below = vec![0u64; bounds.len()];
        let mut total = 0u64;
        let mut sum_micros = 0u128;
        let cohorts = std::iter::once(None).chain(m.samples.iter().map(|s| Some(&s.cohorts[v])));
        for (c, at) in cohorts.zip(&t) {
            if let Some(c) = c {
                for (i, count) in c.latency.bins() {
                    let (_, hi) = bucket_range(i);
                    let k = bounds.partition_point(|&b| b < 2 * hi + 1);
                    below[k] += count;
                }
                total += c.latency.total();
                sum_micros += c.latency.sum_micros();
            }
            let ts = time_text(*at);
            let mut cum = 0u64;
            for (k, le) in texts.iter().enumerate() {
                cum += below[k];
                let _ = writeln!(out, "{name}_bucket{{{lab},le=\"{le}\"}} {cum} {ts}");
            }
            let _ = writeln!(out, "{name}_bucket{{{lab},le=\"+Inf\"}} {total} {ts}");
            let _ = writeln!(out, "{name}_count{{{lab}}} {total} {ts}");
            let _ = writeln!(
                out,
                "{name}_sum{{{lab}}} {}.{:06} {ts}",
                sum_micros / 1_000_000,
                sum_micros % 1_000_000
            );
        }
    }
}

/// Reads an RFC 3339 time (`2026-01-01T00:00:00Z`, `2026-01-01T02:00:00.250+02:00`;
/// `t` and `z` in either case) as Unix milliseconds. At most millisecond precision, and
/// no earlier than 1970 (Prometheus' timestamps start there) nor later than 9999.
pub fn parse_epoch(s: &str) -> Result<i64, String> {
    let bad = |why: &str| {
        format!(
            "\"{}\" is not an RFC 3339 time such as {DEFAULT_EPOCH}: {why}",
            s.escape_debug()
        )
    };
    let t = sim_core::rfc3339::parse(s).map_err(|why| bad(&why))?;
    if t.nanos % 1_000_000 != 0 {
        return Err(bad(
            "finer than a millisecond (Prometheus keeps milliseconds)",
        ));
    }
    if t.secs < 0 {
        return Err(bad(
            "before 1970-01-01T00:00:00Z, where Prometheus' timestamps start",
        ));
    }
    Ok(t.secs * 1000 + i64::from(t.nanos / 1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::SimTime;
    use sim_core::hist::{SparseHistogram, bucket_of, bucket_value, quantile_from_bounds};
    use sim_core::metrics::MetricsStore;

    fn cohort(requests: u64, errors: u64, timeouts: u64, latencies: &[u64]) -> CohortSample {
        CohortSample {
            requests,
            errors,
            timeouts,
            slow: 1,
            latency: SparseHistogram::from_values(latencies.iter().copied()),
            memory_max_mb: 256.0,
            ready_instances: 3,
            conversions: 2,
            kpi_requests: requests - errors - timeouts,
            ..CohortSample::default()
        }
    }

    fn store() -> MetricsStore {
        let mut m = MetricsStore::default();
        m.push(
            SimTime::from_secs(15),
            [
                cohort(10, 1, 1, &[1000, 1001, 20_000, 20_000, 5]),
                CohortSample::default(),
            ],
        );
        m.push(
            SimTime::from_secs(30),
            [cohort(6, 0, 2, &[1000]), cohort(4, 1, 0, &[300_000])],
        );
        m
    }

    /// Three stable pods from t = 0; a canary pod created at 20.0000001 s, ready at
    /// 25.5 s.
    fn fleet() -> Vec<FleetPoint> {
        let c = |spec, pods, ready| CohortStatus {
            spec,
            pods,
            ready,
            available: ready,
            restarts: 0,
            terminating: 0,
        };
        vec![
            FleetPoint {
                at: SimTime::ZERO,
                cohorts: [c(3, 3, 3), c(0, 0, 0)],
            },
            FleetPoint {
                at: SimTime(20_000_000_100),
                cohorts: [c(3, 3, 3), c(1, 1, 0)],
            },
            FleetPoint {
                at: SimTime(25_500_000_000),
                cohorts: [c(3, 3, 3), c(1, 1, 1)],
            },
        ]
    }

    fn text(kpi: bool) -> String {
        let m = store();
        let names = SeriesNames::default();
        let fleet = fleet();
        let input = Input {
            names: &names,
            service: "web",
            epoch_ms: parse_epoch(DEFAULT_EPOCH).unwrap(),
            samples: m.samples(),
            kpi,
            fleet: &fleet,
        };
        String::from_utf8(to_bytes(&input)).unwrap()
    }

    #[test]
    fn epochs_read_as_rfc3339() {
        assert_eq!(parse_epoch("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_epoch(DEFAULT_EPOCH), Ok(1_767_225_600_000));
        assert_eq!(
            parse_epoch("2026-01-01T02:00:00.25+02:00"),
            Ok(1_767_225_600_250)
        );
        assert_eq!(parse_epoch("2024-02-29t12:00:00z"), Ok(1_709_208_000_000));
        for (bad, why) in [
            ("2026-01-01", "at position 11"),
            ("2026-01-01X00:00:00Z", "at position 11"),
            ("2025-02-29T00:00:00Z", "is not a date"),
            ("2026-01-01T24:00:00Z", "is not a time of day"),
            ("2026-01-01T00:00:00", "expected Z or an offset"),
            ("2026-01-01T00:00:00+0200", "expected Z or an offset"),
            ("2026-01-01T00:00:00.0001Z", "finer than a millisecond"),
            ("1969-12-31T23:59:59Z", "before 1970"),
            ("now", "too short"),
        ] {
            let e = parse_epoch(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert_eq!(
            parse_epoch("2026-01-01T00:00:00.500000Z"),
            Ok(1_767_225_600_500)
        );
    }

    #[test]
    fn bounds_are_both_edges_of_every_bin_used_in_seconds() {
        let m = store();
        let b = bucket_bounds(m.samples());
        // Bins of 5, 1000, 1001 (one bin of width 8 at 1000?), 20 000, 300 000 µs.
        let bins = [5u64, 1000, 20_000, 300_000].map(bucket_of);
        assert_eq!(bucket_of(1000), bucket_of(1001));
        assert_eq!(b.len(), 2 * bins.len());
        for (k, i) in bins.iter().enumerate() {
            let (lo, hi) = bucket_range(*i);
            assert_eq!((b[2 * k], b[2 * k + 1]), (2 * lo - 1, 2 * hi + 1));
            // The documented recovery: the midpoint of the two bounds.
            let mid = (bound_text(b[2 * k]).parse::<f64>().unwrap()
                + bound_text(b[2 * k + 1]).parse::<f64>().unwrap())
                / 2.0
                * 1e6;
            assert!(
                (mid - bucket_value(*i)).abs() <= 1e-9 * bucket_value(*i),
                "{mid}"
            );
        }
        assert_eq!(bound_text(9), "0.0000045");
        assert_eq!(bound_text(2 * 20_479 + 1), "0.0204795");
        assert_eq!(bound_text(2_000_001), "1.0000005");
    }

    /// The bin of 0 µs has its upper edge only (half a µs, `le="0.0000005"`); the bin
    /// of 1 µs both of its edges, the lower one shared with that upper edge.
    #[test]
    fn no_bound_is_written_below_zero() {
        let mut m = MetricsStore::default();
        m.push(
            SimTime::from_secs(15),
            [cohort(2, 0, 0, &[0, 1]), CohortSample::default()],
        );
        let b = bucket_bounds(m.samples());
        assert_eq!(b, vec![1, 3]);
        assert_eq!(bound_text(b[0]), "0.0000005");
        let mut m = MetricsStore::default();
        m.push(
            SimTime::from_secs(15),
            [cohort(1, 0, 0, &[0]), CohortSample::default()],
        );
        assert_eq!(bucket_bounds(m.samples()), vec![1]);
    }

    #[test]
    fn a_known_run_is_written_with_its_counts() {
        let t = text(false);
        let has = |line: &str| assert!(t.lines().any(|l| l == line), "no line {line:?} in\n{t}");
        let stable = "service=\"web\",version=\"stable\",namespace=\"default\",app=\"web-primary\"";
        let canary = "service=\"web\",version=\"canary\",namespace=\"default\",app=\"web\"";
        has("# TYPE http_requests counter");
        has(
            "# HELP http_requests Requests answered or timed out, by status code (200 ok, 500 error, 504 timeout).",
        );
        has(&format!(
            "http_requests_total{{{stable},code=\"200\"}} 0 1767225600"
        ));
        has(&format!(
            "http_requests_total{{{stable},code=\"200\"}} 8 1767225615"
        ));
        has(&format!(
            "http_requests_total{{{stable},code=\"200\"}} 12 1767225630"
        ));
        has(&format!(
            "http_requests_total{{{stable},code=\"500\"}} 1 1767225630"
        ));
        has(&format!(
            "http_requests_total{{{stable},code=\"504\"}} 3 1767225630"
        ));
        has(&format!(
            "http_requests_total{{{canary},code=\"500\"}} 1 1767225630"
        ));
        has("# TYPE http_request_duration_seconds histogram");
        has("# UNIT http_request_duration_seconds seconds");
        has(&format!(
            "http_request_duration_seconds_bucket{{{stable},le=\"+Inf\"}} 6 1767225630"
        ));
        has(&format!(
            "http_request_duration_seconds_count{{{canary}}} 1 1767225630"
        ));
        has(&format!(
            "http_request_duration_seconds_sum{{{stable}}} 0.043006 1767225630"
        ));
        has(&format!(
            "http_request_duration_seconds_sum{{{canary}}} 0.300000 1767225630"
        ));
        // 1000 µs is bin [1000, 1007]: cumulative 1 + 5 µs's... at the upper edge.
        let (_, hi) = bucket_range(bucket_of(1000));
        let le = bound_text(2 * hi + 1);
        has(&format!(
            "http_request_duration_seconds_bucket{{{stable},le=\"{le}\"}} 3 1767225615"
        ));
        has(&format!(
            "http_request_duration_seconds_bucket{{{stable},le=\"{le}\"}} 4 1767225630"
        ));
        has(&format!(
            "kube_pod_container_status_restarts_total{{{stable}}} 0 1767225630"
        ));
        has("# TYPE kube_replicaset_status_ready_replicas gauge");
        has(&format!(
            "kube_replicaset_status_ready_replicas{{{stable}}} 3 1767225615"
        ));
        has(&format!(
            "kube_replicaset_status_ready_replicas{{{canary}}} 0 1767225615"
        ));
        // The fleet at every change as well as every scrape: the canary pod created at
        // 20.0000001 s is written at 20.001 s (rounded up), ready at 25.5 s.
        let canary_series = |name: &str| -> Vec<String> {
            t.lines()
                .filter(|l| l.starts_with(&format!("{name}{{{canary}}}")))
                .map(|l| l[name.len() + canary.len() + 3..].to_string())
                .collect()
        };
        assert_eq!(
            canary_series("kube_replicaset_status_replicas"),
            [
                "0 1767225600",
                "0 1767225615",
                "1 1767225620.001",
                "1 1767225625.500",
                "1 1767225630"
            ]
        );
        assert_eq!(
            canary_series("kube_replicaset_status_available_replicas"),
            [
                "0 1767225600",
                "0 1767225615",
                "0 1767225620.001",
                "1 1767225625.500",
                "1 1767225630"
            ]
        );
        has(&format!(
            "kube_replicaset_spec_replicas{{{stable}}} 3 1767225630"
        ));
        has("# UNIT container_memory_working_set_bytes bytes");
        has(&format!(
            "container_memory_working_set_bytes{{{stable}}} 268435456 1767225615"
        ));
        // No canary pod at 15 s: no memory sample.
        assert!(!t.contains(&format!(
            "container_memory_working_set_bytes{{{canary}}} 268435456 1767225615"
        )));
        has(&format!(
            "container_memory_working_set_bytes{{{canary}}} 268435456 1767225630"
        ));
        has(&format!("slo_events_total{{{stable}}} 16 1767225630"));
        // bad = errors + timeouts + slow (1 each scrape here) + sessions lost.
        has(&format!("slo_bad_events_total{{{stable}}} 6 1767225630"));
        has(&format!("slo_bad_events_total{{{canary}}} 2 1767225630"));
        assert!(!t.contains("business_conversions"));
        assert!(t.ends_with("\n# EOF\n"));
        let k = text(true);
        assert!(k.contains(&format!(
            "business_conversions_total{{{stable}}} 4 1767225630"
        )));
    }

    #[test]
    fn quantiles_come_back_from_the_cumulative_buckets() {
        // The histogram of the first scrape's stable side, as Prometheus holds it.
        let m = store();
        let t = text(false);
        let stable = "service=\"web\",version=\"stable\",namespace=\"default\",app=\"web-primary\"";
        let prefix = format!("http_request_duration_seconds_bucket{{{stable},le=\"");
        let buckets: Vec<(f64, f64)> = t
            .lines()
            .filter(|l| l.starts_with(&prefix) && l.ends_with(" 1767225615"))
            .map(|l| {
                let rest = &l[prefix.len()..];
                let (le, tail) = rest.split_once('"').unwrap();
                let count = tail
                    .trim_start_matches('}')
                    .split_whitespace()
                    .next()
                    .unwrap();
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap()
                };
                (le, count.parse().unwrap())
            })
            .collect();
        let h = &m.samples()[0].cohorts[0].latency;
        for q in [0.0, 0.2, 0.5, 0.6, 0.9, 0.99, 1.0] {
            let want = h.quantile(q).unwrap();
            let got = quantile_from_bounds(&buckets, q).unwrap();
            assert!((got - want).abs() <= 1e-9 * want, "q{q}: {got} vs {want}");
        }
        assert_eq!(quantile_from_bounds(&[(f64::INFINITY, 0.0)], 0.5), None);
    }

    #[test]
    fn bytes_are_deterministic_and_counters_need_the_total_suffix() {
        assert_eq!(text(true), text(true));
        let mut out = String::new();
        header(&mut out, "api_hits", "counter", None, "h");
        assert_eq!(out, "# TYPE api_hits unknown\n# HELP api_hits h\n");
        let mut out = String::new();
        header(&mut out, "mem", "gauge", Some("bytes"), "h");
        assert!(!out.contains("UNIT"));
        assert_eq!(time_text(1_500), "1.500");
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
