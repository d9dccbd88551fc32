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

use reports::Outcome;
use reports::paint::Paint;
use reports::report::{self as render, ReportFiles};
use reports::sweep::table::sweep_table_painted;
use reports::sweep::{GroupSummary, ParetoPoint, Recommendation};
use reports::view::{
    Axis, FaultMark, GroupRuns, LogEvent, PolicyInfo, RunFigures, RunView, SweepView, TimelinePoint,
};
use reports::vocab::Metric;
use serde_json::Value;

use crate::RunnerError;
use crate::output::{OutputDir, write_atomic};
use crate::sweep::plan::Manifest;
use crate::sweep::render::Rows;
use crate::sweep::{MANIFEST, RUNS_CSV, SUMMARY_JSON};

pub const RUN_JSON: &str = "run.json";
pub const TIMELINE_CSV: &str = "timeline.csv";
pub const EVENTS_CSV: &str = "events.csv";
pub const REPORT_HTML: &str = "report.html";
pub const REPORT_MD: &str = "report.md";
/// The folder beside `report.html` that holds one PNG per chart.
pub const CHARTS_DIR: &str = "charts";

/// What a directory holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Run,
    Sweep,
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
    Err(bad(
        dir,
        format!(
            "neither a run directory (no {RUN_JSON}) nor a sweep directory (no {MANIFEST}); \
             report takes the --out directory of `rollcage run` or `rollcage sweep`"
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
        Kind::Run => (render::run_report(&read_run(dir)?), None),
        Kind::Sweep => {
            let v = read_sweep(dir)?;
            let table = sweep_table_painted(&v.groups, &v.pareto, &v.recommendation, paint);
            (render::sweep_report(&v), Some(table))
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
        let stale = render::is_chart_file(&name)
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

fn read_text(path: &Path) -> Result<String, RunnerError> {
    if !path.exists() {
        return Err(bad(path, "missing"));
    }
    fs::read_to_string(path).map_err(|e| RunnerError::io(path, e))
}

fn read_json(path: &Path) -> Result<Value, RunnerError> {
    let text = read_text(path)?;
    let v: Value =
        serde_json::from_str(&text).map_err(|e| bad(path, format!("not valid JSON: {e}")))?;
    check_schema(path, &v)?;
    Ok(v)
}

fn check_schema(path: &Path, v: &Value) -> Result<(), RunnerError> {
    match v.get("schema_version").and_then(Value::as_u64) {
        Some(n) if n == u64::from(reports::SCHEMA_VERSION) => Ok(()),
        Some(n) => Err(bad(
            path,
            format!(
                "schema_version {n}; this build reads schema_version {}",
                reports::SCHEMA_VERSION
            ),
        )),
        None => Err(bad(path, "no `schema_version`")),
    }
}

/// Typed access to the keys of a JSON document, with errors that name the file and
/// the key.
struct Doc<'a> {
    path: &'a Path,
    root: &'a Value,
}

impl<'a> Doc<'a> {
    fn get(&self, key: &str) -> Result<&'a Value, RunnerError> {
        let mut v = self.root;
        for part in key.split('.') {
            v = v
                .get(part)
                .ok_or_else(|| bad(self.path, format!("no `{key}`")))?;
        }
        Ok(v)
    }

    fn opt_f64(&self, key: &str) -> Result<Option<f64>, RunnerError> {
        match self.get(key)? {
            Value::Null => Ok(None),
            v => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| bad(self.path, format!("`{key}`: not a number: {v}"))),
        }
    }

    fn f64(&self, key: &str) -> Result<f64, RunnerError> {
        self.opt_f64(key)?
            .ok_or_else(|| bad(self.path, format!("`{key}`: null, expected a number")))
    }

    fn u64(&self, key: &str) -> Result<u64, RunnerError> {
        let v = self.get(key)?;
        v.as_u64().ok_or_else(|| {
            bad(
                self.path,
                format!("`{key}`: not a non-negative integer: {v}"),
            )
        })
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, RunnerError> {
        match self.get(key)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            v => Err(bad(self.path, format!("`{key}`: not a string: {v}"))),
        }
    }

    fn str(&self, key: &str) -> Result<String, RunnerError> {
        self.opt_str(key)?
            .ok_or_else(|| bad(self.path, format!("`{key}`: null, expected a string")))
    }
}

/// Reads a run directory: `run.json`, `timeline.csv`, `events.csv`.
pub fn read_run(dir: &Path) -> Result<RunView, RunnerError> {
    let path = dir.join(RUN_JSON);
    let root = read_json(&path)?;
    let d = Doc {
        path: &path,
        root: &root,
    };
    let outcome_name = d.str("outcome")?;
    let outcome = Outcome::parse(&outcome_name).ok_or_else(|| {
        bad(
            &path,
            format!("`outcome`: unknown outcome {outcome_name:?}"),
        )
    })?;
    let faults = match d.get("faults")? {
        Value::Array(items) => items
            .iter()
            .map(|f| {
                let fd = Doc {
                    path: &path,
                    root: f,
                };
                Ok(FaultMark {
                    name: fd.str("name")?,
                    t_active_s: fd.opt_f64("t_active_s")?,
                    release: fd.get("release")?.as_bool().unwrap_or(false),
                })
            })
            .collect::<Result<Vec<_>, RunnerError>>()?,
        v => return Err(bad(&path, format!("`faults`: not a list: {v}"))),
    };
    let figures = RunFigures {
        outcome,
        detector: d.opt_str("detector")?,
        t_change_start_s: d.opt_f64(Metric::TChangeStart.name())?,
        t_change_end_s: d.opt_f64(Metric::TChangeEnd.name())?,
        t_fault_active_s: d.opt_f64(Metric::TFaultActive.name())?,
        t_impact_start_s: d.opt_f64(Metric::TImpactStart.name())?,
        t_detect_s: d.opt_f64(Metric::TDetect.name())?,
        t_mitigate_s: d.opt_f64(Metric::TMitigate.name())?,
        t_recover_s: d.opt_f64(Metric::TRecover.name())?,
        ttd_s: d.opt_f64(Metric::Ttd.name())?,
        ttm_s: d.opt_f64(Metric::Ttm.name())?,
        impact_duration_s: d.opt_f64(Metric::ImpactDuration.name())?,
        tt_recover_s: d.opt_f64(Metric::TtRecover.name())?,
        deploy_duration_s: d.opt_f64(Metric::DeployDuration.name())?,
        budget_consumed_pct: d.f64(Metric::BudgetConsumed.name())?,
        peak_burn_rate_5m: d.f64(Metric::PeakBurnRate5m.name())?,
        peak_burn_rate_1h: d.f64(Metric::PeakBurnRate1h.name())?,
        requests_total: d.u64(Metric::RequestsTotal.name())?,
        requests_bad: d.u64(Metric::RequestsBad.name())?,
        latency_p99_ms: d.opt_f64(Metric::LatencyP99.name())?,
        crashes: d.u64(Metric::Crashes.name())?,
        limit_hit: d.opt_str("limit_hit")?,
        faults,
        // A run written before a figure existed lacks its key: shown as n/a.
        more: Metric::facts()
            .map(|m| (m, root.get(m.name()).and_then(Value::as_f64)))
            .collect(),
    };
    let timeline = read_timeline(&dir.join(TIMELINE_CSV))?;
    let events = read_events(&dir.join(EVENTS_CSV))?;
    let last = timeline.last().map_or(0.0, |p| p.time_s);
    Ok(RunView {
        program: d.str("program")?,
        scenario: d.str("inputs.scenario")?,
        policy: d.str("inputs.policy")?,
        seed: d.u64("inputs.seed")?,
        reproduce: d.str("inputs.reproduce")?,
        horizon_s: d
            .opt_f64("inputs.scenario_resolved.run.horizon_seconds")
            .ok()
            .flatten()
            .unwrap_or(last)
            .max(last),
        slo_objective: d
            .opt_f64("inputs.scenario_resolved.slo.objective")
            .ok()
            .flatten(),
        figures,
        timeline,
        events,
    })
}

/// A CSV file read by column name, with errors that name the file, line and column.
struct Csv {
    path: PathBuf,
    header: csv::StringRecord,
    reader: csv::Reader<fs::File>,
}

impl Csv {
    fn open(path: &Path) -> Result<Csv, RunnerError> {
        if !path.exists() {
            return Err(bad(path, "missing"));
        }
        let file = fs::File::open(path).map_err(|e| RunnerError::io(path, e))?;
        let mut reader = csv::Reader::from_reader(file);
        let header = reader
            .headers()
            .map_err(|e| bad(path, format!("not readable as CSV: {e}")))?
            .clone();
        Ok(Csv {
            path: path.to_path_buf(),
            header,
            reader,
        })
    }

    fn columns<const N: usize>(&self, names: [&str; N]) -> Result<[usize; N], RunnerError> {
        let mut out = [0; N];
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = self
                .header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| bad(&self.path, format!("no `{name}` column")))?;
        }
        Ok(out)
    }

    /// Calls `f` with each record and its line number.
    fn each(
        &mut self,
        mut f: impl FnMut(&csv::StringRecord, &Field<'_>) -> Result<(), String>,
    ) -> Result<(), RunnerError> {
        let mut rec = csv::StringRecord::new();
        let mut line = 1;
        loop {
            line += 1;
            match self.reader.read_record(&mut rec) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => return Err(bad(&self.path, format!("line {line}: {e}"))),
            }
            let field = Field {
                header: &self.header,
            };
            f(&rec, &field).map_err(|why| bad(&self.path, format!("line {line}: {why}")))?;
        }
    }
}

