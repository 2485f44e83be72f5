//! A user's own reference image for a new drama's main character (the old
//! server's multipart `POST /dramas` with `reference_image`): stored in the
//! media store before the generation is queued, and made that character's
//! portrait (its `url`, an upload, not stale) when the drama is written, so
//! every shot of the character is drawn from it.

use bytes::Bytes;

use super::Studio;
use super::render::set_uploaded;
use crate::model::{AssetOwner, Drama, GenerationRequest, Job, JobInput, MediaKey, MediaType, portrait_id};
use crate::render::RenderConfig;
use crate::render::run::media_of;
use crate::storage::MediaStoreExt;
use crate::{Error, Result};

/// The asset id the reference is stored under until the drama exists.
const REFERENCE_ID: &str = "reference";

impl Studio {
    /// Queues the generation of `req` with `image` as the main character's
    /// reference. The image must be a PNG, JPEG or WebP
    /// ([`Error::UnsupportedMediaType`] otherwise); it is stored before the
    /// job is queued, so the job finds it on any runner.
    pub async fn start_generation_with_reference(&self, req: GenerationRequest, image: Bytes) -> Result<Job> {
        let media_type = MediaType::sniff(&image)
            .filter(|t| t.kind() == crate::model::AssetKind::Image)
            .ok_or_else(|| {
                Error::UnsupportedMediaType("reference_image must be a PNG, JPEG or WebP image".to_string())
            })?;
        let mut job = self.generation_job(req).await?;
        let media = media_of(&**self.storage())?;
        let info = media
            .store_media(&job.drama_id, REFERENCE_ID, media_type, image)
            .await?;
        if let Some(JobInput::Generate(input)) = job.input.as_mut() {
            input.reference_image = Some(info.key.path().to_string());
        }
        self.runner.submit(job).await
    }
}

/// Makes the stored reference `key` the portrait of `drama`'s main
/// character (the first marked `main`, else the first); a drama without
/// characters keeps it nowhere.
pub(crate) async fn apply(
    storage: &dyn crate::storage::Storage,
    drama: &mut Drama,
    key: &str,
    config: &RenderConfig,
) -> Result<()> {
    let key =
        MediaKey::parse(key).map_err(|_| Error::invalid("referenceImage", format!("'{key}' is not a media key")))?;
    let info = media_of(storage)?.read_media(&key, None).await?.info;
    let Some(main) = drama
        .characters
        .iter()
        .find(|c| c.main)
        .or(drama.characters.first())
        .map(|c| c.id.clone())
    else {
        return Ok(());
    };
    let owner = AssetOwner::Character(main.clone());
    let portrait = portrait_id(&main);
    if drama
        .character(&main)
        .is_some_and(|c| c.assets.iter().any(|a| a.id == portrait))
    {
        set_uploaded(drama, &owner, &portrait, &info, config)?;
    } else {
        // No portrait asset: the character's url is its portrait.
        drama.character_mut(&main)?.url = Some(info.key.url(config.public_url()));
    }
    Ok(())
}
