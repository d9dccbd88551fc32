//! A run's timeline: pods by version and state (stacked), the error ratio, p99
//! latency, burn rates over 5 m and 1 h against the pager's thresholds, gate
//! evaluations (pass, fail, inconclusive), and the fault, impact, detection,
//! mitigation and recovery as labelled vertical lines across every panel.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    ChartError, DrawResult, FAIL, GREY, PASS, Swatch, WIDTH, anchored, ellipsize, legend,
    legend_height, measure, nice_max, text, tick, time_unit, title,
};
use reports::artifacts::timeline_csv::TimelineRecord;
use reports::view::RunView;

/// A labelled moment of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub time_s: f64,
    pub label: String,
    pub color: RGBColor,
}

/// A gate's evaluations: (time, verdict).
#[derive(Clone, Debug, PartialEq)]
pub struct GateRow {
    pub name: String,
    pub evaluations: Vec<(f64, Verdict)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
}

/// A pager rule drawn on the burn-rate panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    pub factor: f64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    pub title: String,
    pub horizon_s: f64,
    pub points: Vec<TimelineRecord>,
    pub gates: Vec<GateRow>,
    pub marks: Vec<Mark>,
    pub thresholds: Vec<Threshold>,
}

/// Pod layers from the bottom of the stack up: (version, state index, label, colour).
const LAYERS: [(usize, usize, &str, RGBColor); 8] = [
    (0, 1, "baseline ready", RGBColor(0, 114, 178)),
    (0, 0, "baseline starting", RGBColor(140, 200, 240)),
    (0, 2, "baseline crashed", RGBColor(136, 34, 85)),
    (0, 3, "baseline terminating", RGBColor(110, 110, 110)),
    (1, 1, "candidate ready", RGBColor(230, 159, 0)),
    (1, 0, "candidate starting", RGBColor(250, 215, 140)),
    (1, 2, "candidate crashed", RGBColor(213, 94, 0)),
    (1, 3, "candidate terminating", RGBColor(190, 190, 190)),
];

const MARK_FAULT: RGBColor = RGBColor(213, 94, 0);
const MARK_IMPACT: RGBColor = RGBColor(230, 159, 0);
const MARK_DETECT: RGBColor = RGBColor(0, 114, 178);
const MARK_MITIGATE: RGBColor = RGBColor(0, 158, 115);
const MARK_RECOVER: RGBColor = RGBColor(204, 121, 167);
const MARK_RELEASE: RGBColor = RGBColor(90, 90, 90);
const BURN_5M: RGBColor = RGBColor(136, 34, 85);
const BURN_1H: RGBColor = RGBColor(68, 170, 153);
const LINE: RGBColor = RGBColor(40, 40, 40);
const DESIRED: RGBColor = RGBColor(117, 112, 179);
const PENDING: RGBColor = RGBColor(213, 94, 0);

/// A value read off a timeline point, `None` where the point has none.
type Reading<'a> = dyn Fn(&TimelineRecord) -> Option<f64> + 'a;

/// Pixels left of every panel (tick labels and the axis description).
const Y_AREA: u32 = 96;
const RIGHT: u32 = 24;
const LANE: i32 = 16;

