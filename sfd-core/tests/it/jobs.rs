//! Durable jobs: restart, two runners, lease takeover, cancel, events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use sfd_core::{
    ChatRequest, ChatResponse, Error, GenerateInput, Job, JobEventKind, JobInput, JobRunner, JobStatus, JobType, Llm,
    RunnerConfig, SimulatedLlm, Storage, StorageBuilder, StorageExt,
};
use tokio::sync::Notify;

use crate::backends::TestStore;

/// An LLM that answers like the simulator, counts calls per premise, and can
/// be told to hang (until its call is dropped) so a job stays running: for
/// every call, or for premises that contain `[hang]`.
#[derive(Default)]
pub struct TestLlm {
    hang: std::sync::atomic::AtomicBool,
    pub started: Notify,
    pub calls: AtomicUsize,
    pub dropped: Arc<AtomicUsize>,
    pub per_job: Mutex<HashMap<String, usize>>,
}

impl std::fmt::Debug for TestLlm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestLlm")
    }
}

struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl TestLlm {
    pub fn hanging() -> Arc<Self> {
        let l = TestLlm::default();
        l.hang.store(true, Ordering::SeqCst);
        Arc::new(l)
    }
}

#[async_trait]
impl Llm for TestLlm {
    async fn chat(&self, req: ChatRequest) -> sfd_core::Result<ChatResponse> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let text = req.messages.iter().map(|m| m.content.as_str()).collect::<String>();
        if let Some(tag) = text.split("[job ").nth(1).and_then(|t| t.split(']').next()) {
            *self.per_job.lock().unwrap().entry(tag.to_string()).or_default() += 1;
        }
        if self.hang.load(Ordering::SeqCst) || text.contains("[hang]") {
            let _guard = DropCount(Arc::clone(&self.dropped));
            self.started.notify_one();
            std::future::pending::<()>().await;
        }
        SimulatedLlm::instant().chat(req).await
    }

    fn model(&self) -> &str {
        "test"
    }
}

pub fn fast_config() -> RunnerConfig {
    RunnerConfig {
        concurrency: 4,
        lease: Duration::from_millis(400),
        poll_interval: Duration::from_millis(25),
        progress_interval: Duration::from_millis(50),
        ..Default::default()
    }
}

pub fn generate_job(drama_id: &str, premise: &str) -> Job {
    let mut job = Job::new("", JobType::GenerateDrama, drama_id, sfd_core::now_ms());
    job.input = Some(JobInput::Generate(GenerateInput {
        premise: premise.to_string(),
        episodes: Some(1),
        scenes_per_episode: Some(2),
        ..Default::default()
    }));
    job
}

#[tokio::test]
async fn a_job_survives_a_crash_and_completes_after_restart() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let hanging = TestLlm::hanging();
    let first = JobRunner::start(Arc::clone(&storage), Some(hanging.clone()), fast_config());
    let job = first.submit(generate_job("drama_restart01", "a heist")).await.unwrap();
    hanging.started.notified().await;
    drop(first); // a crash: no clean-up, the lease just stops being renewed
    // The aborted worker drops its LLM call the next time the runtime runs it.
    while hanging.dropped.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }

    let second = JobRunner::start(Arc::clone(&storage), Some(Arc::new(TestLlm::default())), fast_config());
    let done = second.wait(&job.drama_id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(done.attempts, 2);
    assert_eq!(done.result.as_ref().unwrap()["dramaId"], "drama_restart01");
    assert!(done.result.as_ref().unwrap()["usage"]["calls"].as_u64().unwrap() >= 2);
    let made = storage.get_drama("drama_restart01").await.unwrap().value;
    assert!(
        made.created_at().is_some(),
        "a generated drama records its creation time"
    );
}

#[tokio::test]
async fn an_interrupted_job_out_of_retries_fails_clearly() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let config = RunnerConfig {
        max_attempts: 1,
        ..fast_config()
    };
    let hanging = TestLlm::hanging();
    let first = JobRunner::start(Arc::clone(&storage), Some(hanging.clone()), config.clone());
    let job = first.submit(generate_job("drama_interrupt1", "p")).await.unwrap();
    hanging.started.notified().await;
    drop(first);
    let second = JobRunner::start(Arc::clone(&storage), Some(Arc::new(TestLlm::default())), config);
    let done = second.wait(&job.drama_id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Failed);
    assert_eq!(
        done.error.as_deref(),
        Some("interrupted: server stopped while the job was running; retried 0 times")
    );
    assert!(storage.get_drama("drama_interrupt1").await.is_err());
}

