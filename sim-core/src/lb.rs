//! The load balancer: which instances receive traffic, and how one is picked.
//!
//! Membership is kept as vectors with back-pointers, so adding, removing and picking
//! are O(1). Least-outstanding keeps each pool's outstanding counts in a min segment
//! tree over pool positions (`MinTree`), told of every change by the engine
//! (`set_load`), so its pick is O(log N) and is the pick a scan would make: the
//! earliest position among the least loaded. Weighted least-outstanding (load per unit
//! of a weight that changes with time under slow start) still scans. An instance joins when it becomes
//! Ready, leaves at once when it starts draining, and leaves a crashed state only
//! after failing `unhealthy_threshold` health checks: requests sent to it meanwhile
//! fail, as they do behind a real load balancer.

use rand::Rng;

use crate::dist::{index, unit};
use crate::ids::{InstanceId, Version};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Random,
    RoundRobin,
    LeastOutstanding,
    /// Two uniform picks, the one with fewer outstanding requests wins.
    PowerOfTwo,
}

impl Strategy {
    pub const ALL: [Strategy; 4] = [
        Strategy::Random,
        Strategy::RoundRobin,
        Strategy::LeastOutstanding,
        Strategy::PowerOfTwo,
    ];

    /// The name a scenario file gives the strategy (and `run.json` writes back).
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::RoundRobin => "round-robin",
            Strategy::LeastOutstanding => "least-outstanding",
            Strategy::PowerOfTwo => "power-of-two",
        }
    }
}

/// How traffic is shared between the versions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrafficSplit {
    /// Every member instance is equally eligible, whatever its version (a Kubernetes
    /// Service in front of both ReplicaSets): the candidate's share is its share of pods.
    Pods,
    /// The candidate gets this share of requests (a traffic router); the rest go to the
    /// baseline. If one side has no member instance the other takes everything.
    CandidateWeight(f64),
}

const ABSENT: u32 = u32::MAX;

/// The smallest fleet whose least-outstanding routing keeps an index of loads: a
/// measured order of magnitude (the scan wins at 20 pods, the index at 200), not a
/// tuned optimum.
pub const INDEX_MIN_PODS: usize = 64;

/// The minimum over positions `0..len` of a pool, and where it first occurs: a segment
/// tree whose leaves are pool positions (unused leaves hold `u32::MAX`). Setting a leaf
/// and finding the leftmost minimum are O(log N).
#[derive(Clone, Debug, Default)]
struct MinTree {
    /// Number of leaves, a power of two (0 before the first `set`).
    leaves: usize,
    /// `node[1]` is the root, `node[k]`'s children are `2k` and `2k + 1`, leaf `p` is
    /// `node[leaves + p]`.
    node: Vec<u32>,
}

impl MinTree {
    fn set(&mut self, pos: usize, value: u32) {
        if pos >= self.leaves {
            self.grow(pos + 1);
        }
        let mut k = self.leaves + pos;
        self.node[k] = value;
        while k > 1 {
            k /= 2;
            self.node[k] = self.node[2 * k].min(self.node[2 * k + 1]);
        }
    }

    /// Room for at least `n` leaves, the existing ones kept.
    fn grow(&mut self, n: usize) {
        let leaves = n.next_power_of_two().max(self.leaves * 2).max(1);
        let mut node = vec![u32::MAX; 2 * leaves];
        node[leaves..leaves + self.leaves].copy_from_slice(&self.node[self.leaves..]);
        for k in (1..leaves).rev() {
            node[k] = node[2 * k].min(node[2 * k + 1]);
        }
        self.leaves = leaves;
        self.node = node;
    }

    /// The first position holding the minimum (a pool that is not empty).
    fn leftmost_min(&self) -> usize {
        let mut k = 1;
        while k < self.leaves {
            // Left on a tie: the earliest position wins, as in a scan.
            k = if self.node[2 * k] <= self.node[2 * k + 1] {
                2 * k
            } else {
                2 * k + 1
            };
        }
        k - self.leaves
    }
}

