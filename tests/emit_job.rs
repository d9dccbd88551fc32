//! `rollcage sweep --emit-job`: the Kubernetes Jobs validate strictly (an unknown
//! field is an error) against the real batch/v1 OpenAPI schema, and a typo is caught;
//! the GitHub Actions workflow has what a runner needs (`on`, the matrix, `needs`, each
//! step either `uses` or `run`). Both are then carried out here as their engine would:
//! each Job's `command` and `args` after the kubelet's `$(VAR)` expansion with every
//! completion index, each matrix job's `run` steps with its `matrix.shard`, artifacts
//! uploaded and downloaded as directories named after them, and the merged directory
//! must be byte-identical to the same sweep run in one process. The sweep names a file
//! whose path holds spaces, both quotes and `$`. Then the refusals: flags that cannot
//! go together, shard counts, a non-empty directory, bad input (nothing written).
//! (`tests/slurm.rs` submits the Slurm files to a real cluster.)

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assert_same_dirs, files, run_fails, stderr, temp_dir};
use crdcheck::{Checker, parse_yaml};
use serde_json::Value;

const ROLLCAGE: &str = env!("CARGO_BIN_EXE_rollcage");
const SHARDS: usize = 3;
/// A scenario file's directory and path, relative to a test's directory.
const SCENARIO_DIR: &str = "it's a \"$dir\"";
const SCENARIO: &str = "it's a \"$dir\"/checkout $5.toml";

/// The sweep: 2 scenarios x 2 policies x 6 seeds, short horizons.
fn sweep_args() -> Vec<String> {
    [
        "sweep",
        "--scenarios",
        &format!("good-release,{SCENARIO}"),
        "--policies",
        "k8s-default,gated-10pct",
        "--set",
        "scenario.run.horizon_seconds=300",
        "--seeds",
        "6",
        "--seed",
        "11",
        "--bootstrap",
        "200",
    ]
    .map(String::from)
    .to_vec()
}

/// A test directory holding the scenario file.
fn workspace(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    fs::create_dir_all(dir.join(SCENARIO_DIR)).unwrap();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/checkout.toml"),
        dir.join(SCENARIO),
    )
    .unwrap();
    dir
}

