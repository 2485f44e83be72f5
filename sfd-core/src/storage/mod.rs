//! Versioned storage of drama documents and job records.
//!
//! [`Storage`] is the small object-safe core (get, conditional put, delete,
//! list); [`StorageExt`] adds the typed helpers; [`ObjectStorage`] is the one
//! implementation, over any [`object_store::ObjectStore`].
//!
//! Layout of keys:
//! - `dramas/{id}.json`: the document; its version is the object's e-tag.
//! - `summaries/{id}.json`: the drama's summary for the listing, written with every edit.
//! - `jobs/{dramaId}/{jobId}.json`: a job record.
//! - `media/{dramaId}/{assetId}-{sha256}.{ext}`: a media file, written once ([`MediaStore`]).
//! - `staging/{uuid}.part`: an upload in progress, moved under `media/` once its hash is known.
//! - `library/{user}/{project}/{type}s/{assetId}.{ext}` and `….json`: the
//!   asset library (see [`crate::library`]).
//!
//! Buckets of the old server's later versions (dramas at
//! `dramas/{id}/drama.json`, job records at `jobs/{jobId}.json`) open
//! unchanged: `legacy` and `legacy_jobs` are a layer read through beneath
//! the current layout, which `object` reaches only through its
//! `ReadThrough` trait and `builder` plugs in; see also
//! [`ObjectStorage::migrate`].

mod builder;
mod cache;
mod commit;
mod cursor;
mod ext;
mod flights;
mod folder_index;
pub(crate) mod key;
mod legacy;
mod legacy_jobs;
mod local;
mod media;
mod migrate;
mod object;
#[cfg(test)]
mod object_tests;
#[cfg(test)]
pub(crate) mod scripted_store;
mod summary;

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;

use crate::Result;

pub use builder::StorageBuilder;
pub use cache::{DEFAULT_CACHE_BYTES, DramaCache};
pub use commit::GroupCommit;
pub use cursor::Cursor;
#[cfg(feature = "jobs")]
pub(crate) use ext::create_drama_alone;
pub use ext::{ListOptions, StorageExt, Versioned};
pub use key::Key;
pub use local::KeyLocks;
pub use media::{ByteStream, MediaInfo, MediaListed, MediaRead, MediaStore, MediaStoreExt, sha256_hex};
#[cfg(feature = "jobs")]
pub(crate) use media::{STAGING_PREFIX, sniffed};
pub use migrate::{Migration, MigrationAction};
pub use object::ObjectStorage;
pub use summary::SummaryRepair;
#[cfg(feature = "jobs")]
pub(crate) use summary::write_summary;

/// The version of a stored object (its e-tag). Opaque: compare, don't parse.
///
/// Two versions are equal when they differ only by surrounding quotes, so a
/// version sent back in an `If-Match` header matches the stored one on
/// every backend. A weak tag (`W/"…"`) equals only the same weak tag, never
/// a strong one: every backend stores strong versions, so a weak tag never
/// satisfies a conditional write (RFC 9110 strong comparison). Use
/// [`Version::weak_eq`] for `If-None-Match`.
#[derive(Debug, Clone, Eq)]
pub struct Version(String);

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.is_weak() == other.is_weak() && self.opaque() == other.opaque()
    }
}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.is_weak().hash(state);
        self.opaque().hash(state);
    }
}

impl Version {
    fn opaque(&self) -> &str {
        self.0.strip_prefix("W/").unwrap_or(&self.0).trim_matches('"')
    }

    /// Whether this is a weak entity tag (`W/"…"`).
    pub fn is_weak(&self) -> bool {
        self.0.starts_with("W/")
    }

    /// Weak comparison (RFC 9110): equal tags, ignoring weakness. Right for
    /// `If-None-Match`, never for a write.
    pub fn weak_eq(&self, other: &Self) -> bool {
        self.opaque() == other.opaque()
    }

    /// The version as an HTTP entity tag: always quoted, `W/` kept.
    pub fn etag(&self) -> String {
        let weak = if self.is_weak() { "W/" } else { "" };
        format!("{weak}\"{}\"", self.opaque())
    }

    /// Wraps a version string, e.g. one received in an `If-Match` header.
    pub fn new(v: impl Into<String>) -> Self {
        Version(v.into())
    }

    /// The version string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a write treats what is already stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteMode {
    /// Only if nothing is stored under the key ([`crate::Error::AlreadyExists`] otherwise).
    Create,
    /// Only if the stored version is this one ([`crate::Error::VersionMismatch`] otherwise).
    Update(Version),
    /// Unconditionally.
    Overwrite,
}

