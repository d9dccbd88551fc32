//! The HorizontalPodAutoscaler in the world: metrics-server's per-pod samples and the
//! HPA's syncs, which move the Deployment's `spec.replicas` (`World::desired`) under
//! whatever controller runs the rollout.
//!
//! metrics-server samples every pod every `metrics_resolution`: the sample is the pod's
//! average over the window that just ended (busy workers × 1000 for utilisation, the
//! way CPU is reported in millicores; requests per second × 1000 for requests per
//! pod). The HPA syncs every `sync_period` and reads the latest sample of each pod, so
//! what it sees is up to one window old, and when a sync and a sample fall on the same
//! instant the sync goes first and reads the previous window: the lag a real HPA has.
//! The replica arithmetic is `crate::hpa`'s; this module only decides what each pod
//! looks like to it (`groupPods`).

use super::*;
use crate::hpa::{Hpa, PodSample};
use crate::world::{AutoscalerConfig, AutoscalerMetric};

/// One pod's metric as metrics-server last served it.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    /// The window's end; `None` until the pod has had a whole window of a running
    /// process.
    at: Option<SimTime>,
    milli: u64,
    /// Counters at the last sampling, to take the next window's difference.
    busy_nanos: u64,
    served: u64,
    process: u32,
    /// Whether the counters above were taken from a running process.
    primed: bool,
}

/// The autoscaler's state in a run.
pub(super) struct Autoscaler {
    hpa: Hpa,
    /// Indexed by instance id; grown as pods are created.
    samples: Vec<Sample>,
    /// Reused for every sync, so a sync allocates nothing after the first.
    pods: Vec<PodSample>,
}

impl Autoscaler {
    pub(super) fn new(cfg: &AutoscalerConfig) -> Autoscaler {
        Autoscaler {
            hpa: Hpa::new(cfg.spec.clone()),
            samples: Vec::new(),
            pods: Vec::new(),
        }
    }
}

impl World<'_> {
    /// The first sync and the first sampling: the sync is pushed first, so that on an
    /// instant they share it reads the window before (see the module doc).
    pub(super) fn boot_autoscaler(&mut self) {
        if let Some(a) = &self.cfg.autoscaler {
            self.queue
                .push(SimTime::ZERO + a.sync_period, Event::AutoscalerSync);
            self.queue
                .push(SimTime::ZERO + a.metrics_resolution, Event::MetricsSample);
        }
    }

    /// metrics-server's sampling: every live pod whose process ran through the whole
    /// window gets a new sample; a pod whose process is down (crashed) or is not
    /// scheduled has none this time, and one that restarted starts over.
    pub(super) fn on_metrics_sample(&mut self) {
        let (Some(cfg), Some(a)) = (self.cfg.autoscaler.as_ref(), self.autoscaler.as_mut()) else {
            return;
        };
        let window = cfg.metrics_resolution;
        let now = self.now;
        if a.samples.len() < self.instances.len() {
            a.samples.resize(self.instances.len(), Sample::default());
        }
        for &id in &self.live {
            let i = &self.instances[id.index()];
            let s = &mut a.samples[id.index()];
            // A container's CPU is measured from its start; a pods metric is served by
            // the application once it serves (ready, or draining).
            let running = match cfg.metric {
                AutoscalerMetric::Utilization => matches!(
                    i.state,
                    PodState::Starting | PodState::Ready | PodState::Terminating
                ),
                AutoscalerMetric::RequestsPerPod => i.serving(),
            };
            let whole_window = s.primed && s.process == i.process && running;
            if whole_window {
                let milli = match cfg.metric {
                    AutoscalerMetric::Utilization => {
                        (u128::from(i.busy_nanos - s.busy_nanos) * 1000 / u128::from(window.0))
                            as u64
                    }
                    AutoscalerMetric::RequestsPerPod => {
                        (u128::from(i.served - s.served) * 1000 * 1_000_000_000
                            / u128::from(window.0)) as u64
                    }
                };
                s.at = Some(now);
                s.milli = milli;
            } else if s.process != i.process {
                // A new process: its container's metrics start over.
                s.at = None;
            }
            s.busy_nanos = i.busy_nanos;
            s.served = i.served;
            s.process = i.process;
            s.primed = running;
        }
        self.queue.push(now + window, Event::MetricsSample);
    }

    /// One HPA sync: classify the pods as `groupPods` does, let the HPA compute, and
    /// scale the Deployment if it says so.
    pub(super) fn on_autoscaler_sync(&mut self) {
        let (Some(cfg), Some(a)) = (self.cfg.autoscaler.as_ref(), self.autoscaler.as_mut()) else {
            return;
        };
        let now = self.now;
        a.pods.clear();
        let (mut counted, mut total) = (0u64, 0u64);
        for &id in &self.live {
            let i = &self.instances[id.index()];
            let sample = a
                .samples
                .get(id.index())
                .and_then(|s| s.at.map(|at| (at, s.milli)));
            let Some(p) = pod_sample(cfg, now, i, sample) else {
                continue;
            };
            if let PodSample::Ready(v) = p {
                counted += 1;
                total += v;
            }
            a.pods.push(p);
        }
        let current = self.desired;
        let next = a.hpa.sync(now, current, &a.pods);
        self.queue
            .push(now + cfg.sync_period, Event::AutoscalerSync);
        if next == current {
            return;
        }
        let seen = describe_metric(cfg, counted, total);
        self.log.push(LogRecord::new(
            now,
            LogKind::Autoscale,
            "hpa",
            format!("replicas {current} -> {next} ({seen})"),
        ));
        self.desired = next;
        self.request_sync();
    }
}

