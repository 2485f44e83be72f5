//! A clip's frames and subject references, from the document to the
//! provider's own form: a shot asks for a last frame with
//! `metadata.last_frame`, a clip with no keyframe of its own carries its
//! characters as subject references within the model's cap; the plan shows
//! the role of each input and refuses what the model cannot take.
//!
//! Shapes: Kling `image2video` (`image`, `image_tail`)
//! <https://app.klingai.com/global/dev/document-api/apiReference/model/imageToVideo>
//! and `multi-image2video` (`image_list: [{image}]`, 1 to 4, kling-v1-6)
//! <https://app.klingai.com/global/dev/document-api/apiReference/model/multiImageToVideo>;
//! Seedance `content[]` roles `first_frame`, `last_frame`, `reference_image`
//! (never frames and references together; references on 1.0 lite i2v and
//! 2.0) <https://docs.byteplus.com/en/docs/ModelArk/1520757>.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use sfd_core::{
    Asset, AssetKind, Drama, Error, JobStatus, Kling, MediaKey, PlanAction, ReferenceRole, RenderConfig, RenderRequest,
    Renderer, Seedance, Storage, StorageBuilder, StorageExt, TaskApi, TaskRenderer, VideoPolling, plan_render,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::render_support::{sample, simulated, studio_with};
use crate::render_task_providers::{KEY, MP4, Sequence, body_of, config};

use ReferenceRole::{FirstFrame, LastFrame, Reference};

fn videos_by(api: impl TaskApi + 'static) -> RenderConfig {
    let tasks: Arc<dyn Renderer> = Arc::new(TaskRenderer::new(Arc::new(api), 2).with_polling(VideoPolling {
        first: Duration::from_millis(1),
        max_interval: Duration::from_millis(4),
        timeout: Duration::from_secs(30),
    }));
    let sim: Arc<dyn Renderer> = simulated();
    RenderConfig::new()
        .with_renderer(AssetKind::Image, Arc::clone(&sim))
        .with_renderer(AssetKind::Audio, sim)
        .with_renderer(AssetKind::Video, tasks)
}

fn kling(server: &MockServer, model: &str) -> Kling {
    Kling::new(config(server.uri(), model), "ak-test".into(), KEY.into()).unwrap()
}

fn seedance(server: &MockServer, model: &str) -> Seedance {
    Seedance::new(config(format!("{}/api/v3", server.uri()), model)).unwrap()
}

/// One scene whose clip starts on its keyframe and ends on `ep1-sc1-end`.
fn ending(id: &str) -> Drama {
    let mut d = sample(id, 2, 1, 1, 5, false);
    let scene = &mut d.episodes[0].scenes[0];
    let mut end = Asset::new("ep1-sc1-end", AssetKind::Image, "the rocket lands");
    end.depends_on = vec!["char-0".into()];
    scene.assets.insert(1, end);
    let clip = &mut scene.assets[2];
    clip.depends_on = vec!["ep1-sc1-end".into(), "ep1-sc1-img".into()];
    clip.metadata = Some(serde_json::from_value(json!({"last_frame": "ep1-sc1-end"})).unwrap());
    d
}

/// A clip with no keyframe: the episode's teaser, taking five characters
/// (a scene's clips always start on their shot's keyframe).
fn cast_only(id: &str) -> Drama {
    let mut d = sample(id, 5, 1, 1, 5, false);
    d.episodes[0].scenes[0].assets.truncate(1);
    let mut clip = Asset::new(TEASER, AssetKind::Video, "the crew lines up");
    clip.depends_on = (0..5).map(|c| format!("char-{c}")).collect();
    clip.duration = Some(5);
    d.episodes[0].assets.push(clip);
    d
}

const CLIP: &str = "ep1-sc1-vid";
const TEASER: &str = "ep1-teaser";

/// Renders `drama` with `api` for its clips; returns the stored drama.
async fn render(drama: &Drama, api: impl TaskApi + 'static) -> (Drama, Arc<dyn Storage>) {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(drama).await.unwrap();
    let studio = studio_with(Arc::clone(&storage), videos_by(api));
    let job = studio.start_render(&drama.id, RenderRequest::all()).await.unwrap();
    let done = studio.jobs().wait(&drama.id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    (storage.get_drama(&drama.id).await.unwrap().value, storage)
}

/// The raw base64 of the file `asset` of `d` was rendered to.
async fn base64_of(d: &mut Drama, storage: &Arc<dyn Storage>, asset: &str) -> String {
    let url = d
        .assets_mut()
        .find(|a| a.id == asset)
        .and_then(|a| a.url.clone())
        .unwrap();
    let key = MediaKey::from_url(&url).unwrap();
    let bytes = sfd_core::MediaStoreExt::read_media_bytes(storage.media().unwrap(), &key)
        .await
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A task made at `create`, polled at `poll` through queued and running to
/// `done`, whose file is served at `/files/out.mp4`.
async fn task(server: &MockServer, create: &str, created: Value, poll: &str, answers: Vec<Value>) {
    Mock::given(method("POST"))
        .and(path(create))
        .respond_with(ResponseTemplate::new(200).set_body_json(created))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(poll))
        .respond_with(Sequence::new(answers))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/out.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MP4, "video/mp4"))
        .expect(1)
        .mount(server)
        .await;
}

