//! The largest sweep rollcage accepts, and the checked arithmetic that enforces it.
//!
//! Every count a sweep multiplies (scenarios × policy variants × seeds, the grid's
//! combinations, shard slices, run positions) is checked against these limits before
//! anything is allocated or run. Without them a typo such as `--seeds
//! 18446744073709551615` wraps `u64` arithmetic round to a small, wrong run count, or
//! asks for more memory or time than any machine has, and the sweep hangs instead of
//! saying what is wrong. The limits are far above any sweep that finishes in a day and
//! far below where arithmetic on run ids (`u64`) or counts kept as `f64` in the
//! statistics (exact to 2^53) could go wrong, so a number beyond them is a mistake.

/// Runs per sweep (the whole sweep, all shards together): 10^9. At the engine's tens
/// of runs per second per core, that is already months of CPU time.
pub const MAX_RUNS: u64 = 1_000_000_000;

/// Replicates per scenario and policy (`--seeds`, a suite's `seeds`): at most
/// `MAX_RUNS`, since one scenario under one policy already runs each of them.
pub const MAX_SEEDS: u64 = MAX_RUNS;

/// Policy variants per sweep (policies × grid combinations): 10 000. Every variant is
/// read, checked and written into `manifest.json` before the first run, and names a
/// group in every summary, so the grid's product is checked before it is expanded.
pub const MAX_VARIANTS: u64 = 10_000;

/// `--shard I/N`: at most 100 000 slices (one per batch job). `merge` keeps one slot
/// per shard, so a manifest claiming more is refused before anything is allocated.
pub const MAX_SHARDS: u64 = 100_000;

/// The fewest bootstrap resamples per interval: 100. A 95% percentile interval's ends
/// are the 2.5% and 97.5% quantiles of the resampled statistic; with fewer than 100
/// resamples each end rests on two or three draws (with 0 or 1 there is no interval
/// at all, only the point estimate twice), so the width it reports is noise. 1000 (the
/// default) gives ends stable to a few percent of the width.
pub const MIN_BOOTSTRAP: u64 = 100;

/// The most bootstrap resamples per interval: 100 000. Every interval keeps its
/// resampled statistics in memory and costs `resamples × observations` draws, and past
/// 10^5 the ends no longer move at the precision the files print.
pub const MAX_BOOTSTRAP: u64 = 100_000;

/// Worker threads (`--threads`): at most 1024. Each is an OS thread with its own
/// stack; more than the machine has cores only adds waiting.
pub const MAX_THREADS: u64 = 1024;

/// Effect points of a power analysis (`--points`): 2 to 100. One point gives no curve to
/// interpolate an MDE on; past 100 the points are closer than the Wilson intervals of
/// any affordable seed count can tell apart.
pub const MIN_POWER_POINTS: u64 = 2;
pub const MAX_POWER_POINTS: u64 = 100;

/// Runs of a power analysis, the no-regression point included: 10^6. Its summary holds
/// every run's detections in memory (about a hundred bytes a run for a policy with a
/// few gates), so the bound is far below a sweep's.
pub const MAX_POWER_RUNS: u64 = 1_000_000;

/// Runs a tune may make (the race's and the base policy's): 2 × 10^6. A race keeps
/// every run's figures in memory (a few hundred bytes each) to re-test candidates
/// round after round, so the bound is far below a sweep's, which streams.
pub const MAX_TUNE_RUNS: u64 = 2_000_000;

/// Seeds per scenario a tune gives a candidate (a space's `max_seeds`): 5 to 100 000.
/// Fewer than 5 paired seeds judge nothing (`check::MIN_PAIRS`); past 10^5 one
/// candidate alone would hold more runs than a tune may.
pub const MIN_TUNE_SEEDS: u64 = 5;
pub const MAX_TUNE_SEEDS: u64 = 100_000;

/// `(points + 1) × seeds`, refused past `MAX_POWER_RUNS`.
pub fn power_runs(points: u64, seeds: u64) -> Result<u64, String> {
    (points + 1)
        .checked_mul(seeds)
        .filter(|&r| r <= MAX_POWER_RUNS)
        .ok_or_else(|| {
            format!(
                "{} points (the no-regression point included) × {seeds} seeds is more than the \
                 {MAX_POWER_RUNS} runs a power analysis may hold",
                points + 1
            )
        })
}

/// Why a count is refused, without the name of the flag or key it came from (the
/// caller adds it: `--seeds`, `suite.toml: seeds`, ...).
pub fn check_seeds(seeds: u64) -> Result<u64, String> {
    if seeds == 0 {
        return Err("must be at least 1".into());
    }
    if seeds > MAX_SEEDS {
        return Err(format!(
            "{seeds} is more than the {MAX_SEEDS} replicates a sweep may run"
        ));
    }
    Ok(seeds)
}

