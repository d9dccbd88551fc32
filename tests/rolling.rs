//! The `rolling` policy in the simulator against Kubernetes' documented behaviour.

mod common;

use common::{assert_conserved, run};
use reports::Outcome;
use sim_core::{SimDuration, SimTime};

/// Over many seeds, `good-release` under `k8s-default` (25% / 25% of 20: surge 5,
/// unavailable 5) never has more than 25 pods or fewer than 15 available, and succeeds.
#[test]
fn good_release_respects_surge_and_unavailable_bounds() {
    for seed in 0..40 {
        let (rec, m) = run("good-release", "k8s-default", seed, &[]);
        assert!(
            m.instances_max <= 25,
            "seed {seed}: {} pods",
            m.instances_max
        );
        assert!(
            m.available_min >= 15,
            "seed {seed}: {} available",
            m.available_min
        );
        assert_eq!(m.outcome, Outcome::Succeeded, "seed {seed}");
        assert_conserved(&rec);
        // 20 s: two waves of ten pods that start in 10 s each.
        assert_eq!(m.deploy_duration_s, Some(20.0), "seed {seed}");
    }
}

/// One-at-a-time (surge 1, unavailable 0) never drops below full capacity.
#[test]
fn one_at_a_time_keeps_full_capacity() {
    let (_, m) = run("good-release", "one-at-a-time", 1, &[]);
    assert_eq!(m.instances_max, 21);
    assert_eq!(m.available_min, 20);
    assert_eq!(m.outcome, Outcome::Succeeded);
    // 20 sequential steps of 10 s start-up.
    assert_eq!(m.deploy_duration_s, Some(200.0));
}

/// The reference rollout: batches of two, no surge, 10 s start, 30 s bake, so ten
/// batches of 40 s; the last batch is baked too before promotion.
#[test]
fn reference_policy_moves_in_baked_batches_of_two() {
    let (rec, m) = run("good-release", "reference", 4, &[]);
    assert_eq!(m.instances_max, 20);
    assert_eq!(m.available_min, 18);
    assert_eq!(m.deploy_duration_s, Some(400.0));
    let steps: Vec<(f64, String)> = rec
        .log
        .iter()
        .filter(|e| e.kind == sim_core::log::LogKind::Step && e.subject == "baseline")
        .map(|e| (e.at.as_secs_f64(), e.reason.clone()))
        .collect();
    assert_eq!(steps.len(), 10);
    for (k, (t, reason)) in steps.iter().enumerate() {
        assert_eq!(*t, 60.0 + 40.0 * k as f64);
        assert_eq!(
            *reason,
            format!("replicas {} -> {}", 20 - 2 * k, 18 - 2 * k)
        );
    }
}

/// A crash-looping candidate: Kubernetes keeps the surged pods and the scaled-down
/// old pods, reports the progress deadline, and does not roll back.
#[test]
fn crashloop_stalls_and_reports_the_deadline() {
    let (rec, m) = run("crashloop", "k8s-default", 1, &[]);
    assert_eq!(m.outcome, Outcome::Stalled);
    assert_eq!(m.final_phase, "progressing");
    assert!(m.crashes > 10);
    let deadline = rec
        .log
        .iter()
        .find(|e| e.subject == "ProgressDeadlineExceeded")
        .expect("deadline reported");
    // No new pod ever becomes available: progress stopped at the first scale-up and
    // the scale-down after it (60 s); `DeploymentTimedOut` holds strictly after the
    // 600 s deadline, so the report is at the first instant past 660 s.
    assert_eq!(deadline.at, SimTime::from_secs(660) + SimDuration(1));
    // 25% surge and 25% unavailable: 5 old pods gone, 5 crash-looping new ones.
    assert_eq!(m.available_min, 15);
}

/// `memory-leak` under `gated-10pct`: the leak OOM-kills the first candidates 200 s
/// after they start; a gate sees it and the rollout is rolled back before the fleet is
/// all candidate.
#[test]
fn memory_leak_is_caught_by_a_gate_and_rolled_back() {
    for seed in 0..5 {
        let (rec, m) = run("memory-leak", "gated-10pct", seed, &[]);
        assert_eq!(m.outcome, Outcome::Caught, "seed {seed}");
        let detector = m.detector.clone().unwrap();
        assert!(detector.starts_with("gate:"), "seed {seed}: {detector}");
        assert_eq!(m.final_phase, "rolled_back");
        let (start, active) = (m.t_change_start_s.unwrap(), m.t_fault_active_s.unwrap());
        assert_eq!(start, 60.0);
        assert_eq!(active, 60.0);
        let impact = m.t_impact_start_s.unwrap();
        assert!(
            (260.0..261.0).contains(&impact),
            "first OOM at 260 s: {impact}"
        );
        let detect = m.t_detect_s.unwrap();
        // Scraped within 15 s, visible after 30 s, evaluated within 15 s.
        assert!(
            detect > impact && detect <= impact + 60.0,
            "seed {seed}: {detect}"
        );
        assert!(m.t_change_end_s.unwrap() > detect);
        assert!(m.t_recover_s.unwrap() >= m.t_change_end_s.unwrap());
        assert!(m.ttd_s.unwrap() > 0.0);
        assert!(m.tt_recover_s.unwrap() > m.ttd_s.unwrap());
        assert!(m.t_full_fleet_s.is_none());
        assert_conserved(&rec);
        // The rollback ends on the baseline only.
        let last = rec.timeline.last().unwrap();
        assert_eq!(
            last.pods[1].ready + last.pods[1].starting + last.pods[1].crashed,
            0
        );
    }
}

