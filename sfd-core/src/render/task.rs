//! Paid once: providers whose API is an asynchronous task (create, poll,
//! download) implement [`TaskApi`]; [`TaskRenderer`] drives them.
//!
//! - Before the first poll, the task id and the request's hash are saved
//!   in the task ledger (see `ledger.rs`); a render that finds a task for
//!   the same request polls it instead of creating another, so a crash, a
//!   restart, a lease takeover or a cancel-and-retry never pays twice.
//! - A create call is sent once. Where the API takes an idempotency key it
//!   carries one; a create whose answer was lost is sent again only with
//!   that key, or after looking the task up finds none. When neither is
//!   possible the node fails saying so, rather than paying blindly.
//! - Polls back off (first wait ×1.5 up to a ceiling, and at most a tenth
//!   of the time waited so far), every call waits
//!   out a `Retry-After` / 429 any job got from the provider, and the
//!   provider's [`ProviderLimit`] bounds its tasks for the whole process.
//! - The result is downloaded at once (result URLs expire: Ark keeps them
//!   24 h), so the media store holds it before the task is forgotten.

use std::fmt;
use std::sync::Arc;

use tokio::time::Instant;

use async_trait::async_trait;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ledger::{TaskLedger, TaskRecord};
use super::limits::ProviderLimit;
use super::{Media, MediaRequest, ModelCapabilities, Renderer, VideoPolling, render_error};
use crate::{Error, LlmErrorKind, Result};

/// Where a provider task is.
#[derive(Debug)]
pub enum TaskState {
    /// Waiting at the provider.
    Queued,
    /// Being made.
    Running,
    /// Done: the provider's answer, from which [`TaskApi::fetch`] downloads the file.
    Succeeded(Value),
    /// Failed, cancelled or expired at the provider, with its reason.
    Failed(Error),
}

/// What looking up a task by its idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The task the lost create made.
    Found(String),
    /// No task was made.
    Missing,
    /// The API cannot tell.
    Unsupported,
}

/// An asynchronous provider API: one task per file.
#[async_trait]
pub trait TaskApi: fmt::Debug + Send + Sync {
    /// The provider's name (`seedance`, `veo`, …).
    fn provider(&self) -> &str;

    /// The model.
    fn model(&self) -> &str;

    /// Creates a task for `request` (sent once; `idempotency_key` goes with
    /// it where the API takes one) and returns its id.
    async fn create(&self, request: &MediaRequest, idempotency_key: &str) -> Result<String>;

    /// Where task `id` is now.
    async fn poll(&self, id: &str) -> Result<TaskState>;

    /// Downloads the file a succeeded task made, from its final `answer`.
    async fn fetch(&self, id: &str, answer: &Value) -> Result<Media>;

    /// What the provider accepts (by default the table's entry).
    fn capabilities(&self) -> ModelCapabilities {
        ModelCapabilities::of(self.provider(), self.model())
    }

    /// Whether a create repeated with the same idempotency key returns the
    /// same task instead of a new one.
    fn idempotent(&self) -> bool {
        false
    }

    /// The task a create with `idempotency_key` made, when its answer was lost.
    async fn find(&self, idempotency_key: &str) -> Result<Lookup> {
        let _ = idempotency_key;
        Ok(Lookup::Unsupported)
    }
}

/// The hash of what a request asks: a changed prompt, input, length or
/// frame never resumes a task made for the old one.
pub(crate) fn request_hash(provider: &str, model: &str, request: &MediaRequest) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "sfd-task-1\0{provider}\0{model}\0{}\0{:?}\0{}\0",
        request.kind, request.duration, request.aspect_ratio
    ));
    h.update(request.prompt.as_bytes());
    for r in &request.references {
        h.update(format!("\0{}\0{}\0", r.name, r.media_type));
        h.update(Sha256::digest(&r.bytes));
    }
    if let Some(v) = &request.voice {
        h.update(format!("\0{}\0{:?}", v.name, v.instructions));
    }
    crate::storage::sha256_hex(&h.finalize())
}

/// A [`Renderer`] over a [`TaskApi`]: paid once, polled with back-off,
/// bounded by one [`ProviderLimit`] for the whole process.
#[derive(Debug, Clone)]
pub struct TaskRenderer {
    api: Arc<dyn TaskApi>,
    polling: VideoPolling,
    limit: Arc<ProviderLimit>,
}

