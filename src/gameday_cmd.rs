//! `rollcage gameday`: a runbook, with expected figures and Chaos Mesh experiments.

use std::path::PathBuf;
use std::process::ExitCode;

use policies::k8s_names::{DnsLabel, Port, ServiceName};
use runner::RunnerError;
use runner::gameday::chaos::ChaosOptions;
use runner::gameday::{GamedayOptions, gameday};

use crate::args::{Import, MasterSeed, Overrides, Workers};
use crate::numbers::whole;
use crate::sweep_cmd::Bar;
use crate::{PROGRAM, print};
use runner::limits::MAX_SEEDS;

#[derive(clap::Args)]
pub struct GamedayArgs {
    /// A built-in scenario name or a scenario file: what the game day injects.
    #[arg(long)]
    scenario: String,
    /// A built-in policy name, a policy file or a manifest: how the release is rolled
    /// out.
    #[arg(long)]
    policy: String,
    #[command(flatten)]
    import: Import,
    /// Simulations behind the expected figures (1 to 1000000000).
    #[arg(long, default_value_t = 50, value_parser = whole::<u64, 1, MAX_SEEDS>)]
    seeds: u64,
    #[command(flatten)]
    master: MasterSeed,
    #[command(flatten)]
    overrides: Overrides,
    /// Write gameday.md, chaos/*.yaml and the simulations here (locked while
    /// written).
    #[arg(long)]
    out: PathBuf,
    /// Allow writing into a non-empty --out directory.
    #[arg(long)]
    force: bool,
    /// The service's name (app label, Prometheus `service` label; a DNS-1035 label of
    /// at most 55 characters, as for `export --service`).
    #[arg(long, default_value = "checkout")]
    service: ServiceName,
    /// The Kubernetes namespace of the experiments (a DNS-1123 label).
    #[arg(long, default_value = "default")]
    namespace: DnsLabel,
    /// The service's HTTP port (for HTTPChaos), 1 to 65535.
    #[arg(long, default_value_t = 8080, value_parser = whole::<u16, 1, 65535>)]
    port: u16,
    #[command(flatten)]
    workers: Workers,
}

pub fn cmd_gameday(args: GamedayArgs) -> Result<ExitCode, RunnerError> {
    let threads = args.workers.count();
    let opts = GamedayOptions {
        scenario: args.scenario,
        policy: args.policy,
        sets: args.overrides.sets,
        seeds: args.seeds,
        master_seed: args.master.seed,
        out: args.out,
        force: args.force,
        threads,
        import: args.import.flags(),
        chaos: ChaosOptions {
            service: args.service,
            namespace: args.namespace,
            port: Port::new(args.port.into())
                .map_err(|e| RunnerError::Usage(format!("--port: {e}")))?,
        },
    };
    let r = gameday(&opts, PROGRAM, &Bar::new("gameday"))?;
    print(&format!(
        "rollcage gameday: runbook {}; {} Chaos Mesh experiment{}, {} manual step{}\n",
        r.runbook.display(),
        r.manifests.len(),
        if r.manifests.len() == 1 { "" } else { "s" },
        r.manual_steps,
        if r.manual_steps == 1 { "" } else { "s" },
    ))?;
    for m in &r.manifests {
        print(&format!("  {}\n", m.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
