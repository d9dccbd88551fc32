//! A Rollout and its AnalysisTemplates, field by field: every mapping and its default,
//! every note and refusal, the resolution of arguments, templates in another file or
//! missing, and a gate judged at its condition's bound and one value past it.

use crate::analysis::AnalysisSpec;
use crate::blue_green::BlueGreenSpec;
use crate::canary_argo::{ArgoCanarySpec, ArgoStep, BackgroundAnalysis};
use crate::canary_routed::CanaryScale;
use crate::gate::{Comparison, EmptyRule, GateMetric, GateSpec, Verdict};
use crate::import::test_support::{has, indent, notes, read_as, refused_as};
use crate::import::{Import, MetricMapping, Options, import};
use crate::intstr::IntOrPercent::{Int, Percent};
use crate::{CanarySpec, Policy, PolicyKind};

const AT: &str = "r.yaml: document 1 (Rollout web)";

/// A Rollout whose `spec.strategy.canary` is `body`, and `spec` has `extra`.
fn canary_with(extra: &str, body: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\nspec:\n{}  strategy:\n    canary:\n{}",
        indent(extra, 2),
        indent(body, 6)
    )
}

fn canary(body: &str) -> String {
    canary_with("", body)
}

fn blue_green(body: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\nspec:\n  replicas: 4\n  strategy:\n    blueGreen:\n      activeService: web-active\n{}",
        indent(body, 6)
    )
}

/// An AnalysisTemplate named `name` with `spec` (indented under `spec:`).
fn template(name: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: {name}\nspec:\n{}",
        indent(spec, 2)
    )
}

const ERRORS: &str = r#"sum(rate(http_requests_total{service="{{args.service}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="{{args.service}}"}[1m]))"#;

/// The usual success-rate template: one argument, one metric, count 3 every 30 s.
fn errors_template(extra_metric: &str) -> String {
    template(
        "errors",
        &format!(
            "args:\n- name: service\nmetrics:\n- name: error-ratio\n  interval: 30s\n  count: 3\n  successCondition: result[0] <= 0.05\n{}  provider:\n    prometheus:\n      address: http://prometheus.monitoring:9090\n      query: '{ERRORS}'\n",
            indent(extra_metric, 2)
        ),
    )
}

const STEP: &str = "- analysis:\n    templates:\n    - templateName: errors\n    args:\n    - name: service\n      value: web\n";

fn read_with(text: &str, opts: &Options) -> Result<(Policy, Import), Vec<String>> {
    read_as("r.yaml", text, opts)
}

fn read(text: &str) -> Result<(Policy, Import), Vec<String>> {
    read_with(text, &Options::default())
}

fn argo(text: &str) -> ArgoCanarySpec {
    match read(text)
        .unwrap_or_else(|e| panic!("{text}\n{e:#?}"))
        .0
        .kind
    {
        PolicyKind::Canary(CanarySpec::Argo(s)) => s,
        other => panic!("{other:?}"),
    }
}

fn bg(text: &str) -> BlueGreenSpec {
    match read(text)
        .unwrap_or_else(|e| panic!("{text}\n{e:#?}"))
        .0
        .kind
    {
        PolicyKind::BlueGreen(s) => s,
        other => panic!("{other:?}"),
    }
}

fn refused_with(text: &str, opts: &Options) -> Vec<String> {
    refused_as("r.yaml", text, opts)
}

fn refused(text: &str) -> Vec<String> {
    refused_with(text, &Options::default())
}

#[test]
fn steps_map_one_by_one() {
    let s = argo(&canary(
        "steps:\n- setWeight: 10\n- pause: {duration: 10m}\n- setWeight: 50\n- pause: {duration: \"90\"}\n- pause: {duration: 30}\n- pause: {duration: 1h30m}\n- pause: {duration: 1.9s}\n- pause: {}\n",
    ));
    assert_eq!(
        s.steps,
        [
            ArgoStep::SetWeight(10),
            ArgoStep::Pause(Some(600.0)),
            ArgoStep::SetWeight(50),
            ArgoStep::Pause(Some(90.0)),
            ArgoStep::Pause(Some(30.0)),
            ArgoStep::Pause(Some(5400.0)),
            // Argo truncates to whole seconds (int32(d.Seconds())).
            ArgoStep::Pause(Some(1.0)),
            ArgoStep::Pause(None),
        ]
    );
    // The defaults of everything else, as Argo has them.
    assert_eq!(
        (s.fenceposts.max_surge, s.fenceposts.max_unavailable),
        (Percent(25.0), Percent(25.0))
    );
    assert!(!s.traffic_routing);
    assert_eq!(s.min_ready_seconds, 0.0);
    assert_eq!(s.scale_down_delay_seconds, 30.0);
    assert_eq!(s.abort_scale_down_delay_seconds, Some(30.0));
    assert!(!s.dynamic_stable_scale);
    assert_eq!(s.min_pods_per_replica_set, None);
    assert!(s.analysis.is_none() && s.gates.is_empty());
    let (p, i) = read(&canary("steps:\n- setWeight: 20\n")).unwrap();
    assert_eq!(p.name, "web");
    assert_eq!(
        p.description,
        "Argo Rollout web: canary, 1 step, maxSurge 25%, maxUnavailable 25%"
    );
    assert!(i.notes.is_empty(), "{:?}", i.notes);
}

#[test]
fn a_bad_step_is_refused_at_its_path() {
    let at = format!("{AT}: spec.strategy.canary.steps[0]");
    assert_eq!(
        refused(&canary("steps:\n- pause: {duration: -5}\n")),
        [format!(
            "{at}.pause.duration: Duration needs to be greater than 0 (Argo), found -5 s"
        )]
    );
    has(
        &refused(&canary("steps:\n- pause: {duration: soon}\n")),
        &format!("{at}.pause.duration: \"soon\" is not a Go duration"),
    );
    assert_eq!(
        refused(&canary("steps:\n- setWeight: 101\n")),
        [format!("{at}.setWeight: must be at most 100, found 101")]
    );
    has(
        &refused(&canary("steps:\n- setWeight: 10\n  pause: {}\n")),
        &format!(
            "{at}: a step has exactly one of setWeight, pause, analysis, setCanaryScale, experiment, setHeaderRoute, setMirrorRoute, plugin (Argo); found setWeight, pause"
        ),
    );
    for (step, what) in [
        (
            "experiment: {templates: []}",
            "an experiment runs extra ReplicaSets",
        ),
        (
            "setHeaderRoute: {name: h}",
            "sends the requests whose headers match",
        ),
        (
            "setMirrorRoute: {name: m}",
            "mirrors a share of the requests",
        ),
        ("plugin: {name: p}", "a step plugin runs code of its own"),
    ] {
        let key = step.split(':').next().unwrap();
        has(
            &refused(&canary(&format!("steps:\n- {step}\n"))),
            &format!("{at}.{key}: {what}"),
        );
    }
    has(
        &refused(&canary("steps:\n- setWieght: 10\n")),
        &format!("{at}: a step has exactly one of"),
    );
}