/// Whether an error proves the provider made no task (so creating again is safe).
fn nothing_created(e: &Error) -> bool {
    matches!(
        e,
        Error::Render {
            kind: LlmErrorKind::BadRequest
                | LlmErrorKind::Auth
                | LlmErrorKind::Quota
                | LlmErrorKind::Refusal
                | LlmErrorKind::RateLimited,
            ..
        }
    )
}

impl TaskRenderer {
    /// Drives `api` with at most `limit` tasks at once.
    pub fn new(api: Arc<dyn TaskApi>, limit: usize) -> Self {
        TaskRenderer {
            api,
            polling: VideoPolling::default(),
            limit: Arc::new(ProviderLimit::new(limit)),
        }
    }

    /// How tasks are polled.
    pub fn with_polling(mut self, polling: VideoPolling) -> Self {
        self.polling = polling;
        self
    }

    /// The provider's limit, shared by every job of the process.
    pub fn limit(&self) -> &ProviderLimit {
        &self.limit
    }

    /// The provider API.
    pub fn api(&self) -> &dyn TaskApi {
        &*self.api
    }

    fn error(&self, kind: LlmErrorKind, message: String) -> Error {
        render_error(self.api.provider(), kind, None, message, 0)
    }

    /// Runs one call, waiting out any pause the provider asked for, and
    /// slowing every job down when it answers 429: by its `Retry-After`
    /// (held by the HTTP layer under the limit's pace), else by the
    /// longest poll interval.
    async fn call<T, F>(&self, f: F) -> Result<T>
    where
        F: AsyncFnOnce() -> Result<T>,
    {
        let out = self.limit.paced(f()).await;
        if let Err(Error::Render {
            kind: LlmErrorKind::RateLimited,
            ..
        }) = &out
            && !self.limit.paused()
        {
            self.limit.slow_down(self.polling.max_interval);
        }
        out
    }

