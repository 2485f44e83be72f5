//! [`StorageExt`]: typed helpers over any [`Storage`].

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use super::key::{DRAMAS, Key};
use super::summary::{self, SummaryRepair};
use super::{Cursor, DramaCache, GroupCommit, KeyLocks, MediaStore, Storage, Stored, Version, WriteMode};
use crate::error::EntityKind;
use crate::model::{Drama, DramaPage, DramaSummary, Job, Object, Problems, validate};
use crate::{Error, Result};

/// How many compare-and-swap attempts an edit makes before giving up with
/// [`Error::Conflict`].
pub const MAX_EDIT_ATTEMPTS: u32 = 64;
/// How many documents a listing reads at once.
const LIST_CONCURRENCY: usize = 32;
/// The largest page.
pub const MAX_PAGE: usize = 1000;

/// [`StorageExt::create_drama`] without the drama's summary: the caller
/// writes it with [`super::summary::write_summary`] (a job writes it while
/// it records its end, not before).
pub(crate) async fn create_drama_alone<S: Storage + ?Sized>(storage: &S, drama: &Drama) -> Result<Version> {
    let key = Key::drama(&drama.id)?;
    let problems = validate(drama);
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    storage.put(&key, Bytes::from(drama.to_vec()), WriteMode::Create).await
}

/// A value with the version of the document it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The value.
    pub value: T,
    /// The version of the drama (or job) document after the read or write.
    pub version: Version,
}

/// One page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOptions {
    /// Page size, 1 to 1000.
    pub limit: usize,
    /// A cursor from the previous page.
    pub cursor: Option<String>,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            limit: 100,
            cursor: None,
        }
    }
}

impl ListOptions {
    /// A first page of `limit` dramas.
    pub fn new(limit: usize) -> Self {
        ListOptions { limit, cursor: None }
    }

    /// Continues after `cursor`.
    pub fn with_cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }
}

/// The head of a drama, parsed without building the episodes.
#[derive(Deserialize)]
struct Head {
    id: String,
    title: String,
    description: String,
    premise: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    metadata: Option<Object>,
}

fn corrupt(key: &Key, e: impl std::fmt::Display) -> Error {
    Error::Corrupt {
        key: key.path().to_string(),
        reason: e.to_string(),
    }
}

fn not_found(key: &Key) -> Error {
    Error::NotFound {
        kind: key.kind(),
        id: key.id().to_string(),
    }
}

/// A random pause before retrying a lost compare-and-swap: exponential, capped, with full jitter.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let cap_ms = (2u64 << attempt.min(6)).min(100);
    let r = (uuid::Uuid::new_v4().as_u128() as u64) % (cap_ms * 1000);
    Duration::from_micros(r)
}

/// Typed helpers for dramas and jobs, for every [`Storage`].
pub trait StorageExt: Storage {
    /// The backend's in-process edit locks ([`Capabilities::edit_locks`]).
    fn edit_locks(&self) -> Option<&KeyLocks> {
        self.capabilities().edit_locks
    }

    /// The backend's group commit ([`Capabilities::group_commit`]).
    fn group_commit(&self) -> Option<&GroupCommit> {
        self.capabilities().group_commit
    }

    /// The backend's drama cache ([`Capabilities::drama_cache`]).
    fn drama_cache(&self) -> Option<&DramaCache> {
        self.capabilities().drama_cache
    }

    /// Whether summaries are kept apart ([`Capabilities::keeps_summaries`]).
    fn keeps_summaries(&self) -> bool {
        self.capabilities().keeps_summaries
    }

    /// The backend's media files ([`Capabilities::media`]).
    fn media(&self) -> Option<&dyn MediaStore> {
        self.capabilities().media
    }

    /// Stores a new drama; [`Error::AlreadyExists`] if the id is taken,
    /// [`Error::Invalid`] if the document breaks the rules.
    fn create_drama(&self, drama: &Drama) -> impl Future<Output = Result<Version>> + Send {
        async move {
            let version = create_drama_alone(self, drama).await?;
            summary::write_summary(self, drama, &version).await;
            Ok(version)
        }
    }

