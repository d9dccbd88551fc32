//! Log-linear latency histograms with at most 0.8% relative error.
//!
//! Values are microseconds. Below 64 µs every value has its own bucket; above, each
//! power of two is split into 64 equal buckets, so a bucket is at most 1/64 of its lower
//! bound wide and its midpoint is within 1/128 (0.78%) of any value in it. Recording is
//! a leading-zero count and an add: cheap enough for every request.

const SUB_BITS: u32 = 6;
const SUB: usize = 1 << SUB_BITS;
/// Values at or above 2^MAX_MSB µs (about 9.5 hours) land in the last bucket.
const MAX_MSB: u32 = 35;
/// Number of buckets.
pub const BUCKETS: usize = (MAX_MSB - SUB_BITS + 2) as usize * SUB;

/// Bucket index of a value in microseconds.
#[inline]
pub fn bucket_of(micros: u64) -> usize {
    if micros < SUB as u64 {
        return micros as usize;
    }
    let msb = 63 - micros.leading_zeros();
    if msb > MAX_MSB {
        return BUCKETS - 1;
    }
    let shift = msb - SUB_BITS;
    (shift as usize + 1) * SUB + ((micros >> shift) as usize - SUB)
}

/// The value a bucket stands for: its midpoint (exact below 64 µs).
pub fn bucket_value(index: usize) -> f64 {
    if index < SUB {
        return index as f64;
    }
    let shift = (index / SUB - 1) as u32;
    let lower = ((index % SUB + SUB) as u64) << shift;
    let width = 1u64 << shift;
    lower as f64 + (width as f64 - 1.0) / 2.0
}

/// The integer microsecond values a bucket holds: `(lowest, highest)`, both included.
/// Buckets are contiguous (bucket `i + 1` starts one above bucket `i`'s highest), and
/// [`bucket_value`] is the midpoint of the two. The last bucket also holds every value
/// above its range (2^36 µs and more, about 19 hours).
pub fn bucket_range(index: usize) -> (u64, u64) {
    if index < SUB {
        return (index as u64, index as u64);
    }
    let shift = (index / SUB - 1) as u32;
    let lower = ((index % SUB + SUB) as u64) << shift;
    (lower, lower + (1u64 << shift) - 1)
}

/// The nearest-rank quantile, in microseconds, from cumulative bucket counts such as
/// Prometheus holds: `(le, count)` pairs in seconds, sorted by `le`, the `+Inf` bucket
/// last, where the bounds are the edges of this module's buckets as `metrics.om`
/// writes them (each bucket that holds a value has both its edges among the bounds,
/// at half a microsecond outside its integer range). The rank is that of
/// [`SparseHistogram::quantile`], `ceil(q × total)` (at least 1); the answer is the
/// midpoint of the first bucket whose cumulative count reaches it and the bound before
/// it, which is [`bucket_value`] of the bucket holding that rank. `None` without counts.
pub fn quantile_from_bounds(buckets: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = (q.clamp(0.0, 1.0) * total).ceil().max(1.0);
    let mut lower = None;
    for &(le, count) in buckets {
        if count >= rank && le.is_finite() {
            return lower.map(|lo: f64| (lo + le) / 2.0 * 1e6);
        }
        lower = Some(le);
    }
    None
}

/// A dense histogram: a count per bucket plus the exact sum for the mean.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
    sum_micros: u128,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("total", &self.total)
            .field("mean_micros", &self.mean())
            .finish()
    }
}

impl Histogram {
    pub fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
            sum_micros: 0,
        }
    }

    #[inline]
    pub fn record(&mut self, micros: u64) {
        self.counts[bucket_of(micros)] += 1;
        self.total += 1;
        self.sum_micros += micros as u128;
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// Records `n` requests of the same latency (imported histograms).
    pub fn record_n(&mut self, micros: u64, n: u64) {
        self.counts[bucket_of(micros)] += n;
        self.total += n;
        self.sum_micros += micros as u128 * n as u128;
    }

    /// Records `n` requests in bucket `index`, each at the bucket's value: the fluid
    /// engine adds a step's latency law as bucket masses, not request by request.
    pub fn record_bucket_n(&mut self, index: usize, n: u64) {
        let (lo, hi) = bucket_range(index.min(BUCKETS - 1));
        self.counts[index.min(BUCKETS - 1)] += n;
        self.total += n;
        // n × the midpoint (lo + hi) / 2, rounded half up, in integers.
        self.sum_micros += ((lo as u128 + hi as u128) * n as u128).div_ceil(2);
    }

    /// Mean in microseconds (exact), `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.total > 0).then(|| self.sum_micros as f64 / self.total as f64)
    }

    /// Nearest-rank quantile in microseconds, `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        quantile_of(self.total, self.counts.iter().copied().enumerate(), q)
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.total += other.total;
        self.sum_micros += other.sum_micros;
    }

    pub fn merge_sparse(&mut self, other: &SparseHistogram) {
        for &(i, c) in &other.counts {
            self.counts[i as usize] += c as u64;
        }
        self.total += other.total;
        self.sum_micros += other.sum_micros;
    }

    /// The non-empty buckets, for compact storage; leaves `self` empty.
    pub fn take_sparse(&mut self) -> SparseHistogram {
        let mut counts = Vec::new();
        for (i, c) in self.counts.iter_mut().enumerate() {
            if *c > 0 {
                counts.push((i as u16, u32::try_from(*c).unwrap_or(u32::MAX)));
                *c = 0;
            }
        }
        let sparse = SparseHistogram {
            counts,
            total: self.total,
            sum_micros: self.sum_micros,
        };
        self.total = 0;
        self.sum_micros = 0;
        sparse
    }

    pub fn clear(&mut self) {
        self.counts.fill(0);
        self.total = 0;
        self.sum_micros = 0;
    }
}

