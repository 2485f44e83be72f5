//! Rendering over HTTP: plans, renders, uploads and `/media`, with the
//! simulated LLM and renderer behind the real server and the real client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use sfd_client::{AssetOwner, Drama, GenerationRequest, JobStatus, PlanAction, RenderRequest};
use sfd_core::{AssetKind, Media, MediaRequest, RenderConfig, Renderer, SimulatedRenderer, StorageBuilder};
use tokio::sync::watch;

use crate::harness::{Options, TestServer};

const WAIT: Duration = Duration::from_secs(120);

/// Counts finished calls per asset, and holds (until dropped) the calls `hold` picks.
#[derive(Debug)]
pub struct Held {
    inner: SimulatedRenderer,
    hold: fn(&MediaRequest) -> bool,
    calls: Mutex<HashMap<String, usize>>,
    holding: watch::Sender<usize>,
}

impl Held {
    pub fn new(hold: fn(&MediaRequest) -> bool) -> Arc<Self> {
        Arc::new(Held {
            inner: SimulatedRenderer::new().with_image_size(64),
            hold,
            calls: Mutex::default(),
            holding: watch::channel(0).0,
        })
    }

    /// Waits until `n` calls are being held.
    pub async fn holding(&self, n: usize) {
        self.holding.subscribe().wait_for(|h| *h >= n).await.unwrap();
    }

