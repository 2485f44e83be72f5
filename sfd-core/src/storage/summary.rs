//! Drama summaries: one small object per drama, `summaries/{id}.json`,
//! written with every edit of the drama, so a page of the listing is one
//! LIST of `dramas/` plus at most `limit` small reads.
//!
//! No shared index: each summary belongs to its drama alone. It records the
//! drama version it was made from, so [`repair_summaries`] finds the ones a
//! crash between the two writes left behind; a missing summary sends the
//! listing to the drama itself.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::key::{DRAMAS, SUMMARIES};
use super::{Key, Storage, Stored, Version, WriteMode};
use crate::Result;
use crate::model::{Drama, DramaSummary};

/// How often a summary is rewritten when other writers keep changing the
/// drama meanwhile; the last of them rewrites it anyway.
const SUMMARY_ATTEMPTS: usize = 4;
/// Keys read per listing call while repairing.
const REPAIR_PAGE: usize = 1000;

/// What [`crate::StorageExt::repair_summaries`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SummaryRepair {
    /// Dramas looked at.
    pub checked: usize,
    /// Summaries written because they were missing or out of date.
    pub rewritten: usize,
    /// Summaries removed because their drama is gone.
    pub removed: usize,
    /// Dramas that cannot be parsed (listed with an error, never summarised).
    pub corrupt: usize,
}

/// A summary as stored: the listing's fields and the drama version.
#[derive(Serialize, Deserialize)]
struct StoredSummary {
    #[serde(flatten)]
    summary: DramaSummary,
    /// The drama version this summary was made from.
    version: String,
}

/// The listing's summary of `drama` (without `updated_at`, which the
/// listing takes from the store).
pub(crate) fn summary_of(drama: &Drama) -> DramaSummary {
    DramaSummary {
        id: drama.id.clone(),
        title: drama.title.clone(),
        description: drama.description.clone(),
        premise: drama.premise.clone(),
        url: drama.url.clone(),
        metadata: drama.metadata.clone(),
        updated_at: None,
        error: None,
    }
}

fn encode(drama: &Drama, version: &Version) -> Bytes {
    let stored = StoredSummary {
        summary: summary_of(drama),
        version: version.as_str().to_string(),
    };
    // Strings, numbers and JSON maps with string keys: cannot fail.
    Bytes::from(serde_json::to_vec(&stored).unwrap_or_default())
}

/// The stored summary of drama `id` and the version it was made from;
/// `None` when missing or unreadable.
pub(crate) async fn read_summary<S: Storage + ?Sized>(
    storage: &S,
    id: &str,
) -> Result<Option<(DramaSummary, Version)>> {
    let key = Key::summary(id)?;
    Ok(storage.get(&key).await?.and_then(|s| {
        serde_json::from_slice::<StoredSummary>(&s.body)
            .ok()
            .map(|st| (st.summary, Version::new(st.version)))
    }))
}

/// Writes the summary of `drama`, just stored at `version`. If another
/// writer stored the drama again meanwhile, its summary may have been
/// overwritten by this one: the summary of the current drama is written
/// instead, so the last summary always follows the last drama. A failure
/// is logged, not returned: the drama is stored, and the repair (or the
/// drama's next edit) brings the summary back.
pub(crate) async fn write_summary<S: Storage + ?Sized>(storage: &S, drama: &Drama, version: &Version) {
    if !storage.capabilities().keeps_summaries {
        return;
    }
    if let Err(e) = sync_summary(storage, drama, version).await {
        tracing::warn!(drama = %drama.id, error = %e, "the drama's summary was not written; run --repair-summaries");
    }
}

async fn sync_summary<S: Storage + ?Sized>(storage: &S, drama: &Drama, version: &Version) -> Result<()> {
    let key = Key::summary(&drama.id)?;
    let drama_key = Key::drama(&drama.id)?;
    let mut current: Option<(Drama, Version)> = None;
    for _ in 0..SUMMARY_ATTEMPTS {
        let (d, v) = match &current {
            Some((d, v)) => (d, v),
            None => (drama, version),
        };
        storage.put(&key, encode(d, v), WriteMode::Overwrite).await?;
        match storage.get(&drama_key).await? {
            None => {
                // Deleted meanwhile: its deleter may have removed the summary before this write.
                storage.delete(&key, None).await?;
                return Ok(());
            }
            Some(stored) if &stored.version == v => return Ok(()),
            Some(stored) => current = Some((parse(storage, &drama_key, &stored)?, stored.version)),
        }
    }
    Ok(())
}

fn parse<S: Storage + ?Sized>(storage: &S, key: &Key, stored: &Stored) -> Result<Drama> {
    super::cache::parse_drama(storage, key, stored)
}

/// Removes the summary of a deleted drama.
pub(crate) async fn remove_summary<S: Storage + ?Sized>(storage: &S, id: &str) {
    if !storage.capabilities().keeps_summaries {
        return;
    }
    let removed = match Key::summary(id) {
        Ok(key) => storage.delete(&key, None).await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = removed {
        tracing::warn!(drama = %id, error = %e, "the deleted drama's summary was not removed; run --repair-summaries");
    }
}

/// Rewrites every missing or out-of-date summary and removes the summaries
/// of dramas that are gone.
pub(crate) async fn repair_summaries<S: Storage + ?Sized>(storage: &S) -> Result<SummaryRepair> {
    let mut report = SummaryRepair::default();
    let mut after: Option<String> = None;
    loop {
        let page = storage.list(DRAMAS, after.as_deref(), REPAIR_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.path.clone());
        for listed in &page {
            let Some(id) = Key::id_from_path(DRAMAS, &listed.path) else {
                continue;
            };
            let key = Key::drama(id)?;
            let Some(stored) = storage.get(&key).await? else {
                continue;
            };
            report.checked += 1;
            let Ok(drama) = parse(storage, &key, &stored) else {
                report.corrupt += 1;
                continue;
            };
            match read_summary(storage, id).await? {
                Some((summary, v)) if v == stored.version && summary == summary_of(&drama) => {}
                _ => {
                    sync_summary(storage, &drama, &stored.version).await?;
                    report.rewritten += 1;
                }
            }
        }
    }
    let mut after: Option<String> = None;
    loop {
        let page = storage.list(SUMMARIES, after.as_deref(), REPAIR_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.path.clone());
        for listed in &page {
            let Some(id) = Key::id_from_path(SUMMARIES, &listed.path) else {
                continue;
            };
            if storage.get(&Key::drama(id)?).await?.is_none() {
                storage.delete(&Key::summary(id)?, None).await?;
                report.removed += 1;
            }
        }
    }
    Ok(report)
}
