//! The SLO as Prometheus alerting rules, and a `promtool test rules` file that holds
//! them to what rollcage's pager did in a run.
//!
//! The rules read the two SLO counters `metrics.om` writes ([`SeriesNames::slo_events`]
//! and [`SeriesNames::slo_bad_events`]), so they count bad events exactly as the pager
//! does (errors, timeouts, slow successes, lost sessions over requests resolved). One
//! recording rule per window the pager uses (`slo:error_ratio:rate5m`, ...: the bad
//! share over the window, summed over versions by service), and one alert, `SloBurnRate`
//! (severity `page`: both of the pager's rules page), that fires when for some rule of
//! the pager both its long and its short window burn faster than its factor:
//! `ratio_long / ε > factor and ratio_short / ε > factor`, with `ε = 1 − objective`
//! written `(1 - objective)` so that Prometheus computes the same double as rollcage.
//! The group is evaluated at the scrape interval, as the pager is; no `for:`, since the
//! pager pages at the first evaluation at which a rule holds.
//!
//! The test replays a run: the SLO counters from `timeline.csv`'s `slo_events` and
//! `slo_bad_events` (scrapes the pipeline lost are left out, `_`, as Prometheus would
//! have no sample; their counts arrive with the next delivered one), after 6 h of
//! healthy history at the scenario's steady request rate, which the pager's windows
//! assume before t = 0. Prometheus evaluated at a scrape sees that scrape; the pager
//! at time T sees the scrapes up to T − lag. So if the pager paged at T, the alert is
//! expected firing at S, the last scrape at or before T − lag, and not firing at the
//! scrape before S nor every 5 minutes before that; when the pager never paged, not
//! firing every 5 minutes up to the last scrape the pager saw, and at that scrape.

use policies::export::yaml::{self, Y};
use policies::series::SeriesNames;
use sim_core::SimDuration;
use sim_core::slo::{BurnRule, PagerConfig, window_label};

use crate::artifacts::timeline_csv::TimelineRecord;

/// The alert's name.
pub const ALERT: &str = "SloBurnRate";
/// The healthy history before t = 0 in the generated test.
pub const HISTORY_SECONDS: u64 = 6 * 3600;
/// How often the test asserts the page is not firing before it is expected.
const QUIET_EVERY_SECONDS: u64 = 300;

/// The SLO the rules are written for.
#[derive(Clone, Debug, PartialEq)]
pub struct SloRules {
    /// The scenario's name (the group's name and a label of the alert).
    pub scenario: String,
    pub objective: f64,
    /// The scrape interval, at which the pager (and the rule group) evaluate.
    pub interval: SimDuration,
    /// The pager's rules; `None` when the scenario has the pager off.
    pub pager: Option<Vec<BurnRule>>,
    /// Select one service (`service="NAME"`); all services, each apart, when `None`.
    pub service: Option<String>,
}

impl SloRules {
    /// The pager as rollcage's scenarios configure it (the Workbook's rules).
    pub fn new(
        scenario: &str,
        objective: f64,
        interval: SimDuration,
        pager_enabled: bool,
    ) -> SloRules {
        SloRules {
            scenario: scenario.to_string(),
            objective,
            interval,
            pager: pager_enabled.then(|| PagerConfig::workbook(SimDuration::ZERO).rules),
            service: None,
        }
    }

    /// The windows the recording rules cover, shortest first.
    fn windows(&self) -> Vec<SimDuration> {
        let mut w: Vec<SimDuration> = self
            .pager
            .iter()
            .flatten()
            .flat_map(|r| [r.short, r.long])
            .collect();
        w.sort();
        w.dedup();
        w
    }

    /// The name of the ratio recorded over `w`.
    pub fn record_name(w: SimDuration) -> String {
        format!("slo:error_ratio:rate{}", window_label(w))
    }

    fn budget(&self) -> String {
        format!("(1 - {:?})", self.objective)
    }

    /// The alert's labels besides the series' own (`service`).
    fn alert_labels(&self) -> Vec<(String, String)> {
        vec![
            ("severity".into(), "page".into()),
            ("slo".into(), self.scenario.clone()),
        ]
    }

    fn annotations(&self) -> Vec<(String, String)> {
        let rules: Vec<String> = self
            .pager
            .iter()
            .flatten()
            .map(|r| {
                format!(
                    "{} and {} above {:?}",
                    window_label(r.long),
                    window_label(r.short),
                    r.factor
                )
            })
            .collect();
        vec![
            (
                "summary".into(),
                format!(
                    "The error budget of SLO {} ({:?}) burns fast enough to page",
                    self.scenario, self.objective
                ),
            ),
            (
                "description".into(),
                format!(
                    "Burn rate (bad share over the error budget) over both windows of a rule: {}. Bad events are errors, timeouts, slow successes and lost sessions.",
                    rules.join("; or ")
                ),
            ),
        ]
    }

