//! One HTTP exchange with a provider, retried by the rules every provider
//! client of sfd follows (the LLM and the image, video and speech renderers):
//! 429, 5xx, timeouts and connection errors only, honouring `Retry-After`;
//! never 400, 401, 403 or `insufficient_quota`. No key reaches a message.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::RetryPolicy;
use super::notice::notice;
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

/// A connection that could not be made (even by its deadline) is a
/// `Connection` failure: no answer started. A `Timeout` is a request sent
/// and not answered in time: the model was slow.
fn transport_kind(e: &reqwest::Error) -> LlmErrorKind {
    if e.is_timeout() && !e.is_connect() {
        LlmErrorKind::Timeout
    } else {
        LlmErrorKind::Connection
    }
}

/// A limit on the requests in flight to one endpoint. A request waits for
/// a place before it is sent, so the wait is no part of its timeout.
#[derive(Debug)]
pub(crate) struct Gate {
    places: tokio::sync::Semaphore,
    limit: usize,
    /// The setting that sets the limit, named while a request waits.
    setting: &'static str,
}

impl Gate {
    /// At most `limit` requests at once (at least 1).
    pub fn new(limit: usize, setting: &'static str) -> Self {
        let limit = limit.max(1);
        Gate {
            places: tokio::sync::Semaphore::new(limit),
            limit,
            setting,
        }
    }

    async fn enter(&self, what: &str) -> Option<tokio::sync::SemaphorePermit<'_>> {
        if let Ok(p) = self.places.try_acquire() {
            return Some(p);
        }
        let (limit, setting) = (self.limit, self.setting);
        let calls = if limit == 1 { "call" } else { "calls" };
        notice(
            format!("waiting for the {what} server: {limit} {calls} at a time ({setting})"),
            false,
        );
        self.places.acquire().await.ok()
    }
}

/// Why a request is sent again, in words.
fn why(kind: LlmErrorKind, status: Option<u16>) -> String {
    let status = status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
    match kind {
        LlmErrorKind::Timeout => "no answer before the timeout".to_string(),
        LlmErrorKind::Connection => format!("the server could not be reached{status}"),
        LlmErrorKind::RateLimited => format!("rate limited{status}"),
        _ => format!("server error{status}"),
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
pub(crate) const MAX_BODY: usize = 64 << 20;

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
/// succeeds or fails for good, reading at most `cap` bytes of any answer.
/// `what` names the provider in logs.
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
    send_through(policy, key, what, None, cap, build).await
}

/// [`send_capped`], each request first waiting for a place at `gate` and reading at
/// most `cap` bytes of any answer. Waits and retries are told as
/// [notices](super::notice) to the work this runs in.
///
/// The whole exchange is a wait on the provider: a job holds no slot
/// through it (see [`super::slot`]).
pub(crate) async fn send_through<F>(
    policy: &RetryPolicy,
    key: Option<&str>,
    what: &str,
    gate: Option<&Gate>,
    cap: usize,
    build: F,
) -> Result<Reply, Failure>
where
    F: Fn() -> Result<reqwest::RequestBuilder, Failure>,
{
    super::slot::waiting(async move {
    let (mut attempts, mut slow) = (0, 0);
    // The provider's shared pause: every job's calls wait it out, and a
    // 429 here holds it for all of them (see `pace.rs`).
    let pace = super::pace::current();
    loop {
        attempts += 1;
        if let Some(p) = &pace {
            p.ready().await;
        }
        let place = match gate {
            Some(g) => g.enter(what).await,
            None => None,
        };
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
        drop(place);
        if kind == LlmErrorKind::Timeout {
            slow += 1;
        }
        let delay = policy.delay(attempts - 1, retry_after);
        let asked = kind == LlmErrorKind::RateLimited || retry_after.is_some();
        if let Some(p) = pace.as_ref().filter(|_| asked) {
            // Even a call not sent again slows every job using the provider.
            p.hold(delay);
        }
        let retryable = match kind {
            LlmErrorKind::RateLimited | LlmErrorKind::Server | LlmErrorKind::Connection => true,
            LlmErrorKind::Timeout => slow <= policy.slow_retries,
            _ => false,
        };
        if !retryable || attempts > policy.max_retries {
            return Err(Failure {
                kind,
                status,
                message,
                attempts,
            });
        }
        tracing::warn!(provider = what, attempt = attempts, %kind, ?status, delay_ms = delay.as_millis() as u64, "request failed; retrying");
        let wait = if delay.as_secs() >= 1 {
            format!(" in {} s", delay.as_secs())
        } else {
            String::new()
        };
        notice(
            format!(
                "{}; sending it again{wait} (attempt {})",
                why(kind, status),
                attempts + 1
            ),
            true,
        );
        if pace.is_none() || !asked {
            tokio::time::sleep(delay).await;
        }
        // Otherwise the next attempt waits out the shared pause, which
        // another job may have lengthened meanwhile.
    }
    })
    .await
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
    async fn a_full_gate_says_what_it_waits_for_and_lets_the_next_in() {
        use futures::FutureExt;
        use std::sync::{Arc, Mutex};

        use crate::llm::notice::{Notice, Receiver, reporting};

        let gate = Gate::new(1, "SFD_LLM_CONCURRENCY");
        let first = gate.enter("LLM").await;
        assert!(first.is_some());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let receiver: Receiver = Arc::new(move |n: Notice| sink.lock().unwrap().push(n.text));
        let mut waiting = Box::pin(reporting(receiver, gate.enter("LLM")));
        assert!((&mut waiting).now_or_never().is_none(), "the second call waits");
        drop(first);
        assert!(waiting.await.is_some());
        assert_eq!(
            *seen.lock().unwrap(),
            ["waiting for the LLM server: 1 call at a time (SFD_LLM_CONCURRENCY)"]
        );
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
