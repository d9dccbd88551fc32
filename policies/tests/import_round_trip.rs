//! Export, then import, gives the same policy, for the kinds whose export is a
//! manifest the importer reads: a `rolling` policy as a Deployment (`--to k8s`) and a
//! `batched` one as a CodeDeploy configuration (`--to codedeploy`). What an export
//! cannot carry it says in a note; the policy read back then has that field at its
//! default, and each test below names those fields. Every built-in policy of these
//! kinds is checked, and generated ones (a property test).

mod support;

use policies::batched::{BatchedSpec, MinimumHealthyHosts};
use policies::export::{Target, export};
use policies::gate::{Comparison, EmptyRule, GateMetric, GateSpec};
use policies::intstr::IntOrPercent;
use policies::k8s::StrategyType;
use policies::rolling::{FailureAction, Fenceposts, RollingSpec};
use policies::{Policy, PolicyKind};
use proptest::prelude::*;
use support::{example, fenceposts, import_example, named, options, round_trip, yaml_docs};

/// What a Deployment carries of a rolling policy: the strategy type and its fenceposts,
/// `minReadySeconds` and `progressDeadlineSeconds` (whole seconds), and the name (as
/// `metadata.name`). Not carried, each said in an export note: gates, bake, the failure
/// action and the rollback's own fenceposts (Kubernetes never rolls back by itself);
/// and, without a note since they mean nothing without gates and words: the gate
/// interval and the description.
fn as_deployment_carries(p: &Policy, imported_description: &str) -> Policy {
    let PolicyKind::Rolling(s) = &p.kind else {
        panic!("{} is not rolling", p.name)
    };
    Policy {
        description: imported_description.to_string(),
        kind: PolicyKind::Rolling(RollingSpec {
            strategy: s.strategy,
            step: s.step,
            min_ready_seconds: s.min_ready_seconds.round(),
            progress_deadline_seconds: s.progress_deadline_seconds.round(),
            bake_seconds: 0.0,
            gate_interval_seconds: 15.0,
            gates: Vec::new(),
            on_failure: FailureAction::Rollback,
            rollback: s.step,
        }),
        ..p.clone()
    }
}

/// What a CodeDeploy export carries of a batched policy: the minimum healthy hosts and
/// automatic rollback; a batch size of 1 as CodeDeployDefault.OneAtATime (whose
/// minimum rollcage reads as HOST_COUNT 0, as the built-in one-at-a-time has it). Not
/// carried, each said in an export note: other batch sizes, bake, gates (alarms are
/// named only), `min_ready_seconds`; and, without a note: the gate interval, the name
/// (the export names the configuration `rollcage-SERVICE`, or OneAtATime) and the
/// description.
fn as_codedeploy_carries(p: &Policy, back: &Policy) -> Policy {
    let PolicyKind::Batched(s) = &p.kind else {
        panic!("{} is not batched", p.name)
    };
    let one = s.batch_size == Some(IntOrPercent::Int(1));
    Policy {
        name: back.name.clone(),
        description: back.description.clone(),
        kind: PolicyKind::Batched(BatchedSpec {
            minimum_healthy_hosts: if one {
                MinimumHealthyHosts::HostCount(0)
            } else {
                s.minimum_healthy_hosts
            },
            batch_size: one.then_some(IntOrPercent::Int(1)),
            bake_seconds: 0.0,
            gate_interval_seconds: 15.0,
            auto_rollback: s.auto_rollback,
            min_ready_seconds: 0.0,
            gates: Vec::new(),
        }),
        ..p.clone()
    }
}

fn check(p: &Policy) {
    match &p.kind {
        PolicyKind::Rolling(_) => {
            let (back, _) = round_trip(p, Target::K8s);
            assert_eq!(
                back,
                as_deployment_carries(p, &back.description),
                "{}",
                p.name
            );
            assert_eq!(back.name, p.name);
        }
        PolicyKind::Batched(_) => {
            let (back, _) = round_trip(p, Target::CodeDeploy);
            assert_eq!(back, as_codedeploy_carries(p, &back), "{}", p.name);
        }
        _ => {}
    }
}

