//! `rollcage report DIR`: reads a run or sweep directory back into the plain structs
//! of `reports::view`, has `reports` render `report.html`, `report.md` and the PNG
//! charts, and writes them atomically beside the inputs.
//!
//! A directory with `run.json` is a run; one with `manifest.json` is a sweep (a shard
//! is refused: its summaries come from `merge`). Every problem names the file and
//! what is wrong with it; nothing is written unless every input reads cleanly.
//!
//! The directory is written through a locked `OutputDir`: `report DIR` locks it
//! itself (`report_dir`); `run --out`, `sweep` and `merge` pass the one they already
//! hold, so no other writer slips in between their files and the report.

use std::fs;
use std::path::{Path, PathBuf};

use render::figures::is_chart_file;
use render::paint::Paint;
use render::report::{self as pages, ReportFiles};
pub use render::report::{CHARTS_DIR, REPORT_HTML, REPORT_MD};
use render::table::sweep_table_painted;
use reports::artifacts::events_csv;
use reports::artifacts::manifest::{self, Manifest};
use reports::artifacts::power_json::{self, PowerJson};
use reports::artifacts::power_runs_csv;
use reports::artifacts::run_json::{self, RunJson};
use reports::artifacts::summary_json::{self, SummaryJson};
use reports::artifacts::timeline_csv;
use reports::artifacts::tune_json::{self, TuneJson};
use reports::artifacts::tune_manifest;
use reports::artifacts::{ArtifactError, exceedance_csv, runs_csv, sensitivity_csv};
use reports::sweep::sensitivity::GroupSensitivity;
use reports::view::{Axis, GroupRuns, PolicyInfo, RunView, SweepView};
use reports::vocab::Metric;

use crate::RunnerError;
use crate::output::{OutputDir, write_atomic};
use crate::sweep::summaries::Rows;

const RUN_JSON: &str = run_json::FILE_NAME;
const MANIFEST: &str = manifest::FILE_NAME;
const POWER_JSON: &str = power_json::FILE_NAME;
const TUNE_JSON: &str = tune_json::FILE_NAME;

/// What a directory holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Run,
    Sweep,
    /// A power analysis (`rollcage power`): its `power.json`.
    Power,
    /// A tune (`rollcage tune`): its `tune.json`.
    Tune,
}

/// What `report` wrote.
#[derive(Debug)]
pub struct Written {
    pub kind: Kind,
    pub html: PathBuf,
    pub markdown: PathBuf,
    pub charts: Vec<PathBuf>,
    /// For a sweep, its terminal table (painted as asked), from the files read back.
    pub table: Option<String>,
}

fn bad(path: &Path, why: impl std::fmt::Display) -> RunnerError {
    RunnerError::Usage(format!("{}: {why}", path.display()))
}

/// Whether `dir` holds a run or a sweep.
pub fn detect(dir: &Path) -> Result<Kind, RunnerError> {
    if !dir.exists() {
        return Err(bad(dir, "no such directory"));
    }
    if !dir.is_dir() {
        return Err(bad(
            dir,
            "not a directory; report takes the --out directory of a run or a sweep",
        ));
    }
    if dir.join(RUN_JSON).is_file() {
        return Ok(Kind::Run);
    }
    if dir.join(MANIFEST).is_file() {
        return Ok(Kind::Sweep);
    }
    if dir.join(POWER_JSON).is_file() {
        return Ok(Kind::Power);
    }
    if dir.join(TUNE_JSON).is_file() {
        return Ok(Kind::Tune);
    }
    if dir.join(tune_manifest::FILE_NAME).is_file() {
        return Err(bad(
            dir,
            "the tune did not finish (tune-manifest.json, no tune.json); continue it with the same command and --resume",
        ));
    }
    if dir.join(power_runs_csv::PARTIAL_FILE_NAME).is_file() {
        return Err(bad(
            dir,
            "the power analysis did not finish (power-runs.csv.partial, no power.json); run it again with --force",
        ));
    }
    Err(bad(
        dir,
        format!(
            "neither a run directory (no {RUN_JSON}), a sweep directory (no {MANIFEST}), a \
             power analysis (no {POWER_JSON}) nor a tune (no {TUNE_JSON}); report takes the \
             --out directory of `rollcage run`, `rollcage sweep`, `rollcage power` or \
             `rollcage tune`"
        ),
    ))
}

/// `rollcage report DIR`: checks what `dir` is, locks it and writes its report.
pub fn report_dir(dir: &Path, paint: Paint) -> Result<Written, RunnerError> {
    detect(dir)?;
    report(&OutputDir::lock_existing(dir)?, paint)
}

