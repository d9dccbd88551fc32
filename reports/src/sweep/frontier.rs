//! The Pareto frontier of deploy time against budget burned, and a recommendation
//! under the user's constraints.
//!
//! Per policy:
//! - `deploy_p50_s`: the worst (largest) p50 deploy duration over the *good-release*
//!   scenarios: those where no run had an active fault and some run started a change;
//! - `budget_p95_pct`: the worst p95 budget consumed over the *fault* scenarios: those
//!   where some run had an active fault;
//! - rates pooled over all its runs (counts added across scenarios).
//!
//! Taking the worst scenario rather than pooling keeps the figure honest when one
//! scenario is much harder than the others, and needs only the per-group summaries,
//! so memory does not grow with the number of runs.

use serde::{Deserialize, Serialize};

pub use super::constraints::Constraints;
use super::group::GroupSummary;
use crate::stats::{Estimate, Rate, wilson};
use crate::vocab::Metric;

/// A figure and the scenario it was taken from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Worst {
    pub scenario: String,
    #[serde(flatten)]
    pub estimate: Estimate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParetoPoint {
    pub policy: String,
    pub deploy_p50_s: Option<Worst>,
    pub budget_p95_pct: Option<Worst>,
    pub false_rollback_rate: Option<Rate>,
    pub detection_rate: Option<Rate>,
    pub escape_rate: Option<Rate>,
    /// Has the figures the frontier needs (e.g. a noop policy that never deploys has
    /// no deploy time on good releases and is not eligible).
    pub eligible: bool,
    pub frontier: bool,
}

/// The scenario classes, from what happened in their runs.
fn classes(groups: &[GroupSummary]) -> (Vec<&str>, Vec<&str>) {
    let mut good = Vec::new();
    let mut fault = Vec::new();
    let mut scenarios: Vec<&str> = Vec::new();
    for g in groups {
        if !scenarios.contains(&g.scenario.as_str()) {
            scenarios.push(&g.scenario);
        }
    }
    for s in scenarios {
        let of = || groups.iter().filter(move |g| g.scenario == s);
        if of().any(|g| g.fault_runs > 0) {
            fault.push(s);
        } else if of().any(|g| g.change_runs > 0) {
            good.push(s);
        }
    }
    (good, fault)
}

/// The worst value of `pick` over the given scenarios, `None` if any is missing.
fn worst(
    groups: &[&GroupSummary],
    scenarios: &[&str],
    pick: impl Fn(&GroupSummary) -> Option<Estimate>,
) -> Option<Worst> {
    let mut out: Option<Worst> = None;
    for s in scenarios {
        let g = groups.iter().find(|g| g.scenario == *s)?;
        let e = pick(g)?;
        if out.as_ref().is_none_or(|w| e.value > w.estimate.value) {
            out = Some(Worst {
                scenario: s.to_string(),
                estimate: e,
            });
        }
    }
    out
}

/// One point per policy, in the order given, with the frontier flagged.
pub fn pareto(groups: &[GroupSummary], policies: &[String]) -> Vec<ParetoPoint> {
    let (good, fault) = classes(groups);
    let mut points: Vec<ParetoPoint> = policies
        .iter()
        .map(|p| {
            let mine: Vec<&GroupSummary> = groups.iter().filter(|g| &g.policy == p).collect();
            let deploy = worst(&mine, &good, |g| {
                g.metric(Metric::DeployDuration)
                    .and_then(|m| m.stats)
                    .map(|d| d.p50)
            });
            let budget = worst(&mine, &fault, |g| {
                g.metric(Metric::BudgetConsumed)
                    .and_then(|m| m.stats)
                    .map(|d| d.p95)
            });
            let sum = |f: fn(&GroupSummary) -> u64| mine.iter().map(|g| f(g)).sum::<u64>();
            let fault_runs = sum(|g| g.fault_runs);
            let eligible =
                (good.is_empty() || deploy.is_some()) && (fault.is_empty() || budget.is_some());
            ParetoPoint {
                policy: p.clone(),
                false_rollback_rate: wilson(
                    sum(|g| g.outcomes.false_rollback),
                    sum(|g| g.no_fault_runs),
                ),
                detection_rate: wilson(sum(|g| g.fault_runs - g.undetected), fault_runs),
                escape_rate: wilson(sum(|g| g.outcomes.escaped), fault_runs),
                deploy_p50_s: deploy,
                budget_p95_pct: budget,
                eligible,
                frontier: false,
            }
        })
        .collect();
    let xy = |p: &ParetoPoint| {
        let v = |w: &Option<Worst>| w.as_ref().map_or(0.0, |w| w.estimate.value);
        (v(&p.deploy_p50_s), v(&p.budget_p95_pct))
    };
    for i in 0..points.len() {
        if !points[i].eligible {
            continue;
        }
        let (x, y) = xy(&points[i]);
        let dominated = points.iter().any(|q| {
            let (qx, qy) = xy(q);
            q.eligible && qx <= x && qy <= y && (qx < x || qy < y)
        });
        points[i].frontier = !dominated;
    }
    points
}

