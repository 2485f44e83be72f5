//! A render racing a user (issue 22): an upload made while a node renders
//! wins over the render's file.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use sfd_core::{
    AspectRatio, AssetKind, AssetOwner, Media, MediaRequest, RenderRequest, RenderResult, Renderer, RendererExt,
    Storage, StorageBuilder, StorageExt,
};
use tokio::sync::{Notify, watch};

use crate::render_support::{sample, simulated, studio};

/// Holds calls for `label` until released; tells when one is held.
#[derive(Debug)]
struct Held {
    inner: Arc<dyn Renderer>,
    label: String,
    held: watch::Sender<bool>,
    release: Notify,
}

#[async_trait]
impl Renderer for Held {
    async fn render(&self, request: MediaRequest) -> sfd_core::Result<Media> {
        if request.label == self.label {
            let released = self.release.notified();
            self.held.send_replace(true);
            released.await;
        }
        self.inner.render(request).await
    }

    fn provider(&self) -> &str {
        self.inner.provider()
    }

    fn model(&self) -> &str {
        self.inner.model()
    }
}

#[tokio::test]
async fn an_upload_made_while_a_node_renders_wins() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage
        .create_drama(&sample("drama_race1", 1, 1, 1, 2, false))
        .await
        .unwrap();
    let held = Arc::new(Held {
        inner: simulated(),
        label: "char-0-portrait".into(),
        held: watch::channel(false).0,
        release: Notify::new(),
    });
    let studio = studio(Arc::clone(&storage), held.clone());
    let images = RenderRequest {
        kinds: Some(vec![AssetKind::Image]),
        ..Default::default()
    };
    let job = studio.start_render("drama_race1", images).await.unwrap();
    held.held.subscribe().wait_for(|h| *h).await.unwrap();

    // The user puts their own photo at the portrait while it renders.
    let photo = simulated()
        .image("my own photo", vec![], AspectRatio::PORTRAIT)
        .await
        .unwrap()
        .bytes;
    let body = futures::stream::iter([Ok::<_, sfd_core::Error>(Bytes::clone(&photo))]).boxed();
    let owner = AssetOwner::Character("char-0".into());
    let up = studio
        .upload_asset_content("drama_race1", &owner, "char-0-portrait", "image/png", body, 1 << 20)
        .await
        .unwrap();
    let uploaded = up.value.url.unwrap();
    held.release.notify_one();

    let job = studio.jobs().wait("drama_race1", &job.job_id).await.unwrap();
    let result: RenderResult = serde_json::from_value(serde_json::Value::Object(job.result.unwrap())).unwrap();
    let d = storage.get_drama("drama_race1").await.unwrap().value;
    let portrait = d.characters[0]
        .assets
        .iter()
        .find(|a| a.id == "char-0-portrait")
        .unwrap();
    assert_eq!(
        portrait.url.as_deref(),
        Some(uploaded.as_str()),
        "the render replaced the upload"
    );
    assert_eq!(sfd_core::RenderRecord::of(portrait).unwrap().provider, "upload");
    let skipped = result.skipped.iter().find(|s| s.asset_id == "char-0-portrait").unwrap();
    assert_eq!(skipped.reason, "replaced by an upload while it rendered");
    assert!(result.rendered.iter().all(|r| r.asset_id != "char-0-portrait"));
    // The scene image, rendered after, took the uploaded portrait.
    assert!(
        result.rendered.iter().any(|r| r.asset_id == "ep1-sc1-img"),
        "{result:?}"
    );
}
