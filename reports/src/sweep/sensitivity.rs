//! Which uncertain scenario parameter moves which headline figure, per (scenario,
//! policy) group: Spearman rank correlations with percentile-bootstrap 95% intervals,
//! the parameters ranked by |ρ|, and the probability that a run burns more error
//! budget than the sweep's limit (Wilson interval).
//!
//! Why ranks: a parameter's effect on budget or detection time is rarely linear (a
//! leak twice as fast does not detect twice as fast), and a few runs that burn a lot
//! would dominate a Pearson coefficient. Spearman's ρ asks only "do runs with a larger
//! value tend to have a larger figure", so it compares parameters of different units
//! on one scale, −1 to 1.
//!
//! What each headline figure's sample is (`HEADLINE`):
//! - `budget_consumed_pct`: every run (it always has a value);
//! - `ttd_s`, `deploy_duration_s`: the runs where the figure was observed. An
//!   undetected fault has no detection time and is left out of ttd's sample (its
//!   share is the detection rate, reported elsewhere); it is not imputed at the
//!   horizon, which would tie every censored run at the same rank;
//! - `escape_rate`: the escape indicator of `vocab::Rate::Escape` on the runs where a
//!   fault the release carries became active: 1 for `escaped`, 0 for `caught` (or
//!   `stalled`); runs of a good release are left out. Its ρ is the rank-biserial
//!   association: positive when larger values make escapes likelier.
//!
//! ρ is undefined (empty cells) with fewer than `MIN_RUNS` runs in the sample or when
//! the parameter or the figure takes one value on all of them. The bootstrap resamples
//! whole runs (a parameter's value with the figure of the same run) by counts, like
//! `stats::describe`; a resample in which one side is constant has no ρ and is left
//! out of the percentiles (a figure seen once in the group, say). Ties, in the data
//! and in every resample, get average ranks.
//!
//! Determinism: one bootstrap generator per (scenario, policy, figure), from the
//! sweep's master seed (`stats::bootstrap_rng`), shared by every parameter of that
//! figure, so each resample is the same set of runs for all parameters and their
//! intervals are comparable; nothing depends on threads or on the order groups are
//! computed in.

use serde::{Deserialize, Serialize};

use crate::artifacts::runs_csv::RunRow;
use crate::stats::{self, Rate, bootstrap_rng, resample_counts, wilson};
use crate::sweep::group::Bootstrap;
use crate::vocab::{self, Metric, Quantity};

/// The figures whose sensitivity is reported, in file and report order.
pub const HEADLINE: [Quantity; 4] = [
    Quantity::Metric(Metric::BudgetConsumed),
    Quantity::Metric(Metric::Ttd),
    Quantity::Metric(Metric::DeployDuration),
    Quantity::Rate(vocab::Rate::Escape),
];

/// What charts and tables call a headline figure: the vocabulary's label, and for the
/// escape indicator what its 0/1 stands for.
pub fn headline_label(q: Quantity) -> &'static str {
    match q {
        Quantity::Metric(m) => m.label(),
        Quantity::Rate(_) => "escaped (1) or caught (0), fault runs",
    }
}

/// The fewest runs a correlation is computed from: with two, ρ is ±1 whatever the
/// relation.
pub const MIN_RUNS: usize = 3;

/// A headline figure's value in one run, `None` when the run is not in its sample.
pub fn headline_value(q: Quantity, row: &RunRow) -> Option<f64> {
    match q {
        Quantity::Metric(m) => row.value(m),
        Quantity::Rate(r) => r.indicator(row),
    }
}

/// One parameter against one figure in one group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Correlation {
    pub metric: Quantity,
    pub parameter: String,
    /// Runs in the sample (where the figure is defined).
    pub n: u64,
    /// Spearman's ρ; `None` when undefined (see the module's comment).
    pub rho: Option<f64>,
    /// The percentile-bootstrap 95% interval of ρ; `None` when ρ is, or when no
    /// resample defines it.
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    /// 1 for the parameter with the largest |ρ| on this figure; `None` when ρ is
    /// undefined.
    pub rank: Option<u32>,
}

