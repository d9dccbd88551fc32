//! `rollcage tune`: flags, the answer printed on the terminal, the exports of the
//! chosen policy, and glue to `runner::tune` (docs/tune.md).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use policies::export::{self, Options, Target};
use policies::k8s_names::{HttpUrl, ServiceName};
use runner::RunnerError;
use runner::limits::MAX_TUNE_RUNS;
use runner::sweep::{Progress, Silent};
use runner::tune::plan::{TuneRequest, plan};
use runner::tune::{BEST_TOML, TUNE_CSV, TUNE_JSON, TUNE_RUNS_CSV, TuneOptions, export_file, tune};

use crate::args::{MasterSeed, Workers};
use crate::export_cmd::{series_names, service_or_policy_name};
use crate::numbers::{confidence, whole};
use crate::report_cmd::write_report;
use crate::sweep_cmd::Bar;
use crate::{PROGRAM, print};

#[derive(clap::Args)]
pub struct TuneArgs {
    /// The space file (docs/tune.md): a base policy, the parameters and their values,
    /// weighted scenarios, the objective and the limits.
    space: PathBuf,
    /// The tune directory. It is locked while the tune writes it.
    #[arg(long)]
    out: PathBuf,
    /// The most runs the race may make (the base policy's runs, for the comparison
    /// with the chosen one, come on top). Default: as many as the race needs, at most
    /// an exhaustive grid's.
    #[arg(long, value_parser = whole::<u64, 1, MAX_TUNE_RUNS>)]
    budget_runs: Option<u64>,
    /// The probability that the race never eliminates a candidate wrongly, at least
    /// 0.5 and below 1 (default: the space's race.confidence, else 0.95).
    #[arg(long, value_parser = confidence)]
    confidence: Option<f64>,
    #[command(flatten)]
    master: MasterSeed,
    #[command(flatten)]
    workers: Workers,
    #[command(flatten)]
    engine: crate::args::EngineFlag,
    /// Continue a tune that was interrupted in --out (killed, or stopped by a run that
    /// panicked), or start it if --out is empty.
    #[arg(long, conflicts_with = "force")]
    resume: bool,
    /// Start over in a non-empty --out, replacing the tune's files there.
    #[arg(long)]
    force: bool,
    /// Run every candidate on every seed and eliminate nothing: the exhaustive grid a
    /// race is checked against (as many runs as tune.json's runs.grid).
    #[arg(long)]
    exhaustive: bool,
    /// Also write the chosen policy for its controller: k8s, argo, flagger or
    /// codedeploy (repeatable), as best.TARGET.yaml (codedeploy: best.codedeploy.json).
    #[arg(long = "export", value_name = "TARGET", value_parser = parse_target)]
    export: Vec<Target>,
    /// Object names and the `service` label of the exported queries (a DNS-1035 label;
    /// default: the policy's name).
    #[arg(long)]
    service: Option<ServiceName>,
    /// Prometheus the exported analysis queries go to.
    #[arg(long, default_value = "http://prometheus.monitoring:9090")]
    prometheus_address: HttpUrl,
    /// No progress on stderr (the round lines and the run counter).
    #[arg(long)]
    quiet: bool,
    /// Print tune.json on stdout instead of the answer.
    #[arg(long)]
    json: bool,
}

fn parse_target(s: &str) -> Result<Target, String> {
    match Target::parse(s) {
        Some(t) if t != Target::Json => Ok(t),
        _ => Err(format!(
            "unknown target \"{s}\"; expected one of: k8s, argo, flagger, codedeploy (best.toml is rollcage's own form)"
        )),
    }
}

