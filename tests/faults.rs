//! Every fault of the catalog produces the signal a real system would, and carries its
//! id on every bad event it causes.

mod common;

use common::{cohort_between, fault_bad, run, run_text};
use reports::Outcome;
use sim_core::Version;

/// A gated policy with an absolute or relative error gate, for confounder tests.
fn error_gate_policy(comparison: &str) -> String {
    format!(
        r#"schema_version = 1
name = "error-gate-{comparison}"
kind = "rolling"
max_surge = "10%"
max_unavailable = 0
bake_seconds = 120
on_failure = "rollback"

[[gates]]
name = "error-ratio"
metric = "error_ratio"
comparison = "{comparison}"
threshold = {threshold}
slack = 0.005
window_seconds = 60
min_samples = 200
"#,
        threshold = if comparison == "absolute" {
            "0.01"
        } else {
            "1.5"
        }
    )
}

// ---- 1. memory leak ---------------------------------------------------------------

/// A leak slower than the rollout passes every gate: big steps with a 2-minute bake
/// promote long before the first OOM at 860 s.
#[test]
fn slow_leak_passes_the_gates() {
    let (_, m) = run(
        "memory-leak-slow",
        "gated-10pct",
        1,
        &["policy.max_surge=50%"],
    );
    assert_eq!(m.outcome, Outcome::Escaped);
    let promoted = m.t_change_end_s.unwrap();
    assert!(promoted < 860.0, "promoted at {promoted}");
    assert!(m.detector.is_none() || m.t_detect_s.unwrap() > promoted);
    assert!(fault_bad(&m, "memory-leak") > 0, "the OOM kills come later");
}

/// GC pressure slows the candidate before it is OOM-killed: the p99 gate fires on
/// slowness alone, and the slow requests carry the leak's id.
#[test]
fn gc_pressure_shows_before_the_oom() {
    let (rec, m) = run("memory-leak-gc", "gated-10pct", 2, &[]);
    assert_eq!(m.outcome, Outcome::Caught);
    assert_eq!(m.detector.as_deref(), Some("gate:p99-latency"));
    // 800 MB at 3 MB/s: the first OOM would come 266.7 s after the first start (60 s).
    assert!(m.t_detect_s.unwrap() < 326.0);
    assert_eq!(rec.crashes, 0, "caught before any OOM kill");
    let leak = m.faults.iter().find(|f| f.name == "memory-leak").unwrap();
    assert!(leak.bad_events.slow > 0 && leak.bad_events.error == 0);
}

/// A per-request leak on half the candidate pods: only those crash.
#[test]
fn per_request_leak_on_a_fraction_of_pods() {
    let scenario = r#"schema_version = 1
name = "leak-per-request"
[release]
start_seconds = 60
[[faults]]
kind = "memory-leak"
leak_mb_per_second = 0
leak_kb_per_request = 400
fraction = 0.5
"#;
    let (rec, m) = run_text(
        scenario,
        "k8s-default",
        3,
        &["scenario.run.horizon_seconds=400"],
    );
    // 800 MB / 400 KB = 2048 requests, about 68 s at 30 req/s.
    assert!(rec.crashes >= 3, "{} crashes", rec.crashes);
    let crashed: std::collections::BTreeSet<&str> = rec
        .log
        .iter()
        .filter(|e| e.kind == sim_core::log::LogKind::Crash)
        .map(|e| e.subject.as_str())
        .collect();
    assert!(
        crashed.len() < 20,
        "only the affected half crashes: {crashed:?}"
    );
    assert!(fault_bad(&m, "memory-leak") > 0);
}

// ---- 2, 3. schema mismatches and migrations ------------------------------------------

