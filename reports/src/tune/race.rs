//! The race: rounds of runs on common seeds, after each of which candidates shown
//! worse than the leader or shown to break a limit are eliminated, until one is left,
//! the survivors have the most seeds, or the run budget is spent (docs/tune.md).
//!
//! A pure state machine: the runner asks for the next round's runs (`plan`), hands
//! each run's row back in that order (`record`), and asks for the round's decisions
//! (`decide`). Rows are what `tune-runs.csv` holds, read back from its text, so a
//! resumed tune replays the same decisions from the same rows and goes on exactly as
//! an uninterrupted one would.
//!
//! After round r (every candidate still racing has its first n_r replicates of every
//! scenario), at the round's level α_r (`RaceSpec::alpha`: `1 − confidence` spread over
//! the schedule's steps, and halving in catch-up rounds after the last):
//! 1. each racing candidate's limits are checked (`limits::checks`), an estimate and
//!    an exact test each; the round's limit tests are corrected together by Holm's
//!    step-down at α_r / 2, and a candidate with a rejected test is infeasible;
//! 2. a candidate eliminated as worse than a leader that has now been shown
//!    infeasible, or whose estimates at the most seeds break a limit (it can never be
//!    chosen), comes back: it lost to a policy that is not allowed;
//! 3. the leader is the racing candidate with the lowest objective among those whose
//!    estimates meet every limit, each judged on the seeds it has (ties: the first in
//!    the space's order); with none, nothing is compared this round;
//! 4. every other racing candidate is compared with the leader on the seeds both have
//!    (`objective::paired`: a candidate just brought back is compared on the seeds it
//!    had, so most go again at no cost), giving the p-value of "it is not worse"; these
//!    are corrected together by Holm at α_r / 2, and a rejected one is worse.
//!
//! Summed over rounds, the chance that any true hypothesis is rejected (a feasible
//! candidate called infeasible, or one not worse than the leader called worse) is at
//! most 1 − confidence, to the accuracy of the normal approximation of the bootstrap.
//! A candidate brought back that the comparison cannot yet separate catches up on the
//! seeds it missed in the next round.
//!
//! The race goes on, doubling the seeds, while more than one candidate races, and
//! while the one left has fewer than the most seeds (so the chosen policy's limits
//! are judged on every seed the schedule allows); it stops early when the next round
//! would pass the run budget (a last round gets the seeds the budget still pays for).

use serde::{Deserialize, Serialize};

use super::limits::{LimitCheck, checks};
use super::objective::{self, Sample};
use super::spec::RaceSpec;
use crate::artifacts::runs_csv::RunRow;

/// Where a candidate stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Racing,
    /// Shown worse than `than` (a candidate index) in `round`.
    Worse {
        round: usize,
        than: usize,
        difference: f64,
        p: f64,
    },
    /// Shown to break a limit in `round`: the check with the strongest evidence.
    Infeasible {
        round: usize,
        check: LimitCheck,
    },
    /// Not a valid policy: the combination the reader refused, and why. Never run.
    Invalid {
        reason: String,
    },
}

/// One candidate of the space.
#[derive(Clone, Debug, PartialEq)]
pub struct Entrant {
    pub name: String,
    /// The parameters' values, in the space's parameter order.
    pub values: Vec<String>,
    pub status: Status,
    /// How often it was brought back after the leader it lost to was shown infeasible.
    pub revived: u32,
}

/// Why the race stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// One candidate is left, and it has the most seeds.
    OneLeft,
    /// None is left: every candidate was shown infeasible (or was not a valid policy).
    NoneLeft,
    /// The survivors have the most seeds and could not be told apart.
    MaxSeeds,
    /// The next round would spend more runs than the budget has left.
    Budget,
    /// As many rounds as the error rate was spread over are run (more catch-up
    /// rounds than there are candidates: not reached in practice).
    Rounds,
    /// Every candidate ran every seed (`--exhaustive`): no race.
    Exhaustive,
}

