//! Error budget burned per run, one box plot per policy, one chart per scenario: the
//! box spans the quartiles, the bar inside is the median, whiskers reach the smallest
//! and largest run, and a triangle marks the p95 the recommendation uses.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    DrawResult, Figure, GREY, Swatch, WIDTH, anchored, ellipsize_middle, fifths_grid, legend,
    measure, nice_max, series_color, slug, text, tick, title,
};
use reports::stats::quantile_sorted;
use reports::view::SweepView;

/// What one box shows, in % of the SLO window's budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub p95: f64,
    pub max: f64,
    pub n: usize,
}

impl Spread {
    /// Type-7 quantiles of `values`; `None` if empty.
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Some(Spread {
            min: v[0],
            q1: quantile_sorted(&v, 0.25),
            median: quantile_sorted(&v, 0.5),
            q3: quantile_sorted(&v, 0.75),
            p95: quantile_sorted(&v, 0.95),
            max: v[v.len() - 1],
            n: v.len(),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    pub title: String,
    /// (policy, spread of its runs).
    pub rows: Vec<(String, Option<Spread>)>,
    /// The recommendation's limit on p95 budget, drawn when in range.
    pub limit_pct: f64,
    pub fault_scenario: bool,
}

const ROW: u32 = 28;
const NAME_MAX: usize = 64;
const RIGHT: u32 = 28;

pub fn figures(v: &SweepView) -> Vec<Figure> {
    let faults = v.fault_scenarios();
    v.scenarios
        .iter()
        .enumerate()
        .map(|(si, scenario)| {
            let rows = v
                .policies
                .iter()
                .filter_map(|p| v.group_runs(scenario, &p.name))
                .map(|g| (g.policy.clone(), Spread::of(&g.budget_pct)))
                .collect();
            let fault = faults.contains(&scenario.as_str());
            Figure {
                id: format!("budget-{}-{}", si + 1, slug(scenario)),
                title: format!("Error budget burned on {scenario}"),
                caption: format!(
                    "Per policy, the error budget each run of {scenario} burned, in % of the \
                     SLO window's budget: the box spans the middle half of the runs, the bar is \
                     the median, whiskers reach the least and the most, and the triangle is the \
                     p95{}.",
                    if fault {
                        " (the figure the recommendation limits, dashed)"
                    } else {
                        "; a good release only pays for the rollout itself"
                    }
                ),
                chart: super::Chart::Budget(Budget {
                    title: format!("Error budget burned per run on {scenario}"),
                    rows,
                    limit_pct: v.recommendation.constraints.max_budget_p95_pct,
                    fault_scenario: fault,
                }),
            }
        })
        .collect()
}

impl Budget {
    fn names_width(&self) -> i32 {
        self.rows
            .iter()
            .map(|(p, _)| measure(&ellipsize_middle(p, NAME_MAX), 12.0))
            .max()
            .unwrap_or(60)
            .min(WIDTH as i32 / 2 - 40)
            + 14
    }

    fn key(&self) -> Vec<(Swatch, String)> {
        vec![
            (
                Swatch::Fill(series_color(0)),
                "quartiles (p25 to p75)".into(),
            ),
            (
                Swatch::Line(BLACK),
                "median; whiskers: least to most".into(),
            ),
            (Swatch::Triangle(RGBColor(213, 94, 0)), "p95".into()),
        ]
    }

    pub fn size(&self) -> (u32, u32) {
        (
            WIDTH,
            34 + 30 + ROW * self.rows.len().max(1) as u32 + 26 + 24,
        )
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = title(root, &self.title)?;
        let names = self.names_width();
        let (w, h) = area.dim_in_pixel();
        let plot_w = w as i32 - names - RIGHT as i32;
        let top = 30;
        let rows_h = ROW as i32 * self.rows.len().max(1) as i32;
        let max = self
            .rows
            .iter()
            .filter_map(|(_, s)| s.map(|s| s.max))
            .fold(0.0, f64::max);
        let show_limit = self.fault_scenario && self.limit_pct <= 2.0 * max;
        let x_max = nice_max(
            if show_limit {
                max.max(self.limit_pct) * 1.05
            } else {
                max * 1.05
            },
            0.001,
        );
        let x_of = |v: f64| names + ((v / x_max).clamp(0.0, 1.0) * plot_w as f64).round() as i32;
        area.draw(&Text::new(
            "error budget burned by one run (% of the SLO window's budget)".to_string(),
            (names, 6),
            anchored(13.0, HPos::Left, VPos::Top),
        ))?;
        fifths_grid(
            &area,
            top,
            rows_h,
            |k| x_of(x_max * f64::from(k) / 5.0),
            |k| tick(x_max * f64::from(k) / 5.0, x_max),
        )?;
        if show_limit {
            let x = x_of(self.limit_pct);
            area.draw(&DashedPathElement::new(
                vec![(x, top - 4), (x, top + rows_h)],
                5,
                4,
                RGBColor(213, 94, 0).stroke_width(1),
            ))?;
            area.draw(&Text::new(
                format!("p95 limit {}%", tick(self.limit_pct, self.limit_pct)),
                (x - 4, top - 2),
                anchored(11.0, HPos::Right, VPos::Bottom).color(&RGBColor(213, 94, 0)),
            ))?;
        }
        let fill = series_color(0);
        for (i, (policy, spread)) in self.rows.iter().enumerate() {
            let y0 = top + i as i32 * ROW as i32;
            let mid = y0 + ROW as i32 / 2;
            area.draw(&Text::new(
                ellipsize_middle(policy, NAME_MAX),
                (names - 8, mid),
                anchored(12.0, HPos::Right, VPos::Center),
            ))?;
            let Some(s) = spread else {
                area.draw(&Text::new(
                    "no runs".to_string(),
                    (names + 6, mid),
                    text(11.0)
                        .color(&GREY)
                        .pos(plotters::style::text_anchor::Pos::new(
                            HPos::Left,
                            VPos::Center,
                        )),
                ))?;
                continue;
            };
            let line = BLACK.stroke_width(1);
            area.draw(&PathElement::new(
                vec![(x_of(s.min), mid), (x_of(s.q1), mid)],
                line,
            ))?;
            area.draw(&PathElement::new(
                vec![(x_of(s.q3), mid), (x_of(s.max), mid)],
                line,
            ))?;
            for v in [s.min, s.max] {
                area.draw(&PathElement::new(
                    vec![(x_of(v), mid - 5), (x_of(v), mid + 5)],
                    line,
                ))?;
            }
            let (b0, b1) = (x_of(s.q1), x_of(s.q3).max(x_of(s.q1) + 1));
            area.draw(&Rectangle::new(
                [(b0, y0 + 6), (b1, y0 + ROW as i32 - 6)],
                fill.mix(0.55).filled(),
            ))?;
            area.draw(&Rectangle::new(
                [(b0, y0 + 6), (b1, y0 + ROW as i32 - 6)],
                fill.stroke_width(1),
            ))?;
            let m = x_of(s.median);
            area.draw(&PathElement::new(
                vec![(m, y0 + 4), (m, y0 + ROW as i32 - 4)],
                BLACK.stroke_width(2),
            ))?;
            area.draw(&TriangleMarker::new(
                (x_of(s.p95), y0 + 5),
                5,
                RGBColor(213, 94, 0).filled(),
            ))?;
        }
        let key_area = area.margin((h as i32 - 22).max(0), 0, names, RIGHT as i32);
        legend(&key_area, &self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_uses_type_7_quantiles() {
        let s = Spread::of(&[4.0, 1.0, 3.0, 2.0, 5.0]).unwrap();
        assert_eq!(
            (s.min, s.q1, s.median, s.q3, s.max),
            (1.0, 2.0, 3.0, 4.0, 5.0)
        );
        assert!((s.p95 - 4.8).abs() < 1e-12);
        assert_eq!(Spread::of(&[]), None);
    }
}