/// The probability that a run burns more than `limit_pct` of the error budget.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exceedance {
    /// The limit, in % of the SLO window's budget: the sweep's `--max-budget-p95`.
    pub limit_pct: f64,
    /// Runs above the limit (strictly) over every run, with a Wilson interval.
    pub rate: Option<Rate>,
}

impl Exceedance {
    /// Over `budgets_pct` (one per run).
    pub fn of(budgets_pct: &[f64], limit_pct: f64) -> Exceedance {
        let over = budgets_pct.iter().filter(|&&b| b > limit_pct).count() as u64;
        Exceedance {
            limit_pct,
            rate: wilson(over, budgets_pct.len() as u64),
        }
    }
}

/// The sensitivity of one (scenario, policy) group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSensitivity {
    pub scenario: String,
    pub policy: String,
    /// `HEADLINE` order, then by rank (unranked last, by name).
    pub correlations: Vec<Correlation>,
    pub exceedance: Exceedance,
}

impl GroupSensitivity {
    /// The correlations of one figure, in rank order.
    pub fn of(&self, metric: Quantity) -> impl Iterator<Item = &Correlation> {
        self.correlations.iter().filter(move |c| c.metric == metric)
    }
}

/// 1-based ranks of `values`, ties sharing the average of the ranks they span: the
/// ranks of `[10, 20, 20, 30]` are `[1, 2.5, 2.5, 4]`.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let ranking = Ranking::new(values);
    let mut out = vec![0.0; values.len()];
    ranking.ranks(&vec![1; values.len()], &mut out);
    out
}

/// Spearman's ρ of paired samples: the Pearson correlation of their average ranks.
/// `None` when the lengths differ, there are fewer than `MIN_RUNS` pairs, or one
/// side is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < MIN_RUNS {
        return None;
    }
    let ones = vec![1; x.len()];
    let (mut rx, mut ry) = (vec![0.0; x.len()], vec![0.0; y.len()]);
    Ranking::new(x).ranks(&ones, &mut rx);
    Ranking::new(y).ranks(&ones, &mut ry);
    rank_correlation(&ones, &rx, &ry)
}

/// The order of a sample, sorted once, and where its runs of equal values start, so
/// that the average ranks of any resample (a count per element) cost one pass.
struct Ranking {
    /// Indices in ascending order of value (stable: equal values keep run order).
    order: Vec<usize>,
    /// Start of each block of equal values in `order`, then `order.len()`.
    blocks: Vec<usize>,
}

impl Ranking {
    fn new(values: &[f64]) -> Ranking {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let mut blocks = Vec::with_capacity(values.len() + 1);
        for (j, &i) in order.iter().enumerate() {
            if j == 0 || values[i] != values[order[j - 1]] {
                blocks.push(j);
            }
        }
        blocks.push(order.len());
        Ranking { order, blocks }
    }

    /// The average rank of every element in the multiset where element `i` appears
    /// `counts[i]` times (an element drawn zero times gets its block's rank, which
    /// weighs nothing).
    fn ranks(&self, counts: &[u32], out: &mut [f64]) {
        let mut below = 0u64;
        for w in self.blocks.windows(2) {
            let block = &self.order[w[0]..w[1]];
            let size: u64 = block.iter().map(|&i| u64::from(counts[i])).sum();
            let rank = below as f64 + (size as f64 + 1.0) / 2.0;
            for &i in block {
                out[i] = rank;
            }
            below += size;
        }
    }
}

