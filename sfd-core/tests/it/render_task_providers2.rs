//! Veo, Kling, Wan, MiniMax, fal, Replicate and ComfyUI against wiremock,
//! each in its documented shapes (cited in each provider's module): the
//! key in its header, references in the provider's own form, queued →
//! running → succeeded, the download, and a failed task.

use serde_json::{Value, json};
use sfd_core::{
    AspectRatio, ComfyUi, Fal, Kling, LlmErrorKind, MediaType, MiniMax, ProviderConfig, RendererExt, Replicate, Veo,
    Wan,
};
use wiremock::matchers::{header, header_regex, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::render_task_providers::{KEY, MP4, Sequence, body_of, config, driver, frame, typed};

/// Serves the result file at `/files/out.mp4` (no key expected) and returns its URL.
async fn file(server: &MockServer) -> String {
    Mock::given(method("GET"))
        .and(path("/files/out.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MP4, "video/mp4"))
        .expect(1)
        .mount(server)
        .await;
    format!("{}/files/out.mp4", server.uri())
}

fn cfg(server: &MockServer, model: &str) -> ProviderConfig {
    config(server.uri(), model)
}

async fn polls(server: &MockServer, at: &str, answers: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(Sequence::new(answers))
        .mount(server)
        .await;
}

#[tokio::test]
async fn veo_runs_a_long_operation_with_the_goog_key_and_the_first_frame() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/models/veo-3.1-generate-preview:predictLongRunning"))
        .and(header("x-goog-api-key", KEY))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"name": "models/veo-3.1-generate-preview/operations/op1"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    // The file lives at the API's own origin and is fetched with the key.
    Mock::given(method("GET"))
        .and(path("/files/v1:download"))
        .and(header("x-goog-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MP4, "video/mp4"))
        .expect(1)
        .mount(&server)
        .await;
    let op = "/models/veo-3.1-generate-preview/operations/op1";
    let done = json!({"name": op, "done": true, "response": {"generateVideoResponse": {"generatedSamples": [
        {"video": {"uri": format!("{}/files/v1:download", server.uri())}}]}}});
    polls(
        &server,
        op,
        vec![json!({"name": op}), json!({"name": op, "done": false}), done],
    )
    .await;
    let out = driver(Veo::new(cfg(&server, "veo-3.1-generate-preview")).unwrap())
        .video("sunrise", Some(frame("sc1-img")), AspectRatio::PORTRAIT, 8)
        .await
        .unwrap();
    assert_eq!(out.media_type, MediaType::Mp4);
    let body = body_of(&server, "/models/veo-3.1-generate-preview:predictLongRunning").await;
    assert_eq!(body["instances"][0]["prompt"], "sunrise");
    assert_eq!(body["instances"][0]["image"]["mimeType"], "image/png");
    assert!(
        body["instances"][0]["image"]["bytesBase64Encoded"]
            .as_str()
            .unwrap()
            .starts_with("iVBOR")
    );
    assert_eq!(body["parameters"], json!({"aspectRatio": "9:16", "durationSeconds": 8}));

    // Safety filters leave no sample: a refusal, naming the reason.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "operations/op2"})))
        .mount(&server)
        .await;
    polls(
        &server,
        "/operations/op2",
        vec![json!({"name": "operations/op2", "done": true, "response":
        {"generateVideoResponse": {"raiMediaFilteredReasons": ["the prompt names a celebrity"]}}})],
    )
    .await;
    let e = driver(Veo::new(cfg(&server, "veo-3.0")).unwrap())
        .video("x", None, AspectRatio::PORTRAIT, 8)
        .await
        .unwrap_err();
    typed(&e, LlmErrorKind::Refusal);
    assert!(e.to_string().contains("celebrity"), "{e}");
}

#[tokio::test]
async fn kling_signs_each_call_and_sends_raw_base64_frames() {
    let server = MockServer::start().await;
    let url = file(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/videos/image2video"))
        .and(header_regex(
            "authorization",
            r"^Bearer eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"code": 0, "message": "SUCCEED",
            "data": {"task_id": "k-77", "task_status": "submitted"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let data = |status: &str| json!({"code": 0, "data": {"task_id": "k-77", "task_status": status}});
    let mut done = data("succeed");
    done["data"]["task_result"] = json!({"videos": [{"id": "v", "url": url, "duration": "5"}]});
    polls(
        &server,
        "/v1/videos/image2video/k-77",
        vec![data("submitted"), data("processing"), done],
    )
    .await;
    let kling = Kling::new(cfg(&server, "kling-v2-1"), "ak-test".into(), KEY.into()).unwrap();
    let out = driver(kling)
        .video("wag", Some(frame("sc1-img")), AspectRatio::PORTRAIT, 5)
        .await
        .unwrap();
    assert_eq!((out.media_type, out.usage.seconds), (MediaType::Mp4, 5.0));
    let body = body_of(&server, "/v1/videos/image2video").await;
    assert_eq!(
        (body["model_name"].as_str(), body["duration"].as_str()),
        (Some("kling-v2-1"), Some("5"))
    );
    assert!(
        body["image"].as_str().unwrap().starts_with("iVBOR"),
        "raw base64, no data: prefix"
    );
    assert!(body["external_task_id"].as_str().unwrap().starts_with("sfd-"));
    let reqs = server.received_requests().await.unwrap();
    assert!(
        reqs.iter().all(|r| !format!("{:?}", r.headers).contains(KEY)),
        "the secret was sent"
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/videos/text2video"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 0, "data": {"task_id": "k-bad"}})))
        .mount(&server)
        .await;
    polls(
        &server,
        "/v1/videos/text2video/k-bad",
        vec![json!({"code": 0, "data": {"task_id": "k-bad",
        "task_status": "failed", "task_status_msg": "Failure to pass the risk control system"}})],
    )
    .await;
    let kling = Kling::new(cfg(&server, "kling-v2-1"), "ak-test".into(), KEY.into()).unwrap();
    let e = driver(kling)
        .video("x", None, AspectRatio::PORTRAIT, 5)
        .await
        .unwrap_err();
    typed(&e, LlmErrorKind::Refusal);
}

#[tokio::test]
async fn wan_creates_an_async_dashscope_task_with_the_frame_as_img_url() {
    let server = MockServer::start().await;
    let url = file(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/services/aigc/video-generation/video-synthesis"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("x-dashscope-async", "enable"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"request_id": "r",
            "output": {"task_id": "w-1", "task_status": "PENDING"}})))
        .expect(1)
        .mount(&server)
        .await;
    let out = |s: &str| json!({"output": {"task_id": "w-1", "task_status": s}});
    let mut done = out("SUCCEEDED");
    done["output"]["video_url"] = json!(url);
    done["usage"] = json!({"video_duration": 5});
    polls(&server, "/api/v1/tasks/w-1", vec![out("PENDING"), out("RUNNING"), done]).await;
    let got = driver(Wan::new(cfg(&server, "wan2.5-i2v-preview")).unwrap())
        .video("rain", Some(frame("sc1-img")), AspectRatio::PORTRAIT, 5)
        .await
        .unwrap();
    assert_eq!((got.media_type, got.usage.seconds), (MediaType::Mp4, 5.0));
    let body = body_of(&server, "/api/v1/services/aigc/video-generation/video-synthesis").await;
    assert!(
        body["input"]["img_url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(body["parameters"]["duration"], 5);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"output": {"task_id": "w-2"}})))
        .mount(&server)
        .await;
    polls(
        &server,
        "/api/v1/tasks/w-2",
        vec![json!({"output": {"task_id": "w-2", "task_status": "FAILED",
        "code": "InternalError", "message": "the model crashed"}})],
    )
    .await;
    let e = driver(Wan::new(cfg(&server, "wan2.2-t2v-plus")).unwrap())
        .video("x", None, AspectRatio::PORTRAIT, 5)
        .await
        .unwrap_err();
    typed(&e, LlmErrorKind::Server);
    assert!(e.to_string().contains("crashed"), "{e}");
}

#[tokio::test]
async fn minimax_creates_queries_and_retrieves_the_file() {
    let server = MockServer::start().await;
    let url = file(&server).await;
    let bearer = format!("Bearer {KEY}");
    Mock::given(method("POST"))
        .and(path("/v1/video_generation"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"task_id": "106916112212032",
            "base_resp": {"status_code": 0, "status_msg": "success"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let q = |s: &str| json!({"task_id": "106916112212032", "status": s, "base_resp": {"status_code": 0}});
    let mut done = q("Success");
    done["file_id"] = json!(205258526306433_u64);
    Mock::given(method("GET"))
        .and(path("/v1/query/video_generation"))
        .and(query_param("task_id", "106916112212032"))
        .respond_with(Sequence::new(vec![q("Queueing"), q("Processing"), done]))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/files/retrieve"))
        .and(query_param("file_id", "205258526306433"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"file": {"file_id": 205258526306433_u64,
            "download_url": url}, "base_resp": {"status_code": 0}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let out = driver(MiniMax::new(cfg(&server, "MiniMax-Hailuo-02")).unwrap())
        .video("dash", Some(frame("sc1-img")), AspectRatio::PORTRAIT, 6)
        .await
        .unwrap();
    assert_eq!(out.media_type, MediaType::Mp4);
    let body = body_of(&server, "/v1/video_generation").await;
    assert!(
        body["first_frame_image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(
        (body["model"].as_str(), body["duration"].as_u64()),
        (Some("MiniMax-Hailuo-02"), Some(6))
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"task_id": "m-bad", "base_resp": {"status_code": 0}})),
        )
        .mount(&server)
        .await;
    polls(
        &server,
        "/v1/query/video_generation",
        vec![json!({"task_id": "m-bad", "status": "Fail",
        "base_resp": {"status_code": 0}})],
    )
    .await;
    let e = driver(MiniMax::new(cfg(&server, "MiniMax-Hailuo-02")).unwrap())
        .video("x", None, AspectRatio::PORTRAIT, 6)
        .await
        .unwrap_err();
    typed(&e, LlmErrorKind::Server);
}

#[tokio::test]
async fn fal_queues_with_its_key_header_and_reads_the_result() {
    let server = MockServer::start().await;
    let url = file(&server).await;
    let model = "fal-ai/kling-video/v2.1/standard/image-to-video";
    Mock::given(method("POST"))
        .and(path(format!("/{model}")))
        .and(header("authorization", format!("Key {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"request_id": "f-1"})))
        .expect(1)
        .mount(&server)
        .await;
    polls(
        &server,
        "/fal-ai/kling-video/requests/f-1/status",
        vec![
            json!({"status": "IN_QUEUE", "queue_position": 2}),
            json!({"status": "IN_PROGRESS"}),
            json!({"status": "COMPLETED"}),
        ],
    )
    .await;
    polls(
        &server,
        "/fal-ai/kling-video/requests/f-1",
        vec![json!({"video": {"url": url}})],
    )
    .await;
    let out = driver(Fal::new(cfg(&server, model)).unwrap())
        .video("zoom", Some(frame("sc1-img")), AspectRatio::PORTRAIT, 5)
        .await
        .unwrap();
    assert_eq!(out.media_type, MediaType::Mp4);
    let body = body_of(&server, &format!("/{model}")).await;
    assert!(
        body["image_url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(
        (body["duration"].as_str(), body["aspect_ratio"].as_str()),
        (Some("5"), Some("9:16"))
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"request_id": "f-bad"})))
        .mount(&server)
        .await;
    polls(
        &server,
        "/fal-ai/veo3/requests/f-bad/status",
        vec![json!({"status": "COMPLETED"})],
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/fal-ai/veo3/requests/f-bad"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"detail": "content policy violation"})))
        .mount(&server)
        .await;
    let e = driver(Fal::new(cfg(&server, "fal-ai/veo3")).unwrap())
        .video("x", None, AspectRatio::PORTRAIT, 8)
        .await
        .unwrap_err();
    typed(&e, LlmErrorKind::Refusal);
}

#[tokio::test]
async fn replicate_predicts_with_the_models_image_field() {
    let server = MockServer::start().await;
    let url = file(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/models/kwaivgi/kling-v2.1/predictions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "rp-1", "status": "starting"})))
        .expect(1)
        .mount(&server)
        .await;
    let p = |s: &str| json!({"id": "rp-1", "status": s});
    let mut done = p("succeeded");
    done["output"] = json!(url);
    polls(
        &server,
        "/v1/predictions/rp-1",
        vec![p("starting"), p("processing"), done],
    )
    .await;
    let out = driver(Replicate::new(cfg(&server, "kwaivgi/kling-v2.1")).unwrap())
        .video("spin", Some(frame("sc1-img")), AspectRatio::PORTRAIT, 5)
        .await
        .unwrap();
    assert_eq!(out.media_type, MediaType::Mp4);
    let body = body_of(&server, "/v1/models/kwaivgi/kling-v2.1/predictions").await;
    assert!(
        body["input"]["start_image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/predictions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "rp-bad", "status": "starting"})))
        .mount(&server)
        .await;
    polls(
        &server,
        "/v1/predictions/rp-bad",
        vec![json!({"id": "rp-bad", "status": "failed", "error": "CUDA out of memory"})],
    )
    .await;
    let e = driver(Replicate::new(cfg(&server, "acme/clip:5c7d5dc6")).unwrap())
        .video("x", None, AspectRatio::PORTRAIT, 5)
        .await
        .unwrap_err();
    typed(&e, LlmErrorKind::Server);
    assert_eq!(body_of(&server, "/v1/predictions").await["version"], "5c7d5dc6");
}

#[tokio::test]
async fn comfyui_fills_the_workflow_uploads_the_frame_and_views_the_output() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/upload/image"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"name": "sc1-img.png", "subfolder": "", "type": "input"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/prompt"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"prompt_id": "c-1", "number": 3, "node_errors": {}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let done = json!({"c-1": {"status": {"status_str": "success", "completed": true, "messages": []},
        "outputs": {"9": {"gifs": [{"filename": "clip_00001.mp4", "subfolder": "", "type": "output"}]}}}});
    polls(&server, "/history/c-1", vec![json!({}), json!({}), done]).await;
    Mock::given(method("GET"))
        .and(path("/view"))
        .and(query_param("filename", "clip_00001.mp4"))
        .and(query_param("type", "output"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MP4, "video/mp4"))
        .expect(1)
        .mount(&server)
        .await;
    let workflow = r#"{"1": {"class_type": "LoadImage", "inputs": {"image": "{{image}}"}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "cinematic, {{prompt}}"}},
        "3": {"class_type": "WanImageToVideo", "inputs": {"width": "{{width}}", "height": "{{height}}", "length": "{{seconds}}"}}}"#;
    let comfy = ComfyUi::new(cfg(&server, "wan-i2v"), workflow).unwrap();
    let out = driver(comfy)
        .video("a corgi runs", Some(frame("sc1-img")), AspectRatio::PORTRAIT, 5)
        .await
        .unwrap();
    assert_eq!(out.media_type, MediaType::Mp4);
    let body = body_of(&server, "/prompt").await;
    let wf = &body["prompt"];
    assert_eq!(wf["1"]["inputs"]["image"], "sc1-img.png");
    assert_eq!(wf["2"]["inputs"]["text"], "cinematic, a corgi runs");
    assert_eq!(wf["3"]["inputs"], json!({"width": 720, "height": 1280, "length": 5}));
    assert!(body["client_id"].as_str().unwrap().starts_with("sfd-"));

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/prompt"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"prompt_id": "c-bad"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/history/c-bad$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"c-bad": {"status": {"status_str": "error",
            "completed": false, "messages": [["execution_error", {"exception_message": "out of VRAM"}]]}, "outputs": {}}})))
        .mount(&server)
        .await;
    let e = driver(ComfyUi::new(cfg(&server, "x"), workflow).unwrap())
        .video("x", None, AspectRatio::PORTRAIT, 5)
        .await
        .unwrap_err();
    typed(&e, LlmErrorKind::Server);
    assert!(e.to_string().contains("VRAM"), "{e}");
}
