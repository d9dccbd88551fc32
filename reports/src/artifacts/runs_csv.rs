//! `runs.csv`: one row per run, in run-id order. It is the sweep's primary record:
//! every summary is computed from its text, never from in-memory figures, so a sweep,
//! a resumed sweep and a merge of shards all summarise the same bytes.
//!
//! Not a plain `#[derive]` table, for two reasons. Its columns depend on the sweep:
//! one per grid key (named by the key, `policy.bake_seconds`) between the identity
//! columns and the figures, and the figures are the vocabulary's (`Metric::ALL`, the
//! counterfactual ones only in a sweep made with `--counterfactual`: `Figures`), so
//! no struct names them. And it is streamed: the sweep appends one encoded line per
//! run (`RunsRecord::line`) as runs finish, and the summaries read it back one record
//! at a time (`Columns::parse` into the `RunRow` they need), so memory never grows with
//! the number of runs. `RunsRecord` is the typed row all of that goes through;
//! `RunsCsv` is the whole table for `to_bytes`/`from_bytes`.
//!
//! A sweep of scenarios with uncertain parameters ends each row with one column per
//! parameter (`param.` and its key, `param.candidate.memory.leak_mb_per_second`), in
//! key order over every scenario of the sweep, holding the value drawn for the run
//! (empty for a scenario without that parameter) in full (Rust's shortest
//! round-trip form), so that the value in `runs.csv` is the one `run.json` records.
//! A sweep without uncertain parameters has none of these columns.

use csv::StringRecord;

use super::ArtifactError;
use super::manifest::Manifest;
use crate::format::{num, secs};
use crate::metrics::{Outcome, RunMetrics};
use crate::vocab::{Figures, Metric, Sample, Unit};

pub const FILE_NAME: &str = "runs.csv";
/// Where rows stream while a sweep runs; renamed to `runs.csv` once complete.
pub const PARTIAL_FILE_NAME: &str = "runs.csv.partial";

/// The identity columns before the grid keys, and after them.
const LEAD: [&str; 3] = ["run_id", "scenario", "policy"];
const TRAIL: [&str; 2] = ["seed", "replicate"];
/// The prefix of an uncertain parameter's column.
pub const PARAM_PREFIX: &str = "param.";

/// The columns after the identity columns (`run_id`, `scenario`, `policy`, one per
/// grid key, `seed`, `replicate`): the outcome and detector, every figure of the
/// vocabulary in its order (those of `figs`), and `limit_hit`.
pub fn figure_columns(figs: Figures) -> impl Iterator<Item = &'static str> {
    ["outcome", "detector"]
        .into_iter()
        .chain(figs.all().map(|m| m.name()))
        .chain(["limit_hit"])
}

/// The header row for a sweep whose grid has `grid_keys` (as given, e.g.
/// `policy.bake_seconds`) and whose runs carry `figs`.
pub fn header(grid_keys: &[String], figs: Figures) -> Vec<String> {
    header_with(grid_keys, figs, &[])
}

/// The header row with a column for each uncertain parameter (`param_keys`, sorted,
/// without the prefix) after the figures.
pub fn header_with(grid_keys: &[String], figs: Figures, param_keys: &[String]) -> Vec<String> {
    let mut h: Vec<String> = LEAD.map(String::from).to_vec();
    h.extend(grid_keys.iter().cloned());
    h.extend(TRAIL.map(String::from));
    h.extend(figure_columns(figs).map(String::from));
    h.extend(param_keys.iter().map(|k| format!("{PARAM_PREFIX}{k}")));
    h
}

/// The header of a sweep's `runs.csv`: its grid keys and its uncertain parameters.
pub fn sweep_header(m: &Manifest) -> Vec<String> {
    header_with(&m.grid_keys(), m.figures(), &m.param_keys())
}

/// A drawn value's cell: the shortest text that reads back to the same number.
fn param_cell(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
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

/// A figure's cell: integers exactly, seconds to the millisecond, everything else to
/// six decimals, empty when it did not happen (as `Metric::cell` writes it).
fn figure_cell(m: Metric, v: Option<f64>) -> String {
    match (m.unit(), v) {
        (Unit::Count, Some(n)) => (n as u64).to_string(),
        (Unit::CountChange, Some(n)) => (n as i64).to_string(),
        (Unit::Seconds, v) => secs(v),
        (_, v) => num(v),
    }
}

fn parse_figure(m: Metric, s: &str) -> Result<Option<f64>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || format!("`{}`: not a number: {s:?}", m.name());
    if m.unit() == Unit::Count {
        return s.parse::<u64>().map(|n| Some(n as f64)).map_err(|_| bad());
    }
    if m.unit() == Unit::CountChange {
        return s.parse::<i64>().map(|n| Some(n as f64)).map_err(|_| bad());
    }
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(Some(x)),
        _ => Err(bad()),
    }
}

