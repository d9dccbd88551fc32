//! Argo Rollouts: a Rollout and the AnalysisTemplates that carry the gates.

use super::Options;
use super::k8s::{intstr, pod_template, selector};
use super::promql::{Reader, Selectors, gate_query};
use super::yaml::Y;
use crate::analysis::AnalysisSpec;
use crate::blue_green::BlueGreenSpec;
use crate::canary_argo::{ArgoCanarySpec, ArgoStep};
use crate::canary_routed::CanaryScale;
use crate::gate::GateSpec;
use crate::intstr::IntOrPercent;
use crate::k8s::StrategyType;
use crate::rolling::{FailureAction, RollingSpec};
use sim_core::duration_text::{self, Style};

/// Argo Rollouts' durations, in whole seconds (`600s`).
fn secs(s: f64) -> String {
    duration_text::format(s, Style::WholeSeconds)
}

/// How each template's metrics are run: a counted analysis, or (background analysis of
/// a rolling policy) every interval for as long as the rollout runs.
enum Runs {
    Counted(AnalysisSpec),
    Background { interval_seconds: f64 },
}

fn metric(g: &GateSpec, runs: &Runs, o: &Options, notes: &mut Vec<String>) -> Y {
    let sel = Selectors::by_version(&o.series, o.service.as_str(), "canary", "stable");
    let q = gate_query(&o.series, g, &sel, Reader::Argo);
    notes.extend(q.notes.iter().cloned());
    let mut m = vec![("name", Y::str(&g.name))];
    match runs {
        Runs::Counted(a) => {
            m.push(("interval", Y::str(secs(a.interval_seconds))));
            // A count of 0 (background) is no count: Argo measures until the rollout ends.
            if a.count > 0 {
                m.push(("count", Y::int(a.count)));
            }
            if a.initial_delay_seconds > 0.0 {
                m.push(("initialDelay", Y::str(secs(a.initial_delay_seconds))));
            }
            m.push(("failureLimit", Y::int(a.failure_limit)));
            m.push(("inconclusiveLimit", Y::int(a.inconclusive_limit)));
            m.push(("consecutiveErrorLimit", Y::int(a.consecutive_error_limit)));
        }
        Runs::Background { interval_seconds } => {
            m.push(("interval", Y::str(secs(*interval_seconds))));
            m.push(("failureLimit", Y::int(0)));
        }
    }
    m.push(("successCondition", Y::str(q.condition())));
    m.push((
        "provider",
        Y::map(vec![(
            "prometheus",
            Y::map(vec![
                ("address", Y::str(o.prometheus_address.as_str())),
                ("query", Y::str(q.query)),
            ]),
        )]),
    ));
    Y::map(m)
}

fn template(
    name: &str,
    gates: &[GateSpec],
    runs: &Runs,
    o: &Options,
    notes: &mut Vec<String>,
) -> Y {
    Y::map(vec![
        ("apiVersion", Y::str("argoproj.io/v1alpha1")),
        ("kind", Y::str("AnalysisTemplate")),
        ("metadata", Y::map(vec![("name", Y::str(name))])),
        (
            "spec",
            Y::map(vec![(
                "metrics",
                Y::Seq(gates.iter().map(|g| metric(g, runs, o, notes)).collect()),
            )]),
        ),
    ])
}

/// One template per distinct analysis, named `SERVICE-analysis-K` in order of use.
struct Templates {
    specs: Vec<AnalysisSpec>,
}

impl Templates {
    fn name_for(&mut self, service: &str, a: &AnalysisSpec) -> String {
        let k = match self.specs.iter().position(|x| x == a) {
            Some(k) => k,
            None => {
                self.specs.push(*a);
                self.specs.len() - 1
            }
        };
        format!("{service}-analysis-{}", k + 1)
    }

    fn docs(&self, gates: &[GateSpec], o: &Options, notes: &mut Vec<String>) -> Vec<Y> {
        let mut docs = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (k, a) in self.specs.iter().enumerate() {
            let mut n = Vec::new();
            docs.push(template(
                &format!("{}-analysis-{}", o.service, k + 1),
                gates,
                &Runs::Counted(*a),
                o,
                &mut n,
            ));
            for x in n {
                if seen.insert(x.clone()) {
                    notes.push(x);
                }
            }
        }
        docs
    }
}

fn analysis_ref(name: &str) -> Y {
    Y::map(vec![(
        "templates",
        Y::Seq(vec![Y::map(vec![("templateName", Y::str(name))])]),
    )])
}

fn rollout(o: &Options, min_ready: f64, extra: Vec<(&str, Y)>, strategy: Y) -> Y {
    let mut spec = vec![
        ("minReadySeconds", Y::int(min_ready.round() as i64)),
        ("selector", selector(o.service.as_str())),
        ("template", pod_template(o.service.as_str(), vec![])),
    ];
    spec.extend(extra);
    spec.push(("strategy", strategy));
    Y::map(vec![
        ("apiVersion", Y::str("argoproj.io/v1alpha1")),
        ("kind", Y::str("Rollout")),
        (
            "metadata",
            Y::map(vec![("name", Y::str(o.service.as_str()))]),
        ),
        ("spec", Y::map(spec)),
    ])
}

