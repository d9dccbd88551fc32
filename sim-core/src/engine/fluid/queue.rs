//! The queue of a pod (or of a pool of pods) over one step: the fluid backlog carried
//! from step to step, and the stationary wait of the requests that find no backlog.
//!
//! A step's requests see two kinds of waiting. When the load a pod is offered exceeds
//! what its workers serve, the excess piles up as a backlog that outlives the step
//! (a fluid queue: it grows by the excess, drains by the spare capacity, is cut at
//! the queue limit by shedding and at the client's timeout by expiry); a request
//! waits for the backlog ahead of it. Below capacity, requests still wait for each
//! other by chance: that wait is the queue's stationary one at the step's load, from
//! queueing theory (Erlang C with the Allen-Cunneen correction for the variability of
//! arrivals and service). Both are driven by the step's expected load, not by its
//! Poisson count: the stationary law already holds the count's fluctuation, and
//! feeding the count in as well would count it twice (the wait is convex in the load,
//! so the noise alone would raise the mean).

/// The highest utilisation the stationary wait is taken at: the law's wait grows
/// without bound as the load reaches capacity, where the fluid backlog takes over.
pub const RHO_MAX: f64 = 0.98;

/// The probability that an arrival waits in an M/M/c queue of `servers` at offered
/// load `a = λ / μ` (Erlang C), from Erlang B's recursion, which stays finite for any
/// number of servers. 1 at or above capacity.
pub fn erlang_c(servers: u64, a: f64) -> f64 {
    let c = servers as f64;
    if a <= 0.0 {
        return 0.0;
    }
    if a >= c {
        return 1.0;
    }
    let mut b = 1.0;
    for k in 1..=servers {
        b = a * b / (k as f64 + a * b);
    }
    let rho = a / c;
    b / (1.0 - rho * (1.0 - b))
}

/// How a pool's requests reach its pods, as far as waiting goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Routing {
    /// Each pod is a queue of its own fed by a renewal stream whose interarrival
    /// times have squared coefficient of variation `ca2`: 1 for random routing
    /// (Poisson splitting), `1 / pods` for round-robin (every pods-th request).
    Independent { ca2: f64 },
    /// Two random pods, the less loaded wins (the supermarket model's limit).
    PowerOfTwo,
    /// Least-outstanding: the pool's pods behave as one queue with all their
    /// workers (`servers`), offered `lambda` requests per second at `mu` each.
    Pooled { servers: u64, lambda: f64, mu: f64 },
}

/// The stationary wait of a request at a pod with `workers` workers of mean service
/// `1 / mu` (per second) and squared coefficient of variation `cs2`, offered `lambda`
/// requests per second: `(p_wait, rate)`, the chance of waiting at all and the rate
/// (per second) of the exponential wait when it does.
pub fn stationary_wait(
    routing: Routing,
    workers: u32,
    lambda: f64,
    mu: f64,
    cs2: f64,
) -> (f64, f64) {
    if lambda <= 0.0 || mu <= 0.0 {
        return (0.0, 0.0);
    }
    let (servers, lambda, mu, ca2) = match routing {
        Routing::Independent { ca2 } => (u64::from(workers), lambda, mu, ca2),
        Routing::Pooled {
            servers,
            lambda,
            mu,
        } => (servers.max(1), lambda, mu, 1.0),
        Routing::PowerOfTwo => {
            // The pod as one server of rate workers × mu. With d = 2 choices the share
            // of queues holding at least k requests is rho^(2^k - 1) (Mitzenmacher);
            // Little's law turns their sum into the mean sojourn, less the service.
            let rate = f64::from(workers) * mu;
            let rho = (lambda / rate).min(RHO_MAX);
            let mut held = 0.0;
            let mut exponent = 1.0f64;
            loop {
                let share = rho.powf(exponent);
                held += share;
                if share < 1e-15 {
                    break;
                }
                exponent = 2.0 * exponent + 1.0;
            }
            let mean_wait = (held / (rho * rate) - 1.0 / rate).max(0.0) * (1.0 + cs2) / 2.0;
            let p = rho * rho;
            if mean_wait <= 0.0 || p <= 0.0 {
                return (0.0, 0.0);
            }
            return (p, p / mean_wait);
        }
    };
    let c = servers as f64;
    let rho = (lambda / (c * mu)).min(RHO_MAX);
    let a = rho * c;
    let p = erlang_c(servers, a);
    let spread = (ca2 + cs2) / 2.0;
    if p <= 0.0 || spread <= 0.0 {
        return (0.0, 0.0);
    }
    (p, c * mu * (1.0 - rho) / spread)
}

