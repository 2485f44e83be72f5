//! Drama documents in the layout of the old server's later versions.
//!
//! Those versions stored a drama at `dramas/{id}/drama.json` (next to its
//! images, `dramas/{id}/characters/{cid}.png`), and kept a listing index,
//! `{"version", "updated_at", "count", "dramas": {id: summary}}`, at
//! `dramas/index.json`. sfd opens such buckets unchanged:
//! - a drama is read from `dramas/{id}/drama.json` when nothing at all is
//!   stored under `dramas/{id}.json` (a tombstone there means deleted);
//! - listings show both layouts, each id once, in the same order;
//! - the first write moves the document to `dramas/{id}.json` with a
//!   create-if-absent, then removes the old key. Whoever creates the new
//!   key first wins; a writer that loses sees a lost compare-and-swap and
//!   reads again, so concurrent first writes lose nothing. A delete takes
//!   the same path (it creates the tombstone), so it cannot be undone by a
//!   move. The local folder does the move under the new key's file lock,
//!   which its deletes hold too;
//! - a delete removes both layouts;
//! - the index is not a drama: reads and listings pass over it (sfd lists
//!   without an index, see `list_dramas`).

use async_trait::async_trait;
use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutMode};

use super::key::{DRAMAS, Key, SUFFIX};
use super::legacy_jobs::FlatJobListing;
use super::object::{Read, ReadThrough};
use super::{ObjectStorage, Stored, Version, Versioned, WriteMode};
use crate::error::EntityKind;
use crate::model::Job;
use crate::{Error, Result};

/// The file name of a drama inside its folder in the old layout.
pub(crate) const LEGACY_DOCUMENT: &str = "drama.json";
/// The old server's listing index.
pub(crate) const INDEX: &str = "dramas/index.json";

/// The old-layout key of a drama key (`dramas/{id}.json` → `dramas/{id}/drama.json`);
/// `None` for every other key.
pub(super) fn drama_key(key: &Key) -> Option<Key> {
    let id = key.id();
    let current = key
        .path()
        .strip_prefix(DRAMAS)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .is_some_and(|rest| rest == id);
    (key.kind() == EntityKind::Drama && current).then(|| key.at_path(format!("{DRAMAS}{id}/{LEGACY_DOCUMENT}")))
}

/// The path a listing of `prefix` shows for `raw`: `dramas/{id}.json` for
/// an old-layout document `dramas/{id}/drama.json`, `None` for anything else.
pub(super) fn listed_path(prefix: &str, raw: &str) -> Option<String> {
    if prefix != DRAMAS {
        return None;
    }
    let id = raw
        .strip_prefix(DRAMAS)?
        .strip_suffix(LEGACY_DOCUMENT)?
        .strip_suffix('/')?;
    Key::drama(id).ok().map(|k| k.path().to_string())
}

/// The id of the drama stored in the old layout at `raw`, if it is one.
pub(super) fn legacy_id(raw: &str) -> Option<&str> {
    let id = raw
        .strip_prefix(DRAMAS)?
        .strip_suffix(LEGACY_DOCUMENT)?
        .strip_suffix('/')?;
    Key::drama(id).is_ok().then_some(id)
}

/// Whether `body`, stored under `key`, is the old server's listing index
/// rather than a drama called `index`: an object with a `dramas` map and
/// no `title`.
pub(super) fn is_index(key: &Key, body: &[u8]) -> bool {
    if key.path() != INDEX {
        return false;
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(o)) => o.get("dramas").is_some_and(|d| d.is_object()) && !o.contains_key("title"),
        _ => false,
    }
}

/// The old server's later layout, read through beneath the current one:
/// its dramas here, its flat job records in `legacy_jobs`.
#[derive(Debug, Default)]
pub(super) struct OldLayout {
    flat_jobs: FlatJobListing,
}

#[async_trait]
impl ReadThrough for OldLayout {
    fn passes_over(&self, key: &Key, body: &[u8]) -> bool {
        is_index(key, body)
    }

    async fn get(&self, s: &ObjectStorage, key: &Key) -> Result<Option<Stored>> {
        s.legacy_get(key).await
    }

    async fn put(&self, s: &ObjectStorage, key: &Key, body: Bytes, mode: WriteMode) -> Result<Version> {
        match drama_key(key) {
            Some(old) => s.put_over_legacy(key, &old, body, mode).await,
            None => s.write(key, body, mode).await,
        }
    }

    async fn remove(&self, s: &ObjectStorage, key: &Key) -> Result<bool> {
        s.remove_legacy(key).await
    }

    fn listed_path(&self, prefix: &str, raw: &str) -> Option<String> {
        listed_path(prefix, raw)
    }

    async fn job(&self, s: &ObjectStorage, drama_id: &str, job_id: &str) -> Result<Option<Versioned<Job>>> {
        s.flat_job(drama_id, job_id).await
    }

    async fn jobs(&self, s: &ObjectStorage, drama_id: &str) -> Result<Vec<Job>> {
        s.flat_jobs_of(&self.flat_jobs, drama_id).await
    }
}

