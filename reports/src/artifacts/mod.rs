//! Every file rollcage writes or reads back, one type per format, each the only code
//! that knows its layout: the reader of a file is its writer's type.
//!
//! A format has its file name (`FILE_NAME`), the `schema_version` it carries or falls
//! under (JSON documents carry [`SCHEMA_VERSION`](crate::SCHEMA_VERSION); the CSV
//! layouts of a sweep are versioned by its `manifest.json`), and pure `to_bytes` /
//! `from_bytes`. Nothing here touches the file system: the runner reads and writes the
//! bytes (atomically, under its directory lock) and puts the file's path in front of an
//! [`ArtifactError`], which says where in the file (line, column, field) and why.
//!
//! Round trip: `to_bytes(from_bytes(b)) == b` for every file rollcage wrote, since
//! numbers are written with fixed decimals and read back as the value those decimals
//! name. Run and sweep directories made by the real binary are checked that way in
//! `tests/artifacts.rs`.

pub mod baseline;
pub mod events_csv;
pub mod exceedance_csv;
pub mod junit;
pub mod manifest;
pub mod metrics_om;
pub mod paired_csv;
pub mod pareto_csv;
pub mod power_csv;
pub mod power_json;
pub mod power_runs_csv;
pub mod run_json;
pub mod runs_csv;
pub mod sensitivity_csv;
pub mod summary_csv;
pub mod summary_json;
pub mod timeline_csv;
pub mod tune_csv;
pub mod tune_json;
pub mod tune_manifest;

use std::fmt;

use serde::de::value::{Error as DeError, MapDeserializer};
use serde::de::{DeserializeOwned, Error as _, IntoDeserializer, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// Why a file does not read back: where (line, column, the key or column name) and
/// the reason. The caller puts the file's path in front.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactError {
    /// 1-based; `None` for a problem of the whole file.
    pub line: Option<u64>,
    /// 1-based: the character in a JSON line, the field of a CSV record.
    pub column: Option<u64>,
    /// The JSON path (`inputs.seed`) or CSV column name (`time_s`) of the bad value.
    pub field: Option<String>,
    pub reason: String,
}

impl ArtifactError {
    /// A problem of the whole file.
    pub fn file(reason: impl Into<String>) -> ArtifactError {
        ArtifactError {
            line: None,
            column: None,
            field: None,
            reason: reason.into(),
        }
    }

    /// A problem on one line.
    pub fn at_line(line: u64, reason: impl Into<String>) -> ArtifactError {
        ArtifactError {
            line: Some(line),
            ..ArtifactError::file(reason)
        }
    }
}

impl fmt::Display for ArtifactError {
    /// `line 3, column 12: `error_ratio`: not a number: "zero"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: ")?,
            (Some(l), None) => write!(f, "line {l}: ")?,
            _ => {}
        }
        if let Some(field) = &self.field {
            write!(f, "`{field}`: ")?;
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ArtifactError {}

// ---- JSON documents -------------------------------------------------------------

/// Pretty-printed, keys in declaration order (maps sorted), ending in a newline.
pub(crate) fn json_to_bytes<T: Serialize>(doc: &T) -> Vec<u8> {
    let mut b = serde_json::to_vec_pretty(doc).expect("artifacts serialize");
    b.push(b'\n');
    b
}

/// A serde_json error as an `ArtifactError`: its line and column, the path of the
/// value being read (`None` at the root) and its message without the position.
fn json_error(e: &serde_json::Error, path: Option<String>) -> ArtifactError {
    let msg = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = msg.strip_suffix(&suffix).unwrap_or(&msg).to_string();
    let reason = match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("not valid JSON: {msg}")
        }
        _ => msg,
    };
    ArtifactError {
        line: (e.line() > 0).then_some(e.line() as u64),
        column: (e.column() > 0).then_some(e.column() as u64),
        field: path,
        reason,
    }
}

/// Reads a JSON document, naming the path of the first bad value.
pub(crate) fn json_from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ArtifactError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let doc: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        // A syntax error has no value to name; the root is named by no path.
        let path = e.path().to_string();
        let value = e.inner().classify() == serde_json::error::Category::Data;
        let path = (value && path != "." && !path.is_empty()).then_some(path);
        json_error(e.inner(), path)
    })?;
    de.end().map_err(|e| json_error(&e, None))?;
    Ok(doc)
}

