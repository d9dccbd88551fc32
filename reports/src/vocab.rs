//! The metric vocabulary: the one list of every per-run figure ([`Metric`]) and every
//! sweep rate ([`Rate`]), each with its name, unit, direction and description, and how
//! it is read from a run.
//!
//! Everything that names a metric derives from these lists rather than repeating the
//! name as a string: the figure columns of `runs.csv` and its reader, the statistics a
//! sweep summarises (and how each is censored), the names `check` accepts, the labels
//! the reports show and the table in `docs/metrics.md` (a test keeps them in step).
//! Adding a metric is one variant here, the code that computes it in `metrics.rs`, its
//! definition in the docs and its tests; a lookup by name can only fail by returning
//! `None`, never by panicking.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::metrics::RunMetrics;
use crate::stats;
use crate::sweep::{GroupSummary, RunRow};

/// What a figure is measured in; it decides how a value is written, shown and how a
/// `check` threshold for it is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Seconds since the start of the run, or a duration in seconds.
    Seconds,
    Millis,
    /// Percent of the SLO window's error budget.
    BudgetPct,
    /// A burn rate: the error ratio over ε (1 = burning exactly the budget).
    BurnRate,
    /// A whole number of things (requests, pods, crashes, events).
    Count,
    /// A share between 0 and 1.
    Share,
    /// Events per 1000 of something (crashes per 1000 starts).
    PerThousand,
    /// Events per hour.
    PerHour,
    /// A difference of two counts (a run's against its twin's): a whole number that
    /// may be negative.
    CountChange,
}

impl Unit {
    /// As the docs' table writes it.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Millis => "ms",
            Unit::BudgetPct => "% of budget",
            Unit::BurnRate => "burn rate",
            Unit::Count => "count",
            Unit::Share => "share",
            Unit::PerThousand => "per 1000",
            Unit::PerHour => "per hour",
            Unit::CountChange => "count difference",
        }
    }

    /// The suffix a column of this unit carries (`ttd_s`, `budget_consumed_pct`): a
    /// `check` assertion names the figure without it (`ttd.p95`).
    fn suffix(self) -> &'static str {
        match self {
            Unit::Seconds => "_s",
            Unit::Millis => "_ms",
            Unit::BudgetPct => "_pct",
            Unit::BurnRate
            | Unit::Count
            | Unit::CountChange
            | Unit::Share
            | Unit::PerThousand
            | Unit::PerHour => "",
        }
    }

    /// A value for people: `12.5 min`, `2.000%`, `95.00%`.
    pub fn show(self, v: f64) -> String {
        match self {
            Unit::Seconds => crate::format::human_secs(v),
            Unit::Millis => format!("{v:.1} ms"),
            Unit::BudgetPct => format!("{v:.3}%"),
            Unit::Share => format!("{:.2}%", v * 100.0),
            Unit::BurnRate | Unit::Count => format!("{v:.3}"),
            Unit::PerThousand => format!("{v:.1} per 1000"),
            Unit::PerHour => format!("{v:.1} per hour"),
            Unit::CountChange => format!("{v:+.0}"),
        }
    }

    /// Reads a `check` threshold in this unit; the error says what to write instead.
    pub fn parse_threshold(self, value: &str) -> Result<f64, String> {
        let percent = value.strip_suffix('%').map(str::trim);
        let finite = |v: &f64| v.is_finite() && *v >= 0.0;
        match self {
            Unit::Share => match percent {
                Some(p) => p.parse::<f64>().ok().map(|p| p / 100.0),
                None => value.parse::<f64>().ok(),
            }
            .filter(|v| (0.0..=1.0).contains(v))
            .ok_or_else(|| format!("`{value}` is not a share: write 0.95 or 95%")),
            Unit::BudgetPct => percent
                .unwrap_or(value)
                .parse::<f64>()
                .ok()
                .filter(finite)
                .ok_or_else(|| {
                    format!("`{value}` is not a budget share: write 2% (of the error budget)")
                }),
            Unit::Seconds => sim_core::duration_text::parse(value).ok_or_else(|| {
                format!("`{value}` is not a duration: write 90s, 20m, 1h or seconds")
            }),
            Unit::CountChange => value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("`{value}` is not a number")),
            Unit::Millis | Unit::BurnRate | Unit::Count | Unit::PerThousand | Unit::PerHour => {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(finite)
                    .ok_or_else(|| format!("`{value}` is not a number"))
            }
        }
    }
}

