//! Reading a document field by field, as `config::Section` reads a TOML policy: each
//! value is taken with its full path (`spec.strategy.rollingUpdate.maxSurge`), a value
//! of the wrong type or out of range is a problem at that path and reading goes on, and
//! a node reports, when it is dropped, every field nobody asked for: an unknown field
//! is refused (Kubernetes' strict field validation refuses it too, and rollcage cannot
//! tell whether it would change the rollout). Every field an importer does not map is
//! either noted (`note`: it does not change the simulation, and why) or refused
//! (`refuse`: it would, and rollcage does not model it), so nothing is dropped silently.

use std::cell::RefCell;
use std::ops::RangeInclusive;

use config::Problem;
use serde_json::Value;

use super::Note;
use super::manifest::describe;

/// What one document's reading found: its problems and its notes, in the order read.
pub struct Findings {
    origin: String,
    problems: RefCell<Vec<Problem>>,
    notes: RefCell<Vec<Note>>,
}

impl Findings {
    /// For the document named by `origin` (`rollout.yaml: document 2 (Rollout x)`).
    pub fn new(origin: impl Into<String>) -> Findings {
        Findings {
            origin: origin.into(),
            problems: RefCell::new(Vec::new()),
            notes: RefCell::new(Vec::new()),
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn problem(&self, path: &str, reason: impl Into<String>) {
        self.problems.borrow_mut().push(Problem {
            origin: self.origin.clone(),
            key: path.to_string(),
            reason: reason.into(),
        });
    }

    pub fn note(&self, path: &str, text: impl Into<String>) {
        self.notes.borrow_mut().push(Note {
            origin: self.origin.clone(),
            key: path.to_string(),
            text: text.into(),
        });
    }

    pub fn has_problems(&self) -> bool {
        !self.problems.borrow().is_empty()
    }

    /// Everything found; call after every node of the document is dropped.
    pub fn into_parts(self) -> (Vec<Problem>, Vec<Note>) {
        (self.problems.into_inner(), self.notes.into_inner())
    }

    /// The document's root.
    pub fn root<'a>(&'a self, value: &'a Value) -> Node<'a> {
        Node::new(self, value, String::new())
    }
}

/// A value being read, with its path. Dropping a mapping's node reports the fields
/// nobody asked for.
pub struct Node<'a> {
    findings: &'a Findings,
    value: &'a Value,
    path: String,
    known: RefCell<Vec<String>>,
}

impl<'a> Node<'a> {
    fn new(findings: &'a Findings, value: &'a Value, path: String) -> Node<'a> {
        Node {
            findings,
            value,
            path,
            known: RefCell::new(Vec::new()),
        }
    }

