//! The baseline file of `rollcage check`: the runs of an earlier check, kept so that a
//! later check can pair its runs with them seed by seed.
//!
//! JSON with a `schema_version`: the suite's name, master seed and seeds, and every
//! run's row reduced to the columns the summaries read (`reports::sweep::runs_csv::
//! needed()`). Committed next to the suite; `--update-baseline` rewrites it.

use std::path::Path;

use reports::sweep::runs_csv::needed;
use reports::sweep::{Columns, RunRow};
use serde::{Deserialize, Serialize};

use crate::RunnerError;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineFile {
    pub schema_version: u32,
    pub program: String,
    pub suite: String,
    pub master_seed: u64,
    pub seeds: u64,
    pub columns: Vec<String>,
    pub runs: Vec<Vec<String>>,
}

/// One (scenario, policy) group of runs, in replicate order.
#[derive(Clone, Debug)]
pub struct Group {
    pub scenario: String,
    pub policy: String,
    pub rows: Vec<RunRow>,
    /// The rows as kept in a baseline file.
    pub kept: Vec<Vec<String>>,
}

/// Groups records (any columns that include `needed()`) in order of first appearance.
pub fn group_records(
    shown: &str,
    header: &csv::StringRecord,
    records: impl Iterator<Item = Result<csv::StringRecord, String>>,
) -> Result<Vec<Group>, RunnerError> {
    let bad = |why: String| RunnerError::Usage(format!("{shown}: {why}"));
    let columns = Columns::from_header(header).map_err(&bad)?;
    let keep: Vec<usize> = columns.present().into_iter().map(|(_, i)| i).collect();
    let mut groups: Vec<Group> = Vec::new();
    for (i, rec) in records.enumerate() {
        let rec = rec.map_err(&bad)?;
        let row = columns
            .parse(&rec)
            .map_err(|e| bad(format!("run {i}: {e}")))?;
        let (scenario, policy) = columns.identity(&rec);
        let kept: Vec<String> = keep
            .iter()
            .map(|&k| rec.get(k).unwrap_or("").to_string())
            .collect();
        match groups
            .iter_mut()
            .find(|g| g.scenario == scenario && g.policy == policy)
        {
            Some(g) => {
                g.rows.push(row);
                g.kept.push(kept);
            }
            None => groups.push(Group {
                scenario: scenario.to_string(),
                policy: policy.to_string(),
                rows: vec![row],
                kept: vec![kept],
            }),
        }
    }
    for g in &mut groups {
        let mut order: Vec<usize> = (0..g.rows.len()).collect();
        order.sort_by_key(|&i| g.rows[i].replicate);
        g.rows = order.iter().map(|&i| g.rows[i].clone()).collect();
        g.kept = order.iter().map(|&i| g.kept[i].clone()).collect();
    }
    Ok(groups)
}

impl BaselineFile {
    pub fn from_groups(
        program: &str,
        suite: &str,
        master_seed: u64,
        seeds: u64,
        groups: &[Group],
    ) -> Self {
        BaselineFile {
            schema_version: SCHEMA_VERSION,
            program: program.to_string(),
            suite: suite.to_string(),
            master_seed,
            seeds,
            columns: needed().into_iter().map(String::from).collect(),
            runs: groups.iter().flat_map(|g| g.kept.iter().cloned()).collect(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a baseline serializes");
        s.push('\n');
        s
    }

    pub fn load(path: &Path) -> Result<BaselineFile, RunnerError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RunnerError::io(path, e))?;
        let b: BaselineFile = serde_json::from_str(&text).map_err(|e| {
            RunnerError::Usage(format!("{shown}: not a rollcage baseline file: {e}"))
        })?;
        if b.schema_version != SCHEMA_VERSION {
            return Err(RunnerError::Usage(format!(
                "{shown}: schema_version {} is not supported; this build reads {SCHEMA_VERSION} (rewrite it with --update-baseline)",
                b.schema_version
            )));
        }
        Ok(b)
    }

    /// The runs, grouped.
    pub fn groups(&self, shown: &str) -> Result<Vec<Group>, RunnerError> {
        let header = csv::StringRecord::from(self.columns.clone());
        let width = self.columns.len();
        let records = self.runs.iter().enumerate().map(|(i, r)| {
            if r.len() == width {
                Ok(csv::StringRecord::from(r.clone()))
            } else {
                Err(format!("runs[{i}]: {} fields, {width} columns", r.len()))
            }
        });
        group_records(shown, &header, records)
    }
}
