//! Two servers (two `AppState`s, each with its own storage instance and
//! edit queue) on one shared store take a storm of PATCHes: the
//! compare-and-swap retry path really runs, and nothing is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use sfd_core::{Capabilities, Error, Key, Listed, ObjectStorage, Storage, StorageBuilder, Stored, Version, WriteMode};
use tokio::sync::Notify;

use crate::harness::{Options, TestServer};
use crate::storm;

/// A storage instance that counts its lost compare-and-swaps, and plays the
/// first drama update of each side so that one of them must conflict: side
/// A says it has read the document and waits for side B to write first.
#[derive(Debug)]
struct Side {
    inner: ObjectStorage,
    is_a: bool,
    first: AtomicBool,
    a_read: Arc<Notify>,
    b_wrote: Arc<Notify>,
    conflicts: Arc<AtomicUsize>,
}

// Every method is forwarded, as a wrapper must (see `MeteredStorage`).
#[deny(clippy::missing_trait_methods)]
#[async_trait]
impl Storage for Side {
    async fn get(&self, key: &Key) -> sfd_core::Result<Option<Stored>> {
        self.inner.get(key).await
    }
    async fn put(&self, key: &Key, body: Bytes, mode: WriteMode) -> sfd_core::Result<Version> {
        let first = matches!(mode, WriteMode::Update(_)) && self.first.swap(false, Ordering::SeqCst);
        if first && self.is_a {
            self.a_read.notify_one();
            self.b_wrote.notified().await;
        } else if first {
            self.a_read.notified().await;
        }
        let written = self.inner.put(key, body, mode).await;
        if first && !self.is_a {
            self.b_wrote.notify_one();
        }
        if let Err(Error::VersionMismatch { .. }) = written {
            self.conflicts.fetch_add(1, Ordering::SeqCst);
        }
        written
    }
    async fn delete(&self, key: &Key, expected: Option<&Version>) -> sfd_core::Result<bool> {
        self.inner.delete(key, expected).await
    }
    async fn list(&self, prefix: &str, after: Option<&str>, limit: usize) -> sfd_core::Result<Vec<Listed>> {
        self.inner.list(prefix, after, limit).await
    }
    fn capabilities(&self) -> Capabilities<'_> {
        // The edit locks only: group commit would batch away the conflict this test makes.
        Capabilities {
            edit_locks: self.inner.capabilities().edit_locks,
            ..Capabilities::default()
        }
    }
    fn describe(&self) -> String {
        "side".into()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_app_states_on_one_store_retry_conflicts_and_lose_nothing() {
    let shared = Arc::clone(StorageBuilder::memory().build().unwrap().object_store());
    let (a_read, b_wrote) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let conflicts = Arc::new(AtomicUsize::new(0));
    let side = |is_a: bool| -> Arc<dyn Storage> {
        Arc::new(Side {
            inner: ObjectStorage::new(Arc::clone(&shared), true, "shared memory"),
            is_a,
            first: AtomicBool::new(true),
            a_read: Arc::clone(&a_read),
            b_wrote: Arc::clone(&b_wrote),
            conflicts: Arc::clone(&conflicts),
        })
    };
    let start = |storage| {
        TestServer::with(Options {
            storage: Some(storage),
            ..Default::default()
        })
    };
    let (a, b) = (start(side(true)).await, start(side(false)).await);
    let d = storm::drama("storm", 4, 50);
    a.client.import_drama(&d).await.unwrap();
    let failed = storm::edit_every_scene(&[&a.client, &b.client], &d).await;
    assert!(failed.is_empty(), "{} PATCHes failed: {failed:?}", failed.len());
    let lost = storm::unedited(&a.client.get_drama("storm").await.unwrap().value);
    assert!(lost.is_empty(), "lost updates: {lost:?}");
    assert!(
        conflicts.load(Ordering::SeqCst) >= 1,
        "no compare-and-swap was lost: the retry path did not run"
    );
}
