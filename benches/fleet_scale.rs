//! The per-request engine at fleet scale (issue 17): the `good-release` scenario grown
//! to 20, 200, 2,000 and 10,000 pods at 30 req/s per pod (so the rate grows with the
//! fleet), a release at 5 s under `k8s-default` (so pods are created, become ready and
//! are deleted: the fleet-status paths run), a 40 s horizon, `random` and
//! `least-outstanding` routing. Criterion reports, through `Throughput::Elements`, the
//! simulated requests per second; its inverse is the cost per request, which would be
//! flat in the fleet size for an engine whose cost does not grow with the fleet.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use runner::inputs::resolve;

const PODS: [u32; 4] = [20, 200, 2_000, 10_000];
const RATE_PER_POD: u32 = 30;
const HORIZON_SECONDS: u32 = 40;

fn fleet_scale(c: &mut Criterion) {
    for strategy in ["random", "least-outstanding"] {
        let mut group = c.benchmark_group(format!("fleet_scale/{strategy}"));
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
            ];
            let r = resolve("good-release", "k8s-default", &sets, &Default::default())
                .expect("the built-in resolves with these overrides");
            let (record, _) = runner::execute::run_once(&r.scenario, &r.policy, 1, 0);
            group.throughput(Throughput::Elements(record.counts.arrived));
            group.bench_with_input(BenchmarkId::from_parameter(pods), &pods, |b, _| {
                b.iter(|| {
                    let world = r
                        .scenario
                        .world(runner::execute::run_seed(1, &r.scenario, 0));
                    let mut controller = r.policy.controller();
                    sim_core::run(&world, controller.as_mut())
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, fleet_scale);
criterion_main!(benches);
