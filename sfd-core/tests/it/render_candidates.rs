//! Best-of-N with the simulated renderer and judge: every image renders N
//! candidates, all are kept in `metadata.render.candidates` with their
//! scores, the best is the asset's file, a user can pick another (and what
//! takes it becomes stale), and a node below the threshold is rendered
//! again, then kept with a warning.

use std::sync::Arc;

use sfd_core::{
    AssetKind, AssetOwner, BestOf, Candidates, JobStatus, PlanAction, Price, PriceTable, RenderConfig, RenderRecord,
    RenderRequest, RenderResult, SimulatedJudge, Storage, StorageBuilder, StorageExt, Studio,
};

use crate::render_support::{priced_with, sample, simulated, studio_with};

async fn create(storage: &dyn Storage, drama: sfd_core::Drama) -> String {
    storage.create_drama(&drama).await.unwrap();
    drama.id
}

fn result_of(job: &sfd_core::Job) -> RenderResult {
    serde_json::from_value(serde_json::Value::Object(job.result.clone().unwrap())).unwrap()
}

/// Images at $0.04, a judge call at $0.001.
fn judged(best_of: BestOf) -> RenderConfig {
    let judge = Price {
        per_call: 0.001,
        ..Default::default()
    };
    let image = Price {
        per_image: 0.04,
        per_second: 0.1,
        ..Default::default()
    };
    priced_with(simulated())
        .with_prices(
            PriceTable::empty()
                .with_price("simulated", image)
                .with_price("simulated-judge", judge),
        )
        .with_best_of(best_of)
}

fn best_of(threshold: f64) -> BestOf {
    BestOf {
        judge: Some(Arc::new(SimulatedJudge)),
        threshold,
        ..Default::default()
    }
}

