//! `runs.csv`: one row per run, in run-id order. It is the sweep's primary record:
//! every summary is computed from its text, never from in-memory figures, so a sweep,
//! a resumed sweep and a merge of shards all summarise the same bytes.

use csv::StringRecord;

use crate::metrics::{Outcome, RunMetrics};
use crate::vocab::{Metric, Sample};

/// The columns after the identity columns (`run_id`, `scenario`, `policy`, one per
/// grid key, `seed`, `replicate`): the outcome and detector, every figure of the
/// vocabulary in its order, and `limit_hit`.
pub fn figure_columns() -> impl Iterator<Item = &'static str> {
    ["outcome", "detector"]
        .into_iter()
        .chain(Metric::ALL.iter().map(|m| m.name()))
        .chain(["limit_hit"])
}

/// The header row for a sweep whose grid has `grid_keys` (as given, e.g.
/// `policy.bake_seconds`).
pub fn header(grid_keys: &[String]) -> Vec<String> {
    let mut h: Vec<String> = ["run_id", "scenario", "policy"].map(String::from).to_vec();
    h.extend(grid_keys.iter().cloned());
    h.extend(["seed", "replicate"].map(String::from));
    h.extend(figure_columns().map(String::from));
    h
}

/// Who a run was: its place in the sweep.
#[derive(Clone, Copy, Debug)]
pub struct RunIdentity<'a> {
    pub run_id: u64,
    pub scenario: &'a str,
    pub policy: &'a str,
    /// The policy's grid values, in grid-key order.
    pub grid_values: &'a [String],
    pub seed: u64,
    pub replicate: u64,
}

/// The fields of one row, in header order.
pub fn row(id: &RunIdentity<'_>, m: &RunMetrics) -> Vec<String> {
    let mut r = vec![
        id.run_id.to_string(),
        id.scenario.to_string(),
        id.policy.to_string(),
    ];
    r.extend(id.grid_values.iter().cloned());
    r.extend([id.seed.to_string(), id.replicate.to_string()]);
    r.push(m.outcome.name().to_string());
    r.push(m.detector.clone().unwrap_or_default());
    r.extend(Metric::ALL.iter().map(|f| f.cell(m)));
    r.push(m.limit_hit.clone().unwrap_or_default());
    r
}

/// Encodes fields as one CSV line, newline included.
pub fn line<I, S>(fields: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(Vec::with_capacity(512));
    w.write_record(fields).expect("in-memory write");
    w.into_inner().expect("in-memory flush")
}

/// What the summaries need of one run, read back from its row. The scenario and
/// policy names are checked by the reader and not kept: a group holds many rows.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub run_id: u64,
    pub replicate: u64,
    pub outcome: Outcome,
    pub change_started: bool,
    pub change_ended: bool,
    /// A fault the release carries became active: the run is a bad release.
    pub fault_active: bool,
    pub impact_started: bool,
    pub detected: bool,
    pub mitigated: bool,
    pub recovered: bool,
    pub limit_hit: bool,
    /// The summarised figures, in `Metric::summarised()` order (`None`: not observed).
    pub values: Vec<Option<f64>>,
}

impl RunRow {
    /// A summarised figure's value in this run; `None` if it was not observed or is
    /// not summarised.
    pub fn value(&self, m: Metric) -> Option<f64> {
        Metric::summarised()
            .position(|s| s == m)
            .and_then(|i| self.values.get(i).copied().flatten())
    }

    /// The `values` of a row, figure by figure.
    pub fn values_by(f: impl FnMut(Metric) -> Option<f64>) -> Vec<Option<f64>> {
        Metric::summarised().map(f).collect()
    }
}

/// The columns that say what happened in a run (after the identity and outcome): a
/// run's moments, whose presence the censoring reads, and whether a bound cut it.
const MOMENTS: [Metric; 7] = [
    Metric::TChangeStart,
    Metric::TChangeEnd,
    Metric::TReleaseFaultActive,
    Metric::TImpactStart,
    Metric::TDetect,
    Metric::TMitigate,
    Metric::TRecover,
];

