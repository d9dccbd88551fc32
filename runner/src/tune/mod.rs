//! `rollcage tune`: races the candidates of a space on common seeds and writes the
//! chosen policy (docs/tune.md). The race's rules are `reports::tune`'s; this module
//! runs its rounds and owns the tune directory.
//!
//! A tune directory holds `tune-manifest.json` (written first), `tune-runs.csv.partial`
//! while runs are going (one row per run in run order, the sweep's `runs.csv` columns
//! with one column per parameter), renamed `tune-runs.csv` once the race and the base
//! policy's runs are done, then `tune.csv`, `tune.json` and, when a policy was chosen,
//! `best.toml`. Every decision is taken from the rows as read back from their text, in
//! the order they were run, so a tune killed at any point and continued with
//! `--resume` replays the same decisions from the rows on disk (a torn last row is
//! dropped), runs the rest, and ends byte-identical to a tune never interrupted.
//!
//! Runs go through the sweep's ordered pool (`sweep::execute::execute_with`): rows
//! reach the file in run order whatever the thread count; a panicking run stops the
//! tune naming itself and a command that reproduces it.

pub mod plan;
pub mod space;

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

use policies::Policy;
use render::report::{REPORT_HTML, REPORT_MD};
use reports::artifacts::runs_csv::{self, Columns, RunIdentity, RunRow, RunsRecord};
use reports::artifacts::tune_json::{self, RunCounts, TuneJson, VersusBase};
use reports::artifacts::{tune_csv, tune_manifest};
use reports::sweep::{Bootstrap, paired, paired_rates};
use reports::tune::objective::{self, Sample};
use reports::tune::{Ending, Entrant, Race, Status, ending};
use reports::vocab::Figures;

use crate::RunnerError;
use crate::output::OutputDir;
use crate::sweep::execute::{Stop, execute_with};
use crate::sweep::{Progress, RunPanic, complete_lines_len};
use plan::TunePlan;

pub const MANIFEST: &str = tune_manifest::FILE_NAME;
pub const TUNE_RUNS_CSV: &str = "tune-runs.csv";
pub const TUNE_RUNS_PARTIAL: &str = "tune-runs.csv.partial";
pub const TUNE_CSV: &str = tune_csv::FILE_NAME;
pub const TUNE_JSON: &str = tune_json::FILE_NAME;
pub const BEST_TOML: &str = "best.toml";

/// The file `--export TARGET` writes the chosen policy to.
pub fn export_file(target: policies::export::Target) -> String {
    match target {
        policies::export::Target::CodeDeploy | policies::export::Target::Json => {
            format!("best.{}.json", target.name())
        }
        t => format!("best.{}.yaml", t.name()),
    }
}

/// Every file a tune writes; `--force` removes these (and only these) first.
pub fn outputs() -> Vec<String> {
    let mut v: Vec<String> = [
        MANIFEST,
        TUNE_RUNS_CSV,
        TUNE_RUNS_PARTIAL,
        TUNE_CSV,
        TUNE_JSON,
        BEST_TOML,
        REPORT_HTML,
        REPORT_MD,
    ]
    .map(String::from)
    .to_vec();
    v.extend(
        policies::export::Target::NAMES
            .iter()
            .filter_map(|n| policies::export::Target::parse(n))
            .map(export_file),
    );
    v
}

/// Where to write and how.
#[derive(Clone, Copy, Debug)]
pub struct TuneOptions<'a> {
    pub out: &'a Path,
    pub threads: usize,
    pub resume: bool,
    pub force: bool,
}

/// How a tune went.
#[derive(Debug)]
pub struct TuneReport {
    pub doc: TuneJson,
    /// The chosen policy, as `best.toml` holds it.
    pub best: Option<Policy>,
    /// Runs found on disk when a `--resume` began.
    pub resumed_from: u64,
    /// The tune directory, still locked: write the report and exports through it.
    pub dir: OutputDir,
}

