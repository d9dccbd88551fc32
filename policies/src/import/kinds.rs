//! The kinds rollcage reads, by `apiVersion` and `kind`: one row each. A kind that holds
//! a policy names the function that reads it; adding a kind is a module with that
//! function and a row here. Templates are kept for the policy that refers to them.
//! Companion kinds found beside a workload in real repositories are noted whole when
//! what they configure does not change the simulation, and refused whole when it would.

use super::Context;
use super::manifest::Document;
use super::node::Node;

/// Reads a policy-bearing document (its root node, `apiVersion` and `kind` already
/// read) into `ctx.out`.
pub type ReadPolicy = fn(&Node<'_>, &mut Context<'_>);

/// What a kind is to rollcage.
pub enum Role {
    /// Holds a policy, read by this function.
    Policy(ReadPolicy),
    /// Referred to by a policy (`templateRef`, `templateName`), and read by its reader.
    Template,
    /// Noted whole: why what it configures does not change the simulation.
    Noted(&'static str),
    /// Refused whole: why it would change the simulation, which rollcage does not model.
    Refused(&'static str),
}

pub struct Kind {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub role: Role,
}

/// Every kind rollcage reads.
pub const KINDS: &[Kind] = &[
    Kind {
        api_version: "apps/v1",
        kind: "Deployment",
        role: Role::Policy(super::deployment::read),
    },
    Kind {
        api_version: "argoproj.io/v1alpha1",
        kind: "Rollout",
        role: Role::Policy(super::argo_rollout::read),
    },
    Kind {
        api_version: "argoproj.io/v1alpha1",
        kind: "AnalysisTemplate",
        role: Role::Template,
    },
    Kind {
        api_version: "argoproj.io/v1alpha1",
        kind: "ClusterAnalysisTemplate",
        role: Role::Template,
    },
    Kind {
        api_version: "flagger.app/v1beta1",
        kind: "Canary",
        role: Role::Policy(super::flagger_canary::read),
    },
    Kind {
        api_version: "flagger.app/v1beta1",
        kind: "MetricTemplate",
        role: Role::Template,
    },
    Kind {
        api_version: "v1",
        kind: "Service",
        role: Role::Noted(
            "a Service routes requests to the pods; the scenario's load balancer is what routes them in the simulation",
        ),
    },
    Kind {
        api_version: "v1",
        kind: "ConfigMap",
        role: Role::Noted(
            "configuration for the pods; what a release changes is the scenario's candidate version",
        ),
    },
    Kind {
        api_version: "v1",
        kind: "ServiceAccount",
        role: Role::Noted("an identity for the pods; it does not take part in a rollout"),
    },
    Kind {
        api_version: "networking.k8s.io/v1",
        kind: "Ingress",
        role: Role::Noted(
            "routes outside requests to a Service; the scenario's traffic and load balancer stand for it",
        ),
    },
    Kind {
        api_version: "policy/v1",
        kind: "PodDisruptionBudget",
        role: Role::Noted(
            "limits evictions, which a Deployment's rollout does not go through (it scales ReplicaSets)",
        ),
    },
    Kind {
        api_version: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        role: Role::Refused(
            "an autoscaler changes the replica count during the rollout; rollcage's fleet is the scenario's fixed fleet.replicas, so remove the autoscaler from the file and set the fleet size in the scenario",
        ),
    },
    Kind {
        api_version: "autoscaling/v1",
        kind: "HorizontalPodAutoscaler",
        role: Role::Refused(
            "an autoscaler changes the replica count during the rollout; rollcage's fleet is the scenario's fixed fleet.replicas, so remove the autoscaler from the file and set the fleet size in the scenario",
        ),
    },
];

/// The row of a document's `apiVersion` and `kind`.
pub fn find(d: &Document) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.api_version == d.api_version && k.kind == d.kind)
}

fn names(pick: impl Fn(&Role) -> bool) -> String {
    KINDS
        .iter()
        .filter(|k| pick(&k.role))
        .map(|k| format!("{} {}", k.api_version, k.kind))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kinds that hold a policy, for messages.
pub fn policy_kinds() -> String {
    names(|r| matches!(r, Role::Policy(_)))
}

/// The template kinds, for messages.
pub fn template_kinds() -> String {
    names(|r| matches!(r, Role::Template))
}

/// Everything rollcage reads, for the message about a kind it does not.
pub fn readable() -> String {
    format!(
        "policies from {}; templates {}; and, noted or refused whole, {} (a CodeDeploy deployment configuration is JSON without apiVersion)",
        policy_kinds(),
        template_kinds(),
        names(|r| matches!(r, Role::Noted(_) | Role::Refused(_)))
    )
}
