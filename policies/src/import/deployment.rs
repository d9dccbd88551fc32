//! `apps/v1` `Deployment` → a `rolling` policy.
//!
//! | field | rollcage |
//! |---|---|
//! | `metadata.name` | `name` (required, an RFC 1123 subdomain) |
//! | `spec.strategy.type` | `RollingUpdate` (default): the rolling policy; `Recreate`: `strategy = "recreate"` (every old pod gone, terminating ones included, before the new ReplicaSet is created) |
//! | `spec.strategy.rollingUpdate.maxSurge`, `.maxUnavailable` | `max_surge`, `max_unavailable`: a count or a whole percentage (`"25%"`), each `25%` when absent, as the API defaults them; validated as the API validates them |
//! | `spec.minReadySeconds` | `min_ready_seconds` (default 0) |
//! | `spec.progressDeadlineSeconds` | `progress_deadline_seconds` (default 600); more than 30 days reads as 30 days, which no run reaches |
//! | `spec.replicas` | not a policy key: the default of `plan --replicas` and `gate --replicas`; a run notes when the scenario's fleet differs |
//! | `spec.paused` | `true` refused (the Deployment would not roll out); `false` noted |
//! | `spec.selector`, `spec.template`, `spec.revisionHistoryLimit`, `metadata.*` but the name, `status` | noted |
//!
//! A Kubernetes Deployment has no health gates, no bake and never rolls back by itself
//! (it only reports a missed progress deadline), which is what the rolling policy does
//! with no gates: the imported policy is exactly that.

use config::Value;
use serde_json::Value as J;

use super::Context;
use super::node::Node;
use super::object::{self, INT32};
use crate::intstr::IntOrPercent;

/// The API's default for `maxSurge` and `maxUnavailable` (apps/v1 `SetDefaults_Deployment`).
const DEFAULT_FENCEPOST: &str = "25%";
/// The API's default `progressDeadlineSeconds`.
pub const DEFAULT_PROGRESS_DEADLINE_SECONDS: i64 = 600;

