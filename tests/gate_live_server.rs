//! `rollcage gate --prometheus` against a real Prometheus giving bad answers: the
//! real-server half of `tests/gate_live.rs`'s stub cases. Each kind of bad answer is
//! made honestly, by what gate sends or by how the server is started, and must give the
//! same exit code and message (or the documented verdict) as the stub's:
//!
//! - a path the server does not serve: its router's plain-text HTTP 404, exit 2, not
//!   retried;
//! - a query over the server's `--query.max-samples`: HTTP 422 with a `"status":
//!   "error"` body (`execution`), exit 2, not retried; a real Prometheus never sends
//!   an error with HTTP 200, as the stub's "status error with 200" case does;
//! - a server whose `--query.timeout` is 0: HTTP 503 (`timeout`), exit 2, retried;
//! - a `--service` the server holds no series of: empty results, each gate's `on_empty`
//!   decides (pause for `gated-10pct`, a failed check for `flagger-canary`); a canary
//!   that never failed a request has no 5xx series, and its error ratio is 0;
//! - a `NaN` sample in a backfilled series: refused, exit 2, as in a file;
//! - a stopped server (SIGSTOP: the kernel still accepts the connection, nothing
//!   answers): the timeout message, exit 2, after the retries;
//! - a fractional `--timeout` the server must accept (it read `1.5s` as bad_data once);
//! - the longest range gate lets through is one the server answers.
//!
//! A refused connection is already real in `tests/gate_live.rs` (a closed port).
//! Needs `prometheus` and `promtool` (see `tests/support/prometheus.rs`); each test
//! starts one server on a small hand-written series set, killed when its guard drops.

#[path = "support/prometheus.rs"]
mod prom;

mod common;

use std::fmt::Write as _;
use std::process::Output;

use common::{cli, stderr, stdout};
use policies::series::SeriesNames;
use serde_json::Value;

/// Unix time of the first sample; the last is 40 steps of 15 s later, the moment
/// judged.
const EPOCH: i64 = 1_700_000_000;
const STEPS: i64 = 40;
const AT: &str = "1700000600";

/// The canary's sample that is NaN in the `broken` service: step 20.
const NAN_STEP: i64 = 20;

/// One service's series, cumulative from 0 at `EPOCH` (so the first step's `offset`
/// side exists): per 15 s step the canary answers 450 requests, `canary_errors` of them
/// with a 500, the stable side 4000 and none; latency buckets at 50 and 100 ms; memory
/// at 300 MiB. With `nan`, the canary's 200 counter is NaN at `NAN_STEP`. A canary
/// without errors has no 500 series at all, as client libraries create it at the first
/// error.
struct Service {
    name: &'static str,
    canary_errors: u64,
    nan: bool,
}

const SERVICES: [Service; 3] = [
    Service {
        name: "checkout",
        canary_errors: 1,
        nan: false,
    },
    Service {
        name: "noerrors",
        canary_errors: 0,
        nan: false,
    },
    Service {
        name: "broken",
        canary_errors: 1,
        nan: true,
    },
];

