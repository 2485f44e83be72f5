//! Group commit and the drama cache over HTTP: among 200 concurrent PATCHes
//! of one drama exactly the stale `If-Match` ones get 412, and a drama
//! cached by one `sfd-server` process never hides another process's write.

use std::sync::Arc;

use reqwest::StatusCode;
use sfd_client::{Client, ScenePatch};
use sfd_core::{Storage, StorageBuilder};

use crate::harness::{Options, TestServer};
use crate::replica::{Replica, shared_bucket};
use crate::storm;

const SCENES: usize = 200;

fn stale(n: usize) -> bool {
    n % 7 == 3
}

/// 200 concurrent PATCHes of distinct scenes, every seventh with a stale
/// `If-Match`: exactly those answer 412, every other edit is stored.
async fn only_the_stale_if_match_patches_fail(storage: Arc<dyn Storage>) {
    let s = TestServer::with(Options {
        storage: Some(storage),
        ..Default::default()
    })
    .await;
    let d = storm::drama("hot", 1, SCENES);
    let stale_tag = s.client.import_drama(&d).await.unwrap().etag.unwrap();
    let warm_up = ScenePatch {
        description: Some("warm-up".into()),
        ..Default::default()
    };
    s.client
        .update_scene("hot", "ep1", "ep1-sc1", &warm_up, None)
        .await
        .unwrap();
    let client: &Client = &s.client;
    let patches = (1..=SCENES).map(|n| {
        let tag = stale_tag.clone();
        async move {
            let sc = format!("ep1-sc{n}");
            let patch = ScenePatch {
                description: Some(format!("edited {sc}")),
                ..Default::default()
            };
            let if_match = stale(n).then_some(tag.as_str());
            (n, client.update_scene("hot", "ep1", &sc, &patch, if_match).await)
        }
    });
    let mut etags = Vec::new();
    for (n, r) in futures::future::join_all(patches).await {
        match r {
            Ok(v) => {
                assert!(!stale(n), "PATCH {n} carried a stale If-Match and succeeded");
                assert_eq!(v.value.description, format!("edited ep1-sc{n}"));
                etags.push(v.etag.unwrap());
            }
            Err(e) => assert!(
                stale(n) && e.is_precondition_failed(),
                "PATCH {n}: {e} (status {:?})",
                e.status()
            ),
        }
    }
    let now = s.client.get_drama("hot").await.unwrap();
    assert!(
        etags.contains(now.etag.as_ref().unwrap()),
        "the final version is someone's answer"
    );
    let mut lost = storm::unedited(&now.value);
    lost.retain(|id| {
        let n: usize = id.trim_start_matches("ep1-sc").parse().unwrap();
        !stale(n)
    });
    assert!(lost.is_empty(), "lost updates: {lost:?}");
    let stale_edited = now.value.episodes[0]
        .scenes
        .iter()
        .enumerate()
        .filter(|(k, sc)| stale(k + 1) && sc.description.starts_with("edited"))
        .count();
    assert_eq!(stale_edited, 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stale_if_match_patches_get_412_and_the_rest_survive_in_memory() {
    only_the_stale_if_match_patches_fail(Arc::new(StorageBuilder::memory().build().unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stale_if_match_patches_get_412_and_the_rest_survive_in_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    only_the_stale_if_match_patches_fail(Arc::new(StorageBuilder::local(dir.path()).build().unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stale_if_match_patches_get_412_and_the_rest_survive_on_s3() {
    let Some(bucket) = shared_bucket() else { return };
    only_the_stale_if_match_patches_fail(Arc::new(StorageBuilder::from_url(&bucket).unwrap().build().unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_group_commit_the_same_patches_get_the_same_answers() {
    let storage = StorageBuilder::memory().with_group_commit(false).build().unwrap();
    only_the_stale_if_match_patches_fail(Arc::new(storage)).await;
}

/// Two real processes on one store: A caches the drama, B changes it, and
/// A's next read (whole, conditional, or a nested entity) shows B's write.
async fn a_write_by_another_process_is_seen_at_once(storage: &str) {
    let (a, b) = (Replica::start(storage, &[]), Replica::start(storage, &[]));
    let d = storm::drama("seen", 1, 3);
    a.client.import_drama(&d).await.unwrap();
    let http = reqwest::Client::new();
    for round in 0..5 {
        let cached = a.client.get_drama("seen").await.unwrap().etag.unwrap();
        a.client.get_scene("seen", "ep1", "ep1-sc2").await.unwrap();
        let patch = ScenePatch {
            description: Some(format!("round {round}")),
            ..Default::default()
        };
        let written = b
            .client
            .update_scene("seen", "ep1", "ep1-sc2", &patch, None)
            .await
            .unwrap();
        let written = written.etag.unwrap();
        assert_ne!(written, cached);

        let whole = a.client.get_drama("seen").await.unwrap();
        assert_eq!(whole.etag.as_ref(), Some(&written));
        assert_eq!(whole.value.episodes[0].scenes[1].description, format!("round {round}"));
        let scene = a.client.get_scene("seen", "ep1", "ep1-sc2").await.unwrap();
        assert_eq!(scene.value.description, format!("round {round}"));
        assert_eq!(scene.etag.as_ref(), Some(&written));

        // If-None-Match with the old version: the new drama; with the new one: 304.
        let url = format!("{}/dramas/seen", a.client.base_url().trim_end_matches('/'));
        let old = http.get(&url).header("if-none-match", &cached).send().await.unwrap();
        assert_eq!(old.status(), StatusCode::OK);
        let new = http.get(&url).header("if-none-match", &written).send().await.unwrap();
        assert_eq!(new.status(), StatusCode::NOT_MODIFIED);
    }
    b.client.delete_drama("seen", None).await.unwrap();
    assert!(a.client.get_drama("seen").await.unwrap_err().is_not_found());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_write_is_seen_at_once_on_s3() {
    let Some(bucket) = shared_bucket() else { return };
    a_write_by_another_process_is_seen_at_once(&bucket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_write_is_seen_at_once_in_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    a_write_by_another_process_is_seen_at_once(dir.path().to_str().unwrap()).await;
}

/// With `SFD_CACHE_TTL_MS`, a process still reads its own writes at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_ttl_a_process_reads_its_own_writes_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let a = Replica::start(dir.path().to_str().unwrap(), &[("SFD_CACHE_TTL_MS", "3600000")]);
    a.client.import_drama(&storm::drama("ttl", 1, 2)).await.unwrap();
    for round in 0..5 {
        a.client.get_drama("ttl").await.unwrap();
        let patch = ScenePatch {
            description: Some(format!("round {round}")),
            ..Default::default()
        };
        let w = a
            .client
            .update_scene("ttl", "ep1", "ep1-sc1", &patch, None)
            .await
            .unwrap();
        let r = a.client.get_drama("ttl").await.unwrap();
        assert_eq!(r.etag, w.etag);
        assert_eq!(r.value.episodes[0].scenes[0].description, format!("round {round}"));
    }
    a.client.delete_drama("ttl", None).await.unwrap();
    assert!(a.client.get_drama("ttl").await.unwrap_err().is_not_found());
}