/// Parses fields of a record by column index, naming the column on error.
struct Field<'a> {
    header: &'a csv::StringRecord,
}

impl Field<'_> {
    fn raw<'r>(&self, rec: &'r csv::StringRecord, i: usize) -> Result<&'r str, String> {
        rec.get(i)
            .ok_or_else(|| format!("no `{}` field", self.header.get(i).unwrap_or("?")))
    }

    fn opt_f64(&self, rec: &csv::StringRecord, i: usize) -> Result<Option<f64>, String> {
        let v = self.raw(rec, i)?;
        if v.is_empty() {
            return Ok(None);
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(format!(
                "`{}`: not a number: {v:?}",
                self.header.get(i).unwrap_or("?")
            )),
        }
    }

    fn f64(&self, rec: &csv::StringRecord, i: usize) -> Result<f64, String> {
        self.opt_f64(rec, i)?
            .ok_or_else(|| format!("`{}`: empty", self.header.get(i).unwrap_or("?")))
    }

    fn u32(&self, rec: &csv::StringRecord, i: usize) -> Result<u32, String> {
        let v = self.raw(rec, i)?;
        v.parse().map_err(|_| {
            format!(
                "`{}`: not a whole number: {v:?}",
                self.header.get(i).unwrap_or("?")
            )
        })
    }
}

