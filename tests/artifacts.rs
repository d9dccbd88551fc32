//! Every file type reads back what it wrote: a real run directory, a real sweep
//! directory (with a grid, so `runs.csv` has a grid column) and a real `check` (its
//! baseline and JUnit) are made by the binary, and every file is read with its type's
//! `from_bytes`, written again with `to_bytes`, and compared byte for byte with what
//! is on disk.

mod common;

use std::path::Path;

use common::{cli, run_ok, stderr, temp_dir};
use reports::artifacts::baseline::BaselineFile;
use reports::artifacts::junit::JUnit;
use reports::artifacts::manifest::Manifest;
use reports::artifacts::run_json::RunJson;
use reports::artifacts::runs_csv::RunsCsv;
use reports::artifacts::summary_json::SummaryJson;
use reports::artifacts::{
    events_csv, manifest, metrics_om, paired_csv, pareto_csv, run_json, runs_csv, summary_csv,
    summary_json, timeline_csv,
};

const SHORT: &str = "scenario.run.horizon_seconds=300";

/// Reads `dir/name` with `from_bytes`, writes it with `to_bytes`, and checks the bytes
/// are the file's; returns what was read.
fn round_trip<T>(
    dir: &Path,
    name: &str,
    from_bytes: impl Fn(&[u8]) -> Result<T, reports::artifacts::ArtifactError>,
    to_bytes: impl Fn(&T) -> Vec<u8>,
) -> T {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = from_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let again = to_bytes(&doc);
    assert!(
        again == bytes,
        "{name} does not write back the same bytes:\n--- on disk\n{}\n--- written\n{}",
        String::from_utf8_lossy(&bytes),
        String::from_utf8_lossy(&again)
    );
    doc
}