    /// The rule file, for `promtool check rules` and Prometheus' `rule_files`.
    pub fn rules_yaml(&self, names: &SeriesNames) -> String {
        let svc = &names.labels.service;
        let sel = match &self.service {
            Some(s) => format!(
                "{{{svc}=\"{}\"}}",
                s.replace('\\', "\\\\").replace('"', "\\\"")
            ),
            None => String::new(),
        };
        let mut rules = Vec::new();
        for w in self.windows() {
            let l = window_label(w);
            rules.push(Y::map(vec![
                ("record", Y::str(Self::record_name(w))),
                (
                    "expr",
                    Y::str(format!(
                        "sum by ({svc}) (rate({}{sel}[{l}])) / sum by ({svc}) (rate({}{sel}[{l}]))",
                        names.slo_bad_events, names.slo_events
                    )),
                ),
            ]));
        }
        if let Some(pager) = &self.pager {
            let eps = self.budget();
            let cond: Vec<String> = pager
                .iter()
                .map(|r| {
                    format!(
                        "({} / {eps} > {:?} and {} / {eps} > {:?})",
                        Self::record_name(r.long),
                        r.factor,
                        Self::record_name(r.short),
                        r.factor
                    )
                })
                .collect();
            let pairs = |v: Vec<(String, String)>| {
                Y::Map(v.into_iter().map(|(k, v)| (k, Y::Str(v))).collect())
            };
            rules.push(Y::map(vec![
                ("alert", Y::str(ALERT)),
                ("expr", Y::str(cond.join(" or "))),
                ("labels", pairs(self.alert_labels())),
                ("annotations", pairs(self.annotations())),
            ]));
        }
        let doc = Y::map(vec![(
            "groups",
            Y::Seq(vec![Y::map(vec![
                ("name", Y::str(format!("rollcage-slo-{}", self.scenario))),
                ("interval", Y::str(window_label(self.interval))),
                ("rules", Y::Seq(rules)),
            ])]),
        )]);
        let mut head = format!(
            "The SLO of scenario {} (objective {:?}) as recording rules and the pager's multi-window, multi-burn-rate alert, evaluated every {} (the scrape interval) as rollcage's pager is. Written by rollcage export --to prometheus-rules.",
            self.scenario,
            self.objective,
            window_label(self.interval)
        );
        if self.pager.is_none() {
            head.push_str(
                "\nThe scenario's pager is off: the ratios are recorded, and no alert is written.",
            );
        }
        format!("{}{}", yaml::comment(&head), yaml::to_string(&doc))
    }
}

/// A run, as the test replays it.
#[derive(Clone, Debug)]
pub struct Replay<'a> {
    pub rules: &'a SloRules,
    /// The file the test loads the rules from (as `rule_files` names it).
    pub rule_file: &'a str,
    /// The `service` label of the series (the policy's name in `metrics.om`).
    pub service: &'a str,
    pub timeline: &'a [TimelineRecord],
    /// The scenario's steady request rate: the healthy history before t = 0.
    pub history_rps: f64,
    pub metrics_lag: SimDuration,
    /// When the pager paged (seconds of the run), if it did.
    pub paged_at_s: Option<f64>,
}

/// Why a run cannot be replayed.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayError(pub String);

