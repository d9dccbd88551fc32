//! Reading a scenario document. Every key has a default (the reference fleet's), and
//! every problem is recorded against its key while reading goes on.

use config::Section;
use sim_core::lb::Strategy;

use crate::SCHEMA_VERSION;
use crate::faults::{self, FaultSpec, Params};
use crate::limits::*;
use crate::model::*;

pub fn scenario(root: &Section<'_>) -> Scenario {
    root.schema_version(SCHEMA_VERSION);
    let run = run_limits(&root.section("run"));
    let release = {
        let s = root.section("release");
        Release {
            enabled: s.bool("enabled", true),
            start_seconds: s.f64_in("start_seconds", 60.0, 0.0..=MAX_HORIZON_SECONDS),
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
    let fleet = fleet(&root.section("fleet"));
    let autoscaler = root
        .has("autoscaler")
        .then(|| crate::scaling::read_autoscaler(&root.section("autoscaler"), &fleet));
    let traffic = traffic(&root.section("traffic"), run.horizon_seconds);
    let mut scenario = Scenario {
        schema_version: SCHEMA_VERSION,
        name: root.str("name", "unnamed").to_string(),
        description: root.str("description", "").to_string(),
        run,
        release,
        fleet,
        load_balancer: load_balancer(&root.section("load_balancer")),
        traffic,
        service: service(&root.section("service")),
        baseline,
        candidate,
        slo: slo(&root.section("slo")),
        observability: {
            let s = root.section("observability");
            Obs {
                scrape_interval_seconds: s.f64_in(
                    "scrape_interval_seconds",
                    15.0,
                    MIN_PERIOD_SECONDS..=3600.0,
                ),
                metrics_lag_seconds: s.f64_in("metrics_lag_seconds", 30.0, 0.0..=MAX_DELAY_SECONDS),
            }
        },
        client: {
            let s = root.section("client");
            Client {
                retries: s.u32_in("retries", 0, 0..=MAX_RETRIES),
                retry_backoff_ms: s.f64_in("retry_backoff_ms", 100.0, 0.0..=MAX_RETRY_BACKOFF_MS),
            }
        },
        sessions: root
            .has("sessions")
            .then(|| sessions(&root.section("sessions"))),
        schema,
        kpi: root.has("kpi").then(|| {
            let s = root.section("kpi");
            Kpi {
                conversion_probability: s
                    .fraction("conversion_probability", DEFAULT_CONVERSION_PROBABILITY),
            }
        }),
        faults,
        autoscaler,
        cluster: None,
        uncertainty: None,
    };
    scenario.cluster = crate::cluster::read(root, scenario.fleet.replicas, &scenario.faults);
    let total = scenario.faults().len();
    if total > MAX_FAULTS {
        root.problem(
            "faults",
            format!("at most {MAX_FAULTS} faults in all, found {total}"),
        );
    }
    scenario
}

fn sessions(s: &Section<'_>) -> Sessions {
    let requests = s.f64_in("requests_per_session", 10.0, 1.0..=MAX_REQUESTS_PER_SESSION);
    Sessions {
        rate: s.f64_in("rate", 10.0, 0.0..=MAX_SESSION_RATE),
        requests_per_session: requests,
        think_time_seconds: s.f64_in(
            "think_time_seconds",
            5.0,
            MIN_DURATION_SECONDS..=MAX_DELAY_SECONDS,
        ),
        lifetime_seconds: s.positive_in("lifetime_seconds", 1800.0, MAX_HORIZON_SECONDS),
        affinity: s.choice_of("affinity", Affinity::Cookie, &Affinity::ALL, Affinity::name),
        store: s.choice_of(
            "store",
            SessionStore::Memory,
            &SessionStore::ALL,
            SessionStore::name,
        ),
        format_compatible: s.bool("format_compatible", true),
    }
}

fn string_list(s: &Section<'_>, key: &str, default: &[&str]) -> Vec<String> {
    s.opt_strings(key)
        .unwrap_or_else(|| default.iter().map(|d| d.to_string()).collect())
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
    RunLimits {
        horizon_seconds: s.positive_in("horizon_seconds", 1800.0, MAX_HORIZON_SECONDS),
        max_events: s.u64_in("max_events", 2_000_000_000, 1..=MAX_EVENTS),
        mitigation_hold_seconds: s.f64_in(
            "mitigation_hold_seconds",
            300.0,
            0.0..=MAX_HORIZON_SECONDS,
        ),
        engine: s.choice_of(
            "engine",
            EngineChoice::PerRequest,
            &EngineChoice::ALL,
            EngineChoice::name,
        ),
        fluid_step_seconds: s.f64_in(
            "fluid_step_seconds",
            DEFAULT_FLUID_STEP_SECONDS,
            MIN_FLUID_STEP_SECONDS..=MAX_FLUID_STEP_SECONDS,
        ),
    }
}

fn fleet(s: &Section<'_>) -> Fleet {
    let period = MIN_PERIOD_SECONDS..=MAX_DELAY_SECONDS;
    let f = Fleet {
        replicas: s.u32_in("replicas", 20, 1..=MAX_REPLICAS),
        concurrency: s.u32_in("concurrency", 1, 1..=MAX_CONCURRENCY),
        queue_limit: s.u32_in("queue_limit", DEFAULT_QUEUE_LIMIT, 1..=MAX_QUEUE_LIMIT),
        request_timeout_seconds: s.f64_in(
            "request_timeout_seconds",
            10.0,
            MIN_DURATION_SECONDS..=MAX_DELAY_SECONDS,
        ),
        drain_timeout_seconds: s.f64_in("drain_timeout_seconds", 30.0, 0.0..=MAX_DELAY_SECONDS),
        backoff_initial_seconds: s.f64_in("backoff_initial_seconds", 10.0, period.clone()),
        backoff_max_seconds: s.f64_in("backoff_max_seconds", 300.0, period.clone()),
        backoff_reset_seconds: s.f64_in("backoff_reset_seconds", 600.0, period),
    };
    if f.backoff_max_seconds < f.backoff_initial_seconds {
        s.problem(
            "backoff_max_seconds",
            "must be at least backoff_initial_seconds",
        );
    }
    // A per-pod figure whose fleet-wide total has a bound of its own.
    let fleet_total = |key: &str, per_pod: u32, max: u64, what: &str| {
        let total = u64::from(f.replicas) * u64::from(per_pod);
        if total > max {
            s.problem(
                key,
                format!(
                    "replicas × {key} must be at most {max} {what}, found {} × {per_pod} = {total}",
                    f.replicas
                ),
            );
        }
    };
    fleet_total("concurrency", f.concurrency, MAX_WORKERS, "workers");
    fleet_total("queue_limit", f.queue_limit, MAX_QUEUED, "queued requests");
    f
}

fn load_balancer(s: &Section<'_>) -> LoadBalancer {
    LoadBalancer {
        strategy: s.choice_of("strategy", Strategy::Random, &Strategy::ALL, Strategy::name),
        health_check_interval_seconds: s.f64_in(
            "health_check_interval_seconds",
            5.0,
            MIN_PERIOD_SECONDS..=3600.0,
        ),
        unhealthy_threshold: s.u32_in("unhealthy_threshold", 2, 1..=MAX_UNHEALTHY_THRESHOLD),
    }
}

fn traffic(s: &Section<'_>, horizon_seconds: f64) -> Traffic {
    let profile = s.choice(
        "profile",
        "constant",
        &["constant", "diurnal", "step", "spike", "replay"],
    );
    if profile == "replay" {
        return replay(s, horizon_seconds);
    }
    let rate = s.f64_in("rate", 600.0, 0.0..=MAX_RATE);
    let instant = 0.0..=MAX_HORIZON_SECONDS;
    match profile {
        "diurnal" => Traffic::Diurnal {
            rate,
            amplitude: s.fraction("amplitude", 0.5),
            period_seconds: s.f64_in(
                "period_seconds",
                86_400.0,
                MIN_PERIOD_SECONDS..=MAX_HORIZON_SECONDS,
            ),
            peak_at_seconds: s.f64_in("peak_at_seconds", 0.0, instant),
        },
        "step" => Traffic::Step {
            rate,
            after_rate: s.f64_in("after_rate", rate * 2.0, 0.0..=MAX_RATE),
            at_seconds: s.f64_in("at_seconds", 600.0, instant),
        },
        "spike" => Traffic::Spike {
            rate,
            peak_rate: s.f64_in("peak_rate", rate * 3.0, 0.0..=MAX_RATE),
            start_seconds: s.f64_in("start_seconds", 300.0, instant),
            duration_seconds: s.positive_in("duration_seconds", 60.0, MAX_HORIZON_SECONDS),
        },
        _ => Traffic::Constant { rate },
    }
}

/// `profile = "replay"`: `file` (relative to the scenario file's directory), `scale`
/// and `shift` (a duration into the file: `6h`, `90s`, or seconds), read now so that a
/// file that does not read, or does not cover the run, is refused with the scenario.
fn replay(s: &Section<'_>, horizon_seconds: f64) -> Traffic {
    let scale = s.positive_in("scale", 1.0, MAX_MULTIPLIER);
    let shift_seconds = match s.raw("shift") {
        None => 0.0,
        Some(config::Value::Integer(i)) if *i >= 0 => *i as f64,
        Some(config::Value::Float(x)) if x.is_finite() && *x >= 0.0 => *x,
        Some(config::Value::String(t)) if sim_core::duration_text::parse(t).is_some() => {
            sim_core::duration_text::parse(t).unwrap_or(0.0)
        }
        Some(v) => {
            s.problem(
                "shift",
                format!(
                    "expected {}, found {}",
                    sim_core::duration_text::EXPECTED,
                    config::describe(v)
                ),
            );
            0.0
        }
    };
    if shift_seconds > MAX_HORIZON_SECONDS {
        s.problem(
            "shift",
            format!("at most {MAX_HORIZON_SECONDS} s, found {shift_seconds}"),
        );
    }
    let empty = Traffic::Replay {
        file: String::new(),
        scale,
        shift_seconds,
        points: std::sync::Arc::from(Vec::new()),
    };
    let Some(file) = s.opt_str("file") else {
        s.problem(
            "file",
            format!(
                "a replayed profile needs its rates file (CSV: {})",
                crate::replay::HEADER
            ),
        );
        return empty;
    };
    let origin = std::path::Path::new(s.doc().origin());
    let path = origin
        .parent()
        .map_or_else(|| std::path::PathBuf::from(file), |d| d.join(file));
    let series = match crate::replay::RateSeries::read_file(&path) {
        Ok(series) => series,
        Err(e) => {
            s.problem("file", e);
            return empty;
        }
    };
    let window = match series.window(shift_seconds, horizon_seconds, scale) {
        Ok(w) => w,
        Err(e) => {
            s.problem("file", format!("{}: {e}", path.display()));
            return empty;
        }
    };
    if let Some((t, r)) = window.iter().find(|(_, r)| *r > MAX_RATE) {
        s.problem(
            "scale",
            format!("the scaled rate at {t} s into the run is {r}, over {MAX_RATE} requests/s"),
        );
    }
    Traffic::Replay {
        file: file.to_string(),
        scale,
        shift_seconds,
        points: crate::replay::to_sim(&window),
    }
}

fn service(s: &Section<'_>) -> Service {
    let mean_ms = s.f64_in("mean_ms", 20.0, 1e3 * MIN_DURATION_SECONDS..=MAX_SERVICE_MS);
    match s.choice(
        "distribution",
        "exponential",
        &["exponential", "lognormal", "constant"],
    ) {
        "lognormal" => Service::Lognormal {
            mean_ms,
            sigma: s.positive_in("sigma", 0.5, MAX_SIGMA),
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
    let mb = 0.0..=MAX_MEMORY_MB;
    let memory = Memory {
        base_mb: m.f64_in("base_mb", d.memory.base_mb, mb.clone()),
        leak_mb_per_second: m.f64_in(
            "leak_mb_per_second",
            d.memory.leak_mb_per_second,
            mb.clone(),
        ),
        leak_kb_per_request: m.f64_in("leak_kb_per_request", d.memory.leak_kb_per_request, mb),
        limit_mb: match m.raw("limit_mb") {
            None => d.memory.limit_mb,
            Some(config::Value::String(s)) if s == "none" => None,
            Some(_) => Some(m.positive_in(
                "limit_mb",
                d.memory.limit_mb.unwrap_or(1000.0),
                MAX_MEMORY_MB,
            )),
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
        latency_multiplier: s.positive_in(
            "latency_multiplier",
            d.latency_multiplier,
            MAX_MULTIPLIER,
        ),
        error_probability: s.fraction("error_probability", d.error_probability),
        startup_seconds: s.f64_in(
            "startup_seconds",
            d.startup_seconds,
            0.0..=MAX_DELAY_SECONDS,
        ),
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
        latency_threshold_ms: s.f64_in(
            "latency_threshold_ms",
            500.0,
            1e3 * MIN_DURATION_SECONDS..=1e3 * MAX_DELAY_SECONDS,
        ),
        window_days: s.positive_in("window_days", 30.0, MAX_WINDOW_DAYS),
        pager: Pager {
            enabled: p.bool("enabled", true),
            ack_seconds: p.f64_in("ack_seconds", 300.0, 0.0..=MAX_DELAY_SECONDS),
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::Scenario;
    use config::Doc;
    use sim_core::rng::RunSeed;

    fn read(text: &str, sets: &[(&str, &str)]) -> Result<Scenario, Vec<String>> {
        let mut doc = Doc::parse("r.toml", &format!("schema_version = 1\n{text}")).unwrap();
        for (k, v) in sets {
            doc.set(k, v).unwrap();
        }
        Scenario::from_doc(&doc).map_err(|p| p.0.iter().map(|p| p.to_string()).collect())
    }

    fn refused(sets: &[(&str, &str)]) -> Vec<String> {
        read("", sets).unwrap_err()
    }

    #[test]
    fn the_engine_is_per_request_unless_chosen() {
        use sim_core::world::Engine;
        let s = read("", &[]).unwrap();
        assert_eq!(s.world(RunSeed::new(1, 0, 0)).engine, Engine::PerRequest);
        // Not written when default: run.json of the per-request engine is unchanged.
        let json = serde_json::to_value(&s.run).unwrap();
        assert!(json.get("engine").is_none() && json.get("fluid_step_seconds").is_none());
        let s = read(
            "",
            &[("run.engine", "fluid"), ("run.fluid_step_seconds", "0.5")],
        )
        .unwrap();
        assert_eq!(
            s.world(RunSeed::new(1, 0, 0)).engine,
            Engine::Fluid {
                step: sim_core::SimDuration::from_millis(500)
            }
        );
        let json = serde_json::to_value(&s.run).unwrap();
        assert_eq!(json["engine"], "fluid");
        assert_eq!(json["fluid_step_seconds"], 0.5);
        assert_eq!(
            refused(&[("run.engine", "fluid-ish")])[0],
            "--set: run.engine: unknown value \"fluid-ish\"; expected one of: per-request, fluid, auto"
        );
    }

    /// `auto` picks fluid from `AUTO_FLUID_REQUESTS` expected requests on: 2000 s at
    /// 10 000/s is exactly the threshold, a hair less stays per-request.
    #[test]
    fn auto_switches_at_the_documented_work_estimate() {
        use sim_core::world::Engine;
        let at = |rate: &str| {
            read(
                "[release]\nenabled = false\n",
                &[
                    ("run.engine", "auto"),
                    ("run.horizon_seconds", "2000"),
                    ("traffic.rate", rate),
                ],
            )
            .unwrap()
            .engine()
        };
        assert_eq!(crate::AUTO_FLUID_REQUESTS, 2000.0 * 10_000.0);
        assert!(matches!(at("10000"), Engine::Fluid { .. }));
        assert_eq!(at("9999.99"), Engine::PerRequest);
    }

    /// What the fluid engine cannot run is refused at `run.engine`, naming it; `auto`
    /// falls back to the per-request engine for it, however large.
    #[test]
    fn fluid_refuses_sessions_and_auto_falls_back() {
        let sessions = "[sessions]\nrate = 5\n";
        let err = read(sessions, &[("run.engine", "fluid")]).unwrap_err();
        // The sessions, and the session-state fault they imply.
        assert_eq!(err.len(), 2, "{err:?}");
        assert!(
            err[1].contains("fault session-state (acts on sessions)"),
            "{err:?}"
        );
        assert!(
            err[0].starts_with("--set: run.engine: the fluid engine cannot run [sessions]")
                && err[0].contains("--engine per-request"),
            "{err:?}"
        );
        let s = read(
            sessions,
            &[
                ("run.engine", "auto"),
                ("run.horizon_seconds", "3600"),
                ("traffic.rate", "100000"),
            ],
        )
        .unwrap();
        assert_eq!(s.engine(), sim_core::world::Engine::PerRequest);
    }

    #[test]
    fn window_days_stops_at_a_year() {
        assert_eq!(
            read("[slo]\nwindow_days = 365\n", &[])
                .unwrap()
                .slo
                .window_days,
            365.0
        );
        assert_eq!(
            read("[slo]\nwindow_days = 1e308\n", &[]).unwrap_err(),
            ["r.toml: slo.window_days: must be at most 365, found 1e308"]
        );
        assert_eq!(
            refused(&[("slo.window_days", "365.01")]),
            ["--set: slo.window_days: must be at most 365, found 365.01"]
        );
    }

    #[test]
    fn the_horizon_stops_at_thirty_days() {
        let text = "[traffic]\nrate = 1\n";
        assert!(read(text, &[("run.horizon_seconds", "2592000")]).is_ok());
        assert_eq!(
            read(text, &[("run.horizon_seconds", "2592001")]).unwrap_err(),
            ["--set: run.horizon_seconds: must be at most 2592000, found 2592001"]
        );
    }

    #[test]
    fn max_events_has_a_cap() {
        assert!(read("", &[("run.max_events", "10000000000")]).is_ok());
        assert_eq!(
            refused(&[("run.max_events", "10000000001")]),
            ["--set: run.max_events: must be at most 10000000000, found 10000000001"]
        );
    }

    #[test]
    fn queue_limit_defaults_and_is_bounded_alone_and_with_replicas() {
        let s = read("", &[]).unwrap();
        assert_eq!(s.fleet.queue_limit, crate::limits::DEFAULT_QUEUE_LIMIT);
        assert_eq!(s.world(RunSeed::new(1, 0, 0)).fleet.queue_limit, 5000);
        assert!(read("", &[("fleet.queue_limit", "100000")]).is_ok());
        assert_eq!(
            refused(&[("fleet.queue_limit", "100001")]),
            ["--set: fleet.queue_limit: must be at most 100000, found 100001"]
        );
        assert_eq!(
            refused(&[("fleet.queue_limit", "0")]),
            ["--set: fleet.queue_limit: must be a whole number of at least 1, found 0"]
        );
        // 10 000 pods with the default fit; with ten times the queue they do not.
        let big = [("fleet.replicas", "10000"), ("traffic.rate", "10")];
        assert!(read("", &big).is_ok());
        let err = read("[fleet]\nqueue_limit = 50000\n", &big).unwrap_err();
        assert_eq!(
            err,
            [
                "r.toml: fleet.queue_limit: replicas × queue_limit must be at most 50000000 queued \
              requests, found 10000 × 50000 = 500000000"
            ]
        );
    }

    #[test]
    fn fault_rates_have_maxima() {
        let kill = |r: &str| format!("[[faults]]\nkind = \"instance-kill\"\nrate_per_hour = {r}\n");
        assert!(read(&kill("60"), &[]).is_ok());
        assert_eq!(
            read(&kill("60.5"), &[]).unwrap_err(),
            ["r.toml: faults[0].rate_per_hour: must be at most 60, found 60.5"]
        );
        assert_eq!(
            read(&kill("1e9"), &[]).unwrap_err(),
            ["r.toml: faults[0].rate_per_hour: must be at most 60, found 1000000000"]
        );
        let spike = |m: &str| format!("[[faults]]\nkind = \"traffic-spike\"\nmultiplier = {m}\n");
        assert!(read(&spike("100"), &[("run.horizon_seconds", "600")]).is_ok());
        assert_eq!(
            read(&spike("100.5"), &[]).unwrap_err(),
            ["r.toml: faults[0].multiplier: must be at most 100, found 100.5"]
        );
    }

    #[test]
    fn infinite_and_huge_values_are_refused_with_their_keys() {
        for (key, value, reason) in [
            (
                "fleet.request_timeout_seconds",
                "inf",
                "expected a number, found the number inf",
            ),
            (
                "fleet.request_timeout_seconds",
                "86401",
                "must be at most 86400, found 86401",
            ),
            (
                "service.mean_ms",
                "0.0001",
                "must be at least 0.001, found 0.0001",
            ),
            (
                "traffic.rate",
                "1e9",
                "must be at most 1000000, found 1000000000",
            ),
            (
                "fleet.replicas",
                "4294967297",
                "must be at most 10000, found 4294967297",
            ),
            ("client.retries", "17", "must be at most 16, found 17"),
            (
                "observability.scrape_interval_seconds",
                "0.5",
                "must be at least 1, found 0.5",
            ),
            (
                "baseline.memory.limit_mb",
                "1e300",
                "must be at most 1048576, found 1e300",
            ),
            (
                "baseline.latency_multiplier",
                "nan",
                "expected a number, found the number NaN",
            ),
        ] {
            assert_eq!(
                refused(&[(key, value)]),
                [format!("--set: {key}: {reason}")],
                "{key} = {value}"
            );
        }
    }

    /// Every duration and instant at its largest accepted value still converts to the
    /// engine's integer time, and the world it makes passes the engine's own checks.
    #[test]
    fn the_largest_accepted_values_make_a_valid_world() {
        let text = "[run]\nhorizon_seconds = 2592000\nmitigation_hold_seconds = 2592000\n\
            [release]\nstart_seconds = 2591999\n\
            [fleet]\nrequest_timeout_seconds = 86400\ndrain_timeout_seconds = 86400\n\
            backoff_initial_seconds = 86400\nbackoff_max_seconds = 86400\nbackoff_reset_seconds = 86400\n\
            [load_balancer]\nhealth_check_interval_seconds = 3600\nunhealthy_threshold = 100\n\
            [traffic]\nprofile = \"diurnal\"\nrate = 1\nperiod_seconds = 2592000\npeak_at_seconds = 2592000\n\
            [service]\ndistribution = \"lognormal\"\nmean_ms = 600000\nsigma = 4\n\
            [baseline]\nlatency_multiplier = 1000\nstartup_seconds = 86400\n\
            [baseline.memory]\nbase_mb = 1048575\nlimit_mb = 1048576\nleak_mb_per_second = 1048576\n\
            [slo]\nlatency_threshold_ms = 86400000\nwindow_days = 365\n[slo.pager]\nack_seconds = 86400\n\
            [observability]\nscrape_interval_seconds = 3600\nmetrics_lag_seconds = 86400\n\
            [client]\nretries = 1\nretry_backoff_ms = 60000\n\
            [sessions]\nrate = 0.001\nrequests_per_session = 1000000\nthink_time_seconds = 86400\nlifetime_seconds = 2592000\n\
            [[faults]]\nkind = \"latency\"\nmultiplier = 1000\nshift_ms = 600000\nstart_seconds = 2592000\nduration_seconds = 2592000\n\
            [[faults]]\nkind = \"lb-pinning\"\nconnections = 100000\nlifetime_seconds = 2592000\n\
            [[faults]]\nkind = \"schema-forward\"\nrecords = 1000000000\nbackfill_seconds = 2592000\n\
            [[faults]]\nkind = \"zone-loss\"\nzones = 64\nzone = 63\nreschedule_seconds = 2592000\n\
            [[faults]]\nkind = \"metrics-delay\"\nextra_seconds = 86400\non_seconds = 2592000\noff_seconds = 2592000\n\
            [[faults]]\nkind = \"traffic-spike\"\nmultiplier = 100\n\
            [[faults]]\nkind = \"instance-kill\"\nrate_per_hour = 60\n";
        let s = read(text, &[]).unwrap_or_else(|e| panic!("{e:?}"));
        let w = s.world(RunSeed::new(1, 2, 3));
        w.check().unwrap();
        assert_eq!(w.slo.window.0, 365 * 86_400 * 1_000_000_000);
    }

    /// The choices are parsed once into enums; every file name reaches the world as that
    /// enum, an unknown one is a problem with a suggestion (never a silent default), and
    /// `run.json` writes each back under the name it was read by.
    #[test]
    fn choices_parse_into_their_enums_and_serialise_by_name() {
        use crate::model::{Affinity, SessionStore};
        use sim_core::lb::Strategy;
        for strategy in Strategy::ALL {
            let s = read("", &[("load_balancer.strategy", strategy.name())]).unwrap();
            assert_eq!(s.load_balancer.strategy, strategy);
            assert_eq!(s.world(RunSeed::new(1, 2, 3)).lb.strategy, strategy);
            let json = serde_json::to_value(&s.load_balancer).unwrap();
            assert_eq!(json["strategy"], strategy.name());
        }
        for (affinity, store) in [
            (Affinity::Cookie, SessionStore::Memory),
            (Affinity::None, SessionStore::External),
        ] {
            let text = format!(
                "[sessions]\naffinity = \"{}\"\nstore = \"{}\"\n",
                affinity.name(),
                store.name()
            );
            let s = read(&text, &[]).unwrap();
            let sessions = s.sessions.as_ref().unwrap();
            assert_eq!((sessions.affinity, sessions.store), (affinity, store));
            let sticky = s.world(RunSeed::new(1, 2, 3)).sessions.unwrap().sticky;
            assert_eq!(sticky, affinity == Affinity::Cookie);
            let json = serde_json::to_value(sessions).unwrap();
            assert_eq!(json["affinity"], affinity.name());
            assert_eq!(json["store"], store.name());
        }
        assert_eq!(
            refused(&[("load_balancer.strategy", "round_robin")]),
            [
                "--set: load_balancer.strategy: unknown value \"round_robin\" (did you mean \"round-robin\"?); expected one of: random, round-robin, least-outstanding, power-of-two"
            ]
        );
        assert_eq!(
            read("[sessions]\nstore = \"disk\"\n", &[]).unwrap_err(),
            ["r.toml: sessions.store: unknown value \"disk\"; expected one of: memory, external"]
        );
    }

    /// A replayed profile reads its file beside the scenario, shifted and scaled, and
    /// refuses a file that is missing, bad or too short for the run, naming the key.
    #[test]
    fn replay_reads_the_rates_file_beside_the_scenario() {
        let dir = std::env::temp_dir().join(format!("rollcage-replay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("rates.csv"),
            "time_seconds,requests_per_second\n0,10\n3600,20\n7200,10\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("bad.csv"),
            "time_seconds,requests_per_second\n0,1\n0,2\n",
        )
        .unwrap();
        let origin = dir.join("s.toml").display().to_string();
        let read_at = |traffic: &str| {
            let text = format!(
                "schema_version = 1\n[run]\nhorizon_seconds = 1800\n[traffic]\nprofile = \"replay\"\n{traffic}"
            );
            let doc = Doc::parse(&origin, &text).unwrap();
            Scenario::from_doc(&doc).map_err(|p| {
                p.0.iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        };
        let s = read_at("file = \"rates.csv\"\nshift = \"1h\"\nscale = 2\n").unwrap();
        let profile = s.world(RunSeed::new(0, 0, 0)).traffic;
        let at = |secs: u64| profile.rate_at(sim_core::SimTime::from_secs(secs));
        assert_eq!(at(0), 40.0);
        assert_eq!(at(1800), 30.0);
        assert_eq!(profile.peak_rate(), 40.0);
        // Exactly covered (shift + horizon = the last point), and a second past it.
        assert!(read_at("file = \"rates.csv\"\nshift = 5400\n").is_ok());
        let e = read_at("file = \"rates.csv\"\nshift = 5401\n").unwrap_err();
        assert!(
            e.contains("traffic.file: ") && e.contains("covers 0 s to 7200 s"),
            "{e}"
        );
        let e = read_at("file = \"bad.csv\"\n").unwrap_err();
        assert!(
            e.contains("traffic.file: ") && e.contains("bad.csv: line 3: time 0 s"),
            "{e}"
        );
        let e = read_at("file = \"none.csv\"\n").unwrap_err();
        assert!(
            e.contains("traffic.file: ") && e.contains("none.csv"),
            "{e}"
        );
        let e = read_at("").unwrap_err();
        assert!(
            e.contains("traffic.file: a replayed profile needs its rates file"),
            "{e}"
        );
        let e = read_at("file = \"rates.csv\"\nshift = \"soon\"\n").unwrap_err();
        assert!(e.contains("traffic.shift: expected a duration"), "{e}");
        let e = read_at("file = \"rates.csv\"\nscale = 100000\n").unwrap_err();
        assert!(e.contains("traffic.scale"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