/// Forward mismatch: the errors land on baseline pods, never on the candidate that
/// writes the records, and they go on after the rollback until the records are
/// rewritten or backfilled.
#[test]
fn schema_forward_hurts_the_baseline_and_outlives_the_rollback() {
    let (rec, m) = run("schema-forward", "gated-10pct", 1, &[]);
    assert_eq!(
        m.detector.as_deref(),
        Some("slo_pager"),
        "the candidate's gates see nothing"
    );
    let whole = 0.0..1800.0;
    let base = cohort_between(&rec, Version::Baseline, whole.start, whole.end);
    let cand = cohort_between(&rec, Version::Candidate, whole.start, whole.end);
    assert!(base.errors > 1000, "baseline errors: {}", base.errors);
    assert_eq!(cand.errors, 0, "the writer reads its own format");
    assert_eq!(m.final_phase, "rolled_back");
    let rolled_back = m.t_change_end_s.unwrap();
    let f = m
        .faults
        .iter()
        .find(|f| f.name == "schema-forward")
        .unwrap();
    assert!(
        f.t_last_bad_s.unwrap() > rolled_back + 60.0,
        "errors continue after the rollback"
    );
    match (m.t_mitigate_s, m.t_recover_s) {
        (Some(mitigate), Some(recover)) => assert!(mitigate > recover),
        (None, Some(_)) => {} // not mitigated within the horizon
        other => panic!("unexpected {other:?}"),
    }
}

/// Backward mismatch: the candidate fails on old records, less and less as it
/// rewrites them.
#[test]
fn schema_backward_errors_fade_as_records_are_rewritten() {
    // No pager, so nothing rolls the candidate back and it keeps rewriting records.
    let (rec, m) = run(
        "schema-backward",
        "k8s-default",
        1,
        &["scenario.slo.pager.enabled=false"],
    );
    assert!(fault_bad(&m, "schema-backward") > 0);
    let ratio = |from: f64, to: f64| {
        let c = cohort_between(&rec, Version::Candidate, from, to);
        c.errors as f64 / c.requests as f64
    };
    let early = ratio(90.0, 300.0);
    let late = ratio(1500.0, 1800.0);
    assert!(early > 0.3, "early error ratio {early}");
    assert!(late < early * 0.5, "late {late} vs early {early}");
}

/// Expand/contract: the contract migration at 10 min is harmless after a fast
/// rollout and breaks the remaining baseline pods of a slow one.
#[test]
fn contract_too_early_breaks_the_baseline() {
    let (_, fast) = run("schema-expand-contract", "one-at-a-time", 1, &[]);
    assert_eq!(fault_bad(&fast, "contract"), 0);
    assert_eq!(fast.outcome, Outcome::Succeeded);
    let (rec, slow) = run("schema-expand-contract", "gated-10pct", 1, &[]);
    assert!(fault_bad(&slow, "contract") > 0);
    let before = cohort_between(&rec, Version::Baseline, 0.0, 600.0);
    let after = cohort_between(&rec, Version::Baseline, 615.0, 700.0);
    assert_eq!(before.errors, 0, "expanded schema: both versions fine");
    assert!(
        after.errors as f64 > 0.9 * after.requests as f64,
        "contracted: the baseline fails"
    );
    assert_eq!(fault_bad(&slow, "expand"), 0);
}

/// A candidate that cannot work with the schema it is deployed against fails, and the
/// failures carry the implied release fault.
#[test]
fn candidate_incompatible_with_the_initial_schema() {
    let scenario = r#"schema_version = 1
name = "no-migration"
[release]
start_seconds = 60
[schema]
initial = "v1"
baseline = ["v1"]
candidate = ["v2"]
"#;
    let (_, m) = run_text(
        scenario,
        "gated-10pct",
        1,
        &["scenario.run.horizon_seconds=600"],
    );
    assert!(fault_bad(&m, "schema-incompatible") > 0);
    assert_eq!(m.outcome, Outcome::Caught);
}

// ---- 4. sticky sessions --------------------------------------------------------------

#[test]
fn sticky_sessions_are_lost_with_their_pods_unless_stored_outside() {
    let (_, memory) = run("sticky-sessions", "k8s-default", 1, &[]);
    assert!(
        memory.sessions_lost > 50,
        "{} sessions lost",
        memory.sessions_lost
    );
    assert_eq!(fault_bad(&memory, "session-state"), memory.sessions_lost);
    assert_eq!(
        memory.outcome,
        Outcome::Succeeded,
        "the rollout's own cost, not a bad release"
    );
    let (_, external) = run(
        "sticky-sessions",
        "k8s-default",
        1,
        &["scenario.sessions.store=external"],
    );
    assert_eq!(external.sessions_lost, 0);
}

