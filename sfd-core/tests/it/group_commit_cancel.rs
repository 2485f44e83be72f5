//! A group-commit leader dropped while its write is in flight (issue 22):
//! the other callers' edits it carried are decided once, never applied a
//! second time by the next leader.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use sfd_core::{Capabilities, Key, Listed, Result, Storage, StorageBuilder, StorageExt, Stored, Version, WriteMode};
use tokio::sync::{Notify, watch};

use crate::conformance::sample;

/// Memory storage whose first drama update waits for `release`, and whose
/// second lands and then never answers (a response lost in flight).
#[derive(Debug)]
struct Stalling {
    inner: Arc<dyn Storage>,
    drama_puts: AtomicUsize,
    waiting: watch::Sender<usize>,
    release: Notify,
}

// Every method is forwarded, as a wrapper must (see `MeteredStorage`).
#[deny(clippy::missing_trait_methods)]
#[async_trait]
impl Storage for Stalling {
    async fn get(&self, key: &Key) -> Result<Option<Stored>> {
        self.inner.get(key).await
    }

    async fn put(&self, key: &Key, body: Bytes, mode: WriteMode) -> Result<Version> {
        if !key.path().starts_with("dramas/") || !matches!(mode, WriteMode::Update(_)) {
            return self.inner.put(key, body, mode).await;
        }
        match self.drama_puts.fetch_add(1, Ordering::SeqCst) {
            0 => {
                let released = self.release.notified();
                self.waiting.send_replace(1);
                released.await;
                self.inner.put(key, body, mode).await
            }
            1 => {
                self.inner.put(key, body, mode).await?;
                self.waiting.send_replace(2);
                std::future::pending().await
            }
            _ => self.inner.put(key, body, mode).await,
        }
    }

    async fn delete(&self, key: &Key, expected: Option<&Version>) -> Result<bool> {
        self.inner.delete(key, expected).await
    }

    async fn list(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<Listed>> {
        self.inner.list(prefix, after, limit).await
    }

    fn capabilities(&self) -> Capabilities<'_> {
        self.inner.capabilities()
    }

    fn describe(&self) -> String {
        "stalling memory".into()
    }
}

/// An edit appending `mark` to the drama's description.
fn append(s: &Arc<dyn Storage>, mark: &'static str) -> impl Future<Output = Result<String>> + Send + 'static {
    let s = Arc::clone(s);
    async move {
        let v = s
            .modify_drama("gc", None, move |d| {
                d.description.push_str(mark);
                Ok(d.description.clone())
            })
            .await?;
        Ok(v.value)
    }
}

#[tokio::test]
async fn a_leader_dropped_mid_write_never_applies_an_edit_twice() {
    let inner: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let stalling = Arc::new(Stalling {
        inner,
        drama_puts: AtomicUsize::new(0),
        waiting: watch::channel(0).0,
        release: Notify::new(),
    });
    let s: Arc<dyn Storage> = stalling.clone();
    let mut d = sample("gc", 1, 1);
    d.description = "start".into();
    s.create_drama(&d).await.unwrap();
    assert!(s.group_commit().is_some(), "the memory backend batches edits");
    let mut waiting = stalling.waiting.subscribe();

    // A leads a batch of its own and holds the drama's leadership in its write.
    let a = tokio::spawn(append(&s, "+a"));
    waiting.wait_for(|w| *w == 1).await.unwrap();
    // B, then C queue behind it (polled once here, so both have joined).
    let mut b = Box::pin(append(&s, "+b"));
    let mut c = Box::pin(append(&s, "+c"));
    assert!(futures::poll!(b.as_mut()).is_pending());
    assert!(futures::poll!(c.as_mut()).is_pending());
    let (b, c) = (tokio::spawn(b), tokio::spawn(c));
    stalling.release.notify_one();
    assert_eq!(a.await.unwrap().unwrap(), "start+a");
    // B leads the batch [B, C]; its write lands, and B is dropped before the answer.
    waiting.wait_for(|w| *w == 2).await.unwrap();
    b.abort();
    assert!(b.await.unwrap_err().is_cancelled());

    let c = c.await.unwrap();
    let stored = s.get_drama("gc").await.unwrap().value.description;
    assert_eq!(stored, "start+a+b+c", "an edit was applied twice or lost");
    assert_eq!(c.unwrap(), "start+a+b+c", "C's edit succeeded and must say so");
}
