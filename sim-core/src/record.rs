//! What a run leaves behind: raw facts, from which `reports` derives every metric.

use crate::control::{CohortStatus, Phase};
use crate::hist::Histogram;
use crate::log::LogRecord;
use crate::metrics::{BadClass, MetricsStore};
use crate::time::{SimDuration, SimTime};

/// Pods of one version by state, at one scrape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Unscheduled pods (only with `[cluster]`).
    pub pending: u32,
    pub starting: u32,
    pub ready: u32,
    pub crashed: u32,
    pub terminating: u32,
}

/// One row of the timeline: the truth (not lagged) over one scrape interval.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineRow {
    pub at: SimTime,
    /// The Deployment's `spec.replicas` at the scrape: the autoscaler moves it.
    pub desired: u32,
    /// Indexed by `Version::index()`.
    pub pods: [StateCounts; 2],
    pub available: u32,
    /// Arrivals in the interval.
    pub arrivals: u64,
    /// Requests resolved in the interval (ok, error or timeout).
    pub requests: u64,
    /// Errors and timeouts in the interval.
    pub failed: u64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub burn_5m: Option<f64>,
    pub burn_1h: Option<f64>,
    /// Requests queued or in service at the scrape.
    pub in_flight: u64,
    pub sessions_lost: u64,
    /// Whether the metrics pipeline delivered this scrape to detectors.
    pub scraped: bool,
    /// The interval's requests, errors and timeouts of each version (indexed by
    /// `Version::index()`): the counts the gates read (`failed = errors + timeouts`).
    pub versions: [VersionCounts; 2],
    /// The SLO's bad events in the interval (errors, timeouts, slow successes and lost
    /// sessions), as the pager counts them; its events are the `requests` resolved.
    pub slo_bad_events: u64,
}

/// One version's request counts over one scrape interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VersionCounts {
    /// Requests resolved: ok, errors and timeouts.
    pub requests: u64,
    pub errors: u64,
    pub timeouts: u64,
}

/// What one fault did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultRecord {
    pub name: String,
    /// First time its mechanism was live on an instance.
    pub t_active: Option<SimTime>,
    pub t_first_bad: Option<SimTime>,
    pub t_last_bad: Option<SimTime>,
    /// Bad events it caused, by `BadClass::index()`.
    pub bad: [u64; 4],
    /// Business-KPI losses it caused (lost conversions, corrupted answers): bad for the
    /// business, invisible to the SLO.
    pub kpi_lost: u64,
    /// Carried by the release (see `FaultDef::release`).
    pub release: bool,
}

/// Request counts; `arrived = succeeded + errors + timeouts + in_flight_end` always.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub arrived: u64,
    /// Served without error (slow ones included).
    pub succeeded: u64,
    pub errors: u64,
    pub timeouts: u64,
    /// Successes slower than the SLO threshold.
    pub slow: u64,
    pub sessions_lost: u64,
    /// Still queued or in service when the run ended.
    pub in_flight_end: u64,
    /// Client retries among the arrivals.
    pub retries: u64,
    /// Successful requests that could convert, conversions, and conversions lost.
    pub kpi_requests: u64,
    pub conversions: u64,
    pub kpi_lost: u64,
    /// Bad events that carry no fault: background noise and the rollout's own cost.
    pub bad_unattributed: u64,
    /// Requests cut because a draining pod reached its drain timeout (unattributed
    /// errors: the rollout's own cost).
    pub drain_cuts: u64,
    /// Requests refused because their pod's queue held `fleet.queue_limit` requests
    /// (counted among the errors).
    pub shed: u64,
}

impl Counts {
    pub fn bad(&self, class: BadClass) -> u64 {
        match class {
            BadClass::Error => self.errors,
            BadClass::Timeout => self.timeouts,
            BadClass::Slow => self.slow,
            BadClass::SessionLost => self.sessions_lost,
        }
    }

    pub fn bad_total(&self) -> u64 {
        self.errors + self.timeouts + self.slow + self.sessions_lost
    }
}

/// The first detector to fire.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    pub at: SimTime,
    pub detector: String,
    pub reason: String,
}

