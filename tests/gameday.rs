//! `rollcage gameday`: the runbook's figures, every fault accounted for, and Chaos Mesh
//! experiments that validate strictly against the real CRDs.

mod common;

use std::path::Path;

use common::{cli, run_fails, run_ok, stderr, temp_dir};
use crdcheck::{Checker, parse_yaml};

fn chaos_checker() -> Checker {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas/chaos-mesh");
    let mut c = Checker::new();
    for k in ["stresschaos", "podchaos", "networkchaos", "httpchaos"] {
        c.add_crds(&dir.join(format!("chaos-mesh.org_{k}.yaml")));
    }
    c
}

/// A scenario with every injectable fault and some that no chaos tool injects.
const SCENARIO: &str = r#"schema_version = 1
name = "everything"
[release]
start_seconds = 60
[run]
horizon_seconds = 900
[sessions]
rate = 5
store = "external"
format_compatible = false
[[faults]]
kind = "memory-leak"
leak_mb_per_second = 2
[[faults]]
kind = "crash-loop"
name = "crash-on-start"
probability = 0.2
fraction = 0.5
[[faults]]
kind = "crash-loop"
name = "crash-after-ready"
after_ready_seconds = 300
[[faults]]
kind = "latency"
multiplier = 1.2
shift_ms = 30
[[faults]]
kind = "errors"
probability = 0.03
on_seconds = 60
off_seconds = 120
[[faults]]
kind = "dependency"
error_probability = 0.2
latency_ms = 50
start_seconds = 200
duration_seconds = 120
[[faults]]
kind = "instance-kill"
rate_per_hour = 2
[[faults]]
kind = "zone-loss"
start_seconds = 400
duration_seconds = 300
[[faults]]
kind = "schema-forward"
write_share = 0.1
[[faults]]
kind = "traffic-spike"
multiplier = 1.5
start_seconds = 300
duration_seconds = 60
"#;

