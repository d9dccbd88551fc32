//! User sessions: a second source of traffic, with affinity and session state.
//!
//! A session arrives, issues a geometric number of requests separated by exponential
//! think times, and ends (or hits its lifetime). With cookie affinity its requests go
//! back to its home instance while that instance still runs the same process, even if
//! it is draining. Session state lives where the scenario says: in instance memory
//! (the `SessionState` fault), where it dies with the process, so the next request
//! finds it gone (a `session_lost` bad event, the user logs in again); or in an
//! external store, where it survives. With incompatible formats (the `SessionFormat`
//! fault) a session whose state moves to the other version fails.

use rand::Rng;

use super::*;
use crate::dist::exp_nanos;
use crate::fault::FaultDef;
use crate::world::SessionConfig;

struct Session {
    generation: u32,
    alive: bool,
    remaining: u32,
    ends_at: SimTime,
    /// The instance (and process) holding the session: its affinity target and, with
    /// in-memory state, where that state lives.
    home: Option<(InstanceId, u32)>,
    /// The version whose format the session's state is in.
    format: Option<Version>,
}

pub(super) struct Sessions {
    cfg: SessionConfig,
    /// Set when state lives in instance memory: the cause of its losses.
    state_fault: Option<FaultId>,
    /// Set when formats differ between versions: the cause of those failures.
    format_fault: Option<FaultId>,
    slots: Vec<Session>,
    free: Vec<u32>,
}

impl Sessions {
    pub(super) fn new(cfg: &SessionConfig, faults: &[FaultDef]) -> Sessions {
        let find = |want: &WorldFault| {
            faults
                .iter()
                .position(|f| f.world() == Some(want))
                .map(FaultId::from_index)
        };
        Sessions {
            cfg: cfg.clone(),
            state_fault: find(&WorldFault::SessionState),
            format_fault: find(&WorldFault::SessionFormat),
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    pub(super) fn next_arrival<R: Rng + ?Sized>(
        &self,
        now: SimTime,
        rng: &mut R,
    ) -> Option<SimTime> {
        (self.cfg.rate > 0.0)
            .then(|| now + SimDuration(round_nanos(exp_nanos(rng, 1e9 / self.cfg.rate))))
    }

    /// A geometric count with the configured mean, at least one.
    fn request_count<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        let mean = self.cfg.requests_mean;
        if mean <= 1.0 {
            return 1;
        }
        let q = 1.0 / mean;
        let u = 1.0 - unit(rng);
        1 + (u.ln() / (1.0 - q).ln()).floor().min(1e6) as u32
    }
}

impl World<'_> {
    pub(super) fn on_session_arrival(&mut self) {
        let Some(sessions) = &mut self.sessions else {
            return;
        };
        if let Some(t) = sessions.next_arrival(self.now, &mut self.rng.session_arrivals)
            && t <= self.cfg.horizon
        {
            self.queue.push(t, Event::SessionArrival);
        }
        let remaining = sessions.request_count(&mut self.rng.session_arrivals);
        let ends_at = self.now + sessions.cfg.lifetime;
        let id = match sessions.free.pop() {
            Some(id) => id,
            None => {
                sessions.slots.push(Session {
                    generation: 0,
                    alive: false,
                    remaining: 0,
                    ends_at,
                    home: None,
                    format: None,
                });
                (sessions.slots.len() - 1) as u32
            }
        };
        let s = &mut sessions.slots[id as usize];
        s.generation += 1;
        s.alive = true;
        s.remaining = remaining;
        s.ends_at = ends_at;
        s.home = None;
        s.format = None;
        let generation = s.generation;
        self.on_session_request(id, generation);
    }

    pub(super) fn on_session_request(&mut self, id: u32, generation: u32) {
        let Some(sessions) = &self.sessions else {
            return;
        };
        let s = &sessions.slots[id as usize];
        if !s.alive || s.generation != generation {
            return;
        }
        if self.now >= s.ends_at {
            self.end_session(id);
            return;
        }
        let req = Request {
            arrival: self.now,
            session: id,
            attempt: 0,
        };
        self.route_session(req);
    }

