//! Replayed traffic: the rates file of `traffic.profile = "replay"`, its one reader and
//! writer, and the window of it a run replays.
//!
//! The file is CSV with the header `time_seconds,requests_per_second` and one row per
//! point: seconds from the series' start (at least 0, strictly increasing) and the
//! arrival rate then (at least 0). The rate is linear between points. A run replays
//! `[shift, shift + horizon]` of it, every rate multiplied by `scale`, and the file must
//! cover that window: a run never replays traffic nobody recorded. `rollcage calibrate
//! --replay` writes these files (`RateSeries::to_csv`).

use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

use sim_core::SimTime;

/// The header the file starts with.
pub const HEADER: &str = "time_seconds,requests_per_second";
/// The most points a file may hold: a week at 10-second steps, and more than a
/// Prometheus range query returns (11,000 per series).
pub const MAX_POINTS: usize = 100_000;
/// The largest file read: far above `MAX_POINTS` rows of two numbers.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A rate series as the file holds it: (seconds, requests per second), times strictly
/// increasing.
#[derive(Clone, Debug, PartialEq)]
pub struct RateSeries {
    pub points: Vec<(f64, f64)>,
}

impl RateSeries {
    /// The file's bytes. Numbers are written in Rust's shortest round-trip form, so
    /// the file reads back to the same series and the same series always gives the same
    /// bytes.
    pub fn to_csv(&self) -> String {
        let mut out = format!("{HEADER}\n");
        for (t, r) in &self.points {
            out.push_str(&format!("{t},{r}\n"));
        }
        out
    }

    /// Reads the file's text; a problem names the file, the line and what is wrong.
    pub fn from_csv(file: &str, text: &str) -> Result<RateSeries, String> {
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, h)) if h.trim() == HEADER => {}
            Some((_, h)) => {
                return Err(format!(
                    "{file}: line 1: expected the header `{HEADER}`, found `{}`",
                    h.trim()
                ));
            }
            None => return Err(format!("{file}: empty; expected the header `{HEADER}`")),
        }
        let mut points: Vec<(f64, f64)> = Vec::new();
        for (i, line) in lines {
            let n = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            let at = |what: String| format!("{file}: line {n}: {what}");
            if points.len() == MAX_POINTS {
                return Err(at(format!("more than {MAX_POINTS} points")));
            }
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            if cells.len() != 2 {
                return Err(at(format!(
                    "expected 2 cells (time_seconds, requests_per_second), found {}",
                    cells.len()
                )));
            }
            let number = |cell: &str, column: &str| -> Result<f64, String> {
                match cell.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
                    _ => Err(at(format!(
                        "{column} {cell:?} is not a number of 0 or more"
                    ))),
                }
            };
            let t = number(cells[0], "time_seconds")?;
            let r = number(cells[1], "requests_per_second")?;
            if let Some(&(prev, _)) = points.last()
                && t <= prev
            {
                return Err(at(format!(
                    "time {t} s is not after the previous point's {prev} s (times must increase)"
                )));
            }
            if r > crate::limits::MAX_RATE {
                return Err(at(format!(
                    "rate {r} is over {} requests/s",
                    crate::limits::MAX_RATE
                )));
            }
            points.push((t, r));
        }
        if points.len() < 2 {
            return Err(format!(
                "{file}: {} point(s); a replayed series needs at least 2",
                points.len()
            ));
        }
        Ok(RateSeries { points })
    }

    /// Reads a rates file, bounded by [`MAX_FILE_BYTES`].
    pub fn read_file(path: &Path) -> Result<RateSeries, String> {
        let file = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|e| format!("{file}: {e}"))?;
        let mut bytes = Vec::new();
        f.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{file}: {e}"))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(format!(
                "{file}: over {} MiB, the largest rates file read",
                MAX_FILE_BYTES >> 20
            ));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            format!(
                "{file}: not UTF-8 text: byte {} is not part of a UTF-8 character",
                e.utf8_error().valid_up_to() + 1
            )
        })?;
        RateSeries::from_csv(&file, &text)
    }

    /// The rate at file time `t`, linear between points (inside the series).
    fn rate_at(&self, t: f64) -> f64 {
        let after = self.points.partition_point(|(at, _)| *at <= t);
        match (after.checked_sub(1), self.points.get(after)) {
            (Some(i), Some(&(t1, r1))) => {
                let (t0, r0) = self.points[i];
                r0 + (r1 - r0) * (t - t0) / (t1 - t0)
            }
            (Some(i), None) => self.points[i].1,
            (None, Some(&(_, r))) => r,
            (None, None) => 0.0,
        }
    }

    /// The window a run replays: file times `[shift, shift + horizon]` moved to start
    /// at 0, each rate multiplied by `scale`; the window's ends are interpolated. `Err`
    /// says what the file covers when it does not cover the window.
    pub fn window(&self, shift: f64, horizon: f64, scale: f64) -> Result<Vec<(f64, f64)>, String> {
        let (first, last) = (self.points[0].0, self.points[self.points.len() - 1].0);
        let end = shift + horizon;
        if first > shift || last < end {
            return Err(format!(
                "the series covers {first} s to {last} s; the run replays {shift} s to {end} s (shift + horizon)"
            ));
        }
        let mut out = vec![(0.0, self.rate_at(shift) * scale)];
        out.extend(
            self.points
                .iter()
                .filter(|(t, _)| *t > shift && *t < end)
                .map(|(t, r)| (t - shift, r * scale)),
        );
        out.push((horizon, self.rate_at(end) * scale));
        Ok(out)
    }
}

