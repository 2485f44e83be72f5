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
}

impl fmt::Debug for ProviderConfig {
    // The key never shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("api_base", &self.api_base)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
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
