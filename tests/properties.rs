//! Properties over random scenarios with faults: requests are conserved, time never
//! goes back, a rollback ends on the baseline, and every bad event is attributed.

mod common;

use proptest::prelude::*;
use sim_core::RunRecord;

/// One random `[[faults]]` entry, written as TOML.
fn fault() -> impl Strategy<Value = String> {
    let start = 0u32..400;
    let dur = 30u32..400;
    prop_oneof![
        (1u32..8, 0u32..3).prop_map(|(mb, gc)| format!(
            "kind = \"memory-leak\"\nleak_mb_per_second = {mb}\ngc_multiplier = {}\n",
            1 + gc
        )),
        (0.0f64..1.0).prop_map(|p| format!("kind = \"crash-loop\"\nprobability = {p:.3}\n")),
        (10u32..90).prop_map(|s| format!("kind = \"crash-loop\"\nafter_ready_seconds = {s}\n")),
        (1.0f64..2.0, 0u32..50).prop_map(|(m, s)| format!(
            "kind = \"latency\"\nmultiplier = {m:.3}\nshift_ms = {s}\nshare = 0.5\n"
        )),
        (0.0f64..0.3, start.clone()).prop_map(|(p, s)| format!(
            "kind = \"errors\"\nprobability = {p:.3}\nstart_seconds = {s}\non_seconds = 20\noff_seconds = 40\n"
        )),
        (0.05f64..0.5).prop_map(|w| format!(
            "kind = \"schema-forward\"\nwrite_share = {w:.3}\nrecords = 3000\nbackfill_seconds = 120\n"
        )),
        (0.05f64..0.5).prop_map(|w| format!("kind = \"schema-backward\"\nwrite_share = {w:.3}\nrecords = 3000\n")),
        (0.1f64..0.9).prop_map(|s| format!("kind = \"kpi-loss\"\nshare = {s:.3}\n")),
        (0.5f64..3.0).prop_map(|w| format!("kind = \"lb-weight\"\ntarget = \"both\"\nfraction = 0.3\nweight = {w:.3}\n")),
        (10u32..120).prop_map(|r| format!("kind = \"lb-slow-start\"\nramp_seconds = {r}\n")),
        (0.1f64..0.8).prop_map(|s| format!("kind = \"lb-pinning\"\nshare = {s:.3}\nconnections = 20\nlifetime_seconds = 120\n")),
        (0.05f64..0.5, start.clone(), dur.clone()).prop_map(|(p, s, d)| format!(
            "kind = \"dependency\"\nerror_probability = {p:.3}\nlatency_ms = 5\nstart_seconds = {s}\nduration_seconds = {d}\n"
        )),
        (1.1f64..2.0, start.clone(), dur.clone()).prop_map(|(m, s, d)| format!(
            "kind = \"traffic-spike\"\nmultiplier = {m:.3}\nstart_seconds = {s}\nduration_seconds = {d}\n"
        )),
        (5.0f64..60.0).prop_map(|r| format!("kind = \"instance-kill\"\nrate_per_hour = {r:.2}\n")),
        (start.clone(), dur.clone()).prop_map(|(s, d)| format!(
            "kind = \"zone-loss\"\nzones = 3\nzone = 1\nreschedule_seconds = 60\nstart_seconds = {s}\nduration_seconds = {d}\n"
        )),
        (start.clone(), dur.clone()).prop_map(|(s, d)| format!("kind = \"metrics-gap\"\nstart_seconds = {s}\nduration_seconds = {d}\n")),
        (start, dur).prop_map(|(s, d)| format!(
            "kind = \"metrics-delay\"\nextra_seconds = 45\nstart_seconds = {s}\nduration_seconds = {d}\n"
        )),
    ]
}

