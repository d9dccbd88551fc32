//! The framework's own rules: dispatch, several policies in a file, templates and
//! `--map-metric` that nothing uses, and problems moved onto the manifest's fields.

use super::*;

const DEPLOY: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: NAME}\nspec: {replicas: 3}\n";

fn deploy(name: &str) -> String {
    DEPLOY.replace("NAME", name)
}

fn err(file: &str, text: &str, select: Option<&str>, opts: &Options) -> Vec<String> {
    import(file, text, select, opts)
        .unwrap_err()
        .0
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn an_unknown_kind_lists_what_rollcage_reads() {
    let text = format!(
        "{}---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: db}}\n",
        deploy("web")
    );
    let e = err("m.yaml", &text, None, &Options::default());
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("m.yaml: document 2 (StatefulSet db): apps/v1 StatefulSet is not a kind rollcage reads; it reads policies from apps/v1 Deployment, argoproj.io/v1alpha1 Rollout, flagger.app/v1beta1 Canary; templates argoproj.io/v1alpha1 AnalysisTemplate"),
        "{e:?}"
    );
    // The same kind at another API version is another kind.
    let e = err(
        "m.yaml",
        &deploy("web").replace("apps/v1", "apps/v1beta1"),
        None,
        &Options::default(),
    );
    assert!(
        e[0].contains("apps/v1beta1 Deployment is not a kind rollcage reads"),
        "{e:?}"
    );
}

#[test]
fn two_policies_in_a_file_are_an_error_naming_both_unless_one_is_picked() {
    let text = format!("{}---\n{}", deploy("web"), deploy("api"));
    let e = err("m.yaml", &text, None, &Options::default());
    assert_eq!(
        e,
        [
            "m.yaml: holds 2 policies: document 1 (Deployment web), document 2 (Deployment api); pick one with m.yaml#web"
        ]
    );
    let i = import("m.yaml", &text, Some("api"), &Options::default()).unwrap();
    assert_eq!(i.table["name"].as_str(), Some("api"));
    assert_eq!(i.from, "m.yaml: document 2 (Deployment api)");
    assert_eq!(
        i.notes[0].to_string(),
        "m.yaml: document 1 (Deployment web): not simulated: another policy of the file was picked"
    );
    let i = import("m.yaml", &text, Some("Deployment/web"), &Options::default()).unwrap();
    assert_eq!(i.table["name"].as_str(), Some("web"));
    assert_eq!(
        err("m.yaml", &text, Some("db"), &Options::default()),
        [
            "m.yaml: #db: no policy of that name; the file holds document 1 (Deployment web), document 2 (Deployment api)"
        ]
    );
    let twice = format!("{}---\n{}", deploy("web"), deploy("web"));
    assert_eq!(
        err("m.yaml", &twice, Some("web"), &Options::default()),
        [
            "m.yaml: #web: names document 1 (Deployment web) and document 2 (Deployment web); pick one with FILE#Kind/name"
        ]
    );
}

#[test]
fn a_file_without_a_policy_says_where_policies_come_from() {
    let text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n";
    assert_eq!(
        err("s.yaml", text, None, &Options::default()),
        [
            "s.yaml: holds no policy; rollcage reads its policy from apps/v1 Deployment, argoproj.io/v1alpha1 Rollout, flagger.app/v1beta1 Canary"
        ]
    );
    assert_eq!(
        err("e.yaml", "", None, &Options::default()),
        [
            "e.yaml: holds no policy; rollcage reads its policy from apps/v1 Deployment, argoproj.io/v1alpha1 Rollout, flagger.app/v1beta1 Canary"
        ]
    );
}

#[test]
fn companions_are_noted_or_refused_whole() {
    let text = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec: {{ports: [{{port: 80}}]}}\n---\n{}",
        deploy("web")
    );
    let i = import("m.yaml", &text, None, &Options::default()).unwrap();
    assert!(
        i.notes[0].to_string().starts_with(
            "m.yaml: document 1 (Service web): not simulated: a Service routes requests"
        ),
        "{:?}",
        i.notes
    );
    let text = format!(
        "{}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web}}\n",
        deploy("web")
    );
    let e = err("m.yaml", &text, None, &Options::default());
    assert!(e[0].starts_with("m.yaml: document 2 (HorizontalPodAutoscaler web): an autoscaler changes the replica count"), "{e:?}");
}

const TEMPLATE: &str = "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: success-rate}\nspec:\n  metrics: [{name: error-ratio}]\n";

#[test]
fn templates_nobody_uses_are_noted_and_analysis_files_hold_templates_only() {
    let opts = Options {
        analysis: vec![("t.yaml".into(), TEMPLATE.into())],
        map_metric: vec![],
    };
    let i = import("d.yaml", &deploy("web"), None, &opts).unwrap();
    assert_eq!(
        i.notes.last().unwrap().to_string(),
        "t.yaml: document 1 (AnalysisTemplate success-rate): not simulated: no policy in the files refers to this template"
    );
    let opts = Options {
        analysis: vec![("t.yaml".into(), deploy("other"))],
        map_metric: vec![],
    };
    let e = err("d.yaml", &deploy("web"), None, &opts);
    assert!(
        e[0].starts_with(
            "t.yaml: document 1 (Deployment other): --analysis files hold templates only"
        ),
        "{e:?}"
    );
}

#[test]
fn a_metric_mapping_nothing_uses_is_an_error() {
    let opts = Options {
        analysis: vec![("t.yaml".into(), TEMPLATE.into())],
        map_metric: vec![MetricMapping::parse("success-rate/error-ratio=error_ratio").unwrap()],
    };
    assert_eq!(
        err("d.yaml", &deploy("web"), None, &opts),
        [
            "--map-metric: success-rate/error-ratio=error_ratio: no metric error-ratio of a template success-rate was read for the policy; nothing it maps is used"
        ]
    );
}

