//! The examples in the README are real: every TOML block validates and they run, and
//! the outcomes and figures it quotes are what the commands print.

mod common;

use common::{cli, stderr, stdout, temp_dir};

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

#[test]
fn readme_examples_validate_and_run() {
    let blocks = toml_blocks(&readme());
    assert_eq!(blocks.len(), 2, "the README shows a scenario and a policy");
    let dir = temp_dir("readme");
    let scenario = dir.join("checkout.toml");
    let policy = dir.join("careful.toml");
    std::fs::write(&scenario, &blocks[0]).unwrap();
    std::fs::write(&policy, &blocks[1]).unwrap();
    let (s, p) = (scenario.to_str().unwrap(), policy.to_str().unwrap());
    let v = cli(&["validate", s, p]);
    assert!(v.status.success(), "{}", stderr(&v));
    let r = cli(&[
        "run",
        "--scenario",
        s,
        "--policy",
        p,
        "--seed",
        "7",
        "--set",
        "scenario.run.horizon_seconds=900",
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
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
    let run = |policy: &str| {
        let o = cli(&["run", "--scenario", "memory-leak", "--policy", policy]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
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
    let o = cli(&[
        "gameday",
        "--scenario",
        "memory-leak-gc",
        "--policy",
        "gated-10pct",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
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
