//! The engine against queueing theory: with random routing each of N instances is an
//! independent M/M/1 queue with arrival rate λ/N, so the sojourn time is exponential
//! with rate μ − λ/N.

mod common;

use sim_core::run;

#[test]
fn steady_fleet_matches_mm1_theory() {
    let cfg = common::world(11, 3600);
    let rec = run(&cfg, &mut common::Idle);
    let mu = 50.0; // 1 / 20 ms
    let per_instance = 600.0 / 20.0;
    let rate = mu - per_instance; // 20 per second
    let mean_theory_ms = 1000.0 / rate; // 50 ms
    let p95_theory_ms = 1000.0 * 20f64.ln() / rate; // ln(20) / (μ − λ/N) ≈ 149.8 ms
    let mean_ms = rec.latency.mean().unwrap() / 1000.0;
    let p95_ms = rec.latency.quantile(0.95).unwrap() / 1000.0;
    eprintln!(
        "mean {mean_ms} p95 {p95_ms} events {}",
        rec.events_processed
    );
    let mean_err = (mean_ms - mean_theory_ms).abs() / mean_theory_ms;
    let p95_err = (p95_ms - p95_theory_ms).abs() / p95_theory_ms;
    assert!(
        mean_err < 0.02,
        "mean {mean_ms:.2} ms vs {mean_theory_ms:.2} ms ({mean_err:.4})"
    );
    assert!(
        p95_err < 0.03,
        "p95 {p95_ms:.2} ms vs {p95_theory_ms:.2} ms ({p95_err:.4})"
    );
    let c = rec.counts;
    assert_eq!(
        c.arrived,
        c.succeeded + c.errors + c.timeouts + c.in_flight_end
    );
    assert_eq!(c.errors + c.timeouts, 0);
}
