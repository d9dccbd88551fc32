//! Numeric flags, in one place for every command: the value parsers, and the two
//! things clap needs to let them speak.
//!
//! Left alone, clap reads `--seed -1` as the flag `--seed` followed by an unknown flag
//! `-1`, and says `unexpected argument '-1' found` without naming `--seed`. So
//! `accept_negative_numbers` lets every numeric flag take a value that looks like a
//! negative number (and `--shard` any value starting with `-`), so that its parser
//! sees it; each parser says what the flag accepts; and `exit_on_error` prints that
//! as `error: --seed: expected a whole number from 0 to 18446744073709551615, found
//! -1`, exit code 2 (clap's own code for usage errors, kept for all the others).

use std::any::TypeId;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command};
use runner::sweep::plan::Shard;
use sim_core::duration_text;

/// A whole number from `MIN` to `MAX`, as the type the flag holds.
pub fn whole<T: TryFrom<u64>, const MIN: u64, const MAX: u64>(s: &str) -> Result<T, String> {
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|v| (MIN..=MAX).contains(v))
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| format!("expected a whole number from {MIN} to {MAX}"))
}

/// `2%` or `2` (percent), from 0 to 100.
pub fn percent(s: &str) -> Result<f64, String> {
    s.trim()
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|v| (0.0..=100.0).contains(v))
        .ok_or_else(|| "expected a percentage from 0 to 100, e.g. 2%".to_string())
}

/// A confidence: a probability at least 0.5 and below 1 (`0.95`, or `95%`).
pub fn confidence(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok().map(|p| p / 100.0),
        None => t.parse::<f64>().ok(),
    };
    v.filter(|c| (0.5..1.0).contains(c)).ok_or_else(|| {
        "expected a confidence at least 0.5 and below 1, e.g. 0.95 or 95%".to_string()
    })
}

/// `30m`, `90s`, `1.5h` or a bare number of seconds; not negative.
/// The workspace's one duration parser (`sim_core::duration_text::parse`).
pub fn duration(s: &str) -> Result<f64, String> {
    duration_text::parse(s).ok_or_else(|| format!("expected {}", duration_text::EXPECTED))
}

/// Seconds since the Unix epoch, 0 or more.
pub fn unix_seconds(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| "expected Unix seconds, a number of 0 or more".to_string())
}

/// A moment: Unix seconds (`1700000000`, `1700000000.5`) or an RFC 3339 date-time
/// (`2023-11-14T22:13:20Z`, `2023-11-14T23:13:20.5+01:00`), at or after 1970 and at or
/// before `policies::live::MAX_TIME`; as Unix seconds.
pub fn time_point(s: &str) -> Result<f64, String> {
    let s = s.trim();
    let expected = "expected Unix seconds or an RFC 3339 time such as 2023-11-14T22:13:20Z";
    let t = if s.contains('-') && s.len() > 10 {
        sim_core::rfc3339::parse(s)
            .map_err(|why| format!("{why}: {expected}"))?
            .as_secs_f64()
    } else {
        unix_seconds(s).map_err(|_| expected.to_string())?
    };
    if t < 0.0 {
        return Err(format!("before 1970: {expected}"));
    }
    if t > policies::live::MAX_TIME {
        return Err(format!(
            "after {} (Unix seconds, the year 2286)",
            policies::live::MAX_TIME
        ));
    }
    Ok(t)
}

/// Lets every numeric flag of `cmd` and its subcommands take a value that looks like
/// a negative number, and `--shard` a value starting with `-` (`-1/3`), so that their
/// parsers, not clap, judge it. Flags are recognised by the type their parser gives.
pub fn accept_negative_numbers(cmd: Command) -> Command {
    cmd.mut_args(|arg| {
        if takes_number(&arg) {
            arg.allow_negative_numbers(true)
        } else if arg.get_action().takes_values()
            && arg.get_value_parser().type_id() == TypeId::of::<Shard>()
        {
            arg.allow_hyphen_values(true)
        } else {
            arg
        }
    })
    .mut_subcommands(accept_negative_numbers)
}

/// Whether `arg` takes a value its parser turns into a number.
pub fn takes_number(arg: &Arg) -> bool {
    let ty = arg.get_value_parser().type_id();
    arg.get_action().takes_values()
        && [
            TypeId::of::<u64>(),
            TypeId::of::<u32>(),
            TypeId::of::<u16>(),
            TypeId::of::<usize>(),
            TypeId::of::<f64>(),
        ]
        .iter()
        .any(|t| ty == *t)
}