#[test]
fn every_builtin_deployment_or_codedeploy_export_imports_back() {
    let mut checked = Vec::new();
    for (name, _) in policies::BUILTIN {
        let p = Policy::from_doc(&policies::builtin(name).unwrap()).unwrap();
        if matches!(p.kind, PolicyKind::Rolling(_) | PolicyKind::Batched(_)) {
            check(&p);
            checked.push(name);
        }
    }
    assert_eq!(
        checked,
        [
            "k8s-default",
            "one-at-a-time",
            "gated-10pct",
            "reference",
            "codedeploy-half",
            "codedeploy-one-at-a-time"
        ]
    );
}

/// A Recreate Deployment (the fixture the exports are validated with) exports with
/// `type: Recreate` and imports back as the same strategy.
#[test]
fn a_recreate_policy_exports_and_imports_back() {
    let text = include_str!("fixtures/policies/rolling-recreate.toml");
    let p = Policy::from_doc(&config::Doc::parse("rolling-recreate.toml", text).unwrap()).unwrap();
    let PolicyKind::Rolling(s) = &p.kind else {
        panic!("not rolling")
    };
    assert_eq!(s.strategy, policies::k8s::StrategyType::Recreate);
    check(&p);
}

/// Where a field is lost, the export says so: a policy with nothing an export drops
/// comes back whole, and its export has no note.
#[test]
fn what_comes_back_changed_was_noted_by_the_export() {
    let k8s = Policy::from_doc(&policies::builtin("k8s-default").unwrap()).unwrap();
    let (back, notes) = round_trip(&k8s, Target::K8s);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(back.kind, k8s.kind);
    let gated = Policy::from_doc(&policies::builtin("gated-10pct").unwrap()).unwrap();
    let (_, notes) = round_trip(&gated, Target::K8s);
    for what in ["gates", "bake_seconds", "on_failure"] {
        assert!(notes.iter().any(|n| n.contains(what)), "{what}: {notes:?}");
    }
    let half = Policy::from_doc(&policies::builtin("codedeploy-half").unwrap()).unwrap();
    let (_, notes) = round_trip(&half, Target::CodeDeploy);
    for what in ["bake_seconds", "CloudWatch alarms"] {
        assert!(notes.iter().any(|n| n.contains(what)), "{what}: {notes:?}");
    }
}

/// The API's default fenceposts, 25% each.
const K8S_DEFAULT: Fenceposts = Fenceposts {
    max_surge: IntOrPercent::Percent(25.0),
    max_unavailable: IntOrPercent::Percent(25.0),
};

fn gates() -> impl Strategy<Value = Vec<GateSpec>> {
    prop::collection::vec(
        (0.0..1.0f64, 10.0..600.0f64).prop_map(|(threshold, window_seconds)| GateSpec {
            name: "errors".into(),
            metric: GateMetric::ErrorRatio,
            comparison: Comparison::Absolute,
            threshold,
            slack: 0.0,
            window_seconds,
            min_samples: 100,
            on_empty: EmptyRule::Inconclusive,
        }),
        0..=1,
    )
}

fn rolling() -> impl Strategy<Value = Policy> {
    (
        prop_oneof![
            (fenceposts(), fenceposts()).prop_map(|(s, r)| (StrategyType::RollingUpdate, s, r)),
            // Recreate takes no fenceposts: they stay at the reader's defaults.
            Just((StrategyType::Recreate, K8S_DEFAULT, K8S_DEFAULT)),
        ],
        0u32..=900,
        1u32..=3600,
        (0u32..=300, 1u32..=120),
        gates(),
        prop_oneof![
            Just(FailureAction::Pause),
            Just(FailureAction::Abort),
            Just(FailureAction::Rollback)
        ],
    )
        .prop_map(
            |(
                (strategy, step, rollback),
                min_ready,
                extra,
                (bake, interval),
                gates,
                on_failure,
            )| {
                named(PolicyKind::Rolling(RollingSpec {
                    strategy,
                    step,
                    min_ready_seconds: min_ready as f64,
                    progress_deadline_seconds: (min_ready + extra) as f64,
                    bake_seconds: bake as f64,
                    gate_interval_seconds: interval as f64,
                    gates,
                    on_failure,
                    rollback,
                }))
            },
        )
}

