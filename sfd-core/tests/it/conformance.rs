//! One conformance suite, run against memory, the local folder and S3.

use std::sync::Arc;

use bytes::Bytes;
use futures::future::join_all;
use sfd_core::{
    Asset, AssetKind, AssetOwner, Character, CharacterPatch, Drama, DramaPatch, EditExt, Episode, Error, Job, JobType,
    Key, ListOptions, Scene, ScenePatch, Storage, StorageExt, Version, WriteMode,
};

use crate::backends::TestStore;

crate::conformance_tests!(
    create_get_replace_delete,
    two_hundred_concurrent_scene_edits_all_survive,
    two_instances_on_one_store_lose_nothing,
    bad_ids_write_nothing,
    corrupt_documents_are_reported_as_corrupt,
    listing_pages_in_stable_order,
    nested_entities_round_trip,
    expected_versions_are_enforced,
    job_records,
);

/// A drama with `episodes` episodes of `scenes` scenes, each with an image and a video.
pub fn sample(id: &str, episodes: usize, scenes: usize) -> Drama {
    let mut d = Drama::new(id, format!("Title of {id}"), "desc", "premise");
    let mut hero = Character::new("char-hero", "Hero", "brave");
    hero.main = true;
    d.characters.push(hero);
    for e in 1..=episodes {
        let mut ep = Episode::new(format!("ep{e}"), format!("Episode {e}"), "synopsis");
        for s in 1..=scenes {
            let sid = format!("ep{e}-sc{s}");
            let mut sc = Scene::new(&sid, "a scene");
            let mut img = Asset::new(format!("{sid}-img"), AssetKind::Image, "keyframe");
            img.depends_on = vec!["char-hero".into()];
            let mut vid = Asset::new(format!("{sid}-vid"), AssetKind::Video, "clip");
            vid.depends_on = vec![format!("{sid}-img")];
            vid.duration = Some(10);
            sc.assets = vec![img, vid];
            ep.scenes.push(sc);
        }
        d.episodes.push(ep);
    }
    d
}

async fn create_get_replace_delete(t: TestStore) {
    let s = &t.storage;
    let d = sample("d1", 1, 2);
    let v1 = s.create_drama(&d).await.unwrap();
    assert!(matches!(s.create_drama(&d).await, Err(Error::AlreadyExists { .. })));
    let got = s.get_drama("d1").await.unwrap();
    assert_eq!(got.value, d);
    assert_eq!(got.version, v1);
    assert!(matches!(s.get_drama("nope").await, Err(Error::NotFound { .. })));

    let mut d2 = d.clone();
    d2.title = "New".into();
    let v2 = s.replace_drama(&d2, &v1).await.unwrap();
    assert_ne!(v1, v2);
    assert!(matches!(
        s.replace_drama(&d2, &v1).await,
        Err(Error::VersionMismatch { .. })
    ));
    assert!(matches!(
        s.delete_drama("d1", Some(&v1)).await,
        Err(Error::VersionMismatch { .. })
    ));
    assert_eq!(s.get_drama("d1").await.unwrap().value.title, "New");

    s.delete_drama("d1", Some(&v2)).await.unwrap();
    assert!(matches!(s.get_drama("d1").await, Err(Error::NotFound { .. })));
    assert!(matches!(s.delete_drama("d1", None).await, Err(Error::NotFound { .. })));
    assert!(matches!(s.replace_drama(&d2, &v2).await, Err(Error::NotFound { .. })));
    // The id is free again.
    s.create_drama(&d).await.unwrap();
    s.delete_drama("d1", None).await.unwrap();
    assert!(s.list_dramas(&ListOptions::default()).await.unwrap().dramas.is_empty());
}

/// Each of `n` tasks appends a marker to a different scene's description.
async fn edit_scenes(storage: Arc<dyn Storage>, drama: &str, scenes: Vec<(String, String)>) {
    let tasks = scenes.into_iter().map(|(ep, sc)| {
        let storage = Arc::clone(&storage);
        let drama = drama.to_string();
        tokio::spawn(async move {
            let patch = ScenePatch {
                description: Some(format!("edited {sc}")),
                ..Default::default()
            };
            storage.update_scene(&drama, &ep, &sc, patch, None).await.unwrap();
        })
    });
    for r in join_all(tasks).await {
        r.unwrap();
    }
}

