//! The Pareto chart: each policy's deploy time (p50 on the slowest good release)
//! against the budget it burns (p95 on the worst fault scenario), with bootstrap
//! intervals as whiskers, the frontier joined and highlighted, the recommended policy
//! ringed, and the recommendation's limits as dashed lines.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use reports::vocab::Metric;

use super::{
    Axes, DrawResult, Figure, GREY, LIGHT_GREY, Swatch, WIDTH, anchored, legend, legend_height,
    measure, nice_max, text, tick, time_unit, title,
};
use reports::view::SweepView;

const FRONTIER: RGBColor = RGBColor(0, 114, 178);
const RECOMMENDED: RGBColor = RGBColor(0, 158, 115);
const LIMIT: RGBColor = RGBColor(213, 94, 0);

#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Its number on the chart and in the key.
    pub number: usize,
    pub policy: String,
    pub deploy_s: Option<(f64, f64, f64)>,
    pub budget_pct: Option<(f64, f64, f64)>,
    pub frontier: bool,
    pub recommended: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pareto {
    pub points: Vec<Point>,
    /// Policies without the figures the frontier needs.
    pub ineligible: Vec<String>,
    pub max_budget_pct: f64,
    pub max_deploy_s: f64,
}

const PLOT_H: u32 = 420;
const LEFT: u32 = 64;
const RIGHT: u32 = 28;

/// The Pareto figure of a sweep.
pub fn figures(v: &SweepView) -> Vec<Figure> {
    let mut points = Vec::new();
    let mut ineligible = Vec::new();
    for (i, p) in v.pareto.iter().enumerate() {
        if !p.eligible {
            ineligible.push(p.policy.clone());
            continue;
        }
        let e = |w: &Option<reports::sweep::frontier::Worst>| {
            w.as_ref()
                .map(|w| (w.estimate.value, w.estimate.lo, w.estimate.hi))
        };
        points.push(Point {
            // Numbered in sweep order, so the numbers match the policy table's rows.
            number: i + 1,
            policy: p.policy.clone(),
            deploy_s: e(&p.deploy_p50_s),
            budget_pct: e(&p.budget_p95_pct),
            frontier: p.frontier,
            recommended: v.recommendation.policy.as_deref() == Some(p.policy.as_str()),
        });
    }
    let c = &v.recommendation.constraints;
    let mut caption = "Each point is a policy: how long it takes to ship a good release \
        (p50 on the slowest good-release scenario) against the error budget it burns when the \
        release is bad (p95 on the worst fault scenario). Lower and further left is better; \
        whiskers are 95% bootstrap intervals; frontier points are filled and joined, the \
        recommended one is ringed in green, dashed lines are the recommendation's limits."
        .to_string();
    if !ineligible.is_empty() {
        caption.push_str(&format!(
            " Not drawn (no deploy time or no budget figure): {}.",
            ineligible.join(", ")
        ));
    }
    vec![Figure {
        id: "pareto".into(),
        title: frontier_title(),
        caption,
        chart: super::Chart::Pareto(Pareto {
            points,
            ineligible,
            max_budget_pct: c.max_budget_p95_pct,
            max_deploy_s: c.max_deploy_p50_s,
        }),
    }]
}

impl Pareto {
    fn key(&self) -> Vec<(Swatch, String)> {
        self.points
            .iter()
            .map(|p| {
                let (swatch, what) = match (p.recommended, p.frontier) {
                    (true, _) => (Swatch::Dot(RECOMMENDED), " (recommended)"),
                    (false, true) => (Swatch::Dot(FRONTIER), " (frontier)"),
                    _ => (Swatch::Ring(GREY), ""),
                };
                (swatch, format!("{}  {}{what}", p.number, p.policy))
            })
            .collect()
    }

