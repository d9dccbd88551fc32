//! What reading templates on a policy's behalf finds, reported once: a template read
//! for two analyses (or two metrics) would otherwise say the same thing twice.

use std::cell::RefCell;
use std::collections::BTreeMap;

use config::Problem;

use super::node::Findings;
use super::{Context, Note};

/// Problems and notes of several documents, each kept once, in the order found.
#[derive(Default)]
pub struct Collector {
    problems: RefCell<Vec<Problem>>,
    notes: RefCell<Vec<Note>>,
}

impl Collector {
    pub fn note(&self, origin: &str, key: &str, text: impl Into<String>) {
        let n = Note {
            origin: origin.to_string(),
            key: key.to_string(),
            text: text.into(),
        };
        let mut notes = self.notes.borrow_mut();
        if !notes.contains(&n) {
            notes.push(n);
        }
    }

    /// Takes what a document's reading found.
    pub fn merge(&self, findings: Findings) {
        let (ps, ns) = findings.into_parts();
        let mut all = self.problems.borrow_mut();
        for p in ps {
            if !all.contains(&p) {
                all.push(p);
            }
        }
        drop(all);
        for n in ns {
            self.note(&n.origin, &n.key, n.text);
        }
    }

    /// Hands everything to the import, grouped by document, documents in the order
    /// they were first found.
    pub fn finish(self, ctx: &Context<'_>) {
        let mut by_origin: BTreeMap<String, Findings> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut at = |origin: &str| -> String {
            if !by_origin.contains_key(origin) {
                order.push(origin.to_string());
                by_origin.insert(origin.to_string(), Findings::new(origin));
            }
            origin.to_string()
        };
        let problems = self.problems.into_inner();
        let notes = self.notes.into_inner();
        let pk: Vec<String> = problems.iter().map(|p| at(&p.origin)).collect();
        let nk: Vec<String> = notes.iter().map(|n| at(&n.origin)).collect();
        for (p, k) in problems.into_iter().zip(&pk) {
            by_origin[k].problem(&p.key, p.reason);
        }
        for (n, k) in notes.into_iter().zip(&nk) {
            by_origin[k].note(&n.key, n.text);
        }
        for o in order {
            if let Some(f) = by_origin.remove(&o) {
                ctx.keep(f);
            }
        }
    }
}
