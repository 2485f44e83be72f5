//! [`ObjectStorage`]: the [`Storage`] implementation over `object_store`.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};

use super::cache::{self, DramaCache, Fetched};
use super::commit::GroupCommit;
use super::folder_index::FolderIndex;
use super::local::{FileLocks, KeyLocks, Outcome};
use super::{Key, LegacyJobs, Listed, Storage, Stored, Version, Versioned, WriteMode};
use crate::model::Job;
use crate::{Error, Result};

/// What a delete on a native store leaves in place of a drama or job record.
///
/// Readers and listings treat it as absent; a create replaces it with a
/// compare-and-swap. It is never removed: these stores cannot remove an
/// object only at a version, so removing it would erase a create that
/// replaced it in the meantime. Every document sfd writes is longer, so
/// listings recognise it by its size alone.
pub(crate) const TOMBSTONE: &[u8] = br#"{"$sfd":"deleted"}"#;

/// How often a create retries after a concurrent write got in its way.
const CREATE_ATTEMPTS: u32 = 16;

/// [`Storage`] over any [`ObjectStore`]: S3, R2, the local folder, memory.
///
/// Stores with native conditional writes (S3, R2, memory) use
/// `PutMode::Create` / `PutMode::Update`. The local folder, whose
/// `LocalFileSystem` cannot do `PutMode::Update`, checks the version and
/// writes under a per-key `flock`, so two OS processes sharing one folder are
/// safe too; its writes go to a staging file that is renamed into place, so a
/// crash never leaves a torn document.
pub struct ObjectStorage {
    pub(super) store: Arc<dyn ObjectStore>,
    pub(super) file_locks: Option<FileLocks>,
    folder_index: Option<FolderIndex>,
    sorted_listing: bool,
    edit_locks: KeyLocks,
    group_commit: Option<GroupCommit>,
    cache: Option<DramaCache>,
    summaries: bool,
    old: Option<Box<dyn ReadThrough>>,
    label: String,
}

/// Another layout of the same objects, read through beneath the current
/// one: the old server's (`legacy`), plugged in where a store is opened
/// (`builder`), so this file never names it. Where the current key holds
/// nothing it is asked; a write of a key it holds moves the object to the
/// current key; a delete removes both.
#[async_trait]
pub(super) trait ReadThrough: Send + Sync {
    /// Whether `body`, found under `key`, is no document of that key but
    /// an object of this layout (the key then reads through).
    fn passes_over(&self, key: &Key, body: &[u8]) -> bool;

    /// The object for `key` in this layout, when the current key held nothing.
    async fn get(&self, s: &ObjectStorage, key: &Key) -> Result<Option<Stored>>;

    /// A write of `key` under the condition of `mode`, moving it out of
    /// this layout when it is there, atomically as [`Storage::put`] is.
    async fn put(&self, s: &ObjectStorage, key: &Key, body: Bytes, mode: WriteMode) -> Result<Version>;

    /// Removes this layout's copy of `key`; whether there was one.
    async fn remove(&self, s: &ObjectStorage, key: &Key) -> Result<bool>;

    /// The path a listing of `prefix` shows for `raw`, an object of this
    /// layout; `None` when it is none.
    fn listed_path(&self, prefix: &str, raw: &str) -> Option<String>;

    /// Job `job_id` of drama `drama_id`, when this layout holds it.
    async fn job(&self, s: &ObjectStorage, drama_id: &str, job_id: &str) -> Result<Option<Versioned<Job>>>;

    /// Every job of drama `drama_id` that this layout holds.
    async fn jobs(&self, s: &ObjectStorage, drama_id: &str) -> Result<Vec<Job>>;
}

impl fmt::Debug for ObjectStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStorage").field("backend", &self.label).finish()
    }
}

impl ObjectStorage {
    /// An [`ObjectStorage`] over `store`, reading through to `old` beneath
    /// the current layout; the constructors are in `builder`.
    pub(super) fn over(
        store: Arc<dyn ObjectStore>,
        file_locks: Option<FileLocks>,
        folder_index: Option<FolderIndex>,
        sorted_listing: bool,
        label: String,
        old: Option<Box<dyn ReadThrough>>,
    ) -> Self {
        ObjectStorage {
            store,
            file_locks,
            folder_index,
            sorted_listing,
            edit_locks: KeyLocks::default(),
            group_commit: Some(GroupCommit::default()),
            cache: None,
            summaries: true,
            old,
            label,
        }
    }

