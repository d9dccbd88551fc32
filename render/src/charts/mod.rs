//! Charts, drawn with plotters on any backend: as SVG text for `report.html` and as
//! RGB pixels for the PNG files. One file per chart kind; this one holds what they
//! share (the palette, text styles, the legend, the error type) and the two renderers.
//!
//! Every chart is a pure function of its data: no clock, no randomness, and integer
//! pixel coordinates, so the same data give byte-identical SVG and PNG.

pub mod budget;
pub mod cdf;
pub mod font;
pub mod heatmap;
pub mod pareto;
pub mod power;
pub mod rates;
pub mod timeline;
pub mod tornado;

use std::fmt;
use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A chart could not be drawn (a bug or an unreadable font, never bad input).
#[derive(Clone, Debug, PartialEq)]
pub struct ChartError(pub String);

impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "drawing a chart: {}", self.0)
    }
}

impl std::error::Error for ChartError {}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError(e.to_string())
    }
}

pub type DrawResult = Result<(), ChartError>;

/// One chart of a report.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    Timeline(timeline::Timeline),
    Pareto(pareto::Pareto),
    Cdf(cdf::Cdf),
    Budget(budget::Budget),
    Rates(rates::Rates),
    Heatmap(heatmap::Heatmap),
    Tornado(tornado::Tornado),
    Power(power::Power),
}

impl Chart {
    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Chart::Timeline(c) => c.size(),
            Chart::Pareto(c) => c.size(),
            Chart::Cdf(c) => c.size(),
            Chart::Budget(c) => c.size(),
            Chart::Rates(c) => c.size(),
            Chart::Heatmap(c) => c.size(),
            Chart::Tornado(c) => c.size(),
            Chart::Power(c) => c.size(),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        font::ensure()?;
        root.fill(&WHITE)?;
        match self {
            Chart::Timeline(c) => c.draw(root),
            Chart::Pareto(c) => c.draw(root),
            Chart::Cdf(c) => c.draw(root),
            Chart::Budget(c) => c.draw(root),
            Chart::Rates(c) => c.draw(root),
            Chart::Heatmap(c) => c.draw(root),
            Chart::Tornado(c) => c.draw(root),
            Chart::Power(c) => c.draw(root),
        }
    }
}

/// A chart with its place in a report.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// File stem of the PNG and id of the SVG element: `[a-z0-9-]`, unique per report.
    pub id: String,
    /// A short title (the chart draws its own too).
    pub title: String,
    /// One or two sentences on how to read it.
    pub caption: String,
    pub chart: Chart,
}

/// The chart as an SVG document (`<svg ...>...</svg>`).
pub fn svg(chart: &Chart) -> Result<String, ChartError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, chart.size()).into_drawing_area();
        chart.draw(&root)?;
        root.present()?;
    }
    Ok(out)
}

/// The chart as RGB pixels, row by row (3 bytes a pixel).
pub fn rgb(chart: &Chart) -> Result<Vec<u8>, ChartError> {
    let (w, h) = chart.size();
    let mut buf = vec![0u8; (w as usize) * (h as usize) * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        chart.draw(&root)?;
        root.present()?;
    }
    Ok(buf)
}

/// Charts are this wide; heights vary with the content.
pub const WIDTH: u32 = 960;

/// Colours for series that must be told apart (Okabe and Ito's colour-blind-safe
/// set, then darker tones), in the order series get them.
pub const SERIES: [RGBColor; 10] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(136, 34, 85),   // wine
    RGBColor(153, 153, 51),  // olive
    RGBColor(68, 170, 153),  // teal
];

pub const GREY: RGBColor = RGBColor(120, 120, 120);
pub const LIGHT_GREY: RGBColor = RGBColor(200, 200, 200);
pub const PASS: RGBColor = RGBColor(0, 158, 115);
pub const FAIL: RGBColor = RGBColor(213, 94, 0);

/// The colour of series `i`.
pub fn series_color(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// Text in the charts' family.
pub fn text(size: f64) -> TextStyle<'static> {
    (font::FAMILY, size).into_font().color(&BLACK)
}

/// Text anchored at `h`, `v`.
pub fn anchored(size: f64, h: HPos, v: VPos) -> TextStyle<'static> {
    text(size).pos(Pos::new(h, v))
}