/// A bad value as `error: FLAG: WHAT IT ACCEPTS, found VALUE`; `None` for errors clap
/// words well itself.
pub fn bad_value_message(e: &clap::Error) -> Option<String> {
    if e.kind() != ErrorKind::ValueValidation {
        return None;
    }
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let flag = text(ContextKind::InvalidArg)?;
    let value = text(ContextKind::InvalidValue)?;
    let why = std::error::Error::source(e)?.to_string();
    // `--seed <SEED>` → `--seed`.
    let flag = flag.split(' ').next().unwrap_or(&flag).to_string();
    Some(format!("error: {flag}: {why}, found {value}"))
}

/// Ends the process for a command line clap refused: help and version on stdout with
/// exit 0, usage errors with exit 2.
pub fn exit_on_error(e: clap::Error) -> ! {
    match bad_value_message(&e) {
        Some(msg) => {
            eprintln!("{msg}");
            std::process::exit(2)
        }
        None => e.exit(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_at_the_bounds() {
        assert_eq!(
            whole::<u64, 0, { u64::MAX }>("18446744073709551615"),
            Ok(u64::MAX)
        );
        assert_eq!(whole::<u64, 0, { u64::MAX }>("0"), Ok(0));
        let e = whole::<u64, 0, { u64::MAX }>("-1").unwrap_err();
        assert_eq!(e, "expected a whole number from 0 to 18446744073709551615");
        assert!(whole::<u64, 0, { u64::MAX }>("18446744073709551616").is_err());
        assert_eq!(whole::<usize, 1, 1024>("1024"), Ok(1024));
        assert!(whole::<usize, 1, 1024>("1025").is_err());
        assert!(whole::<usize, 1, 1024>("0").is_err());
        assert!(whole::<u16, 0, 65535>("65536").is_err());
        assert!(whole::<u64, 0, 9>("1.5").is_err());
        assert!(whole::<u64, 0, 9>("").is_err());
    }

    #[test]
    fn percentages_durations_and_times() {
        assert_eq!(percent("2%"), Ok(2.0));
        assert_eq!(percent("100"), Ok(100.0));
        assert!(percent("-1").is_err() && percent("100.5%").is_err() && percent("x").is_err());
        assert_eq!(confidence("0.95"), Ok(0.95));
        assert_eq!(confidence("95%"), Ok(0.95));
        assert_eq!(confidence("0.5"), Ok(0.5));
        assert!(
            confidence("0.4999").is_err()
                && confidence("1").is_err()
                && confidence("100%").is_err()
        );
        assert_eq!(duration("30m"), Ok(1800.0));
        assert_eq!(duration("0"), Ok(0.0));
        assert!(duration("-1").is_err() && duration("-1m").is_err() && duration("inf").is_err());
        assert_eq!(unix_seconds("0"), Ok(0.0));
        assert!(unix_seconds("-1").is_err() && unix_seconds("NaN").is_err());
    }

    #[test]
    fn times_in_unix_seconds_and_rfc3339() {
        assert_eq!(time_point("1700000000"), Ok(1_700_000_000.0));
        assert_eq!(time_point("1700000000.5"), Ok(1_700_000_000.5));
        assert_eq!(time_point("2023-11-14T22:13:20Z"), Ok(1_700_000_000.0));
        assert_eq!(time_point("2023-11-14t22:13:20z"), Ok(1_700_000_000.0));
        assert_eq!(
            time_point("2023-11-14 23:13:20.25+01:00"),
            Ok(1_700_000_000.25)
        );
        assert_eq!(time_point("2023-11-14T17:13:20-05:00"), Ok(1_700_000_000.0));
        assert_eq!(time_point("1970-01-01T00:00:00Z"), Ok(0.0));
        assert_eq!(time_point("2000-03-01T00:00:00Z"), Ok(951_868_800.0));
        assert_eq!(time_point("2024-02-29T00:00:00Z"), Ok(1_709_164_800.0));
        for bad in [
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-11-14T24:00:00Z",
            "2023-11-14T23:59:60Z",
            "2023-11-14T22:13:20",
            "2023-11-14T22:13:20+1:00",
            "2023-11-14T22:13:20.Z",
            "2023-11-14",
            "1969-12-31T23:59:59Z",
            "2300-01-01T00:00:00Z",
            "-1",
            "soon",
            "",
        ] {
            assert!(time_point(bad).is_err(), "{bad}");
        }
        assert!(
            time_point("2023-02-29T00:00:00Z")
                .unwrap_err()
                .contains("is not a date")
        );
    }
}
