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

/// Today's sweeps draw no uncertain parameters, so they write no sensitivity files and
/// their report has no sensitivity section. When a sweep's files have them, the report
/// reads them back (checked against the manifest) into the section and the tornadoes.
#[test]
fn sensitivity_files_only_with_uncertain_parameters_and_read_back_when_present() {
    let dir = temp_dir("report-sensitivity");
    let out = dir.join("sweep");
    sweep(&out, &[]);
    for f in ["sensitivity.csv", "budget_exceedance.csv"] {
        assert!(!out.join(f).exists(), "{f} without uncertain parameters");
    }
    let plain = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!plain.contains("Sensitivity"));

    // The files a sweep with uncertain parameters writes, in their own format.
    let sens = "scenario,policy,metric,parameter,rank,n,rho,rho_lo,rho_hi\n\
                memory-leak,gated-10pct,budget_consumed_pct,candidate.leak_rate,1,2,0.900000,0.500000,1.000000\n\
                memory-leak,gated-10pct,budget_consumed_pct,fleet.startup_seconds,2,2,-0.100000,-0.800000,0.600000\n\
                memory-leak,gated-10pct,ttd_s,candidate.leak_rate,,0,,,\n";
    let exc = "scenario,policy,limit_pct,runs,exceeded,probability,probability_lo,probability_hi\n\
               memory-leak,gated-10pct,2.000000,2,1,0.500000,0.094531,0.905469\n";
    fs::write(out.join("sensitivity.csv"), sens).unwrap();
    fs::write(out.join("budget_exceedance.csv"), exc).unwrap();
    run_ok(&["report", &out.display().to_string()]);
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>Sensitivity to uncertain parameters</h2>"));
    assert!(html.contains("<svg id=\"chart-tornado-1-memory-leak-gated-10pct\""));
    assert!(html.contains("50.0% of runs burned more than 2% of the error budget (1 of 2;"));
    assert!(
        out.join("charts/tornado-1-memory-leak-gated-10pct.png")
            .is_file()
    );
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("| budget burned | 1 | `candidate.leak_rate` | 0.90 \\[0.50, 1.00\\] | 2 |"),
        "{md}"
    );

    // One without the other, a bad cell, a group the sweep does not have: refused.
    fs::remove_file(out.join("budget_exceedance.csv")).unwrap();
    refused(
        &out,
        "budget_exceedance.csv: missing (sensitivity.csv is there)",
    );
    fs::write(
        out.join("budget_exceedance.csv"),
        exc.replace("gated-10pct", "other"),
    )
    .unwrap();
    refused(
        &out,
        "line 2: memory-leak under other is not a group of this sweep",
    );
    fs::write(out.join("budget_exceedance.csv"), exc).unwrap();
    fs::write(out.join("sensitivity.csv"), sens.replace("ttd_s", "ttd")).unwrap();
    refused(
        &out,
        "sensitivity.csv: line 4, column 3: `metric`: \"ttd\" is not one of",
    );
    // And the tornado goes with the files (a stale chart of rollcage's is removed).
    fs::remove_file(out.join("sensitivity.csv")).unwrap();
    fs::remove_file(out.join("budget_exceedance.csv")).unwrap();
    run_ok(&["report", &out.display().to_string()]);
    assert!(
        !out.join("charts/tornado-1-memory-leak-gated-10pct.png")
            .exists()
    );
    assert_eq!(fs::read_to_string(out.join("report.html")).unwrap(), plain);
    // `sweep --force` removes them with the other sweep files: a sweep of fixed
    // scenarios leaves none behind.
    fs::write(out.join("sensitivity.csv"), sens).unwrap();
    fs::write(out.join("budget_exceedance.csv"), exc).unwrap();
    sweep(&out, &["--force"]);
    for f in ["sensitivity.csv", "budget_exceedance.csv"] {
        assert!(!out.join(f).exists(), "{f} after --force");
    }
    fs::remove_dir_all(dir).unwrap();
}
