//! `rollcage report DIR`: the HTML, Markdown and PNG report of a run or sweep
//! directory, and the one call `run --out`, `sweep` and `merge` make at their end.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use render::paint::Paint;
use runner::RunnerError;
use runner::output::OutputDir;
use runner::report::{CHARTS_DIR, Kind, REPORT_MD, Written};

#[derive(clap::Args)]
pub struct ReportArgs {
    /// A directory written by `rollcage run --out`, `rollcage sweep`, `rollcage merge`
    /// or `rollcage power --out`.
    dir: PathBuf,
}

/// Colour on stdout only when it is a terminal and `NO_COLOR` is unset (or empty).
pub fn paint() -> Paint {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Paint {
        enabled: std::io::stdout().is_terminal() && !no_color,
    }
}

/// Writes the report of `out` (locked by the command that wrote it); returns what was
/// written and the line that says where.
pub fn write_report(out: &OutputDir) -> Result<(Written, String), RunnerError> {
    let w = runner::report::report(out, paint())?;
    Ok(written_line(out.path(), w))
}

fn written_line(dir: &Path, w: Written) -> (Written, String) {
    let line = format!(
        "  report {} ({} report; {REPORT_MD} and {} PNG chart{} in {})\n",
        w.html.display(),
        match w.kind {
            Kind::Run => "run",
            Kind::Sweep => "sweep",
            Kind::Power => "power",
            Kind::Tune => "tune",
        },
        w.charts.len(),
        if w.charts.len() == 1 { "" } else { "s" },
        dir.join(CHARTS_DIR).display()
    );
    (w, line)
}

pub fn run(args: ReportArgs) -> Result<(String, ExitCode), RunnerError> {
    let (w, line) = written_line(&args.dir, runner::report::report_dir(&args.dir, paint())?);
    Ok((w.table.unwrap_or_default() + &line, ExitCode::SUCCESS))
}
