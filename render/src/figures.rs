//! The figures a report draws, what their PNG files are called, and how a chart file
//! of rollcage's is told from a user's own: shared by the HTML and Markdown pages and
//! the report's writer.

use sim_core::SimDuration;
use sim_core::slo::PagerConfig;

use crate::charts::timeline::{Threshold, Timeline};
use crate::charts::{self, Chart, Figure};
use crate::words::factor;
use reports::view::{RunView, SweepView};

/// Where the PNG of a figure goes, relative to `report.html`.
pub fn png_path(f: &Figure) -> String {
    format!("charts/{}.png", f.id)
}

/// Whether `file` (a name in `charts/`) is named as rollcage names its charts:
/// `timeline.png`, `pareto.png`, `rates.png`, `power.png`, `ttd-K-SLUG.png` (or `ttd-K-SLUG-J.png`
/// for a part), `budget-K-SLUG.png`, `heatmap-K-SLUG.png` and `tornado-K-SLUG.png`, with `K` and `J` counting
/// from 1 and `SLUG` as `charts::slug` writes it. A report removes the charts of an
/// earlier report that it no longer draws, and only those: any other file in
/// `charts/` is the user's and is left alone.
pub fn is_chart_file(file: &str) -> bool {
    let Some(id) = file.strip_suffix(".png") else {
        return false;
    };
    if matches!(id, "timeline" | "pareto" | "rates" | "power") {
        return true;
    }
    let Some((kind, rest)) = id.split_once('-') else {
        return false;
    };
    if !matches!(kind, "ttd" | "budget" | "heatmap" | "tornado") {
        return false;
    }
    let Some((k, slug)) = rest.split_once('-') else {
        return false;
    };
    let counter =
        |n: &str| !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit());
    // A slug is lowercase letters, digits and dashes, never first (`charts::slug`;
    // cut at 40 characters it may end in one); a ttd chart's part number, when there
    // is one, follows as `-J`.
    let slug_ok = !slug.is_empty()
        && !slug.starts_with('-')
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    counter(k) && slug_ok
}

/// The pager's thresholds as the burn-rate panel draws them.
pub fn pager_thresholds() -> Vec<Threshold> {
    PagerConfig::workbook(SimDuration::ZERO)
        .rules
        .iter()
        .map(|r| Threshold {
            factor: r.factor,
            label: format!(
                "pager: {} over {} and {}{}",
                factor(r.factor),
                window(r.long),
                window(r.short),
                // The timeline has the 5 m and 1 h burn rates only.
                if (r.long.as_secs_f64(), r.short.as_secs_f64()) == (3600.0, 300.0) {
                    ""
                } else {
                    " (windows not drawn)"
                }
            ),
        })
        .collect()
}

fn window(d: SimDuration) -> String {
    sim_core::duration_text::format(d.as_secs_f64(), sim_core::duration_text::Style::Window)
}

/// The figures of a run report.
pub fn run_figures(v: &RunView) -> Vec<Figure> {
    vec![Figure {
        id: "timeline".into(),
        title: "Timeline".into(),
        caption: "Pods by version and state (stacked), the error ratio, p99 latency and the \
                  burn rates over 5 m and 1 h against the pager's thresholds, with every gate \
                  evaluation; vertical lines mark the release, the fault going live, the \
                  first impact, detection, mitigation and recovery."
            .into(),
        chart: Chart::Timeline(Timeline::from_view(v, pager_thresholds())),
    }]
}

/// The figures of a sweep report.
pub fn sweep_figures(v: &SweepView) -> Vec<Figure> {
    let mut out = Vec::new();
    out.extend(charts::pareto::figures(v));
    out.extend(charts::rates::figures(v));
    out.extend(charts::cdf::figures(v));
    out.extend(charts::budget::figures(v));
    out.extend(charts::heatmap::figures(v));
    out.extend(charts::tornado::figures(v));
    out
}

/// A figure with its SVG drawn.
pub struct Drawn<'a> {
    pub figure: &'a Figure,
    pub svg: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_files_are_told_from_the_users_own() {
        for ours in [
            "timeline.png",
            "pareto.png",
            "rates.png",
            "power.png",
            "ttd-1-error-regression.png",
            "ttd-12-memory-leak-2.png",
            "budget-2-good-release.png",
            "heatmap-1-gated-10pct.png",
            "budget-3-x.png",
            "tornado-1-memory-leak-uncertain-canary-bake-60.png",
        ] {
            assert!(is_chart_file(ours), "{ours}");
        }
        for theirs in [
            "my-own.png",
            "old.png",
            "pareto.svg",
            "pareto-old.png",
            "Pareto.png",
            "ttd.png",
            "ttd-x-memory-leak.png",
            "ttd-0-memory-leak.png",
            "ttd-1-.png",
            "budget-1-Good Release.png",
            "heatmap-1--x.png",
            "tornado.png",
            "tornado-0-x.png",
            "notes.txt",
            "timeline.png.bak",
        ] {
            assert!(!is_chart_file(theirs), "{theirs}");
        }
    }

    #[test]
    fn every_name_the_charts_take_is_recognised() {
        use crate::charts::slug;
        let long = "a scenario name long enough to be cut at a dash";
        for name in [
            "error-regression",
            "Memory Leak!",
            "a",
            "--",
            "über-scenario 2",
            long,
        ] {
            for id in [
                format!("ttd-3-{}", slug(name)),
                format!("ttd-3-{}-2", slug(name)),
                format!("budget-1-{}", slug(name)),
                format!("heatmap-10-{}", slug(name)),
                format!("tornado-2-{}", slug(name)),
            ] {
                assert!(is_chart_file(&format!("{id}.png")), "{id}");
            }
        }
    }
}
