//! Image providers that take several references, against wiremock in their
//! documented shapes (cited in each provider's module): Gemini
//! `generateContent` with inline images, Seedream through Ark's images API,
//! gpt-image edits with up to 16 `image[]`, and fal / Replicate image
//! models. Every reference reaches the call, in order, within the model's
//! cap from the capability table; the key is in its header and never in an error.

use base64::Engine;
use serde_json::json;
use sfd_core::{
    AspectRatio, AssetKind, Fal, GeminiImages, LlmErrorKind, MediaRequest, MediaType, ModelCapabilities, OpenAiImages,
    Renderer, RendererExt, Replicate, Seedream,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::render_task_providers::{KEY, Sequence, body_of, config, driver, frame, typed};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-fake-image";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn refs(n: usize) -> Vec<sfd_core::Reference> {
    (1..=n).map(|i| frame(&format!("char-{i}-portrait"))).collect()
}

#[tokio::test]
async fn gemini_sends_every_reference_inline_with_the_goog_key_and_reads_inline_data() {
    let server = MockServer::start().await;
    let at = "/v1beta/models/gemini-3-pro-image-preview:generateContent";
    Mock::given(method("POST"))
        .and(path(at))
        .and(header("x-goog-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "Here is the scene."},
                {"inlineData": {"mimeType": "image/png", "data": b64(PNG)}}
            ]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 812, "candidatesTokenCount": 1290}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let g = GeminiImages::new(config(format!("{}/v1beta", server.uri()), "gemini-3-pro-image-preview")).unwrap();
    let out = g
        .image("Ava and Rex at the pier", refs(3), AspectRatio::PORTRAIT)
        .await
        .unwrap();
    assert_eq!((out.media_type, out.usage.images), (MediaType::Png, 1));
    assert_eq!((out.usage.input_tokens, out.usage.output_tokens), (812, 1290));
    let body = body_of(&server, at).await;
    let parts = body["contents"][0]["parts"].as_array().unwrap();
    assert_eq!(parts[0]["text"], "Ava and Rex at the pier");
    assert_eq!(parts.len(), 4, "the prompt and three references");
    for p in &parts[1..] {
        assert_eq!(p["inline_data"]["mime_type"], "image/png");
        assert_eq!(p["inline_data"]["data"], b64(PNG));
    }
    assert_eq!(body["generationConfig"]["responseModalities"], json!(["IMAGE"]));
    assert_eq!(body["generationConfig"]["imageConfig"]["aspectRatio"], "9:16");
    // The table: 2.5 Flash Image takes 3 references, the 3.x models 14.
    assert_eq!(g.capabilities().max_references, Some(14));
    assert_eq!(
        ModelCapabilities::of("gemini", "gemini-2.5-flash-image").max_references,
        Some(3)
    );

    // No image: a refusal naming the reason, without the key.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"parts": []}, "finishReason": "PROHIBITED_CONTENT"}]
        })))
        .mount(&server)
        .await;
    let g = GeminiImages::new(config(server.uri(), "gemini-2.5-flash-image")).unwrap();
    let e = g.image("x", vec![], AspectRatio::PORTRAIT).await.unwrap_err();
    typed(&e, LlmErrorKind::Refusal);
    assert!(e.to_string().contains("PROHIBITED_CONTENT"), "{e}");
}

#[tokio::test]
async fn seedream_sends_references_as_an_image_list_with_a_bearer_key() {
    let server = MockServer::start().await;
    let at = "/api/v3/images/generations";
    Mock::given(method("POST"))
        .and(path(at))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "model": "doubao-seedream-4-0-250828", "created": 1757469561,
            "data": [{"b64_json": b64(PNG), "size": "1440x2560"}],
            "usage": {"generated_images": 1, "output_tokens": 16280, "total_tokens": 16280}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let s = Seedream::new(config(format!("{}/api/v3", server.uri()), "doubao-seedream-4-0-250828")).unwrap();
    let out = s
        .image("the crew on deck", refs(5), AspectRatio::PORTRAIT)
        .await
        .unwrap();
    assert_eq!((out.media_type, out.usage.output_tokens), (MediaType::Png, 16280));
    let body = body_of(&server, at).await;
    let images = body["image"].as_array().unwrap();
    assert_eq!(images.len(), 5);
    assert!(
        images
            .iter()
            .all(|i| i.as_str().unwrap().starts_with("data:image/png;base64,"))
    );
    assert_eq!(
        (body["size"].as_str(), body["sequential_image_generation"].as_str()),
        (Some("1440x2560"), Some("disabled"))
    );
    assert_eq!(
        (body["response_format"].as_str(), body["watermark"].as_bool()),
        (Some("b64_json"), Some(false))
    );
    assert_eq!(s.capabilities().max_references, Some(14));

    // A refused image comes back as a per-image error.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"error": {"code": "OutputImageSensitiveContentDetected", "message": "the output may be sensitive"}}]
        })))
        .mount(&server)
        .await;
    let s = Seedream::new(config(server.uri(), "seedream-4-5-251128")).unwrap();
    let e = s.image("x", vec![], AspectRatio::PORTRAIT).await.unwrap_err();
    typed(&e, LlmErrorKind::Refusal);
    let e = s
        .render(MediaRequest::new(AssetKind::Video, "x", AspectRatio::PORTRAIT))
        .await
        .unwrap_err();
    typed(&e, LlmErrorKind::BadRequest);
}

