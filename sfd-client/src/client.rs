//! [`Client`]: construction, and the request machinery every method shares.

use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sfd_core::ErrorBody;

use crate::{Error, Result};

/// A value and the drama version (`ETag`) it was read or written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The value.
    pub value: T,
    /// The drama's version; pass it back as `if_match` to update safely.
    pub etag: Option<String>,
}

/// A typed client for the sfd HTTP API.
///
/// Idempotent requests (GET, PUT, DELETE, and PATCH with `If-Match`) are
/// retried on connection errors, 429, 502, 503 and 504 with backoff,
/// honouring `Retry-After`. POST is never retried.
#[derive(Clone)]
pub struct Client {
    pub(crate) http: reqwest::Client,
    base: String,
    api_key: Option<String>,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .finish()
    }
}

/// The pause before retry `n` (0-based): `Retry-After` if given, else jittered exponential.
fn delay(base: Duration, n: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(d) = retry_after {
        return d.min(Duration::from_secs(30));
    }
    let ceiling = base.saturating_mul(1 << n.min(10)).min(Duration::from_secs(10));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let micros = ceiling.as_micros().max(1) as u64;
    ceiling / 2 + Duration::from_micros(u64::from(nanos) % micros) / 2
}

impl Client {
    /// A client for the server at `base_url` (e.g. `http://127.0.0.1:8000`),
    /// with a 30 s timeout and 3 retries.
    ///
    /// ```no_run
    /// let client = sfd_client::Client::new("http://127.0.0.1:8000");
    /// ```
    pub fn new(base_url: impl Into<String>) -> Self {
        Client {
            http: reqwest::Client::new(),
            base: base_url.into().trim_end_matches('/').to_string(),
            api_key: None,
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(200),
        }
    }

    /// Sends `X-API-Key` with every request.
    ///
    /// ```no_run
    /// let client = sfd_client::Client::new("http://127.0.0.1:8000").with_api_key("my-key");
    /// ```
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Uses this reqwest client (proxies, TLS, pools).
    ///
    /// ```no_run
    /// let http = reqwest::Client::builder().pool_max_idle_per_host(8).build().unwrap();
    /// let client = sfd_client::Client::new("http://127.0.0.1:8000").with_http_client(http);
    /// ```
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// The timeout of one request.
    ///
    /// ```no_run
    /// let client = sfd_client::Client::new("http://127.0.0.1:8000").with_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times an idempotent request is retried, and the first pause.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let client = sfd_client::Client::new("http://127.0.0.1:8000").with_retries(5, Duration::from_millis(100));
    /// ```
    pub fn with_retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.retries = retries;
        self.backoff = backoff;
        self
    }

    /// The base URL.
    ///
    /// ```no_run
    /// assert_eq!(sfd_client::Client::new("http://h:1/").base_url(), "http://h:1");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(self.timeout);
        if let Some(k) = &self.api_key {
            rb = rb.header("x-api-key", k);
        }
        rb
    }

    /// Sends a request and returns the successful response; errors become [`Error`].
    pub(crate) async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        if_match: Option<&str>,
    ) -> Result<Response> {
        let idempotent = matches!(method, Method::GET | Method::PUT | Method::DELETE)
            || (method == Method::PATCH && if_match.is_some());
        let payload = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| Error::Decode {
                source: e,
                body: String::new(),
            })?),
            None => None,
        };
        let mut attempt = 0;
        loop {
            let mut rb = self.request(method.clone(), path);
            if !query.is_empty() {
                rb = rb.query(query);
            }
            if let Some(v) = if_match {
                rb = rb.header("if-match", v);
            }
            if let Some(p) = &payload {
                rb = rb.header("content-type", "application/json").body(p.clone());
            }
            let (retryable, retry_after, outcome) = match rb.send().await {
                Ok(resp) if resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED => return Ok(resp),
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let retryable = matches!(status.as_u16(), 429 | 502 | 503 | 504);
                    (retryable, retry_after, api_error(resp).await)
                }
                Err(e) if e.is_timeout() => (false, None, Error::Timeout),
                Err(e) => (e.is_connect(), None, Error::Http(e)),
            };
            if !(idempotent && retryable) || attempt >= self.retries {
                return Err(outcome);
            }
            tokio::time::sleep(delay(self.backoff, attempt, retry_after)).await;
            attempt += 1;
        }
    }

    /// Sends and decodes a JSON answer, keeping the `ETag`.
    pub(crate) async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        if_match: Option<&str>,
    ) -> Result<Versioned<T>> {
        let resp = self.send(method, path, &[], body, if_match).await?;
        decode(resp).await
    }
}

/// Reads an error answer into [`Error::Api`].
pub(crate) async fn api_error(resp: Response) -> Error {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(b) => Error::Api {
            status,
            error: b.error,
            message: b.message,
        },
        Err(_) => Error::Api {
            status,
            error: "http_error".into(),
            message: text.chars().take(500).collect(),
        },
    }
}

/// Decodes a JSON body and keeps the `ETag`.
pub(crate) async fn decode<T: DeserializeOwned>(resp: Response) -> Result<Versioned<T>> {
    let etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = resp.bytes().await?;
    let value = serde_json::from_slice(&bytes).map_err(|source| Error::Decode {
        source,
        body: String::from_utf8_lossy(&bytes[..bytes.len().min(500)]).into_owned(),
    })?;
    Ok(Versioned { value, etag })
}

/// Streams a response's body into `out`; answers how many bytes it wrote.
pub(crate) async fn copy_body<W: tokio::io::AsyncWrite + Unpin>(resp: reqwest::Response, out: &mut W) -> Result<u64> {
    use futures::TryStreamExt;
    use tokio::io::AsyncWriteExt;
    let mut stream = resp.bytes_stream();
    let mut n = 0u64;
    while let Some(chunk) = stream.try_next().await? {
        out.write_all(&chunk).await.map_err(Error::Io)?;
        n += chunk.len() as u64;
    }
    out.flush().await.map_err(Error::Io)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_honour_retry_after() {
        let b = Duration::from_millis(100);
        assert_eq!(delay(b, 0, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert!(delay(b, 0, None) <= b);
        assert!(delay(b, 3, None) <= b * 8);
        assert!(delay(b, 30, None) <= Duration::from_secs(10));
    }

    #[test]
    fn debug_hides_the_key() {
        let c = Client::new("http://x/").with_api_key("secret-key");
        assert!(!format!("{c:?}").contains("secret-key"));
        assert_eq!(c.base_url(), "http://x");
    }
}
