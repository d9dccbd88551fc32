//! A step's latency as masses on the latency histogram's buckets: the law of
//! `delay + wait + service`, where `delay` is the fluid backlog's wait (a constant over
//! the step), `wait` the stationary queue's (no wait with probability `1 - p_wait`,
//! else exponential) and `service` one request's service time. The masses are
//! integrated on the buckets' edges, so recording them costs one add per bucket,
//! whatever the number of requests.

use crate::dist::ServiceDist;
use crate::hist::{BUCKETS, bucket_of, bucket_range, bucket_value};

/// One request's service time: the version's distribution scaled by every multiplier
/// (version, faults, garbage-collection stretch), plus `shift` on a `shift_share` of
/// requests (a slow dependency).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServiceShape {
    pub dist: ServiceDist,
    pub scale: f64,
    pub shift_ns: f64,
    pub shift_share: f64,
}

impl ServiceShape {
    fn base_mean_ns(&self) -> f64 {
        self.dist.mean().0 as f64 * self.scale
    }

    /// The mean service time, in nanoseconds.
    pub fn mean_ns(&self) -> f64 {
        self.base_mean_ns() + self.shift_share * self.shift_ns
    }

    /// The squared coefficient of variation (variance over squared mean): 1 for
    /// exponential service, 0 for constant; what the waiting-time approximations
    /// scale by.
    pub fn scv(&self) -> f64 {
        let m0 = self.base_mean_ns();
        let cs0 = match self.dist {
            ServiceDist::Exponential { .. } => 1.0,
            ServiceDist::LogNormal { sigma, .. } => (sigma * sigma).exp() - 1.0,
            ServiceDist::Constant { .. } => 0.0,
        };
        let (q, h) = (self.shift_share, self.shift_ns);
        let second = (1.0 + cs0) * m0 * m0 + q * (2.0 * m0 * h + h * h);
        let mean = self.mean_ns();
        (second / (mean * mean) - 1.0).max(0.0)
    }

    fn base_cdf(&self, x_ns: f64) -> f64 {
        if x_ns <= 0.0 {
            return 0.0;
        }
        match self.dist {
            ServiceDist::Exponential { mean } => -(-x_ns / (mean.0 as f64 * self.scale)).exp_m1(),
            ServiceDist::LogNormal { mean, sigma } => {
                let mu = (mean.0 as f64 * self.scale).ln() - 0.5 * sigma * sigma;
                let z = (x_ns.ln() - mu) / sigma;
                0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2)
            }
            ServiceDist::Constant { value } => {
                // The per-request engine rounds a service time to whole nanoseconds.
                f64::from(u8::from(x_ns >= (value.0 as f64 * self.scale).round()))
            }
        }
    }

    /// `P(service <= x)`.
    pub fn cdf(&self, x_ns: f64) -> f64 {
        let q = self.shift_share;
        if q <= 0.0 {
            return self.base_cdf(x_ns);
        }
        (1.0 - q) * self.base_cdf(x_ns) + q * self.base_cdf(x_ns - self.shift_ns)
    }
}

/// Time before service starts: `delay`, plus with probability `p_wait` an exponential
/// wait of rate `rate_per_ns`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wait {
    pub delay_ns: f64,
    pub p_wait: f64,
    pub rate_per_ns: f64,
}

/// The latency law of one step's requests on the histogram's buckets, up to the
/// client's timeout.
#[derive(Clone, Debug, PartialEq)]
pub struct Masses {
    /// The first bucket that can hold a request.
    pub first: usize,
    /// `P(latency < upper edge of bucket first + k)` for each k, the last entry at
    /// the timeout (a request slower than that is a timeout, not a latency).
    pub cdf: Vec<f64>,
    /// `P(latency <= timeout)`: the share of requests served.
    pub served: f64,
    /// `P(latency <= threshold)` for the SLO's latency threshold.
    pub fast: f64,
    /// The mean of the bucket values of served requests, in microseconds.
    pub mean_us: f64,
}

/// Running integration of `delay + wait + service` along increasing points.
struct Integrator<'a> {
    service: &'a ServiceShape,
    wait: Wait,
    x: f64,
    fs: f64,
    /// `∫_0^x exp(-θ (x - s)) dF_S(s)`: the part of `P(E + S <= x)` still to subtract.
    g: f64,
}

impl Integrator<'_> {
    /// `P(latency < t)` after moving to `t` (t increasing).
    fn at(&mut self, t_ns: f64) -> f64 {
        let x = t_ns - self.wait.delay_ns;
        if x <= self.x {
            return self.value();
        }
        let theta = self.wait.rate_per_ns;
        let fs = self.service.cdf(x);
        let mid = 0.5 * (x + self.x);
        self.g =
            (-theta * (x - self.x)).exp() * self.g + (fs - self.fs) * (-theta * (x - mid)).exp();
        self.x = x;
        self.fs = fs;
        self.value()
    }

    fn value(&self) -> f64 {
        let p = self.wait.p_wait;
        // P(E + S <= x) = F_S(x) - G(x) for E exponential independent of S.
        (1.0 - p) * self.fs + p * (self.fs - self.g).max(0.0)
    }
}

/// Mass this far below 1 is the end of the law: the buckets past it would hold no
/// request of any run.
const TAIL: f64 = 1e-12;