#[test]
fn no_steps_is_one_step_to_full_weight() {
    let (p, i) = read(&canary("maxSurge: 1\nmaxUnavailable: 0\n")).unwrap();
    let PolicyKind::Canary(CanarySpec::Argo(s)) = p.kind else {
        unreachable!()
    };
    assert_eq!(s.steps, [ArgoStep::SetWeight(100)]);
    assert_eq!(
        notes(&i),
        [format!(
            "{AT}: spec.strategy.canary: no steps: Argo takes the weight to 100 at once (within maxSurge and maxUnavailable), read as one step set_weight = 100"
        )]
    );
    let s = argo(&canary("steps: []\n"));
    assert_eq!(s.steps, [ArgoStep::SetWeight(100)]);
}

#[test]
fn fenceposts_read_in_argos_forms() {
    let f = |body: &str| {
        let s = argo(&canary(&format!("{body}steps:\n- setWeight: 50\n")));
        (s.fenceposts.max_surge, s.fenceposts.max_unavailable)
    };
    assert_eq!(
        f("maxSurge: \"25\"\nmaxUnavailable: 0\n"),
        (Percent(25.0), Int(0))
    );
    assert_eq!(
        f("maxSurge: 25%\nmaxUnavailable: \"10%\"\n"),
        (Percent(25.0), Percent(10.0))
    );
    assert_eq!(f("maxSurge: 2\n"), (Int(2), Percent(25.0)));
    assert_eq!(f("maxUnavailable: 1\n"), (Percent(25.0), Int(1)));
    let at = format!("{AT}: spec.strategy.canary");
    has(
        &refused(&canary(
            "maxSurge: 0\nmaxUnavailable: 0\nsteps:\n- setWeight: 5\n",
        )),
        &format!("{at}.maxUnavailable: may not be 0 when max_surge is 0"),
    );
    assert_eq!(
        refused(&canary("maxSurge: -1\nsteps:\n- setWeight: 5\n")),
        [format!(
            "{at}.maxSurge: expected a count like 2 or a percentage like \"25%\", found -1"
        )]
    );
    has(
        &refused(&canary("maxSurge: lots\nsteps:\n- setWeight: 5\n")),
        &format!("{at}.maxSurge: "),
    );
}

#[test]
fn traffic_routing_and_its_delays() {
    let routed = "trafficRouting:\n  nginx: {stableIngress: web}\ncanaryService: web-canary\nstableService: web-stable\n";
    let (p, i) = read(&canary(&format!(
        "{routed}scaleDownDelaySeconds: 60\nabortScaleDownDelaySeconds: 0\nminPodsPerReplicaSet: 2\nsteps:\n- setCanaryScale: {{replicas: 2}}\n- setWeight: 20\n- setCanaryScale: {{matchTrafficWeight: true}}\n- setCanaryScale: {{weight: 40}}\n"
    )))
    .unwrap();
    let PolicyKind::Canary(CanarySpec::Argo(s)) = p.kind else {
        unreachable!()
    };
    assert!(s.traffic_routing);
    assert_eq!(s.scale_down_delay_seconds, 60.0);
    // 0 is kept as 0: in Argo it leaves the canary up after an abort.
    assert_eq!(s.abort_scale_down_delay_seconds, Some(0.0));
    assert_eq!(s.min_pods_per_replica_set, Some(2));
    assert_eq!(
        s.steps,
        [
            ArgoStep::SetCanaryScale(CanaryScale::Replicas(2)),
            ArgoStep::SetWeight(20),
            ArgoStep::SetCanaryScale(CanaryScale::MatchTrafficWeight),
            ArgoStep::SetCanaryScale(CanaryScale::Weight(40)),
        ]
    );
    let n = notes(&i);
    has(
        &n,
        "spec.strategy.canary.trafficRouting: traffic_routing = true; the router (nginx) is not simulated",
    );
    has(&n, "spec.strategy.canary.canaryService: not simulated");
    has(&n, "spec.strategy.canary.stableService: not simulated");
    assert_eq!(
        p.description,
        "Argo Rollout web: canary, 4 steps, traffic routing, maxSurge 25%, maxUnavailable 25%"
    );
    let s = argo(&canary(&format!(
        "{routed}dynamicStableScale: true\nsteps:\n- setWeight: 20\n"
    )));
    assert!(s.dynamic_stable_scale);
    // Without a delay given, dynamic stable scaling scales the canary down as traffic
    // returns.
    assert_eq!(s.abort_scale_down_delay_seconds, None);
    let at = format!("{AT}: spec.strategy.canary");
    has(
        &refused(&canary(&format!(
            "{routed}dynamicStableScale: true\nscaleDownDelaySeconds: 5\nsteps:\n- setWeight: 20\n"
        ))),
        &format!("{at}.scaleDownDelaySeconds: may not be given with dynamic_stable_scale"),
    );
    // Without a router.
    assert_eq!(
        refused(&canary(
            "scaleDownDelaySeconds: 30\nsteps:\n- setWeight: 20\n"
        )),
        [format!(
            "{at}.scaleDownDelaySeconds: Canary scaleDownDelaySeconds can only be used with traffic routing (Argo refuses it)"
        )]
    );
    let (_, i) = read(&canary(
        "abortScaleDownDelaySeconds: 10\nsteps:\n- setWeight: 20\n",
    ))
    .unwrap();
    has(
        &notes(&i),
        "spec.strategy.canary.abortScaleDownDelaySeconds: not simulated: without a traffic router",
    );
    has(
        &refused(&canary(
            "dynamicStableScale: true\nsteps:\n- setWeight: 20\n",
        )),
        &format!("{at}.dynamicStableScale: dynamic_stable_scale needs traffic_routing = true"),
    );
    has(
        &refused(&canary("steps:\n- setCanaryScale: {replicas: 1}\n")),
        "a set_canary_scale step needs traffic_routing = true",
    );
    has(
        &refused(&canary(&format!(
            "{routed}steps:\n- setCanaryScale: {{replicas: 1, weight: 5}}\n"
        ))),
        &format!(
            "{at}.steps[0].setCanaryScale: set_canary_scale has exactly one of replicas, weight, match_traffic_weight; found replicas, weight"
        ),
    );
    has(
        &refused(&canary(
            "trafficRouting:\n  maxTrafficWeight: 1000\n  nginx: {stableIngress: web}\nsteps:\n- setWeight: 20\n",
        )),
        &format!(
            "{at}.trafficRouting.maxTrafficWeight: a total weight other than 100 (1000) is not modelled yet"
        ),
    );
    let s = argo(&canary(
        "trafficRouting:\n  maxTrafficWeight: 100\n  istio: {}\nsteps:\n- setWeight: 20\n",
    ));
    assert!(s.traffic_routing);
}

