//! `rollcage gate`: judge real metrics with a policy's gates, the step a CI/CD pipeline
//! runs between batches, or backtest the policy over a past range. Exit 0: advance (or
//! promote); 1: a gate failed (roll back or abort); 3: inconclusive (pause and look
//! again); 2: bad input, or a server that did not answer properly.
//!
//! The metrics come from a file (`--metrics`) or from a Prometheus server
//! (`--prometheus`, through `runner::prometheus`, with the queries of
//! `policies::live_query`); either way they are read by `policies::live`, so the
//! validation is one code path. One moment (`--at`) is judged by every gate once; a
//! range (`--from`/`--to`) is backtested by the policy's own controller
//! (`policies::backtest`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::args::{Import, PolicyOverrides, print_notes};
use policies::backtest::{self, Decision};
use policies::gate::Verdict;
use policies::k8s_names::{HttpUrl, ServiceName};
use policies::live_fleet;
use policies::{CanarySpec, Policy, PolicyKind};
use runner::RunnerError;
use runner::inputs::load_policy_with_sets;
use runner::prometheus::{Ask, Client, Range};
use serde::Serialize;
use sim_core::SimTime;
use sim_core::log::{LogKind, LogRecord};
use sim_core::metrics::{MetricsView, Sample};
use sim_core::record::FleetPoint;

/// `--replicas` when neither the flag nor a manifest gives it.
const DEFAULT_REPLICAS: u32 = 10;

/// The most points one `query_range` may ask for: Prometheus refuses more than 11,000
/// per series.
pub const MAX_POINTS: u64 = 11_000;
/// How far before the judged moment the queries reach beyond the longest gate window:
/// a relative gate whose baseline is idle compares with the baseline's latest window
/// in the past hour (as the exported queries do).
const BASELINE_LOOKBACK_SECONDS: f64 = 3600.0;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["metrics", "prometheus"])))]
pub struct GateArgs {
    /// A built-in policy name, a policy file (TOML or exported JSON), or a manifest
    /// (docs/import.md).
    #[arg(long)]
    policy: String,
    #[command(flatten)]
    overrides: PolicyOverrides,
    #[command(flatten)]
    import: Import,
    /// Prometheus query_range responses (JSON) or a CSV: series, columns, units and
    /// examples in docs/exports.md ("Gate input"); examples/gate/ has files that pass
    /// and fail. Input that is not what those queries produce exits 2.
    #[arg(long)]
    metrics: Option<PathBuf>,
    /// A Prometheus server (http://HOST:PORT[/PATH]) to query instead of a file.
    #[arg(long, value_parser = parse_url)]
    prometheus: Option<HttpUrl>,
    /// The `service` label the queries select (default: the policy's name).
    #[arg(long, requires = "prometheus")]
    service: Option<ServiceName>,
    /// A TOML file renaming the series and labels the queries read (docs/exports.md,
    /// "Metrics the queries assume").
    #[arg(long, value_name = "FILE", requires = "prometheus")]
    metric_names: Option<PathBuf>,
    /// The scrape interval: the queries' step, in whole seconds (1s to 1h).
    #[arg(long, default_value = "15s", value_parser = parse_step)]
    step: u64,
    #[command(flatten)]
    client: crate::args::PrometheusClient,
    /// Judge this moment (Unix seconds or RFC 3339); default: the latest sample of a
    /// file, now for a server.
    #[arg(long, value_parser = crate::numbers::time_point, conflicts_with_all = ["from", "to"])]
    at: Option<f64>,
    /// Backtest from this moment (Unix seconds or RFC 3339): the rollout starts here.
    #[arg(long, value_parser = crate::numbers::time_point, requires = "to")]
    from: Option<f64>,
    /// Backtest up to this moment (inclusive).
    #[arg(long, value_parser = crate::numbers::time_point, requires = "from")]
    to: Option<f64>,
    /// Where a backtest's pods come from: `observed` reads the ReplicaSets' status
    /// series (kube-state-metrics' pods, ready and available replicas by version) and
    /// fails without them; `instant` takes the pods to follow the controller at once;
    /// `auto` observes when the server has the series, and is instant for a file.
    #[arg(long, value_enum, default_value_t = FleetChoice::Auto)]
    fleet: FleetChoice,
    /// The fleet's desired replicas in a backtest (the controllers' batch arithmetic;
    /// default: a manifest's spec.replicas, else 10).
    #[arg(long, value_parser = crate::numbers::whole::<u32, 1, 10_000>)]
    replicas: Option<u32>,
    /// One JSON document instead of text: the evaluations with the fields of the gate
    /// rows of a run's events.csv, the decisions, and the overall decision.
    #[arg(long)]
    json: bool,
}

