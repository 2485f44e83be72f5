//! Media files: their types, their storage keys and byte ranges.
//!
//! A rendered or uploaded file is stored once under
//! `media/{dramaId}/{assetId}-{sha256 of the bytes}.{ext}` and never
//! changed: the key names the content, so it doubles as a strong `ETag`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::AssetKind;
use super::id::id_problem;
use crate::{Error, Result};

/// The prefix under which every media file is stored.
pub const MEDIA_PREFIX: &str = "media/";

impl AssetKind {
    /// `image`, `video` or `audio`.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Image => "image",
            AssetKind::Video => "video",
            AssetKind::Audio => "audio",
        }
    }

    /// Every kind, in render order of a typical drama.
    pub const ALL: [AssetKind; 3] = [AssetKind::Image, AssetKind::Video, AssetKind::Audio];
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The media types sfd stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MediaType {
    /// `image/png`.
    #[serde(rename = "image/png")]
    Png,
    /// `image/jpeg`.
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// `image/webp`.
    #[serde(rename = "image/webp")]
    Webp,
    /// `video/mp4`.
    #[serde(rename = "video/mp4")]
    Mp4,
    /// `audio/mpeg` (MP3).
    #[serde(rename = "audio/mpeg")]
    Mpeg,
    /// `audio/wav`.
    #[serde(rename = "audio/wav")]
    Wav,
    /// `audio/mp4` (M4A, AAC in an MP4 box; voice samples).
    #[serde(rename = "audio/mp4")]
    M4a,
    /// `audio/ogg` (voice samples).
    #[serde(rename = "audio/ogg")]
    Ogg,
    /// `audio/webm` (voice samples, as browsers record them).
    #[serde(rename = "audio/webm")]
    Webm,
}

impl MediaType {
    /// Every media type.
    pub const ALL: [MediaType; 9] = [
        MediaType::Png,
        MediaType::Jpeg,
        MediaType::Webp,
        MediaType::Mp4,
        MediaType::Mpeg,
        MediaType::Wav,
        MediaType::M4a,
        MediaType::Ogg,
        MediaType::Webm,
    ];

    /// The MIME type, as sent in `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Webp => "image/webp",
            MediaType::Mp4 => "video/mp4",
            MediaType::Mpeg => "audio/mpeg",
            MediaType::Wav => "audio/wav",
            MediaType::M4a => "audio/mp4",
            MediaType::Ogg => "audio/ogg",
            MediaType::Webm => "audio/webm",
        }
    }

    /// The file extension used in keys.
    pub fn ext(self) -> &'static str {
        match self {
            MediaType::Png => "png",
            MediaType::Jpeg => "jpg",
            MediaType::Webp => "webp",
            MediaType::Mp4 => "mp4",
            MediaType::Mpeg => "mp3",
            MediaType::Wav => "wav",
            MediaType::M4a => "m4a",
            MediaType::Ogg => "ogg",
            MediaType::Webm => "webm",
        }
    }

    /// The kind of asset a file of this type renders.
    pub fn kind(self) -> AssetKind {
        match self {
            MediaType::Png | MediaType::Jpeg | MediaType::Webp => AssetKind::Image,
            MediaType::Mp4 => AssetKind::Video,
            MediaType::Mpeg | MediaType::Wav | MediaType::M4a | MediaType::Ogg | MediaType::Webm => AssetKind::Audio,
        }
    }

    /// Reads a `Content-Type` value (parameters and common aliases allowed);
    /// [`Error::UnsupportedMediaType`] for anything else.
    pub fn from_mime(value: &str) -> Result<Self> {
        let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        Ok(match essence.as_str() {
            "image/png" => MediaType::Png,
            "image/jpeg" | "image/jpg" => MediaType::Jpeg,
            "image/webp" => MediaType::Webp,
            "video/mp4" => MediaType::Mp4,
            "audio/mpeg" | "audio/mp3" => MediaType::Mpeg,
            "audio/wav" | "audio/wave" | "audio/x-wav" | "audio/vnd.wave" => MediaType::Wav,
            "audio/mp4" | "audio/m4a" | "audio/x-m4a" => MediaType::M4a,
            "audio/ogg" | "audio/opus" => MediaType::Ogg,
            "audio/webm" => MediaType::Webm,
            _ => return Err(Error::UnsupportedMediaType(value.to_string())),
        })
    }

    /// The type of a key's extension.
    pub fn from_ext(ext: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.ext() == ext)
    }

    /// Recognises a file by its first bytes (PNG, JPEG, WebP, MP4, WAV,
    /// MP3, M4A by its `M4A ` brand, Ogg, WebM);
    /// [`SNIFF_BYTES`] of them are enough.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        let at = |i: usize, sig: &[u8]| bytes.get(i..i + sig.len()) == Some(sig);
        if at(0, b"\x89PNG\r\n\x1a\n") {
            Some(MediaType::Png)
        } else if at(0, b"\xff\xd8\xff") {
            Some(MediaType::Jpeg)
        } else if at(0, b"RIFF") && at(8, b"WEBP") {
            Some(MediaType::Webp)
        } else if at(0, b"RIFF") && at(8, b"WAVE") {
            Some(MediaType::Wav)
        } else if at(4, b"ftyp") && at(8, b"M4A ") {
            Some(MediaType::M4a)
        } else if at(4, b"ftyp") {
            Some(MediaType::Mp4)
        } else if at(0, b"OggS") {
            Some(MediaType::Ogg)
        } else if at(0, b"\x1a\x45\xdf\xa3") {
            Some(MediaType::Webm)
        } else if at(0, b"ID3") || (bytes.len() > 1 && bytes[0] == 0xff && bytes[1] & 0xe0 == 0xe0) {
            Some(MediaType::Mpeg)
        } else {
            None
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

/// How many first bytes [`MediaType::sniff`] needs.
pub(crate) const SNIFF_BYTES: usize = 12;

/// The key of one media file: `media/{dramaId}/{assetId}-{sha256}.{ext}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaKey {
    drama_id: String,
    asset_id: String,
    hash: String,
    media_type: MediaType,
    path: String,
}