impl Stop {
    pub fn describe(self) -> &'static str {
        match self {
            Stop::OneLeft => "one candidate is left",
            Stop::NoneLeft => "no candidate is left: each was shown to break a limit",
            Stop::MaxSeeds => "the survivors have the most seeds and cannot be told apart",
            Stop::Budget => "the run budget is spent",
            Stop::Rounds => "the rounds the error rate was spread over are run",
            Stop::Exhaustive => "every candidate ran every seed (exhaustive)",
        }
    }
}

/// What happened in one round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    pub round: usize,
    /// Seeds per scenario every racing candidate has after the round.
    pub seeds: u64,
    /// Candidates that ran in the round.
    pub racing: u64,
    pub runs: u64,
    /// The candidate the others were compared with; `None` when no racing candidate's
    /// estimates met every limit.
    pub leader: Option<String>,
    /// p-values corrected together, and the level they were corrected to.
    pub tests: u64,
    pub alpha: f64,
    pub worse: Vec<String>,
    pub infeasible: Vec<String>,
    pub revived: Vec<String>,
    /// Candidates still racing after the round.
    pub survivors: u64,
}

/// The runs of a round, in the order they are run and recorded: candidate by
/// candidate (space order), scenario by scenario, replicate by replicate.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundPlan {
    pub round: usize,
    pub seeds: u64,
    /// `(candidate, scenario, replicate)`.
    pub runs: Vec<(usize, usize, u64)>,
}

/// The race's state.
pub struct Race {
    pub spec: RaceSpec,
    pub entrants: Vec<Entrant>,
    /// `runs[candidate][scenario]`, in replicate order.
    runs: Vec<Vec<Vec<RunRow>>>,
    pub rounds: Vec<RoundRecord>,
    /// Seeds per scenario the next round brings the racing candidates to; `None` once
    /// stopped.
    next_seeds: Option<u64>,
    stop: Option<Stop>,
    runs_used: u64,
}

/// Holm's step-down: which of `ps` are rejected at family-wise level `alpha`. Ties
/// are taken in index order, so the answer never depends on how they were sorted.
pub fn holm(ps: &[f64], alpha: f64) -> Vec<bool> {
    let m = ps.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| ps[a].total_cmp(&ps[b]).then(a.cmp(&b)));
    let mut rejected = vec![false; m];
    for (rank, &i) in order.iter().enumerate() {
        if ps[i] <= alpha / (m - rank) as f64 {
            rejected[i] = true;
        } else {
            break;
        }
    }
    rejected
}

impl Race {
    /// A race over `entrants` (their status `Racing`, or `Invalid` for a combination
    /// that is not a policy). Refused when the first round alone is over the budget.
    pub fn new(spec: RaceSpec, entrants: Vec<Entrant>) -> Result<Race, String> {
        let racing = entrants
            .iter()
            .filter(|e| e.status == Status::Racing)
            .count() as u64;
        Race::check_budget(&spec, racing)?;
        let scenarios = spec.scenarios.len();
        let first = if spec.exhaustive {
            spec.schedule.max_seeds
        } else {
            spec.schedule.first_seeds
        };
        let runs = vec![vec![Vec::new(); scenarios]; entrants.len()];
        let mut race = Race {
            spec,
            entrants,
            runs,
            rounds: Vec::new(),
            next_seeds: Some(first),
            stop: None,
            runs_used: 0,
        };
        if racing == 0 {
            race.next_seeds = None;
            race.stop = Some(Stop::NoneLeft);
        }
        Ok(race)
    }

    /// Refuses a budget that does not pay for the first round of `racing` candidates
    /// (the whole grid, exhaustive), before anything runs.
    pub fn check_budget(spec: &RaceSpec, racing: u64) -> Result<(), String> {
        let scenarios = spec.scenarios.len();
        let first = if spec.exhaustive {
            spec.schedule.max_seeds
        } else {
            spec.schedule.first_seeds
        };
        let cost = racing
            .checked_mul(scenarios as u64)
            .and_then(|x| x.checked_mul(first));
        if let Some(budget) = spec.budget_runs
            && cost.is_none_or(|c| c > budget)
        {
            return Err(format!(
                "the budget of {budget} runs does not pay for the {} round: {racing} candidates × \
                 {scenarios} scenarios × {first} seeds = {} runs",
                if spec.exhaustive {
                    "exhaustive"
                } else {
                    "first"
                },
                cost.map_or("too many".to_string(), |c| c.to_string())
            ));
        }
        Ok(())
    }

