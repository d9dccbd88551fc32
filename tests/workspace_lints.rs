//! The workspace's lints reach every crate: `unsafe_code` is denied for the workspace
//! and every member inherits it, and every library and the binary forbid it at their
//! root, so only a test crate can allow it (tests/fuzz_inputs.rs's counting allocator).

use std::path::Path;

fn toml_of(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_member_inherits_the_workspace_lints_and_forbids_unsafe() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = toml_of(&root.join("Cargo.toml"));
    let unsafe_level = manifest["workspace"]["lints"]["rust"]["unsafe_code"].as_str();
    assert_eq!(unsafe_level, Some("deny"));
    let members: Vec<&str> = manifest["workspace"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(members.len() >= 7, "{members:?}");
    let mut crates = vec![(root.to_path_buf(), "src/main.rs".to_string())];
    for m in &members {
        crates.push((root.join(m), "src/lib.rs".to_string()));
    }
    for (dir, crate_root) in crates {
        let member = toml_of(&dir.join("Cargo.toml"));
        assert_eq!(
            member
                .get("lints")
                .and_then(|l| l.get("workspace"))
                .and_then(|w| w.as_bool()),
            Some(true),
            "{}: needs `[lints] workspace = true`",
            dir.display()
        );
        let source = std::fs::read_to_string(dir.join(&crate_root)).unwrap();
        assert!(
            source
                .lines()
                .any(|l| l.trim() == "#![forbid(unsafe_code)]"),
            "{}/{crate_root}: needs #![forbid(unsafe_code)]",
            dir.display()
        );
    }
}
