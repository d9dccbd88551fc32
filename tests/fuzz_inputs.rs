//! Malformed inputs never crash, hang or exhaust rollcage: scenario, policy, suite and
//! gate-metrics inputs, mutated from real ones (the built-ins and the examples) with
//! the values that broke it before (1e308, 1e9, negative counts, `+Inf`, `"10.5%"`,
//! duplicated rows, truncated text, stray bytes), go through the same reading and
//! checking that `validate`, `run`, `check` and `gate` do, and must come back `Ok` or
//! an error, never a panic. Every case is watched for a hang (a case that takes more
//! than `HANG` aborts the test with the input) and for memory (a counting allocator:
//! no case may grow the heap by more than `MEMORY_LIMIT`). A sample of the scenarios
//! that read back clean is also simulated for a short horizon, so that values the
//! reader accepts cannot crash the engine either.
//!
//! CI runs `ROLLCAGE_FUZZ_CASES` cases per input kind (default 2000) from a fixed seed
//! (`ROLLCAGE_FUZZ_SEED`, default 1). The long run of at least a million inputs
//! (docs/fuzzing.md):
//!
//! ```sh
//! ROLLCAGE_FUZZ_CASES=250000 cargo test --release --test fuzz_inputs
//! ```

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Counts live heap bytes, so a case that allocates without bound is caught long
/// before the machine runs out.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator unchanged; the counters are
// only arithmetic on the sizes it was asked for.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// No single case may take longer than this: anything near it is a hang.
const HANG: Duration = Duration::from_secs(120);
/// No case may grow the heap by more than this (the four kinds run in parallel, so the
/// bound is on all of them together).
const MEMORY_LIMIT: usize = 1 << 30;

fn cases() -> u32 {
    std::env::var("ROLLCAGE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// Runs `check` on every generated input, with the hang and memory watch.
fn fuzz<S: Strategy>(name: &str, strategy: S, check: impl Fn(&S::Value) + Sync)
where
    S::Value: std::fmt::Debug + Clone,
{
    let (tick, watch) = mpsc::channel::<String>();
    let name_owned = name.to_string();
    std::thread::spawn(move || {
        let mut last = String::from("(before the first case)");
        loop {
            match watch.recv_timeout(HANG) {
                Ok(input) => last = input,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    eprintln!("fuzz {name_owned}: a case ran over {HANG:?}: {last}");
                    std::process::abort();
                }
            }
        }
    });
    quiet_panics_in_cases();
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed()),
    );
    let result = runner.run(&strategy, |input| {
        let _ = tick.send(format!("{input:?}"));
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        {
            let _quiet = InCase::enter();
            check(&input);
        }
        let grown = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        prop_assert!(
            grown < MEMORY_LIMIT,
            "the heap grew by {grown} bytes on {input:?}"
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("fuzz {name}: {e}");
    }
}

thread_local! {
    static IN_CASE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the current thread as inside a case until dropped, panic or not.
struct InCase;

impl InCase {
    fn enter() -> InCase {
        IN_CASE.with(|c| c.set(true));
        InCase
    }
}

impl Drop for InCase {
    fn drop(&mut self) {
        IN_CASE.with(|c| c.set(false));
    }
}

/// Proptest reports a panicking case with its message and its shrunk input; the
/// default hook would also print every panic met while shrinking. Panics outside a
/// case (a failed assertion of the test itself) still print.
fn quiet_panics_in_cases() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_CASE.with(|c| c.get()) {
                default(info)
            }
        }));
    });
}

/// The generator's seed: fixed, so a CI failure reproduces; `ROLLCAGE_FUZZ_SEED=N`
/// explores elsewhere.
fn seed() -> [u8; 32] {
    let n: u64 = std::env::var("ROLLCAGE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&n.to_le_bytes());
    bytes
}

/// Values that broke rollcage before, or sit on a boundary.
const NASTY: &[&str] = &[
    "-1",
    "0",
    "1",
    "-0.0",
    "0.5",
    "1e308",
    "-1e308",
    "1e9",
    "1e-300",
    "nan",
    "inf",
    "-inf",
    "+inf",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967296",
    "\"10.5%\"",
    "\"-5%\"",
    "\"100%\"",
    "\"1e9%\"",
    "\"0%\"",
    "\"\"",
    "\"abc\"",
    "\"Bad Name\"",
    "true",
    "[]",
    "[1, -1]",
    "[\"x\"]",
    "{}",
    "{ a = 1 }",
    "1979-05-27T07:32:00Z",
];

fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(NASTY).prop_map(str::to_string),
        1 => any::<f64>().prop_map(|f| format!("{f:?}")),
        1 => any::<i64>().prop_map(|i| i.to_string()),
        1 => (0u32..100_000).prop_map(|i| i.to_string()),
    ]
}