/// Which way is better, for judging a change against a baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
    /// A fact of the run (when something happened, how much traffic there was), not a
    /// goal: neither way is better.
    Neither,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::LowerIsBetter => "lower is better",
            Direction::HigherIsBetter => "higher is better",
            Direction::Neither => "neither",
        }
    }
}

/// What a per-run figure's value is, before it is written: counts stay integers so
/// that `runs.csv` writes them exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reading {
    Count(u64),
    Real(Option<f64>),
}

/// How the sweep statistics sample a summarised figure.
#[derive(Clone, Copy, Debug)]
pub enum Sample {
    /// Every run has a value (an empty cell in `runs.csv` is an error).
    Every,
    /// Runs without a value are left out and counted as censored when the function
    /// says the figure's start happened but its end did not by the horizon.
    Censored(fn(&RunRow) -> bool),
    /// Runs without a value are left out and none is censored: the figure is
    /// undefined there (a ratio over nothing), not late.
    WhenObserved,
}

impl Sample {
    /// Whether a run without a value counts as censored.
    pub fn censored(self, row: &RunRow) -> bool {
        match self {
            Sample::Censored(censored) => censored(row),
            Sample::Every | Sample::WhenObserved => false,
        }
    }
}

macro_rules! metrics {
    ($($variant:ident),* $(,)?) => {
        /// Every per-run figure, in `runs.csv` column order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Metric { $($variant),* }

        impl Metric {
            pub const ALL: &'static [Metric] = &[$(Metric::$variant),*];
        }
    };
}

metrics!(
    TChangeStart,
    TChangeEnd,
    TFullFleet,
    TFaultActive,
    TReleaseFaultActive,
    TImpactStart,
    TDetect,
    TMitigate,
    TRecover,
    Ttd,
    Ttm,
    ImpactDuration,
    TtRecover,
    DeployDuration,
    RequestsTotal,
    RequestsBad,
    BadError,
    BadTimeout,
    BadSlow,
    BadSessionLost,
    FaultBadEvents,
    BudgetConsumed,
    PeakBurnRate5m,
    PeakBurnRate1h,
    LatencyMean,
    LatencyP50,
    LatencyP95,
    LatencyP99,
    Crashes,
    InstancesMax,
    AvailableMin,
    SessionsLost,
    Retries,
    KpiConversionRate,
    KpiLost,
    UnattributedBadEvents,
    EventsProcessed,
    Batches,
    BatchTimeMean,
    BatchTimeMax,
    BatchesPerHour,
    HealthyRatioMin,
    HealthyRatioMean,
    CandidateStarts,
    CandidateCrashes,
    CandidateCrashRate,
    DependencyErrorRate,
    BudgetRelease,
    BadEventsRelease,
    TwinBudgetConsumed,
    TwinRequestsBad,
);

/// The figures of a run against its counterfactual twin (`--counterfactual`): only
/// a run or sweep made with the flag has them, so without it every file keeps the
/// columns it always had.
const COUNTERFACTUAL: [Metric; 4] = [
    Metric::BudgetRelease,
    Metric::BadEventsRelease,
    Metric::TwinBudgetConsumed,
    Metric::TwinRequestsBad,
];

/// Which figures a run or a sweep carries: the vocabulary's figures, and the
/// counterfactual ones when it was made with `--counterfactual`. Files whose columns
/// are figures (`runs.csv`, `summary.csv`) take their columns from it, so a file
/// without the counterfactual figures is byte for byte what it was before they
/// existed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Figures {
    pub counterfactual: bool,
}

impl Figures {
    /// The figures every run has.
    pub const BASE: Figures = Figures {
        counterfactual: false,
    };
    /// Every figure of the vocabulary.
    pub const EVERY: Figures = Figures {
        counterfactual: true,
    };

