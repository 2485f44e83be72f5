//! Best-of-N over HTTP: a render asks for 3 candidates per image, the
//! simulated judge scores them, the drama lists them with their scores, and
//! a user picks another through the client, which makes the clip stale.

use std::time::Duration;

use sfd_client::{AssetOwner, Candidates, GenerationRequest, JobStatus, PlanAction, RenderRecord, RenderRequest};
use sfd_core::{AssetKind, RenderConfig};

use crate::harness::{Options, TestServer};

const WAIT: Duration = Duration::from_secs(120);

#[tokio::test]
async fn three_candidates_per_image_are_listed_scored_and_one_can_be_picked() {
    let s = TestServer::with(Options {
        render: RenderConfig::simulated(),
        ..Default::default()
    })
    .await;
    let req = GenerationRequest::new("a corgi runs a rocket company")
        .with_episodes(1)
        .with_scenes_per_episode(2);
    let started = s.client.generate_drama(&req).await.unwrap();
    let id = started.drama_id;
    s.client.wait_for_job(&id, &started.job_id, WAIT).await.unwrap();

    let request = RenderRequest {
        candidates: Some(3),
        ..RenderRequest::all()
    };
    let plan = s.client.render_plan(&id, &request).await.unwrap();
    let images: Vec<_> = plan.nodes.iter().filter(|n| n.kind == AssetKind::Image).collect();
    assert!(
        images
            .iter()
            .all(|n| n.candidates.as_ref().is_some_and(|c| c.count == 3))
    );
    assert!(
        plan.nodes
            .iter()
            .filter(|n| n.kind != AssetKind::Image)
            .all(|n| n.candidates.is_none())
    );
    let started = s.client.render(&id, &request).await.unwrap();
    let job = s.client.wait_for_job(&id, &started.job_id, WAIT).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    let result = job.result.unwrap();
    assert!(result["extraCandidates"].as_u64().unwrap() >= 2 * 2, "{result:?}");
    assert!(result["judgeUsage"]["calls"].as_u64().unwrap() >= 3 * 2, "{result:?}");

    let drama = s.client.get_drama(&id).await.unwrap().value;
    for scene in &drama.episodes[0].scenes {
        let image = scene.assets.iter().find(|a| a.kind == AssetKind::Image).unwrap();
        let list = Candidates::of(image).expect("candidates");
        assert_eq!(list.candidates.len(), 3);
        let kept = RenderRecord::of(image).unwrap().key.unwrap();
        let best = list.candidates.iter().map(|c| c.score).fold(f64::MIN, f64::max);
        assert_eq!(list.candidates.iter().find(|c| c.key == kept).unwrap().score, best);
        for c in &list.candidates {
            let file = reqwest::get(s.url(&c.url)).await.unwrap();
            assert_eq!(file.status(), 200, "every candidate is served: {}", c.url);
        }
    }

    // Pick another candidate of the first scene's image.
    let scene = &drama.episodes[0].scenes[0];
    let image = scene.assets.iter().find(|a| a.kind == AssetKind::Image).unwrap();
    let kept = RenderRecord::of(image).unwrap().key.unwrap();
    let other = Candidates::of(image)
        .unwrap()
        .candidates
        .into_iter()
        .find(|c| c.key != kept)
        .unwrap();
    let owner = AssetOwner::scene(&drama.episodes[0].id, &scene.id);
    let chosen = s
        .client
        .choose_candidate(&id, &owner, &image.id, &other.key)
        .await
        .unwrap();
    assert_eq!(chosen.value.url.as_ref(), Some(&other.url));
    let drama = s.client.get_drama(&id).await.unwrap().value;
    assert_eq!(drama.episodes[0].scenes[0].image_url.as_ref(), Some(&other.url));
    let plan = s.client.render_plan(&id, &RenderRequest::all()).await.unwrap();
    let video = scene.assets.iter().find(|a| a.kind == AssetKind::Video).unwrap();
    assert_eq!(plan.node(&video.id).unwrap().action, PlanAction::Stale);
    assert_eq!(plan.node(&image.id).unwrap().action, PlanAction::Skip);

    // Not a candidate: 422 naming the candidates; no body: 400.
    let err = s
        .client
        .choose_candidate(&id, &owner, &image.id, "media/nope.png")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422), "{err}");
    assert!(err.to_string().contains(&kept), "{err}");
    let path = format!(
        "/dramas/{id}/episodes/{}/scenes/{}/assets/{}/choose",
        drama.episodes[0].id, scene.id, image.id
    );
    let answer = reqwest::Client::new().post(s.url(&path)).send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert!(body["error"].is_string() && body["message"].is_string(), "{body}");
    // Too many candidates: 422 at the request.
    let err = s
        .client
        .render(
            &id,
            &RenderRequest {
                candidates: Some(20),
                ..RenderRequest::all()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422), "{err}");
}
