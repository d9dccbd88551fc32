//! `rollcage power`: sweeps the size of a regression and measures, for the policy and
//! each of its gates, the probability of detecting it before promotion
//! (docs/power.md).
//!
//! Every (point, replicate) is one run, in point-major order; replicate k has the same
//! seed at every point (the scenario's name is the same), so the points differ only by
//! the effect: common random numbers, as a sweep's policies have. Runs go through the
//! sweep's pool (`sweep::execute::execute_with`): rows reach `power-runs.csv.partial` in
//! run order whatever the thread count, a panicking run stops the analysis naming
//! itself. The partial file becomes `power-runs.csv` once complete; `power.csv` and
//! `power.json` are computed from its bytes, written atomically, `power.json` last.
//! A killed analysis leaves no `power.json` (and no report); run it again with
//! `--force`. Without an output directory the rows stay in memory.

pub mod plan;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use render::report::{REPORT_HTML, REPORT_MD};
use reports::artifacts::power_csv;
use reports::artifacts::power_json::{EffectSweep, PowerJson};
use reports::artifacts::power_runs_csv::{self, PowerRunRow};
use reports::artifacts::runs_csv::line;
use reports::power::{Identity, RunDetections, detect, summarise};

use crate::RunnerError;
use crate::output::OutputDir;
use crate::sweep::execute::{Stop, execute_with};
use crate::sweep::{Progress, RunPanic};
use plan::PowerPlan;

pub const POWER_RUNS_CSV: &str = power_runs_csv::FILE_NAME;
pub const POWER_RUNS_PARTIAL: &str = power_runs_csv::PARTIAL_FILE_NAME;
pub const POWER_CSV: &str = power_csv::FILE_NAME;
pub const POWER_JSON: &str = reports::artifacts::power_json::FILE_NAME;

/// Every file a power analysis writes; `--force` removes these (and only these) first.
pub const OUTPUTS: [&str; 6] = [
    POWER_RUNS_CSV,
    POWER_RUNS_PARTIAL,
    POWER_CSV,
    POWER_JSON,
    REPORT_HTML,
    REPORT_MD,
];

/// The row of run `position`.
fn run_row(plan: &PowerPlan, position: u64) -> Vec<u8> {
    let seeds = plan.request.seeds;
    let (point, replicate) = ((position / seeds) as usize, position % seeds);
    let scenario = &plan.scenarios[point];
    let world = scenario.world(crate::execute::run_seed(
        plan.request.master_seed,
        scenario,
        replicate,
    ));
    let mut controller = plan.policy.controller();
    let record = sim_core::run(&world, controller.as_mut());
    PowerRunRow {
        point,
        value: plan.values[point],
        replicate,
        detections: detect::detections(&record, &plan.gates),
    }
    .line()
}

fn panicked(plan: &PowerPlan, position: u64, message: String, partial: &Path) -> RunnerError {
    let seeds = plan.request.seeds;
    let (point, replicate) = ((position / seeds) as usize, position % seeds);
    let req = &plan.request;
    let mut sets = req.sets.clone();
    sets.push(plan.set_for(plan.values[point]));
    RunnerError::RunPanicked(Box::new(RunPanic {
        run_id: position,
        scenario: plan.scenarios[point].name.clone(),
        policy: plan.policy.name.clone(),
        master_seed: req.master_seed,
        replicate,
        message,
        reproduce: crate::execute::reproduce_command(
            &req.scenario,
            &req.policy,
            req.master_seed,
            replicate,
            &sets,
            &req.import.words(),
        ),
        partial: Some(partial.to_path_buf()),
        rows_kept: position,
        resume_hint: Some("once the bug is fixed, run the analysis again with --force".into()),
    }))
}

