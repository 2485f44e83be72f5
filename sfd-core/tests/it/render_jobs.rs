//! Render jobs: cancel, a failing node, one asset, and uploads.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use sfd_core::{
    AspectRatio, AssetKind, AssetOwner, Error, JobStatus, JobType, MediaKey, PlanAction, RenderRecord, RenderRequest,
    RenderResult, RendererExt, Storage, StorageBuilder, StorageExt,
};

use crate::render_support::{Gate, sample, simulated, studio};

/// In-memory storage holding `drama`.
async fn memory_with(drama: &sfd_core::Drama) -> Arc<dyn Storage> {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(drama).await.unwrap();
    storage
}

fn result_of(job: &sfd_core::Job) -> RenderResult {
    serde_json::from_value(serde_json::Value::Object(job.result.clone().unwrap())).unwrap()
}

#[tokio::test]
async fn cancel_stops_the_calls_in_flight_and_keeps_finished_nodes() {
    let storage = memory_with(&sample("drama_cancel1", 2, 1, 2, 2, false)).await;
    let gate = Gate::new(simulated(), |r| r.kind == AssetKind::Video);
    let studio = studio(Arc::clone(&storage), gate.clone());
    let job = studio
        .start_render("drama_cancel1", RenderRequest::all())
        .await
        .unwrap();
    gate.wait_hung(2).await;
    let cancelled = studio.jobs().cancel("drama_cancel1", &job.job_id).await.unwrap();
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    gate.wait_dropped(2).await; // both calls in flight were stopped
    let d = storage.get_drama("drama_cancel1").await.unwrap().value;
    for sc in &d.episodes[0].scenes {
        assert!(sc.assets[0].url.is_some(), "a finished image was lost");
        assert!(sc.assets[1].url.is_none(), "a cancelled video was saved");
    }
    assert!(d.characters.iter().all(|c| c.url.is_some()));
    let job = studio.jobs().get("drama_cancel1", &job.job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Cancelled);
}

#[tokio::test]
async fn two_renders_of_one_drama_render_each_asset_once() {
    let storage = memory_with(&sample("drama_twice1", 2, 1, 2, 2, true)).await;
    let gate = Gate::counting(simulated());
    let studio = studio(Arc::clone(&storage), gate.clone());
    // A double click is refused naming the running render; an asset render queues behind it.
    let first = studio.start_render("drama_twice1", RenderRequest::all()).await.unwrap();
    let again = studio
        .start_render("drama_twice1", RenderRequest::all())
        .await
        .unwrap_err();
    assert!(
        matches!(&again, Error::AlreadyRendering { job_id, .. } if *job_id == first.job_id),
        "{again:?}"
    );
    let owner = AssetOwner::scene("ep1", "ep1-sc1");
    let third = studio
        .start_asset_render("drama_twice1", &owner, "ep1-sc1-vid", false)
        .await
        .unwrap();
    for job in [first, third] {
        let done = studio.jobs().wait("drama_twice1", &job.job_id).await.unwrap();
        assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    }
    let d = storage.get_drama("drama_twice1").await.unwrap().value;
    let ids: Vec<String> = d
        .characters
        .iter()
        .flat_map(|c| c.assets.iter())
        .chain(d.assets.iter())
        .chain(
            d.episodes
                .iter()
                .flat_map(|e| e.scenes.iter().flat_map(|s| s.assets.iter())),
        )
        .map(|a| a.id.clone())
        .collect();
    assert!(ids.len() >= 9, "{ids:?}");
    for id in &ids {
        assert_eq!(gate.completed(id), 1, "{id} was rendered {} times", gate.completed(id));
    }
}

