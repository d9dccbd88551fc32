//! `rollcage sweep` and `rollcage merge`: flags, the progress shown on stderr, and
//! glue to `runner::sweep`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use reports::sweep::Constraints;
use runner::RunnerError;
use runner::limits::{MAX_BOOTSTRAP, MAX_SEEDS, MIN_BOOTSTRAP};
use runner::sweep::plan::{Shard, SweepRequest, plan};
use runner::sweep::{
    PAIRED_CSV, PARETO_CSV, Progress, RUNS_CSV, SUMMARY_CSV, SUMMARY_JSON, SweepOptions, merge,
    sweep,
};
use sim_core::duration_text::{self, Style};

use crate::args::{Import, MasterSeed, Overrides, Workers};
use crate::emit_job::{self, EmitJobArgs};
use crate::numbers::{duration, percent, whole};
use crate::report_cmd::write_report;
use crate::{PROGRAM, print};

#[derive(clap::Args)]
pub struct SweepArgs {
    /// Scenarios: built-in names or files, comma-separated, or `all` (every built-in).
    #[arg(long, value_delimiter = ',', required = true)]
    scenarios: Vec<String>,
    /// Policies: built-in names, files or manifests (docs/import.md), comma-separated.
    /// The first is the baseline of the paired comparisons unless --baseline says
    /// otherwise.
    #[arg(long, value_delimiter = ',', required = true)]
    policies: Vec<String>,
    #[command(flatten)]
    import: Import,
    /// Sweep a policy field over values: policy.KEY=V1,V2,... (repeatable; the
    /// cartesian product of all grids applies to every policy).
    #[arg(long = "grid", value_name = "KEY=V1,V2,...")]
    grid: Vec<String>,
    #[command(flatten)]
    overrides: Overrides,
    #[command(flatten)]
    engine: crate::args::EngineFlag,
    /// Replicates per scenario and policy (1 to 1000000000; a sweep holds at most
    /// 1000000000 runs). Replicate k of a scenario has the same seed under every
    /// policy.
    #[arg(long, value_parser = whole::<u64, 1, MAX_SEEDS>)]
    seeds: u64,
    #[command(flatten)]
    master: MasterSeed,
    #[command(flatten)]
    workers: Workers,
    /// Run only slice I of N (0-based, N at most 100000): the replicates k with
    /// k mod N = I. Merge the shard directories with `rollcage merge`.
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// The sweep directory. It is locked while the sweep writes it: a second sweep
    /// (or --resume) on it is refused until the first ends. With --emit-job: where the
    /// job files go (and, for slurm, the shards and the merged sweep).
    #[arg(long)]
    out: PathBuf,
    /// Continue a sweep that was interrupted in --out (killed, or stopped by a run
    /// that panicked), or start it if --out is empty.
    #[arg(long, conflicts_with = "force")]
    resume: bool,
    /// Start over in a non-empty --out, replacing the sweep files there.
    #[arg(long)]
    force: bool,
    /// The policy the others are compared with on the same seeds (default: the first).
    #[arg(long)]
    baseline: Option<String>,
    /// Recommendation limit: p95 budget consumed on the worst fault scenario, in %.
    #[arg(long, default_value = "2%", value_parser = percent)]
    max_budget_p95: f64,
    /// Recommendation limit: p50 deploy duration on the slowest good release
    /// (e.g. 30m, 90s, 1h; a bare number is seconds).
    #[arg(long, default_value = "30m", value_parser = duration)]
    max_deploy_p50: f64,
    /// Recommendation limit: false-rollback rate over runs with no active fault, in %.
    #[arg(long, default_value = "1%", value_parser = percent)]
    max_false_rollback: f64,
    /// Bootstrap resamples for every confidence interval, 100 to 100000 (fewer give
    /// no meaningful 95% interval).
    #[arg(long, default_value_t = 1000, value_parser = whole::<usize, MIN_BOOTSTRAP, MAX_BOOTSTRAP>)]
    bootstrap: usize,
    /// Pair every run with its twin: the same world and seed in which the release never
    /// happens (computed once per scenario and replicate, shared by the policies).
    /// runs.csv and the summaries gain budget_release_pct, bad_events_release and the
    /// twin's figures (docs/metrics.md).
    #[arg(long)]
    counterfactual: bool,
    // Boxed: inline, these flags would make `Command::Sweep` far larger than the
    // other variants.
    #[command(flatten)]
    emit: Box<EmitJobArgs>,
}

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The shard directories (every shard 0/N to N-1/N, once each).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// The merged sweep directory (locked while merge writes it).
    #[arg(long)]
    out: PathBuf,
    /// Allow writing into a non-empty --out directory.
    #[arg(long)]
    force: bool,
}

