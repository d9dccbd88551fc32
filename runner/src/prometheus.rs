//! A Prometheus HTTP API client for `rollcage gate --prometheus`: one `query_range` per
//! series of the gate input, sent as a form POST to `URL/api/v1/query_range`, with
//! bounded time, retries and memory, and every failure an exit-2 message that names the
//! address, the series key and the problem.
//!
//! - **Time.** A connect timeout and a timeout for the whole request (sending, waiting,
//!   reading the body); the second is also sent as the query's `timeout` parameter (in
//!   whole milliseconds, the form Prometheus reads) so the server gives up when rollcage
//!   does.
//! - **Retries.** A refused or failed connection, a timeout, an answer cut short and an
//!   HTTP 5xx are retried (`retries` times, after 250 ms, then twice as long each time):
//!   they may pass. An HTTP 4xx (a query Prometheus refuses), a `"status": "error"`
//!   answer with a success code, an answer that is not JSON and an unknown host are not:
//!   asking again gives the same answer. A real Prometheus never sends an error with 200:
//!   it answers 400 (bad_data), 422 (execution: too many samples, say), 503 (timeout,
//!   canceled) or 500 (internal), with the `"status": "error"` body, and its router's
//!   plain-text 404 for a path it does not serve (`tests/gate_live_server.rs`).
//! - **Memory.** The answers together are at most `live::MAX_FILE_BYTES`, the bound of a
//!   gate input file; a larger one is refused while it is read, not after.
//! - **One reader.** The answers are checked here only for what the transport owns (a
//!   single JSON value, the `status`); then they are put under their keys into one JSON
//!   object, the Prometheus form of the gate input, and read by
//!   `policies::live::from_prometheus`, the reader of the file form, so the rules for
//!   values (`NaN` refused, an empty result being no data, ...) are one code path.
//!
//! Plain HTTP only: the build carries no TLS stack. Redirects are not followed and the
//! environment's proxy settings are not used: the address given is the one spoken to.

use std::io::Read as _;
use std::time::Duration;

use policies::k8s_names::HttpUrl;
use serde::Deserialize;

use crate::RunnerError;

/// Most retries a user may ask for.
pub const MAX_RETRIES: u32 = 5;
/// The first retry's wait; each later one waits twice as long.
const BACKOFF: Duration = Duration::from_millis(250);

/// How to talk to the server.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub connect_timeout: Duration,
    /// The whole request: connecting, sending, waiting for and reading the answer.
    pub timeout: Duration,
    /// Further attempts after a failure that may pass.
    pub retries: u32,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(10),
            retries: 2,
        }
    }
}

/// The range of a `query_range`: Unix seconds and the step in whole seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub start: f64,
    pub end: f64,
    pub step_seconds: u64,
}

/// What a query asks for: points on a grid (`query_range`), or one evaluation at a
/// moment (`query`), which for a range selector `X[5m]` is every raw sample in it,
/// with the timestamps the series were written at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ask {
    Range(Range),
    Instant(f64),
}

impl Ask {
    fn path(self) -> &'static str {
        match self {
            Ask::Range(_) => "/api/v1/query_range",
            Ask::Instant(_) => "/api/v1/query",
        }
    }
}

/// A Prometheus server.
pub struct Client {
    /// The address as given, for messages.
    address: String,
    agent: ureq::Agent,
    config: ClientConfig,
}

/// Why one attempt failed, and whether another may pass.
struct Failure {
    text: String,
    retry: bool,
}

/// The part of an answer the transport checks.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    status: Option<String>,
    error_type: Option<String>,
    error: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    data: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    warnings: Option<serde::de::IgnoredAny>,
}