/// Runs rollcage in `dir`: (success, stdout, stderr).
fn rollcage_in(dir: &Path, args: &[String]) -> (bool, String, String) {
    let out = Command::new(ROLLCAGE)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("rollcage runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The sweep in one process, into `dir/whole`.
fn whole(dir: &Path) {
    let mut a = sweep_args();
    a.extend(["--out", "whole"].map(String::from));
    let (ok, _, err) = rollcage_in(dir, &a);
    assert!(ok, "{err}");
}

/// `--emit-job KIND --shards 3 --out jobs` and `extra`, in `dir`: stderr.
fn emit(dir: &Path, kind: &str, extra: &[&str]) -> String {
    let mut a = sweep_args();
    a.extend(
        [
            "--emit-job",
            kind,
            "--shards",
            &SHARDS.to_string(),
            "--out",
            "jobs",
        ]
        .map(String::from),
    );
    a.extend(extra.iter().map(|s| s.to_string()));
    let (ok, out, err) = rollcage_in(dir, &a);
    assert!(ok, "{a:?}: {err}");
    assert!(out.contains("rollcage sweep: wrote jobs/{"), "{out}");
    err
}

fn batch_checker() -> Checker {
    let mut c = Checker::new();
    c.add_openapi(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("policies/tests/fixtures/schemas/kubernetes/apis__batch__v1_openapi.json"),
        &["Job"],
    );
    c
}

fn one_doc(path: &Path) -> Value {
    let docs = parse_yaml(&fs::read_to_string(path).unwrap());
    assert_eq!(docs.len(), 1, "{}", path.display());
    docs.into_iter().next().unwrap()
}

#[test]
fn the_kubernetes_jobs_validate_strictly_against_batch_v1_and_a_typo_does_not() {
    let dir = workspace("emit-k8s-schema");
    let err = emit(&dir, "k8s", &[]);
    assert!(err.contains("EDIT or pass --image"), "{err}");
    assert!(err.contains("CREATE or pass --volume-claim"), "{err}");
    assert!(err.contains("the sweep names files"), "{err}");
    let checker = batch_checker();
    for f in ["sweep-job.yaml", "merge-job.yaml"] {
        let doc = one_doc(&dir.join("jobs").join(f));
        let errors = checker.errors(&doc);
        assert!(errors.is_empty(), "{f}: {errors:?}");
        assert_eq!(doc["kind"], "Job");
    }
    let sweep = one_doc(&dir.join("jobs/sweep-job.yaml"));
    assert_eq!(sweep["spec"]["completionMode"], "Indexed");
    assert_eq!(sweep["spec"]["completions"], SHARDS);
    let pod = &sweep["spec"]["template"]["spec"];
    assert_eq!(
        pod["restartPolicy"], "Never",
        "backoffLimitPerIndex needs Never"
    );
    let env = &pod["containers"][0]["env"][0];
    assert_eq!(env["name"], "JOB_COMPLETION_INDEX");
    assert_eq!(
        env["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "rollcage-sweeps"
    );
    // A field the schema does not have, at the top of the spec and deep in the pod.
    for (at, from, to) in [
        ("spec", "completionMode", "completionMod"),
        ("container", "volumeMounts", "volumeMount"),
    ] {
        let mut bad = sweep.clone();
        let obj = match at {
            "spec" => &mut bad["spec"],
            _ => &mut bad["spec"]["template"]["spec"]["containers"][0],
        };
        let v = obj.as_object_mut().unwrap().remove(from).unwrap();
        obj.as_object_mut().unwrap().insert(to.into(), v);
        let errors = checker.errors(&bad);
        assert!(
            errors.iter().any(|e| e.contains(to)),
            "{to} was accepted: {errors:?}"
        );
    }
    // Without the defaults announced, given flags say nothing of them.
    let dir2 = workspace("emit-k8s-given");
    let err = emit(
        &dir2,
        "k8s",
        &[
            "--image",
            "registry.example.com/rollcage:1",
            "--volume-claim",
            "sweeps",
        ],
    );
    assert!(
        !err.contains("--image") && !err.contains("--volume-claim"),
        "{err}"
    );
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_dir_all(&dir2);
}

/// The kubelet's expansion of `command` and `args`: `$(NAME)` becomes the variable's
/// value when the container has it, `$$` one `$`, anything else stays as it is.
fn kubelet_expand(s: &str, env: &[(&str, String)]) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = after.strip_prefix('(')
            && let Some(end) = r.find(')')
            && let Some((_, v)) = env.iter().find(|(k, _)| *k == &r[..end])
        {
            out.push_str(v);
            rest = &r[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Runs the first container of a Job's pod with `env`, in `dir` (the image's working
/// directory), as the kubelet would start it.
fn run_pod(job: &Value, env: &[(&str, String)], dir: &Path) {
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    let words = |k: &str| -> Vec<String> {
        c[k].as_array()
            .unwrap()
            .iter()
            .map(|w| kubelet_expand(w.as_str().unwrap(), env))
            .collect()
    };
    let (command, args) = (words("command"), words("args"));
    assert_eq!(command.len(), 1);
    let out = Command::new(&command[0])
        .args(&args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_indexed_job_run_index_by_index_merges_to_the_one_process_sweep() {
    let dir = workspace("emit-k8s-run");
    whole(&dir);
    let volume = dir.join("volume");
    fs::create_dir_all(&volume).unwrap();
    let mount = volume.to_str().unwrap();
    emit(
        &dir,
        "k8s",
        &[
            "--rollcage-bin",
            ROLLCAGE,
            "--mount-path",
            mount,
            "--job-name",
            "sw",
        ],
    );
    let sweep = one_doc(&dir.join("jobs/sweep-job.yaml"));
    let merge = one_doc(&dir.join("jobs/merge-job.yaml"));
    // Index 1 twice: a retried pod continues (--resume) and changes nothing.
    for i in [0, 1, 2, 1] {
        run_pod(&sweep, &[("JOB_COMPLETION_INDEX", i.to_string())], &dir);
    }
    run_pod(&merge, &[], &dir);
    assert_same_dirs(&dir.join("whole"), &volume.join("sw/merged"));
    let _ = fs::remove_dir_all(&dir);
}

/// A workflow step: `uses` an action or `run`s a script, never both.
fn check_step(job: &str, step: &Value) {
    let uses = step.get("uses").and_then(Value::as_str);
    let run = step.get("run").and_then(Value::as_str);
    assert!(uses.is_some() != run.is_some(), "{job}: {step}");
    if let Some(u) = uses {
        let (action, version) = u.split_once('@').expect("an action pinned to a version");
        assert!(
            [
                "actions/checkout",
                "actions/upload-artifact",
                "actions/download-artifact"
            ]
            .contains(&action)
                && version == "v4",
            "{job}: {u}"
        );
    }
}

/// Runs a `run` step as GitHub does (`bash -e`), with `${{ matrix.shard }}` replaced.
fn run_step(script: &str, shard: Option<usize>, dir: &Path) {
    let script = match shard {
        Some(i) => script.replace("${{ matrix.shard }}", &i.to_string()),
        None => script.to_string(),
    };
    assert!(!script.contains("${{"), "an expression left: {script}");
    let out = Command::new("bash")
        .args([
            "--noprofile",
            "--norc",
            "-e",
            "-o",
            "pipefail",
            "-c",
            &script,
        ])
        .current_dir(dir)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for (name, bytes) in files(from) {
        let p = to.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
}

#[test]
fn the_workflow_has_what_a_runner_needs_and_its_steps_merge_to_the_one_process_sweep() {
    let dir = workspace("emit-gha");
    whole(&dir);
    let err = emit(
        &dir,
        "github-actions",
        &[
            "--rollcage-bin",
            ROLLCAGE,
            "--install",
            "true",
            "--job-name",
            "sw",
        ],
    );
    assert!(err.contains("the sweep names files"), "{err}");
    let wf = one_doc(&dir.join("jobs/sw.yml"));
    assert!(
        wf["on"]["workflow_dispatch"].is_object(),
        "`on` is a string key: {wf}"
    );
    let shard = &wf["jobs"]["shard"];
    let merge = &wf["jobs"]["merge"];
    assert_eq!(
        shard["strategy"]["matrix"]["shard"],
        serde_json::json!([0, 1, 2])
    );
    assert_eq!(shard["strategy"]["fail-fast"], false);
    assert_eq!(merge["needs"], "shard");
    for (name, job) in [("shard", shard), ("merge", merge)] {
        assert!(job["runs-on"].as_str().is_some(), "{name}");
        assert!(job["timeout-minutes"].as_u64().is_some(), "{name}");
        let steps = job["steps"].as_array().unwrap();
        assert_eq!(steps[0]["uses"], "actions/checkout@v4", "{name}");
        steps.iter().for_each(|s| check_step(name, s));
    }

    // Each matrix job on a runner of its own, its artifact kept by name.
    let artifacts = dir.join("artifacts");
    let mut uploaded = Vec::new();
    for i in 0..SHARDS {
        let runner = dir.join(format!("runner-{i}"));
        fs::create_dir_all(runner.join(SCENARIO_DIR)).unwrap();
        fs::copy(dir.join(SCENARIO), runner.join(SCENARIO)).unwrap();
        for step in shard["steps"].as_array().unwrap() {
            if let Some(script) = step["run"].as_str() {
                run_step(script, Some(i), &runner);
            } else if step["uses"] == "actions/upload-artifact@v4" {
                let with = &step["with"];
                let sub = |k: &str| {
                    with[k]
                        .as_str()
                        .unwrap()
                        .replace("${{ matrix.shard }}", &i.to_string())
                };
                copy_dir(&runner.join(sub("path")), &artifacts.join(sub("name")));
                uploaded.push(sub("name"));
            }
        }
    }
    // The merge job downloads every artifact its pattern matches into a directory
    // named after it.
    let runner = dir.join("runner-merge");
    fs::create_dir_all(&runner).unwrap();
    let mut merged_artifact = None;
    for step in merge["steps"].as_array().unwrap() {
        if let Some(script) = step["run"].as_str() {
            run_step(script, None, &runner);
        } else if step["uses"] == "actions/download-artifact@v4" {
            let pattern = step["with"]["pattern"].as_str().unwrap();
            let prefix = pattern.strip_suffix('*').expect("a prefix pattern");
            let matched: Vec<&String> = uploaded.iter().filter(|n| n.starts_with(prefix)).collect();
            assert_eq!(matched.len(), SHARDS, "{pattern} vs {uploaded:?}");
            for name in matched {
                copy_dir(&artifacts.join(name), &runner.join(name));
            }
        } else if step["uses"] == "actions/upload-artifact@v4" {
            merged_artifact = Some(runner.join(step["with"]["path"].as_str().unwrap()));
        }
    }
    let merged = merged_artifact.expect("the merge job uploads the merged sweep");
    assert_same_dirs(&dir.join("whole"), &merged);
    let _ = fs::remove_dir_all(&dir);
}

/// Byte-stable, and every script parses as `sh`.
#[test]
fn the_same_command_writes_the_same_files() {
    let (a, b) = (workspace("emit-same-a"), workspace("emit-same-b"));
    for kind in ["slurm", "k8s", "github-actions"] {
        let _ = fs::remove_dir_all(a.join("jobs"));
        let _ = fs::remove_dir_all(b.join("jobs"));
        emit(&a, kind, &[]);
        emit(&b, kind, &[]);
        assert_eq!(files(&a.join("jobs")), files(&b.join("jobs")), "{kind}");
        // Every script is valid sh (`sh -n` parses without running).
        for (name, _) in files(&a.join("jobs")) {
            if name.ends_with(".sh") || name.ends_with(".sbatch") {
                let o = Command::new("sh")
                    .arg("-n")
                    .arg(a.join("jobs").join(&name))
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{kind} {name}: {}", stderr(&o));
            }
        }
    }
    let _ = fs::remove_dir_all(&a);
    let _ = fs::remove_dir_all(&b);
}

#[test]
fn incompatible_flags_bad_counts_and_bad_input_are_refused_and_write_nothing() {
    let dir = temp_dir("emit-refusals");
    let out = dir.join("jobs");
    let base = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "sweep",
            "--scenarios",
            "good-release",
            "--policies",
            "k8s-default",
            "--seeds",
            "4",
            "--out",
            out.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let refused = |extra: &[&str], needle: &str| {
        run_fails(&base(extra), 2, needle);
        assert!(!out.exists(), "{extra:?} wrote {}", out.display());
    };
    refused(
        &["--emit-job", "slurm", "--shards", "2", "--shard", "0/2"],
        "--shard",
    );
    refused(
        &["--emit-job", "slurm", "--shards", "2", "--resume"],
        "--resume",
    );
    refused(&["--emit-job", "slurm"], "--shards");
    refused(&["--shards", "2"], "--emit-job");
    refused(&["--image", "x"], "--emit-job");
    refused(
        &["--emit-job", "kubernetes", "--shards", "2"],
        "expected one of: slurm, k8s, github-actions",
    );
    refused(
        &["--emit-job", "slurm", "--shards", "0"],
        "error: --shards: expected a whole number from 1 to 1000, found 0",
    );
    refused(&["--emit-job", "slurm", "--shards", "1001"], "found 1001");
    refused(&["--emit-job", "github-actions", "--shards", "257"], "256");
    refused(
        &["--emit-job", "slurm", "--shards", "2", "--image", "x"],
        "--image applies to --emit-job k8s only, not slurm",
    );
    refused(
        &[
            "--emit-job",
            "github-actions",
            "--shards",
            "2",
            "--cpus-per-task",
            "2",
        ],
        "--cpus-per-task applies to --emit-job slurm or k8s only",
    );
    refused(
        &[
            "--emit-job",
            "k8s",
            "--shards",
            "2",
            "--job-name",
            "Bad_Name",
        ],
        "--job-name",
    );
    refused(
        &[
            "--emit-job",
            "slurm",
            "--shards",
            "2",
            "--time-limit",
            "30s",
        ],
        "--time-limit",
    );
    // Bad sweep input is refused before anything is written.
    let mut bad = base(&["--emit-job", "slurm", "--shards", "2"]);
    bad[2] = "no-such-scenario".into();
    run_fails(&bad, 2, "no-such-scenario");
    assert!(!out.exists());
    // A non-empty directory needs --force, which replaces the job files and leaves
    // other files alone.
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("notes.txt"), "mine").unwrap();
    run_fails(
        &base(&["--emit-job", "slurm", "--shards", "2"]),
        2,
        "pass --force",
    );
    assert_eq!(fs::read_dir(&out).unwrap().count(), 1);
    let o = common::cli(
        &base(&["--emit-job", "slurm", "--shards", "2", "--force"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    let script = fs::read_to_string(out.join("sweep.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-1\n"), "{script}");
    assert!(
        !script.contains("--force") && script.contains(" --resume\n"),
        "the tasks get --resume, never --force: {script}"
    );
    let _ = fs::remove_dir_all(&dir);
}
