//! Durations as Argo Rollouts and Flagger read them: Go's `time.ParseDuration`
//! (`30s`, `5m`, `1h30m`, `1.5h`, `500ms`), which both controllers call on their
//! `interval`, `initialDelay` and `pause.duration` strings. Go's grammar, not
//! rollcage's own `--for 30m` reader: a number needs a unit (`"90"` is not a Go
//! duration), units may follow one another, and `0` alone is zero.

/// Nanoseconds in each unit Go accepts, longest spelling first where one is a prefix
/// of another (`ms` before `m`, `ns` before `s`...).
const UNITS: [(&str, f64); 8] = [
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("μs", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("m", 60e9),
    ("h", 3600e9),
];

/// A Go duration in seconds (negative durations included, as Go reads them; callers
/// refuse them), or why it is not one.
pub fn parse(text: &str) -> Result<f64, String> {
    let bad = |why: &str| {
        Err(format!(
            "{text:?} is not a Go duration ({why}), e.g. 30s, 5m, 1h30m"
        ))
    };
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(0.0);
    }
    if rest.is_empty() {
        return bad("empty");
    }
    let mut nanos = 0.0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(digits);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return bad("a number is missing before a unit");
        }
        let Some(&(unit, scale)) = UNITS.iter().find(|(u, _)| tail.starts_with(u)) else {
            return bad(if tail.is_empty() {
                "a number without a unit"
            } else {
                "an unknown unit"
            });
        };
        let value: f64 = number
            .parse()
            .map_err(|_| format!("{text:?}: bad number"))?;
        nanos += value * scale;
        rest = &tail[unit.len()..];
    }
    // Go holds a duration in an int64 of nanoseconds, about 292 years.
    if nanos > i64::MAX as f64 {
        return bad("longer than Go's largest duration");
    }
    let seconds = nanos / 1e9;
    Ok(if negative { -seconds } else { seconds })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_go_reads() {
        for (text, seconds) in [
            ("30s", 30.0),
            ("5m", 300.0),
            ("1h", 3600.0),
            ("1h30m", 5400.0),
            ("1.5h", 5400.0),
            ("500ms", 0.5),
            ("2m30s", 150.0),
            ("0", 0.0),
            ("0s", 0.0),
            ("+10s", 10.0),
            ("-10s", -10.0),
            (".5s", 0.5),
            ("1.s", 1.0),
            ("100us", 0.0001),
            ("1µs", 0.000001),
        ] {
            assert_eq!(parse(text), Ok(seconds), "{text}");
        }
    }

    #[test]
    fn refuses_what_go_refuses() {
        for text in [
            "", "90", "10 m", "1d", "m", "1..5s", "s5", "1h 30m", "-", ".",
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains("is not a Go duration"), "{text}: {e}");
        }
        assert!(parse("3000000h").unwrap_err().contains("largest"));
    }
}
