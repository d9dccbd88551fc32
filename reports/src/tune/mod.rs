//! `rollcage tune`'s pure half: the race that finds the best policy of a space in a
//! fraction of a grid's runs (docs/tune.md). The runner reads the space, runs the
//! rounds and writes the files; everything decided here is a function of the runs'
//! rows (as `tune-runs.csv` holds them) and of the space.
//!
//! - `spec`: what a race is asked (scenarios and weights, objective, limits,
//!   schedule, confidence);
//! - `objective`: a run's figure, a candidate's objective, and the paired,
//!   stratified bootstrap that compares two candidates on the same seeds;
//! - `limits`: each limit's estimate and exact test on a candidate's runs;
//! - `race`: the rounds, the eliminations (Holm over a round's tests), revivals and
//!   the stopping rule;
//! - `result`: the chosen policy, the candidates it could not be separated from, and
//!   every candidate's estimates.

pub mod limits;
pub mod objective;
pub mod race;
pub mod result;
pub mod spec;

pub use race::{Entrant, Race, RoundPlan, RoundRecord, Status, Stop};
pub use result::{CandidateResult, Ending, Verdict, ending};
pub use spec::{Class, Limits, Objective, RaceSpec, ScenarioSpec, Schedule};
