//! The asset library on the wire: reusable images, videos and texts kept
//! per user and project (character sheets, storyboards, clips), in the
//! shapes of the old server's `/asset-library` routes (snake_case), and the
//! `library:{asset_id}` reference a drama's `depends_on` may hold.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Object;
use super::id::id_problem;

/// The user a library belongs to when a request names none (the old server's default).
pub const DEFAULT_LIBRARY_USER: &str = "10000";

/// The prefix of a `depends_on` entry that names a library asset: `library:{asset_id}`.
pub const LIBRARY_REF_PREFIX: &str = "library:";

/// The library asset id in a `depends_on` entry `library:{asset_id}`, when
/// it is one with a valid id.
pub fn library_ref(dep: &str) -> Option<&str> {
    dep.strip_prefix(LIBRARY_REF_PREFIX)
        .filter(|id| id_problem(id).is_none())
}

/// What a library asset holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LibraryType {
    /// A PNG, JPEG or WebP image.
    Image,
    /// An MP4 video.
    Video,
    /// UTF-8 text.
    Text,
}

impl LibraryType {
    /// Every type, in the order a listing visits them.
    pub const ALL: [LibraryType; 3] = [LibraryType::Image, LibraryType::Video, LibraryType::Text];

    /// `image`, `video` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            LibraryType::Image => "image",
            LibraryType::Video => "video",
            LibraryType::Text => "text",
        }
    }

    /// The folder of this type in a project: `images`, `videos` or `texts`.
    pub fn folder(self) -> &'static str {
        match self {
            LibraryType::Image => "images",
            LibraryType::Video => "videos",
            LibraryType::Text => "texts",
        }
    }
}

impl fmt::Display for LibraryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LibraryType {
    type Err = String;

    /// Parses `image`, `video` or `text`; the error names the choices, as the old server's did.
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("Invalid asset_type '{s}'. Must be one of: image, video, text"))
    }
}

/// What a library asset is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LibraryTag {
    /// A character sheet or reference.
    Character,
    /// A storyboard frame.
    Storyboard,
    /// A clip.
    Clip,
}

impl LibraryTag {
    /// Every tag.
    pub const ALL: [LibraryTag; 3] = [LibraryTag::Character, LibraryTag::Storyboard, LibraryTag::Clip];

    /// `character`, `storyboard` or `clip`.
    pub fn as_str(self) -> &'static str {
        match self {
            LibraryTag::Character => "character",
            LibraryTag::Storyboard => "storyboard",
            LibraryTag::Clip => "clip",
        }
    }
}

impl fmt::Display for LibraryTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LibraryTag {
    type Err = String;

    /// Parses `character`, `storyboard` or `clip`; the error names the choices.
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("Invalid tag '{s}'. Must be one of: character, storyboard, clip"))
    }
}

/// A library asset's record (its `{asset_id}.json`), as the old server
/// wrote it: the fields below when present, and every other field (the
/// uploader's metadata) kept as it is, so a stored record lists unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryAsset {
    /// Its id (a UUID for uploads).
    pub asset_id: String,
    /// What it holds.
    pub asset_type: LibraryType,
    /// What it is for; records without a valid tag are not listed.
    pub tag: LibraryTag,
    /// The user, as sanitised into the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The project, as sanitised into the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// The uploaded file's name, sanitised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// When it was uploaded (ISO 8601, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When its record last changed (ISO 8601, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// The file's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    /// The key of the file in the bucket.
    pub r2_key: String,
    /// Where the file can be fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// Its MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Every other field, such as the metadata given at upload.
    #[serde(flatten)]
    pub extra: Object,
}

/// The answer of `POST /asset-library/upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryUploaded {
    /// The new asset's id.
    pub asset_id: String,
    /// What it holds.
    pub asset_type: LibraryType,
    /// What it is for.
    pub tag: LibraryTag,
    /// The key of its file.
    pub r2_key: String,
    /// Where its file can be fetched.
    pub public_url: String,
    /// When it was uploaded.
    pub created_at: String,
}

impl From<&LibraryAsset> for LibraryUploaded {
    fn from(a: &LibraryAsset) -> Self {
        LibraryUploaded {
            asset_id: a.asset_id.clone(),
            asset_type: a.asset_type,
            tag: a.tag,
            r2_key: a.r2_key.clone(),
            public_url: a.public_url.clone().unwrap_or_default(),
            created_at: a.created_at.clone().unwrap_or_default(),
        }
    }
}

/// The answer of `GET /asset-library/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryListing {
    /// The records, images first, then videos, then texts, each by id.
    pub assets: Vec<LibraryAsset>,
    /// How many.
    pub total: usize,
    /// The user, as asked for.
    pub user_id: String,
    /// The project, as asked for.
    pub project_name: String,
}

/// The answer of `DELETE /asset-library/{asset_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryDeleted {
    /// Always true.
    pub success: bool,
    /// `Asset deleted successfully`.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_tags_and_references_parse() {
        assert_eq!("video".parse::<LibraryType>(), Ok(LibraryType::Video));
        assert!(
            "audio"
                .parse::<LibraryType>()
                .unwrap_err()
                .contains("image, video, text")
        );
        assert_eq!("clip".parse::<LibraryTag>(), Ok(LibraryTag::Clip));
        assert!("hero".parse::<LibraryTag>().is_err());
        assert_eq!(library_ref("library:abc-1"), Some("abc-1"));
        assert_eq!(library_ref("library:../x"), None);
        assert_eq!(library_ref("char-a"), None);
    }

    #[test]
    fn a_record_keeps_every_field() {
        let raw = serde_json::json!({
            "asset_id": "a1", "asset_type": "image", "tag": "character", "r2_key": "u/p/images/a1.png",
            "public_url": "https://cdn/u/p/images/a1.png", "prompt": "Detective", "file_size": 3
        });
        let rec: LibraryAsset = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(rec.extra["prompt"], "Detective");
        assert_eq!(serde_json::to_value(&rec).unwrap(), raw);
    }
}
