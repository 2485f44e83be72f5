//! Job records in the layout of the old server's later versions:
//! `jobs/{jobId}.json`, snake_case, with the drama named inside
//! (`drama_id`), times as ISO strings, and types such as `critique_drama`
//! or the render graph's `image` / `video`.
//!
//! They are listed under their drama and read, never written: no queue
//! entry names them, so no runner claims them. The old server that ran
//! them is gone, so one it left `pending` or `running` reads as `failed`,
//! saying so, instead of hanging for ever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStore;
use object_store::path::Path;
use serde::Deserialize;
use serde_json::Value;

use super::key::{JOBS, Key, SUFFIX};
use super::object::Read;
use super::object::TOMBSTONE;
use super::{Listed, ObjectStorage, Storage, Versioned};
use crate::model::{Job, JobStatus, JobType, Object};
use crate::{Error, Result};

/// Records read at once while listing.
const READS: usize = 16;
/// How long a listing of the old layout's job records is reused.
const RELIST: Duration = Duration::from_secs(30);

/// The old layout's job records as last listed and read, reused for
/// [`RELIST`]. Listing one folder level of `jobs/` takes a request per
/// thousand dramas on S3 and every job listing needs it; the records are
/// read-only here, so a listing a few seconds old is as good.
#[derive(Debug, Default)]
pub(crate) struct FlatJobListing(Mutex<Option<(Instant, Arc<Records>)>>);

/// Each old-layout record by path.
type Records = HashMap<String, Seen>;

/// A job record as the old server's later versions stored it.
#[derive(Deserialize)]
struct LegacyJob {
    job_id: String,
    drama_id: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    job_type: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    started_at: Option<Value>,
    #[serde(default)]
    completed_at: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    result: Option<Value>,
    #[serde(flatten)]
    extra: Object,
}

/// The key of the old-layout record of job `job_id`: `jobs/{jobId}.json`.
/// Its path names no drama (the record does), so any valid one builds it.
pub(super) fn job_key(job_id: &str) -> Result<Key> {
    Ok(Key::job(job_id, job_id)?.at_path(format!("{JOBS}{job_id}{SUFFIX}")))
}

/// What sfd calls a job type of the old server.
fn job_type(name: &str) -> std::result::Result<JobType, String> {
    match name {
        "image" | "filmstrip" => Ok(JobType::GenerateImage),
        "video" => Ok(JobType::GenerateVideo),
        "audio" => Ok(JobType::GenerateAudio),
        "drama" => Ok(JobType::RenderDrama),
        other => serde_json::from_value(Value::String(other.to_string()))
            .map_err(|_| format!("job type '{other}' is not one sfd knows")),
    }
}

/// What sfd calls a job status of the old server.
fn job_status(name: &str) -> Option<JobStatus> {
    Some(match name {
        "pending" | "queued" => JobStatus::Pending,
        "processing" | "running" | "in_progress" => JobStatus::Processing,
        "completed" | "done" | "succeeded" => JobStatus::Completed,
        "failed" | "error" => JobStatus::Failed,
        "cancelled" | "canceled" => JobStatus::Cancelled,
        _ => return None,
    })
}

/// Milliseconds since the epoch from a number (seconds or milliseconds)
/// or an ISO 8601 string in UTC, as Python's `isoformat()` writes it.
fn millis(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => {
            let x = n.as_f64()?;
            // Before 1973 in milliseconds is after 5000 in seconds: tell them apart by size.
            Some(if x < 1e11 { (x * 1000.0) as u64 } else { x as u64 })
        }
        Value::String(s) => {
            let s = s.trim();
            let s = s.strip_suffix("+00:00").unwrap_or(s);
            let t = humantime::parse_rfc3339_weak(s).ok()?;
            t.duration_since(std::time::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_millis() as u64)
        }
        _ => None,
    }
}

/// Reads an old-layout job record as an sfd job.
pub(super) fn parse(body: &[u8]) -> std::result::Result<Job, String> {
    let old: LegacyJob = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let type_name = old.kind.or(old.job_type).ok_or("the record has no job type")?;
    let mut job = Job::new(
        old.job_id,
        job_type(&type_name)?,
        old.drama_id,
        old.created_at.as_ref().and_then(millis).unwrap_or(0),
    );
    job.started_at = old.started_at.as_ref().and_then(millis);
    job.completed_at = old.completed_at.as_ref().and_then(millis);
    job.error = match old.error {
        Some(Value::String(e)) => Some(e),
        None | Some(Value::Null) => None,
        Some(other) => Some(other.to_string()),
    };
    job.result = match old.result {
        Some(Value::Object(o)) => Some(o),
        None | Some(Value::Null) => None,
        Some(other) => Some(Object::from_iter([("value".to_string(), other)])),
    };
    job.extra = old.extra;
    let status_name = old.status.unwrap_or_default();
    job.status = match job_status(&status_name) {
        Some(s) if s.is_terminal() => s,
        _ => {
            job.error = Some(format!(
                "this job was left '{status_name}' by the old server, which sfd does not resume; start it again"
            ));
            JobStatus::Failed
        }
    };
    job.extra.insert("legacyStatus".into(), Value::String(status_name));
    Ok(job)
}

impl ObjectStorage {
    /// Job `job_id` of drama `drama_id` from the old layout, if it is there
    /// and belongs to that drama.
    pub(super) async fn flat_job(&self, drama_id: &str, job_id: &str) -> Result<Option<Versioned<Job>>> {
        let key = job_key(job_id)?;
        let Some(stored) = self.get(&key).await? else {
            return Ok(None);
        };
        let value = parse(&stored.body).map_err(|reason| Error::Corrupt {
            key: key.path().to_string(),
            reason,
        })?;
        Ok((value.drama_id == drama_id).then_some(Versioned {
            value,
            version: stored.version,
        }))
    }
}

