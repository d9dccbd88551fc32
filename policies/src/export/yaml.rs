//! A small deterministic YAML writer: block style, keys in the order given, strings
//! quoted unless they are plain words, so the output is byte-stable and reads back the
//! same in any YAML parser.

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

/// Words YAML 1.1 or 1.2 would read as something else than a string.
const RESERVED: [&str; 12] = [
    "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", "True", "False",
];

fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !RESERVED.contains(&s);
    if plain {
        s.to_string()
    } else {
        // A YAML double-quoted scalar accepts JSON's escapes.
        serde_json::to_string(s).expect("a string serializes")
    }
}

fn inline(v: &Y) -> Option<String> {
    Some(match v {
        Y::Str(s) => scalar(s),
        Y::Int(i) => i.to_string(),
        Y::Float(f) => {
            let t = f.to_string();
            if t.contains('.') || t.contains('e') || t == "inf" || t == "NaN" {
                t
            } else {
                format!("{t}.0")
            }
        }
        Y::Bool(b) => b.to_string(),
        Y::Map(m) if m.is_empty() => "{}".into(),
        Y::Seq(s) if s.is_empty() => "[]".into(),
        _ => return None,
    })
}

fn write(out: &mut String, v: &Y, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Y::Map(pairs) => {
            for (k, x) in pairs {
                match inline(x) {
                    Some(s) => out.push_str(&format!("{pad}{}: {s}\n", scalar(k))),
                    None => {
                        out.push_str(&format!("{pad}{}:\n", scalar(k)));
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
    let mut out = String::new();
    write(&mut out, v, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
