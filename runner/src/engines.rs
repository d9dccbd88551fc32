//! Comparing the two engines: the same scenarios, policies and seeds run by the
//! per-request engine and by the fluid one, paired seed by seed, and how far the
//! figures a user reads agree (docs/engines.md shows the table; `rollcage engines
//! compare` prints it).

use std::fmt::Write as _;

use rayon::prelude::*;

use policies::Policy;
use scenarios::{EngineChoice, Scenario};
use sim_core::rng::RunSeed;

use crate::RunnerError;
use crate::execute::{draw_accepted, run_drawn};
use crate::inputs::{ImportFlags, load_policy_with_sets, load_scenario};

/// The thresholds a scenario under a policy must meet for the fluid engine to count as
/// agreeing with the per-request one (issue 17): the outcome the same in at least 95%
/// of paired seeds, the detection time's median within one scrape interval, and the
/// mean budget consumed within 5%.
pub const MIN_AGREEMENT: f64 = 0.95;
pub const MAX_BUDGET_GAP: f64 = 0.05;

/// Budgets this small (in percent of the error budget) agree whatever their ratio: a
/// good release burns a few background errors, and 5% of almost nothing is noise.
pub const BUDGET_FLOOR_PCT: f64 = 0.05;

/// What to compare.
#[derive(Clone, Debug)]
pub struct CompareRequest {
    pub scenarios: Vec<String>,
    pub policies: Vec<String>,
    pub seeds: u64,
    pub master_seed: u64,
    pub threads: usize,
}

/// One engine's figures over the seeds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// Median time to detection over the seeds that detected, in seconds.
    pub ttd_p50_s: Option<f64>,
    /// Seeds with a detection.
    pub detected: u64,
    pub budget_mean_pct: f64,
}

/// One scenario under one policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub scenario: String,
    pub policy: String,
    /// Why the fluid engine cannot run the scenario, if it cannot.
    pub unsupported: Option<String>,
    pub seeds: u64,
    /// Seeds whose outcome both engines agree on.
    pub agreeing: u64,
    pub per_request: Figures,
    pub fluid: Figures,
    pub scrape_interval_s: f64,
}

impl Row {
    pub fn agreement(&self) -> f64 {
        if self.seeds == 0 {
            0.0
        } else {
            self.agreeing as f64 / self.seeds as f64
        }
    }

    /// The detection medians differ by at most a scrape interval (or neither engine
    /// detects anything).
    pub fn ttd_agrees(&self) -> bool {
        match (self.per_request.ttd_p50_s, self.fluid.ttd_p50_s) {
            (None, None) => true,
            (Some(a), Some(b)) => (a - b).abs() <= self.scrape_interval_s,
            _ => false,
        }
    }

    pub fn budget_agrees(&self) -> bool {
        let (a, b) = (self.per_request.budget_mean_pct, self.fluid.budget_mean_pct);
        (a - b).abs() <= MAX_BUDGET_GAP * a.abs() || a.max(b) < BUDGET_FLOOR_PCT
    }

    /// Whether the fluid engine reproduces this row (an unsupported one does not).
    pub fn passes(&self) -> bool {
        self.unsupported.is_none()
            && self.agreement() >= MIN_AGREEMENT
            && self.ttd_agrees()
            && self.budget_agrees()
    }
}

/// What one run gave: outcome, time to detection, budget.
#[derive(Clone, Copy)]
struct RunFigures {
    outcome: reports::Outcome,
    ttd_s: Option<f64>,
    budget_pct: f64,
}

/// The nearest-rank median (`None` when empty).
fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    Some(xs[(xs.len() - 1) / 2])
}

fn figures(runs: &[RunFigures]) -> Figures {
    let ttd: Vec<f64> = runs.iter().filter_map(|r| r.ttd_s).collect();
    Figures {
        detected: ttd.len() as u64,
        ttd_p50_s: median(ttd),
        budget_mean_pct: runs.iter().map(|r| r.budget_pct).sum::<f64>() / runs.len().max(1) as f64,
    }
}

/// `scenario` as `engine` runs it.
fn with_engine(scenario: &Scenario, engine: EngineChoice) -> Scenario {
    let mut s = scenario.clone();
    s.run.engine = engine;
    s
}

