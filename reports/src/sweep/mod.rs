//! Sweep statistics as pure functions: per-group statistics, paired comparisons, the
//! Pareto frontier and recommendation, and the terminal table. The files they are read
//! from and written to are `crate::artifacts`'; reading and writing files is the
//! runner's job.

pub mod constraints;
pub mod frontier;
pub mod group;
pub mod sensitivity;

pub use crate::artifacts::runs_csv::{Columns, RunIdentity, RunRow};
pub use frontier::{Constraints, ParetoPoint, Recommendation, pareto, recommend};
pub use group::{Bootstrap, GroupSummary, Paired, paired, paired_rates, summarize};
