//! Golden files pin the two Markdown reports; the HTML report and the PNG charts are
//! checked for structure and byte-for-byte determinism instead, since their pixels and
//! SVG coordinates are plotters' to choose. The inputs are the hand-made ones of
//! `reports`' golden tests. Review a change to a golden file like code;
//! `ROLLCAGE_UPDATE_GOLDEN=1 cargo test -p render --test golden` rewrites them.

#[path = "../../reports/tests/common/mod.rs"]
mod common;

use common::*;
use render::charts::{self, Chart};
use render::figures::{run_figures, sweep_figures};
use render::report::{run_report, sweep_report};
use reports::view::Axis;
use reports::vocab::Metric;

#[test]
fn markdown_formats() {
    let run = run_view();
    let run_md = render::markdown::run_markdown(&run, &run_figures(&run));
    golden("run.md", &run_md);
    let v = sweep_view(&sweep());
    let sweep_md = render::markdown::sweep_markdown(&v, &sweep_figures(&v));
    golden("sweep.md", &sweep_md);
    for md in [&run_md, &sweep_md] {
        assert!(md.contains("schema_version 1"), "{md}");
    }
}

/// The HTML's structure: self-contained, versioned, one labelled SVG per figure.
fn check_html(html: &str, ids: &[String]) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta name=\"rollcage-schema-version\" content=\"1\">"));
    assert!(html.contains("schema_version 1"), "a visible footer");
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "no JavaScript");
    for external in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!lower.contains(external), "no network: {external}");
    }
    for id in ids {
        assert!(
            html.contains(&format!("<svg id=\"chart-{id}\" class=\"chart\"")),
            "chart {id}"
        );
        assert!(html.contains(&format!("href=\"charts/{id}.png\"")), "{id}");
    }
    assert_eq!(html.matches("<svg ").count(), ids.len());
}

#[test]
fn run_report_is_self_contained_and_deterministic() {
    let v = run_view();
    let a = run_report(&v).unwrap();
    let b = run_report(&v).unwrap();
    assert_eq!(a, b, "byte-identical");
    let ids: Vec<String> = run_figures(&v).into_iter().map(|f| f.id).collect();
    assert_eq!(ids, ["timeline"]);
    check_html(&a.html, &ids);
    assert!(
        a.html.contains("detected (gate:error-ratio)"),
        "marks are labelled"
    );
    assert!(a.html.contains("pager: 14.4 over 1 h and 5 m"));
    assert_eq!(a.charts.len(), 1);
    assert_eq!(a.charts[0].0, "timeline.png");
}

#[test]
fn sweep_report_is_self_contained_and_deterministic() {
    let v = sweep_view(&sweep());
    let a = sweep_report(&v).unwrap();
    assert_eq!(a, sweep_report(&v).unwrap(), "byte-identical");
    let ids: Vec<String> = sweep_figures(&v).into_iter().map(|f| f.id).collect();
    assert_eq!(
        ids,
        [
            "pareto",
            "rates",
            "ttd-1-memory-leak",
            "budget-1-good-release",
            "budget-2-memory-leak"
        ],
        "one grid axis: no heat map"
    );
    check_html(&a.html, &ids);
    assert!(
        a.html
            .contains("Recommendation: <code>careful[bake_seconds=120]</code>")
    );
    let names: Vec<&str> = a.charts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), ids.len());
}

