//! Reports are pure functions of run results: per-run metrics derived exactly as the
//! design defines them, and the bytes of every output format. Nothing here touches
//! the file system or the clock.

#![forbid(unsafe_code)]

pub mod artifacts;
pub mod charts;
pub mod check;
pub mod format;
pub mod html;
pub mod limits;
pub mod markdown;
pub mod metrics;
pub mod paint;
pub mod png;
pub mod prometheus;
pub mod report;
pub mod stats;
pub mod summary;
pub mod sweep;
pub mod view;
pub mod vocab;

pub use metrics::{Outcome, RunMetrics};

/// The version of every output format this build writes.
pub const SCHEMA_VERSION: u32 = 1;