/// A drain timeout longer than the sessions lets them finish on the draining pod.
#[test]
fn a_long_drain_lets_sessions_finish() {
    let short_sessions = [
        "scenario.sessions.lifetime_seconds=20",
        "scenario.fleet.drain_timeout_seconds=60",
    ];
    let (_, patient) = run("sticky-sessions", "k8s-default", 2, &short_sessions);
    assert_eq!(patient.sessions_lost, 0);
    let (_, hasty) = run(
        "sticky-sessions",
        "k8s-default",
        2,
        &[
            "scenario.sessions.lifetime_seconds=20",
            "scenario.fleet.drain_timeout_seconds=1",
        ],
    );
    assert!(hasty.sessions_lost > 0);
}

/// Incompatible formats: state that survives in an external store still fails when
/// the session moves to the other version.
#[test]
fn incompatible_session_formats_fail_on_the_move() {
    let (_, m) = run(
        "sticky-sessions",
        "k8s-default",
        3,
        &[
            "scenario.sessions.store=external",
            "scenario.sessions.format_compatible=false",
        ],
    );
    assert!(fault_bad(&m, "session-format") > 0);
    assert_eq!(m.sessions_lost, fault_bad(&m, "session-format"));
    assert_eq!(
        m.outcome,
        Outcome::Escaped,
        "the format change is the release's"
    );
}

/// Affinity skews traffic: a new pod gets only new sessions, so the candidate's share
/// of requests lags its share of pods.
#[test]
fn affinity_starves_new_pods() {
    let sets = [
        "scenario.traffic.rate=0",
        "scenario.sessions.store=external",
    ];
    let (rec, _) = run("sticky-sessions", "one-at-a-time", 4, &sets);
    let share = |from: f64, to: f64| {
        let c = cohort_between(&rec, Version::Candidate, from, to).requests as f64;
        let b = cohort_between(&rec, Version::Baseline, from, to).requests as f64;
        c / (c + b)
    };
    // From 70 s to 100 s one candidate pod of 20 is ready: 5% of pods.
    let sticky = share(75.0, 100.0);
    let (rec, _) = run(
        "sticky-sessions",
        "one-at-a-time",
        4,
        &[sets[0], sets[1], "scenario.sessions.affinity=none"],
    );
    let c = cohort_between(&rec, Version::Candidate, 75.0, 100.0).requests as f64;
    let b = cohort_between(&rec, Version::Baseline, 75.0, 100.0).requests as f64;
    let free = c / (c + b);
    assert!(sticky < 0.5 * free, "sticky share {sticky} vs free {free}");
    assert!(
        (0.03..0.07).contains(&free),
        "without affinity a pod gets its share: {free}"
    );
}

// ---- 5, 6. crashes, latency, errors ---------------------------------------------------

#[test]
fn crash_after_readiness_passes_readiness_then_dies() {
    let (rec, m) = run("crash-after-ready", "gated-10pct", 1, &[]);
    assert_eq!(m.outcome, Outcome::Caught);
    let first_crash = rec
        .log
        .iter()
        .find(|e| e.kind == sim_core::log::LogKind::Crash)
        .unwrap();
    // Started at 60 s, ready at 70 s, crashed 45 s later.
    assert_eq!(first_crash.at.as_secs_f64(), 115.0);
    assert!(first_crash.reason.contains("crashed after readiness"));
}

#[test]
fn latency_shift_adds_to_every_affected_request() {
    let scenario = r#"schema_version = 1
name = "shift"
[release]
enabled = false
[traffic]
rate = 100
[service]
distribution = "constant"
mean_ms = 5
[[faults]]
kind = "latency"
target = "both"
multiplier = 1.0
shift_ms = 40
share = 0.5
"#;
    let (_, m) = run_text(scenario, "noop", 1, &["scenario.run.horizon_seconds=300"]);
    // Half the requests take 5 ms, half 45 ms; at 5 req/s per pod (ρ ≈ 0.13) there is
    // little queueing.
    let p25 = m.latency_p50_ms.unwrap();
    let p95 = m.latency_p95_ms.unwrap();
    assert!(p95 > 44.0 && p95 < 60.0, "p95 {p95}");
    assert!(p25 < 46.0, "p50 {p25}");
}