#[test]
fn analysis_steps_take_their_templates_metrics_as_gates() {
    let text = format!(
        "{}{}",
        canary(&format!(
            "steps:\n- setWeight: 20\n{STEP}- setWeight: 50\n{STEP}"
        )),
        errors_template(
            "initialDelay: 1m\nfailureLimit: 1\ninconclusiveLimit: 2\nconsecutiveErrorLimit: 3\n"
        )
    );
    let (p, i) = read(&text).unwrap();
    let PolicyKind::Canary(CanarySpec::Argo(s)) = p.kind else {
        unreachable!()
    };
    let a = AnalysisSpec {
        count: 3,
        interval_seconds: 30.0,
        initial_delay_seconds: 60.0,
        failure_limit: 1,
        inconclusive_limit: 2,
        consecutive_error_limit: 3,
    };
    assert_eq!(
        s.steps,
        [
            ArgoStep::SetWeight(20),
            ArgoStep::Analysis(a),
            ArgoStep::SetWeight(50),
            ArgoStep::Analysis(a),
        ]
    );
    assert_eq!(
        s.gates,
        [GateSpec {
            name: "error-ratio".into(),
            metric: GateMetric::ErrorRatio,
            comparison: Comparison::Absolute,
            threshold: 0.05,
            slack: 0.0,
            window_seconds: 60.0,
            // No traffic guard: Argo judges any traffic; with none the ratio is NaN
            // (a failure) or there is no value (an Error): on_empty says neither.
            min_samples: 0,
            on_empty: EmptyRule::Inconclusive,
        }]
    );
    let n = notes(&i);
    has(
        &n,
        "r.yaml: document 2 (AnalysisTemplate errors): spec.metrics[0].provider.prometheus.address: not simulated",
    );
    has(
        &n,
        "with no candidate requests the query gives NaN or no value (no series yet), which successCondition `result[0] <= 0.05` counts a failure and an Error (against consecutiveErrorLimit); rollcage reads a window without requests as on_empty = inconclusive",
    );
    // Read once for both steps: each note once.
    let addr = n
        .iter()
        .filter(|x| x.contains("prometheus.address"))
        .count();
    assert_eq!(addr, 1, "{n:#?}");
    // A condition that passes both an empty result and a NaN: on_empty = pass.
    let both = text.replace(
        "successCondition: result[0] <= 0.05",
        "successCondition: len(result) == 0 || isNaN(result[0]) || result[0] <= 0.05",
    );
    let (p, i) = read(&both).unwrap();
    assert_eq!(p.kind.gates()[0].on_empty, EmptyRule::Pass);
    has(&notes(&i), "counts pass: on_empty = pass");
    // A traffic guard: min_samples is the guard's, and the empty result below it an
    // Error, read as inconclusive.
    let guarded = text.replace(
        "[1m]))'",
        "[1m])) and on() (sum(increase(http_requests_total{service=\"{{args.service}}\"}[1m])) >= 50)'",
    );
    let (p, i) = read(&guarded).unwrap();
    let g = &p.kind.gates()[0];
    assert_eq!((g.min_samples, g.on_empty), (50, EmptyRule::Inconclusive));
    has(
        &notes(&i),
        "below 50 candidate requests the query is empty, which successCondition `result[0] <= 0.05` counts as an Error",
    );
}

#[test]
fn metric_defaults_are_argos() {
    let t = template(
        "errors",
        &format!(
            "metrics:\n- name: e\n  successCondition: result[0] < 0.01\n  provider:\n    prometheus:\n      query: '{}'\n",
            ERRORS.replace("{{args.service}}", "web")
        ),
    );
    let text = format!(
        "{}{t}",
        canary("steps:\n- analysis:\n    templates:\n    - templateName: errors\n")
    );
    let s = argo(&text);
    // No count and no interval: one measurement; limits 0, 0 and 4.
    assert_eq!(s.steps, [ArgoStep::Analysis(AnalysisSpec::default())]);
    let (_, i) = read(&text).unwrap();
    has(
        &notes(&i),
        "the strict < 0.01 is read as error_ratio <= 0.01",
    );
}

