//! The traffic profile that fits a request-rate series best: constant, diurnal or step,
//! each by least squares, chosen by the Bayesian information criterion.
//!
//! - **Constant**: the mean (1 parameter).
//! - **Diurnal**: `mean × (1 + amplitude × cos(2π (t − peak) / period))` with the
//!   period fixed at a day; written as `β0 + β1 cos ωt + β2 sin ωt` it is linear in the
//!   β, so ordinary least squares solves it exactly (3 parameters: mean, amplitude,
//!   peak time). An amplitude above 1 would make the rate negative: it is capped at 1.
//! - **Step**: one level before an instant, another after (3 parameters), the instant
//!   searched over every boundary between points, each level the mean of its side.
//!
//! The choice: least `n ln(SSE / n) + k ln n` (BIC: the Gaussian log-likelihood with a
//! penalty of `ln n` per parameter), so a shape with more parameters has to explain
//! more than noise to win, and ties go to the simpler shape. Each fit reports its root
//! mean square error and its R² (the share of the rate's variance it explains), which
//! `calibrate` writes beside the values.

/// Seconds in a day: the diurnal fit's period.
pub const DAY_SECONDS: f64 = 86_400.0;

/// A fitted profile; times are seconds from the series' start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    Constant {
        rate: f64,
    },
    Diurnal {
        mean: f64,
        amplitude: f64,
        /// In `[0, period)`.
        peak_at: f64,
        period: f64,
    },
    Step {
        before: f64,
        after: f64,
        at: f64,
    },
}

impl Shape {
    pub fn rate_at(&self, t: f64) -> f64 {
        match *self {
            Shape::Constant { rate } => rate,
            Shape::Diurnal {
                mean,
                amplitude,
                peak_at,
                period,
            } => mean * (1.0 + amplitude * (std::f64::consts::TAU * (t - peak_at) / period).cos()),
            Shape::Step { before, after, at } => {
                if t < at {
                    before
                } else {
                    after
                }
            }
        }
    }

    /// Parameters, for the criterion's penalty.
    pub fn parameters(&self) -> usize {
        match self {
            Shape::Constant { .. } => 1,
            Shape::Diurnal { .. } | Shape::Step { .. } => 3,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Shape::Constant { .. } => "constant",
            Shape::Diurnal { .. } => "diurnal",
            Shape::Step { .. } => "step",
        }
    }
}

/// One shape fitted to the series, with how well it fits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub shape: Shape,
    /// Root mean square error, requests per second.
    pub rmse: f64,
    /// `1 − SSE / SST`; 0 for a constant (nothing explained beyond the mean), 1 when
    /// the series is flat and so fitted exactly.
    pub r2: f64,
    /// `n ln(SSE / n) + k ln n`.
    pub bic: f64,
}

/// Every shape's fit and the one chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct RateFits {
    /// Constant, diurnal, step (a step needs at least 2 points).
    pub fits: Vec<Fit>,
    pub chosen: Fit,
    /// The series' mean, requests per second.
    pub mean: f64,
    pub points: usize,
}

fn score(shape: Shape, points: &[(f64, f64)], sst: f64) -> Fit {
    let n = points.len() as f64;
    let sse: f64 = points
        .iter()
        .map(|&(t, r)| (r - shape.rate_at(t)).powi(2))
        .sum();
    // A perfect fit has no finite log-likelihood: a floor keeps the order of shapes.
    let floor = 1e-12 * (1.0 + sst);
    Fit {
        shape,
        rmse: (sse / n).sqrt(),
        r2: if sst > 0.0 { 1.0 - sse / sst } else { 1.0 },
        bic: n * (sse.max(floor) / n).ln() + shape.parameters() as f64 * n.ln(),
    }
}

/// Least squares of `β0 + β1 cos ωt + β2 sin ωt`: the 3×3 normal equations, solved by
/// Gaussian elimination with partial pivoting. `None` when they are singular (all the
/// points at one phase).
fn diurnal(points: &[(f64, f64)], period: f64) -> Option<Shape> {
    let w = std::f64::consts::TAU / period;
    let mut a = [[0.0f64; 4]; 3];
    for &(t, r) in points {
        let x = [1.0, (w * t).cos(), (w * t).sin()];
        for i in 0..3 {
            for j in 0..3 {
                a[i][j] += x[i] * x[j];
            }
            a[i][3] += x[i] * r;
        }
    }
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-9 * points.len() as f64 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col];
        for (row, r) in a.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                for (x, p) in r.iter_mut().zip(pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    let b = [a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]];
    let mean = b[0];
    if mean <= 0.0 {
        return None;
    }
    let amplitude = ((b[1] * b[1] + b[2] * b[2]).sqrt() / mean).min(1.0);
    let peak_at = (b[2].atan2(b[1]) / w).rem_euclid(period);
    Some(Shape::Diurnal {
        mean,
        amplitude,
        peak_at,
        period,
    })
}

