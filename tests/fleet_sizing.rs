//! A fleet that can change size: the autoscaler (and the cluster's room) cost nothing
//! when a scenario has none, and the new built-ins behave as their traps say.

mod common;

use std::process::Command;

use sim_core::hash::Fnv1a;

/// The digests in tests/fixtures/pre-autoscaler/digests.txt: (scenario, policy, file,
/// FNV-1a) of what `rollcage run` wrote before the autoscaler existed (commit 817f133),
/// for the built-ins `spike-with-hpa` and `hpa-flapping` with their `[autoscaler]`
/// sections removed (the TOML files beside it). A build whose engine changes what a
/// fleet without an autoscaler does fails here.
fn before(dir: &str) -> Vec<(String, String, String, u64)> {
    let text = std::fs::read_to_string(format!("{dir}/digests.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            let digest = u64::from_str_radix(w[3], 16).unwrap();
            (w[0].into(), w[1].into(), w[2].into(), digest)
        })
        .collect()
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a::new();
    h.write(bytes);
    h.finish()
}

/// The built-in's text without its `[autoscaler…]` sections.
fn without_autoscaler(text: &str) -> String {
    let mut out = String::new();
    let mut skip = false;
    for line in text.split_inclusive('\n') {
        if line.starts_with('[') {
            skip = line.starts_with("[autoscaler");
        }
        if !skip {
            out.push_str(line);
        }
    }
    out
}

#[test]
fn without_an_autoscaler_every_file_is_what_it_was_before_the_autoscaler() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pre-autoscaler");
    let dir = common::temp_dir("no-autoscaler");
    let digests = before(fixtures);
    assert_eq!(digests.len(), 16);
    for scenario in ["spike-with-hpa", "hpa-flapping"] {
        let file = format!("{scenario}-off.toml");
        let fixture = std::fs::read_to_string(format!("{fixtures}/{file}")).unwrap();
        // The fixture is the built-in minus its autoscaler: if the built-in is retuned,
        // this says so before the digests do.
        let builtin = scenarios::BUILTIN
            .iter()
            .find(|(n, _)| *n == scenario)
            .unwrap()
            .1;
        assert_eq!(without_autoscaler(builtin), fixture, "{scenario} changed");
        std::fs::write(dir.join(&file), &fixture).unwrap();
        for policy in ["k8s-default", "gated-10pct"] {
            let out = format!("out-{scenario}-{policy}");
            // Run from the fixture's directory: run.json echoes the path as given.
            let o = Command::new(env!("CARGO_BIN_EXE_rollcage"))
                .args([
                    "run",
                    "--scenario",
                    &file,
                    "--policy",
                    policy,
                    "--out",
                    &out,
                ])
                .current_dir(&dir)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", common::stderr(&o));
            for (s, p, name, digest) in &digests {
                if (s.as_str(), p.as_str()) == (scenario, policy) {
                    let bytes = std::fs::read(dir.join(&out).join(name)).unwrap();
                    assert_eq!(fnv(&bytes), *digest, "{scenario} under {policy}: {name}");
                }
            }
        }
    }
}

fn autoscalings(r: &sim_core::RunRecord) -> Vec<(f64, u32, u32)> {
    r.log
        .iter()
        .filter(|l| l.kind == sim_core::log::LogKind::Autoscale)
        .map(|l| {
            let mut words = l.reason["replicas ".len()..].split(' ');
            let from = words.next().unwrap().parse().unwrap();
            let to = words.nth(1).unwrap().parse().unwrap();
            (l.at.as_secs_f64(), from, to)
        })
        .collect()
}