    pub fn calls(&self) -> HashMap<String, usize> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl Renderer for Held {
    async fn render(&self, request: MediaRequest) -> sfd_core::Result<Media> {
        if (self.hold)(&request) {
            self.holding.send_modify(|h| *h += 1);
            std::future::pending::<()>().await;
        }
        let label = request.label.clone();
        let made = self.inner.render(request).await?;
        // Counted once made: a call dropped in flight was never paid for.
        *self.calls.lock().unwrap().entry(label).or_default() += 1;
        Ok(made)
    }

    fn provider(&self) -> &str {
        self.inner.provider()
    }

    fn model(&self) -> &str {
        self.inner.model()
    }
}

pub fn render_with(renderer: Arc<dyn Renderer>) -> RenderConfig {
    AssetKind::ALL
        .iter()
        .fold(RenderConfig::new(), |c, k| c.with_renderer(*k, Arc::clone(&renderer)))
}

fn simulated() -> RenderConfig {
    render_with(Held::new(|_| false))
}

async fn server(render: RenderConfig) -> TestServer {
    TestServer::with(Options {
        render,
        ..Default::default()
    })
    .await
}

/// A generated drama of one episode of two scenes.
async fn generated(s: &TestServer) -> Drama {
    let req = GenerationRequest::new("a corgi runs a rocket company")
        .with_episodes(1)
        .with_scenes_per_episode(2);
    let started = s.client.generate_drama(&req).await.unwrap();
    let job = s
        .client
        .wait_for_job(&started.drama_id, &started.job_id, WAIT)
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    s.client.get_drama(&started.drama_id).await.unwrap().value
}

async fn render_all(s: &TestServer, id: &str) -> sfd_client::Job {
    let started = s.client.render(id, &RenderRequest::all()).await.unwrap();
    s.client.wait_for_job(id, &started.job_id, WAIT).await.unwrap()
}

/// Every asset of the drama with its owner.
fn assets(d: &Drama) -> Vec<(AssetOwner, sfd_client::Asset)> {
    let mut out: Vec<(AssetOwner, sfd_client::Asset)> =
        d.assets.iter().map(|a| (AssetOwner::Drama, a.clone())).collect();
    for c in &d.characters {
        out.extend(
            c.assets
                .iter()
                .map(|a| (AssetOwner::Character(c.id.clone()), a.clone())),
        );
    }
    for e in &d.episodes {
        out.extend(e.assets.iter().map(|a| (AssetOwner::Episode(e.id.clone()), a.clone())));
        for sc in &e.scenes {
            out.extend(sc.assets.iter().map(|a| (AssetOwner::scene(&e.id, &sc.id), a.clone())));
        }
    }
    out
}

fn looks_like(kind: AssetKind, bytes: &[u8]) -> bool {
    match kind {
        AssetKind::Image => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        AssetKind::Video => bytes.get(4..8) == Some(b"ftyp"),
        AssetKind::Audio => bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE"),
    }
}

#[tokio::test]
async fn generate_plan_render_and_every_url_fetches_with_its_type() {
    let s = server(simulated()).await;
    let drama = generated(&s).await;
    let plan = s.client.render_plan(&drama.id, &RenderRequest::all()).await.unwrap();
    assert!(plan.nodes.len() >= 6, "{plan:?}");
    assert!(plan.nodes.iter().all(|n| n.action == PlanAction::Render), "{plan:?}");
    // A dry run writes nothing.
    let after_plan = s.client.get_drama(&drama.id).await.unwrap().value;
    assert!(assets(&after_plan).iter().all(|(_, a)| a.url.is_none()));

    let job = render_all(&s, &drama.id).await;
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    let rendered = s.client.get_drama(&drama.id).await.unwrap().value;
    let http = reqwest::Client::new();
    let mut kinds = std::collections::HashSet::new();
    for (_, asset) in assets(&rendered) {
        let url = asset.url.clone().unwrap_or_else(|| panic!("{} has no url", asset.id));
        let mut bytes = Vec::new();
        let n = s.client.download_media(&url, &mut bytes).await.unwrap();
        assert_eq!(n as usize, bytes.len());
        assert!(
            looks_like(asset.kind, &bytes),
            "{} is not a {:?} file",
            asset.id,
            asset.kind
        );
        let resp = http.get(s.url(&url)).send().await.unwrap();
        let want = match asset.kind {
            AssetKind::Image => "image/png",
            AssetKind::Video => "video/mp4",
            AssetKind::Audio => "audio/wav",
        };
        assert_eq!(resp.headers()["content-type"], want, "{}", asset.id);
        kinds.insert(asset.kind);
    }
    assert_eq!(kinds.len(), 3, "images, videos and speech were all rendered");
    // Rendering again finds nothing to do.
    let plan = s.client.render_plan(&drama.id, &RenderRequest::all()).await.unwrap();
    assert!(plan.nodes.iter().all(|n| n.action == PlanAction::Skip), "{plan:?}");
    // The old server's names answer too.
    let cover = s.client.cover_photo(&drama.id).await.unwrap();
    assert!(cover.contains("/media/"), "{cover}");
    let job = s.client.generate_media(&drama.id).await.unwrap();
    assert_eq!(
        s.client
            .wait_for_job(&drama.id, &job.job_id, WAIT)
            .await
            .unwrap()
            .status,
        JobStatus::Completed
    );
}

#[tokio::test]
async fn media_answers_ranges_304_and_416_and_is_cached_as_immutable() {
    let s = server(simulated()).await;
    let drama = generated(&s).await;
    let c = drama.characters[0].id.clone();
    let job = s.client.generate_portrait(&drama.id, &c).await.unwrap();
    s.client.wait_for_job(&drama.id, &job.job_id, WAIT).await.unwrap();
    let url = s.client.get_character(&drama.id, &c).await.unwrap().value.url.unwrap();
    let http = reqwest::Client::new();
    let full = http.get(s.url(&url)).send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    assert_eq!(full.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(full.headers()["x-content-type-options"], "nosniff");
    let etag = full.headers()["etag"].to_str().unwrap().to_string();
    let body = full.bytes().await.unwrap();

    let part = http.get(s.url(&url)).header("range", "bytes=0-7").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], format!("bytes 0-7/{}", body.len()));
    assert_eq!(part.bytes().await.unwrap(), body.slice(0..8));
    let tail = http.get(s.url(&url)).header("range", "bytes=-4").send().await.unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap(), body.slice(body.len() - 4..));

    let same = http
        .get(s.url(&url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 304);
    let past = http
        .get(s.url(&url))
        .header("range", format!("bytes={}-", body.len() + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 416);
    assert_eq!(past.headers()["content-range"], format!("bytes */{}", body.len()));
    let missing = http.get(s.url("/media/media/nope/x-00.png")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn an_uploaded_portrait_makes_its_scenes_stale_until_they_render_again() {
    let s = server(simulated()).await;
    let drama = generated(&s).await;
    assert_eq!(render_all(&s, &drama.id).await.status, JobStatus::Completed);
    let rendered = s.client.get_drama(&drama.id).await.unwrap().value;
    // A scene image that shows a character, and that character's portrait.
    let (owner, image, cid) = assets(&rendered)
        .into_iter()
        .find_map(|(o, a)| {
            let c = a.depends_on.iter().find(|d| rendered.character(d).is_some())?.clone();
            (matches!(o, AssetOwner::Scene { .. }) && a.kind == AssetKind::Image).then_some((o, a, c))
        })
        .expect("a scene image showing a character");
    let portrait = format!("{cid}-portrait");
    let mut photo = Vec::new();
    s.client
        .download_media(image.url.as_deref().unwrap(), &mut photo)
        .await
        .unwrap();
    let uploaded = s
        .client
        .upload_asset_content(
            &drama.id,
            &AssetOwner::Character(cid.clone()),
            &portrait,
            "image/png",
            photo,
        )
        .await
        .unwrap();
    assert!(uploaded.value.url.as_deref().unwrap().starts_with("/media/"));

    let plan = s.client.render_plan(&drama.id, &RenderRequest::all()).await.unwrap();
    assert_eq!(plan.node(&image.id).unwrap().action, PlanAction::Stale, "{plan:?}");
    assert_eq!(plan.node(&portrait).unwrap().action, PlanAction::Skip, "{plan:?}");
    let job = s
        .client
        .render_asset(&drama.id, &owner, &image.id, false)
        .await
        .unwrap();
    let done = s.client.wait_for_job(&drama.id, &job.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{done:?}");
    let plan = s.client.render_plan(&drama.id, &RenderRequest::all()).await.unwrap();
    assert_eq!(plan.node(&image.id).unwrap().action, PlanAction::Skip, "{plan:?}");
    let again = s.client.get_drama(&drama.id).await.unwrap().value;
    let now = assets(&again).into_iter().find(|(_, a)| a.id == image.id).unwrap().1;
    assert_ne!(
        now.url, image.url,
        "the scene image was rendered again from the new portrait"
    );
}

#[tokio::test]
async fn uploads_of_other_types_are_415_and_past_the_limit_413() {
    let s = TestServer::with(Options {
        render: simulated(),
        media_limit: 1000,
        ..Default::default()
    })
    .await;
    let drama = generated(&s).await;
    let c = AssetOwner::Character(drama.characters[0].id.clone());
    let portrait = format!("{}-portrait", drama.characters[0].id);
    // The portrait exists once a render asked for it.
    s.client.render_plan(&drama.id, &RenderRequest::all()).await.unwrap();
    let job = s
        .client
        .generate_portrait(&drama.id, &drama.characters[0].id)
        .await
        .unwrap();
    s.client.wait_for_job(&drama.id, &job.job_id, WAIT).await.unwrap();
    let err = s
        .client
        .upload_asset_content(&drama.id, &c, &portrait, "text/plain", "hello")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(415), "{err}");
    let err = s
        .client
        .upload_asset_content(&drama.id, &c, &portrait, "video/mp4", vec![0u8; 10])
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(415), "a video for an image asset: {err}");
    let err = s
        .client
        .upload_asset_content(&drama.id, &c, &portrait, "image/png", vec![0u8; 5000])
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(413), "{err}");
    // Bytes that are not what the type says: a page sent as an image.
    let page = "<html><script>alert(document.cookie)</script></html>";
    let err = s
        .client
        .upload_asset_content(&drama.id, &c, &portrait, "image/png", page)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(415), "{err}");
    // Without a declared length, the limit still holds as the bytes stream in.
    let chunk = |i: usize| {
        let mut b = vec![1u8; 300];
        if i == 0 {
            b[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
        }
        Ok::<_, std::io::Error>(bytes::Bytes::from(b))
    };
    let chunks = futures::stream::iter((0..10).map(chunk));
    let err = s
        .client
        .upload_asset_stream(&drama.id, &c, &portrait, "image/png", chunks)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(413), "{err}");
    let stored = s
        .client
        .get_character(&drama.id, &drama.characters[0].id)
        .await
        .unwrap()
        .value;
    let kept = stored.assets.iter().find(|a| a.id == portrait).unwrap();
    assert!(
        kept.url.as_deref().is_some_and(|u| u.ends_with(".png")),
        "the rendered portrait is kept"
    );
}

