//! [`JobRunner`]: claims jobs from the durable queue under a lease, runs them
//! with a concurrency bound and a timeout, renews the lease while they run,
//! and records how they end.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::{AbortHandle, JoinHandle};

use super::events::{EventHub, JobEventKind};
use super::work;
use super::{RunnerConfig, queue};
use crate::llm::Llm;
use crate::llm::slot::{WaitingLlm, WorkSlot, working};
use crate::model::id::new_job_id;
use crate::model::{Job, JobStatus, Object, Progress, now_ms};
use crate::render::RenderConfig;
use crate::storage::{Storage, StorageExt, Version, WriteMode};
use crate::{Error, Result, telemetry};

/// Jobs a runner holds at once per slot: a job waiting on a provider
/// gives its slot back (the provider's own limit bounds it), so the slots
/// bound working jobs and this bounds the claimed ones.
const HELD_PER_SLOT: usize = 16;

/// How a running job stopped without a result.
pub(super) enum Stop {
    Cancelled,
    TimedOut(Duration),
    Failed(Error),
    /// The work panicked: a bug, recorded as the job's failure.
    Panicked(String),
    /// The lease could not be renewed and is about to run out: another
    /// runner may take the job, so this one stops and writes nothing.
    LeaseLost,
    /// Failed, with a result to keep (a render naming its failed nodes).
    Partial(String, Object),
}

/// The message of a caught panic.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string())
}

/// The job record a worker holds, and its version.
pub(super) struct Slot {
    pub(super) job: Job,
    pub(super) version: Version,
}

/// Aborts a helper task when the worker that owns it ends or is aborted.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Running {
    cancel: Arc<Notify>,
    abort: Option<AbortHandle>,
}

pub(super) struct Inner {
    pub(super) storage: Arc<dyn Storage>,
    llm: Option<Arc<dyn Llm>>,
    render: Arc<RenderConfig>,
    pub(super) config: RunnerConfig,
    pub(super) owner: String,
    pub(super) events: EventHub,
    wake: Notify,
    running: Mutex<HashMap<String, Running>>,
    stopping: AtomicBool,
    /// Queue entries that could not be moved aside, logged once each.
    pub(super) unmovable: Mutex<std::collections::HashSet<String>>,
    /// Records this process queued, for claiming them without a read.
    pub(super) fresh: super::claim::Fresh,
}

/// Runs drama jobs stored in a [`Storage`]; several runners (in one process
/// or many) may share one store.
///
/// Dropping a runner stops it at once, as a crash would: its jobs stay
/// `processing` until their leases expire, then another runner resumes or
/// fails them. [`JobRunner::shutdown`] stops it gracefully instead, handing
/// its jobs back to the queue.
pub struct JobRunner {
    pub(super) inner: Arc<Inner>,
    main: JoinHandle<()>,
}

impl std::fmt::Debug for JobRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobRunner").field("owner", &self.inner.owner).finish()
    }
}

impl Drop for JobRunner {
    fn drop(&mut self) {
        self.main.abort();
        let running = self.inner.running.lock().unwrap_or_else(|e| e.into_inner());
        for r in running.values() {
            if let Some(a) = &r.abort {
                a.abort();
            }
        }
    }
}

/// Separates a runner's identity from the instance part of its owner name.
const INSTANCE: char = '#';

/// The lease owner name of a new runner: `{identity}#{random}`, or
/// `runner_{random}` without an identity.
fn owner_name(identity: Option<&str>) -> String {
    let instance = uuid::Uuid::new_v4().simple();
    match identity {
        Some(id) => format!("{id}{INSTANCE}{instance}"),
        None => format!("runner_{instance}"),
    }
}

