//! `report.md`: a summary fit for a pull-request comment: the outcome or the
//! recommendation, tables, and links to the PNG charts beside it.

use reports::vocab::{Metric, Stat};
use std::fmt::Write;

use crate::charts::Figure;
use crate::figures::png_path;
use crate::words::{exceedance, figure_rows, metric, policy_marks, rho_cells, shown};
use reports::SCHEMA_VERSION;
use reports::format::{budget, budget_ci, human_secs, pct, pct_ci, secs_ci};
use reports::stats::{Estimate, Rate};
use reports::sweep::sensitivity::{HEADLINE, headline_label};
use reports::view::{RunView, SweepView};

/// Escapes the characters that would break a table cell or start markup.
pub(crate) fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '*' | '_' | '`' | '[' | ']' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Inline code, with a fence long enough for any backticks inside.
pub(crate) fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    let fence = if s.contains('`') { "``" } else { "`" };
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

pub(crate) fn footer(out: &mut String, program: &str) {
    let _ = writeln!(
        out,
        "\n---\n<sub>{} · schema_version {SCHEMA_VERSION} · full report: `report.html`</sub>",
        cell(program)
    );
}

pub(crate) fn charts(out: &mut String, figures: &[Figure]) {
    if figures.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### Charts\n");
    for f in figures {
        let _ = writeln!(out, "- [{}]({})", cell(&f.title), png_path(f));
    }
}

/// `report.md` of a run.
pub fn run_markdown(v: &RunView, figures: &[Figure]) -> String {
    let f = &v.metrics;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## rollcage run: {} under {}\n",
        code(&v.scenario),
        code(&v.policy)
    );
    let detector = f
        .detector
        .as_ref()
        .map(|d| format!(", detected by {}", code(d)))
        .unwrap_or_default();
    let _ = writeln!(s, "**Outcome: {}**{detector}.", f.outcome.name());
    if let Some(l) = &f.limit_hit {
        let _ = writeln!(
            s,
            "\n**Cut short by a hard bound ({}): the figures are incomplete.**",
            cell(l)
        );
    }
    let _ = writeln!(s, "\n| moment | at | figure | value |\n|---|--:|---|--:|");
    for r in v.fact_rows() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            r.moment,
            r.at,
            cell(r.figure),
            cell(&r.value)
        );
    }
    let _ = writeln!(s, "\nReproduce: {}", code(&v.reproduce));
    charts(&mut s, figures);
    footer(&mut s, &v.program);
    s
}

fn rate(r: &Option<Rate>) -> String {
    match r {
        Some(r) => format!("{} ({}/{}; {})", pct(r), r.k, r.n, pct_ci(r)),
        None => "n/a".into(),
    }
}

fn secs_est(e: Option<Estimate>, censored: u64) -> String {
    let cens = if censored > 0 {
        format!(", {censored} censored")
    } else {
        String::new()
    };
    match e {
        Some(e) => format!("{} ({}{cens})", human_secs(e.value), secs_ci(&e)),
        None if censored > 0 => format!("none ({censored} censored)"),
        None => "n/a".into(),
    }
}

fn budget_est(e: Option<Estimate>) -> String {
    e.map_or_else(
        || "n/a".into(),
        |e| format!("{} ({})", budget(e.value), budget_ci(&e)),
    )
}

