//! Kubernetes: `sweep-job.yaml`, a `batch/v1` Indexed Job with one completion per
//! shard (the shard from `JOB_COMPLETION_INDEX`, which the Job controller sets in every
//! pod), each retried on its own (`backoffLimitPerIndex`) and writing to a shared
//! ReadWriteMany volume; `merge-job.yaml`, a Job merging the shards there; and
//! `submit.sh`, which applies the first, waits for it to complete, then applies the
//! second. Kubernetes has no dependencies between Jobs, hence the script.
//!
//! The container runs rollcage directly (`command`/`args`, no shell, so the image
//! needs nothing but the binary): the index comes in through the kubelet's `$(VAR)`
//! expansion of `args`, and every `$` of the sweep's own words is written `$$`, which
//! that expansion turns back into one `$`, so they reach rollcage unchanged.

use super::shell::quote;
use super::{JobFile, JobFiles, JobRequest, KubernetesSite, merge_name};
use crate::RunnerError;
use policies::export::yaml::{self, Y};

pub const SWEEP_JOB: &str = "sweep-job.yaml";
pub const MERGE_JOB: &str = "merge-job.yaml";
pub const SUBMIT: &str = "submit.sh";

/// Retries of each index (a pod that failed or was evicted); each continues from the
/// rows its predecessors left.
const RETRIES_PER_INDEX: i64 = 3;
/// Retries of the merge pod.
const MERGE_RETRIES: i64 = 3;
/// The volume's name inside the pod templates.
const VOLUME: &str = "sweeps";
/// How long past the Jobs' deadline `submit.sh` waits before giving up: the
/// deadline counts from the Job's start, and a Job may wait a little to start.
const WAIT_GRACE_S: u64 = 300;
/// The completion index: the variable and the pod annotation it comes from.
const INDEX_VAR: &str = "JOB_COMPLETION_INDEX";
const INDEX_FIELD: &str = "metadata.annotations['batch.kubernetes.io/job-completion-index']";

/// `s` with every `$` doubled, so the kubelet's expansion of `command` and `args`
/// leaves it as it was.
fn literal(s: &str) -> String {
    s.replace('$', "$$")
}

fn check(site: &KubernetesSite) -> Result<(), RunnerError> {
    if site.image.is_empty() || site.image.contains(char::is_whitespace) {
        return Err(RunnerError::Usage(format!(
            "--image: \"{}\" is not an image reference (no spaces)",
            site.image
        )));
    }
    let m = &site.mount_path;
    if !m.starts_with('/') || m.contains(char::is_whitespace) || m.contains(':') || m == "/" {
        return Err(RunnerError::Usage(format!(
            "--mount-path: \"{m}\" must be an absolute path other than /, without spaces or `:`"
        )));
    }
    Ok(())
}

