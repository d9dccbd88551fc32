//! Export, then import, gives the same policy for the kinds whose export is an Argo
//! Rollout with its AnalysisTemplates (`--to argo`: an Argo canary, a blue-green
//! policy, and a rolling policy, which Argo runs as a canary without steps) or a
//! Flagger Canary with its MetricTemplates (`--to flagger`). What an export cannot
//! carry it says in a note, and the policy read back has that field at its default;
//! each `*_carries` function below names those fields. Every built-in policy of these
//! kinds is checked, and generated ones (property tests); the examples import, export
//! and import again to the same policy, with every field rollcage read written back.

mod support;

use policies::analysis::AnalysisSpec;
use policies::blue_green::BlueGreenSpec;
use policies::canary_argo::{ArgoCanarySpec, ArgoStep, BackgroundAnalysis};
use policies::canary_flagger::FlaggerSpec;
use policies::canary_routed::CanaryScale;
use policies::export::{Target, export};
use policies::gate::{Comparison, EmptyRule, GateMetric, GateSpec};
use policies::import::{Options as ImportOptions, import};
use policies::intstr::IntOrPercent;
use policies::k8s::StrategyType;
use policies::rolling::{Fenceposts, RollingSpec};
use policies::{CanarySpec, Policy, PolicyKind};
use proptest::prelude::*;
use support::{example, fenceposts, import_example, named, options, round_trip, yaml_docs};

/// What a gate's Argo or Flagger query and condition carry: the metric, comparison,
/// threshold, slack and window; `min_samples` of a gate that reads requests as the
/// query's traffic guard (0 when there is none). Not carried: `on_empty` (the export
/// writes the controller's own rule for an empty result; noted when min_samples empties
/// the query), read back as `inconclusive`; `min_samples` of a gate that reads no
/// requests (restarts, memory), which has no guard and reads back as rollcage's default
/// 100; a Mann-Whitney test, which the export writes as its allowed mean ratio and
/// notes, read back as a relative gate with that threshold and no slack.
fn gate_carries(g: &GateSpec) -> GateSpec {
    let comparison = match g.comparison {
        Comparison::MannWhitney(_) => Comparison::Relative,
        c => c,
    };
    GateSpec {
        comparison,
        slack: if matches!(g.comparison, Comparison::MannWhitney(_)) {
            0.0
        } else {
            g.slack
        },
        min_samples: if g.metric.needs_requests() {
            g.min_samples
        } else {
            100
        },
        on_empty: EmptyRule::Inconclusive,
        ..g.clone()
    }
}

fn gates_carry(gs: &[GateSpec]) -> Vec<GateSpec> {
    gs.iter().map(gate_carries).collect()
}

/// What an Argo Rollout carries of an Argo canary: the steps, fenceposts, routing,
/// delays (with a router: Argo refuses them without one, and the export writes none),
/// scaling keys, analyses, the progress deadline and its abort, and gates, with
/// seconds rounded to whole ones. Not carried: the description (the import writes its
/// own).
fn as_argo_canary_carries(s: &ArgoCanarySpec) -> ArgoCanarySpec {
    let routed = s.traffic_routing;
    let secs = |x: f64| x.round();
    let analysis = |a: &AnalysisSpec| AnalysisSpec {
        interval_seconds: secs(a.interval_seconds),
        initial_delay_seconds: secs(a.initial_delay_seconds),
        ..*a
    };
    ArgoCanarySpec {
        steps: s
            .steps
            .iter()
            .map(|st| match st {
                ArgoStep::Pause(d) => ArgoStep::Pause(d.map(secs)),
                ArgoStep::Analysis(a) => ArgoStep::Analysis(analysis(a)),
                other => other.clone(),
            })
            .collect(),
        fenceposts: s.fenceposts,
        traffic_routing: routed,
        min_ready_seconds: secs(s.min_ready_seconds),
        scale_down_delay_seconds: if routed && !s.dynamic_stable_scale {
            secs(s.scale_down_delay_seconds)
        } else {
            30.0
        },
        abort_scale_down_delay_seconds: if routed {
            s.abort_scale_down_delay_seconds.map(secs)
        } else {
            Some(30.0)
        },
        dynamic_stable_scale: s.dynamic_stable_scale,
        min_pods_per_replica_set: s.min_pods_per_replica_set,
        analysis: s.analysis.map(|b| BackgroundAnalysis {
            run: analysis(&b.run),
            starting_step: b.starting_step,
        }),
        progress_deadline_seconds: secs(s.progress_deadline_seconds),
        progress_deadline_abort: s.progress_deadline_abort,
        gates: gates_carry(&s.gates),
    }
}

