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
    let b = Behavior {
        scale_up: Rules {
            stabilization: SimDuration::ZERO,
            policies,
            select,
        },
        ..Behavior::default()
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

// --- horizontal_test.go tables, ported ---------------------------------------------
//
// Upstream seeds the controller's maps with entries "n seconds ago"; here `NOW` is the
// sync time and ages are subtracted from it.

const NOW: u64 = 10_000;

/// `generateScalingRules(pods, podsPeriod, percent, percentPeriod, window)`, select Max.
fn gen_rules(pods: u32, pods_period: u64, percent: u32, percent_period: u64, window: u64) -> Rules {
    let mut policies = Vec::new();
    if pods != 0 {
        policies.push(ScalingPolicy::Pods {
            value: pods,
            period: dur(pods_period),
        });
    }
    if percent != 0 {
        policies.push(ScalingPolicy::Percent {
            value: percent,
            period: dur(percent_period),
        });
    }
    Rules {
        stabilization: dur(window),
        policies,
        select: Select::Max,
    }
}

/// `generateEventsUniformDistribution`: events spread over the last `period` seconds,
/// each in the middle of its segment (ages truncated to whole seconds as upstream).
fn uniform(changes: &[u32], period: u64) -> Vec<ScaleEvent> {
    let seg = period as f64 / changes.len() as f64;
    changes
        .iter()
        .enumerate()
        .map(|(i, &change)| {
            let age = (period as f64 - seg * (i as f64 + 1.0) + seg / 2.0) as u64;
            ScaleEvent {
                change,
                at: secs(NOW - age),
                outdated: false,
            }
        })
        .collect()
}

struct RuleCase {
    name: &'static str,
    up_events: Vec<ScaleEvent>,
    down_events: Vec<ScaleEvent>,
    min: u32,
    max: u32,
    up: Option<Rules>,
    down: Option<Rules>,
    current: u32,
    desired: u32,
    expected: u32,
}

fn rule_case(
    name: &'static str,
    min: u32,
    max: u32,
    current: u32,
    desired: u32,
    expected: u32,
) -> RuleCase {
    RuleCase {
        name,
        up_events: vec![],
        down_events: vec![],
        min,
        max,
        up: None,
        down: None,
        current,
        desired,
        expected,
    }
}

impl RuleCase {
    fn up(mut self, r: Rules) -> Self {
        self.up = Some(r);
        self
    }
    fn down(mut self, r: Rules) -> Self {
        self.down = Some(r);
        self
    }
    fn events(mut self, up: Vec<ScaleEvent>, down: Vec<ScaleEvent>) -> Self {
        self.up_events = up;
        self.down_events = down;
        self
    }
}

#[test]
fn scaling_with_rules_table() {
    // TestScalingWithRules: convertDesiredReplicasWithBehaviorRate with
    // GenerateHPAScaleUpRules / GenerateHPAScaleDownRules filling missing rules.
    let cases = vec![
        rule_case("within range", 3, 8, 5, 7, 7),
        rule_case("below minReplicas", 2, 8, 3, 1, 2),
        rule_case("within range when minReplicas is 0", 0, 10, 1, 0, 0),
        rule_case("maxReplicas < scaleUpLimit", 1, 10, 20, 1000, 10),
        rule_case("more than maxReplicas", 100, 150, 100, 1000, 150),
        rule_case("scaleUpLimit with user policies", 1, 2000, 3, 1000, 4)
            .up(gen_rules(0, 0, 1, 60, 0)),
        rule_case("scaleDownLimit with user policies", 3, 2000, 1000, 3, 980)
            .down(gen_rules(20, 60, 0, 0, 0)),
        rule_case("scaleUp with default behavior", 1, 1000, 10, 50, 20),
        rule_case("pods policy larger", 1, 1000, 10, 500, 110).up(gen_rules(100, 60, 100, 60, 0)),
        rule_case("percent policy larger", 1, 1000, 10, 500, 20).up(gen_rules(2, 60, 100, 60, 0)),
        rule_case("large pod policy", 1, 1000, 10, 50, 50).up(gen_rules(100, 60, 0, 0, 0)),
        rule_case("large percent policy", 1, 1000, 10, 50, 50).up(gen_rules(10000, 60, 0, 0, 0)),
        rule_case("pod policy limit", 1, 1000, 10, 50, 40).up(gen_rules(30, 60, 0, 0, 0)),
        rule_case("percent policy limit", 1, 1000, 10, 50, 30).up(gen_rules(0, 0, 200, 60, 0)),
        rule_case("down percent larger", 1, 1000, 100, 2, 80).down(gen_rules(20, 60, 1, 60, 300)),
        rule_case("down pods larger", 1, 1000, 100, 2, 98).down(gen_rules(2, 60, 1, 60, 300)),
        rule_case("down large pods, min 1", 1, 1000, 10, 0, 1).down(gen_rules(100, 60, 0, 0, 300)),
        rule_case("down large percent, min 5", 5, 1000, 10, 2, 5)
            .down(gen_rules(0, 0, 100, 60, 300)),
        rule_case("down pod limit", 1, 1000, 10, 2, 5).down(gen_rules(5, 60, 0, 0, 300)),
        rule_case("down percent limit", 1, 1000, 10, 5, 5).down(gen_rules(0, 0, 50, 60, 300)),
        rule_case("up events, max with pods", 1, 200, 100, 500, 200)
            .up(gen_rules(300, 60, 0, 0, 0))
            .events(uniform(&[1, 5, 9], 120), vec![]),
        rule_case("up events, max with percent", 1, 200, 100, 500, 200)
            .up(gen_rules(0, 0, 10000, 60, 0))
            .events(uniform(&[1, 5, 9], 120), vec![]),
        rule_case("up events hold at current", 1, 1000, 100, 500, 100)
            .up(gen_rules(5, 120, 0, 0, 0))
            .events(uniform(&[1, 5, 9], 120), vec![]),
        rule_case("up events, pods", 1, 1000, 100, 500, 235)
            .up(gen_rules(150, 120, 0, 0, 0))
            .events(uniform(&[1, 5, 9], 120), vec![]),
        rule_case("up events, percent", 1, 1000, 100, 500, 255)
            .up(gen_rules(0, 0, 200, 120, 0))
            .events(uniform(&[1, 5, 9], 120), vec![]),
        rule_case("up and down events, percent up", 1, 1000, 6, 24, 16)
            .up(gen_rules(0, 0, 300, 300, 0))
            .events(uniform(&[4], 120), uniform(&[2], 120)),
        rule_case("down events, default policy", 1, 1000, 10, 5, 5)
            .events(vec![], uniform(&[1, 5, 9], 120)),
        rule_case("down events, large pods, min 1", 1, 1000, 100, 0, 1)
            .down(gen_rules(115, 120, 0, 0, 300))
            .events(vec![], uniform(&[1, 5, 9], 120)),
        rule_case("down events, large pods, min 5", 5, 1000, 100, 0, 5)
            .down(gen_rules(130, 120, 0, 0, 300))
            .events(vec![], uniform(&[1, 5, 9], 120)),
        rule_case("down events, 100 %, min 5", 5, 1000, 100, 2, 5)
            .down(gen_rules(0, 0, 100, 120, 300))
            .events(vec![], uniform(&[1, 5, 9], 120)),
        rule_case("down events, pod limit holds", 1, 1000, 100, 2, 100)
            .down(gen_rules(5, 120, 0, 0, 300))
            .events(vec![], uniform(&[1, 5, 9], 120)),
        rule_case("down events, percent limit", 1, 1000, 100, 0, 56)
            .down(gen_rules(0, 0, 50, 120, 300))
            .events(vec![], uniform(&[2, 4, 6], 120)),
        rule_case("up and down events, percent down", 1, 1000, 10, 1, 6)
            .down(gen_rules(0, 0, 50, 180, 0))
            .events(uniform(&[2], 120), uniform(&[4], 120)),
        rule_case(
            "down events prevent further scale down",
            1,
            1000,
            100,
            0,
            100,
        )
        .down(gen_rules(0, 0, 10, 120, 300))
        .events(vec![], uniform(&[10, 10, 10], 120)),
        rule_case("down events still allow more", 1, 1000, 10, 5, 5)
            .down(gen_rules(0, 0, 1000, 120, 300))
            .events(vec![], uniform(&[10, 10, 10], 120)),
        rule_case("outdated up, one policy", 1, 1000, 100, 200, 200)
            .up(gen_rules(1000, 60, 0, 0, 0))
            .events(uniform(&[8, 12, 9, 11], 120), vec![]),
        rule_case("up, two periods not outdated", 1, 1000, 100, 200, 200)
            .up(gen_rules(1000, 120, 100, 60, 0))
            .events(uniform(&[8, 12, 9, 11], 120), vec![]),
        rule_case("up, two periods outdated", 1, 1000, 100, 200, 200)
            .up(gen_rules(1000, 30, 100, 60, 0))
            .events(uniform(&[8, 12, 9, 11], 120), vec![]),
        rule_case("outdated down, one policy", 1, 1000, 100, 5, 5)
            .down(gen_rules(1000, 60, 0, 0, 300))
            .events(vec![], uniform(&[8, 12, 9, 11], 120)),
        rule_case("down, two periods not outdated", 1, 1000, 100, 5, 5)
            .down(gen_rules(1000, 120, 100, 60, 300))
            .events(vec![], uniform(&[8, 12, 9, 11], 120)),
        rule_case("down, two periods outdated", 1, 1000, 100, 5, 5)
            .down(gen_rules(1000, 30, 100, 60, 300))
            .events(vec![], uniform(&[8, 12, 9, 11], 120)),
    ];
    for c in cases {
        let behavior = Behavior {
            scale_up: c.up.unwrap_or_else(Rules::default_scale_up),
            scale_down: c.down.unwrap_or_else(Rules::default_scale_down),
        };
        let mut s = HpaSpec::new(c.min, c.max, util(50));
        s.behavior = Some(behavior);
        let mut hpa = Hpa::new(s);
        hpa.scale_up_events = c.up_events;
        hpa.scale_down_events = c.down_events;
        assert_eq!(
            hpa.rate_limit(secs(NOW), c.current, c.desired),
            c.expected,
            "{}",
            c.name
        );
    }
}

fn recs(list: &[(u32, u64)]) -> Vec<Recommendation> {
    list.iter()
        .map(|&(replicas, age)| Recommendation {
            replicas,
            at: secs(NOW - age),
        })
        .collect()
}

#[test]
fn stabilize_with_behaviors_table() {
    // TestNormalizeDesiredReplicasWithBehavior: (history, current, desired, up window,
    // down window) -> (result, stored recommendations). Unset windows are 0 there too.
    type Case = (
        &'static str,
        Vec<(u32, u64)>,
        u32,
        u32,
        u64,
        u64,
        u32,
        Option<Vec<u32>>,
    );
    let cases: Vec<Case> = vec![
        (
            "empty, scaling down",
            vec![],
            100,
            5,
            0,
            0,
            5,
            Some(vec![5]),
        ),
        (
            "simple scale down",
            vec![(4, 120), (5, 60)],
            100,
            3,
            0,
            180,
            5,
            Some(vec![4, 5, 3]),
        ),
        (
            "simple scale up",
            vec![(4, 120), (5, 60)],
            1,
            7,
            300,
            0,
            4,
            Some(vec![4, 5, 7]),
        ),
        (
            "no scale down stabilization",
            vec![(1, 120), (2, 60)],
            100,
            3,
            300,
            0,
            3,
            Some(vec![1, 2, 3]),
        ),
        (
            "no scale up stabilization",
            vec![(4, 120), (5, 60)],
            1,
            3,
            0,
            300,
            3,
            Some(vec![4, 5, 3]),
        ),
        (
            "reuse, down",
            vec![(10, 600), (9, 540)],
            100,
            3,
            0,
            0,
            3,
            Some(vec![10, 3]),
        ),
        (
            "reuse, up",
            vec![(10, 600), (9, 540)],
            1,
            100,
            0,
            0,
            100,
            Some(vec![10, 100]),
        ),
        (
            "down, reuse one obsolete",
            vec![(10, 600), (4, 60), (5, 120), (9, 540)],
            100,
            3,
            0,
            180,
            5,
            Some(vec![10, 4, 5, 3]),
        ),
        (
            "up, reuse one obsolete",
            vec![(10, 6000), (6, 60), (5, 120), (9, 180)],
            1,
            100,
            300,
            0,
            5,
            Some(vec![100, 6, 5, 9]),
        ),
        (
            "no up when desired goes down",
            vec![(2, 6000), (3, 180)],
            2,
            1,
            300,
            300,
            2,
            None,
        ),
        (
            "no down when desired goes up",
            vec![(2, 6000), (1, 180)],
            2,
            3,
            300,
            300,
            2,
            None,
        ),
    ];
    for (name, history, current, desired, up_w, down_w, expected, stored) in cases {
        let mut b = Behavior::default();
        b.scale_up.stabilization = dur(up_w);
        b.scale_down.stabilization = dur(down_w);
        let mut s = spec(1, 1000);
        s.behavior = Some(b);
        let mut hpa = Hpa::new(s);
        hpa.recommendations = Some(recs(&history));
        assert_eq!(
            hpa.stabilize_with_behaviors(secs(NOW), current, desired),
            expected,
            "{name}"
        );
        if let Some(stored) = stored {
            let got: Vec<u32> = hpa
                .recommendations
                .unwrap()
                .iter()
                .map(|r| r.replicas)
                .collect();
            assert_eq!(got, stored, "{name}");
        }
    }
}

#[test]
fn stabilize_legacy_table() {
    // TestNormalizeDesiredReplicas: 5-minute window, (history, desired) -> (result, log length).
    type Case = (&'static str, Vec<(u32, u64)>, u32, u32, usize);
    let cases: Vec<Case> = vec![
        ("empty log", vec![], 5, 5, 1),
        ("stabilize", vec![(4, 120), (5, 60)], 3, 5, 3),
        ("no stabilize", vec![(1, 120), (2, 60)], 3, 3, 3),
        ("no stabilize - old", vec![(10, 600), (9, 540)], 3, 3, 2),
        (
            "stabilize - old",
            vec![(10, 600), (4, 60), (5, 120), (9, 540)],
            3,
            5,
            4,
        ),
    ];
    for (name, history, desired, expected, len) in cases {
        let mut hpa = Hpa::new(spec(1, 1000));
        hpa.recommendations = Some(recs(&history));
        assert_eq!(hpa.stabilize_legacy(secs(NOW), desired), expected, "{name}");
        assert_eq!(hpa.history_len(), len, "{name}");
    }
}

#[test]
fn store_scale_events_table() {
    // TestStoreScaleEvents: (rules or nil behavior, previous events as (change, age)) ->
    // change counted in the last 60 s before storing, and the events after storing a
    // change of 5 (as (change, outdated)), in both directions.
    type Case = (
        &'static str,
        Option<Rules>,
        Vec<(u32, u64)>,
        i64,
        Vec<(u32, bool)>,
    );
    let cases: Vec<Case> = vec![
        ("empty, nil behavior", None, vec![], 0, vec![]),
        (
            "empty, two policies",
            Some(gen_rules(10, 60, 100, 60, 0)),
            vec![],
            0,
            vec![(5, false)],
        ),
        (
            "outdated kept, nil behavior",
            None,
            vec![(7, 61)],
            0,
            vec![(7, false)],
        ),
        (
            "outdated replaced",
            Some(gen_rules(10, 60, 100, 60, 0)),
            vec![(7, 61)],
            0,
            vec![(5, false)],
        ),
        (
            "actual kept",
            Some(gen_rules(10, 60, 100, 60, 0)),
            vec![(7, 58)],
            7,
            vec![(7, false), (5, false)],
        ),
        (
            "two, one replaced",
            Some(gen_rules(10, 60, 0, 0, 0)),
            vec![(7, 61), (6, 59)],
            6,
            vec![(5, false), (6, false)],
        ),
        (
            "different periods",
            Some(gen_rules(10, 60, 100, 30, 0)),
            vec![(8, 29), (6, 59), (7, 61), (9, 61)],
            14,
            vec![(8, false), (6, false), (7, true), (5, false)],
        ),
        (
            "two, both actual",
            Some(gen_rules(10, 120, 100, 30, 0)),
            vec![(7, 58), (6, 59)],
            13,
            vec![(7, false), (6, false), (5, false)],
        ),
    ];
    for (name, rules, prev, counted, after) in cases {
        for up in [true, false] {
            let mut s = spec(1, 1000);
            s.behavior = rules.clone().map(|r| Behavior {
                scale_up: r.clone(),
                scale_down: r,
            });
            let mut hpa = Hpa::new(s);
            let events: Vec<ScaleEvent> = prev
                .iter()
                .map(|&(change, age)| ScaleEvent {
                    change,
                    at: secs(NOW - age),
                    outdated: false,
                })
                .collect();
            assert_eq!(
                changed_within(&events, secs(NOW), dur(60)),
                counted,
                "{name}"
            );
            if up {
                hpa.scale_up_events = events;
                hpa.store_scale_event(secs(NOW), 10, 15);
            } else {
                hpa.scale_down_events = events;
                hpa.store_scale_event(secs(NOW), 10, 5);
            }
            let stored = if up {
                &hpa.scale_up_events
            } else {
                &hpa.scale_down_events
            };
            let got: Vec<(u32, bool)> = stored.iter().map(|e| (e.change, e.outdated)).collect();
            assert_eq!(got, after, "{name} (up: {up})");
        }
    }
}

// --- more replica_calculator_test.go cases -----------------------------------------

#[test]
fn calc_missing_metrics_cases() {
    let m = PodSample::Missing;
    let u = PodSample::Unready;
    let r = PodSample::Ready;
    // TestReplicaCalcMissingMetrics: 4 pods, 2 with 400m/95m, target 100 % -> 3.
    assert_eq!(
        replica_count(4, util(100), 0.1, &[r(400), r(95), m, m]),
        Some(3)
    );
    // ...NoChangeEq: ratio exactly 1, missing pods left out -> 2.
    assert_eq!(replica_count(2, util(100), 0.1, &[r(1000), m]), Some(2));
    // ...NoChangeGt: 190 %, missing at 0 -> 95 %: within -> 2.
    assert_eq!(replica_count(2, util(100), 0.1, &[r(1900), m]), Some(2));
    // ...NoChangeLt: 60 %, missing at 100 % -> 80 %: ceil(1.6) = 2.
    assert_eq!(replica_count(2, util(100), 0.1, &[r(600), m]), Some(2));
    // ...UnreadyChange: 45 % of a 50 % target, missing at 100 % flips direction -> 3.
    assert_eq!(replica_count(3, util(50), 0.1, &[u, r(450), m]), Some(3));
    // ...UnreadyScaleUp: 200 % of 50 %, unready and missing at 0 -> 66 % -> 4.
    assert_eq!(replica_count(3, util(50), 0.1, &[u, r(2000), m]), Some(4));
    // ...UnreadyScaleDown: 10 % of 50 %, missing at 100 % -> 40 % -> ceil(2.4) = 3.
    assert_eq!(
        replica_count(4, util(50), 0.1, &[u, r(100), r(100), m]),
        Some(3)
    );
    // TestPlainMetricReplicaCalcMissingMetricsNoChangeEq: 5 replicas, 3 samples averaging
    // exactly the target.
    let qps = Target::AverageValue { milli: 20000 };
    assert_eq!(
        replica_count(5, qps, 0.1, &[r(20000), r(19000), r(21000), m, m]),
        Some(5)
    );
}

#[test]
fn calc_during_rolling_update_with_max_surge() {
    // TestReplicaCalcDuringRollingUpdateWithMaxSurge: 2 replicas, 3 running pods (the
    // surge pod has no metric yet): 40 % would give 3 > 2 on a scale-down ratio -> keep 2.
    let pods = [
        PodSample::Ready(100),
        PodSample::Ready(100),
        PodSample::Missing,
    ];
    assert_eq!(replica_count(2, util(50), 0.1, &pods), Some(2));
    // ...CM: the same with a 17000m qps target.
    let pods = [
        PodSample::Ready(10000),
        PodSample::Ready(10000),
        PodSample::Missing,
    ];
    assert_eq!(
        replica_count(2, Target::AverageValue { milli: 17000 }, 0.1, &pods),
        Some(2)
    );
}

#[test]
fn calc_computed_tolerance() {
    // TestReplicaCalcComputedToleranceAlgImplementation: 10 pods using 150m of 300m;
    // a 56 % target is just past tolerance (50/56 = 0.89) -> 9; 55 % is within -> 10.
    let pods = vec![PodSample::Ready(150); 10];
    let t = |percent| Target::Utilization {
        percent,
        request_milli: 300,
    };
    assert_eq!(replica_count(10, t(56), 0.1, &pods), Some(9));
    assert_eq!(replica_count(10, t(55), 0.1, &pods), Some(10));
}

#[test]
fn nil_behavior_window_can_raise_a_scale_up_where_default_behavior_does_not() {
    // stabilizeRecommendation takes the window's max in both directions; with behavior
    // the scale-up side takes the lowest recommendation in a 0 s window, i.e. the new one.
    let pods_at_rest = at_percent(10, 50);
    let busier = at_percent(5, 70); // someone scaled the target to 5; 70 % wants 7
    let mut legacy = Hpa::new(spec(1, 20));
    assert_eq!(legacy.sync(secs(0), 10, &pods_at_rest), 10);
    assert_eq!(legacy.sync(secs(15), 5, &busier), 10); // max(7, 10 from t = 0)
    let mut s = spec(1, 20);
    s.behavior = Some(Behavior::default());
    let mut with = Hpa::new(s);
    assert_eq!(with.sync(secs(0), 10, &pods_at_rest), 10);
    assert_eq!(with.sync(secs(15), 5, &busier), 7);
}
