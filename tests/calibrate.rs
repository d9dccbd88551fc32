//! `rollcage calibrate` on series whose truth is known.
//!
//! A small generator here, independent of rollcage's engine (its own random numbers, its
//! own queue), plays a service: Poisson arrivals at a diurnal (or constant) rate, routed
//! at random to a known number of pods, each one FIFO worker serving log-normal service
//! times (Lindley's recursion gives each request's wait), a known share answered 5xx.
//! It writes what Prometheus would hold (OpenMetrics: the request counter by code, the
//! duration histogram, the ready pods, the restarts), which is backfilled with promtool
//! into a real Prometheus on 127.0.0.1, and the `query_range` answers calibrate asks for,
//! as a file for `--from-file`. The calibrated scenario must give the truth back within
//! the tolerances, and simulating it must reproduce the generator's latency
//! p50 and p95 and its error ratio.
//!
//! Needs `prometheus` and `promtool` for the server half (see `tests/support/
//! prometheus.rs` for the switches); the `--from-file` half always runs.

#[path = "support/prometheus.rs"]
mod prom;

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::{cli, run_fails, run_ok, stderr, temp_dir, write_file};

/// The scrape interval of the generated series.
const SCRAPE: u64 = 15;
/// calibrate's query step (its default).
const STEP: u64 = 60;
/// Unix time of the generated range's start (a whole day, so steps fall on scrapes).
const EPOCH: u64 = 1_790_985_600;
/// Histogram bounds, seconds: a service's own choice, finer than the client default.
const BOUNDS: [f64; 18] = [
    0.002, 0.004, 0.006, 0.008, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075,
    0.1, 0.15, 0.25, 0.5,
];
const SERVICE: &str = "checkout";

/// The service the generator plays.
#[derive(Clone, Copy, Debug)]
struct Truth {
    pods: u32,
    /// Mean requests per second, the diurnal amplitude and the peak (seconds after
    /// `EPOCH`, period a day).
    rate: f64,
    amplitude: f64,
    peak_at: f64,
    service_mean: f64,
    sigma: f64,
    error_probability: f64,
    seconds: u64,
    seed: u64,
}

/// SplitMix64: the generator's own random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        // Box–Muller.
        (-2.0 * self.unit().ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }
}

/// What the generator's service did: per scrape, the counters' values; every latency.
struct Generated {
    /// Per scrape (at EPOCH + (i + 1) × SCRAPE): cumulative ok, 5xx, bucket counts
    /// (one per bound, then +Inf), duration sum.
    scrapes: Vec<(u64, u64, Vec<u64>, f64)>,
    /// Ready pods at each scrape.
    ready: Vec<u32>,
    latencies: Vec<f64>,
    errors: u64,
}

impl Truth {
    fn rate_at(&self, t: f64) -> f64 {
        self.rate
            * (1.0 + self.amplitude * (std::f64::consts::TAU * (t - self.peak_at) / 86_400.0).cos())
    }