/// What a blue-green Rollout carries: everything but `preview_traffic_share` (test
/// traffic, noted by the export: read back as 0), with seconds rounded.
fn as_blue_green_carries(s: &BlueGreenSpec) -> BlueGreenSpec {
    let analysis = |a: &AnalysisSpec| AnalysisSpec {
        interval_seconds: a.interval_seconds.round(),
        initial_delay_seconds: a.initial_delay_seconds.round(),
        ..*a
    };
    BlueGreenSpec {
        pre_promotion_analysis: s.pre_promotion_analysis.as_ref().map(analysis),
        post_promotion_analysis: s.post_promotion_analysis.as_ref().map(analysis),
        auto_promotion_seconds: s.auto_promotion_seconds.round(),
        scale_down_delay_seconds: s.scale_down_delay_seconds.round(),
        abort_scale_down_delay_seconds: s.abort_scale_down_delay_seconds.round(),
        preview_traffic_share: 0.0,
        min_ready_seconds: s.min_ready_seconds.round(),
        progress_deadline_seconds: s.progress_deadline_seconds.round(),
        progress_deadline_abort: s.progress_deadline_abort,
        gates: gates_carry(&s.gates),
    }
}

/// What Argo runs of a rolling policy (the export's first note: a canary without
/// steps, which the import reads as one step to full weight): its fenceposts (for
/// Recreate, maxSurge 0 and maxUnavailable 100%, noted), `min_ready_seconds`, and its
/// gates as a background analysis every gate interval until the rollout ends, which
/// aborts on the first failure; `progress_deadline_seconds`, which Argo reports as a
/// Deployment does (no abort). Not carried, each noted by the export: the bake, the
/// failure action and the rollback's fenceposts.
fn as_argo_rolling_carries(s: &RollingSpec) -> ArgoCanarySpec {
    let fenceposts = match s.strategy {
        StrategyType::RollingUpdate => s.step,
        StrategyType::Recreate => Fenceposts {
            max_surge: IntOrPercent::Int(0),
            max_unavailable: IntOrPercent::Percent(100.0),
        },
    };
    ArgoCanarySpec {
        steps: vec![ArgoStep::SetWeight(100)],
        fenceposts,
        traffic_routing: false,
        min_ready_seconds: s.min_ready_seconds.round(),
        scale_down_delay_seconds: 30.0,
        abort_scale_down_delay_seconds: Some(30.0),
        dynamic_stable_scale: false,
        min_pods_per_replica_set: None,
        analysis: (!s.gates.is_empty()).then_some(BackgroundAnalysis {
            run: AnalysisSpec {
                count: 0,
                interval_seconds: s.gate_interval_seconds.round(),
                ..AnalysisSpec::default()
            },
            starting_step: 0,
        }),
        progress_deadline_seconds: s.progress_deadline_seconds.round(),
        progress_deadline_abort: false,
        gates: gates_carry(&s.gates),
    }
}

/// What a Flagger Canary carries: everything but `min_ready_seconds` (the target
/// Deployment's, noted) and `iteration_traffic_share` (a load tester's, noted), read
/// back as 0; `max_weight` with iterations, which the export leaves out (Blue/Green
/// has no weights); traffic routing by the provider (`kubernetes` for none).
fn as_flagger_carries(s: &FlaggerSpec) -> FlaggerSpec {
    FlaggerSpec {
        interval_seconds: s.interval_seconds.round(),
        max_weight: if s.iterations > 0 { None } else { s.max_weight },
        iteration_traffic_share: 0.0,
        min_ready_seconds: 0.0,
        progress_deadline_seconds: s.progress_deadline_seconds.round(),
        gates: gates_carry(&s.gates),
        ..s.clone()
    }
}

