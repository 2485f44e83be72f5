//! The OpenAI-compatible client against a mocked HTTP API (wiremock).

use std::time::Duration;

use serde_json::{Value, json};
use sfd_core::llm::RetryPolicy;
use sfd_core::{ChatRequest, Error, JsonSchema, Llm, LlmErrorKind, Message, OpenAiConfig, OpenAiLlm};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-abcdefghijklmnop";

fn llm(server: &MockServer) -> OpenAiLlm {
    let retry = RetryPolicy {
        max_retries: 2,
        base: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
        ..Default::default()
    };
    llm_with(server, retry, Duration::from_millis(500))
}

fn llm_with(server: &MockServer, retry: RetryPolicy, timeout: Duration) -> OpenAiLlm {
    let config = OpenAiConfig::new(KEY)
        .with_api_base(format!("{}/v1", server.uri()))
        .with_retry(retry)
        .with_timeout(timeout);
    OpenAiLlm::new(config).unwrap()
}

fn request() -> ChatRequest {
    ChatRequest {
        messages: vec![Message::system("sys"), Message::user("hi")],
        schema: Some(JsonSchema {
            name: "t".into(),
            schema: json!({"type": "object", "additionalProperties": false, "required": ["a"],
                           "properties": {"a": {"type": "string"}}}),
        }),
        max_completion_tokens: 12_000,
        model: None,
    }
}

fn completion(content: &str) -> Value {
    json!({"id": "c1", "object": "chat.completion", "choices": [{"index": 0,
        "message": {"role": "assistant", "content": content, "refusal": null}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}})
}

#[tokio::test]
async fn sends_the_gpt5_request_shape() {
    let server = MockServer::start().await;
    let expected = json!({
        "model": "gpt-5",
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}],
        "max_completion_tokens": 12000,
        "response_format": {"type": "json_schema", "json_schema": {"name": "t", "strict": true,
            "schema": {"type": "object", "additionalProperties": false, "required": ["a"],
                       "properties": {"a": {"type": "string"}}}}}
    });
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_json(&expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion(r#"{"a":"x"}"#)))
        .expect(1)
        .mount(&server)
        .await;
    let r = llm(&server).chat(request()).await.unwrap();
    assert_eq!(r.content, r#"{"a":"x"}"#);
    assert_eq!(
        (r.usage.calls, r.usage.prompt_tokens, r.usage.completion_tokens),
        (1, 11, 7)
    );
    let sent: Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert!(sent.get("temperature").is_none() && sent.get("max_tokens").is_none());
}

/// Answers `failure` once, then a completion; the call must succeed on the second request.
async fn fails_once_then_succeeds(failure: ResponseTemplate) {
    fails_once_then_succeeds_with(failure, llm).await;
}

/// The same, with the client `make` builds.
async fn fails_once_then_succeeds_with(failure: ResponseTemplate, make: impl Fn(&MockServer) -> OpenAiLlm) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(failure)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("{}")))
        .mount(&server)
        .await;
    make(&server).chat(request()).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn retries_429_honouring_retry_after_then_succeeds() {
    let body = json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}});
    fails_once_then_succeeds(
        ResponseTemplate::new(429)
            .insert_header("retry-after-ms", "5")
            .set_body_json(body),
    )
    .await;
}

/// The backoff of this client waits up to an hour; the server's
/// `Retry-After: 0` says to retry at once. Were the header ignored, the call
/// would sit in its backoff and the guard would fire.
#[tokio::test]
async fn retry_after_overrides_a_long_backoff() {
    let body = json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}});
    let failure = ResponseTemplate::new(429)
        .insert_header("retry-after", "0")
        .set_body_json(body);
    let hour = Duration::from_secs(3600);
    let patient = |server: &MockServer| {
        let retry = RetryPolicy {
            max_retries: 1,
            base: hour,
            max_delay: hour,
            ..Default::default()
        };
        llm_with(server, retry, Duration::from_secs(60))
    };
    tokio::time::timeout(
        Duration::from_secs(120),
        fails_once_then_succeeds_with(failure, patient),
    )
    .await
    .expect("Retry-After was ignored: the retry waited for the backoff");
}

