//! GitHub Actions: one workflow, `NAME.yml`, to copy into `.github/workflows/`. Its
//! `shard` job is a matrix of one job per shard (`fail-fast: false`, so one failing
//! shard does not cancel the others; re-running a failed job runs its shard again),
//! each installing rollcage, running its `--shard I/N` and uploading the shard
//! directory as an artifact; the `merge` job `needs` them all, downloads every shard's
//! artifact and merges, and uploads the merged sweep.
//!
//! Paths are relative to the checkout (the repository's root), where a `run` step
//! starts. A `run` step is a bash script, so the sweep's words are quoted as for `sh`;
//! GitHub evaluates `${{ ... }}` in it before bash sees it, so a word holding `${{` is
//! refused rather than changed.

use super::shell::{join, quote_command};
use super::{GithubSite, JobFile, JobFiles, JobRequest};
use crate::RunnerError;
use policies::export::yaml::{self, Y};

const CHECKOUT: &str = "actions/checkout@v4";
const UPLOAD: &str = "actions/upload-artifact@v4";
const DOWNLOAD: &str = "actions/download-artifact@v4";

/// The workflow's file name.
pub fn file_name(req: &JobRequest) -> String {
    format!("{}.yml", req.name.as_str())
}

fn check(req: &JobRequest, site: &GithubSite) -> Result<(), RunnerError> {
    if site.runs_on.trim().is_empty() || site.runs_on.contains(['\n', '\r']) {
        return Err(RunnerError::Usage(format!(
            "--runs-on: \"{}\" is not a runner label",
            site.runs_on
        )));
    }
    if site.install.trim().is_empty() {
        return Err(RunnerError::Usage(
            "--install: expected a shell command that puts rollcage on the runner".into(),
        ));
    }
    let expr = |s: &str| s.contains("${{");
    if let Some(w) = req.sweep.iter().find(|w| expr(w)) {
        return Err(RunnerError::Usage(format!(
            "the sweep argument {w:?} holds `${{{{`, which GitHub Actions would evaluate as an expression in a run step; it cannot be carried over"
        )));
    }
    if expr(&req.program) {
        return Err(RunnerError::Usage(
            "--rollcage-bin: holds `${{`, which GitHub Actions would evaluate".into(),
        ));
    }
    Ok(())
}

fn step(pairs: Vec<(&str, Y)>) -> Y {
    Y::map(pairs)
}

fn uses(action: &str) -> Y {
    step(vec![("uses", Y::str(action))])
}

fn run(name: &str, script: String) -> Y {
    step(vec![("name", Y::str(name)), ("run", Y::Str(script))])
}

pub fn files(req: &JobRequest, site: &GithubSite) -> Result<JobFiles, RunnerError> {
    check(req, site)?;
    let n = req.shards;
    let name = req.name.as_str();
    let program = quote_command(&req.program);
    let shard_dir = |i: &str| format!("{name}-shard-{i}");
    let matrix_dir = shard_dir("${{ matrix.shard }}");
    let merged = format!("{name}-merged");
    let minutes = Y::int(i64::try_from(super::whole_minutes(req.time_limit)).unwrap_or(i64::MAX));

    let mut words = join(&req.sweep);
    if !words.is_empty() {
        words.push(' ');
    }
    let sweep_run = format!(
        "{program} sweep {words}--shard=\"${{{{ matrix.shard }}}}/{n}\" --out=\"{matrix_dir}\" --resume"
    );
    let shard_job = Y::map(vec![
        (
            "name",
            Y::str(format!("shard ${{{{ matrix.shard }}}} of {n}")),
        ),
        ("runs-on", Y::str(&site.runs_on)),
        ("timeout-minutes", minutes.clone()),
        (
            "strategy",
            Y::map(vec![
                ("fail-fast", Y::Bool(false)),
                (
                    "matrix",
                    Y::map(vec![(
                        "shard",
                        Y::Seq((0..n).map(|i| Y::int(i as i64)).collect()),
                    )]),
                ),
            ]),
        ),
        (
            "steps",
            Y::Seq(vec![
                uses(CHECKOUT),
                run("install rollcage", site.install.clone()),
                run("sweep shard", sweep_run),
                step(vec![
                    ("name", Y::str("upload the shard")),
                    ("uses", Y::str(UPLOAD)),
                    (
                        "with",
                        Y::map(vec![
                            ("name", Y::str(&matrix_dir)),
                            ("path", Y::str(&matrix_dir)),
                            ("if-no-files-found", Y::str("error")),
                        ]),
                    ),
                ]),
            ]),
        ),
    ]);
    let dirs: Vec<String> = (0..n).map(|i| shard_dir(&i.to_string())).collect();
    let merge_run = format!("{program} merge {} --out={merged}", dirs.join(" "));
    let merge_job = Y::map(vec![
        ("needs", Y::str("shard")),
        ("runs-on", Y::str(&site.runs_on)),
        ("timeout-minutes", minutes),
        (
            "steps",
            Y::Seq(vec![
                uses(CHECKOUT),
                run("install rollcage", site.install.clone()),
                step(vec![
                    ("name", Y::str("download the shards")),
                    ("uses", Y::str(DOWNLOAD)),
                    // Each artifact is unpacked into a directory named after it.
                    ("with", Y::map(vec![("pattern", Y::str(shard_dir("*")))])),
                ]),
                run("merge", merge_run),
                step(vec![
                    ("name", Y::str("upload the merged sweep")),
                    ("uses", Y::str(UPLOAD)),
                    (
                        "with",
                        Y::map(vec![
                            ("name", Y::str(&merged)),
                            ("path", Y::str(&merged)),
                            ("if-no-files-found", Y::str("error")),
                        ]),
                    ),
                ]),
            ]),
        ),
    ]);
    let workflow = Y::map(vec![
        ("name", Y::str(name)),
        ("on", Y::map(vec![("workflow_dispatch", Y::Map(vec![]))])),
        ("permissions", Y::map(vec![("contents", Y::str("read"))])),
        (
            "jobs",
            Y::map(vec![("shard", shard_job), ("merge", merge_job)]),
        ),
    ]);
    let file = file_name(req);
    let text = format!(
        "{}{}",
        yaml::comment(&format!(
            "The rollcage sweep cut into {n} shards, one matrix job each, merged by the last job into the artifact {merged}. Copy this file into .github/workflows/ and start it from the Actions tab (workflow_dispatch); paths are relative to the repository's root.\nWritten by {} (sweep --emit-job github-actions).",
            req.generator
        )),
        yaml::to_string(&workflow)
    );
    Ok(JobFiles {
        start: format!(
            "copy {}/{file} into .github/workflows/ and start it from the Actions tab; the merged sweep is the artifact {merged}",
            req.out.trim_end_matches('/')
        ),
        files: vec![JobFile { name: file, text }],
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::request;
    use super::super::{Site, job_files};
    use super::*;

    fn site() -> GithubSite {
        GithubSite {
            runs_on: "ubuntu-latest".into(),
            install: "cargo install --locked --path .".into(),
        }
    }

    #[test]
    fn expressions_in_sweep_words_are_refused() {
        let mut r = request(Site::GithubActions(site()));
        r.sweep.push("--set=policy.name=${{ secrets.X }}".into());
        let e = job_files(&r).unwrap_err().to_string();
        assert!(e.contains("${{"), "{e}");
        r.sweep.pop();
        r.sweep.push("--set=policy.name=${ HOME }".into());
        assert!(job_files(&r).is_ok());
    }
}
