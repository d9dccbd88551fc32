//! The report of a run or a sweep: `report.html` (one self-contained page with inline
//! SVG charts), `report.md` (for a pull-request comment) and one PNG per chart, all
//! pure functions of the directory's files as `view` holds them.

use reports::artifacts::power_json::PowerJson;
use reports::artifacts::tune_json::TuneJson;
use reports::view::{RunView, SweepView};

use crate::charts::{self, ChartError, Figure};
use crate::figures::{Drawn, run_figures, sweep_figures};
use crate::{html, markdown, png, power, tune};

pub const REPORT_HTML: &str = "report.html";
pub const REPORT_MD: &str = "report.md";
/// The folder beside `report.html` that holds one PNG per chart.
pub const CHARTS_DIR: &str = "charts";

/// The files of a report: names relative to the directory (PNG names relative to
/// its `charts/` folder).
#[derive(Clone, Debug, PartialEq)]
pub struct ReportFiles {
    pub html: String,
    pub markdown: String,
    /// `(file name, PNG bytes)`, one per figure, in report order.
    pub charts: Vec<(String, Vec<u8>)>,
}

/// `(file name, PNG bytes)` of each chart.
type Pngs = Vec<(String, Vec<u8>)>;

fn draw(figures: &[Figure]) -> Result<(Vec<Drawn<'_>>, Pngs), ChartError> {
    let mut drawn = Vec::with_capacity(figures.len());
    let mut pngs = Vec::with_capacity(figures.len());
    for f in figures {
        drawn.push(Drawn {
            figure: f,
            svg: charts::svg(&f.chart)?,
        });
        pngs.push((format!("{}.png", f.id), png::png(&f.chart)?));
    }
    Ok((drawn, pngs))
}

/// The report of one run.
pub fn run_report(v: &RunView) -> Result<ReportFiles, ChartError> {
    let figures = run_figures(v);
    let (drawn, charts) = draw(&figures)?;
    Ok(ReportFiles {
        html: html::run_html(v, &drawn),
        markdown: markdown::run_markdown(v, &figures),
        charts,
    })
}

/// The report of a sweep.
pub fn sweep_report(v: &SweepView) -> Result<ReportFiles, ChartError> {
    let figures = sweep_figures(v);
    let (drawn, charts) = draw(&figures)?;
    Ok(ReportFiles {
        html: html::sweep_html(v, &drawn),
        markdown: markdown::sweep_markdown(v, &figures),
        charts,
    })
}

/// The report of a power analysis (from its `power.json`).
pub fn power_report(doc: &PowerJson) -> Result<ReportFiles, ChartError> {
    let figures = power::figures(doc);
    let (drawn, charts) = draw(&figures)?;
    Ok(ReportFiles {
        html: power::power_html(doc, &drawn),
        markdown: power::power_markdown(doc, &figures),
        charts,
    })
}

/// The report of a tune (from its `tune.json`).
pub fn tune_report(doc: &TuneJson) -> Result<ReportFiles, ChartError> {
    let figures = tune::figures(doc);
    let (_, charts) = draw(&figures)?;
    Ok(ReportFiles {
        html: tune::tune_html(doc),
        markdown: tune::tune_markdown(doc, &figures),
        charts,
    })
}
