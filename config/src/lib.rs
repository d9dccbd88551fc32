//! Reading rollcage's TOML files so that a user sees every problem at once.
//!
//! Serde stops at the first bad field; an SRE fixing a scenario file wants the whole
//! list. So files are parsed into a `toml::Table`, `--set` overrides are applied to it,
//! and typed values are pulled out through `Section`s that record each problem (file,
//! key, reason) and keep going with the default. When a `Section` is dropped, every key
//! it was not asked for is reported as unknown, with the nearest known key suggested.

#![forbid(unsafe_code)]

pub mod uncertain;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::ops::RangeInclusive;

pub use toml::{Table, Value};

/// One thing wrong with an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file, or `--set` for an override.
    pub origin: String,
    /// Dotted path, e.g. `fleet.replicas` or `gates[1].threshold`.
    pub key: String,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.origin, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.origin, self.key, self.reason)
        }
    }
}

/// All the problems found in one or more inputs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

impl Problems {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A parsed document and where it came from.
pub struct Doc {
    origin: String,
    table: Table,
    /// Keys set by `--set`, reported as such.
    overridden: BTreeSet<String>,
    problems: RefCell<Vec<Problem>>,
    /// Keys read as whole numbers, so that a drawn value put there is put as one
    /// (`uncertain`): which keys are integers is the reader's knowledge, not the file's.
    integer_keys: RefCell<BTreeSet<String>>,
}

impl Doc {
    /// Parses TOML text, or JSON text (an object: what `rollcage export --to json`
    /// writes, with the same keys as the TOML form); a syntax error is returned as a
    /// problem with its line.
    pub fn parse(origin: &str, text: &str) -> Result<Doc, Problems> {
        if text.trim_start().starts_with('{') {
            return Doc::parse_json(origin, text);
        }
        match text.parse::<Table>() {
            Ok(table) => Ok(Doc::from_table(origin, table)),
            Err(e) => Err(Problems(vec![Problem {
                origin: origin.to_string(),
                key: String::new(),
                reason: format!("not valid TOML: {}", e.to_string().trim()),
            }])),
        }
    }

    fn parse_json(origin: &str, text: &str) -> Result<Doc, Problems> {
        let problem = |key: String, reason: String| {
            Problems(vec![Problem {
                origin: origin.to_string(),
                key,
                reason,
            }])
        };
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| problem(String::new(), format!("not valid JSON: {e}")))?;
        match json_to_toml(&value, "") {
            Ok(Value::Table(t)) => Ok(Doc::from_table(origin, t)),
            Ok(_) => Err(problem(String::new(), "expected a JSON object".into())),
            Err((key, reason)) => Err(problem(key, reason)),
        }
    }

    pub fn from_table(origin: &str, table: Table) -> Doc {
        Doc {
            origin: origin.to_string(),
            table,
            overridden: BTreeSet::new(),
            problems: RefCell::new(Vec::new()),
            integer_keys: RefCell::new(BTreeSet::new()),
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Applies `key=value` with `key` relative to this document (its `scenario.` or
    /// `policy.` prefix already removed). The value is read as TOML (`10`, `0.5`,
    /// `true`, `"x"`, `[1, 2]`) and falls back to a plain string (`25%`, `2m`).
    ///
    /// A segment may pick an element of an array by its index, as problems name it:
    /// `gates[0].threshold`, `steps[2].set_weight`, `steps[1].analysis.count`. The
    /// element must exist (an override changes a gate or a step, it does not invent
    /// one), so an index past the end is refused naming how many there are.
    pub fn set(&mut self, key: &str, raw: &str) -> Result<(), Problem> {
        let problem = |reason: String| Problem {
            origin: "--set".to_string(),
            key: key.to_string(),
            reason,
        };
        let parts: Vec<&str> = key.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(problem("empty key segment".to_string()));
        }
        let segments = parts
            .iter()
            .map(|p| segment(p))
            .collect::<Result<Vec<_>, String>>()
            .map_err(problem)?;
        let value = parse_value(raw);
        let mut table = &mut self.table;
        for (i, (name, index)) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            let shown = || parts[..=i].join(".");
            let Some(index) = index else {
                if last {
                    table.insert(name.to_string(), value);
                    break;
                }
                let entry = table
                    .entry(name.to_string())
                    .or_insert_with(|| Value::Table(Table::new()));
                table = match entry {
                    Value::Table(t) => t,
                    _ => {
                        return Err(problem(format!("`{}` is a value, not a table", shown())));
                    }
                };
                continue;
            };
            let items = match table.get_mut(*name) {
                Some(Value::Array(items)) => items,
                Some(_) => {
                    return Err(problem(format!(
                        "`{name}` is not an array, so `{}` picks nothing",
                        shown()
                    )));
                }
                None => {
                    return Err(problem(format!(
                        "there is no `{name}` array, so `{}` picks nothing",
                        shown()
                    )));
                }
            };
            let len = items.len();
            let Some(item) = items.get_mut(*index) else {
                return Err(problem(format!(
                    "`{name}` has {len} entr{}, so `{}` is past its end{}",
                    if len == 1 { "y" } else { "ies" },
                    shown(),
                    match len {
                        0 => String::new(),
                        1 => format!(" (`{name}[0]` is the only one)"),
                        n => format!(" (`{name}[0]` to `{name}[{}]`)", n - 1),
                    }
                )));
            };
            if last {
                *item = value;
                break;
            }
            table = match item {
                Value::Table(t) => t,
                _ => {
                    return Err(problem(format!("`{}` is a value, not a table", shown())));
                }
            };
        }
        self.overridden.insert(key.to_string());
        Ok(())
    }

    /// The top-level section.
    pub fn root(&self) -> Section<'_> {
        Section::new(self, &self.table, String::new())
    }