impl Client {
    /// A client for `url` (checked by `HttpUrl`: http or https, a host, no query).
    pub fn new(url: &HttpUrl, config: ClientConfig) -> Result<Client, RunnerError> {
        let address = url.as_str().to_string();
        if address.to_ascii_lowercase().starts_with("https://") {
            return Err(RunnerError::Usage(format!(
                "--prometheus {address}: https is not supported (this build speaks plain HTTP only); reach Prometheus over http://, e.g. through kubectl port-forward"
            )));
        }
        if config.retries > MAX_RETRIES {
            return Err(RunnerError::Usage(format!(
                "--retries {}: at most {MAX_RETRIES}",
                config.retries
            )));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .user_agent(concat!("rollcage/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Client {
            address,
            agent,
            config,
        })
    }

    /// The address as given.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The URL an ask goes to.
    fn endpoint(&self, ask: Ask) -> String {
        format!("{}{}", self.address.trim_end_matches('/'), ask.path())
    }

    /// Runs every query as `ask` says and returns the answers as one document in the
    /// Prometheus form (`{"requests": <answer>, ...}`): the gate input for
    /// `live::from_prometheus`, or the fleet for `live_fleet::from_prometheus`.
    pub fn fetch(&self, queries: &[(&str, String)], ask: Ask) -> Result<String, RunnerError> {
        let limit = policies::live::MAX_FILE_BYTES;
        let mut doc = String::from("{");
        for (i, (key, query)) in queries.iter().enumerate() {
            let room = limit.saturating_sub(doc.len() + key.len() + 6);
            let body = self.query(key, query, ask, room)?;
            if i > 0 {
                doc.push(',');
            }
            doc.push_str(&format!("\n\"{key}\": "));
            doc.push_str(&body);
        }
        doc.push_str("\n}\n");
        Ok(doc)
    }

    /// One query, retried as the module says; the answer's text, at most `limit` bytes,
    /// checked to be one JSON value with `"status": "success"`.
    fn query(&self, key: &str, query: &str, ask: Ask, limit: usize) -> Result<String, RunnerError> {
        let mut attempt = 0;
        loop {
            match self.attempt(query, ask, limit) {
                Ok(body) => return Ok(body),
                Err(f) if f.retry && attempt < self.config.retries => {
                    std::thread::sleep(BACKOFF * 2u32.pow(attempt));
                    attempt += 1;
                }
                Err(f) => {
                    let tries = if attempt > 0 {
                        format!(" (after {} attempts)", attempt + 1)
                    } else {
                        String::new()
                    };
                    return Err(RunnerError::Usage(format!(
                        "prometheus {}: query {key:?}: {}{tries}",
                        self.address, f.text
                    )));
                }
            }
        }
    }

    fn attempt(&self, query: &str, ask: Ask, limit: usize) -> Result<String, Failure> {
        let mut form = vec![("query", query.to_string())];
        match ask {
            Ask::Range(range) => form.extend([
                ("start", number(range.start)),
                ("end", number(range.end)),
                ("step", format!("{}s", range.step_seconds)),
            ]),
            Ask::Instant(t) => form.push(("time", number(t))),
        }
        form.push(("timeout", query_timeout(self.config.timeout)));
        let sent = self
            .agent
            .post(&self.endpoint(ask))
            .send_form(form.iter().map(|(k, v)| (*k, v.as_str())));
        let mut resp = sent.map_err(|e| transport(&e, &self.config))?;
        let status = resp.status().as_u16();
        let mut bytes = Vec::new();
        let read = resp
            .body_mut()
            .as_reader()
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes);
        if let Err(e) = read {
            return Err(Failure {
                text: format!("the answer was cut short: {e}"),
                retry: true,
            });
        }
        if bytes.len() > limit {
            return Err(Failure {
                text: format!(
                    "the answers are over {} MiB, the most a gate input may have: judge a shorter range",
                    policies::live::MAX_FILE_BYTES >> 20
                ),
                retry: false,
            });
        }
        let text = String::from_utf8(bytes);
        let envelope = text
            .as_deref()
            .ok()
            .and_then(|t| serde_json::from_str::<Envelope>(t).ok());
        let said = |e: &Envelope| match (&e.error_type, &e.error) {
            (Some(t), Some(m)) => format!(": {t}: {m}"),
            (None, Some(m)) => format!(": {m}"),
            _ => String::new(),
        };
        if status != 200 {
            // Prometheus sends every API error with its own status code (400 bad_data,
            // 422 execution, 503 timeout or canceled, 500 internal) and a JSON body; a
            // path it does not serve gets its router's plain-text 404.
            let said = match (&envelope, &text) {
                (Some(e), _) => said(e),
                (None, Ok(t)) if !t.trim().is_empty() => format!(": {}", excerpt(t.trim())),
                (None, _) => String::new(),
            };
            let error_type = envelope.as_ref().and_then(|e| e.error_type.as_deref());
            let reason = match (status, error_type) {
                (300..=399, _) => " (redirects are not followed: give the address that answers)",
                (404, _) => {
                    " (no Prometheus API under this address: give the server's root, with its --web.route-prefix path if it has one)"
                }
                (_, Some("timeout")) => {
                    " (the server gave up on the query: its --query.timeout caps --timeout)"
                }
                _ => "",
            };
            return Err(Failure {
                text: format!("HTTP {status}{said}{reason}"),
                retry: status >= 500,
            });
        }
        let text = text.map_err(|e| Failure {
            text: format!(
                "malformed answer: not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to() + 1
            ),
            retry: false,
        })?;
        let envelope = match serde_json::from_str::<Envelope>(&text) {
            Ok(e) => e,
            Err(e) => {
                return Err(Failure {
                    text: format!(
                        "malformed answer: not a Prometheus API answer ({e}): {}",
                        excerpt(&text)
                    ),
                    retry: false,
                });
            }
        };
        match envelope.status.as_deref() {
            Some("success") => Ok(text),
            Some("error") => Err(Failure {
                text: format!("Prometheus answered status \"error\"{}", said(&envelope)),
                retry: false,
            }),
            other => Err(Failure {
                text: format!(
                    "malformed answer: status {other:?}, expected \"success\": {}",
                    excerpt(&text)
                ),
                retry: false,
            }),
        }
    }
}

