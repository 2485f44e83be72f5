//! The studio's hand-off calls: an episode's [`Timeline`] written as OTIO,
//! FCPXML, an EDL or a CapCut draft, by URL or bundled in a ZIP.

use std::sync::Arc;

use super::Studio;
use super::export::{Export, once};
use crate::Result;
use crate::export::{ZipEntry, absolute, bundled, capcut, edl, fcpxml, otio, pick_episode, zip_stream};
use crate::model::{Drama, ExportFormat, ExportOptions};
use crate::storage::StorageExt;
use crate::timeline::{ClipMedia, SHORT_SIDE, Timeline};

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