async fn kling_task(server: &MockServer, endpoint: &str) {
    let data = |s: &str| json!({"code": 0, "data": {"task_id": "k-1", "task_status": s}});
    let mut done = data("succeed");
    done["data"]["task_result"] =
        json!({"videos": [{"url": format!("{}/files/out.mp4", server.uri()), "duration": "5"}]});
    let at = format!("/v1/videos/{endpoint}");
    let poll = format!("{at}/k-1");
    task(
        server,
        &at,
        data("submitted"),
        &poll,
        vec![data("submitted"), data("processing"), done],
    )
    .await;
}

async fn seedance_task(server: &MockServer) {
    let done = json!({"id": "cgt-1", "status": "succeeded", "duration": 5,
        "content": {"video_url": format!("{}/files/out.mp4", server.uri())}});
    let poll = "/api/v3/contents/generations/tasks/cgt-1";
    let answers = vec![
        json!({"id": "cgt-1", "status": "queued"}),
        json!({"id": "cgt-1", "status": "running"}),
        done,
    ];
    task(
        server,
        "/api/v3/contents/generations/tasks",
        json!({"id": "cgt-1"}),
        poll,
        answers,
    )
    .await;
}

/// The plan's inputs and roles for `clip` of `d` rendered by `api`.
fn planned(
    d: &Drama,
    clip: &str,
    api: impl TaskApi + 'static,
) -> (PlanAction, String, Vec<String>, Vec<ReferenceRole>, Vec<String>) {
    let plan = plan_render(d, &RenderRequest::all(), &videos_by(api)).unwrap();
    let n = plan.node(clip).unwrap();
    let sent = n.sent.clone().unwrap_or_default();
    (
        n.action,
        n.reason.clone().unwrap_or_default(),
        sent.references,
        sent.roles,
        sent.notes,
    )
}

#[tokio::test]
async fn kling_starts_on_the_keyframe_and_ends_on_the_last_frame_as_image_and_image_tail() {
    let server = MockServer::start().await;
    let d = ending("drama_frames_k1");
    let (_, _, refs, roles, _) = planned(&d, CLIP, kling(&server, "kling-v2-1"));
    // The keyframe first, the last frame after it, whatever depends_on says.
    assert_eq!(refs, ["ep1-sc1-img", "ep1-sc1-end"]);
    assert_eq!(roles, [FirstFrame, LastFrame]);

    kling_task(&server, "image2video").await;
    let (mut done, storage) = render(&d, kling(&server, "kling-v2-1")).await;
    let body = body_of(&server, "/v1/videos/image2video").await;
    assert_eq!(body["image"], base64_of(&mut done, &storage, "ep1-sc1-img").await);
    assert_eq!(body["image_tail"], base64_of(&mut done, &storage, "ep1-sc1-end").await);
    assert_eq!(body["mode"], "pro", "an end frame is a pro-mode feature");
    assert!(body.get("image_list").is_none());
}

#[tokio::test]
async fn kling_v1_6_sends_a_clip_without_keyframe_as_multi_image2video_within_four() {
    let server = MockServer::start().await;
    let d = cast_only("drama_frames_k2");
    let (action, _, refs, roles, notes) = planned(&d, TEASER, kling(&server, "kling-v1-6"));
    assert_eq!(action, PlanAction::Render);
    // The main character first; the fifth is left out, and the plan says so.
    assert_eq!(refs.len(), 4, "{refs:?} {roles:?}");
    assert_eq!(refs[0], "char-0-portrait");
    assert_eq!(roles, [Reference; 4]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("4 of 5 references sent (kling-v1-6 takes at most 4)")),
        "{notes:?}"
    );

    kling_task(&server, "multi-image2video").await;
    let (mut done, storage) = render(&d, kling(&server, "kling-v1-6")).await;
    let body = body_of(&server, "/v1/videos/multi-image2video").await;
    let list = body["image_list"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    for (item, id) in list.iter().zip(&refs) {
        assert_eq!(item["image"], base64_of(&mut done, &storage, id).await);
    }
    assert_eq!(body["model_name"], "kling-v1-6");
    assert_eq!(body["aspect_ratio"], "9:16");
    assert!(body.get("image").is_none() && body.get("image_tail").is_none());

    // Other Kling models have no subject mode: the clip starts on the first input.
    let (_, _, refs, roles, _) = planned(&d, TEASER, kling(&server, "kling-v2-1"));
    assert_eq!((refs, roles), (vec!["char-0-portrait".to_string()], vec![FirstFrame]));
}