/// Whose run a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Candidate(usize),
    /// The base policy, run after the race for the comparison with the chosen one.
    Base,
}

/// One run of the plan: who, on which scenario, which replicate.
type Planned = (Who, usize, u64);

/// The header of `tune-runs.csv`.
fn header(plan: &TunePlan) -> Vec<String> {
    runs_csv::header_with(&plan.keys(), Figures::BASE, &plan.param_keys)
}

fn who_name(plan: &TunePlan, who: Who) -> (&str, Vec<String>) {
    match who {
        Who::Candidate(c) => (&plan.candidates[c].name, plan.candidates[c].values.clone()),
        Who::Base => (
            &plan.space.policy.name,
            vec![String::new(); plan.space.parameters.len()],
        ),
    }
}

fn policy_of(plan: &TunePlan, who: Who) -> &Policy {
    match who {
        Who::Candidate(c) => plan.candidates[c]
            .policy
            .as_ref()
            .expect("only valid candidates race"),
        Who::Base => &plan.space.policy,
    }
}

/// The row of one run.
fn run_row(plan: &TunePlan, position: u64, (who, s, k): Planned) -> Vec<u8> {
    #[cfg(feature = "test-hooks")]
    crate::sweep::execute::test_hooks::maybe_panic(position);
    let m = plan.spec.master_seed;
    let scenario = &plan.space.scenarios[s].scenario;
    let drawn = crate::execute::draw_accepted(scenario, m, k);
    let (_, metrics) = crate::execute::run_drawn(&drawn.scenario, policy_of(plan, who), m, k);
    let (name, values) = who_name(plan, who);
    let id = RunIdentity {
        run_id: position,
        scenario: &scenario.name,
        policy: name,
        grid_values: &values,
        seed: m,
        replicate: k,
    };
    RunsRecord::new(&id, &metrics)
        .with_params(&plan.param_keys, &drawn.params)
        .line()
}

fn panicked(
    plan: &TunePlan,
    position: u64,
    (who, s, k): Planned,
    message: String,
    partial: &Path,
) -> RunnerError {
    let mut sets = plan.space.sets.clone();
    if let Who::Candidate(c) = who {
        sets.extend(plan.candidates[c].sets(&plan.space));
    }
    let (name, _) = who_name(plan, who);
    RunnerError::RunPanicked(Box::new(RunPanic {
        run_id: position,
        scenario: plan.space.scenarios[s].scenario.name.clone(),
        policy: name.to_string(),
        master_seed: plan.spec.master_seed,
        replicate: k,
        message,
        reproduce: crate::execute::reproduce_command(
            &plan.space.scenarios[s].spec,
            &plan.space.policy_spec,
            plan.spec.master_seed,
            k,
            &sets,
            &plan.space.import.words(),
        ),
        partial: Some(partial.to_path_buf()),
        rows_kept: position,
        resume_hint: Some(
            "once the bug is fixed, the same command with --resume continues from there".into(),
        ),
    }))
}

/// Reads rows back: the header's columns, then one record at a time, each checked to
/// be the run expected at its place.
struct Reader {
    columns: Columns,
}

impl Reader {
    fn new(header: &[String]) -> Reader {
        let rec = csv::StringRecord::from(header.to_vec());
        Reader {
            columns: Columns::from_header(&rec).expect("the tune's own header"),
        }
    }

    /// The row of `rec`, which must be run `position`: `planned` of `plan`.
    fn row(
        &self,
        plan: &TunePlan,
        rec: &csv::StringRecord,
        position: u64,
        (who, s, k): Planned,
    ) -> Result<RunRow, String> {
        let row = self.columns.parse(rec)?;
        let (scenario, policy) = self.columns.identity(rec);
        let (name, _) = who_name(plan, who);
        let expected = &plan.space.scenarios[s].scenario.name;
        if row.run_id != position || row.replicate != k || scenario != expected || policy != name {
            return Err(format!(
                "is run {} ({scenario} under {policy}, replicate {}), where this tune's run {position} is {expected} under {name}, replicate {k}",
                row.run_id, row.replicate
            ));
        }
        Ok(row)
    }
}

