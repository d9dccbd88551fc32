//! `rollcage report` end to end: the report written after `run --out` and `sweep`,
//! rewritten byte for byte by `report DIR`, and clear refusals (exit 2, the file and
//! the problem, never a panic) for directories it cannot read.

mod common;

use std::fs;
use std::path::Path;

use common::{run_fails, run_ok, temp_dir};

const SHORT: &str = "scenario.run.horizon_seconds=300";

/// Runs `report DIR` expecting exit 2 with `needle` in the message.
fn refused(dir: &Path, needle: &str) {
    let err = run_fails(&["report", &dir.display().to_string()], 2, needle);
    assert!(!err.contains("panicked"), "{err}");
}

fn report_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        (
            "report.html".to_string(),
            fs::read(dir.join("report.html")).unwrap(),
        ),
        (
            "report.md".to_string(),
            fs::read(dir.join("report.md")).unwrap(),
        ),
    ];
    let mut charts: Vec<_> = fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    charts.sort();
    for c in charts {
        out.push((
            c.file_name().unwrap().to_string_lossy().into_owned(),
            fs::read(&c).unwrap(),
        ));
    }
    out
}

#[test]
fn run_out_writes_a_report_that_report_rewrites_identically() {
    let dir = temp_dir("report-run");
    let out = dir.join("run");
    let text = run_ok(&[
        "run",
        "--scenario",
        "memory-leak",
        "--policy",
        "gated-10pct",
        "--set",
        SHORT,
        "--out",
        &out.display().to_string(),
    ]);
    assert!(text.contains("report.html (run report"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is a pipe: {text:?}"
    );
    let first = report_files(&out);
    let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["report.html", "report.md", "timeline.png"]);
    let html = String::from_utf8(first[0].1.clone()).unwrap();
    assert!(html.contains("<svg id=\"chart-timeline\""));
    assert!(html.contains("Run: memory-leak under gated-10pct"));
    let md = String::from_utf8(first[1].1.clone()).unwrap();
    assert!(md.contains("](charts/timeline.png)"), "{md}");
    assert!(md.contains("schema_version 1"), "{md}");

    // A chart of an earlier report that this one does not draw goes; the user's own
    // files in charts/ stay; the report comes back byte for byte.
    fs::write(out.join("charts/budget-2-gone.png"), b"stale").unwrap();
    fs::write(out.join("charts/my-own.png"), b"mine").unwrap();
    fs::write(out.join("charts/notes.txt"), b"mine too").unwrap();
    fs::remove_file(out.join("report.html")).unwrap();
    let again = run_ok(&["report", &out.display().to_string()]);
    assert!(again.contains("1 PNG chart"), "{again}");
    assert!(!out.join("charts/budget-2-gone.png").exists());
    assert_eq!(fs::read(out.join("charts/my-own.png")).unwrap(), b"mine");
    assert_eq!(fs::read(out.join("charts/notes.txt")).unwrap(), b"mine too");
    fs::remove_file(out.join("charts/my-own.png")).unwrap();
    fs::remove_file(out.join("charts/notes.txt")).unwrap();
    assert_eq!(report_files(&out), first);
    assert!(!out.join(".rollcage.lock").exists());
    // --json keeps stdout pure JSON.
    let json_out = dir.join("json");
    let text = run_ok(&[
        "run",
        "--set",
        SHORT,
        "--json",
        "--out",
        &json_out.display().to_string(),
    ]);
    serde_json::from_str::<serde_json::Value>(&text).expect("stdout is JSON");
    assert!(json_out.join("report.html").exists());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn report_refuses_what_it_cannot_read() {
    let dir = temp_dir("report-bad");
    refused(&dir.join("nope"), "no such directory");
    fs::write(dir.join("file"), "x").unwrap();
    refused(&dir.join("file"), "not a directory");
    let empty = dir.join("empty");
    fs::create_dir_all(&empty).unwrap();
    refused(&empty, "neither a run directory");

    let run = dir.join("run");
    run_ok(&["run", "--set", SHORT, "--out", &run.display().to_string()]);
    let good = |name: &str| fs::read_to_string(run.join(name)).unwrap();
    let (json, timeline, events) = (good("run.json"), good("timeline.csv"), good("events.csv"));
    let case = |name: &str, file: &str, text: &str, needle: &str| {
        let d = dir.join(name);
        fs::create_dir_all(&d).unwrap();
        for (f, t) in [
            ("run.json", &json),
            ("timeline.csv", &timeline),
            ("events.csv", &events),
        ] {
            fs::write(d.join(f), t).unwrap();
        }
        if text.is_empty() {
            fs::remove_file(d.join(file)).unwrap();
        } else {
            fs::write(d.join(file), text).unwrap();
        }
        refused(&d, needle);
        assert!(!d.join("report.html").exists(), "nothing written on error");
        assert!(!d.join("charts").exists(), "nothing written on error");
    };
    case(
        "not-json",
        "run.json",
        "{ nope",
        "run.json: line 1, column 3: not valid JSON",
    );
    case(
        "future",
        "run.json",
        &json.replace("\"schema_version\": 1", "\"schema_version\": 99"),
        "run.json: schema_version 99; this build reads schema_version 1",
    );
    case(
        "no-outcome",
        "run.json",
        &json.replace("\"outcome\"", "\"result\""),
        // Found missing where the document ends: its last line.
        &format!(
            "run.json: line {}, column 1: missing field `outcome`",
            json.lines().count()
        ),
    );
    let mut lines: Vec<String> = timeline.lines().map(String::from).collect();
    lines[2] = lines[2].replacen(",0.0", ",zero", 1);
    case(
        "bad-number",
        "timeline.csv",
        &(lines.join("\n") + "\n"),
        "timeline.csv: line 3, column 13: `error_ratio`: not a number: \"zero00000\"",
    );
    case(
        "no-column",
        "timeline.csv",
        &timeline.replacen("burn_rate_1h", "burn_1h", 1),
        "timeline.csv: line 1: no `burn_rate_1h` column",
    );
    case("no-events", "events.csv", "", "events.csv: missing");
    fs::remove_dir_all(dir).unwrap();
}

fn sweep(out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "sweep",
        "--scenarios",
        "good-release,memory-leak",
        "--policies",
        "k8s-default,gated-10pct",
        "--set",
        SHORT,
        "--seeds",
        "2",
        "--bootstrap",
        "100",
        "--threads",
        "2",
    ];
    args.extend(extra);
    let out = out.display().to_string();
    args.extend(["--out", &out]);
    run_ok(&args)
}