#[tokio::test]
async fn retries_500_then_succeeds() {
    fails_once_then_succeeds(ResponseTemplate::new(500).set_body_string("upstream exploded")).await;
}

/// A request the model was too slow to answer is sent again once, not as
/// often as a lost connection, and the error names the timeout's setting.
#[tokio::test]
async fn a_slow_model_is_asked_again_once_then_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(completion("{}"))
                .set_delay(Duration::from_secs(5)),
        )
        .expect(2)
        .mount(&server)
        .await;
    let err = llm(&server).chat(request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Llm {
                kind: LlmErrorKind::Timeout,
                attempts: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("OPENAI_TIMEOUT_SECS"), "{err}");
}

#[tokio::test]
async fn unauthorised_fails_at_once_without_leaking_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "message": format!("Incorrect API key provided: {KEY}."), "type": "invalid_request_error",
            "code": "invalid_api_key"}})))
        .expect(1)
        .mount(&server)
        .await;
    let err = llm(&server).chat(request()).await.unwrap_err();
    assert!(matches!(
        err,
        Error::Llm {
            kind: LlmErrorKind::Auth,
            status: Some(401),
            attempts: 1,
            ..
        }
    ));
    let text = format!("{err} {err:?}");
    assert!(!text.contains("abcdefghijklmnop"), "{text}");
}

#[tokio::test]
async fn quota_and_bad_requests_are_not_retried() {
    for (status, body) in [
        (
            429,
            json!({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "code": "insufficient_quota"}}),
        ),
        (
            400,
            json!({"error": {"message": "Unsupported parameter: 'max_tokens'", "type": "invalid_request_error"}}),
        ),
        (403, json!({"error": {"message": "forbidden"}})),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
        let err = llm(&server).chat(request()).await.unwrap_err();
        assert!(matches!(err, Error::Llm { attempts: 1, .. }), "{status}: {err:?}");
    }
}

#[tokio::test]
async fn length_and_refusal_become_typed_errors() {
    let server = MockServer::start().await;
    let cut = json!({"choices": [{"message": {"role": "assistant", "content": "", "refusal": null},
        "finish_reason": "length"}], "usage": {"prompt_tokens": 5, "completion_tokens": 12000}});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(cut))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let refused = json!({"choices": [{"message": {"role": "assistant", "content": null,
        "refusal": "I can't help with that."}, "finish_reason": "stop"}]});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(refused))
        .mount(&server)
        .await;
    let l = llm(&server);
    let err = l.chat(request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Llm {
                kind: LlmErrorKind::Length,
                ..
            }
        ),
        "{err:?}"
    );
    let err = l.chat(request()).await.unwrap_err();
    assert!(matches!(err, Error::Llm { kind: LlmErrorKind::Refusal, ref message, .. } if message.contains("can't")));
}

#[tokio::test]
async fn generation_runs_end_to_end_over_http() {
    // The OpenAI-compatible client drives the whole pipeline; the mocked
    // server answers each call with what the simulator makes for its schema.
    struct Simulated;
    impl wiremock::Respond for Simulated {
        fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
            let body: Value = req.body_json().unwrap();
            let schema = body["response_format"]["json_schema"].clone();
            let chat = ChatRequest {
                messages: vec![Message::user("x")],
                schema: Some(JsonSchema {
                    name: schema["name"].as_str().unwrap().into(),
                    schema: schema["schema"].clone(),
                }),
                max_completion_tokens: 1,
                model: None,
            };
            let sim = sfd_core::SimulatedLlm::instant();
            let content = futures::executor::block_on(sim.chat(chat)).unwrap().content;
            ResponseTemplate::new(200).set_body_json(completion(&content))
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(Simulated).mount(&server).await;
    let opts = sfd_core::GenerateOptions {
        episodes: Some(2),
        ..Default::default()
    };
    let g = sfd_core::generate_drama(&llm(&server), "p", &opts, &sfd_core::generate::no_progress)
        .await
        .unwrap();
    assert_eq!(g.drama.episodes.len(), 2);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}
