//! The task providers against wiremock, each following its documented
//! request and answer shapes (cited in each provider's module): create,
//! poll through queued → running → succeeded, download, a failed task;
//! references in the provider's own form; the key in the right header and
//! never in an error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use sfd_core::llm::RetryPolicy;
use sfd_core::{
    AspectRatio, Error, LlmErrorKind, MediaType, ProviderConfig, Reference, RendererExt, Seedance, TaskApi,
    TaskRenderer, VideoPolling,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const KEY: &str = "task-provider-secret-0123456789";
pub const MP4: &[u8] = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41 fake";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-fake-image";

pub fn config(base: String, model: &str) -> ProviderConfig {
    ProviderConfig::new(base, Some(KEY.into()), model)
        .with_retry(RetryPolicy {
            max_retries: 1,
            slow_retries: 1,
            base: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .with_timeout(Duration::from_secs(5))
}

/// Drives `api` with quick polls.
pub fn driver(api: impl TaskApi + 'static) -> TaskRenderer {
    TaskRenderer::new(Arc::new(api), 2).with_polling(VideoPolling {
        first: Duration::from_millis(1),
        max_interval: Duration::from_millis(4),
        timeout: Duration::from_secs(10),
    })
}

pub fn frame(name: &str) -> Reference {
    Reference {
        name: name.into(),
        media_type: MediaType::Png,
        bytes: Bytes::from_static(PNG),
    }
}

/// Answers each poll with the next of `answers`, then the last one again.
pub struct Sequence {
    answers: Vec<Value>,
    next: AtomicUsize,
}

impl Sequence {
    pub fn new(answers: Vec<Value>) -> Self {
        Sequence {
            answers,
            next: AtomicUsize::new(0),
        }
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.next.fetch_add(1, Ordering::SeqCst).min(self.answers.len() - 1);
        ResponseTemplate::new(200).set_body_json(self.answers[i].clone())
    }
}

/// The body of the first request to `at`.
pub async fn body_of(server: &MockServer, at: &str) -> Value {
    let reqs = server.received_requests().await.unwrap();
    let r = reqs.iter().find(|r| r.url.path() == at).expect("no such request");
    serde_json::from_slice(&r.body).unwrap()
}

/// Asserts the error is `kind` and holds no key.
pub fn typed(e: &Error, kind: LlmErrorKind) {
    assert!(
        matches!(e, Error::Render { kind: k, .. } if *k == kind),
        "{e:?} is not {kind:?}"
    );
    assert!(!e.to_string().contains(KEY) && !format!("{e:?}").contains(KEY), "{e}");
}

#[tokio::test]
async fn seedance_creates_polls_and_downloads_with_the_first_frame() {
    let server = MockServer::start().await;
    let tasks = "/api/v3/contents/generations/tasks";
    Mock::given(method("POST"))
        .and(path(tasks))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "cgt-2025-abc"})))
        .expect(1)
        .mount(&server)
        .await;
    let video_url = format!("{}/files/clip.mp4", server.uri());
    Mock::given(method("GET"))
        .and(path(format!("{tasks}/cgt-2025-abc")))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(Sequence::new(vec![
            json!({"id": "cgt-2025-abc", "status": "queued"}),
            json!({"id": "cgt-2025-abc", "status": "running"}),
            json!({"id": "cgt-2025-abc", "status": "succeeded", "duration": 5,
                "content": {"video_url": video_url}, "usage": {"completion_tokens": 108900}}),
        ]))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/clip.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MP4, "video/mp4"))
        .expect(1)
        .mount(&server)
        .await;
    let api = Seedance::new(config(
        format!("{}/api/v3", server.uri()),
        "doubao-seedance-1-0-pro-250528",
    ))
    .unwrap();
    let out = driver(api)
        .video("the corgi lifts off", Some(frame("sc1-img")), AspectRatio::PORTRAIT, 5)
        .await
        .unwrap();
    assert_eq!(
        (out.media_type, out.usage.seconds, out.provider.as_str()),
        (MediaType::Mp4, 5.0, "seedance")
    );
    let body = body_of(&server, tasks).await;
    assert_eq!(body["model"], "doubao-seedance-1-0-pro-250528");
    assert_eq!(
        body["content"][0],
        json!({"type": "text", "text": "the corgi lifts off"})
    );
    assert_eq!(body["content"][1]["type"], "image_url");
    assert_eq!(body["content"][1]["role"], "first_frame");
    assert!(
        body["content"][1]["image_url"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(
        (body["ratio"].as_str(), body["duration"].as_u64()),
        (Some("9:16"), Some(5))
    );
    // The download carries no key.
    let reqs = server.received_requests().await.unwrap();
    let file = reqs.iter().find(|r| r.url.path() == "/files/clip.mp4").unwrap();
    assert!(file.headers.get("authorization").is_none());
}

#[tokio::test]
async fn a_failed_seedance_task_is_a_typed_error_without_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "cgt-bad"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v3/contents/generations/tasks/cgt-bad"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "cgt-bad", "status": "failed",
            "error": {"code": "OutputVideoSensitiveContentDetected", "message": "the output was flagged"}})),
        )
        .mount(&server)
        .await;
    let api = Seedance::new(config(format!("{}/api/v3", server.uri()), "doubao-seedance-1-0-lite")).unwrap();
    let e = driver(api)
        .video("x", None, AspectRatio::PORTRAIT, 5)
        .await
        .unwrap_err();
    typed(&e, LlmErrorKind::Refusal);
    assert!(
        e.to_string().contains("cgt-bad") && e.to_string().contains("flagged"),
        "{e}"
    );
    // A refused key: a 401 is not retried and does not echo the key.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": {"code": "AuthenticationError",
            "message": format!("the API key {KEY} is invalid")}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let api = Seedance::new(config(format!("{}/api/v3", server.uri()), "m")).unwrap();
    let e = driver(api)
        .video("x", None, AspectRatio::PORTRAIT, 5)
        .await
        .unwrap_err();
    typed(&e, LlmErrorKind::Auth);
}
