//! Every export validates against the real controllers' schemas (the CRDs'
//! `openAPIV3Schema` and the Kubernetes apps/v1 OpenAPI document, copied in
//! `tests/fixtures/schemas/`), strictly: an unknown field is an error, as server-side
//! field validation makes it. A typo'd field must be rejected, so the check can fail.
//! Exports are byte-stable (golden files) and the JSON form imports back unchanged.

use std::path::{Path, PathBuf};

use crdcheck::{Checker, parse_yaml};
use policies::Policy;
use policies::export::{Options, Target, export, targets_for};
use policies::k8s_names::{HttpUrl, ServiceName};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Strict validators for every kind the exports write.
fn checker() -> Checker {
    let mut c = Checker::new();
    for f in [
        "argo-rollouts/rollout-crd.yaml",
        "argo-rollouts/analysis-template-crd.yaml",
        "flagger/canary-crd.yaml",
        "flagger/metrictemplate-crd.yaml",
    ] {
        c.add_crds(&fixtures().join("schemas").join(f));
    }
    c.add_openapi(
        &fixtures().join("schemas/kubernetes/apis__apps__v1_openapi.json"),
        &["Deployment"],
    );
    c
}

fn options() -> Options {
    Options {
        service: ServiceName::new("checkout").unwrap(),
        prometheus_address: HttpUrl::new("http://prometheus.monitoring:9090").unwrap(),
        series: Default::default(),
    }
}

/// Policies that between them use every key the exporters read.
fn policies() -> Vec<Policy> {
    let mut out: Vec<Policy> = policies::BUILTIN
        .iter()
        .map(|(n, _)| Policy::from_doc(&policies::builtin(n).unwrap()).unwrap())
        .collect();
    let dir = fixtures().join("policies");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let doc = config::Doc::parse(&f.display().to_string(), &text).unwrap();
        out.push(Policy::from_doc(&doc).unwrap_or_else(|e| panic!("{e}")));
    }
    out
}

