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

/// Twenty times the fleet's capacity for two minutes: without a bound every queue would
/// grow by about a thousand requests a second. With `queue_limit` the requests held stay
/// under replicas × (limit + workers) at every scrape, the excess is shed as errors,
/// and every request is still counted once.
#[test]
fn an_overloaded_fleet_sheds_load_and_holds_bounded_queues() {
    let mut cfg = common::world(5, 120);
    cfg.traffic = sim_core::traffic::RateProfile::Constant { rate: 20_000.0 };
    cfg.fleet.queue_limit = 100;
    let rec = run(&cfg, &mut common::Idle);
    assert!(rec.limit_hit.is_none());
    let c = rec.counts;
    assert_eq!(
        c.arrived,
        c.succeeded + c.errors + c.timeouts + c.in_flight_end,
        "{c:?}"
    );
    let bound = u64::from(cfg.fleet.replicas * (cfg.fleet.queue_limit + cfg.fleet.concurrency));
    let held_max = rec.timeline.iter().map(|r| r.in_flight).max().unwrap();
    assert!(held_max <= bound, "{held_max} requests held, bound {bound}");
    // The queues do fill: the bound is reached, not merely respected.
    assert!(
        held_max >= bound - 20,
        "{held_max} requests held, bound {bound}"
    );
    assert!(c.shed > 0 && c.errors >= c.shed, "{c:?}");
    // About 19/20 of the arrivals are refused; served ones are about capacity (1000/s).
    assert!(c.shed as f64 > 0.9 * c.arrived as f64, "{c:?}");
    assert!(c.succeeded < 130_000, "{c:?}");
}