/// Intermittent errors happen only in their on-windows.
#[test]
fn intermittent_errors_switch_on_and_off() {
    let (rec, m) = run("intermittent-errors", "k8s-default", 1, &[]);
    assert!(fault_bad(&m, "errors") > 0);
    for row in &rec.timeline {
        let t = row.at.as_secs_f64();
        // Live for 30 s of every 180 s from t = 0; a scrape covers the 15 s before it.
        let phase = (t - 15.0).rem_euclid(180.0);
        if t > 100.0 && (45.0..165.0).contains(&phase) {
            assert_eq!(row.failed, 0, "errors in an off window at {t}");
        }
    }
}

// ---- 7. config drift -----------------------------------------------------------------

/// Drift on both versions is the environment: it can make a noisy relative gate roll
/// back a good release, never make it "caught". On the candidate only, it is the
/// release's and is caught.
#[test]
fn config_drift_is_noise_on_both_versions_and_a_fault_on_one() {
    let mut false_rollbacks = 0;
    for seed in 0..6 {
        let (_, m) = run(
            "config-drift",
            "gated-10pct",
            seed,
            &["scenario.run.horizon_seconds=900"],
        );
        assert!(
            matches!(
                m.outcome,
                Outcome::Succeeded | Outcome::FalseRollback | Outcome::Stalled
            ),
            "{:?}",
            m.outcome
        );
        false_rollbacks += usize::from(m.outcome == Outcome::FalseRollback);
        assert!(
            fault_bad(&m, "config-drift") > 0,
            "slowness carries the drift's id"
        );
    }
    assert!(
        false_rollbacks > 0,
        "a drifted pod in the canary looks like a regression"
    );
    let (_, carried) = run(
        "config-drift",
        "gated-10pct",
        1,
        &[
            "scenario.faults=[{kind = \"latency\", name = \"config-drift\", target = \"candidate\", fraction = 1.0, multiplier = 1.5}]",
        ],
    );
    assert_eq!(carried.outcome, Outcome::Caught);
}

// ---- 8. load-balancer imbalance ------------------------------------------------------

#[test]
fn slow_start_and_pinning_starve_new_pods() {
    let (rec, m) = run("lb-imbalance", "one-at-a-time", 1, &[]);
    let (plain, _) = run("good-release", "one-at-a-time", 1, &[]);
    let cand =
        |r: &sim_core::RunRecord| cohort_between(r, Version::Candidate, 75.0, 150.0).requests;
    assert!(
        cand(&rec) * 2 < cand(&plain),
        "{} vs {}",
        cand(&rec),
        cand(&plain)
    );
    assert!(m.budget_consumed_pct > 0.0);
    assert_eq!(
        m.unattributed_bad_events, 0,
        "overload carries the imbalance's id"
    );
}

#[test]
fn weight_skew_overloads_the_heavy_pods() {
    let scenario = r#"schema_version = 1
name = "skew"
[release]
enabled = false
[[faults]]
kind = "lb-weight"
target = "baseline"
fraction = 0.2
weight = 2.0
"#;
    let (_, skewed) = run_text(scenario, "noop", 1, &["scenario.run.horizon_seconds=600"]);
    let (_, fair) = run("steady", "noop", 1, &["scenario.run.horizon_seconds=600"]);
    // The heavy pods run at ρ ≈ 1: their latency dominates the tail.
    assert!(skewed.latency_p99_ms.unwrap() > 2.0 * fair.latency_p99_ms.unwrap());
    assert!(fault_bad(&skewed, "lb-weight") > 0);
}

// ---- 9. dependency outage -------------------------------------------------------------

