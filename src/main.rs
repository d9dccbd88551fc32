//! The `rollcage` command line: glue between flags and the libraries.
//!
//! Exit codes: 0 ok; 1 the run finished but a check failed (an `--expect`ed outcome
//! was not met, or a hard bound cut the run short); 2 usage, configuration or I/O
//! error; 3 `gate` inconclusive; 4 a run panicked (a bug in rollcage: the message
//! names the run and a command reproducing it). Bad input never panics.

#![forbid(unsafe_code)]

mod args;
mod calibrate_cmd;
mod check_cmd;
mod emit_job;
mod engines_cmd;
mod gameday_cmd;
mod numbers;
mod power_cmd;
mod sweep_cmd;
mod tune_cmd;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

mod export_cmd;
mod gate_cmd;
mod plan_cmd;
mod report_cmd;
use policies::series::SeriesNames;
use render::summary::run_summary_painted;
use reports::Outcome;
use reports::artifacts::run_json::{RunInputs, RunJson};
use reports::artifacts::{events_csv, metrics_om, run_json, timeline_csv};
use runner::RunnerError;
use runner::inputs::{Resolved, resolve, validate_file};
use runner::output::OutputDir;

const PROGRAM: &str = concat!("rollcage ", env!("CARGO_PKG_VERSION"));

#[derive(Parser)]
#[command(
    name = "rollcage",
    version,
    about = "Deterministic simulator and chaos-testing framework for rollout policies",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario under one policy for one seed, and summarise it.
    Run(RunArgs),
    /// List the built-in scenarios and policies, or the fault catalog.
    List {
        /// What to list: scenarios, policies, faults (default: scenarios and policies).
        #[arg(value_parser = ["scenarios", "policies", "faults"])]
        what: Option<String>,
    },
    /// Run scenarios x policies (x a grid of policy fields) x seeds in parallel, with
    /// statistics, a Pareto frontier and a recommendation.
    ///
    /// At most 1000000000 runs per sweep. Exit 0 when the files are written; 2 for bad
    /// input, or an --out that is not empty (without --resume or --force) or that
    /// another rollcage process is writing; 4 when a run panicked (a bug: the message
    /// names the run and a `rollcage run` command reproducing it, and --resume
    /// continues from the runs before it). Off a terminal, progress is a line on
    /// stderr every 10% of the runs or 10 s. With --emit-job KIND --shards N, writes
    /// instead the files that run the sweep as N tasks on Slurm, Kubernetes or GitHub
    /// Actions, and merge them (docs/scale-out.md).
    Sweep(sweep_cmd::SweepArgs),
    /// Merge the shard directories of a sharded sweep into one sweep directory.
    Merge(sweep_cmd::MergeArgs),
    /// Size a regression: the probability that the policy and each gate detect it
    /// before promotion, over a range of effect sizes, with the minimum detectable
    /// effect at 80% and 95% power and the false-rollback rate at no regression.
    ///
    /// Exit 0 when the answer is printed (and the files written); 2 for bad input or
    /// an --out that is not empty (without --force); 4 when a run panicked.
    Power(power_cmd::PowerArgs),
    /// Find the best policy of a space (a base policy, parameters over its fields,
    /// weighted scenarios, an objective and limits) by racing the candidates on common
    /// seeds, with a fraction of a grid's runs, and say how sure it is (docs/tune.md).
    ///
    /// Writes best.toml (the chosen policy), tune.csv, tune.json, tune-runs.csv and a
    /// report. Exit 0 when a policy is chosen; 1 when no candidate meets the limits; 2
    /// for bad input (the space file's problems name the file, the key and the reason)
    /// or an --out refused; 4 when a run panicked (--resume continues after the fix).
    Tune(tune_cmd::TuneArgs),
    /// Regression-test policies in CI: a suite's assertions over sweep statistics, and
    /// a comparison with a baseline on the same seeds.
    ///
    /// Exit 0 all hold, 1 an assertion failed or a metric regressed, 2 broken input or
    /// an output refused, 4 a run panicked.
    Check(check_cmd::CheckArgs),
    /// Compare the engines (docs/engines.md).
    #[command(subcommand)]
    Engines(engines_cmd::EnginesCommand),
    /// Plan a game day: a runbook with the expected timeline and cost, abort
    /// conditions, and the scenario's faults as Chaos Mesh experiments.
    Gameday(gameday_cmd::GamedayArgs),
    /// Check scenario and policy files (and manifests: Deployments, CodeDeploy
    /// configurations), reporting every problem at once.
    Validate(ValidateArgs),
    /// Show what a policy's controller does on a healthy rollout, step by step.
    Plan(plan_cmd::PlanArgs),
    /// Write a policy in the format a real rollout controller reads.
    Export(export_cmd::ExportArgs),
    /// Judge real metrics with a policy's gates (exit 0 advance, 1 roll back, 3 pause).
    Gate(gate_cmd::GateArgs),
    /// Write a scenario fitted to a service's Prometheus history (or a file of it):
    /// fleet, traffic profile (or its replay), service time corrected for queueing,
    /// error probability, crash rate, with a comment per value (docs/calibrate.md).
    ///
    /// Exit 0 when the scenario is written; 2 for bad input or answers, or an --out
    /// that exists (without --force).
    Calibrate(calibrate_cmd::CalibrateArgs),
    /// Write report.html (inline SVG charts), report.md and charts/*.png for a run or
    /// sweep directory.
    ///
    /// The directory is locked while the report is written. Of the files in charts/,
    /// only rollcage's own charts that the report no longer draws are removed.
    Report(report_cmd::ReportArgs),
    /// Print a shell completion script on stdout, e.g.
    /// `rollcage completions bash > ~/.local/share/bash-completion/completions/rollcage`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout, e.g. `rollcage man | man -l -`; with a
    /// subcommand, its own page (the rollcage-SUBCOMMAND(1) the main page refers to).
    Man {
        /// A subcommand whose page to print instead of the main one.
        subcommand: Option<String>,
    },
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// Files to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    import: args::Import,
}