/// The OpenMetrics text of `SERVICES`, each family in one block as OpenMetrics wants.
fn openmetrics(names: &SeriesNames) -> String {
    let l = &names.labels;
    let times = || (0..=STEPS).map(|k| (k, EPOCH + 15 * k));
    // (version, requests per step, errors per step, buckets per step at 0.05 and 0.1).
    let versions = |s: &Service| {
        [
            ("canary", 450u64, s.canary_errors, [400u64, 440]),
            ("stable", 4000, 0, [3600, 3900]),
        ]
    };
    let mut out = String::new();
    let family = names.requests.trim_end_matches("_total");
    let _ = writeln!(out, "# TYPE {family} counter");
    for s in &SERVICES {
        for (v, requests, errors, _) in versions(s) {
            let lab = format!("{}=\"{}\",{}=\"{v}\"", l.service, s.name, l.version);
            for (code, per_step) in [("200", requests - errors), ("500", errors)] {
                if per_step == 0 {
                    continue;
                }
                for (k, t) in times() {
                    let value = if s.nan && v == "canary" && code == "200" && k == NAN_STEP {
                        "NaN".to_string()
                    } else {
                        (per_step * k as u64).to_string()
                    };
                    let _ = writeln!(
                        out,
                        "{}{{{lab},{}=\"{code}\"}} {value} {t}",
                        names.requests, l.code
                    );
                }
            }
        }
    }
    let h = &names.latency_histogram;
    let _ = writeln!(out, "# TYPE {h} histogram");
    for s in &SERVICES {
        for (v, requests, _, buckets) in versions(s) {
            let lab = format!("{}=\"{}\",{}=\"{v}\"", l.service, s.name, l.version);
            for (le, per_step) in [
                ("0.05", buckets[0]),
                ("0.1", buckets[1]),
                ("+Inf", requests),
            ] {
                for (k, t) in times() {
                    let n = per_step * k as u64;
                    let _ = writeln!(out, "{h}_bucket{{{lab},le=\"{le}\"}} {n} {t}");
                }
            }
            for (k, t) in times() {
                let n = requests * k as u64;
                let _ = writeln!(out, "{h}_count{{{lab}}} {n} {t}");
                let _ = writeln!(out, "{h}_sum{{{lab}}} {} {t}", n as f64 * 0.04);
            }
        }
    }
    let _ = writeln!(out, "# TYPE {} gauge", names.memory);
    for s in &SERVICES {
        for (v, ..) in versions(s) {
            let lab = format!("{}=\"{}\",{}=\"{v}\"", l.service, s.name, l.version);
            for (_, t) in times() {
                let _ = writeln!(out, "{}{{{lab}}} {} {t}", names.memory, 300 * 1_048_576);
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

/// A server holding `SERVICES`, started with `flags`.
fn server(
    bins: &(std::path::PathBuf, std::path::PathBuf),
    test: &str,
    flags: &[&str],
) -> prom::Prometheus {
    let dir = common::temp_dir(test);
    prom::Prometheus::start_with(
        bins,
        &openmetrics(&SeriesNames::default()),
        EPOCH,
        &dir.join("prom"),
        flags,
    )
}

/// `gate --policy POLICY --prometheus URL --service SERVICE --at AT` and `extra`.
fn gate(policy: &str, url: &str, service: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "gate",
        "--policy",
        policy,
        "--prometheus",
        url,
        "--service",
        service,
        "--at",
        AT,
    ];
    args.extend_from_slice(extra);
    cli(&args)
}

/// The events of a `--json` answer.
fn events(o: &Output) -> Vec<Value> {
    let doc: Value = serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)));
    doc["events"].as_array().unwrap().clone()
}

/// Exit 2 saying `needle`; the message.
fn exit_2(o: &Output, needle: &str) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "missing {needle:?} in {err}");
    err
}

/// Exit 2 naming the address and saying `needle`; the message.
fn refused(o: &Output, url: &str, needle: &str) -> String {
    let err = exit_2(o, needle);
    assert!(err.contains(&format!("{url}:")), "the address: {err}");
    err
}

