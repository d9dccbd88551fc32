//! A one-node Slurm cluster for a test, on this machine: a munge key and a
//! `slurm.conf` written into a temporary directory (ports free on 127.0.0.1, state,
//! spool and logs in the directory, `proctrack/linuxproc` and `task/none`, so no
//! cgroups), `munged`, `slurmctld` and `slurmd` started in the foreground as child
//! processes, and every one of them stopped, by its pid, when the guard drops: jobs
//! still in the queue are cancelled first, then the daemons get SIGTERM and, past a
//! bounded wait, SIGKILL. Every wait here has a deadline.
//!
//! The daemons and clients come from Debian's `slurm-wlm` and `munge` packages
//! (`.ci/run` installs them when missing). `ROLLCAGE_SLURM_TESTS=off` skips the tests
//! that need them; when they are absent the tests say so and skip, except in CI (`CI`
//! set), where they fail.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "local.rs"]
mod local;
use local::{free_port, tail};

/// The programs a cluster needs: daemons, the key maker and the clients.
const PROGRAMS: [&str; 9] = [
    "munged",
    "mungekey",
    "slurmctld",
    "slurmd",
    "sbatch",
    "scontrol",
    "sinfo",
    "scancel",
    "squeue",
];
/// How long the daemons get to answer and the node to be idle.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// How long a stopped daemon gets between SIGTERM and SIGKILL.
const STOP_WITHIN: Duration = Duration::from_secs(10);

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Whether the cluster's programs are here; `false` (with the reason printed) when the
/// test is to be skipped. Panics when they are missing in CI.
pub fn available(test: &str) -> bool {
    if std::env::var("ROLLCAGE_SLURM_TESTS").as_deref() == Ok("off") {
        eprintln!("{test} skipped: ROLLCAGE_SLURM_TESTS=off");
        return false;
    }
    let missing: Vec<&str> = PROGRAMS
        .iter()
        .copied()
        .filter(|p| on_path(p).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!(
        "{test}: {} not found on PATH: install Debian's slurm-wlm and munge packages \
         (apt-get install slurm-wlm munge; .ci/run does), or set ROLLCAGE_SLURM_TESTS=off to skip",
        missing.join(", ")
    );
    if std::env::var_os("CI").is_some() {
        panic!("{why} (CI is set, so this fails)");
    }
    eprintln!("{why}; skipped (it fails when CI is set)");
    false
}

/// This host's short name, which `slurmctld` checks `SlurmctldHost` against and
/// `slurmd` takes as its node name.
fn short_hostname() -> String {
    let out = Command::new("hostname")
        .arg("-s")
        .stdin(Stdio::null())
        .output()
        .expect("hostname runs");
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!name.is_empty(), "hostname -s printed nothing");
    name
}