#[derive(clap::Args)]
struct RunArgs {
    /// A built-in scenario name or a scenario file.
    #[arg(long, default_value = "reference")]
    scenario: String,
    /// A built-in policy name, a policy file, or a manifest (FILE.yaml: a Deployment;
    /// a CodeDeploy configuration's JSON; FILE#NAME picks one policy of several).
    #[arg(long, default_value = "reference")]
    policy: String,
    #[command(flatten)]
    import: args::Import,
    #[command(flatten)]
    master: args::MasterSeed,
    /// Replicate index under the master seed (a sweep's replicate k).
    #[arg(long, default_value_t = 0, value_parser = numbers::whole::<u64, 0, { u64::MAX }>)]
    replicate: u64,
    #[command(flatten)]
    overrides: args::Overrides,
    #[command(flatten)]
    engine: args::EngineFlag,
    /// Write run.json, timeline.csv, events.csv, metrics.om and the report here (locked
    /// while written: a second writer is refused).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The time of simulated t = 0 in metrics.om (RFC 3339; never the clock).
    #[arg(long, default_value = metrics_om::DEFAULT_EPOCH, value_parser = metrics_om::parse_epoch)]
    epoch: i64,
    /// Allow writing into a non-empty --out directory.
    #[arg(long)]
    force: bool,
    /// Print run.json on stdout instead of the summary.
    #[arg(long)]
    json: bool,
    /// Also run the twin of this run: the same world and seed in which the release
    /// never happens, and report what the release itself cost (budget_release_pct,
    /// bad_events_release) beside what the twin burned (docs/metrics.md).
    #[arg(long)]
    counterfactual: bool,
    /// Exit 1 unless the outcome is one of these (comma-separated: succeeded, caught,
    /// escaped, false_rollback, stalled).
    #[arg(long, value_delimiter = ',', value_parser = parse_outcome)]
    expect: Vec<Outcome>,
}