fn batched() -> impl Strategy<Value = Policy> {
    (
        prop_oneof![
            (0u32..=30).prop_map(MinimumHealthyHosts::HostCount),
            (0u32..=100).prop_map(MinimumHealthyHosts::FleetPercent),
        ],
        prop_oneof![
            Just(None),
            Just(Some(IntOrPercent::Int(1))),
            (2u32..=10).prop_map(|n| Some(IntOrPercent::Int(n))),
            (1u32..=100).prop_map(|p| Some(IntOrPercent::Percent(p as f64))),
        ],
        (0u32..=300, 1u32..=120, 0u32..=60),
        any::<bool>(),
        gates(),
    )
        .prop_map(
            |(minimum, batch_size, (bake, interval, min_ready), auto_rollback, gates)| {
                named(PolicyKind::Batched(BatchedSpec {
                    minimum_healthy_hosts: minimum,
                    batch_size,
                    bake_seconds: bake as f64,
                    gate_interval_seconds: interval as f64,
                    auto_rollback,
                    min_ready_seconds: min_ready as f64,
                    gates,
                }))
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn generated_rolling_policies_come_back_through_a_deployment(p in rolling()) {
        // The generated policy is one rollcage itself accepts.
        let text = serde_json::to_string(&policies::file_form::to_file(&p)).unwrap();
        let read = Policy::from_doc(&config::Doc::parse("generated.json", &text).unwrap()).unwrap();
        prop_assert_eq!(&read, &p);
        let (back, _) = round_trip(&p, Target::K8s);
        prop_assert_eq!(back.clone(), as_deployment_carries(&p, &back.description));
    }

    #[test]
    fn generated_batched_policies_come_back_through_codedeploy(p in batched()) {
        let text = serde_json::to_string(&policies::file_form::to_file(&p)).unwrap();
        let read = Policy::from_doc(&config::Doc::parse("generated.json", &text).unwrap()).unwrap();
        prop_assert_eq!(&read, &p);
        let (back, _) = round_trip(&p, Target::CodeDeploy);
        prop_assert_eq!(back.clone(), as_codedeploy_carries(&p, &back));
    }
}

/// Import, then export: the exported Deployment holds every field rollcage read from
/// the manifest, as the manifest wrote it.
#[test]
fn an_imported_deployment_exports_with_every_field_it_was_read_from() {
    let p = import_example("deployment.yaml");
    let e = export(&p, Target::K8s, &options(&p.name)).unwrap();
    let source = &yaml_docs(&example("deployment.yaml"))[0];
    let exported: serde_json::Value = serde_norway::from_str(&e.text).unwrap();
    for path in [
        "/metadata/name",
        "/spec/strategy/type",
        "/spec/strategy/rollingUpdate/maxSurge",
        "/spec/strategy/rollingUpdate/maxUnavailable",
        "/spec/minReadySeconds",
        "/spec/progressDeadlineSeconds",
    ] {
        assert_eq!(
            exported.pointer(path),
            source.pointer(path),
            "{path}\n{}",
            e.text
        );
        assert!(source.pointer(path).is_some(), "the example sets {path}");
    }
    assert!(e.notes.is_empty(), "{:?}", e.notes);
}

/// Import, then export: the CodeDeploy configuration's minimum and platform come back.
/// Its name comes back as the export names every configuration, `rollcage-SERVICE`.
#[test]
fn an_imported_codedeploy_config_exports_with_its_minimum() {
    let p = import_example("codedeploy.json");
    let e = export(&p, Target::CodeDeploy, &options(&p.name)).unwrap();
    let source: serde_json::Value = serde_json::from_str(&example("codedeploy.json")).unwrap();
    let exported: serde_json::Value = serde_json::from_str(&e.text).unwrap();
    let info = &source["deploymentConfigInfo"];
    let config = &exported["deploymentConfig"];
    assert_eq!(config["minimumHealthyHosts"], info["minimumHealthyHosts"]);
    assert_eq!(config["computePlatform"], info["computePlatform"]);
    assert_eq!(
        config["deploymentConfigName"],
        format!(
            "rollcage-{}",
            info["deploymentConfigName"].as_str().unwrap()
        )
        .as_str()
    );
    // And the export reads back to the same policy but for the name.
    let (back, _) = round_trip(&p, Target::CodeDeploy);
    assert_eq!(back.kind, p.kind);
}
