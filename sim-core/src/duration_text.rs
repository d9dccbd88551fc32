//! The one duration formatter and the one duration parser of the workspace: every crate
//! that writes seconds as text (`45.0 s`, `3 min 5 s`, `5m`, `90s`) or reads a duration
//! from a flag or an assertion (`30m`, `90s`, `1.5h`) comes here, so a format changes in
//! one place. sim-core is the one crate every other depends on; this module is pure text,
//! no I/O and no clock.
//!
//! The readers of these texts differ, so the formatter takes a [`Style`]: people read
//! reports (`Human`, `Window`) and progress lines (`Elapsed`); controllers and alerting
//! rules read Go/Prometheus durations (`Go`) and Argo reads whole seconds
//! (`WholeSeconds`). Each style writes
//! exactly the bytes its call sites wrote before they shared it (golden files pin them).

/// How [`format`] writes a number of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// One decimal in the largest unit the value has at least 2 of, up to hours:
    /// `45.0 s`, `12.5 min`, `2.1 h` (reports, summaries, runbooks).
    Human,
    /// Rounded to whole seconds, in two whole units: `42 s`, `3 min 5 s`, `2 h 10 min`
    /// (the progress line's time left, where a decimal would only flicker).
    Elapsed,
    /// A Go duration in whole seconds, at least `1s` (zero and below mean "none" to the
    /// controllers), in the largest unit that divides it exactly: `90s`, `5m`, and `1h`
    /// when `hours` (Prometheus). Flagger's `^[0-9]+(m|s)` and the Chaos Mesh durations
    /// written so far take no hours.
    Go { hours: bool },
    /// Rounded whole seconds with an `s`: `90s`, `600s` (Argo Rollouts' durations).
    WholeSeconds,
    /// Hours from one hour up, else minutes, with as many decimals as the value needs:
    /// `1 h`, `6 h`, `5 m`, `0.5 m` (the alert windows in the reports' chart captions).
    Window,
}

/// `seconds` as text in `style`.
pub fn format(seconds: f64, style: Style) -> String {
    match style {
        Style::Human => {
            let (div, unit) = human_unit(seconds);
            format!("{:.1} {unit}", seconds / div)
        }
        Style::Elapsed => {
            let s = seconds.round() as u64;
            match s {
                0..60 => format!("{s} s"),
                60..3600 => format!("{} min {} s", s / 60, s % 60),
                _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
            }
        }
        Style::Go { hours } => {
            let s = seconds.round().max(1.0) as u64;
            if hours && s.is_multiple_of(3600) {
                format!("{}h", s / 3600)
            } else if s.is_multiple_of(60) {
                format!("{}m", s / 60)
            } else {
                format!("{s}s")
            }
        }
        Style::WholeSeconds => format!("{}s", seconds.round() as i64),
        Style::Window if seconds >= 3600.0 => format!("{} h", seconds / 3600.0),
        Style::Window => format!("{} m", seconds / 60.0),
    }
}

/// The divisor and unit [`Style::Human`] writes `seconds` in, so an interval can be
/// written in the unit of its estimate (`4.1–4.5 min`).
pub fn human_unit(seconds: f64) -> (f64, &'static str) {
    if seconds.abs() < 120.0 {
        (1.0, "s")
    } else if seconds.abs() < 7200.0 {
        (60.0, "min")
    } else {
        (3600.0, "h")
    }
}

/// What [`parse`] accepts, for error messages.
pub const EXPECTED: &str = "a duration of 0 or more, e.g. 30m, 90s, 1h (a bare number is seconds)";

/// Parses `90s`, `20m`, `1.5h` or a bare number of seconds (spaces around the number
/// allowed): finite and not negative, else `None` (the caller names the flag or key).
pub fn parse(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        (t, 1.0)
    };
    num.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_style_writes_what_its_readers_expect() {
        let cases = [
            (Style::Human, 45.0, "45.0 s"),
            (Style::Human, 119.94, "119.9 s"),
            (Style::Human, 750.0, "12.5 min"),
            (Style::Human, 7560.0, "2.1 h"),
            (Style::Human, -30.0, "-30.0 s"),
            (Style::Elapsed, 42.4, "42 s"),
            (Style::Elapsed, 185.0, "3 min 5 s"),
            (Style::Elapsed, 7800.0, "2 h 10 min"),
            (Style::Go { hours: true }, 90.0, "90s"),
            (Style::Go { hours: true }, 300.0, "5m"),
            (Style::Go { hours: true }, 7200.0, "2h"),
            (Style::Go { hours: false }, 7200.0, "120m"),
            (Style::Go { hours: false }, 0.2, "1s"),
            (Style::Go { hours: false }, 0.0, "1s"),
            (Style::WholeSeconds, 600.4, "600s"),
            (Style::WholeSeconds, 0.0, "0s"),
            (Style::Window, 21600.0, "6 h"),
            (Style::Window, 1800.0, "30 m"),
            (Style::Window, 30.0, "0.5 m"),
        ];
        for (style, seconds, text) in cases {
            assert_eq!(format(seconds, style), text, "{style:?} {seconds}");
        }
    }

    #[test]
    fn parses_units_and_bare_seconds_and_refuses_the_rest() {
        for (text, seconds) in [
            ("90s", 90.0),
            ("20m", 1200.0),
            ("1.5h", 5400.0),
            ("45", 45.0),
            (" 5 m ", 300.0),
            ("0", 0.0),
        ] {
            assert_eq!(parse(text), Some(seconds), "{text}");
        }
        for text in ["", "m", "-1", "-1m", "inf", "NaN", "5ms", "1d", "five"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
