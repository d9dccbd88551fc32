//! The fleet as a backtest reads it from Prometheus: kube-state-metrics' ReplicaSet
//! status gauges (pods, ready, available and terminating pods) by version, as raw samples, so a
//! backtest (`backtest::Fleet::Observed`) sees the pods as they were, at the moments
//! the samples say they changed.
//!
//! Each gauge is asked for as a range selector evaluated once at the range's end
//! (`/api/v1/query`, `X{service="S"}[Ns]`), which answers every raw sample with the
//! timestamp it was written at: a grid (`query_range`) would move every change to the
//! next step. `metrics.om` writes these gauges at every change of the fleet, rounded
//! up to the millisecond, so a backtest of a simulated run follows its pods to the
//! millisecond; a real cluster's kube-state-metrics is scraped, so there the changes
//! are seen at the scrapes, as a controller watching the same series would see them.
//!
//! A version may have several series (one per ReplicaSet, or per pod-template hash):
//! at each time a sample was written, a version's count is the sum of each of its
//! series' latest sample no older than [`LOOKBACK_MS`] (Prometheus' look-back for an
//! instant selector). Restarts are not read: the fleet's restart counts stay 0, so a
//! batched policy's restart rule is judged by its gates' window only (said in
//! docs/exports.md).

use std::collections::BTreeMap;

use serde::Deserialize;
use sim_core::record::FleetPoint;
use sim_core::{CohortStatus, SimTime, Version};

use crate::live::{LiveError, MAX_VALUES};
use crate::series::SeriesNames;

/// Prometheus' default look-back of an instant selector: a sample older than this is
/// stale.
pub const LOOKBACK_MS: i64 = 5 * 60 * 1000;

/// The keys of the fleet's answers, one query each, in this order.
pub const KEYS: [&str; 4] = ["pods", "ready_pods", "available_pods", "terminating_pods"];

/// One query per key of [`KEYS`]: every raw sample of the service's gauge in the
/// `seconds` before the moment the query is evaluated at.
pub fn queries(names: &SeriesNames, service: &str, seconds: u64) -> Vec<(&'static str, String)> {
    let sel = format!(
        "{}=\"{}\"",
        names.labels.service,
        crate::live_query::escape(service)
    );
    [
        &names.pods,
        &names.ready_pods,
        &names.available_pods,
        &names.terminating_pods,
    ]
    .iter()
    .zip(KEYS)
    .map(|(metric, key)| (key, format!("{metric}{{{sel}}}[{seconds}s]")))
    .collect()
}

#[derive(Deserialize)]
struct Answer {
    data: Data,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: String,
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    metric: BTreeMap<String, String>,
    values: Vec<(f64, String)>,
}