/// Writes to the file and keeps a copy of what it wrote: the rows of a round are read
/// back from the very bytes the file holds.
struct Tee<'a> {
    file: &'a mut BufWriter<File>,
    copy: Vec<u8>,
}

impl Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write_all(buf)?;
        self.copy.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn csv_records(bytes: &[u8], has_headers: bool) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(has_headers)
        .from_reader(bytes)
}

/// The race's entrants: every candidate racing, or invalid with its reason.
fn entrants(plan: &TunePlan) -> Vec<Entrant> {
    plan.candidates
        .iter()
        .map(|c| Entrant {
            name: c.name.clone(),
            values: c.values.clone(),
            status: match &c.policy {
                Ok(_) => Status::Racing,
                Err(why) => Status::Invalid {
                    reason: why.clone(),
                },
            },
            revived: 0,
        })
        .collect()
}

/// Runs (or resumes) the tune planned in `plan` into `opts.out`.
pub fn tune(
    plan: &TunePlan,
    opts: TuneOptions<'_>,
    program: &str,
    progress: &dyn Progress,
) -> Result<TuneReport, RunnerError> {
    let dir = OutputDir::lock(opts.out)?;
    let out = dir.path().to_path_buf();
    let empty = dir.is_empty()?;
    if !empty && !opts.resume && !opts.force {
        return Err(RunnerError::Usage(format!(
            "{}: output directory exists and is not empty; pass --resume to continue the tune in it, or --force to start over",
            opts.out.display()
        )));
    }
    for n in &plan.notes {
        progress.note(n);
    }
    let resume = opts.resume && !empty;
    let partial = out.join(TUNE_RUNS_PARTIAL);
    let complete = out.join(TUNE_RUNS_CSV);
    let head = header(plan);
    let head_line = runs_csv::line(&head);
    // The rows already on disk (a resume), without the header.
    let existing: Vec<u8> = if !resume {
        for name in outputs() {
            let p = out.join(&name);
            if p.exists() {
                fs::remove_file(&p).map_err(|e| RunnerError::io(&p, e))?;
            }
        }
        dir.write(MANIFEST, &plan.manifest.to_bytes())?;
        fs::write(&partial, &head_line).map_err(|e| RunnerError::io(&partial, e))?;
        Vec::new()
    } else {
        check_manifest(&out, plan)?;
        let path = if complete.exists() {
            complete.clone()
        } else if partial.exists() {
            // Cut a torn last row.
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&partial)
                .map_err(|e| RunnerError::io(&partial, e))?;
            let keep = complete_lines_len(&mut f).map_err(|e| RunnerError::io(&partial, e))?;
            f.set_len(keep).map_err(|e| RunnerError::io(&partial, e))?;
            if keep == 0 {
                fs::write(&partial, &head_line).map_err(|e| RunnerError::io(&partial, e))?;
            }
            partial.clone()
        } else {
            fs::write(&partial, &head_line).map_err(|e| RunnerError::io(&partial, e))?;
            partial.clone()
        };
        let bytes = fs::read(&path).map_err(|e| RunnerError::io(&path, e))?;
        if !bytes.starts_with(&head_line) {
            return Err(RunnerError::Usage(format!(
                "{}: the header is not this tune's columns; cannot resume, start over with --force",
                path.display()
            )));
        }
        bytes[head_line.len()..].to_vec()
    };
    let reader = Reader::new(&head);
    let mut replay = csv_records(&existing, false);
    let mut replay = replay.records();
    let bad_row = |position: u64, why: String| {
        RunnerError::Usage(format!(
            "{}: row {}: {why}; cannot resume, start over with --force",
            if complete.exists() {
                &complete
            } else {
                &partial
            }
            .display(),
            position + 1
        ))
    };
    let mut race = Race::new(plan.spec.clone(), entrants(plan)).map_err(RunnerError::Usage)?;
    let mut base_runs: Vec<Vec<RunRow>> = vec![Vec::new(); plan.space.scenarios.len()];
    let mut position: u64 = 0;
    let mut resumed_from = 0;
    let mut base_done = false;
    let mut writer: Option<BufWriter<File>> = None;
    loop {
        let (runs, base): (Vec<Planned>, bool) = match race.plan() {
            Some(p) => (
                p.runs
                    .iter()
                    .map(|&(c, s, k)| (Who::Candidate(c), s, k))
                    .collect(),
                false,
            ),
            None if !base_done => {
                base_done = true;
                (base_plan(plan, &race), true)
            }
            None => break,
        };
        let mut i = 0;
        // Replay what is on disk.
        while i < runs.len() {
            let Some(rec) = replay.next() else { break };
            let rec = rec.map_err(|e| bad_row(position, e.to_string()))?;
            let row = reader
                .row(plan, &rec, position, runs[i])
                .map_err(|e| bad_row(position, e))?;
            record(&mut race, &mut base_runs, runs[i], row);
            i += 1;
            position += 1;
            resumed_from = position;
        }
        if i < runs.len() {
            // Run the rest of the round.
            let w = match &mut writer {
                Some(w) => w,
                None => {
                    let f = OpenOptions::new()
                        .append(true)
                        .open(&partial)
                        .map_err(|e| RunnerError::io(&partial, e))?;
                    writer.insert(BufWriter::with_capacity(1 << 16, f))
                }
            };
            let from = position;
            let to = position + (runs.len() - i) as u64;
            let todo = &runs[i..];
            let mut tee = Tee {
                file: w,
                copy: Vec::new(),
            };
            progress.start(to - from, 0);
            let ran = execute_with(
                opts.threads,
                from,
                to,
                &mut tee,
                &|n| progress.advance(n),
                &|p| run_row(plan, p, todo[(p - from) as usize]),
            );
            progress.finish();
            let copy = std::mem::take(&mut tee.copy);
            let kept = w
                .flush()
                .and_then(|_| w.get_ref().sync_all())
                .map_err(|e| RunnerError::io(&partial, e));
            match ran {
                Ok(()) => {}
                Err(Stop::Io(e)) => return Err(RunnerError::io(&partial, e)),
                Err(Stop::Panicked {
                    position: p,
                    message,
                }) => {
                    kept?;
                    return Err(panicked(
                        plan,
                        p,
                        todo[(p - from) as usize],
                        message,
                        &partial,
                    ));
                }
            }
            kept?;
            let mut fresh = csv_records(&copy, false);
            for (j, rec) in fresh.records().enumerate() {
                let rec = rec.map_err(|e| {
                    RunnerError::Usage(format!("a row just written does not read back: {e}"))
                })?;
                let at = from + j as u64;
                let row = reader
                    .row(plan, &rec, at, todo[j])
                    .map_err(|e| RunnerError::Usage(format!("a row just written: {e}")))?;
                record(&mut race, &mut base_runs, todo[j], row);
            }
            position = to;
        }
        if !base {
            race.decide();
            progress.note(&round_line(plan, &race));
        }
    }
    if replay.next().is_some() {
        return Err(bad_row(
            position,
            "this tune ends before it: the file holds more rows than the tune makes".into(),
        ));
    }
    drop(writer);
    if partial.exists() {
        fs::rename(&partial, &complete).map_err(|e| RunnerError::io(&partial, e))?;
    }
    let end = ending(&race);
    let doc = document(plan, &race, &end, &base_runs, program);
    dir.write(TUNE_CSV, &tune_csv::to_bytes(&plan.keys(), &end.candidates))?;
    let best = end.best().map(|b| {
        plan.candidates[b.index]
            .policy
            .clone()
            .expect("the best is a valid candidate")
    });
    if let Some(p) = &best {
        dir.write(BEST_TOML, best_toml(plan, &doc, p).as_bytes())?;
    }
    dir.write(TUNE_JSON, &doc.to_bytes())?;
    Ok(TuneReport {
        doc,
        best,
        resumed_from,
        dir,
    })
}