    /// Sends the create call, retrying only a 429 (which made nothing).
    async fn create(&self, request: &MediaRequest, key: &str) -> Result<String> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.call(async || self.api.create(request, key).await).await {
                Err(Error::Render {
                    kind: LlmErrorKind::RateLimited,
                    ..
                }) if tries < 5 => continue,
                other => return other,
            }
        }
    }

    /// The task to poll for `request` of the ledger's asset: the one saved,
    /// or a new one saved before it is polled.
    async fn task_for(&self, request: &MediaRequest, hash: &str, ledger: &TaskLedger) -> Result<String> {
        let (provider, model) = (self.api.provider(), self.api.model());
        for _ in 0..5 {
            let saved = ledger.load().await?;
            let (record, version) = match saved {
                Some((r, v)) if r.is_for(provider, model, hash) => match &r.task_id {
                    Some(id) => {
                        tracing::info!(provider, task = %id, "resuming a provider task saved before");
                        return Ok(id.clone());
                    }
                    None => match self.unanswered(&r, ledger).await? {
                        Some(id) => {
                            ledger.created(r, &id, &v).await?;
                            return Ok(id);
                        }
                        // Nothing was made: create again under the same key.
                        None => (r, v),
                    },
                },
                other => match ledger
                    .begin(provider, model, hash, other.as_ref().map(|(_, v)| v))
                    .await
                {
                    Ok(rv) => rv,
                    Err(Error::VersionMismatch { .. } | Error::AlreadyExists { .. }) => continue,
                    Err(e) => return Err(e),
                },
            };
            let id = match self.create(request, &record.idempotency_key).await {
                Ok(id) => id,
                Err(e) if nothing_created(&e) => {
                    ledger.clear().await?;
                    return Err(e);
                }
                Err(e) => return Err(self.unknown_outcome(e)),
            };
            ledger.created(record, &id, &version).await?;
            return Ok(id);
        }
        Err(self.error(
            LlmErrorKind::Server,
            "another render kept replacing this asset's provider task".into(),
        ))
    }

    /// The error of a create whose answer was lost (a timeout, a dropped
    /// connection, a 5xx): the provider may have made the task, so the
    /// node fails saying what the next render does instead of resending.
    fn unknown_outcome(&self, e: Error) -> Error {
        let Error::Render {
            provider,
            kind,
            status,
            message,
            attempts,
        } = e
        else {
            return e;
        };
        let next = if self.api.idempotent() {
            "the next render sends it again with the same idempotency key, which the provider answers with the same task"
        } else {
            "the next render asks the provider for it by its key before creating another, and where the provider cannot be asked it stops and says so"
        };
        Error::Render {
            provider,
            kind,
            status,
            message: format!(
                "{message}; the create call's outcome is unknown (the provider may have made and charged for the task), so it was not sent again: {next}"
            ),
            attempts,
        }
    }

    /// The task a create whose answer was lost made: `Some` when known,
    /// `None` when creating again is safe, an error when it cannot be known.
    /// When it cannot be known the record is released once this is said,
    /// so a render asked for after checking makes a new task.
    async fn unanswered(&self, record: &TaskRecord, ledger: &TaskLedger) -> Result<Option<String>> {
        if self.api.idempotent() {
            return Ok(None);
        }
        match self.call(async || self.api.find(&record.idempotency_key).await).await? {
            Lookup::Found(id) => Ok(Some(id)),
            Lookup::Missing => Ok(None),
            Lookup::Unsupported => {
                ledger.clear().await?;
                Err(self.error(
                    LlmErrorKind::Timeout,
                    format!(
                        "a create sent at {} ms (key {}) got no answer, so its outcome is unknown, and {} cannot be \
                         asked whether it made the task; it was not sent again (it may be paid for): check the \
                         provider's console, then render again to create a new task",
                        record.created_at,
                        record.idempotency_key,
                        self.api.provider()
                    ),
                ))
            }
        }
    }

    /// Polls task `id` until it ends, backing off.
    async fn wait(&self, id: &str) -> Result<Value> {
        let started = Instant::now();
        let mut wait = self.polling.first;
        loop {
            match self.call(async || self.api.poll(id).await).await {
                Ok(TaskState::Succeeded(answer)) => return Ok(answer),
                Ok(TaskState::Failed(e)) => return Err(e),
                Ok(TaskState::Queued | TaskState::Running) => {}
                // A 429 slowed every job on this provider (see `call`); the task runs on.
                Err(Error::Render {
                    kind: LlmErrorKind::RateLimited,
                    ..
                }) => {}
                Err(e) => return Err(e),
            }
            if started.elapsed() + wait > self.polling.timeout {
                return Err(self.error(
                    LlmErrorKind::Timeout,
                    format!(
                        "task {id} was not ready after {} s; it is kept, and the next render resumes it",
                        self.polling.timeout.as_secs()
                    ),
                ));
            }
            crate::llm::slot::waiting(tokio::time::sleep(wait)).await;
            // Back off ×1.5, but never past a tenth of the time waited so
            // far: a task is noticed done within ~10 % of its length.
            let tenth = started.elapsed() / 10;
            wait = wait
                .mul_f64(1.5)
                .min(tenth.max(self.polling.first))
                .min(self.polling.max_interval.max(self.polling.first));
        }
    }

    /// Makes one file for `request`; with `ledger`, paid once across
    /// crashes and retries (the caller clears it once the file is saved).
    pub(crate) async fn run(&self, request: MediaRequest, ledger: Option<&TaskLedger>) -> Result<Media> {
        let _place = self.limit.task().await?;
        let id = match ledger {
            Some(l) => {
                let hash = request_hash(self.api.provider(), self.api.model(), &request);
                self.task_for(&request, &hash, l).await?
            }
            None => {
                let key = format!("sfd-{}", uuid::Uuid::new_v4().simple());
                self.create(&request, &key).await?
            }
        };
        let answer = match self.wait(&id).await {
            Ok(a) => a,
            Err(e) => {
                // A task that failed at the provider is done with; a timeout
                // or an unreachable provider keeps it for the next render.
                if let (Some(l), Error::Render { kind, .. }) = (ledger, &e)
                    && !matches!(
                        kind,
                        LlmErrorKind::Timeout | LlmErrorKind::Connection | LlmErrorKind::RateLimited
                    )
                {
                    l.clear().await?;
                }
                return Err(e);
            }
        };
        self.call(async || self.api.fetch(&id, &answer).await).await
    }
}

#[async_trait]
impl Renderer for TaskRenderer {
    async fn render(&self, request: MediaRequest) -> Result<Media> {
        self.run(request, None).await
    }

    fn provider(&self) -> &str {
        self.api.provider()
    }

    fn model(&self) -> &str {
        self.api.model()
    }

    fn capabilities(&self) -> ModelCapabilities {
        self.api.capabilities()
    }

    fn tasks(&self) -> Option<&TaskRenderer> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use bytes::Bytes;
    use serde_json::json;

    use super::*;
    use crate::model::{AssetKind, MediaType, MediaUsage};
    use crate::render::AspectRatio;