    /// The figures a run's metrics carry.
    pub fn of(m: &RunMetrics) -> Figures {
        Figures {
            counterfactual: m.counterfactual.is_some(),
        }
    }

    pub fn includes(self, m: Metric) -> bool {
        self.counterfactual || !m.is_counterfactual()
    }

    /// The figures, in `runs.csv` column order (`Metric::ALL`'s).
    pub fn all(self) -> impl Iterator<Item = Metric> + Clone {
        Metric::ALL
            .iter()
            .copied()
            .filter(move |&m| self.includes(m))
    }

    /// The summarised figures, in summary order.
    pub fn summarised(self) -> impl Iterator<Item = Metric> + Clone {
        SUMMARISED
            .iter()
            .map(|&(m, ..)| m)
            .filter(move |&m| self.includes(m))
    }
}

use Direction::{HigherIsBetter, LowerIsBetter, Neither};

/// The figures a run report's facts table shows after its fixed rows, with their
/// labels, in table order.
const FACTS: &[(Metric, &str)] = &[
    (Metric::BatchTimeMean, "time per batch, mean"),
    (Metric::BatchTimeMax, "time per batch, longest"),
    (Metric::BatchesPerHour, "batches per hour"),
    (Metric::HealthyRatioMin, "healthy instance ratio, min"),
    (Metric::HealthyRatioMean, "healthy instance ratio, mean"),
    (
        Metric::CandidateCrashRate,
        "candidate crashes per 1000 starts",
    ),
    (Metric::DependencyErrorRate, "dependency error rate"),
    // Only in a run made with `--counterfactual` (see `Figures`).
    (
        Metric::BudgetRelease,
        "budget burned by the release (run minus its twin)",
    ),
    (Metric::BadEventsRelease, "bad events of the release"),
    (
        Metric::TwinBudgetConsumed,
        "budget its twin burned without the release",
    ),
];

/// The figures a sweep summarises, in the order of `summary.csv`, `summary.json` and
/// `paired.csv`, how each is sampled, and its label in charts and tables. A duration whose end did not happen is
/// censored when its start did: counted, never averaged in.
const SUMMARISED: &[(Metric, Sample, &str)] = &[
    (
        Metric::Ttd,
        Sample::Censored(|r| r.impact_started && !r.detected),
        "time to detect",
    ),
    (
        Metric::ImpactDuration,
        Sample::Censored(|r| r.impact_started && !r.mitigated),
        "impact duration",
    ),
    (
        Metric::TtRecover,
        Sample::Censored(|r| r.impact_started && !r.recovered),
        "time to recover",
    ),
    (Metric::BudgetConsumed, Sample::Every, "budget burned"),
    (
        Metric::DeployDuration,
        Sample::Censored(|r| r.change_started && !r.change_ended),
        "deploy time",
    ),
    (
        Metric::BatchTimeMean,
        Sample::WhenObserved,
        "time per batch",
    ),
    (Metric::BatchTimeMax, Sample::WhenObserved, "longest batch"),
    (
        Metric::BatchesPerHour,
        Sample::WhenObserved,
        "batches per hour",
    ),
    (
        Metric::HealthyRatioMin,
        Sample::WhenObserved,
        "healthy ratio, min",
    ),
    (
        Metric::HealthyRatioMean,
        Sample::WhenObserved,
        "healthy ratio, mean",
    ),
    (
        Metric::CandidateCrashRate,
        Sample::WhenObserved,
        "candidate crash rate",
    ),
    (
        Metric::DependencyErrorRate,
        Sample::WhenObserved,
        "dependency error rate",
    ),
    // Counterfactual figures last, so that the base summaries are a prefix.
    (
        Metric::BudgetRelease,
        Sample::Every,
        "budget burned by the release",
    ),
    (
        Metric::BadEventsRelease,
        Sample::Every,
        "bad events of the release",
    ),
    (
        Metric::TwinBudgetConsumed,
        Sample::Every,
        "budget burned without the release",
    ),
];

