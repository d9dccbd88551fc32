//! `rollcage check`: assertions over sweep statistics and comparisons against a
//! baseline, judged (the text and Markdown are `render::check`'s; the JUnit file is
//! built here as an artifact). Pure: the runner runs the sweep and hands over the group
//! summaries and rows.
//!
//! An assertion reads `SCOPE: METRIC OP VALUE`, e.g. `memory-leak: detection_rate >=
//! 0.95` or `all: budget_consumed.p95 <= 2%`. SCOPE is a scenario name or `all` (every
//! scenario of the suite, judged one by one); METRIC is a rate (`detection_rate`,
//! `false_rollback_rate`, `escape_rate`) or a statistic of a per-run figure
//! (`ttd`, `impact_duration`, `tt_recover`, `budget_consumed`, `deploy_duration`, each
//! `.mean`, `.p50`, `.p95` or `.p99`); OP is `<=`, `<`, `>=` or `>`. Rates take a share
//! (`0.95` or `95%`), durations a time (`90s`, `20m`, `1h`, or seconds), the budget a
//! percentage of the error budget (`2%` or `2`).

use serde::Serialize;

use crate::artifacts::junit::{Failure, JUnit, TestCase, TestSuite};
use crate::stats::Estimate;
use crate::sweep::{GroupSummary, Paired};
use crate::vocab::{self, Direction, Metric, Quantity, Rate, Stat, Unit};

/// What an assertion measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Measure {
    Rate(Rate),
    /// A statistic of a summarised figure: (`Metric::Ttd`, `Stat::P95`).
    Stat(Metric, Stat),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Le,
    Lt,
    Ge,
    Gt,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }

    fn holds(self, x: f64, bound: f64) -> bool {
        match self {
            Op::Le => x <= bound,
            Op::Lt => x < bound,
            Op::Ge => x >= bound,
            Op::Gt => x > bound,
        }
    }

    /// An upper bound (`<=`, `<`): values above it are the wrong side.
    fn is_upper(self) -> bool {
        matches!(self, Op::Le | Op::Lt)
    }
}

/// One assertion of a suite.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    /// As written in the suite.
    pub text: String,
    /// A scenario name, or `None` for `all`.
    pub scenario: Option<String>,
    pub measure: Measure,
    pub op: Op,
    /// In the measure's unit: a share for rates, seconds, or percent of the budget.
    pub threshold: f64,
}

impl Assertion {
    /// Parses `SCOPE: METRIC OP VALUE`; the error says what is wrong and what is
    /// expected.
    pub fn parse(text: &str) -> Result<Assertion, String> {
        let (scope, rest) = text.split_once(':').ok_or(
            "expected `SCOPE: METRIC OP VALUE`, e.g. `memory-leak: detection_rate >= 0.95`",
        )?;
        let scope = scope.trim();
        if scope.is_empty() {
            return Err("the scope (a scenario name or `all`) is empty".into());
        }
        let rest = rest.trim();
        let (at, op) = ["<=", ">=", "<", ">"]
            .iter()
            .find_map(|o| rest.find(o).map(|i| (i, *o)))
            .ok_or("no comparison: use <=, <, >= or >")?;
        let metric = rest[..at].trim();
        let value = rest[at + op.len()..].trim();
        let op = match op {
            "<=" => Op::Le,
            "<" => Op::Lt,
            ">=" => Op::Ge,
            _ => Op::Gt,
        };
        let measure = parse_measure(metric)?;
        let threshold = a_unit(measure).parse_threshold(value)?;
        Ok(Assertion {
            text: text.trim().to_string(),
            scenario: (scope != "all").then(|| scope.to_string()),
            measure,
            op,
            threshold,
        })
    }

    fn unit(&self) -> Unit {
        a_unit(self.measure)
    }
}

fn a_unit(m: Measure) -> Unit {
    match m {
        Measure::Rate(r) => r.unit(),
        Measure::Stat(f, _) => f.unit(),
    }
}

