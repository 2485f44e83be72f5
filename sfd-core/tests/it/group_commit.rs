//! Group commit and the drama cache, on every backend: concurrent edits of
//! one drama each succeed or fail on their own, nothing is lost across
//! instances, and a cached drama never hides another instance's write.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use sfd_core::{EditExt, Error, ScenePatch, Storage, StorageBuilder, StorageExt, WriteMode};

use crate::backends::TestStore;
use crate::conformance::sample;

crate::conformance_tests!(
    stale_if_match_edits_fail_alone_and_the_rest_survive,
    edits_from_two_instances_lose_nothing,
    of_many_edits_naming_one_version_exactly_one_wins,
    another_instances_write_is_seen_at_once,
);

const SCENES: usize = 200;

fn describe(desc: &str) -> ScenePatch {
    ScenePatch {
        description: Some(desc.to_string()),
        ..Default::default()
    }
}

/// 200 concurrent edits of distinct scenes: every fifth carries a stale
/// `If-Match`, every 37th breaks validation, one names a missing scene.
/// Exactly those fail; every other edit is stored.
async fn stale_if_match_edits_fail_alone_and_the_rest_survive(t: TestStore) {
    stale_edits_fail_alone(Arc::clone(&t.storage)).await;
}

pub async fn stale_edits_fail_alone(s: Arc<dyn Storage>) {
    let v0 = s.create_drama(&sample("hot", 1, SCENES)).await.unwrap();
    // Any edit makes v0 stale.
    s.update_scene("hot", "ep1", "ep1-sc1", describe("warm-up"), None)
        .await
        .unwrap();
    let stale = |n: usize| n.is_multiple_of(5);
    let invalid = |n: usize| n.is_multiple_of(37) && !stale(n);
    let edits = (1..=SCENES).map(|n| {
        let s = Arc::clone(&s);
        let v0 = v0.clone();
        async move {
            let scene = format!("ep1-sc{n}");
            if invalid(n) {
                let bad = s.modify_drama("hot", None, |d| {
                    d.scene_mut("ep1", &scene)?.assets[0].depends_on.push("nobody".into());
                    Ok(())
                });
                return (n, bad.await.map(|v| v.version));
            }
            let expected = stale(n).then_some(&v0);
            let r = s
                .update_scene("hot", "ep1", &scene, describe(&format!("edit {n}")), expected)
                .await;
            if let Ok(v) = &r {
                assert_eq!(
                    v.value.description,
                    format!("edit {n}"),
                    "each caller gets its own result"
                );
            }
            (n, r.map(|v| v.version))
        }
    });
    let missing = s.update_scene("hot", "ep1", "ep1-sc999", describe("x"), None);
    let (results, missing) = tokio::join!(join_all(edits), missing);
    assert!(missing.unwrap_err().is_not_found());
    let mut versions = Vec::new();
    for (n, r) in results {
        match r {
            Ok(v) => {
                assert!(!stale(n) && !invalid(n), "edit {n} should have failed");
                versions.push(v);
            }
            Err(Error::VersionMismatch { .. }) => assert!(stale(n), "edit {n} failed with a version mismatch"),
            Err(Error::Invalid(_)) => assert!(invalid(n), "edit {n} failed validation"),
            Err(e) => panic!("edit {n}: {e}"),
        }
    }
    let now = s.get_drama("hot").await.unwrap();
    assert!(
        versions.contains(&now.version),
        "the last commit's version is someone's answer"
    );
    for (k, scene) in now.value.episodes[0].scenes.iter().enumerate() {
        let n = k + 1;
        let want = if stale(n) || invalid(n) {
            if n == 1 {
                "warm-up".to_string()
            } else {
                "a scene".to_string()
            }
        } else {
            format!("edit {n}")
        };
        assert_eq!(scene.description, want, "scene {n}");
        assert_eq!(
            scene.assets[0].depends_on,
            ["char-hero"],
            "scene {n}: a failed edit left a trace"
        );
    }
}

/// Two instances (as two processes) edit distinct scenes of one drama at
/// once: every acknowledged edit is stored.
async fn edits_from_two_instances_lose_nothing(t: TestStore) {
    let (a, b) = (Arc::clone(&t.storage), t.second_instance());
    a.create_drama(&sample("shared", 1, 60)).await.unwrap();
    let edits = (1..=60).map(|n| {
        let s = if n % 2 == 0 { Arc::clone(&a) } else { Arc::clone(&b) };
        async move {
            s.update_scene(
                "shared",
                "ep1",
                &format!("ep1-sc{n}"),
                describe(&format!("by {n}")),
                None,
            )
            .await
        }
    });
    for r in join_all(edits).await {
        r.unwrap();
    }
    for s in [&a, &b] {
        let d = s.get_drama("shared").await.unwrap().value;
        for (k, scene) in d.episodes[0].scenes.iter().enumerate() {
            assert_eq!(scene.description, format!("by {}", k + 1));
        }
    }
}

