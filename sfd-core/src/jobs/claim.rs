//! Taking jobs from the durable queue, and handing them back on a graceful stop.

use std::collections::HashMap;
use std::sync::Mutex;

use super::events::JobEventKind;
use super::queue;
use super::runner::{Inner, Slot};
use crate::model::{Job, JobStatus, now_ms};
use crate::storage::{Listed, StorageExt, Version, Versioned, WriteMode};
use crate::{Error, Result};

/// Queue entries listed at once; the whole queue is paged through.
const PAGE: usize = 256;
/// Job records read (and claimed) at once while looking for work.
const READS: usize = 16;
/// Records this process queued and remembers, so claiming them needs no
/// read of what it just wrote.
const FRESH: usize = 1024;
/// How long a remembered record is worth keeping (another process may
/// have taken the job meanwhile: then the claim's conditional write fails
/// and the job is read from storage like any other).
const FRESH_MS: u64 = 60_000;

/// The records of jobs this process queued and has not claimed yet, each
/// with its version: the claim's compare-and-swap starts from them instead
/// of a read. At most [`FRESH`] are kept, none older than [`FRESH_MS`].
#[derive(Default)]
pub(super) struct Fresh(Mutex<HashMap<String, (u64, Job, Version)>>);

impl Fresh {
    /// Remembers a record just written at `version`.
    pub(super) fn keep(&self, job: &Job, version: Version) {
        let now = now_ms();
        let mut fresh = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if fresh.len() >= FRESH {
            fresh.retain(|_, (at, _, _)| *at + FRESH_MS > now);
        }
        if fresh.len() < FRESH {
            fresh.insert(job.job_id.clone(), (now, job.clone(), version));
        }
    }

    /// The remembered record of `job_id`, forgotten (one claim uses it).
    fn take(&self, job_id: &str) -> Option<Versioned<Job>> {
        let mut fresh = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (at, value, version) = fresh.remove(job_id)?;
        (at + FRESH_MS > now_ms()).then_some(Versioned { value, version })
    }
}

impl Inner {
    /// Takes up to `max` (at least one) of the oldest jobs this runner may
    /// take, each with a conditional write. Pages through the whole queue,
    /// reading and claiming a few jobs at a time in parallel (in queue order).
    pub(super) async fn claim_up_to(&self, max: usize) -> Result<Vec<(Job, Version)>> {
        let now = now_ms();
        let mut after: Option<String> = None;
        let mut claimed = Vec::new();
        // Entries seen; a scan that claims nothing has counted the whole queue.
        let mut depth = 0;
        loop {
            let page = self.storage.list(queue::PREFIX, after.as_deref(), PAGE).await?;
            let Some(last) = page.last() else {
                crate::telemetry::queue_depth(depth);
                return Ok(claimed);
            };
            after = Some(last.path.clone());
            let more = page.len() == PAGE;
            depth += page.len();
            let mut candidates = Vec::with_capacity(page.len());
            for entry in page {
                candidates.extend(self.candidate(entry).await);
            }
            let mut candidates = candidates.into_iter().peekable();
            while candidates.peek().is_some() {
                // Never more looks at once than jobs still wanted: none is
                // claimed beyond `max`.
                let want = max.max(1) - claimed.len();
                let chunk: Vec<_> = candidates.by_ref().take(want.min(READS)).collect();
                let looks = chunk.into_iter().map(|c| async {
                    let (entry, read) = self.read(c).await;
                    self.look(&entry, read, now).await
                });
                let mut failed = None;
                for look in futures::future::join_all(looks).await {
                    match look {
                        Ok(Some(c)) => claimed.push(c),
                        Ok(None) => {}
                        Err(e) => failed = Some(e),
                    }
                }
                match failed {
                    // What was claimed is this runner's now: it runs.
                    Some(e) if claimed.is_empty() => return Err(e),
                    Some(e) => {
                        tracing::warn!(error = %e, "could not look at a queued job");
                        return Ok(claimed);
                    }
                    None if claimed.len() >= max.max(1) => return Ok(claimed),
                    None => {}
                }
            }
            if !more {
                crate::telemetry::queue_depth(depth);
                return Ok(claimed);
            }
        }
    }

    /// The drama and job an entry names, unless the job runs here already;
    /// an entry that names no job is moved aside.
    async fn candidate(&self, entry: Listed) -> Option<(Listed, String, String)> {
        let Some((drama_id, job_id)) = queue::parse(&entry.path) else {
            self.unusable(&entry.path, "the entry's name names no job").await;
            return None;
        };
        (!self.is_running(&job_id)).then_some((entry, drama_id, job_id))
    }

