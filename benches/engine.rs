//! Engine throughput on the reference workload (DESIGN's benchmark): 20 instances,
//! 600 req/s, 1800 s, a leaking candidate rolled out in batches of two. Criterion
//! reports seconds per run and, through `Throughput::Elements`, model events per second
//! (arrivals + completions + control events).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use runner::inputs::resolve;

fn reference_run(c: &mut Criterion) {
    let r = resolve("reference", "reference", &[]).expect("built-ins resolve");
    let (record, _) = runner::execute::run_once(&r.scenario, &r.policy, 1, 0);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(record.events_processed));
    group.sample_size(30);
    group.bench_function("reference_run", |b| {
        b.iter(|| {
            let world = r
                .scenario
                .world(runner::execute::run_seed(1, &r.scenario, 0));
            let mut controller = r.policy.controller();
            sim_core::run(&world, controller.as_mut())
        })
    });
    group.finish();
}

criterion_group!(benches, reference_run);
criterion_main!(benches);