    /// Records a problem at `key`.
    pub fn problem(&self, key: &str, reason: impl Into<String>) {
        let origin = if self
            .overridden
            .iter()
            .any(|k| k == key || key.starts_with(&format!("{k}.")))
        {
            "--set".to_string()
        } else {
            self.origin.clone()
        };
        self.problems.borrow_mut().push(Problem {
            origin,
            key: key.to_string(),
            reason: reason.into(),
        });
    }

    /// Everything found so far; call after all sections are dropped.
    pub fn into_result(self) -> Result<(), Problems> {
        let p = self.problems.into_inner();
        if p.is_empty() {
            Ok(())
        } else {
            Err(Problems(p))
        }
    }

    /// The problems recorded so far (sections still alive may add more on drop).
    pub fn problems(&self) -> Vec<Problem> {
        self.problems.borrow().clone()
    }

    pub fn has_problems(&self) -> bool {
        !self.problems.borrow().is_empty()
    }

    /// The keys read so far as whole numbers (`u32_in`, `u64_in`, ...), by full path.
    pub fn integer_keys(&self) -> BTreeSet<String> {
        self.integer_keys.borrow().clone()
    }
}

/// JSON to TOML: whole numbers become integers, others floats; `null` has no TOML form.
fn json_to_toml(v: &serde_json::Value, path: &str) -> Result<Value, (String, String)> {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    Ok(match v {
        serde_json::Value::Null => {
            return Err((
                path.to_string(),
                "null has no meaning here; leave the key out".into(),
            ));
        }
        serde_json::Value::Bool(b) => Value::Boolean(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| json_to_toml(x, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        serde_json::Value::Object(map) => {
            let mut t = Table::new();
            for (k, x) in map {
                t.insert(k.clone(), json_to_toml(x, &join(k))?);
            }
            Value::Table(t)
        }
    })
}

/// One segment of an override's key: `name`, or `name[index]` picking an array's
/// element.
fn segment(part: &str) -> Result<(&str, Option<usize>), String> {
    let Some(open) = part.find('[') else {
        if part.contains(']') {
            return Err(format!("`{part}`: a `]` without its `[`"));
        }
        return Ok((part, None));
    };
    let (name, rest) = part.split_at(open);
    let digits = rest
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    match (name.is_empty(), digits) {
        (false, Some(d)) => d
            .parse::<usize>()
            .map(|i| (name, Some(i)))
            .map_err(|_| format!("`{part}`: the index is too large")),
        _ => Err(format!(
            "`{part}`: an index is written NAME[N], N a whole number from 0, e.g. gates[0]"
        )),
    }
}

fn parse_value(raw: &str) -> Value {
    let doc = format!("v = {raw}");
    match doc.parse::<Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(raw.to_string())),
        Err(_) => Value::String(raw.to_string()),
    }
}

/// A table being read. Dropping it reports the keys nobody asked for.
pub struct Section<'a> {
    doc: &'a Doc,
    table: &'a Table,
    path: String,
    known: RefCell<Vec<String>>,
}

