//! [`GeminiImages`]: Gemini's image models ("Nano Banana") through the
//! Gemini API's own `generateContent`, with every reference inline.
//!
//! Shapes from <https://ai.google.dev/gemini-api/docs/image-generation>
//! (as gateways that copy them document too:
//! <https://docs.gptproto.com/docs/allapi/Google/gemini-3-pro-image-preview/official-format/image-edit>):
//! `POST {base}/models/{model}:generateContent` with `x-goog-api-key`,
//! `contents[0].parts` = the prompt's `{text}` and one
//! `{inline_data: {mime_type, data}}` per reference image, and
//! `generationConfig: {responseModalities: ["IMAGE"], imageConfig: {aspectRatio}}`;
//! answering `candidates[0].content.parts[]` with the image as
//! `inlineData {mimeType, data}` (base64), `usageMetadata` with token
//! counts, and `finishReason` / `promptFeedback.blockReason` when it
//! refuses. One synchronous call: nothing to resume, so it is retried only
//! on 429, 5xx and connection errors, like every synchronous provider.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::super::provider::{Http, decode_base64};
use super::super::{Media, MediaRequest, ProviderConfig, Renderer, wrong_kind};
use super::{base64_of, call};
use crate::model::AssetKind;
use crate::{LlmErrorKind, Result};

/// The image model used when none is configured.
pub const DEFAULT_GEMINI_IMAGE_MODEL: &str = "gemini-2.5-flash-image";

/// Gemini image models (`GEMINI_API_KEY`), references sent inline.
#[derive(Debug, Clone)]
pub struct GeminiImages {
    http: Http,
}

impl GeminiImages {
    /// A client for `config` (base [`super::GEMINI_API_BASE`], a key).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(GeminiImages {
            http: Http::new("gemini", config)?,
        })
    }

    /// The body of a `generateContent` call: the prompt, then each reference.
    pub fn request_body(request: &MediaRequest) -> Value {
        let mut parts = vec![json!({"text": request.prompt})];
        parts.extend(
            request
                .references
                .iter()
                .map(|r| json!({"inline_data": {"mime_type": r.media_type.mime(), "data": base64_of(r)}})),
        );
        json!({
            "contents": [{"role": "user", "parts": parts}],
            "generationConfig": {
                "responseModalities": ["IMAGE"],
                "imageConfig": {"aspectRatio": request.aspect_ratio.to_string()},
            },
        })
    }

    fn keyed(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.http.key() {
            Some(k) => rb.header("x-goog-api-key", k),
            None => rb,
        }
    }

    /// The image of an answer, or why there is none.
    fn image_of(&self, v: &Value) -> Result<Media> {
        let parts = v
            .pointer("/candidates/0/content/parts")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let inline = parts
            .iter()
            .find_map(|p| p.get("inlineData").or_else(|| p.get("inline_data")));
        let Some(data) = inline.and_then(|i| i["data"].as_str()) else {
            let why = v
                .pointer("/promptFeedback/blockReason")
                .or_else(|| v.pointer("/candidates/0/finishReason"))
                .and_then(Value::as_str)
                .unwrap_or("no image part");
            let said = parts.iter().find_map(|p| p["text"].as_str()).unwrap_or_default();
            let said: String = said.chars().take(200).collect();
            return Err(self.http.error(
                LlmErrorKind::Refusal,
                format!("the model made no image ({why}) {said}").trim_end().to_string(),
                1,
            ));
        };
        let bytes = decode_base64(data).ok_or_else(|| {
            self.http
                .error(LlmErrorKind::Decode, "inlineData.data is not base64", 1)
        })?;
        let tokens = |k: &str| v["usageMetadata"][k].as_u64();
        self.http
            .image(bytes.into(), tokens("promptTokenCount"), tokens("candidatesTokenCount"))
    }
}

#[async_trait]
impl Renderer for GeminiImages {
    async fn render(&self, request: MediaRequest) -> Result<Media> {
        if request.kind != AssetKind::Image {
            return Err(wrong_kind(self.http.name, AssetKind::Image, request.kind));
        }
        let url = self
            .http
            .url(&format!("models/{}:generateContent", self.http.config.model()));
        let body = Self::request_body(&request);
        let v = call(&self.http, true, |c| Ok(self.keyed(c.post(&url)).json(&body))).await?;
        self.image_of(&v)
    }

    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }
}
