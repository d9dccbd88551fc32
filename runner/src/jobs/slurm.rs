//! Slurm: `sweep.sbatch`, one array task per shard (`--array=0-(N-1)`, the shard from
//! `SLURM_ARRAY_TASK_ID`); `merge.sbatch`, submitted with
//! `--dependency=afterok:ARRAY` so it starts once every task succeeded (and with
//! `--kill-on-invalid-dep=yes`, so a failed task cancels it instead of leaving it
//! pending for ever); and `submit.sh`, which submits both with `sbatch --parsable` and
//! takes an optional list of tasks to resubmit.
//!
//! Slurm runs a batch job in the directory `sbatch` was called from, so every path
//! (the sweep's own files and `DIR`) is used as given, relative to the directory
//! `--emit-job` ran in: `submit.sh` is run from there, and refuses to run elsewhere.
//! The tasks write `DIR/shards/shard-I`, the merge `DIR/merged`, logs go to
//! `DIR/logs/`.

use std::path::Path;

use super::shell::{join, quote, quote_command};
use super::{JobFile, JobFiles, JobRequest, SlurmSite, merge_name};
use crate::RunnerError;

pub const SWEEP_SCRIPT: &str = "sweep.sbatch";
pub const MERGE_SCRIPT: &str = "merge.sbatch";
pub const SUBMIT: &str = "submit.sh";

/// A limit as Slurm's `--time` reads it, `D-HH:MM:SS`.
fn slurm_time(secs: u64) -> String {
    let (d, rest) = (secs / 86_400, secs % 86_400);
    format!(
        "{d}-{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `DIR/part` as text (DIR as given; `Path::join` drops a trailing slash's double).
fn under(dir: &str, part: &str) -> String {
    Path::new(dir).join(part).to_string_lossy().into_owned()
}

/// Slurm reads `%` in `--output` as a replacement symbol (`%%` is a literal one).
fn output_pattern(path: &str) -> String {
    path.replace('%', "%%")
}

fn check(req: &JobRequest, site: &SlurmSite) -> Result<(), RunnerError> {
    if let Some(p) = &site.partition
        && (p.is_empty()
            || !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)))
    {
        return Err(RunnerError::Usage(format!(
            "--partition: \"{p}\" is not a partition name (letters, digits, _ - .)"
        )));
    }
    // A backslash in an --output path turns Slurm's replacement symbols off, so every
    // task would log to one file literally named `%A_%a.out`.
    if req.out.contains(['\\', '\n', '\r']) {
        return Err(RunnerError::Usage(format!(
            "{:?}: --out for Slurm files cannot hold a backslash or a line break (Slurm reads a backslash in a log path as \"no %A/%a substitution\")",
            req.out
        )));
    }
    Ok(())
}