/// The confounder: a dependency outage hits both versions. An absolute error gate
/// rolls back the good release; a gate comparing with the baseline cohort holds.
#[test]
fn dependency_outage_fools_absolute_gates_not_relative_ones() {
    let (_, absolute) = run_text("dependency-outage", &error_gate_policy("absolute"), 1, &[]);
    assert_eq!(absolute.outcome, Outcome::FalseRollback);
    assert_eq!(absolute.detector.as_deref(), Some("gate:error-ratio"));
    let (_, relative) = run_text("dependency-outage", &error_gate_policy("relative"), 1, &[]);
    assert!(
        !relative
            .detector
            .as_deref()
            .is_some_and(|d| d.starts_with("gate:")),
        "the relative gate held: {:?}",
        relative.detector
    );
    assert!(fault_bad(&relative, "dependency") > 0);
}

/// Client retries amplify the load while the dependency fails.
#[test]
fn retries_amplify_load() {
    let (rec, m) = run("dependency-outage", "noop", 1, &[]);
    assert!(m.retries > 10_000, "{} retries", m.retries);
    let arrivals = |from: f64, to: f64| -> u64 {
        rec.timeline
            .iter()
            .filter(|r| r.at.as_secs_f64() > from && r.at.as_secs_f64() <= to)
            .map(|r| r.arrivals)
            .sum()
    };
    // 25% failing, two retries: 1 + 0.25 + 0.0625 = 1.31 attempts per request.
    let ratio = arrivals(150.0, 420.0) as f64 / arrivals(450.0, 720.0) as f64;
    assert!((1.25..1.37).contains(&ratio), "amplification {ratio}");
}

// ---- 10. traffic spike, instance and zone loss ---------------------------------------

#[test]
fn traffic_spike_overloads_and_is_attributed() {
    let (rec, m) = run("traffic-spike", "noop", 1, &[]);
    let rate = |from: f64, to: f64| {
        let rows: Vec<_> = rec
            .timeline
            .iter()
            .filter(|r| r.at.as_secs_f64() > from && r.at.as_secs_f64() <= to)
            .collect();
        rows.iter().map(|r| r.arrivals).sum::<u64>() as f64 / (15.0 * rows.len() as f64)
    };
    let spike = rate(180.0, 300.0);
    assert!((spike / 960.0 - 1.0).abs() < 0.03, "spike rate {spike}");
    assert!(fault_bad(&m, "traffic-spike") > 0);
    assert_eq!(m.outcome, Outcome::Succeeded);
}

#[test]
fn zone_loss_kills_a_third_and_brings_it_back() {
    let (rec, m) = run("zone-loss", "noop", 1, &["scenario.release.enabled=false"]);
    // 20 pods over 3 zones: zone 0 holds 7.
    assert_eq!(rec.crashes, 7);
    let available_at = |t: f64| {
        rec.timeline
            .iter()
            .find(|r| r.at.as_secs_f64() == t)
            .unwrap()
            .available
    };
    assert_eq!(available_at(165.0), 13);
    // Back after 300 s of rescheduling plus 10 s of start-up.
    assert_eq!(available_at(465.0), 20);
    assert!(
        m.faults[0].bad_events.error > 0,
        "requests to dead pods fail until health checks"
    );
    // Capacity is back at 460 s, but the fault holds until its window closes at 750 s.
    assert_eq!(m.t_recover_s, Some(750.0));
}

#[test]
fn chaos_monkey_kills_at_its_rate() {
    let scenario = r#"schema_version = 1
name = "monkey"
[release]
enabled = false
[[faults]]
kind = "instance-kill"
rate_per_hour = 6
"#;
    let (rec, m) = run_text(scenario, "noop", 1, &["scenario.run.horizon_seconds=3600"]);
    // 20 pods x 6 per hour: about 120 kills (Poisson, sd 11).
    assert!((85..155).contains(&rec.crashes), "{} kills", rec.crashes);
    assert!(fault_bad(&m, "instance-kill") > 0);
}

// ---- 11. silent KPI bug ----------------------------------------------------------------

