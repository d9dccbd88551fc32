//! Typed identifiers: newtypes that index the engine's vectors.

use std::fmt;
use std::num::NonZeroU16;

/// Index of an instance (a pod) in the world's instance table. Never reused within a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(pub u32);

impl InstanceId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "i{}", self.0)
    }
}

/// The id of a fault in the scenario's fault table. `Option<FaultId>` is two bytes, and a
/// bad event without a fault (background noise, the rollout's own cost) carries `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FaultId(NonZeroU16);

impl FaultId {
    /// The fault at position `index` of the fault table.
    pub fn from_index(index: usize) -> FaultId {
        let raw = u16::try_from(index + 1).expect("more than 65534 faults");
        FaultId(NonZeroU16::new(raw).expect("index + 1 is non-zero"))
    }

    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// Which release an instance runs. rollcage models one change: from the baseline (the
/// version in production) to the candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    Baseline,
    Candidate,
}

impl Version {
    pub const ALL: [Version; 2] = [Version::Baseline, Version::Candidate];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn other(self) -> Version {
        match self {
            Version::Baseline => Version::Candidate,
            Version::Candidate => Version::Baseline,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Version::Baseline => "baseline",
            Version::Candidate => "candidate",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_id_round_trips_and_is_small() {
        assert_eq!(FaultId::from_index(0).index(), 0);
        assert_eq!(FaultId::from_index(41).index(), 41);
        assert_eq!(std::mem::size_of::<Option<FaultId>>(), 2);
    }
}