/// Reads METRIC through the vocabulary: a rate, or `FIGURE.STAT` for a summarised
/// figure (`ttd.p95`).
fn parse_measure(metric: &str) -> Result<Measure, String> {
    if let Some(r) = Rate::parse(metric) {
        return Ok(Measure::Rate(r));
    }
    let Some((figure, stat)) = metric.split_once('.') else {
        return Err(unknown_metric(metric));
    };
    let figure = Metric::summarised()
        .find(|m| m.check_name() == figure)
        .ok_or_else(|| unknown_metric(metric))?;
    let stat = Stat::parse(stat).ok_or_else(|| {
        let names = Stat::ALL.map(Stat::name);
        format!(
            "unknown statistic `{stat}`; use one of {}",
            names.join(", ")
        )
    })?;
    Ok(Measure::Stat(figure, stat))
}

/// Every name an assertion may use, as written: the rates and `FIGURE.STAT`.
fn assertion_names() -> Vec<String> {
    let mut names: Vec<String> = Rate::ALL.map(|r| r.name().to_string()).to_vec();
    for m in Metric::summarised() {
        names.extend(Stat::ALL.map(|s| format!("{}.{}", m.check_name(), s.name())));
    }
    names
}

fn unknown_metric(metric: &str) -> String {
    let names = assertion_names();
    let hint = vocab::suggest(metric, names.iter().map(String::as_str))
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    let rates = Rate::ALL.map(Rate::name);
    let figures: Vec<String> = Metric::summarised()
        .map(|m| format!("{}.p95", m.check_name()))
        .collect();
    format!(
        "unknown metric `{metric}`{hint}; use {} or one of {} (with .mean, .p50, .p95 or .p99)",
        rates.join(", "),
        figures.join(", ")
    )
}

/// How assertions read their confidence intervals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judge {
    /// The point estimate must satisfy the assertion (the default).
    Estimate,
    /// The assertion fails only when its whole 95% interval is on the wrong side.
    Interval,
}

/// The judgement of one assertion for one scenario and policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub assertion: String,
    pub scenario: String,
    pub policy: String,
    pub passed: bool,
    /// The measured value and its 95% interval, as text; `None` when undefined.
    pub measured: Option<(String, String)>,
    /// Value, interval, threshold and how it was judged, as one line (or why there is
    /// no value): the failure message.
    pub detail: String,
}

impl Verdict {
    /// The name a test case goes by: `scenario / policy: assertion`.
    pub fn name(&self) -> String {
        format!("{} / {}: {}", self.scenario, self.policy, self.assertion)
    }
}

/// Judges `a` on one group.
pub fn judge(a: &Assertion, g: &GroupSummary, how: Judge) -> Verdict {
    let unit = a.unit();
    let undefined = |detail: String| Verdict {
        assertion: a.text.clone(),
        scenario: g.scenario.clone(),
        policy: g.policy.clone(),
        passed: false,
        measured: None,
        detail,
    };
    let (value, lo, hi, what) = match a.measure {
        Measure::Rate(rate) => match rate.of(g) {
            Some(r) => (
                r.rate,
                r.lo,
                r.hi,
                format!("{} of {} runs, 95% Wilson interval", r.k, r.n),
            ),
            None => {
                return undefined(format!(
                    "{} is undefined here: {}",
                    rate.name(),
                    rate.undefined_because()
                ));
            }
        },
        Measure::Stat(metric, stat) => {
            let Some(m) = g.metric(metric) else {
                return undefined(format!("{metric} is not in this summary"));
            };
            match m.stats.map(|d| stat.of(&d)) {
                Some(e) => (
                    e.value,
                    e.lo,
                    e.hi,
                    format!(
                        "{} runs observed, {} censored, 95% bootstrap interval",
                        m.n, m.censored
                    ),
                ),
                None => {
                    return undefined(format!(
                        "{metric} was observed in no run ({} censored)",
                        m.censored
                    ));
                }
            }
        }
    };
    let passed = match how {
        Judge::Estimate => a.op.holds(value, a.threshold),
        // Fail only when the whole interval is on the wrong side of the threshold.
        Judge::Interval => {
            if a.op.is_upper() {
                a.op.holds(lo, a.threshold)
            } else {
                a.op.holds(hi, a.threshold)
            }
        }
    };
    Verdict {
        assertion: a.text.clone(),
        scenario: g.scenario.clone(),
        policy: g.policy.clone(),
        passed,
        measured: Some((
            unit.show(value),
            format!("{} – {}", unit.show(lo), unit.show(hi)),
        )),
        detail: format!(
            "measured {} [{}, {}] ({what}); needs {} {} judged by the {}",
            unit.show(value),
            unit.show(lo),
            unit.show(hi),
            a.op.symbol(),
            unit.show(a.threshold),
            match how {
                Judge::Estimate => "point estimate",
                Judge::Interval => "whole interval",
            }
        ),
    }
}

