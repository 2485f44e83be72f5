//! Drama summaries on every backend: the listing stays right after
//! updates, deletes, and a crash between a drama's write and its summary's
//! (which the repair finds).

use std::sync::Arc;

use bytes::Bytes;
use sfd_core::{
    Drama, DramaPatch, DramaSummary, EditExt, Key, ListOptions, ScenePatch, Storage, StorageBuilder, StorageExt,
    SummaryRepair, WriteMode,
};

use crate::backends::TestStore;
use crate::conformance::sample;

crate::conformance_tests!(
    summaries_follow_every_edit_and_delete,
    a_listing_sees_another_instances_edit_though_it_read_the_summary_before,
    a_crash_between_the_two_writes_is_found_by_the_repair,
);

async fn listed(s: &dyn Storage) -> Vec<DramaSummary> {
    let mut all = Vec::new();
    let mut opts = ListOptions::new(2);
    loop {
        let page = s.list_dramas(&opts).await.unwrap();
        all.extend(page.dramas);
        match page.cursor {
            Some(c) => opts = opts.with_cursor(c),
            None => return all,
        }
    }
}

/// What the listing must say about `d`, as read from the drama itself.
fn expected(d: &Drama) -> (String, String, String, String, Option<String>) {
    (
        d.id.clone(),
        d.title.clone(),
        d.description.clone(),
        d.premise.clone(),
        d.url.clone(),
    )
}

async fn assert_listing_matches_the_dramas(s: &dyn Storage) {
    let list = listed(s).await;
    let mut want = Vec::new();
    for summary in &list {
        let d = s.get_drama(&summary.id).await.unwrap().value;
        want.push(expected(&d));
        assert_eq!(summary.metadata, d.metadata, "{}", d.id);
        assert!(summary.updated_at.is_some() && summary.error.is_none());
    }
    let got: Vec<_> = list
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                s.title.clone(),
                s.description.clone(),
                s.premise.clone(),
                s.url.clone(),
            )
        })
        .collect();
    assert_eq!(got, want);
}

/// A listing keeps the summaries it read by the drama's version; a write
/// by another instance changes the version the store lists, so the next
/// listing reads the new summary.
async fn a_listing_sees_another_instances_edit_though_it_read_the_summary_before(t: TestStore) {
    let (a, b) = (t.storage.as_ref(), t.second_instance());
    for id in ["m1", "m2", "m3"] {
        a.create_drama(&sample(id, 1, 1)).await.unwrap();
    }
    for _ in 0..2 {
        assert_listing_matches_the_dramas(a).await;
    }
    for round in 0..3 {
        let patch = DramaPatch {
            title: Some(format!("renamed elsewhere {round}")),
            ..Default::default()
        };
        b.update_drama("m2", patch, None).await.unwrap();
        let list = listed(a).await;
        assert_eq!(list[1].title, format!("renamed elsewhere {round}"));
        assert_listing_matches_the_dramas(a).await;
    }
}

async fn summaries_follow_every_edit_and_delete(t: TestStore) {
    let s = t.storage.as_ref();
    for id in ["a", "b", "c", "d", "e"] {
        s.create_drama(&sample(id, 1, 2)).await.unwrap();
    }
    assert_listing_matches_the_dramas(s).await;
    let patch = DramaPatch {
        title: Some("renamed".into()),
        ..Default::default()
    };
    s.update_drama("b", patch, None).await.unwrap();
    let mut c = s.get_drama("c").await.unwrap();
    c.value.description = "replaced".into();
    s.replace_drama(&c.value, &c.version).await.unwrap();
    let scene = ScenePatch {
        description: Some("scene edits keep the head".into()),
        ..Default::default()
    };
    s.update_scene("d", "ep1", "ep1-sc1", scene, None).await.unwrap();
    s.modify_drama("e", None, |d| {
        d.url = Some("https://example.com/e.mp4".into());
        Ok(())
    })
    .await
    .unwrap();
    s.delete_drama("a", None).await.unwrap();
    assert!(s.get(&Key::summary("a").unwrap()).await.unwrap().is_none());
    let list = listed(s).await;
    let ids: Vec<_> = list.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["b", "c", "d", "e"]);
    assert_eq!(list[0].title, "renamed");
    assert_eq!(list[1].description, "replaced");
    assert_eq!(list[3].url.as_deref(), Some("https://example.com/e.mp4"));
    assert_listing_matches_the_dramas(s).await;
    // Nothing to repair after ordinary edits.
    let report = s.repair_summaries().await.unwrap();
    assert_eq!((report.rewritten, report.removed), (0, 0), "{report:?}");
    assert_eq!(report.checked, 4);
}

