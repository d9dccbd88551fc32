//! `rollcage plan`: a policy's healthy rollout, step by step.

use std::process::ExitCode;

use crate::args::PolicyOverrides;
use runner::RunnerError;
use runner::inputs::load_policy_with_sets;

#[derive(clap::Args)]
pub struct PlanArgs {
    /// A built-in policy name or a policy file (TOML or exported JSON).
    #[arg(long)]
    policy: String,
    #[command(flatten)]
    overrides: PolicyOverrides,
    /// Desired replicas.
    #[arg(long, value_parser = crate::numbers::whole::<u32, 1, 100_000>)]
    replicas: u32,
    /// Print the plan as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: PlanArgs) -> Result<(String, ExitCode), RunnerError> {
    let policy = load_policy_with_sets(&args.policy, &args.overrides.sets)?;
    let plan = policies::plan::plan(&policy, args.replicas);
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&plan).expect("a plan serializes");
        s.push('\n');
        s
    } else {
        plan.text()
    };
    Ok((text, ExitCode::SUCCESS))
}