fn scene_ids(d: &Drama) -> Vec<(String, String)> {
    d.episodes
        .iter()
        .flat_map(|e| e.scenes.iter().map(move |s| (e.id.clone(), s.id.clone())))
        .collect()
}

pub fn assert_all_edited(d: &Drama) {
    let missing: Vec<_> = d
        .episodes
        .iter()
        .flat_map(|e| &e.scenes)
        .filter(|s| s.description != format!("edited {}", s.id))
        .map(|s| s.id.clone())
        .collect();
    assert!(missing.is_empty(), "lost updates: {missing:?}");
}

async fn two_hundred_concurrent_scene_edits_all_survive(t: TestStore) {
    let d = sample("busy", 4, 50);
    t.storage.create_drama(&d).await.unwrap();
    edit_scenes(Arc::clone(&t.storage), "busy", scene_ids(&d)).await;
    assert_all_edited(&t.storage.get_drama("busy").await.unwrap().value);
}

async fn two_instances_on_one_store_lose_nothing(t: TestStore) {
    let d = sample("shared", 4, 50);
    t.storage.create_drama(&d).await.unwrap();
    let other = t.second_instance();
    let (a, b): (Vec<_>, Vec<_>) = scene_ids(&d).into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let strip = |v: Vec<(usize, (String, String))>| v.into_iter().map(|(_, x)| x).collect::<Vec<_>>();
    tokio::join!(
        edit_scenes(Arc::clone(&t.storage), "shared", strip(a)),
        edit_scenes(other, "shared", strip(b)),
    );
    assert_all_edited(&t.storage.get_drama("shared").await.unwrap().value);
}

async fn bad_ids_write_nothing(t: TestStore) {
    let s = &t.storage;
    for bad in ["../x", "a/b", "", &"x".repeat(129), "dráma", "a b", "..", "%2F"] {
        let d = sample(bad, 1, 1);
        assert!(matches!(s.create_drama(&d).await, Err(Error::Invalid(_))), "{bad:?}");
        assert!(matches!(s.get_drama(bad).await, Err(Error::Invalid(_))), "{bad:?}");
        assert!(matches!(Key::drama(bad), Err(Error::Invalid(_))));
    }
    // Bad ids inside a document are refused as well, all reported at once.
    let mut d = sample("ok", 1, 1);
    d.episodes[0].id = "../ep".into();
    d.characters[0].id = "a/b".into();
    match s.create_drama(&d).await {
        Err(Error::Invalid(p)) => assert!(p.0.len() >= 2, "{p}"),
        other => panic!("{other:?}"),
    }
    // Nested ids chosen by a client are checked too.
    s.create_drama(&sample("ok", 1, 1)).await.unwrap();
    let before = s.get_drama("ok").await.unwrap();
    let bad = Character::new("../../etc", "X", "x");
    assert!(matches!(
        s.create_character("ok", bad, None).await,
        Err(Error::Invalid(_))
    ));
    assert_eq!(s.get_drama("ok").await.unwrap(), before);
    let page = s.list_dramas(&ListOptions::default()).await.unwrap();
    assert_eq!(page.dramas.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["ok"]);
}

