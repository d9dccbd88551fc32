//! `rollcage gate`: judge real metrics with a policy's gates, the step a CI/CD pipeline
//! runs between batches. Exit 0: advance; 1: a gate failed (roll back or abort);
//! 3: inconclusive (pause and look again); 2: bad input.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::args::PolicyOverrides;
use policies::gate::Verdict;
use policies::{CanarySpec, PolicyKind};
use runner::RunnerError;
use runner::inputs::load_policy_with_sets;
use sim_core::SimTime;
use sim_core::metrics::MetricsView;

#[derive(clap::Args)]
pub struct GateArgs {
    /// A built-in policy name or a policy file (TOML or exported JSON).
    #[arg(long)]
    policy: String,
    #[command(flatten)]
    overrides: PolicyOverrides,
    /// Prometheus query_range responses (JSON) or a CSV: series, columns, units and
    /// examples in docs/exports.md ("Gate input"); examples/gate/ has files that pass
    /// and fail. Input that is not what those queries produce exits 2.
    #[arg(long)]
    metrics: PathBuf,
    /// Judge as of this time (Unix seconds); default: the latest sample.
    #[arg(long, value_parser = crate::numbers::unix_seconds)]
    at: Option<f64>,
}

/// Reads the metrics file, refusing one over `live::MAX_FILE_BYTES` before it is in
/// memory (and, for a pipe or a file still growing, once the limit is read) and one that
/// is not UTF-8, naming the byte where it stops being text.
fn read_bounded(path: &Path) -> Result<String, RunnerError> {
    let limit = policies::live::MAX_FILE_BYTES;
    let too_big = |n: String| {
        RunnerError::Usage(format!(
            "{}: {n} bytes, over the {} MiB a gate input may have",
            path.display(),
            limit >> 20
        ))
    };
    let f = std::fs::File::open(path).map_err(|e| RunnerError::io(path, e))?;
    let len = f.metadata().map_err(|e| RunnerError::io(path, e))?.len();
    if len > limit as u64 {
        return Err(too_big(len.to_string()));
    }
    let mut bytes = Vec::new();
    f.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| RunnerError::io(path, e))?;
    if bytes.len() > limit {
        return Err(too_big(format!("more than {limit}")));
    }
    String::from_utf8(bytes).map_err(|e| {
        RunnerError::Usage(format!(
            "{}: not UTF-8 text: byte {} is not part of a UTF-8 character",
            path.display(),
            e.utf8_error().valid_up_to() + 1
        ))
    })
}

pub fn run(args: GateArgs) -> Result<(String, ExitCode), RunnerError> {
    let policy = load_policy_with_sets(&args.policy, &args.overrides.sets)?;
    let gates = policy.kind.gates();
    if gates.is_empty() {
        return Err(RunnerError::Usage(format!(
            "policy {} has no gates to judge with",
            policy.name
        )));
    }
    let file = args.metrics.display().to_string();
    let text = read_bounded(&args.metrics)?;
    let samples =
        policies::live::read(&file, &text).map_err(|e| RunnerError::Usage(e.to_string()))?;
    let at = match args.at {
        Some(t) if t.is_finite() && t >= 0.0 => SimTime::from_secs_f64(t),
        Some(t) => {
            return Err(RunnerError::Usage(format!(
                "--at {t}: expected Unix seconds"
            )));
        }
        None => samples.last().map_or(SimTime::ZERO, |s| s.at),
    };
    let visible = &samples[..samples.partition_point(|s| s.at <= at)];
    let view = MetricsView::over(visible, at);
    // Flagger counts a window without data as a failed check; the others follow on_empty
    // (and Argo's no-data Error is a reason to look again, not yet to abort).
    let flagger = matches!(policy.kind, PolicyKind::Canary(CanarySpec::Flagger(_)));
    let mut out = format!(
        "rollcage gate: policy {} on {} ({} samples up to t={})\n",
        policy.name,
        file,
        visible.len(),
        at.as_secs_f64()
    );
    let mut worst = Verdict::Pass;
    for g in gates {
        let r = g.evaluate(&view, SimTime::ZERO);
        let verdict = if flagger && r.value.is_none() {
            Verdict::Fail
        } else {
            r.verdict
        };
        let fmt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.6}"));
        out.push_str(&format!(
            "  {:<20} value {:>14}  threshold {:>14}  {:<12} {}\n",
            g.name,
            fmt(r.value),
            fmt(r.bound),
            verdict.name(),
            r.reason
        ));
        worst = match (worst, verdict) {
            (_, Verdict::Fail) | (Verdict::Fail, _) => Verdict::Fail,
            (_, Verdict::Inconclusive) | (Verdict::Inconclusive, _) => Verdict::Inconclusive,
            _ => Verdict::Pass,
        };
    }
    let (word, code) = match worst {
        Verdict::Pass => ("advance", 0),
        Verdict::Fail => ("roll back", 1),
        Verdict::Inconclusive => ("pause", 3),
    };
    out.push_str(&format!(
        "verdict: {} ({word}, exit {code})\n",
        worst.name()
    ));
    Ok((out, ExitCode::from(code)))
}
