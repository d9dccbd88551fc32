//! A tune for people: the answer printed on the terminal (and at the top of the
//! report), and the report's HTML and Markdown pages: the survivors and their
//! frontier, the elimination rounds, the chosen policy against the base policy on the
//! same seeds, and every candidate left behind with why. All drawn from `tune.json`
//! as read back.

use std::fmt::Write;

use reports::artifacts::tune_json::TuneJson;
use reports::format::{human_secs, pct, thousands};
use reports::stats::Estimate;
use reports::sweep::Paired;
use reports::tune::{CandidateResult, Verdict};
use reports::vocab::{Metric, Quantity, Rate};

use crate::charts::Figure;
use crate::html::{self, escape};
use crate::markdown;

/// The most rows of eliminated candidates a page lists (`tune.csv` has them all).
pub const MAX_LISTED: usize = 100;

/// A signed duration: `+1.5 min`, `−30.0 s`.
fn signed(v: f64) -> String {
    let s = human_secs(v.abs());
    if v < 0.0 {
        format!("−{s}")
    } else {
        format!("+{s}")
    }
}

fn estimate_words(e: &Estimate) -> String {
    format!(
        "{} (95% CI {} to {})",
        human_secs(e.value),
        human_secs(e.lo),
        human_secs(e.hi)
    )
}

fn difference_words(e: &Estimate) -> String {
    format!(
        "{} (95% CI {} to {})",
        signed(e.value),
        signed(e.lo),
        signed(e.hi)
    )
}

/// The names of up to `n` candidates, and how many more.
fn some(names: &[String], n: usize) -> String {
    if names.len() <= n {
        names.join(", ")
    } else {
        format!("{} and {} more", names[..n].join(", "), names.len() - n)
    }
}

/// The lines printed on the terminal: what was chosen and how sure the race is, the
/// objective, the runs it took against the grid, and the chosen policy against the
/// base one.
pub fn answer_lines(doc: &TuneJson) -> Vec<String> {
    let mut out = Vec::new();
    let conf = format!("{}%", 100.0 * doc.confidence);
    match doc.best_result() {
        Some(b) if doc.confident => out.push(format!(
            "best: {} — best with {conf} confidence: every other candidate was shown worse or to break a limit",
            b.name
        )),
        Some(b) if doc.exhaustive => out.push(format!(
            "best: {} — the best by its estimates over every seed (exhaustive); not separated from it at 95%: {}",
            b.name,
            if doc.not_separated.is_empty() {
                "none".to_string()
            } else {
                some(&doc.not_separated, 5)
            }
        )),
        Some(b) => out.push(format!(
            "best: {} — the best by its estimates; the race stopped because {}; not separated from it: {}",
            b.name,
            doc.stop.describe(),
            if doc.not_separated.is_empty() {
                "none".to_string()
            } else {
                some(&doc.not_separated, 5)
            }
        )),
        None => {
            let survivors: Vec<String> = doc
                .candidates
                .iter()
                .filter(|c| c.verdict == Verdict::BreaksLimits)
                .map(|c| c.name.clone())
                .collect();
            let infeasible = doc
                .candidates
                .iter()
                .filter(|c| c.verdict == Verdict::Infeasible)
                .count();
            out.push(if survivors.is_empty() {
                format!(
                    "no candidate meets the limits: {infeasible} of the {} were shown to break one",
                    doc.candidates.len()
                )
            } else {
                format!(
                    "no candidate meets the limits by its estimates: {infeasible} were shown to break one; {} could not be shown either way when the race stopped ({})",
                    some(&survivors, 5),
                    doc.stop.describe()
                )
            });
        }
    }
    if let Some(b) = doc.best_result()
        && let Some(e) = b.objective
    {
        out.push(format!(
            "objective ({}): {} on {} seeds per scenario",
            doc.objective.describe(),
            estimate_words(&e),
            b.seeds
        ));
    }
    let r = &doc.runs;
    out.push(format!(
        "runs: {} ({:.1}% of the {} an exhaustive grid over the same seeds takes): {} racing{}",
        thousands(doc.runs_used()),
        100.0 * doc.runs_used() as f64 / r.grid.max(1) as f64,
        thousands(r.grid),
        thousands(r.race),
        if r.base > 0 {
            format!(", {} for the base policy", thousands(r.base))
        } else {
            String::new()
        }
    ));
    if let Some(v) = &doc.versus_base {
        out.push(match (&v.objective, v.same_as_best) {
            (_, true) => format!("the base policy {} is the chosen one", v.base),
            (Some(d), false) => format!(
                "against the base policy {}: objective {} on the same {} seeds per scenario",
                v.base,
                difference_words(d),
                v.seeds
            ),
            (None, false) => format!("against the base policy {}: no comparison", v.base),
        });
    }
    out
}