const TIMELINE_COLUMNS: [&str; 15] = [
    "time_s",
    "baseline_starting",
    "baseline_ready",
    "baseline_crashed",
    "baseline_terminating",
    "candidate_starting",
    "candidate_ready",
    "candidate_crashed",
    "candidate_terminating",
    "available",
    "request_rate_rps",
    "error_ratio",
    "latency_p99_ms",
    "burn_rate_5m",
    "burn_rate_1h",
];

fn read_timeline(path: &Path) -> Result<Vec<TimelinePoint>, RunnerError> {
    let mut csv = Csv::open(path)?;
    let c = csv.columns(TIMELINE_COLUMNS)?;
    let mut out = Vec::new();
    let mut last = f64::NEG_INFINITY;
    csv.each(|rec, f| {
        let mut pods = [[0u32; 4]; 2];
        for (v, version) in pods.iter_mut().enumerate() {
            for (s, n) in version.iter_mut().enumerate() {
                *n = f.u32(rec, c[1 + 4 * v + s])?;
            }
        }
        let time_s = f.f64(rec, c[0])?;
        if time_s < last {
            return Err(format!(
                "`time_s` goes back in time ({time_s} after {last})"
            ));
        }
        last = time_s;
        out.push(TimelinePoint {
            time_s,
            pods,
            available: f.u32(rec, c[9])?,
            request_rate_rps: f.f64(rec, c[10])?,
            error_ratio: f.opt_f64(rec, c[11])?,
            latency_p99_ms: f.opt_f64(rec, c[12])?,
            burn_rate_5m: f.opt_f64(rec, c[13])?,
            burn_rate_1h: f.opt_f64(rec, c[14])?,
        });
        Ok(())
    })?;
    Ok(out)
}

