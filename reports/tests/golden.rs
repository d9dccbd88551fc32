//! Golden files pin every text format rollcage writes: the run files (`run.json`,
//! `timeline.csv`, `events.csv`), the sweep files (`runs.csv` rows, `summary.csv`,
//! `summary.json`, `paired.csv`, `pareto.csv`) and the two Markdown reports, from small
//! hand-made inputs so that they do not move when the simulator does. Review a change
//! to a golden file like code; `ROLLCAGE_UPDATE_GOLDEN=1 cargo test -p reports --test
//! golden` rewrites them.
//!
//! The HTML report and the PNG charts are checked for structure and byte-for-byte
//! determinism instead: their pixels and SVG coordinates are plotters' to choose.

use reports::vocab::Metric;
use std::fs;
use std::path::PathBuf;

use reports::artifacts::run_json::{RunInputs, RunJson};
use reports::artifacts::runs_csv::{RunIdentity, RunRow, header, line, row};
use reports::artifacts::summary_json::SummaryJson;
use reports::artifacts::{events_csv, timeline_csv};
use reports::charts::{self, Chart};
use reports::metrics::{BadByClass, FaultSummary, Outcome, RunMetrics};
use reports::report::{run_figures, run_report, sweep_figures, sweep_report};
use reports::sweep::{
    Bootstrap, Constraints, GroupSummary, ParetoPoint, Recommendation, paired, pareto, recommend,
    summarize,
};
use reports::view::{Axis, GroupRuns, LogEvent, PolicyInfo, RunView, SweepView, TimelinePoint};
use sim_core::SimTime;
use sim_core::log::{LogKind, LogRecord};
use sim_core::record::{StateCounts, TimelineRow, VersionCounts};

/// The files' bytes as text, through the artifacts' writers, each checked to read
/// back to the same bytes through its reader.
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

fn run_json(inputs: &RunInputs, m: &RunMetrics, program: &str) -> String {
    let bytes = RunJson::new(inputs.clone(), m.clone(), program).to_bytes();
    assert_eq!(RunJson::from_bytes(&bytes).unwrap().to_bytes(), bytes);
    text(bytes)
}

fn timeline_csv_rows(rows: &[TimelineRow], interval_s: f64) -> String {
    let bytes = timeline_csv::to_bytes(&timeline_csv::records(rows, interval_s));
    assert_eq!(
        timeline_csv::to_bytes(&timeline_csv::from_bytes(&bytes).unwrap()),
        bytes
    );
    text(bytes)
}

fn events_csv_rows(log: &[LogRecord]) -> String {
    let bytes = events_csv::to_bytes(&events_csv::records(log));
    assert_eq!(
        events_csv::to_bytes(&events_csv::from_bytes(&bytes).unwrap()),
        bytes
    );
    text(bytes)
}

fn summary_csv(groups: &[GroupSummary]) -> String {
    use reports::artifacts::summary_csv::{from_bytes, records, to_bytes};
    let bytes = to_bytes(&records(groups));
    assert_eq!(to_bytes(&from_bytes(&bytes).unwrap()), bytes);
    text(bytes)
}

fn paired_csv(pairs: &[reports::sweep::Paired]) -> String {
    use reports::artifacts::paired_csv::{from_bytes, records, to_bytes};
    let bytes = to_bytes(&records(pairs));
    assert_eq!(to_bytes(&from_bytes(&bytes).unwrap()), bytes);
    text(bytes)
}

fn pareto_csv(points: &[ParetoPoint]) -> String {
    use reports::artifacts::pareto_csv::{from_bytes, records, to_bytes};
    let bytes = to_bytes(&records(points));
    assert_eq!(to_bytes(&from_bytes(&bytes).unwrap()), bytes);
    text(bytes)
}

