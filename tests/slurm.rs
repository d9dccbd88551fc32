//! A sweep through a real batch engine: the files `rollcage sweep --emit-job slurm`
//! writes are submitted, as they are, to a one-node Slurm cluster started on this
//! machine (`tests/support/slurm.rs`): an array of 4 shards and the merge job that
//! depends on it. The merged directory must be byte-identical to the same sweep run in
//! one process, and so must it after one array task is cancelled mid-run (`scancel
//! JOB_TASK`, which also cancels the pending merge) and resubmitted alone (`submit.sh
//! K`, i.e. `sbatch --array=K`), continuing from the rows it had written.
//!
//! The sweep names a scenario file in a directory called `it's a "dir"`, so its
//! arguments go through sbatch and sh with spaces and both quotes in them.
//!
//! Needs Debian's `slurm-wlm` and `munge` (see `tests/support/slurm.rs` for the
//! switches). Wall times go to stderr, never into an assertion.

#[path = "support/slurm.rs"]
mod slurm;

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{assert_same_dirs, temp_dir};
use slurm::{Cluster, TaskState};

const ROLLCAGE: &str = env!("CARGO_BIN_EXE_rollcage");
const SHARDS: u64 = 4;
/// CPUs of the test node: the machine's, at most 4.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(4))
}
/// The scenario file's directory and name, relative to the test's directory.
const SCENARIO_DIR: &str = "it's a \"dir\"";
const SCENARIO: &str = "it's a \"dir\"/checkout scenario.toml";
/// The longest an array or a merge may take here (a few seconds each, on 2 cores).
const JOB_WITHIN: Duration = Duration::from_secs(120);

/// A small sweep: 2 scenarios x 2 policies x 24 seeds, short horizons.
fn sweep_args() -> Vec<String> {
    [
        "sweep",
        "--scenarios",
        &format!("good-release,{SCENARIO}"),
        "--policies",
        "k8s-default,gated-10pct",
        "--set",
        "scenario.run.horizon_seconds=300",
        "--seeds",
        "24",
        "--seed",
        "5",
        "--bootstrap",
        "200",
    ]
    .map(String::from)
    .to_vec()
}