/// Counts a job that just ended, with how long it ran.
pub(super) fn record_end(job: &Job) {
    let ran = job
        .completed_at
        .map(|end| Duration::from_millis(end.saturating_sub(job.started_at.unwrap_or(job.created_at))));
    telemetry::job(&telemetry::label(job.kind), &telemetry::label(job.status), ran);
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl JobRunner {
    /// Starts a runner on `storage`. Jobs that need an LLM fail with
    /// [`Error::LlmNotConfigured`] when `llm` is `None`.
    ///
    /// Must be called inside a tokio runtime.
    pub fn start(storage: Arc<dyn Storage>, llm: Option<Arc<dyn Llm>>, config: RunnerConfig) -> Self {
        Self::start_with_render(storage, llm, Arc::new(RenderConfig::default()), config)
    }

    /// Starts a runner that also renders media with `render`.
    ///
    /// Must be called inside a tokio runtime.
    pub fn start_with_render(
        storage: Arc<dyn Storage>,
        llm: Option<Arc<dyn Llm>>,
        render: Arc<RenderConfig>,
        config: RunnerConfig,
    ) -> Self {
        crate::assemble::cut::remove_stale_workdirs();
        let concurrency = config.concurrency.max(1);
        let inner = Arc::new(Inner {
            storage,
            llm: llm.map(WaitingLlm::wrap),
            render,
            owner: owner_name(config.identity.as_deref()),
            config,
            events: EventHub::default(),
            wake: Notify::new(),
            running: Mutex::new(HashMap::new()),
            stopping: AtomicBool::new(false),
            unmovable: Mutex::default(),
            fresh: Default::default(),
        });
        let main = tokio::spawn(Inner::run(Arc::clone(&inner), Arc::new(Semaphore::new(concurrency))));
        // `concurrency` bounds jobs working; jobs waiting on providers hold
        // no slot (see `llm/slot.rs`), up to HELD_PER_SLOT× as many held.
        JobRunner { inner, main }
    }

    /// This runner's lease owner name.
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// The storage jobs are kept in.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// Whether an LLM is configured.
    pub fn has_llm(&self) -> bool {
        self.inner.llm.is_some()
    }

    /// The renderers, prices and media settings render jobs use.
    pub fn render_config(&self) -> &Arc<RenderConfig> {
        &self.inner.render
    }

    /// Stores a new pending job and wakes the runner. The job's id is made
    /// when empty; [`Error::AlreadyExists`] if it is taken.
    pub async fn submit(&self, mut job: Job) -> Result<Job> {
        if job.job_id.is_empty() {
            job.job_id = new_job_id();
        }
        job.status = JobStatus::Pending;
        // The queue entry first: a runner that finds an entry whose record is
        // not there yet leaves it alone for a while (see `claim_next`).
        queue::push(&*self.inner.storage, &job).await?;
        match self.inner.storage.put_job(&job, WriteMode::Create).await {
            Ok(version) => self.inner.fresh.keep(&job, version),
            Err(e) => {
                queue::remove(&*self.inner.storage, &job).await;
                return Err(e);
            }
        }
        self.inner.wake.notify_one();
        telemetry::job(&telemetry::label(job.kind), "pending", None);
        Ok(job)
    }

    /// A job of drama `drama_id`.
    pub async fn get(&self, drama_id: &str, job_id: &str) -> Result<Job> {
        Ok(self.inner.storage.get_job(drama_id, job_id).await?.value)
    }

    /// Every job of a drama, oldest first.
    pub async fn list(&self, drama_id: &str) -> Result<Vec<Job>> {
        self.inner.storage.list_jobs(drama_id).await
    }

    /// Cancels a pending or running job; a finished job is returned unchanged.
    /// A running generation stops its LLM calls and saves no drama.
    pub async fn cancel(&self, drama_id: &str, job_id: &str) -> Result<Job> {
        let storage = &self.inner.storage;
        loop {
            let current = storage.get_job(drama_id, job_id).await?;
            let mut job = current.value;
            if job.status.is_terminal() {
                return Ok(job);
            }
            job.status = JobStatus::Cancelled;
            job.completed_at = Some(now_ms());
            job.owner = None;
            job.lease_until = None;
            match storage.put_job(&job, WriteMode::Update(current.version)).await {
                Ok(_) => {
                    if let Some(r) = lock(&self.inner.running).get(job_id) {
                        r.cancel.notify_one();
                    }
                    record_end(&job);
                    queue::remove(&**storage, &job).await;
                    self.inner.events.publish(JobEventKind::Status, &job);
                    return Ok(job);
                }
                Err(Error::VersionMismatch { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Waits until the job ends and returns it.
    pub async fn wait(&self, drama_id: &str, job_id: &str) -> Result<Job> {
        let mut events = self.subscribe(drama_id, job_id).await?;
        while let Some(ev) = events.next().await {
            if ev.job.status.is_terminal() {
                return Ok(ev.job);
            }
        }
        self.get(drama_id, job_id).await
    }

    /// Stops claiming, stops the running jobs and hands them back to the
    /// queue (pending, attempt not counted) so another runner resumes them at once.
    pub async fn shutdown(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.main.abort();
        let jobs: Vec<(String, Running)> = lock(&self.inner.running).drain().collect();
        for (job_id, r) in jobs {
            if let Some(a) = r.abort {
                a.abort();
            }
            self.inner.release(&job_id).await;
        }
    }
}

impl Inner {
    async fn run(inner: Arc<Inner>, slots: Arc<Semaphore>) {
        let held = Arc::new(Semaphore::new(inner.config.concurrency.max(1) * HELD_PER_SLOT));
        loop {
            let Ok(first) = Arc::clone(&held).acquire_owned().await else {
                return;
            };
            // As many jobs as may be held, claimed in one scan of the queue.
            let claimed = loop {
                if inner.stopping.load(Ordering::SeqCst) {
                    return;
                }
                match inner.claim_up_to(1 + held.available_permits()).await {
                    Ok(c) if !c.is_empty() => break c,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not look for jobs"),
                }
                tokio::select! {
                    _ = inner.wake.notified() => {}
                    _ = tokio::time::sleep(inner.config.poll_interval) => {}
                }
            };
            let mut first = Some(first);
            for (job, version) in claimed {
                let hold = match first.take() {
                    Some(h) => h,
                    // Only this loop takes places: the ones counted are there.
                    None => match Arc::clone(&held).acquire_owned().await {
                        Ok(h) => h,
                        Err(_) => return,
                    },
                };
                let cancel = Arc::new(Notify::new());
                let job_id = job.job_id.clone();
                lock(&inner.running).insert(
                    job_id.clone(),
                    Running {
                        cancel: Arc::clone(&cancel),
                        abort: None,
                    },
                );
                let places = (Arc::clone(&slots), hold);
                let task = tokio::spawn(Inner::work(Arc::clone(&inner), job, version, cancel, places));
                if let Some(r) = lock(&inner.running).get_mut(&job_id) {
                    r.abort = Some(task.abort_handle());
                }
            }
        }
    }

    /// Whether `job` was left running by an earlier life of this runner
    /// (same identity, another instance): it can be resumed at once.
    pub(super) fn left_behind(&self, job: &Job) -> bool {
        let (Some(identity), Some(owner)) = (self.config.identity.as_deref(), job.owner.as_deref()) else {
            return false;
        };
        owner != self.owner && owner.rsplit_once(INSTANCE).is_some_and(|(id, _)| id == identity)
    }

    pub(super) fn is_running(&self, job_id: &str) -> bool {
        lock(&self.running).contains_key(job_id)
    }

    /// Writes `f(job)` with compare-and-swap. `Ok(Some(job))` when the job is
    /// no longer this runner's (cancelled, finished or taken over).
    pub(super) async fn update(&self, slot: &mut Slot, f: impl Fn(&mut Job)) -> Result<Option<Job>> {
        loop {
            let mut next = slot.job.clone();
            f(&mut next);
            match self
                .storage
                .put_job(&next, WriteMode::Update(slot.version.clone()))
                .await
            {
                Ok(v) => {
                    slot.job = next;
                    slot.version = v;
                    return Ok(None);
                }
                Err(Error::VersionMismatch { .. }) => {
                    let current = self.storage.get_job(&slot.job.drama_id, &slot.job.job_id).await?;
                    if current.value.status.is_terminal() || current.value.owner.as_deref() != Some(&self.owner) {
                        return Ok(Some(current.value));
                    }
                    slot.job = current.value;
                    slot.version = current.version;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn work(
        self: Arc<Self>,
        job: Job,
        version: Version,
        cancel: Arc<Notify>,
        (slots, _hold): (Arc<Semaphore>, OwnedSemaphorePermit),
    ) {
        self.events.publish(JobEventKind::Status, &job);
        let slot = Arc::new(tokio::sync::Mutex::new(Slot {
            job: job.clone(),
            version,
        }));
        let latest: Arc<Mutex<Option<Progress>>> = Arc::new(Mutex::new(None));

        let lost = Arc::new(Notify::new());
        let mut renewer = AbortOnDrop(tokio::spawn(Arc::clone(&self).renew(
            Arc::clone(&slot),
            Arc::clone(&latest),
            Arc::clone(&cancel),
            Arc::clone(&lost),
        )));

        let progress_fn = {
            let (inner, latest, base) = (Arc::clone(&self), Arc::clone(&latest), job.clone());
            move |mut p: Progress| {
                // The stage advanced: the retries so far stay counted, the last note goes.
                {
                    let mut l = lock(&latest);
                    p.retries += l.as_ref().map_or(0, |old| old.retries);
                    *l = Some(p.clone());
                }
                let mut snapshot = base.clone();
                snapshot.progress = Some(p);
                inner.events.publish(JobEventKind::Progress, &snapshot);
            }
        };
        // Waits and retries of provider calls show in the progress.
        let notices: crate::llm::notice::Receiver = {
            let (inner, latest, base) = (Arc::clone(&self), Arc::clone(&latest), job.clone());
            Arc::new(move |n: crate::llm::notice::Notice| {
                let p = {
                    let mut l = lock(&latest);
                    let p = l.get_or_insert_with(|| Progress::new("start", 0, 0));
                    p.retries += u32::from(n.retry);
                    p.note = Some(n.text);
                    p.clone()
                };
                let mut snapshot = base.clone();
                snapshot.progress = Some(p);
                inner.events.publish(JobEventKind::Progress, &snapshot);
            })
        };
        let timeout = self.config.job_timeout;
        let outcome = {
            let run = async {
                // The job waits its turn to work; its timeout starts then.
                let slot = WorkSlot::take(slots).await;
                let work = std::panic::AssertUnwindSafe(crate::llm::notice::reporting(
                    notices,
                    working(
                        slot,
                        work::execute(
                            &self.storage,
                            self.llm.as_deref(),
                            &self.config.generate,
                            &self.render,
                            &job,
                            &progress_fn,
                        ),
                    ),
                ))
                .catch_unwind();
                tokio::time::timeout(timeout, work).await
            };
            tokio::select! {
                r = run => match r {
                    Ok(Ok(Ok(o))) => Ok(o),
                    Ok(Ok(Err(Error::Cancelled(_)))) => Err(Stop::Cancelled),
                    Ok(Ok(Err(e))) => Err(Stop::Failed(e)),
                    Ok(Err(panic)) => Err(Stop::Panicked(panic_message(&*panic))),
                    Err(_) => Err(Stop::TimedOut(timeout)),
                },
                _ = cancel.notified() => Err(Stop::Cancelled),
                _ = lost.notified() => Err(Stop::LeaseLost),
            }
        };
        renewer.0.abort();
        let _ = (&mut renewer.0).await;
        let progress = lock(&latest).take();
        let mut s = slot.lock().await;
        self.finish(&mut s, outcome, progress).await;
        lock(&self.running).remove(&job.job_id);
    }

    /// Renews the lease and saves progress, throttled, while the job runs.
    /// Notifies `cancel` when the job was cancelled or taken over, and
    /// `lost` when renewals kept failing until the lease is about to run
    /// out: the worker then stops before another runner may take the job,
    /// so no two runners ever pay for the same stage.
    async fn renew(
        self: Arc<Self>,
        slot: Arc<tokio::sync::Mutex<Slot>>,
        latest: Arc<Mutex<Option<Progress>>>,
        cancel: Arc<Notify>,
        lost: Arc<Notify>,
    ) {
        let lease_ms = self.config.lease.as_millis() as u64;
        let every = (self.config.lease / 3).min(self.config.progress_interval);
        let every_ms = every.as_millis() as u64;
        // The lease is renewed when a third of it has gone by; between
        // renewals a tick writes only progress nobody has seen in storage.
        let renew_ms = (lease_ms / 3).max(every_ms);
        let mut held_until = slot.lock().await.job.lease_until.unwrap_or(0);
        loop {
            tokio::time::sleep(every).await;
            let progress = lock(&latest).clone();
            let mut s = slot.lock().await;
            let now = now_ms();
            let renewal_due = held_until.saturating_sub(lease_ms) + renew_ms <= now;
            if !renewal_due && (progress.is_none() || progress == s.job.progress) {
                continue;
            }
            let until = now + lease_ms;
            let renewed = self
                .update(&mut s, |j| {
                    j.lease_until = Some(until);
                    if progress.is_some() {
                        j.progress.clone_from(&progress);
                    }
                })
                .await;
            match renewed {
                Ok(None) => held_until = until,
                Ok(Some(_)) => {
                    cancel.notify_one();
                    return;
                }
                Err(e) if now_ms() + 2 * every_ms >= held_until => {
                    tracing::error!(job = %s.job.job_id, error = %e, "the lease could not be renewed and is about to run out; stopping the job");
                    lost.notify_one();
                    return;
                }
                Err(e) => tracing::warn!(job = %s.job.job_id, error = %e, "could not renew the lease"),
            }
        }
    }
}
