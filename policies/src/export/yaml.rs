//! A small deterministic YAML writer: block style, keys in the order given, so the
//! output is byte-stable; and every scalar written so that any YAML 1.1 or 1.2 reader
//! reads back the same value.
//!
//! Why so careful: the Kubernetes tool chain reads YAML through parsers of both
//! generations. YAML 1.1 readers (PyYAML, and Go's `yaml.v2` behind much of kubectl's
//! history) resolve plain `yes`, `Off`, `NULL`, `0o17`, `017`, `1_000`, `1:20` or
//! `2001-12-14` to booleans, nulls, numbers and timestamps; YAML 1.2 readers resolve a
//! different set. A gate named `Off` must not reach a controller as `false`. So a string
//! is written plain only when it cannot be anything else in either version (see
//! [`is_plain_safe`]); every other string is double-quoted with escapes for whatever is
//! not printable. Non-finite floats are written `.inf`, `-.inf` and `.nan`, the forms
//! both versions read; exports refuse them anyway ([`first_non_finite`]) since
//! Kubernetes stores objects as JSON, which has neither.

use std::fmt::Write as _;

/// A YAML value whose maps keep their key order.
#[derive(Clone, Debug, PartialEq)]
pub enum Y {
    Map(Vec<(String, Y)>),
    Seq(Vec<Y>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Y {
    pub fn map(pairs: Vec<(&str, Y)>) -> Y {
        Y::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    pub fn str(s: impl Into<String>) -> Y {
        Y::Str(s.into())
    }

    pub fn int(i: impl Into<i64>) -> Y {
        Y::Int(i.into())
    }
}

/// Words that a YAML 1.1 or 1.2 reader resolves to a boolean or null when plain. YAML
/// 1.1 lists only some capitalisations (`yes`, `Yes`, `YES`); any case is quoted here,
/// which costs nothing and covers lenient readers.
const RESERVED: [&str; 9] = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"];

/// Whether `s` may be written as a plain scalar: it starts with an ASCII letter, holds
/// only ASCII letters, digits and `-_./`, and is none of the [`RESERVED`] words.
///
/// That is deliberately narrower than YAML's own rules. Starting with a letter rules out
/// every number form of both versions (decimal, `0x`/`0o`/`0b`, octal `017`,
/// sexagesimal `1:20`, `1_000`, `.inf`/`.nan`, signs), timestamps, `~`, the merge key
/// `<<` and every indicator character (`-?:,[]{}#&*!|>'"%@` and the backtick); the
/// short alphabet rules out `: ` and ` #` inside, spaces at either end, line breaks and
/// control characters. What remains starting with a letter and resolving to something
/// else is exactly the boolean and null words.
pub fn is_plain_safe(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !RESERVED.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// Whether YAML (1.2's `c-printable`, which 1.1 also requires) lets `c` appear raw in a
/// double-quoted scalar without it being read as something else. Line breaks of either
/// version (YAML 1.1 also breaks lines at NEL, U+2028 and U+2029) are escaped too, since
/// a raw break inside quotes is folded into a space. The byte-order mark is escaped as
/// well: some readers strip it wherever it appears.
fn raw_in_quotes(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '"' | '\\' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// `s` as a double-quoted YAML scalar. The escapes used (`\"`, `\\`, `\t`, `\n`, `\r` and
/// `\uXXXX`) mean the same in YAML 1.1, YAML 1.2 and JSON; every character that needs
/// one is in the Basic Multilingual Plane.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if raw_in_quotes(c) => out.push(c),
            c => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// A string scalar: plain when that is unambiguous, else quoted.
pub fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// A float that reads back as the same `f64` in YAML 1.1 and 1.2. Rust's `Display`
/// gives the shortest digits that round-trip, never an exponent, so adding `.0` to a
/// whole number is enough: YAML 1.1 floats need the dot (`1e5` is a string there).
fn float(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        }
    } else {
        let t = f.to_string();
        if t.contains('.') { t } else { format!("{t}.0") }
    }
}

fn inline(v: &Y) -> Option<String> {
    Some(match v {
        Y::Str(s) => scalar(s),
        Y::Int(i) => i.to_string(),
        Y::Float(f) => float(*f),
        Y::Bool(b) => b.to_string(),
        Y::Map(m) if m.is_empty() => "{}".into(),
        Y::Seq(s) if s.is_empty() => "[]".into(),
        _ => return None,
    })
}

/// An implicit key may be at most 1024 characters long (YAML 1.2, 7.4.2; libyaml
/// enforces it); a longer one is written as an explicit `? key` entry.
const IMPLICIT_KEY_MAX: usize = 1000;

fn write(out: &mut String, v: &Y, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Y::Map(pairs) => {
            for (k, x) in pairs {
                let key = scalar(k);
                let (lead, colon) = if key.chars().count() > IMPLICIT_KEY_MAX {
                    (format!("{pad}? {key}\n"), format!("{pad}:"))
                } else {
                    (String::new(), format!("{pad}{key}:"))
                };
                out.push_str(&lead);
                match inline(x) {
                    Some(s) => out.push_str(&format!("{colon} {s}\n")),
                    None => {
                        out.push_str(&format!("{colon}\n"));
                        let child = if matches!(x, Y::Seq(_)) {
                            indent
                        } else {
                            indent + 2
                        };
                        write(out, x, child);
                    }
                }
            }
        }
        Y::Seq(items) => {
            for x in items {
                match inline(x) {
                    Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                    None => {
                        let mut inner = String::new();
                        write(&mut inner, x, indent + 2);
                        // The first line of the item goes after the dash.
                        let rest = inner.trim_start_matches(' ');
                        out.push_str(&format!("{pad}- {rest}"));
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&inline(other).expect("scalars are inline"));
            out.push('\n');
        }
    }
}

/// One YAML document (without the `---` separator).
pub fn to_string(v: &Y) -> String {
    // A document that is one scalar or an empty collection is that one line (block
    // style would write an empty map or sequence as nothing, which reads as null).
    if let Some(s) = inline(v) {
        return format!("{s}\n");
    }
    let mut out = String::new();
    write(&mut out, v, 0);
    out
}

/// `text` as YAML comment lines, `# ` before each. A line break of either YAML version
/// ends a comment, so each starts a new comment line; other characters YAML does not
/// allow in a stream are written as `\u{..}`, so no text can escape its comment.
pub fn comment(text: &str) -> String {
    let mut out = String::from("# ");
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => out.push_str("\n# "),
            '\t' => out.push(c),
            c if raw_in_quotes(c) || c == '"' || c == '\\' => out.push(c),
            c => out.push_str(&c.escape_unicode().to_string()),
        }
    }
    out.push('\n');
    out
}

/// Where `v` holds a NaN or infinite float, as a path (`spec.analysis.metrics[0]...`),
/// with the value; `None` when every float is finite.
pub fn first_non_finite(v: &Y) -> Option<(String, f64)> {
    match v {
        Y::Float(f) if !f.is_finite() => Some((String::new(), *f)),
        Y::Map(pairs) => pairs.iter().find_map(|(k, x)| {
            first_non_finite(x).map(|(p, f)| {
                let sep = if p.is_empty() || p.starts_with('[') {
                    ""
                } else {
                    "."
                };
                (format!("{k}{sep}{p}"), f)
            })
        }),
        Y::Seq(items) => items.iter().enumerate().find_map(|(i, x)| {
            first_non_finite(x).map(|(p, f)| {
                let sep = if p.is_empty() || p.starts_with('[') {
                    ""
                } else {
                    "."
                };
                (format!("[{i}]{sep}{p}"), f)
            })
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_norway::Value;

    #[test]
    fn block_style_with_quoting() {
        let doc = Y::map(vec![
            ("kind", Y::str("Rollout")),
            ("surge", Y::str("25%")),
            ("on", Y::Bool(true)),
            ("n", Y::int(3)),
            ("x", Y::Float(1.0)),
            ("q", Y::str("sum(rate(x{a=\"b\"}[1m]))")),
            ("empty", Y::Map(vec![])),
            (
                "steps",
                Y::Seq(vec![
                    Y::map(vec![("setWeight", Y::int(10))]),
                    Y::map(vec![
                        ("pause", Y::map(vec![("duration", Y::str("60s"))])),
                        ("b", Y::int(1)),
                    ]),
                    Y::str("plain"),
                ]),
            ),
        ]);
        assert_eq!(
            to_string(&doc),
            "kind: Rollout\nsurge: \"25%\"\n\"on\": true\n\"n\": 3\nx: 1.0\n\
             q: \"sum(rate(x{a=\\\"b\\\"}[1m]))\"\nempty: {}\nsteps:\n- setWeight: 10\n\
             - pause:\n    duration: \"60s\"\n  b: 1\n- plain\n"
        );
    }

    /// Every YAML 1.1 form that resolves to something other than a string when plain
    /// (the 1.1 type repository: bool, null, int, float, timestamp, merge, value), and the
    /// 1.2 core schema's: most Rust parsers are 1.2, so the 1.1 forms are pinned here by
    /// table rather than by a round trip.
    const SPECIAL: &[&str] = &[
        // bool (1.1: y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "yEs",
        "oFF",
        // null
        "~",
        "null",
        "Null",
        "NULL",
        "",
        "nULL",
        // int: binary, octal (1.1 `0` prefix and 1.2 `0o`), decimal, hex, sexagesimal, underscores
        "0b1010",
        "0b1_0",
        "-0b1",
        "017",
        "0o17",
        "+0o7",
        "0",
        "-0",
        "+12",
        "12",
        "1_000",
        "0x1F",
        "0xA_0",
        "-0x1",
        "190:20:30",
        "1:20",
        "-1:20",
        // float: decimal, exponents, sexagesimal, infinities and NaN in every case
        "1.0",
        "-1.5",
        "+.5",
        ".5",
        "1.",
        "6.8523015e+5",
        "685.230_15e+03",
        "1e5",
        "1E-5",
        "190:20:30.15",
        ".inf",
        ".Inf",
        ".INF",
        "-.inf",
        "+.inf",
        "-.Inf",
        ".nan",
        ".NaN",
        ".NAN",
        // timestamps
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "2001-12-15T02:59:43.1Z",
        // merge and value keys
        "<<",
        "=",
    ];

    /// Strings whose plain form would not even parse as one string: indicators first,
    /// `: ` and ` #` inside, surrounding spaces, breaks and control characters.
    const STRUCTURAL: &[&str] = &[
        "-",
        "- a",
        "-a",
        "?",
        "? a",
        ":",
        ":a",
        "a:",
        "a: b",
        ",",
        "a,b",
        "[",
        "]",
        "[a]",
        "{",
        "}",
        "{a: 1}",
        "#",
        "#a",
        "a #b",
        "a#b",
        "&a",
        "*a",
        "!a",
        "!!str",
        "|",
        ">",
        "'a'",
        "\"a\"",
        "%a",
        "@a",
        "`a",
        " a",
        "a ",
        " ",
        "a\nb",
        "a\rb",
        "a\tb",
        "\u{0}",
        "\u{7}",
        "\u{1b}[0m",
        "\u{7f}",
        "\u{85}",
        "\u{a0}",
        "a\u{2028}b",
        "a\u{2029}b",
        "\u{feff}a",
        "\u{fffe}",
        "\u{10ffff}",
        "é",
        "日本",
        "a\\b",
        "---",
        "...",
        "a b",
    ];

    #[test]
    fn every_yaml_1_1_and_1_2_special_form_is_quoted() {
        for s in SPECIAL.iter().chain(STRUCTURAL) {
            let w = scalar(s);
            assert!(w.starts_with('"') && w.ends_with('"'), "{s:?} written {w}");
            assert_eq!(
                read_back(&Y::str(*s)),
                Value::String(s.to_string()),
                "{s:?}"
            );
        }
        // And the words rollcage's exports use stay plain, so the goldens do not move.
        for s in [
            "Rollout",
            "argoproj.io/v1alpha1",
            "apps/v1",
            "checkout",
            "checkout-analysis-1",
            "canary",
            "stable",
            "kubernetes",
            "topology.kubernetes.io/zone",
            "Off-peak",
            "yes2",
            "nope",
            "ony",
            "null_ratio",
            "inf",
            "nan",
            "x1_000",
        ] {
            assert_eq!(scalar(s), s, "{s}");
        }
        // A gate named "Off" stays a string.
        let d = Y::map(vec![("name", Y::str("Off")), ("b", Y::str("NULL"))]);
        assert_eq!(to_string(&d), "name: \"Off\"\nb: \"NULL\"\n");
        // Control characters use escapes every YAML reader (and JSON) knows.
        assert_eq!(
            scalar("a\u{7}\u{2028}\u{1f600}"),
            "\"a\\u0007\\u2028\u{1f600}\""
        );
        assert_eq!(scalar("\u{fffe}\u{10ffff}"), "\"\\ufffe\u{10ffff}\"");
    }

    #[test]
    fn non_finite_floats_use_the_yaml_forms() {
        assert_eq!(float(f64::INFINITY), ".inf");
        assert_eq!(float(f64::NEG_INFINITY), "-.inf");
        assert_eq!(float(f64::NAN), ".nan");
        assert_eq!(float(-0.0), "-0.0");
        assert_eq!(float(1e21), "1000000000000000000000.0");
        assert_eq!(float(2.5e-7), "0.00000025");
        for f in [f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(read_back(&Y::Float(f)).as_f64(), Some(f));
        }
        assert!(read_back(&Y::Float(f64::NAN)).as_f64().unwrap().is_nan());
        let d = Y::map(vec![(
            "spec",
            Y::map(vec![(
                "metrics",
                Y::Seq(vec![
                    Y::map(vec![("max", Y::Float(1.0))]),
                    Y::map(vec![("max", Y::Float(f64::NEG_INFINITY))]),
                ]),
            )]),
        )]);
        assert_eq!(
            first_non_finite(&d),
            Some(("spec.metrics[1].max".into(), f64::NEG_INFINITY))
        );
        assert_eq!(first_non_finite(&Y::Float(0.5)), None);
    }

    #[test]
    fn comments_cannot_be_escaped() {
        assert_eq!(comment("plain note"), "# plain note\n");
        assert_eq!(comment("a\nb: 1"), "# a\n# b: 1\n");
        assert_eq!(comment("a\r\nb\u{2028}c"), "# a\n# b\n# c\n");
        assert_eq!(comment("bell\u{7}"), "# bell\\u{7}\n");
        let text = format!("{}{}", comment("x\nkind: Secret\u{85}y"), "a: 1\n");
        assert_eq!(
            serde_norway::from_str::<Value>(&text).unwrap(),
            serde_norway::from_str::<Value>("a: 1").unwrap()
        );
    }

    #[test]
    fn long_keys_are_explicit() {
        let k = "k".repeat(1500);
        let d = Y::Map(vec![
            (k.clone(), Y::Int(1)),
            (k.clone() + "2", Y::Seq(vec![Y::Int(2)])),
        ]);
        let text = to_string(&d);
        assert!(text.starts_with(&format!("? {k}\n: 1\n")), "{text}");
        assert_eq!(read_back(&d), expected(&d));
    }

    fn read_back(v: &Y) -> Value {
        let text = to_string(v);
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
    }

    /// What `v` is, as the parser's value.
    fn expected(v: &Y) -> Value {
        match v {
            Y::Str(s) => Value::String(s.clone()),
            Y::Int(i) => Value::Number((*i).into()),
            Y::Float(f) => Value::Number((*f).into()),
            Y::Bool(b) => Value::Bool(*b),
            Y::Seq(items) => Value::Sequence(items.iter().map(expected).collect()),
            Y::Map(pairs) => Value::Mapping(
                pairs
                    .iter()
                    .map(|(k, x)| (Value::String(k.clone()), expected(x)))
                    .collect(),
            ),
        }
    }

    /// Equal as values, floats by their bits (so -0.0 and NaN are compared exactly).
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
                match (x.as_f64(), y.as_f64()) {
                    (Some(p), Some(q)) => p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()),
                    _ => false,
                }
            }
            (Value::Sequence(x), Value::Sequence(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
            }
            (Value::Mapping(x), Value::Mapping(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2))
            }
            _ => a == b,
        }
    }

    /// Strings biased toward what YAML readers misread: the special forms above, their
    /// pieces glued together, indicator and space characters, and any character at all.
    fn dangerous_string() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            3 => proptest::sample::select(SPECIAL).prop_map(str::to_string),
            3 => proptest::sample::select(STRUCTURAL).prop_map(str::to_string),
            2 => "[a-zA-Z][a-zA-Z0-9._/-]{0,8}",
            2 => "[-+]?[0-9_]{1,4}([.:][0-9_]{0,3})?([eE][-+]?[0-9]{1,3})?",
            2 => proptest::collection::vec(
                proptest::sample::select(&[
                    ' ', ':', '#', '-', '?', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>',
                    '\'', '"', '%', '@', '`', '\\', '\n', '\r', '\t', '.', '~', '<', '=',
                ][..]),
                1..4
            )
            .prop_map(|v| v.into_iter().collect::<String>()),
            1 => any::<char>().prop_map(String::from),
        ];
        proptest::collection::vec(piece, 0..4).prop_map(|v| v.concat())
    }

    fn number() -> impl Strategy<Value = Y> {
        prop_oneof![
            any::<i64>().prop_map(Y::Int),
            any::<f64>().prop_map(Y::Float),
            proptest::sample::select(
                &[
                    0.0,
                    -0.0,
                    1.0,
                    0.1,
                    1e300,
                    1e-300,
                    5e-324,
                    f64::MAX,
                    f64::MIN_POSITIVE,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NAN,
                ][..]
            )
            .prop_map(Y::Float),
            any::<bool>().prop_map(Y::Bool),
        ]
    }

    fn doc() -> impl Strategy<Value = Y> {
        let leaf = prop_oneof![3 => dangerous_string().prop_map(Y::Str), 1 => number()];
        leaf.prop_recursive(3, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Y::Seq),
                proptest::collection::btree_map(dangerous_string(), inner, 0..5)
                    .prop_map(|m| Y::Map(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever is written reads back, through libyaml (serde_norway), as the same
        /// strings, numbers, booleans and structure.
        #[test]
        fn everything_written_reads_back_the_same(d in doc()) {
            let back = read_back(&d);
            let want = expected(&d);
            prop_assert!(same(&back, &want), "wrote:\n{}\nread {:?}\nwant {:?}", to_string(&d), back, want);
        }

        /// A lone string, the case the documents are made of.
        #[test]
        fn strings_read_back_as_the_same_string(s in dangerous_string()) {
            let d = Y::map(vec![("k", Y::Str(s.clone()))]);
            let back = read_back(&d);
            prop_assert_eq!(back.get("k"), Some(&Value::String(s)));
        }
    }
}
