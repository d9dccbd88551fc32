//! A power analysis for people: the one-line answers printed on the terminal (and at
//! the top of the report), the power-curve figure, and the report's HTML and Markdown
//! pages, all drawn from `power.json` as read back.

use std::fmt::Write;

use reports::artifacts::power_json::PowerJson;
use reports::format::{human_secs, pct, pct_ci};
use reports::power::{DetectorPower, Mde, POLICY_DETECTOR, POWER_TARGETS, PointEstimate};

use crate::charts::power::{Curve, Power};
use crate::charts::{Chart, Figure};
use crate::figures::Drawn;
use crate::html::{self, escape};
use crate::markdown;

/// `policy argo-canary` or `gate error-ratio`.
pub fn who(doc: &PowerJson, d: &DetectorPower) -> String {
    if d.detector == POLICY_DETECTOR {
        format!("policy {}", doc.policy)
    } else {
        format!(
            "gate {}",
            d.detector.strip_prefix("gate:").unwrap_or(&d.detector)
        )
    }
}

/// A share as a whole percentage (one decimal below 10%): `10%`, `2.5%`.
fn share(w: f64) -> String {
    let p = 100.0 * w;
    if p < 9.95 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// The weight at detection in words: the canary weight for a traffic-routed canary,
/// the new pods' share of traffic otherwise (rolling, in-place, blue-green, a canary
/// without a router).
fn weight_words(doc: &PowerJson, w: Option<f64>) -> String {
    match w {
        None => String::new(),
        Some(w) if doc.traffic_routed => format!(" at weight {}", share(w)),
        Some(w) => format!(" with {} of traffic on new pods", share(w)),
    }
}

/// The answer for detector `d` at `POWER_TARGETS[i]`: the MDE in words, with the
/// median weight and time to detect at the first point whose power reaches the target
/// (measured there, not interpolated); or that the target is not reached in the range;
/// or that the detector fires without any regression.
pub fn answer(doc: &PowerJson, d: &DetectorPower, i: usize) -> String {
    let target = (100.0 * POWER_TARGETS[i]).round();
    let key = doc.key();
    let who = who(doc, d);
    match d.mde(i) {
        Mde::Within { value, at, .. } => {
            let p = &d.points[at];
            let time = p
                .detect_p50_s
                .map(|e| format!(" in {}", human_secs(e.value)))
                .unwrap_or_default();
            format!(
                "{who} catches {} with {target}% power{}{time}; below that it misses",
                key.describe(value, doc.effect.baseline),
                weight_words(doc, p.weight_p50)
            )
        }
        Mde::Beyond { power_at_max } => format!(
            "{who} does not reach {target}% power in the range swept: at {} its power is {:.0}%",
            key.describe(doc.effect.to, doc.effect.baseline),
            100.0 * power_at_max
        ),
        Mde::AtNoRegression => format!(
            "{who} fires in {} of runs with no regression at all: it cannot tell a regression from none",
            pct(&d.points[0].power)
        ),
    }
}

/// The false-rollback rate at no regression: the policy's power at point 0.
pub fn false_rollbacks(doc: &PowerJson) -> String {
    let r = &doc.policy_power().points[0].power;
    format!(
        "with no regression ({}={}), policy {} stops {} of {} good releases: a false-rollback rate of {} (95% CI {})",
        doc.effect.key,
        doc.effect.baseline,
        doc.policy,
        r.k,
        r.n,
        pct(r),
        pct_ci(r)
    )
}

/// The lines printed on the terminal: the policy's answer at 80% first (the answer),
/// then each gate's, then the false-rollback rate.
pub fn answer_lines(doc: &PowerJson) -> Vec<String> {
    let mut out: Vec<String> = doc.detectors.iter().map(|d| answer(doc, d, 0)).collect();
    out.push(false_rollbacks(doc));
    out
}

/// The MDE in a table cell: the value and its effect, or why there is none.
fn mde_cell(doc: &PowerJson, m: Mde) -> String {
    match m {
        Mde::Within { value, .. } => format!(
            "{} ({} = {})",
            doc.key().describe(value, doc.effect.baseline),
            doc.effect.key,
            reports::power::effect::sig(value)
        ),
        Mde::Beyond { power_at_max } => format!(
            "beyond {} (power there {:.0}%)",
            doc.effect.to,
            100.0 * power_at_max
        ),
        Mde::AtNoRegression => "none: reached with no regression".into(),
    }
}

fn detect_cell(p: &PointEstimate) -> String {
    match p.detect_p50_s {
        Some(e) => format!(
            "{} ({}–{})",
            human_secs(e.value),
            human_secs(e.lo),
            human_secs(e.hi)
        ),
        None => "n/a".into(),
    }
}

fn weight_cell(p: &PointEstimate) -> String {
    p.weight_p50.map(share).unwrap_or_else(|| "n/a".into())
}

fn title(doc: &PowerJson) -> String {
    format!(
        "Power of {} on {}: {} from {} to {}",
        doc.policy, doc.scenario, doc.effect.key, doc.effect.from, doc.effect.to
    )
}

/// The report's figures: the power curve.
pub fn figures(doc: &PowerJson) -> Vec<Figure> {
    let curves = doc
        .detectors
        .iter()
        .map(|d| Curve {
            detector: who(doc, d),
            points: d
                .points
                .iter()
                .map(|p| (p.value, p.power.rate, p.power.lo, p.power.hi))
                .collect(),
        })
        .collect();
    vec![Figure {
        id: "power".into(),
        title: "Power curve".into(),
        caption: "The probability that the policy (thick line) and each gate detect the \
                  regression before the candidate is promoted, at each value of the swept key; \
                  the first point is the baseline's value (no regression: there it is the \
                  false-rollback rate). Bands are Wilson 95% intervals; dashed lines mark 80% \
                  and 95% power, where the minimum detectable effects are read."
            .into(),
        chart: Chart::Power(Power {
            title: title(doc),
            key: doc.effect.key.clone(),
            curves,
            targets: POWER_TARGETS.to_vec(),
        }),
    }]
}

fn meta(doc: &PowerJson) -> String {
    format!(
        "{} seeds per point · master seed {} · {} points spaced linearly from {} to {}, and \
         the baseline's value {} (no regression) · policy kind {}",
        doc.seeds,
        doc.master_seed,
        doc.effect.points,
        doc.effect.from,
        doc.effect.to,
        doc.effect.baseline,
        doc.policy_kind
    )
}

/// `report.html` of a power analysis.
pub fn power_html(doc: &PowerJson, drawn: &[Drawn<'_>]) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>", escape(&title(doc)));
    let _ = writeln!(b, "<p class=\"meta\">{}</p>", escape(&meta(doc)));
    b.push_str("<div class=\"rec\"><h2 style=\"border:0;margin-top:4px\">Answer</h2>\n<ul>\n");
    for l in answer_lines(doc) {
        let _ = writeln!(b, "<li>{}</li>", escape(&l));
    }
    b.push_str("</ul></div>\n");
    b.push_str("<h2>Minimum detectable effect</h2>\n<p>The smallest effect at which the estimated power reaches the target, linearly interpolated between the two points around it (docs/power.md).</p>\n");
    b.push_str("<div class=\"wide\"><table>\n<tr><th>detector</th><th>80% power</th><th>95% power</th><th>fires with no regression</th></tr>\n");
    for d in &doc.detectors {
        let r = &d.points[0].power;
        let _ = writeln!(
            b,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{} <span class=\"ci\">{} of {}; {}</span></td></tr>",
            escape(&who(doc, d)),
            escape(&mde_cell(doc, d.mde_80)),
            escape(&mde_cell(doc, d.mde_95)),
            pct(r),
            r.k,
            r.n,
            pct_ci(r)
        );
    }
    b.push_str("</table></div>\n");
    for d in drawn {
        let _ = writeln!(b, "<h2>{}</h2>", escape(&d.figure.title));
        html::figure(&mut b, d);
    }
    b.push_str("<h2>Every point</h2>\n<p>Power with its Wilson 95% interval; the median time from the start of the change to detection over the runs that detected, with its bootstrap 95% interval; the median weight at detection.</p>\n");
    for d in &doc.detectors {
        let _ = writeln!(b, "<h3>{}</h3>", escape(&who(doc, d)));
        b.push_str("<div class=\"wide\"><table>\n<tr><th>value</th><th>effect</th><th>power</th><th>time to detect p50</th><th>weight p50</th></tr>\n");
        for p in &d.points {
            let _ = writeln!(
                b,
                "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{} <span class=\"ci\">{} of {}; {}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                p.value,
                escape(&effect_words(doc, p)),
                pct(&p.power),
                p.power.k,
                p.power.n,
                pct_ci(&p.power),
                escape(&detect_cell(p)),
                escape(&weight_cell(p))
            );
        }
        b.push_str("</table></div>\n");
    }
    html::page(&format!("rollcage power: {}", title(doc)), &doc.program, &b)
}

fn effect_words(doc: &PowerJson, p: &PointEstimate) -> String {
    if p.point == 0 {
        "no regression".into()
    } else {
        doc.key().describe(p.value, doc.effect.baseline)
    }
}

/// `report.md` of a power analysis.
pub fn power_markdown(doc: &PowerJson, figures: &[Figure]) -> String {
    use markdown::{cell, code};
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## rollcage power: {} on {}\n",
        code(&doc.policy),
        code(&doc.scenario)
    );
    let _ = writeln!(s, "{}\n", cell(&meta(doc)));
    for l in answer_lines(doc) {
        let _ = writeln!(s, "- {}", cell(&l));
    }
    let _ = writeln!(s, "\n### Minimum detectable effect\n");
    let _ = writeln!(
        s,
        "| detector | 80% power | 95% power | fires with no regression |"
    );
    let _ = writeln!(s, "|---|---|---|---:|");
    for d in &doc.detectors {
        let r = &d.points[0].power;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} ({} of {}) |",
            code(&who(doc, d)),
            cell(&mde_cell(doc, d.mde_80)),
            cell(&mde_cell(doc, d.mde_95)),
            pct(r),
            r.k,
            r.n
        );
    }
    let _ = writeln!(s, "\n### Every point\n");
    let _ = writeln!(
        s,
        "| detector | value | effect | power (95% CI) | time to detect p50 | weight p50 |"
    );
    let _ = writeln!(s, "|---|---:|---|---:|---:|---:|");
    for d in &doc.detectors {
        for p in &d.points {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} ({}) | {} | {} |",
                code(&who(doc, d)),
                p.value,
                cell(&effect_words(doc, p)),
                pct(&p.power),
                pct_ci(&p.power),
                cell(&detect_cell(p)),
                cell(&weight_cell(p))
            );
        }
    }
    markdown::charts(&mut s, figures);
    markdown::footer(&mut s, &doc.program);
    s
}

