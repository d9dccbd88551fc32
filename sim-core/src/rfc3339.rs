//! RFC 3339 times (`2023-11-14T22:13:20Z`, `2026-01-01T02:00:00.250+02:00`), read by
//! the one parser the CLI's `--at`/`--from`/`--to` and `run --epoch` share. Hand-written
//! rather than a date crate: it is sixty lines, needs no time zone database (RFC 3339
//! carries its offset) and must never consult the clock.

/// A moment as Unix seconds and the nanoseconds past them (`nanos` < 10^9); `secs` is
/// negative before 1970.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant {
    pub secs: i64,
    pub nanos: u32,
}

impl Instant {
    /// As Unix seconds with a fraction.
    pub fn as_secs_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }
}

/// RFC 3339 `date-time`: `YYYY-MM-DD`, `T` (or `t` or a space), `hh:mm:ss`, optional
/// fractions, and `Z` or an offset `±hh:mm`.
pub fn parse(s: &str) -> Result<Instant, String> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> Result<i64, String> {
        let part = match s.get(from..from + n) {
            Some(part) => part,
            None if s.len() < from + n => return Err("too short".into()),
            None => return Err(format!("not {n} digits at position {}", from + 1)),
        };
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!("{part:?} is not {n} digits"));
        }
        Ok(part.parse::<i64>().expect("digits"))
    };
    let sep = |at: usize, want: &[u8]| -> Result<(), String> {
        match b.get(at) {
            Some(c) if want.contains(c) => Ok(()),
            _ => Err(format!(
                "expected {:?} at position {}",
                want.iter().map(|&c| c as char).collect::<String>(),
                at + 1
            )),
        }
    };
    let year = digits(0, 4)?;
    sep(4, b"-")?;
    let month = digits(5, 2)?;
    sep(7, b"-")?;
    let day = digits(8, 2)?;
    sep(10, b"Tt ")?;
    let hour = digits(11, 2)?;
    sep(13, b":")?;
    let minute = digits(14, 2)?;
    sep(16, b":")?;
    let second = digits(17, 2)?;
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start || i - start > 9 {
            return Err("fractions of a second need 1 to 9 digits".into());
        }
        nanos = format!("{:0<9}", &s[start..i])
            .parse::<u32>()
            .expect("at most nine digits");
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(c @ (b'+' | b'-')) if i + 6 == b.len() => {
            let h = digits(i + 1, 2)?;
            sep(i + 3, b":")?;
            let m = digits(i + 4, 2)?;
            if h > 23 || m > 59 {
                return Err("the offset is not a time of day".into());
            }
            let o = h * 3600 + m * 60;
            if *c == b'-' { -o } else { o }
        }
        _ => return Err("expected Z or an offset such as +01:00 after the time".into()),
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) || day < 1 || day > days_in[month as usize - 1] {
        return Err(format!("{year:04}-{month:02}-{day:02} is not a date"));
    }
    // A leap second (:60) is refused: Unix time has none.
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!(
            "{hour:02}:{minute:02}:{second:02} is not a time of day"
        ));
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days inverse).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(Instant {
        secs: days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utc_offsets_and_fractions() {
        let t = |s| parse(s).unwrap();
        assert_eq!(t("1970-01-01T00:00:00Z"), Instant { secs: 0, nanos: 0 });
        assert_eq!(t("2023-11-14T22:13:20Z").secs, 1_700_000_000);
        assert_eq!(t("2023-11-14T23:13:20+01:00").secs, 1_700_000_000);
        assert_eq!(t("2023-11-14t21:13:20-01:00").secs, 1_700_000_000);
        assert_eq!(
            t("2023-11-14 22:13:20.25z"),
            Instant {
                secs: 1_700_000_000,
                nanos: 250_000_000
            }
        );
        assert_eq!(t("2023-11-14T22:13:20.123456789Z").nanos, 123_456_789);
        assert_eq!(t("2024-02-29T00:00:00Z").secs, 1_709_164_800);
        assert_eq!(t("1969-12-31T23:59:59Z").secs, -1);
    }

    #[test]
    fn refuses_what_is_not_a_time_naming_why() {
        for (s, why) in [
            ("2025-02-29T00:00:00Z", "is not a date"),
            ("2026-13-01T00:00:00Z", "is not a date"),
            ("2026-01-01T24:00:00Z", "is not a time of day"),
            ("2026-01-01T23:59:60Z", "is not a time of day"),
            ("2026-01-01T00:00:00+0200", "expected Z or an offset"),
            ("2026-01-01T00:00:00", "expected Z or an offset"),
            ("2026-01-01T00:00:00.Z", "1 to 9 digits"),
            ("2026-01-01T00:00:00.1234567890Z", "1 to 9 digits"),
            ("2026-01-01T00:00:00+24:00", "not a time of day"),
            ("2026/01/01T00:00:00Z", "expected \"-\" at position 5"),
            ("2026-01-01", "expected"),
            ("2026-01-01T00:00:0é", "digits"),
        ] {
            let e = parse(s).unwrap_err();
            assert!(e.contains(why), "{s}: {e}");
        }
    }
}
