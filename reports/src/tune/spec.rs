//! What a race is asked: the scenarios and their weights, the objective, the limits,
//! the round schedule and the confidence. Plain data, read from a space file by the
//! runner and recorded in the tune's manifest and `tune.json`.

use serde::{Deserialize, Serialize};

use crate::check::Assertion;

/// What a scenario's release is, from the scenario itself (whether its release
/// carries a fault), not from what its runs happened to show: the class never
/// changes as seeds are added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// The release carries no fault: a good release.
    Good,
    /// The release carries a fault.
    Fault,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Good => "good",
            Class::Fault => "fault",
        }
    }
}

/// One scenario of the space.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSpec {
    pub name: String,
    /// How likely this kind of release is, as given (the weights need not add up to 1:
    /// each objective normalises the weights of the scenarios it reads).
    pub weight: f64,
    pub class: Class,
    /// The deploy time a run counts for when its change did not end by the horizon (or
    /// never started): the horizon minus the release's start, the longest deploy the
    /// run could have shown, so such a run ranks after every run that finished.
    pub censored_deploy_s: f64,
}

/// What the race minimises.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "minimise", rename_all = "snake_case")]
pub enum Objective {
    /// The p50 deploy time on good releases: Σ w·p50 over the good-release
    /// scenarios, with their weights normalised.
    DeployP50,
    /// The expected cost of a release drawn from the scenarios' mix: Σ w·mean(deploy
    /// seconds + `budget_price_s` × budget percent) over every scenario.
    Cost {
        /// Seconds of deploy time one percent of the SLO window's error budget is worth.
        budget_price_s: f64,
    },
}

impl Objective {
    /// Whether a scenario enters the objective.
    pub fn reads(self, class: Class) -> bool {
        match self {
            Objective::DeployP50 => class == Class::Good,
            Objective::Cost { .. } => true,
        }
    }

    /// As the report and the terminal say it.
    pub fn describe(self) -> String {
        match self {
            Objective::DeployP50 => "p50 deploy time on good releases".into(),
            Objective::Cost { budget_price_s } => format!(
                "expected cost per release: deploy seconds + {budget_price_s} s per % of error budget"
            ),
        }
    }
}

/// What the user accepts of a policy, as `sweep`'s recommendation limits (`None`: no
/// such limit) plus `check`-style assertions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// The p95 budget consumed, in % of the error budget, on every fault scenario.
    pub max_budget_p95_pct: Option<f64>,
    /// The p50 deploy time, in seconds, on every good-release scenario.
    pub max_deploy_p50_s: Option<f64>,
    /// The false-rollback rate in %, over every run without a release fault.
    pub max_false_rollback_pct: Option<f64>,
    /// `SCOPE: METRIC OP VALUE`, as `check` reads them.
    pub assertions: Vec<String>,
}

/// How many seeds each round gives the candidates still racing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Seeds per scenario in the first round.
    pub first_seeds: u64,
    /// The most seeds per scenario a candidate is given.
    pub max_seeds: u64,
}

impl Schedule {
    /// Seeds per scenario after round `round` (0-based): doubling from `first_seeds`,
    /// capped at `max_seeds`.
    pub fn seeds(self, round: usize) -> u64 {
        let doubled = u32::try_from(round)
            .ok()
            .and_then(|r| 1u64.checked_shl(r))
            .and_then(|f| self.first_seeds.checked_mul(f));
        doubled.map_or(self.max_seeds, |s| s.min(self.max_seeds))
    }

    /// The distinct seed counts of the schedule: `first, 2·first, ..., max`.
    pub fn steps(self) -> usize {
        let mut n = 1;
        while self.seeds(n - 1) < self.max_seeds {
            n += 1;
        }
        n
    }

    /// The most rounds a race runs: every step of the schedule, then as many
    /// catch-up rounds at the most seeds as revivals call for (each takes at least one
    /// candidate out of contention, so there are fewer than the candidates), bounded
    /// here so that no error rate is ever spent past it.
    pub fn max_rounds(self, candidates: usize) -> usize {
        self.steps() + candidates.max(1)
    }
}