/// Ten edits all naming the current version: one wins, nine get 412, as
/// if they had run one after another.
async fn of_many_edits_naming_one_version_exactly_one_wins(t: TestStore) {
    let s = &t.storage;
    let v = s.create_drama(&sample("one", 1, 10)).await.unwrap();
    let edits = (1..=10).map(|n| {
        let v = v.clone();
        async move {
            s.update_scene("one", "ep1", &format!("ep1-sc{n}"), describe("mine"), Some(&v))
                .await
        }
    });
    let results = join_all(edits).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || matches!(r, Err(Error::VersionMismatch { .. })))
    );
    let d = s.get_drama("one").await.unwrap().value;
    let changed = d.episodes[0]
        .scenes
        .iter()
        .filter(|sc| sc.description == "mine")
        .count();
    assert_eq!(changed, 1);
}

/// With the cache validating every read, what another instance writes or
/// deletes is read at once, whole and parsed.
async fn another_instances_write_is_seen_at_once(t: TestStore) {
    let (a, b) = (Arc::clone(&t.storage), t.second_instance());
    a.create_drama(&sample("seen", 1, 3)).await.unwrap();
    for round in 0..5 {
        // Read through `a` (cached there), write through `b`, read `a` again.
        let before = a.get_drama("seen").await.unwrap();
        let bytes_before = a.get_drama_bytes("seen").await.unwrap();
        assert_eq!(before.version, bytes_before.version);
        let written = b
            .update_scene("seen", "ep1", "ep1-sc2", describe(&format!("round {round}")), None)
            .await
            .unwrap();
        let after = a.get_drama("seen").await.unwrap();
        assert_eq!(after.version, written.version);
        assert_eq!(after.value.episodes[0].scenes[1].description, format!("round {round}"));
        assert_eq!(a.get_drama_bytes("seen").await.unwrap().version, written.version);
    }
    b.delete_drama("seen", None).await.unwrap();
    assert!(a.get_drama("seen").await.unwrap_err().is_not_found());
}

/// Group commit switched off: the same guarantees, one cycle per edit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_group_commit_stale_edits_still_fail_alone() {
    let s = StorageBuilder::memory().with_group_commit(false).build().unwrap();
    assert!(s.group_commit().is_none());
    stale_edits_fail_alone(Arc::new(s)).await;
}

/// With a TTL the cache may serve a version unchecked, but never one older
/// than what this instance wrote itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_a_ttl_own_writes_are_seen_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for builder in [StorageBuilder::memory(), StorageBuilder::local(dir.path())] {
        let s = builder.with_cache_ttl(Some(Duration::from_secs(3600))).build().unwrap();
        s.create_drama(&sample("ttl", 1, 2)).await.unwrap();
        for round in 0..5 {
            s.get_drama("ttl").await.unwrap();
            let w = s
                .update_scene("ttl", "ep1", "ep1-sc1", describe(&format!("r{round}")), None)
                .await
                .unwrap();
            let r = s.get_drama("ttl").await.unwrap();
            assert_eq!(r.version, w.version);
            assert_eq!(r.value.episodes[0].scenes[0].description, format!("r{round}"));
            let key = sfd_core::Key::drama("ttl").unwrap();
            let body = sample("ttl", 1, 2).to_vec().into();
            let v = s.put(&key, body, WriteMode::Update(w.version.clone())).await.unwrap();
            assert_eq!(s.get_drama_bytes("ttl").await.unwrap().version, v);
        }
        s.delete_drama("ttl", None).await.unwrap();
        assert!(s.get_drama("ttl").await.unwrap_err().is_not_found());
    }
}

/// A cache of zero bytes is no cache; a small one stays within its bound.
#[tokio::test]
async fn the_cache_is_bounded_in_bytes() {
    let off = StorageBuilder::memory().with_cache_bytes(0).build().unwrap();
    assert!(off.drama_cache().is_none());
    let small = StorageBuilder::memory().with_cache_bytes(64 << 10).build().unwrap();
    for n in 0..50 {
        let id = format!("d{n}");
        small.create_drama(&sample(&id, 1, 5)).await.unwrap();
        small.get_drama(&id).await.unwrap();
    }
    let used = small.drama_cache().unwrap().used_bytes();
    assert!(used > 0 && used <= 64 << 10, "{used}");
}