/// One row, every column typed: the run's identity, its outcome and detector, every
/// figure it carries (`figs.all()` order; `None`: did not happen) and the bound that
/// cut it short, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct RunsRecord {
    pub run_id: u64,
    pub scenario: String,
    pub policy: String,
    /// In grid-key order.
    pub grid_values: Vec<String>,
    pub seed: u64,
    pub replicate: u64,
    pub outcome: Outcome,
    pub detector: Option<String>,
    /// Which figures the row has.
    pub figs: Figures,
    pub figures: Vec<Option<f64>>,
    pub limit_hit: Option<String>,
    /// The values drawn for the sweep's uncertain parameters, in `param_keys` order
    /// (`None`: this run's scenario does not have that parameter); empty in a sweep
    /// without any.
    pub params: Vec<Option<f64>>,
}

impl RunsRecord {
    pub fn new(id: &RunIdentity<'_>, m: &RunMetrics) -> RunsRecord {
        RunsRecord {
            run_id: id.run_id,
            scenario: id.scenario.to_string(),
            policy: id.policy.to_string(),
            grid_values: id.grid_values.to_vec(),
            seed: id.seed,
            replicate: id.replicate,
            outcome: m.outcome,
            detector: m.detector.clone(),
            figs: Figures::of(m),
            figures: Figures::of(m).all().map(|f| f.value(m)).collect(),
            limit_hit: m.limit_hit.clone(),
            params: Vec::new(),
        }
    }

    /// This record with the values `drawn` (sorted `(key, value)`, as a scenario's
    /// draw gives them) laid out in the sweep's `param_keys` order.
    pub fn with_params(mut self, param_keys: &[String], drawn: &[(String, f64)]) -> RunsRecord {
        self.params = param_keys
            .iter()
            .map(|k| drawn.iter().find(|(d, _)| d == k).map(|(_, v)| *v))
            .collect();
        self
    }

    /// The fields, in header order.
    pub fn fields(&self) -> Vec<String> {
        let mut r = vec![
            self.run_id.to_string(),
            self.scenario.clone(),
            self.policy.clone(),
        ];
        r.extend(self.grid_values.iter().cloned());
        r.extend([self.seed.to_string(), self.replicate.to_string()]);
        r.push(self.outcome.name().to_string());
        r.push(self.detector.clone().unwrap_or_default());
        r.extend(
            self.figs
                .all()
                .zip(&self.figures)
                .map(|(m, &v)| figure_cell(m, v)),
        );
        r.push(self.limit_hit.clone().unwrap_or_default());
        r.extend(self.params.iter().map(|&v| param_cell(v)));
        r
    }

    /// A figure's value in this run (`None`: not observed).
    pub fn value(&self, m: Metric) -> Option<f64> {
        let k = self.figs.all().position(|x| x == m)?;
        self.figures.get(k).copied().flatten()
    }

    /// The row as one CSV line, newline included: what the sweep appends.
    pub fn line(&self) -> Vec<u8> {
        line(self.fields())
    }

