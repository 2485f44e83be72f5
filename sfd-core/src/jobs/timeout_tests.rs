//! The job timeout counts a job's own run, not its time in the queue.

use std::sync::Arc;
use std::time::Duration;

use crate::model::{Drama, Job, JobStatus, JobType, now_ms};
use crate::storage::StorageExt;
use crate::{JobRunner, RunnerConfig, SimulatedLlm, Storage, StorageBuilder};

#[tokio::test]
async fn a_job_queued_for_longer_than_the_timeout_still_gets_its_whole_run() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage
        .create_drama(&Drama::new("queued_long", "t", "x", "p"))
        .await
        .unwrap();
    let config = RunnerConfig {
        job_timeout: Duration::from_secs(60),
        poll_interval: Duration::from_millis(25),
        ..Default::default()
    };
    let runner = JobRunner::start(Arc::clone(&storage), Some(Arc::new(SimulatedLlm::instant())), config);
    // Queued two hours ago (say, while every replica was down).
    let queued = Job::new("", JobType::CriticDrama, "queued_long", now_ms() - 2 * 3600 * 1000);
    let job = runner.submit(queued).await.unwrap();
    let done = runner.wait("queued_long", &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    runner.shutdown().await;
}
