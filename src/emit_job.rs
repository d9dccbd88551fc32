//! `rollcage sweep ... --emit-job KIND --shards N --out DIR`: the flags, the sweep's
//! arguments as the user gave them (for every task to run word for word), what the
//! user must check on stderr, and the glue to `runner::jobs`, which writes the files.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory};
use policies::k8s_names::{DnsLabel, DnsSubdomain};
use runner::RunnerError;
use runner::jobs::{
    self, GithubSite, JobKind, JobRequest, KubernetesSite, MAX_ARRAY_SHARDS, Site, SlurmSite,
};
use runner::output::OutputDir;
use runner::sweep::plan::Plan;

use crate::numbers::{duration, whole};
use crate::{PROGRAM, print};

/// Defaults of the site flags, named once for the help text and the code.
const DEFAULT_NAME: &str = "rollcage-sweep";
const DEFAULT_PROGRAM: &str = "rollcage";
const DEFAULT_TIME_LIMIT: &str = "6h";
const DEFAULT_CLAIM: &str = "rollcage-sweeps";
const DEFAULT_MOUNT: &str = "/sweeps";
const DEFAULT_RUNS_ON: &str = "ubuntu-latest";
const DEFAULT_INSTALL: &str = "cargo install --locked --path .";

/// The `--emit-job` flags. Site flags are `Option`s, their defaults applied here, so
/// that a flag given for another engine is refused and a default the user probably
/// has to change is announced.
#[derive(Args)]
#[command(next_help_heading = "Batch job files (docs/scale-out.md)")]
pub struct EmitJobArgs {
    /// Write, instead of running the sweep, the files that fan it out on a batch
    /// engine into --out: slurm (submit.sh, sweep.sbatch: an sbatch --array script,
    /// merge.sbatch: a job depending on it), k8s (submit.sh, sweep-job.yaml: a batch/v1
    /// Indexed Job, merge-job.yaml) or github-actions (NAME.yml: a matrix workflow with
    /// a merging job). Every task runs this sweep's arguments as given, with --shard
    /// I/N, its own --out and --resume.
    #[arg(long, value_name = "KIND", value_parser = JobKind::parse, requires = "shards",
          conflicts_with_all = ["shard", "resume"])]
    pub emit_job: Option<JobKind>,
    /// Tasks to cut the sweep into, 1 to 1000 (256 for github-actions).
    #[arg(long, value_name = "N", requires = "emit_job",
          value_parser = whole::<u64, 1, MAX_ARRAY_SHARDS>)]
    shards: Option<u64>,
    /// The job's name (a DNS label of at most 57 characters; the merge is NAME-merge)
    /// [default: rollcage-sweep].
    #[arg(long, value_name = "NAME", requires = "emit_job")]
    job_name: Option<String>,
    /// How the tasks run rollcage: a command on the nodes' PATH or a path
    /// [default: rollcage].
    #[arg(long, value_name = "PATH", requires = "emit_job")]
    rollcage_bin: Option<String>,
    /// The longest a task may run (Slurm --time, the Jobs' activeDeadlineSeconds, a
    /// workflow job's timeout-minutes; at least 1m) [default: 6h].
    #[arg(long, value_name = "DURATION", requires = "emit_job", value_parser = duration)]
    time_limit: Option<f64>,
    /// slurm, k8s: CPUs per task, 1 to 1024; a task runs --threads as many when the
    /// sweep does not set --threads [default: the sweep's --threads, else 1].
    #[arg(long, value_name = "N", requires = "emit_job",
          value_parser = whole::<u32, 1, 1024>)]
    cpus_per_task: Option<u32>,
    /// slurm: the partition [default: the cluster's default partition].
    #[arg(long, value_name = "NAME", requires = "emit_job")]
    partition: Option<String>,
    /// k8s: an image holding the rollcage binary [default: rollcage:VERSION].
    #[arg(long, value_name = "IMAGE", requires = "emit_job")]
    image: Option<String>,
    /// k8s: the ReadWriteMany PersistentVolumeClaim the shards and the merged sweep
    /// are written to [default: rollcage-sweeps].
    #[arg(long, value_name = "NAME", requires = "emit_job")]
    volume_claim: Option<String>,
    /// k8s: where the claim is mounted; the job writes MOUNT/NAME/shard-I and
    /// MOUNT/NAME/merged [default: /sweeps].
    #[arg(long, value_name = "PATH", requires = "emit_job")]
    mount_path: Option<String>,
    /// github-actions: the runner label of every job [default: ubuntu-latest].
    #[arg(long, value_name = "LABEL", requires = "emit_job")]
    runs_on: Option<String>,
    /// github-actions: the step that installs rollcage in the checkout
    /// [default: cargo install --locked --path .].
    #[arg(long, value_name = "COMMAND", requires = "emit_job")]
    install: Option<String>,
}

