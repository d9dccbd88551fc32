//! JUnit XML of `rollcage check --junit FILE`, as CI systems read it: `testsuites` >
//! `testsuite` > `testcase` > `failure`. The file name is the user's.
//!
//! Written by hand rather than through an XML serializer, so that its bytes are fixed
//! (attribute order, indentation, escapes); read back with `roxmltree`. The counts
//! (`tests`, `failures`) are not stored: they are the cases', and a file whose counts
//! disagree with its cases is refused.

use std::fmt::Write as _;

use super::ArtifactError;

/// The whole document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JUnit {
    /// `rollcage check SUITE`.
    pub name: String,
    pub suites: Vec<TestSuite>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TestSuite {
    pub name: String,
    pub cases: Vec<TestCase>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TestCase {
    pub classname: String,
    pub name: String,
    pub failure: Option<Failure>,
}

/// Why a case failed: its `type` (`assertion`, `regression`) and message, written both
/// as the `message` attribute and as the element's text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Failure {
    pub kind: String,
    pub message: String,
}

impl TestSuite {
    pub fn failures(&self) -> usize {
        self.cases.iter().filter(|c| c.failure.is_some()).count()
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Not allowed in XML 1.0 at all: dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

impl JUnit {
    pub fn tests(&self) -> usize {
        self.suites.iter().map(|s| s.cases.len()).sum()
    }

    pub fn failures(&self) -> usize {
        self.suites.iter().map(TestSuite::failures).sum()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            s,
            "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\">",
            xml_escape(&self.name),
            self.tests(),
            self.failures()
        );
        for suite in &self.suites {
            let _ = writeln!(
                s,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
                xml_escape(&suite.name),
                suite.cases.len(),
                suite.failures()
            );
            for c in &suite.cases {
                let _ = write!(
                    s,
                    "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
                    xml_escape(&c.classname),
                    xml_escape(&c.name)
                );
                match &c.failure {
                    None => {
                        let _ = writeln!(s, "/>");
                    }
                    Some(f) => {
                        let _ = writeln!(
                            s,
                            ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                            xml_escape(&f.kind),
                            xml_escape(&f.message),
                            xml_escape(&f.message)
                        );
                    }
                }
            }
            let _ = writeln!(s, "  </testsuite>");
        }
        let _ = writeln!(s, "</testsuites>");
        s.into_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<JUnit, ArtifactError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| ArtifactError::file(format!("not UTF-8: {e}")))?;
        let doc = roxmltree::Document::parse(text).map_err(|e| {
            let p = e.pos();
            ArtifactError {
                line: Some(u64::from(p.row)),
                column: Some(u64::from(p.col)),
                field: None,
                reason: format!("not valid XML: {e}"),
            }
        })?;
        let at = |node: roxmltree::Node<'_, '_>, field: &str, reason: String| {
            let p = doc.text_pos_at(node.range().start);
            ArtifactError {
                line: Some(u64::from(p.row)),
                column: Some(u64::from(p.col)),
                field: Some(field.to_string()),
                reason,
            }
        };
        let attr = |node: roxmltree::Node<'_, '_>, name: &str| -> Result<String, ArtifactError> {
            node.attribute(name).map(String::from).ok_or_else(|| {
                at(
                    node,
                    name,
                    format!("<{}> has no `{name}`", node.tag_name().name()),
                )
            })
        };
        let count = |node: roxmltree::Node<'_, '_>, name: &str, expected: usize| {
            let v = attr(node, name)?;
            if v.parse::<usize>() != Ok(expected) {
                return Err(at(
                    node,
                    name,
                    format!("{v:?}, but the element holds {expected}"),
                ));
            }
            Ok(())
        };
        let root = doc.root_element();
        if !root.has_tag_name("testsuites") {
            return Err(at(
                root,
                "testsuites",
                "the root is not <testsuites>".into(),
            ));
        }
        let mut junit = JUnit {
            name: attr(root, "name")?,
            suites: Vec::new(),
        };
        for s in elements(root, "testsuite", &at)? {
            let mut suite = TestSuite {
                name: attr(s, "name")?,
                cases: Vec::new(),
            };
            for c in elements(s, "testcase", &at)? {
                let failure = match elements(c, "failure", &at)?.as_slice() {
                    [] => None,
                    [f] => Some(Failure {
                        kind: attr(*f, "type")?,
                        message: attr(*f, "message")?,
                    }),
                    [_, f, ..] => return Err(at(*f, "failure", "a second <failure>".into())),
                };
                suite.cases.push(TestCase {
                    classname: attr(c, "classname")?,
                    name: attr(c, "name")?,
                    failure,
                });
            }
            count(s, "tests", suite.cases.len())?;
            count(s, "failures", suite.failures())?;
            junit.suites.push(suite);
        }
        count(root, "tests", junit.tests())?;
        count(root, "failures", junit.failures())?;
        Ok(junit)
    }
}

/// The element children of `node`, which must all be `<tag>`.
fn elements<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    tag: &'static str,
    at: &impl Fn(roxmltree::Node<'a, 'i>, &str, String) -> ArtifactError,
) -> Result<Vec<roxmltree::Node<'a, 'i>>, ArtifactError> {
    node.children()
        .filter(|n| n.is_element())
        .map(|n| {
            if n.has_tag_name(tag) {
                Ok(n)
            } else {
                Err(at(
                    n,
                    tag,
                    format!("expected <{tag}>, found <{}>", n.tag_name().name()),
                ))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> JUnit {
        JUnit {
            name: "rollcage check s<1>".into(),
            suites: vec![TestSuite {
                name: "assertions".into(),
                cases: vec![
                    TestCase {
                        classname: "rollcage.check.a".into(),
                        name: "a / p: ttd.p95 <= 1m".into(),
                        failure: Some(Failure {
                            kind: "assertion".into(),
                            message: "measured 2 min > 1 min & \"more\"".into(),
                        }),
                    },
                    TestCase {
                        classname: "rollcage.check.a".into(),
                        name: "a / p: detection_rate >= 0.9".into(),
                        failure: None,
                    },
                ],
            }],
        }
    }

    #[test]
    fn junit_reads_back_as_written() {
        let bytes = doc().to_bytes();
        assert_eq!(JUnit::from_bytes(&bytes).unwrap(), doc());
        assert_eq!(JUnit::from_bytes(&bytes).unwrap().to_bytes(), bytes);
    }

    #[test]
    fn bad_junit_names_where() {
        let text = String::from_utf8(doc().to_bytes()).unwrap();
        let e = JUnit::from_bytes(text.replacen("tests=\"2\"", "tests=\"3\"", 1).as_bytes())
            .unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(2), Some("tests")),
            "{e}"
        );
        let e = JUnit::from_bytes(text.replace("</testsuites>", "").as_bytes()).unwrap_err();
        assert!(e.reason.starts_with("not valid XML"), "{e}");
        assert!(e.line.is_some(), "{e}");
    }
}
