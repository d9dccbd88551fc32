//! `rollcage plan`: a policy's healthy rollout, step by step.

use std::process::ExitCode;

use crate::args::{Import, PolicyOverrides, print_notes};
use runner::RunnerError;
use runner::inputs::load_policy_with_sets;

#[derive(clap::Args)]
pub struct PlanArgs {
    /// A built-in policy name, a policy file (TOML or exported JSON), or a manifest
    /// (docs/import.md).
    #[arg(long)]
    policy: String,
    #[command(flatten)]
    overrides: PolicyOverrides,
    #[command(flatten)]
    import: Import,
    /// Desired replicas (default: a manifest's spec.replicas; required otherwise).
    #[arg(long, value_parser = crate::numbers::whole::<u32, 1, 100_000>)]
    replicas: Option<u32>,
    /// Print the plan as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: PlanArgs) -> Result<(String, ExitCode), RunnerError> {
    let loaded = load_policy_with_sets(&args.policy, &args.overrides.sets, &args.import.flags())?;
    print_notes(&loaded.notes);
    let replicas = match (args.replicas, &loaded.replicas) {
        (Some(n), _) => n,
        (None, Some(r)) => r.count,
        (None, None) => {
            return Err(RunnerError::Usage(format!(
                "--replicas: required; policy {} names no replica count (a Deployment's spec.replicas would be the default)",
                loaded.policy.name
            )));
        }
    };
    let plan = policies::plan::plan(&loaded.policy, replicas);
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&plan).expect("a plan serializes");
        s.push('\n');
        s
    } else {
        plan.text()
    };
    Ok((text, ExitCode::SUCCESS))
}