#[test]
fn metric_settings_are_checked_as_argo_checks_them() {
    let text = |m: &str| {
        format!(
            "{}{}",
            canary("steps:\n- analysis:\n    templates:\n    - templateName: t\n"),
            template(
                "t",
                &format!(
                    "metrics:\n- name: e\n{}  successCondition: result[0] <= 0\n  provider:\n    prometheus:\n      query: sum(increase(kube_pod_container_status_restarts_total[5m]))\n",
                    indent(m, 2)
                )
            )
        )
    };
    let at = "r.yaml: document 2 (AnalysisTemplate t): spec.metrics[0]";
    assert_eq!(
        refused(&text("count: 3\n")),
        [format!(
            "{at}.interval: missing: a count above 1 needs an interval, as Argo requires"
        )]
    );
    has(
        &refused(&text("count: 2\ninterval: 1m\nfailureLimit: 3\n")),
        &format!("{at}.count: must be at least failureLimit (3)"),
    );
    has(
        &refused(&text("count: 2\ninterval: 1m\ninconclusiveLimit: 3\n")),
        &format!("{at}.count: must be at least inconclusiveLimit (3)"),
    );
    has(
        &refused(&text("failureLimit: -1\nconsecutiveSuccessLimit: 2\n")),
        &format!("{at}.failureLimit: -1 turns the failure limit off"),
    );
    has(
        &refused(&text("consecutiveSuccessLimit: 2\n")),
        &format!(
            "{at}.consecutiveSuccessLimit: 2: a metric that succeeds after 2 successes in a row is not modelled yet"
        ),
    );
    has(
        &refused(&text("interval: 5 minutes\n")),
        &format!("{at}.interval: \"5 minutes\" is not a Go duration"),
    );
    has(
        &refused(&text("inconclusiveLimit: -2\n")),
        &format!("{at}.inconclusiveLimit: must be at least 0, found -2"),
    );
    has(
        &refused(&text("count: many\n")),
        &format!("{at}.count: expected a whole number, found \"many\""),
    );
    // Strings of numbers, as Argo's IntOrString takes them.
    let s = argo(&text("count: \"2\"\ninterval: 1m\nfailureLimit: \"1\"\n"));
    assert_eq!(
        s.steps,
        [ArgoStep::Analysis(AnalysisSpec {
            count: 2,
            interval_seconds: 60.0,
            failure_limit: 1,
            ..AnalysisSpec::default()
        })]
    );
    // A metric measured until it fails never completes as a step.
    has(
        &refused(&text("interval: 1m\n")),
        &format!(
            "{AT}: spec.strategy.canary.steps[0].analysis.templates: the metrics (e) have an interval and no count, so Argo measures until one fails: this step would never complete"
        ),
    );
}

#[test]
fn the_background_analysis_runs_from_its_starting_step() {
    let text = format!(
        "{}{}",
        canary(
            "steps:\n- setWeight: 20\n- pause: {duration: 5m}\n- setWeight: 60\nanalysis:\n  startingStep: 2\n  templates:\n  - templateName: restarts\n"
        ),
        template(
            "restarts",
            "metrics:\n- name: restarts\n  interval: 1m\n  successCondition: result[0] < 1\n  provider:\n    prometheus:\n      query: sum(increase(kube_pod_container_status_restarts_total{app=\"web\"}[10m]))\n"
        )
    );
    let (p, i) = read(&text).unwrap();
    let PolicyKind::Canary(CanarySpec::Argo(s)) = p.kind else {
        unreachable!()
    };
    assert_eq!(
        s.analysis,
        Some(BackgroundAnalysis {
            run: AnalysisSpec {
                count: 0,
                interval_seconds: 60.0,
                ..AnalysisSpec::default()
            },
            starting_step: 2,
        })
    );
    assert_eq!(s.gates.len(), 1);
    assert_eq!(s.gates[0].metric, GateMetric::Restarts);
    assert_eq!(s.gates[0].threshold, 0.0);
    assert_eq!(s.gates[0].window_seconds, 600.0);
    has(
        &notes(&i),
        "container restarts < 1 is exactly container restarts <= 0, a count",
    );
    has(
        &refused(&text.replace("startingStep: 2", "startingStep: 4")),
        &format!("{AT}: spec.strategy.canary.analysis.startingStep: is past the last step"),
    );
}

#[test]
fn arguments_resolve_as_argo_merges_them() {
    let t = template(
        "errors",
        "args:\n- name: service\n- name: window\n  value: 1m\n- name: count\n  value: \"5\"\n- name: token\n  valueFrom:\n    secretKeyRef: {name: prom, key: token}\n- name: hash\nmetrics:\n- name: error-ratio\n  interval: 30s\n  count: '{{args.count}}'\n  successCondition: result[0] <= 0.01\n  provider:\n    prometheus:\n      query: 'sum(rate(http_requests_total{service=\"{{args.service}}\",hash=\"{{ args.hash }}\",token=\"{{args.token}}\",code=~\"5..\"}[{{args.window}}])) / sum(rate(http_requests_total{service=\"{{args.service}}\",hash=\"{{ args.hash }}\",token=\"{{args.token}}\"}[{{args.window}}]))'\n",
    );
    let step = "- analysis:\n    templates:\n    - templateName: errors\n    args:\n    - name: service\n      valueFrom:\n        fieldRef: {fieldPath: metadata.name}\n    - name: window\n      value: 2m\n    - name: hash\n      valueFrom: {podTemplateHashValue: Latest}\n    - name: unused\n      value: x\n";
    let text = format!("{}{t}", canary(&format!("steps:\n{step}")));
    let (p, i) = read(&text).unwrap();
    let PolicyKind::Canary(CanarySpec::Argo(s)) = p.kind else {
        unreachable!()
    };
    // The count comes from the template's own default, the window from the step.
    assert_eq!(
        s.steps,
        [ArgoStep::Analysis(AnalysisSpec {
            count: 5,
            interval_seconds: 30.0,
            ..AnalysisSpec::default()
        })]
    );
    assert_eq!(s.gates[0].window_seconds, 120.0);
    let n = notes(&i);
    has(
        &n,
        &format!(
            "{AT}: spec.strategy.canary.steps[0].analysis.args[2]: argument hash is the pod-template hash of the canary's ReplicaSet (Latest)"
        ),
    );
    has(
        &n,
        "r.yaml: document 2 (AnalysisTemplate errors): spec.args[3]: argument token is key token of Secret prom, which rollcage does not read; the query reads \"rollcage-placeholder-token\" in its place",
    );
    has(
        &n,
        &format!(
            "{AT}: spec.strategy.canary.steps[0].analysis.args[3]: not used: no template of this analysis declares argument unused (Argo ignores it)"
        ),
    );
    // The Stable hash is said to select the stable's pods.
    let (_, i) = read(&text.replace(
        "podTemplateHashValue: Latest",
        "podTemplateHashValue: Stable",
    ))
    .unwrap();
    has(&notes(&i), "the query selects the stable's pods");
    // An argument with no value anywhere.
    let missing = format!(
        "{}{t}",
        canary(&format!(
            "steps:\n{}",
            step.replace("    - name: service\n      valueFrom:\n        fieldRef: {fieldPath: metadata.name}\n", "")
        ))
    );
    assert_eq!(
        refused(&missing),
        [format!(
            "{AT}: spec.strategy.canary.steps[0].analysis.args: AnalysisTemplate errors declares argument service without a value, and this analysis gives none (Argo refuses the run: args.service was not resolved)"
        )]
    );
    has(
        &refused(&text.replace(
            "podTemplateHashValue: Latest",
            "podTemplateHashValue: Newest",
        )),
        "podTemplateHashValue: must be Stable or Latest, found \"Newest\"",
    );
    has(
        &refused(&text.replace("metadata.name", "spec.replicas")),
        "fieldRef.fieldPath: \"spec.replicas\": Argo reads metadata.name, metadata.namespace",
    );
    // A tag that is not a declared argument.
    let undeclared = text.replace("{{ args.hash }}", "{{args.revision}}");
    has(
        &refused(&undeclared),
        "r.yaml: document 2 (AnalysisTemplate errors): spec.metrics[0].provider.prometheus.query: {{args.revision}} names an argument no template of this analysis declares",
    );
}