fn record(race: &mut Race, base: &mut [Vec<RunRow>], (who, s, _): Planned, row: RunRow) {
    match who {
        Who::Candidate(c) => race.record(c, s, row),
        Who::Base => base[s].push(row),
    }
}

/// The base policy's runs: the chosen candidate's replicates of every scenario, when
/// the base policy is not the chosen one's policy (and there is a chosen one).
fn base_plan(plan: &TunePlan, race: &Race) -> Vec<Planned> {
    let end = ending(race);
    let Some(b) = end.best else {
        return Vec::new();
    };
    if same_policy(plan, b) {
        return Vec::new();
    }
    let seeds = race.seeds(b);
    (0..plan.space.scenarios.len())
        .flat_map(|s| (0..seeds).map(move |k| (Who::Base, s, k)))
        .collect()
}

/// Whether candidate `c` is the base policy itself (the same policy read).
fn same_policy(plan: &TunePlan, c: usize) -> bool {
    plan.candidates[c]
        .policy
        .as_ref()
        .is_ok_and(|p| p == &plan.space.policy)
}

/// The progress line after a round.
fn round_line(plan: &TunePlan, race: &Race) -> String {
    let r = race.rounds.last().expect("a round was decided");
    let used = race.runs_used();
    let of = match plan.spec.budget_runs {
        Some(b) => format!("{used} of the budget's {b} runs used"),
        None => format!(
            "{used} runs used ({:.1}% of the grid's {})",
            100.0 * used as f64 / plan.grid_runs().max(1) as f64,
            plan.grid_runs()
        ),
    };
    format!(
        "rollcage tune: round {}: {} seeds per scenario, {} racing → {} left ({} worse, {} infeasible{}); {of}",
        r.round,
        r.seeds,
        r.racing,
        r.survivors,
        r.worse.len(),
        r.infeasible.len(),
        if r.revived.is_empty() {
            String::new()
        } else {
            format!(", {} revived", r.revived.len())
        }
    )
}

