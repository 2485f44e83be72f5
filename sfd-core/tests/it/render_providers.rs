//! Every media provider against a mocked HTTP API (wiremock): request
//! shapes, references sent as files, each answer form, retries, typed errors.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};
use sfd_core::llm::RetryPolicy;
use sfd_core::{
    AspectRatio, AssetKind, ChatImages, Error, LlmErrorKind, MediaRequest, MediaType, OpenAiImages, OpenAiSpeech,
    OpenAiVideos, ProviderConfig, Reference, RendererExt, VideoPolling, Voice,
};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-render-test-abcdefghijkl";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-fake-image";

fn config(server: &MockServer, model: &str) -> ProviderConfig {
    ProviderConfig::new(format!("{}/v1", server.uri()), Some(KEY.into()), model)
        .with_retry(RetryPolicy {
            max_retries: 2,
            base: Duration::from_millis(1),
            max_delay: Duration::from_millis(20),
            ..Default::default()
        })
        .with_timeout(Duration::from_secs(5))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn reference(name: &str) -> Reference {
    Reference {
        name: name.into(),
        media_type: MediaType::Png,
        bytes: Bytes::from_static(PNG),
    }
}

fn images_answer() -> Value {
    json!({"created": 1, "data": [{"b64_json": b64(PNG)}],
           "usage": {"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210}})
}

/// The provider error inside `e`, asserting the key never shows.
fn render_kind(e: &Error) -> LlmErrorKind {
    assert!(!e.to_string().contains(KEY), "the key leaked: {e}");
    match e {
        Error::Render { kind, .. } => *kind,
        other => panic!("not a render error: {other}"),
    }
}

#[tokio::test]
async fn openai_images_generate_without_references() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_partial_json(
            json!({"model": "gpt-image-1", "prompt": "a corgi", "size": "1024x1536", "n": 1}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(images_answer()))
        .expect(1)
        .mount(&server)
        .await;
    let r = OpenAiImages::new(config(&server, "gpt-image-1")).unwrap();
    let out = r.image("a corgi", vec![], AspectRatio::PORTRAIT).await.unwrap();
    assert_eq!(out.bytes.as_ref(), PNG);
    assert_eq!(out.media_type, MediaType::Png);
    assert_eq!(
        (out.usage.images, out.usage.input_tokens, out.usage.output_tokens),
        (1, 50, 4160)
    );
    assert_eq!(
        (out.provider.as_str(), out.model.as_str()),
        ("openai-images", "gpt-image-1")
    );
    let sent: Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert!(
        sent.get("response_format").is_none(),
        "gpt-image-1 always answers b64_json"
    );
    let landscape = "16:9".parse().unwrap();
    assert_eq!(r.size(landscape), "1536x1024");
}

#[tokio::test]
async fn openai_images_edit_with_every_reference_as_a_file() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/edits"))
        .respond_with(ResponseTemplate::new(200).set_body_json(images_answer()))
        .expect(1)
        .mount(&server)
        .await;
    let r = OpenAiImages::new(config(&server, "gpt-image-1")).unwrap();
    let refs = vec![reference("char-a-portrait"), reference("char-b-portrait")];
    r.image("both heroes", refs, AspectRatio::PORTRAIT).await.unwrap();
    let req = &server.received_requests().await.unwrap()[0];
    let ct = req.headers.get("content-type").unwrap().to_str().unwrap();
    assert!(ct.starts_with("multipart/form-data"), "{ct}");
    let body = String::from_utf8_lossy(&req.body);
    assert_eq!(body.matches("name=\"image[]\"").count(), 2, "{body}");
    assert!(body.contains("filename=\"char-a-portrait.png\"") && body.contains("filename=\"char-b-portrait.png\""));
    assert!(body.contains("Content-Type: image/png"));
    assert!(body.contains("name=\"size\"\r\n\r\n1024x1536"));
    assert!(body.contains("name=\"model\"\r\n\r\ngpt-image-1"));
}

#[tokio::test]
async fn dall_e_answers_with_urls_that_are_fetched_without_the_key() {
    let server = MockServer::start().await;
    let file_url = format!("{}/files/img.png", server.uri());
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .and(body_partial_json(
            json!({"response_format": "b64_json", "size": "1024x1792"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"url": file_url}]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/img.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(PNG))
        .mount(&server)
        .await;
    let r = OpenAiImages::new(config(&server, "dall-e-3")).unwrap();
    let out = r.image("x", vec![], AspectRatio::PORTRAIT).await.unwrap();
    assert_eq!(out.bytes.as_ref(), PNG);
    let reqs = server.received_requests().await.unwrap();
    assert!(
        reqs[1].headers.get("authorization").is_none(),
        "the key went to a file URL"
    );
}

#[tokio::test]
async fn rate_limits_are_retried_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after-ms", "5"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(images_answer()))
        .mount(&server)
        .await;
    let r = OpenAiImages::new(config(&server, "gpt-image-1")).unwrap();
    r.image("x", vec![], AspectRatio::PORTRAIT).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn refusals_and_auth_errors_are_typed_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "code": "moderation_blocked", "message": "Your request was rejected by the safety system."}})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/speech"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "message": format!("Incorrect API key provided: {KEY}")}})))
        .mount(&server)
        .await;
    let images = OpenAiImages::new(config(&server, "gpt-image-1")).unwrap();
    let e = images.image("x", vec![], AspectRatio::PORTRAIT).await.unwrap_err();
    assert_eq!(render_kind(&e), LlmErrorKind::Refusal);
    assert!(e.to_string().contains("safety system"), "{e}");
    let speech = OpenAiSpeech::new(config(&server, "gpt-4o-mini-tts")).unwrap();
    let voice = Voice {
        name: "coral".into(),
        instructions: None,
        sample: None,
    };
    let e = speech.speech("hello", voice).await.unwrap_err();
    assert_eq!(render_kind(&e), LlmErrorKind::Auth);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "errors were retried"
    );
    // A renderer asked for the wrong kind says so.
    let e = images
        .speech(
            "hi",
            Voice {
                name: "x".into(),
                instructions: None,
                sample: None,
            },
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("makes image files"), "{e}");
}

