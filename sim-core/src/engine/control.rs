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
        if have < want {
            for _ in have..want {
                self.create_pod(version, Start::Cold);
            }
            self.fleet_changed();
        } else if have > want {
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
