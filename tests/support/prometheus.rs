//! A Prometheus server for a test: OpenMetrics text backfilled with `promtool tsdb
//! create-blocks-from openmetrics`, served on 127.0.0.1 on a free port with no scrape
//! targets, queried through its HTTP API, and killed (by its pid) when the guard drops,
//! so a failing assertion still stops it.
//!
//! Prometheus and promtool come from Debian's `prometheus` package (`.ci/run` installs
//! it when missing); `ROLLCAGE_PROMETHEUS` and `ROLLCAGE_PROMTOOL` name other binaries.
//! `ROLLCAGE_PROMETHEUS_TESTS=off` skips the tests that need them. When they are absent
//! the tests say so and skip, except in CI (`CI` set), where they fail.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[path = "local.rs"]
mod local;
use local::{free_port, tail};

/// How long the server gets to load its blocks and answer `/-/ready`.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// Ports tried before giving up (another process may take a port between our probe
/// and the server's bind).
const PORT_ATTEMPTS: usize = 5;

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn binary(var: &str, name: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(p) => Some(PathBuf::from(p)),
        None => on_path(name),
    }
}

/// The `prometheus` and `promtool` binaries, or `None` (with the reason printed) when
/// the test is to be skipped. Panics when they are missing in CI.
pub fn binaries(test: &str) -> Option<(PathBuf, PathBuf)> {
    if std::env::var("ROLLCAGE_PROMETHEUS_TESTS").as_deref() == Ok("off") {
        eprintln!("{test} skipped: ROLLCAGE_PROMETHEUS_TESTS=off");
        return None;
    }
    let server = binary("ROLLCAGE_PROMETHEUS", "prometheus");
    let tool = binary("ROLLCAGE_PROMTOOL", "promtool");
    match (server, tool) {
        (Some(s), Some(t)) => Some((s, t)),
        (s, t) => {
            let missing: Vec<&str> = [("prometheus", s.is_none()), ("promtool", t.is_none())]
                .iter()
                .filter(|(_, m)| *m)
                .map(|(n, _)| *n)
                .collect();
            let why = format!(
                "{test}: {} not found on PATH: install Debian's prometheus package (apt-get install prometheus; .ci/run does), \
                 name the binaries with ROLLCAGE_PROMETHEUS / ROLLCAGE_PROMTOOL, or set ROLLCAGE_PROMETHEUS_TESTS=off to skip",
                missing.join(" and ")
            );
            if std::env::var_os("CI").is_some() {
                panic!("{why} (CI is set, so this fails)");
            }
            eprintln!("{why}; skipped (it fails when CI is set)");
            None
        }
    }
}

/// A running server. Dropping it kills the process and waits for it (resuming it
/// first if `pause` stopped it).
pub struct Prometheus {
    child: Child,
    pub port: u16,
    dir: PathBuf,
    agent: ureq::Agent,
    /// Whether dropping removes `dir` (not for a failed start, whose retry reuses it,
    /// nor after a panic, when the logs are worth reading).
    cleanup: bool,
    /// Whether `pause` stopped the process and `resume` has not continued it.
    paused: bool,
}

/// What an instant query returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A vector result: (labels as `k=v,...`, value) per element, in the server's order.
    Vector(Vec<(String, f64)>),
    /// A scalar result.
    Scalar(f64),
}

impl Answer {
    /// The single value of a one-element vector or a scalar; `None` when empty.
    pub fn single(&self) -> Option<f64> {
        match self {
            Answer::Scalar(v) => Some(*v),
            Answer::Vector(v) if v.len() == 1 => Some(v[0].1),
            Answer::Vector(v) if v.is_empty() => None,
            Answer::Vector(v) => panic!("more than one series: {v:?}"),
        }
    }
}

/// The retention that keeps blocks starting at `earliest` (Unix seconds): the age of
/// the oldest sample plus a day, in days.
fn retention_for(earliest: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let days = (now - earliest).max(0) / 86_400 + 2;
    format!("{days}d")
}

impl Prometheus {
    /// Backfills `openmetrics` (whose earliest sample is at `earliest`, Unix seconds)
    /// into a fresh TSDB under `work` and starts a server on it.
    pub fn start(
        bins: &(PathBuf, PathBuf),
        openmetrics: &str,
        earliest: i64,
        work: &Path,
    ) -> Prometheus {
        let _ = fs::remove_dir_all(work);
        fs::create_dir_all(work).unwrap();
        let om = work.join("series.om");
        fs::write(&om, openmetrics).unwrap();
        Prometheus::start_files(bins, &[om], earliest, work)
    }

    /// Backfills each OpenMetrics file (a `metrics.om`, say) into one fresh TSDB under
    /// `work` and starts a server on it. Files whose samples share a 2-hour block
    /// range would overlap: give each run its own `--epoch` a few hours apart.
    pub fn start_files(
        bins: &(PathBuf, PathBuf),
        files: &[PathBuf],
        earliest: i64,
        work: &Path,
    ) -> Prometheus {
        Prometheus::start_files_with(bins, files, earliest, work, &[])
    }

    /// As `start`, with further server flags (`--query.max-samples=1`, say).
    pub fn start_with(
        bins: &(PathBuf, PathBuf),
        openmetrics: &str,
        earliest: i64,
        work: &Path,
        flags: &[&str],
    ) -> Prometheus {
        let _ = fs::remove_dir_all(work);
        fs::create_dir_all(work).unwrap();
        let om = work.join("series.om");
        fs::write(&om, openmetrics).unwrap();
        Prometheus::start_files_with(bins, &[om], earliest, work, flags)
    }

