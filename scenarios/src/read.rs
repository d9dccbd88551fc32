//! Reading a scenario document. Every key has a default (the reference fleet's), and
//! every problem is recorded against its key while reading goes on.

use config::Section;
use sim_core::lb::Strategy;

use crate::SCHEMA_VERSION;
use crate::faults::{self, FaultSpec, Params};
use crate::model::*;

pub fn scenario(root: &Section<'_>) -> Scenario {
    root.schema_version(SCHEMA_VERSION);
    let run = run_limits(&root.section("run"));
    let release = {
        let s = root.section("release");
        Release {
            enabled: s.bool("enabled", true),
            start_seconds: s.f64_min("start_seconds", 60.0, 0.0),
        }
    };
    if release.enabled && release.start_seconds >= run.horizon_seconds {
        root.problem(
            "release.start_seconds",
            format!(
                "the release starts at {}s, at or after the horizon of {}s",
                release.start_seconds, run.horizon_seconds
            ),
        );
    }
    let baseline = version(&root.section("baseline"), &default_profile());
    let candidate = version(&root.section("candidate"), &baseline);
    let faults: Vec<FaultSpec> = root.tables("faults").iter().map(faults::read).collect();
    let schema = root.has("schema").then(|| schema(&root.section("schema")));
    check_faults(root, &faults, schema.as_ref());
    let scenario = Scenario {
        schema_version: SCHEMA_VERSION,
        name: root.str("name", "unnamed").to_string(),
        description: root.str("description", "").to_string(),
        run,
        release,
        fleet: fleet(&root.section("fleet")),
        load_balancer: load_balancer(&root.section("load_balancer")),
        traffic: traffic(&root.section("traffic")),
        service: service(&root.section("service")),
        baseline,
        candidate,
        slo: slo(&root.section("slo")),
        observability: {
            let s = root.section("observability");
            Obs {
                scrape_interval_seconds: s.positive("scrape_interval_seconds", 15.0),
                metrics_lag_seconds: s.f64_min("metrics_lag_seconds", 30.0, 0.0),
            }
        },
        client: {
            let s = root.section("client");
            Client {
                retries: s.u32_min("retries", 0, 0).min(16),
                retry_backoff_ms: s.f64_min("retry_backoff_ms", 100.0, 0.0),
            }
        },
        sessions: root
            .has("sessions")
            .then(|| sessions(&root.section("sessions"))),
        schema,
        kpi: root.has("kpi").then(|| {
            let s = root.section("kpi");
            Kpi {
                conversion_probability: s.fraction("conversion_probability", 0.05),
            }
        }),
        faults,
    };
    let total = scenario.faults().len();
    if total > 64 {
        root.problem("faults", format!("at most 64 faults in all, found {total}"));
    }
    scenario
}

fn sessions(s: &Section<'_>) -> Sessions {
    let requests = s.f64_min("requests_per_session", 10.0, 1.0);
    Sessions {
        rate: s.f64_min("rate", 10.0, 0.0),
        requests_per_session: requests,
        think_time_seconds: s.positive("think_time_seconds", 5.0),
        lifetime_seconds: s.positive("lifetime_seconds", 1800.0),
        affinity: s
            .choice("affinity", "cookie", &["cookie", "none"])
            .to_string(),
        store: s
            .choice("store", "memory", &["memory", "external"])
            .to_string(),
        format_compatible: s.bool("format_compatible", true),
    }
}

fn string_list(s: &Section<'_>, key: &str, default: &[&str]) -> Vec<String> {
    match s.raw(key) {
        None => default.iter().map(|d| d.to_string()).collect(),
        Some(config::Value::Array(items)) => {
            let list: Vec<String> = items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if list.len() != items.len() {
                s.problem(key, "expected a list of schema names (strings)");
            }
            list
        }
        Some(v) => {
            s.problem(
                key,
                format!(
                    "expected a list of schema names, found {}",
                    config::describe(v)
                ),
            );
            Vec::new()
        }
    }
}