/// A Job: `spec` fields first, then the pod template running `args`.
fn job(
    req: &JobRequest,
    site: &KubernetesSite,
    name: &str,
    spec: Vec<(&str, Y)>,
    container: &str,
    args: Vec<String>,
    indexed: bool,
) -> Y {
    let mut spec = spec;
    let mut c = vec![
        ("name", Y::str(container)),
        ("image", Y::str(&site.image)),
        ("command", Y::Seq(vec![Y::str(literal(&req.program))])),
        ("args", Y::Seq(args.into_iter().map(Y::Str).collect())),
    ];
    if indexed {
        // The Job controller sets this variable in every pod of an Indexed Job;
        // declaring it in the container too (from the same annotation) makes the
        // `$(JOB_COMPLETION_INDEX)` of `args` a reference to the container's own `env`,
        // which is what the kubelet's expansion reads.
        c.push((
            "env",
            Y::Seq(vec![Y::map(vec![
                ("name", Y::str(INDEX_VAR)),
                (
                    "valueFrom",
                    Y::map(vec![(
                        "fieldRef",
                        Y::map(vec![("fieldPath", Y::str(INDEX_FIELD))]),
                    )]),
                ),
            ])]),
        ));
    }
    c.push((
        "resources",
        Y::map(vec![(
            "requests",
            Y::map(vec![("cpu", Y::str(site.cpus_per_task.to_string()))]),
        )]),
    ));
    c.push((
        "volumeMounts",
        Y::Seq(vec![Y::map(vec![
            ("name", Y::str(VOLUME)),
            ("mountPath", Y::str(&site.mount_path)),
        ])]),
    ));
    spec.push((
        "activeDeadlineSeconds",
        Y::int(i64::try_from(req.time_limit.as_secs()).unwrap_or(i64::MAX)),
    ));
    spec.push((
        "template",
        Y::map(vec![(
            "spec",
            Y::map(vec![
                ("restartPolicy", Y::str("Never")),
                ("containers", Y::Seq(vec![Y::map(c)])),
                (
                    "volumes",
                    Y::Seq(vec![Y::map(vec![
                        ("name", Y::str(VOLUME)),
                        (
                            "persistentVolumeClaim",
                            Y::map(vec![("claimName", Y::str(site.claim.as_str()))]),
                        ),
                    ])]),
                ),
            ]),
        )]),
    ));
    Y::map(vec![
        ("apiVersion", Y::str("batch/v1")),
        ("kind", Y::str("Job")),
        ("metadata", Y::map(vec![("name", Y::str(name))])),
        ("spec", Y::map(spec)),
    ])
}

