//! From detections to power: at each effect size, the share of runs detected (with its
//! Wilson interval), the median time to detect (with a bootstrap interval) and the
//! median weight at detection; over the effect sizes, the minimum detectable effect.

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::detect::Detection;
use crate::stats::{Estimate, Rate, describe, quantile_sorted, wilson};

/// The powers the minimum detectable effect is given at.
pub const POWER_TARGETS: [f64; 2] = [0.80, 0.95];

/// One detector at one effect size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointEstimate {
    /// 0 is the no-regression point; 1.. the swept values, in increasing order.
    pub point: usize,
    /// The key's value at this point.
    pub value: f64,
    /// `value` minus the baseline's value of the key (0 at the no-regression point).
    pub effect: f64,
    /// Runs detected out of runs: the probability of detection before promotion.
    pub power: Rate,
    /// The median time from the start of the change to detection, over the runs that
    /// detected, with its percentile-bootstrap 95% interval; `None` when none did.
    pub detect_p50_s: Option<Estimate>,
    /// The median weight at detection over the detecting runs that had one.
    pub weight_p50: Option<f64>,
}

/// The estimate at one point from its runs' detections (one per replicate, in
/// replicate order). `rng` draws the bootstrap of the median time.
pub fn estimate_point(
    point: usize,
    value: f64,
    effect: f64,
    runs: &[Option<Detection>],
    resamples: usize,
    rng: &mut ChaCha8Rng,
) -> PointEstimate {
    let times: Vec<f64> = runs.iter().flatten().map(|d| d.after_s).collect();
    let mut weights: Vec<f64> = runs.iter().flatten().filter_map(|d| d.weight).collect();
    weights.sort_by(f64::total_cmp);
    PointEstimate {
        point,
        value,
        effect,
        power: wilson(times.len() as u64, runs.len() as u64).expect("a point has runs"),
        detect_p50_s: describe(&times, resamples, rng).map(|d| d.p50),
        weight_p50: (!weights.is_empty()).then(|| quantile_sorted(&weights, 0.5)),
    }
}

/// The minimum detectable effect at one target power.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mde {
    /// The estimated power first reaches the target between points `below` and `at`
    /// (consecutive; `below` may be the no-regression point 0): `effect` and `value`
    /// are linearly interpolated between them at the target.
    Within {
        effect: f64,
        value: f64,
        below: usize,
        at: usize,
    },
    /// No point reaches the target: the MDE is beyond the largest effect swept, where
    /// the power is `power_at_max`.
    Beyond { power_at_max: f64 },
    /// The estimated power reaches the target with no regression at all: the detector
    /// fires whatever the candidate does, and no effect size is "detected" by it.
    AtNoRegression,
}

