//! A manifest file as documents: multi-document YAML (`---` separated), or one JSON
//! value; either may hold a Kubernetes `List` whose items are documents of their own.
//! Each document keeps where it is in the file (its 1-based index, and its item of a
//! `List`) and what it says it is (`apiVersion`, `kind`, `metadata.name`), so every
//! problem and note can name it: `rollout.yaml: document 2 (Rollout checkout)`.
//!
//! Documents are turned into `serde_json::Value`s, the form Kubernetes itself stores
//! objects in: a YAML mapping key that is not a string, a custom tag (`!Ref`), or a
//! number JSON cannot hold (`.inf`, `.nan`) is refused here with its path, since the
//! API server would refuse it too. The file is bounded before anything is parsed
//! (`MAX_MANIFEST_BYTES`), and so are its documents and their nesting
//! (`MAX_MANIFEST_DOCUMENTS`, `MAX_MANIFEST_DEPTH`).

use config::Problem;
use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::limits::{MAX_MANIFEST_BYTES, MAX_MANIFEST_DEPTH, MAX_MANIFEST_DOCUMENTS};

/// One object of a manifest file.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based position among the file's documents (empty documents count, so the
    /// number is the one a reader finds by counting `---`).
    pub index: usize,
    /// The item of a `List` document this object is.
    pub item: Option<usize>,
    pub api_version: String,
    pub kind: String,
    /// `metadata.name`, when it is a string.
    pub name: Option<String>,
    pub value: Value,
}

impl Document {
    /// Where the document is and what it is: `document 2 (Rollout checkout)`, or
    /// `document 1, items[3] (Deployment web)` for an item of a `List`.
    pub fn label(&self) -> String {
        let place = match self.item {
            Some(i) => format!("document {}, items[{i}]", self.index),
            None => format!("document {}", self.index),
        };
        match &self.name {
            Some(n) => format!("{place} ({} {n})", self.kind),
            None => format!("{place} ({})", self.kind),
        }
    }

    /// The origin problems and notes about this document carry: the file, then the
    /// label (`rollout.yaml: document 2 (Rollout checkout)`).
    pub fn origin(&self) -> String {
        format!("{}: {}", self.file, self.label())
    }
}

/// How a file's text is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Json,
}

impl Syntax {
    /// By the file's name: `.json` is JSON, anything else YAML (JSON is also YAML, but
    /// its own parser names a JSON mistake better).
    pub fn of(file: &str) -> Syntax {
        if file.to_ascii_lowercase().ends_with(".json") {
            Syntax::Json
        } else {
            Syntax::Yaml
        }
    }
}

fn problem(
    origin: impl Into<String>,
    key: impl Into<String>,
    reason: impl Into<String>,
) -> Problem {
    Problem {
        origin: origin.into(),
        key: key.into(),
        reason: reason.into(),
    }
}

/// The file's size against its bound, before anything is parsed.
pub fn check_size(file: &str, len: usize) -> Result<(), Problem> {
    if len > MAX_MANIFEST_BYTES {
        return Err(problem(
            file,
            "",
            format!(
                "{len} bytes is more than the {MAX_MANIFEST_BYTES} a manifest file may hold \
                 (a policy's manifests are a few kilobytes)"
            ),
        ));
    }
    Ok(())
}