    pub fn findings(&self) -> &'a Findings {
        self.findings
    }

    /// The value itself.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// This node's path (`""` for a document's root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The full path of `key` below this node.
    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// A problem at `key` (`""`: at this node).
    pub fn problem(&self, key: &str, reason: impl Into<String>) {
        let path = if key.is_empty() {
            self.path.clone()
        } else {
            self.key_path(key)
        };
        self.findings.problem(&path, reason);
    }

    fn mark(&self, key: &str) {
        self.known.borrow_mut().push(key.to_string());
    }

    /// Marks keys as read without reading them.
    pub fn allow(&self, keys: &[&str]) {
        for k in keys {
            self.mark(k);
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.value.get(key).is_some()
    }

    /// The child at `key`, whatever its type, marking it read.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        self.mark(key);
        let v = self.value.as_object()?.get(key)?;
        Some(Node::new(self.findings, v, self.key_path(key)))
    }

    /// The keys of this mapping, in the document's order.
    pub fn keys(&self) -> Vec<&'a str> {
        self.value
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The child at `key` when it is a mapping; a problem when it is something else.
    pub fn map(&self, key: &str) -> Option<Node<'a>> {
        let n = self.get(key)?;
        if n.value.is_object() {
            Some(n)
        } else {
            n.problem(
                "",
                format!("expected a mapping, found {}", describe(n.value)),
            );
            None
        }
    }

    /// The items at `key` when it is a list (empty when absent); a problem otherwise.
    pub fn seq(&self, key: &str) -> Vec<Node<'a>> {
        let Some(n) = self.get(key) else {
            return Vec::new();
        };
        match n.value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| Node::new(self.findings, v, format!("{}[{i}]", n.path)))
                .collect(),
            other => {
                n.refused(format!("expected a list, found {}", describe(other)));
                Vec::new()
            }
        }
    }

    fn typed<T>(&self, key: &str, what: &str, f: impl FnOnce(&'a Value) -> Option<T>) -> Option<T> {
        let n = self.get(key)?;
        let r = f(n.value);
        if r.is_none() {
            n.refused(format!("expected {what}, found {}", describe(n.value)));
        }
        r
    }

    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.typed(key, "a string", Value::as_str)
    }

    /// A boolean. YAML 1.1's words (`yes`, `no`, `on`, `off`), which Kubernetes' YAML
    /// reader takes as booleans, are read as it reads them.
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.typed(key, "true or false", |v| match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.as_str() {
                "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
                "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
                _ => None,
            },
            _ => None,
        })
    }

    /// A whole number within `range` (`what` names it in the message, e.g. "a whole
    /// number of seconds"). A number with a fraction, or a number written as a string,
    /// is refused as the API refuses it for an integer field.
    pub fn int_in(&self, key: &str, what: &str, range: RangeInclusive<i64>) -> Option<i64> {
        let n = self.get(key)?;
        let i = match n.value {
            Value::Number(x) => x.as_i64(),
            _ => None,
        };
        let Some(i) = i else {
            n.refused(format!("expected {what}, found {}", describe(n.value)));
            return None;
        };
        if i < *range.start() {
            n.problem("", format!("must be at least {}, found {i}", range.start()));
            None
        } else if i > *range.end() {
            n.problem("", format!("must be at most {}, found {i}", range.end()));
            None
        } else {
            Some(i)
        }
    }

    /// A problem with this node's value as a whole: what lies below it is not read, so
    /// its fields are not reported as unknown.
    pub fn refused(&self, reason: impl Into<String>) {
        self.problem("", reason);
        self.known.borrow_mut().push("*".into());
    }

    /// Notes `key` when it is present: a field that does not change the simulation.
    pub fn note(&self, key: &str, why: impl Into<String>) {
        if let Some(n) = self.get(key) {
            n.note_here(why);
            n.known.borrow_mut().push("*".into());
        }
    }

    /// Notes this node as a whole.
    pub fn note_here(&self, why: impl Into<String>) {
        self.findings.note(&self.path, why);
        self.known.borrow_mut().push("*".into());
    }

    /// Refuses `key` when it is present: a field that would change the simulation,
    /// which rollcage does not model.
    pub fn refuse(&self, key: &str, why: impl Into<String>) {
        if let Some(n) = self.get(key) {
            n.refused(why);
        }
    }

    /// A flag whose `true` changes the rollout in a way rollcage does not model
    /// (`paused`, `suspend`, `skipAnalysis`): `true` is a problem saying `why`; `false`,
    /// the API's default, is noted.
    pub fn refuse_true(&self, key: &str, why: &str) {
        match self.bool(key) {
            Some(true) => self.problem(key, why),
            Some(false) => self
                .findings
                .note(&self.key_path(key), "not simulated: false is the default"),
            None => {}
        }
    }
}

