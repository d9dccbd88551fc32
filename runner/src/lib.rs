//! Between the CLI and the libraries: turns names, files and `--set` overrides into a
//! scenario and a policy, runs them, and writes output files without ever leaving one
//! half-written or silently replacing one.

pub mod check;
pub mod execute;
pub mod gameday;
pub mod inputs;
pub mod output;
pub mod report;
pub mod sweep;

use thiserror::Error;

/// Everything that can go wrong before or around a run. All of it is the user's input
/// or environment (exit code 2); engine invariant violations panic instead.
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
}

impl RunnerError {
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        RunnerError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