/// How a metric moved against the baseline, paired on the same seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Improved,
    Regressed,
    /// The 95% interval of the paired difference contains zero.
    WithinNoise,
    /// No replicate defines the metric in both runs.
    NoPairs,
    /// Fewer than `MIN_PAIRS` replicates define it in both: no verdict either way.
    TooFewPairs,
}

/// The fewest paired replicates a change is judged on.
pub const MIN_PAIRS: u64 = 5;

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::Improved => "improved",
            Change::Regressed => "regressed",
            Change::WithinNoise => "within noise",
            Change::NoPairs => "no pairs",
            Change::TooFewPairs => "too few pairs",
        }
    }
}

/// One metric of one group against the baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricChange {
    pub scenario: String,
    pub policy: String,
    pub metric: Quantity,
    pub pairs: u64,
    pub difference: Option<Estimate>,
    pub change: Change,
}

impl MetricChange {
    pub fn name(&self) -> String {
        format!("{} / {}: {}", self.scenario, self.policy, self.metric)
    }

    /// Paired difference and its interval, in the metric's unit.
    pub fn detail(&self) -> String {
        let unit = self.metric.unit();
        match self.difference {
            Some(d) => format!(
                "change {} [{}, {}] over {} paired runs: {}",
                signed(unit, d.value),
                signed(unit, d.lo),
                signed(unit, d.hi),
                self.pairs,
                self.change.name()
            ),
            None => "no replicate defines it in both the baseline and this run".into(),
        }
    }
}

fn signed(unit: Unit, v: f64) -> String {
    let s = unit.show(v.abs());
    if v < 0.0 {
        format!("-{s}")
    } else {
        format!("+{s}")
    }
}

/// Classifies paired differences (current − baseline): a change counts only when at
/// least `MIN_PAIRS` replicates pair up and its 95% interval excludes zero; which way
/// is worse is the vocabulary's direction (a figure with none counts up as worse).
pub fn classify(p: &Paired) -> MetricChange {
    let higher_better = p.metric.direction() == Direction::HigherIsBetter;
    let change = match p.difference {
        None => Change::NoPairs,
        Some(_) if p.pairs < MIN_PAIRS => Change::TooFewPairs,
        Some(d) if d.lo > 0.0 => {
            if higher_better {
                Change::Improved
            } else {
                Change::Regressed
            }
        }
        Some(d) if d.hi < 0.0 => {
            if higher_better {
                Change::Regressed
            } else {
                Change::Improved
            }
        }
        Some(_) => Change::WithinNoise,
    };
    MetricChange {
        scenario: p.scenario.clone(),
        policy: p.policy.clone(),
        metric: p.metric,
        pairs: p.pairs,
        difference: p.difference,
        change,
    }
}

impl Change {
    /// Improved or regressed: worth a row of its own.
    pub fn moved(self) -> bool {
        matches!(self, Change::Improved | Change::Regressed)
    }
}

/// Everything a check found.
#[derive(Clone, Debug, Default)]
pub struct CheckResult {
    pub suite: String,
    pub verdicts: Vec<Verdict>,
    /// Empty without a baseline.
    pub changes: Vec<MetricChange>,
}

impl CheckResult {
    pub fn failed(&self) -> usize {
        self.verdicts.iter().filter(|v| !v.passed).count()
    }

