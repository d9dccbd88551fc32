//! `rollcage gameday`: a runbook for a game day. The scenario runs under the policy
//! for many seeds; their figures become the expected timeline and cost, the policy's
//! gates and the SLO pager become the abort conditions, and the scenario's faults
//! become Chaos Mesh experiments or manual steps.

pub mod chaos;
pub mod runbook;

use std::path::{Path, PathBuf};

use reports::Outcome;
use reports::artifacts::runs_csv::RunsCsv;
use reports::stats::quantile_sorted;
use reports::sweep::Constraints;
use reports::vocab::Metric;

use crate::RunnerError;
use crate::inputs::resolve;
use crate::output::OutputDir;
use crate::sweep::plan::{SweepRequest, plan};
use crate::sweep::{Progress, RUNS_CSV, sweep_into};
use chaos::{ChaosOptions, items};
use runbook::{Forecast, Spread, render};

#[derive(Clone, Debug)]
pub struct GamedayOptions {
    pub scenario: String,
    pub policy: String,
    pub sets: Vec<String>,
    pub seeds: u64,
    pub master_seed: u64,
    pub out: PathBuf,
    pub force: bool,
    pub threads: usize,
    pub chaos: ChaosOptions,
    /// `--analysis` and `--map-metric`, for a policy that is a manifest.
    pub import: crate::inputs::ImportFlags,
}

/// What was written.
#[derive(Clone, Debug)]
pub struct GamedayReport {
    pub runbook: PathBuf,
    pub manifests: Vec<PathBuf>,
    pub manual_steps: usize,
}

fn spread(mut v: Vec<f64>) -> Spread {
    v.sort_by(f64::total_cmp);
    Spread {
        n: v.len() as u64,
        median: (!v.is_empty()).then(|| quantile_sorted(&v, 0.5)),
        p90: (!v.is_empty()).then(|| quantile_sorted(&v, 0.9)),
    }
}

/// The expected figures, from the sweep's `runs.csv`.
fn forecast(dir: &Path, master_seed: u64) -> Result<Forecast, RunnerError> {
    let path = dir.join(RUNS_CSV);
    let bytes = std::fs::read(&path).map_err(|e| RunnerError::io(&path, e))?;
    let table = RunsCsv::from_bytes(&bytes)
        .map_err(|e| RunnerError::Usage(format!("{}: {e}", path.display())))?;
    let runs = table.rows.len() as u64;
    let mut outcomes = vec![0u64; Outcome::ALL.len()];
    let mut detectors: Vec<(String, u64)> = Vec::new();
    let (mut detect, mut mitigate, mut rec, mut budgets) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut impact_runs = 0;
    for r in &table.rows {
        if let Some(k) = Outcome::ALL.iter().position(|x| *x == r.outcome) {
            outcomes[k] += 1;
        }
        if let Some(d) = &r.detector {
            match detectors.iter_mut().find(|(n, _)| n == d) {
                Some((_, k)) => *k += 1,
                None => detectors.push((d.clone(), 1)),
            }
        }
        impact_runs += u64::from(r.value(Metric::TImpactStart).is_some());
        detect.extend(r.value(Metric::Ttd));
        mitigate.extend(r.value(Metric::ImpactDuration));
        rec.extend(r.value(Metric::TtRecover));
        budgets.extend(r.value(Metric::BudgetConsumed));
    }
    detectors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let n = budgets.len().max(1) as f64;
    let mean = budgets.iter().sum::<f64>() / n;
    let sd = (budgets.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    let p95 = spread_p(&budgets, 0.95);
    Ok(Forecast {
        runs,
        master_seed,
        outcomes: Outcome::ALL
            .iter()
            .zip(outcomes)
            .map(|(o, k)| (o.name().to_string(), k))
            .collect(),
        detectors,
        impact_runs,
        detect: spread(detect),
        mitigate: spread(mitigate),
        recover: spread(rec),
        budget_mean: mean,
        budget_sd: sd,
        budget_p95: p95,
    })
}

fn spread_p(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        0.0
    } else {
        quantile_sorted(&s, p)
    }
}

/// Runs the simulations and writes `gameday.md` and `chaos/*.yaml` into `out`.
pub fn gameday(
    opts: &GamedayOptions,
    program: &str,
    progress: &dyn Progress,
) -> Result<GamedayReport, RunnerError> {
    let resolved = resolve(&opts.scenario, &opts.policy, &opts.sets, &opts.import)?;
    let request = SweepRequest {
        scenarios: vec![opts.scenario.clone()],
        policies: vec![opts.policy.clone()],
        grid: Vec::new(),
        sets: opts.sets.clone(),
        seeds: opts.seeds,
        master_seed: opts.master_seed,
        baseline: None,
        constraints: Constraints::default(),
        bootstrap_resamples: 200,
        shard: None,
        import: opts.import.clone(),
        // A runbook reads the base figures only: no twins.
        counterfactual: false,
    };
    let plan = plan(&request, program)?;
    let out = OutputDir::create(&opts.out, opts.force)?;
    let sweep_dir = out.path().join("simulations");
    // `out` is locked and was empty (or --force), so its simulations are ours to replace.
    let swept = sweep_into(
        &plan,
        OutputDir::create(&sweep_dir, true)?,
        opts.threads,
        progress,
    )?;
    let f = forecast(swept.dir.path(), opts.master_seed)?;
    drop(swept);
    let chaos = items(&resolved.scenario, &opts.chaos);
    let mut manifests = Vec::new();
    if chaos.iter().any(|i| i.manifest.is_some()) {
        let dir = OutputDir::create(&out.path().join("chaos"), true)?;
        for (file, text) in chaos.iter().filter_map(|i| i.manifest.as_ref()) {
            manifests.push(dir.write(file, text.as_bytes())?);
        }
    }
    let text = render(
        &resolved.scenario,
        &resolved.policy,
        &chaos,
        &f,
        opts.chaos.service.as_str(),
    );
    let runbook = out.write("gameday.md", text.as_bytes())?;
    Ok(GamedayReport {
        runbook,
        manifests,
        manual_steps: chaos.iter().filter(|i| i.manual.is_some()).count(),
    })
}