#[tokio::test]
async fn the_second_runner_takes_over_only_after_the_lease_expires() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let hanging = TestLlm::hanging();
    let first = JobRunner::start(Arc::clone(&storage), Some(hanging.clone()), fast_config());
    let job = first.submit(generate_job("drama_takeover1", "p")).await.unwrap();
    hanging.started.notified().await;
    let helper = TestLlm::default();
    let helper = Arc::new(helper);
    let second = JobRunner::start(Arc::clone(&storage), Some(helper.clone()), fast_config());
    // While the first runner renews its lease, the job stays with it: watch
    // three renewals go by (each moves leaseUntil forward).
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let j = second.get(&job.drama_id, &job.job_id).await.unwrap();
        assert_eq!(j.owner.as_deref(), Some(first.owner()));
        if seen.last() != Some(&j.lease_until) {
            seen.push(j.lease_until);
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(
        helper.calls.load(Ordering::SeqCst),
        0,
        "the second runner ran a leased job"
    );
    drop(first);
    let done = second.wait(&job.drama_id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed);
    assert!(helper.calls.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn cancel_pending_and_running_jobs_leaves_no_drama() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let hanging = TestLlm::hanging();
    let config = RunnerConfig {
        concurrency: 1,
        ..fast_config()
    };
    let runner = JobRunner::start(Arc::clone(&storage), Some(hanging.clone()), config);
    let running = runner.submit(generate_job("drama_cancel_run", "p")).await.unwrap();
    hanging.started.notified().await;
    let pending = runner.submit(generate_job("drama_cancel_pend", "p")).await.unwrap();

    let c = runner.cancel(&pending.drama_id, &pending.job_id).await.unwrap();
    assert_eq!(c.status, JobStatus::Cancelled);
    let c = runner.cancel(&running.drama_id, &running.job_id).await.unwrap();
    assert_eq!(c.status, JobStatus::Cancelled);
    let done = runner.wait(&running.drama_id, &running.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Cancelled);
    // The running generation's LLM call was dropped, not left to finish.
    while hanging.dropped.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    // Cancelling again changes nothing; neither drama exists.
    assert_eq!(
        runner.cancel(&running.drama_id, &running.job_id).await.unwrap().status,
        JobStatus::Cancelled
    );
    for id in ["drama_cancel_run", "drama_cancel_pend"] {
        assert!(matches!(storage.get_drama(id).await, Err(Error::NotFound { .. })));
    }
    assert_eq!(hanging.calls.load(Ordering::SeqCst), 1, "the cancelled pending job ran");
}

#[tokio::test]
async fn events_arrive_in_order_and_wait_returns_the_end() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let runner = JobRunner::start(Arc::clone(&storage), Some(Arc::new(TestLlm::default())), fast_config());
    // The runner may start the job before we subscribe; whatever part of the
    // run the stream sees must be in order and end with the final status.
    let mut job = generate_job("drama_events01", "p");
    if let Some(JobInput::Generate(g)) = job.input.as_mut() {
        g.episodes = Some(3);
    }
    let job = runner.submit(job).await.unwrap();
    let events: Vec<_> = runner
        .subscribe(&job.drama_id, &job.job_id)
        .await
        .unwrap()
        .collect()
        .await;
    let last = events.last().unwrap();
    assert_eq!(last.job.status, JobStatus::Completed);
    let statuses: Vec<_> = events.iter().map(|e| e.job.status).collect();
    let mut sorted = statuses.clone();
    sorted.sort_by_key(|s| match s {
        JobStatus::Pending => 0,
        JobStatus::Processing => 1,
        _ => 2,
    });
    assert_eq!(statuses, sorted, "statuses went backwards");
    let progress: Vec<_> = events
        .iter()
        .filter(|e| e.kind == JobEventKind::Progress)
        .filter_map(|e| e.job.progress.clone())
        .map(|p| (p.stage, p.done))
        .collect();
    // Whatever part of the run was seen, it was seen in order.
    let order = |(s, d): &(String, u32)| (if s == "outline" { 0 } else { 1 }, *d);
    assert!(
        progress.windows(2).all(|w| order(&w[0]) <= order(&w[1])),
        "{progress:?}"
    );
    let waited = runner.wait(&job.drama_id, &job.job_id).await.unwrap();
    assert_eq!(waited.status, JobStatus::Completed);
    assert_eq!(waited.progress.unwrap().stage, "episodes");
}

