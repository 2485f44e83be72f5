//! One HTTP exchange with a provider, retried by the rules every provider
//! client of sfd follows (the LLM and the image, video and speech renderers):
//! 429, 5xx, timeouts and connection errors only, honouring `Retry-After`;
//! never 400, 401, 403 or `insufficient_quota`. No key reaches a message.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::RetryPolicy;
use super::retry::parse_retry_after;
use crate::{LlmErrorKind, Result};

/// A successful (2xx) answer, read whole.
#[derive(Debug)]
#[cfg_attr(not(feature = "render"), allow(dead_code))]
pub(crate) struct Reply {
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// How many requests it took.
    pub attempts: u32,
}

#[cfg_attr(not(feature = "render"), allow(dead_code))]
impl Reply {
    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(reqwest::header::CONTENT_TYPE)?.to_str().ok()
    }
}

/// A request that failed for good: classified, with the key scrubbed from the message.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// What kind of failure.
    pub kind: LlmErrorKind,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// What the provider said.
    pub message: String,
    /// How many requests were made.
    pub attempts: u32,
}

/// Removes the API key, and anything shaped like one, from provider text.
pub(crate) fn scrub(text: &str, key: Option<&str>) -> String {
    let mut s = match key {
        Some(k) if k.len() >= 4 => text.replace(k, "***"),
        _ => text.to_string(),
    };
    let mut out = String::with_capacity(s.len());
    while let Some(pos) = s.find("sk-") {
        out.push_str(&s[..pos + 3]);
        let rest = &s[pos + 3..];
        let n = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*'))
            .unwrap_or(rest.len());
        out.push_str(if n >= 8 { "***" } else { &rest[..n] });
        s = rest[n..].to_string();
    }
    out.push_str(&s);
    out
}

fn transport_kind(e: &reqwest::Error) -> LlmErrorKind {
    if e.is_timeout() {
        LlmErrorKind::Timeout
    } else {
        LlmErrorKind::Connection
    }
}

/// The kind of an error answer, from its status and the OpenAI error body.
fn answer_kind(status: u16, err: &Value) -> LlmErrorKind {
    let code = err["error"]["code"].as_str().or(err["error"]["type"].as_str());
    match status {
        401 | 403 => LlmErrorKind::Auth,
        429 if code == Some("insufficient_quota") => LlmErrorKind::Quota,
        429 => LlmErrorKind::RateLimited,
        500..=599 => LlmErrorKind::Server,
        _ if code.is_some_and(|c| c.contains("moderation") || c.contains("content_policy") || c.contains("safety")) => {
            LlmErrorKind::Refusal
        }
        _ => LlmErrorKind::BadRequest,
    }
}

/// The largest answer [`send`] reads (an LLM answer is JSON text).
const MAX_BODY: usize = 64 << 20;

/// Reads `resp`'s body, refusing one over `cap` bytes.
async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Bytes, (LlmErrorKind, String)> {
    let too_big = || (LlmErrorKind::Decode, format!("the answer is larger than {cap} bytes"));
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_big());
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| (transport_kind(&e), e.to_string()))? {
        if body.len() + chunk.len() > cap {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Sends the request `build` makes (again for every retry) until it
/// succeeds or fails for good. `what` names the provider in logs.
pub(crate) async fn send<F>(policy: &RetryPolicy, key: Option<&str>, what: &str, build: F) -> Result<Reply, Failure>
where
    F: Fn() -> Result<reqwest::RequestBuilder, Failure>,
{
    send_capped(policy, key, what, MAX_BODY, build).await
}

/// [`send`], reading at most `cap` bytes of any answer.
pub(crate) async fn send_capped<F>(
    policy: &RetryPolicy,
    key: Option<&str>,
    what: &str,
    cap: usize,
    build: F,
) -> Result<Reply, Failure>
where
    F: Fn() -> Result<reqwest::RequestBuilder, Failure>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut rb = build().map_err(|f| Failure { attempts, ..f })?;
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        let (kind, status, message, retry_after) = match rb.send().await {
            Err(e) => (transport_kind(&e), None, scrub(&e.to_string(), key), None),
            Ok(resp) => {
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
                let retry_after = parse_retry_after(h("retry-after").as_deref(), h("retry-after-ms").as_deref());
                match read_capped(resp, cap).await {
                    Ok(body) if (200..300).contains(&status) => {
                        return Ok(Reply {
                            headers,
                            body,
                            attempts,
                        });
                    }
                    Ok(body) => {
                        let err: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        let msg = err["error"]["message"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(300).collect());
                        (answer_kind(status, &err), Some(status), scrub(&msg, key), retry_after)
                    }
                    Err((kind, message)) => (kind, Some(status), scrub(&message, key), None),
                }
            }
        };
        let retryable = matches!(
            kind,
            LlmErrorKind::RateLimited | LlmErrorKind::Server | LlmErrorKind::Timeout | LlmErrorKind::Connection
        );
        if !retryable || attempts > policy.max_retries {
            return Err(Failure {
                kind,
                status,
                message,
                attempts,
            });
        }
        let delay = policy.delay(attempts - 1, retry_after);
        tracing::warn!(provider = what, attempt = attempts, %kind, ?status, delay_ms = delay.as_millis() as u64, "request failed; retrying");
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scrub_removes_keys() {
        let s = scrub(
            "Incorrect API key provided: sk-proj-abcdefghijkl. Also sk-abc.",
            Some("sk-proj-abcdefghijkl"),
        );
        assert!(!s.contains("abcdefghijkl"), "{s}");
        assert_eq!(scrub("token sk-1234567890abc here", None), "token sk-*** here");
        assert_eq!(scrub("no secrets", Some("k")), "no secrets");
    }

    #[tokio::test]
    async fn answers_over_the_cap_are_refused_not_read_whole() {
        use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 4096]))
            .mount(&server)
            .await;
        let client = reqwest::Client::new();
        let policy = RetryPolicy::default();
        let get = || Ok(client.get(server.uri()));
        let f = send_capped(&policy, None, "t", 1024, get).await.unwrap_err();
        assert_eq!((f.kind, f.attempts), (LlmErrorKind::Decode, 1));
        assert!(f.message.contains("larger than 1024 bytes"), "{}", f.message);
        assert_eq!(
            send_capped(&policy, None, "t", 4096, get).await.unwrap().body.len(),
            4096
        );
    }

    #[test]
    fn answers_are_classified() {
        let quota = json!({"error": {"code": "insufficient_quota"}});
        assert_eq!(answer_kind(429, &quota), LlmErrorKind::Quota);
        assert_eq!(answer_kind(429, &Value::Null), LlmErrorKind::RateLimited);
        assert_eq!(answer_kind(503, &Value::Null), LlmErrorKind::Server);
        assert_eq!(answer_kind(403, &Value::Null), LlmErrorKind::Auth);
        let moderation = json!({"error": {"code": "moderation_blocked"}});
        assert_eq!(answer_kind(400, &moderation), LlmErrorKind::Refusal);
        assert_eq!(answer_kind(400, &Value::Null), LlmErrorKind::BadRequest);
    }
}
