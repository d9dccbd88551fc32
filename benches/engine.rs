//! Engine throughput on the reference workload (DESIGN's benchmark): 20 instances,
//! 600 req/s, 1800 s, a leaking candidate rolled out in batches of two. Criterion
//! reports seconds per run and, through `Throughput::Elements`, model events per second
//! (arrivals + completions + control events).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use runner::inputs::resolve;

/// Times one run of `scenario` under `policy` at seed 1 (world construction included).
fn bench_run(c: &mut Criterion, name: &str, scenario: &str, policy: &str) {
    let r = resolve(scenario, policy, &[], &Default::default()).expect("built-ins resolve");
    let (record, _) = runner::execute::run_once(&r.scenario, &r.policy, 1, 0);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(record.events_processed));
    group.sample_size(30);
    group.bench_function(name, |b| {
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

fn reference_run(c: &mut Criterion) {
    bench_run(c, "reference_run", "reference", "reference");
}

/// Every fault off and a healthy candidate: the cost of the fault machinery when
/// nothing uses it.
fn no_fault_run(c: &mut Criterion) {
    bench_run(c, "no_fault_run", "good-release", "reference");
}

criterion_group!(benches, reference_run, no_fault_run);
criterion_main!(benches);
