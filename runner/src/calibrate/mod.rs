//! `rollcage calibrate`: a scenario fitted to a service's own history.
//!
//! `history` reads the series (a server's answers to `query`'s queries, or a file of
//! them); `fit` fits the traffic profile and the service-time distribution; this module
//! takes the fleet, the error probability and the crash rate from the totals and writes
//! the scenario (`scenario`), one comment per fitted value saying where it came from and
//! how well it fits. docs/calibrate.md is the user's account of all of it.

pub mod fit;
pub mod history;
pub mod query;
mod scenario;

pub use scenario::num;

use fit::latency::{self, LatencyFits};
use fit::queue::Queue;
use fit::rate::{self, RateFits};
use history::History;
use scenarios::replay::RateSeries;

/// The reader's default SLO, written when `--slo` is not given.
pub const DEFAULT_OBJECTIVE: f64 = 0.999;
/// The reader's default latency threshold, written when `--latency-threshold` is not
/// given.
pub const DEFAULT_LATENCY_THRESHOLD_MS: f64 = 500.0;
/// The horizon written: the scenario reader's default, or the range when it is shorter
/// (a replay cannot outrun its file).
pub const HORIZON_SECONDS: f64 = 1800.0;

/// What the series do not say, and how the scenario is to be written.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The service (the scenario's name).
    pub service: String,
    /// Where the series came from: `prometheus URL` or the file, for the comments.
    pub source: String,
    /// The query behind each key, when a server was asked (for the comments).
    pub queries: Vec<(&'static str, String)>,
    /// Workers per pod (`fleet.concurrency`); 1 when not given.
    pub concurrency: Option<u32>,
    /// The pods when the series have no ready-pod gauge.
    pub replicas: Option<u32>,
    pub objective: Option<f64>,
    pub latency_threshold_ms: Option<f64>,
    /// With `--replay`: the rates file's name, beside the scenario.
    pub replay_file: Option<String>,
}

/// The scenario written, the rates file with it, and the fits.
#[derive(Clone, Debug)]
pub struct Calibration {
    /// The scenario file's text (TOML with comments).
    pub scenario: String,
    /// With `--replay`: the rates file's contents.
    pub rates: Option<RateSeries>,
    pub replicas: u32,
    pub replicas_source: String,
    pub traffic: RateFits,
    pub latency: LatencyFits,
    pub error_probability: f64,
    /// Restarts per pod-hour, when any.
    pub crash_rate_per_hour: Option<f64>,
    pub pod_hours: f64,
}

/// The lower median (the gauge's own value, never a mean of two).
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

