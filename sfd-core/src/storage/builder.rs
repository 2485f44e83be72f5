//! [`StorageBuilder`]: chooses and configures the backend.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, RetryConfig};

use object_store::ObjectStore;

use super::folder_index::FolderIndex;
use super::key::{DRAMAS, SUMMARIES};
use super::legacy::{LEGACY_DOCUMENT, OldLayout};
use super::local::FileLocks;
use super::{DEFAULT_CACHE_BYTES, DramaCache, ObjectStorage};
use crate::{Error, Result};

impl ObjectStorage {
    /// Wraps a store that implements `PutMode::Create` and `PutMode::Update`
    /// natively (as S3, R2, GCS, Azure and `InMemory` do).
    ///
    /// `sorted_listing` says whether the store lists keys in ascending order
    /// (S3 and `InMemory` do); when false, listings are sorted here.
    pub fn new(store: Arc<dyn ObjectStore>, sorted_listing: bool, label: impl Into<String>) -> Self {
        let old = Box::new(OldLayout::default());
        ObjectStorage::over(store, None, None, sorted_listing, label.into(), Some(old))
    }

    /// Wraps a `LocalFileSystem` rooted at `root`, adding the file locks
    /// that make its conditional writes safe across processes.
    pub(crate) fn local(store: Arc<dyn ObjectStore>, root: PathBuf, fsync: bool) -> Self {
        let label = format!("local folder {}", root.display());
        let index = FolderIndex::new(root.clone(), &[DRAMAS, SUMMARIES]).with_nested_document(DRAMAS, LEGACY_DOCUMENT);
        let locks = FileLocks::new(root, fsync);
        let old = Box::new(OldLayout::default());
        ObjectStorage::over(store, Some(locks), Some(index), false, label, Some(old))
    }
}

/// The default local folder.
pub const DEFAULT_LOCAL_DIR: &str = "./data";
/// The default R2 bucket, as in the old server.
pub const DEFAULT_R2_BUCKET: &str = "sfd-production";

#[derive(Debug, Clone, PartialEq)]
enum Target {
    Memory,
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
}

/// Builds an [`ObjectStorage`] for the local folder, memory, or S3 / R2.
///
/// ```
/// # fn main() -> sfd_core::Result<()> {
/// let memory = sfd_core::StorageBuilder::from_url("memory://")?.build()?;
/// let s3 = sfd_core::StorageBuilder::from_url(
///     "s3://dramas?endpoint=http://127.0.0.1:8333&region=us-east-1",
/// )?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct StorageBuilder {
    target: Target,
    s3: Vec<(AmazonS3ConfigKey, String)>,
    fsync: bool,
    timeout: Duration,
    group_commit: bool,
    cache_bytes: usize,
    cache_ttl: Option<Duration>,
    summaries: bool,
}

impl std::fmt::Debug for StorageBuilder {
    // Options may hold credentials: show only their names.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<_> = self.s3.iter().map(|(k, _)| k.as_ref().to_string()).collect();
        f.debug_struct("StorageBuilder")
            .field("target", &self.target)
            .field("s3_options", &keys)
            .field("fsync", &self.fsync)
            .field("group_commit", &self.group_commit)
            .field("cache_bytes", &self.cache_bytes)
            .field("cache_ttl", &self.cache_ttl)
            .field("summaries", &self.summaries)
            .finish()
    }
}

impl StorageBuilder {
    fn with_target(target: Target) -> Self {
        StorageBuilder {
            target,
            s3: Vec::new(),
            fsync: false,
            timeout: Duration::from_secs(30),
            group_commit: true,
            cache_bytes: DEFAULT_CACHE_BYTES,
            cache_ttl: None,
            summaries: true,
        }
    }

    /// In-memory storage (tests, notebooks).
    pub fn memory() -> Self {
        Self::with_target(Target::Memory)
    }

    /// A local folder, created if missing.
    pub fn local(dir: impl Into<PathBuf>) -> Self {
        Self::with_target(Target::Local(dir.into()))
    }

    /// An S3 bucket. Credentials and region come from the `AWS_*` environment
    /// unless set with [`StorageBuilder::with_s3_option`].
    pub fn s3(bucket: impl Into<String>) -> Self {
        Self::with_target(Target::S3 {
            bucket: bucket.into(),
            prefix: String::new(),
        })
    }