    /// The stored bytes of a drama, exactly as written.
    fn get_drama_bytes(&self, id: &str) -> impl Future<Output = Result<Stored>> + Send {
        async move {
            let key = Key::drama(id)?;
            self.get(&key).await?.ok_or_else(|| not_found(&key))
        }
    }

    /// A drama and its version; [`Error::Corrupt`] if it cannot be parsed.
    fn get_drama(&self, id: &str) -> impl Future<Output = Result<Versioned<Drama>>> + Send {
        async move {
            let key = Key::drama(id)?;
            let stored = self.get(&key).await?.ok_or_else(|| not_found(&key))?;
            let value = super::cache::parse_drama(self, &key, &stored)?;
            Ok(Versioned {
                value,
                version: stored.version,
            })
        }
    }

    /// Replaces a drama if its stored version is `expected`.
    fn replace_drama(&self, drama: &Drama, expected: &Version) -> impl Future<Output = Result<Version>> + Send {
        async move {
            let key = Key::drama(&drama.id)?;
            let problems = validate(drama);
            if !problems.is_empty() {
                return Err(Error::Invalid(problems));
            }
            match self
                .put(&key, Bytes::from(drama.to_vec()), WriteMode::Update(expected.clone()))
                .await
            {
                Ok(version) => {
                    summary::write_summary(self, drama, &version).await;
                    Ok(version)
                }
                Err(Error::VersionMismatch { actual: None, .. }) if self.get(&key).await?.is_none() => {
                    Err(not_found(&key))
                }
                other => other,
            }
        }
    }

    /// Deletes a drama (at version `expected` when given). Its job records
    /// stay: they are the history of the id, so a job cancelled while it was
    /// saving still reads `cancelled`, not "not found".
    fn delete_drama(&self, id: &str, expected: Option<&Version>) -> impl Future<Output = Result<()>> + Send {
        async move {
            let key = Key::drama(id)?;
            if !self.delete(&key, expected).await? {
                return Err(not_found(&key));
            }
            summary::remove_summary(self, id).await;
            Ok(())
        }
    }