/// Checks a JSON document's `schema_version` before it is read as a type, so that a
/// file of another version is refused as such rather than for its first unknown key.
/// `hint` follows the refusal (what to do about it), if any.
pub(crate) fn check_schema_version(
    bytes: &[u8],
    expected: u32,
    hint: &str,
) -> Result<(), ArtifactError> {
    #[derive(Deserialize)]
    struct Versioned {
        schema_version: Option<serde_json::Value>,
    }
    let v: Versioned = json_from_bytes(bytes)?;
    match v.schema_version {
        None => Err(ArtifactError::file("no `schema_version`")),
        Some(n) if n.as_u64() == Some(u64::from(expected)) => Ok(()),
        Some(n) => Err(ArtifactError::file(format!(
            "schema_version {n}; this build reads schema_version {expected}{hint}"
        ))),
    }
}

// ---- CSV tables -----------------------------------------------------------------

/// The header a row type writes: its field names in order, from serializing one row
/// (so the columns are declared once, by the type, and a table with no rows still
/// has its header).
pub(crate) fn csv_header<R: Serialize + Default>() -> Vec<String> {
    header_of(&R::default())
}

/// The header `row` writes: a type with columns that only some files have (skipped
/// when `None`) takes its header from its first row.
fn header_of<R: Serialize>(row: &R) -> Vec<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(row).expect("in-memory write");
    let bytes = w.into_inner().expect("in-memory flush");
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    r.headers()
        .expect("a header was written")
        .iter()
        .map(String::from)
        .collect()
}

/// A table of rows of one type, its header first even when it has no rows.
pub(crate) fn csv_to_bytes<'a, R: Serialize + Default + 'a>(
    rows: impl IntoIterator<Item = &'a R>,
) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let mut rows = rows.into_iter().peekable();
    let header = rows.peek().map_or_else(csv_header::<R>, |r| header_of(*r));
    w.write_record(header).expect("in-memory write");
    for r in rows {
        w.serialize(r).expect("in-memory write");
    }
    w.into_inner().expect("in-memory flush")
}

/// One CSV cell as a serde `Deserializer`: numbers and booleans are parsed from the
/// text, an empty cell is `None` for an `Option`, anything else is read as a string.
/// A record is read as a map of (column name, cell), so that serde_path_to_error names
/// the column of a bad value (csv's own deserializer hands its keys over as bytes,
/// which it cannot name).
struct CsvCell<'a>(&'a str);

macro_rules! parse_cell {
    ($($method:ident $visit:ident $t:ty, $what:literal;)*) => {
        $(fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            match self.0.parse::<$t>() {
                Ok(x) => v.$visit(x),
                Err(_) => Err(DeError::custom(format!(concat!("not ", $what, ": {:?}"), self.0))),
            }
        })*
    };
}

impl<'de> Deserializer<'de> for CsvCell<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_str(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        if self.0.is_empty() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0.parse::<f64>() {
            Ok(x) if x.is_finite() => v.visit_f64(x),
            _ => Err(DeError::custom(format!("not a number: {:?}", self.0))),
        }
    }

    parse_cell! {
        deserialize_u8 visit_u8 u8, "a whole number";
        deserialize_u16 visit_u16 u16, "a whole number";
        deserialize_u32 visit_u32 u32, "a whole number";
        deserialize_u64 visit_u64 u64, "a whole number";
        deserialize_i64 visit_i64 i64, "an integer";
        deserialize_bool visit_bool bool, "true or false";
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u128 f32 char str string bytes byte_buf unit unit_struct
        newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, 'a> IntoDeserializer<'de, DeError> for CsvCell<'a> {
    type Deserializer = CsvCell<'a>;

    fn into_deserializer(self) -> CsvCell<'a> {
        self
    }
}

