//! Kubernetes' IntOrString for `maxSurge` / `maxUnavailable`: a count, or a share of
//! the desired replicas written `"25%"` (or, in Argo's canary, `"25"`: see `Dialect`).

use std::fmt;

use serde::{Serialize, Serializer};

use crate::limits::{MAX_PERCENT, MAX_PODS};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum IntOrPercent {
    Int(u32),
    Percent(f64),
}

/// Whose reading of a string applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Kubernetes Deployments (`GetScaledValueFromIntOrPercent`): a string must end in
    /// `%`; `"25"` is refused.
    Kubernetes,
    /// Argo Rollouts' canary `maxSurge`/`maxUnavailable`: its `resolveFenceposts` calls
    /// apimachinery's deprecated `GetValueFromIntOrPercent`, which strips `%` and reads
    /// every string as a percentage, so `"25"` is 25% (an integer 25 stays 25 pods).
    Argo,
}

impl IntOrPercent {
    /// Parses a TOML value: an integer, or a string ending in `%`. A plain numeric
    /// string such as `"5"` is rejected, as Kubernetes rejects it.
    /// A count is at most `MAX_PODS` and a percentage at most `MAX_PERCENT`: a count
    /// beyond the largest fleet would otherwise wrap when it became a `u32`.
    pub fn from_value(v: &config::Value) -> Result<IntOrPercent, String> {
        IntOrPercent::from_value_in(v, Dialect::Kubernetes)
    }

    /// `from_value` with `dialect`'s reading of strings.
    pub fn from_value_in(v: &config::Value, dialect: Dialect) -> Result<IntOrPercent, String> {
        match v {
            config::Value::Integer(i) if *i > MAX_PODS as i64 => {
                Err(format!("must be at most {MAX_PODS} pods, found {i}"))
            }
            config::Value::Integer(i) if *i >= 0 => Ok(IntOrPercent::Int(*i as u32)),
            config::Value::Integer(i) => Err(format!("must not be negative, found {i}")),
            config::Value::String(s) => IntOrPercent::parse_in(s, dialect),
            other => Err(format!(
                "expected a count like 2 or a percentage like \"25%\", found {}",
                config::describe(other)
            )),
        }
    }

    pub fn parse(s: &str) -> Result<IntOrPercent, String> {
        IntOrPercent::parse_in(s, Dialect::Kubernetes)
    }

    /// Parses a string as `dialect` reads it. Argo's reading (Go's `strconv.Atoi` after
    /// removing every `%`) would also take a sign or a `%` in the middle (`"+25"`,
    /// `"2%5"`); those are refused here as the oddities they are, with the rest of
    /// Kubernetes' checks.
    pub fn parse_in(s: &str, dialect: Dialect) -> Result<IntOrPercent, String> {
        let bare =
            dialect == Dialect::Argo && !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let Some(num) = s.strip_suffix('%').or(bare.then_some(s)) else {
            return Err(format!(
                "\"{s}\" is neither a count nor a percentage; write 2 or \"25%\""
            ));
        };
        // Kubernetes reads the digits before `%` as a whole number (`strconv.Atoi` in
        // `GetScaledValueFromIntOrPercent`), so `"10.5%"` or `" 25%"` is refused there:
        // refuse it here rather than export what the controller rejects.
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "\"{s}\" is not a whole percentage; Kubernetes takes whole numbers only, e.g. \"25%\""
            ));
        }
        match num.parse::<f64>() {
            Ok(p) if p > MAX_PERCENT => Err(format!(
                "must be at most {}%, found {s}",
                config::number(MAX_PERCENT)
            )),
            Ok(p) => Ok(IntOrPercent::Percent(p)),
            Err(_) => Err(format!("\"{s}\" is not a valid percentage")),
        }
    }

    /// Kubernetes' `GetScaledValueFromIntOrPercent`: a percentage of `total`, rounded
    /// up or down.
    pub fn scaled(self, total: u32, round_up: bool) -> u32 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let exact = p * total as f64 / 100.0;
                // Guard against 0.1 + 0.2 style noise before rounding.
                let snapped = (exact * 1e9).round() / 1e9;
                if round_up {
                    snapped.ceil() as u32
                } else {
                    snapped.floor() as u32
                }
            }
        }
    }

    pub fn is_zero(self) -> bool {
        match self {
            IntOrPercent::Int(n) => n == 0,
            IntOrPercent::Percent(p) => p == 0.0,
        }
    }
}

