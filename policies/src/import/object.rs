//! What the Kubernetes kinds that hold a policy (Deployment, Rollout, Canary) read
//! alike before their strategies differ: `metadata` and `status` (`meta`), the
//! required `spec`, the range of an `int32` field, a workload's `spec.replicas`, and
//! its `progressDeadlineSeconds`.
//! One reading each, so the three kinds report a missing spec or an oversized fleet
//! in the same words.

use super::Replicas;
use super::meta;
use super::node::Node;
use super::policy_doc::PolicyDoc;
use crate::limits::{MAX_PODS, MAX_WAIT_SECONDS};

/// A field of type `int32` that must not be negative (`ValidateNonnegativeField`).
pub const INT32: std::ops::RangeInclusive<i64> = 0..=i32::MAX as i64;

/// Reads `metadata` (the object's name) and notes `status`, then takes `spec`, which
/// must be a mapping. `missing` says what the spec holds, for the problem when it is
/// absent ("a Rollout's spec holds its strategy"). `None` when there is no spec to
/// read: the problem is already reported (a spec of the wrong type is reported by
/// `Node::map`).
pub fn open<'a>(root: &Node<'a>, missing: &str) -> Option<(Option<String>, Node<'a>)> {
    let name = meta::read(root);
    meta::status(root);
    let Some(spec) = root.map("spec") else {
        if !root.has("spec") {
            root.problem("spec", format!("missing: {missing}"));
        }
        return None;
    };
    Some((name, spec))
}

/// A workload's `spec.replicas`: the default of `plan --replicas` and `gate
/// --replicas`, kept in `out.replicas` when rollcage can simulate that fleet. Zero is
/// noted (nothing rolls out, so the scenario's fleet stands) and more than `MAX_PODS`
/// refused. `kind` names the object in the note ("a Deployment"). Returns the count as
/// written, whether kept or not.
pub fn replicas(spec: &Node<'_>, kind: &str, out: &mut PolicyDoc) -> Option<i64> {
    let r = spec.int_in("replicas", "a whole number of pods", INT32)?;
    let path = spec.key_path("replicas");
    if r == 0 {
        spec.findings().note(
            &path,
            format!(
                "0: {kind} scaled to zero rolls nothing out; the simulation uses the scenario's fleet, and plan and gate need --replicas"
            ),
        );
    } else if r > MAX_PODS as i64 {
        spec.problem(
            "replicas",
            format!("must be at most {MAX_PODS}, the largest fleet rollcage simulates; found {r}"),
        );
    } else {
        out.replicas = Some(Replicas {
            count: r as u32,
            origin: format!("{}: {path}", spec.findings().origin()),
        });
    }
    Some(r)
}

/// `spec.progressDeadlineSeconds` of a Deployment or a Rollout, set as
/// `progress_deadline_seconds`: it must exceed `minReadySeconds` (`min_ready`), as both
/// APIs require (`whose` names the validation in the problem), and a deadline past the
/// longest run is read as that (noted), since no run reaches it either way.
pub fn progress_deadline(
    spec: &Node<'_>,
    min_ready: Option<i64>,
    whose: &str,
    out: &mut PolicyDoc,
) {
    const KEY: &str = "progressDeadlineSeconds";
    let Some(d) = spec.int_in(KEY, "a whole number of seconds", INT32) else {
        return;
    };
    let floor = min_ready.unwrap_or(0);
    if d <= floor {
        spec.problem(
            KEY,
            format!(
                "must be greater than minReadySeconds ({floor}), as {whose} requires; found {d}"
            ),
        );
    } else if d as f64 > MAX_WAIT_SECONDS {
        spec.findings().note(
            &spec.key_path(KEY),
            format!(
                "{d} s is beyond the longest run (30 days): read as {MAX_WAIT_SECONDS} s, a deadline no run reaches, as yours is"
            ),
        );
        out.put("progress_deadline_seconds", MAX_WAIT_SECONDS as i64);
    } else {
        let at = spec.get(KEY).expect("just read");
        out.set("progress_deadline_seconds", d, &at);
    }
}