    /// Reads a record of a table with `grid` grid keys, the figures `figs` and `params`
    /// uncertain parameters (already checked against the header); the error names the
    /// column and the bad value.
    pub fn parse(
        rec: &StringRecord,
        grid: usize,
        figs: Figures,
        params: usize,
    ) -> Result<RunsRecord, String> {
        let figures_end = LEAD.len() + grid + TRAIL.len() + figure_columns(figs).count();
        let width = figures_end + params;
        if rec.len() != width {
            return Err(format!("{} fields, the header has {width}", rec.len()));
        }
        let at = |i: usize| rec.get(i).unwrap_or("");
        let int = |i: usize, name: &str| -> Result<u64, String> {
            at(i)
                .parse()
                .map_err(|_| format!("`{name}`: not an integer: {:?}", at(i)))
        };
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let after_grid = LEAD.len() + grid;
        let first_figure = after_grid + TRAIL.len() + 2;
        let outcome = Outcome::parse(at(after_grid + 2))
            .ok_or_else(|| format!("`outcome`: unknown outcome {:?}", at(after_grid + 2)))?;
        let figures = figs
            .all()
            .enumerate()
            .map(|(k, m)| parse_figure(m, at(first_figure + k)))
            .collect::<Result<_, _>>()?;
        let params = (figures_end..width)
            .map(|i| parse_param(at(i)))
            .collect::<Result<_, _>>()?;
        Ok(RunsRecord {
            run_id: int(0, "run_id")?,
            scenario: at(1).to_string(),
            policy: at(2).to_string(),
            grid_values: (LEAD.len()..after_grid)
                .map(|i| at(i).to_string())
                .collect(),
            seed: int(after_grid, "seed")?,
            replicate: int(after_grid + 1, "replicate")?,
            outcome,
            detector: opt(at(after_grid + 3)),
            figs,
            figures,
            limit_hit: opt(at(figures_end - 1)),
            params,
        })
    }
}

/// A drawn value's cell: empty, or a finite number.
fn parse_param(s: &str) -> Result<Option<f64>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(Some(x)),
        _ => Err(format!(
            "an uncertain parameter's cell is not a number: {s:?}"
        )),
    }
}

/// The fields of one row, in header order.
pub fn row(id: &RunIdentity<'_>, m: &RunMetrics) -> Vec<String> {
    RunsRecord::new(id, m).fields()
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

/// The grid keys (the columns between the identity columns and `seed`), the figures
/// and the uncertain parameters' keys (prefix removed) of a `runs.csv` header, if it is
/// one, with every other column where it belongs.
pub fn layout_of(found: &StringRecord) -> Result<(Vec<String>, Figures, Vec<String>), String> {
    let all: Vec<&str> = found.iter().collect();
    let params_from = all
        .iter()
        .rposition(|c| !c.starts_with(PARAM_PREFIX))
        .map_or(0, |i| i + 1);
    let params: Vec<String> = all[params_from..]
        .iter()
        .map(|c| c[PARAM_PREFIX.len()..].to_string())
        .collect();
    let cols = &all[..params_from];
    for figs in [Figures::BASE, Figures::EVERY] {
        let tail: Vec<&str> = TRAIL.into_iter().chain(figure_columns(figs)).collect();
        if cols.len() >= LEAD.len() + tail.len()
            && cols[..LEAD.len()] == LEAD
            && cols[cols.len() - tail.len()..] == tail[..]
        {
            let keys = cols[LEAD.len()..cols.len() - tail.len()]
                .iter()
                .map(|s| s.to_string())
                .collect();
            return Ok((keys, figs, params));
        }
    }
    Err("the header is not runs.csv's columns".into())
}

/// The whole table: for reading a finished `runs.csv` back at once (tests, tools).
/// The sweep itself streams it (see the module's comment).
#[derive(Clone, Debug, PartialEq)]
pub struct RunsCsv {
    pub grid_keys: Vec<String>,
    pub figs: Figures,
    /// The uncertain parameters' keys, without the `param.` prefix.
    pub param_keys: Vec<String>,
    pub rows: Vec<RunsRecord>,
}

impl RunsCsv {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = line(header_with(&self.grid_keys, self.figs, &self.param_keys));
        for r in &self.rows {
            out.extend(r.line());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<RunsCsv, ArtifactError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let found = reader.headers().map_err(|e| super::csv_error(&e))?.clone();
        let (grid_keys, figs, param_keys) =
            layout_of(&found).map_err(|e| ArtifactError::at_line(1, e))?;
        let mut rows = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(|e| super::csv_error(&e))?;
            let line = rec.position().map_or(0, |p| p.line());
            let row = RunsRecord::parse(&rec, grid_keys.len(), figs, param_keys.len())
                .map_err(|e| ArtifactError::at_line(line, e))?;
            rows.push(row);
        }
        Ok(RunsCsv {
            grid_keys,
            figs,
            param_keys,
            rows,
        })
    }
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
    /// Every summarised figure, in `Figures::EVERY.summarised()` order (`None`: not
    /// observed, or not in this sweep).
    pub values: Vec<Option<f64>>,
    /// The values drawn for this run's uncertain parameters, `(key, value)` sorted by
    /// key (the key without the `param.` prefix): what a sensitivity analysis ranks.
    /// Empty for a scenario with none. What `sweep::sensitivity` correlates with the
    /// figures.
    pub params: Vec<(String, f64)>,
}

