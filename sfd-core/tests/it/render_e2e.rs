//! Rendering end to end with the simulated renderer, on memory, the local
//! folder and SeaweedFS: decodable files, references, media files,
//! clean-up, concurrent edits and resume after a crash.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use sfd_core::generate::portrait_id;
use sfd_core::render::voice_for;
use sfd_core::{
    AspectRatio, AssetKind, AssetOwner, ByteRange, CollectOptions, EditExt, Error, GenerationRequest, JobStatus, Media,
    MediaKey, MediaRequest, MediaStoreExt, MediaType, PlanAction, RenderRecord, RenderRequest, RenderResult, Renderer,
    ScenePatch, Storage, StorageExt, sha256_hex,
};

use crate::backends::TestStore;
use crate::render_support::{
    Gate, mp4_seconds, png_size, priced_with, sample, simulated, studio, studio_with, wav_length,
};

crate::conformance_tests!(
    a_generated_drama_renders_to_decodable_files_with_its_references,
    media_files_are_written_once_and_read_in_ranges,
    files_no_document_points_at_are_collected,
    edits_during_a_render_are_never_lost,
    a_crashed_render_resumes_and_pays_each_call_once,
);

async fn bytes_of(studio: &sfd_core::Studio, url: &str) -> Bytes {
    let key = MediaKey::from_url(url).unwrap_or_else(|| panic!("{url} is not a media URL"));
    let read = studio.read_media(key.path(), None).await.unwrap();
    let chunks: Vec<Bytes> = read.body.try_collect().await.unwrap();
    Bytes::from(chunks.concat())
}

fn result_of(job: &sfd_core::Job) -> RenderResult {
    serde_json::from_value(serde_json::Value::Object(job.result.clone().unwrap())).unwrap()
}

