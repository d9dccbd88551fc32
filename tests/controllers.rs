//! The canary, blue-green and batched policies in the simulator, against the behaviour
//! of the controllers they mirror.

mod common;

use common::{assert_conserved, run};
use reports::Outcome;

/// Argo without a router: weights by replica counts within maxSurge 25% (5 of 20) and
/// maxUnavailable 0, so never more than 25 pods nor fewer than 20 available.
#[test]
fn argo_basic_canary_keeps_its_bounds_and_promotes() {
    for seed in 0..5 {
        let (rec, m) = run("good-release", "argo-canary", seed, &[]);
        assert_eq!(m.outcome, Outcome::Succeeded, "seed {seed}");
        assert!(m.instances_max <= 25, "{}", m.instances_max);
        assert!(m.available_min >= 20, "{}", m.available_min);
        assert_conserved(&rec);
    }
}

/// A failed analysis aborts: the canary is scaled away before it runs the whole fleet.
#[test]
fn argo_failed_analysis_aborts() {
    let (rec, m) = run("error-regression", "argo-canary", 1, &[]);
    assert_eq!(m.outcome, Outcome::Caught);
    assert_eq!(m.detector.as_deref(), Some("gate:error-ratio"));
    assert_eq!(m.final_phase, "rolled_back");
    assert!(m.t_full_fleet_s.is_none());
    let aborted = rec
        .log
        .iter()
        .any(|e| e.reason.contains("analysis Failed on error-ratio: abort"));
    assert!(aborted);
}

/// An indefinite pause waits for a human forever, as Argo does.
#[test]
fn argo_pause_without_duration_waits() {
    let (_, m) = run(
        "good-release",
        "argo-canary",
        1,
        &["policy.steps=[{set_weight = 20}, {pause = {}}]"],
    );
    assert_eq!(m.outcome, Outcome::Stalled);
    assert_eq!(m.final_phase, "paused");
}

/// With a router, the stable stays at full size and the canary gets ceil(20 × w%) pods
/// (so each canary pod carries more traffic than a stable one: at 30%, 180 req/s on 6
/// pods against 420 on 20, which a relative p99 gate may well notice).
#[test]
fn argo_routed_canary_keeps_the_stable_whole() {
    let (rec, m) = run(
        "good-release",
        "argo-canary",
        2,
        &[
            "policy.traffic_routing=true",
            "policy.max_unavailable=\"25%\"",
        ],
    );
    assert!(m.available_min >= 20, "{}", m.available_min);
    let first: Vec<&str> = rec
        .log
        .iter()
        .filter(|e| e.subject == "candidate" || e.subject == "traffic")
        .take(2)
        .map(|e| e.reason.as_str())
        .collect();
    assert_eq!(first, ["replicas 0 -> 2", "candidate weight 10.0%"]);
    assert!(
        rec.log
            .iter()
            .all(|e| !(e.subject == "baseline" && e.at.as_secs_f64() < 100.0))
    );
}

/// Flagger: the canary at full size beside the primary; one tick per minute from the
/// release at 60 s: 10, 20, 30, 40, 50 %, promote, route, finalise: promoted at 540 s.
#[test]
fn flagger_canary_ticks_to_promotion() {
    let (rec, m) = run("good-release", "flagger-canary", 1, &[]);
    assert_eq!(m.outcome, Outcome::Succeeded);
    assert_eq!(m.deploy_duration_s, Some(480.0));
    assert_eq!(m.instances_max, 40);
    let weights: Vec<&str> = rec
        .log
        .iter()
        .filter(|e| e.subject == "traffic")
        .map(|e| e.reason.as_str())
        .collect();
    assert_eq!(
        weights,
        [
            "candidate weight 0.0%",
            "candidate weight 10.0%",
            "candidate weight 20.0%",
            "candidate weight 30.0%",
            "candidate weight 40.0%",
            "candidate weight 50.0%",
            "candidate weight 100.0%"
        ],
    );
}

#[test]
fn flagger_rolls_back_a_bad_canary() {
    let (_, m) = run("error-regression", "flagger-canary", 1, &[]);
    assert_eq!(m.outcome, Outcome::Caught);
    assert_eq!(m.final_phase, "rolled_back");
    assert!(m.detector.unwrap().starts_with("gate:"));
}

/// Blue-green: a full preview beside the active stack, then a switch.
#[test]
fn blue_green_runs_two_full_stacks_then_switches() {
    let (rec, m) = run("good-release", "blue-green", 1, &[]);
    assert_eq!(m.outcome, Outcome::Succeeded);
    assert_eq!(m.instances_max, 40);
    assert_eq!(m.available_min, 20);
    assert_conserved(&rec);
    // The old stack is scaled down 120 s after the switch.
    let promoted = rec.log.iter().find(|e| e.subject == "promoted").unwrap().at;
    let down = rec
        .log
        .iter()
        .find(|e| e.subject == "baseline" && e.reason == "replicas 20 -> 0")
        .unwrap()
        .at;
    assert_eq!((down - promoted).as_secs_f64(), 120.0);
    // A bad preview is caught before the switch.
    let (_, bad) = run("error-regression", "blue-green", 1, &[]);
    assert_eq!(bad.outcome, Outcome::Caught);
    assert!(bad.t_full_fleet_s.is_none());
}

/// CodeDeploy in place: no surge, and never below the minimum healthy hosts.
#[test]
fn codedeploy_keeps_the_minimum_healthy() {
    let (_, half) = run("good-release", "codedeploy-half", 1, &[]);
    assert_eq!(half.outcome, Outcome::Succeeded);
    assert_eq!(half.instances_max, 20);
    assert_eq!(half.available_min, 10);
    let (_, one) = run("good-release", "codedeploy-one-at-a-time", 1, &[]);
    assert_eq!(one.available_min, 19);
    assert_eq!(
        one.deploy_duration_s,
        Some(200.0),
        "20 batches of one 10 s start"
    );
    // An alarm stops the deployment and the old revision is deployed again.
    let (_, bad) = run("error-regression", "codedeploy-half", 1, &[]);
    assert_eq!(bad.outcome, Outcome::Caught);
    assert_eq!(bad.final_phase, "rolled_back");
    let (_, stopped) = run(
        "error-regression",
        "codedeploy-half",
        1,
        &["policy.auto_rollback=false"],
    );
    assert_eq!(stopped.final_phase, "paused");
}

/// A routed canary with dynamicStableScale, setCanaryScale steps, a minimum per
/// ReplicaSet and a background analysis promotes a good release, and since the stable
/// shrinks behind the weight the fleet never holds both versions at full size (a routed
/// canary without it reaches 40 pods of 20 at promotion).
#[test]
fn argo_dynamic_stable_scale_keeps_the_fleet_small() {
    let (rec, m) = run(
        "good-release",
        "policies/tests/fixtures/policies/argo-routed-dynamic.toml",
        1,
        &[],
    );
    assert_eq!(m.outcome, Outcome::Succeeded, "{}", m.final_phase);
    assert_eq!(m.final_phase, "promoted");
    assert!(
        m.instances_max > 20 && m.instances_max < 40,
        "{}",
        m.instances_max
    );
    let measured = rec
        .log
        .iter()
        .filter(|e| e.subject == "error-ratio")
        .count();
    assert!(
        measured >= 3,
        "background and step analyses measured {measured} times"
    );
    assert_conserved(&rec);
}
