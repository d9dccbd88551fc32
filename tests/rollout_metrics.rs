//! The deployment-progress (M3), healthy-ratio (M5), new-version crash-rate (M6) and
//! dependency-error (M10) figures, on runs whose values are known by construction, and
//! their way through `runs.csv`, the sweep statistics and `check`.

mod common;

use common::run;
use reports::artifacts::runs_csv::{Columns, RunIdentity, header, row};
use reports::check::{Assertion, Judge, judge};
use reports::sweep::{Bootstrap, summarize};
use reports::vocab::{Metric, Stat};
use reports::{Outcome, RunMetrics};

/// CodeDeploy one at a time on 20 pods: 20 batches, each one 10 s start of one pod
/// (no bake), so 10 s per batch, 360 per hour, and 19 of 20 pods available throughout.
#[test]
fn one_at_a_time_batches_take_one_start_each() {
    let (_, m) = run("good-release", "codedeploy-one-at-a-time", 1, &[]);
    assert_eq!(m.outcome, Outcome::Succeeded);
    assert_eq!(m.batches, 20);
    assert_eq!(m.batch_time_mean_s, Some(10.0));
    assert_eq!(m.batch_time_max_s, Some(10.0));
    assert_eq!(m.batches_per_hour, Some(360.0));
    assert_eq!(m.healthy_ratio_min, Some(0.95));
    assert_eq!(m.healthy_ratio_mean, Some(0.95));
}

/// The reference rollout: batches of 2 of 20 pods, no surge, a 10 s start then a 30 s
/// bake: 10 batches of 40 s; each batch has 18 of 20 available for 10 s and 20 for
/// 30 s, so the mean is (0.9 × 10 + 1 × 30) / 40 = 0.975 and the minimum 0.9.
#[test]
fn reference_batches_include_their_bake() {
    let (_, m) = run("good-release", "reference", 1, &[]);
    assert_eq!(m.outcome, Outcome::Succeeded);
    assert_eq!(m.batches, 10);
    assert_eq!(m.batch_time_mean_s, Some(40.0));
    assert_eq!(m.batch_time_max_s, Some(40.0));
    assert_eq!(m.batches_per_hour, Some(90.0));
    assert_eq!(m.healthy_ratio_min, Some(0.9));
    let mean = m.healthy_ratio_mean.unwrap();
    assert!((mean - 0.975).abs() < 1e-9, "{mean}");
}

/// No surge and `max_unavailable` 1 of 10: never fewer than 9 of 10 available.
#[test]
fn max_unavailable_one_of_ten_keeps_nine_tenths() {
    let (_, m) = run(
        "good-release",
        "reference",
        1,
        &[
            "scenario.fleet.replicas=10",
            "scenario.traffic.rate=200",
            "policy.max_unavailable=1",
        ],
    );
    assert_eq!(m.outcome, Outcome::Succeeded);
    assert_eq!(m.batches, 10);
    assert_eq!(m.healthy_ratio_min, Some(0.9));
    let mean = m.healthy_ratio_mean.unwrap();
    assert!((mean - 0.975).abs() < 1e-9, "{mean}");
}

/// A candidate that crashes on every start: 1000 crashes per 1000 starts, and its
/// change never ends, so its only batch is unfinished and not counted. A good release
/// crashes never.
#[test]
fn a_crash_loop_crashes_on_every_start() {
    let (_, m) = run("crashloop", "k8s-default", 1, &[]);
    assert!(m.candidate_starts > 10, "{}", m.candidate_starts);
    assert_eq!(m.candidate_crashes, m.candidate_starts);
    assert_eq!(m.candidate_crash_rate, Some(1000.0));
    assert_eq!(m.t_change_end_s, None);
    assert_eq!((m.batches, m.batch_time_mean_s), (1, None));
    let (_, good) = run("good-release", "k8s-default", 1, &[]);
    assert_eq!(good.candidate_starts, 20);
    assert_eq!(good.candidate_crash_rate, Some(0.0));
}

/// No dependency fault: no call fails, the rate is 0. A dependency failing 25% of calls
/// (every request calls it) during the change: the rate is 0.25 up to binomial noise
/// (over some 200,000 calls its standard deviation is about 0.001).
#[test]
fn dependency_errors_over_calls() {
    let (rec, m) = run("good-release", "reference", 1, &[]);
    assert_eq!(rec.rollout.dependency_calls, 0.0);
    assert_eq!(m.dependency_error_rate, 0.0);
    let (rec, m) = run("dependency-outage", "reference", 1, &[]);
    assert!(rec.rollout.dependency_calls > 100_000.0);
    assert_eq!(
        rec.rollout.dependency_calls.fract(),
        0.0,
        "call_share 1: exact"
    );
    assert!(
        (m.dependency_error_rate - 0.25).abs() < 0.01,
        "{}",
        m.dependency_error_rate
    );
}

fn through_runs_csv(runs: &[RunMetrics]) -> reports::sweep::GroupSummary {
    let head = csv::StringRecord::from(header(&[], reports::vocab::Figures::BASE));
    let columns = Columns::from_header(&head).unwrap();
    let rows: Vec<_> = runs
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let id = RunIdentity {
                run_id: k as u64,
                scenario: "s",
                policy: "p",
                grid_values: &[],
                seed: 1,
                replicate: k as u64,
            };
            columns
                .parse(&csv::StringRecord::from(row(&id, m)))
                .unwrap()
        })
        .collect();
    let boot = Bootstrap {
        master_seed: 1,
        resamples: 50,
    };
    summarize("s", "p", &rows, boot)
}

/// The new figures reach the sweep statistics through `runs.csv` and `check` judges
/// them by their vocabulary names and units.
#[test]
fn new_figures_are_summarised_and_checked() {
    let runs: Vec<RunMetrics> = (0..3)
        .map(|seed| run("good-release", "reference", seed, &[]).1)
        .collect();
    let g = through_runs_csv(&runs);
    let healthy = g.metric(Metric::HealthyRatioMin).unwrap();
    assert_eq!((healthy.n, healthy.censored), (3, 0));
    assert_eq!(healthy.stats.unwrap().p50.value, 0.9);
    let batch = g.metric(Metric::BatchTimeMean).unwrap();
    assert_eq!(Stat::Mean.of(&batch.stats.unwrap()).value, 40.0);
    for (text, passes) in [
        ("all: healthy_ratio_min.p50 >= 0.9", true),
        ("all: healthy_ratio_min.p50 >= 95%", false),
        ("all: batch_time_mean.p95 <= 1m", true),
        ("all: batches_per_hour.mean >= 100", false),
        ("all: candidate_crash_rate.mean <= 0", true),
        ("all: dependency_error_rate.p99 <= 0.01", true),
    ] {
        let a = Assertion::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let v = judge(&a, &g, Judge::Estimate);
        assert_eq!(v.passed, passes, "{text}: {}", v.detail);
    }
    let e = Assertion::parse("all: healthy_ratio_mn.p50 >= 0.9").unwrap_err();
    assert!(e.contains("did you mean `healthy_ratio_min.p50`?"), "{e}");
}
