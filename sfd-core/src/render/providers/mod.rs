//! Native providers, each a small module: those with an asynchronous task
//! API implement [`super::TaskApi`] (driven by [`super::TaskRenderer`]:
//! paid once, polled with back-off, one limit per provider); those that
//! answer in one call (Gemini and Seedream images, ElevenLabs and MiniMax
//! speech) implement [`super::Renderer`] and have no task to resume.
//!
//! What they share lives here: reading JSON answers, the failure of a
//! task, and downloading a result at once with a size cap.

mod comfyui;
mod elevenlabs;
mod fal;
mod gemini;
mod kling;
mod minimax;
mod minimax_speech;
mod replicate;
mod seedance;
mod seedream;
mod veo;
mod wan;

use bytes::{Bytes, BytesMut};
use serde_json::Value;

use super::provider::{Http, media_type_of};
use super::{Media, Reference};
use crate::model::MediaUsage;
use crate::{Error, LlmErrorKind, Result};

pub use comfyui::ComfyUi;
pub use elevenlabs::{DEFAULT_ELEVENLABS_MODEL, ELEVENLABS_API_BASE, ElevenLabs};
pub use fal::{FAL_QUEUE_BASE, Fal};
pub use gemini::{DEFAULT_GEMINI_IMAGE_MODEL, GeminiImages};
pub use kling::{DEFAULT_KLING_MODEL, KLING_API_BASE, Kling};
pub use minimax::{DEFAULT_MINIMAX_MODEL, MINIMAX_API_BASE, MiniMax};
pub use minimax_speech::{DEFAULT_MINIMAX_SPEECH_MODEL, MiniMaxSpeech};
pub use replicate::{REPLICATE_API_BASE, Replicate};
pub use seedance::{ARK_API_BASE, DEFAULT_SEEDANCE_MODEL, Seedance};
pub use seedream::{DEFAULT_SEEDREAM_MODEL, Seedream};
pub use veo::{DEFAULT_VEO_MODEL, GEMINI_API_BASE, Veo};
pub use wan::{DASHSCOPE_API_BASE, DEFAULT_WAN_MODEL, Wan};

/// The largest result file downloaded (1 GiB).
///
/// The integrator routes this through the hardening issue's URL rules
/// (https only, allowed origins, no private addresses); until then a
/// result is fetched only over http(s), without the key, up to this size.
pub(crate) const MAX_DOWNLOAD: usize = 1 << 30;

/// The JSON of an answer.
pub(crate) fn json(http: &Http, body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|_| http.error(LlmErrorKind::Decode, "the answer is not JSON", 1))
}

/// Sends the request `build` makes (see [`Http::send_raw`]; `retry` false
/// sends a create once) and reads its answer as JSON.
pub(crate) async fn call<F>(http: &Http, retry: bool, build: F) -> Result<Value>
where
    F: Fn(&reqwest::Client) -> std::result::Result<reqwest::RequestBuilder, crate::llm::http::Failure>,
{
    json(http, &http.send_raw(retry, build).await?.body)
}

/// A string field the answer must have.
pub(crate) fn field<'a>(http: &Http, v: &'a Value, pointer: &str) -> Result<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| http.error(LlmErrorKind::Decode, format!("the answer has no {pointer}"), 1))
}

/// A task id safe to put in a URL path (an operation name may hold `/`).
pub(crate) fn task_id(http: &Http, id: &str) -> Result<String> {
    let safe = id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c));
    if !id.is_empty() && id.len() <= 300 && safe && !id.starts_with('/') && !id.contains("..") {
        Ok(id.to_string())
    } else {
        Err(http.error(LlmErrorKind::Decode, format!("the task id '{id}' is not usable"), 1))
    }
}

/// The error of a task the provider reports failed: a refusal when it
/// names moderation or safety, otherwise a provider failure.
pub(crate) fn task_failed(http: &Http, id: &str, code: &str, message: &str) -> Error {
    let lower = format!("{code} {message}").to_ascii_lowercase();
    let kind = if ["moderation", "sensitive", "safety", "policy", "risk"]
        .iter()
        .any(|w| lower.contains(w))
    {
        LlmErrorKind::Refusal
    } else {
        LlmErrorKind::Server
    };
    let message = if message.is_empty() {
        "the provider reports the task failed"
    } else {
        message
    };
    http.error(kind, format!("task {id} failed: {message}"), 1)
}

/// Downloads a result at once (result URLs expire), without the key, up
/// to [`MAX_DOWNLOAD`] bytes, typed from its bytes.
pub(crate) async fn download(http: &Http, url: &str, usage: MediaUsage) -> Result<Media> {
    let (bytes, header) = fetch_capped(http, http.client().get(url), url, MAX_DOWNLOAD).await?;
    let media_type = media_type_of(http, &bytes, header.as_deref())?;
    Ok(http.made(bytes, media_type, usage))
}

/// Sends `request` (built for `url`) and reads the answer up to `cap` bytes.
pub(crate) async fn fetch_capped(
    http: &Http,
    request: reqwest::RequestBuilder,
    url: &str,
    cap: usize,
) -> Result<(Bytes, Option<String>)> {
    // Only what the fetch rules allow: https to public addresses, the
    // provider's own origin, and SFD_FETCH_ALLOW (issue 22).
    http.check_fetch(url)?;
    let fail = |kind, message: String| http.error(kind, message, 1);
    let mut resp = request.send().await.map_err(|e| {
        let kind = if e.is_timeout() {
            LlmErrorKind::Timeout
        } else {
            LlmErrorKind::Connection
        };
        fail(kind, format!("downloading the result failed: {e}"))
    })?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        let kind = if status >= 500 {
            LlmErrorKind::Server
        } else {
            LlmErrorKind::BadRequest
        };
        return Err(fail(kind, format!("downloading the result answered {status}")));
    }
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(fail(
            LlmErrorKind::BadRequest,
            format!("the result is larger than {cap} bytes"),
        ));
    }
    let header = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = BytesMut::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| fail(LlmErrorKind::Connection, format!("downloading the result failed: {e}")))?
    {
        if body.len() + chunk.len() > cap {
            return Err(fail(
                LlmErrorKind::BadRequest,
                format!("the result is larger than {cap} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body.freeze(), header))
}

/// A reference as a `data:` URL (providers that take inline images).
pub(crate) fn inline(r: &Reference) -> String {
    super::provider::data_url(r.media_type, &r.bytes)
}

/// `rb` with `Authorization: Bearer {key}` when there is a key.
pub(crate) fn bearer(http: &Http, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    match http.key() {
        Some(k) => rb.bearer_auth(k),
        None => rb,
    }
}

/// The raw base64 of a reference (APIs that take bytes without a `data:` prefix).
pub(crate) fn base64_of(r: &Reference) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(&r.bytes)
}

/// [`super::wrong_kind`] unless `request` asks for a video.
pub(crate) fn video_only(http: &Http, request: &super::MediaRequest) -> Result<()> {
    match request.kind {
        crate::model::AssetKind::Video => Ok(()),
        other => Err(super::wrong_kind(http.name, crate::model::AssetKind::Video, other)),
    }
}
