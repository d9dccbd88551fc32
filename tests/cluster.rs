//! Whole scenarios with limited room for pods (`[cluster]`): a rolling update whose
//! surge the cluster cannot schedule, one with room for a single surge pod, a zone loss
//! that takes its zone's room with it, and the cluster costing nothing when its room is
//! never reached.

mod common;

use common::{assert_conserved, run, run_text};
use reports::Outcome;
use reports::artifacts::timeline_csv;
use sim_core::log::LogKind;
use sim_core::{RunRecord, SimDuration, SimTime};

/// The reference fleet (20 pods, 600 req/s) releasing a good candidate at 60 s, with
/// `cluster` appended.
fn scenario(cluster: &str) -> String {
    format!(
        "schema_version = 1\nname = \"cluster-test\"\n[release]\nstart_seconds = 60\n\
         [fleet]\nreplicas = 20\n[traffic]\nrate = 600\n{cluster}"
    )
}

/// A RollingUpdate that never goes below full capacity.
fn rolling(max_surge: u32) -> String {
    format!(
        "schema_version = 1\nname = \"surge-{max_surge}\"\nkind = \"rolling\"\n\
         max_surge = {max_surge}\nmax_unavailable = 0\n"
    )
}

/// Pods holding room (everything but Pending) at each scrape.
fn scheduled(rec: &RunRecord) -> impl Iterator<Item = (f64, u32, u32)> + '_ {
    rec.timeline.iter().map(|r| {
        let [b, c] = r.pods;
        let held = b.starting + b.ready + b.crashed + b.terminating;
        let held = held + c.starting + c.ready + c.crashed + c.terminating;
        (r.at.as_secs_f64(), held, b.pending + c.pending)
    })
}

/// `quota-stuck`: a quota of exactly the fleet's size leaves no room for the one surge
/// pod; with `maxUnavailable = 0` nothing old may go first, so the rollout never moves.
/// Kubernetes reports `ProgressDeadlineExceeded` strictly after the deadline and does
/// nothing else; the run is `stalled`, and says why.
#[test]
fn a_surge_with_no_room_stalls_and_reports_the_deadline() {
    let (rec, m) = run_text(&scenario("[cluster]\nmax_pods = 20\n"), &rolling(1), 1, &[]);
    assert_conserved(&rec);
    assert_eq!(m.outcome, Outcome::Stalled);
    assert_eq!(m.final_phase, "progressing");
    assert_eq!(m.t_change_end_s, None);
    let deadline = rec
        .log
        .iter()
        .find(|e| e.kind == LogKind::Condition && e.subject == "ProgressDeadlineExceeded")
        .expect("deadline reported");
    // The surge pod is created (Pending) at 60 s: the last progress; 600 s later the
    // first instant past the deadline.
    assert_eq!(deadline.at, SimTime::from_secs(660) + SimDuration(1));
    assert_eq!(
        m.stall_reason.as_deref(),
        Some(
            "ProgressDeadlineExceeded at 660 s (no progress for 600s; reported, not rolled \
             back); 1 pod Pending at the horizon (no room in the cluster)"
        )
    );
    let pending: Vec<_> = rec
        .log
        .iter()
        .filter(|e| e.kind == LogKind::Schedule)
        .collect();
    assert_eq!(
        pending.len(),
        1,
        "one line for the one Pending pod: {pending:?}"
    );
    assert_eq!(pending[0].at, SimTime::from_secs(60));
    assert_eq!(
        pending[0].reason,
        "candidate Pending: no room: quota of 20 pods in use"
    );
    // A Pending pod is a pod (it counts against maxSurge) but never available.
    assert_eq!(m.instances_max, 21);
    assert_eq!(m.available_min, 20);
    assert!(scheduled(&rec).all(|(_, held, _)| held == 20));
    assert_eq!(rec.pending_end, 1);
}

/// The same rollout with one more pod of room completes, a little slower.
#[test]
fn room_for_exactly_one_surge_pod_lets_the_rollout_complete() {
    let (rec, m) = run_text(&scenario("[cluster]\nmax_pods = 21\n"), &rolling(1), 1, &[]);
    assert_conserved(&rec);
    assert_eq!(m.outcome, Outcome::Succeeded);
    assert_eq!(m.stall_reason, None);
    assert!(scheduled(&rec).all(|(_, held, _)| held <= 21));
    // Each new pod waits for the old pod it replaces to drain and go: slower than
    // twenty steps of a 10 s start (which the same rollout takes without a cluster).
    let (_, free) = run_text(&scenario(""), &rolling(1), 1, &[]);
    assert_eq!(free.deploy_duration_s, Some(200.0));
    assert!(
        m.deploy_duration_s.unwrap() > 200.0,
        "{:?}",
        m.deploy_duration_s
    );
}

