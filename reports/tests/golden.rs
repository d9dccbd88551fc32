//! Golden files pin every text format rollcage writes: the run files (`run.json`,
//! `timeline.csv`, `events.csv`), the sweep files (`runs.csv` rows, `summary.csv`,
//! `summary.json`, `paired.csv`, `pareto.csv`), from small hand-made inputs
//! (`common/`, shared with `render`'s golden tests of the pages and charts) so that they
//! do not move when the simulator does. Review a change
//! to a golden file like code; `ROLLCAGE_UPDATE_GOLDEN=1 cargo test -p reports --test
//! golden` rewrites them.

mod common;

use common::*;
use reports::artifacts::run_json::{RunInputs, RunJson};
use reports::artifacts::runs_csv::{RunIdentity, header, line, row};
use reports::artifacts::summary_json::SummaryJson;
use reports::artifacts::{events_csv, timeline_csv};
use reports::metrics::RunMetrics;
use reports::sweep::{GroupSummary, ParetoPoint, Recommendation};
use sim_core::SimTime;
use sim_core::log::{LogKind, LogRecord};
use sim_core::record::{TimelineRow, VersionCounts};

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
    let bytes = timeline_csv::to_bytes(&timeline_csv::records(rows, interval_s, false));
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
    let figs = reports::vocab::Figures::BASE;
    let bytes = to_bytes(&records(groups, figs), figs);
    let (back, read_figs) = from_bytes(&bytes).unwrap();
    assert_eq!(read_figs, figs);
    assert_eq!(to_bytes(&back, figs), bytes);
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
#[test]
fn run_json_format() {
    let inputs = RunInputs {
        params: Default::default(),
        engine: None,
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
            desired: 20,
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
            slo_bad_events: 3,
        },
        TimelineRow {
            at: SimTime::from_secs(30),
            desired: 20,
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
    let mut out = line(header(&keys, reports::vocab::Figures::BASE));
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

/// Every figure of the vocabulary is the same number under its name in `run.json`
/// (the `bad_*` figures are `run.json`'s `bad_events`), in `runs.csv` and through
/// `Metric::value`: one name, one value, wherever it is written.
#[test]
fn the_vocabulary_names_run_json_and_runs_csv_alike() {
    // With the counterfactual figures too (`--counterfactual`), a negative count among
    // them.
    let twin = reports::metrics::Twin {
        budget_consumed_pct: 0.0125,
        requests_bad: 400,
    };
    for m in [metrics(), metrics().with_twin(twin)] {
        names_alike(m);
    }
}

fn names_alike(m: reports::metrics::RunMetrics) {
    let figs = reports::vocab::Figures::of(&m);
    let inputs = RunInputs {
        params: Default::default(),
        engine: None,
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
    let (head, cells) = (header(&[], figs), row(&id, &m));
    assert_eq!(head.len(), cells.len());
    for f in figs.all() {
        let name = f.name();
        let in_json = match name.strip_prefix("bad_").filter(|_| !f.is_counterfactual()) {
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
