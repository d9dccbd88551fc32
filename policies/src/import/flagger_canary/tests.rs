//! A Flagger Canary and its MetricTemplates, field by field: the analysis's mapping
//! and defaults, built-in metrics, templates with Flagger's variables, notes and
//! refusals, and a check judged at its threshold and one value past it.

use crate::canary_flagger::FlaggerSpec;
use crate::gate::{Comparison, EmptyRule, GateMetric, GateSpec, Verdict};
use crate::import::test_support::{has, indent, notes, read_as, refused_as};
use crate::import::{Import, MetricMapping, Options};
use crate::{CanarySpec, Policy, PolicyKind};

const AT: &str = "c.yaml: document 1 (Canary podinfo)";

/// A Canary with `spec` extra fields and `analysis` (indented under `analysis:`).
fn canary_with(spec: &str, analysis: &str) -> String {
    format!(
        "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: podinfo\n  namespace: test\nspec:\n  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: podinfo\n  service:\n    port: 9898\n{}  analysis:\n{}",
        indent(spec, 2),
        indent(analysis, 4)
    )
}

fn canary(analysis: &str) -> String {
    canary_with("", analysis)
}

const SUCCESS: &str = "- name: request-success-rate\n  thresholdRange: {min: 99}\n  interval: 1m\n";

fn template(name: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata:\n  name: {name}\n  namespace: test\nspec:\n{}",
        indent(spec, 2)
    )
}

fn read_with(text: &str, opts: &Options) -> Result<(Policy, Import), Vec<String>> {
    read_as("c.yaml", text, opts)
}

fn read(text: &str) -> Result<(Policy, Import), Vec<String>> {
    read_with(text, &Options::default())
}

fn flagger(text: &str) -> FlaggerSpec {
    match read(text)
        .unwrap_or_else(|e| panic!("{text}\n{e:#?}"))
        .0
        .kind
    {
        PolicyKind::Canary(CanarySpec::Flagger(s)) => s,
        other => panic!("{other:?}"),
    }
}

fn refused_with(text: &str, opts: &Options) -> Vec<String> {
    refused_as("c.yaml", text, opts)
}

fn refused(text: &str) -> Vec<String> {
    refused_with(text, &Options::default())
}

#[test]
fn the_analysis_maps_onto_the_flagger_policy() {
    let (p, i) = read(&canary_with(
        "progressDeadlineSeconds: 120\n",
        &format!("interval: 30s\nthreshold: 5\nmaxWeight: 50\nstepWeight: 10\nmetrics:\n{SUCCESS}"),
    ))
    .unwrap();
    let PolicyKind::Canary(CanarySpec::Flagger(s)) = p.kind else {
        unreachable!()
    };
    assert_eq!(s.interval_seconds, 30.0);
    assert_eq!(s.threshold, 5);
    assert_eq!(s.max_weight, Some(50));
    assert_eq!(s.step_weight, 10);
    assert!(s.step_weights.is_empty());
    assert_eq!(s.iterations, 0);
    assert!(s.traffic_routing);
    assert_eq!(s.progress_deadline_seconds, 120.0);
    assert_eq!(s.min_ready_seconds, 0.0);
    assert_eq!(s.iteration_traffic_share, 0.0);
    assert_eq!(p.name, "podinfo");
    assert_eq!(
        p.description,
        "Flagger Canary podinfo: every 30 s, +10% to 50%, rollback after 5 failed checks"
    );
    let n = notes(&i);
    has(
        &n,
        &format!(
            "{AT}: spec: no provider: Flagger uses its -mesh-provider flag (istio unless set), a router: traffic_routing = true"
        ),
    );
    has(&n, &format!("{AT}: spec.targetRef: not simulated"));
    has(&n, &format!("{AT}: spec.service: not simulated"));
    let s = flagger(&canary(&format!(
        "interval: 1m\nthreshold: 2\nstepWeights: [1, 5, 25, 50]\nmetrics:\n{SUCCESS}"
    )));
    assert_eq!(s.step_weights, [1, 5, 25, 50]);
    assert_eq!(s.progress_deadline_seconds, 600.0);
}

