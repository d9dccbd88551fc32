//! The sensitivity of one (scenario, policy) group as tornado charts, one panel per
//! headline figure: a horizontal bar per uncertain parameter from 0 to its Spearman ρ
//! (right: runs with a larger value have a larger figure), the bootstrap 95% interval
//! as whiskers, parameters sorted by |ρ| as `sensitivity.csv` ranks them, so the
//! parameter that matters most is the widest bar at the top.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    DrawResult, Figure, GREY, Swatch, WIDTH, anchored, ellipsize_middle, legend, measure,
    series_color, slug, title,
};
use reports::sweep::sensitivity::{HEADLINE, headline_label};
use reports::view::SweepView;

/// One parameter's bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub parameter: String,
    pub rho: Option<f64>,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
}

/// One figure's ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// `budget burned (50 runs)`.
    pub label: String,
    /// In rank order.
    pub bars: Vec<Bar>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tornado {
    pub title: String,
    pub panels: Vec<Panel>,
}

const ROW: u32 = 24;
const HEAD: u32 = 26;
const AXIS: u32 = 22;
const GAP: u32 = 10;
const KEY: u32 = 26;
const TOP: u32 = 34;
const RIGHT: i32 = 24;
const NAME_MAX: usize = 56;
const POSITIVE: usize = 0;
const NEGATIVE: usize = 3;

/// One chart per group with a sensitivity, in group order.
pub fn figures(v: &SweepView) -> Vec<Figure> {
    v.sensitivity
        .iter()
        .enumerate()
        .map(|(k, g)| {
            let panels = HEADLINE
                .iter()
                .map(|&q| {
                    let bars: Vec<Bar> = g
                        .of(q)
                        .map(|c| Bar {
                            parameter: c.parameter.clone(),
                            rho: c.rho,
                            lo: c.lo,
                            hi: c.hi,
                        })
                        .collect();
                    let n = g.of(q).next().map_or(0, |c| c.n);
                    Panel {
                        label: format!(
                            "{} ({n} run{})",
                            headline_label(q),
                            if n == 1 { "" } else { "s" }
                        ),
                        bars,
                    }
                })
                .collect();
            Figure {
                id: format!(
                    "tornado-{}-{}",
                    k + 1,
                    slug(&format!("{} {}", g.scenario, g.policy))
                ),
                title: format!("Sensitivity of {} under {}", g.scenario, g.policy),
                caption: format!(
                    "For each headline figure of {} under {}, the Spearman rank correlation \
                     of every uncertain parameter with it over the runs: right of 0, runs that \
                     drew a larger value had a larger figure; left, a smaller one. Whiskers are \
                     bootstrap 95% intervals; a parameter whose interval crosses 0 has no \
                     effect the runs can tell apart from chance. Sorted by |ρ|, largest first.",
                    g.scenario, g.policy
                ),
                chart: super::Chart::Tornado(Tornado {
                    title: format!("Sensitivity: {} under {}", g.scenario, g.policy),
                    panels,
                }),
            }
        })
        .collect()
}

impl Tornado {
    fn names_width(&self) -> i32 {
        self.panels
            .iter()
            .flat_map(|p| &p.bars)
            .map(|b| measure(&ellipsize_middle(&b.parameter, NAME_MAX), 12.0))
            .max()
            .unwrap_or(60)
            .min(WIDTH as i32 / 2 - 40)
            + 14
    }

    fn panel_height(p: &Panel) -> u32 {
        HEAD + ROW * p.bars.len().max(1) as u32 + AXIS + GAP
    }