/// What the HPA makes of one pod at `now` (`groupPods`): `None` for a pod it ignores
/// (being deleted); Pending pods are unready; a pod without a sample is missing; and
/// for utilisation (the CPU rules), a pod within the initialisation period counts only
/// if it is ready and its sample's window began after it became ready, and one past it
/// counts unless it is unready and never became ready (its condition last changed
/// within the initial readiness delay of its start).
fn pod_sample(
    cfg: &AutoscalerConfig,
    now: SimTime,
    i: &Instance,
    sample: Option<(SimTime, u64)>,
) -> Option<PodSample> {
    match i.state {
        PodState::Terminating | PodState::Terminated => return None,
        PodState::Pending => return Some(PodSample::Unready),
        _ => {}
    }
    let Some((at, milli)) = sample else {
        return Some(PodSample::Missing);
    };
    if cfg.metric == AutoscalerMetric::Utilization {
        let ready = i.state == PodState::Ready;
        let start = i.created_at;
        let unready = if start + cfg.cpu_initialization_period > now {
            // `metric.Timestamp.Before(lastTransition + metric.Window)`
            !ready || at < i.ready_changed + cfg.metrics_resolution
        } else {
            !ready && start + cfg.initial_readiness_delay > i.ready_changed
        };
        if unready {
            return Some(PodSample::Unready);
        }
    }
    Some(PodSample::Ready(milli))
}

