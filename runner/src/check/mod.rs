//! `rollcage check`: runs a suite's sweep, judges its assertions, compares it with a
//! baseline on the same seeds, and writes JUnit XML, Markdown and a new baseline.

pub mod suite;

use std::path::{Path, PathBuf};

use reports::check::{CheckResult, classify, judge};
use reports::sweep::{Bootstrap, Constraints, Paired, paired, paired_rates};
use reports::vocab::Quantity;

use crate::RunnerError;
use crate::output::{OutputDir, refuse_existing_file, write_atomic, write_new_file};
use crate::sweep::plan::{SweepRequest, plan};
use crate::sweep::{Progress, RUNS_CSV, sweep_into};
use reports::artifacts::baseline::{BaselineFile, Group, group_records};
use suite::Suite;

/// What to check and where to write.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub suite: PathBuf,
    pub baseline: Option<PathBuf>,
    pub update_baseline: bool,
    pub junit: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    /// Keep the sweep's files here; without it they go to a temporary directory.
    pub out: Option<PathBuf>,
    /// Replace an existing `--junit` or `--markdown` file, and the sweep files in a
    /// non-empty `--out`.
    pub force: bool,
    pub threads: usize,
    /// Overrides applied after the suite's own (`--engine`).
    pub sets: Vec<String>,
}

/// A temporary directory removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch_dir() -> Scratch {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    Scratch(std::env::temp_dir().join(format!("rollcage-check-{}-{n}", std::process::id())))
}

fn read_runs(dir: &Path) -> Result<Vec<Group>, RunnerError> {
    let path = dir.join(RUNS_CSV);
    let shown = path.display().to_string();
    let mut reader =
        csv::Reader::from_path(&path).map_err(|e| RunnerError::Usage(format!("{shown}: {e}")))?;
    let header = reader
        .headers()
        .map_err(|e| RunnerError::Usage(format!("{shown}: {e}")))?
        .clone();
    let records = reader.records().map(|r| r.map_err(|e| e.to_string()));
    group_records(&header, records).map_err(|e| RunnerError::Usage(format!("{shown}: {e}")))
}

/// Runs the check. The result says whether it passed; I/O and input problems are
/// errors.
pub fn check(
    opts: &CheckOptions,
    program: &str,
    progress: &dyn Progress,
) -> Result<CheckResult, RunnerError> {
    let suite = Suite::load(&opts.suite)?;
    // Refused before the sweep, so a refusal costs nothing; checked again on writing.
    for (path, flag) in [(&opts.junit, "--junit"), (&opts.markdown, "--markdown")] {
        if let Some(p) = path {
            refuse_existing_file(p, opts.force, flag)?;
        }
    }
    if opts.update_baseline && opts.baseline.is_none() {
        return Err(RunnerError::Usage(
            "--update-baseline needs --baseline FILE: where to write it".into(),
        ));
    }
    let old = match &opts.baseline {
        Some(p) if p.exists() => {
            let bytes = std::fs::read(p).map_err(|e| RunnerError::io(p, e))?;
            Some(BaselineFile::from_bytes(&bytes).map_err(|e| {
                RunnerError::Usage(format!(
                    "{}: not a rollcage baseline file: {e}",
                    p.display()
                ))
            })?)
        }
        Some(p) if !opts.update_baseline => {
            return Err(RunnerError::Usage(format!(
                "{}: no such baseline; write one with --update-baseline",
                p.display()
            )));
        }
        _ => None,
    };
    if let (Some(b), Some(p)) = (&old, &opts.baseline)
        && b.master_seed != suite.master_seed
        && !opts.update_baseline
    {
        return Err(RunnerError::Usage(format!(
            "{}: made with master seed {}, the suite uses {}: its runs cannot be paired; rewrite it with --update-baseline",
            p.display(),
            b.master_seed,
            suite.master_seed
        )));
    }
    let request = SweepRequest {
        scenarios: suite.scenarios.clone(),
        policies: suite.policies.clone(),
        grid: Vec::new(),
        sets: suite.sets.iter().chain(&opts.sets).cloned().collect(),
        seeds: suite.seeds,
        master_seed: suite.master_seed,
        baseline: None,
        constraints: Constraints::default(),
        bootstrap_resamples: suite.bootstrap,
        shard: None,
        import: suite.import.clone(),
        // A suite judges its assertions on the base figures only: no twins.
        counterfactual: false,
    };
    let plan = plan(&request, program)?;
    let scratch;
    let out = match &opts.out {
        Some(d) => OutputDir::create(d, opts.force)?,
        None => {
            scratch = scratch_dir();
            OutputDir::create(&scratch.0, true)?
        }
    };
    let swept = sweep_into(&plan, out, opts.threads, progress).map_err(|e| match e {
        RunnerError::RunPanicked(mut p) if opts.out.is_none() => {
            p.partial = None;
            RunnerError::RunPanicked(p)
        }
        other => other,
    })?;
    let groups = read_runs(swept.dir.path())?;
    drop(swept);
    let boot = Bootstrap {
        master_seed: suite.master_seed,
        resamples: suite.bootstrap,
    };
    let summaries: Vec<_> = groups
        .iter()
        .map(|g| reports::sweep::summarize(&g.scenario, &g.policy, &g.rows, boot))
        .collect();
    let mut result = CheckResult {
        suite: suite.name.clone(),
        ..CheckResult::default()
    };
    for a in &suite.assertions {
        let scenarios: Vec<&String> = match &a.scenario {
            Some(s) => vec![s],
            None => suite.scenario_names.iter().collect(),
        };
        for s in scenarios {
            for g in summaries.iter().filter(|g| &g.scenario == s) {
                result.verdicts.push(judge(a, g, suite.judge));
            }
        }
    }
    if let (Some(b), Some(p)) = (&old, &opts.baseline)
        && b.master_seed == suite.master_seed
    {
        let before = b
            .groups()
            .map_err(|e| RunnerError::Usage(format!("{}: {e}", p.display())))?;
        for g in &groups {
            let base = before
                .iter()
                .find(|x| x.scenario == g.scenario && x.policy == g.policy)
                .map_or(&[][..], |x| x.rows.as_slice());
            let pairs: Vec<Paired> = if base.is_empty() {
                // A group the baseline does not hold: every metric has no pairs.
                Quantity::all()
                    .map(|metric| Paired {
                        scenario: g.scenario.clone(),
                        policy: g.policy.clone(),
                        baseline: g.policy.clone(),
                        metric,
                        pairs: 0,
                        difference: None,
                    })
                    .collect()
            } else {
                let (s, p) = (&g.scenario, &g.policy);
                let mut v = paired_rates(s, p, p, base, &g.rows, boot);
                v.extend(paired(s, p, p, base, &g.rows, boot));
                v
            };
            result.changes.extend(pairs.iter().map(classify));
        }
    }
    if let Some(p) = &opts.junit {
        write_new_file(
            p,
            reports::check::junit(&result).as_bytes(),
            opts.force,
            "--junit",
        )?;
    }
    if let Some(p) = &opts.markdown {
        write_new_file(
            p,
            render::check::markdown(&result).as_bytes(),
            opts.force,
            "--markdown",
        )?;
    }
    if opts.update_baseline
        && let Some(p) = &opts.baseline
    {
        let fresh = BaselineFile::from_groups(
            program,
            &suite.name,
            suite.master_seed,
            suite.seeds,
            &groups,
        );
        write_atomic(p, &fresh.to_bytes())?;
    }
    Ok(result)
}