/// A hand-made power analysis: `power.json` as `rollcage power` would write it for one
/// gate over three values, four runs each. For the tests of this crate (unit and
/// golden); not part of the API.
#[doc(hidden)]
pub fn example(routed: bool) -> PowerJson {
    use reports::artifacts::power_json::EffectSweep;
    use reports::power::{Detection, Identity, RunDetections, summarise};
    let hit = |after_s: f64| {
        Some(Detection {
            after_s,
            weight: Some(0.1),
        })
    };
    let run = |policy: Option<Detection>, gate: Option<Detection>| RunDetections {
        policy,
        gates: vec![gate, None],
    };
    let runs = vec![
        vec![
            run(None, None),
            run(None, None),
            run(None, hit(70.0)),
            run(None, None),
        ],
        vec![
            run(hit(70.0), hit(70.0)),
            run(None, None),
            run(hit(100.0), hit(100.0)),
            run(None, None),
        ],
        vec![run(hit(70.0), hit(70.0)); 4],
    ];
    let values = vec![0.0, 0.01, 0.02];
    let gates = vec!["errors".to_string(), "restarts".to_string()];
    let id = Identity {
        master_seed: 1,
        scenario: "power-constant",
        policy: "one-analysis",
        resamples: 100,
    };
    PowerJson {
        schema_version: reports::SCHEMA_VERSION,
        program: "rollcage test".into(),
        scenario: "power-constant".into(),
        scenario_source: "constant.toml".into(),
        policy: "one-analysis".into(),
        policy_source: "canary.toml".into(),
        policy_kind: "canary".into(),
        traffic_routed: routed,
        overrides: vec![],
        effect: EffectSweep {
            key: "candidate.error_probability".into(),
            baseline: 0.0,
            from: 0.01,
            to: 0.02,
            points: 2,
            spacing: "linear".into(),
        },
        master_seed: 1,
        seeds: 4,
        bootstrap_resamples: 100,
        detectors: summarise(&runs, &values, 0.0, &gates, id),
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_says_the_mde_the_range_or_the_false_alarms() {
        let doc = example(true);
        let lines = answer_lines(&doc);
        // The policy: 0%, 50%, 100%: 80% is 3/5 of the way from 0.01 to 0.02.
        assert_eq!(
            lines[0],
            "policy one-analysis catches +1.6% errors with 80% power at weight 10% in 70.0 s; below that it misses"
        );
        assert_eq!(
            lines[1],
            "gate errors catches +1.6% errors with 80% power at weight 10% in 70.0 s; below that it misses"
        );
        assert_eq!(
            lines[2],
            "gate restarts does not reach 80% power in the range swept: at +2% errors its power is 0%"
        );
        assert!(lines[3].starts_with(
            "with no regression (candidate.error_probability=0), policy one-analysis stops 0 of 4 good releases"
        ));
        let pods = answer_lines(&example(false));
        assert!(
            pods[0].contains(" with 10% of traffic on new pods in 70.0 s"),
            "{}",
            pods[0]
        );
        // A gate that fires on a quarter of good releases reaches 25% with no
        // regression: at a 25% target there is no MDE.
        let mut d = doc.detectors[1].clone();
        d.mde_80 = Mde::AtNoRegression;
        assert_eq!(
            answer(&doc, &d, 0),
            "gate errors fires in 25.0% of runs with no regression at all: it cannot tell a regression from none"
        );
    }

    #[test]
    fn shares_keep_a_decimal_below_ten_percent() {
        assert_eq!(share(0.1), "10%");
        assert_eq!(share(0.0995), "10%");
        assert_eq!(share(0.0994), "9.9%");
        assert_eq!(share(0.025), "2.5%");
        assert_eq!(share(1.0), "100%");
    }
}