#[test]
fn a_real_server_s_empty_nan_wrong_path_and_stopped_answers_give_the_stub_s_verdicts() {
    let Some(bins) = prom::binaries("gate_live_server") else {
        return;
    };
    let mut p = server(&bins, "gate-live-server-answers", &[]);
    let url = p.url();

    // The healthy service passes: what the server holds is what the gates read, so the
    // cases below fail for their own reason only.
    let o = gate("gated-10pct", &url, "checkout", &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let healthy = events(&o);
    assert_eq!(healthy.len(), 3, "{healthy:?}");
    for e in &healthy {
        assert_eq!(e["verdict"], "pass", "{e}");
    }
    let ratio = |ev: &[Value]| {
        ev.iter()
            .find(|e| e["subject"] == "error-ratio")
            .and_then(|e| e["value"].as_f64())
    };
    // 1 error in 450 requests per step, over the window.
    let r = ratio(&healthy).expect("an error ratio");
    assert!((r - 1.0 / 450.0).abs() < 1e-12, "{r}");
    // Seven queries, each answered once.
    assert_eq!(p.query_range_answers(200), 7);

    // A fractional --timeout is sent in a form the server reads (`1.5s` was HTTP 400,
    // bad_data: Prometheus's duration units take whole numbers only).
    let o = gate(
        "gated-10pct",
        &url,
        "checkout",
        &["--json", "--timeout", "1.5s"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(events(&o), healthy);

    // No 5xx series (a canary that never failed): the errors answer is empty beside
    // the requests, and the ratio is 0, a pass.
    let o = gate("gated-10pct", &url, "noerrors", &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(ratio(&events(&o)), Some(0.0));

    // A service the server has no series of: every answer an empty matrix. gated-10pct's
    // gates are inconclusive on no data (pause, exit 3); Flagger fails the check (exit 1).
    let o = gate("gated-10pct", &url, "nosuch", &["--json"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let empty = events(&o);
    assert_eq!(empty.len(), 3);
    for e in &empty {
        assert_eq!(e["verdict"], "inconclusive", "{e}");
        assert!(e["value"].is_null(), "{e}");
    }
    let o = gate("flagger-canary", &url, "nosuch", &["--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let flagger = events(&o);
    assert!(!flagger.is_empty());
    for e in &flagger {
        assert_eq!(e["verdict"], "fail", "{e}");
        assert!(e["value"].is_null(), "{e}");
    }

    // A NaN sample: the server passes it on, and gate refuses it as in a file, after
    // all seven queries were answered.
    let before = p.query_range_answers(200);
    let o = gate("gated-10pct", &url, "broken", &[]);
    let t = EPOCH + 15 * NAN_STEP;
    refused(
        &o,
        &url,
        &format!(
            "{{version=\"canary\"}}, values[{NAN_STEP}] (t={t}): requests NaN is not a number"
        ),
    );
    assert!(
        stderr(&o).contains("requests.data.result[0]"),
        "{}",
        stderr(&o)
    );
    assert_eq!(p.query_range_answers(200) - before, 7);

    // A path the server does not serve: its router's plain-text 404, not retried.
    let wrong = format!("{url}/prometheus");
    let o = gate("gated-10pct", &wrong, "checkout", &[]);
    let err = refused(
        &o,
        &wrong,
        "query \"requests\": HTTP 404: \"404 page not found\" (no Prometheus API under this address",
    );
    assert!(!err.contains("attempts"), "a 404 is not retried: {err}");

    // A stopped server: the connection is accepted, nothing answers. The timeout, retried
    // once, then exit 2.
    p.pause();
    let o = gate(
        "gated-10pct",
        &url,
        "checkout",
        &["--timeout", "1s", "--retries", "1"],
    );
    p.resume();
    refused(
        &o,
        &url,
        "query \"requests\": no answer within the timeout (1 s; --timeout, --connect-timeout) (after 2 attempts)",
    );
    // Continued, it answers again.
    let o = gate("gated-10pct", &url, "checkout", &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(events(&o), healthy);
}

#[test]
fn the_longest_range_gate_asks_for_is_one_the_real_server_answers() {
    let Some(bins) = prom::binaries("gate_live_server") else {
        return;
    };
    let p = server(&bins, "gate-live-server-range", &[]);
    let url = p.url();
    let backtest = |to: i64| {
        let to = to.to_string();
        cli(&[
            "gate",
            "--policy",
            "gated-10pct",
            "--prometheus",
            &url,
            "--service",
            "checkout",
            "--from",
            &EPOCH.to_string(),
            "--to",
            &to,
            "--json",
        ])
    };
    // The history gate adds before --from, from its own message on a range far over.
    let o = backtest(EPOCH + 86_400 * 3);
    let err = exit_2(&o, "over the 11000 Prometheus returns per query");
    let history: i64 = err
        .split(" s of history")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no history in {err}"));
    // 11,000 points of 15 s: 10,999 steps from the first to the last.
    let longest = EPOCH + 10_999 * 15 - history;
    let o = backtest(longest);
    assert!(
        matches!(o.status.code(), Some(0 | 1 | 3)),
        "the server refused the longest range: {}",
        stderr(&o)
    );
    let o = backtest(longest + 15);
    exit_2(&o, "are 11001 points, over the 11000");
}

#[test]
fn a_query_over_the_real_server_s_sample_limit_is_http_422_and_not_retried() {
    let Some(bins) = prom::binaries("gate_live_server") else {
        return;
    };
    let p = server(&bins, "gate-live-server-422", &["--query.max-samples=1"]);
    let url = p.url();
    let o = gate("gated-10pct", &url, "checkout", &[]);
    let err = refused(
        &o,
        &url,
        "query \"requests\": HTTP 422: execution: query processing would load too many samples into memory in query execution",
    );
    assert!(!err.contains("attempts"), "not retried: {err}");
    assert_eq!(p.query_range_answers(422), 1);
    assert_eq!(p.query_range_answers(200), 0);
}

#[test]
fn a_query_the_real_server_times_out_is_http_503_and_retried() {
    let Some(bins) = prom::binaries("gate_live_server") else {
        return;
    };
    let p = server(&bins, "gate-live-server-503", &["--query.timeout=0s"]);
    let url = p.url();
    let o = gate("gated-10pct", &url, "checkout", &["--retries", "2"]);
    let err = refused(
        &o,
        &url,
        "query \"requests\": HTTP 503: timeout: query timed out in ",
    );
    assert!(
        err.contains(
            "(the server gave up on the query: its --query.timeout caps --timeout) (after 3 attempts)"
        ),
        "{err}"
    );
    assert_eq!(p.query_range_answers(503), 3);
}
