//! The run's event log: deployment steps, gate evaluations, faults, crashes, detection
//! and rollback, each with its time and reason. It becomes `events.csv`.

use crate::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogKind {
    /// The rollout changed phase (started, paused, promoted, rolled back...).
    Phase,
    /// The controller changed a ReplicaSet's desired count or the traffic split.
    Step,
    /// A gate was evaluated.
    Gate,
    /// A fault's mechanism went live or stopped.
    Fault,
    Crash,
    Restart,
    /// A detector fired.
    Detect,
    /// The SLO pager paged or the human acted.
    Pager,
    /// The controller reported a condition without acting (e.g. progress deadline).
    Condition,
    /// A hard bound of the run was hit.
    Limit,
    /// The HorizontalPodAutoscaler changed the Deployment's replicas.
    Autoscale,
    /// The cluster's room (`[cluster]`): a pod went Pending, was scheduled or evicted,
    /// or the capacity changed.
    Schedule,
}

impl LogKind {
    pub fn name(self) -> &'static str {
        match self {
            LogKind::Phase => "phase",
            LogKind::Step => "step",
            LogKind::Gate => "gate",
            LogKind::Fault => "fault",
            LogKind::Crash => "crash",
            LogKind::Restart => "restart",
            LogKind::Detect => "detect",
            LogKind::Pager => "pager",
            LogKind::Condition => "condition",
            LogKind::Limit => "limit",
            LogKind::Autoscale => "autoscale",
            LogKind::Schedule => "schedule",
        }
    }
}

/// One line of the event log.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRecord {
    pub at: SimTime,
    pub kind: LogKind,
    /// What it is about: an instance, a gate, a fault, a version.
    pub subject: String,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    /// For gates: pass, fail or inconclusive.
    pub verdict: Option<&'static str>,
    pub reason: String,
}

impl LogRecord {
    pub fn new(
        at: SimTime,
        kind: LogKind,
        subject: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        LogRecord {
            at,
            kind,
            subject: subject.into(),
            value: None,
            threshold: None,
            verdict: None,
            reason: reason.into(),
        }
    }
}
