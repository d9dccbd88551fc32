//! `rollcage merge`: shard directories into one sweep directory, byte-identical to
//! the unsharded sweep.
//!
//! Every shard's manifest must equal the others but for its `shard` field, the
//! shards must be `0/N` to `N-1/N` exactly once, and each must be complete. Rows are
//! merged by run id (row `j` of the result comes from the shard holding replicate
//! `j mod seeds`), then summarised by the same code as a sweep. Every row is parsed
//! and checked as it is copied, so a damaged row is blamed on the shard file and line
//! it came from, not on the merged file.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use reports::artifacts::runs_csv::{self, Columns};

use super::plan::Manifest;
use super::{MANIFEST, OUTPUTS, RUNS_CSV, summaries};
use crate::RunnerError;
use crate::output::{OutputDir, write_atomic};

fn read_manifest(dir: &Path) -> Result<Manifest, RunnerError> {
    let path = dir.join(MANIFEST);
    if !path.exists() {
        return Err(RunnerError::Usage(format!(
            "{}: no {MANIFEST}; not a sweep shard directory",
            dir.display()
        )));
    }
    let bytes = fs::read(&path).map_err(|e| RunnerError::io(&path, e))?;
    Manifest::from_bytes(&bytes).map_err(|e| RunnerError::Usage(format!("{}: {e}", path.display())))
}

/// The merged manifest, after checking the shards belong together.
fn check_shards(dirs: &[PathBuf]) -> Result<Manifest, RunnerError> {
    if dirs.is_empty() {
        return Err(RunnerError::Usage(
            "merge: name the shard directories".into(),
        ));
    }
    let mut merged: Option<(Manifest, &PathBuf)> = None;
    let mut seen: Vec<Option<&PathBuf>> = Vec::new();
    for dir in dirs {
        let mut m = read_manifest(dir)?;
        let Some(shard) = m.shard.take() else {
            return Err(RunnerError::Usage(format!(
                "{}: not a shard (its sweep ran without --shard); nothing to merge",
                dir.display()
            )));
        };
        match &merged {
            None => {
                seen = vec![None; shard.count as usize];
                merged = Some((m, dir));
            }
            Some((first, first_dir)) if *first != m => {
                return Err(RunnerError::Usage(format!(
                    "{} and {}: shards of different sweeps (their manifests differ beyond the shard); they cannot be merged",
                    first_dir.display(),
                    dir.display()
                )));
            }
            Some(_) => {}
        }
        if shard.count as usize != seen.len() {
            return Err(RunnerError::Usage(format!(
                "{}: shard {shard} of a sweep cut into {} pieces, others into {}",
                dir.display(),
                shard.count,
                seen.len()
            )));
        }
        if let Some(other) = seen[shard.index as usize] {
            return Err(RunnerError::Usage(format!(
                "{} and {}: both are shard {shard}",
                other.display(),
                dir.display()
            )));
        }
        seen[shard.index as usize] = Some(dir);
        if !dir.join(RUNS_CSV).exists() {
            return Err(RunnerError::Usage(format!(
                "{}: shard {shard} is incomplete (no {RUNS_CSV}); finish it with --resume first",
                dir.display()
            )));
        }
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_none())
        .map(|(i, _)| format!("{i}/{}", seen.len()))
        .collect();
    if !missing.is_empty() {
        const SHOWN: usize = 10;
        let more = match missing.len().saturating_sub(SHOWN) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        return Err(RunnerError::Usage(format!(
            "merge: missing shard{} {}{more}",
            if missing.len() > 1 { "s" } else { "" },
            missing[..missing.len().min(SHOWN)].join(", ")
        )));
    }
    Ok(merged.expect("at least one directory").0)
}

