//! Buckets written by the old server's later versions (dramas at
//! `dramas/{id}/drama.json`, an index at `dramas/index.json`, flat snake_case
//! job records at `jobs/{jobId}.json`) open unchanged, on every backend.

use std::sync::Arc;

use futures::future::join_all;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde_json::{Value, json};
use sfd_core::{
    Drama, DramaPatch, EditExt, Error, Job, JobStatus, JobType, ListOptions, MigrationAction, Storage, StorageExt,
    WriteMode,
};

use crate::backends::TestStore;
use crate::conformance::sample;
use crate::fixtures::fixture;

crate::conformance_tests!(
    old_layout_reads_lists_and_moves_on_the_first_write,
    concurrent_first_writes_lose_nothing,
    deletes_remove_both_layouts,
    old_job_records_are_listed_under_their_drama,
    migrate_reports_then_moves,
);

/// The fixture drama under another id, as JSON bytes the old server wrote.
pub fn old_drama(id: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&fixture("corgi_musk_v5.json")).unwrap();
    v["id"] = json!(id);
    serde_json::to_vec_pretty(&v).unwrap()
}

async fn put_raw(store: &Arc<dyn ObjectStore>, path: &str, body: Vec<u8>) {
    store.put(&Path::from(path), PutPayload::from(body)).await.unwrap();
}

async fn exists(store: &Arc<dyn ObjectStore>, path: &str) -> bool {
    match store.head(&Path::from(path)).await {
        Ok(meta) => meta.size != br#"{"$sfd":"deleted"}"#.len() as u64,
        Err(object_store::Error::NotFound { .. }) => false,
        Err(e) => panic!("{path}: {e}"),
    }
}

/// Seeds the later layout: dramas `old_*` at `dramas/{id}/drama.json` (with
/// an image beside them), the index, and old job records.
pub async fn seed(store: &Arc<dyn ObjectStore>, ids: &[&str]) {
    let mut index = serde_json::Map::new();
    for id in ids {
        put_raw(store, &format!("dramas/{id}/drama.json"), old_drama(id)).await;
        put_raw(
            store,
            &format!("dramas/{id}/characters/char-corgi.png"),
            vec![0x89, b'P', b'N', b'G'],
        )
        .await;
        index.insert(
            id.to_string(),
            json!({"id": id, "title": "t", "description": "d", "premise": "p", "url": null,
                   "created_at": "2025-05-01T10:00:00", "updated_at": "2025-05-01T10:00:00"}),
        );
    }
    let index = json!({"version": 1, "updated_at": "2025-05-01T10:00:00Z", "count": ids.len(), "dramas": index});
    put_raw(store, "dramas/index.json", serde_json::to_vec_pretty(&index).unwrap()).await;
    let first = ids[0];
    let jobs = [
        json!({"job_id": "job_oldcritique1", "drama_id": first, "type": "critique_drama", "status": "completed",
               "created_at": "2025-05-01T10:00:00.000000", "started_at": "2025-05-01T10:00:01.000000",
               "completed_at": "2025-05-01T10:00:30.000000", "error": null,
               "result": {"feedback": "Tighten episode two."}}),
        json!({"job_id": "job_e01_s01_img_ab12c", "parent_job_id": null, "drama_id": first, "asset_id": "e01_s01_img",
               "type": "image", "status": "running", "prompt": "a corgi", "depends_on": [],
               "created_at": "2025-05-01T11:00:00.000000", "started_at": null, "completed_at": null, "error": null}),
        json!({"job_id": "job_elsewhere1", "drama_id": "someone_else", "type": "generate_drama", "status": "failed",
               "created_at": "2025-04-01T09:00:00", "error": "None"}),
    ];
    for job in jobs {
        let path = format!("jobs/{}.json", job["job_id"].as_str().unwrap());
        put_raw(store, &path, serde_json::to_vec_pretty(&job).unwrap()).await;
    }
}