#[test]
fn a_run_directory_reads_back_byte_for_byte() {
    let dir = temp_dir("artifacts-run");
    let out = dir.join("run");
    run_ok(&[
        "run",
        "--scenario",
        "memory-leak",
        "--set",
        SHORT,
        "--out",
        out.to_str().unwrap(),
    ]);
    let run = round_trip(
        &out,
        run_json::FILE_NAME,
        RunJson::from_bytes,
        RunJson::to_bytes,
    );
    assert_eq!(run.inputs.scenario, "memory-leak");
    let timeline = round_trip(
        &out,
        timeline_csv::FILE_NAME,
        timeline_csv::from_bytes,
        |r| timeline_csv::to_bytes(r),
    );
    assert!(!timeline.is_empty());
    let events = round_trip(&out, events_csv::FILE_NAME, events_csv::from_bytes, |r| {
        events_csv::to_bytes(r)
    });
    assert!(!events.is_empty());
    // metrics.om (written, not read back) holds the timeline's per-version counts: its
    // last cumulative request counters are the sums of the timeline's columns.
    let om = std::fs::read_to_string(out.join(metrics_om::FILE_NAME)).unwrap();
    assert!(om.ends_with("\n# EOF\n"));
    let last = |series: &str| -> u64 {
        om.lines()
            .rfind(|l| l.starts_with(series))
            .and_then(|l| l.split(' ').nth(1))
            .unwrap_or_else(|| panic!("no {series} in metrics.om"))
            .parse()
            .unwrap()
    };
    let labels = |v: &str, app: &str| {
        format!("service=\"reference\",version=\"{v}\",namespace=\"default\",app=\"{app}\"")
    };
    for (v, app, req, err, tmo) in [
        ("stable", "reference-primary", 0, 1, 2),
        ("canary", "reference", 3, 4, 5),
    ] {
        let sum = |k: usize| -> u64 {
            timeline
                .iter()
                .map(|r| {
                    [
                        r.baseline_requests,
                        r.baseline_errors,
                        r.baseline_timeouts,
                        r.candidate_requests,
                        r.candidate_errors,
                        r.candidate_timeouts,
                    ][k]
                })
                .sum()
        };
        let series =
            |code: &str| format!("http_requests_total{{{},code=\"{code}\"}} ", labels(v, app));
        assert_eq!(last(&series("500")), sum(err), "{v}");
        assert_eq!(last(&series("504")), sum(tmo), "{v}");
        assert_eq!(last(&series("200")) + sum(err) + sum(tmo), sum(req), "{v}");
    }
    let slo: u64 = timeline.iter().map(|r| r.slo_bad_events).sum();
    let bad = last(&format!(
        "slo_bad_events_total{{{}}} ",
        labels("stable", "reference-primary")
    )) + last(&format!(
        "slo_bad_events_total{{{}}} ",
        labels("canary", "reference")
    ));
    assert_eq!(bad, slo);
    // `run --json` prints the same document.
    let o = cli(&["run", "--scenario", "memory-leak", "--set", SHORT, "--json"]);
    assert_eq!(
        o.stdout,
        std::fs::read(out.join(run_json::FILE_NAME)).unwrap()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_sweep_directory_reads_back_byte_for_byte() {
    let dir = temp_dir("artifacts-sweep");
    let out = dir.join("sweep");
    run_ok(&[
        "sweep",
        "--scenarios",
        "good-release,memory-leak",
        "--policies",
        "k8s-default,gated-10pct",
        "--grid",
        "policy.bake_seconds=30,60",
        "--set",
        SHORT,
        "--seeds",
        "3",
        "--bootstrap",
        "100",
        "--threads",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let m = round_trip(
        &out,
        manifest::FILE_NAME,
        Manifest::from_bytes,
        Manifest::to_bytes,
    );
    let runs = round_trip(
        &out,
        runs_csv::FILE_NAME,
        RunsCsv::from_bytes,
        RunsCsv::to_bytes,
    );
    assert_eq!(runs.grid_keys, ["policy.bake_seconds"]);
    assert_eq!(runs.rows.len() as u64, m.runs);
    let s = round_trip(
        &out,
        summary_json::FILE_NAME,
        SummaryJson::from_bytes,
        SummaryJson::to_bytes,
    );
    assert_eq!(s.check_matches(&m), Ok(()));
    let (rows, figs) = round_trip(&out, summary_csv::FILE_NAME, summary_csv::from_bytes, |r| {
        summary_csv::to_bytes(&r.0, r.1)
    });
    assert_eq!(figs, m.figures());
    assert_eq!(rows.len(), s.groups.len());
    round_trip(&out, paired_csv::FILE_NAME, paired_csv::from_bytes, |r| {
        paired_csv::to_bytes(r)
    });
    let pareto = round_trip(&out, pareto_csv::FILE_NAME, pareto_csv::from_bytes, |r| {
        pareto_csv::to_bytes(r)
    });
    assert_eq!(pareto.len(), m.policies.len());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_check_baseline_and_junit_read_back_byte_for_byte() {
    let dir = temp_dir("artifacts-check");
    let suite = dir.join("suite.toml");
    std::fs::write(
        &suite,
        r#"schema_version = 1
name = "artifacts"
policies = ["gated-10pct"]
scenarios = ["good-release", "memory-leak"]
seeds = 3
bootstrap = 100
set = ["scenario.run.horizon_seconds=300"]
assertions = [
  "memory-leak: detection_rate >= 0.5",
  "good-release: deploy_duration.p50 <= 1s",
]
"#,
    )
    .unwrap();
    let (baseline, junit) = (dir.join("baseline.json"), dir.join("junit.xml"));
    let o = cli(&[
        "check",
        "--suite",
        suite.to_str().unwrap(),
        "--baseline",
        baseline.to_str().unwrap(),
        "--update-baseline",
        "--junit",
        junit.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    let b = round_trip(
        &dir,
        "baseline.json",
        BaselineFile::from_bytes,
        BaselineFile::to_bytes,
    );
    assert_eq!(b.runs.len(), 6);
    let j = round_trip(&dir, "junit.xml", JUnit::from_bytes, JUnit::to_bytes);
    assert_eq!(j.suites[0].name, "assertions");
    // Against its own baseline: the JUnit has the baseline suite too.
    let o = cli(&[
        "check",
        "--suite",
        suite.to_str().unwrap(),
        "--baseline",
        baseline.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--force",
    ]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    let j = round_trip(&dir, "junit.xml", JUnit::from_bytes, JUnit::to_bytes);
    assert_eq!(j.suites.len(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}