pub fn files(req: &JobRequest, site: &KubernetesSite) -> Result<JobFiles, RunnerError> {
    check(site)?;
    let n = req.shards;
    let base = format!(
        "{}/{}",
        site.mount_path.trim_end_matches('/'),
        req.name.as_str()
    );
    let merged = format!("{base}/merged");
    let shard_dir = |i: &str| format!("{}/shard-{i}", literal(&base));
    let index = "$(JOB_COMPLETION_INDEX)";

    let mut args = vec!["sweep".to_string()];
    args.extend(req.sweep.iter().map(|w| literal(w)));
    args.push(format!("--shard={index}/{n}"));
    args.push(format!("--out={}", shard_dir(index)));
    args.push("--resume".into());
    let sweep = job(
        req,
        site,
        req.name.as_str(),
        vec![
            ("completionMode", Y::str("Indexed")),
            ("completions", Y::int(n as i64)),
            ("parallelism", Y::int(n as i64)),
            ("backoffLimitPerIndex", Y::int(RETRIES_PER_INDEX)),
        ],
        "shard",
        args,
        true,
    );

    let mut args = vec!["merge".to_string()];
    args.extend((0..n).map(|i| shard_dir(&i.to_string())));
    // --force: the merged directory belongs to this job; a retried merge pod writes
    // over what a failed one left.
    args.push(format!("--out={}", literal(&merged)));
    args.push("--force".into());
    let merge_job_name = merge_name(&req.name);
    let merge = job(
        req,
        site,
        &merge_job_name,
        vec![("backoffLimit", Y::int(MERGE_RETRIES))],
        "merge",
        args,
        false,
    );

    let header = |what: &str| {
        yaml::comment(&format!(
            "{what}\nWritten by {} (sweep --emit-job k8s). Apply with: sh {}/{SUBMIT}",
            req.generator, req.out
        ))
    };
    let sweep_text = format!(
        "{}{}",
        header(&format!(
            "The rollcage sweep cut into {n} shards: completion index I runs --shard I/{n} into {base}/shard-I on the volume claim {}, continuing (--resume) whatever an earlier pod of its index left.",
            site.claim.as_str()
        )),
        yaml::to_string(&sweep)
    );
    let merge_text = format!(
        "{}{}",
        header(&format!(
            "Merges the {n} shards into {merged} once the Job {} has completed (submit.sh applies it then).",
            req.name.as_str()
        )),
        yaml::to_string(&merge)
    );
    let wait = req.time_limit.as_secs() + WAIT_GRACE_S;
    let name = quote(req.name.as_str());
    let submit = format!(
        "#!/bin/sh\n\
         # Applies the rollcage sweep's Indexed Job, waits for every index to complete,\n\
         # then applies the merge Job and waits for it. Kubernetes has no dependencies\n\
         # between Jobs: if an index keeps failing, the wait ends after the deadline;\n\
         # `kubectl describe job/{name}` says why. Needs kubectl for the cluster and the\n\
         # namespace to run in.\n\
         # Written by {generator} (sweep --emit-job k8s).\n\
         set -eu\n\
         here=$(dirname \"$0\")\n\
         kubectl apply -f \"$here\"/{SWEEP_JOB}\n\
         kubectl wait --for=condition=complete --timeout={wait}s job/{name}\n\
         kubectl apply -f \"$here\"/{MERGE_JOB}\n\
         kubectl wait --for=condition=complete --timeout={wait}s job/{merge_q}\n\
         echo \"merged sweep: \"{merged_q}\" on the volume claim {claim}\"\n",
        generator = req.generator,
        merge_q = quote(&merge_job_name),
        merged_q = quote(&merged),
        claim = site.claim.as_str(),
    );
    Ok(JobFiles {
        files: vec![
            JobFile {
                name: SUBMIT.into(),
                text: submit,
            },
            JobFile {
                name: SWEEP_JOB.into(),
                text: sweep_text,
            },
            JobFile {
                name: MERGE_JOB.into(),
                text: merge_text,
            },
        ],
        start: format!(
            "apply with: sh {} (kubectl for the cluster; the merged sweep goes to {merged} on the claim {})",
            quote(&format!("{}/{SUBMIT}", req.out.trim_end_matches('/'))),
            site.claim.as_str()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::request;
    use super::super::{Site, job_files};
    use super::*;
    use policies::k8s_names::DnsSubdomain;

    fn site() -> KubernetesSite {
        KubernetesSite {
            image: "registry.example.com/rollcage:0.1.0".into(),
            claim: DnsSubdomain::new("rollcage-sweeps").unwrap(),
            mount_path: "/sweeps".into(),
            cpus_per_task: 2,
        }
    }

    #[test]
    fn dollars_are_doubled_so_the_kubelet_leaves_them_alone() {
        assert_eq!(literal("a$b$(X)$$"), "a$$b$$(X)$$$$");
    }

    #[test]
    fn the_indexed_job_names_its_shard_from_the_completion_index() {
        let mut r = request(Site::Kubernetes(site()));
        r.sweep.push("--set=policy.name=$HOME".into());
        let f = job_files(&r).unwrap();
        let s = &f.files[1].text;
        assert!(
            s.contains("  completionMode: Indexed\n  completions: 4\n  parallelism: 4\n"),
            "{s}"
        );
        assert!(
            s.contains("- \"--shard=$(JOB_COMPLETION_INDEX)/4\"\n"),
            "{s}"
        );
        assert!(
            s.contains("- \"--out=/sweeps/rollcage-sweep/shard-$(JOB_COMPLETION_INDEX)\"\n"),
            "{s}"
        );
        assert!(s.contains("- \"--set=policy.name=$$HOME\"\n"), "{s}");
        assert!(s.contains("claimName: rollcage-sweeps\n"), "{s}");
        let m = &f.files[2].text;
        assert!(
            m.contains("- \"--out=/sweeps/rollcage-sweep/merged\"\n"),
            "{m}"
        );
        assert!(m.contains("- \"/sweeps/rollcage-sweep/shard-3\"\n"), "{m}");
    }

    #[test]
    fn bad_images_and_mount_paths_are_refused() {
        let mut s = site();
        s.image = "a b".into();
        let e = job_files(&request(Site::Kubernetes(s)))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--image:"), "{e}");
        for m in ["sweeps", "/", "/a b", "/a:b"] {
            let mut s = site();
            s.mount_path = m.into();
            let e = job_files(&request(Site::Kubernetes(s)))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("--mount-path:"), "{m}: {e}");
        }
    }
}
