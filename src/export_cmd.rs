//! `rollcage export`: a policy in the format a real rollout controller reads.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::args::PolicyOverrides;
use policies::export::{self, Options, Target};
use policies::k8s_names::{HttpUrl, ServiceName};
use policies::series::{self, SeriesNames};
use runner::RunnerError;
use runner::inputs::load_policy_with_sets;
use runner::output::write_atomic;

#[derive(clap::Args)]
pub struct ExportArgs {
    /// A built-in policy name or a policy file (TOML or exported JSON).
    #[arg(long)]
    policy: String,
    #[command(flatten)]
    overrides: PolicyOverrides,
    /// k8s, argo, flagger, codedeploy or json.
    #[arg(long = "to", value_parser = parse_target)]
    to: Target,
    /// Object names and the `service` label the metric queries select (a DNS-1035
    /// label of at most 55 characters; default: the policy's name).
    #[arg(long)]
    service: Option<ServiceName>,
    /// Prometheus the analysis queries go to (http:// or https://, a host, an optional
    /// port and path).
    #[arg(long, default_value = "http://prometheus.monitoring:9090")]
    prometheus_address: HttpUrl,
    /// A TOML file renaming the metrics and labels the queries read, for a service whose
    /// series are named differently (keys and defaults: docs/exports.md, "Metrics the
    /// queries assume").
    #[arg(long, value_name = "FILE")]
    metric_names: Option<PathBuf>,
    /// Write here instead of stdout (refused if it exists, unless --force).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing --out file.
    #[arg(long)]
    force: bool,
}

fn parse_target(s: &str) -> Result<Target, String> {
    Target::parse(s).ok_or_else(|| {
        format!(
            "unknown target \"{s}\"; expected one of: {}",
            Target::NAMES.join(", ")
        )
    })
}

pub fn run(args: ExportArgs) -> Result<(String, ExitCode), RunnerError> {
    let policy = load_policy_with_sets(&args.policy, &args.overrides.sets)?;
    if let Some(out) = &args.out
        && out.exists()
        && !args.force
    {
        return Err(RunnerError::Usage(format!(
            "{}: exists; pass --force to overwrite",
            out.display()
        )));
    }
    let service = match &args.service {
        Some(s) => s.clone(),
        // Checked by the same rule as the flag, and said so: the user never typed it.
        None => ServiceName::new(&policy.name).map_err(|e| {
            RunnerError::Usage(format!(
                "--service not given, and the policy's name {:?} cannot stand for it: it {e}; pass --service",
                policy.name
            ))
        })?,
    };
    let series = match &args.metric_names {
        Some(path) => read_names(path)?,
        None => SeriesNames::default(),
    };
    let opts = Options {
        service,
        prometheus_address: args.prometheus_address.clone(),
        series,
    };
    let e =
        export::export(&policy, args.to, &opts).map_err(|e| RunnerError::Usage(e.to_string()))?;
    for n in &e.notes {
        eprintln!("rollcage export: not expressed in {}: {n}", args.to.name());
    }
    match &args.out {
        Some(path) => {
            write_atomic(path, e.text.as_bytes())?;
            Ok((String::new(), ExitCode::SUCCESS))
        }
        None => Ok((e.text, ExitCode::SUCCESS)),
    }
}

/// The `--metric-names` file, read up to its bound (a larger file is refused unread).
pub(crate) fn read_names(path: &Path) -> Result<SeriesNames, RunnerError> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| RunnerError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(series::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| RunnerError::io(path, e))?;
    let origin = path.display().to_string();
    if bytes.len() > series::MAX_FILE_BYTES {
        return Err(RunnerError::Usage(format!(
            "{origin}: over {} bytes; a names mapping is at most that",
            series::MAX_FILE_BYTES
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| RunnerError::Usage(format!("{origin}: not UTF-8 text")))?;
    Ok(SeriesNames::from_toml(&origin, &text)?)
}
