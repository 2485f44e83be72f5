//! What every request handler shares.

use std::sync::Arc;

use sfd_core::Studio;
use tokio::sync::watch;

/// The server's shared state: the studio (storage, LLM, jobs) and the HTTP settings.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub studio: Studio,
    pub api_keys: Vec<String>,
    pub body_limit: usize,
    pub cors_origins: Vec<String>,
    pub stopping: watch::Sender<bool>,
    pub rate_limit: Option<crate::ratelimit::RateLimiter>,
}

impl AppState {
    /// State over a studio; no API keys, a 2 MiB body limit, any CORS origin.
    pub fn new(studio: Studio) -> Self {
        AppState {
            inner: Arc::new(Inner {
                studio,
                api_keys: Vec::new(),
                body_limit: crate::http::DEFAULT_BODY_LIMIT,
                cors_origins: vec!["*".to_string()],
                stopping: watch::channel(false).0,
                rate_limit: None,
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

    /// The studio.
    pub fn studio(&self) -> &Studio {
        &self.inner.studio
    }
}