/// The sweep flags never carried over to the tasks: where the files go and whether to
/// overwrite them concern this command, and each task gets its own `--shard`, `--out`
/// and `--resume`.
const NOT_CARRIED: [&str; 4] = ["out", "force", "resume", "shard"];

/// The ids of the `--emit-job` flags, from their definitions.
fn emit_ids() -> Vec<String> {
    EmitJobArgs::augment_args(clap::Command::new("emit"))
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect()
}

/// The sweep's arguments as the command line gave them, without those this command
/// keeps (`NOT_CARRIED`, the `--emit-job` flags): each flag set on the command line, in
/// the order `sweep` defines them, as `--flag=VALUE` per occurrence with the value as
/// typed (a delimited list joined back with its delimiter), so the task's clap reads
/// exactly what this one read; a flag given nowhere keeps its default. Repeated flags
/// keep their order (`--set` applies in order).
pub fn sweep_words(sweep: &clap::Command, m: &ArgMatches) -> Result<Vec<String>, RunnerError> {
    let skip = emit_ids();
    let mut words = Vec::new();
    for arg in sweep.get_arguments() {
        let id = arg.get_id().as_str();
        if NOT_CARRIED.contains(&id)
            || skip.iter().any(|s| s == id)
            || m.value_source(id) != Some(ValueSource::CommandLine)
        {
            continue;
        }
        let long = arg
            .get_long()
            .expect("every sweep argument is a long flag (tested)");
        if !arg.get_action().takes_values() {
            words.push(format!("--{long}"));
            continue;
        }
        for occurrence in m.get_raw_occurrences(id).into_iter().flatten() {
            let values = occurrence
                .map(|v| {
                    v.to_str().map(str::to_string).ok_or_else(|| {
                        RunnerError::Usage(format!(
                            "--{long}: {v:?} is not UTF-8 text, which the job files cannot carry"
                        ))
                    })
                })
                .collect::<Result<Vec<String>, _>>()?;
            let value = match arg.get_value_delimiter() {
                Some(d) => values.join(&d.to_string()),
                None => values.concat(),
            };
            words.push(format!("--{long}={value}"));
        }
    }
    Ok(words)
}

/// A scenario or policy argument that names a file, not a built-in: the engine has to
/// find that file at the same path.
fn names_files(m: &ArgMatches) -> bool {
    let values = |id: &str| -> Vec<String> {
        m.get_many::<String>(id)
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    };
    let scenario_file = values("scenarios")
        .iter()
        .any(|s| s != "all" && !scenarios::BUILTIN.iter().any(|(n, _)| n == s));
    let policy_file = values("policies")
        .iter()
        .any(|p| !policies::BUILTIN.iter().any(|(n, _)| n == p));
    let analysis = m
        .get_many::<std::path::PathBuf>("analysis")
        .is_some_and(|mut v| v.next().is_some());
    scenario_file || policy_file || analysis
}

/// Refuses a site flag given for another engine.
fn refuse_foreign(args: &EmitJobArgs, kind: JobKind) -> Result<(), RunnerError> {
    let given = [
        (
            "--cpus-per-task",
            args.cpus_per_task.is_some(),
            &[JobKind::Slurm, JobKind::Kubernetes][..],
        ),
        (
            "--partition",
            args.partition.is_some(),
            &[JobKind::Slurm][..],
        ),
        ("--image", args.image.is_some(), &[JobKind::Kubernetes][..]),
        (
            "--volume-claim",
            args.volume_claim.is_some(),
            &[JobKind::Kubernetes][..],
        ),
        (
            "--mount-path",
            args.mount_path.is_some(),
            &[JobKind::Kubernetes][..],
        ),
        (
            "--runs-on",
            args.runs_on.is_some(),
            &[JobKind::GithubActions][..],
        ),
        (
            "--install",
            args.install.is_some(),
            &[JobKind::GithubActions][..],
        ),
    ];
    for (flag, set, kinds) in given {
        if set && !kinds.contains(&kind) {
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            return Err(RunnerError::Usage(format!(
                "{flag} applies to --emit-job {} only, not {kind}",
                names.join(" or ")
            )));
        }
    }
    Ok(())
}