    /// Two jobs' tasks on one provider, named by their prompts; every call
    /// is logged with the (paused) clock. Job `a`'s first poll is answered
    /// 429 with `Retry-After: 30`, held on the provider's pace as the HTTP
    /// layer holds it (`llm/http.rs`).
    #[derive(Debug, Default)]
    struct TwoJobs {
        calls: Mutex<Vec<(String, Instant)>>,
        limited: tokio::sync::Notify,
        /// Polls each task answers `running` before it succeeds.
        running: usize,
    }

    impl TwoJobs {
        fn log(&self, call: String) -> usize {
            let mut calls = self.calls.lock().unwrap();
            calls.push((call.clone(), Instant::now()));
            calls.iter().filter(|(c, _)| *c == call).count()
        }
        fn at(&self, call: &str) -> Vec<Instant> {
            let calls = self.calls.lock().unwrap();
            calls.iter().filter(|(c, _)| c == call).map(|(_, t)| *t).collect()
        }
    }

    #[async_trait]
    impl TaskApi for TwoJobs {
        fn provider(&self) -> &str {
            "script"
        }
        fn model(&self) -> &str {
            "m"
        }
        async fn create(&self, request: &MediaRequest, _: &str) -> Result<String> {
            self.log(format!("create {}", request.prompt));
            Ok(request.prompt.clone())
        }
        async fn poll(&self, id: &str) -> Result<TaskState> {
            let n = self.log(format!("poll {id}"));
            if id == "a" && n == 1 {
                crate::llm::pace::current()
                    .expect("calls run under the provider's pace")
                    .hold(Duration::from_secs(30));
                self.limited.notify_one();
                return Err(render_error(
                    "script",
                    LlmErrorKind::RateLimited,
                    Some(429),
                    "slow down",
                    1,
                ));
            }
            Ok(if n <= self.running {
                TaskState::Running
            } else {
                TaskState::Succeeded(json!({}))
            })
        }
        async fn fetch(&self, id: &str, _: &Value) -> Result<Media> {
            self.log(format!("fetch {id}"));
            Ok(Media {
                bytes: Bytes::from_static(b"x"),
                media_type: MediaType::Mp4,
                usage: MediaUsage::default(),
                provider: "script".into(),
                model: "m".into(),
                speech: None,
            })
        }
    }

    fn two_jobs(api: &Arc<TwoJobs>) -> TaskRenderer {
        TaskRenderer::new(Arc::clone(api) as Arc<dyn TaskApi>, 2).with_polling(VideoPolling {
            first: Duration::from_secs(1),
            max_interval: Duration::from_secs(8),
            timeout: Duration::from_secs(3600),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_one_job_got_holds_the_next_call_of_every_job_on_the_provider() {
        let api = Arc::new(TwoJobs {
            running: 1,
            ..Default::default()
        });
        let driver = two_jobs(&api);
        let video = |p: &str| MediaRequest::new(AssetKind::Video, p, AspectRatio::PORTRAIT);
        let a = tokio::spawn({
            let driver = driver.clone();
            async move { driver.run(video("a"), None).await }
        });
        // Job b starts once job a was told to slow down.
        api.limited.notified().await;
        driver.run(video("b"), None).await.unwrap();
        a.await.unwrap().unwrap();
        let limited = api.at("poll a")[0];
        let b_created = api.at("create b")[0];
        assert!(
            b_created >= limited + Duration::from_secs(30),
            "job b called the provider {:?} after job a's 429 with Retry-After: 30",
            b_created - limited
        );
        // Job a's own next poll waited it out too, and the task ran on (created once).
        assert!(api.at("poll a")[1] >= limited + Duration::from_secs(30));
        assert_eq!((api.at("create a").len(), api.at("fetch a").len()), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn polls_back_off_up_to_the_longest_interval() {
        let api = Arc::new(TwoJobs {
            running: 40,
            ..Default::default()
        });
        let request = MediaRequest::new(AssetKind::Video, "b", AspectRatio::PORTRAIT);
        two_jobs(&api).run(request, None).await.unwrap();
        let polls = api.at("poll b");
        let gaps: Vec<Duration> = polls.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.windows(2).all(|g| g[1] >= g[0]),
            "the waits never shrink: {gaps:?}"
        );
        assert_eq!(gaps[0], Duration::from_secs(1));
        assert_eq!(*gaps.last().unwrap(), Duration::from_secs(8), "{gaps:?}");
    }
}
