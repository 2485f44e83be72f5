//! A shot rendered before its lines changed becomes stale: a new line is
//! spoken again, the shots of its scene whose speech-driven length changed
//! are rendered again at the new length, and nothing else is.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use sfd_core::{
    Asset, AssetKind, AssetOwner, AssetPatch, Character, Drama, EditExt, Episode, JobStatus, PlanAction, RenderRequest,
    RenderResult, Scene, Storage, StorageBuilder, StorageExt, Studio,
};

use crate::render_support::{Gate, simulated, studio};

/// `n` words: the simulated voice speaks 2.5 words a second.
fn words(n: usize) -> String {
    vec!["word"; n].join(" ")
}

/// Scene 1: three shots and two lines of five words (2 s each); scene 2:
/// two shots and one line. No shot has a length: the speech gives them.
fn drama(id: &str) -> Drama {
    let mut d = Drama::new(id, "Rocket Corgi", "A dog, a rocket.", "corgi tycoon");
    for cid in ["char-a", "char-b"] {
        d.characters.push(Character::new(cid, cid, "in a red jacket"));
    }
    let mut ep = Episode::new("ep1", "Liftoff", "The first launch.");
    for (sid, shots, lines) in [("ep1-sc1", 3, 2), ("ep1-sc2", 2, 1)] {
        let mut sc = Scene::new(sid, "the launch pad at dawn");
        for k in 1..=shots {
            let mut img = Asset::new(format!("{sid}-sh{k}-img"), AssetKind::Image, format!("keyframe {k}"));
            img.depends_on = vec!["char-a".into()];
            let mut vid = Asset::new(format!("{sid}-sh{k}-vid"), AssetKind::Video, format!("clip {k}"));
            vid.depends_on = vec![img.id.clone()];
            sc.assets.extend([img, vid]);
        }
        for k in 1..=lines {
            let mut line = Asset::new(format!("{sid}-ln{k}"), AssetKind::Audio, words(5));
            line.depends_on = vec![if k == 1 { "char-a" } else { "char-b" }.into()];
            sc.assets.push(line);
        }
        ep.scenes.push(sc);
    }
    d.episodes.push(ep);
    d
}

async fn render(studio: &Studio, id: &str, request: RenderRequest) -> BTreeSet<String> {
    let job = studio.start_render(id, request).await.unwrap();
    let done = studio.jobs().wait(id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    let result: RenderResult = serde_json::from_value(serde_json::Value::Object(done.result.unwrap())).unwrap();
    assert!(result.failed.is_empty(), "{:?}", result.failed);
    result.rendered.into_iter().map(|r| r.asset_id).collect()
}

/// Every shot's length and every asset's file, by asset id.
async fn state(storage: &dyn Storage, id: &str) -> (HashMap<String, i64>, HashMap<String, String>) {
    let d = storage.get_drama(id).await.unwrap().value;
    let (mut lengths, mut files) = (HashMap::new(), HashMap::new());
    for sc in &d.episodes[0].scenes {
        for shot in sc.shots() {
            lengths.insert(shot.video.id.clone(), shot.duration().unwrap());
        }
        for a in &sc.assets {
            files.insert(a.id.clone(), a.url.clone().unwrap());
        }
    }
    (lengths, files)
}

fn lengths_of(lengths: &HashMap<String, i64>, scene: &str, shots: usize) -> Vec<i64> {
    (1..=shots).map(|k| lengths[&format!("{scene}-sh{k}-vid")]).collect()
}

/// The ids the plan of `studio` would render (stale or never rendered).
async fn planned(studio: &Studio, id: &str) -> BTreeSet<String> {
    let plan = studio.plan_render(id, &RenderRequest::all()).await.unwrap();
    for n in &plan.nodes {
        assert!(n.action != PlanAction::Blocked, "{}: {:?}", n.asset_id, n.reason);
    }
    plan.nodes
        .iter()
        .filter(|n| n.action.renders())
        .map(|n| n.asset_id.clone())
        .collect()
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn change_line(storage: &dyn Storage, id: &str, line: &str, text: String) {
    let patch = AssetPatch {
        prompt: Some(text),
        ..Default::default()
    };
    storage
        .update_asset(id, &AssetOwner::scene("ep1", "ep1-sc1"), line, patch, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_changed_line_makes_only_the_shots_whose_length_it_changes_stale() {
    let id = "drama_retimed1";
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(&drama(id)).await.unwrap();
    let gate = Gate::counting(simulated());
    let studio = studio(Arc::clone(&storage), gate.clone());
    render(&studio, id, RenderRequest::all()).await;
    let (lengths, before) = state(&*storage, id).await;
    // 4 s of speech and 1 s of pauses over three shots; 2 s and 0.7 s over two.
    assert_eq!(lengths_of(&lengths, "ep1-sc1", 3), [2, 2, 1]);
    assert_eq!(lengths_of(&lengths, "ep1-sc2", 2), [2, 1]);
    assert!(planned(&studio, id).await.is_empty());

    // The second line gets longer (3.2 s): 6.2 s need 7, split 3 + 2 + 2.
    change_line(&*storage, id, "ep1-sc1-ln2", words(8)).await;
    // Before it is spoken only the line is known to change.
    assert_eq!(planned(&studio, id).await, ids(&["ep1-sc1-ln2"]));
    let rendered = render(&studio, id, RenderRequest::all()).await;
    assert_eq!(
        rendered,
        ids(&["ep1-sc1-ln2", "ep1-sc1-sh1-vid", "ep1-sc1-sh3-vid"]),
        "the line and the shots whose length changed, nothing else"
    );
    let (lengths, after) = state(&*storage, id).await;
    assert_eq!(lengths_of(&lengths, "ep1-sc1", 3), [3, 2, 2]);
    assert_eq!(lengths_of(&lengths, "ep1-sc2", 2), [2, 1]);
    for (asset, url) in &before {
        let changed = rendered.contains(asset);
        assert_eq!(after[asset] != *url, changed, "{asset}");
    }
    for asset in &rendered {
        assert_eq!(gate.completed(asset), 2, "{asset}");
    }
    assert!(planned(&studio, id).await.is_empty());

    // Only the lines rendered (a render of the audio): the plan shows the
    // shots their new speech makes stale, and a full render renders just
    // those. The first line now lasts 3.6 s: 7.8 s need 8, split 3 + 3 + 2.
    change_line(&*storage, id, "ep1-sc1-ln1", words(9)).await;
    let audio = RenderRequest {
        kinds: Some(vec![AssetKind::Audio]),
        ..RenderRequest::all()
    };
    assert_eq!(render(&studio, id, audio).await, ids(&["ep1-sc1-ln1"]));
    assert_eq!(planned(&studio, id).await, ids(&["ep1-sc1-sh2-vid"]));
    let rendered = render(&studio, id, RenderRequest::all()).await;
    assert_eq!(rendered, ids(&["ep1-sc1-sh2-vid"]));
    let (lengths, _) = state(&*storage, id).await;
    assert_eq!(lengths_of(&lengths, "ep1-sc1", 3), [3, 3, 2]);
    assert!(planned(&studio, id).await.is_empty());
}