/// `report.md` of a sweep.
pub fn sweep_markdown(v: &SweepView, figures: &[Figure]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## rollcage sweep: {} scenarios × {} policies × {} seeds\n",
        v.scenarios.len(),
        v.policies.len(),
        v.seeds
    );
    let rec = &v.recommendation;
    let c = &rec.constraints;
    match &rec.policy {
        Some(p) => {
            let _ = writeln!(s, "**Recommendation: {}**\n", code(p));
        }
        None => {
            let _ = writeln!(s, "**Recommendation: none**\n");
        }
    }
    let _ = writeln!(
        s,
        "Limits: p95 budget ≤ {}%, p50 deploy ≤ {}, false rollbacks ≤ {}%.\n",
        c.max_budget_p95_pct,
        human_secs(c.max_deploy_p50_s),
        c.max_false_rollback_pct
    );
    for e in &rec.evidence {
        let _ = writeln!(s, "- {}", cell(e));
    }

    let _ = writeln!(
        s,
        "\n### Pareto frontier\n\nDeploy p50 on the slowest good release, budget p95 on the worst fault scenario, rates pooled; 95% intervals in brackets.\n"
    );
    let _ = writeln!(
        s,
        "| policy | deploy p50 | budget p95 | detection | false rollbacks | on the chart |\n|---|--:|--:|--:|--:|---|"
    );
    for p in &v.pareto {
        let marks = if p.eligible {
            policy_marks(v, &p.policy).join(", ")
        } else {
            "not eligible".into()
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            code(&p.policy),
            secs_est(p.deploy_p50_s.as_ref().map(|w| w.estimate), 0),
            budget_est(p.budget_p95_pct.as_ref().map(|w| w.estimate)),
            rate(&p.detection_rate),
            rate(&p.false_rollback_rate),
            marks
        );
    }

    let _ = writeln!(s, "\n### Every scenario under every policy\n");
    let _ = writeln!(
        s,
        "| scenario | policy | runs | detection | false rollbacks | escapes | ttd p50 | budget p95 | deploy p50 |\n|---|---|--:|--:|--:|--:|--:|--:|--:|"
    );
    for g in &v.groups {
        let (ttd, ttd_c) = metric(g, Metric::Ttd, Stat::P50);
        let (budget_e, _) = metric(g, Metric::BudgetConsumed, Stat::P95);
        let (deploy, deploy_c) = metric(g, Metric::DeployDuration, Stat::P50);
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&g.scenario),
            code(&g.policy),
            g.n,
            rate(&g.detection_rate),
            rate(&g.false_rollback_rate),
            rate(&g.escape_rate),
            secs_est(ttd, ttd_c),
            budget_est(budget_e),
            secs_est(deploy, deploy_c),
        );
    }
    let cut: u64 = v.groups.iter().map(|g| g.limit_hit).sum();
    if cut > 0 {
        let _ = writeln!(
            s,
            "\n**{cut} runs were cut short by a hard bound; their figures are incomplete.**"
        );
    }
    sensitivity(&mut s, v);
    charts(&mut s, figures);
    let _ = writeln!(
        s,
        "\n### Every figure, scenario by scenario\n\nMeans of every summarised per-run figure, bootstrap 95% intervals in brackets; n/a where no run observed it.\n"
    );
    for scenario in &v.scenarios {
        let _ = writeln!(s, "#### {}\n", cell(scenario));
        let mut header = String::from("| figure |");
        let mut rule = String::from("|---|");
        for p in &v.policies {
            let _ = write!(header, " {} |", code(&p.name));
            rule.push_str("--:|");
        }
        let _ = writeln!(s, "{header}\n{rule}");
        for row in figure_rows(v, scenario) {
            let _ = write!(s, "| {} |", cell(row.metric.label()));
            for mean in &row.means {
                let (value, interval) = shown(row.metric, *mean);
                let shown = if interval.is_empty() {
                    value
                } else {
                    format!("{value} {interval}")
                };
                let _ = write!(s, " {} |", cell(&shown));
            }
            s.push('\n');
        }
        s.push('\n');
    }
    footer(&mut s, &v.program);
    s
}

/// The sensitivity section of a sweep with uncertain parameters (nothing otherwise);
/// the tornado charts are listed with the others under Charts.
fn sensitivity(s: &mut String, v: &SweepView) {
    if v.sensitivity.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n### Sensitivity to uncertain parameters\n\nSpearman ρ of each uncertain parameter with each headline figure over the runs, bootstrap 95% intervals in brackets; rank 1 has the largest |ρ|. Budget limit: the sweep's `--max-budget-p95`."
    );
    for g in &v.sensitivity {
        let _ = writeln!(
            s,
            "\n#### {} under {}\n\n{}.\n",
            cell(&g.scenario),
            code(&g.policy),
            cell(&exceedance(&g.exceedance))
        );
        let _ = writeln!(
            s,
            "| figure | rank | parameter | ρ | runs | reading |\n|---|--:|---|--:|--:|---|"
        );
        for q in HEADLINE {
            for c in g.of(q) {
                let (rho, interval, reading) = rho_cells(c);
                let shown = if interval.is_empty() {
                    rho
                } else {
                    format!("{rho} {interval}")
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} |",
                    cell(headline_label(q)),
                    c.rank.map_or_else(|| "–".to_string(), |r| r.to_string()),
                    code(&c.parameter),
                    cell(&shown),
                    c.n,
                    cell(reading)
                );
            }
        }
    }
}