/// `quota-tight`: a surge of 5 with room for one surge pod crawls. The controller still
/// creates five new pods at a time (Pending ones count against maxSurge), but only one
/// runs; each next one waits until an old pod has drained and is gone. It completes,
/// much slower than with room to spare, and its running pods never exceed the room.
#[test]
fn room_for_one_surge_pod_makes_a_wide_surge_crawl() {
    let tight = run_text(&scenario("[cluster]\nmax_pods = 21\n"), &rolling(5), 1, &[]);
    // Room for the surge and for the old pods still draining beside it.
    let spare = run_text(&scenario("[cluster]\nmax_pods = 30\n"), &rolling(5), 1, &[]);
    let free = run_text(&scenario(""), &rolling(5), 1, &[]);
    for (rec, m) in [&tight, &spare, &free] {
        assert_conserved(rec);
        assert_eq!(m.outcome, Outcome::Succeeded);
        assert_eq!(m.instances_max, 25, "Pending pods count against maxSurge");
    }
    let (rec, m) = &tight;
    assert!(scheduled(rec).all(|(_, held, _)| held <= 21));
    assert!(scheduled(rec).any(|(_, _, pending)| pending >= 3));
    let (t, s, f) = (
        m.deploy_duration_s.unwrap(),
        spare.1.deploy_duration_s.unwrap(),
        free.1.deploy_duration_s.unwrap(),
    );
    assert_eq!(s, f, "room for the whole surge is as good as no limit");
    assert!(t > 4.0 * s, "tight {t} s against {s} s with room to spare");
    assert_eq!(spare.0.pending_end + tight.0.pending_end, 0);
}

/// `zone-loss` with node capacity per zone: while zone 0 is down its room is gone, so
/// its pods, rescheduled after 300 s, find room elsewhere only for what the two other
/// zones have spare and wait Pending until the zone comes back; without a cluster they
/// are all back at once.
#[test]
fn a_lost_zone_takes_its_room_with_it() {
    let sets = ["scenario.cluster.zone_pods=[7, 7, 7]"];
    let (rec, m) = run("zone-loss", "one-at-a-time", 2, &sets);
    let (plain, plain_m) = run("zone-loss", "one-at-a-time", 2, &[]);
    assert_conserved(&rec);
    let at = |rec: &RunRecord, t: u64| {
        let r = rec
            .timeline
            .iter()
            .rev()
            .find(|r| r.at <= SimTime::from_secs(t))
            .unwrap();
        (r.available, r.pods[0].pending + r.pods[1].pending)
    };
    // The zone is lost at 150 s, its pods rescheduled at 450 s, the zone back at 750 s.
    let (avail, pending) = at(&rec, 600);
    let (plain_avail, plain_pending) = at(&plain, 600);
    assert_eq!(plain_pending, 0);
    assert!(pending >= 4, "{pending} Pending at 600 s");
    // The two zones that are up hold 14 pods.
    assert!(
        avail <= 14 && plain_avail >= 20,
        "{avail} available ({pending} Pending) against {plain_avail} without a cluster"
    );
    let (_, pending_end) = at(&rec, 1790);
    assert_eq!(pending_end, 0, "all scheduled once the zone is back");
    assert!(m.budget_consumed_pct >= plain_m.budget_consumed_pct);
    // Each pod that waited for its zone is scheduled when the zone is back (the two
    // other zones were full), once.
    let waited: Vec<&str> = rec
        .log
        .iter()
        .filter(|e| e.kind == LogKind::Schedule && e.reason.contains("zone 0 is down"))
        .map(|e| {
            assert_eq!(e.at, SimTime::from_secs(450));
            e.subject.as_str()
        })
        .collect();
    assert_eq!(waited.len(), pending as usize);
    for pod in waited {
        let scheduled: Vec<SimTime> = rec
            .log
            .iter()
            .filter(|e| e.at > SimTime::from_secs(450) && e.subject == pod)
            .filter(|e| e.reason.contains("scheduled to zone 0"))
            .map(|e| e.at)
            .collect();
        assert_eq!(scheduled, [SimTime::from_secs(750)], "{pod}");
    }
}

/// No cost when off: a cluster whose room is never reached gives the run it would have
/// had without it, record for record, except the sizing columns `timeline.csv` gains.
#[test]
fn room_never_reached_changes_nothing_but_the_timeline_columns() {
    for (name, policy) in [
        ("good-release", "k8s-default"),
        ("reference", "reference"),
        ("zone-loss", "one-at-a-time"),
    ] {
        let (with, with_m) = run(name, policy, 3, &["scenario.cluster.max_pods=1000"]);
        let (without, without_m) = run(name, policy, 3, &[]);
        assert_eq!(with_m, without_m, "{name}");
        assert_eq!(with.log, without.log, "{name}");
        assert_eq!(with.timeline, without.timeline, "{name}");
        assert_eq!(with.fleet, without.fleet, "{name}");
        assert_eq!(with.events_processed, without.events_processed, "{name}");
        let sized = timeline_csv::records(&with.timeline, 15.0, true);
        let plain = timeline_csv::records(&without.timeline, 15.0, false);
        for (s, p) in sized.iter().zip(&plain) {
            assert_eq!(s.baseline_pending, Some(0));
            assert_eq!(s.candidate_pending, Some(0));
            assert_eq!(s.desired_replicas, Some(20));
            let stripped = timeline_csv::TimelineRecord {
                desired_replicas: None,
                baseline_pending: None,
                candidate_pending: None,
                ..s.clone()
            };
            assert_eq!(&stripped, p, "{name}");
        }
    }
}
