//! What the tests that start a real component on this machine share: a free port on
//! 127.0.0.1 for it, and the end of its log for a failure message.

use std::fs;
use std::net::TcpListener;
use std::path::Path;

/// A port free on 127.0.0.1 now (the listener is dropped, so the component can bind it).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("binds a port on 127.0.0.1");
    l.local_addr().unwrap().port()
}

/// The last `n` lines of a log, under its path.
pub fn tail(path: &Path, n: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    format!(
        "--- {} ---\n{}",
        path.display(),
        lines[lines.len().saturating_sub(n)..].join("\n")
    )
}