/// The masses of `delay + wait + service` on the buckets, cut at `timeout_ns`, with
/// the share below `threshold_ns`.
pub fn masses(service: &ServiceShape, wait: Wait, timeout_ns: f64, threshold_ns: f64) -> Masses {
    let mut it = Integrator {
        service,
        wait,
        x: 0.0,
        fs: 0.0,
        g: 0.0,
    };
    let first = bucket_of((wait.delay_ns / 1000.0) as u64);
    let mut cdf = Vec::new();
    let mut fast = None;
    let mut sum = 0.0;
    let mut prev = 0.0;
    let mut served = 0.0;
    for i in first..BUCKETS {
        let upper = (bucket_range(i).1 + 1) as f64 * 1000.0;
        if fast.is_none() && threshold_ns < upper.min(timeout_ns) {
            fast = Some(it.at(threshold_ns));
        }
        let last = upper >= timeout_ns || i == BUCKETS - 1;
        let f = it.at(upper.min(timeout_ns));
        cdf.push(f);
        sum += (f - prev) * bucket_value(i);
        prev = f;
        served = f;
        if last || 1.0 - f < TAIL {
            break;
        }
    }
    Masses {
        first,
        cdf,
        served,
        fast: fast.unwrap_or(served).min(served),
        mean_us: if served > 0.0 { sum / served } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;

    fn exp(mean_ms: u64) -> ServiceShape {
        ServiceShape {
            dist: ServiceDist::Exponential {
                mean: SimDuration::from_millis(mean_ms),
            },
            scale: 1.0,
            shift_ns: 0.0,
            shift_share: 0.0,
        }
    }

    const NO_WAIT: Wait = Wait {
        delay_ns: 0.0,
        p_wait: 0.0,
        rate_per_ns: 0.0,
    };

    #[test]
    fn mm1_sojourn_is_exponential_with_rate_mu_minus_lambda() {
        // μ = 50/s, λ = 30/s: the sojourn is exponential of rate 20/s (mean 50 ms).
        let s = exp(20);
        let w = Wait {
            delay_ns: 0.0,
            p_wait: 0.6,
            rate_per_ns: 20.0 / 1e9,
        };
        let m = masses(&s, w, 10e9, 100e6);
        assert!(
            (m.mean_us - 50_000.0).abs() / 50_000.0 < 0.005,
            "{}",
            m.mean_us
        );
        // P(T <= 100 ms) = 1 - e^-2.
        let want = 1.0 - (-2.0f64).exp();
        assert!((m.fast - want).abs() < 1e-4, "{} vs {want}", m.fast);
        assert!(1.0 - m.served < 1e-12, "{}", m.served);
    }

    #[test]
    fn the_timeout_cuts_the_mass_and_the_tail_is_what_it_cut() {
        // Service alone, exponential of mean 1 s, timeout 1 s: e^-1 of requests time out.
        let m = masses(&exp(1000), NO_WAIT, 1e9, 0.5e9);
        assert!(
            (1.0 - m.served - (-1.0f64).exp()).abs() < 1e-9,
            "{}",
            m.served
        );
        assert!((m.fast - (1.0 - (-0.5f64).exp())).abs() < 1e-9);
        assert_eq!(*m.cdf.last().unwrap(), m.served);
        // A timeout at the very first bucket's edge still ends the masses there.
        let m = masses(&exp(1000), NO_WAIT, 1000.0, 500.0);
        assert_eq!(m.cdf.len(), 1);
    }

    #[test]
    fn a_delay_shifts_every_request() {
        let delayed = Wait {
            delay_ns: 200e6,
            ..NO_WAIT
        };
        let m = masses(&exp(20), delayed, 10e9, 200e6);
        assert_eq!(m.fast, 0.0, "nothing is faster than the delay");
        assert!(
            (m.mean_us - 220_000.0).abs() / 220_000.0 < 0.005,
            "{}",
            m.mean_us
        );
        assert_eq!(m.first, bucket_of(200_000));
    }

    #[test]
    fn constant_service_lands_in_its_bucket() {
        let s = ServiceShape {
            dist: ServiceDist::Constant {
                value: SimDuration::from_millis(20),
            },
            scale: 1.0,
            shift_ns: 0.0,
            shift_share: 0.0,
        };
        assert_eq!(s.scv(), 0.0);
        let m = masses(&s, NO_WAIT, 10e9, 19_999_999.0);
        assert_eq!(m.fast, 0.0);
        assert!((m.mean_us - bucket_value(bucket_of(20_000))).abs() < 1e-6);
    }

    #[test]
    fn a_shift_on_a_share_adds_its_mean_and_variance() {
        let s = ServiceShape {
            shift_ns: 100e6,
            shift_share: 0.5,
            ..exp(20)
        };
        assert!((s.mean_ns() - 70e6).abs() < 1.0);
        // E[S^2] = 2 m^2 + q (2 m h + h^2) = 800 + 0.5 (4000 + 10000) = 7800 (ms^2).
        assert!((s.scv() - (7800.0 / 4900.0 - 1.0)).abs() < 1e-12);
        let m = masses(&s, NO_WAIT, 10e9, 1e9);
        assert!(
            (m.mean_us - 70_000.0).abs() / 70_000.0 < 0.005,
            "{}",
            m.mean_us
        );
    }
}
