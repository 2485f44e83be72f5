//! Handing an episode to an editor: its [`Timeline`] written as OTIO,
//! FCPXML, an EDL or a CapCut draft, with the media referenced by URL or
//! carried in a ZIP beside the document under relative paths. These are
//! the pure parts; `Studio::export_with` (in `studio/handoff.rs`) writes it.

use crate::model::{Drama, Episode, MediaKey};
use crate::timeline::ClipMedia;
use crate::{EntityKind, Error, Result};

/// The folder of a bundle that holds its media files.
const MEDIA_DIR: &str = "media";

/// The episode named by `episode`, or the drama's only one.
pub(crate) fn pick_episode<'a>(drama: &'a Drama, episode: Option<&str>, what: &str) -> Result<&'a Episode> {
    match (episode, drama.episodes.as_slice()) {
        (Some(id), _) => drama.episode(id).ok_or_else(|| Error::NotFound {
            kind: EntityKind::Episode,
            id: id.to_string(),
        }),
        (None, [only]) => Ok(only),
        (None, _) => Err(Error::invalid(
            "episode",
            format!("{what} is one episode's: name it with episode=…"),
        )),
    }
}

/// Where a file lies inside a bundle: `media/{asset}-{hash}.{ext}`; `None`
/// for a URL that names no file of this drama's store.
pub(crate) fn bundled(drama_id: &str, media: &ClipMedia) -> Option<(MediaKey, String)> {
    let key = MediaKey::from_url(&media.url).filter(|k| k.drama_id() == drama_id)?;
    let file = key.path().rsplit('/').next()?.to_string();
    Some((key, format!("{MEDIA_DIR}/{file}")))
}

/// A file's URL as an editor on another machine can open it: `/media/…`
/// made absolute with `base` when it is known.
pub(crate) fn absolute(url: &str, base: Option<&str>) -> String {
    match base {
        Some(b) if url.starts_with('/') => format!("{}{url}", b.trim_end_matches('/')),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_paths_and_absolute_urls() {
        let m = ClipMedia {
            asset_id: "ep1-sc1-vid".into(),
            kind: crate::model::AssetKind::Video,
            url: format!("/media/media/drama_x/ep1-sc1-vid-{}.mp4", "a".repeat(32)),
        };
        let (_, path) = bundled("drama_x", &m).unwrap();
        assert_eq!(path, format!("media/ep1-sc1-vid-{}.mp4", "a".repeat(32)));
        assert!(bundled("drama_y", &m).is_none());
        assert_eq!(absolute(&m.url, Some("http://h:1/")), format!("http://h:1{}", m.url));
        assert_eq!(absolute("https://cdn/x.mp4", Some("http://h")), "https://cdn/x.mp4");
    }
}