    pub fn size(&self) -> (u32, u32) {
        let panels: u32 = self.panels.iter().map(Self::panel_height).sum();
        (WIDTH, TOP + panels + KEY)
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = title(root, &self.title)?;
        let names = self.names_width();
        let (w, h) = area.dim_in_pixel();
        let plot_w = w as i32 - names - RIGHT;
        let x_of =
            |v: f64| names + (((v.clamp(-1.0, 1.0) + 1.0) / 2.0) * plot_w as f64).round() as i32;
        let mut top = 0i32;
        for p in &self.panels {
            self.panel(&area, p, top, names, &x_of)?;
            top += Self::panel_height(p) as i32;
        }
        let key_area = area.margin((h as i32 - KEY as i32 + 4).max(0), 0, names, RIGHT);
        legend(
            &key_area,
            &[
                (
                    Swatch::Fill(series_color(POSITIVE)),
                    "larger value, larger figure".into(),
                ),
                (
                    Swatch::Fill(series_color(NEGATIVE)),
                    "larger value, smaller figure".into(),
                ),
                (Swatch::Line(BLACK), "bootstrap 95% interval".into()),
            ],
        )
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        p: &Panel,
        top: i32,
        names: i32,
        x_of: &impl Fn(f64) -> i32,
    ) -> DrawResult {
        area.draw(&Text::new(
            p.label.clone(),
            (names, top + 6),
            anchored(13.0, HPos::Left, VPos::Top),
        ))?;
        let rows_top = top + HEAD as i32;
        let rows_h = ROW as i32 * p.bars.len().max(1) as i32;
        // Grid at quarters of [-1, 1]; 0 darker, where every bar starts.
        for k in 0..=4 {
            let v = -1.0 + 0.5 * f64::from(k);
            let x = x_of(v);
            area.draw(&PathElement::new(
                vec![(x, rows_top), (x, rows_top + rows_h)],
                BLACK.mix(if k == 2 { 0.6 } else { 0.08 }),
            ))?;
            let label = match k {
                0 => "−1".to_string(),
                1 => "−0.5".to_string(),
                2 => "0".to_string(),
                3 => "0.5".to_string(),
                _ => "1".to_string(),
            };
            let h = match k {
                0 => HPos::Left,
                4 => HPos::Right,
                _ => HPos::Center,
            };
            area.draw(&Text::new(
                label,
                (x, rows_top + rows_h + 4),
                anchored(11.0, h, VPos::Top),
            ))?;
        }
        let zero = x_of(0.0);
        let right_edge = x_of(1.0);
        for (i, b) in p.bars.iter().enumerate() {
            let y0 = rows_top + i as i32 * ROW as i32;
            let mid = y0 + ROW as i32 / 2;
            area.draw(&Text::new(
                ellipsize_middle(&b.parameter, NAME_MAX),
                (names - 8, mid),
                anchored(12.0, HPos::Right, VPos::Center),
            ))?;
            let Some(rho) = b.rho else {
                area.draw(&Text::new(
                    "n/a: the parameter or the figure does not vary".to_string(),
                    (zero + 6, mid),
                    anchored(11.0, HPos::Left, VPos::Center).color(&GREY),
                ))?;
                continue;
            };
            let x = x_of(rho);
            let color = series_color(if rho >= 0.0 { POSITIVE } else { NEGATIVE });
            let (a, c) = if x >= zero {
                (zero, x.max(zero + 1))
            } else {
                (x, zero)
            };
            area.draw(&Rectangle::new(
                [(a, y0 + 5), (c, y0 + ROW as i32 - 5)],
                color.mix(0.75).filled(),
            ))?;
            let (lo, hi) = (x_of(b.lo.unwrap_or(rho)), x_of(b.hi.unwrap_or(rho)));
            let whisker = BLACK.stroke_width(1);
            area.draw(&PathElement::new(vec![(lo, mid), (hi, mid)], whisker))?;
            for e in [lo, hi] {
                area.draw(&PathElement::new(vec![(e, mid - 5), (e, mid + 5)], whisker))?;
            }
            let label = match (b.lo, b.hi) {
                (Some(l), Some(h)) => format!("{rho:.2} [{l:.2}, {h:.2}]"),
                _ => format!("{rho:.2}"),
            };
            let lw = measure(&label, 11.0);
            // Beyond the whisker on the bar's side if it fits, else on the other side.
            let (lx, anchor) = if rho >= 0.0 && hi + 6 + lw <= right_edge {
                (hi + 6, HPos::Left)
            } else if rho < 0.0 && lo - 6 - lw >= names {
                (lo - 6, HPos::Right)
            } else if rho >= 0.0 {
                (lo.min(zero) - 6, HPos::Right)
            } else {
                (hi.max(zero) + 6, HPos::Left)
            };
            area.draw(&Text::new(
                label,
                (lx, mid),
                anchored(11.0, anchor, VPos::Center),
            ))?;
        }
        Ok(())
    }
}