    pub fn regressed(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.change == Change::Regressed)
            .count()
    }

    pub fn ok(&self) -> bool {
        self.failed() == 0 && self.regressed() == 0
    }
}

/// JUnit XML as CI systems read it (`artifacts::junit`): one test case per assertion
/// (per scenario and policy) and per baseline metric.
pub fn junit_doc(r: &CheckResult) -> JUnit {
    let mut suites = vec![TestSuite {
        name: "assertions".into(),
        cases: r
            .verdicts
            .iter()
            .map(|v| TestCase {
                classname: format!("rollcage.check.{}", v.scenario),
                name: v.name(),
                failure: (!v.passed).then(|| Failure {
                    kind: "assertion".into(),
                    message: v.detail.clone(),
                }),
            })
            .collect(),
    }];
    if !r.changes.is_empty() {
        suites.push(TestSuite {
            name: "baseline".into(),
            cases: r
                .changes
                .iter()
                .map(|c| TestCase {
                    classname: format!("rollcage.baseline.{}", c.scenario),
                    name: c.name(),
                    failure: (c.change == Change::Regressed).then(|| Failure {
                        kind: "regression".into(),
                        message: c.detail(),
                    }),
                })
                .collect(),
        });
    }
    JUnit {
        name: format!("rollcage check {}", r.suite),
        suites,
    }
}