/// Merges shard directories into `out`; returns the terminal table and the merged
/// directory, still locked, for the report.
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    force: bool,
) -> Result<(String, OutputDir), RunnerError> {
    let m = check_shards(dirs)?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    if let Some(d) = dirs.iter().find(|d| same(d, out)) {
        return Err(RunnerError::Usage(format!(
            "{}: --out is one of the shards; merge into a directory of its own",
            d.display()
        )));
    }
    let count = dirs.len() as u64;
    // Open every shard's rows, keyed by shard index.
    let mut readers: Vec<Option<(csv::Reader<BufReader<File>>, String)>> =
        (0..count).map(|_| None).collect();
    let mut columns: Option<Columns> = None;
    let header = runs_csv::header(&m.grid_keys(), m.figures());
    for dir in dirs {
        let index = read_manifest(dir)?.shard.expect("checked").index as usize;
        let path = dir.join(RUNS_CSV);
        let file = File::open(&path).map_err(|e| RunnerError::io(&path, e))?;
        let mut r = csv::Reader::from_reader(BufReader::new(file));
        let h = r
            .headers()
            .map_err(|e| RunnerError::Usage(format!("{}: {e}", path.display())))?;
        if h.iter().ne(header.iter().map(String::as_str)) {
            return Err(RunnerError::Usage(format!(
                "{}: the header does not match the sweep's columns",
                path.display()
            )));
        }
        if columns.is_none() {
            columns = Some(
                Columns::from_header(h)
                    .map_err(|e| RunnerError::Usage(format!("{}: {e}", path.display())))?,
            );
        }
        readers[index] = Some((r, path.display().to_string()));
    }

    let columns = columns.expect("at least one shard");
    let dir = OutputDir::create(out, force)?;
    for name in OUTPUTS {
        let p = dir.path().join(name);
        if p.exists() {
            fs::remove_file(&p).map_err(|e| RunnerError::io(&p, e))?;
        }
    }
    write_atomic(&out.join(MANIFEST), &m.to_bytes())?;

    let target = out.join(RUNS_CSV);
    let tmp = out.join(format!(".{RUNS_CSV}.tmp"));
    let result = (|| -> Result<(), RunnerError> {
        let file = File::create(&tmp).map_err(|e| RunnerError::io(&tmp, e))?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let io = |e| RunnerError::io(&tmp, e);
        w.write_all(&runs_csv::line(&header)).map_err(io)?;
        let mut rec = csv::StringRecord::new();
        for run_id in 0..m.runs {
            let shard = (run_id % m.seeds) % count;
            let (reader, path) = readers[shard as usize].as_mut().expect("every shard open");
            let got = reader
                .read_record(&mut rec)
                .map_err(|e| RunnerError::Usage(format!("{path}: {e}")))?;
            if !got {
                return Err(RunnerError::Usage(format!(
                    "{path}: expected run {run_id} next, found the end of the file"
                )));
            }
            let line = rec.position().map_or(0, |p| p.line());
            let bad = |why: String| RunnerError::Usage(format!("{path}: line {line}: {why}"));
            let row = columns.parse(&rec).map_err(bad)?;
            let (scenario, policy) = columns.identity(&rec);
            let (s, v, k) = m.locate(run_id);
            if row.run_id != run_id
                || scenario != m.scenarios[s].name
                || policy != m.policies[v].name
                || row.replicate != k
            {
                return Err(bad(format!(
                    "expected run {run_id} ({} under {}, replicate {k}), found run {} ({scenario} under {policy}, replicate {})",
                    m.scenarios[s].name, m.policies[v].name, row.run_id, row.replicate
                )));
            }
            w.write_all(&runs_csv::line(&rec)).map_err(io)?;
        }
        for (reader, path) in readers.iter_mut().flatten() {
            if reader.read_record(&mut rec).unwrap_or(true) {
                return Err(RunnerError::Usage(format!(
                    "{path}: more rows than its shard of the sweep"
                )));
            }
        }
        let file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        fs::rename(&tmp, &target).map_err(|e| RunnerError::io(&target, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    let table = summaries::write_summaries(out, &m)?;
    Ok((table, dir))
}