/// The pool a request draws from: every member, or one version's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PoolId {
    All,
    Version(usize),
}

pub struct LoadBalancer {
    strategy: Strategy,
    split: TrafficSplit,
    all: Vec<InstanceId>,
    by_version: [Vec<InstanceId>; 2],
    /// Per instance: position in `all` and in its version's pool.
    pos_all: Vec<u32>,
    pos_version: Vec<u32>,
    round_robin: usize,
    /// Least-outstanding only: each instance's outstanding requests as last told
    /// (`set_load`), its version, and the trees of `all` and of each version's pool.
    indexed: bool,
    load: Vec<u32>,
    version_of: Vec<Version>,
    tree_all: MinTree,
    tree_version: [MinTree; 2],
}

impl LoadBalancer {
    /// A load balancer whose least-outstanding picks use the index (see `indexed`).
    pub fn new(strategy: Strategy) -> Self {
        Self::sized(strategy, usize::MAX)
    }

    /// A load balancer for a fleet of at most about `pods` pods: least-outstanding
    /// indexes the loads only from `INDEX_MIN_PODS` pods, because below that a scan of
    /// a pool that fits in cache costs less than keeping two trees at every admission
    /// and completion (at 20 pods the indexed build ran the reference workload 1.3x
    /// slower, BENCHMARKS.md). The pick is the same either way.
    pub fn sized(strategy: Strategy, pods: usize) -> Self {
        LoadBalancer {
            strategy,
            split: TrafficSplit::Pods,
            all: Vec::new(),
            by_version: [Vec::new(), Vec::new()],
            pos_all: Vec::new(),
            pos_version: Vec::new(),
            round_robin: 0,
            indexed: strategy == Strategy::LeastOutstanding && pods >= INDEX_MIN_PODS,
            load: Vec::new(),
            version_of: Vec::new(),
            tree_all: MinTree::default(),
            tree_version: [MinTree::default(), MinTree::default()],
        }
    }

    /// Whether the engine must report outstanding counts (`set_load`).
    #[inline]
    pub fn indexes_load(&self) -> bool {
        self.indexed
    }

    /// An instance's queued plus in-service requests changed to `n` (least-outstanding
    /// only; members or not: a pod's count is kept for when it joins).
    #[inline]
    pub fn set_load(&mut self, id: InstanceId, n: usize) {
        if !self.indexed {
            return;
        }
        let k = id.index();
        if self.load.len() <= k {
            self.load.resize(k + 1, 0);
        }
        let n = n.min(u32::MAX as usize - 1) as u32;
        self.load[k] = n;
        if self.contains(id) {
            self.tree_all.set(self.pos_all[k] as usize, n);
            let v = self.version_of[k].index();
            self.tree_version[v].set(self.pos_version[k] as usize, n);
        }
    }

    fn load_of(&self, id: InstanceId) -> u32 {
        self.load.get(id.index()).copied().unwrap_or(0)
    }

    /// Copies the load of whatever now sits at `at` of a pool (or nothing) into its
    /// tree, and clears the leaf past the pool's end: after a swap-remove.
    fn retree(&mut self, pool: PoolId, at: usize) {
        let (ids, tree) = match pool {
            PoolId::All => (&self.all, &mut self.tree_all),
            PoolId::Version(v) => (&self.by_version[v], &mut self.tree_version[v]),
        };
        let len = ids.len();
        if let Some(&moved) = ids.get(at) {
            let n = self.load.get(moved.index()).copied().unwrap_or(0);
            tree.set(at, n);
        }
        tree.set(len, u32::MAX);
    }

    pub fn set_split(&mut self, split: TrafficSplit) {
        self.split = split;
    }

    pub fn split(&self) -> TrafficSplit {
        self.split
    }

    pub fn members(&self) -> &[InstanceId] {
        &self.all
    }

