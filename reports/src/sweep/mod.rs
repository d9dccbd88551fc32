//! Sweep outputs as pure functions: the `runs.csv` row format and its reader, per-group
//! statistics, paired comparisons, the Pareto frontier and recommendation, and the
//! bytes of every summary file. Reading and writing files is the runner's job.

pub mod files;
pub mod frontier;
pub mod group;
pub mod runs_csv;
pub mod table;

pub use frontier::{Constraints, ParetoPoint, Recommendation, pareto, recommend};
pub use group::{Bootstrap, GroupSummary, Paired, paired, paired_rates, summarize};
pub use runs_csv::{Columns, RunIdentity, RunRow};