    pub fn size(&self) -> (u32, u32) {
        let key = legend_height(&self.key(), (WIDTH - LEFT - RIGHT) as i32);
        (WIDTH, 34 + PLOT_H + 8 + key)
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = title(root, &frontier_title())?;
        let (plot_area, key_area) = area.split_vertically(PLOT_H);
        let key_area = key_area.margin(8, 0, LEFT as i32, RIGHT as i32);

        let x_data = self
            .points
            .iter()
            .filter_map(|p| p.deploy_s.map(|d| d.2))
            .fold(0.0, f64::max);
        let y_data = self
            .points
            .iter()
            .filter_map(|p| p.budget_pct.map(|b| b.2))
            .fold(0.0, f64::max);
        // Show a limit when it is near the data; far away it would squash the points.
        let x_top = if self.max_deploy_s <= 2.0 * x_data {
            x_data.max(self.max_deploy_s)
        } else {
            x_data
        };
        let y_top = if self.max_budget_pct <= 2.0 * y_data {
            y_data.max(self.max_budget_pct)
        } else {
            y_data
        };
        let (div, unit) = time_unit(x_top);
        let x_max = nice_max(x_top / div * 1.08, 1.0);
        let y_max = nice_max(y_top * 1.12, 0.001);
        let x_fmt = |v: &f64| tick(*v, x_max);
        let y_fmt = |v: &f64| tick(*v, y_max);
        let axes = Axes {
            x: 0.0..x_max,
            y: 0.0..y_max,
            x_title: format!("deploy time: p50 on the slowest good-release scenario ({unit})"),
            y_title: "error budget burned: p95 on the worst fault scenario (% of the SLO window's budget)"
                .into(),
            left: LEFT,
            right: RIGHT,
            x_fmt: &x_fmt,
            y_fmt: &y_fmt,
            x_labels: 10,
            y_labels: 8,
        };
        let mut chart = axes.draw(&plot_area)?;

        // The limits.
        if self.max_deploy_s / div <= x_max {
            let x = self.max_deploy_s / div;
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(x, 0.0), (x, y_max)],
                6,
                4,
                LIMIT.stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, y_max))
                    + Text::new(
                        "deploy limit".to_string(),
                        (-4, 4),
                        anchored(11.0, HPos::Right, VPos::Top).color(&LIMIT),
                    ),
            ))?;
        }
        if self.max_budget_pct <= y_max {
            let y = self.max_budget_pct;
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(0.0, y), (x_max, y)],
                6,
                4,
                LIMIT.stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((x_max, y))
                    + Text::new(
                        "budget limit".to_string(),
                        (-4, -3),
                        anchored(11.0, HPos::Right, VPos::Bottom).color(&LIMIT),
                    ),
            ))?;
        }

        let xy = |p: &Point| {
            (
                p.deploy_s.map_or(0.0, |d| d.0 / div),
                p.budget_pct.map_or(0.0, |b| b.0),
            )
        };
        // Whiskers first, so the points sit on top.
        for p in &self.points {
            let (x, y) = xy(p);
            let color = if p.frontier {
                FRONTIER.mix(0.45)
            } else {
                LIGHT_GREY.mix(0.9)
            };
            if let Some((_, lo, hi)) = p.deploy_s {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(lo / div, y), (hi / div, y)],
                    color.stroke_width(1),
                )))?;
            }
            if let Some((_, lo, hi)) = p.budget_pct {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, lo), (x, hi)],
                    color.stroke_width(1),
                )))?;
            }
        }
        // The frontier, joined in order of deploy time.
        let mut frontier: Vec<(f64, f64)> =
            self.points.iter().filter(|p| p.frontier).map(xy).collect();
        frontier.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        if frontier.len() > 1 {
            chart.draw_series(std::iter::once(PathElement::new(
                frontier,
                FRONTIER.mix(0.6).stroke_width(2),
            )))?;
        }
        let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
        for p in &self.points {
            let at = xy(p);
            if p.recommended {
                chart.draw_series(std::iter::once(Circle::new(
                    at,
                    11,
                    RECOMMENDED.stroke_width(3),
                )))?;
            }
            let style = match (p.recommended, p.frontier) {
                (true, _) => RECOMMENDED.filled(),
                (false, true) => FRONTIER.filled(),
                _ => GREY.stroke_width(2),
            };
            chart.draw_series(std::iter::once(Circle::new(at, 6, style)))?;
            placed.push(point_box(chart.backend_coord(&at), 7));
        }
        // Numbers beside the points, each where it overlaps nothing drawn so far.
        for p in &self.points {
            let at = xy(p);
            let (px, py) = chart.backend_coord(&at);
            let label = p.number.to_string();
            let w = measure(&label, 12.0);
            let candidates = [
                (9, -16),
                (9, 3),
                (-9 - w, -16),
                (-9 - w, 3),
                (14, -7),
                (-14 - w, -7),
            ];
            let (dx, dy) = candidates
                .iter()
                .copied()
                .find(|&(dx, dy)| {
                    let b = (px + dx, py + dy, px + dx + w, py + dy + 13);
                    !placed.iter().any(|q| overlaps(b, *q))
                })
                .unwrap_or(candidates[0]);
            placed.push((px + dx, py + dy, px + dx + w, py + dy + 13));
            chart.draw_series(std::iter::once(
                EmptyElement::at(at)
                    + Text::new(
                        label,
                        (dx, dy),
                        text(12.0).pos(Pos::new(HPos::Left, VPos::Top)),
                    ),
            ))?;
        }
        if self.points.is_empty() {
            plot_area.draw(&Text::new(
                "no policy has both figures".to_string(),
                (LEFT as i32 + 12, 60),
                text(13.0).color(&GREY),
            ))?;
        }
        legend(&key_area, &self.key())
    }
}

fn point_box((x, y): (i32, i32), r: i32) -> (i32, i32, i32, i32) {
    (x - r, y - r, x + r, y + r)
}

fn overlaps(a: (i32, i32, i32, i32), b: (i32, i32, i32, i32)) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

use plotters::style::text_anchor::Pos;

/// The frontier's title, naming its two axes as the vocabulary labels them.
fn frontier_title() -> String {
    format!(
        "Pareto frontier: {} against {}",
        Metric::DeployDuration.label(),
        Metric::BudgetConsumed.label()
    )
}
