//! Sweep throughput: the reference scenario under the reference policy, 20 seeds per
//! iteration, through the whole sweep path (parallel runs, reorder buffer, runs.csv,
//! summaries from it), at 1 and 2 threads. Criterion reports runs per second through
//! `Throughput::Elements`; the speed-up is the ratio of the two.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use reports::sweep::Constraints;
use runner::sweep::plan::{SweepRequest, plan};
use runner::sweep::{Silent, SweepOptions, sweep};

const SEEDS: u64 = 20;

fn sweep_throughput(c: &mut Criterion) {
    let request = SweepRequest {
        scenarios: vec!["reference".into()],
        policies: vec!["reference".into()],
        grid: vec![],
        sets: vec![],
        seeds: SEEDS,
        master_seed: 1,
        baseline: None,
        constraints: Constraints::default(),
        bootstrap_resamples: 1000,
        shard: None,
        import: Default::default(),
        counterfactual: false,
    };
    let plan = plan(&request, "bench").expect("built-ins resolve");
    let mut group = c.benchmark_group("sweep");
    group.throughput(Throughput::Elements(SEEDS));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(20));
    for threads in [1usize, 2] {
        let out = std::env::temp_dir().join(format!("rollcage-bench-sweep-{threads}"));
        group.bench_with_input(
            BenchmarkId::new("reference_x20", threads),
            &threads,
            |b, &threads| {
                b.iter(|| {
                    let opts = SweepOptions {
                        out: &out,
                        threads,
                        resume: false,
                        force: true,
                    };
                    sweep(&plan, opts, &Silent).expect("the sweep runs")
                })
            },
        );
        let _ = std::fs::remove_dir_all(&out);
    }
    group.finish();
}

criterion_group!(benches, sweep_throughput);
criterion_main!(benches);
