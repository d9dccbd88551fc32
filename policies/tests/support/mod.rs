//! What the round-trip tests of the importer share: the export options, the round trip
//! itself, the examples read as policies and as YAML, and the strategies of the
//! property tests that every kind's policies draw their fenceposts and names from.
#![allow(dead_code)]

use config::Problems;
use policies::export::{Options, Target, export};
use policies::import::{Options as ImportOptions, import};
use policies::intstr::IntOrPercent;
use policies::k8s_names::{HttpUrl, ServiceName};
use policies::rolling::Fenceposts;
use policies::{Policy, PolicyKind};
use proptest::prelude::*;

pub fn options(service: &str) -> Options {
    Options {
        service: ServiceName::new(service).unwrap(),
        prometheus_address: HttpUrl::new("http://prometheus.monitoring:9090").unwrap(),
        series: Default::default(),
    }
}

/// `policy` exported to `target` (named after the policy), read back by the importer
/// under the file name the export's format has.
pub fn round_trip(policy: &Policy, target: Target) -> (Policy, Vec<String>) {
    let e = export(policy, target, &options(&policy.name)).unwrap();
    let file = match target {
        Target::CodeDeploy | Target::Json => "exported.json",
        Target::K8s | Target::Argo | Target::Flagger => "exported.yaml",
    };
    let show = |ps: Problems| format!("{ps}\n{}", e.text);
    let imported = import(file, &e.text, None, &ImportOptions::default())
        .unwrap_or_else(|ps| panic!("{}", show(ps)));
    let back = Policy::from_doc(&imported.doc())
        .unwrap_or_else(|ps| panic!("{}", show(imported.locate(ps))));
    (back, e.notes)
}

/// The text of `examples/manifests/NAME`.
pub fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../examples/manifests/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The policy the example `name` imports to.
pub fn import_example(name: &str) -> Policy {
    let i = import(name, &example(name), None, &ImportOptions::default()).unwrap();
    Policy::from_doc(&i.doc()).unwrap()
}

/// The documents of a YAML text, as JSON values (empty documents left out).
pub fn yaml_docs(text: &str) -> Vec<serde_json::Value> {
    serde_norway::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &serde_json::Value| !v.is_null())
        .collect()
}

pub fn intstr(max_count: u32, max_percent: u32) -> impl Strategy<Value = IntOrPercent> {
    prop_oneof![
        (0..=max_count).prop_map(IntOrPercent::Int),
        (0..=max_percent).prop_map(|p| IntOrPercent::Percent(p as f64)),
    ]
}

pub fn fenceposts() -> impl Strategy<Value = Fenceposts> {
    (intstr(20, 200), intstr(20, 100))
        .prop_filter("both zero is refused", |(s, u)| {
            !(s.is_zero() && u.is_zero())
        })
        .prop_map(|(max_surge, max_unavailable)| Fenceposts {
            max_surge,
            max_unavailable,
        })
}

pub fn named(kind: PolicyKind) -> Policy {
    Policy {
        schema_version: policies::SCHEMA_VERSION,
        name: "generated".into(),
        description: "a generated policy".into(),
        kind,
    }
}
