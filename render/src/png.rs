//! Charts as PNG files, encoded in memory: 8-bit RGB, fixed compression and filter,
//! no time or text chunks, so the same chart gives the same bytes.

use crate::charts::{self, Chart, ChartError};

/// The chart drawn with the embedded font and encoded as PNG.
pub fn png(chart: &Chart) -> Result<Vec<u8>, ChartError> {
    let (w, h) = chart.size();
    let pixels = charts::rgb(chart)?;
    encode_rgb(&pixels, w, h)
}

/// Encodes RGB pixels (3 bytes each, row by row) as PNG.
pub fn encode_rgb(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let err = |e: png::EncodingError| ChartError(format!("encoding a PNG: {e}"));
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Balanced);
        enc.set_filter(png::Filter::Adaptive);
        let mut writer = enc.write_header().map_err(err)?;
        writer.write_image_data(pixels).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes_back() {
        let pixels: Vec<u8> = (0..4 * 3 * 3).map(|i| (i * 7) as u8).collect();
        let bytes = encode_rgb(&pixels, 4, 3).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (4, 3));
        assert_eq!(&buf[..info.buffer_size()], &pixels[..]);
        assert_eq!(encode_rgb(&pixels, 4, 3).unwrap(), bytes, "deterministic");
    }
}
