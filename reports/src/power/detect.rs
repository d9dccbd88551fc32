//! What one run says about detection, for power analysis: whether (and when, and at
//! what canary weight) the policy as a whole and each of its gates detected the
//! regression before the candidate was promoted.
//!
//! Definitions (docs/power.md):
//! - A **gate detects** when the event log holds an evaluation of that gate with the
//!   verdict `fail` strictly before promotion (`t_promoted`; at any time if the run was
//!   never promoted). This is one failing evaluation, whatever the controller makes of
//!   it: Flagger needs `threshold` failed checks before it rolls back, Argo's
//!   `failureLimit` may tolerate some, so a gate can detect in a run the policy did not
//!   stop. Gates are judged in the run as it happened: once one gate's failure stops
//!   the rollout the others are no longer evaluated, so a gate that would have failed
//!   later is not counted.
//! - The **policy detects** when a detector of the policy fired (a `detect` record)
//!   strictly before promotion: the controller then rolls back, aborts or pauses, as its
//!   failure action says. The SLO pager and what the on-call human does after a page
//!   (`HUMAN_DETECTORS`) are not the policy. An Argo analysis that ends Inconclusive
//!   pauses the rollout without a detector firing, and is not counted.
//! - **Time to detect** is measured from the start of the change (the first candidate
//!   pod, `t_change_start`), not from the first impact as `ttd` is: it is defined at
//!   every effect size, no regression included, and is what "within the bake" means.
//! - **Weight at detection** is, behind a traffic router, the candidate weight the
//!   controller last set at or before the detection (the engine's `traffic` step
//!   record); otherwise (rolling, in-place, blue-green, a canary without a router) the
//!   candidate's share of the ready pods in the last timeline row at or before it,
//!   which is its share of the traffic when pods are weighted equally.

use sim_core::Version;
use sim_core::log::{LogKind, LogRecord};
use sim_core::record::TimelineRow;
use sim_core::{RunRecord, SimTime};

/// Detectors that stand for the on-call human acting on a page, not for the policy:
/// the SLO pager itself and Flagger's manual rollback after it.
pub const HUMAN_DETECTORS: [&str; 2] = ["slo_pager", "flagger:manual"];

/// One detection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    /// Seconds from the start of the change to the detection.
    pub after_s: f64,
    /// The router's candidate weight then, or the candidate's share of ready pods;
    /// `None` before the first timeline row or with no ready pod.
    pub weight: Option<f64>,
}

/// What one run says, for the policy and for each gate (in the policy's gate order).
#[derive(Clone, Debug, PartialEq)]
pub struct RunDetections {
    pub policy: Option<Detection>,
    pub gates: Vec<Option<Detection>>,
}

/// The detections of `record` for a policy whose gates are named `gates`.
pub fn detections(record: &RunRecord, gates: &[String]) -> RunDetections {
    detections_in(
        &record.log,
        &record.timeline,
        record.t_change_start,
        record.t_promoted,
        gates,
    )
}

/// `detections` on the parts of a run record it reads.
pub fn detections_in(
    log: &[LogRecord],
    timeline: &[TimelineRow],
    change_start: Option<SimTime>,
    promoted: Option<SimTime>,
    gates: &[String],
) -> RunDetections {
    let Some(start) = change_start else {
        return RunDetections {
            policy: None,
            gates: vec![None; gates.len()],
        };
    };
    let before_promotion = |at: SimTime| promoted.is_none_or(|p| at < p);
    // The weight is read from the records logged before the detection's own: what the
    // controller does in answer (an abort sets the weight to 0 at the same instant)
    // comes after it.
    let detection = |i: usize| {
        let at = log[i].at;
        Detection {
            after_s: at.since(start).as_secs_f64(),
            weight: router_weight(&log[..i]).or_else(|| pod_share(timeline, at)),
        }
    };
    let first = |pick: &dyn Fn(&LogRecord) -> bool| {
        log.iter()
            .position(|r| before_promotion(r.at) && r.at >= start && pick(r))
            .map(detection)
    };
    let policy =
        first(&|r| r.kind == LogKind::Detect && !HUMAN_DETECTORS.contains(&r.subject.as_str()));
    let gates = gates
        .iter()
        .map(|g| {
            first(&|r| r.kind == LogKind::Gate && r.verdict == Some("fail") && r.subject == *g)
        })
        .collect();
    RunDetections { policy, gates }
}

/// The candidate weight a traffic router was last set to in `log` (the records before
/// a detection), from the engine's `traffic` step record (`candidate weight 10.0%`);
/// `None` without a router (no such record, or `traffic by pod count` last).
fn router_weight(log: &[LogRecord]) -> Option<f64> {
    let last = log
        .iter()
        .rfind(|r| r.kind == LogKind::Step && r.subject == "traffic")?;
    let pct = last
        .reason
        .strip_prefix("candidate weight ")?
        .strip_suffix('%')?;
    pct.parse::<f64>().ok().map(|p| p / 100.0)
}

