//! [`OpenAiImages`]: images through the OpenAI Images API.

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Value, json};

use super::ProviderConfig;
use super::provider::{Http, file_part};
use super::{AspectRatio, Media, MediaRequest, Renderer, wrong_kind};
use crate::model::AssetKind;
use crate::{LlmErrorKind, Result};

/// The model used when none is configured.
pub const DEFAULT_IMAGE_MODEL: &str = "gpt-image-1";

/// Images through `POST /v1/images/generations` (no references) and
/// `POST /v1/images/edits` (multipart, one `image[]` part per reference),
/// answered as `b64_json`. The size comes from the aspect ratio.
#[derive(Debug, Clone)]
pub struct OpenAiImages {
    http: Http,
}

impl OpenAiImages {
    /// A client for `config` (model default [`DEFAULT_IMAGE_MODEL`]).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(OpenAiImages {
            http: Http::new("openai-images", config)?,
        })
    }

    /// The `size` asked for: the model's supported size closest to the ratio.
    pub fn size(&self, ratio: AspectRatio) -> &'static str {
        let model = self.http.config.model();
        let (portrait, landscape, square) = if model.starts_with("dall-e-3") {
            ("1024x1792", "1792x1024", "1024x1024")
        } else if model.starts_with("dall-e-2") {
            ("1024x1024", "1024x1024", "1024x1024")
        } else {
            ("1024x1536", "1536x1024", "1024x1024")
        };
        if ratio.is_portrait() {
            portrait
        } else if ratio.is_landscape() {
            landscape
        } else {
            square
        }
    }

    /// DALL·E answers with URLs unless asked for `b64_json`; GPT image models always send `b64_json`.
    fn wants_response_format(&self) -> bool {
        self.http.config.model().starts_with("dall-e")
    }

    /// The body of a `generations` call.
    pub fn generation_body(&self, request: &MediaRequest) -> Value {
        let mut body = json!({
            "model": self.http.config.model(),
            "prompt": request.prompt,
            "size": self.size(request.aspect_ratio),
            "n": 1,
        });
        if self.wants_response_format() {
            body["response_format"] = json!("b64_json");
        }
        body
    }

    async fn decode(&self, answer: &[u8], attempts: u32) -> Result<Media> {
        let v: Value = serde_json::from_slice(answer).map_err(|_| {
            self.http
                .error(LlmErrorKind::Decode, "the answer is not JSON", attempts)
        })?;
        let item = &v["data"][0];
        let bytes = if let Some(b64) = item["b64_json"].as_str() {
            Bytes::from(super::provider::decode_base64(b64).ok_or_else(|| {
                self.http
                    .error(LlmErrorKind::Decode, "b64_json is not valid base64", attempts)
            })?)
        } else if let Some(url) = item["url"].as_str() {
            self.http.download(url).await?.body
        } else {
            return Err(self.http.error(
                LlmErrorKind::Decode,
                "the answer holds no image (no data[0].b64_json or url)",
                attempts,
            ));
        };
        let tokens = |k: &str| v["usage"][k].as_u64();
        self.http.image(bytes, tokens("input_tokens"), tokens("output_tokens"))
    }
}

#[async_trait]
impl Renderer for OpenAiImages {
    async fn render(&self, request: MediaRequest) -> Result<Media> {
        if request.kind != AssetKind::Image {
            return Err(wrong_kind(self.http.name, AssetKind::Image, request.kind));
        }
        let reply = if request.references.is_empty() {
            let url = self.http.url("images/generations");
            let body = self.generation_body(&request);
            self.http.send(|c| Ok(c.post(&url).json(&body))).await?
        } else {
            let url = self.http.url("images/edits");
            let size = self.size(request.aspect_ratio);
            let model = self.http.config.model().to_string();
            let wants_format = self.wants_response_format();
            self.http
                .send(|c| {
                    let mut form = reqwest::multipart::Form::new()
                        .text("model", model.clone())
                        .text("prompt", request.prompt.clone())
                        .text("size", size)
                        .text("n", "1");
                    if wants_format {
                        form = form.text("response_format", "b64_json");
                    }
                    for r in &request.references {
                        form = form.part("image[]", file_part(&r.name, r.media_type, r.bytes.clone())?);
                    }
                    Ok(c.post(&url).multipart(form))
                })
                .await?
        };
        self.decode(&reply.body, reply.attempts).await
    }

    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }
}
