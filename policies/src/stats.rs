//! The statistics behind the `mann_whitney` gate: a Mann-Whitney U test of the
//! candidate against the baseline, read the way Kayenta's NetflixACAJudge reads it.
//!
//! Observations carry weights so that a latency histogram enters as its buckets (value =
//! the bucket's midpoint, weight = its count) without expanding millions of requests.
//! Ties (every request in one bucket is a tie) are handled with mid-ranks and the tie
//! correction of the variance, as R's `wilcox.test(exact = FALSE, correct = TRUE)` does.
//!
//! The shift estimate is the Hodges-Lehmann estimator (the median of all pairwise
//! differences candidate − baseline) and its confidence interval the distribution-free
//! one built from order statistics of those differences (Moses), with the normal
//! approximation for the rank bound.
//!
//! Kayenta's rule (`MannWhitneyClassifier`, tolerance 0.25, confidence 0.98): the metric
//! is *High* when the whole confidence interval lies above `tolerance × |estimate|` and
//! the effect size (mean ratio candidate / baseline) reaches the allowed increase; *Low*
//! symmetrically. Only a change in the harmful direction fails a gate.

/// One observation: a value and how many times it was seen.
pub type Weighted = (f64, u64);

/// What the test found.
#[derive(Clone, Debug, PartialEq)]
pub struct MannWhitney {
    /// Observations of the candidate (experiment) and the baseline (control).
    pub n_candidate: u64,
    pub n_baseline: u64,
    /// U of the candidate: the number of (candidate, baseline) pairs where the candidate
    /// is larger, ties counting one half.
    pub u: f64,
    /// Two-sided p-value of the normal approximation, tie- and continuity-corrected.
    pub p_value: f64,
    /// Hodges-Lehmann estimate of the shift candidate − baseline.
    pub estimate: f64,
    /// Confidence interval of the shift.
    pub ci_low: f64,
    pub ci_high: f64,
    /// Mean of the candidate over mean of the baseline (Kayenta's effect size).
    pub mean_ratio: f64,
}

/// Kayenta's classes of a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Classification {
    /// Significantly higher than the baseline, beyond the tolerance and the effect size.
    High,
    /// Significantly lower, beyond the tolerance.
    Low,
    /// No meaningful difference.
    Pass,
}

impl Classification {
    pub fn name(self) -> &'static str {
        match self {
            Classification::High => "high",
            Classification::Low => "low",
            Classification::Pass => "pass",
        }
    }
}

/// Kayenta's classification of a test result. `allowed_increase` is the effect size (mean
/// ratio) an increase must reach to count; `allowed_decrease` the one a decrease must go
/// below.
pub fn classify(
    r: &MannWhitney,
    tolerance: f64,
    allowed_increase: f64,
    allowed_decrease: f64,
) -> Classification {
    let bound = tolerance * r.estimate.abs();
    if r.ci_low > bound && r.mean_ratio >= allowed_increase {
        Classification::High
    } else if r.ci_high < -bound && r.mean_ratio <= allowed_decrease {
        Classification::Low
    } else {
        Classification::Pass
    }
}

