//! References no render drops without a word (issue 22, item 4): a
//! portrait outside sfd's media store (an old document's `character.url`)
//! is the portrait — not rendered and paid again — and is fetched under the
//! fetch rules or fails its node naming the origin; a video gets every
//! reference, its scene's keyframe first. A local server stands in for the
//! host of the old portrait.

use std::sync::Arc;

use sfd_core::{
    AssetKind, Drama, FetchRules, JobStatus, PlanAction, RenderRequest, RenderResult, Storage, StorageBuilder,
    StorageExt, plan_render, sha256_hex,
};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::render_support::{priced_with, sample, simulated, studio_with};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-old-portrait";

fn result_of(job: &sfd_core::Job) -> RenderResult {
    serde_json::from_value(serde_json::Value::Object(job.result.clone().unwrap())).unwrap()
}

/// A host serving the old portrait.
async fn portrait_host() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_bytes(PNG))
        .mount(&server)
        .await;
    server
}

/// One character whose portrait is `character.url` (written before sfd
/// rendered portraits), one scene with an image and a video.
fn old_drama(id: &str, portrait: &str) -> Drama {
    let mut d = sample(id, 1, 1, 1, 4, false);
    d.characters[0].url = Some(portrait.to_string());
    d
}

async fn render(d: &Drama, rules: FetchRules) -> (RenderResult, JobStatus, Arc<sfd_core::SimulatedRenderer>) {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(d).await.unwrap();
    let sim = simulated();
    let studio = studio_with(Arc::clone(&storage), priced_with(sim.clone()).with_fetch_rules(rules));
    let job = studio.start_render(&d.id, RenderRequest::all()).await.unwrap();
    let done = studio.jobs().wait(&d.id, &job.job_id).await.unwrap();
    (result_of(&done), done.status, sim)
}

#[tokio::test]
async fn an_old_character_url_is_the_portrait_fetched_and_passed_on() {
    let host = portrait_host().await;
    let d = old_drama("drama_oldportrait", &format!("{}/portraits/a.png", host.uri()));
    let rules = FetchRules::new([host.uri()]).unwrap();
    let plan = plan_render(&d, &RenderRequest::all(), &priced_with(simulated())).unwrap();
    let portrait = plan.node("char-0-portrait").unwrap();
    assert_eq!(portrait.action, PlanAction::Skip, "{portrait:?}");
    assert_eq!(portrait.estimated_cost_usd, 0.0);
    let (result, status, sim) = render(&d, rules).await;
    assert_eq!(status, JobStatus::Completed, "{result:?}");
    let calls = sim.calls();
    assert!(
        calls.iter().all(|c| c.label != "char-0-portrait"),
        "the portrait was paid again"
    );
    // The scene image and the cover both take it.
    for label in ["ep1-sc1-img", "cover"] {
        let image = calls.iter().find(|c| c.label == label).unwrap();
        assert_eq!(image.references, ["char-0-portrait"], "{label}");
        assert_eq!(image.reference_hashes, [sha256_hex(PNG)], "{label}");
    }
    assert_eq!(host.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_refused_portrait_url_fails_its_node_naming_the_origin_and_setting() {
    let host = portrait_host().await;
    let d = old_drama("drama_refusedportrait", &format!("{}/portraits/a.png", host.uri()));
    // Plain http to loopback, not allowed.
    let (result, status, sim) = render(&d, FetchRules::default()).await;
    assert_eq!(status, JobStatus::Failed);
    let failed = result.failed.iter().find(|f| f.asset_id == "ep1-sc1-img").unwrap();
    assert!(
        failed.error.contains(&host.uri()) && failed.error.contains("SFD_FETCH_ALLOW"),
        "{}",
        failed.error
    );
    assert!(result.skipped.iter().any(|s| s.asset_id == "ep1-sc1-vid"));
    assert!(
        sim.calls()
            .iter()
            .all(|c| c.kind == AssetKind::Image && c.label != "ep1-sc1-img")
    );
    assert!(host.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_video_gets_every_reference_its_keyframe_first() {
    let mut d = sample("drama_videorefs", 1, 1, 1, 4, false);
    let scene = &mut d.episodes[0].scenes[0];
    let video = scene.assets.iter_mut().find(|a| a.kind == AssetKind::Video).unwrap();
    video.depends_on = vec!["char-0".into(), "ep1-sc1-img".into()];
    let (result, status, sim) = render(&d, FetchRules::default()).await;
    assert_eq!(status, JobStatus::Completed, "{result:?}");
    let calls = sim.calls();
    let clip = calls.iter().find(|c| c.label == "ep1-sc1-vid").unwrap();
    assert_eq!(clip.references, ["ep1-sc1-img", "char-0-portrait"]);
}