fn title(doc: &TuneJson) -> String {
    format!("Tuning {} over {}", doc.policy, doc.name)
}

fn meta(doc: &TuneJson) -> String {
    let s: Vec<String> = doc
        .scenarios
        .iter()
        .map(|s| format!("{} ({}, weight {})", s.name, s.class.name(), s.weight))
        .collect();
    format!(
        "{} candidates over {} parameters · scenarios {} · minimising {} · seeds per scenario {} doubling to {} · confidence {}% ({:.2e} per round) · master seed {}",
        doc.candidates.len(),
        doc.parameters.len(),
        s.join(", "),
        doc.objective.describe(),
        doc.schedule.first_seeds,
        doc.schedule.max_seeds,
        100.0 * doc.confidence,
        doc.alpha_per_round,
        doc.master_seed
    )
}

fn limits_words(doc: &TuneJson) -> Vec<String> {
    let l = &doc.limits;
    let mut v = Vec::new();
    if let Some(x) = l.max_budget_p95_pct {
        v.push(format!("budget p95 ≤ {x}% on every fault scenario"));
    }
    if let Some(x) = l.max_deploy_p50_s {
        v.push(format!(
            "deploy p50 ≤ {} on every good release",
            human_secs(x)
        ));
    }
    if let Some(x) = l.max_false_rollback_pct {
        v.push(format!("false rollbacks ≤ {x}%"));
    }
    v.extend(l.assertions.iter().map(|a| format!("`{a}`")));
    v
}

/// The cells of a candidate's row: verdict, objective, versus best, deploy p50, budget
/// p95, false rollbacks, seeds.
fn cells(c: &CandidateResult) -> [String; 7] {
    [
        c.verdict.name().replace('_', " "),
        c.objective.map(|e| estimate_words(&e)).unwrap_or_default(),
        c.versus_best
            .map(|e| difference_words(&e))
            .unwrap_or_default(),
        c.deploy_p50_s.map(human_secs).unwrap_or_default(),
        c.budget_p95_pct
            .map(|b| format!("{b:.3}%"))
            .unwrap_or_default(),
        c.false_rollback
            .map(|r| format!("{} ({} of {})", pct(&r), r.k, r.n))
            .unwrap_or_default(),
        c.seeds.to_string(),
    ]
}

const COLUMNS: [&str; 8] = [
    "candidate",
    "verdict",
    "objective",
    "vs best",
    "deploy p50 (worst good)",
    "budget p95 (worst fault)",
    "false rollbacks",
    "seeds",
];

/// The quantities of the comparison with the base policy the pages show.
fn shown(q: Quantity) -> bool {
    matches!(
        q,
        Quantity::Rate(Rate::Detection | Rate::FalseRollback | Rate::Escape)
            | Quantity::Metric(Metric::DeployDuration | Metric::BudgetConsumed | Metric::Ttd)
    )
}

fn paired_cell(p: &Paired) -> String {
    let unit = p.metric.unit();
    match p.difference {
        Some(d) => {
            let s = |v: f64| {
                let t = unit.show(v.abs());
                if v < 0.0 {
                    format!("−{t}")
                } else {
                    format!("+{t}")
                }
            };
            format!("{} ({} to {})", s(d.value), s(d.lo), s(d.hi))
        }
        None => "no pairs".into(),
    }
}

