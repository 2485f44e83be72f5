//! A worker whose lease cannot be renewed stops before the lease runs out,
//! so it never runs on after another runner took the job over.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;

use super::{JobRunner, RunnerConfig};
use crate::llm::{ChatRequest, ChatResponse, Llm, SimulatedLlm};
use crate::model::{Job, JobInput, JobStatus, JobType, now_ms};
use crate::storage::scripted_store::ScriptedStore;
use crate::storage::{ObjectStorage, Storage, StorageExt};

/// Answers like the simulator, except the first call, which hangs until dropped.
#[derive(Debug, Default)]
struct HangsOnce {
    calls: AtomicUsize,
    started: Notify,
    dropped: Notify,
}

struct Dropped<'a>(&'a Notify);

impl Drop for Dropped<'_> {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

#[async_trait]
impl Llm for HangsOnce {
    async fn chat(&self, req: ChatRequest) -> crate::Result<ChatResponse> {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            let _dropped = Dropped(&self.dropped);
            self.started.notify_one();
            std::future::pending::<()>().await;
        }
        SimulatedLlm::instant().chat(req).await
    }
    fn model(&self) -> &str {
        "hangs-once"
    }
}

#[tokio::test]
async fn a_worker_that_cannot_renew_its_lease_stops_before_it_runs_out() {
    let store = Arc::new(ScriptedStore::default());
    let flaky: Arc<dyn Storage> = Arc::new(ObjectStorage::new(Arc::clone(&store) as _, true, "flaky"));
    let plain: Arc<dyn Storage> = Arc::new(ObjectStorage::new(Arc::clone(&store.inner) as _, true, "plain"));
    let config = RunnerConfig {
        lease: Duration::from_millis(400),
        poll_interval: Duration::from_millis(25),
        progress_interval: Duration::from_millis(50),
        ..Default::default()
    };
    let llm = Arc::new(HangsOnce::default());
    let first = JobRunner::start(Arc::clone(&flaky), Some(llm.clone()), config.clone());
    let mut job = Job::new("", JobType::GenerateDrama, "drama_lease01", now_ms());
    job.input = Some(JobInput {
        premise: Some("p".into()),
        episodes: Some(1),
        scenes_per_episode: Some(1),
        ..Default::default()
    });
    let job = first.submit(job).await.unwrap();
    llm.started.notified().await;
    *store.failing_prefix.lock().unwrap() = Some("jobs/".into());
    // The worker gives up its LLM call on its own: its lease is not renewed.
    llm.dropped.notified().await;
    let stored = plain.get_job(&job.drama_id, &job.job_id).await.unwrap().value;
    assert_eq!(stored.status, JobStatus::Processing);
    assert_eq!(stored.owner.as_deref(), Some(first.owner()));
    drop(first);
    // Another runner takes the job once the lease ran out and completes it;
    // the first never called again.
    let second = JobRunner::start(plain, Some(llm.clone()), config);
    let done = second.wait(&job.drama_id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(done.attempts, 2);
    assert_eq!(
        llm.calls.load(Ordering::SeqCst),
        1 + 2,
        "one hung call, then outline and episode"
    );
}