/// Reads the answers (`{"pods": <answer>, "ready_pods": ..., "available_pods": ...,
/// "terminating_pods": ...}`,
/// as `runner::prometheus::Client::fetch` joins them) into the fleet's points in time
/// order, each only where the status changed. `version_label` is the label telling
/// the versions apart. An answer with no series gives no points: no fleet series.
pub fn from_prometheus(
    source: &str,
    text: &str,
    version_label: &str,
) -> Result<Vec<FleetPoint>, LiveError> {
    let err = |location: String, reason: String| LiveError {
        file: source.to_string(),
        location,
        reason,
    };
    let doc: BTreeMap<String, Answer> =
        serde_json::from_str(text).map_err(|e| err(String::new(), e.to_string()))?;
    // Per key and version: (time in ms, series index, value), then summed.
    let mut changes: Vec<(i64, usize, Version, usize, u32)> = Vec::new();
    let mut values = 0usize;
    for (k, key) in KEYS.iter().enumerate() {
        let Some(answer) = doc.get(*key) else {
            return Err(err((*key).into(), "missing".into()));
        };
        if answer.data.result_type != "matrix" {
            return Err(err(
                format!("{key}.data.resultType"),
                format!(
                    "expected \"matrix\" (a range selector's samples), found {:?}",
                    answer.data.result_type
                ),
            ));
        }
        for (si, s) in answer.data.result.iter().enumerate() {
            let at = format!("{key}.data.result[{si}]");
            let Some(label) = s.metric.get(version_label) else {
                return Err(err(
                    format!("{at}.metric"),
                    format!("no `{version_label}` label: which version's pods is this?"),
                ));
            };
            let v = crate::live::version(label).map(|(v, _)| v).ok_or_else(|| {
                err(
                    format!("{at}.metric.{version_label}"),
                    crate::live::unknown_version(label),
                )
            })?;
            values += s.values.len();
            if values > MAX_VALUES {
                return Err(err(
                    (*key).into(),
                    format!("more than {MAX_VALUES} values in the answers"),
                ));
            }
            for (pi, (t, x)) in s.values.iter().enumerate() {
                let bad = |why: &str| err(format!("{at}.values[{pi}]"), why.to_string());
                if !t.is_finite() || *t < 0.0 {
                    return Err(bad("the time is not a Unix time"));
                }
                let n = match x.parse::<f64>() {
                    Ok(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 1e9 => n as u32,
                    _ => return Err(bad(&format!("{x:?} is not a pod count"))),
                };
                let ms = (t * 1000.0).round() as i64;
                changes.push((ms, k, v, si, n));
            }
        }
    }
    changes.sort_by_key(|&(ms, k, v, si, _)| (ms, k, v.index(), si));
    // The latest sample of each (key, version, series), summed per (key, version).
    let mut latest: BTreeMap<(usize, usize, usize), (i64, u32)> = BTreeMap::new();
    let mut points: Vec<FleetPoint> = Vec::new();
    let mut i = 0;
    while i < changes.len() {
        let ms = changes[i].0;
        while i < changes.len() && changes[i].0 == ms {
            let (_, k, v, si, n) = changes[i];
            latest.insert((k, v.index(), si), (ms, n));
            i += 1;
        }
        let mut cohorts = [CohortStatus::default(); 2];
        for (&(k, v, _), &(t, n)) in &latest {
            if ms - t > LOOKBACK_MS {
                continue;
            }
            let c = &mut cohorts[v];
            match k {
                0 => c.pods += n,
                1 => c.ready += n,
                2 => c.available += n,
                _ => c.terminating += n,
            }
        }
        if points.last().is_none_or(|p| p.cohorts != cohorts) {
            points.push(FleetPoint {
                at: SimTime(ms as u64 * 1_000_000),
                cohorts,
            });
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(series: &[(&str, &[(f64, &str)])]) -> String {
        let result: Vec<String> = series
            .iter()
            .map(|(v, pts)| {
                let values: Vec<String> =
                    pts.iter().map(|(t, x)| format!("[{t},\"{x}\"]")).collect();
                format!(
                    "{{\"metric\":{{\"version\":\"{v}\"}},\"values\":[{}]}}",
                    values.join(",")
                )
            })
            .collect();
        format!(
            "{{\"status\":\"success\",\"data\":{{\"resultType\":\"matrix\",\"result\":[{}]}}}}",
            result.join(",")
        )
    }

    #[test]
    fn changes_are_read_to_the_millisecond_and_summed_per_version() {
        let pods = answer(&[
            ("stable", &[(100.0, "3"), (163.482, "2")]),
            ("canary", &[(100.0, "0"), (163.482, "1")]),
            ("canary", &[(163.482, "1")]),
        ]);
        let ready = answer(&[("stable", &[(100.0, "3")]), ("canary", &[(170.001, "2")])]);
        let avail = answer(&[("stable", &[(100.0, "3")])]);
        let text = format!(
            "{{\"pods\":{pods},\"ready_pods\":{ready},\"available_pods\":{avail},\"terminating_pods\":{avail}}}"
        );
        let p = from_prometheus("srv", &text, "version").unwrap();
        assert_eq!(p.len(), 3, "{p:#?}");
        assert_eq!(p[0].at, SimTime::from_secs(100));
        assert_eq!(p[0].cohorts[0].pods, 3);
        assert_eq!(p[1].at, SimTime(163_482_000_000));
        assert_eq!((p[1].cohorts[0].pods, p[1].cohorts[1].pods), (2, 2));
        assert_eq!(p[2].at, SimTime(170_001_000_000));
        assert_eq!(p[2].cohorts[1].ready, 2);
    }

    #[test]
    fn one_raw_range_query_per_gauge_with_the_service_escaped() {
        let q = queries(&SeriesNames::default(), "a\"b", 900);
        let keys: Vec<&str> = q.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, KEYS);
        assert_eq!(
            q[0].1,
            "kube_replicaset_status_replicas{service=\"a\\\"b\"}[900s]"
        );
    }

    #[test]
    fn a_sample_older_than_the_lookback_is_stale() {
        let pods = answer(&[
            ("stable", &[(0.0, "3")]),
            ("canary", &[(300.0, "1"), (300.001, "1")]),
        ]);
        let empty = answer(&[]);
        let text = format!(
            "{{\"pods\":{pods},\"ready_pods\":{empty},\"available_pods\":{empty},\"terminating_pods\":{empty}}}"
        );
        let p = from_prometheus("srv", &text, "version").unwrap();
        // At 300 s the stable sample is exactly 5 min old: still counted; 1 ms later not.
        assert_eq!(p[1].at, SimTime::from_secs(300));
        assert_eq!(p[1].cohorts[0].pods, 3);
        assert_eq!(p[2].cohorts[0].pods, 0);
    }

    #[test]
    fn bad_answers_name_the_place() {
        let empty = answer(&[]);
        for (pods, needle) in [
            (
                answer(&[("blue", &[(1.0, "1")])]),
                "pods.data.result[0].metric.version",
            ),
            (
                answer(&[("stable", &[(1.0, "1.5")])]),
                "pods.data.result[0].values[0]: \"1.5\" is not a pod count",
            ),
            (answer(&[("stable", &[(1.0, "NaN")])]), "is not a pod count"),
            (
                r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#.into(),
                "pods.data.resultType",
            ),
        ] {
            let text = format!(
                "{{\"pods\":{pods},\"ready_pods\":{empty},\"available_pods\":{empty},\"terminating_pods\":{empty}}}"
            );
            let e = from_prometheus("srv", &text, "version")
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{e}");
        }
        let e = from_prometheus("srv", "{}", "version")
            .unwrap_err()
            .to_string();
        assert!(e.contains("pods: missing"), "{e}");
    }
}
