//! A provider's `Retry-After`, read from a real 429 answer (wiremock), holds
//! the next request of every job using that provider until the pause ends:
//! the shared pause of `llm/pace.rs`, for the OpenAI-compatible LLM and a
//! render provider.
//!
//! The answers follow the documented shapes: OpenAI answers a rate limit
//! with 429 and asks clients to wait the `Retry-After` it sends before
//! trying again (<https://platform.openai.com/docs/guides/rate-limits>,
//! <https://platform.openai.com/docs/guides/error-codes>); the header is a
//! number of seconds or an HTTP-date
//! (<https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3>).
//!
//! Time is tokio's paused clock, moved by the test: no wall-clock timing.
//! Job a's 429 arrives in real time; then the clock stops, and job b, which
//! starts right after, must still be waiting 20 s later (had it not waited,
//! its 5 s request timeout would have ended it by then), and is let through
//! once the clock passes the 30 s the provider asked for.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use sfd_core::llm::RetryPolicy;
use sfd_core::{
    AspectRatio, ChatRequest, Error, Llm, LlmErrorKind, Message, OpenAiConfig, OpenAiImages, OpenAiLlm, ProviderConfig,
    RendererExt,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The pause every test's provider asks for.
const PAUSE: Duration = Duration::from_secs(30);

/// No retries of its own (job a ends with its 429), and room for the pause.
fn retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 0,
        max_delay: Duration::from_secs(60),
        ..Default::default()
    }
}

/// A mocked provider: its first answer is `limited`, every later one `ok`,
/// but only once the test says the pause is over (a request sent during
/// the pause gets a 500).
struct Provider {
    server: MockServer,
    requests: Arc<AtomicUsize>,
    over: Arc<AtomicBool>,
}

async fn provider(limited: ResponseTemplate, ok: ResponseTemplate) -> Provider {
    let server = MockServer::start().await;
    let (requests, over) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let (seen, done) = (Arc::clone(&requests), Arc::clone(&over));
    Mock::given(method("POST"))
        .respond_with(move |_: &Request| match seen.fetch_add(1, Ordering::SeqCst) {
            0 => limited.clone(),
            _ if done.load(Ordering::SeqCst) => ok.clone(),
            _ => ResponseTemplate::new(500),
        })
        .mount(&server)
        .await;
    Provider { server, requests, over }
}

/// Job a's call is told to slow down; job b's call, made right after (in
/// another task), waits until the pause ends, then succeeds.
async fn the_next_job_waits_out_the_pause<T, F, Fut>(p: &Provider, call: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = sfd_core::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let limited = call().await.err().expect("job a was not told to slow down");
    match &limited {
        Error::Llm { kind, .. } | Error::Render { kind, .. } => assert_eq!(*kind, LlmErrorKind::RateLimited),
        other => panic!("expected a rate limit, got {other}"),
    }
    // From here the clock moves only when the test moves it (or when every
    // task waits on a timer).
    tokio::time::pause();
    let b = tokio::spawn(call());
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(p.requests.load(Ordering::SeqCst), 1, "job b called during the pause");
    assert!(!b.is_finished(), "job b did not wait for the pause");
    // Past the pause (it began when job a's answer came, before the clock stopped).
    p.over.store(true, Ordering::SeqCst);
    tokio::time::advance(PAUSE - Duration::from_secs(20) + Duration::from_secs(1)).await;
    // Job b's request goes out over a real socket: real time again.
    tokio::time::resume();
    if let Err(e) = b.await.unwrap() {
        panic!("job b failed: {e}");
    }
    assert_eq!(p.requests.load(Ordering::SeqCst), 2);
}

fn chat_limited(retry_after: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("retry-after", retry_after)
        .set_body_json(
            json!({"error": {"message": "Rate limit reached for requests", "type": "requests",
            "param": null, "code": "rate_limit_exceeded"}}),
        )
}

fn chat_ok() -> ResponseTemplate {
    let content = json!({"a": "b"}).to_string();
    ResponseTemplate::new(200).set_body_json(json!({"id": "c1", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null},
        "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}))
}

fn llm(p: &Provider) -> OpenAiLlm {
    let config = OpenAiConfig::new("sk-test-retry-after")
        .with_api_base(format!("{}/v1", p.server.uri()))
        .with_retry(retry())
        .with_timeout(Duration::from_secs(5));
    OpenAiLlm::new(config).unwrap()
}

fn chat(llm: &OpenAiLlm) -> impl Future<Output = sfd_core::Result<sfd_core::ChatResponse>> + Send + 'static {
    let llm = llm.clone();
    async move {
        let request = ChatRequest {
            messages: vec![Message::user("hi")],
            schema: None,
            max_completion_tokens: 100,
            model: None,
        };
        llm.chat(request).await
    }
}

#[tokio::test]
async fn an_llm_retry_after_in_seconds_holds_every_job() {
    let p = provider(chat_limited("30"), chat_ok()).await;
    let llm = llm(&p);
    the_next_job_waits_out_the_pause(&p, || chat(&llm)).await;
}

#[tokio::test]
async fn an_llm_retry_after_as_an_http_date_holds_every_job() {
    // Whole seconds: the pause is a little under 30 s (more than 20 s).
    let date = httpdate::fmt_http_date(SystemTime::now() + PAUSE);
    let p = provider(chat_limited(&date), chat_ok()).await;
    let llm = llm(&p);
    the_next_job_waits_out_the_pause(&p, || chat(&llm)).await;
}

#[tokio::test]
async fn an_image_provider_retry_after_holds_every_job() {
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-fake-image";
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, png);
    // https://platform.openai.com/docs/api-reference/images/create
    let ok: Value = json!({"created": 1, "data": [{"b64_json": b64}]});
    let limited = ResponseTemplate::new(429)
        .insert_header("retry-after", "30")
        .set_body_json(
            json!({"error": {"message": "Rate limit reached for images", "type": "requests",
            "param": null, "code": "rate_limit_exceeded"}}),
        );
    let p = provider(limited, ResponseTemplate::new(200).set_body_json(ok)).await;
    let config = ProviderConfig::new(format!("{}/v1", p.server.uri()), Some("sk-img".into()), "gpt-image-1")
        .with_retry(retry())
        .with_timeout(Duration::from_secs(5));
    let images = Arc::new(OpenAiImages::new(config).unwrap());
    the_next_job_waits_out_the_pause(&p, || {
        let images = Arc::clone(&images);
        async move { images.image("a rooftop", vec![], AspectRatio::PORTRAIT).await }
    })
    .await;
}