/// Runs the test; `None` if either side has no observation.
pub fn mann_whitney(
    candidate: &[Weighted],
    baseline: &[Weighted],
    confidence: f64,
) -> Option<MannWhitney> {
    let cand = normalise(candidate);
    let base = normalise(baseline);
    let n: u64 = cand.iter().map(|o| o.1).sum();
    let m: u64 = base.iter().map(|o| o.1).sum();
    if n == 0 || m == 0 {
        return None;
    }
    let (nf, mf) = (n as f64, m as f64);
    let mean =
        |s: &[Weighted], total: f64| s.iter().map(|&(v, w)| v * w as f64).sum::<f64>() / total;
    let mean_ratio = {
        let (a, b) = (mean(&cand, nf), mean(&base, mf));
        if b != 0.0 {
            a / b
        } else if a == 0.0 {
            1.0
        } else {
            f64::INFINITY
        }
    };
    // U by a merge of the two sorted samples: each candidate value beats every smaller
    // baseline value and ties with equal ones.
    let mut u = 0.0;
    let mut below = 0u64;
    let mut j = 0;
    for &(v, w) in &cand {
        while j < base.len() && base[j].0 < v {
            below += base[j].1;
            j += 1;
        }
        let equal = if j < base.len() && base[j].0 == v {
            base[j].1
        } else {
            0
        };
        u += w as f64 * (below as f64 + equal as f64 / 2.0);
    }
    // Tie correction: Σ (t³ − t) over groups of equal values in the pooled sample.
    let total = nf + mf;
    let mut ties = 0.0;
    let (mut a, mut b) = (0, 0);
    while a < cand.len() || b < base.len() {
        let v = match (cand.get(a), base.get(b)) {
            (Some(x), Some(y)) => x.0.min(y.0),
            (Some(x), None) => x.0,
            (None, Some(y)) => y.0,
            (None, None) => unreachable!(),
        };
        let mut t = 0.0;
        if cand.get(a).is_some_and(|x| x.0 == v) {
            t += cand[a].1 as f64;
            a += 1;
        }
        if base.get(b).is_some_and(|y| y.0 == v) {
            t += base[b].1 as f64;
            b += 1;
        }
        ties += t * t * t - t;
    }
    let var = nf * mf / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0)).max(1.0));
    let sd = var.max(0.0).sqrt();
    let centre = nf * mf / 2.0;
    let p_value = if sd == 0.0 {
        1.0
    } else {
        let d = u - centre;
        let corrected = (d.abs() - 0.5).max(0.0);
        (2.0 * normal_sf(corrected / sd)).min(1.0)
    };
    // Pairwise differences, weighted, sorted.
    let mut diffs: Vec<Weighted> = Vec::with_capacity(cand.len() * base.len());
    for &(x, wx) in &cand {
        for &(y, wy) in &base {
            diffs.push((x - y, wx * wy));
        }
    }
    diffs.sort_by(|p, q| p.0.total_cmp(&q.0));
    let pairs = (n as u128) * (m as u128);
    let z = normal_quantile(0.5 + confidence / 2.0);
    let k = (centre - z * sd).floor().max(0.0) as u128;
    let lo_rank = (k + 1).min(pairs);
    let hi_rank = pairs.saturating_sub(k).max(1);
    let median_lo = pairs.div_ceil(2);
    let median_hi = pairs / 2 + 1;
    let estimate = (order_stat(&diffs, median_lo) + order_stat(&diffs, median_hi)) / 2.0;
    Some(MannWhitney {
        n_candidate: n,
        n_baseline: m,
        u,
        p_value,
        estimate,
        ci_low: order_stat(&diffs, lo_rank),
        ci_high: order_stat(&diffs, hi_rank),
        mean_ratio,
    })
}

/// Sorted by value, equal values merged, zero weights and non-finite values dropped.
fn normalise(obs: &[Weighted]) -> Vec<Weighted> {
    let mut v: Vec<Weighted> = obs
        .iter()
        .copied()
        .filter(|&(x, w)| w > 0 && x.is_finite())
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Weighted> = Vec::with_capacity(v.len());
    for (x, w) in v {
        match out.last_mut() {
            Some(last) if last.0 == x => last.1 += w,
            _ => out.push((x, w)),
        }
    }
    out
}

/// The `rank`-th smallest (1-based) of weighted sorted values.
fn order_stat(sorted: &[Weighted], rank: u128) -> f64 {
    let mut seen = 0u128;
    for &(v, w) in sorted {
        seen += w as u128;
        if seen >= rank {
            return v;
        }
    }
    sorted.last().map_or(f64::NAN, |l| l.0)
}