/// The chart title, drawn at the top of `area`; returns the area below it.
pub fn title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    Ok(area.titled(title, text(17.0))?)
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Swatch {
    /// A filled square.
    Fill(RGBColor),
    /// A short line.
    Line(RGBColor),
    /// A filled circle.
    Dot(RGBColor),
    /// A hollow circle.
    Ring(RGBColor),
    /// A diagonal cross.
    Cross(RGBColor),
    /// A filled triangle.
    Triangle(RGBColor),
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: Swatch,
    (x, y): (i32, i32),
) -> DrawResult {
    match s {
        Swatch::Fill(c) => area.draw(&Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()))?,
        Swatch::Line(c) => area.draw(&PathElement::new(
            vec![(x, y), (x + 14, y)],
            c.stroke_width(3),
        ))?,
        Swatch::Dot(c) => area.draw(&Circle::new((x + 6, y), 4, c.filled()))?,
        Swatch::Ring(c) => area.draw(&Circle::new((x + 6, y), 4, c.stroke_width(1)))?,
        Swatch::Cross(c) => area.draw(&Cross::new((x + 6, y), 4, c.stroke_width(2)))?,
        Swatch::Triangle(c) => area.draw(&TriangleMarker::new((x + 6, y), 5, c.filled()))?,
    }
    Ok(())
}

/// The width in pixels of `s` drawn at `size` in the embedded font.
pub fn measure(s: &str, size: f64) -> i32 {
    let fallback = || (0.62 * size * s.chars().count() as f64).ceil() as i32;
    if font::ensure().is_err() {
        return fallback();
    }
    (font::FAMILY, size)
        .into_font()
        .box_size(s)
        .map_or_else(|_| fallback(), |(w, _)| w as i32)
}

const LEGEND_ROW: i32 = 18;
const LEGEND_SIZE: f64 = 12.0;

/// The (x, row) of each entry: left to right, wrapping at `width`.
fn legend_layout(entries: &[(Swatch, String)], width: i32) -> Vec<(i32, i32)> {
    let mut out = Vec::with_capacity(entries.len());
    let (mut x, mut row) = (0, 0);
    for (_, label) in entries {
        let need = 20 + measure(label, LEGEND_SIZE) + 18;
        if x > 0 && x + need > width {
            x = 0;
            row += 1;
        }
        out.push((x, row));
        x += need;
    }
    out
}

/// The height a legend of `entries` takes in `width` pixels.
pub fn legend_height(entries: &[(Swatch, String)], width: i32) -> u32 {
    let rows = legend_layout(entries, width)
        .last()
        .map_or(0, |&(_, row)| row + 1);
    rows as u32 * LEGEND_ROW as u32 + 6
}

/// Draws `entries` in rows from the top-left of `area`, wrapping at its width.
pub fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(Swatch, String)],
) -> DrawResult {
    let width = area.dim_in_pixel().0 as i32;
    let layout = legend_layout(entries, width);
    let style = anchored(LEGEND_SIZE, HPos::Left, VPos::Center);
    for ((swatch, label), (x, row)) in entries.iter().zip(layout) {
        let y = row * LEGEND_ROW + LEGEND_ROW / 2;
        draw_swatch(area, *swatch, (x, y))?;
        area.draw(&Text::new(label.clone(), (x + 20, y), style.clone()))?;
    }
    Ok(())
}

/// The vertical grid of a row chart (budget, rates): six lines at fifths of the axis,
/// from `top` down `rows_h` pixels, the first one (the axis) darker, each labelled
/// under the rows by `label(k)`, the last label right-aligned so it stays inside.
pub fn fifths_grid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    top: i32,
    rows_h: i32,
    x_of_fifth: impl Fn(u32) -> i32,
    label: impl Fn(u32) -> String,
) -> DrawResult {
    for k in 0..=5 {
        let x = x_of_fifth(k);
        area.draw(&PathElement::new(
            vec![(x, top), (x, top + rows_h)],
            BLACK.mix(if k == 0 { 0.6 } else { 0.08 }),
        ))?;
        area.draw(&Text::new(
            label(k),
            (x, top + rows_h + 6),
            anchored(
                12.0,
                if k == 5 { HPos::Right } else { HPos::Center },
                VPos::Top,
            ),
        ))?;
    }
    Ok(())
}

