//! The Prometheus series rollcage's queries read, and will write: one owner for their
//! names and labels.
//!
//! The exported Argo and Flagger queries (`export::promql`), the gameday runbook, the
//! OpenMetrics a run writes (`reports::artifacts::metrics_om`) and the SLO rules
//! (`reports::prometheus`) all take the names from a [`SeriesNames`]; nothing else
//! spells them. The defaults are the usual names (the Prometheus client libraries',
//! kube-state-metrics' and cAdvisor's); a service whose metrics are named differently
//! gives a mapping file (`rollcage export --metric-names FILE`, read by
//! [`SeriesNames::from_toml`]):
//!
//! ```toml
//! [metrics]
//! requests = "http_requests_total"                  # counter, labels service, version, code
//! latency_histogram = "http_request_duration_seconds" # histogram (its _bucket series, le)
//! restarts = "kube_pod_container_status_restarts_total"
//! memory = "container_memory_working_set_bytes"     # gauge, bytes
//! conversions = "business_conversions_total"
//! sessions_lost = "sessions_lost_total"
//! desired_pods = "kube_replicaset_spec_replicas"    # gauge
//! pods = "kube_replicaset_status_replicas"          # gauge
//! ready_pods = "kube_replicaset_status_ready_replicas" # gauge
//! available_pods = "kube_replicaset_status_available_replicas" # gauge
//! terminating_pods = "kube_replicaset_status_terminating_replicas" # gauge
//! slo_events = "slo_events_total"                  # counter: the SLO's events
//! slo_bad_events = "slo_bad_events_total"          # counter: the SLO's bad events
//!
//! [labels]
//! service = "service"
//! version = "version"
//! code = "code"
//! namespace = "namespace"   # Flagger's queries only
//! app = "app"               # Flagger's queries only
//! ```
//!
//! Every key is optional (an absent one keeps its default), an unknown key is refused
//! with the nearest known one suggested, and every name must be a valid Prometheus
//! metric or label name. `le` is not a key: `histogram_quantile` reads the bucket bound
//! from the label `le` and no other, so it cannot be renamed.

use config::{Doc, Problems, Section};

/// Largest mapping file read, in bytes: the file holds a dozen short names.
pub const MAX_FILE_BYTES: usize = 64 * 1024;
/// Longest name accepted. Prometheus sets no limit; a longer one is a mistake here.
pub const MAX_NAME_LEN: usize = 200;

/// The label holding a histogram bucket's upper bound, fixed by Prometheus.
pub const LE: &str = "le";

/// Metric names (as the series are named in queries) and label names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesNames {
    /// Requests answered, a counter labelled with the status `code`.
    pub requests: String,
    /// The request latency histogram, in seconds, without the `_bucket` suffix.
    pub latency_histogram: String,
    /// Container restarts, a counter (kube-state-metrics).
    pub restarts: String,
    /// Working-set memory, a gauge in bytes (cAdvisor).
    pub memory: String,
    /// Business conversions, a counter: the KPI is conversions per successful request.
    pub conversions: String,
    /// Sessions lost, a counter.
    pub sessions_lost: String,
    /// Pods asked for, a gauge (kube-state-metrics' ReplicaSet `spec.replicas`).
    pub desired_pods: String,
    /// Pods that exist and are not terminating, a gauge (`status.replicas`).
    pub pods: String,
    /// Pods ready to serve, a gauge (kube-state-metrics' ReplicaSet status).
    pub ready_pods: String,
    /// Pods ready for `minReadySeconds`, a gauge (`status.availableReplicas`).
    pub available_pods: String,
    /// Pods being deleted and still draining, a gauge (`status.terminatingReplicas`,
    /// Kubernetes 1.33+).
    pub terminating_pods: String,
    /// The SLO's events (requests resolved), a counter: the denominator of the SLO
    /// error ratio the burn-rate rules record.
    pub slo_events: String,
    /// The SLO's bad events (errors, timeouts, slow successes, lost sessions), a
    /// counter: the numerator.
    pub slo_bad_events: String,
    pub labels: LabelNames,
}

