//! The bounds on the numbers a policy holds, and why each is where it is.
//!
//! Every number is finite and within a bound when it is read: a wait is turned into
//! engine time (`SimDuration`, `u64` nanoseconds) when the controller schedules it, so
//! an unbounded one (`bake_seconds = 1e308`) would panic in the middle of a run, and an
//! interval of a microsecond would evaluate gates a million times a simulated second.
//! `docs/model.md` ("Limits") lists them.

/// The longest wait a policy may ask for (bake, pauses, delays, deadlines, windows,
/// `min_ready_seconds`): 30 days, the longest horizon a scenario may have. A longer
/// wait would never end inside any run.
pub const MAX_WAIT_SECONDS: f64 = 30.0 * 86_400.0;

/// How often a policy may poll (gate intervals, analysis intervals, Flagger's tick):
/// at most once a simulated second (Argo's and Flagger's intervals are written in
/// seconds, CloudWatch alarms in minutes), and at least once a day.
pub const MIN_INTERVAL_SECONDS: f64 = 1.0;
pub const MAX_INTERVAL_SECONDS: f64 = 86_400.0;

/// Counts of measurements, checks and iterations (analysis `count`, its limits,
/// Flagger's `threshold` and `iterations`).
pub const MAX_COUNT: u32 = 100_000;

/// Pod counts (`max_surge`, `max_unavailable`, `batch_size`, a `HOST_COUNT` minimum):
/// the largest fleet a scenario may have.
pub const MAX_PODS: u32 = 10_000;

/// Percentages of the fleet (`max_surge`, `batch_size`): beyond 100% they act as 100%,
/// so ten times that is already only a typo's room.
pub const MAX_PERCENT: f64 = 1_000.0;

/// A gate's threshold and slack: a billion of the metric's unit (ms, MB, restarts, a
/// ratio) is beyond any metric a gate reads.
pub const MAX_THRESHOLD: f64 = 1e9;

/// A Mann-Whitney gate's tolerance (a share of the estimate; Kayenta's default is 0.25).
pub const MAX_TOLERANCE: f64 = 100.0;

/// A gate's `min_samples`.
pub const MAX_MIN_SAMPLES: u64 = 1_000_000_000;

/// Gates in one policy: each is evaluated, and logged, at every evaluation.
pub const MAX_GATES: usize = 32;

/// Steps of an Argo canary.
pub const MAX_STEPS: usize = 1_000;

/// The largest manifest file `--policy FILE.yaml` (or `--analysis`) reads: 4 MiB. A
/// policy's manifests (a Deployment or a Rollout and its templates) are a few kilobytes,
/// and Kubernetes stores no object over 1.5 MiB (etcd's request limit); a file past a
/// few such objects is a mistake (a log, a cluster dump) and is refused before it is
/// parsed into memory.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// Documents in one manifest file (`---` separated, or a `List`'s items): a service's
/// manifests are tens of objects; each document is parsed and kept in memory.
pub const MAX_MANIFEST_DOCUMENTS: usize = 256;

/// How deeply a manifest's mappings and lists may nest: Kubernetes objects nest about a
/// dozen levels (a pod template's container's probe's HTTP headers); the limit keeps a
/// hostile file from recursing the reader deep (the YAML parser itself stops at 128).
pub const MAX_MANIFEST_DEPTH: usize = 64;

#[cfg(test)]
mod tests {
    use crate::Policy;
    use config::Doc;

    fn read(text: &str) -> Result<Policy, Vec<String>> {
        let doc = Doc::parse("p.toml", &format!("schema_version = 1\n{text}")).unwrap();
        Policy::from_doc(&doc).map_err(|p| p.0.iter().map(|p| p.to_string()).collect())
    }

    /// `text` is refused with exactly this one problem.
    fn refused(text: &str, problem: &str) {
        assert_eq!(
            read(text).unwrap_err(),
            [format!("p.toml: {problem}")],
            "{text}"
        );
    }

    const GATE: &str = "[[gates]]\nmetric = \"error_ratio\"\nthreshold = 0.01\n";

