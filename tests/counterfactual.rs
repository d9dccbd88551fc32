//! The counterfactual cost of a release (`--counterfactual`): each run against its
//! twin, the same world and seed in which the release never happens.

mod common;

use common::{cli, run_ok, stderr, temp_dir};
use reports::RunMetrics;
use reports::artifacts::{events_csv, timeline_csv};
use runner::inputs::resolve;
use sim_core::RunRecord;

struct Pair {
    run: RunRecord,
    twin: RunRecord,
    metrics: RunMetrics,
    /// When the release was handed to the policy.
    release_s: f64,
}

/// A run of `scenario` under `policy` (replicate `k` of master seed 1) and its twin,
/// through the library.
fn pair(scenario: &str, policy: &str, k: u64) -> Pair {
    let r = resolve(scenario, policy, &[], &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let (run, metrics) = runner::execute::run_with_twin(&r.scenario, &r.policy, 1, k);
    let world = r
        .scenario
        .world(runner::execute::run_seed(1, &r.scenario, k));
    let min_ready = runner::execute::twin_key(&r.policy);
    let twin = sim_core::twin::run_twin(&world, min_ready);
    let release_s = world.rollout_start.expect("a release").as_secs_f64();
    Pair {
        run,
        twin,
        metrics,
        release_s,
    }
}

fn cost(m: &RunMetrics) -> reports::metrics::Counterfactual {
    m.counterfactual.expect("counterfactual figures")
}

/// Until the release is handed to the policy, a run and its twin are the same run:
/// the same events logged and the same scrapes, byte for byte in `events.csv` and
/// `timeline.csv`, for every built-in scenario with a release, under a policy of each
/// kind. After it the anonymous arrivals (their own stream) stay the same in every
/// interval when no client retries: the offered load is the same world's.
#[test]
fn a_run_and_its_twin_agree_event_for_event_until_the_release() {
    let scenarios: Vec<&str> = scenarios::BUILTIN.iter().map(|(n, _)| *n).collect();
    let policies = [
        "gated-10pct",
        "argo-canary",
        "blue-green",
        "codedeploy-half",
    ];
    let mut compared = 0;
    for (i, scenario) in scenarios.iter().enumerate() {
        let r = resolve(scenario, "noop", &[], &Default::default()).unwrap();
        if !r.scenario.release.enabled {
            continue;
        }
        let p = pair(scenario, policies[i % policies.len()], 0);
        let before = |t: sim_core::SimTime| t.as_secs_f64() < p.release_s;
        let log = |rec: &RunRecord| {
            let lines: Vec<_> = rec.log.iter().filter(|l| before(l.at)).cloned().collect();
            events_csv::to_bytes(&events_csv::records(&lines))
        };
        let rows = |rec: &RunRecord| {
            let rows: Vec<_> = rec
                .timeline
                .iter()
                .filter(|t| before(t.at))
                .cloned()
                .collect();
            timeline_csv::to_bytes(&timeline_csv::records(&rows, 15.0, false))
        };
        assert!(
            p.run.log.iter().any(|l| before(l.at)) || p.run.timeline.iter().any(|t| before(t.at))
        );
        assert_eq!(
            log(&p.run),
            log(&p.twin),
            "{scenario}: events before the release"
        );
        assert_eq!(
            rows(&p.run),
            rows(&p.twin),
            "{scenario}: scrapes before the release"
        );
        assert!(
            p.run
                .log
                .iter()
                .any(|l| l.at.as_secs_f64() >= p.release_s && l.subject == "release"),
            "{scenario}: the run has a release, the twin none"
        );
        assert!(p.twin.log.iter().all(|l| l.subject != "release"));
        if r.scenario.client.retries == 0 && r.scenario.sessions.is_none() {
            let arrivals =
                |rec: &RunRecord| rec.timeline.iter().map(|t| t.arrivals).collect::<Vec<_>>();
            assert_eq!(
                arrivals(&p.run),
                arrivals(&p.twin),
                "{scenario}: arrivals per scrape"
            );
        }
        compared += 1;
    }
    assert!(compared >= 15, "{compared} scenarios compared");
}

/// A release that changes nothing, under `noop`, costs exactly nothing: noop never
/// acts, so the run is its twin plus the release being handed over.
#[test]
fn a_good_release_under_noop_costs_exactly_nothing() {
    for k in 0..4 {
        let p = pair("good-release", "noop", k);
        let c = cost(&p.metrics);
        assert_eq!(c.budget_release_pct, 0.0, "replicate {k}");
        assert_eq!(c.bad_events_release, 0, "replicate {k}");
        assert!(
            c.twin_requests_bad > 0,
            "the twin has background bad events"
        );
        assert_eq!(c.twin_budget_consumed_pct, p.metrics.budget_consumed_pct);
    }
}

/// `dependency-outage` is a good release (no release fault) during a 5-minute outage
/// that fails 25% of calls: the budget burned is large (about 3.9%) and almost all of
/// it the environment's. Under `k8s-default`, which promotes during the outage, the
/// mean release cost over 8 replicates is within ±0.1 percentage points of 0, a band
/// that excludes the two wrong answers nearest to it: the whole budget (the outage
/// charged to the release, ≥ 1%) and a twin that burned nothing (the same).
#[test]
fn a_dependency_outage_during_a_good_release_is_the_environments_cost() {
    let n = 8;
    let (mut release, mut budget, mut twin) = (0.0, 0.0, 0.0);
    for k in 0..n {
        let p = pair("dependency-outage", "k8s-default", k);
        assert_eq!(p.metrics.t_release_fault_active_s, None, "a good release");
        assert!(p.metrics.t_fault_active_s.is_some(), "the outage happened");
        let c = cost(&p.metrics);
        release += c.budget_release_pct;
        budget += p.metrics.budget_consumed_pct;
        twin += c.twin_budget_consumed_pct;
        println!(
            "replicate {k}: budget {:.4}%, twin {:.4}%, release {:.4}% ({} bad)",
            p.metrics.budget_consumed_pct,
            c.twin_budget_consumed_pct,
            c.budget_release_pct,
            c.bad_events_release
        );
    }
    let (release, budget, twin) = (release / n as f64, budget / n as f64, twin / n as f64);
    assert!(budget >= 1.0, "the run burned {budget}%");
    assert!(twin >= 1.0, "the twin burned {twin}% without the release");
    assert!(
        release.abs() <= 0.1,
        "the release cost {release}% of {budget}%"
    );
}

/// `error-regression` under a gated canary: the candidate fails 2% of its requests
/// until the gate catches it, so the release costs something (on average over the
/// replicates: one replicate's few dozen bad events are of the order of the noise the
/// release's reordering of requests adds), and exactly the run's budget minus the
/// twin's.
#[test]
fn an_error_regression_costs_its_budget_minus_the_twins() {
    let (mut release, mut attributed) = (0i64, 0u64);
    for k in 0..4 {
        let p = pair("error-regression", "gated-10pct", k);
        let c = cost(&p.metrics);
        let twin = RunMetrics::derive(&p.twin, sim_core::SimDuration::from_secs(300));
        release += c.bad_events_release;
        attributed += common::fault_bad(&p.metrics, "error-regression");
        assert_eq!(c.twin_budget_consumed_pct, twin.budget_consumed_pct);
        assert_eq!(c.twin_requests_bad, twin.requests_bad);
        assert_eq!(
            c.budget_release_pct,
            p.metrics.budget_consumed_pct - twin.budget_consumed_pct
        );
        assert_eq!(
            c.bad_events_release,
            p.metrics.requests_bad as i64 - twin.requests_bad as i64
        );
        println!("replicate {k}: {c:?}");
    }
    assert!(attributed > 0, "the regression did harm");
    assert!(release > 0, "the release cost {release} bad events");
}

/// `run --counterfactual` prints the release's cost and writes it to run.json; without
/// the flag neither changes.
#[test]
fn run_prints_the_counterfactual_only_when_asked() {
    let base = [
        "run",
        "--scenario",
        "dependency-outage",
        "--policy",
        "k8s-default",
    ];
    let plain = run_ok(&base);
    let with = run_ok(&[&base[..], &["--counterfactual"]].concat());
    assert!(!plain.contains("release itself"));
    assert!(
        with.contains("of the budget burned by the release itself"),
        "{with}"
    );
    // The figures the README quotes for this command.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains("here 0.020% of the 3.872% burned is the release's"));
    assert!(with.contains("budget       3.872%"), "{with}");
    assert!(
        with.contains("release      0.020% of the budget burned by the release itself"),
        "{with}"
    );
    fn strip(s: &str) -> Vec<&str> {
        s.lines().filter(|l| !l.starts_with("  release ")).collect()
    }
    assert_eq!(strip(&plain), strip(&with), "the run itself is unchanged");
    let json = run_ok(&[&base[..], &["--counterfactual", "--json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["budget_release_pct"].is_f64(), "{json}");
    assert!(v["twin_requests_bad"].is_u64());
    assert!(
        v["inputs"]["reproduce"]
            .as_str()
            .unwrap()
            .ends_with(" --counterfactual")
    );
    let plain_json = run_ok(&[&base[..], &["--json"]].concat());
    assert!(!plain_json.contains("twin_") && !plain_json.contains("budget_release"));
}

fn read(dir: &std::path::Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()))
}

const FILES: [&str; 5] = [
    "runs.csv",
    "summary.csv",
    "summary.json",
    "paired.csv",
    "pareto.csv",
];

/// A `--counterfactual` sweep writes the same bytes on 1 and 2 threads and as two
/// shards merged; its runs are the runs of the same sweep without the flag (the twins
/// change nothing in them), with the counterfactual columns added.
#[test]
fn a_counterfactual_sweep_is_the_same_whatever_the_threads_and_shards() {
    let dir = temp_dir("counterfactual-sweep");
    let sweep = |out: &str, extra: &[&str]| {
        let out = dir.join(out);
        let mut args = vec![
            "sweep",
            "--scenarios",
            "dependency-outage,error-regression",
            "--policies",
            "noop,gated-10pct,k8s-default",
            "--seeds",
            "5",
            "--bootstrap",
            "100",
            "--set",
            "scenario.run.horizon_seconds=600",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = cli(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        out
    };
    let one = sweep("one", &["--counterfactual", "--threads", "1"]);
    let two = sweep("two", &["--counterfactual", "--threads", "2"]);
    let s0 = sweep(
        "s0",
        &["--counterfactual", "--threads", "2", "--shard", "0/2"],
    );
    let s1 = sweep(
        "s1",
        &["--counterfactual", "--threads", "1", "--shard", "1/2"],
    );
    let merged = dir.join("merged");
    run_ok(&[
        "merge",
        s0.to_str().unwrap(),
        s1.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    for f in FILES {
        assert_eq!(read(&one, f), read(&two, f), "{f}: 1 vs 2 threads");
        assert_eq!(read(&one, f), read(&merged, f), "{f}: shards merged");
    }
    let runs = String::from_utf8(read(&one, "runs.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let cf: Vec<usize> = [
        "budget_release_pct",
        "bad_events_release",
        "twin_budget_consumed_pct",
        "twin_requests_bad",
    ]
    .iter()
    .map(|c| {
        header
            .iter()
            .position(|h| h == c)
            .unwrap_or_else(|| panic!("no {c}"))
    })
    .collect();
    let without_cf = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| {
                l.split(',')
                    .enumerate()
                    .filter(|(i, _)| !cf.contains(i))
                    .map(|(_, c)| c)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    };
    let plain = sweep("plain", &["--threads", "2"]);
    let plain_runs = String::from_utf8(read(&plain, "runs.csv")).unwrap();
    assert_eq!(
        without_cf(&runs),
        plain_runs.lines().map(String::from).collect::<Vec<_>>()
    );
    assert!(
        !String::from_utf8(read(&plain, "manifest.json"))
            .unwrap()
            .contains("counterfactual")
    );
    assert!(
        !String::from_utf8(read(&plain, "summary.csv"))
            .unwrap()
            .contains("budget_release")
    );
    // The report shows the release's own cost and the twin's, only when there are twins.
    let report = String::from_utf8(read(&one, "report.md")).unwrap();
    for row in [
        "| budget burned by the release |",
        "| bad events of the release |",
        "| budget burned without the release |",
    ] {
        assert_eq!(report.matches(row).count(), 2, "{row}: one per scenario");
        assert!(
            !String::from_utf8(read(&plain, "report.md"))
                .unwrap()
                .contains(row)
        );
    }
    assert!(
        String::from_utf8(read(&one, "report.html"))
            .unwrap()
            .contains("budget burned by the release")
    );
    // The twin is the policy's: every policy on a replicate shares it.
    let twin_col = |line: &str| line.split(',').nth(cf[2]).unwrap().to_string();
    let lines: Vec<&str> = runs.lines().skip(1).collect();
    for s in 0..2 {
        for k in 0..5 {
            let twins: Vec<String> = (0..3)
                .map(|v| twin_col(lines[(s * 3 + v) * 5 + k]))
                .collect();
            assert!(
                twins.windows(2).all(|w| w[0] == w[1]),
                "scenario {s} replicate {k}: {twins:?}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// On a scenario with uncertain parameters the twin faces the run's own draw: under
/// `noop` with an uncertain traffic rate and baseline errors the release costs exactly
/// nothing (a twin that drew its rate anew would serve, and fail, other requests).
#[test]
fn the_twin_of_an_uncertain_scenario_draws_what_its_run_drew() {
    let dir = temp_dir("counterfactual-uncertain");
    let scenario = dir.join("uncertain-rate.toml");
    std::fs::write(
        &scenario,
        "schema_version = 1\nname = \"uncertain-rate\"\n\n[run]\nhorizon_seconds = 300\n\n\
         [traffic]\nrate = { uniform = [100, 400] }\n\n[baseline]\nerror_probability = 0.002\n\n\
         [release]\nstart_seconds = 60\n",
    )
    .unwrap();
    for replicate in ["0", "1", "2"] {
        let out = run_ok(&[
            "run",
            "--scenario",
            scenario.to_str().unwrap(),
            "--policy",
            "noop",
            "--replicate",
            replicate,
            "--counterfactual",
            "--json",
        ]);
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        let m = &doc;
        assert!(
            doc["inputs"]["params"]["traffic.rate"].as_f64().is_some(),
            "{doc}"
        );
        assert_eq!(m["budget_release_pct"].as_f64(), Some(0.0), "{m}");
        assert_eq!(m["bad_events_release"].as_f64(), Some(0.0), "{m}");
        assert!(m["twin_requests_bad"].as_f64().unwrap() > 50.0, "{m}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
