//! Every route through the real client: the happy paths and the error statuses.

use std::sync::Arc;

use serde_json::Value;
use sfd_client::{
    Asset, AssetKind, AssetOwner, AssetPatch, Character, CharacterPatch, DramaPatch, Episode, EpisodePatch, Scene,
    ScenePatch,
};

use crate::harness::{TestServer, v5};

#[tokio::test]
async fn meta_routes_are_open_even_with_keys() {
    let s = TestServer::with_keys(&["k-secret"]).await;
    let raw = reqwest::Client::new();
    for path in ["/health", "/openapi.json", "/docs"] {
        let r = raw.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let docs = raw.get(s.url("/docs")).send().await.unwrap().text().await.unwrap();
    assert!(
        docs.contains("/openapi.json") && !docs.contains("https://"),
        "the docs page must work offline"
    );
    let h = s.client.health().await.unwrap();
    assert_eq!(h.status, "ok");
    assert_eq!(h.version, env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn auth_on_requires_a_valid_key() {
    let s = TestServer::with_keys(&["k1", "k2"]).await;
    s.client.list_dramas_page(10, None).await.unwrap();
    let anonymous = sfd_client::Client::new(&s.base);
    let err = anonymous.list_dramas_page(10, None).await.unwrap_err();
    assert!(err.is_unauthorized(), "{err}");
    let wrong = sfd_client::Client::new(&s.base).with_api_key("k3");
    assert!(matches!(
        wrong.get_drama("x").await.unwrap_err(),
        sfd_client::Error::Api { status: 401, .. }
    ));
    let second = sfd_client::Client::new(&s.base).with_api_key("k2");
    second.list_dramas_page(1, None).await.unwrap();
}

#[tokio::test]
async fn auth_off_needs_no_key() {
    let s = TestServer::start().await;
    sfd_client::Client::new(&s.base)
        .list_dramas_page(5, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn drama_routes_import_get_list_patch_delete() {
    let s = TestServer::start().await;
    let c = &s.client;
    let fixture = v5();
    let created = c.import_drama(&fixture).await.unwrap();
    assert_eq!(created.value, fixture);
    let got = c.get_drama(&fixture.id).await.unwrap();
    assert_eq!(got.value, fixture);
    assert_eq!(got.etag, created.etag);
    // Byte-for-byte as JSON values through the wire.
    let raw: Value = reqwest::get(s.url("/dramas/corgi_musk_v5"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let original: Value = serde_json::from_slice(&crate::harness::fixture("corgi_musk_v5.json")).unwrap();
    assert_eq!(raw, original);
    // 409 on an existing id (the old server overwrote it).
    assert!(c.import_drama(&fixture).await.unwrap_err().is_conflict());

    let patch = DramaPatch {
        title: Some("Fetch the Stars, Again".into()),
        ..Default::default()
    };
    let patched = c.update_drama(&fixture.id, &patch, got.etag.as_deref()).await.unwrap();
    assert_eq!(patched.value.title, "Fetch the Stars, Again");
    // 412 with the stale version; nothing changes.
    let stale = c
        .update_drama(&fixture.id, &DramaPatch::default(), got.etag.as_deref())
        .await
        .unwrap_err();
    assert!(stale.is_precondition_failed(), "{stale}");
    // 304 with the current version.
    let r = reqwest::Client::new()
        .get(s.url("/dramas/corgi_musk_v5"))
        .header("if-none-match", patched.etag.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    for i in 0..5 {
        let mut d = sfd_client::Drama::new(format!("d{i}"), format!("T{i}"), "x", "p");
        d.metadata = Some(serde_json::Map::new());
        c.import_drama(&d).await.unwrap();
    }
    let page = c.list_dramas_page(4, None).await.unwrap();
    assert_eq!(page.dramas.len(), 4);
    let ids: Vec<String> = {
        use futures::StreamExt;
        c.list_dramas(2).map(|d| d.unwrap().id).collect().await
    };
    assert_eq!(ids, ["corgi_musk_v5", "d0", "d1", "d2", "d3", "d4"]);

    c.delete_drama("d0", None).await.unwrap();
    assert!(c.get_drama("d0").await.unwrap_err().is_not_found());
    // 404 on DELETE of a missing drama (the old server said 200).
    assert!(c.delete_drama("d0", None).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn nested_routes_at_every_level() {
    let s = TestServer::start().await;
    let c = &s.client;
    let d = v5();
    c.import_drama(&d).await.unwrap();
    let id = d.id.as_str();

    // Characters.
    let chars = c.list_characters(id).await.unwrap();
    assert_eq!(chars.value.len(), d.characters.len());
    let made = c
        .create_character(id, &Character::new("", "Rex Bolt", "a rival"), None)
        .await
        .unwrap();
    assert_eq!(made.value.id, "char-rex-bolt");
    let patch = CharacterPatch {
        main: Some(true),
        ..Default::default()
    };
    let upd = c
        .update_character(id, "char-rex-bolt", &patch, made.etag.as_deref())
        .await
        .unwrap();
    assert!(upd.value.main);
    assert_eq!(c.get_character(id, "char-rex-bolt").await.unwrap().value, upd.value);
    assert!(
        c.create_character(id, &Character::new("char-rex-bolt", "x", "y"), None)
            .await
            .unwrap_err()
            .is_conflict()
    );
    c.delete_character(id, "char-rex-bolt", None).await.unwrap();
    assert!(c.get_character(id, "char-rex-bolt").await.unwrap_err().is_not_found());

    // Episodes and scenes.
    let ep = c
        .create_episode(id, &Episode::new("", "Epilogue", "after"), None)
        .await
        .unwrap()
        .value;
    assert_eq!(ep.id, format!("ep{}", d.episodes.len() + 1));
    let patch = EpisodePatch {
        title: Some("Coda".into()),
        ..Default::default()
    };
    assert_eq!(
        c.update_episode(id, &ep.id, &patch, None).await.unwrap().value.title,
        "Coda"
    );
    assert_eq!(c.list_episodes(id).await.unwrap().value.len(), d.episodes.len() + 1);
    let sc = c
        .create_scene(id, &ep.id, &Scene::new("", "Sunrise over the kennel"), None)
        .await
        .unwrap()
        .value;
    assert_eq!(sc.id, format!("{}-sc1", ep.id));
    let patch = ScenePatch {
        video_url: Some(Some("https://cdn.example/v.mp4".into())),
        ..Default::default()
    };
    c.update_scene(id, &ep.id, &sc.id, &patch, None).await.unwrap();
    assert_eq!(
        c.get_scene(id, &ep.id, &sc.id)
            .await
            .unwrap()
            .value
            .video_url
            .as_deref(),
        Some("https://cdn.example/v.mp4")
    );
    assert_eq!(c.list_scenes(id, &ep.id).await.unwrap().value.len(), 1);

    // Assets at every owner.
    for owner in [
        AssetOwner::Drama,
        AssetOwner::Character("char-corgi".into()),
        AssetOwner::Episode(ep.id.clone()),
        AssetOwner::scene(ep.id.clone(), sc.id.clone()),
    ] {
        let mut a = Asset::new("", AssetKind::Video, "a slow dolly-in");
        a.duration = Some(10);
        let a = c.create_asset(id, &owner, &a, None).await.unwrap().value;
        let patch = AssetPatch {
            url: Some(Some("https://cdn.example/a.mp4".into())),
            ..Default::default()
        };
        c.update_asset(id, &owner, &a.id, &patch, None).await.unwrap();
        assert_eq!(
            c.get_asset(id, &owner, &a.id).await.unwrap().value.url.as_deref(),
            Some("https://cdn.example/a.mp4")
        );
        assert_eq!(c.list_assets(id, &owner).await.unwrap().value.len(), 1);
        c.delete_asset(id, &owner, &a.id, None).await.unwrap();
        assert!(c.get_asset(id, &owner, &a.id).await.unwrap_err().is_not_found());
    }
    c.delete_scene(id, &ep.id, &sc.id, None).await.unwrap();
    c.delete_episode(id, &ep.id, None).await.unwrap();
    // Back to the imported document.
    assert_eq!(c.get_drama(id).await.unwrap().value, d);
}

#[tokio::test]
async fn wrong_methods_and_unknown_routes() {
    let s = TestServer::start().await;
    let raw = reqwest::Client::new();
    let r = raw.put(s.url("/dramas/x1")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, PATCH, DELETE, OPTIONS");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");
    let r = raw.get(s.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].is_string());
    // CORS preflight.
    let r = raw
        .request(reqwest::Method::OPTIONS, s.url("/dramas"))
        .header("origin", "https://viewer.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(
        r.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("X-API-Key")
    );
}

#[tokio::test]
async fn cors_for_any_origin_never_allows_credentials_when_keys_are_set() {
    let s = TestServer::with_keys(&["k-cors"]).await;
    let raw = reqwest::Client::new();
    let preflight = raw
        .request(reqwest::Method::OPTIONS, s.url("/dramas"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    let get = raw
        .get(s.url("/dramas"))
        .header("origin", "https://evil.example")
        .header("x-api-key", "k-cors")
        .send()
        .await
        .unwrap();
    for r in [preflight, get] {
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
        assert!(r.headers().get("access-control-allow-credentials").is_none());
    }
    s.stop().await;
}

#[tokio::test]
async fn two_hundred_concurrent_patches_over_http_lose_nothing() {
    let s = TestServer::start().await;
    let mut d = sfd_client::Drama::new("busy", "t", "x", "p");
    for e in 1..=4 {
        let mut ep = Episode::new(format!("ep{e}"), "t", "x");
        for n in 1..=50 {
            ep.scenes.push(Scene::new(format!("ep{e}-sc{n}"), "x"));
        }
        d.episodes.push(ep);
    }
    s.client.import_drama(&d).await.unwrap();
    let client = Arc::new(s.client.clone());
    let tasks: Vec<_> = d
        .episodes
        .iter()
        .flat_map(|e| e.scenes.iter().map(move |sc| (e.id.clone(), sc.id.clone())))
        .map(|(e, sc)| {
            let client = Arc::clone(&client);
            tokio::spawn(async move {
                let patch = ScenePatch {
                    description: Some(format!("edited {sc}")),
                    ..Default::default()
                };
                client.update_scene("busy", &e, &sc, &patch, None).await.unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let after = s.client.get_drama("busy").await.unwrap().value;
    let lost: Vec<_> = after
        .episodes
        .iter()
        .flat_map(|e| &e.scenes)
        .filter(|sc| sc.description != format!("edited {}", sc.id))
        .collect();
    assert!(lost.is_empty(), "{} lost updates", lost.len());
}

/// The client's generic verbs at level `L` against the server: a create
/// that gets a slug, get, list, a taken id (409), a patch at the read
/// version, a delete, and 404 after it.
async fn member_verbs<L: sfd_core::Level>(c: &sfd_client::Client, parent: L::Parent, member: L, id: &str) {
    use sfd_core::Patch;
    let made = c.create_member("levels", &parent, &member, None).await.unwrap();
    assert_eq!(made.value.id(), id);
    let got = c.get_member::<L>("levels", &parent, id).await.unwrap();
    assert_eq!(got.etag, made.etag);
    let all = c.list_members::<L>("levels", &parent).await.unwrap();
    assert_eq!(all.value.last().map(L::id), Some(id));
    let again = c.create_member("levels", &parent, &made.value, None).await;
    assert!(again.unwrap_err().is_conflict());
    let patch = L::Patch::from_value(serde_json::json!({"metadata": {"k": 1}})).unwrap();
    let changed = c
        .update_member::<L>("levels", &parent, id, &patch, all.etag.as_deref())
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&changed.value).unwrap()["metadata"]["k"], 1);
    c.delete_member::<L>("levels", &parent, id, changed.etag.as_deref())
        .await
        .unwrap();
    assert!(
        c.get_member::<L>("levels", &parent, id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn generic_member_verbs_at_every_level() {
    let s = TestServer::start().await;
    let mut d = sfd_core::Drama::new("levels", "t", "x", "p");
    let mut ep = Episode::new("ep1", "t", "x");
    ep.scenes.push(Scene::new("ep1-sc1", "x"));
    d.episodes.push(ep);
    s.client.import_drama(&d).await.unwrap();
    let c = &s.client;
    member_verbs(c, (), Character::new("", "Rex Bolt", "a rival"), "char-rex-bolt").await;
    member_verbs(c, (), Episode::new("", "Coda", "after"), "ep2").await;
    member_verbs(c, "ep1".to_string(), Scene::new("", "a beat"), "ep1-sc2").await;
    let owner = AssetOwner::scene("ep1", "ep1-sc1");
    member_verbs(c, owner, Asset::new("", AssetKind::Audio, "rain"), "ep1-sc1-aud").await;
    let missing = c.list_members::<Scene>("levels", &"ep9".to_string()).await;
    assert!(missing.unwrap_err().is_not_found());
}