#[tokio::test]
async fn gpt_image_edits_take_up_to_sixteen_image_parts_in_order() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/edits"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"created": 1, "data": [{"b64_json": b64(PNG)}]})))
        .expect(1)
        .mount(&server)
        .await;
    let r = OpenAiImages::new(config(format!("{}/v1", server.uri()), "gpt-image-1")).unwrap();
    // Twenty references asked: the table's cap keeps the first sixteen.
    let caps = r.capabilities();
    let names: Vec<String> = refs(20).iter().map(|r| r.name.clone()).collect();
    let fitted = sfd_core::fit(
        &caps,
        AssetKind::Image,
        None,
        AspectRatio::PORTRAIT,
        &names,
        Default::default(),
    )
    .unwrap();
    assert_eq!(fitted.references.len(), 16);
    assert!(fitted.notes[0].contains("at most 16"), "{:?}", fitted.notes);
    let mut kept = refs(20);
    kept.truncate(fitted.references.len());
    r.image("the whole cast", kept, AspectRatio::PORTRAIT).await.unwrap();
    let req = &server.received_requests().await.unwrap()[0];
    let body = String::from_utf8_lossy(&req.body);
    assert_eq!(body.matches("name=\"image[]\"").count(), 16);
    let first = body.find("char-1-portrait.png").unwrap();
    let last = body.find("char-16-portrait.png").unwrap();
    assert!(first < last && !body.contains("char-17-portrait"));
}

#[tokio::test]
async fn fal_and_replicate_image_models_take_every_reference_as_a_list() {
    let server = MockServer::start().await;
    let file = format!("{}/files/out.png", server.uri());
    Mock::given(method("GET"))
        .and(path("/files/out.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PNG, "image/png"))
        .mount(&server)
        .await;
    let model = "fal-ai/nano-banana/edit";
    Mock::given(method("POST"))
        .and(path(format!("/{model}")))
        .and(header("authorization", format!("Key {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"request_id": "fi-1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/fal-ai/nano-banana/requests/fi-1/status"))
        .respond_with(Sequence::new(vec![
            json!({"status": "IN_QUEUE"}),
            json!({"status": "COMPLETED"}),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/fal-ai/nano-banana/requests/fi-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"images": [{"url": file, "content_type": "image/png"}]})),
        )
        .mount(&server)
        .await;
    let fal = driver(Fal::new(config(server.uri(), model)).unwrap());
    let out = fal.image("pier at dusk", refs(3), AspectRatio::PORTRAIT).await.unwrap();
    assert_eq!(out.media_type, MediaType::Png);
    let body = body_of(&server, &format!("/{model}")).await;
    let urls = body["image_urls"].as_array().unwrap();
    assert_eq!(urls.len(), 3);
    assert!(
        urls.iter()
            .all(|u| u.as_str().unwrap().starts_with("data:image/png;base64,"))
    );

    let server = MockServer::start().await;
    let file = format!("{}/files/out.png", server.uri());
    Mock::given(method("GET"))
        .and(path("/files/out.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PNG, "image/png"))
        .mount(&server)
        .await;
    let at = "/v1/models/google/nano-banana/predictions";
    Mock::given(method("POST"))
        .and(path(at))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "ri-1", "status": "starting"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/predictions/ri-1"))
        .respond_with(Sequence::new(vec![
            json!({"id": "ri-1", "status": "processing"}),
            json!({"id": "ri-1", "status": "succeeded", "output": file}),
        ]))
        .mount(&server)
        .await;
    let rep = driver(Replicate::new(config(server.uri(), "google/nano-banana")).unwrap());
    rep.image("pier at dusk", refs(2), AspectRatio::PORTRAIT).await.unwrap();
    let body = body_of(&server, at).await;
    assert_eq!(body["input"]["image_input"].as_array().unwrap().len(), 2);
    assert!(body["input"].get("image").is_none());
}