impl fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrPercent::Int(n) => write!(f, "{n}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl Serialize for IntOrPercent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrPercent::Int(n) => s.serialize_u32(*n),
            IntOrPercent::Percent(_) => s.serialize_str(&self.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count is a whole number from 0 to `MAX_PODS`: 0 and the limit are taken, one
    /// below 0 and one past the limit refused.
    #[test]
    fn a_count_is_from_zero_to_the_largest_fleet() {
        let read = |i: i64| IntOrPercent::from_value(&config::Value::Integer(i));
        assert_eq!(read(0), Ok(IntOrPercent::Int(0)));
        assert_eq!(read(MAX_PODS as i64), Ok(IntOrPercent::Int(MAX_PODS)));
        let negative = read(-1).unwrap_err();
        assert!(negative.contains("must not be negative"), "{negative}");
        let past = read(MAX_PODS as i64 + 1).unwrap_err();
        assert!(past.contains("at most"), "{past}");
    }

    #[test]
    fn percentages_are_whole_numbers_as_kubernetes_reads_them() {
        assert_eq!(IntOrPercent::parse("25%"), Ok(IntOrPercent::Percent(25.0)));
        assert_eq!(IntOrPercent::parse("0%"), Ok(IntOrPercent::Percent(0.0)));
        let max = format!("{}%", MAX_PERCENT as u32);
        assert_eq!(
            IntOrPercent::parse(&max),
            Ok(IntOrPercent::Percent(MAX_PERCENT))
        );
        let over = format!("{}%", MAX_PERCENT as u32 + 1);
        assert!(IntOrPercent::parse(&over).unwrap_err().contains("at most"));
        for bad in ["10.5%", " 25%", "25 %", "-5%", "+5%", "%", "1e2%", "0x10%"] {
            let e = IntOrPercent::parse(bad).unwrap_err();
            assert!(e.contains("whole percentage"), "{bad}: {e}");
        }
        assert!(
            IntOrPercent::parse("25")
                .unwrap_err()
                .contains("neither a count")
        );
    }

    /// Argo's canary reads a bare numeric string as a percentage (apimachinery's
    /// `GetValueFromIntOrPercent`), where Kubernetes refuses it.
    #[test]
    fn argo_reads_a_bare_number_string_as_a_percentage() {
        let argo = |s| IntOrPercent::parse_in(s, Dialect::Argo);
        assert_eq!(argo("25"), Ok(IntOrPercent::Percent(25.0)));
        assert_eq!(argo("25%"), Ok(IntOrPercent::Percent(25.0)));
        assert_eq!(argo("0"), Ok(IntOrPercent::Percent(0.0)));
        let max = format!("{}", MAX_PERCENT as u32);
        assert_eq!(argo(&max), Ok(IntOrPercent::Percent(MAX_PERCENT)));
        let over = format!("{}", MAX_PERCENT as u32 + 1);
        assert!(argo(&over).unwrap_err().contains("at most"));
        for bad in ["", "+25", "-5", "2%5", "25%%", " 25", "2.5", "1e2"] {
            assert!(argo(bad).is_err(), "{bad:?}");
        }
        // An integer is a count in both dialects.
        let v = config::Value::Integer(25);
        assert_eq!(
            IntOrPercent::from_value_in(&v, Dialect::Argo),
            Ok(IntOrPercent::Int(25))
        );
        let v = config::Value::String("25".into());
        assert!(IntOrPercent::from_value(&v).is_err());
        assert_eq!(
            IntOrPercent::from_value_in(&v, Dialect::Argo),
            Ok(IntOrPercent::Percent(25.0))
        );
        // 25% of 6 is 1.5: surge rounds up to 2, unavailable down to 1.
        let p = argo("25").unwrap();
        assert_eq!((p.scaled(6, true), p.scaled(6, false)), (2, 1));
    }
}
