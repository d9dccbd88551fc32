//! The flags several subcommands share, defined once and turned into checked inputs once
//! (ripgrep's low and high args): each group is a `clap::Args` that the subcommands
//! flatten, and its method gives the validated value, so no subcommand repeats a flag's
//! text, its bounds or its default. Numeric values are parsed by `numbers` as before;
//! `--set` overrides are checked where they are applied (`runner::inputs`), against the
//! files they change.

use std::path::PathBuf;

use runner::inputs::ImportFlags;
use runner::limits::MAX_THREADS;

use crate::numbers::whole;

/// `--threads`: 1 to `MAX_THREADS`.
#[derive(clap::Args)]
pub struct Workers {
    /// Worker threads, 1 to 1024 (default: one per CPU); results never depend on it.
    #[arg(long, value_parser = whole::<usize, 1, MAX_THREADS>)]
    threads: Option<usize>,
}

impl Workers {
    /// The worker threads to use: as given, or one per CPU up to `MAX_THREADS` (so the
    /// default is never a count the flag would refuse).
    pub fn count(&self) -> usize {
        self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_THREADS as usize)
        })
    }
}

/// `--seed`: the master seed every run's seed derives from.
#[derive(clap::Args)]
pub struct MasterSeed {
    /// Master seed. The same seed gives byte-identical outputs.
    #[arg(long, default_value_t = 1, value_parser = whole::<u64, 0, { u64::MAX }>)]
    pub seed: u64,
}

/// `--set` for commands that read a scenario and a policy.
#[derive(clap::Args)]
pub struct Overrides {
    /// Override any field (of every scenario or policy read): scenario.KEY=VALUE or
    /// policy.KEY=VALUE (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

/// `--engine`: which engine runs the scenarios, in place of each one's `run.engine`.
#[derive(clap::Args)]
pub struct EngineFlag {
    /// The engine that runs every scenario: per-request, fluid or auto (docs/engines.md);
    /// overrides the scenario's run.engine, as --set scenario.run.engine=NAME would.
    #[arg(long, value_enum)]
    engine: Option<EngineName>,
}

/// The values of `--engine`: `scenarios::EngineChoice` by its file names.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum EngineName {
    PerRequest,
    Fluid,
    Auto,
}

impl EngineFlag {
    /// The `--set` override the flag stands for (applied after the others, so it wins
    /// over the file and over a `--set` of the same key), if given.
    pub fn set(&self) -> Option<String> {
        use scenarios::EngineChoice;
        self.engine.map(|e| {
            let choice = match e {
                EngineName::PerRequest => EngineChoice::PerRequest,
                EngineName::Fluid => EngineChoice::Fluid,
                EngineName::Auto => EngineChoice::Auto,
            };
            format!("scenario.run.engine={}", choice.name())
        })
    }

    /// `sets` with the flag's override last.
    pub fn apply(&self, mut sets: Vec<String>) -> Vec<String> {
        sets.extend(self.set());
        sets
    }
}

/// `--set` for commands that read a policy only.
#[derive(clap::Args)]
pub struct PolicyOverrides {
    /// Override a policy field: policy.KEY=VALUE (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

/// `--analysis` and `--map-metric`, for a policy that is a manifest (docs/import.md).
#[derive(clap::Args)]
pub struct Import {
    /// A manifest file of AnalysisTemplate, ClusterAnalysisTemplate or MetricTemplate
    /// documents that a manifest policy refers to (repeatable).
    #[arg(long = "analysis", value_name = "FILE")]
    analysis: Vec<PathBuf>,
    /// What an analysis metric whose query rollcage does not recognise measures:
    /// TEMPLATE/METRIC=KIND (repeatable; the KIND words are in docs/import.md).
    #[arg(long = "map-metric", value_name = "TEMPLATE/METRIC=KIND")]
    map_metric: Vec<String>,
}

impl Import {
    /// The flags as the runner takes them.
    pub fn flags(&self) -> ImportFlags {
        ImportFlags {
            analysis: self.analysis.clone(),
            map_metric: self.map_metric.clone(),
        }
    }
}

/// Prints a policy load's notes on stderr (the import's, one line each).
pub fn print_notes(notes: &[String]) {
    for n in notes {
        eprintln!("{n}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_thread_count_is_one_the_flag_would_take() {
        let default = Workers { threads: None }.count();
        assert!((1..=MAX_THREADS as usize).contains(&default), "{default}");
        assert_eq!(Workers { threads: Some(3) }.count(), 3);
    }
}

/// How `gate` and `calibrate` talk to a Prometheus server: the bounds of one request
/// and the retries (`runner::prometheus::ClientConfig`).
#[derive(clap::Args)]
pub struct PrometheusClient {
    /// The longest a request to Prometheus may take, answer included.
    #[arg(long, default_value = "10s", value_parser = parse_timeout)]
    timeout: f64,
    /// The longest connecting to Prometheus may take.
    #[arg(long, default_value = "3s", value_parser = parse_timeout)]
    connect_timeout: f64,
    /// Further attempts after a refused connection, a timeout or an HTTP 5xx (0 to 5).
    #[arg(long, default_value_t = 2, value_parser = whole::<u32, 0, 5>)]
    retries: u32,
}

impl PrometheusClient {
    pub fn config(&self) -> runner::prometheus::ClientConfig {
        runner::prometheus::ClientConfig {
            connect_timeout: std::time::Duration::from_secs_f64(self.connect_timeout),
            timeout: std::time::Duration::from_secs_f64(self.timeout),
            retries: self.retries,
        }
    }
}

/// Seconds, from a millisecond to 10 minutes.
fn parse_timeout(s: &str) -> Result<f64, String> {
    let expected = "expected a duration from 0.001s to 10m, e.g. 10s";
    let secs = crate::numbers::duration(s).map_err(|_| expected.to_string())?;
    if !(0.001..=600.0).contains(&secs) {
        return Err(expected.into());
    }
    Ok(secs)
}