/// The policy `p` comes back as through its Argo or Flagger export.
fn expected(p: &Policy, back: &Policy) -> Policy {
    let kind = match &p.kind {
        PolicyKind::Canary(CanarySpec::Argo(s)) => {
            PolicyKind::Canary(CanarySpec::Argo(as_argo_canary_carries(s)))
        }
        PolicyKind::Canary(CanarySpec::Flagger(s)) => {
            PolicyKind::Canary(CanarySpec::Flagger(as_flagger_carries(s)))
        }
        PolicyKind::BlueGreen(s) => PolicyKind::BlueGreen(as_blue_green_carries(s)),
        PolicyKind::Rolling(s) => PolicyKind::Canary(CanarySpec::Argo(as_argo_rolling_carries(s))),
        other => panic!("{other:?} has no Argo or Flagger export"),
    };
    Policy {
        description: back.description.clone(),
        kind,
        ..p.clone()
    }
}

fn target(p: &Policy) -> Target {
    match &p.kind {
        PolicyKind::Canary(CanarySpec::Flagger(_)) => Target::Flagger,
        _ => Target::Argo,
    }
}

#[test]
fn every_builtin_argo_or_flagger_export_imports_back() {
    let mut checked = Vec::new();
    for (name, _) in policies::BUILTIN {
        let p = Policy::from_doc(&policies::builtin(name).unwrap()).unwrap();
        let targets = policies::export::targets_for(&p.kind);
        if !targets.contains(&Target::Argo) && !targets.contains(&Target::Flagger) {
            continue;
        }
        let (back, _) = round_trip(&p, target(&p));
        assert_eq!(back, expected(&p, &back), "{name}");
        assert_eq!(back.name, p.name);
        checked.push(name);
    }
    assert_eq!(
        checked,
        [
            "k8s-default",
            "one-at-a-time",
            "gated-10pct",
            "reference",
            "argo-canary",
            "flagger-canary",
            "blue-green"
        ]
    );
}

/// Where a field comes back changed, the export said so.
#[test]
fn what_comes_back_changed_was_noted_by_the_export() {
    let load = |n: &str| Policy::from_doc(&policies::builtin(n).unwrap()).unwrap();
    let (_, notes) = round_trip(&load("gated-10pct"), Target::Argo);
    for what in [
        "canary without steps",
        "bake_seconds",
        "on_failure",
        "on_empty",
    ] {
        assert!(notes.iter().any(|n| n.contains(what)), "{what}: {notes:?}");
    }
    let (_, notes) = round_trip(&load("blue-green"), Target::Argo);
    assert!(
        notes.iter().any(|n| n.contains("preview_traffic_share")),
        "{notes:?}"
    );
    let (_, notes) = round_trip(&load("flagger-canary"), Target::Flagger);
    assert!(
        notes.iter().any(|n| n.contains("Mann-Whitney")),
        "{notes:?}"
    );
    // An Argo canary whose gates have no traffic guard and rollcage's default on_empty
    // comes back whole.
    let mut p = load("argo-canary");
    if let PolicyKind::Canary(CanarySpec::Argo(s)) = &mut p.kind {
        for g in &mut s.gates {
            g.min_samples = if g.metric.needs_requests() { 0 } else { 100 };
        }
    }
    let (back, notes) = round_trip(&p, Target::Argo);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(back.kind, p.kind);
}

