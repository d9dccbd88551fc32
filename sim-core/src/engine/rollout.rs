//! The rollout's progress figures, kept as running totals so that each step and each
//! pod status change costs O(1) and allocates nothing.

use crate::record::{MovingDesired, RolloutRecord};
use crate::time::{SimDuration, SimTime};

/// Running state behind `RolloutRecord`.
#[derive(Debug, Default)]
pub(super) struct RolloutStats {
    pub(super) rec: RolloutRecord,
    /// The last candidate traffic weight set, to tell a raise from a cut.
    pub(super) weight: f64,
    /// Available pods (capped at the desired count) since `since`, and that count.
    available: u32,
    desired: u32,
    since: SimTime,
    /// The desired count at the start of the run, and whether the change window saw
    /// another (then the ratio's figures below are the record's).
    initial: u32,
    moved: bool,
    ratio_min: Option<f64>,
    desired_pod_nanos: u128,
}

impl RolloutStats {
    /// The stats of a run whose Deployment starts at `desired` replicas.
    pub(super) fn new(desired: u32) -> RolloutStats {
        RolloutStats {
            desired,
            initial: desired,
            ..RolloutStats::default()
        }
    }

    /// A command raised the candidate's replicas or weight at `now`; counted while the
    /// change is in progress, once per instant.
    pub(super) fn step(&mut self, now: SimTime, in_change: bool) {
        let r = &mut self.rec;
        if !in_change || r.t_last_step == Some(now) {
            return;
        }
        if let Some(last) = r.t_last_step {
            r.step_gap_max = r.step_gap_max.max(now.since(last));
        }
        r.steps += 1;
        r.t_first_step.get_or_insert(now);
        r.t_last_step = Some(now);
    }

    /// Closes the interval since the last availability change at `now`, counting the
    /// part of it inside the change window `[start, end)`; then `available` (capped at
    /// `desired`) holds from `now`.
    pub(super) fn availability(
        &mut self,
        now: SimTime,
        window: (Option<SimTime>, Option<SimTime>),
        available: u32,
        desired: u32,
    ) {
        if let (Some(start), end) = window {
            let from = self.since.max(start);
            let to = end.map_or(now, |e| e.min(now));
            if to > from {
                let held = to.since(from);
                let r = &mut self.rec;
                r.healthy_pod_nanos += u128::from(self.available) * u128::from(held.0);
                r.healthy_min = Some(
                    r.healthy_min
                        .map_or(self.available, |m| m.min(self.available)),
                );
                self.desired_pod_nanos += u128::from(self.desired) * u128::from(held.0);
                self.moved |= self.desired != self.initial;
                if self.desired > 0 {
                    let ratio = f64::from(self.available) / f64::from(self.desired);
                    self.ratio_min = Some(self.ratio_min.map_or(ratio, |m| m.min(ratio)));
                }
            }
        }
        self.available = available.min(desired);
        self.desired = desired;
        self.since = now;
    }

    /// The record at the end of the run (`now`).
    pub(super) fn finish(
        mut self,
        now: SimTime,
        window: (Option<SimTime>, Option<SimTime>),
        desired: u32,
    ) -> RolloutRecord {
        let available = self.available;
        self.availability(now, window, available, desired);
        if let (Some(start), end) = window {
            let end = end.map_or(now, |e| e.min(now));
            self.rec.change_window = if end > start {
                end.since(start)
            } else {
                SimDuration::ZERO
            };
            // A change that ended the instant it started held its count for no time:
            // its minimum is what was available then.
            self.rec.healthy_min.get_or_insert(self.available);
            if self.moved || self.desired != self.initial {
                let ratio =
                    (self.desired > 0).then(|| f64::from(self.available) / f64::from(self.desired));
                self.rec.moving_desired = Some(MovingDesired {
                    ratio_min: self.ratio_min.or(ratio),
                    desired_pod_nanos: self.desired_pod_nanos,
                });
            }
        }
        self.rec
    }
}