/// A window (`RateSeries::window`) in the engine's time.
pub fn to_sim(points: &[(f64, f64)]) -> Arc<[(SimTime, f64)]> {
    let mut out: Vec<(SimTime, f64)> = Vec::with_capacity(points.len());
    for &(t, r) in points {
        let at = SimTime::from_secs_f64(t);
        // Points closer than a nanosecond become one: the engine's times must increase.
        match out.last_mut() {
            Some(last) if last.0 >= at => last.1 = r,
            _ => out.push((at, r)),
        }
    }
    out.into()
}

/// `∫ rate dt` over `[a, b]` of a window in the engine's time (linear pieces, the ends
/// held outside).
pub fn integral(points: &[(SimTime, f64)], a: f64, b: f64) -> f64 {
    let rate = |t: f64| -> f64 {
        let after = points.partition_point(|(at, _)| at.as_secs_f64() <= t);
        match (after.checked_sub(1), points.get(after)) {
            (Some(i), Some(&(t1, r1))) => {
                let (t0, r0) = (points[i].0.as_secs_f64(), points[i].1);
                r0 + (r1 - r0) * (t - t0) / (t1.as_secs_f64() - t0)
            }
            (Some(i), None) => points[i].1,
            (None, Some(&(_, r))) => r,
            (None, None) => 0.0,
        }
    };
    if b <= a {
        return 0.0;
    }
    // The trapezoid rule is exact on each linear piece: break at every point inside.
    let mut cuts = vec![a];
    cuts.extend(
        points
            .iter()
            .map(|(t, _)| t.as_secs_f64())
            .filter(|t| *t > a && *t < b),
    );
    cuts.push(b);
    cuts.windows(2)
        .map(|w| (w[1] - w[0]) * (rate(w[0]) + rate(w[1])) / 2.0)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<RateSeries, String> {
        RateSeries::from_csv("rates.csv", text)
    }

    #[test]
    fn a_written_series_reads_back() {
        let s = RateSeries {
            points: vec![(0.0, 12.5), (60.0, 0.1), (120.0, 1e-7)],
        };
        assert_eq!(read(&s.to_csv()).unwrap(), s);
        assert_eq!(
            s.to_csv(),
            "time_seconds,requests_per_second\n0,12.5\n60,0.1\n120,0.0000001\n"
        );
    }

    #[test]
    fn bad_files_name_the_line_and_the_problem() {
        let h = format!("{HEADER}\n");
        let cases = [
            ("", "rates.csv: empty"),
            ("time,rate\n0,1\n", "rates.csv: line 1: expected the header"),
            (&format!("{h}0,1\n"), "1 point(s)"),
            (&format!("{h}0,1\n10,2,3\n"), "line 3: expected 2 cells"),
            (
                &format!("{h}0,1\n10,x\n"),
                "line 3: requests_per_second \"x\"",
            ),
            (
                &format!("{h}0,1\n10,-1\n"),
                "line 3: requests_per_second \"-1\"",
            ),
            (&format!("{h}0,1\nNaN,1\n"), "line 3: time_seconds \"NaN\""),
            (
                &format!("{h}0,1\n10,inf\n"),
                "line 3: requests_per_second \"inf\"",
            ),
            (&format!("{h}0,1\n0,2\n"), "line 3: time 0 s is not after"),
            (&format!("{h}5,1\n4,2\n"), "line 3: time 4 s is not after"),
            (
                &format!("{h}0,1\n1,1000001\n"),
                "line 3: rate 1000001 is over",
            ),
        ];
        for (text, want) in cases {
            let e = read(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
        // Blank lines are skipped; the line numbers still count them.
        let e = read(&format!("{h}0,1\n\n1,x\n")).unwrap_err();
        assert!(e.contains("line 4:"), "{e}");
    }

    #[test]
    fn the_window_is_shifted_scaled_and_interpolated_at_its_ends() {
        let s = RateSeries {
            points: vec![(0.0, 10.0), (100.0, 20.0), (200.0, 10.0)],
        };
        let w = s.window(50.0, 100.0, 2.0).unwrap();
        assert_eq!(w, vec![(0.0, 30.0), (50.0, 40.0), (100.0, 30.0)]);
        // Exactly the whole file, and a second past either end.
        assert_eq!(s.window(0.0, 200.0, 1.0).unwrap().len(), 3);
        let e = s.window(0.0, 201.0, 1.0).unwrap_err();
        assert!(
            e.contains("covers 0 s to 200 s; the run replays 0 s to 201 s"),
            "{e}"
        );
        let late = RateSeries {
            points: vec![(10.0, 1.0), (20.0, 1.0)],
        };
        assert!(late.window(9.0, 5.0, 1.0).is_err());
        assert!(late.window(10.0, 5.0, 1.0).is_ok());
    }

    #[test]
    fn the_integral_is_exact_on_linear_pieces() {
        let p = to_sim(&[(0.0, 10.0), (100.0, 20.0), (200.0, 10.0)]);
        assert!((integral(&p, 0.0, 200.0) - 3000.0).abs() < 1e-9);
        assert!((integral(&p, 50.0, 150.0) - 1750.0).abs() < 1e-9);
        assert_eq!(integral(&p, 10.0, 10.0), 0.0);
    }
}