/// Gates of the kinds a rollout checks, at most one of each (names are unique).
fn gates(min: usize) -> impl Strategy<Value = Vec<GateSpec>> {
    let empty = prop_oneof![
        Just(EmptyRule::Pass),
        Just(EmptyRule::Fail),
        Just(EmptyRule::Inconclusive)
    ];
    let guard = prop_oneof![Just(0u64), 1u64..=1000];
    let errors = (0u32..=200, 10u32..=600, guard.clone(), empty.clone()).prop_map(
        |(t, w, min_samples, on_empty)| GateSpec {
            name: "errors".into(),
            metric: GateMetric::ErrorRatio,
            comparison: Comparison::Absolute,
            threshold: t as f64 / 1000.0,
            slack: 0.0,
            window_seconds: w as f64,
            min_samples,
            on_empty,
        },
    );
    let latency = (1u32..=2000, 10u32..=600, guard, empty.clone()).prop_map(
        |(t, w, min_samples, on_empty)| GateSpec {
            name: "latency".into(),
            metric: GateMetric::Latency { quantile: 0.99 },
            comparison: Comparison::Absolute,
            threshold: t as f64,
            slack: 0.0,
            window_seconds: w as f64,
            min_samples,
            on_empty,
        },
    );
    let restarts =
        (0u32..=5, 60u32..=1800, 0u64..=500, empty).prop_map(|(t, w, min_samples, on_empty)| {
            GateSpec {
                name: "restarts".into(),
                metric: GateMetric::Restarts,
                comparison: Comparison::Absolute,
                threshold: t as f64,
                slack: 0.0,
                window_seconds: w as f64,
                min_samples,
                on_empty,
            }
        });
    (
        prop::option::of(errors),
        prop::option::of(latency),
        prop::option::of(restarts),
    )
        .prop_map(|(a, b, c)| [a, b, c].into_iter().flatten().collect::<Vec<_>>())
        .prop_filter("enough gates", move |g| g.len() >= min)
}

fn analysis(count_min: u32) -> impl Strategy<Value = AnalysisSpec> {
    (count_min..=5, 1u32..=120, 0u32..=60, 0u32..=4).prop_flat_map(
        |(count, interval, delay, errors)| {
            // Argo: the count is at least each limit (a background run has no count).
            let upto = if count == 0 { 3 } else { count };
            (0..=upto, 0..=upto).prop_map(move |(failure_limit, inconclusive_limit)| AnalysisSpec {
                count,
                interval_seconds: interval as f64,
                initial_delay_seconds: delay as f64,
                failure_limit,
                inconclusive_limit,
                consecutive_error_limit: errors,
            })
        },
    )
}

fn argo_step(routed: bool) -> BoxedStrategy<ArgoStep> {
    let base = prop_oneof![
        (0u32..=100).prop_map(ArgoStep::SetWeight),
        prop::option::of(0u32..=900).prop_map(|d| ArgoStep::Pause(d.map(f64::from))),
        analysis(1).prop_map(ArgoStep::Analysis),
    ];
    if routed {
        prop_oneof![
            3 => base,
            1 => prop_oneof![
                (0u32..=10).prop_map(CanaryScale::Replicas),
                (0u32..=100).prop_map(CanaryScale::Weight),
                Just(CanaryScale::MatchTrafficWeight),
            ]
            .prop_map(ArgoStep::SetCanaryScale),
        ]
        .boxed()
    } else {
        base.boxed()
    }
}

