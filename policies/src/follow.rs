//! Following the workload's replicas (`Observation::desired`, which an autoscaler
//! changes): the two helpers the controllers that set ReplicaSet counts directly share.
//! A sync may already have asked for a count; the helpers read that one, so a
//! controller that follows after its own step never asks for a count twice.

use sim_core::{Actions, Command, Observation, Version};

/// `v`'s spec as this sync leaves it: the last count asked for, else the observed one.
pub(crate) fn spec_after(obs: &Observation<'_>, act: &Actions, v: Version) -> u32 {
    act.commands
        .iter()
        .rev()
        .find_map(|c| match c {
            Command::SetReplicas { version, count } if *version == v => Some(*count),
            _ => None,
        })
        .unwrap_or(obs.cohort(v).spec)
}

/// `v` takes the workload's replicas.
pub(crate) fn follow(obs: &Observation<'_>, act: &mut Actions, v: Version) {
    if spec_after(obs, act, v) != obs.desired {
        act.set_replicas(v, obs.desired);
    }
}