async fn rendered(studio: &Studio, id: &str, request: RenderRequest) -> RenderResult {
    let job = studio.start_render(id, request).await.unwrap();
    let done = studio.jobs().wait(id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    result_of(&done)
}

fn images(n: u32) -> RenderRequest {
    RenderRequest {
        kinds: Some(vec![AssetKind::Image]),
        candidates: Some(n),
        ..Default::default()
    }
}

#[tokio::test]
async fn three_candidates_are_scored_the_best_is_kept_and_a_pick_makes_the_clip_stale() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let studio = studio_with(Arc::clone(&storage), judged(best_of(0.0)));
    let id = create(&*storage, sample("drama_bestof3", 2, 1, 3, 4, false)).await;

    // The plan shows the candidates and the judge's cost: 3 × $0.04 + 3 × $0.001.
    let plan = studio.plan_render(&id, &images(3)).await.unwrap();
    let node = plan.node("ep1-sc1-img").unwrap();
    let c = node.candidates.as_ref().unwrap();
    assert_eq!(
        (c.count, c.judge.as_str(), c.judge_cost_usd),
        (3, "simulated-judge", 0.003)
    );
    assert!((node.estimated_cost_usd - 0.123).abs() < 1e-9, "{node:?}");

    let result = rendered(&studio, &id, images(3)).await;
    // 2 portraits, 3 scene images and the cover: 6 images, each of 3.
    assert_eq!(result.rendered.len(), 6);
    assert_eq!(result.extra_candidates, 12);
    assert_eq!(result.judge_usage.unwrap().calls, 18);
    assert!((result.judge_cost_usd.unwrap() - 0.018).abs() < 1e-9);
    assert!(
        (result.cost_usd - (18.0 * 0.04 + 0.018)).abs() < 1e-9,
        "{}",
        result.cost_usd
    );
    assert!(result.warnings.is_empty());

    let drama = storage.get_drama(&id).await.unwrap().value;
    let scene = &drama.episodes[0].scenes[1];
    let image = &scene.assets[0];
    let list = Candidates::of(image).expect("candidates kept");
    assert_eq!(list.candidates.len(), 3);
    let mut keys: Vec<&str> = list.candidates.iter().map(|c| c.key.as_str()).collect();
    keys.dedup();
    assert_eq!(keys.len(), 3, "three different files");
    let record = RenderRecord::of(image).unwrap();
    let kept = list
        .candidates
        .iter()
        .find(|c| Some(&c.key) == record.key.as_ref())
        .unwrap();
    assert!(list.candidates.iter().all(|c| c.score <= kept.score), "{list:?}");
    assert!(
        list.candidates
            .iter()
            .all(|c| c.reason.contains("away from the references"))
    );
    assert_eq!(image.url.as_ref(), Some(&kept.url));
    assert_eq!(scene.image_url.as_ref(), Some(&kept.url));

    // The clips are rendered from the kept images; then a user picks another.
    rendered(&studio, &id, RenderRequest::all()).await;
    let other = list.candidates.iter().find(|c| c.key != kept.key).unwrap();
    let owner = AssetOwner::scene("ep1", "ep1-sc2");
    let chosen = studio
        .choose_candidate(&id, &owner, "ep1-sc2-img", &other.key)
        .await
        .unwrap()
        .value;
    assert_eq!(chosen.url.as_ref(), Some(&other.url));
    let drama = storage.get_drama(&id).await.unwrap().value;
    assert_eq!(drama.episodes[0].scenes[1].image_url.as_ref(), Some(&other.url));
    let plan = studio.plan_render(&id, &RenderRequest::all()).await.unwrap();
    let action = |a: &str| plan.node(a).unwrap().action;
    assert_eq!(action("ep1-sc2-img"), PlanAction::Skip, "the pick is up to date");
    assert_eq!(
        action("ep1-sc2-vid"),
        PlanAction::Stale,
        "its clip takes the new keyframe"
    );
    assert_eq!(action("ep1-sc1-vid"), PlanAction::Skip);

    // Not a candidate: a clear error naming the candidates.
    let e = studio
        .choose_candidate(&id, &owner, "ep1-sc2-img", "media/x/y.png")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a candidate") && e.contains(&kept.key), "{e}");
    // Unused candidates are not collected as orphans.
    let collected = studio.collect_media(true).await.unwrap();
    assert!(!collected.files.iter().any(|f| f == &kept.key), "{collected:?}");
}

#[tokio::test]
async fn below_the_threshold_a_node_is_rendered_again_then_kept_with_a_warning() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let studio = studio_with(Arc::clone(&storage), judged(best_of(0.9999)));
    let id = create(&*storage, sample("drama_bestofw", 1, 1, 1, 4, false)).await;
    let request = RenderRequest {
        assets: Some(vec!["ep1-sc1-img".into()]),
        candidates: Some(2),
        ..Default::default()
    };
    let result = rendered(&studio, &id, request).await;
    // The portrait and the scene image: two rounds of two each.
    assert_eq!(result.rendered.len(), 2);
    assert_eq!(result.extra_candidates, 6);
    let warned: Vec<&str> = result.warnings.iter().map(|w| w.asset_id.as_str()).collect();
    assert!(warned.contains(&"ep1-sc1-img"), "{result:?}");
    assert!(result.warnings[0].reason.contains("threshold"), "{result:?}");
    let drama = storage.get_drama(&id).await.unwrap().value;
    let list = Candidates::of(&drama.episodes[0].scenes[0].assets[0]).unwrap();
    assert_eq!(list.candidates.len(), 4);
    assert!(list.warning.unwrap().contains("kept the best"));
}

#[tokio::test]
async fn candidates_without_a_judge_or_out_of_range_are_refused() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let studio = studio_with(Arc::clone(&storage), priced_with(simulated()));
    let id = create(&*storage, sample("drama_bestofn", 1, 1, 1, 4, false)).await;
    let e = studio.start_render(&id, images(3)).await.unwrap_err().to_string();
    assert!(e.contains("need a judge") && e.contains("SFD_JUDGE_API_BASE"), "{e}");
    let studio = studio_with(storage, judged(best_of(0.0)));
    let e = studio.start_render(&id, images(9)).await.unwrap_err().to_string();
    assert!(e.contains("candidates") && e.contains("1 to 8"), "{e}");
}

