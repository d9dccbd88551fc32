//! The SLO rules and their `promtool` test, from a scenario or a run directory
//! (`rollcage export --to prometheus-rules | promtool-test`): the inputs of
//! `reports::prometheus`, read and checked here.

use std::path::Path;

use policies::series::SeriesNames;
use reports::artifacts::{events_csv, run_json, timeline_csv};
use reports::prometheus::{Replay, SloRules};
use scenarios::Scenario;
use sim_core::SimDuration;

use crate::RunnerError;
use crate::report::{RunFiles, read_run_files};

/// The rules of a scenario's SLO.
pub fn rules_for_scenario(s: &Scenario) -> SloRules {
    SloRules::new(
        &s.name,
        s.slo.objective,
        SimDuration::from_secs_f64(s.observability.scrape_interval_seconds),
        s.slo.pager.enabled,
    )
}

/// What a run directory's `run.json` says of its SLO, pager and traffic.
struct RunSlo {
    rules: SloRules,
    lag: SimDuration,
    history_rps: f64,
}

fn run_slo(dir: &Path, files: &RunFiles) -> Result<RunSlo, RunnerError> {
    let run = &files.run;
    let path = dir.join(run_json::FILE_NAME);
    let need = |key: &str| {
        run.scenario_number(key).ok_or_else(|| {
            RunnerError::Usage(format!(
                "{}: inputs.scenario_resolved.{key}: missing or not a number",
                path.display()
            ))
        })
    };
    let objective = need("slo.objective")?;
    let interval = need("observability.scrape_interval_seconds")?;
    let lag = need("observability.metrics_lag_seconds")?;
    let scenario = &run.inputs.scenario_resolved;
    let enabled = scenario["slo"]["pager"]["enabled"]
        .as_bool()
        .ok_or_else(|| {
            RunnerError::Usage(format!(
                "{}: inputs.scenario_resolved.slo.pager.enabled: missing or not a boolean",
                path.display()
            ))
        })?;
    // The engine's prior rate (`WorldConfig::steady_rate`): the traffic's steady rate
    // (every profile's `rate`) plus the sessions' requests.
    let mut history_rps = need("traffic.rate")?;
    if !scenario["sessions"].is_null() {
        history_rps += need("sessions.rate")? * need("sessions.requests_per_session")?;
    }
    if let Some(f) = scenario["faults"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["kind"] == "metrics-delay")
    {
        return Err(RunnerError::Usage(format!(
            "{}: fault {} delays the metrics the pager reads by more than the scenario's lag, which Prometheus' series cannot show: a test would expect the page too early",
            path.display(),
            f["name"]
        )));
    }
    Ok(RunSlo {
        rules: SloRules::new(
            &run.inputs.scenario,
            objective,
            SimDuration::from_secs_f64(interval),
            enabled,
        ),
        lag: SimDuration::from_secs_f64(lag),
        history_rps,
    })
}

/// The rules of the SLO a run directory's scenario had.
pub fn rules_for_run(dir: &Path) -> Result<SloRules, RunnerError> {
    let files = read_run_files(dir)?;
    Ok(run_slo(dir, &files)?.rules)
}

/// The `promtool test rules` file of a run directory, loading the rules from
/// `rule_file`.
pub fn promtool_test(
    dir: &Path,
    rule_file: &str,
    names: &SeriesNames,
) -> Result<String, RunnerError> {
    let files = read_run_files(dir)?;
    let slo = run_slo(dir, &files)?;
    let paged_at_s = files
        .events
        .iter()
        .find(|e| e.kind == "pager")
        .map(|e| e.time_s);
    let replay = Replay {
        rules: &slo.rules,
        rule_file,
        service: &files.run.inputs.policy,
        timeline: &files.timeline,
        history_rps: slo.history_rps,
        metrics_lag: slo.lag,
        paged_at_s,
    };
    replay.test_yaml(names).map_err(|e| {
        RunnerError::Usage(format!(
            "{} ({}, {}): {}",
            dir.display(),
            timeline_csv::FILE_NAME,
            events_csv::FILE_NAME,
            e.0
        ))
    })
}