impl RunRow {
    /// A summarised figure's value in this run; `None` if it was not observed or is
    /// not summarised.
    pub fn value(&self, m: Metric) -> Option<f64> {
        Figures::EVERY
            .summarised()
            .position(|s| s == m)
            .and_then(|i| self.values.get(i).copied().flatten())
    }

    /// The `values` of a row, figure by figure.
    pub fn values_by(f: impl FnMut(Metric) -> Option<f64>) -> Vec<Option<f64>> {
        Figures::EVERY.summarised().map(f).collect()
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
/// outcome, the moments, `limit_hit`, then every summarised figure every sweep has
/// (a `check` suite runs no twins, so its baseline keeps no counterfactual figure).
pub fn needed() -> Vec<&'static str> {
    let mut v = vec!["run_id", "scenario", "policy", "replicate", "outcome"];
    v.extend(MOMENTS.iter().map(|m| m.name()));
    v.push("limit_hit");
    v.extend(Metric::summarised().map(Metric::name));
    v
}

/// Where each needed column sits, found by name in the header. A summarised figure
/// sampled from some runs only may be missing (a baseline written before the figure
/// existed), and so may the counterfactual ones (a sweep without `--counterfactual`):
/// it reads as observed in no run.
#[derive(Clone, Debug)]
pub struct Columns {
    /// Identity, outcome, moments and `limit_hit`, in `needed()` order.
    fixed: [usize; 13],
    /// One per summarised figure of `Figures::EVERY`.
    figures: Vec<Option<usize>>,
    /// The uncertain parameters' columns: key (prefix removed) and index, in key order.
    params: Vec<(String, usize)>,
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
        let figures = Figures::EVERY
            .summarised()
            .map(|m| match (find(m.name()), m.sample()) {
                (None, Some(Sample::Every)) if !m.is_counterfactual() => {
                    Err(format!("no `{}` column", m.name()))
                }
                (i, _) => Ok(i),
            })
            .collect::<Result<_, _>>()?;
        let params = header
            .iter()
            .enumerate()
            .filter_map(|(i, h)| Some((h.strip_prefix(PARAM_PREFIX)?.to_string(), i)))
            .collect();
        Ok(Columns {
            fixed,
            figures,
            params,
        })
    }

    /// The needed columns the header has, by name and index, in `needed()` order (the
    /// counterfactual figures, after the base ones in `figures`, are not `needed()`).
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
        let values = Figures::EVERY
            .summarised()
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
        let mut params = Vec::new();
        for (key, i) in &self.params {
            if let Some(x) = parse_param(cell(*i, key)?)? {
                params.push((key.clone(), x));
            }
        }
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
            params,
        })
    }
}

/// Reads a complete, unsharded `runs.csv` row by row from any reader (the runner
/// passes the file), checking that row `j` is run `j` of the manifest's plan. Memory
/// stays one record, whatever the number of runs.
pub struct SweepRows<R: std::io::Read> {
    reader: csv::Reader<R>,
    columns: Columns,
    record: StringRecord,
    next_id: u64,
}

impl<R: std::io::Read> SweepRows<R> {
    /// Checks the header is this sweep's.
    pub fn new(input: R, m: &Manifest) -> Result<SweepRows<R>, ArtifactError> {
        let mut reader = csv::Reader::from_reader(input);
        let found = reader.headers().map_err(|e| super::csv_error(&e))?.clone();
        if found.iter().ne(sweep_header(m).iter().map(String::as_str)) {
            return Err(ArtifactError::at_line(
                1,
                "the header does not match this sweep's columns",
            ));
        }
        let columns = Columns::from_header(&found).map_err(|e| ArtifactError::at_line(1, e))?;
        Ok(SweepRows {
            reader,
            columns,
            record: StringRecord::new(),
            next_id: 0,
        })
    }

