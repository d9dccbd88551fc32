//! Request arrivals: a Poisson process whose rate follows a profile.
//!
//! A varying rate is realised by thinning (Lewis and Shedler): candidates arrive at the
//! profile's peak rate and each is kept with probability rate(t) / peak. A constant
//! profile keeps every candidate and so draws nothing extra. A replayed rate series is
//! thinned the same way, against its largest point, so it stays a non-homogeneous
//! Poisson process drawn from the arrivals stream alone.

use std::sync::Arc;

use rand::Rng;

use crate::dist::{exp_nanos, unit};
use crate::fault::Window;
use crate::time::{SimDuration, SimTime};

/// Requests per second over time.
#[derive(Clone, Debug, PartialEq)]
pub enum RateProfile {
    Constant {
        rate: f64,
    },
    /// `mean * (1 + amplitude * sin(2π (t - peak_at) / period + π/2))`: the rate peaks at
    /// `peak_at` and every `period` after it.
    Diurnal {
        mean: f64,
        amplitude: f64,
        period: SimDuration,
        peak_at: SimTime,
    },
    /// `before` until `at`, `after` from then on.
    Step {
        before: f64,
        after: f64,
        at: SimTime,
    },
    /// `base`, except `peak` during `[start, start + duration)`.
    Spike {
        base: f64,
        peak: f64,
        start: SimTime,
        duration: SimDuration,
    },
    /// A recorded series: linear between `points` (time, requests per second; times
    /// strictly increasing), the end values held before the first and after the last.
    /// `scenarios` builds it from a rates file with its scale and shift applied, so the
    /// first point is at (or before) the run's start.
    Replay {
        points: Arc<[(SimTime, f64)]>,
    },
}

/// The rate of a piecewise-linear series at `t`: the two points around `t`, or the
/// nearer end's value outside them.
fn interpolate(points: &[(SimTime, f64)], t: SimTime) -> f64 {
    let after = points.partition_point(|(at, _)| *at <= t);
    match (after.checked_sub(1).map(|i| points[i]), points.get(after)) {
        (Some((t0, r0)), Some(&(t1, r1))) => {
            let w = (t.0 - t0.0) as f64 / (t1.0 - t0.0) as f64;
            r0 + (r1 - r0) * w
        }
        (Some((_, r)), None) | (None, Some(&(_, r))) => r,
        (None, None) => 0.0,
    }
}

impl RateProfile {
    pub fn rate_at(&self, t: SimTime) -> f64 {
        match *self {
            RateProfile::Replay { ref points } => interpolate(points, t),
            RateProfile::Constant { rate } => rate,
            RateProfile::Diurnal {
                mean,
                amplitude,
                period,
                peak_at,
            } => {
                let phase = (t.0 as f64 - peak_at.0 as f64) / period.0 as f64;
                mean * (1.0 + amplitude * (std::f64::consts::TAU * phase).cos())
            }
            RateProfile::Step { before, after, at } => {
                if t < at {
                    before
                } else {
                    after
                }
            }
            RateProfile::Spike {
                base,
                peak,
                start,
                duration,
            } => {
                if t >= start && t < start + duration {
                    peak
                } else {
                    base
                }
            }
        }
    }

    /// The highest rate the profile reaches: the thinning envelope.
    pub fn peak_rate(&self) -> f64 {
        match *self {
            RateProfile::Constant { rate } => rate,
            RateProfile::Diurnal {
                mean, amplitude, ..
            } => mean * (1.0 + amplitude),
            RateProfile::Step { before, after, .. } => before.max(after),
            RateProfile::Spike { base, peak, .. } => base.max(peak),
            // Linear pieces peak at a point.
            RateProfile::Replay { ref points } => {
                points.iter().map(|(_, r)| *r).fold(0.0, f64::max)
            }
        }
    }

