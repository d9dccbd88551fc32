//! What an instance runs: its version's profile plus the faults that touch it.
//!
//! A version profile is the release's own behaviour. When an instance's process starts
//! (or a fault's window opens or closes) the engine folds the profile and the live
//! instance faults that target the instance into `InstanceParams`, the flat numbers the
//! request path reads, keeping for each effect which fault caused it so that every bad
//! event can be attributed exactly.

use crate::dist::ServiceDist;
use crate::fault::Effect;
use crate::ids::FaultId;
use crate::time::SimDuration;

/// A release's own behaviour.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionModel {
    pub service: ServiceDist,
    /// Multiplies every service time.
    pub service_multiplier: f64,
    /// Chance a served request returns an error.
    pub error_probability: f64,
    pub memory: MemoryModel,
    /// From process start to readiness.
    pub startup: SimDuration,
    /// Chance a process start ends in a crash instead of readiness.
    pub crash_on_start_probability: f64,
}

/// Resident memory of a process: `base + per_second * age + per_request * served`,
/// OOM-killed when it reaches `limit`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryModel {
    pub base_mb: f64,
    pub leak_mb_per_s: f64,
    pub leak_kb_per_request: f64,
    pub limit_mb: f64,
}

impl MemoryModel {
    pub const NO_LEAK: MemoryModel = MemoryModel {
        base_mb: 200.0,
        leak_mb_per_s: 0.0,
        leak_kb_per_request: 0.0,
        limit_mb: f64::INFINITY,
    };
}

/// The most error segments an instance carries: its version's plus this many faults.
pub const MAX_ERROR_SEGMENTS: usize = 8;

/// The numbers the request path reads for one instance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstanceParams {
    pub service_multiplier: f64,
    /// The fault with the largest latency multiplier, if any multiplies it.
    pub latency_fault: Option<FaultId>,
    /// Added service time on a share of requests (a slow dependency), and its cause.
    pub shift: SimDuration,
    pub shift_share: f64,
    pub shift_fault: Option<FaultId>,
    /// Error chance split in segments `[prev, upper)`, each with its cause; a uniform
    /// draw below the last `upper` fails the request and its segment names the cause.
    pub error_upper: [f64; MAX_ERROR_SEGMENTS],
    pub error_cause: [Option<FaultId>; MAX_ERROR_SEGMENTS],
    pub error_segments: u8,
    pub leak_mb_per_s: f64,
    pub leak_kb_per_request: f64,
    /// The fault whose leak is the largest share of the total, if any.
    pub leak_fault: Option<FaultId>,
    /// Garbage-collection pressure: service times stretch linearly from 1 at
    /// `gc_threshold` of the memory limit to `gc_multiplier` at the limit.
    pub gc_multiplier: f64,
    pub gc_threshold: f64,
    pub crash_on_start: f64,
    pub crash_fault: Option<FaultId>,
    /// Crash this long after readiness, and its cause.
    pub crash_after_ready: Option<SimDuration>,
    pub crash_after_fault: Option<FaultId>,
    /// Share of conversions kept (1 = no KPI bug), and the bug that loses the rest.
    pub kpi_keep: f64,
    pub kpi_fault: Option<FaultId>,
    /// Load-balancer weight (1 = fair share), and the fault that skews it.
    pub lb_weight: f64,
    pub weight_fault: Option<FaultId>,
    /// The share of requests that call a failing dependency (summed over dependency
    /// faults, at most 1), and those faults as a bit set of fault indices.
    pub dependency_share: f64,
    pub dependency_faults: u64,
}

impl InstanceParams {
    /// Folds a version profile and the live faults that touch this instance.
    pub fn build<'a>(
        model: &VersionModel,
        faults: impl Iterator<Item = (FaultId, &'a Effect)>,
    ) -> InstanceParams {
        let mut p = InstanceParams {
            service_multiplier: model.service_multiplier,
            latency_fault: None,
            shift: SimDuration::ZERO,
            shift_share: 0.0,
            shift_fault: None,
            error_upper: [0.0; MAX_ERROR_SEGMENTS],
            error_cause: [None; MAX_ERROR_SEGMENTS],
            error_segments: 0,
            leak_mb_per_s: model.memory.leak_mb_per_s,
            leak_kb_per_request: model.memory.leak_kb_per_request,
            leak_fault: None,
            gc_multiplier: 1.0,
            gc_threshold: 1.0,
            crash_on_start: model.crash_on_start_probability,
            crash_fault: None,
            crash_after_ready: None,
            crash_after_fault: None,
            kpi_keep: 1.0,
            kpi_fault: None,
            lb_weight: 1.0,
            weight_fault: None,
            dependency_share: 0.0,
            dependency_faults: 0,
        };
        let mut worst_latency = 1.0;
        let mut worst_leak = model.memory.leak_mb_per_s + model.memory.leak_kb_per_request;
        let mut worst_crash = model.crash_on_start_probability;
        p.push_error(model.error_probability, None);
        for (id, effect) in faults {
            match *effect {
                Effect::Errors { probability } => p.push_error(probability, Some(id)),
                Effect::Latency {
                    multiplier,
                    shift,
                    share,
                } => {
                    p.service_multiplier *= multiplier;
                    if multiplier > worst_latency {
                        worst_latency = multiplier;
                        p.latency_fault = Some(id);
                    }
                    if shift > SimDuration::ZERO && share > 0.0 && shift >= p.shift {
                        p.shift = shift;
                        p.shift_share = share;
                        p.shift_fault = Some(id);
                    }
                }
                Effect::MemoryLeak {
                    mb_per_s,
                    kb_per_request,
                    gc_multiplier,
                    gc_threshold,
                } => {
                    p.leak_mb_per_s += mb_per_s;
                    p.leak_kb_per_request += kb_per_request;
                    if mb_per_s + kb_per_request > worst_leak {
                        worst_leak = mb_per_s + kb_per_request;
                        p.leak_fault = Some(id);
                    }
                    if gc_multiplier > p.gc_multiplier {
                        p.gc_multiplier = gc_multiplier;
                        p.gc_threshold = gc_threshold;
                    }
                }
                Effect::CrashOnStart { probability } => {
                    p.crash_on_start = 1.0 - (1.0 - p.crash_on_start) * (1.0 - probability);
                    if probability > worst_crash {
                        worst_crash = probability;
                        p.crash_fault = Some(id);
                    }
                }
                Effect::CrashAfterReady { after } => {
                    if p.crash_after_ready.is_none_or(|a| after < a) {
                        p.crash_after_ready = Some(after);
                        p.crash_after_fault = Some(id);
                    }
                }
                Effect::KpiLoss { share } => {
                    p.kpi_keep *= 1.0 - share;
                    p.kpi_fault.get_or_insert(id);
                }
                Effect::LbWeight { weight } => {
                    p.lb_weight *= weight;
                    p.weight_fault.get_or_insert(id);
                }
                Effect::Dependency {
                    call_share,
                    error_probability,
                    latency,
                } => {
                    p.push_error(call_share * error_probability, Some(id));
                    p.dependency_share = (p.dependency_share + call_share).min(1.0);
                    p.dependency_faults |= 1 << id.index();
                    if latency > SimDuration::ZERO && latency >= p.shift {
                        p.shift = latency;
                        p.shift_share = call_share;
                        p.shift_fault = Some(id);
                    }
                }
            }
        }
        p
    }

