//! Summaries from `runs.csv`: the one code path a sweep, a resumed sweep and a merge
//! share, so all three write the same bytes for the same runs.
//!
//! `runs.csv` is read twice, streaming: first to keep the baseline policy's rows of
//! each scenario (for the paired comparisons), then one (scenario, policy) group at a
//! time. Memory grows with the seeds per group, never with the number of groups.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use reports::sweep::files::{SummaryParts, paired_csv, pareto_csv, summary_csv, summary_json};
use reports::sweep::runs_csv::{Columns, RunRow, header};
use reports::sweep::table::sweep_table;
use reports::sweep::{Bootstrap, GroupSummary, paired, pareto, recommend, summarize};

use super::plan::Manifest;
use super::{PAIRED_CSV, PARETO_CSV, RUNS_CSV, SUMMARY_CSV, SUMMARY_JSON};
use crate::RunnerError;
use crate::output::write_atomic;

/// Reads a complete, unsharded `runs.csv` row by row, checking that row `j` is run `j`
/// of the manifest's plan.
pub(crate) struct Rows {
    reader: csv::Reader<BufReader<File>>,
    columns: Columns,
    record: csv::StringRecord,
    next_id: u64,
    path: String,
}

impl Rows {
    pub(crate) fn open(path: &Path, m: &Manifest) -> Result<Rows, RunnerError> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| RunnerError::io(path, e))?;
        let mut reader = csv::Reader::from_reader(BufReader::new(file));
        let found = reader
            .headers()
            .map_err(|e| RunnerError::Usage(format!("{shown}: {e}")))?
            .clone();
        if found
            .iter()
            .ne(header(&m.grid_keys()).iter().map(String::as_str))
        {
            return Err(RunnerError::Usage(format!(
                "{shown}: the header does not match this sweep's columns"
            )));
        }
        let columns = Columns::from_header(&found)
            .map_err(|e| RunnerError::Usage(format!("{shown}: {e}")))?;
        Ok(Rows {
            reader,
            columns,
            record: csv::StringRecord::new(),
            next_id: 0,
            path: shown,
        })
    }

    /// The next row, which must exist and be the next run of the plan.
    pub(crate) fn next(&mut self, m: &Manifest) -> Result<RunRow, RunnerError> {
        let bad = |why: String| RunnerError::Usage(format!("{}: {why}", self.path));
        let line = self.next_id + 2;
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => {
                return Err(bad(format!(
                    "ends after {} runs; the sweep has {}",
                    self.next_id, m.runs
                )));
            }
            Err(e) => return Err(bad(e.to_string())),
        }
        let row = self
            .columns
            .parse(&self.record)
            .map_err(|e| bad(format!("line {line}: {e}")))?;
        let (scenario, policy) = self.columns.identity(&self.record);
        let (s, v, k) = m.locate(self.next_id);
        if row.run_id != self.next_id
            || scenario != m.scenarios[s].name
            || policy != m.policies[v].name
            || row.replicate != k
        {
            return Err(bad(format!(
                "line {line}: expected run {} ({} under {}, replicate {k}), found run {} ({scenario} under {policy}, replicate {})",
                self.next_id, m.scenarios[s].name, m.policies[v].name, row.run_id, row.replicate
            )));
        }
        self.next_id += 1;
        Ok(row)
    }

    pub(crate) fn expect_end(&mut self) -> Result<(), RunnerError> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(()),
            _ => Err(RunnerError::Usage(format!(
                "{}: more rows than the sweep's {} runs",
                self.path, self.next_id
            ))),
        }
    }
}

/// Computes every summary of the complete sweep in `dir` and writes `summary.csv`,
/// `paired.csv`, `pareto.csv` and `summary.json`. Returns the terminal table.
pub fn render(dir: &Path, m: &Manifest) -> Result<String, RunnerError> {
    let runs = dir.join(RUNS_CSV);
    let boot = Bootstrap {
        master_seed: m.master_seed,
        resamples: m.bootstrap_resamples,
    };
    let base_index = m
        .policies
        .iter()
        .position(|p| p.name == m.baseline)
        .ok_or_else(|| {
            RunnerError::Usage(format!("manifest: baseline {} is not a policy", m.baseline))
        })?;
    let seeds = m.seeds as usize;

    // Pass 1: check every row, and keep the baseline's rows per scenario when there
    // is another policy to pair them with.
    let pairs_needed = m.policies.len() > 1;
    let mut baseline_rows: Vec<Vec<RunRow>> = Vec::with_capacity(m.scenarios.len());
    let mut rows = Rows::open(&runs, m)?;
    for _ in &m.scenarios {
        let mut base = Vec::new();
        for v in 0..m.policies.len() {
            for _ in 0..seeds {
                let row = rows.next(m)?;
                if pairs_needed && v == base_index {
                    base.push(row);
                }
            }
        }
        baseline_rows.push(base);
    }
    rows.expect_end()?;

    // Pass 2: one group at a time.
    let mut groups: Vec<GroupSummary> = Vec::new();
    let mut pairs = Vec::new();
    let mut rows = Rows::open(&runs, m)?;
    let mut group = Vec::with_capacity(seeds);
    for (s, scenario) in m.scenarios.iter().enumerate() {
        for (v, policy) in m.policies.iter().enumerate() {
            group.clear();
            for _ in 0..seeds {
                group.push(rows.next(m)?);
            }
            groups.push(summarize(&scenario.name, &policy.name, &group, boot));
            if v != base_index {
                pairs.extend(paired(
                    &scenario.name,
                    &policy.name,
                    &m.baseline,
                    &baseline_rows[s],
                    &group,
                    boot,
                ));
            }
        }
    }
    drop(baseline_rows);

    let points = pareto(&groups, &m.policy_names());
    let rec = recommend(&points, m.constraints);
    write_atomic(&dir.join(SUMMARY_CSV), summary_csv(&groups).as_bytes())?;
    write_atomic(&dir.join(PAIRED_CSV), paired_csv(&pairs).as_bytes())?;
    write_atomic(&dir.join(PARETO_CSV), pareto_csv(&points).as_bytes())?;
    let json = summary_json(&SummaryParts {
        master_seed: m.master_seed,
        seeds: m.seeds,
        bootstrap_resamples: m.bootstrap_resamples,
        baseline: &m.baseline,
        groups: &groups,
        paired: &pairs,
        pareto: &points,
        recommendation: &rec,
    });
    write_atomic(&dir.join(SUMMARY_JSON), json.as_bytes())?;
    Ok(sweep_table(&groups, &points, &rec))
}
