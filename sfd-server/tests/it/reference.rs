//! `POST /dramas` as `multipart/form-data` (the old server's later form,
//! issue 29 item 6): `premise`, `id` and a `reference_image` answer 202 like
//! the JSON form; the generated drama's main character carries the image,
//! and the first scene image of that character is drawn from it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sfd_core::{
    AspectRatio, AssetKind, GenerationRequest, RenderConfig, RenderRequest, RendererExt, SimulatedRenderer,
};

use crate::harness::{Options, TestServer};

#[tokio::test]
async fn a_multipart_post_with_a_reference_image_makes_it_the_main_characters_portrait() {
    let sim = Arc::new(SimulatedRenderer::new());
    let render = AssetKind::ALL
        .iter()
        .fold(RenderConfig::new(), |c, k| c.with_renderer(*k, sim.clone()));
    let server = TestServer::with(Options {
        render,
        ..Default::default()
    })
    .await;
    let photo = sim
        .image("my own photo", vec![], AspectRatio::PORTRAIT)
        .await
        .unwrap()
        .bytes;

    // The old server's own test, as raw multipart.
    let form = reqwest::multipart::Form::new()
        .text("premise", "a corgi builds a rocket")
        .text("id", "drama_multipart1")
        .part(
            "reference_image",
            reqwest::multipart::Part::bytes(photo.to_vec())
                .file_name("me.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let resp = reqwest::Client::new()
        .post(server.url("/dramas"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        (body["dramaId"].as_str(), body["status"].as_str()),
        (Some("drama_multipart1"), Some("pending"))
    );
    let job_id = body["jobId"].as_str().unwrap().to_string();
    let c = &server.client;
    c.wait_for_job("drama_multipart1", &job_id, Duration::from_secs(30))
        .await
        .unwrap();
    let d = c.get_drama("drama_multipart1").await.unwrap().value;
    let main = d.characters.iter().find(|c| c.main).unwrap_or(&d.characters[0]);
    let url = main.url.clone().expect("the main character carries the reference");
    let served = reqwest::get(server.url(&url)).await.unwrap().bytes().await.unwrap();
    assert_eq!(served, photo, "the stored reference is the uploaded file");

    // Rendered: the first scene image of the main character receives it.
    let job = c
        .render(
            "drama_multipart1",
            &RenderRequest {
                kinds: Some(vec![AssetKind::Image]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    c.wait_for_job("drama_multipart1", &job.job_id, Duration::from_secs(30))
        .await
        .unwrap();
    let first = d
        .episodes
        .iter()
        .flat_map(|e| &e.scenes)
        .flat_map(|s| &s.assets)
        .find(|a| a.kind == AssetKind::Image && a.depends_on.contains(&main.id))
        .unwrap();
    let call = sim.calls().into_iter().find(|c| c.label == first.id).unwrap();
    assert!(
        call.reference_hashes.contains(&sfd_core::sha256_hex(&photo)),
        "{call:?}"
    );

    // The typed client sends the same form; a file that is no image is a 415.
    let req = GenerationRequest::new("a corgi builds a rocket").with_id("drama_multipart2");
    let job = c.generate_drama_with_reference(&req, photo.to_vec()).await.unwrap();
    assert_eq!(job.drama_id, "drama_multipart2");
    let req = req.with_id("drama_multipart3");
    let e = c
        .generate_drama_with_reference(&req, b"%PDF-1.7".to_vec())
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("415") || e.to_string().contains("unsupported"),
        "{e}"
    );
    // A form without a premise is a 422.
    let form = reqwest::multipart::Form::new().text("id", "drama_multipart4");
    let resp = reqwest::Client::new()
        .post(server.url("/dramas"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    server.stop().await;
}
