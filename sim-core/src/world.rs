//! Everything the engine needs to build a world, checked before the first event.

use crate::dist::ServiceDist;
use crate::lb::Strategy;
use crate::rng::RunSeed;
use crate::slo::SloConfig;
use crate::time::{SimDuration, SimTime};
use crate::traffic::RateProfile;
use crate::version::{FaultDef, VersionModel};

/// The fleet: a Deployment's pods and how each behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetConfig {
    pub replicas: u32,
    /// Workers per instance: requests served at once.
    pub concurrency: u32,
    /// The client gives up after this long.
    pub request_timeout: SimDuration,
    /// A draining instance's remaining requests are cut after this long.
    pub drain_timeout: SimDuration,
    /// Crash-loop backoff: first delay, cap, and the healthy run time that resets it
    /// (Kubernetes: 10 s doubling to 300 s, reset after 10 min).
    pub backoff_initial: SimDuration,
    pub backoff_max: SimDuration,
    pub backoff_reset: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LbConfig {
    pub strategy: Strategy,
    pub health_interval: SimDuration,
    /// Consecutive failed checks before an instance is taken out.
    pub unhealthy_threshold: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Observability {
    pub scrape_interval: SimDuration,
    /// How long after a scrape its numbers reach detectors.
    pub metrics_lag: SimDuration,
}

/// A fully specified world.
#[derive(Clone, Debug, PartialEq)]
pub struct WorldConfig {
    pub seed: RunSeed,
    pub horizon: SimTime,
    /// Hard bound on processed events; reaching it ends the run as a reported failure.
    pub max_events: u64,
    pub fleet: FleetConfig,
    pub lb: LbConfig,
    pub traffic: RateProfile,
    /// Indexed by `Version::index()`.
    pub versions: [VersionModel; 2],
    pub faults: Vec<FaultDef>,
    pub slo: SloConfig,
    pub observability: Observability,
    /// When the release is handed to the policy; `None` for no release.
    pub rollout_start: Option<SimTime>,
}

impl WorldConfig {
    /// Checks the invariants the engine relies on. The scenario layer reports user
    /// mistakes with file and key; this catches what slipped past it.
    pub fn check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let mut need = |ok: bool, what: &str| {
            if !ok {
                problems.push(what.to_string());
            }
        };
        need(self.horizon > SimTime::ZERO, "horizon must be positive");
        need(self.max_events > 0, "max_events must be positive");
        need(self.fleet.replicas > 0, "fleet.replicas must be at least 1");
        need(
            self.fleet.concurrency > 0,
            "fleet.concurrency must be at least 1",
        );
        need(
            self.fleet.request_timeout > SimDuration::ZERO,
            "request timeout must be positive",
        );
        need(
            self.fleet.backoff_initial > SimDuration::ZERO
                && self.fleet.backoff_max >= self.fleet.backoff_initial,
            "backoff must be positive and its cap at least its first delay",
        );
        need(
            self.lb.health_interval > SimDuration::ZERO && self.lb.unhealthy_threshold > 0,
            "health checks need a positive interval and threshold",
        );
        need(
            self.observability.scrape_interval > SimDuration::ZERO,
            "scrape interval must be positive",
        );
        need(
            self.slo.objective > 0.0 && self.slo.objective < 1.0,
            "SLO objective must be in (0, 1)",
        );
        need(
            self.traffic.peak_rate() >= 0.0,
            "traffic rate must be non-negative",
        );
        need(self.faults.len() <= 64, "at most 64 faults");
        for v in &self.versions {
            need(
                v.service_multiplier > 0.0 && v.service.mean() > SimDuration::ZERO,
                "service time must be positive",
            );
            if let ServiceDist::LogNormal { sigma, .. } = v.service {
                need(sigma > 0.0, "log-normal sigma must be positive");
            }
            need(
                (0.0..=1.0).contains(&v.error_probability)
                    && (0.0..=1.0).contains(&v.crash_on_start_probability),
                "probabilities must be in [0, 1]",
            );
            need(
                v.memory.limit_mb > v.memory.base_mb,
                "memory limit must exceed base memory",
            );
        }
        for f in &self.faults {
            need(
                (0.0..=1.0).contains(&f.target.fraction),
                "fault fraction must be in [0, 1]",
            );
            need(f.end > f.start, "fault window must not be empty");
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}
