//! The render plan: order, cycles and dangling ids, costs, staleness, and
//! that a dry run calls and writes nothing.

use std::collections::HashMap;
use std::sync::Arc;

use sfd_core::{
    AssetKind, Drama, Error, GenerateOptions, PlanAction, RenderConfig, RenderRequest, SimulatedLlm, Storage,
    StorageBuilder, StorageExt, generate_drama, plan_render,
};

use crate::fixtures::fixture;
use crate::render_support::{config_for, priced, simulated, studio_with};

fn v5() -> Drama {
    Drama::from_slice(&fixture("corgi_musk_v5.json")).unwrap()
}

#[test]
fn the_v5_fixture_renders_portraits_then_scene_images_then_videos() {
    let plan = plan_render(&v5(), &RenderRequest::all(), &priced()).unwrap();
    let level: HashMap<&str, u32> = plan.nodes.iter().map(|n| (n.asset_id.as_str(), n.level)).collect();
    let position: HashMap<&str, usize> = plan
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.asset_id.as_str(), i))
        .collect();
    // 5 portraits + a cover + 16 scenes × (image + video).
    assert_eq!(plan.nodes.len(), 5 + 1 + 32);
    assert_eq!(plan.levels, 3);
    for n in &plan.nodes {
        assert_eq!(n.action, PlanAction::Render, "{}", n.asset_id);
        for d in &n.depends_on {
            assert!(
                position[d.as_str()] < position[n.asset_id.as_str()],
                "{d} after {}",
                n.asset_id
            );
        }
        let expected = if n.asset_id.ends_with("-portrait") {
            0
        } else if n.asset_id.ends_with("-img") || n.asset_id == "cover" {
            1
        } else {
            2
        };
        assert_eq!(n.level, expected, "{} depends on {:?}", n.asset_id, n.depends_on);
        if n.asset_id.ends_with("-img") {
            assert!(!n.depends_on.is_empty() && n.depends_on.len() <= 3);
            assert!(n.depends_on.iter().all(|d| d.ends_with("-portrait")));
        }
    }
    let cover = plan.node("cover").unwrap();
    assert_eq!(cover.depends_on, ["char-corgi-portrait", "char-ava-portrait"]);
    assert_eq!(cover.owner, "drama");
    assert_eq!(plan.node("ep1-sc1-vid").unwrap().owner, "episodes/ep1/scenes/ep1-sc1");
    assert_eq!(level["ep2-sc3-vid"], 2);
    // 22 images at $0.04, and every clip's seconds at $0.10.
    let seconds: i64 = v5()
        .episodes
        .iter()
        .flat_map(|e| &e.scenes)
        .flat_map(|s| &s.assets)
        .filter_map(|a| a.duration)
        .sum();
    let expected = 22.0 * 0.04 + seconds as f64 * 0.1;
    assert!(
        (plan.estimated_cost_usd - expected).abs() < 1e-6,
        "{} != {expected}",
        plan.estimated_cost_usd
    );
}

#[test]
fn cycles_and_dangling_references_are_named() {
    let mut d = v5();
    d.episodes[0].scenes[0].assets[0].depends_on = vec!["ep1-sc1-vid".into()];
    d.episodes[0].scenes[0].assets[1].depends_on = vec!["ep1-sc1-img".into()];
    let e = plan_render(&d, &RenderRequest::all(), &priced()).unwrap_err();
    assert!(matches!(e, Error::Invalid(_)));
    let text = e.to_string();
    assert!(
        text.contains("cycle") && text.contains("ep1-sc1-img") && text.contains("ep1-sc1-vid"),
        "{text}"
    );

    let mut d = v5();
    d.episodes[1].scenes[0].assets[1].depends_on = vec!["ep2-sc1-image".into(), "char-nobody".into()];
    let text = plan_render(&d, &RenderRequest::all(), &priced())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("'ep2-sc1-image'") && text.contains("'char-nobody'"),
        "{text}"
    );
    assert!(text.contains("ep2-sc1-vid.depends_on"), "{text}");
}

