//! A character's reference voice clip (issue 29, voice identity): a user
//! uploads it, it is stored as a media file of the character
//! (`media/{dramaId}/{cid}-voice-{sha256}.{ext}`, like a portrait upload)
//! and recorded as the character's `metadata.voice_sample`. Providers that
//! clone voices clone it once (see `render/cloning.rs`); its hash is part
//! of the character's lines' inputs, so a new clip makes them stale. Its
//! length (`seconds`) comes from a WAV's header, or from ffprobe for the
//! other formats when ffprobe is installed.

use bytes::{Bytes, BytesMut};
use futures::StreamExt;

use super::Studio;
use crate::model::{AssetKind, Character, MediaType};
use crate::render::run::media_of;
use crate::render::{VOICE_CLONE_METADATA, VOICE_SAMPLE_METADATA, VoiceSample};
use crate::storage::{ByteStream, MediaStoreExt, StorageExt, Versioned};
use crate::{EntityKind, Error, Ffmpeg, Result};

/// The largest voice sample kept (20 MiB, MiniMax's documented cap; the
/// server's media limit applies too).
pub const VOICE_SAMPLE_LIMIT: u64 = 20 * 1024 * 1024;

/// The types a voice sample may have, named in refusals.
const SAMPLE_TYPES: &str = "audio/mpeg, audio/wav, audio/mp4 (m4a), audio/ogg or audio/webm";

/// Whether the first bytes of a file fit its declared type (an M4A may
/// carry another MP4 brand).
fn looks_like(declared: MediaType, bytes: &[u8]) -> bool {
    match MediaType::sniff(bytes) {
        Some(t) if t == declared => true,
        Some(MediaType::Mp4) => declared == MediaType::M4a,
        _ => false,
    }
}

/// The length in seconds of a clip whose header does not tell it (any but
/// a PCM WAV), read by ffprobe from a copy in a work folder; `None` when
/// ffprobe is missing or cannot read it (the length is then not checked
/// against a provider's limits, and the plan says so).
async fn probe_seconds(ffmpeg: &Ffmpeg, media_type: MediaType, bytes: &Bytes) -> Option<f64> {
    let dir = crate::assemble::cut::Workdir::new().ok()?;
    let path = dir.0.join(format!("sample.{}", media_type.ext()));
    if let Err(e) = tokio::fs::write(&path, bytes).await {
        tracing::warn!(error = %e, "cannot write the voice sample for ffprobe: its length is not known");
        return None;
    }
    match ffmpeg.duration(&path).await {
        Ok(seconds) => seconds,
        Err(e @ Error::ToolMissing { .. }) => {
            tracing::debug!(error = %e, "no ffprobe: the voice sample's length is not known");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "ffprobe cannot read the voice sample: its length is not known");
            None
        }
    }
}

impl Studio {
    /// Stores `body` (of `content_type`, at most `limit` and
    /// [`VOICE_SAMPLE_LIMIT`] bytes) as the reference voice clip of
    /// character `character_id`, and returns the character. A type that is
    /// not audio, or bytes that are not that type, are
    /// [`Error::UnsupportedMediaType`]; too many bytes [`Error::MediaTooLarge`];
    /// an empty body [`Error::Invalid`].
    pub async fn upload_voice_sample(
        &self,
        drama_id: &str,
        character_id: &str,
        content_type: &str,
        mut body: ByteStream,
        limit: u64,
    ) -> Result<Versioned<Character>> {
        let media_type = MediaType::from_mime(content_type)
            .ok()
            .filter(|t| t.kind() == AssetKind::Audio)
            .ok_or_else(|| {
                Error::UnsupportedMediaType(format!("a voice sample must be {SAMPLE_TYPES}, not '{content_type}'"))
            })?;
        let drama = self.storage().get_drama(drama_id).await?.value;
        drama.character(character_id).ok_or_else(|| Error::NotFound {
            kind: EntityKind::Character,
            id: character_id.to_string(),
        })?;
        let limit = limit.min(VOICE_SAMPLE_LIMIT);
        let mut bytes = BytesMut::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(Error::MediaTooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        let bytes: Bytes = bytes.freeze();
        if bytes.is_empty() {
            return Err(Error::invalid("body", "the voice sample is empty"));
        }
        if !looks_like(media_type, &bytes) {
            return Err(Error::UnsupportedMediaType(format!(
                "the voice sample's bytes are not {media_type} (they do not start like one)"
            )));
        }
        let seconds = match media_type {
            MediaType::Wav => crate::render::wav_seconds(&bytes),
            _ => None,
        };
        let seconds = match seconds {
            Some(s) => Some(s),
            None => probe_seconds(self.render_config().ffmpeg(), media_type, &bytes).await,
        };
        let size = bytes.len() as u64;
        let info = media_of(&**self.storage())?
            .store_media(drama_id, &format!("{character_id}-voice"), media_type, bytes)
            .await?;
        let url = info.key.url(self.render_config().public_url());
        let entry = VoiceSample::metadata(&info.key, &url, size, seconds);
        self.storage()
            .modify_drama(drama_id, None, |d| {
                let c = d.character_mut(character_id)?;
                let m = c.metadata.get_or_insert_with(Default::default);
                m.insert(VOICE_SAMPLE_METADATA.into(), entry.clone());
                m.remove(VOICE_CLONE_METADATA);
                Ok(c.clone())
            })
            .await
    }

    /// Removes character `character_id`'s reference voice clip (and the
    /// voice cloned from it): its lines go back to its `metadata.voice`.
    pub async fn remove_voice_sample(&self, drama_id: &str, character_id: &str) -> Result<Versioned<Character>> {
        self.storage()
            .modify_drama(drama_id, None, |d| {
                let c = d.character_mut(character_id)?;
                if let Some(m) = c.metadata.as_mut() {
                    m.remove(VOICE_SAMPLE_METADATA);
                    m.remove(VOICE_CLONE_METADATA);
                }
                Ok(c.clone())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_m4a_may_carry_an_mp4_brand() {
        let m4a = b"\0\0\0\x20ftypM4A \0\0\0\0";
        let mp42 = b"\0\0\0\x20ftypmp42\0\0\0\0";
        assert!(looks_like(MediaType::M4a, m4a) && looks_like(MediaType::M4a, mp42));
        assert!(!looks_like(MediaType::Wav, mp42));
        assert!(looks_like(MediaType::Ogg, b"OggS\0\x02\0\0\0\0\0\0"));
        assert!(looks_like(
            MediaType::Webm,
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81"
        ));
    }
}
