//! The service-time distribution that explains a latency histogram best, corrected for
//! the wait in the pods' queues.
//!
//! A histogram of request durations records response times: service plus the wait for
//! a worker. The model (`queue`) is `R = S + W`, `S` the service time of the family
//! tried and `W` the M/G/c wait at the observed per-pod load: none with probability
//! `1 − P(wait)` (Erlang C), else exponential with the Allen–Cunneen mean. At a light
//! load `W` is almost always 0 and `R` is `S`; at 70% it is most of the latency.
//!
//! For each family the mean service time is not a free parameter: it is the one whose
//! mean response time is the observed one (`queue::Queue::service_mean_for`), the
//! histogram's `_sum` over its count, which Prometheus keeps exactly. What is left is
//! fitted by maximum likelihood on the bucket counts (each request lies in its bucket
//! with the model's probability of that bucket):
//!
//! - **log-normal**: the shape σ (the logarithm's standard deviation), searched on a
//!   grid of 48 points between 0.02 and 3 and refined by golden section; 2 parameters
//!   with the mean;
//! - **exponential**: nothing left (1 parameter);
//! - **constant**: nothing left (1 parameter).
//!
//! The family chosen has the least AIC, `2k − 2 ln L`. Each fit reports the largest
//! distance between its cumulative distribution and the histogram's at the bucket
//! bounds (the Kolmogorov–Smirnov statistic on the bounds), and the response-time
//! median and 95th percentile it predicts beside the histogram's.

use policies::stats::normal_sf;

use super::queue::{Queue, Wait};

/// A histogram of response times over the whole range.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Finite bucket bounds in seconds, increasing.
    pub bounds: Vec<f64>,
    /// Requests at or below each bound (cumulative, as `le` buckets count).
    pub cumulative: Vec<f64>,
    /// Every request (the `+Inf` bucket).
    pub total: f64,
    /// The sum of their durations, seconds.
    pub sum: f64,
}

impl Histogram {
    pub fn mean(&self) -> f64 {
        self.sum / self.total
    }

    /// The `q` quantile by linear interpolation inside its bucket, as Prometheus'
    /// `histogram_quantile` does (`None` when it falls in the `+Inf` bucket).
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let rank = q * self.total;
        let mut prev = (0.0, 0.0);
        for (&b, &c) in self.bounds.iter().zip(&self.cumulative) {
            if c >= rank {
                let span = c - prev.1;
                let w = if span > 0.0 {
                    (rank - prev.1) / span
                } else {
                    1.0
                };
                return Some(prev.0 + (b - prev.0) * w);
            }
            prev = (b, c);
        }
        None
    }
}

/// A service-time distribution, in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Service {
    LogNormal { mean: f64, sigma: f64 },
    Exponential { mean: f64 },
    Constant { value: f64 },
}

impl Service {
    pub fn mean(&self) -> f64 {
        match *self {
            Service::LogNormal { mean, .. } | Service::Exponential { mean } => mean,
            Service::Constant { value } => value,
        }
    }

    /// The squared coefficient of variation, `Var(S) / E[S]²`.
    pub fn cs2(&self) -> f64 {
        match *self {
            Service::LogNormal { sigma, .. } => (sigma * sigma).exp_m1(),
            Service::Exponential { .. } => 1.0,
            Service::Constant { .. } => 0.0,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Service::LogNormal { .. } => "lognormal",
            Service::Exponential { .. } => "exponential",
            Service::Constant { .. } => "constant",
        }
    }

    fn parameters(&self) -> usize {
        match self {
            Service::LogNormal { .. } => 2,
            _ => 1,
        }
    }

    fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        match *self {
            Service::LogNormal { mean, sigma } => {
                let mu = mean.ln() - 0.5 * sigma * sigma;
                1.0 - normal_sf((x.ln() - mu) / sigma)
            }
            Service::Exponential { mean } => -(-x / mean).exp_m1(),
            Service::Constant { value } => f64::from(u8::from(x >= value)),
        }
    }

    /// `E[1(S ≤ x) e^{−(x − S)/θ}]`: the part of `P(S ≤ x)` a wait of mean `θ` pushes
    /// past `x`.
    fn pushed_past(&self, x: f64, theta: f64) -> f64 {
        if x <= 0.0 || theta <= 0.0 {
            return 0.0;
        }
        match *self {
            Service::Constant { value } => {
                if x >= value {
                    (-(x - value) / theta).exp()
                } else {
                    0.0
                }
            }
            Service::Exponential { mean } => {
                let k = 1.0 / theta - 1.0 / mean;
                if k.abs() * x < 1e-9 {
                    x / mean * (-x / mean).exp()
                } else {
                    ((-x / mean).exp() - (-x / theta).exp()) / (mean * k)
                }
            }
            Service::LogNormal { mean, sigma } => {
                // Over z, S = e^{μ + σz}: Simpson's rule on [−8, z*], z* where S = x.
                let mu = mean.ln() - 0.5 * sigma * sigma;
                let top = (x.ln() - mu) / sigma;
                let bottom = -8.0;
                if top <= bottom {
                    return 0.0;
                }
                let n = 200;
                let h = (top - bottom) / n as f64;
                let f = |z: f64| {
                    let s = (mu + sigma * z).exp().min(x);
                    (-0.5 * z * z).exp() * (-(x - s) / theta).exp()
                };
                let mut acc = f(bottom) + f(top);
                for i in 1..n {
                    let w = if i % 2 == 1 { 4.0 } else { 2.0 };
                    acc += w * f(bottom + h * i as f64);
                }
                acc * h / 3.0 / (std::f64::consts::TAU).sqrt()
            }
        }
    }
}

/// The response-time distribution a service distribution and a wait give.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Response {
    pub service: Service,
    pub wait: Wait,
}

impl Response {
    /// `P(S + W ≤ x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        let pushed = if self.wait.p_wait > 0.0 {
            self.wait.p_wait * self.service.pushed_past(x, self.wait.conditional_mean)
        } else {
            0.0
        };
        (self.service.cdf(x) - pushed).clamp(0.0, 1.0)
    }

    /// The `q` quantile, by bisection on the distribution function.
    pub fn quantile(&self, q: f64) -> f64 {
        let mut hi = self.service.mean() + self.wait.mean();
        while self.cdf(hi) < q && hi < 1e6 {
            hi *= 2.0;
        }
        let mut lo = 0.0;
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if self.cdf(mid) < q {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

/// One family fitted, with how well it fits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub response: Response,
    pub log_likelihood: f64,
    pub aic: f64,
    /// Largest |model − histogram| of the cumulative share at the finite bounds.
    pub ks: f64,
}

/// Every family's fit and the one chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyFits {
    /// Log-normal, exponential, constant.
    pub fits: Vec<Fit>,
    pub chosen: Fit,
    /// The histogram's mean response time, seconds.
    pub observed_mean: f64,
    /// The per-pod load the correction was made at.
    pub queue: Queue,
}

/// Bucket counts (not cumulative): one per finite bound, then the `+Inf` bucket.
fn counts(h: &Histogram) -> Vec<f64> {
    let mut out = Vec::with_capacity(h.bounds.len() + 1);
    let mut prev = 0.0;
    for &c in &h.cumulative {
        out.push((c - prev).max(0.0));
        prev = c;
    }
    out.push((h.total - prev).max(0.0));
    out
}

fn score(response: Response, h: &Histogram, n: &[f64]) -> Fit {
    let cdf: Vec<f64> = h.bounds.iter().map(|&b| response.cdf(b)).collect();
    let mut ll = 0.0;
    let mut prev = 0.0;
    for (k, &count) in n.iter().enumerate() {
        let upper = cdf.get(k).copied().unwrap_or(1.0);
        if count > 0.0 {
            ll += count * (upper - prev).max(1e-300).ln();
        }
        prev = upper;
    }
    let ks = cdf
        .iter()
        .zip(&h.cumulative)
        .map(|(m, c)| (m - c / h.total).abs())
        .fold(0.0, f64::max);
    Fit {
        response,
        log_likelihood: ll,
        aic: 2.0 * response.service.parameters() as f64 - 2.0 * ll,
        ks,
    }
}