/// Compares the engines on every scenario under every policy, `seeds` paired seeds
/// each (replicate k of both engines has the same seed). Rows are in the order asked.
pub fn compare(req: &CompareRequest) -> Result<Vec<Row>, RunnerError> {
    let mut scenarios = Vec::new();
    for name in &req.scenarios {
        scenarios.push(load_scenario(name, &[])?.0);
    }
    let mut policies: Vec<Policy> = Vec::new();
    for name in &req.policies {
        policies.push(load_policy_with_sets(name, &[], &ImportFlags::default())?.policy);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(req.threads)
        .build()
        .map_err(|e| RunnerError::Usage(format!("cannot start {} threads: {e}", req.threads)))?;
    let mut rows = Vec::new();
    for scenario in &scenarios {
        let world = with_engine(scenario, EngineChoice::Fluid).world(RunSeed::new(0, 0, 0));
        let unsupported = sim_core::world::fluid_unsupported(&world);
        for policy in &policies {
            let mut row = Row {
                scenario: scenario.name.clone(),
                policy: policy.name.clone(),
                unsupported: None,
                seeds: 0,
                agreeing: 0,
                per_request: Figures::default(),
                fluid: Figures::default(),
                scrape_interval_s: scenario.observability.scrape_interval_seconds,
            };
            if !unsupported.is_empty() {
                row.unsupported = Some(unsupported.join("; "));
                rows.push(row);
                continue;
            }
            let runs: Vec<[RunFigures; 2]> = pool.install(|| {
                (0..req.seeds)
                    .into_par_iter()
                    .map(|k| {
                        // The engine is set on the drawn scenario: a draw reads the
                        // scenario's document again, which knows nothing of it.
                        let drawn = draw_accepted(scenario, req.master_seed, k);
                        [EngineChoice::PerRequest, EngineChoice::Fluid].map(|e| {
                            let s = with_engine(&drawn.scenario, e);
                            let (_, m) = run_drawn(&s, policy, req.master_seed, k);
                            RunFigures {
                                outcome: m.outcome,
                                ttd_s: m.ttd_s,
                                budget_pct: m.budget_consumed_pct,
                            }
                        })
                    })
                    .collect()
            });
            row.seeds = req.seeds;
            row.agreeing = runs.iter().filter(|[a, b]| a.outcome == b.outcome).count() as u64;
            let side = |i: usize| figures(&runs.iter().map(|r| r[i]).collect::<Vec<_>>());
            row.per_request = side(0);
            row.fluid = side(1);
            rows.push(row);
        }
    }
    Ok(rows)
}

fn seconds(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |s| format!("{s:.1}"))
}

/// The agreement table, in Markdown.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| scenario | policy | seeds | outcomes agree | ttd p50 s (per-request / fluid) | budget mean % (per-request / fluid) | verdict |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        if let Some(why) = &r.unsupported {
            let _ = writeln!(
                out,
                "| {} | {} | - | - | - | - | unsupported: {why} |",
                r.scenario, r.policy
            );
            continue;
        }
        let mut fails = Vec::new();
        if r.agreement() < MIN_AGREEMENT {
            fails.push("outcomes");
        }
        if !r.ttd_agrees() {
            fails.push("ttd");
        }
        if !r.budget_agrees() {
            fails.push("budget");
        }
        let verdict = if fails.is_empty() {
            "agrees".to_string()
        } else {
            format!("differs: {}", fails.join(", "))
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1}% | {} / {} | {:.4} / {:.4} | {verdict} |",
            r.scenario,
            r.policy,
            r.seeds,
            100.0 * r.agreement(),
            seconds(r.per_request.ttd_p50_s),
            seconds(r.fluid.ttd_p50_s),
            r.per_request.budget_mean_pct,
            r.fluid.budget_mean_pct,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(agreeing: u64, ttd: [Option<f64>; 2], budget: [f64; 2]) -> Row {
        Row {
            scenario: "s".into(),
            policy: "p".into(),
            unsupported: None,
            seeds: 100,
            agreeing,
            per_request: Figures {
                ttd_p50_s: ttd[0],
                detected: 0,
                budget_mean_pct: budget[0],
            },
            fluid: Figures {
                ttd_p50_s: ttd[1],
                detected: 0,
                budget_mean_pct: budget[1],
            },
            scrape_interval_s: 15.0,
        }
    }

    #[test]
    fn thresholds_hold_at_their_bounds_and_fail_past_them() {
        assert!(row(95, [None, None], [1.0, 1.0]).passes());
        assert!(!row(94, [None, None], [1.0, 1.0]).passes());
        assert!(row(100, [Some(100.0), Some(115.0)], [1.0, 1.0]).passes());
        assert!(!row(100, [Some(100.0), Some(115.5)], [1.0, 1.0]).passes());
        assert!(!row(100, [Some(100.0), None], [1.0, 1.0]).passes());
        assert!(row(100, [None, None], [10.0, 10.5]).passes());
        assert!(!row(100, [None, None], [10.0, 10.6]).passes());
        // Below the floor both budgets agree whatever their ratio.
        assert!(row(100, [None, None], [0.01, 0.04]).passes());
        assert!(!row(100, [None, None], [0.01, 0.06]).passes());
    }

    #[test]
    fn the_median_is_nearest_rank() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.0));
    }
}