impl<'a> Section<'a> {
    fn new(doc: &'a Doc, table: &'a Table, path: String) -> Self {
        Section {
            doc,
            table,
            path,
            known: RefCell::new(Vec::new()),
        }
    }

    pub fn doc(&self) -> &'a Doc {
        self.doc
    }

    /// The full dotted path of a key in this section.
    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn problem(&self, key: &str, reason: impl Into<String>) {
        self.doc.problem(&self.key_path(key), reason);
    }

    /// Marks a key as known and returns its raw value.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.known.borrow_mut().push(key.to_string());
        self.table.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// Marks keys as known without reading them (read elsewhere).
    pub fn allow(&self, keys: &[&str]) {
        self.known
            .borrow_mut()
            .extend(keys.iter().map(|k| k.to_string()));
    }

    fn typed<T>(&self, key: &str, what: &str, f: impl FnOnce(&'a Value) -> Option<T>) -> Option<T> {
        let v = self.raw(key)?;
        let r = f(v);
        if r.is_none() {
            self.problem(key, format!("expected {what}, found {}", describe(v)));
        }
        r
    }

    pub fn opt_f64(&self, key: &str) -> Option<f64> {
        self.typed(key, "a number", |v| match v {
            Value::Float(f) if f.is_finite() => Some(*f),
            Value::Integer(i) => Some(*i as f64),
            _ => None,
        })
    }

    pub fn f64(&self, key: &str, default: f64) -> f64 {
        self.opt_f64(key).unwrap_or(default)
    }

    /// A number that must be at least `min`, with no upper bound: for scenario and
    /// policy values use the bounded readers (`f64_in`, `positive_in`).
    pub fn f64_min(&self, key: &str, default: f64, min: f64) -> f64 {
        let v = self.f64(key, default);
        if v < min {
            self.problem(key, format!("must be at least {min}, found {v}"));
            return default;
        }
        v
    }

    /// A number that must be positive, with no upper bound (see `positive_in`).
    pub fn positive(&self, key: &str, default: f64) -> f64 {
        let v = self.f64(key, default);
        if v <= 0.0 {
            self.problem(key, format!("must be positive, found {v}"));
            return default;
        }
        v
    }

    /// A finite number in `range`, both ends included. Every number a scenario or a
    /// policy holds is read through a bounded reader: a value the engine cannot
    /// represent (an infinite duration, a rate that allocates without end) is refused
    /// here, with its key and its bound, instead of panicking or exhausting memory in
    /// the middle of a run.
    pub fn f64_in(&self, key: &str, default: f64, range: RangeInclusive<f64>) -> f64 {
        self.opt_f64_in(key, range).unwrap_or(default)
    }

    /// An optional number in `range`: `None` when the key is absent or its value was
    /// refused (the refusal is recorded).
    pub fn opt_f64_in(&self, key: &str, range: RangeInclusive<f64>) -> Option<f64> {
        let v = self.opt_f64(key)?;
        self.check_range(key, v, range)
    }

    /// A number above 0 (exclusive) and at most `max`: a positive quantity whose lower
    /// limit is "anything but zero" (a multiplier, a share of a second).
    pub fn positive_in(&self, key: &str, default: f64, max: f64) -> f64 {
        let Some(v) = self.opt_f64(key) else {
            return default;
        };
        if v <= 0.0 {
            self.problem(key, format!("must be positive, found {}", number(v)));
            return default;
        }
        self.check_range(key, v, f64::MIN_POSITIVE..=max)
            .unwrap_or(default)
    }

    fn check_range(&self, key: &str, v: f64, range: RangeInclusive<f64>) -> Option<f64> {
        let (min, max) = (*range.start(), *range.end());
        if v < min {
            let (min, v) = (number(min), number(v));
            self.problem(key, format!("must be at least {min}, found {v}"));
            None
        } else if v > max {
            let (max, v) = (number(max), number(v));
            self.problem(key, format!("must be at most {max}, found {v}"));
            None
        } else {
            Some(v)
        }
    }

    /// A whole number in `range`, both ends included.
    pub fn u32_in(&self, key: &str, default: u32, range: RangeInclusive<u32>) -> u32 {
        let r = *range.start() as u64..=*range.end() as u64;
        self.u64_in(key, default as u64, r) as u32
    }

    /// A whole number in `range`, both ends included.
    pub fn u64_in(&self, key: &str, default: u64, range: RangeInclusive<u64>) -> u64 {
        let Some(i) = self.opt_i64(key) else {
            return default;
        };
        let (min, max) = (*range.start(), *range.end());
        if i < 0 || (i as u64) < min {
            self.problem(
                key,
                format!("must be a whole number of at least {min}, found {i}"),
            );
            default
        } else if i as u64 > max {
            self.problem(key, format!("must be at most {max}, found {i}"));
            default
        } else {
            i as u64
        }
    }

    /// A share in [0, 1], written as a number (`0.25`) or a percentage (`"25%"`).
    pub fn fraction(&self, key: &str, default: f64) -> f64 {
        let Some(v) = self.raw(key) else {
            return default;
        };
        let parsed = match v {
            Value::Float(f) => Some(*f),
            Value::Integer(i) => Some(*i as f64),
            Value::String(s) => s
                .strip_suffix('%')
                .and_then(|n| n.trim().parse::<f64>().ok())
                .map(|p| p / 100.0),
            _ => None,
        };
        match parsed {
            Some(f) if (0.0..=1.0).contains(&f) => f,
            Some(f) => {
                self.problem(
                    key,
                    format!(
                        "must be between 0 and 1 (or 0% and 100%), found {}",
                        number(f)
                    ),
                );
                default
            }
            None => {
                self.problem(
                    key,
                    format!(
                        "expected a share like 0.25 or \"25%\", found {}",
                        describe(v)
                    ),
                );
                default
            }
        }
    }

    pub fn opt_i64(&self, key: &str) -> Option<i64> {
        self.doc
            .integer_keys
            .borrow_mut()
            .insert(self.key_path(key));
        self.typed(key, "an integer", |v| match v {
            Value::Integer(i) => Some(*i),
            _ => None,
        })
    }

    /// Checks `schema_version`: required, and equal to the one version this build
    /// reads, so that a file written for another version is refused rather than
    /// half-understood.
    pub fn schema_version(&self, supported: i64) {
        const KEY: &str = "schema_version";
        match self.opt_i64(KEY) {
            None if !self.has(KEY) => {
                self.problem(KEY, format!("missing; add `{KEY} = {supported}`"))
            }
            Some(v) if v != supported => self.problem(
                KEY,
                format!("version {v} is not supported; this build reads version {supported}"),
            ),
            _ => {}
        }
    }

    /// A whole number in `min..=u32::MAX` (see `u32_in` for a bounded one).
    pub fn u32_min(&self, key: &str, default: u32, min: u32) -> u32 {
        match self.opt_i64(key) {
            None => default,
            Some(i) if i >= min as i64 && i <= u32::MAX as i64 => i as u32,
            Some(i) => {
                self.problem(
                    key,
                    format!("must be a whole number of at least {min}, found {i}"),
                );
                default
            }
        }
    }

    /// A whole number of at least 0 (see `u64_in` for a bounded one).
    pub fn u64(&self, key: &str, default: u64) -> u64 {
        match self.opt_i64(key) {
            None => default,
            Some(i) if i >= 0 => i as u64,
            Some(i) => {
                self.problem(key, format!("must not be negative, found {i}"));
                default
            }
        }
    }

    /// A list of strings, or `None` when the key is absent. A value that is not a list,
    /// and each item that is not a string, is a problem naming its place
    /// (`key` or `key[i]`); the strings found are still returned.
    pub fn opt_strings(&self, key: &str) -> Option<Vec<String>> {
        match self.raw(key)? {
            Value::Array(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        let found = v.as_str().map(str::to_string);
                        if found.is_none() {
                            self.problem(
                                &format!("{key}[{i}]"),
                                format!("expected a string, found {}", describe(v)),
                            );
                        }
                        found
                    })
                    .collect(),
            ),
            v => {
                self.problem(
                    key,
                    format!("expected a list of strings, found {}", describe(v)),
                );
                Some(Vec::new())
            }
        }
    }

    pub fn bool(&self, key: &str, default: bool) -> bool {
        self.typed(key, "true or false", |v| v.as_bool())
            .unwrap_or(default)
    }

    pub fn opt_str(&self, key: &str) -> Option<&'a str> {
        self.typed(key, "a string", |v| v.as_str())
    }

    pub fn str(&self, key: &str, default: &'a str) -> &'a str {
        self.opt_str(key).unwrap_or(default)
    }

    /// A string from a closed set; anything else is a problem naming the choices.
    pub fn choice(&self, key: &str, default: &'a str, choices: &[&str]) -> &'a str {
        let s = self.str(key, default);
        if choices.contains(&s) {
            return s;
        }
        let hint = suggest(s, choices.iter().copied())
            .map(|c| format!(" (did you mean \"{c}\"?)"))
            .unwrap_or_default();
        self.problem(
            key,
            format!(
                "unknown value \"{s}\"{hint}; expected one of: {}",
                choices.join(", ")
            ),
        );
        default
    }

    /// A string key read straight into the caller's type: each of `choices` is named by
    /// `name`, so the value is parsed once, here, and nothing downstream compares
    /// strings or falls back to a default of its own. An unknown value is reported (with
    /// a suggestion, as `choice` does) and reads as `default`, which never reaches a model
    /// because the document then has a problem.
    pub fn choice_of<T: Copy>(
        &self,
        key: &str,
        default: T,
        choices: &[T],
        name: impl Fn(T) -> &'static str,
    ) -> T {
        let names: Vec<&'static str> = choices.iter().map(|&c| name(c)).collect();
        let found = self.choice(key, name(default), &names);
        choices
            .iter()
            .copied()
            .find(|&c| name(c) == found)
            .unwrap_or(default)
    }

    /// A sub-table; an absent one reads as empty, so defaults apply.
    pub fn section(&self, key: &str) -> Section<'a> {
        static EMPTY: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
        let empty = EMPTY.get_or_init(Table::new);
        let table = match self.raw(key) {
            None => empty,
            Some(Value::Table(t)) => t,
            Some(v) => {
                self.problem(key, format!("expected a table, found {}", describe(v)));
                empty
            }
        };
        Section::new(self.doc, table, self.key_path(key))
    }

    /// An array of tables (`[[gates]]` or `gates = [{...}]`).
    pub fn tables(&self, key: &str) -> Vec<Section<'a>> {
        match self.raw(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    let path = format!("{}[{i}]", self.key_path(key));
                    match v {
                        Value::Table(t) => Some(Section::new(self.doc, t, path)),
                        other => {
                            self.doc.problem(
                                &path,
                                format!("expected a table, found {}", describe(other)),
                            );
                            None
                        }
                    }
                })
                .collect(),
            Some(v) => {
                self.problem(
                    key,
                    format!("expected an array of tables, found {}", describe(v)),
                );
                Vec::new()
            }
        }
    }

    fn unknown_keys(&self) {
        let known = self.known.borrow();
        for key in self.table.keys() {
            if known.iter().any(|k| k == key) {
                continue;
            }
            let hint = suggest(key, known.iter().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            self.problem(key, format!("unknown key{hint}"));
        }
    }
}