async fn a_generated_drama_renders_to_decodable_files_with_its_references(s: TestStore) {
    let sim = simulated();
    let studio = studio_with(Arc::clone(&s.storage), priced_with(sim.clone()));
    let job = studio
        .start_generation(GenerationRequest {
            premise: "a corgi builds a rocket".into(),
            episodes: Some(1),
            scenes_per_episode: Some(2),
            ..Default::default()
        })
        .await
        .unwrap();
    let id = job.drama_id.clone();
    assert_eq!(
        studio.jobs().wait(&id, &job.job_id).await.unwrap().status,
        JobStatus::Completed
    );

    let job = studio.start_render(&id, RenderRequest::all()).await.unwrap();
    assert_eq!(job.kind, sfd_core::JobType::RenderDrama);
    let done = studio.jobs().wait(&id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    let result = result_of(&done);
    let progress = done.progress.unwrap();
    assert_eq!(progress.done, progress.total);

    let drama = studio.storage().get_drama(&id).await.unwrap().value;
    let mut assets: Vec<(AssetOwner, sfd_core::Asset)> = Vec::new();
    for c in &drama.characters {
        assets.extend(
            c.assets
                .iter()
                .map(|a| (AssetOwner::Character(c.id.clone()), a.clone())),
        );
        assert_eq!(c.url, c.assets[0].url, "the character's url is its portrait");
    }
    assets.extend(drama.assets.iter().map(|a| (AssetOwner::Drama, a.clone())));
    for e in &drama.episodes {
        assets.extend(e.assets.iter().map(|a| (AssetOwner::Episode(e.id.clone()), a.clone())));
    }
    for s in drama.episodes.iter().flat_map(|e| &e.scenes) {
        assets.extend(s.assets.iter().map(|a| (AssetOwner::scene("ep1", &s.id), a.clone())));
        assert_eq!(s.image_url, s.assets[0].url);
        assert_eq!(s.video_url, s.assets[1].url);
    }
    assert_eq!(result.rendered.len(), assets.len());
    assert!(result.failed.is_empty() && result.skipped.is_empty());
    let mut total = 0.0;
    for (_, a) in &assets {
        let url = a.url.as_deref().unwrap_or_else(|| panic!("{} has no url", a.id));
        assert!(url.starts_with("/media/media/"), "{url}");
        let bytes = bytes_of(&studio, url).await;
        let rec = RenderRecord::of(a).unwrap();
        assert_eq!((rec.provider.as_str(), rec.bytes), ("simulated", bytes.len() as u64));
        assert_eq!(rec.job_id.as_deref(), Some(job.job_id.as_str()));
        assert_eq!(
            rec.key.as_deref(),
            MediaKey::from_url(url).map(|k| k.path().to_string()).as_deref()
        );
        total += rec.cost_usd;
        match a.kind {
            AssetKind::Image => {
                assert_eq!(png_size(&bytes), AspectRatio::PORTRAIT.fit(96));
                assert_eq!(rec.cost_usd, 0.04);
            }
            AssetKind::Audio => {
                assert!((wav_length(&bytes) - rec.usage.seconds).abs() < 0.01);
                assert_eq!(rec.content_type, "audio/wav");
            }
            AssetKind::Video => {
                let want = a.duration.unwrap() as f64;
                assert!(
                    (mp4_seconds(&bytes) - want).abs() < 0.3,
                    "{} is not {want} s long",
                    a.id
                );
                assert!((rec.cost_usd - want * 0.1).abs() < 1e-9);
            }
        }
    }
    assert!((result.cost_usd - total).abs() < 1e-6);
    assert_eq!(result.usage.calls as usize, assets.len());

    // Each call received the files of exactly what the asset depends on.
    let url_of = |asset_id: &str| {
        assets
            .iter()
            .find(|(_, a)| a.id == asset_id)
            .and_then(|(_, a)| a.url.clone())
    };
    let calls = sim.calls();
    assert_eq!(calls.len(), assets.len());
    // The references chosen per node are those the plan lists (a shot's
    // keyframe also takes the scene's previous keyframe, for continuity).
    let plan = studio.plan_render(&id, &RenderRequest::all()).await.unwrap();
    for (_, a) in &assets {
        let call = calls.iter().find(|c| c.label == a.id).unwrap();
        let wanted: Vec<String> = match a.kind {
            AssetKind::Audio => Vec::new(),
            _ => plan.node(&a.id).unwrap().depends_on.clone(),
        };
        for d in &a.depends_on {
            let d = if drama.character(d).is_some() {
                portrait_id(d)
            } else {
                d.clone()
            };
            assert!(
                a.kind == AssetKind::Audio || wanted.contains(&d),
                "{}: {d} not sent",
                a.id
            );
        }
        assert_eq!(call.references, wanted, "{}", a.id);
        let hashes: Vec<String> = wanted
            .iter()
            .map(|w| MediaKey::from_url(&url_of(w).unwrap()).unwrap().hash().to_string())
            .collect();
        assert_eq!(call.reference_hashes, hashes, "{} got other files", a.id);
        if a.kind == AssetKind::Audio {
            let voice = match a.depends_on.first() {
                Some(c) => voice_for(drama.character(c).unwrap()).name,
                None => sfd_core::render::NARRATOR.to_string(),
            };
            assert_eq!(call.voice.as_deref(), Some(voice.as_str()));
        }
    }
    // Up to date now: a second plan skips everything.
    let plan = studio.plan_render(&id, &RenderRequest::all()).await.unwrap();
    assert!(plan.nodes.iter().all(|n| n.action == PlanAction::Skip), "{plan:?}");
}

async fn media_files_are_written_once_and_read_in_ranges(s: TestStore) {
    let media = s.storage.media().expect("every backend keeps media");
    let body = Bytes::from((0..=255u8).cycle().take(5000).collect::<Vec<u8>>());
    let info = media
        .store_media("drama_m1", "ep1-sc1-img", MediaType::Png, body.clone())
        .await
        .unwrap();
    assert_eq!(info.key.hash(), sha256_hex(&body));
    assert_eq!(
        info.key.path(),
        format!("media/drama_m1/ep1-sc1-img-{}.png", sha256_hex(&body))
    );
    assert_eq!((info.size, info.content_type()), (5000, "image/png"));
    assert_eq!(info.etag(), format!("\"{}\"", sha256_hex(&body)));
    // Written once: the same content again is the same file.
    let again = media
        .store_media("drama_m1", "ep1-sc1-img", MediaType::Png, body.clone())
        .await
        .unwrap();
    assert_eq!((again.key.clone(), again.size), (info.key.clone(), 5000));
    assert_eq!(media.read_media_bytes(&info.key).await.unwrap(), body);
    let read = media
        .read_media(&info.key, Some(ByteRange::Bounded { start: 10, end: 19 }))
        .await
        .unwrap();
    assert_eq!((read.range.clone(), read.info.size), (10..20, 5000));
    let part: Vec<Bytes> = read.body.try_collect().await.unwrap();
    assert_eq!(part.concat(), body[10..20].to_vec());
    let tail = media.read_media(&info.key, Some(ByteRange::Suffix(7))).await.unwrap();
    assert_eq!(tail.range, 4993..5000);
    assert!(matches!(
        media.read_media(&info.key, Some(ByteRange::From(5000))).await,
        Err(Error::RangeNotSatisfiable { size: 5000 })
    ));

    // Streamed uploads: hashed on the way, refused past the limit with nothing left.
    let chunks: Vec<Bytes> = (0..4).map(|i| Bytes::from(vec![i as u8; 300_000])).collect();
    let whole: Vec<u8> = chunks.concat();
    let stream = || futures::stream::iter(chunks.clone().into_iter().map(Ok)).boxed();
    let up = media
        .upload_media("drama_m1", "char-a-portrait", MediaType::Jpeg, stream(), 2_000_000)
        .await
        .unwrap();
    assert_eq!((up.key.hash(), up.size), (sha256_hex(&whole).as_str(), 1_200_000));
    assert_eq!(media.read_media_bytes(&up.key).await.unwrap(), whole);
    let listed_before = media.list_media().await.unwrap().len();
    let e = media
        .upload_media("drama_m1", "char-b-portrait", MediaType::Jpeg, stream(), 500_000)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::MediaTooLarge { limit: 500_000 }), "{e}");
    let listed = media.list_media().await.unwrap();
    assert_eq!(listed.len(), listed_before, "an upload over the limit left {listed:?}");
    assert!(listed.iter().all(|l| l.path.starts_with("media/drama_m1/")));

    assert!(media.delete_media(up.key.path()).await.unwrap());
    assert!(!media.delete_media(up.key.path()).await.unwrap());
    assert!(media.read_media(&up.key, None).await.unwrap_err().is_not_found());
    assert!(matches!(
        media.delete_media("dramas/x.json").await,
        Err(Error::Invalid(_))
    ));
}