/// A transport failure in words, and whether it may pass.
fn transport(e: &ureq::Error, config: &ClientConfig) -> Failure {
    use ureq::Error as E;
    let (text, retry) = match e {
        E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => (
            "connection refused (is Prometheus listening there?)".to_string(),
            true,
        ),
        E::Io(io) => (format!("connection failed: {io}"), true),
        E::ConnectionFailed => ("connection failed".to_string(), true),
        E::Timeout(_) => (
            format!(
                "no answer within the timeout ({} s; --timeout, --connect-timeout)",
                config.timeout.as_secs_f64()
            ),
            true,
        ),
        E::HostNotFound => ("host not found".to_string(), false),
        E::Protocol(p) => (format!("not an HTTP answer: {p}"), true),
        other => (other.to_string(), false),
    };
    Failure { text, retry }
}

/// The query's `timeout` parameter: whole milliseconds, rounded up. Prometheus reads a
/// duration either as plain seconds or in its own units, which take whole numbers only:
/// `1.5s` is refused (HTTP 400, bad_data), `1500ms` is not.
fn query_timeout(timeout: Duration) -> String {
    let ms = timeout.as_nanos().div_ceil(1_000_000).max(1);
    format!("{ms}ms")
}

/// A Unix time as Prometheus reads it (seconds, with up to millisecond fractions).
fn number(t: f64) -> String {
    let ms = (t * 1000.0).round() as i64;
    if ms % 1000 == 0 {
        format!("{}", ms / 1000)
    } else {
        format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
    }
}

/// The start of an answer, for a message.
fn excerpt(text: &str) -> String {
    let t: String = text.chars().take(120).collect();
    if t.len() < text.len() {
        format!("{t:?}...")
    } else {
        format!("{t:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_prometheus_reads_them() {
        assert_eq!(number(1_700_000_000.0), "1700000000");
        assert_eq!(number(1_700_000_000.25), "1700000000.250");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn the_query_timeout_is_in_whole_milliseconds() {
        assert_eq!(query_timeout(Duration::from_secs(10)), "10000ms");
        assert_eq!(query_timeout(Duration::from_secs_f64(1.5)), "1500ms");
        assert_eq!(query_timeout(Duration::from_millis(1)), "1ms");
        // A fraction of a millisecond is rounded up, never down to nothing.
        assert_eq!(query_timeout(Duration::from_micros(1001)), "2ms");
        assert_eq!(query_timeout(Duration::from_micros(1)), "1ms");
    }

    #[test]
    fn https_and_too_many_retries_are_refused() {
        let url = HttpUrl::new("https://prometheus:9090").unwrap();
        let e = Client::new(&url, ClientConfig::default()).err().unwrap();
        assert!(e.to_string().contains("plain HTTP only"), "{e}");
        let url = HttpUrl::new("http://prometheus:9090/").unwrap();
        let c = Client::new(&url, ClientConfig::default()).unwrap();
        let range = Ask::Range(Range {
            start: 0.0,
            end: 1.0,
            step_seconds: 1,
        });
        assert_eq!(
            c.endpoint(range),
            "http://prometheus:9090/api/v1/query_range"
        );
        assert_eq!(
            c.endpoint(Ask::Instant(0.0)),
            "http://prometheus:9090/api/v1/query"
        );
        let many = ClientConfig {
            retries: 6,
            ..ClientConfig::default()
        };
        assert!(Client::new(&url, many).is_err());
    }
}
