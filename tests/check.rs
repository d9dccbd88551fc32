//! `rollcage check`: a suite that passes, the same suite failing after a gate is
//! loosened (assertions and the baseline both say so), broken input, and JUnit XML in
//! the structure CI systems read.

mod common;

use std::path::Path;

use common::{cli, run_fails, stderr, stdout, temp_dir};

const SUITE: &str = r#"schema_version = 1
name = "checkout"
policies = ["policy.toml"]
scenarios = ["good-release", "memory-leak", "error-regression"]
seeds = 6
assertions = [
  "memory-leak: detection_rate >= 0.95",
  "error-regression: escape_rate <= 5%",
  "good-release: false_rollback_rate <= 1%",
  "all: budget_consumed.p95 <= 2%",
  "good-release: deploy_duration.p50 <= 30m",
]
"#;

fn policy() -> String {
    policies::BUILTIN
        .iter()
        .find(|(n, _)| *n == "gated-10pct")
        .unwrap()
        .1
        .replace("name = \"gated-10pct\"", "name = \"checkout-policy\"")
}

/// The same policy with its error gate loosened to 50% and its restart gate gone.
fn loosened() -> String {
    let p = policy().replace("threshold = 0.01", "threshold = 0.5");
    let cut = p.find("[[gates]]\nname = \"restarts\"").unwrap();
    p[..cut].to_string()
}

fn setup(dir: &Path) -> String {
    std::fs::write(dir.join("suite.toml"), SUITE).unwrap();
    std::fs::write(dir.join("policy.toml"), policy()).unwrap();
    dir.join("suite.toml").to_string_lossy().into_owned()
}

/// Checks the JUnit structure CI systems read: `testsuites` > `testsuite` >
/// `testcase` (> `failure`), with counts that add up. Returns (tests, failures).
fn junit_counts(path: &Path) -> (usize, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let (mut tests, mut failures) = (0, 0);
    for suite in root.children().filter(|n| n.is_element()) {
        assert_eq!(suite.tag_name().name(), "testsuite");
        assert!(suite.attribute("name").is_some());
        let cases: Vec<_> = suite.children().filter(|n| n.is_element()).collect();
        assert!(cases.iter().all(|c| c.tag_name().name() == "testcase"));
        let failed: Vec<_> = cases
            .iter()
            .filter(|c| {
                c.children()
                    .any(|f| f.is_element() && f.tag_name().name() == "failure")
            })
            .collect();
        for c in &cases {
            assert!(c.attribute("name").is_some() && c.attribute("classname").is_some());
            for f in c.children().filter(|f| f.is_element()) {
                assert_eq!(f.tag_name().name(), "failure");
                assert!(!f.attribute("message").unwrap().is_empty());
            }
        }
        assert_eq!(
            suite.attribute("tests").unwrap().parse::<usize>().unwrap(),
            cases.len()
        );
        assert_eq!(
            suite
                .attribute("failures")
                .unwrap()
                .parse::<usize>()
                .unwrap(),
            failed.len()
        );
        tests += cases.len();
        failures += failed.len();
    }
    assert_eq!(
        root.attribute("tests").unwrap().parse::<usize>().unwrap(),
        tests
    );
    assert_eq!(
        root.attribute("failures")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        failures
    );
    (tests, failures)
}