    /// Parses a storage URL:
    /// - `memory://`;
    /// - `file:///abs/path`, or a plain path such as `./data`;
    /// - `s3://bucket/optional/prefix?endpoint=http://host:port&region=…&access_key_id=…&secret_access_key=…`,
    ///   where any `object_store` S3 option may be given as a query parameter, and
    ///   the optional path keeps every key under a prefix (several deployments, one bucket).
    pub fn from_url(url: &str) -> Result<Self> {
        if url == "memory://" || url == "memory" {
            return Ok(Self::memory());
        }
        if let Some(path) = url.strip_prefix("file://") {
            return Ok(Self::local(path));
        }
        if !url.contains("://") {
            return Ok(Self::local(url));
        }
        let parsed = url::Url::parse(url).map_err(|e| Error::Config(format!("storage URL: {e}")))?;
        if parsed.scheme() != "s3" {
            return Err(Error::Config(format!(
                "storage URL scheme '{}' is not supported; use memory://, file:// or s3://",
                parsed.scheme()
            )));
        }
        let bucket = parsed
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| Error::Config("storage URL: s3:// needs a bucket, as in s3://bucket".into()))?;
        let mut b = Self::s3(bucket).with_prefix(parsed.path());
        for (k, v) in parsed.query_pairs() {
            b = b.with_s3_option(&k, &v)?;
        }
        Ok(b)
    }

    /// Chooses storage from the old server's environment names: S3 / R2 when
    /// `R2_ACCESS_KEY_ID` (or `R2_ENDPOINT_URL`) is set, otherwise the local folder.
    ///
    /// `var` reads one variable; pass `|k| std::env::var(k).ok()`.
    pub fn from_env_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        if get("R2_ACCESS_KEY_ID").is_none() && get("R2_ENDPOINT_URL").is_none() {
            return Ok(Self::local(DEFAULT_LOCAL_DIR));
        }
        let need =
            |k: &str| get(k).ok_or_else(|| Error::Config(format!("{k} must be set when R2 storage is configured")));
        let endpoint = match get("R2_ENDPOINT_URL") {
            Some(e) => e,
            None => match get("R2_ACCOUNT_ID") {
                Some(account) => format!("https://{account}.r2.cloudflarestorage.com"),
                None => {
                    return Err(Error::Config(
                        "R2_ACCOUNT_ID or R2_ENDPOINT_URL must be set for R2 storage".into(),
                    ));
                }
            },
        };
        let bucket = get("R2_BUCKET").unwrap_or_else(|| DEFAULT_R2_BUCKET.to_string());
        Self::s3(bucket)
            .with_s3_option("endpoint", &endpoint)?
            .with_s3_option("region", "auto")?
            .with_s3_option("access_key_id", &need("R2_ACCESS_KEY_ID")?)?
            .with_s3_option("secret_access_key", &need("R2_SECRET_ACCESS_KEY")?)
    }

    /// Sets an `object_store` S3 option by name (`endpoint`, `region`,
    /// `access_key_id`, `secret_access_key`, `allow_http`, …).
    pub fn with_s3_option(mut self, key: &str, value: &str) -> Result<Self> {
        let k: AmazonS3ConfigKey = key
            .parse()
            .map_err(|_| Error::Config(format!("unknown S3 option '{key}'")))?;
        if k == AmazonS3ConfigKey::Endpoint && value.starts_with("http://") {
            self.s3.push((
                AmazonS3ConfigKey::Client(object_store::ClientConfigKey::AllowHttp),
                "true".into(),
            ));
        }
        self.s3.push((k, value.to_string()));
        Ok(self)
    }

    /// Keeps every key of an S3 / R2 store under `prefix` (ignored for other backends).
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        if let Target::S3 { prefix: p, .. } = &mut self.target {
            *p = prefix.trim_matches('/').to_string();
        }
        self
    }

    /// Whether local writes are flushed to disk (file and folder `fsync`)
    /// before they return. Default false: every write is still atomic (a
    /// staged file renamed into place, so a crash never leaves a torn
    /// document), but the last writes before a power loss may be lost.
    /// Turn it on for durability on power loss, at about 2x the write cost.
    pub fn with_fsync(mut self, fsync: bool) -> Self {
        self.fsync = fsync;
        self
    }

    /// The timeout of one request to S3 / R2 (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether concurrent edits of one drama in this process are committed
    /// together: one read, every edit applied in turn, one conditional
    /// write (default true). Each edit still fails alone.
    pub fn with_group_commit(mut self, on: bool) -> Self {
        self.group_commit = on;
        self
    }

    /// The bound of the in-memory cache of drama documents, in bytes
    /// (default [`DEFAULT_CACHE_BYTES`]; 0 turns the cache off).
    pub fn with_cache_bytes(mut self, bytes: usize) -> Self {
        self.cache_bytes = bytes;
        self
    }

    /// How long a cached drama is served without asking the store whether
    /// it changed (default `None`: every read asks, so writes by other
    /// processes are seen at once). Writes through this storage always
    /// update the cache.
    pub fn with_cache_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Whether each drama's summary is kept in its own small object, so a
    /// listing page reads `limit` small objects instead of whole dramas
    /// (default true). Turning it off is for measuring: summaries then go
    /// out of date, and `repair_summaries` must run before it is on again.
    pub fn with_summaries(mut self, on: bool) -> Self {
        self.summaries = on;
        self
    }

    /// Builds the storage.
    pub fn build(self) -> Result<ObjectStorage> {
        let cache = (self.cache_bytes > 0).then(|| DramaCache::new(self.cache_bytes, self.cache_ttl));
        Ok(self
            .build_backend()?
            .with_group_commit(self.group_commit)
            .with_summaries(self.summaries)
            .with_cache(cache))
    }

    fn build_backend(&self) -> Result<ObjectStorage> {
        match self.target.clone() {
            Target::Memory => Ok(ObjectStorage::new(Arc::new(InMemory::new()), true, "memory")),
            Target::Local(dir) => {
                std::fs::create_dir_all(&dir)
                    .map_err(|e| Error::Config(format!("cannot create storage folder {}: {e}", dir.display())))?;
                let root = dir
                    .canonicalize()
                    .map_err(|e| Error::Config(format!("storage folder {}: {e}", dir.display())))?;
                let fs = LocalFileSystem::new_with_prefix(&root)
                    .map_err(|e| Error::Config(format!("storage folder {}: {e}", root.display())))?
                    .with_fsync(self.fsync);
                Ok(ObjectStorage::local(Arc::new(fs), root, self.fsync))
            }
            Target::S3 { bucket, prefix } => {
                let mut b = AmazonS3Builder::from_env()
                    .with_bucket_name(&bucket)
                    .with_client_options(
                        ClientOptions::new()
                            .with_connect_timeout(Duration::from_secs(2))
                            .with_timeout(self.timeout),
                    )
                    .with_retry(RetryConfig {
                        max_retries: 3,
                        retry_timeout: Duration::from_secs(4),
                        ..Default::default()
                    });
                for (k, v) in self.s3.iter().cloned() {
                    b = b.with_config(k, v);
                }
                let store = b
                    .build()
                    .map_err(|e| Error::Config(format!("S3 bucket '{bucket}': {e}")))?;
                let label = format!("s3://{bucket}/{prefix}");
                if prefix.is_empty() {
                    Ok(ObjectStorage::new(Arc::new(store), true, label))
                } else {
                    let prefixed = PrefixStore::new(store, prefix.as_str());
                    Ok(ObjectStorage::new(Arc::new(prefixed), true, label))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(StorageBuilder::from_url("memory://").unwrap().target, Target::Memory);
        assert_eq!(
            StorageBuilder::from_url("./data").unwrap().target,
            Target::Local("./data".into())
        );
        assert_eq!(
            StorageBuilder::from_url("file:///tmp/x").unwrap().target,
            Target::Local("/tmp/x".into())
        );
        let b = StorageBuilder::from_url("s3://bkt?endpoint=http://127.0.0.1:9000&region=us-east-1").unwrap();
        assert_eq!(
            b.target,
            Target::S3 {
                bucket: "bkt".into(),
                prefix: String::new()
            }
        );
        let p = StorageBuilder::from_url("s3://bkt/env/prod/?region=auto").unwrap();
        assert!(matches!(p.target, Target::S3 { ref prefix, .. } if prefix == "env/prod"));
        assert!(
            b.s3.iter()
                .any(|(k, v)| *k == AmazonS3ConfigKey::Endpoint && v == "http://127.0.0.1:9000")
        );
        assert!(StorageBuilder::from_url("gs://x").is_err());
        assert!(StorageBuilder::from_url("s3://b?nonsense=1").is_err());
    }

    #[test]
    fn old_env_names_configure_r2() {
        let env = |k: &str| match k {
            "R2_ACCOUNT_ID" => Some("acct".to_string()),
            "R2_ACCESS_KEY_ID" => Some("AK".to_string()),
            "R2_SECRET_ACCESS_KEY" => Some("SECRET".to_string()),
            _ => None,
        };
        let b = StorageBuilder::from_env_vars(env).unwrap();
        assert!(matches!(b.target, Target::S3 { ref bucket, .. } if bucket == DEFAULT_R2_BUCKET));
        assert!(b.s3.iter().any(|(_, v)| v == "https://acct.r2.cloudflarestorage.com"));
        assert!(!format!("{b:?}").contains("SECRET"), "secrets leak into Debug");
        let missing = StorageBuilder::from_env_vars(|k| (k == "R2_ACCESS_KEY_ID").then(|| "AK".to_string()));
        assert!(missing.unwrap_err().to_string().contains("R2_ACCOUNT_ID"));
        let local = StorageBuilder::from_env_vars(|_| None).unwrap();
        assert_eq!(local.target, Target::Local(DEFAULT_LOCAL_DIR.into()));
    }
}
