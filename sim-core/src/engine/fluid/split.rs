//! Counts: a step's arrivals as a Poisson count of its expected number, split over the
//! load balancer's cohorts and over outcomes by binomial draws. Every draw comes from
//! one of the run's seeded streams, so a run stays a function of its seed.

use rand::Rng;
use rand_distr::{Binomial, Distribution, Poisson};

/// A Poisson count of mean `mean` (0 for a mean that is not positive).
pub fn poisson<R: Rng + ?Sized>(rng: &mut R, mean: f64) -> u64 {
    // NaN and negative means alike: no requests.
    if mean.is_nan() || mean <= 0.0 {
        return 0;
    }
    match Poisson::new(mean) {
        Ok(d) => {
            let x: f64 = d.sample(rng);
            x as u64
        }
        // Beyond rand_distr's largest mean (1.8e19) the count is its mean.
        Err(_) => mean as u64,
    }
}

/// A binomial count of `n` trials of probability `p` (clamped to [0, 1]).
pub fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    Binomial::new(n, p).map_or(0, |d| d.sample(rng))
}

/// Splits `total` over `weights` (not all zero, none negative) as a multinomial draw:
/// each part a binomial of what is left, given the weight left. `out[k]` gets part k;
/// the parts sum to `total`.
pub fn multinomial<R: Rng + ?Sized>(rng: &mut R, total: u64, weights: &[f64], out: &mut Vec<u64>) {
    out.clear();
    let mut left_weight: f64 = weights.iter().sum();
    let mut left = total;
    for (k, &w) in weights.iter().enumerate() {
        let part = if k + 1 == weights.len() || w >= left_weight {
            left
        } else if left_weight > 0.0 {
            binomial(rng, left, w / left_weight)
        } else {
            0
        };
        out.push(part);
        left -= part;
        left_weight -= w;
    }
}

/// Rounds a cumulative law to counts: `n` requests over buckets whose cumulative
/// masses are `cdf` (normalised by `total`), each bucket getting the difference of the
/// rounded cumulative counts, so the counts sum to exactly `n` and each is within one
/// of its expected share.
pub fn spread(n: u64, cdf: &[f64], total: f64, mut put: impl FnMut(usize, u64)) {
    if n == 0 || total <= 0.0 {
        return;
    }
    let mut before = 0u64;
    let last = cdf.len().saturating_sub(1);
    for (k, &c) in cdf.iter().enumerate() {
        let upto = if k == last {
            n
        } else {
            ((c / total).min(1.0) * n as f64).round() as u64
        };
        let upto = upto.max(before).min(n);
        if upto > before {
            put(k, upto - before);
        }
        before = upto;
        if before == n {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, RunSeed};

    #[test]
    fn poisson_counts_are_seeded_and_have_their_mean() {
        let draw = |seed| {
            let mut rng = RunSeed::new(seed, 0, 0).stream(Purpose::Arrivals);
            (0..2000)
                .map(|_| poisson(&mut rng, 600.0))
                .collect::<Vec<_>>()
        };
        let a = draw(1);
        assert_eq!(a, draw(1), "same seed, same counts");
        assert_ne!(a, draw(2), "another seed, other counts");
        let mean = a.iter().sum::<u64>() as f64 / a.len() as f64;
        // Standard error of the mean: sqrt(600 / 2000) = 0.55.
        assert!((mean - 600.0).abs() < 2.5, "{mean}");
        let var = a.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / a.len() as f64;
        assert!((var / 600.0 - 1.0).abs() < 0.1, "variance {var}");
        let mut rng = RunSeed::new(1, 0, 0).stream(Purpose::Arrivals);
        assert_eq!(poisson(&mut rng, 0.0), 0);
        assert_eq!(poisson(&mut rng, -1.0), 0);
        assert_eq!(poisson(&mut rng, f64::NAN), 0);
    }

    #[test]
    fn multinomial_parts_sum_and_follow_their_weights() {
        let mut rng = RunSeed::new(3, 0, 0).stream(Purpose::Routing);
        let mut out = Vec::new();
        let mut sums = [0u64; 3];
        for _ in 0..1000 {
            multinomial(&mut rng, 1000, &[1.0, 3.0, 0.0], &mut out);
            assert_eq!(out.iter().sum::<u64>(), 1000);
            assert_eq!(out[2], 0, "a zero weight gets nothing");
            for k in 0..3 {
                sums[k] += out[k];
            }
        }
        let share = sums[0] as f64 / 1e6;
        assert!((share - 0.25).abs() < 0.002, "{share}");
        // One part takes everything.
        multinomial(&mut rng, 17, &[2.0], &mut out);
        assert_eq!(out, vec![17]);
    }

    #[test]
    fn spread_rounds_cumulatively_to_exactly_n() {
        let mut got = Vec::new();
        spread(10, &[0.25, 0.5, 0.75, 1.0], 1.0, |k, c| got.push((k, c)));
        // Cumulative 2.5 -> 3 (round half away from zero), 5, 7.5 -> 8, 10.
        assert_eq!(got, vec![(0, 3), (1, 2), (2, 3), (3, 2)]);
        let mut total = 0;
        spread(7, &[0.1, 0.2, 0.3], 0.3, |_, c| total += c);
        assert_eq!(total, 7, "normalised by the served mass");
        let mut called = false;
        spread(0, &[1.0], 1.0, |_, _| called = true);
        assert!(!called);
    }
}