/// Everything the race needs besides the runs.
#[derive(Clone, Debug)]
pub struct RaceSpec {
    pub scenarios: Vec<ScenarioSpec>,
    pub objective: Objective,
    pub limits: Limits,
    /// `limits.assertions`, parsed (the space reader refused any that does not parse).
    pub assertions: Vec<Assertion>,
    pub schedule: Schedule,
    /// The probability that the race never wrongly eliminates a candidate.
    pub confidence: f64,
    pub bootstrap: usize,
    pub master_seed: u64,
    /// The most runs the race may use.
    pub budget_runs: Option<u64>,
    /// Every candidate at the most seeds, nothing eliminated: the grid the race is
    /// checked against.
    pub exhaustive: bool,
}

impl RaceSpec {
    /// The error rate round `round` (0-based) may spend, half on its limit tests and
    /// half on its comparisons (Holm within each half): `1 − confidence` is spread
    /// over the schedule's steps and one share more, which the catch-up rounds after
    /// the last step (candidates brought back at the most seeds) split by halves, so
    /// the rates of all the rounds a race can run add up to at most `1 − confidence`.
    pub fn alpha(&self, round: usize) -> f64 {
        let steps = self.schedule.steps();
        let share = (1.0 - self.confidence) / (steps + 1) as f64;
        if round < steps {
            share
        } else {
            let past = (round - steps + 1).min(1000) as i32;
            share * 0.5f64.powi(past)
        }
    }

    /// The scenarios the objective reads, with their weights normalised to add up to 1.
    pub fn objective_weights(&self) -> Vec<(usize, f64)> {
        let read: Vec<usize> = (0..self.scenarios.len())
            .filter(|&s| self.objective.reads(self.scenarios[s].class))
            .collect();
        let total: f64 = read.iter().map(|&s| self.scenarios[s].weight).sum();
        read.into_iter()
            .map(|s| (s, self.scenarios[s].weight / total))
            .collect()
    }

    pub fn scenario_index(&self, name: &str) -> Option<usize> {
        self.scenarios.iter().position(|s| s.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_doubles_up_to_its_cap() {
        let s = Schedule {
            first_seeds: 10,
            max_seeds: 160,
        };
        let seeds: Vec<u64> = (0..6).map(|r| s.seeds(r)).collect();
        assert_eq!(seeds, [10, 20, 40, 80, 160, 160]);
        assert_eq!((s.steps(), s.max_rounds(3)), (5, 8));
        // A cap that is not a doubling of the first is the last step.
        let s = Schedule {
            first_seeds: 10,
            max_seeds: 50,
        };
        assert_eq!((s.seeds(2), s.seeds(3), s.steps()), (40, 50, 4));
        let one = Schedule {
            first_seeds: 8,
            max_seeds: 8,
        };
        assert_eq!((one.steps(), one.max_rounds(0)), (1, 2));
        assert_eq!(one.seeds(200), 8, "no overflow far past the cap");
    }

    #[test]
    fn the_error_rate_of_every_round_adds_up_to_at_most_one_minus_the_confidence() {
        let mut s = crate::tune::objective::tests::spec(Objective::DeployP50, &[]);
        s.schedule = Schedule {
            first_seeds: 10,
            max_seeds: 80,
        };
        // Four steps (10, 20, 40, 80): 0.05 / 5 each, then 0.005, 0.0025, ...
        assert!((s.alpha(0) - 0.01).abs() < 1e-15);
        assert!((s.alpha(3) - 0.01).abs() < 1e-15);
        assert!((s.alpha(4) - 0.005).abs() < 1e-15);
        assert!((s.alpha(5) - 0.0025).abs() < 1e-15);
        let total: f64 = (0..s.schedule.max_rounds(500)).map(|r| s.alpha(r)).sum();
        assert!(total <= 0.05 + 1e-12 && total > 0.0499, "{total}");
    }
}
