//! [`OpenAiVideos`]: clips through the `/v1/videos` API shape (create, poll,
//! download), which OpenAI-compatible gateways serve for several video models.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;

use super::ProviderConfig;
use super::provider::{Http, file_part, media_type_of};
use super::{AspectRatio, Media, MediaRequest, Renderer, wrong_kind};
use crate::model::{AssetKind, MediaUsage};
use crate::{LlmErrorKind, Result};

/// The model used when none is configured.
pub const DEFAULT_VIDEO_MODEL: &str = "sora-2";
/// Seconds asked for when a request names none (snapped to what the model takes).
const DEFAULT_SECONDS: u32 = 8;

/// How a video job is polled: the first wait, growing by half each time up
/// to `max_interval`, until `timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoPolling {
    /// The wait before the first poll.
    pub first: Duration,
    /// The longest wait between polls.
    pub max_interval: Duration,
    /// How long a video may take in all.
    pub timeout: Duration,
}

impl Default for VideoPolling {
    fn default() -> Self {
        VideoPolling {
            first: Duration::from_secs(2),
            max_interval: Duration::from_secs(15),
            timeout: Duration::from_secs(15 * 60),
        }
    }
}

/// Videos through `POST /videos` (multipart: `model`, `prompt`, `seconds`,
/// `size`, and the scene image as `input_reference`), then
/// `GET /videos/{id}` until `completed` or `failed`, then
/// `GET /videos/{id}/content`. A dropped call asks the provider to delete
/// the unfinished job.
#[derive(Debug, Clone)]
pub struct OpenAiVideos {
    http: Http,
    polling: VideoPolling,
}

/// Deletes the provider's job unless disarmed (the render was dropped or failed).
struct CancelOnDrop {
    http: Http,
    id: String,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (http, url) = (self.http.clone(), self.http.url(&format!("videos/{}", self.id)));
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = http.send(|c| Ok(c.delete(&url))).await;
            });
        }
    }
}

impl OpenAiVideos {
    /// A client for `config` (model default [`DEFAULT_VIDEO_MODEL`]).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(OpenAiVideos {
            http: Http::new("videos", config)?,
            polling: VideoPolling::default(),
        })
    }

    /// How to poll.
    pub fn with_polling(mut self, polling: VideoPolling) -> Self {
        self.polling = polling;
        self
    }

    /// The `size` asked for: 720 pixels on the short side, in the ratio.
    pub fn size(ratio: AspectRatio) -> String {
        let (w, h) = ratio.fit(720);
        format!("{w}x{h}")
    }

    fn failed(&self, v: &Value, attempts: u32) -> crate::Error {
        let err = &v["error"];
        let code = err["code"].as_str().unwrap_or_default();
        let message = err["message"]
            .as_str()
            .unwrap_or("the provider reports the video failed");
        let kind = if code.contains("moderation") || code.contains("policy") || code.contains("safety") {
            LlmErrorKind::Refusal
        } else {
            LlmErrorKind::Server
        };
        self.http.error(
            kind,
            format!("video {}: {message}", v["id"].as_str().unwrap_or("?")),
            attempts,
        )
    }

    fn json(&self, body: &[u8], attempts: u32) -> Result<Value> {
        serde_json::from_slice(body).map_err(|_| {
            self.http
                .error(LlmErrorKind::Decode, "the answer is not JSON", attempts)
        })
    }
}

#[async_trait]
impl Renderer for OpenAiVideos {
    async fn render(&self, request: MediaRequest) -> Result<Media> {
        if request.kind != AssetKind::Video {
            return Err(wrong_kind(self.http.name, AssetKind::Video, request.kind));
        }
        // Sora took 4, 8 or 12 s and exactly one of its sizes: anything else is a 400.
        let caps = self.capabilities();
        let seconds = caps.durations.snap(request.duration.unwrap_or(DEFAULT_SECONDS));
        let (w, h) = caps.size_for(request.aspect_ratio);
        let size = format!("{w}x{h}");
        // The reference must be exactly `size`: scaled to cover and cropped.
        let reference = match request.references.first() {
            Some(r) => Some(super::frame::cover(r, w, h)?),
            None => None,
        };
        let create = self.http.url("videos");
        let model = self.http.config.model().to_string();
        let reply = self
            .http
            .send(|c| {
                let mut form = reqwest::multipart::Form::new()
                    .text("model", model.clone())
                    .text("prompt", request.prompt.clone())
                    .text("seconds", seconds.to_string())
                    .text("size", size.clone());
                // The shape takes one `input_reference` file, the first frame
                // (https://platform.openai.com/docs/api-reference/videos/create):
                // the first reference, which the render puts first because it
                // matters most (the scene's own keyframe, before portraits).
                if let Some(r) = &reference {
                    form = form.part("input_reference", file_part(&r.name, r.media_type, r.bytes.clone())?);
                }
                Ok(c.post(&create).multipart(form))
            })
            .await?;
        let mut attempts = reply.attempts;
        let mut job = self.json(&reply.body, attempts)?;
        let id = job["id"]
            .as_str()
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .ok_or_else(|| {
                self.http
                    .error(LlmErrorKind::Decode, "the answer has no video id", attempts)
            })?
            .to_string();
        let mut guard = CancelOnDrop {
            http: self.http.clone(),
            id: id.clone(),
            armed: true,
        };
        let status_url = self.http.url(&format!("videos/{id}"));
        let started = Instant::now();
        let mut wait = self.polling.first;
        loop {
            match job["status"].as_str().unwrap_or_default() {
                "completed" => break,
                "failed" | "cancelled" => {
                    guard.armed = false;
                    return Err(self.failed(&job, attempts));
                }
                _ => {}
            }
            if started.elapsed() + wait > self.polling.timeout {
                return Err(self.http.error(
                    LlmErrorKind::Timeout,
                    format!("video {id} was not ready after {} s", self.polling.timeout.as_secs()),
                    attempts,
                ));
            }
            tokio::time::sleep(wait).await;
            wait = wait.mul_f64(1.5).min(self.polling.max_interval);
            let reply = self.http.send(|c| Ok(c.get(&status_url))).await?;
            attempts += reply.attempts;
            job = self.json(&reply.body, attempts)?;
        }
        let content_url = self.http.url(&format!("videos/{id}/content"));
        let content = self.http.send(|c| Ok(c.get(&content_url))).await?;
        guard.armed = false;
        let media_type = media_type_of(&self.http, &content.body, content.content_type())?;
        let usage = MediaUsage {
            calls: 1,
            seconds: f64::from(job["seconds"].as_str().and_then(|s| s.parse().ok()).unwrap_or(seconds)),
            ..Default::default()
        };
        Ok(self.http.made(content.body, media_type, usage))
    }

    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }
}