impl Metric {
    /// The summarised figures every sweep has, in summary order (the counterfactual
    /// ones are `Figures::EVERY.summarised()`'s).
    pub fn summarised() -> impl Iterator<Item = Metric> + Clone {
        Figures::BASE.summarised()
    }

    /// A figure of a run against its counterfactual twin (see `Figures`).
    pub fn is_counterfactual(self) -> bool {
        COUNTERFACTUAL.contains(&self)
    }

    /// The key in `run.json` and the column in `runs.csv`.
    pub fn name(self) -> &'static str {
        self.spec().0
    }

    pub fn unit(self) -> Unit {
        self.spec().1
    }

    pub fn direction(self) -> Direction {
        self.spec().2
    }

    /// One line for the docs and the reports.
    pub fn description(self) -> &'static str {
        self.spec().3
    }

    /// `(name, unit, direction, description)`: one arm per variant, so a new variant
    /// does not compile until it says all four.
    fn spec(self) -> (&'static str, Unit, Direction, &'static str) {
        use Metric::*;
        use Unit::*;
        match self {
            TChangeStart => (
                "t_change_start_s",
                Seconds,
                Neither,
                "the first candidate pod is created",
            ),
            TChangeEnd => (
                "t_change_end_s",
                Seconds,
                Neither,
                "the rollout is first promoted or fully rolled back",
            ),
            TFullFleet => (
                "t_full_fleet_s",
                Seconds,
                Neither,
                "no baseline pod is left and the candidate has the desired count",
            ),
            TFaultActive => (
                "t_fault_active_s",
                Seconds,
                Neither,
                "a fault's mechanism is first live",
            ),
            TReleaseFaultActive => (
                "t_release_fault_active_s",
                Seconds,
                Neither,
                "a fault the release carries is first live",
            ),
            TImpactStart => (
                "t_impact_start_s",
                Seconds,
                Neither,
                "the first bad event attributed to a fault",
            ),
            TDetect => ("t_detect_s", Seconds, Neither, "the first detector fires"),
            TMitigate => (
                "t_mitigate_s",
                Seconds,
                Neither,
                "the last attributed bad event, followed by the mitigation hold",
            ),
            TRecover => (
                "t_recover_s",
                Seconds,
                Neither,
                "no live pod carries a live fault and the desired pods are available",
            ),
            Ttd => (
                "ttd_s",
                Seconds,
                LowerIsBetter,
                "time to detect: t_detect − t_impact_start (MTTD is its mean)",
            ),
            Ttm => (
                "ttm_s",
                Seconds,
                LowerIsBetter,
                "time to mitigate: t_mitigate − t_detect",
            ),
            ImpactDuration => (
                "impact_duration_s",
                Seconds,
                LowerIsBetter,
                "t_mitigate − t_impact_start (MTTR, user view)",
            ),
            TtRecover => (
                "tt_recover_s",
                Seconds,
                LowerIsBetter,
                "t_recover − t_impact_start (MTTR, system view)",
            ),
            DeployDuration => (
                "deploy_duration_s",
                Seconds,
                LowerIsBetter,
                "t_change_end − t_change_start",
            ),
            RequestsTotal => ("requests_total", Count, Neither, "requests that arrived"),
            RequestsBad => (
                "requests_bad",
                Count,
                LowerIsBetter,
                "bad events: errors, timeouts, slow successes, lost sessions",
            ),
            BadError => (
                "bad_error",
                Count,
                LowerIsBetter,
                "error responses and refused or cut requests",
            ),
            BadTimeout => (
                "bad_timeout",
                Count,
                LowerIsBetter,
                "requests the client gave up on",
            ),
            BadSlow => (
                "bad_slow",
                Count,
                LowerIsBetter,
                "successes slower than the SLO's latency threshold",
            ),
            BadSessionLost => ("bad_session_lost", Count, LowerIsBetter, "sessions lost"),
            FaultBadEvents => (
                "fault_bad_events",
                Count,
                LowerIsBetter,
                "bad events attributed to a fault",
            ),
            BudgetConsumed => (
                "budget_consumed_pct",
                BudgetPct,
                LowerIsBetter,
                "100 × bad / (ε × rate × SLO window)",
            ),
            PeakBurnRate5m => (
                "peak_burn_rate_5m",
                BurnRate,
                LowerIsBetter,
                "the largest 5-minute burn rate at any scrape",
            ),
            PeakBurnRate1h => (
                "peak_burn_rate_1h",
                BurnRate,
                LowerIsBetter,
                "the largest 1-hour burn rate at any scrape",
            ),
            LatencyMean => (
                "latency_mean_ms",
                Millis,
                LowerIsBetter,
                "mean latency of served requests",
            ),
            LatencyP50 => (
                "latency_p50_ms",
                Millis,
                LowerIsBetter,
                "median latency of served requests",
            ),
            LatencyP95 => (
                "latency_p95_ms",
                Millis,
                LowerIsBetter,
                "95th percentile latency of served requests",
            ),
            LatencyP99 => (
                "latency_p99_ms",
                Millis,
                LowerIsBetter,
                "99th percentile latency of served requests",
            ),
            Crashes => (
                "crashes",
                Count,
                LowerIsBetter,
                "process crashes of any pod",
            ),
            InstancesMax => (
                "instances_max",
                Count,
                Neither,
                "most pods at once, terminating ones excluded",
            ),
            AvailableMin => (
                "available_min",
                Count,
                HigherIsBetter,
                "fewest available pods at once",
            ),
            SessionsLost => ("sessions_lost", Count, LowerIsBetter, "sessions lost"),
            Retries => (
                "retries",
                Count,
                Neither,
                "client retries among the requests",
            ),
            KpiConversionRate => (
                "kpi_conversion_rate",
                Share,
                HigherIsBetter,
                "conversions per successful request, when modelled",
            ),
            KpiLost => (
                "kpi_lost",
                Count,
                LowerIsBetter,
                "conversions lost to a fault",
            ),
            UnattributedBadEvents => (
                "unattributed_bad_events",
                Count,
                LowerIsBetter,
                "bad events no fault caused",
            ),
            EventsProcessed => (
                "events_processed",
                Count,
                Neither,
                "simulation events processed",
            ),
            Batches => (
                "batches",
                Count,
                Neither,
                "rollout steps during the change: instants a command raised the candidate's replicas or traffic weight",
            ),
            BatchTimeMean => (
                "batch_time_mean_s",
                Seconds,
                LowerIsBetter,
                "mean time per completed batch, from its step to the next (the last to t_change_end)",
            ),
            BatchTimeMax => (
                "batch_time_max_s",
                Seconds,
                LowerIsBetter,
                "longest completed batch",
            ),
            BatchesPerHour => (
                "batches_per_hour",
                PerHour,
                HigherIsBetter,
                "3600 / batch_time_mean_s: the rollout's pace",
            ),
            HealthyRatioMin => (
                "healthy_ratio_min",
                Share,
                HigherIsBetter,
                "fewest available pods (at most the desired count) over the desired count during the change",
            ),
            HealthyRatioMean => (
                "healthy_ratio_mean",
                Share,
                HigherIsBetter,
                "time-weighted mean of that ratio from t_change_start to t_change_end",
            ),
            CandidateStarts => (
                "candidate_starts",
                Count,
                Neither,
                "candidate processes whose start finished: ready, or crashed while starting",
            ),
            CandidateCrashes => (
                "candidate_crashes",
                Count,
                LowerIsBetter,
                "candidate crashes of any kind",
            ),
            CandidateCrashRate => (
                "candidate_crash_rate",
                PerThousand,
                LowerIsBetter,
                "1000 × candidate_crashes / candidate_starts",
            ),
            DependencyErrorRate => (
                "dependency_error_rate",
                Share,
                LowerIsBetter,
                "requests failed by a dependency fault over calls to it during the change; 0 without one",
            ),
            BudgetRelease => (
                "budget_release_pct",
                BudgetPct,
                LowerIsBetter,
                "budget_consumed_pct − twin_budget_consumed_pct: what the release itself burned (`--counterfactual`)",
            ),
            BadEventsRelease => (
                "bad_events_release",
                CountChange,
                LowerIsBetter,
                "requests_bad − twin_requests_bad (`--counterfactual`)",
            ),
            TwinBudgetConsumed => (
                "twin_budget_consumed_pct",
                BudgetPct,
                Neither,
                "budget consumed by the run's twin: the same world and seed without the release (`--counterfactual`)",
            ),
            TwinRequestsBad => (
                "twin_requests_bad",
                Count,
                Neither,
                "bad events of the run's twin (`--counterfactual`)",
            ),
        }
    }

    /// The figure in one run.
    pub fn read(self, m: &RunMetrics) -> Reading {
        use Metric::*;
        use Reading::{Count as C, Real as R};
        let b = &m.bad_events;
        match self {
            TChangeStart => R(m.t_change_start_s),
            TChangeEnd => R(m.t_change_end_s),
            TFullFleet => R(m.t_full_fleet_s),
            TFaultActive => R(m.t_fault_active_s),
            TReleaseFaultActive => R(m.t_release_fault_active_s),
            TImpactStart => R(m.t_impact_start_s),
            TDetect => R(m.t_detect_s),
            TMitigate => R(m.t_mitigate_s),
            TRecover => R(m.t_recover_s),
            Ttd => R(m.ttd_s),
            Ttm => R(m.ttm_s),
            ImpactDuration => R(m.impact_duration_s),
            TtRecover => R(m.tt_recover_s),
            DeployDuration => R(m.deploy_duration_s),
            RequestsTotal => C(m.requests_total),
            RequestsBad => C(m.requests_bad),
            BadError => C(b.error),
            BadTimeout => C(b.timeout),
            BadSlow => C(b.slow),
            BadSessionLost => C(b.session_lost),
            FaultBadEvents => C(m.fault_bad_events),
            BudgetConsumed => R(Some(m.budget_consumed_pct)),
            PeakBurnRate5m => R(Some(m.peak_burn_rate_5m)),
            PeakBurnRate1h => R(Some(m.peak_burn_rate_1h)),
            LatencyMean => R(m.latency_mean_ms),
            LatencyP50 => R(m.latency_p50_ms),
            LatencyP95 => R(m.latency_p95_ms),
            LatencyP99 => R(m.latency_p99_ms),
            Crashes => C(m.crashes),
            InstancesMax => C(m.instances_max.into()),
            AvailableMin => C(m.available_min.into()),
            SessionsLost => C(m.sessions_lost),
            Retries => C(m.retries),
            KpiConversionRate => R(m.kpi_conversion_rate),
            KpiLost => C(m.kpi_lost),
            UnattributedBadEvents => C(m.unattributed_bad_events),
            EventsProcessed => C(m.events_processed),
            Batches => C(m.batches.into()),
            BatchTimeMean => R(m.batch_time_mean_s),
            BatchTimeMax => R(m.batch_time_max_s),
            BatchesPerHour => R(m.batches_per_hour),
            HealthyRatioMin => R(m.healthy_ratio_min),
            HealthyRatioMean => R(m.healthy_ratio_mean),
            CandidateStarts => C(m.candidate_starts),
            CandidateCrashes => C(m.candidate_crashes),
            CandidateCrashRate => R(m.candidate_crash_rate),
            DependencyErrorRate => R(Some(m.dependency_error_rate)),
            BudgetRelease => R(m.counterfactual.map(|c| c.budget_release_pct)),
            BadEventsRelease => R(m.counterfactual.map(|c| c.bad_events_release as f64)),
            TwinBudgetConsumed => R(m.counterfactual.map(|c| c.twin_budget_consumed_pct)),
            TwinRequestsBad => match m.counterfactual {
                Some(c) => C(c.twin_requests_bad),
                None => R(None),
            },
        }
    }

    /// The figure in one run as a number; `None` when it did not happen.
    pub fn value(self, m: &RunMetrics) -> Option<f64> {
        match self.read(m) {
            Reading::Count(n) => Some(n as f64),
            Reading::Real(v) => v,
        }
    }

    /// Whether and how a sweep summarises the figure (mean, p50, p95, p99 with
    /// bootstrap intervals); `None` for the figures it only records.
    pub fn sample(self) -> Option<Sample> {
        SUMMARISED
            .iter()
            .find(|(m, ..)| *m == self)
            .map(|&(_, s, _)| s)
    }

    /// What charts and tables call the figure (`time to detect`): its label as a
    /// summarised figure or in the facts table, else its key.
    pub fn label(self) -> &'static str {
        SUMMARISED
            .iter()
            .find(|(m, ..)| *m == self)
            .map(|&(.., l)| l)
            .or(self.fact_label())
            .unwrap_or(self.name())
    }

    /// The figure's name in a run report's facts table, for the figures the table
    /// shows from the vocabulary (after its fixed rows); `None` for the others.
    pub fn fact_label(self) -> Option<&'static str> {
        FACTS.iter().find(|(m, _)| *m == self).map(|&(_, l)| l)
    }

    /// The figures a run report's facts table shows from the vocabulary.
    pub fn facts() -> impl Iterator<Item = Metric> {
        FACTS.iter().map(|&(m, _)| m)
    }

    /// The name a `check` assertion uses: the column without its unit suffix
    /// (`ttd` for `ttd_s`, `budget_consumed` for `budget_consumed_pct`).
    pub fn check_name(self) -> &'static str {
        let name = self.name();
        name.strip_suffix(self.unit().suffix()).unwrap_or(name)
    }

    /// The figure whose column is `name`.
    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Metric::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown metric {name:?}")))
    }
}