    /// Reads, changes and writes back a drama atomically.
    ///
    /// `f` may run several times: after a lost compare-and-swap the document
    /// is read again and `f` re-applied, up to [`MAX_EDIT_ATTEMPTS`] times.
    /// With `expected`, the edit applies only to that version and fails with
    /// [`Error::VersionMismatch`] otherwise. The edit is refused with
    /// [`Error::Invalid`] if it adds validation problems.
    ///
    /// With [`Storage::group_commit`], concurrent edits of one drama in this
    /// process share one read and one write; each still fails alone.
    fn modify_drama<T, F>(
        &self,
        id: &str,
        expected: Option<&Version>,
        mut f: F,
    ) -> impl Future<Output = Result<Versioned<T>>> + Send
    where
        T: Send,
        F: FnMut(&mut Drama) -> Result<T> + Send,
    {
        async move {
            let key = Key::drama(id)?;
            if let Some(group) = self.group_commit() {
                return group.edit(self, &key, expected, f).await;
            }
            let _queue = match self.edit_locks() {
                Some(locks) => Some(locks.lock(&key).await),
                None => None,
            };
            for attempt in 0..MAX_EDIT_ATTEMPTS {
                let stored = self.get(&key).await?.ok_or_else(|| not_found(&key))?;
                if let Some(exp) = expected
                    && exp != &stored.version
                {
                    return Err(Error::VersionMismatch {
                        kind: EntityKind::Drama,
                        id: id.to_string(),
                        expected: exp.to_string(),
                        actual: Some(stored.version.to_string()),
                    });
                }
                let mut drama = super::cache::parse_drama(self, &key, &stored)?;
                let out = f(&mut drama)?;
                if drama.id != id {
                    return Err(Error::invalid("id", "an edit cannot change the drama id"));
                }
                // Only problems the edit adds count; the original is parsed
                // again and checked only when the edited document has any (rarely).
                let after = validate(&drama);
                if !after.is_empty() {
                    let original = Drama::from_slice(&stored.body).map_err(|e| corrupt(&key, e))?;
                    let added: Problems = after.new_since(&validate(&original));
                    if !added.is_empty() {
                        return Err(Error::Invalid(added));
                    }
                }
                let body = Bytes::from(drama.to_vec());
                match self.put(&key, body, WriteMode::Update(stored.version.clone())).await {
                    Ok(version) => {
                        summary::write_summary(self, &drama, &version).await;
                        return Ok(Versioned { value: out, version });
                    }
                    Err(Error::VersionMismatch { .. }) if expected.is_none() => {
                        tokio::time::sleep(backoff(attempt)).await;
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(Error::Conflict {
                kind: EntityKind::Drama,
                id: id.to_string(),
                attempts: MAX_EDIT_ATTEMPTS,
            })
        }
    }

    /// A page of drama summaries in ascending id order.
    fn list_dramas(&self, opts: &ListOptions) -> impl Future<Output = Result<DramaPage<DramaSummary>>> + Send {
        async move {
            let (listed, cursor) = list_page(self, opts).await?;
            let summaries = self.keeps_summaries();
            let memo = self.drama_cache().filter(|_| summaries);
            let dramas = futures::stream::iter(listed)
                .map(|(key, updated_at, version)| async move {
                    // The listing named the drama's version, and its summary
                    // was read before: no read at all.
                    if let (Some(c), Some(v)) = (memo, &version)
                        && let Some(mut s) = c.summary(key.id(), v)
                    {
                        s.updated_at = Some(updated_at);
                        return Ok(Some(s));
                    }
                    if summaries && let Some((mut s, made_from)) = summary::read_summary(self, key.id()).await? {
                        // A summary older than the listed drama is not served: the drama is read below.
                        if version.as_ref().is_none_or(|v| v == &made_from) {
                            if let (Some(c), Some(v)) = (memo, &version) {
                                c.store_summary(key.id(), v, &s);
                            }
                            s.updated_at = Some(updated_at);
                            return Ok(Some(s));
                        }
                    }
                    // No summary (yet, or lost in a crash): the drama itself.
                    let Some(stored) = self.get(&key).await? else {
                        return Ok(None); // deleted since the listing
                    };
                    Ok::<_, Error>(Some(match serde_json::from_slice::<Head>(&stored.body) {
                        Ok(h) => DramaSummary {
                            id: h.id,
                            title: h.title,
                            description: h.description,
                            premise: h.premise,
                            url: h.url,
                            metadata: h.metadata,
                            updated_at: Some(stored.updated_at.max(updated_at)),
                            error: None,
                        },
                        Err(e) => DramaSummary {
                            id: key.id().to_string(),
                            title: String::new(),
                            description: String::new(),
                            premise: String::new(),
                            url: None,
                            metadata: None,
                            updated_at: Some(updated_at),
                            error: Some(corrupt(&key, e).to_string()),
                        },
                    }))
                })
                .buffered(LIST_CONCURRENCY)
                .try_filter_map(|s| async move { Ok(s) })
                .try_collect()
                .await?;
            Ok(DramaPage { dramas, cursor })
        }
    }

    /// A page of whole dramas in ascending id order; a corrupt document fails the page.
    fn list_dramas_full(&self, opts: &ListOptions) -> impl Future<Output = Result<DramaPage<Drama>>> + Send {
        async move {
            let (listed, cursor) = list_page(self, opts).await?;
            let dramas = futures::stream::iter(listed)
                .map(|(key, _, _)| async move {
                    match self.get(&key).await? {
                        None => Ok(None),
                        Some(s) => Drama::from_slice(&s.body).map(Some).map_err(|e| corrupt(&key, e)),
                    }
                })
                .buffered(LIST_CONCURRENCY)
                .try_filter_map(|s| async move { Ok(s) })
                .try_collect()
                .await?;
            Ok(DramaPage { dramas, cursor })
        }
    }

    /// Rewrites every missing or out-of-date drama summary and removes the
    /// summaries of dramas that are gone (after a crash between a drama's
    /// write and its summary's, or with summaries turned off for a while).
    fn repair_summaries(&self) -> impl Future<Output = Result<SummaryRepair>> + Send {
        summary::repair_summaries(self)
    }

    /// Writes a job record under the condition of `mode`.
    fn put_job(&self, job: &Job, mode: WriteMode) -> impl Future<Output = Result<Version>> + Send {
        async move {
            let key = Key::job(&job.drama_id, &job.job_id)?;
            let body = serde_json::to_vec(job).map_err(|e| Error::invalid("job", e.to_string()))?;
            self.put(&key, Bytes::from(body), mode).await
        }
    }

    /// A job record and its version.
    fn get_job(&self, drama_id: &str, job_id: &str) -> impl Future<Output = Result<Versioned<Job>>> + Send {
        async move {
            let key = Key::job(drama_id, job_id)?;
            let Some(stored) = self.get(&key).await? else {
                // Perhaps a record of the old server's later versions (read-only).
                let old = match self.capabilities().legacy_jobs {
                    Some(old) => old.legacy_job(drama_id, job_id).await?,
                    None => None,
                };
                return old.ok_or_else(|| not_found(&key));
            };
            let value: Job = serde_json::from_slice(&stored.body).map_err(|e| corrupt(&key, e))?;
            Ok(Versioned {
                value,
                version: stored.version,
            })
        }
    }

    /// Every job of a drama, oldest first.
    fn list_jobs(&self, drama_id: &str) -> impl Future<Output = Result<Vec<Job>>> + Send {
        async move {
            let prefix = Key::jobs_prefix(drama_id)?;
            let listed = self.list(&prefix, None, usize::MAX).await?;
            let mut jobs: Vec<Job> = futures::stream::iter(listed)
                .filter_map(|l| {
                    let id = Key::id_from_path(&prefix, &l.path).map(str::to_string);
                    async move { id }
                })
                .map(|job_id| async move {
                    match self.get_job(drama_id, &job_id).await {
                        Ok(v) => Ok(Some(v.value)),
                        Err(Error::NotFound { .. }) => Ok(None),
                        Err(e) => Err(e),
                    }
                })
                .buffered(LIST_CONCURRENCY)
                .try_filter_map(|j| async move { Ok(j) })
                .try_collect()
                .await?;
            // The old server's later versions kept records flat, read-only here.
            let old = match self.capabilities().legacy_jobs {
                Some(old) => old.legacy_jobs(drama_id).await?,
                None => Vec::new(),
            };
            for old in old {
                if !jobs.iter().any(|j| j.job_id == old.job_id) {
                    jobs.push(old);
                }
            }
            jobs.sort_by(|a, b| (a.created_at, &a.job_id).cmp(&(b.created_at, &b.job_id)));
            Ok(jobs)
        }
    }
}

impl<S: Storage + ?Sized> StorageExt for S {}

/// The keys of one page and the cursor of the next.
/// A page of the drama listing: each drama's key, write time and version
/// (when the store lists versions), and the cursor of the next page.
type Page = (Vec<(Key, u64, Option<Version>)>, Option<String>);

async fn list_page<S: Storage + ?Sized>(storage: &S, opts: &ListOptions) -> Result<Page> {
    if opts.limit == 0 || opts.limit > MAX_PAGE {
        return Err(Error::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_PAGE}, got {}", opts.limit),
        ));
    }
    let after = match &opts.cursor {
        Some(c) => Some(Key::drama(Cursor::parse(c)?.last_id())?.path().to_string()),
        None => None,
    };
    let mut listed = storage.list(DRAMAS, after.as_deref(), opts.limit + 1).await?;
    let more = listed.len() > opts.limit;
    listed.truncate(opts.limit);
    let keys: Vec<(Key, u64, Option<Version>)> = listed
        .iter()
        .filter_map(|l| {
            let key = Key::drama(Key::id_from_path(DRAMAS, &l.path)?).ok()?;
            Some((key, l.updated_at, l.version.clone()))
        })
        .collect();
    let cursor = if more {
        listed
            .last()
            .and_then(|l| Key::id_from_path(DRAMAS, &l.path))
            .map(|id| Cursor::after(id).to_string())
    } else {
        None
    };
    Ok((keys, cursor))
}