async fn files_no_document_points_at_are_collected(s: TestStore) {
    let studio = studio(Arc::clone(&s.storage), simulated());
    let drama = sample("drama_gc1", 2, 1, 2, 2, false);
    s.storage.create_drama(&drama).await.unwrap();
    let images = RenderRequest {
        kinds: Some(vec![AssetKind::Image]),
        ..Default::default()
    };
    let job = studio.start_render("drama_gc1", images.clone()).await.unwrap();
    assert_eq!(
        studio.jobs().wait("drama_gc1", &job.job_id).await.unwrap().status,
        JobStatus::Completed
    );
    let old = studio.storage().get_drama("drama_gc1").await.unwrap().value;
    let old_portrait = old.characters[0].assets[0].url.clone().unwrap();

    // A new portrait prompt makes the portrait stale, and the scenes that use it.
    studio
        .storage()
        .update_asset(
            "drama_gc1",
            &AssetOwner::Character("char-0".into()),
            "char-0-portrait",
            sfd_core::AssetPatch {
                prompt: Some("a new look".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let plan = studio.plan_render("drama_gc1", &images).await.unwrap();
    let action = |id: &str| plan.node(id).map(|n| (n.action, n.reason.clone().unwrap_or_default()));
    assert_eq!(action("char-0-portrait").unwrap().0, PlanAction::Stale);
    let (a, why) = action("ep1-sc1-img").unwrap();
    assert_eq!(
        (a, why.as_str()),
        (PlanAction::Stale, "its input char-0-portrait is rendered again")
    );
    assert_eq!(action("char-1-portrait").unwrap().0, PlanAction::Skip);
    let only_portrait = RenderRequest::asset("char-0-portrait", false);
    let job = studio.start_render("drama_gc1", only_portrait).await.unwrap();
    studio.jobs().wait("drama_gc1", &job.job_id).await.unwrap();
    let plan = studio.plan_render("drama_gc1", &images).await.unwrap();
    assert_eq!(
        plan.node("ep1-sc1-img").unwrap().reason.as_deref(),
        Some("an input changed")
    );

    let now = CollectOptions {
        dry_run: true,
        min_age: Duration::ZERO,
    };
    let found = studio.collect_media_with(now).await.unwrap();
    let old_key = MediaKey::from_url(&old_portrait).unwrap().path().to_string();
    assert_eq!(found.files, std::slice::from_ref(&old_key));
    assert!(found.dry_run && found.bytes > 0);
    assert!(studio.read_media(&old_key, None).await.is_ok(), "a dry run deleted");
    // With the default grace period, nothing this young is touched.
    assert!(studio.collect_media(false).await.unwrap().files.is_empty());
    let gone = studio
        .collect_media_with(CollectOptions { dry_run: false, ..now })
        .await
        .unwrap();
    assert_eq!(gone.files, std::slice::from_ref(&old_key));
    assert!(studio.read_media(&old_key, None).await.unwrap_err().is_not_found());
    let current = studio.storage().get_drama("drama_gc1").await.unwrap().value;
    bytes_of(&studio, current.characters[0].url.as_deref().unwrap()).await;
    // A deleted drama leaves only garbage.
    studio.storage().delete_drama("drama_gc1", None).await.unwrap();
    let rest = studio
        .collect_media_with(CollectOptions { dry_run: false, ..now })
        .await
        .unwrap();
    assert_eq!(rest.files.len(), 2 + 2 + 1);
    assert!(s.storage.media().unwrap().list_media().await.unwrap().is_empty());
}

/// Edits the drama from inside every render call: the node's save must
/// keep it (and every other edit).
#[derive(Debug)]
struct Meddler {
    inner: Arc<dyn Renderer>,
    storage: Arc<dyn Storage>,
}

#[async_trait]
impl Renderer for Meddler {
    async fn render(&self, request: MediaRequest) -> sfd_core::Result<Media> {
        let label = request.label.clone();
        let id = "drama_edits1";
        let mark = format!(" / touched by {label}");
        if let Some(c) = label.strip_suffix("-portrait") {
            self.storage
                .modify_drama(id, None, |d| {
                    d.character_mut(c)?.description.push_str(&mark);
                    Ok(())
                })
                .await?;
        } else if let Some(scene) = label.strip_suffix("-img").or(label.strip_suffix("-aud")) {
            self.storage
                .modify_drama(id, None, |d| {
                    d.scene_mut("ep1", scene)?.description.push_str(&mark);
                    Ok(())
                })
                .await?;
            let patch = ScenePatch {
                metadata: Some(serde_json::json!({ "last": label }).as_object().cloned()),
                ..Default::default()
            };
            self.storage.update_scene(id, "ep1", scene, patch, None).await?;
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

async fn edits_during_a_render_are_never_lost(s: TestStore) {
    let drama = sample("drama_edits1", 3, 1, 4, 2, true);
    s.storage.create_drama(&drama).await.unwrap();
    let meddler = Arc::new(Meddler {
        inner: simulated(),
        storage: Arc::clone(&s.storage),
    });
    let studio = studio(Arc::clone(&s.storage), meddler);
    let req = RenderRequest {
        kinds: Some(vec![AssetKind::Image, AssetKind::Audio]),
        ..Default::default()
    };
    let job = studio.start_render("drama_edits1", req).await.unwrap();
    // Meanwhile, PATCHes from outside to every scene description.
    let outside = futures::future::join_all((1..=4).flat_map(|n| {
        let storage = Arc::clone(&s.storage);
        (0..5).map(move |k| {
            let storage = Arc::clone(&storage);
            async move {
                storage
                    .modify_drama("drama_edits1", None, |d| {
                        d.scene_mut("ep1", &format!("ep1-sc{n}"))?
                            .description
                            .push_str(&format!(" / outside {k}"));
                        Ok(())
                    })
                    .await
                    .unwrap();
            }
        })
    }));
    let (done, _) = tokio::join!(studio.jobs().wait("drama_edits1", &job.job_id), outside);
    let done = done.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    let d = studio.storage().get_drama("drama_edits1").await.unwrap().value;
    for sc in &d.episodes[0].scenes {
        for k in 0..5 {
            assert!(
                sc.description.contains(&format!(" / outside {k}")),
                "lost an outside edit: {}",
                sc.description
            );
        }
        for a in sc.assets.iter().filter(|a| a.kind != AssetKind::Video) {
            assert!(
                sc.description.contains(&format!("touched by {}", a.id)),
                "{}",
                sc.description
            );
            assert!(a.url.is_some(), "{} lost its url", a.id);
        }
        assert!(sc.metadata.as_ref().unwrap().contains_key("last"));
    }
    for c in &d.characters {
        assert!(
            c.description.contains(&format!("touched by {}-portrait", c.id)),
            "{}",
            c.description
        );
        assert!(c.assets[0].url.is_some());
    }
}

async fn a_crashed_render_resumes_and_pays_each_call_once(s: TestStore) {
    let drama = sample("drama_resume1", 2, 1, 3, 2, false);
    s.storage.create_drama(&drama).await.unwrap();
    let sim = simulated();
    // The first runner's videos and cover never finish: they are in flight at the crash.
    let gate = Gate::new(sim.clone(), |r| r.kind == AssetKind::Video || r.label == "cover");
    let first = studio(Arc::clone(&s.storage), gate.clone());
    let forced = RenderRequest {
        force: true,
        ..Default::default()
    };
    let job = first.start_render("drama_resume1", forced).await.unwrap();
    // The 3 videos and the cover have started, so every scene image (and
    // every portrait, each on screen) has been saved.
    gate.wait_hung(4).await;
    let saved = s.storage.get_drama("drama_resume1").await.unwrap().value;
    drop(first); // a crash: the lease is not renewed, the calls in flight are dropped
    gate.wait_dropped(4).await;

    let counter = Gate::counting(sim.clone());
    let second = studio(s.second_instance(), counter.clone());
    let done = second.jobs().wait("drama_resume1", &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(done.attempts, 2);
    let result = result_of(&done);
    assert!(result.skipped.iter().all(|s| s.reason == "rendered by this job"));

    let d = second.storage().get_drama("drama_resume1").await.unwrap().value;
    let mut ids: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    for c in &d.characters {
        let before = saved.character(&c.id).unwrap().assets[0].url.clone();
        ids.push((c.assets[0].id.clone(), before, c.assets[0].url.clone()));
    }
    ids.push(("cover".into(), None, d.assets[0].url.clone()));
    for (sc, before) in d.episodes[0].scenes.iter().zip(&saved.episodes[0].scenes) {
        for (a, b) in sc.assets.iter().zip(&before.assets) {
            ids.push((a.id.clone(), b.url.clone(), a.url.clone()));
        }
    }
    assert_eq!(ids.len(), 2 + 1 + 6);
    for (id, before, after) in &ids {
        assert!(after.is_some(), "{id} was never rendered");
        assert_eq!(
            gate.completed(id) + counter.completed(id),
            1,
            "{id} was paid for twice (or never)"
        );
        if before.is_some() {
            assert_eq!(before, after, "{id} was redone");
            assert_eq!(counter.started(id), 0, "{id} was called again");
        }
    }
    assert_eq!(
        sim.calls().len(),
        ids.len(),
        "every node rendered exactly once in total"
    );
}
