//! `rollcage check`: the CI regression suite.

use std::path::PathBuf;
use std::process::ExitCode;

use runner::RunnerError;
use runner::check::{CheckOptions, check};

use crate::args::Workers;
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
    /// Write JUnit XML here (one test case per assertion and per baseline metric);
    /// an existing file is refused unless --force.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a Markdown summary here, fit for a pull-request comment; an existing
    /// file is refused unless --force.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Keep the suite's sweep files in this directory (locked while written).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace existing --junit and --markdown files, and the sweep files in a
    /// non-empty --out.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    workers: Workers,
    #[command(flatten)]
    engine: crate::args::EngineFlag,
}

/// Exit 0 when every assertion holds and nothing regressed, 1 otherwise; bad input is
/// an error (2).
pub fn cmd_check(args: CheckArgs) -> Result<ExitCode, RunnerError> {
    let threads = args.workers.count();
    let opts = CheckOptions {
        suite: args.suite,
        baseline: args.baseline,
        update_baseline: args.update_baseline,
        junit: args.junit,
        markdown: args.markdown,
        out: args.out,
        force: args.force,
        threads,
        sets: args.engine.apply(Vec::new()),
    };
    let result = check(&opts, PROGRAM, &Bar::new("check"))?;
    print(&render::check::text(&result))?;
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