    pub fn stop(&self) -> Option<Stop> {
        self.stop
    }

    pub fn runs_used(&self) -> u64 {
        self.runs_used
    }

    /// Seeds per scenario candidate `c` has run.
    pub fn seeds(&self, c: usize) -> u64 {
        self.runs[c].first().map_or(0, |r| r.len() as u64)
    }

    /// The runs of candidate `c`, per scenario.
    pub fn runs_of(&self, c: usize) -> &[Vec<RunRow>] {
        &self.runs[c]
    }

    fn racing(&self) -> Vec<usize> {
        (0..self.entrants.len())
            .filter(|&c| self.entrants[c].status == Status::Racing)
            .collect()
    }

    /// The next round's runs; `None` once the race has stopped.
    pub fn plan(&self) -> Option<RoundPlan> {
        let seeds = self.next_seeds?;
        let mut runs = Vec::new();
        for c in self.racing() {
            for s in 0..self.spec.scenarios.len() {
                for k in self.seeds(c)..seeds {
                    runs.push((c, s, k));
                }
            }
        }
        Some(RoundPlan {
            round: self.rounds.len(),
            seeds,
            runs,
        })
    }

    /// Records the row of replicate `row.replicate` of candidate `c` on scenario `s`;
    /// rows come in the plan's order.
    pub fn record(&mut self, c: usize, s: usize, row: RunRow) {
        let have = self.runs[c][s].len() as u64;
        assert_eq!(row.replicate, have, "rows are recorded in replicate order");
        self.runs[c][s].push(row);
        self.runs_used += 1;
    }

