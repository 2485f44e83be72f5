//! [`MeteredStorage`]: any [`Storage`] with every operation counted and
//! timed (see [`crate::telemetry`]). A [`crate::Studio`] meters its storage.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;

use crate::storage::{Capabilities, Key, Listed, Storage, Stored, Version, WriteMode};
use crate::{Error, Result, telemetry};

/// A [`Storage`] that reports each operation, its outcome and latency, and
/// every lost compare-and-swap, to the metrics recorder.
#[derive(Debug, Clone)]
pub struct MeteredStorage {
    inner: Arc<dyn Storage>,
}

impl MeteredStorage {
    /// Meters `inner`.
    pub fn new(inner: Arc<dyn Storage>) -> Self {
        MeteredStorage { inner }
    }
}

/// The outcome label of a write or delete result.
fn write_outcome<T>(r: &Result<T>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(Error::VersionMismatch { .. } | Error::AlreadyExists { .. }) => "conflict",
        Err(_) => "error",
    }
}

// Every method is forwarded: a default here would silently turn a feature off.
#[deny(clippy::missing_trait_methods)]
#[async_trait]
impl Storage for MeteredStorage {
    async fn get(&self, key: &Key) -> Result<Option<Stored>> {
        let started = Instant::now();
        let r = self.inner.get(key).await;
        let outcome = match &r {
            Ok(Some(_)) => "ok",
            Ok(None) => "missing",
            Err(_) => "error",
        };
        telemetry::storage_operation("get", outcome, started.elapsed());
        r
    }

    async fn put(&self, key: &Key, body: Bytes, mode: WriteMode) -> Result<Version> {
        let op = match mode {
            WriteMode::Create => "put_create",
            WriteMode::Update(_) => "put_update",
            WriteMode::Overwrite => "put_overwrite",
        };
        let started = Instant::now();
        let r = self.inner.put(key, body, mode).await;
        telemetry::storage_operation(op, write_outcome(&r), started.elapsed());
        r
    }

    async fn delete(&self, key: &Key, expected: Option<&Version>) -> Result<bool> {
        let started = Instant::now();
        let r = self.inner.delete(key, expected).await;
        let outcome = match &r {
            Ok(false) => "missing",
            other => write_outcome(other),
        };
        telemetry::storage_operation("delete", outcome, started.elapsed());
        r
    }

    async fn list(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<Listed>> {
        let started = Instant::now();
        let r = self.inner.list(prefix, after, limit).await;
        telemetry::storage_operation("list", telemetry::outcome(&r), started.elapsed());
        r
    }

    fn capabilities(&self) -> Capabilities<'_> {
        self.inner.capabilities()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{StorageBuilder, StorageExt};

    #[tokio::test]
    async fn forwards_every_operation() {
        let inner: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
        let s = MeteredStorage::new(Arc::clone(&inner));
        let key = Key::drama("d1").unwrap();
        let v = s.put(&key, Bytes::from_static(b"{}"), WriteMode::Create).await.unwrap();
        assert!(matches!(
            s.put(&key, Bytes::from_static(b"{}"), WriteMode::Create).await,
            Err(Error::AlreadyExists { .. })
        ));
        assert_eq!(s.get(&key).await.unwrap().unwrap().version, v);
        assert_eq!(s.list("dramas/", None, 10).await.unwrap().len(), 1);
        assert!(s.delete(&key, Some(&v)).await.unwrap());
        assert!(s.get(&key).await.unwrap().is_none());
        assert_eq!(s.describe(), inner.describe());
        assert_eq!(s.edit_locks().is_some(), inner.edit_locks().is_some());
        // The provided methods too: a default answer here would silently
        // turn group commit, the cache, summaries or old job records off.
        assert_eq!(s.group_commit().is_some(), inner.group_commit().is_some());
        assert_eq!(s.drama_cache().is_some(), inner.drama_cache().is_some());
        assert!(s.group_commit().is_some() && s.drama_cache().is_some());
        assert_eq!(s.keeps_summaries(), inner.keeps_summaries());
        assert!(s.keeps_summaries());
        assert_eq!(s.media().is_some(), inner.media().is_some());
        let old = s.capabilities().legacy_jobs.map(|l| l.legacy_jobs("d1"));
        assert!(old.unwrap().await.unwrap().is_empty());
    }
}