#[test]
fn silent_kpi_bug_needs_a_kpi_gate() {
    let (_, unseen) = run("silent-kpi", "gated-10pct", 1, &[]);
    assert_eq!(unseen.outcome, Outcome::Escaped);
    assert_eq!(fault_bad(&unseen, "kpi-loss"), 0, "no SLO signal at all");
    assert!(unseen.kpi_lost > 0);
    let kpi_policy = r#"schema_version = 1
name = "kpi-gated"
kind = "rolling"
max_surge = "10%"
max_unavailable = 0
bake_seconds = 300
on_failure = "rollback"
[[gates]]
name = "conversion"
metric = "kpi"
comparison = "relative"
threshold = 0.85
window_seconds = 300
min_samples = 5000
"#;
    let (_, seen) = run_text("silent-kpi", kpi_policy, 1, &[]);
    assert_eq!(seen.outcome, Outcome::Caught);
    assert_eq!(seen.detector.as_deref(), Some("gate:conversion"));
}

// ---- 12. metrics pipeline ---------------------------------------------------------------

/// During a scrape gap, a gate's window is empty and its `on_empty` rule decides:
/// `fail` stops at once, `inconclusive` holds until data returns, `pass` walks on.
#[test]
fn empty_windows_follow_the_gate_rule() {
    let with_rule = |rule: &str| {
        let policy = error_gate_policy("absolute").replace(
            "min_samples = 200",
            &format!("min_samples = 200\non_empty = \"{rule}\""),
        );
        run_text("metrics-gap", &policy, 1, &[])
    };
    let (_, fail) = with_rule("fail");
    assert_eq!(fail.detector.as_deref(), Some("gate:error-ratio"));
    assert!(
        fail.t_detect_s.unwrap() < 120.0,
        "fails on the first empty window"
    );
    let (held_rec, held) = with_rule("inconclusive");
    // The gap covers 50–350 s: nothing is visible before 350 + 30 s of lag.
    assert!(held.t_detect_s.unwrap() >= 350.0, "{:?}", held.t_detect_s);
    let (passed_rec, passed) = with_rule("pass");
    let steps = |r: &sim_core::RunRecord| {
        r.log
            .iter()
            .filter(|e| {
                e.kind == sim_core::log::LogKind::Step
                    && e.subject == "candidate"
                    && e.at.as_secs_f64() < 350.0
            })
            .count()
    };
    assert!(
        steps(&passed_rec) > steps(&held_rec),
        "pass walks on blind, inconclusive holds"
    );
    assert!(passed.t_detect_s.unwrap() >= 350.0);
}

/// Extra metrics lag delays detection by about as much.
#[test]
fn metrics_delay_delays_detection() {
    let (_, normal) = run("error-regression", "gated-10pct", 1, &[]);
    let scenario = r#"schema_version = 1
name = "error-regression"
[release]
start_seconds = 60
[candidate]
error_probability = 0.02
[[faults]]
kind = "metrics-delay"
extra_seconds = 120
"#;
    let (_, delayed) = run_text(scenario, "gated-10pct", 1, &[]);
    let d = delayed.t_detect_s.unwrap() - normal.t_detect_s.unwrap();
    assert!((100.0..=140.0).contains(&d), "detection delayed by {d} s");
}

// ---- combinations -----------------------------------------------------------------

/// Faults combine, each attributed on its own.
#[test]
fn faults_combine_and_are_attributed_separately() {
    let scenario = r#"schema_version = 1
name = "combined"
[release]
start_seconds = 60
[candidate]
error_probability = 0.03
[[faults]]
kind = "dependency"
error_probability = 0.1
start_seconds = 600
duration_seconds = 120
[[faults]]
kind = "memory-leak"
leak_mb_per_second = 4
"#;
    let (rec, m) = run_text(
        scenario,
        "k8s-default",
        1,
        &["scenario.run.horizon_seconds=900"],
    );
    for name in ["error-regression", "dependency", "memory-leak"] {
        assert!(fault_bad(&m, name) > 0, "{name} caused nothing");
    }
    let dep = m.faults.iter().find(|f| f.name == "dependency").unwrap();
    assert!(dep.t_first_bad_s.unwrap() >= 600.0 && dep.t_last_bad_s.unwrap() < 721.0);
    let attributed: u64 = m.faults.iter().map(|f| f.bad_events.total()).sum();
    assert_eq!(attributed + m.unattributed_bad_events, m.requests_bad);
    common::assert_conserved(&rec);
}