/// Runs rollcage in `dir`, which must succeed.
fn rollcage(dir: &Path, args: &[String]) {
    let out = Command::new(ROLLCAGE)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("rollcage runs");
    assert!(
        out.status.success(),
        "rollcage {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes the Slurm files for the sweep into `dir/jobs`.
fn emit(dir: &Path, jobs: &str) {
    let mut a = sweep_args();
    a.extend(
        [
            "--emit-job",
            "slurm",
            "--shards",
            &SHARDS.to_string(),
            "--out",
            jobs,
            "--rollcage-bin",
            ROLLCAGE,
        ]
        .map(String::from),
    );
    rollcage(dir, &a);
}

/// Runs `sh JOBS/submit.sh [TASKS]` in `dir`: (array job id, merge job id).
fn submit(cluster: &Cluster, dir: &Path, jobs: &str, tasks: Option<&str>) -> (String, String) {
    let mut cmd = cluster.command("sh");
    cmd.arg(format!("{jobs}/submit.sh")).current_dir(dir);
    if let Some(t) = tasks {
        cmd.arg(t);
    }
    let out = cmd.output().expect("sh runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "submit.sh failed: {text}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        cluster.log_tails()
    );
    // "submitted array job A (tasks T) and merge job M; ..."
    let id_after = |key: &str| {
        text.split(key)
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| panic!("no id after {key:?} in {text:?}"))
            .to_string()
    };
    (id_after("array job "), id_after("merge job "))
}

/// Whether Slurm is done with a job in this state.
fn ended(state: &str) -> bool {
    matches!(
        state,
        "COMPLETED"
            | "FAILED"
            | "CANCELLED"
            | "TIMEOUT"
            | "NODE_FAIL"
            | "OUT_OF_MEMORY"
            | "BOOT_FAIL"
            | "DEADLINE"
            | "PREEMPTED"
    )
}

/// Asserts every task completed, with the job's logs when one did not.
fn assert_completed(states: &[TaskState], dir: &Path, jobs: &str, cluster: &Cluster) {
    if states.iter().all(|t| t.state == "COMPLETED") {
        return;
    }
    let logs: String = fs::read_dir(dir.join(jobs).join("logs"))
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    format!(
                        "--- {} ---\n{}",
                        e.path().display(),
                        fs::read_to_string(e.path()).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    panic!("{states:?}\n{logs}\n{}", cluster.log_tails());
}

/// The data rows on disk of a shard's `runs.csv.partial` (complete lines past the
/// header).
fn rows_on_disk(shard: &Path) -> usize {
    fs::read_to_string(shard.join("runs.csv.partial"))
        .map(|t| t.matches('\n').count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn a_sweep_as_a_slurm_array_merges_to_the_one_process_sweep_even_after_a_cancelled_task() {
    if !slurm::available("tests/slurm.rs") {
        return;
    }
    let dir = temp_dir("slurm");
    fs::create_dir_all(dir.join(SCENARIO_DIR)).unwrap();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/checkout.toml"),
        dir.join(SCENARIO),
    )
    .unwrap();
    let cluster = Cluster::start(&dir.join("cluster"), cpus());

    let started = Instant::now();
    let mut whole = sweep_args();
    whole.extend(["--out", "whole", "--threads", &cpus().to_string()].map(String::from));
    rollcage(&dir, &whole);
    let one_process = started.elapsed();

    // Every task at once, then the merge.
    emit(&dir, "jobs");
    let started = Instant::now();
    let (array, merge) = submit(&cluster, &dir, "jobs", None);
    let tasks = cluster.wait_job(&array, JOB_WITHIN, ended);
    assert_completed(&tasks, &dir, "jobs", &cluster);
    assert_eq!(tasks.len(), SHARDS as usize, "{tasks:?}");
    let merged = cluster.wait_job(&merge, JOB_WITHIN, ended);
    assert_completed(&merged, &dir, "jobs", &cluster);
    let on_slurm = started.elapsed();
    assert_same_dirs(&dir.join("whole"), &dir.join("jobs/merged"));
    eprintln!(
        "slurm: {SHARDS} shards on a {}-CPU node, submit to merged: {:.1} s; one process with --threads {}: {:.1} s",
        cpus(),
        on_slurm.as_secs_f64(),
        cpus(),
        one_process.as_secs_f64()
    );

    // Task 1 cancelled mid-run: the merge is cancelled with it (its dependency can no
    // longer be met); the task resubmitted alone continues from its rows.
    emit(&dir, "jobs2");
    let (array, merge) = submit(&cluster, &dir, "jobs2", None);
    let shard1 = dir.join("jobs2/shards/shard-1");
    let deadline = Instant::now() + JOB_WITHIN;
    while rows_on_disk(&shard1) < 1 {
        assert!(
            Instant::now() < deadline,
            "task 1 wrote no row within {JOB_WITHIN:?}: {:?}\n{}",
            cluster.states(&array),
            cluster.log_tails()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let task1 = format!("{array}_1");
    cluster.run("scancel", &[&task1]);
    let t1 = cluster.wait_job(&task1, JOB_WITHIN, ended);
    assert_eq!(t1[0].state, "CANCELLED", "{t1:?}");
    assert!(
        !shard1.join("runs.csv").exists(),
        "task 1 finished before it was cancelled; the test needs a longer shard"
    );
    let kept = rows_on_disk(&shard1);
    let all = cluster.wait_job(&array, JOB_WITHIN, ended);
    let mut states: Vec<(&str, &str)> = all
        .iter()
        .map(|t| (t.array_task.as_deref().unwrap_or(""), t.state.as_str()))
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            ("0", "COMPLETED"),
            ("1", "CANCELLED"),
            ("2", "COMPLETED"),
            ("3", "COMPLETED")
        ],
        "{all:?}"
    );
    let m = cluster.wait_job(&merge, JOB_WITHIN, ended);
    assert_eq!(
        m[0].state, "CANCELLED",
        "the merge cannot run after a failed task: {m:?}"
    );
    assert!(!dir.join("jobs2/merged").exists());

    let (again, merge) = submit(&cluster, &dir, "jobs2", Some("1"));
    let retried = cluster.wait_job(&again, JOB_WITHIN, ended);
    assert_completed(&retried, &dir, "jobs2", &cluster);
    assert_eq!(retried.len(), 1, "only task 1 is resubmitted: {retried:?}");
    let merged = cluster.wait_job(&merge, JOB_WITHIN, ended);
    assert_completed(&merged, &dir, "jobs2", &cluster);
    // "N runs to go (K of T already done)": K counts the complete rows the cancelled
    // attempt left (about `kept`: it may have written one more before it died).
    let log = fs::read_to_string(dir.join(format!("jobs2/logs/{again}_1.out"))).unwrap();
    let resumed_from: usize = log
        .split_once(" runs to go (")
        .and_then(|(_, r)| r.split(' ').next())
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| panic!("the resubmitted task did not resume: {log}"));
    assert!(
        resumed_from >= kept && kept >= 1,
        "resumed from {resumed_from} rows, {kept} were on disk after the cancel: {log}"
    );
    assert_same_dirs(&dir.join("whole"), &dir.join("jobs2/merged"));
    drop(cluster);
    let _ = fs::remove_dir_all(&dir);
}
