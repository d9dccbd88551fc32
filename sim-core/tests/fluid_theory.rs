//! The fluid engine against queueing theory: steady M/M/1 at three loads and M/M/c,
//! latency mean, p50 and p95 within 2% of the textbook values, through a whole run
//! (cohorts, shares, counts, bucket masses, scrapes).

mod common;

use sim_core::SimDuration;
use sim_core::dist::ServiceDist;
use sim_core::run;
use sim_core::traffic::RateProfile;
use sim_core::world::{Engine, WorldConfig};

fn fluid(mut w: WorldConfig) -> WorldConfig {
    w.engine = Engine::Fluid {
        step: SimDuration::from_secs(1),
    };
    w
}

/// Mean, p50 and p95 of the run's latency, in ms, and the run's counts conserved.
fn latency(cfg: &WorldConfig) -> (f64, f64, f64) {
    let rec = run(cfg, &mut common::Idle);
    let c = rec.counts;
    assert_eq!(
        c.arrived,
        c.succeeded + c.errors + c.timeouts + c.in_flight_end
    );
    assert!(rec.limit_hit.is_none());
    let h = &rec.latency;
    let ms = |x: f64| x / 1000.0;
    (
        ms(h.mean().unwrap()),
        ms(h.quantile(0.5).unwrap()),
        ms(h.quantile(0.95).unwrap()),
    )
}

fn within(got: f64, want: f64, what: &str) {
    let err = (got - want).abs() / want;
    assert!(
        err < 0.02,
        "{what}: {got:.3} vs theory {want:.3} ({err:.4})"
    );
}

/// Random routing over 20 pods of one worker: each an M/M/1 queue at λ/N, whose
/// sojourn time is exponential of rate μ − λ/N.
#[test]
fn mm1_at_three_loads() {
    for rho in [0.3, 0.6, 0.9] {
        let mut cfg = fluid(common::world(7, 1800));
        let mu = 50.0;
        cfg.traffic = RateProfile::Constant {
            rate: rho * mu * 20.0,
        };
        let rate = mu * (1.0 - rho);
        let (mean, p50, p95) = latency(&cfg);
        within(mean, 1000.0 / rate, &format!("rho {rho} mean"));
        within(p50, 1000.0 * 2f64.ln() / rate, &format!("rho {rho} p50"));
        within(p95, 1000.0 * 20f64.ln() / rate, &format!("rho {rho} p95"));
    }
}

/// The probability that an arrival waits in M/M/c (Erlang C), from its textbook sum.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / f64::from(k);
        sum += term;
    }
    let last = term * a / f64::from(c) / (1.0 - a / f64::from(c));
    last / (sum + last)
}

/// The CDF of the M/M/c sojourn: wait (0 w.p. 1 − C, else Exp(cμ − λ)) plus Exp(μ).
fn mmc_sojourn_cdf(c: u32, lambda: f64, mu: f64, t: f64) -> f64 {
    let p = erlang_c(c, lambda / mu);
    let theta = f64::from(c) * mu - lambda;
    let service = 1.0 - (-mu * t).exp();
    let hypo = 1.0 - (mu * (-theta * t).exp() - theta * (-mu * t).exp()) / (mu - theta);
    (1.0 - p) * service + p * hypo
}

fn quantile(f: impl Fn(f64) -> f64, q: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 100.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < q { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// Four workers per pod (M/M/4 per pod under random routing) at 80% utilisation.
#[test]
fn mmc_with_four_workers() {
    let mut cfg = fluid(common::world(3, 1800));
    cfg.fleet.concurrency = 4;
    let mu = 50.0;
    let lambda = 0.8 * 4.0 * mu;
    cfg.traffic = RateProfile::Constant {
        rate: lambda * 20.0,
    };
    let p = erlang_c(4, lambda / mu);
    let mean = 1000.0 * (1.0 / mu + p / (4.0 * mu - lambda));
    let f = |t: f64| mmc_sojourn_cdf(4, lambda, mu, t);
    let (got_mean, p50, p95) = latency(&cfg);
    within(got_mean, mean, "M/M/4 mean");
    within(p50, 1000.0 * quantile(f, 0.5), "M/M/4 p50");
    within(p95, 1000.0 * quantile(f, 0.95), "M/M/4 p95");
}

/// Deterministic service (M/D/1): Pollaczek-Khinchine's mean, half M/M/1's wait.
#[test]
fn md1_mean_is_pollaczek_khinchine() {
    let mut cfg = fluid(common::world(5, 1800));
    let model = sim_core::version::VersionModel {
        service: ServiceDist::Constant {
            value: SimDuration::from_millis(20),
        },
        ..sim_core::testing::model()
    };
    cfg.versions = [model.clone(), model];
    let rho = 0.6;
    let wait = rho / (2.0 * 50.0 * (1.0 - rho));
    let (mean, _, _) = latency(&cfg);
    within(mean, 1000.0 * (0.02 + wait), "M/D/1 mean");
}

/// A fluid run is a function of its seed: the same seed gives the same record, another
/// seed other counts.
#[test]
fn fluid_runs_are_seeded() {
    let cfg = fluid(common::world(9, 300));
    let a = run(&cfg, &mut common::Idle);
    let b = run(&cfg, &mut common::Idle);
    assert_eq!(a.counts, b.counts);
    assert_eq!(a.timeline, b.timeline);
    let mut other = cfg.clone();
    other.seed = sim_core::rng::RunSeed::new(10, 0, 0);
    assert_ne!(run(&other, &mut common::Idle).counts, a.counts);
    // About 600 requests a second.
    let per_s = a.counts.arrived as f64 / 300.0;
    assert!((per_s - 600.0).abs() < 10.0, "{per_s}");
}