    fn generate(&self) -> Generated {
        let mut rng = Rng(self.seed);
        let peak = self.rate * (1.0 + self.amplitude);
        let mu = self.service_mean.ln() - 0.5 * self.sigma * self.sigma;
        let mut free_at = vec![0.0f64; self.pods as usize];
        let mut t = 0.0;
        let (mut ok, mut bad, mut sum) = (0u64, 0u64, 0.0f64);
        let mut buckets = vec![0u64; BOUNDS.len() + 1];
        let mut scrapes = Vec::new();
        let mut next_scrape = SCRAPE as f64;
        let mut latencies = Vec::new();
        let end = self.seconds as f64;
        loop {
            t += -rng.unit().ln() / peak;
            while t >= next_scrape && next_scrape <= end {
                scrapes.push((ok, bad, buckets.clone(), sum));
                next_scrape += SCRAPE as f64;
            }
            if t >= end {
                break;
            }
            // Thinning: kept with probability rate(t) / peak.
            if rng.unit() * peak >= self.rate_at(t) {
                continue;
            }
            let pod = (rng.next() % u64::from(self.pods)) as usize;
            let service = (mu + self.sigma * rng.normal()).exp();
            let begin = t.max(free_at[pod]);
            free_at[pod] = begin + service;
            let latency = free_at[pod] - t;
            latencies.push(latency);
            sum += latency;
            for (i, b) in BOUNDS.iter().enumerate() {
                if latency <= *b {
                    buckets[i] += 1;
                }
            }
            buckets[BOUNDS.len()] += 1;
            if rng.unit() < self.error_probability {
                bad += 1;
            } else {
                ok += 1;
            }
        }
        // One pod out for 10 minutes at the third hour: the median still sees them all.
        let ready = (0..scrapes.len())
            .map(|i| {
                let at = (i as u64 + 1) * SCRAPE;
                if (10_800..11_400).contains(&at) {
                    self.pods - 1
                } else {
                    self.pods
                }
            })
            .collect();
        Generated {
            scrapes,
            ready,
            latencies,
            errors: bad,
        }
    }
}

impl Generated {
    fn time(i: usize) -> u64 {
        EPOCH + (i as u64 + 1) * SCRAPE
    }

    /// The OpenMetrics text Prometheus would have scraped.
    fn openmetrics(&self) -> String {
        let mut out = String::new();
        let sel = format!("service=\"{SERVICE}\"");
        let _ = writeln!(out, "# TYPE http_requests counter");
        for (code, pick) in [("200", 0usize), ("500", 1)] {
            for (i, s) in self.scrapes.iter().enumerate() {
                let v = if pick == 0 { s.0 } else { s.1 };
                let _ = writeln!(
                    out,
                    "http_requests_total{{{sel},code=\"{code}\"}} {v} {}",
                    Self::time(i)
                );
            }
        }
        let _ = writeln!(out, "# TYPE http_request_duration_seconds histogram");
        for k in 0..=BOUNDS.len() {
            let le = BOUNDS.get(k).map_or("+Inf".to_string(), |b| format!("{b}"));
            for (i, s) in self.scrapes.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{sel},le=\"{le}\"}} {} {}",
                    s.2[k],
                    Self::time(i)
                );
            }
        }
        for (i, s) in self.scrapes.iter().enumerate() {
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{{sel}}} {} {}",
                s.3,
                Self::time(i)
            );
        }
        for (i, s) in self.scrapes.iter().enumerate() {
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{{sel}}} {} {}",
                s.2[BOUNDS.len()],
                Self::time(i)
            );
        }
        let _ = writeln!(out, "# TYPE kube_replicaset_status_ready_replicas gauge");
        for (i, r) in self.ready.iter().enumerate() {
            let _ = writeln!(
                out,
                "kube_replicaset_status_ready_replicas{{{sel},replicaset=\"{SERVICE}-1\"}} {r} {}",
                Self::time(i)
            );
        }
        let _ = writeln!(out, "# TYPE kube_pod_container_status_restarts counter");
        for i in 0..self.scrapes.len() {
            let _ = writeln!(
                out,
                "kube_pod_container_status_restarts_total{{{sel},pod=\"{SERVICE}-a\"}} 0 {}",
                Self::time(i)
            );
        }
        out.push_str("# EOF\n");
        out
    }

    /// The `query_range` answers calibrate's queries give over the whole range at
    /// `STEP`: each counter's increase over the step ending at each point.
    fn dump(&self) -> String {
        let per = (STEP / SCRAPE) as usize;
        let points: Vec<usize> = (1..=self.scrapes.len() / per)
            .map(|k| k * per - 1)
            .collect();
        let prev = |i: usize| i.checked_sub(per);
        let matrix = |series: Vec<(String, Vec<String>)>| -> String {
            let s: Vec<String> = series
                .into_iter()
                .map(|(labels, values)| {
                    let v: Vec<String> = points
                        .iter()
                        .zip(values)
                        .map(|(&i, x)| format!("[{}, \"{x}\"]", Self::time(i)))
                        .collect();
                    format!(
                        "{{\"metric\": {{{labels}}}, \"values\": [{}]}}",
                        v.join(",")
                    )
                })
                .collect();
            format!(
                "{{\"status\": \"success\", \"data\": {{\"resultType\": \"matrix\", \"result\": [{}]}}}}",
                s.join(",")
            )
        };
        let delta = |f: &dyn Fn(usize) -> f64| -> Vec<String> {
            points
                .iter()
                .map(|&i| format!("{}", f(i) - prev(i).map_or(0.0, f)))
                .collect()
        };
        let s = &self.scrapes;
        let requests = delta(&|i| (s[i].0 + s[i].1) as f64);
        let errors = delta(&|i| s[i].1 as f64);
        let buckets: Vec<(String, Vec<String>)> = (0..=BOUNDS.len())
            .map(|k| {
                let le = BOUNDS.get(k).map_or("+Inf".to_string(), |b| format!("{b}"));
                (format!("\"le\": \"{le}\""), delta(&|i| s[i].2[k] as f64))
            })
            .collect();
        let sums = delta(&|i| s[i].3);
        let ready = points.iter().map(|&i| self.ready[i].to_string()).collect();
        let restarts = points.iter().map(|_| "0".to_string()).collect();
        format!(
            "{{\"requests\": {},\n\"errors\": {},\n\"latency_bucket\": {},\n\"latency_sum\": {},\n\"restarts\": {},\n\"ready_pods\": {}}}\n",
            matrix(vec![(String::new(), requests)]),
            matrix(vec![(String::new(), errors)]),
            matrix(buckets),
            matrix(vec![(String::new(), sums)]),
            matrix(vec![(String::new(), restarts)]),
            matrix(vec![(String::new(), ready)]),
        )
    }

    /// The q quantile of every latency (nearest rank).
    fn quantile(&self, q: f64) -> f64 {
        let mut v = self.latencies.clone();
        v.sort_by(f64::total_cmp);
        v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
    }

    fn error_ratio(&self) -> f64 {
        self.errors as f64 / self.latencies.len() as f64
    }
}

