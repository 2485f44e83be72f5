//! The job timeout (`SFD_JOB_TIMEOUT`) counts the time a render works, not
//! the time it waits on a provider's tasks: a long render through a
//! provider's limit finishes, a render that works too long is stopped.
//! On tokio's paused clock, with memory storage and no ffmpeg (a clip is
//! kept as it came), so only the scripted waits move the clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Value, json};
use sfd_core::{
    AssetKind, JobStatus, Media, MediaRequest, MediaType, MediaUsage, RenderConfig, RenderRequest, Renderer,
    RunnerConfig, Storage, StorageBuilder, StorageExt, Studio, TaskApi, TaskRenderer, TaskState, VideoPolling,
};
use tokio::time::Instant;

use crate::render_support::{sample, simulated};
use crate::render_task_providers::MP4;

/// A video provider whose every task runs five minutes (on the paused
/// clock); counts the tasks in flight together.
#[derive(Debug, Default)]
struct Slow {
    created: Mutex<HashMap<String, Instant>>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    fetched: AtomicUsize,
}

const TASK: Duration = Duration::from_secs(300);

fn clip() -> Media {
    Media {
        bytes: Bytes::from_static(MP4),
        media_type: MediaType::Mp4,
        usage: MediaUsage {
            calls: 1,
            ..Default::default()
        },
        provider: "slow".into(),
        model: "slow-1".into(),
        speech: None,
    }
}

#[async_trait]
impl TaskApi for Slow {
    fn provider(&self) -> &str {
        "slow"
    }
    fn model(&self) -> &str {
        "slow-1"
    }
    async fn create(&self, request: &MediaRequest, _key: &str) -> sfd_core::Result<String> {
        let id = format!("task-{}", request.label);
        self.created.lock().unwrap().insert(id.clone(), Instant::now());
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Ok(id)
    }
    async fn poll(&self, id: &str) -> sfd_core::Result<TaskState> {
        let created = self.created.lock().unwrap()[id];
        Ok(if created.elapsed() >= TASK {
            TaskState::Succeeded(json!({"id": id}))
        } else {
            TaskState::Running
        })
    }
    async fn fetch(&self, _id: &str, _answer: &Value) -> sfd_core::Result<Media> {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.fetched.fetch_add(1, Ordering::SeqCst);
        Ok(clip())
    }
}

/// A renderer that works on each clip for two minutes, holding the job's
/// slot all along (it never waits on a provider).
#[derive(Debug)]
struct Busy;

#[async_trait]
impl Renderer for Busy {
    async fn render(&self, _request: MediaRequest) -> sfd_core::Result<Media> {
        tokio::time::sleep(Duration::from_secs(120)).await;
        Ok(clip())
    }
    fn provider(&self) -> &str {
        "busy"
    }
    fn model(&self) -> &str {
        "busy-1"
    }
}

/// A studio rendering videos with `video` (images and audio simulated),
/// with `timeout` as its job timeout and no ffmpeg.
fn studio(storage: &Arc<dyn Storage>, video: Arc<dyn Renderer>, timeout: Duration) -> Studio {
    let sim: Arc<dyn Renderer> = simulated();
    let render = RenderConfig::new()
        .with_renderer(AssetKind::Image, Arc::clone(&sim))
        .with_renderer(AssetKind::Audio, sim)
        .with_renderer(AssetKind::Video, video)
        .with_concurrency(AssetKind::Video, 40)
        .with_ffmpeg("/nonexistent/ffmpeg");
    Studio::builder(Arc::clone(storage))
        .with_llm(Arc::new(sfd_core::SimulatedLlm::instant()))
        .with_render(render)
        .with_runner_config(RunnerConfig {
            job_timeout: timeout,
            ..Default::default()
        })
        .start()
}

#[tokio::test(start_paused = true)]
async fn a_render_of_forty_clips_through_a_limit_of_four_outlasts_the_timeout_and_finishes() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage
        .create_drama(&sample("drama_forty", 1, 4, 10, 5, false))
        .await
        .unwrap();
    let slow = Arc::new(Slow::default());
    let tasks = TaskRenderer::new(Arc::clone(&slow) as Arc<dyn TaskApi>, 4).with_polling(VideoPolling {
        first: Duration::from_secs(5),
        max_interval: Duration::from_secs(30),
        timeout: Duration::from_secs(3600),
    });
    // Ten rounds of four five-minute tasks: 50 minutes against a 10 minute timeout.
    let studio = studio(&storage, Arc::new(tasks), Duration::from_secs(600));
    let started = Instant::now();
    let job = studio.start_render("drama_forty", RenderRequest::all()).await.unwrap();
    let done = studio.jobs().wait("drama_forty", &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(slow.fetched.load(Ordering::SeqCst), 40);
    assert_eq!(
        slow.peak.load(Ordering::SeqCst),
        4,
        "the provider's limit was not the bound"
    );
    assert!(started.elapsed() >= 10 * TASK, "the tasks did not take their time");
    let d = storage.get_drama("drama_forty").await.unwrap().value;
    let clips = d
        .episodes
        .iter()
        .flat_map(|e| &e.scenes)
        .filter(|s| s.video_url.is_some());
    assert_eq!(clips.count(), 40);
}

#[tokio::test(start_paused = true)]
async fn a_render_that_works_longer_than_the_timeout_is_stopped() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage
        .create_drama(&sample("drama_busy", 1, 1, 1, 5, false))
        .await
        .unwrap();
    // The one clip takes two minutes of work against a one minute timeout.
    let studio = studio(&storage, Arc::new(Busy), Duration::from_secs(60));
    let job = studio.start_render("drama_busy", RenderRequest::all()).await.unwrap();
    let done = studio.jobs().wait("drama_busy", &job.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Failed);
    let error = done.error.unwrap_or_default();
    assert!(error.contains("timed out: the job ran longer than 60 s"), "{error}");
}