#[test]
fn blue_green_is_iterations_without_a_router() {
    let (p, i) = read(&canary_with(
        "provider: kubernetes\n",
        &format!("interval: 1m\nthreshold: 2\niterations: 10\nmetrics:\n{SUCCESS}"),
    ))
    .unwrap();
    let PolicyKind::Canary(CanarySpec::Flagger(s)) = p.kind else {
        unreachable!()
    };
    assert_eq!(
        (s.iterations, s.step_weight, s.traffic_routing),
        (10, 0, false)
    );
    assert_eq!(
        p.description,
        "Flagger Canary podinfo: every 60 s, Blue/Green, 10 iterations, rollback after 2 failed checks"
    );
    has(
        &notes(&i),
        &format!(
            "{AT}: spec.provider: traffic_routing = false: Flagger's Kubernetes provider has no router"
        ),
    );
    // Step weights need a router, as Flagger's Kubernetes provider has none.
    has(
        &refused(&canary_with(
            "provider: kubernetes\n",
            &format!("interval: 1m\nthreshold: 2\nstepWeight: 10\nmetrics:\n{SUCCESS}"),
        )),
        &format!(
            "{AT}: spec.provider: Flagger shifts traffic by weight only through a mesh or ingress"
        ),
    );
    let s = flagger(&canary_with(
        "provider: linkerd\n",
        &format!("interval: 1m\nthreshold: 2\niterations: 5\nmetrics:\n{SUCCESS}"),
    ));
    assert!(s.traffic_routing);
}

#[test]
fn flaggers_defaults_and_floors() {
    let (p, i) = read(&canary(&format!("stepWeight: 20\nmetrics:\n{SUCCESS}"))).unwrap();
    let PolicyKind::Canary(CanarySpec::Flagger(s)) = p.kind else {
        unreachable!()
    };
    assert_eq!((s.interval_seconds, s.threshold), (60.0, 1));
    let n = notes(&i);
    has(
        &n,
        &format!("{AT}: spec.analysis: no interval: Flagger's default, 60 s"),
    );
    has(
        &n,
        &format!("{AT}: spec.analysis: no threshold: Flagger's default, 1"),
    );
    let (p, i) = read(&canary(&format!(
        "interval: 5s\nthreshold: 0\nstepWeight: 20\nmetrics:\n{SUCCESS}"
    )))
    .unwrap();
    let PolicyKind::Canary(CanarySpec::Flagger(s)) = p.kind else {
        unreachable!()
    };
    assert_eq!((s.interval_seconds, s.threshold), (10.0, 1));
    let n = notes(&i);
    has(
        &n,
        &format!("{AT}: spec.analysis.interval: 5s: below Flagger's floor of 10 s"),
    );
    has(
        &n,
        &format!("{AT}: spec.analysis.threshold: 0: Flagger reads a threshold below 1 as 1"),
    );
    let s = flagger(&canary(&format!(
        "interval: 10s\nthreshold: 1\nstepWeight: 20\nmetrics:\n{SUCCESS}"
    )));
    assert_eq!(s.interval_seconds, 10.0);
    has(
        &refused(&canary(&format!(
            "interval: 1 minute\nstepWeight: 20\nmetrics:\n{SUCCESS}"
        ))),
        &format!("{AT}: spec.analysis.interval: \"1 minute\" is not a Go duration"),
    );
    has(
        &refused(&canary(&format!("interval: 1m\nmetrics:\n{SUCCESS}"))),
        &format!(
            "{AT}: spec.analysis: missing: stepWeight, stepWeights (a canary) or iterations (Blue/Green)"
        ),
    );
}

