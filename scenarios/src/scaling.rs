//! `[autoscaler]` and `[cluster]`: what moves the fleet's size under the rollout, from
//! the user's units to the engine's.

use sim_core::hpa::{Behavior, HpaSpec, Rules, ScalingPolicy, Select, Target};
use sim_core::world::{AutoscalerConfig, AutoscalerMetric, Capacity, ClusterConfig};
use sim_core::{SimDuration, SimTime};

use crate::model::{
    Autoscaler, Cluster, HpaBehavior, HpaMetric, HpaPolicy, HpaPolicyKind, HpaRules, HpaSelect,
};

fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s)
}

/// Milli-units per worker: the HPA computes utilisation in whole milli-units as it does
/// CPU millicores, so a pod's request is `concurrency × 1000` and its usage the busy
/// workers × 1000.
pub const MILLI: u64 = 1000;

impl Autoscaler {
    /// The engine's autoscaler for a fleet of `concurrency` workers per pod.
    pub fn config(&self, concurrency: u32) -> AutoscalerConfig {
        let target = match self.metric {
            HpaMetric::Utilization => Target::Utilization {
                percent: self.target.round() as u32,
                request_milli: u64::from(concurrency) * MILLI,
            },
            HpaMetric::RequestsPerPod => Target::AverageValue {
                milli: (self.target * MILLI as f64).round() as u64,
            },
        };
        let mut spec = HpaSpec::new(self.min_replicas, self.max_replicas, target);
        spec.tolerance = self.tolerance;
        spec.downscale_stabilization = secs(self.downscale_stabilization_seconds);
        spec.behavior = self.behavior.as_ref().map(|b| Behavior {
            scale_up: b.scale_up.rules(),
            scale_down: b.scale_down.rules(),
        });
        AutoscalerConfig {
            spec,
            metric: match self.metric {
                HpaMetric::Utilization => AutoscalerMetric::Utilization,
                HpaMetric::RequestsPerPod => AutoscalerMetric::RequestsPerPod,
            },
            sync_period: secs(self.sync_period_seconds),
            metrics_resolution: secs(self.metrics_resolution_seconds),
            cpu_initialization_period: secs(self.cpu_initialization_period_seconds),
            initial_readiness_delay: secs(self.initial_readiness_delay_seconds),
        }
    }
}

impl HpaRules {
    fn rules(&self) -> Rules {
        Rules {
            stabilization: secs(self.stabilization_window_seconds),
            select: match self.select {
                HpaSelect::Max => Select::Max,
                HpaSelect::Min => Select::Min,
                HpaSelect::Disabled => Select::Disabled,
            },
            policies: self
                .policies
                .iter()
                .map(|p| {
                    let (value, period) = (p.value, secs(p.period_seconds));
                    match p.kind {
                        HpaPolicyKind::Pods => ScalingPolicy::Pods { value, period },
                        HpaPolicyKind::Percent => ScalingPolicy::Percent { value, period },
                    }
                })
                .collect(),
        }
    }
}

impl Cluster {
    /// The engine's cluster.
    pub fn config(&self) -> ClusterConfig {
        ClusterConfig {
            capacity: Capacity {
                max_pods: self.max_pods,
                zone_pods: self.zone_pods.clone(),
            },
            changes: self
                .changes
                .iter()
                .map(|c| {
                    (
                        SimTime::ZERO + secs(c.at_seconds),
                        Capacity {
                            max_pods: c.max_pods,
                            zone_pods: c.zone_pods.clone(),
                        },
                    )
                })
                .collect(),
        }
    }
}

/// The HPA's API bounds (`validateScalingRules`): a window of at most an hour, a
/// policy period of 1 to 1800 s.
const MAX_STABILIZATION_SECONDS: f64 = 3600.0;
const MAX_POLICY_PERIOD_SECONDS: f64 = 1800.0;
/// The most policies one direction may list (the API sets no bound; this keeps a sync
/// cheap and a typo'd generator from writing thousands).
const MAX_POLICIES: usize = 16;

