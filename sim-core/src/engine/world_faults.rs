//! Faults on the world rather than on instances: Chaos-Monkey kills, zone loss,
//! connection pinning, and the bookkeeping of which load-shaping fault is live.
//! (Traffic spikes live in the arrival process; metrics gaps and delays in `observe`.)

use super::*;
use crate::dist::{exp_nanos, index};

/// Long-lived client connections pinned to the instance they were opened to.
pub(super) struct Pinning {
    pub share: f64,
    lifetime: SimDuration,
    conns: Vec<Option<(InstanceId, u32, SimTime)>>,
}

/// Finds, once, the faults the hot paths consult.
pub(super) fn find_faults(cfg: &WorldConfig) -> FaultIndex {
    let mut ix = FaultIndex {
        weighted: false,
        slow_start: None,
        pinning: None,
        gaps: Vec::new(),
        delays: Vec::new(),
        kills: Vec::new(),
        zones: 1,
    };
    for (i, f) in cfg.faults.iter().enumerate() {
        let id = FaultId::from_index(i);
        match &f.kind {
            FaultKind::Instance(crate::fault::Effect::LbWeight { .. }) => ix.weighted = true,
            FaultKind::World(w) => match w {
                WorldFault::LbSlowStart { ramp } => {
                    ix.weighted = true;
                    ix.slow_start.get_or_insert((*ramp, id));
                }
                WorldFault::LbPinning {
                    share,
                    connections,
                    lifetime,
                } => {
                    ix.pinning.get_or_insert(Pinning {
                        share: *share,
                        lifetime: *lifetime,
                        conns: vec![None; (*connections).max(1) as usize],
                    });
                }
                WorldFault::MetricsGap => ix.gaps.push(i),
                WorldFault::MetricsDelay { extra } => ix.delays.push((i, *extra)),
                WorldFault::InstanceKill { .. } => ix.kills.push(i),
                WorldFault::ZoneLoss { zones, .. } => ix.zones = ix.zones.max(*zones),
                _ => {}
            },
            _ => {}
        }
    }
    ix
}

impl World<'_> {
    /// A request on a pinned connection goes where its connection goes; a connection
    /// whose instance left (or that reached its lifetime) is re-opened through the
    /// balancer first.
    pub(super) fn pinned_connection(&mut self) -> Option<InstanceId> {
        let n = self.index.pinning.as_ref().expect("pinning").conns.len();
        let k = index(&mut self.rng.routing, n);
        let now = self.now;
        let p = self.index.pinning.as_ref().expect("pinning");
        let valid = p.conns[k].filter(|&(inst, process, opened)| {
            let i = &self.instances[inst.index()];
            self.lb.contains(inst)
                && i.state == PodState::Ready
                && i.process == process
                && now.since(opened) < p.lifetime
        });
        if let Some((inst, _, _)) = valid {
            return Some(inst);
        }
        let inst = self.balance()?;
        let process = self.instances[inst.index()].process;
        self.index.pinning.as_mut().expect("pinning").conns[k] = Some((inst, process, now));
        Some(inst)
    }

    /// The first live load-shaping fault, to which unexplained slowness is attributed.
    pub(super) fn refresh_load_fault(&mut self) {
        let now = self.now;
        self.load_fault = self
            .cfg
            .faults
            .iter()
            .position(|f| f.shapes_load() && f.live_at(now))
            .map(FaultId::from_index);
    }

    /// Opening and closing of world faults' windows.
    pub(super) fn world_fault_window(&mut self, fault: usize, opening: bool) {
        match self.cfg.faults[fault].world() {
            Some(WorldFault::InstanceKill { .. }) if opening => self.schedule_kill(fault),
            Some(WorldFault::ZoneLoss {
                zone, reschedule, ..
            }) => {
                let bit = 1u64 << zone;
                if opening {
                    self.zones_down |= bit;
                    let end = self.cfg.faults[fault].window.end;
                    let back = (*reschedule).min(end.since(self.now));
                    self.lose_zone(*zone, FaultId::from_index(fault), back);
                } else {
                    self.zones_down &= !bit;
                    if self.cluster.is_some() {
                        self.schedule_pending();
                    }
                }
            }
            _ => {}
        }
    }

    /// Every running pod of the zone dies; it comes back `back` later.
    fn lose_zone(&mut self, zone: u32, cause: FaultId, back: SimDuration) {
        let victims: Vec<InstanceId> = self
            .live
            .iter()
            .copied()
            .filter(|&id| {
                let i = &self.instances[id.index()];
                i.zone == zone
                    && matches!(
                        i.state,
                        PodState::Starting | PodState::Ready | PodState::Terminating
                    )
            })
            .collect();
        for id in victims {
            self.crash(id, Some(cause), CrashKind::ZoneLoss, Restart::After(back));
        }
    }

    /// The next kill: pods die at `rate_per_hour` each, so the fleet's rate scales with
    /// its size.
    pub(super) fn schedule_kill(&mut self, fault: usize) {
        let Some(WorldFault::InstanceKill { rate_per_hour }) = self.cfg.faults[fault].world()
        else {
            return;
        };
        // A Pending pod has no process to kill (none without a cluster).
        let pods = (self.live.len() - self.pending_count() as usize).max(1) as f64;
        let rate = rate_per_hour / 3600.0 * pods;
        if rate <= 0.0 {
            return;
        }
        let gap = exp_nanos(&mut self.rng.kills, 1e9 / rate);
        let at = self.now + SimDuration(round_nanos(gap));
        if at <= self.cfg.horizon {
            self.queue.push(
                at,
                Event::Kill {
                    fault: FaultId::from_index(fault),
                },
            );
        }
    }

    pub(super) fn on_kill(&mut self, fault: usize) {
        if !self.cfg.faults[fault].live_at(self.now) {
            return;
        }
        let running: Vec<InstanceId> = self
            .live
            .iter()
            .copied()
            .filter(|&id| {
                matches!(
                    self.instances[id.index()].state,
                    PodState::Starting | PodState::Ready
                )
            })
            .collect();
        if !running.is_empty() {
            let victim = running[index(&mut self.rng.kills, running.len())];
            self.crash(
                victim,
                Some(FaultId::from_index(fault)),
                CrashKind::Killed,
                Restart::Backoff,
            );
        }
        self.schedule_kill(fault);
    }
}
