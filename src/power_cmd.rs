//! `rollcage power`: flags, the answer printed on the terminal, and glue to
//! `runner::power` (docs/power.md).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use runner::RunnerError;
use runner::limits::{MAX_BOOTSTRAP, MAX_POWER_POINTS, MAX_SEEDS, MIN_BOOTSTRAP, MIN_POWER_POINTS};
use runner::output::OutputDir;
use runner::power::plan::{PowerRequest, plan};
use runner::power::{POWER_CSV, POWER_JSON, POWER_RUNS_CSV, power};

use crate::args::{Import, MasterSeed, Overrides, Workers};
use crate::numbers::whole;
use crate::report_cmd::write_report;
use crate::sweep_cmd::Bar;
use crate::{PROGRAM, print};

#[derive(clap::Args)]
pub struct PowerArgs {
    /// A built-in scenario name or a scenario file: the world the regression is
    /// released into. Its only release fault should be the swept key's.
    #[arg(long)]
    scenario: String,
    /// A built-in policy name, a policy file or a manifest (docs/import.md).
    #[arg(long)]
    policy: String,
    #[command(flatten)]
    import: Import,
    /// The regression to size: KEY=FROM..TO, KEY one of candidate.error_probability,
    /// candidate.latency_multiplier, candidate.crash_on_start_probability,
    /// candidate.memory.leak_mb_per_second, candidate.memory.leak_kb_per_request.
    /// FROM must exceed the baseline's value (the no-regression point, run as well).
    #[arg(long, value_name = "KEY=FROM..TO")]
    effect: String,
    /// Values from FROM to TO, evenly spaced (linear, both ends included), 2 to 100;
    /// the no-regression point comes on top.
    #[arg(long, default_value_t = 8, value_parser = whole::<usize, MIN_POWER_POINTS, MAX_POWER_POINTS>)]
    points: usize,
    /// Replicates per point (replicate k has the same seed at every point).
    #[arg(long, default_value_t = 200, value_parser = whole::<u64, 1, MAX_SEEDS>)]
    seeds: u64,
    #[command(flatten)]
    master: MasterSeed,
    #[command(flatten)]
    workers: Workers,
    #[command(flatten)]
    overrides: Overrides,
    /// Bootstrap resamples for the interval of each median time to detect.
    #[arg(long, default_value_t = 1000, value_parser = whole::<usize, MIN_BOOTSTRAP, MAX_BOOTSTRAP>)]
    bootstrap: usize,
    /// Write power-runs.csv, power.csv, power.json and the report here (locked while
    /// written).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Allow writing into a non-empty --out directory (its power files are replaced).
    #[arg(long)]
    force: bool,
    /// Print power.json on stdout instead of the answer.
    #[arg(long)]
    json: bool,
}

pub fn cmd_power(args: PowerArgs) -> Result<ExitCode, RunnerError> {
    let threads = args.workers.count();
    let request = PowerRequest {
        scenario: args.scenario,
        policy: args.policy,
        effect: args.effect,
        points: args.points,
        seeds: args.seeds,
        master_seed: args.master.seed,
        sets: args.overrides.sets,
        import: args.import.flags(),
        bootstrap_resamples: args.bootstrap,
    };
    let plan = plan(&request)?;
    // The directory is created and locked before the runs, so a refusal costs nothing.
    let dir = args
        .out
        .as_deref()
        .map(|p| OutputDir::create(p, args.force))
        .transpose()?;
    let started = Instant::now();
    let doc = power(&plan, dir.as_ref(), threads, PROGRAM, &Bar::new("power"))?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "rollcage power: {} runs in {secs:.1} s on {threads} thread{}",
        plan.total(),
        if threads == 1 { "" } else { "s" }
    );
    let report_line = match &dir {
        Some(d) => write_report(d)?.1,
        None => String::new(),
    };
    if args.json {
        print(&String::from_utf8_lossy(&doc.to_bytes()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for l in render::power::answer_lines(&doc) {
        text.push_str(&l);
        text.push('\n');
    }
    if let Some(d) = &dir {
        text.push_str(&format!(
            "  files  {}/{{{POWER_RUNS_CSV},{POWER_CSV},{POWER_JSON}}}\n",
            d.path().display()
        ));
        text.push_str(&report_line);
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
