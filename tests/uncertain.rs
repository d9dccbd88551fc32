//! Uncertain scenario parameters end to end: what a run draws depends on the seed, the
//! scenario and the replicate alone (not the policy, the thread count, the shard or a
//! resume); `run.json` and `runs.csv` record it; `validate` refuses a distribution
//! that can draw a value its key refuses, at exactly the bound; `--set` takes a
//! distribution; the load-dependent leak grows with the requests a pod serves.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{cli, run_fails, run_ok, run_text, stderr, temp_dir, write_file};
use sim_core::log::LogKind;

const SHORT: &str = "scenario.run.horizon_seconds=300";
const LEAK_KEYS: [&str; 2] = [
    "candidate.memory.leak_kb_per_request",
    "candidate.memory.leak_mb_per_second",
];

fn run_json(scenario: &str, policy: &str, replicate: u64, sets: &[&str]) -> serde_json::Value {
    let rep = replicate.to_string();
    let mut args = vec![
        "run",
        "--scenario",
        scenario,
        "--policy",
        policy,
        "--seed",
        "7",
        "--replicate",
        &rep,
        "--json",
    ];
    for s in sets {
        args.extend(["--set", s]);
    }
    serde_json::from_str(&run_ok(&args)).unwrap()
}

fn params(doc: &serde_json::Value) -> Vec<(String, f64)> {
    doc["inputs"]["params"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_draw_is_the_same_whatever_the_policy_and_new_for_each_replicate() {
    let mut by_replicate = Vec::new();
    for replicate in [0, 1] {
        let a = run_json("memory-leak-uncertain", "k8s-default", replicate, &[SHORT]);
        let b = run_json("memory-leak-uncertain", "gated-10pct", replicate, &[SHORT]);
        let (pa, pb) = (params(&a), params(&b));
        assert_eq!(pa, pb, "replicate {replicate}: the policy plays no part");
        let keys: Vec<&str> = pa.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, LEAK_KEYS, "sorted by key");
        // The resolved scenario holds the drawn values in place.
        let memory = &a["inputs"]["scenario_resolved"]["candidate"]["memory"];
        assert_eq!(memory["leak_kb_per_request"].as_f64(), Some(pa[0].1));
        assert_eq!(memory["leak_mb_per_second"].as_f64(), Some(pa[1].1));
        assert!((0.5..=8.0).contains(&pa[1].1), "{pa:?}");
        assert!(pa[0].1 > 0.0 && pa[0].1 <= 100.0, "{pa:?}");
        by_replicate.push(pa);
    }
    assert_ne!(by_replicate[0][0].1, by_replicate[1][0].1);
    assert_ne!(by_replicate[0][1].1, by_replicate[1][1].1);
}

#[test]
fn a_fixed_scenario_records_no_params() {
    let doc = run_json("memory-leak", "k8s-default", 0, &[SHORT]);
    assert!(doc["inputs"].get("params").is_none(), "{}", doc["inputs"]);
    let dir = temp_dir("uncertain-fixed");
    let out = dir.join("s");
    run_ok(&[
        "sweep",
        "--scenarios",
        "good-release",
        "--policies",
        "noop",
        "--seeds",
        "2",
        "--set",
        SHORT,
        "--out",
        out.to_str().unwrap(),
    ]);
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(
        runs.lines().next().unwrap().ends_with(",limit_hit"),
        "{runs}"
    );
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(!manifest.contains("\"uncertain\""), "{manifest}");
    fs::remove_dir_all(dir).unwrap();
}

/// A sweep of an uncertain and a fixed scenario under two policies.
fn sweep_args(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "sweep",
        "--scenarios",
        "memory-leak-uncertain,good-release",
        "--policies",
        "k8s-default,gated-10pct",
        "--seeds",
        "4",
        "--seed",
        "7",
        "--set",
        SHORT,
        "--bootstrap",
        "200",
    ]
    .map(String::from)
    .to_vec();
    a.extend(["--out".into(), out.display().to_string()]);
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn records(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn sweep_params_do_not_depend_on_threads_shards_or_a_resume() {
    let dir = temp_dir("uncertain-sweep");
    let one = dir.join("one");
    run_ok(&sweep_args(&one, &["--threads", "1"]));
    let runs = fs::read(one.join("runs.csv")).unwrap();

    let (header, rows) = records(&one.join("runs.csv"));
    let tail: Vec<&str> = header[header.len() - 3..]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "limit_hit",
            "param.candidate.memory.leak_kb_per_request",
            "param.candidate.memory.leak_mb_per_second"
        ],
        "one column per parameter, after the others, sorted"
    );
    let n = header.len();
    for r in &rows {
        let cells = (&r[n - 2], &r[n - 1]);
        match r[1].as_str() {
            "good-release" => assert_eq!(cells, (&String::new(), &String::new())),
            _ => assert!(cells.0.parse::<f64>().is_ok() && cells.1.parse::<f64>().is_ok()),
        }
    }
    // Runs 0-3 are k8s-default's replicates 0-3, runs 4-7 gated-10pct's: the same draws.
    for k in 0..4 {
        assert_eq!(rows[k][n - 2..], rows[k + 4][n - 2..], "replicate {k}");
    }
    assert_ne!(rows[0][n - 1], rows[1][n - 1]);
    // And the value `rollcage run` draws for replicate 2 is the one in the sweep.
    let alone = params(&run_json(
        "memory-leak-uncertain",
        "gated-10pct",
        2,
        &[SHORT],
    ));
    assert_eq!(rows[6][n - 1].parse::<f64>().unwrap(), alone[1].1);
    assert_eq!(rows[6][n - 2].parse::<f64>().unwrap(), alone[0].1);

    let two = dir.join("two");
    run_ok(&sweep_args(&two, &["--threads", "2"]));
    assert!(
        fs::read(two.join("runs.csv")).unwrap() == runs,
        "1 and 2 threads"
    );

    let shards: Vec<_> = (0..2).map(|i| dir.join(format!("shard{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        run_ok(&sweep_args(s, &["--shard", &format!("{i}/2")]));
    }
    let merged = dir.join("merged");
    let mut args = vec!["merge".to_string()];
    args.extend(shards.iter().map(|s| s.display().to_string()));
    args.extend(["--out".into(), merged.display().to_string()]);
    run_ok(&args);
    assert!(
        fs::read(merged.join("runs.csv")).unwrap() == runs,
        "shards merged"
    );
    assert_eq!(
        fs::read(merged.join("manifest.json")).unwrap(),
        fs::read(one.join("manifest.json")).unwrap()
    );

    // Stopped by a run that panics, then resumed: the same rows.
    let resumed = dir.join("resumed");
    let status = Command::new(env!("CARGO_BIN_EXE_rollcage"))
        .args(sweep_args(&resumed, &["--threads", "2"]))
        .env("ROLLCAGE_TEST_PANIC_AT_RUN", "5")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(4));
    let partial = fs::read_to_string(resumed.join("runs.csv.partial")).unwrap();
    assert_eq!(partial.lines().count(), 6, "the header and runs 0-4");
    run_ok(&sweep_args(&resumed, &["--resume"]));
    assert!(
        fs::read(resumed.join("runs.csv")).unwrap() == runs,
        "resumed"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn validate_refuses_a_draw_beyond_a_bound_and_accepts_one_at_it() {
    let dir = temp_dir("uncertain-validate");
    let scenario = |name: &str, leak: &str| {
        write_file(
            &dir,
            name,
            format!(
                "schema_version = 1\nname = \"{name}\"\n[candidate.memory]\nleak_mb_per_second = {leak}\n"
            ),
        )
    };
    // The key's minimum, 0, is inclusive: a uniform reaching it is accepted.
    let at = scenario("at.toml", "{ uniform = [0, 4] }");
    let out = run_ok(&["validate", &at]);
    assert!(
        out.contains(&format!("{at}: ok (scenario at.toml")),
        "{out}"
    );
    assert!(
        out.contains("1 uncertain parameter, each drawn per replicate"),
        "{out}"
    );
    assert!(
        out.contains("    candidate.memory.leak_mb_per_second: uniform [0, 4]"),
        "{out}"
    );
    // One part in a billion below it is refused, naming the file and the key.
    let below = scenario("below.toml", "{ uniform = [-1e-9, 4] }");
    run_fails(
        &["validate", &below],
        2,
        &format!(
            "{below}: candidate.memory.leak_mb_per_second: uniform [-1e-9, 4] can draw -1e-9, \
             which the key refuses: must be at least 0, found -1e-9"
        ),
    );
    for (name, leak, needle) in [
        (
            "open.toml",
            "{ lognormal = { median = 2, sigma = 0.5 } }",
            "lognormal (median 2, sigma 0.5) has no upper end (give it a `max`)",
        ),
        (
            "weights.toml",
            "{ choice = [1, 2], weights = [1, -1] }",
            "choice weights must be numbers of at least 0, found -1",
        ),
        (
            "unequal.toml",
            "{ choice = [1, 2], weights = [1] }",
            "choice has 2 values but 1 weights",
        ),
        (
            "order.toml",
            "{ uniform = [3, 1] }",
            "uniform [3, 1] needs low < high",
        ),
        (
            "sd.toml",
            "{ normal = { mean = 1, sd = 0, min = 0, max = 2 } }",
            "normal: `sd` must be positive, found 0",
        ),
        (
            "choice.toml",
            "{ choice = [1, -2] }",
            "choice [1, -2] can draw -2, which the key refuses",
        ),
    ] {
        let f = scenario(name, leak);
        run_fails(
            &["validate", &f],
            2,
            &format!("{f}: candidate.memory.leak_mb_per_second: {needle}"),
        );
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn set_takes_a_distribution() {
    let set = "scenario.candidate.memory.leak_mb_per_second={ uniform = [0.1, 2] }";
    let doc = run_json("memory-leak", "k8s-default", 3, &[SHORT, set]);
    let p = params(&doc);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0, "candidate.memory.leak_mb_per_second");
    assert!((0.1..=2.0).contains(&p[0].1), "{p:?}");
    let o = cli(&[
        "run",
        "--scenario",
        "memory-leak",
        "--policy",
        "noop",
        "--set",
        "scenario.candidate.memory.leak_mb_per_second={ uniform = [-1, 2] }",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "--set: candidate.memory.leak_mb_per_second: uniform [-1, 2] can draw -1, which the key refuses"
        ),
        "{}",
        stderr(&o)
    );
}

/// The time of the first OOM kill of a scenario whose candidate leaks only per request.
fn first_oom(rate: u32) -> f64 {
    let scenario = format!(
        "schema_version = 1\nname = \"per-request\"\n[run]\nhorizon_seconds = 700\n\
         [release]\nstart_seconds = 60\n[traffic]\nrate = {rate}\n\
         [candidate.memory]\nleak_kb_per_request = 400\n"
    );
    let (rec, _) = run_text(&scenario, "k8s-default", 1, &[]);
    rec.log
        .iter()
        .find(|e| e.kind == LogKind::Crash)
        .map(|e| e.at.as_secs_f64())
        .expect("a pod is OOM-killed")
}

/// `leak_kb_per_request` grows memory with each request served: 800 MB of headroom at
/// 400 KB a request is 2048 requests, 68 s at the 30 req/s a pod serves at 600 req/s
/// and 273 s at a quarter of that. The first candidate pod is ready at about 70 s.
#[test]
fn the_load_dependent_leak_grows_with_the_requests_served() {
    let (fast, slow) = (first_oom(600) - 70.0, first_oom(150) - 70.0);
    assert!((55.0..85.0).contains(&fast), "{fast}");
    let ratio = slow / fast;
    assert!((3.0..5.0).contains(&ratio), "{fast} s vs {slow} s");
}
