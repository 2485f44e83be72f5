//! [`Replicate`]: any model hosted on Replicate, through its predictions API.
//!
//! Shapes from <https://replicate.com/docs/topics/predictions> and
//! <https://replicate.com/docs/reference/http#models.predictions.create>:
//! `POST {base}/v1/models/{owner}/{name}/predictions` (or `POST
//! {base}/v1/predictions` with `version` for `owner/name:version`) with
//! `Authorization: Bearer` and `{input: {prompt, image | start_image |
//! first_frame_image (a data URI), duration, aspect_ratio}}` (an image
//! model's references as a list in `image_input`, as
//! <https://replicate.com/google/nano-banana> and
//! <https://replicate.com/bytedance/seedream-4> take them), answering
//! `{id, status}`; `GET {base}/v1/predictions/{id}` until `status` is
//! `succeeded` (`output`: a URL or a list of URLs) or `failed` / `canceled` (`error`).

use async_trait::async_trait;
use serde_json::{Value, json};

use super::super::provider::Http;
use super::super::{Media, MediaRequest, ProviderConfig, TaskApi, TaskState};
use super::{bearer, call, download, field, inline, task_failed, task_id};
use crate::model::{AssetKind, MediaUsage};
use crate::{LlmErrorKind, Result};

/// Replicate's API base.
pub const REPLICATE_API_BASE: &str = "https://api.replicate.com";

/// Any Replicate model (`REPLICATE_API_TOKEN`), named in `SFD_{KIND}_MODEL`.
#[derive(Debug, Clone)]
pub struct Replicate {
    http: Http,
}

impl Replicate {
    /// A client for `config` (base [`REPLICATE_API_BASE`], a token, `owner/name[:version]`).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(Replicate {
            http: Http::new("replicate", config)?,
        })
    }

    /// The input field a model takes its first frame in.
    fn image_field(&self) -> &'static str {
        let m = self.http.config.model().to_ascii_lowercase();
        if m.contains("kling") {
            "start_image"
        } else if m.contains("hailuo") || m.contains("minimax") {
            "first_frame_image"
        } else {
            "image"
        }
    }

    /// The body of the create call.
    pub fn request_body(&self, request: &MediaRequest) -> Value {
        let mut input = json!({"prompt": request.prompt, "aspect_ratio": request.aspect_ratio.to_string()});
        if let Some(d) = request.duration {
            input["duration"] = json!(d);
        }
        match (request.kind, request.references.as_slice()) {
            (_, []) => {}
            // Image models that take several references (nano-banana,
            // seedream-4, …) read them as a list in `image_input`.
            (AssetKind::Image, refs) => input["image_input"] = json!(refs.iter().map(inline).collect::<Vec<_>>()),
            (_, [first, ..]) => input[self.image_field()] = json!(inline(first)),
        }
        let mut body = json!({"input": input});
        if let Some((_, version)) = self.http.config.model().split_once(':') {
            body["version"] = json!(version);
        }
        body
    }
}

#[async_trait]
impl TaskApi for Replicate {
    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }

    async fn create(&self, request: &MediaRequest, _idempotency_key: &str) -> Result<String> {
        let url = match self.model().split_once(':') {
            Some(_) => self.http.url("v1/predictions"),
            None => self.http.url(&format!("v1/models/{}/predictions", self.model())),
        };
        let body = self.request_body(request);
        let v = call(&self.http, false, |c| Ok(bearer(&self.http, c.post(&url)).json(&body))).await?;
        task_id(&self.http, field(&self.http, &v, "/id")?)
    }

    async fn poll(&self, id: &str) -> Result<TaskState> {
        let url = self.http.url(&format!("v1/predictions/{id}"));
        let v = call(&self.http, true, |c| Ok(bearer(&self.http, c.get(&url)))).await?;
        Ok(match v["status"].as_str().unwrap_or_default() {
            "succeeded" => TaskState::Succeeded(v),
            "processing" => TaskState::Running,
            "failed" | "canceled" => TaskState::Failed(task_failed(
                &self.http,
                id,
                "",
                v["error"].as_str().unwrap_or(v["status"].as_str().unwrap_or_default()),
            )),
            _ => TaskState::Queued,
        })
    }

    async fn fetch(&self, _id: &str, answer: &Value) -> Result<Media> {
        let url = answer["output"]
            .as_str()
            .or_else(|| answer.pointer("/output/0").and_then(Value::as_str))
            .ok_or_else(|| {
                self.http
                    .error(LlmErrorKind::Decode, "the prediction has no output URL", 1)
            })?;
        let seconds = answer["metrics"]["video_output_duration_seconds"]
            .as_f64()
            .unwrap_or_default();
        download(
            &self.http,
            url,
            MediaUsage {
                calls: 1,
                seconds,
                ..Default::default()
            },
        )
        .await
    }
}
