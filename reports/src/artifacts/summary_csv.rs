//! `summary.csv` of a sweep: one row per (scenario, policy) in run order, every rate
//! with its interval and every summarised figure's counts and statistics. Its layout
//! is versioned by the `schema_version` of the `manifest.json` beside it.
//!
//! Not a `#[derive]` row: its columns are generated from the vocabulary (three per
//! `Rate`, two plus three per `Stat` for each summarised `Metric`), so no struct
//! field names them; `header()` is the one list and `SummaryRecord` the typed row.

use csv::StringRecord;

use super::{ArtifactError, csv_error};
use crate::format::num;
use crate::stats::Estimate;
use crate::sweep::group::GroupSummary;
use crate::vocab::{self, Figures, Stat};

pub const FILE_NAME: &str = "summary.csv";

const COUNTS: [&str; 10] = [
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
];

/// The header: identity, the counts, three columns per rate, then per summarised
/// figure of `figs` its `_n`, `_censored` and three columns per statistic.
pub fn header(figs: Figures) -> Vec<String> {
    let mut h: Vec<String> = ["scenario", "policy"].map(String::from).to_vec();
    h.extend(COUNTS.map(String::from));
    for rate in vocab::Rate::ALL.map(vocab::Rate::name) {
        h.extend([rate.to_string(), format!("{rate}_lo"), format!("{rate}_hi")]);
    }
    for m in figs.summarised() {
        h.extend([format!("{m}_n"), format!("{m}_censored")]);
        for stat in Stat::ALL.map(Stat::name) {
            h.extend([
                format!("{m}_{stat}"),
                format!("{m}_{stat}_lo"),
                format!("{m}_{stat}_hi"),
            ]);
        }
    }
    h
}

/// A summarised figure's cells; all empty when the group does not hold it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricCells {
    pub n: Option<u64>,
    pub censored: Option<u64>,
    /// In `Stat::ALL` order; `None` when nothing was observed.
    pub stats: Vec<Option<Estimate>>,
}

/// One row.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRecord {
    pub scenario: String,
    pub policy: String,
    /// In `COUNTS` order: `n`, the five outcomes, `limit_hit`, `fault_runs`,
    /// `no_fault_runs`, `undetected`.
    pub counts: [u64; 10],
    /// In `Rate::ALL` order: the rate and its interval (`Estimate::value` is the rate).
    pub rates: Vec<Option<Estimate>>,
    /// In `figs.summarised()` order for the file's `figs`.
    pub metrics: Vec<MetricCells>,
}

fn estimate_fields(e: Option<Estimate>) -> [String; 3] {
    [
        num(e.map(|e| e.value)),
        num(e.map(|e| e.lo)),
        num(e.map(|e| e.hi)),
    ]
}

/// Three cells of an estimate: all empty, or all numbers.
fn parse_estimate(cells: &[&str], first: &str) -> Result<Option<Estimate>, String> {
    if cells.iter().all(|c| c.is_empty()) {
        return Ok(None);
    }
    let mut v = [0.0; 3];
    for (slot, c) in v.iter_mut().zip(cells) {
        *slot = match c.parse::<f64>() {
            Ok(x) if x.is_finite() => x,
            _ => return Err(format!("`{first}`: not a number: {c:?}")),
        };
    }
    Ok(Some(Estimate {
        value: v[0],
        lo: v[1],
        hi: v[2],
    }))
}

impl SummaryRecord {
    pub fn from_group(g: &GroupSummary, figs: Figures) -> SummaryRecord {
        let o = &g.outcomes;
        SummaryRecord {
            scenario: g.scenario.clone(),
            policy: g.policy.clone(),
            counts: [
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
            ],
            rates: vocab::Rate::ALL
                .iter()
                .map(|r| {
                    r.of(g).map(|r| Estimate {
                        value: r.rate,
                        lo: r.lo,
                        hi: r.hi,
                    })
                })
                .collect(),
            metrics: figs
                .summarised()
                .map(|metric| match g.metric(metric) {
                    None => MetricCells {
                        stats: vec![None; Stat::ALL.len()],
                        ..MetricCells::default()
                    },
                    Some(m) => MetricCells {
                        n: Some(m.n),
                        censored: Some(m.censored),
                        stats: Stat::ALL
                            .iter()
                            .map(|s| m.stats.map(|d| s.of(&d)))
                            .collect(),
                    },
                })
                .collect(),
        }
    }