/// `spike-with-hpa`: nothing moves before the spike (at rest the ratio is within the
/// tolerance); the HPA scales up once it has read a window of the doubled load, by
/// about twice; and a policy that holds a quarter of the pods unavailable while the
/// spike is on burns several times the budget of one that never goes below the fleet.
#[test]
fn spike_with_hpa_scales_up_and_unavailability_costs_budget() {
    let (k8s, k8s_m) = common::run("spike-with-hpa", "k8s-default", 1, &[]);
    let (one, one_m) = common::run("spike-with-hpa", "one-at-a-time", 1, &[]);
    for r in [&k8s, &one] {
        let s = autoscalings(r);
        let first = s.first().expect("the HPA scales");
        // The spike starts at 125 s; windows end at multiples of 15 s, and a sync reads
        // the window before its own instant: the window ending at 135 s (a partial
        // one) is read at 150 s, the first whole one (to 150 s) at 165 s.
        assert!(first.0 >= 150.0 && first.0 <= 180.0, "{s:?}");
        assert_eq!(first.1, 20, "{s:?}");
        let peak = s.iter().map(|x| x.2).max().unwrap();
        assert!((36..=48).contains(&peak), "peak {peak}: {s:?}");
    }
    assert!(
        k8s_m.budget_consumed_pct > 3.0 * one_m.budget_consumed_pct,
        "k8s-default {} against one-at-a-time {}",
        k8s_m.budget_consumed_pct,
        one_m.budget_consumed_pct
    );
}

/// `hpa-flapping`: the replicas go up and down again and again, during the rollout
/// too, and the rollout still completes.
#[test]
fn hpa_flapping_flaps_through_the_rollout() {
    let (r, m) = common::run("hpa-flapping", "one-at-a-time", 1, &[]);
    let s = autoscalings(&r);
    let ups = s.iter().filter(|x| x.2 > x.1).count();
    let downs = s.iter().filter(|x| x.2 < x.1).count();
    assert!(ups >= 5 && downs >= 5, "{s:?}");
    let start = m.t_change_start_s.unwrap();
    let end = m.t_change_end_s.expect("the rollout completes");
    assert!(
        s.iter().any(|x| x.0 >= start && x.0 <= end),
        "no change during the rollout ({start}..{end}): {s:?}"
    );
}

fn surge_25pct() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/fleet-sizing/surge-25pct.toml"
    )
    .to_string()
}

/// `quota-stuck`: a policy that must add a pod before removing one never starts, and
/// says why; one that removes old pods first (maxUnavailable 25%) makes its own room.
#[test]
fn quota_stuck_stalls_a_surge_only_policy_and_not_one_with_unavailability() {
    for policy in ["one-at-a-time".to_string(), surge_25pct()] {
        let (_, m) = common::run("quota-stuck", &policy, 1, &[]);
        assert_eq!(m.outcome, reports::Outcome::Stalled, "{policy}");
        let why = m.stall_reason.clone().unwrap_or_default();
        assert!(
            why.starts_with("ProgressDeadlineExceeded at 660 s"),
            "{policy}: {why}"
        );
        assert!(why.contains("Pending at the horizon"), "{policy}: {why}");
    }
    let (_, m) = common::run("quota-stuck", "k8s-default", 1, &[]);
    assert_eq!(m.outcome, reports::Outcome::Succeeded);
    assert_eq!(m.stall_reason, None);
}

/// `quota-tight`: room for one surge pod turns a 25% surge (5 pods at once, 40 s on
/// the reference fleet) into one pod per start-up: five times as long; a policy that
/// surges one pod anyway is not slowed.
#[test]
fn quota_tight_makes_a_wide_surge_crawl() {
    let deploy = |s: &str, p: &str| common::run(s, p, 1, &[]).1.deploy_duration_s.unwrap();
    let wide = surge_25pct();
    let (free, tight) = (deploy("good-release", &wide), deploy("quota-tight", &wide));
    assert!(tight > 4.0 * free, "{tight} s against {free} s");
    let (free, tight) = (
        deploy("good-release", "one-at-a-time"),
        deploy("quota-tight", "one-at-a-time"),
    );
    assert!(
        (tight / free - 1.0).abs() < 0.05,
        "{tight} s against {free} s"
    );
}