/// Fits everything the scenario holds to `h`.
pub fn calibrate(h: &History, opts: &Options) -> Result<Calibration, String> {
    let (replicas, replicas_source) = if h.ready_pods.is_empty() {
        let r = opts.replicas.ok_or_else(|| {
            format!(
                "{}: no ready-pod series (ready_pods): give the pods with --replicas",
                opts.source
            )
        })?;
        (r, "--replicas (no ready-pod series)".to_string())
    } else {
        let m = median(&h.ready_pods).round();
        if m < 1.0 {
            return Err(format!(
                "{}: ready_pods: the median over the range is {m} pods; calibration needs a serving fleet",
                opts.source
            ));
        }
        let (lo, hi) = h
            .ready_pods
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
        (
            m.min(f64::from(u32::MAX)) as u32,
            format!(
                "median of {} samples (min {lo}, max {hi})",
                h.ready_pods.len()
            ),
        )
    };
    let traffic = rate::fit(&h.rates);
    let workers = opts.concurrency.unwrap_or(1);
    let queue = Queue {
        arrival_rate: traffic.mean / f64::from(replicas),
        workers,
    };
    let latency = latency::fit(&h.histogram, queue);
    let error_probability = if h.requests > 0.0 {
        h.errors / h.requests
    } else {
        0.0
    };
    let span = h.end - h.start;
    let pod_hours = if h.ready_pods.is_empty() {
        f64::from(replicas) * span / 3600.0
    } else {
        h.ready_pods.iter().sum::<f64>() * h.step_seconds / 3600.0
    };
    let crash_rate_per_hour = (h.restarts > 0.0 && pod_hours > 0.0).then(|| h.restarts / pod_hours);
    let rates = opts.replay_file.as_ref().map(|_| RateSeries {
        // The file's time 0 is the range's start: each step's rate at its middle,
        // and the first and last held to the range's ends.
        points: {
            let mut p = Vec::with_capacity(h.rates.len() + 2);
            p.push((0.0, h.rates[0].1));
            p.extend(h.rates.iter().copied());
            p.push((span, h.rates[h.rates.len() - 1].1));
            p
        },
    });
    let mut c = Calibration {
        scenario: String::new(),
        rates,
        replicas,
        replicas_source,
        traffic,
        latency,
        error_probability,
        crash_rate_per_hour,
        pod_hours,
    };
    c.scenario = scenario::text(h, opts, &c);
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two hours at 60 s: 10/s flat, 20 ms every request, 3 pods (one step at 2),
    /// 1% errors, 6 restarts.
    fn history(ready: Vec<f64>, restarts: f64) -> History {
        let n = 120;
        History {
            step_seconds: 60.0,
            start: 1000.0,
            end: 1000.0 + 60.0 * n as f64,
            rates: (0..n).map(|i| (30.0 + 60.0 * i as f64, 10.0)).collect(),
            requests: 72_000.0,
            errors: 720.0,
            restarts,
            ready_pods: ready,
            histogram: fit::latency::Histogram {
                bounds: vec![0.01, 0.019, 0.021, 0.05],
                cumulative: vec![0.0, 0.0, 72_000.0, 72_000.0],
                total: 72_000.0,
                sum: 72_000.0 * 0.02,
            },
        }
    }

    fn opts() -> Options {
        Options {
            service: "svc".into(),
            source: "h.json".into(),
            ..Options::default()
        }
    }

    #[test]
    fn pods_errors_and_restarts_come_from_the_totals() {
        let mut ready = vec![3.0; 120];
        ready[5] = 2.0;
        let c = calibrate(&history(ready, 6.0), &opts()).unwrap();
        assert_eq!(c.replicas, 3);
        assert!((c.error_probability - 0.01).abs() < 1e-12);
        // 6 restarts over (119 × 3 + 2) pods × 60 s = 5.983 pod-hours.
        assert!((c.pod_hours - 359.0 / 60.0).abs() < 1e-9, "{}", c.pod_hours);
        assert!((c.crash_rate_per_hour.unwrap() - 6.0 / c.pod_hours).abs() < 1e-12);
        assert!(
            c.scenario.contains("kind = \"instance-kill\""),
            "{}",
            c.scenario
        );
        assert_eq!(c.traffic.chosen.shape.name(), "constant");
        assert_eq!(c.latency.chosen.response.service.name(), "constant");
        // Lower median: an even count of 2s and 3s gives 2, a count the fleet had.
        let mut even = vec![2.0; 60];
        even.extend(vec![3.0; 60]);
        assert_eq!(calibrate(&history(even, 0.0), &opts()).unwrap().replicas, 2);
    }

    #[test]
    fn without_pods_replicas_must_be_given() {
        let e = calibrate(&history(Vec::new(), 0.0), &opts()).unwrap_err();
        assert!(e.contains("h.json: no ready-pod series"), "{e}");
        let c = calibrate(
            &history(Vec::new(), 0.0),
            &Options {
                replicas: Some(4),
                ..opts()
            },
        )
        .unwrap();
        assert_eq!(c.replicas, 4);
        assert!(!c.scenario.contains("instance-kill"));
        assert!((c.pod_hours - 8.0).abs() < 1e-9);
        let zero = calibrate(&history(vec![0.0; 120], 0.0), &opts()).unwrap_err();
        assert!(zero.contains("median over the range is 0 pods"), "{zero}");
    }

    #[test]
    fn a_replay_holds_the_step_rates_from_the_range_start_to_its_end() {
        let c = calibrate(
            &history(vec![3.0; 120], 0.0),
            &Options {
                replay_file: Some("s.rates.csv".into()),
                ..opts()
            },
        )
        .unwrap();
        let p = &c.rates.as_ref().unwrap().points;
        assert_eq!(p.len(), 122);
        assert_eq!(
            (p[0], p[1], p[121]),
            ((0.0, 10.0), (30.0, 10.0), (7200.0, 10.0))
        );
        assert!(
            c.scenario
                .contains("profile = \"replay\"\nfile = \"s.rates.csv\"")
        );
        assert!(c.scenario.contains("horizon_seconds = 1800"));
    }
}