/// An object as read: its bytes and version.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The raw bytes.
    pub body: Bytes,
    /// The version to pass to [`WriteMode::Update`].
    pub version: Version,
    /// When it was last written, in ms since the epoch.
    pub updated_at: u64,
}

/// An object as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its full key path, e.g. `dramas/d1.json`.
    pub path: String,
    /// When it was last written, in ms since the epoch.
    pub updated_at: u64,
    /// Size in bytes.
    pub size: u64,
    /// Its version (the entity tag), when the listing tells it (S3 and
    /// memory do; the local folder does not).
    pub version: Option<Version>,
}

/// What a backend offers beyond reading and writing objects, each absent
/// (`None`, `false`) when it does not; [`StorageExt`] reads them by name.
#[derive(Clone, Copy, Default)]
pub struct Capabilities<'a> {
    /// In-process locks that serialise read-modify-write cycles on one key,
    /// so writers in one process queue instead of retrying. Cross-process
    /// safety never depends on them: writes stay compare-and-swap.
    pub edit_locks: Option<&'a KeyLocks>,
    /// Batches concurrent edits of one drama into one read and one write
    /// ([`StorageExt::modify_drama`] uses it).
    pub group_commit: Option<&'a GroupCommit>,
    /// The in-memory cache of drama documents.
    pub drama_cache: Option<&'a DramaCache>,
    /// Whether each drama's summary is kept in its own small object
    /// (`summaries/{id}.json`) for the listing; when false, a listing reads
    /// every drama of the page.
    pub keeps_summaries: bool,
    /// The media files (rendered and uploaded images, videos and audio)
    /// kept in the same store.
    pub media: Option<&'a dyn MediaStore>,
    /// The job records the old server's later versions kept flat, read
    /// through beside the current ones.
    pub legacy_jobs: Option<&'a dyn LegacyJobs>,
}

/// The job records of the old server's later versions, at
/// `jobs/{jobId}.json` (snake_case), read-only: [`StorageExt::get_job`]
/// and [`StorageExt::list_jobs`] read through to them.
#[async_trait]
pub trait LegacyJobs: Send + Sync {
    /// Job `job_id` of drama `drama_id`, when the old layout holds it.
    async fn legacy_job(&self, drama_id: &str, job_id: &str) -> Result<Option<Versioned<crate::model::Job>>>;

    /// Every job of drama `drama_id` that the old layout holds.
    async fn legacy_jobs(&self, drama_id: &str) -> Result<Vec<crate::model::Job>>;
}

impl fmt::Debug for Capabilities<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capabilities")
            .field("edit_locks", &self.edit_locks.is_some())
            .field("group_commit", &self.group_commit.is_some())
            .field("drama_cache", &self.drama_cache.is_some())
            .field("keeps_summaries", &self.keeps_summaries)
            .field("media", &self.media.is_some())
            .field("legacy_jobs", &self.legacy_jobs.is_some())
            .finish()
    }
}

/// Versioned key-value storage with compare-and-swap writes.
///
/// Used as `Arc<dyn Storage>`. Every write that replaces a document is
/// conditional, on every backend, so concurrent writers never lose updates.
#[async_trait]
pub trait Storage: fmt::Debug + Send + Sync {
    /// Reads an object; `None` when nothing is stored under `key`.
    async fn get(&self, key: &Key) -> Result<Option<Stored>>;

    /// Writes an object under the condition of `mode` and returns its new version.
    async fn put(&self, key: &Key, body: Bytes, mode: WriteMode) -> Result<Version>;

    /// Deletes an object, only at version `expected` when given.
    /// Returns whether something was deleted.
    async fn delete(&self, key: &Key, expected: Option<&Version>) -> Result<bool>;

    /// Lists up to `limit` objects under `prefix` (a key path ending in `/`)
    /// whose path sorts strictly after `after`, in ascending path order.
    /// A drama the old server's later versions stored at
    /// `dramas/{id}/drama.json` is listed once, as `dramas/{id}.json`.
    async fn list(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<Listed>>;

    /// What the backend offers beyond its objects (none by default). A
    /// wrapper forwards them all at once, so it cannot drop one.
    fn capabilities(&self) -> Capabilities<'_> {
        Capabilities::default()
    }

    /// A short description of the backend for logs, without secrets.
    fn describe(&self) -> String;
}