/// `tune.json`: the race, its ending, and the chosen policy against the base one.
fn document(
    plan: &TunePlan,
    race: &Race,
    end: &Ending,
    base_runs: &[Vec<RunRow>],
    program: &str,
) -> TuneJson {
    let spec = &plan.spec;
    let base_name = plan.space.policy.name.clone();
    let versus_base = end.best().map(|b| {
        let n = race.seeds(b.index) as usize;
        if same_policy(plan, b.index) {
            return VersusBase {
                base: base_name.clone(),
                same_as_best: true,
                seeds: n as u64,
                objective: None,
                paired: Vec::new(),
            };
        }
        let mine = race.runs_of(b.index);
        let (sb, sa) = (Sample::new(spec, mine, n), Sample::new(spec, base_runs, n));
        let mut rng = objective::rng(spec, &["tune", "versus base", &b.name, &base_name]);
        let d = objective::paired(&sb, &sa, spec.bootstrap, &mut rng);
        let boot = Bootstrap {
            master_seed: spec.master_seed,
            resamples: spec.bootstrap,
        };
        let mut pairs = Vec::new();
        for (s, sc) in spec.scenarios.iter().enumerate() {
            let (base_rows, rows) = (&base_runs[s][..n], &mine[s][..n]);
            pairs.extend(paired_rates(
                &sc.name, &b.name, &base_name, base_rows, rows, boot,
            ));
            pairs.extend(paired(&sc.name, &b.name, &base_name, base_rows, rows, boot));
        }
        VersusBase {
            base: base_name.clone(),
            same_as_best: false,
            seeds: n as u64,
            objective: Some(d.interval),
            paired: pairs,
        }
    });
    TuneJson {
        schema_version: reports::SCHEMA_VERSION,
        program: program.to_string(),
        space: plan.manifest.space.clone(),
        name: plan.space.name.clone(),
        policy: base_name,
        policy_source: plan.space.policy_source.clone(),
        master_seed: spec.master_seed,
        confidence: spec.confidence,
        exhaustive: spec.exhaustive,
        objective: spec.objective,
        limits: spec.limits.clone(),
        scenarios: spec.scenarios.clone(),
        parameters: plan.manifest.parameters.clone(),
        schedule: spec.schedule,
        alpha_per_round: spec.alpha(0),
        runs: RunCounts {
            race: race.runs_used(),
            base: base_runs.iter().map(|r| r.len() as u64).sum(),
            grid: plan.grid_runs(),
            budget: spec.budget_runs,
        },
        rounds: race.rounds.clone(),
        stop: end.stop,
        best: end.best().map(|b| b.name.clone()),
        confident: end.confident,
        not_separated: end.not_separated().map(|c| c.name.clone()).collect(),
        candidates: end.candidates.clone(),
        versus_base,
    }
}