async fn corrupt_documents_are_reported_as_corrupt(t: TestStore) {
    let s = &t.storage;
    let key = Key::drama("broken").unwrap();
    s.put(
        &key,
        Bytes::from_static(b"{\"id\": \"broken\", \"title\": "),
        WriteMode::Create,
    )
    .await
    .unwrap();
    assert!(matches!(s.get_drama("broken").await, Err(Error::Corrupt { .. })));
    let patch = DramaPatch {
        title: Some("x".into()),
        ..Default::default()
    };
    assert!(matches!(
        s.update_drama("broken", patch, None).await,
        Err(Error::Corrupt { .. })
    ));
    // Listing still works and flags the document instead of hiding it.
    let page = s.list_dramas(&ListOptions::default()).await.unwrap();
    assert_eq!(page.dramas.len(), 1);
    assert!(
        page.dramas[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("unreadable")
    );
    assert!(matches!(
        s.list_dramas_full(&ListOptions::default()).await,
        Err(Error::Corrupt { .. })
    ));
    // The raw bytes are left as they were for an operator to inspect.
    assert_eq!(
        s.get_drama_bytes("broken").await.unwrap().body.as_ref(),
        b"{\"id\": \"broken\", \"title\": "
    );
}

async fn listing_pages_in_stable_order(t: TestStore) {
    let s = &t.storage;
    let ids: Vec<String> = (0..25).map(|i| format!("d{:03}", (i * 7) % 25)).collect();
    join_all(
        ids.iter()
            .map(|id| async move { s.create_drama(&sample(id, 1, 1)).await.unwrap() }),
    )
    .await;
    let mut seen = Vec::new();
    let mut opts = ListOptions::new(10);
    let mut pages = 0;
    loop {
        let page = s.list_dramas(&opts).await.unwrap();
        pages += 1;
        seen.extend(page.dramas.iter().map(|d| d.id.clone()));
        assert!(
            page.dramas
                .iter()
                .all(|d| d.title.starts_with("Title of") && d.updated_at.is_some())
        );
        match page.cursor {
            Some(c) => opts = ListOptions::new(10).with_cursor(c),
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
    // A page that ends exactly at the last drama has no cursor.
    let exact = s.list_dramas(&ListOptions::new(25)).await.unwrap();
    assert_eq!((exact.dramas.len(), exact.cursor), (25, None));
    let full = s.list_dramas_full(&ListOptions::new(5)).await.unwrap();
    assert_eq!(full.dramas[0], sample("d000", 1, 1));
    for bad in [ListOptions::new(0), ListOptions::new(1001)] {
        assert!(matches!(s.list_dramas(&bad).await, Err(Error::Invalid(_))));
    }
    let garbage = ListOptions::new(10).with_cursor("not-a-cursor");
    assert!(matches!(s.list_dramas(&garbage).await, Err(Error::InvalidCursor(_))));
}

async fn nested_entities_round_trip(t: TestStore) {
    let s = &t.storage;
    s.create_drama(&sample("n", 1, 1)).await.unwrap();
    // Characters: slug from the name, 409 on a taken id, references cleaned on delete.
    let c = s
        .create_character("n", Character::new("", "Ava Byte", "engineer"), None)
        .await
        .unwrap();
    assert_eq!(c.value.id, "char-ava-byte");
    let dup = Character::new("char-ava-byte", "Ava", "x");
    assert!(matches!(
        s.create_character("n", dup, None).await,
        Err(Error::AlreadyExists { .. })
    ));
    let patch = CharacterPatch {
        voice_description: Some(Some("warm alto".into())),
        main: Some(true),
        ..Default::default()
    };
    let c = s.update_character("n", "char-ava-byte", patch, None).await.unwrap();
    assert!(c.value.main);
    s.delete_character("n", "char-hero", None).await.unwrap();
    let d = s.get_drama("n").await.unwrap().value;
    assert!(d.episodes[0].scenes[0].assets[0].depends_on.is_empty());

    // Episodes with nested scenes and assets get ids at every level.
    let mut ep = Episode::new("", "Two", "second");
    let mut sc = Scene::new("", "opening");
    sc.assets.push(Asset::new("", AssetKind::Image, "img"));
    sc.assets.push(Asset::new("", AssetKind::Image, "img2"));
    ep.scenes.push(sc);
    let ep = s.create_episode("n", ep, None).await.unwrap().value;
    assert_eq!(ep.id, "ep2");
    assert_eq!(ep.scenes[0].id, "ep2-sc1");
    let asset_ids: Vec<_> = ep.scenes[0].assets.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(asset_ids, ["ep2-sc1-img", "ep2-sc1-img-2"]);

    // Scenes and assets at every owner.
    let sc = s
        .create_scene("n", "ep2", Scene::new("", "second"), None)
        .await
        .unwrap()
        .value;
    assert_eq!(sc.id, "ep2-sc2");
    let owners = [
        AssetOwner::Drama,
        AssetOwner::Character("char-ava-byte".into()),
        AssetOwner::Episode("ep2".into()),
        AssetOwner::scene("ep2", "ep2-sc2"),
    ];
    for owner in &owners {
        let mut a = Asset::new("", AssetKind::Video, "clip");
        a.duration = Some(15);
        let a = s.create_asset("n", owner, a, None).await.unwrap().value;
        let patch = sfd_core::AssetPatch {
            url: Some(Some("https://cdn/x.mp4".into())),
            ..Default::default()
        };
        let a2 = s.update_asset("n", owner, &a.id, patch, None).await.unwrap().value;
        assert_eq!(a2.url.as_deref(), Some("https://cdn/x.mp4"));
        s.delete_asset("n", owner, &a.id, None).await.unwrap();
        assert!(matches!(
            s.delete_asset("n", owner, &a.id, None).await,
            Err(Error::NotFound { .. })
        ));
    }
    // An asset whose reference points nowhere is refused.
    let mut dangling = Asset::new("", AssetKind::Image, "x");
    dangling.depends_on = vec!["char-ghost".into()];
    assert!(matches!(
        s.create_asset("n", &AssetOwner::Drama, dangling, None).await,
        Err(Error::Invalid(_))
    ));
    // Deleting a scene removes its assets and references to them.
    s.delete_scene("n", "ep2", "ep2-sc1", None).await.unwrap();
    s.delete_episode("n", "ep1", None).await.unwrap();
    let d = s.get_drama("n").await.unwrap().value;
    assert_eq!(d.episodes.len(), 1);
    assert_eq!(d.episodes[0].scenes.len(), 1);
    assert!(sfd_core::validate(&d).is_empty());
    assert!(matches!(
        s.update_scene("n", "ep1", "ep1-sc1", ScenePatch::default(), None).await,
        Err(Error::NotFound { .. })
    ));
}

async fn expected_versions_are_enforced(t: TestStore) {
    let s = &t.storage;
    let v0 = s.create_drama(&sample("v", 1, 2)).await.unwrap();
    let patch = |t: &str| ScenePatch {
        description: Some(t.into()),
        ..Default::default()
    };
    let v1 = s
        .update_scene("v", "ep1", "ep1-sc1", patch("one"), Some(&v0))
        .await
        .unwrap()
        .version;
    let stale = s.update_scene("v", "ep1", "ep1-sc2", patch("two"), Some(&v0)).await;
    assert!(matches!(stale, Err(Error::VersionMismatch { .. })), "{stale:?}");
    assert!(matches!(
        s.delete_scene("v", "ep1", "ep1-sc2", Some(&Version::new("\"nope\"")))
            .await,
        Err(Error::VersionMismatch { .. })
    ));
    let d = s.get_drama("v").await.unwrap();
    assert_eq!(d.version, v1);
    assert_eq!(d.value.episodes[0].scenes[1].description, "a scene");
}

async fn job_records(t: TestStore) {
    let s = &t.storage;
    let mut a = Job::new("job_a", JobType::GenerateDrama, "dj", 2);
    let b = Job::new("job_b", JobType::CriticDrama, "dj", 1);
    let va = s.put_job(&a, WriteMode::Create).await.unwrap();
    s.put_job(&b, WriteMode::Create).await.unwrap();
    assert!(matches!(
        s.put_job(&a, WriteMode::Create).await,
        Err(Error::AlreadyExists { .. })
    ));
    a.status = sfd_core::JobStatus::Processing;
    let va2 = s.put_job(&a, WriteMode::Update(va.clone())).await.unwrap();
    assert!(matches!(
        s.put_job(&a, WriteMode::Update(va)).await,
        Err(Error::VersionMismatch { .. })
    ));
    let got = s.get_job("dj", "job_a").await.unwrap();
    assert_eq!((got.value, got.version), (a, va2));
    let ids: Vec<_> = s.list_jobs("dj").await.unwrap().into_iter().map(|j| j.job_id).collect();
    assert_eq!(ids, ["job_b", "job_a"]);
    assert!(s.list_jobs("other").await.unwrap().is_empty());
    assert!(matches!(s.get_job("dj", "job_zz").await, Err(Error::NotFound { .. })));
}