    pub fn contains(&self, id: InstanceId) -> bool {
        self.pos_all.get(id.index()).is_some_and(|&p| p != ABSENT)
    }

    pub fn add(&mut self, id: InstanceId, v: Version) {
        if self.contains(id) {
            return;
        }
        if self.pos_all.len() <= id.index() {
            self.pos_all.resize(id.index() + 1, ABSENT);
            self.pos_version.resize(id.index() + 1, ABSENT);
            self.version_of.resize(id.index() + 1, Version::Baseline);
        }
        self.version_of[id.index()] = v;
        self.pos_all[id.index()] = self.all.len() as u32;
        self.all.push(id);
        let pool = &mut self.by_version[v.index()];
        self.pos_version[id.index()] = pool.len() as u32;
        pool.push(id);
        if self.indexed {
            let n = self.load_of(id);
            self.tree_all.set(self.all.len() - 1, n);
            self.tree_version[v.index()].set(self.by_version[v.index()].len() - 1, n);
        }
    }

    pub fn remove(&mut self, id: InstanceId, v: Version) {
        if !self.contains(id) {
            return;
        }
        let at_all = self.pos_all[id.index()] as usize;
        let at_version = self.pos_version[id.index()] as usize;
        swap_remove(&mut self.all, &mut self.pos_all, id);
        swap_remove(&mut self.by_version[v.index()], &mut self.pos_version, id);
        if self.indexed {
            self.retree(PoolId::All, at_all);
            self.retree(PoolId::Version(v.index()), at_version);
        }
    }

