//! `rollcage plan`, `export` and `gate` from the command line: outputs, exit codes and
//! clear errors.

mod common;

use common::{cli, run_fails, run_ok, stderr, stdout, temp_dir, write_file};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/metrics/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn plan_shows_the_kubernetes_syncs() {
    let out = run_ok(&[
        "plan",
        "--policy",
        "k8s-default",
        "--replicas",
        "10",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let counts: Vec<(u64, u64)> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["old_desired"].as_u64().unwrap(),
                s["new_desired"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [(10, 3), (5, 3), (5, 8), (0, 8), (0, 10)]);
    let text = stdout(&cli(&[
        "plan",
        "--policy",
        "flagger-canary",
        "--replicas",
        "4",
    ]));
    assert!(text.contains("advance canary weight to 50%"), "{text}");
    let bad = cli(&["plan", "--policy", "k8s-default", "--replicas", "0"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn plan_export_and_gate_take_policy_overrides() {
    let out = run_ok(&[
        "plan",
        "--policy",
        "k8s-default",
        "--replicas",
        "10",
        "--set",
        "policy.max_surge=50%",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // 50% surge of 10 is 5 extra pods; 25% unavailable lets 2 old pods go at once.
    assert_eq!(v["steps"][0]["new_desired"].as_u64(), Some(5));
    let yaml = stdout(&cli(&[
        "export",
        "--policy",
        "k8s-default",
        "--to",
        "k8s",
        "--set",
        "policy.max_surge=3",
    ]));
    assert!(yaml.contains("maxSurge: 3"), "{yaml}");
    for command in [
        &["plan", "--policy", "k8s-default", "--replicas", "4"][..],
        &["export", "--policy", "k8s-default", "--to", "k8s"][..],
        &[
            "gate",
            "--policy",
            "gated-10pct",
            "--metrics",
            "nowhere.json",
        ][..],
    ] {
        let mut args = command.to_vec();
        args.extend(["--set", "scenario.fleet.replicas=3"]);
        run_fails(
            &args,
            2,
            "scenario.fleet.replicas=3: this command takes no scenario",
        );
    }
}

#[test]
fn export_writes_refuses_and_tells_what_it_dropped() {
    let dir = temp_dir("export");
    let out = dir.join("deploy.yaml");
    let o = cli(&[
        "export",
        "--policy",
        "gated-10pct",
        "--to",
        "k8s",
        "--service",
        "checkout",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("not expressed in k8s: Kubernetes has no health gates"),
        "{err}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("# rollcage could not express everything"));
    assert!(text.contains("kind: Deployment"));
    let again = [
        "export",
        "--policy",
        "gated-10pct",
        "--to",
        "k8s",
        "--out",
        out.to_str().unwrap(),
    ];
    run_fails(&again, 2, "exists; pass --force");
    run_ok(&[&again[..], &["--force"]].concat());
    run_fails(
        &["export", "--policy", "argo-canary", "--to", "k8s"],
        2,
        "it exports to: argo, json",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// The JSON export is a policy file: `validate` and `run` accept it, and the run is the
/// same as with the original.
#[test]
fn exported_json_runs_like_the_original() {
    let dir = temp_dir("json-export");
    let file = dir.join("exported.json");
    let f = file.to_str().unwrap();
    run_ok(&[
        "export",
        "--policy",
        "flagger-canary",
        "--to",
        "json",
        "--out",
        f,
    ]);
    assert!(run_ok(&["validate", f]).contains("ok (policy flagger-canary, canary)"));
    let run = |p: &str| -> serde_json::Value {
        let out = run_ok(&[
            "run",
            "--scenario",
            "error-regression",
            "--policy",
            p,
            "--json",
            "--set",
            "scenario.run.horizon_seconds=900",
        ]);
        serde_json::from_str(&out).unwrap()
    };
    let (ja, jb) = (run(f), run("flagger-canary"));
    for key in ["outcome", "t_detect_s", "requests_bad", "deploy_duration_s"] {
        assert_eq!(ja[key], jb[key], "{key}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

fn gate(policy: &str, metrics: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let m = fixture(metrics);
    let mut args = vec!["gate", "--policy", policy, "--metrics", m.as_str()];
    args.extend_from_slice(extra);
    let o = cli(&args);
    (o.status.code(), stdout(&o), stderr(&o))
}

#[test]
fn gate_exit_codes_follow_the_verdicts() {
    let (code, out, _) = gate("codedeploy-half", "healthy.json", &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("error-ratio") && out.contains("verdict: pass (advance, exit 0)"),
        "{out}"
    );
    let (code, out, _) = gate("codedeploy-half", "errors.json", &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("0.052500"), "42 errors of 800 requests: {out}");
    // Judged as of the fourth scrape, before the errors began, it passes.
    let (code, _, _) = gate("codedeploy-half", "errors.json", &["--at", "1700000060"]);
    assert_eq!(code, Some(0));
    let (code, out, _) = gate("codedeploy-half", "healthy.csv", &[]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn gate_on_empty_results_and_gaps() {
    // Nothing at all: the gates' on_empty (inconclusive) pauses...
    let (code, out, _) = gate("codedeploy-half", "empty.json", &[]);
    assert_eq!(code, Some(3), "{out}");
    // ...while Flagger counts a window without data as a failed check.
    let (code, _, _) = gate("flagger-canary", "empty.json", &[]);
    assert_eq!(code, Some(1));
    // Gaps: the canary series skips its second point and stops after the fourth. The
    // last minute holds no canary request: inconclusive...
    let (code, out, _) = gate("codedeploy-half", "gaps.json", &[]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("0 candidate requests in the window"), "{out}");
    // ...while the minute up to the fourth scrape holds three points, 600 requests.
    let (code, out, _) = gate("codedeploy-half", "gaps.json", &["--at", "1700000060"]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn gate_bad_input_exits_2_naming_the_problem() {
    let (code, _, err) = gate("codedeploy-half", "missing.json", &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("missing.json"), "{err}");
    let dir = temp_dir("gate-bad");
    let f = &write_file(
        &dir,
        "bad.json",
        r#"{"requests": {"status": "success", "data": {"resultType": "vector", "result": []}}}"#,
    );
    let gate = |policy: &str, needle: &str| {
        run_fails(&["gate", "--policy", policy, "--metrics", f], 2, needle);
    };
    gate(
        "codedeploy-half",
        "requests.data.resultType: expected \"matrix\"",
    );
    gate("k8s-default", "has no gates");
    std::fs::remove_dir_all(dir).unwrap();
}

fn example(name: &str) -> String {
    format!("{}/examples/gate/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_gate_examples_pass_and_fail_as_documented() {
    let run = |file: &str| {
        let m = example(file);
        let o = cli(&["gate", "--policy", "gated-10pct", "--metrics", m.as_str()]);
        (o.status.code(), stdout(&o), stderr(&o))
    };
    for file in ["metrics.csv", "metrics.json"] {
        let (code, out, err) = run(file);
        assert_eq!(code, Some(0), "{file}: {out}{err}");
        assert!(out.contains("(40 samples up to t=1700000600)"), "{out}");
        assert!(
            out.contains("error_ratio candidate 0.001103 <= 0.010000")
                && out.contains("latency_p99_ms candidate 374.783500 <= 567.175250")
                && out.ends_with("verdict: pass (advance, exit 0)\n"),
            "{out}"
        );
    }
    let (code, out, _) = run("metrics-failing.csv");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("error_ratio candidate 0.036955 > 0.010000")
            && out.contains("latency_p99_ms candidate 1003.519500 > 567.175250")
            && out.ends_with("verdict: fail (roll back, exit 1)\n"),
        "{out}"
    );
    // Judged before the candidate went bad, the same file advances.
    let m = example("metrics-failing.csv");
    let o = cli(&[
        "gate",
        "--policy",
        "gated-10pct",
        "--metrics",
        m.as_str(),
        "--at",
        "1700000420",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // The help says where the format is described.
    let help = run_ok(&["gate", "--help"]);
    assert!(
        help.contains("docs/exports.md") && help.contains("examples/gate/"),
        "{help}"
    );
}

/// `examples/gate/metrics.csv` (which passes) with one cell replaced.
fn csv_with(line: usize, column: &str, value: &str) -> String {
    let text = std::fs::read_to_string(example("metrics.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let k = lines[0].split(',').position(|c| c == column).unwrap();
    let mut cells: Vec<String> = lines[line - 1].split(',').map(str::to_string).collect();
    cells[k] = value.to_string();
    lines[line - 1] = cells.join(",");
    lines.join("\n") + "\n"
}

/// `examples/gate/metrics.json` (which passes) edited.
fn json_with(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let text = std::fs::read_to_string(example("metrics.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut v);
    serde_json::to_string(&v).unwrap()
}

/// Runs `gate` on `text` written to `dir/name`; the garbage must exit 2 with the file,
/// the place and the reason on stderr, and no verdict on stdout.
fn refuses(dir: &std::path::Path, name: &str, text: &str, place_and_reason: &str) {
    let path = &write_file(dir, name, text);
    let o = cli(&["gate", "--policy", "gated-10pct", "--metrics", path]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(
        o.status.code(),
        Some(2),
        "{name}: exit {:?}\n{out}{err}",
        o.status.code()
    );
    assert!(out.is_empty(), "{name}: a verdict on garbage:\n{out}");
    let want = format!("error: {path}: {place_and_reason}");
    assert!(err.starts_with(&want), "{name}:\n got {err}want {want}");
}

#[test]
fn gate_refuses_garbage_csv_naming_line_time_version_and_reason() {
    let dir = temp_dir("gate-garbage-csv");
    // Line 7 is the stable row at t=1700000045; line 6 the canary row.
    let at7 = "line 7 (t=1700000045, version=stable)";
    let at6 = "line 6 (t=1700000045, version=canary)";
    let increases = ": values are increases over the step, never below 0 (the queries already account for counter resets)";
    let cases: Vec<(&str, String, String)> = vec![
        ("neg-requests", csv_with(7, "requests", "-4200"), format!("{at7}, column requests: requests -4200 is negative{increases}")),
        ("neg-errors", csv_with(7, "errors", "-1"), format!("{at7}, column errors: errors -1 is negative{increases}")),
        ("neg-restarts", csv_with(6, "restarts", "-1"), format!("{at6}, column restarts: restarts -1 is negative{increases}")),
        ("neg-bucket", csv_with(6, "le_25", "-5"), format!("{at6}, column le_25: latency bucket -5 is negative{increases}")),
        ("neg-memory", csv_with(6, "memory_mb", "-312"), format!("{at6}, column memory_mb: memory_mb -312 is negative")),
        ("pos-inf", csv_with(6, "errors", "+Inf"), format!("{at6}, column errors: errors +Inf is not finite")),
        ("neg-inf", csv_with(6, "restarts", "-Inf"), format!("{at6}, column restarts: restarts -Inf is not finite")),
        ("nan", csv_with(6, "requests", "NaN"), format!("{at6}, column requests: requests NaN is not a number")),
        ("overflow", csv_with(6, "le_inf", "1e400"), format!("{at6}, column le_inf: latency bucket 1e400 is not finite")),
        ("huge", csv_with(6, "requests", "1e12"), format!("{at6}, column requests: requests 1e12 is over 4294967295")),
        ("errors-over-requests", csv_with(6, "errors", "500"), format!("{at6}: errors 500 > requests 463")),
        ("not-cumulative", csv_with(6, "le_100", "100"), format!("{at6}: latency buckets are not cumulative: 100 under 100 ms < 371 under 50 ms")),
        ("no-inf-bucket", csv_with(6, "le_inf", ""), format!("{at6}: latency buckets without the +Inf bucket")),
        ("duplicate-row", csv_with(6, "time", "1700000030"), "line 6 (t=1700000030, version=canary): duplicate row: line 4 has the same time and version".into()),
        ("time-back", csv_with(6, "time", "1700000020"), "line 6 (t=1700000020, version=canary): time goes back: line 4 has t=1700000030".into()),
        ("bad-time", csv_with(6, "time", "soon"), "line 6, column time: \"soon\" is not a number".into()),
        ("unknown-version", csv_with(6, "version", "green"), "line 6, column version: \"green\" is neither new".into()),
        ("missing-column", "time,version,requests,errors,memory_mb\n".into(), "line 1: column 5 is \"memory_mb\" where \"restarts\" belongs".into()),
        ("short-row", csv_with(6, "le_inf", "439,1"), "line 6: 14 fields, the header has 13".into()),
    ];
    for (name, text, want) in &cases {
        refuses(&dir, &format!("{name}.csv"), text, want);
    }
    // The unedited file passes, so each refusal above is its one edit's doing.
    assert_eq!(
        csv_with(6, "errors", "1"),
        std::fs::read_to_string(example("metrics.csv")).unwrap()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn gate_refuses_garbage_json_naming_series_labels_time_and_reason() {
    use serde_json::json;
    let dir = temp_dir("gate-garbage-json");
    // Point 3 of each series is t=1700000060; result[0] is the canary, [1] the stable.
    let set = |key: &'static str, series: usize, point: usize, value: serde_json::Value| {
        json_with(move |v| v[key]["data"]["result"][series]["values"][point][1] = value)
    };
    let at = |key: &str, series: usize, labels: &str| {
        format!("{key}.data.result[{series}] {{{labels}}}, values[3] (t=1700000060)")
    };
    let canary = "version=\"canary\"";
    let increases = ": values are increases over the step, never below 0 (the queries already account for counter resets)";
    // latency_bucket: result[0..7] are the canary's bounds 0.025 ... +Inf.
    let bucket = |le: &str| format!("{canary}, le=\"{le}\"");
    // One value at point 3 of one series replaced: the case's name, the series' key,
    // index and labels, the value, and the reason after the place.
    #[rustfmt::skip]
    let points: [(&str, &'static str, usize, String, &str, String); 12] = [
        ("neg-requests", "requests", 0, canary.into(), "-1", format!("requests -1 is negative{increases}")),
        ("neg-errors", "errors", 0, canary.into(), "-1", format!("errors -1 is negative{increases}")),
        ("neg-restarts", "restarts", 1, "version=\"stable\"".into(), "-1", format!("restarts -1 is negative{increases}")),
        ("neg-bucket", "latency_bucket", 0, bucket("0.025"), "-3", format!("latency bucket -3 is negative{increases}")),
        ("neg-memory", "memory_mb", 0, canary.into(), "-300", "memory_mb -300 is negative".into()),
        ("pos-inf", "errors", 0, canary.into(), "+Inf", "errors inf is not finite".into()),
        ("neg-inf", "requests", 0, canary.into(), "-Inf", "requests -inf is not finite".into()),
        ("nan", "errors", 0, canary.into(), "NaN", "errors NaN is not a number".into()),
        ("overflow", "restarts", 0, canary.into(), "1e400", "restarts inf is not finite".into()),
        ("errors-over-requests", "errors", 0, canary.into(), "9999", "errors 9999 > requests ".into()),
        ("not-cumulative", "latency_bucket", 2, bucket("0.1"), "1", "latency buckets are not cumulative: 1 under 100 ms < ".into()),
        ("not-a-number", "errors", 0, canary.into(), "many", "the value is not a number".into()),
    ];
    let mut cases: Vec<(&str, String, String)> = points
        .into_iter()
        .map(|(name, key, series, labels, value, reason)| {
            let place = at(key, series, &labels);
            (
                name,
                set(key, series, 3, json!(value)),
                format!("{place}: {reason}"),
            )
        })
        .collect();
    cases.extend([
        (
            "duplicate-timestamp",
            json_with(|v| v["requests"]["data"]["result"][0]["values"][4][0] = json!(1700000060)),
            format!(
                "requests.data.result[0] {{{canary}}}, values[4] (t=1700000060): duplicate timestamp: values[3] has the same time"
            ),
        ),
        (
            "time-back",
            json_with(|v| v["errors"]["data"]["result"][0]["values"][4][0] = json!(1700000000)),
            format!(
                "errors.data.result[0] {{{canary}}}, values[4] (t=1700000000): timestamps go back: after t=1700000060 (values[3])"
            ),
        ),
        (
            "two-series-one-version",
            json_with(|v| v["requests"]["data"]["result"][1]["metric"]["version"] = json!("new")),
            format!(
                "requests.data.result[1] {{version=\"new\"}}, values[0] (t=1700000015): a second requests value for this version and time, after requests.data.result[0] {{{canary}}}, values[0]"
            ),
        ),
        (
            "unknown-version",
            json_with(|v| v["errors"]["data"]["result"][1]["metric"]["version"] = json!("green")),
            "errors.data.result[1].metric.version: \"green\" is neither new".into(),
        ),
        (
            "missing-requests",
            json_with(|v| {
                v.as_object_mut().unwrap().remove("requests");
            }),
            "requests: missing: the request counts are required".into(),
        ),
        (
            "no-inf-bucket",
            json_with(|v| {
                v["latency_bucket"]["data"]["result"]
                    .as_array_mut()
                    .unwrap()
                    .remove(6);
            }),
            format!(
                "{}: latency buckets without the +Inf bucket",
                at("latency_bucket", 5, &bucket("1")).replace("values[3] (t=1700000060)", "values[0] (t=1700000015)")
            ),
        ),
        (
            "vector",
            json_with(|v| v["errors"]["data"]["resultType"] = json!("vector")),
            "errors.data.resultType: expected \"matrix\"".into(),
        ),
    ]);
    for (name, text, want) in &cases {
        refuses(&dir, &format!("{name}.json"), text, want);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn gate_refuses_empty_oversized_and_non_text_files() {
    let dir = temp_dir("gate-garbage-files");
    let f = |name: &str| dir.join(name).to_str().unwrap().to_string();
    refuses(
        &dir,
        "empty.csv",
        "",
        "empty file: expected Prometheus query_range JSON or a CSV",
    );
    refuses(&dir, "blank.json", " \n\t\n", "empty file");
    // One byte over 64 MiB is refused before it is read.
    let big = std::fs::File::create(f("big.csv")).unwrap();
    big.set_len(64 * 1024 * 1024 + 1).unwrap();
    let o = cli(&[
        "gate",
        "--policy",
        "gated-10pct",
        "--metrics",
        &f("big.csv"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: {}: 67108865 bytes, over the 64 MiB a gate input may have\n",
            f("big.csv")
        )
    );
    std::fs::write(
        f("latin1.csv"),
        b"time,version,requests,errors,restarts,memory_mb\n15,can\xe4ry,1,0,0,1\n",
    )
    .unwrap();
    run_fails(
        &[
            "gate",
            "--policy",
            "gated-10pct",
            "--metrics",
            &f("latin1.csv"),
        ],
        2,
        "latin1.csv: not UTF-8 text: byte 55",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn export_refuses_names_and_addresses_kubernetes_would() {
    let run = |extra: &[&str]| {
        let mut args = vec!["export", "--policy", "argo-canary", "--to", "argo"];
        args.extend_from_slice(extra);
        let o = cli(&args);
        (o.status.code(), stdout(&o), stderr(&o))
    };
    let (code, out, err) = run(&["--prometheus-address", "not a url"]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(
        err.starts_with("error: --prometheus-address: has ' ' at position 4; it must be an http:// or https:// URL")
            && err.contains("found not a url"),
        "{err}"
    );
    for bad in [
        "prometheus:9090",
        "http://prometheus:0",
        "http://prometheus:70000",
        "http://u:p@prom",
    ] {
        assert_eq!(run(&["--prometheus-address", bad]).0, Some(2), "{bad}");
    }
    let (code, out, _) = run(&[
        "--prometheus-address",
        "https://prometheus.example.com:443/prom",
    ]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("address: \"https://prometheus.example.com:443/prom\"\n"),
        "{out}"
    );
    let (code, _, err) = run(&["--service", "Bad Name"]);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("error: --service: has 'B' at position 1, which is uppercase"),
        "{err}"
    );
    for bad in [
        "check_out",
        "-checkout",
        "checkout-",
        "1checkout",
        &"a".repeat(56),
    ] {
        assert_eq!(run(&["--service", bad]).0, Some(2), "{bad}");
    }
    assert_eq!(run(&["--service", &"a".repeat(55)]).0, Some(0));
    // The default, the policy's name, is held to the same rule.
    let dir = temp_dir("export-policy-name");
    let builtin = std::fs::read_to_string(format!(
        "{}/policies/builtin/argo-canary.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let p = write_file(
        &dir,
        "p.toml",
        builtin.replace("name = \"argo-canary\"", "name = \"Argo_Canary\""),
    );
    run_fails(
        &["export", "--policy", &p, "--to", "argo"],
        2,
        "--service not given, and the policy's name \"Argo_Canary\" cannot stand for it: it has 'A' at position 1, which is uppercase",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// `--metric-names` renames what the queries read; a bad mapping is refused (exit 2)
/// with the file, the key and the problem.
#[test]
fn export_reads_a_metric_names_mapping() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/metric-names.toml");
    let o = cli(&[
        "export",
        "--policy",
        "gated-10pct",
        "--to",
        "argo",
        "--service",
        "checkout",
        "--metric-names",
        example,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(r#"api_requests_total{job=\"checkout\", track=\"canary\", status=~\"5..\"}"#),
        "{text}"
    );
    assert!(
        text.contains("api_request_latency_seconds_bucket{job="),
        "{text}"
    );
    assert!(!text.contains("http_requests_total"), "{text}");
    // Restarts are mapped to their default name: unchanged.
    assert!(text.contains("kube_pod_container_status_restarts_total{job="));

    let dir = temp_dir("metric-names");
    let bad = dir.join("names.toml");
    std::fs::write(
        &bad,
        "[metrics]\nrequest = \"x_total\"\nmemory = \"mem-bytes\"\n[labels]\nle = \"bucket\"\n",
    )
    .unwrap();
    let o = cli(&[
        "export",
        "--policy",
        "flagger-canary",
        "--to",
        "flagger",
        "--metric-names",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    let file = bad.display().to_string();
    for want in [
        format!("{file}: metrics.request: unknown key (did you mean `requests`?)"),
        format!("{file}: metrics.memory: \"mem-bytes\" is not a Prometheus metric name"),
        format!("{file}: labels.le: cannot be renamed"),
    ] {
        assert!(err.contains(&want), "{want} not in:\n{err}");
    }
    assert!(stdout(&o).is_empty());
    std::fs::write(&bad, "").unwrap();
    let o = cli(&[
        "export",
        "--policy",
        "flagger-canary",
        "--to",
        "flagger",
        "--metric-names",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the file maps no name"),
        "{}",
        stderr(&o)
    );
    let missing = dir.join("absent.toml");
    let o = cli(&[
        "export",
        "--policy",
        "flagger-canary",
        "--to",
        "flagger",
        "--metric-names",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("absent.toml"), "{}", stderr(&o));
    std::fs::remove_dir_all(dir).unwrap();
}