/// Reads `out`, renders its report and writes it into `out`. `paint` colours the
/// sweep's terminal table in `Written::table`.
pub fn report(out: &OutputDir, paint: Paint) -> Result<Written, RunnerError> {
    let dir = out.path();
    let kind = detect(dir)?;
    let (files, table) = match kind {
        Kind::Run => (pages::run_report(&read_run(dir)?), None),
        Kind::Sweep => {
            let v = read_sweep(dir)?;
            let table = sweep_table_painted(&v.groups, &v.pareto, &v.recommendation, paint);
            (pages::sweep_report(&v), Some(table))
        }
        Kind::Power => {
            let doc = read(&dir.join(POWER_JSON), PowerJson::from_bytes)?;
            (pages::power_report(&doc), None)
        }
        Kind::Tune => {
            let doc = read(&dir.join(TUNE_JSON), TuneJson::from_bytes)?;
            (pages::tune_report(&doc), None)
        }
    };
    let files = files.map_err(|e| bad(dir, e))?;
    let mut written = write(dir, kind, &files)?;
    written.table = table;
    Ok(written)
}

fn write(dir: &Path, kind: Kind, files: &ReportFiles) -> Result<Written, RunnerError> {
    let charts_dir = dir.join(CHARTS_DIR);
    fs::create_dir_all(&charts_dir).map_err(|e| RunnerError::io(&charts_dir, e))?;
    let mut charts = Vec::with_capacity(files.charts.len());
    for (name, bytes) in &files.charts {
        charts.push(write_atomic(&charts_dir.join(name), bytes)?);
    }
    // Charts of an earlier report that this one no longer draws would be stale; any
    // other file in charts/ is the user's own and stays.
    let entries = fs::read_dir(&charts_dir).map_err(|e| RunnerError::io(&charts_dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| RunnerError::io(&charts_dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = is_chart_file(&name)
            && entry.file_type().is_ok_and(|t| t.is_file())
            && !files.charts.iter().any(|(drawn, _)| *drawn == name);
        if stale {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| RunnerError::io(&path, e))?;
        }
    }
    let markdown = write_atomic(&dir.join(REPORT_MD), files.markdown.as_bytes())?;
    let html = write_atomic(&dir.join(REPORT_HTML), files.html.as_bytes())?;
    Ok(Written {
        kind,
        html,
        markdown,
        charts,
        table: None,
    })
}

/// Reads `path` and parses it with `from_bytes` (the format's own reader); a problem
/// is named after the file.
fn read<T>(
    path: &Path,
    from_bytes: impl FnOnce(&[u8]) -> Result<T, ArtifactError>,
) -> Result<T, RunnerError> {
    if !path.exists() {
        return Err(bad(path, "missing"));
    }
    let bytes = fs::read(path).map_err(|e| RunnerError::io(path, e))?;
    from_bytes(&bytes).map_err(|e| bad(path, e))
}

/// The files of a run directory, each read by its type.
pub struct RunFiles {
    pub run: RunJson,
    pub timeline: Vec<timeline_csv::TimelineRecord>,
    pub events: Vec<events_csv::EventRecord>,
}

/// Reads `run.json`, `timeline.csv` and `events.csv` of a run directory; a missing or
/// bad file is refused with its path and the reason.
pub fn read_run_files(dir: &Path) -> Result<RunFiles, RunnerError> {
    Ok(RunFiles {
        run: read(&dir.join(RUN_JSON), RunJson::from_bytes)?,
        timeline: read(&dir.join(timeline_csv::FILE_NAME), timeline_csv::from_bytes)?,
        events: read(&dir.join(events_csv::FILE_NAME), events_csv::from_bytes)?,
    })
}

/// Reads a run directory: `run.json`, `timeline.csv`, `events.csv`.
pub fn read_run(dir: &Path) -> Result<RunView, RunnerError> {
    let RunFiles {
        run,
        timeline,
        events,
    } = read_run_files(dir)?;
    let last = timeline.last().map_or(0.0, |p| p.time_s);
    Ok(RunView {
        horizon_s: run
            .scenario_number("run.horizon_seconds")
            .unwrap_or(last)
            .max(last),
        slo_objective: run.scenario_number("slo.objective"),
        program: run.program,
        scenario: run.inputs.scenario,
        policy: run.inputs.policy,
        seed: run.inputs.seed,
        reproduce: run.inputs.reproduce,
        metrics: run.metrics,
        timeline,
        events,
    })
}

/// Reads a sweep directory: `manifest.json`, `summary.json`, `runs.csv`.
pub fn read_sweep(dir: &Path) -> Result<SweepView, RunnerError> {
    let m = read(&dir.join(MANIFEST), Manifest::from_bytes)?;
    if let Some(shard) = m.shard {
        return Err(bad(
            dir,
            format!(
                "shard {shard} of a sweep: its summaries come from `rollcage merge`; report on the merged directory"
            ),
        ));
    }
    let summary_path = dir.join(summary_json::FILE_NAME);
    if !summary_path.exists() && dir.join(runs_csv::PARTIAL_FILE_NAME).exists() {
        return Err(bad(
            dir,
            "the sweep did not finish (runs.csv.partial, no summary.json); finish it with `rollcage sweep ... --resume`",
        ));
    }
    let summary = read(&summary_path, SummaryJson::from_bytes)?;
    summary
        .check_matches(&m)
        .map_err(|e| bad(&summary_path, e))?;
    let runs = read_group_runs(dir, &m)?;
    let sensitivity = read_sensitivity(dir, &m)?;
    Ok(SweepView {
        program: m.program.clone(),
        master_seed: m.master_seed,
        seeds: m.seeds,
        scenarios: m.scenarios.iter().map(|s| s.name.clone()).collect(),
        policies: m
            .policies
            .iter()
            .map(|p| PolicyInfo {
                name: p.name.clone(),
                base: p.policy.clone(),
                grid_values: p.grid_values.clone(),
            })
            .collect(),
        grid: m
            .grid
            .iter()
            .map(|a| Axis {
                key: a.key.clone(),
                values: a.values.clone(),
            })
            .collect(),
        baseline: m.baseline.clone(),
        groups: summary.groups,
        pareto: summary.pareto,
        recommendation: summary.recommendation,
        runs,
        sensitivity,
    })
}

/// `sensitivity.csv` and `budget_exceedance.csv`, which a sweep with uncertain
/// parameters writes together and any other sweep writes neither of: both or none
/// must be there, and every group they name must be one of the manifest's.
fn read_sensitivity(dir: &Path, m: &Manifest) -> Result<Vec<GroupSensitivity>, RunnerError> {
    let (sens, exc) = (
        dir.join(sensitivity_csv::FILE_NAME),
        dir.join(exceedance_csv::FILE_NAME),
    );
    match (sens.exists(), exc.exists()) {
        (false, false) => return Ok(Vec::new()),
        (true, false) => return Err(bad(&exc, "missing (sensitivity.csv is there)")),
        (false, true) => return Err(bad(&sens, "missing (budget_exceedance.csv is there)")),
        (true, true) => {}
    }
    let rows = read(&sens, sensitivity_csv::from_bytes)?;
    let exceedance = read(&exc, exceedance_csv::from_bytes)?;
    for (i, e) in exceedance.iter().enumerate() {
        let known = m.scenarios.iter().any(|s| s.name == e.scenario)
            && m.policies.iter().any(|p| p.name == e.policy);
        if !known {
            return Err(bad(
                &exc,
                format!(
                    "line {}: {} under {} is not a group of this sweep",
                    i + 2,
                    e.scenario,
                    e.policy
                ),
            ));
        }
    }
    sensitivity_csv::groups(&rows, &exceedance).map_err(|e| bad(&sens, e))
}

/// The per-run values of every group, from `runs.csv` (checked row by row against the
/// manifest's run order).
fn read_group_runs(dir: &Path, m: &Manifest) -> Result<Vec<GroupRuns>, RunnerError> {
    let path = dir.join(runs_csv::FILE_NAME);
    if !path.exists() {
        return Err(bad(&path, "missing"));
    }
    let mut rows = Rows::open(&path, m)?;
    let mut out = Vec::with_capacity(m.scenarios.len() * m.policies.len());
    for s in &m.scenarios {
        for p in &m.policies {
            let mut g = GroupRuns {
                scenario: s.name.clone(),
                policy: p.name.clone(),
                ..GroupRuns::default()
            };
            for _ in 0..m.seeds {
                let row = rows.next(m)?;
                if row.fault_active {
                    g.fault_runs += 1;
                    if let Some(t) = row.value(Metric::Ttd).filter(|_| row.detected) {
                        g.ttd_s.push(t);
                    }
                }
                g.budget_pct.extend(row.value(Metric::BudgetConsumed));
            }
            out.push(g);
        }
    }
    rows.expect_end()?;
    Ok(out)
}