/// A judge at a mocked OpenAI-compatible chat endpoint answering `content`.
async fn chat_judge(content: &str) -> (wiremock::MockServer, Arc<sfd_core::ChatJudge>) {
    use wiremock::matchers::{method, path};
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 20},
        })))
        .mount(&server)
        .await;
    let config = sfd_core::ProviderConfig::new(format!("{}/v1", server.uri()), Some("sk-judge".into()), "gpt-4o-mini");
    (server, Arc::new(sfd_core::ChatJudge::new(config).unwrap()))
}

#[tokio::test]
async fn a_chat_judge_gets_the_candidate_and_each_reference_as_images_and_is_asked_for_json() {
    let (server, judge) = chat_judge(r#"{"score": 0.75, "reason": "same collie"}"#).await;
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let id = create(&*storage, sample("drama_chatjudge", 2, 1, 1, 4, false)).await;
    let studio = studio_with(
        Arc::clone(&storage),
        judged(BestOf {
            judge: Some(judge),
            ..best_of(0.5)
        }),
    );
    let request = RenderRequest {
        kinds: Some(vec![AssetKind::Image]),
        episodes: Some(vec!["ep1".into()]),
        candidates: Some(2),
        ..Default::default()
    };
    let result = rendered(&studio, &id, request).await;
    assert!(result.warnings.is_empty());
    let sent = server.received_requests().await.unwrap();
    // The scene image depends on two portraits: candidate + 2 references.
    let scene_call = sent
        .iter()
        .map(|r| r.body_json::<serde_json::Value>().unwrap())
        .find(|b| {
            b["messages"][0]["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("keyframe of ep1-sc1")
        })
        .expect("the scene image was judged");
    assert_eq!(sent[0].headers.get("authorization").unwrap(), "Bearer sk-judge");
    let parts = scene_call["messages"][0]["content"].as_array().unwrap();
    let images: Vec<&str> = parts.iter().filter_map(|p| p["image_url"]["url"].as_str()).collect();
    assert_eq!(images.len(), 3, "{parts:?}");
    assert!(images.iter().all(|u| u.starts_with("data:image/png;base64,")));
    assert_eq!(scene_call["response_format"]["type"], "json_schema");
    assert_eq!(scene_call["response_format"]["json_schema"]["strict"], true);
    let drama = storage.get_drama(&id).await.unwrap().value;
    let list = Candidates::of(&drama.episodes[0].scenes[0].assets[0]).unwrap();
    assert!(
        list.candidates
            .iter()
            .all(|c| c.score == 0.75 && c.reason == "same collie")
    );
    assert_eq!(list.judge_usage.input_tokens, 1800);
}

#[tokio::test]
async fn a_malformed_judge_answer_fails_the_node_clearly() {
    let (_server, judge) = chat_judge("The first one looks great, 9/10!").await;
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let id = create(&*storage, sample("drama_badjudge", 1, 1, 1, 4, false)).await;
    let studio = studio_with(
        Arc::clone(&storage),
        judged(BestOf {
            judge: Some(judge),
            ..best_of(0.5)
        }),
    );
    let job = studio.start_render(&id, images(2)).await.unwrap();
    let done = studio.jobs().wait(&id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Failed);
    let error = done.error.unwrap();
    assert!(
        error.contains("char-0-portrait") && error.contains("not the JSON asked for"),
        "{error}"
    );
    // The server-side studio keeps working: a render without candidates completes.
    let result = rendered(&studio, &id, images(1)).await;
    assert!(!result.rendered.is_empty());
}
