//! Paid once, in one process: a cancelled render retried resumes the task
//! it saved instead of creating another; a provider's limit holds across
//! jobs. (The crash of a real server process is in sfd-server's tests.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Value, json};
use sfd_core::{
    AssetKind, JobStatus, Media, MediaRequest, MediaType, MediaUsage, RenderConfig, RenderRequest, Renderer, Storage,
    StorageBuilder, StorageExt, TaskApi, TaskRenderer, TaskState, VideoPolling,
};
use tokio::sync::watch;

use crate::render_support::{sample, simulated, studio_with};
use crate::render_task_providers::MP4;

/// A scripted video provider: tasks run until released (or, with `auto`,
/// succeed at their second poll once `together` tasks have been in flight
/// at once, a barrier that only concurrent tasks pass); counts creates and
/// tasks in flight.
#[derive(Debug)]
struct Script {
    creates: Mutex<HashMap<String, usize>>,
    polls: watch::Sender<usize>,
    release: watch::Sender<bool>,
    auto: bool,
    together: usize,
    seen: Mutex<HashMap<String, usize>>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

impl Script {
    fn new(auto: bool) -> Arc<Self> {
        Self::together(auto, 1)
    }

    fn together(auto: bool, together: usize) -> Arc<Self> {
        Arc::new(Script {
            creates: Mutex::default(),
            polls: watch::channel(0).0,
            release: watch::channel(false).0,
            auto,
            together,
            seen: Mutex::default(),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        })
    }

    fn creates(&self) -> usize {
        self.creates.lock().unwrap().values().sum()
    }
}

#[async_trait]
impl TaskApi for Script {
    fn provider(&self) -> &str {
        "script"
    }
    fn model(&self) -> &str {
        "script-1"
    }
    async fn create(&self, request: &MediaRequest, _key: &str) -> sfd_core::Result<String> {
        let mut creates = self.creates.lock().unwrap();
        let n = creates.entry(request.label.clone()).or_default();
        *n += 1;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Ok(format!("task-{}-{n}", request.label))
    }
    async fn poll(&self, id: &str) -> sfd_core::Result<TaskState> {
        self.polls.send_modify(|p| *p += 1);
        let seen = {
            let mut s = self.seen.lock().unwrap();
            let n = s.entry(id.to_string()).or_default();
            *n += 1;
            *n
        };
        let met = self.peak.load(Ordering::SeqCst) >= self.together;
        Ok(if *self.release.borrow() || (self.auto && seen >= 2 && met) {
            TaskState::Succeeded(json!({"id": id}))
        } else {
            TaskState::Running
        })
    }
    async fn fetch(&self, _id: &str, _answer: &Value) -> sfd_core::Result<Media> {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(Media {
            bytes: Bytes::from_static(MP4),
            media_type: MediaType::Mp4,
            usage: MediaUsage {
                calls: 1,
                ..Default::default()
            },
            provider: "script".into(),
            model: "script-1".into(),
            speech: None,
        })
    }
}

fn config(script: &Arc<Script>, limit: usize) -> RenderConfig {
    let tasks: Arc<dyn Renderer> = Arc::new(
        TaskRenderer::new(Arc::clone(script) as Arc<dyn TaskApi>, limit).with_polling(VideoPolling {
            first: Duration::from_millis(1),
            max_interval: Duration::from_millis(3),
            timeout: Duration::from_secs(60),
        }),
    );
    let sim: Arc<dyn Renderer> = simulated();
    RenderConfig::new()
        .with_renderer(AssetKind::Image, Arc::clone(&sim))
        .with_renderer(AssetKind::Audio, sim)
        .with_renderer(AssetKind::Video, tasks)
        .with_concurrency(AssetKind::Video, 8)
}

#[tokio::test]
async fn a_cancelled_render_retried_resumes_the_saved_task_and_pays_once() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage
        .create_drama(&sample("drama_paid1", 1, 1, 1, 5, false))
        .await
        .unwrap();
    let script = Script::new(false);
    let studio = studio_with(Arc::clone(&storage), config(&script, 4));
    let first = studio.start_render("drama_paid1", RenderRequest::all()).await.unwrap();
    // The task was saved before this poll, and the job is still waiting on it.
    script.polls.subscribe().wait_for(|p| *p >= 1).await.unwrap();
    let saved = storage.list("tasks/drama_paid1/", None, 10).await.unwrap();
    assert_eq!(saved.len(), 1, "the provider task was not saved before polling");
    studio.jobs().cancel("drama_paid1", &first.job_id).await.unwrap();

    let polls = *script.polls.borrow();
    let second = studio.start_render("drama_paid1", RenderRequest::all()).await.unwrap();
    script.polls.subscribe().wait_for(|p| *p > polls).await.unwrap();
    script.release.send_replace(true);
    let done = studio.jobs().wait("drama_paid1", &second.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(script.creates(), 1, "a second task was created for the same clip");
    let d = storage.get_drama("drama_paid1").await.unwrap().value;
    assert!(d.episodes[0].scenes[0].video_url.is_some());
    assert!(
        storage.list("tasks/drama_paid1/", None, 10).await.unwrap().is_empty(),
        "the saved task outlived its file"
    );
}

#[tokio::test]
async fn two_jobs_on_one_provider_with_a_limit_of_two_never_have_more_than_two_tasks() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    for id in ["drama_limit1", "drama_limit2"] {
        storage.create_drama(&sample(id, 1, 1, 4, 5, false)).await.unwrap();
    }
    // No task ends before two were in flight together: a render that ran
    // them one at a time would never finish.
    let script = Script::together(true, 2);
    let studio = studio_with(Arc::clone(&storage), config(&script, 2));
    let a = studio.start_render("drama_limit1", RenderRequest::all()).await.unwrap();
    let b = studio.start_render("drama_limit2", RenderRequest::all()).await.unwrap();
    for (d, j) in [("drama_limit1", &a.job_id), ("drama_limit2", &b.job_id)] {
        let done = studio.jobs().wait(d, j).await.unwrap();
        assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    }
    assert_eq!(script.creates(), 8);
    let peak = script.peak.load(Ordering::SeqCst);
    assert_eq!(peak, 2, "{peak} tasks were in flight at once");
}
