//! `rollcage engines compare`: the fluid engine against the per-request one.

use std::process::ExitCode;

use runner::RunnerError;
use runner::engines::{CompareRequest, compare, table};

use crate::args::{MasterSeed, Workers};
use crate::numbers::whole;
use crate::print;

#[derive(clap::Subcommand)]
pub enum EnginesCommand {
    /// Run scenarios under policies with both engines on paired seeds and print how
    /// far they agree (docs/engines.md): outcomes, median time to detection, mean
    /// budget. Exit 0 when every scenario the fluid engine runs agrees, 1 otherwise.
    Compare(CompareArgs),
}

#[derive(clap::Args)]
pub struct CompareArgs {
    /// Scenarios: built-in names or files, comma-separated (default: every built-in).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Policies, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "k8s-default,gated-10pct,argo-canary"
    )]
    policies: Vec<String>,
    /// Paired seeds per scenario and policy (1 to 100000).
    #[arg(long, default_value_t = 200, value_parser = whole::<u64, 1, 100_000>)]
    seeds: u64,
    #[command(flatten)]
    master: MasterSeed,
    #[command(flatten)]
    workers: Workers,
}

pub fn cmd_engines(cmd: EnginesCommand) -> Result<ExitCode, RunnerError> {
    let EnginesCommand::Compare(args) = cmd;
    let scenarios = if args.scenarios.is_empty() {
        runner::inputs::scenario_names()
            .into_iter()
            .map(str::to_string)
            .collect()
    } else {
        args.scenarios
    };
    let rows = compare(&CompareRequest {
        scenarios,
        policies: args.policies,
        seeds: args.seeds,
        master_seed: args.master.seed,
        threads: args.workers.count(),
    })?;
    print(&table(&rows))?;
    let all = rows
        .iter()
        .filter(|r| r.unsupported.is_none())
        .all(|r| r.passes());
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
