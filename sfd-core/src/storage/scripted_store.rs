//! A test-only [`ObjectStore`] over `InMemory` that can play the races a
//! real S3 server plays: answer an update with `409` (`AlreadyExists`), and
//! let another writer in right before a write or right after a tombstone,
//! and fail writes.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMode,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

use super::object::TOMBSTONE;

type Hook = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// `InMemory`, with scripted interference.
#[derive(Default)]
pub(crate) struct ScriptedStore {
    pub(crate) inner: Arc<InMemory>,
    /// The next this many `PutMode::Update` writes fail with `AlreadyExists`,
    /// as object_store reports S3's `409 ConditionalRequestConflict`.
    pub(crate) update_conflicts: AtomicU32,
    /// Runs once, right after the next tombstone is written.
    pub(crate) after_tombstone: Mutex<Option<Hook>>,
    /// Writes under this prefix fail, as when the store cannot be reached.
    pub(crate) failing_prefix: Mutex<Option<String>>,
    /// Runs once, right before the next write under this prefix.
    pub(crate) before_write: Mutex<Option<(String, Hook)>>,
    /// Runs once, right before the next read under this prefix.
    pub(crate) before_read: Mutex<Option<(String, Hook)>>,
}

/// Takes `slot`'s hook if `location` is under its prefix.
fn take_hook(slot: &Mutex<Option<(String, Hook)>>, location: &Path) -> Option<Hook> {
    let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    match slot.take() {
        Some((prefix, hook)) if location.as_ref().starts_with(&prefix) => Some(hook),
        other => {
            *slot = other;
            None
        }
    }
}

impl std::fmt::Debug for ScriptedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScriptedStore")
    }
}

impl std::fmt::Display for ScriptedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScriptedStore")
    }
}

#[async_trait]
impl ObjectStore for ScriptedStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let failing = self.failing_prefix.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if failing.is_some_and(|prefix| location.as_ref().starts_with(&prefix)) {
            return Err(object_store::Error::Generic {
                store: "scripted",
                source: "the store cannot be reached".into(),
            });
        }
        if matches!(opts.mode, PutMode::Update(_))
            && self
                .update_conflicts
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            return Err(object_store::Error::AlreadyExists {
                path: location.to_string(),
                source: "409 ConditionalRequestConflict".into(),
            });
        }
        if let Some(hook) = take_hook(&self.before_write, location) {
            hook().await;
        }
        let tombstone = payload.iter().flatten().copied().eq(TOMBSTONE.iter().copied());
        let res = self.inner.put_opts(location, payload, opts).await?;
        if tombstone {
            let hook = self.after_tombstone.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(hook) = hook {
                hook().await;
            }
        }
        Ok(res)
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
        if let Some(hook) = take_hook(&self.before_read, location) {
            hook().await;
        }
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}