/// `maxSurge` / `maxUnavailable` as the API reads an IntOrString: a non-negative whole
/// number, or a string of digits and `%` (`IsValidPercent`); `"25"` and `"10.5%"` are
/// refused, as the API refuses them.
fn intstr(s: &Node<'_>, key: &str) -> Option<IntOrPercent> {
    let n = s.get(key)?;
    let parsed = match n.value() {
        J::Number(x) => match x.as_i64() {
            Some(i) if i < 0 => Err(format!("must not be negative, found {i}")),
            Some(i) => IntOrPercent::from_value(&Value::Integer(i)),
            None => Err(format!(
                "expected a count like 2 or a percentage like \"25%\", found {x}"
            )),
        },
        J::String(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => Err(format!(
            "{t:?} is a string of digits, which the API refuses: write {t} for a count or \"{t}%\" for a percentage"
        )),
        J::String(t) => IntOrPercent::parse(t),
        other => Err(format!(
            "expected a count like 2 or a percentage like \"25%\", found {}",
            super::manifest::describe(other)
        )),
    };
    match parsed {
        Ok(v) => Some(v),
        Err(why) => {
            n.refused(why);
            None
        }
    }
}

fn intstr_value(v: IntOrPercent) -> Value {
    match v {
        IntOrPercent::Int(n) => Value::Integer(n.into()),
        IntOrPercent::Percent(_) => Value::String(v.to_string()),
    }
}

/// Reads a Deployment into a rolling policy.
pub fn read(root: &Node<'_>, ctx: &mut Context<'_>) {
    let Some((name, spec)) = object::open(root, "a Deployment's spec holds its strategy") else {
        return;
    };
    let out = &mut ctx.out;
    out.put("kind", "rolling");
    if let Some(n) = &name {
        out.put("name", n.as_str());
    }

    // The strategy.
    let mut strategy = "RollingUpdate".to_string();
    let mut fenceposts = (
        IntOrPercent::parse(DEFAULT_FENCEPOST).expect("the default parses"),
        IntOrPercent::parse(DEFAULT_FENCEPOST).expect("the default parses"),
    );
    if let Some(st) = spec.map("strategy") {
        if let Some(t) = st.get("type") {
            match t.value().as_str() {
                Some("RollingUpdate") => {}
                Some("Recreate") => {
                    strategy = "Recreate".into();
                    out.set("strategy", "recreate", &t);
                }
                _ => t.problem(
                    "",
                    format!(
                        "must be RollingUpdate or Recreate, found {}",
                        super::manifest::describe(t.value())
                    ),
                ),
            }
        }
        if let Some(ru) = st.map("rollingUpdate") {
            if strategy == "Recreate" {
                ru.problem(
                    "",
                    "may not be given when the strategy type is Recreate (the API refuses it)",
                );
                ru.allow(&["maxSurge", "maxUnavailable"]);
            } else {
                let surge = intstr(&ru, "maxSurge");
                let unavailable = intstr(&ru, "maxUnavailable");
                if let Some(v) = surge {
                    fenceposts.0 = v;
                    out.origin(
                        "max_surge",
                        ru.findings().origin(),
                        &ru.key_path("maxSurge"),
                    );
                }
                if let Some(v) = unavailable {
                    fenceposts.1 = v;
                    out.origin(
                        "max_unavailable",
                        ru.findings().origin(),
                        &ru.key_path("maxUnavailable"),
                    );
                }
                let bad = (ru.has("maxSurge") && surge.is_none())
                    || (ru.has("maxUnavailable") && unavailable.is_none());
                if !bad {
                    if fenceposts.0.is_zero() && fenceposts.1.is_zero() {
                        ru.problem(
                            "maxUnavailable",
                            "may not be 0 when maxSurge is 0 (the API refuses it: the rollout could never move)",
                        );
                    }
                    if let IntOrPercent::Percent(p) = fenceposts.1
                        && p > 100.0
                    {
                        ru.problem(
                            "maxUnavailable",
                            format!(
                                "must not be greater than 100% (the API refuses it), found {p}%"
                            ),
                        );
                    }
                }
            }
        }
    }
    // Recreate has no fenceposts (the policy refuses them, as the API does).
    if strategy != "Recreate" {
        out.put("max_surge", intstr_value(fenceposts.0));
        out.put("max_unavailable", intstr_value(fenceposts.1));
    }

    // Timing.
    let min_ready = spec.int_in("minReadySeconds", "a whole number of seconds", INT32);
    if let Some(m) = min_ready {
        out.put("min_ready_seconds", m);
        out.origin(
            "min_ready_seconds",
            spec.findings().origin(),
            &spec.key_path("minReadySeconds"),
        );
    }
    object::progress_deadline(&spec, min_ready, "the API", out);

    // The fleet.
    object::replicas(&spec, "a Deployment", out);

    spec.refuse_true(
        "paused",
        "a paused Deployment does not roll out until it is resumed; rollcage simulates the rollout that starts at the release: remove paused (or set it to false)",
    );
    spec.note(
        "selector",
        "not simulated: it selects the Deployment's pods, and the simulated fleet is those pods",
    );
    spec.note(
        "template",
        "not simulated: the pods' image, resources, probes and the rest; how the pods behave (startup time, errors, latency, memory) is the scenario's baseline and candidate",
    );
    spec.note(
        "revisionHistoryLimit",
        "not simulated: old ReplicaSets kept for `kubectl rollout undo`; a rollout moves pods between the current ReplicaSet and the new one only",
    );

    let describe = |v: IntOrPercent| v.to_string();
    let mut description = if strategy == "Recreate" {
        format!(
            "Kubernetes Deployment {}: Recreate",
            name.as_deref().unwrap_or("(unnamed)")
        )
    } else {
        format!(
            "Kubernetes Deployment {}: {strategy}, maxSurge {}, maxUnavailable {}",
            name.as_deref().unwrap_or("(unnamed)"),
            describe(fenceposts.0),
            describe(fenceposts.1)
        )
    };
    if let Some(m) = min_ready.filter(|&m| m > 0) {
        description.push_str(&format!(", minReadySeconds {m}"));
    }
    out.put("description", description);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Options, Replicas, import};
    use crate::intstr::IntOrPercent::{Int, Percent};
    use crate::limits::MAX_WAIT_SECONDS;
    use crate::{Policy, PolicyKind};

    const HEAD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n";

    /// The policy a Deployment spec (indented under `spec:`) imports to, with its notes.
    fn read(spec: &str) -> Result<(Policy, crate::import::Import), Vec<String>> {
        let text = format!("{HEAD}{spec}");
        let strings = |ps: config::Problems| ps.0.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        let i = import("d.yaml", &text, None, &Options::default()).map_err(strings)?;
        let p = Policy::from_doc(&i.doc()).map_err(|ps| strings(i.locate(ps)))?;
        Ok((p, i))
    }

    fn rolling(spec: &str) -> crate::rolling::RollingSpec {
        match read(spec)
            .unwrap_or_else(|e| panic!("{spec}: {e:?}"))
            .0
            .kind
        {
            PolicyKind::Rolling(r) => r,
            other => panic!("{other:?}"),
        }
    }

    fn refused(spec: &str) -> Vec<String> {
        read(spec)
            .err()
            .unwrap_or_else(|| panic!("accepted: {spec}"))
    }

    const AT: &str = "d.yaml: document 1 (Deployment web)";

    #[test]
    fn an_empty_strategy_gets_the_api_defaults() {
        let r = rolling("  replicas: 4\n");
        assert_eq!(
            (r.step.max_surge, r.step.max_unavailable),
            (Percent(25.0), Percent(25.0))
        );
        assert_eq!(r.min_ready_seconds, 0.0);
        assert_eq!(r.progress_deadline_seconds, 600.0);
        assert!(r.gates.is_empty());
        assert_eq!(r.bake_seconds, 0.0);
        // One field given, the other defaulted.
        let r = rolling("  strategy:\n    rollingUpdate:\n      maxSurge: 0\n");
        assert_eq!(
            (r.step.max_surge, r.step.max_unavailable),
            (Int(0), Percent(25.0))
        );
        let r = rolling(
            "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxUnavailable: 0\n",
        );
        assert_eq!(
            (r.step.max_surge, r.step.max_unavailable),
            (Percent(25.0), Int(0))
        );
    }

    #[test]
    fn the_policy_is_named_and_described_after_the_deployment() {
        let (p, i) = read("  minReadySeconds: 10\n  strategy:\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}\n").unwrap();
        assert_eq!(p.name, "web");
        assert_eq!(
            p.description,
            "Kubernetes Deployment web: RollingUpdate, maxSurge 1, maxUnavailable 0, minReadySeconds 10"
        );
        assert_eq!(i.from, AT);
        assert!(i.notes.is_empty(), "{:?}", i.notes);
    }

    fn fenceposts(
        surge: &str,
        unavailable: &str,
    ) -> Result<(IntOrPercent, IntOrPercent), Vec<String>> {
        let spec = format!(
            "  strategy:\n    rollingUpdate:\n      maxSurge: {surge}\n      maxUnavailable: {unavailable}\n"
        );
        read(&spec).map(|(p, _)| match p.kind {
            PolicyKind::Rolling(r) => (r.step.max_surge, r.step.max_unavailable),
            _ => unreachable!(),
        })
    }

    #[test]
    fn percentages_follow_the_apis_intstr_rules() {
        assert_eq!(
            fenceposts("\"0%\"", "\"100%\""),
            Ok((Percent(0.0), Percent(100.0)))
        );
        assert_eq!(fenceposts("25%", "0"), Ok((Percent(25.0), Int(0))));
        assert_eq!(fenceposts("25", "\"25%\""), Ok((Int(25), Percent(25.0))));
        let at = format!("{AT}: spec.strategy.rollingUpdate");
        assert_eq!(
            fenceposts("\"25\"", "0"),
            Err(vec![format!(
                "{at}.maxSurge: \"25\" is a string of digits, which the API refuses: write 25 for a count or \"25%\" for a percentage"
            )])
        );
        assert_eq!(
            fenceposts("10.5%", "0"),
            Err(vec![format!(
                "{at}.maxSurge: \"10.5%\" is not a whole percentage; Kubernetes takes whole numbers only, e.g. \"25%\""
            )])
        );
        assert_eq!(
            fenceposts("1.5", "0"),
            Err(vec![format!(
                "{at}.maxSurge: expected a count like 2 or a percentage like \"25%\", found 1.5"
            )])
        );
        assert_eq!(
            fenceposts("-1", "0"),
            Err(vec![format!(
                "{at}.maxSurge: must not be negative, found -1"
            )])
        );
        assert_eq!(
            fenceposts("true", "0"),
            Err(vec![format!(
                "{at}.maxSurge: expected a count like 2 or a percentage like \"25%\", found true"
            )])
        );
        // maxUnavailable stops at 100%; maxSurge may go past it (to rollcage's 1000%).
        assert_eq!(
            fenceposts("0", "\"101%\""),
            Err(vec![format!(
                "{at}.maxUnavailable: must not be greater than 100% (the API refuses it), found 101%"
            )])
        );
        assert_eq!(fenceposts("\"1000%\"", "0"), Ok((Percent(1000.0), Int(0))));
        assert_eq!(
            fenceposts("\"1001%\"", "0"),
            Err(vec![format!(
                "{at}.maxSurge: must be at most 1000%, found 1001%"
            )])
        );
        // Counts: up to the largest fleet, refused one past it at the manifest field.
        assert_eq!(fenceposts("10000", "0"), Ok((Int(10000), Int(0))));
        assert_eq!(
            fenceposts("10001", "0"),
            Err(vec![format!(
                "{at}.maxSurge: must be at most 10000 pods, found 10001"
            )])
        );
    }

    #[test]
    fn both_fenceposts_zero_is_refused_as_the_api_refuses_it() {
        let at = format!("{AT}: spec.strategy.rollingUpdate.maxUnavailable");
        let want = vec![format!(
            "{at}: may not be 0 when maxSurge is 0 (the API refuses it: the rollout could never move)"
        )];
        assert_eq!(fenceposts("0", "0"), Err(want.clone()));
        assert_eq!(fenceposts("\"0%\"", "0"), Err(want.clone()));
        assert_eq!(fenceposts("0", "\"0%\""), Err(want));
        assert_eq!(fenceposts("0", "1"), Ok((Int(0), Int(1))));
        assert_eq!(fenceposts("\"1%\"", "0"), Ok((Percent(1.0), Int(0))));
    }

    #[test]
    fn recreate_is_the_rolling_policys_recreate_strategy() {
        let (p, i) = read("  strategy:\n    type: Recreate\n  minReadySeconds: 5\n").unwrap();
        let PolicyKind::Rolling(r) = p.kind else {
            unreachable!()
        };
        assert_eq!(r.strategy, crate::k8s::StrategyType::Recreate);
        assert_eq!(r.min_ready_seconds, 5.0);
        assert_eq!(
            p.description,
            "Kubernetes Deployment web: Recreate, minReadySeconds 5"
        );
        assert!(i.notes.is_empty(), "{:?}", i.notes);
        assert_eq!(
            rolling("  strategy:\n    type: RollingUpdate\n").strategy,
            crate::k8s::StrategyType::RollingUpdate
        );
        let e = refused("  strategy:\n    type: Recreate\n    rollingUpdate: {maxSurge: 1}\n");
        assert!(
            e.contains(&format!(
                "{AT}: spec.strategy.rollingUpdate: may not be given when the strategy type is Recreate (the API refuses it)"
            )),
            "{e:?}"
        );
        assert_eq!(
            refused("  strategy:\n    type: BlueGreen\n"),
            [format!(
                "{AT}: spec.strategy.type: must be RollingUpdate or Recreate, found \"BlueGreen\""
            )]
        );
    }

    #[test]
    fn timing_fields_map_with_the_apis_rules() {
        let r = rolling("  minReadySeconds: 30\n  progressDeadlineSeconds: 31\n");
        assert_eq!(
            (r.min_ready_seconds, r.progress_deadline_seconds),
            (30.0, 31.0)
        );
        assert_eq!(
            refused("  minReadySeconds: 30\n  progressDeadlineSeconds: 30\n"),
            [format!(
                "{AT}: spec.progressDeadlineSeconds: must be greater than minReadySeconds (30), as the API requires; found 30"
            )]
        );
        assert_eq!(
            refused("  progressDeadlineSeconds: 0\n"),
            [format!(
                "{AT}: spec.progressDeadlineSeconds: must be greater than minReadySeconds (0), as the API requires; found 0"
            )]
        );
        assert_eq!(
            refused("  minReadySeconds: -1\n"),
            [format!(
                "{AT}: spec.minReadySeconds: must be at least 0, found -1"
            )]
        );
        assert_eq!(
            refused("  minReadySeconds: 1.5\n"),
            [format!(
                "{AT}: spec.minReadySeconds: expected a whole number of seconds, found 1.5"
            )]
        );
        // rollcage's own bound, reported at the manifest's field.
        assert!(
            rolling("  minReadySeconds: 2592000\n  progressDeadlineSeconds: 2592001\n")
                .min_ready_seconds
                == 2_592_000.0
        );
        assert_eq!(
            refused("  minReadySeconds: 2592001\n  progressDeadlineSeconds: 2592002\n"),
            [format!(
                "{AT}: spec.minReadySeconds: must be at most 2592000, found 2592001"
            )]
        );
    }

    #[test]
    fn a_deadline_past_every_run_reads_as_the_longest_one() {
        // Kubernetes' "never time out" idiom, the largest int32.
        let (p, i) = read("  progressDeadlineSeconds: 2147483647\n").unwrap();
        let PolicyKind::Rolling(r) = p.kind else {
            unreachable!()
        };
        assert_eq!(r.progress_deadline_seconds, MAX_WAIT_SECONDS);
        assert_eq!(i.notes.len(), 1);
        assert!(i.notes[0].to_string().starts_with(&format!(
            "{AT}: spec.progressDeadlineSeconds: 2147483647 s is beyond"
        )));
        // Exactly 30 days is taken as it is.
        let r = rolling("  progressDeadlineSeconds: 2592000\n");
        assert_eq!(r.progress_deadline_seconds, 2_592_000.0);
        assert_eq!(
            refused("  progressDeadlineSeconds: 2147483648\n"),
            [format!(
                "{AT}: spec.progressDeadlineSeconds: must be at most 2147483647, found 2147483648"
            )]
        );
    }

    #[test]
    fn replicas_is_the_fleet_the_manifest_asks_for() {
        let (_, i) = read("  replicas: 12\n").unwrap();
        assert_eq!(
            i.replicas,
            Some(Replicas {
                count: 12,
                origin: format!("{AT}: spec.replicas")
            })
        );
        let (_, i) = read("  replicas: 0\n").unwrap();
        assert_eq!(i.replicas, None);
        assert!(
            i.notes[0]
                .to_string()
                .contains("spec.replicas: 0: a Deployment scaled to zero")
        );
        let (_, i) = read("  replicas: 10000\n").unwrap();
        assert_eq!(i.replicas.unwrap().count, 10000);
        assert_eq!(
            refused("  replicas: 10001\n"),
            [format!(
                "{AT}: spec.replicas: must be at most 10000, the largest fleet rollcage simulates; found 10001"
            )]
        );
        assert_eq!(
            refused("  replicas: -1\n"),
            [format!("{AT}: spec.replicas: must be at least 0, found -1")]
        );
        let (_, i) = read("  selector: {matchLabels: {app: web}}\n").unwrap();
        assert_eq!(i.replicas, None);
    }

    #[test]
    fn paused_true_is_refused_and_false_noted() {
        assert_eq!(
            refused("  paused: true\n"),
            [format!(
                "{AT}: spec.paused: a paused Deployment does not roll out until it is resumed; rollcage simulates the rollout that starts at the release: remove paused (or set it to false)"
            )]
        );
        let (_, i) = read("  paused: false\n").unwrap();
        assert_eq!(
            i.notes[0].to_string(),
            format!("{AT}: spec.paused: not simulated: false is the default")
        );
        assert_eq!(
            refused("  paused: sometimes\n"),
            [format!(
                "{AT}: spec.paused: expected true or false, found \"sometimes\""
            )]
        );
    }

    /// What `kubectl get deployment -o yaml` prints: every field is mapped or noted.
    #[test]
    fn a_live_objects_bookkeeping_is_noted_field_by_field() {
        let text = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  annotations: {deployment.kubernetes.io/revision: \"3\"}
  uid: 0d4f
  resourceVersion: \"123\"
  generation: 3
  creationTimestamp: \"2024-01-01T00:00:00Z\"
  managedFields: [{manager: kubectl}]
spec:
  replicas: 3
  revisionHistoryLimit: 10
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web:1}]
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}}
  progressDeadlineSeconds: 600