/// The best step: every boundary between two points, by prefix sums (O(n)).
fn step(points: &[(f64, f64)]) -> Option<Shape> {
    let n = points.len();
    if n < 2 {
        return None;
    }
    let total: f64 = points.iter().map(|p| p.1).sum();
    let total2: f64 = points.iter().map(|p| p.1 * p.1).sum();
    let (mut s, mut s2) = (0.0, 0.0);
    let mut best: Option<(f64, usize)> = None;
    for i in 1..n {
        s += points[i - 1].1;
        s2 += points[i - 1].1 * points[i - 1].1;
        let (left, right) = (i as f64, (n - i) as f64);
        let sse = (s2 - s * s / left) + ((total2 - s2) - (total - s).powi(2) / right);
        if best.is_none_or(|(b, _)| sse < b) {
            best = Some((sse, i));
        }
    }
    let (_, i) = best?;
    let before = points[..i].iter().map(|p| p.1).sum::<f64>() / i as f64;
    let after = points[i..].iter().map(|p| p.1).sum::<f64>() / (n - i) as f64;
    Some(Shape::Step {
        before,
        after,
        at: 0.5 * (points[i - 1].0 + points[i].0),
    })
}

/// Fits every shape to `points` (seconds from the start, requests per second; at least
/// one point) and chooses one.
pub fn fit(points: &[(f64, f64)]) -> RateFits {
    assert!(!points.is_empty(), "a rate series to fit");
    let n = points.len() as f64;
    let mean = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sst: f64 = points.iter().map(|p| (p.1 - mean).powi(2)).sum();
    let mut fits = vec![score(Shape::Constant { rate: mean }, points, sst)];
    if let Some(d) = diurnal(points, DAY_SECONDS) {
        fits.push(score(d, points, sst));
    }
    if let Some(s) = step(points) {
        fits.push(score(s, points, sst));
    }
    // The first of equal scores: the simpler shape, listed first.
    let chosen = *fits
        .iter()
        .reduce(|best, f| if f.bic < best.bic { f } else { best })
        .expect("the constant fit");
    RateFits {
        fits,
        chosen,
        mean,
        points: points.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic noise in [-1, 1): a linear congruential sequence, so the
    /// tests need no random stream.
    fn noise(i: usize) -> f64 {
        let x = (i as u64)
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((x >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    fn series(f: impl Fn(f64) -> f64, n: usize, step: f64, noise_amp: f64) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let t = i as f64 * step;
                (t, f(t) + noise_amp * noise(i))
            })
            .collect()
    }

    #[test]
    fn a_diurnal_series_is_found_with_its_mean_amplitude_and_peak() {
        let truth = Shape::Diurnal {
            mean: 50.0,
            amplitude: 0.4,
            peak_at: 15.0 * 3600.0,
            period: DAY_SECONDS,
        };
        let pts = series(|t| truth.rate_at(t), 1440, 60.0, 3.0);
        let f = fit(&pts);
        let Shape::Diurnal {
            mean,
            amplitude,
            peak_at,
            ..
        } = f.chosen.shape
        else {
            panic!("chose {:?}", f.chosen)
        };
        assert!((mean - 50.0).abs() < 0.2, "{mean}");
        assert!((amplitude - 0.4).abs() < 0.01, "{amplitude}");
        assert!((peak_at - 54_000.0).abs() < 600.0, "{peak_at}");
        assert!(f.chosen.r2 > 0.9, "{}", f.chosen.r2);
        // Noise uniform on ±3: RMSE √3.
        assert!(
            (f.chosen.rmse - 3f64.sqrt()).abs() < 0.1,
            "{}",
            f.chosen.rmse
        );
    }

    #[test]
    fn a_peak_just_before_midnight_wraps_into_the_day() {
        let truth = Shape::Diurnal {
            mean: 10.0,
            amplitude: 0.5,
            peak_at: DAY_SECONDS - 1800.0,
            period: DAY_SECONDS,
        };
        let f = fit(&series(|t| truth.rate_at(t), 288, 300.0, 0.0));
        let Shape::Diurnal { peak_at, .. } = f.chosen.shape else {
            panic!("{:?}", f.chosen)
        };
        assert!((peak_at - (DAY_SECONDS - 1800.0)).abs() < 1.0, "{peak_at}");
    }

    #[test]
    fn noise_around_a_level_is_constant_and_a_jump_is_a_step() {
        let flat = fit(&series(|_| 100.0, 1000, 15.0, 5.0));
        assert_eq!(flat.chosen.shape.name(), "constant", "{:?}", flat.fits);
        assert!((flat.mean - 100.0).abs() < 0.5);
        let jump = fit(&series(
            |t| if t < 6000.0 { 40.0 } else { 90.0 },
            1000,
            15.0,
            2.0,
        ));
        let Shape::Step { before, after, at } = jump.chosen.shape else {
            panic!("{:?}", jump.fits)
        };
        assert!((before - 40.0).abs() < 0.3 && (after - 90.0).abs() < 0.3);
        assert!((at - 5992.5).abs() < 1e-9, "{at}");
    }

    #[test]
    fn the_criterion_penalises_parameters() {
        // A flat series fits every shape exactly: the one with fewest parameters wins.
        let f = fit(&series(|_| 7.0, 100, 60.0, 0.0));
        assert_eq!(f.chosen.shape, Shape::Constant { rate: 7.0 });
        assert_eq!(f.fits.len(), 3);
        // A single point has no step.
        assert_eq!(fit(&[(0.0, 3.0)]).fits.len(), 1);
    }
}
