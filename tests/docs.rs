//! The examples in the README are real: every TOML block validates and they run, and
//! the outcomes and figures it quotes are what the commands print.

mod common;

use common::{cli, copy_tree, run_ok, stderr, stdout, temp_dir};

fn toml_blocks(markdown: &str) -> Vec<String> {
    blocks(markdown, "toml")
}

/// The fenced blocks of one language (`lang` empty: blocks without one).
fn blocks(markdown: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l == fence => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

/// The README's scenario and policy blocks are the files its commands name.
#[test]
fn readme_toml_blocks_are_the_example_files() {
    let blocks = toml_blocks(&readme());
    assert_eq!(blocks.len(), 2, "the README shows a scenario and a policy");
    for (block, file) in blocks
        .iter()
        .zip(["examples/checkout.toml", "examples/careful.toml"])
    {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(block, &text, "README block differs from {file}");
    }
}

/// Every shell command of the README as a list of words, with the comment that ends
/// it (`# caught`), continuation lines joined.
fn readme_commands(markdown: &str) -> Vec<(Vec<String>, String)> {
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        match (in_sh, line.trim()) {
            (false, "```sh") => in_sh = true,
            (true, "```") => in_sh = false,
            (true, text) => {
                if let Some(start) = text.strip_suffix('\\') {
                    pending.push_str(start);
                    pending.push(' ');
                    continue;
                }
                pending.push_str(text);
                let full = std::mem::take(&mut pending);
                let (command, comment) = match full.find(" #") {
                    Some(i) => (&full[..i], full[i + 2..].trim()),
                    None if full.starts_with('#') => ("", full[1..].trim()),
                    None => (full.as_str(), ""),
                };
                if !command.trim().is_empty() {
                    let words = command.split_whitespace().map(str::to_string).collect();
                    commands.push((words, comment.to_string()));
                }
            }
            _ => {}
        }
    }
    commands
}

