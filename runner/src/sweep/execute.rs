//! Running a sweep's runs in parallel and writing their rows in run order.
//!
//! Workers (a rayon pool of `threads`) claim positions in order from a counter, run
//! them single-threaded, and send `(position, row)` to the writer. The writer keeps a
//! reorder buffer keyed by position and writes a row only when every earlier one has
//! been written, so the file never depends on which run finished first. A worker
//! waits before claiming a position more than `WINDOW` ahead of the writer, which
//! bounds the buffer however long a slow run takes: memory stays flat in the number
//! of runs.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, TryRecvError};
use std::sync::{Condvar, Mutex};

use reports::sweep::runs_csv::{self, RunIdentity};

use super::plan::Plan;
use crate::RunnerError;

/// How far ahead of the writer, per thread, workers may run.
const WINDOW_PER_THREAD: u64 = 32;

/// The bytes of the row at `position` of this directory's runs.
pub fn run_row(plan: &Plan, position: u64) -> Vec<u8> {
    let m = &plan.manifest;
    let run_id = m.run_at(position);
    let (s, v, replicate) = m.locate(run_id);
    let (scenario, variant) = (&plan.scenarios[s], &plan.variants[v]);
    let (_, metrics) =
        crate::execute::run_once(scenario, &variant.policy, m.master_seed, replicate);
    let id = RunIdentity {
        run_id,
        scenario: &scenario.name,
        policy: &variant.name,
        grid_values: &variant.grid_values,
        seed: m.master_seed,
        replicate,
    };
    runs_csv::line(runs_csv::row(&id, &metrics))
}

/// Runs positions `from..to` on `threads` threads, appending their rows to `out` in
/// order. `written` is called once per row written. `out` is flushed whenever the
/// writer has nothing to do, so a killed sweep loses at most the rows in flight.
pub fn execute(
    plan: &Plan,
    threads: usize,
    from: u64,
    to: u64,
    out: &mut (dyn Write + Send),
    written: &(dyn Fn(u64) + Sync),
    path: &std::path::Path,
) -> Result<(), RunnerError> {
    if from >= to {
        return Ok(());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("rollcage-run-{i}"))
        .build()
        .map_err(|e| RunnerError::Usage(format!("--threads {threads}: {e}")))?;
    let window = WINDOW_PER_THREAD * threads as u64;
    let next = AtomicU64::new(from);
    let cancelled = AtomicBool::new(false);
    let done = Mutex::new(from);
    let advanced = Condvar::new();

    pool.in_place_scope(|scope| {
        let (tx, rx) = mpsc::channel::<(u64, Vec<u8>)>();
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, cancelled, done, advanced) = (&next, &cancelled, &done, &advanced);
            scope.spawn(move |_| {
                loop {
                    let position = next.fetch_add(1, Ordering::Relaxed);
                    if position >= to {
                        break;
                    }
                    {
                        let mut d = done.lock().expect("writer never panics holding it");
                        while position >= *d + window && !cancelled.load(Ordering::Relaxed) {
                            d = advanced.wait(d).expect("writer never panics holding it");
                        }
                    }
                    if cancelled.load(Ordering::Relaxed) {
                        break;
                    }
                    if tx.send((position, run_row(plan, position))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);

        let mut pending: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
        let mut next_write = from;
        let result = (|| -> std::io::Result<()> {
            while next_write < to {
                let (position, row) = match rx.try_recv() {
                    Ok(msg) => msg,
                    Err(TryRecvError::Empty) => {
                        out.flush()?;
                        match rx.recv() {
                            Ok(msg) => msg,
                            Err(_) => break,
                        }
                    }
                    Err(TryRecvError::Disconnected) => break,
                };
                pending.insert(position, row);
                let before = next_write;
                while let Some(row) = pending.remove(&next_write) {
                    out.write_all(&row)?;
                    next_write += 1;
                }
                if next_write > before {
                    *done.lock().expect("no worker panics holding it") = next_write;
                    advanced.notify_all();
                    written(next_write - before);
                }
            }
            out.flush()
        })();
        if result.is_err() {
            cancelled.store(true, Ordering::Relaxed);
            let _guard = done.lock();
            advanced.notify_all();
        }
        drop(rx);
        result.map_err(|e| RunnerError::io(path, e))
    })
}