/// Compares `actual` with `tests/golden/NAME`, or rewrites it when
/// `ROLLCAGE_UPDATE_GOLDEN` is set.
fn golden(name: &str, actual: &str) {
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
             (if the change is intended: ROLLCAGE_UPDATE_GOLDEN=1 cargo test -p reports --test golden)",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

fn metrics() -> RunMetrics {
    RunMetrics {
        outcome: Outcome::Caught,
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
    }
}

#[test]
fn run_json_format() {
    let inputs = RunInputs {
        scenario: "memory-leak".into(),
        scenario_source: "built-in".into(),
        policy: "gated-10pct".into(),
        policy_source: "built-in".into(),
        overrides: vec!["scenario.run.horizon_seconds=600".into()],
        seed: 1,
        reproduce: "rollcage run --scenario memory-leak --policy gated-10pct --seed 1 --replicate 0 --set 'scenario.run.horizon_seconds=600'".into(),
        scenario_resolved: serde_json::json!({"name": "memory-leak", "run": {"horizon_seconds": 600.0}}),
        policy_resolved: serde_json::json!({"name": "gated-10pct", "kind": "rolling"}),
    };
    golden("run.json", &run_json(&inputs, &metrics(), "rollcage 0.1.0"));
}

fn pods(starting: u32, ready: u32, crashed: u32, terminating: u32) -> StateCounts {
    StateCounts {
        starting,
        ready,
        crashed,
        terminating,
    }
}

fn counts(requests: u64, errors: u64, timeouts: u64) -> VersionCounts {
    VersionCounts {
        requests,
        errors,
        timeouts,
    }
}

#[test]
fn timeline_and_events_csv_formats() {
    let rows = vec![
        TimelineRow {
            at: SimTime::from_secs(15),
            pods: [pods(0, 20, 0, 0), pods(0, 0, 0, 0)],
            available: 20,
            arrivals: 9000,
            requests: 8990,
            failed: 0,
            latency_p50_ms: Some(35.072),
            latency_p95_ms: Some(168.959),
            latency_p99_ms: Some(276.479),
            burn_5m: Some(0.0),
            burn_1h: Some(0.0),
            in_flight: 14,
            sessions_lost: 0,
            scraped: true,
            versions: [counts(8990, 0, 0), counts(0, 0, 0)],
            slo_events: 8990,
            slo_bad_events: 3,
        },
        TimelineRow {
            at: SimTime::from_secs(30),
            pods: [pods(0, 18, 0, 2), pods(2, 1, 1, 0)],
            available: 19,
            arrivals: 9010,
            requests: 0,
            failed: 0,
            latency_p50_ms: None,
            latency_p95_ms: None,
            latency_p99_ms: None,
            burn_5m: None,
            burn_1h: Some(0.25),
            in_flight: 3,
            sessions_lost: 1,
            scraped: false,
            versions: [counts(0, 0, 0), counts(0, 0, 0)],
            slo_events: 0,
            slo_bad_events: 1,
        },
    ];
    golden("timeline.csv", &timeline_csv_rows(&rows, 15.0));
    let mut gate = LogRecord::new(
        SimTime::from_secs(310),
        LogKind::Gate,
        "error-ratio",
        "error_ratio candidate 0.043507 > 0.010000",
    );
    gate.value = Some(0.043507);
    gate.threshold = Some(0.01);
    gate.verdict = Some("fail");
    let log = vec![
        LogRecord::new(
            SimTime::from_secs(60),
            LogKind::Step,
            "candidate",
            "replicas 0 -> 2",
        ),
        gate,
        LogRecord::new(
            SimTime::from_secs(310),
            LogKind::Detect,
            "gate:error-ratio",
            "reason, with a comma and \"quotes\"",
        ),
    ];
    golden("events.csv", &events_csv_rows(&log));
}

fn run_row(
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
    }
}

struct Sweep {
    groups: Vec<GroupSummary>,
    pairs: Vec<reports::sweep::Paired>,
    points: Vec<ParetoPoint>,
    rec: Recommendation,
    runs: Vec<GroupRuns>,
}

/// Two scenarios (a good release, a leak) under two policies, four seeds each.
fn sweep() -> Sweep {
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

fn sweep_view(s: &Sweep) -> SweepView {
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
    }
}

