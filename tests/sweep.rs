//! Sweeps end to end through the binary: determinism across threads, repeats, shards
//! and a kill-and-resume; a run that panics, and a second writer on one directory;
//! refusals and clear errors on bad input. Every sweep here is short (300 s horizons,
//! a few seeds) so the suite stays fast on 2 cores.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_same_dirs, cli, files, run_fails, run_ok, stderr, temp_dir};

const SHORT: &str = "scenario.run.horizon_seconds=300";

/// A small sweep: 2 scenarios (a good release, a bad one) x 2 policies x `seeds`.
fn sweep_args(out: &Path, seeds: u64, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "sweep",
        "--scenarios",
        "good-release,error-regression",
        "--policies",
        "k8s-default,gated-10pct",
        "--set",
        SHORT,
        "--bootstrap",
        "200",
        "--seed",
        "7",
    ]
    .map(String::from)
    .to_vec();
    a.extend(["--seeds".into(), seeds.to_string()]);
    a.extend(["--out".into(), out.display().to_string()]);
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// The data rows of a CSV file, parsed (names with commas are quoted).
fn records(path: &Path) -> Vec<Vec<String>> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// The position of a named column of `runs.csv`.
fn column(dir: &Path, name: &str) -> usize {
    csv::Reader::from_path(dir.join("runs.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

const SWEEP_FILES: [&str; 13] = [
    "charts/budget-1-good-release.png",
    "charts/budget-2-error-regression.png",
    "charts/pareto.png",
    "charts/rates.png",
    "charts/ttd-1-error-regression.png",
    "manifest.json",
    "paired.csv",
    "pareto.csv",
    "report.html",
    "report.md",
    "runs.csv",
    "summary.csv",
    "summary.json",
];

#[test]
fn one_and_two_threads_write_identical_files() {
    let dir = temp_dir("sweep-threads");
    let (one, two) = (dir.join("one"), dir.join("two"));
    run_ok(&sweep_args(&one, 4, &["--threads", "1"]));
    let args = sweep_args(&two, 4, &["--threads", "2"]);
    let o = cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    // Wall-clock figures go to stderr; no progress bar when it is not a terminal, but
    // plain progress lines (every tenth of the runs or 10 s), as a CI log needs.
    let err = stderr(&o);
    assert!(
        err.contains("16 runs in") && err.contains("runs/s"),
        "{err}"
    );
    assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
    assert!(err.contains("rollcage sweep: 16 runs to go"), "{err}");
    let progress: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("rollcage sweep: ") && l.contains(" runs ("))
        .collect();
    assert!(
        progress
            .last()
            .is_some_and(|l| l.starts_with("rollcage sweep: 16/16 runs (100%), ")),
        "{err}"
    );
    assert!(
        (2..=10).contains(&progress.len()),
        "a line per tenth at most: {progress:?}"
    );
    let names: Vec<String> = files(&one).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, SWEEP_FILES);
    assert_same_dirs(&one, &two);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn repeated_sweeps_write_identical_files() {
    let dir = temp_dir("sweep-repeat");
    let (a, b) = (dir.join("a"), dir.join("b"));
    run_ok(&sweep_args(&a, 3, &["--threads", "2"]));
    run_ok(&sweep_args(&b, 3, &["--threads", "2"]));
    assert_same_dirs(&a, &b);
    // A different master seed draws different runs.
    let c = dir.join("c");
    let mut args = sweep_args(&c, 3, &["--threads", "2"]);
    let at = args.iter().position(|a| a == "--seed").unwrap();
    args[at + 1] = "8".into();
    run_ok(&args);
    assert_ne!(
        fs::read(a.join("runs.csv")).unwrap(),
        fs::read(c.join("runs.csv")).unwrap()
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn three_shards_merge_into_the_unsharded_sweep() {
    let dir = temp_dir("sweep-shards");
    let whole = dir.join("whole");
    run_ok(&sweep_args(&whole, 5, &["--threads", "2"]));
    let shards: Vec<PathBuf> = (0..3).map(|i| dir.join(format!("shard{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        let spec = format!("{i}/3");
        let out = run_ok(&sweep_args(s, 5, &["--threads", "1", "--shard", &spec]));
        assert!(out.contains(&format!("shard {spec}")), "{out}");
        assert!(
            !s.join("summary.json").exists(),
            "a shard is summarised by merge"
        );
    }
    // Shard 2 of 3 over 5 seeds holds replicates 2 (not 5): one per group, 4 groups.
    assert_eq!(
        fs::read_to_string(shards[2].join("runs.csv"))
            .unwrap()
            .lines()
            .count(),
        1 + 4
    );
    let merged = dir.join("merged");
    let mut args: Vec<String> = vec!["merge".into()];
    // Any order of the shard directories.
    for s in [&shards[2], &shards[0], &shards[1]] {
        args.push(s.display().to_string());
    }
    args.extend(["--out".into(), merged.display().to_string()]);
    run_ok(&args);
    assert_same_dirs(&whole, &merged);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn resume_after_a_kill_finishes_byte_identical() {
    let dir = temp_dir("sweep-resume");
    let (killed, whole) = (dir.join("killed"), dir.join("whole"));
    // 2 x 2 x 40 = 160 runs on one thread: seconds, long enough to kill mid-way.
    let args = sweep_args(&killed, 40, &["--threads", "1"]);
    let partial = killed.join("runs.csv.partial");
    let mut child = spawn_until_rows(&args, &partial, 6);
    let pid = child.id();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!killed.join("runs.csv").exists(), "killed before the end");
    // The killed sweep's lock file stays behind, naming it; the kernel released the
    // lock itself, so it blocks nobody (the resume below takes it over).
    assert_eq!(
        fs::read_to_string(killed.join(".rollcage.lock"))
            .unwrap()
            .trim(),
        pid.to_string()
    );
    assert!(!killed.join("summary.json").exists());
    // A torn write: half a row after the last complete one.
    let mut text = fs::read(&partial).unwrap();
    let done = text.iter().filter(|&&b| b == b'\n').count() - 1;
    assert!(done < 160, "{done} runs done");
    text.extend_from_slice(b"9999,good-release,k8s-def");
    fs::write(&partial, text).unwrap();

    // Without --resume or --force the directory is refused.
    run_fails(&args, 2, "--resume");
    // Resuming with other inputs is refused, naming what differs.
    let mut other = sweep_args(&killed, 41, &["--resume"]);
    other.extend(["--threads".into(), "2".into()]);
    run_fails(&other, 2, "differs in: runs, seeds");

    let resumed = run_ok(&sweep_args(&killed, 40, &["--threads", "2", "--resume"]));
    assert!(resumed.contains("Recommendation"), "{resumed}");
    assert!(!killed.join(".rollcage.lock").exists());
    run_ok(&sweep_args(&whole, 40, &["--threads", "2"]));
    assert_same_dirs(&killed, &whole);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn force_starts_over_and_resume_of_a_complete_sweep_changes_nothing() {
    let dir = temp_dir("sweep-force");
    let out = dir.join("out");
    run_ok(&sweep_args(&out, 2, &[]));
    let before = files(&out);
    run_ok(&sweep_args(&out, 2, &["--resume"]));
    assert_eq!(files(&out), before);
    fs::write(out.join("notes.txt"), "mine").unwrap();
    run_ok(&sweep_args(&out, 3, &["--force"]));
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["seeds"], 3);
    // A directory that is not a sweep is not resumed.
    run_fails(
        &sweep_args(&dir, 2, &["--resume"]),
        2,
        "not a sweep directory",
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn grid_variants_share_seeds_and_are_named_in_every_file() {
    let dir = temp_dir("sweep-grid");
    let out = dir.join("out");
    let text = run_ok(
        &[
            "sweep",
            "--scenarios",
            "steady,error-regression",
            "--policies",
            "reference",
            "--grid",
            "policy.max_unavailable=1,10%",
            "--grid",
            "policy.bake_seconds=0,60",
            "--seeds",
            "3",
            "--set",
            SHORT,
            "--bootstrap",
            "100",
            "--out",
            out.to_str().unwrap(),
        ]
        .map(String::from),
    );
    let name = "reference[max_unavailable=10%,bake_seconds=60]";
    assert!(text.contains(name), "{text}");
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    let mut lines = runs.lines();
    assert!(lines.next().unwrap().starts_with(
        "run_id,scenario,policy,policy.max_unavailable,policy.bake_seconds,seed,replicate,outcome,"
    ));
    let rows = records(&out.join("runs.csv"));
    assert_eq!(rows.len(), 2 * 4 * 3);
    assert_eq!(&rows[9][..7], ["9", "steady", name, "10%", "60", "1", "0"]);
    // `steady` releases nothing, so every variant sees exactly the same run for the
    // same replicate: common random numbers.
    for k in 0..3 {
        let figures: Vec<&[String]> = rows[..12]
            .iter()
            .filter(|r| r[6] == k.to_string())
            .map(|r| &r[7..])
            .collect();
        assert_eq!(figures.len(), 4);
        assert!(figures.windows(2).all(|w| w[0] == w[1]), "replicate {k}");
    }
    let pareto = fs::read_to_string(out.join("pareto.csv")).unwrap();
    assert_eq!(pareto.lines().count(), 1 + 4);
    assert!(pareto.contains(name));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn summary_rates_and_recommendation_follow_the_runs() {
    let dir = temp_dir("sweep-summary");
    let out = dir.join("out");
    let text = run_ok(&sweep_args(&out, 6, &["--max-budget-p95", "0%"]));
    assert!(text.contains("Recommendation: none"), "{text}");
    let runs = records(&out.join("runs.csv"));
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["schema_version"], 1);
    assert!(summary["recommendation"]["policy"].is_null());
    assert_eq!(
        summary["recommendation"]["constraints"]["max_budget_p95_pct"],
        0.0
    );
    for g in summary["groups"].as_array().unwrap() {
        let (s, p) = (
            g["scenario"].as_str().unwrap(),
            g["policy"].as_str().unwrap(),
        );
        let mine: Vec<&Vec<String>> = runs.iter().filter(|r| r[1] == s && r[2] == p).collect();
        assert_eq!(g["n"], mine.len());
        let (release_fault, detect) = (
            column(&out, "t_release_fault_active_s"),
            column(&out, "t_detect_s"),
        );
        let fault: Vec<&&Vec<String>> = mine
            .iter()
            .filter(|r| !r[release_fault].is_empty())
            .collect();
        assert_eq!(g["fault_runs"], fault.len(), "{s} {p}");
        let escaped = mine.iter().filter(|r| r[5] == "escaped").count();
        let detected = fault.iter().filter(|r| !r[detect].is_empty()).count();
        if fault.is_empty() {
            assert!(g["detection_rate"].is_null());
            assert_eq!(g["false_rollback_rate"]["n"], mine.len());
        } else {
            assert_eq!(g["escape_rate"]["k"], escaped);
            assert_eq!(g["detection_rate"]["k"], detected);
            assert_eq!(g["undetected"], fault.len() - detected);
        }
    }
    // The same sweep with the default limits recommends a frontier policy.
    let relaxed = dir.join("relaxed");
    run_ok(&sweep_args(&relaxed, 6, &["--max-deploy-p50", "2h"]));
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(relaxed.join("summary.json")).unwrap()).unwrap();
    let chosen = summary["recommendation"]["policy"]
        .as_str()
        .unwrap()
        .to_string();
    let point = summary["pareto"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["policy"] == chosen.as_str())
        .unwrap();
    assert_eq!(point["frontier"], true);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_sweep_input_exits_2_with_a_clear_message() {
    let dir = temp_dir("sweep-bad");
    let out = dir.join("out");
    let cases: [(&[&str], &str); 15] = [
        (&["--shard", "3/3"], "I must be less than N"),
        (&["--shard", "a/b"], "not a whole number"),
        (&["--shard", "0/100001"], "N must be at most 100000"),
        // The overflow: 2 x 2 x (2^64 - 1) runs used to wrap to a small count.
        (
            &["--seeds", "18446744073709551615"],
            "error: --seeds: expected a whole number from 1 to 1000000000, found 18446744073709551615",
        ),
        (
            &["--seeds", "1000000001"],
            "--seeds: expected a whole number from 1 to 1000000000",
        ),
        (
            &["--seeds", "250000001"],
            "--seeds 250000001: 2 scenarios × 2 policy variants × 250000001 seeds is more than the 1000000000 runs a sweep may hold",
        ),
        (
            &["--seeds", "0"],
            "--seeds: expected a whole number from 1 to 1000000000, found 0",
        ),
        (
            &["--bootstrap", "0"],
            "--bootstrap: expected a whole number from 100 to 100000, found 0",
        ),
        (
            &["--bootstrap", "99"],
            "--bootstrap: expected a whole number from 100 to 100000, found 99",
        ),
        (
            &["--bootstrap", "100001"],
            "--bootstrap: expected a whole number from 100 to 100000, found 100001",
        ),
        (
            &["--threads", "1025"],
            "--threads: expected a whole number from 1 to 1024, found 1025",
        ),
        (
            &["--grid", "policy.max_unavailable=2,lots"],
            "policy k8s-default[max_unavailable=lots]",
        ),
        (
            &["--grid", "scenario.fleet.replicas=3,4"],
            "grid keys are policy fields",
        ),
        (
            &["--baseline", "nope"],
            "--baseline nope: not among the swept policies",
        ),
        (
            &["--threads", "0"],
            "--threads: expected a whole number from 1 to 1024, found 0",
        ),
    ];
    for (extra, expected) in cases {
        // The case's flag replaces the one `sweep_args` gives (--seeds, --bootstrap),
        // or is added.
        let mut args = sweep_args(&out, 2, &[]);
        match args.iter().position(|a| a == extra[0]) {
            Some(at) => args[at + 1] = extra[1].to_string(),
            None => args.extend(extra.iter().map(|s| s.to_string())),
        }
        run_fails(&args, 2, expected);
        assert!(
            !out.exists(),
            "{extra:?}: nothing written before the inputs check out"
        );
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn merge_refuses_incompatible_or_missing_shards() {
    let dir = temp_dir("sweep-merge-bad");
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    run_ok(&sweep_args(&a, 2, &["--shard", "0/2"]));
    run_ok(&sweep_args(&b, 3, &["--shard", "1/2"]));
    run_ok(&sweep_args(&c, 2, &["--shard", "0/2"]));
    let merge_refused = |dirs: &[&Path], needle: &str| {
        let mut args: Vec<String> = vec!["merge".into()];
        args.extend(dirs.iter().map(|d| d.display().to_string()));
        args.extend(["--out".into(), dir.join("merged").display().to_string()]);
        run_fails(&args, 2, needle);
    };
    merge_refused(&[&a, &b], "shards of different sweeps");
    merge_refused(&[&a], "missing shard 1/2");
    merge_refused(&[&a, &c], "both are shard 0/2");
    let d = dir.join("d");
    run_ok(&sweep_args(&d, 2, &["--shard", "1/2"]));
    let mut args: Vec<String> = vec!["merge".into(), a.display().to_string()];
    args.push(d.display().to_string());
    args.extend(["--out".into(), a.display().to_string(), "--force".into()]);
    run_fails(&args, 2, "--out is one of the shards");
    merge_refused(&[&dir], "no manifest.json");
    assert!(!dir.join("merged").exists());
    fs::remove_dir_all(dir).unwrap();
}

/// Starts a sweep in the background and waits until its `partial` file holds `rows`
/// lines (the header counts), the sweep still running.
fn spawn_until_rows(args: &[String], partial: &Path, rows: usize) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollcage"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while fs::read_to_string(partial).map_or(0, |t| t.lines().count()) < rows {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep finished before {rows} lines were written"
        );
        assert!(Instant::now() < deadline, "no rows after two minutes");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

/// Waits for `child` at most `limit`, killing it if it is still running then.
fn wait_bounded(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A run that panics (through the test-only hook the end-to-end tests build the binary
/// with; see `runner`'s `test-hooks` feature) stops the sweep with exit 4, names the
/// run and a command reproducing it, keeps exactly the rows before it, and `--resume`
/// then finishes the sweep byte-identical to one never interrupted.
#[test]
fn a_panicking_run_stops_the_sweep_resumably() {
    let dir = temp_dir("sweep-panic");
    let (out, whole) = (dir.join("panicked"), dir.join("whole"));
    // 2 scenarios x 4 variants x 3 seeds = 24 runs; run 7 is group 2 (good-release
    // under gated-10pct[bake_seconds=30]), replicate 1.
    let grid = ["--grid", "policy.bake_seconds=30,60", "--threads", "2"];
    let args = sweep_args(&out, 3, &grid);
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollcage"))
        .args(&args)
        .env("ROLLCAGE_TEST_PANIC_AT_RUN", "7")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_bounded(&mut child, Duration::from_secs(120));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(4), "{err}");
    let reproduce = "rollcage run --scenario good-release --policy gated-10pct --seed 7 \
                     --replicate 1 --set 'scenario.run.horizon_seconds=300' --set 'policy.bake_seconds=30'";
    for needle in [
        "error: run 7 (good-release under gated-10pct[bake_seconds=30], master seed 7, replicate 1) panicked: test hook: run 7 panics on purpose",
        &format!("reproduce it alone with: {reproduce}\n"),
        "runs.csv.partial holds the 7 runs before it",
        "the same command with --resume continues from there",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    // Exactly the rows before run 7, in order; nothing summarised, nothing renamed.
    let partial = out.join("runs.csv.partial");
    let rows = records(&partial);
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["0", "1", "2", "3", "4", "5", "6"]);
    let expected = records(&partial);
    assert!(!out.join("runs.csv").exists() && !out.join("summary.json").exists());
    assert!(
        !out.join(".rollcage.lock").exists(),
        "released on the error path"
    );

    // The reproduce command is one the binary takes (the hook is not set here).
    let words: Vec<String> = reproduce
        .split(' ')
        .skip(1)
        .map(|w| w.trim_matches('\'').to_string())
        .collect();
    run_ok(&words);

    // Fixed (no hook): --resume finishes it, identical to a sweep never interrupted.
    run_ok(&sweep_args(
        &out,
        3,
        &[&grid[..], &["--resume"][..]].concat(),
    ));
    run_ok(&sweep_args(&whole, 3, &grid));
    assert_same_dirs(&out, &whole);
    assert_eq!(records(&whole.join("runs.csv"))[..7], expected[..]);
    fs::remove_dir_all(dir).unwrap();
}

/// Two processes on one directory: while a sweep writes it, a second sweep, a
/// `--resume`, a `--force` and a `report` on it are refused naming the directory and
/// the first sweep's pid, and the first sweep's files end up as if it had run alone.
#[test]
fn a_second_writer_is_refused_while_a_sweep_runs() {
    let dir = temp_dir("sweep-lock");
    let (first, alone) = (dir.join("first"), dir.join("alone"));
    // 2 x 2 x 60 = 240 runs on one thread: several seconds.
    let args = sweep_args(&first, 60, &["--threads", "1"]);
    // Rows on disk mean the lock is held (it is taken before anything is written).
    let mut child = spawn_until_rows(&args, &first.join("runs.csv.partial"), 2);
    let holder = format!(
        "{}: another rollcage process (pid {}) is writing this directory",
        first.display(),
        child.id()
    );
    let mut report = vec!["report".to_string(), first.display().to_string()];
    for second in [
        sweep_args(&first, 60, &["--threads", "1", "--resume"]),
        sweep_args(&first, 60, &["--threads", "1"]),
        sweep_args(&first, 60, &["--threads", "1", "--force"]),
        std::mem::take(&mut report),
    ] {
        run_fails(&second, 2, &holder);
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first sweep was still running during every refusal"
    );
    let status = wait_bounded(&mut child, Duration::from_secs(300));
    assert!(status.success());
    run_ok(&sweep_args(&alone, 60, &["--threads", "2"]));
    // Intact, no duplicated rows, and no lock file left among the outputs.
    assert_same_dirs(&first, &alone);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn merge_blames_a_damaged_row_on_its_shard_file_and_line() {
    let dir = temp_dir("sweep-merge-row");
    let (a, b) = (dir.join("a"), dir.join("b"));
    run_ok(&sweep_args(&a, 2, &["--shard", "0/2"]));
    run_ok(&sweep_args(&b, 2, &["--shard", "1/2"]));
    // The second row of shard b (line 3) gets a budget that is not a number.
    let path = b.join("runs.csv");
    let budget = column(&b, "budget_consumed_pct");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header = reader.headers().unwrap().clone();
    let mut rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut damaged: Vec<String> = rows[1].iter().map(String::from).collect();
    damaged[budget] = "lots".into();
    rows[1] = csv::StringRecord::from(damaged);
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&header).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let merged = dir.join("merged");
    let o = cli(&[
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}: line 3: ", path.display())) && err.contains("lots"),
        "{err}"
    );
    assert!(!err.contains("merged"), "not blamed on the output: {err}");
    assert!(!merged.join("runs.csv").exists());
    fs::remove_dir_all(dir).unwrap();
}
