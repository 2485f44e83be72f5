//! What every request handler shares.

use std::sync::Arc;

use sfd_core::Studio;
use tokio::sync::watch;

/// How often a quiet event stream sends a keep-alive comment.
pub const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(15);

/// The server's shared state: the studio (storage, LLM, jobs) and the HTTP settings.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub studio: Studio,
    pub api_keys: Vec<String>,
    pub body_limit: usize,
    pub cors_origins: Vec<String>,
    pub stopping: watch::Sender<bool>,
    pub rate_limit: Option<crate::ratelimit::RateLimiter>,
    pub keep_alive: std::time::Duration,
    pub media_limit: u64,
    pub metrics_public: bool,
}

impl std::fmt::Debug for Inner {
    // API keys stay out of logs: only how many there are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("studio", &self.studio)
            .field("api_keys", &format!("{} configured", self.api_keys.len()))
            .field("body_limit", &self.body_limit)
            .field("cors_origins", &self.cors_origins)
            .field("rate_limit", &self.rate_limit)
            .field("media_limit", &self.media_limit)
            .field("metrics_public", &self.metrics_public)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over a studio; no API keys, a 2 MiB body limit, any CORS origin.
    /// Installs the process's Prometheus recorder (once) for `/metrics`.
    pub fn new(studio: Studio) -> Self {
        crate::metrics::install();
        AppState {
            inner: Arc::new(Inner {
                studio,
                api_keys: Vec::new(),
                body_limit: crate::http::DEFAULT_BODY_LIMIT,
                cors_origins: vec!["*".to_string()],
                stopping: watch::channel(false).0,
                rate_limit: None,
                keep_alive: KEEP_ALIVE,
                media_limit: crate::http::DEFAULT_MEDIA_LIMIT,
                metrics_public: false,
            }),
        }
    }

    fn inner_mut(&mut self) -> &mut Inner {
        // Settings are fixed before the state is shared; until then there is one owner.
        match Arc::get_mut(&mut self.inner) {
            Some(i) => i,
            None => unreachable!("AppState settings changed after the state was shared"),
        }
    }

    /// Requires one of `keys` in `X-API-Key` (empty: auth off).
    pub fn with_api_keys(mut self, keys: Vec<String>) -> Self {
        self.inner_mut().api_keys = keys.into_iter().filter(|k| !k.is_empty()).collect();
        self
    }

    /// The largest request body, in bytes.
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.inner_mut().body_limit = limit;
        self
    }

    /// The origins allowed by CORS (`*` for any).
    pub fn with_cors_origins(mut self, origins: Vec<String>) -> Self {
        self.inner_mut().cors_origins = origins;
        self
    }

    /// Limits each client (API key, or address when auth is off) to
    /// `per_second` requests on average; `0` turns the limit off.
    pub fn with_rate_limit(mut self, per_second: f64) -> Self {
        self.inner_mut().rate_limit =
            (per_second > 0.0 && per_second.is_finite()).then(|| crate::ratelimit::RateLimiter::new(per_second));
        self
    }

    /// How often a quiet event stream sends a keep-alive comment (default 15 s).
    pub fn with_keep_alive(mut self, every: std::time::Duration) -> Self {
        self.inner_mut().keep_alive = every.max(std::time::Duration::from_millis(1));
        self
    }

    /// The largest media upload, in bytes (default 200 MiB).
    pub fn with_media_limit(mut self, limit: u64) -> Self {
        self.inner_mut().media_limit = limit;
        self
    }

    /// Serves `/metrics` without a key even when keys are configured.
    pub fn with_metrics_public(mut self, public: bool) -> Self {
        self.inner_mut().metrics_public = public;
        self
    }

    /// The studio.
    pub fn studio(&self) -> &Studio {
        &self.inner.studio
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_key_reaches_debug_output() {
        let storage = std::sync::Arc::new(sfd_core::StorageBuilder::memory().build().unwrap());
        let openai = sfd_core::OpenAiConfig::new("sk-test-openai-secret-123456");
        let llm: std::sync::Arc<dyn sfd_core::Llm> = std::sync::Arc::new(sfd_core::OpenAiLlm::new(openai).unwrap());
        let studio = Studio::new(storage, Some(llm), Default::default());
        let state = AppState::new(studio)
            .with_api_keys(vec!["sfd-api-key-secret-1".into(), "sfd-api-key-secret-2".into()])
            .with_rate_limit(5.0);
        if let Some(limiter) = &state.inner.rate_limit {
            limiter.check_key(b"sfd-api-key-secret-1").unwrap();
        }
        let dbg = format!("{state:?} {:?}", state.studio());
        for secret in [
            "sk-test-openai-secret-123456",
            "sfd-api-key-secret-1",
            "sfd-api-key-secret-2",
        ] {
            assert!(!dbg.contains(secret), "{secret} in {dbg}");
        }
        assert!(dbg.contains("2 configured"), "{dbg}");
    }
}