#[test]
fn every_fault_is_an_experiment_or_a_manual_step_and_experiments_validate() {
    let dir = temp_dir("gameday-all");
    std::fs::write(dir.join("s.toml"), SCENARIO).unwrap();
    let out = dir.join("out");
    let text = run_ok(&[
        "gameday",
        "--scenario",
        dir.join("s.toml").to_str().unwrap(),
        "--policy",
        "gated-10pct",
        "--seeds",
        "4",
        "--out",
        out.to_str().unwrap(),
        "--service",
        "payments",
        "--namespace",
        "shop",
    ]);
    assert!(
        text.contains("8 Chaos Mesh experiments, 3 manual steps"),
        "{text}"
    );
    let checker = chaos_checker();
    let mut kinds = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(out.join("chaos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            text.starts_with("# rollcage gameday: fault `"),
            "{}",
            f.display()
        );
        for doc in parse_yaml(&text) {
            let errs = checker.errors(&doc);
            assert!(
                errs.is_empty(),
                "{}:\n{}\n{text}",
                f.display(),
                errs.join("\n")
            );
            assert_eq!(doc["metadata"]["namespace"], "shop");
            kinds.push(doc["kind"].as_str().unwrap().to_string());
        }
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "HTTPChaos",
            "NetworkChaos",
            "NetworkChaos",
            "PodChaos",
            "PodChaos",
            "PodChaos",
            "PodChaos",
            "StressChaos"
        ]
    );
    let runbook = std::fs::read_to_string(out.join("gameday.md")).unwrap();
    // Every fault of the scenario is in the schedule, none silently dropped.
    for fault in [
        "memory-leak",
        "crash-on-start",
        "crash-after-ready",
        "latency",
        "errors",
        "dependency",
        "instance-kill",
        "zone-loss",
        "schema-forward",
        "traffic-spike",
        "session-format",
    ] {
        assert!(
            runbook.contains(&format!("| `{fault}` |")),
            "{fault} is not scheduled"
        );
    }
    assert!(runbook.contains("## Manual steps"));
    assert!(runbook.contains("- `schema-forward`"));
    assert!(runbook.contains("- `session-format`"));
    assert!(runbook.contains("- `traffic-spike`"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_typo_in_an_experiment_is_rejected() {
    let checker = chaos_checker();
    let text = "apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata:\n  name: x\nspec:\n  action: pod-kill\n  mode: one\n  selector:\n    namespaces: [default]\n";
    let good = &parse_yaml(text)[0];
    assert!(
        checker.errors(good).is_empty(),
        "{:?}",
        checker.errors(good)
    );
    let typo = &parse_yaml(&text.replace("action:", "acton:"))[0];
    assert!(
        !checker.errors(typo).is_empty(),
        "an unknown field must be rejected"
    );
    let bad_enum = &parse_yaml(&text.replace("pod-kill", "pod-explode"))[0];
    assert!(!checker.errors(bad_enum).is_empty());
}

#[test]
fn the_runbook_carries_the_simulations_figures() {
    let dir = temp_dir("gameday-figures");
    let out = dir.join("out");
    let args = [
        "gameday",
        "--scenario",
        "memory-leak-gc",
        "--policy",
        "gated-10pct",
        "--seeds",
        "10",
        "--out",
        out.to_str().unwrap(),
    ];
    run_ok(&args);
    let runbook = std::fs::read_to_string(out.join("gameday.md")).unwrap();
    for section in [
        "## Hypothesis",
        "## Fault schedule",
        "## Expected timeline",
        "## Expected cost",
        "## Abort conditions",
        "## What to watch",
        "## Roles",
        "## Checklist",
    ] {
        assert!(runbook.contains(section), "no {section}");
    }
    // The same figures as a sweep of the same runs.
    let sweep = dir.join("sweep");
    run_ok(&[
        "sweep",
        "--scenarios",
        "memory-leak-gc",
        "--policies",
        "gated-10pct",
        "--seeds",
        "10",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sweep.join("summary.json")).unwrap())
            .unwrap();
    let g = &summary["groups"][0];
    let caught = g["outcomes"]["caught"].as_u64().unwrap();
    assert!(
        runbook.contains(&format!("Outcomes over 10 runs: caught {caught}")),
        "{runbook}"
    );
    let budget = &g["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "budget_consumed_pct")
        .unwrap();
    let mean = budget["mean"]["value"].as_f64().unwrap();
    assert!(runbook.contains(&format!("≈ {mean:.3}% ± ")), "{runbook}");
    assert!(
        runbook
            .contains("of the 30-day error budget (mean ± standard deviation over 10 runs), p95 ")
    );
    assert!(runbook.contains("- gate `p99-latency` fails (window 2.0 min)"));
    assert!(runbook.contains("- the SLO pager pages: burn rate over 1 h and 5 min above 14.4"));
    // Deterministic: the same inputs write the same runbook.
    let again = dir.join("again");
    let mut a = args.to_vec();
    a[8] = again.to_str().unwrap();
    run_ok(&a);
    assert_eq!(
        runbook,
        std::fs::read_to_string(again.join("gameday.md")).unwrap()
    );
    // An existing runbook is not overwritten without --force.
    run_fails(&args, 2, "pass --force");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Names, namespaces and ports are held to Kubernetes' rules (the same service name rule
/// as `export`) before anything runs or is written: never rewritten into the YAML.
#[test]
fn gameday_refuses_names_and_ports_kubernetes_would() {
    let dir = temp_dir("gameday-names");
    let out = dir.join("out");
    // `--flag=value`, so that a value starting with '-' is not taken for a flag.
    let run = |flag: &str, value: &str| {
        let arg = format!("{flag}={value}");
        let o = cli(&[
            "gameday",
            "--scenario",
            "memory-leak",
            "--policy",
            "gated-10pct",
            "--seeds",
            "1",
            "--out",
            out.to_str().unwrap(),
            &arg,
        ]);
        (o.status.code(), stderr(&o))
    };
    let cases = [
        (
            "--namespace",
            "bad ns!",
            "has ' ' at position 4, which is not a lowercase letter, digit or '-'; it must be a DNS-1123 label",
        ),
        (
            "--namespace",
            "Shop",
            "has 'S' at position 1, which is uppercase",
        ),
        ("--namespace", "-shop", "starts with '-' at position 1"),
        ("--namespace", "shop-", "ends with '-' at position 5"),
        ("--namespace", "my_shop", "has '_' at position 3"),
        (
            "--service",
            "Bad Name",
            "has 'B' at position 1, which is uppercase; it must be a DNS-1035 label",
        ),
        ("--port", "0", "expected a whole number from 1 to 65535"),
        ("--port", "65536", "expected a whole number from 1 to 65535"),
        ("--port", "http", "expected a whole number from 1 to 65535"),
    ];
    let long = "n".repeat(64);
    for (flag, value, why) in cases.iter().copied().chain([(
        "--namespace",
        long.as_str(),
        "is 64 characters long, over 63",
    )]) {
        let (code, err) = run(flag, value);
        assert_eq!(code, Some(2), "{flag} {value}: {err}");
        assert!(
            err.starts_with(&format!("error: {flag}: "))
                && err.contains(why)
                && err.contains(&format!(", found {value}")),
            "{flag} {value}: {err}"
        );
        assert!(!out.exists(), "{flag} {value}: wrote {}", out.display());
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_gameday_input_exits_2() {
    let dir = temp_dir("gameday-bad");
    let out = dir.join("out");
    run_fails(
        &[
            "gameday",
            "--scenario",
            "memory-leek",
            "--policy",
            "gated-10pct",
            "--out",
            out.to_str().unwrap(),
        ],
        2,
        "did you mean `memory-leak`?",
    );
    let o = cli(&[
        "gameday",
        "--scenario",
        "memory-leak",
        "--policy",
        "gated-10pct",
        "--seeds",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(dir).unwrap();
}