/// The smallest effect at which the estimated power reaches `target`, linearly
/// interpolated between the last point below it and the first at or above it.
/// `points` must start with the no-regression point and go up in effect. The first
/// crossing counts: a power that dips again later (noise, or a regression that makes
/// the rollout stop before a gate is evaluated) does not move it.
pub fn mde(points: &[PointEstimate], target: f64) -> Mde {
    let Some(first) = points.first() else {
        return Mde::Beyond { power_at_max: 0.0 };
    };
    if first.power.rate >= target {
        return Mde::AtNoRegression;
    }
    for (i, pair) in points.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        if b.power.rate >= target {
            let t = (target - a.power.rate) / (b.power.rate - a.power.rate);
            return Mde::Within {
                effect: a.effect + t * (b.effect - a.effect),
                value: a.value + t * (b.value - a.value),
                below: i,
                at: i + 1,
            };
        }
    }
    Mde::Beyond {
        power_at_max: points.last().map_or(0.0, |p| p.power.rate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::bootstrap_rng;

    fn point(i: usize, effect: f64, k: u64, n: u64) -> PointEstimate {
        PointEstimate {
            point: i,
            value: 1.0 + effect,
            effect,
            power: wilson(k, n).unwrap(),
            detect_p50_s: None,
            weight_p50: None,
        }
    }

    #[test]
    fn the_mde_interpolates_between_the_points_around_the_target() {
        let pts = [
            point(0, 0.0, 0, 100),
            point(1, 0.1, 40, 100),
            point(2, 0.2, 90, 100),
            point(3, 0.3, 100, 100),
        ];
        // 80% lies 4/5 of the way from 40% (0.1) to 90% (0.2).
        let Mde::Within {
            effect,
            value,
            below,
            at,
        } = mde(&pts, 0.80)
        else {
            panic!("{:?}", mde(&pts, 0.80))
        };
        assert!((effect - 0.18).abs() < 1e-12, "{effect}");
        assert!((value - 1.18).abs() < 1e-12, "{value}");
        assert_eq!((below, at), (1, 2));
        // 95% between 90% (0.2) and 100% (0.3): half way.
        let Mde::Within { effect, .. } = mde(&pts, 0.95) else {
            panic!()
        };
        assert!((effect - 0.25).abs() < 1e-12, "{effect}");
    }

    #[test]
    fn a_point_exactly_at_the_target_is_the_mde_and_one_just_below_is_not() {
        let at = [
            point(0, 0.0, 0, 100),
            point(1, 0.1, 80, 100),
            point(2, 0.2, 100, 100),
        ];
        assert_eq!(
            mde(&at, 0.80),
            Mde::Within {
                effect: 0.1,
                value: 1.1,
                below: 0,
                at: 1
            }
        );
        let below = [
            point(0, 0.0, 0, 100),
            point(1, 0.1, 79, 100),
            point(2, 0.2, 99, 100),
        ];
        let Mde::Within { effect, at, .. } = mde(&below, 0.80) else {
            panic!()
        };
        assert_eq!(at, 2);
        assert!((effect - 0.105).abs() < 1e-12, "{effect}");
    }

    #[test]
    fn beyond_the_range_and_at_no_regression_are_said_so() {
        let weak = [
            point(0, 0.0, 0, 50),
            point(1, 0.1, 10, 50),
            point(2, 0.2, 39, 50),
        ];
        assert_eq!(mde(&weak, 0.80), Mde::Beyond { power_at_max: 0.78 });
        // The first crossing counts, even from the no-regression point.
        let early = [point(0, 0.0, 10, 50), point(1, 0.1, 50, 50)];
        let Mde::Within { effect, below, .. } = mde(&early, 0.80) else {
            panic!()
        };
        assert_eq!(below, 0);
        assert!((effect - 0.075).abs() < 1e-12);
        let noisy = [point(0, 0.0, 40, 50), point(1, 0.1, 50, 50)];
        assert_eq!(mde(&noisy, 0.80), Mde::AtNoRegression);
        // 40 of 50 is exactly 80%: at the target; just past it, the no-regression
        // point is below and the MDE is interpolated from it.
        assert!(matches!(
            mde(&noisy, 0.81),
            Mde::Within {
                below: 0,
                at: 1,
                ..
            }
        ));
    }

    #[test]
    fn a_point_counts_detections_and_takes_medians_of_the_detecting_runs() {
        let d = |after_s, weight| Some(Detection { after_s, weight });
        let runs = [
            d(30.0, Some(0.1)),
            None,
            d(90.0, None),
            d(60.0, Some(0.3)),
            None,
        ];
        let mut rng = bootstrap_rng(1, &["t"]);
        let p = estimate_point(2, 0.02, 0.02, &runs, 200, &mut rng);
        assert_eq!((p.power.k, p.power.n), (3, 5));
        let t = p.detect_p50_s.unwrap();
        assert_eq!(t.value, 60.0);
        assert!(
            t.lo >= 30.0 && t.hi <= 90.0 && t.lo <= 60.0 && t.hi >= 60.0,
            "{t:?}"
        );
        assert_eq!(p.weight_p50, Some(0.2));
        let none = estimate_point(0, 0.0, 0.0, &[None, None], 200, &mut rng);
        assert_eq!(none.power.k, 0);
        assert_eq!(none.detect_p50_s, None);
        assert_eq!(none.weight_p50, None);
    }
}
