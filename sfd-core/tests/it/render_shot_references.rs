//! References per shot: the characters in it (the variant the shot asks
//! for in place of the portrait), speakers first, then main characters,
//! then the rest; the previous keyframe of the scene; then the rest of the
//! sheets. A provider's cap keeps the most important. And a character's
//! new description makes its portrait, its sheet and the shots using them stale.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use sfd_core::{
    Asset, AssetKind, Character, Drama, Episode, Media, MediaRequest, ModelCapabilities, PlanAction, RenderConfig,
    RenderRequest, Renderer, Scene, SimulatedRenderer, StorageExt, plan_render,
};

use crate::render_support::{config_for, studio_with};

/// The simulated renderer, taking at most `cap` references.
#[derive(Debug)]
struct Capped {
    inner: SimulatedRenderer,
    cap: usize,
}

#[async_trait]
impl Renderer for Capped {
    async fn render(&self, request: MediaRequest) -> sfd_core::Result<Media> {
        self.inner.render(request).await
    }
    fn provider(&self) -> &str {
        "capped"
    }
    fn model(&self) -> &str {
        "capped-1"
    }
    fn capabilities(&self) -> ModelCapabilities {
        ModelCapabilities {
            max_references: Some(self.cap),
            ..ModelCapabilities::any("capped-1")
        }
    }
}

fn config(cap: usize) -> RenderConfig {
    config_for(Arc::new(Capped {
        inner: SimulatedRenderer::new(),
        cap,
    }))
}

/// Four characters (Ann and Bo main); in the scene Dee speaks first, then
/// Ann. Ann has a full-body view; the shot asks for Bo's wetsuit.
fn drama() -> Drama {
    let mut d = Drama::new("drama_shotrefs", "t", "x", "p");
    for (id, main) in [
        ("char-ann", true),
        ("char-bo", true),
        ("char-cy", false),
        ("char-dee", false),
    ] {
        let mut c = Character::new(id, id, format!("{id} as designed"));
        c.main = main;
        d.characters.push(c);
    }
    d.characters[0]
        .metadata
        .get_or_insert_default()
        .insert("sheet".into(), json!({"views": ["full-body"]}));
    d.characters[1]
        .metadata
        .get_or_insert_default()
        .insert("sheet".into(), json!({"variants": {"wetsuit": "in a yellow wetsuit"}}));
    let mut sc = Scene::new("ep1-sc1", "a dock at dawn");
    let mut k1 = Asset::new("ep1-sc1-sh1-img", AssetKind::Image, "all four on the dock");
    k1.depends_on = ["char-cy", "char-bo", "char-ann", "char-dee"]
        .map(String::from)
        .to_vec();
    k1.metadata
        .get_or_insert_default()
        .insert("variants".into(), json!({"char-bo": "wetsuit"}));
    let mut v1 = Asset::new("ep1-sc1-sh1-vid", AssetKind::Video, "they talk");
    v1.depends_on = vec![k1.id.clone()];
    let mut k2 = Asset::new("ep1-sc1-sh2-img", AssetKind::Image, "Ann close up");
    k2.depends_on = vec!["char-ann".into()];
    let mut v2 = Asset::new("ep1-sc1-sh2-vid", AssetKind::Video, "Ann answers");
    v2.depends_on = vec![k2.id.clone()];
    let mut l1 = Asset::new("ep1-sc1-ln1", AssetKind::Audio, "Morning.");
    l1.depends_on = vec!["char-dee".into()];
    let mut l2 = Asset::new("ep1-sc1-ln2", AssetKind::Audio, "Is it?");
    l2.depends_on = vec!["char-ann".into()];
    sc.assets = vec![k1, v1, k2, v2, l1, l2];
    let mut ep = Episode::new("ep1", "t", "x");
    ep.scenes.push(sc);
    d.episodes.push(ep);
    d
}

fn sent(cap: usize, asset: &str) -> Vec<String> {
    let plan = plan_render(&drama(), &RenderRequest::all(), &config(cap)).unwrap();
    plan.node(asset).unwrap().sent.as_ref().unwrap().references.clone()
}

#[test]
fn references_respect_caps_of_1_3_and_16_in_priority_order() {
    let all = [
        "char-dee-portrait",
        "char-ann-portrait",
        "char-bo-variant-wetsuit",
        "char-cy-portrait",
        "char-ann-view-full-body",
        "char-bo-portrait",
    ];
    assert_eq!(sent(16, "ep1-sc1-sh1-img"), all);
    assert_eq!(sent(3, "ep1-sc1-sh1-img"), all[..3]);
    assert_eq!(sent(1, "ep1-sc1-sh1-img"), all[..1]);
    // The second shot's keyframe keeps the first's for continuity, after its cast.
    assert_eq!(
        sent(16, "ep1-sc1-sh2-img"),
        ["char-ann-portrait", "ep1-sc1-sh1-img", "char-ann-view-full-body"]
    );
    // A clip starts from its own keyframe.
    assert_eq!(sent(1, "ep1-sc1-sh2-vid"), ["ep1-sc1-sh2-img"]);
    // The sheet is rendered after the portrait, and priced like any image.
    let plan = plan_render(&drama(), &RenderRequest::all(), &config(16)).unwrap();
    let variant = plan.node("char-bo-variant-wetsuit").unwrap();
    assert_eq!((variant.level, variant.action), (1, PlanAction::Render));
    assert_eq!(variant.depends_on, ["char-bo-portrait"]);
}

#[tokio::test]
async fn a_new_description_makes_the_portrait_the_sheet_and_their_shots_stale() {
    let storage: Arc<dyn sfd_core::Storage> = Arc::new(sfd_core::StorageBuilder::memory().build().unwrap());
    storage.create_drama(&drama()).await.unwrap();
    let studio = studio_with(Arc::clone(&storage), config(16));
    let job = studio
        .start_render("drama_shotrefs", RenderRequest::all())
        .await
        .unwrap();
    let done = studio.jobs().wait("drama_shotrefs", &job.job_id).await.unwrap();
    assert_eq!(done.status, sfd_core::JobStatus::Completed, "{:?}", done.error);
    let plan = studio
        .plan_render("drama_shotrefs", &RenderRequest::all())
        .await
        .unwrap();
    assert!(plan.nodes.iter().all(|n| n.action == PlanAction::Skip), "{plan:?}");

    storage
        .modify_drama("drama_shotrefs", None, |d| {
            d.characters[1].description = "Bo, now with a scar over one eye".into();
            Ok(())
        })
        .await
        .unwrap();
    let plan = studio
        .plan_render("drama_shotrefs", &RenderRequest::all())
        .await
        .unwrap();
    let action = |id: &str| plan.node(id).unwrap().action;
    for stale in [
        "char-bo-portrait",
        "char-bo-variant-wetsuit",
        "ep1-sc1-sh1-img",
        "ep1-sc1-sh1-vid",
        "ep1-sc1-sh2-img",
        "cover",
    ] {
        assert_eq!(action(stale), PlanAction::Stale, "{stale}");
    }
    assert_eq!(action("char-ann-portrait"), PlanAction::Skip);
    assert_eq!(action("char-ann-view-full-body"), PlanAction::Skip);
    assert_eq!(
        plan.node("char-bo-portrait").unwrap().reason.as_deref(),
        Some("the prompt changed")
    );
}