fn chat_answer(message: Value) -> Value {
    json!({"id": "c", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
           "usage": {"prompt_tokens": 300, "completion_tokens": 1290}})
}

#[tokio::test]
async fn chat_images_send_references_as_data_urls_and_read_every_answer_form() {
    let server = MockServer::start().await;
    let data_url = format!("data:image/png;base64,{}", b64(PNG));
    let answers = [
        json!({"role": "assistant", "content": null,
               "images": [{"type": "image_url", "image_url": {"url": data_url}}]}),
        json!({"role": "assistant", "content": format!("Here it is: ![scene]({data_url})")}),
        json!({"role": "assistant", "content": format!("![scene]({}/files/x.png)", server.uri())}),
    ];
    for (i, answer) in answers.iter().enumerate() {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(chat_answer(answer.clone())))
            .up_to_n_times(1)
            .with_priority(10 - i as u8)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/files/x.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(PNG))
        .mount(&server)
        .await;
    let r = ChatImages::new(config(&server, "gemini-2.5-flash-image")).unwrap();
    for _ in 0..3 {
        let out = r
            .image("two heroes", vec![reference("char-a-portrait")], AspectRatio::PORTRAIT)
            .await
            .unwrap();
        assert_eq!(out.bytes.as_ref(), PNG);
        assert_eq!(out.usage.output_tokens, 1290);
    }
    let sent: Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert_eq!(sent["model"], "gemini-2.5-flash-image");
    assert_eq!(sent["image_config"]["aspect_ratio"], "9:16");
    let content = sent["messages"][0]["content"].as_array().unwrap();
    assert!(content[0]["text"].as_str().unwrap().starts_with("two heroes"));
    assert_eq!(content[1]["image_url"]["url"], data_url);
}

#[tokio::test]
async fn chat_images_without_an_image_are_a_refusal() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat_answer(
            json!({"role": "assistant", "content": "I can't help with that."}),
        )))
        .mount(&server)
        .await;
    let r = ChatImages::new(config(&server, "gemini-2.5-flash-image")).unwrap();
    let e = r.image("x", vec![], AspectRatio::PORTRAIT).await.unwrap_err();
    assert_eq!(render_kind(&e), LlmErrorKind::Refusal);
    assert!(e.to_string().contains("can't help"), "{e}");
}

fn videos(server: &MockServer) -> OpenAiVideos {
    OpenAiVideos::new(config(server, "sora-2"))
        .unwrap()
        .with_polling(VideoPolling {
            first: Duration::from_millis(1),
            max_interval: Duration::from_millis(5),
            timeout: Duration::from_secs(10),
        })
}

