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
