//! The `/admin stats` chart: membership growth (bars per month) and where alumni went
//! (horizontal bars per industry), drawn onto an RGB buffer with `fontdue` glyphs and encoded
//! with `png`. The font is passed in (a Japanese-capable TTF such as IPAGothic), so labels in
//! Japanese render as glyphs, not boxes.

const W: usize = 900;
const H: usize = 840;
const BG: [u8; 3] = [255, 255, 255];
const INK: [u8; 3] = [30, 30, 30];
const GRID: [u8; 3] = [225, 225, 225];
const BAR: [u8; 3] = [52, 120, 198];
const BAR2: [u8; 3] = [230, 126, 34];
const BAR3: [u8; 3] = [46, 160, 90];

/// What the chart shows; labels are already localized.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub title: String,
    pub growth_title: String,
    /// (month label such as `2026-11`, approved members at its end)
    pub growth: Vec<(String, u64)>,
    pub industries_title: String,
    /// (industry, members)
    pub industries: Vec<(String, u64)>,
    pub funnel_title: String,
    /// HR's roster funnel: (stage, people), from the roster down to the active.
    pub funnel: Vec<(String, u64)>,
}

struct Canvas {
    px: Vec<u8>,
    font: fontdue::Font,
}

impl Canvas {
    fn rect(&mut self, x: usize, y: usize, w: usize, h: usize, c: [u8; 3]) {
        for yy in y..(y + h).min(H) {
            for xx in x..(x + w).min(W) {
                let i = (yy * W + xx) * 3;
                self.px[i..i + 3].copy_from_slice(&c);
            }
        }
    }

    /// Width in pixels of `text` at `size`.
    fn width(&self, text: &str, size: f32) -> usize {
        text.chars()
            .map(|c| self.font.metrics(c, size).advance_width)
            .sum::<f32>()
            .ceil() as usize
    }

    /// Draw `text` with its baseline at `y`, blending coverage into the background.
    fn text(&mut self, x: usize, y: usize, text: &str, size: f32, c: [u8; 3]) {
        let mut pen = x as f32;
        for ch in text.chars() {
            let (m, bitmap) = self.font.rasterize(ch, size);
            let left = pen as i64 + i64::from(m.xmin);
            let top = y as i64 - i64::from(m.ymin) - m.height as i64;
            for row in 0..m.height {
                for col in 0..m.width {
                    let a = u16::from(bitmap[row * m.width + col]);
                    let (px, py) = (left + col as i64, top + row as i64);
                    if a == 0 || px < 0 || py < 0 || px >= W as i64 || py >= H as i64 {
                        continue;
                    }
                    let i = (py as usize * W + px as usize) * 3;
                    for (dst, ink) in self.px[i..i + 3].iter_mut().zip(c) {
                        let bg = u16::from(*dst);
                        *dst = ((u16::from(ink) * a + bg * (255 - a)) / 255) as u8;
                    }
                }
            }
            pen += m.advance_width;
        }
    }
}

impl Canvas {
    /// A titled panel of up to 8 labelled horizontal bars from `top`, scaled to the largest.
    fn hbars(&mut self, top: usize, title: &str, rows: &[(String, u64)], color: [u8; 3]) {
        self.text(24, top, title, 20.0, INK);
        let label_w = rows
            .iter()
            .map(|(l, _)| self.width(l, 16.0))
            .max()
            .unwrap_or(0)
            .min(320);
        let bx = 40 + label_w + 12;
        let bw = W - bx - 70;
        let max = rows.iter().map(|i| i.1).max().unwrap_or(0).max(1);
        for (i, (label, v)) in rows.iter().take(8).enumerate() {
            let y = top + 20 + i * 30;
            self.text(40, y + 19, label, 16.0, INK);
            let w = (bw as u64 * v / max) as usize;
            self.rect(bx, y + 4, w.max(2), 20, color);
            self.text(bx + w + 8, y + 20, &v.to_string(), 15.0, INK);
        }
    }
}

/// The chart as PNG bytes. `font` is a TrueType/OpenType font file.
pub fn render(data: &ChartData, font: &[u8]) -> Result<Vec<u8>, String> {
    let font = fontdue::Font::from_bytes(font, fontdue::FontSettings::default())
        .map_err(|e| e.to_string())?;
    let mut c = Canvas {
        px: BG.repeat(W * H),
        font,
    };
    c.text(24, 40, &data.title, 28.0, INK);

    // Growth: vertical bars, one per month.
    let (gx, gy, gw, gh) = (60, 100, W - 90, 200);
    c.text(24, 84, &data.growth_title, 20.0, INK);
    let max = data.growth.iter().map(|g| g.1).max().unwrap_or(0).max(1);
    for k in 0..=4 {
        let y = gy + gh - gh * k / 4;
        c.rect(gx, y, gw, 1, GRID);
        let label = (max * k as u64 / 4).to_string();
        let lw = c.width(&label, 14.0);
        c.text(gx.saturating_sub(lw + 6), y + 5, &label, 14.0, INK);
    }
    let n = data.growth.len().max(1);
    let slot = gw / n;
    for (i, (month, v)) in data.growth.iter().enumerate() {
        let h = (gh as u64 * v / max) as usize;
        let x = gx + i * slot + slot / 6;
        c.rect(x, gy + gh - h, slot * 2 / 3, h, BAR);
        let vw = c.width(&v.to_string(), 13.0);
        c.text(
            x + (slot * 2 / 3).saturating_sub(vw) / 2,
            gy + gh - h - 4,
            &v.to_string(),
            13.0,
            INK,
        );
        // Month labels: every one if they fit, else every other.
        if n <= 12 || i % 2 == 0 {
            let mw = c.width(month, 12.0);
            c.text(
                x + (slot * 2 / 3).saturating_sub(mw) / 2,
                gy + gh + 18,
                month,
                12.0,
                INK,
            );
        }
    }

    // Industries, then the roster funnel: horizontal bars with their (Japanese) names.
    c.hbars(370, &data.industries_title, &data.industries, BAR2);
    c.hbars(640, &data.funnel_title, &data.funnel, BAR3);

    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, W as u32, H as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(&c.px).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Standard base64 (with padding): how a binary attachment travels in `Attachment::content`.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                s.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Decode [`base64`]; `None` if it is not base64.
pub fn unbase64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim().as_bytes();
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for q in s.chunks(4) {
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_round_trips() {
        for input in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"foob",
            b"\x89PNG\r\n\x1a\n\x00\xff",
        ] {
            let e = super::base64(input);
            assert_eq!(super::unbase64(&e).as_deref(), Some(input), "{e}");
        }
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
