//! Heat maps over a two-axis grid: for each policy swept, its p95 budget on the worst
//! fault scenario and its p50 deploy time on the slowest good release, one cell per
//! combination of the two grid values, the recommended combination outlined.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use reports::vocab::{Metric, Unit};

use super::{DrawResult, Figure, GREY, WIDTH, anchored, ellipsize, measure, slug, title};
use reports::format::human_secs;
use reports::view::SweepView;

/// One panel: a value per (column, row) cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub name: String,
    /// `cells[row][column]`.
    pub cells: Vec<Vec<Option<f64>>>,
    pub seconds: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    pub title: String,
    pub x_key: String,
    pub x_values: Vec<String>,
    pub y_key: String,
    pub y_values: Vec<String>,
    pub panels: Vec<Panel>,
    /// The recommended cell (column, row), if the recommendation is this policy.
    pub recommended: Option<(usize, usize)>,
}

/// Light for low (good), dark for high: the YlGnBu scale.
const SCALE: [(u8, u8, u8); 5] = [
    (255, 255, 217),
    (199, 233, 180),
    (65, 182, 196),
    (34, 94, 168),
    (8, 29, 88),
];

fn scale(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0) * (SCALE.len() - 1) as f64;
    let i = (t.floor() as usize).min(SCALE.len() - 2);
    let f = t - i as f64;
    let (a, b) = (SCALE[i], SCALE[i + 1]);
    let mix = |x: u8, y: u8| (x as f64 + f * (y as f64 - x as f64)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn dark(c: RGBColor) -> bool {
    0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * f64::from(c.2) < 128.0
}

fn short_key(key: &str) -> &str {
    key.strip_prefix("policy.").unwrap_or(key)
}

pub fn figures(v: &SweepView) -> Vec<Figure> {
    if v.grid.len() != 2 {
        return Vec::new();
    }
    let (ax, ay) = (&v.grid[0], &v.grid[1]);
    let mut bases: Vec<&str> = Vec::new();
    for p in &v.policies {
        if !bases.contains(&p.base.as_str()) {
            bases.push(&p.base);
        }
    }
    let has_fault = !v.fault_scenarios().is_empty();
    let has_deploy = v.pareto.iter().any(|p| p.deploy_p50_s.is_some());
    bases
        .iter()
        .enumerate()
        .map(|(bi, base)| {
            let mut budget = vec![vec![None; ax.values.len()]; ay.values.len()];
            let mut deploy = budget.clone();
            let mut recommended = None;
            for p in v.policies.iter().filter(|p| p.base == *base) {
                let (Some(c), Some(r)) = (
                    ax.values
                        .iter()
                        .position(|x| Some(x) == p.grid_values.first()),
                    ay.values
                        .iter()
                        .position(|y| Some(y) == p.grid_values.get(1)),
                ) else {
                    continue;
                };
                if let Some(pt) = v.pareto.iter().find(|q| q.policy == p.name) {
                    budget[r][c] = pt.budget_p95_pct.as_ref().map(|w| w.estimate.value);
                    deploy[r][c] = pt.deploy_p50_s.as_ref().map(|w| w.estimate.value);
                }
                if v.recommendation.policy.as_deref() == Some(p.name.as_str()) {
                    recommended = Some((c, r));
                }
            }
            let mut panels = Vec::new();
            if has_fault {
                panels.push(Panel {
                    name: format!(
                        "{}, p95 on the worst fault scenario",
                        Metric::BudgetConsumed.label()
                    ),
                    cells: budget,
                    seconds: Metric::BudgetConsumed.unit() == Unit::Seconds,
                });
            }
            if has_deploy {
                panels.push(Panel {
                    name: format!(
                        "{}, p50 on the slowest good release",
                        Metric::DeployDuration.label()
                    ),
                    cells: deploy,
                    seconds: Metric::DeployDuration.unit() == Unit::Seconds,
                });
            }
            let title = format!("{base}: {} × {}", short_key(&ax.key), short_key(&ay.key));
            Figure {
                id: format!("heatmap-{}-{}", bi + 1, slug(base)),
                title: title.clone(),
                caption: format!(
                    "Every combination of {} (across) and {} (down) for {base}: darker is \
                     more budget burned or a slower deploy. The recommended combination, if \
                     it is one of these, is outlined.",
                    short_key(&ax.key),
                    short_key(&ay.key)
                ),
                chart: super::Chart::Heatmap(Heatmap {
                    title,
                    x_key: short_key(&ax.key).to_string(),
                    x_values: ax.values.clone(),
                    y_key: short_key(&ay.key).to_string(),
                    y_values: ay.values.clone(),
                    panels,
                    recommended,
                }),
            }
        })
        .collect()
}

const CELL_H: i32 = 34;
const TOP: i32 = 44;

impl Heatmap {
    pub fn size(&self) -> (u32, u32) {
        let rows = self.y_values.len().max(1) as i32;
        (WIDTH, (34 + TOP + rows * CELL_H + 70) as u32)
    }

    fn label(&self, v: f64, seconds: bool) -> String {
        if seconds {
            human_secs(v)
        } else {
            format!("{v:.3}%")
        }
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = title(root, &self.title)?;
        let n = self.panels.len().max(1) as i32;
        let (w, _) = area.dim_in_pixel();
        let panel_w = (w as i32 - 16) / n;
        for (i, p) in self.panels.iter().enumerate() {
            let sub = area.margin(0, 0, 8 + i as i32 * panel_w, 0);
            let sub = sub.split_horizontally(panel_w).0;
            self.draw_panel(&sub, p)?;
        }
        if self.panels.is_empty() {
            area.draw(&Text::new(
                "no figure to map".to_string(),
                (20, 30),
                anchored(13.0, HPos::Left, VPos::Top).color(&GREY),
            ))?;
        }
        Ok(())
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        p: &Panel,
    ) -> DrawResult {
        let (w, _) = area.dim_in_pixel();
        let label_w = self
            .y_values
            .iter()
            .map(|v| measure(&ellipsize(v, 12), 12.0))
            .max()
            .unwrap_or(20)
            .max(measure(&format!("{} ↓", ellipsize(&self.y_key, 18)), 12.0))
            + 12;
        let cols = self.x_values.len().max(1) as i32;
        let rows = self.y_values.len().max(1) as i32;
        let cell_w = ((w as i32 - label_w - 16) / cols).max(8);
        let x0 = label_w;
        area.draw(&Text::new(
            ellipsize(&p.name, 60),
            (x0, 4),
            anchored(13.0, HPos::Left, VPos::Top),
        ))?;
        area.draw(&Text::new(
            format!("{} ↓", ellipsize(&self.y_key, 18)),
            (x0 - 6, TOP - 6),
            anchored(12.0, HPos::Right, VPos::Bottom),
        ))?;
        let values: Vec<f64> = p.cells.iter().flatten().flatten().copied().collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let t_of = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.3 };
        for (r, row) in p.cells.iter().enumerate() {
            let y = TOP + r as i32 * CELL_H;
            area.draw(&Text::new(
                ellipsize(&self.y_values[r], 12),
                (x0 - 6, y + CELL_H / 2),
                anchored(12.0, HPos::Right, VPos::Center),
            ))?;
            for (c, cell) in row.iter().enumerate() {
                let x = x0 + c as i32 * cell_w;
                let (fill, label) = match cell {
                    Some(v) => (scale(t_of(*v)), self.label(*v, p.seconds)),
                    None => (RGBColor(235, 235, 235), "n/a".to_string()),
                };
                area.draw(&Rectangle::new(
                    [(x + 1, y + 1), (x + cell_w - 1, y + CELL_H - 1)],
                    fill.filled(),
                ))?;
                let ink = if dark(fill) { WHITE } else { BLACK };
                area.draw(&Text::new(
                    label,
                    (x + cell_w / 2, y + CELL_H / 2),
                    anchored(11.0, HPos::Center, VPos::Center).color(&ink),
                ))?;
                if self.recommended == Some((c, r)) {
                    area.draw(&Rectangle::new(
                        [(x + 2, y + 2), (x + cell_w - 2, y + CELL_H - 2)],
                        RGBColor(0, 158, 115).stroke_width(3),
                    ))?;
                }
            }
        }
        let bottom = TOP + rows * CELL_H;
        for (c, v) in self.x_values.iter().enumerate() {
            area.draw(&Text::new(
                ellipsize(v, 12),
                (x0 + c as i32 * cell_w + cell_w / 2, bottom + 5),
                anchored(12.0, HPos::Center, VPos::Top),
            ))?;
        }
        area.draw(&Text::new(
            format!("{} →", self.x_key),
            (x0 + cols * cell_w / 2, bottom + 24),
            anchored(12.0, HPos::Center, VPos::Top),
        ))?;
        // The colour scale.
        if hi >= lo {
            let sx = x0;
            let sy = bottom + 46;
            let sw = (cols * cell_w).min(220);
            for k in 0..sw {
                let c = scale(k as f64 / (sw - 1).max(1) as f64);
                area.draw(&PathElement::new(vec![(sx + k, sy), (sx + k, sy + 10)], c))?;
            }
            area.draw(&Text::new(
                self.label(lo, p.seconds),
                (sx - 4, sy + 5),
                anchored(11.0, HPos::Right, VPos::Center),
            ))?;
            area.draw(&Text::new(
                self.label(hi, p.seconds),
                (sx + sw + 4, sy + 5),
                anchored(11.0, HPos::Left, VPos::Center),
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_runs_light_to_dark() {
        assert_eq!(scale(0.0), RGBColor(255, 255, 217));
        assert_eq!(scale(1.0), RGBColor(8, 29, 88));
        assert!(!dark(scale(0.0)) && dark(scale(1.0)));
    }
}
