//! A bucket written by the old server's later versions (dramas at
//! `dramas/{id}/drama.json`, the index `dramas/index.json`, snake_case job
//! records at `jobs/{jobId}.json`) opens through the server unchanged, and
//! `sfd-server --migrate --dry-run` reports what it would move.

use std::path::Path as FsPath;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde_json::{Value, json};
use sfd_client::{DramaPatch, JobStatus, JobType};
use sfd_core::{ObjectStorage, StorageBuilder};

use crate::harness::{Options, TestServer, fixture};
use crate::replica::shared_bucket;

const BIN: &str = env!("CARGO_BIN_EXE_sfd-server");
const WAIT: Duration = Duration::from_secs(60);

/// What the old server's later versions left: `(path, bytes)`.
fn later_layout(ids: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut index = serde_json::Map::new();
    for id in ids {
        let mut drama: Value = serde_json::from_slice(&fixture("corgi_musk_v5.json")).unwrap();
        drama["id"] = json!(id);
        out.push((
            format!("dramas/{id}/drama.json"),
            serde_json::to_vec_pretty(&drama).unwrap(),
        ));
        out.push((format!("dramas/{id}/characters/char-corgi.png"), b"\x89PNG".to_vec()));
        index.insert(
            id.to_string(),
            json!({"id": id, "title": drama["title"], "updated_at": "2025-05-01T10:00:00"}),
        );
    }
    let index = json!({"version": 1, "updated_at": "2025-05-01T10:00:00Z", "count": ids.len(), "dramas": index});
    out.push(("dramas/index.json".into(), serde_json::to_vec_pretty(&index).unwrap()));
    let critique = json!({"job_id": "job_oldcritique1", "drama_id": ids[0], "type": "critique_drama",
                          "status": "completed", "created_at": "2025-05-01T10:00:00.000000",
                          "completed_at": "2025-05-01T10:00:30.000000", "error": null,
                          "result": {"feedback": "Tighten episode two."}});
    out.push((
        "jobs/job_oldcritique1.json".into(),
        serde_json::to_vec_pretty(&critique).unwrap(),
    ));
    out
}

async fn seed(store: &Arc<dyn ObjectStore>, ids: &[&str]) {
    for (path, body) in later_layout(ids) {
        store.put(&Path::from(path), PutPayload::from(body)).await.unwrap();
    }
}

async fn exists(store: &Arc<dyn ObjectStore>, path: &str) -> bool {
    store.head(&Path::from(path)).await.is_ok()
}