    /// Picks the instance for one request, `None` if no instance is a member.
    /// `outstanding` gives an instance's queued plus in-service requests.
    #[inline]
    pub fn route<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        outstanding: impl Fn(InstanceId) -> usize,
    ) -> Option<InstanceId> {
        let which = Self::pool_id(self.split, &self.by_version, rng);
        let pool = match which {
            PoolId::All => &self.all[..],
            PoolId::Version(v) => &self.by_version[v][..],
        };
        if pool.is_empty() {
            return None;
        }
        let n = pool.len();
        let pick = match self.strategy {
            Strategy::Random => pool[index(rng, n)],
            Strategy::RoundRobin => {
                self.round_robin = self.round_robin.wrapping_add(1);
                pool[self.round_robin % n]
            }
            Strategy::LeastOutstanding if !self.indexed => {
                // Ties go to the earliest member, which is deterministic.
                *pool
                    .iter()
                    .min_by_key(|&&id| outstanding(id))
                    .expect("non-empty")
            }
            Strategy::LeastOutstanding => {
                // The index's pick: the earliest position among the least loaded.
                let tree = match which {
                    PoolId::All => &self.tree_all,
                    PoolId::Version(v) => &self.tree_version[v],
                };
                let pick = pool[tree.leftmost_min()];
                if cfg!(test) || cfg!(debug_assertions) {
                    let scan = *pool
                        .iter()
                        .min_by_key(|&&id| outstanding(id))
                        .expect("non-empty");
                    assert_eq!(pick, scan, "the load index disagrees with a scan");
                }
                pick
            }
            Strategy::PowerOfTwo => {
                let a = pool[index(rng, n)];
                let b = pool[index(rng, n)];
                if outstanding(b) < outstanding(a) {
                    b
                } else {
                    a
                }
            }
        };
        Some(pick)
    }

    /// The members eligible for this request under the traffic split, `None` if there
    /// are none.
    #[inline]
    fn pool<'a, R: Rng + ?Sized>(
        split: TrafficSplit,
        all: &'a [InstanceId],
        by_version: &'a [Vec<InstanceId>; 2],
        rng: &mut R,
    ) -> Option<&'a [InstanceId]> {
        let pool: &[InstanceId] = match Self::pool_id(split, by_version, rng) {
            PoolId::All => all,
            PoolId::Version(v) => &by_version[v],
        };
        (!pool.is_empty()).then_some(pool)
    }

    /// Which pool: every member, or (under a candidate weight) one version's.
    #[inline]
    fn pool_id<R: Rng + ?Sized>(
        split: TrafficSplit,
        by_version: &[Vec<InstanceId>; 2],
        rng: &mut R,
    ) -> PoolId {
        match split {
            TrafficSplit::Pods => PoolId::All,
            TrafficSplit::CandidateWeight(w) => {
                let [base, cand] = by_version;
                let want_candidate = unit(rng) < w;
                match (want_candidate, cand.is_empty(), base.is_empty()) {
                    (true, false, _) | (false, false, true) => {
                        PoolId::Version(Version::Candidate.index())
                    }
                    _ => PoolId::Version(Version::Baseline.index()),
                }
            }
        }
    }

    /// As `route`, with per-instance weights (weight skew, slow start) up to
    /// `w_max`. Random and round-robin picks are thinned by weight; least-outstanding
    /// and power-of-two compare outstanding requests per unit of weight.
    pub fn route_weighted<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        outstanding: impl Fn(InstanceId) -> usize,
        weight: impl Fn(InstanceId) -> f64,
        w_max: f64,
    ) -> Option<InstanceId> {
        let strategy = self.strategy;
        let mut round_robin = self.round_robin;
        let pool = Self::pool(self.split, &self.all, &self.by_version, rng)?;
        let n = pool.len();
        // Thinning: keep a candidate with probability weight / max; give up after a
        // bounded number of tries (all weights near zero) and take the last one.
        const TRIES: usize = 64;
        let load = |id: InstanceId| (outstanding(id) as f64 + 1.0) / weight(id).max(1e-9);
        let pick = match strategy {
            Strategy::Random | Strategy::PowerOfTwo => {
                let draw = |rng: &mut R| {
                    let mut id = pool[index(rng, n)];
                    for _ in 0..TRIES {
                        if unit(rng) * w_max < weight(id) {
                            break;
                        }
                        id = pool[index(rng, n)];
                    }
                    id
                };
                let a = draw(rng);
                if strategy == Strategy::Random {
                    a
                } else {
                    let b = draw(rng);
                    if load(b) < load(a) { b } else { a }
                }
            }
            Strategy::RoundRobin => {
                let mut id = pool[0];
                for _ in 0..TRIES {
                    round_robin = round_robin.wrapping_add(1);
                    id = pool[round_robin % n];
                    if unit(rng) * w_max < weight(id) {
                        break;
                    }
                }
                id
            }
            Strategy::LeastOutstanding => *pool
                .iter()
                .min_by(|&&a, &&b| load(a).total_cmp(&load(b)))
                .expect("non-empty"),
        };
        self.round_robin = round_robin;
        Some(pick)
    }
}