#[test]
fn a_suite_passes_then_fails_when_a_gate_is_loosened() {
    let dir = temp_dir("check-loop");
    let suite = setup(&dir);
    let baseline = dir.join("baseline.json");
    let b = baseline.to_str().unwrap();
    let junit = dir.join("junit.xml");
    let md = dir.join("check.md");
    // The policy holds up, and its runs become the baseline.
    let o = cli(&[
        "check",
        "--suite",
        &suite,
        "--baseline",
        b,
        "--update-baseline",
        "--junit",
        junit.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("7 of 7 assertions hold"),
        "{}",
        stdout(&o)
    );
    assert_eq!(junit_counts(&junit), (7, 0));
    let first = std::fs::read(&baseline).unwrap();
    // Comparing with itself: nothing moves.
    let o = cli(&["check", "--suite", &suite, "--baseline", b]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 metrics regressed"));
    // Someone loosens the gates: CI fails and says which assertion, and what regressed.
    std::fs::write(dir.join("policy.toml"), loosened()).unwrap();
    let mut args = vec![
        "check",
        "--suite",
        &suite,
        "--baseline",
        b,
        "--junit",
        junit.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ];
    // The first check's JUnit file is there: replacing it takes --force.
    run_fails(
        &args,
        2,
        &format!(
            "{}: --junit: the file exists; pass --force to overwrite it",
            junit.display()
        ),
    );
    assert_eq!(junit_counts(&junit), (7, 0), "untouched");
    assert!(!md.exists());
    args.push("--force");
    let o = cli(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("FAIL  memory-leak / checkout-policy: memory-leak: detection_rate >= 0.95"),
        "{out}"
    );
    assert!(
        out.contains("regressed    memory-leak / checkout-policy: detection_rate"),
        "{out}"
    );
    let (tests, failures) = junit_counts(&junit);
    assert!(
        tests > 7 && failures >= 2,
        "{tests} tests, {failures} failures"
    );
    let junit_text = std::fs::read_to_string(&junit).unwrap();
    assert!(
        junit_text.contains("needs &gt;= 95.00%"),
        "the threshold is in the message"
    );
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.starts_with("### rollcage check `checkout`: FAILED"));
    assert!(markdown.contains(
        "| ❌ | memory-leak | checkout-policy | `memory-leak: detection_rate >= 0.95` |"
    ));
    assert!(markdown.contains("🔴 regressed"));
    // Without --update-baseline the baseline is untouched.
    assert_eq!(std::fs::read(&baseline).unwrap(), first);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn interval_judging_is_lenient_where_estimates_fail() {
    let dir = temp_dir("check-judge");
    std::fs::write(dir.join("policy.toml"), policy()).unwrap();
    // 6 seeds: 100% detection has a Wilson interval reaching down to about 61%.
    let suite = SUITE
        .replace(
            "memory-leak: detection_rate >= 0.95",
            "memory-leak: detection_rate >= 0.99",
        )
        .replace("seeds = 6", "seeds = 4");
    let strict = suite.replace(
        "assertions = [",
        "judge = \"estimate\"\nassertions = [\n  \"memory-leak: detection_rate <= 0.7\",",
    );
    std::fs::write(dir.join("suite.toml"), &strict).unwrap();
    let s = dir.join("suite.toml");
    let o = cli(&["check", "--suite", s.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "100% is above 70%: {}",
        stdout(&o)
    );
    let lenient = strict.replace("judge = \"estimate\"", "judge = \"interval\"");
    std::fs::write(&s, lenient).unwrap();
    let o = cli(&["check", "--suite", s.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the interval reaches below 70%: {}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("judged by the whole interval"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_broken_suite_exits_2_with_file_key_and_reason() {
    let dir = temp_dir("check-broken");
    std::fs::write(dir.join("policy.toml"), policy()).unwrap();
    let s = dir.join("suite.toml");
    std::fs::write(
        &s,
        r#"schema_version = 1
name = "broken"
policies = ["policy.toml", "no-such-policy"]
scenarios = ["good-release", "memory-leek"]
seeds = 3
judge = "strict"
assertions = [
  "memory-leak detection_rate >= 0.95",
  "good-release: deploy_duration.p42 <= 20m",
  "good-relase: false_rollback_rate <= 1%",
]
"#,
    )
    .unwrap();
    let p = s.to_str().unwrap();
    let err = run_fails(&["check", "--suite", p], 2, "");
    for needle in [
        format!("{p}: judge: unknown value \"strict\""),
        format!("{p}: assertions[0]: `memory-leak detection_rate >= 0.95`: expected `SCOPE: METRIC OP VALUE`"),
        format!("{p}: assertions[1]: `good-release: deploy_duration.p42 <= 20m`: unknown statistic"),
        "no-such-policy: no built-in policy of that name and no such file".to_string(),
        "memory-leek: no built-in scenario of that name and no such file (did you mean `memory-leak`?)".to_string(),
    ] {
        assert!(err.contains(&needle), "missing `{needle}` in:\n{err}");
    }
    // With the scenarios fixed, an assertion on a scenario the suite does not run.
    let fixed = std::fs::read_to_string(&s)
        .unwrap()
        .replace("memory-leek", "memory-leak")
        .replace(", \"no-such-policy\"", "")
        .replace("judge = \"strict\"\n", "")
        .replace("  \"memory-leak detection_rate >= 0.95\",\n", "")
        .replace("p42", "p50");
    std::fs::write(&s, fixed).unwrap();
    run_fails(
        &["check", "--suite", p],
        2,
        "assertions[1]: `good-relase: false_rollback_rate <= 1%`: the suite runs no scenario named `good-relase` (did you mean `good-release`?)",
    );
    // A baseline that does not exist, without --update-baseline.
    let good = std::fs::read_to_string(&s)
        .unwrap()
        .replace("good-relase", "good-release");
    std::fs::write(&s, good).unwrap();
    run_fails(
        &[
            "check",
            "--suite",
            p,
            "--baseline",
            dir.join("nope.json").to_str().unwrap(),
        ],
        2,
        "no such baseline; write one with --update-baseline",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// The CI example's suite passes against its committed baseline. When a change to the
/// engine or to the example's policy moves the example on purpose, refresh it with
/// `rollcage check --suite examples/ci/checkout/suite.toml --baseline
/// examples/ci/checkout/baseline.json --update-baseline`.
#[test]
fn the_ci_example_passes_against_its_baseline() {
    let root = env!("CARGO_MANIFEST_DIR");
    let o = cli(&[
        "check",
        "--suite",
        &format!("{root}/examples/ci/checkout/suite.toml"),
        "--baseline",
        &format!("{root}/examples/ci/checkout/baseline.json"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("0 metrics regressed"), "{}", stdout(&o));
}

/// Counts a suite cannot mean, and `set` entries that break a scenario, are refused
/// naming the suite file and the key; a non-empty --out and existing --junit or
/// --markdown files are refused suggesting --force (check has no --resume), before
/// anything runs.
#[test]
fn suite_counts_set_entries_and_existing_outputs_are_refused() {
    let dir = temp_dir("check-bounds");
    let suite = setup(&dir);
    let s = dir.join("suite.toml");
    let text = SUITE.replace("seeds = 6", "seeds = 0\nbootstrap = 99\nset = [\"scenario.run.horizon_seconds=300\", \"scenario.fleet.replicas=-1\"]");
    std::fs::write(&s, text).unwrap();
    let err = run_fails(&["check", "--suite", &suite], 2, "");
    for needle in [
        format!("{suite}: seeds: must be at least 1"),
        format!("{suite}: bootstrap: 99 resamples: expected 100 to 100000"),
        format!(
            "{suite}: set[1] \"scenario.fleet.replicas=-1\": fleet.replicas: must be a whole number of at least 1, found -1"
        ),
    ] {
        assert!(err.contains(&needle), "missing `{needle}` in:\n{err}");
    }
    assert!(!err.contains("--set"), "the suite has no --set: {err}");
    // `seeds = 0` used to pass on one run; `bootstrap = 0` gave zero-width intervals.
    std::fs::write(&s, SUITE.replace("seeds = 6", "seeds = 2\nbootstrap = 0")).unwrap();
    run_fails(&["check", "--suite", &suite], 2, "bootstrap: 0 resamples");

    std::fs::write(&s, SUITE.replace("seeds = 6", "seeds = 2")).unwrap();
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let err = run_fails(
        &["check", "--suite", &suite, "--out", out.to_str().unwrap()],
        2,
        "pass --force",
    );
    assert!(!err.contains("--resume"), "{err}");
    let md = dir.join("check.md");
    std::fs::write(&md, "my notes").unwrap();
    run_fails(
        &[
            "check",
            "--suite",
            &suite,
            "--markdown",
            md.to_str().unwrap(),
        ],
        2,
        &format!(
            "{}: --markdown: the file exists; pass --force",
            md.display()
        ),
    );
    assert_eq!(std::fs::read_to_string(&md).unwrap(), "my notes");
    assert!(
        !out.join("runs.csv").exists(),
        "refused before anything ran"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
