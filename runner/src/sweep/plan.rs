//! From flags to a checked plan: scenarios, policy variants (the grid's cartesian
//! product), seeds, shards, and the run order every output follows.
//!
//! Run order: `run_id = (scenario_index × policies + policy_index) × seeds + replicate`,
//! so each (scenario, policy) group is a contiguous block of `seeds` rows in
//! replicate order. A shard `I/N` takes the replicates `k` with `k mod N = I` of every
//! group, so shards carry equal work and merge back by run id.

use config::Problems;
use policies::Policy;
use reports::sweep::Constraints;
use scenarios::Scenario;

use crate::RunnerError;
use crate::inputs::{
    ImportFlags, Override, Target, load_policy, load_scenario, parse_override, replicas_note,
    scenario_names,
};
use crate::limits;
pub use reports::artifacts::manifest::{
    GridAxis, Manifest, PolicyEntry, RUN_ORDER, ScenarioEntry, Shard, UncertainEntry,
};

/// What the user asked for, before anything is read.
#[derive(Clone, Debug)]
pub struct SweepRequest {
    /// Scenario names or files; `["all"]` means every built-in.
    pub scenarios: Vec<String>,
    pub policies: Vec<String>,
    /// `--grid KEY=V1,V2,...`, in the order given.
    pub grid: Vec<String>,
    /// `--set KEY=VALUE`, applied to every scenario or policy.
    pub sets: Vec<String>,
    pub seeds: u64,
    pub master_seed: u64,
    pub baseline: Option<String>,
    pub constraints: Constraints,
    pub bootstrap_resamples: usize,
    pub shard: Option<Shard>,
    /// `--analysis` and `--map-metric`, for the policies that are manifests.
    pub import: ImportFlags,
    /// `--counterfactual`: pair every run with its twin without the release.
    pub counterfactual: bool,
}

/// Parses `policy.KEY=V1,V2,...`.
pub fn parse_grid(raw: &str) -> Result<GridAxis, String> {
    let bad = |why: &str| format!("--grid {raw}: {why}");
    let (key, values) = raw
        .split_once('=')
        .ok_or_else(|| bad("expected KEY=V1,V2,..."))?;
    let o = parse_override(&format!("{key}=x")).map_err(|p| bad(&p.reason))?;
    if o.target != Target::Policy {
        return Err(bad("grid keys are policy fields: policy.KEY"));
    }
    let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
    if values.iter().any(|v| v.is_empty()) {
        return Err(bad("empty value in the list"));
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(bad(&format!("value {v} is listed twice")));
        }
    }
    Ok(GridAxis {
        key: key.to_string(),
        values,
    })
}

/// A policy under one grid combination: what a sweep compares.
#[derive(Clone, Debug)]
pub struct Variant {
    /// `gated-10pct[max_unavailable=2,bake_seconds=30]`, or the policy's name without
    /// a grid.
    pub name: String,
    pub grid_values: Vec<String>,
    pub policy: Policy,
}

/// A checked sweep: the models to run and the manifest describing them.
pub struct Plan {
    pub scenarios: Vec<Scenario>,
    pub variants: Vec<Variant>,
    pub manifest: Manifest,
    /// The uncertain parameters' keys over every scenario (`Manifest::param_keys`),
    /// computed once: each row lays its draws out in this order.
    pub param_keys: Vec<String>,
    /// What the import of manifest policies noted (once per policy file, not per grid
    /// combination), and where a manifest's replicas differ from a scenario's fleet:
    /// lines for stderr.
    pub notes: Vec<String>,
}

/// Every combination of the grid's values, first axis slowest.
pub fn combinations(grid: &[GridAxis]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for axis in grid {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                axis.values.iter().map(move |v| {
                    let mut c = prefix.clone();
                    c.push(v.clone());
                    c
                })
            })
            .collect();
    }
    out
}

pub fn variant_name(policy: &str, grid: &[GridAxis], values: &[String]) -> String {
    if grid.is_empty() {
        return policy.to_string();
    }
    let parts: Vec<String> = grid
        .iter()
        .zip(values)
        .map(|(a, v)| format!("{}={v}", a.key.trim_start_matches("policy.")))
        .collect();
    format!("{policy}[{}]", parts.join(","))
}

/// Problems caused by a grid value are reported as `--grid KEY=VALUE`, not as the
/// `--set` the grid is applied through.
fn blame_grid(e: RunnerError, grid: &[GridAxis], values: &[String]) -> RunnerError {
    let RunnerError::Config(Problems(mut ps)) = e else {
        return e;
    };
    for p in &mut ps {
        let full = format!("policy.{}", p.key);
        let hit = grid
            .iter()
            .zip(values)
            .find(|(a, _)| p.origin == "--set" && (a.key == full || a.key == p.key));
        if let Some((axis, v)) = hit {
            p.origin = "--grid".into();
            p.key = format!("{}={v}", axis.key);
        }
    }
    RunnerError::Config(Problems(ps))
}

