//! Jobs when things go wrong: a panic, a restart, and a queue full of
//! entries nobody can run. (A lease that cannot be renewed is tested in
//! `sfd-core`'s own `jobs::lease_tests`, on a store that can fail writes.)

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use object_store::ObjectStoreExt;
use sfd_core::{
    ChatRequest, ChatResponse, Error, JobRunner, JobStatus, Key, Llm, RunnerConfig, Storage, StorageBuilder,
    StorageExt, WriteMode,
};

use crate::jobs::{TestLlm, fast_config, generate_job};

/// An LLM whose every call panics.
#[derive(Debug)]
struct Panicking;

#[async_trait]
impl Llm for Panicking {
    async fn chat(&self, _: ChatRequest) -> sfd_core::Result<ChatResponse> {
        panic!("the model exploded");
    }
    fn model(&self) -> &str {
        "panicking"
    }
}

#[tokio::test]
async fn a_panic_inside_a_job_fails_it_with_a_message() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let runner = JobRunner::start(Arc::clone(&storage), Some(Arc::new(Panicking)), fast_config());
    let job = runner.submit(generate_job("drama_panic01", "p")).await.unwrap();
    let done = runner.wait(&job.drama_id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Failed);
    let error = done.error.unwrap();
    assert!(
        error.contains("panicked") && error.contains("the model exploded"),
        "{error}"
    );
    // The runner goes on with other jobs.
    let next = runner.submit(generate_job("drama_panic02", "p")).await.unwrap();
    assert_eq!(
        runner.wait(&next.drama_id, &next.job_id).await.unwrap().status,
        JobStatus::Failed
    );
}

#[tokio::test]
async fn a_restarted_runner_resumes_its_own_jobs_at_once() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    // A lease far longer than any test: only the identity can explain a quick resume.
    let config = |identity: &str| RunnerConfig {
        lease: Duration::from_secs(3600),
        identity: Some(identity.to_string()),
        ..fast_config()
    };
    let hanging = TestLlm::hanging();
    let first = JobRunner::start(Arc::clone(&storage), Some(hanging.clone()), config("node-1"));
    let job = first.submit(generate_job("drama_restart02", "p")).await.unwrap();
    hanging.started.notified().await;
    drop(first); // a crash
    let again = JobRunner::start(
        Arc::clone(&storage),
        Some(Arc::new(TestLlm::default())),
        config("node-1"),
    );
    let done = again.wait(&job.drama_id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(done.attempts, 2);
}

#[tokio::test]
async fn the_whole_queue_is_searched_and_unusable_entries_are_moved_aside() {
    let memory = StorageBuilder::memory().build().unwrap();
    let raw = Arc::clone(memory.object_store());
    let storage: Arc<dyn Storage> = Arc::new(memory);
    // 300 older entries whose job records cannot be read, and one whose name names no job.
    for i in 0..300u64 {
        let job = format!("job_bad{i:03}");
        let record = Key::job("drama_bad", &job).unwrap();
        storage
            .put(&record, Bytes::from_static(b"{not json"), WriteMode::Create)
            .await
            .unwrap();
        let entry = format!("queue/{:013}.drama_bad.{job}.json", i + 1);
        raw.put(&entry.as_str().into(), Bytes::from_static(b"{}").into())
            .await
            .unwrap();
    }
    raw.put(&"queue/0000000000000.json".into(), Bytes::from_static(b"{}").into())
        .await
        .unwrap();
    // Then a good job, behind all of them. No LLM: it fails, but it runs.
    let runner = JobRunner::start(Arc::clone(&storage), None, fast_config());
    let job = runner.submit(generate_job("drama_good01", "p")).await.unwrap();
    let done = runner.wait(&job.drama_id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Failed);
    assert!(done.error.unwrap().contains("OPENAI_API_KEY"));
    runner.shutdown().await;
    assert!(storage.list("queue/", None, 1000).await.unwrap().is_empty());
    let aside = storage.list("dead-letter/", None, 1000).await.unwrap();
    assert_eq!(aside.len(), 301);
    // The corrupt records stay for an operator to look at.
    assert!(matches!(
        storage.get_job("drama_bad", "job_bad000").await,
        Err(Error::Corrupt { .. })
    ));
}