/// `progressDeadlineSeconds`, in whole seconds, and `progressDeadlineAbort` when set
/// (false is Argo's default); rounding, and a deadline Argo's validation refuses, noted.
fn deadline(
    seconds: f64,
    abort: bool,
    min_ready: f64,
    notes: &mut Vec<String>,
) -> Vec<(&'static str, Y)> {
    if seconds.fract() != 0.0 {
        notes.push(format!(
            "progressDeadlineSeconds is whole seconds: {seconds} is written as {}",
            seconds.round()
        ));
    }
    if seconds.round() <= min_ready.round() {
        notes.push(format!(
            "Argo refuses a progressDeadlineSeconds ({}) not greater than minReadySeconds ({}): the Rollout is invalid until one changes",
            seconds.round(),
            min_ready.round()
        ));
    }
    let mut fields = vec![("progressDeadlineSeconds", Y::int(seconds.round() as i64))];
    if abort {
        fields.push(("progressDeadlineAbort", Y::Bool(true)));
    }
    fields
}

fn version_metadata(value: &str) -> Y {
    Y::map(vec![("labels", Y::map(vec![("version", Y::str(value))]))])
}

pub fn canary(s: &ArgoCanarySpec, o: &Options) -> (Vec<Y>, Vec<String>) {
    let mut notes = Vec::new();
    let mut templates = Templates { specs: Vec::new() };
    let steps: Vec<Y> = s
        .steps
        .iter()
        .map(|st| match st {
            ArgoStep::SetWeight(w) => Y::map(vec![("setWeight", Y::int(*w))]),
            ArgoStep::Pause(None) => Y::map(vec![("pause", Y::Map(vec![]))]),
            ArgoStep::Pause(Some(d)) => Y::map(vec![(
                "pause",
                Y::map(vec![("duration", Y::str(secs(*d)))]),
            )]),
            ArgoStep::Analysis(a) => Y::map(vec![(
                "analysis",
                analysis_ref(&templates.name_for(o.service.as_str(), a)),
            )]),
            ArgoStep::SetCanaryScale(c) => Y::map(vec![(
                "setCanaryScale",
                Y::map(vec![match c {
                    CanaryScale::Replicas(n) => ("replicas", Y::int(*n)),
                    CanaryScale::Weight(w) => ("weight", Y::int(*w)),
                    CanaryScale::MatchTrafficWeight => ("matchTrafficWeight", Y::Bool(true)),
                }]),
            )]),
        })
        .collect();
    let mut c = vec![
        ("maxSurge", intstr(s.fenceposts.max_surge)),
        ("maxUnavailable", intstr(s.fenceposts.max_unavailable)),
        ("canaryMetadata", version_metadata("canary")),
        ("stableMetadata", version_metadata("stable")),
    ];
    if s.traffic_routing {
        c.push(("canaryService", Y::str(format!("{}-canary", o.service))));
        c.push(("stableService", Y::str(format!("{}-stable", o.service))));
        c.push((
            "trafficRouting",
            Y::map(vec![(
                "nginx",
                Y::map(vec![("stableIngress", Y::str(o.service.as_str()))]),
            )]),
        ));
        if s.dynamic_stable_scale {
            // Argo refuses scaleDownDelaySeconds beside dynamicStableScale.
            c.push(("dynamicStableScale", Y::Bool(true)));
        } else {
            c.push((
                "scaleDownDelaySeconds",
                Y::int(s.scale_down_delay_seconds.round() as i64),
            ));
        }
        if let Some(d) = s.abort_scale_down_delay_seconds {
            c.push(("abortScaleDownDelaySeconds", Y::int(d.round() as i64)));
        }
        if let Some(n) = s.min_pods_per_replica_set {
            c.push(("minPodsPerReplicaSet", Y::int(n)));
        }
        notes.push("traffic routing is written for ingress-nginx (stableIngress = the service name); put your own router there".into());
    }
    let mut background = None;
    let mut extra_notes = Vec::new();
    if let Some(b) = &s.analysis {
        let name = format!("{}-background", o.service);
        let mut a = vec![(
            "templates",
            Y::Seq(vec![Y::map(vec![("templateName", Y::str(&name))])]),
        )];
        if b.starting_step > 0 {
            a.push(("startingStep", Y::int(b.starting_step)));
        }
        c.push(("analysis", Y::map(a)));
        let mut n = Vec::new();
        background = Some(template(&name, &s.gates, &Runs::Counted(b.run), o, &mut n));
        extra_notes = n;
    }
    c.push(("steps", Y::Seq(steps)));
    let strategy = Y::map(vec![("canary", Y::map(c))]);
    let extra = deadline(
        s.progress_deadline_seconds,
        s.progress_deadline_abort,
        s.min_ready_seconds,
        &mut notes,
    );
    let mut docs = vec![rollout(o, s.min_ready_seconds, extra, strategy)];
    docs.extend(templates.docs(&s.gates, o, &mut notes));
    docs.extend(background);
    // The background template reads the same gates: each note once.
    for n in extra_notes {
        if !notes.contains(&n) {
            notes.push(n);
        }
    }
    (docs, notes)
}

