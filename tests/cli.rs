//! The command line: outputs, exit codes, and clear errors on bad input.

mod common;

use common::{cli, run_fails, run_ok, stderr, stdout, temp_dir, write_file};

const RUN_JSON_KEYS: [&str; 27] = [
    "outcome",
    "requests_total",
    "requests_bad",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "budget_consumed_pct",
    "peak_burn_rate_5m",
    "peak_burn_rate_1h",
    "t_change_start_s",
    "t_change_end_s",
    "t_fault_active_s",
    "t_impact_start_s",
    "t_detect_s",
    "detector",
    "t_mitigate_s",
    "t_recover_s",
    "ttd_s",
    "ttm_s",
    "impact_duration_s",
    "tt_recover_s",
    "deploy_duration_s",
    "crashes",
    "instances_max",
    "available_min",
    "sessions_lost",
];

#[test]
fn run_writes_the_three_files_with_every_key() {
    let dir = temp_dir("run-files");
    let out_dir = dir.join("out");
    let text = run_ok(&[
        "run",
        "--scenario",
        "reference",
        "--policy",
        "reference",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(text.contains("outcome"), "{text}");
    assert!(text.contains("MTTR, user view") && text.contains("MTTR, system view"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], 1);
    for key in RUN_JSON_KEYS {
        assert!(json.get(key).is_some(), "run.json lacks {key}");
    }
    assert_eq!(json["inputs"]["seed"], 1);
    assert_eq!(json["t_change_start_s"], 60.0);
    let total = json["requests_total"].as_u64().unwrap();
    assert!(
        (1_050_000..1_110_000).contains(&total),
        "about 1.08 M requests: {total}"
    );
    let timeline = std::fs::read_to_string(out_dir.join("timeline.csv")).unwrap();
    assert_eq!(
        timeline.lines().count(),
        1 + 120,
        "a header and one row per 15 s scrape"
    );
    assert!(timeline.starts_with("time_s,baseline_starting,"));
    let events = std::fs::read_to_string(out_dir.join("events.csv")).unwrap();
    assert!(events.starts_with("time_s,kind,subject,value,threshold,verdict,reason\n"));
    assert!(events.contains(",crash,"), "OOM crashes are logged");
    // A second run into the same directory is refused without --force.
    run_fails(
        &["run", "--out", out_dir.to_str().unwrap()],
        2,
        "pass --force",
    );
    run_ok(&[
        "run",
        "--out",
        out_dir.to_str().unwrap(),
        "--force",
        "--seed",
        "2",
    ]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn json_flag_prints_run_json() {
    let out = run_ok(&[
        "run",
        "--scenario",
        "good-release",
        "--policy",
        "one-at-a-time",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["outcome"], "succeeded");
    assert!(json["detector"].is_null());
}

#[test]
fn bad_files_report_every_problem_with_file_key_and_reason() {
    let dir = temp_dir("bad-files");
    let p = &write_file(
        &dir,
        "svc.toml",
        "schema_version = 1\nname = \"svc\"\n[fleet]\nreplicsa = 3\nconcurrency = 0\n[traffic]\nprofile = \"diurnl\"\n[slo]\nobjective = 2\n",
    );
    let err = run_fails(&["run", "--scenario", p, "--policy", "noop"], 2, "");
    for needle in [
        format!("{p}: fleet.replicsa: unknown key (did you mean `replicas`?)"),
        format!("{p}: fleet.concurrency: must be a whole number of at least 1"),
        format!("{p}: traffic.profile: unknown value \"diurnl\" (did you mean \"diurnal\"?)"),
        format!("{p}: slo.objective: must be between 0 and 1"),
    ] {
        assert!(err.contains(&needle), "missing `{needle}` in:\n{err}");
    }
    assert!(!err.contains("panicked"));
    run_fails(&["validate", p], 2, "fleet.replicsa");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn syntax_errors_and_missing_files_exit_2() {
    let dir = temp_dir("syntax");
    let path = write_file(&dir, "broken.toml", "schema_version = 1\n[fleet\n");
    run_fails(
        &["run", "--scenario", &path],
        2,
        "broken.toml: not valid TOML",
    );
    run_fails(
        &["run", "--scenario", "memory-leek"],
        2,
        "did you mean `memory-leak`?",
    );
    let o = cli(&["validate", dir.join("absent.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn set_overrides_any_field_and_validates() {
    let out = run_ok(&[
        "run",
        "--scenario",
        "good-release",
        "--policy",
        "k8s-default",
        "--set",
        "scenario.fleet.replicas=10",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    // 25% of 10: surge 3 (rounded up), unavailable 2 (rounded down).
    assert_eq!(json["instances_max"], 13);
    assert_eq!(json["available_min"], 8);
    for (set, needle) in [
        (
            &["policy.max_surge=0%", "policy.max_unavailable=0"][..],
            "--set: max_unavailable: may not be 0 when max_surge is 0",
        ),
        (
            &["fleet.replicas=3"],
            "keys start with `scenario.` or `policy.`",
        ),
        (
            &["policy.max_surge=\"5\""],
            "neither a count nor a percentage",
        ),
    ] {
        let mut args = vec!["run"];
        for s in set {
            args.extend(["--set", s]);
        }
        run_fails(&args, 2, needle);
    }
}

#[test]
fn expect_turns_an_outcome_into_an_exit_code() {
    let ok = cli(&[
        "run",
        "--scenario",
        "memory-leak",
        "--policy",
        "gated-10pct",
        "--expect",
        "caught",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    run_fails(
        &[
            "run",
            "--scenario",
            "memory-leak",
            "--policy",
            "k8s-default",
            "--expect",
            "caught,succeeded",
        ],
        1,
        "reproduce with: rollcage run --scenario memory-leak",
    );
    let bad = cli(&["run", "--expect", "fine"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn list_and_validate_builtins() {
    let text = run_ok(&["list"]);
    for name in [
        "steady",
        "good-release",
        "memory-leak",
        "crashloop",
        "reference",
        "k8s-default",
        "gated-10pct",
        "noop",
    ] {
        assert!(text.contains(name), "list lacks {name}");
    }
    let dir = temp_dir("validate");
    let files: Vec<String> = scenarios::BUILTIN
        .iter()
        .chain(policies::BUILTIN.iter())
        .enumerate()
        .map(|(i, (name, text))| write_file(&dir, &format!("{i}-{name}.toml"), text))
        .collect();
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    // One `ok` line per file; an uncertain built-in lists its parameters beneath.
    let text = run_ok(&args);
    assert_eq!(
        text.lines().filter(|l| l.contains(": ok (")).count(),
        files.len(),
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_schema_version_is_an_error() {
    let dir = temp_dir("schema");
    let path = write_file(&dir, "p.toml", "kind = \"rolling\"\nmax_surge = 1\n");
    run_fails(&["validate", &path], 2, "schema_version: missing");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The engine's event bound is the backstop for work the estimate cannot see: here
/// every request fails and is retried three times, four times the events the estimate
/// counts. The file validates (its estimate, about 2000 events, is under the bound), and
/// the run is cut short as a reported failure, not a hang.
#[test]
fn hard_event_bound_is_a_reported_failure() {
    let dir = temp_dir("event-bound");
    let p = &write_file(
        &dir,
        "retry-storm.toml",
        "schema_version = 1\nname = \"retry-storm\"\n[run]\nhorizon_seconds = 100\nmax_events = 5000\n\
         [release]\nenabled = false\n[traffic]\nrate = 10\n[client]\nretries = 3\nretry_backoff_ms = 10\n\
         [[faults]]\nkind = \"dependency\"\nerror_probability = 1.0\n",
    );
    let v = run_ok(&["validate", p]);
    assert!(
        v.contains("ok (scenario retry-storm, about 1000 requests, 2027 events of at most 5000)"),
        "{v}"
    );
    let o = cli(&["run", "--scenario", p, "--policy", "noop", "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["limit_hit"], "event bound of 5000 reached");
    assert!(stderr(&o).contains("reproduce with"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// Writes `text` as a scenario (or policy) file and checks that `validate FILE` and
/// `run` with it both refuse it with exit code 2, naming the file, the key and the
/// reason, without a panic.
fn refused_everywhere(name: &str, text: &str, policy: bool, expected: &str) {
    let dir = temp_dir(&format!("refused-{name}"));
    let p = &write_file(
        &dir,
        &format!("{name}.toml"),
        format!("schema_version = 1\nname = \"{name}\"\n{text}"),
    );
    let needle = format!("{p}: {expected}");
    let flag = if policy { "--policy" } else { "--scenario" };
    for args in [vec!["validate", p], vec!["run", flag, p]] {
        let err = run_fails(&args, 2, &needle);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_endless_slo_window_is_refused_not_panicked() {
    refused_everywhere(
        "window",
        "[slo]\nwindow_days = 1e308\n",
        false,
        "slo.window_days: must be at most 365, found 1e308",
    );
}

#[test]
fn a_traffic_rate_beyond_its_bound_or_the_event_budget_is_refused() {
    refused_everywhere(
        "rate",
        "[traffic]\nrate = 1e9\n",
        false,
        "traffic.rate: must be at most 1000000, found 1000000000",
    );
    // Within its bound, but an hour of it is far more work than the run allows.
    refused_everywhere(
        "rate-hour",
        "[run]\nhorizon_seconds = 3600\nmax_events = 50000000\n[traffic]\nrate = 1e6\n",
        false,
        "traffic.rate: about 3.6e9 requests over the 3600 s horizon, about 7.2e9 events, \
         exceed run.max_events = 50000000; lower the rate or the horizon, or raise \
         run.max_events (at most 10000000000)",
    );
}

#[test]
fn a_huge_traffic_spike_is_refused() {
    refused_everywhere(
        "spike",
        "[[faults]]\nkind = \"traffic-spike\"\nmultiplier = 1e9\nstart_seconds = 600\n",
        false,
        "faults[0].multiplier: must be at most 100, found 1000000000",
    );
}

#[test]
fn a_huge_kill_rate_is_refused() {
    refused_everywhere(
        "kill",
        "[[faults]]\nkind = \"instance-kill\"\nrate_per_hour = 1e9\n",
        false,
        "faults[0].rate_per_hour: must be at most 60, found 1000000000",
    );
}

#[test]
fn max_events_beyond_its_cap_is_refused() {
    refused_everywhere(
        "max-events",
        "[run]\nmax_events = 10000000001\n",
        false,
        "run.max_events: must be at most 10000000000, found 10000000001",
    );
}

#[test]
fn endless_or_infinite_policy_durations_are_refused() {
    refused_everywhere(
        "bake",
        "kind = \"rolling\"\nbake_seconds = 1e308\n",
        true,
        "bake_seconds: must be at most 2592000, found 1e308",
    );
    refused_everywhere(
        "window-inf",
        "kind = \"rolling\"\n[[gates]]\nthreshold = 0.01\nwindow_seconds = inf\n",
        true,
        "gates[0].window_seconds: expected a number, found the number inf",
    );
    refused_everywhere(
        "interval-nan",
        "kind = \"canary\"\nsemantics = \"flagger\"\nthreshold = 2\nstep_weight = 10\ninterval_seconds = nan\n",
        true,
        "interval_seconds: expected a number, found the number NaN",
    );
}

#[test]
fn a_set_override_beyond_its_bound_is_labelled() {
    run_fails(
        &["run", "--set", "scenario.fleet.queue_limit=100001"],
        2,
        "--set: fleet.queue_limit: must be at most 100000, found 100001",
    );
}

#[test]
fn bad_fault_entries_are_reported_with_their_keys() {
    let dir = temp_dir("bad-faults");
    let p = &write_file(
        &dir,
        "faults.toml",
        r#"schema_version = 1
name = "bad-faults"
[[faults]]
kind = "memory-leek"
[[faults]]
kind = "latency"
multiplier = -1
fraction = 2
[[faults]]
kind = "migration"
schema = "v2"
[[faults]]
kind = "zone-loss"
zones = 3
zone = 5
target = "candidate"
[[faults]]
kind = "errors"
on_seconds = 10
"#,
    );
    let err = run_fails(&["validate", p], 2, "");
    for needle in [
        format!(
            "{p}: faults[0].kind: unknown value \"memory-leek\" (did you mean \"memory-leak\"?)"
        ),
        format!("{p}: faults[1].multiplier: must be positive"),
        format!("{p}: faults[1].fraction: must be between 0 and 1"),
        format!("{p}: faults[2].at_seconds: give exactly one of at_seconds and trigger"),
        format!("{p}: faults[2]: a migration needs a [schema] section"),
        format!("{p}: faults[3].zone: zones are numbered 0 to 2, found 5"),
        format!("{p}: faults[3].target: a zone-loss fault acts on the whole fleet"),
        format!("{p}: faults[4].on_seconds: give both on_seconds and off_seconds"),
    ] {
        assert!(err.contains(&needle), "missing `{needle}` in:\n{err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn list_faults_prints_the_catalog() {
    let text = run_ok(&["list", "faults"]);
    for kind in scenarios::faults::CATALOG {
        assert!(text.contains(kind.kind), "list faults lacks {}", kind.kind);
    }
    assert!(text.contains("session-state"));
}

/// A first run says what was simulated and what to try next, and a run with nothing
/// to measure prints `n/a`, not blank figures.
#[test]
fn run_summary_explains_itself_and_prints_na_for_missing_figures() {
    let text = run_ok(&[
        "run",
        "--set",
        "scenario.traffic.rate=0.001",
        "--set",
        "scenario.run.horizon_seconds=100",
        "--set",
        "scenario.release.start_seconds=10",
    ]);
    assert!(
        text.contains("  latency      mean n/a, p50 n/a, p95 n/a, p99 n/a\n"),
        "{text}"
    );
    assert!(!text.contains(" ms,"), "{text}");
    assert!(text.contains("  detection    none:"), "{text}");
    assert!(text.contains("  mitigation   never,"), "{text}");
    assert!(
        text.contains("  simulated    scenario reference, 100.0 s: The benchmark workload"),
        "{text}"
    );
    assert!(
        text.contains("               policy reference: The reference rollout"),
        "{text}"
    );
    assert!(
        text.contains(
            "  next         many seeds with intervals: rollcage sweep --scenarios reference --policies reference,gated-10pct"
        ),
        "{text}"
    );
    assert!(text.contains("add --out DIR"), "{text}");
}

/// A negative number given to any numeric flag is refused naming the flag and what it
/// accepts (not clap's `unexpected argument '-1' found`), with exit code 2.
#[test]
fn negative_numbers_name_their_flag_and_what_it_accepts() {
    const SEED: &str = "a whole number from 0 to 18446744073709551615";
    const THREADS: &str = "a whole number from 1 to 1024";
    let cases: [(&str, &str, &str, &str); 21] = [
        ("run", "--seed", "-1", SEED),
        ("run", "--replicate", "-1", SEED),
        (
            "sweep",
            "--seeds",
            "-1",
            "a whole number from 1 to 1000000000",
        ),
        ("sweep", "--seed", "-1", SEED),
        ("sweep", "--threads", "-1", THREADS),
        (
            "sweep",
            "--bootstrap",
            "-1",
            "a whole number from 100 to 100000",
        ),
        (
            "sweep",
            "--max-budget-p95",
            "-1",
            "a percentage from 0 to 100",
        ),
        (
            "sweep",
            "--max-false-rollback",
            "-1",
            "a percentage from 0 to 100",
        ),
        ("sweep", "--max-deploy-p50", "-1", "a duration of 0 or more"),
        ("sweep", "--shard", "-1/3", "I/N with 0 <= I < N"),
        ("check", "--threads", "-1", THREADS),
        (
            "gameday",
            "--seeds",
            "-1",
            "a whole number from 1 to 1000000000",
        ),
        ("gameday", "--seed", "-1", SEED),
        ("gameday", "--port", "-1", "a whole number from 1 to 65535"),
        ("gameday", "--threads", "-1", THREADS),
        (
            "plan",
            "--replicas",
            "-1",
            "a whole number from 1 to 100000",
        ),
        (
            "gate",
            "--from",
            "-1",
            "expected Unix seconds or an RFC 3339 time",
        ),
        ("gate", "--timeout", "-1", "a duration from 0.001s to 10m"),
        ("gate", "--retries", "-1", "a whole number from 0 to 5"),
        (
            "gate",
            "--at",
            "-1",
            "expected Unix seconds or an RFC 3339 time",
        ),
        ("run", "--seed", "-1.5", SEED),
    ];
    for (command, flag, value, accepts) in cases {
        // Both spellings: `--seed -1` and `--seed=-1`.
        let joined = format!("{flag}={value}");
        for args in [vec![command, flag, value], vec![command, joined.as_str()]] {
            let err = run_fails(&args, 2, accepts);
            assert!(
                err.starts_with(&format!("error: {flag}: ")),
                "{args:?}: {err}"
            );
            assert!(err.contains(&format!("found {value}")), "{args:?}: {err}");
            assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
        }
    }
    // The issue's example, word for word; and clap's own usage errors still exit 2.
    let o = cli(&["run", "--seed", "-1"]);
    assert_eq!(
        stderr(&o),
        "error: --seed: expected a whole number from 0 to 18446744073709551615, found -1\n"
    );
    run_fails(&["run", "--no-such-flag"], 2, "--no-such-flag");
    // A flag that takes no value does not start taking negative numbers.
    let o = cli(&["run", "--json", "-1"]);
    assert_eq!(o.status.code(), Some(2));
}

/// An output directory holding nothing but a lock file left by a killed process counts
/// as empty, and the lock does not block the next writer; the run leaves no lock file.
#[test]
fn a_stale_lock_file_neither_blocks_nor_counts_as_content() {
    let dir = temp_dir("stale-lock");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(".rollcage.lock"), "4194303\n").unwrap();
    run_ok(&[
        "run",
        "--set",
        "scenario.run.horizon_seconds=120",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(out.join("run.json").exists());
    assert!(!out.join(".rollcage.lock").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Regression (found by tests/fuzz_inputs.rs): a traffic-spike fault that divides the
/// rate by 1e300 for the rest of the run made the arrival process draw candidates
/// until the clock overflowed, so `run` never ended though `validate` said ok. The run
/// must end, well within a bounded wait (the child is killed past it).
#[test]
fn a_spike_that_stops_the_traffic_ends_the_run() {
    let dir = temp_dir("dip");
    let file = write_file(
        &dir,
        "dip.toml",
        "schema_version = 1\nname = \"dip\"\n[run]\nhorizon_seconds = 120\n\
         [release]\nstart_seconds = 30\n\
         [[faults]]\nkind = \"traffic-spike\"\nname = \"dip\"\nmultiplier = 3.4e-295\n",
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rollcage"))
        .args(["run", "--scenario", &file, "--policy", "gated-10pct"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let status = status.expect("rollcage run did not end within 60 s");
    assert!(status.success(), "{status:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Kubernetes takes whole percentages only: `max_surge = "10.5%"` is refused, not
/// exported verbatim for the controller to reject.
#[test]
fn fractional_percentages_are_refused() {
    for cmd in [
        &["export", "--policy", "k8s-default", "--to", "k8s"][..],
        &["run", "--policy", "k8s-default"][..],
    ] {
        let mut args = cmd.to_vec();
        args.extend(["--set", "policy.max_surge=10.5%"]);
        let o = cli(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(
            stderr(&o).contains("max_surge")
                && stderr(&o).contains("\"10.5%\" is not a whole percentage"),
            "{}",
            stderr(&o)
        );
    }
}

/// The subcommands as `rollcage --help` lists them (the `Commands:` block), so the
/// completion and man-page tests follow the CLI as it grows.
fn subcommands() -> Vec<String> {
    let help = run_ok(&["--help"]);
    let names: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    for expected in ["run", "sweep", "check", "gameday", "completions", "man"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    }
    names
}

#[test]
fn completions_for_every_shell_name_every_subcommand() {
    let names = subcommands();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = run_ok(&["completions", shell]);
        assert!(script.len() > 1000, "{shell}: {} bytes", script.len());
        for name in &names {
            assert!(
                script.contains(name.as_str()),
                "{shell} script lacks {name}"
            );
        }
        // Flags too (fish writes `-l scenario`, the others `--scenario`).
        assert!(
            script.contains("scenario"),
            "{shell} script lacks run's flags"
        );
    }
    run_fails(&["completions", "tcsh"], 2, "possible values");
}

#[test]
fn man_page_lists_every_subcommand_and_each_has_its_page() {
    let names = subcommands();
    let page = run_ok(&["man"]);
    assert!(
        page.starts_with(".ie") && page.contains(".TH rollcage 1"),
        "{page}"
    );
    assert!(page.contains(".SH SUBCOMMANDS"));
    for name in &names {
        // roff escapes the dash: rollcage\-run(1).
        assert!(
            page.contains(&format!("rollcage\\-{name}(1)")),
            "man lacks {name}"
        );
        assert!(
            run_ok(&["man", name]).contains(&format!(".TH rollcage-{name} 1")),
            "{name}"
        );
    }
    assert!(stdout(&cli(&["man", "sweep"])).contains("\\-\\-shard"));
    run_fails(&["man", "nope"], 2, "no subcommand \"nope\"");
    assert_eq!(stdout(&cli(&["man"])), page, "the page is byte-stable");
}

/// The shared flags are one definition (src/args.rs): every command that takes them
/// documents and checks them alike.
#[test]
fn shared_flags_read_and_refuse_alike_in_every_command() {
    let threads = "Worker threads, 1 to 1024 (default: one per CPU); results never depend on it";
    for cmd in ["sweep", "check", "gameday"] {
        let help = stdout(&cli(&[cmd, "--help"]));
        assert!(help.contains(threads), "{cmd} --help:\n{help}");
        run_fails(
            &[cmd, "--threads", "0"],
            2,
            "--threads: expected a whole number from 1 to 1024, found 0",
        );
    }
    for cmd in ["run", "sweep", "gameday"] {
        let help = stdout(&cli(&[cmd, "--help"]));
        assert!(
            help.contains("Master seed. The same seed gives byte-identical outputs"),
            "{cmd}"
        );
        assert!(help.contains("--set <KEY=VALUE>"), "{cmd}");
    }
    for cmd in ["plan", "export", "gate"] {
        let help = stdout(&cli(&[cmd, "--help"]));
        assert!(
            help.contains("Override a policy field: policy.KEY=VALUE (repeatable)"),
            "{cmd}"
        );
    }
}
