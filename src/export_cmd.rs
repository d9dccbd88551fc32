//! `rollcage export`: a policy in the format a real rollout controller reads; a
//! scenario's SLO as Prometheus rules; a run as a `promtool test rules` file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::args::{Import, PolicyOverrides, print_notes};
use policies::export::{self, Options, Target};
use policies::k8s_names::{HttpUrl, ServiceName};
use policies::series::{self, SeriesNames};
use runner::RunnerError;
use runner::inputs::load_policy_with_sets;
use runner::output::write_atomic;

#[derive(clap::Args)]
pub struct ExportArgs {
    /// A built-in policy name, a policy file (TOML or exported JSON) or a manifest
    /// (docs/import.md): for k8s, argo, flagger, codedeploy and json.
    #[arg(long, conflicts_with_all = ["scenario", "run"])]
    policy: Option<String>,
    /// A built-in scenario name or a scenario file: its SLO, for prometheus-rules.
    #[arg(long, conflicts_with = "run")]
    scenario: Option<String>,
    /// A run directory (`rollcage run --out`): for promtool-test, or prometheus-rules
    /// of the run's scenario.
    #[arg(long, value_name = "DIR")]
    run: Option<PathBuf>,
    #[command(flatten)]
    overrides: PolicyOverrides,
    #[command(flatten)]
    import: Import,
    /// k8s, argo, flagger, codedeploy, json (a policy); prometheus-rules (a scenario or
    /// a run); promtool-test (a run).
    #[arg(long = "to", value_parser = parse_to)]
    to: To,
    /// promtool-test: the rule file the test loads (as written in its `rule_files`).
    #[arg(long, value_name = "FILE", default_value = "slo-rules.yaml")]
    rule_file: String,
    /// Object names and the `service` label the metric queries select (a DNS-1035
    /// label of at most 55 characters; default: the policy's name). prometheus-rules:
    /// the one service the rules select (default: every service, each apart).
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

/// What `--to` asks for: a policy's target, or one of the Prometheus files.
#[derive(Clone, Copy, Debug)]
pub enum To {
    Policy(Target),
    PrometheusRules,
    PromtoolTest,
}

fn parse_to(s: &str) -> Result<To, String> {
    match s {
        "prometheus-rules" => Ok(To::PrometheusRules),
        "promtool-test" => Ok(To::PromtoolTest),
        _ => Target::parse(s).map(To::Policy).ok_or_else(|| {
            format!(
                "unknown target \"{s}\"; expected one of: {}, prometheus-rules, promtool-test",
                Target::NAMES.join(", ")
            )
        }),
    }
}

pub fn run(args: ExportArgs) -> Result<(String, ExitCode), RunnerError> {
    if let Some(out) = &args.out
        && out.exists()
        && !args.force
    {
        return Err(RunnerError::Usage(format!(
            "{}: exists; pass --force to overwrite",
            out.display()
        )));
    }
    let target = match args.to {
        To::Policy(t) => t,
        To::PrometheusRules | To::PromtoolTest => return prometheus(&args),
    };
    let Some(policy) = &args.policy else {
        return Err(RunnerError::Usage(format!(
            "--to {} exports a policy: pass --policy",
            target.name()
        )));
    };
    let loaded = load_policy_with_sets(policy, &args.overrides.sets, &args.import.flags())?;
    print_notes(&loaded.notes);
    let policy = loaded.policy;
    let service = service_or_policy_name(&args.service, &policy)?;
    let series = series_names(args.metric_names.as_deref())?;
    let opts = Options {
        service,
        prometheus_address: args.prometheus_address.clone(),
        series,
    };
    let e =
        export::export(&policy, target, &opts).map_err(|e| RunnerError::Usage(e.to_string()))?;
    for n in &e.notes {
        eprintln!("rollcage export: not expressed in {}: {n}", target.name());
    }
    emit(&args, e.text)
}

/// Writes `text` to `--out` (atomically) or returns it for stdout.
fn emit(args: &ExportArgs, text: String) -> Result<(String, ExitCode), RunnerError> {
    match &args.out {
        Some(path) => {
            write_atomic(path, text.as_bytes())?;
            Ok((String::new(), ExitCode::SUCCESS))
        }
        None => Ok((text, ExitCode::SUCCESS)),
    }
}

/// `--to prometheus-rules` (from `--scenario` or `--run`) and `--to promtool-test`
/// (from `--run`).
fn prometheus(args: &ExportArgs) -> Result<(String, ExitCode), RunnerError> {
    let what = match args.to {
        To::PromtoolTest => "promtool-test",
        _ => "prometheus-rules",
    };
    if args.policy.is_some() {
        return Err(RunnerError::Usage(format!(
            "--to {what} reads a scenario's SLO, not a policy: pass --scenario S or --run DIR"
        )));
    }
    if !args.overrides.sets.is_empty() {
        return Err(RunnerError::Usage(format!(
            "--set does not apply to --to {what}: edit the scenario, or export from a run directory"
        )));
    }
    let names = series_names(args.metric_names.as_deref())?;
    let text = match (args.to, &args.scenario, &args.run) {
        (To::PromtoolTest, _, Some(dir)) => {
            runner::slo_rules::promtool_test(dir, &args.rule_file, &names)?
        }
        (To::PromtoolTest, _, None) => {
            return Err(RunnerError::Usage(
                "--to promtool-test replays a run: pass --run DIR (a `rollcage run --out` directory)".into(),
            ));
        }
        (_, scenario, run) => {
            let mut rules = match (scenario, run) {
                (Some(s), _) => {
                    runner::slo_rules::rules_for_scenario(&runner::inputs::load_scenario(s, &[])?.0)
                }
                (None, Some(dir)) => runner::slo_rules::rules_for_run(dir)?,
                (None, None) => {
                    return Err(RunnerError::Usage(
                        "--to prometheus-rules writes a scenario's SLO: pass --scenario S or --run DIR".into(),
                    ));
                }
            };
            rules.service = args.service.as_ref().map(|s| s.as_str().to_string());
            rules.rules_yaml(&names)
        }
    };
    emit(args, text)
}

/// `--service`, or the policy's name when it is not given: checked by the same rule as
/// the flag, and said so, since the user never typed it.
pub(crate) fn service_or_policy_name(
    service: &Option<ServiceName>,
    policy: &policies::Policy,
) -> Result<ServiceName, RunnerError> {
    match service {
        Some(s) => Ok(s.clone()),
        None => ServiceName::new(&policy.name).map_err(|e| {
            RunnerError::Usage(format!(
                "--service not given, and the policy's name {:?} cannot stand for it: it {e}; pass --service",
                policy.name
            ))
        }),
    }
}

/// The series names of `--metric-names FILE`, or the defaults without the flag.
pub(crate) fn series_names(path: Option<&Path>) -> Result<SeriesNames, RunnerError> {
    path.map_or_else(|| Ok(SeriesNames::default()), read_names)
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
