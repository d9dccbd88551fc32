//! `gameday.md`: the runbook of a game day, from the scenario, the policy, the faults'
//! experiments and the expected figures of many seeded simulations.

use std::fmt::Write;

use policies::Policy;
use policies::export::promql::{Reader, Selectors, gate_query};
use policies::series::SeriesNames;
use reports::format::human_secs;
use scenarios::Scenario;

use super::chaos::ChaosItem;

/// A distribution over the runs where something happened.
#[derive(Clone, Debug, PartialEq)]
pub struct Spread {
    /// Runs where it happened.
    pub n: u64,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

/// What the simulations expect.
#[derive(Clone, Debug, PartialEq)]
pub struct Forecast {
    pub runs: u64,
    pub master_seed: u64,
    /// Outcome name and count, in the outcome order of `reports::Outcome::ALL`.
    pub outcomes: Vec<(String, u64)>,
    /// Detector and count, most frequent first; runs with no detection are not listed.
    pub detectors: Vec<(String, u64)>,
    /// Runs where something went wrong (a first bad event attributed to a fault).
    pub impact_runs: u64,
    pub detect: Spread,
    pub mitigate: Spread,
    pub recover: Spread,
    pub budget_mean: f64,
    pub budget_sd: f64,
    pub budget_p95: f64,
}

fn spread_row(s: &mut String, what: &str, x: &Spread, runs: u64) {
    let show = |v: Option<f64>| v.map_or("n/a".to_string(), human_secs);
    let _ = writeln!(
        s,
        "| {what} | {} | {} | {} of {runs} |",
        show(x.median),
        show(x.p90),
        x.n
    );
}

fn pct(k: u64, n: u64) -> String {
    if n == 0 {
        "n/a".into()
    } else {
        format!("{:.0}%", 100.0 * k as f64 / n as f64)
    }
}

/// Renders the runbook.
pub fn render(
    s: &Scenario,
    p: &Policy,
    items: &[ChaosItem],
    f: &Forecast,
    service: &str,
) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "# Game day: `{}` under `{}`\n", s.name, p.name);
    let _ = writeln!(
        o,
        "Expected figures come from {} seeded simulations (master seed {}): rerun `rollcage gameday` with the same inputs for the same figures.\n",
        f.runs, f.master_seed
    );

    let _ = writeln!(o, "## Hypothesis\n");
    let rate = s.traffic.profile().steady_rate();
    let _ = writeln!(
        o,
        "**Steady state.** {} pods of `{service}` ({} worker{} each) serve {rate} requests/s; the SLO is {}% of requests good (served under {} ms) over {} days.\n",
        s.fleet.replicas,
        s.fleet.concurrency,
        if s.fleet.concurrency == 1 { "" } else { "s" },
        s.slo.objective * 100.0,
        s.slo.latency_threshold_ms,
        s.slo.window_days
    );
    let faults: Vec<&str> = items.iter().map(|i| i.fault.as_str()).collect();
    let detected: u64 = f.detectors.iter().map(|(_, n)| n).sum();
    let top = f
        .detectors
        .first()
        .map(|(d, n)| format!("`{d}` ({n} of {} runs)", f.runs))
        .unwrap_or_else(|| "nothing".into());
    let _ = writeln!(
        o,
        "**What should happen.** The release ({}) is rolled out with `{}` ({}). With {} in play, the simulations expect the problem to be detected in {} of the runs, first by {top}, {} after the first impact (median), and the service back to steady state {} after it (median).\n",
        s.description,
        p.name,
        p.kind.name(),
        if faults.is_empty() {
            "no fault".to_string()
        } else {
            faults
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        pct(detected, f.runs),
        f.detect.median.map_or("n/a".into(), human_secs),
        f.recover.median.map_or("n/a".into(), human_secs),
    );
    let outcomes: Vec<String> = f
        .outcomes
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    let _ = writeln!(
        o,
        "Outcomes over {} runs: {}.\n",
        f.runs,
        outcomes.join(", ")
    );

    let _ = writeln!(o, "## Fault schedule\n");
    let _ = writeln!(
        o,
        "T is the moment the release starts (the simulation starts it {} s into the run).\n",
        s.release.start_seconds
    );
    let _ = writeln!(o, "| when | fault | how |");
    let _ = writeln!(o, "|---|---|---|");
    let _ = writeln!(
        o,
        "| T | release `{}` with `{}` | the operator starts the rollout |",
        s.name, p.name
    );
    for i in items {
        let how = match (&i.manifest, &i.manual) {
            (Some((file, _)), _) => format!("`kubectl apply -f chaos/{file}`"),
            (None, Some(_)) => "manual step (below)".to_string(),
            (None, None) => "—".to_string(),
        };
        let _ = writeln!(o, "| {} | `{}` | {how} |", i.when, i.fault);
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## Expected timeline\n");
    let _ = writeln!(
        o,
        "From the first bad event a fault caused, over the runs where it happened:\n"
    );
    let _ = writeln!(o, "| | median | p90 | happened in |");
    let _ = writeln!(o, "|---|---|---|---|");
    spread_row(o, "time to detect", &f.detect, f.runs);
    spread_row(o, "time to mitigate (last bad event)", &f.mitigate, f.runs);
    spread_row(o, "time to recover (fleet restored)", &f.recover, f.runs);
    let _ = writeln!(o);
    if f.detectors.is_empty() {
        let _ = writeln!(o, "Nothing detected the problem in any run.\n");
    } else {
        let by: Vec<String> = f
            .detectors
            .iter()
            .map(|(d, n)| format!("`{d}` {n}"))
            .collect();
        let _ = writeln!(
            o,
            "Detected by: {}; undetected in {} runs.\n",
            by.join(", "),
            f.runs - detected
        );
    }

    let _ = writeln!(o, "## Expected cost\n");
    let _ = writeln!(
        o,
        "≈ {:.3}% ± {:.3}% of the {}-day error budget (mean ± standard deviation over {} runs), p95 {:.3}%.\n",
        f.budget_mean, f.budget_sd, s.slo.window_days, f.runs, f.budget_p95
    );

    let _ = writeln!(o, "## Abort conditions\n");
    let _ = writeln!(
        o,
        "Stop the experiment (delete the chaos experiments, roll the release back) as soon as any of these holds:\n"
    );
    let names = SeriesNames::default();
    let sel = Selectors::by_version(&names, service, "canary", "stable");
    for g in p.kind.gates() {
        let q = gate_query(&names, g, &sel, Reader::Argo);
        let _ = writeln!(
            o,
            "- gate `{}` fails (window {}): `{}` {} {}",
            g.name,
            human_secs(g.window_seconds),
            q.query,
            if q.at_least {
                "falls below"
            } else {
                "rises above"
            },
            q.bound
        );
    }
    if s.slo.pager.enabled {
        let _ = writeln!(
            o,
            "- the SLO pager pages: burn rate over 1 h and 5 min above 14.4, or over 6 h and 30 min above 6"
        );
    }
    let _ = writeln!(
        o,
        "- the error budget this experiment consumed exceeds twice the expected p95: {:.3}%",
        2.0 * f.budget_p95
    );
    let _ = writeln!(
        o,
        "- anything breaks outside the experiment's pods, or a customer reports it\n"
    );

    let _ = writeln!(o, "## What to watch\n");
    let _ = writeln!(o, "| signal | threshold | source |");
    let _ = writeln!(o, "|---|---|---|");
    let budget = 1.0 - s.slo.objective;
    let _ = writeln!(
        o,
        "| error ratio, all versions | burn 14.4 = {:.2}% over 1 h | `sum(rate({req}{{{svc}=\"{service}\", {code}=~\"5..\"}}[5m])) / sum(rate({req}{{{svc}=\"{service}\"}}[5m]))` |",
        14.4 * budget * 100.0,
        req = names.requests,
        svc = names.labels.service,
        code = names.labels.code,
    );
    let _ = writeln!(
        o,
        "| p99 latency | {} ms (the SLO threshold) | `histogram_quantile(0.99, sum by (le) (rate({bucket}{{{svc}=\"{service}\"}}[5m])))` |",
        s.slo.latency_threshold_ms,
        bucket = names.latency_bucket(),
        svc = names.labels.service,
    );
    let _ = writeln!(
        o,
        "| pods by version and readiness | all desired pods available | `kubectl get pods -l app={service} -L version` |"
    );
    let _ = writeln!(
        o,
        "| restarts | any on the new version | `sum by ({version}) (increase({restarts}{{{svc}=\"{service}\"}}[5m]))` |",
        version = names.labels.version,
        restarts = names.restarts,
        svc = names.labels.service,
    );
    let _ = writeln!(
        o,
        "| the rollout | its step and analysis | the controller's status (`kubectl argo rollouts get rollout {service}`, `kubectl rollout status deploy/{service}`) |\n"
    );

    let _ = writeln!(o, "## Roles\n");
    let _ = writeln!(o, "| role | who | does |");
    let _ = writeln!(o, "|---|---|---|");
    for (role, does) in [
        ("game master", "runs the schedule, owns the abort call"),
        (
            "operator",
            "starts the rollout, applies and deletes the experiments, rolls back",
        ),
        (
            "observers",
            "watch the signals above and call out each threshold crossing",
        ),
        (
            "scribe",
            "timestamps every event against the expected timeline",
        ),
        (
            "communications",
            "tells stakeholders before, during and after",
        ),
    ] {
        let _ = writeln!(o, "| {role} | | {does} |");
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## Checklist\n");
    let _ = writeln!(o, "Before:\n");
    let _ = writeln!(
        o,
        "- [ ] stakeholders told the time, the blast radius ({} pods) and the abort conditions",
        s.fleet.replicas
    );
    let _ = writeln!(
        o,
        "- [ ] the steady state holds: error ratio and p99 latency normal for 30 minutes"
    );
    let _ = writeln!(
        o,
        "- [ ] Chaos Mesh installed; `kubectl apply --dry-run=server -f chaos/` accepts every experiment"
    );
    let _ = writeln!(o, "- [ ] the rollback path tried on a harmless release");
    let _ = writeln!(
        o,
        "- [ ] dashboards for every signal above open; alerts routed to the game day's channel\n"
    );
    let _ = writeln!(o, "During:\n");
    let _ = writeln!(
        o,
        "- [ ] start the rollout (T) and apply each experiment on schedule"
    );
    let _ = writeln!(
        o,
        "- [ ] record when the problem is first seen, detected, mitigated and recovered"
    );
    let _ = writeln!(o, "- [ ] abort at once on any abort condition\n");
    let _ = writeln!(o, "After:\n");
    let _ = writeln!(
        o,
        "- [ ] every experiment deleted (`kubectl delete -f chaos/`), every manual step undone"
    );
    let _ = writeln!(o, "- [ ] the steady state back");
    let _ = writeln!(
        o,
        "- [ ] the observed timeline and budget set against the expected ones above; surprises become follow-ups\n"
    );

    let manual: Vec<&ChaosItem> = items.iter().filter(|i| i.manual.is_some()).collect();
    if !manual.is_empty() {
        let _ = writeln!(o, "## Manual steps\n");
        let _ = writeln!(
            o,
            "No chaos tool injects these faults; the operator does, on schedule:\n"
        );
        for i in manual {
            let _ = writeln!(
                o,
                "- `{}` ({}): {}",
                i.fault,
                i.when,
                i.manual.as_deref().unwrap_or("")
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "<sub>rollcage gameday, schema_version {}</sub>",
        reports::SCHEMA_VERSION
    );
    out
}
