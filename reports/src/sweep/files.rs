//! The bytes of `summary.csv`, `summary.json`, `paired.csv` and `pareto.csv`. The
//! version of the CSV layouts is the `schema_version` of `manifest.json` beside them;
//! `summary.json` carries its own.

use serde::Serialize;

use super::frontier::{ParetoPoint, Recommendation};
use super::group::{GroupSummary, Paired};
use crate::SCHEMA_VERSION;
use crate::format::num;
use crate::stats::{Estimate, Rate};
use crate::vocab::{self, Metric, Stat};

fn csv_text(header: Vec<String>, rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("in-memory write");
    for r in rows {
        w.write_record(&r).expect("in-memory write");
    }
    String::from_utf8(w.into_inner().expect("in-memory flush")).expect("csv is utf-8")
}

fn rate_fields(r: &Option<Rate>) -> [String; 3] {
    match r {
        Some(r) => [num(Some(r.rate)), num(Some(r.lo)), num(Some(r.hi))],
        None => Default::default(),
    }
}

fn estimate_fields(e: Option<Estimate>) -> [String; 3] {
    [
        num(e.map(|e| e.value)),
        num(e.map(|e| e.lo)),
        num(e.map(|e| e.hi)),
    ]
}

/// `summary.csv`: one row per (scenario, policy) in run order.
pub fn summary_csv(groups: &[GroupSummary]) -> String {
    let mut header: Vec<String> = [
        "scenario",
        "policy",
        "n",
        "succeeded",
        "caught",
        "escaped",
        "false_rollback",
        "stalled",
        "limit_hit",
        "fault_runs",
        "no_fault_runs",
        "undetected",
    ]
    .map(String::from)
    .to_vec();
    for rate in vocab::Rate::ALL.map(vocab::Rate::name) {
        header.extend([rate.to_string(), format!("{rate}_lo"), format!("{rate}_hi")]);
    }
    for m in Metric::summarised() {
        header.extend([format!("{m}_n"), format!("{m}_censored")]);
        for stat in Stat::ALL.map(Stat::name) {
            header.extend([
                format!("{m}_{stat}"),
                format!("{m}_{stat}_lo"),
                format!("{m}_{stat}_hi"),
            ]);
        }
    }
    let rows = groups.iter().map(|g| {
        let o = &g.outcomes;
        let mut r = vec![g.scenario.clone(), g.policy.clone()];
        r.extend(
            [
                g.n,
                o.succeeded,
                o.caught,
                o.escaped,
                o.false_rollback,
                o.stalled,
                g.limit_hit,
                g.fault_runs,
                g.no_fault_runs,
                g.undetected,
            ]
            .map(|v| v.to_string()),
        );
        for rate in vocab::Rate::ALL {
            r.extend(rate_fields(&rate.of(g)));
        }
        for metric in Metric::summarised() {
            let m = g.metric(metric);
            r.extend([
                m.map(|m| m.n.to_string()).unwrap_or_default(),
                m.map(|m| m.censored.to_string()).unwrap_or_default(),
            ]);
            let d = m.and_then(|m| m.stats);
            for stat in Stat::ALL {
                r.extend(estimate_fields(d.map(|d| stat.of(&d))));
            }
        }
        r
    });
    csv_text(header, rows)
}

/// `paired.csv`: every policy minus the baseline, per scenario and metric.
pub fn paired_csv(paired: &[Paired]) -> String {
    let header = [
        "scenario",
        "policy",
        "baseline",
        "metric",
        "pairs",
        "mean_difference",
        "mean_difference_lo",
        "mean_difference_hi",
    ]
    .map(String::from)
    .to_vec();
    let rows = paired.iter().map(|p| {
        let mut r = vec![
            p.scenario.clone(),
            p.policy.clone(),
            p.baseline.clone(),
            p.metric.to_string(),
            p.pairs.to_string(),
        ];
        r.extend(estimate_fields(p.difference));
        r
    });
    csv_text(header, rows)
}

/// `pareto.csv`: one row per policy, the frontier flagged.
pub fn pareto_csv(points: &[ParetoPoint]) -> String {
    let mut header = [
        "policy",
        "deploy_p50_s",
        "deploy_p50_lo_s",
        "deploy_p50_hi_s",
        "deploy_scenario",
        "budget_p95_pct",
        "budget_p95_lo_pct",
        "budget_p95_hi_pct",
        "budget_scenario",
    ]
    .map(String::from)
    .to_vec();
    let fr = vocab::Rate::FalseRollback.name();
    header.extend([fr.to_string(), format!("{fr}_lo"), format!("{fr}_hi")]);
    header.extend([vocab::Rate::Detection, vocab::Rate::Escape].map(|r| r.name().to_string()));
    header.extend(["eligible", "frontier"].map(String::from));
    let rows = points.iter().map(|p| {
        let mut r = vec![p.policy.clone()];
        for w in [&p.deploy_p50_s, &p.budget_p95_pct] {
            r.extend(estimate_fields(w.as_ref().map(|w| w.estimate)));
            r.push(w.as_ref().map(|w| w.scenario.clone()).unwrap_or_default());
        }
        r.extend(rate_fields(&p.false_rollback_rate));
        r.push(num(p.detection_rate.map(|r| r.rate)));
        r.push(num(p.escape_rate.map(|r| r.rate)));
        r.push(p.eligible.to_string());
        r.push(p.frontier.to_string());
        r
    });
    csv_text(header, rows)
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    schema_version: u32,
    master_seed: u64,
    seeds: u64,
    bootstrap_resamples: usize,
    baseline: &'a str,
    groups: &'a [GroupSummary],
    paired: &'a [Paired],
    pareto: &'a [ParetoPoint],
    recommendation: &'a Recommendation,
}

/// Everything the sweep concluded, as one JSON document.
pub struct SummaryParts<'a> {
    pub master_seed: u64,
    pub seeds: u64,
    pub bootstrap_resamples: usize,
    pub baseline: &'a str,
    pub groups: &'a [GroupSummary],
    pub paired: &'a [Paired],
    pub pareto: &'a [ParetoPoint],
    pub recommendation: &'a Recommendation,
}

/// `summary.json`: pretty-printed, keys in a fixed order, ending in a newline.
pub fn summary_json(p: &SummaryParts<'_>) -> String {
    let doc = SummaryJson {
        schema_version: SCHEMA_VERSION,
        master_seed: p.master_seed,
        seeds: p.seeds,
        bootstrap_resamples: p.bootstrap_resamples,
        baseline: p.baseline,
        groups: p.groups,
        paired: p.paired,
        pareto: p.pareto,
        recommendation: p.recommendation,
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("summary serializes");
    s.push('\n');
    s
}