/// The rates a sweep estimates per (scenario, policy), with Wilson intervals. A
/// "fault run" is one where a fault the release carries became active.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rate {
    /// Fault runs where a detector fired, over fault runs.
    Detection,
    /// Runs with outcome `false_rollback`, over the runs without a fault.
    FalseRollback,
    /// Runs with outcome `escaped`, over fault runs.
    Escape,
}

impl Rate {
    pub const ALL: [Rate; 3] = [Rate::Detection, Rate::FalseRollback, Rate::Escape];

    pub fn name(self) -> &'static str {
        match self {
            Rate::Detection => "detection_rate",
            Rate::FalseRollback => "false_rollback_rate",
            Rate::Escape => "escape_rate",
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            Rate::Detection => HigherIsBetter,
            Rate::FalseRollback | Rate::Escape => LowerIsBetter,
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Rate::Detection => "fault runs where a detector fired, over fault runs",
            Rate::FalseRollback => {
                "runs stopped by a detector with no fault, over runs without a release fault"
            }
            Rate::Escape => "fault runs where the candidate ran the whole fleet, over fault runs",
        }
    }

    /// Rates are shares.
    pub fn unit(self) -> Unit {
        Unit::Share
    }

    /// The rate as one run's indicator (1 or 0) on the runs it is defined for, so that
    /// rates can be paired like any figure.
    pub fn indicator(self, r: &RunRow) -> Option<f64> {
        let flag = |b: bool| f64::from(u8::from(b));
        match self {
            Rate::Detection => r.fault_active.then(|| flag(r.detected)),
            Rate::FalseRollback => {
                (!r.fault_active).then(|| flag(r.outcome == crate::metrics::Outcome::FalseRollback))
            }
            Rate::Escape => r
                .fault_active
                .then(|| flag(r.outcome == crate::metrics::Outcome::Escaped)),
        }
    }

    /// The group's estimate; `None` when no run defines it.
    pub fn of(self, g: &GroupSummary) -> Option<stats::Rate> {
        match self {
            Rate::Detection => g.detection_rate,
            Rate::FalseRollback => g.false_rollback_rate,
            Rate::Escape => g.escape_rate,
        }
    }

    /// Why a group has no estimate.
    pub fn undefined_because(self) -> &'static str {
        match self {
            Rate::FalseRollback => "every run had a release fault",
            Rate::Detection | Rate::Escape => "no run had a release fault",
        }
    }

    pub fn parse(name: &str) -> Option<Rate> {
        Rate::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// Anything a sweep compares against a baseline: a rate or a summarised figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quantity {
    Rate(Rate),
    Metric(Metric),
}

