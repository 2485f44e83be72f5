//! Generation, improvement, critique and job routes over HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use sfd_client::{GenerationRequest, JobStatus};
use sfd_core::{ChatRequest, ChatResponse, Llm, SimulatedLlm, Storage, StorageBuilder};
use tokio::sync::Notify;

use crate::harness::{Options, TestServer};

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn generate_improve_and_critique_through_the_client() {
    let s = TestServer::start().await;
    let c = &s.client;
    let started = c
        .generate_drama(&GenerationRequest::new("a corgi tycoon in 2 episodes").with_id("corgi_gen"))
        .await
        .unwrap();
    assert_eq!(started.drama_id, "corgi_gen");
    assert_eq!(started.status, JobStatus::Pending);
    assert!(started.message.contains("/dramas/corgi_gen/jobs/"));
    let job = c.wait_for_job("corgi_gen", &started.job_id, WAIT).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
    assert_eq!(job.result.as_ref().unwrap()["dramaId"], "corgi_gen");
    let drama = c.get_drama("corgi_gen").await.unwrap().value;
    assert_eq!(drama.episodes.len(), 2);
    // The id is now taken.
    assert!(
        c.generate_drama(&GenerationRequest::new("again").with_id("corgi_gen"))
            .await
            .unwrap_err()
            .is_conflict()
    );
    // Jobs are scoped to their drama.
    assert_eq!(c.list_jobs("corgi_gen").await.unwrap().len(), 1);
    c.import_drama(&sfd_client::Drama::new("other", "t", "x", "p"))
        .await
        .unwrap();
    assert!(c.get_job("other", &started.job_id).await.unwrap_err().is_not_found());

    let critique = c.critic_drama("corgi_gen", None).await.unwrap();
    let done = c.wait_for_job("corgi_gen", &critique.job_id, WAIT).await.unwrap();
    let feedback = done.result.unwrap()["feedback"].as_str().unwrap().to_string();
    assert!(!feedback.is_empty());

    let improved = c
        .improve_drama("corgi_gen", &feedback, Some("corgi_gen_v2"), None)
        .await
        .unwrap();
    assert_eq!(
        (improved.original_id.as_str(), improved.improved_id.as_str()),
        ("corgi_gen", "corgi_gen_v2")
    );
    let done = c.wait_for_job("corgi_gen_v2", &improved.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(c.list_jobs("corgi_gen_v2").await.unwrap()[0].job_id, improved.job_id);
    c.get_drama("corgi_gen_v2").await.unwrap();
    // Improving a missing drama is a 404.
    assert!(
        c.improve_drama("nope", "x", None, None)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn without_an_llm_generation_answers_503_naming_the_setting() {
    let s = TestServer::with(Options {
        llm: None,
        ..Default::default()
    })
    .await;
    let err = s.client.generate_drama(&GenerationRequest::new("p")).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
}

#[tokio::test]
async fn sse_events_arrive_in_order() {
    let s = TestServer::start().await;
    let started = s
        .client
        .generate_drama(&GenerationRequest::new("three episodes of heist").with_id("sse1"))
        .await
        .unwrap();
    let events: Vec<_> = s
        .client
        .job_events("sse1", &started.job_id)
        .await
        .unwrap()
        .collect()
        .await;
    let jobs: Vec<_> = events.into_iter().map(Result::unwrap).collect();
    let last = jobs.last().unwrap();
    assert_eq!(last.status, JobStatus::Completed);
    let rank = |s: JobStatus| match s {
        JobStatus::Pending => 0,
        JobStatus::Processing => 1,
        _ => 2,
    };
    assert!(jobs.windows(2).all(|w| rank(w[0].status) <= rank(w[1].status)));
    let progress: Vec<_> = jobs.iter().filter_map(|j| j.progress.clone()).collect();
    let order = |p: &sfd_client::Progress| (if p.stage == "outline" { 0 } else { 1 }, p.done);
    assert!(
        progress.windows(2).all(|w| order(&w[0]) <= order(&w[1])),
        "{progress:?}"
    );
    // A missing job: 404, not an empty stream.
    assert!(matches!(s.client.job_events("sse1", "job_nope").await, Err(e) if e.is_not_found()));
}

/// Hangs (until dropped) on every call while `hang` is set.
#[derive(Debug, Default)]
struct Hanging {
    hang: AtomicBool,
    started: Notify,
}

#[async_trait]
impl Llm for Hanging {
    async fn chat(&self, req: ChatRequest) -> sfd_core::Result<ChatResponse> {
        if self.hang.load(Ordering::SeqCst) {
            self.started.notify_one();
            std::future::pending::<()>().await;
        }
        SimulatedLlm::instant().chat(req).await
    }
    fn model(&self) -> &str {
        "hanging"
    }
}

#[tokio::test]
async fn cancel_a_running_job_over_http() {
    let llm = Arc::new(Hanging::default());
    llm.hang.store(true, Ordering::SeqCst);
    let s = TestServer::with(Options {
        llm: Some(llm.clone()),
        ..Default::default()
    })
    .await;
    let started = s
        .client
        .generate_drama(&GenerationRequest::new("p").with_id("cancel_me"))
        .await
        .unwrap();
    llm.started.notified().await;
    let job = s.client.cancel_job("cancel_me", &started.job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Cancelled);
    let done = s.client.wait_for_job("cancel_me", &started.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Cancelled);
    assert!(s.client.get_drama("cancel_me").await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_job_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let storage = || -> Arc<dyn Storage> { Arc::new(StorageBuilder::local(dir.path()).build().unwrap()) };
    let llm = Arc::new(Hanging::default());
    llm.hang.store(true, Ordering::SeqCst);
    let first = TestServer::with(Options {
        storage: Some(storage()),
        llm: Some(llm.clone()),
        ..Default::default()
    })
    .await;
    let started = first
        .client
        .generate_drama(&GenerationRequest::new("p").with_id("restart_me"))
        .await
        .unwrap();
    llm.started.notified().await;
    first.stop().await; // SIGTERM: drain, hand the job back
    let second = TestServer::with(Options {
        storage: Some(storage()),
        ..Default::default()
    })
    .await;
    let job = second
        .client
        .wait_for_job("restart_me", &started.job_id, WAIT)
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
    second.client.get_drama("restart_me").await.unwrap();
}

#[tokio::test]
async fn counts_are_sent_and_out_of_range_counts_are_422_at_the_door() {
    let s = TestServer::start().await;
    let req = GenerationRequest::new("a premise with no count")
        .with_id("counted")
        .with_episodes(2)
        .with_scenes_per_episode(3);
    let started = s.client.generate_drama(&req).await.unwrap();
    let job = s.client.wait_for_job("counted", &started.job_id, WAIT).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
    let d = s.client.get_drama("counted").await.unwrap().value;
    assert_eq!(d.episodes.iter().map(|e| e.scenes.len()).collect::<Vec<_>>(), [3, 3]);
    for bad in [
        GenerationRequest::new("p").with_episodes(0),
        GenerationRequest::new("p").with_episodes(21),
        GenerationRequest::new("p").with_scenes_per_episode(0),
        GenerationRequest::new("p").with_scenes_per_episode(13),
    ] {
        let err = s.client.generate_drama(&bad).await.unwrap_err();
        assert_eq!(err.status(), Some(422), "{bad:?}: {err}");
    }
    // No job was started for them.
    let page = s.client.list_dramas_page(100, None).await.unwrap();
    assert_eq!(page.dramas.len(), 1);
}