/// How long a queue takes to settle to its stationary law after its load changes:
/// the M/M/1 relaxation time `1 / (μ (1 − √ρ)²)` (Morse), for a pod's workers taken as
/// one server of their total rate (a pooled queue of many workers settles at once).
pub fn relaxation_s(routing: Routing, workers: u32, lambda: f64, mu: f64) -> f64 {
    let (rate, lambda) = match routing {
        Routing::Pooled {
            servers,
            lambda,
            mu,
        } => (servers as f64 * mu, lambda),
        Routing::Independent { .. } | Routing::PowerOfTwo => (f64::from(workers) * mu, lambda),
    };
    if rate <= 0.0 {
        return 0.0;
    }
    let rho = (lambda / rate).clamp(0.0, RHO_MAX);
    let gap = 1.0 - rho.sqrt();
    RELAXATION_SHARE / (rate * gap * gap)
}

/// The share of the relaxation time the mean wait takes to settle: the asymptotic
/// time is that of the slowest mode, and the mean of a queue filling from empty gets
/// most of the way sooner. A quarter, measured against the per-request engine
/// (docs/engines.md): the relaxation time itself undershoots a 120 s traffic spike's
/// burn by 40%, no relaxation overshoots a rolling update's by 5%.
pub const RELAXATION_SHARE: f64 = 0.25;

/// A first-order lag over a step of `dt` seconds: the mean wait moves from `start`
/// towards `target` with time constant `tau`. Returns the mean over the step and the
/// value at its end.
pub fn relax(start: f64, target: f64, tau: f64, dt: f64) -> (f64, f64) {
    if tau <= 0.0 || !start.is_finite() {
        return (target, target);
    }
    let k = (-dt / tau).exp();
    let end = target + (start - target) * k;
    let mean = target + (start - target) * tau / dt * (1.0 - k);
    (mean, end)
}

/// One pod's backlog over one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backlog {
    /// Requests waiting at the step's end.
    pub end: f64,
    /// The mean over the step: what the step's requests wait behind.
    pub mean: f64,
    /// Share of the step's requests refused because the queue was full (shed).
    pub shed: f64,
    /// Share that would wait longer than the timeout: expired unserved.
    pub expired: f64,
}