/// The family with its mean set so that the mean response is the observed one.
fn at_mean(make: impl Fn(f64) -> Service, cs2: f64, queue: &Queue, mean_r: f64) -> Response {
    let mean = queue.service_mean_for(mean_r, cs2);
    let service = make(mean);
    Response {
        service,
        wait: queue.wait(mean, cs2).unwrap_or(Wait::NONE),
    }
}

fn lognormal(h: &Histogram, n: &[f64], queue: &Queue) -> Fit {
    let mean_r = h.mean();
    let at = |sigma: f64| {
        let r = at_mean(
            |mean| Service::LogNormal { mean, sigma },
            (sigma * sigma).exp_m1(),
            queue,
            mean_r,
        );
        score(r, h, n)
    };
    let (lo, hi) = (0.02f64.ln(), 3.0f64.ln());
    let grid = 48;
    let x = |i: usize| lo + (hi - lo) * i as f64 / (grid - 1) as f64;
    let best = (0..grid)
        .max_by(|&a, &b| {
            at(x(a).exp())
                .log_likelihood
                .total_cmp(&at(x(b).exp()).log_likelihood)
        })
        .expect("a grid");
    // Golden section on ln σ between the best grid point's neighbours.
    let (mut a, mut b) = (x(best.saturating_sub(1)), x((best + 1).min(grid - 1)));
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let mut fc = at(c.exp()).log_likelihood;
    let mut fd = at(d.exp()).log_likelihood;
    for _ in 0..40 {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = at(c.exp()).log_likelihood;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = at(d.exp()).log_likelihood;
        }
    }
    at((0.5 * (a + b)).exp())
}