    /// As `start_files`, with further server flags.
    pub fn start_files_with(
        (server, tool): &(PathBuf, PathBuf),
        files: &[PathBuf],
        earliest: i64,
        work: &Path,
        flags: &[&str],
    ) -> Prometheus {
        fs::create_dir_all(work).unwrap();
        let data = work.join("data");
        for om in files {
            let out = Command::new(tool)
                .args(["tsdb", "create-blocks-from", "openmetrics"])
                .arg(om)
                .arg(&data)
                .stdin(Stdio::null())
                .output()
                .expect("promtool runs");
            assert!(
                out.status.success(),
                "promtool tsdb create-blocks-from openmetrics {} failed: {}\n{}",
                om.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // No scrape targets: the server holds the backfilled blocks only.
        let config = work.join("prometheus.yml");
        fs::write(
            &config,
            "global:\n  scrape_interval: 15s\nscrape_configs: []\n",
        )
        .unwrap();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(20)))
            .http_status_as_error(false)
            // Only 127.0.0.1 is spoken to: never through a proxy from the environment.
            .proxy(None)
            .build()
            .into();
        let mut last_log = String::new();
        for attempt in 0..PORT_ATTEMPTS {
            let port = free_port();
            let log = work.join(format!("prometheus-{attempt}.log"));
            let child = Command::new(server)
                .arg(format!("--storage.tsdb.path={}", data.display()))
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg(format!(
                    "--storage.tsdb.retention.time={}",
                    retention_for(earliest)
                ))
                .args(flags)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(fs::File::create(&log).unwrap())
                .spawn()
                .expect("prometheus starts");
            // The guard owns the child from here: a panic below kills it.
            let mut p = Prometheus {
                child,
                port,
                dir: work.to_path_buf(),
                agent: agent.clone(),
                cleanup: false,
                paused: false,
            };
            match p.wait_ready() {
                Ok(()) => {
                    p.cleanup = true;
                    return p;
                }
                Err(why) => {
                    last_log = format!("{why}\n{}", tail(&log, 15));
                    drop(p);
                    if !last_log.contains("address already in use") {
                        break;
                    }
                }
            }
        }
        panic!("prometheus did not become ready:\n{last_log}");
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_WITHIN;
        let url = format!("http://127.0.0.1:{}/-/ready", self.port);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("prometheus exited with {status}"));
            }
            if let Ok(r) = self.agent.get(&url).call()
                && r.status() == 200
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("not ready within {READY_WITHIN:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's address, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the process (SIGSTOP): the kernel still accepts connections on its port,
    /// and nothing answers them, as a server too busy to answer. Until `resume`, or the
    /// guard's drop, which resumes it before killing it.
    pub fn pause(&mut self) {
        self.signal("-STOP");
        self.paused = true;
    }

    /// Continues a paused process (SIGCONT).
    pub fn resume(&mut self) {
        self.signal("-CONT");
        self.paused = false;
    }

    /// Sends a signal with procps' `kill` (the tests link no libc bindings).
    fn signal(&self, which: &str) {
        let status = Command::new("kill")
            .arg(which)
            .arg(self.child.id().to_string())
            .stdin(Stdio::null())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {which} {} failed", self.child.id());
    }

    /// How many `query_range` requests the server has answered with HTTP `code`, from
    /// its own `prometheus_http_requests_total` (at `/metrics`, which it serves without
    /// scraping itself); 0 before the first.
    pub fn query_range_answers(&self, code: u16) -> u64 {
        let url = format!("http://127.0.0.1:{}/metrics", self.port);
        let mut r = self.agent.get(&url).call().expect("/metrics answers");
        let text = r.body_mut().read_to_string().unwrap();
        let series = format!(
            "prometheus_http_requests_total{{code=\"{code}\",handler=\"/api/v1/query_range\"}} "
        );
        text.lines()
            .find_map(|l| l.strip_prefix(&series))
            .map_or(0, |v| v.trim().parse().expect("a whole count"))
    }

    /// Runs `promtool` with `args` in `dir`: (success, stdout and stderr).
    pub fn promtool(tool: &Path, dir: &Path, args: &[&str]) -> (bool, String) {
        let out = Command::new(tool)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("promtool runs");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// An instant query at `time` (Unix seconds). Panics, with Prometheus' message,
    /// on an error answer.
    pub fn query(&self, query: &str, time: f64) -> Answer {
        let url = format!("http://127.0.0.1:{}/api/v1/query", self.port);
        let mut r = self
            .agent
            .get(&url)
            .query("query", query)
            .query("time", format!("{time}"))
            .call()
            .unwrap_or_else(|e| panic!("query failed: {e}: {query}"));
        let body = r.body_mut().read_to_string().unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
        assert_eq!(
            v["status"], "success",
            "Prometheus refused the query at t={time}: {body}\nquery: {query}"
        );
        let number = |x: &serde_json::Value| -> f64 {
            let s = x[1].as_str().expect("a value is a string");
            match s {
                "NaN" => f64::NAN,
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                s => s.parse().unwrap(),
            }
        };
        let data = &v["data"];
        match data["resultType"].as_str() {
            Some("scalar") => Answer::Scalar(number(&data["result"])),
            Some("vector") => Answer::Vector(
                data["result"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        let labels = e["metric"]
                            .as_object()
                            .unwrap()
                            .iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                            .collect::<Vec<_>>()
                            .join(",");
                        (labels, number(&e["value"]))
                    })
                    .collect(),
            ),
            other => panic!("unexpected result type {other:?}: {body}"),
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        // SIGKILL ends a stopped process too, but a stopped one is never left behind
        // should the kill fail: continue it first.
        if self.paused {
            let _ = Command::new("kill")
                .arg("-CONT")
                .arg(self.child.id().to_string())
                .stdin(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.cleanup && !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