    /// Whether concurrent edits of one drama in this process are committed
    /// together (one read, one write; default on). Off, each edit does its
    /// own read-modify-write cycle, queued behind the others.
    pub fn with_group_commit(mut self, on: bool) -> Self {
        self.group_commit = on.then(GroupCommit::default);
        self
    }

    /// Keeps drama documents in `cache` (default none); see [`DramaCache`].
    pub fn with_cache(mut self, cache: Option<DramaCache>) -> Self {
        self.cache = cache;
        self
    }

    /// Whether each drama's summary is kept in its own small object for
    /// the listing (default on). Off, listings read every drama of a page
    /// and summaries go out of date: run the repair before turning it on again.
    pub fn with_summaries(mut self, on: bool) -> Self {
        self.summaries = on;
        self
    }

    /// The underlying object store.
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Whether the store keeps object attributes such as `Content-Type` (the local folder does not).
    pub(crate) fn keeps_attributes(&self) -> bool {
        self.file_locks.is_none()
    }

    fn map_err(&self, key: &Key, e: object_store::Error, expected: Option<&Version>) -> Error {
        match e {
            // S3 answers a conditional write that raced another one with
            // `409 ConditionalRequestConflict`, which object_store reports as
            // `AlreadyExists` once its retries run out. During an update that
            // is a lost compare-and-swap, to be retried as one.
            object_store::Error::AlreadyExists { .. } if expected.is_none() => Error::AlreadyExists {
                kind: key.kind(),
                id: key.id().to_string(),
            },
            object_store::Error::AlreadyExists { .. }
            | object_store::Error::Precondition { .. }
            | object_store::Error::NotFound { .. }
                if expected.is_some() =>
            {
                Error::VersionMismatch {
                    kind: key.kind(),
                    id: key.id().to_string(),
                    expected: expected.map(|v| v.to_string()).unwrap_or_default(),
                    actual: None,
                }
            }
            other => Error::Storage {
                key: key.path().to_string(),
                source: Box::new(other),
            },
        }
    }

    /// The current version, or `None` when absent (or a tombstone).
    async fn head(&self, key: &Key) -> Result<Option<Version>> {
        Ok(self.get(key).await?.map(|s| s.version))
    }

    pub(super) async fn raw_put(&self, key: &Key, body: Bytes, mode: PutMode) -> Result<Version> {
        let expected = match &mode {
            PutMode::Update(v) => v.e_tag.clone().map(Version),
            _ => None,
        };
        let opts = PutOptions {
            mode,
            ..Default::default()
        };
        let res = self
            .store
            .put_opts(&Path::from(key.path()), PutPayload::from_bytes(body), opts)
            .await
            .map_err(|e| self.map_err(key, e, expected.as_ref()))?;
        res.e_tag.map(Version).ok_or_else(|| Error::Storage {
            key: key.path().to_string(),
            source: "the store returned no e-tag for a write".into(),
        })
    }

    pub(super) fn mismatch(key: &Key, expected: &Version, actual: Option<Version>) -> Error {
        Error::VersionMismatch {
            kind: key.kind(),
            id: key.id().to_string(),
            expected: expected.to_string(),
            actual: actual.map(|v| v.0),
        }
    }

    /// A conditional write on the local folder: checked and done under the key's file lock.
    async fn locked_put(&self, locks: &FileLocks, key: &Key, body: Bytes, mode: WriteMode) -> Result<Version> {
        let expected = match &mode {
            WriteMode::Update(v) => Some(v.clone()),
            _ => None,
        };
        match locks.write(key, body, mode).await? {
            Outcome::Written(tag) => Ok(Version(tag)),
            Outcome::Exists => Err(Error::AlreadyExists {
                kind: key.kind(),
                id: key.id().to_string(),
            }),
            Outcome::Mismatch(actual) => Err(Self::mismatch(
                key,
                &expected.unwrap_or(Version::new("")),
                actual.map(Version),
            )),
        }
    }