fn schema(s: &Section<'_>) -> Schema {
    let initial = s.str("initial", "v1").to_string();
    let baseline = string_list(s, "baseline", &["v1"]);
    let candidate = string_list(s, "candidate", &["v1"]);
    if !baseline.contains(&initial) {
        s.problem(
            "baseline",
            format!("the baseline must work with the initial schema \"{initial}\""),
        );
    }
    Schema {
        initial,
        db_share: s.fraction("db_share", 1.0),
        baseline,
        candidate,
    }
}

/// Checks across faults: unique names, migrations with a schema that exists.
fn check_faults(root: &Section<'_>, faults: &[FaultSpec], schema: Option<&Schema>) {
    let mut seen = std::collections::BTreeSet::new();
    for (i, f) in faults.iter().enumerate() {
        if !seen.insert(f.name.as_str()) {
            root.problem(
                &format!("faults[{i}].name"),
                format!(
                    "two faults are named \"{}\"; give each a distinct name",
                    f.name
                ),
            );
        }
        if let Params::Migration { schema: to, .. } = &f.params {
            match schema {
                None => root.problem(
                    &format!("faults[{i}]"),
                    "a migration needs a [schema] section (initial schema, and what each version works with)",
                ),
                Some(s) if !s.baseline.contains(to) && !s.candidate.contains(to) => root.problem(
                    &format!("faults[{i}].schema"),
                    format!("neither version works with \"{to}\"; list it under [schema]"),
                ),
                _ => {}
            }
        }
    }
}

fn run_limits(s: &Section<'_>) -> RunLimits {
    let horizon = s.positive("horizon_seconds", 1800.0);
    if horizon > 90.0 * 86_400.0 {
        s.problem(
            "horizon_seconds",
            format!("at most 90 days (7776000 s), found {horizon}"),
        );
    }
    let max_events = s.u64("max_events", 2_000_000_000);
    if max_events == 0 {
        s.problem("max_events", "must be positive");
    }
    RunLimits {
        horizon_seconds: horizon,
        max_events: max_events.max(1),
        mitigation_hold_seconds: s.f64_min("mitigation_hold_seconds", 300.0, 0.0),
    }
}

fn fleet(s: &Section<'_>) -> Fleet {
    let f = Fleet {
        replicas: s.u32_min("replicas", 20, 1),
        concurrency: s.u32_min("concurrency", 1, 1),
        request_timeout_seconds: s.positive("request_timeout_seconds", 10.0),
        drain_timeout_seconds: s.f64_min("drain_timeout_seconds", 30.0, 0.0),
        backoff_initial_seconds: s.positive("backoff_initial_seconds", 10.0),
        backoff_max_seconds: s.positive("backoff_max_seconds", 300.0),
        backoff_reset_seconds: s.positive("backoff_reset_seconds", 600.0),
    };
    if f.backoff_max_seconds < f.backoff_initial_seconds {
        s.problem(
            "backoff_max_seconds",
            "must be at least backoff_initial_seconds",
        );
    }
    if f.replicas > 10_000 {
        s.problem("replicas", format!("at most 10000, found {}", f.replicas));
    }
    if f.concurrency > 10_000 {
        s.problem(
            "concurrency",
            format!("at most 10000, found {}", f.concurrency),
        );
    }
    f
}

fn load_balancer(s: &Section<'_>) -> LoadBalancer {
    LoadBalancer {
        strategy: s.choice("strategy", "random", &Strategy::NAMES).to_string(),
        health_check_interval_seconds: s.positive("health_check_interval_seconds", 5.0),
        unhealthy_threshold: s.u32_min("unhealthy_threshold", 2, 1),
    }
}