#[test]
fn field_refs_read_the_rollouts_metadata() {
    let t = template(
        "t",
        "args:\n- name: ns\n- name: team\n- name: uid\nmetrics:\n- name: e\n  successCondition: result[0] <= 0.01\n  provider:\n    prometheus:\n      query: 'sum(rate(r{ns=\"{{args.ns}}\",team=\"{{args.team}}\",uid=\"{{args.uid}}\",code=~\"5..\"}[1m])) / sum(rate(r{ns=\"{{args.ns}}\",team=\"{{args.team}}\",uid=\"{{args.uid}}\"}[1m]))'\n",
    );
    let args = "    args:\n    - name: ns\n      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}\n    - name: team\n      valueFrom: {fieldRef: {fieldPath: \"metadata.labels['team']\"}}\n    - name: uid\n      valueFrom: {fieldRef: {fieldPath: metadata.uid}}\n";
    let body = format!("steps:\n- analysis:\n    templates:\n    - templateName: t\n{args}");
    let with_meta = canary(&body).replace(
        "  name: web\n",
        "  name: web\n  namespace: shop\n  labels: {team: payments}\n",
    );
    let (_, i) = read(&format!("{with_meta}{t}")).unwrap();
    let n = notes(&i);
    assert!(
        !n.iter()
            .any(|x| x.contains("argument ns") || x.contains("argument team")),
        "{n:#?}"
    );
    has(
        &n,
        "argument uid is the Rollout's uid, which the API server assigns",
    );
    let (_, i) = read(&format!("{}{t}", canary(&body))).unwrap();
    let n = notes(&i);
    has(
        &n,
        "argument ns is the Rollout's namespace, which the file does not give",
    );
    has(
        &n,
        "argument team is the Rollout's label team, which the file does not give",
    );
}

#[test]
fn templates_come_from_the_file_or_from_analysis_files() {
    let rollout = canary(&format!("steps:\n{STEP}"));
    let opts = Options {
        analysis: vec![("templates.yaml".into(), errors_template(""))],
        ..Options::default()
    };
    let (p, i) = read_with(&rollout, &opts).unwrap();
    assert_eq!(p.kind.gates().len(), 1);
    has(
        &notes(&i),
        "templates.yaml: document 1 (AnalysisTemplate errors): spec.metrics[0].provider.prometheus.address",
    );
    assert_eq!(
        refused(&rollout),
        [format!(
            "{AT}: spec.strategy.canary.steps[0].analysis.templates[0].templateName: no AnalysisTemplate \"errors\" in this file or in the --analysis files; give the file that holds it with --analysis FILE"
        )]
    );
    // Cluster scope looks for the cluster kind, and says when the other exists.
    let cluster = rollout.replace(
        "- templateName: errors\n",
        "- templateName: errors\n            clusterScope: true\n",
    );
    has(
        &refused_with(&cluster, &opts),
        "no ClusterAnalysisTemplate \"errors\" in this file or in the --analysis files (there is an AnalysisTemplate of that name: drop clusterScope)",
    );
    let as_cluster =
        errors_template("").replace("kind: AnalysisTemplate", "kind: ClusterAnalysisTemplate");
    let (p, _) = read(&format!("{cluster}{as_cluster}")).unwrap();
    assert_eq!(p.kind.gates().len(), 1);
    has(
        &refused(&format!("{rollout}{as_cluster}")),
        "(there is a ClusterAnalysisTemplate of that name: set clusterScope: true)",
    );
    // A template no analysis uses is noted.
    let (_, i) = read(&format!(
        "{rollout}{}{}",
        errors_template(""),
        template("other", "metrics: []\n")
    ))
    .unwrap();
    has(
        &notes(&i),
        "r.yaml: document 3 (AnalysisTemplate other): not simulated: no policy in the files refers to this template",
    );
}

#[test]
fn one_analysis_has_one_timing_and_every_analysis_the_same_gates() {
    let restarts = template(
        "restarts",
        "metrics:\n- name: restarts\n  interval: 1m\n  count: 5\n  successCondition: result[0] <= 0\n  provider:\n    prometheus:\n      query: sum(increase(kube_pod_container_status_restarts_total[10m]))\n",
    );
    let both = "- analysis:\n    templates:\n    - templateName: errors\n    - templateName: restarts\n    args:\n    - name: service\n      value: web\n";
    let e = refused(&format!(
        "{}{}{restarts}",
        canary(&format!("steps:\n{both}")),
        errors_template("")
    ));
    assert_eq!(
        e,
        [format!(
            "{AT}: spec.strategy.canary.steps[0].analysis.templates: metric error-ratio of template errors (spec.metrics[0]: count 3, interval 30 s, failureLimit 0, inconclusiveLimit 0, consecutiveErrorLimit 4) and metric restarts of template restarts (spec.metrics[0]: count 5, interval 60 s, failureLimit 0, inconclusiveLimit 0, consecutiveErrorLimit 4) are measured differently, and a rollcage analysis has one count, interval, initialDelay and set of limits for all its gates; give the metrics of one analysis the same ones"
        )]
    );
    // Two steps with different templates.
    let other = "- analysis:\n    templates:\n    - templateName: restarts\n";
    let e = refused(&format!(
        "{}{}{restarts}",
        canary(&format!("steps:\n{STEP}- setWeight: 50\n{other}")),
        errors_template("")
    ));
    assert_eq!(
        e,
        [format!(
            "{AT}: spec.strategy.canary.steps[2].analysis: measures restarts, where spec.strategy.canary.steps[0].analysis measures error-ratio: rollcage's gates are the policy's, the same in every analysis of a Rollout; give its analyses the same templates and args"
        )]
    );
    // The same template with other args: the same gate when they change a label only
    // (the simulation measures the candidate whatever the query's labels)...
    let other_args = STEP.replace("value: web", "value: api");
    let s = argo(&format!(
        "{}{}",
        canary(&format!("steps:\n{STEP}- setWeight: 50\n{other_args}")),
        errors_template("")
    ));
    assert_eq!(s.gates.len(), 1);
    // ...and refused when they change the bound.
    let limited = errors_template("")
        .replace("result[0] <= 0.05", "result[0] <= {{args.limit}}")
        .replace("- name: service\n", "- name: service\n  - name: limit\n");
    let step = |limit: &str| {
        STEP.replace(
            "      value: web\n",
            &format!("      value: web\n    - name: limit\n      value: \"{limit}\"\n"),
        )
    };
    let e = refused(&format!(
        "{}{limited}",
        canary(&format!(
            "steps:\n{}- setWeight: 50\n{}",
            step("0.01"),
            step("0.02")
        ))
    ));
    has(
        &e,
        "spec.strategy.canary.steps[2].analysis: measures the same metrics (error-ratio) with other queries, conditions or windows (its args differ?)",
    );
    // Step and background analyses too; a different timing per analysis is fine.
    let bg = "analysis:\n  templates:\n  - templateName: errors\n  args:\n  - name: service\n    value: web\n";
    let s = argo(&format!(
        "{}{}",
        canary(&format!("{bg}steps:\n{STEP}")),
        errors_template("")
    ));
    assert_eq!(s.gates.len(), 1);
    assert_eq!(s.analysis.unwrap().run.count, 3);
}

