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

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutMode};

use super::key::{DRAMAS, Key, SUFFIX};
use super::object::Read;
use super::{ObjectStorage, Stored, Version, WriteMode};
use crate::error::EntityKind;
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

impl ObjectStorage {
    /// A drama read from the old layout, when `key` is a drama key.
    pub(super) async fn legacy_get(&self, key: &Key) -> Result<Option<Stored>> {
        let Some(old) = drama_key(key) else {
            return Ok(None);
        };
        Ok(match self.read(&old).await? {
            Read::Found(s) => Some(s),
            Read::Deleted | Read::Absent => None,
        })
    }

    /// A write of drama `key` in a bucket that may hold it at `old`.
    pub(super) async fn put_over_legacy(&self, key: &Key, old: &Key, body: Bytes, mode: WriteMode) -> Result<Version> {
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
    pub(super) async fn remove_legacy(&self, key: &Key) -> Result<bool> {
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
    use super::*;

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