/// The recommended policy, or why there is none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub constraints: Constraints,
    /// The frontier policy that meets every constraint with the lowest p95 budget
    /// (ties: faster deploy, then run order); `None` if no frontier policy meets them.
    pub policy: Option<String>,
    /// Plain sentences: the chosen policy's figures with their intervals, or what each
    /// frontier policy fails.
    pub evidence: Vec<String>,
}

fn pct(r: &Rate) -> String {
    format!(
        "{:.2}% ({} of {}, 95% CI {:.2}-{:.2}%)",
        100.0 * r.rate,
        r.k,
        r.n,
        100.0 * r.lo,
        100.0 * r.hi
    )
}

/// What `p` fails of `c`, as sentences; empty if it meets them all.
fn failures(p: &ParetoPoint, c: &Constraints) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(b) = p
        .budget_p95_pct
        .as_ref()
        .filter(|b| b.estimate.value > c.max_budget_p95_pct)
    {
        out.push(format!(
            "p95 budget {:.3}% on {} exceeds {}%",
            b.estimate.value, b.scenario, c.max_budget_p95_pct
        ));
    }
    if let Some(d) = p
        .deploy_p50_s
        .as_ref()
        .filter(|d| d.estimate.value > c.max_deploy_p50_s)
    {
        out.push(format!(
            "p50 deploy {:.1} s on {} exceeds {} s",
            d.estimate.value, d.scenario, c.max_deploy_p50_s
        ));
    }
    if let Some(f) = p
        .false_rollback_rate
        .filter(|f| 100.0 * f.rate > c.max_false_rollback_pct)
    {
        out.push(format!(
            "false-rollback rate {} exceeds {}%",
            pct(&f),
            c.max_false_rollback_pct
        ));
    }
    out
}

/// The chosen policy's figures, and where an interval straddles a limit.
fn evidence(p: &ParetoPoint, c: &Constraints) -> Vec<String> {
    let mut out = Vec::new();
    let mut unsure = Vec::new();
    if let Some(b) = &p.budget_p95_pct {
        let e = b.estimate;
        out.push(format!(
            "p95 budget consumed {:.3}% (95% CI {:.3}-{:.3}%) on its worst fault scenario, {}; limit {}%",
            e.value, e.lo, e.hi, b.scenario, c.max_budget_p95_pct
        ));
        if e.hi > c.max_budget_p95_pct {
            unsure.push("p95 budget");
        }
    }
    if let Some(d) = &p.deploy_p50_s {
        let e = d.estimate;
        out.push(format!(
            "p50 deploy duration {:.1} s (95% CI {:.1}-{:.1} s) on its slowest good release, {}; limit {} s",
            e.value, e.lo, e.hi, d.scenario, c.max_deploy_p50_s
        ));
        if e.hi > c.max_deploy_p50_s {
            unsure.push("p50 deploy duration");
        }
    }
    if let Some(f) = &p.false_rollback_rate {
        out.push(format!(
            "false-rollback rate {}; limit {}%",
            pct(f),
            c.max_false_rollback_pct
        ));
        if 100.0 * f.hi > c.max_false_rollback_pct {
            unsure.push("false-rollback rate");
        }
    }
    if let Some(d) = &p.detection_rate {
        out.push(format!("detection rate {}", pct(d)));
    }
    if let Some(e) = &p.escape_rate {
        out.push(format!("escape rate {}", pct(e)));
    }
    if !unsure.is_empty() {
        out.push(format!(
            "caution: the 95% interval of the {} reaches past its limit; more seeds would settle it",
            unsure.join(" and the ")
        ));
    }
    out
}