fn argo_canary() -> impl Strategy<Value = Policy> {
    any::<bool>()
        .prop_flat_map(|routed| {
            (
                Just(routed),
                prop::collection::vec(argo_step(routed), 1..=6),
                fenceposts(),
                0u32..=60,
                (any::<bool>(), 0u32..=600, prop::option::of(0u32..=600)),
                prop::option::of(1u32..=5),
                prop::option::of((analysis(0), 0u32..=6)),
                gates(0),
                (1u32..=3600, any::<bool>()),
            )
        })
        .prop_filter_map(
            "gates exactly when an analysis runs them",
            |(
                routed,
                steps,
                fenceposts,
                min_ready,
                (dynamic, delay, abort),
                min_pods,
                bg,
                gates,
                (deadline, deadline_abort),
            )| {
                let analysed =
                    steps.iter().any(|s| matches!(s, ArgoStep::Analysis(_))) || bg.is_some();
                if analysed == gates.is_empty() {
                    return None;
                }
                let dynamic = routed && dynamic;
                let n_steps = steps.len() as u32;
                Some(named(PolicyKind::Canary(CanarySpec::Argo(
                    ArgoCanarySpec {
                        steps,
                        fenceposts,
                        traffic_routing: routed,
                        min_ready_seconds: min_ready as f64,
                        scale_down_delay_seconds: if routed && !dynamic {
                            delay as f64
                        } else {
                            30.0
                        },
                        abort_scale_down_delay_seconds: match (routed, dynamic, abort) {
                            (true, true, a) => a.map(f64::from),
                            (true, false, a) => Some(a.unwrap_or(30) as f64),
                            (false, _, _) => Some(30.0),
                        },
                        dynamic_stable_scale: dynamic,
                        min_pods_per_replica_set: if routed { min_pods } else { None },
                        analysis: bg.map(|(run, start)| BackgroundAnalysis {
                            run,
                            starting_step: start.min(n_steps),
                        }),
                        // Argo: longer than minReadySeconds.
                        progress_deadline_seconds: (min_ready + deadline) as f64,
                        progress_deadline_abort: deadline_abort,
                        gates,
                    },
                ))))
            },
        )
}

fn flagger_canary() -> impl Strategy<Value = Policy> {
    let schedule = prop_oneof![
        (1u32..=50, prop::option::of(1u32..=100)).prop_map(|(w, max)| (
            w,
            Vec::new(),
            0,
            max,
            true
        )),
        prop::collection::btree_set(1u32..=100, 1..=5).prop_map(|ws| (
            0,
            ws.into_iter().collect::<Vec<_>>(),
            0,
            None,
            true
        )),
        (1u32..=20, any::<bool>()).prop_map(|(i, routed)| (0, Vec::new(), i, None, routed)),
    ];
    (schedule, 10u32..=600, 1u32..=10, 1u32..=3600, gates(0)).prop_map(
        |(
            (step_weight, step_weights, iterations, max_weight, routed),
            interval,
            threshold,
            deadline,
            gates,
        )| {
            named(PolicyKind::Canary(CanarySpec::Flagger(FlaggerSpec {
                interval_seconds: interval as f64,
                threshold,
                max_weight,
                step_weight,
                step_weights,
                iterations,
                iteration_traffic_share: 0.0,
                traffic_routing: routed,
                min_ready_seconds: 0.0,
                progress_deadline_seconds: deadline as f64,
                gates,
            })))
        },
    )
}

fn blue_green() -> impl Strategy<Value = Policy> {
    (
        prop::option::of(analysis(1)),
        prop::option::of(analysis(1)),
        (0u32..=600, 0u32..=600, 0u32..=600, 0u32..=60),
        gates(1),
        (1u32..=3600, any::<bool>()),
    )
        .prop_filter("an analysis for the gates", |(pre, post, _, _, _)| {
            pre.is_some() || post.is_some()
        })
        .prop_map(
            |(pre, post, (auto, delay, abort, min_ready), gates, (deadline, deadline_abort))| {
                named(PolicyKind::BlueGreen(BlueGreenSpec {
                    pre_promotion_analysis: pre,
                    post_promotion_analysis: post,
                    auto_promotion_seconds: auto as f64,
                    scale_down_delay_seconds: delay as f64,
                    abort_scale_down_delay_seconds: abort as f64,
                    preview_traffic_share: 0.0,
                    min_ready_seconds: min_ready as f64,
                    progress_deadline_seconds: (min_ready + deadline) as f64,
                    progress_deadline_abort: deadline_abort,
                    gates,
                }))
            },
        )
}

