//! `blue-green`: an Argo Rollouts blue-green rollout.
//!
//! The candidate (preview) stack is scaled to the full replica count beside the active
//! baseline and receives no production traffic. Once every preview pod is available,
//! the pre-promotion analysis runs on it; when it succeeds (and after
//! `auto_promotion_seconds`) the active service switches: all traffic goes to the
//! candidate at once, which is the promotion. The optional post-promotion analysis then
//! runs on live traffic; the old stack is kept for `scale_down_delay_seconds` (Argo
//! default 30 s) after the switch (or after the post-promotion analysis succeeds), so
//! that a rollback within that time is a switch back, instant. A failed or errored
//! analysis aborts (before the switch the preview is simply dropped, after it the
//! traffic switches back); an Inconclusive one pauses for a human.
//!
//! What preview analysis can see: the candidate's restarts and memory always (its pods
//! run), and requests only through `preview_traffic_share`, a share of real traffic
//! standing in for the test traffic a team sends to the preview service. With the
//! default share of 0 an error-ratio or latency gate sees no candidate requests and
//! follows its `on_empty` rule.

use serde::Serialize;
use sim_core::lb::TrafficSplit;
use sim_core::{Actions, Controller, Observation, Phase, SimDuration, SimTime, Version};

use crate::analysis::{AnalysisRun, AnalysisSpec, RunStatus};
use crate::gate::GateSpec;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlueGreenSpec {
    pub pre_promotion_analysis: Option<AnalysisSpec>,
    pub post_promotion_analysis: Option<AnalysisSpec>,
    /// Wait after the preview is ready (and analysed) before switching.
    pub auto_promotion_seconds: f64,
    pub scale_down_delay_seconds: f64,
    pub abort_scale_down_delay_seconds: f64,
    pub preview_traffic_share: f64,
    pub min_ready_seconds: f64,
    pub gates: Vec<GateSpec>,
}

#[derive(Clone, Debug)]
enum State {
    Waiting,
    /// Preview scaling up; then analysed; `ready_at` is when it was first all available.
    Preview {
        ready_at: Option<SimTime>,
        analysis: Option<AnalysisRun>,
    },
    /// Switched; post-promotion analysis (if any) running; old stack kept.
    Switched {
        analysis: Option<AnalysisRun>,
        scale_down_at: Option<SimTime>,
    },
    Done,
    Paused,
    /// Traffic back on the baseline (once it is available); candidate removed at `drop_at`.
    Aborting {
        drop_at: SimTime,
    },
    RolledBack,
}

pub struct BlueGreenController {
    spec: BlueGreenSpec,
    state: State,
    change_start: SimTime,
}

impl BlueGreenController {
    pub fn new(spec: BlueGreenSpec) -> Self {
        BlueGreenController {
            spec,
            state: State::Waiting,
            change_start: SimTime::ZERO,
        }
    }

    fn abort(&mut self, obs: &Observation<'_>, act: &mut Actions, reason: String) {
        act.phase(Phase::RollingBack, reason);
        act.set_replicas(Version::Baseline, obs.desired);
        let base = obs.cohort(Version::Baseline);
        if base.available >= obs.desired {
            act.set_traffic(TrafficSplit::CandidateWeight(0.0));
        }
        let drop_at =
            obs.now + SimDuration::from_secs_f64(self.spec.abort_scale_down_delay_seconds);
        act.wake_at(drop_at);
        self.state = State::Aborting { drop_at };
    }

    /// Steps an analysis; `Some(true)` succeeded, `Some(false)` the rollout stopped.
    fn analyse(
        &mut self,
        run: &mut AnalysisRun,
        obs: &Observation<'_>,
        act: &mut Actions,
        when: &str,
    ) -> Option<bool> {
        match run
            .step(&self.spec.gates, obs, self.change_start, act)
            .clone()
        {
            RunStatus::Running => None,
            RunStatus::Successful => Some(true),
            RunStatus::Inconclusive { gate, reason } => {
                act.phase(
                    Phase::Paused,
                    format!("{when} analysis Inconclusive on {gate}: {reason}"),
                );
                self.state = State::Paused;
                Some(false)
            }
            RunStatus::Failed { gate, reason } => {
                act.detected(format!("gate:{gate}"), reason);
                self.abort(obs, act, format!("{when} analysis Failed on {gate}: abort"));
                Some(false)
            }
            RunStatus::Error { gate, reason } => {
                act.detected(format!("analysis-error:{gate}"), reason);
                self.abort(obs, act, format!("{when} analysis Error on {gate}: abort"));
                Some(false)
            }
        }
    }

