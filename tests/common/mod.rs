//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

pub mod manifests;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use reports::RunMetrics;
use runner::inputs::resolve;
use sim_core::RunRecord;

/// Runs a built-in (or file) scenario under a policy through the library.
pub fn run(scenario: &str, policy: &str, seed: u64, sets: &[&str]) -> (RunRecord, RunMetrics) {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let r = resolve(scenario, policy, &sets, &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    runner::execute::run_once(&r.scenario, &r.policy, seed, 0)
}

/// Runs the `rollcage` binary.
pub fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollcage"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("rollcage runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs the `rollcage` binary, which must succeed; its stdout.
pub fn run_ok(args: &[impl AsRef<str>]) -> String {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let o = cli(&args);
    assert!(o.status.success(), "{args:?}\n{}", stderr(&o));
    stdout(&o)
}

/// Runs the `rollcage` binary, which must exit with `code` and say `needle` on stderr
/// (an empty needle: the code alone); its stderr.
pub fn run_fails(args: &[impl AsRef<str>], code: i32, needle: &str) -> String {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let o = cli(&args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: missing `{needle}` in:\n{err}"
    );
    err
}

/// Writes `text` to `dir/name`; the file's path.
pub fn write_file(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// A fresh, empty temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rollcage-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies a directory tree (the examples a test runs from).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Checks the request conservation law of a run.
pub fn assert_conserved(rec: &RunRecord) {
    let c = rec.counts;
    assert_eq!(
        c.arrived,
        c.succeeded + c.errors + c.timeouts + c.in_flight_end,
        "arrived = succeeded + failed + in flight: {c:?}"
    );
}

/// Runs scenario and policy given as TOML text (or built-in names).
pub fn run_text(scenario: &str, policy: &str, seed: u64, sets: &[&str]) -> (RunRecord, RunMetrics) {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = temp_dir(&format!(
        "text-{call}-{}",
        fnv(scenario) ^ fnv(policy) ^ seed
    ));
    let as_file = |name: &str, text: &str| -> String {
        if text.contains('\n') {
            write_file(&dir, name, text)
        } else {
            text.to_string()
        }
    };
    let s = as_file("scenario.toml", scenario);
    let p = as_file("policy.toml", policy);
    let out = run(&s, &p, seed, sets);
    let _ = std::fs::remove_dir_all(dir);
    out
}

fn fnv(s: &str) -> u64 {
    sim_core::hash::fnv1a(s.as_bytes())
}

/// Bad events the named fault caused, all classes.
pub fn fault_bad(m: &RunMetrics, name: &str) -> u64 {
    m.faults
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fault {name}"))
        .bad_events
        .total()
}

/// Sums a cohort's counts over the scraped samples in `[from, to)` seconds.
pub fn cohort_between(
    rec: &RunRecord,
    v: sim_core::Version,
    from: f64,
    to: f64,
) -> sim_core::metrics::CohortSample {
    let samples: Vec<sim_core::metrics::Sample> = rec
        .metrics
        .samples()
        .iter()
        .filter(|s| s.at.as_secs_f64() >= from && s.at.as_secs_f64() < to)
        .cloned()
        .collect();
    sim_core::metrics::sum_cohort(&samples, v)
}

/// Every file of a directory and its sub-directories (the report's `charts/`), by
/// relative name, sorted.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            for (inner, bytes) in files(&e.path()) {
                v.push((format!("{name}/{inner}"), bytes));
            }
        } else {
            v.push((name, fs::read(e.path()).unwrap()));
        }
    }
    v.sort();
    v
}

/// Two directories hold the same files, byte for byte.
pub fn assert_same_dirs(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&fa), names(&fb), "{} vs {}", a.display(), b.display());
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}
