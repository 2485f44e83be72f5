//! The job timeout counts the time a job works: not its time in the
//! queue, nor the time it waits on providers with its slot given back.

use std::sync::Arc;
use std::time::Duration;

use crate::llm::{ChatRequest, ChatResponse, Llm};
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

/// A model that takes ten minutes over every answer (on the paused clock).
#[derive(Debug)]
struct SlowLlm(SimulatedLlm);

#[async_trait::async_trait]
impl Llm for SlowLlm {
    async fn chat(&self, request: ChatRequest) -> crate::Result<ChatResponse> {
        tokio::time::sleep(Duration::from_secs(600)).await;
        self.0.chat(request).await
    }

    fn model(&self) -> &str {
        self.0.model()
    }
}

#[tokio::test(start_paused = true)]
async fn a_job_waiting_on_its_model_far_longer_than_the_timeout_still_completes() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage
        .create_drama(&Drama::new("waits_long", "t", "x", "p"))
        .await
        .unwrap();
    // Each answer takes ten times the timeout; the job's own work is instant.
    let config = RunnerConfig {
        job_timeout: Duration::from_secs(60),
        ..Default::default()
    };
    let llm = Arc::new(SlowLlm(SimulatedLlm::instant()));
    let runner = JobRunner::start(Arc::clone(&storage), Some(llm), config);
    let started = tokio::time::Instant::now();
    let queued = Job::new("", JobType::CriticDrama, "waits_long", now_ms());
    let job = runner.submit(queued).await.unwrap();
    let done = runner.wait("waits_long", &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert!(
        started.elapsed() >= Duration::from_secs(600),
        "the model was not waited on"
    );
    runner.shutdown().await;
}
