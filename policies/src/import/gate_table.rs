//! Gates and analyses as the policy document's keys (`gates = [...]`,
//! `analysis = {...}`), for the readers of kinds whose templates hold queries: the
//! importer writes the keys a TOML policy has, and `Policy::from_doc` reads them.

use config::{Table, Value};

use crate::analysis::AnalysisSpec;
use crate::gate::{Comparison, EmptyRule, GateMetric, GateSpec};

fn float(x: f64) -> Value {
    Value::Float(x)
}

/// One `[[gates]]` table.
pub fn gate(g: &GateSpec) -> Value {
    let mut t = Table::new();
    t.insert("name".into(), Value::String(g.name.clone()));
    let metric = match g.metric {
        GateMetric::ErrorRatio => "error_ratio",
        GateMetric::Latency { quantile } => {
            t.insert("quantile".into(), float(quantile));
            "latency"
        }
        GateMetric::Restarts => "restarts",
        GateMetric::MemoryMb => "memory_mb",
        GateMetric::Kpi => "kpi",
        GateMetric::SessionsLost => "sessions_lost",
    };
    t.insert("metric".into(), Value::String(metric.into()));
    t.insert(
        "comparison".into(),
        Value::String(g.comparison.name().into()),
    );
    if let Comparison::MannWhitney(rule) = g.comparison {
        t.insert("confidence".into(), float(rule.confidence));
        t.insert("tolerance".into(), float(rule.tolerance));
    }
    t.insert("threshold".into(), float(g.threshold));
    t.insert("slack".into(), float(g.slack));
    t.insert("window_seconds".into(), float(g.window_seconds));
    t.insert(
        "min_samples".into(),
        Value::Integer(g.min_samples.min(i64::MAX as u64) as i64),
    );
    let empty = match g.on_empty {
        EmptyRule::Pass => "pass",
        EmptyRule::Fail => "fail",
        EmptyRule::Inconclusive => "inconclusive",
    };
    t.insert("on_empty".into(), Value::String(empty.into()));
    Value::Table(t)
}

/// The `gates` array.
pub fn gates(gs: &[GateSpec]) -> Value {
    Value::Array(gs.iter().map(gate).collect())
}

/// An analysis block (`analysis = {...}`), with `extra` keys (a background analysis's
/// `starting_step`).
pub fn analysis(a: &AnalysisSpec, extra: &[(&str, i64)]) -> Value {
    let mut t = Table::new();
    t.insert("count".into(), Value::Integer(a.count.into()));
    t.insert("interval_seconds".into(), float(a.interval_seconds));
    t.insert(
        "initial_delay_seconds".into(),
        float(a.initial_delay_seconds),
    );
    t.insert(
        "failure_limit".into(),
        Value::Integer(a.failure_limit.into()),
    );
    t.insert(
        "inconclusive_limit".into(),
        Value::Integer(a.inconclusive_limit.into()),
    );
    t.insert(
        "consecutive_error_limit".into(),
        Value::Integer(a.consecutive_error_limit.into()),
    );
    for (k, v) in extra {
        t.insert((*k).into(), Value::Integer(*v));
    }
    Value::Table(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::MannWhitneyRule;

    /// Every gate shape reads back through the policy reader as it was written.
    #[test]
    fn gates_read_back_unchanged() {
        let base = GateSpec {
            name: "g".into(),
            metric: GateMetric::ErrorRatio,
            comparison: Comparison::Absolute,
            threshold: 0.01,
            slack: 0.0,
            window_seconds: 60.0,
            min_samples: 0,
            on_empty: EmptyRule::Fail,
        };
        let all = vec![
            base.clone(),
            GateSpec {
                name: "l".into(),
                metric: GateMetric::Latency { quantile: 0.999 },
                comparison: Comparison::Relative,
                threshold: 1.5,
                slack: 5.0,
                min_samples: 100,
                on_empty: EmptyRule::Pass,
                ..base.clone()
            },
            GateSpec {
                name: "m".into(),
                metric: GateMetric::MemoryMb,
                comparison: Comparison::MannWhitney(MannWhitneyRule::default()),
                threshold: 1.1,
                on_empty: EmptyRule::Inconclusive,
                ..base.clone()
            },
            GateSpec {
                name: "k".into(),
                metric: GateMetric::Kpi,
                ..base.clone()
            },
            GateSpec {
                name: "r".into(),
                metric: GateMetric::Restarts,
                threshold: 0.0,
                ..base.clone()
            },
            GateSpec {
                name: "s".into(),
                metric: GateMetric::SessionsLost,
                ..base
            },
        ];
        let mut t = Table::new();
        t.insert("schema_version".into(), Value::Integer(1));
        t.insert("kind".into(), Value::String("rolling".into()));
        t.insert("gates".into(), gates(&all));
        let p = crate::Policy::from_doc(&config::Doc::from_table("t", t)).unwrap();
        assert_eq!(p.kind.gates(), all.as_slice());
    }
}
