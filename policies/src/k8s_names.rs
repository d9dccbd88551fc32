//! Names, ports and addresses that rollcage writes into Kubernetes objects, validated
//! once, here, the way the Kubernetes API server validates them.
//!
//! Every command that takes one (`export --service/--prometheus-address`, `gameday
//! --service/--namespace/--port`) parses it into one of these types, so a value that
//! Kubernetes would refuse is refused on the command line (exit 2, naming the flag and
//! the rule) instead of being written into a manifest that `kubectl apply` rejects, or
//! silently rewritten into a name the user did not choose. The libraries take the types,
//! not strings, so no caller can skip the check.
//!
//! | type | rule (Kubernetes' name for it) | used for |
//! |---|---|---|
//! | [`DnsLabel`] | at most 63 of `a-z`, `0-9`, `-`, starting and ending with a letter or digit (RFC 1123 label) | namespaces, container names |
//! | [`DnsSubdomain`] | at most 253 characters, labels as above joined by `.` (RFC 1123 subdomain) | most object names (Deployment, Rollout, templates) |
//! | [`ServiceName`] | an RFC 1035 label (a label starting with a letter), at most 55 characters so that the Service names derived from it (`-canary`, `-stable`, `-active`, `-preview`, Flagger's `-primary`) stay within 63 | `--service` |
//! | [`Port`] | 1 to 65535 | `--port` |
//! | [`HttpUrl`] | `http://` or `https://`, a host, an optional port 1-65535, an optional path; no spaces, credentials, query or fragment | `--prometheus-address` |

use std::fmt;
use std::str::FromStr;

/// Why a value was refused: the value, what it was checked as, and what is wrong. It
/// displays as "REASON; it must be RULE", without the value, since the command line
/// parser already quotes it beside the flag; other callers put the value before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameError {
    pub value: String,
    /// What the value must be, e.g. "a DNS-1123 label (...)".
    pub rule: &'static str,
    /// The first thing wrong with it.
    pub reason: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; it must be {}", self.reason, self.rule)
    }
}

impl std::error::Error for NameError {}

const LABEL_RULE: &str = "a DNS-1123 label: at most 63 characters, lowercase letters, digits and '-', starting and ending with a letter or digit";
const SUBDOMAIN_RULE: &str = "a DNS-1123 subdomain: at most 253 characters, DNS-1123 labels (lowercase letters, digits and '-', starting and ending with a letter or digit) joined by '.'";
const SERVICE_RULE: &str = "a DNS-1035 label of at most 55 characters: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (Kubernetes Service names are DNS-1035 labels of at most 63 characters, and rollcage derives SERVICE-canary, -stable, -active, -preview and Flagger SERVICE-primary from it)";
const PORT_RULE: &str = "a TCP port number from 1 to 65535";
const URL_RULE: &str = "an http:// or https:// URL with a host, an optional port from 1 to 65535 and an optional path, without spaces, credentials, query or fragment";

/// The longest DNS-1123 label, in characters.
pub const LABEL_MAX: usize = 63;
/// The longest DNS-1123 subdomain, in characters.
pub const SUBDOMAIN_MAX: usize = 253;
/// The longest `--service`: 63 less the longest suffix rollcage or Flagger appends to
/// make a Service name (`-preview`, `-primary`: 8 characters).
pub const SERVICE_MAX: usize = LABEL_MAX - "-preview".len();

fn refuse(value: &str, rule: &'static str, reason: impl Into<String>) -> NameError {
    NameError {
        value: value.to_string(),
        rule,
        reason: reason.into(),
    }
}