pub(crate) fn parse_url(s: &str) -> Result<HttpUrl, String> {
    HttpUrl::new(s).map_err(|e| e.to_string())
}

pub(crate) fn parse_step(s: &str) -> Result<u64, String> {
    let expected = "expected whole seconds from 1s to 1h, e.g. 15s";
    let secs = crate::numbers::duration(s).map_err(|_| expected.to_string())?;
    if secs.fract() != 0.0 || !(1.0..=3600.0).contains(&secs) {
        return Err(expected.into());
    }
    Ok(secs as u64)
}

/// Reads the metrics file, refusing one over `live::MAX_FILE_BYTES` before it is in
/// memory (and, for a pipe or a file still growing, once the limit is read) and one that
/// is not UTF-8, naming the byte where it stops being text.
pub(crate) fn read_bounded(path: &Path) -> Result<String, RunnerError> {
    let limit = policies::live::MAX_FILE_BYTES;
    let too_big = |n: String| {
        RunnerError::Usage(format!(
            "{}: {n} bytes, over the {} MiB a gate input may have",
            path.display(),
            limit >> 20
        ))
    };
    let f = std::fs::File::open(path).map_err(|e| RunnerError::io(path, e))?;
    let len = f.metadata().map_err(|e| RunnerError::io(path, e))?.len();
    if len > limit as u64 {
        return Err(too_big(len.to_string()));
    }
    let mut bytes = Vec::new();
    f.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| RunnerError::io(path, e))?;
    if bytes.len() > limit {
        return Err(too_big(format!("more than {limit}")));
    }
    String::from_utf8(bytes).map_err(|e| {
        RunnerError::Usage(format!(
            "{}: not UTF-8 text: byte {} is not part of a UTF-8 character",
            path.display(),
            e.utf8_error().valid_up_to() + 1
        ))
    })
}

/// What is judged: one moment, or a range backtested.
#[derive(Clone, Copy)]
enum Mode {
    At(Option<f64>),
    Range(f64, f64),
}

/// One row of the output: the fields of a run's `events.csv` (`EventRecord`).
#[derive(Serialize)]
struct Row {
    time_s: f64,
    kind: &'static str,
    subject: String,
    value: Option<f64>,
    threshold: Option<f64>,
    verdict: String,
    reason: String,
}

impl Row {
    fn of(r: &LogRecord) -> Row {
        Row {
            time_s: r.at.as_secs_f64(),
            kind: r.kind.name(),
            subject: r.subject.clone(),
            value: r.value,
            threshold: r.threshold,
            verdict: r.verdict.unwrap_or("").to_string(),
            reason: r.reason.clone(),
        }
    }
}

/// A decision the controller took at one moment.
#[derive(Serialize)]
struct Step {
    time_s: f64,
    decision: &'static str,
}

/// The `--json` document.
#[derive(Serialize)]
struct Report {
    schema_version: u32,
    policy: String,
    source: String,
    /// `at` or `backtest`.
    mode: &'static str,
    from_s: Option<f64>,
    to_s: f64,
    samples: usize,
    /// Gate evaluations, and in a backtest the controller's steps, phases and detections.
    events: Vec<Row>,
    /// Each moment the controller acted, with what it decided.
    decisions: Vec<Step>,
    decision: &'static str,
    /// A backtest whose range ended before the controller decided.
    cut_short: bool,
    /// A backtest's pods: `observed` (the fleet's series) or `instant`; none for `at`.
    fleet: Option<&'static str>,
    exit_code: u8,
}