/// GET, list, PATCH (which moves the key) and critique, over HTTP.
async fn opens_through_the_server(storage: ObjectStorage) {
    let raw = Arc::clone(storage.object_store());
    seed(&raw, &["old_srv1", "old_srv2"]).await;
    let s = TestServer::with(Options {
        storage: Some(Arc::new(storage)),
        ..Default::default()
    })
    .await;
    let c = &s.client;

    let got = c.get_drama("old_srv1").await.unwrap();
    assert_eq!(got.value.episodes.len(), 3);
    let etag = got.etag.unwrap();
    let page = c.list_dramas_page(100, None).await.unwrap();
    let ids: Vec<&str> = page.dramas.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["old_srv1", "old_srv2"], "the index is not listed");
    assert!(page.dramas.iter().all(|d| d.error.is_none()));

    let jobs = c.list_jobs("old_srv1").await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].kind, jobs[0].status),
        (JobType::CriticDrama, JobStatus::Completed)
    );
    assert_eq!(c.get_job("old_srv1", "job_oldcritique1").await.unwrap(), jobs[0]);
    assert!(
        c.get_job("old_srv2", "job_oldcritique1")
            .await
            .unwrap_err()
            .is_not_found()
    );

    // A critique of a drama still in the old layout.
    let critique = c.critic_drama("old_srv2", None).await.unwrap();
    let done = c.wait_for_job("old_srv2", &critique.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert!(!done.result.unwrap()["feedback"].as_str().unwrap().is_empty());

    // PATCH with the GET's ETag moves the document to its own key.
    let patch = DramaPatch {
        title: Some("Moved by sfd".into()),
        ..Default::default()
    };
    let moved = c.update_drama("old_srv1", &patch, Some(&etag)).await.unwrap();
    assert_eq!(moved.value.title, "Moved by sfd");
    assert!(exists(&raw, "dramas/old_srv1.json").await);
    assert!(!exists(&raw, "dramas/old_srv1/drama.json").await);
    let stale = c.update_drama("old_srv1", &patch, Some(&etag)).await.unwrap_err();
    assert!(stale.is_precondition_failed(), "{stale:?}");
    assert_eq!(c.get_drama("old_srv1").await.unwrap().etag, moved.etag);

    // And a critique of the moved drama.
    let critique = c.critic_drama("old_srv1", None).await.unwrap();
    let done = c.wait_for_job("old_srv1", &critique.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(c.list_jobs("old_srv1").await.unwrap().len(), 2);
    s.stop().await;
}

#[tokio::test]
async fn a_seeded_local_folder_opens_through_the_server() {
    let dir = tempfile::tempdir().unwrap();
    opens_through_the_server(StorageBuilder::local(dir.path()).build().unwrap()).await;
}

#[tokio::test]
async fn a_seeded_seaweedfs_bucket_opens_through_the_server() {
    let Some(url) = shared_bucket() else { return };
    opens_through_the_server(StorageBuilder::from_url(&url).unwrap().build().unwrap()).await;
}

/// Every file under `dir`, relative, sorted (lock files aside).
fn files(dir: &FsPath) -> Vec<String> {
    fn walk(root: &FsPath, dir: &FsPath, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.retain(|p| !p.starts_with(".locks"));
    out.sort();
    out
}

fn run_migrate(dir: &FsPath, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--migrate")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SFD_DATA_DIR", dir)
        // The report is stdout; keep the start-up log lines out of it.
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

#[test]
fn migrate_dry_run_reports_and_moves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (path, body) in later_layout(&["old_bin1", "old_bin2"]) {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, body).unwrap();
    }
    let before = files(dir.path());

    let report = run_migrate(dir.path(), &["--dry-run"]);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines,
        [
            "remove dramas/index.json (the old server's listing index; sfd lists without it)",
            "move dramas/old_bin1/drama.json -> dramas/old_bin1.json (drama)",
            "move dramas/old_bin2/drama.json -> dramas/old_bin2.json (drama)",
            "move jobs/job_oldcritique1.json -> jobs/old_bin1/job_oldcritique1.json (job record)",
            "dry run: 4 item(s) would change, 0 skipped; nothing was changed",
        ],
        "{report}"
    );
    assert_eq!(files(dir.path()), before, "a dry run moved something");
    for (path, body) in later_layout(&["old_bin1", "old_bin2"]) {
        assert_eq!(std::fs::read(dir.path().join(&path)).unwrap(), body, "{path} changed");
    }

    // Without --dry-run it moves them, and then there is nothing left to do.
    let report = run_migrate(dir.path(), &[]);
    assert!(report.ends_with("migrated: 4 item(s) changed, 0 skipped\n"), "{report}");
    let after = files(dir.path());
    for moved in [
        "dramas/old_bin1.json",
        "dramas/old_bin2.json",
        "jobs/old_bin1/job_oldcritique1.json",
    ] {
        assert!(after.contains(&moved.to_string()), "{after:?}");
    }
    assert!(
        !after
            .iter()
            .any(|p| p.ends_with("drama.json") || p == "dramas/index.json"),
        "{after:?}"
    );
    assert!(after.contains(&"dramas/old_bin1/characters/char-corgi.png".to_string()));
    let again = run_migrate(dir.path(), &["--dry-run"]);
    assert_eq!(again, "nothing to migrate: the bucket is in sfd's layout\n");
}
