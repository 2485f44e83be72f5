//! Jobs only waiting on a provider hold no job slot: with
//! `SFD_JOB_CONCURRENCY=2` and two jobs stuck on an LLM that never
//! answers them, a third job still runs and completes (real process, real
//! client, mock OpenAI-compatible server).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sfd_client::{GenerationRequest, JobStatus};
use tokio::sync::Notify;

use crate::mock_llm;
use crate::replica::Replica;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_jobs_stuck_on_a_slow_provider_do_not_starve_a_third_at_concurrency_two() {
    let (stuck, arrived) = (Arc::new(AtomicUsize::new(0)), Arc::new(Notify::new()));
    let llm = mock_llm::start_stalling("[stuck]", Arc::clone(&stuck), Arc::clone(&arrived)).await;
    let dir = tempfile::tempdir().unwrap();
    let storage = format!("file://{}", dir.path().display());
    let base = format!("{}/v1", llm.uri());
    let server = Replica::start(
        &storage,
        &[
            ("OPENAI_API_KEY", "sk-test"),
            ("OPENAI_API_BASE", &base),
            ("SFD_JOB_CONCURRENCY", "2"),
        ],
    );
    let c = &server.client;
    for k in 0..2 {
        let premise = format!("[stuck] a lighthouse keeper's secret, take {k}");
        c.generate_drama(&GenerationRequest::new(premise)).await.unwrap();
    }
    // Both jobs are now waiting on calls the provider never answers.
    while stuck.load(Ordering::SeqCst) < 2 {
        arrived.notified().await;
    }
    let third = c
        .generate_drama(&GenerationRequest::new("a corgi opens a bakery"))
        .await
        .unwrap();
    // A bound on a hang, not a measure: before slots were given back while
    // waiting, this job never started.
    let done = c
        .wait_for_job(&third.drama_id, &third.job_id, Duration::from_secs(120))
        .await
        .expect("the third job ran although two jobs held both slots waiting on the provider");
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(stuck.load(Ordering::SeqCst), 2, "the stuck jobs are still waiting");
}
