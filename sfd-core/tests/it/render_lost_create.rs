//! A create call whose answer is lost is never sent again blindly.
//!
//! The provider (wiremock) answers the create only after the client's
//! timeout, so the task may exist at the provider while sfd does not know
//! its id. The render fails saying so; the next render of the drama then:
//! (a) resends the create under the same idempotency key where the API
//! takes one, (b) finds the task by its key where the API can be asked
//! (Kling's `external_task_id`) and polls it, (c) creates once more when the
//! lookup says nothing was made, and (d) otherwise stops, saying the
//! outcome is unknown, without a second create.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Value, json};
use sfd_core::{
    AssetKind, Error, JobStatus, Kling, LlmErrorKind, Media, MediaRequest, MediaType, MediaUsage, ProviderConfig,
    RenderConfig, RenderRequest, Renderer, Seedance, Storage, StorageBuilder, StorageExt, TaskApi, TaskRenderer,
    TaskState, VideoPolling,
};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::render_support::{sample, simulated, studio_with};
use crate::render_task_providers::{KEY, MP4, config};

/// Long enough that the client gives up first (its timeout is 1 s).
const LOST: Duration = Duration::from_secs(120);

/// A provider client that gives up on an answer after 1 s.
fn impatient(base: String, model: &str) -> ProviderConfig {
    config(base, model).with_timeout(Duration::from_secs(1))
}

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

/// Renders `drama` twice with `api` for its one scene video: the first
/// render's create is lost; returns both jobs' ends (status, error).
async fn render_twice(drama: &str, api: impl TaskApi + 'static) -> [(JobStatus, String); 2] {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(&sample(drama, 1, 1, 1, 5, false)).await.unwrap();
    let studio = studio_with(Arc::clone(&storage), videos_by(api));
    let mut ends = Vec::new();
    for _ in 0..2 {
        let job = studio.start_render(drama, RenderRequest::all()).await.unwrap();
        let done = studio.jobs().wait(drama, &job.job_id).await.unwrap();
        ends.push((done.status, done.error.unwrap_or_default()));
    }
    ends.try_into().unwrap()
}

fn lost_then_unknown(first: &str) {
    assert!(
        first.contains("outcome is unknown") && first.contains("not sent again"),
        "the lost create's error does not say so: {first}"
    );
    assert!(!first.contains(KEY), "{first}");
}

// ---- (a) an API that takes an idempotency key ------------------------------

/// A gateway taking the `Idempotency-Key` header of
/// <https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/>
/// (none of the shipped providers documents one): a create repeated with
/// the same key answers the task that key made.
#[derive(Debug)]
struct Keyed {
    base: String,
    http: reqwest::Client,
}

fn failed(kind: LlmErrorKind, message: String) -> Error {
    Error::Render {
        provider: "keyed".into(),
        kind,
        status: None,
        message,
        attempts: 1,
    }
}

fn sent(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        LlmErrorKind::Timeout
    } else {
        LlmErrorKind::Connection
    };
    failed(kind, format!("the request failed: {e}"))
}

#[async_trait]
impl TaskApi for Keyed {
    fn provider(&self) -> &str {
        "keyed"
    }
    fn model(&self) -> &str {
        "keyed-1"
    }
    fn idempotent(&self) -> bool {
        true
    }
    async fn create(&self, request: &MediaRequest, idempotency_key: &str) -> sfd_core::Result<String> {
        let v: Value = self
            .http
            .post(format!("{}/v1/tasks", self.base))
            .header("Idempotency-Key", idempotency_key)
            .json(&json!({"prompt": request.prompt}))
            .send()
            .await
            .map_err(sent)?
            .json()
            .await
            .map_err(sent)?;
        Ok(v["id"].as_str().unwrap_or_default().to_string())
    }
    async fn poll(&self, id: &str) -> sfd_core::Result<TaskState> {
        let v: Value = self
            .http
            .get(format!("{}/v1/tasks/{id}", self.base))
            .send()
            .await
            .map_err(sent)?
            .json()
            .await
            .map_err(sent)?;
        Ok(match v["status"].as_str() {
            Some("succeeded") => TaskState::Succeeded(v),
            _ => TaskState::Running,
        })
    }
    async fn fetch(&self, _id: &str, _answer: &Value) -> sfd_core::Result<Media> {
        Ok(Media {
            bytes: Bytes::from_static(MP4),
            media_type: MediaType::Mp4,
            usage: MediaUsage {
                calls: 1,
                ..Default::default()
            },
            provider: "keyed".into(),
            model: "keyed-1".into(),
            speech: None,
        })
    }
}