#[tokio::test]
async fn render_routes_need_the_key_and_media_stays_open() {
    let s = TestServer::with(Options {
        render: simulated(),
        keys: vec!["k1".into()],
        ..Default::default()
    })
    .await;
    let drama = generated(&s).await;
    let c = drama.characters[0].id.clone();
    let job = s.client.generate_portrait(&drama.id, &c).await.unwrap();
    s.client.wait_for_job(&drama.id, &job.job_id, WAIT).await.unwrap();
    let url = s.client.get_character(&drama.id, &c).await.unwrap().value.url.unwrap();
    let anonymous = sfd_client::Client::new(&s.base);
    let err = anonymous.render(&drama.id, &RenderRequest::all()).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    let err = anonymous
        .render_plan(&drama.id, &RenderRequest::all())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    let err = anonymous
        .upload_asset_content(
            &drama.id,
            &AssetOwner::Character(c.clone()),
            &format!("{c}-portrait"),
            "image/png",
            vec![1u8],
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    let err = anonymous.cover_photo(&drama.id).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    let mut bytes = Vec::new();
    anonymous.download_media(&url, &mut bytes).await.unwrap();
    assert!(looks_like(AssetKind::Image, &bytes));
}

#[tokio::test]
async fn without_a_renderer_a_render_is_503_naming_the_settings() {
    let s = TestServer::start().await;
    let drama = generated(&s).await;
    let err = s.client.render(&drama.id, &RenderRequest::all()).await.unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    assert!(
        err.to_string().contains("SFD_IMAGE_API_BASE") || err.to_string().contains("NANO_BANANA"),
        "{err}"
    );
    // The dry run still plans, and shows what is blocked.
    let plan = s.client.render_plan(&drama.id, &RenderRequest::all()).await.unwrap();
    assert!(!plan.nodes.is_empty());
}

#[tokio::test]
async fn a_cancelled_render_keeps_what_finished_and_stops_the_calls_in_flight() {
    // Videos hold; portraits, images and speech go through.
    let held = Held::new(|r| r.kind == AssetKind::Video);
    let s = server(render_with(held.clone())).await;
    let drama = generated(&s).await;
    let started = s.client.render(&drama.id, &RenderRequest::all()).await.unwrap();
    held.holding(1).await;
    let cancelled = s.client.cancel_job(&drama.id, &started.job_id).await.unwrap();
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    let job = s.client.wait_for_job(&drama.id, &started.job_id, WAIT).await.unwrap();
    assert_eq!(job.status, JobStatus::Cancelled);
    let after = s.client.get_drama(&drama.id).await.unwrap().value;
    let (videos, others): (Vec<_>, Vec<_>) = assets(&after)
        .into_iter()
        .partition(|(_, a)| a.kind == AssetKind::Video);
    assert!(videos.iter().all(|(_, a)| a.url.is_none()), "no held video was saved");
    assert!(
        others.iter().any(|(_, a)| a.url.is_some()),
        "the portraits finished before the cancel stay saved"
    );
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_render_resumes_and_renders_each_asset_once() {
    let dir = tempfile::tempdir().unwrap();
    let storage = || -> Arc<dyn sfd_core::Storage> { Arc::new(StorageBuilder::local(dir.path()).build().unwrap()) };
    // The first server renders everything but videos, which it holds (all
    // at once: a scene has several shots).
    let first = Held::new(|r| r.kind == AssetKind::Video);
    let s = TestServer::with(Options {
        storage: Some(storage()),
        render: render_with(first.clone()).with_concurrency(AssetKind::Video, 64),
        ..Default::default()
    })
    .await;
    let drama = generated(&s).await;
    let started = s.client.render(&drama.id, &RenderRequest::all()).await.unwrap();
    let videos = assets(&s.client.get_drama(&drama.id).await.unwrap().value)
        .iter()
        .filter(|(_, a)| a.kind == AssetKind::Video)
        .count();
    first.holding(videos).await;
    s.stop().await;

    // A new server on the same folder picks the job up and finishes it.
    let second = Held::new(|_| false);
    let s = TestServer::with(Options {
        storage: Some(storage()),
        render: render_with(second.clone()),
        ..Default::default()
    })
    .await;
    let job = s.client.wait_for_job(&drama.id, &started.job_id, WAIT).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    let done = s.client.get_drama(&drama.id).await.unwrap().value;
    let all = assets(&done);
    assert!(all.iter().all(|(_, a)| a.url.is_some()));
    let (a, b) = (first.calls(), second.calls());
    for (_, asset) in &all {
        let total = a.get(&asset.id).unwrap_or(&0) + b.get(&asset.id).unwrap_or(&0);
        assert_eq!(total, 1, "{} was rendered {total} times", asset.id);
    }
    let held_videos = all.iter().filter(|(_, x)| x.kind == AssetKind::Video);
    assert!(held_videos.clone().all(|(_, v)| b.get(&v.id) == Some(&1)), "{b:?}");
    assert!(held_videos.clone().all(|(_, v)| !a.contains_key(&v.id)), "{a:?}");
}

#[tokio::test]
async fn the_old_aliases_and_file_uploads_work_through_the_client() {
    let s = server(render_with(Held::new(|_| false))).await;
    let drama = generated(&s).await;
    let (ep, c) = (drama.episodes[0].id.clone(), drama.characters[0].id.clone());

    // Nothing rendered yet: the audition and the cover are not found.
    assert_eq!(s.client.audition(&drama.id, &c).await.unwrap_err().status(), Some(404));
    assert_eq!(s.client.cover_photo(&drama.id).await.unwrap_err().status(), Some(404));

    let job = s.client.generate_episode_media(&drama.id, &ep).await.unwrap();
    let done = s.client.wait_for_job(&drama.id, &job.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{done:?}");
    let d = s.client.get_drama(&drama.id).await.unwrap().value;
    let episode = &d.episodes[0];
    assert!(episode.scenes.iter().flat_map(|sc| &sc.assets).all(|a| a.url.is_some()));

    let job = s.client.start_audition(&drama.id, &c).await.unwrap();
    let done = s.client.wait_for_job(&drama.id, &job.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{done:?}");
    let audition = s.client.audition(&drama.id, &c).await.unwrap();
    // An audition is a short clip of the character.
    assert_eq!(audition.kind, AssetKind::Video);
    let mut clip = Vec::new();
    s.client
        .download_media(audition.url.as_deref().unwrap(), &mut clip)
        .await
        .unwrap();
    assert!(looks_like(AssetKind::Video, &clip));

    let job = s.client.start_cover(&drama.id).await.unwrap();
    let done = s.client.wait_for_job(&drama.id, &job.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{done:?}");
    let cover = s.client.cover_photo(&drama.id).await.unwrap();
    let mut png = Vec::new();
    s.client.download_media(&cover, &mut png).await.unwrap();
    assert!(looks_like(AssetKind::Image, &png));

    // A file on disk becomes a scene image, streamed.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.png");
    std::fs::write(&path, &png).unwrap();
    let sc = &episode.scenes[0];
    let image = sc.assets.iter().find(|a| a.kind == AssetKind::Image).unwrap();
    let owner = AssetOwner::scene(&ep, &sc.id);
    let uploaded = s
        .client
        .upload_asset_file(&drama.id, &owner, &image.id, "image/png", &path)
        .await
        .unwrap()
        .value;
    let mut back = Vec::new();
    s.client
        .download_media(uploaded.url.as_deref().unwrap(), &mut back)
        .await
        .unwrap();
    assert_eq!(back, png);
    let err = s
        .client
        .upload_asset_file(
            &drama.id,
            &owner,
            &image.id,
            "image/png",
            dir.path().join("missing.png"),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("missing.png") || err.to_string().contains("No such file"),
        "{err}"
    );
}
