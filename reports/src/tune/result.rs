//! What a race found, candidate by candidate: the chosen policy, those it could not be
//! separated from, and why each other one was left behind, with estimates and 95%
//! intervals computed from each candidate's own runs. What `tune.csv` and `tune.json`
//! hold.

use serde::{Deserialize, Serialize};

use super::limits::checks;
use super::objective::{self, Sample, budget_pct, deploy_s};
use super::race::{Race, Status, Stop};
use super::spec::Class;
use crate::format::human_secs;
use crate::metrics::Outcome;
use crate::stats::{Estimate, Rate, quantile_sorted, wilson};

/// A candidate's standing at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The chosen policy: the survivor with the best objective among those whose
    /// estimates meet every limit.
    Best,
    /// A survivor meeting every limit by its estimates that the race could not tell
    /// apart from the best (exhaustive: one whose paired difference from the best has
    /// a 95% interval reaching zero).
    NotSeparated,
    /// A survivor whose estimates break a limit, without the evidence to eliminate it.
    BreaksLimits,
    /// Eliminated: shown worse than the leader of its round (exhaustive: its paired
    /// difference from the best is above zero at 95%).
    Worse,
    /// Eliminated: shown to break a limit.
    Infeasible,
    /// Not a valid policy; never run.
    Invalid,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Best => "best",
            Verdict::NotSeparated => "not_separated",
            Verdict::BreaksLimits => "breaks_limits",
            Verdict::Worse => "worse",
            Verdict::Infeasible => "infeasible",
            Verdict::Invalid => "invalid",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        [
            Verdict::Best,
            Verdict::NotSeparated,
            Verdict::BreaksLimits,
            Verdict::Worse,
            Verdict::Infeasible,
            Verdict::Invalid,
        ]
        .into_iter()
        .find(|v| v.name() == s)
    }

    /// Still in the race at its end.
    pub fn survived(self) -> bool {
        matches!(
            self,
            Verdict::Best | Verdict::NotSeparated | Verdict::BreaksLimits
        )
    }
}

/// One candidate at the end of the race.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateResult {
    /// Its place in the space's order (first parameter slowest).
    pub index: usize,
    pub name: String,
    /// The parameters' values, in the space's order.
    pub values: Vec<String>,
    pub verdict: Verdict,
    /// The round it was eliminated in.
    pub round: Option<usize>,
    /// Why it was eliminated, or which limits its estimates break; empty otherwise.
    pub reason: String,
    /// How often it came back after the leader it lost to was shown infeasible.
    pub revived: u32,
    /// Seeds per scenario it ran.
    pub seeds: u64,
    pub runs: u64,
    /// The objective (seconds) with its 95% bootstrap interval, stratified by scenario.
    pub objective: Option<Estimate>,
    /// Its objective minus the best's on the seeds both ran, paired, with a 95%
    /// bootstrap interval.
    pub versus_best: Option<Estimate>,
    /// The largest p50 deploy time over the good-release scenarios (unfinished runs
    /// count as the longest deploy they could have shown).
    pub deploy_p50_s: Option<f64>,
    /// The largest p95 budget consumed over the fault scenarios.
    pub budget_p95_pct: Option<f64>,
    /// False rollbacks over the runs without a release fault, with a Wilson 95%
    /// interval.
    pub false_rollback: Option<Rate>,
    /// Whether every limit's estimate holds.
    pub meets_limits: bool,
    /// The limits its estimates break (`max_budget_p95 on memory-leak`).
    pub broken: Vec<String>,
    /// A survivor no other survivor beats on both the objective and the budget p95.
    pub frontier: bool,
}

/// How the race ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Ending {
    pub stop: Stop,
    /// The chosen candidate; `None` when no survivor's estimates meet every limit.
    pub best: Option<usize>,
    /// One survivor, meeting every limit: best with the requested confidence.
    pub confident: bool,
    pub candidates: Vec<CandidateResult>,
}

impl Ending {
    pub fn best(&self) -> Option<&CandidateResult> {
        self.best.map(|b| &self.candidates[b])
    }

    /// The survivors other than the best that meet every limit.
    pub fn not_separated(&self) -> impl Iterator<Item = &CandidateResult> {
        self.candidates
            .iter()
            .filter(|c| c.verdict == Verdict::NotSeparated)
    }
}

/// A p-value as the reasons write it.
fn p_text(p: f64) -> String {
    if p == 0.0 {
        "p < 1e-300".into()
    } else if p < 1e-3 {
        format!("p = {p:.1e}")
    } else {
        format!("p = {p:.3}")
    }
}

/// The largest type-7 `q` quantile of `figure` over the scenarios of `class`.
fn worst(
    race: &Race,
    c: usize,
    n: usize,
    class: Class,
    q: f64,
    figure: &dyn Fn(&crate::artifacts::runs_csv::RunRow, usize) -> f64,
) -> Option<f64> {
    let runs = race.runs_of(c);
    race.spec
        .scenarios
        .iter()
        .enumerate()
        .filter(|(_, s)| s.class == class)
        .map(|(i, _)| {
            let mut v: Vec<f64> = runs[i][..n].iter().map(|r| figure(r, i)).collect();
            v.sort_by(f64::total_cmp);
            quantile_sorted(&v, q)
        })
        .reduce(f64::max)
}

