//! `[autoscaler]` and `[cluster]`: what moves the fleet's size under the rollout, from
//! the user's units to the engine's.

use sim_core::hpa::{Behavior, HpaSpec, Rules, ScalingPolicy, Select, Target};
use sim_core::world::{AutoscalerConfig, AutoscalerMetric, Capacity, ClusterConfig};
use sim_core::{SimDuration, SimTime};

use crate::model::{Autoscaler, Cluster, HpaMetric, HpaRules};

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
            select: match self.select.as_str() {
                "min" => Select::Min,
                "disabled" => Select::Disabled,
                _ => Select::Max,
            },
            policies: self
                .policies
                .iter()
                .map(|p| {
                    let period = secs(p.period_seconds);
                    if p.kind == "percent" {
                        ScalingPolicy::Percent {
                            value: p.value,
                            period,
                        }
                    } else {
                        ScalingPolicy::Pods {
                            value: p.value,
                            period,
                        }
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
