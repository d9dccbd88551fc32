//! The power curve of a power analysis: for the policy and each gate, the probability
//! of detection before promotion at each effect size (the key's value on the x axis,
//! the no-regression point first), with its Wilson 95% interval as a band, and the 80%
//! and 95% targets the minimum detectable effects are read at.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::{
    Axes, DrawResult, GREY, LIGHT_GREY, Swatch, WIDTH, legend, legend_height, series_color, tick,
    title,
};

/// One detector's curve: `(value, power, lo, hi)` per point, powers as fractions.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub detector: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Power {
    pub title: String,
    /// The swept key, for the x axis.
    pub key: String,
    /// The policy's curve first.
    pub curves: Vec<Curve>,
    pub targets: Vec<f64>,
}

const PLOT_H: u32 = 380;
const LEFT: u32 = 56;
const RIGHT: u32 = 28;

impl Power {
    fn key_entries(&self) -> Vec<(Swatch, String)> {
        let mut k: Vec<(Swatch, String)> = self
            .curves
            .iter()
            .enumerate()
            .map(|(i, c)| (Swatch::Line(series_color(i)), c.detector.clone()))
            .collect();
        k.push((Swatch::Fill(LIGHT_GREY), "Wilson 95% interval".into()));
        k
    }

    pub fn size(&self) -> (u32, u32) {
        let key = legend_height(&self.key_entries(), (WIDTH - LEFT - RIGHT) as i32);
        (WIDTH, 34 + PLOT_H + 8 + key)
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = title(root, &self.title)?;
        let (plot_area, key_area) = area.split_vertically(PLOT_H);
        let key_area = key_area.margin(8, 0, LEFT as i32, RIGHT as i32);
        let xs = self
            .curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.0));
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        let (lo, hi) = if lo.is_finite() && hi > lo {
            (lo, hi)
        } else {
            (0.0, 1.0)
        };
        let pad = (hi - lo) * 0.03;
        let span = hi - lo;
        let x_fmt = |v: &f64| tick(*v, span);
        let y_fmt = |v: &f64| format!("{v:.0}%");
        let axes = Axes {
            x: (lo - pad)..(hi + pad),
            y: -3.0..105.0,
            x_title: format!(
                "{} (the first point is the baseline's value: no regression)",
                self.key
            ),
            y_title: "probability of detection before promotion (%)".into(),
            left: LEFT,
            right: RIGHT,
            x_fmt: &x_fmt,
            y_fmt: &y_fmt,
            x_labels: 10,
            y_labels: 6,
        };
        let mut chart = axes.draw(&plot_area)?;
        for &t in &self.targets {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(lo - pad, 100.0 * t), (hi + pad, 100.0 * t)],
                4,
                4,
                GREY.stroke_width(1),
            )))?;
        }
        for (i, c) in self.curves.iter().enumerate() {
            let color = series_color(i);
            let mut band: Vec<(f64, f64)> = c.points.iter().map(|p| (p.0, 100.0 * p.3)).collect();
            band.extend(c.points.iter().rev().map(|p| (p.0, 100.0 * p.2)));
            chart.draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.12).filled(),
            )))?;
        }
        for (i, c) in self.curves.iter().enumerate() {
            let color = series_color(i);
            let line: Vec<(f64, f64)> = c.points.iter().map(|p| (p.0, 100.0 * p.1)).collect();
            chart.draw_series(std::iter::once(PathElement::new(
                line.clone(),
                color.stroke_width(if i == 0 { 3 } else { 2 }),
            )))?;
            chart.draw_series(
                line.into_iter()
                    .map(|(x, y)| Circle::new((x, y), 3, color.filled())),
            )?;
        }
        legend(&key_area, &self.key_entries())
    }
}