    /// The next row, which must exist and be the next run of the plan.
    pub fn next_row(&mut self, m: &Manifest) -> Result<RunRow, ArtifactError> {
        let line = self.next_id + 2;
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => {
                return Err(ArtifactError::file(format!(
                    "ends after {} runs; the sweep has {}",
                    self.next_id, m.runs
                )));
            }
            Err(e) => return Err(super::csv_error(&e)),
        }
        let row = self
            .columns
            .parse(&self.record)
            .map_err(|e| ArtifactError::at_line(line, e))?;
        let (scenario, policy) = self.columns.identity(&self.record);
        let (s, v, k) = m.locate(self.next_id);
        if row.run_id != self.next_id
            || scenario != m.scenarios[s].name
            || policy != m.policies[v].name
            || row.replicate != k
        {
            return Err(ArtifactError::at_line(
                line,
                format!(
                    "expected run {} ({} under {}, replicate {k}), found run {} ({scenario} under {policy}, replicate {})",
                    self.next_id,
                    m.scenarios[s].name,
                    m.policies[v].name,
                    row.run_id,
                    row.replicate
                ),
            ));
        }
        self.next_id += 1;
        Ok(row)
    }

    /// Nothing after the last run.
    pub fn expect_end(&mut self) -> Result<(), ArtifactError> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(()),
            _ => Err(ArtifactError::file(format!(
                "more rows than the sweep's {} runs",
                self.next_id
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(run_id: u64, params: Vec<Option<f64>>) -> RunsRecord {
        RunsRecord {
            run_id,
            scenario: "s".into(),
            policy: "p".into(),
            grid_values: vec!["30".into()],
            seed: 7,
            replicate: run_id,
            outcome: Outcome::Succeeded,
            detector: None,
            figs: Figures::BASE,
            figures: vec![Some(1.0); Figures::BASE.all().count()],
            limit_hit: None,
            params,
        }
    }

    /// The uncertain parameters' columns come last, read back exactly (the shortest
    /// round-trip text), empty where a run's scenario lacks the parameter; the summaries'
    /// rows carry them as sorted `(key, value)` pairs.
    #[test]
    fn param_columns_round_trip_after_every_other_column() {
        let keys = vec!["a.x".to_string(), "b.y".to_string()];
        let drawn = [("a.x".to_string(), 0.1 + 0.2), ("b.y".to_string(), 3.0)];
        let table = RunsCsv {
            grid_keys: vec!["policy.bake_seconds".into()],
            figs: Figures::BASE,
            param_keys: keys.clone(),
            rows: vec![
                record(0, vec![]).with_params(&keys, &drawn),
                record(1, vec![]).with_params(&keys, &drawn[1..]),
            ],
        };
        let bytes = table.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let header = text.lines().next().unwrap();
        assert!(
            header.ends_with(",limit_hit,param.a.x,param.b.y"),
            "{header}"
        );
        assert!(
            text.lines()
                .nth(1)
                .unwrap()
                .ends_with(",0.30000000000000004,3")
        );
        assert!(text.lines().nth(2).unwrap().ends_with(",,3"));
        let back = RunsCsv::from_bytes(&bytes).unwrap();
        assert_eq!(back, table);
        assert_eq!(back.rows[0].params, [Some(0.30000000000000004), Some(3.0)]);

        let mut reader = csv::Reader::from_reader(&bytes[..]);
        let columns = Columns::from_header(reader.headers().unwrap()).unwrap();
        let rows: Vec<RunRow> = reader
            .records()
            .map(|r| columns.parse(&r.unwrap()).unwrap())
            .collect();
        assert_eq!(
            rows[0].params,
            [
                ("a.x".to_string(), 0.30000000000000004),
                ("b.y".to_string(), 3.0)
            ]
        );
        assert_eq!(rows[1].params, [("b.y".to_string(), 3.0)]);

        // Without parameters the table is today's: no extra column.
        let mut row = record(0, vec![]);
        row.grid_values.clear();
        let plain = RunsCsv {
            grid_keys: vec![],
            figs: Figures::BASE,
            param_keys: vec![],
            rows: vec![row],
        };
        let bytes = plain.to_bytes();
        assert!(
            String::from_utf8_lossy(&bytes)
                .lines()
                .next()
                .unwrap()
                .ends_with(",limit_hit")
        );
        assert_eq!(RunsCsv::from_bytes(&bytes).unwrap(), plain);
        // A cell that is not a number names the problem.
        let bad = text.replace(",0.30000000000000004,", ",lots,");
        let e = RunsCsv::from_bytes(bad.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("not a number: \"lots\""), "{e}");
    }
}
