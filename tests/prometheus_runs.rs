//! Simulated runs as Prometheus series: the `metrics.om` of a good release, a memory
//! leak and an error regression, backfilled with promtool and served by one
//! Prometheus, answer exactly the simulator's per-interval counts at every scrape
//! (requests by version and status code, the SLO's events and bad events) and its
//! latency quantiles; the SLO rules exported from each run pass `promtool check
//! rules`, and the `promtool test rules` file generated from each passes (the memory
//! leak's pager pages, the good release's does not), while a test expecting the page
//! one scrape early is rejected by promtool.
//!
//! Needs `prometheus` and `promtool` (see `tests/support/prometheus.rs`). One server
//! serves the file; it is killed when its guard drops, whatever happens.

#[path = "support/prometheus.rs"]
mod prom;

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{cli, run_ok, stderr, temp_dir};
use reports::artifacts::metrics_om;
use reports::artifacts::timeline_csv::{self, TimelineRecord};
use sim_core::hist::quantile_from_bounds;

const HORIZON: &str = "scenario.run.horizon_seconds=900";

/// (scenario, policy, epoch): a day apart, so their blocks never overlap.
const RUNS: [(&str, &str, &str); 3] = [
    ("good-release", "reference", "2026-01-01T00:00:00Z"),
    ("memory-leak", "k8s-default", "2026-01-02T00:00:00Z"),
    ("error-regression", "gated-10pct", "2026-01-03T00:00:00Z"),
];

struct Run {
    scenario: &'static str,
    policy: &'static str,
    dir: PathBuf,
    epoch_s: i64,
    timeline: Vec<TimelineRecord>,
}

