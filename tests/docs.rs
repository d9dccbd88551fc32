//! The examples in the README are real: every TOML block validates and they run.

mod common;

use common::{cli, stderr, temp_dir};

fn toml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```toml") => current = Some(String::new()),
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
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks = toml_blocks(&readme);
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
