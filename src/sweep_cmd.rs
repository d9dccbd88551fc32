//! `rollcage sweep` and `rollcage merge`: flags, and glue to `runner::sweep`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use reports::sweep::Constraints;
use runner::RunnerError;
use runner::sweep::plan::{Shard, SweepRequest, plan};
use runner::sweep::{
    PAIRED_CSV, PARETO_CSV, Progress, RUNS_CSV, SUMMARY_CSV, SUMMARY_JSON, SweepOptions, merge,
    sweep,
};

use crate::report_cmd::write_report;
use crate::{PROGRAM, print};

#[derive(clap::Args)]
pub struct SweepArgs {
    /// Scenarios: built-in names or files, comma-separated, or `all` (every built-in).
    #[arg(long, value_delimiter = ',', required = true)]
    scenarios: Vec<String>,
    /// Policies: built-in names or files, comma-separated. The first is the baseline
    /// of the paired comparisons unless --baseline says otherwise.
    #[arg(long, value_delimiter = ',', required = true)]
    policies: Vec<String>,
    /// Sweep a policy field over values: policy.KEY=V1,V2,... (repeatable; the
    /// cartesian product of all grids applies to every policy).
    #[arg(long = "grid", value_name = "KEY=V1,V2,...")]
    grid: Vec<String>,
    /// Override any field of every scenario or policy: scenario.KEY=VALUE or
    /// policy.KEY=VALUE (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Replicates per scenario and policy. Replicate k of a scenario has the same
    /// seed under every policy.
    #[arg(long)]
    seeds: u64,
    /// Master seed. The same seed gives byte-identical outputs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (default: one per CPU). Outputs do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Run only slice I of N (0-based): the replicates k with k mod N = I. Merge the
    /// shard directories with `rollcage merge`.
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// The sweep directory.
    #[arg(long)]
    out: PathBuf,
    /// Continue a sweep that was interrupted in --out (or start it if --out is empty).
    #[arg(long, conflicts_with = "force")]
    resume: bool,
    /// Start over in a non-empty --out, replacing the sweep files there.
    #[arg(long)]
    force: bool,
    /// The policy the others are compared with on the same seeds (default: the first).
    #[arg(long)]
    baseline: Option<String>,
    /// Recommendation limit: p95 budget consumed on the worst fault scenario, in %.
    #[arg(long, default_value = "2%", value_parser = parse_percent)]
    max_budget_p95: f64,
    /// Recommendation limit: p50 deploy duration on the slowest good release
    /// (e.g. 30m, 90s, 1h; a bare number is seconds).
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    max_deploy_p50: f64,
    /// Recommendation limit: false-rollback rate over runs with no active fault, in %.
    #[arg(long, default_value = "1%", value_parser = parse_percent)]
    max_false_rollback: f64,
    /// Bootstrap resamples for every confidence interval.
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
}

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The shard directories (every shard 0/N to N-1/N, once each).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// The merged sweep directory.
    #[arg(long)]
    out: PathBuf,
    /// Allow writing into a non-empty --out directory.
    #[arg(long)]
    force: bool,
}

/// `2%` or `2` (percent).
fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{s:?} is not a percentage; e.g. 2%"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("{s}: a percentage is between 0 and 100"));
    }
    Ok(v)
}

/// `30m`, `90s`, `1.5h` or a bare number of seconds.
fn parse_duration(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, unit) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1.0),
        Some((i, 'm')) => (&t[..i], 60.0),
        Some((i, 'h')) => (&t[..i], 3600.0),
        _ => (t, 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration; e.g. 30m, 90s, 1h"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("{s}: a duration is not negative"));
    }
    Ok(v * unit)
}

/// The progress bar: runs done, runs/s and ETA on stderr, only on a terminal.
pub(crate) struct Bar(ProgressBar);

impl Bar {
    pub(crate) fn new() -> Bar {
        if !std::io::stderr().is_terminal() {
            return Bar(ProgressBar::hidden());
        }
        let bar = ProgressBar::new(0);
        let style = ProgressStyle::with_template(
            "{bar:40} {pos}/{len} runs  {per_sec}  ETA {eta}  ({elapsed})",
        )
        .expect("the template is valid");
        bar.set_style(style);
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, total: u64, done: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
        self.0.reset_eta();
    }
    fn advance(&self, runs: u64) {
        self.0.inc(runs);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

pub fn cmd_sweep(args: SweepArgs) -> Result<ExitCode, RunnerError> {
    let threads = match args.threads {
        Some(0) => return Err(RunnerError::Usage("--threads: must be at least 1".into())),
        Some(t) => t,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let request = SweepRequest {
        scenarios: args.scenarios,
        policies: args.policies,
        grid: args.grid,
        sets: args.sets,
        seeds: args.seeds,
        master_seed: args.seed,
        baseline: args.baseline,
        constraints: Constraints {
            max_budget_p95_pct: args.max_budget_p95,
            max_deploy_p50_s: args.max_deploy_p50,
            max_false_rollback_pct: args.max_false_rollback,
        },
        bootstrap_resamples: args.bootstrap,
        shard: args.shard,
    };
    let plan = plan(&request, PROGRAM)?;
    let started = Instant::now();
    let report = sweep(
        &plan,
        SweepOptions {
            out: &args.out,
            threads,
            resume: args.resume,
            force: args.force,
        },
        &Bar::new(),
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
            let (written, line) = write_report(&args.out)?;
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
    let table = merge::merge(&args.dirs, &args.out, args.force)?;
    let (written, line) = write_report(&args.out)?;
    print(&written.table.unwrap_or(table))?;
    print(&format!(
        "  merged {} shards into {}\n",
        args.dirs.len(),
        args.out.display()
    ))?;
    print(&line)?;
    Ok(ExitCode::SUCCESS)
}
