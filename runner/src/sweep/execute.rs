//! Running a sweep's runs in parallel and writing their rows in run order.
//!
//! Workers (a rayon pool of `threads`) claim positions in order from a counter, run
//! them single-threaded, and send `(position, row)` to the writer. The writer keeps a
//! reorder buffer keyed by position and writes a row only when every earlier one has
//! been written, so the file never depends on which run finished first. A worker
//! waits before claiming a position more than `WINDOW` ahead of the writer, which
//! bounds the buffer however long a slow run takes: memory stays flat in the number
//! of runs.
//!
//! A run that panics is caught (`catch_unwind`, one run at a time) and reported to the
//! writer instead of taking its worker down: a worker that died would leave its
//! position forever missing, and the writer and the workers waiting on the window
//! would wait for it forever. After a panic at position `p` no worker claims a
//! position past `p`; the runs before `p` still finish and are written, so the file
//! holds exactly the rows before the failing run, in order, and `--resume` can
//! continue from it. When several runs panic, the earliest position is reported.

use std::collections::BTreeMap;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, TryRecvError};
use std::sync::{Condvar, Mutex};

use reports::artifacts::runs_csv::{RunIdentity, RunsRecord};

use super::plan::Plan;
use super::twins::Twins;

/// How far ahead of the writer, per thread, workers may run.
const WINDOW_PER_THREAD: u64 = 32;

/// Why `execute` stopped before the end.
#[derive(Debug)]
pub enum Stop {
    /// Writing a row failed.
    Io(std::io::Error),
    /// The run at `position` panicked; every row before it was written.
    Panicked { position: u64, message: String },
}

/// A worker's message to the writer.
enum Done {
    Row(u64, Vec<u8>),
    Panicked(u64, String),
}

/// The text of a panic's payload (`panic!` with a message gives a `&str` or a
/// `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(feature = "test-hooks")]
pub(crate) mod test_hooks {
    //! Compiled only with the `test-hooks` feature, which only the workspace's own
    //! tests enable (as a dev-dependency feature): no build a user runs has it. With
    //! `ROLLCAGE_TEST_PANIC_AT_RUN=K` set, run id K panics, so the end-to-end tests
    //! can see a sweep stop on a panicking run through the real binary.
    use std::sync::OnceLock;

    pub fn maybe_panic(run_id: u64) {
        static AT: OnceLock<Option<u64>> = OnceLock::new();
        let at = AT.get_or_init(|| {
            std::env::var("ROLLCAGE_TEST_PANIC_AT_RUN")
                .ok()
                .and_then(|v| v.parse().ok())
        });
        if *at == Some(run_id) {
            panic!("test hook: run {run_id} panics on purpose (ROLLCAGE_TEST_PANIC_AT_RUN)");
        }
    }
}

/// The bytes of the row at `position` of this directory's runs; with `twins` (a
/// `--counterfactual` sweep) its metrics are paired with its twin's.
pub fn run_row(plan: &Plan, position: u64, twins: Option<&Twins<'_>>) -> Vec<u8> {
    let m = &plan.manifest;
    let run_id = m.run_at(position);
    let (s, v, replicate) = m.locate(run_id);
    let (scenario, variant) = (&plan.scenarios[s], &plan.variants[v]);
    #[cfg(feature = "test-hooks")]
    test_hooks::maybe_panic(run_id);
    let drawn = crate::execute::draw_accepted(scenario, m.master_seed, replicate);
    let (_, mut metrics) =
        crate::execute::run_drawn(&drawn.scenario, &variant.policy, m.master_seed, replicate);
    if let Some(twins) = twins {
        metrics = metrics.with_twin(twins.get(s, v, replicate));
    }
    let id = RunIdentity {
        run_id,
        scenario: &scenario.name,
        policy: &variant.name,
        grid_values: &variant.grid_values,
        seed: m.master_seed,
        replicate,
    };
    RunsRecord::new(&id, &metrics)
        .with_params(&plan.param_keys, &drawn.params)
        .line()
}

