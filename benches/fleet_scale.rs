//! The per-request engine at fleet scale (issue 17): the `good-release` scenario grown
//! to 20, 200, 2,000 and 10,000 pods at 30 req/s per pod (so the rate grows with the
//! fleet), a release at 5 s under `k8s-default` (so pods are created, become ready and
//! are deleted: the fleet-status paths run), a 40 s horizon, `random` and
//! `least-outstanding` routing. Criterion reports, through `Throughput::Elements`, the
//! simulated requests per second; its inverse is the cost per request, which would be
//! flat in the fleet size for an engine whose cost does not grow with the fleet.
//!
//! The `fluid` groups run the same workloads with `--engine fluid` (`run.engine`), and
//! `fluid_hour` the large fleet: 100 k req/s over 3,334 pods (30 req/s each)
//! for one hour of the `reference` scenario under the `reference` policy, whose
//! per-request run (65-75 s) is too long for criterion's samples and is timed as a
//! whole process instead (BENCHMARKS.md).

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use runner::inputs::resolve;

const PODS: [u32; 4] = [20, 200, 2_000, 10_000];
const RATE_PER_POD: u32 = 30;
const HORIZON_SECONDS: u32 = 40;

fn fleet_scale(c: &mut Criterion) {
    for (engine, strategy) in [
        ("per-request", "random"),
        ("per-request", "least-outstanding"),
        ("fluid", "random"),
        ("fluid", "least-outstanding"),
    ] {
        let name = match engine {
            "fluid" => format!("fleet_scale_fluid/{strategy}"),
            _ => format!("fleet_scale/{strategy}"),
        };
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(8));
        for pods in PODS {
            let sets = vec![
                format!("scenario.fleet.replicas={pods}"),
                format!("scenario.traffic.rate={}", pods * RATE_PER_POD),
                format!("scenario.load_balancer.strategy={strategy}"),
                format!("scenario.run.horizon_seconds={HORIZON_SECONDS}"),
                "scenario.release.start_seconds=5".to_string(),
                format!("scenario.run.engine={engine}"),
            ];
            let r = resolve("good-release", "k8s-default", &sets, &Default::default())
                .expect("the built-in resolves with these overrides");
            let (record, _) = runner::execute::run_once(&r.scenario, &r.policy, 1, 0);
            group.throughput(Throughput::Elements(record.counts.arrived));
            group.bench_with_input(BenchmarkId::from_parameter(pods), &pods, |b, _| {
                b.iter(|| simulate(&r))
            });
        }
        group.finish();
    }
}

/// The 100 k req/s fleet for an hour, with the fluid engine.
fn fluid_hour(c: &mut Criterion) {
    let sets = [
        "scenario.fleet.replicas=3334",
        "scenario.traffic.rate=100020",
        "scenario.run.horizon_seconds=3600",
        "scenario.run.engine=fluid",
    ]
    .map(String::from);
    let r = resolve("reference", "reference", &sets, &Default::default())
        .expect("the built-in resolves with these overrides");
    let mut group = c.benchmark_group("fluid_hour");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("3334_pods_100k_rps", |b| b.iter(|| simulate(&r)));
    group.finish();
}

/// What is timed: the world built for replicate 0 of seed 1 and run to its horizon.
fn simulate(r: &runner::inputs::Resolved) -> sim_core::record::RunRecord {
    let world = r
        .scenario
        .world(runner::execute::run_seed(1, &r.scenario, 0));
    let mut controller = r.policy.controller();
    sim_core::run(&world, controller.as_mut())
}

criterion_group!(benches, fleet_scale, fluid_hour);
criterion_main!(benches);
