//! What a provider's answer may make sfd fetch (issue 22, item 1): a link
//! in a chat image model's answer to a metadata or loopback address, or a
//! redirect to one, reaches nothing, and no fetched body reaches the error.
//! A second local server stands in for the metadata service; the
//! provider's own base URL (a loopback wiremock, like a local ComfyUI)
//! stays allowed.
//!
//! Answer shape: an OpenAI-compatible chat completion whose content holds
//! a markdown image link, as Gemini's OpenAI-compatible endpoint can send
//! (https://ai.google.dev/gemini-api/docs/openai).

use std::time::Duration;

use serde_json::{Value, json};
use sfd_core::llm::RetryPolicy;
use sfd_core::{AspectRatio, ChatImages, ProviderConfig, RendererExt};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-fake-image";
const SECRET: &str = "AKIA-metadata-credentials";

fn config(server: &MockServer) -> ProviderConfig {
    ProviderConfig::new(
        format!("{}/v1", server.uri()),
        Some("sk-fetch-test-abcdefgh".into()),
        "m",
    )
    .with_retry(RetryPolicy {
        max_retries: 1,
        base: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    })
    .with_timeout(Duration::from_secs(5))
}

fn answer_linking(link: &str) -> Value {
    json!({"choices": [{"index": 0, "finish_reason": "stop",
        "message": {"role": "assistant", "content": format!("Here: ![scene]({link})")}}]})
}

/// A metadata stand-in that answers everything with credentials.
async fn metadata() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(SECRET))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn links_to_private_addresses_and_redirects_to_them_fetch_nothing() {
    let provider = MockServer::start().await;
    let meta = metadata().await;
    let port = meta.address().port();
    let links = [
        format!("{}/latest/meta-data/iam", meta.uri()),
        format!("https://127.0.0.1:{port}/latest/meta-data/"),
        format!("https://localhost:{port}/latest/meta-data/"),
        "https://169.254.169.254/latest/meta-data/".to_string(),
        "http://[::ffff:127.0.0.1]:1/x".to_string(),
        format!("{}/files/moved.png", provider.uri()),
        format!("{}/files/error.png", provider.uri()),
    ];
    for link in &links {
        provider.reset().await;
        Mock::given(method("GET"))
            .and(path("/files/moved.png"))
            .respond_with(
                ResponseTemplate::new(302).insert_header("location", format!("{}/latest/meta-data/", meta.uri())),
            )
            .mount(&provider)
            .await;
        Mock::given(method("GET"))
            .and(path("/files/error.png"))
            .respond_with(ResponseTemplate::new(500).set_body_string(SECRET))
            .mount(&provider)
            .await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer_linking(link)))
            .mount(&provider)
            .await;
        let images = ChatImages::new(config(&provider)).unwrap();
        let e = images.image("x", vec![], AspectRatio::PORTRAIT).await.unwrap_err();
        assert!(!e.to_string().contains(SECRET), "a fetched body reached the error: {e}");
    }
    let reached = meta.received_requests().await.unwrap();
    assert!(reached.is_empty(), "the metadata stand-in was asked: {reached:?}");
}

#[tokio::test]
async fn the_providers_own_origin_and_allowed_origins_are_fetched() {
    let provider = MockServer::start().await;
    let files = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/a.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(PNG))
        .mount(&files)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/b.png"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", format!("{}/a.png", files.uri())))
        .mount(&provider)
        .await;
    for link in [
        format!("{}/a.png", files.uri()),
        format!("{}/files/b.png", provider.uri()),
    ] {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer_linking(&link)))
            .up_to_n_times(1)
            .mount(&provider)
            .await;
        let allowed = config(&provider).with_fetch_allow(vec![files.uri()]);
        let out = ChatImages::new(allowed)
            .unwrap()
            .image("x", vec![], AspectRatio::PORTRAIT)
            .await;
        assert_eq!(out.unwrap().bytes.as_ref(), PNG, "{link}");
    }
}

#[tokio::test]
async fn provider_answers_over_the_size_cap_are_refused() {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b' '; 64 * 1024]))
        .mount(&provider)
        .await;
    let images = ChatImages::new(config(&provider).with_max_body(16 * 1024)).unwrap();
    let e = images.image("x", vec![], AspectRatio::PORTRAIT).await.unwrap_err();
    assert!(e.to_string().contains("larger than 16384 bytes"), "{e}");
}
