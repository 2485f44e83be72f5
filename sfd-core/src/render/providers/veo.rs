//! [`Veo`]: Google's video models through the Gemini API, as a
//! long-running operation.
//!
//! Shapes from <https://ai.google.dev/gemini-api/docs/video> and
//! <https://ai.google.dev/api/models#method:-models.predictlongrunning>:
//! `POST {base}/models/{model}:predictLongRunning` with `x-goog-api-key`
//! and `{instances: [{prompt, image: {bytesBase64Encoded, mimeType},
//! lastFrame?}], parameters: {aspectRatio, durationSeconds}}`, answering
//! an operation `{name}`; `GET {base}/{name}` until `done`, then
//! `response.generateVideoResponse.generatedSamples[0].video.uri` (a file
//! of the Gemini API, downloaded with the key) or `error {code, message}`;
//! `raiMediaFilteredReasons` when safety filters removed the clip.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::super::provider::Http;
use super::super::{Media, MediaRequest, ProviderConfig, TaskApi, TaskState};
use super::{MAX_DOWNLOAD, base64_of, call, fetch_capped, field, task_failed, task_id, video_only};
use crate::model::{AssetKind, MediaUsage, ReferenceRole};
use crate::{LlmErrorKind, Result};

/// The Gemini API base.
pub const GEMINI_API_BASE: &str = "https://generativelanguage.googleapis.com/v1beta";
/// The model used when none is configured.
pub const DEFAULT_VEO_MODEL: &str = "veo-3.1-generate-preview";

/// Veo clips through the Gemini API (`GEMINI_API_KEY`).
#[derive(Debug, Clone)]
pub struct Veo {
    http: Http,
}

impl Veo {
    /// A client for `config` (base [`GEMINI_API_BASE`], a key).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(Veo {
            http: Http::new("veo", config)?,
        })
    }

    /// The body of the create call: the first frame as `image`, the last
    /// as `lastFrame`.
    pub fn request_body(request: &MediaRequest) -> Value {
        let image = |role| {
            request
                .with_role(role)
                .next()
                .map(|r| json!({"bytesBase64Encoded": base64_of(r), "mimeType": r.media_type.mime()}))
        };
        let mut instance = json!({"prompt": request.prompt});
        if let Some(first) = image(ReferenceRole::FirstFrame) {
            instance["image"] = first;
        }
        if let Some(last) = image(ReferenceRole::LastFrame) {
            instance["lastFrame"] = last;
        }
        let mut parameters = json!({"aspectRatio": request.aspect_ratio.to_string()});
        if let Some(d) = request.duration {
            parameters["durationSeconds"] = json!(d);
        }
        json!({"instances": [instance], "parameters": parameters})
    }

    fn keyed(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.http.key() {
            Some(k) => rb.header("x-goog-api-key", k),
            None => rb,
        }
    }
}

#[async_trait]
impl TaskApi for Veo {
    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }

    async fn create(&self, request: &MediaRequest, _idempotency_key: &str) -> Result<String> {
        video_only(&self.http, request)?;
        let url = self.http.url(&format!("models/{}:predictLongRunning", self.model()));
        let body = Self::request_body(request);
        let v = call(&self.http, false, |c| Ok(self.keyed(c.post(&url)).json(&body))).await?;
        task_id(&self.http, field(&self.http, &v, "/name")?)
    }

    async fn poll(&self, id: &str) -> Result<TaskState> {
        let url = self.http.url(id);
        let v = call(&self.http, true, |c| Ok(self.keyed(c.get(&url)))).await?;
        if !v["done"].as_bool().unwrap_or(false) {
            return Ok(TaskState::Running);
        }
        if v["error"].is_object() {
            let code = v["error"]["status"].as_str().unwrap_or_default();
            let message = v["error"]["message"].as_str().unwrap_or_default();
            return Ok(TaskState::Failed(task_failed(&self.http, id, code, message)));
        }
        let answer = &v["response"]["generateVideoResponse"];
        if answer.pointer("/generatedSamples/0/video/uri").is_none() {
            let reasons: Vec<&str> = answer["raiMediaFilteredReasons"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let why = if reasons.is_empty() {
                "no video in the answer".to_string()
            } else {
                reasons.join("; ")
            };
            return Ok(TaskState::Failed(task_failed(&self.http, id, "safety", &why)));
        }
        Ok(TaskState::Succeeded(v))
    }

    async fn fetch(&self, id: &str, answer: &Value) -> Result<Media> {
        let uri = field(
            &self.http,
            answer,
            "/response/generateVideoResponse/generatedSamples/0/video/uri",
        )?;
        // The file lives at the Gemini API and needs the key; no other origin gets it.
        let own = url_origin(uri).is_some_and(|o| Some(o) == url_origin(&self.http.url("")));
        let rb = self.http.client().get(uri);
        let rb = if own { self.keyed(rb) } else { rb };
        let (bytes, header) = fetch_capped(&self.http, rb, uri, MAX_DOWNLOAD).await?;
        let media_type = super::super::provider::media_type_of(&self.http, &bytes, header.as_deref())?;
        let _ = id;
        let usage = MediaUsage {
            calls: 1,
            seconds: answer["metadata"]["durationSeconds"].as_f64().unwrap_or_default(),
            ..Default::default()
        };
        if media_type.kind() != AssetKind::Video {
            return Err(self.http.error(LlmErrorKind::Decode, "the result is not a video", 1));
        }
        Ok(self.http.made(bytes, media_type, usage))
    }
}

/// `scheme://host[:port]` of a URL.
fn url_origin(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find('/').unwrap_or(rest.len());
    Some(&url[..url.len() - rest.len() + end])
}