impl Timeline {
    /// The timeline of a run, with the pager thresholds of `thresholds`.
    pub fn from_view(v: &RunView, thresholds: Vec<Threshold>) -> Timeline {
        let f = &v.metrics;
        let mut marks = Vec::new();
        let mut push = |t: Option<f64>, label: String, color: RGBColor| {
            if let Some(time_s) = t {
                marks.push(Mark {
                    time_s,
                    label,
                    color,
                });
            }
        };
        push(f.t_change_start_s, "release".into(), MARK_RELEASE);
        for fault in &f.faults {
            push(
                fault.t_active_s,
                format!("fault {} live", fault.name),
                MARK_FAULT,
            );
        }
        push(f.t_impact_start_s, "impact".into(), MARK_IMPACT);
        push(
            f.t_detect_s,
            match &f.detector {
                Some(d) => format!("detected ({d})"),
                None => "detected".into(),
            },
            MARK_DETECT,
        );
        push(f.t_mitigate_s, "mitigated".into(), MARK_MITIGATE);
        push(f.t_recover_s, "recovered".into(), MARK_RECOVER);
        marks.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));

        let mut gates: Vec<GateRow> = Vec::new();
        for e in v.events.iter().filter(|e| e.kind == "gate") {
            let verdict = match e.verdict.as_str() {
                "pass" => Verdict::Pass,
                "fail" => Verdict::Fail,
                _ => Verdict::Inconclusive,
            };
            match gates.iter_mut().find(|g| g.name == e.subject) {
                Some(g) => g.evaluations.push((e.time_s, verdict)),
                None => gates.push(GateRow {
                    name: e.subject.clone(),
                    evaluations: vec![(e.time_s, verdict)],
                }),
            }
        }
        let last = v.timeline.last().map_or(0.0, |p| p.time_s);
        Timeline {
            title: format!(
                "Run timeline: {} under {} (seed {})",
                v.scenario, v.policy, v.seed
            ),
            horizon_s: v.horizon_s.max(last),
            points: v.timeline.clone(),
            gates,
            marks,
            thresholds,
        }
    }

    fn gate_rows(&self) -> usize {
        self.gates.len().max(1)
    }

    /// The pixel column of time `t_s` (seconds) in every panel.
    fn px(&self, t_s: f64) -> i32 {
        let (div, _) = time_unit(self.horizon_s);
        let span = (self.horizon_s / div).max(1e-9);
        let plot_w = (WIDTH - Y_AREA - RIGHT) as f64;
        Y_AREA as i32 + ((t_s / div) / span * plot_w).round() as i32
    }

    /// Label lanes of the marks, and whether each label extends left of its line:
    /// each label goes in the first lane where it does not overlap the label before
    /// it, so close moments stay readable.
    fn lanes(&self) -> Vec<(i32, bool)> {
        let mut ends: Vec<i32> = Vec::new();
        let mut out = Vec::with_capacity(self.marks.len());
        let right_edge = (WIDTH - RIGHT) as i32;
        for m in &self.marks {
            let x = self.px(m.time_s);
            let w = measure(&m.label, 12.0) + 10;
            // Labels near the right edge extend to the left of their line.
            let leftward = x + w > right_edge;
            let (start, end) = if leftward { (x - w, x) } else { (x, x + w) };
            let lane = match ends.iter().position(|&e| e <= start) {
                Some(l) => l,
                None => {
                    ends.push(i32::MIN);
                    ends.len() - 1
                }
            };
            ends[lane] = end;
            out.push((lane as i32, leftward));
        }
        out
    }

    fn lane_count(&self) -> usize {
        self.lanes()
            .iter()
            .map(|&(l, _)| l as usize + 1)
            .max()
            .unwrap_or(1)
    }

    fn legend_entries(&self) -> Vec<(Swatch, String)> {
        let mut out = Vec::new();
        for (i, (v, s, label, color)) in LAYERS.iter().enumerate() {
            if i == 0 || self.points.iter().any(|p| p.pods()[*v][*s] > 0) {
                out.push((Swatch::Fill(*color), label.to_string()));
            }
        }
        out.push((Swatch::Line(BLACK), "available pods".into()));
        if self.sized() {
            out.push((Swatch::Line(DESIRED), "desired replicas (spec)".into()));
            out.push((Swatch::Line(LINE), "pods (not terminating)".into()));
            out.push((Swatch::Line(PENDING), "pending pods".into()));
        }
        out.push((Swatch::Line(BURN_5M), "burn rate 5 m".into()));
        out.push((Swatch::Line(BURN_1H), "burn rate 1 h".into()));
        out.push((Swatch::Line(FAIL), "pager threshold".into()));
        out.push((Swatch::Dot(PASS), "gate pass".into()));
        out.push((Swatch::Cross(FAIL), "gate fail".into()));
        out.push((Swatch::Ring(GREY), "gate inconclusive".into()));
        out
    }

    const TITLE: u32 = 34;
    const PODS: u32 = 190;
    const ERRORS: u32 = 100;
    const LATENCY: u32 = 100;
    const BURN: u32 = 130;
    const AXIS: u32 = 42;

    const SIZING: u32 = 130;

    /// Whether the run's fleet could change size (the timeline has the sizing columns):
    /// then a panel shows the desired replicas against the pods.
    fn sized(&self) -> bool {
        self.points.iter().any(|p| p.desired_replicas.is_some())
    }

    fn sizing_height(&self) -> u32 {
        if self.sized() { Self::SIZING } else { 0 }
    }

    fn gates_height(&self) -> u32 {
        12 + 18 * self.gate_rows() as u32 + Self::AXIS
    }

    fn strip_height(&self) -> u32 {
        self.lane_count() as u32 * LANE as u32 + 6
    }

    pub fn size(&self) -> (u32, u32) {
        let legend = legend_height(&self.legend_entries(), (WIDTH - Y_AREA - RIGHT) as i32);
        let h = Self::TITLE
            + self.strip_height()
            + Self::PODS
            + self.sizing_height()
            + Self::ERRORS
            + Self::LATENCY
            + Self::BURN
            + self.gates_height()
            + legend;
        (WIDTH, h)
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = title(root, &self.title)?;
        let (div, unit) = time_unit(self.horizon_s);
        let x_range = 0.0..(self.horizon_s / div).max(1e-9);

        let heights = [
            self.strip_height(),
            Self::PODS,
            self.sizing_height(),
            Self::ERRORS,
            Self::LATENCY,
            Self::BURN,
            self.gates_height(),
        ];
        let mut rest = area;
        let mut panels = Vec::new();
        for h in heights {
            let (top, bottom) = rest.split_vertically(h);
            panels.push(top);
            rest = bottom;
        }
        let legend_area = rest.margin(4, 0, Y_AREA as i32, RIGHT as i32);

        self.draw_pods(&panels[1], x_range.clone(), div)?;
        if self.sized() {
            self.draw_sizing(&panels[2], x_range.clone(), div)?;
        }
        self.draw_series(
            &panels[3],
            x_range.clone(),
            div,
            "error ratio (% of requests)",
            0.1,
            |p| p.error_ratio.map(|r| 100.0 * r),
        )?;
        self.draw_series(
            &panels[4],
            x_range.clone(),
            div,
            "p99 latency (ms)",
            1.0,
            |p| p.latency_p99_ms,
        )?;
        self.draw_burn(&panels[5], x_range.clone(), div)?;
        self.draw_gates(&panels[6], x_range.clone(), div, unit)?;
        self.draw_strip(&panels[0])?;
        legend(&legend_area, &self.legend_entries())
    }

    /// A panel sharing the time axis; only the bottom one has tick labels.
    fn panel<'a, DB: DrawingBackend>(
        area: &'a DrawingArea<DB, Shift>,
        x: Range<f64>,
        y: Range<f64>,
        bottom: bool,
    ) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, ChartError> {
        Ok(ChartBuilder::on(area)
            .margin_top(20)
            .margin_bottom(if bottom { 0 } else { 2 })
            .margin_right(RIGHT)
            .x_label_area_size(if bottom { Self::AXIS } else { 0 })
            .y_label_area_size(Y_AREA)
            .build_cartesian_2d(x, y)?)
    }

    /// The grid and y ticks of an upper panel, and its name written inside its
    /// top-left corner (horizontal text reads better than a rotated axis title).
    fn mesh<DB: DrawingBackend>(
        chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        name: &str,
        y_fmt: &dyn Fn(&f64) -> String,
        y_labels: usize,
    ) -> DrawResult {
        chart
            .configure_mesh()
            .max_light_lines(0)
            .bold_line_style(BLACK.mix(0.08))
            .axis_style(BLACK.mix(0.6))
            .label_style(text(12.0))
            .x_labels(12)
            .y_labels(y_labels)
            .y_label_formatter(y_fmt)
            .x_label_formatter(&|_| String::new())
            .draw()?;
        Self::name(chart, name)
    }

    /// The panel's name, above its top-left corner.
    fn name<DB: DrawingBackend>(
        chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        name: &str,
    ) -> DrawResult {
        let (x, y) = (chart.x_range(), chart.y_range());
        chart.draw_series(std::iter::once(
            EmptyElement::at((x.start, y.end))
                + Text::new(
                    name.to_string(),
                    (0, -4),
                    anchored(12.0, HPos::Left, VPos::Bottom),
                ),
        ))?;
        Ok(())
    }

    fn vertical_marks<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        y: Range<f64>,
        div: f64,
    ) -> DrawResult {
        for m in &self.marks {
            let x = m.time_s / div;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, y.start), (x, y.end)],
                m.color.mix(0.85).stroke_width(2),
            )))?;
        }
        Ok(())
    }

    fn draw_strip<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let (ox, _) = area.get_base_pixel();
        let h = area.dim_in_pixel().1 as i32;
        let lanes = self.lanes();
        let place = |m: &Mark, lane: i32| (self.px(m.time_s) - ox, 3 + lane * LANE + LANE / 2);
        // Every line first, then every label on a white ground, so that no line
        // crosses a label.
        for (m, &(lane, _)) in self.marks.iter().zip(&lanes) {
            let (x, y) = place(m, lane);
            area.draw(&PathElement::new(
                vec![(x, y), (x, h)],
                m.color.mix(0.85).stroke_width(2),
            ))?;
        }
        for (m, &(lane, leftward)) in self.marks.iter().zip(&lanes) {
            let (x, y) = place(m, lane);
            let w = measure(&m.label, 12.0);
            let (anchor, tx, x0) = if leftward {
                (HPos::Right, x - 4, x - 6 - w)
            } else {
                (HPos::Left, x + 4, x + 2)
            };
            area.draw(&Rectangle::new(
                [(x0, y - LANE / 2 + 1), (x0 + w + 4, y + LANE / 2 - 1)],
                WHITE.filled(),
            ))?;
            area.draw(&Text::new(
                m.label.clone(),
                (tx, y),
                anchored(12.0, anchor, VPos::Center).color(&m.color),
            ))?;
        }
        Ok(())
    }

    fn draw_pods<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x: Range<f64>,
        div: f64,
    ) -> DrawResult {
        let max = self
            .points
            .iter()
            .map(|p| p.pods().iter().flatten().sum::<u32>().max(p.available))
            .max()
            .unwrap_or(1) as f64;
        let y_max = nice_max(max * 1.05, 1.0);
        let mut chart = Self::panel(area, x, 0.0..y_max, false)?;
        Self::mesh(
            &mut chart,
            "pods by version and state",
            &|v| tick(*v, y_max),
            5,
        )?;
        let mut below = vec![0.0f64; self.points.len()];
        for (v, s, _, color) in LAYERS {
            if !self.points.iter().any(|p| p.pods()[v][s] > 0) {
                continue;
            }
            let above: Vec<f64> = self
                .points
                .iter()
                .zip(&below)
                .map(|(p, b)| b + p.pods()[v][s] as f64)
                .collect();
            let mut poly: Vec<(f64, f64)> = self
                .points
                .iter()
                .zip(&above)
                .map(|(p, y)| (p.time_s / div, *y))
                .collect();
            poly.extend(
                self.points
                    .iter()
                    .zip(&below)
                    .rev()
                    .map(|(p, y)| (p.time_s / div, *y)),
            );
            chart.draw_series(std::iter::once(Polygon::new(poly, color.filled())))?;
            below = above;
        }
        chart.draw_series(LineSeries::new(
            self.points
                .iter()
                .map(|p| (p.time_s / div, p.available as f64)),
            BLACK.stroke_width(2),
        ))?;
        self.vertical_marks(&mut chart, 0.0..y_max, div)
    }

    /// The fleet's size: the Deployment's desired replicas (what the autoscaler set)
    /// against the pods that exist, those available, and those Pending for want of
    /// room in the cluster.
    fn draw_sizing<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x: Range<f64>,
        div: f64,
    ) -> DrawResult {
        let pending =
            |p: &TimelineRecord| p.baseline_pending.unwrap_or(0) + p.candidate_pending.unwrap_or(0);
        let pods = |p: &TimelineRecord| {
            let [b, c] = p.pods();
            // Starting, ready and crashed pods, and the Pending ones: the ReplicaSets'
            // pods; terminating ones are leaving.
            b[0] + b[1] + b[2] + c[0] + c[1] + c[2] + pending(p)
        };
        let max = self
            .points
            .iter()
            .map(|p| {
                pods(p)
                    .max(p.desired_replicas.unwrap_or(0))
                    .max(p.available)
            })
            .max()
            .unwrap_or(1) as f64;
        let y_max = nice_max(max * 1.1, 1.0);
        let mut chart = Self::panel(area, x, 0.0..y_max, false)?;
        Self::mesh(
            &mut chart,
            "replicas: desired, pods, available, pending",
            &|v| tick(*v, y_max),
            4,
        )?;
        let series: [(&Reading<'_>, ShapeStyle); 4] = [
            (&|p| Some(f64::from(pods(p))), LINE.stroke_width(2)),
            (&|p| Some(f64::from(p.available)), BLACK.stroke_width(1)),
            (&|p| Some(f64::from(pending(p))), PENDING.stroke_width(2)),
            (
                &|p| p.desired_replicas.map(f64::from),
                DESIRED.stroke_width(3),
            ),
        ];
        for (value, style) in series {
            Self::lines(
                &mut chart,
                self.points.iter().map(|p| (p.time_s / div, value(p))),
                style,
            )?;
        }
        self.vertical_marks(&mut chart, 0.0..y_max, div)
    }

    /// Draws `values` as lines, broken where a value is missing.
    fn lines<DB: DrawingBackend>(
        chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        points: impl Iterator<Item = (f64, Option<f64>)>,
        style: ShapeStyle,
    ) -> DrawResult {
        let mut segment: Vec<(f64, f64)> = Vec::new();
        let mut flush = |seg: &mut Vec<(f64, f64)>| -> DrawResult {
            if seg.len() == 1 {
                chart.draw_series(std::iter::once(Circle::new(seg[0], 1, style)))?;
            } else if seg.len() > 1 {
                chart.draw_series(std::iter::once(PathElement::new(seg.clone(), style)))?;
            }
            seg.clear();
            Ok(())
        };
        for (x, y) in points {
            match y {
                Some(y) => segment.push((x, y)),
                None => flush(&mut segment)?,
            }
        }
        flush(&mut segment)
    }

    /// A panel of one series on a linear axis from 0: the error ratio, the p99 latency.
    /// `value` reads a point (already in the panel's unit); `floor` is the smallest top
    /// of the axis, so a flat series still has a readable scale.
    fn draw_series<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x: Range<f64>,
        div: f64,
        label: &str,
        floor: f64,
        value: impl Fn(&TimelineRecord) -> Option<f64>,
    ) -> DrawResult {
        let max = self.points.iter().filter_map(&value).fold(0.0, f64::max);
        let y_max = nice_max(max * 1.1, floor);
        let mut chart = Self::panel(area, x, 0.0..y_max, false)?;
        Self::mesh(&mut chart, label, &|v| tick(*v, y_max), 4)?;
        Self::lines(
            &mut chart,
            self.points.iter().map(|p| (p.time_s / div, value(p))),
            LINE.stroke_width(2),
        )?;
        self.vertical_marks(&mut chart, 0.0..y_max, div)
    }

    fn draw_burn<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x: Range<f64>,
        div: f64,
    ) -> DrawResult {
        let max = self
            .points
            .iter()
            .flat_map(|p| [p.burn_rate_5m, p.burn_rate_1h])
            .flatten()
            .fold(0.0, f64::max);
        let top_threshold = self.thresholds.iter().map(|t| t.factor).fold(0.0, f64::max);
        // A linear axis while the thresholds stay legible; a log axis when a burst
        // would squash them against the bottom.
        let log = max > 8.0 * top_threshold.max(1.0);
        let floor = 0.01f64;
        let (y_range, y_of): (Range<f64>, Box<dyn Fn(f64) -> f64>) = if log {
            let top = (max * 1.5).log10().ceil();
            (floor.log10()..top, Box::new(move |v| v.max(floor).log10()))
        } else {
            (
                0.0..nice_max(max.max(top_threshold) * 1.15, 1.0),
                Box::new(|v| v),
            )
        };
        let y_max = y_range.end;
        let mut chart = Self::panel(area, x.clone(), y_range.clone(), false)?;
        let fmt = move |v: &f64| {
            if log {
                let p = 10f64.powf(*v);
                if p < 1.0 {
                    format!("{p:.2}")
                } else {
                    format!("{p:.0}")
                }
            } else {
                tick(*v, y_max)
            }
        };
        let n_labels = if log {
            (y_range.end - y_range.start) as usize + 1
        } else {
            5
        };
        Self::mesh(
            &mut chart,
            if log {
                "error-budget burn rate (log scale)"
            } else {
                "error-budget burn rate"
            },
            &fmt,
            n_labels,
        )?;
        for t in &self.thresholds {
            let y = y_of(t.factor);
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(x.start, y), (x.end, y)],
                6,
                4,
                FAIL.stroke_width(1),
            )))?;
            let (px, py) = chart.backend_coord(&(x.end, y));
            let (ox, oy) = area.get_base_pixel();
            area.draw(&Text::new(
                t.label.clone(),
                (px - ox - 4, py - oy - 2),
                anchored(11.0, HPos::Right, VPos::Bottom).color(&FAIL),
            ))?;
        }
        for (pick, color) in [
            (
                (|p: &TimelineRecord| p.burn_rate_1h) as fn(&TimelineRecord) -> Option<f64>,
                BURN_1H,
            ),
            (|p: &TimelineRecord| p.burn_rate_5m, BURN_5M),
        ] {
            Self::lines(
                &mut chart,
                self.points
                    .iter()
                    .map(|p| (p.time_s / div, pick(p).map(&y_of))),
                color.stroke_width(2),
            )?;
        }
        self.vertical_marks(&mut chart, y_range, div)
    }

    fn draw_gates<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x: Range<f64>,
        div: f64,
        unit: &str,
    ) -> DrawResult {
        let rows = self.gate_rows() as f64;
        let mut chart = Self::panel(area, x.clone(), -0.6..rows - 0.4, true)?;
        let span = x.end - x.start;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .disable_y_mesh()
            .bold_line_style(BLACK.mix(0.08))
            .axis_style(BLACK.mix(0.6))
            .label_style(text(12.0))
            .axis_desc_style(text(12.0))
            .x_labels(12)
            .y_labels(0)
            .x_desc(format!("time since the run started ({unit})"))
            .x_label_formatter(&|v| tick(*v, span))
            .draw()?;
        Self::name(&mut chart, "gate evaluations")?;
        let (ox, oy) = area.get_base_pixel();
        let name_style = anchored(12.0, HPos::Right, VPos::Center);
        if self.gates.is_empty() {
            let (px, py) = chart.backend_coord(&(x.start, 0.0));
            area.draw(&Text::new(
                "no gate evaluations".to_string(),
                (px - ox + 8, py - oy),
                anchored(12.0, HPos::Left, VPos::Center).color(&GREY),
            ))?;
        }
        for (i, g) in self.gates.iter().enumerate() {
            // The first gate on top.
            let row = rows - 1.0 - i as f64;
            let (px, py) = chart.backend_coord(&(x.start, row));
            area.draw(&Text::new(
                ellipsize(&g.name, 12),
                (px - ox - 6, py - oy),
                name_style.clone(),
            ))?;
            for &(t, v) in &g.evaluations {
                let at = (t / div, row);
                match v {
                    Verdict::Pass => {
                        chart.draw_series(std::iter::once(Circle::new(at, 3, PASS.filled())))?;
                    }
                    Verdict::Inconclusive => {
                        chart.draw_series(std::iter::once(Circle::new(
                            at,
                            3,
                            GREY.stroke_width(1),
                        )))?;
                    }
                    Verdict::Fail => {}
                }
            }
            // Failures last, so they sit on top.
            for &(t, _) in g.evaluations.iter().filter(|e| e.1 == Verdict::Fail) {
                chart.draw_series(std::iter::once(Cross::new(
                    (t / div, row),
                    5,
                    FAIL.stroke_width(2),
                )))?;
            }
        }
        self.vertical_marks(&mut chart, -0.6..rows - 0.4, div)
    }
}