/// Every figure the vocabulary summarises is on both sweep pages, for every scenario,
/// with each policy's mean as the group summary holds it: the rollout figures (batch
/// times, healthy ratio, crash and dependency error rates) included.
#[test]
fn every_summarised_figure_is_on_the_sweep_pages() {
    let v = sweep_view(&sweep());
    let files = sweep_report(&v).unwrap();
    let section = |text: &str, heading: &str| -> String {
        let at = text
            .find(heading)
            .unwrap_or_else(|| panic!("no {heading:?}"));
        text[at..].to_string()
    };
    let html = section(&files.html, "<h2>Every figure, scenario by scenario</h2>");
    let md = section(&files.markdown, "### Every figure, scenario by scenario");
    let figures: Vec<Metric> = Metric::summarised().collect();
    assert!(
        figures.contains(&Metric::HealthyRatioMin) && figures.contains(&Metric::CandidateCrashRate)
    );
    for scenario in &v.scenarios {
        let html = section(&html, &format!("<h3>scenario {scenario}</h3>"));
        let html = &html[..html.find("</table>").unwrap()];
        let md = section(&md, &format!("#### {scenario}"));
        assert_eq!(
            html.matches("<tr><td>").count(),
            figures.len(),
            "{scenario}"
        );
        for m in &figures {
            let row = section(html, &format!("({})</span></td>", m.name()));
            let row = &row[..row.find("</tr>").unwrap()];
            let md_row = section(&md, &format!("| {} |", m.label()));
            let md_row = &md_row[..md_row.find('\n').unwrap()];
            for p in &v.policies {
                let g = v
                    .groups
                    .iter()
                    .find(|g| &g.scenario == scenario && g.policy == p.name)
                    .unwrap();
                let want = g
                    .metric(*m)
                    .and_then(|s| s.stats)
                    .map(|d| m.unit().show(d.mean.value))
                    .unwrap_or_else(|| "n/a".into());
                assert!(
                    row.contains(&want),
                    "{scenario} {m:?} {}: {want} in {row}",
                    p.name
                );
                assert!(
                    md_row.contains(&want),
                    "{scenario} {m:?} {}: {want} in {md_row}",
                    p.name
                );
            }
        }
    }
}

/// Decodes a PNG to (width, height, RGB bytes).
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn pngs_are_drawn_with_text_and_colour() {
    let v = sweep_view(&sweep());
    let mut two_axes = v.clone();
    two_axes.grid.push(Axis {
        key: "policy.max_surge".into(),
        values: vec!["25%".into()],
    });
    for p in &mut two_axes.policies {
        p.grid_values.push("25%".into());
    }
    let figures = sweep_figures(&two_axes);
    assert!(
        figures.iter().any(|f| f.id.starts_with("heatmap-1-fast")),
        "two axes: a heat map per policy"
    );
    let run = run_view();
    for f in figures.iter().chain(run_figures(&run).iter()) {
        let bytes = render::png::png(&f.chart).unwrap();
        let (w, h, px) = decode(&bytes);
        assert_eq!((w, h), f.chart.size(), "{}", f.id);
        let mut colours: Vec<[u8; 3]> = px.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
        colours.sort();
        colours.dedup();
        // Antialiased text alone gives many greys; series add hues.
        assert!(colours.len() > 20, "{}: {} colours", f.id, colours.len());
        let hued = px
            .chunks(3)
            .filter(|c| c.iter().max().unwrap() - c.iter().min().unwrap() > 60)
            .count();
        assert!(hued > 200, "{}: {hued} coloured pixels", f.id);
        let svg = charts::svg(&f.chart).unwrap();
        assert!(svg.contains("<text"), "{}: text in the SVG", f.id);
    }
    // The embedded font draws glyphs: a chart's title region is not blank.
    let chart = Chart::Timeline(match &run_figures(&run)[0].chart {
        Chart::Timeline(t) => t.clone(),
        _ => unreachable!(),
    });
    let (w, _, px) = decode(&render::png::png(&chart).unwrap());
    let title_dark = (0..30)
        .flat_map(|y| (0..w as usize).map(move |x| (y * w as usize + x) * 3))
        .filter(|&i| px[i] < 100 && px[i + 1] < 100 && px[i + 2] < 100)
        .count();
    assert!(title_dark > 100, "title glyphs: {title_dark} dark pixels");
}

/// A sweep view whose leak runs drew two uncertain parameters: `leak_rate` sets the
/// budget, `noise` does nothing.
fn uncertain_view() -> reports::view::SweepView {
    use reports::metrics::Outcome;
    use reports::sweep::Bootstrap;
    use reports::sweep::sensitivity::sensitivity;
    let mut v = sweep_view(&sweep());
    let boot = Bootstrap {
        master_seed: 1,
        resamples: 200,
    };
    for policy in ["fast[bake_seconds=30]", "careful[bake_seconds=120]"] {
        let rows: Vec<_> = (0..40u64)
            .map(|k| {
                let leak = (k * 7 % 40) as f64;
                let mut r = run_row(
                    k,
                    if k % 5 == 0 {
                        Outcome::Escaped
                    } else {
                        Outcome::Caught
                    },
                    true,
                    Some(30.0 + (k * 13 % 40) as f64),
                    0.1 * leak,
                    600.0,
                );
                r.params = vec![
                    ("candidate.leak_rate".into(), leak),
                    ("noise".into(), (k * 17 % 40) as f64),
                ];
                r
            })
            .collect();
        v.sensitivity.push(
            sensitivity("memory-leak", policy, &rows, 2.0, boot)
                .unwrap()
                .unwrap(),
        );
    }
    v
}