    /// The fault that slows this instance, if any: a latency fault, a slow dependency,
    /// or a leak's GC pressure.
    pub fn slow_fault(&self) -> Option<FaultId> {
        self.latency_fault
            .or(self.shift_fault)
            .or(self.leak_fault.filter(|_| self.gc_multiplier > 1.0))
    }

    /// The garbage-collection stretch at this memory use (1 below the threshold).
    #[inline]
    pub fn gc_stretch(&self, memory_mb: f64, limit_mb: f64) -> f64 {
        if self.gc_multiplier <= 1.0 {
            return 1.0;
        }
        let from = self.gc_threshold * limit_mb;
        if memory_mb <= from {
            return 1.0;
        }
        let x = ((memory_mb - from) / (limit_mb - from)).min(1.0);
        1.0 + (self.gc_multiplier - 1.0) * x
    }

    fn push_error(&mut self, probability: f64, cause: Option<FaultId>) {
        if probability <= 0.0 {
            return;
        }
        let n = self.error_segments as usize;
        assert!(
            n < MAX_ERROR_SEGMENTS,
            "too many error faults on one instance"
        );
        let prev = if n == 0 { 0.0 } else { self.error_upper[n - 1] };
        self.error_upper[n] = (prev + probability).min(1.0);
        self.error_cause[n] = cause;
        self.error_segments += 1;
    }

    /// Total error chance.
    pub fn error_probability(&self) -> f64 {
        match self.error_segments {
            0 => 0.0,
            n => self.error_upper[n as usize - 1],
        }
    }

    /// Whether a uniform draw `u` fails the request, and if so its cause.
    #[inline]
    pub fn error_for(&self, u: f64) -> Option<Option<FaultId>> {
        (0..self.error_segments as usize)
            .find(|&i| u < self.error_upper[i])
            .map(|i| self.error_cause[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> VersionModel {
        VersionModel {
            service: ServiceDist::Constant {
                value: SimDuration::from_millis(10),
            },
            service_multiplier: 1.0,
            error_probability: 0.01,
            memory: MemoryModel::NO_LEAK,
            startup: SimDuration::from_secs(10),
            crash_on_start_probability: 0.0,
        }
    }

    #[test]
    fn error_segments_attribute_each_cause() {
        let f = FaultId::from_index(0);
        let effects = [Effect::Errors { probability: 0.04 }];
        let p = InstanceParams::build(&model(), effects.iter().map(|e| (f, e)));
        assert!((p.error_probability() - 0.05).abs() < 1e-12);
        assert_eq!(p.error_for(0.005), Some(None), "background error");
        assert_eq!(p.error_for(0.02), Some(Some(f)), "the fault's error");
        assert_eq!(p.error_for(0.06), None);
    }

    #[test]
    fn latency_and_leak_name_their_fault() {
        let a = FaultId::from_index(0);
        let b = FaultId::from_index(1);
        let effects = [
            (
                a,
                Effect::Latency {
                    multiplier: 2.0,
                    shift: SimDuration::ZERO,
                    share: 0.0,
                },
            ),
            (
                b,
                Effect::MemoryLeak {
                    mb_per_s: 2.0,
                    kb_per_request: 0.0,
                    gc_multiplier: 3.0,
                    gc_threshold: 0.5,
                },
            ),
        ];
        let p = InstanceParams::build(&model(), effects.iter().map(|(i, e)| (*i, e)));
        assert_eq!(p.service_multiplier, 2.0);
        assert_eq!(p.latency_fault, Some(a));
        assert_eq!(p.leak_fault, Some(b));
        assert_eq!(p.leak_mb_per_s, 2.0);
        // GC: no stretch below half the limit, 2x at three quarters, 3x at the limit.
        assert_eq!(p.gc_stretch(400.0, 1000.0), 1.0);
        assert!((p.gc_stretch(750.0, 1000.0) - 2.0).abs() < 1e-12);
        assert!((p.gc_stretch(1000.0, 1000.0) - 3.0).abs() < 1e-12);
    }
}