#[test]
fn built_in_metrics_are_flaggers_queries() {
    let s = flagger(&canary(
        "interval: 1m\nthreshold: 2\nstepWeight: 10\nmetrics:\n- name: request-success-rate\n  thresholdRange: {min: 99}\n- name: request-duration\n  thresholdRange: {max: 500}\n  interval: 30s\n",
    ));
    assert_eq!(
        s.gates,
        [
            GateSpec {
                name: "request-success-rate".into(),
                metric: GateMetric::ErrorRatio,
                comparison: Comparison::Absolute,
                threshold: 0.01,
                slack: 0.0,
                window_seconds: 60.0,
                min_samples: 0,
                on_empty: EmptyRule::Inconclusive,
            },
            GateSpec {
                name: "request-duration".into(),
                metric: GateMetric::Latency { quantile: 0.99 },
                comparison: Comparison::Absolute,
                threshold: 500.0,
                slack: 0.0,
                window_seconds: 30.0,
                min_samples: 0,
                on_empty: EmptyRule::Inconclusive,
            },
        ]
    );
    // The deprecated threshold: a minimum for the success rate, a maximum otherwise.
    let s = flagger(&canary(
        "interval: 1m\nthreshold: 2\nstepWeight: 10\nmetrics:\n- name: request-success-rate\n  threshold: 95\n- name: request-duration\n  threshold: 250\n",
    ));
    assert_eq!(s.gates[0].threshold, 0.05);
    assert_eq!(s.gates[1].threshold, 250.0);
    let at = format!("{AT}: spec.analysis.metrics[0]");
    has(
        &refused(&canary(
            "interval: 1m\nstepWeight: 10\nmetrics:\n- name: request-success-rate\n",
        )),
        &format!(
            "{at}.thresholdRange: missing: thresholdRange (min, max) or threshold bounds the metric"
        ),
    );
    has(
        &refused(&canary(
            "interval: 1m\nstepWeight: 10\nmetrics:\n- name: request-duration\n  thresholdRange: {min: 100}\n",
        )),
        &format!("{at}.thresholdRange: metric request-duration: "),
    );
    has(
        &refused(&canary(
            "interval: 1m\nstepWeight: 10\nmetrics:\n- name: cpu\n  thresholdRange: {max: 1}\n",
        )),
        &format!(
            "{at}: metric cpu: no templateRef or query, and cpu is not one of Flagger's built-in metrics"
        ),
    );
    has(
        &refused(&canary(
            "interval: 1m\nstepWeight: 10\nmetrics:\n- name: request-duration\n  thresholdRange: {max: 1}\n  interval: 0s\n",
        )),
        &format!("{at}.interval: must be more than 0, found \"0s\""),
    );
}

const ERRORS_TEMPLATE: &str = "provider:\n  type: prometheus\n  address: http://prometheus.istio-system:9090\nquery: |\n  100 - sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"{{ namespace }}\",destination_workload=\"{{ target }}\",response_code!~\"{{ variables.ok }}\"}[{{ interval }}]))\n    / sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"{{ namespace }}\",destination_workload=\"{{ target }}\"}[{{ interval }}])) * 100\n";

const ERRORS_METRIC: &str = "- name: error-rate\n  templateRef: {name: error-rate, namespace: istio-system}\n  templateVariables: {ok: \"5.*\"}\n  thresholdRange: {max: 1}\n  interval: 2m\n";