/// `memory-leak` under `k8s-default`: the fleet is all candidate within 20 s, long
/// before the first OOM. The pager may catch it later, or nothing does (censored).
#[test]
fn memory_leak_escapes_k8s_default() {
    for seed in 0..5 {
        let (_, m) = run("memory-leak", "k8s-default", seed, &[]);
        assert_eq!(m.outcome, Outcome::Escaped, "seed {seed}");
        assert_eq!(m.t_full_fleet_s, Some(80.0));
        match m.detector.as_deref() {
            Some("slo_pager") => {
                assert!(m.t_detect_s.unwrap() > m.t_impact_start_s.unwrap());
                assert!(m.ttd_s.unwrap() > 0.0);
            }
            None => {
                assert!(m.ttd_s.is_none() && m.t_detect_s.is_none());
            }
            Some(other) => panic!("unexpected detector {other}"),
        }
    }
}

/// Pause stops where it is; abort scales the candidate away at once.
#[test]
fn pause_and_abort_do_what_they_say() {
    let (_, paused) = run(
        "error-regression",
        "gated-10pct",
        1,
        &["policy.on_failure=pause"],
    );
    assert_eq!(paused.outcome, Outcome::Caught);
    assert_eq!(paused.final_phase, "paused");
    assert!(paused.t_change_end_s.is_none());
    let (rec, aborted) = run(
        "error-regression",
        "gated-10pct",
        1,
        &["policy.on_failure=abort"],
    );
    assert_eq!(aborted.outcome, Outcome::Caught);
    assert_eq!(aborted.final_phase, "rolled_back");
    let steps: Vec<&str> = rec
        .log
        .iter()
        .filter(|e| e.kind == sim_core::log::LogKind::Step && e.subject == "candidate")
        .map(|e| e.reason.as_str())
        .collect();
    assert_eq!(steps.last(), Some(&"replicas 2 -> 0"), "{steps:?}");
}

/// Conservation holds for every built-in scenario under every built-in policy.
#[test]
fn requests_are_conserved_everywhere() {
    // Five minutes each: the release starts at 60 s, so every rollout, crash and fault
    // window of the built-ins is under way (the property tests cover longer runs).
    for (s, _) in scenarios::BUILTIN {
        for (p, _) in policies::BUILTIN {
            let (rec, m) = run(s, p, 3, &["scenario.run.horizon_seconds=300"]);
            assert_conserved(&rec);
            assert!(m.limit_hit.is_none(), "{s} x {p}");
        }
    }
}

/// A drain timeout of zero cuts whatever a deleted pod still holds: errors with no
/// fault attached (the rollout's own cost), and the books still balance.
#[test]
fn drain_timeout_cuts_in_flight_requests() {
    let (rec, m) = run(
        "good-release",
        "reference",
        2,
        &["scenario.fleet.drain_timeout_seconds=0"],
    );
    assert!(m.bad_events.error > 0, "requests were cut");
    assert_eq!(m.fault_bad_events, 0);
    assert_conserved(&rec);
    let (_, patient) = run("good-release", "reference", 2, &[]);
    assert_eq!(
        patient.bad_events.error, 0,
        "a 30 s drain lets every request finish"
    );
}

/// `minReadySeconds` delays availability, and Kubernetes waits for availability before
/// the next step: one-at-a-time takes 20 × (10 s start + 5 s) instead of 20 × 10 s.
#[test]
fn min_ready_seconds_slows_each_step() {
    let (_, m) = run(
        "good-release",
        "one-at-a-time",
        1,
        &["policy.min_ready_seconds=5"],
    );
    assert_eq!(m.deploy_duration_s, Some(300.0));
    assert_eq!(m.available_min, 20);
}

/// Recreate in the engine: every baseline pod is gone, terminating ones included,
/// before the first candidate pod starts, so the fleet is never mixed and never larger
/// than its size, at the cost of a moment with nothing available.
#[test]
fn recreate_never_mixes_versions() {
    let (rec, m) = run(
        "good-release",
        "policies/tests/fixtures/policies/rolling-recreate.toml",
        1,
        &[],
    );
    assert_eq!(m.outcome, Outcome::Succeeded);
    assert_eq!(m.final_phase, "promoted");
    assert!(m.instances_max <= 20, "{}", m.instances_max);
    assert_eq!(m.available_min, 0);
    let steps: Vec<(&str, &str)> = rec
        .log
        .iter()
        .filter(|e| e.subject == "baseline" || e.subject == "candidate")
        .map(|e| (e.subject.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("baseline", "replicas 20 -> 0"),
            ("candidate", "replicas 0 -> 20")
        ]
    );
    assert_conserved(&rec);
}