/// A record as last read: when it was written and how long it was (to
/// tell whether it changed since), and the job, if it could be read.
type Seen = (u64, u64, Option<Job>);

impl ObjectStorage {
    /// Every old-layout job of drama `drama_id`. The records are listed at
    /// most once per [`RELIST`], and each one is read again only when it
    /// changed, so a job listing costs no request per old record. A record
    /// that cannot be read is left out (and logged); reading it alone
    /// reports it.
    pub(super) async fn flat_jobs_of(&self, listing: &FlatJobListing, drama_id: &str) -> Result<Vec<Job>> {
        let cached = {
            let last = listing.0.lock().unwrap_or_else(PoisonError::into_inner);
            last.as_ref()
                .filter(|(at, _)| at.elapsed() < RELIST)
                .map(|(_, seen)| Arc::clone(seen))
        };
        let seen = match cached {
            Some(seen) => seen,
            None => self.relist_flat_jobs(listing).await?,
        };
        Ok(seen
            .values()
            .filter_map(|(_, _, job)| job.as_ref().filter(|j| j.drama_id == drama_id).cloned())
            .collect())
    }

    /// Lists the old layout's job records again, reading only new or changed ones.
    async fn relist_flat_jobs(&self, listing: &FlatJobListing) -> Result<Arc<Records>> {
        let before = {
            let last = listing.0.lock().unwrap_or_else(PoisonError::into_inner);
            last.as_ref().map(|(_, seen)| Arc::clone(seen)).unwrap_or_default()
        };
        let listed = self.list_folder(JOBS, None, usize::MAX).await?;
        let seen: Records = futures::stream::iter(listed)
            .map(|l| {
                let known = before
                    .get(&l.path)
                    .filter(|(at, size, _)| (*at, *size) == (l.updated_at, l.size))
                    .cloned();
                async move {
                    if let Some(known) = known {
                        return Ok::<_, Error>(Some((l.path, known)));
                    }
                    let Some(job_id) = Key::id_from_path(JOBS, &l.path) else {
                        return Ok(None);
                    };
                    let key = job_key(job_id)?;
                    let Read::Found(stored) = self.read(&key).await? else {
                        return Ok(None);
                    };
                    let job = parse(&stored.body)
                        .inspect_err(|reason| {
                            tracing::warn!(key = %l.path, %reason, "an old job record is unreadable; left out");
                        })
                        .ok();
                    Ok(Some((l.path, (l.updated_at, l.size, job))))
                }
            })
            .buffer_unordered(READS)
            .try_filter_map(|s| async move { Ok(s) })
            .try_collect()
            .await?;
        let seen = Arc::new(seen);
        *listing.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), Arc::clone(&seen)));
        Ok(seen)
    }

    /// The documents directly in folder `prefix` (one folder level, without
    /// going into sub-folders), in ascending path order.
    pub(super) async fn list_folder(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<Listed>> {
        let dir = Path::from(prefix.trim_end_matches('/'));
        let found = list_with_delimiter(&*self.store, &dir)
            .await
            .map_err(|e| Error::Storage {
                key: prefix.to_string(),
                source: Box::new(e),
            })?;
        let mut out: Vec<Listed> = found
            .into_iter()
            .filter(|m| m.size != TOMBSTONE.len() as u64)
            .map(|m| Listed {
                path: m.location.to_string(),
                updated_at: m.last_modified.timestamp_millis().max(0) as u64,
                size: m.size,
                version: m.e_tag.map(super::Version),
            })
            .filter(|l| {
                l.path.strip_prefix(prefix).is_some_and(|rest| rest.ends_with(SUFFIX))
                    && after.is_none_or(|a| l.path.as_str() > a)
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out.truncate(limit);
        Ok(out)
    }
}

async fn list_with_delimiter(
    store: &dyn ObjectStore,
    dir: &Path,
) -> object_store::Result<Vec<object_store::ObjectMeta>> {
    match store.list_with_delimiter(Some(dir)).await {
        Ok(r) => Ok(r.objects),
        // The local folder has no `jobs/` folder until the first job.
        Err(object_store::Error::NotFound { .. }) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn old_records_read_as_sfd_jobs() {
        let body = json!({
            "job_id": "job_abc", "drama_id": "d1", "type": "critique_drama", "status": "completed",
            "created_at": "2025-06-01T12:00:00.250000", "started_at": null,
            "completed_at": "2025-06-01T12:01:00", "error": null, "result": {"feedback": "good"}
        });
        let job = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(job.kind, JobType::CriticDrama);
        assert_eq!(job.status, JobStatus::Completed);
        assert_eq!(job.created_at, 1_748_779_200_250);
        assert_eq!(job.completed_at, Some(1_748_779_260_000));
        assert_eq!(job.result.unwrap()["feedback"], "good");
    }

    #[test]
    fn a_job_the_old_server_left_running_reads_as_failed() {
        let body = json!({"job_id": "job_x", "drama_id": "d1", "job_type": "drama", "status": "running",
                          "created_at": 1_700_000_000, "asset_id": "a1"});
        let job = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(job.kind, JobType::RenderDrama);
        assert_eq!(job.status, JobStatus::Failed);
        assert!(job.error.unwrap().contains("old server"));
        assert_eq!(job.created_at, 1_700_000_000_000);
        assert_eq!(job.extra["asset_id"], "a1");
        assert!(parse(br#"{"job_id":"j","drama_id":"d","type":"nonsense","status":"pending"}"#).is_err());
    }
}
