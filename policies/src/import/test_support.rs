//! What the readers' unit tests share: indenting YAML, importing a text as a named
//! file and reading the policy back, and looking for a message among the problems.

use crate::Policy;
use crate::import::{Import, Options, import};

/// `s` with every line indented by `n` spaces.
pub fn indent(s: &str, n: usize) -> String {
    s.lines()
        .map(|l| format!("{}{l}\n", " ".repeat(n)))
        .collect()
}

/// `text` imported as the file `file` and read as a policy, or every problem as text
/// (located in the manifest).
pub fn read_as(file: &str, text: &str, opts: &Options) -> Result<(Policy, Import), Vec<String>> {
    let strings = |ps: config::Problems| ps.0.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    let i = import(file, text, None, opts).map_err(strings)?;
    let p = Policy::from_doc(&i.doc()).map_err(|ps| strings(i.locate(ps)))?;
    Ok((p, i))
}

/// The problems of a text that must be refused.
pub fn refused_as(file: &str, text: &str, opts: &Options) -> Vec<String> {
    read_as(file, text, opts)
        .err()
        .unwrap_or_else(|| panic!("accepted: {text}"))
}

#[track_caller]
pub fn has(all: &[String], needle: &str) {
    assert!(
        all.iter().any(|x| x.contains(needle)),
        "{needle:?} not in {all:#?}"
    );
}

/// The import's notes as text.
pub fn notes(i: &Import) -> Vec<String> {
    i.notes.iter().map(|n| n.to_string()).collect()
}
