//! The HorizontalPodAutoscaler in a whole run: when it scales, to what, and from which
//! window of metrics.

use sim_core::hpa::{HpaSpec, Target};
use sim_core::log::LogKind;
use sim_core::traffic::RateProfile;
use sim_core::world::{AutoscalerConfig, AutoscalerMetric, WorldConfig};
use sim_core::{Actions, Controller, Observation, RunRecord, SimDuration, SimTime, Version};

/// The Deployment controller at rest: its one ReplicaSet follows `spec.replicas`.
struct Follow;

impl Controller for Follow {
    fn sync(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        if obs.cohort(Version::Baseline).spec != obs.desired {
            act.set_replicas(Version::Baseline, obs.desired);
        }
    }
}

/// 10 pods of 20 ms exponential work at 250 req/s (each pod 50 % busy, 25 req/s),
/// rising to 400 req/s (80 %, 40 req/s) at 300 s, under an HPA aiming at 50 % or
/// 25 req/s on `metric`.
fn world(metric: AutoscalerMetric, target: Target) -> WorldConfig {
    let mut w = sim_core::testing::world(3, 600);
    w.fleet.replicas = 10;
    w.traffic = RateProfile::Step {
        before: 250.0,
        after: 400.0,
        at: SimTime::from_secs(300),
    };
    w.autoscaler = Some(AutoscalerConfig {
        spec: HpaSpec::new(2, 40, target),
        metric,
        sync_period: SimDuration::from_secs(15),
        metrics_resolution: SimDuration::from_secs(15),
        cpu_initialization_period: SimDuration::from_secs(300),
        initial_readiness_delay: SimDuration::from_secs(30),
    });
    w
}

fn scalings(r: &RunRecord) -> Vec<(f64, String)> {
    r.log
        .iter()
        .filter(|l| l.kind == LogKind::Autoscale)
        .map(|l| (l.at.as_secs_f64(), l.reason.clone()))
        .collect()
}

/// Within tolerance before the step; then the first sync that reads a window wholly
/// after it (the sample taken at 315 s, read at 330 s: at 315 s the sync goes before
/// the sample and reads the window ending at 300 s) scales to ceil(10 × 1.6) = 16, or
/// 17 when the window's noise puts the ratio past 1.6; the new pods, unready while
/// they start, hold it there. `seen` reads the fleet's metric from the log line, which
/// must be the step's 80 % or 40 req/s within the window's noise.
fn check_step(metric: AutoscalerMetric, target: Target, seen: impl Fn(&str) -> f64, theory: f64) {
    let r = sim_core::run(&world(metric, target), &mut Follow);
    let s = scalings(&r);
    assert!(!s.is_empty(), "never scaled");
    assert_eq!(s[0].0, 330.0, "{s:?}");
    let to: u32 = s[0].1["replicas 10 -> ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((16..=17).contains(&to), "{s:?}");
    let m = seen(&s[0].1);
    assert!(
        (m / theory - 1.0).abs() < 0.04,
        "metric {m} against {theory}: {s:?}"
    );
    // The proposal is ceil(10 × metric / target), up to the log's rounding.
    let proposed = 10.0 * m / (theory / 1.6);
    assert!((f64::from(to) - proposed.ceil()).abs() <= 1.0, "{s:?}");
    assert_eq!(s.len(), 1, "{s:?}");
    let last = r.timeline.last().unwrap();
    assert_eq!(last.desired, to);
    assert_eq!(last.pods[0].ready, to);
}

/// The number after `key` in a log line.
fn number_after(line: &str, key: &str) -> f64 {
    let rest = &line[line.find(key).unwrap() + key.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].parse().unwrap()
}

#[test]
fn utilisation_scales_the_fleet_one_window_after_the_load_rises() {
    check_step(
        AutoscalerMetric::Utilization,
        Target::Utilization {
            percent: 50,
            request_milli: 1000,
        },
        |l| number_after(l, "utilization "),
        80.0,
    );
}

#[test]
fn requests_per_pod_scales_the_fleet_one_window_after_the_load_rises() {
    check_step(
        AutoscalerMetric::RequestsPerPod,
        Target::AverageValue { milli: 25_000 },
        |l| number_after(l, "("),
        40.0,
    );
}

/// The same world without its autoscaler never scales and keeps 10 pods: the HPA's
/// events and samples are its own.
#[test]
fn without_an_autoscaler_the_fleet_keeps_its_size() {
    let mut w = world(
        AutoscalerMetric::Utilization,
        Target::AverageValue { milli: 1 },
    );
    w.autoscaler = None;
    let r = sim_core::run(&w, &mut Follow);
    assert!(scalings(&r).is_empty());
    assert!(r.timeline.iter().all(|t| t.desired == 10));
}