#[test]
fn metric_mappings_are_template_slash_metric_equals_kind() {
    let m = MetricMapping::parse("success-rate/p99 = latency_p99_ms").unwrap();
    assert_eq!(
        (m.template.as_str(), m.metric.as_str(), m.kind.as_str()),
        ("success-rate", "p99", "latency_p99_ms")
    );
    for (bad, why) in [
        (
            "success-rate=error_ratio",
            "no `/` between the template and the metric",
        ),
        ("a/b", "no `=`"),
        ("/b=k", "the template is empty"),
        ("a/=k", "the metric is empty"),
        ("a/b=", "the KIND is empty"),
    ] {
        let e = MetricMapping::parse(bad).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "--map-metric {bad}: {why}; write TEMPLATE/METRIC=KIND"
            )),
            "{e}"
        );
    }
}

#[test]
fn a_bound_from_doc_enforces_is_reported_at_the_manifest_field() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  minReadySeconds: 3000000\n  progressDeadlineSeconds: 3000001\n";
    let i = import("d.yaml", text, None, &Options::default()).unwrap();
    let e = crate::Policy::from_doc(&i.doc()).unwrap_err();
    assert_eq!(
        i.locate(e).to_string(),
        "d.yaml: document 1 (Deployment web): spec.minReadySeconds: must be at most 2592000, found 3000000"
    );
    // A problem an override caused stays the override's.
    let mut doc = i.doc();
    doc.set("min_ready_seconds", "5").unwrap();
    doc.set("max_surge", "\"x\"").unwrap();
    let e = crate::Policy::from_doc(&doc).unwrap_err();
    let located = i.locate(e).to_string();
    assert!(located.starts_with("--set: max_surge: "), "{located}");
}

#[test]
fn manifests_are_told_from_rollcage_files() {
    assert!(is_manifest("a.yaml", ""));
    assert!(is_manifest("A.YML", ""));
    assert!(!is_manifest("a.toml", "kind = \"rolling\""));
    assert!(is_manifest(
        "d.json",
        r#"{"apiVersion": "apps/v1", "kind": "Deployment"}"#
    ));
    assert!(is_manifest("c.json", r#"{"deploymentConfigInfo": {}}"#));
    assert!(is_manifest(
        "c.json",
        r#"{"schema_version": 1, "deploymentGroup": {}}"#
    ));
    // rollcage's own JSON export has a kind but no apiVersion.
    assert!(!is_manifest(
        "p.json",
        r#"{"schema_version": 1, "kind": "rolling"}"#
    ));
    assert!(is_manifest("broken.json", r#"{"apiVersion": "#));
    assert!(!is_manifest("broken.json", r#"{"kind": "#));
}

#[test]
fn validate_accepts_a_file_of_templates() {
    assert_eq!(
        validate("t.yaml", TEMPLATE, &Options::default()),
        Ok(Validated::Templates(vec![
            "document 1 (AnalysisTemplate success-rate)".into()
        ]))
    );
    assert!(matches!(
        validate("d.yaml", &deploy("web"), &Options::default()),
        Ok(Validated::Policy(_))
    ));
    assert!(
        validate(
            "s.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n",
            &Options::default()
        )
        .is_err()
    );
}

/// YAML aliases that expand exponentially (a "billion laughs") are refused by the
/// parser's repetition limit, not expanded.
#[test]
fn alias_bombs_are_refused_not_expanded() {
    let mut text =
        String::from("apiVersion: v1\nkind: X\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
            p = i - 1
        ));
    }
    let e = err("bomb.yaml", &text, None, &Options::default());
    assert!(
        e[0].starts_with("bomb.yaml: document 1: not valid YAML: "),
        "{e:?}"
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    const EXAMPLE: &str = include_str!("../../../examples/manifests/deployment.yaml");
    const CODEDEPLOY: &str = include_str!("../../../examples/manifests/codedeploy.json");

    fn read_all(file: &str, text: &str) {
        if let Ok(i) = import(file, text, None, &Options::default()) {
            let _ = crate::Policy::from_doc(&i.doc()).map_err(|ps| i.locate(ps));
        }
        let _ = validate(file, text, &Options::default());
        let _ = is_manifest(file, text);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// A manifest with bytes replaced, cut short or spliced gives a policy or
        /// problems, never a panic.
        #[test]
        fn mutated_manifests_are_read_or_refused(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            cut in any::<prop::sample::Index>(),
            json in any::<bool>(),
        ) {
            let (file, source) = if json { ("c.json", CODEDEPLOY) } else { ("d.yaml", EXAMPLE) };
            let mut bytes = source.as_bytes().to_vec();
            for (at, b) in edits {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            let text = String::from_utf8_lossy(&bytes);
            read_all(file, &text);
        }

        /// Values of any JSON type at the fields the readers map.
        #[test]
        fn any_value_at_a_mapped_field_is_read_or_refused(
            field in prop::sample::select(vec![
                "replicas", "minReadySeconds", "progressDeadlineSeconds", "paused", "strategy",
                "selector", "template", "revisionHistoryLimit",
            ]),
            value in prop::sample::select(vec![
                "null", "true", "-1", "0", "1.5", "1e300", "\"25%\"", "\"x\"", "[]", "[1, {a: b}]",
                "{}", "{type: Recreate}", "{rollingUpdate: {maxSurge: []}}", "99999999999999999999",
            ]),
        ) {
            let text = format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  {field}: {value}\n");
            read_all("d.yaml", &text);
        }
    }
}