#[test]
fn metric_templates_render_flaggers_variables() {
    let text = format!(
        "{}{}",
        canary(&format!(
            "interval: 1m\nthreshold: 2\nstepWeight: 10\nmetrics:\n{ERRORS_METRIC}"
        )),
        template("error-rate", ERRORS_TEMPLATE)
    );
    let (p, i) = read(&text).unwrap();
    let g = &p.kind.gates()[0];
    // 100 - success% is the error percentage: at most 1% is an error ratio of 0.01,
    // over the metric's interval, {{ interval }}.
    assert_eq!(
        (g.metric, g.threshold, g.window_seconds, g.min_samples),
        (GateMetric::ErrorRatio, 0.01, 120.0, 0)
    );
    let n = notes(&i);
    has(
        &n,
        &format!(
            "{AT}: spec.analysis.metrics[0].templateRef.namespace: not simulated: the template is looked up by name in the files given, not in namespace istio-system"
        ),
    );
    has(
        &n,
        "c.yaml: document 2 (MetricTemplate error-rate): spec.provider.address: not simulated",
    );
    // A variable the metric does not give fails Flagger's template.
    let e = refused(&text.replace("templateVariables: {ok: \"5.*\"}", "templateVariables: {}"));
    has(
        &e,
        "c.yaml: document 2 (MetricTemplate error-rate): spec.query: metric error-rate: {{ variables.ok }}: the metric's templateVariables have no ok",
    );
    // The template from an --analysis file.
    let opts = Options {
        analysis: vec![(
            "metrics.yaml".into(),
            template("error-rate", ERRORS_TEMPLATE),
        )],
        ..Options::default()
    };
    let (p, _) = read_with(
        &canary(&format!(
            "interval: 1m\nthreshold: 2\nstepWeight: 10\nmetrics:\n{ERRORS_METRIC}"
        )),
        &opts,
    )
    .unwrap();
    assert_eq!(p.kind.gates().len(), 1);
    assert_eq!(
        refused(&canary(&format!(
            "interval: 1m\nthreshold: 2\nstepWeight: 10\nmetrics:\n{ERRORS_METRIC}"
        ))),
        [format!(
            "{AT}: spec.analysis.metrics[0].templateRef.name: no MetricTemplate \"error-rate\" in this file or in the --analysis files; give the file that holds it with --analysis FILE"
        )]
    );
    // The Canary's namespace missing: a placeholder, noted.
    let no_ns = text.replace("  name: podinfo\n  namespace: test\n", "  name: podinfo\n");
    let (_, i) = read(&no_ns).unwrap();
    has(
        &notes(&i),
        "spec.query: metric error-rate: {{ namespace }} is the Canary's namespace, which the file does not give; the query reads \"rollcage-placeholder-namespace\" in its place",
    );
}