#[tokio::test]
async fn every_stage_is_seen_when_subscribed_from_the_start() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    // One slot, taken by a job that hangs: the next job waits, pending, while
    // we subscribe; cancelling the first frees the slot for it.
    let llm = Arc::new(TestLlm::default());
    let config = RunnerConfig {
        concurrency: 1,
        ..fast_config()
    };
    let runner = JobRunner::start(Arc::clone(&storage), Some(llm.clone()), config);
    let blocker = runner.submit(generate_job("drama_blocker01", "[hang]")).await.unwrap();
    llm.started.notified().await;
    let mut job = generate_job("drama_stages01", "p");
    if let Some(JobInput::Generate(g)) = job.input.as_mut() {
        g.episodes = Some(2);
    }
    let job = runner.submit(job).await.unwrap();
    let stream = runner.subscribe(&job.drama_id, &job.job_id).await.unwrap();
    runner.cancel(&blocker.drama_id, &blocker.job_id).await.unwrap();
    let events: Vec<_> = stream.collect().await;
    let seen: Vec<_> = events
        .iter()
        .map(|e| match e.kind {
            JobEventKind::Progress => {
                let p = e.job.progress.clone().unwrap();
                format!("{}:{}/{}", p.stage, p.done, p.total)
            }
            JobEventKind::Status => format!("{:?}", e.job.status),
        })
        .collect();
    let expected = [
        "Pending",
        "Processing",
        "outline:0/1",
        "outline:1/1",
        "episodes:0/2",
        "episodes:1/2",
        "episodes:2/2",
        "Completed",
    ];
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn without_an_llm_jobs_fail_naming_the_setting() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let runner = JobRunner::start(Arc::clone(&storage), None, fast_config());
    let job = runner.submit(generate_job("drama_nollm0001", "p")).await.unwrap();
    let done = runner.wait(&job.drama_id, &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Failed);
    let err = done.error.unwrap();
    assert!(err.contains("OPENAI_API_KEY"), "{err}");
    // The final word, not an attempt counter that reads as if a retry were coming.
    assert!(err.ends_with("(the job failed; it is not retried)"), "{err}");
    assert!(!err.contains("attempt"), "{err}");
}

#[tokio::test]
async fn critique_and_improve_jobs() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let v4 = sfd_core::Drama::from_slice(&crate::fixtures::fixture("corgi_musk_v4.json")).unwrap();
    storage.create_drama(&v4).await.unwrap();
    let runner = JobRunner::start(Arc::clone(&storage), Some(Arc::new(TestLlm::default())), fast_config());
    let critic = runner
        .submit(Job::new("", JobType::CriticDrama, "corgi_musk_v4", sfd_core::now_ms()))
        .await
        .unwrap();
    let done = runner.wait("corgi_musk_v4", &critic.job_id).await.unwrap();
    assert_eq!(done.progress, Some(sfd_core::Progress::new("critique", 1, 1)));
    let result = done.result.unwrap();
    assert!(result["feedback"].as_str().unwrap().len() > 10);
    assert!(result["critique"]["scores"]["hook"].is_u64());

    let mut improve = Job::new("", JobType::ImproveDrama, "corgi_musk_v4_better", sfd_core::now_ms());
    improve.input = Some(JobInput::Improve {
        feedback: result["feedback"].as_str().unwrap().to_string(),
        source_drama_id: Some("corgi_musk_v4".into()),
        model: None,
    });
    let improve = runner.submit(improve).await.unwrap();
    let done = runner.wait("corgi_musk_v4_better", &improve.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    let better = storage.get_drama("corgi_musk_v4_better").await.unwrap().value;
    assert_eq!(better.characters, v4.characters);
    assert!(better.created_at().is_some());
    // The original is untouched.
    assert_eq!(storage.get_drama("corgi_musk_v4").await.unwrap().value, v4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_jobs_complete_with_bounded_concurrency() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let llm = Arc::new(TestLlm::default());
    let config = RunnerConfig {
        concurrency: 16,
        ..fast_config()
    };
    let runner = JobRunner::start(Arc::clone(&storage), Some(llm.clone()), config);
    let mut jobs = Vec::new();
    for i in 0..1000 {
        jobs.push(
            runner
                .submit(generate_job(&format!("drama_many{i:04}"), "p"))
                .await
                .unwrap(),
        );
    }
    for j in &jobs {
        assert_eq!(
            runner.wait(&j.drama_id, &j.job_id).await.unwrap().status,
            JobStatus::Completed
        );
    }
    assert_eq!(llm.calls.load(Ordering::SeqCst), 2000);
}

crate::conformance_tests!(two_runners_run_each_job_exactly_once);

async fn two_runners_run_each_job_exactly_once(t: TestStore) {
    let llm = Arc::new(TestLlm::default());
    // A lease no busy machine outlasts: what is tested is claiming, not takeover.
    let config = RunnerConfig {
        lease: Duration::from_secs(30),
        ..fast_config()
    };
    let a = JobRunner::start(Arc::clone(&t.storage), Some(llm.clone()), config.clone());
    let b = JobRunner::start(t.second_instance(), Some(llm.clone()), config);
    let mut jobs = Vec::new();
    for i in 0..100 {
        let runner = if i % 2 == 0 { &a } else { &b };
        jobs.push(
            runner
                .submit(generate_job(&format!("drama_two{i:03}"), &format!("[job {i}]")))
                .await
                .unwrap(),
        );
    }
    for j in &jobs {
        let done = a.wait(&j.drama_id, &j.job_id).await.unwrap();
        assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
        assert_eq!(done.attempts, 1);
    }
    // Each job's outline (the only call that carries its premise) ran once,
    // and the total is one outline plus one episode call per job.
    let per_job = llm.per_job.lock().unwrap();
    assert_eq!(per_job.len(), 100);
    assert!(per_job.values().all(|n| *n == 1), "{per_job:?}");
    assert_eq!(llm.calls.load(Ordering::SeqCst), 200);
}
