//! `rollcage check`'s results for people: the terminal text and the Markdown summary
//! for a pull-request comment. The judging is `reports::check`'s; the JUnit file is an
//! artifact (`reports::artifacts::junit`).

use std::fmt::Write;

use reports::check::{Change, CheckResult, MIN_PAIRS};

/// The metrics that did not move, counted.
fn quiet_line(r: &CheckResult) -> String {
    let count = |k: Change| r.changes.iter().filter(|c| c.change == k).count();
    format!(
        "{} metrics within noise, {} with too few paired runs (fewer than {MIN_PAIRS}), {} with none",
        count(Change::WithinNoise),
        count(Change::TooFewPairs),
        count(Change::NoPairs)
    )
}

/// The terminal report.
pub fn text(r: &CheckResult) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "rollcage check: suite {}", r.suite);
    for v in &r.verdicts {
        let mark = if v.passed { "pass" } else { "FAIL" };
        let _ = writeln!(s, "  {mark}  {}\n        {}", v.name(), v.detail);
    }
    if !r.changes.is_empty() {
        let _ = writeln!(s, "  against the baseline:");
        for c in r.changes.iter().filter(|c| c.change.moved()) {
            let _ = writeln!(
                s,
                "  {:<12} {}\n        {}",
                c.change.name(),
                c.name(),
                c.detail()
            );
        }
        let _ = writeln!(s, "  {}", quiet_line(r));
    }
    let _ = writeln!(
        s,
        "  {} of {} assertions hold; {} metrics regressed",
        r.verdicts.len() - r.failed(),
        r.verdicts.len(),
        r.regressed()
    );
    s
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// A Markdown summary fit for a pull-request comment.
pub fn markdown(r: &CheckResult) -> String {
    let mut s = String::new();
    let status = if r.ok() { "passed" } else { "FAILED" };
    let _ = writeln!(s, "### rollcage check `{}`: {status}\n", r.suite);
    let _ = writeln!(
        s,
        "{} of {} assertions hold; {} metrics regressed against the baseline.\n",
        r.verdicts.len() - r.failed(),
        r.verdicts.len(),
        r.regressed()
    );
    let _ = writeln!(
        s,
        "| | scenario | policy | assertion | measured | 95% interval |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for v in &r.verdicts {
        let mark = if v.passed { "✅" } else { "❌" };
        let (value, interval) = match &v.measured {
            Some((value, interval)) => (value.clone(), interval.clone()),
            None => (md_cell(&v.detail), String::new()),
        };
        let _ = writeln!(
            s,
            "| {mark} | {} | {} | `{}` | {value} | {interval} |",
            md_cell(&v.scenario),
            md_cell(&v.policy),
            md_cell(&v.assertion),
        );
    }
    let judged_by = if r
        .verdicts
        .iter()
        .any(|v| v.detail.contains("whole interval"))
    {
        "only when the whole 95% interval is on the wrong side"
    } else {
        "by the point estimate"
    };
    let _ = writeln!(s, "\nAssertions fail {judged_by}.");
    if !r.changes.is_empty() {
        let _ = writeln!(
            s,
            "\n| change | scenario | policy | metric | paired difference |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|");
        for c in r.changes.iter().filter(|c| c.change.moved()) {
            let mark = match c.change {
                Change::Improved => "🟢 improved",
                Change::Regressed => "🔴 regressed",
                Change::WithinNoise => "within noise",
                Change::NoPairs => "no pairs",
                Change::TooFewPairs => "too few pairs",
            };
            let _ = writeln!(
                s,
                "| {mark} | {} | {} | `{}` | {} |",
                md_cell(&c.scenario),
                md_cell(&c.policy),
                c.metric,
                md_cell(&c.detail())
            );
        }
        let _ = writeln!(s, "\n{}.", quiet_line(r));
    }
    let _ = writeln!(
        s,
        "\n<sub>rollcage check, schema_version {}</sub>",
        reports::SCHEMA_VERSION
    );
    s
}
