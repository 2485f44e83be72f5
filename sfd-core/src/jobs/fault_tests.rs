//! Jobs against a store that fails or races: a worker whose lease cannot
//! be renewed stops before the lease runs out (so it never runs on after
//! another runner took the job over), and a job cancelled while it saves
//! its drama reads `cancelled`, with no drama left behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use tokio::sync::Notify;

use super::{JobRunner, RunnerConfig};
use crate::llm::{ChatRequest, ChatResponse, Llm, SimulatedLlm};
use crate::model::{GenerateInput, Job, JobInput, JobStatus, JobType, now_ms};
use crate::storage::scripted_store::ScriptedStore;
use crate::storage::{ObjectStorage, Storage, StorageExt, WriteMode};

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

/// The scripted store, a storage over it, and one over the same data that
/// the script leaves alone.
fn stores() -> (Arc<ScriptedStore>, Arc<dyn Storage>, Arc<dyn Storage>) {
    let store = Arc::new(ScriptedStore::default());
    let scripted: Arc<dyn Storage> = Arc::new(ObjectStorage::new(Arc::clone(&store) as _, true, "scripted"));
    let plain: Arc<dyn Storage> = Arc::new(ObjectStorage::new(Arc::clone(&store.inner) as _, true, "plain"));
    (store, scripted, plain)
}

fn config() -> RunnerConfig {
    RunnerConfig {
        lease: Duration::from_millis(400),
        poll_interval: Duration::from_millis(25),
        progress_interval: Duration::from_millis(50),
        ..Default::default()
    }
}

fn generation(drama_id: &str) -> Job {
    let mut job = Job::new("", JobType::GenerateDrama, drama_id, now_ms());
    job.input = Some(JobInput::Generate(GenerateInput {
        premise: "p".into(),
        episodes: Some(1),
        scenes_per_episode: Some(1),
        ..Default::default()
    }));
    job
}

#[tokio::test]
async fn a_job_cancelled_while_it_saves_reads_cancelled_and_leaves_no_drama() {
    let (store, scripted, plain) = stores();
    let runner = JobRunner::start(Arc::clone(&scripted), Some(Arc::new(SimulatedLlm::instant())), config());
    let job = generation("drama_saving01");
    let job_id = crate::model::id::new_job_id();
    let job = Job {
        job_id: job_id.clone(),
        ..job
    };
    // Right before the drama is written, another process cancels the job.
    let other = Arc::clone(&plain);
    let cancel = move || {
        async move {
            let current = other.get_job("drama_saving01", &job_id).await.unwrap();
            let mut j = current.value;
            j.status = JobStatus::Cancelled;
            j.owner = None;
            other.put_job(&j, WriteMode::Update(current.version)).await.unwrap();
        }
        .boxed()
    };
    *store.before_write.lock().unwrap() = Some(("dramas/".into(), Box::new(cancel)));
    let job = runner.submit(job).await.unwrap();
    let done = runner.wait(&job.drama_id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Cancelled);
    assert!(
        store.before_write.lock().unwrap().is_none(),
        "the drama was never written"
    );
    // Its record outlives the drama it saved and removed again.
    assert_eq!(
        plain.get_job(&job.drama_id, &job.job_id).await.unwrap().value.status,
        JobStatus::Cancelled
    );
    assert!(plain.get_drama("drama_saving01").await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_worker_that_cannot_renew_its_lease_stops_before_it_runs_out() {
    let (store, flaky, plain) = stores();
    let llm = Arc::new(HangsOnce::default());
    let first = JobRunner::start(Arc::clone(&flaky), Some(llm.clone()), config());
    let job = first.submit(generation("drama_lease01")).await.unwrap();
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
    let second = JobRunner::start(plain, Some(llm.clone()), config());
    let done = second.wait(&job.drama_id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(done.attempts, 2);
    assert_eq!(
        llm.calls.load(Ordering::SeqCst),
        1 + 2,
        "one hung call, then outline and episode"
    );
}
