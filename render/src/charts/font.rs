//! The typeface PNG charts are drawn with, embedded in the binary so no system font
//! library is needed: DejaVu Sans (Bitstream Vera licence; `reports/fonts/LICENSE`
//! names its source). SVG charts name the generic `sans-serif` family, but plotters
//! still measures their text with this font to lay out labels.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use super::ChartError;

static DEJAVU_SANS: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");

/// The family every chart names.
pub const FAMILY: &str = "sans-serif";

/// Registers the embedded font under [`FAMILY`] once per process.
pub fn ensure() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        // Bold and italic fall back to the regular face.
        register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError("the embedded font could not be read".into()))
    }
}
