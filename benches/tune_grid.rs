//! The race against the exhaustive grid on the built-in example space
//! (`examples/tune/space.toml`: 224 candidates over three weighted scenarios): runs
//! `rollcage tune` and `rollcage tune --exhaustive` through the library on the same
//! seeds, times both, and checks what the issue asks: the race picks the grid's best,
//! or one the grid cannot separate from it (its paired difference's 95% interval
//! reaches zero), with at most a quarter of the grid's runs; and every run the race
//! made is the grid's run of the same candidate, scenario and replicate.
//!
//! Not a criterion benchmark (one grid is minutes, not a sample of milliseconds):
//! `cargo bench --bench tune_grid` prints one table and exits non-zero if a check
//! fails. `TUNE_THREADS` sets the worker threads (default: one per CPU); the figures
//! are recorded in BENCHMARKS.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use reports::artifacts::runs_csv::RunsCsv;
use reports::artifacts::tune_json::TuneJson;
use reports::tune::Verdict;
use runner::sweep::Silent;
use runner::tune::plan::{TuneRequest, plan};
use runner::tune::{TuneOptions, tune};

fn run(space: &Path, out: &Path, exhaustive: bool, threads: usize) -> (TuneJson, f64) {
    let p = plan(
        TuneRequest {
            space: space.to_path_buf(),
            master_seed: 1,
            confidence: None,
            budget_runs: None,
            exhaustive,
            sets: Vec::new(),
        },
        "bench",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let report = tune(
        &p,
        TuneOptions {
            out,
            threads,
            resume: false,
            force: true,
        },
        "bench",
        &Silent,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (report.doc, started.elapsed().as_secs_f64())
}

/// Each run of a runs file by (scenario, policy, replicate), its fields without the
/// run id.
fn runs(path: &Path) -> BTreeMap<(String, String, u64), Vec<String>> {
    let t = RunsCsv::from_bytes(&std::fs::read(path).expect("runs file")).expect("reads");
    t.rows
        .iter()
        .map(|r| {
            let mut f = r.fields();
            f.remove(0);
            ((r.scenario.clone(), r.policy.clone(), r.replicate), f)
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let threads = std::env::var("TUNE_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let space = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/tune/space.toml"
    ));
    let root = std::env::temp_dir().join(format!("rollcage-bench-tune-{}", std::process::id()));
    let (race_dir, grid_dir) = (root.join("race"), root.join("grid"));
    let (race, race_s) = run(&space, &race_dir, false, threads);
    let (grid, grid_s) = run(&space, &grid_dir, true, threads);
    let chosen = race.best.clone().expect("the race chose a policy");
    let grid_best = grid.best.clone().expect("the grid has a best");
    let row = grid
        .candidates
        .iter()
        .find(|c| c.name == chosen)
        .expect("the chosen is a candidate");
    let same = chosen == grid_best;
    let not_separated = row.verdict == Verdict::NotSeparated;
    let share = race.runs_used() as f64 / grid.runs.race as f64;
    let all = runs(&grid_dir.join("tune-runs.csv"));
    let mut mismatched = 0;
    let mut compared = 0;
    for (key, fields) in runs(&race_dir.join("tune-runs.csv")) {
        if key.1 == race.policy {
            continue;
        }
        compared += 1;
        mismatched += usize::from(all.get(&key) != Some(&fields));
    }
    println!("| what | runs | share of the grid | wall time | best |");
    println!("|---|---:|---:|---:|---|");
    println!(
        "| race (`rollcage tune`) | {} ({} racing + {} base) | {:.1}% | {race_s:.1} s | `{chosen}` |",
        race.runs_used(),
        race.runs.race,
        race.runs.base,
        100.0 * share
    );
    println!(
        "| grid (`--exhaustive`) | {} | 100% | {grid_s:.1} s | `{grid_best}` |",
        grid.runs.race
    );
    println!(
        "\n{threads} threads; race: {} rounds, stopped because {}; {} candidates not separated from its best",
        race.rounds.len(),
        race.stop.describe(),
        race.not_separated.len()
    );
    println!(
        "the race's best in the grid: verdict {}, paired difference from the grid's best {:?}",
        row.verdict.name(),
        row.versus_best
    );
    println!(
        "common random numbers: {compared} race runs compared with the grid's, {mismatched} differ"
    );
    let ok = (same || not_separated) && share <= 0.25 && mismatched == 0;
    let _ = std::fs::remove_dir_all(&root);
    if !ok {
        eprintln!(
            "tune_grid: a check failed (same or not separated: {}, share {share:.3}, mismatched {mismatched})",
            same || not_separated
        );
        std::process::exit(1);
    }
}
