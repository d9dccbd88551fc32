//! The baseline file of `rollcage check` (`--baseline FILE`): the runs of an earlier
//! check, kept so that a later check can pair its runs with them seed by seed.
//!
//! JSON with its own `schema_version`: the suite's name, master seed and seeds, and
//! every run's `runs.csv` row reduced to the columns the summaries read
//! (`runs_csv::needed()`). Committed next to the suite; `--update-baseline` rewrites
//! it. The file name is the user's.

use csv::StringRecord;
use serde::{Deserialize, Serialize};

use super::runs_csv::{Columns, RunRow, needed};
use super::{ArtifactError, check_schema_version, json_from_bytes, json_to_bytes};

/// The baseline file's own version (it lives outside a sweep directory).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineFile {
    pub schema_version: u32,
    pub program: String,
    pub suite: String,
    pub master_seed: u64,
    pub seeds: u64,
    /// The columns of `runs`, a subset of `runs.csv`'s that includes `needed()`.
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
/// The error says which run (`run 3: ...`) and why.
pub fn group_records(
    header: &StringRecord,
    records: impl Iterator<Item = Result<StringRecord, String>>,
) -> Result<Vec<Group>, String> {
    let columns = Columns::from_header(header)?;
    let keep: Vec<usize> = columns.present().into_iter().map(|(_, i)| i).collect();
    let mut groups: Vec<Group> = Vec::new();
    for (i, rec) in records.enumerate() {
        let rec = rec?;
        let row = columns.parse(&rec).map_err(|e| format!("run {i}: {e}"))?;
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

    /// Pretty JSON ending in a newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        json_to_bytes(self)
    }

    /// Refuses another `schema_version` (saying how to rewrite it) before reading the
    /// rest, then checks every run row as the summaries will read it.
    pub fn from_bytes(bytes: &[u8]) -> Result<BaselineFile, ArtifactError> {
        check_schema_version(
            bytes,
            SCHEMA_VERSION,
            " (rewrite it with --update-baseline)",
        )?;
        let b: BaselineFile = json_from_bytes(bytes)?;
        b.groups().map_err(ArtifactError::file)?;
        Ok(b)
    }

    /// The runs, grouped.
    pub fn groups(&self) -> Result<Vec<Group>, String> {
        let header = StringRecord::from(self.columns.clone());
        let width = self.columns.len();
        let records = self.runs.iter().enumerate().map(|(i, r)| {
            if r.len() == width {
                Ok(StringRecord::from(r.clone()))
            } else {
                Err(format!("runs[{i}]: {} fields, {width} columns", r.len()))
            }
        });
        group_records(&header, records)
    }
}
