//! Limited room for pods (`WorldConfig::cluster`): a ResourceQuota on `pods`, node
//! capacity per zone, or both, and the scheduler that places pods in that room.
//!
//! A pod occupies room from the moment it is scheduled until it is gone: starting,
//! ready, crashed (a crash-looping pod keeps its node) and terminating (a quota counts
//! it and its node holds it until it has drained). A pod created when there is no room
//! is `Pending`: it belongs to its ReplicaSet (and so counts against `maxSurge`, which
//! is computed from the ReplicaSets' sizes), but it has no process, is not ready, not
//! available and not in the load balancer. Pending pods are scheduled oldest first
//! (creation order) whenever room appears: a pod is gone, the capacity grows, a zone
//! comes back. Each goes to the first zone with room in the round-robin order pods are
//! spread over zones (`zone_for`).
//!
//! Without `[cluster]` none of this runs: every hook below is behind one `is_some()`
//! test, draws nothing and schedules nothing, so a run without it is what it was.

use std::collections::BTreeMap;

use super::*;
use crate::world::Capacity;

/// The cluster's room and the pods waiting for it.
pub(super) struct Cluster {
    /// The room now: the initial capacity with every change so far applied.
    capacity: Capacity,
    /// Pods holding room (scheduled and not yet gone), in all and in each zone (the
    /// latter only with `zone_pods`).
    occupied: u32,
    zone_occupied: Vec<u32>,
    /// Pending pods, oldest first (ids are given in creation order), with the moment
    /// each went Pending: the scheduler's queue.
    pending: BTreeMap<InstanceId, SimTime>,
}

/// Why a pod cannot be scheduled now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NoRoom {
    /// The quota (`max_pods`) is used up.
    Quota(u32),
    /// Every zone is full or down.
    Zones,
}

impl NoRoom {
    fn describe(self) -> String {
        match self {
            NoRoom::Quota(max) => format!("no room: quota of {max} pods in use"),
            NoRoom::Zones => "no room: zone capacity (every zone full or down)".to_string(),
        }
    }
}

impl Cluster {
    pub(super) fn new(cfg: &crate::world::ClusterConfig) -> Cluster {
        let zones = cfg.capacity.zone_pods.as_ref().map_or(0, Vec::len);
        Cluster {
            capacity: cfg.capacity.clone(),
            occupied: 0,
            zone_occupied: vec![0; zones],
            pending: BTreeMap::new(),
        }
    }
}

/// The zones pods are spread over: `zone_pods`' length when the cluster gives per-zone
/// capacity (the scenario reader and `WorldConfig::check` make zone-loss faults agree
/// with it), else what the faults say.
pub(super) fn zones(cfg: &WorldConfig, from_faults: u32) -> u32 {
    cfg.cluster
        .as_ref()
        .and_then(|c| c.capacity.zone_pods.as_ref())
        .map_or(from_faults, |z| z.len() as u32)
}

/// A capacity as a log line shows it: `max_pods 20, zone_pods [7, 7, 6]`.
fn describe(c: &Capacity) -> String {
    let mut parts = Vec::new();
    if let Some(m) = c.max_pods {
        parts.push(format!("max_pods {m}"));
    }
    if let Some(z) = &c.zone_pods {
        parts.push(format!("zone_pods {z:?}"));
    }
    parts.join(", ")
}

