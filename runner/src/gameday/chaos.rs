//! A scenario's faults as Chaos Mesh experiments, or, where no chaos tool injects them,
//! as manual steps: nothing is dropped silently.
//!
//! | fault | Chaos Mesh |
//! |---|---|
//! | memory leak | StressChaos (memory stressor) |
//! | crash on start, crash after readiness, zone loss | PodChaos (`pod-failure`, `container-kill`) |
//! | instance kill | PodChaos (`pod-kill`) |
//! | latency | NetworkChaos (`delay`) |
//! | dependency outage or slowdown | NetworkChaos (`loss`, `delay`) towards the dependency |
//! | errors | HTTPChaos (`replace` the response code) |
//!
//! Schema mismatches and migrations, session state and formats, KPI bugs, load-balancer
//! imbalance, traffic spikes and metrics-pipeline faults become manual steps.
//! Where Chaos Mesh can only approximate the model (a leak allocated at once, a
//! per-request error rate realised as a share of pods), the manifest says so in a
//! comment.

use policies::export::yaml::{self, Y};
use policies::k8s_names::{DnsLabel, Port, ServiceName};
use scenarios::Scenario;
use sim_core::duration_text::{self, Style};
use sim_core::fault::{Effect, FaultDef, FaultKind, Target, WorldFault};
use sim_core::{SimTime, Version};

/// Where the experiments point, validated by their types (`policies::k8s_names`): the
/// same service name `export` takes, a namespace as Kubernetes names them, a real port.
#[derive(Clone, Debug)]
pub struct ChaosOptions {
    pub service: ServiceName,
    pub namespace: DnsLabel,
    /// The service's HTTP port, for HTTPChaos.
    pub port: Port,
}

/// One fault, as an experiment or as a manual step.
#[derive(Clone, Debug)]
pub struct ChaosItem {
    pub fault: String,
    /// File name (under `chaos/`) and YAML text, when Chaos Mesh can inject it.
    pub manifest: Option<(String, String)>,
    /// What the operator does by hand, when it cannot (or as a complement).
    pub manual: Option<String>,
    /// When to start it, relative to the release, and for how long.
    pub when: String,
}

/// A fault's name (the scenario's identifier, which may be any text) as a DNS-1123
/// label: lowercase letters, digits and single dashes. The service part of an
/// experiment's name is validated, never rewritten; only the fault part is derived.
fn dns_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let cut: String = out.trim_matches('-').chars().take(63).collect();
    // Cutting at 63 may leave a dash at the end, which a label may not have.
    cut.trim_end_matches('-').to_string()
}

/// A Chaos Mesh duration (`45s`, `5m`): the workspace's one formatter, in the Go style
/// without hours, as the runbooks and experiments have always been written.
fn secs_text(s: f64) -> String {
    duration_text::format(s, Style::Go { hours: false })
}

/// Which pods a fault targets: the service's, of the versions it touches.
fn selector(o: &ChaosOptions, target: &Target) -> Y {
    let mut labels = vec![("app", Y::str(o.service.as_str()))];
    match (
        target.includes(Version::Baseline),
        target.includes(Version::Candidate),
    ) {
        (false, true) => labels.push(("version", Y::str("canary"))),
        (true, false) => labels.push(("version", Y::str("stable"))),
        _ => {}
    }
    Y::map(vec![
        ("namespaces", Y::Seq(vec![Y::str(o.namespace.as_str())])),
        ("labelSelectors", Y::map(labels)),
    ])
}

/// `mode`/`value` for a share of the targeted pods.
fn mode(fraction: f64) -> Vec<(&'static str, Y)> {
    if fraction >= 1.0 {
        vec![("mode", Y::str("all"))]
    } else {
        let pct = ((fraction * 100.0).round() as u32).max(1);
        vec![
            ("mode", Y::str("fixed-percent")),
            ("value", Y::str(pct.to_string())),
        ]
    }
}

fn doc(kind: &str, name: &str, o: &ChaosOptions, spec: Vec<(&str, Y)>, notes: &[String]) -> String {
    let d = Y::map(vec![
        ("apiVersion", Y::str("chaos-mesh.org/v1alpha1")),
        ("kind", Y::str(kind)),
        (
            "metadata",
            Y::map(vec![
                ("name", Y::str(name)),
                ("namespace", Y::str(o.namespace.as_str())),
            ]),
        ),
        ("spec", Y::map(spec)),
    ]);
    let mut text = String::new();
    for n in notes {
        text.push_str(&yaml::comment(n));
    }
    text.push_str(&yaml::to_string(&d));
    text
}

