//! Sweeps: scenarios × policy variants × seeds, run in parallel, streamed to
//! `runs.csv` in run order, then summarised from that file.
//!
//! A sweep directory holds `manifest.json` (written first), `runs.csv.partial` while
//! runs are going (appended in run order, flushed as it goes), renamed to `runs.csv`
//! once complete, then `summary.csv`, `paired.csv`, `pareto.csv` and `summary.json`.
//! A shard directory stops at `runs.csv`: its summaries come from `merge`.
//!
//! `--resume` continues a killed sweep: it checks that the manifest matches, drops a
//! trailing partial row, checks every complete row is the run expected at its place,
//! and appends from there. Since summaries are computed from `runs.csv` alone, the
//! result is byte-identical to an uninterrupted sweep.
//!
//! The directory is locked (`output::OutputDir`) before anything in it is looked at,
//! and stays locked until the caller drops `SweepReport::dir` (after writing the
//! report), so a second sweep or `--resume` on the same directory is refused instead
//! of interleaving rows.
//!
//! A run that panics (a bug: bad input is refused before anything runs) stops the
//! sweep: the rows before it are kept in `runs.csv.partial`, so `--resume` continues
//! from there once the bug is fixed, and the error (`RunPanic`) says which run it was
//! and how to reproduce it alone.

pub mod execute;
pub mod merge;
pub mod plan;
pub mod summaries;
pub mod twins;

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use render::report::{REPORT_HTML, REPORT_MD};
use reports::artifacts::{
    exceedance_csv, manifest, paired_csv, pareto_csv, runs_csv, sensitivity_csv, summary_csv,
    summary_json,
};

use crate::RunnerError;
use crate::output::OutputDir;
use plan::{Manifest, Plan};

pub const MANIFEST: &str = manifest::FILE_NAME;
pub const RUNS_CSV: &str = runs_csv::FILE_NAME;
pub const RUNS_PARTIAL: &str = runs_csv::PARTIAL_FILE_NAME;
pub const SUMMARY_CSV: &str = summary_csv::FILE_NAME;
pub const SUMMARY_JSON: &str = summary_json::FILE_NAME;
pub const PAIRED_CSV: &str = paired_csv::FILE_NAME;
pub const PARETO_CSV: &str = pareto_csv::FILE_NAME;
pub const SENSITIVITY_CSV: &str = sensitivity_csv::FILE_NAME;
pub const EXCEEDANCE_CSV: &str = exceedance_csv::FILE_NAME;

/// Every file a sweep writes; `--force` removes these (and only these) first. The
/// report's PNGs in `charts/` are replaced when the new report is written.
pub const OUTPUTS: [&str; 11] = [
    MANIFEST,
    RUNS_CSV,
    RUNS_PARTIAL,
    SUMMARY_CSV,
    SUMMARY_JSON,
    PAIRED_CSV,
    PARETO_CSV,
    SENSITIVITY_CSV,
    EXCEEDANCE_CSV,
    REPORT_HTML,
    REPORT_MD,
];

/// Told how a sweep advances; the CLI draws a progress bar with it.
pub trait Progress: Sync {
    /// `total` runs in this directory, `done` of them already on disk.
    fn start(&self, total: u64, done: u64);
    fn advance(&self, runs: u64);
    fn finish(&self);
    /// A note about the sweep's inputs (what a manifest policy's import noted), told
    /// once before the runs; the CLI prints it on stderr.
    fn note(&self, line: &str) {
        let _ = line;
    }
}

/// A `Progress` that shows nothing.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// How a sweep went.
#[derive(Debug)]
pub struct SweepReport {
    /// Runs this directory holds when complete.
    pub total: u64,
    /// Runs found on disk when a `--resume` began.
    pub resumed_from: u64,
    /// The terminal table, for an unsharded sweep.
    pub table: Option<String>,
    /// The sweep directory, still locked: write the report through it, then drop it.
    pub dir: OutputDir,
}

/// A run that panicked, stopping its sweep: which run, and how to reproduce it.
#[derive(Debug)]
pub struct RunPanic {
    pub run_id: u64,
    pub scenario: String,
    pub policy: String,
    pub master_seed: u64,
    pub replicate: u64,
    /// The panic's message.
    pub message: String,
    /// A `rollcage run` command that runs the same scenario, policy (grid values as
    /// `--set`), overrides, seed and replicate alone.
    pub reproduce: String,
    /// The partial file holding the runs before this one, in order (`None` when the
    /// caller removes it, as `check` does with a temporary directory).
    pub partial: Option<PathBuf>,
    pub rows_kept: u64,
    /// How to continue, when the caller can (`sweep --resume`).
    pub resume_hint: Option<String>,
}