/// Upper tail of the standard normal, `P(Z > x)`, through statrs' `erfc` (within 1e-10
/// of the tables here; the Chebyshev fit it replaced was good to 1.2e-7). A kept library where
/// accuracy is all that matters: the Mann-Whitney itself stays hand-written for its
/// weighted observations.
pub fn normal_sf(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(x / std::f64::consts::SQRT_2)
}

/// Inverse of the standard normal CDF, for `p` in (0, 1): `−√2 · erfc⁻¹(2p)` with statrs'
/// inverse, clamped away from 0 and 1 (where the quantile is infinite and statrs'
/// `Normal::inverse_cdf` would panic outside [0, 1]).
pub fn normal_quantile(p: f64) -> f64 {
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ones(v: &[f64]) -> Vec<Weighted> {
        v.iter().map(|&x| (x, 1)).collect()
    }

    #[test]
    fn normal_functions_match_tables() {
        // Tables to 16 digits (R: qnorm, pnorm); the fits statrs replaced missed the
        // quantile by up to 1e-9 and the tail by up to 1e-7.
        assert!((normal_quantile(0.99) - 2.326_347_874_040_841).abs() < 1e-12);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((normal_quantile(0.01) + 2.326_347_874_040_841).abs() < 1e-12);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        assert!((normal_sf(1.959_963_984_540_054) - 0.025).abs() < 1e-10);
        assert!((normal_sf(-1.0) - 0.841_344_746_068_543).abs() < 1e-10);
        assert!((normal_sf(6.0) / 9.865_876_450_376_946e-10 - 1.0).abs() < 1e-10);
        assert!(normal_quantile(0.0).is_finite() && normal_quantile(1.0).is_finite());
    }

    #[test]
    #[allow(clippy::approx_constant)] // 3.14 is a measurement in the data, not π
    fn u_statistic_and_p_value_match_r() {
        // The two samples of R's `?wilcox.test` example, unpaired, by hand: U = 58 (one
        // tie, 1.29 twice), p = 0.1329 from the normal approximation with the tie and
        // continuity corrections (what wilcox.test(x, y, exact = FALSE) computes).
        let x = ones(&[1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]);
        let y = ones(&[0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]);
        let r = mann_whitney(&x, &y, 0.95).unwrap();
        assert_eq!(r.u, 58.0);
        assert!((r.p_value - 0.1329).abs() < 5e-4, "{}", r.p_value);
    }

    #[test]
    fn hodges_lehmann_estimate_and_interval() {
        // Candidate = baseline + 10 exactly: every pairwise difference is centred on 10.
        let base: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let cand: Vec<f64> = base.iter().map(|v| v + 10.0).collect();
        let r = mann_whitney(&ones(&cand), &ones(&base), 0.98).unwrap();
        assert_eq!(r.estimate, 10.0);
        assert!(r.ci_low < 10.0 && r.ci_high > 10.0);
        assert!(
            r.ci_low > 0.0,
            "a shift of 10 on a spread of 40 is significant"
        );
    }

    /// Heavy ties, within one sample too and after the other is exhausted (the 5s): U
    /// and the tie-corrected p-value as SciPy 1.x computes them
    /// (`mannwhitneyu(x, y, use_continuity=True, method="asymptotic")`: U = 27,
    /// p = 0.4127766913840184; by hand, Σ(t³ − t) = 24 + 6 + 120 + 24 = 174).
    #[test]
    fn the_tie_correction_counts_every_group_of_equal_values() {
        let x = ones(&[1.0, 1.0, 5.0, 5.0, 5.0, 3.0]);
        let y = ones(&[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0]);
        let r = mann_whitney(&x, &y, 0.95).unwrap();
        assert_eq!(r.u, 27.0);
        assert!(
            (r.p_value - 0.412_776_691_384_018_4).abs() < 1e-9,
            "{}",
            r.p_value
        );
    }

    /// The effect size is the ratio of the weighted means; a baseline mean of zero
    /// gives 1 against a zero candidate and infinity against anything else.
    #[test]
    fn the_mean_ratio_is_of_weighted_means() {
        let r = mann_whitney(&[(2.0, 3), (4.0, 1)], &[(1.0, 1), (3.0, 1)], 0.98).unwrap();
        assert_eq!(r.mean_ratio, 2.5 / 2.0);
        let zero = [(0.0, 5)];
        let r = mann_whitney(&zero, &zero, 0.98).unwrap();
        assert_eq!(r.mean_ratio, 1.0);
        let r = mann_whitney(&[(1.0, 5)], &zero, 0.98).unwrap();
        assert_eq!(r.mean_ratio, f64::INFINITY);
    }

    /// Kayenta's classes at their bounds: the interval must lie strictly beyond
    /// `tolerance × |estimate|` (here 0.25 × 4 = 1), on the side of the change.
    #[test]
    fn a_class_needs_the_interval_strictly_past_the_tolerance() {
        let result = |estimate: f64, ci_low: f64, ci_high: f64, mean_ratio: f64| MannWhitney {
            n_candidate: 10,
            n_baseline: 10,
            u: 50.0,
            p_value: 0.01,
            estimate,
            ci_low,
            ci_high,
            mean_ratio,
        };
        let class = |r: &MannWhitney| classify(r, 0.25, 1.0, 1.0);
        let past = 1.0f64.next_up();
        assert_eq!(class(&result(4.0, 1.0, 8.0, 2.0)), Classification::Pass);
        assert_eq!(class(&result(4.0, past, 8.0, 2.0)), Classification::High);
        assert_eq!(class(&result(-4.0, -8.0, -1.0, 0.5)), Classification::Pass);
        assert_eq!(class(&result(-4.0, -8.0, -past, 0.5)), Classification::Low);
        // An interval straddling zero is no change, whatever the estimate.
        assert_eq!(class(&result(-4.0, -8.0, 0.5, 0.5)), Classification::Pass);
        assert_eq!(
            [
                Classification::High,
                Classification::Low,
                Classification::Pass
            ]
            .map(|c| c.name()),
            ["high", "low", "pass"]
        );
    }

    #[test]
    fn weights_equal_repetition() {
        let a = mann_whitney(&[(1.0, 3), (5.0, 2)], &[(2.0, 4), (5.0, 1)], 0.98).unwrap();
        let b = mann_whitney(
            &ones(&[1.0, 1.0, 1.0, 5.0, 5.0]),
            &ones(&[2.0, 2.0, 2.0, 2.0, 5.0]),
            0.98,
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn kayenta_only_fails_significant_harmful_shifts() {
        let base: Vec<f64> = (0..60).map(|i| 100.0 + (i % 10) as f64).collect();
        let slower: Vec<f64> = base.iter().map(|v| v * 1.3).collect();
        let faster: Vec<f64> = base.iter().map(|v| v * 0.7).collect();
        let same: Vec<f64> = base.iter().rev().copied().collect();
        let high = mann_whitney(&ones(&slower), &ones(&base), 0.98).unwrap();
        assert_eq!(classify(&high, 0.25, 1.0, 1.0), Classification::High);
        // An increase smaller than the allowed effect size passes.
        assert_eq!(classify(&high, 0.25, 1.5, 1.0), Classification::Pass);
        let low = mann_whitney(&ones(&faster), &ones(&base), 0.98).unwrap();
        assert_eq!(classify(&low, 0.25, 1.0, 1.0), Classification::Low);
        let none = mann_whitney(&ones(&same), &ones(&base), 0.98).unwrap();
        assert_eq!(classify(&none, 0.25, 1.0, 1.0), Classification::Pass);
        assert!(none.p_value > 0.9);
        assert!(mann_whitney(&[], &ones(&[1.0]), 0.98).is_none());
    }
}