async fn all_ids(s: &dyn Storage, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut opts = ListOptions::new(limit);
    loop {
        let page = s.list_dramas(&opts).await.unwrap();
        assert!(page.dramas.len() <= limit);
        for d in &page.dramas {
            assert!(d.error.is_none(), "{d:?}");
        }
        ids.extend(page.dramas.into_iter().map(|d| d.id));
        match page.cursor {
            Some(c) => opts = ListOptions::new(limit).with_cursor(c),
            None => return ids,
        }
    }
}

async fn old_layout_reads_lists_and_moves_on_the_first_write(t: TestStore) {
    let (s, raw) = (&t.storage, t.objects.object_store());
    seed(raw, &["old_a", "old_b"]).await;
    // One drama in sfd's layout, one in both (a move that stopped before removing the old copy).
    s.create_drama(&sample("new_c", 1, 1)).await.unwrap();
    s.create_drama(&sample("both_d", 1, 1)).await.unwrap();
    put_raw(raw, "dramas/both_d/drama.json", old_drama("both_d")).await;

    // GET.
    let got = s.get_drama("old_a").await.unwrap();
    let expected = Drama::from_slice(&old_drama("old_a")).unwrap();
    assert_eq!(got.value, expected);
    assert_eq!(s.get_drama("both_d").await.unwrap().value.title, "Title of both_d");
    // The index is not a drama.
    assert!(matches!(s.get_drama("index").await, Err(Error::NotFound { .. })));

    // List: both layouts, each id once, ascending, at every page size.
    let want = ["both_d", "new_c", "old_a", "old_b"];
    for limit in [1, 2, 3, 100] {
        assert_eq!(all_ids(&**s, limit).await, want, "limit {limit}");
    }
    let full = s.list_dramas_full(&ListOptions::new(100)).await.unwrap();
    assert_eq!(full.dramas.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), want);

    // A create never hides a drama of the old layout.
    assert!(matches!(
        s.create_drama(&sample("old_b", 1, 1)).await,
        Err(Error::AlreadyExists { .. })
    ));

    // PATCH with the version a GET gave: moves the document to its own key.
    let patch = DramaPatch {
        title: Some("Moved".into()),
        ..Default::default()
    };
    let moved = s
        .update_drama("old_a", patch.clone(), Some(&got.version))
        .await
        .unwrap();
    assert_ne!(moved.version, got.version);
    assert!(exists(raw, "dramas/old_a.json").await);
    assert!(!exists(raw, "dramas/old_a/drama.json").await);
    assert!(
        exists(raw, "dramas/old_a/characters/char-corgi.png").await,
        "media stays"
    );
    let now = s.get_drama("old_a").await.unwrap();
    assert_eq!((now.value.title.as_str(), &now.version), ("Moved", &moved.version));
    assert_eq!(now.value.episodes, expected.episodes);
    // The old version no longer matches.
    assert!(matches!(
        s.update_drama("old_a", patch.clone(), Some(&got.version)).await,
        Err(Error::VersionMismatch { .. })
    ));
    assert_eq!(all_ids(&**s, 2).await, want);

    // A stale version on a drama still in the old layout moves nothing.
    let stale = s.get_drama("old_b").await.unwrap();
    let mut other = stale.value.clone();
    other.title = "Replaced".into();
    let v = s.replace_drama(&other, &stale.version).await.unwrap();
    assert!(matches!(
        s.replace_drama(&other, &stale.version).await,
        Err(Error::VersionMismatch { .. })
    ));
    assert_eq!(s.get_drama("old_b").await.unwrap().version, v);
    assert!(!exists(raw, "dramas/old_b/drama.json").await);
}