/// Progress on stderr: indicatif's bar when stderr is a terminal; otherwise (a CI
/// log, a file) a plain line every tenth of the runs or every 10 s, whichever comes
/// first, so a long sweep in a log is never silent for minutes. Wall-clock figures
/// stay on stderr; the files never depend on them.
pub(crate) enum Bar {
    Terminal(ProgressBar),
    Lines(Mutex<Lines>),
}

/// The state of the plain progress lines.
pub(crate) struct Lines {
    /// `sweep`, `check` or `gameday`, to start each line with.
    command: &'static str,
    total: u64,
    done: u64,
    /// Runs already on disk when this process started (a resume).
    resumed: u64,
    started: Instant,
    last_line: Instant,
    /// The tenth of the runs the last line reported.
    last_tenth: u64,
}

/// The longest a sweep stays silent in a log while runs complete.
const LINE_EVERY: Duration = Duration::from_secs(10);

impl Lines {
    fn line(&self) -> String {
        let ran = self.done - self.resumed;
        let secs = self.started.elapsed().as_secs_f64();
        let rate = ran as f64 / secs.max(1e-9);
        let left = if ran > 0 && self.done < self.total {
            format!(
                ", about {} left",
                duration_text::format((self.total - self.done) as f64 / rate, Style::Elapsed)
            )
        } else {
            String::new()
        };
        format!(
            "rollcage {}: {}/{} runs ({}%), {rate:.1} runs/s{left}",
            self.command,
            self.done,
            self.total,
            self.done * 100 / self.total.max(1)
        )
    }
}

impl Bar {
    pub(crate) fn new(command: &'static str) -> Bar {
        if !std::io::stderr().is_terminal() {
            let now = Instant::now();
            return Bar::Lines(Mutex::new(Lines {
                command,
                total: 0,
                done: 0,
                resumed: 0,
                started: now,
                last_line: now,
                last_tenth: 0,
            }));
        }
        let bar = ProgressBar::new(0);
        let style = ProgressStyle::with_template(
            "{bar:40} {pos}/{len} runs  {per_sec}  ETA {eta}  ({elapsed})",
        )
        .expect("the template is valid");
        bar.set_style(style);
        Bar::Terminal(bar)
    }
}

impl Progress for Bar {
    fn start(&self, total: u64, done: u64) {
        match self {
            Bar::Terminal(bar) => {
                bar.set_length(total);
                bar.set_position(done);
                bar.reset_eta();
            }
            Bar::Lines(lines) => {
                let mut l = lines.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                (l.total, l.done, l.resumed) = (total, done, done);
                (l.started, l.last_line) = (now, now);
                l.last_tenth = done * 10 / total.max(1);
                eprintln!(
                    "rollcage {}: {} runs to go{}; a progress line every 10% or 10 s",
                    l.command,
                    total - done,
                    if done > 0 {
                        format!(" ({done} of {total} already done)")
                    } else {
                        String::new()
                    }
                );
            }
        }
    }
    fn advance(&self, runs: u64) {
        match self {
            Bar::Terminal(bar) => bar.inc(runs),
            Bar::Lines(lines) => {
                let mut l = lines.lock().unwrap_or_else(|p| p.into_inner());
                l.done += runs;
                let tenth = l.done * 10 / l.total.max(1);
                if tenth > l.last_tenth || l.last_line.elapsed() >= LINE_EVERY {
                    l.last_tenth = tenth;
                    l.last_line = Instant::now();
                    eprintln!("{}", l.line());
                }
            }
        }
    }
    fn finish(&self) {
        if let Bar::Terminal(bar) = self {
            bar.finish_and_clear();
        }
    }
    fn note(&self, line: &str) {
        match self {
            Bar::Terminal(bar) => bar.suspend(|| eprintln!("{line}")),
            Bar::Lines(_) => eprintln!("{line}"),
        }
    }
}

