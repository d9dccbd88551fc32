//! Time to detect as a cumulative distribution, one chart per fault scenario and one
//! line per policy. The y axis counts every run where a fault became active, so a
//! line ends at the detection rate and the gap above it is the censored share: runs
//! nothing detected by the horizon.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use reports::vocab::{Metric, capitalised};

use super::{
    Axes, DrawResult, Figure, GREY, Swatch, WIDTH, legend, legend_height, nice_max, series_color,
    slug, tick, time_unit, title,
};
use reports::view::SweepView;

/// At most this many policies share one chart; more are split over several.
pub const PER_CHART: usize = 8;
/// At most this many steps are drawn per line (order statistics are thinned evenly).
const MAX_STEPS: usize = 400;

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub policy: String,
    /// Runs where a fault became active.
    pub fault_runs: u64,
    /// The ttd of each detected fault run, sorted.
    pub ttd_s: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cdf {
    pub title: String,
    pub lines: Vec<Line>,
}

const PLOT_H: u32 = 360;
const LEFT: u32 = 56;
const RIGHT: u32 = 28;

pub fn figures(v: &SweepView) -> Vec<Figure> {
    let mut out = Vec::new();
    for (si, scenario) in v.fault_scenarios().into_iter().enumerate() {
        let lines: Vec<Line> = v
            .policies
            .iter()
            .filter_map(|p| v.group_runs(scenario, &p.name))
            .map(|g| {
                let mut ttd = g.ttd_s.clone();
                ttd.sort_by(f64::total_cmp);
                Line {
                    policy: g.policy.clone(),
                    fault_runs: g.fault_runs,
                    ttd_s: ttd,
                }
            })
            .collect();
        let chunks: Vec<&[Line]> = lines.chunks(PER_CHART).collect();
        for (ci, chunk) in chunks.iter().enumerate() {
            let part = if chunks.len() > 1 {
                format!(" ({} of {})", ci + 1, chunks.len())
            } else {
                String::new()
            };
            let suffix = if chunks.len() > 1 {
                format!("-{}", ci + 1)
            } else {
                String::new()
            };
            out.push(Figure {
                id: format!("ttd-{}-{}{suffix}", si + 1, slug(scenario)),
                title: format!("{} on {scenario}{part}", capitalised(Metric::Ttd.label())),
                caption: "The share of fault runs detected within a given time of the first \
                          impact. Each line ends at its policy's detection rate: the gap above \
                          it is the censored share, runs where nothing detected the fault by \
                          the horizon, never dropped. Lines that coincide are drawn a pixel or \
                          two apart so that each stays visible."
                    .into(),
                chart: super::Chart::Cdf(Cdf {
                    title: format!("{} on {scenario}{part}", capitalised(Metric::Ttd.label())),
                    lines: chunk.to_vec(),
                }),
            });
        }
    }
    out
}

impl Cdf {
    fn key(&self) -> Vec<(Swatch, String)> {
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let label = if l.fault_runs == 0 {
                    format!("{}: no fault became active", l.policy)
                } else {
                    let detected = l.ttd_s.len() as f64 / l.fault_runs as f64;
                    format!(
                        "{}: {:.0}% detected, {:.0}% censored (n = {})",
                        l.policy,
                        100.0 * detected,
                        100.0 * (1.0 - detected),
                        l.fault_runs
                    )
                };
                (Swatch::Line(series_color(i)), label)
            })
            .collect()
    }

    pub fn size(&self) -> (u32, u32) {
        let key = legend_height(&self.key(), (WIDTH - LEFT - RIGHT) as i32);
        (WIDTH, 34 + PLOT_H + 8 + key)
    }

    /// The staircase of a line: (ttd, share detected by then), thinned to at most
    /// [`MAX_STEPS`] steps.
    fn steps(l: &Line, div: f64, x_max: f64) -> Vec<(f64, f64)> {
        let n = l.fault_runs as f64;
        let k = l.ttd_s.len();
        let stride = k.div_ceil(MAX_STEPS).max(1);
        let mut pts = vec![(0.0, 0.0)];
        let mut last_y = 0.0;
        let mut i = stride - 1;
        while i < k + stride - 1 {
            let j = i.min(k - 1);
            let x = l.ttd_s[j] / div;
            let y = 100.0 * (j + 1) as f64 / n;
            pts.push((x, last_y));
            pts.push((x, y));
            last_y = y;
            if j == k - 1 {
                break;
            }
            i += stride;
        }
        pts.push((x_max, last_y));
        pts
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = title(root, &self.title)?;
        let (plot_area, key_area) = area.split_vertically(PLOT_H);
        let key_area = key_area.margin(8, 0, LEFT as i32, RIGHT as i32);
        let max = self
            .lines
            .iter()
            .filter_map(|l| l.ttd_s.last().copied())
            .fold(0.0, f64::max);
        let (div, unit) = time_unit(max.max(1.0));
        let x_max = nice_max(max / div * 1.08, 1.0);
        let x_fmt = |v: &f64| tick(*v, x_max);
        let y_fmt = |v: &f64| format!("{v:.0}%");
        let axes = Axes {
            x: 0.0..x_max,
            y: -3.0..105.0,
            x_title: format!("time from the first impact to detection ({unit})"),
            y_title: "fault runs detected within that time (% of all fault runs)".into(),
            left: LEFT,
            right: RIGHT,
            x_fmt: &x_fmt,
            y_fmt: &y_fmt,
            x_labels: 10,
            y_labels: 6,
        };
        let mut chart = axes.draw(&plot_area)?;
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(0.0, 100.0), (x_max, 100.0)],
            4,
            4,
            GREY.stroke_width(1),
        )))?;
        // Lines that coincide (equal detection times, or all at 0% or 100%) would
        // hide each other: each is drawn a pixel or two off the others.
        let n = self.lines.len() as f64;
        let px_per_pct = PLOT_H as f64 * 0.8 / 108.0;
        for (i, l) in self.lines.iter().enumerate() {
            if l.fault_runs == 0 {
                continue;
            }
            let dodge = (i as f64 - (n - 1.0) / 2.0) * 2.0 / px_per_pct;
            let color = series_color(i);
            chart.draw_series(std::iter::once(PathElement::new(
                Self::steps(l, div, x_max)
                    .into_iter()
                    .map(|(x, y)| (x, y - dodge))
                    .collect::<Vec<_>>(),
                color.stroke_width(2),
            )))?;
        }
        legend(&key_area, &self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_end_at_the_detection_rate_and_thin_long_lines() {
        let l = Line {
            policy: "p".into(),
            fault_runs: 4,
            ttd_s: vec![10.0, 20.0, 30.0],
        };
        let s = Cdf::steps(&l, 1.0, 100.0);
        assert_eq!(s.first(), Some(&(0.0, 0.0)));
        assert_eq!(s.last(), Some(&(100.0, 75.0)), "25% censored");
        assert_eq!(s[1..3], [(10.0, 0.0), (10.0, 25.0)]);
        let long = Line {
            policy: "p".into(),
            fault_runs: 10_000,
            ttd_s: (0..10_000).map(f64::from).collect(),
        };
        let s = Cdf::steps(&long, 1.0, 1e4);
        assert!(s.len() <= 2 * MAX_STEPS + 3, "{}", s.len());
        assert_eq!(s[s.len() - 2], (9999.0, 100.0), "the last step is kept");
    }
}
