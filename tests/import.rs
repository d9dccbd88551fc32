//! `--policy FILE.yaml` end to end: every command that takes a policy reads a manifest
//! through the importer, prints its notes on stderr once, and refuses a bad manifest
//! with exit code 2 and a message naming the file, the document and the field.

mod common;

use common::manifests::{assert_once, example, export, refused_by_every_command, sweep};
use common::{cli, run_fails, run_ok, stderr, stdout, temp_dir, write_file};

fn deployment(name: &str, spec: &str) -> String {
    format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

#[test]
fn a_bad_manifest_exits_2_naming_file_document_and_field() {
    let dir = temp_dir("import-bad");
    let bad = write_file(
        &dir,
        "bad.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\n---\n{}",
            deployment(
                "web",
                "  strategy:\n    rollingUpdate:\n      maxSurge: \"25\"\n      maxUnavailable: ten\n"
            )
        ),
    );
    let at = format!("{bad}: document 2 (Deployment web): spec.strategy.rollingUpdate");
    refused_by_every_command(
        &bad,
        &["--replicas", "4"],
        "k8s",
        &[
            &format!("{at}.maxSurge: \"25\" is a string of digits, which the API refuses"),
            &format!("{at}.maxUnavailable: \"ten\" is neither a count nor a percentage"),
        ],
    );
    let deep = write_file(
        &dir,
        "deep.yaml",
        deployment("web", "  minReadySeconds: 9000000\n"),
    );
    run_fails(
        &["run", "--scenario", "steady", "--policy", &deep],
        2,
        &format!(
            "{deep}: document 1 (Deployment web): spec.minReadySeconds: must be at most 2592000, found 9000000"
        ),
    );
    let broken = write_file(
        &dir,
        "broken.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nspec: [\n",
    );
    run_fails(
        &["validate", &broken],
        2,
        &format!("{broken}: document 1: not valid YAML: "),
    );
    let big = write_file(
        &dir,
        "big.yaml",
        "#".repeat(policies::limits::MAX_MANIFEST_BYTES + 1),
    );
    run_fails(
        &["validate", &big],
        2,
        &format!("{big}: over 4194304 bytes; a manifest file holds at most that many"),
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn run_prints_the_notes_once_and_simulates_what_the_equivalent_toml_does() {
    let manifest = example("deployment.yaml");
    let o = cli(&[
        "run",
        "--scenario",
        "memory-leak",
        "--policy",
        &manifest,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let template = format!(
        "note: {manifest}: document 1 (Deployment checkout): spec.template: not simulated: "
    );
    assert_eq!(err.matches(&template).count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "note: {manifest}: document 2 (Service checkout): not simulated: "
        )),
        "{err}"
    );
    // The same strategy written as a rollcage policy runs the same rollout.
    let dir = temp_dir("import-same");
    let toml = write_file(
        &dir,
        "same.toml",
        "schema_version = 1\nname = \"checkout\"\nkind = \"rolling\"\nmax_surge = \"25%\"\nmax_unavailable = 0\nmin_ready_seconds = 10\nprogress_deadline_seconds = 300\n",
    );
    let t = run_ok(&[
        "run",
        "--scenario",
        "memory-leak",
        "--policy",
        &toml,
        "--json",
    ]);
    let metrics =
        |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap()["metrics"].clone();
    assert_eq!(metrics(&stdout(&o)), metrics(&t));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn plan_takes_its_replicas_from_the_manifest() {
    let manifest = example("deployment.yaml");
    let text = run_ok(&["plan", "--policy", &manifest]);
    assert!(
        text.starts_with("plan: policy checkout (rolling) on 20 replicas"),
        "{text}"
    );
    let text = run_ok(&["plan", "--policy", &manifest, "--replicas", "4"]);
    assert!(
        text.starts_with("plan: policy checkout (rolling) on 4 replicas"),
        "{text}"
    );
    let dir = temp_dir("import-plan");
    let bare = write_file(
        &dir,
        "bare.yaml",
        deployment("web", "  minReadySeconds: 5\n"),
    );
    run_fails(
        &["plan", "--policy", &bare],
        2,
        "--replicas: required; policy web names no replica count",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn export_writes_the_imported_policy() {
    let o = cli(&[
        "export",
        "--policy",
        &example("deployment.yaml"),
        "--to",
        "k8s",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("      maxSurge: \"25%\"\n      maxUnavailable: 0\n"),
        "{text}"
    );
    assert!(
        text.contains("  minReadySeconds: 10\n  progressDeadlineSeconds: 300\n"),
        "{text}"
    );
    assert!(
        stderr(&o).contains("note: "),
        "the import's notes come first"
    );
    let json = export(&example("codedeploy.json"), "json");
    assert!(json.contains("\"kind\": \"batched\""), "{json}");
    assert!(
        json.contains("\"type\": \"FLEET_PERCENT\",\n    \"value\": 75"),
        "{json}"
    );
}

#[test]
fn validate_checks_a_manifest_and_prints_its_notes() {
    let o = cli(&[
        "validate",
        &example("deployment.yaml"),
        &example("codedeploy.json"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "{}: ok (policy checkout, rolling, from document 1 (Deployment checkout))\n{}: ok (policy checkout-quarter-at-a-time, batched, from deployment config checkout-quarter-at-a-time)\n",
            example("deployment.yaml"),
            example("codedeploy.json")
        )
    );
    assert!(
        stderr(&o).contains("spec.revisionHistoryLimit: not simulated"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_file_of_several_policies_is_refused_unless_one_is_picked() {
    let dir = temp_dir("import-pick");
    let two = write_file(
        &dir,
        "two.yaml",
        format!(
            "{}---\n{}",
            deployment("web", "  replicas: 4\n"),
            deployment("api", "  replicas: 6\n")
        ),
    );
    run_fails(
        &["plan", "--policy", &two],
        2,
        &format!(
            "{two}: holds 2 policies: document 1 (Deployment web), document 2 (Deployment api); pick one with {two}#web"
        ),
    );
    let api = format!("{two}#api");
    let text = run_ok(&["plan", "--policy", &api]);
    assert!(
        text.starts_with("plan: policy api (rolling) on 6 replicas"),
        "{text}"
    );
    run_fails(
        &["plan", "--policy", &format!("{two}#db")],
        2,
        "#db: no policy of that name",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_sweep_takes_several_manifests_and_notes_each_once() {
    let (d, c) = (example("deployment.yaml"), example("codedeploy.json"));
    let s = sweep(
        "import-sweep",
        "steady,memory-leak",
        &[&d, &c],
        &["--grid", "policy.min_ready_seconds=0,5"],
    );
    assert_once(
        &s.stderr,
        &format!("{d}: document 1 (Deployment checkout): spec.template: "),
    );
    assert_once(
        &s.stderr,
        &format!(
            "{c}: deployment config checkout-quarter-at-a-time: deploymentConfigInfo.createTime: "
        ),
    );
    let table = &s.stdout;
    for v in [
        "checkout[min_ready_seconds=0]",
        "checkout[min_ready_seconds=5]",
        "checkout-quarter-at-a-time[min_ready_seconds=5]",
    ] {
        assert!(table.contains(v), "{v}\n{table}");
    }
    let manifest = std::fs::read_to_string(s.out.join("manifest.json")).unwrap();
    assert!(
        manifest.contains(&format!("\"source\": \"{d}\"")),
        "{manifest}"
    );
    std::fs::remove_dir_all(s.dir).unwrap();
}

#[test]
fn a_manifests_replicas_are_noted_where_the_scenario_differs() {
    let o = cli(&[
        "run",
        "--scenario",
        "steady",
        "--policy",
        &example("deployment.yaml"),
        "--set",
        "scenario.fleet.replicas=8",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "note: {}: document 1 (Deployment checkout): spec.replicas: 20 replicas, but scenario steady simulates its own fleet of 8; set scenario.fleet.replicas=20 to simulate 20",
            example("deployment.yaml")
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn predefined_codedeploy_names_are_policies() {
    let text = run_ok(&[
        "plan",
        "--policy",
        "CodeDeployDefault.HalfAtATime",
        "--replicas",
        "9",
    ]);
    assert!(text.contains("batch 1: deploy in place to 4"), "{text}");
    run_fails(
        &[
            "plan",
            "--policy",
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            "--replicas",
            "9",
        ],
        2,
        "computePlatform: Lambda is not simulated",
    );
    run_fails(
        &[
            "plan",
            "--policy",
            "CodeDeployDefault.HalfAtATim",
            "--replicas",
            "9",
        ],
        2,
        "no built-in policy of that name and no such file",
    );
}

#[test]
fn import_flags_are_checked_on_every_command_that_takes_a_policy() {
    let d = example("deployment.yaml");
    for cmd in [
        vec!["run", "--scenario", "steady", "--policy", &d],
        vec!["plan", "--policy", &d],
        vec!["export", "--policy", &d, "--to", "k8s"],
        vec!["validate", &d],
        vec![
            "gameday",
            "--scenario",
            "steady",
            "--policy",
            &d,
            "--out",
            "/nonexistent/rollcage-never",
        ],
        vec![
            "sweep",
            "--scenarios",
            "steady",
            "--policies",
            &d,
            "--seeds",
            "1",
            "--out",
            "/nonexistent/rollcage-never",
        ],
        vec![
            "gate",
            "--policy",
            &d,
            "--metrics",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/gate/metrics.csv"),
        ],
    ] {
        let mut bad = cmd.clone();
        bad.extend(["--map-metric", "no-slash=error_ratio"]);
        run_fails(
            &bad,
            2,
            "--map-metric: no-slash=error_ratio: no `/` between the template and the metric",
        );
        let mut unused = cmd.clone();
        unused.extend(["--map-metric", "success-rate/errors=error_ratio"]);
        run_fails(
            &unused,
            2,
            "--map-metric: success-rate/errors=error_ratio: no metric errors of a template success-rate was read",
        );
        let mut missing = cmd.clone();
        missing.extend(["--analysis", "/nonexistent/templates.yaml"]);
        run_fails(&missing, 2, "/nonexistent/templates.yaml");
    }
}

#[test]
fn an_analysis_file_of_templates_is_read_and_its_unused_templates_noted() {
    let dir = temp_dir("import-analysis");
    let t = write_file(
        &dir,
        "templates.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: success-rate}\nspec:\n  metrics: [{name: errors}]\n",
    );
    let o = cli(&[
        "plan",
        "--policy",
        &example("deployment.yaml"),
        "--analysis",
        &t,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "note: {t}: document 1 (AnalysisTemplate success-rate): not simulated: no policy in the files refers to this template"
        )),
        "{}",
        stderr(&o)
    );
    let v = run_ok(&["validate", &t]);
    assert_eq!(
        v,
        format!(
            "{t}: ok (1 template: document 1 (AnalysisTemplate success-rate); each is read in full by the policy that refers to it)\n"
        )
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn gate_and_gameday_take_a_manifest() {
    // A Deployment has no gates; one added with --set is judged on real metrics.
    let metrics = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/gate/metrics.csv");
    run_fails(
        &[
            "gate",
            "--policy",
            &example("deployment.yaml"),
            "--metrics",
            metrics,
        ],
        2,
        "policy checkout has no gates to judge with",
    );
    let o = cli(&[
        "gate",
        "--policy",
        &example("deployment.yaml"),
        "--set",
        "policy.gates=[{name = \"errors\", metric = \"error_ratio\", threshold = 0.5, min_samples = 1}]",
        "--metrics",
        metrics,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let dir = temp_dir("import-gameday");
    let out = dir.join("gd");
    let o = cli(&[
        "gameday",
        "--scenario",
        "memory-leak",
        "--policy",
        &example("codedeploy.json"),
        "--seeds",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o)
            .matches("deploymentConfigInfo.createTime")
            .count(),
        1,
        "{}",
        stderr(&o)
    );
    let runbook = std::fs::read_to_string(out.join("gameday.md")).unwrap();
    assert!(runbook.contains("checkout-quarter-at-a-time"), "{runbook}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_check_suite_names_manifests_beside_it_with_its_import_keys() {
    let dir = temp_dir("import-check");
    std::fs::copy(example("deployment.yaml"), dir.join("deployment.yaml")).unwrap();
    write_file(
        &dir,
        "templates.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: success-rate}\nspec: {}\n",
    );
    let suite = write_file(
        &dir,
        "suite.toml",
        "schema_version = 1\npolicies = [\"deployment.yaml\"]\nscenarios = [\"good-release\"]\nseeds = 2\nanalysis = [\"templates.yaml\"]\nassertions = [\"good-release: false_rollback_rate <= 100%\"]\n",
    );
    let o = cli(&["check", "--suite", &suite]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("(AnalysisTemplate success-rate): not simulated: no policy in the files refers to this template"), "{}", stderr(&o));
    let bad = write_file(
        &dir,
        "bad.toml",
        "schema_version = 1\npolicies = [\"deployment.yaml\"]\nscenarios = [\"good-release\"]\nseeds = 2\nmap_metric = [\"x\"]\nassertions = [\"good-release: false_rollback_rate <= 100%\"]\n",
    );
    run_fails(&["check", "--suite", &bad], 2, "--map-metric: x: no `=`");
    std::fs::remove_dir_all(dir).unwrap();
}