/// The report's figures: none yet (the tables carry the race).
pub fn figures(_doc: &TuneJson) -> Vec<Figure> {
    Vec::new()
}

fn survivors(doc: &TuneJson) -> Vec<&CandidateResult> {
    doc.candidates
        .iter()
        .filter(|c| c.verdict.survived())
        .collect()
}

fn eliminated(doc: &TuneJson) -> Vec<&CandidateResult> {
    doc.candidates
        .iter()
        .filter(|c| !c.verdict.survived())
        .collect()
}

/// `report.html` of a tune.
pub fn tune_html(doc: &TuneJson) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>", escape(&title(doc)));
    let _ = writeln!(b, "<p class=\"meta\">{}</p>", escape(&meta(doc)));
    b.push_str("<div class=\"rec\"><h2 style=\"border:0;margin-top:4px\">Answer</h2>\n<ul>\n");
    for l in answer_lines(doc) {
        let _ = writeln!(b, "<li>{}</li>", escape(&l));
    }
    b.push_str("</ul></div>\n<h2>Limits</h2>\n<ul>\n");
    for l in limits_words(doc) {
        let _ = writeln!(b, "<li>{}</li>", escape(&l));
    }
    b.push_str("</ul>\n<h2>Survivors</h2>\n<p>The candidates still in the race when it stopped. ★ marks the frontier: no other survivor is better on both the objective and the budget p95. Intervals are 95% bootstrap intervals; “vs best” is the paired difference from the best on the seeds both ran.</p>\n");
    table_html(&mut b, &survivors(doc), true);
    b.push_str("<h2>Rounds</h2>\n<p>After each round every racing candidate is compared with the leader on the same seeds and its limits tested; the p-values of a round are corrected together (Holm) at the round's level. A candidate beaten by a leader later shown to break a limit comes back.</p>\n");
    b.push_str("<div class=\"wide\"><table>\n<tr><th>round</th><th>seeds</th><th>racing</th><th>runs</th><th>leader</th><th>worse</th><th>infeasible</th><th>revived</th><th>left</th></tr>\n");
    for r in &doc.rounds {
        let _ = writeln!(
            b,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            r.round,
            r.seeds,
            r.racing,
            thousands(r.runs),
            escape(r.leader.as_deref().unwrap_or("none")),
            r.worse.len(),
            r.infeasible.len(),
            r.revived.len(),
            r.survivors
        );
    }
    b.push_str("</table></div>\n");
    if let Some(v) = &doc.versus_base
        && !v.same_as_best
    {
        let _ = writeln!(
            b,
            "<h2>Against the base policy</h2>\n<p>The chosen policy minus <code>{}</code>, paired on the same {} seeds per scenario, with 95% bootstrap intervals.</p>",
            escape(&v.base),
            v.seeds
        );
        b.push_str("<div class=\"wide\"><table>\n<tr><th>scenario</th><th>figure</th><th>difference</th><th>pairs</th></tr>\n");
        for p in v.paired.iter().filter(|p| shown(p.metric)) {
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&p.scenario),
                p.metric.name(),
                escape(&paired_cell(p)),
                p.pairs
            );
        }
        b.push_str("</table></div>\n");
    }
    let gone = eliminated(doc);
    let _ = writeln!(
        b,
        "<h2>Left behind</h2>\n<p>{} candidates were eliminated or are not valid policies{}.</p>",
        gone.len(),
        if gone.len() > MAX_LISTED {
            format!("; the first {MAX_LISTED} are listed, tune.csv has every one")
        } else {
            String::new()
        }
    );
    b.push_str("<div class=\"wide\"><table>\n<tr><th>candidate</th><th>verdict</th><th>round</th><th>why</th></tr>\n");
    for c in gone.iter().take(MAX_LISTED) {
        let _ = writeln!(
            b,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(&c.name),
            c.verdict.name().replace('_', " "),
            c.round.map(|r| r.to_string()).unwrap_or_default(),
            escape(&c.reason)
        );
    }
    b.push_str("</table></div>\n");
    html::page(&format!("rollcage tune: {}", title(doc)), &doc.program, &b)
}

