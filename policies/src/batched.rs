//! `batched`: an AWS CodeDeploy in-place deployment.
//!
//! CodeDeploy takes a batch of instances out of service, installs the new revision on
//! them and brings them back; the batch is as large as the minimum healthy hosts allow:
//! `total − minimum` where a HOST_COUNT minimum is a count and a FLEET_PERCENT minimum
//! is that share of the fleet rounded **up** (nine instances at 40%: a minimum of four,
//! batches of five). rollcage adds an optional `batch_size` cap (a count or a share,
//! rounded down, at least one), so one-at-a-time is `batch_size = 1`. The next batch
//! starts when every instance of the current one is healthy and the bake time has
//! passed. Alarms (the gates) are polled while the deployment runs; one in ALARM stops
//! it, and with automatic rollback the last good revision is deployed again as a new
//! deployment with the same batching. An instance whose new revision crashes counts as
//! a failed instance deployment; when the instances left cannot reach the minimum, the
//! deployment fails (and rolls back the same way). The deployment succeeds when the
//! last batch is healthy: alarms after that no longer roll it back.
//!
//! The fleet is an EC2 Auto Scaling group whose desired capacity is
//! `Observation::desired`. At rest (before the release, after success, after a
//! rollback) the settled revision follows it. While a deployment runs (or stands
//! stopped) CodeDeploy's documented rule for scale-out during a deployment holds: new
//! instances get the last successfully deployed revision, not the one being deployed,
//! so growth goes to the baseline; this deployment then moves them as it moves the
//! rest, standing for the follow-on deployment CodeDeploy starts for outdated
//! instances. A scale-in terminates instances by the group's termination policy, which
//! knows nothing of revisions; rollcage takes baseline instances first (then candidate
//! ones when none is left), the rollback deployment included. A sync that resizes does
//! nothing else, and the next sync (the instances it starts or stops change the fleet)
//! goes on. Batch sizes and the minimum of healthy hosts are computed from the current
//! capacity at every batch.

use serde::Serialize;
use sim_core::log::LogKind;
use sim_core::{Actions, Controller, Observation, Phase, SimDuration, SimTime, Version};

use crate::analysis::judge;
use crate::gate::{GateSpec, Verdict};
use crate::intstr::IntOrPercent;

/// CodeDeploy's `minimumHealthyHosts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value")]
pub enum MinimumHealthyHosts {
    #[serde(rename = "HOST_COUNT")]
    HostCount(u32),
    #[serde(rename = "FLEET_PERCENT")]
    FleetPercent(u32),
}

