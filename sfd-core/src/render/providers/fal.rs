//! [`Fal`]: any model hosted on fal, through its queue API.
//!
//! Shapes from <https://docs.fal.ai/documentation/model-apis/inference/queue>
//! and <https://fal.ai/docs/inference-api/queue/status.md>: `POST
//! {queue}/{model_id}` with `Authorization: Key {FAL_KEY}` and the model's
//! input (`prompt`, `image_url` as a data URI, `duration`, `aspect_ratio`),
//! answering `{request_id}`; `GET {queue}/{app}/requests/{id}/status`
//! (`IN_QUEUE`, `IN_PROGRESS`, `COMPLETED`), then `GET
//! {queue}/{app}/requests/{id}` for the result (`video.url` or
//! `images[0].url`), or an error answer with `detail`. `{app}` is the
//! model id's first two segments (`fal-ai/kling-video/v2.1/…` → `fal-ai/kling-video`).

use async_trait::async_trait;
use serde_json::{Value, json};

use super::super::provider::Http;
use super::super::{Media, MediaRequest, ProviderConfig, TaskApi, TaskState};
use super::{call, download, field, inline, json, task_failed, task_id};
use crate::model::{AssetKind, MediaUsage};
use crate::{Error, LlmErrorKind, Result};

/// fal's queue base.
pub const FAL_QUEUE_BASE: &str = "https://queue.fal.run";

/// Any fal model (`FAL_KEY`), named in `SFD_{KIND}_MODEL`.
#[derive(Debug, Clone)]
pub struct Fal {
    http: Http,
}

impl Fal {
    /// A client for `config` (base [`FAL_QUEUE_BASE`], a key, a model id).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(Fal {
            http: Http::new("fal", config)?,
        })
    }

    /// The model's app: its first two path segments.
    fn app(&self) -> String {
        self.http
            .config
            .model()
            .split('/')
            .take(2)
            .collect::<Vec<_>>()
            .join("/")
    }

    fn keyed(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.http.key() {
            Some(k) => rb.header(reqwest::header::AUTHORIZATION, format!("Key {k}")),
            None => rb,
        }
    }

    /// The model input.
    pub fn request_body(request: &MediaRequest) -> Value {
        let mut body = json!({"prompt": request.prompt, "aspect_ratio": request.aspect_ratio.to_string()});
        if let Some(d) = request.duration {
            body["duration"] = json!(d.to_string());
        }
        match (request.kind, request.references.as_slice()) {
            (_, []) => {}
            (AssetKind::Video, [first, ..]) => body["image_url"] = json!(inline(first)),
            (_, refs) => body["image_urls"] = json!(refs.iter().map(inline).collect::<Vec<_>>()),
        }
        body
    }
}

#[async_trait]
impl TaskApi for Fal {
    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }

    async fn create(&self, request: &MediaRequest, _idempotency_key: &str) -> Result<String> {
        let url = self.http.url(self.model());
        let body = Self::request_body(request);
        let v = call(&self.http, false, |c| Ok(self.keyed(c.post(&url)).json(&body))).await?;
        task_id(&self.http, field(&self.http, &v, "/request_id")?)
    }

    async fn poll(&self, id: &str) -> Result<TaskState> {
        let app = self.app();
        let url = self.http.url(&format!("{app}/requests/{id}/status"));
        let v = call(&self.http, true, |c| Ok(self.keyed(c.get(&url)))).await?;
        match v["status"].as_str().unwrap_or_default() {
            "COMPLETED" => {}
            "IN_PROGRESS" => return Ok(TaskState::Running),
            _ => return Ok(TaskState::Queued),
        }
        let url = self.http.url(&format!("{app}/requests/{id}"));
        match self.http.send_raw(true, |c| Ok(self.keyed(c.get(&url)))).await {
            Ok(r) => Ok(TaskState::Succeeded(json(&self.http, &r.body)?)),
            // A request that failed answers its result with an error.
            Err(Error::Render {
                kind: LlmErrorKind::BadRequest | LlmErrorKind::Server,
                message,
                ..
            }) => Ok(TaskState::Failed(task_failed(&self.http, id, "", &message))),
            Err(e) => Err(e),
        }
    }

    async fn fetch(&self, _id: &str, answer: &Value) -> Result<Media> {
        let url = ["/video/url", "/images/0/url", "/image/url", "/audio/url"]
            .iter()
            .find_map(|p| answer.pointer(p).and_then(Value::as_str))
            .ok_or_else(|| self.http.error(LlmErrorKind::Decode, "the result has no file URL", 1))?;
        download(
            &self.http,
            url,
            MediaUsage {
                calls: 1,
                ..Default::default()
            },
        )
        .await
    }
}