    /// The long-run average rate: what an SLO window of 30 days expects per second. A
    /// step or spike is a passing event; the level outside it is the steady state.
    pub fn steady_rate(&self) -> f64 {
        match *self {
            RateProfile::Constant { rate } => rate,
            RateProfile::Diurnal { mean, .. } => mean,
            RateProfile::Step { before, .. } => before,
            RateProfile::Spike { base, .. } => base,
            // The series' time-weighted mean (one point: its rate).
            RateProfile::Replay { ref points } => {
                let span = match (points.first(), points.last()) {
                    (Some(a), Some(b)) if b.0 > a.0 => (b.0.0 - a.0.0) as f64,
                    _ => return points.first().map_or(0.0, |p| p.1),
                };
                let area: f64 = points
                    .windows(2)
                    .map(|w| (w[1].0.0 - w[0].0.0) as f64 * (w[0].1 + w[1].1) / 2.0)
                    .sum();
                area / span
            }
        }
    }

    /// Expected arrivals in `[0, horizon)`, by the midpoint rule on one-second steps.
    pub fn expected_arrivals(&self, horizon: SimTime) -> f64 {
        let secs = horizon.as_secs_f64();
        let steps = secs.ceil() as u64;
        (0..steps)
            .map(|s| {
                let width = (secs - s as f64).min(1.0);
                self.rate_at(SimTime::from_secs_f64(s as f64 + width / 2.0)) * width
            })
            .sum()
    }
}

/// Draws successive arrival instants of the profile's Poisson process, multiplied by
/// any traffic spikes live at the time.
pub struct ArrivalProcess {
    profile: RateProfile,
    spikes: Vec<(Window, f64)>,
    peak: f64,
    mean_gap_nanos: f64,
    thinning: bool,
}

impl ArrivalProcess {
    pub fn new(profile: RateProfile) -> Self {
        ArrivalProcess::with_spikes(profile, Vec::new(), SimTime::MAX)
    }

    /// `spikes` multiply the rate while their window is live. Thinning draws candidates
    /// at the highest rate the process reaches before `horizon`: the profile's peak times
    /// the largest product of spikes live together (not of all spikes, which for spikes
    /// that never overlap would draw many candidates for nothing).
    pub fn with_spikes(profile: RateProfile, spikes: Vec<(Window, f64)>, horizon: SimTime) -> Self {
        let peak = profile.peak_rate() * peak_spike_product(&spikes, horizon);
        let thinning = !matches!(profile, RateProfile::Constant { .. }) || !spikes.is_empty();
        ArrivalProcess {
            mean_gap_nanos: if peak > 0.0 {
                1e9 / peak
            } else {
                f64::INFINITY
            },
            peak,
            profile,
            spikes,
            thinning,
        }
    }

    pub fn profile(&self) -> &RateProfile {
        &self.profile
    }

    /// The rate at `t`, spikes included.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        let mut r = self.profile.rate_at(t);
        for (w, m) in &self.spikes {
            if w.live_at(t) {
                r *= m;
            }
        }
        r
    }

    /// The next arrival strictly after `now` and no later than `until`, or `None`. The
    /// bound is what ends thinning where the rate is (nearly) zero: without it, a
    /// spike window that divides the rate by 1e300 would draw candidates until the
    /// clock overflowed.
    pub fn next_after<R: Rng + ?Sized>(
        &self,
        now: SimTime,
        until: SimTime,
        rng: &mut R,
    ) -> Option<SimTime> {
        if !self.mean_gap_nanos.is_finite() {
            return None;
        }
        let mut t = now;
        loop {
            let gap = ((exp_nanos(rng, self.mean_gap_nanos) + 0.5) as u64).max(1);
            t = SimTime(t.0.checked_add(gap)?);
            if t > until {
                return None;
            }
            if !self.thinning || unit(rng) * self.peak < self.rate_at(t) {
                return Some(t);
            }
        }
    }
}