fn parse_outcome(s: &str) -> Result<Outcome, String> {
    Outcome::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.name()).collect();
        format!(
            "unknown outcome \"{s}\"; expected one of: {}",
            names.join(", ")
        )
    })
}

/// The command line, with numeric flags that name themselves when given a bad value
/// (`numbers`); with the matches, which `sweep --emit-job` reads its arguments from.
fn parse_cli() -> (Cli, clap::ArgMatches) {
    let matches = numbers::accept_negative_numbers(Cli::command())
        .try_get_matches()
        .unwrap_or_else(|e| numbers::exit_on_error(e));
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| numbers::exit_on_error(e));
    (cli, matches)
}

fn main() -> ExitCode {
    let (cli, matches) = parse_cli();
    let result = match cli.command {
        Command::Run(args) => cmd_run(args),
        Command::List { what } => cmd_list(what.as_deref()),
        Command::Validate(args) => cmd_validate(&args),
        Command::Plan(args) => plan_cmd::run(args).and_then(print_with),
        Command::Export(args) => export_cmd::run(args).and_then(print_with),
        Command::Gate(args) => gate_cmd::run(args).and_then(print_with),
        Command::Calibrate(args) => calibrate_cmd::run(args).and_then(print_with),
        Command::Report(args) => report_cmd::run(args).and_then(print_with),
        Command::Sweep(args) => sweep_cmd::cmd_sweep(
            args,
            matches
                .subcommand_matches("sweep")
                .expect("the sweep subcommand matched"),
        ),
        Command::Merge(args) => sweep_cmd::cmd_merge(args),
        Command::Power(args) => power_cmd::cmd_power(args),
        Command::Tune(args) => tune_cmd::cmd_tune(args),
        Command::Check(args) => check_cmd::cmd_check(args),
        Command::Gameday(args) => gameday_cmd::cmd_gameday(args),
        Command::Engines(cmd) => engines_cmd::cmd_engines(cmd),
        Command::Completions { shell } => cmd_completions(shell),
        Command::Man { subcommand } => cmd_man(subcommand.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// The completion script for `shell`, generated from the same clap definitions that
/// parse the flags, so it never lists a flag the parser does not take.
fn cmd_completions(shell: clap_complete::Shell) -> Result<ExitCode, RunnerError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rollcage", &mut script);
    print(&String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}

/// The manual page, from the clap definitions: the synopsis, every subcommand with its
/// summary, the version. Byte-stable (no date), so it can be packaged as built.
fn cmd_man(subcommand: Option<&str>) -> Result<ExitCode, RunnerError> {
    let mut cmd = Cli::command();
    cmd.build();
    let man = match subcommand {
        None => clap_mangen::Man::new(cmd),
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => clap_mangen::Man::new(sub.clone())
                .title(format!("rollcage-{name}"))
                .source(PROGRAM),
            None => {
                let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                eprintln!(
                    "error: no subcommand \"{name}\"; expected one of: {}",
                    names.join(", ")
                );
                return Ok(ExitCode::from(2));
            }
        },
    };
    let mut page = Vec::new();
    man.render(&mut page)
        .map_err(|e| RunnerError::io("stdout", e))?;
    print(&String::from_utf8_lossy(&page))?;
    Ok(ExitCode::SUCCESS)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<(), RunnerError> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| RunnerError::io("stdout", e)),
    }
}

/// Prints a subcommand's output and passes its exit code on.
fn print_with((text, code): (String, ExitCode)) -> Result<ExitCode, RunnerError> {
    print(&text)?;
    Ok(code)
}

fn reproduce(r: &Resolved, args: &RunArgs) -> String {
    let mut cmd = runner::execute::reproduce_command(
        &args.scenario,
        &args.policy,
        args.master.seed,
        args.replicate,
        &r.overrides,
        &args.import.flags().words(),
    );
    if args.counterfactual {
        cmd.push_str(" --counterfactual");
    }
    cmd
}

