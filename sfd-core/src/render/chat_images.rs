//! [`ChatImages`]: images from an OpenAI-compatible chat model that draws
//! (such as `gemini-2.5-flash-image`, the old server's "nano banana").

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Value, json};

use super::ProviderConfig;
use super::provider::{Http, data_url, decode_base64};
use super::{Media, MediaRequest, Renderer, wrong_kind};
use crate::model::AssetKind;
use crate::{LlmErrorKind, Result};

/// The model used when none is configured.
pub const DEFAULT_CHAT_IMAGE_MODEL: &str = "gemini-2.5-flash-image";

/// Images through `POST /chat/completions`: references go in as
/// `image_url` data URLs; the image comes back in `message.images`, as a
/// content part, or as a data URL or markdown link in the text.
#[derive(Debug, Clone)]
pub struct ChatImages {
    http: Http,
}

/// Where an image was found in an answer.
enum Found {
    Inline(Vec<u8>),
    Link(String),
}

/// The first data URL or markdown image link in `text`.
fn find_in_text(text: &str) -> Option<Found> {
    if let Some(start) = text.find("data:image/") {
        let rest = &text[start..];
        let end = rest.find([')', '"', '\'', ' ', '\n', ']']).unwrap_or(rest.len());
        let b64 = rest[..end].split_once(',')?.1;
        return decode_base64(b64).map(Found::Inline);
    }
    let start = text.find("](http")? + 2;
    let rest = &text[start..];
    let end = rest.find([')', ' ', '\n']).unwrap_or(rest.len());
    Some(Found::Link(rest[..end].to_string()))
}

fn from_url(url: &str) -> Option<Found> {
    if url.starts_with("data:") {
        decode_base64(url.split_once(',')?.1).map(Found::Inline)
    } else {
        Some(Found::Link(url.to_string()))
    }
}

/// Looks for the image in every place chat image models put it.
fn find_image(message: &Value) -> Option<Found> {
    let image_urls = message["images"].as_array().into_iter().flatten();
    let parts = message["content"].as_array().into_iter().flatten();
    image_urls
        .chain(parts)
        .find_map(|p| {
            p["image_url"]["url"]
                .as_str()
                .or(p["image_url"].as_str())
                .and_then(from_url)
                .or_else(|| p["text"].as_str().and_then(find_in_text))
        })
        .or_else(|| message["content"].as_str().and_then(find_in_text))
}

impl ChatImages {
    /// A client for `config` (model default [`DEFAULT_CHAT_IMAGE_MODEL`]).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(ChatImages {
            http: Http::new("chat-images", config)?,
        })
    }

    /// The chat request for `request`.
    pub fn request_body(&self, request: &MediaRequest) -> Value {
        let text = format!(
            "{}\n\nDraw one image in a {} frame. Keep every character exactly as in the reference images.",
            request.prompt, request.aspect_ratio
        );
        let mut content = vec![json!({"type": "text", "text": text})];
        content.extend(
            request
                .references
                .iter()
                .map(|r| json!({"type": "image_url", "image_url": {"url": data_url(r.media_type, &r.bytes)}})),
        );
        json!({
            "model": self.http.config.model(),
            "messages": [{"role": "user", "content": content}],
            "modalities": ["image", "text"],
            "image_config": {"aspect_ratio": request.aspect_ratio.to_string()},
        })
    }
}

#[async_trait]
impl Renderer for ChatImages {
    async fn render(&self, request: MediaRequest) -> Result<Media> {
        if request.kind != AssetKind::Image {
            return Err(wrong_kind(self.http.name, AssetKind::Image, request.kind));
        }
        let url = self.http.url("chat/completions");
        let body = self.request_body(&request);
        let reply = self.http.send(|c| Ok(c.post(&url).json(&body))).await?;
        let attempts = reply.attempts;
        let v: Value = serde_json::from_slice(&reply.body).map_err(|_| {
            self.http
                .error(LlmErrorKind::Decode, "the answer is not JSON", attempts)
        })?;
        let choice = &v["choices"][0];
        let message = &choice["message"];
        if let Some(refusal) = message["refusal"].as_str().filter(|r| !r.is_empty()) {
            return Err(self.http.error(LlmErrorKind::Refusal, refusal, attempts));
        }
        if choice["finish_reason"] == "content_filter" {
            return Err(self.http.error(
                LlmErrorKind::Refusal,
                "the provider's content filter stopped the image",
                attempts,
            ));
        }
        let bytes = match find_image(message) {
            Some(Found::Inline(b)) => Bytes::from(b),
            Some(Found::Link(link)) => self.http.download(&link).await?.body,
            None => {
                let said: String = message["content"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect();
                return Err(self.http.error(
                    LlmErrorKind::Refusal,
                    format!("the model answered without an image: {said}"),
                    attempts,
                ));
            }
        };
        let tokens = |k: &str| v["usage"][k].as_u64();
        self.http
            .image(bytes, tokens("prompt_tokens"), tokens("completion_tokens"))
    }

    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_found_in_every_answer_form() {
        let inline = |m: Value| matches!(find_image(&m), Some(Found::Inline(b)) if b == b"\x89PNG");
        let link = |m: Value| matches!(find_image(&m), Some(Found::Link(l)) if l == "https://cdn.x/a.png");
        assert!(inline(
            json!({"images": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}}]})
        ));
        assert!(inline(
            json!({"content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}}]})
        ));
        assert!(inline(
            json!({"content": "Here: ![img](data:image/png;base64,iVBORw==) done"})
        ));
        assert!(link(json!({"content": "Here you go ![img](https://cdn.x/a.png)"})));
        assert!(find_image(&json!({"content": "I cannot draw that."})).is_none());
    }
}