/// Makes one task per idempotency key; the first create's answer comes
/// too late to be read.
#[derive(Default)]
struct ByKey {
    tasks: Mutex<HashMap<String, String>>,
    creates: Mutex<Vec<String>>,
}

/// The mock's handle on the shared [`ByKey`].
struct Shared(Arc<ByKey>);

impl Respond for Shared {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let this = &self.0;
        let key = request
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let first = {
            let mut creates = this.creates.lock().unwrap();
            creates.push(key.clone());
            creates.len() == 1
        };
        let id = {
            let mut tasks = this.tasks.lock().unwrap();
            let n = tasks.len();
            tasks.entry(key).or_insert_with(|| format!("task-{n}")).clone()
        };
        let answer = ResponseTemplate::new(200).set_body_json(json!({"id": id, "status": "queued"}));
        if first { answer.set_delay(LOST) } else { answer }
    }
}

#[tokio::test]
async fn a_lost_create_is_resent_under_the_same_idempotency_key_and_makes_one_task() {
    let server = MockServer::start().await;
    let provider = Arc::new(ByKey::default());
    Mock::given(method("POST"))
        .and(path("/v1/tasks"))
        .respond_with(Shared(Arc::clone(&provider)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/tasks/task-0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "task-0", "status": "succeeded"})))
        .mount(&server)
        .await;
    let api = Keyed {
        base: server.uri(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap(),
    };
    let [(first, lost), (second, error)] = render_twice("drama_lost_a", api).await;
    assert_eq!(first, JobStatus::Failed, "the lost create did not fail the node");
    lost_then_unknown(&lost);
    assert!(lost.contains("same idempotency key"), "{lost}");
    assert_eq!(second, JobStatus::Completed, "{error}");
    let creates = provider.creates.lock().unwrap().clone();
    assert_eq!(creates.len(), 2, "{creates:?}");
    assert!(
        creates[0].starts_with("sfd-") && creates[0] == creates[1],
        "the create was resent under another key: {creates:?}"
    );
    assert_eq!(provider.tasks.lock().unwrap().len(), 1, "a second task was made");
}

// ---- (b), (c) Kling: looked up by external_task_id -------------------------

/// Kling's create, answered too late (shape of
/// <https://app.klingai.com/global/dev/document-api/apiReference/model/imageToVideo>).
async fn kling_create_lost(server: &MockServer, expected: u64) {
    Mock::given(method("POST"))
        .and(path("/v1/videos/image2video"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": 0, "message": "SUCCEED",
                    "data": {"task_id": "k-lost", "task_status": "submitted"}}))
                .set_delay(LOST),
        )
        .up_to_n_times(1)
        .expect(expected.min(1))
        .mount(server)
        .await;
}

/// Task `id` has succeeded with a file at the server; queried once.
async fn kling_done(server: &MockServer, id: &str) {
    let url = format!("{}/files/k.mp4", server.uri());
    Mock::given(method("GET"))
        .and(path(format!("/v1/videos/image2video/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 0, "data": {
            "task_id": id, "task_status": "succeed",
            "task_result": {"videos": [{"id": "v", "url": url, "duration": "5"}]}}})))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/k.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MP4, "video/mp4"))
        .expect(1)
        .mount(server)
        .await;
}

fn kling(server: &MockServer) -> Kling {
    Kling::new(impatient(server.uri(), "kling-v2-1"), "ak-test".into(), KEY.into()).unwrap()
}

fn creates_at(reqs: &[Request], at: &str) -> usize {
    reqs.iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == at)
        .count()
}