impl Replay<'_> {
    /// The `promtool test rules` file.
    pub fn test_yaml(&self, names: &SeriesNames) -> Result<String, ReplayError> {
        let interval_ms = self.rules.interval.0 / 1_000_000;
        if interval_ms == 0 || !self.rules.interval.0.is_multiple_of(1_000_000) {
            return Err(ReplayError(format!(
                "a scrape interval of {}: the test needs a whole number of milliseconds",
                window_label(self.rules.interval)
            )));
        }
        if self.rules.pager.is_none() {
            return Err(ReplayError(
                "the scenario's pager is off: there is no page to test".into(),
            ));
        }
        let step = interval_ms as f64 / 1000.0;
        let n_hist = HISTORY_SECONDS * 1000 / interval_ms;
        // Every row must sit on the interval's grid, as the engine scrapes.
        let mut last_k = 0u64;
        for (i, r) in self.timeline.iter().enumerate() {
            let k = (r.time_s / step).round();
            if k < 1.0 || (k * step - r.time_s).abs() > 1e-6 || k as u64 <= last_k {
                return Err(ReplayError(format!(
                    "timeline row {} at {} s is not the next scrape of every {} s",
                    i + 1,
                    r.time_s,
                    step
                )));
            }
            last_k = k as u64;
        }
        let per_scrape = self.history_rps * step;
        let history = n_hist as f64 * per_scrape;
        let series = |value: fn(&TimelineRecord) -> u64, hist_step: f64| -> String {
            let mut out = format!("0+{}x{n_hist}", num(hist_step));
            let mut total = if hist_step == 0.0 { 0.0 } else { history };
            let mut k = 0u64;
            let mut pending = 0u64;
            for r in self.timeline {
                let rk = (r.time_s / step).round() as u64;
                // Scrapes the engine did not record (none, as it scrapes every interval).
                for _ in k + 1..rk {
                    out.push_str(" _");
                }
                k = rk;
                pending += value(r);
                if r.scraped {
                    total += pending as f64;
                    pending = 0;
                    out.push(' ');
                    out.push_str(&num(total));
                } else {
                    out.push_str(" _");
                }
            }
            out
        };
        let lab = |name: &str| {
            format!(
                "{name}{{{}=\"{}\"}}",
                names.labels.service,
                self.service.replace('\\', "\\\\").replace('"', "\\\"")
            )
        };
        let input = vec![
            Y::map(vec![
                ("series", Y::str(lab(&names.slo_events))),
                ("values", Y::str(series(|r| r.slo_events, per_scrape))),
            ]),
            Y::map(vec![
                ("series", Y::str(lab(&names.slo_bad_events))),
                ("values", Y::str(series(|r| r.slo_bad_events, 0.0))),
            ]),
        ];
        // Test times are seconds after the history's start (the run's t = -6 h).
        let at = |k: u64| Y::str(duration((n_hist + k) * interval_ms));
        let lag_ms = self.metrics_lag.0 / 1_000_000;
        let scrape_at_or_before = |t_s: f64| -> u64 {
            let ms = (t_s * 1000.0).round() as i64 - lag_ms as i64;
            (ms.max(0) as u64) / interval_ms
        };
        let quiet = |k: u64| {
            Y::map(vec![
                ("eval_time", at(k)),
                ("alertname", Y::str(ALERT)),
                ("exp_alerts", Y::Seq(vec![])),
            ])
        };
        let every = (QUIET_EVERY_SECONDS * 1000 / interval_ms).max(1);
        let mut tests = Vec::new();
        let (fire, last_quiet) = match self.paged_at_s {
            Some(t) => {
                let s = scrape_at_or_before(t);
                if s == 0 {
                    return Err(ReplayError(format!(
                        "the pager paged at {t} s, before any scrape it could have seen"
                    )));
                }
                (Some(s), s - 1)
            }
            None => {
                let end = self.timeline.last().map_or(0.0, |r| r.time_s);
                (None, scrape_at_or_before(end))
            }
        };
        let mut k = 0;
        while k < last_quiet {
            tests.push(quiet(k));
            k += every;
        }
        tests.push(quiet(last_quiet));
        if let Some(s) = fire {
            let mut labels = vec![(names.labels.service.clone(), self.service.to_string())];
            labels.extend(self.rules.alert_labels());
            let pairs = |v: Vec<(String, String)>| {
                Y::Map(v.into_iter().map(|(k, v)| (k, Y::Str(v))).collect())
            };
            tests.push(Y::map(vec![
                ("eval_time", at(s)),
                ("alertname", Y::str(ALERT)),
                (
                    "exp_alerts",
                    Y::Seq(vec![Y::map(vec![
                        ("exp_labels", pairs(labels)),
                        ("exp_annotations", pairs(self.rules.annotations())),
                    ])]),
                ),
            ]));
        }
        let doc = Y::map(vec![
            ("rule_files", Y::Seq(vec![Y::str(self.rule_file)])),
            ("evaluation_interval", Y::str(duration(interval_ms))),
            (
                "tests",
                Y::Seq(vec![Y::map(vec![
                    ("interval", Y::str(duration(interval_ms))),
                    ("input_series", Y::Seq(input)),
                    ("alert_rule_test", Y::Seq(tests)),
                ])]),
            ),
        ]);
        let what = match (self.paged_at_s, fire) {
            (Some(t), Some(s)) => format!(
                "rollcage's pager paged at t = {t} s, seeing scrapes up to t - {} s: the alert is to fire at the scrape of t = {} s (test time {}), and not before.",
                self.metrics_lag.as_secs_f64(),
                s as f64 * step,
                duration((n_hist + s) * interval_ms)
            ),
            _ => "rollcage's pager never paged: the alert is not to fire up to the last scrape it saw.".into(),
        };
        let head = format!(
            "promtool test rules: a rollcage run of scenario {} replayed against {}.\nTest time 0 is the run's t = -6 h (healthy history at {} requests/s); the run's t = 0 is test time 6h.\n{what}",
            self.rules.scenario,
            self.rule_file,
            num(self.history_rps)
        );
        Ok(format!("{}{}", yaml::comment(&head), yaml::to_string(&doc)))
    }
}

/// A duration as Prometheus reads one (`6h15m`, or milliseconds, `22515500ms`, when it
/// is not a whole number of seconds).
fn duration(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        window_label(SimDuration::from_millis(ms))
    } else {
        format!("{ms}ms")
    }
}

/// A number as the shortest text that reads back as the same double.
fn num(x: f64) -> String {
    format!("{x:?}").trim_end_matches(".0").to_string()
}