    /// A create on a native store. A tombstone is replaced with a
    /// compare-and-swap; a concurrent write that got in the way (a conflict,
    /// or an object gone again by the time it is read) is retried.
    async fn native_create(&self, key: &Key, body: Bytes) -> Result<Version> {
        let exists = || Error::AlreadyExists {
            kind: key.kind(),
            id: key.id().to_string(),
        };
        for attempt in 0..CREATE_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(super::ext::backoff(attempt)).await;
            }
            match self.raw_put(key, body.clone(), PutMode::Create).await {
                Err(Error::AlreadyExists { .. }) => {}
                other => return other,
            }
            let current = match self.store.get(&Path::from(key.path())).await {
                Ok(c) => c,
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(self.map_err(key, e, None)),
            };
            let e_tag = current.meta.e_tag.clone();
            let bytes = match current.bytes().await {
                Ok(b) => b,
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(self.map_err(key, e, None)),
            };
            if bytes.as_ref() != TOMBSTONE {
                return Err(exists());
            }
            let update = PutMode::Update(UpdateVersion { e_tag, version: None });
            match self.raw_put(key, body.clone(), update).await {
                // Another writer replaced the tombstone first: look again.
                Err(Error::VersionMismatch { .. }) => continue,
                other => return other,
            }
        }
        Err(Error::Conflict {
            kind: key.kind(),
            id: key.id().to_string(),
            attempts: CREATE_ATTEMPTS,
        })
    }

    pub(super) async fn remove(&self, key: &Key) -> Result<bool> {
        match self.store.delete(&Path::from(key.path())).await {
            Ok(()) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.map_err(key, e, None)),
        }
    }
}

impl ObjectStorage {
    /// Reads the object stored under exactly `key`.
    pub(super) async fn read(&self, key: &Key) -> Result<Read> {
        Ok(self.read_changed(key, None).await?.unwrap_or(Read::Absent))
    }

    /// [`ObjectStorage::read`]; with `known`, `None` when the object is
    /// still that version (a conditional GET: nothing is transferred).
    async fn read_changed(&self, key: &Key, known: Option<Version>) -> Result<Option<Read>> {
        if let Some(locks) = &self.file_locks {
            // A local read costs what a check would: read it whole.
            return Ok(Some(match locks.read(key).await? {
                Some((body, tag, updated_at)) => Read::Found(Stored {
                    body,
                    version: Version(tag),
                    updated_at,
                }),
                None => Read::Absent,
            }));
        }
        let opts = GetOptions {
            if_none_match: known.map(|v| v.0),
            ..GetOptions::default()
        };
        let res = match self.store.get_opts(&Path::from(key.path()), opts).await {
            Ok(res) => res,
            Err(object_store::Error::NotFound { .. }) => return Ok(Some(Read::Absent)),
            Err(object_store::Error::NotModified { .. }) => return Ok(None),
            Err(e) => return Err(self.map_err(key, e, None)),
        };
        let version = Version(res.meta.e_tag.clone().unwrap_or_default());
        let updated_at = res.meta.last_modified.timestamp_millis().max(0) as u64;
        let body = match res.bytes().await {
            Ok(b) => b,
            // Deleted between the open and the read.
            Err(object_store::Error::NotFound { .. }) => return Ok(Some(Read::Absent)),
            Err(e) => return Err(self.map_err(key, e, None)),
        };
        if body.as_ref() == TOMBSTONE {
            return Ok(Some(Read::Deleted));
        }
        Ok(Some(Read::Found(Stored {
            body,
            version,
            updated_at,
        })))
    }

    /// What a read of `key` finds, in either layout; with `known`, only
    /// when its version is another one.
    async fn fetch(&self, key: &Key, known: Option<Version>) -> Result<Fetched> {
        Ok(match self.read_changed(key, known).await? {
            None => Fetched::Unchanged,
            Some(Read::Found(s)) if !self.old.as_ref().is_some_and(|o| o.passes_over(key, &s.body)) => {
                Fetched::Found(s)
            }
            Some(Read::Deleted) => Fetched::Missing,
            // Nothing here (or an object of the old layout): the document
            // may still be stored in the old layout.
            Some(_) => match &self.old {
                Some(old) => match old.get(self, key).await? {
                    Some(s) => Fetched::Found(s),
                    None => Fetched::Missing,
                },
                None => Fetched::Missing,
            },
        })
    }