#[test]
fn sweep_reports_and_refusals() {
    let dir = temp_dir("report-sweep");
    let out = dir.join("sweep");
    let text = sweep(&out, &[]);
    assert!(text.contains("report.html (sweep report"), "{text}");
    assert!(text.contains("Recommendation:"), "{text}");
    let first = report_files(&out);
    let html = String::from_utf8(first[0].1.clone()).unwrap();
    for id in [
        "pareto",
        "rates",
        "ttd-1-memory-leak",
        "budget-2-memory-leak",
    ] {
        assert!(html.contains(&format!("<svg id=\"chart-{id}\"")), "{id}");
    }
    // `report` prints the sweep's table too, and rewrites the same bytes.
    let again = run_ok(&["report", &out.display().to_string()]);
    assert!(again.contains("Pareto frontier"), "{again}");
    assert_eq!(report_files(&out), first);

    // A shard is summarised by merge, not reported.
    let shard = dir.join("shard");
    sweep(&shard, &["--shard", "0/2"]);
    refused(&shard, "shard 0/2 of a sweep");
    // Missing or mismatched files are named.
    let broken = dir.join("broken");
    fs::create_dir_all(&broken).unwrap();
    for f in ["manifest.json", "summary.json", "runs.csv"] {
        fs::copy(out.join(f), broken.join(f)).unwrap();
    }
    fs::remove_file(broken.join("summary.json")).unwrap();
    refused(&broken, "summary.json: missing");
    fs::copy(out.join("summary.json"), broken.join("summary.json")).unwrap();
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    let cut: Vec<&str> = runs.lines().take(3).collect();
    fs::write(broken.join("runs.csv"), cut.join("\n") + "\n").unwrap();
    refused(&broken, "runs.csv: ends after 2 runs; the sweep has 8");
    fs::copy(out.join("runs.csv"), broken.join("runs.csv")).unwrap();
    let summary = fs::read_to_string(out.join("summary.json")).unwrap();
    fs::write(
        broken.join("summary.json"),
        summary.replace("\"scenario\": \"memory-leak\"", "\"scenario\": \"other\""),
    )
    .unwrap();
    refused(
        &broken,
        "summary.json: its groups do not match manifest.json",
    );
    fs::remove_dir_all(dir).unwrap();
}
