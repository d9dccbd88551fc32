//! `power.csv` of a power analysis: one row per detector × effect point, the policy's
//! rows first, then each gate's. Columns: `detector` (`policy` or `gate:NAME`),
//! `point` (0 is no regression), `value` (the key's value), `effect` (value minus the
//! baseline's), `runs`, `detected`, `power` with its Wilson 95% interval (`power_lo`,
//! `power_hi`), the median time from the start of the change to detection over the
//! detecting runs with its bootstrap 95% interval (`detect_p50_s`, `_lo_s`, `_hi_s`)
//! and the median weight at detection (`weight_p50`). Definitions in docs/power.md.

use serde::{Deserialize, Serialize};

use super::{ArtifactError, cell, csv_from_bytes, csv_to_bytes};
use crate::power::DetectorPower;

pub const FILE_NAME: &str = "power.csv";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PowerRecord {
    pub detector: String,
    pub point: usize,
    #[serde(serialize_with = "cell::num6", deserialize_with = "cell::de")]
    pub value: f64,
    #[serde(serialize_with = "cell::num6", deserialize_with = "cell::de")]
    pub effect: f64,
    pub runs: u64,
    pub detected: u64,
    #[serde(serialize_with = "cell::num6", deserialize_with = "cell::de")]
    pub power: f64,
    #[serde(serialize_with = "cell::num6", deserialize_with = "cell::de")]
    pub power_lo: f64,
    #[serde(serialize_with = "cell::num6", deserialize_with = "cell::de")]
    pub power_hi: f64,
    #[serde(serialize_with = "cell::opt_num3", deserialize_with = "cell::de_opt")]
    pub detect_p50_s: Option<f64>,
    #[serde(serialize_with = "cell::opt_num3", deserialize_with = "cell::de_opt")]
    pub detect_p50_lo_s: Option<f64>,
    #[serde(serialize_with = "cell::opt_num3", deserialize_with = "cell::de_opt")]
    pub detect_p50_hi_s: Option<f64>,
    #[serde(serialize_with = "cell::opt_num6", deserialize_with = "cell::de_opt")]
    pub weight_p50: Option<f64>,
}

/// The rows of `detectors`, in their order, points in order.
pub fn records(detectors: &[DetectorPower]) -> Vec<PowerRecord> {
    detectors
        .iter()
        .flat_map(|d| {
            d.points.iter().map(|p| PowerRecord {
                detector: d.detector.clone(),
                point: p.point,
                value: p.value,
                effect: p.effect,
                runs: p.power.n,
                detected: p.power.k,
                power: p.power.rate,
                power_lo: p.power.lo,
                power_hi: p.power.hi,
                detect_p50_s: p.detect_p50_s.map(|e| e.value),
                detect_p50_lo_s: p.detect_p50_s.map(|e| e.lo),
                detect_p50_hi_s: p.detect_p50_s.map(|e| e.hi),
                weight_p50: p.weight_p50,
            })
        })
        .collect()
}

pub fn to_bytes(rows: &[PowerRecord]) -> Vec<u8> {
    csv_to_bytes(rows)
}

pub fn from_bytes(bytes: &[u8]) -> Result<Vec<PowerRecord>, ArtifactError> {
    Ok(csv_from_bytes(bytes)?.into_iter().map(|(_, r)| r).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::{Detection, Identity, RunDetections, summarise};

    #[test]
    fn rows_read_back_as_written() {
        let hit = Some(Detection {
            after_s: 42.0,
            weight: Some(0.25),
        });
        let run = |d| RunDetections {
            policy: d,
            gates: vec![d],
        };
        let runs = vec![vec![run(None), run(None)], vec![run(hit), run(None)]];
        let id = Identity {
            master_seed: 1,
            scenario: "s",
            policy: "p",
            resamples: 100,
        };
        let ds = summarise(&runs, &[0.0, 0.01], 0.0, &["e".into()], id);
        let rows = records(&ds);
        assert_eq!(rows.len(), 4);
        let b = to_bytes(&rows);
        let text = String::from_utf8(b.clone()).unwrap();
        assert!(
            text.starts_with(
                "detector,point,value,effect,runs,detected,power,power_lo,power_hi,detect_p50_s,\
             detect_p50_lo_s,detect_p50_hi_s,weight_p50\n\
             policy,0,0.000000,0.000000,2,0,0.000000,0.000000,0.657620,,,,\n\
             policy,1,0.010000,0.010000,2,1,0.500000,"
            ),
            "{text}"
        );
        assert!(
            text.contains(",42.000,42.000,42.000,0.250000\ngate:e,0,"),
            "{text}"
        );
        let back = from_bytes(&b).unwrap();
        assert_eq!(to_bytes(&back), b);
    }
}
