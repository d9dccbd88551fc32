//! The readable summary `rollcage run` prints.

use std::fmt::Write;

use crate::paint::Paint;
use reports::format::{human_secs, thousands};
use reports::metrics::RunMetrics;

/// A signed count with thousands separators and its sign (`+1,204`, `-3`, `0`).
fn signed_thousands(n: i64) -> String {
    let sign = match n.signum() {
        1 => "+",
        -1 => "-",
        _ => "",
    };
    format!("{sign}{}", thousands(n.unsigned_abs()))
}

fn at(label: &str, t: Option<f64>) -> String {
    match t {
        Some(t) => format!("{label} {t:.1} s"),
        None => format!("{label} never"),
    }
}

/// A latency figure, or `n/a` when no request succeeded (there is nothing to measure).
fn latency(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.3} ms"))
        .unwrap_or_else(|| "n/a".to_string())
}

/// When a moment was reached: `at 12.0 s`, or `never` by the horizon.
fn when(t: Option<f64>) -> String {
    t.map(|t| format!("at {t:.1} s"))
        .unwrap_or_else(|| "never".to_string())
}

fn dur(label: &str, d: Option<f64>) -> String {
    match d {
        Some(d) => format!("{label} {}", human_secs(d)),
        None => format!("{label} n/a"),
    }
}

/// A dozen lines: outcome, key timestamps, MTTD and both MTTRs, budget, requests.
pub fn run_summary(title: &str, m: &RunMetrics) -> String {
    run_summary_painted(title, m, Paint::PLAIN)
}

/// [`run_summary`], with the title, outcome and warnings in colour when `paint` says.
pub fn run_summary_painted(title: &str, m: &RunMetrics, paint: Paint) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", paint.bold(title));
    let detector = m
        .detector
        .as_deref()
        .map(|d| format!(" (detected by {d})"))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "  outcome      {}{detector}",
        paint.outcome(m.outcome, m.outcome.name())
    );
    if let Some(why) = &m.stall_reason {
        let _ = writeln!(s, "  stalled by   {why}");
    }
    if let Some(limit) = &m.limit_hit {
        let _ = writeln!(
            s,
            "  {}      run cut short: {limit}; figures are incomplete",
            paint.red("WARNING")
        );
    }
    let _ = writeln!(
        s,
        "  change       {}, {}, {}",
        at("started", m.t_change_start_s),
        at("ended", m.t_change_end_s),
        dur("deploy", m.deploy_duration_s)
    );
    if m.t_fault_active_s.is_some() {
        let _ = writeln!(
            s,
            "  fault        {}, {}",
            at("active", m.t_fault_active_s),
            at("first impact", m.t_impact_start_s)
        );
    } else {
        let _ = writeln!(s, "  fault        none active");
    }
    match m.t_detect_s {
        Some(_) => {
            let _ = writeln!(
                s,
                "  detection    {}, {} (MTTD sample)",
                when(m.t_detect_s),
                dur("ttd", m.ttd_s)
            );
        }
        None => {
            let _ = writeln!(
                s,
                "  detection    none: no gate, pager or KPI guard fired before the horizon"
            );
        }
    }
    let _ = writeln!(
        s,
        "  mitigation   {}, {}, {} (MTTR, user view)",
        when(m.t_mitigate_s),
        dur("ttm", m.ttm_s),
        dur("impact", m.impact_duration_s)
    );
    let _ = writeln!(
        s,
        "  recovery     {}, {} (MTTR, system view)",
        when(m.t_recover_s),
        dur("tt_recover", m.tt_recover_s)
    );
    let _ = writeln!(
        s,
        "  budget       {} of the SLO window's error budget; peak burn {:.1} (5 m), {:.1} (1 h)",
        paint.bold(&format!("{:.3}%", m.budget_consumed_pct)),
        m.peak_burn_rate_5m,
        m.peak_burn_rate_1h
    );
    if let Some(c) = &m.counterfactual {
        let _ = writeln!(
            s,
            "  release      {} of the budget burned by the release itself, {} bad events; \
             its twin without the release burned {:.3}% ({} bad)",
            paint.bold(&format!("{:.3}%", c.budget_release_pct)),
            signed_thousands(c.bad_events_release),
            c.twin_budget_consumed_pct,
            thousands(c.twin_requests_bad)
        );
    }
    let b = &m.bad_events;
    let _ = writeln!(
        s,
        "  requests     {} total, {} bad: {} error, {} timeout, {} slow, {} session lost; {} caused by faults",
        thousands(m.requests_total),
        thousands(m.requests_bad),
        thousands(b.error),
        thousands(b.timeout),
        thousands(b.slow),
        thousands(b.session_lost),
        thousands(m.fault_bad_events)
    );
    let _ = writeln!(
        s,
        "  latency      mean {}, p50 {}, p95 {}, p99 {}",
        latency(m.latency_mean_ms),
        latency(m.latency_p50_ms),
        latency(m.latency_p95_ms),
        latency(m.latency_p99_ms)
    );
    let _ = writeln!(
        s,
        "  fleet        at most {} instances, at least {} available, {} crashes",
        m.instances_max, m.available_min, m.crashes
    );
    s
}