fn traffic(s: &Section<'_>) -> Traffic {
    let rate = s.f64_min("rate", 600.0, 0.0);
    match s.choice(
        "profile",
        "constant",
        &["constant", "diurnal", "step", "spike"],
    ) {
        "diurnal" => Traffic::Diurnal {
            rate,
            amplitude: s.fraction("amplitude", 0.5),
            period_seconds: s.positive("period_seconds", 86_400.0),
            peak_at_seconds: s.f64_min("peak_at_seconds", 0.0, 0.0),
        },
        "step" => Traffic::Step {
            rate,
            after_rate: s.f64_min("after_rate", rate * 2.0, 0.0),
            at_seconds: s.f64_min("at_seconds", 600.0, 0.0),
        },
        "spike" => Traffic::Spike {
            rate,
            peak_rate: s.f64_min("peak_rate", rate * 3.0, 0.0),
            start_seconds: s.f64_min("start_seconds", 300.0, 0.0),
            duration_seconds: s.positive("duration_seconds", 60.0),
        },
        _ => Traffic::Constant { rate },
    }
}

fn service(s: &Section<'_>) -> Service {
    let mean_ms = s.positive("mean_ms", 20.0);
    match s.choice(
        "distribution",
        "exponential",
        &["exponential", "lognormal", "constant"],
    ) {
        "lognormal" => Service::Lognormal {
            mean_ms,
            sigma: s.positive("sigma", 0.5),
        },
        "constant" => Service::Constant { mean_ms },
        _ => Service::Exponential { mean_ms },
    }
}

fn default_profile() -> VersionProfile {
    VersionProfile {
        latency_multiplier: 1.0,
        error_probability: 0.0,
        startup_seconds: 10.0,
        crash_on_start_probability: 0.0,
        memory: Memory {
            base_mb: 200.0,
            leak_mb_per_second: 0.0,
            leak_kb_per_request: 0.0,
            limit_mb: Some(1000.0),
        },
    }
}

/// A version profile; keys not given take `defaults` (the candidate inherits the
/// baseline's values, so a candidate section lists only what the release changes).
fn version(s: &Section<'_>, d: &VersionProfile) -> VersionProfile {
    let m = s.section("memory");
    let memory = Memory {
        base_mb: m.f64_min("base_mb", d.memory.base_mb, 0.0),
        leak_mb_per_second: m.f64_min("leak_mb_per_second", d.memory.leak_mb_per_second, 0.0),
        leak_kb_per_request: m.f64_min("leak_kb_per_request", d.memory.leak_kb_per_request, 0.0),
        limit_mb: match m.raw("limit_mb") {
            None => d.memory.limit_mb,
            Some(config::Value::String(s)) if s == "none" => None,
            Some(_) => Some(m.positive("limit_mb", d.memory.limit_mb.unwrap_or(1000.0))),
        },
    };
    if let Some(limit) = memory.limit_mb
        && limit <= memory.base_mb
    {
        m.problem(
            "limit_mb",
            format!("must exceed base_mb ({}), found {limit}", memory.base_mb),
        );
    }
    VersionProfile {
        latency_multiplier: s.positive("latency_multiplier", d.latency_multiplier),
        error_probability: s.fraction("error_probability", d.error_probability),
        startup_seconds: s.f64_min("startup_seconds", d.startup_seconds, 0.0),
        crash_on_start_probability: s
            .fraction("crash_on_start_probability", d.crash_on_start_probability),
        memory,
    }
}

fn slo(s: &Section<'_>) -> Slo {
    let objective = s.fraction("objective", 0.999);
    if !(objective > 0.0 && objective < 1.0) {
        s.problem(
            "objective",
            format!("must be strictly between 0 and 1, found {objective}"),
        );
    }
    let p = s.section("pager");
    Slo {
        objective: if objective > 0.0 && objective < 1.0 {
            objective
        } else {
            0.999
        },
        latency_threshold_ms: s.positive("latency_threshold_ms", 500.0),
        window_days: s.positive("window_days", 30.0),
        pager: Pager {
            enabled: p.bool("enabled", true),
            ack_seconds: p.f64_min("ack_seconds", 300.0, 0.0),
        },
    }
}
