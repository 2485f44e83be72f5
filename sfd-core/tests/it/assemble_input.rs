//! Assembly hands ffmpeg only media (issue 22): a stored file whose bytes
//! are not what its key says (a playlist that would make ffmpeg open other
//! files) fails the cut, naming the file, before ffmpeg sees it.

use std::sync::Arc;

use bytes::Bytes;
use sfd_core::{AssembleRequest, JobStatus, MediaStoreExt, MediaType, Storage, StorageBuilder, StorageExt, Version};

use crate::render_support::{sample, simulated, studio};

#[tokio::test]
async fn a_non_media_file_never_reaches_ffmpeg() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage
        .create_drama(&sample("drama_cut1", 1, 1, 1, 2, false))
        .await
        .unwrap();
    let playlist = Bytes::from_static(b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n");
    let info = storage
        .media()
        .unwrap()
        .store_media("drama_cut1", "ep1-sc1-img", MediaType::Png, playlist)
        .await
        .unwrap();
    let url = info.key.url(None);
    storage
        .modify_drama("drama_cut1", None::<&Version>, |d| {
            d.scene_mut("ep1", "ep1-sc1")?.assets[0].url = Some(url.clone());
            Ok(())
        })
        .await
        .unwrap();
    let studio = studio(Arc::clone(&storage), simulated());
    let job = studio
        .start_assembly("drama_cut1", "ep1", AssembleRequest::default())
        .await
        .unwrap();
    let job = studio.jobs().wait("drama_cut1", &job.job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Failed, "{job:?}");
    let error = job.error.unwrap_or_default();
    assert!(
        error.contains(info.key.path()) && error.contains("image/png"),
        "{error}"
    );
}

#[tokio::test]
async fn an_episode_over_the_cap_is_refused_before_encoding() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    // Two scenes of 10 s each: 20 s, over a 15 s cap.
    storage
        .create_drama(&sample("drama_cut2", 1, 1, 2, 10, false))
        .await
        .unwrap();
    let config = crate::render_support::config_for(simulated()).with_max_cut_seconds(15);
    let studio = crate::render_support::studio_with(Arc::clone(&storage), config);
    let job = studio
        .start_assembly("drama_cut2", "ep1", AssembleRequest::default())
        .await
        .unwrap();
    let job = studio.jobs().wait("drama_cut2", &job.job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Failed, "{job:?}");
    let error = job.error.unwrap_or_default();
    assert!(
        error.contains("20 s") && error.contains("SFD_MAX_CUT_SECONDS"),
        "{error}"
    );
}

#[tokio::test]
async fn work_folders_of_a_crashed_assembly_are_removed_at_start() {
    let gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    let mut gone = gone;
    gone.wait().unwrap();
    let tmp = std::env::temp_dir();
    let stale = tmp.join(format!("sfd-cut-{dead}-0123456789abcdef"));
    let live = tmp.join(format!("sfd-cut-{}-0123456789abcdef", std::process::id()));
    for d in [&stale, &live] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("000-segment.mp4"), b"partial").unwrap();
    }
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let _studio = studio(storage, simulated());
    assert!(!stale.exists(), "a crashed assembly's folder was left behind");
    assert!(live.exists(), "a live process's folder was removed");
    std::fs::remove_dir_all(&live).unwrap();
}
