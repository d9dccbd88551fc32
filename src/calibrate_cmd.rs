//! `rollcage calibrate`: a scenario fitted to a service's own history, from a
//! Prometheus server (`--prometheus`, through `runner::prometheus`, the one client) or
//! a file of the same answers (`--from-file`), read by `runner::calibrate::history`
//! either way. The scenario (and with `--replay` its rates file) is written atomically,
//! after it reads back with the scenario reader; an existing file is refused without
//! `--force`, before anything is asked.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use policies::k8s_names::{HttpUrl, ServiceName};
use runner::RunnerError;
use runner::calibrate::{self, Options, history, query};
use runner::output::{refuse_existing_file, write_atomic};
use runner::prometheus::{Ask, Client, Range};

use crate::gate_cmd::{MAX_POINTS, parse_step, parse_url, read_bounded};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["prometheus", "from_file"])))]
pub struct CalibrateArgs {
    /// A Prometheus server (http://HOST:PORT[/PATH]) holding the service's series.
    #[arg(long, value_parser = parse_url, requires_all = ["service", "from", "to"])]
    prometheus: Option<HttpUrl>,
    /// A file of the answers instead of a server: one JSON object of query_range
    /// answers keyed requests, errors, latency_bucket, latency_sum, restarts,
    /// ready_pods (docs/calibrate.md).
    #[arg(long, value_name = "DUMP")]
    from_file: Option<PathBuf>,
    /// The `service` label the queries select; the scenario's name.
    #[arg(long)]
    service: Option<ServiceName>,
    /// The range's start (Unix seconds or RFC 3339): simulated t = 0.
    #[arg(long, value_parser = crate::numbers::time_point, requires = "prometheus")]
    from: Option<f64>,
    /// The range's end (inclusive).
    #[arg(long, value_parser = crate::numbers::time_point, requires = "prometheus")]
    to: Option<f64>,
    /// The queries' step, in whole seconds (1s to 1h).
    #[arg(long, default_value = "60s", value_parser = parse_step)]
    step: u64,
    /// A TOML file renaming the series and labels the queries read (docs/exports.md,
    /// "Metrics the queries assume").
    #[arg(long, value_name = "FILE", requires = "prometheus")]
    metric_names: Option<PathBuf>,
    /// Workers per pod (fleet.concurrency): the series do not show it. Default 1.
    #[arg(long, value_parser = crate::numbers::whole::<u32, 1, 10_000>)]
    concurrency: Option<u32>,
    /// The pods, when the series have no ready-pod gauge.
    #[arg(long, value_parser = crate::numbers::whole::<u32, 1, 10_000>)]
    replicas: Option<u32>,
    /// The SLO's objective (`99.9%` or `0.999`); default 99.9%.
    #[arg(long, value_parser = parse_objective)]
    slo: Option<f64>,
    /// The SLO's latency threshold (`300ms`, `0.3s`); default 500 ms.
    #[arg(long, value_parser = parse_threshold)]
    latency_threshold: Option<f64>,
    /// Replay the observed rate instead of a fitted profile: the rates are written
    /// beside the scenario (NAME.rates.csv) and the scenario points at them.
    #[arg(long)]
    replay: bool,
    /// The scenario file to write.
    #[arg(long)]
    out: PathBuf,
    /// Overwrite --out (and its rates file) if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    client: crate::args::PrometheusClient,
}

/// `99.9%` or `0.999`: strictly between 0 and 1.
fn parse_objective(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok().map(|p| p / 100.0),
        None => t.parse::<f64>().ok(),
    };
    v.filter(|v| *v > 0.0 && *v < 1.0)
        .ok_or_else(|| "expected an objective strictly between 0 and 100%, e.g. 99.9%".into())
}

/// `300ms`, `0.3s`, `0.3`: milliseconds, from a microsecond to a day.
fn parse_threshold(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let ms = match t.strip_suffix("ms") {
        Some(m) => m.trim().parse::<f64>().ok(),
        None => sim_core::duration_text::parse(t).map(|s| s * 1000.0),
    };
    ms.filter(|m| m.is_finite() && (0.001..=86_400_000.0).contains(m))
        .ok_or_else(|| "expected a duration from 1µs to a day, e.g. 300ms or 0.3s".into())
}

/// The rates file beside `out`: `NAME.rates.csv` for `NAME.toml`.
fn rates_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().map_or_else(
        || "scenario".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    out.with_file_name(format!("{stem}.rates.csv"))
}