status:
  replicas: 3
";
        let i = import("d.yaml", text, None, &Options::default()).unwrap();
        let keys: Vec<&str> = i.notes.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "metadata.namespace",
                "metadata.labels",
                "metadata.annotations",
                "metadata.uid",
                "metadata.resourceVersion",
                "metadata.generation",
                "metadata.creationTimestamp",
                "metadata.managedFields",
                "status",
                "spec.selector",
                "spec.template",
                "spec.revisionHistoryLimit",
            ]
        );
        assert!(
            i.notes
                .iter()
                .all(|n| n.origin == "d.yaml: document 1 (Deployment web)")
        );
        assert!(
            i.notes
                .iter()
                .all(|n| n.text.starts_with("not simulated: ")),
            "{:?}",
            i.notes
        );
    }

    #[test]
    fn unknown_and_missing_fields_are_refused() {
        let e = refused("  replica: 3\n");
        assert!(
            e[0].starts_with(&format!(
                "{AT}: spec.replica: unknown field (did you mean `replicas`?)"
            )),
            "{e:?}"
        );
        let e = refused("  strategy:\n    rollingUpdate:\n      maxSurg: 1\n");
        assert!(e[0].starts_with(&format!("{AT}: spec.strategy.rollingUpdate.maxSurg: unknown field (did you mean `maxSurge`?)")), "{e:?}");
        let text =
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {generateName: web-}\nspec: {}\n";
        let e = import("d.yaml", text, None, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("d.yaml: document 1 (Deployment): metadata.name: missing: generateName leaves the name"), "{e}");
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: Web}\n";
        let e = import("d.yaml", text, None, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("d.yaml: document 1 (Deployment Web): metadata.name: \"Web\" is not a valid object name: it has 'W' at position 1, which is uppercase"), "{e}");
        assert!(e.contains("d.yaml: document 1 (Deployment Web): spec: missing: a Deployment's spec holds its strategy"), "{e}");
    }
}