#[test]
fn queries_and_providers_rollcage_does_not_read() {
    let biz = template(
        "conversions",
        "provider: {type: prometheus}\nquery: sum(rate(orders_total[{{ interval }}])) / sum(rate(visits_total[{{ interval }}]))\n",
    );
    let metric =
        "- name: conversion\n  templateRef: {name: conversions}\n  thresholdRange: {min: 0.02}\n";
    let text = format!(
        "{}{biz}",
        canary(&format!(
            "interval: 1m\nthreshold: 2\nstepWeight: 10\nmetrics:\n{metric}"
        ))
    );
    let e = refused(&text);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].starts_with("c.yaml: document 2 (MetricTemplate conversions): spec.query: metric conversion: rollcage cannot tell what this query measures: "), "{e:?}");
    has(
        &e,
        "Say what it measures with --map-metric conversions/conversion=KIND",
    );
    let opts = Options {
        map_metric: vec![MetricMapping::parse("conversions/conversion=kpi").unwrap()],
        ..Options::default()
    };
    let (p, _) = read_with(&text, &opts).unwrap();
    let g = &p.kind.gates()[0];
    assert_eq!(
        (g.metric, g.threshold, g.window_seconds),
        (GateMetric::Kpi, 0.02, 60.0)
    );
    // Another provider.
    let dd = template(
        "dd-errors",
        "provider: {type: datadog, address: https://api.datadoghq.eu}\nquery: sum:requests.errors{service:podinfo}.as_count()\n",
    );
    let metric = "- name: errors\n  templateRef: {name: dd-errors}\n  thresholdRange: {max: 1}\n  interval: 5m\n";
    let text = format!(
        "{}{dd}",
        canary(&format!(
            "interval: 1m\nthreshold: 2\nstepWeight: 10\nmetrics:\n{metric}"
        ))
    );
    let e = refused(&text);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].starts_with("c.yaml: document 2 (MetricTemplate dd-errors): spec.provider.type: the datadog provider is not read (rollcage reads Prometheus queries); say what metric errors measures with --map-metric dd-errors/errors=KIND"), "{e:?}");
    let opts = Options {
        map_metric: vec![MetricMapping::parse("dd-errors/errors=error_percent").unwrap()],
        ..Options::default()
    };
    let (p, i) = read_with(&text, &opts).unwrap();
    let g = &p.kind.gates()[0];
    assert_eq!(
        (g.metric, g.threshold, g.window_seconds),
        (GateMetric::ErrorRatio, 0.01, 300.0)
    );
    has(
        &notes(&i),
        "c.yaml: document 2 (MetricTemplate dd-errors): spec.provider.type: not simulated: a datadog query is not read; --map-metric says what it measures",
    );
    // An inline query, deprecated.
    let inline = "- name: restarts\n  query: sum(increase(kube_pod_container_status_restarts_total{namespace=\"{{ namespace }}\"}[10m]))\n  thresholdRange: {max: 0}\n";
    let (p, i) = read(&canary(&format!(
        "interval: 1m\nthreshold: 2\nstepWeight: 10\nmetrics:\n{inline}"
    )))
    .unwrap();
    let g = &p.kind.gates()[0];
    assert_eq!(
        (g.metric, g.threshold, g.window_seconds),
        (GateMetric::Restarts, 0.0, 600.0)
    );
    has(
        &notes(&i),
        &format!(
            "{AT}: spec.analysis.metrics[0].query: an inline query (deprecated by Flagger for templateRef); --map-metric names it CANARY/METRIC"
        ),
    );
    // A built-in name with a query of its own: Flagger runs both checks, one gate
    // when they are the same check, refused when they are not.
    let dup = |q: &str| {
        canary(&format!(
            "interval: 1m\nstepWeight: 10\nmetrics:\n- name: request-duration\n  query: '{q}'\n  thresholdRange: {{max: 500}}\n"
        ))
    };
    let same = "histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket[{{ interval }}])))";
    let (p, i) = read(&dup(same)).unwrap();
    assert_eq!(p.kind.gates().len(), 1);
    has(
        &notes(&i),
        "metric request-duration: Flagger runs its built-in request-duration check and this metric's query, which measure the same against the same bound: one gate",
    );
    has(
        &refused(&dup(&same.replace("0.99", "0.9"))),
        &format!(
            "{AT}: spec.analysis.metrics[0].thresholdRange: metric request-duration: Flagger runs its built-in request-duration check (latency_p99_ms <= 500 over 60 s) and this metric's query (latency_p90_ms 500 over 60 s), each failing the check on its own"
        ),
    );
    has(
        &refused(&canary(
            "interval: 1m\nstepWeight: 10\nmetrics:\n- name: e\n  query: x\n  templateRef: {name: x}\n  thresholdRange: {max: 1}\n",
        )),
        "metric e: Flagger checks an inline query and a templateRef each on its own",
    );
}