/// The ending of a stopped race: the chosen candidate and every candidate's result.
pub fn ending(race: &Race) -> Ending {
    let spec = &race.spec;
    let stop = race.stop().expect("the race has stopped");
    let count = race.entrants.len();
    // Estimates on each candidate's own seeds.
    let mut samples: Vec<Option<Sample>> = Vec::with_capacity(count);
    let mut results: Vec<CandidateResult> = Vec::with_capacity(count);
    for (c, e) in race.entrants.iter().enumerate() {
        let n = race.seeds(c) as usize;
        let mut r = CandidateResult {
            index: c,
            name: e.name.clone(),
            values: e.values.clone(),
            verdict: Verdict::Invalid,
            round: None,
            reason: String::new(),
            revived: e.revived,
            seeds: n as u64,
            runs: race.runs_of(c).iter().map(|x| x.len() as u64).sum(),
            objective: None,
            versus_best: None,
            deploy_p50_s: None,
            budget_p95_pct: None,
            false_rollback: None,
            meets_limits: false,
            broken: Vec::new(),
            frontier: false,
        };
        if n == 0 {
            samples.push(None);
            results.push(r);
            continue;
        }
        let sample = Sample::new(spec, race.runs_of(c), n);
        let mut rng = objective::rng(spec, &["tune", "estimate", &e.name]);
        r.objective = Some(objective::estimate(&sample, spec.bootstrap, &mut rng));
        let cs = checks(spec, race.runs_of(c), n);
        r.meets_limits = cs.iter().all(|x| x.holds);
        r.broken = cs.iter().filter(|x| !x.holds).map(|x| x.what()).collect();
        r.deploy_p50_s = worst(race, c, n, Class::Good, 0.5, &|row, s| {
            deploy_s(row, &spec.scenarios[s])
        });
        r.budget_p95_pct = worst(race, c, n, Class::Fault, 0.95, &|row, _| budget_pct(row));
        let (mut k, mut m) = (0, 0);
        for rows in race.runs_of(c) {
            for row in rows[..n].iter().filter(|x| !x.fault_active) {
                m += 1;
                k += u64::from(row.outcome == Outcome::FalseRollback);
            }
        }
        r.false_rollback = wilson(k, m);
        samples.push(Some(sample));
        results.push(r);
    }
    let racing: Vec<usize> = (0..count)
        .filter(|&c| race.entrants[c].status == Status::Racing)
        .collect();
    let best = racing
        .iter()
        .copied()
        .filter(|&c| results[c].meets_limits)
        .min_by(|&a, &b| {
            let v = |c: usize| results[c].objective.map_or(f64::INFINITY, |e| e.value);
            v(a).total_cmp(&v(b)).then(a.cmp(&b))
        });
    if let Some(b) = best {
        let bname = race.entrants[b].name.clone();
        for c in (0..count).filter(|&c| c != b && race.seeds(c) > 0) {
            let m = race.seeds(c).min(race.seeds(b)) as usize;
            let (sc, sb) = (
                Sample::new(spec, race.runs_of(c), m),
                Sample::new(spec, race.runs_of(b), m),
            );
            let mut rng = objective::rng(spec, &["tune", "versus best", &results[c].name, &bname]);
            results[c].versus_best =
                Some(objective::paired(&sc, &sb, spec.bootstrap, &mut rng).interval);
        }
    }
    for (c, e) in race.entrants.iter().enumerate() {
        let r = &mut results[c];
        match &e.status {
            Status::Invalid { reason } => {
                r.verdict = Verdict::Invalid;
                r.reason = reason.clone();
            }
            Status::Infeasible { round, check } => {
                r.verdict = Verdict::Infeasible;
                r.round = Some(*round);
                r.reason = format!("{}: {} ({})", check.what(), check.evidence, p_text(check.p));
            }
            Status::Worse {
                round,
                than,
                difference,
                p,
            } => {
                r.verdict = Verdict::Worse;
                r.round = Some(*round);
                r.reason = format!(
                    "worse than {} by {} ({})",
                    race.entrants[*than].name,
                    human_secs(*difference),
                    p_text(*p)
                );
            }
            Status::Racing if Some(c) == best => r.verdict = Verdict::Best,
            Status::Racing if !r.meets_limits => {
                r.verdict = Verdict::BreaksLimits;
                r.reason = format!("its estimates break {}", r.broken.join("; "));
            }
            Status::Racing => match r.versus_best {
                Some(d) if stop == Stop::Exhaustive && d.lo > 0.0 => {
                    r.verdict = Verdict::Worse;
                    r.reason = format!(
                        "its paired difference from the best is {} (95% interval {} to {})",
                        human_secs(d.value),
                        human_secs(d.lo),
                        human_secs(d.hi)
                    );
                }
                _ => r.verdict = Verdict::NotSeparated,
            },
        }
    }
    // The frontier of the survivors: objective against budget p95, both lower better.
    let point = |r: &CandidateResult| {
        (
            r.objective.map_or(f64::INFINITY, |e| e.value),
            r.budget_p95_pct.unwrap_or(0.0),
        )
    };
    let survivors: Vec<usize> = racing.clone();
    for &c in &survivors {
        let (a, b) = point(&results[c]);
        let beaten = survivors.iter().any(|&o| {
            let (x, y) = point(&results[o]);
            o != c && x <= a && y <= b && (x < a || y < b)
        });
        results[c].frontier = !beaten;
    }
    Ending {
        stop,
        best,
        confident: stop != Stop::Exhaustive && racing.len() == 1 && best.is_some(),
        candidates: results,
    }
}