#[tokio::test]
async fn seedance_sends_first_and_last_frame_roles() {
    let server = MockServer::start().await;
    let d = ending("drama_frames_s1");
    let model = "doubao-seedance-1-0-pro-250528";
    let (_, _, refs, roles, _) = planned(&d, CLIP, seedance(&server, model));
    assert_eq!(
        (refs.as_slice(), roles.as_slice()),
        (
            &["ep1-sc1-img".to_string(), "ep1-sc1-end".into()][..],
            &[FirstFrame, LastFrame][..]
        )
    );

    seedance_task(&server).await;
    let (mut done, storage) = render(&d, seedance(&server, model)).await;
    let body = body_of(&server, "/api/v3/contents/generations/tasks").await;
    let content = body["content"].as_array().unwrap();
    assert_eq!(content[0]["type"], "text");
    let images: Vec<(&str, &str)> = content[1..]
        .iter()
        .map(|c| (c["role"].as_str().unwrap(), c["image_url"]["url"].as_str().unwrap()))
        .collect();
    let first = base64_of(&mut done, &storage, "ep1-sc1-img").await;
    let last = base64_of(&mut done, &storage, "ep1-sc1-end").await;
    assert_eq!(images.len(), 2);
    assert_eq!(images[0].0, "first_frame");
    assert!(images[0].1.ends_with(&first), "the first frame is the keyframe");
    assert_eq!(images[1].0, "last_frame");
    assert!(images[1].1.ends_with(&last), "the last frame is metadata.last_frame");
}

#[tokio::test]
async fn seedance_lite_sends_the_cast_as_reference_images_within_four() {
    let server = MockServer::start().await;
    let d = cast_only("drama_frames_s2");
    let model = "doubao-seedance-1-0-lite-i2v-250428";
    let (_, _, refs, roles, notes) = planned(&d, TEASER, seedance(&server, model));
    assert_eq!((refs.len(), roles), (4, vec![Reference; 4]));
    assert!(notes.iter().any(|n| n.contains("at most 4")), "{notes:?}");

    seedance_task(&server).await;
    let (mut done, storage) = render(&d, seedance(&server, model)).await;
    let body = body_of(&server, "/api/v3/contents/generations/tasks").await;
    let content = body["content"].as_array().unwrap();
    assert_eq!(content.len(), 5, "the prompt and four references");
    for (c, id) in content[1..].iter().zip(&refs) {
        assert_eq!(c["role"], "reference_image");
        assert!(
            c["image_url"]["url"]
                .as_str()
                .unwrap()
                .ends_with(&base64_of(&mut done, &storage, id).await)
        );
    }
}

#[tokio::test]
async fn the_plan_refuses_a_last_frame_the_model_cannot_take_naming_the_limit() {
    let server = MockServer::start().await;
    // Seedance 1.0 pro fast starts on a first frame only.
    let d = ending("drama_frames_r1");
    let (action, reason, ..) = planned(&d, CLIP, seedance(&server, "doubao-seedance-1-0-pro-fast-251015"));
    assert_eq!(action, PlanAction::Blocked);
    assert!(
        reason.contains("doubao-seedance-1-0-pro-fast-251015 takes no last frame")
            && reason.contains("ep1-sc1-end (metadata.last_frame)"),
        "{reason}"
    );
    // A last frame with no keyframe to start from.
    let mut d = ending("drama_frames_r2");
    d.episodes[0].scenes[0].assets[2].depends_on = vec!["ep1-sc1-end".into()];
    let (action, reason, ..) = planned(&d, CLIP, kling(&server, "kling-v2-1"));
    assert_eq!(action, PlanAction::Blocked);
    assert!(reason.contains("needs a first frame"), "{reason}");
    // A last frame that is not one of the clip's inputs is a document problem.
    let mut d = ending("drama_frames_r3");
    d.episodes[0].scenes[0].assets[2].depends_on = vec!["ep1-sc1-img".into()];
    let e = plan_render(&d, &RenderRequest::all(), &videos_by(kling(&server, "kling-v2-1"))).unwrap_err();
    assert!(
        matches!(&e, Error::Invalid(p) if p.0[0].path == "ep1-sc1-vid.metadata.last_frame"),
        "{e}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was paid for"
    );
}
