//! The model against theory: queueing formulas and the SRE Workbook's burn-rate
//! arithmetic, through the built-in scenarios.

mod common;

use common::run;

/// `steady` over a long run: each of 20 randomly-routed instances is an M/M/1 queue with
/// λ/N = 30/s and μ = 50/s, so the sojourn time is exponential with rate μ − λ/N.
#[test]
fn steady_matches_mm1_mean_and_p95() {
    let (rec, m) = run("steady", "noop", 7, &["scenario.run.horizon_seconds=7200"]);
    let rate = 50.0 - 600.0 / 20.0;
    let mean = 1000.0 / rate;
    let p95 = 1000.0 * 20f64.ln() / rate;
    let got_mean = m.latency_mean_ms.unwrap();
    let got_p95 = m.latency_p95_ms.unwrap();
    assert!(
        (got_mean - mean).abs() / mean < 0.02,
        "mean {got_mean} vs {mean}"
    );
    assert!((got_p95 - p95).abs() / p95 < 0.03, "p95 {got_p95} vs {p95}");
    common::assert_conserved(&rec);
    assert_eq!(m.outcome.name(), "succeeded");
}

/// The same law for a least-loaded balancer is not M/M/1, but with a single worker
/// and a constant service time the queue never waits when load is spread perfectly:
/// round-robin at λ/N < μ with deterministic service keeps latency near the service
/// time. A check that the balancer strategies really differ.
#[test]
fn least_outstanding_beats_random_routing() {
    let horizon = "scenario.run.horizon_seconds=900";
    let (_, random) = run("steady", "noop", 3, &[horizon]);
    let (_, least) = run(
        "steady",
        "noop",
        3,
        &[horizon, "scenario.load_balancer.strategy=least-outstanding"],
    );
    let (_, p2c) = run(
        "steady",
        "noop",
        3,
        &[horizon, "scenario.load_balancer.strategy=power-of-two"],
    );
    let r = random.latency_p95_ms.unwrap();
    let l = least.latency_p95_ms.unwrap();
    let p = p2c.latency_p95_ms.unwrap();
    assert!(l < 0.7 * r, "least-outstanding p95 {l} vs random {r}");
    assert!(p < 0.8 * r, "power-of-two p95 {p} vs random {r}");
}

/// Little's law on the timeline: mean in-flight = arrival rate × mean sojourn time.
#[test]
fn littles_law_holds_on_the_timeline() {
    let (rec, m) = run("steady", "noop", 11, &["scenario.run.horizon_seconds=3600"]);
    let rows = &rec.timeline;
    let in_flight = rows.iter().map(|r| r.in_flight as f64).sum::<f64>() / rows.len() as f64;
    let expected = 600.0 * m.latency_mean_ms.unwrap() / 1000.0;
    assert!(
        (in_flight - expected).abs() / expected < 0.05,
        "L = {in_flight}, λW = {expected}"
    );
}

/// A 50% error regression on the whole fleet burns the budget 500× too fast. With
/// healthy history before t = 0 at 600/s, the 1 h window passes 14.4 once
/// 14.4 × 0.001 × 3600 × 600 = 31 104 bad requests have accrued at 300/s: 103.7 s after
/// the impact starts, then the sample must be scraped (15 s) and become visible (30 s).
#[test]
fn pager_fires_when_the_workbook_says() {
    let (_, m) = run(
        "error-regression",
        "k8s-default",
        5,
        &[
            "scenario.candidate.error_probability=0.5",
            "scenario.observability.metrics_lag_seconds=30",
        ],
    );
    assert_eq!(m.detector.as_deref(), Some("slo_pager"));
    let ttd = m.ttd_s.unwrap();
    // The fleet is all-candidate 20 s after the start; impact begins at the first
    // candidate request, so allow the ramp.
    // Candidates serve from t = 70 s and take the whole fleet by 80 s, so the threshold
    // is crossed about 100 s after the first bad request; the next scrape (≤ 15 s) and
    // the 30 s lag follow, and the pager evaluates at scrapes.
    assert!(
        (100.0..=100.0 + 15.0 + 30.0 + 10.0).contains(&ttd),
        "ttd {ttd}"
    );
}

/// Budget arithmetic: bad / (ε × expected events in the 30-day window).
#[test]
fn budget_is_bad_events_over_the_window_allowance() {
    let (rec, m) = run("error-regression", "k8s-default", 2, &[]);
    let allowance = 0.001 * 600.0 * 30.0 * 86_400.0;
    let expected = 100.0 * rec.counts.bad_total() as f64 / allowance;
    assert!((m.budget_consumed_pct - expected).abs() < 1e-9);
    assert!(m.budget_consumed_pct > 0.0);
}
