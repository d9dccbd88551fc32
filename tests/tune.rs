//! `rollcage tune` end to end through the binary: a planted winner found with few
//! runs, two candidates alike both reported, a space where every candidate breaks a
//! limit, byte-identical files across threads and across a kill and `--resume`, the
//! race against the exhaustive grid over the same seeds, exports, and bad space files
//! refused naming the file, the key and the reason. Runs are small (6 pods, 50
//! requests/s, 15-minute horizons) so the suite stays fast on 2 cores.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_same_dirs, cli, run_fails, run_ok, stderr, stdout, temp_dir, write_file};
use reports::artifacts::runs_csv::RunsCsv;
use reports::artifacts::tune_csv;
use reports::artifacts::tune_json::TuneJson;
use reports::tune::{Stop, Verdict};

/// The fixed part of every test space: the base policy and small, fast runs.
const HEAD: &str = r#"schema_version = 1
policy = "gated-10pct"
set = [
    "scenario.fleet.replicas=6",
    "scenario.traffic.rate=50",
    "scenario.run.horizon_seconds=900",
]
"#;

const GOOD: &str = "[[scenarios]]\nscenario = \"good-release\"\nweight = 0.8\n";
const THREE: &str = "[[scenarios]]\nscenario = \"good-release\"\nweight = 0.8\n\
    [[scenarios]]\nscenario = \"memory-leak\"\nweight = 0.1\n\
    [[scenarios]]\nscenario = \"error-regression\"\nweight = 0.1\n";

fn space(dir: &Path, body: &str) -> String {
    write_file(dir, "space.toml", format!("{HEAD}{body}"))
}