impl World<'_> {
    /// Queues one event per capacity change within the horizon.
    pub(super) fn schedule_capacity_changes(&mut self) {
        let Some(c) = &self.cfg.cluster else {
            return;
        };
        for (k, (at, _)) in c.changes.iter().enumerate() {
            if *at <= self.cfg.horizon {
                self.queue
                    .push(*at, Event::CapacityChange { change: k as u32 });
            }
        }
    }

    /// The zone a pod would be scheduled to now, or why there is none.
    fn room_for(&self, id: InstanceId) -> Result<u32, NoRoom> {
        let c = self.cluster.as_ref().expect("a cluster");
        if let Some(max) = c.capacity.max_pods
            && c.occupied >= max
        {
            return Err(NoRoom::Quota(max));
        }
        let Some(zone_pods) = &c.capacity.zone_pods else {
            return Ok(self.zone_for(id));
        };
        let zones = self.index.zones;
        (0..zones)
            .map(|k| (id.0 + k) % zones)
            .find(|&z| {
                self.zones_down & (1 << z) == 0
                    && c.zone_occupied[z as usize] < zone_pods[z as usize]
            })
            .ok_or(NoRoom::Zones)
    }

    /// Schedules a new pod if there is room (it then starts as any pod does); otherwise
    /// it stays Pending. Returns whether it was scheduled.
    pub(super) fn schedule_new(&mut self, id: InstanceId) -> bool {
        match self.room_for(id) {
            Ok(zone) => {
                self.bind(id, zone);
                true
            }
            Err(why) => {
                self.make_pending(id, why.describe());
                false
            }
        }
    }

    fn bind(&mut self, id: InstanceId, zone: u32) {
        let c = self.cluster.as_mut().expect("a cluster");
        c.occupied += 1;
        if let Some(n) = c.zone_occupied.get_mut(zone as usize) {
            *n += 1;
        }
        self.instances[id.index()].zone = zone;
    }

    /// The pod no longer holds room (it is gone, or it left a zone that is down).
    fn release(&mut self, id: InstanceId) {
        let zone = self.instances[id.index()].zone as usize;
        let c = self.cluster.as_mut().expect("a cluster");
        c.occupied -= 1;
        if let Some(n) = c.zone_occupied.get_mut(zone) {
            *n -= 1;
        }
    }

    /// The pod waits for room: no process, not ready, not available. Logged once per
    /// time it goes Pending, never per scheduling attempt.
    fn make_pending(&mut self, id: InstanceId, why: String) {
        self.untally(id);
        let inst = &mut self.instances[id.index()];
        inst.state = PodState::Pending;
        inst.available = false;
        inst.ready_since = None;
        self.tally(id);
        let inst = &self.instances[id.index()];
        let version = inst.version;
        let now = self.now;
        self.cluster
            .as_mut()
            .expect("a cluster")
            .pending
            .insert(id, now);
        self.log.push(LogRecord::new(
            now,
            LogKind::Schedule,
            id.to_string(),
            format!("{version} Pending: {why}"),
        ));
    }

    /// Schedules Pending pods, oldest first, while there is room. Room does not depend
    /// on which pod asks (every pod may go to every zone), so the first pod that finds
    /// none ends the pass.
    pub(super) fn schedule_pending(&mut self) {
        let mut scheduled = false;
        while let Some((&id, &since)) = self
            .cluster
            .as_ref()
            .and_then(|c| c.pending.first_key_value())
        {
            let Ok(zone) = self.room_for(id) else {
                break;
            };
            self.cluster
                .as_mut()
                .expect("a cluster")
                .pending
                .remove(&id);
            self.bind(id, zone);
            let version = self.instances[id.index()].version;
            self.log.push(LogRecord::new(
                self.now,
                LogKind::Schedule,
                id.to_string(),
                format!(
                    "{version} scheduled to zone {zone} after {} Pending",
                    self.now.since(since)
                ),
            ));
            self.start_process(id, Start::Cold);
            scheduled = true;
        }
        if scheduled {
            self.fleet_changed();
        }
    }

    /// A pod is gone (`terminate`): a Pending one leaves the queue; a scheduled one frees
    /// its room, which the oldest Pending pods take.
    pub(super) fn left_cluster(&mut self, id: InstanceId, was: PodState) {
        match was {
            PodState::Terminated => {}
            PodState::Pending => {
                self.cluster
                    .as_mut()
                    .expect("a cluster")
                    .pending
                    .remove(&id);
            }
            _ => {
                self.release(id);
                self.schedule_pending();
            }
        }
    }

    /// With per-zone capacity, a pod whose restart comes while its zone is still down
    /// is not restarted in place: it goes Pending and waits for room in another zone
    /// (taking it at once if there is some). Returns whether it did.
    pub(super) fn restart_elsewhere(&mut self, id: InstanceId) -> bool {
        let Some(c) = &self.cluster else {
            return false;
        };
        let zone = self.instances[id.index()].zone;
        if c.capacity.zone_pods.is_none() || self.zones_down & (1 << zone) == 0 {
            return false;
        }
        self.release(id);
        self.make_pending(
            id,
            format!("zone {zone} is down; waiting for room elsewhere"),
        );
        self.schedule_pending();
        self.fleet_changed();
        true
    }

    /// A capacity change: the new room applies at once. Room that grew is taken by
    /// Pending pods; room that shrank below what is scheduled evicts the newest pods
    /// beyond it (a graceful delete: a ready pod drains, and holds its room until it is
    /// gone), first in each zone over its capacity, then over the quota. Pods already
    /// terminating are leaving anyway and are not counted as excess. The ReplicaSets
    /// replace the evicted pods, and the replacements wait Pending.
    pub(super) fn change_capacity(&mut self, change: usize) {
        let cfg = self.cfg.cluster.as_ref().expect("a cluster");
        let next = &cfg.changes[change].1;
        let c = self.cluster.as_mut().expect("a cluster");
        let before = describe(&c.capacity);
        if let Some(m) = next.max_pods {
            c.capacity.max_pods = Some(m);
        }
        if let Some(z) = &next.zone_pods {
            c.capacity.zone_pods = Some(z.clone());
        }
        let after = describe(&c.capacity);
        self.log.push(LogRecord::new(
            self.now,
            LogKind::Schedule,
            "cluster",
            format!("capacity changed: {before} -> {after}"),
        ));
        let victims = self.eviction_victims();
        for &id in &victims {
            let version = self.instances[id.index()].version;
            self.log.push(LogRecord::new(
                self.now,
                LogKind::Schedule,
                id.to_string(),
                format!("{version} evicted: the cluster's room shrank ({after})"),
            ));
            self.delete_pod(id);
        }
        if !victims.is_empty() {
            for v in Version::ALL {
                self.reconcile(v);
            }
        }
        self.schedule_pending();
        self.fleet_changed();
    }

    /// The pods a shrunk capacity evicts, newest first.
    fn eviction_victims(&self) -> Vec<InstanceId> {
        let c = self.cluster.as_ref().expect("a cluster");
        // Scheduled pods that are not already leaving, newest first.
        let staying: Vec<InstanceId> = self
            .live
            .iter()
            .rev()
            .copied()
            .filter(|&id| {
                matches!(
                    self.instances[id.index()].state,
                    PodState::Starting | PodState::Ready | PodState::Crashed
                )
            })
            .collect();
        // Marked by position in `staying`, so a big eviction stays linear.
        let mut evict = vec![false; staying.len()];
        let mut kept = staying.len() as u32;
        if let Some(zone_pods) = &c.capacity.zone_pods {
            let mut in_zone = vec![0u32; zone_pods.len()];
            for &id in &staying {
                in_zone[self.instances[id.index()].zone as usize] += 1;
            }
            for (k, &id) in staying.iter().enumerate() {
                let z = self.instances[id.index()].zone as usize;
                if in_zone[z] > zone_pods[z] {
                    in_zone[z] -= 1;
                    kept -= 1;
                    evict[k] = true;
                }
            }
        }
        if let Some(max) = c.capacity.max_pods {
            for e in evict.iter_mut() {
                if kept <= max {
                    break;
                }
                if !*e {
                    kept -= 1;
                    *e = true;
                }
            }
        }
        // `staying` is newest first, and so are the victims.
        let victims: Vec<InstanceId> = staying
            .iter()
            .zip(&evict)
            .filter_map(|(&id, &e)| e.then_some(id))
            .collect();
        victims
    }

    /// Pods Pending now (the run's end: `RunRecord::pending_end`).
    pub(super) fn pending_count(&self) -> u32 {
        self.cluster.as_ref().map_or(0, |c| c.pending.len() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RunRecord;
    use crate::testing;
    use crate::world::ClusterConfig;

    /// A controller that sets ReplicaSet sizes at given times and nothing else.
    struct Script {
        steps: Vec<(SimTime, Version, u32)>,
        next: usize,
    }

    impl Script {
        fn new(steps: &[(u64, Version, u32)]) -> Script {
            Script {
                steps: steps
                    .iter()
                    .map(|&(t, v, n)| (SimTime::from_secs(t), v, n))
                    .collect(),
                next: 0,
            }
        }
    }

    impl Controller for Script {
        fn sync(&mut self, obs: &Observation<'_>, act: &mut Actions) {
            while let Some(&(at, v, n)) = self.steps.get(self.next) {
                if at > obs.now {
                    act.wake_at(at);
                    return;
                }
                act.set_replicas(v, n);
                self.next += 1;
            }
        }
    }

    fn cluster(max_pods: Option<u32>, zone_pods: Option<Vec<u32>>) -> ClusterConfig {
        ClusterConfig {
            capacity: Capacity {
                max_pods,
                zone_pods,
            },
            changes: Vec::new(),
        }
    }

    /// `replicas` warm pods, no traffic (nothing but the pods' own lifecycle happens).
    fn quiet(replicas: u32, horizon_s: u64, c: ClusterConfig) -> WorldConfig {
        let mut w = testing::world(1, horizon_s);
        w.fleet.replicas = replicas;
        w.traffic = crate::traffic::RateProfile::Constant { rate: 0.0 };
        w.cluster = Some(c);
        w
    }

    fn lines(rec: &RunRecord, kind: LogKind) -> Vec<(f64, String, String)> {
        rec.log
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| (r.at.as_secs_f64(), r.subject.clone(), r.reason.clone()))
            .collect()
    }

    /// The state counts of the last scrape at or before `t` seconds.
    fn at(rec: &RunRecord, t: u64) -> &crate::record::TimelineRow {
        rec.timeline
            .iter()
            .rev()
            .find(|r| r.at <= SimTime::from_secs(t))
            .expect("a scrape")
    }

    /// Room for exactly N pods: the N-th is scheduled, the (N+1)-th is Pending, and a
    /// Pending pod is a pod of its ReplicaSet that is neither ready nor available.
    #[test]
    fn the_nth_pod_fits_and_the_next_one_is_pending() {
        let cfg = quiet(3, 60, cluster(Some(5), None));
        cfg.check().unwrap();
        // 3 warm baseline pods; the candidate asks for 2 (pods 4 and 5: both fit), then
        // 3 (pod 6: Pending).
        let rec = run(
            &cfg,
            &mut Script::new(&[(5, Version::Candidate, 2), (20, Version::Candidate, 3)]),
        );
        let sched = lines(&rec, LogKind::Schedule);
        assert_eq!(
            sched,
            [(
                20.0,
                "i5".to_string(),
                "candidate Pending: no room: quota of 5 pods in use".to_string()
            )],
            "exactly one pod goes Pending, once"
        );
        let row = at(&rec, 45);
        let c = row.pods[Version::Candidate.index()];
        assert_eq!((c.pending, c.ready, c.starting), (1, 2, 0));
        assert_eq!(row.available, 5, "the Pending pod is not available");
        let last = rec.fleet.last().unwrap().cohorts[Version::Candidate.index()];
        assert_eq!((last.pods, last.ready, last.available), (3, 2, 2));
        assert_eq!(rec.pending_end, 1);
        assert_eq!(rec.instances_max, 6, "a Pending pod is a pod");
    }

    /// Room freed by a draining pod is taken by the oldest Pending pod only once the
    /// draining pod is gone, not when it starts draining.
    #[test]
    fn freed_room_goes_to_the_oldest_pending_pod_once_the_pod_is_gone() {
        let mut cfg = quiet(2, 120, cluster(Some(2), None));
        // Traffic with a long service time so that a deleted pod drains for a while.
        cfg.traffic = crate::traffic::RateProfile::Constant { rate: 2.0 };
        cfg.versions[0].service = crate::dist::ServiceDist::Constant {
            value: SimDuration::from_secs(4),
        };
        cfg.fleet.drain_timeout = SimDuration::from_secs(30);
        // Two candidate pods go Pending at 10 s (i2 then i3); at 30 s the baseline
        // scales to 1: one baseline pod drains, and its room goes to i2, the older.
        let rec = run(
            &cfg,
            &mut Script::new(&[(10, Version::Candidate, 2), (30, Version::Baseline, 1)]),
        );
        let sched = lines(&rec, LogKind::Schedule);
        assert_eq!(sched.len(), 3, "{sched:?}");
        assert_eq!((sched[0].0, sched[0].1.as_str()), (10.0, "i2"));
        assert_eq!((sched[1].0, sched[1].1.as_str()), (10.0, "i3"));
        let (t, who, why) = &sched[2];
        assert_eq!(who, "i2", "the oldest Pending pod goes first");
        assert!(
            why.starts_with("candidate scheduled to zone 0 after"),
            "{why}"
        );
        assert!(
            *t > 30.0,
            "scheduled at {t}: only after the draining pod is gone, not when it began"
        );
        assert!(*t <= 30.0 + 30.0, "at most the drain timeout later");
        let row = at(&rec, 119);
        assert_eq!(row.pods[1].pending, 1, "i3 still waits");
        assert_eq!(rec.pending_end, 1);
    }

    /// A shrink evicts exactly the excess, newest first, and the ReplicaSet replaces
    /// the evicted pods with Pending ones; growth schedules them, oldest first.
    #[test]
    fn a_shrink_evicts_the_newest_excess_and_growth_schedules_the_pending() {
        let mut c = cluster(Some(10), None);
        c.changes = vec![
            (
                SimTime::from_secs(30),
                Capacity {
                    max_pods: Some(7),
                    zone_pods: None,
                },
            ),
            (
                SimTime::from_secs(60),
                Capacity {
                    max_pods: Some(9),
                    zone_pods: None,
                },
            ),
        ];
        let cfg = quiet(10, 120, c);
        cfg.check().unwrap();
        let rec = run(&cfg, &mut Script::new(&[]));
        let sched = lines(&rec, LogKind::Schedule);
        let evicted: Vec<&str> = sched
            .iter()
            .filter(|l| l.2.contains("evicted"))
            .map(|l| l.1.as_str())
            .collect();
        assert_eq!(evicted, ["i9", "i8", "i7"], "exactly three, newest first");
        let pending: Vec<&str> = sched
            .iter()
            .filter(|l| l.2.contains("Pending:"))
            .map(|l| l.1.as_str())
            .collect();
        assert_eq!(pending, ["i10", "i11", "i12"], "the replacements wait");
        assert_eq!(at(&rec, 45).pods[0].pending, 3);
        assert_eq!(at(&rec, 45).pods[0].ready, 7);
        let scheduled: Vec<(f64, &str)> = sched
            .iter()
            .filter(|l| l.2.contains("scheduled"))
            .map(|l| (l.0, l.1.as_str()))
            .collect();
        assert_eq!(scheduled, [(60.0, "i10"), (60.0, "i11")], "growth by two");
        assert_eq!(rec.pending_end, 1);
        assert!(
            sched[0].2.contains("max_pods 10 -> max_pods 7"),
            "{sched:?}"
        );
    }

    /// Per-zone capacity: a pod goes to the first zone with room from its round-robin
    /// zone; a lost zone's room is gone while it is down, its victims that restart
    /// while it is still down wait for room elsewhere, and the zone's return schedules
    /// them.
    #[test]
    fn zones_take_pods_round_robin_and_a_lost_zone_takes_its_room() {
        use crate::fault::{FaultDef, FaultKind, Target, Window};
        let mut cfg = quiet(4, 200, cluster(None, Some(vec![3, 2])));
        cfg.faults.push(FaultDef {
            name: "zone".into(),
            target: Target::version(Version::Baseline),
            window: Window {
                start: SimTime::from_secs(50),
                end: SimTime::from_secs(150),
                period: None,
            },
            release: false,
            kind: FaultKind::World(WorldFault::ZoneLoss {
                zones: 2,
                zone: 1,
                reschedule: SimDuration::from_secs(20),
            }),
        });
        cfg.check().unwrap();
        // i0..i3 warm: zones 0, 1, 0, 1. The candidate's i4 (round-robin start: zone
        // 0) is the third pod in zone 0; i5 starts at zone 1, full (i1, i3), then zone
        // 0, full too: Pending.
        let rec = run(&cfg, &mut Script::new(&[(10, Version::Candidate, 2)]));
        let sched = lines(&rec, LogKind::Schedule);
        assert_eq!(
            sched[0],
            (
                10.0,
                "i5".to_string(),
                "candidate Pending: no room: zone capacity (every zone full or down)".to_string()
            )
        );
        // At 50 s zone 1 is lost (i1, i3 crash); at 70 s they restart, zone still
        // down: Pending (zone 0 is full). At 150 s the zone is back: i1, i3 (older than
        // i5) are scheduled to zone 1 and fill it; i5 still waits.
        let pend: Vec<(f64, &str)> = sched
            .iter()
            .filter(|l| l.2.contains("zone 1 is down"))
            .map(|l| (l.0, l.1.as_str()))
            .collect();
        assert_eq!(pend, [(70.0, "i1"), (70.0, "i3")]);
        let back: Vec<(f64, &str, &str)> = sched
            .iter()
            .filter(|l| l.2.contains("scheduled"))
            .map(|l| (l.0, l.1.as_str(), l.2.as_str()))
            .collect();
        assert_eq!(back.len(), 2, "{back:?}");
        assert_eq!((back[0].0, back[0].1), (150.0, "i1"));
        assert_eq!((back[1].0, back[1].1), (150.0, "i3"));
        assert!(back[0].2.contains("to zone 1"));
        assert_eq!(at(&rec, 100).pods[0].pending, 2);
        assert_eq!(at(&rec, 199).pods[0].ready, 4);
        assert_eq!(rec.pending_end, 1);
    }

    /// The ReplicaSet deletes Pending pods first when it scales down (Kubernetes'
    /// `ActivePods` order: unassigned before assigned), even before crash-looping pods
    /// with more restarts, and at once.
    #[test]
    fn a_scale_down_deletes_pending_pods_first_and_at_once() {
        let mut cfg = quiet(2, 60, cluster(Some(4), None));
        cfg.versions[1].crash_on_start_probability = 1.0;
        // The candidate asks for 3 at 5 s: i2 and i3 fit (and crash-loop), i4 waits.
        // At 40 s it asks for 2: i4 goes, though i2 and i3 have restarted twice.
        let rec = run(
            &cfg,
            &mut Script::new(&[(5, Version::Candidate, 3), (40, Version::Candidate, 2)]),
        );
        let sched = lines(&rec, LogKind::Schedule);
        assert_eq!(sched.len(), 1, "i4 was never scheduled: {sched:?}");
        assert_eq!(sched[0].1, "i4");
        let c = rec.fleet.last().unwrap().cohorts[Version::Candidate.index()];
        assert_eq!((c.pods, c.terminating), (2, 0));
        assert!(c.restarts >= 4, "both crash-looping pods stay: {c:?}");
        assert_eq!(rec.pending_end, 0);
    }

    /// A change that shrinks a zone and the quota at once evicts the fewest pods: the
    /// newest of the zone over its capacity first, which also brings the total within
    /// the quota; a newer pod in a zone with room stays.
    #[test]
    fn a_zone_shrink_evicts_in_that_zone_first() {
        let mut c = cluster(Some(6), Some(vec![3, 3]));
        c.changes = vec![(
            SimTime::from_secs(30),
            Capacity {
                max_pods: Some(4),
                zone_pods: Some(vec![3, 1]),
            },
        )];
        let cfg = quiet(6, 60, c);
        cfg.check().unwrap();
        // i0, i2, i4 in zone 0; i1, i3, i5 in zone 1.
        let rec = run(&cfg, &mut Script::new(&[]));
        let sched = lines(&rec, LogKind::Schedule);
        let evicted: Vec<&str> = sched
            .iter()
            .filter(|l| l.2.contains("evicted"))
            .map(|l| l.1.as_str())
            .collect();
        assert_eq!(evicted, ["i5", "i3"], "{sched:?}");
        let pending: Vec<(&str, &str)> = sched
            .iter()
            .filter(|l| l.2.contains("Pending:"))
            .map(|l| (l.1.as_str(), l.2.as_str()))
            .collect();
        assert_eq!(
            pending,
            [
                ("i6", "baseline Pending: no room: quota of 4 pods in use"),
                ("i7", "baseline Pending: no room: quota of 4 pods in use")
            ]
        );
        assert_eq!(at(&rec, 45).pods[0].ready, 4);
    }
}