impl RunPanic {
    fn new(m: &Manifest, position: u64, message: String, partial: &Path) -> RunPanic {
        let run_id = m.run_at(position);
        let (s, v, replicate) = m.locate(run_id);
        let (scenario, policy) = (&m.scenarios[s], &m.policies[v]);
        let spec = |name: &str, source: &str| {
            if source == "built-in" {
                name.to_string()
            } else {
                source.to_string()
            }
        };
        let mut sets = m.overrides.clone();
        sets.extend(
            m.grid
                .iter()
                .zip(&policy.grid_values)
                .map(|(axis, v)| format!("{}={v}", axis.key)),
        );
        RunPanic {
            run_id,
            scenario: scenario.name.clone(),
            policy: policy.name.clone(),
            master_seed: m.master_seed,
            replicate,
            message,
            reproduce: crate::execute::reproduce_command(
                &spec(&scenario.name, &scenario.source),
                &spec(&policy.policy, &policy.source),
                m.master_seed,
                replicate,
                &sets,
                &m.import,
            ),
            partial: Some(partial.to_path_buf()),
            rows_kept: position,
            resume_hint: None,
        }
    }
}

impl fmt::Display for RunPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "run {} ({} under {}, master seed {}, replicate {}) panicked: {}",
            self.run_id, self.scenario, self.policy, self.master_seed, self.replicate, self.message
        )?;
        writeln!(
            f,
            "  this is a bug in rollcage; reproduce it alone with: {}",
            self.reproduce
        )?;
        write!(f, "  the sweep stopped there")?;
        if let Some(partial) = &self.partial {
            write!(
                f,
                ": {} holds the {} run{} before it",
                partial.display(),
                self.rows_kept,
                if self.rows_kept == 1 { "" } else { "s" }
            )?;
        }
        if let Some(hint) = &self.resume_hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// Where to write and how.
#[derive(Clone, Copy, Debug)]
pub struct SweepOptions<'a> {
    pub out: &'a Path,
    pub threads: usize,
    pub resume: bool,
    pub force: bool,
}

/// The top-level keys where two manifests differ.
fn manifest_differences(old: &str, new: &Manifest) -> Vec<String> {
    let new = serde_json::to_value(new).expect("manifest serializes");
    let Ok(serde_json::Value::Object(old)) = serde_json::from_str::<serde_json::Value>(old) else {
        return vec!["(unreadable)".into()];
    };
    let serde_json::Value::Object(new) = new else {
        unreachable!("a manifest is an object")
    };
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .cloned()
        .collect()
}

/// Runs (or resumes) the sweep planned in `plan` into `opts.out`: `rollcage sweep`.
pub fn sweep(
    plan: &Plan,
    opts: SweepOptions<'_>,
    progress: &dyn Progress,
) -> Result<SweepReport, RunnerError> {
    let dir = OutputDir::lock(opts.out)?;
    let empty = dir.is_empty()?;
    if !empty && !opts.resume && !opts.force {
        return Err(RunnerError::Usage(format!(
            "{}: output directory exists and is not empty; pass --resume to continue the sweep in it, or --force to start over",
            opts.out.display()
        )));
    }
    let resume = opts.resume && !empty;
    run_in(plan, dir, resume, opts.threads, progress).map_err(|e| match e {
        RunnerError::RunPanicked(mut p) => {
            p.resume_hint = Some(
                "once the bug is fixed, the same command with --resume continues from there".into(),
            );
            RunnerError::RunPanicked(p)
        }
        other => other,
    })
}

/// Runs the sweep from scratch in `dir`, which the caller has locked and checked
/// (`check --out`, `gameday`): the sweep files there are replaced, others left alone.
pub fn sweep_into(
    plan: &Plan,
    dir: OutputDir,
    threads: usize,
    progress: &dyn Progress,
) -> Result<SweepReport, RunnerError> {
    run_in(plan, dir, false, threads, progress)
}

