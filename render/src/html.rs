//! `report.html`: one self-contained page. Charts are inline SVG (no network, no
//! JavaScript), styles are inline, and the page says which `schema_version` it is.

use reports::vocab::{Metric, Stat};
use std::fmt::Write;

use crate::charts::Chart;
use crate::figures::{Drawn, png_path};
use crate::words::{exceedance, figure_rows, metric, policy_marks, rho_cells, shown};
use reports::SCHEMA_VERSION;
use reports::format::{budget, budget_ci, human_secs, pct, pct_ci, secs_ci};
use reports::metrics::Outcome;
use reports::stats::{Estimate, Rate};
use reports::sweep::sensitivity::{HEADLINE, headline_label};
use reports::view::{RunView, SweepView};

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root { color-scheme: light; }
body { font-family: 'DejaVu Sans', Verdana, sans-serif; color: #1a1a1a; background: #fff;
  margin: 0 auto; padding: 16px 24px 32px; max-width: 1240px; font-size: 14px; line-height: 1.45; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.meta { color: #555; margin: 0 0 12px; }
code { font-family: 'DejaVu Sans Mono', monospace; font-size: 12px; background: #f3f3f3; padding: 1px 4px; border-radius: 3px; }
div.wide { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
td code { white-space: nowrap; }
th, td { border-bottom: 1px solid #e2e2e2; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
tr.scenario th { background: #e8eef5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.rec td { background: #eef7ee; }
span.ci { display: block; color: #666; font-size: 11px; }
span.note { color: #666; }
.outcome { font-weight: 700; padding: 1px 6px; border-radius: 3px; }
.outcome.succeeded, .outcome.caught { background: #dff2e6; color: #0b5d33; }
.outcome.escaped, .outcome.false_rollback { background: #fbe3d6; color: #8a2c00; }
.outcome.stalled { background: #eee; color: #444; }
div.rec { border: 1px solid #9ccaa8; background: #f3faf5; padding: 8px 14px; border-radius: 4px; }
div.rec.none { border-color: #e0b090; background: #fdf6f1; }
figure { margin: 12px 0 24px; }
figure svg.chart { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
svg.chart text { font-family: 'DejaVu Sans', Verdana, sans-serif; }
figcaption { color: #444; font-size: 13px; margin-top: 4px; }
footer { margin-top: 32px; color: #666; font-size: 12px; border-top: 1px solid #ddd; padding-top: 8px; }
";

pub(crate) fn page(title: &str, program: &str, body: &str) -> String {
    let mut s = String::with_capacity(body.len() + 4096);
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        s,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    );
    let _ = writeln!(
        s,
        "<meta name=\"generator\" content=\"{}\">",
        escape(program)
    );
    let _ = writeln!(
        s,
        "<meta name=\"rollcage-schema-version\" content=\"{SCHEMA_VERSION}\">"
    );
    let _ = writeln!(s, "<title>{}</title>", escape(title));
    let _ = writeln!(s, "<style>{STYLE}</style>\n</head>\n<body>");
    s.push_str(body);
    let _ = writeln!(
        s,
        "<footer>Written by {} from the files in this directory · schema_version {SCHEMA_VERSION} · \
         each chart is also in <code>charts/</code> as PNG</footer>\n</body>\n</html>",
        escape(program)
    );
    s
}

/// A figure: its SVG with an id, a role and a label, and its caption.
pub(crate) fn figure(out: &mut String, d: &Drawn<'_>) {
    let f = d.figure;
    let (w, h) = f.chart.size();
    let svg = d.svg.trim();
    // plotters writes `<svg width=".." height=".." viewBox=".." xmlns="..">`; give it
    // an id, a class and an accessible name.
    let tagged = match svg.strip_prefix("<svg ") {
        Some(rest) => format!(
            "<svg id=\"chart-{}\" class=\"chart\" role=\"img\" aria-label=\"{}\" {rest}",
            f.id,
            escape(&f.title)
        ),
        None => svg.to_string(),
    };
    let _ = writeln!(
        out,
        "<figure id=\"figure-{}\" data-width=\"{w}\" data-height=\"{h}\">\n{tagged}\n<figcaption>{} \
         <a href=\"{}\">PNG</a></figcaption>\n</figure>",
        f.id,
        escape(&f.caption),
        png_path(f)
    );
}

fn outcome_badge(o: Outcome) -> String {
    format!("<span class=\"outcome {0}\">{0}</span>", o.name())
}

/// `report.html` of a run.
pub fn run_html(v: &RunView, figures: &[Drawn<'_>]) -> String {
    let f = &v.metrics;
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<h1>Run: {} under {}</h1>",
        escape(&v.scenario),
        escape(&v.policy)
    );
    let _ = writeln!(
        b,
        "<p class=\"meta\">Seed {} · horizon {}{} · reproduce with <code>{}</code></p>",
        v.seed,
        human_secs(v.horizon_s),
        v.slo_objective
            .map(|o| format!(" · SLO {}%", trim_float(100.0 * o)))
            .unwrap_or_default(),
        escape(&v.reproduce)
    );
    let detector = f
        .detector
        .as_ref()
        .map(|d| format!(", detected by <code>{}</code>", escape(d)))
        .unwrap_or_default();
    let _ = writeln!(
        b,
        "<p>Outcome {}{detector}.{}</p>",
        outcome_badge(f.outcome),
        f.limit_hit
            .as_ref()
            .map(|l| format!(
                " <strong>Cut short by a hard bound ({}): the figures are incomplete.</strong>",
                escape(l)
            ))
            .unwrap_or_default()
    );
    b.push_str("<table>\n<tr><th>moment</th><th>at</th><th>figure</th><th>value</th></tr>\n");
    for r in v.fact_rows() {
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            r.moment,
            r.at,
            r.figure,
            escape(&r.value)
        );
    }
    b.push_str("</table>\n");
    for d in figures {
        let _ = writeln!(b, "<h2>{}</h2>", escape(&d.figure.title));
        figure(&mut b, d);
    }
    page(
        &format!("rollcage run: {} under {}", v.scenario, v.policy),
        &v.program,
        &b,
    )
}

/// `99.9` rather than `99.900000`.
fn trim_float(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn rate_cell(r: &Option<Rate>) -> String {
    match r {
        Some(r) => format!(
            "<td class=\"num\">{} <span class=\"ci\">{} of {}; {}</span></td>",
            pct(r),
            r.k,
            r.n,
            pct_ci(r)
        ),
        None => "<td class=\"num\"><span class=\"note\">n/a</span></td>".into(),
    }
}

fn secs_cell(e: Option<Estimate>, censored: u64) -> String {
    let cens = if censored > 0 {
        format!("; {censored} censored")
    } else {
        String::new()
    };
    match e {
        Some(e) => format!(
            "<td class=\"num\">{} <span class=\"ci\">{}{cens}</span></td>",
            human_secs(e.value),
            secs_ci(&e)
        ),
        None if censored > 0 => format!(
            "<td class=\"num\"><span class=\"note\">none</span> <span class=\"ci\">{censored} censored</span></td>"
        ),
        None => "<td class=\"num\"><span class=\"note\">n/a</span></td>".into(),
    }
}

fn budget_cell(e: Option<Estimate>) -> String {
    match e {
        Some(e) => format!(
            "<td class=\"num\">{} <span class=\"ci\">{}</span></td>",
            budget(e.value),
            budget_ci(&e)
        ),
        None => "<td class=\"num\"><span class=\"note\">n/a</span></td>".into(),
    }
}

/// `report.html` of a sweep.
pub fn sweep_html(v: &SweepView, figures: &[Drawn<'_>]) -> String {
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<h1>Sweep: {} scenario{} × {} polic{} × {} seed{}</h1>",
        v.scenarios.len(),
        if v.scenarios.len() == 1 { "" } else { "s" },
        v.policies.len(),
        if v.policies.len() == 1 { "y" } else { "ies" },
        v.seeds,
        if v.seeds == 1 { "" } else { "s" },
    );
    let grid = if v.grid.is_empty() {
        String::new()
    } else {
        let axes: Vec<String> = v
            .grid
            .iter()
            .map(|a| {
                format!(
                    "<code>{}</code> = {}",
                    escape(&a.key),
                    escape(&a.values.join(", "))
                )
            })
            .collect();
        format!(" · grid {}", axes.join(" × "))
    };
    let _ = writeln!(
        b,
        "<p class=\"meta\">Scenarios {} · master seed {} · baseline <code>{}</code>{grid}</p>",
        escape(&v.scenarios.join(", ")),
        v.master_seed,
        escape(&v.baseline)
    );

    // The recommendation first: it is what the reader came for.
    let rec = &v.recommendation;
    let c = &rec.constraints;
    let limits = format!(
        "p95 budget ≤ {}%, p50 deploy ≤ {}, false rollbacks ≤ {}%",
        trim_float(c.max_budget_p95_pct),
        human_secs(c.max_deploy_p50_s),
        trim_float(c.max_false_rollback_pct)
    );
    match &rec.policy {
        Some(p) => {
            let _ = writeln!(
                b,
                "<div class=\"rec\"><h2 style=\"border:0;margin-top:4px\">Recommendation: <code>{}</code></h2>\n<p>Under {limits}:</p>\n<ul>",
                escape(p)
            );
        }
        None => {
            let _ = writeln!(
                b,
                "<div class=\"rec none\"><h2 style=\"border:0;margin-top:4px\">Recommendation: none</h2>\n<p>Under {limits}:</p>\n<ul>"
            );
        }
    }
    for e in &rec.evidence {
        let _ = writeln!(b, "<li>{}</li>", escape(e));
    }
    b.push_str("</ul></div>\n");

    // Pareto table.
    b.push_str("<h2>Policies: the Pareto frontier</h2>\n");
    b.push_str(
        "<p>Deploy time is the p50 on the slowest good-release scenario; budget is the p95 on \
         the worst fault scenario; rates are pooled over every scenario. 95% intervals below \
         each figure.</p>\n",
    );
    b.push_str("<div class=\"wide\"><table>\n<tr><th>policy</th><th>deploy p50</th><th>budget p95</th><th>detection</th><th>false rollbacks</th><th>escapes</th><th></th></tr>\n");
    for p in &v.pareto {
        let marks = policy_marks(v, &p.policy);
        let deploy = match &p.deploy_p50_s {
            Some(w) => format!(
                "<td class=\"num\">{} <span class=\"ci\">{} · {}</span></td>",
                human_secs(w.estimate.value),
                secs_ci(&w.estimate),
                escape(&w.scenario)
            ),
            None => "<td class=\"num\"><span class=\"note\">n/a</span></td>".into(),
        };
        let budget_td = match &p.budget_p95_pct {
            Some(w) => format!(
                "<td class=\"num\">{} <span class=\"ci\">{} · {}</span></td>",
                budget(w.estimate.value),
                budget_ci(&w.estimate),
                escape(&w.scenario)
            ),
            None => "<td class=\"num\"><span class=\"note\">n/a</span></td>".into(),
        };
        let _ = writeln!(
            b,
            "<tr{}><td><code>{}</code></td>{deploy}{budget_td}{}{}{}<td>{}</td></tr>",
            if marks.contains(&"recommended") {
                " class=\"rec\""
            } else {
                ""
            },
            escape(&p.policy),
            rate_cell(&p.detection_rate),
            rate_cell(&p.false_rollback_rate),
            rate_cell(&p.escape_rate),
            if p.eligible {
                marks.join(", ")
            } else {
                "not eligible (missing a figure)".into()
            }
        );
    }
    b.push_str("</table></div>\n");

    // Per scenario × policy.
    b.push_str("<h2>Every scenario under every policy</h2>\n");
    b.push_str(
        "<p>Rates with Wilson 95% intervals; durations and budget with bootstrap 95% \
         intervals. A censored run is one whose detection (or mitigation) had not happened \
         by the horizon: counted, never averaged in.</p>\n",
    );
    b.push_str(
        "<div class=\"wide\"><table>\n<tr><th>policy</th><th>runs</th><th>outcomes</th><th>detection</th><th>false rollbacks</th><th>escapes</th>\
         <th>ttd p50</th><th>impact p50<br>(MTTR, user)</th><th>budget p95</th><th>deploy p50</th></tr>\n",
    );
    let mut scenario = None;
    for g in &v.groups {
        if scenario != Some(&g.scenario) {
            scenario = Some(&g.scenario);
            let _ = writeln!(
                b,
                "<tr class=\"scenario\"><th colspan=\"10\">scenario {}</th></tr>",
                escape(&g.scenario)
            );
        }
        let o = &g.outcomes;
        let outcomes: Vec<String> = [
            (o.succeeded, "succeeded"),
            (o.caught, "caught"),
            (o.escaped, "escaped"),
            (o.false_rollback, "false rollback"),
            (o.stalled, "stalled"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, name)| format!("{n} {name}"))
        .collect();
        let (ttd, ttd_c) = metric(g, Metric::Ttd, Stat::P50);
        let (impact, impact_c) = metric(g, Metric::ImpactDuration, Stat::P50);
        let (budget_e, _) = metric(g, Metric::BudgetConsumed, Stat::P95);
        let (deploy, deploy_c) = metric(g, Metric::DeployDuration, Stat::P50);
        let _ = writeln!(
            b,
            "<tr{}><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td>{}{}{}{}{}{}{}</tr>",
            if v.recommendation.policy.as_deref() == Some(g.policy.as_str()) {
                " class=\"rec\""
            } else {
                ""
            },
            escape(&g.policy),
            g.n,
            outcomes.join("<br>"),
            rate_cell(&g.detection_rate),
            rate_cell(&g.false_rollback_rate),
            rate_cell(&g.escape_rate),
            secs_cell(ttd, ttd_c),
            secs_cell(impact, impact_c),
            budget_cell(budget_e),
            secs_cell(deploy, deploy_c),
        );
    }
    b.push_str("</table></div>\n");
    let cut: u64 = v.groups.iter().map(|g| g.limit_hit).sum();
    if cut > 0 {
        let _ = writeln!(
            b,
            "<p><strong>{cut} runs were cut short by a hard bound (<code>limit_hit</code> in runs.csv); their figures are incomplete.</strong></p>"
        );
    }

    // The tornado charts belong to the sensitivity section; every other chart here.
    let (tornadoes, others): (Vec<&Drawn<'_>>, Vec<&Drawn<'_>>) = figures
        .iter()
        .partition(|d| matches!(d.figure.chart, Chart::Tornado(_)));
    sensitivity(&mut b, v, &tornadoes);

    b.push_str("<h2>Charts</h2>\n");
    for d in others {
        let _ = writeln!(b, "<h3>{}</h3>", escape(&d.figure.title));
        figure(&mut b, d);
    }

    // Every summarised figure, scenario by scenario: what the table above has no room for.
    b.push_str("<h2>Every figure, scenario by scenario</h2>\n");
    b.push_str(
        "<p>The mean of each per-run figure the sweep summarises, with its bootstrap 95% \
         interval; n/a where no run of the group observed it (a figure of a rollout that \
         never started, say). Definitions in <code>docs/metrics.md</code>.</p>\n",
    );
    for scenario in &v.scenarios {
        let _ = writeln!(b, "<h3>scenario {}</h3>", escape(scenario));
        b.push_str("<div class=\"wide\"><table>\n<tr><th>figure</th>");
        for p in &v.policies {
            let _ = write!(b, "<th><code>{}</code></th>", escape(&p.name));
        }
        b.push_str("</tr>\n");
        for row in figure_rows(v, scenario) {
            let _ = write!(
                b,
                "<tr><td>{} <span class=\"note\">({})</span></td>",
                escape(row.metric.label()),
                escape(row.metric.name())
            );
            for mean in &row.means {
                let (value, interval) = shown(row.metric, *mean);
                let _ = write!(
                    b,
                    "<td class=\"num\">{} <span class=\"ci\">{}</span></td>",
                    escape(&value),
                    escape(&interval)
                );
            }
            b.push_str("</tr>\n");
        }
        b.push_str("</table></div>\n");
    }
    page(
        &format!(
            "rollcage sweep: {} × {} × {} seeds",
            v.scenarios.len(),
            v.policies.len(),
            v.seeds
        ),
        &v.program,
        &b,
    )
}

/// The sensitivity section of a sweep with uncertain parameters (nothing otherwise):
/// per group, the exceedance of the budget limit, the ranking table and the tornado.
fn sensitivity(b: &mut String, v: &SweepView, tornadoes: &[&Drawn<'_>]) {
    if v.sensitivity.is_empty() {
        return;
    }
    b.push_str("<h2>Sensitivity to uncertain parameters</h2>\n");
    b.push_str(
        "<p>Each run drew its own values of the scenario's uncertain parameters. For every \
         headline figure, ρ is the Spearman rank correlation of a parameter with the figure \
         over the runs (from −1 to 1; 0: no monotone relation), with a bootstrap 95% \
         interval; rank 1 is the parameter with the largest |ρ|. Time to detect counts the \
         detected runs only; escaped is 1 for an escaped fault run and 0 for a caught one. \
         The budget limit is the sweep's <code>--max-budget-p95</code>. From \
         <code>sensitivity.csv</code> and <code>budget_exceedance.csv</code>; definitions in \
         <code>docs/metrics.md</code>.</p>\n",
    );
    for (k, g) in v.sensitivity.iter().enumerate() {
        let _ = writeln!(
            b,
            "<h3>{} under <code>{}</code></h3>\n<p>{}.</p>",
            escape(&g.scenario),
            escape(&g.policy),
            escape(&exceedance(&g.exceedance))
        );
        b.push_str(
            "<div class=\"wide\"><table>\n<tr><th>figure</th><th>rank</th><th>parameter</th>\
             <th>ρ</th><th>runs</th><th>reading</th></tr>\n",
        );
        for q in HEADLINE {
            for c in g.of(q) {
                let (rho, interval, reading) = rho_cells(c);
                let _ = writeln!(
                    b,
                    "<tr><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td>\
                     <td class=\"num\">{} <span class=\"ci\">{}</span></td>\
                     <td class=\"num\">{}</td><td>{}</td></tr>",
                    escape(headline_label(q)),
                    c.rank.map_or_else(|| "–".to_string(), |r| r.to_string()),
                    escape(&c.parameter),
                    rho,
                    interval,
                    c.n,
                    escape(reading)
                );
            }
        }
        b.push_str("</table></div>\n");
        // The figures are in group order, one per group.
        if let Some(d) = tornadoes.get(k) {
            figure(b, d);
        }
    }
}