/// `rollcage sweep`; `matches` are the sweep's own, for `--emit-job` to carry its
/// arguments over as given.
pub fn cmd_sweep(args: SweepArgs, matches: &clap::ArgMatches) -> Result<ExitCode, RunnerError> {
    let threads = args.workers.count();
    let request = SweepRequest {
        scenarios: args.scenarios,
        policies: args.policies,
        grid: args.grid,
        sets: args.engine.apply(args.overrides.sets),
        seeds: args.seeds,
        master_seed: args.master.seed,
        baseline: args.baseline,
        constraints: Constraints {
            max_budget_p95_pct: args.max_budget_p95,
            max_deploy_p50_s: args.max_deploy_p50,
            max_false_rollback_pct: args.max_false_rollback,
        },
        bootstrap_resamples: args.bootstrap,
        shard: args.shard,
        import: args.import.flags(),
        counterfactual: args.counterfactual,
    };
    let plan = plan(&request, PROGRAM)?;
    if let Some(kind) = args.emit.emit_job {
        return emit_job::emit(&args.emit, kind, &plan, &args.out, args.force, matches);
    }
    let started = Instant::now();
    let report = sweep(
        &plan,
        SweepOptions {
            out: &args.out,
            threads,
            resume: args.resume,
            force: args.force,
        },
        &Bar::new("sweep"),
    )?;
    let ran = report.total - report.resumed_from;
    let secs = started.elapsed().as_secs_f64();
    // Wall-clock figures go to stderr only: the files are deterministic.
    eprintln!(
        "rollcage sweep: {ran} runs in {secs:.1} s ({:.1} runs/s) on {threads} thread{}{}",
        ran as f64 / secs.max(1e-9),
        if threads == 1 { "" } else { "s" },
        if report.resumed_from > 0 {
            format!("; resumed after {} runs already done", report.resumed_from)
        } else {
            String::new()
        }
    );
    let dir = args.out.display();
    match (report.table, plan.manifest.shard) {
        (Some(table), _) => {
            let (written, line) = write_report(&report.dir)?;
            print(&written.table.unwrap_or(table))?;
            print(&format!(
                "  files  {dir}/{{{RUNS_CSV},{SUMMARY_CSV},{SUMMARY_JSON},{PAIRED_CSV},{PARETO_CSV},manifest.json}}\n"
            ))?;
            print(&line)?;
        }
        (None, Some(shard)) => print(&format!(
            "shard {shard}: {} runs in {dir}/{RUNS_CSV}; when every shard is done: rollcage merge DIR... --out DIR\n",
            report.total
        ))?,
        (None, None) => {}
    }
    Ok(ExitCode::SUCCESS)
}

pub fn cmd_merge(args: MergeArgs) -> Result<ExitCode, RunnerError> {
    let (table, dir) = merge::merge(&args.dirs, &args.out, args.force)?;
    let (written, line) = write_report(&dir)?;
    print(&written.table.unwrap_or(table))?;
    print(&format!(
        "  merged {} shards into {}\n",
        args.dirs.len(),
        args.out.display()
    ))?;
    print(&line)?;
    Ok(ExitCode::SUCCESS)
}