impl ObjectStorage {
    /// A drama read from the old layout, when `key` is a drama key and
    /// nothing was found under it.
    async fn legacy_get(&self, key: &Key) -> Result<Option<Stored>> {
        let Some(old) = drama_key(key) else {
            return Ok(None);
        };
        if let Read::Found(s) = self.read(&old).await? {
            return Ok(Some(s));
        }
        // Perhaps moved since `key` was read: a move creates `key` before it
        // removes the old copy, so once that copy is gone `key` holds it.
        Ok(match self.read(key).await? {
            Read::Found(s) if !is_index(key, &s.body) => Some(s),
            _ => None,
        })
    }

    /// A write of drama `key` in a bucket that may hold it at `old`.
    async fn put_over_legacy(&self, key: &Key, old: &Key, body: Bytes, mode: WriteMode) -> Result<Version> {
        match mode {
            WriteMode::Create => {
                if self.shadows(key, old).await? {
                    return Err(Error::AlreadyExists {
                        kind: key.kind(),
                        id: key.id().to_string(),
                    });
                }
                self.write(key, body, WriteMode::Create).await
            }
            WriteMode::Update(expected) => {
                match self.write(key, body.clone(), WriteMode::Update(expected.clone())).await {
                    // Nothing at the new key (or a lost race): the document may be in the old layout.
                    Err(Error::VersionMismatch { actual: None, .. }) => self.move_from(key, old, body, &expected).await,
                    other => other,
                }
            }
            WriteMode::Overwrite => {
                let version = self.write(key, body, WriteMode::Overwrite).await?;
                self.remove_leftover(key, old).await;
                Ok(version)
            }
        }
    }

    /// Whether a create of `key` would hide a drama stored at `old`: there
    /// is one there, and nothing (not even a tombstone) at `key`.
    async fn shadows(&self, key: &Key, old: &Key) -> Result<bool> {
        if !matches!(self.read(old).await?, Read::Found(_)) {
            return Ok(false);
        }
        Ok(matches!(self.read(key).await?, Read::Absent))
    }

    /// The first write of a drama stored at `old` at version `expected`:
    /// creates `key` with `body` if it is still absent, then removes `old`.
    async fn move_from(&self, key: &Key, old: &Key, body: Bytes, expected: &Version) -> Result<Version> {
        let lost = |actual: Option<Version>| Self::mismatch(key, expected, actual);
        let version = if let Some(locks) = &self.file_locks {
            // The local folder: checked and done under the new key's lock,
            // which its deletes hold too.
            let _guard = locks.lock(key).await?;
            if let Read::Found(now) = self.read(key).await? {
                return Err(lost(Some(now.version)));
            }
            match self.read(old).await? {
                Read::Found(s) if &s.version == expected => {}
                Read::Found(s) => return Err(lost(Some(s.version))),
                Read::Deleted | Read::Absent => return Err(lost(None)),
            }
            // The folder's own put stages the file and renames it into place.
            self.store
                .put(&Path::from(key.path()), body.clone().into())
                .await
                .map_err(|e| storage_err(key, e))?;
            Version(super::local::etag(&body))
        } else {
            match self.read(old).await? {
                Read::Found(s) if &s.version == expected => {}
                Read::Found(s) => return Err(lost(Some(s.version))),
                Read::Deleted | Read::Absent => return Err(lost(None)),
            }
            match self.raw_put(key, body, PutMode::Create).await {
                // Another first write, or a delete, got there first.
                Err(Error::AlreadyExists { .. }) => return Err(lost(None)),
                other => other?,
            }
        };
        self.remove_leftover(key, old).await;
        Ok(version)
    }

    /// Removes the old-layout copy of drama `key`; whether there was one.
    async fn remove_legacy(&self, key: &Key) -> Result<bool> {
        match drama_key(key) {
            Some(old) => self.remove(&old).await,
            None => Ok(false),
        }
    }

    /// Removes `old` once `key` holds the document. A failure only leaves a
    /// hidden copy behind (reads and listings prefer `key`), so it is logged.
    async fn remove_leftover(&self, key: &Key, old: &Key) {
        if let Err(e) = self.remove(old).await {
            tracing::warn!(key = key.path(), old = old.path(), error = %e, "the old layout's copy stays, hidden");
        }
    }
}