    /// The fields, in header order.
    pub fn fields(&self) -> Vec<String> {
        let mut r = vec![self.scenario.clone(), self.policy.clone()];
        r.extend(self.counts.map(|v| v.to_string()));
        for e in &self.rates {
            r.extend(estimate_fields(*e));
        }
        for m in &self.metrics {
            let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
            r.extend([opt(m.n), opt(m.censored)]);
            for e in &m.stats {
                r.extend(estimate_fields(*e));
            }
        }
        r
    }

    /// Reads a record of a table whose header is `header(figs)`.
    pub fn parse(
        rec: &StringRecord,
        names: &[String],
        figs: Figures,
    ) -> Result<SummaryRecord, String> {
        let cells: Vec<&str> = rec.iter().collect();
        let mut at = 2;
        let mut counts = [0u64; 10];
        for c in &mut counts {
            *c = cells[at]
                .parse()
                .map_err(|_| format!("`{}`: not an integer: {:?}", names[at], cells[at]))?;
            at += 1;
        }
        let estimate = |at: &mut usize| {
            let e = parse_estimate(&cells[*at..*at + 3], &names[*at]);
            *at += 3;
            e
        };
        let mut rates = Vec::new();
        for _ in vocab::Rate::ALL {
            rates.push(estimate(&mut at)?);
        }
        let mut metrics = Vec::new();
        for _ in figs.summarised() {
            let opt = |at: &mut usize| -> Result<Option<u64>, String> {
                let c = cells[*at];
                let v = (!c.is_empty())
                    .then(|| c.parse::<u64>())
                    .transpose()
                    .map_err(|_| format!("`{}`: not an integer: {c:?}", names[*at]));
                *at += 1;
                v
            };
            let n = opt(&mut at)?;
            let censored = opt(&mut at)?;
            let mut stats = Vec::new();
            for _ in Stat::ALL {
                stats.push(estimate(&mut at)?);
            }
            metrics.push(MetricCells { n, censored, stats });
        }
        Ok(SummaryRecord {
            scenario: cells[0].to_string(),
            policy: cells[1].to_string(),
            counts,
            rates,
            metrics,
        })
    }
}

/// The rows of these groups, with the figures `figs`.
pub fn records(groups: &[GroupSummary], figs: Figures) -> Vec<SummaryRecord> {
    groups
        .iter()
        .map(|g| SummaryRecord::from_group(g, figs))
        .collect()
}

/// The table of `rows`, made with `records(_, figs)`.
pub fn to_bytes(rows: &[SummaryRecord], figs: Figures) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header(figs)).expect("in-memory write");
    for r in rows {
        w.write_record(r.fields()).expect("in-memory write");
    }
    w.into_inner().expect("in-memory flush")
}

/// Reads the rows back, and which figures they hold; the header must be this
/// build's, with or without the counterfactual figures (its first differing column is
/// named).
pub fn from_bytes(bytes: &[u8]) -> Result<(Vec<SummaryRecord>, Figures), ArtifactError> {
    let mut reader = csv::Reader::from_reader(bytes);
    let found = reader.headers().map_err(|e| csv_error(&e))?.clone();
    let figs = if found.len() == header(Figures::EVERY).len() {
        Figures::EVERY
    } else {
        Figures::BASE
    };
    let names = header(figs);
    check_header(&found, &names)?;
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| csv_error(&e))?;
        let line = rec.position().map_or(0, |p| p.line());
        out.push(
            SummaryRecord::parse(&rec, &names, figs)
                .map_err(|e| ArtifactError::at_line(line, e))?,
        );
    }
    Ok((out, figs))
}

/// Refuses a header other than `names`, naming the first column that differs.
pub(crate) fn check_header(found: &StringRecord, names: &[String]) -> Result<(), ArtifactError> {
    if let Some((i, name)) = names
        .iter()
        .enumerate()
        .find(|&(i, n)| found.get(i) != Some(n.as_str()))
    {
        return Err(ArtifactError {
            line: Some(1),
            column: Some(i as u64 + 1),
            field: None,
            reason: format!(
                "expected column `{name}`, found {}",
                found.get(i).map_or("nothing".into(), |f| format!("`{f}`"))
            ),
        });
    }
    if found.len() > names.len() {
        return Err(ArtifactError::at_line(
            1,
            format!("{} columns, expected {}", found.len(), names.len()),
        ));
    }
    Ok(())
}
