//! Instance lifecycle against its definitions: health-check removal, crash-loop backoff.

mod common;

use sim_core::fault::{Effect, FaultDef, FaultKind, Target, Window};
use sim_core::ids::Version;
use sim_core::log::LogKind;
use sim_core::version::MemoryModel;
use sim_core::{SimTime, run};

fn leak() -> Effect {
    Effect::MemoryLeak {
        mb_per_s: 8.0,
        kb_per_request: 0.0,
        gc_multiplier: 1.0,
        gc_threshold: 1.0,
    }
}

/// A pod that crashes keeps receiving its share of requests until the load balancer
/// has seen `unhealthy_threshold` failed checks: with checks every 5 s and a threshold
/// of 2, that is between 5 and 10 s after the crash. Here the one crash in the horizon
/// is at 100 s, on a check: that check is the first failure and the one at 105 s the
/// second, so the pod takes 5 s of its 30 req/s (about 150 errors, plus what it held).
/// A threshold off by one would keep it until 110 s: about 300. Every one of those
/// requests fails and carries the fault.
#[test]
fn crashed_pod_fails_requests_until_health_checks_remove_it() {
    let mut cfg = common::world(5, 112);
    cfg.versions[0].memory = MemoryModel {
        limit_mb: 1000.0,
        ..MemoryModel::NO_LEAK
    };
    cfg.faults.push(FaultDef {
        name: "leak".into(),
        target: Target {
            fraction: 0.1,
            ..Target::version(Version::Baseline)
        },
        window: Window::ALWAYS,
        release: false,
        kind: FaultKind::Instance(leak()),
    });
    let rec = run(&cfg, &mut common::Idle);
    let crashes = rec.crashes;
    assert!(crashes >= 1, "seed 5 places the leak on at least one pod");
    let errors = rec.faults[0].bad[0] as f64;
    // 30 req/s for 5 s, plus the few requests it held when it died.
    assert_eq!(crashes, 1, "one crash inside the 112 s horizon");
    let per_crash = errors / crashes as f64;
    assert!(
        (120.0..=200.0).contains(&per_crash),
        "{per_crash} errors per crash ({crashes} crashes)"
    );
    assert_eq!(
        rec.counts.errors, errors as u64,
        "every error is the leak's"
    );
    // The OOM is exactly (1000 − 200) / 8 = 100 s after the (warm) start.
    assert_eq!(rec.faults[0].t_first_bad, Some(SimTime::from_secs(100)));
    // The fleet record: a point only where the status changed, in time order; the crash
    // at 100 s takes a pod out of readiness with its restart counted.
    let f = &rec.fleet;
    assert!(
        f.windows(2)
            .all(|w| w[0].at <= w[1].at && w[0].cohorts != w[1].cohorts)
    );
    let base = |i: usize| f[i].cohorts[Version::Baseline.index()];
    let first_crash = (0..f.len())
        .find(|&i| base(i).ready < base(i).pods)
        .unwrap();
    assert_eq!(f[first_crash].at, SimTime::from_secs(100), "{f:#?}");
    assert_eq!(base(first_crash).ready + 1, base(first_crash).pods);
    assert_eq!(
        base(first_crash).restarts,
        base(first_crash - 1).restarts + 1
    );
}

/// Kubernetes crash-loop backoff: 10 s, doubling, capped at 300 s. Every baseline pod
/// is OOM-killed at 100 s; from 1 s on, every start crashes, so each pod crash-loops.
#[test]
fn crash_loop_backoff_doubles_to_five_minutes() {
    let mut cfg = common::world(1, 3000);
    cfg.versions[0].memory.limit_mb = 1000.0;
    let baseline = Target::version(Version::Baseline);
    cfg.faults.push(FaultDef {
        name: "leak".into(),
        target: baseline,
        window: Window::ALWAYS,
        release: false,
        kind: FaultKind::Instance(leak()),
    });
    cfg.faults.push(FaultDef {
        name: "crash".into(),
        target: baseline,
        window: Window {
            start: SimTime::from_secs(1),
            ..Window::ALWAYS
        },
        release: false,
        kind: FaultKind::Instance(Effect::CrashOnStart { probability: 1.0 }),
    });
    let rec = run(&cfg, &mut common::Idle);
    let crashes: Vec<(f64, f64)> = rec
        .log
        .iter()
        .filter(|e| e.kind == LogKind::Crash && e.subject == "i0")
        .map(|e| {
            let delay = e.reason.rsplit("restart in ").next().unwrap();
            (
                e.at.as_secs_f64(),
                delay.trim_end_matches('s').parse::<f64>().unwrap(),
            )
        })
        .collect();
    let delays: Vec<f64> = crashes.iter().map(|c| c.1).take(8).collect();
    assert_eq!(delays, [10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0, 300.0]);
    // Each crash comes a start-up time (10 s) after the restart before it.
    for pair in crashes.windows(2) {
        assert_eq!(pair[1].0 - pair[0].0, pair[0].1 + 10.0);
    }
}

/// A kill storm the engine is told nothing against (the scenario reader caps kills at 60
/// per pod per hour; the engine itself does not): a thousand kills per pod per second
/// with restarts a microsecond later log about 40 000 lines a simulated second. The log
/// stops at its bound and the run ends there as a reported failure, so its memory is
/// bounded although the events stay far under `max_events`.
#[test]
fn a_kill_storm_ends_at_the_log_bound() {
    use sim_core::SimDuration;
    use sim_core::engine::MAX_LOG_RECORDS;
    use sim_core::fault::WorldFault;
    let mut cfg = common::world(3, 600);
    cfg.traffic = sim_core::traffic::RateProfile::Constant { rate: 0.0 };
    cfg.fleet.backoff_initial = SimDuration(1_000);
    cfg.fleet.backoff_max = SimDuration(1_000);
    cfg.faults.push(FaultDef {
        name: "storm".into(),
        target: Target::both(),
        window: Window::ALWAYS,
        release: false,
        kind: FaultKind::World(WorldFault::InstanceKill {
            rate_per_hour: 3.6e6,
        }),
    });
    let rec = run(&cfg, &mut common::Idle);
    assert_eq!(
        rec.limit_hit.as_deref(),
        Some(format!("event log bound of {MAX_LOG_RECORDS} records reached").as_str())
    );
    assert!(rec.log.len() <= MAX_LOG_RECORDS + 16, "{}", rec.log.len());
    assert_eq!(rec.log.last().unwrap().kind, LogKind::Limit);
    assert!(rec.events_processed < cfg.max_events);
    assert!(rec.log.last().unwrap().at < SimTime::from_secs(600));
}

/// Regression (found by tests/fuzz_inputs.rs): a leak so slow that its time to OOM is
/// not finite (a subnormal rate) panicked when the OOM was scheduled. It never fills
/// the limit, so no pod crashes; a leak that fills it inside the horizon still does.
#[test]
fn a_leak_too_slow_to_fill_its_limit_never_crashes() {
    let run_with = |mb_per_s: f64| {
        let mut cfg = common::world(5, 120);
        cfg.versions[0].memory = MemoryModel {
            limit_mb: 1000.0,
            leak_mb_per_s: mb_per_s,
            ..MemoryModel::NO_LEAK
        };
        run(&cfg, &mut common::Idle).crashes
    };
    assert_eq!(run_with(4.19e-309), 0);
    assert_eq!(run_with(1e-3), 0);
    // 800 MB of headroom at 8 MB/s: every pod is OOM-killed at 100 s.
    assert!(run_with(8.0) >= 20);
}