fn check_id(field: &str, id: &str) -> Result<()> {
    match id_problem(id) {
        Some(msg) => Err(Error::invalid(field, msg)),
        None => Ok(()),
    }
}

impl MediaKey {
    /// The key of a file of `asset_id` in drama `drama_id` whose bytes hash to
    /// `sha256_hex` (lowercase hex, 32 to 64 digits).
    pub fn new(drama_id: &str, asset_id: &str, sha256_hex: &str, media_type: MediaType) -> Result<Self> {
        check_id("dramaId", drama_id)?;
        check_id("assetId", asset_id)?;
        let hex_ok = (32..=64).contains(&sha256_hex.len())
            && sha256_hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex_ok {
            return Err(Error::invalid(
                "key",
                "the content hash must be 32 to 64 lowercase hex digits",
            ));
        }
        let path = format!("{MEDIA_PREFIX}{drama_id}/{asset_id}-{sha256_hex}.{}", media_type.ext());
        Ok(MediaKey {
            drama_id: drama_id.to_string(),
            asset_id: asset_id.to_string(),
            hash: sha256_hex.to_string(),
            media_type,
            path,
        })
    }

    /// Parses a key path such as `media/d1/ep1-sc1-img-3fa9….png`;
    /// [`Error::Invalid`] for anything that is not one.
    pub fn parse(path: &str) -> Result<Self> {
        let bad = || Error::invalid("key", format!("'{path}' is not a media key"));
        let rest = path.strip_prefix(MEDIA_PREFIX).ok_or_else(bad)?;
        let (drama_id, file) = rest.split_once('/').ok_or_else(bad)?;
        let (stem, ext) = file.rsplit_once('.').ok_or_else(bad)?;
        let (asset_id, hash) = stem.rsplit_once('-').ok_or_else(bad)?;
        let media_type = MediaType::from_ext(ext).ok_or_else(bad)?;
        Self::new(drama_id, asset_id, hash, media_type).map_err(|_| bad())
    }

    /// Finds the key in a media URL: `{R2_PUBLIC_URL}/{key}` or `/media/{key}`.
    pub fn from_url(url: &str) -> Option<Self> {
        let path = url.split(['?', '#']).next().unwrap_or_default();
        let start = path
            .rfind("/media/")
            .map(|i| i + 1)
            .or_else(|| path.starts_with(MEDIA_PREFIX).then_some(0))?;
        Self::parse(&path[start..]).ok()
    }

    /// The URL of this file: `{public_base}/{key}`, or `/media/{key}` on this server.
    pub fn url(&self, public_base: Option<&str>) -> String {
        match public_base {
            Some(base) => format!("{}/{}", base.trim_end_matches('/'), self.path),
            None => format!("/media/{}", self.path),
        }
    }

    /// The drama the file belongs to.
    pub fn drama_id(&self) -> &str {
        &self.drama_id
    }

    /// The asset the file was made for.
    pub fn asset_id(&self) -> &str {
        &self.asset_id
    }

    /// The SHA-256 of the bytes, in hex.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The media type, from the extension.
    pub fn media_type(&self) -> MediaType {
        self.media_type
    }

    /// The full key path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A strong HTTP entity tag: the content hash, quoted.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.hash)
    }
}

impl fmt::Display for MediaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

/// A byte range of a file, as an HTTP `Range: bytes=…` header asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=start-end`, both inclusive.
    Bounded {
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// `bytes=start-`: from `start` to the end.
    From(u64),
    /// `bytes=-n`: the last `n` bytes.
    Suffix(u64),
}