#[test]
fn duplicate_and_dry_run_metrics() {
    let e = refused(&format!(
        "{}{}{}",
        canary(
            "steps:\n- analysis:\n    templates:\n    - templateName: errors\n    - templateName: more\n    args:\n    - {name: service, value: web}\n"
        ),
        errors_template(""),
        errors_template("").replace("name: errors", "name: more")
    ));
    has(
        &e,
        "metric error-ratio is in template errors (spec.metrics[0]) and in template more (spec.metrics[0]): Argo refuses two metrics of one name in a run",
    );
    // A dry-run metric is measured but not a gate, and its query need not be read.
    let t = template(
        "t",
        "metrics:\n- name: restarts\n  successCondition: result[0] <= 0\n  provider:\n    prometheus:\n      query: sum(increase(kube_pod_container_status_restarts_total[10m]))\n- name: experimental\n  successCondition: result[0] > 3\n  provider:\n    web: {url: 'http://x'}\n",
    );
    let step = "steps:\n- analysis:\n    templates:\n    - templateName: t\n    dryRun:\n    - metricName: experimental\n";
    let (p, i) = read(&format!("{}{t}", canary(step))).unwrap();
    assert_eq!(
        p.kind
            .gates()
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>(),
        ["restarts"]
    );
    has(
        &notes(&i),
        "spec.strategy.canary.steps[0].analysis.dryRun[0].metricName: dry-run: Argo measures metric experimental without letting the result change the rollout; not a gate",
    );
    let all_dry = step.replace("metricName: experimental", "metricName: '*'");
    has(
        &refused(&format!("{}{t}", canary(&all_dry))),
        "every metric of this analysis is dry-run",
    );
}

#[test]
fn queries_rollcage_cannot_read_need_map_metric() {
    let t = template(
        "biz",
        "metrics:\n- name: checkout-rate\n  successCondition: result[0] >= 0.9\n  provider:\n    prometheus:\n      query: sum(rate(checkouts_total[5m])) / sum(rate(visits_total[5m]))\n",
    );
    let text = format!(
        "{}{t}",
        canary("steps:\n- analysis:\n    templates:\n    - templateName: biz\n")
    );
    let e = refused(&text);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].starts_with("r.yaml: document 2 (AnalysisTemplate biz): spec.metrics[0].provider.prometheus.query: metric checkout-rate: rollcage cannot tell what this query measures: "),
        "{e:?}"
    );
    assert!(e[0].contains("The query: `sum(rate(checkouts_total[5m])) / sum(rate(visits_total[5m]))`. Say what it measures with --map-metric biz/checkout-rate=KIND ("), "{e:?}");
    let opts = Options {
        map_metric: vec![MetricMapping::parse("biz/checkout-rate=kpi").unwrap()],
        ..Options::default()
    };
    let (p, _) = read_with(&text, &opts).unwrap();
    let g = &p.kind.gates()[0];
    assert_eq!(
        (g.metric, g.threshold, g.window_seconds),
        (GateMetric::Kpi, 0.9, 300.0)
    );
    let opts = Options {
        map_metric: vec![MetricMapping::parse("biz/checkout-rate=speed").unwrap()],
        ..Options::default()
    };
    has(
        &refused_with(&text, &opts),
        "spec.metrics[0].provider.prometheus.query: --map-metric biz/checkout-rate=speed: ",
    );
}

#[test]
fn other_providers_are_refused_unless_mapped() {
    let t = template(
        "dd",
        "metrics:\n- name: errors\n  interval: 2m\n  count: 2\n  successCondition: result < 0.02\n  provider:\n    datadog:\n      query: sum:requests.error{service:web}.as_count()\n",
    );
    let text = format!(
        "{}{t}",
        canary("steps:\n- analysis:\n    templates:\n    - templateName: dd\n")
    );
    let e = refused(&text);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].starts_with("r.yaml: document 2 (AnalysisTemplate dd): spec.metrics[0].provider.datadog: metric errors: the datadog provider is not read (rollcage reads Prometheus queries); say what the metric measures with --map-metric dd/errors=KIND"), "{e:?}");
    let opts = Options {
        map_metric: vec![MetricMapping::parse("dd/errors=error_ratio").unwrap()],
        ..Options::default()
    };
    // Datadog's result is a number: the condition reads `result` (as a scalar would).
    let e = refused_with(&text, &opts);
    has(&e, "spec.metrics[0].successCondition: metric errors:");
    let opts = Options {
        map_metric: vec![MetricMapping::parse("dd/errors=error_ratio").unwrap()],
        ..Options::default()
    };
    let (p, i) = read_with(&text.replace("result < 0.02", "result[0] < 0.02"), &opts).unwrap();
    let g = &p.kind.gates()[0];
    assert_eq!(
        (g.metric, g.threshold, g.window_seconds),
        (GateMetric::ErrorRatio, 0.02, 120.0)
    );
    has(
        &notes(&i),
        "spec.metrics[0].provider.datadog: not simulated: the datadog provider is not read; --map-metric dd/errors=error_ratio says what it measures, and its window is the metric's interval (120 s)",
    );
    let two = t.replace("      datadog:\n", "      web: {url: x}\n      datadog:\n");
    has(
        &refused(&format!(
            "{}{two}",
            canary("steps:\n- analysis:\n    templates:\n    - templateName: dd\n")
        )),
        "spec.metrics[0].provider: a metric has exactly one provider, found datadog, web",
    );
}