/// A small scenario: `load` is the utilisation each pod would see with the whole fleet.
fn scenario(load: std::ops::Range<f64>) -> impl Strategy<Value = String> {
    (
        4u32..12,
        load,
        prop::collection::vec(fault(), 0..4),
        any::<bool>(),
        prop_oneof![Just("memory"), Just("external")],
    )
        .prop_map(|(replicas, rho, faults, sessions, store)| {
            // 50 req/s per worker at full utilisation (20 ms service).
            let rate = rho * 50.0 * replicas as f64;
            let mut text = format!(
                "schema_version = 1\nname = \"random\"\n[run]\nhorizon_seconds = 600\n[release]\nstart_seconds = 30\n\
                 [fleet]\nreplicas = {replicas}\n[traffic]\nrate = {rate:.1}\n[slo]\nlatency_threshold_ms = 2000\n"
            );
            if sessions {
                text.push_str(&format!(
                    "[sessions]\nrate = {:.2}\nrequests_per_session = 5\nthink_time_seconds = 2\nstore = \"{store}\"\nformat_compatible = {}\n",
                    rate / 50.0,
                    store == "memory"
                ));
            }
            for (i, f) in faults.iter().enumerate() {
                text.push_str(&format!("[[faults]]\nname = \"f{i}\"\n{f}"));
            }
            text
        })
}

fn policy() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("k8s-default"),
        Just("one-at-a-time"),
        Just("gated-10pct"),
        Just("reference"),
        Just("noop"),
    ]
}

fn check_invariants(rec: &RunRecord) -> Result<(), TestCaseError> {
    let c = rec.counts;
    prop_assert_eq!(
        c.arrived,
        c.succeeded + c.errors + c.timeouts + c.in_flight_end
    );
    // Every bad event is counted once: under its fault, or as unattributed.
    let by_fault: u64 = rec.faults.iter().map(|f| f.bad.iter().sum::<u64>()).sum();
    prop_assert_eq!(by_fault + c.bad_unattributed, c.bad_total());
    // Time never goes back: in the timeline, the log, and every fault record.
    prop_assert!(rec.timeline.windows(2).all(|w| w[0].at < w[1].at));
    prop_assert!(rec.log.windows(2).all(|w| w[0].at <= w[1].at));
    for f in &rec.faults {
        if let (Some(a), Some(b)) = (f.t_first_bad, f.t_last_bad) {
            prop_assert!(a <= b);
        }
    }
    // A rollback ends with every pod on the baseline.
    if rec.final_phase == sim_core::Phase::RolledBack {
        // Not `t_change_end`: a promoted release rolled back later ends its change at
        // the promotion.
        let end = rec
            .log
            .iter()
            .rev()
            .find(|e| e.kind == sim_core::log::LogKind::Phase && e.subject == "rolled_back")
            .expect("a finished rollback is logged")
            .at;
        // Candidate pods still draining may finish their requests and sessions, up to
        // the drain timeout (30 s by default).
        let drained = end + sim_core::SimDuration::from_secs(30);
        for row in rec.timeline.iter().filter(|r| r.at > end) {
            let cand = row.pods[1];
            prop_assert_eq!(cand.starting + cand.ready + cand.crashed, 0);
            if row.at > drained {
                prop_assert_eq!(cand.terminating, 0);
            }
        }
    }
    prop_assert!(rec.limit_hit.is_none());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn invariants_hold_under_random_faults(text in scenario(0.2..0.8), policy in policy(), seed in 0u64..1000) {
        let (rec, _) = common::run_text(&text, policy, seed, &[]);
        check_invariants(&rec)?;
    }

    /// On a lightly loaded fleet with a clean baseline nothing bad happens on its own,
    /// so every bad event must carry the fault that caused it, except requests a drain
    /// timeout cuts (the rollout's own cost: a sticky session can keep a draining pod
    /// busy until its timeout).
    #[test]
    fn every_bad_event_has_its_fault(text in scenario(0.1..0.3), policy in policy(), seed in 0u64..1000) {
        let (rec, _) = common::run_text(&text, policy, seed, &[]);
        check_invariants(&rec)?;
        prop_assert_eq!(rec.counts.bad_unattributed, rec.counts.drain_cuts, "unattributed bad events in:\n{}", text);
    }
}