fn simulate(work: &Path) -> Vec<Run> {
    RUNS.iter()
        .map(|&(scenario, policy, epoch)| {
            let dir = work.join(format!("{scenario}-{policy}"));
            let o = cli(&[
                "run",
                "--scenario",
                scenario,
                "--policy",
                policy,
                "--set",
                HORIZON,
                "--epoch",
                epoch,
                "--out",
                dir.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            let timeline = timeline_csv::from_bytes(
                &std::fs::read(dir.join(timeline_csv::FILE_NAME)).unwrap(),
            )
            .unwrap();
            Run {
                scenario,
                policy,
                dir,
                epoch_s: metrics_om::parse_epoch(epoch).unwrap() / 1000,
                timeline,
            }
        })
        .collect()
}

/// `{labels}` → value of each element of a vector answer.
fn by_labels(a: &prom::Answer) -> BTreeMap<String, f64> {
    match a {
        prom::Answer::Vector(v) => v.iter().cloned().collect(),
        prom::Answer::Scalar(_) => panic!("a scalar"),
    }
}

/// The runs' counts, quantiles and pages as Prometheus and promtool see them.
#[test]
fn simulated_runs_are_prometheus_series_and_their_pages_promtool_tests() {
    let Some(bins) = prom::binaries("simulated_runs_are_prometheus_series") else {
        return;
    };
    let work = temp_dir("prometheus-runs");
    let runs = simulate(&work);
    let files: Vec<PathBuf> = runs
        .iter()
        .map(|r| r.dir.join(metrics_om::FILE_NAME))
        .collect();
    let server = prom::Prometheus::start_files(&bins, &files, runs[0].epoch_s, &work.join("prom"));

    let mut problems = Vec::new();
    let mut compared = 0;
    for run in &runs {
        let sel = format!("service=\"{}\"", run.policy);
        let requests = format!(
            "sum by (version, code) (http_requests_total{{{sel}}} - http_requests_total{{{sel}}} offset 15s)"
        );
        let slo = format!(
            "sum(slo_events_total{{{sel}}} - slo_events_total{{{sel}}} offset 15s) or vector(-1)"
        );
        let bad = format!(
            "sum(slo_bad_events_total{{{sel}}} - slo_bad_events_total{{{sel}}} offset 15s)"
        );
        let buckets = format!(
            "sum by (le) (http_request_duration_seconds_bucket{{{sel}}} - http_request_duration_seconds_bucket{{{sel}}} offset 15s)"
        );
        for r in &run.timeline {
            assert!(r.scraped, "these scenarios lose no scrape");
            let t = run.epoch_s as f64 + r.time_s;
            let at = format!("{} {} at t={}", run.scenario, run.policy, r.time_s);
            let got = by_labels(&server.query(&requests, t));
            let want = [
                (
                    "stable",
                    r.baseline_requests,
                    r.baseline_errors,
                    r.baseline_timeouts,
                ),
                (
                    "canary",
                    r.candidate_requests,
                    r.candidate_errors,
                    r.candidate_timeouts,
                ),
            ];
            for (v, req, err, tmo) in want {
                for (code, n) in [("200", req - err - tmo), ("500", err), ("504", tmo)] {
                    let key = format!("code={code},version={v}");
                    compared += 1;
                    if got.get(&key) != Some(&(n as f64)) {
                        problems.push(format!("{at}: {key}: {:?}, simulated {n}", got.get(&key)));
                    }
                }
            }
            for (q, n) in [(&slo, r.slo_events), (&bad, r.slo_bad_events)] {
                compared += 1;
                let v = server.query(q, t).single();
                if v != Some(n as f64) {
                    problems.push(format!("{at}: {q}: {v:?}, simulated {n}"));
                }
            }
            // The interval's p50/p95/p99 of both versions, from the buckets, as
            // docs/exports.md says to recover them: timeline.csv has them to 3 decimals.
            let mut b: Vec<(f64, f64)> = by_labels(&server.query(&buckets, t))
                .into_iter()
                .map(|(l, c)| {
                    let le = l.strip_prefix("le=").unwrap();
                    (
                        if le == "+Inf" {
                            f64::INFINITY
                        } else {
                            le.parse().unwrap()
                        },
                        c,
                    )
                })
                .collect();
            b.sort_by(|x, y| x.0.total_cmp(&y.0));
            for (q, want) in [
                (0.5, r.latency_p50_ms),
                (0.95, r.latency_p95_ms),
                (0.99, r.latency_p99_ms),
            ] {
                compared += 1;
                let got = quantile_from_bounds(&b, q).map(|us| us / 1000.0);
                let ok = match (got, want) {
                    (Some(g), Some(w)) => (g - w).abs() <= 0.0005 + 1e-9 * w,
                    (None, None) => true,
                    _ => false,
                };
                if !ok {
                    problems.push(format!("{at}: p{q}: {got:?} ms, simulated {want:?}"));
                }
            }
        }
    }
    drop(server);
    assert!(
        problems.is_empty(),
        "{} of {compared} values differ; the first:\n{}",
        problems.len(),
        problems[..problems.len().min(20)].join("\n")
    );
    assert_eq!(
        compared,
        3 * 60 * 11,
        "3 runs of 60 scrapes, 11 values each"
    );

    // Rules and tests, each run's pair in its own directory.
    let mut paged = 0;
    for run in &runs {
        let d = run.dir.to_str().unwrap();
        let rules = run_ok(&["export", "--run", d, "--to", "prometheus-rules"]);
        let test = run_ok(&[
            "export",
            "--run",
            d,
            "--to",
            "promtool-test",
            "--rule-file",
            "slo-rules.yaml",
        ]);
        std::fs::write(run.dir.join("slo-rules.yaml"), &rules).unwrap();
        std::fs::write(run.dir.join("slo-test.yaml"), &test).unwrap();
        let (ok, out) =
            prom::Prometheus::promtool(&bins.1, &run.dir, &["check", "rules", "slo-rules.yaml"]);
        assert!(ok, "{}: promtool check rules: {out}", run.scenario);
        let (ok, out) =
            prom::Prometheus::promtool(&bins.1, &run.dir, &["test", "rules", "slo-test.yaml"]);
        assert!(ok, "{}: promtool test rules: {out}\n{test}", run.scenario);
        let events = std::fs::read_to_string(run.dir.join("events.csv")).unwrap();
        let pager = events.lines().any(|l| l.contains(",pager,"));
        assert_eq!(test.contains("exp_labels"), pager, "{}", run.scenario);
        if !pager {
            continue;
        }
        paged += 1;
        // The page expected one scrape early: promtool rejects it.
        let doc: serde_norway::Value = serde_norway::from_str(&test).unwrap();
        let cases = doc["tests"][0]["alert_rule_test"].as_sequence().unwrap();
        let firing = cases
            .iter()
            .find(|c| !c["exp_alerts"].as_sequence().unwrap().is_empty())
            .unwrap()["eval_time"]
            .as_str()
            .unwrap()
            .to_string();
        let quiet_before = cases[cases.len() - 2]["eval_time"]
            .as_str()
            .unwrap()
            .to_string();
        let early = test.replace(
            &format!(
                "eval_time: \"{firing}\"\n    alertname: SloBurnRate\n    exp_alerts:\n    - "
            ),
            &format!(
                "eval_time: \"{quiet_before}\"\n    alertname: SloBurnRate\n    exp_alerts:\n    - "
            ),
        );
        assert_ne!(early, test);
        std::fs::write(run.dir.join("slo-test-early.yaml"), &early).unwrap();
        let (ok, out) = prom::Prometheus::promtool(
            &bins.1,
            &run.dir,
            &["test", "rules", "slo-test-early.yaml"],
        );
        assert!(
            !ok,
            "{}: a page one scrape early passed: {out}",
            run.scenario
        );
        assert!(out.contains("FAILED"), "{out}");
    }
    assert!(paged >= 1, "no run paged");
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn bad_runs_and_epochs_are_refused_naming_the_file_or_flag() {
    let work = temp_dir("prometheus-runs-bad");
    let missing = work.join("nothing");
    let o = cli(&[
        "export",
        "--run",
        missing.to_str().unwrap(),
        "--to",
        "promtool-test",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("run.json: missing"), "{}", stderr(&o));
    let o = cli(&["run", "--epoch", "yesterday", "--set", HORIZON]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("--epoch") && e.contains("RFC 3339"), "{e}");
    let o = cli(&["export", "--scenario", "reference", "--to", "promtool-test"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pass --run DIR"), "{}", stderr(&o));
    let o = cli(&["export", "--to", "argo"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pass --policy"), "{}", stderr(&o));
    // A run directory whose timeline is broken names the file.
    let dir = work.join("run");
    let o = cli(&[
        "run",
        "--set",
        "scenario.run.horizon_seconds=120",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(dir.join("timeline.csv"), "time_s\nabc\n").unwrap();
    let o = cli(&[
        "export",
        "--run",
        dir.to_str().unwrap(),
        "--to",
        "promtool-test",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("timeline.csv: "), "{}", stderr(&o));
    std::fs::remove_dir_all(&work).unwrap();
}
