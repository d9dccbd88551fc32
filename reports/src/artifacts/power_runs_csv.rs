//! `power-runs.csv` of a power analysis: one row per run (effect point × replicate, in
//! that order), with when the policy and each gate detected and the weight then.
//! `power.csv` and `power.json` are computed from these rows as written (the rounded
//! text), so any path to the same rows gives the same summary. The columns depend on
//! the policy's gates: `point`, `value`, `replicate`, then `D.detect_s` and `D.weight`
//! for each detector `D` (`policy`, then `gate:NAME` in the policy's gate order);
//! empty cells where the detector did not detect (or the interval had no request).

use csv::StringRecord;

use super::ArtifactError;
use super::runs_csv::line;
use crate::format::{num, secs};
use crate::power::{Detection, POLICY_DETECTOR, RunDetections, gate_detector};

pub const FILE_NAME: &str = "power-runs.csv";
/// Rows stream here while runs go; renamed to `FILE_NAME` once complete.
pub const PARTIAL_FILE_NAME: &str = "power-runs.csv.partial";

/// The header for a policy with `gates`.
pub fn header(gates: &[String]) -> Vec<String> {
    let mut h = vec!["point".to_string(), "value".into(), "replicate".into()];
    let detectors =
        std::iter::once(POLICY_DETECTOR.to_string()).chain(gates.iter().map(|g| gate_detector(g)));
    for d in detectors {
        h.push(format!("{d}.detect_s"));
        h.push(format!("{d}.weight"));
    }
    h
}

/// One run.
#[derive(Clone, Debug, PartialEq)]
pub struct PowerRunRow {
    pub point: usize,
    /// The key's value at the point, written as Rust's shortest round-trip text.
    pub value: f64,
    pub replicate: u64,
    pub detections: RunDetections,
}

impl PowerRunRow {
    /// The row as a CSV line: times with 3 decimals, weights with 6.
    pub fn line(&self) -> Vec<u8> {
        let mut f = vec![
            self.point.to_string(),
            self.value.to_string(),
            self.replicate.to_string(),
        ];
        let d = &self.detections;
        for det in std::iter::once(&d.policy).chain(&d.gates) {
            f.push(secs(det.map(|d| d.after_s)));
            f.push(num(det.and_then(|d| d.weight)));
        }
        line(f)
    }

    /// Reads a record of a table whose header is `header(gates)` for `gates` gates.
    fn parse(rec: &StringRecord, gates: usize) -> Result<PowerRunRow, (usize, String)> {
        let at = |i: usize| rec.get(i).unwrap_or("");
        let number = |i: usize| -> Result<Option<f64>, (usize, String)> {
            let s = at(i);
            if s.is_empty() {
                return Ok(None);
            }
            match s.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                _ => Err((i, format!("not a number: {s:?}"))),
            }
        };
        let int = |i: usize| -> Result<u64, (usize, String)> {
            at(i)
                .parse()
                .map_err(|_| (i, format!("not an integer: {:?}", at(i))))
        };
        let point = int(0)? as usize;
        let value = number(1)?.ok_or((1, "empty, expected a number".to_string()))?;
        let replicate = int(2)?;
        let mut dets = Vec::with_capacity(gates + 1);
        for k in 0..=gates {
            let (t, w) = (3 + 2 * k, 4 + 2 * k);
            let after = number(t)?;
            let weight = number(w)?;
            if let Some(w) = weight
                && !(0.0..=1.0).contains(&w)
            {
                return Err((4 + 2 * k, format!("a weight is between 0 and 1, found {w}")));
            }
            dets.push(match after {
                Some(after_s) if after_s >= 0.0 => Some(Detection { after_s, weight }),
                Some(x) => {
                    return Err((
                        t,
                        format!("a time since the change started cannot be negative: {x}"),
                    ));
                }
                None if weight.is_some() => return Err((w, "a weight without a detection".into())),
                None => None,
            });
        }
        let policy = dets.remove(0);
        Ok(PowerRunRow {
            point,
            value,
            replicate,
            detections: RunDetections {
                policy,
                gates: dets,
            },
        })
    }
}