impl Drop for Section<'_> {
    fn drop(&mut self) {
        self.unknown_keys();
    }
}

/// A short description of a value's type for error messages.
pub fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string \"{s}\""),
        Value::Integer(i) => format!("the integer {i}"),
        Value::Float(f) => format!("the number {}", number(*f)),
        Value::Boolean(b) => format!("{b}"),
        Value::Datetime(_) => "a date".to_string(),
        Value::Array(_) => "an array".to_string(),
        Value::Table(_) => "a table".to_string(),
    }
}

/// A number as a message shows it: plain when it reads well (`3600`, `0.25`), in
/// exponent form when plain digits would run on (`1e308`, `1e-12`), so that a refused
/// value reads as the user wrote it.
pub fn number(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-6..1e15).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// The closest candidate within a small edit distance, for "did you mean": Levenshtein
/// over characters (strsim's), ties broken by the candidate's name so the suggestion
/// does not depend on the order of the candidates.
pub fn suggest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let limit = (word.len() / 3).clamp(1, 3);
    candidates
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, sets: &[(&str, &str)]) -> (u32, f64, Result<(), Problems>) {
        let mut doc = Doc::parse("svc.toml", text).unwrap();
        for (k, v) in sets {
            doc.set(k, v).unwrap();
        }
        let (replicas, share) = {
            let root = doc.root();
            let fleet = root.section("fleet");
            (
                fleet.u32_min("replicas", 20, 1),
                fleet.fraction("share", 0.5),
            )
        };
        (replicas, share, doc.into_result())
    }

    #[test]
    fn reads_values_and_defaults() {
        let (r, s, res) = read("[fleet]\nreplicas = 7\nshare = \"25%\"\n", &[]);
        assert_eq!((r, s), (7, 0.25));
        assert!(res.is_ok());
        let (r, s, _) = read("", &[]);
        assert_eq!((r, s), (20, 0.5));
    }

    #[test]
    fn schema_version_is_required_and_checked() {
        let problems = |text: &str| {
            let doc = Doc::parse("svc.toml", text).unwrap();
            doc.root().schema_version(1);
            match doc.into_result() {
                Ok(()) => Vec::new(),
                Err(Problems(ps)) => ps.into_iter().map(|p| p.to_string()).collect(),
            }
        };
        assert!(problems("schema_version = 1\n").is_empty());
        assert_eq!(
            problems(""),
            ["svc.toml: schema_version: missing; add `schema_version = 1`"]
        );
        assert_eq!(
            problems("schema_version = 2\n"),
            ["svc.toml: schema_version: version 2 is not supported; this build reads version 1"]
        );
        assert_eq!(problems("schema_version = \"1\"\n").len(), 1);
    }

    #[test]
    fn reports_every_problem_with_suggestions() {
        let (_, _, res) = read("[fleet]\nreplicsa = 7\nshare = 3\n[flet]\n", &[]);
        let msg = res.unwrap_err().to_string();
        assert!(
            msg.contains("svc.toml: fleet.replicsa: unknown key (did you mean `replicas`?)"),
            "{msg}"
        );
        assert!(
            msg.contains("svc.toml: fleet.share: must be between 0 and 1"),
            "{msg}"
        );
        assert!(
            msg.contains("svc.toml: flet: unknown key (did you mean `fleet`?)"),
            "{msg}"
        );
    }

    #[test]
    fn string_lists_name_each_bad_item() {
        let read = |text: &str| {
            let doc = Doc::parse("s.toml", text).unwrap();
            let found = doc.root().opt_strings("names");
            let problems = match doc.into_result() {
                Ok(()) => Vec::new(),
                Err(Problems(ps)) => ps.into_iter().map(|p| p.to_string()).collect(),
            };
            (found, problems)
        };
        assert_eq!(read(""), (None, vec![]));
        assert_eq!(read("names = []"), (Some(vec![]), vec![]));
        assert_eq!(
            read("names = [\"a\", 2, \"b\"]"),
            (
                Some(vec!["a".to_string(), "b".to_string()]),
                vec!["s.toml: names[1]: expected a string, found the integer 2".to_string()]
            )
        );
        let (found, problems) = read("names = \"a\"");
        assert_eq!(found, Some(vec![]));
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("s.toml: names: expected a list of strings, found"),
            "{problems:?}"
        );
    }

    #[test]
    fn overrides_apply_and_are_labelled() {
        let (r, _, res) = read("[fleet]\nreplicas = 7\n", &[("fleet.replicas", "10")]);
        assert_eq!(r, 10);
        assert!(res.is_ok());
        let (_, _, res) = read("", &[("fleet.replicas", "0")]);
        let msg = res.unwrap_err().to_string();
        assert!(
            msg.starts_with("--set: fleet.replicas: must be a whole number of at least 1"),
            "{msg}"
        );
        let mut doc = Doc::parse("x", "a = 1").unwrap();
        assert!(doc.set("a.b", "2").is_err());
        assert_eq!(parse_value("0%"), Value::String("0%".into()));
        assert_eq!(parse_value("[1, 2]").as_array().unwrap().len(), 2);
    }

    #[test]
    fn overrides_pick_array_elements_by_index() {
        let text = "[[gates]]\nthreshold = 0.01\n[[gates]]\nthreshold = 1.5\nwindow = 60\n\
                    [[steps]]\nset_weight = 10\n[[steps]]\nanalysis = { count = 3 }\n";
        let mut doc = Doc::parse("p.toml", text).unwrap();
        doc.set("gates[1].window", "120").unwrap();
        doc.set("gates[0].threshold", "0.02").unwrap();
        doc.set("steps[1].analysis.count", "5").unwrap();
        doc.set("steps[0]", "{ set_weight = 20 }").unwrap();
        let t = doc.table();
        let gates = t["gates"].as_array().unwrap();
        assert_eq!(gates[0]["threshold"].as_float(), Some(0.02));
        assert_eq!(gates[1]["window"].as_integer(), Some(120));
        assert_eq!(gates[1]["threshold"].as_float(), Some(1.5), "untouched");
        let steps = t["steps"].as_array().unwrap();
        assert_eq!(steps[1]["analysis"]["count"].as_integer(), Some(5));
        assert_eq!(steps[0]["set_weight"].as_integer(), Some(20));
        // The last element and one past it.
        assert!(doc.set("gates[1].threshold", "2").is_ok());
        let e = doc.set("gates[2].threshold", "2").unwrap_err();
        assert_eq!(
            e.reason,
            "`gates` has 2 entries, so `gates[2]` is past its end (`gates[0]` to `gates[1]`)"
        );
        assert_eq!(e.key, "gates[2].threshold");
        let e = doc.set("rollback[0].max_surge", "1").unwrap_err();
        assert!(e.reason.contains("there is no `rollback` array"), "{e:?}");
        let e = doc.set("gates[0].threshold.x", "1").unwrap_err();
        assert!(
            e.reason.contains("`gates[0].threshold` is a value"),
            "{e:?}"
        );
        let mut one = Doc::parse("p.toml", "[[gates]]\nthreshold = 1\nname = \"a\"\n").unwrap();
        let e = one.set("gates[1].threshold", "1").unwrap_err();
        assert!(e.reason.ends_with("(`gates[0]` is the only one)"), "{e:?}");
        let e = one.set("name[0]", "1").unwrap_err();
        assert!(e.reason.contains("there is no `name` array"), "{e:?}");
        let e = one.set("gates[0].name[0]", "1").unwrap_err();
        assert!(e.reason.contains("`name` is not an array"), "{e:?}");
        for bad in [
            "gates[].x",
            "gates[a].x",
            "[0].x",
            "gates]0[.x",
            "gates[-1].x",
        ] {
            let e = one.set(bad, "1").unwrap_err();
            assert!(
                e.reason.contains("NAME[N]") || e.reason.contains("without"),
                "{bad}: {e:?}"
            );
        }
        // A problem the reader finds at an indexed key is the override's.
        doc.problem("gates[0].threshold", "too high");
        assert_eq!(doc.problems().last().unwrap().origin, "--set");
    }

    #[test]
    fn json_reads_like_toml() {
        let doc = Doc::parse("p.json", r#"{"fleet": {"replicas": 7, "share": "25%"}}"#).unwrap();
        let root = doc.root();
        let fleet = root.section("fleet");
        assert_eq!(fleet.u32_min("replicas", 1, 1), 7);
        assert_eq!(fleet.fraction("share", 0.0), 0.25);
        drop(fleet);
        drop(root);
        assert!(doc.into_result().is_ok());
        let err = Doc::parse("p.json", r#"{"a": {"b": null}}"#).err().unwrap();
        assert_eq!(
            err.to_string(),
            "p.json: a.b: null has no meaning here; leave the key out"
        );
        let err = Doc::parse("p.json", "{ oops").err().unwrap();
        assert!(
            err.to_string().starts_with("p.json: not valid JSON"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_name_the_file() {
        let err = Doc::parse("bad.toml", "a = ").err().unwrap();
        assert!(err.to_string().starts_with("bad.toml: not valid TOML"));
    }

    /// Reads `key` from `[s]` with `read`, returning the value and the problems.
    fn bounded<T>(text: &str, read: impl FnOnce(&Section<'_>) -> T) -> (T, Vec<String>) {
        let doc = Doc::parse("b.toml", text).unwrap();
        let v = {
            let root = doc.root();
            let s = root.section("s");
            read(&s)
        };
        let problems = match doc.into_result() {
            Ok(()) => Vec::new(),
            Err(Problems(ps)) => ps.into_iter().map(|p| p.to_string()).collect(),
        };
        (v, problems)
    }

    #[test]
    fn bounded_numbers_accept_their_bounds_and_refuse_beyond() {
        let read = |text: &str| bounded(text, |s| s.f64_in("x", 30.0, 1.0..=365.0));
        assert_eq!(read("[s]\nx = 365\n"), (365.0, vec![]));
        assert_eq!(read("[s]\nx = 1.0\n"), (1.0, vec![]));
        assert_eq!(read(""), (30.0, vec![]));
        assert_eq!(
            read("[s]\nx = 365.0001\n"),
            (
                30.0,
                vec!["b.toml: s.x: must be at most 365, found 365.0001".to_string()]
            )
        );
        for (x, problem) in [
            ("1e308", "must be at most 365, found 1e308"),
            ("0.999", "must be at least 1, found 0.999"),
            // TOML's inf and nan are numbers nothing can hold: refused as not finite.
            ("inf", "expected a number, found the number inf"),
            ("nan", "expected a number, found the number NaN"),
        ] {
            let problems = read(&format!("[s]\nx = {x}\n")).1;
            assert_eq!(problems, [format!("b.toml: s.x: {problem}")], "{x}");
        }
        let opt = |text: &str| bounded(text, |s| s.opt_f64_in("x", 0.0..=10.0));
        assert_eq!(opt("[s]\nx = 10\n"), (Some(10.0), vec![]));
        assert_eq!(opt("").0, None);
        assert_eq!(opt("[s]\nx = 10.5\n").0, None);
    }

    #[test]
    fn positive_numbers_exclude_zero_and_stop_at_their_bound() {
        let read = |text: &str| bounded(text, |s| s.positive_in("x", 3.0, 100.0));
        assert_eq!(read("[s]\nx = 100\n"), (100.0, vec![]));
        assert_eq!(read("[s]\nx = 1e-300\n"), (1e-300, vec![]));
        assert_eq!(
            read("[s]\nx = 0\n").1,
            ["b.toml: s.x: must be positive, found 0"]
        );
        assert_eq!(
            read("[s]\nx = 1e9\n"),
            (
                3.0,
                vec!["b.toml: s.x: must be at most 100, found 1000000000".to_string()]
            )
        );
    }

    #[test]
    fn bounded_integers_accept_their_bounds_and_refuse_beyond() {
        let read = |text: &str| bounded(text, |s| s.u32_in("n", 20, 1..=10_000));
        assert_eq!(read("[s]\nn = 10000\n"), (10_000, vec![]));
        assert_eq!(read("[s]\nn = 1\n"), (1, vec![]));
        assert_eq!(
            read("[s]\nn = 10001\n"),
            (
                20,
                vec!["b.toml: s.n: must be at most 10000, found 10001".to_string()]
            )
        );
        assert_eq!(
            read("[s]\nn = 0\n").1,
            ["b.toml: s.n: must be a whole number of at least 1, found 0"]
        );
        // Beyond u32: refused, never wrapped.
        assert_eq!(
            read("[s]\nn = 4294967297\n").1,
            ["b.toml: s.n: must be at most 10000, found 4294967297"]
        );
        assert_eq!(
            read("[s]\nn = -1\n").1,
            ["b.toml: s.n: must be a whole number of at least 1, found -1"]
        );
        let big = |text: &str| bounded(text, |s| s.u64_in("n", 5, 0..=10_000_000_000));
        assert_eq!(big("[s]\nn = 10000000000\n"), (10_000_000_000, vec![]));
        assert_eq!(
            big("[s]\nn = 10000000001\n").1,
            ["b.toml: s.n: must be at most 10000000000, found 10000000001"]
        );
    }

    #[test]
    fn numbers_in_messages_read_as_written() {
        assert_eq!(number(1e308), "1e308");
        assert_eq!(number(3600.0), "3600");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(1e-12), "1e-12");
        assert_eq!(number(f64::INFINITY), "inf");
    }

    #[test]
    fn suggestions_are_the_nearest_name_within_a_third_of_the_word() {
        assert_eq!(
            suggest("kitten", ["sitting", "mitten"].into_iter()),
            Some("mitten")
        );
        // Distance is counted in characters, not bytes.
        assert_eq!(suggest("défaut", ["default"].into_iter()), Some("default"));
        // Equally near: the first by name, whatever the order given.
        assert_eq!(suggest("ab", ["ac", "aa"].into_iter()), Some("aa"));
        assert_eq!(suggest("ab", ["aa", "ac"].into_iter()), Some("aa"));
        assert_eq!(
            suggest("replicass", ["replicas", "concurrency"].into_iter()),
            Some("replicas")
        );
        assert_eq!(
            suggest("replcas", ["replicas", "concurrency"].into_iter()),
            Some("replicas")
        );
        assert_eq!(suggest("zzz", ["replicas"].into_iter()), None);
    }
}