async fn concurrent_first_writes_lose_nothing(t: TestStore) {
    let raw = t.objects.object_store();
    let ids: Vec<String> = (0..16).map(|i| format!("old_race{i}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    seed(raw, &refs).await;
    let (a, b) = (Arc::clone(&t.storage), t.second_instance());
    // Each drama gets a first write from two instances at once; both edits survive.
    let edits = ids.iter().flat_map(|id| {
        [("a", Arc::clone(&a)), ("b", Arc::clone(&b))].map(|(who, s)| {
            let id = id.clone();
            async move {
                s.modify_drama(&id, None, |d| {
                    d.metadata.get_or_insert_default().insert(who.into(), json!(true));
                    Ok(())
                })
                .await
                .unwrap();
            }
        })
    });
    join_all(edits).await;
    for id in &ids {
        let d = a.get_drama(id).await.unwrap().value;
        let meta = d.metadata.unwrap();
        assert!(meta.contains_key("a") && meta.contains_key("b"), "{id}: {meta:?}");
        assert!(exists(raw, &format!("dramas/{id}.json")).await);
        assert!(!exists(raw, &format!("dramas/{id}/drama.json")).await);
    }
    // With the same expected version, exactly one of two first writes wins.
    seed(raw, &["old_cas"]).await;
    let v = a.get_drama("old_cas").await.unwrap().version;
    let patch = |t: &str| DramaPatch {
        title: Some(t.into()),
        ..Default::default()
    };
    let (ra, rb) = tokio::join!(
        a.update_drama("old_cas", patch("A"), Some(&v)),
        b.update_drama("old_cas", patch("B"), Some(&v))
    );
    let wins = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{ra:?} {rb:?}");
    for r in [ra, rb] {
        if let Err(e) = r {
            assert!(matches!(e, Error::VersionMismatch { .. }), "{e:?}");
        }
    }
}

async fn deletes_remove_both_layouts(t: TestStore) {
    let (s, raw) = (&t.storage, t.objects.object_store());
    seed(raw, &["old_del", "old_delv"]).await;
    s.create_drama(&sample("both_del", 1, 1)).await.unwrap();
    put_raw(raw, "dramas/both_del/drama.json", old_drama("both_del")).await;

    s.delete_drama("old_del", None).await.unwrap();
    assert!(!exists(raw, "dramas/old_del/drama.json").await);
    assert!(matches!(s.get_drama("old_del").await, Err(Error::NotFound { .. })));
    assert!(matches!(
        s.delete_drama("old_del", None).await,
        Err(Error::NotFound { .. })
    ));

    // With the version a GET gave, and a stale one.
    let v = s.get_drama("old_delv").await.unwrap().version;
    let wrong = s.get_drama("both_del").await.unwrap().version;
    assert!(matches!(
        s.delete_drama("old_delv", Some(&wrong)).await,
        Err(Error::VersionMismatch { .. })
    ));
    s.delete_drama("old_delv", Some(&v)).await.unwrap();
    assert!(!exists(raw, "dramas/old_delv/drama.json").await);

    s.delete_drama("both_del", None).await.unwrap();
    assert!(!exists(raw, "dramas/both_del/drama.json").await);
    assert!(matches!(s.get_drama("both_del").await, Err(Error::NotFound { .. })));
    assert!(all_ids(&**s, 10).await.is_empty());
    // The id is free again, in sfd's layout.
    s.create_drama(&sample("old_del", 1, 1)).await.unwrap();
    assert_eq!(all_ids(&**s, 10).await, ["old_del"]);
}

async fn old_job_records_are_listed_under_their_drama(t: TestStore) {
    let (s, raw) = (&t.storage, t.objects.object_store());
    seed(raw, &["old_jobs"]).await;
    let mine = Job::new(
        "job_sfdjob000001",
        JobType::GenerateDrama,
        "old_jobs",
        1_800_000_000_000,
    );
    s.put_job(&mine, WriteMode::Create).await.unwrap();

    let jobs = s.list_jobs("old_jobs").await.unwrap();
    let ids: Vec<&str> = jobs.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(ids, ["job_oldcritique1", "job_e01_s01_img_ab12c", "job_sfdjob000001"]);
    let critique = &jobs[0];
    assert_eq!(
        (critique.kind, critique.status),
        (JobType::CriticDrama, JobStatus::Completed)
    );
    assert_eq!(critique.result.as_ref().unwrap()["feedback"], "Tighten episode two.");
    // Left running by a server that is gone: it reads as failed, not for ever running.
    assert_eq!(
        (jobs[1].kind, jobs[1].status),
        (JobType::GenerateImage, JobStatus::Failed)
    );

    let one = s.get_job("old_jobs", "job_oldcritique1").await.unwrap();
    assert_eq!(one.value, *critique);
    // Only under its own drama.
    assert!(matches!(
        s.get_job("other", "job_oldcritique1").await,
        Err(Error::NotFound { .. })
    ));
    assert!(s.list_jobs("other").await.unwrap().is_empty());
    assert_eq!(s.list_jobs("someone_else").await.unwrap().len(), 1);
    // Read-only: nothing was written in sfd's layout for them.
    assert!(!exists(raw, "jobs/old_jobs/job_oldcritique1.json").await);
}

async fn migrate_reports_then_moves(t: TestStore) {
    let (s, raw) = (&t.storage, t.objects.object_store());
    seed(raw, &["old_m1", "old_m2"]).await;
    s.create_drama(&sample("both_m", 1, 1)).await.unwrap();
    put_raw(raw, "dramas/both_m/drama.json", old_drama("both_m")).await;
    // A drama whose id is the index's name, and a folder sfd cannot take as an id.
    put_raw(raw, "dramas/index/drama.json", old_drama("index")).await;
    put_raw(raw, "dramas/bad.id/drama.json", old_drama("bad")).await;
    let before = s.get_drama("old_m1").await.unwrap();
    assert_eq!(s.get_drama("index").await.unwrap().value.id, "index");
    assert_eq!(all_ids(&**s, 2).await, ["both_m", "index", "old_m1", "old_m2"]);

    let report = t.objects.migrate(true).await.unwrap();
    let lines: Vec<String> = report.iter().map(ToString::to_string).collect();
    let count = |a: MigrationAction| report.iter().filter(|m| m.action == a).count();
    let counts = [MigrationAction::Move, MigrationAction::Remove, MigrationAction::Skip].map(count);
    assert_eq!(counts, [6, 2, 1], "{lines:#?}");
    assert!(lines.contains(&"move dramas/index/drama.json -> dramas/index.json (drama)".to_string()));
    assert!(lines.iter().any(|l| l.starts_with("skip dramas/bad.id/drama.json: ")));
    assert!(
        lines.contains(&"move dramas/old_m1/drama.json -> dramas/old_m1.json (drama)".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("move jobs/job_oldcritique1.json -> jobs/old_m1/job_oldcritique1.json"))
    );
    assert!(lines.iter().any(|l| l.starts_with("remove dramas/both_m/drama.json")));
    assert!(lines.iter().any(|l| l.starts_with("remove dramas/index.json")));
    // A dry run changes nothing.
    assert!(exists(raw, "dramas/old_m1/drama.json").await && !exists(raw, "dramas/old_m1.json").await);
    assert!(exists(raw, "dramas/index.json").await && exists(raw, "jobs/job_oldcritique1.json").await);

    let done = t.objects.migrate(false).await.unwrap();
    assert_eq!(done, report);
    assert!(!exists(raw, "dramas/old_m1/drama.json").await && exists(raw, "dramas/old_m1.json").await);
    assert!(!exists(raw, "dramas/both_m/drama.json").await);
    // The index is gone, and the drama called `index` took its key.
    assert!(!exists(raw, "dramas/index/drama.json").await && exists(raw, "dramas/index.json").await);
    assert!(!exists(raw, "jobs/job_oldcritique1.json").await);
    assert!(exists(raw, "jobs/old_m1/job_oldcritique1.json").await);
    assert_eq!(s.get_drama("old_m1").await.unwrap().value, before.value);
    let jobs = s.list_jobs("old_m1").await.unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].kind, JobType::CriticDrama);
    assert_eq!(all_ids(&**s, 2).await, ["both_m", "index", "old_m1", "old_m2"]);
    assert_eq!(s.get_drama("index").await.unwrap().value.id, "index");
    // Nothing is left to do but what cannot be done.
    let again = t.objects.migrate(true).await.unwrap();
    assert_eq!(
        again.iter().map(|m| m.action).collect::<Vec<_>>(),
        [MigrationAction::Skip]
    );
}
