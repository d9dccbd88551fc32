//! Fleet bookkeeping and the controller boundary: syncs, commands, the ReplicaSet
//! controller.

use super::*;

impl World<'_> {
    /// A pod's status changed: the controller must look, extremes may move, the data
    /// store may have lost its last writer.
    pub(super) fn fleet_changed(&mut self) {
        self.update_fleet_extremes();
        self.check_recovery();
        if self.data.is_some() {
            self.check_writers();
        }
        self.request_sync();
    }

    /// The change has started and not yet ended (promoted or rolled back).
    pub(super) fn in_change(&self) -> bool {
        self.t_change_start.is_some() && self.t_change_end.is_none()
    }

    pub(super) fn request_sync(&mut self) {
        if !self.sync_pending {
            self.sync_pending = true;
            self.queue.push(self.now, Event::Sync);
        }
    }

    /// Fleet extremes, the first moment of an all-candidate fleet, and which fault (if
    /// any) holds pods down: the cause of slowness that has no direct one.
    /// Read from the tally: O(1) (the held-down pods' first entry is O(log N)).
    pub(super) fn update_fleet_extremes(&mut self) {
        self.check_tally();
        let pods = self.tally.pods;
        let available = self.tally.available_total();
        self.capacity_fault = self.tally.capacity_fault();
        self.instances_max = self.instances_max.max(pods[0] + pods[1]);
        self.available_min = self.available_min.min(available);
        let window = (self.t_change_start, self.t_change_end);
        self.rollout
            .availability(self.now, window, available, self.desired);
        if self.t_full_fleet.is_none() && pods[0] == 0 && pods[1] >= self.desired {
            self.t_full_fleet = Some(self.now);
        }
    }

    /// Read from the tally, O(1). `pods` are the live pods not terminating (every
    /// live state but `Terminating` counts as a pod), `available` those not
    /// terminating (a terminating pod is never available).
    pub(super) fn fleet_status(&self) -> ([CohortStatus; 2], u32) {
        let mut fleet = [CohortStatus::default(); 2];
        let t = &self.tally;
        for v in Version::ALL {
            let k = v.index();
            fleet[k] = CohortStatus {
                spec: self.spec[k],
                pods: t.pods[k],
                ready: t.ready[k],
                available: t.available[k],
                terminating: t.terminating[k],
                restarts: t.restarts[k],
            };
        }
        (fleet, t.terminating[0] + t.terminating[1])
    }

    pub(super) fn sync(&mut self, controller: &mut dyn Controller) {
        let (fleet, terminating) = self.fleet_status();
        if self.fleet.last().is_none_or(|p| p.cohorts != fleet) {
            self.fleet.push(FleetPoint {
                at: self.now,
                cohorts: fleet,
            });
        }
        let mut actions = std::mem::take(&mut self.actions);
        actions.clear();
        {
            let obs = Observation {
                now: self.now,
                desired: self.desired,
                release_requested: self.release_requested,
                fleet,
                terminating,
                metrics: self.detector_view(),
                rollback_requested: self.rollback_requested,
            };
            controller.sync(&obs, &mut actions);
        }
        self.log.append(&mut actions.log);
        for cmd in actions.commands.drain(..) {
            self.apply(cmd);
        }
        if let Some(t) = actions.wake_at {
            self.queue.push(t.max(self.now), Event::Wake);
        }
        self.actions = actions;
    }

    pub(super) fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::SetReplicas { version, count } => {
                let old = self.spec[version.index()];
                if old != count {
                    self.log.push(LogRecord::new(
                        self.now,
                        LogKind::Step,
                        version.name(),
                        format!("replicas {old} -> {count}"),
                    ));
                }
                self.spec[version.index()] = count;
                self.reconcile(version);
                // After reconcile: the first raise creates the pod that starts the change.
                if version == Version::Candidate && count > old {
                    let in_change = self.in_change();
                    self.rollout.step(self.now, in_change);
                }
            }
            Command::SetTraffic(split) => {
                if self.lb.split() != split {
                    let what = match split {
                        TrafficSplit::Pods => "traffic by pod count".to_string(),
                        TrafficSplit::CandidateWeight(w) => {
                            format!("candidate weight {:.1}%", w * 100.0)
                        }
                    };
                    self.log
                        .push(LogRecord::new(self.now, LogKind::Step, "traffic", what));
                }
                if let TrafficSplit::CandidateWeight(w) = split {
                    if w > self.rollout.weight {
                        let in_change = self.in_change();
                        self.rollout.step(self.now, in_change);
                    }
                    self.rollout.weight = w;
                }
                self.lb.set_split(split);
            }
            Command::Phase { phase, reason } => {
                if phase == self.phase {
                    return;
                }
                self.phase = phase;
                // The change ends the first time it is promoted or rolled back; a later
                // rollback of a promoted release is a change of its own.
                match phase {
                    Phase::Promoted => {
                        self.t_promoted.get_or_insert(self.now);
                        self.t_change_end.get_or_insert(self.now);
                        self.run_migrations(MigrationTrigger::Promotion);
                    }
                    Phase::RolledBack => {
                        self.t_change_end.get_or_insert(self.now);
                    }
                    _ => {}
                }
                self.log.push(LogRecord::new(
                    self.now,
                    LogKind::Phase,
                    phase.name(),
                    reason,
                ));
            }
            Command::Detected { detector, reason } => {
                self.log.push(LogRecord::new(
                    self.now,
                    LogKind::Detect,
                    detector.clone(),
                    reason.clone(),
                ));
                if self.detection.is_none() {
                    self.detection = Some(Detection {
                        at: self.now,
                        detector,
                        reason,
                    });
                }
            }
        }
    }

    /// The ReplicaSet controller: make the version's pod count match its spec. Victims
    /// of a scale-down are chosen in Kubernetes' order (`ActivePodsWithRanks.Less` in
    /// `pkg/controller/controller_utils.go`): unscheduled (Pending) before scheduled,
    /// not ready before ready, ready for less time first, more restarts first, newer
    /// first. A Pending pod is deleted at once (it has nothing to drain).
    pub(super) fn reconcile(&mut self, version: Version) {
        let want = self.spec[version.index()];
        // Nothing to do (most syncs): known from the tally without a scan of the fleet.
        if self.tally.pods[version.index()] == want {
            return;
        }
        let mut pods: Vec<InstanceId> = self
            .live
            .iter()
            .copied()
            .filter(|&id| {
                let i = &self.instances[id.index()];
                i.version == version && i.state.counts_as_pod()
            })
            .collect();
        let have = pods.len() as u32;
        match have.cmp(&want) {
            // The tally said otherwise; nothing to do all the same.
            std::cmp::Ordering::Equal => {}
            std::cmp::Ordering::Less => {
                for _ in have..want {
                    self.create_pod(version, Start::Cold);
                }
                self.fleet_changed();
            }
            std::cmp::Ordering::Greater => {
                let instances = &self.instances;
                pods.sort_by_key(|&id| {
                    let i = &instances[id.index()];
                    let ready = i.state == PodState::Ready;
                    (
                        i.state != PodState::Pending,
                        ready,
                        std::cmp::Reverse(i.ready_since),
                        std::cmp::Reverse(i.restarts),
                        std::cmp::Reverse(i.created_at),
                        std::cmp::Reverse(id),
                    )
                });
                for &id in pods.iter().take((have - want) as usize) {
                    self.delete_pod(id);
                }
                self.fleet_changed();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn world(cfg: &WorldConfig) -> World<'_> {
        cfg.check().unwrap();
        World::new(cfg, SimDuration::ZERO)
    }

    fn set(version: Version, count: u32) -> Command {
        Command::SetReplicas { version, count }
    }

    fn steps_logged(w: &World<'_>) -> usize {
        w.log.iter().filter(|r| r.kind == LogKind::Step).count()
    }

    /// The change is in progress from its first candidate pod until it is first
    /// promoted or rolled back.
    #[test]
    fn the_change_is_in_progress_from_its_start_to_its_end() {
        let cfg = testing::world(1, 600);
        let mut w = world(&cfg);
        assert!(!w.in_change(), "not started");
        w.now = SimTime::from_secs(10);
        w.apply(set(Version::Candidate, 1));
        assert_eq!(w.t_change_start, Some(SimTime::from_secs(10)));
        assert!(w.in_change());
        w.now = SimTime::from_secs(20);
        w.apply(Command::Phase {
            phase: Phase::RolledBack,
            reason: "bad".into(),
        });
        assert_eq!(w.t_change_end, Some(SimTime::from_secs(20)));
        assert!(!w.in_change(), "ended");
        // A later promotion records itself but the change ended at the rollback.
        w.now = SimTime::from_secs(30);
        w.apply(Command::Phase {
            phase: Phase::Promoted,
            reason: "again".into(),
        });
        assert_eq!(w.t_promoted, Some(SimTime::from_secs(30)));
        assert_eq!(w.t_change_end, Some(SimTime::from_secs(20)));
        let phases = w.log.iter().filter(|r| r.kind == LogKind::Phase).count();
        w.apply(Command::Phase {
            phase: Phase::Promoted,
            reason: "once more".into(),
        });
        let again = w.log.iter().filter(|r| r.kind == LogKind::Phase).count();
        assert_eq!(again, phases, "the same phase is no change");
        // Promoted first: the change ends at the promotion.
        let mut w = world(&cfg);
        w.apply(set(Version::Candidate, 1));
        w.now = SimTime::from_secs(40);
        w.apply(Command::Phase {
            phase: Phase::Promoted,
            reason: "good".into(),
        });
        assert_eq!(w.t_change_end, Some(SimTime::from_secs(40)));
    }

    /// A rollout step is a raise of the candidate's replicas or traffic weight during
    /// the change; a cut, an equal command or the baseline's is not. Only changes are
    /// logged.
    #[test]
    fn a_step_is_a_raise_of_the_candidate() {
        let cfg = testing::world(1, 600);
        let mut w = world(&cfg);
        let steps = |w: &World<'_>| w.rollout.rec.steps;
        w.now = SimTime::from_secs(1);
        w.apply(set(Version::Candidate, 2));
        assert_eq!(steps(&w), 1);
        w.now = SimTime::from_secs(2);
        w.apply(set(Version::Candidate, 2));
        w.apply(set(Version::Baseline, 21));
        assert_eq!(steps(&w), 1, "equal, or the baseline");
        assert_eq!(
            steps_logged(&w),
            2,
            "the candidate's raise and the baseline's"
        );
        w.now = SimTime::from_secs(3);
        w.apply(set(Version::Candidate, 1));
        assert_eq!(steps(&w), 1, "a cut");
        w.now = SimTime::from_secs(4);
        w.apply(Command::SetTraffic(TrafficSplit::CandidateWeight(0.1)));
        assert_eq!(steps(&w), 2);
        let logged = steps_logged(&w);
        w.now = SimTime::from_secs(5);
        w.apply(Command::SetTraffic(TrafficSplit::CandidateWeight(0.1)));
        assert_eq!(steps(&w), 2, "the same weight");
        assert_eq!(steps_logged(&w), logged, "no change, no log");
        w.apply(Command::SetTraffic(TrafficSplit::CandidateWeight(0.05)));
        assert_eq!(steps(&w), 2, "a cut");
        w.now = SimTime::from_secs(6);
        w.apply(Command::SetTraffic(TrafficSplit::CandidateWeight(0.2)));
        assert_eq!(steps(&w), 3);
    }

    /// The fleet is all candidate from the first moment it has no baseline pod and at
    /// least the desired candidate pods; terminating pods count in the status apart.
    #[test]
    fn the_full_fleet_is_the_first_moment_of_only_enough_candidate_pods() {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 2;
        let mut w = world(&cfg);
        w.apply(set(Version::Candidate, 1));
        w.apply(set(Version::Baseline, 0));
        assert_eq!(w.t_full_fleet, None, "one candidate pod of two");
        w.now = SimTime::from_secs(10);
        w.apply(set(Version::Candidate, 2));
        assert_eq!(w.t_full_fleet, Some(SimTime::from_secs(10)));
        w.now = SimTime::from_secs(20);
        w.apply(set(Version::Candidate, 3));
        assert_eq!(w.t_full_fleet, Some(SimTime::from_secs(10)), "the first");
        // Two baseline pods became two draining ones (they hold a request each) and
        // a candidate one: three terminating in the status.
        let mut w = world(&cfg);
        let req = Request::anonymous(w.now);
        w.admit_to(InstanceId(0), req);
        w.admit_to(InstanceId(1), req);
        w.apply(set(Version::Candidate, 2));
        for cand in [InstanceId(2), InstanceId(3)] {
            w.on_ready(cand, 1);
            w.admit_to(cand, req);
        }
        w.apply(set(Version::Baseline, 0));
        w.apply(set(Version::Candidate, 1));
        let (fleet, terminating) = w.fleet_status();
        assert_eq!(fleet[Version::Baseline.index()].terminating, 2);
        assert_eq!(fleet[Version::Candidate.index()].terminating, 1);
        assert_eq!(terminating, 3);
    }

    /// A scale-down deletes pods that are not ready before ready ones.
    #[test]
    fn a_scale_down_deletes_unready_pods_first() {
        let mut cfg = testing::world(1, 600);
        cfg.fleet.replicas = 3;
        let mut w = world(&cfg);
        w.crash(InstanceId(1), None, CrashKind::Killed, Restart::Backoff);
        w.apply(set(Version::Baseline, 2));
        assert_eq!(w.instances[1].state, PodState::Terminated);
        assert_eq!(w.instances[0].state, PodState::Ready);
        assert_eq!(w.instances[2].state, PodState::Ready);
    }
}