#[test]
fn the_sensitivity_section_and_tornadoes_appear_only_with_uncertain_parameters() {
    let plain = sweep_report(&sweep_view(&sweep())).unwrap();
    for text in [&plain.html, &plain.markdown] {
        assert!(
            !text.contains("Sensitivity"),
            "no uncertain parameters, no section"
        );
    }
    let v = uncertain_view();
    let a = sweep_report(&v).unwrap();
    assert_eq!(a, sweep_report(&v).unwrap(), "byte-identical");
    let ids: Vec<String> = sweep_figures(&v).into_iter().map(|f| f.id).collect();
    let tornadoes: Vec<&String> = ids.iter().filter(|i| i.starts_with("tornado-")).collect();
    assert_eq!(
        tornadoes,
        [
            "tornado-1-memory-leak-fast-bake-seconds-30",
            "tornado-2-memory-leak-careful-bake-seconds-120"
        ]
    );
    check_html(&a.html, &ids);
    for id in &ids {
        assert!(render::figures::is_chart_file(&format!("{id}.png")), "{id}");
    }
    // The tornadoes sit in the sensitivity section, before the other charts.
    let section = a
        .html
        .find("<h2>Sensitivity to uncertain parameters</h2>")
        .unwrap();
    let charts = a.html.find("<h2>Charts</h2>").unwrap();
    let t1 = a.html.find("id=\"chart-tornado-1-").unwrap();
    assert!(section < t1 && t1 < charts);
    // The driver ranks first on budget with a clear effect; the other does not.
    let budget_row = a
        .html
        .split("<tr>")
        .find(|r| r.contains("budget burned") && r.contains("candidate.leak_rate"))
        .unwrap();
    assert!(
        budget_row.contains("<td class=\"num\">1</td>"),
        "{budget_row}"
    );
    assert!(budget_row.contains("1.00"), "{budget_row}");
    assert!(
        budget_row.contains("larger value, larger figure"),
        "{budget_row}"
    );
    let noise_row = a
        .html
        .split("<tr>")
        .find(|r| r.contains("budget burned") && r.contains("<code>noise</code>"))
        .unwrap();
    assert!(
        noise_row.contains("<td class=\"num\">2</td>"),
        "{noise_row}"
    );
    // 0.1 × leak > 2% for leak 21..39: 19 of 40 runs.
    assert!(
        a.html
            .contains("47.5% of runs burned more than 2% of the error budget (19 of 40; 95% CI"),
        "exceedance"
    );
    let md = &a.markdown;
    assert!(md.contains("### Sensitivity to uncertain parameters"));
    assert!(
        md.contains("| budget burned | 1 | `candidate.leak_rate` | 1.00 \\[1.00, 1.00\\] | 40 |"),
        "{md}"
    );
    assert!(md.contains("47.5% of runs burned more than 2%"));
    assert!(md.contains("(charts/tornado-1-memory-leak-fast-bake-seconds-30.png)"));
    // The PNG is drawn at its size, with colour.
    let f = sweep_figures(&v)
        .into_iter()
        .find(|f| f.id.starts_with("tornado-1"))
        .unwrap();
    let (w, h, px) = decode(&render::png::png(&f.chart).unwrap());
    assert_eq!((w, h), f.chart.size());
    let hued = px
        .chunks(3)
        .filter(|c| c.iter().max().unwrap() - c.iter().min().unwrap() > 60)
        .count();
    assert!(hued > 200, "{hued} coloured pixels");
}

#[test]
fn power_report_is_pinned_self_contained_and_deterministic() {
    let doc = render::power::example(true);
    let a = render::report::power_report(&doc).unwrap();
    assert_eq!(
        a,
        render::report::power_report(&doc).unwrap(),
        "byte-identical"
    );
    golden("power.md", &a.markdown);
    check_html(&a.html, &["power".to_string()]);
    assert!(a.html.contains("<h2>Minimum detectable effect</h2>"));
    assert_eq!(a.charts.len(), 1);
    assert_eq!(a.charts[0].0, "power.png");
    assert!(a.markdown.contains("schema_version 1"));
}
