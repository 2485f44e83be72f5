//! A user's own reference (issue 29 item 6): a generation given an image
//! makes it the main character's portrait (its `url`, an upload, not
//! stale), every shot of that character is drawn from it, and a reference
//! uploaded later for a character makes what was drawn from the old one stale.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use sfd_core::{
    AspectRatio, AssetKind, AssetOwner, Error, GenerationRequest, JobStatus, MediaKey, PlanAction, RenderRecord,
    RenderRequest, RendererExt, Storage, StorageBuilder, StorageExt, plan_render, sha256_hex,
};

use crate::render_support::{priced_with, simulated, studio_with};

fn images() -> RenderRequest {
    RenderRequest {
        kinds: Some(vec![AssetKind::Image]),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_generation_with_a_reference_draws_the_main_character_from_it() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let sim = simulated();
    let config = priced_with(sim.clone());
    let studio = studio_with(Arc::clone(&storage), config.clone());
    let photo = sim
        .image("my own photo", vec![], AspectRatio::PORTRAIT)
        .await
        .unwrap()
        .bytes;
    let req = GenerationRequest::new("a corgi builds a rocket")
        .with_id("drama_withref")
        .with_episodes(1)
        .with_scenes_per_episode(2);
    // Not an image: refused before anything is queued or stored.
    let e = studio
        .start_generation_with_reference(req.clone(), Bytes::from_static(b"%PDF-1.7"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnsupportedMediaType(_)), "{e}");
    let job = studio
        .start_generation_with_reference(req, photo.clone())
        .await
        .unwrap();
    let done = studio.jobs().wait("drama_withref", &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);

    let d = storage.get_drama("drama_withref").await.unwrap().value;
    let main = d.characters.iter().find(|c| c.main).unwrap_or(&d.characters[0]);
    let url = main.url.clone().expect("the main character carries the reference");
    let key = MediaKey::from_url(&url).unwrap();
    assert_eq!(key.hash(), &sha256_hex(&photo)[..key.hash().len()]);
    let portrait = main
        .assets
        .iter()
        .find(|a| a.id == format!("{}-portrait", main.id))
        .unwrap();
    assert_eq!(portrait.url.as_deref(), Some(url.as_str()));
    assert_eq!(RenderRecord::of(portrait).unwrap().provider, "upload");
    let plan = plan_render(&d, &images(), &config).unwrap();
    assert_eq!(plan.node(&portrait.id).unwrap().action, PlanAction::Skip, "not stale");

    // Rendered: the portrait is not made again, and the first scene image
    // of the main character is drawn from the uploaded file.
    let job = studio.start_render("drama_withref", images()).await.unwrap();
    let done = studio.jobs().wait("drama_withref", &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    let calls = sim.calls();
    assert!(
        calls.iter().all(|c| c.label != portrait.id),
        "the reference is not rendered over"
    );
    let first = d
        .episodes
        .iter()
        .flat_map(|e| &e.scenes)
        .flat_map(|s| &s.assets)
        .find(|a| a.kind == AssetKind::Image && a.depends_on.contains(&main.id))
        .expect("a scene image of the main character");
    let call = calls.iter().find(|c| c.label == first.id).unwrap();
    assert!(call.references.contains(&portrait.id), "{call:?}");
    assert!(call.reference_hashes.contains(&sha256_hex(&photo)), "{call:?}");

    // A new reference for the character: its shots are stale.
    let other = sim
        .image("another photo", vec![], AspectRatio::PORTRAIT)
        .await
        .unwrap()
        .bytes;
    let body = futures::stream::iter([Ok(other.clone())]).boxed();
    let owner = AssetOwner::Character(main.id.clone());
    studio
        .upload_asset_content("drama_withref", &owner, &portrait.id, "image/png", body, 1 << 20)
        .await
        .unwrap();
    let d = storage.get_drama("drama_withref").await.unwrap().value;
    let main = d.character(&main.id).unwrap();
    assert_ne!(
        main.url.as_deref(),
        Some(url.as_str()),
        "the character's url is the new reference"
    );
    let plan = plan_render(&d, &images(), &config).unwrap();
    assert_eq!(plan.node(&portrait.id).unwrap().action, PlanAction::Skip);
    assert_eq!(plan.node(&first.id).unwrap().action, PlanAction::Stale);
}
