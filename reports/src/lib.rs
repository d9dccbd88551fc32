//! Computing, as pure functions of run results: per-run metrics derived exactly as the
//! design defines them (`metrics`, named by `vocab`), statistics (`stats`), sweep groups,
//! comparisons and the frontier (`sweep`), `check`'s judging, and the bytes of every
//! file rollcage writes or reads back (`artifacts`). Nothing here draws (that is the
//! `render` crate, which depends on this one and never the other way) or touches the
//! file system or the clock.

#![forbid(unsafe_code)]

pub mod artifacts;
pub mod check;
pub mod format;
pub mod limits;
pub mod metrics;
pub mod power;
pub mod prometheus;
pub mod stats;
pub mod sweep;
pub mod tune;
pub mod view;
pub mod vocab;

pub use metrics::{Outcome, RunMetrics};

/// The version of every output format this build writes.
pub const SCHEMA_VERSION: u32 = 1;