/// Picks from the frontier under `c`.
pub fn recommend(points: &[ParetoPoint], c: Constraints) -> Recommendation {
    let value = |w: &Option<Worst>| w.as_ref().map_or(0.0, |w| w.estimate.value);
    let best = points
        .iter()
        .filter(|p| p.frontier && failures(p, &c).is_empty())
        .min_by(|a, b| {
            value(&a.budget_p95_pct)
                .total_cmp(&value(&b.budget_p95_pct))
                .then(value(&a.deploy_p50_s).total_cmp(&value(&b.deploy_p50_s)))
        });
    match best {
        Some(p) => Recommendation {
            constraints: c,
            policy: Some(p.policy.clone()),
            evidence: evidence(p, &c),
        },
        None => {
            let mut evidence = vec!["no policy on the frontier meets every constraint".to_string()];
            for p in points.iter().filter(|p| p.frontier) {
                evidence.push(format!("{}: {}", p.policy, failures(p, &c).join("; ")));
            }
            if !points.iter().any(|p| p.frontier) {
                evidence.push("no policy had the figures the frontier needs".to_string());
            }
            Recommendation {
                constraints: c,
                policy: None,
                evidence,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::runs_csv::RunRow;
    use crate::metrics::Outcome;
    use crate::sweep::group::{Bootstrap, summarize};

    /// A group of `n` runs of `scenario` under `policy`; fault scenarios have an active
    /// fault in every run. Deploys take `deploy` seconds and burn `budget` percent.
    fn group(scenario: &str, policy: &str, fault: bool, deploy: f64, budget: f64) -> GroupSummary {
        let rows: Vec<RunRow> = (0..20)
            .map(|k| RunRow {
                run_id: k,
                replicate: k,
                outcome: if fault {
                    Outcome::Caught
                } else {
                    Outcome::Succeeded
                },
                change_started: true,
                change_ended: true,
                fault_active: fault,
                impact_started: fault,
                detected: fault,
                mitigated: fault,
                recovered: fault,
                limit_hit: false,
                values: RunRow::values_by(|m| match m {
                    Metric::Ttd => fault.then_some(30.0),
                    Metric::ImpactDuration => fault.then_some(60.0),
                    Metric::TtRecover => fault.then_some(90.0),
                    Metric::BudgetConsumed => Some(budget),
                    Metric::DeployDuration => Some(deploy),
                    _ => None,
                }),
                params: Vec::new(),
            })
            .collect();
        let boot = Bootstrap {
            master_seed: 1,
            resamples: 50,
        };
        summarize(scenario, policy, &rows, boot)
    }

    fn sweep(points: &[(&str, f64, f64)]) -> Vec<ParetoPoint> {
        let mut groups = Vec::new();
        for &(p, deploy, budget) in points {
            groups.push(group("good", p, false, deploy, 0.001));
            groups.push(group("bad", p, true, deploy, budget));
            // A harder fault scenario: the worst one counts.
            groups.push(group("worse", p, true, deploy, 2.0 * budget));
        }
        let names: Vec<String> = points.iter().map(|p| p.0.to_string()).collect();
        pareto(&groups, &names)
    }

    #[test]
    fn frontier_keeps_the_undominated() {
        let points = sweep(&[
            ("fast", 60.0, 1.0),
            ("slow-safe", 600.0, 0.1),
            ("dominated", 700.0, 0.5),
            ("middle", 300.0, 0.3),
        ]);
        let on: Vec<&str> = points
            .iter()
            .filter(|p| p.frontier)
            .map(|p| p.policy.as_str())
            .collect();
        assert_eq!(on, ["fast", "slow-safe", "middle"]);
        let fast = &points[0];
        assert_eq!(fast.budget_p95_pct.as_ref().unwrap().scenario, "worse");
        assert_eq!(fast.budget_p95_pct.as_ref().unwrap().estimate.value, 2.0);
        assert_eq!(fast.deploy_p50_s.as_ref().unwrap().scenario, "good");
    }

    #[test]
    fn recommendation_is_the_safest_frontier_policy_within_limits() {
        let points = sweep(&[
            ("fast", 60.0, 1.0),
            ("slow-safe", 3600.0, 0.1),
            ("middle", 300.0, 0.3),
        ]);
        let c = Constraints {
            max_budget_p95_pct: 2.0,
            max_deploy_p50_s: 1800.0,
            max_false_rollback_pct: 1.0,
        };
        let r = recommend(&points, c);
        assert_eq!(
            r.policy.as_deref(),
            Some("middle"),
            "slow-safe deploys too slowly"
        );
        assert!(r.evidence[0].contains("0.600%"), "{:?}", r.evidence);
        let strict = Constraints {
            max_budget_p95_pct: 0.1,
            ..c
        };
        let r = recommend(&points, strict);
        assert_eq!(r.policy, None);
        assert!(r.evidence[0].contains("no policy on the frontier"));
        assert!(
            r.evidence
                .iter()
                .any(|e| e.starts_with("fast: p95 budget 2.000% on worse exceeds 0.1%")),
            "{:?}",
            r.evidence
        );
    }

    #[test]
    fn a_policy_that_never_deploys_is_not_eligible() {
        let mut groups = vec![group("good", "p", false, 60.0, 0.0)];
        let mut idle = group("good", "noop", false, 0.0, 0.0);
        idle.metrics.iter_mut().for_each(|m| {
            if m.metric == Metric::DeployDuration {
                m.n = 0;
                m.stats = None;
            }
        });
        groups.push(idle);
        let points = pareto(&groups, &["p".into(), "noop".into()]);
        assert!(points[0].eligible && points[0].frontier);
        assert!(!points[1].eligible && !points[1].frontier);
    }
}
