//! Media clean-up racing a render (issue 22): a file referenced again
//! while `collect_media` runs (the same bytes stored again keep the old
//! file and its old time) is never deleted.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use sfd_core::{
    ByteRange, ByteStream, Capabilities, CollectOptions, Key, Listed, MediaInfo, MediaKey, MediaListed, MediaRead,
    MediaStore, MediaStoreExt, MediaType, Result, Storage, StorageBuilder, StorageExt, Stored, Version, WriteMode,
};
use tokio::sync::{Notify, watch};

use crate::render_support::{sample, simulated, studio};

/// Storage whose media listing waits for `release` once, telling when.
#[derive(Debug)]
struct Pausing {
    inner: Arc<dyn Storage>,
    listing: watch::Sender<bool>,
    release: Notify,
}

impl Pausing {
    fn files(&self) -> &dyn MediaStore {
        self.inner.media().unwrap()
    }
}

#[async_trait]
impl MediaStore for Pausing {
    async fn write_media(&self, key: &MediaKey, body: Bytes) -> Result<MediaInfo> {
        self.files().write_media(key, body).await
    }

    async fn upload_media(
        &self,
        drama_id: &str,
        asset_id: &str,
        media_type: MediaType,
        body: ByteStream,
        limit: u64,
    ) -> Result<MediaInfo> {
        self.files()
            .upload_media(drama_id, asset_id, media_type, body, limit)
            .await
    }

    async fn read_media(&self, key: &MediaKey, range: Option<ByteRange>) -> Result<MediaRead> {
        self.files().read_media(key, range).await
    }

    async fn delete_media(&self, path: &str) -> Result<bool> {
        self.files().delete_media(path).await
    }

    async fn list_media(&self) -> Result<Vec<MediaListed>> {
        let listed = self.files().list_media().await;
        if !self.listing.send_replace(true) {
            let released = self.release.notified();
            released.await;
        }
        listed
    }
}

// Every method is forwarded, as a wrapper must (see `MeteredStorage`).
#[deny(clippy::missing_trait_methods)]
#[async_trait]
impl Storage for Pausing {
    async fn get(&self, key: &Key) -> Result<Option<Stored>> {
        self.inner.get(key).await
    }

    async fn put(&self, key: &Key, body: Bytes, mode: WriteMode) -> Result<Version> {
        self.inner.put(key, body, mode).await
    }

    async fn delete(&self, key: &Key, expected: Option<&Version>) -> Result<bool> {
        self.inner.delete(key, expected).await
    }

    async fn list(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<Listed>> {
        self.inner.list(prefix, after, limit).await
    }

    fn capabilities(&self) -> Capabilities<'_> {
        Capabilities {
            media: Some(self),
            ..self.inner.capabilities()
        }
    }

    fn describe(&self) -> String {
        "pausing memory".into()
    }
}

#[tokio::test]
async fn a_file_referenced_again_during_collection_is_kept() {
    let inner: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let pausing = Arc::new(Pausing {
        inner,
        listing: watch::channel(false).0,
        release: Notify::new(),
    });
    let storage: Arc<dyn Storage> = pausing.clone();
    storage
        .create_drama(&sample("drama_gc2", 1, 1, 1, 2, false))
        .await
        .unwrap();
    // A file no drama points at yet (an earlier render's, since replaced).
    let png = Bytes::from_static(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-an-old-frame");
    let info = pausing
        .store_media("drama_gc2", "ep1-sc1-img", MediaType::Png, png)
        .await
        .unwrap();
    let studio = Arc::new(studio(Arc::clone(&storage), simulated()));
    let collect = {
        let studio = Arc::clone(&studio);
        let now = CollectOptions {
            dry_run: false,
            min_age: Duration::ZERO,
        };
        tokio::spawn(async move { studio.collect_media_with(now).await })
    };
    pausing.listing.subscribe().wait_for(|l| *l).await.unwrap();
    // The render stores the same bytes again and saves the URL meanwhile.
    let url = info.key.url(None);
    storage
        .modify_drama("drama_gc2", None, |d| {
            d.scene_mut("ep1", "ep1-sc1")?.assets[0].url = Some(url.clone());
            Ok(())
        })
        .await
        .unwrap();
    pausing.release.notify_one();
    let collected = collect.await.unwrap().unwrap();
    assert!(!collected.files.contains(&info.key.path().to_string()), "{collected:?}");
    assert!(
        studio.read_media(info.key.path(), None).await.is_ok(),
        "a used file was deleted"
    );
}