fn run_in(
    plan: &Plan,
    dir: OutputDir,
    resume: bool,
    threads: usize,
    progress: &dyn Progress,
) -> Result<SweepReport, RunnerError> {
    for n in &plan.notes {
        progress.note(n);
    }
    let out = dir.path();
    let m = &plan.manifest;
    let total = m.shard_runs();
    let partial = out.join(RUNS_PARTIAL);
    let done = if !resume {
        for name in OUTPUTS {
            let p = out.join(name);
            if p.exists() {
                fs::remove_file(&p).map_err(|e| RunnerError::io(&p, e))?;
            }
        }
        dir.write(MANIFEST, &m.to_bytes())?;
        let mut f = File::create(&partial).map_err(|e| RunnerError::io(&partial, e))?;
        f.write_all(&runs_csv::line(runs_csv::sweep_header(m)))
            .map_err(|e| RunnerError::io(&partial, e))?;
        0
    } else {
        check_manifest(out, m)?;
        if out.join(RUNS_CSV).exists() {
            total
        } else if partial.exists() {
            recover_partial(&partial, m)?
        } else {
            // Killed between writing the manifest and the first row.
            fs::write(&partial, runs_csv::line(runs_csv::sweep_header(m)))
                .map_err(|e| RunnerError::io(&partial, e))?;
            0
        }
    };

    if done < total {
        progress.start(total, done);
        let file = OpenOptions::new()
            .append(true)
            .open(&partial)
            .map_err(|e| RunnerError::io(&partial, e))?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let ran = execute::execute(plan, threads, done, total, &mut w, &|n| progress.advance(n));
        // Whatever happened, the rows written so far reach the disk: after a panic
        // they are what `--resume` continues from.
        let kept = w
            .into_inner()
            .map_err(|e| RunnerError::io(&partial, e.into_error()))
            .and_then(|f| f.sync_all().map_err(|e| RunnerError::io(&partial, e)));
        progress.finish();
        match ran {
            Ok(()) => {}
            Err(execute::Stop::Io(e)) => return Err(RunnerError::io(&partial, e)),
            Err(execute::Stop::Panicked { position, message }) => {
                kept?;
                return Err(RunnerError::RunPanicked(Box::new(RunPanic::new(
                    m, position, message, &partial,
                ))));
            }
        }
        kept?;
    }
    if partial.exists() {
        fs::rename(&partial, out.join(RUNS_CSV)).map_err(|e| RunnerError::io(&partial, e))?;
    }
    let table = match m.shard {
        Some(_) => None,
        None => Some(summaries::write_summaries(out, m)?),
    };
    Ok(SweepReport {
        total,
        resumed_from: if resume { done } else { 0 },
        table,
        dir,
    })
}

/// Refuses to resume a directory made by a different sweep.
fn check_manifest(out: &Path, m: &Manifest) -> Result<(), RunnerError> {
    let path = out.join(MANIFEST);
    if !path.exists() {
        return Err(RunnerError::Usage(format!(
            "{}: not empty and has no {MANIFEST}: not a sweep directory; nothing to resume",
            out.display()
        )));
    }
    let old = fs::read_to_string(&path).map_err(|e| RunnerError::io(&path, e))?;
    if old.as_bytes() != m.to_bytes() {
        return Err(RunnerError::Usage(format!(
            "{}: written by a different sweep (differs in: {}); resume with the same inputs, or start over with --force",
            path.display(),
            manifest_differences(&old, m).join(", ")
        )));
    }
    Ok(())
}

/// The length of `f` up to and including its last newline.
pub(crate) fn complete_lines_len(f: &mut File) -> std::io::Result<u64> {
    let mut end = f.seek(SeekFrom::End(0))?;
    let mut buf = vec![0u8; 1 << 16];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Cuts a killed sweep's partial file back to its last complete row, checks every
/// row is the run expected at its place, and returns how many there are.
fn recover_partial(path: &Path, m: &Manifest) -> Result<u64, RunnerError> {
    let io = |e| RunnerError::io(path, e);
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io)?;
    let keep = complete_lines_len(&mut f).map_err(io)?;
    f.set_len(keep).map_err(io)?;
    let expected_header = runs_csv::sweep_header(m);
    if keep == 0 {
        f.write_all(&runs_csv::line(&expected_header)).map_err(io)?;
        return Ok(0);
    }
    f.sync_all().map_err(io)?;
    drop(f);
    let bad = |why: String| {
        RunnerError::Usage(format!(
            "{}: {why}; cannot resume, start over with --force",
            path.display()
        ))
    };
    let file = File::open(path).map_err(io)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(BufReader::new(file));
    let mut rec = csv::StringRecord::new();
    let mut count = 0u64;
    let mut first = true;
    let params = m.param_keys().len();
    loop {
        match reader.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(bad(e.to_string())),
        }
        if first {
            first = false;
            if rec.iter().ne(expected_header.iter().map(String::as_str)) {
                return Err(bad("the header does not match this sweep's columns".into()));
            }
            continue;
        }
        let expected = m.run_at(count);
        let row = runs_csv::RunsRecord::parse(&rec, m.grid.len(), m.figures(), params)
            .map_err(|e| bad(format!("row {}: {e}", count + 1)))?;
        if count >= m.shard_runs() || row.run_id != expected {
            return Err(bad(format!("row {} is not run {expected}", count + 1)));
        }
        count += 1;
    }
    Ok(count)
}