/// `--fleet`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FleetChoice {
    Auto,
    Observed,
    Instant,
}

pub fn run(args: GateArgs) -> Result<(String, ExitCode), RunnerError> {
    let loaded = load_policy_with_sets(&args.policy, &args.overrides.sets, &args.import.flags())?;
    print_notes(&loaded.notes);
    let replicas = args
        .replicas
        .or(loaded.replicas.as_ref().map(|r| r.count))
        .unwrap_or(DEFAULT_REPLICAS);
    let policy = loaded.policy;
    let gates = policy.kind.gates();
    if gates.is_empty() {
        return Err(RunnerError::Usage(format!(
            "policy {} has no gates to judge with",
            policy.name
        )));
    }
    let mode = match (args.from, args.to) {
        (Some(a), Some(b)) if b < a => {
            return Err(RunnerError::Usage(format!("--to {b} is before --from {a}")));
        }
        (Some(a), Some(b)) => Mode::Range(a, b),
        _ => Mode::At(args.at),
    };
    let (source, samples, fleet) = match (&args.metrics, &args.prometheus) {
        (Some(path), _) => {
            if args.fleet == FleetChoice::Observed {
                return Err(RunnerError::Usage(
                    "--fleet observed reads the fleet's series from a server: give --prometheus, or --fleet instant".into(),
                ));
            }
            let file = path.display().to_string();
            let text = read_bounded(path)?;
            let samples = policies::live::read(&file, &text)
                .map_err(|e| RunnerError::Usage(e.to_string()))?;
            (file, samples, Vec::new())
        }
        (None, Some(url)) => fetch(&args, &policy, url, mode)?,
        (None, None) => unreachable!("clap requires one of --metrics and --prometheus"),
    };
    let report = match mode {
        Mode::At(at) => judge_at(&policy, &source, &samples, at),
        Mode::Range(a, b) => {
            let fleet = if fleet.is_empty() {
                backtest::Fleet::Instant
            } else {
                backtest::Fleet::Observed(&fleet)
            };
            judge_range(&policy, &source, &samples, a, b, replicas, fleet)
        }
    };
    let code = ExitCode::from(report.exit_code);
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&report).expect("a report serialises");
        s.push('\n');
        s
    } else {
        text_of(&report)
    };
    Ok((text, code))
}

