//! `sensitivity.csv` of a sweep with uncertain parameters: one row per scenario ×
//! policy × headline figure × parameter with Spearman's ρ, its bootstrap 95% interval,
//! the parameter's rank by |ρ| on that figure and the runs in the sample
//! (`sweep::sensitivity`). Rows are in group order, then `HEADLINE` order, then rank
//! order, so each figure's block reads as its ranking. Written only when the sweep's
//! runs drew uncertain parameters; versioned by the sweep's `manifest.json`.
//!
//! Its companion `budget_exceedance.csv` (`exceedance_csv`) holds each group's
//! probability of burning more than the budget limit; `groups` joins the two back
//! into the `GroupSensitivity` a report is drawn from.

use serde::{Deserialize, Serialize};

use super::exceedance_csv::ExceedanceRecord;
use super::{ArtifactError, cell, csv_from_bytes, csv_to_bytes, csv_value_error};
use crate::stats::Rate;
use crate::sweep::sensitivity::{Correlation, Exceedance, GroupSensitivity, HEADLINE};
use crate::vocab::Quantity;

pub const FILE_NAME: &str = "sensitivity.csv";

/// One row. `metric` is a `HEADLINE` quantity's name (`budget_consumed_pct`, `ttd_s`,
/// `deploy_duration_s`, `escape_rate`); `rank` and the ρ cells are empty where ρ is
/// undefined.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SensitivityRecord {
    pub scenario: String,
    pub policy: String,
    pub metric: String,
    pub parameter: String,
    pub rank: Option<u32>,
    pub n: u64,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub rho: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub rho_lo: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub rho_hi: Option<f64>,
}

pub fn records(groups: &[GroupSensitivity]) -> Vec<SensitivityRecord> {
    groups
        .iter()
        .flat_map(|g| {
            g.correlations.iter().map(|c| SensitivityRecord {
                scenario: g.scenario.clone(),
                policy: g.policy.clone(),
                metric: c.metric.name().to_string(),
                parameter: c.parameter.clone(),
                rank: c.rank,
                n: c.n,
                rho: c.rho,
                rho_lo: c.lo,
                rho_hi: c.hi,
            })
        })
        .collect()
}

pub fn to_bytes(rows: &[SensitivityRecord]) -> Vec<u8> {
    csv_to_bytes(rows)
}

/// The headline quantity a `metric` cell names.
fn headline(name: &str) -> Option<Quantity> {
    HEADLINE.into_iter().find(|q| q.name() == name)
}

