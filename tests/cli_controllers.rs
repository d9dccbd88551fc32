//! `rollcage plan`, `export` and `gate` from the command line: outputs, exit codes and
//! clear errors.

mod common;

use common::{cli, stderr, stdout, temp_dir};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/metrics/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn plan_shows_the_kubernetes_syncs() {
    let o = cli(&[
        "plan",
        "--policy",
        "k8s-default",
        "--replicas",
        "10",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
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
    let o = cli(&[
        "plan",
        "--policy",
        "k8s-default",
        "--replicas",
        "10",
        "--set",
        "policy.max_surge=50%",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
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
        let o = cli(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("scenario.fleet.replicas=3: this command takes no scenario"),
            "{}",
            stderr(&o)
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
    let again = cli(&[
        "export",
        "--policy",
        "gated-10pct",
        "--to",
        "k8s",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("exists; pass --force"));
    let forced = cli(&[
        "export",
        "--policy",
        "gated-10pct",
        "--to",
        "k8s",
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert!(forced.status.success());
    let refused = cli(&["export", "--policy", "argo-canary", "--to", "k8s"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("it exports to: argo, json"),
        "{}",
        stderr(&refused)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// The JSON export is a policy file: `validate` and `run` accept it, and the run is the
/// same as with the original.
#[test]
fn exported_json_runs_like_the_original() {
    let dir = temp_dir("json-export");
    let file = dir.join("exported.json");
    let o = cli(&[
        "export",
        "--policy",
        "flagger-canary",
        "--to",
        "json",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let f = file.to_str().unwrap();
    let v = cli(&["validate", f]);
    assert!(v.status.success(), "{}", stderr(&v));
    assert!(stdout(&v).contains("ok (policy flagger-canary, canary)"));
    let args = |p: &str| {
        vec![
            "run",
            "--scenario",
            "error-regression",
            "--policy",
            p,
            "--json",
            "--set",
            "scenario.run.horizon_seconds=900",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let a = cli(&args(f).iter().map(String::as_str).collect::<Vec<_>>());
    let b = cli(&args("flagger-canary")
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert!(a.status.success(), "{}", stderr(&a));
    let (ja, jb): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&stdout(&a)).unwrap(),
        serde_json::from_str(&stdout(&b)).unwrap(),
    );
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
    let f = dir.join("bad.json");
    std::fs::write(
        &f,
        r#"{"requests": {"status": "success", "data": {"resultType": "vector", "result": []}}}"#,
    )
    .unwrap();
    let o = cli(&[
        "gate",
        "--policy",
        "codedeploy-half",
        "--metrics",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("requests.data.resultType: expected \"matrix\""),
        "{}",
        stderr(&o)
    );
    let o = cli(&[
        "gate",
        "--policy",
        "k8s-default",
        "--metrics",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("has no gates"));
    std::fs::remove_dir_all(dir).unwrap();
}