/// Reads `[autoscaler]` for a fleet of `fleet`'s pods; every problem is recorded
/// against its key.
pub(crate) fn read_autoscaler(s: &config::Section<'_>, fleet: &crate::model::Fleet) -> Autoscaler {
    use crate::limits::*;
    let min_replicas = s.u32_in("min_replicas", 1, 1..=MAX_REPLICAS);
    let max_replicas = match s.opt_f64("max_replicas") {
        None => {
            s.problem(
                "max_replicas",
                "required: the most replicas the autoscaler may set (spec.maxReplicas)",
            );
            min_replicas
        }
        Some(_) => s.u32_in("max_replicas", min_replicas, 1..=MAX_REPLICAS),
    };
    if max_replicas < min_replicas {
        s.problem(
            "max_replicas",
            format!("{max_replicas} is less than min_replicas {min_replicas}"),
        );
    }
    for (key, per_pod, max, what) in [
        ("max_replicas", fleet.concurrency, MAX_WORKERS, "workers"),
        (
            "max_replicas",
            fleet.queue_limit,
            MAX_QUEUED,
            "queued requests",
        ),
    ] {
        let total = u64::from(max_replicas) * u64::from(per_pod);
        if total > max {
            s.problem(
                key,
                format!(
                    "max_replicas × the fleet's per-pod figure must be at most {max} {what}, found {max_replicas} × {per_pod} = {total}"
                ),
            );
        }
    }
    let metric = s.choice_of(
        "metric",
        HpaMetric::Utilization,
        &HpaMetric::ALL,
        HpaMetric::name,
    );
    let target = match metric {
        HpaMetric::Utilization => {
            s.allow(&["target_requests_per_pod"]);
            if s.has("target_requests_per_pod") {
                s.problem(
                    "target_requests_per_pod",
                    "only for metric = \"requests_per_pod\"; utilisation reads target_utilization_percent",
                );
            }
            // Kubernetes' default target when an HPA names no metric: 80% CPU.
            f64::from(s.u32_in("target_utilization_percent", 80, 1..=1000))
        }
        HpaMetric::RequestsPerPod => {
            s.allow(&["target_utilization_percent"]);
            if s.has("target_utilization_percent") {
                s.problem(
                    "target_utilization_percent",
                    "only for metric = \"utilization\"; requests per pod reads target_requests_per_pod",
                );
            }
            if !s.has("target_requests_per_pod") {
                s.problem(
                    "target_requests_per_pod",
                    "required with metric = \"requests_per_pod\" (requests per second per pod)",
                );
            }
            s.f64_in("target_requests_per_pod", 1.0, 0.001..=MAX_RATE)
        }
    };
    let period = MIN_PERIOD_SECONDS..=MAX_DELAY_SECONDS;
    let behavior = s.has("behavior").then(|| {
        let b = s.section("behavior");
        HpaBehavior {
            scale_up: read_rules(&b.section("scale_up"), &Rules::default_scale_up()),
            scale_down: read_rules(&b.section("scale_down"), &Rules::default_scale_down()),
        }
    });
    Autoscaler {
        min_replicas,
        max_replicas,
        metric,
        target,
        tolerance: s.f64_in("tolerance", sim_core::hpa::DEFAULT_TOLERANCE, 0.0..=1.0),
        sync_period_seconds: s.f64_in("sync_period_seconds", 15.0, period.clone()),
        metrics_resolution_seconds: s.f64_in("metrics_resolution_seconds", 15.0, period.clone()),
        cpu_initialization_period_seconds: s.f64_in(
            "cpu_initialization_period_seconds",
            300.0,
            0.0..=MAX_DELAY_SECONDS,
        ),
        initial_readiness_delay_seconds: s.f64_in(
            "initial_readiness_delay_seconds",
            30.0,
            0.0..=MAX_DELAY_SECONDS,
        ),
        downscale_stabilization_seconds: s.f64_in(
            "downscale_stabilization_seconds",
            300.0,
            0.0..=MAX_DELAY_SECONDS,
        ),
        behavior,
    }
}

/// One direction of `[autoscaler.behavior]`, each missing field from `d` (the API's
/// defaults for that direction).
fn read_rules(s: &config::Section<'_>, d: &Rules) -> HpaRules {
    let default_select = match d.select {
        Select::Max => HpaSelect::Max,
        Select::Min => HpaSelect::Min,
        Select::Disabled => HpaSelect::Disabled,
    };
    let select = s.choice_of("select", default_select, &HpaSelect::ALL, HpaSelect::name);
    let policies = if s.has("policies") {
        let tables = s.tables("policies");
        if tables.len() > MAX_POLICIES {
            s.problem(
                "policies",
                format!("at most {MAX_POLICIES} policies, found {}", tables.len()),
            );
        }
        if tables.is_empty() && select != HpaSelect::Disabled {
            s.problem("policies", "must not be empty unless select = \"disabled\"");
        }
        tables
            .iter()
            .map(|p| HpaPolicy {
                kind: p.choice_of(
                    "type",
                    HpaPolicyKind::Pods,
                    &HpaPolicyKind::ALL,
                    HpaPolicyKind::name,
                ),
                value: p.u32_in("value", 1, 1..=u32::MAX),
                period_seconds: p.f64_in("period_seconds", 15.0, 1.0..=MAX_POLICY_PERIOD_SECONDS),
            })
            .collect()
    } else {
        d.policies
            .iter()
            .map(|p| {
                let (kind, value, period) = match *p {
                    ScalingPolicy::Pods { value, period } => (HpaPolicyKind::Pods, value, period),
                    ScalingPolicy::Percent { value, period } => {
                        (HpaPolicyKind::Percent, value, period)
                    }
                };
                HpaPolicy {
                    kind,
                    value,
                    period_seconds: period.as_secs_f64(),
                }
            })
            .collect()
    };
    HpaRules {
        stabilization_window_seconds: s.f64_in(
            "stabilization_window_seconds",
            d.stabilization.as_secs_f64(),
            0.0..=MAX_STABILIZATION_SECONDS,
        ),
        select,
        policies,
    }
}