fn storage_err(key: &Key, e: object_store::Error) -> Error {
    Error::Storage {
        key: key.path().to_string(),
        source: Box::new(e),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures::FutureExt;
    use object_store::{ObjectStore, PutPayload};

    use super::super::Storage;
    use super::super::scripted_store::ScriptedStore;
    use super::*;
    use crate::model::{Drama, DramaPatch};
    use crate::{EditExt, StorageExt};

    /// A store seeded with drama `d1` in the old layout, seen through the
    /// scripted store and, as another process would, directly.
    async fn seeded() -> (Arc<ScriptedStore>, Arc<ObjectStorage>, Arc<ObjectStorage>) {
        let store = Arc::new(ScriptedStore::default());
        let body = Drama::new("d1", "old", "d", "p").to_vec();
        let path = Path::from("dramas/d1/drama.json");
        store.inner.put(&path, PutPayload::from(body)).await.unwrap();
        let scripted = ObjectStorage::new(Arc::clone(&store) as Arc<dyn ObjectStore>, true, "scripted");
        let plain = ObjectStorage::new(Arc::clone(&store.inner) as Arc<dyn ObjectStore>, true, "memory");
        (store, Arc::new(scripted), Arc::new(plain))
    }

    fn retitle(t: &str) -> DramaPatch {
        DramaPatch {
            title: Some(t.into()),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn a_read_racing_a_move_finds_the_moved_drama() {
        let (store, reader, mover) = seeded().await;
        // The reader finds nothing at `dramas/d1.json`; before it looks in
        // the old layout, another process moves the drama.
        *store.before_read.lock().unwrap() = Some((
            "dramas/d1/drama.json".into(),
            Box::new(move || {
                async move {
                    mover.update_drama("d1", retitle("moved"), None).await.unwrap();
                }
                .boxed()
            }),
        ));
        assert_eq!(reader.get_drama("d1").await.unwrap().value.title, "moved");
    }

    #[tokio::test]
    async fn a_first_write_that_loses_the_create_retries_and_keeps_both_edits() {
        let (store, first, second) = seeded().await;
        // Right before `first` creates the new key, `second` moves the drama.
        *store.before_write.lock().unwrap() = Some((
            "dramas/d1.json".into(),
            Box::new(move || {
                async move {
                    second.update_drama("d1", retitle("second"), None).await.unwrap();
                }
                .boxed()
            }),
        ));
        let edited = first
            .modify_drama("d1", None, |d| {
                d.description = "first".into();
                Ok(())
            })
            .await
            .unwrap();
        let now = first.get_drama("d1").await.unwrap();
        assert_eq!(
            (now.value.title.as_str(), now.value.description.as_str()),
            ("second", "first")
        );
        assert_eq!(now.version, edited.version);
        assert!(
            first
                .read(&drama_key(&Key::drama("d1").unwrap()).unwrap())
                .await
                .unwrap()
                .is_absent()
        );
    }

    #[tokio::test]
    async fn a_delete_racing_a_first_write_stays_deleted() {
        let (store, writer, deleter) = seeded().await;
        *store.before_write.lock().unwrap() = Some((
            "dramas/d1.json".into(),
            Box::new(move || {
                async move {
                    deleter.delete_drama("d1", None).await.unwrap();
                }
                .boxed()
            }),
        ));
        let res = writer.update_drama("d1", retitle("late"), None).await;
        assert!(matches!(res, Err(Error::NotFound { .. })), "{res:?}");
        assert!(matches!(writer.get_drama("d1").await, Err(Error::NotFound { .. })));
        assert!(writer.list("dramas/", None, 10).await.unwrap().is_empty());
    }

    #[test]
    fn old_layout_paths_map_to_drama_keys() {
        let k = Key::drama("d1").unwrap();
        assert_eq!(drama_key(&k).unwrap().path(), "dramas/d1/drama.json");
        assert!(drama_key(&drama_key(&k).unwrap()).is_none());
        assert!(drama_key(&Key::job("d1", "j1").unwrap()).is_none());
        assert_eq!(
            listed_path(DRAMAS, "dramas/d1/drama.json").as_deref(),
            Some("dramas/d1.json")
        );
        assert_eq!(listed_path(DRAMAS, "dramas/d1/characters/c.png"), None);
        assert_eq!(listed_path(DRAMAS, "dramas/a/b/drama.json"), None);
        assert_eq!(listed_path("jobs/", "dramas/d1/drama.json"), None);
        assert_eq!(legacy_id("dramas/d1/drama.json"), Some("d1"));
    }

    #[test]
    fn the_old_index_is_not_a_drama() {
        let index = Key::drama("index").unwrap();
        let body = br#"{"version":1,"updated_at":"2025-01-01T00:00:00Z","count":0,"dramas":{}}"#;
        assert!(is_index(&index, body));
        assert!(!is_index(&Key::drama("other").unwrap(), body));
        let drama = br#"{"id":"index","title":"t","description":"d","premise":"p","dramas":{}}"#;
        assert!(!is_index(&index, drama));
    }

    /// Old-layout paths sort among current paths exactly where their current
    /// path does, so a sorted listing stays sorted once mapped.
    #[test]
    fn mapping_keeps_the_listing_order() {
        let ids = ["a", "a-b", "a0", "aB", "a_", "ab", "b", "A", "_", "-x", "9"];
        let mut raw: Vec<String> = ids
            .iter()
            .flat_map(|id| [format!("dramas/{id}.json"), format!("dramas/{id}/{LEGACY_DOCUMENT}")])
            .collect();
        raw.sort();
        let mapped: Vec<String> = raw
            .iter()
            .map(|p| listed_path(DRAMAS, p).unwrap_or_else(|| p.clone()))
            .collect();
        let mut sorted = mapped.clone();
        sorted.sort();
        assert_eq!(mapped, sorted);
    }
}