#[test]
fn sweep_file_formats() {
    let s = sweep();
    golden("summary.csv", &summary_csv(&s.groups));
    golden("paired.csv", &paired_csv(&s.pairs));
    golden("pareto.csv", &pareto_csv(&s.points));
    let doc = SummaryJson {
        schema_version: reports::SCHEMA_VERSION,
        master_seed: 1,
        seeds: 4,
        bootstrap_resamples: 50,
        baseline: "fast[bake_seconds=30]".into(),
        groups: s.groups.clone(),
        paired: s.pairs.clone(),
        pareto: s.points.clone(),
        recommendation: s.rec.clone(),
    };
    let json = text(doc.to_bytes());
    assert_eq!(SummaryJson::from_bytes(json.as_bytes()).unwrap(), doc);
    golden("summary.json", &json);

    // What the report reads back from summary.json is what was written.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let groups: Vec<GroupSummary> = serde_json::from_value(v["groups"].clone()).unwrap();
    let points: Vec<ParetoPoint> = serde_json::from_value(v["pareto"].clone()).unwrap();
    let rec: Recommendation = serde_json::from_value(v["recommendation"].clone()).unwrap();
    assert_eq!(groups, s.groups);
    assert_eq!(points, s.points);
    assert_eq!(rec, s.rec);
    let mut bad = v["groups"].clone();
    bad[0]["metrics"][0]["metric"] = "ttd".into();
    let err = serde_json::from_value::<Vec<GroupSummary>>(bad).unwrap_err();
    assert!(err.to_string().contains("unknown metric \"ttd\""), "{err}");
}

#[test]
fn runs_csv_format() {
    let keys = vec!["policy.bake_seconds".to_string()];
    let mut out = line(header(&keys));
    let grid = vec!["30".to_string()];
    let id = RunIdentity {
        run_id: 0,
        scenario: "memory-leak",
        policy: "fast[bake_seconds=30]",
        grid_values: &grid,
        seed: 1,
        replicate: 0,
    };
    out.extend(line(row(&id, &metrics())));
    golden("runs.csv", &String::from_utf8(out).unwrap());
}

fn run_view() -> RunView {
    let m = metrics();
    let point = |t: f64, cand: u32, err: Option<f64>| TimelinePoint {
        time_s: t,
        pods: [[0, 20 - cand, 0, 0], [0, cand, 0, 0]],
        available: 20,
        request_rate_rps: 600.0,
        error_ratio: err,
        latency_p99_ms: Some(220.0 + t / 10.0),
        burn_rate_5m: err.map(|e| e / 0.001),
        burn_rate_1h: Some(0.1),
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

#[test]
fn markdown_formats() {
    let run = run_view();
    let run_md = reports::markdown::run_markdown(&run, &run_figures(&run));
    golden("run.md", &run_md);
    let v = sweep_view(&sweep());
    let sweep_md = reports::markdown::sweep_markdown(&v, &sweep_figures(&v));
    golden("sweep.md", &sweep_md);
    for md in [&run_md, &sweep_md] {
        assert!(md.contains("schema_version 1"), "{md}");
    }
}

/// The HTML's structure: self-contained, versioned, one labelled SVG per figure.
fn check_html(html: &str, ids: &[String]) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta name=\"rollcage-schema-version\" content=\"1\">"));
    assert!(html.contains("schema_version 1"), "a visible footer");
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "no JavaScript");
    for external in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!lower.contains(external), "no network: {external}");
    }
    for id in ids {
        assert!(
            html.contains(&format!("<svg id=\"chart-{id}\" class=\"chart\"")),
            "chart {id}"
        );
        assert!(html.contains(&format!("href=\"charts/{id}.png\"")), "{id}");
    }
    assert_eq!(html.matches("<svg ").count(), ids.len());
}

#[test]
fn run_report_is_self_contained_and_deterministic() {
    let v = run_view();
    let a = run_report(&v).unwrap();
    let b = run_report(&v).unwrap();
    assert_eq!(a, b, "byte-identical");
    let ids: Vec<String> = run_figures(&v).into_iter().map(|f| f.id).collect();
    assert_eq!(ids, ["timeline"]);
    check_html(&a.html, &ids);
    assert!(
        a.html.contains("detected (gate:error-ratio)"),
        "marks are labelled"
    );
    assert!(a.html.contains("pager: 14.4 over 1 h and 5 m"));
    assert_eq!(a.charts.len(), 1);
    assert_eq!(a.charts[0].0, "timeline.png");
}

#[test]
fn sweep_report_is_self_contained_and_deterministic() {
    let v = sweep_view(&sweep());
    let a = sweep_report(&v).unwrap();
    assert_eq!(a, sweep_report(&v).unwrap(), "byte-identical");
    let ids: Vec<String> = sweep_figures(&v).into_iter().map(|f| f.id).collect();
    assert_eq!(
        ids,
        [
            "pareto",
            "rates",
            "ttd-1-memory-leak",
            "budget-1-good-release",
            "budget-2-memory-leak"
        ],
        "one grid axis: no heat map"
    );
    check_html(&a.html, &ids);
    assert!(
        a.html
            .contains("Recommendation: <code>careful[bake_seconds=120]</code>")
    );
    let names: Vec<&str> = a.charts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), ids.len());
}