impl Quantity {
    pub fn name(self) -> &'static str {
        match self {
            Quantity::Rate(r) => r.name(),
            Quantity::Metric(m) => m.name(),
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Quantity::Rate(r) => r.unit(),
            Quantity::Metric(m) => m.unit(),
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            Quantity::Rate(r) => r.direction(),
            Quantity::Metric(m) => m.direction(),
        }
    }

    /// Every compared quantity, rates first, in `paired.csv` order.
    pub fn all() -> impl Iterator<Item = Quantity> {
        Rate::ALL
            .into_iter()
            .map(Quantity::Rate)
            .chain(Metric::summarised().map(Quantity::Metric))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Quantity::all()
            .find(|q| q.name() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown quantity {name:?}")))
    }
}

/// A statistic of a summarised figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stat {
    Mean,
    P50,
    P95,
    P99,
}

impl Stat {
    pub const ALL: [Stat; 4] = [Stat::Mean, Stat::P50, Stat::P95, Stat::P99];

    pub fn name(self) -> &'static str {
        match self {
            Stat::Mean => "mean",
            Stat::P50 => "p50",
            Stat::P95 => "p95",
            Stat::P99 => "p99",
        }
    }

    pub fn parse(s: &str) -> Option<Stat> {
        Stat::ALL.into_iter().find(|x| x.name() == s)
    }

    pub fn of(self, d: &stats::Describe) -> stats::Estimate {
        match self {
            Stat::Mean => d.mean,
            Stat::P50 => d.p50,
            Stat::P95 => d.p95,
            Stat::P99 => d.p99,
        }
    }
}