/// Writes the job files for the planned sweep (every input already checked) into
/// `out`, under the sweep's rule for an output directory (a non-empty one only with
/// `--force`).
pub fn emit(
    args: &EmitJobArgs,
    kind: JobKind,
    plan: &Plan,
    out: &Path,
    force: bool,
    m: &ArgMatches,
) -> Result<ExitCode, RunnerError> {
    refuse_foreign(args, kind)?;
    let shards = args.shards.expect("clap requires --shards with --emit-job");
    let sweep_cmd = crate::Cli::command();
    let sweep_cmd = sweep_cmd
        .find_subcommand("sweep")
        .expect("the sweep subcommand exists");
    let mut words = sweep_words(sweep_cmd, m)?;
    let threads = m.get_one::<usize>("threads").copied();
    let cpus = args
        .cpus_per_task
        .unwrap_or_else(|| threads.map_or(1, |t| t.min(1024) as u32));
    let mut notes = Vec::new();
    if threads.is_none() && kind != JobKind::GithubActions {
        // Without a cgroup the task would see every CPU of its node.
        words.push(format!("--threads={cpus}"));
        notes.push(format!(
            "each task runs --threads={cpus}, its --cpus-per-task (results never depend on it)"
        ));
    }
    let out_text = out
        .to_str()
        .ok_or_else(|| RunnerError::Usage(format!("{}: --out is not UTF-8 text", out.display())))?;
    let name_text = args.job_name.as_deref().unwrap_or(DEFAULT_NAME);
    let name =
        DnsLabel::new(name_text).map_err(|e| RunnerError::Usage(format!("--job-name: {e}")))?;
    let limit_s = match args.time_limit {
        Some(s) => s,
        None => duration(DEFAULT_TIME_LIMIT).expect("the default parses"),
    };
    let program = args
        .rollcage_bin
        .clone()
        .unwrap_or_else(|| DEFAULT_PROGRAM.into());
    if args.rollcage_bin.is_none() {
        notes.push(format!(
            "the tasks run `{DEFAULT_PROGRAM}` from PATH{}; --rollcage-bin names another command or path",
            if kind == JobKind::Kubernetes { " in the image" } else { " on the nodes" }
        ));
    }
    let files_note = names_files(m);
    let site = match kind {
        JobKind::Slurm => {
            if files_note {
                notes.push("the sweep names files: the tasks read them at the same paths, relative to the directory submit.sh runs in (run it from here)".into());
            }
            Site::Slurm(SlurmSite {
                partition: args.partition.clone(),
                cpus_per_task: cpus,
            })
        }
        JobKind::Kubernetes => {
            let version = env!("CARGO_PKG_VERSION");
            let image = args
                .image
                .clone()
                .unwrap_or_else(|| format!("rollcage:{version}"));
            if args.image.is_none() {
                notes.push(format!(
                    "EDIT or pass --image: the Jobs run the image {image}, which must exist and hold rollcage {version}"
                ));
            }
            let claim_text = args.volume_claim.as_deref().unwrap_or(DEFAULT_CLAIM);
            let claim = DnsSubdomain::new(claim_text)
                .map_err(|e| RunnerError::Usage(format!("--volume-claim: {e}")))?;
            if args.volume_claim.is_none() {
                notes.push(format!(
                    "CREATE or pass --volume-claim: the Jobs mount the PersistentVolumeClaim {claim_text}, which must exist, ReadWriteMany, in the namespace they run in"
                ));
            }
            if files_note {
                notes.push("the sweep names files: they must be in the image (or on the volume) at the same paths; relative ones are read from the image's working directory".into());
            }
            Site::Kubernetes(KubernetesSite {
                image,
                claim,
                mount_path: args
                    .mount_path
                    .clone()
                    .unwrap_or_else(|| DEFAULT_MOUNT.into()),
                cpus_per_task: cpus,
            })
        }
        JobKind::GithubActions => {
            if args.install.is_none() {
                notes.push(format!(
                    "the workflow installs rollcage with `{DEFAULT_INSTALL}`, which needs rollcage's source in the repository; --install gives another step"
                ));
            }
            if files_note {
                notes.push("the sweep names files: the jobs read them from the checkout, relative to the repository's root (run --emit-job from there)".into());
            }
            Site::GithubActions(GithubSite {
                runs_on: args
                    .runs_on
                    .clone()
                    .unwrap_or_else(|| DEFAULT_RUNS_ON.into()),
                install: args
                    .install
                    .clone()
                    .unwrap_or_else(|| DEFAULT_INSTALL.into()),
            })
        }
    };
    if plan.manifest.seeds < shards {
        notes.push(format!(
            "{shards} shards for {} seeds: shards {} to {} hold no runs",
            plan.manifest.seeds,
            plan.manifest.seeds,
            shards - 1
        ));
    }
    let request = JobRequest {
        site,
        name,
        shards,
        program,
        sweep: words,
        out: out_text.to_string(),
        time_limit: Duration::from_secs(limit_s.ceil() as u64),
        generator: PROGRAM.to_string(),
    };
    // Every check before the directory is touched.
    let files = jobs::job_files(&request)?;
    let dir = OutputDir::create(out, force)?;
    jobs::write(&dir, &files)?;
    for n in &plan.notes {
        eprintln!("{n}");
    }
    for n in &notes {
        eprintln!("rollcage sweep --emit-job {kind}: {n}");
    }
    let names: Vec<&str> = files.files.iter().map(|f| f.name.as_str()).collect();
    print(&format!(
        "rollcage sweep: wrote {}/{{{}}}: {} runs in {shards} {kind} tasks, then a merge\n  start  {}\n",
        out.display(),
        names.join(","),
        plan.manifest.shard_runs(),
        files.start
    ))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::FromArgMatches;

    fn words_of(line: &[&str]) -> Vec<String> {
        let cmd = crate::numbers::accept_negative_numbers(crate::Cli::command());
        let mut argv = vec!["rollcage", "sweep"];
        argv.extend_from_slice(line);
        let m = cmd.clone().try_get_matches_from(argv).unwrap();
        let sub = m.subcommand_matches("sweep").unwrap();
        let _ = crate::Cli::from_arg_matches(&m).unwrap();
        sweep_words(cmd.find_subcommand("sweep").unwrap(), sub).unwrap()
    }

    /// Every sweep argument is a long flag, so `sweep_words` can carry each one.
    #[test]
    fn every_sweep_argument_is_a_long_flag() {
        let cmd = crate::Cli::command();
        let sweep = cmd.find_subcommand("sweep").unwrap();
        for a in sweep.get_arguments() {
            assert!(
                a.get_long().is_some() && !a.is_positional(),
                "{}: sweep_words carries long flags only",
                a.get_id()
            );
        }
    }

    #[test]
    fn the_sweep_words_are_the_arguments_as_given_and_read_back_the_same() {
        let line = [
            "--scenarios",
            "good-release,my dir/it's.toml",
            "--policies=k8s-default",
            "--set",
            "scenario.run.horizon_seconds=300",
            "--set",
            "policy.name=a b",
            "--grid",
            "policy.bake_seconds=60,120",
            "--seeds",
            "8",
            "--seed",
            "7",
            "--counterfactual",
            "--max-budget-p95",
            "2.50%",
            "--out",
            "x",
            "--force",
            "--emit-job",
            "slurm",
            "--shards",
            "4",
        ];
        let words = words_of(&line);
        assert_eq!(
            words,
            [
                "--scenarios=good-release,my dir/it's.toml",
                "--policies=k8s-default",
                "--grid=policy.bake_seconds=60,120",
                "--set=scenario.run.horizon_seconds=300",
                "--set=policy.name=a b",
                "--seeds=8",
                "--seed=7",
                "--max-budget-p95=2.50%",
                "--counterfactual",
            ]
        );
        // Read back by the same parser, the words give themselves again.
        let mut again: Vec<&str> = words.iter().map(String::as_str).collect();
        again.extend(["--out", "y"]);
        assert_eq!(words_of(&again), words);
    }
}
