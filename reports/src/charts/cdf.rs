//! stub
use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;

#[derive(Clone, Debug, PartialEq)]
pub struct Cdf {}

impl Cdf {
    pub fn size(&self) -> (u32, u32) {
        (super::WIDTH, 100)
    }
    pub fn draw<DB: DrawingBackend>(&self, _root: &DrawingArea<DB, Shift>) -> DrawResult {
        Ok(())
    }
}

pub fn figures(_v: &crate::view::SweepView) -> Vec<super::Figure> {
    Vec::new()
}