/// A gate read from a condition passes exactly at its bound and fails one value past.
#[test]
fn an_imported_gate_is_judged_at_its_conditions_bound() {
    use sim_core::metrics::{CohortSample, MetricsStore};
    use sim_core::{SimDuration, SimTime};
    let text = format!(
        "{}{}",
        canary(&format!("steps:\n{STEP}")),
        errors_template("")
    );
    let (p, _) = read(&text).unwrap();
    let g = p.kind.gates()[0].clone();
    let judge = |errors: u64| {
        let mut m = MetricsStore::default();
        for i in 1..=8 {
            let c = |e| CohortSample {
                requests: 100,
                errors: e,
                ..CohortSample::default()
            };
            m.push(SimTime::from_secs(15 * i), [c(0), c(errors)]);
        }
        g.evaluate(
            &m.view(SimTime::from_secs(120), SimDuration::ZERO),
            SimTime::ZERO,
        )
        .verdict
    };
    assert_eq!(judge(5), Verdict::Pass, "5 of 100 is exactly 0.05");
    assert_eq!(judge(6), Verdict::Fail);
    assert_eq!(judge(0), Verdict::Pass);
}

#[test]
fn blue_green_fields_map_to_the_blue_green_policy() {
    let s = bg(&blue_green(
        "previewService: web-preview\nautoPromotionSeconds: 60\nscaleDownDelaySeconds: 120\nabortScaleDownDelaySeconds: 0\npreviewReplicaCount: 4\n",
    ));
    assert_eq!(s.auto_promotion_seconds, 60.0);
    assert_eq!(s.scale_down_delay_seconds, 120.0);
    assert_eq!(s.abort_scale_down_delay_seconds, 0.0);
    assert!(s.pre_promotion_analysis.is_none() && s.post_promotion_analysis.is_none());
    // Defaults.
    let s = bg(&blue_green(""));
    assert_eq!(
        (
            s.auto_promotion_seconds,
            s.scale_down_delay_seconds,
            s.abort_scale_down_delay_seconds,
            s.preview_traffic_share
        ),
        (0.0, 30.0, 30.0, 0.0)
    );
    let (p, i) = read(&blue_green(
        "autoPromotionEnabled: false\nautoPromotionSeconds: 60\n",
    ))
    .unwrap();
    let PolicyKind::BlueGreen(s) = p.kind else {
        unreachable!()
    };
    assert_eq!(s.auto_promotion_seconds, 2_592_000.0);
    assert_eq!(
        p.description,
        "Argo Rollout web: blue-green, promoted by hand"
    );
    let n = notes(&i);
    has(
        &n,
        "spec.strategy.blueGreen.autoPromotionEnabled: false: Argo waits before the switch until someone promotes",
    );
    has(
        &n,
        "spec.strategy.blueGreen.autoPromotionSeconds: not simulated: Argo promotes after it only when autoPromotionEnabled is true",
    );
    has(&n, "spec.strategy.blueGreen.activeService: not simulated");
    assert_eq!(
        refused(&blue_green("previewReplicaCount: 1\n")),
        [format!(
            "{AT}: spec.strategy.blueGreen.previewReplicaCount: a preview of 1 pods (of 4) is not modelled yet: rollcage's blue-green scales the preview to the full replica count before the switch"
        )]
    );
    let (_, i) = read(&blue_green("autoPromotionEnabled: true\n")).unwrap();
    has(
        &notes(&i),
        "autoPromotionEnabled: not simulated: true is the default",
    );
}

#[test]
fn promotion_analyses_share_the_gates() {
    let pre = "prePromotionAnalysis:\n  templates:\n  - templateName: errors\n  args:\n  - {name: service, value: web}\n";
    let post = pre.replace("prePromotionAnalysis", "postPromotionAnalysis");
    let s = bg(&format!(
        "{}{}",
        blue_green(&format!("{pre}{post}")),
        errors_template("")
    ));
    let want = AnalysisSpec {
        count: 3,
        interval_seconds: 30.0,
        ..AnalysisSpec::default()
    };
    assert_eq!(s.pre_promotion_analysis, Some(want));
    assert_eq!(s.post_promotion_analysis, Some(want));
    assert_eq!(s.gates.len(), 1);
}