/// Queries the server for the samples the mode needs: from the longest gate window and
/// the baseline's look-back before the first judged moment, on a grid of `--step`
/// through it, to the last; and for a backtest not on an instant fleet, the fleet's
/// raw samples over the same span (`policies::live_fleet`).
fn fetch(
    args: &GateArgs,
    policy: &Policy,
    url: &HttpUrl,
    mode: Mode,
) -> Result<(String, Vec<Sample>, Vec<FleetPoint>), RunnerError> {
    let service = crate::export_cmd::service_or_policy_name(&args.service, policy)?;
    let names = crate::export_cmd::series_names(args.metric_names.as_deref())?;
    let step = args.step as f64;
    let (first, last) = match mode {
        Mode::At(Some(t)) => (t, t),
        Mode::At(None) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()) as f64;
            (now, now)
        }
        Mode::Range(a, b) => (a, b),
    };
    let window = policy
        .kind
        .gates()
        .iter()
        .map(|g| g.window_seconds)
        .fold(0.0, f64::max);
    let history = ((window + BASELINE_LOOKBACK_SECONDS) / step).ceil() * step;
    let start = (first - history).max(0.0);
    let points = ((last - start) / step).floor() as u64 + 1;
    if points > MAX_POINTS {
        return Err(RunnerError::Usage(format!(
            "{} s of {}-second steps ({} s judged and {history} s of history for the gates' windows) are {points} points, over the {MAX_POINTS} Prometheus returns per query: judge a shorter range or pass a longer --step",
            last - start,
            args.step,
            last - first
        )));
    }
    let client = Client::new(url, args.client.config())?;
    let queries = policies::live_query::queries(&names, service.as_str(), args.step);
    // The grid ends at the last judged moment, so every judged moment sees the step
    // that ends there.
    let start = last - ((last - start) / step).floor() * step;
    let range = Range {
        start,
        end: last,
        step_seconds: args.step,
    };
    let doc = client.fetch(&queries, Ask::Range(range))?;
    let source = client.address().to_string();
    let samples = policies::live::from_prometheus(&source, &doc)
        .map_err(|e| RunnerError::Usage(e.to_string()))?;
    let fleet = match (mode, args.fleet) {
        (Mode::Range(..), FleetChoice::Auto | FleetChoice::Observed) => {
            // From the history's start, and one look-back before it for the state then.
            let seconds = (last - start).ceil() as u64 + live_fleet::LOOKBACK_MS as u64 / 1000;
            let queries = live_fleet::queries(&names, service.as_str(), seconds);
            let doc = client.fetch(&queries, Ask::Instant(last))?;
            let fleet = live_fleet::from_prometheus(&source, &doc, &names.labels.version)
                .map_err(|e| RunnerError::Usage(e.to_string()))?;
            if fleet.is_empty() && args.fleet == FleetChoice::Observed {
                return Err(RunnerError::Usage(format!(
                    "prometheus {source}: --fleet observed: no {} series for service {:?}: give --fleet instant, or name the series with --metric-names",
                    names.pods,
                    service.as_str()
                )));
            }
            fleet
        }
        _ => Vec::new(),
    };
    Ok((source, samples, fleet))
}

/// Every gate once at `at` (default: the latest sample), over everything visible then.
fn judge_at(policy: &Policy, source: &str, samples: &[Sample], at: Option<f64>) -> Report {
    let at = match at {
        Some(t) => SimTime::from_secs_f64(t),
        None => samples.last().map_or(SimTime::ZERO, |s| s.at),
    };
    let visible = &samples[..samples.partition_point(|s| s.at <= at)];
    let view = MetricsView::over(visible, at);
    // Flagger counts a window without data as a failed check; the others follow on_empty
    // (and Argo's no-data Error is a reason to look again, not yet to abort).
    let flagger = matches!(policy.kind, PolicyKind::Canary(CanarySpec::Flagger(_)));
    let mut events = Vec::new();
    let mut worst = Verdict::Pass;
    for g in policy.kind.gates() {
        let r = g.evaluate(&view, SimTime::ZERO);
        let verdict = if flagger && r.value.is_none() {
            Verdict::Fail
        } else {
            r.verdict
        };
        events.push(Row::of(&LogRecord {
            at,
            kind: LogKind::Gate,
            subject: g.name.clone(),
            value: r.value,
            threshold: r.bound,
            verdict: Some(verdict.name()),
            reason: r.reason,
        }));
        worst = match (worst, verdict) {
            (_, Verdict::Fail) | (Verdict::Fail, _) => Verdict::Fail,
            (_, Verdict::Inconclusive) | (Verdict::Inconclusive, _) => Verdict::Inconclusive,
            _ => Verdict::Pass,
        };
    }
    let decision = match worst {
        Verdict::Pass => Decision::Advance,
        Verdict::Fail => Decision::Rollback,
        Verdict::Inconclusive => Decision::Pause,
    };
    Report {
        schema_version: 1,
        policy: policy.name.clone(),
        source: source.to_string(),
        mode: "at",
        from_s: None,
        to_s: at.as_secs_f64(),
        samples: visible.len(),
        events,
        decisions: vec![Step {
            time_s: at.as_secs_f64(),
            decision: decision.name(),
        }],
        decision: decision.name(),
        cut_short: false,
        fleet: None,
        exit_code: decision.exit_code(),
    }
}

