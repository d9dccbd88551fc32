//! The rollcage policy document an importer fills: the keys of a TOML policy
//! (`schema_version`, `name`, `kind`, `max_surge`, ...), each remembered with the
//! manifest field it came from, so that a bound `Policy::from_doc` enforces later is
//! reported at the manifest's field, not at a key the user never wrote.

use std::collections::BTreeMap;

use config::{Table, Value};

use super::Replicas;
use super::node::Node;

/// A policy document being written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyDoc {
    pub table: Table,
    /// rollcage key (`gates[0].threshold`) → (document origin, manifest path).
    pub origins: BTreeMap<String, (String, String)>,
    pub replicas: Option<Replicas>,
    /// The document the policy came from.
    pub from: String,
}

impl PolicyDoc {
    /// A document with the file format's version set.
    pub fn new() -> PolicyDoc {
        let mut table = Table::new();
        table.insert(
            "schema_version".into(),
            Value::Integer(crate::SCHEMA_VERSION),
        );
        PolicyDoc {
            table,
            ..PolicyDoc::default()
        }
    }

    /// Sets a top-level key with no manifest field behind it (a kind, a default the
    /// importer chose).
    pub fn put(&mut self, key: &str, value: impl Into<Value>) {
        self.table.insert(key.to_string(), value.into());
    }

    /// Sets `key` from the manifest field `from` (a node read by the importer).
    pub fn set(&mut self, key: &str, value: impl Into<Value>, from: &Node<'_>) {
        self.put(key, value);
        self.origin(key, from.findings().origin(), from.path());
    }

    /// Records that `key` (possibly nested: `rollback.max_surge`, `steps[2].set_weight`)
    /// came from `path` of the document `origin`.
    pub fn origin(&mut self, key: &str, origin: &str, path: &str) {
        self.origins
            .insert(key.to_string(), (origin.to_string(), path.to_string()));
    }
}
