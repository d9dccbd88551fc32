//! `rollcage gate --prometheus`: against a scripted stub server on 127.0.0.1 (every
//! bad answer gives the documented verdict or exit 2 with its message, and retries are
//! counted), and against a real Prometheus holding simulated runs' series, where a
//! backtest must give the simulator's own gate evaluations at every evaluation time.

#[path = "support/prometheus.rs"]
mod prom;

mod common;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{cli, stderr, stdout};
use policies::series::SeriesNames;
use reports::artifacts::{events_csv, metrics_om};
use serde_json::Value;
use sim_core::hist::{bucket_of, bucket_value};
use sim_core::log::LogKind;
use sim_core::metrics::Sample;
use sim_core::{Phase, Version};

/// What the stub says to one request.
#[derive(Clone)]
enum Reply {
    /// A status and a body.
    Answer(u16, String),
    /// The body after a delay.
    Slow(Duration, String),
    /// Headers promising more than is sent, then the connection closed.
    Truncated,
    /// A body larger than any gate input may be.
    Huge,
}

/// A stub Prometheus: answers each request with `reply(query)` and counts requests.
struct Stub {
    port: u16,
    requests: Arc<AtomicUsize>,
}

fn read_request(s: &mut TcpStream) -> Option<String> {
    let mut r = BufReader::new(s.try_clone().ok()?);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(String::from_utf8_lossy(&body).into_owned())
}

impl Stub {
    fn start(reply: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Stub {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        let reply = Arc::new(reply);
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let Some(body) = read_request(&mut s) else {
                    continue;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let reply = reply.clone();
                std::thread::spawn(move || answer(&mut s, &body, &*reply));
            }
        });
        Stub { port, requests }
    }
}

