//! The studio's export calls.

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;

use super::Studio;
use crate::Result;
use crate::export::{ZipEntry, draft_date, fountain, pick_episode, shot_list, to_srt, zip_stream};
use crate::model::{Drama, ExportFormat, ExportOptions, MediaKey};
use crate::storage::{ByteStream, StorageExt};

/// An export, ready to send: its type, a file name, and its bytes.
pub struct Export {
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// A file name for `Content-Disposition`.
    pub filename: String,
    /// The bytes, streamed.
    pub body: ByteStream,
}

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Export")
            .field("content_type", &self.content_type)
            .field("filename", &self.filename)
            .finish_non_exhaustive()
    }
}

pub(super) fn once(bytes: impl Into<Bytes>) -> ByteStream {
    futures::stream::iter([Ok(bytes.into())]).boxed()
}

/// Every media key the drama points at, each once, in a stable order.
fn media_keys(d: &Drama) -> BTreeSet<String> {
    let assets = d
        .assets
        .iter()
        .chain(d.characters.iter().flat_map(|c| c.assets.iter()))
        .chain(d.episodes.iter().flat_map(|e| e.assets.iter()))
        .chain(
            d.episodes
                .iter()
                .flat_map(|e| e.scenes.iter().flat_map(|s| s.assets.iter())),
        );
    let urls = assets
        .filter_map(|a| a.url.as_deref())
        .chain(d.url.as_deref())
        .chain(d.characters.iter().filter_map(|c| c.url.as_deref()))
        .chain(d.episodes.iter().filter_map(|e| e.url.as_deref()))
        .chain(d.episodes.iter().flat_map(|e| {
            e.scenes
                .iter()
                .flat_map(|s| [s.image_url.as_deref(), s.video_url.as_deref()].into_iter().flatten())
        }));
    urls.filter_map(MediaKey::from_url)
        .filter(|k| k.drama_id() == d.id)
        .map(|k| k.path().to_string())
        .collect()
}

impl Studio {
    /// The drama in `format`. SRT is one episode's: `episode` names it (it
    /// may be left out when the drama has one episode).
    pub async fn export(&self, drama_id: &str, format: ExportFormat, episode: Option<&str>) -> Result<Export> {
        let drama = self.storage().get_drama(drama_id).await?.value;
        let seconds = self.render_config().video_duration();
        let filename = |stem: &str| format!("{stem}.{}", format.extension());
        let (name, body) = match format {
            ExportFormat::Fountain => {
                let script = fountain(&drama, &draft_date(crate::model::now_ms()));
                (filename(&drama.id), once(script))
            }
            ExportFormat::Csv => (
                filename(&format!("{}-shots", drama.id)),
                once(shot_list(&drama, seconds)),
            ),
            ExportFormat::Srt => {
                let episode = pick_episode(&drama, episode, "an SRT")?;
                // The cues of the timeline the cut and the editors' hand-offs are made from.
                let size = self.render_config().aspect_ratio().fit(crate::timeline::SHORT_SIDE);
                let timeline = crate::timeline::Timeline::of_episode(&drama, episode, seconds, size, |_| None);
                let text = to_srt(&timeline.cues());
                (filename(&format!("{}-{}", drama.id, episode.id)), once(text))
            }
            ExportFormat::Zip => {
                let json = drama.to_vec();
                let mut entries = vec![ZipEntry {
                    name: format!("{}/drama.json", drama.id),
                    open: Box::pin(async move { Ok(once(json)) }),
                }];
                for key in media_keys(&drama) {
                    let storage = Arc::clone(self.storage());
                    entries.push(ZipEntry {
                        name: format!("{}/{key}", drama.id),
                        open: Box::pin(async move {
                            let media = crate::render::run::media_of(&*storage)?;
                            let key = MediaKey::parse(&key)?;
                            Ok(media.read_media(&key, None).await?.body)
                        }),
                    });
                }
                (filename(&drama.id), zip_stream(entries)?)
            }
            _ => {
                let options = ExportOptions {
                    episode: episode.map(str::to_string),
                    bundle: false,
                };
                return self.handoff(&drama, format, &options, None);
            }
        };
        Ok(Export {
            content_type: format.content_type(),
            filename: name,
            body,
        })
    }
}
