//! Summaries from `runs.csv`: the one code path a sweep, a resumed sweep and a merge
//! share, so all three write the same bytes for the same runs.
//!
//! `runs.csv` is read twice, streaming: first to keep the baseline policy's rows of
//! each scenario (for the paired comparisons), then one (scenario, policy) group at a
//! time. Memory grows with the seeds per group, never with the number of groups.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use render::table::sweep_table;
use reports::SCHEMA_VERSION;
use reports::artifacts::runs_csv::{self, RunRow, SweepRows};
use reports::artifacts::summary_json::{self, SummaryJson};
use reports::artifacts::{
    ArtifactError, exceedance_csv, paired_csv, pareto_csv, sensitivity_csv, summary_csv,
};
use reports::sweep::sensitivity::sensitivity;
use reports::sweep::{Bootstrap, GroupSummary, paired, pareto, recommend, summarize};

use super::plan::Manifest;
use crate::RunnerError;
use crate::output::write_atomic;

/// `runs.csv` of a finished sweep, read row by row (`SweepRows`), its errors named
/// after the file.
pub(crate) struct Rows {
    rows: SweepRows<BufReader<File>>,
    path: String,
}

impl Rows {
    pub(crate) fn open(path: &Path, m: &Manifest) -> Result<Rows, RunnerError> {
        let file = File::open(path).map_err(|e| RunnerError::io(path, e))?;
        let shown = path.display().to_string();
        let rows = SweepRows::new(BufReader::new(file), m)
            .map_err(|e| RunnerError::Usage(format!("{shown}: {e}")))?;
        Ok(Rows { rows, path: shown })
    }

    fn bad(&self, e: ArtifactError) -> RunnerError {
        RunnerError::Usage(format!("{}: {e}", self.path))
    }

    pub(crate) fn next(&mut self, m: &Manifest) -> Result<RunRow, RunnerError> {
        self.rows.next_row(m).map_err(|e| self.bad(e))
    }

    pub(crate) fn expect_end(&mut self) -> Result<(), RunnerError> {
        self.rows.expect_end().map_err(|e| self.bad(e))
    }
}

/// Computes every summary of the complete sweep in `dir` and writes `summary.csv`,
/// `paired.csv`, `pareto.csv` and `summary.json`, and, when its runs drew uncertain
/// parameters, `sensitivity.csv` and `budget_exceedance.csv`. Returns the terminal
/// table.
pub fn write_summaries(dir: &Path, m: &Manifest) -> Result<String, RunnerError> {
    let runs = dir.join(runs_csv::FILE_NAME);
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
    let mut sensitivities = Vec::new();
    let mut rows = Rows::open(&runs, m)?;
    let mut group = Vec::with_capacity(seeds);
    for (s, scenario) in m.scenarios.iter().enumerate() {
        for (v, policy) in m.policies.iter().enumerate() {
            group.clear();
            for _ in 0..seeds {
                group.push(rows.next(m)?);
            }
            groups.push(summarize(&scenario.name, &policy.name, &group, boot));
            // Runs that drew uncertain parameters: which of them moved the figures.
            let limit = m.constraints.max_budget_p95_pct;
            sensitivities.extend(
                sensitivity(&scenario.name, &policy.name, &group, limit, boot)
                    .map_err(|e| RunnerError::Usage(format!("{}: {e}", runs.display())))?,
            );
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
    let summary = summary_csv::to_bytes(&summary_csv::records(&groups, m.figures()), m.figures());
    write_atomic(&dir.join(summary_csv::FILE_NAME), &summary)?;
    let paired = paired_csv::to_bytes(&paired_csv::records(&pairs));
    write_atomic(&dir.join(paired_csv::FILE_NAME), &paired)?;
    let frontier = pareto_csv::to_bytes(&pareto_csv::records(&points));
    write_atomic(&dir.join(pareto_csv::FILE_NAME), &frontier)?;
    // Only a sweep with uncertain parameters has a sensitivity: any other sweep's
    // files stay what they were before it existed.
    if !sensitivities.is_empty() {
        let sens = sensitivity_csv::to_bytes(&sensitivity_csv::records(&sensitivities));
        write_atomic(&dir.join(sensitivity_csv::FILE_NAME), &sens)?;
        let exc = exceedance_csv::to_bytes(&exceedance_csv::records(&sensitivities));
        write_atomic(&dir.join(exceedance_csv::FILE_NAME), &exc)?;
    }
    let table = sweep_table(&groups, &points, &rec);
    let json = SummaryJson {
        schema_version: SCHEMA_VERSION,
        master_seed: m.master_seed,
        seeds: m.seeds,
        bootstrap_resamples: m.bootstrap_resamples,
        baseline: m.baseline.clone(),
        groups,
        paired: pairs,
        pareto: points,
        recommendation: rec,
    };
    write_atomic(&dir.join(summary_json::FILE_NAME), &json.to_bytes())?;
    Ok(table)
}