    /// Runs the tests of the round whose runs were all recorded, eliminates and
    /// revives, and decides whether and how far to go on.
    pub fn decide(&mut self) {
        let round = self.rounds.len();
        let seeds = self.next_seeds.expect("a round to decide");
        let racing = self.racing();
        let runs_before: u64 = self.rounds.iter().map(|r| r.runs).sum();
        let runs = self.runs_used - runs_before;
        let alpha = self.spec.alpha(round);
        let mut record = RoundRecord {
            round,
            seeds,
            racing: racing.len() as u64,
            runs,
            leader: None,
            tests: 0,
            alpha,
            worse: Vec::new(),
            infeasible: Vec::new(),
            revived: Vec::new(),
            survivors: racing.len() as u64,
        };
        if self.spec.exhaustive {
            record.alpha = 0.0;
            self.rounds.push(record);
            self.next_seeds = None;
            self.stop = Some(Stop::Exhaustive);
            return;
        }
        let n = seeds as usize;
        // Stage 1, half the round's level: every racing candidate's limits.
        let all_checks: Vec<Vec<LimitCheck>> = racing
            .iter()
            .map(|&c| checks(&self.spec, &self.runs[c], n))
            .collect();
        let limit_tests: Vec<(usize, &LimitCheck)> = all_checks
            .iter()
            .enumerate()
            .flat_map(|(i, cs)| cs.iter().map(move |c| (i, c)))
            .collect();
        let ps: Vec<f64> = limit_tests.iter().map(|(_, c)| c.p).collect();
        let rejected = holm(&ps, alpha / 2.0);
        let mut strongest: Vec<Option<&LimitCheck>> = vec![None; racing.len()];
        for ((i, c), &r) in limit_tests.iter().zip(&rejected) {
            if r && strongest[*i].is_none_or(|s| c.p < s.p) {
                strongest[*i] = Some(c);
            }
        }
        for (i, s) in strongest.iter().enumerate() {
            if let Some(check) = s {
                let c = racing[i];
                self.entrants[c].status = Status::Infeasible {
                    round,
                    check: (*check).clone(),
                };
                record.infeasible.push(self.entrants[c].name.clone());
            }
        }
        let mut tests = limit_tests.len();
        // Out of contention: a racing candidate at the most seeds whose estimates break
        // a limit can never be chosen (no more seeds are coming).
        let at_max = seeds >= self.spec.schedule.max_seeds;
        let meets: Vec<bool> = all_checks
            .iter()
            .map(|cs| cs.iter().all(|c| c.holds))
            .collect();
        let out: Vec<usize> = (0..racing.len())
            .filter(|&i| at_max && !meets[i])
            .map(|i| racing[i])
            .collect();
        // Back in: those who lost to a candidate since shown infeasible or out of
        // contention. They are compared again below, on the seeds they have.
        for c in 0..self.entrants.len() {
            if let Status::Worse { than, .. } = self.entrants[c].status
                && (matches!(self.entrants[than].status, Status::Infeasible { .. })
                    || out.contains(&than))
            {
                self.entrants[c].status = Status::Racing;
                self.entrants[c].revived += 1;
                record.revived.push(self.entrants[c].name.clone());
            }
        }
        // Stage 2, the other half: every racing candidate against the leader, on the
        // seeds both have. The leader is chosen among every racing candidate, those
        // just brought back included (judged on the seeds they have), so that a crowd
        // brought back is sorted out on the runs it already made.
        let leader = self
            .racing()
            .into_iter()
            .filter(|c| !out.contains(c))
            .filter_map(|c| {
                let m = self.seeds(c) as usize;
                let fine = match racing.iter().position(|&r| r == c) {
                    Some(i) => meets[i],
                    None => checks(&self.spec, &self.runs[c], m).iter().all(|x| x.holds),
                };
                fine.then(|| (c, Sample::new(&self.spec, &self.runs[c], m).value()))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(c, _)| c);
        if let Some(l) = leader {
            let lname = self.entrants[l].name.clone();
            record.leader = Some(lname.clone());
            let others: Vec<usize> = self.racing().into_iter().filter(|&c| c != l).collect();
            let round_id = format!("round {round}");
            let diffs: Vec<(usize, f64, f64)> = others
                .iter()
                .map(|&c| {
                    let m = self.seeds(c).min(self.seeds(l)) as usize;
                    let (sc, sl) = (
                        Sample::new(&self.spec, &self.runs[c], m),
                        Sample::new(&self.spec, &self.runs[l], m),
                    );
                    let name = &self.entrants[c].name;
                    let mut rng = objective::rng(&self.spec, &["tune", &round_id, name, &lname]);
                    let d = objective::paired(&sc, &sl, self.spec.bootstrap, &mut rng);
                    (c, d.p_worse(), d.value)
                })
                .collect();
            tests += diffs.len();
            let ps: Vec<f64> = diffs.iter().map(|d| d.1).collect();
            for (&(c, p, difference), r) in diffs.iter().zip(holm(&ps, alpha / 2.0)) {
                if r {
                    self.entrants[c].status = Status::Worse {
                        round,
                        than: l,
                        difference,
                        p,
                    };
                    record.worse.push(self.entrants[c].name.clone());
                }
            }
        }
        record.tests = tests as u64;
        let racing = self.racing();
        record.survivors = racing.len() as u64;
        self.rounds.push(record);
        match self.next(seeds, &racing) {
            Ok(t) => self.next_seeds = Some(t),
            Err(stop) => {
                self.next_seeds = None;
                self.stop = Some(stop);
            }
        }
    }

    /// Whether a racing candidate has fewer than `seeds` seeds (revived this round).
    fn behind(&self, seeds: u64, racing: &[usize]) -> bool {
        racing.iter().any(|&c| self.seeds(c) < seeds)
    }

    /// Runs a round bringing the racing candidates to `target` seeds costs.
    fn cost(&self, target: u64, racing: &[usize]) -> u64 {
        let s = self.spec.scenarios.len() as u64;
        racing
            .iter()
            .map(|&c| s.saturating_mul(target.saturating_sub(self.seeds(c))))
            .fold(0u64, u64::saturating_add)
    }

    /// After a round at `seeds`: the seeds the next round brings the racing candidates
    /// to (double, capped at the most; fewer when that is all the budget pays for), or
    /// why the race stops.
    fn next(&self, seeds: u64, racing: &[usize]) -> Result<u64, Stop> {
        let max = self.spec.schedule.max_seeds;
        let behind = self.behind(seeds, racing);
        match racing.len() {
            0 => return Err(Stop::NoneLeft),
            // The one left goes on alone to the most seeds, so that the limits of the
            // policy chosen are judged on every seed the schedule allows.
            1 if seeds >= max && !behind => return Err(Stop::OneLeft),
            1 => {}
            _ if seeds >= max && !behind => return Err(Stop::MaxSeeds),
            _ => {}
        }
        if self.rounds.len() >= self.spec.schedule.max_rounds(self.entrants.len()) {
            return Err(Stop::Rounds);
        }
        let target = seeds.saturating_mul(2).min(max);
        let left = self
            .spec
            .budget_runs
            .map_or(u64::MAX, |b| b.saturating_sub(self.runs_used));
        // The fewest seeds a round may bring them to: one more than now, or as many as
        // now when a revived candidate has seeds to catch up on.
        let least = if behind { seeds } else { seeds + 1 };
        if self.cost(least, racing) > left {
            return Err(Stop::Budget);
        }
        // The most seeds in [least, target] the budget pays for (the cost grows with
        // the seeds).
        let (mut lo, mut hi) = (least, target);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.cost(mid, racing) <= left {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Ok(lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Outcome;
    use crate::tune::objective::tests::{run, run_with, spec};
    use crate::tune::result::{Verdict, ending};
    use crate::tune::spec::{Class, Objective};

    fn entrants(n: usize) -> Vec<Entrant> {
        (0..n)
            .map(|c| Entrant {
                name: format!("p[x={c}]"),
                values: vec![c.to_string()],
                status: Status::Racing,
                revived: 0,
            })
            .collect()
    }

    /// The world of replicate k: shared by every candidate (common random numbers).
    fn world(k: u64) -> f64 {
        ((k * 37) % 50) as f64
    }

    fn drive(race: &mut Race, row: impl Fn(usize, usize, u64) -> RunRow) {
        while let Some(plan) = race.plan() {
            assert_eq!(plan.round, race.rounds.len());
            for (c, s, k) in plan.runs {
                race.record(c, s, row(c, s, k));
            }
            race.decide();
        }
    }

    #[test]
    fn holm_steps_down_and_stops_at_the_first_kept() {
        // Sorted: 0.005 <= 0.05/4, 0.01 <= 0.05/3, 0.03 > 0.05/2: stop.
        assert_eq!(
            holm(&[0.01, 0.04, 0.03, 0.005], 0.05),
            [true, false, false, true]
        );
        // A p-value exactly at its threshold is rejected; one past it is not.
        assert_eq!(holm(&[0.025, 0.05], 0.05), [true, true]);
        assert_eq!(holm(&[0.025_000_1, 0.05], 0.05), [false, false]);
        assert!(holm(&[], 0.05).is_empty());
    }

    #[test]
    fn a_planted_winner_is_found_in_the_first_round() {
        let s = spec(Objective::DeployP50, &[("g", 1.0, Class::Good)]);
        let mut race = Race::new(s, entrants(20)).unwrap();
        drive(&mut race, |c, _, k| {
            let base = if c == 7 {
                100.0
            } else {
                300.0 + 30.0 * c as f64
            };
            run(k, Some(base + world(k)), 0.0)
        });
        assert_eq!(race.stop(), Some(Stop::OneLeft));
        // Round 0 leaves one, which goes on alone to the most seeds.
        let r: Vec<(u64, u64)> = race.rounds.iter().map(|r| (r.seeds, r.survivors)).collect();
        assert_eq!(r, [(10, 1), (20, 1), (40, 1)]);
        assert_eq!(
            race.runs_used(),
            200 + 30,
            "20 candidates × 10 seeds, then 30 more"
        );
        let end = ending(&race);
        assert!(end.confident);
        assert_eq!(end.best().unwrap().name, "p[x=7]");
        let worse = end
            .candidates
            .iter()
            .filter(|c| c.verdict == Verdict::Worse)
            .count();
        assert_eq!(worse, 19);
        assert!(
            end.candidates[0].reason.starts_with("worse than p[x=7] by"),
            "{}",
            end.candidates[0].reason
        );
        assert_eq!(end.candidates[0].round, Some(0));
    }

    #[test]
    fn two_candidates_alike_are_both_reported_at_the_most_seeds() {
        let s = spec(Objective::DeployP50, &[("g", 1.0, Class::Good)]);
        let mut race = Race::new(s, entrants(6)).unwrap();
        drive(&mut race, |c, _, k| {
            let base = if c == 3 || c == 4 {
                100.0
            } else {
                200.0 + c as f64
            };
            run(k, Some(base + world(k)), 0.0)
        });
        assert_eq!(race.stop(), Some(Stop::MaxSeeds));
        let end = ending(&race);
        assert!(!end.confident);
        assert_eq!(end.best().unwrap().name, "p[x=3]", "ties go to the first");
        let tied: Vec<&str> = end.not_separated().map(|c| c.name.as_str()).collect();
        assert_eq!(tied, ["p[x=4]"]);
        assert_eq!(end.candidates[4].seeds, 40);
        assert_eq!(end.candidates[4].versus_best.unwrap().value, 0.0);
        // 6 × 10, then the two alike doubled up to 40.
        assert_eq!(race.runs_used(), 60 + 2 * 30);
        let seeds: Vec<u64> = race.rounds.iter().map(|r| r.seeds).collect();
        assert_eq!(seeds, [10, 20, 40]);
    }

    #[test]
    fn a_space_where_every_candidate_breaks_a_limit_ends_with_none() {
        let mut s = spec(
            Objective::DeployP50,
            &[("g", 0.9, Class::Good), ("f", 0.1, Class::Fault)],
        );
        s.limits.max_budget_p95_pct = Some(1.0);
        let mut race = Race::new(s, entrants(4)).unwrap();
        drive(&mut race, |c, sc, k| match sc {
            0 => run(k, Some(100.0 + c as f64 + world(k)), 0.0),
            _ => run_with(k, Some(50.0), 3.0, Outcome::Caught, true),
        });
        assert_eq!(race.stop(), Some(Stop::NoneLeft));
        let end = ending(&race);
        assert!(end.best.is_none() && !end.confident);
        assert!(
            end.candidates
                .iter()
                .all(|c| c.verdict == Verdict::Infeasible)
        );
        assert!(
            end.candidates[0]
                .reason
                .starts_with("max_budget_p95 on f: 10 of 10 runs above 1.000%"),
            "{}",
            end.candidates[0].reason
        );
    }

    #[test]
    fn candidates_beaten_by_a_leader_later_shown_infeasible_come_back() {
        let mut s = spec(
            Objective::DeployP50,
            &[("g", 0.9, Class::Good), ("f", 0.1, Class::Fault)],
        );
        s.limits.max_budget_p95_pct = Some(2.0);
        let mut race = Race::new(s, entrants(3)).unwrap();
        // Candidate 0 is fast, and within the budget on its first 10 seeds only.
        drive(&mut race, |c, sc, k| match (sc, c) {
            (0, _) => run(k, Some(100.0 + 100.0 * c as f64 + world(k)), 0.0),
            (_, 0) if k >= 10 => run_with(k, Some(50.0), 3.0, Outcome::Caught, true),
            _ => run_with(k, Some(50.0), 0.5, Outcome::Caught, true),
        });
        let r = &race.rounds;
        assert_eq!(r[0].leader.as_deref(), Some("p[x=0]"));
        assert_eq!(r[0].worse, ["p[x=1]", "p[x=2]"]);
        assert_eq!(r[1].infeasible, ["p[x=0]"]);
        assert_eq!(r[1].revived, ["p[x=1]", "p[x=2]"]);
        // Compared again at once, on the 10 seeds they had: the slower goes again.
        assert_eq!(r[1].leader.as_deref(), Some("p[x=1]"));
        assert_eq!(r[1].worse, ["p[x=2]"]);
        // The one left catches up from 10 to 40 seeds alone.
        assert_eq!((r[2].seeds, r[2].runs), (40, 2 * 30));
        assert_eq!(race.stop(), Some(Stop::OneLeft));
        let end = ending(&race);
        let best = end.best().unwrap();
        assert_eq!((best.name.as_str(), best.revived), ("p[x=1]", 1));
        assert!(end.confident);
        assert_eq!(end.candidates[0].verdict, Verdict::Infeasible);
        assert_eq!(end.candidates[0].round, Some(1));
    }

    #[test]
    fn the_budget_trims_the_last_round_and_then_stops_the_race() {
        let mut s = spec(Objective::DeployP50, &[("g", 1.0, Class::Good)]);
        s.budget_runs = Some(500);
        let mut race = Race::new(s.clone(), entrants(20)).unwrap();
        drive(&mut race, |_, _, k| run(k, Some(100.0 + world(k)), 0.0));
        let seeds: Vec<u64> = race.rounds.iter().map(|r| r.seeds).collect();
        // 200 + 200 runs, then 100 left: 20 candidates × 5 more seeds.
        assert_eq!(seeds, [10, 20, 25]);
        assert_eq!(race.runs_used(), 500);
        assert_eq!(race.stop(), Some(Stop::Budget));
        // A first round over the budget is refused before anything runs; at it, not.
        s.budget_runs = Some(199);
        let e = Race::new(s.clone(), entrants(20)).err().unwrap();
        assert!(
            e.contains("20 candidates × 1 scenarios × 10 seeds = 200 runs"),
            "{e}"
        );
        s.budget_runs = Some(200);
        let mut race = Race::new(s, entrants(20)).unwrap();
        drive(&mut race, |_, _, k| run(k, Some(100.0 + world(k)), 0.0));
        assert_eq!((race.runs_used(), race.stop()), (200, Some(Stop::Budget)));
    }

    #[test]
    fn exhaustive_runs_every_candidate_on_every_seed_and_eliminates_nothing() {
        let mut s = spec(Objective::DeployP50, &[("g", 1.0, Class::Good)]);
        s.exhaustive = true;
        let mut race = Race::new(s, entrants(4)).unwrap();
        drive(&mut race, |c, _, k| {
            let base = [150.0, 100.0, 100.5, 300.0][c];
            // Candidate 2 is 0.5 s slower on average, ±3 s: not separated.
            let jitter = if c == 2 {
                3.0 * if k % 2 == 0 { 1.0 } else { -1.0 }
            } else {
                0.0
            };
            run(k, Some(base + world(k) + jitter), 0.0)
        });
        assert_eq!(race.stop(), Some(Stop::Exhaustive));
        assert_eq!(race.runs_used(), 4 * 40);
        let end = ending(&race);
        let v: Vec<Verdict> = end.candidates.iter().map(|c| c.verdict).collect();
        assert_eq!(
            v,
            [
                Verdict::Worse,
                Verdict::Best,
                Verdict::NotSeparated,
                Verdict::Worse
            ]
        );
        assert!(!end.confident);
    }

    #[test]
    fn invalid_combinations_never_run() {
        let s = spec(Objective::DeployP50, &[("g", 1.0, Class::Good)]);
        let mut e = entrants(3);
        e[1].status = Status::Invalid {
            reason: "max_unavailable: may not be 0 when max_surge is 0".into(),
        };
        let mut race = Race::new(s.clone(), e).unwrap();
        drive(&mut race, |c, _, k| {
            run(k, Some(100.0 * (c + 1) as f64 + world(k)), 0.0)
        });
        let end = ending(&race);
        assert_eq!(end.candidates[1].verdict, Verdict::Invalid);
        assert_eq!(end.candidates[1].runs, 0);
        assert_eq!(end.best().unwrap().index, 0);
        let mut none = entrants(1);
        none[0].status = Status::Invalid { reason: "x".into() };
        let race = Race::new(s, none).unwrap();
        assert_eq!((race.stop(), race.plan()), (Some(Stop::NoneLeft), None));
    }
}
