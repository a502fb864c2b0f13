//! Pictures compared with their references within a tolerance: glyph edges move a little between
//! font versions and renderers, so an exact comparison would fail for nothing, and a loose one
//! would pass anything. `TAYORI_UPDATE_REFERENCES=1` writes new references (look at each before
//! committing it).

use std::path::Path;

/// A pixel differs when a channel differs by more than this.
pub const CHANNEL: u8 = 64;
/// A picture differs when more than this share of its pixels do.
pub const TOLERANCE: f64 = 0.01;

/// An RGBA picture: width, height, pixels.
pub type Picture = (u32, u32, Vec<u8>);

pub fn write_png(path: &Path, width: u32, height: u32, rgba: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
    let file = std::fs::File::create(path).expect("png file");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    writer.write_image_data(rgba).expect("png data");
}

pub fn read_png(path: &Path) -> Option<Picture> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).ok()?));
    let mut reader = decoder.read_info().ok()?;
    let mut buffer = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buffer).ok()?;
    buffer.truncate(info.buffer_size());
    Some((info.width, info.height, buffer))
}

/// The share of pixels that differ, or `None` when the sizes differ.
pub fn difference(a: &[u8], b: &[u8]) -> Option<f64> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let differing = a
        .chunks_exact(4)
        .zip(b.chunks_exact(4))
        .filter(|(p, q)| {
            p.iter()
                .zip(q.iter())
                .any(|(x, y)| x.abs_diff(*y) > CHANNEL)
        })
        .count();
    Some(differing as f64 / (a.len() / 4) as f64)
}

/// The picture at half its size, each 2×2 block averaged (a 2x screen's picture in logical
/// pixels).
pub fn half_size(width: u32, height: u32, rgba: &[u8]) -> Picture {
    let (w, h) = (width / 2, height / 2);
    let at = |x: u32, y: u32, c: u32| u32::from(rgba[((y * width + x) * 4 + c) as usize]);
    let pixels = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .flat_map(|(x, y)| {
            (0..4).map(move |c| {
                let sum = at(2 * x, 2 * y, c)
                    + at(2 * x + 1, 2 * y, c)
                    + at(2 * x, 2 * y + 1, c)
                    + at(2 * x + 1, 2 * y + 1, c);
                ((sum + 2) / 4) as u8
            })
        })
        .collect();
    (w, h, pixels)
}

/// Compares a picture with its reference (or, with `TAYORI_UPDATE_REFERENCES` set, writes it as
/// the reference); `Err` says how they differ.
pub fn check_against(picture: &Picture, reference: &Path) -> Result<(), String> {
    let (width, height, pixels) = picture;
    if std::env::var_os("TAYORI_UPDATE_REFERENCES").is_some() {
        write_png(reference, *width, *height, pixels);
        return Ok(());
    }
    let name = reference.display();
    let (w, h, expected) = read_png(reference).ok_or(format!("{name}: no reference picture"))?;
    match difference(pixels, &expected) {
        Some(share) if share <= TOLERANCE => Ok(()),
        Some(share) => Err(format!(
            "{name}: {:.2} % of the pixels differ (tolerance {:.2} %)",
            share * 100.0,
            TOLERANCE * 100.0
        )),
        None => Err(format!(
            "{name}: {width}x{height} drawn, the reference is {w}x{h}"
        )),
    }
}