fn swap_remove(pool: &mut Vec<InstanceId>, pos: &mut [u32], id: InstanceId) {
    let at = pos[id.index()] as usize;
    pool.swap_remove(at);
    if let Some(&moved) = pool.get(at) {
        pos[moved.index()] = at as u32;
    }
    pos[id.index()] = ABSENT;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, RunSeed};

    fn lb_with(strategy: Strategy, n: u32) -> LoadBalancer {
        let mut lb = LoadBalancer::new(strategy);
        for i in 0..n {
            let v = if i % 2 == 0 {
                Version::Baseline
            } else {
                Version::Candidate
            };
            lb.add(InstanceId(i), v);
        }
        lb
    }

    #[test]
    fn membership_survives_removals() {
        let mut lb = lb_with(Strategy::Random, 6);
        lb.remove(InstanceId(0), Version::Baseline);
        lb.remove(InstanceId(3), Version::Candidate);
        lb.remove(InstanceId(3), Version::Candidate);
        let mut m = lb.members().to_vec();
        m.sort();
        assert_eq!(
            m,
            vec![InstanceId(1), InstanceId(2), InstanceId(4), InstanceId(5)]
        );
        assert!(!lb.contains(InstanceId(0)));
        lb.add(InstanceId(0), Version::Baseline);
        assert!(lb.contains(InstanceId(0)));
    }

    #[test]
    fn weights_split_traffic() {
        let mut lb = lb_with(Strategy::Random, 10);
        lb.set_split(TrafficSplit::CandidateWeight(0.2));
        let mut rng = RunSeed::new(1, 0, 0).stream(Purpose::Routing);
        let n = 50_000;
        let to_candidate = (0..n)
            .filter(|_| lb.route(&mut rng, |_| 0).unwrap().0 % 2 == 1)
            .count();
        let share = to_candidate as f64 / n as f64;
        assert!((share - 0.2).abs() < 0.01, "{share}");
    }

    #[test]
    fn least_outstanding_and_p2c_prefer_idle() {
        let busy = |id: InstanceId| if id.0 == 2 { 0 } else { 5 };
        let mut rng = RunSeed::new(1, 0, 0).stream(Purpose::Routing);
        let mut lb = lb_with(Strategy::LeastOutstanding, 4);
        for i in 0..4 {
            lb.set_load(InstanceId(i), busy(InstanceId(i)));
        }
        assert_eq!(lb.route(&mut rng, busy), Some(InstanceId(2)));
        let mut lb = lb_with(Strategy::PowerOfTwo, 4);
        let hits = (0..10_000)
            .filter(|_| lb.route(&mut rng, busy) == Some(InstanceId(2)))
            .count();
        // P(instance 2 is among two picks) = 1 - (3/4)^2 = 0.4375.
        assert!((4_100..4_650).contains(&hits), "{hits}");
        let mut lb = lb_with(Strategy::RoundRobin, 4);
        let picks: Vec<u32> = (0..4)
            .map(|_| lb.route(&mut rng, busy).unwrap().0)
            .collect();
        let mut sorted = picks.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            vec![0, 1, 2, 3],
            "round robin visits each once: {picks:?}"
        );
    }

    #[test]
    fn weights_skew_random_routing() {
        let mut lb = lb_with(Strategy::Random, 4);
        let mut rng = RunSeed::new(1, 0, 0).stream(Purpose::Routing);
        // Instance 0 weighs 3, the others 1: it should get 3 / 6 of the traffic.
        let weight = |id: InstanceId| if id.0 == 0 { 3.0 } else { 1.0 };
        let n = 60_000;
        let hits = (0..n)
            .filter(|_| lb.route_weighted(&mut rng, |_| 0, weight, 3.0) == Some(InstanceId(0)))
            .count();
        let share = hits as f64 / n as f64;
        assert!((share - 0.5).abs() < 0.01, "{share}");
        // Least-outstanding compares load per unit of weight.
        let mut lb = lb_with(Strategy::LeastOutstanding, 4);
        let busy = |id: InstanceId| if id.0 == 0 { 2 } else { 1 };
        assert_eq!(
            lb.route_weighted(&mut rng, busy, weight, 3.0),
            Some(InstanceId(0))
        );
    }

    /// The indexed least-outstanding pick is the scan's through joins, leaves (which
    /// move the last member into the gap), load changes and both traffic splits: ties
    /// go to the earliest pool position. (`route` itself asserts the agreement in
    /// tests; this drives it through a long random history and checks it again.)
    #[test]
    fn least_outstanding_index_matches_a_scan() {
        let mut rng = RunSeed::new(7, 0, 0).stream(Purpose::Routing);
        let mut ops = RunSeed::new(8, 0, 0).stream(Purpose::Faults);
        let mut lb = LoadBalancer::new(Strategy::LeastOutstanding);
        let mut load = vec![0usize; 300];
        let version = |i: u32| {
            if i.is_multiple_of(3) {
                Version::Candidate
            } else {
                Version::Baseline
            }
        };
        for step in 0..20_000u32 {
            let id = InstanceId(index(&mut ops, 300) as u32);
            match index(&mut ops, 10) {
                0 => lb.add(id, version(id.0)),
                1 => lb.remove(id, version(id.0)),
                _ => {
                    // Few distinct values, so ties are common.
                    load[id.index()] = index(&mut ops, 4);
                    lb.set_load(id, load[id.index()]);
                }
            }
            if step.is_multiple_of(1000) {
                lb.set_split(if step.is_multiple_of(2000) {
                    TrafficSplit::Pods
                } else {
                    TrafficSplit::CandidateWeight(0.3)
                });
            }
            let split = lb.split();
            let mut twin = rng.clone();
            let got = lb.route(&mut rng, |id| load[id.index()]);
            let pool: Vec<InstanceId> = match split {
                TrafficSplit::Pods => lb.members().to_vec(),
                TrafficSplit::CandidateWeight(w) => {
                    let want = unit(&mut twin) < w;
                    let [b, c] = &lb.by_version;
                    match (want, c.is_empty(), b.is_empty()) {
                        (true, false, _) | (false, false, true) => c.clone(),
                        _ => b.clone(),
                    }
                }
            };
            let scan = pool.iter().copied().min_by_key(|id| load[id.index()]);
            assert_eq!(got, scan, "step {step}");
        }
    }

    /// A tie at the minimum goes to the earliest pool position, not the lowest id:
    /// after instance 0 leaves, the last member (3) takes its position 0.
    #[test]
    fn least_outstanding_tie_goes_to_the_earliest_position() {
        let mut rng = RunSeed::new(1, 0, 0).stream(Purpose::Routing);
        let mut lb = LoadBalancer::new(Strategy::LeastOutstanding);
        for i in 0..4 {
            lb.add(InstanceId(i), Version::Baseline);
        }
        lb.remove(InstanceId(0), Version::Baseline);
        assert_eq!(lb.members(), &[InstanceId(3), InstanceId(1), InstanceId(2)]);
        assert_eq!(lb.route(&mut rng, |_| 0), Some(InstanceId(3)));
        // One request more on 3: the next earliest of the least loaded is 1.
        lb.set_load(InstanceId(3), 1);
        let loads = |id: InstanceId| usize::from(id.0 == 3);
        assert_eq!(lb.route(&mut rng, loads), Some(InstanceId(1)));
    }

    /// Least-outstanding indexes from `INDEX_MIN_PODS` pods on, and scans below; the
    /// two pick alike (the scan is given loads the index never heard of).
    #[test]
    fn small_fleets_scan_and_pick_alike() {
        assert!(
            !LoadBalancer::sized(Strategy::LeastOutstanding, INDEX_MIN_PODS - 1).indexes_load()
        );
        assert!(LoadBalancer::sized(Strategy::LeastOutstanding, INDEX_MIN_PODS).indexes_load());
        assert!(!LoadBalancer::sized(Strategy::Random, 10_000).indexes_load());
        let mut rng = RunSeed::new(1, 0, 0).stream(Purpose::Routing);
        let mut lb = LoadBalancer::sized(Strategy::LeastOutstanding, 4);
        for i in 0..4 {
            lb.add(InstanceId(i), Version::Baseline);
        }
        let busy = |id: InstanceId| if id.0 == 2 { 0 } else { 5 };
        assert_eq!(lb.route(&mut rng, busy), Some(InstanceId(2)));
        assert_eq!(lb.route(&mut rng, |_| 1), Some(InstanceId(0)));
    }

    #[test]
    fn empty_pool_routes_nowhere() {
        let mut lb = LoadBalancer::new(Strategy::Random);
        let mut rng = RunSeed::new(1, 0, 0).stream(Purpose::Routing);
        assert_eq!(lb.route(&mut rng, |_| 0), None);
    }
}