/// The user the daemons run as (and run jobs as): whoever runs the test.
fn user() -> String {
    let out = Command::new("id")
        .arg("-un")
        .stdin(Stdio::null())
        .output()
        .expect("id runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Sends a signal with procps' `kill` (the tests link no libc bindings).
fn signal(pid: u32, which: &str) {
    let _ = Command::new("kill")
        .arg(which)
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// `program` told where the cluster's configuration is (`SLURM_CONF`).
fn client(conf: &Path, program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("SLURM_CONF", conf).stdin(Stdio::null());
    c
}

/// A job's state as `scontrol` reports it, one per array task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskState {
    /// `JobId=` (an array task's own id) and `ArrayTaskId=` when it is one.
    pub job_id: String,
    pub array_task: Option<String>,
    pub state: String,
}

/// A running cluster. Dropping it cancels its jobs and stops its daemons.
pub struct Cluster {
    pub dir: PathBuf,
    conf: PathBuf,
    /// (name, process), in start order; stopped in reverse.
    daemons: Vec<(&'static str, Child)>,
    logs: Vec<PathBuf>,
    /// Whether dropping removes `dir` (not after a panic: the logs are worth reading).
    cleanup: bool,
}

impl Cluster {
    /// Starts munged, slurmctld and slurmd with state under `work` (made fresh), with
    /// `cpus` CPUs on the node; returns once `scontrol ping` answers and the node is
    /// idle.
    pub fn start(work: &Path, cpus: usize) -> Cluster {
        let _ = fs::remove_dir_all(work);
        for d in ["munge", "state", "spool", "log"] {
            fs::create_dir_all(work.join(d)).unwrap();
        }
        let mut c = Cluster {
            dir: work.to_path_buf(),
            conf: work.join("slurm.conf"),
            daemons: Vec::new(),
            logs: Vec::new(),
            cleanup: false,
        };
        let key = work.join("munge/munge.key");
        let out = Command::new("mungekey")
            .arg("--create")
            .arg(format!("--keyfile={}", key.display()))
            .stdin(Stdio::null())
            .output()
            .expect("mungekey runs");
        assert!(
            out.status.success(),
            "mungekey failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let socket = work.join("munge/munged.socket");
        c.spawn(
            "munged",
            Command::new("munged")
                .arg("--foreground")
                // As root munged wants --force; as anyone it may run on a private key.
                .arg("--force")
                .arg(format!("--socket={}", socket.display()))
                .arg(format!("--key-file={}", key.display()))
                .arg(format!(
                    "--pid-file={}",
                    work.join("munge/munged.pid").display()
                ))
                .arg(format!(
                    "--seed-file={}",
                    work.join("munge/munged.seed").display()
                ))
                .arg(format!(
                    "--log-file={}",
                    work.join("log/munged.log").display()
                )),
        );
        c.wait_for("munged's socket", || socket.exists());

        let host = short_hostname();
        let user = user();
        let state = work.join("state");
        let spool = work.join("spool");
        let log = work.join("log");
        let conf = format!(
            "# A one-node cluster for a rollcage test (tests/support/slurm.rs).\n\
             ClusterName=rollcage-test\n\
             SlurmctldHost={host}(127.0.0.1)\n\
             SlurmctldPort={ctld}\n\
             SlurmdPort={slurmd}\n\
             SlurmUser={user}\n\
             SlurmdUser={user}\n\
             AuthType=auth/munge\n\
             CredType=cred/munge\n\
             AuthInfo=socket={socket}\n\
             StateSaveLocation={state}\n\
             SlurmdSpoolDir={spool}\n\
             SlurmctldPidFile={log}/slurmctld.pid\n\
             SlurmdPidFile={log}/slurmd.pid\n\
             SlurmctldLogFile={log}/slurmctld.log\n\
             SlurmdLogFile={log}/slurmd.log\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             JobAcctGatherType=jobacct_gather/none\n\
             AccountingStorageType=accounting_storage/none\n\
             SelectType=select/cons_tres\n\
             SelectTypeParameters=CR_CPU\n\
             MpiDefault=none\n\
             SwitchType=switch/none\n\
             ReturnToService=2\n\
             SlurmdParameters=config_overrides\n\
             MinJobAge=600\n\
             NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN\n\
             PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP\n",
            ctld = free_port(),
            slurmd = free_port(),
            socket = socket.display(),
            state = state.display(),
            spool = spool.display(),
            log = log.display(),
        );
        fs::write(&c.conf, conf).unwrap();
        let conf_arg = c.conf.display().to_string();
        // -c: a clean start, whatever a state directory held.
        c.spawn(
            "slurmctld",
            Command::new("slurmctld").args(["-D", "-c", "-f", &conf_arg]),
        );
        let conf = c.conf.clone();
        c.wait_for("scontrol ping", || {
            client(&conf, "scontrol")
                .arg("ping")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("is UP"))
        });
        c.spawn(
            "slurmd",
            Command::new("slurmd").args(["-D", "-f", &conf_arg]),
        );
        c.wait_for("an idle node in sinfo", || {
            client(&conf, "sinfo")
                .args(["-h", "-o", "%T"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
        });
        c.cleanup = true;
        c
    }

    fn spawn(&mut self, name: &'static str, cmd: &mut Command) {
        let log = self.dir.join(format!("log/{name}.out"));
        let child = cmd
            .env("SLURM_CONF", &self.conf)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&log).unwrap())
            .stderr(fs::File::create(self.dir.join(format!("log/{name}.err"))).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        // The guard owns the child from here: a panic below stops it.
        self.daemons.push((name, child));
        self.logs.push(log);
    }

    /// Polls `ready` until it holds, every 100 ms, for at most `READY_WITHIN`;
    /// panics with the daemons' logs when a daemon exits or the time is up.
    fn wait_for(&mut self, what: &str, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if ready() {
                return;
            }
            let exited = self
                .daemons
                .iter_mut()
                .find_map(|(name, child)| child.try_wait().unwrap().map(|s| (*name, s)));
            if let Some((name, status)) = exited {
                panic!(
                    "waiting for {what}: {name} exited with {status}\n{}",
                    self.log_tails()
                );
            }
            if Instant::now() > deadline {
                panic!("no {what} within {READY_WITHIN:?}\n{}", self.log_tails());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The daemons' logs' last lines.
    pub fn log_tails(&self) -> String {
        let mut paths: Vec<PathBuf> = self.logs.clone();
        for name in ["slurmctld", "slurmd", "munged"] {
            paths.push(self.dir.join(format!("log/{name}.log")));
            paths.push(self.dir.join(format!("log/{name}.err")));
        }
        paths
            .iter()
            .filter(|p| p.exists())
            .map(|p| tail(p, 20))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A Slurm client (or any program) told where this cluster's configuration is.
    pub fn command(&self, program: &str) -> Command {
        client(&self.conf, program)
    }

    /// Runs a client, which must succeed; its output.
    pub fn run(&self, program: &str, args: &[&str]) -> Output {
        let out = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} does not run: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log_tails()
        );
        out
    }

    /// The states of a job, one per array task (pending tasks of an array may come as
    /// one record, `ArrayTaskId=2-3`); empty once Slurm forgot the job.
    pub fn states(&self, job: &str) -> Vec<TaskState> {
        let out = self
            .command("scontrol")
            .args(["show", "job", "-o", job])
            .output()
            .expect("scontrol runs");
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .filter(|l| l.contains("JobState="))
            .map(|l| {
                let field = |key: &str| {
                    l.split_whitespace()
                        .find_map(|w| w.strip_prefix(key))
                        .map(str::to_string)
                };
                TaskState {
                    job_id: field("JobId=").unwrap_or_default(),
                    array_task: field("ArrayTaskId="),
                    state: field("JobState=").unwrap_or_default(),
                }
            })
            .collect()
    }

    /// Waits, for at most `limit`, until every task of `job` is in a state `done`
    /// accepts; the final states. Panics with the logs on the deadline.
    pub fn wait_job(
        &self,
        job: &str,
        limit: Duration,
        done: impl Fn(&str) -> bool,
    ) -> Vec<TaskState> {
        let deadline = Instant::now() + limit;
        loop {
            let s = self.states(job);
            if !s.is_empty() && s.iter().all(|t| done(&t.state)) {
                return s;
            }
            if Instant::now() > deadline {
                panic!(
                    "job {job} not done within {limit:?}: {s:?}\n{}",
                    self.log_tails()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Cancels every job still known, then waits (bounded) for the queue to empty.
    fn cancel_all(&self) {
        let Ok(out) = self.command("squeue").args(["-h", "-o", "%A"]).output() else {
            return;
        };
        let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if ids.is_empty() {
            return;
        }
        let _ = self.command("scancel").args(&ids).output();
        let deadline = Instant::now() + STOP_WITHIN;
        while Instant::now() < deadline {
            let left = self
                .command("squeue")
                .args(["-h", "-o", "%A"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default();
            if left.is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Jobs first, while slurmctld and slurmd can still end them (slurmd's job
        // steps outlive a killed slurmd).
        self.cancel_all();
        for (_, child) in self.daemons.iter_mut().rev() {
            signal(child.id(), "-TERM");
            let deadline = Instant::now() + STOP_WITHIN;
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        if self.cleanup && !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