#[tokio::test]
async fn videos_create_poll_and_download_from_the_scene_image() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/videos"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "video_123", "status": "queued"})))
        .expect(1)
        .mount(&server)
        .await;
    for (i, status) in ["queued", "in_progress"].iter().enumerate() {
        Mock::given(method("GET"))
            .and(path("/v1/videos/video_123"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"id": "video_123", "status": status, "progress": 10})),
            )
            .up_to_n_times(1)
            .with_priority(5 - i as u8)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v1/videos/video_123"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "video_123", "status": "completed", "seconds": "8"})),
        )
        .mount(&server)
        .await;
    let mp4 = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41 fake".to_vec();
    Mock::given(method("GET"))
        .and(path("/v1/videos/video_123/content"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mp4.clone(), "video/mp4"))
        .expect(1)
        .mount(&server)
        .await;
    // A 1024×1536 scene image, as image models make them; Sora wants 720×1280 exactly.
    let mut portrait = std::io::Cursor::new(Vec::new());
    image::RgbImage::new(1024, 1536)
        .write_to(&mut portrait, image::ImageFormat::Png)
        .unwrap();
    let scene = Reference {
        bytes: Bytes::from(portrait.into_inner()),
        ..reference("ep1-sc1-img")
    };
    // 7 s is not a length Sora takes: 8 s is asked.
    let out = videos(&server)
        .video("dolly in", Some(scene), AspectRatio::PORTRAIT, 7)
        .await
        .unwrap();
    assert_eq!(out.bytes.as_ref(), mp4.as_slice());
    assert_eq!((out.media_type, out.usage.seconds), (MediaType::Mp4, 8.0));
    let reqs = server.received_requests().await.unwrap();
    let create = String::from_utf8_lossy(&reqs[0].body);
    for field in [
        "name=\"model\"\r\n\r\nsora-2",
        "name=\"prompt\"\r\n\r\ndolly in",
        "name=\"seconds\"\r\n\r\n8",
        "name=\"size\"\r\n\r\n720x1280",
        "name=\"input_reference\"; filename=\"ep1-sc1-img.png\"",
    ] {
        assert!(create.contains(field), "missing {field:?} in {create}");
    }
    let at = reqs[0].body.windows(4).position(|w| w == b"\x89PNG").unwrap();
    let ihdr = &reqs[0].body[at + 16..at + 24];
    let size = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!(
        (size(&ihdr[..4]), size(&ihdr[4..])),
        (720, 1280),
        "the reference is not the exact size"
    );
    let polls = reqs.iter().filter(|r| r.url.path() == "/v1/videos/video_123").count();
    assert_eq!(polls, 3);
}

#[tokio::test]
async fn failed_and_endless_videos_are_typed_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/videos"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "video_bad", "status": "queued"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/videos/video_bad"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "video_bad", "status": "failed",
            "error": {"code": "moderation_blocked", "message": "the clip was blocked"}})),
        )
        .mount(&server)
        .await;
    let e = videos(&server)
        .video("x", None, AspectRatio::PORTRAIT, 4)
        .await
        .unwrap_err();
    assert_eq!(render_kind(&e), LlmErrorKind::Refusal);
    assert!(
        e.to_string().contains("video_bad") && e.to_string().contains("blocked"),
        "{e}"
    );

    // A job that never finishes ends at the polling bound.
    Mock::given(method("POST"))
        .and(path("/v1/videos"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "video_slow", "status": "in_progress"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/videos/video_slow"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "video_slow", "status": "in_progress"})))
        .mount(&server)
        .await;
    let bounded = OpenAiVideos::new(config(&server, "sora-2"))
        .unwrap()
        .with_polling(VideoPolling {
            first: Duration::from_millis(1),
            max_interval: Duration::from_millis(2),
            timeout: Duration::from_millis(30),
        });
    let e = bounded.video("x", None, AspectRatio::PORTRAIT, 4).await.unwrap_err();
    assert_eq!(render_kind(&e), LlmErrorKind::Timeout);
    assert!(e.to_string().contains("video_slow"), "{e}");
}

#[tokio::test]
async fn speech_sends_voice_and_instructions_and_measures_the_wav() {
    let server = MockServer::start().await;
    // 1 second of 8 kHz 16-bit mono silence.
    let mut wav = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data".to_vec();
    wav.extend_from_slice(&16000u32.to_le_bytes());
    wav.extend(std::iter::repeat_n(0u8, 16000));
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/speech"))
        .and(body_partial_json(
            json!({"model": "gpt-4o-mini-tts", "input": "Fetch the stars.",
            "voice": "coral", "instructions": "bright", "response_format": "wav"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(wav.clone(), "audio/wav"))
        .mount(&server)
        .await;
    let r = OpenAiSpeech::new(config(&server, "gpt-4o-mini-tts")).unwrap();
    let voice = Voice {
        name: "coral".into(),
        instructions: Some("bright".into()),
        sample: None,
    };
    let out = r.speech("Fetch the stars.", voice.clone()).await.unwrap();
    assert_eq!(
        (out.media_type, out.usage.seconds, out.usage.characters),
        (MediaType::Wav, 1.0, 16)
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2, "a 500 is retried");
    let tts1 = OpenAiSpeech::new(config(&server, "tts-1")).unwrap();
    let mut req = MediaRequest::new(AssetKind::Audio, "hi", AspectRatio::PORTRAIT);
    req.voice = Some(voice);
    assert!(tts1.request_body(&req).get("instructions").is_none());
}