/// Reads `power-runs.csv` for a policy with `gates`: the header must be theirs, and
/// every row the run expected at its place (`points` points of `seeds` replicates,
/// point-major).
pub fn from_bytes(
    bytes: &[u8],
    gates: &[String],
    points: usize,
    seeds: u64,
) -> Result<Vec<PowerRunRow>, ArtifactError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    let mut rec = StringRecord::new();
    let expected = header(gates);
    let mut rows = Vec::new();
    let mut first = true;
    loop {
        match reader.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(super::csv_error(&e)),
        }
        let line = rec.position().map_or(0, |p| p.line());
        if first {
            first = false;
            if rec.iter().ne(expected.iter().map(String::as_str)) {
                return Err(ArtifactError::at_line(
                    1,
                    format!(
                        "the header is not this analysis's: expected {}",
                        expected.join(",")
                    ),
                ));
            }
            continue;
        }
        if rec.len() != expected.len() {
            return Err(ArtifactError::at_line(
                line,
                format!("{} fields, the header has {}", rec.len(), expected.len()),
            ));
        }
        let row = PowerRunRow::parse(&rec, gates.len()).map_err(|(i, reason)| ArtifactError {
            line: Some(line),
            column: Some(i as u64 + 1),
            field: Some(expected[i].clone()),
            reason,
        })?;
        let n = rows.len() as u64;
        let want = ((n / seeds) as usize, n % seeds);
        if (row.point, row.replicate) != want {
            return Err(ArtifactError::at_line(
                line,
                format!(
                    "point {} replicate {}, expected point {} replicate {}",
                    row.point, row.replicate, want.0, want.1
                ),
            ));
        }
        rows.push(row);
    }
    if first {
        return Err(ArtifactError::file("empty: no header"));
    }
    let want = points as u64 * seeds;
    if rows.len() as u64 != want {
        return Err(ArtifactError::file(format!(
            "{} runs, expected {points} points × {seeds} seeds = {want}",
            rows.len()
        )));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gates() -> Vec<String> {
        vec!["error-ratio".into(), "odd, name".into()]
    }

    fn rows() -> Vec<PowerRunRow> {
        let d = |after_s, weight| Some(Detection { after_s, weight });
        (0..2)
            .flat_map(|p| {
                (0..2).map(move |k| PowerRunRow {
                    point: p,
                    value: [0.0, 0.0025][p],
                    replicate: k,
                    detections: RunDetections {
                        policy: (p == 1).then_some(Detection {
                            after_s: 70.125,
                            weight: Some(0.1),
                        }),
                        gates: vec![d(40.5, None), None],
                    },
                })
            })
            .collect()
    }

    fn bytes(rows: &[PowerRunRow]) -> Vec<u8> {
        let mut b = line(header(&gates()));
        for r in rows {
            b.extend(r.line());
        }
        b
    }

    #[test]
    fn rows_read_back_as_written() {
        let b = bytes(&rows());
        let text = String::from_utf8(b.clone()).unwrap();
        assert!(
            text.starts_with(
                "point,value,replicate,policy.detect_s,policy.weight,gate:error-ratio.detect_s,\
             gate:error-ratio.weight,\"gate:odd, name.detect_s\",\"gate:odd, name.weight\"\n\
             0,0,0,,,40.500,,,\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("\n1,0.0025,1,70.125,0.100000,40.500,,,\n"),
            "{text}"
        );
        assert_eq!(from_bytes(&b, &gates(), 2, 2).unwrap(), rows());
    }

    #[test]
    fn bad_rows_name_their_line_column_and_reason() {
        let e = from_bytes(&bytes(&rows()), &gates()[..1], 2, 2).unwrap_err();
        assert!(
            e.to_string().starts_with("line 1: the header is not"),
            "{e}"
        );
        let e = from_bytes(&bytes(&rows()), &gates(), 3, 2).unwrap_err();
        assert_eq!(e.to_string(), "4 runs, expected 3 points × 2 seeds = 6");
        let mut r = rows();
        r.swap(0, 1);
        let e = from_bytes(&bytes(&r), &gates(), 2, 2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: point 0 replicate 1, expected point 0 replicate 0"
        );
        let text = String::from_utf8(bytes(&rows())).unwrap();
        let bad = text.replacen("70.125,0.100000", "70.125,1.5", 1);
        let e = from_bytes(bad.as_bytes(), &gates(), 2, 2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 4, column 5: `policy.weight`: a weight is between 0 and 1, found 1.5"
        );
        let bad = text.replacen("0,0,0,,,", "0,0,0,,0.5,", 1);
        let e = from_bytes(bad.as_bytes(), &gates(), 2, 2).unwrap_err();
        assert!(
            e.to_string()
                .contains("`policy.weight`: a weight without a detection"),
            "{e}"
        );
        let bad = text.replacen("40.500", "soon", 1);
        let e = from_bytes(bad.as_bytes(), &gates(), 2, 2).unwrap_err();
        assert!(
            e.to_string()
                .contains("`gate:error-ratio.detect_s`: not a number: \"soon\""),
            "{e}"
        );
        assert_eq!(
            from_bytes(b"", &gates(), 2, 2).unwrap_err().to_string(),
            "empty: no header"
        );
    }
}