/// How the rollout progressed, from the engine's own bookkeeping (O(1) per step and
/// per pod status change): what the deployment-progress, healthy-ratio, crash-rate and
/// dependency-error figures are derived from.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RolloutRecord {
    /// Rollout steps during the change: instants at which a controller command raised
    /// the candidate's desired replicas or its traffic weight (several commands at one
    /// instant are one step).
    pub steps: u32,
    pub t_first_step: Option<SimTime>,
    pub t_last_step: Option<SimTime>,
    /// The longest time between two consecutive steps.
    pub step_gap_max: SimDuration,
    /// Over the change (`t_change_start` to `t_change_end`, or to the end of the run if
    /// it never ended): the fewest available pods held for some time, capped at the
    /// desired count, and the integral of that count over time in pod-nanoseconds.
    /// `None` if the change never started.
    pub healthy_min: Option<u32>,
    pub healthy_pod_nanos: u128,
    /// Only when the desired count moved during the change (an autoscaler): the
    /// fewest available pods over the desired count at the time, and the integral of
    /// the desired count in pod-nanoseconds, so the healthy ratio is against what the
    /// Deployment wanted at each moment.
    pub moving_desired: Option<MovingDesired>,
    /// The length of that window.
    pub change_window: SimDuration,
    /// Candidate processes whose start finished (they became ready, or crashed while
    /// starting), and candidate crashes of any kind.
    pub candidate_starts: u64,
    pub candidate_crashes: u64,
    /// During the change: calls to a failing dependency, counted in expectation (each
    /// request served by a pod with a live dependency fault adds its `call_share`, as
    /// calls are not drawn one by one), and requests failed by a dependency fault.
    pub dependency_calls: f64,
    pub dependency_errors: u64,
}

/// See `RolloutRecord::moving_desired`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MovingDesired {
    /// `None` if the desired count was 0 throughout.
    pub ratio_min: Option<f64>,
    pub desired_pod_nanos: u128,
}

#[derive(Clone, Debug)]
pub struct RunRecord {
    pub horizon: SimTime,
    /// Set if a hard bound ended the run early.
    pub limit_hit: Option<String>,
    pub events_processed: u64,
    pub counts: Counts,
    /// Latency of every served request.
    pub latency: Histogram,
    pub crashes: u64,
    /// Most pods at once (terminating pods excluded, as Kubernetes counts them).
    pub instances_max: u32,
    /// Fewest available pods at once.
    pub available_min: u32,
    /// The Deployment's replicas at the start of the run (`fleet.replicas`); an
    /// autoscaler moves it during the run (see `timeline`).
    pub desired: u32,
    pub t_change_start: Option<SimTime>,
    pub t_change_end: Option<SimTime>,
    pub t_promoted: Option<SimTime>,
    /// First time every pod ran the candidate (no baseline pod left).
    pub t_full_fleet: Option<SimTime>,
    pub final_phase: Phase,
    pub t_fault_active: Option<SimTime>,
    /// First time a release fault (one the candidate carries) was live.
    pub t_release_fault_active: Option<SimTime>,
    pub t_impact_start: Option<SimTime>,
    /// Last bad event attributable to any fault.
    pub t_last_bad: Option<SimTime>,
    pub detection: Option<Detection>,
    pub t_recover: Option<SimTime>,
    pub faults: Vec<FaultRecord>,
    pub peak_burn_5m: f64,
    pub peak_burn_1h: f64,
    /// ε = 1 − objective.
    pub error_budget: f64,
    /// Events the SLO window expects at the steady traffic rate: the budget's scale.
    pub slo_window_events: f64,
    pub timeline: Vec<TimelineRow>,
    pub log: Vec<LogRecord>,
    pub metrics: MetricsStore,
    pub rollout: RolloutRecord,
    /// The fleet as the controller saw it at each sync where it had changed, in time
    /// order: the ReplicaSets' status a real cluster's kube-state-metrics reports, at
    /// the moments it changed, so `metrics.om` can carry it and a backtest can follow
    /// the pods as they were instead of assuming they follow the controller at once.
    pub fleet: Vec<FleetPoint>,
    /// Pods Pending (no room in the cluster) when the run ended: 0 without `[cluster]`.
    pub pending_end: u32,
}

/// The fleet's status from `at` until the next point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetPoint {
    pub at: SimTime,
    /// Indexed by `Version::index()`.
    pub cohorts: [CohortStatus; 2],
}