/// A histogram stored as its non-empty buckets: what one scrape interval keeps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseHistogram {
    counts: Vec<(u16, u32)>,
    total: u64,
    sum_micros: u128,
}

impl SparseHistogram {
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn quantile(&self, q: f64) -> Option<f64> {
        quantile_of(
            self.total,
            self.counts.iter().map(|&(i, c)| (i as usize, c as u64)),
            q,
        )
    }

    pub fn mean(&self) -> Option<f64> {
        (self.total > 0).then(|| self.sum_micros as f64 / self.total as f64)
    }

    /// The non-empty buckets in order, as (the value the bucket stands for in µs,
    /// count): what a rank test over the histogram sees.
    pub fn buckets(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.counts
            .iter()
            .map(|&(i, c)| (bucket_value(i as usize), c as u64))
    }

    /// The non-empty buckets in order, as (bucket index, count): for writers that keep
    /// the buckets themselves (`bucket_range` gives their bounds).
    pub fn bins(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.counts.iter().map(|&(i, c)| (i as usize, c as u64))
    }

    /// The exact sum of the recorded values, in microseconds.
    pub fn sum_micros(&self) -> u128 {
        self.sum_micros
    }

    /// Builds one from (latency µs, count) pairs (imported metrics).
    pub fn from_counts(values: impl IntoIterator<Item = (u64, u64)>) -> Self {
        let mut h = Histogram::new();
        for (v, n) in values {
            h.record_n(v, n);
        }
        h.take_sparse()
    }

    /// Builds one from raw microsecond values (tests and imported metrics).
    pub fn from_values(values: impl IntoIterator<Item = u64>) -> Self {
        let mut h = Histogram::new();
        for v in values {
            h.record(v);
        }
        h.take_sparse()
    }
}

fn quantile_of(total: u64, buckets: impl Iterator<Item = (usize, u64)>, q: f64) -> Option<f64> {
    if total == 0 {
        return None;
    }
    let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
    let mut seen = 0;
    let mut last = 0;
    for (i, c) in buckets {
        if c == 0 {
            continue;
        }
        seen += c;
        last = i;
        if seen >= rank {
            return Some(bucket_value(i));
        }
    }
    Some(bucket_value(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotone_and_within_error_bound() {
        let mut prev = 0;
        let mut v = 1u64;
        while v < (1u64 << MAX_MSB) {
            let i = bucket_of(v);
            assert!(i >= prev, "bucket index went down at {v}");
            prev = i;
            let rel = (bucket_value(i) - v as f64).abs() / v as f64;
            assert!(rel <= 1.0 / 128.0 + 1e-12, "value {v}: error {rel}");
            v = v + 1 + v / 37;
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn bucket_ranges_are_contiguous_and_centred_on_their_values() {
        let mut next = 0;
        for i in 0..BUCKETS {
            let (lo, hi) = bucket_range(i);
            assert_eq!(lo, next, "bucket {i}");
            assert_eq!(bucket_of(lo), i);
            assert_eq!(bucket_of(hi), i);
            assert_eq!(bucket_value(i), (lo as f64 + hi as f64) / 2.0);
            next = hi + 1;
        }
    }

    #[test]
    fn quantiles_of_uniform_values() {
        let h = SparseHistogram::from_values(1..=100_000);
        for q in [0.5, 0.95, 0.99] {
            let expect = q * 100_000.0;
            let got = h.quantile(q).unwrap();
            assert!((got - expect).abs() / expect < 0.01, "q{q}: {got}");
        }
        assert_eq!(h.mean().unwrap(), 50_000.5);
        assert_eq!(SparseHistogram::default().quantile(0.5), None);
    }

    #[test]
    fn sparse_round_trip_and_merge() {
        let mut a = Histogram::new();
        for v in [10, 2000, 2000, 90_000] {
            a.record(v);
        }
        let s = a.take_sparse();
        assert_eq!(a.total(), 0);
        let mut b = Histogram::new();
        b.merge_sparse(&s);
        b.merge_sparse(&s);
        assert_eq!(b.total(), 8);
        assert_eq!(b.quantile(0.5).unwrap(), bucket_value(bucket_of(2000)));
    }

    #[test]
    fn bucket_masses_record_at_the_bucket_value() {
        let mut h = Histogram::new();
        let i = bucket_of(20_000);
        h.record_bucket_n(i, 4);
        assert_eq!(h.total(), 4);
        assert_eq!(h.quantile(0.5).unwrap(), bucket_value(i));
        assert!(
            (h.mean().unwrap() - bucket_value(i)).abs() <= 0.125,
            "{:?}",
            h.mean()
        );
    }

    #[test]
    fn counts_and_buckets_agree_with_values() {
        let a = SparseHistogram::from_counts([(2000, 3), (10, 1)]);
        let b = SparseHistogram::from_values([10, 2000, 2000, 2000]);
        assert_eq!(a, b);
        let buckets: Vec<(f64, u64)> = a.buckets().collect();
        assert_eq!(buckets, vec![(10.0, 1), (bucket_value(bucket_of(2000)), 3)]);
    }
}