/// The closest of `candidates` to a misspelt `name`, if one is within a few edits
/// (the same rule as the configuration's suggestions: a third of the length, 1 to 3).
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.len() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

/// `label` with its first letter in capitals, for a title.
pub fn capitalised(label: &str) -> String {
    let mut c = label.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The vocabulary table of `docs/metrics.md`, as the enums say it.
pub fn doc_table() -> String {
    let mut s = String::from("| name | unit | direction | description |\n|---|---|---|---|\n");
    for m in Metric::ALL {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            m.name(),
            m.unit().label(),
            m.direction().label(),
            m.description()
        ));
    }
    for r in Rate::ALL {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} (sweeps only) |\n",
            r.name(),
            r.unit().label(),
            r.direction().label(),
            r.description()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        for (i, m) in Metric::ALL.iter().enumerate() {
            assert_eq!(Metric::parse(m.name()), Some(*m));
            assert!(Metric::ALL[..i].iter().all(|o| o.name() != m.name()));
        }
        for r in Rate::ALL {
            assert_eq!(Rate::parse(r.name()), Some(r));
            assert_eq!(Metric::parse(r.name()), None, "a rate is not a figure");
        }
    }

    #[test]
    fn check_names_drop_the_unit_suffix() {
        assert_eq!(Metric::Ttd.check_name(), "ttd");
        assert_eq!(Metric::BudgetConsumed.check_name(), "budget_consumed");
        assert_eq!(Metric::DeployDuration.check_name(), "deploy_duration");
    }

    #[test]
    fn misspellings_get_a_suggestion() {
        let names = Rate::ALL.map(Rate::name);
        assert_eq!(suggest("detection_rat", names), Some("detection_rate"));
        assert_eq!(suggest("zzz", names), None);
    }

    /// The table in `docs/metrics.md` is the vocabulary: every variant with its unit
    /// and direction, and nothing that is not a variant.
    #[test]
    fn the_docs_table_is_the_vocabulary() {
        let doc = include_str!("../../docs/metrics.md");
        let table = doc_table();
        assert!(
            doc.contains(&table),
            "docs/metrics.md's vocabulary table differs from the enums; it should read:\n{table}"
        );
        // Every backquoted name in a table row of that section is a variant.
        let section = doc.split("## Vocabulary").nth(1).unwrap_or("");
        let section = section.split("\n## ").next().unwrap_or("");
        let rows = section.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(rows, Metric::ALL.len() + Rate::ALL.len());
    }
}