/// Writes the scripted answer to one request.
fn answer(s: &mut TcpStream, body: &str, reply: &dyn Fn(&str) -> Reply) {
    let send = |s: &mut TcpStream, status: u16, body: &str| {
        let _ = write!(
            s,
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    };
    match reply(&form_value(body, "query")) {
        Reply::Answer(status, b) => send(s, status, &b),
        Reply::Slow(d, b) => {
            std::thread::sleep(d);
            send(s, 200, &b);
        }
        Reply::Truncated => {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{{\"status\":"
            );
        }
        Reply::Huge => {
            let n = policies::live::MAX_FILE_BYTES + 1024;
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n"
            );
            let chunk = vec![b' '; 1 << 20];
            for _ in 0..=(n >> 20) {
                if s.write_all(&chunk).is_err() {
                    break;
                }
            }
        }
    }
}

impl Stub {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// A form field of a request body, decoded.
fn form_value(body: &str, key: &str) -> String {
    let raw = body
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or("");
    let mut out = Vec::new();
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() + 1 => {
                out.push(u8::from_str_radix(&raw[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn matrix(result: &str) -> String {
    format!(r#"{{"status":"success","data":{{"resultType":"matrix","result":[{result}]}}}}"#)
}

/// A healthy canary for `gated-10pct` at 1700000000 + 15 k: the series key a query is
/// for, and its answer.
fn healthy(query: &str) -> String {
    let points = |f: &dyn Fn(i64) -> String| {
        (1..=40)
            .map(|k| format!("[{},\"{}\"]", 1_700_000_000 + 15 * k, f(k)))
            .collect::<Vec<_>>()
            .join(",")
    };
    let series = |labels: &str, f: &dyn Fn(i64) -> String| {
        format!(r#"{{"metric":{{{labels}}},"values":[{}]}}"#, points(f))
    };
    if query.contains("_bucket") {
        let mut s = Vec::new();
        for v in ["canary", "stable"] {
            for (le, n) in [("0.05", 400), ("0.1", 440), ("+Inf", 450)] {
                s.push(series(&format!(r#""version":"{v}","le":"{le}""#), &|_| {
                    n.to_string()
                }));
            }
        }
        matrix(&s.join(","))
    } else if query.contains("5..") {
        matrix(&series(r#""version":"canary""#, &|_| "1".into()))
    } else if query.starts_with("max by") {
        matrix(&series(r#""version":"canary""#, &|_| "300".into()))
    } else if query.contains("http_requests_total") {
        matrix(&format!(
            "{},{}",
            series(r#""version":"canary""#, &|_| "450".into()),
            series(r#""version":"stable""#, &|_| "4000".into())
        ))
    } else {
        matrix("")
    }
}

fn gate(url: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "gate",
        "--policy",
        "gated-10pct",
        "--prometheus",
        url,
        "--service",
        "checkout",
        "--at",
        "1700000600",
    ];
    args.extend_from_slice(extra);
    cli(&args)
}

#[test]
fn a_healthy_answer_passes_and_reads_as_the_same_file_would() {
    let stub = Stub::start(|q| Reply::Answer(200, healthy(q)));
    let o = gate(&stub.url(), &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stub.requests(), 7, "one query per series");
    let live: Value = serde_json::from_str(&stdout(&o)).unwrap();
    // The same answers in a file: the same evaluations.
    let dir = common::temp_dir("gate-live-file");
    let doc = format!(
        "{{{}}}",
        policies::live::SERIES
            .iter()
            .zip(policies::live_query::queries(
                &SeriesNames::default(),
                "checkout",
                15
            ))
            .map(|(k, (_, q))| format!("\"{k}\": {}", healthy(&q)))
            .collect::<Vec<_>>()
            .join(",")
    );
    let file = common::write_file(&dir, "m.json", doc);
    let o = cli(&[
        "gate",
        "--policy",
        "gated-10pct",
        "--metrics",
        &file,
        "--at",
        "1700000600",
        "--json",
    ]);
    let from_file: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(live["events"], from_file["events"]);
    assert_eq!(live["events"][0]["verdict"], "pass");
    // Deterministic: the same answers give the same bytes.
    let again = gate(&stub.url(), &["--json"]);
    assert_eq!(stdout(&again), stdout(&o).replace(&file, &stub.url()));
}

#[test]
fn bad_answers_exit_2_naming_the_address_the_series_and_the_problem() {
    let cases: Vec<(&str, Reply, &[&str], &str, usize)> = vec![
        (
            "HTTP 500, retried",
            Reply::Answer(
                500,
                r#"{"status":"error","errorType":"internal","error":"boom"}"#.into(),
            ),
            &[],
            "query \"requests\": HTTP 500: internal: boom (after 3 attempts)",
            3,
        ),
        (
            "HTTP 400, a bad query: not retried",
            Reply::Answer(
                400,
                r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#.into(),
            ),
            &[],
            "query \"requests\": HTTP 400: bad_data: parse error",
            1,
        ),
        (
            "status error with 200",
            Reply::Answer(
                200,
                r#"{"status":"error","errorType":"execution","error":"too many samples"}"#.into(),
            ),
            &[],
            "Prometheus answered status \"error\": execution: too many samples",
            1,
        ),
        (
            "not JSON",
            Reply::Answer(200, "<html>proxy error</html>".into()),
            &[],
            "query \"requests\": malformed answer: not a Prometheus API answer",
            1,
        ),
        (
            "a vector, not a matrix",
            Reply::Answer(
                200,
                r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#.into(),
            ),
            &[],
            "requests.data.resultType: expected \"matrix\"",
            7,
        ),
        (
            "NaN, refused as in a file",
            Reply::Answer(
                200,
                matrix(r#"{"metric":{"version":"canary"},"values":[[1700000015,"NaN"]]}"#),
            ),
            &[],
            "requests.data.result[0] {version=\"canary\"}, values[0] (t=1700000015): requests NaN is not a number",
            7,
        ),
        (
            "slower than the timeout, retried once",
            Reply::Slow(Duration::from_millis(1500), matrix("")),
            &["--timeout", "0.3s", "--retries", "1"],
            "no answer within the timeout (0.3 s",
            2,
        ),
        (
            "cut short",
            Reply::Truncated,
            &["--retries", "1"],
            "the answer was cut short",
            2,
        ),
        (
            "too large",
            Reply::Huge,
            &[],
            "the answers are over 64 MiB",
            1,
        ),
    ];
    for (what, reply, extra, needle, requests) in cases {
        let stub = Stub::start(move |_| reply.clone());
        let o = gate(&stub.url(), extra);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(needle), "{what}: missing {needle:?} in {err}");
        assert!(err.contains(&stub.url()), "{what}: {err}");
        assert_eq!(stub.requests(), requests, "{what}: requests");
    }
    // A closed port: connection refused, retried.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = gate(&format!("http://127.0.0.1:{port}"), &["--retries", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("query \"requests\": connection refused (is Prometheus listening there?) (after 2 attempts)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_empty_result_is_no_data_and_each_gate_on_empty_decides() {
    let stub = Stub::start(|_| Reply::Answer(200, matrix("")));
    let o = gate(&stub.url(), &["--json"]);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    // gated-10pct's gates are inconclusive on no data: pause.
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    for e in doc["events"].as_array().unwrap() {
        assert_eq!(e["verdict"], "inconclusive", "{e}");
        assert!(e["value"].is_null());
    }
    // Flagger counts a window without data as a failed check.
    let o = cli(&[
        "gate",
        "--policy",
        "flagger-canary",
        "--prometheus",
        &stub.url(),
        "--service",
        "checkout",
        "--at",
        "1700000600",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

#[test]
fn ranges_are_checked_before_any_query() {
    let stub = Stub::start(|_| Reply::Answer(200, matrix("")));
    let run = |args: &[&str]| {
        let mut a = vec![
            "gate",
            "--policy",
            "gated-10pct",
            "--prometheus",
            "URL",
            "--service",
            "checkout",
        ];
        a.extend_from_slice(args);
        let url = stub.url();
        let a: Vec<&str> = a
            .iter()
            .map(|x| if *x == "URL" { url.as_str() } else { x })
            .collect();
        cli(&a)
    };
    let o = run(&["--from", "1700003600", "--to", "1700000000"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--to 1700000000 is before --from 1700003600"));
    let o = run(&[
        "--from",
        "2023-11-14T00:00:00Z",
        "--to",
        "2023-11-17T00:00:00Z",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("over the 11000 Prometheus returns per query"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "--at",
        "1700000000",
        "--from",
        "1700000000",
        "--to",
        "1700000060",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stub.requests(), 0);
}

// ---------------------------------------------------------------------------------------
// The real server: simulated runs' series backfilled, backtested, compared with the
// simulator's own gate evaluations.

/// Both edges of a histogram bucket in µs, half a µs out so that each bucket's middle
/// is the simulator's value for it.
fn edges(index: usize) -> (f64, f64) {
    let mid = bucket_value(index);
    if index < 64 {
        return (mid - 0.5, mid + 0.5);
    }
    let width = 1u64 << (index / 64 - 1);
    let lower = mid - (width as f64 - 1.0) / 2.0;
    (lower - 0.5, lower + width as f64 - 0.5)
}

/// The same samples in the CSV form of the gate input.
fn csv_of(samples: &[Sample], epoch: i64) -> String {
    let mut bounds: Vec<f64> = Vec::new();
    for s in samples {
        for v in Version::ALL {
            for (x, _) in s.cohort(v).latency.buckets() {
                let (lo, hi) = edges(bucket_of(x as u64));
                if lo > 0.0 {
                    bounds.push(lo);
                }
                bounds.push(hi);
            }
        }
    }
    bounds.sort_by(f64::total_cmp);
    bounds.dedup();
    let mut out = String::from("time,version,requests,errors,restarts,memory_mb");
    for b in &bounds {
        let _ = write!(out, ",le_{}", b / 1000.0);
    }
    out.push_str(",le_inf\n");
    for s in samples {
        for v in Version::ALL {
            let c = s.cohort(v);
            let label = if v == Version::Candidate {
                "canary"
            } else {
                "stable"
            };
            let _ = write!(
                out,
                "{},{label},{},{},{},{}",
                epoch as f64 + s.at.as_secs_f64(),
                c.requests,
                c.errors + c.timeouts,
                c.crashes,
                c.memory_max_mb
            );
            let mut cum = vec![0u64; bounds.len()];
            for (x, n) in c.latency.buckets() {
                let hi = edges(bucket_of(x as u64)).1;
                let k = bounds.partition_point(|b| *b < hi);
                for y in &mut cum[k..] {
                    *y += n;
                }
            }
            for n in cum {
                let _ = write!(out, ",{n}");
            }
            let _ = writeln!(out, ",{}", c.latency.total());
        }
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-6 * a.abs().max(b.abs())
}

/// Prometheus keeps milliseconds: the fleet's changes in `metrics.om` are rounded up to
/// one, so a backtest's syncs, and the evaluations timed from them, are at most this
/// far after the simulator's.
const MS: f64 = 1e-3;

#[test]
fn a_backtest_on_a_real_server_gives_the_simulators_own_gate_evaluations() {
    let Some(bins) = prom::binaries("gate_live") else {
        return;
    };
    // Flagger ticks every interval whatever the pods do; the rolling update and the
    // Argo canary wait for pods to start, which the backtest reads from the fleet's
    // series in metrics.om.
    let cases = [
        ("good-release", "flagger-canary"),
        ("memory-leak", "flagger-canary"),
        ("error-regression", "flagger-canary"),
        ("good-release", "gated-10pct"),
        ("memory-leak", "gated-10pct"),
        ("error-regression", "argo-canary"),
    ];
    let dir = common::temp_dir("gate-live-prometheus");
    let lag = "scenario.observability.metrics_lag_seconds=0";
    let mut files = Vec::new();
    let mut runs = Vec::new();
    for (k, (scenario, policy)) in cases.iter().enumerate() {
        // Each run a day after the last, so the same policy's series never meet.
        let epoch_text = format!("2026-01-0{}T00:00:00Z", k + 1);
        let epoch = metrics_om::parse_epoch(&epoch_text).unwrap() / 1000;
        let out = dir.join(format!("run{k}"));
        let o = cli(&[
            "run",
            "--scenario",
            scenario,
            "--policy",
            policy,
            "--set",
            lag,
            "--epoch",
            &epoch_text,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{scenario}/{policy}: {}", stderr(&o));
        // The same run in this process, for the evaluations at full precision (events.csv
        // keeps six decimals); the seed is run's default.
        let (record, _) = common::run(scenario, policy, 1, &[lag]);
        let events =
            events_csv::from_bytes(&std::fs::read(out.join(events_csv::FILE_NAME)).unwrap())
                .unwrap();
        let gates_csv: Vec<(String, String)> = events
            .iter()
            .filter(|e| e.kind == "gate")
            .map(|e| (format!("{:.3}", e.time_s), e.verdict.clone()))
            .collect();
        let gates_rec: Vec<(String, String)> = record
            .log
            .iter()
            .filter(|r| r.kind == LogKind::Gate)
            .map(|r| {
                (
                    format!("{:.3}", r.at.as_secs_f64()),
                    r.verdict.unwrap_or("").to_string(),
                )
            })
            .collect();
        assert_eq!(
            gates_csv, gates_rec,
            "{scenario}/{policy}: not the same run"
        );
        common::write_file(
            &dir,
            &format!("run{k}.csv"),
            csv_of(record.metrics.samples(), epoch),
        );
        files.push(out.join(metrics_om::FILE_NAME));
        runs.push((epoch, record));
    }
    let p = prom::Prometheus::start_files(&bins, &files, runs[0].0, &dir.join("prom"));
    let url = format!("http://127.0.0.1:{}", p.port);
    for (k, ((scenario, policy), (epoch, record))) in cases.iter().zip(&runs).enumerate() {
        let epoch = *epoch as f64;
        let start = record
            .t_change_start
            .expect("the change starts")
            .as_secs_f64();
        let from = format!("{}", epoch + start);
        let to = format!("{}", epoch + record.horizon.as_secs_f64());
        let replicas = record.desired.to_string();
        let backtest = |source: &[&str]| {
            let mut a = vec![
                "gate",
                "--policy",
                policy,
                "--from",
                &from,
                "--to",
                &to,
                "--replicas",
                &replicas,
                "--json",
            ];
            a.extend_from_slice(source);
            let o = cli(&a);
            assert!(
                matches!(o.status.code(), Some(0 | 1 | 3)),
                "{scenario}/{policy} {source:?}: {}",
                stderr(&o)
            );
            let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
            (o.status.code(), doc)
        };
        let live = [
            "--prometheus",
            &url,
            "--service",
            policy,
            "--timeout",
            "60s",
        ];
        let (_, doc) = backtest(&live);
        assert_eq!(doc["fleet"], "observed", "{scenario}/{policy}");
        // On an instant fleet the server's answers backtest as the file form of the same
        // samples does, row for row.
        let file = dir.join(format!("run{k}.csv")).display().to_string();
        let mut instant = live.to_vec();
        instant.extend(["--fleet", "instant"]);
        let (icode, idoc) = backtest(&instant);
        let (fcode, fdoc) = backtest(&["--metrics", &file]);
        assert_eq!(icode, fcode, "{scenario}/{policy}");
        for key in ["events", "decisions", "decision"] {
            assert_eq!(idoc[key], fdoc[key], "{scenario}/{policy}: {key}");
        }
        // One moment at any alignment of the query to the scrapes (on them, 1 s and 7 s
        // after): the same evaluations as the file's samples up to that moment.
        for shift in [0.0, 1.0, 7.0] {
            let at = format!("{}", epoch + start + 300.0 + shift);
            let one = |source: &[&str]| {
                let mut a = vec!["gate", "--policy", policy, "--at", &at, "--json"];
                a.extend_from_slice(source);
                let o = cli(&a);
                let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
                v["events"].clone()
            };
            let at_live = one(&["--prometheus", &url, "--service", policy]);
            assert_eq!(
                at_live,
                one(&["--metrics", &file]),
                "{scenario}/{policy} at +{shift} s"
            );
            let values = at_live
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["value"].is_f64());
            assert!(
                values.count() > 0,
                "{scenario}/{policy} at +{shift} s: {at_live}"
            );
        }
        // The observed-fleet backtest is the simulator's own gate evaluations: each at
        // its time (within a millisecond), with its value (1e-6 relative), threshold
        // and verdict, one for one, and the same decision.
        let live: Vec<&Value> = doc["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "gate")
            .collect();
        let sim: Vec<_> = record
            .log
            .iter()
            .filter(|r| r.kind == LogKind::Gate)
            .collect();
        assert!(
            !sim.is_empty(),
            "{scenario}/{policy}: the simulator judged nothing"
        );
        let times = |l: &[&Value]| -> Vec<f64> {
            l.iter()
                .map(|e| e["time_s"].as_f64().unwrap() - epoch)
                .collect()
        };
        assert_eq!(
            live.len(),
            sim.len(),
            "{scenario}/{policy}: {} evaluations live, {} simulated; live times {:?}, simulated {:?}",
            live.len(),
            sim.len(),
            times(&live),
            sim.iter().map(|r| r.at.as_secs_f64()).collect::<Vec<_>>()
        );
        for (e, r) in live.iter().zip(&sim) {
            let t = r.at.as_secs_f64();
            let at = format!("{scenario}/{policy} {} at sim t={t}", r.subject);
            assert_eq!(e["subject"], r.subject.as_str(), "{at}: {e}");
            let dt = e["time_s"].as_f64().unwrap() - epoch - t;
            assert!((-1e-6..=MS + 1e-6).contains(&dt), "{at}: live {dt} s later");
            assert_eq!(e["verdict"].as_str(), r.verdict, "{at}: {e} vs {r:?}");
            for (field, want) in [("value", r.value), ("threshold", r.threshold)] {
                match (e[field].as_f64(), want) {
                    (Some(a), Some(b)) => {
                        assert!(close(a, b), "{at}: {field} {a} vs {b}")
                    }
                    (None, None) => {}
                    (a, b) => panic!("{at}: {field} {a:?} vs {b:?}"),
                }
            }
        }
        let sim_decision = match record.final_phase {
            Phase::Promoted => "promote",
            Phase::RollingBack | Phase::RolledBack => "rollback",
            Phase::Paused => "pause",
            _ => "advance",
        };
        assert_eq!(doc["decision"], sim_decision, "{scenario}/{policy}");
        eprintln!(
            "{scenario}/{policy}: {} evaluations matched, decision {}",
            sim.len(),
            doc["decision"]
        );
    }
}