/// The largest product of the multipliers (those above 1) of spikes live at the same
/// time before `horizon`. Liveness only changes at window edges, so the product is
/// constant from one edge to the next and its maximum is at t = 0 or at an edge.
pub fn peak_spike_product(spikes: &[(Window, f64)], horizon: SimTime) -> f64 {
    let product_at = |t: SimTime| -> f64 {
        spikes
            .iter()
            .filter(|(w, _)| w.live_at(t))
            .map(|(_, m)| m.max(1.0))
            .product()
    };
    let mut peak = product_at(SimTime::ZERO);
    for (w, _) in spikes {
        for (t, live) in w.edges(horizon) {
            if live {
                peak = peak.max(product_at(t));
            }
        }
    }
    peak
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, RunSeed};

    fn count_arrivals(profile: RateProfile, from: SimTime, to: SimTime) -> u64 {
        let p = ArrivalProcess::new(profile);
        let mut rng = RunSeed::new(3, 0, 0).stream(Purpose::Arrivals);
        let mut t = SimTime::ZERO;
        let mut n = 0;
        while let Some(next) = p.next_after(t, SimTime::MAX, &mut rng) {
            if next >= to {
                break;
            }
            if next >= from {
                n += 1;
            }
            t = next;
        }
        n
    }

    #[test]
    fn constant_rate_count_is_poisson() {
        let n = count_arrivals(
            RateProfile::Constant { rate: 600.0 },
            SimTime::ZERO,
            SimTime::from_secs(100),
        );
        // 60 000 expected, standard deviation 245.
        assert!((59_000..61_000).contains(&n), "{n}");
    }

    #[test]
    fn spike_and_step_follow_their_profile() {
        let spike = RateProfile::Spike {
            base: 100.0,
            peak: 400.0,
            start: SimTime::from_secs(50),
            duration: SimDuration::from_secs(50),
        };
        let inside = count_arrivals(
            spike.clone(),
            SimTime::from_secs(50),
            SimTime::from_secs(100),
        );
        let before = count_arrivals(spike, SimTime::ZERO, SimTime::from_secs(50));
        assert!((19_000..21_000).contains(&inside), "{inside}");
        assert!((4_600..5_400).contains(&before), "{before}");
        let step = RateProfile::Step {
            before: 10.0,
            after: 50.0,
            at: SimTime::from_secs(100),
        };
        assert_eq!(step.expected_arrivals(SimTime::from_secs(200)), 6000.0);
    }

    #[test]
    fn spikes_multiply_the_rate_in_their_window() {
        let spike = Window {
            start: SimTime::from_secs(50),
            end: SimTime::from_secs(100),
            period: None,
        };
        let p = ArrivalProcess::with_spikes(
            RateProfile::Constant { rate: 100.0 },
            vec![(spike, 3.0)],
            SimTime::MAX,
        );
        let mut rng = RunSeed::new(4, 0, 0).stream(Purpose::Arrivals);
        let (mut before, mut inside) = (0, 0);
        let mut t = SimTime::ZERO;
        while let Some(next) = p.next_after(t, SimTime::MAX, &mut rng) {
            if next >= SimTime::from_secs(100) {
                break;
            }
            if next < SimTime::from_secs(50) {
                before += 1;
            } else {
                inside += 1;
            }
            t = next;
        }
        assert!((4_600..5_400).contains(&before), "{before}");
        assert!((14_300..15_700).contains(&inside), "{inside}");
    }

    fn replay(points: &[(u64, f64)]) -> RateProfile {
        RateProfile::Replay {
            points: points
                .iter()
                .map(|&(t, r)| (SimTime::from_secs(t), r))
                .collect(),
        }
    }

    #[test]
    fn replay_interpolates_between_points_and_holds_its_ends() {
        let p = replay(&[(10, 100.0), (20, 300.0), (40, 100.0)]);
        let at = |s: f64| p.rate_at(SimTime::from_secs_f64(s));
        assert_eq!(at(0.0), 100.0);
        assert_eq!(at(10.0), 100.0);
        assert_eq!(at(15.0), 200.0);
        assert_eq!(at(20.0), 300.0);
        assert_eq!(at(30.0), 200.0);
        assert_eq!(at(40.0), 100.0);
        assert_eq!(at(1e6), 100.0);
        assert_eq!(p.peak_rate(), 300.0);
        // (10 s × 200 + 20 s × 200) / 30 s.
        assert!((p.steady_rate() - 200.0).abs() < 1e-9);
        assert_eq!(replay(&[(5, 7.0)]).rate_at(SimTime::ZERO), 7.0);
    }

    #[test]
    fn replay_arrivals_follow_the_series() {
        // 100/s rising to 500/s over 100 s, then flat: 30,000 then 50,000 arrivals.
        let p = replay(&[(0, 100.0), (100, 500.0), (200, 500.0)]);
        let ramp = count_arrivals(p.clone(), SimTime::ZERO, SimTime::from_secs(100));
        let flat = count_arrivals(p, SimTime::from_secs(100), SimTime::from_secs(200));
        // Standard deviations 173 and 224.
        assert!((29_300..30_700).contains(&ramp), "{ramp}");
        assert!((49_100..50_900).contains(&flat), "{flat}");
    }

    #[test]
    fn diurnal_peaks_where_asked() {
        let d = RateProfile::Diurnal {
            mean: 100.0,
            amplitude: 0.5,
            period: SimDuration::from_secs(86_400),
            peak_at: SimTime::from_secs(3600),
        };
        assert!((d.rate_at(SimTime::from_secs(3600)) - 150.0).abs() < 1e-9);
        assert!((d.rate_at(SimTime::from_secs(3600 + 43_200)) - 50.0).abs() < 1e-9);
        let day = d.expected_arrivals(SimTime::from_secs(86_400));
        assert!((day - 8_640_000.0).abs() < 1.0, "{day}");
    }

    /// Regression: a spike that divides the rate by 1e300 for the rest of the run once
    /// made thinning draw candidates until the clock overflowed (a hang the input fuzz
    /// found). Arrivals end at the bound instead.
    #[test]
    fn thinning_stops_at_the_bound_where_the_rate_is_nearly_zero() {
        let dip = Window {
            start: SimTime::from_secs(10),
            end: SimTime::MAX,
            period: None,
        };
        let until = SimTime::from_secs(100);
        let p = ArrivalProcess::with_spikes(
            RateProfile::Constant { rate: 600.0 },
            vec![(dip, 1e-300)],
            until,
        );
        let mut rng = RunSeed::new(5, 0, 0).stream(Purpose::Arrivals);
        let (mut t, mut before, mut after) = (SimTime::ZERO, 0, 0);
        while let Some(next) = p.next_after(t, until, &mut rng) {
            assert!(next <= until, "{next:?} past the bound");
            if next < SimTime::from_secs(10) {
                before += 1;
            } else {
                after += 1;
            }
            t = next;
        }
        assert!((5_500..6_500).contains(&before), "{before}");
        assert_eq!(after, 0);
    }

    #[test]
    fn the_thinning_envelope_is_the_largest_product_live_together() {
        let w = |a: u64, b: u64| Window {
            start: SimTime::from_secs(a),
            end: SimTime::from_secs(b),
            period: None,
        };
        let h = SimTime::from_secs(1000);
        // Apart: the larger alone.
        assert_eq!(
            peak_spike_product(&[(w(10, 20), 3.0), (w(30, 40), 5.0)], h),
            5.0
        );
        // Overlapping: both together.
        assert_eq!(
            peak_spike_product(&[(w(10, 35), 3.0), (w(30, 40), 5.0)], h),
            15.0
        );
        // Touching ends do not overlap: a window is live on [start, end).
        assert_eq!(
            peak_spike_product(&[(w(10, 30), 3.0), (w(30, 40), 5.0)], h),
            5.0
        );
        // After the horizon, or dividing the rate: no spike at all.
        assert_eq!(peak_spike_product(&[(w(2000, 3000), 3.0)], h), 1.0);
        assert_eq!(peak_spike_product(&[(w(10, 20), 0.5)], h), 1.0);
        // Live from the start.
        assert_eq!(peak_spike_product(&[(w(0, 20), 4.0)], h), 4.0);
    }
}
