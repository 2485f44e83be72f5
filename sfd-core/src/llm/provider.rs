//! [`ProviderConfig`]: how to reach one OpenAI-shaped HTTP API (the LLM,
//! or an image, video or speech provider).

use std::fmt;
use std::time::Duration;

use super::RetryPolicy;

/// The base URL, key, model, timeout and retries of an OpenAI-shaped API.
#[derive(Clone)]
pub struct ProviderConfig {
    api_base: String,
    api_key: Option<String>,
    model: String,
    timeout: Duration,
    retry: RetryPolicy,
    fetch_allow: Vec<String>,
    max_body: usize,
}

/// The largest answer read from a provider by default (256 MiB).
pub(crate) const DEFAULT_MAX_BODY: usize = 256 << 20;

impl fmt::Debug for ProviderConfig {
    // The key never shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("api_base", &self.api_base)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("fetch_allow", &self.fetch_allow)
            .field("max_body", &self.max_body)
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
            fetch_allow: Vec::new(),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Origins (besides the base URL's own) whose links this provider may
    /// follow over plain http or at a private address, such as a local
    /// file server; see `SFD_FETCH_ALLOW`.
    pub fn with_fetch_allow(mut self, origins: Vec<String>) -> Self {
        self.fetch_allow = origins;
        self
    }

    /// The largest answer read from this provider, in bytes (default 256 MiB).
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes.max(1);
        self
    }

    /// The origins this provider may fetch from besides its base URL's.
    pub fn fetch_allow(&self) -> &[String] {
        &self.fetch_allow
    }

    /// The largest answer read from this provider, in bytes.
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    /// A different base URL.
    pub fn with_api_base(mut self, base: impl Into<String>) -> Self {
        self.api_base = base.into().trim_end_matches('/').to_string();
        self
    }

    /// A different model.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
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

    /// The base URL (no trailing `/`).
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The model.
    pub fn model(&self) -> &str {
        &self.model
    }

    pub(crate) fn api_key(&self) -> Option<&str> {
        self.api_key.as_deref()
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn retry(&self) -> &RetryPolicy {
        &self.retry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_out_of_debug() {
        let c = ProviderConfig::new("http://x/v1/", Some("sk-secret-key".into()), "m");
        assert!(!format!("{c:?}").contains("secret"));
        assert_eq!(c.api_base(), "http://x/v1");
        assert!(ProviderConfig::new("b", Some(String::new()), "m").api_key().is_none());
    }
}