fn cmd_run(mut args: RunArgs) -> Result<ExitCode, RunnerError> {
    args.overrides.sets = args.engine.apply(std::mem::take(&mut args.overrides.sets));
    let resolved = resolve(
        &args.scenario,
        &args.policy,
        &args.overrides.sets,
        &args.import.flags(),
    )?;
    args::print_notes(&resolved.notes);
    // Create the output directory before the run so that a refusal costs nothing.
    let out = args
        .out
        .as_deref()
        .map(|p| OutputDir::create(p, args.force))
        .transpose()?;
    let drawn = runner::execute::draw(&resolved.scenario, args.master.seed, args.replicate)?;
    let (record, mut metrics) = runner::execute::run_drawn(
        &drawn.scenario,
        &resolved.policy,
        args.master.seed,
        args.replicate,
    );
    if args.counterfactual {
        let twin = runner::execute::run_twin(
            &resolved.scenario,
            args.master.seed,
            args.replicate,
            runner::execute::twin_key(&resolved.policy),
        );
        metrics = metrics.with_twin(twin);
    }
    let inputs = RunInputs {
        scenario: resolved.scenario.name.clone(),
        scenario_source: resolved.scenario_source.clone(),
        policy: resolved.policy.name.clone(),
        policy_source: resolved.policy_source.clone(),
        overrides: resolved.overrides.clone(),
        seed: args.master.seed,
        reproduce: reproduce(&resolved, &args),
        scenario_resolved: serde_json::to_value(&*drawn.scenario).expect("scenario serializes"),
        policy_resolved: serde_json::to_value(&resolved.policy).expect("policy serializes"),
        params: drawn.params.iter().cloned().collect(),
        engine: (drawn.scenario.run.engine != scenarios::EngineChoice::PerRequest)
            .then(|| drawn.scenario.engine().name().to_string()),
    };
    let doc = RunJson::new(inputs, metrics, PROGRAM);
    let json = doc.to_bytes();
    let (inputs, metrics) = (&doc.inputs, &doc.metrics);
    let mut report_line = String::new();
    if let Some(out) = &out {
        let interval = drawn.scenario.observability.scrape_interval_seconds;
        out.write(run_json::FILE_NAME, &json)?;
        let timeline = timeline_csv::records(
            &record.timeline,
            interval,
            drawn.scenario.fleet_can_resize(),
        );
        out.write(timeline_csv::FILE_NAME, &timeline_csv::to_bytes(&timeline))?;
        let events = events_csv::records(&record.log);
        out.write(events_csv::FILE_NAME, &events_csv::to_bytes(&events))?;
        let names = SeriesNames::default();
        let om = metrics_om::Input {
            names: &names,
            service: &resolved.policy.name,
            epoch_ms: args.epoch,
            samples: record.metrics.samples(),
            kpi: drawn.scenario.has_kpi(),
            fleet: &record.fleet,
        };
        out.write(metrics_om::FILE_NAME, &metrics_om::to_bytes(&om))?;
        report_line = report_cmd::write_report(out)?.1;
    }
    if args.json {
        print(&String::from_utf8_lossy(&json))?;
    } else {
        let title = format!(
            "rollcage run: scenario {} under policy {}, seed {} replicate {}",
            resolved.scenario.name, resolved.policy.name, args.master.seed, args.replicate
        );
        print(&run_summary_painted(&title, metrics, report_cmd::paint()))?;
        if let Some(out) = &out {
            print(&format!(
                "  files        {}/{{run.json,timeline.csv,events.csv,metrics.om}}\n",
                out.path().display()
            ))?;
            print(&report_line)?;
        }
        print(&what_next(&resolved, &args))?;
    }
    if metrics.limit_hit.is_some() {
        eprintln!(
            "rollcage: a hard bound cut the run short; reproduce with: {}",
            inputs.reproduce
        );
        return Ok(ExitCode::from(1));
    }
    if !args.expect.is_empty() && !args.expect.contains(&metrics.outcome) {
        eprintln!(
            "rollcage: outcome {} is not one of the expected ({}); reproduce with: {}",
            metrics.outcome.name(),
            args.expect
                .iter()
                .map(|o| o.name())
                .collect::<Vec<_>>()
                .join(", "),
            inputs.reproduce
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Two lines on what was simulated and where to go from here: a first run should not
/// leave a newcomer guessing what `outcome escaped` was about.
fn what_next(r: &Resolved, args: &RunArgs) -> String {
    let horizon = reports::format::human_secs(r.scenario.run.horizon_seconds);
    let other = if args.policy == "gated-10pct" {
        "k8s-default"
    } else {
        "gated-10pct"
    };
    let mut text = format!(
        "  simulated    scenario {}, {horizon}: {}\n               policy {}: {}\n",
        args.scenario,
        r.scenario.summary(),
        args.policy,
        r.policy.summary(),
    );
    text.push_str(&format!(
        "  next         many seeds with intervals: rollcage sweep --scenarios {} --policies {},{other} --seeds 50 --out sweep-out\n",
        args.scenario, args.policy
    ));
    if args.out.is_none() {
        text.push_str("               charts and a report of this run: add --out DIR\n");
    }
    text
}

fn cmd_list(what: Option<&str>) -> Result<ExitCode, RunnerError> {
    let mut text = String::new();
    if matches!(what, None | Some("scenarios")) {
        text.push_str("Scenarios:\n");
        let width = scenarios::BUILTIN
            .iter()
            .map(|(n, _)| n.len())
            .max()
            .unwrap_or(0)
            .max(24);
        for (name, _) in scenarios::BUILTIN {
            let doc = scenarios::builtin(name).expect("listed built-in exists");
            let s = scenarios::Scenario::from_doc(&doc).expect("built-in scenarios are valid");
            text.push_str(&format!("  {name:<width$} {}\n", s.summary()));
        }
    }
    if matches!(what, None | Some("policies")) {
        text.push_str("Policies:\n");
        for (name, _) in policies::BUILTIN {
            let doc = policies::builtin(name).expect("listed built-in exists");
            let p = policies::Policy::from_doc(&doc).expect("built-in policies are valid");
            text.push_str(&format!("  {name:<24} {}\n", p.summary()));
        }
    }
    if what == Some("faults") {
        text.push_str(&scenarios::faults::catalog_text());
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_validate(args: &ValidateArgs) -> Result<ExitCode, RunnerError> {
    let mut failed = Vec::new();
    let flags = args.import.flags();
    for f in &args.files {
        match validate_file(&f.to_string_lossy(), &flags) {
            Ok(v) => {
                args::print_notes(&v.notes);
                print(&format!("{}\n", v.line))?
            }
            Err(e) => failed.push(e.to_string()),
        }
    }
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(RunnerError::Usage(failed.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every numeric flag of every command, found by the type its parser gives (so a
    /// flag added later is covered without being listed), refuses `-1` naming itself.
    #[test]
    fn every_numeric_flag_names_itself_when_given_a_negative_number() {
        let cli = numbers::accept_negative_numbers(Cli::command());
        let mut checked = Vec::new();
        for sub in cli.get_subcommands() {
            for arg in sub.get_arguments().filter(|a| numbers::takes_number(a)) {
                let flag = format!("--{}", arg.get_long().expect("numeric flags are long"));
                let e = cli
                    .clone()
                    .try_get_matches_from(["rollcage", sub.get_name(), &flag, "-1"])
                    .err()
                    .unwrap_or_else(|| panic!("{} {flag} -1 was accepted", sub.get_name()));
                let msg = numbers::bad_value_message(&e)
                    .unwrap_or_else(|| panic!("{} {flag}: clap said {e}", sub.get_name()));
                assert!(
                    msg.starts_with(&format!("error: {flag}: expected "))
                        && msg.ends_with(", found -1"),
                    "{msg}"
                );
                checked.push(format!("{} {flag}", sub.get_name()));
            }
        }
        assert_eq!(checked.len(), 45, "{checked:?}");
    }
}
