//! [`ProviderConfig`]: how to reach one HTTP media provider, and the
//! request plumbing every provider shares (retries, errors, downloads).

use std::fmt;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;

use super::render_error;
use crate::llm::RetryPolicy;
use crate::llm::http::{self, Failure, Reply, scrub};
use crate::model::MediaType;
use crate::{Error, LlmErrorKind, Result};

/// The OpenAI API.
pub const OPENAI_API_BASE: &str = crate::llm::DEFAULT_API_BASE;

/// The base URL, key and model of an OpenAI-shaped media API.
#[derive(Clone)]
pub struct ProviderConfig {
    api_base: String,
    api_key: Option<String>,
    model: String,
    timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("api_base", &self.api_base)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ProviderConfig {
    /// `api_base` (e.g. `https://api.openai.com/v1`) with `model`, an
    /// optional key, a 5-minute request timeout and the default retries.
    pub fn new(api_base: impl Into<String>, api_key: Option<String>, model: impl Into<String>) -> Self {
        ProviderConfig {
            api_base: api_base.into().trim_end_matches('/').to_string(),
            api_key: api_key.filter(|k| !k.is_empty()),
            model: model.into(),
            timeout: Duration::from_secs(300),
            retry: RetryPolicy::default(),
        }
    }

    /// The timeout of one request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How failed requests are retried.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// A different model.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// The base URL.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The model.
    pub fn model(&self) -> &str {
        &self.model
    }
}

/// An HTTP client bound to one provider.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    pub(crate) config: ProviderConfig,
    pub(crate) name: &'static str,
}

impl Http {
    pub(crate) fn new(name: &'static str, config: ProviderConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client for {name}: {e}")))?;
        Ok(Http { client, config, name })
    }

    /// `{api_base}/{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.api_base)
    }

    pub(crate) fn key(&self) -> Option<&str> {
        self.config.api_key.as_deref()
    }

    /// An error of this provider.
    pub(crate) fn error(&self, kind: LlmErrorKind, message: impl Into<String>, attempts: u32) -> Error {
        render_error(self.name, kind, None, scrub(&message.into(), self.key()), attempts)
    }

    /// Sends an authorised request (rebuilt by `build` for each retry).
    pub(crate) async fn send<F>(&self, build: F) -> Result<Reply>
    where
        F: Fn(&reqwest::Client) -> Result<reqwest::RequestBuilder, Failure>,
    {
        self.exchange(self.key(), build).await
    }

    /// Fetches a file the provider links to (a signed URL): no key is sent.
    pub(crate) async fn download(&self, url: &str) -> Result<Reply> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(self.error(LlmErrorKind::Decode, format!("cannot fetch '{url}'"), 1));
        }
        self.exchange(None, |c| Ok(c.get(url))).await
    }

    async fn exchange<F>(&self, key: Option<&str>, build: F) -> Result<Reply>
    where
        F: Fn(&reqwest::Client) -> Result<reqwest::RequestBuilder, Failure>,
    {
        http::send(&self.config.retry, key, self.name, || build(&self.client))
            .await
            .map_err(|f| render_error(self.name, f.kind, f.status, f.message, f.attempts))
    }
}

/// A multipart file part; the caller-side error is a [`Failure`] so the
/// builder closure can return it.
pub(crate) fn file_part(name: &str, media_type: MediaType, bytes: Bytes) -> Result<reqwest::multipart::Part, Failure> {
    reqwest::multipart::Part::stream(reqwest::Body::from(bytes))
        .file_name(format!("{name}.{}", media_type.ext()))
        .mime_str(media_type.mime())
        .map_err(|e| Failure {
            kind: LlmErrorKind::BadRequest,
            status: None,
            message: e.to_string(),
            attempts: 0,
        })
}

/// `data:{mime};base64,{bytes}`.
pub(crate) fn data_url(media_type: MediaType, bytes: &[u8]) -> String {
    format!(
        "data:{};base64,{}",
        media_type.mime(),
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// The bytes of a base64 string (standard alphabet, padding optional, whitespace ignored).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    LENIENT.decode(clean).ok()
}

/// The type of a file the provider sent, from its bytes (or its header).
pub(crate) fn media_type_of(http: &Http, bytes: &[u8], header: Option<&str>) -> Result<MediaType> {
    MediaType::sniff(bytes)
        .or_else(|| header.and_then(|h| MediaType::from_mime(h).ok()))
        .ok_or_else(|| {
            http.error(
                LlmErrorKind::Decode,
                format!(
                    "the provider sent a file sfd cannot store ({} bytes, type {})",
                    bytes.len(),
                    header.unwrap_or("unknown")
                ),
                1,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_out_of_debug_and_base64_round_trips() {
        let c = ProviderConfig::new("http://x/v1/", Some("sk-secret-key".into()), "m");
        assert!(!format!("{c:?}").contains("secret"));
        assert_eq!(c.api_base(), "http://x/v1");
        let url = data_url(MediaType::Png, b"\x89PNG");
        let b64 = url.split(',').nth(1).unwrap();
        assert_eq!(decode_base64(b64).unwrap(), b"\x89PNG");
        assert_eq!(decode_base64("iVBO\nRw==").unwrap(), b"\x89PNG");
    }
}