#[tokio::test]
async fn kling_finds_the_task_a_lost_create_made_by_its_external_task_id_and_polls_it() {
    let server = MockServer::start().await;
    kling_create_lost(&server, 1).await;
    // The single-task query takes our external_task_id in place of the task
    // id (<https://app.klingai.com/global/dev/document-api/apiReference/model/imageToVideo>,
    // "Query Task (Single)") and answers the task it names.
    Mock::given(method("GET"))
        .and(path_regex(r"^/v1/videos/image2video/sfd-[0-9a-f]{32}$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 0, "data": {
            "task_id": "k-lost", "task_status": "processing"}})))
        .expect(1)
        .mount(&server)
        .await;
    kling_done(&server, "k-lost").await;
    let [(first, lost), (second, error)] = render_twice("drama_lost_b", kling(&server)).await;
    assert_eq!(first, JobStatus::Failed);
    lost_then_unknown(&lost);
    assert_eq!(second, JobStatus::Completed, "{error}");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(
        creates_at(&reqs, "/v1/videos/image2video"),
        1,
        "a second task was created"
    );
    // The lookup used the key the lost create carried.
    let create = reqs.iter().find(|r| r.method.as_str() == "POST").unwrap();
    let key = serde_json::from_slice::<Value>(&create.body).unwrap()["external_task_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reqs.iter()
            .any(|r| r.url.path() == format!("/v1/videos/image2video/{key}")),
        "the task was not looked up by the lost create's external_task_id {key}"
    );
}

#[tokio::test]
async fn kling_creates_once_more_when_the_lookup_says_the_lost_create_made_nothing() {
    let server = MockServer::start().await;
    kling_create_lost(&server, 1).await;
    // Neither endpoint knows the key: 404 (Kling's error table,
    // <https://app.klingai.com/global/dev/document-api/apiReference/commonInfo>).
    Mock::given(method("GET"))
        .and(path_regex(r"^/v1/videos/(image2video|text2video)/sfd-[0-9a-f]{32}$"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"code": 1203, "message": "task not found"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/videos/image2video"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"code": 0, "message": "SUCCEED",
            "data": {"task_id": "k-new", "task_status": "submitted"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    kling_done(&server, "k-new").await;
    let [(first, lost), (second, error)] = render_twice("drama_lost_c", kling(&server)).await;
    assert_eq!(first, JobStatus::Failed);
    lost_then_unknown(&lost);
    assert_eq!(second, JobStatus::Completed, "{error}");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(
        creates_at(&reqs, "/v1/videos/image2video"),
        2,
        "one lost create and one new create"
    );
    let keys: Vec<String> = reqs
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["external_task_id"].to_string())
        .collect();
    assert_eq!(keys[0], keys[1], "the new create is sent under the same key");
}

// ---- (d) neither: Seedance ---------------------------------------------------

#[tokio::test]
async fn a_provider_that_can_neither_dedupe_nor_be_asked_stops_without_a_second_create() {
    let server = MockServer::start().await;
    // <https://docs.byteplus.com/en/docs/ModelArk/1520757>: no idempotency
    // key, and the task list cannot be searched by anything of ours.
    Mock::given(method("POST"))
        .and(path("/api/v3/contents/generations/tasks"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "cgt-lost"}))
                .set_delay(LOST),
        )
        .expect(1)
        .mount(&server)
        .await;
    let api = Seedance::new(impatient(
        format!("{}/api/v3", server.uri()),
        "doubao-seedance-1-0-pro-250528",
    ))
    .unwrap();
    let [(first, lost), (second, error)] = render_twice("drama_lost_d", api).await;
    assert_eq!(first, JobStatus::Failed);
    lost_then_unknown(&lost);
    assert_eq!(second, JobStatus::Failed, "the second render went on: {error}");
    assert!(
        error.contains("outcome is unknown") && error.contains("cannot be asked") && error.contains("not sent again"),
        "{error}"
    );
    assert!(!error.contains(KEY), "{error}");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(creates_at(&reqs, "/api/v3/contents/generations/tasks"), 1);
}
