//! Job runner benchmarks.
//!
//! - W4: 50 concurrent generations with an LLM that answers every call after
//!   2 s; time until all 50 have completed, and the overhead beyond 2 s.
//!   Jobs run in `one_shot` mode (one call per drama, as the old server made);
//!   the hierarchical mode (two rounds of calls) is shown beside it.
//! - Memory: 1,000 queued jobs at concurrency 16 on the local folder; peak RSS
//!   against 100 jobs measured in the same run.
//!
//! ```text
//! cargo bench -p sfd-benches --bench jobs
//! ```

#![allow(clippy::expect_used)] // a benchmark aborts on any failure

use sfd_benches::peak_rss_kib;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sfd_core::{
    ChatRequest, ChatResponse, GenerateInput, Job, JobInput, JobRunner, JobStatus, JobType, Llm, RunnerConfig,
    SimulatedLlm, Storage, StorageBuilder,
};

#[derive(Debug)]
struct Delayed(Duration);

#[async_trait]
impl Llm for Delayed {
    async fn chat(&self, req: ChatRequest) -> sfd_core::Result<ChatResponse> {
        tokio::time::sleep(self.0).await;
        SimulatedLlm::instant().chat(req).await
    }
    fn model(&self) -> &str {
        "delayed"
    }
}

fn job(i: usize, mode: &str) -> Job {
    let mut j = Job::new(
        "",
        JobType::GenerateDrama,
        format!("drama_bench_{mode}_{i:05}"),
        sfd_core::now_ms(),
    );
    j.input = Some(JobInput::Generate(GenerateInput {
        premise: format!("drama number {i}"),
        episodes: Some(3),
        scenes_per_episode: Some(4),
        mode: Some(mode.to_string()),
        ..Default::default()
    }));
    j
}

async fn run_all(runner: &JobRunner, jobs: Vec<Job>) -> Duration {
    let t = Instant::now();
    let mut submitted = Vec::new();
    for j in jobs {
        submitted.push(runner.submit(j).await.expect("submit"));
    }
    for j in submitted {
        let done = runner.wait(&j.drama_id, &j.job_id).await.expect("wait");
        assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    }
    t.elapsed()
}

fn main() {
    // As the server runs: blocking file I/O (the local folder) on a bounded pool.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(32)
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

async fn bench() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let delay = if measuring {
        Duration::from_secs(2)
    } else {
        Duration::from_millis(10)
    };
    let config = RunnerConfig {
        concurrency: 64,
        poll_interval: Duration::from_millis(200),
        ..Default::default()
    };

    for mode in ["one_shot", "hierarchical"] {
        let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().expect("memory"));
        let runner = JobRunner::start(storage, Some(Arc::new(Delayed(delay))), config.clone());
        let took = run_all(&runner, (0..50).map(|i| job(i, mode)).collect()).await;
        println!(
            "W4 {mode:>12}: 50 generations, LLM {:.1} s per call: all done after {:.3} s (overhead {:.3} s over the LLM's {} s per round)",
            delay.as_secs_f64(),
            took.as_secs_f64(),
            took.as_secs_f64() - delay.as_secs_f64() * if mode == "one_shot" { 1.0 } else { 2.0 },
            delay.as_secs()
        );
    }

    let (small, large) = if measuring { (100, 1000) } else { (10, 20) };
    let dir = tempfile::tempdir().expect("tempdir");
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::local(dir.path()).build().expect("local"));
    let config = RunnerConfig {
        concurrency: 16,
        poll_interval: Duration::from_millis(200),
        ..Default::default()
    };
    let runner = JobRunner::start(storage, Some(Arc::new(SimulatedLlm::instant())), config);
    let base = peak_rss_kib();
    let t = run_all(&runner, (0..small).map(|i| job(i, "hierarchical")).collect()).await;
    let after_small = peak_rss_kib();
    println!(
        "memory: {small} jobs at concurrency 16 done in {:.2} s; peak RSS {} KiB (start {base} KiB)",
        t.as_secs_f64(),
        after_small
    );
    let t = run_all(
        &runner,
        (small..small + large).map(|i| job(i, "hierarchical")).collect(),
    )
    .await;
    let after_large = peak_rss_kib();
    println!(
        "memory: {large} more jobs at concurrency 16 done in {:.2} s; peak RSS {} KiB; growth vs {small} jobs {:.2}x",
        t.as_secs_f64(),
        after_large,
        after_large as f64 / after_small.max(1) as f64
    );
}
