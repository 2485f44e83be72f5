//! Tiny encoders for real, decodable files: PNG (stored deflate blocks) and
//! 16-bit PCM WAV. Used by the simulated renderer.

/// CRC-32 (IEEE), as PNG chunks need.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for part in parts {
        for &b in *part {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
    }
    !crc
}

/// Writes a zlib stream of stored (uncompressed) deflate blocks straight
/// into a PNG being built, inserting block headers every 65,535 bytes.
struct StoredZlib<'a> {
    out: &'a mut Vec<u8>,
    left_in_block: usize,
    remaining: usize,
    a: u32,
    b: u32,
    unreduced: u32,
}

impl<'a> StoredZlib<'a> {
    fn new(out: &'a mut Vec<u8>, total: usize) -> Self {
        out.extend_from_slice(&[0x78, 0x01]);
        if total == 0 {
            out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
        }
        StoredZlib {
            out,
            left_in_block: 0,
            remaining: total,
            a: 1,
            b: 0,
            unreduced: 0,
        }
    }

    fn push(&mut self, byte: u8) {
        if self.left_in_block == 0 {
            let len = self.remaining.min(65535);
            let last = u8::from(len == self.remaining);
            self.out.push(last);
            self.out.extend_from_slice(&(len as u16).to_le_bytes());
            self.out.extend_from_slice(&(!(len as u16)).to_le_bytes());
            self.left_in_block = len;
        }
        self.out.push(byte);
        self.left_in_block -= 1;
        self.remaining -= 1;
        // Adler-32, reduced only as often as the sums could overflow.
        self.a += u32::from(byte);
        self.b += self.a;
        self.unreduced += 1;
        if self.unreduced == 5552 {
            self.a %= 65521;
            self.b %= 65521;
            self.unreduced = 0;
        }
    }

    fn finish(mut self) {
        self.a %= 65521;
        self.b %= 65521;
        self.out.extend_from_slice(&((self.b << 16) | self.a).to_be_bytes());
    }
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// An 8-bit RGB PNG of `width` × `height` whose pixels `pixel(x, y)` gives,
/// written in one buffer (no intermediate copies of the image).
pub(crate) fn png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let raw = (height * (width * 3 + 1)) as usize;
    let zlib = 2 + raw.div_ceil(65535).max(1) * 5 + raw + 4;
    let mut out = Vec::with_capacity(8 + 25 + 12 + zlib + 12);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    out.extend_from_slice(&(zlib as u32).to_be_bytes());
    let idat = out.len();
    out.extend_from_slice(b"IDAT");
    let mut z = StoredZlib::new(&mut out, raw);
    for y in 0..height {
        z.push(0); // filter: none
        for x in 0..width {
            for c in pixel(x, y) {
                z.push(c);
            }
        }
    }
    z.finish();
    let crc = crc32(&[&out[idat..]]);
    out.extend_from_slice(&crc.to_be_bytes());
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The main colour of a PNG [`png`] wrote (the pixel at (5, 0), where the
/// simulated renderer paints its background); `None` for any other file.
pub(crate) fn png_colour(bytes: &[u8]) -> Option<[u8; 3]> {
    let width = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
    // Signature, IHDR, IDAT's length and type, zlib's header, the first
    // stored block's header (BTYPE 00), the first row's filter byte.
    let stored = bytes.get(8 + 25 + 8 + 2)? & 0b110 == 0;
    let ok = bytes.starts_with(b"\x89PNG") && bytes.get(37..41)? == b"IDAT" && bytes.get(24..26)? == [8, 2];
    if !ok || !stored || width < 6 {
        return None;
    }
    let at = 8 + 25 + 8 + 2 + 5 + 1 + 5 * 3;
    bytes.get(at..at + 3)?.try_into().ok()
}

/// A mono 16-bit PCM WAV of `seconds` at `rate` Hz: a soft tone of `freq` Hz.
pub(crate) fn wav(seconds: f64, rate: u32, freq: f64) -> Vec<u8> {
    let samples = (seconds * f64::from(rate)).round() as u32;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let step = std::f64::consts::TAU * freq / f64::from(rate);
    for i in 0..samples {
        let v = ((f64::from(i) * step).sin() * 6000.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(&[b"IEND"]), 0xae42_6082);
        let mut out = Vec::new();
        let mut z = StoredZlib::new(&mut out, 9);
        b"Wikipedia".iter().for_each(|b| z.push(*b));
        z.finish();
        assert_eq!(&out[out.len() - 4..], &0x11e6_0398u32.to_be_bytes());
    }

    /// Reads back the stored blocks of a PNG's IDAT, checking lengths and checksums.
    fn inflate_stored(png: &[u8]) -> Vec<u8> {
        let len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let data = &png[41..41 + len];
        let crc = u32::from_be_bytes(png[41 + len..45 + len].try_into().unwrap());
        assert_eq!(crc, crc32(&[b"IDAT", data]));
        let (mut at, mut raw) = (2, Vec::new());
        loop {
            let last = data[at] == 1;
            let n = u16::from_le_bytes([data[at + 1], data[at + 2]]);
            assert_eq!(!n, u16::from_le_bytes([data[at + 3], data[at + 4]]));
            raw.extend_from_slice(&data[at + 5..at + 5 + n as usize]);
            at += 5 + n as usize;
            if last {
                break;
            }
        }
        let (mut a, mut b) = (1u32, 0u32);
        for x in &raw {
            a = (a + u32::from(*x)) % 65521;
            b = (b + a) % 65521;
        }
        assert_eq!(&data[at..at + 4], &((b << 16) | a).to_be_bytes());
        assert_eq!(at + 4, len);
        raw
    }

    #[test]
    fn large_pngs_span_many_blocks() {
        let p = png(300, 200, |x, y| [x as u8, y as u8, (x ^ y) as u8]);
        let raw = inflate_stored(&p);
        assert_eq!(raw.len(), 200 * (300 * 3 + 1));
        assert_eq!(&raw[1 + 3 * 7..1 + 3 * 8], &[7, 0, 7]);
        assert_eq!(&p[p.len() - 12..], b"\0\0\0\0IEND\xae\x42\x60\x82");
    }

    #[test]
    fn png_and_wav_headers() {
        let p = png(3, 5, |x, y| [x as u8, y as u8, 0]);
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(u32::from_be_bytes(p[16..20].try_into().unwrap()), 3);
        assert_eq!(u32::from_be_bytes(p[20..24].try_into().unwrap()), 5);
        let w = wav(1.5, 8000, 440.0);
        assert_eq!(&w[8..12], b"WAVE");
        assert_eq!(super::super::speech::wav_seconds(&w), Some(1.5));
    }
}