/// Label names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelNames {
    /// The service a series belongs to (the Argo export's selector).
    pub service: String,
    /// Which version's pods a series comes from (`canary` / `stable`).
    pub version: String,
    /// The HTTP status code of `requests`.
    pub code: String,
    /// The namespace (Flagger's selector, with `app`).
    pub namespace: String,
    /// The workload (Flagger: `<target>` for the canary, `<target>-primary`).
    pub app: String,
}

impl Default for SeriesNames {
    fn default() -> Self {
        SeriesNames {
            requests: "http_requests_total".into(),
            latency_histogram: "http_request_duration_seconds".into(),
            restarts: "kube_pod_container_status_restarts_total".into(),
            memory: "container_memory_working_set_bytes".into(),
            conversions: "business_conversions_total".into(),
            sessions_lost: "sessions_lost_total".into(),
            desired_pods: "kube_replicaset_spec_replicas".into(),
            pods: "kube_replicaset_status_replicas".into(),
            ready_pods: "kube_replicaset_status_ready_replicas".into(),
            available_pods: "kube_replicaset_status_available_replicas".into(),
            terminating_pods: "kube_replicaset_status_terminating_replicas".into(),
            slo_events: "slo_events_total".into(),
            slo_bad_events: "slo_bad_events_total".into(),
            labels: LabelNames::default(),
        }
    }
}

impl Default for LabelNames {
    fn default() -> Self {
        LabelNames {
            service: "service".into(),
            version: "version".into(),
            code: "code".into(),
            namespace: "namespace".into(),
            app: "app".into(),
        }
    }
}

const METRIC_KEYS: [&str; 13] = [
    "requests",
    "latency_histogram",
    "restarts",
    "memory",
    "conversions",
    "sessions_lost",
    "desired_pods",
    "pods",
    "ready_pods",
    "available_pods",
    "terminating_pods",
    "slo_events",
    "slo_bad_events",
];
const LABEL_KEYS: [&str; 5] = ["service", "version", "code", "namespace", "app"];

impl SeriesNames {
    /// The histogram's bucket series, which `histogram_quantile` reads.
    pub fn latency_bucket(&self) -> String {
        format!("{}_bucket", self.latency_histogram)
    }