/// The fleet's metric as the HPA saw it, for the log: the average over counted pods.
fn describe_metric(cfg: &AutoscalerConfig, counted: u64, total: u64) -> String {
    if counted == 0 {
        return "no pod with a metric".into();
    }
    let avg = total as f64 / counted as f64 / 1000.0;
    match cfg.spec.target {
        crate::hpa::Target::Utilization {
            percent,
            request_milli,
        } => format!(
            "utilization {:.0}% of {} pods, target {percent}%",
            avg * 100_000.0 / request_milli as f64,
            counted
        ),
        crate::hpa::Target::AverageValue { milli } => format!(
            "{avg:.1} requests/s per pod over {counted} pods, target {:.1}",
            milli as f64 / 1000.0
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hpa::{HpaSpec, Target};
    use crate::version::InstanceParams;

    fn cfg(metric: AutoscalerMetric) -> AutoscalerConfig {
        let target = match metric {
            AutoscalerMetric::Utilization => Target::Utilization {
                percent: 50,
                request_milli: 1000,
            },
            AutoscalerMetric::RequestsPerPod => Target::AverageValue { milli: 25_000 },
        };
        AutoscalerConfig {
            spec: HpaSpec::new(1, 40, target),
            metric,
            sync_period: SimDuration::from_secs(15),
            metrics_resolution: SimDuration::from_secs(15),
            cpu_initialization_period: SimDuration::from_secs(300),
            initial_readiness_delay: SimDuration::from_secs(30),
        }
    }

    /// A pod created at 100 s, in `state`, whose Ready condition last changed at
    /// `changed_s`.
    fn pod(state: PodState, changed_s: u64) -> Instance {
        let params = InstanceParams::build(&crate::testing::model(), std::iter::empty());
        let mut i = Instance::new(
            Version::Baseline,
            SimTime::from_secs(100),
            1,
            params,
            0,
            SimDuration::from_secs(10),
            0,
        );
        i.state = state;
        i.ready_changed = SimTime::from_secs(changed_s);
        i
    }

    fn at(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    fn classify(
        metric: AutoscalerMetric,
        now_s: u64,
        i: &Instance,
        sample_s: Option<u64>,
    ) -> Option<PodSample> {
        pod_sample(&cfg(metric), at(now_s), i, sample_s.map(|s| (at(s), 700)))
    }

    #[test]
    fn deleted_pods_are_ignored_pending_ones_unready_and_unsampled_ones_missing() {
        for metric in [
            AutoscalerMetric::Utilization,
            AutoscalerMetric::RequestsPerPod,
        ] {
            let terminating = pod(PodState::Terminating, 100);
            assert_eq!(classify(metric, 500, &terminating, Some(495)), None);
            assert_eq!(
                classify(metric, 500, &pod(PodState::Pending, 100), None),
                Some(PodSample::Unready)
            );
            assert_eq!(
                classify(metric, 500, &pod(PodState::Ready, 120), None),
                Some(PodSample::Missing)
            );
        }
    }

    /// Within the CPU initialisation period (the pod started at 100 s, so until 400 s) a
    /// ready pod counts only once a whole window (15 s) of its metric follows its
    /// becoming ready: `metric.Timestamp.Before(transition + window)` is strict.
    #[test]
    fn a_starting_pods_cpu_counts_from_one_window_after_it_became_ready() {
        let m = AutoscalerMetric::Utilization;
        let ready = pod(PodState::Ready, 120);
        assert_eq!(
            classify(m, 140, &ready, Some(134)),
            Some(PodSample::Unready)
        );
        assert_eq!(
            classify(m, 140, &ready, Some(135)),
            Some(PodSample::Ready(700))
        );
        let starting = pod(PodState::Starting, 100);
        assert_eq!(
            classify(m, 200, &starting, Some(195)),
            Some(PodSample::Unready)
        );
        // The initialisation period ends at 400 s: from then on the strict `After`
        // no longer holds and the later rule applies.
        assert_eq!(
            classify(m, 399, &ready, Some(121)),
            Some(PodSample::Unready)
        );
        assert_eq!(
            classify(m, 400, &ready, Some(121)),
            Some(PodSample::Ready(700))
        );
    }

    /// Past the initialisation period an unready pod counts (its low usage pulls the
    /// average down) unless it never became ready: its condition last changed within
    /// the initial readiness delay (30 s) of its start.
    #[test]
    fn past_initialisation_an_unready_pod_counts_unless_it_never_became_ready() {
        let m = AutoscalerMetric::Utilization;
        let never = pod(PodState::Crashed, 129);
        assert_eq!(
            classify(m, 600, &never, Some(590)),
            Some(PodSample::Unready)
        );
        let once = pod(PodState::Crashed, 130);
        assert_eq!(
            classify(m, 600, &once, Some(590)),
            Some(PodSample::Ready(700))
        );
    }

    /// A pods metric has no CPU rules: a starting pod with a sample counts.
    #[test]
    fn a_pods_metric_counts_every_sampled_pod() {
        let m = AutoscalerMetric::RequestsPerPod;
        let starting = pod(PodState::Starting, 100);
        assert_eq!(
            classify(m, 110, &starting, Some(105)),
            Some(PodSample::Ready(700))
        );
    }
}