fn table_html(b: &mut String, rows: &[&CandidateResult], star: bool) {
    b.push_str("<div class=\"wide\"><table>\n<tr>");
    for c in COLUMNS {
        let _ = write!(b, "<th>{c}</th>");
    }
    b.push_str("</tr>\n");
    for c in rows {
        let mark = if star && c.frontier { " ★" } else { "" };
        let _ = write!(b, "<tr><td><code>{}</code>{mark}</td>", escape(&c.name));
        for (i, x) in cells(c).iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"num\"" };
            let _ = write!(b, "<td{class}>{}</td>", escape(x));
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table></div>\n");
}

/// `report.md` of a tune.
pub fn tune_markdown(doc: &TuneJson, figures: &[Figure]) -> String {
    use markdown::{cell, code};
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## rollcage tune: {} over {}\n",
        code(&doc.policy),
        code(&doc.name)
    );
    let _ = writeln!(s, "{}\n", cell(&meta(doc)));
    for l in answer_lines(doc) {
        let _ = writeln!(s, "- {}", cell(&l));
    }
    let _ = writeln!(s, "\n### Limits\n");
    for l in limits_words(doc) {
        let _ = writeln!(s, "- {}", cell(&l));
    }
    let _ = writeln!(s, "\n### Survivors\n");
    let _ = writeln!(s, "| {} |", COLUMNS.join(" | "));
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|");
    for c in survivors(doc) {
        let mark = if c.frontier { " ★" } else { "" };
        let cs = cells(c);
        let _ = writeln!(
            s,
            "| {}{mark} | {} |",
            code(&c.name),
            cs.iter().map(|x| cell(x)).collect::<Vec<_>>().join(" | ")
        );
    }
    let _ = writeln!(s, "\n### Rounds\n");
    let _ = writeln!(
        s,
        "| round | seeds | racing | runs | leader | worse | infeasible | revived | left |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---|---:|---:|---:|---:|");
    for r in &doc.rounds {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.round,
            r.seeds,
            r.racing,
            thousands(r.runs),
            code(r.leader.as_deref().unwrap_or("none")),
            r.worse.len(),
            r.infeasible.len(),
            r.revived.len(),
            r.survivors
        );
    }
    if let Some(v) = &doc.versus_base
        && !v.same_as_best
    {
        let _ = writeln!(
            s,
            "\n### Against the base policy {}\n\nPaired on the same {} seeds per scenario, chosen minus base, 95% bootstrap intervals.\n",
            code(&v.base),
            v.seeds
        );
        let _ = writeln!(s, "| scenario | figure | difference | pairs |");
        let _ = writeln!(s, "|---|---|---:|---:|");
        for p in v.paired.iter().filter(|p| shown(p.metric)) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                cell(&p.scenario),
                code(p.metric.name()),
                cell(&paired_cell(p)),
                p.pairs
            );
        }
    }
    let gone = eliminated(doc);
    let _ = writeln!(
        s,
        "\n### Left behind\n\n{} candidates were eliminated or are not valid policies{}.\n",
        gone.len(),
        if gone.len() > MAX_LISTED {
            format!("; the first {MAX_LISTED} are listed, `tune.csv` has every one")
        } else {
            String::new()
        }
    );
    if !gone.is_empty() {
        let _ = writeln!(s, "| candidate | verdict | round | why |");
        let _ = writeln!(s, "|---|---|---:|---|");
        for c in gone.iter().take(MAX_LISTED) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                code(&c.name),
                c.verdict.name().replace('_', " "),
                c.round.map(|r| r.to_string()).unwrap_or_default(),
                cell(&c.reason)
            );
        }
    }
    markdown::charts(&mut s, figures);
    markdown::footer(&mut s, &doc.program);
    s
}
