//! Random streams.
//!
//! Every run derives its generators from (master seed, scenario index, replicate index)
//! and never from the policy, so two policies compared on the same replicate see the
//! same traffic and the same fault draws (common random numbers). Each purpose has its
//! own ChaCha stream: a model that draws one extra number for routing does not shift
//! the arrival times. A stream serves one kind of cause, too: the environment's draws
//! (arrival times, session arrivals, the kill schedule) never share a stream with
//! draws whose number depends on the release (pods created, requests served), so a
//! run and its counterfactual twin without the release (`rollcage run
//! --counterfactual`) face the same arrivals and the same kills.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for; the discriminant is the ChaCha stream number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Arrivals = 1,
    Service = 2,
    Routing = 3,
    Faults = 4,
    Lifecycle = 5,
    Sessions = 6,
    Requests = 7,
    /// The kill schedule of instance-kill faults: the gaps between kills and the
    /// victims. Apart from `Faults` because a pod created by the release draws its
    /// fault targeting from `Faults`, which would shift every later kill.
    Kills = 8,
    /// Session arrivals and each session's request count. Apart from `Sessions`
    /// (think times, drawn when a request ends, so as many and as early as the fleet
    /// serves them) so that session arrivals do not depend on how the fleet served.
    SessionArrivals = 9,
}

/// The seed material of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSeed {
    pub master: u64,
    pub scenario: u64,
    pub replicate: u64,
}

impl RunSeed {
    pub fn new(master: u64, scenario: u64, replicate: u64) -> Self {
        RunSeed {
            master,
            scenario,
            replicate,
        }
    }

    /// The 256-bit ChaCha key of this run: the three inputs mixed by SplitMix64 so that
    /// neighbouring seeds give unrelated keys.
    fn key(&self) -> [u8; 32] {
        let mut state = self.master ^ 0x6a09_e667_f3bc_c908;
        let mut key = [0u8; 32];
        let words = [
            splitmix64(&mut state),
            splitmix64(&mut state) ^ self.scenario.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            splitmix64(&mut state) ^ self.replicate.wrapping_mul(0xbf58_476d_1ce4_e5b9),
            splitmix64(&mut state),
        ];
        for (chunk, w) in key.chunks_exact_mut(8).zip(words) {
            let mut s = w;
            chunk.copy_from_slice(&splitmix64(&mut s).to_le_bytes());
        }
        key
    }

    /// The generator for one purpose.
    pub fn stream(&self, purpose: Purpose) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::from_seed(self.key());
        rng.set_stream(purpose as u64);
        rng
    }

    /// A generator of its own for one named quantity, `label` being a hash of its name
    /// (an uncertain scenario parameter's key): the run's key mixed with the label, so
    /// each named quantity's draws depend on (master, scenario, replicate, name) and on
    /// nothing else — not on which other quantities exist, nor on the purposes'
    /// streams, which use the run's key unmixed.
    pub fn keyed_stream(&self, label: u64) -> ChaCha8Rng {
        let mut key = self.key();
        let mut state = label ^ 0xbb67_ae85_84ca_a73b;
        for chunk in key.chunks_exact_mut(8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let mixed = u64::from_le_bytes(word) ^ splitmix64(&mut state);
            chunk.copy_from_slice(&mixed.to_le_bytes());
        }
        ChaCha8Rng::from_seed(key)
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let s = RunSeed::new(7, 0, 3);
        let a: Vec<u64> = (0..4)
            .map(|_| s.stream(Purpose::Arrivals).next_u64())
            .collect();
        assert!(
            a.windows(2).all(|w| w[0] == w[1]),
            "same stream, same first draw"
        );
        let arr = s.stream(Purpose::Arrivals).next_u64();
        let svc = s.stream(Purpose::Service).next_u64();
        assert_ne!(arr, svc);
        let other_rep = RunSeed::new(7, 0, 4).stream(Purpose::Arrivals).next_u64();
        let other_scn = RunSeed::new(7, 1, 3).stream(Purpose::Arrivals).next_u64();
        let other_master = RunSeed::new(8, 0, 3).stream(Purpose::Arrivals).next_u64();
        assert_ne!(arr, other_rep);
        assert_ne!(arr, other_scn);
        assert_ne!(arr, other_master);
        let a = s.keyed_stream(1).next_u64();
        assert_eq!(a, s.keyed_stream(1).next_u64(), "keyed: reproducible");
        assert_ne!(a, s.keyed_stream(2).next_u64(), "keyed: one per label");
        assert_ne!(a, RunSeed::new(7, 0, 4).keyed_stream(1).next_u64());
        assert_ne!(s.keyed_stream(0).next_u64(), arr);
    }
}
