//! Tests of [`ObjectStorage`]'s deletes, conflicts and cache against a scripted store.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use futures::FutureExt;
use object_store::ObjectStore;

use super::object::TOMBSTONE;
use super::scripted_store::ScriptedStore;
use super::{DramaCache, Key, ObjectStorage, Storage, WriteMode};
use crate::Error;
use crate::model::{Drama, DramaPatch};
use crate::{EditExt, StorageExt};

fn pair() -> (Arc<ScriptedStore>, ObjectStorage, ObjectStorage) {
    let store = Arc::new(ScriptedStore::default());
    let scripted = ObjectStorage::new(Arc::clone(&store) as Arc<dyn ObjectStore>, true, "scripted");
    let plain = ObjectStorage::new(Arc::clone(&store.inner) as Arc<dyn ObjectStore>, true, "memory");
    (store, scripted, plain)
}

#[tokio::test]
async fn a_create_landing_right_after_a_tombstone_survives_the_delete() {
    let (store, deleter, creator) = pair();
    deleter.create_drama(&Drama::new("x", "old", "d", "p")).await.unwrap();
    let creator = Arc::new(creator);
    let c = Arc::clone(&creator);
    *store.after_tombstone.lock().unwrap() = Some(Box::new(move || {
        async move {
            c.create_drama(&Drama::new("x", "new", "d", "p")).await.unwrap();
        }
        .boxed()
    }));
    deleter.delete_drama("x", None).await.unwrap();
    assert_eq!(creator.get_drama("x").await.unwrap().value.title, "new");
    assert_eq!(deleter.list("dramas/", None, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_conflict_during_an_update_is_retried_not_reported_as_exists() {
    let (store, s, _) = pair();
    s.create_drama(&Drama::new("x", "old", "d", "p")).await.unwrap();
    store.update_conflicts.store(3, Ordering::SeqCst);
    let patch = DramaPatch {
        title: Some("new".into()),
        ..Default::default()
    };
    let v = s.update_drama("x", patch, None).await.unwrap();
    assert_eq!(v.value.title, "new");
    assert_eq!(store.update_conflicts.load(Ordering::SeqCst), 0);
    // With an expected version, the conflict is a version mismatch (412), never "exists" (409).
    store.update_conflicts.store(1, Ordering::SeqCst);
    let stale = s.replace_drama(&Drama::new("x", "t", "d", "p"), &v.version).await;
    assert!(matches!(stale, Err(Error::VersionMismatch { .. })), "{stale:?}");
}

#[tokio::test]
async fn a_cached_drama_replaced_by_a_tombstone_reads_as_nothing() {
    let s = ObjectStorage::new(Arc::new(object_store::memory::InMemory::new()), true, "memory")
        .with_cache(Some(DramaCache::new(1 << 20, None)));
    let v = s.create_drama(&Drama::new("x", "t", "d", "p")).await.unwrap();
    let key = Key::drama("x").unwrap();
    s.get(&key).await.unwrap().unwrap();
    s.put(&key, Bytes::from_static(TOMBSTONE), WriteMode::Update(v))
        .await
        .unwrap();
    assert!(s.get(&key).await.unwrap().is_none());
    assert!(s.get_drama("x").await.unwrap_err().is_not_found());
}

#[test]
fn every_document_is_longer_than_a_tombstone() {
    let smallest = Drama::new("x", "", "", "").to_vec();
    assert!(smallest.len() > TOMBSTONE.len());
    let job = serde_json::to_vec(&crate::model::Job::new("j", crate::model::JobType::CriticDrama, "d", 0));
    assert!(job.unwrap().len() > TOMBSTONE.len());
}