/// A calibrated scenario's values, read back through the scenario reader.
fn read_scenario(path: &Path) -> scenarios::Scenario {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = config::Doc::parse(&path.display().to_string(), &text).unwrap();
    scenarios::Scenario::from_doc(&doc).unwrap_or_else(|p| panic!("{p}\n{text}"))
}

fn within(what: &str, got: f64, want: f64, rel: f64) {
    eprintln!(
        "{what}: {got} against {want} ({:+.2}%)",
        (got - want) / want * 100.0
    );
    assert!(
        ((got - want) / want).abs() <= rel,
        "{what}: {got} is not within {}% of {want}",
        rel * 100.0
    );
}

/// The calibrated scenario's simulated latency p50, p95 and error ratio (no release:
/// the fleet as it was).
fn simulate(path: &Path) -> (f64, f64, f64) {
    let json = run_ok(&[
        "run",
        "--scenario",
        &path.display().to_string(),
        "--set",
        "scenario.release.enabled=false",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let m = &v;
    let requests = m["requests_total"].as_f64().unwrap();
    let errors = m["bad_events"]["error"].as_f64().unwrap();
    (
        m["latency_p50_ms"].as_f64().unwrap() / 1000.0,
        m["latency_p95_ms"].as_f64().unwrap() / 1000.0,
        errors / requests,
    )
}

/// The tolerances on a diurnal, lightly loaded service, for one calibrated file.
fn check_light(truth: &Truth, g: &Generated, path: &Path) {
    let s = read_scenario(path);
    assert_eq!(s.fleet.replicas, truth.pods, "replicas exact");
    let scenarios::Traffic::Diurnal {
        rate, amplitude, ..
    } = s.traffic
    else {
        panic!("not diurnal: {:?}", s.traffic)
    };
    within("mean rate", rate, truth.rate, 0.03);
    eprintln!("amplitude: {amplitude} against {}", truth.amplitude);
    assert!(
        (amplitude - truth.amplitude).abs() <= 0.05,
        "amplitude {amplitude} vs {}",
        truth.amplitude
    );
    let scenarios::Service::Lognormal { mean_ms, sigma } = s.service else {
        panic!("not log-normal: {:?}", s.service)
    };
    within("service mean", mean_ms / 1000.0, truth.service_mean, 0.10);
    within("sigma", sigma, truth.sigma, 0.15);
    within(
        "error probability",
        s.baseline.error_probability,
        truth.error_probability,
        0.20,
    );
    let (p50, p95, errors) = simulate(path);
    within("simulated p50", p50, g.quantile(0.5), 0.05);
    within("simulated p95", p95, g.quantile(0.95), 0.05);
    within("simulated error ratio", errors, g.error_ratio(), 0.20);
}

const LIGHT: Truth = Truth {
    pods: 20,
    rate: 50.0,
    amplitude: 0.4,
    peak_at: 15.0 * 3600.0,
    service_mean: 0.02,
    sigma: 0.5,
    error_probability: 0.01,
    seconds: 86_400,
    seed: 20,
};

/// A day of a lightly loaded diurnal service, from a file and from a real Prometheus.
#[test]
fn a_diurnal_light_service_is_calibrated_to_its_truth() {
    let dir = temp_dir("calibrate-light");
    let g = LIGHT.generate();
    // The generator is what it says: about 5% utilisation, the diurnal mean.
    let n = g.latencies.len() as f64;
    within("generated requests", n, LIGHT.rate * 86_400.0, 0.01);
    let dump = write_file(&dir, "dump.json", g.dump());
    let from_file = dir.join("file.toml");
    let out = run_ok(&[
        "calibrate",
        "--from-file",
        &dump,
        "--service",
        SERVICE,
        "--out",
        &from_file.display().to_string(),
    ]);
    assert!(out.contains("traffic     diurnal"), "{out}");
    check_light(&LIGHT, &g, &from_file);
    run_ok(&["validate", &from_file.display().to_string()]);

    let Some(bins) = prom::binaries("a_diurnal_light_service_is_calibrated_to_its_truth") else {
        return;
    };
    let server = prom::Prometheus::start(&bins, &g.openmetrics(), EPOCH as i64, &dir.join("prom"));
    let from_server = dir.join("server.toml");
    run_ok(&[
        "calibrate",
        "--prometheus",
        &server.url(),
        "--service",
        SERVICE,
        "--from",
        &EPOCH.to_string(),
        "--to",
        &(EPOCH + LIGHT.seconds).to_string(),
        "--slo",
        "99.5%",
        "--latency-threshold",
        "300ms",
        "--out",
        &from_server.display().to_string(),
    ]);
    check_light(&LIGHT, &g, &from_server);
    let s = read_scenario(&from_server);
    assert_eq!(s.slo.objective, 0.995);
    assert_eq!(s.slo.latency_threshold_ms, 300.0);
    // The comments name the queries the server was asked.
    let text = std::fs::read_to_string(&from_server).unwrap();
    assert!(
        text.contains(
            "# Ready pods: sum(kube_replicaset_status_ready_replicas{service=\"checkout\"})"
        ),
        "{text}"
    );
    // With --replay: the rates beside the scenario, and the scenario pointing at them.
    let replayed = dir.join("replayed.toml");
    run_ok(&[
        "calibrate",
        "--prometheus",
        &server.url(),
        "--service",
        SERVICE,
        "--from",
        &EPOCH.to_string(),
        "--to",
        &(EPOCH + 7200).to_string(),
        "--replay",
        "--out",
        &replayed.display().to_string(),
    ]);
    drop(server);
    let s = read_scenario(&replayed);
    let scenarios::Traffic::Replay { file, .. } = &s.traffic else {
        panic!("{:?}", s.traffic)
    };
    assert_eq!(file, "replayed.rates.csv");
    let rates = std::fs::read_to_string(dir.join("replayed.rates.csv")).unwrap();
    let series = scenarios::replay::RateSeries::from_csv("rates", &rates).unwrap();
    assert_eq!(series.points.len(), 120 + 2);
    // The replayed rate follows the truth (Poisson noise of a minute: about 2%).
    let worst = series.points[1..series.points.len() - 1]
        .iter()
        .map(|&(t, r)| ((r - LIGHT.rate_at(t)) / LIGHT.rate_at(t)).abs())
        .fold(0.0, f64::max);
    assert!(
        worst < 0.12,
        "a replayed rate {:.1}% off the truth",
        worst * 100.0
    );
    // And the replayed scenario runs the observed rate: two hours from midnight of a
    // day peaking at 15:00, the first half hour's mean rate is the truth's.
    let json = run_ok(&[
        "run",
        "--scenario",
        &replayed.display().to_string(),
        "--set",
        "scenario.release.enabled=false",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let expected: f64 = (0..1800).map(|t| LIGHT.rate_at(t as f64 + 0.5)).sum();
    within(
        "replayed requests",
        v["requests_total"].as_f64().unwrap(),
        expected,
        0.02,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// At 70% utilisation most of the latency is waiting: the service time calibrated
/// from it must be the service time, or the simulation's p95 would be far off.
#[test]
fn the_queueing_correction_reproduces_a_loaded_service() {
    let dir = temp_dir("calibrate-loaded");
    let truth = Truth {
        pods: 10,
        rate: 350.0,
        amplitude: 0.0,
        peak_at: 0.0,
        service_mean: 0.02,
        sigma: 0.5,
        error_probability: 0.02,
        seconds: 7200,
        seed: 70,
    };
    let g = truth.generate();
    let dump = write_file(&dir, "dump.json", g.dump());
    let out = dir.join("loaded.toml");
    run_ok(&[
        "calibrate",
        "--from-file",
        &dump,
        "--service",
        SERVICE,
        "--out",
        &out.display().to_string(),
    ]);
    let s = read_scenario(&out);
    assert!(
        matches!(s.traffic, scenarios::Traffic::Constant { .. }),
        "{:?}",
        s.traffic
    );
    let scenarios::Service::Lognormal { mean_ms, sigma } = s.service else {
        panic!("{:?}", s.service)
    };
    // The response mean is 2.5 times the service mean; the fit finds the service's.
    within("service mean", mean_ms / 1000.0, truth.service_mean, 0.10);
    within("sigma", sigma, truth.sigma, 0.15);
    let (p50, p95, errors) = simulate(&out);
    within("simulated p95", p95, g.quantile(0.95), 0.10);
    within("simulated p50", p50, g.quantile(0.5), 0.10);
    within("simulated error ratio", errors, g.error_ratio(), 0.20);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Outputs are never overwritten silently, nothing is written on bad input, and bad
/// input names the file, the place and the problem (exit 2).
#[test]
fn calibrate_refuses_what_it_cannot_use() {
    let dir = temp_dir("calibrate-refusals");
    let truth = Truth {
        seconds: 1800,
        ..LIGHT
    };
    let g = truth.generate();
    let dump = write_file(&dir, "dump.json", g.dump());
    let out = dir.join("s.toml").display().to_string();
    run_ok(&["calibrate", "--from-file", &dump, "--out", &out]);
    let first = std::fs::read(&out).unwrap();
    run_fails(
        &["calibrate", "--from-file", &dump, "--out", &out],
        2,
        "s.toml: --out: the file exists; pass --force to overwrite it",
    );
    run_ok(&["calibrate", "--from-file", &dump, "--out", &out, "--force"]);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        first,
        "the same input, the same bytes"
    );
    let bad = write_file(
        &dir,
        "bad.json",
        g.dump().replacen("\"requests\"", "\"request\"", 1),
    );
    let fresh = dir.join("fresh.toml").display().to_string();
    run_fails(
        &["calibrate", "--from-file", &bad, "--out", &fresh],
        2,
        "bad.json: request: unknown key (did you mean \"requests\"?)",
    );
    assert!(!Path::new(&fresh).exists());
    // A server that is not there: the address and the key, exit 2.
    let o = cli(&[
        "calibrate",
        "--prometheus",
        "http://127.0.0.1:9",
        "--service",
        SERVICE,
        "--from",
        "1000",
        "--to",
        "5000",
        "--retries",
        "0",
        "--out",
        &fresh,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("prometheus http://127.0.0.1:9: query \"requests\""),
        "{}",
        stderr(&o)
    );
    run_fails(
        &[
            "calibrate",
            "--from-file",
            &dump,
            "--out",
            &fresh,
            "--slo",
            "100%",
        ],
        2,
        "expected an objective strictly between 0 and 100%",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The history `examples/calibrate/checkout-history.json` holds, which the README's
/// walkthrough calibrates: four hours of a morning's rise, written by this generator
/// (`ROLLCAGE_WRITE_EXAMPLES=1` writes it again).
const EXAMPLE: Truth = Truth {
    pods: 12,
    rate: 40.0,
    amplitude: 0.3,
    peak_at: 9.0 * 3600.0,
    service_mean: 0.025,
    sigma: 0.6,
    error_probability: 0.002,
    seconds: 4 * 3600,
    seed: 4,
};

#[test]
fn the_example_history_is_the_generators() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/calibrate/checkout-history.json"
    );
    let dump = EXAMPLE.generate().dump();
    if std::env::var_os("ROLLCAGE_WRITE_EXAMPLES").is_some() {
        std::fs::write(path, &dump).unwrap();
    }
    let shipped = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        shipped == dump,
        "{path} is not the generator's output: run this test with ROLLCAGE_WRITE_EXAMPLES=1"
    );
}

/// A replayed profile reads its file beside the scenario from any directory, runs
/// the same twice, and a bad file is refused naming the key, the file, the line and the
/// problem (exit 2).
#[test]
fn replay_files_are_read_beside_the_scenario_and_bad_ones_refused() {
    let dir = temp_dir("calibrate-replay-files");
    write_file(
        &dir,
        "day.rates.csv",
        "time_seconds,requests_per_second\n0,100\n900,300\n1800,100\n",
    );
    let scenario = write_file(
        &dir,
        "day.toml",
        "schema_version = 1\n[run]\nhorizon_seconds = 1800\n[traffic]\nprofile = \"replay\"\nfile = \"day.rates.csv\"\nscale = 0.5\n",
    );
    let run = || {
        run_ok(&[
            "run",
            "--scenario",
            &scenario,
            "--set",
            "scenario.release.enabled=false",
            "--json",
        ])
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b, "a replay is deterministic");
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    // Half of (1800 s × the mean 200/s).
    within(
        "replayed requests",
        v["requests_total"].as_f64().unwrap(),
        180_000.0,
        0.01,
    );
    assert_eq!(v["inputs"]["scenario_resolved"]["traffic"]["shift"], 0.0);
    write_file(
        &dir,
        "day.rates.csv",
        "time_seconds,requests_per_second\n0,100\n900,lots\n1800,100\n",
    );
    let err = run_fails(&["validate", &scenario], 2, "traffic.file: ");
    assert!(
        err.contains("day.rates.csv: line 3: requests_per_second \"lots\""),
        "{err}"
    );
    write_file(
        &dir,
        "day.rates.csv",
        "time_seconds,requests_per_second\n0,100\n1799,100\n",
    );
    run_fails(
        &["validate", &scenario],
        2,
        "covers 0 s to 1799 s; the run replays 0 s to 1800 s",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