pub fn cmd_tune(args: TuneArgs) -> Result<ExitCode, RunnerError> {
    let threads = args.workers.count();
    let request = TuneRequest {
        space: args.space.clone(),
        master_seed: args.master.seed,
        confidence: args.confidence,
        budget_runs: args.budget_runs,
        exhaustive: args.exhaustive,
        sets: args.engine.apply(Vec::new()),
    };
    let plan = plan(request, PROGRAM)?;
    // An export the chosen policy's kind cannot take is refused before anything runs:
    // every candidate has the base policy's kind.
    for &t in &args.export {
        if !export::targets_for(&plan.space.policy.kind).contains(&t) {
            return Err(RunnerError::Usage(format!(
                "--export {}: policy {} is of kind {}, which exports to {}",
                t.name(),
                plan.space.policy.name,
                plan.space.policy.kind.name(),
                export::targets_for(&plan.space.policy.kind)
                    .iter()
                    .filter(|t| **t != Target::Json)
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let service = match &args.export[..] {
        [] => None,
        _ => Some(service_or_policy_name(&args.service, &plan.space.policy)?),
    };
    let started = Instant::now();
    let (bar, lines);
    let progress: &dyn Progress = if args.quiet {
        &Silent
    } else if std::io::stderr().is_terminal() {
        bar = Bar::new("tune");
        &bar
    } else {
        lines = RoundLines::default();
        &lines
    };
    let report = tune(
        &plan,
        TuneOptions {
            out: &args.out,
            threads,
            resume: args.resume,
            force: args.force,
        },
        PROGRAM,
        progress,
    )?;
    let doc = &report.doc;
    if !args.quiet {
        let ran = doc.runs_used() - report.resumed_from.min(doc.runs_used());
        eprintln!(
            "rollcage tune: {ran} runs in {:.1} s on {threads} thread{}{}",
            started.elapsed().as_secs_f64(),
            if threads == 1 { "" } else { "s" },
            if report.resumed_from > 0 {
                format!("; resumed after {} runs already done", report.resumed_from)
            } else {
                String::new()
            }
        );
    }
    let mut exported = Vec::new();
    if let (Some(policy), Some(service)) = (&report.best, &service) {
        let opts = Options {
            service: service.clone(),
            prometheus_address: args.prometheus_address.clone(),
            series: series_names(None)?,
        };
        for &t in &args.export {
            let e =
                export::export(policy, t, &opts).map_err(|e| RunnerError::Usage(e.to_string()))?;
            for n in &e.notes {
                eprintln!("rollcage tune: not expressed in {}: {n}", t.name());
            }
            let name = export_file(t);
            report.dir.write(&name, e.text.as_bytes())?;
            exported.push(name);
        }
    }
    let (_, report_line) = write_report(&report.dir)?;
    if args.json {
        print(&String::from_utf8_lossy(&doc.to_bytes()))?;
    } else {
        let mut text = String::new();
        for l in render::tune::answer_lines(doc) {
            text.push_str(&l);
            text.push('\n');
        }
        let dir = args.out.display();
        let mut files = vec![TUNE_RUNS_CSV, TUNE_CSV, TUNE_JSON];
        if report.best.is_some() {
            files.push(BEST_TOML);
        }
        let mut names: Vec<String> = files.iter().map(|s| s.to_string()).collect();
        names.extend(exported);
        text.push_str(&format!("  files  {dir}/{{{}}}\n", names.join(",")));
        text.push_str(&report_line);
        print(&text)?;
    }
    if report.best.is_none() {
        eprintln!(
            "rollcage tune: no candidate meets the limits; tune.csv says why each was left behind (exit 1)"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Progress off a terminal (a CI log, a file): the line each round ends with, and
/// within a long round a line every 10 s, so a log shows where the race is without a
/// line per tenth of every round.
#[derive(Default)]
struct RoundLines {
    state: Mutex<Option<(u64, u64, Instant)>>,
}

const LINE_EVERY: Duration = Duration::from_secs(10);

impl Progress for RoundLines {
    fn start(&self, total: u64, done: u64) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some((total, done, Instant::now()));
    }
    fn advance(&self, runs: u64) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((total, done, last)) = s.as_mut() {
            *done += runs;
            if last.elapsed() >= LINE_EVERY {
                *last = Instant::now();
                eprintln!("rollcage tune: {done}/{total} runs of this round");
            }
        }
    }
    fn finish(&self) {}
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }
}
