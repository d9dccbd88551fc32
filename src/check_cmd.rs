//! `rollcage check`: the CI regression suite.

use std::path::PathBuf;
use std::process::ExitCode;

use runner::RunnerError;
use runner::check::{CheckOptions, check};

use crate::sweep_cmd::Bar;
use crate::{PROGRAM, print};

#[derive(clap::Args)]
pub struct CheckArgs {
    /// The suite file (TOML): policies, scenarios, seeds and assertions.
    #[arg(long)]
    suite: PathBuf,
    /// A baseline from an earlier check to compare with, paired on the same seeds.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Write this check's runs as the new baseline (to --baseline).
    #[arg(long)]
    update_baseline: bool,
    /// Write JUnit XML here (one test case per assertion and per baseline metric).
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a Markdown summary here, fit for a pull-request comment.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Keep the suite's sweep files in this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Allow --out to be a non-empty directory.
    #[arg(long)]
    force: bool,
    /// Worker threads (default: one per CPU); results never depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

/// Exit 0 when every assertion holds and nothing regressed, 1 otherwise; bad input is
/// an error (2).
pub fn cmd_check(args: CheckArgs) -> Result<ExitCode, RunnerError> {
    let threads = match args.threads {
        Some(0) => return Err(RunnerError::Usage("--threads: must be at least 1".into())),
        Some(t) => t,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let opts = CheckOptions {
        suite: args.suite,
        baseline: args.baseline,
        update_baseline: args.update_baseline,
        junit: args.junit,
        markdown: args.markdown,
        out: args.out,
        force: args.force,
        threads,
    };
    let result = check(&opts, PROGRAM, &Bar::new())?;
    print(&reports::check::text(&result))?;
    if opts.update_baseline
        && let Some(p) = &opts.baseline
    {
        print(&format!("  baseline written to {}\n", p.display()))?;
    }
    Ok(if result.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
