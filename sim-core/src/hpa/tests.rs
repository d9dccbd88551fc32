//! Cases from Kubernetes' HPA documentation ("Algorithm details") and from the
//! controller's own tests (`replica_calculator_test.go`, `horizontal_test.go`), plus
//! boundary pins for the tolerance, the windows and the periods.

use super::*;

const CPU_1: u64 = 1000; // a pod requesting one CPU, in millicores

fn util(percent: u32) -> Target {
    Target::Utilization {
        percent,
        request_milli: CPU_1,
    }
}

fn ready(levels: &[u64]) -> Vec<PodSample> {
    levels.iter().map(|&v| PodSample::Ready(v)).collect()
}

fn secs(s: u64) -> SimTime {
    SimTime::from_secs(s)
}

fn dur(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

/// `n` pods each at `percent` % of one CPU.
fn at_percent(n: usize, percent: u64) -> Vec<PodSample> {
    vec![PodSample::Ready(percent * CPU_1 / 100); n]
}

// --- the formula (HPA docs, "Algorithm details") ---------------------------------

#[test]
fn docs_200m_against_100m_doubles_and_50m_halves() {
    let t = Target::AverageValue { milli: 100 };
    assert_eq!(
        replica_count(4, t, 0.1, &[PodSample::Ready(200); 4]),
        Some(8)
    );
    assert_eq!(
        replica_count(4, t, 0.1, &[PodSample::Ready(50); 4]),
        Some(2)
    );
}

#[test]
fn tolerance_edges_are_inside_and_one_percent_past_scales() {
    // 110 % of a 100 % target: 110/100 and 1 + 0.1 are the same double, so within.
    assert_eq!(
        replica_count(10, util(100), 0.1, &at_percent(10, 110)),
        Some(10)
    );
    assert_eq!(
        replica_count(10, util(100), 0.1, &at_percent(10, 111)),
        Some(12)
    );
    // and the lower edge: 90 % is within, 89 % scales down.
    assert_eq!(
        replica_count(10, util(100), 0.1, &at_percent(10, 90)),
        Some(10)
    );
    assert_eq!(
        replica_count(10, util(100), 0.1, &at_percent(10, 89)),
        Some(9)
    );
}

#[test]
fn utilisation_is_truncated_to_a_whole_percent_first() {
    // 3 pods using 1000m of 3000m requested: 33 % (not 33.3), ratio 0.66 against 50 %.
    let pods = ready(&[400, 300, 300]);
    assert_eq!(replica_count(3, util(50), 0.1, &pods), Some(2)); // ceil(0.66 × 3) = 2
}

// --- replica_calculator_test.go -------------------------------------------------

#[test]
fn calc_scale_up() {
    // TestReplicaCalcScaleUp: 3 pods at 300/500/700m of 1 CPU, target 30 % -> 5.
    assert_eq!(
        replica_count(3, util(30), 0.1, &ready(&[300, 500, 700])),
        Some(5)
    );
}

#[test]
fn calc_scale_down() {
    // TestReplicaCalcScaleDown: 5 pods at 100/300/500/250/250m, target 50 % -> 3.
    assert_eq!(
        replica_count(5, util(50), 0.1, &ready(&[100, 300, 500, 250, 250])),
        Some(3)
    );
}

#[test]
fn calc_tolerance() {
    // TestReplicaCalcTolerance: 1010/1030/1020m, 102 % against 100 %: no change.
    assert_eq!(
        replica_count(3, util(100), 0.1, &ready(&[1010, 1030, 1020])),
        Some(3)
    );
}

#[test]
fn calc_scale_up_unready_less_scale() {
    // TestReplicaCalcScaleUpUnreadyLessScale: the unready pod counts 0 on a scale-up.
    let pods = [
        PodSample::Unready,
        PodSample::Ready(500),
        PodSample::Ready(700),
    ];
    assert_eq!(replica_count(3, util(30), 0.1, &pods), Some(4));
}

#[test]
fn calc_scale_up_unready_no_scale() {
    // TestReplicaCalcScaleUpUnreadyNoScale: counting the unready pods at 0 flips the
    // direction, so the count stays.
    let pods = [
        PodSample::Ready(400),
        PodSample::Unready,
        PodSample::Unready,
    ];
    assert_eq!(replica_count(3, util(30), 0.1, &pods), Some(3));
}

#[test]
fn unready_pods_are_simply_dropped_on_a_scale_down() {
    // ratio < 1 with unready pods: they are removed and not re-added.
    let pods = [
        PodSample::Ready(100),
        PodSample::Ready(100),
        PodSample::Unready,
    ];
    assert_eq!(replica_count(3, util(50), 0.1, &pods), Some(1)); // ceil(0.2 × 2)
}

#[test]
fn missing_pods_count_zero_on_a_scale_up() {
    // 2 ready pods at 90 % of a 50 % target (ratio 1.8), 2 missing counted at 0:
    // 45 % against 50 % is within tolerance, so no change.
    let pods = [
        PodSample::Ready(900),
        PodSample::Ready(900),
        PodSample::Missing,
        PodSample::Missing,
    ];
    assert_eq!(replica_count(4, util(50), 0.1, &pods), Some(4));
    // at 150 %: 75 % of 4 pods against 50 % -> ceil(1.5 × 4) = 6.
    let pods = [
        PodSample::Ready(1500),
        PodSample::Ready(1500),
        PodSample::Missing,
        PodSample::Missing,
    ];
    assert_eq!(replica_count(4, util(50), 0.1, &pods), Some(6));
}

#[test]
fn missing_pods_count_full_request_on_a_scale_down() {
    // TestReplicaCalcMissingMetricsScaleDown-like: 2 pods at 10 %, 2 missing at 100 %
    // of their request; (10+10+100+100)/4 = 55 % against 50 % flips to a scale-up: keep.
    let pods = [
        PodSample::Ready(100),
        PodSample::Ready(100),
        PodSample::Missing,
        PodSample::Missing,
    ];
    assert_eq!(replica_count(4, util(50), 0.1, &pods), Some(4));
    // against 80 %: 55/80 = 0.6875 -> ceil(0.6875 × 4) = 3.
    assert_eq!(replica_count(4, util(80), 0.1, &pods), Some(3));
    // an average-value target fills missing pods with the target itself instead.
    let t = Target::AverageValue { milli: 100 };
    let pods = [
        PodSample::Ready(10),
        PodSample::Ready(10),
        PodSample::Missing,
        PodSample::Missing,
    ];
    // (10+10+100+100)/4 = 55 -> ratio 0.55 -> ceil(2.2) = 3
    assert_eq!(replica_count(4, t, 0.1, &pods), Some(3));
}

#[test]
fn missing_fallback_is_the_target_when_the_target_exceeds_100_percent() {
    // target 200 %: missing pods count at 200 % of their request on a scale-down.
    let pods = [PodSample::Ready(500), PodSample::Missing];
    // first ratio 50/200 = 0.25; refilled (500 + 2000)/2 = 125 % -> 0.625 -> ceil(1.25) = 2
    assert_eq!(replica_count(2, util(200), 0.1, &pods), Some(2));
    let pods = [
        PodSample::Ready(500),
        PodSample::Ready(500),
        PodSample::Ready(500),
        PodSample::Missing,
    ];
    // (1500 + 2000)/4 = 87 % -> 0.435 -> ceil(1.74) = 2
    assert_eq!(replica_count(4, util(200), 0.1, &pods), Some(2));
}

#[test]
fn no_ready_sample_is_a_failed_metric() {
    assert_eq!(
        replica_count(3, util(50), 0.1, &[PodSample::Unready, PodSample::Missing]),
        None
    );
    assert_eq!(replica_count(3, util(50), 0.1, &[]), None);
}

// --- horizontal.go: clamps, stabilisation, behavior ------------------------------

fn spec(min: u32, max: u32) -> HpaSpec {
    HpaSpec::new(min, max, util(50))
}

#[test]
fn max_replicas_clamp_at_and_one_past() {
    let mut hpa = Hpa::new(spec(1, 6));
    // 3 pods at 100 % against 50 % want 6: exactly max, allowed.
    assert_eq!(hpa.sync(secs(0), 3, &at_percent(3, 100)), 6);
    let mut hpa = Hpa::new(spec(1, 6));
    // at 117 % they want ceil(2.34 × 3) = 7: one past max, clamped to 6.
    assert_eq!(hpa.sync(secs(0), 3, &at_percent(3, 117)), 6);
    // a target already above max is brought down to max whatever the metric.
    let mut hpa = Hpa::new(spec(1, 6));
    assert_eq!(hpa.sync(secs(0), 7, &at_percent(7, 50)), 6);
}

#[test]
fn min_replicas_clamp_and_zero_means_disabled() {
    let mut hpa = Hpa::new(spec(2, 10));
    assert_eq!(hpa.sync(secs(0), 4, &at_percent(4, 1)), 4); // 300 s window holds 4
    assert_eq!(hpa.sync(secs(301), 4, &at_percent(4, 1)), 2); // then min, not 1
    let mut hpa = Hpa::new(spec(2, 10));
    assert_eq!(hpa.sync(secs(0), 1, &at_percent(1, 50)), 2); // below min: raised
    let mut hpa = Hpa::new(spec(2, 10));
    assert_eq!(hpa.sync(secs(0), 0, &[]), 0); // spec.replicas 0: autoscaling disabled
}

#[test]
fn legacy_window_keeps_the_max_and_includes_its_edge() {
    // nil behavior: stabilizeRecommendation counts a recommendation exactly 300 s old.
    let mut hpa = Hpa::new(spec(1, 20));
    assert_eq!(hpa.sync(secs(0), 10, &at_percent(10, 25)), 10); // initial rec 10 holds
    assert_eq!(hpa.sync(secs(300), 10, &at_percent(10, 25)), 10); // 300 s old: still in
    assert_eq!(hpa.sync(secs(301), 10, &at_percent(10, 25)), 5); // 301 s: out
}

#[test]
fn behavior_window_keeps_the_max_and_excludes_its_edge() {
    // with behavior: stabilizeRecommendationWithBehaviors needs After(cutoff).
    let mut s = spec(1, 20);
    s.behavior = Some(Behavior::default());
    let mut hpa = Hpa::new(s);
    assert_eq!(hpa.sync(secs(0), 10, &at_percent(10, 25)), 10);
    assert_eq!(hpa.sync(secs(299), 10, &at_percent(10, 25)), 10); // 299 s old: in
    assert_eq!(hpa.sync(secs(300), 10, &at_percent(10, 25)), 5); // exactly 300 s: out
}

#[test]
fn stabilisation_picks_the_highest_recent_recommendation() {
    let mut s = spec(1, 20);
    s.behavior = Some(Behavior::default());
    let mut hpa = Hpa::new(s);
    assert_eq!(hpa.sync(secs(0), 8, &at_percent(8, 50)), 8); // recs: 8, 8
    assert_eq!(hpa.sync(secs(100), 8, &at_percent(8, 45)), 8); // within tolerance: rec 8
    assert_eq!(hpa.sync(secs(200), 8, &at_percent(8, 37)), 8); // wants 6; 8 in window
    assert_eq!(hpa.sync(secs(400), 8, &at_percent(8, 25)), 6); // 0 and 100 out; 200's 6 in
    assert_eq!(hpa.sync(secs(500), 6, &at_percent(6, 25)), 4); // wants 3; 200 s out, 400 s (4) in
}

#[test]
fn scale_up_stabilisation_window_takes_the_lowest() {
    let mut s = spec(1, 50);
    let mut b = Behavior::default();
    b.scale_up.stabilization = dur(60);
    s.behavior = Some(b);
    let mut hpa = Hpa::new(s);
    assert_eq!(hpa.sync(secs(0), 4, &at_percent(4, 100)), 4); // wants 8; initial rec 4
    assert_eq!(hpa.sync(secs(59), 4, &at_percent(4, 100)), 4); // t0's 4 still in
    assert_eq!(hpa.sync(secs(60), 4, &at_percent(4, 100)), 8); // out: lowest now 8
}

#[test]
fn default_behavior_differs_from_the_nil_path_on_scale_up() {
    // 1 pod at 500 % of a 50 % target wants 10.
    let mut legacy = Hpa::new(spec(1, 20));
    assert_eq!(legacy.sync(secs(0), 1, &at_percent(1, 500)), 4); // max(2 × 1, 4)
    let mut s = spec(1, 20);
    s.behavior = Some(Behavior::default());
    let mut with = Hpa::new(s);
    assert_eq!(with.sync(secs(0), 1, &at_percent(1, 500)), 5); // max(1 + 4, 2 × 1)
}

fn up_rules(select: Select, policies: Vec<ScalingPolicy>) -> HpaSpec {
    let mut s = spec(1, 1000);
    let mut b = Behavior::default();
    b.scale_up = Rules {
        stabilization: SimDuration::ZERO,
        policies,
        select,
    };
    s.behavior = Some(b);
    s
}

#[test]
fn pods_and_percent_policies_with_select_max_and_min() {
    let p = |select| {
        up_rules(
            select,
            vec![
                ScalingPolicy::Pods {
                    value: 4,
                    period: dur(60),
                },
                ScalingPolicy::Percent {
                    value: 50,
                    period: dur(60),
                },
            ],
        )
    };
    // 10 pods at 500 % want 100: Pods allows 14, Percent ceil(15) = 15.
    assert_eq!(
        Hpa::new(p(Select::Max)).sync(secs(0), 10, &at_percent(10, 500)),
        15
    );
    assert_eq!(
        Hpa::new(p(Select::Min)).sync(secs(0), 10, &at_percent(10, 500)),
        14
    );
    // Percent rounds up: 3 pods +50 % -> ceil(4.5) = 5.
    assert_eq!(
        Hpa::new(p(Select::Max)).sync(secs(0), 3, &at_percent(3, 500)),
        7
    ); // 3 + 4
    assert_eq!(
        Hpa::new(p(Select::Min)).sync(secs(0), 3, &at_percent(3, 500)),
        5
    );
}

#[test]
fn disabled_scale_up_never_grows_and_disabled_scale_down_never_shrinks() {
    let s = up_rules(Select::Disabled, vec![]);
    let mut hpa = Hpa::new(s);
    assert_eq!(hpa.sync(secs(0), 3, &at_percent(3, 500)), 3);
    let mut s = spec(1, 20);
    let mut b = Behavior::default();
    b.scale_down.select = Select::Disabled;
    b.scale_down.stabilization = SimDuration::ZERO;
    s.behavior = Some(b);
    let mut hpa = Hpa::new(s);
    assert_eq!(hpa.sync(secs(0), 10, &at_percent(10, 5)), 10);
    assert_eq!(hpa.sync(secs(1000), 10, &at_percent(10, 5)), 10);
}

#[test]
fn period_accounting_counts_events_strictly_younger_than_the_period() {
    let s = up_rules(
        Select::Max,
        vec![ScalingPolicy::Pods {
            value: 4,
            period: dur(60),
        }],
    );
    let mut hpa = Hpa::new(s);
    assert_eq!(hpa.sync(secs(0), 2, &at_percent(2, 500)), 6); // +4 at t = 0
    assert_eq!(hpa.sync(secs(15), 6, &at_percent(6, 500)), 6); // period started at 2
    assert_eq!(hpa.sync(secs(59), 6, &at_percent(6, 500)), 6);
    assert_eq!(hpa.sync(secs(60), 6, &at_percent(6, 500)), 10); // t0's event is 60 s old: out
}

#[test]
fn scale_down_percent_limit_truncates_and_remembers_the_period() {
    let mut s = spec(1, 20);
    s.behavior = Some(Behavior {
        scale_up: Rules::default_scale_up(),
        scale_down: Rules {
            stabilization: SimDuration::ZERO,
            policies: vec![ScalingPolicy::Percent {
                value: 30,
                period: dur(60),
            }],
            select: Select::Max,
        },
    });
    let mut hpa = Hpa::new(s);
    // 10 pods at 5 % want 1; the limit is int(10 × 0.7) = 7.
    assert_eq!(hpa.sync(secs(0), 10, &at_percent(10, 5)), 7);
    // 15 s later the period still starts at 10: limit 7, no further change.
    assert_eq!(hpa.sync(secs(15), 7, &at_percent(7, 5)), 7);
    // at 60 s the event is out: int(7 × 0.7) = 4 (4.9 truncated).
    assert_eq!(hpa.sync(secs(60), 7, &at_percent(7, 5)), 4);
}

#[test]
fn scale_up_limit_accounts_for_recent_scale_downs() {
    // Newer controllers add the pods deleted in the period back to its start.
    let mut s = spec(1, 100);
    s.behavior = Some(Behavior {
        scale_up: Rules {
            stabilization: SimDuration::ZERO,
            policies: vec![ScalingPolicy::Pods {
                value: 2,
                period: dur(60),
            }],
            select: Select::Max,
        },
        scale_down: Rules {
            stabilization: SimDuration::ZERO,
            policies: vec![ScalingPolicy::Pods {
                value: 5,
                period: dur(60),
            }],
            select: Select::Max,
        },
    });
    let mut hpa = Hpa::new(s);
    assert_eq!(hpa.sync(secs(0), 10, &at_percent(10, 5)), 5); // -5
    // at 15 s the load jumps: the period started at 5 + 5 = 10, so up to 12.
    assert_eq!(hpa.sync(secs(15), 5, &at_percent(5, 500)), 12);
}

#[test]
fn failed_metrics_do_not_rescale_or_record() {
    let mut hpa = Hpa::new(spec(1, 10));
    assert_eq!(hpa.sync(secs(0), 3, &[PodSample::Missing; 3]), 3);
    assert_eq!(hpa.history_len(), 1); // only the initial recommendation
}

#[test]
fn history_and_events_stay_bounded() {
    let mut s = spec(1, 50);
    s.behavior = Some(Behavior::default());
    let mut hpa = Hpa::new(s);
    let mut current = 5;
    for i in 0..2000u64 {
        let load = if (i / 7) % 2 == 0 { 200 } else { 10 };
        current = hpa.sync(
            SimTime::from_secs(15 * i),
            current,
            &at_percent(current as usize, load),
        );
        // 300 s / 15 s = 20 syncs in the window, plus the edge and the initial entry
        assert!(hpa.history_len() <= 22, "history {}", hpa.history_len());
        assert!(
            hpa.scale_events_len() <= 6,
            "events {}",
            hpa.scale_events_len()
        );
    }
}

#[test]
fn validate_names_the_field() {
    let mut s = spec(3, 2);
    assert_eq!(s.validate().unwrap_err().0, "maxReplicas");
    s.max_replicas = 5;
    assert!(s.validate().is_ok());
    let mut b = Behavior::default();
    b.scale_down.policies[0] = ScalingPolicy::Percent {
        value: 10,
        period: dur(1801),
    };
    s.behavior = Some(b);
    assert_eq!(
        s.validate().unwrap_err().0,
        "behavior.scaleDown.policies[0].periodSeconds"
    );
}
