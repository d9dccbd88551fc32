//! Power analysis (`rollcage power`, docs/power.md): how likely a policy, and each of
//! its gates, is to detect a regression of a given size before the candidate is
//! promoted, how long it takes, and the smallest regression it detects with 80% and
//! 95% power.
//!
//! `detect` reads one run's detections from its record, `estimate` turns the runs at
//! one effect size into a power with its Wilson interval and finds the minimum
//! detectable effect, `effect` names the keys that can be swept and says an effect in
//! words. The files are `artifacts::power_runs_csv`, `power_csv` and `power_json`.

pub mod detect;
pub mod effect;
pub mod estimate;

use serde::{Deserialize, Serialize};

use crate::stats::bootstrap_rng;
pub use detect::{Detection, RunDetections};
pub use effect::EffectKey;
pub use estimate::{Mde, POWER_TARGETS, PointEstimate};

/// The detector name of the policy as a whole in the files; a gate's is `gate:NAME`,
/// as its detections are named in `events.csv`.
pub const POLICY_DETECTOR: &str = "policy";

/// The detector name of gate `name`.
pub fn gate_detector(name: &str) -> String {
    format!("gate:{name}")
}

/// One detector over every effect size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectorPower {
    /// `policy`, or `gate:NAME`.
    pub detector: String,
    /// One per point, the no-regression point first.
    pub points: Vec<PointEstimate>,
    /// The minimum detectable effect at 80% and at 95% power (`POWER_TARGETS`).
    pub mde_80: Mde,
    pub mde_95: Mde,
}

impl DetectorPower {
    pub fn new(detector: String, points: Vec<PointEstimate>) -> DetectorPower {
        DetectorPower {
            mde_80: estimate::mde(&points, POWER_TARGETS[0]),
            mde_95: estimate::mde(&points, POWER_TARGETS[1]),
            detector,
            points,
        }
    }

    /// The MDE at `POWER_TARGETS[i]`.
    pub fn mde(&self, i: usize) -> Mde {
        if i == 0 { self.mde_80 } else { self.mde_95 }
    }
}

/// What the estimates are of: where the bootstrap's seed comes from.
#[derive(Clone, Copy, Debug)]
pub struct Identity<'a> {
    pub master_seed: u64,
    pub scenario: &'a str,
    pub policy: &'a str,
    pub resamples: usize,
}

/// Every detector's power: the policy's first, then each gate's in `gates` order.
/// `runs[p]` holds point `p`'s runs in replicate order; `values[p]` is its key value
/// and `baseline` the no-regression value. The bootstrap of each median is seeded from
/// the master seed, the scenario, the policy, the detector and the point, so the
/// figures do not depend on the thread count.
pub fn summarise(
    runs: &[Vec<RunDetections>],
    values: &[f64],
    baseline: f64,
    gates: &[String],
    id: Identity<'_>,
) -> Vec<DetectorPower> {
    let detector = |name: String, pick: &dyn Fn(&RunDetections) -> Option<Detection>| {
        let points = runs
            .iter()
            .zip(values)
            .enumerate()
            .map(|(p, (point_runs, &value))| {
                let ds: Vec<Option<Detection>> = point_runs.iter().map(pick).collect();
                let point = p.to_string();
                let mut rng = bootstrap_rng(
                    id.master_seed,
                    &["power", id.scenario, id.policy, &name, &point],
                );
                estimate::estimate_point(p, value, value - baseline, &ds, id.resamples, &mut rng)
            })
            .collect();
        DetectorPower::new(name, points)
    };
    let mut out = vec![detector(POLICY_DETECTOR.into(), &|r| r.policy)];
    for (i, g) in gates.iter().enumerate() {
        out.push(detector(gate_detector(g), &|r| r.gates[i]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_detector_gets_every_point_in_order() {
        let hit = |s| {
            Some(Detection {
                after_s: s,
                weight: Some(0.1),
            })
        };
        let run = |policy, gate| RunDetections {
            policy,
            gates: vec![gate],
        };
        let runs = vec![
            vec![run(None, None), run(None, hit(10.0))],
            vec![run(hit(20.0), hit(15.0)), run(hit(40.0), hit(35.0))],
        ];
        let id = Identity {
            master_seed: 1,
            scenario: "s",
            policy: "p",
            resamples: 100,
        };
        let out = summarise(&runs, &[0.0, 0.01], 0.0, &["errors".into()], id);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].detector, "policy");
        assert_eq!(out[1].detector, "gate:errors");
        let powers: Vec<Vec<u64>> = out
            .iter()
            .map(|d| d.points.iter().map(|p| p.power.k).collect())
            .collect();
        assert_eq!(powers, [vec![0, 2], vec![1, 2]]);
        assert_eq!(out[0].points[1].detect_p50_s.unwrap().value, 30.0);
        assert_eq!(out[0].points[1].effect, 0.01);
        // The policy reaches 80% between no regression (0%) and 0.01 (100%).
        assert!(
            matches!(out[0].mde_80, Mde::Within { effect, .. } if (effect - 0.008).abs() < 1e-12)
        );
        // The gate already fails half the good runs: 50% at no regression.
        assert!(
            matches!(out[1].mde_80, Mde::Within { effect, .. } if (effect - 0.006).abs() < 1e-12)
        );
        // Same inputs, same bytes: the bootstrap is seeded from the identity.
        assert_eq!(
            out,
            summarise(&runs, &[0.0, 0.01], 0.0, &["errors".into()], id)
        );
    }
}