/// The generated policy is one rollcage itself accepts, then it comes back.
fn check_generated(p: &Policy) -> Result<(), TestCaseError> {
    let text = serde_json::to_string(&policies::file_form::to_file(p)).unwrap();
    let read = Policy::from_doc(&config::Doc::parse("generated.json", &text).unwrap())
        .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert_eq!(&read, p);
    let (back, _) = round_trip(p, target(p));
    prop_assert_eq!(back.clone(), expected(p, &back));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn generated_argo_canaries_come_back_through_a_rollout(p in argo_canary()) {
        check_generated(&p)?;
    }

    #[test]
    fn generated_flagger_canaries_come_back_through_a_canary(p in flagger_canary()) {
        check_generated(&p)?;
    }

    #[test]
    fn generated_blue_green_policies_come_back_through_a_rollout(p in blue_green()) {
        check_generated(&p)?;
    }
}

/// Import, export, import: the same policy; and the export writes back, value for
/// value, every field of the example rollcage read.
fn import_export_import(
    name: &str,
    target: Target,
) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let text = example(name);
    let p = import_example(name);
    let e = export(&p, target, &options(&p.name)).unwrap();
    let again = import("exported.yaml", &e.text, None, &ImportOptions::default()).unwrap();
    let back = Policy::from_doc(&again.doc()).unwrap();
    assert_eq!(back.kind, p.kind, "{name}\n{}", e.text);
    (yaml_docs(&text), yaml_docs(&e.text))
}

/// A duration as Argo and Flagger read it, in seconds.
fn seconds(v: &serde_json::Value) -> f64 {
    match v {
        serde_json::Value::Number(n) => n.as_f64().unwrap(),
        serde_json::Value::String(s) => {
            policies::import::go_duration::parse(s).unwrap_or_else(|_| s.parse().unwrap())
        }
        other => panic!("{other}"),
    }
}

#[test]
fn the_argo_canary_example_exports_with_every_field_it_was_read_from() {
    let (src, out) = import_export_import("rollout-canary.yaml", Target::Argo);
    let (s, o) = (&src[0]["spec"], &out[0]["spec"]);
    assert_eq!(o["minReadySeconds"], s["minReadySeconds"]);
    let (sc, oc) = (&s["strategy"]["canary"], &o["strategy"]["canary"]);
    assert_eq!(oc["maxSurge"], sc["maxSurge"]);
    assert_eq!(oc["maxUnavailable"], sc["maxUnavailable"]);
    let (ss, os) = (
        sc["steps"].as_array().unwrap(),
        oc["steps"].as_array().unwrap(),
    );
    assert_eq!(ss.len(), os.len());
    for (a, b) in ss.iter().zip(os) {
        if let Some(w) = a.get("setWeight") {
            assert_eq!(b["setWeight"], *w);
        } else if let Some(p) = a.get("pause") {
            assert_eq!(seconds(&b["pause"]["duration"]), seconds(&p["duration"]));
        } else {
            assert!(b.get("analysis").is_some(), "{b}");
        }
    }
    // The template's count, interval and limits, metric by metric.
    let (sm, om) = (&src[1]["spec"]["metrics"], &out[1]["spec"]["metrics"]);
    for (a, b) in sm.as_array().unwrap().iter().zip(om.as_array().unwrap()) {
        assert_eq!(b["name"], a["name"]);
        assert_eq!(b["count"], a["count"]);
        assert_eq!(b["failureLimit"], a["failureLimit"]);
        assert_eq!(seconds(&b["interval"]), seconds(&a["interval"]));
    }
}

#[test]
fn the_blue_green_example_exports_with_every_field_it_was_read_from() {
    let (src, out) = import_export_import("rollout-bluegreen.yaml", Target::Argo);
    let (sb, ob) = (
        &src[0]["spec"]["strategy"]["blueGreen"],
        &out[0]["spec"]["strategy"]["blueGreen"],
    );
    for key in [
        "autoPromotionSeconds",
        "scaleDownDelaySeconds",
        "abortScaleDownDelaySeconds",
    ] {
        assert_eq!(ob[key], sb[key], "{key}");
        assert!(sb.get(key).is_some(), "the example sets {key}");
    }
    assert!(ob.get("prePromotionAnalysis").is_some());
    let (sm, om) = (&src[1]["spec"]["metrics"], &out[1]["spec"]["metrics"]);
    for (a, b) in sm.as_array().unwrap().iter().zip(om.as_array().unwrap()) {
        assert_eq!(b["name"], a["name"]);
        assert_eq!(b["count"], a["count"]);
        assert_eq!(seconds(&b["initialDelay"]), seconds(&a["initialDelay"]));
    }
}