/// Decodes a PNG to (width, height, RGB bytes).
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn pngs_are_drawn_with_text_and_colour() {
    let v = sweep_view(&sweep());
    let mut two_axes = v.clone();
    two_axes.grid.push(Axis {
        key: "policy.max_surge".into(),
        values: vec!["25%".into()],
    });
    for p in &mut two_axes.policies {
        p.grid_values.push("25%".into());
    }
    let figures = sweep_figures(&two_axes);
    assert!(
        figures.iter().any(|f| f.id.starts_with("heatmap-1-fast")),
        "two axes: a heat map per policy"
    );
    let run = run_view();
    for f in figures.iter().chain(run_figures(&run).iter()) {
        let bytes = reports::png::png(&f.chart).unwrap();
        let (w, h, px) = decode(&bytes);
        assert_eq!((w, h), f.chart.size(), "{}", f.id);
        let mut colours: Vec<[u8; 3]> = px.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
        colours.sort();
        colours.dedup();
        // Antialiased text alone gives many greys; series add hues.
        assert!(colours.len() > 20, "{}: {} colours", f.id, colours.len());
        let hued = px
            .chunks(3)
            .filter(|c| c.iter().max().unwrap() - c.iter().min().unwrap() > 60)
            .count();
        assert!(hued > 200, "{}: {hued} coloured pixels", f.id);
        let svg = charts::svg(&f.chart).unwrap();
        assert!(svg.contains("<text"), "{}: text in the SVG", f.id);
    }
    // The embedded font draws glyphs: a chart's title region is not blank.
    let chart = Chart::Timeline(match &run_figures(&run)[0].chart {
        Chart::Timeline(t) => t.clone(),
        _ => unreachable!(),
    });
    let (w, _, px) = decode(&reports::png::png(&chart).unwrap());
    let title_dark = (0..30)
        .flat_map(|y| (0..w as usize).map(move |x| (y * w as usize + x) * 3))
        .filter(|&i| px[i] < 100 && px[i + 1] < 100 && px[i + 2] < 100)
        .count();
    assert!(title_dark > 100, "title glyphs: {title_dark} dark pixels");
}

/// Every figure of the vocabulary is the same number under its name in `run.json`
/// (the `bad_*` figures are `run.json`'s `bad_events`), in `runs.csv` and through
/// `Metric::value`: one name, one value, wherever it is written.
#[test]
fn the_vocabulary_names_run_json_and_runs_csv_alike() {
    let m = metrics();
    let inputs = RunInputs {
        scenario: "s".into(),
        scenario_source: "built-in".into(),
        policy: "p".into(),
        policy_source: "built-in".into(),
        overrides: vec![],
        seed: 1,
        reproduce: String::new(),
        scenario_resolved: serde_json::json!({}),
        policy_resolved: serde_json::json!({}),
    };
    let json: serde_json::Value =
        serde_json::from_str(&run_json(&inputs, &m, "rollcage 0.1.0")).unwrap();
    let id = RunIdentity {
        run_id: 0,
        scenario: "s",
        policy: "p",
        grid_values: &[],
        seed: 1,
        replicate: 0,
    };
    let (head, cells) = (header(&[]), row(&id, &m));
    for &f in Metric::ALL {
        let name = f.name();
        let in_json = match name.strip_prefix("bad_") {
            Some(class) => &json["bad_events"][class],
            None => &json[name],
        };
        assert!(
            json.get(name).is_some() || in_json.is_u64(),
            "run.json has no `{name}`"
        );
        assert_eq!(in_json.as_f64(), f.value(&m), "run.json `{name}`");
        let at = head.iter().position(|h| h == name).unwrap();
        let cell = &cells[at];
        let parsed = (!cell.is_empty()).then(|| cell.parse::<f64>().unwrap());
        match (parsed, f.value(&m)) {
            (Some(a), Some(b)) => assert!((a - b).abs() <= 5e-4, "runs.csv `{name}`: {a} vs {b}"),
            (a, b) => assert_eq!(a, b, "runs.csv `{name}`"),
        }
    }
}
