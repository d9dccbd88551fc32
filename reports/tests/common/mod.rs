//! The hand-made inputs the golden tests of `reports` (the file formats) and `render`
//! (the pages and charts) share, and the golden-file comparison itself. `render`'s
//! tests include this file by path.
#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;

use reports::artifacts::runs_csv::RunRow;
use reports::artifacts::timeline_csv::TimelineRecord;
use reports::metrics::{BadByClass, FaultSummary, Outcome, RunMetrics};
use reports::sweep::{
    Bootstrap, Constraints, GroupSummary, ParetoPoint, Recommendation, paired, pareto, recommend,
    summarize,
};
use reports::view::{Axis, GroupRuns, LogEvent, PolicyInfo, RunView, SweepView};
use reports::vocab::Metric;
use sim_core::record::StateCounts;

pub fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("ROLLCAGE_UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{}: missing; run with ROLLCAGE_UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output at line {}:\n  golden: {:?}\n  output: {:?}\n\
             (if the change is intended: ROLLCAGE_UPDATE_GOLDEN=1 cargo test -p reports -p render --test golden)",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

pub fn metrics() -> RunMetrics {
    RunMetrics {
        outcome: Outcome::Caught,
        stall_reason: None,
        requests_total: 108_000,
        requests_bad: 310,
        requests_succeeded: 107_680,
        requests_in_flight_end: 10,
        bad_events: BadByClass {
            error: 267,
            timeout: 3,
            slow: 40,
            session_lost: 0,
        },
        latency_mean_ms: Some(49.25),
        latency_p50_ms: Some(34.0475),
        latency_p95_ms: Some(148.4795),
        latency_p99_ms: Some(228.3515),
        budget_consumed_pct: 0.019161522633744838,
        peak_burn_rate_5m: 1.5097324820893347,
        peak_burn_rate_1h: 0.13805301699117606,
        t_change_start_s: Some(60.0),
        t_change_end_s: Some(320.0),
        t_full_fleet_s: None,
        t_fault_active_s: Some(60.0),
        t_release_fault_active_s: Some(60.0),
        t_impact_start_s: Some(260.0),
        t_detect_s: Some(310.0),
        detector: Some("gate:error-ratio".into()),
        t_mitigate_s: Some(264.992490914),
        t_recover_s: Some(320.0),
        ttd_s: Some(50.0),
        ttm_s: Some(0.0),
        impact_duration_s: Some(4.992490914),
        tt_recover_s: Some(60.0),
        deploy_duration_s: Some(260.0),
        crashes: 2,
        instances_max: 24,
        available_min: 18,
        sessions_lost: 0,
        retries: 0,
        kpi_conversion_rate: None,
        kpi_lost: 0,
        fault_bad_events: 267,
        unattributed_bad_events: 43,
        faults: vec![FaultSummary {
            name: "memory-leak".into(),
            t_active_s: Some(60.0),
            t_first_bad_s: Some(260.0),
            t_last_bad_s: Some(264.992490914),
            bad_events: BadByClass {
                error: 267,
                timeout: 0,
                slow: 0,
                session_lost: 0,
            },
            kpi_lost: 0,
            release: true,
        }],
        final_phase: "rolled_back".into(),
        limit_hit: None,
        events_processed: 2_157_478,
        batches: 2,
        batch_time_mean_s: Some(130.0),
        batch_time_max_s: Some(200.0),
        batches_per_hour: Some(3600.0 / 130.0),
        healthy_ratio_min: Some(0.9),
        healthy_ratio_mean: Some(0.975),
        candidate_starts: 4,
        candidate_crashes: 2,
        candidate_crash_rate: Some(500.0),
        dependency_error_rate: 0.0,
        counterfactual: None,
    }
}

pub fn pods(starting: u32, ready: u32, crashed: u32, terminating: u32) -> StateCounts {
    StateCounts {
        pending: 0,
        starting,
        ready,
        crashed,
        terminating,
    }
}

pub fn run_row(
    k: u64,
    outcome: Outcome,
    fault: bool,
    ttd: Option<f64>,
    budget: f64,
    deploy: f64,
) -> RunRow {
    RunRow {
        run_id: k,
        replicate: k,
        outcome,
        change_started: true,
        change_ended: true,
        fault_active: fault,
        impact_started: fault,
        detected: ttd.is_some(),
        mitigated: fault,
        recovered: fault,
        limit_hit: false,
        values: RunRow::values_by(|m| match m {
            Metric::Ttd => ttd,
            Metric::ImpactDuration => fault.then_some(60.0 + 10.0 * k as f64),
            Metric::TtRecover => fault.then_some(90.0 + 10.0 * k as f64),
            Metric::BudgetConsumed => Some(budget),
            Metric::DeployDuration => Some(deploy),
            // Four equal batches; one pod of ten down at a time; a leak that crashes
            // every candidate start; no dependency.
            Metric::BatchTimeMean | Metric::BatchTimeMax => Some(deploy / 4.0),
            Metric::BatchesPerHour => Some(4.0 * 3600.0 / deploy),
            Metric::HealthyRatioMin => Some(0.9),
            Metric::HealthyRatioMean => Some(0.95),
            Metric::CandidateCrashRate => Some(if fault { 1000.0 } else { 0.0 }),
            Metric::DependencyErrorRate => Some(0.0),
            _ => None,
        }),
        params: Vec::new(),
    }
}

pub struct Sweep {
    pub groups: Vec<GroupSummary>,
    pub pairs: Vec<reports::sweep::Paired>,
    pub points: Vec<ParetoPoint>,
    pub rec: Recommendation,
    pub runs: Vec<GroupRuns>,
}

/// Two scenarios (a good release, a leak) under two policies, four seeds each.
pub fn sweep() -> Sweep {
    let boot = Bootstrap {
        master_seed: 1,
        resamples: 50,
    };
    let policies = ["fast[bake_seconds=30]", "careful[bake_seconds=120]"];
    let mut groups = Vec::new();
    let mut pairs = Vec::new();
    let mut runs = Vec::new();
    let mut base_rows: Vec<RunRow> = Vec::new();
    for scenario in ["good-release", "memory-leak"] {
        for (pi, policy) in policies.iter().enumerate() {
            let rows: Vec<RunRow> = (0..4)
                .map(|k| {
                    let kf = k as f64;
                    match (scenario, pi) {
                        ("good-release", 0) => {
                            run_row(k, Outcome::Succeeded, false, None, 0.001 * kf, 120.0 + kf)
                        }
                        ("good-release", _) => {
                            let o = if k == 3 {
                                Outcome::FalseRollback
                            } else {
                                Outcome::Succeeded
                            };
                            run_row(k, o, false, None, 0.002 * kf, 600.0 + 10.0 * kf)
                        }
                        (_, 0) => {
                            let ttd = (k < 2).then_some(400.0 + 30.0 * kf);
                            run_row(k, Outcome::Escaped, true, ttd, 1.2 + 0.1 * kf, 125.0)
                        }
                        _ => run_row(
                            k,
                            Outcome::Caught,
                            true,
                            Some(30.0 + 15.0 * kf),
                            0.02 + 0.005 * kf,
                            610.0,
                        ),
                    }
                })
                .collect();
            groups.push(summarize(scenario, policy, &rows, boot));
            if pi == 0 {
                base_rows = rows.clone();
            } else {
                pairs.extend(paired(
                    scenario,
                    policy,
                    policies[0],
                    &base_rows,
                    &rows,
                    boot,
                ));
            }
            runs.push(GroupRuns {
                scenario: scenario.into(),
                policy: policy.to_string(),
                fault_runs: rows.iter().filter(|r| r.fault_active).count() as u64,
                ttd_s: rows
                    .iter()
                    .filter(|r| r.fault_active)
                    .filter_map(|r| r.value(Metric::Ttd))
                    .collect(),
                budget_pct: rows
                    .iter()
                    .filter_map(|r| r.value(Metric::BudgetConsumed))
                    .collect(),
            });
        }
    }
    let names: Vec<String> = policies.iter().map(|p| p.to_string()).collect();
    let points = pareto(&groups, &names);
    let rec = recommend(
        &points,
        Constraints {
            max_budget_p95_pct: 2.0,
            max_deploy_p50_s: 1800.0,
            max_false_rollback_pct: 30.0,
        },
    );
    Sweep {
        groups,
        pairs,
        points,
        rec,
        runs,
    }
}

pub fn sweep_view(s: &Sweep) -> SweepView {
    SweepView {
        program: "rollcage 0.1.0".into(),
        master_seed: 1,
        seeds: 4,
        scenarios: vec!["good-release".into(), "memory-leak".into()],
        policies: vec![
            PolicyInfo {
                name: "fast[bake_seconds=30]".into(),
                base: "fast".into(),
                grid_values: vec!["30".into()],
            },
            PolicyInfo {
                name: "careful[bake_seconds=120]".into(),
                base: "careful".into(),
                grid_values: vec!["120".into()],
            },
        ],
        grid: vec![Axis {
            key: "policy.bake_seconds".into(),
            values: vec!["30".into(), "120".into()],
        }],
        baseline: "fast[bake_seconds=30]".into(),
        groups: s.groups.clone(),
        pareto: s.points.clone(),
        recommendation: s.rec.clone(),
        runs: s.runs.clone(),
        sensitivity: Vec::new(),
    }
}

pub fn run_view() -> RunView {
    let m = metrics();
    let point = |t: f64, cand: u32, err: Option<f64>| TimelineRecord {
        time_s: t,
        baseline_ready: 20 - cand,
        candidate_ready: cand,
        available: 20,
        request_rate_rps: 600.0,
        error_ratio: err,
        latency_p99_ms: Some(220.0 + t / 10.0),
        burn_rate_5m: err.map(|e| e / 0.001),
        burn_rate_1h: Some(0.1),
        ..TimelineRecord::default()
    };
    RunView {
        program: "rollcage 0.1.0".into(),
        scenario: "memory-leak".into(),
        policy: "gated-10pct".into(),
        seed: 1,
        reproduce:
            "rollcage run --scenario memory-leak --policy gated-10pct --seed 1 --replicate 0".into(),
        horizon_s: 600.0,
        slo_objective: Some(0.999),
        metrics: m,
        timeline: vec![
            point(15.0, 0, Some(0.0)),
            point(75.0, 2, Some(0.0)),
            point(270.0, 4, Some(0.04)),
            point(330.0, 0, None),
            point(600.0, 0, Some(0.0)),
        ],
        events: vec![
            LogEvent {
                time_s: 105.0,
                kind: "gate".into(),
                subject: "error-ratio".into(),
                value: Some(0.0),
                threshold: Some(0.01),
                verdict: "pass".into(),
                reason: String::new(),
            },
            LogEvent {
                time_s: 310.0,
                kind: "gate".into(),
                subject: "error-ratio".into(),
                value: Some(0.04),
                threshold: Some(0.01),
                verdict: "fail".into(),
                reason: String::new(),
            },
        ],
    }
}