impl Drop for Node<'_> {
    fn drop(&mut self) {
        let Value::Object(m) = self.value else { return };
        let known = self.known.borrow();
        if known.iter().any(|k| k == "*") {
            return;
        }
        for key in m.keys() {
            if known.iter().any(|k| k == key) {
                continue;
            }
            let hint = config::suggest(key, known.iter().map(String::as_str))
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            self.findings.problem(
                &self.key_path(key),
                format!(
                    "unknown field{hint}: the API refuses fields it does not define, and rollcage cannot tell whether it would change the rollout"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value, f: impl FnOnce(&Node<'_>)) -> (Vec<String>, Vec<String>) {
        let findings = Findings::new("f.yaml: document 1 (X a)");
        {
            let root = findings.root(&v);
            f(&root);
        }
        let (p, n) = findings.into_parts();
        (
            p.iter().map(|p| p.to_string()).collect(),
            n.iter().map(|n| n.to_string()).collect(),
        )
    }

    #[test]
    fn every_value_is_read_at_its_path() {
        let (p, _) = read(
            json!({"spec": {"a": "ten", "b": 1.5, "c": "5", "d": 7, "e": [1, {"f": 2}]}}),
            |r| {
                let spec = r.map("spec").unwrap();
                assert_eq!(spec.int_in("a", "a whole number 0-100", 0..=100), None);
                assert_eq!(spec.int_in("b", "a whole number", 0..=100), None);
                assert_eq!(spec.int_in("c", "a whole number", 0..=100), None);
                assert_eq!(spec.int_in("d", "a whole number", 0..=6), None);
                let e = spec.seq("e");
                assert_eq!(e.len(), 2);
                let f = e[1].map("missing");
                assert!(f.is_none());
                e[1].allow(&["f"]);
            },
        );
        assert_eq!(
            p,
            [
                "f.yaml: document 1 (X a): spec.a: expected a whole number 0-100, found \"ten\"",
                "f.yaml: document 1 (X a): spec.b: expected a whole number, found 1.5",
                "f.yaml: document 1 (X a): spec.c: expected a whole number, found \"5\"",
                "f.yaml: document 1 (X a): spec.d: must be at most 6, found 7",
            ]
        );
    }

    #[test]
    fn unknown_fields_are_refused_with_a_suggestion() {
        let (p, _) = read(json!({"spec": {"replicas": 3, "replica": 3}}), |r| {
            let spec = r.map("spec").unwrap();
            spec.int_in("replicas", "a whole number", 0..=10);
        });
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with(
                "f.yaml: document 1 (X a): spec.replica: unknown field (did you mean `replicas`?)"
            ),
            "{p:?}"
        );
    }

    #[test]
    fn notes_and_refusals_cover_a_field_and_all_below_it() {
        let (p, n) = read(json!({"a": {"deep": {"x": 1}}, "b": true, "c": 1}), |r| {
            r.note("a", "does not change the simulation");
            r.refuse("b", "would change the simulation");
            r.note("absent", "never said");
            r.refuse("absent2", "never said");
            r.allow(&["c"]);
        });
        assert_eq!(
            p,
            ["f.yaml: document 1 (X a): b: would change the simulation"]
        );
        assert_eq!(
            n,
            ["f.yaml: document 1 (X a): a: does not change the simulation"]
        );
    }

    #[test]
    fn booleans_read_as_kubernetes_reads_yaml() {
        let (p, _) = read(
            json!({"a": "yes", "b": "off", "c": false, "d": "maybe"}),
            |r| {
                assert_eq!(r.bool("a"), Some(true));
                assert_eq!(r.bool("b"), Some(false));
                assert_eq!(r.bool("c"), Some(false));
                assert_eq!(r.bool("d"), None);
            },
        );
        assert_eq!(
            p,
            ["f.yaml: document 1 (X a): d: expected true or false, found \"maybe\""]
        );
    }

    #[test]
    fn a_value_of_the_wrong_shape_is_one_problem() {
        let (p, _) = read(json!({"spec": 3, "list": {"a": 1}}), |r| {
            assert!(r.map("spec").is_none());
            assert!(r.seq("list").is_empty());
        });
        assert_eq!(
            p,
            [
                "f.yaml: document 1 (X a): spec: expected a mapping, found 3",
                "f.yaml: document 1 (X a): list: expected a list, found a mapping",
            ]
        );
    }
}