/// `best.toml`: the chosen policy in its own file form (what `Policy::from_doc` reads
/// back), its description saying where it came from, headed by a comment on how sure
/// the race is.
pub fn best_toml(plan: &TunePlan, doc: &TuneJson, policy: &Policy) -> String {
    let best = doc.best_result().expect("a chosen policy");
    let mut p = policy.clone();
    let values: Vec<String> = plan
        .space
        .parameters
        .iter()
        .zip(&best.values)
        .map(|(k, v)| format!("{}={v}", k.key.trim_start_matches("policy.")))
        .collect();
    p.description = format!("{} (tuned: {})", p.description, values.join(", "))
        .trim_start()
        .to_string();
    let value = policies::file_form::to_file(&p);
    let body = toml::to_string(&value).expect("a policy's file form is a TOML table");
    let sure = if doc.confident {
        format!(
            "best with {}% confidence: every other candidate was shown worse or to break a limit",
            100.0 * doc.confidence
        )
    } else if doc.not_separated.is_empty() {
        format!(
            "the best by its estimates when the race stopped ({})",
            doc.stop.describe()
        )
    } else {
        format!(
            "the best by its estimates; not separated from {} ({})",
            doc.not_separated.join(", "),
            doc.stop.describe()
        )
    };
    format!(
        "# Chosen by `rollcage tune {}` ({}): {}\n# {sure}.\n# Read it back with --policy {BEST_TOML}.\n{body}",
        doc.space, doc.program, best.name,
    )
}

/// Refuses to resume a directory made by a different tune.
fn check_manifest(out: &Path, plan: &TunePlan) -> Result<(), RunnerError> {
    let path = out.join(MANIFEST);
    if !path.exists() {
        return Err(RunnerError::Usage(format!(
            "{}: not empty and has no {MANIFEST}: not a tune directory; nothing to resume",
            out.display()
        )));
    }
    let old = fs::read(&path).map_err(|e| RunnerError::io(&path, e))?;
    if old != plan.manifest.to_bytes() {
        let new = serde_json::to_value(&plan.manifest).expect("manifest serializes");
        let differs = match serde_json::from_slice::<serde_json::Value>(&old) {
            Ok(serde_json::Value::Object(o)) => {
                let mut keys: Vec<String> = o.keys().cloned().collect();
                if let serde_json::Value::Object(n) = &new {
                    keys.extend(n.keys().cloned());
                }
                keys.sort();
                keys.dedup();
                keys.into_iter()
                    .filter(|k| o.get(k) != new.get(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            _ => "(unreadable)".into(),
        };
        return Err(RunnerError::Usage(format!(
            "{}: written by a different tune (differs in: {differs}); resume with the same inputs, or start over with --force",
            path.display()
        )));
    }
    Ok(())
}