    /// The metric names with their mapping-file keys, in file order.
    pub fn metrics(&self) -> [(&'static str, &str); 13] {
        [
            (METRIC_KEYS[0], &self.requests),
            (METRIC_KEYS[1], &self.latency_histogram),
            (METRIC_KEYS[2], &self.restarts),
            (METRIC_KEYS[3], &self.memory),
            (METRIC_KEYS[4], &self.conversions),
            (METRIC_KEYS[5], &self.sessions_lost),
            (METRIC_KEYS[6], &self.desired_pods),
            (METRIC_KEYS[7], &self.pods),
            (METRIC_KEYS[8], &self.ready_pods),
            (METRIC_KEYS[9], &self.available_pods),
            (METRIC_KEYS[10], &self.terminating_pods),
            (METRIC_KEYS[11], &self.slo_events),
            (METRIC_KEYS[12], &self.slo_bad_events),
        ]
    }

    /// The label names with their mapping-file keys, in file order.
    pub fn label_names(&self) -> [(&'static str, &str); 5] {
        let l = &self.labels;
        [
            (LABEL_KEYS[0], &l.service),
            (LABEL_KEYS[1], &l.version),
            (LABEL_KEYS[2], &l.code),
            (LABEL_KEYS[3], &l.namespace),
            (LABEL_KEYS[4], &l.app),
        ]
    }

    /// Reads a mapping file (TOML; `origin` names it in problems). Every problem is
    /// reported, each with the key and the reason; an empty file is refused, since
    /// passing one is a mistake (leave `--metric-names` out for the defaults).
    pub fn from_toml(origin: &str, text: &str) -> Result<SeriesNames, Problems> {
        let one = |reason: String| {
            Problems(vec![config::Problem {
                origin: origin.to_string(),
                key: String::new(),
                reason,
            }])
        };
        if text.len() > MAX_FILE_BYTES {
            return Err(one(format!(
                "{} bytes; a names mapping is at most {MAX_FILE_BYTES} bytes",
                text.len()
            )));
        }
        let doc = Doc::parse(origin, text)?;
        if doc.table().is_empty() {
            return Err(one(
                "the file maps no name: give [metrics] or [labels] keys, or leave --metric-names out for the defaults".into(),
            ));
        }
        let mut names = SeriesNames::default();
        {
            let root = doc.root();
            let metrics = root.section("metrics");
            read_names(&metrics, &mut names, true);
            let labels = root.section("labels");
            read_names(&labels, &mut names, false);
        }
        names.check_distinct(&doc);
        doc.into_result()?;
        Ok(names)
    }

    fn slot(&mut self, key: &str, metric: bool) -> &mut String {
        let l = &mut self.labels;
        match (metric, key) {
            (true, "requests") => &mut self.requests,
            (true, "latency_histogram") => &mut self.latency_histogram,
            (true, "restarts") => &mut self.restarts,
            (true, "memory") => &mut self.memory,
            (true, "conversions") => &mut self.conversions,
            (true, "sessions_lost") => &mut self.sessions_lost,
            (true, "desired_pods") => &mut self.desired_pods,
            (true, "pods") => &mut self.pods,
            (true, "ready_pods") => &mut self.ready_pods,
            (true, "available_pods") => &mut self.available_pods,
            (true, "terminating_pods") => &mut self.terminating_pods,
            (true, "slo_events") => &mut self.slo_events,
            (true, "slo_bad_events") => &mut self.slo_bad_events,
            (false, "service") => &mut l.service,
            (false, "version") => &mut l.version,
            (false, "code") => &mut l.code,
            (false, "namespace") => &mut l.namespace,
            (false, "app") => &mut l.app,
            _ => unreachable!("only the listed keys are read"),
        }
    }

    /// Two roles under one name would make the queries read one series as another.
    fn check_distinct(&self, doc: &Doc) {
        let metrics = self.metrics();
        for (i, (k, v)) in metrics.iter().enumerate() {
            if let Some((first, _)) = metrics[..i].iter().find(|(_, w)| w == v) {
                doc.problem(
                    &format!("metrics.{k}"),
                    format!("\"{v}\" is already the name of metrics.{first}; each series needs its own name"),
                );
            }
        }
        let labels = self.label_names();
        for (i, (k, v)) in labels.iter().enumerate() {
            if let Some((first, _)) = labels[..i].iter().find(|(_, w)| w == v) {
                doc.problem(
                    &format!("labels.{k}"),
                    format!("\"{v}\" is already the name of labels.{first}; each label needs its own name"),
                );
            }
        }
    }
}

fn read_names(s: &Section<'_>, names: &mut SeriesNames, metric: bool) {
    let keys: &[&str] = if metric { &METRIC_KEYS } else { &LABEL_KEYS };
    if !metric && s.has(LE) {
        s.allow(&[LE]);
        s.problem(
            LE,
            "cannot be renamed: histogram_quantile reads the bucket bound from the label `le` only",
        );
    }
    for &key in keys {
        let Some(v) = s.opt_str(key) else { continue };
        let problem = if metric {
            metric_name_problem(v)
        } else {
            label_name_problem(v)
        };
        let problem = problem.or_else(|| {
            (metric && key == "latency_histogram" && v.ends_with("_bucket")).then(|| {
                format!(
                    "\"{v}\" ends in _bucket: give the histogram's name, \"{}\", whose _bucket series the queries read",
                    v.trim_end_matches("_bucket")
                )
            })
        });
        match problem {
            Some(p) => s.problem(key, p),
            None => *names.slot(key, metric) = v.to_string(),
        }
    }
}

/// Why `s` is not a Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), if it is not.
pub fn metric_name_problem(s: &str) -> Option<String> {
    name_problem(s, true)
}

/// Why `s` is not a Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with
/// `__`, which Prometheus reserves), if it is not.
pub fn label_name_problem(s: &str) -> Option<String> {
    name_problem(s, false)
}

fn name_problem(s: &str, metric: bool) -> Option<String> {
    let (what, rule) = if metric {
        ("metric", "[a-zA-Z_:][a-zA-Z0-9_:]*")
    } else {
        ("label", "[a-zA-Z_][a-zA-Z0-9_]*")
    };
    if s.is_empty() {
        return Some(format!("an empty {what} name"));
    }
    if s.len() > MAX_NAME_LEN {
        return Some(format!(
            "a {what} name of {} bytes; at most {MAX_NAME_LEN}",
            s.len()
        ));
    }
    let colon = |c: char| metric && c == ':';
    let first_ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || colon(c));
    let rest_ok = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || colon(c));
    if !first_ok || !rest_ok {
        return Some(format!(
            "\"{}\" is not a Prometheus {what} name ({rule})",
            s.escape_debug()
        ));
    }
    if !metric && s.starts_with("__") {
        return Some(format!(
            "\"{s}\" starts with __, which Prometheus reserves for its own labels"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> String {
        SeriesNames::from_toml("names.toml", text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_mapping_replaces_the_names_it_gives_and_keeps_the_others() {
        let n = SeriesNames::from_toml(
            "names.toml",
            "[metrics]\nrequests = \"api_requests_total\"\nlatency_histogram = \"api:latency_seconds\"\n[labels]\nversion = \"track\"\n",
        )
        .unwrap();
        assert_eq!(n.requests, "api_requests_total");
        assert_eq!(n.latency_bucket(), "api:latency_seconds_bucket");
        assert_eq!(n.labels.version, "track");
        let d = SeriesNames::default();
        assert_eq!(n.restarts, d.restarts);
        assert_eq!(n.labels.service, d.labels.service);
        assert_eq!(d.latency_bucket(), "http_request_duration_seconds_bucket");
    }

    #[test]
    fn an_unknown_key_is_refused_with_a_suggestion() {
        let e = errors("[metrics]\nrequest = \"x_total\"\n");
        assert_eq!(
            e,
            "names.toml: metrics.request: unknown key (did you mean `requests`?)"
        );
        let e = errors("[label]\nservice = \"svc\"\n");
        assert!(
            e.contains("label: unknown key (did you mean `labels`?)"),
            "{e}"
        );
    }

    #[test]
    fn invalid_names_are_refused_each_with_its_key() {
        let e = errors(
            "[metrics]\nrequests = \"http-requests\"\nmemory = \"9mem\"\n[labels]\ncode = \"status:code\"\napp = \"__app\"\n",
        );
        assert!(
            e.contains("metrics.requests: \"http-requests\" is not a Prometheus metric name"),
            "{e}"
        );
        assert!(e.contains("metrics.memory: \"9mem\""), "{e}");
        assert!(
            e.contains("labels.code: \"status:code\" is not a Prometheus label name"),
            "{e}"
        );
        assert!(e.contains("labels.app: \"__app\" starts with __"), "{e}");
        assert_eq!(e.lines().count(), 4, "{e}");
    }

    #[test]
    fn le_a_bucket_suffix_duplicates_and_non_strings_are_refused() {
        let e = errors("[labels]\nle = \"bound\"\n");
        assert!(e.contains("labels.le: cannot be renamed"), "{e}");
        let e = errors("[metrics]\nlatency_histogram = \"lat_seconds_bucket\"\n");
        assert!(
            e.contains("give the histogram's name, \"lat_seconds\""),
            "{e}"
        );
        let e = errors("[metrics]\nconversions = \"http_requests_total\"\n");
        assert!(
            e.contains("metrics.conversions: \"http_requests_total\" is already the name of metrics.requests"),
            "{e}"
        );
        let e = errors("[labels]\napp = \"service\"\n");
        assert!(
            e.contains("labels.app: \"service\" is already the name of labels.service"),
            "{e}"
        );
        let e = errors("[metrics]\nrequests = 3\n");
        assert!(
            e.contains("metrics.requests: expected a string, found the integer 3"),
            "{e}"
        );
        let e = errors(&format!("[metrics]\nrequests = \"{}\"\n", "a".repeat(201)));
        assert!(e.contains("at most 200"), "{e}");
    }

    #[test]
    fn an_empty_a_huge_or_a_broken_file_is_refused() {
        assert!(errors("").contains("names.toml: the file maps no name"));
        assert!(errors("# only a comment\n\n").contains("maps no name"));
        let huge = format!("# {}\n", "x".repeat(MAX_FILE_BYTES));
        assert!(errors(&huge).contains("at most 65536 bytes"));
        assert!(errors("[metrics\n").contains("not valid TOML"));
    }
}