/// The window as the runbook states it, relative to the release.
fn when(f: &FaultDef, release: f64) -> (String, Option<f64>) {
    let start = f.window.start.as_secs_f64() - release;
    let length = (f.window.end != SimTime::MAX)
        .then(|| f.window.end.as_secs_f64() - f.window.start.as_secs_f64());
    let candidate_only =
        f.target.includes(Version::Candidate) && !f.target.includes(Version::Baseline);
    let at = if f.window.start == SimTime::ZERO && candidate_only {
        // Live on the candidate's pods from their start: with the release.
        "with the release".to_string()
    } else if f.window.start == SimTime::ZERO {
        format!("before the release (T-{})", secs_text(release))
    } else if start >= 0.0 {
        format!("T+{}", secs_text(start))
    } else {
        format!("T-{}", secs_text(-start))
    };
    let mut text = match length {
        Some(l) => format!("{at}, for {}", secs_text(l)),
        None => format!("{at}, until the end"),
    };
    if let Some((on, off)) = f.window.period {
        text.push_str(&format!(
            ", {} on / {} off",
            secs_text(on.as_secs_f64()),
            secs_text(off.as_secs_f64())
        ));
    }
    (text, length)
}

/// Every fault of the scenario, in fault-table order.
pub fn items(s: &Scenario, o: &ChaosOptions) -> Vec<ChaosItem> {
    let release = s.release.start_seconds;
    let memory_headroom = s
        .candidate
        .memory
        .limit_mb
        .map(|l| l - s.candidate.memory.base_mb);
    let mean_service_ms = match s.service {
        scenarios::Service::Exponential { mean_ms }
        | scenarios::Service::Lognormal { mean_ms, .. }
        | scenarios::Service::Constant { mean_ms } => mean_ms,
    };
    s.faults()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = dns_name(&format!("{}-{}", o.service, f.name));
            debug_assert!(
                policies::k8s_names::DnsLabel::new(&name).is_ok(),
                "{name}"
            );
            let file = format!("{:02}-{}.yaml", i + 1, dns_name(&f.name));
            let (when_text, length) = when(f, release);
            let duration = secs_text(length.unwrap_or(600.0));
            let mut notes: Vec<String> = vec![format!(
                "rollcage gameday: fault `{}` of scenario `{}`; apply {when_text}.",
                f.name, s.name
            )];
            if length.is_none() {
                notes.push(format!("The fault lasts to the end of the run; this experiment stops after {duration}: delete it or raise `duration` to continue."));
            }
            if let Some((on, off)) = f.window.period {
                notes.push(format!(
                    "Intermittent: apply it for {} and delete it for {}, repeating (or wrap it in a Chaos Mesh Schedule).",
                    secs_text(on.as_secs_f64()),
                    secs_text(off.as_secs_f64())
                ));
            }
            let sel = || selector(o, &f.target);
            let with_mode = |mut spec: Vec<(&'static str, Y)>| {
                let mut m = mode(f.target.fraction);
                m.append(&mut spec);
                m.push(("selector", sel()));
                m.push(("duration", Y::str(&duration)));
                m
            };
            let manifest = |kind: &str, spec: Vec<(&str, Y)>, notes: &[String]| {
                Some((file.clone(), doc(kind, &name, o, spec, notes)))
            };
            let manual = |text: String| ChaosItem {
                fault: f.name.clone(),
                manifest: None,
                manual: Some(text),
                when: when_text.clone(),
            };
            let item = |m: Option<(String, String)>| ChaosItem {
                fault: f.name.clone(),
                manifest: m,
                manual: None,
                when: when_text.clone(),
            };
            match &f.kind {
                FaultKind::Instance(Effect::MemoryLeak { mb_per_s, kb_per_request, .. }) => {
                    let size = memory_headroom.unwrap_or(800.0).round() as u64;
                    let mut n = notes.clone();
                    n.push(format!(
                        "Approximation: the model leaks {mb_per_s} MB/s and {kb_per_request} KB per request up to the memory limit; Chaos Mesh allocates {size} MB at once. Apply it when the leaked process would near its limit, or step `size` up over time."
                    ));
                    item(manifest(
                        "StressChaos",
                        with_mode(vec![(
                            "stressors",
                            Y::map(vec![(
                                "memory",
                                Y::map(vec![("workers", Y::int(1)), ("size", Y::str(format!("{size}MB")))]),
                            )]),
                        )]),
                        &n,
                    ))
                }
                FaultKind::Instance(Effect::CrashOnStart { probability }) => {
                    let mut n = notes.clone();
                    n.push(format!(
                        "The model crashes {:.0}% of process starts; pod-failure keeps the selected pods unavailable for the duration, as a crash loop does.",
                        probability * 100.0
                    ));
                    item(manifest("PodChaos", with_mode(vec![("action", Y::str("pod-failure"))]), &n))
                }
                FaultKind::Instance(Effect::CrashAfterReady { after }) => {
                    let mut n = notes.clone();
                    n.push(format!(
                        "The model crashes each process {} after readiness: apply this once new pods have been ready that long, and again after each restart.",
                        secs_text(after.as_secs_f64())
                    ));
                    let mut spec = with_mode(vec![("action", Y::str("container-kill"))]);
                    spec.insert(spec.len() - 2, ("containerNames", Y::Seq(vec![Y::str(o.service.as_str())])));
                    item(manifest("PodChaos", spec, &n))
                }
                FaultKind::World(WorldFault::InstanceKill { rate_per_hour }) => {
                    let mut n = notes.clone();
                    n.push(format!(
                        "The model kills each pod {rate_per_hour} times an hour: with {} pods, re-apply every {} (or wrap it in a Chaos Mesh Schedule).",
                        s.fleet.replicas,
                        secs_text(3600.0 / (rate_per_hour * s.fleet.replicas as f64).max(1e-9))
                    ));
                    let spec = vec![
                        ("action", Y::str("pod-kill")),
                        ("mode", Y::str("one")),
                        ("selector", selector(o, &Target::both())),
                    ];
                    item(manifest("PodChaos", spec, &n))
                }
                FaultKind::World(WorldFault::ZoneLoss { zones, zone, reschedule }) => {
                    let mut n = notes.clone();
                    n.push(format!(
                        "Zone {zone} of {zones}: replace the zone label's value with the real zone; the model brings lost pods back after {} (rescheduling).",
                        secs_text(reschedule.as_secs_f64())
                    ));
                    let lost = secs_text(reschedule.as_secs_f64().min(length.unwrap_or(f64::INFINITY)));
                    let mut sel = vec![
                        ("namespaces", Y::Seq(vec![Y::str(o.namespace.as_str())])),
                        ("labelSelectors", Y::map(vec![("app", Y::str(o.service.as_str()))])),
                    ];
                    sel.push((
                        "nodeSelectors",
                        Y::map(vec![("topology.kubernetes.io/zone", Y::str(format!("zone-{zone}")))]),
                    ));
                    let spec = vec![
                        ("action", Y::str("pod-failure")),
                        ("mode", Y::str("all")),
                        ("selector", Y::map(sel)),
                        ("duration", Y::str(lost)),
                    ];
                    item(manifest("PodChaos", spec, &n))
                }
                FaultKind::Instance(Effect::Latency { multiplier, shift, share }) => {
                    let added_ms = (multiplier - 1.0).max(0.0) * mean_service_ms + shift.as_secs_f64() * 1000.0;
                    let mut n = notes.clone();
                    n.push(format!(
                        "Approximation: the model multiplies service time by {multiplier} and adds {} ms to {:.0}% of requests; a network delay of {added_ms:.0} ms per packet stands for it (it holds no worker, so queueing effects are weaker).",
                        shift.as_secs_f64() * 1000.0,
                        share * 100.0
                    ));
                    let spec = with_mode(vec![
                        ("action", Y::str("delay")),
                        ("delay", Y::map(vec![("latency", Y::str(format!("{}ms", added_ms.round().max(1.0) as u64)))])),
                    ]);
                    item(manifest("NetworkChaos", spec, &n))
                }
                FaultKind::Instance(Effect::Dependency { call_share, error_probability, latency }) => {
                    let mut n = notes.clone();
                    n.push("Replace `dependency.example.internal` with the dependency's host. Packet loss stands for failed calls; clients' retries then follow from the service's own retry policy.".into());
                    let mut spec = Vec::new();
                    let both = *error_probability > 0.0 && latency.0 > 0;
                    if both {
                        // Loss and delay together need the netem action.
                        spec.push(("action", Y::str("netem")));
                    } else if *error_probability > 0.0 {
                        spec.push(("action", Y::str("loss")));
                    }
                    if *error_probability > 0.0 {
                        spec.push((
                            "loss",
                            Y::map(vec![("loss", Y::str(format!("{:.0}", (error_probability * call_share * 100.0).round().max(1.0))))]),
                        ));
                    } else {
                        spec.push(("action", Y::str("delay")));
                    }
                    if latency.0 > 0 {
                        spec.push((
                            "delay",
                            Y::map(vec![("latency", Y::str(format!("{}ms", (latency.as_secs_f64() * 1000.0).round() as u64)))]),
                        ));
                    }
                    spec.push(("direction", Y::str("to")));
                    spec.push(("externalTargets", Y::Seq(vec![Y::str("dependency.example.internal")])));
                    item(manifest("NetworkChaos", with_mode(spec), &n))
                }
                FaultKind::Instance(Effect::Errors { probability }) => {
                    let mut n = notes.clone();
                    n.push(format!(
                        "Approximation: the model fails {:.1}% of requests on every affected pod; HTTPChaos fails every response of the pods it selects, so it selects that share of the pods.",
                        probability * 100.0
                    ));
                    let share = (probability * f.target.fraction).clamp(0.0, 1.0);
                    let mut spec = mode(share.max(0.01));
                    spec.push(("target", Y::str("Response")));
                    spec.push(("port", Y::int(o.port.get())));
                    spec.push(("replace", Y::map(vec![("code", Y::int(500))])));
                    spec.push(("selector", sel()));
                    spec.push(("duration", Y::str(&duration)));
                    item(manifest("HTTPChaos", spec, &n))
                }
                FaultKind::Instance(Effect::KpiLoss { share }) => manual(format!(
                    "Release a build with the correctness bug behind a flag for a test tenant: it loses {:.0}% of conversions and nothing else shows it. Watch the conversion rate per version.",
                    share * 100.0
                )),
                FaultKind::Instance(Effect::LbWeight { weight }) => manual(format!(
                    "Skew the load balancer: give {:.0}% of the pods weight {weight} (e.g. in the ingress or service-mesh route).",
                    f.target.fraction * 100.0
                )),
                FaultKind::World(WorldFault::SchemaForward { write_share, corrupt, backfill, .. }) => manual(format!(
                    "Schema mismatch (forward): deploy the candidate against a copy of the database; {:.0}% of its requests write the new record format, which the old version {} reading. Prepare the backfill job (the model runs it {} after the last writer is gone).",
                    write_share * 100.0,
                    if *corrupt { "silently misreads" } else { "fails" },
                    secs_text(backfill.as_secs_f64())
                )),
                FaultKind::World(WorldFault::SchemaBackward { write_share, .. }) => manual(format!(
                    "Schema mismatch (backward): seed the test database with old-format records; the candidate cannot read them until it rewrites them ({:.0}% of its requests write).",
                    write_share * 100.0
                )),
                FaultKind::World(WorldFault::Migration { schema, trigger }) => manual(format!(
                    "Run the schema migration to `{schema}` ({}) by hand, with its rollback ready.",
                    match trigger {
                        sim_core::fault::MigrationTrigger::Initial => "the schema in place before the release".to_string(),
                        sim_core::fault::MigrationTrigger::At(t) => format!("at T{:+}", t.as_secs_f64() - release),
                        sim_core::fault::MigrationTrigger::Release => "just before the release".to_string(),
                        sim_core::fault::MigrationTrigger::Promotion => "when the rollout is promoted".to_string(),
                    }
                )),
                FaultKind::World(WorldFault::SessionState) => manual(
                    "Sessions live in pod memory: log in test users with sticky sessions before the release and count forced re-logins as pods are replaced.".into(),
                ),
                FaultKind::World(WorldFault::SessionFormat) => manual(
                    "Session formats differ between versions: keep test sessions open across the switch and count those that fail when moved to the other version.".into(),
                ),
                FaultKind::World(WorldFault::TrafficSpike { multiplier }) => manual(format!(
                    "Raise traffic {multiplier}x with the load generator ({} req/s base).",
                    s.traffic.profile().steady_rate()
                )),
                FaultKind::World(WorldFault::MetricsGap) => manual(
                    "Stop Prometheus from scraping the service (drop its target) for the window; gates then see stale data, then none.".into(),
                ),
                FaultKind::World(WorldFault::MetricsDelay { extra }) => manual(format!(
                    "Delay the metrics pipeline by {} (e.g. a remote-write queue or a slowed rule evaluation).",
                    secs_text(extra.as_secs_f64())
                )),
                FaultKind::World(WorldFault::LbSlowStart { ramp }) => manual(format!(
                    "Turn on the load balancer's slow start: new pods ramp up over {}.",
                    secs_text(ramp.as_secs_f64())
                )),
                FaultKind::World(WorldFault::LbPinning { share, .. }) => manual(format!(
                    "Pin {:.0}% of the traffic to long-lived client connections (HTTP/2 or gRPC clients that keep their connections).",
                    share * 100.0
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_labels() {
        assert_eq!(
            dns_name("Checkout_Service--memory leak!"),
            "checkout-service-memory-leak"
        );
        // A cut at 63 characters never leaves a trailing dash.
        let cut = dns_name(&format!("{}-{}", "a".repeat(62), "leak"));
        assert_eq!(cut, "a".repeat(62));
        assert_eq!(secs_text(300.0), "5m");
        assert_eq!(secs_text(45.0), "45s");
    }
}
