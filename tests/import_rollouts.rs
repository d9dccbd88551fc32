//! Argo Rollouts and Flagger Canaries end to end: `run`, `plan`, `sweep`, `export` and
//! `validate` read them through the importer, with their templates from the same file
//! or `--analysis`, print their notes once, and refuse a bad one with exit code 2
//! naming the file, the document and the field.

mod common;

use common::manifests::{assert_once, example, export, refused_by_every_command, sweep};
use common::{cli, run_fails, run_ok, stderr, stdout, temp_dir, write_file};

/// The Argo canary example's Rollout and its template, as two texts.
fn split_canary_example() -> (String, String) {
    let text = std::fs::read_to_string(example("rollout-canary.yaml")).unwrap();
    let (rollout, template) = text.split_once("\n---\n").expect("two documents");
    (format!("{rollout}\n"), template.to_string())
}

#[test]
fn the_argo_canary_example_catches_the_leak_and_notes_once() {
    let o = cli(&[
        "run",
        "--scenario",
        "memory-leak",
        "--policy",
        &example("rollout-canary.yaml"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("outcome      caught (detected by gate:restarts)"),
        "{out}"
    );
    assert!(
        out.contains("Argo Rollout checkout: canary, 8 steps, maxSurge 25%, maxUnavailable 0"),
        "{out}"
    );
    let err = stderr(&o);
    let once = |needle: &str| assert_once(&err, needle);
    once("document 1 (Rollout checkout): spec.template: not simulated");
    once(
        "document 2 (AnalysisTemplate checkout-health): spec.metrics[0].provider.prometheus.address: not simulated",
    );
    // The hash argument of both analysis steps, each noted at its own step.
    once(
        "spec.strategy.canary.steps[2].analysis.args[1]: argument canary-hash is the pod-template hash of the canary's ReplicaSet (Latest)",
    );
    once("spec.strategy.canary.steps[5].analysis.args[1]: argument canary-hash");
    // The scenario's fleet (20) is the Rollout's replicas: no note about it.
    assert!(!err.contains("fleet.replicas"), "{err}");
}

#[test]
fn plan_prints_the_controllers_steps_on_the_rollouts_replicas() {
    let text = run_ok(&["plan", "--policy", &example("rollout-canary.yaml")]);
    assert!(
        text.starts_with("plan: policy checkout (canary) on 20 replicas"),
        "{text}"
    );
    // Argo scales one ReplicaSet per sync, the canary first, then the stable.
    for line in [
        "step 1 setWeight: canary 2; until 2 canary pods available",
        "step 1 setWeight: stable 18",
        "step 2 pause; until 60s pass",
        "step 3 analysis; until analysis of 3 gate(s): 4 measurement(s), every 30s; Failed or Error aborts, Inconclusive pauses",
        "step 4 setWeight: canary 6",
        "step 6 analysis",
        "promote: canary 20",
        "promote: stable 0",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    let text = run_ok(&[
        "plan",
        "--policy",
        &example("rollout-canary.yaml"),
        "--replicas",
        "10",
    ]);
    assert!(text.contains("on 10 replicas"), "{text}");
    assert!(
        text.contains("step 1 setWeight: canary 1; until 1 canary pods available"),
        "{text}"
    );
    let text = run_ok(&["plan", "--policy", &example("rollout-bluegreen.yaml")]);
    assert!(
        text.starts_with("plan: policy checkout (blue-green) on 10 replicas"),
        "{text}"
    );
    let text = run_ok(&[
        "plan",
        "--policy",
        &example("flagger-canary.yaml"),
        "--replicas",
        "5",
    ]);
    assert!(
        text.starts_with("plan: policy cart (canary) on 5 replicas"),
        "{text}"
    );
}

#[test]
fn templates_come_from_analysis_files() {
    let dir = temp_dir("rollouts-analysis");
    let (rollout, template) = split_canary_example();
    let r = write_file(&dir, "rollout.yaml", &rollout);
    let t = write_file(&dir, "templates.yaml", &template);
    let err = run_fails(
        &["validate", &r],
        2,
        &format!(
            "{r}: document 1 (Rollout checkout): spec.strategy.canary.steps[2].analysis.templates[0].templateName: no AnalysisTemplate \"checkout-health\" in this file or in the --analysis files; give the file that holds it with --analysis FILE"
        ),
    );
    assert!(
        err.contains("steps[5].analysis.templates[0].templateName"),
        "{err}"
    );
    let o = cli(&["validate", &r, "--analysis", &t]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "{t}: document 1 (AnalysisTemplate checkout-health): spec.metrics[0].provider.prometheus.address"
        )),
        "{}",
        stderr(&o)
    );
    let out = run_ok(&[
        "run",
        "--scenario",
        "memory-leak",
        "--policy",
        &r,
        "--analysis",
        &t,
    ]);
    assert!(out.contains("outcome      caught"), "{out}");
    // A file of templates alone validates as templates.
    let out = run_ok(&["validate", &t]);
    assert!(out.contains("AnalysisTemplate checkout-health"), "{out}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_query_rollcage_cannot_read_needs_map_metric() {
    let dir = temp_dir("rollouts-map-metric");
    let (rollout, template) = split_canary_example();
    let odd = template.replace(
        "histogram_quantile(0.99,\n              sum by (le) (rate(http_request_duration_seconds_bucket",
        "quantile_over_time(0.99,\n              sum by (le) (rate(http_request_duration_seconds_bucket",
    );
    assert_ne!(odd, template);
    let f = write_file(&dir, "rollout.yaml", format!("{rollout}---\n{odd}"));
    let err = run_fails(
        &["run", "--scenario", "steady", "--policy", &f],
        2,
        &format!(
            "{f}: document 2 (AnalysisTemplate checkout-health): spec.metrics[1].provider.prometheus.query: metric p99-latency: rollcage cannot tell what this query measures: "
        ),
    );
    assert!(
        err.contains("Say what it measures with --map-metric checkout-health/p99-latency=KIND"),
        "{err}"
    );
    assert!(err.contains("quantile_over_time(0.99"), "{err}");
    // Told what it measures, the run goes on; a mapping nothing uses is an error.
    let out = run_ok(&[
        "run",
        "--scenario",
        "memory-leak",
        "--policy",
        &f,
        "--map-metric",
        "checkout-health/p99-latency=latency_p99_s",
    ]);
    assert!(out.contains("outcome      caught"), "{out}");
    run_fails(
        &[
            "run",
            "--scenario",
            "steady",
            "--policy",
            &example("rollout-canary.yaml"),
            "--map-metric",
            "checkout-health/p50=latency_p50_s",
        ],
        2,
        "--map-metric: checkout-health/p50=latency_p50_s: no metric p50 of a template checkout-health was read",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_rollout_exits_2_naming_file_document_and_field() {
    let dir = temp_dir("rollouts-bad");
    let (rollout, template) = split_canary_example();
    let bad = rollout
        .replace("- setWeight: 30", "- setWeight: 130")
        .replace("pause: {duration: 2m}", "pause: {duration: soon}");
    let f = write_file(&dir, "bad.yaml", format!("{bad}---\n{template}"));
    let at = format!("{f}: document 1 (Rollout checkout): spec.strategy.canary.steps");
    refused_by_every_command(
        &f,
        &[],
        "argo",
        &[
            &format!("{at}[3].setWeight: must be at most 100, found 130"),
            &format!("{at}[4].pause.duration: \"soon\" is not a Go duration"),
        ],
    );
    // Metrics of one analysis measured differently, naming both.
    let uneven = template.replacen("count: 4", "count: 6", 1);
    let f = write_file(&dir, "uneven.yaml", format!("{rollout}---\n{uneven}"));
    run_fails(
        &["validate", &f],
        2,
        "spec.strategy.canary.steps[2].analysis.templates: metric success-rate of template checkout-health (spec.metrics[0]: count 6, interval 30 s, failureLimit 1, inconclusiveLimit 0, consecutiveErrorLimit 4) and metric p99-latency of template checkout-health (spec.metrics[1]: count 4,",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_sweep_takes_a_rollout_and_a_canary() {
    let (r, c) = (
        example("rollout-canary.yaml"),
        example("flagger-canary.yaml"),
    );
    let s = sweep("rollouts-sweep", "good-release,memory-leak", &[&r, &c], &[]);
    assert_once(
        &s.stderr,
        &format!("{r}: document 1 (Rollout checkout): spec.template: "),
    );
    assert_once(
        &s.stderr,
        &format!("{c}: document 1 (Canary cart): spec.analysis.webhooks[0]: not simulated"),
    );
    let table = &s.stdout;
    for row in ["memory-leak   checkout", "memory-leak   cart"] {
        assert!(table.contains(row), "{row}\n{table}");
    }
    std::fs::remove_dir_all(s.dir).unwrap();
}

#[test]
fn imported_rollouts_and_canaries_export_back() {
    let text = export(&example("rollout-canary.yaml"), "argo");
    assert!(text.contains("kind: Rollout"), "{text}");
    assert!(text.contains("templateName: checkout-analysis-1"), "{text}");
    assert!(text.contains("- setWeight: 60"), "{text}");
    let text = export(&example("flagger-canary.yaml"), "flagger");
    assert!(text.contains("kind: Canary"), "{text}");
    // The built-in metrics stay built-in; the restarts check gets its template.
    assert!(text.contains("- name: request-success-rate"), "{text}");
    assert!(text.contains("name: cart-restarts"), "{text}");
    assert!(!text.contains("name: cart-request-duration"), "{text}");
    let text = export(&example("rollout-bluegreen.yaml"), "json");
    assert!(text.contains("\"kind\": \"blue-green\""), "{text}");
    assert!(text.contains("\"auto_promotion_seconds\": 30"), "{text}");
}

#[test]
fn every_example_validates() {
    for f in [
        "rollout-canary.yaml",
        "rollout-bluegreen.yaml",
        "flagger-canary.yaml",
    ] {
        let out = run_ok(&["validate", &example(f)]);
        assert!(out.contains(": ok (policy "), "{f}: {out}");
    }
}