/// The first thing that keeps `s` from being one RFC 1123 label of at most `max`
/// characters, positions counted from 1 in `whole` (for labels inside a subdomain).
fn label_problem(s: &str, offset: usize, max: usize) -> Option<String> {
    if s.is_empty() {
        return Some(if offset == 0 {
            "is empty".into()
        } else {
            format!("has an empty label at position {}", offset + 1)
        });
    }
    if let Some((i, c)) = s
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let what = if c.is_ascii_uppercase() {
            "is uppercase"
        } else {
            "is not a lowercase letter, digit or '-'"
        };
        return Some(format!(
            "has {c:?} at position {}, which {what}",
            offset + i + 1
        ));
    }
    if s.starts_with('-') {
        return Some(format!("starts with '-' at position {}", offset + 1));
    }
    if s.ends_with('-') {
        return Some(format!("ends with '-' at position {}", offset + s.len()));
    }
    if s.len() > max {
        return Some(format!("is {} characters long, over {max}", s.len()));
    }
    None
}

/// A DNS-1123 label, as Kubernetes requires of namespaces (`IsDNS1123Label`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsLabel(String);

impl DnsLabel {
    pub fn new(s: &str) -> Result<DnsLabel, NameError> {
        match label_problem(s, 0, LABEL_MAX) {
            None => Ok(DnsLabel(s.to_string())),
            Some(reason) => Err(refuse(s, LABEL_RULE, reason)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A DNS-1123 subdomain, as Kubernetes requires of most object names
/// (`IsDNS1123Subdomain`: the whole at most 253 characters; each dot-separated part a
/// label, without a length limit of its own).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsSubdomain(String);

impl DnsSubdomain {
    pub fn new(s: &str) -> Result<DnsSubdomain, NameError> {
        if s.is_empty() {
            return Err(refuse(s, SUBDOMAIN_RULE, "is empty"));
        }
        let mut offset = 0;
        for part in s.split('.') {
            if let Some(reason) = label_problem(part, offset, usize::MAX) {
                return Err(refuse(s, SUBDOMAIN_RULE, reason));
            }
            offset += part.len() + 1;
        }
        if s.len() > SUBDOMAIN_MAX {
            return Err(refuse(
                s,
                SUBDOMAIN_RULE,
                format!("is {} characters long, over {SUBDOMAIN_MAX}", s.len()),
            ));
        }
        Ok(DnsSubdomain(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The service a policy is exported for or a game day targets: the name of its
/// Deployment or Rollout, its pods' `app` label, its container and the `service` label
/// of its metrics. Kubernetes Service names are DNS-1035 labels (`IsDNS1035Label`:
/// a DNS-1123 label that starts with a letter), and rollcage derives longer Service
/// names from this one, so it is at most [`SERVICE_MAX`] characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceName(String);

impl ServiceName {
    pub fn new(s: &str) -> Result<ServiceName, NameError> {
        if let Some(reason) = label_problem(s, 0, SERVICE_MAX) {
            return Err(refuse(s, SERVICE_RULE, reason));
        }
        if s.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(refuse(s, SERVICE_RULE, "starts with a digit"));
        }
        Ok(ServiceName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A TCP port: 1 to 65535 (0 is "any port" to the kernel, never a service's port).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port(u16);

impl Port {
    pub fn new(n: u32) -> Result<Port, NameError> {
        match u16::try_from(n) {
            Ok(p) if p >= 1 => Ok(Port(p)),
            _ => Err(refuse(&n.to_string(), PORT_RULE, "is out of range")),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// An HTTP(S) address such as Prometheus', checked with the `url` crate (the WHATWG URL
/// parser) after a stricter look at the text itself: WHATWG parsing forgives what a
/// controller's Go HTTP client would not take (`http:host`, backslashes, surrounding
/// spaces). The text is kept exactly as given, so exports write what the user wrote.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HttpUrl(String);

impl HttpUrl {
    pub fn new(s: &str) -> Result<HttpUrl, NameError> {
        let bad = |reason: String| Err(refuse(s, URL_RULE, reason));
        if let Some((i, c)) = s
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_graphic() || *c == '\\')
        {
            return bad(format!("has {c:?} at position {}", i + 1));
        }
        let lower = s.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return bad("does not start with http:// or https://".into());
        }
        let u = match url::Url::parse(s) {
            Ok(u) => u,
            Err(e) => return bad(format!("is not a URL ({e})")),
        };
        if u.host_str().is_none_or(str::is_empty) {
            return bad("has no host".into());
        }
        if u.port() == Some(0) {
            return bad("has port 0".into());
        }
        if !u.username().is_empty() || u.password().is_some() {
            return bad(
                "carries credentials, which would be written into the export in clear".into(),
            );
        }
        if u.query().is_some() {
            return bad("has a query ('?'); the controller appends its own API path".into());
        }
        if u.fragment().is_some() {
            return bad("has a fragment ('#')".into());
        }
        Ok(HttpUrl(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_type {
    ($t:ty) => {
        impl FromStr for $t {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                <$t>::new(s)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(DnsLabel);
text_type!(DnsSubdomain);
text_type!(ServiceName);
text_type!(HttpUrl);

impl FromStr for Port {
    type Err = NameError;
    /// Decimal digits only: `+80`, ` 80` or `0x50` are refused as Kubernetes refuses
    /// them in a manifest.
    fn from_str(s: &str) -> Result<Port, NameError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse(s, PORT_RULE, "is not a decimal number"));
        }
        match s.parse::<u32>() {
            Ok(n) => Port::new(n).map_err(|e| NameError {
                value: s.to_string(),
                ..e
            }),
            Err(_) => Err(refuse(s, PORT_RULE, "is out of range")),
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason<T: fmt::Debug>(r: Result<T, NameError>) -> String {
        r.unwrap_err().reason
    }

    #[test]
    fn labels_follow_rfc_1123_at_their_boundaries() {
        let a63 = "a".repeat(63);
        assert_eq!(DnsLabel::new(&a63).unwrap().as_str(), a63);
        assert_eq!(
            reason(DnsLabel::new(&"a".repeat(64))),
            "is 64 characters long, over 63"
        );
        for ok in ["a", "0", "9abc", "a-b", "a--b", "default", "kube-system"] {
            assert!(DnsLabel::new(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("", "is empty"),
            ("Shop", "has 'S' at position 1, which is uppercase"),
            (
                "my_ns",
                "has '_' at position 3, which is not a lowercase letter, digit or '-'",
            ),
            (
                "bad ns!",
                "has ' ' at position 4, which is not a lowercase letter, digit or '-'",
            ),
            ("-a", "starts with '-' at position 1"),
            ("a-", "ends with '-' at position 2"),
        ] {
            assert_eq!(reason(DnsLabel::new(bad)), why, "{bad:?}");
        }
        assert!(DnsLabel::new("a.b").is_err(), "a dot makes a subdomain");
        assert!(DnsLabel::new("é").is_err());
    }

    #[test]
    fn subdomains_are_dot_joined_labels_up_to_253() {
        for ok in ["a", "a.b", "checkout-analysis-1", "a-1.b-2.c3"] {
            assert!(DnsSubdomain::new(ok).is_ok(), "{ok}");
        }
        // Kubernetes limits the whole, not each part, of a subdomain.
        let long_part = "a".repeat(100);
        assert!(DnsSubdomain::new(&long_part).is_ok());
        let s253 = format!("{}.{}", "a".repeat(126), "b".repeat(126));
        assert_eq!(s253.len(), 253);
        assert!(DnsSubdomain::new(&s253).is_ok());
        for (bad, why) in [
            (&format!("{s253}c")[..], "is 254 characters long, over 253"),
            ("a..b", "has an empty label at position 3"),
            ("a.-b", "starts with '-' at position 3"),
            ("checkout-Off", "has 'O' at position 10, which is uppercase"),
        ] {
            assert_eq!(reason(DnsSubdomain::new(bad)), why, "{bad:?}");
        }
        assert!(DnsSubdomain::new(".a").is_err());
        assert!(DnsSubdomain::new("a.").is_err());
    }

    #[test]
    fn service_names_are_dns_1035_labels_with_room_for_suffixes() {
        let s55 = "s".repeat(55);
        assert!(ServiceName::new(&s55).is_ok());
        assert_eq!(
            reason(ServiceName::new(&"s".repeat(56))),
            "is 56 characters long, over 55"
        );
        // The derived names of the longest one are valid Service names.
        for suffix in ["-canary", "-stable", "-active", "-preview", "-primary"] {
            assert!(DnsLabel::new(&format!("{s55}{suffix}")).is_ok(), "{suffix}");
        }
        assert_eq!(reason(ServiceName::new("1checkout")), "starts with a digit");
        assert_eq!(
            reason(ServiceName::new("Bad Name")),
            "has 'B' at position 1, which is uppercase"
        );
        assert!(ServiceName::new("check_out").is_err());
        assert!(ServiceName::new("checkout-").is_err());
        assert!(ServiceName::new("-checkout").is_err());
        assert!(ServiceName::new("checkout").is_ok());
        let e = ServiceName::new("Bad Name").unwrap_err().to_string();
        assert!(
            e.starts_with("has 'B' at position 1, which is uppercase; it must be a DNS-1035 label"),
            "{e}"
        );
    }

    #[test]
    fn ports_are_1_to_65535() {
        assert_eq!("1".parse::<Port>().unwrap().get(), 1);
        assert_eq!("65535".parse::<Port>().unwrap().get(), 65535);
        assert_eq!("8080".parse::<Port>().unwrap().to_string(), "8080");
        assert_eq!(reason("0".parse::<Port>()), "is out of range");
        assert_eq!(reason("65536".parse::<Port>()), "is out of range");
        assert_eq!(reason("99999999999".parse::<Port>()), "is out of range");
        for bad in ["", "-1", "+80", " 80", "0x50", "80.0", "http"] {
            assert_eq!(
                reason(bad.parse::<Port>()),
                "is not a decimal number",
                "{bad}"
            );
        }
        assert!(Port::new(0).is_err() && Port::new(65536).is_err());
        let e = "0".parse::<Port>().unwrap_err().to_string();
        assert_eq!(
            e,
            "is out of range; it must be a TCP port number from 1 to 65535"
        );
    }

    #[test]
    fn prometheus_addresses_are_plain_http_urls() {
        for ok in [
            "http://prometheus.monitoring:9090",
            "https://prometheus.example.com",
            "http://10.0.0.7:9090/prometheus",
            "http://[::1]:9090",
            "HTTP://prometheus:1",
            "http://prometheus:65535/",
        ] {
            assert_eq!(HttpUrl::new(ok).unwrap().as_str(), ok);
        }
        let cases = [
            ("not a url", "has ' ' at position 4"),
            ("prometheus:9090", "does not start with http:// or https://"),
            (
                "ftp://prometheus",
                "does not start with http:// or https://",
            ),
            ("http:prometheus", "does not start with http:// or https://"),
            ("http://prom\\etheus", "has '\\\\' at position 12"),
            (" http://prometheus", "has ' ' at position 1"),
            ("http://prometheus\n", "has '\\n' at position 18"),
            ("http://", "is not a URL (empty host)"),
            ("http://prometheus:0", "has port 0"),
            (
                "http://prometheus:65536",
                "is not a URL (invalid port number)",
            ),
            ("http://prometheus:x", "is not a URL (invalid port number)"),
            (
                "http://u:p@prometheus",
                "carries credentials, which would be written into the export in clear",
            ),
            (
                "http://prometheus/?a=1",
                "has a query ('?'); the controller appends its own API path",
            ),
            ("http://prometheus/#x", "has a fragment ('#')"),
            ("http://999.1.1.1", "is not a URL (invalid IPv4 address)"),
        ];
        for (bad, why) in cases {
            assert_eq!(reason(HttpUrl::new(bad)), why, "{bad}");
        }
    }
}