    /// Routes a session's request (first try or retry) and checks its state.
    fn route_session(&mut self, req: Request) {
        let id = req.session;
        let sessions = self.sessions.as_ref().expect("sessions exist");
        let (sticky, state_fault, format_fault) = (
            sessions.cfg.sticky,
            sessions.state_fault,
            sessions.format_fault,
        );
        let s = &sessions.slots[id as usize];
        let (home, format) = (s.home, s.format);
        let home_alive = home.is_some_and(|(inst, process)| {
            let i = &self.instances[inst.index()];
            i.serving() && i.process == process
        });
        self.counts.arrived += 1;
        let target = if sticky && home_alive {
            home.map(|(inst, _)| inst)
        } else {
            self.pick_instance()
        };
        let Some(target) = target else {
            let cause = self.capacity_fault;
            self.fail_request(req, Version::Baseline, cause);
            return;
        };
        let (target_version, target_process) = {
            let i = &self.instances[target.index()];
            (i.version, i.process)
        };
        let moved = home.is_some_and(|h| h != (target, target_process));
        let mut format = format;
        if moved {
            self.unpin(id);
            let lost_version = home.map_or(Version::Baseline, |(inst, _)| {
                self.instances[inst.index()].version
            });
            if let Some(f) = state_fault {
                // The state stayed in the old process's memory: the user must log in again.
                self.record_bad(self.now, lost_version, BadClass::SessionLost, Some(f));
                format = None;
            }
        }
        if let (Some(f), Some(held)) = (format_fault, format)
            && held != target_version
        {
            // The state survived, but the other version cannot read it.
            self.record_bad(self.now, target_version, BadClass::SessionLost, Some(f));
            format = None;
        }
        if home.is_none() || moved {
            self.pin(id, target, target_process);
        }
        let s = &mut self.sessions.as_mut().expect("sessions exist").slots[id as usize];
        s.format = Some(format.unwrap_or(target_version));
        self.admit_to(target, req);
    }

    fn pin(&mut self, id: u32, inst: InstanceId, process: u32) {
        let sessions = self.sessions.as_mut().expect("sessions exist");
        sessions.slots[id as usize].home = Some((inst, process));
        self.instances[inst.index()].pinned_sessions += 1;
    }

    /// Releases the session's hold on its home instance; a draining instance with
    /// nothing left to hold may go.
    fn unpin(&mut self, id: u32) {
        let sessions = self.sessions.as_mut().expect("sessions exist");
        let Some((inst, process)) = sessions.slots[id as usize].home.take() else {
            return;
        };
        let i = &mut self.instances[inst.index()];
        if i.process == process && i.pinned_sessions > 0 {
            i.pinned_sessions -= 1;
            if i.state == PodState::Terminating && i.drained() {
                self.terminate(inst);
            }
        }
    }

    /// A session's request is over: schedule the next one or end the session.
    pub(super) fn session_request_done(&mut self, id: u32) {
        let Some(sessions) = &mut self.sessions else {
            return;
        };
        let s = &mut sessions.slots[id as usize];
        if !s.alive {
            return;
        }
        s.remaining = s.remaining.saturating_sub(1);
        let (remaining, ends_at, generation) = (s.remaining, s.ends_at, s.generation);
        let think = SimDuration(round_nanos(exp_nanos(
            &mut self.rng.sessions,
            sessions.cfg.think_time.0 as f64,
        )));
        let next = self.now + think;
        if remaining == 0 || next >= ends_at || next > self.cfg.horizon {
            self.end_session(id);
        } else {
            self.queue.push(
                next,
                Event::SessionRequest {
                    session: id,
                    generation,
                },
            );
        }
    }

    fn end_session(&mut self, id: u32) {
        self.unpin(id);
        let sessions = self.sessions.as_mut().expect("sessions exist");
        sessions.slots[id as usize].alive = false;
        sessions.free.push(id);
    }

    /// A client retry of a session's request keeps its session.
    pub(super) fn retry_session(&mut self, req: Request) {
        self.route_session(req);
    }
}