/// The file's values, one per document, in file order (`None` for an empty YAML
/// document), each already bounded in depth and in JSON's form.
pub fn values(file: &str, text: &str) -> Result<Vec<Option<Value>>, Vec<Problem>> {
    check_size(file, text.len()).map_err(|p| vec![p])?;
    match Syntax::of(file) {
        Syntax::Json => {
            let v: Value = serde_json::from_str(text)
                .map_err(|e| vec![problem(file, "", format!("not valid JSON: {e}"))])?;
            let origin = format!("{file}: document 1");
            check_depth(&v, 0, "").map_err(|(path, why)| vec![problem(&origin, path, why)])?;
            Ok(vec![Some(v)])
        }
        Syntax::Yaml => {
            let mut out = Vec::new();
            for (i, de) in serde_norway::Deserializer::from_str(text).enumerate() {
                let index = i + 1;
                let origin = format!("{file}: document {index}");
                if index > MAX_MANIFEST_DOCUMENTS {
                    return Err(vec![problem(
                        file,
                        "",
                        format!(
                            "more than {MAX_MANIFEST_DOCUMENTS} documents; a manifest file holds at most that many"
                        ),
                    )]);
                }
                let y = serde_norway::Value::deserialize(de)
                    .map_err(|e| vec![problem(&origin, "", format!("not valid YAML: {e}"))])?;
                if y.is_null() {
                    out.push(None);
                    continue;
                }
                let v = from_yaml(&y, 0, "")
                    .map_err(|(path, why)| vec![problem(&origin, path, why)])?;
                out.push(Some(v));
            }
            Ok(out)
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn too_deep(path: &str) -> (String, String) {
    (
        path.to_string(),
        format!(
            "nested more than {MAX_MANIFEST_DEPTH} levels deep; no Kubernetes object nests that far"
        ),
    )
}

fn check_depth(v: &Value, depth: usize, path: &str) -> Result<(), (String, String)> {
    if depth > MAX_MANIFEST_DEPTH {
        return Err(too_deep(path));
    }
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| check_depth(x, depth + 1, &format!("{path}[{i}]"))),
        Value::Object(m) => m
            .iter()
            .try_for_each(|(k, x)| check_depth(x, depth + 1, &join(path, k))),
        _ => Ok(()),
    }
}

/// A YAML value in JSON's form, as the API server converts it.
fn from_yaml(y: &serde_norway::Value, depth: usize, path: &str) -> Result<Value, (String, String)> {
    use serde_norway::Value as Y;
    if depth > MAX_MANIFEST_DEPTH {
        return Err(too_deep(path));
    }
    Ok(match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Value::Number(Number::from_f64(f).ok_or_else(|| {
                    (
                        path.to_string(),
                        format!("{n} is not a number a Kubernetes object (JSON) can hold"),
                    )
                })?)
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| from_yaml(x, depth + 1, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    other => {
                        return Err((
                            path.to_string(),
                            format!(
                                "a mapping key must be a string (Kubernetes objects are JSON), found {}",
                                describe_yaml(other)
                            ),
                        ));
                    }
                };
                let child = join(path, &key);
                if out.contains_key(&key) {
                    return Err((child, "given twice in the same mapping".into()));
                }
                let v = from_yaml(x, depth + 1, &child)?;
                out.insert(key, v);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            return Err((
                path.to_string(),
                format!(
                    "the tag {} has no meaning in a Kubernetes object; write the plain value",
                    t.tag
                ),
            ));
        }
    })
}