#[test]
fn what_changes_the_rollout_is_refused() {
    let a = format!("interval: 1m\nthreshold: 2\nstepWeight: 10\nmetrics:\n{SUCCESS}");
    let at = format!("{AT}: spec");
    for (spec, want) in [
        (
            "skipAnalysis: true\n",
            "skipAnalysis: true promotes the canary without its analysis",
        ),
        (
            "suspend: true\n",
            "suspend: a suspended Canary does not roll out",
        ),
        (
            "autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: podinfo}\n",
            "autoscalerRef: an autoscaler changes the replica count",
        ),
    ] {
        has(&refused(&canary_with(spec, &a)), &format!("{at}.{want}"));
    }
    for (extra, want) in [
        (
            "match:\n- headers: {x-canary: {exact: insider}}\n",
            "match: A/B testing sends the requests",
        ),
        ("mirror: true\n", "mirror: mirroring copies requests"),
        (
            "sessionAffinity: {cookieName: flagger-cookie}\n",
            "sessionAffinity: keeps the users",
        ),
        (
            "stepWeightPromotion: 20\n",
            "stepWeightPromotion: 20: a promotion in steps",
        ),
        (
            "canaryReadyThreshold: 50\n",
            "canaryReadyThreshold: 50%: going on with part of the pods ready",
        ),
        (
            "primaryReadyThreshold: 80\n",
            "primaryReadyThreshold: 80%: going on",
        ),
    ] {
        has(
            &refused(&canary(&format!("{extra}{a}"))),
            &format!("{at}.analysis.{want}"),
        );
    }
    let daemon = canary(&a).replace("kind: Deployment", "kind: DaemonSet");
    has(
        &refused(&daemon),
        &format!("{at}.targetRef: a DaemonSet target is not modelled"),
    );
    let none = "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: podinfo}\nspec:\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}\n  service: {port: 80}\n";
    has(
        &refused(none),
        &format!("{at}.analysis: missing: without an analysis Flagger promotes at once"),
    );
    has(
        &refused(&canary(&format!("stepWieght: 5\n{a}"))),
        &format!("{at}.analysis.stepWieght: unknown field (did you mean `stepWeight`?)"),
    );
}

#[test]
fn what_does_not_change_the_simulation_is_noted() {
    let a = format!(
        "interval: 1m\nthreshold: 2\nstepWeight: 10\nmirror: false\ncanaryReadyThreshold: 100\nalerts:\n- {{name: slack, severity: error, providerRef: {{name: on-call}}}}\nwebhooks:\n- name: load-test\n  url: http://flagger-loadtester.test/\n  metadata: {{cmd: \"hey -z 1m -q 10 http://podinfo-canary.test:9898/\"}}\n- name: approve\n  type: confirm-promotion\n  url: http://gate.test/approve\nmetrics:\n{SUCCESS}"
    );
    let (_, i) = read(&canary_with(
        "skipAnalysis: false\nrevertOnDeletion: true\nprogressDeadlineSeconds: 60\n",
        &a,
    ))
    .unwrap();
    let n = notes(&i);
    for want in [
        "spec.skipAnalysis: not simulated: false is the default",
        "spec.revertOnDeletion: not simulated",
        "spec.analysis.mirror: not simulated: false is the default",
        "spec.analysis.canaryReadyThreshold: not simulated: 100 is the default",
        "spec.analysis.alerts: not simulated: notifications",
        "spec.analysis.webhooks[0]: not simulated: a rollout webhook: a call to a service outside the simulation (a load tester, a test suite), read as succeeding at once",
        "spec.analysis.webhooks[1]: not simulated: a confirm-promotion webhook: an approval gate outside the simulation, read as answering yes at once",
        "spec.analysis.metrics[0]: metric request-success-rate: Flagger's built-in request-success-rate",
    ] {
        has(&n, &format!("{AT}: {want}"));
    }
}

/// Flagger's check against `min: 99` passes a success rate of exactly 99% and fails
/// one request fewer.
#[test]
fn a_check_is_judged_at_its_threshold() {
    use sim_core::metrics::{CohortSample, MetricsStore};
    use sim_core::{SimDuration, SimTime};
    let s = flagger(&canary(&format!(
        "interval: 1m\nthreshold: 2\nstepWeight: 10\nmetrics:\n{SUCCESS}"
    )));
    let g = s.gates[0].clone();
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
    assert_eq!(judge(1), Verdict::Pass, "99 of 100 succeed: exactly min 99");
    assert_eq!(judge(2), Verdict::Fail);
}