/// The Pearson correlation of ranks `rx`, `ry` in the multiset weighted by `counts`.
/// Ranks of `N` items average `(N + 1) / 2` whatever the ties, so the centre is exact.
fn rank_correlation(counts: &[u32], rx: &[f64], ry: &[f64]) -> Option<f64> {
    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    let mean = (total as f64 + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for ((&c, &x), &y) in counts.iter().zip(rx).zip(ry) {
        if c == 0 {
            continue;
        }
        let (dx, dy, w) = (x - mean, y - mean, f64::from(c));
        sxy += w * dx * dy;
        sxx += w * dx * dx;
        syy += w * dy * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// The uncertain parameters of a group: the keys of its first run, which every run
/// must share (a run of a scenario draws the same keys), or an error naming the run.
fn parameter_keys(rows: &[RunRow]) -> Result<Vec<String>, String> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let keys: Vec<String> = first.params.iter().map(|(k, _)| k.clone()).collect();
    for r in rows {
        if r.params.len() != keys.len() || r.params.iter().zip(&keys).any(|((k, _), w)| k != w) {
            let theirs: Vec<&str> = r.params.iter().map(|(k, _)| k.as_str()).collect();
            return Err(format!(
                "run {} has uncertain parameters [{}], run {} of the same group has [{}]",
                r.run_id,
                theirs.join(", "),
                first.run_id,
                keys.join(", ")
            ));
        }
    }
    Ok(keys)
}

/// The sensitivity of one group, or `None` when its runs drew no uncertain
/// parameter (the sweep then writes no sensitivity at all). `budget_limit_pct` is the
/// limit the exceedance is counted against. Rows are in replicate order.
pub fn sensitivity(
    scenario: &str,
    policy: &str,
    rows: &[RunRow],
    budget_limit_pct: f64,
    boot: Bootstrap,
) -> Result<Option<GroupSensitivity>, String> {
    let keys = parameter_keys(rows)?;
    if keys.is_empty() {
        return Ok(None);
    }
    let mut correlations = Vec::with_capacity(HEADLINE.len() * keys.len());
    for q in HEADLINE {
        let sample: Vec<&RunRow> = rows
            .iter()
            .filter(|r| headline_value(q, r).is_some())
            .collect();
        let y: Vec<f64> = sample.iter().filter_map(|r| headline_value(q, r)).collect();
        let xs: Vec<Vec<f64>> = (0..keys.len())
            .map(|k| sample.iter().map(|r| r.params[k].1).collect())
            .collect();
        let mut rng = bootstrap_rng(
            boot.master_seed,
            &[scenario, policy, q.name(), "sensitivity"],
        );
        let estimates = correlate(&xs, &y, boot.resamples, &mut rng);
        let mut figure: Vec<Correlation> = keys
            .iter()
            .zip(estimates)
            .map(|(key, (rho, interval))| Correlation {
                metric: q,
                parameter: key.clone(),
                n: y.len() as u64,
                rho,
                lo: interval.map(|(lo, _)| lo),
                hi: interval.map(|(_, hi)| hi),
                rank: None,
            })
            .collect();
        rank(&mut figure);
        correlations.extend(figure);
    }
    let budgets: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.value(Metric::BudgetConsumed))
        .collect();
    Ok(Some(GroupSensitivity {
        scenario: scenario.to_string(),
        policy: policy.to_string(),
        correlations,
        exceedance: Exceedance::of(&budgets, budget_limit_pct),
    }))
}

/// An estimate of ρ and its interval (`None`s as `Correlation` has them).
type RhoEstimate = (Option<f64>, Option<(f64, f64)>);

/// ρ of every parameter `xs[k]` against `y` (same runs, same order), with intervals
/// from `resamples` resamples of runs drawn by `rng`, each shared by all parameters.
fn correlate(
    xs: &[Vec<f64>],
    y: &[f64],
    resamples: usize,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> Vec<RhoEstimate> {
    let n = y.len();
    if n < MIN_RUNS {
        return vec![(None, None); xs.len()];
    }
    let ry_rank = Ranking::new(y);
    let rx_rank: Vec<Ranking> = xs.iter().map(|x| Ranking::new(x)).collect();
    let (mut ry, mut rx) = (vec![0.0; n], vec![0.0; n]);
    let mut counts = vec![1u32; n];
    ry_rank.ranks(&counts, &mut ry);
    let points: Vec<Option<f64>> = rx_rank
        .iter()
        .map(|r| {
            r.ranks(&counts, &mut rx);
            rank_correlation(&counts, &rx, &ry)
        })
        .collect();
    let mut reps: Vec<Vec<f64>> = vec![Vec::with_capacity(resamples); xs.len()];
    if points.iter().any(Option::is_some) {
        for _ in 0..resamples {
            resample_counts(rng, &mut counts);
            ry_rank.ranks(&counts, &mut ry);
            for ((r, point), rep) in rx_rank.iter().zip(&points).zip(&mut reps) {
                if point.is_none() {
                    continue;
                }
                r.ranks(&counts, &mut rx);
                rep.extend(rank_correlation(&counts, &rx, &ry));
            }
        }
    }
    points
        .into_iter()
        .zip(reps)
        .map(|(point, mut rep)| match point {
            Some(rho) if !rep.is_empty() => {
                let e = stats::interval(&mut rep, rho);
                (Some(rho), Some((e.lo, e.hi)))
            }
            Some(rho) if resamples == 0 => (Some(rho), Some((rho, rho))),
            other => (other, None),
        })
        .collect()
}

/// Orders one figure's correlations by |ρ| (largest first, then by name; undefined
/// last, by name) and numbers the defined ones from 1.
fn rank(figure: &mut [Correlation]) {
    figure.sort_by(|a, b| match (a.rho, b.rho) {
        (Some(x), Some(y)) => y
            .abs()
            .total_cmp(&x.abs())
            .then_with(|| a.parameter.cmp(&b.parameter)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.parameter.cmp(&b.parameter),
    });
    for (i, c) in figure.iter_mut().enumerate() {
        c.rank = c.rho.map(|_| i as u32 + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Outcome;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const BOOT: Bootstrap = Bootstrap {
        master_seed: 7,
        resamples: 1000,
    };

    fn uniform(rng: &mut ChaCha8Rng) -> f64 {
        (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A fault run of replicate `k` with these parameters, budget, ttd and outcome.
    fn row(
        k: u64,
        params: &[(&str, f64)],
        budget: f64,
        ttd: Option<f64>,
        outcome: Outcome,
    ) -> RunRow {
        RunRow {
            run_id: k,
            replicate: k,
            outcome,
            change_started: true,
            change_ended: true,
            fault_active: true,
            impact_started: true,
            detected: ttd.is_some(),
            mitigated: true,
            recovered: true,
            limit_hit: false,
            values: RunRow::values_by(|m| match m {
                Metric::BudgetConsumed => Some(budget),
                Metric::Ttd => ttd,
                Metric::DeployDuration => Some(600.0),
                _ => None,
            }),
            params: params.iter().map(|&(k, v)| (k.to_string(), v)).collect(),
        }
    }

    /// Three uniform parameters; only `leak_rate` drives the budget (plus noise of
    /// its own), so only it may rank first with an interval clear of 0.
    fn one_driver(n: u64) -> Vec<RunRow> {
        let mut rng = ChaCha8Rng::seed_from_u64(2024);
        (0..n)
            .map(|k| {
                let (a, b, c) = (uniform(&mut rng), uniform(&mut rng), uniform(&mut rng));
                let noise = uniform(&mut rng);
                let budget = 3.0 * a + noise;
                row(
                    k,
                    &[("leak_rate", a), ("regression", b), ("startup_s", c)],
                    budget,
                    Some(60.0 + 100.0 * noise),
                    Outcome::Caught,
                )
            })
            .collect()
    }

    #[test]
    fn the_one_parameter_that_drives_the_budget_ranks_first_and_clear_of_zero() {
        let g = sensitivity("leak", "canary", &one_driver(200), 2.0, BOOT)
            .unwrap()
            .unwrap();
        let budget: Vec<&Correlation> = g.of(HEADLINE[0]).collect();
        assert_eq!(budget.len(), 3);
        assert_eq!(budget[0].parameter, "leak_rate");
        assert_eq!(budget[0].rank, Some(1));
        assert_eq!(budget[0].n, 200);
        let (lo, hi) = (budget[0].lo.unwrap(), budget[0].hi.unwrap());
        assert!(lo > 0.0 && lo <= budget[0].rho.unwrap() && budget[0].rho.unwrap() <= hi);
        assert!(budget[0].rho.unwrap() > 0.8, "{:?}", budget[0]);
        for other in &budget[1..] {
            let (lo, hi) = (other.lo.unwrap(), other.hi.unwrap());
            assert!(lo < 0.0 && 0.0 < hi, "{other:?} has no effect");
        }
        assert_eq!(
            (budget[1].rank, budget[2].rank),
            (Some(2), Some(3)),
            "ranks follow |rho|"
        );
        assert!(budget[1].rho.unwrap().abs() >= budget[2].rho.unwrap().abs());
    }

    #[test]
    fn monotone_relations_correlate_exactly_one_and_minus_one() {
        let x: Vec<f64> = (0..20).map(|i| i as f64 * 0.5).collect();
        let up: Vec<f64> = x.iter().map(|v| v.exp()).collect();
        let down: Vec<f64> = x.iter().map(|v| -v * v * v).collect();
        assert_eq!(spearman(&x, &up), Some(1.0));
        assert_eq!(spearman(&x, &down), Some(-1.0));
        // The bootstrap of an exact relation is exact too.
        let rows: Vec<RunRow> = x
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                row(
                    k as u64,
                    &[("p", v)],
                    v.exp(),
                    Some(100.0 - v),
                    Outcome::Caught,
                )
            })
            .collect();
        let g = sensitivity("s", "p", &rows, 1e9, BOOT).unwrap().unwrap();
        let b = g.of(HEADLINE[0]).next().unwrap();
        assert_eq!((b.rho, b.lo, b.hi), (Some(1.0), Some(1.0), Some(1.0)));
        let t = g.of(HEADLINE[1]).next().unwrap();
        assert_eq!((t.rho, t.lo, t.hi), (Some(-1.0), Some(-1.0), Some(-1.0)));
    }

    #[test]
    fn ties_get_average_ranks() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 30.0]),
            [1.0, 2.5, 2.5, 4.0]
        );
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 3.0, 0.0]),
            [4.0, 2.0, 4.0, 4.0, 1.0]
        );
        // By hand: x = [1, 2, 2, 3] ranks [1, 2.5, 2.5, 4]; y = [1, 3, 2, 2] ranks
        // [1, 4, 2.5, 2.5]. Both centre on 2.5: dx = [-1.5, 0, 0, 1.5], dy = [-1.5,
        // 1.5, 0, 0]; Σdxdy = 2.25, Σdx² = Σdy² = 4.5; ρ = 2.25 / 4.5 = 0.5.
        let rho = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 2.0]).unwrap();
        assert!((rho - 0.5).abs() < 1e-15, "{rho}");
    }

    #[test]
    fn resampled_ranks_equal_the_ranks_of_the_expanded_sample() {
        // Counts [0, 3, 1, 2] over values [5, 1, 5, 2] expand to [1, 1, 1, 5, 2, 2]:
        // average ranks 1,1,1 -> 2; 2,2 -> 4.5; 5 -> 6.
        let r = Ranking::new(&[5.0, 1.0, 5.0, 2.0]);
        let mut out = [0.0; 4];
        r.ranks(&[0, 3, 1, 2], &mut out);
        assert_eq!([out[1], out[2], out[3]], [2.0, 6.0, 4.5]);
        let expanded = average_ranks(&[1.0, 1.0, 1.0, 5.0, 2.0, 2.0]);
        assert_eq!(expanded, [2.0, 2.0, 2.0, 6.0, 4.5, 4.5]);
        // And the weighted correlation equals the expanded one.
        let x = [5.0, 1.0, 5.0, 2.0];
        let y = [0.3, 0.1, 0.2, 0.4];
        let counts = [0u32, 3, 1, 2];
        let (mut rx, mut ry) = ([0.0; 4], [0.0; 4]);
        Ranking::new(&x).ranks(&counts, &mut rx);
        Ranking::new(&y).ranks(&counts, &mut ry);
        let weighted = rank_correlation(&counts, &rx, &ry).unwrap();
        let ex = [1.0, 1.0, 1.0, 5.0, 2.0, 2.0];
        let ey = [0.1, 0.1, 0.1, 0.2, 0.4, 0.4];
        let direct = spearman(&ex, &ey).unwrap();
        assert!((weighted - direct).abs() < 1e-12, "{weighted} vs {direct}");
    }

    #[test]
    fn undefined_where_too_few_runs_or_nothing_varies() {
        assert_eq!(spearman(&[1.0, 2.0], &[2.0, 1.0]), None, "two runs");
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[4.0, 4.0, 4.0]), None);
        // A parameter that never varies is unranked and listed last.
        let rows: Vec<RunRow> = (0..10)
            .map(|k| {
                let v = k as f64;
                row(
                    k,
                    &[("a_fixed", 1.0), ("b", v)],
                    v,
                    Some(v),
                    Outcome::Caught,
                )
            })
            .collect();
        let g = sensitivity("s", "p", &rows, 1e9, BOOT).unwrap().unwrap();
        let budget: Vec<&Correlation> = g.of(HEADLINE[0]).collect();
        assert_eq!(budget[0].parameter, "b");
        assert_eq!(budget[0].rank, Some(1));
        assert_eq!(budget[1].parameter, "a_fixed");
        assert_eq!(
            (budget[1].rho, budget[1].lo, budget[1].rank),
            (None, None, None)
        );
    }

    #[test]
    fn ttd_leaves_out_undetected_runs_and_escape_is_an_indicator() {
        // Runs 0..6: a larger `speed` detects later; runs where speed > 6 go
        // undetected and escape. ttd's sample is the 7 detected runs; the escape
        // indicator is defined on all 10 fault runs.
        let rows: Vec<RunRow> = (0..10)
            .map(|k| {
                let v = k as f64;
                let (ttd, o) = if k <= 6 {
                    (Some(10.0 * v), Outcome::Caught)
                } else {
                    (None, Outcome::Escaped)
                };
                row(k, &[("speed", v)], 1.0, ttd, o)
            })
            .collect();
        let g = sensitivity("s", "p", &rows, 1e9, BOOT).unwrap().unwrap();
        let ttd = g.of(HEADLINE[1]).next().unwrap();
        assert_eq!((ttd.n, ttd.rho), (7, Some(1.0)));
        let esc = g.of(HEADLINE[3]).next().unwrap();
        assert_eq!(esc.n, 10);
        // Hand: x ranks 1..10; y = seven 0s (rank 4) and three 1s (rank 9).
        // Σdxdy = Σ over the escaped (x - 5.5)(9 - 5.5) + Σ over the caught (x - 5.5)
        // (4 - 5.5) = 3.5·(2.5+3.5+4.5) - 1.5·(-4.5-3.5-2.5-1.5-0.5+0.5+1.5) = 36.75
        // + 15.75 = 52.5; Σdx² = 82.5; Σdy² = 3·12.25 + 7·2.25 = 52.5.
        let want = 52.5 / (82.5f64 * 52.5).sqrt();
        assert!((esc.rho.unwrap() - want).abs() < 1e-12, "{esc:?} vs {want}");
        // The budget is the same in every run: no correlation, but a sample.
        let b = g.of(HEADLINE[0]).next().unwrap();
        assert_eq!((b.n, b.rho, b.rank), (10, None, None));
    }

    #[test]
    fn good_release_runs_are_not_in_the_escape_sample() {
        let mut rows: Vec<RunRow> = (0..6)
            .map(|k| row(k, &[("p", k as f64)], 1.0, Some(5.0), Outcome::Caught))
            .collect();
        for r in &mut rows[..2] {
            r.fault_active = false;
            r.outcome = Outcome::Succeeded;
        }
        let g = sensitivity("s", "p", &rows, 1e9, BOOT).unwrap().unwrap();
        assert_eq!(g.of(HEADLINE[3]).next().unwrap().n, 4);
    }

    #[test]
    fn the_bootstrap_is_deterministic_and_independent_of_threads_and_order() {
        let rows = one_driver(60);
        let alone = sensitivity("leak", "canary", &rows, 2.0, BOOT).unwrap();
        let other = one_driver(80);
        // Compute on several threads, each doing other work first, in varying order.
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let (rows, other) = (&rows, &other);
                    s.spawn(move || {
                        for _ in 0..t {
                            sensitivity("x", "y", other, 2.0, BOOT).unwrap();
                        }
                        sensitivity("leak", "canary", rows, 2.0, BOOT).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for r in results {
            assert_eq!(r, alone);
        }
        let again = sensitivity("leak", "canary", &rows, 2.0, BOOT).unwrap();
        assert_eq!(again, alone);
        // Another group's identity draws other resamples: the intervals differ.
        let renamed = sensitivity("leak", "blue-green", &rows, 2.0, BOOT)
            .unwrap()
            .unwrap();
        let a = alone.unwrap();
        assert_eq!(a.correlations[0].rho, renamed.correlations[0].rho);
        assert_ne!(
            a.correlations.iter().map(|c| c.lo).collect::<Vec<_>>(),
            renamed
                .correlations
                .iter()
                .map(|c| c.lo)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn exceedance_counts_runs_strictly_above_the_limit() {
        let e = Exceedance::of(&[1.0, 2.0, 2.0000001, 5.0], 2.0);
        let r = e.rate.unwrap();
        assert_eq!((r.k, r.n), (2, 4), "2.0 is at the limit, not above it");
        assert_eq!(e.limit_pct, 2.0);
        let w = wilson(2, 4).unwrap();
        assert_eq!((r.lo, r.hi), (w.lo, w.hi));
        assert_eq!(Exceedance::of(&[], 2.0).rate, None);
        let g = sensitivity("leak", "canary", &one_driver(50), 2.0, BOOT)
            .unwrap()
            .unwrap();
        let over = one_driver(50)
            .iter()
            .filter(|r| r.value(Metric::BudgetConsumed).unwrap() > 2.0)
            .count() as u64;
        assert_eq!(g.exceedance.rate.unwrap().k, over);
        assert_eq!(g.exceedance.rate.unwrap().n, 50);
    }

    #[test]
    fn no_parameters_no_sensitivity_and_mismatched_keys_are_refused() {
        let mut rows: Vec<RunRow> = (0..5)
            .map(|k| row(k, &[], 1.0, Some(1.0), Outcome::Caught))
            .collect();
        assert_eq!(sensitivity("s", "p", &rows, 2.0, BOOT), Ok(None));
        assert_eq!(sensitivity("s", "p", &[], 2.0, BOOT), Ok(None));
        for (k, r) in rows.iter_mut().enumerate() {
            r.params = vec![("a".into(), k as f64)];
        }
        rows[3].params = vec![("b".into(), 1.0)];
        let e = sensitivity("s", "p", &rows, 2.0, BOOT).unwrap_err();
        assert_eq!(
            e,
            "run 3 has uncertain parameters [b], run 0 of the same group has [a]"
        );
    }

    #[test]
    fn zero_resamples_give_point_intervals() {
        let boot = Bootstrap {
            master_seed: 1,
            resamples: 0,
        };
        let g = sensitivity("leak", "canary", &one_driver(30), 2.0, boot)
            .unwrap()
            .unwrap();
        for c in &g.correlations {
            assert_eq!((c.lo, c.hi), (c.rho, c.rho), "{c:?}");
        }
    }
}
