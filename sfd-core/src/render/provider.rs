//! The request plumbing every HTTP media provider shares: retries, typed
//! errors, downloads, multipart files and data URLs.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;

use super::fetch::FetchRules;
use super::{Media, render_error};
use crate::llm::ProviderConfig;
use crate::llm::http::{self, Failure, Reply, scrub};
use crate::llm::pace::paced;
use crate::model::{MediaType, MediaUsage};
use crate::{Error, LlmErrorKind, Result};

/// An HTTP client bound to one provider.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    rules: FetchRules,
    pub(crate) config: ProviderConfig,
    pub(crate) name: &'static str,
    /// A pause the provider asked for, shared by every job using it (a
    /// task provider's `ProviderLimit` scopes its own around its calls).
    pace: std::sync::Arc<crate::llm::pace::Pace>,
}

impl Http {
    pub(crate) fn new(name: &'static str, config: ProviderConfig) -> Result<Self> {
        let bad = |e: String| Error::Config(format!("HTTP client for {name}: {e}"));
        // The provider's own origin may be local (ComfyUI, a gateway on the host).
        let rules = FetchRules::new(config.fetch_allow())
            .and_then(|r| r.with_origin(config.api_base()))
            .map_err(bad)?;
        let client = rules
            .client()
            .timeout(config.timeout())
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| bad(e.to_string()))?;
        Ok(Http {
            client,
            rules,
            config,
            name,
            pace: Default::default(),
        })
    }

    /// `{api_base}/{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.api_base())
    }

    pub(crate) fn key(&self) -> Option<&str> {
        self.config.api_key()
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

    /// [`super::wrong_kind`] unless `request` asks for speech of some text.
    pub(crate) fn check_speech(&self, request: &super::MediaRequest) -> Result<()> {
        use crate::model::AssetKind;
        if request.kind != AssetKind::Audio {
            return Err(super::wrong_kind(self.name, AssetKind::Audio, request.kind));
        }
        if request.prompt.trim().is_empty() {
            return Err(self.error(LlmErrorKind::BadRequest, "there is no text to speak", 0));
        }
        Ok(())
    }

    /// A file this provider made with `usage`.
    pub(crate) fn made(&self, bytes: Bytes, media_type: MediaType, usage: MediaUsage) -> Media {
        Media {
            bytes,
            media_type,
            usage,
            provider: self.name.to_string(),
            model: self.config.model().to_string(),
            speech: None,
        }
    }

    /// An image this provider made (typed from its bytes), with the tokens it reported.
    pub(crate) fn image(&self, bytes: Bytes, input_tokens: Option<u64>, output_tokens: Option<u64>) -> Result<Media> {
        let media_type = media_type_of(self, &bytes, None)?;
        let usage = MediaUsage {
            calls: 1,
            images: 1,
            input_tokens: input_tokens.unwrap_or(0),
            output_tokens: output_tokens.unwrap_or(0),
            ..Default::default()
        };
        Ok(self.made(bytes, media_type, usage))
    }

    /// Whether [`FetchRules`] allow fetching `url` (the client checks
    /// redirects and resolved addresses again).
    pub(crate) fn check_fetch(&self, url: &str) -> Result<reqwest::Url> {
        let parsed = reqwest::Url::parse(url).map_err(|_| {
            self.error(
                LlmErrorKind::Decode,
                "the provider linked to something that is not a URL",
                1,
            )
        })?;
        self.rules
            .check(&parsed)
            .map_err(|why| self.error(LlmErrorKind::BadRequest, why, 0))?;
        Ok(parsed)
    }

    /// Fetches a file the provider links to (a signed URL): no key is sent,
    /// only URLs [`FetchRules`] allows are fetched (redirects too), and
    /// nothing of the answer's body reaches the error.
    pub(crate) async fn download(&self, url: &str) -> Result<Reply> {
        let parsed = self.check_fetch(url)?;
        let origin = parsed.origin().ascii_serialization();
        // An answer's body is never echoed: it may be anything the URL serves.
        self.exchange(None, |c| Ok(c.get(parsed.clone())))
            .await
            .map_err(|e| match e {
                Error::Render {
                    kind,
                    status: Some(status),
                    attempts,
                    ..
                } => render_error(
                    self.name,
                    kind,
                    Some(status),
                    format!("fetching the file from {origin} failed with HTTP {status}"),
                    attempts,
                ),
                other => other,
            })
    }

    /// Sends a request that carries its own credentials (`x-goog-api-key`,
    /// `Key …`, a signed token); with `retry` false it is sent once (a
    /// create that must not be repeated blindly). Errors never hold the key.
    pub(crate) async fn send_raw<F>(&self, retry: bool, build: F) -> Result<Reply>
    where
        F: Fn(&reqwest::Client) -> Result<reqwest::RequestBuilder, Failure>,
    {
        let none = crate::llm::RetryPolicy::none();
        let policy = if retry { self.config.retry() } else { &none };
        let send = http::send_capped(policy, None, self.name, self.config.max_body(), || build(&self.client));
        paced(&self.pace, send)
            .await
            .map_err(|f| render_error(self.name, f.kind, f.status, scrub(&f.message, self.key()), f.attempts))
    }

    /// The HTTP client (for streamed downloads).
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    async fn exchange<F>(&self, key: Option<&str>, build: F) -> Result<Reply>
    where
        F: Fn(&reqwest::Client) -> Result<reqwest::RequestBuilder, Failure>,
    {
        let send = http::send_capped(self.config.retry(), key, self.name, self.config.max_body(), || {
            build(&self.client)
        });
        paced(&self.pace, send)
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
    fn base64_round_trips() {
        let url = data_url(MediaType::Png, b"\x89PNG");
        let b64 = url.split(',').nth(1).unwrap();
        assert_eq!(decode_base64(b64).unwrap(), b"\x89PNG");
        assert_eq!(decode_base64("iVBO\nRw==").unwrap(), b"\x89PNG");
    }
}
