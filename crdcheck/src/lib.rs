//! Test support: validates Kubernetes documents (exported Rollouts, Canaries,
//! Deployments, Chaos Mesh experiments) against the real schemas, strictly: an unknown
//! field is an error, as server-side field validation makes it.
//!
//! Schemas come from CRD files (`spec.versions[].schema.openAPIV3Schema`) and from
//! Kubernetes OpenAPI v3 documents (`components.schemas` with
//! `x-kubernetes-group-version-kind`). Only tests use this crate.

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// Every document of a multi-document YAML text.
pub fn parse_yaml(text: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).expect("valid YAML"))
        .filter(|v| !v.is_null())
        .collect()
}

/// Closes every object that lists `properties`, as strict field validation does, unless
/// it allows more or preserves unknown fields.
pub fn strict(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let preserve =
                m.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
            if m.contains_key("properties") && !m.contains_key("additionalProperties") && !preserve
            {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            for x in m.values_mut() {
                strict(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strict),
        _ => {}
    }
}

/// (apiVersion, kind).
pub type Key = (String, String);

/// Strict validators by (apiVersion, kind).
#[derive(Default)]
pub struct Checker {
    validators: BTreeMap<Key, jsonschema::Validator>,
}

fn build(key: &Key, schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(false)
        .build(schema)
        .unwrap_or_else(|e| panic!("{key:?}: {e}"))
}

impl Checker {
    pub fn new() -> Self {
        Checker::default()
    }

    /// Adds every version of every CRD in a file.
    pub fn add_crds(&mut self, file: &Path) {
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for crd in parse_yaml(&text) {
            let spec = &crd["spec"];
            let group = spec["group"].as_str().expect("a CRD has a group");
            let kind = spec["names"]["kind"].as_str().expect("a CRD has a kind");
            for v in spec["versions"].as_array().expect("a CRD has versions") {
                let mut schema = v["schema"]["openAPIV3Schema"].clone();
                strict(&mut schema);
                let key = (
                    format!("{group}/{}", v["name"].as_str().expect("a version name")),
                    kind.to_string(),
                );
                let validator = build(&key, &schema);
                self.validators.insert(key, validator);
            }
        }
    }

    /// Adds the listed kinds from a Kubernetes OpenAPI v3 document.
    pub fn add_openapi(&mut self, file: &Path, kinds: &[&str]) {
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut doc: Value = serde_json::from_str(&text).expect("an OpenAPI document");
        let mut comps = doc["components"]["schemas"].take();
        strict(&mut comps);
        for (name, s) in comps.as_object().expect("components.schemas") {
            for gvk in s
                .get("x-kubernetes-group-version-kind")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let kind = gvk["kind"].as_str().unwrap_or("");
                if !kinds.contains(&kind) {
                    continue;
                }
                let g = gvk["group"].as_str().unwrap_or("");
                let v = gvk["version"].as_str().unwrap_or("");
                let api = if g.is_empty() {
                    v.to_string()
                } else {
                    format!("{g}/{v}")
                };
                let root = serde_json::json!({
                    "$ref": format!("#/components/schemas/{name}"),
                    "components": { "schemas": comps.clone() },
                });
                let key = (api, kind.to_string());
                let validator = build(&key, &root);
                self.validators.insert(key, validator);
            }
        }
    }

    /// The errors of one document; a document whose apiVersion and kind have no schema
    /// is an error too.
    pub fn errors(&self, doc: &Value) -> Vec<String> {
        let key = (
            doc["apiVersion"].as_str().unwrap_or("").to_string(),
            doc["kind"].as_str().unwrap_or("").to_string(),
        );
        let Some(v) = self.validators.get(&key) else {
            return vec![format!("no schema for {key:?}")];
        };
        v.iter_errors(doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }
}