/// Reads the table; a `metric` that is not a headline figure, a ρ outside [−1, 1] or
/// an interval that does not hold ρ is refused with its line and column.
pub fn from_bytes(bytes: &[u8]) -> Result<Vec<SensitivityRecord>, ArtifactError> {
    let rows = csv_from_bytes::<SensitivityRecord>(bytes)?;
    let at = |line: u64, field: &str, reason: String| csv_value_error(bytes, line, field, reason);
    for (line, r) in &rows {
        if headline(&r.metric).is_none() {
            let names: Vec<&str> = HEADLINE.iter().map(|q| q.name()).collect();
            return Err(at(
                *line,
                "metric",
                format!("{:?} is not one of {}", r.metric, names.join(", ")),
            ));
        }
        for (field, v) in [("rho", r.rho), ("rho_lo", r.rho_lo), ("rho_hi", r.rho_hi)] {
            if v.is_some_and(|v| !(-1.0..=1.0).contains(&v)) {
                return Err(at(
                    *line,
                    field,
                    format!("{} is outside [-1, 1]", v.unwrap()),
                ));
            }
        }
        if let (Some(rho), Some(lo), Some(hi)) = (r.rho, r.rho_lo, r.rho_hi)
            && !(lo <= rho && rho <= hi)
        {
            return Err(at(
                *line,
                "rho",
                format!("{rho} is outside its interval [{lo}, {hi}]"),
            ));
        }
    }
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// Joins `sensitivity.csv` and `budget_exceedance.csv` back into one
/// `GroupSensitivity` per group, in the exceedance file's order (one row per group).
/// A sensitivity row of a group the exceedance file does not have is refused.
pub fn groups(
    rows: &[SensitivityRecord],
    exceedance: &[ExceedanceRecord],
) -> Result<Vec<GroupSensitivity>, String> {
    let mut out: Vec<GroupSensitivity> = exceedance
        .iter()
        .map(|e| GroupSensitivity {
            scenario: e.scenario.clone(),
            policy: e.policy.clone(),
            correlations: Vec::new(),
            exceedance: Exceedance {
                limit_pct: e.limit_pct,
                rate: e.probability.map(|p| Rate {
                    k: e.exceeded,
                    n: e.runs,
                    rate: p,
                    lo: e.probability_lo.unwrap_or(p),
                    hi: e.probability_hi.unwrap_or(p),
                }),
            },
        })
        .collect();
    for (i, r) in rows.iter().enumerate() {
        let Some(g) = out
            .iter_mut()
            .find(|g| g.scenario == r.scenario && g.policy == r.policy)
        else {
            return Err(format!(
                "row {}: {} under {} has no row in {}",
                i + 1,
                r.scenario,
                r.policy,
                super::exceedance_csv::FILE_NAME
            ));
        };
        g.correlations.push(Correlation {
            metric: headline(&r.metric).ok_or_else(|| format!("unknown metric {:?}", r.metric))?,
            parameter: r.parameter.clone(),
            n: r.n,
            rho: r.rho,
            lo: r.rho_lo,
            hi: r.rho_hi,
            rank: r.rank,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::exceedance_csv;

    fn rows() -> Vec<SensitivityRecord> {
        vec![
            SensitivityRecord {
                scenario: "memory-leak-uncertain".into(),
                policy: "canary[bake=60,x=\"y\"]".into(),
                metric: "budget_consumed_pct".into(),
                parameter: "candidate.leak_kb_per_request".into(),
                rank: Some(1),
                n: 50,
                rho: Some(0.912345),
                rho_lo: Some(0.85),
                rho_hi: Some(0.95),
            },
            SensitivityRecord {
                scenario: "memory-leak-uncertain".into(),
                policy: "canary[bake=60,x=\"y\"]".into(),
                metric: "escape_rate".into(),
                parameter: "fleet.startup_seconds".into(),
                rank: None,
                n: 0,
                rho: None,
                rho_lo: None,
                rho_hi: None,
            },
        ]
    }

    #[test]
    fn rows_read_back_as_written() {
        let rows = rows();
        let bytes = to_bytes(&rows);
        assert!(
            bytes.starts_with(b"scenario,policy,metric,parameter,rank,n,rho,rho_lo,rho_hi\n"),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        assert_eq!(from_bytes(&bytes).unwrap(), rows);
        assert_eq!(to_bytes(&from_bytes(&bytes).unwrap()), bytes);
        assert_eq!(
            to_bytes(&[]),
            b"scenario,policy,metric,parameter,rank,n,rho,rho_lo,rho_hi\n"
        );
    }

    #[test]
    fn bad_cells_name_their_line_and_column() {
        let text = String::from_utf8(to_bytes(&rows())).unwrap();
        let e = from_bytes(text.replace("escape_rate", "escapes").as_bytes()).unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(3), Some("metric")),
            "{e}"
        );
        assert!(e.reason.contains("budget_consumed_pct, ttd_s"), "{e}");
        let e = from_bytes(text.replace("0.912345", "1.5").as_bytes()).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("rho")), "{e}");
        let e = from_bytes(text.replace("0.912345", "0.96").as_bytes()).unwrap_err();
        assert!(e.reason.contains("outside its interval"), "{e}");
        let e = from_bytes(text.replace(",1,50,", ",first,50,").as_bytes()).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("rank")), "{e}");
    }

    #[test]
    fn groups_join_the_two_files() {
        let exc = vec![exceedance_csv::ExceedanceRecord {
            scenario: "memory-leak-uncertain".into(),
            policy: "canary[bake=60,x=\"y\"]".into(),
            limit_pct: 2.0,
            runs: 50,
            exceeded: 5,
            probability: Some(0.1),
            probability_lo: Some(0.043),
            probability_hi: Some(0.214),
        }];
        let g = groups(&rows(), &exc).unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].correlations.len(), 2);
        assert_eq!(g[0].correlations[0].rank, Some(1));
        let r = g[0].exceedance.rate.unwrap();
        assert_eq!((r.k, r.n, r.rate), (5, 50, 0.1));
        assert_eq!(records(&g), rows(), "and back");
        let e = groups(&rows(), &[]).unwrap_err();
        assert!(e.contains("budget_exceedance.csv"), "{e}");
    }
}
