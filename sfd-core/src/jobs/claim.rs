//! Taking jobs from the durable queue, and handing them back on a graceful stop.

use super::events::JobEventKind;
use super::queue;
use super::runner::{Inner, Slot};
use crate::model::{Job, JobStatus, now_ms};
use crate::storage::{StorageExt, Version, WriteMode};
use crate::{Error, Result};

impl Inner {
    /// Finds the oldest job this runner may take, and takes it with a conditional write.
    pub(super) async fn claim_next(&self) -> Result<Option<(Job, Version)>> {
        let now = now_ms();
        let entries = self.storage.list(queue::PREFIX, None, 256).await?;
        for entry in entries {
            let Some((drama_id, job_id)) = queue::parse(&entry.path) else {
                continue;
            };
            if self.is_running(&job_id) {
                continue;
            }
            let current = match self.storage.get_job(&drama_id, &job_id).await {
                Ok(c) => c,
                Err(Error::NotFound { .. }) => {
                    // Either the record is being written right now, or it never will be.
                    if entry.updated_at + 60_000 < now {
                        queue::remove_path(&*self.storage, &entry.path).await;
                    }
                    continue;
                }
                Err(Error::Corrupt { key, reason }) => {
                    tracing::error!(%key, %reason, "unreadable job record; skipping it");
                    continue;
                }
                Err(e) => return Err(e),
            };
            let mut job = current.value;
            match job.status {
                s if s.is_terminal() => {
                    queue::remove(&*self.storage, &job).await;
                    continue;
                }
                JobStatus::Processing if job.lease_until.unwrap_or(0) > now => continue,
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
                    queue::remove(&*self.storage, &job).await;
                    self.events.publish(JobEventKind::Status, &job);
                }
                continue;
            }
            job.status = JobStatus::Processing;
            job.owner = Some(self.owner.clone());
            job.lease_until = Some(now + self.config.lease.as_millis() as u64);
            job.attempts += 1;
            job.started_at.get_or_insert(now);
            match self.storage.put_job(&job, WriteMode::Update(current.version)).await {
                Ok(version) => {
                    if interrupted {
                        tracing::info!(job = %job.job_id, attempt = job.attempts, "resuming an interrupted job");
                    }
                    return Ok(Some((job, version)));
                }
                Err(Error::VersionMismatch { .. }) => continue, // another runner was faster
                Err(e) => return Err(e),
            }
        }
        Ok(None)
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