fn tune_args(space: &str, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a = vec![
        "tune".to_string(),
        space.to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn doc(out: &Path) -> TuneJson {
    TuneJson::from_bytes(&fs::read(out.join("tune.json")).unwrap()).unwrap()
}

/// Sixteen variants of which one (no bake, half the fleet at a time) is by far the
/// fastest good release.
const PLANTED: &str = r#"
[[parameters]]
key = "policy.max_surge"
values = [1, 3]

[[parameters]]
key = "policy.bake_seconds"
range = [0, 210]
step = 30

# The objective alone decides here.
[constraints]
max_budget_p95 = "none"
max_deploy_p50 = "none"
max_false_rollback = "none"

[race]
first_seeds = 5
max_seeds = 80
"#;

#[test]
fn a_planted_clear_winner_is_found_with_few_runs() {
    let dir = temp_dir("tune-planted");
    let s = space(&dir, &format!("{GOOD}{PLANTED}"));
    let out = dir.join("out");
    let text = run_ok(&tune_args(&s, &out, &[]));
    let d = doc(&out);
    let best = d.best_result().unwrap();
    assert_eq!(best.name, "gated-10pct[max_surge=3,bake_seconds=0]");
    assert!(d.confident && d.not_separated.is_empty(), "{text}");
    assert_eq!(d.stop, Stop::OneLeft);
    assert!(
        text.starts_with(
            "best: gated-10pct[max_surge=3,bake_seconds=0] — best with 95% confidence"
        ),
        "{text}"
    );
    // Every other candidate goes in the first round; the winner alone then runs on to
    // the most seeds: 16 × 5 + 75 runs of the 16 × 80 a grid takes.
    assert_eq!(d.rounds[0].worse.len(), 15);
    assert_eq!((d.runs.race, d.runs.grid), (16 * 5 + 75, 16 * 80));
    assert!(
        d.runs.race * 4 <= d.runs.grid,
        "at most a quarter of the grid"
    );
    assert_eq!(best.seeds, 80);
    // The chosen policy reads back, and runs.
    let best_toml = out.join("best.toml");
    let v = run_ok(&["validate", &best_toml.display().to_string()]);
    assert!(v.contains("ok (policy gated-10pct, rolling)"), "{v}");
    let toml = fs::read_to_string(&best_toml).unwrap();
    assert!(
        toml.contains("max_surge = 3") && toml.contains("bake_seconds = 0"),
        "{toml}"
    );
    assert!(toml.starts_with("# Chosen by `rollcage tune "), "{toml}");
    // tune.csv reads back byte for byte, one row per candidate.
    let bytes = fs::read(out.join("tune.csv")).unwrap();
    let (keys, rows) = tune_csv::from_bytes(&bytes).unwrap();
    assert_eq!(keys, ["policy.max_surge", "policy.bake_seconds"]);
    assert_eq!(rows.len(), 16);
    assert_eq!(tune_csv::to_bytes(&keys, &rows), bytes);
    // The same candidates and verdicts as tune.json (which keeps every digit).
    let names = |v: &[reports::tune::CandidateResult]| -> Vec<(String, Verdict)> {
        v.iter().map(|c| (c.name.clone(), c.verdict)).collect()
    };
    assert_eq!(names(&rows), names(&d.candidates));
    let worse = rows.iter().filter(|r| r.verdict == Verdict::Worse).count();
    assert_eq!(worse, 15);
    assert!(
        rows[0]
            .reason
            .starts_with("worse than gated-10pct[max_surge=3,bake_seconds=0] by")
    );
    // The report is rewritten byte for byte by `rollcage report`.
    let html = fs::read(out.join("report.html")).unwrap();
    let r = run_ok(&["report", &out.display().to_string()]);
    assert!(r.contains("(tune report;"), "{r}");
    assert_eq!(fs::read(out.join("report.html")).unwrap(), html);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn two_candidates_alike_are_both_reported() {
    let dir = temp_dir("tune-alike");
    // The description changes nothing a run sees: the two fast variants are the same
    // policy under two names.
    let body = format!(
        "{GOOD}
[[parameters]]
key = \"policy.max_surge\"
values = [\"17%\", \"50%\"]

[[parameters]]
key = \"policy.description\"
values = [\"first\", \"second\"]

[race]
first_seeds = 5
max_seeds = 20
"
    );
    let s = space(&dir, &body);
    let out = dir.join("out");
    let text = run_ok(&tune_args(&s, &out, &[]));
    let d = doc(&out);
    assert_eq!(d.stop, Stop::MaxSeeds);
    assert!(!d.confident);
    assert_eq!(
        d.best.as_deref(),
        Some("gated-10pct[max_surge=50%,description=first]"),
        "ties go to the first in the space's order"
    );
    assert_eq!(
        d.not_separated,
        ["gated-10pct[max_surge=50%,description=second]"]
    );
    let twin = &d.candidates[3];
    assert_eq!((twin.verdict, twin.seeds), (Verdict::NotSeparated, 20));
    assert_eq!(twin.versus_best.unwrap().value, 0.0);
    assert!(
        text.contains("not separated from it: gated-10pct[max_surge=50%,description=second]"),
        "{text}"
    );
    let toml = fs::read_to_string(out.join("best.toml")).unwrap();
    assert!(toml.contains("# the best by its estimates; not separated from gated-10pct[max_surge=50%,description=second]"), "{toml}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_space_where_every_candidate_breaks_a_limit_says_so() {
    let dir = temp_dir("tune-infeasible");
    // No variant deploys six pods in half a minute.
    let body = format!(
        "{GOOD}
[[parameters]]
key = \"policy.max_surge\"
values = [\"17%\", \"50%\"]

[[parameters]]
key = \"policy.bake_seconds\"
values = [0, 60]

[constraints]
max_deploy_p50 = \"30s\"

[race]
first_seeds = 5
max_seeds = 20
"
    );
    let s = space(&dir, &body);
    let out = dir.join("out");
    let err = run_fails(
        &tune_args(&s, &out, &[]),
        1,
        "no candidate meets the limits",
    );
    let o = cli(&tune_args(&s, &out, &["--force"])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        stdout(&o).starts_with("no candidate meets the limits: 4 of the 4 were shown to break one"),
        "{}",
        stdout(&o)
    );
    let d = doc(&out);
    assert_eq!((d.stop, d.best.as_ref()), (Stop::NoneLeft, None));
    for c in &d.candidates {
        assert_eq!(c.verdict, Verdict::Infeasible);
        assert!(
            c.reason.starts_with("max_deploy_p50 on good-release: "),
            "{}",
            c.reason
        );
        assert!(c.reason.contains(" runs above 30.0 s"), "{}", c.reason);
    }
    assert!(
        !out.join("best.toml").exists(),
        "nothing chosen, nothing written"
    );
    assert!(out.join("report.html").exists());
    fs::remove_dir_all(dir).unwrap();
}

/// A space of three scenarios and 24 candidates with real trade-offs: fast rollouts
/// ship the leak, a loose error gate lets the regression through.
const TRADE_OFFS: &str = r#"
[[parameters]]
key = "policy.max_surge"
values = ["17%", "34%", "50%"]

[[parameters]]
key = "policy.bake_seconds"
values = [0, 60, 120, 180]

[[parameters]]
key = "policy.gates[0].threshold"
values = [0.01, 0.04]

[constraints]
max_budget_p95 = "0.5%"
max_deploy_p50 = "12m"

[race]
first_seeds = 5
max_seeds = 40
"#;

#[test]
fn one_and_two_threads_write_identical_files() {
    let dir = temp_dir("tune-threads");
    let s = space(&dir, &format!("{THREE}{TRADE_OFFS}"));
    let (one, two) = (dir.join("one"), dir.join("two"));
    run_ok(&tune_args(
        &s,
        &one,
        &["--threads", "1", "--budget-runs", "600"],
    ));
    let o = cli(
        &tune_args(&s, &two, &["--threads", "2", "--budget-runs", "600"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Progress on stderr: a line per round, and the runs used against the budget.
    let err = stderr(&o);
    assert!(
        err.contains("rollcage tune: round 0: 5 seeds per scenario, 24 racing"),
        "{err}"
    );
    assert!(err.contains("of the budget's 600 runs used"), "{err}");
    assert_same_dirs(&one, &two);
    let d = doc(&one);
    assert!(d.runs.race <= 600, "{}", d.runs.race);
    // --quiet says nothing on stderr.
    let q = dir.join("quiet");
    let o = cli(&tune_args(&s, &q, &["--quiet", "--budget-runs", "600"])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert!(
        o.status.success() && stderr(&o).is_empty(),
        "{}",
        stderr(&o)
    );
    fs::remove_dir_all(dir).unwrap();
}

/// Starts `args` and returns the child once `file` holds at least `rows` rows.
fn spawn_until_rows(args: &[String], file: &Path, rows: usize) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollcage"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let n = fs::read(file)
            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
            .unwrap_or(0);
        if n > rows {
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the tune ended ({status}) before {rows} rows");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no rows after a minute"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_tune_killed_and_resumed_ends_byte_identical() {
    let dir = temp_dir("tune-resume");
    let s = space(&dir, &format!("{THREE}{TRADE_OFFS}"));
    let (killed, whole) = (dir.join("killed"), dir.join("whole"));
    let args = tune_args(&s, &killed, &["--threads", "1"]);
    let partial = killed.join("tune-runs.csv.partial");
    // Killed in the first round (24 × 3 × 5 = 360 runs).
    let mut child = spawn_until_rows(&args, &partial, 40);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!killed.join("tune.json").exists(), "killed before the end");
    // A torn write: half a row after the last complete one.
    let mut text = fs::read(&partial).unwrap();
    text.extend_from_slice(b"9999,good-release,gated-10pct[max_su");
    fs::write(&partial, text).unwrap();
    // Without --resume or --force the directory is refused; other inputs are too.
    run_fails(&args, 2, "--resume");
    run_fails(
        &tune_args(&s, &killed, &["--resume", "--seed", "2"]),
        2,
        "differs in: master_seed",
    );
    let resumed = run_ok(&tune_args(&s, &killed, &["--threads", "2", "--resume"]));
    assert!(resumed.starts_with("best: "), "{resumed}");
    run_ok(&tune_args(&s, &whole, &["--threads", "2"]));
    assert_same_dirs(&killed, &whole);
    // Resuming a finished tune changes nothing.
    run_ok(&tune_args(&s, &killed, &["--resume"]));
    assert_same_dirs(&killed, &whole);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_run_that_panics_stops_the_tune_and_resume_goes_on_after_the_fix() {
    let dir = temp_dir("tune-panic");
    let s = space(&dir, &format!("{GOOD}{PLANTED}"));
    let (broken, whole) = (dir.join("broken"), dir.join("whole"));
    let args = tune_args(&s, &broken, &[]);
    let o = Command::new(env!("CARGO_BIN_EXE_rollcage"))
        .args(&args)
        .env("ROLLCAGE_TEST_PANIC_AT_RUN", "33")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(
        err.contains("error: run 33 (good-release under gated-10pct[max_surge=1,bake_seconds=180], master seed 1, replicate 3) panicked"),
        "{err}"
    );
    assert!(
        err.contains("rollcage run --scenario good-release --policy gated-10pct --seed 1 --replicate 3 --set 'scenario.fleet.replicas=6'"),
        "{err}"
    );
    assert!(
        err.contains("--set 'policy.max_surge=1' --set 'policy.bake_seconds=180'"),
        "{err}"
    );
    assert!(err.contains("holds the 33 runs before it; once the bug is fixed, the same command with --resume continues from there"), "{err}");
    let rows = fs::read(broken.join("tune-runs.csv.partial")).unwrap();
    assert_eq!(
        rows.iter().filter(|&&b| b == b'\n').count(),
        34,
        "the header and 33 rows"
    );
    run_ok(&tune_args(&s, &broken, &["--resume"]));
    run_ok(&tune_args(&s, &whole, &[]));
    assert_same_dirs(&broken, &whole);
    fs::remove_dir_all(dir).unwrap();
}

/// The run `(scenario, policy, replicate)` of a runs file, without its run id.
fn rows_by_run(path: &Path) -> Vec<((String, String, u64), Vec<String>)> {
    let t = RunsCsv::from_bytes(&fs::read(path).unwrap()).unwrap();
    t.rows
        .iter()
        .map(|r| {
            let mut f = r.fields();
            f.remove(0);
            ((r.scenario.clone(), r.policy.clone(), r.replicate), f)
        })
        .collect()
}

#[test]
fn the_race_picks_what_the_exhaustive_grid_picks_with_a_fraction_of_its_runs() {
    let dir = temp_dir("tune-grid");
    let s = space(&dir, &format!("{THREE}{TRADE_OFFS}"));
    let (race, grid) = (dir.join("race"), dir.join("grid"));
    run_ok(&tune_args(&s, &race, &[]));
    run_ok(&tune_args(&s, &grid, &["--exhaustive"]));
    let (r, g) = (doc(&race), doc(&grid));
    assert_eq!(g.stop, Stop::Exhaustive);
    assert_eq!(g.runs.race, g.runs.grid);
    assert_eq!(g.runs.grid, 24 * 3 * 40);
    assert!(
        r.runs_used() * 4 <= g.runs.grid,
        "the race used {} runs of the grid's {}",
        r.runs_used(),
        g.runs.grid
    );
    let chosen = r.best.clone().expect("the race chose a policy");
    let grid_best = g.best.clone().expect("the grid has a best");
    if chosen != grid_best {
        // Then the grid cannot tell it from its best: a paired difference whose 95%
        // interval reaches zero, on the grid's own runs.
        let row = g.candidates.iter().find(|c| c.name == chosen).unwrap();
        assert_eq!(
            row.verdict,
            Verdict::NotSeparated,
            "{chosen} against {grid_best}"
        );
        assert!(row.versus_best.unwrap().lo <= 0.0);
    }
    // Common random numbers: every run the race made is, figure for figure, the run
    // the grid made on the same scenario, policy and replicate.
    let all: std::collections::BTreeMap<_, _> = rows_by_run(&grid.join("tune-runs.csv"))
        .into_iter()
        .collect();
    let mine = rows_by_run(&race.join("tune-runs.csv"));
    let base = &r.policy;
    let mut compared = 0;
    for (key, fields) in &mine {
        if &key.1 == base {
            continue;
        }
        assert_eq!(all.get(key), Some(fields), "{key:?}");
        compared += 1;
    }
    assert_eq!(compared as u64, r.runs.race);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_chosen_policy_is_exported_for_its_controller() {
    let dir = temp_dir("tune-export");
    let body = format!(
        "{GOOD}
[[parameters]]
key = \"policy.bake_seconds\"
values = [0, 60]

[race]
first_seeds = 5
max_seeds = 10
"
    );
    let s = space(&dir, &body);
    let out = dir.join("out");
    let text = run_ok(&tune_args(
        &s,
        &out,
        &[
            "--export",
            "k8s",
            "--export",
            "argo",
            "--service",
            "checkout",
        ],
    ));
    assert!(text.contains("best.k8s.yaml,best.argo.yaml}"), "{text}");
    for f in ["best.k8s.yaml", "best.argo.yaml"] {
        let path = out.join(f).display().to_string();
        let v = run_ok(&["validate", &path]);
        assert!(v.contains(": ok (policy "), "{v}");
        let yaml = fs::read_to_string(out.join(f)).unwrap();
        assert!(yaml.contains("name: checkout"), "{yaml}");
    }
    // A target the base policy's kind cannot take is refused before anything runs.
    let other = dir.join("other");
    run_fails(
        &tune_args(&s, &other, &["--export", "flagger"]),
        2,
        "--export flagger: policy gated-10pct is of kind rolling, which exports to k8s, argo",
    );
    assert!(!other.exists());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_space_files_are_refused_naming_the_file_the_key_and_the_reason() {
    let dir = temp_dir("tune-bad");
    let out = dir.join("out");
    let refuse = |name: &str, text: &str, needles: &[&str]| {
        let path = write_file(&dir, name, text);
        let err = run_fails(&tune_args(&path, &out, &[]), 2, "");
        for n in needles {
            assert!(
                err.contains(&n.replace("FILE", &path)),
                "{name}: missing `{n}` in:\n{err}"
            );
        }
        assert!(!out.exists(), "nothing is written");
    };
    refuse(
        "keys.toml",
        &format!(
            "{HEAD}{GOOD}[[scenarios]]\nscenario = \"memory-leak\"\nweight = 0\n\
             [[paramters]]\nkey = \"policy.max_surge\"\n\
             [[parameters]]\nkey = \"scenario.fleet.replicas\"\nvalues = [1, 2]\n\
             [[parameters]]\nkey = \"policy.bake_seconds\"\nrange = [0, 60]\n\
             [[parameters]]\nkey = \"policy.max_surge\"\nvalues = [\"10%\", \"10%\"]\n\
             [constraints]\nassertions = [\"memry-leak: detection_rate >= 0.9\"]\n\
             [race]\nfirst_seeds = 2\n"
        ),
        &[
            "FILE: paramters: unknown key (did you mean `parameters`?)",
            "FILE: scenarios[1].weight: must be above 0 (how likely this kind of release is), found 0",
            "FILE: parameters[0].key: `scenario.fleet.replicas`: a parameter is a policy field (policy.KEY); fix scenario fields with `set`",
            "FILE: parameters[1].range: needs `step = S`",
            "FILE: parameters[2].values[1]: `10%` is listed twice",
            "FILE: race.first_seeds: must be 5 to 100000",
        ],
    );
    refuse(
        "values.toml",
        &format!(
            "{HEAD}{GOOD}\
             [[parameters]]\nkey = \"policy.max_surge\"\nvalues = [\"10%\", \"lots\"]\n\
             [[parameters]]\nkey = \"policy.gates[5].threshold\"\nvalues = [0.01]\n\
             [[parameters]]\nkey = \"policy.bake_seconds\"\nrange = [-60, 60]\nstep = 60\n\
             [constraints]\nassertions = [\"memry-leak: detection_rate >= 0.9\", \"x: nonsense >= 1\"]\n"
        ),
        &[
            "FILE: parameters[0].values[1]: `policy.max_surge = lots`: max_surge:",
            "FILE: parameters[1].values[0]: `policy.gates[5].threshold = 0.01`: policy.gates[5].threshold=0.01: `gates` has 3 entries, so `gates[5]` is past its end (`gates[0]` to `gates[2]`)",
            "FILE: parameters[2].values[0]: `policy.bake_seconds = -60`: bake_seconds: must be at least 0, found -60",
            "FILE: constraints.assertions[1]: `x: nonsense >= 1`: unknown metric `nonsense`",
            "FILE: constraints.assertions[0]: `memry-leak: detection_rate >= 0.9`: the space weighs no scenario named `memry-leak`; it weighs good-release",
        ],
    );
    refuse(
        "objective.toml",
        &format!(
            "{HEAD}[[scenarios]]\nscenario = \"memory-leak\"\nweight = 1\n\
             [[parameters]]\nkey = \"policy.bake_seconds\"\nvalues = [0]\n\
             [objective]\nminimise = \"speed\"\n"
        ),
        &["FILE: objective.minimise: "],
    );
    refuse(
        "fault-only.toml",
        &format!(
            "{HEAD}[[scenarios]]\nscenario = \"memory-leak\"\nweight = 1\n\
             [[parameters]]\nkey = \"policy.bake_seconds\"\nvalues = [0]\n"
        ),
        &[
            "FILE: objective.minimise: deploy_p50 reads the good-release scenarios and every scenario of the space carries a release fault",
        ],
    );
    refuse(
        "steady.toml",
        &format!(
            "{HEAD}[[scenarios]]\nscenario = \"steady\"\nweight = 1\n\
             [[parameters]]\nkey = \"policy.bake_seconds\"\nvalues = [0]\n"
        ),
        &["FILE: scenarios[0]: steady: it has no release (release.enabled = false)"],
    );
    // Every combination invalid: nothing to race.
    refuse(
        "invalid.toml",
        &format!(
            "schema_version = 1\npolicy = \"gated-10pct\"\nset = [\"policy.max_unavailable=1\"]\n{GOOD}\
             [[parameters]]\nkey = \"policy.max_surge\"\nvalues = [0]\n\
             [[parameters]]\nkey = \"policy.max_unavailable\"\nvalues = [0, \"0%\"]\n"
        ),
        &[
            "FILE: none of the 2 combinations is a valid policy; e.g. gated-10pct[max_surge=0,max_unavailable=0]: max_unavailable: may not be 0 when max_surge is 0",
        ],
    );
    // A budget that cannot pay for the first round.
    let path = space(&dir, &format!("{GOOD}{PLANTED}"));
    run_fails(
        &tune_args(&path, &out, &["--budget-runs", "79"]),
        2,
        "the budget of 79 runs does not pay for the first round: 16 candidates × 1 scenarios × 5 seeds = 80 runs",
    );
    fs::remove_dir_all(dir).unwrap();
}

/// The built-in example space: at least 200 candidates over three weighted scenarios,
/// every one a valid policy.
#[test]
fn the_example_space_is_large_and_reads_cleanly() {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/tune/space.toml"
    ));
    let plan = runner::tune::plan::plan(
        runner::tune::plan::TuneRequest {
            space: path,
            master_seed: 1,
            confidence: None,
            budget_runs: None,
            exhaustive: false,
            sets: Vec::new(),
        },
        "test",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.candidates.len() >= 200, "{}", plan.candidates.len());
    let values: Vec<(&str, Vec<&str>)> = plan
        .space
        .parameters
        .iter()
        .map(|p| {
            (
                p.key.as_str(),
                p.values.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        values,
        [
            ("policy.max_surge", vec!["10%", "20%", "30%", "50%"]),
            ("policy.max_unavailable", vec!["0", "1"]),
            (
                "policy.bake_seconds",
                vec!["0", "30", "60", "90", "120", "150", "180"]
            ),
            (
                "policy.gates[0].threshold",
                vec!["0.005", "0.01", "0.02", "0.04"]
            ),
        ]
    );
    assert!(plan.candidates.iter().all(|c| c.policy.is_ok()));
    let weights: Vec<(String, f64)> = plan
        .space
        .scenarios
        .iter()
        .map(|s| (s.scenario.name.clone(), s.weight))
        .collect();
    assert_eq!(
        weights,
        [
            ("good-release".to_string(), 0.8),
            ("memory-leak".to_string(), 0.1),
            ("error-regression".to_string(), 0.1)
        ]
    );
}
