//! The wait of a pod seen as an M/G/c queue: what turns a service time into the
//! response time a latency histogram records, and back.
//!
//! Each pod gets a Poisson share of the traffic (the simulator's default random load
//! balancer splits a Poisson stream into Poisson streams) and serves it with `c`
//! workers from one FIFO queue. The probability of waiting is Erlang C; the mean wait is
//! the Allen–Cunneen approximation, Erlang C's M/M/c wait scaled by `(1 + Cs²) / 2`
//! (the arrivals' squared coefficient of variation is 1 for Poisson). For `c = 1` that
//! is the Pollaczek–Khinchine formula, exact for any service distribution; for M/M/c it
//! is exact; in between it is the standard engineering approximation, within a few
//! per cent at moderate load. A wait that happens is taken to be exponential with the
//! conditional mean (exact for M/M/c, close for M/G/1), which is what `latency` needs
//! for the whole distribution, not only the mean.

/// A pod's queue at one load.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Queue {
    /// Requests per second reaching one pod.
    pub arrival_rate: f64,
    /// Workers per pod (`fleet.concurrency`).
    pub workers: u32,
}

/// The wait of one request: none with probability `1 − p_wait`, else exponential with
/// mean `conditional_mean`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wait {
    pub p_wait: f64,
    /// Seconds.
    pub conditional_mean: f64,
}

impl Wait {
    pub const NONE: Wait = Wait {
        p_wait: 0.0,
        conditional_mean: 0.0,
    };

    /// The mean wait, in seconds.
    pub fn mean(&self) -> f64 {
        self.p_wait * self.conditional_mean
    }
}

/// Erlang C: the probability that an arrival waits, `c` servers at offered load `a`
/// Erlangs (`a < c`), through Erlang B's recursion (stable for large `c`).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if a <= 0.0 {
        return 0.0;
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let c = f64::from(c);
    (c * b / (c - a * (1.0 - b))).clamp(0.0, 1.0)
}

impl Queue {
    /// The utilisation at mean service time `mean_s` (seconds): `λ E[S] / c`.
    pub fn utilisation(&self, mean_s: f64) -> f64 {
        self.arrival_rate * mean_s / f64::from(self.workers)
    }

    /// The wait at mean service time `mean_s` and squared coefficient of variation
    /// `cs2`; `None` at or above saturation.
    pub fn wait(&self, mean_s: f64, cs2: f64) -> Option<Wait> {
        let a = self.arrival_rate * mean_s;
        let c = f64::from(self.workers);
        if a >= c {
            return None;
        }
        if a <= 0.0 {
            return Some(Wait::NONE);
        }
        let p_wait = erlang_c(self.workers, a);
        // Allen–Cunneen: E[W] = C(c, a) / (cμ − λ) × (1 + Cs²) / 2, and E[W | W > 0] is
        // that over C(c, a).
        let conditional_mean = mean_s / (c - a) * (1.0 + cs2) / 2.0;
        Some(Wait {
            p_wait,
            conditional_mean,
        })
    }

    /// The mean service time whose mean response time (service plus wait) is
    /// `mean_response_s`, for a service distribution of squared coefficient of
    /// variation `cs2`: the response time grows with the service time, so bisection
    /// finds it, below both the response time and saturation.
    pub fn service_mean_for(&self, mean_response_s: f64, cs2: f64) -> f64 {
        let saturation = f64::from(self.workers) / self.arrival_rate.max(f64::MIN_POSITIVE);
        let (mut lo, mut hi) = (0.0, mean_response_s.min(saturation));
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            let response = self
                .wait(mid, cs2)
                .map_or(f64::INFINITY, |w| mid + w.mean());
            if response > mean_response_s {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_known_values() {
        // One server: the utilisation.
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
        // Two servers at 1 Erlang: 1/3 (a textbook value); ten at 8: 0.4092.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        assert!(
            (erlang_c(10, 8.0) - 0.409_2).abs() < 1e-4,
            "{}",
            erlang_c(10, 8.0)
        );
        assert_eq!(erlang_c(4, 0.0), 0.0);
    }

    #[test]
    fn one_worker_is_pollaczek_khinchine() {
        let q = Queue {
            arrival_rate: 35.0,
            workers: 1,
        };
        // ρ = 0.7: E[W] = ρ E[S] (1 + Cs²) / (2 (1 − ρ)).
        let w = q.wait(0.02, 0.25).unwrap();
        let pk = 0.7 * 0.02 * 1.25 / (2.0 * 0.3);
        assert!((w.mean() - pk).abs() < 1e-12, "{} vs {pk}", w.mean());
        // Exponential service at one worker: M/M/1's E[W] = ρ/(μ − λ).
        let w = q.wait(0.02, 1.0).unwrap();
        assert!((w.mean() - 0.7 / (50.0 - 35.0)).abs() < 1e-12);
        assert!(q.wait(1.0 / 35.0, 1.0).is_none(), "saturated");
    }

    #[test]
    fn the_service_mean_inverts_the_response_mean() {
        let q = Queue {
            arrival_rate: 35.0,
            workers: 1,
        };
        let response = 0.02 + q.wait(0.02, 0.284).unwrap().mean();
        assert!((q.service_mean_for(response, 0.284) - 0.02).abs() < 1e-9);
        // A light load changes almost nothing; no load nothing at all.
        let light = Queue {
            arrival_rate: 0.5,
            workers: 4,
        };
        let s = light.service_mean_for(0.02, 0.284);
        assert!(s < 0.02 && s > 0.019_999, "{s}");
        let idle = Queue {
            arrival_rate: 0.0,
            workers: 1,
        };
        assert!((idle.service_mean_for(0.02, 1.0) - 0.02).abs() < 1e-12);
    }
}