/// Runs the analysis planned in `plan` on `threads` threads and returns its summary.
/// With `out` (created and locked by the caller, so that a refusal costs nothing), the
/// rows stream to `power-runs.csv.partial`, renamed `power-runs.csv` once complete,
/// and `power.csv` and `power.json` are written; without it the rows are kept in
/// memory (bounded by `limits::MAX_POWER_RUNS`) and nothing is written.
pub fn power(
    plan: &PowerPlan,
    out: Option<&OutputDir>,
    threads: usize,
    program: &str,
    progress: &dyn Progress,
) -> Result<PowerJson, RunnerError> {
    for n in &plan.notes {
        progress.note(n);
    }
    let total = plan.total();
    let header = line(power_runs_csv::header(&plan.gates));
    let run = |w: &mut (dyn Write + Send), partial: &Path| -> Result<(), RunnerError> {
        progress.start(total, 0);
        let ran = execute_with(threads, 0, total, w, &|n| progress.advance(n), &|p| {
            run_row(plan, p)
        });
        progress.finish();
        match ran {
            Ok(()) => Ok(()),
            Err(Stop::Io(e)) => Err(RunnerError::io(partial, e)),
            Err(Stop::Panicked { position, message }) => {
                Err(panicked(plan, position, message, partial))
            }
        }
    };
    let Some(dir) = out else {
        let mut bytes = header;
        run(&mut bytes, Path::new("(memory)")).map_err(|e| match e {
            RunnerError::RunPanicked(mut p) => {
                p.partial = None;
                p.resume_hint = None;
                RunnerError::RunPanicked(p)
            }
            other => other,
        })?;
        return summary(plan, &bytes, program)
            .map_err(|e| RunnerError::Usage(format!("the runs read back: {e}")));
    };
    let out = dir.path();
    for name in OUTPUTS {
        let p = out.join(name);
        if p.exists() {
            fs::remove_file(&p).map_err(|e| RunnerError::io(&p, e))?;
        }
    }
    let partial = out.join(POWER_RUNS_PARTIAL);
    {
        let file = File::create(&partial).map_err(|e| RunnerError::io(&partial, e))?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        w.write_all(&header)
            .map_err(|e| RunnerError::io(&partial, e))?;
        let ran = run(&mut w, &partial);
        // Whatever happened, the rows written so far reach the disk.
        let kept = w
            .into_inner()
            .map_err(|e| RunnerError::io(&partial, e.into_error()))
            .and_then(|f| f.sync_all().map_err(|e| RunnerError::io(&partial, e)));
        ran?;
        kept?;
    }
    let runs_path = out.join(POWER_RUNS_CSV);
    fs::rename(&partial, &runs_path).map_err(|e| RunnerError::io(&partial, e))?;
    let bytes = fs::read(&runs_path).map_err(|e| RunnerError::io(&runs_path, e))?;
    let doc = summary(plan, &bytes, program)
        .map_err(|e| RunnerError::Usage(format!("{}: {e}", runs_path.display())))?;
    dir.write(
        POWER_CSV,
        &power_csv::to_bytes(&power_csv::records(&doc.detectors)),
    )?;
    dir.write(POWER_JSON, &doc.to_bytes())?;
    Ok(doc)
}

/// The summary of the rows in `bytes` (`power-runs.csv` as written).
pub fn summary(
    plan: &PowerPlan,
    bytes: &[u8],
    program: &str,
) -> Result<PowerJson, reports::artifacts::ArtifactError> {
    let req = &plan.request;
    let rows = power_runs_csv::from_bytes(bytes, &plan.gates, plan.values.len(), req.seeds)?;
    let mut runs: Vec<Vec<RunDetections>> = vec![Vec::new(); plan.values.len()];
    for r in rows {
        runs[r.point].push(r.detections);
    }
    let id = Identity {
        master_seed: req.master_seed,
        scenario: &plan.scenarios[0].name,
        policy: &plan.policy.name,
        resamples: req.bootstrap_resamples,
    };
    let detectors = summarise(&runs, &plan.values, plan.baseline, &plan.gates, id);
    Ok(PowerJson {
        schema_version: reports::SCHEMA_VERSION,
        program: program.to_string(),
        scenario: plan.scenarios[0].name.clone(),
        scenario_source: plan.scenario_source.clone(),
        policy: plan.policy.name.clone(),
        policy_source: plan.policy_source.clone(),
        policy_kind: plan.policy.kind.name().to_string(),
        traffic_routed: plan::traffic_routed(&plan.policy),
        overrides: req.sets.clone(),
        effect: EffectSweep {
            key: plan.effect.key.key().to_string(),
            baseline: plan.baseline,
            from: plan.effect.from,
            to: plan.effect.to,
            points: req.points,
            spacing: "linear".into(),
        },
        master_seed: req.master_seed,
        seeds: req.seeds,
        bootstrap_resamples: req.bootstrap_resamples,
        values: plan.values.clone(),
        detectors,
    })
}
