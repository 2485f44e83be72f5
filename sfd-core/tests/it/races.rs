//! Deletes against creates, weak versions, and what a delete leaves behind,
//! on every backend.

use std::sync::Arc;

use sfd_core::{DramaPatch, EditExt, Error, Job, JobType, ListOptions, Storage, StorageExt, Version};

use crate::backends::{TestStore, local_at};
use crate::conformance::sample;

crate::conformance_tests!(
    a_delete_never_erases_a_create_that_replaced_it,
    deleting_a_drama_keeps_its_job_records,
    weak_versions_never_satisfy_a_write,
);

/// Two instances race "delete X" against "create X" round after round: a
/// create that was acknowledged must be readable afterwards.
async fn a_delete_never_erases_a_create_that_replaced_it(t: TestStore) {
    let (a, b) = (Arc::clone(&t.storage), t.second_instance());
    let mut lost = Vec::new();
    for round in 0..40 {
        let id = format!("race{round}");
        a.create_drama(&sample(&id, 1, 1)).await.unwrap();
        let mut fresh = sample(&id, 1, 1);
        fresh.title = format!("created in round {round}");
        let (deleted, created) = tokio::join!(a.delete_drama(&id, None), b.create_drama(&fresh));
        deleted.unwrap();
        match created {
            Ok(_) => match a.get_drama(&id).await {
                Ok(d) if d.value.title == fresh.title => {}
                other => lost.push((round, format!("{other:?}"))),
            },
            Err(Error::AlreadyExists { .. }) => {
                assert!(a.get_drama(&id).await.unwrap_err().is_not_found());
            }
            Err(e) => panic!("round {round}: {e}"),
        }
    }
    assert!(lost.is_empty(), "acknowledged creates lost: {lost:?}");
    // What the deletes left behind is invisible.
    let page = a.list_dramas(&ListOptions::new(1000)).await.unwrap();
    for d in &page.dramas {
        a.get_drama(&d.id).await.unwrap();
    }
}

async fn deleting_a_drama_keeps_its_job_records(t: TestStore) {
    let s = &t.storage;
    s.create_drama(&sample("gone", 1, 1)).await.unwrap();
    let mut job = Job::new("job_kept", JobType::GenerateDrama, "gone", 1);
    job.status = sfd_core::JobStatus::Cancelled;
    s.put_job(&job, sfd_core::WriteMode::Create).await.unwrap();
    s.delete_drama("gone", None).await.unwrap();
    assert_eq!(s.get_job("gone", "job_kept").await.unwrap().value, job);
    assert_eq!(s.list_jobs("gone").await.unwrap(), [job]);
    assert!(s.get_drama("gone").await.unwrap_err().is_not_found());
    assert!(s.list_dramas(&ListOptions::default()).await.unwrap().dramas.is_empty());
    let listed = s.list("dramas/", None, 10).await.unwrap();
    assert!(listed.is_empty(), "a deleted drama is listed: {listed:?}");
    // The id can be used again, and deleted again.
    s.create_drama(&sample("gone", 1, 2)).await.unwrap();
    assert_eq!(s.get_drama("gone").await.unwrap().value, sample("gone", 1, 2));
    s.delete_drama("gone", None).await.unwrap();
    assert!(s.delete_drama("gone", None).await.unwrap_err().is_not_found());
}

async fn weak_versions_never_satisfy_a_write(t: TestStore) {
    let s = &t.storage;
    let v = s.create_drama(&sample("w", 1, 1)).await.unwrap();
    let weak = Version::new(format!("W/{}", v.etag()));
    assert!(weak.is_weak() && weak.weak_eq(&v) && weak != v);
    let patch = DramaPatch {
        title: Some("x".into()),
        ..Default::default()
    };
    assert!(matches!(
        s.update_drama("w", patch.clone(), Some(&weak)).await,
        Err(Error::VersionMismatch { .. })
    ));
    assert!(matches!(
        s.replace_drama(&sample("w", 1, 1), &weak).await,
        Err(Error::VersionMismatch { .. })
    ));
    assert!(matches!(
        s.delete_drama("w", Some(&weak)).await,
        Err(Error::VersionMismatch { .. })
    ));
    // The strong form of the same tag works.
    s.update_drama("w", patch, Some(&Version::new(v.etag()))).await.unwrap();
}

/// A local version is a hash of the content: a different document of the
/// same size never gets the old version, whatever the inode and the clock
/// do, and the same content has the same version in another folder.
#[tokio::test]
async fn local_versions_follow_the_content() {
    let dir = tempfile::tempdir().unwrap();
    let s = local_at(dir.path().to_path_buf());
    let mut d = sample("h", 1, 1);
    let v1 = s.create_drama(&d).await.unwrap();
    d.title = d.title.chars().rev().collect(); // same length, other bytes
    let v2 = s.replace_drama(&d, &v1).await.unwrap();
    assert_ne!(v1, v2);
    // Put the old modification time back: the stale version still fails.
    let path = dir.path().join("dramas/h.json");
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(std::time::UNIX_EPOCH).unwrap();
    drop(f);
    assert!(matches!(
        s.replace_drama(&d, &v1).await,
        Err(Error::VersionMismatch { .. })
    ));
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(copy.path().join("dramas")).unwrap();
    std::fs::copy(&path, copy.path().join("dramas/h.json")).unwrap();
    let other: Arc<dyn Storage> = local_at(copy.path().to_path_buf());
    assert_eq!(other.get_drama("h").await.unwrap().version, v2);
}