/// Reads and checks every scenario and every policy variant before anything runs,
/// reporting all problems at once, each under the scenario or combination it is in.
pub fn plan(req: &SweepRequest, program: &str) -> Result<Plan, RunnerError> {
    let mut problems: Vec<String> = Vec::new();
    if let Err(e) = limits::check_seeds(req.seeds) {
        problems.push(format!("--seeds: {e}"));
    }
    if let Err(e) = limits::check_bootstrap(req.bootstrap_resamples as u64) {
        problems.push(format!("--bootstrap: {e}"));
    }
    if let Some(Err(e)) = req.shard.map(Shard::check) {
        problems.push(format!("--shard {}: {e}", req.shard.expect("some")));
    }
    if req.policies.is_empty() {
        problems.push("--policies: name at least one policy".into());
    }
    let mut overrides: Vec<Override> = Vec::new();
    for raw in &req.sets {
        match parse_override(raw) {
            Ok(o) => overrides.push(o),
            Err(p) => problems.push(p.to_string()),
        }
    }
    let mut grid: Vec<GridAxis> = Vec::new();
    for raw in &req.grid {
        match parse_grid(raw) {
            Ok(a) if grid.iter().any(|g| g.key == a.key) => {
                problems.push(format!("--grid {raw}: key {} is gridded twice", a.key))
            }
            Ok(a) => grid.push(a),
            Err(e) => problems.push(e),
        }
    }
    let specs: Vec<String> = if req.scenarios.len() == 1 && req.scenarios[0] == "all" {
        scenario_names().iter().map(|s| s.to_string()).collect()
    } else {
        req.scenarios.clone()
    };
    if specs.is_empty() {
        problems.push("--scenarios: name at least one scenario, or `all`".into());
    }

    let describe = |e: RunnerError| match e {
        RunnerError::Config(Problems(ps)) => ps
            .iter()
            .map(|p| format!("  {p}"))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("  {other}"),
    };
    let mut scenarios = Vec::new();
    let mut scenario_entries = Vec::new();
    for spec in &specs {
        match load_scenario(spec, &overrides) {
            Ok((s, source)) => {
                if scenarios.iter().any(|x: &Scenario| x.name == s.name) {
                    problems.push(format!(
                        "scenario {spec}: another scenario is also named {}; names identify groups and seeds",
                        s.name
                    ));
                }
                scenario_entries.push(ScenarioEntry {
                    name: s.name.clone(),
                    source,
                    resolved: serde_json::to_value(&s).expect("scenario serializes"),
                    uncertain: uncertain_entries(&s),
                });
                scenarios.push(s);
            }
            Err(e) => problems.push(format!("scenario {spec}:\n{}", describe(e))),
        }
    }

    // The grid's product is checked before it is expanded: a long grid would
    // otherwise allocate its combinations before anything could refuse it.
    let axis_lengths: Vec<u64> = grid.iter().map(|a| a.values.len() as u64).collect();
    let combos = match limits::variants(req.policies.len() as u64, &axis_lengths) {
        Ok(_) => combinations(&grid),
        Err(e) => {
            problems.push(format!("--grid: {e}"));
            Vec::new()
        }
    };
    let import = match req.import.read() {
        Ok(o) => o,
        Err(e) => {
            problems.push(describe(e).trim_start().to_string());
            policies::import::Options::default()
        }
    };
    let mut notes: Vec<String> = Vec::new();
    let mut variants: Vec<Variant> = Vec::new();
    let mut policy_entries = Vec::new();
    for spec in &req.policies {
        for values in combos.iter().cloned() {
            let mut with_grid = overrides.clone();
            for (axis, v) in grid.iter().zip(&values) {
                let raw = format!("{}={v}", axis.key);
                with_grid.push(parse_override(&raw).expect("grid keys were checked"));
            }
            let label = variant_name(spec, &grid, &values);
            match load_policy(spec, &with_grid, &import) {
                Ok(loaded) => {
                    let (policy, source) = (loaded.policy, loaded.source);
                    let replicas = loaded
                        .replicas
                        .iter()
                        .flat_map(|r| scenarios.iter().filter_map(move |s| replicas_note(r, s)));
                    for n in loaded.notes.into_iter().chain(replicas) {
                        if !notes.contains(&n) {
                            notes.push(n);
                        }
                    }
                    let name = variant_name(&policy.name, &grid, &values);
                    if variants.iter().any(|v| v.name == name) {
                        problems.push(format!("policy {label}: the name {name} is taken twice"));
                    }
                    policy_entries.push(PolicyEntry {
                        name: name.clone(),
                        policy: policy.name.clone(),
                        source,
                        grid_values: values.clone(),
                        resolved: serde_json::to_value(&policy).expect("policy serializes"),
                    });
                    variants.push(Variant {
                        name,
                        grid_values: values,
                        policy,
                    });
                }
                Err(e) => problems.push(format!(
                    "policy {label}:\n{}",
                    describe(blame_grid(e, &grid, &values))
                )),
            }
        }
    }

    let baseline = match (&req.baseline, variants.first()) {
        (_, None) => String::new(),
        (None, Some(first)) => first.name.clone(),
        (Some(b), Some(_)) => {
            let exact = variants.iter().find(|v| &v.name == b);
            let by_policy = variants.iter().find(|v| &v.policy.name == b);
            match exact.or(by_policy) {
                Some(v) => v.name.clone(),
                None => {
                    problems.push(format!(
                        "--baseline {b}: not among the swept policies ({})",
                        variants
                            .iter()
                            .map(|v| v.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    String::new()
                }
            }
        }
    };
    let runs = if problems.is_empty() {
        limits::runs(scenarios.len() as u64, variants.len() as u64, req.seeds)
            .map_err(|e| problems.push(format!("--seeds {}: {e}", req.seeds)))
            .unwrap_or(0)
    } else {
        0
    };
    if !problems.is_empty() {
        return Err(RunnerError::Usage(problems.join("\n")));
    }
    let manifest = Manifest {
        schema_version: reports::SCHEMA_VERSION,
        program: program.to_string(),
        master_seed: req.master_seed,
        seeds: req.seeds,
        runs,
        run_order: RUN_ORDER.to_string(),
        scenarios: scenario_entries,
        policies: policy_entries,
        grid,
        overrides: req.sets.clone(),
        baseline,
        bootstrap_resamples: req.bootstrap_resamples,
        constraints: req.constraints,
        shard: req.shard,
        import: req.import.words(),
        counterfactual: req.counterfactual,
    };
    Ok(Plan {
        scenarios,
        variants,
        param_keys: manifest.param_keys(),
        manifest,
        notes,
    })
}

/// A scenario's uncertain parameters as the manifest lists them.
pub fn uncertain_entries(s: &Scenario) -> Vec<UncertainEntry> {
    s.uncertain_params()
        .iter()
        .map(|p| UncertainEntry {
            key: p.key.clone(),
            distribution: p.distribution.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(policies: &[&str], grid: &[&str]) -> SweepRequest {
        SweepRequest {
            scenarios: vec!["steady".into(), "memory-leak".into()],
            policies: policies.iter().map(|s| s.to_string()).collect(),
            grid: grid.iter().map(|s| s.to_string()).collect(),
            sets: vec![],
            seeds: 5,
            master_seed: 1,
            baseline: None,
            constraints: Constraints::default(),
            bootstrap_resamples: 100,
            shard: None,
            import: ImportFlags::default(),
            counterfactual: false,
        }
    }

    fn refusal(req: &SweepRequest) -> String {
        plan(req, "t").err().expect("refused").to_string()
    }

    #[test]
    fn seeds_up_to_the_run_limit_plan_and_one_more_run_is_refused() {
        let mut req = request(&["reference"], &[]);
        req.scenarios = vec!["steady".into()];
        req.seeds = limits::MAX_SEEDS;
        assert_eq!(plan(&req, "t").unwrap().manifest.runs, limits::MAX_RUNS);
        req.seeds = limits::MAX_SEEDS + 1;
        let e = refusal(&req);
        assert!(e.contains("--seeds: 1000000001 is more than"), "{e}");
        // The case: 2 x 2 x u64::MAX wrapped round to a small run count.
        let mut req = request(&["reference", "noop"], &[]);
        req.seeds = u64::MAX;
        let e = refusal(&req);
        assert!(
            e.contains("--seeds: 18446744073709551615 is more than"),
            "{e}"
        );
        // Within the seed limit, but the product is over the run limit.
        req.seeds = limits::MAX_SEEDS / 2 + 1;
        let e = refusal(&req);
        assert!(
            e.contains("--seeds 500000001: 2 scenarios × 2 policy variants × 500000001 seeds is more than the 1000000000 runs"),
            "{e}"
        );
        req.seeds = limits::MAX_SEEDS / 4;
        assert_eq!(plan(&req, "t").unwrap().manifest.runs, limits::MAX_RUNS);
    }

    #[test]
    fn a_grid_past_the_variant_limit_is_refused_before_it_is_expanded() {
        let values: Vec<String> = (0..=limits::MAX_VARIANTS).map(|v| v.to_string()).collect();
        let axis = format!("policy.bake_seconds={}", values.join(","));
        let e = refusal(&request(&["reference"], &[&axis]));
        assert!(
            e.contains("--grid: 1 policy × 10001 grid combinations is more than the 10000"),
            "{e}"
        );
        // Two axes whose product overflows nothing but passes the limit.
        let a = format!("policy.bake_seconds={}", values[..200].join(","));
        let b = format!("policy.max_surge={}", values[..51].join(","));
        let e = refusal(&request(&["reference"], &[&a, &b]));
        assert!(e.contains("200 × 51 grid combinations"), "{e}");
    }

    #[test]
    fn bootstrap_and_shard_bounds_are_checked_by_the_plan_too() {
        let mut req = request(&["reference"], &[]);
        req.bootstrap_resamples = 99;
        assert!(refusal(&req).contains("--bootstrap: 99 resamples: expected 100 to 100000"));
        req.bootstrap_resamples = 0;
        assert!(refusal(&req).contains("--bootstrap: 0 resamples"));
        req.bootstrap_resamples = 100_000;
        assert!(plan(&req, "t").is_ok());
        req.bootstrap_resamples = 100;
        req.shard = Some(Shard { index: 0, count: 0 });
        assert!(refusal(&req).contains("--shard 0/0: N must be at least 1"));
        assert!(Shard::parse("99999/100000").is_ok());
        let e = Shard::parse("0/100001").unwrap_err();
        assert!(e.contains("N must be at most 100000"), "{e}");
    }

    #[test]
    fn manifests_read_back_are_checked() {
        let good = plan(&request(&["reference", "noop"], &[]), "t")
            .unwrap()
            .manifest;
        assert_eq!(good.check_counts(), Ok(()));
        let mut m = good.clone();
        m.seeds = 0;
        assert!(
            m.check_counts()
                .unwrap_err()
                .contains("`seeds`: must be at least 1")
        );
        let mut m = good.clone();
        m.runs = 3;
        assert!(m.check_counts().unwrap_err().contains("`runs` is 3"));
        let mut m = good.clone();
        m.shard = Some(Shard {
            index: 0,
            count: u64::MAX,
        });
        assert!(m.check_counts().unwrap_err().contains("N must be at most"));
        let mut m = good.clone();
        m.bootstrap_resamples = usize::MAX;
        assert!(
            m.check_counts()
                .unwrap_err()
                .contains("`bootstrap_resamples`")
        );
        let mut m = good;
        m.policies.clear();
        assert!(m.check_counts().is_err());
    }

    #[test]
    fn shard_specs() {
        assert_eq!(Shard::parse("1/3"), Ok(Shard { index: 1, count: 3 }));
        for bad in ["3/3", "a/b", "1", "0/0", "-1/2", "1/x"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let s = Shard { index: 2, count: 3 };
        assert_eq!(s.replicates(7), 2, "replicates 2 and 5");
        assert_eq!(Shard { index: 3, count: 4 }.replicates(2), 0);
    }

    #[test]
    fn grid_expands_to_named_combinations_in_order() {
        let p = plan(
            &request(
                &["gated-10pct"],
                &["policy.max_unavailable=1,10%", "policy.bake_seconds=30,120"],
            ),
            "test",
        )
        .unwrap();
        let names: Vec<&str> = p.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "gated-10pct[max_unavailable=1,bake_seconds=30]",
                "gated-10pct[max_unavailable=1,bake_seconds=120]",
                "gated-10pct[max_unavailable=10%,bake_seconds=30]",
                "gated-10pct[max_unavailable=10%,bake_seconds=120]",
            ]
        );
        assert_eq!(p.manifest.baseline, names[0]);
        assert_eq!(p.manifest.runs, 2 * 4 * 5);
    }

    #[test]
    fn bad_grid_values_name_the_combination_and_key() {
        let err = plan(
            &request(&["reference"], &["policy.max_unavailable=1,lots"]),
            "test",
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("policy reference[max_unavailable=lots]"),
            "{err}"
        );
        assert!(err.contains("policy.max_unavailable=lots"), "{err}");
        assert!(!err.contains("[max_unavailable=1]"), "{err}");
        let err = plan(
            &request(&["reference"], &["scenario.fleet.replicas=1,2"]),
            "t",
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("grid keys are policy fields"), "{err}");
    }

    #[test]
    fn shard_positions_map_to_run_ids() {
        let mut p = plan(&request(&["reference", "noop"], &[]), "t")
            .unwrap()
            .manifest;
        p.shard = Some(Shard { index: 1, count: 2 });
        // 5 seeds: shard 1 holds replicates 1 and 3 of each of the 4 groups.
        assert_eq!(p.shard_runs(), 8);
        let ids: Vec<u64> = (0..8).map(|i| p.run_at(i)).collect();
        assert_eq!(ids, [1, 3, 6, 8, 11, 13, 16, 18]);
        assert_eq!(p.locate(13), (1, 0, 3));
    }
}