async fn a_crash_between_the_two_writes_is_found_by_the_repair(t: TestStore) {
    let s = t.storage.as_ref();
    for id in ["x", "y", "z"] {
        s.create_drama(&sample(id, 1, 1)).await.unwrap();
    }
    // A crash after the drama's write, before its summary's: the document
    // changes under its key alone.
    let v = s.get_drama("x").await.unwrap();
    let mut changed = v.value.clone();
    changed.title = "written before the crash".into();
    let key = Key::drama("x").unwrap();
    s.put(&key, Bytes::from(changed.to_vec()), WriteMode::Update(v.version))
        .await
        .unwrap();
    // A summary lost, and one left behind by a drama gone.
    s.delete(&Key::summary("y").unwrap(), None).await.unwrap();
    s.put(
        &Key::summary("ghost").unwrap(),
        Bytes::from_static(br#"{"id":"ghost","title":"","description":"","premise":"","version":"v"}"#),
        WriteMode::Overwrite,
    )
    .await
    .unwrap();
    // The missing summary falls back to the drama; the ghost is never listed.
    let list = listed(s).await;
    let ids: Vec<_> = list.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["x", "y", "z"]);
    assert_eq!(list[1].title, "Title of y");

    let report = s.repair_summaries().await.unwrap();
    assert_eq!(
        report,
        SummaryRepair {
            checked: 3,
            rewritten: 2,
            removed: 1,
            corrupt: 0
        }
    );
    assert_eq!(listed(s).await[0].title, "written before the crash");
    assert_listing_matches_the_dramas(s).await;
    assert!(s.get(&Key::summary("ghost").unwrap()).await.unwrap().is_none());
    assert_eq!(s.repair_summaries().await.unwrap().rewritten, 0);
}

/// With summaries off, the listing reads the dramas and says the same.
#[tokio::test]
async fn without_summaries_the_listing_reads_the_dramas() {
    let s = Arc::new(StorageBuilder::memory().with_summaries(false).build().unwrap());
    for id in ["p", "q"] {
        s.create_drama(&sample(id, 1, 1)).await.unwrap();
    }
    assert!(s.get(&Key::summary("p").unwrap()).await.unwrap().is_none());
    assert_listing_matches_the_dramas(s.as_ref()).await;
}

/// New dramas record their creation time once; the summary carries it.
#[tokio::test]
async fn the_creation_time_is_kept_in_the_metadata_and_the_summary() {
    let mut d = sample("born", 1, 1);
    assert_eq!(d.created_at(), None);
    d.stamp_created_at(1_700_000_000_000);
    d.stamp_created_at(1_800_000_000_000);
    assert_eq!(d.created_at(), Some(1_700_000_000_000));
    let s = StorageBuilder::memory().build().unwrap();
    s.create_drama(&d).await.unwrap();
    let page = s.list_dramas(&ListOptions::default()).await.unwrap();
    let meta = page.dramas[0].metadata.as_ref().unwrap();
    assert_eq!(meta[sfd_core::CREATED_AT], 1_700_000_000_000u64);
    assert!(page.dramas[0].updated_at.is_some());
}

/// A summary made from an older version than the listing names (the
/// drama was written, its summary not yet) is not served (issue 22).
#[tokio::test]
async fn a_summary_older_than_the_listed_drama_is_not_served() {
    let s: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    assert!(s.keeps_summaries());
    let v1 = s.create_drama(&sample("older", 1, 1)).await.unwrap();
    s.list_dramas(&ListOptions::new(10)).await.unwrap(); // the memo holds v1's summary
    let mut d = s.get_drama("older").await.unwrap().value;
    d.title = "Written without its summary".into();
    let key = Key::drama("older").unwrap();
    s.put(&key, Bytes::from(d.to_vec()), WriteMode::Update(v1))
        .await
        .unwrap();
    let page = s.list_dramas(&ListOptions::new(10)).await.unwrap();
    assert_eq!(page.dramas[0].title, "Written without its summary");
}
