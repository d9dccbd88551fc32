//! Batch job files for a sharded sweep (`rollcage sweep ... --emit-job KIND --shards N
//! --out DIR`): instead of running the sweep, write what fans the same sweep out on an
//! existing batch engine, one task per `--shard I/N`, and the `rollcage merge` step
//! that joins them (`docs/scale-out.md`).
//!
//! Every task runs the sweep's own arguments, word for word as they were given, plus
//! `--shard`, its `--out` and `--resume` (so a retried or resubmitted task continues
//! from the rows its earlier attempt left; on an empty directory it simply starts).
//! The texts are pure functions of the request: the same command writes the same bytes.
//!
//! One file per engine: `slurm.rs` (an `sbatch --array` script, a merge script
//! submitted with `--dependency=afterok`, and `submit.sh` chaining them),
//! `kubernetes.rs` (a `batch/v1` Indexed Job and a merge Job on a shared volume, and
//! `submit.sh` applying them in turn), `github_actions.rs` (a matrix workflow whose
//! last job downloads every shard's artifact and merges). `shell.rs` quotes words for
//! `sh`.

pub mod github_actions;
pub mod kubernetes;
pub mod shell;
pub mod slurm;

use std::fmt;
use std::time::Duration;

use policies::k8s_names::{DnsLabel, DnsSubdomain};

use crate::RunnerError;
use crate::output::OutputDir;

/// The most shards an array engine's files are written for: the merge step names
/// every shard directory on one command line (1000 paths stay far below the kernel's
/// argument limit), and Slurm's default `MaxArraySize` (1001) takes indexes 0 to 1000.
pub const MAX_ARRAY_SHARDS: u64 = 1000;
/// The most shards a GitHub Actions workflow is written for: a matrix makes at most
/// 256 jobs per workflow run.
pub const MAX_MATRIX_SHARDS: u64 = 256;

/// The batch engines `--emit-job` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    Slurm,
    Kubernetes,
    GithubActions,
}

impl JobKind {
    pub const ALL: [JobKind; 3] = [JobKind::Slurm, JobKind::Kubernetes, JobKind::GithubActions];

