//! What the end-to-end tests of manifest import share: the example manifests, the
//! check that a note is printed once per load, and the export and sweep they run on
//! manifests.

use std::path::PathBuf;

use super::{cli, run_fails, run_ok, stderr, stdout, temp_dir};

/// The path of `examples/manifests/NAME`.
pub fn example(name: &str) -> String {
    format!("{}/examples/manifests/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Asserts that `needle` stands exactly once in `text`: a note is printed once per
/// load, however many runs use the policy.
pub fn assert_once(text: &str, needle: &str) {
    assert_eq!(text.matches(needle).count(), 1, "{needle}\n{text}");
}

/// `rollcage export --policy POLICY --to TO`, which must succeed; its stdout.
pub fn export(policy: &str, to: &str) -> String {
    run_ok(&["export", "--policy", policy, "--to", to])
}

/// What a sweep printed, and where it wrote.
pub struct Sweep {
    /// The test's temporary directory (remove it when done).
    pub dir: PathBuf,
    /// The sweep's `--out` inside it.
    pub out: PathBuf,
    pub stdout: String,
    pub stderr: String,
}

/// `rollcage sweep` of `policies` on `scenarios` with 2 seeds and the `extra` flags,
/// into a fresh temporary directory named `name`; it must succeed.
pub fn sweep(name: &str, scenarios: &str, policies: &[&str], extra: &[&str]) -> Sweep {
    let dir = temp_dir(name);
    let out = dir.join("sweep");
    let policies = policies.join(",");
    let mut args = vec!["sweep", "--scenarios", scenarios, "--policies", &policies];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--seeds", "2", "--out", out.to_str().unwrap()]);
    let o = cli(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    Sweep {
        dir,
        out,
        stdout: stdout(&o),
        stderr: stderr(&o),
    }
}

/// Every command that reads a policy file (`run`, `plan` with `plan_flags`, `export
/// --to TO`, `validate`) refuses `policy` with exit code 2 and says each of `needles`.
pub fn refused_by_every_command(policy: &str, plan_flags: &[&str], to: &str, needles: &[&str]) {
    let mut plan = vec!["plan", "--policy", policy];
    plan.extend_from_slice(plan_flags);
    for args in [
        vec!["run", "--scenario", "steady", "--policy", policy],
        plan,
        vec!["export", "--policy", policy, "--to", to],
        vec!["validate", policy],
    ] {
        let err = run_fails(&args, 2, needles[0]);
        for needle in &needles[1..] {
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }
}