    /// Reads the job record of a candidate entry (unless this process
    /// queued it and remembers what it wrote).
    async fn read(&self, (entry, drama_id, job_id): (Listed, String, String)) -> (Listed, Result<Versioned<Job>>) {
        if let Some(known) = self.fresh.take(&job_id) {
            return (entry, Ok(known));
        }
        let read = self.storage.get_job(&drama_id, &job_id).await;
        (entry, read)
    }

    /// Moves an unusable entry aside, or (when it cannot be) says so once.
    async fn unusable(&self, path: &str, reason: &str) {
        if !queue::dead_letter(&*self.storage, path, reason).await
            && self
                .unmovable
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(path.to_string())
        {
            tracing::error!(
                entry = path,
                reason,
                "an unusable queue entry cannot be moved aside; skipping it"
            );
        }
    }

    /// Claims the job of one queue entry if this runner may take it now.
    async fn look(&self, entry: &Listed, read: Result<Versioned<Job>>, now: u64) -> Result<Option<(Job, Version)>> {
        let current = match read {
            Ok(c) => c,
            Err(Error::NotFound { .. }) => {
                // Either the record is being written right now, or it never will be.
                if entry.updated_at + 60_000 < now {
                    queue::remove_path(&*self.storage, &entry.path).await;
                }
                return Ok(None);
            }
            Err(Error::Corrupt { reason, .. }) => {
                self.unusable(&entry.path, &format!("the job record is unreadable: {reason}"))
                    .await;
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let mut job = current.value;
        match job.status {
            s if s.is_terminal() => {
                queue::remove(&*self.storage, &job).await;
                return Ok(None);
            }
            JobStatus::Processing if job.lease_until.unwrap_or(0) > now && !self.left_behind(&job) => {
                return Ok(None);
            }
            _ => {}
        }
        let interrupted = job.status == JobStatus::Processing;
        if interrupted && job.attempts >= self.config.max_attempts {
            job.status = JobStatus::Failed;
            job.completed_at = Some(now);
            job.error = Some(format!(
                "interrupted: server stopped while the job was running; retried {} times",
                job.attempts.saturating_sub(1)
            ));
            job.owner = None;
            job.lease_until = None;
            if self
                .storage
                .put_job(&job, WriteMode::Update(current.version))
                .await
                .is_ok()
            {
                tracing::warn!(job = %job.job_id, attempts = job.attempts, "job interrupted too often; failed");
                super::runner::record_end(&job);
                queue::remove(&*self.storage, &job).await;
                self.events.publish(JobEventKind::Status, &job);
            }
            return Ok(None);
        }
        let left_behind = self.left_behind(&job);
        job.status = JobStatus::Processing;
        job.owner = Some(self.owner.clone());
        job.lease_until = Some(now + self.config.lease.as_millis() as u64);
        job.attempts += 1;
        job.started_at.get_or_insert(now);
        match self.storage.put_job(&job, WriteMode::Update(current.version)).await {
            Ok(version) => {
                if left_behind {
                    tracing::info!(job = %job.job_id, attempt = job.attempts, "resuming a job this runner left behind before a restart");
                } else if interrupted {
                    tracing::info!(job = %job.job_id, attempt = job.attempts, "resuming an interrupted job");
                }
                Ok(Some((job, version)))
            }
            Err(Error::VersionMismatch { .. }) => Ok(None), // another runner was faster
            Err(e) => Err(e),
        }
    }

    /// Hands a job back to the queue after a graceful stop.
    pub(super) async fn release(&self, job_id: &str) {
        let Ok(entries) = self.storage.list(queue::PREFIX, None, usize::MAX).await else {
            return;
        };
        let Some((drama_id, _)) = entries
            .iter()
            .filter_map(|e| queue::parse(&e.path))
            .find(|(_, j)| j == job_id)
        else {
            return;
        };
        let Ok(current) = self.storage.get_job(&drama_id, job_id).await else {
            return;
        };
        let mut slot = Slot {
            job: current.value,
            version: current.version,
        };
        if slot.job.owner.as_deref() != Some(&self.owner) {
            return;
        }
        let _ = self
            .update(&mut slot, |j| {
                j.status = JobStatus::Pending;
                j.owner = None;
                j.lease_until = None;
                j.attempts = j.attempts.saturating_sub(1);
            })
            .await;
    }
}