/// The README's walkthrough runs as written, from a directory laid out like the
/// repository root (its `examples/`), in the order it is read: every command exits 0,
/// or with the code its comment names (`# exit 1`), and prints the outcome its comment
/// names. Two cuts keep it fast, and are the only differences from what a reader
/// types: sweeps run 4 seeds instead of their
/// `--seeds`, and `cargo test` (this suite) and `cargo install` are not run.
#[test]
fn readme_commands_run_as_written() {
    let commands = readme_commands(&readme());
    assert!(
        commands.len() >= 20,
        "found only {} commands",
        commands.len()
    );
    let dir = temp_dir("readme-commands");
    copy_tree(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")),
        &dir.join("examples"),
    );
    let outcomes = [
        "succeeded",
        "caught",
        "escaped",
        "false_rollback",
        "stalled",
    ];
    let mut ran = 0;
    for (words, comment) in &commands {
        let line = words.join(" ");
        if line.starts_with("cargo test") || line.starts_with("cargo install") {
            continue;
        }
        let args = line
            .strip_prefix("cargo run --release -- ")
            .unwrap_or_else(|| panic!("README command not in the runnable form: {line}"));
        assert!(
            !args.contains(['\'', '"']),
            "quoting is not parsed here: {line}"
        );
        let mut args: Vec<&str> = args.split(' ').collect();
        if args[0] == "sweep" {
            let i = args.iter().position(|a| *a == "--seeds").expect("--seeds");
            args[i + 1] = "4";
        }
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_rollcage"))
            .args(&args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        // `# exit 1` names the exit code a command is meant to end with; else 0.
        let want = comment
            .split_once("exit ")
            .and_then(|(_, n)| n.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        assert_eq!(
            o.status.code(),
            Some(want),
            "README command: {line}\n{}{}",
            stdout(&o),
            stderr(&o)
        );
        let first = comment.split_whitespace().next().unwrap_or("");
        if outcomes.contains(&first) {
            assert!(
                stdout(&o).contains(&format!("outcome      {first}")),
                "README says {line} ends {first}; it printed:\n{}",
                stdout(&o)
            );
        }
        ran += 1;
    }
    assert!(ran >= 20, "ran only {ran} README commands");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The gate input docs are real: their JSON and CSV examples read, the example
/// commands exit as they say, and the output shown is what the command prints.
#[test]
fn gate_input_docs_are_what_gate_reads_and_prints() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/exports.md")).unwrap();
    let json = blocks(&docs, "json");
    let csv = blocks(&docs, "csv");
    assert_eq!((json.len(), csv.len()), (1, 1));
    let s = policies::live::read("docs.json", &json[0]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.len(), 2);
    let c = policies::live::read("docs.csv", &csv[0]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.len(), 2);
    // The example messages are the reader's own.
    let e = policies::live::read(
        "metrics.csv",
        "time,version,requests,errors,restarts,memory_mb\n\n\n\n\n\n120,candidate,10,12,0,300\n",
    )
    .unwrap_err();
    assert!(docs.contains(&format!("error: {e}\n")), "{e}");
    let mut commands = 0;
    for line in docs
        .lines()
        .filter(|l| l.starts_with("rollcage gate --policy gated-10pct"))
    {
        let (cmd, comment) = line.split_once('#').unwrap();
        let args: Vec<&str> = cmd.split_whitespace().skip(1).collect();
        let want: i32 = comment.rsplit("exit ").next().unwrap()[..1]
            .parse()
            .unwrap();
        let o = cli(&args);
        assert_eq!(o.status.code(), Some(want), "{line}\n{}", stdout(&o));
        if args.len() == 5 && args[4].ends_with("metrics-failing.csv") {
            assert!(docs.contains(&stdout(&o)), "{}", stdout(&o));
        }
        commands += 1;
    }
    assert_eq!(commands, 4);
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The quick start's story: Kubernetes' defaults ship the leak in 20 s and only the
/// pager notices; the gated policy catches it.
#[test]
fn readme_memory_leak_story_is_what_runs_print() {
    let readme = readme();
    assert!(readme.contains("The first escapes: the whole fleet runs the candidate 20 s after"));
    assert!(readme.contains("only the SLO pager notices"));
    assert!(readme.contains("The second is caught by a\ngate and rolled back."));
    let run = |policy: &str| run_ok(&["run", "--scenario", "memory-leak", "--policy", policy]);
    let k8s = run("k8s-default");
    assert!(
        k8s.contains("outcome      escaped (detected by slo_pager)"),
        "{k8s}"
    );
    assert!(k8s.contains("deploy 20.0 s"), "{k8s}");
    let gated = run("gated-10pct");
    assert!(
        gated.contains("outcome      caught (detected by gate:"),
        "{gated}"
    );
}

/// The game-day cost the README quotes is the one its command writes.
#[test]
fn readme_gameday_figure_is_what_the_command_writes() {
    let readme = readme().replace('\n', " ");
    let quoted = readme
        .split_once("for the command below, \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(q, _)| q.to_string())
        .expect("the README quotes a game-day cost");
    let dir = temp_dir("readme-gameday");
    let out = dir.join("gameday");
    run_ok(&[
        "gameday",
        "--scenario",
        "memory-leak-gc",
        "--policy",
        "gated-10pct",
        "--out",
        out.to_str().unwrap(),
    ]);
    let runbook = std::fs::read_to_string(out.join("gameday.md")).unwrap();
    for part in quoted.split(" … ") {
        assert!(
            runbook.contains(part),
            "README quotes {part:?}; the runbook says:\n{runbook}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Every fault kind of the catalog, and every built-in scenario the catalog names, is
/// documented in docs/faults.md.
#[test]
fn fault_docs_cover_the_catalog() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/faults.md")).unwrap();
    for kind in scenarios::faults::CATALOG {
        assert!(
            doc.contains(&format!("| `{}` |", kind.kind)),
            "docs/faults.md lacks {}",
            kind.kind
        );
        for p in kind.params {
            assert!(
                doc.contains(&format!("`{}`", p.key)),
                "docs/faults.md lacks {}.{}",
                kind.kind,
                p.key
            );
        }
    }
    for (name, _) in scenarios::BUILTIN {
        if doc.contains(&format!("`{name}`")) {
            continue;
        }
        assert!(
            ["steady", "good-release", "reference"].contains(&name),
            "built-in scenario {name} is not in docs/faults.md"
        );
    }
}

/// The rows of the first Markdown table after `heading`, as trimmed cells.
fn table_after(markdown: &str, heading: &str) -> Vec<Vec<String>> {
    let start = markdown
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading}"));
    markdown[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The keys a cell names in backticks.
fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Reads a scenario text; returns the bound problems (`must …`, `expected …`) at `key`.
fn bound_problems(text: &str, key: &str) -> Vec<String> {
    let doc = config::Doc::parse("limits.toml", text).unwrap();
    match scenarios::Scenario::from_doc(&doc) {
        Ok(_) => Vec::new(),
        Err(config::Problems(ps)) => ps
            .into_iter()
            .filter(|p| p.key == key)
            .filter(|p| p.reason.starts_with("must") || p.reason.starts_with("expected"))
            // Not a cross-field rule ("must be at least backoff_initial_seconds").
            .filter(|p| {
                !p.reason
                    .strip_prefix("must be at least ")
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_alphabetic()))
            })
            .map(|p| p.reason)
            .collect(),
    }
}

/// For a documented bound: the value at it is accepted, the value just beyond refused.
/// `text(value)` is the document with the key set to `value`.
fn pin_bounds(key: &str, low: &str, high: &str, text: &dyn Fn(&str) -> String) {
    // An integer key refuses a float, whatever its value.
    let integer = bound_problems(&text("1.5"), key)
        .iter()
        .any(|r| r.starts_with("expected an integer"));
    let beyond = |bound: f64, up: bool| -> String {
        if integer {
            format!("{}", if up { bound + 1.0 } else { bound - 1.0 })
        } else if bound == 0.0 {
            (if up { "1e-9" } else { "-1e-9" }).to_string()
        } else {
            let f = if up { 1.0 + 1e-9 } else { 1.0 - 1e-9 };
            format!("{:e}", bound * f)
        }
    };
    for (cell, up) in [(low, false), (high, true)] {
        let (value, at_ok): (String, Option<String>) = match cell {
            "> 0" => ("0".into(), None),
            "< 1" => ("1".into(), Some("0.999".into())),
            n => {
                let b: f64 = n.parse().unwrap_or_else(|_| panic!("{key}: bound {n}"));
                (beyond(b, up), Some(n.to_string()))
            }
        };
        if let Some(at) = at_ok {
            let p = bound_problems(&text(&at), key);
            assert!(
                p.is_empty(),
                "{key} = {at} (documented bound) refused: {p:?}"
            );
        }
        let p = bound_problems(&text(&value), key);
        assert!(!p.is_empty(), "{key} = {value} (beyond {cell}) accepted");
    }
}

/// The Limits tables of docs/model.md (scenario keys) and docs/faults.md (fault
/// parameters) are the reader's bounds: every documented maximum and minimum is
/// accepted and a value just beyond it refused, with a problem at that key.
#[test]
fn documented_limits_are_the_readers() {
    let read = |f: &str| {
        std::fs::read_to_string(format!("{}/docs/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    let model = read("model.md");
    let rows = table_after(&model, "### Scenario files");
    assert!(rows.len() > 30, "{} rows", rows.len());
    let mut keys = 0;
    for row in &rows {
        for key in backticked(&row[0]) {
            // The section and profile a key is read in.
            let (section, field) = key.rsplit_once('.').unwrap();
            let context = match (section, field) {
                ("traffic", "amplitude" | "period_seconds" | "peak_at_seconds") => {
                    "[traffic]\nprofile = \"diurnal\"\n"
                }
                ("traffic", "after_rate" | "at_seconds") => "[traffic]\nprofile = \"step\"\n",
                ("traffic", "peak_rate" | "start_seconds" | "duration_seconds") => {
                    "[traffic]\nprofile = \"spike\"\n"
                }
                ("service", "sigma") => "[service]\ndistribution = \"lognormal\"\n",
                ("autoscaler", "target_requests_per_pod") => {
                    "[autoscaler]\nmax_replicas = 10\nmetric = \"requests_per_pod\"\n"
                }
                _ => "",
            };
            let text = |v: &str| {
                let mut doc = format!("schema_version = 1\n{context}");
                let (table, field) = key.rsplit_once('.').unwrap();
                if !context.contains(&format!("[{table}]")) {
                    doc.push_str(&format!("[{table}]\n"));
                }
                doc.push_str(&format!("{field} = {v}\n"));
                doc
            };
            pin_bounds(&key, &row[1], &row[2], &text);
            keys += 1;
        }
    }
    assert!(keys > 45, "{keys} scenario keys checked");
    let faults = read("faults.md");
    let rows = table_after(&faults, "## Limits");
    let mut params = 0;
    for row in &rows {
        let kinds = if row[0] == "every kind" {
            vec!["errors".to_string()]
        } else {
            backticked(&row[0])
        };
        for kind in &kinds {
            for key in backticked(&row[1]) {
                let text = |v: &str| {
                    let (before, extra) = match (kind.as_str(), key.as_str()) {
                        ("migration", _) => (
                            "[schema]\ncandidate = [\"v1\", \"v2\"]\n",
                            "schema = \"v2\"\n",
                        ),
                        ("zone-loss", "zone") => ("", "zones = 64\n"),
                        _ => ("", ""),
                    };
                    format!(
                        "schema_version = 1\n{before}[[faults]]\nkind = \"{kind}\"\n{extra}{key} = {v}\n"
                    )
                };
                pin_bounds(&format!("faults[0].{key}"), &row[2], &row[3], &text);
                params += 1;
            }
        }
    }
    // Every parameter of the catalog has its row.
    for k in scenarios::faults::CATALOG {
        for p in k.params {
            if p.key == "effect" || p.key == "schema" || p.key == "trigger" {
                continue; // not numbers
            }
            assert!(
                rows.iter().any(|r| r[0].contains(&format!("`{}`", k.kind))
                    && r[1].contains(&format!("`{}`", p.key))),
                "docs/faults.md Limits lacks {}.{}",
                k.kind,
                p.key
            );
        }
    }
    assert!(params > 30, "{params} fault parameters checked");
}

/// docs/import.md's Limits table is the importer's: each number is its constant in
/// `policies::limits`, and a file at the bound is read while one past it is refused.
#[test]
fn import_limits_are_the_importers() {
    use policies::import::manifest::documents;
    use policies::limits::{MAX_MANIFEST_BYTES, MAX_MANIFEST_DEPTH, MAX_MANIFEST_DOCUMENTS};
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/import.md")).unwrap();
    let rows = table_after(&doc, "## Limits");
    let bound = |what: &str| -> usize {
        let row = rows
            .iter()
            .find(|r| r[0] == what)
            .unwrap_or_else(|| panic!("docs/import.md Limits lacks {what}"));
        row[1].split_whitespace().next().unwrap().parse().unwrap()
    };
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(bound("file size"), MAX_MANIFEST_BYTES);
    assert_eq!(bound("documents per file"), MAX_MANIFEST_DOCUMENTS);
    assert_eq!(bound("nesting"), MAX_MANIFEST_DEPTH);
    let obj = "apiVersion: v1\nkind: X\n";
    let sized = |n: usize| format!("{obj}{}", "#".repeat(n - obj.len()));
    assert!(documents("f.yaml", &sized(MAX_MANIFEST_BYTES)).is_ok());
    assert!(documents("f.yaml", &sized(MAX_MANIFEST_BYTES + 1)).is_err());
    let many = |n: usize| vec![obj; n].join("---\n");
    assert!(documents("f.yaml", &many(MAX_MANIFEST_DOCUMENTS)).is_ok());
    assert!(documents("f.yaml", &many(MAX_MANIFEST_DOCUMENTS + 1)).is_err());
    let nested = |n: usize| format!("{obj}spec: {}1{}\n", "[".repeat(n - 1), "]".repeat(n - 1));
    assert!(documents("f.yaml", &nested(MAX_MANIFEST_DEPTH)).is_ok());
    assert!(documents("f.yaml", &nested(MAX_MANIFEST_DEPTH + 1)).is_err());
}

/// The import docs' example error is what the importer says, and every field a
/// Deployment's reader maps or notes is in the Deployment table.
#[test]
fn import_docs_are_what_the_importer_says() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/import.md")).unwrap();
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  strategy: {rollingUpdate: {maxSurge: \"25\"}}\n";
    let e = policies::import::import("bad.yaml", text, None, &Default::default()).unwrap_err();
    assert!(doc.contains(&format!("error: {e}\n")), "{e}");
    let table = table_after(&doc, "## `apps/v1` Deployment");
    let cells: String = table
        .iter()
        .map(|r| r[0].clone())
        .collect::<Vec<_>>()
        .join(" ");
    let live = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/manifests/deployment.yaml"
    ))
    .unwrap();
    let i = policies::import::import("d.yaml", &live, None, &Default::default()).unwrap();
    for n in i.notes.iter().filter(|n| n.origin.contains("Deployment")) {
        let last = n.key.rsplit('.').next().unwrap();
        assert!(
            cells.contains(&format!("`{}", n.key)) || cells.contains(last),
            "{}",
            n.key
        );
    }
    for field in [
        "maxSurge",
        "maxUnavailable",
        "minReadySeconds",
        "progressDeadlineSeconds",
        "replicas",
        "paused",
    ] {
        assert!(cells.contains(field), "{field}");
    }
}

/// docs/import.md's Argo Rollouts and Flagger sections are written (no longer "not yet
/// imported") and name every field the examples' notes are about.
#[test]
fn import_docs_name_every_field_the_rollout_examples_note() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/import.md")).unwrap();
    let section = |from: &str, to: &str| {
        let start = doc.find(from).unwrap_or_else(|| panic!("no {from}"));
        let end = start + doc[start..].find(to).unwrap_or_else(|| panic!("no {to}"));
        doc[start..end].to_string()
    };
    let argo = section("## Argo Rollouts", "## Flagger");
    let flagger = section("## Flagger", "## Round trip");
    assert!(!argo.contains("Not yet imported") && !flagger.contains("Not yet imported"));
    for (file, text) in [
        ("rollout-canary.yaml", &argo),
        ("rollout-bluegreen.yaml", &argo),
        ("flagger-canary.yaml", &flagger),
    ] {
        let manifest = std::fs::read_to_string(format!(
            "{}/examples/manifests/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let i = policies::import::import(file, &manifest, None, &Default::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!i.notes.is_empty(), "{file}");
        for n in &i.notes {
            if n.key.is_empty() || n.origin.contains("(Service ") {
                continue;
            }
            let last = n.key.rsplit('.').next().unwrap();
            let field = last.split('[').next().unwrap();
            assert!(
                text.contains(&format!("`{field}")) || text.contains(&format!(".{field}")),
                "{file}: {} is not in its docs/import.md section",
                n.key
            );
        }
    }
}

/// docs/scale-out.md's site-settings table is `sweep --help`'s `--emit-job` flags: the
/// same flags in the same order, and where the table gives a default as one value, the
/// help gives that default.
#[test]
fn scale_out_site_flags_are_the_sweep_help() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scale-out.md")).unwrap();
    let rows = table_after(&doc, "## Site settings");
    let help = stdout(&cli(&["sweep", "--help"]));
    let section = help
        .split("Batch job files")
        .nth(1)
        .expect("sweep --help has a batch job files section");
    // Each flag with its help text (up to the next flag).
    let mut flags: Vec<(String, String)> = Vec::new();
    for line in section.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("--") {
            let name = format!("--{}", rest.split_whitespace().next().unwrap());
            flags.push((name, String::new()));
        } else if let Some((_, text)) = flags.last_mut() {
            text.push_str(t);
            text.push(' ');
        }
    }
    let help_names: Vec<&str> = flags
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| *n != "--emit-job")
        .collect();
    let doc_names: Vec<String> = rows
        .iter()
        .map(|r| {
            backticked(&r[0])[0]
                .split_whitespace()
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(doc_names, help_names);
    for r in &rows {
        let default = &r[2];
        if default.starts_with('`') && default.ends_with('`') && default.matches('`').count() == 2 {
            let value = default.trim_matches('`');
            let name = backticked(&r[0])[0]
                .split_whitespace()
                .next()
                .unwrap()
                .to_string();
            let text = &flags.iter().find(|(n, _)| *n == name).unwrap().1;
            assert!(
                text.contains(&format!("[default: {value}]")),
                "{name}: docs say default {value}, help says: {text}"
            );
        }
    }
}