/// Runs positions `from..to` of `plan` on `threads` threads, appending their rows to
/// `out` in order. `written` is called once per batch of rows written. `out` is
/// flushed whenever the writer has nothing to do, so a killed sweep loses at most the
/// rows in flight.
pub fn execute(
    plan: &Plan,
    threads: usize,
    from: u64,
    to: u64,
    out: &mut (dyn Write + Send),
    written: &(dyn Fn(u64) + Sync),
) -> Result<(), Stop> {
    let twins = plan
        .manifest
        .counterfactual
        .then(|| Twins::new(plan, from, to));
    execute_with(threads, from, to, out, written, &|position| {
        run_row(plan, position, twins.as_ref())
    })
}

/// `execute` with the run given as a function of the position, so that the ordering
/// and the panic handling can be tested without the engine, and so that a power
/// analysis writes its own rows through the same ordered, bounded, panic-catching pool.
pub(crate) fn execute_with(
    threads: usize,
    from: u64,
    to: u64,
    out: &mut (dyn Write + Send),
    written: &(dyn Fn(u64) + Sync),
    run: &(dyn Fn(u64) -> Vec<u8> + Sync),
) -> Result<(), Stop> {
    if from >= to {
        return Ok(());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("rollcage-run-{i}"))
        .build()
        .map_err(|e| {
            Stop::Io(std::io::Error::other(format!(
                "cannot start {threads} worker threads: {e}"
            )))
        })?;
    let window = WINDOW_PER_THREAD * threads as u64;
    let next = AtomicU64::new(from);
    // No worker claims a position at or past this: `to`, the earliest position that
    // panicked, or `from` when writing failed.
    let stop_at = AtomicU64::new(to);
    let done = Mutex::new(from);
    let advanced = Condvar::new();
    // Wakes the workers waiting on the window after `stop_at` moved.
    let wake = || {
        let _guard = done.lock();
        advanced.notify_all();
    };

    pool.in_place_scope(|scope| {
        let (tx, rx) = mpsc::channel::<Done>();
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stop_at, done, advanced, wake) = (&next, &stop_at, &done, &advanced, &wake);
            scope.spawn(move |_| {
                loop {
                    let position = next.fetch_add(1, Ordering::Relaxed);
                    if position >= stop_at.load(Ordering::Relaxed) {
                        break;
                    }
                    {
                        // A poisoned lock only means a thread panicked holding it,
                        // which neither the writer nor a worker does: `run` runs
                        // outside it.
                        let mut d = done.lock().unwrap_or_else(|p| p.into_inner());
                        while position >= *d + window && position < stop_at.load(Ordering::Relaxed)
                        {
                            d = advanced.wait(d).unwrap_or_else(|p| p.into_inner());
                        }
                    }
                    if position >= stop_at.load(Ordering::Relaxed) {
                        break;
                    }
                    // A run shares nothing mutable with other runs (it builds its own
                    // world from the immutable plan), so nothing is left half-changed
                    // by its panic.
                    let msg = match catch_unwind(AssertUnwindSafe(|| run(position))) {
                        Ok(row) => Done::Row(position, row),
                        Err(payload) => {
                            stop_at.fetch_min(position, Ordering::Relaxed);
                            wake();
                            Done::Panicked(position, panic_message(payload.as_ref()))
                        }
                    };
                    if tx.send(msg).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);

        let mut pending: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
        let mut next_write = from;
        let mut failed: Option<(u64, String)> = None;
        let result = (|| -> Result<(), Stop> {
            loop {
                let limit = failed.as_ref().map_or(to, |(p, _)| *p);
                if next_write >= limit {
                    break;
                }
                let msg = match rx.try_recv() {
                    Ok(msg) => msg,
                    Err(TryRecvError::Empty) => {
                        out.flush().map_err(Stop::Io)?;
                        match rx.recv() {
                            Ok(msg) => msg,
                            Err(_) => break,
                        }
                    }
                    Err(TryRecvError::Disconnected) => break,
                };
                match msg {
                    Done::Row(position, row) => {
                        pending.insert(position, row);
                    }
                    Done::Panicked(position, message) => {
                        if failed.as_ref().is_none_or(|(p, _)| position < *p) {
                            failed = Some((position, message));
                        }
                        continue;
                    }
                }
                let before = next_write;
                while next_write < limit {
                    let Some(row) = pending.remove(&next_write) else {
                        break;
                    };
                    out.write_all(&row).map_err(Stop::Io)?;
                    next_write += 1;
                }
                if next_write > before {
                    *done.lock().unwrap_or_else(|p| p.into_inner()) = next_write;
                    advanced.notify_all();
                    written(next_write - before);
                }
            }
            out.flush().map_err(Stop::Io)?;
            let limit = failed.as_ref().map_or(to, |(p, _)| *p);
            if next_write < limit {
                return Err(Stop::Io(std::io::Error::other(format!(
                    "the workers stopped before run position {next_write}"
                ))));
            }
            Ok(())
        })();
        if result.is_err() {
            stop_at.store(from, Ordering::Relaxed);
            wake();
        }
        drop(rx);
        match (result, failed) {
            (Err(e), _) => Err(e),
            (Ok(()), Some((position, message))) => Err(Stop::Panicked { position, message }),
            (Ok(()), None) => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A fake run: its row is its position, and it takes a little longer for odd
    /// positions so that completion order differs from run order.
    fn row(position: u64) -> Vec<u8> {
        if position % 2 == 1 {
            std::thread::sleep(Duration::from_millis(2));
        }
        format!("{position}\n").into_bytes()
    }

    fn lines(out: &[u8]) -> Vec<u64> {
        String::from_utf8_lossy(out)
            .lines()
            .map(|l| l.parse().unwrap())
            .collect()
    }

    #[test]
    fn rows_are_written_in_order_whatever_the_threads() {
        for threads in [1, 2, 3] {
            let mut out = Vec::new();
            let count = AtomicU64::new(0);
            execute_with(
                threads,
                5,
                200,
                &mut out,
                &|n| {
                    count.fetch_add(n, Ordering::Relaxed);
                },
                &row,
            )
            .unwrap();
            assert_eq!(
                lines(&out),
                (5..200).collect::<Vec<_>>(),
                "{threads} threads"
            );
            assert_eq!(count.load(Ordering::Relaxed), 195);
        }
    }

    #[test]
    fn a_panicking_run_stops_the_sweep_after_the_rows_before_it() {
        for threads in [1, 2, 4] {
            for at in [0, 1, 37, 150, 199] {
                let started = Instant::now();
                let mut out = Vec::new();
                let r = execute_with(threads, 0, 200, &mut out, &|_| {}, &|p| {
                    if p == at {
                        panic!("boom at {p}");
                    }
                    row(p)
                });
                assert!(started.elapsed() < Duration::from_secs(30), "it terminates");
                match r {
                    Err(Stop::Panicked { position, message }) => {
                        assert_eq!(position, at);
                        assert_eq!(message, format!("boom at {at}"));
                    }
                    other => panic!("{threads} threads, panic at {at}: {other:?}"),
                }
                assert_eq!(lines(&out), (0..at).collect::<Vec<_>>(), "{threads}/{at}");
            }
        }
    }

    #[test]
    fn the_earliest_of_several_panics_is_the_one_reported() {
        let mut out = Vec::new();
        // Position 90 panics at once; position 60 only after a while, when 90 has
        // long been reported: 60 is still the one the sweep stops at.
        let r = execute_with(3, 0, 300, &mut out, &|_| {}, &|p| match p {
            60 => {
                std::thread::sleep(Duration::from_millis(50));
                std::panic::panic_any(String::from("late but earlier"));
            }
            90 => panic!("early but later"),
            _ => row(p),
        });
        match r {
            Err(Stop::Panicked { position, message }) => {
                assert_eq!((position, message.as_str()), (60, "late but earlier"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(lines(&out), (0..60).collect::<Vec<_>>());
    }

    #[test]
    fn a_write_error_stops_every_worker() {
        struct Full(usize);
        impl Write for Full {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                if self.0 >= 10 {
                    return Err(std::io::Error::other("disk full"));
                }
                self.0 += 1;
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let r = execute_with(2, 0, 10_000, &mut Full(0), &|_| {}, &row);
        assert!(matches!(r, Err(Stop::Io(e)) if e.to_string() == "disk full"));
    }
}