    /// The word `--emit-job` takes.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Slurm => "slurm",
            JobKind::Kubernetes => "k8s",
            JobKind::GithubActions => "github-actions",
        }
    }

    pub fn parse(s: &str) -> Result<JobKind, String> {
        JobKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = JobKind::ALL.iter().map(|k| k.name()).collect();
                format!("expected one of: {}", names.join(", "))
            })
    }

    /// The most shards its files are written for.
    pub fn max_shards(self) -> u64 {
        match self {
            JobKind::GithubActions => MAX_MATRIX_SHARDS,
            _ => MAX_ARRAY_SHARDS,
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Slurm's site settings.
#[derive(Clone, Debug)]
pub struct SlurmSite {
    /// `--partition`; `None` leaves the cluster's default partition.
    pub partition: Option<String>,
    pub cpus_per_task: u32,
}

/// Kubernetes' site settings.
#[derive(Clone, Debug)]
pub struct KubernetesSite {
    /// An image holding the rollcage binary.
    pub image: String,
    /// A ReadWriteMany PersistentVolumeClaim every task mounts.
    pub claim: DnsSubdomain,
    /// Where the claim is mounted; the shard and merged directories go under
    /// `MOUNT/NAME/`.
    pub mount_path: String,
    pub cpus_per_task: u32,
}

/// GitHub Actions' site settings.
#[derive(Clone, Debug)]
pub struct GithubSite {
    /// `runs-on` of every job.
    pub runs_on: String,
    /// The step that puts rollcage on the runner, run in the repository's checkout.
    pub install: String,
}

/// The engine and its settings.
#[derive(Clone, Debug)]
pub enum Site {
    Slurm(SlurmSite),
    Kubernetes(KubernetesSite),
    GithubActions(GithubSite),
}

impl Site {
    pub fn kind(&self) -> JobKind {
        match self {
            Site::Slurm(_) => JobKind::Slurm,
            Site::Kubernetes(_) => JobKind::Kubernetes,
            Site::GithubActions(_) => JobKind::GithubActions,
        }
    }
}

/// What to write.
#[derive(Clone, Debug)]
pub struct JobRequest {
    pub site: Site,
    /// The job's name (Slurm's `--job-name`, the Jobs' names, the workflow's name and
    /// its artifacts'); the merge is `NAME-merge`.
    pub name: DnsLabel,
    pub shards: u64,
    /// How the tasks run rollcage: a command on the nodes' PATH or a path.
    pub program: String,
    /// The sweep's arguments after `sweep`, as given, without `--out`, `--force` and
    /// the `--emit-job` flags.
    pub sweep: Vec<String>,
    /// The `--out` directory as given: where the files go and, for Slurm (whose tasks
    /// run in the directory `submit.sh` runs in), where the shards and the merged
    /// sweep go too.
    pub out: String,
    /// The longest a task may run (Slurm's `--time`, the Jobs' `activeDeadlineSeconds`,
    /// a workflow job's `timeout-minutes`).
    pub time_limit: Duration,
    /// `rollcage VERSION`, for the files' header comments.
    pub generator: String,
}

/// One file to write into the directory.
#[derive(Clone, Debug, PartialEq)]
pub struct JobFile {
    pub name: String,
    pub text: String,
}

/// The files, and a line saying how to start them.
#[derive(Clone, Debug)]
pub struct JobFiles {
    pub files: Vec<JobFile>,
    pub start: String,
}

/// The merge job's name.
fn merge_name(name: &DnsLabel) -> String {
    format!("{}-merge", name.as_str())
}

/// The longest job name: its merge job's name (`NAME-merge`) must still be a DNS label.
pub const MAX_NAME: usize = 63 - "-merge".len();

/// Checks what every engine needs of a request; each engine checks its own settings.
fn check(req: &JobRequest) -> Result<(), RunnerError> {
    let kind = req.site.kind();
    if req.shards < 1 || req.shards > kind.max_shards() {
        return Err(RunnerError::Usage(format!(
            "--shards: {kind} files are written for 1 to {} shards, not {}{}",
            kind.max_shards(),
            req.shards,
            match kind {
                JobKind::GithubActions => " (a matrix makes at most 256 jobs)",
                _ => " (the merge step names every shard directory on its command line)",
            }
        )));
    }
    if req.name.as_str().len() > MAX_NAME {
        return Err(RunnerError::Usage(format!(
            "--job-name: \"{}\" is {} characters long; at most {MAX_NAME}, so that its merge job's name ({}) is a DNS label too",
            req.name.as_str(),
            req.name.as_str().len(),
            merge_name(&req.name)
        )));
    }
    if req.program.is_empty() || req.program.contains(['\n', '\r', '\0']) {
        return Err(RunnerError::Usage(
            "--rollcage-bin: expected a command or a path, on one line".into(),
        ));
    }
    if req.time_limit < Duration::from_secs(60) {
        return Err(RunnerError::Usage(
            "--time-limit: at least 1m (Slurm and GitHub Actions count minutes)".into(),
        ));
    }
    if let Some(w) = req.sweep.iter().find(|w| w.contains('\0')) {
        return Err(RunnerError::Usage(format!(
            "the sweep argument {w:?} holds a NUL character, which no command line can carry"
        )));
    }
    Ok(())
}

/// The files for `req`, or why they cannot be written.
pub fn job_files(req: &JobRequest) -> Result<JobFiles, RunnerError> {
    check(req)?;
    match &req.site {
        Site::Slurm(site) => slurm::files(req, site),
        Site::Kubernetes(site) => kubernetes::files(req, site),
        Site::GithubActions(site) => github_actions::files(req, site),
    }
}

/// Writes the files into `dir` (each atomically), which the caller has created and
/// checked with the sweep's rules for an output directory.
pub fn write(dir: &OutputDir, files: &JobFiles) -> Result<(), RunnerError> {
    for f in &files.files {
        dir.write(&f.name, f.text.as_bytes())?;
    }
    Ok(())
}

/// `secs` as a whole number of minutes, rounded up (a limit never shrinks).
fn whole_minutes(limit: Duration) -> u64 {
    limit.as_secs().div_ceil(60)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A request of each kind, with words that need quoting.
    pub fn request(site: Site) -> JobRequest {
        JobRequest {
            site,
            name: DnsLabel::new("rollcage-sweep").unwrap(),
            shards: 4,
            program: "rollcage".into(),
            sweep: vec![
                "--scenarios=good-release,it's a file.toml".into(),
                "--policies=k8s-default".into(),
                "--seeds=8".into(),
                "--set=scenario.run.horizon_seconds=300".into(),
            ],
            out: "jobs/sweep 1".into(),
            time_limit: Duration::from_secs(3600),
            generator: "rollcage 0.0.0".into(),
        }
    }

    pub fn slurm() -> Site {
        Site::Slurm(SlurmSite {
            partition: None,
            cpus_per_task: 1,
        })
    }

    #[test]
    fn kinds_parse_from_their_names_only() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.name()), Ok(k));
        }
        let e = JobKind::parse("kubernetes").unwrap_err();
        assert_eq!(e, "expected one of: slurm, k8s, github-actions");
    }

    #[test]
    fn shard_counts_are_bounded_per_engine_at_the_limit_and_one_past_it() {
        let mut r = request(slurm());
        for (n, ok) in [
            (0, false),
            (1, true),
            (MAX_ARRAY_SHARDS, true),
            (MAX_ARRAY_SHARDS + 1, false),
        ] {
            r.shards = n;
            assert_eq!(job_files(&r).is_ok(), ok, "slurm {n}");
        }
        let mut r = request(Site::GithubActions(GithubSite {
            runs_on: "ubuntu-latest".into(),
            install: "cargo install --locked --path .".into(),
        }));
        for (n, ok) in [(256, true), (257, false)] {
            r.shards = n;
            let got = job_files(&r);
            assert_eq!(got.is_ok(), ok, "github-actions {n}");
        }
        r.shards = 257;
        let e = job_files(&r).unwrap_err().to_string();
        assert!(e.contains("--shards") && e.contains("256 jobs"), "{e}");
    }

    #[test]
    fn a_name_whose_merge_name_is_too_long_is_refused() {
        let mut r = request(slurm());
        r.name = DnsLabel::new(&"a".repeat(MAX_NAME)).unwrap();
        assert!(job_files(&r).is_ok());
        r.name = DnsLabel::new(&"a".repeat(MAX_NAME + 1)).unwrap();
        let e = job_files(&r).unwrap_err().to_string();
        assert!(e.starts_with("--job-name:"), "{e}");
    }

    #[test]
    fn a_time_limit_under_a_minute_is_refused() {
        let mut r = request(slurm());
        r.time_limit = Duration::from_secs(60);
        assert!(job_files(&r).is_ok());
        r.time_limit = Duration::from_secs(59);
        assert!(
            job_files(&r)
                .unwrap_err()
                .to_string()
                .starts_with("--time-limit:")
        );
    }

    #[test]
    fn minutes_round_up() {
        assert_eq!(whole_minutes(Duration::from_secs(60)), 1);
        assert_eq!(whole_minutes(Duration::from_secs(61)), 2);
        assert_eq!(whole_minutes(Duration::from_secs(3600)), 60);
    }
}
