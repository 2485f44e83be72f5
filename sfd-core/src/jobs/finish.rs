//! How a job ends: its drama saved, its final record written and told,
//! its queue entry removed.

use serde_json::json;

use super::events::JobEventKind;
use super::queue;
use super::runner::{Inner, Slot, Stop, record_end};
use super::work::{Outcome, made_by, usage_json};
use crate::model::{Drama, Job, JobStatus, Object, Progress, now_ms};
use crate::storage::{StorageExt, Version, create_drama_alone, write_summary};
use crate::{Error, Result};

impl Inner {
    /// Records how a job ended. A new drama's summary (for the listing) is
    /// written while the job's end is: a crash between the two leaves the
    /// listing reading the drama itself until the repair or its next edit.
    pub(super) async fn finish(
        &self,
        slot: &mut Slot,
        outcome: std::result::Result<Outcome, Stop>,
        progress: Option<Progress>,
    ) {
        let lease_ms = self.config.lease.as_millis() as u64;
        let mut saved_drama = None;
        let mut summary: Option<(Box<Drama>, Version)> = None;
        let result: std::result::Result<Object, Stop> = match outcome {
            Ok(Outcome::Drama { drama, usage }) => {
                // Nothing becomes visible unless the job is still ours.
                match self.update(slot, |j| j.lease_until = Some(now_ms() + lease_ms)).await {
                    Ok(None) => {}
                    Ok(Some(other)) => {
                        self.events.publish(JobEventKind::Status, &other);
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(job = %slot.job.job_id, error = %e, "could not confirm the lease; the job will be retried");
                        return;
                    }
                }
                match self.save(&drama, &slot.job).await {
                    Ok(created) => {
                        saved_drama = Some(drama.id.clone());
                        let mut r = Object::new();
                        r.insert("dramaId".into(), json!(drama.id));
                        r.insert("usage".into(), usage_json(&usage));
                        summary = created.map(|v| (drama, v));
                        Ok(r)
                    }
                    Err(e) => Err(Stop::Failed(e)),
                }
            }
            Ok(Outcome::Result(r)) => Ok(r),
            Err(Stop::LeaseLost) => return,
            Ok(Outcome::Failed { error, result }) => Err(Stop::Partial(error, result)),
            Err(stop) => Err(stop),
        };
        let summarise = async {
            if let Some((drama, version)) = &summary {
                write_summary(&*self.storage, drama, version).await;
            }
        };
        futures::join!(self.record(slot, result, progress, saved_drama), summarise);
    }

    /// Writes the job's final record (compare-and-swap), tells it, then
    /// removes its queue entry; a job cancelled or taken over meanwhile
    /// leaves no drama behind.
    async fn record(
        &self,
        slot: &mut Slot,
        result: std::result::Result<Object, Stop>,
        progress: Option<Progress>,
        saved_drama: Option<String>,
    ) {
        let now = now_ms();
        let attempts = slot.job.attempts;
        let written = match result {
            Ok(r) => {
                self.update(slot, |j| {
                    j.status = JobStatus::Completed;
                    j.completed_at = Some(now);
                    j.result = Some(r.clone());
                    j.error = None;
                    j.owner = None;
                    j.lease_until = None;
                    if progress.is_some() {
                        j.progress.clone_from(&progress);
                    }
                })
                .await
            }
            Err(Stop::Cancelled) => match self.storage.get_job(&slot.job.drama_id, &slot.job.job_id).await {
                Ok(v) => Ok(Some(v.value)),
                Err(e) => Err(e),
            },
            Err(stop) => {
                let mut partial = None;
                let message = match stop {
                    Stop::TimedOut(d) => format!("timed out: the job ran longer than {} s", d.as_secs()),
                    Stop::Failed(e) => e.to_string(),
                    Stop::Panicked(m) => format!("internal error: the job panicked ({m}); this is a bug in sfd"),
                    Stop::Partial(e, result) => {
                        partial = Some(result);
                        e
                    }
                    Stop::Cancelled | Stop::LeaseLost => "cancelled".to_string(),
                };
                let message = final_error(&message, attempts);
                tracing::warn!(job = %slot.job.job_id, error = %message, "job failed");
                self.update(slot, |j| {
                    j.status = JobStatus::Failed;
                    j.completed_at = Some(now);
                    j.error = Some(message.clone());
                    if partial.is_some() {
                        j.result.clone_from(&partial);
                    }
                    j.owner = None;
                    j.lease_until = None;
                    if progress.is_some() {
                        j.progress.clone_from(&progress);
                    }
                })
                .await
            }
        };
        match written {
            Ok(None) => {
                record_end(&slot.job);
                // The record says how it ended: told at once; the queue
                // entry goes after (a scan drops an ended job's entry too).
                self.events.publish(JobEventKind::Status, &slot.job);
                queue::remove(&*self.storage, &slot.job).await;
            }
            Ok(Some(other)) => {
                // Cancelled (or taken over) while finishing: leave nothing behind.
                if let Some(id) = saved_drama
                    && other.status != JobStatus::Completed
                {
                    let _ = self.storage.delete_drama(&id, None).await;
                }
                self.events.publish(JobEventKind::Status, &other);
            }
            Err(e) => tracing::warn!(job = %slot.job.job_id, error = %e, "could not record the end of a job"),
        }
    }

    /// Saves a job's drama with `PutMode::Create`, without its summary; a
    /// drama this same job saved before an interruption counts as saved.
    /// The new drama's version when this call created it.
    async fn save(&self, drama: &Drama, job: &Job) -> Result<Option<Version>> {
        match create_drama_alone(&*self.storage, drama).await {
            Ok(version) => Ok(Some(version)),
            Err(Error::AlreadyExists { kind, id }) => match self.storage.get_drama(&id).await {
                Ok(existing) if made_by(&existing.value, job) => Ok(None),
                _ => Err(Error::AlreadyExists { kind, id }),
            },
            Err(e) => Err(e),
        }
    }
}

/// A failed job's error as its final word: what went wrong, and that the
/// job ends here (a failure is never run again; only an interrupted run is).
fn final_error(message: &str, runs: u32) -> String {
    match runs {
        0 | 1 => format!("{message} (the job failed; it is not retried)"),
        n => format!(
            "{message} (the job failed on its run {n}, after {} interrupted; it is not retried)",
            n - 1
        ),
    }
}