/// Advances a pod's backlog `start` by one step in which it is offered `inflow`
/// requests and its workers can serve `capacity`. The queue holds at most
/// `queue_limit` (beyond it requests are shed), and a request that would wait longer
/// than the timeout expires unserved, so the backlog is also cut at `timeout_backlog`
/// (what the workers serve in one timeout): whichever bound is lower cuts first.
pub fn advance(
    start: f64,
    inflow: f64,
    capacity: f64,
    queue_limit: f64,
    timeout_backlog: f64,
) -> Backlog {
    let raw = start + inflow - capacity;
    let bound = queue_limit.min(timeout_backlog);
    let end = raw.clamp(0.0, bound);
    let excess = (raw - bound).max(0.0);
    let share = if inflow > 0.0 {
        (excess / inflow).min(1.0)
    } else {
        0.0
    };
    let (shed, expired) = if queue_limit <= timeout_backlog {
        (share, 0.0)
    } else {
        (0.0, share)
    };
    // The backlog moves linearly between its ends, except that one that drains to
    // zero mid-step stays there: the mean is the area over the step.
    let mean = if raw >= 0.0 || start <= 0.0 {
        0.5 * (start + end)
    } else {
        let t = start / (start - raw);
        0.5 * start * t
    };
    Backlog {
        end,
        mean,
        shed,
        expired,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_known_values() {
        // One server: the chance of waiting is the utilisation.
        assert!((erlang_c(1, 0.6) - 0.6).abs() < 1e-12);
        // Two servers at a = 1: C = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(erlang_c(4, 0.0), 0.0);
        assert_eq!(erlang_c(4, 4.0), 1.0, "at capacity every arrival waits");
        // Many servers at a moderate load: nearly nobody waits.
        assert!(erlang_c(3334, 0.6 * 3334.0) < 1e-30);
    }

    #[test]
    fn mm1_wait_has_rate_mu_minus_lambda() {
        let (p, rate) = stationary_wait(Routing::Independent { ca2: 1.0 }, 1, 30.0, 50.0, 1.0);
        assert!((p - 0.6).abs() < 1e-12);
        assert!((rate - 20.0).abs() < 1e-9);
        // Deterministic service halves the mean wait (Pollaczek-Khinchine).
        let (p, rate_d) = stationary_wait(Routing::Independent { ca2: 1.0 }, 1, 30.0, 50.0, 0.0);
        assert!((p / rate_d - 0.5 * 0.6 / 20.0).abs() < 1e-12);
        // Round-robin over many pods and constant service: no wait at all.
        let (p, _) = stationary_wait(Routing::Independent { ca2: 0.0 }, 1, 30.0, 50.0, 0.0);
        assert_eq!(p, 0.0);
    }

    #[test]
    fn the_load_is_capped_below_capacity() {
        let (p, rate) = stationary_wait(Routing::Independent { ca2: 1.0 }, 1, 80.0, 50.0, 1.0);
        assert!((p - RHO_MAX).abs() < 1e-12);
        assert!((rate - 50.0 * (1.0 - RHO_MAX)).abs() < 1e-9);
    }

    #[test]
    fn power_of_two_waits_less_than_random() {
        let (pr, rr) = stationary_wait(Routing::Independent { ca2: 1.0 }, 1, 40.0, 50.0, 1.0);
        let (pp, rp) = stationary_wait(Routing::PowerOfTwo, 1, 40.0, 50.0, 1.0);
        assert!(pp / rp < 0.5 * pr / rr, "{} vs {}", pp / rp, pr / rr);
        assert!(pp > 0.0);
    }

    #[test]
    fn the_wait_relaxes_towards_its_target() {
        // M/M/1 at ρ = 0.64: 1 / (50 × 0.2²) = 0.5 s, of which the share.
        let tau = relaxation_s(Routing::Independent { ca2: 1.0 }, 1, 32.0, 50.0);
        assert!((tau - 0.5 * RELAXATION_SHARE).abs() < 1e-12, "{tau}");
        // One time constant: 1 - 1/e of the way, the mean below the end.
        let (mean, end) = relax(0.0, 1.0, 1.0, 1.0);
        assert!((end - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert!((mean - (-1.0f64).exp()).abs() < 1e-12);
        // At the target it stays; no time constant is an instant change.
        assert_eq!(relax(0.3, 0.3, 2.0, 1.0), (0.3, 0.3));
        assert_eq!(relax(0.0, 0.3, 0.0, 1.0), (0.3, 0.3));
    }

    #[test]
    fn backlog_carries_over_and_drains() {
        // 10 over capacity: the backlog grows by 10 a step.
        let b = advance(0.0, 60.0, 50.0, 1000.0, 500.0);
        assert_eq!((b.end, b.mean, b.shed, b.expired), (10.0, 5.0, 0.0, 0.0));
        let b = advance(b.end, 60.0, 50.0, 1000.0, 500.0);
        assert_eq!(b.end, 20.0);
        // 30 of spare capacity drains 20 in two thirds of the step, then it stays empty.
        let b = advance(20.0, 20.0, 50.0, 1000.0, 500.0);
        assert_eq!(b.end, 0.0);
        assert!((b.mean - 0.5 * 20.0 * (2.0 / 3.0)).abs() < 1e-12);
        // Exactly at capacity nothing changes.
        assert_eq!(advance(7.0, 50.0, 50.0, 1000.0, 500.0).end, 7.0);
    }

    #[test]
    fn a_full_queue_sheds_and_a_long_one_expires() {
        // Queue limit 100 below the timeout's 500: the excess past 100 is shed.
        let b = advance(95.0, 60.0, 50.0, 100.0, 500.0);
        assert_eq!(b.end, 100.0);
        assert!((b.shed - 5.0 / 60.0).abs() < 1e-12);
        assert_eq!(b.expired, 0.0);
        // At the bound exactly: nothing shed.
        assert_eq!(advance(90.0, 60.0, 50.0, 100.0, 500.0).shed, 0.0);
        // Timeout backlog below the limit: the excess expires instead.
        let b = advance(495.0, 60.0, 50.0, 1000.0, 500.0);
        assert!((b.expired - 5.0 / 60.0).abs() < 1e-12);
        assert_eq!(b.shed, 0.0);
        // Nothing offered: nothing refused, and no division by zero.
        let b = advance(100.0, 0.0, 50.0, 100.0, 500.0);
        assert_eq!((b.end, b.shed, b.expired), (50.0, 0.0, 0.0));
    }
}