/// A nice upper bound for an axis showing values up to `max` (at least `floor`).
pub fn nice_max(max: f64, floor: f64) -> f64 {
    let m = if max.is_finite() {
        max.max(floor)
    } else {
        floor
    };
    if m <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(m.log10().floor());
    for step in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m <= step * mag * 1.0001 {
            return step * mag;
        }
    }
    10.0 * mag
}

/// A tick label with as few decimals as the axis needs: `0.25`, `12`, `1500`.
pub fn tick(v: f64, span: f64) -> String {
    let decimals = if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else if span >= 0.2 {
        2
    } else if span >= 0.02 {
        3
    } else {
        4
    };
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s
    }
}

/// Shortens `s` to at most `max` characters, ending in `…` when cut.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Shortens `s` to at most `max` characters by cutting its middle, so that both the
/// policy and its grid values (`gated-10pct[…bake_seconds=60]`) stay visible.
pub fn ellipsize_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let head = keep / 2;
    let tail = keep - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// A duration in the unit that suits values up to `max_s`: (divisor, unit name).
pub fn time_unit(max_s: f64) -> (f64, &'static str) {
    if max_s <= 180.0 {
        (1.0, "s")
    } else if max_s <= 3.0 * 3600.0 {
        (60.0, "min")
    } else {
        (3600.0, "h")
    }
}

/// The coordinate system every x-y chart uses.
pub type Xy = Cartesian2d<RangedCoordf64, RangedCoordf64>;

/// Axes of an x-y chart on `area`: a grid, tick labels, the x title under the axis
/// and the y title written horizontally above the plot's top-left corner.
pub struct Axes<'f> {
    pub x: Range<f64>,
    pub y: Range<f64>,
    pub x_title: String,
    pub y_title: String,
    /// Pixels left of the plot for the y tick labels.
    pub left: u32,
    pub right: u32,
    pub x_fmt: &'f dyn Fn(&f64) -> String,
    pub y_fmt: &'f dyn Fn(&f64) -> String,
    pub x_labels: usize,
    pub y_labels: usize,
}

impl Axes<'_> {
    pub fn draw<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> Result<ChartContext<'a, DB, Xy>, ChartError> {
        let mut chart = ChartBuilder::on(area)
            .margin_top(24)
            .margin_right(self.right)
            .x_label_area_size(46)
            .y_label_area_size(self.left)
            .build_cartesian_2d(self.x.clone(), self.y.clone())?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .bold_line_style(BLACK.mix(0.08))
            .axis_style(BLACK.mix(0.6))
            .label_style(text(12.0))
            .axis_desc_style(text(13.0))
            .x_labels(self.x_labels)
            .y_labels(self.y_labels)
            .x_label_formatter(self.x_fmt)
            .y_label_formatter(self.y_fmt)
            .x_desc(self.x_title.clone())
            .draw()?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((self.x.start, self.y.end))
                + Text::new(
                    self.y_title.clone(),
                    (0, -6),
                    anchored(13.0, HPos::Left, VPos::Bottom),
                ),
        ))?;
        Ok(chart)
    }
}

/// A series name for a file name or element id: lowercase letters, digits and `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches('-');
    let t: String = t.chars().take(40).collect();
    if t.is_empty() {
        "x".into()
    } else {
        t.trim_end_matches('-').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_bounds_and_ticks() {
        assert_eq!(nice_max(0.0, 0.0), 1.0);
        assert_eq!(nice_max(7.3, 0.0), 8.0);
        assert_eq!(nice_max(1.0, 16.0), 20.0);
        assert_eq!(nice_max(0.023, 0.0), 0.025);
        assert_eq!(tick(0.5, 1.0), "0.50");
        assert_eq!(tick(-0.0001, 1.0), "0.00");
        assert_eq!(tick(30.0, 60.0), "30");
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(ellipsize_middle("abcdefgh", 5), "ab…gh");
        assert_eq!(ellipsize_middle("abc", 5), "abc");
        assert_eq!(time_unit(1800.0), (60.0, "min"));
        assert_eq!(slug("Memory Leak/2"), "memory-leak-2");
        assert_eq!(slug("gated[a=1,b=2]"), "gated-a-1-b-2");
        assert_eq!(slug("***"), "x");
    }
}
