//! `tune.csv` of a tune: one row per candidate of the space, in the space's order
//! (first parameter slowest), with its parameter values (one column per parameter,
//! named by its key, between `candidate` and `verdict`), how far it got (verdict,
//! the round it was eliminated in and why, seeds and runs), its objective with a 95%
//! interval, its paired difference from the best, the figures the limits read and
//! whether it is on the survivors' frontier. Definitions in docs/tune.md. Versioned
//! by the tune's `tune-manifest.json`.
//!
//! Not a `#[derive]` table, since its columns depend on the space (as `runs.csv`'s
//! grid columns do).

use csv::StringRecord;

use super::ArtifactError;
use super::runs_csv::line;
use crate::format::{num, secs};
use crate::stats::{Estimate, Rate};
use crate::tune::{CandidateResult, Verdict};

pub const FILE_NAME: &str = "tune.csv";

const LEAD: [&str; 2] = ["index", "candidate"];
const TRAIL: [&str; 21] = [
    "verdict",
    "round",
    "reason",
    "revived",
    "seeds",
    "runs",
    "objective_s",
    "objective_lo_s",
    "objective_hi_s",
    "versus_best_s",
    "versus_best_lo_s",
    "versus_best_hi_s",
    "deploy_p50_s",
    "budget_p95_pct",
    "false_rollbacks",
    "no_fault_runs",
    "false_rollback_rate",
    "false_rollback_lo",
    "false_rollback_hi",
    "meets_limits",
    "broken",
];
/// After `broken`.
const LAST: &str = "frontier";

/// The header for a space whose parameters are `keys`.
pub fn header(keys: &[String]) -> Vec<String> {
    let mut h: Vec<String> = LEAD.map(String::from).to_vec();
    h.extend(keys.iter().cloned());
    h.extend(TRAIL.map(String::from));
    h.push(LAST.into());
    h
}

fn estimate_cells(e: Option<Estimate>) -> [String; 3] {
    [
        secs(e.map(|e| e.value)),
        secs(e.map(|e| e.lo)),
        secs(e.map(|e| e.hi)),
    ]
}

fn bit(b: bool) -> String {
    if b { "1" } else { "0" }.into()
}

/// One row's fields, in header order.
pub fn fields(r: &CandidateResult) -> Vec<String> {
    let mut f = vec![r.index.to_string(), r.name.clone()];
    f.extend(r.values.iter().cloned());
    f.push(r.verdict.name().into());
    f.push(r.round.map(|x| x.to_string()).unwrap_or_default());
    f.push(r.reason.clone());
    f.push(r.revived.to_string());
    f.push(r.seeds.to_string());
    f.push(r.runs.to_string());
    f.extend(estimate_cells(r.objective));
    f.extend(estimate_cells(r.versus_best));
    f.push(secs(r.deploy_p50_s));
    f.push(num(r.budget_p95_pct));
    let fr = r.false_rollback;
    f.push(fr.map(|x| x.k.to_string()).unwrap_or_default());
    f.push(fr.map(|x| x.n.to_string()).unwrap_or_default());
    f.push(num(fr.map(|x| x.rate)));
    f.push(num(fr.map(|x| x.lo)));
    f.push(num(fr.map(|x| x.hi)));
    f.push(bit(r.meets_limits));
    f.push(r.broken.join("; "));
    f.push(bit(r.frontier));
    f
}

/// The whole table.
pub fn to_bytes(keys: &[String], rows: &[CandidateResult]) -> Vec<u8> {
    let mut out = line(header(keys));
    for r in rows {
        out.extend(line(fields(r)));
    }
    out
}

/// The table read back: the parameter keys and every row. An error names the line,
/// the column and the reason.
pub fn from_bytes(bytes: &[u8]) -> Result<(Vec<String>, Vec<CandidateResult>), ArtifactError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let head = reader.headers().map_err(|e| super::csv_error(&e))?.clone();
    let cols: Vec<&str> = head.iter().collect();
    let fixed = LEAD.len() + TRAIL.len() + 1;
    if cols.len() < fixed
        || cols[..LEAD.len()] != LEAD
        || cols[cols.len() - TRAIL.len() - 1..cols.len() - 1] != TRAIL
        || cols[cols.len() - 1] != LAST
    {
        return Err(ArtifactError::at_line(
            1,
            "the header is not tune.csv's columns",
        ));
    }
    let keys: Vec<String> = cols[LEAD.len()..cols.len() - TRAIL.len() - 1]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| super::csv_error(&e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let r = parse(&rec, &head, keys.len()).map_err(|(col, why)| {
            let index = head.iter().position(|h| h == col);
            ArtifactError {
                line: Some(line),
                column: index.map(|i| i as u64 + 1),
                field: Some(col),
                reason: why,
            }
        })?;
        rows.push(r);
    }
    Ok((keys, rows))
}

type Bad = (String, String);