/// The `#SBATCH` lines both scripts share.
fn directives(req: &JobRequest, site: &SlurmSite, job: &str) -> String {
    let mut s = format!("#SBATCH --job-name={job}\n#SBATCH --ntasks=1\n");
    s.push_str(&format!("#SBATCH --cpus-per-task={}\n", site.cpus_per_task));
    s.push_str(&format!(
        "#SBATCH --time={}\n",
        slurm_time(req.time_limit.as_secs())
    ));
    if let Some(p) = &site.partition {
        s.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    s
}

pub fn files(req: &JobRequest, site: &SlurmSite) -> Result<JobFiles, RunnerError> {
    check(req, site)?;
    let n = req.shards;
    let last = n - 1;
    let dir = &req.out;
    let shards = under(dir, "shards");
    let merged = under(dir, "merged");
    let logs = under(dir, "logs");
    let program = quote_command(&req.program);
    let task = "\"$SLURM_ARRAY_TASK_ID\"";

    let mut sweep = format!(
        "#!/bin/sh\n\
         # One shard of a rollcage sweep cut into {n}: array task I runs --shard I/{n}, and\n\
         # continues (--resume) whatever an earlier attempt of the task left.\n\
         # Written by {} (sweep --emit-job slurm). Submit with: sh {}\n",
        req.generator,
        quote(&under(dir, SUBMIT)),
    );
    sweep.push_str(&directives(req, site, req.name.as_str()));
    sweep.push_str(&format!("#SBATCH --array=0-{last}\n"));
    sweep.push_str("set -eu\n");
    sweep.push_str(
        ": \"${SLURM_ARRAY_TASK_ID:?not a Slurm array task: submit this script with submit.sh}\"\n",
    );
    let mut words = join(&req.sweep);
    if !words.is_empty() {
        words.push(' ');
    }
    sweep.push_str(&format!(
        "exec {program} sweep {words}--shard={task}/{n} --out={}{task} --resume\n",
        quote(&format!("{shards}/shard-"))
    ));

    let mut merge = format!(
        "#!/bin/sh\n\
         # Merges the {n} shards of the rollcage sweep into {}: submitted by submit.sh\n\
         # with --dependency=afterok on the array job, so it starts once every task\n\
         # succeeded; a failed task cancels it (--kill-on-invalid-dep).\n\
         # Written by {} (sweep --emit-job slurm).\n",
        merged, req.generator,
    );
    merge.push_str(&directives(req, site, &merge_name(&req.name)));
    merge.push_str("#SBATCH --kill-on-invalid-dep=yes\n");
    merge.push_str("set -eu\n");
    merge.push_str(&format!("exec {program} merge \\\n"));
    for i in 0..n {
        merge.push_str(&format!(
            "    {} \\\n",
            quote(&format!("{shards}/shard-{i}"))
        ));
    }
    // --force: the merged directory belongs to this job; a merge resubmitted after a
    // failure writes over what the failed one left.
    merge.push_str(&format!("    --out={} --force\n", quote(&merged)));

    let submit = format!(
        "#!/bin/sh\n\
         # Submits the rollcage sweep's {n} array tasks, then its merge to run once every\n\
         # task succeeded. Run it from the directory `rollcage sweep --emit-job` ran in:\n\
         # the sweep's paths are relative to it, and Slurm runs jobs where sbatch ran.\n\
         #   sh {submit_path}          every task, 0-{last}\n\
         #   sh {submit_path} 1,3      tasks 1 and 3 only (after they failed or were\n\
         #                             cancelled: they continue where they stopped),\n\
         #                             then a new merge\n\
         # Written by {generator} (sweep --emit-job slurm).\n\
         set -eu\n\
         if [ ! -f {sweep_path} ]; then\n\
         \x20   echo \"submit.sh: \"{sweep_path}\" not found: run this from the directory rollcage sweep --emit-job ran in\" >&2\n\
         \x20   exit 2\n\
         fi\n\
         tasks=${{1:-0-{last}}}\n\
         mkdir -p {logs_q}\n\
         array=$(sbatch --parsable --array=\"$tasks\" --output={array_log} {sweep_path})\n\
         array=${{array%%;*}}\n\
         merge=$(sbatch --parsable --dependency=afterok:\"$array\" --output={merge_log} {merge_path})\n\
         merge=${{merge%%;*}}\n\
         echo \"submitted array job $array (tasks $tasks) and merge job $merge; the merged sweep will be in \"{merged_q}\n",
        submit_path = quote(&under(dir, SUBMIT)),
        generator = req.generator,
        sweep_path = quote(&under(dir, SWEEP_SCRIPT)),
        merge_path = quote(&under(dir, MERGE_SCRIPT)),
        logs_q = quote(&logs),
        array_log = quote(&format!("{}/%A_%a.out", output_pattern(&logs))),
        merge_log = quote(&format!("{}/merge-%j.out", output_pattern(&logs))),
        merged_q = quote(&merged),
    );
    Ok(JobFiles {
        files: vec![
            JobFile {
                name: SUBMIT.into(),
                text: submit,
            },
            JobFile {
                name: SWEEP_SCRIPT.into(),
                text: sweep,
            },
            JobFile {
                name: MERGE_SCRIPT.into(),
                text: merge,
            },
        ],
        start: format!(
            "submit from this directory with: sh {}",
            quote(&under(dir, SUBMIT))
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{request, slurm};
    use super::super::{Site, job_files};
    use super::*;

    fn file<'a>(f: &'a JobFiles, name: &str) -> &'a str {
        &f.files.iter().find(|x| x.name == name).unwrap().text
    }

    #[test]
    fn times_are_slurm_days_hours_minutes_seconds() {
        assert_eq!(slurm_time(60), "0-00:01:00");
        assert_eq!(slurm_time(86_399), "0-23:59:59");
        assert_eq!(slurm_time(86_400 + 3661), "1-01:01:01");
    }

    #[test]
    fn the_array_script_runs_every_shard_with_resume() {
        let f = job_files(&request(slurm())).unwrap();
        let s = file(&f, SWEEP_SCRIPT);
        assert!(s.contains("#SBATCH --array=0-3\n"), "{s}");
        assert!(s.contains("#SBATCH --time=0-01:00:00\n"), "{s}");
        assert!(!s.contains("--partition"), "{s}");
        assert!(
            s.contains(
                "exec rollcage sweep '--scenarios=good-release,it'\\''s a file.toml' --policies=k8s-default --seeds=8 --set=scenario.run.horizon_seconds=300 --shard=\"$SLURM_ARRAY_TASK_ID\"/4 --out='jobs/sweep 1/shards/shard-'\"$SLURM_ARRAY_TASK_ID\" --resume\n"
            ),
            "{s}"
        );
        let m = file(&f, MERGE_SCRIPT);
        assert!(m.contains("#SBATCH --kill-on-invalid-dep=yes\n"), "{m}");
        assert!(
            m.contains("#SBATCH --job-name=rollcage-sweep-merge\n"),
            "{m}"
        );
        for i in 0..4 {
            assert!(
                m.contains(&format!("'jobs/sweep 1/shards/shard-{i}' \\\n")),
                "{m}"
            );
        }
        assert!(m.contains("--out='jobs/sweep 1/merged' --force\n"), "{m}");
        let sub = file(&f, SUBMIT);
        assert!(sub.contains("--dependency=afterok:\"$array\""), "{sub}");
        assert!(sub.contains("tasks=${1:-0-3}\n"), "{sub}");
    }

    #[test]
    fn percent_signs_in_the_directory_are_literal_in_log_patterns() {
        let mut r = request(slurm());
        r.out = "100%".into();
        let f = job_files(&r).unwrap();
        let sub = file(&f, SUBMIT);
        assert!(sub.contains("--output=100%%/logs/%A_%a.out"), "{sub}");
        assert!(sub.contains("mkdir -p 100%/logs\n"), "{sub}");
    }

    #[test]
    fn bad_partitions_and_backslashes_are_refused() {
        let mut r = request(Site::Slurm(SlurmSite {
            partition: Some("gpu queue".into()),
            cpus_per_task: 2,
        }));
        let e = job_files(&r).unwrap_err().to_string();
        assert!(e.starts_with("--partition:"), "{e}");
        r.site = Site::Slurm(SlurmSite {
            partition: Some("long".into()),
            cpus_per_task: 2,
        });
        let f = job_files(&r).unwrap();
        assert!(file(&f, SWEEP_SCRIPT).contains("#SBATCH --partition=long\n#SBATCH --array"));
        assert!(file(&f, SWEEP_SCRIPT).contains("#SBATCH --cpus-per-task=2\n"));
        r.out = "a\\b".into();
        assert!(job_files(&r).unwrap_err().to_string().contains("backslash"));
    }

    /// The scripts are valid `sh` (`sh -n` parses without running).
    #[test]
    fn every_script_parses_as_sh() {
        let f = job_files(&request(slurm())).unwrap();
        for file in &f.files {
            let out = std::process::Command::new("sh")
                .arg("-n")
                .arg("-c")
                .arg(&file.text)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                file.name,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