impl MinimumHealthyHosts {
    pub const TYPES: [&'static str; 2] = ["HOST_COUNT", "FLEET_PERCENT"];

    /// The minimum for a fleet of `total`: a FLEET_PERCENT minimum rounds up.
    pub fn resolve(self, total: u32) -> u32 {
        match self {
            MinimumHealthyHosts::HostCount(n) => n,
            MinimumHealthyHosts::FleetPercent(p) => (p as u64 * total as u64).div_ceil(100) as u32,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            MinimumHealthyHosts::HostCount(_) => "HOST_COUNT",
            MinimumHealthyHosts::FleetPercent(_) => "FLEET_PERCENT",
        }
    }

    pub fn value(self) -> u32 {
        match self {
            MinimumHealthyHosts::HostCount(n) | MinimumHealthyHosts::FleetPercent(n) => n,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchedSpec {
    pub minimum_healthy_hosts: MinimumHealthyHosts,
    /// rollcage's cap on the batch, below what the minimum allows.
    pub batch_size: Option<IntOrPercent>,
    pub bake_seconds: f64,
    pub gate_interval_seconds: f64,
    /// Roll back when an alarm stops the deployment or the deployment fails.
    pub auto_rollback: bool,
    pub min_ready_seconds: f64,
    pub gates: Vec<GateSpec>,
}

impl BatchedSpec {
    /// Instances per batch on a fleet of `total` (0: the minimum leaves none).
    pub fn batch(&self, total: u32) -> u32 {
        let allowed = total.saturating_sub(self.minimum_healthy_hosts.resolve(total));
        match self.batch_size {
            Some(cap) if allowed > 0 => allowed.min(cap.scaled(total, false).max(1)),
            _ => allowed,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Waiting,
    /// Deploying; a batch's bake ends at `bake_until`.
    Deploying {
        bake_until: Option<SimTime>,
    },
    RollingBack,
    Stopped,
    Succeeded,
    RolledBack,
}

pub struct BatchedController {
    spec: BatchedSpec,
    state: State,
    change_start: SimTime,
    next_poll: SimTime,
    restarts_at_start: u32,
}

impl BatchedController {
    pub fn new(spec: BatchedSpec) -> Self {
        BatchedController {
            spec,
            state: State::Waiting,
            change_start: SimTime::ZERO,
            next_poll: SimTime::ZERO,
            restarts_at_start: 0,
        }
    }

    /// Moves the next batch from `from` to `to` once the current one is healthy.
    /// Returns true when nothing is left to move and every moved instance is healthy.
    fn move_batch(
        &self,
        obs: &Observation<'_>,
        act: &mut Actions,
        from: Version,
        to: Version,
        ready: bool,
    ) -> bool {
        let src = obs.cohort(from);
        let dst = obs.cohort(to);
        if dst.available < dst.spec {
            return false;
        }
        if src.spec == 0 {
            return dst.available >= obs.desired;
        }
        if !ready {
            return false;
        }
        let b = self.spec.batch(obs.desired).min(src.spec);
        act.set_replicas(from, src.spec - b);
        act.set_replicas(to, dst.spec + b);
        false
    }

    /// The group's capacity changed: the settled revision takes it at rest; during a
    /// deployment growth goes to the baseline and shrinkage comes from it first. True if
    /// this sync resized.
    fn resize(&self, obs: &Observation<'_>, act: &mut Actions) -> bool {
        let (base, cand) = (
            obs.cohort(Version::Baseline).spec,
            obs.cohort(Version::Candidate).spec,
        );
        let total = base + cand;
        if total == obs.desired {
            return false;
        }
        match self.state {
            State::Waiting | State::RolledBack if cand == 0 => {
                act.set_replicas(Version::Baseline, obs.desired)
            }
            State::Succeeded if base == 0 => act.set_replicas(Version::Candidate, obs.desired),
            _ if total < obs.desired => {
                act.set_replicas(Version::Baseline, base + (obs.desired - total))
            }
            _ => {
                let excess = total - obs.desired;
                let from_base = excess.min(base);
                if from_base > 0 {
                    act.set_replicas(Version::Baseline, base - from_base);
                }
                if excess > from_base {
                    act.set_replicas(Version::Candidate, cand - (excess - from_base));
                }
            }
        }
        true
    }

    fn fail(&mut self, obs: &Observation<'_>, act: &mut Actions, detector: String, reason: String) {
        act.detected(detector, reason.clone());
        if self.spec.auto_rollback {
            act.phase(
                Phase::RollingBack,
                format!("{reason}: redeploying the last good revision"),
            );
            self.state = State::RollingBack;
            self.move_batch(obs, act, Version::Candidate, Version::Baseline, true);
        } else {
            act.phase(Phase::Paused, format!("{reason}: deployment stopped"));
            self.state = State::Stopped;
        }
    }

    fn deploy(&mut self, obs: &Observation<'_>, act: &mut Actions, bake_until: Option<SimTime>) {
        let now = obs.now;
        let total = obs.desired;
        let cand = obs.cohort(Version::Candidate);
        let failed = cand
            .restarts
            .saturating_sub(self.restarts_at_start)
            .min(cand.spec);
        let minimum = self.spec.minimum_healthy_hosts.resolve(total);
        if failed > 0 && total - failed < minimum {
            let reason = format!(
                "{failed} instance deployments failed; {} healthy cannot reach the minimum of {minimum}",
                total - failed
            );
            self.fail(obs, act, "codedeploy:deployment-failed".into(), reason);
            return;
        }
        if !self.spec.gates.is_empty() && cand.spec > 0 && now >= self.next_poll {
            self.next_poll = now + SimDuration::from_secs_f64(self.spec.gate_interval_seconds);
            let j = judge(&self.spec.gates, obs, self.change_start, act);
            if j.verdict == Verdict::Fail {
                let (name, reason) = j.failed.unwrap_or_default();
                self.fail(
                    obs,
                    act,
                    format!("gate:{name}"),
                    format!("alarm {name} ({reason})"),
                );
                return;
            }
        }
        if !self.spec.gates.is_empty() {
            act.wake_at(self.next_poll);
        }
        let batch_healthy = cand.available >= cand.spec;
        let bake_until = match bake_until {
            Some(t) => Some(t),
            None if batch_healthy && cand.spec > 0 && cand.spec < total => {
                let t = now + SimDuration::from_secs_f64(self.spec.bake_seconds);
                act.note(
                    now,
                    LogKind::Step,
                    "bake",
                    format!(
                        "{} instances on the new revision; baking {}s",
                        cand.spec, self.spec.bake_seconds
                    ),
                );
                Some(t)
            }
            None => None,
        };
        let baked = bake_until.is_none_or(|t| now >= t);
        if let Some(t) = bake_until
            && now < t
        {
            act.wake_at(t);
        }
        let spec_before = cand.spec;
        if self.move_batch(obs, act, Version::Baseline, Version::Candidate, baked) {
            act.phase(Phase::Promoted, "every instance on the new revision");
            self.state = State::Succeeded;
            return;
        }
        let moved = act.commands.iter().any(|c| matches!(c, sim_core::Command::SetReplicas { version: Version::Candidate, count } if *count != spec_before));
        self.state = State::Deploying {
            bake_until: if moved { None } else { bake_until },
        };
    }
}

impl Controller for BatchedController {
    fn sync(&mut self, obs: &Observation<'_>, act: &mut Actions) {
        if self.resize(obs, act) {
            return;
        }
        if self.state == State::Waiting {
            if !obs.release_requested {
                return;
            }
            self.change_start = obs.now;
            self.restarts_at_start = obs.cohort(Version::Candidate).restarts;
            if self.spec.batch(obs.desired) == 0 {
                act.note(
                    obs.now,
                    LogKind::Condition,
                    "codedeploy",
                    "the minimum healthy hosts leave no instance to deploy to: deployment failed",
                );
                self.state = State::Stopped;
                return;
            }
            act.phase(Phase::Progressing, "in-place deployment started");
            self.state = State::Deploying { bake_until: None };
        }
        if obs.rollback_requested.is_some()
            && matches!(
                self.state,
                State::Deploying { .. } | State::Succeeded | State::Stopped
            )
        {
            act.phase(
                Phase::RollingBack,
                "on-call engineer redeploys the last good revision",
            );
            self.state = State::RollingBack;
        }
        match self.state {
            State::Deploying { bake_until } => self.deploy(obs, act, bake_until),
            State::RollingBack => {
                if self.move_batch(obs, act, Version::Candidate, Version::Baseline, true)
                    && obs.cohort(Version::Candidate).pods == 0
                {
                    act.phase(Phase::RolledBack, "rollback deployment finished");
                    self.state = State::RolledBack;
                }
            }
            State::Waiting | State::Stopped | State::Succeeded | State::RolledBack => {}
        }
    }

    fn min_ready(&self) -> SimDuration {
        SimDuration::from_secs_f64(self.spec.min_ready_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(min: MinimumHealthyHosts, cap: Option<IntOrPercent>) -> BatchedSpec {
        BatchedSpec {
            minimum_healthy_hosts: min,
            batch_size: cap,
            bake_seconds: 0.0,
            gate_interval_seconds: 15.0,
            auto_rollback: true,
            min_ready_seconds: 0.0,
            gates: Vec::new(),
        }
    }

    #[test]
    fn batches_follow_the_codedeploy_examples() {
        use MinimumHealthyHosts::*;
        // The API reference: nine instances, HOST_COUNT 6 -> three at a time; FLEET_PERCENT
        // 40 -> a minimum of four (3.6 rounded up), five at a time.
        assert_eq!(spec(HostCount(6), None).batch(9), 3);
        assert_eq!(FleetPercent(40).resolve(9), 4);
        assert_eq!(spec(FleetPercent(40), None).batch(9), 5);
        // HalfAtATime (FLEET_PERCENT 50) on 9: minimum 5, batches of 4; AllAtOnce.
        assert_eq!(spec(FleetPercent(50), None).batch(9), 4);
        assert_eq!(spec(HostCount(0), None).batch(9), 9);
        // One at a time through the cap; a cap never raises the batch.
        assert_eq!(spec(HostCount(0), Some(IntOrPercent::Int(1))).batch(20), 1);
        assert_eq!(
            spec(FleetPercent(90), Some(IntOrPercent::Percent(50.0))).batch(20),
            2
        );
        // A minimum of the whole fleet leaves nothing to deploy to.
        assert_eq!(spec(FleetPercent(100), None).batch(20), 0);
        assert_eq!(spec(HostCount(25), None).batch(20), 0);
    }

    /// The Auto Scaling group's capacity: at rest the settled revision follows it; during
    /// the deployment growth goes to the baseline (the last successful revision) and
    /// shrinkage comes from the baseline first, then the candidate; the batch is the
    /// current capacity's.
    #[test]
    fn the_group_capacity_is_followed_at_every_phase() {
        use crate::test_fleet::Fleet;
        use MinimumHealthyHosts::FleetPercent;
        let mut c = BatchedController::new(spec(FleetPercent(50), None));
        let mut f = Fleet::new(10);
        f.release_requested = false;
        for n in [11, 10] {
            f.resize(n);
            f.sync(&mut c);
            assert_eq!(f.spec, [n, 0], "before the release");
        }
        f.release_requested = true;
        f.sync(&mut c);
        // HalfAtATime on 10: a minimum of 5, a batch of 5.
        assert_eq!(f.spec, [5, 5]);
        f.resize(12);
        f.sync(&mut c);
        assert_eq!((f.spec, f.changes), ([7, 5], 1), "growth to the baseline");
        f.settle();
        f.sync(&mut c);
        // 12 at 50%: a minimum of 6, a batch of 6, of which 7 baseline instances give 6.
        assert_eq!(f.spec, [1, 11]);
        f.resize(11);
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 11], "shrinkage from the baseline first");
        f.resize(9);
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 9], "then from the candidate");
        f.settle();
        f.sync(&mut c);
        assert_eq!(f.phases.last(), Some(&Phase::Promoted));
        f.resize(13);
        f.sync(&mut c);
        assert_eq!(f.spec, [0, 13], "succeeded: the new revision follows");
        // Rolled back (a human's request), the baseline follows.
        let mut c = BatchedController::new(spec(FleetPercent(50), None));
        let mut f = Fleet::new(4);
        f.sync(&mut c);
        f.settle();
        f.rollback_requested = Some(f.now);
        f.run(&mut c, 100, &[Phase::RolledBack]);
        assert_eq!(f.phases.last(), Some(&Phase::RolledBack));
        assert_eq!(f.spec, [4, 0]);
        f.resize(3);
        f.sync(&mut c);
        assert_eq!(f.spec, [3, 0]);
    }

    /// A deployment stopped by an alarm (no automatic rollback) still grows its
    /// baseline: new instances get the last successful revision.
    #[test]
    fn a_stopped_deployment_grows_its_baseline() {
        use crate::test_fleet::Fleet;
        let mut s = spec(MinimumHealthyHosts::FleetPercent(50), None);
        s.auto_rollback = false;
        s.gates = vec![GateSpec {
            name: "errors".into(),
            metric: crate::gate::GateMetric::ErrorRatio,
            comparison: crate::gate::Comparison::Absolute,
            threshold: 0.01,
            slack: 0.0,
            window_seconds: 60.0,
            min_samples: 100,
            on_empty: crate::gate::EmptyRule::Fail,
        }];
        let mut c = BatchedController::new(s);
        let mut f = Fleet::new(4);
        f.sync(&mut c);
        assert_eq!(f.spec, [2, 2]);
        f.settle();
        f.sync(&mut c);
        assert_eq!(f.phases.last(), Some(&Phase::Paused));
        f.resize(6);
        f.sync(&mut c);
        assert_eq!(f.spec, [4, 2]);
    }
}