fn parse(rec: &StringRecord, head: &StringRecord, params: usize) -> Result<CandidateResult, Bad> {
    let at = |i: usize| rec.get(i).unwrap_or("");
    let name = |i: usize| head.get(i).unwrap_or("").to_string();
    let bad = |i: usize, why: &str| (name(i), format!("{why}: {:?}", at(i)));
    let int = |i: usize| {
        at(i)
            .parse::<u64>()
            .map_err(|_| bad(i, "not a whole number"))
    };
    let opt_int = |i: usize| -> Result<Option<u64>, Bad> {
        if at(i).is_empty() {
            Ok(None)
        } else {
            int(i).map(Some)
        }
    };
    let opt = |i: usize| -> Result<Option<f64>, Bad> {
        match at(i) {
            "" => Ok(None),
            s => match s.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(bad(i, "not a number")),
            },
        }
    };
    let flag = |i: usize| match at(i) {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(bad(i, "expected 0 or 1")),
    };
    let estimate = |i: usize| -> Result<Option<Estimate>, Bad> {
        match (opt(i)?, opt(i + 1)?, opt(i + 2)?) {
            (Some(value), Some(lo), Some(hi)) => Ok(Some(Estimate { value, lo, hi })),
            (None, None, None) => Ok(None),
            _ => Err(bad(i, "an estimate needs its value and both ends")),
        }
    };
    let t = LEAD.len() + params;
    let verdict = Verdict::parse(at(t)).ok_or_else(|| bad(t, "unknown verdict"))?;
    let false_rollback = match (opt_int(t + 14)?, opt_int(t + 15)?) {
        (Some(k), Some(n)) => Some(Rate {
            k,
            n,
            rate: opt(t + 16)?.ok_or_else(|| bad(t + 16, "missing"))?,
            lo: opt(t + 17)?.ok_or_else(|| bad(t + 17, "missing"))?,
            hi: opt(t + 18)?.ok_or_else(|| bad(t + 18, "missing"))?,
        }),
        (None, None) => None,
        _ => return Err(bad(t + 14, "false rollbacks need their runs")),
    };
    Ok(CandidateResult {
        index: int(0)? as usize,
        name: at(1).to_string(),
        values: (LEAD.len()..t).map(|i| at(i).to_string()).collect(),
        verdict,
        round: opt_int(t + 1)?.map(|r| r as usize),
        reason: at(t + 2).to_string(),
        revived: int(t + 3)? as u32,
        seeds: int(t + 4)?,
        runs: int(t + 5)?,
        objective: estimate(t + 6)?,
        versus_best: estimate(t + 9)?,
        deploy_p50_s: opt(t + 12)?,
        budget_p95_pct: opt(t + 13)?,
        false_rollback,
        meets_limits: flag(t + 19)?,
        broken: match at(t + 20) {
            "" => Vec::new(),
            s => s.split("; ").map(String::from).collect(),
        },
        frontier: flag(t + 21)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(index: usize, verdict: Verdict) -> CandidateResult {
        CandidateResult {
            index,
            name: format!("gated-10pct[max_surge={index}0%,bake_seconds=60]"),
            values: vec![format!("{index}0%"), "60".into()],
            verdict,
            round: (verdict == Verdict::Worse).then_some(2),
            reason: if verdict == Verdict::Worse {
                "worse than x by 1.5 min (p = 2.0e-5)".into()
            } else {
                String::new()
            },
            revived: 0,
            seeds: 40,
            runs: 120,
            objective: Some(Estimate {
                value: 612.25,
                lo: 600.0,
                hi: 630.125,
            }),
            versus_best: (verdict != Verdict::Best).then_some(Estimate {
                value: 90.0,
                lo: 80.5,
                hi: 99.0,
            }),
            deploy_p50_s: Some(612.25),
            budget_p95_pct: Some(0.0123456789),
            false_rollback: crate::stats::wilson(1, 40),
            meets_limits: verdict == Verdict::Best,
            broken: if verdict == Verdict::Best {
                vec![]
            } else {
                vec![
                    "max_budget_p95 on memory-leak".into(),
                    "max_false_rollback".into(),
                ]
            },
            frontier: verdict == Verdict::Best,
        }
    }

    #[test]
    fn rows_read_back_as_written() {
        let keys = vec!["policy.max_surge".to_string(), "policy.bake_seconds".into()];
        let rows = vec![row(0, Verdict::Worse), row(1, Verdict::Best)];
        let b = to_bytes(&keys, &rows);
        let text = String::from_utf8(b.clone()).unwrap();
        assert!(
            text.starts_with(
                "index,candidate,policy.max_surge,policy.bake_seconds,verdict,round,reason,"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "\"gated-10pct[max_surge=00%,bake_seconds=60]\",00%,60,worse,2,\
                 worse than x by 1.5 min (p = 2.0e-5),0,40,120,612.250,600.000,630.125,90.000,"
            ),
            "{text}"
        );
        let (k, back) = from_bytes(&b).unwrap();
        assert_eq!(k, keys);
        assert_eq!(to_bytes(&k, &back), b, "byte for byte");
        assert_eq!(back[1].verdict, Verdict::Best);
        assert_eq!(back[0].broken.len(), 2);
        assert_eq!(back[1].versus_best, None);
    }

    #[test]
    fn a_bad_cell_names_its_line_and_column() {
        let keys = vec!["policy.max_surge".to_string()];
        let mut r = row(0, Verdict::Best);
        r.values.truncate(1);
        let text = String::from_utf8(to_bytes(&keys, &[r])).unwrap();
        let broken = text.replace(",best,", ",champion,");
        let e = from_bytes(broken.as_bytes()).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.field.as_deref(), Some("verdict"));
        assert!(e.reason.contains("unknown verdict"), "{e}");
        let e = from_bytes(b"index,candidate,verdict\n").unwrap_err();
        assert!(e.to_string().contains("not tune.csv's columns"), "{e}");
    }
}