    #[test]
    fn waits_stop_at_thirty_days() {
        assert!(read("bake_seconds = 2592000\n").is_ok());
        refused(
            "bake_seconds = 1e308\n",
            "bake_seconds: must be at most 2592000, found 1e308",
        );
        refused(
            "bake_seconds = inf\n",
            "bake_seconds: expected a number, found the number inf",
        );
        refused(
            "progress_deadline_seconds = 2592000.5\n",
            "progress_deadline_seconds: must be at most 2592000, found 2592000.5",
        );
        let pause = |d: &str| {
            read(&format!(
                "kind = \"canary\"\n[[steps]]\npause = {{ duration_seconds = {d} }}\n"
            ))
        };
        assert!(pause("2592000").is_ok());
        assert_eq!(
            pause("1e20").unwrap_err(),
            ["p.toml: steps[0].pause.duration_seconds: must be at most 2592000, found 1e20"]
        );
    }

    /// Argo's progress deadline: above zero, at most 30 days, and (as Argo validates)
    /// longer than `min_ready_seconds`, by any margin; the abort a boolean.
    #[test]
    fn argo_progress_deadlines_are_checked_as_argo_checks_them() {
        for kind in [
            "kind = \"canary\"\nsteps = [{set_weight = 50}]\n",
            "kind = \"blue-green\"\n",
        ] {
            assert!(read(&format!("{kind}progress_deadline_seconds = 2592000\n")).is_ok());
            assert!(
                read(&format!(
                    "{kind}min_ready_seconds = 30\nprogress_deadline_seconds = 30.5\nprogress_deadline_abort = true\n"
                ))
                .is_ok()
            );
            refused(
                &format!("{kind}min_ready_seconds = 30\nprogress_deadline_seconds = 30\n"),
                "progress_deadline_seconds: must be greater than min_ready_seconds (30), as Argo's validation requires; found 30",
            );
            refused(
                &format!("{kind}min_ready_seconds = 600\n"),
                "progress_deadline_seconds: must be greater than min_ready_seconds (600), as Argo's validation requires; found 600 (the default)",
            );
            refused(
                &format!("{kind}progress_deadline_seconds = 0\n"),
                "progress_deadline_seconds: must be positive, found 0",
            );
            refused(
                &format!("{kind}progress_deadline_seconds = 2592000.5\n"),
                "progress_deadline_seconds: must be at most 2592000, found 2592000.5",
            );
            refused(
                &format!("{kind}progress_deadline_abort = \"yes\"\n"),
                "progress_deadline_abort: expected true or false, found the string \"yes\"",
            );
        }
    }

    #[test]
    fn intervals_are_between_a_second_and_a_day() {
        assert!(read("gate_interval_seconds = 1\n").is_ok());
        assert!(read("gate_interval_seconds = 86400\n").is_ok());
        refused(
            "gate_interval_seconds = 0.999\n",
            "gate_interval_seconds: must be at least 1, found 0.999",
        );
        refused(
            "gate_interval_seconds = 86401\n",
            "gate_interval_seconds: must be at most 86400, found 86401",
        );
    }

    #[test]
    fn gate_numbers_are_bounded() {
        assert!(read(&format!("{GATE}window_seconds = 2592000\n")).is_ok());
        refused(
            &format!("{GATE}window_seconds = 1e300\n"),
            "gates[0].window_seconds: must be at most 2592000, found 1e300",
        );
        assert!(read("[[gates]]\nthreshold = 1e9\n").is_ok());
        refused(
            "[[gates]]\nthreshold = 1.5e9\n",
            "gates[0].threshold: must be at most 1000000000, found 1500000000",
        );
        refused(
            &format!("{GATE}min_samples = 1000000001\n"),
            "gates[0].min_samples: must be at most 1000000000, found 1000000001",
        );
        let many: String = (0..33)
            .map(|i| format!("[[gates]]\nname = \"g{i}\"\nthreshold = 1\n"))
            .collect();
        refused(&many, "gates: at most 32 gates, found 33");
    }

    #[test]
    fn pod_counts_and_percentages_never_wrap() {
        assert!(read("max_surge = 10000\n").is_ok());
        refused(
            "max_surge = 4294967297\n",
            "max_surge: must be at most 10000 pods, found 4294967297",
        );
        assert!(read("max_surge = \"1000%\"\n").is_ok());
        refused(
            "max_surge = \"1001%\"\n",
            "max_surge: must be at most 1000%, found 1001%",
        );
        refused(
            "kind = \"canary\"\nsemantics = \"flagger\"\nthreshold = 100001\nstep_weight = 10\n",
            "threshold: must be at most 100000, found 100001",
        );
    }
}