    fn preview(
        &mut self,
        obs: &Observation<'_>,
        act: &mut Actions,
        ready_at: Option<SimTime>,
        analysis: Option<AnalysisRun>,
    ) {
        let cand = obs.cohort(Version::Candidate);
        let Some(ready) = ready_at.or((cand.available >= obs.desired).then_some(obs.now)) else {
            self.state = State::Preview { ready_at, analysis };
            return;
        };
        let mut run = match (analysis, self.spec.pre_promotion_analysis) {
            (Some(r), _) => Some(r),
            (None, Some(a)) => Some(AnalysisRun::start(a, ready, self.spec.gates.len())),
            (None, None) => None,
        };
        if let Some(r) = run.as_mut() {
            match self.analyse(r, obs, act, "pre-promotion") {
                None => {
                    self.state = State::Preview {
                        ready_at: Some(ready),
                        analysis: run,
                    };
                    return;
                }
                Some(false) => return,
                Some(true) => {}
            }
        }
        let switch_at = ready + SimDuration::from_secs_f64(self.spec.auto_promotion_seconds);
        if obs.now < switch_at {
            act.wake_at(switch_at);
            self.state = State::Preview {
                ready_at: Some(ready),
                analysis: run,
            };
            return;
        }
        act.set_traffic(TrafficSplit::CandidateWeight(1.0));
        act.phase(Phase::Promoted, "active service switched to the new stack");
        let post = self
            .spec
            .post_promotion_analysis
            .map(|a| AnalysisRun::start(a, obs.now, self.spec.gates.len()));
        let scale_down_at = post.is_none().then(|| self.scale_down_at(obs, act));
        self.state = State::Switched {
            analysis: post,
            scale_down_at,
        };
        self.switched(obs, act);
    }

    fn scale_down_at(&self, obs: &Observation<'_>, act: &mut Actions) -> SimTime {
        let t = obs.now + SimDuration::from_secs_f64(self.spec.scale_down_delay_seconds);
        act.wake_at(t);
        t
    }

    fn switched(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        let State::Switched {
            analysis,
            scale_down_at,
        } = self.state.clone()
        else {
            return;
        };
        let mut scale_down_at = scale_down_at;
        let mut analysis = analysis;
        if let Some(run) = analysis.as_mut() {
            match self.analyse(run, obs, act, "post-promotion") {
                None => {
                    self.state = State::Switched {
                        analysis,
                        scale_down_at,
                    };
                    return;
                }
                Some(false) => return,
                Some(true) => {
                    analysis = None;
                    scale_down_at = Some(self.scale_down_at(obs, act));
                }
            }
        }
        match scale_down_at {
            Some(t) if obs.now >= t => {
                act.set_replicas(Version::Baseline, 0);
                self.state = State::Done;
            }
            _ => {
                self.state = State::Switched {
                    analysis,
                    scale_down_at,
                }
            }
        }
    }
}

impl Controller for BlueGreenController {
    fn sync(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        if matches!(self.state, State::Waiting) {
            if !obs.release_requested {
                return;
            }
            self.change_start = obs.now;
            act.phase(Phase::Progressing, "preview stack scaling up");
            act.set_traffic(TrafficSplit::CandidateWeight(
                self.spec.preview_traffic_share,
            ));
            act.set_replicas(Version::Candidate, obs.desired);
            self.state = State::Preview {
                ready_at: None,
                analysis: None,
            };
        }
        if obs.rollback_requested.is_some()
            && matches!(
                self.state,
                State::Preview { .. } | State::Switched { .. } | State::Done | State::Paused
            )
        {
            self.abort(
                obs,
                act,
                "on-call engineer rolls back after the page".into(),
            );
        }
        match self.state.clone() {
            State::Preview { ready_at, analysis } => self.preview(obs, act, ready_at, analysis),
            State::Switched { .. } => self.switched(obs, act),
            State::Aborting { drop_at } => {
                let base = obs.cohort(Version::Baseline);
                if base.available >= obs.desired {
                    act.set_traffic(TrafficSplit::CandidateWeight(0.0));
                    if obs.now >= drop_at {
                        act.set_replicas(Version::Candidate, 0);
                    }
                }
                if obs.cohort(Version::Candidate).pods == 0 && base.available >= obs.desired {
                    act.phase(Phase::RolledBack, "back on the previous stack");
                    self.state = State::RolledBack;
                }
            }
            State::Waiting | State::Done | State::Paused | State::RolledBack => {}
        }
    }

    fn min_ready(&self) -> SimDuration {
        SimDuration::from_secs_f64(self.spec.min_ready_seconds)
    }
}
