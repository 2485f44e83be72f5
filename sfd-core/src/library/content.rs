//! What a library upload may hold: its bytes are sniffed, whatever a
//! client declares, and must be of the declared type.

use crate::model::{LibraryType, MediaType};
use crate::{Error, Result};

/// The file extension and MIME type of `bytes` as a library asset of
/// `asset_type`: a PNG, JPEG or WebP image, an MP4 video, or UTF-8 text
/// (that is none of those). [`Error::UnsupportedMediaType`] otherwise.
pub fn checked_content(asset_type: LibraryType, bytes: &[u8]) -> Result<(&'static str, &'static str)> {
    let sniffed = MediaType::sniff(bytes);
    let wrong = |what: &str| {
        let found = sniffed.map_or_else(|| "something else".to_string(), |t| t.mime().to_string());
        Err(Error::UnsupportedMediaType(format!(
            "a library {asset_type} must be {what}; the file is {found}"
        )))
    };
    match (asset_type, sniffed) {
        (LibraryType::Image, Some(t @ (MediaType::Png | MediaType::Jpeg | MediaType::Webp))) => Ok((t.ext(), t.mime())),
        (LibraryType::Image, _) => wrong("a PNG, JPEG or WebP image"),
        (LibraryType::Video, Some(t @ MediaType::Mp4)) => Ok((t.ext(), t.mime())),
        (LibraryType::Video, _) => wrong("an MP4 video"),
        (LibraryType::Text, None) if std::str::from_utf8(bytes).is_ok() => Ok(("txt", "text/plain")),
        (LibraryType::Text, _) => wrong("UTF-8 text"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_must_match_the_declared_type() {
        let png = b"\x89PNG\r\n\x1a\n rest";
        assert_eq!(checked_content(LibraryType::Image, png).unwrap(), ("png", "image/png"));
        assert!(matches!(
            checked_content(LibraryType::Video, png),
            Err(Error::UnsupportedMediaType(m)) if m.contains("image/png")
        ));
        assert_eq!(checked_content(LibraryType::Text, b"hello").unwrap().0, "txt");
        assert!(checked_content(LibraryType::Text, b"\xff\xfe\xfd").is_err());
        assert!(checked_content(LibraryType::Text, png).is_err());
        assert!(checked_content(LibraryType::Image, b"hello").is_err());
    }
}