    /// Writes under exactly `key`, under the condition of `mode`.
    pub(super) async fn write(&self, key: &Key, body: Bytes, mode: WriteMode) -> Result<Version> {
        if let Some(locks) = &self.file_locks {
            return self.locked_put(locks, key, body, mode).await;
        }
        match mode {
            WriteMode::Create => self.native_create(key, body).await,
            WriteMode::Overwrite => self.raw_put(key, body, PutMode::Overwrite).await,
            WriteMode::Update(v) => {
                let update = UpdateVersion {
                    e_tag: Some(v.0),
                    version: None,
                };
                self.raw_put(key, body, PutMode::Update(update)).await
            }
        }
    }

    /// A write past the cache; a document in the old layout moves to its own key.
    async fn put_uncached(&self, key: &Key, body: Bytes, mode: WriteMode) -> Result<Version> {
        match &self.old {
            Some(old) => old.put(self, key, body, mode).await,
            None => self.write(key, body, mode).await,
        }
    }

    /// Removes the old layout's copy of `key`; whether there was one.
    async fn remove_old(&self, key: &Key) -> Result<bool> {
        match &self.old {
            Some(old) => old.remove(self, key).await,
            None => Ok(false),
        }
    }

    /// A delete past the cache, of both layouts.
    async fn delete_uncached(&self, key: &Key, expected: Option<&Version>) -> Result<bool> {
        if let Some(locks) = &self.file_locks {
            let _guard = locks.lock(key).await?;
            let actual = self.head(key).await?;
            return match (actual, expected) {
                (None, _) => Ok(false),
                (Some(actual), Some(exp)) if &actual != exp => Err(Self::mismatch(key, exp, Some(actual))),
                // Under the key's lock, which a move from the old layout holds too.
                _ => Ok(self.remove_old(key).await? | self.remove(key).await?),
            };
        }
        // A queue entry is never written again once removed: no tombstone needed.
        if !key.keeps_tombstone() && expected.is_none() {
            return self.remove(key).await;
        }
        // Native stores have no conditional delete: replace the object with a
        // tombstone at the expected (or current) version, so that a concurrent
        // writer or deleter loses its compare-and-swap, and leave it there.
        loop {
            let Some(current) = self.head(key).await? else {
                return Ok(false);
            };
            if let Some(exp) = expected
                && exp != &current
            {
                return Err(Self::mismatch(key, exp, Some(current)));
            }
            let tomb = self
                .put(key, Bytes::from_static(TOMBSTONE), WriteMode::Update(current))
                .await;
            match tomb {
                Ok(_) => {
                    // A copy left in the old layout is hidden by the tombstone; remove it too.
                    if let Err(e) = self.remove_old(key).await {
                        tracing::warn!(key = key.path(), error = %e, "the old layout's copy stays, hidden");
                    }
                    return Ok(true);
                }
                Err(Error::VersionMismatch { .. }) if expected.is_none() => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// What is stored under one exact key.
pub(super) enum Read {
    /// A document.
    Found(Stored),
    /// A tombstone: deleted, and nothing under another layout counts.
    Deleted,
    /// Nothing.
    Absent,
}

impl Read {
    /// Whether nothing at all is stored.
    #[cfg(test)]
    pub(super) fn is_absent(&self) -> bool {
        matches!(self, Read::Absent)
    }
}

#[async_trait]
impl Storage for ObjectStorage {
    async fn get(&self, key: &Key) -> Result<Option<Stored>> {
        match self.cache.as_ref().filter(|_| DramaCache::covers(key)) {
            Some(c) => cache::read_through(c, key, |known| self.fetch(key, known)).await,
            None => match self.fetch(key, None).await? {
                Fetched::Found(stored) => Ok(Some(stored)),
                Fetched::Missing | Fetched::Unchanged => Ok(None),
            },
        }
    }

    async fn put(&self, key: &Key, body: Bytes, mode: WriteMode) -> Result<Version> {
        let written = self.put_uncached(key, body.clone(), mode).await;
        if let Some(c) = self.cache.as_ref().filter(|_| DramaCache::covers(key)) {
            match &written {
                // A tombstone reads as nothing: never serve it from the cache.
                Ok(_) if body.as_ref() == TOMBSTONE => c.forget(key),
                Ok(version) => c.store(
                    key,
                    &Stored {
                        body,
                        version: version.clone(),
                        updated_at: crate::model::now_ms(),
                    },
                ),
                Err(_) => c.forget(key),
            }
        }
        written
    }

    async fn delete(&self, key: &Key, expected: Option<&Version>) -> Result<bool> {
        if let Some(c) = &self.cache {
            c.forget(key);
        }
        let deleted = self.delete_uncached(key, expected).await;
        if let Some(c) = &self.cache {
            c.forget(key);
        }
        deleted
    }

    async fn list(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<Listed>> {
        if let Some(index) = self.folder_index.as_ref().filter(|ix| ix.covers(prefix)) {
            return index
                .list(prefix, after, limit, |l| l.size != TOMBSTONE.len() as u64)
                .await;
        }
        let dir = Path::from(prefix.trim_end_matches('/'));
        let stream = match after {
            Some(after) => self.store.list_with_offset(Some(&dir), &Path::from(after)),
            None => self.store.list(Some(&dir)),
        };
        let listing_err = |e: object_store::Error| Error::Storage {
            key: prefix.to_string(),
            source: Box::new(e),
        };
        let entries = stream.map_err(listing_err).try_filter_map(|meta| {
            let raw = meta.location.to_string();
            // Only direct children that are documents, and dramas in the old
            // server's later layout under their own keys; skip staging
            // files, sub-folders and tombstones.
            let direct = raw
                .strip_prefix(prefix)
                .is_some_and(|rest| !rest.contains('/') && rest.ends_with(super::key::SUFFIX));
            let path = if direct {
                Some(raw)
            } else {
                self.old.as_ref().and_then(|o| o.listed_path(prefix, &raw))
            };
            futures::future::ready(Ok(path.filter(|_| meta.size != TOMBSTONE.len() as u64).map(|path| {
                Listed {
                    path,
                    updated_at: meta.last_modified.timestamp_millis().max(0) as u64,
                    size: meta.size,
                    version: meta.e_tag.clone().map(Version),
                }
            })))
        });
        // Each path once (a drama moved out of the old layout may linger
        // there), strictly after `after` (stores may ignore the offset's
        // exclusivity). Mapping old-layout paths keeps the order, so in a
        // sorted listing the two copies of a drama come one after the other.
        let out: Vec<Listed> = if self.sorted_listing {
            let mut last: Option<String> = None;
            entries
                .try_filter(move |l| {
                    let fresh = last.as_deref() != Some(l.path.as_str());
                    last = Some(l.path.clone());
                    futures::future::ready(fresh && after.is_none_or(|a| l.path.as_str() > a))
                })
                .take(limit)
                .try_collect()
                .await?
        } else {
            let mut all: Vec<Listed> = entries.try_collect().await?;
            all.sort_by(|a, b| a.path.cmp(&b.path));
            all.dedup_by(|a, b| a.path == b.path);
            all.retain(|l| after.is_none_or(|a| l.path.as_str() > a));
            all.truncate(limit);
            all
        };
        Ok(out)
    }

    fn capabilities(&self) -> super::Capabilities<'_> {
        super::Capabilities {
            edit_locks: Some(&self.edit_locks),
            group_commit: self.group_commit.as_ref(),
            drama_cache: self.cache.as_ref(),
            keeps_summaries: self.summaries,
            media: Some(self),
            legacy_jobs: self.old.as_ref().map(|_| self as &dyn LegacyJobs),
        }
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

#[async_trait]
impl LegacyJobs for ObjectStorage {
    async fn legacy_job(&self, drama_id: &str, job_id: &str) -> Result<Option<Versioned<Job>>> {
        match &self.old {
            Some(old) => old.job(self, drama_id, job_id).await,
            None => Ok(None),
        }
    }

    async fn legacy_jobs(&self, drama_id: &str) -> Result<Vec<Job>> {
        match &self.old {
            Some(old) => old.jobs(self, drama_id).await,
            None => Ok(Vec::new()),
        }
    }
}