fn read_events(path: &Path) -> Result<Vec<LogEvent>, RunnerError> {
    let mut csv = Csv::open(path)?;
    let c = csv.columns([
        "time_s",
        "kind",
        "subject",
        "value",
        "threshold",
        "verdict",
        "reason",
    ])?;
    let mut out = Vec::new();
    csv.each(|rec, f| {
        out.push(LogEvent {
            time_s: f.f64(rec, c[0])?,
            kind: f.raw(rec, c[1])?.to_string(),
            subject: f.raw(rec, c[2])?.to_string(),
            value: f.opt_f64(rec, c[3])?,
            threshold: f.opt_f64(rec, c[4])?,
            verdict: f.raw(rec, c[5])?.to_string(),
            reason: f.raw(rec, c[6])?.to_string(),
        });
        Ok(())
    })?;
    Ok(out)
}

/// Reads a sweep directory: `manifest.json`, `summary.json`, `runs.csv`.
pub fn read_sweep(dir: &Path) -> Result<SweepView, RunnerError> {
    let manifest_path = dir.join(MANIFEST);
    let m: Manifest = {
        let v = read_json(&manifest_path)?;
        serde_json::from_value(v)
            .map_err(|e| bad(&manifest_path, format!("not a sweep manifest: {e}")))?
    };
    if let Some(shard) = m.shard {
        return Err(bad(
            dir,
            format!(
                "shard {shard} of a sweep: its summaries come from `rollcage merge`; report on the merged directory"
            ),
        ));
    }
    m.check_counts().map_err(|e| bad(&manifest_path, e))?;
    let summary_path = dir.join(SUMMARY_JSON);
    if !summary_path.exists() && dir.join(format!("{RUNS_CSV}.partial")).exists() {
        return Err(bad(
            dir,
            "the sweep did not finish (runs.csv.partial, no summary.json); finish it with `rollcage sweep ... --resume`",
        ));
    }
    let summary = read_json(&summary_path)?;
    let field = |key: &str| -> Result<Value, RunnerError> {
        summary
            .get(key)
            .cloned()
            .ok_or_else(|| bad(&summary_path, format!("no `{key}`")))
    };
    let groups: Vec<GroupSummary> = serde_json::from_value(field("groups")?)
        .map_err(|e| bad(&summary_path, format!("`groups`: {e}")))?;
    let pareto: Vec<ParetoPoint> = serde_json::from_value(field("pareto")?)
        .map_err(|e| bad(&summary_path, format!("`pareto`: {e}")))?;
    let recommendation: Recommendation = serde_json::from_value(field("recommendation")?)
        .map_err(|e| bad(&summary_path, format!("`recommendation`: {e}")))?;

    // The summary must be of this manifest's sweep: one group per scenario × policy
    // in run order, one Pareto point per policy.
    let expected: Vec<(&str, &str)> = m
        .scenarios
        .iter()
        .flat_map(|s| {
            m.policies
                .iter()
                .map(move |p| (s.name.as_str(), p.name.as_str()))
        })
        .collect();
    let found: Vec<(&str, &str)> = groups
        .iter()
        .map(|g| (g.scenario.as_str(), g.policy.as_str()))
        .collect();
    if found != expected {
        return Err(bad(
            &summary_path,
            format!(
                "its groups do not match {MANIFEST} ({} groups, expected {} scenario × policy pairs in run order); was the sweep rerun without its summaries?",
                found.len(),
                expected.len()
            ),
        ));
    }
    if pareto
        .iter()
        .map(|p| p.policy.as_str())
        .ne(m.policies.iter().map(|p| p.name.as_str()))
    {
        return Err(bad(
            &summary_path,
            format!("its Pareto points do not match the policies of {MANIFEST}"),
        ));
    }

    let runs = read_group_runs(dir, &m)?;
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
        groups,
        pareto,
        recommendation,
        runs,
    })
}

/// The per-run values of every group, from `runs.csv` (checked row by row against the
/// manifest's run order).
fn read_group_runs(dir: &Path, m: &Manifest) -> Result<Vec<GroupRuns>, RunnerError> {
    let path = dir.join(RUNS_CSV);
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