/// Checks a bootstrap resample count against `MIN_BOOTSTRAP..=MAX_BOOTSTRAP`.
pub fn check_bootstrap(resamples: u64) -> Result<usize, String> {
    if !(MIN_BOOTSTRAP..=MAX_BOOTSTRAP).contains(&resamples) {
        return Err(format!(
            "{resamples} resamples: expected {MIN_BOOTSTRAP} to {MAX_BOOTSTRAP} (fewer than \
             {MIN_BOOTSTRAP} give no meaningful 95% interval)"
        ));
    }
    Ok(resamples as usize)
}

/// The number of grid combinations times `policies`, refused past `MAX_VARIANTS`
/// (checked as it multiplies, so no product overflows).
pub fn variants(policies: u64, axis_lengths: &[u64]) -> Result<u64, String> {
    let mut n = policies;
    for &len in axis_lengths {
        n = n
            .checked_mul(len)
            .filter(|&n| n <= MAX_VARIANTS)
            .ok_or_else(|| {
                format!(
                    "{policies} polic{} × {} grid combinations is more than the {MAX_VARIANTS} \
                 policy variants a sweep may compare",
                    if policies == 1 { "y" } else { "ies" },
                    axis_lengths
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(" × ")
                )
            })?;
    }
    Ok(n)
}

/// `scenarios × variants × seeds`, refused past `MAX_RUNS`.
pub fn runs(scenarios: u64, variants: u64, seeds: u64) -> Result<u64, String> {
    scenarios
        .checked_mul(variants)
        .and_then(|g| g.checked_mul(seeds))
        .filter(|&r| r <= MAX_RUNS)
        .ok_or_else(|| {
            format!(
                "{scenarios} scenario{} × {variants} policy variant{} × {seeds} seeds is more \
                 than the {MAX_RUNS} runs a sweep may hold",
                if scenarios == 1 { "" } else { "s" },
                if variants == 1 { "" } else { "s" },
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_at_the_limit_are_accepted_and_one_over_refused() {
        assert_eq!(check_seeds(1), Ok(1));
        assert_eq!(check_seeds(MAX_SEEDS), Ok(MAX_SEEDS));
        assert!(check_seeds(0).unwrap_err().contains("at least 1"));
        let e = check_seeds(MAX_SEEDS + 1).unwrap_err();
        assert!(e.contains("1000000001 is more than the 1000000000"), "{e}");
        assert!(check_seeds(u64::MAX).is_err());
    }

    #[test]
    fn power_runs_up_to_the_limit_and_one_past_it() {
        assert_eq!(power_runs(9, 100_000), Ok(MAX_POWER_RUNS));
        let e = power_runs(9, 100_001).unwrap_err();
        assert!(
            e.starts_with("10 points (the no-regression point included) × 100001 seeds"),
            "{e}"
        );
        assert!(power_runs(MAX_POWER_POINTS, u64::MAX).is_err());
    }

    #[test]
    fn runs_multiply_without_overflow_up_to_the_limit() {
        assert_eq!(runs(10, 100, 1_000_000), Ok(MAX_RUNS));
        let e = runs(10, 100, 1_000_001).unwrap_err();
        assert!(
            e.contains("10 scenarios × 100 policy variants × 1000001 seeds"),
            "{e}"
        );
        // The product of the issue: wraps to a small number in unchecked u64.
        assert!(runs(2, 2, u64::MAX).is_err());
        assert!(runs(u64::MAX, u64::MAX, u64::MAX).is_err());
        assert_eq!(runs(1, 1, MAX_SEEDS), Ok(MAX_RUNS));
        assert!(runs(2, 1, MAX_SEEDS).is_err());
    }

    #[test]
    fn grid_products_are_checked_before_they_are_expanded() {
        assert_eq!(variants(1, &[]), Ok(1));
        assert_eq!(variants(10, &[10, 100]), Ok(MAX_VARIANTS));
        let e = variants(10, &[10, 101]).unwrap_err();
        assert!(
            e.contains("10 policies × 10 × 101 grid combinations"),
            "{e}"
        );
        // Would overflow u64 long before the limit check in unchecked arithmetic.
        assert!(variants(2, &[u64::MAX, u64::MAX]).is_err());
    }

    #[test]
    fn bootstrap_bounds_are_inclusive() {
        assert_eq!(check_bootstrap(MIN_BOOTSTRAP), Ok(100));
        assert_eq!(check_bootstrap(MAX_BOOTSTRAP), Ok(100_000));
        for bad in [0, 1, MIN_BOOTSTRAP - 1, MAX_BOOTSTRAP + 1, u64::MAX] {
            let e = check_bootstrap(bad).unwrap_err();
            assert!(e.contains("expected 100 to 100000"), "{bad}: {e}");
        }
    }
}