/// The policy's controller synced from `from` to `to` on the samples.
fn judge_range(
    policy: &Policy,
    source: &str,
    samples: &[Sample],
    from: f64,
    to: f64,
    replicas: u32,
    fleet: backtest::Fleet<'_>,
) -> Report {
    let (a, b) = (SimTime::from_secs_f64(from), SimTime::from_secs_f64(to));
    let fleet_name = match fleet {
        backtest::Fleet::Instant => "instant",
        backtest::Fleet::Observed(_) => "observed",
    };
    let bt = backtest::run(policy, samples, a, b, replicas, fleet);
    let mut decisions = Vec::new();
    let mut i = 0;
    while i < bt.log.len() {
        let at = bt.log[i].at;
        let j = i + bt.log[i..].iter().take_while(|r| r.at == at).count();
        if let Some(d) = backtest::step_decision(&bt.log[i..j]) {
            decisions.push(Step {
                time_s: at.as_secs_f64(),
                decision: d.name(),
            });
        }
        i = j;
    }
    let mut events: Vec<Row> = bt.log.iter().map(Row::of).collect();
    if let Some(why) = &bt.limit_hit {
        events.push(Row {
            time_s: to,
            kind: LogKind::Limit.name(),
            subject: "backtest".into(),
            value: None,
            threshold: None,
            verdict: String::new(),
            reason: why.clone(),
        });
    }
    let decision = bt.decision();
    Report {
        schema_version: 1,
        policy: policy.name.clone(),
        source: source.to_string(),
        mode: "backtest",
        from_s: Some(from),
        to_s: to,
        samples: samples.partition_point(|s| s.at <= b),
        events,
        decisions,
        decision: decision.name(),
        cut_short: bt.cut_short,
        fleet: Some(fleet_name),
        exit_code: decision.exit_code(),
    }
}

fn text_of(r: &Report) -> String {
    let fmt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.6}"));
    let mut out = match r.from_s {
        None => format!(
            "rollcage gate: policy {} on {} ({} samples up to t={})\n",
            r.policy, r.source, r.samples, r.to_s
        ),
        Some(from) => format!(
            "rollcage gate: policy {} on {}: backtest from t={from} to t={} ({} samples, {} fleet)\n",
            r.policy,
            r.source,
            r.to_s,
            r.samples,
            r.fleet.unwrap_or("instant")
        ),
    };
    let backtest = r.from_s.is_some();
    let mut decisions = r.decisions.iter().peekable();
    for (k, e) in r.events.iter().enumerate() {
        let time = if backtest {
            format!("t={:<14} ", e.time_s)
        } else {
            String::new()
        };
        if e.kind == "gate" {
            out.push_str(&format!(
                "  {time}{:<20} value {:>14}  threshold {:>14}  {:<12} {}\n",
                e.subject,
                fmt(e.value),
                fmt(e.threshold),
                e.verdict,
                e.reason
            ));
        } else {
            out.push_str(&format!("  {time}{} {}: {}\n", e.kind, e.subject, e.reason));
        }
        let last_at_time = r.events.get(k + 1).is_none_or(|n| n.time_s != e.time_s);
        if backtest
            && last_at_time
            && let Some(d) = decisions.next_if(|d| d.time_s == e.time_s)
        {
            out.push_str(&format!("  t={:<14} -> {}\n", d.time_s, d.decision));
        }
    }
    if r.cut_short {
        out.push_str("the range ended before the controller decided\n");
    }
    let word = match r.decision {
        "advance" => "advance",
        "promote" => "promote",
        "rollback" => "roll back",
        _ => "pause",
    };
    let verdict = if backtest {
        r.decision
    } else {
        match r.exit_code {
            0 => "pass",
            1 => "fail",
            _ => "inconclusive",
        }
    };
    out.push_str(&format!(
        "verdict: {verdict} ({word}, exit {})\n",
        r.exit_code
    ));
    out
}
