//! [`MiniMax`]: MiniMax Hailuo video, as an asynchronous task with a file
//! retrieve step.
//!
//! Shapes from <https://platform.minimax.io/docs/api-reference/video/generation/api/openapi.json>
//! (and <https://platform.minimax.io/docs/api-reference/video-generation-i2v>):
//! `POST {base}/v1/video_generation` with `Authorization: Bearer` and
//! `{model, prompt, duration, resolution, first_frame_image?, last_frame_image?}`
//! (images as data URLs), answering `{task_id, base_resp: {status_code, status_msg}}`;
//! `GET {base}/v1/query/video_generation?task_id=` until `status` is
//! `Success` (`file_id`) or `Fail`; then `GET {base}/v1/files/retrieve?file_id=`
//! for `file.download_url`.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::super::provider::Http;
use super::super::{Media, MediaRequest, ProviderConfig, TaskApi, TaskState};
use super::{bearer, download, inline, json, task_failed, task_id, video_only};
use crate::model::{MediaUsage, ReferenceRole};
use crate::{LlmErrorKind, Result};

/// The international MiniMax base.
pub const MINIMAX_API_BASE: &str = "https://api.minimax.io";
/// The model used when none is configured.
pub const DEFAULT_MINIMAX_MODEL: &str = "MiniMax-Hailuo-02";

/// Hailuo clips through MiniMax (`MINIMAX_API_KEY`).
#[derive(Debug, Clone)]
pub struct MiniMax {
    http: Http,
}

impl MiniMax {
    /// A client for `config` (base [`MINIMAX_API_BASE`], a key).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(MiniMax {
            http: Http::new("minimax", config)?,
        })
    }

    /// The body of the create call.
    pub fn request_body(&self, request: &MediaRequest) -> Value {
        let mut body = json!({
            "model": self.http.config.model(),
            "prompt": request.prompt,
            "duration": request.duration.unwrap_or(6),
            "resolution": "768P",
        });
        if let Some(r) = request.with_role(ReferenceRole::FirstFrame).next() {
            body["first_frame_image"] = json!(inline(r));
        }
        if let Some(r) = request.with_role(ReferenceRole::LastFrame).next() {
            body["last_frame_image"] = json!(inline(r));
        }
        body
    }

    fn answer(&self, body: &[u8]) -> Result<Value> {
        envelope(&self.http, body)
    }
}

/// The JSON of a MiniMax answer whose `base_resp.status_code` is 0 (every
/// MiniMax API wraps its answers so).
pub(super) fn envelope(http: &Http, body: &[u8]) -> Result<Value> {
    let v = json(http, body)?;
    match v["base_resp"]["status_code"].as_i64() {
        Some(0) | None => Ok(v),
        Some(code) => {
            let kind = match code {
                1004 | 2049 => LlmErrorKind::Auth,
                1002 | 1039 => LlmErrorKind::RateLimited,
                1008 => LlmErrorKind::Quota,
                1026 | 1027 => LlmErrorKind::Refusal,
                _ => LlmErrorKind::BadRequest,
            };
            let msg = v["base_resp"]["status_msg"].as_str().unwrap_or_default();
            Err(http.error(kind, format!("status {code}: {msg}"), 1))
        }
    }
}

#[async_trait]
impl TaskApi for MiniMax {
    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }

    async fn create(&self, request: &MediaRequest, _idempotency_key: &str) -> Result<String> {
        video_only(&self.http, request)?;
        let url = self.http.url("v1/video_generation");
        let body = self.request_body(request);
        let reply = self
            .http
            .send_raw(false, |c| Ok(bearer(&self.http, c.post(&url)).json(&body)))
            .await?;
        let v = self.answer(&reply.body)?;
        let id = v["task_id"]
            .as_str()
            .map(str::to_string)
            .or(v["task_id"].as_u64().map(|n| n.to_string()));
        task_id(&self.http, &id.unwrap_or_default())
    }

    async fn poll(&self, id: &str) -> Result<TaskState> {
        let url = self.http.url("v1/query/video_generation");
        let reply = self
            .http
            .send_raw(true, |c| Ok(bearer(&self.http, c.get(&url)).query(&[("task_id", id)])))
            .await?;
        let v = self.answer(&reply.body)?;
        Ok(match v["status"].as_str().unwrap_or_default() {
            "Success" => TaskState::Succeeded(v),
            "Processing" => TaskState::Running,
            "Fail" => TaskState::Failed(task_failed(
                &self.http,
                id,
                "",
                v["error_message"].as_str().unwrap_or("the task failed"),
            )),
            _ => TaskState::Queued,
        })
    }

    async fn fetch(&self, _id: &str, answer: &Value) -> Result<Media> {
        let file_id = answer["file_id"]
            .as_str()
            .map(str::to_string)
            .or(answer["file_id"].as_u64().map(|n| n.to_string()))
            .ok_or_else(|| self.http.error(LlmErrorKind::Decode, "the answer has no file_id", 1))?;
        let url = self.http.url("v1/files/retrieve");
        let reply = self
            .http
            .send_raw(true, |c| {
                Ok(bearer(&self.http, c.get(&url)).query(&[("file_id", file_id.as_str())]))
            })
            .await?;
        let v = self.answer(&reply.body)?;
        let link = v["file"]["download_url"]
            .as_str()
            .ok_or_else(|| self.http.error(LlmErrorKind::Decode, "the file has no download_url", 1))?;
        let seconds = answer["video_duration"].as_f64().unwrap_or_default();
        download(
            &self.http,
            link,
            MediaUsage {
                calls: 1,
                seconds,
                ..Default::default()
            },
        )
        .await
    }
}