pub fn from_rolling(s: &RollingSpec, o: &Options) -> (Vec<Y>, Vec<String>) {
    let mut notes = vec![
        "a rolling policy becomes an Argo canary without steps, which Argo runs as a rolling update with the same maxSurge and maxUnavailable".to_string(),
    ];
    if s.bake_seconds > 0.0 {
        notes.push(format!(
            "Argo has no bake between the steps of a rolling update: bake_seconds {} is dropped",
            s.bake_seconds
        ));
    }
    if !s.gates.is_empty() && s.on_failure != FailureAction::Abort {
        notes.push(format!(
            "a failing background analysis aborts (traffic and pods back to the stable at once): on_failure = {} and the rollback's own surge/unavailable are not expressible",
            s.on_failure.name()
        ));
    }
    let (surge, unavailable) = match s.strategy {
        StrategyType::RollingUpdate => (s.step.max_surge, s.step.max_unavailable),
        StrategyType::Recreate => {
            notes.push(
                "Argo Rollouts has no Recreate strategy: exported as a canary with maxSurge 0 and maxUnavailable 100%, which scales the stable to zero and then the canary to full size, but does not wait for terminating pods as Recreate does".to_string(),
            );
            (IntOrPercent::Int(0), IntOrPercent::Percent(100.0))
        }
    };
    let mut c = vec![
        ("maxSurge", intstr(surge)),
        ("maxUnavailable", intstr(unavailable)),
    ];
    let mut docs = Vec::new();
    let mut tnotes = Vec::new();
    if !s.gates.is_empty() {
        let name = format!("{}-gates", o.service);
        c.push(("canaryMetadata", version_metadata("canary")));
        c.push(("stableMetadata", version_metadata("stable")));
        c.push(("analysis", analysis_ref(&name)));
        docs.push(template(
            &name,
            &s.gates,
            &Runs::Background {
                interval_seconds: s.gate_interval_seconds,
            },
            o,
            &mut tnotes,
        ));
    }
    // A Deployment's deadline is reported, never acted on: Argo's without abort.
    let extra = deadline(
        s.progress_deadline_seconds,
        false,
        s.min_ready_seconds,
        &mut notes,
    );
    let strategy = Y::map(vec![("canary", Y::map(c))]);
    docs.insert(0, rollout(o, s.min_ready_seconds, extra, strategy));
    notes.extend(tnotes);
    (docs, notes)
}

pub fn blue_green(s: &BlueGreenSpec, o: &Options) -> (Vec<Y>, Vec<String>) {
    let mut notes = Vec::new();
    if s.preview_traffic_share > 0.0 {
        notes.push(format!(
            "preview_traffic_share {} stands for test traffic: send it to service {}-preview yourself",
            s.preview_traffic_share, o.service
        ));
    }
    let mut templates = Templates { specs: Vec::new() };
    let mut b = vec![
        ("activeService", Y::str(format!("{}-active", o.service))),
        ("previewService", Y::str(format!("{}-preview", o.service))),
        ("autoPromotionEnabled", Y::Bool(true)),
    ];
    if s.auto_promotion_seconds > 0.0 {
        b.push((
            "autoPromotionSeconds",
            Y::int(s.auto_promotion_seconds.round() as i64),
        ));
    }
    b.push((
        "scaleDownDelaySeconds",
        Y::int(s.scale_down_delay_seconds.round() as i64),
    ));
    b.push((
        "abortScaleDownDelaySeconds",
        Y::int(s.abort_scale_down_delay_seconds.round() as i64),
    ));
    b.push(("previewMetadata", version_metadata("canary")));
    b.push(("activeMetadata", version_metadata("stable")));
    if let Some(a) = &s.pre_promotion_analysis {
        b.push((
            "prePromotionAnalysis",
            analysis_ref(&templates.name_for(o.service.as_str(), a)),
        ));
    }
    if let Some(a) = &s.post_promotion_analysis {
        b.push((
            "postPromotionAnalysis",
            analysis_ref(&templates.name_for(o.service.as_str(), a)),
        ));
    }
    let strategy = Y::map(vec![("blueGreen", Y::map(b))]);
    let extra = deadline(
        s.progress_deadline_seconds,
        s.progress_deadline_abort,
        s.min_ready_seconds,
        &mut notes,
    );
    let mut docs = vec![rollout(o, s.min_ready_seconds, extra, strategy)];
    docs.extend(templates.docs(&s.gates, o, &mut notes));
    (docs, notes)
}