/// Fits each family to `h` (at least one request) at the per-pod load `queue`.
pub fn fit(h: &Histogram, queue: Queue) -> LatencyFits {
    assert!(h.total > 0.0, "a histogram with requests");
    let n = counts(h);
    let mean_r = h.mean();
    let fits = vec![
        lognormal(h, &n, &queue),
        score(
            at_mean(|mean| Service::Exponential { mean }, 1.0, &queue, mean_r),
            h,
            &n,
        ),
        score(
            at_mean(|value| Service::Constant { value }, 0.0, &queue, mean_r),
            h,
            &n,
        ),
    ];
    let chosen = *fits
        .iter()
        .reduce(|best, f| if f.aic < best.aic { f } else { best })
        .expect("three fits");
    LatencyFits {
        fits,
        chosen,
        observed_mean: mean_r,
        queue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prometheus-like bounds, finer than the client default so the shape shows.
    const BOUNDS: [f64; 16] = [
        0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15,
        0.25, 0.5,
    ];

    /// The histogram `n` requests from `r` would fill, exactly (expected counts).
    fn filled(r: &Response, n: f64) -> Histogram {
        let mean = r.service.mean() + r.wait.mean();
        Histogram {
            bounds: BOUNDS.to_vec(),
            cumulative: BOUNDS.iter().map(|&b| r.cdf(b) * n).collect(),
            total: n,
            sum: mean * n,
        }
    }

    const IDLE: Queue = Queue {
        arrival_rate: 0.0,
        workers: 1,
    };

    #[test]
    fn a_lognormal_histogram_gives_back_its_mean_and_shape() {
        let truth = Response {
            service: Service::LogNormal {
                mean: 0.02,
                sigma: 0.5,
            },
            wait: Wait::NONE,
        };
        let f = fit(&filled(&truth, 1e6), IDLE);
        let Service::LogNormal { mean, sigma } = f.chosen.response.service else {
            panic!("{:?}", f.fits)
        };
        assert!((mean - 0.02).abs() < 1e-9, "{mean}");
        assert!((sigma - 0.5).abs() < 1e-3, "{sigma}");
        assert!(f.chosen.ks < 1e-4, "{}", f.chosen.ks);
        // The bucket-interpolated median is near the log-normal's e^μ.
        let median = 0.02 * (-0.125f64).exp();
        assert!((f.chosen.response.quantile(0.5) - median).abs() < 1e-6);
    }

    #[test]
    fn exponential_and_constant_histograms_choose_their_family() {
        for (service, name) in [
            (Service::Exponential { mean: 0.03 }, "exponential"),
            (Service::Constant { value: 0.0123 }, "constant"),
        ] {
            let truth = Response {
                service,
                wait: Wait::NONE,
            };
            let f = fit(&filled(&truth, 1e5), IDLE);
            assert_eq!(f.chosen.response.service.name(), name, "{:?}", f.fits);
            assert!((f.chosen.response.service.mean() - service.mean()).abs() < 1e-9);
        }
    }

    #[test]
    fn the_wait_at_seventy_percent_is_taken_out_of_the_service_time() {
        let queue = Queue {
            arrival_rate: 35.0,
            workers: 1,
        };
        let service = Service::LogNormal {
            mean: 0.02,
            sigma: 0.5,
        };
        let truth = Response {
            service,
            wait: queue.wait(0.02, service.cs2()).unwrap(),
        };
        let h = filled(&truth, 1e6);
        // The response time is 2.5 times the service time.
        assert!((h.mean() / 0.02 - 2.5).abs() < 0.01, "{}", h.mean());
        let f = fit(&h, queue);
        let Service::LogNormal { mean, sigma } = f.chosen.response.service else {
            panic!("{:?}", f.fits)
        };
        assert!((mean - 0.02).abs() < 2e-4, "{mean}");
        assert!((sigma - 0.5).abs() < 0.02, "{sigma}");
        assert!((queue.utilisation(mean) - 0.7).abs() < 0.01);
        // Uncorrected (as if idle), the service time would be the whole response time.
        let naive = fit(&h, IDLE);
        assert!(naive.chosen.response.service.mean() > 0.045);
    }

    #[test]
    fn the_response_distribution_adds_the_wait() {
        // Constant service 10 ms, wait with probability 0.5 and mean 20 ms if any.
        let r = Response {
            service: Service::Constant { value: 0.01 },
            wait: Wait {
                p_wait: 0.5,
                conditional_mean: 0.02,
            },
        };
        assert_eq!(r.cdf(0.009), 0.0);
        assert!((r.cdf(0.01) - 0.5).abs() < 1e-12);
        assert!((r.cdf(0.03) - (1.0 - 0.5 * (-1.0f64).exp())).abs() < 1e-12);
        // Exponential service and wait of the same mean: Erlang's shape.
        let e = Response {
            service: Service::Exponential { mean: 0.01 },
            wait: Wait {
                p_wait: 1.0,
                conditional_mean: 0.01,
            },
        };
        let x = 0.02;
        let erlang2 = 1.0 - (-2.0f64).exp() * 3.0;
        assert!((e.cdf(x) - erlang2).abs() < 1e-9, "{}", e.cdf(x));
        // The log-normal's integral against the exponential closed form's limit.
        let ln = Response {
            service: Service::LogNormal {
                mean: 0.01,
                sigma: 0.3,
            },
            wait: Wait::NONE,
        };
        assert!((ln.cdf(0.01 * (-0.045f64).exp()) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn histogram_quantiles_interpolate_inside_the_bucket() {
        let h = Histogram {
            bounds: vec![0.1, 0.2],
            cumulative: vec![50.0, 90.0],
            total: 100.0,
            sum: 12.0,
        };
        assert_eq!(h.quantile(0.5), Some(0.1));
        assert!((h.quantile(0.7).unwrap() - 0.15).abs() < 1e-12);
        assert_eq!(h.quantile(0.95), None);
    }
}