/// Reads one record into `R` by column name; the error names the column (if the
/// problem is one value's) and the reason.
fn read_record<R: DeserializeOwned>(
    header: &csv::StringRecord,
    rec: &csv::StringRecord,
) -> Result<R, (String, String)> {
    let map = MapDeserializer::<_, DeError>::new(header.iter().zip(rec.iter().map(CsvCell)));
    serde_path_to_error::deserialize(map).map_err(|e| (e.path().to_string(), e.inner().to_string()))
}

/// The error of a record at `line` whose `column` (a name in `header`) is bad.
fn csv_field_error(
    header: &csv::StringRecord,
    line: u64,
    column: &str,
    reason: String,
) -> ArtifactError {
    let index = header.iter().position(|h| h == column);
    ArtifactError {
        line: Some(line),
        column: index.map(|i| i as u64 + 1),
        field: index.map(|_| column.to_string()),
        reason,
    }
}

/// The error of a value in `column` at `line` of the table in `bytes` that read but
/// broke a rule of its format (a check after `csv_from_bytes`), with the column's
/// place in the file's own header.
pub(crate) fn csv_value_error(
    bytes: &[u8],
    line: u64,
    column: &str,
    reason: String,
) -> ArtifactError {
    match csv::Reader::from_reader(bytes).headers() {
        Ok(header) => csv_field_error(&header.clone(), line, column, reason),
        Err(_) => ArtifactError {
            field: Some(column.to_string()),
            ..ArtifactError::at_line(line, reason)
        },
    }
}

/// A csv error (a record that is not CSV, or of the wrong width) as an
/// `ArtifactError` on its line.
pub(crate) fn csv_error(e: &csv::Error) -> ArtifactError {
    let line = e.position().map(|p| p.line());
    let reason = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { err, .. } => format!("not UTF-8: {err}"),
        _ => e.to_string(),
    };
    ArtifactError {
        line,
        column: None,
        field: None,
        reason,
    }
}

/// Reads a table of `R` rows by column name: every column `R` declares must be in the
/// header (a missing one is named), extra columns are ignored. Each row comes with its
/// line number. An error names the line, the column and the reason.
pub(crate) fn csv_from_bytes<R: DeserializeOwned + Serialize + Default>(
    bytes: &[u8],
) -> Result<Vec<(u64, R)>, ArtifactError> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader.headers().map_err(|e| csv_error(&e))?.clone();
    if header.is_empty() {
        return Err(ArtifactError::file("empty: no header"));
    }
    for name in csv_header::<R>() {
        if !header.iter().any(|h| h == name) {
            return Err(ArtifactError::at_line(1, format!("no `{name}` column")));
        }
    }
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| csv_error(&e))?;
        let line = rec.position().map_or(0, |p| p.line());
        match read_record::<R>(&header, &rec) {
            Ok(r) => out.push((line, r)),
            Err((column, reason)) => return Err(csv_field_error(&header, line, &column, reason)),
        }
    }
    Ok(out)
}

/// Cells: how numbers are written (fixed decimals, so files are byte-stable) and read
/// back (finite numbers only; an empty cell is `None`).
pub(crate) mod cell {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::format::{num, secs};

    fn parse<E: serde::de::Error>(s: &str) -> Result<Option<f64>, E> {
        if s.is_empty() {
            return Ok(None);
        }
        match s.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(E::custom(format!("not a number: {s:?}"))),
        }
    }

    /// An optional number: empty, or finite.
    pub fn de_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        parse(&String::deserialize(d)?)
    }

    /// A number that must be there.
    pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        de_opt(d)?.ok_or_else(|| D::Error::custom("empty, expected a number"))
    }

    /// Six decimals (`format::num`).
    pub fn num6<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&num(Some(*v)))
    }

    /// Six decimals, empty for `None`.
    pub fn opt_num6<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&num(*v))
    }

    /// Three decimals (`format::secs`, `format::ms`).
    pub fn num3<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&secs(Some(*v)))
    }

    /// Three decimals, empty for `None`.
    pub fn opt_num3<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&secs(*v))
    }

    /// `0` or `1`.
    pub fn bit<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *v { "1" } else { "0" })
    }

    pub fn de_bit<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match String::deserialize(d)?.as_str() {
            "0" => Ok(false),
            "1" => Ok(true),
            s => Err(D::Error::custom(format!("expected 0 or 1, found {s:?}"))),
        }
    }
}