#[tokio::test]
async fn a_failed_node_skips_only_its_dependants_and_is_named() {
    let mut d = sample("drama_fail1", 2, 1, 2, 2, false);
    d.episodes[0].scenes[1].assets[0].prompt = "a forbidden shot [fail]".into();
    let storage = memory_with(&d).await;
    let studio = studio(Arc::clone(&storage), simulated());
    let job = studio.start_render("drama_fail1", RenderRequest::all()).await.unwrap();
    let done = studio.jobs().wait("drama_fail1", &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Failed);
    let error = done.error.clone().unwrap();
    assert!(error.contains("ep1-sc2-img") && error.contains("[fail]"), "{error}");
    let result = result_of(&done);
    assert_eq!(result.failed.len(), 1);
    assert_eq!(result.failed[0].asset_id, "ep1-sc2-img");
    let skipped: Vec<(&str, &str)> = result
        .skipped
        .iter()
        .map(|s| (s.asset_id.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(skipped, [("ep1-sc2-vid", "its input ep1-sc2-img failed")]);
    assert_eq!(result.rendered.len(), 2 + 1 + 2, "portraits, cover, the other scene");
    let d = storage.get_drama("drama_fail1").await.unwrap().value;
    assert!(d.episodes[0].scenes[0].assets.iter().all(|a| a.url.is_some()));
    assert!(d.episodes[0].scenes[1].assets.iter().all(|a| a.url.is_none()));
}

#[tokio::test]
async fn one_asset_renders_what_it_needs_first() {
    let storage = memory_with(&sample("drama_one1", 3, 1, 2, 2, false)).await;
    let sim = simulated();
    let studio = studio(Arc::clone(&storage), sim.clone());
    let owner = AssetOwner::scene("ep1", "ep1-sc1");
    let job = studio
        .start_asset_render("drama_one1", &owner, "ep1-sc1-vid", false)
        .await
        .unwrap();
    assert_eq!(job.kind, JobType::GenerateVideo);
    let done = studio.jobs().wait("drama_one1", &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    let rendered: Vec<String> = result_of(&done).rendered.into_iter().map(|r| r.asset_id).collect();
    assert_eq!(rendered.len(), 4);
    for id in ["char-0-portrait", "char-1-portrait", "ep1-sc1-img", "ep1-sc1-vid"] {
        assert!(rendered.iter().any(|r| r == id), "{id} missing from {rendered:?}");
    }
    // A character's portrait on a document that had none.
    let portrait = AssetOwner::Character("char-2".into());
    let job = studio
        .start_asset_render("drama_one1", &portrait, "char-2-portrait", false)
        .await
        .unwrap();
    assert_eq!(job.kind, JobType::GenerateImage);
    let done = studio.jobs().wait("drama_one1", &job.job_id).await.unwrap();
    assert_eq!(result_of(&done).rendered.len(), 1);
    let d = storage.get_drama("drama_one1").await.unwrap().value;
    assert!(d.character("char-2").unwrap().url.is_some());
    assert!(
        d.episodes[0].scenes[1].assets[0].url.is_none(),
        "rendered more than asked"
    );
    let e = studio
        .start_asset_render("drama_one1", &owner, "ghost", false)
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

#[tokio::test]
async fn uploads_are_streamed_typed_and_make_their_dependants_stale() {
    let storage = memory_with(&sample("drama_up1", 2, 1, 2, 2, false)).await;
    let sim = simulated();
    let studio = studio(Arc::clone(&storage), sim.clone());
    let images = RenderRequest {
        kinds: Some(vec![AssetKind::Image]),
        ..Default::default()
    };
    let job = studio.start_render("drama_up1", images.clone()).await.unwrap();
    studio.jobs().wait("drama_up1", &job.job_id).await.unwrap();

    let photo = sim
        .image("my own photo", vec![], AspectRatio::PORTRAIT)
        .await
        .unwrap()
        .bytes;
    let chunks: Vec<Bytes> = photo.chunks(1000).map(Bytes::copy_from_slice).collect();
    let body = || futures::stream::iter(chunks.clone().into_iter().map(Ok)).boxed();
    let owner = AssetOwner::Character("char-0".into());
    let up = studio
        .upload_asset_content("drama_up1", &owner, "char-0-portrait", "image/png", body(), 1 << 20)
        .await
        .unwrap();
    let url = up.value.url.clone().unwrap();
    assert_eq!(MediaKey::from_url(&url).unwrap().hash(), sfd_core::sha256_hex(&photo));
    let rec = RenderRecord::of(&up.value).unwrap();
    assert_eq!((rec.provider.as_str(), rec.bytes), ("upload", photo.len() as u64));
    let plan = studio.plan_render("drama_up1", &images).await.unwrap();
    assert_eq!(
        plan.node("char-0-portrait").unwrap().reason.as_deref(),
        Some("uploaded")
    );
    let scene = plan.node("ep1-sc1-img").unwrap();
    assert_eq!(
        (scene.action, scene.reason.as_deref()),
        (PlanAction::Stale, Some("an input changed"))
    );
    // Re-rendering the scene now uses the uploaded portrait.
    let job = studio
        .start_render("drama_up1", RenderRequest::asset("ep1-sc1-img", false))
        .await
        .unwrap();
    studio.jobs().wait("drama_up1", &job.job_id).await.unwrap();
    let call = sim
        .calls()
        .into_iter()
        .rev()
        .find(|c| c.label == "ep1-sc1-img")
        .unwrap();
    assert!(call.reference_hashes.contains(&sfd_core::sha256_hex(&photo)));

    let too_big = studio
        .upload_asset_content("drama_up1", &owner, "char-0-portrait", "image/png", body(), 100)
        .await
        .unwrap_err();
    assert!(matches!(too_big, Error::MediaTooLarge { limit: 100 }), "{too_big}");
    for wrong in ["text/html", "video/mp4"] {
        let e = studio
            .upload_asset_content("drama_up1", &owner, "char-0-portrait", wrong, body(), 1 << 20)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::UnsupportedMediaType(_)), "{wrong}: {e}");
    }
}

/// Counts how many calls run at once.
#[derive(Debug)]
struct Crowd {
    inner: Arc<dyn sfd_core::Renderer>,
    now: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl sfd_core::Renderer for Crowd {
    async fn render(&self, request: sfd_core::MediaRequest) -> sfd_core::Result<sfd_core::Media> {
        use std::sync::atomic::Ordering::SeqCst;
        let n = self.now.fetch_add(1, SeqCst) + 1;
        self.most.fetch_max(n, SeqCst);
        // Let every other ready call start before this one ends.
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        let out = self.inner.render(request).await;
        self.now.fetch_sub(1, SeqCst);
        out
    }

    fn provider(&self) -> &str {
        "crowd"
    }

    fn model(&self) -> &str {
        "crowd"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_of_a_kind_never_exceed_its_concurrency() {
    let storage = memory_with(&sample("drama_crowd1", 4, 2, 4, 2, false)).await;
    let crowd = Arc::new(Crowd {
        inner: simulated(),
        now: Default::default(),
        most: Default::default(),
    });
    let config = sfd_core::RenderConfig::new()
        .with_renderer(AssetKind::Image, crowd.clone())
        .with_concurrency(AssetKind::Image, 2);
    let studio = crate::render_support::studio_with(Arc::clone(&storage), config);
    let images = RenderRequest {
        kinds: Some(vec![AssetKind::Image]),
        ..Default::default()
    };
    let job = studio.start_render("drama_crowd1", images).await.unwrap();
    let done = studio.jobs().wait("drama_crowd1", &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(result_of(&done).rendered.len(), 4 + 1 + 8);
    assert!(crowd.most.load(std::sync::atomic::Ordering::SeqCst) <= 2);
}