/// One edit of a text, addressed by line (or byte) number modulo its length.
#[derive(Clone, Debug)]
enum Edit {
    /// The value after `=` on a line becomes another.
    Value(usize, String),
    DeleteLine(usize),
    DuplicateLine(usize),
    /// A line (a key, a table header, a whole fault) inserted before another.
    Insert(usize, String),
    Truncate(usize),
    Bytes(usize, Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (any::<usize>(), nasty()).prop_map(|(l, v)| Edit::Value(l, v)),
        1 => any::<usize>().prop_map(Edit::DeleteLine),
        1 => any::<usize>().prop_map(Edit::DuplicateLine),
        1 => (any::<usize>(), nasty()).prop_map(|(l, t)| Edit::Insert(l, format!("x = {t}"))),
        1 => any::<usize>().prop_map(Edit::Truncate),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, b)| Edit::Bytes(at, b)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut tail: Option<Vec<u8>> = None;
    for e in edits {
        let n = lines.len().max(1);
        match e {
            Edit::Value(l, v) => {
                // The n-th line that holds a value, so most edits hit a value.
                let with_value: Vec<usize> = (0..lines.len())
                    .filter(|&i| lines[i].contains('=') && !lines[i].trim_start().starts_with('#'))
                    .collect();
                if let Some(&i) = with_value.get(l % with_value.len().max(1)) {
                    let key = lines[i].split('=').next().unwrap_or("").to_string();
                    lines[i] = format!("{key}= {v}");
                }
            }
            Edit::DeleteLine(l) if !lines.is_empty() => {
                lines.remove(l % n);
            }
            Edit::DuplicateLine(l) if !lines.is_empty() => {
                let line = lines[l % n].clone();
                lines.insert(l % n, line);
            }
            Edit::Insert(l, t) => lines.insert(l % (lines.len() + 1), t.clone()),
            Edit::Truncate(at) => {
                let joined = lines.join("\n");
                let cut = at % (joined.len() + 1);
                let mut bytes = joined.into_bytes();
                bytes.truncate(cut);
                tail = Some(bytes);
                lines.clear();
            }
            Edit::Bytes(at, b) => {
                let mut bytes = lines.join("\n").into_bytes();
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, b.iter().copied());
                tail = Some(bytes);
                lines.clear();
            }
            _ => {}
        }
        if let Some(bytes) = tail.take() {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            lines = text.lines().map(str::to_string).collect();
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn read_example(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn scenario_texts() -> Vec<String> {
    let mut texts: Vec<String> = scenarios::BUILTIN
        .iter()
        .map(|(_, text)| text.to_string())
        .collect();
    texts.push(read_example("examples/checkout.toml"));
    for f in ["checkout-good", "checkout-leak", "checkout-errors"] {
        texts.push(read_example(&format!(
            "examples/ci/checkout/scenarios/{f}.toml"
        )));
    }
    texts
}

fn policy_texts() -> Vec<String> {
    let mut texts: Vec<String> = policies::BUILTIN
        .iter()
        .map(|(_, text)| text.to_string())
        .collect();
    texts.push(read_example("examples/careful.toml"));
    texts.push(read_example(
        "examples/ci/checkout/policies/checkout-rollout.toml",
    ));
    texts
}

/// Whole faults of every catalog kind, with a nasty value for one parameter, appended
/// to a scenario.
fn fault_insertion() -> BoxedStrategy<String> {
    let kinds: Vec<(&'static str, Vec<&'static str>)> = scenarios::faults::CATALOG
        .iter()
        .map(|k| (k.kind, k.params.iter().map(|p| p.key).collect()))
        .collect();
    (prop::sample::select(kinds), any::<usize>(), nasty())
        .prop_map(|((kind, params), i, v)| {
            let mut t = format!("\n[[faults]]\nkind = \"{kind}\"\nname = \"f\"");
            if !params.is_empty() {
                t.push_str(&format!("\n{} = {v}", params[i % params.len()]));
            }
            t
        })
        .boxed()
}

/// A gate with a nasty value for one key, appended to a policy.
fn gate_insertion() -> BoxedStrategy<String> {
    const KEYS: &[&str] = &[
        "threshold",
        "quantile",
        "window_seconds",
        "min_samples",
        "confidence",
        "failure_limit",
    ];
    (
        prop::sample::select(&["error_ratio", "latency", "restarts", "memory", "kpi"][..]),
        prop::sample::select(KEYS),
        nasty(),
    )
        .prop_map(|(metric, key, v)| {
            format!("\n[[gates]]\nname = \"g\"\nmetric = \"{metric}\"\n{key} = {v}")
        })
        .boxed()
}

/// Every key path of a resolved model (its JSON form), for `--set`-style overrides.
fn key_paths(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    if let serde_json::Value::Object(map) = value {
        for (k, v) in map {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                serde_json::Value::Object(_) => key_paths(v, &path, out),
                serde_json::Value::Array(_) => {}
                _ => out.push(path),
            }
        }
    }
}

fn scenario_keys() -> Vec<String> {
    let mut keys = vec!["fleet.queue_limit".to_string()];
    for (name, _) in scenarios::BUILTIN {
        let s = scenarios::Scenario::from_doc(&scenarios::builtin(name).unwrap()).unwrap();
        key_paths(&serde_json::to_value(&s).unwrap(), "", &mut keys);
    }
    keys.sort();
    keys.dedup();
    keys
}

fn policy_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for (name, _) in policies::BUILTIN {
        let p = policies::Policy::from_doc(&policies::builtin(name).unwrap()).unwrap();
        key_paths(&serde_json::to_value(&p).unwrap(), "", &mut keys);
    }
    keys.sort();
    keys.dedup();
    keys
}

/// An input made from a real one: a few text edits, whole tables appended, and
/// `--set`-style overrides, as a user's file and flags would combine.
#[derive(Clone, Debug)]
struct Mutated {
    text: String,
    sets: Vec<(String, String)>,
}

fn mutated(
    texts: Vec<String>,
    appended: BoxedStrategy<String>,
    keys: Vec<String>,
    values: BoxedStrategy<String>,
) -> impl Strategy<Value = Mutated> {
    let sets = prop::collection::vec((prop::sample::select(keys), values), 0..3);
    // Mostly one kind of damage at a time, so that many inputs get past the TOML
    // parser and deep into the checks.
    (
        prop::sample::select(texts),
        prop::collection::vec(edit(), 0..2),
        prop::collection::vec(appended, 0..2),
        sets,
    )
        .prop_map(|(text, edits, appended, sets)| {
            let mut text = apply(&text, &edits);
            for a in appended {
                text.push_str(&a);
                text.push('\n');
            }
            Mutated { text, sets }
        })
}

/// How far the inputs got, so that a generator that only makes unparseable text fails.
#[derive(Default)]
struct Reached {
    parsed: AtomicUsize,
    modelled: AtomicUsize,
    total: AtomicUsize,
}

impl Reached {
    fn check(&self, name: &str) {
        let total = self.total.load(Ordering::Relaxed);
        let parsed = self.parsed.load(Ordering::Relaxed);
        let modelled = self.modelled.load(Ordering::Relaxed);
        eprintln!("fuzz {name}: {total} cases, {parsed} parsed, {modelled} read into a model");
        if total >= 100 {
            assert!(
                parsed * 2 >= total,
                "fuzz {name}: only {parsed} of {total} parsed"
            );
            assert!(
                modelled * 20 >= total,
                "fuzz {name}: only {modelled} of {total} modelled"
            );
        }
    }
}

fn doc_of(m: &Mutated, reached: &Reached) -> Option<config::Doc> {
    reached.total.fetch_add(1, Ordering::Relaxed);
    let mut doc = config::Doc::parse("fuzz.toml", &m.text).ok()?;
    for (k, v) in &m.sets {
        doc.set(k, v).ok()?;
    }
    reached.parsed.fetch_add(1, Ordering::Relaxed);
    Some(doc)
}

/// What `validate` and `run` do with a scenario file, and for a sample of those that
/// read back clean, a short simulation.
fn check_scenario(m: &Mutated, reached: &Reached) {
    let Some(doc) = doc_of(m, reached) else {
        return;
    };
    let Ok(scenario) = scenarios::Scenario::from_doc(&doc) else {
        return;
    };
    reached.modelled.fetch_add(1, Ordering::Relaxed);
    let seed = runner::execute::run_seed(1, &scenario, 0);
    let _ = scenario.world(seed);
    if fnv(&m.text).is_multiple_of(40) {
        let mut short = scenario.clone();
        short.run.horizon_seconds = short.run.horizon_seconds.min(120.0);
        short.release.start_seconds = short.release.start_seconds.min(30.0);
        let policy =
            policies::Policy::from_doc(&policies::builtin("gated-10pct").unwrap()).unwrap();
        let (record, _) = runner::execute::run_once(&short, &policy, 1, 0);
        common::assert_conserved(&record);
    }
}

fn fnv(s: &str) -> u64 {
    sim_core::hash::fnv1a(s.as_bytes())
}

#[test]
fn malformed_scenarios_are_refused_without_panic() {
    let reached = Reached::default();
    fuzz(
        "scenario",
        mutated(
            scenario_texts(),
            fault_insertion(),
            scenario_keys(),
            nasty().boxed(),
        ),
        |m| check_scenario(m, &reached),
    );
    reached.check("scenario");
}

#[test]
fn malformed_policies_are_refused_without_panic() {
    let reached = Reached::default();
    let export_options = policies::export::Options {
        service: "checkout".parse().unwrap(),
        prometheus_address: "http://prometheus:9090".parse().unwrap(),
        series: Default::default(),
    };
    fuzz(
        "policy",
        mutated(
            policy_texts(),
            gate_insertion(),
            policy_keys(),
            nasty().boxed(),
        ),
        |m| {
            if let Some(doc) = doc_of(m, &reached)
                && let Ok(policy) = policies::Policy::from_doc(&doc)
            {
                reached.modelled.fetch_add(1, Ordering::Relaxed);
                // What the simulator and every export build from a policy.
                let _ = policy.controller();
                let _ = policies::file_form::to_file(&policy);
                for target in policies::export::targets_for(&policy.kind) {
                    let _ = policies::export::export(&policy, *target, &export_options);
                }
            }
        },
    );
    reached.check("policy");
}

#[test]
fn malformed_suites_are_refused_without_panic() {
    let dir = std::env::temp_dir().join(format!("rollcage-fuzz-suite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    common::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci/checkout"),
        &dir,
    );
    let suite = read_example("examples/ci/checkout/suite.toml");
    let path = dir.join("fuzz-suite.toml");
    let keys = [
        "seeds",
        "seed",
        "bootstrap",
        "judge",
        "set",
        "assertions",
        "policies",
        "scenarios",
        "name",
    ]
    .map(str::to_string)
    .to_vec();
    let assertion = prop::sample::select(
        &[
            "all: budget_consumed.p95 <= ",
            "all: detection_rate >= 1.5",
            "nowhere: ttd.p95 <= 5m",
            "all: ttd.p101 <= 5m",
            "checkout-leak: deploy_duration.p50 <= -3m",
            "all: budget_consumed.p95 <= 1e400%",
        ][..],
    )
    .prop_map(|a| format!("[\"{a}\"]"));
    let values = prop_oneof![2 => nasty(), 1 => assertion].boxed();
    let reached = Reached::default();
    fuzz(
        "suite",
        mutated(vec![suite], Just(String::new()).boxed(), keys, values),
        |m| {
            // The suite is read from a file beside its scenarios, as `check` reads it; the
            // overrides are applied to the document and written back.
            let text = match doc_of(m, &reached) {
                Some(doc) => toml::to_string(doc.table()).unwrap_or_else(|_| m.text.clone()),
                None => m.text.clone(),
            };
            std::fs::write(&path, text).unwrap();
            if runner::check::suite::Suite::load(&path).is_ok() {
                reached.modelled.fetch_add(1, Ordering::Relaxed);
            }
        },
    );
    reached.check("suite");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A valid gate input: three scrapes of both versions, with latency buckets.
fn metrics_csv() -> String {
    let mut t = String::from(
        "time,version,requests,errors,restarts,memory_mb,conversions,sessions_lost,le_50,le_100,le_250,le_inf\n",
    );
    for (i, time) in [1_700_000_000u64, 1_700_000_015, 1_700_000_030]
        .iter()
        .enumerate()
    {
        for (version, errors) in [("stable", 1), ("canary", 2 + i)] {
            t.push_str(&format!(
                "{time},{version},1000,{errors},0,512,50,0,600,900,990,1000\n"
            ));
        }
    }
    t
}

fn metrics_json() -> String {
    let series = |name: &str, extra: &str, value: &str| {
        format!(
            r#""{name}":{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"version":"canary"{extra}}},"values":[[1700000000,"{value}"],[1700000015,"{value}"]]}},{{"metric":{{"version":"stable"{extra}}},"values":[[1700000000,"{value}"],[1700000015,"{value}"]]}}]}}}}"#
        )
    };
    format!(
        "{{{},{},{},{}}}",
        series("requests", "", "1000"),
        series("errors", "", "3"),
        series("latency_bucket", r#","le":"0.1""#, "900"),
        series("latency_bucket", r#","le":"+Inf""#, "1000"),
    )
}

/// Edits of one CSV cell, or of one JSON number, by a nasty value.
fn metrics_input() -> impl Strategy<Value = String> {
    let cell = prop_oneof![
        prop::sample::select(
            &[
                "-1", "+Inf", "-Inf", "NaN", "1e400", "", "x", "1000000", "0", "1e308", "-0",
            ][..]
        )
        .prop_map(str::to_string),
        any::<i64>().prop_map(|i| i.to_string()),
    ];
    let csv_edit = (any::<usize>(), any::<usize>(), cell.clone()).prop_map(|(r, c, v)| (r, c, v));
    let csv = prop::collection::vec(csv_edit, 0..3).prop_map(|edits| {
        let base = metrics_csv();
        let mut rows: Vec<Vec<String>> = base
            .lines()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        for (r, c, v) in edits {
            let r = r % rows.len();
            let c = c % rows[r].len();
            rows[r][c] = v;
        }
        rows.iter()
            .map(|r| r.join(","))
            .collect::<Vec<_>>()
            .join("\n")
    });
    let json = (any::<usize>(), cell, prop::bool::ANY).prop_map(|(i, v, quoted)| {
        let base = metrics_json();
        let spots: Vec<usize> = base.match_indices("\"1000\"").map(|(i, _)| i).collect();
        let at = spots[i % spots.len()];
        let value = if quoted { format!("\"{v}\"") } else { v };
        format!("{}{}{}", &base[..at], value, &base[at + 6..])
    });
    let raw = (
        prop::sample::select(vec![metrics_csv(), metrics_json()]),
        prop::collection::vec(edit(), 1..4),
    )
        .prop_map(|(text, edits)| apply(&text, &edits));
    prop_oneof![3 => csv, 2 => json, 1 => raw]
}

#[test]
fn malformed_gate_metrics_are_refused_without_panic() {
    let gated: Vec<policies::Policy> = ["gated-10pct", "flagger-canary", "argo-canary"]
        .iter()
        .map(|n| policies::Policy::from_doc(&policies::builtin(n).unwrap()).unwrap())
        .collect();
    let reached = Reached::default();
    fuzz("metrics", metrics_input(), |text| {
        reached.total.fetch_add(1, Ordering::Relaxed);
        reached.parsed.fetch_add(1, Ordering::Relaxed);
        if let Ok(samples) = policies::live::read("fuzz.csv", text) {
            reached.modelled.fetch_add(1, Ordering::Relaxed);
            let at = samples.last().map_or(sim_core::SimTime::ZERO, |s| s.at);
            let view = sim_core::metrics::MetricsView::over(&samples, at);
            for p in &gated {
                for g in p.kind.gates() {
                    let _ = g.evaluate(&view, sim_core::SimTime::ZERO);
                }
            }
        }
    });
    reached.check("metrics");
}