/// The candidate's share of the ready pods in the last timeline row at or before `at`.
fn pod_share(timeline: &[TimelineRow], at: SimTime) -> Option<f64> {
    let i = timeline.partition_point(|row| row.at <= at);
    let row = timeline.get(i.checked_sub(1)?)?;
    let cand = row.pods[Version::Candidate.index()].ready;
    let total = cand + row.pods[Version::Baseline.index()].ready;
    (total > 0).then(|| f64::from(cand) / f64::from(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::record::{StateCounts, VersionCounts};

    /// A timeline row with `base` and `cand` ready pods.
    fn row(at_s: u64, base: u32, cand: u32) -> TimelineRow {
        let counts = |requests| VersionCounts {
            requests,
            errors: 0,
            timeouts: 0,
        };
        let ready = |ready| StateCounts {
            ready,
            ..StateCounts::default()
        };
        let (base_req, cand_req) = (u64::from(base) * 10, u64::from(cand) * 10);
        TimelineRow {
            at: SimTime::from_secs(at_s),
            desired: base + cand,
            pods: [ready(base), ready(cand)],
            available: 0,
            arrivals: base_req + cand_req,
            requests: base_req + cand_req,
            failed: 0,
            latency_p50_ms: None,
            latency_p95_ms: None,
            latency_p99_ms: None,
            burn_5m: None,
            burn_1h: None,
            in_flight: 0,
            sessions_lost: 0,
            scraped: true,
            versions: [counts(base_req), counts(cand_req)],
            slo_bad_events: 0,
        }
    }

    fn gate(at_s: u64, name: &str, verdict: &'static str) -> LogRecord {
        let mut r = LogRecord::new(SimTime::from_secs(at_s), LogKind::Gate, name, "");
        r.verdict = Some(verdict);
        r
    }

    fn detect(at_s: u64, who: &str) -> LogRecord {
        LogRecord::new(SimTime::from_secs(at_s), LogKind::Detect, who, "")
    }

    fn names() -> Vec<String> {
        vec!["errors".into(), "latency".into()]
    }

    const START: Option<SimTime> = Some(SimTime(60_000_000_000));

    #[test]
    fn a_failing_evaluation_before_promotion_detects_and_one_at_promotion_does_not() {
        let timeline = [row(90, 9, 1), row(105, 8, 2), row(120, 7, 3)];
        let log = [
            gate(100, "errors", "pass"),
            gate(100, "latency", "inconclusive"),
            gate(115, "errors", "fail"),
            gate(130, "latency", "fail"),
        ];
        // Promoted at 130: the latency failure at that instant is not before it.
        let promoted = Some(SimTime::from_secs(130));
        let d = detections_in(&log, &timeline, START, promoted, &names());
        assert_eq!(
            d.gates,
            [
                Some(Detection {
                    after_s: 55.0,
                    weight: Some(0.2)
                }),
                None
            ]
        );
        assert_eq!(d.policy, None, "no detector fired");
        // One nanosecond later, the same failure is before promotion.
        let later = Some(SimTime(130_000_000_001));
        let d = detections_in(&log, &timeline, START, later, &names());
        assert_eq!(d.gates[1].unwrap().after_s, 70.0);
        assert_eq!(d.gates[1].unwrap().weight, Some(0.3));
    }

    #[test]
    fn the_pager_and_the_human_are_not_the_policy() {
        let log = [
            detect(100, "slo_pager"),
            detect(400, "flagger:manual"),
            detect(500, "gate:errors"),
        ];
        let d = detections_in(&log, &[], START, None, &names());
        let p = d.policy.expect("the gate's detection counts");
        assert_eq!(p.after_s, 440.0);
        assert_eq!(p.weight, None, "no timeline row before it");
        let d = detections_in(&log[..2], &[], START, None, &names());
        assert_eq!(d.policy, None);
    }

    #[test]
    fn without_a_change_nothing_is_detected() {
        let log = [gate(100, "errors", "fail"), detect(100, "gate:errors")];
        let d = detections_in(&log, &[], None, None, &names());
        assert_eq!(d.policy, None);
        assert_eq!(d.gates, [None, None]);
    }

    #[test]
    fn the_pod_share_is_the_last_row_at_or_before_the_detection() {
        let timeline = [row(15, 100, 0), row(30, 0, 0), row(45, 75, 25)];
        let at = |s| pod_share(&timeline, SimTime::from_secs(s));
        assert_eq!(at(14), None);
        assert_eq!(at(15), Some(0.0));
        assert_eq!(at(44), None, "no ready pod");
        assert_eq!(at(45), Some(0.25));
        assert_eq!(at(1000), Some(0.25));
    }

    #[test]
    fn behind_a_router_the_weight_is_the_one_last_set() {
        let step = |at_s, what: &str| {
            LogRecord::new(SimTime::from_secs(at_s), LogKind::Step, "traffic", what)
        };
        let log = [
            step(30, "candidate weight 10.0%"),
            step(90, "candidate weight 20.0%"),
            step(200, "traffic by pod count"),
        ];
        assert_eq!(router_weight(&log[..0]), None);
        assert_eq!(router_weight(&log[..1]), Some(0.1));
        assert_eq!(router_weight(&log[..2]), Some(0.2));
        assert_eq!(router_weight(&log), None, "back to pods");
        // The router's weight wins over the pods' share; the abort's weight, logged
        // after the detection at the same instant, is not the weight it was caught at.
        let log = [
            log[0].clone(),
            detect(70, "gate:errors"),
            step(70, "candidate weight 0.0%"),
        ];
        let d = detections_in(&log, &[row(60, 9, 1)], START, None, &names());
        assert_eq!(d.policy.unwrap().weight, Some(0.1));
        let log = [detect(70, "gate:errors")];
        let d = detections_in(&log, &[row(60, 3, 1)], START, None, &names());
        assert_eq!(d.policy.unwrap().weight, Some(0.25));
    }
}