#[tokio::test]
async fn a_dry_run_calls_and_writes_nothing() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(&v5()).await.unwrap();
    let sim = simulated();
    let studio = studio_with(Arc::clone(&storage), config_for(sim.clone()));
    let before = storage.get_drama_bytes("corgi_musk_v5").await.unwrap();
    let listing = |s: Arc<dyn Storage>| async move {
        let mut all = Vec::new();
        for prefix in ["dramas/", "jobs/corgi_musk_v5/", "queue/"] {
            all.extend(s.list(prefix, None, usize::MAX).await.unwrap());
        }
        all.extend(
            s.media()
                .unwrap()
                .list_media()
                .await
                .unwrap()
                .into_iter()
                .map(|m| sfd_core::Listed {
                    path: m.path,
                    updated_at: m.updated_at,
                    size: m.size,
                    version: None,
                }),
        );
        all
    };
    let objects = listing(Arc::clone(&storage)).await;
    let req = RenderRequest {
        dry_run: true,
        ..Default::default()
    };
    let plan = studio.plan_render("corgi_musk_v5", &req).await.unwrap();
    assert_eq!(plan.nodes.len(), 38);
    assert!(matches!(
        studio.start_render("corgi_musk_v5", req).await,
        Err(Error::Invalid(_))
    ));
    let after = storage.get_drama_bytes("corgi_musk_v5").await.unwrap();
    assert_eq!(after.body, before.body);
    assert_eq!(after.version, before.version);
    assert_eq!(listing(Arc::clone(&storage)).await, objects);
    assert!(sim.calls().is_empty());
    // A stored cycle is refused at the request, and nothing is written either.
    storage
        .modify_drama("corgi_musk_v5", None, |d| {
            d.episodes[0].scenes[0].assets[0].depends_on = vec!["ep1-sc1-vid".into()];
            d.episodes[0].scenes[0].assets[1].depends_on = vec!["ep1-sc1-img".into()];
            Ok(())
        })
        .await
        .unwrap();
    let before = storage.get_drama_bytes("corgi_musk_v5").await.unwrap();
    let e = studio
        .start_render("corgi_musk_v5", RenderRequest::all())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cycle"), "{e}");
    assert_eq!(
        storage.get_drama_bytes("corgi_musk_v5").await.unwrap().version,
        before.version
    );
    assert!(studio.jobs().list("corgi_musk_v5").await.unwrap().is_empty());
}

#[tokio::test]
async fn unknown_ids_and_missing_renderers_are_refused_at_the_request() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(&v5()).await.unwrap();
    let images_only = RenderConfig::new().with_renderer(AssetKind::Image, simulated());
    let studio = studio_with(Arc::clone(&storage), images_only);
    let e = studio
        .start_render("corgi_musk_v5", RenderRequest::all())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::RendererNotConfigured { kind: AssetKind::Video }),
        "{e}"
    );
    assert!(e.to_string().contains("SFD_VIDEO_API_BASE") && e.to_string().contains("SORA_API_KEY"));
    let images = RenderRequest {
        kinds: Some(vec![AssetKind::Image]),
        ..Default::default()
    };
    let plan = studio.plan_render("corgi_musk_v5", &images).await.unwrap();
    assert!(plan.nodes.iter().all(|n| n.kind == AssetKind::Image));
    let unknown = RenderRequest {
        episodes: Some(vec!["ep9".into()]),
        assets: Some(vec!["nope".into()]),
        ..Default::default()
    };
    let text = studio
        .start_render("corgi_musk_v5", unknown)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("'ep9' is not an episode") && text.contains("'nope' is not an asset"),
        "{text}"
    );
}

#[tokio::test]
async fn generated_dramas_carry_portraits_a_cover_voices_and_the_look() {
    let opts = GenerateOptions {
        episodes: Some(2),
        scenes_per_episode: Some(3),
        ..Default::default()
    };
    let g = generate_drama(
        &SimulatedLlm::instant(),
        "a corgi tycoon",
        &opts,
        &sfd_core::generate::no_progress,
    )
    .await
    .unwrap();
    let d = g.drama;
    assert!(d.metadata.as_ref().and_then(|m| m.get("look")).is_some(), "no look");
    for c in &d.characters {
        let p = c
            .assets
            .iter()
            .find(|a| a.id == format!("{}-portrait", c.id))
            .expect("portrait");
        assert_eq!(p.kind, AssetKind::Image);
        assert!(p.prompt.contains(&c.name) && p.prompt.contains("9:16"), "{}", p.prompt);
    }
    let cover = d.assets.iter().find(|a| a.id == "cover").expect("cover");
    let mains: Vec<&str> = d.characters.iter().filter(|c| c.main).map(|c| c.id.as_str()).collect();
    let expected: Vec<&str> = if mains.is_empty() {
        vec![d.characters[0].id.as_str()]
    } else {
        mains
    };
    assert_eq!(cover.depends_on, expected);
    for s in d.episodes.iter().flat_map(|e| &e.scenes) {
        for shot in s.shots() {
            let img = shot.keyframe.expect("keyframe");
            assert!(img.kind == AssetKind::Image && img.depends_on.len() <= 3);
            assert_eq!(shot.video.depends_on, std::slice::from_ref(&img.id));
        }
        for line in s.lines() {
            assert!(line.audio.depends_on.iter().all(|c| d.character(c).is_some()));
        }
    }
    assert!(
        d.episodes.iter().flat_map(|e| &e.scenes).all(|s| !s.lines().is_empty()),
        "no voiced lines"
    );
    // It plans without a fix-up.
    let plan = plan_render(&d, &RenderRequest::all(), &priced()).unwrap();
    assert!(plan.nodes.iter().all(|n| n.action == PlanAction::Render));
}