#[test]
fn the_spec_beside_the_strategy() {
    let body = "steps:\n- setWeight: 50\n";
    let (p, i) = read(&canary_with(
        "replicas: 6\nminReadySeconds: 15\nprogressDeadlineSeconds: 300\nprogressDeadlineAbort: false\npaused: false\nrevisionHistoryLimit: 3\nselector: {matchLabels: {app: web}}\ntemplate: {metadata: {labels: {app: web}}}\n",
        body,
    ))
    .unwrap();
    let PolicyKind::Canary(CanarySpec::Argo(s)) = p.kind else {
        unreachable!()
    };
    assert_eq!(s.min_ready_seconds, 15.0);
    assert_eq!(s.progress_deadline_seconds, 300.0);
    assert!(!s.progress_deadline_abort);
    assert_eq!(i.replicas.as_ref().map(|r| r.count), Some(6));
    assert_eq!(i.replicas.unwrap().origin, format!("{AT}: spec.replicas"));
    let keys: Vec<&str> = i.notes.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "spec.paused",
            "spec.selector",
            "spec.template",
            "spec.revisionHistoryLimit",
        ]
    );
    let at = format!("{AT}: spec");
    has(
        &refused(&canary_with("paused: true\n", body)),
        &format!("{at}.paused: a paused Rollout does not roll out"),
    );
    // The progress deadline and its abort are read, for either strategy, with Argo's
    // rule that the deadline is longer than minReadySeconds: one second more is enough.
    let s = argo(&canary_with(
        "minReadySeconds: 30\nprogressDeadlineSeconds: 31\nprogressDeadlineAbort: true\n",
        body,
    ));
    assert_eq!(
        (s.progress_deadline_seconds, s.progress_deadline_abort),
        (31.0, true)
    );
    let d = argo(&canary_with("", body));
    assert_eq!(
        (d.progress_deadline_seconds, d.progress_deadline_abort),
        (600.0, false)
    );
    let b = bg(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\nspec:\n  progressDeadlineSeconds: 120\n  progressDeadlineAbort: true\n  strategy:\n    blueGreen:\n      activeService: web-active\n",
    );
    assert_eq!(
        (b.progress_deadline_seconds, b.progress_deadline_abort),
        (120.0, true)
    );
    has(
        &refused(&canary_with(
            "minReadySeconds: 30\nprogressDeadlineSeconds: 30\n",
            body,
        )),
        &format!(
            "{at}.progressDeadlineSeconds: must be greater than minReadySeconds (30), as Argo's validation requires; found 30"
        ),
    );
    has(
        &refused(&canary_with("progressDeadlineAbort: yes please\n", body)),
        &format!("{at}.progressDeadlineAbort"),
    );
    let (p, i) = read(&canary_with("progressDeadlineSeconds: 2147483647\n", body)).unwrap();
    let PolicyKind::Canary(CanarySpec::Argo(s)) = p.kind else {
        unreachable!()
    };
    assert_eq!(s.progress_deadline_seconds, 2_592_000.0);
    assert!(
        notes(&i)
            .iter()
            .any(|n| n.contains("spec.progressDeadlineSeconds: 2147483647 s is beyond")),
        "{:?}",
        notes(&i)
    );
    has(
        &refused(&canary_with("restartAt: \"2024-01-01T00:00:00Z\"\n", body)),
        &format!("{at}.restartAt: restarts every pod"),
    );
    has(
        &refused(&canary_with("replicas: 10001\n", body)),
        &format!("{at}.replicas: must be at most 10000"),
    );
    has(
        &refused(&canary_with("minReadySeconds: 2592001\n", body)),
        &format!("{at}.minReadySeconds: must be at most 2592000, found 2592001"),
    );
    has(
        &refused(&canary_with("replica: 3\n", body)),
        &format!("{at}.replica: unknown field (did you mean `replicas`?)"),
    );
    has(
        &refused(&canary("stepz: []\n")),
        &format!("{at}.strategy.canary.stepz: unknown field (did you mean `steps`?)"),
    );
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  strategy:\n    canary: {}\n    blueGreen: {activeService: a}\n";
    has(
        &refused(text),
        &format!("{at}.strategy: Multiple Strategies can not be listed (Argo)"),
    );
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  strategy: {}\n";
    has(
        &refused(text),
        &format!("{at}.strategy: missing: canary or blueGreen"),
    );
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\n";
    has(
        &refused(text),
        &format!("{AT}: spec: missing: a Rollout's spec holds its strategy"),
    );
}

/// Whatever the bytes, the Rollout, Canary and template readers give a policy or
/// problems, never a panic.
mod never_panics {
    use super::*;
    use proptest::prelude::*;

    const EXAMPLES: [(&str, &str); 3] = [
        (
            "r.yaml",
            include_str!("../../../../examples/manifests/rollout-canary.yaml"),
        ),
        (
            "b.yaml",
            include_str!("../../../../examples/manifests/rollout-bluegreen.yaml"),
        ),
        (
            "f.yaml",
            include_str!("../../../../examples/manifests/flagger-canary.yaml"),
        ),
    ];

    fn read_all(file: &str, text: &str) {
        if let Ok(i) = import(file, text, None, &Options::default()) {
            let _ = Policy::from_doc(&i.doc()).map_err(|ps| i.locate(ps));
        }
        let _ = crate::import::validate(file, text, &Options::default());
    }

    const VALUES: [&str; 16] = [
        "null",
        "true",
        "-1",
        "0",
        "1.5",
        "1e300",
        "\"25\"",
        "\"{{args.x}}\"",
        "\"{{ interval }}\"",
        "\"1h30m\"",
        "[]",
        "[1, {a: b}]",
        "{}",
        "{templates: [{templateName: t}]}",
        "99999999999999999999",
        "\"x\"",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn mutated_examples_are_read_or_refused(
            which in 0usize..3,
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let (file, source) = EXAMPLES[which];
            let mut bytes = source.as_bytes().to_vec();
            for (at, b) in edits {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            read_all(file, &String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn any_value_at_a_canary_field_is_read_or_refused(
            field in prop::sample::select(vec![
                "steps", "maxSurge", "maxUnavailable", "trafficRouting", "analysis",
                "scaleDownDelaySeconds", "abortScaleDownDelaySeconds", "dynamicStableScale",
                "minPodsPerReplicaSet",
            ]),
            value in prop::sample::select(VALUES.to_vec()),
        ) {
            let text = format!("{}{}", canary(&format!("{field}: {value}\n")), errors_template(""));
            read_all("r.yaml", &text);
            let step = canary(&format!("steps:\n- {{setWeight: 5}}\n- {{pause: {{duration: {value}}}}}\n- analysis: {value}\n- setCanaryScale: {{weight: {value}}}\n"));
            read_all("r.yaml", &step);
        }

        #[test]
        fn any_value_at_a_metric_field_is_read_or_refused(
            field in prop::sample::select(vec![
                "interval", "count", "initialDelay", "failureLimit", "inconclusiveLimit",
                "consecutiveErrorLimit", "consecutiveSuccessLimit", "successCondition",
                "failureCondition", "provider",
            ]),
            value in prop::sample::select(VALUES.to_vec()),
        ) {
            let t = template(
                "t",
                &format!("args:\n- name: x\n  value: \"2\"\nmetrics:\n- name: m\n  {field}: {value}\n  successCondition: result[0] < 1\n  provider:\n    prometheus:\n      query: sum(increase(kube_pod_container_status_restarts_total[5m]))\n"),
            );
            let text = format!("{}{t}", canary("steps:\n- analysis:\n    templates:\n    - templateName: t\n"));
            read_all("r.yaml", &text);
            let f = format!(
                "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {{name: c}}\nspec:\n  targetRef: {{kind: Deployment, name: c}}\n  analysis:\n    interval: {value}\n    threshold: {value}\n    stepWeight: 10\n    metrics:\n    - {{name: request-success-rate, thresholdRange: {{min: {value}}}, interval: {value}}}\n"
            );
            read_all("f.yaml", &f);
        }
    }
}