#[test]
fn every_export_validates_strictly_against_its_schema() {
    let checker = checker();
    let mut checked = 0;
    for p in policies() {
        for &t in targets_for(&p.kind) {
            if matches!(t, Target::Json | Target::CodeDeploy) {
                continue;
            }
            let e = export(&p, t, &options()).unwrap();
            for doc in parse_yaml(&e.text) {
                let errs = checker.errors(&doc);
                assert!(
                    errs.is_empty(),
                    "{} to {}: {} invalid:\n{}\n{}",
                    p.name,
                    t.name(),
                    doc["kind"],
                    errs.join("\n"),
                    e.text
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} documents checked");
}

/// Renames the first occurrence of `field` anywhere in `doc`.
fn typo(doc: &mut Value, field: &str, to: &str) -> bool {
    match doc {
        Value::Object(m) => {
            if let Some(v) = m.remove(field) {
                m.insert(to.into(), v);
                return true;
            }
            m.values_mut().any(|x| typo(x, field, to))
        }
        Value::Array(a) => a.iter_mut().any(|x| typo(x, field, to)),
        _ => false,
    }
}

#[test]
fn a_typo_is_rejected_by_every_schema() {
    let checker = checker();
    let cases = [
        ("k8s-default", Target::K8s, "maxSurge", "maxSurgee"),
        ("k8s-default", Target::K8s, "image", "imagee"),
        ("argo-canary", Target::Argo, "setWeight", "setWieght"),
        (
            "argo-canary",
            Target::Argo,
            "successCondition",
            "successCondtion",
        ),
        (
            "blue-green",
            Target::Argo,
            "scaleDownDelaySeconds",
            "scaleDownDelay",
        ),
        (
            "flagger-canary",
            Target::Flagger,
            "stepWeight",
            "stepWeigth",
        ),
        ("flagger-canary", Target::Flagger, "query", "qeury"),
    ];
    for (name, target, field, to) in cases {
        let p = Policy::from_doc(&policies::builtin(name).unwrap()).unwrap();
        let e = export(&p, target, &options()).unwrap();
        let mut hit = false;
        for mut doc in parse_yaml(&e.text) {
            assert!(checker.errors(&doc).is_empty());
            if typo(&mut doc, field, to) {
                hit = true;
                let errs = checker.errors(&doc);
                assert!(!errs.is_empty(), "{name}: {field} -> {to} was accepted");
                assert!(errs.iter().any(|m| m.contains(to)), "{errs:?}");
            }
        }
        assert!(hit, "{name} has no {field}");
    }
    // A wrong type fails too.
    let p = Policy::from_doc(&policies::builtin("k8s-default").unwrap()).unwrap();
    let mut doc = parse_yaml(&export(&p, Target::K8s, &options()).unwrap().text).remove(0);
    doc["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = Value::Bool(true);
    assert!(!checker.errors(&doc).is_empty());
}

#[test]
fn json_export_imports_back_unchanged() {
    for p in policies() {
        let e = export(&p, Target::Json, &options()).unwrap();
        assert!(e.notes.is_empty());
        let doc = config::Doc::parse("exported.json", &e.text).unwrap();
        let back =
            Policy::from_doc(&doc).unwrap_or_else(|err| panic!("{}: {err}\n{}", p.name, e.text));
        assert_eq!(back, p, "{}", p.name);
        // And exporting again gives the same bytes.
        assert_eq!(
            export(&back, Target::Json, &options()).unwrap().text,
            e.text
        );
    }
}

#[test]
fn exports_match_their_golden_files() {
    let dir = fixtures().join("golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let cases = [
        ("k8s-default", Target::K8s, "k8s-default.k8s.yaml"),
        ("gated-10pct", Target::Argo, "gated-10pct.argo.yaml"),
        ("argo-canary", Target::Argo, "argo-canary.argo.yaml"),
        ("blue-green", Target::Argo, "blue-green.argo.yaml"),
        (
            "flagger-canary",
            Target::Flagger,
            "flagger-canary.flagger.yaml",
        ),
        (
            "codedeploy-half",
            Target::CodeDeploy,
            "codedeploy-half.codedeploy.json",
        ),
        (
            "codedeploy-one-at-a-time",
            Target::CodeDeploy,
            "codedeploy-one-at-a-time.codedeploy.json",
        ),
        ("argo-canary", Target::Json, "argo-canary.json"),
    ];
    for (name, target, file) in cases {
        let p = Policy::from_doc(&policies::builtin(name).unwrap()).unwrap();
        let text = export(&p, target, &options()).unwrap().text;
        let path = dir.join(file);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{file} missing: run with UPDATE_GOLDEN=1"));
        assert_eq!(
            text, want,
            "{file} changed: review it, then run with UPDATE_GOLDEN=1"
        );
    }
}

#[test]
fn codedeploy_export_is_the_aws_input_shape() {
    let p = Policy::from_doc(&policies::builtin("codedeploy-half").unwrap()).unwrap();
    let e = export(&p, Target::CodeDeploy, &options()).unwrap();
    let v: Value = serde_json::from_str(&e.text).unwrap();
    assert_eq!(
        v["deploymentConfig"]["minimumHealthyHosts"],
        serde_json::json!({"type": "FLEET_PERCENT", "value": 50})
    );
    assert_eq!(v["deploymentConfig"]["computePlatform"], "Server");
    assert_eq!(
        v["deploymentGroup"]["autoRollbackConfiguration"]["events"],
        serde_json::json!(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"])
    );
    assert_eq!(
        v["deploymentGroup"]["alarmConfiguration"]["alarms"][0]["name"],
        "checkout-error-ratio"
    );
    // What CodeDeploy cannot express is listed, never dropped.
    assert!(
        e.notes.iter().any(|n| n.contains("bake_seconds 60")),
        "{:?}",
        e.notes
    );
    assert_eq!(v["unexpressed"].as_array().unwrap().len(), e.notes.len());
}

#[test]
fn kinds_a_target_cannot_run_are_refused() {
    let p = Policy::from_doc(&policies::builtin("flagger-canary").unwrap()).unwrap();
    let err = export(&p, Target::Argo, &options())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "policy flagger-canary is a canary (flagger semantics), which argo cannot run; it exports to: flagger, json"
    );
    let p = Policy::from_doc(&policies::builtin("argo-canary").unwrap()).unwrap();
    assert!(export(&p, Target::K8s, &options()).is_err());
    // A bad service name cannot even be asked for: the type refuses it.
    assert!(
        ServiceName::new("Check Out")
            .unwrap_err()
            .to_string()
            .contains("DNS-1035 label")
    );
}

/// The gates of a built-in policy, renamed or re-bounded, for the cases below.
fn with_gate(name: &str, edit: impl Fn(&mut policies::gate::GateSpec)) -> Policy {
    use policies::{CanarySpec, PolicyKind};
    let mut p = Policy::from_doc(&policies::builtin(name).unwrap()).unwrap();
    let gates = match &mut p.kind {
        PolicyKind::Canary(CanarySpec::Argo(s)) => &mut s.gates,
        PolicyKind::Canary(CanarySpec::Flagger(s)) => &mut s.gates,
        _ => unreachable!("canary policies only"),
    };
    gates.iter_mut().for_each(edit);
    p
}

#[test]
fn yaml_1_1_words_in_names_stay_strings() {
    // A gate named "Off" would read back as `false` in YAML 1.1 readers if unquoted.
    let p = with_gate("argo-canary", |g| g.name = "Off".into());
    let text = export(&p, Target::Argo, &options()).unwrap().text;
    assert!(text.contains("- name: \"Off\"\n"), "{text}");
    for doc in parse_yaml(&text) {
        if doc["kind"] == "AnalysisTemplate" {
            assert_eq!(doc["spec"]["metrics"][0]["name"], "Off");
        }
    }
}

#[test]
fn names_a_controller_would_refuse_are_refused() {
    // Flagger's MetricTemplate is named SERVICE-GATE: an uppercase gate cannot be one.
    let p = with_gate("flagger-canary", |g| g.name = "Off".into());
    let err = export(&p, Target::Flagger, &options())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "gate \"Off\": its Flagger MetricTemplate name \"checkout-Off\" has 'O' at position 10, which is uppercase; it must be a DNS-1123 subdomain"
        ),
        "{err}"
    );
}

#[test]
fn non_finite_bounds_are_refused_not_written() {
    // Kubernetes stores objects as JSON, which has no infinity: `kubectl apply` would
    // fail on `.inf` far from its cause.
    let p = with_gate("flagger-canary", |g| g.threshold = f64::INFINITY);
    let err = export(&p, Target::Flagger, &options())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("policy flagger-canary: Canary spec.analysis.metrics[0].thresholdRange."),
        "{err}"
    );
    assert!(
        err.ends_with("would be inf, which a Kubernetes object (JSON) cannot hold"),
        "{err}"
    );
}
