//! Paid once, for voice clones: the render job clones a character's
//! reference clip once per (provider, sample), and keeps the voice id.
//!
//! - A character whose `metadata.voice_clone` names this provider and this
//!   sample speaks in that voice: no call at all (a re-render, another job).
//! - Otherwise the clone goes through the task ledger
//!   (`tasks/{dramaId}/{cid}-voice-{provider}.json`, keyed by the sample's
//!   hash): saved before the clone call, and given the voice id as soon as
//!   it is answered, then the id is kept on the character. A crash between
//!   the two finds the id in the ledger.
//! - A clone sent whose answer was lost (a timeout, a crash) is looked up
//!   by its deterministic name ([`super::clone_name`]) before cloning again,
//!   and never sent blindly a second time.
//! - Lines of one character in one job share one clone (a cell per
//!   character); other jobs of the same drama wait their turn
//!   (`turns.rs`), so they find the voice saved.

use std::sync::Arc;

use super::ledger::TaskLedger;
use super::run::media_of;
use super::{Lookup, Reference, VoiceCloner, VoiceSample, clone_name, render_error};
use crate::model::MediaKey;
use crate::storage::{MediaStoreExt, Storage, StorageExt};
use crate::{Error, LlmErrorKind, Result};

/// The "model" clone records are saved under in the ledger.
const CLONE: &str = "voice-clone";

/// The voice id the line of `sample`'s character speaks in, cloned once.
pub(crate) async fn voice_id(
    storage: &Arc<dyn Storage>,
    drama_id: &str,
    job_id: &str,
    cloner: &dyn VoiceCloner,
    sample: &VoiceSample,
) -> Result<String> {
    let provider = cloner.provider();
    if let Some(id) = sample.cloned_by(provider) {
        return Ok(id.to_string());
    }
    let ledger = TaskLedger::new(
        Arc::clone(storage),
        drama_id,
        &format!("{}-voice-{provider}", sample.character_id),
        job_id,
    )?;
    let name = clone_name(drama_id, &sample.character_id, &sample.hash);
    for _ in 0..5 {
        let (record, version) = match ledger.load().await? {
            Some((r, v)) if r.is_for(provider, CLONE, &sample.hash) => match &r.task_id {
                Some(id) => {
                    tracing::info!(provider, voice = %id, "reusing a voice cloned before");
                    let id = id.clone();
                    keep(storage, drama_id, provider, sample, &id).await?;
                    return Ok(id);
                }
                // A clone was sent and its answer lost: look it up first.
                None => match cloner.find_voice(&name).await? {
                    Lookup::Found(id) => {
                        ledger.created(r, &id, &v).await?;
                        keep(storage, drama_id, provider, sample, &id).await?;
                        return Ok(id);
                    }
                    Lookup::Missing => (r, v),
                    Lookup::Unsupported => {
                        return Err(render_error(
                            provider,
                            LlmErrorKind::Timeout,
                            None,
                            format!(
                                "a voice clone of {}'s sample got no answer and cannot be looked up; \
                                 it is not sent again blindly: check the provider's voices, then render again",
                                sample.character_id
                            ),
                            0,
                        ));
                    }
                },
            },
            other => match ledger
                .begin(provider, CLONE, &sample.hash, other.as_ref().map(|(_, v)| v))
                .await
            {
                Ok(rv) => rv,
                Err(Error::VersionMismatch { .. } | Error::AlreadyExists { .. }) => continue,
                Err(e) => return Err(e),
            },
        };
        let clip = Reference {
            name: format!("{}-voice", sample.character_id),
            media_type: sample.media_type,
            bytes: read_sample(storage, sample).await?,
        };
        let id = match cloner.clone_voice(&name, &clip).await {
            Ok(id) => id,
            Err(e) if lost(&e) => {
                // The clone may have been made: look it up before failing.
                match cloner.find_voice(&name).await {
                    Ok(Lookup::Found(id)) => id,
                    _ => return Err(e),
                }
            }
            Err(e) => {
                // The provider refused: nothing was made, the next render may clone again.
                ledger.clear().await?;
                return Err(e);
            }
        };
        tracing::info!(provider, voice = %id, character = %sample.character_id, "cloned a voice");
        ledger.created(record, &id, &version).await?;
        keep(storage, drama_id, provider, sample, &id).await?;
        return Ok(id);
    }
    Err(render_error(
        provider,
        LlmErrorKind::Server,
        None,
        "another render kept replacing this voice clone",
        0,
    ))
}

/// Whether an error leaves it unknown whether the clone was made.
fn lost(e: &Error) -> bool {
    matches!(
        e,
        Error::Render {
            kind: LlmErrorKind::Timeout | LlmErrorKind::Connection | LlmErrorKind::Server,
            ..
        }
    )
}

async fn read_sample(storage: &Arc<dyn Storage>, sample: &VoiceSample) -> Result<bytes::Bytes> {
    let key = MediaKey::parse(&sample.key)?;
    media_of(&**storage)?.read_media_bytes(&key).await
}

/// Keeps the voice id on the character (unless its sample changed since).
async fn keep(
    storage: &Arc<dyn Storage>,
    drama_id: &str,
    provider: &str,
    sample: &VoiceSample,
    id: &str,
) -> Result<()> {
    storage
        .modify_drama(drama_id, None, |d| {
            let c = d.character_mut(&sample.character_id)?;
            let m = c.metadata.get_or_insert_with(Default::default);
            super::voice_clone::keep_clone(m, provider, &sample.hash, id);
            Ok(())
        })
        .await
        .map(|_| ())
}