pub fn run(args: CalibrateArgs) -> Result<(String, ExitCode), RunnerError> {
    let rates_file = args.replay.then(|| rates_path(&args.out));
    refuse_existing_file(&args.out, args.force, "--out")?;
    if let Some(r) = &rates_file {
        refuse_existing_file(r, args.force, "--replay's rates file")?;
    }
    let service = args
        .service
        .as_ref()
        .map_or_else(|| "service".to_string(), |s| s.as_str().to_string());
    let (source, text, queries) = match (&args.from_file, &args.prometheus) {
        (Some(path), _) => (path.display().to_string(), read_bounded(path)?, Vec::new()),
        (None, Some(url)) => {
            let (from, to) = (
                args.from.expect("clap requires --from"),
                args.to.expect("clap requires --to"),
            );
            let step = args.step as f64;
            if to < from + step {
                return Err(RunnerError::Usage(format!(
                    "--from {from} --to {to}: the range must hold at least 2 steps of {step} s"
                )));
            }
            // The first point counts the step after --from, so t = 0 is --from.
            let points = ((to - from) / step).floor() as u64;
            if points > MAX_POINTS {
                return Err(RunnerError::Usage(format!(
                    "{} s of {}-second steps are {points} points, over the {MAX_POINTS} Prometheus returns per query: pass a longer --step",
                    to - from,
                    args.step
                )));
            }
            let names = crate::export_cmd::series_names(args.metric_names.as_deref())?;
            let client = Client::new(url, args.client.config())?;
            let queries = query::queries(&names, &service, args.step);
            let range = Range {
                start: from + step,
                end: from + points as f64 * step,
                step_seconds: args.step,
            };
            let doc = client.fetch(&queries, Ask::Range(range))?;
            (format!("prometheus {}", client.address()), doc, queries)
        }
        (None, None) => unreachable!("clap requires one of --prometheus and --from-file"),
    };
    let h = history::read(&source, &text).map_err(RunnerError::Usage)?;
    let opts = Options {
        service,
        source,
        queries,
        concurrency: args.concurrency,
        replicas: args.replicas,
        objective: args.slo,
        latency_threshold_ms: args.latency_threshold,
        replay_file: rates_file
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned()),
    };
    let c = calibrate::calibrate(&h, &opts).map_err(RunnerError::Usage)?;
    // The rates first: the scenario reads back only with its file beside it.
    if let (Some(path), Some(rates)) = (&rates_file, &c.rates) {
        write_atomic(path, rates.to_csv().as_bytes())?;
    }
    let origin = args.out.display().to_string();
    let check = config::Doc::parse(&origin, &c.scenario)
        .and_then(|doc| scenarios::Scenario::from_doc(&doc).map(|_| ()));
    if let Err(problems) = check {
        if let Some(path) = &rates_file {
            let _ = std::fs::remove_file(path);
        }
        return Err(RunnerError::Usage(format!(
            "the calibrated scenario does not read back, so nothing is written:\n{problems}"
        )));
    }
    write_atomic(&args.out, c.scenario.as_bytes())?;
    Ok((
        summary(&c, &args.out, rates_file.as_deref()),
        ExitCode::SUCCESS,
    ))
}

/// What was fitted, in a few lines.
fn summary(c: &calibrate::Calibration, out: &Path, rates: Option<&Path>) -> String {
    let num = calibrate::num;
    let t = &c.traffic.chosen;
    let l = &c.latency.chosen;
    let s = l.response.service;
    let mut text = format!("wrote {}", out.display());
    if let Some(r) = rates {
        text.push_str(&format!(" and {}", r.display()));
    }
    text.push('\n');
    text.push_str(&format!(
        "  replicas    {} ({})\n",
        c.replicas, c.replicas_source
    ));
    text.push_str(&format!(
        "  traffic     {} (mean {}/s, RMSE {}/s, R² {}){}\n",
        t.shape.name(),
        num(c.traffic.mean),
        num(t.rmse),
        num(t.r2),
        if rates.is_some() { ", replayed" } else { "" }
    ));
    text.push_str(&format!(
        "  service     {} mean {} ms{} (KS {}; utilisation {}, mean wait {} ms)\n",
        s.name(),
        num(s.mean() * 1000.0),
        match s {
            calibrate::fit::latency::Service::LogNormal { sigma, .. } =>
                format!(" sigma {}", num(sigma)),
            _ => String::new(),
        },
        num(l.ks),
        num(c.latency.queue.utilisation(s.mean())),
        num(l.response.wait.mean() * 1000.0)
    ));
    text.push_str(&format!("  errors      {}\n", num(c.error_probability)));
    if let Some(r) = c.crash_rate_per_hour {
        text.push_str(&format!("  restarts    {} per pod-hour\n", num(r)));
    }
    text
}
