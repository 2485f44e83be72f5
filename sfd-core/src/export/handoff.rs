//! Handing an episode to an editor: its [`Timeline`] written as OTIO,
//! FCPXML, an EDL or a CapCut draft, with the media referenced by URL or
//! carried in a ZIP beside the document under relative paths.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;

use super::facade::Export;
use super::{ZipEntry, capcut, edl, fcpxml, otio, zip_stream};
use crate::model::{Drama, Episode, ExportFormat, ExportOptions, MediaKey};
use crate::storage::{ByteStream, StorageExt};
use crate::timeline::{ClipMedia, SHORT_SIDE, Timeline};
use crate::{EntityKind, Error, Result, Studio};

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

fn once(bytes: impl Into<Bytes>) -> ByteStream {
    futures::stream::iter([Ok(bytes.into())]).boxed()
}

/// Where a file lies inside a bundle: `media/{asset}-{hash}.{ext}`; `None`
/// for a URL that names no file of this drama's store.
fn bundled(drama_id: &str, media: &ClipMedia) -> Option<(MediaKey, String)> {
    let key = MediaKey::from_url(&media.url).filter(|k| k.drama_id() == drama_id)?;
    let file = key.path().rsplit('/').next()?.to_string();
    Some((key, format!("{MEDIA_DIR}/{file}")))
}

/// A file's URL as an editor on another machine can open it: `/media/…`
/// made absolute with `base` when it is known.
fn absolute(url: &str, base: Option<&str>) -> String {
    match base {
        Some(b) if url.starts_with('/') => format!("{}{url}", b.trim_end_matches('/')),
        _ => url.to_string(),
    }
}

impl Studio {
    /// The drama in `format`, with `options`: an SRT or an editor's
    /// hand-off is one episode's (OTIO, FCPXML, EDL, CapCut, each from the
    /// episode's [`Timeline`]). A hand-off references its media by URL
    /// (`/media/…` URLs made absolute with `media_base`, e.g.
    /// `https://sfd.example`), or, with `options.bundle`, comes as a ZIP
    /// with the files under relative paths; a CapCut draft always carries
    /// its files. An episode whose scenes lack rendered clips is
    /// [`Error::NotRendered`], naming them.
    pub async fn export_with(
        &self,
        drama_id: &str,
        format: ExportFormat,
        options: &ExportOptions,
        media_base: Option<&str>,
    ) -> Result<Export> {
        if !format.is_timeline() {
            return self.export(drama_id, format, options.episode.as_deref()).await;
        }
        let drama = self.storage().get_drama(drama_id).await?.value;
        self.handoff(&drama, format, options, media_base)
    }

    /// An editor's hand-off of one episode of `drama` (see [`Studio::export_with`]).
    pub(crate) fn handoff(
        &self,
        drama: &Drama,
        format: ExportFormat,
        options: &ExportOptions,
        media_base: Option<&str>,
    ) -> Result<Export> {
        let config = self.render_config();
        let episode = pick_episode(drama, options.episode.as_deref(), "an editor's timeline")?;
        let size = config.aspect_ratio().fit(SHORT_SIDE);
        let timeline = Timeline::of_episode(drama, episode, config.video_duration(), size, |_| None);
        timeline.check_rendered()?;
        let stem = format!("{}-{}", drama.id, episode.id);
        let bundle = options.bundle || format == ExportFormat::Capcut;
        let locate = |m: &ClipMedia| match bundle.then(|| bundled(&drama.id, m)).flatten() {
            Some((_, path)) => path,
            None => absolute(&m.url, media_base),
        };
        let name = format!("{stem}.{}", format.extension());
        let mut entries = match format {
            ExportFormat::Capcut => {
                let draft = capcut(&timeline, &locate);
                vec![
                    text_entry(format!("{stem}/draft_content.json"), draft.content),
                    text_entry(format!("{stem}/draft_meta_info.json"), draft.meta),
                ]
            }
            _ => {
                let document = match format {
                    ExportFormat::Fcpxml => fcpxml(&timeline, &locate),
                    ExportFormat::Edl => edl(&timeline, &locate),
                    _ => otio(&timeline, &locate),
                };
                if !bundle {
                    return Ok(Export {
                        content_type: format.content_type(),
                        filename: name,
                        body: once(document),
                    });
                }
                vec![text_entry(format!("{stem}/{name}"), document)]
            }
        };
        for m in timeline.media() {
            let Some((key, path)) = bundled(&drama.id, m) else {
                continue;
            };
            let storage = Arc::clone(self.storage());
            entries.push(ZipEntry {
                name: format!("{stem}/{path}"),
                open: Box::pin(async move {
                    let media = crate::render::run::media_of(&*storage)?;
                    Ok(media.read_media(&key, None).await?.body)
                }),
            });
        }
        Ok(Export {
            content_type: "application/zip",
            filename: format!("{stem}.{}.zip", format.name()),
            body: zip_stream(entries)?,
        })
    }
}

fn text_entry(name: String, text: String) -> ZipEntry {
    ZipEntry {
        name,
        open: Box::pin(async move { Ok(once(text)) }),
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
