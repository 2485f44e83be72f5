//! [`Seedream`]: ByteDance's image models on Volcengine Ark / BytePlus
//! ModelArk, through Ark's images API, with every reference inline.
//!
//! Shapes from <https://docs.byteplus.com/en/docs/ModelArk/1541523> (as
//! gateways that copy them document too:
//! <https://powower.mintlify.app/en/byteplus/image>,
//! <https://apidoc.cometapi.com/zh-Hant/api/image/seededit-seedream/bytedance-image-generation>):
//! `POST {base}/images/generations` with `Authorization: Bearer`, `model`,
//! `prompt`, `image` (1 to 14 references, URLs or `data:` URIs), `size`
//! (`WxH`), `sequential_image_generation: "disabled"` (one image),
//! `response_format` (`url` | `b64_json`) and `watermark`; answering
//! `data[0].b64_json` (or `url`, kept 24 h, or a per-image `error
//! {code, message}`) and `usage.generated_images` / `output_tokens`.
//! One synchronous call: nothing to resume, so it is retried only on 429,
//! 5xx and connection errors, like every synchronous provider.

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Value, json};

use super::super::provider::{Http, decode_base64};
use super::super::{Media, MediaRequest, ProviderConfig, Renderer, wrong_kind};
use super::{bearer, call, inline, task_failed};
use crate::model::AssetKind;
use crate::{LlmErrorKind, Result};

/// The image model used when none is configured (Ark's id).
pub const DEFAULT_SEEDREAM_MODEL: &str = "doubao-seedream-4-0-250828";

/// Seedream images through Ark (`ARK_API_KEY`).
#[derive(Debug, Clone)]
pub struct Seedream {
    http: Http,
}

impl Seedream {
    /// A client for `config` (base [`super::ARK_API_BASE`], a key).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(Seedream {
            http: Http::new("seedream", config)?,
        })
    }

    /// The body of the call: the size from the frame (1440 pixels on the
    /// short side, Seedream's 2K), the references as `data:` URIs.
    pub fn request_body(&self, request: &MediaRequest) -> Value {
        let (w, h) = request.aspect_ratio.fit(1440);
        let mut body = json!({
            "model": self.http.config.model(),
            "prompt": request.prompt,
            "size": format!("{w}x{h}"),
            "sequential_image_generation": "disabled",
            "response_format": "b64_json",
            "watermark": false,
        });
        if !request.references.is_empty() {
            body["image"] = json!(request.references.iter().map(inline).collect::<Vec<_>>());
        }
        body
    }
}

#[async_trait]
impl Renderer for Seedream {
    async fn render(&self, request: MediaRequest) -> Result<Media> {
        if request.kind != AssetKind::Image {
            return Err(wrong_kind(self.http.name, AssetKind::Image, request.kind));
        }
        let url = self.http.url("images/generations");
        let body = self.request_body(&request);
        let v = call(&self.http, true, |c| Ok(bearer(&self.http, c.post(&url)).json(&body))).await?;
        let item = &v["data"][0];
        let bytes = if let Some(b64) = item["b64_json"].as_str() {
            Bytes::from(
                decode_base64(b64)
                    .ok_or_else(|| self.http.error(LlmErrorKind::Decode, "b64_json is not valid base64", 1))?,
            )
        } else if let Some(url) = item["url"].as_str() {
            self.http.download(url).await?.body
        } else if item["error"].is_object() {
            let e = &item["error"];
            return Err(task_failed(
                &self.http,
                "images/generations",
                e["code"].as_str().unwrap_or_default(),
                e["message"].as_str().unwrap_or_default(),
            ));
        } else {
            return Err(self.http.error(
                LlmErrorKind::Decode,
                "the answer holds no image (no data[0].b64_json or url)",
                1,
            ));
        };
        self.http.image(bytes, None, v["usage"]["output_tokens"].as_u64())
    }

    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }
}
