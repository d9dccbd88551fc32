//! `metadata` (ObjectMeta), read the same way for every kind: the name is the policy's
//! (or the template's) name; every other field is noted, since none of them changes
//! what a controller does during a rollout.

use super::node::Node;
use crate::k8s_names::DnsSubdomain;

/// What the API server keeps on an object (what `kubectl get -o yaml` prints beside
/// the configuration).
const BOOKKEEPING: [&str; 10] = [
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "selfLink",
    "managedFields",
    "ownerReferences",
    "finalizers",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Reads `metadata`, noting every field but the name, and returns the name: required
/// (it names the policy in every report) and an RFC 1123 subdomain, as the API checks
/// object names.
pub fn read(root: &Node<'_>) -> Option<String> {
    let Some(meta) = root.map("metadata") else {
        if !root.has("metadata") {
            root.problem("metadata", "missing: the object's name names the policy");
        }
        return None;
    };
    let name = meta.str("name").map(str::to_string);
    match &name {
        None if !meta.has("name") => {
            let why = if meta.has("generateName") {
                "missing: generateName leaves the name to the API server, and rollcage names the policy after it; give a name"
            } else {
                "missing: the object's name names the policy"
            };
            meta.problem("name", why);
        }
        Some(n) => {
            if let Err(e) = DnsSubdomain::new(n) {
                meta.problem("name", format!("{n:?} is not a valid object name: it {e}"));
            }
        }
        None => {}
    }
    meta.note(
        "generateName",
        "not simulated: the name prefix the API server would complete; the policy is named after metadata.name",
    );
    meta.note(
        "namespace",
        "not simulated: the namespace an object lives in does not change its rollout",
    );
    meta.note(
        "labels",
        "not simulated: labels describe and select objects; the controllers rollcage follows do not read them to decide a rollout",
    );
    meta.note(
        "annotations",
        "not simulated: annotations carry tools' notes; the controllers rollcage follows do not read them to decide a rollout",
    );
    for key in BOOKKEEPING {
        meta.note(
            key,
            "not simulated: kept by the API server (what `kubectl get -o yaml` prints), not configuration",
        );
    }
    name
}

/// Notes `status` on a root: what the cluster observed, not configuration.
pub fn status(root: &Node<'_>) {
    root.note(
        "status",
        "not simulated: the state the cluster observed (what `kubectl get -o yaml` prints), not configuration; the simulation starts from its own",
    );
}
