//! Detection and false-rollback rates per policy (pooled over the sweep's scenarios)
//! as horizontal bars with their Wilson 95% intervals as whiskers.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    DrawResult, Figure, GREY, WIDTH, anchored, ellipsize_middle, fifths_grid, measure, text, title,
};
use reports::stats::Rate;
use reports::view::SweepView;

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub policy: String,
    pub detection: Option<Rate>,
    pub false_rollback: Option<Rate>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rates {
    pub rows: Vec<Row>,
}

const ROW: u32 = 26;
const TOP: u32 = 34 + 30;
const AXIS: u32 = 26;
const NAME_MAX: usize = 64;

pub fn figures(v: &SweepView) -> Vec<Figure> {
    let rows = v
        .pareto
        .iter()
        .map(|p| Row {
            policy: p.policy.clone(),
            detection: p.detection_rate,
            false_rollback: p.false_rollback_rate,
        })
        .collect();
    vec![Figure {
        id: "rates".into(),
        title: "Detection and false-rollback rates".into(),
        caption: "Per policy, pooled over every scenario: the share of runs with an active \
                  fault that a detector caught (higher is better), and the share of runs with \
                  no fault that were stopped anyway (lower is better). Whiskers are Wilson 95% \
                  intervals; the label gives the runs counted."
            .into(),
        chart: super::Chart::Rates(Rates { rows }),
    }]
}

impl Rates {
    fn names_width(&self) -> i32 {
        self.rows
            .iter()
            .map(|r| measure(&ellipsize_middle(&r.policy, NAME_MAX), 12.0))
            .max()
            .unwrap_or(60)
            + 14
    }

    pub fn size(&self) -> (u32, u32) {
        (WIDTH, TOP + ROW * self.rows.len().max(1) as u32 + AXIS)
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = title(root, "Detection and false-rollback rates (95% intervals)")?;
        let names = self.names_width().min(WIDTH as i32 / 2 - 40);
        let (w, _) = area.dim_in_pixel();
        let panels_w = (w as i32 - names - 16) / 2;
        let left = area.margin(0, 0, names, 0);
        let (det, fr) = left.split_horizontally(panels_w);
        let fr = fr.margin(0, 0, 16, 16);
        let n = self.rows.len().max(1);
        let rows_h = ROW as i32 * n as i32;

        // Names, one per row, right-aligned against the panels.
        for (i, r) in self.rows.iter().enumerate() {
            let y = 30 + i as i32 * ROW as i32 + ROW as i32 / 2;
            area.draw(&Text::new(
                ellipsize_middle(&r.policy, NAME_MAX),
                (names - 8, y),
                anchored(12.0, HPos::Right, VPos::Center),
            ))?;
        }
        self.panel(
            &det,
            "detection rate (fault runs)",
            rows_h,
            |r| r.detection,
            RGBColor(0, 158, 115),
        )?;
        self.panel(
            &fr,
            "false-rollback rate (runs with no fault)",
            rows_h,
            |r| r.false_rollback,
            RGBColor(213, 94, 0),
        )
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        name: &str,
        rows_h: i32,
        pick: impl Fn(&Row) -> Option<Rate>,
        color: RGBColor,
    ) -> DrawResult {
        let (w, _) = area.dim_in_pixel();
        let w = w as i32 - 8;
        let top = 30;
        let x_of = |v: f64| (v.clamp(0.0, 1.0) * w as f64).round() as i32;
        area.draw(&Text::new(
            name.to_string(),
            (0, 6),
            anchored(13.0, HPos::Left, VPos::Top),
        ))?;
        // Grid at every 20%, with labels under the rows.
        fifths_grid(
            area,
            top,
            rows_h,
            |k| x_of(f64::from(k) / 5.0),
            |k| format!("{}%", 20 * k),
        )?;
        for (i, r) in self.rows.iter().enumerate() {
            let y0 = top + i as i32 * ROW as i32;
            let mid = y0 + ROW as i32 / 2;
            match pick(r) {
                Some(rate) => {
                    let x = x_of(rate.rate);
                    area.draw(&Rectangle::new(
                        [(0, y0 + 5), (x.max(1), y0 + ROW as i32 - 5)],
                        color.mix(0.75).filled(),
                    ))?;
                    let (lo, hi) = (x_of(rate.lo), x_of(rate.hi));
                    let whisker = BLACK.stroke_width(1);
                    area.draw(&PathElement::new(vec![(lo, mid), (hi, mid)], whisker))?;
                    area.draw(&PathElement::new(
                        vec![(lo, mid - 5), (lo, mid + 5)],
                        whisker,
                    ))?;
                    area.draw(&PathElement::new(
                        vec![(hi, mid - 5), (hi, mid + 5)],
                        whisker,
                    ))?;
                    let label = format!("{:.1}% ({} of {})", 100.0 * rate.rate, rate.k, rate.n);
                    let lw = measure(&label, 11.0);
                    // Right of the whisker if it fits, else inside the bar's left end.
                    let (lx, anchor, c) = if hi + 6 + lw <= w {
                        (hi + 6, HPos::Left, BLACK)
                    } else {
                        (lo - 6, HPos::Right, BLACK)
                    };
                    area.draw(&Text::new(
                        label,
                        (lx, mid),
                        anchored(11.0, anchor, VPos::Center).color(&c),
                    ))?;
                }
                None => {
                    area.draw(&Text::new(
                        "n/a: no such runs".to_string(),
                        (6, mid),
                        text(11.0)
                            .color(&GREY)
                            .pos(plotters::style::text_anchor::Pos::new(
                                HPos::Left,
                                VPos::Center,
                            )),
                    ))?;
                }
            }
        }
        Ok(())
    }
}
