//! The fleet's status kept incrementally: per-version counts by lifecycle state, the
//! available pods, restarts, the pods carrying each fault, and the pods held down with
//! a known cause. Every pod status change used to rescan the live fleet
//! (`update_fleet_extremes`, `fleet_status`, `check_recovery`), which made a rollout of
//! N pods cost O(N²); with the tally each change costs O(faults + log N).
//!
//! A pod's contribution is taken out (`World::untally`) before its status fields
//! change and put back (`World::tally`) after, at every site that changes `state`,
//! `available`, `restarts` or `crash_cause`. A terminated pod contributes nothing (it
//! has left `live`). Debug builds and sim-core's own tests compare the tally with a full scan at every fleet
//! change (`World::check_tally`).

use std::collections::BTreeMap;

use super::*;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Tally {
    /// Pods its ReplicaSet counts (`PodState::counts_as_pod`), per version.
    pub pods: [u32; 2],
    pub ready: [u32; 2],
    pub terminating: [u32; 2],
    pub available: [u32; 2],
    /// Restarts summed over live pods, per version.
    pub restarts: [u32; 2],
    /// Live pods carrying fault `k` (bit `k` of `Instance::affected`).
    pub carriers: Vec<u32>,
    /// Pods Pending, Starting or Crashed that have a crash cause, by id (creation
    /// order): the first one's cause is the fault holding capacity down.
    pub held_down: BTreeMap<InstanceId, FaultId>,
}

impl Tally {
    pub fn new(faults: usize) -> Self {
        Tally {
            carriers: vec![0; faults],
            ..Tally::default()
        }
    }

    /// Adds (`add`) or takes out one live pod's contribution.
    fn apply(&mut self, id: InstanceId, i: &Instance, add: bool) {
        if i.state == PodState::Terminated {
            return;
        }
        let v = i.version.index();
        let step = |n: &mut u32, by: u32| {
            if add {
                *n += by;
            } else {
                *n -= by;
            }
        };
        step(&mut self.pods[v], i.state.counts_as_pod() as u32);
        step(&mut self.ready[v], (i.state == PodState::Ready) as u32);
        step(
            &mut self.terminating[v],
            (i.state == PodState::Terminating) as u32,
        );
        step(&mut self.available[v], i.available as u32);
        step(&mut self.restarts[v], i.restarts);
        let mut bits = i.affected;
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            step(&mut self.carriers[k], 1);
            bits &= bits - 1;
        }
        if matches!(
            i.state,
            PodState::Crashed | PodState::Starting | PodState::Pending
        ) && let Some(cause) = i.crash_cause
        {
            if add {
                self.held_down.insert(id, cause);
            } else {
                self.held_down.remove(&id);
            }
        }
    }

    pub fn available_total(&self) -> u32 {
        self.available[0] + self.available[1]
    }

    /// The cause of the first pod (in creation order) held down with one.
    pub fn capacity_fault(&self) -> Option<FaultId> {
        self.held_down.values().next().copied()
    }

    /// The tally of `live` by a full scan: what the incremental one must equal.
    pub fn scan(instances: &[Instance], live: &[InstanceId], faults: usize) -> Tally {
        let mut t = Tally::new(faults);
        for &id in live {
            t.apply(id, &instances[id.index()], true);
        }
        t
    }
}

impl World<'_> {
    /// Takes pod `id`'s contribution out of the tally, before its status changes.
    pub(super) fn untally(&mut self, id: InstanceId) {
        self.tally.apply(id, &self.instances[id.index()], false);
    }

    /// Puts pod `id`'s contribution back, after its status changed.
    pub(super) fn tally(&mut self, id: InstanceId) {
        self.tally.apply(id, &self.instances[id.index()], true);
    }

    /// Debug builds and sim-core's tests: the incremental tally equals a full scan of the live fleet, and
    /// `live` is in creation order.
    pub(super) fn check_tally(&self) {
        if cfg!(debug_assertions) || cfg!(test) {
            assert!(self.live.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(
                self.tally,
                Tally::scan(&self.instances, &self.live, self.cfg.faults.len())
            );
            assert_eq!(self.fleet_status(), self.fleet_status_by_scan());
        }
    }

    /// The controller's view of the fleet by a full scan, as it was computed before the
    /// tally: the check that the tally's reading of it is the same.
    fn fleet_status_by_scan(&self) -> ([CohortStatus; 2], u32) {
        let mut fleet = [CohortStatus::default(); 2];
        let mut terminating = 0;
        for &id in &self.live {
            let i = &self.instances[id.index()];
            let c = &mut fleet[i.version.index()];
            c.restarts += i.restarts;
            match i.state {
                PodState::Terminating => {
                    terminating += 1;
                    c.terminating += 1;
                }
                PodState::Terminated => {}
                s => {
                    c.pods += 1;
                    c.ready += (s == PodState::Ready) as u32;
                    c.available += i.available as u32;
                }
            }
        }
        for v in Version::ALL {
            fleet[v.index()].spec = self.spec[v.index()];
        }
        (fleet, terminating)
    }

    /// Removes `id` from `live`, which stays sorted by id (creation order): a binary
    /// search and a move of the ids after it, instead of a scan of the fleet.
    pub(super) fn leave_live(&mut self, id: InstanceId) {
        if let Ok(at) = self.live.binary_search(&id) {
            self.live.remove(at);
        }
    }
}
