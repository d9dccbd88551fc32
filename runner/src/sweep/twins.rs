//! The counterfactual twins of a sweep (`--counterfactual`), each computed once and
//! shared by every policy that needs it.
//!
//! A twin depends on the scenario, the replicate and the policy's `minReadySeconds`
//! only (`sim_core::twin`), never on the rest of the policy: the runs of replicate `k`
//! of a scenario under every policy variant with the same `minReadySeconds` share one
//! twin. With `P` such variants a sweep runs `P` runs and one twin per (scenario,
//! replicate), not `2P` runs.
//!
//! A twin is computed by the first worker that needs it; a worker needing it meanwhile
//! waits for that value (`OnceLock`). Its slot is dropped once every run of this
//! directory's slice that uses it has taken it, so memory holds at most the twins of
//! the replicates in flight (about one scenario's replicates), never the sweep's. The
//! value is a pure function of the plan, so neither the thread that computes it nor
//! the order runs finish in changes a row.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use reports::metrics::Twin;
use sim_core::SimDuration;

use super::plan::Plan;
use crate::execute::{run_twin, twin_key};

/// A twin's identity: scenario index, replicate, index of its `minReadySeconds`.
type Key = (usize, u64, usize);

struct Slot {
    twin: Arc<OnceLock<Twin>>,
    /// Runs of this slice still to take it.
    left: usize,
}

pub struct Twins<'p> {
    plan: &'p Plan,
    /// The distinct `minReadySeconds` of the variants, in first-seen order.
    min_ready: Vec<SimDuration>,
    /// Per variant, its index in `min_ready`.
    key_of: Vec<usize>,
    /// The positions of this run's slice, `from..to`.
    from: u64,
    to: u64,
    slots: Mutex<BTreeMap<Key, Slot>>,
}

impl<'p> Twins<'p> {
    /// The twins of positions `from..to` of `plan`.
    pub fn new(plan: &'p Plan, from: u64, to: u64) -> Twins<'p> {
        let mut min_ready = Vec::new();
        let key_of = plan
            .variants
            .iter()
            .map(|v| {
                let m = twin_key(&v.policy);
                match min_ready.iter().position(|&x| x == m) {
                    Some(i) => i,
                    None => {
                        min_ready.push(m);
                        min_ready.len() - 1
                    }
                }
            })
            .collect();
        Twins {
            plan,
            min_ready,
            key_of,
            from,
            to,
            slots: Mutex::new(BTreeMap::new()),
        }
    }

    /// The position of `run_id` in this directory's runs (the inverse of
    /// `Manifest::run_at`, for a run this directory holds).
    fn position_of(&self, run_id: u64) -> u64 {
        let m = &self.plan.manifest;
        match m.shard {
            None => run_id,
            Some(s) => {
                let (group, k) = (run_id / m.seeds, run_id % m.seeds);
                group * s.replicates(m.seeds) + (k - s.index) / s.count
            }
        }
    }

    /// How many runs of this slice use the twin of (`s`, `k`, `key`).
    fn users(&self, s: usize, k: u64, key: usize) -> usize {
        let m = &self.plan.manifest;
        let policies = m.policies.len() as u64;
        (0..self.key_of.len())
            .filter(|&v| self.key_of[v] == key)
            .map(|v| self.position_of((s as u64 * policies + v as u64) * m.seeds + k))
            .filter(|p| (self.from..self.to).contains(p))
            .count()
    }

    /// The twin of replicate `k` of scenario `s` for variant `v`, computed on first
    /// use.
    pub fn get(&self, s: usize, v: usize, k: u64) -> Twin {
        let key = (s, k, self.key_of[v]);
        let cell = {
            // A poisoned lock only means a thread panicked holding it, which nothing
            // here does: the twin is computed outside it.
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            let slot = slots.entry(key).or_insert_with(|| Slot {
                twin: Arc::new(OnceLock::new()),
                left: self.users(s, k, key.2),
            });
            slot.left = slot.left.saturating_sub(1);
            let cell = Arc::clone(&slot.twin);
            if slot.left == 0 {
                slots.remove(&key);
            }
            cell
        };
        *cell.get_or_init(|| {
            let m = &self.plan.manifest;
            run_twin(
                &self.plan.scenarios[s],
                m.master_seed,
                k,
                self.min_ready[key.2],
            )
        })
    }

    /// Twins held right now (for tests: the slots are released).
    pub fn held(&self) -> usize {
        self.slots.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::ImportFlags;
    use crate::sweep::plan::{Shard, SweepRequest, plan};
    use reports::sweep::Constraints;

    fn plan_of(shard: Option<Shard>) -> Plan {
        let req = SweepRequest {
            scenarios: vec!["good-release".into(), "error-regression".into()],
            // Four variants, two of each minReadySeconds.
            policies: vec!["gated-10pct".into(), "flagger-canary".into()],
            grid: vec!["policy.min_ready_seconds=0,5".into()],
            sets: vec!["scenario.run.horizon_seconds=90".into()],
            seeds: 5,
            master_seed: 3,
            baseline: None,
            constraints: Constraints::default(),
            bootstrap_resamples: 100,
            shard,
            import: ImportFlags::default(),
            counterfactual: true,
        };
        plan(&req, "t").unwrap_or_else(|e| panic!("{e}"))
    }

    /// Every run of a slice (whole, a shard, a resumed tail) gets its own twin, the
    /// one `run_twin` computes directly, and once the slice is done no twin is held.
    #[test]
    fn each_run_gets_its_twin_and_no_slot_outlives_its_last_user() {
        for (shard, from) in [
            (None, 0),
            (None, 7),
            (Some(Shard { index: 1, count: 2 }), 0),
        ] {
            let plan = plan_of(shard);
            let m = &plan.manifest;
            let to = m.shard_runs();
            let twins = Twins::new(&plan, from, to);
            assert_eq!(twins.key_of, [0, 1, 0, 1]);
            assert_eq!(twins.min_ready.len(), 2, "{:?}", twins.min_ready);
            for position in from..to {
                let (s, v, k) = m.locate(m.run_at(position));
                let got = twins.get(s, v, k);
                let direct = run_twin(
                    &plan.scenarios[s],
                    m.master_seed,
                    k,
                    twin_key(&plan.variants[v].policy),
                );
                assert_eq!(got, direct, "position {position}");
            }
            assert_eq!(twins.held(), 0, "{shard:?} from {from}");
        }
    }
}
