//! Sensitivity end to end: a sweep over a scenario with three uncertain parameters, of
//! which only one can move the budget, ranks that one first on the budget with an
//! interval excluding 0, and the others' intervals include 0; `sensitivity.csv` is the
//! same whatever the thread count or the sharding.

mod common;

use std::fs;
use std::path::Path;

use common::{run_ok, temp_dir, write_file};

/// A 2% error regression's cousin whose size is uncertain (0 to 4%), beside two
/// parameters that cannot touch the budget: a leak far too slow to reach the memory
/// limit within the horizon, and a queue limit no queue comes near.
const SCENARIO: &str = r#"
schema_version = 1
name = "one-of-three"
description = "Only the error probability can move the budget"

[run]
horizon_seconds = 900

[release]
start_seconds = 60

[fleet]
queue_limit = { choice = [3000, 4000, 5000] }

[candidate]
error_probability = { uniform = [0.0, 0.04] }

[candidate.memory]
leak_mb_per_second = { uniform = [0.0, 0.0001] }
"#;

/// Sweeps the scenario file into `dir/out` (200 seeds under k8s-default) with `extra`.
fn sweep(dir: &Path, scenario: &str, out: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join(out);
    let out_text = out.display().to_string();
    let mut args = vec![
        "sweep",
        "--scenarios",
        scenario,
        "--policies",
        "k8s-default",
        "--seeds",
        "200",
        "--seed",
        "1",
        "--bootstrap",
        "400",
        "--out",
        &out_text,
    ];
    args.extend(extra);
    run_ok(&args);
    out
}

#[test]
fn the_one_parameter_that_moves_the_budget_ranks_first() {
    let dir = temp_dir("sensitivity-e2e");
    let scenario = write_file(&dir, "one-of-three.toml", SCENARIO);
    let one = fs::read(sweep(&dir, &scenario, "one", &["--threads", "1"]).join("sensitivity.csv"))
        .unwrap();

    let mut r = csv::Reader::from_reader(one.as_slice());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let budget: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect::<Vec<_>>())
        .filter(|row| row[col("metric")] == "budget_consumed_pct")
        .collect();
    assert_eq!(budget.len(), 3, "{budget:?}");
    let num = |row: &Vec<String>, name: &str| row[col(name)].parse::<f64>().unwrap();
    let first = &budget[0];
    assert_eq!(first[col("parameter")], "candidate.error_probability");
    assert_eq!(first[col("rank")], "1");
    assert_eq!(num(first, "n"), 200.0);
    assert!(
        num(first, "rho") > 0.8 && num(first, "rho_lo") > 0.0,
        "the error probability drives the budget: {first:?}"
    );
    for other in &budget[1..] {
        assert!(
            num(other, "rho_lo") < 0.0 && num(other, "rho_hi") > 0.0,
            "a parameter that cannot move the budget: {other:?}"
        );
    }

    // The same file on two threads and from two shards merged.
    let two = sweep(&dir, &scenario, "two", &["--threads", "2"]);
    assert!(fs::read(two.join("sensitivity.csv")).unwrap() == one);
    let shards: Vec<String> = (0..2)
        .map(|i| {
            let shard = format!("{i}/2");
            let out = sweep(&dir, &scenario, &format!("shard{i}"), &["--shard", &shard]);
            out.display().to_string()
        })
        .collect();
    let merged = dir.join("merged").display().to_string();
    run_ok(&["merge", &shards[0], &shards[1], "--out", &merged]);
    assert!(fs::read(Path::new(&merged).join("sensitivity.csv")).unwrap() == one);
    fs::remove_dir_all(dir).unwrap();
}
