//! The scenario keys a power analysis sweeps, and how an effect size is said in words.
//!
//! Each key is a candidate parameter that the scenario turns into a release fault when
//! it is worse than the baseline's (`Scenario::faults`): the baseline's value is the
//! no-regression point, and larger is worse. Other keys have no natural "no effect"
//! value, so a power analysis refuses them.

/// A regression a power analysis can size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EffectKey {
    ErrorProbability,
    LatencyMultiplier,
    CrashOnStartProbability,
    LeakMbPerSecond,
    LeakKbPerRequest,
}

impl EffectKey {
    pub const ALL: [EffectKey; 5] = [
        EffectKey::ErrorProbability,
        EffectKey::LatencyMultiplier,
        EffectKey::CrashOnStartProbability,
        EffectKey::LeakMbPerSecond,
        EffectKey::LeakKbPerRequest,
    ];

    /// The scenario key (as `--set scenario.KEY` names it, without `scenario.`).
    pub fn key(self) -> &'static str {
        match self {
            EffectKey::ErrorProbability => "candidate.error_probability",
            EffectKey::LatencyMultiplier => "candidate.latency_multiplier",
            EffectKey::CrashOnStartProbability => "candidate.crash_on_start_probability",
            EffectKey::LeakMbPerSecond => "candidate.memory.leak_mb_per_second",
            EffectKey::LeakKbPerRequest => "candidate.memory.leak_kb_per_request",
        }
    }

    /// The baseline key whose value is the no-regression point.
    pub fn baseline_key(self) -> String {
        self.key().replacen("candidate.", "baseline.", 1)
    }

    /// `candidate.error_probability` or `scenario.candidate.error_probability`.
    pub fn parse(key: &str) -> Option<EffectKey> {
        let key = key.strip_prefix("scenario.").unwrap_or(key);
        EffectKey::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The effect of `value` against the baseline's `baseline`, in words: `+0.5%
    /// errors` (percentage points of error probability), `+30% latency` (relative to
    /// the baseline's multiplier), `+5% crashes on start`, `a 1.5 MB/s leak`, `a 2
    /// KB/request leak` (beyond the baseline's own).
    pub fn describe(self, value: f64, baseline: f64) -> String {
        let d = value - baseline;
        match self {
            EffectKey::ErrorProbability => format!("+{}% errors", sig(100.0 * d)),
            EffectKey::LatencyMultiplier => {
                format!("+{}% latency", sig(100.0 * (value / baseline - 1.0)))
            }
            EffectKey::CrashOnStartProbability => format!("+{}% crashes on start", sig(100.0 * d)),
            EffectKey::LeakMbPerSecond => format!("a {} MB/s leak", sig(d)),
            EffectKey::LeakKbPerRequest => format!("a {} KB/request leak", sig(d)),
        }
    }
}

/// Two significant digits (every integer digit of a larger number), trailing zeros
/// cut: `0.52`, `1.5`, `30`, `123`.
pub fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    let digits = (1 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_with_or_without_the_prefix() {
        for k in EffectKey::ALL {
            assert_eq!(EffectKey::parse(k.key()), Some(k));
            assert_eq!(EffectKey::parse(&format!("scenario.{}", k.key())), Some(k));
        }
        assert_eq!(EffectKey::parse("candidate.memory.limit_mb"), None);
        assert_eq!(EffectKey::parse("policy.candidate.error_probability"), None);
        assert_eq!(
            EffectKey::LeakMbPerSecond.baseline_key(),
            "baseline.memory.leak_mb_per_second"
        );
    }

    #[test]
    fn effects_are_said_against_the_baseline() {
        use EffectKey::*;
        assert_eq!(ErrorProbability.describe(0.005, 0.0), "+0.5% errors");
        assert_eq!(ErrorProbability.describe(0.0152, 0.001), "+1.4% errors");
        assert_eq!(LatencyMultiplier.describe(1.3, 1.0), "+30% latency");
        assert_eq!(LatencyMultiplier.describe(2.6, 2.0), "+30% latency");
        assert_eq!(
            CrashOnStartProbability.describe(0.05, 0.0),
            "+5% crashes on start"
        );
        assert_eq!(LeakMbPerSecond.describe(1.5, 0.0), "a 1.5 MB/s leak");
        assert_eq!(LeakKbPerRequest.describe(12.0, 2.0), "a 10 KB/request leak");
    }

    #[test]
    fn two_significant_digits() {
        assert_eq!(sig(0.523), "0.52");
        assert_eq!(sig(0.0996), "0.1");
        assert_eq!(sig(1.0), "1");
        assert_eq!(sig(123.4), "123");
        assert_eq!(sig(0.0), "0");
        assert_eq!(sig(-0.25), "-0.25");
    }
}
