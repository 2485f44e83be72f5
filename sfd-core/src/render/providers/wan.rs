//! [`Wan`]: Alibaba's Wan video models on DashScope (Model Studio), as an
//! asynchronous task.
//!
//! Shapes from <https://www.alibabacloud.com/help/en/model-studio/image-to-video-api-reference>
//! and <https://www.alibabacloud.com/help/en/model-studio/vidu-image-to-video-api-reference>:
//! `POST {base}/api/v1/services/aigc/video-generation/video-synthesis`
//! with `Authorization: Bearer`, `X-DashScope-Async: enable` and
//! `{model, input: {prompt, img_url?}, parameters: {duration, resolution | size}}`,
//! answering `output.task_id`; `GET {base}/api/v1/tasks/{task_id}` until
//! `output.task_status` is `SUCCEEDED` (`output.video_url`, kept 24 h) or
//! `FAILED` / `CANCELED` / `UNKNOWN` (`output.code`, `output.message`).

use async_trait::async_trait;
use serde_json::{Value, json};

use super::super::provider::Http;
use super::super::{Media, MediaRequest, ProviderConfig, TaskApi, TaskState};
use super::{bearer, call, download, field, inline, task_failed, task_id, video_only};
use crate::Result;
use crate::model::MediaUsage;

/// The international DashScope base.
pub const DASHSCOPE_API_BASE: &str = "https://dashscope-intl.aliyuncs.com";
/// The model used when none is configured.
pub const DEFAULT_WAN_MODEL: &str = "wan2.5-i2v-preview";

/// Wan clips through DashScope (`DASHSCOPE_API_KEY`).
#[derive(Debug, Clone)]
pub struct Wan {
    http: Http,
}

impl Wan {
    /// A client for `config` (base [`DASHSCOPE_API_BASE`], a key).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(Wan {
            http: Http::new("wan", config)?,
        })
    }

    /// The body of the create call: a frame as `img_url` (a data URL),
    /// otherwise a text-to-video `size`.
    pub fn request_body(&self, request: &MediaRequest) -> Value {
        let mut input = json!({"prompt": request.prompt});
        let mut parameters = json!({"duration": request.duration.unwrap_or(5)});
        match request.references.first() {
            Some(r) => {
                input["img_url"] = json!(inline(r));
                parameters["resolution"] = json!("720P");
            }
            None => {
                let (w, h) = request.aspect_ratio.fit(720);
                parameters["size"] = json!(format!("{w}*{h}"));
            }
        }
        json!({"model": self.http.config.model(), "input": input, "parameters": parameters})
    }
}

#[async_trait]
impl TaskApi for Wan {
    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }

    async fn create(&self, request: &MediaRequest, _idempotency_key: &str) -> Result<String> {
        video_only(&self.http, request)?;
        let url = self.http.url("api/v1/services/aigc/video-generation/video-synthesis");
        let body = self.request_body(request);
        let v = call(&self.http, false, |c| {
            Ok(bearer(&self.http, c.post(&url))
                .header("X-DashScope-Async", "enable")
                .json(&body))
        })
        .await?;
        task_id(&self.http, field(&self.http, &v, "/output/task_id")?)
    }

    async fn poll(&self, id: &str) -> Result<TaskState> {
        let url = self.http.url(&format!("api/v1/tasks/{id}"));
        let v = call(&self.http, true, |c| Ok(bearer(&self.http, c.get(&url)))).await?;
        let out = &v["output"];
        Ok(match out["task_status"].as_str().unwrap_or_default() {
            "SUCCEEDED" => TaskState::Succeeded(v),
            "RUNNING" => TaskState::Running,
            "FAILED" | "CANCELED" | "UNKNOWN" => TaskState::Failed(task_failed(
                &self.http,
                id,
                out["code"].as_str().unwrap_or_default(),
                out["message"]
                    .as_str()
                    .or(out["task_status"].as_str())
                    .unwrap_or_default(),
            )),
            _ => TaskState::Queued,
        })
    }

    async fn fetch(&self, _id: &str, answer: &Value) -> Result<Media> {
        let url = field(&self.http, answer, "/output/video_url")?;
        let seconds = answer["usage"]["video_duration"].as_f64().unwrap_or_default();
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
