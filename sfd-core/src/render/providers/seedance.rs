//! [`Seedance`]: ByteDance's video models on Volcengine Ark / BytePlus
//! ModelArk, as an asynchronous task.
//!
//! Shapes from <https://docs.byteplus.com/en/docs/ModelArk/1520757> (create)
//! and <https://docs.byteplus.com/en/docs/ModelArk/1521309> (query), as
//! gateways that copy them document too
//! (<https://docs.apiyi.com/en/api-capabilities/seedance2/video-generation.md>):
//! `POST {base}/contents/generations/tasks` with `Authorization: Bearer`,
//! `model` and `content[]` of `{type:"text"}` and
//! `{type:"image_url", image_url:{url}, role: first_frame|last_frame|reference_image}`
//! (plus `ratio`, `duration`, `resolution`), answering `{id}`; then
//! `GET {base}/contents/generations/tasks/{id}` answering `status`
//! (`queued`, `running`, `succeeded`, `failed`, `cancelled`, `expired`),
//! `content.video_url` (kept 24 h) and `error {code, message}`.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::super::Media;
use super::super::provider::Http;
use super::super::{MediaRequest, ProviderConfig, TaskApi, TaskState};
use super::{bearer, call, download, field, inline, task_failed, task_id, video_only};
use crate::Result;
use crate::model::{MediaUsage, ReferenceRole};

/// The public Ark v3 base.
pub const ARK_API_BASE: &str = "https://ark.cn-beijing.volces.com/api/v3";
/// The model used when none is configured.
pub const DEFAULT_SEEDANCE_MODEL: &str = "doubao-seedance-1-0-pro-250528";

/// Seedance clips through Ark's content-generation tasks (`ARK_API_KEY`).
#[derive(Debug, Clone)]
pub struct Seedance {
    http: Http,
}

impl Seedance {
    /// A client for `config` (base [`ARK_API_BASE`], a key).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(Seedance {
            http: Http::new("seedance", config)?,
        })
    }

    /// The body of the create call.
    pub fn request_body(&self, request: &MediaRequest) -> Value {
        let mut content = vec![json!({"type": "text", "text": request.prompt})];
        // Each input in the role it was fitted to: frames, or (a mode that
        // excludes frames) subject references.
        for (i, r) in request.references.iter().enumerate() {
            let role = match request.role(i) {
                ReferenceRole::FirstFrame => "first_frame",
                ReferenceRole::LastFrame => "last_frame",
                ReferenceRole::Reference => "reference_image",
            };
            content.push(json!({"type": "image_url", "image_url": {"url": inline(r)}, "role": role}));
        }
        let mut body = json!({
            "model": self.http.config.model(),
            "content": content,
            "ratio": request.aspect_ratio.to_string(),
            "resolution": "720p",
            "watermark": false,
        });
        if let Some(d) = request.duration {
            body["duration"] = json!(d);
        }
        body
    }
}

#[async_trait]
impl TaskApi for Seedance {
    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }

    async fn create(&self, request: &MediaRequest, _idempotency_key: &str) -> Result<String> {
        video_only(&self.http, request)?;
        let url = self.http.url("contents/generations/tasks");
        let body = self.request_body(request);
        let v = call(&self.http, false, |c| Ok(bearer(&self.http, c.post(&url)).json(&body))).await?;
        task_id(&self.http, field(&self.http, &v, "/id")?)
    }

    async fn poll(&self, id: &str) -> Result<TaskState> {
        let url = self.http.url(&format!("contents/generations/tasks/{id}"));
        let v = call(&self.http, true, |c| Ok(bearer(&self.http, c.get(&url)))).await?;
        Ok(match v["status"].as_str().unwrap_or_default() {
            "succeeded" => TaskState::Succeeded(v),
            "running" => TaskState::Running,
            "failed" | "cancelled" | "expired" => TaskState::Failed(task_failed(
                &self.http,
                id,
                v["error"]["code"].as_str().unwrap_or_default(),
                v["error"]["message"]
                    .as_str()
                    .or(v["status"].as_str())
                    .unwrap_or_default(),
            )),
            _ => TaskState::Queued,
        })
    }

    async fn fetch(&self, _id: &str, answer: &Value) -> Result<Media> {
        let url = field(&self.http, answer, "/content/video_url")?;
        let usage = MediaUsage {
            calls: 1,
            seconds: answer["duration"].as_f64().unwrap_or_default(),
            output_tokens: answer["usage"]["completion_tokens"].as_u64().unwrap_or_default(),
            ..Default::default()
        };
        download(&self.http, url, usage).await
    }
}