#[test]
fn the_flagger_example_exports_with_every_field_it_was_read_from() {
    let (src, out) = import_export_import("flagger-canary.yaml", Target::Flagger);
    let (sa, oa) = (&src[0]["spec"]["analysis"], &out[0]["spec"]["analysis"]);
    for key in ["threshold", "maxWeight", "stepWeight"] {
        assert_eq!(oa[key], sa[key], "{key}");
    }
    assert_eq!(seconds(&oa["interval"]), seconds(&sa["interval"]));
    assert_eq!(
        out[0]["spec"]["progressDeadlineSeconds"],
        src[0]["spec"]["progressDeadlineSeconds"]
    );
    let (sm, om) = (
        sa["metrics"].as_array().unwrap(),
        oa["metrics"].as_array().unwrap(),
    );
    assert_eq!(sm.len(), om.len());
    for (a, b) in sm.iter().zip(om) {
        assert_eq!(b["name"], a["name"]);
        assert_eq!(seconds(&b["interval"]), seconds(&a["interval"]));
    }
}

/// A gate named after a Flagger built-in metric is exported as that built-in check
/// (Flagger would run it beside any template of that name) and comes back; one the
/// built-in check is not is refused by the export.
#[test]
fn gates_named_after_flaggers_built_in_metrics_export_as_them() {
    let gate = |name: &str, metric, threshold| GateSpec {
        name: name.into(),
        metric,
        comparison: Comparison::Absolute,
        threshold,
        slack: 0.0,
        window_seconds: 60.0,
        min_samples: 0,
        on_empty: EmptyRule::Inconclusive,
    };
    let spec = |gates| FlaggerSpec {
        interval_seconds: 60.0,
        threshold: 2,
        max_weight: Some(50),
        step_weight: 10,
        step_weights: Vec::new(),
        iterations: 0,
        iteration_traffic_share: 0.0,
        traffic_routing: true,
        min_ready_seconds: 0.0,
        progress_deadline_seconds: 600.0,
        gates,
    };
    let p = named(PolicyKind::Canary(CanarySpec::Flagger(spec(vec![
        gate("request-success-rate", GateMetric::ErrorRatio, 0.013),
        gate(
            "request-duration",
            GateMetric::Latency { quantile: 0.99 },
            350.0,
        ),
    ]))));
    let e = export(&p, Target::Flagger, &options("checkout")).unwrap();
    assert!(!e.text.contains("kind: MetricTemplate"), "{}", e.text);
    assert!(e.text.contains("min: 98.7"), "{}", e.text);
    let (back, _) = round_trip(&p, Target::Flagger);
    assert_eq!(back, expected(&p, &back));
    // With a traffic guard the built-in check has none: noted.
    let mut guarded = p.clone();
    if let PolicyKind::Canary(CanarySpec::Flagger(s)) = &mut guarded.kind {
        s.gates[0].min_samples = 100;
    }
    let e = export(&guarded, Target::Flagger, &options("checkout")).unwrap();
    assert!(
        e.notes
            .iter()
            .any(|n| n.contains("min_samples 100 is dropped")),
        "{:?}",
        e.notes
    );
    let wrong = named(PolicyKind::Canary(CanarySpec::Flagger(spec(vec![gate(
        "request-duration",
        GateMetric::ErrorRatio,
        0.01,
    )]))));
    let err = export(&wrong, Target::Flagger, &options("checkout")).unwrap_err();
    assert!(
        err.0
            .contains("Flagger runs its built-in request-duration check"),
        "{err}"
    );
}