/// The columns the summaries read, in the order a baseline file keeps them: identity,
/// outcome, the moments, `limit_hit`, then every summarised figure.
pub fn needed() -> Vec<&'static str> {
    let mut v = vec!["run_id", "scenario", "policy", "replicate", "outcome"];
    v.extend(MOMENTS.iter().map(|m| m.name()));
    v.push("limit_hit");
    v.extend(Metric::summarised().map(Metric::name));
    v
}

/// Where each needed column sits, found by name in the header. A summarised figure
/// sampled from some runs only may be missing (a baseline written before the figure
/// existed): it reads as observed in no run.
#[derive(Clone, Debug)]
pub struct Columns {
    /// Identity, outcome, moments and `limit_hit`, in `needed()` order.
    fixed: [usize; 13],
    /// One per summarised figure.
    figures: Vec<Option<usize>>,
}

impl Columns {
    /// Locates the needed columns; the error names the first one missing.
    pub fn from_header(header: &StringRecord) -> Result<Columns, String> {
        let find = |name: &str| header.iter().position(|h| h == name);
        let names = needed();
        let mut fixed = [0usize; 13];
        for (slot, name) in fixed.iter_mut().zip(&names) {
            *slot = find(name).ok_or_else(|| format!("no `{name}` column"))?;
        }
        let figures = Metric::summarised()
            .map(|m| match (find(m.name()), m.sample()) {
                (None, Some(Sample::Every)) => Err(format!("no `{}` column", m.name())),
                (i, _) => Ok(i),
            })
            .collect::<Result<_, _>>()?;
        Ok(Columns { fixed, figures })
    }

    /// The needed columns the header has, by name and index, in `needed()` order.
    pub fn present(&self) -> Vec<(&'static str, usize)> {
        let names = needed();
        let fixed = self.fixed.iter().copied().map(Some);
        names
            .into_iter()
            .zip(fixed.chain(self.figures.iter().copied()))
            .filter_map(|(n, i)| Some((n, i?)))
            .collect()
    }

    /// The scenario and policy names of a row.
    pub fn identity<'r>(&self, rec: &'r StringRecord) -> (&'r str, &'r str) {
        (
            rec.get(self.fixed[1]).unwrap_or(""),
            rec.get(self.fixed[2]).unwrap_or(""),
        )
    }

    /// Parses one row; the error names the column and the bad value.
    pub fn parse(&self, rec: &StringRecord) -> Result<RunRow, String> {
        let names = needed();
        let cell = |i: usize, name: &str| -> Result<&str, String> {
            rec.get(i)
                .ok_or_else(|| format!("row has no `{name}` field"))
        };
        let opt = |i: usize, name: &str| -> Result<Option<f64>, String> {
            let v = cell(i, name)?;
            if v.is_empty() {
                return Ok(None);
            }
            v.parse()
                .map(Some)
                .map_err(|_| format!("`{name}`: not a number: {v:?}"))
        };
        let field = |k: usize| cell(self.fixed[k], names[k]);
        let int = |k: usize| -> Result<u64, String> {
            let v = field(k)?;
            v.parse()
                .map_err(|_| format!("`{}`: not an integer: {v:?}", names[k]))
        };
        let happened = |k: usize| opt(self.fixed[k], names[k]).map(|v| v.is_some());
        let outcome = {
            let v = field(4)?;
            Outcome::parse(v).ok_or_else(|| format!("`outcome`: unknown outcome {v:?}"))?
        };
        let values = Metric::summarised()
            .zip(&self.figures)
            .map(|(m, at)| {
                let Some(i) = *at else { return Ok(None) };
                let v = opt(i, m.name())?;
                match (v, m.sample()) {
                    (None, Some(Sample::Every)) => Err(format!("`{}`: empty", m.name())),
                    (v, _) => Ok(v),
                }
            })
            .collect::<Result<_, String>>()?;
        Ok(RunRow {
            run_id: int(0)?,
            replicate: int(3)?,
            outcome,
            change_started: happened(5)?,
            change_ended: happened(6)?,
            fault_active: happened(7)?,
            impact_started: happened(8)?,
            detected: happened(9)?,
            mitigated: happened(10)?,
            recovered: happened(11)?,
            limit_hit: !field(12)?.is_empty(),
            values,
        })
    }
}
