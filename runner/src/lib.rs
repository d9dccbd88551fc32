//! Between the CLI and the libraries: turns names, files and `--set` overrides into a
//! scenario and a policy, runs them, and writes output files without ever leaving one
//! half-written or silently replacing one.

#![forbid(unsafe_code)]

pub mod calibrate;
pub mod check;
pub mod engines;
pub mod execute;
pub mod gameday;
pub mod inputs;
pub mod jobs;
pub mod output;
pub mod power;
pub mod prometheus;
pub mod report;
pub mod slo_rules;
pub mod sweep;
pub mod tune;

/// The largest sweep accepted, with the checked arithmetic that enforces it; it lives
/// with the manifest it bounds (`reports::artifacts::manifest`).
pub use reports::limits;

use thiserror::Error;

/// The exit code of a sweep (or check, or game day) stopped by a run that panicked: a
/// bug in rollcage, not bad input, so CI can tell the two apart.
pub const EXIT_RUN_PANICKED: u8 = 4;

/// Everything that can go wrong before or around a run. All of it is the user's input
/// or environment (exit code 2), except a run that panicked (an engine invariant
/// violated: exit code `EXIT_RUN_PANICKED`).
#[derive(Debug, Error)]
pub enum RunnerError {
    #[error("{0}")]
    Config(#[from] config::Problems),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    RunPanicked(Box<sweep::RunPanic>),
}

impl RunnerError {
    /// The process exit code this error ends a command with.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunnerError::RunPanicked(_) => EXIT_RUN_PANICKED,
            _ => 2,
        }
    }

    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        RunnerError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