fn describe_yaml(y: &serde_norway::Value) -> String {
    match y {
        serde_norway::Value::Null => "null".into(),
        serde_norway::Value::Bool(b) => b.to_string(),
        serde_norway::Value::Number(n) => format!("the number {n}"),
        serde_norway::Value::Sequence(_) => "a list".into(),
        serde_norway::Value::Mapping(_) => "a mapping".into(),
        serde_norway::Value::String(s) => format!("{s:?}"),
        serde_norway::Value::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}

/// A value in a message: strings quoted, numbers and booleans as written.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// The Kubernetes objects of a file: every non-empty document, and each item of a
/// `List`, with its identity read (`apiVersion`, `kind` and `metadata.name`). A
/// document that is not an object with an `apiVersion` and a `kind` is a problem.
pub fn documents(file: &str, text: &str) -> Result<Vec<Document>, Vec<Problem>> {
    let values = values(file, text)?;
    let mut docs = Vec::new();
    let mut problems = Vec::new();
    for (i, v) in values.into_iter().enumerate() {
        let index = i + 1;
        let Some(v) = v else { continue };
        let origin = format!("{file}: document {index}");
        match identity(&v, &origin) {
            Err(p) => problems.push(p),
            Ok((api, kind)) if kind == "List" && api == "v1" => {
                let Some(Value::Array(items)) = v.get("items") else {
                    problems.push(problem(
                        &origin,
                        "items",
                        "a List holds its objects in `items`, a list",
                    ));
                    continue;
                };
                for (j, item) in items.iter().enumerate() {
                    let origin = format!("{file}: document {index}, items[{j}]");
                    match identity(item, &origin) {
                        Err(p) => problems.push(p),
                        Ok((api, kind)) => {
                            docs.push(document(file, index, Some(j), api, kind, item.clone()))
                        }
                    }
                }
            }
            Ok((api, kind)) => docs.push(document(file, index, None, api, kind, v)),
        }
        if docs.len() > MAX_MANIFEST_DOCUMENTS {
            return Err(vec![problem(
                file,
                "",
                format!(
                    "more than {MAX_MANIFEST_DOCUMENTS} documents; a manifest file holds at most that many"
                ),
            )]);
        }
    }
    if problems.is_empty() {
        Ok(docs)
    } else {
        Err(problems)
    }
}

fn document(
    file: &str,
    index: usize,
    item: Option<usize>,
    api: String,
    kind: String,
    value: Value,
) -> Document {
    let name = value
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Document {
        file: file.to_string(),
        index,
        item,
        api_version: api,
        kind,
        name,
        value,
    }
}

/// `apiVersion` and `kind`, both strings.
fn identity(v: &Value, origin: &str) -> Result<(String, String), Problem> {
    let Value::Object(m) = v else {
        return Err(problem(
            origin,
            "",
            format!(
                "expected a Kubernetes object (a mapping with apiVersion and kind), found {}",
                describe(v)
            ),
        ));
    };
    let field = |key: &str| match m.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(other) => Err(problem(
            origin,
            key,
            format!("expected a string, found {}", describe(other)),
        )),
        None => Err(problem(
            origin,
            key,
            "missing: every Kubernetes object names its apiVersion and kind",
        )),
    };
    Ok((field("apiVersion")?, field("kind")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(file: &str, text: &str) -> Vec<String> {
        documents(file, text)
            .unwrap_err()
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn documents_are_numbered_as_a_reader_counts_them() {
        let text = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";
        let docs = documents("m.yaml", text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].label(), "document 1 (Service a)");
        // The empty document between the separators still counts.
        assert_eq!(docs[1].origin(), "m.yaml: document 3 (Deployment web)");
    }

    #[test]
    fn list_items_are_documents_of_their_own() {
        let text = r#"{"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"}},
            {"apiVersion": "apps/v1", "kind": "Deployment"}]}"#;
        let docs = documents("all.json", text).unwrap();
        assert_eq!(docs[0].label(), "document 1, items[0] (Deployment a)");
        assert_eq!(docs[1].label(), "document 1, items[1] (Deployment)");
        let e = errors("l.yaml", "apiVersion: v1\nkind: List\nitems: 3\n");
        assert_eq!(
            e,
            ["l.yaml: document 1: items: a List holds its objects in `items`, a list"]
        );
    }

    #[test]
    fn what_json_cannot_hold_is_refused_with_its_path() {
        let e = errors("t.yaml", "apiVersion: v1\nkind: X\nspec:\n  a: !Ref b\n");
        assert_eq!(
            e,
            [
                "t.yaml: document 1: spec.a: the tag !Ref has no meaning in a Kubernetes object; write the plain value"
            ]
        );
        let e = errors("t.yaml", "apiVersion: v1\nkind: X\nspec:\n  w: .inf\n");
        assert_eq!(
            e,
            [
                "t.yaml: document 1: spec.w: .inf is not a number a Kubernetes object (JSON) can hold"
            ]
        );
        let e = errors("t.yaml", "apiVersion: v1\nkind: X\nspec:\n  1: a\n");
        assert_eq!(
            e,
            [
                "t.yaml: document 1: spec: a mapping key must be a string (Kubernetes objects are JSON), found the number 1"
            ]
        );
        let e = errors("t.yaml", "apiVersion: v1\nkind: X\nspec: {a: 1, a: 2}\n");
        assert!(e[0].starts_with("t.yaml: document 1: "), "{e:?}");
    }

    #[test]
    fn a_document_names_what_it_is() {
        assert_eq!(
            errors("t.yaml", "kind: Deployment\n"),
            [
                "t.yaml: document 1: apiVersion: missing: every Kubernetes object names its apiVersion and kind"
            ]
        );
        assert_eq!(
            errors("t.yaml", "apiVersion: apps/v1\nkind: 3\n"),
            ["t.yaml: document 1: kind: expected a string, found 3"]
        );
        assert_eq!(
            errors("t.yaml", "- a\n- b\n"),
            [
                "t.yaml: document 1: expected a Kubernetes object (a mapping with apiVersion and kind), found a list"
            ]
        );
        let e = errors("t.yaml", "apiVersion: v1\nkind: X\n---\nspec: [\n");
        assert!(
            e[0].starts_with("t.yaml: document 2: not valid YAML: "),
            "{e:?}"
        );
        let e = errors("t.json", "{\"apiVersion\": ");
        assert!(e[0].starts_with("t.json: not valid JSON: "), "{e:?}");
    }

    #[test]
    fn size_documents_and_depth_are_bounded() {
        let obj = "apiVersion: v1\nkind: X\n";
        // Exactly at the byte limit is read; one byte more is refused unparsed.
        let pad = |n: usize| format!("{obj}{}", "#".repeat(n - obj.len()));
        assert!(documents("a.yaml", &pad(MAX_MANIFEST_BYTES)).is_ok());
        let e = errors("a.yaml", &pad(MAX_MANIFEST_BYTES + 1));
        assert!(
            e[0].contains("is more than the 4194304 a manifest file may hold"),
            "{e:?}"
        );
        let many = |n: usize| vec![obj; n].join("---\n");
        assert_eq!(
            documents("a.yaml", &many(MAX_MANIFEST_DOCUMENTS))
                .unwrap()
                .len(),
            256
        );
        let e = errors("a.yaml", &many(MAX_MANIFEST_DOCUMENTS + 1));
        assert_eq!(
            e,
            ["a.yaml: more than 256 documents; a manifest file holds at most that many"]
        );
        // Nesting: the document is level 0, so MAX levels of lists below it are read.
        let nested = |n: usize| format!("{obj}spec: {}1{}\n", "[".repeat(n - 1), "]".repeat(n - 1));
        assert!(documents("a.yaml", &nested(MAX_MANIFEST_DEPTH)).is_ok());
        let e = errors("a.yaml", &nested(MAX_MANIFEST_DEPTH + 1));
        assert!(e[0].contains("nested more than 64 levels deep"), "{e:?}");
        let json = |n: usize| {
            format!(
                "{{\"apiVersion\": \"v1\", \"kind\": \"X\", \"spec\": {}1{}}}",
                "[".repeat(n - 1),
                "]".repeat(n - 1)
            )
        };
        assert!(documents("a.json", &json(MAX_MANIFEST_DEPTH)).is_ok());
        assert!(errors("a.json", &json(MAX_MANIFEST_DEPTH + 1))[0].contains("nested more than 64"));
        // Far past the YAML parser's own limit is still a problem, not a crash.
        let e = errors("a.yaml", &nested(10_000));
        assert!(
            e[0].starts_with("a.yaml: document 1: not valid YAML: "),
            "{e:?}"
        );
    }
}