impl ByteRange {
    /// Parses a `Range` header with a single range; `None` when malformed or
    /// when it asks for several ranges.
    pub fn parse_header(value: &str) -> Option<Self> {
        let spec = value.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (a, b) = spec.split_once('-')?;
        let (a, b) = (a.trim(), b.trim());
        match (a.is_empty(), b.is_empty()) {
            (true, false) => Some(ByteRange::Suffix(b.parse().ok()?)),
            (false, true) => Some(ByteRange::From(a.parse().ok()?)),
            (false, false) => {
                let (start, end) = (a.parse().ok()?, b.parse().ok()?);
                (start <= end).then_some(ByteRange::Bounded { start, end })
            }
            (true, true) => None,
        }
    }

    /// The half-open byte range `[start, end)` within a file of `size` bytes;
    /// [`Error::RangeNotSatisfiable`] when it selects nothing.
    pub fn resolve(self, size: u64) -> Result<std::ops::Range<u64>> {
        let r = match self {
            ByteRange::Bounded { start, end } => start..end.saturating_add(1).min(size),
            ByteRange::From(start) => start..size,
            ByteRange::Suffix(n) => size.saturating_sub(n)..size,
        };
        if r.start >= r.end {
            return Err(Error::RangeNotSatisfiable { size });
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn keys_round_trip_and_reject_paths() {
        let k = MediaKey::new("drama_1", "ep1-sc1-img", HASH, MediaType::Png).unwrap();
        assert_eq!(k.path(), format!("media/drama_1/ep1-sc1-img-{HASH}.png"));
        assert_eq!(MediaKey::parse(k.path()).unwrap(), k);
        assert_eq!(k.url(None), format!("/media/{}", k.path()));
        assert_eq!(
            k.url(Some("https://cdn.example/")),
            format!("https://cdn.example/{}", k.path())
        );
        assert_eq!(MediaKey::from_url(&k.url(Some("https://cdn.example/x"))).unwrap(), k);
        assert_eq!(MediaKey::from_url(&k.url(None)).unwrap(), k);
        for bad in [
            "media/../x-0123456789abcdef0123456789abcdef.png",
            "media/d/a-nothex.png",
            "media/d/a-0123456789abcdef0123456789abcdef.exe",
            "dramas/d.json",
            "media/d/sub/a-0123456789abcdef0123456789abcdef.png",
        ] {
            assert!(MediaKey::parse(bad).is_err(), "{bad}");
        }
        assert!(MediaKey::new("d", "a", &HASH[..31], MediaType::Png).is_err());
    }

    #[test]
    fn media_types_from_headers_and_bytes() {
        assert_eq!(MediaType::from_mime("image/png; charset=x").unwrap(), MediaType::Png);
        assert_eq!(MediaType::from_mime("audio/x-wav").unwrap(), MediaType::Wav);
        assert!(matches!(
            MediaType::from_mime("text/html"),
            Err(Error::UnsupportedMediaType(_))
        ));
        assert_eq!(MediaType::sniff(b"\x89PNG\r\n\x1a\n...."), Some(MediaType::Png));
        assert_eq!(MediaType::sniff(b"RIFF\0\0\0\0WAVEfmt "), Some(MediaType::Wav));
        assert_eq!(MediaType::sniff(b"\0\0\0\x20ftypisom"), Some(MediaType::Mp4));
        assert_eq!(MediaType::sniff(b"hello"), None);
        for t in MediaType::ALL {
            assert_eq!(MediaType::from_ext(t.ext()), Some(t));
            assert_eq!(MediaType::from_mime(t.mime()).unwrap(), t);
        }
    }

    #[test]
    fn ranges_parse_and_resolve() {
        assert_eq!(
            ByteRange::parse_header("bytes=0-99"),
            Some(ByteRange::Bounded { start: 0, end: 99 })
        );
        assert_eq!(ByteRange::parse_header("bytes=5-"), Some(ByteRange::From(5)));
        assert_eq!(ByteRange::parse_header("bytes=-5"), Some(ByteRange::Suffix(5)));
        for bad in ["bytes=9-1", "bytes=0-1,3-4", "items=0-1", "bytes=-", "bytes=a-b"] {
            assert_eq!(ByteRange::parse_header(bad), None, "{bad}");
        }
        assert_eq!(ByteRange::Bounded { start: 0, end: 99 }.resolve(10).unwrap(), 0..10);
        assert_eq!(ByteRange::Suffix(4).resolve(10).unwrap(), 6..10);
        assert!(matches!(
            ByteRange::From(10).resolve(10),
            Err(Error::RangeNotSatisfiable { size: 10 })
        ));
    }
}
