//! `rollcage report DIR`: the HTML, Markdown and PNG report of a run or sweep
//! directory, and the one call `run --out`, `sweep` and `merge` make at their end.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use runner::RunnerError;
use runner::report::{Kind, Written};

#[derive(clap::Args)]
pub struct ReportArgs {
    /// A directory written by `rollcage run --out`, `rollcage sweep` or `rollcage merge`.
    dir: PathBuf,
}

/// Writes the report of `dir` and returns the line that says where it is.
pub fn write_report(dir: &Path) -> Result<String, RunnerError> {
    let w: Written = runner::report::report(dir)?;
    Ok(format!(
        "  report {} ({}, {} and {} chart{} in {}/)\n",
        w.html.display(),
        match w.kind {
            Kind::Run => "run",
            Kind::Sweep => "sweep",
        },
        runner::report::REPORT_MD,
        w.charts.len(),
        if w.charts.len() == 1 { "" } else { "s" },
        dir.join(runner::report::CHARTS_DIR).display()
    ))
}

pub fn run(args: ReportArgs) -> Result<(String, ExitCode), RunnerError> {
    Ok((write_report(&args.dir)?, ExitCode::SUCCESS))
}