/// The bytes of `junit_doc`.
pub fn junit(r: &CheckResult) -> String {
    String::from_utf8(junit_doc(r).to_bytes()).expect("JUnit is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Describe;
    use crate::sweep::group::{MetricSummary, OutcomeCounts};

    fn group(detected: u64, of: u64, budget_p95: f64) -> GroupSummary {
        let est = |v: f64| Estimate {
            value: v,
            lo: v * 0.8,
            hi: v * 1.2,
        };
        let describe = |v: f64| Describe {
            mean: est(v),
            p50: est(v),
            p95: est(v),
            p99: est(v),
        };
        GroupSummary {
            scenario: "memory-leak".into(),
            policy: "careful".into(),
            n: of,
            outcomes: OutcomeCounts::default(),
            fault_runs: of,
            no_fault_runs: 0,
            change_runs: of,
            undetected: of - detected,
            limit_hit: 0,
            detection_rate: crate::stats::wilson(detected, of),
            false_rollback_rate: None,
            escape_rate: crate::stats::wilson(of - detected, of),
            metrics: Metric::summarised()
                .map(|metric| MetricSummary {
                    metric,
                    n: of,
                    censored: 0,
                    stats: Some(describe(if metric == Metric::BudgetConsumed {
                        budget_p95
                    } else {
                        600.0
                    })),
                })
                .collect(),
        }
    }

    #[test]
    fn parses_the_forms_of_the_issue() {
        let a = Assertion::parse("memory-leak: detection_rate >= 0.95").unwrap();
        assert_eq!(
            (a.scenario.as_deref(), &a.measure, a.op, a.threshold),
            (
                Some("memory-leak"),
                &Measure::Rate(Rate::Detection),
                Op::Ge,
                0.95
            )
        );
        let a = Assertion::parse("good-release: false_rollback_rate <= 1%").unwrap();
        assert!((a.threshold - 0.01).abs() < 1e-12);
        let a = Assertion::parse("all: budget_consumed.p95 <= 2%").unwrap();
        assert_eq!(
            (a.scenario, a.measure, a.threshold),
            (None, Measure::Stat(Metric::BudgetConsumed, Stat::P95), 2.0)
        );
        let a = Assertion::parse("good-release: deploy_duration.p50 <= 20m").unwrap();
        assert_eq!(a.threshold, 1200.0);
        for (bad, why) in [
            ("detection_rate >= 0.9", "expected `SCOPE"),
            ("x: detection_rat >= 0.9", "did you mean `detection_rate`?"),
            (
                "x: budget_consumd.p95 <= 2%",
                "did you mean `budget_consumed.p95`?",
            ),
            ("x: ttd.p42 <= 1m", "unknown statistic"),
            ("x: detection_rate = 0.9", "no comparison"),
            ("x: detection_rate >= 1.5", "not a share"),
            ("x: ttd.p95 <= soon", "not a duration"),
        ] {
            let e = Assertion::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn estimate_and_interval_judges_differ_near_the_threshold() {
        // 18 of 20 detected: 90%, Wilson interval about [69.9%, 97.2%].
        let g = group(18, 20, 1.0);
        let a = Assertion::parse("memory-leak: detection_rate >= 0.95").unwrap();
        let by_estimate = judge(&a, &g, Judge::Estimate);
        assert!(!by_estimate.passed, "{}", by_estimate.detail);
        assert!(
            by_estimate.detail.contains("90.00%"),
            "{}",
            by_estimate.detail
        );
        assert!(
            judge(&a, &g, Judge::Interval).passed,
            "the interval reaches 95%"
        );
        // p95 budget 2.4% (interval 1.92-2.88%) against 2%.
        let g = group(20, 20, 2.4);
        let a = Assertion::parse("all: budget_consumed.p95 <= 2%").unwrap();
        assert!(!judge(&a, &g, Judge::Estimate).passed);
        assert!(judge(&a, &g, Judge::Interval).passed);
        let g = group(20, 20, 3.0);
        assert!(
            !judge(&a, &g, Judge::Interval).passed,
            "2.4-3.6% is wholly above 2%"
        );
        // A rate a scenario cannot produce fails, saying why.
        let a = Assertion::parse("memory-leak: false_rollback_rate <= 1%").unwrap();
        let v = judge(&a, &g, Judge::Estimate);
        assert!(!v.passed && v.detail.contains("undefined"));
    }

    const TTD: Quantity = Quantity::Metric(Metric::Ttd);
    const DETECTION: Quantity = Quantity::Rate(Rate::Detection);

    #[test]
    fn changes_count_only_outside_noise() {
        let p = |metric: Quantity, lo: f64, hi: f64| Paired {
            scenario: "s".into(),
            policy: "p".into(),
            baseline: "p".into(),
            metric,
            pairs: 10,
            difference: Some(Estimate {
                value: (lo + hi) / 2.0,
                lo,
                hi,
            }),
        };
        assert_eq!(classify(&p(TTD, 5.0, 9.0)).change, Change::Regressed);
        assert_eq!(classify(&p(TTD, -9.0, -5.0)).change, Change::Improved);
        assert_eq!(classify(&p(TTD, -1.0, 3.0)).change, Change::WithinNoise);
        assert_eq!(
            classify(&p(DETECTION, -0.3, -0.1)).change,
            Change::Regressed
        );
        assert_eq!(classify(&p(DETECTION, 0.1, 0.3)).change, Change::Improved);
        let mut one = p(TTD, 5.0, 5.0);
        one.pairs = 1;
        assert_eq!(classify(&one).change, Change::TooFewPairs);
    }

    #[test]
    fn junit_escapes_and_counts() {
        let r = CheckResult {
            suite: "s<1>".into(),
            verdicts: vec![
                Verdict {
                    assertion: "a: ttd.p95 <= 1m".into(),
                    scenario: "a".into(),
                    policy: "p".into(),
                    passed: false,
                    measured: None,
                    detail: "measured 2 min > 1 min & more".into(),
                },
                Verdict {
                    assertion: "a: detection_rate >= 0.9".into(),
                    scenario: "a".into(),
                    policy: "p".into(),
                    passed: true,
                    measured: None,
                    detail: String::new(),
                },
            ],
            changes: vec![],
        };
        let x = junit(&r);
        assert!(
            x.contains("<testsuites name=\"rollcage check s&lt;1&gt;\" tests=\"2\" failures=\"1\"")
        );
        assert!(x.contains("message=\"measured 2 min &gt; 1 min &amp; more\""));
        assert!(x.contains("name=\"a / p: a: ttd.p95 &lt;= 1m\""));
        assert_eq!(x.matches("<testcase").count(), 2);
        assert_eq!(x.matches("<failure").count(), 1);
    }
}
