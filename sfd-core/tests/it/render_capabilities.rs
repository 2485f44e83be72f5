//! Capabilities checked before paying: the plan snaps durations, caps
//! references and refuses what a provider cannot take, naming the limit;
//! the render sends what the plan showed.

use std::sync::Arc;

use async_trait::async_trait;
use sfd_core::{
    AspectRatio, AssetKind, Durations, Media, MediaRequest, ModelCapabilities, PlanAction, RenderRequest, Renderer,
    SimulatedRenderer, StorageExt, plan_render,
};

use crate::render_support::{config_for, mp4_seconds, sample, studio_with};

/// The simulated renderer with a provider's limits: 5 or 10 s clips, 9:16
/// and 16:9 only, at most one reference image.
#[derive(Debug)]
struct Limited {
    inner: SimulatedRenderer,
    caps: ModelCapabilities,
}

#[async_trait]
impl Renderer for Limited {
    async fn render(&self, request: MediaRequest) -> sfd_core::Result<Media> {
        assert!(request.references.len() <= 1, "more references than the cap were sent");
        self.inner.render(request).await
    }
    fn provider(&self) -> &str {
        "limited"
    }
    fn model(&self) -> &str {
        "limited-1"
    }
    fn capabilities(&self) -> ModelCapabilities {
        self.caps.clone()
    }
}

fn limited() -> Arc<Limited> {
    Arc::new(Limited {
        inner: SimulatedRenderer::new(),
        caps: ModelCapabilities {
            durations: Durations::Set(vec![5, 10]),
            aspect_ratios: vec![AspectRatio::PORTRAIT, AspectRatio { width: 16, height: 9 }],
            max_references: Some(1),
            ..ModelCapabilities::any("limited-1")
        },
    })
}

#[test]
fn the_plan_snaps_a_seven_second_clip_caps_references_and_names_the_limit_it_cannot_meet() {
    let mut d = sample("drama_caps01", 2, 1, 2, 7, false);
    // One scene asks for a square frame, which this provider cannot make.
    let square = &mut d.episodes[0].scenes[1].assets[0];
    square.metadata = Some(serde_json::from_str(r#"{"aspect_ratio": "1:1"}"#).unwrap());
    let plan = plan_render(&d, &RenderRequest::all(), &config_for(limited())).unwrap();

    let clip = plan.node("ep1-sc1-vid").unwrap();
    assert_eq!(clip.action, PlanAction::Render);
    let sent = clip.sent.as_ref().unwrap();
    assert_eq!(sent.duration_seconds, Some(5));
    assert_eq!(sent.notes, ["7 s snapped to 5 s (limited-1 accepts 5 or 10 s)"]);

    let img = plan.node("ep1-sc1-img").unwrap();
    let sent = img.sent.as_ref().unwrap();
    assert_eq!(img.depends_on.len(), 2);
    assert_eq!(sent.references, [img.depends_on[0].clone()]);
    assert!(
        sent.notes[0].contains("1 of 2 references sent (limited-1 takes at most 1)"),
        "{:?}",
        sent.notes
    );

    let refused = plan.node("ep1-sc2-img").unwrap();
    assert_eq!(refused.action, PlanAction::Blocked);
    assert_eq!(
        refused.reason.as_deref(),
        Some("limited: limited-1 makes only 9:16, 16:9 frames, not 1:1")
    );
    assert_eq!(refused.estimated_cost_usd, 0.0);
    assert!(refused.sent.is_none());
    // What needs it cannot be rendered either.
    assert_eq!(plan.node("ep1-sc2-vid").unwrap().action, PlanAction::Blocked);
}

#[tokio::test]
async fn the_render_sends_what_the_plan_showed() {
    let storage: Arc<dyn sfd_core::Storage> = Arc::new(sfd_core::StorageBuilder::memory().build().unwrap());
    sfd_core::StorageExt::create_drama(&*storage, &sample("drama_caps02", 2, 1, 1, 7, false))
        .await
        .unwrap();
    let studio = studio_with(Arc::clone(&storage), config_for(limited()));
    let job = studio.start_render("drama_caps02", RenderRequest::all()).await.unwrap();
    let job = studio.jobs().wait("drama_caps02", &job.job_id).await.unwrap();
    assert_eq!(job.status, sfd_core::JobStatus::Completed, "{:?}", job.error);
    let mut d = sfd_core::StorageExt::get_drama(&*storage, "drama_caps02")
        .await
        .unwrap()
        .value;
    let clip = d.assets_mut().find(|a| a.kind == AssetKind::Video).unwrap();
    let key = sfd_core::MediaKey::from_url(clip.url.as_deref().unwrap()).unwrap();
    let bytes = storage.media().unwrap();
    let bytes = sfd_core::MediaStoreExt::read_media_bytes(bytes, &key).await.unwrap();
    assert!(
        (mp4_seconds(&bytes) - 5.0).abs() < 0.3,
        "the clip was not snapped to 5 s"
    );
}
