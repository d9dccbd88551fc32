//! Drawing: everything rollcage shows people, as pure functions of what `reports`
//! computed and read back. `report.html` and `report.md` with their charts (inline SVG
//! and PNG), the run summary and the sweep table printed on the terminal, and `check`'s
//! text and Markdown. Nothing here computes a figure or touches the file system: the
//! dependency runs one way, `render` → `reports`, never back.

#![forbid(unsafe_code)]

pub mod charts;
pub mod check;
pub mod figures;
pub mod html;
pub mod markdown;
pub mod paint;
pub mod png;
pub mod power;
pub mod report;
pub mod summary;
pub mod table;
pub mod tune;
pub mod words;
