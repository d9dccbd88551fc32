//! An instant fleet for driving a controller in unit tests: pods asked for exist at
//! once and become available when the test says so, pods removed terminate and are
//! counted as terminating until the test lets them go. It records every ReplicaSet
//! change, so a test can pin the path a controller takes sync by sync.

use sim_core::log::LogRecord;
use sim_core::metrics::{CohortSample, MetricsStore};
use sim_core::{Actions, CohortStatus, Command, Controller, Observation, Phase, SimTime};

pub(crate) struct Fleet {
    pub now: SimTime,
    pub desired: u32,
    pub spec: [u32; 2],
    pub available: [u32; 2],
    /// Pods deleted and not yet gone, per version.
    pub terminating: [u32; 2],
    pub release_requested: bool,
    pub rollback_requested: Option<SimTime>,
    /// (baseline spec, candidate spec) after every change, in order.
    pub path: Vec<(u32, u32)>,
    /// When each entry of `path` was made.
    pub times: Vec<SimTime>,
    pub phases: Vec<Phase>,
    pub detections: Vec<String>,
    /// Every log record the controller wrote.
    pub log: Vec<LogRecord>,
    pub wake_at: Option<SimTime>,
    /// ReplicaSet changes made by the latest sync.
    pub changes: usize,
    /// Scrapes the controller's gates read (none unless a test adds them).
    pub metrics: MetricsStore,
}

impl Fleet {
    /// `desired` baseline pods, all available, and the release requested.
    pub fn new(desired: u32) -> Fleet {
        Fleet {
            now: SimTime::ZERO,
            desired,
            spec: [desired, 0],
            available: [desired, 0],
            terminating: [0, 0],
            release_requested: true,
            rollback_requested: None,
            path: vec![(desired, 0)],
            times: vec![SimTime::ZERO],
            phases: Vec::new(),
            detections: Vec::new(),
            log: Vec::new(),
            wake_at: None,
            changes: 0,
            metrics: MetricsStore::default(),
        }
    }

    /// The workload's `spec.replicas` changes, as an autoscaler's scale subresource
    /// changes it: the controller sees the new count as `Observation::desired` at its
    /// next sync, and nothing else moves until then.
    pub fn resize(&mut self, n: u32) {
        self.desired = n;
    }

    /// Syncs at this instant, without letting any pod settle, until a sync changes no
    /// ReplicaSet (at most `max` syncs): what the engine does, since every change is a
    /// status change it syncs on.
    pub fn sync_until_quiet(&mut self, c: &mut dyn Controller, max: usize) {
        for _ in 0..max {
            self.sync(c);
            if self.changes == 0 {
                return;
            }
        }
    }

    /// A scrape every 15 s up to `until_secs`, both versions serving `requests` per
    /// scrape without an error.
    pub fn healthy_scrapes(&mut self, until_secs: u64, requests: u64) {
        for t in (15..=until_secs).step_by(15) {
            let c = CohortSample {
                requests,
                ..CohortSample::default()
            };
            self.metrics.push(SimTime::from_secs(t), [c.clone(), c]);
        }
    }

    /// One sync, with its commands applied.
    pub fn sync(&mut self, c: &mut dyn Controller) {
        let fleet = [0, 1].map(|i| CohortStatus {
            spec: self.spec[i],
            pods: self.spec[i],
            ready: self.available[i],
            available: self.available[i],
            restarts: 0,
            terminating: self.terminating[i],
        });
        let obs = Observation {
            now: self.now,
            desired: self.desired,
            release_requested: self.release_requested,
            fleet,
            terminating: self.terminating[0] + self.terminating[1],
            metrics: self.metrics.view(self.now, sim_core::SimDuration::ZERO),
            rollback_requested: self.rollback_requested,
        };
        let mut act = Actions::default();
        c.sync(&obs, &mut act);
        self.wake_at = act.wake_at;
        self.log.append(&mut act.log);
        self.changes = 0;
        for cmd in act.commands {
            match cmd {
                Command::SetReplicas { version, count } => {
                    let i = version.index();
                    if self.spec[i] == count {
                        continue;
                    }
                    if count < self.spec[i] {
                        self.terminating[i] += self.spec[i] - count;
                        // Not-ready pods go first, as the ReplicaSet controller picks them.
                        self.available[i] = self.available[i].min(count);
                    }
                    self.spec[i] = count;
                    self.changes += 1;
                    self.path.push((self.spec[0], self.spec[1]));
                    self.times.push(self.now);
                }
                Command::Phase { phase, .. } => self.phases.push(phase),
                Command::Detected { detector, .. } => self.detections.push(detector),
                Command::SetTraffic(_) => {}
            }
        }
    }

    /// Every pod asked for becomes available and every terminating pod is gone.
    pub fn settle(&mut self) {
        self.available = self.spec;
        self.terminating = [0, 0];
    }

    /// Syncs until the controller asks for nothing at this instant, then lets the pods
    /// settle (or moves the clock to its wake-up), up to `max` syncs; stops at the first
    /// phase in `until`.
    pub fn run(&mut self, c: &mut dyn Controller, max: usize, until: &[Phase]) {
        for _ in 0..max {
            self.sync(c);
            if self.phases.last().is_some_and(|p| until.contains(p)) {
                return;
            }
            if self.changes == 0 {
                let settled = self.available == self.spec && self.terminating == [0, 0];
                if settled {
                    match self.wake_at {
                        Some(t) if t >= self.now => self.now = t,
                        _ => return,
                    }
                } else {
                    self.settle();
                }
            }
        }
    }
}
