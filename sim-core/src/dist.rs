//! Service-time distributions.

use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};

use crate::time::SimDuration;

/// How long a worker takes to serve one request on an unloaded instance, before the
/// version's and the faults' multipliers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ServiceDist {
    /// Exponential with the given mean: the M/M/c textbook case.
    Exponential { mean: SimDuration },
    /// Log-normal with the given mean and shape `sigma` (the standard deviation of the
    /// logarithm): the long right tail real services show.
    LogNormal { mean: SimDuration, sigma: f64 },
    /// Always the same time.
    Constant { value: SimDuration },
}

impl ServiceDist {
    pub fn mean(&self) -> SimDuration {
        match *self {
            ServiceDist::Exponential { mean } | ServiceDist::LogNormal { mean, .. } => mean,
            ServiceDist::Constant { value } => value,
        }
    }

    /// One draw, in nanoseconds as a float so that callers can apply multipliers before
    /// rounding once.
    pub fn sample_nanos<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            ServiceDist::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                e * mean.0 as f64
            }
            ServiceDist::LogNormal { mean, sigma } => {
                // mean = exp(mu + sigma^2 / 2)
                let mu = (mean.0 as f64).ln() - 0.5 * sigma * sigma;
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            ServiceDist::Constant { value } => value.0 as f64,
        }
    }
}

/// An exponential draw with the given mean, in nanoseconds.
pub fn exp_nanos<R: Rng + ?Sized>(rng: &mut R, mean_nanos: f64) -> f64 {
    let e: f64 = Exp1.sample(rng);
    e * mean_nanos
}

/// A uniform draw in `[0, 1)`.
pub fn unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // 53 random bits, the usual construction of a uniform double.
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform index in `0..n` (n > 0), by Lemire's multiply-shift; the bias for the
/// fleet sizes rollcage sees (n < 2^20) is below 2^-44.
pub fn index<R: Rng + ?Sized>(rng: &mut R, n: usize) -> usize {
    debug_assert!(n > 0);
    ((rng.next_u64() as u128 * n as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, RunSeed};

    fn mean_of(d: ServiceDist, n: usize) -> f64 {
        let mut rng = RunSeed::new(1, 0, 0).stream(Purpose::Service);
        (0..n).map(|_| d.sample_nanos(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_parameters() {
        let mean = SimDuration::from_millis(20);
        let n = 200_000;
        for d in [
            ServiceDist::Exponential { mean },
            ServiceDist::LogNormal { mean, sigma: 0.8 },
            ServiceDist::Constant { value: mean },
        ] {
            let m = mean_of(d, n);
            let rel = (m - mean.0 as f64).abs() / mean.0 as f64;
            assert!(rel < 0.01, "{d:?}: sample mean {m} off by {rel}");
        }
    }

    #[test]
    fn unit_and_index_stay_in_range() {
        let mut rng = RunSeed::new(2, 0, 0).stream(Purpose::Routing);
        let mut counts = [0u32; 5];
        for _ in 0..50_000 {
            let u = unit(&mut rng);
            assert!((0.0..1.0).contains(&u));
            counts[index(&mut rng, 5)] += 1;
        }
        for c in counts {
            assert!(
                (9_500..10_500).contains(&c),
                "index not uniform: {counts:?}"
            );
        }
    }
}
