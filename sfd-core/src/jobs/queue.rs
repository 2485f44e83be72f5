//! The durable work queue: one small object per unfinished job,
//! `queue/{createdAt}.{dramaId}.{jobId}.json`, listed oldest first.
//!
//! The job record stays the source of truth (status, lease); a queue entry
//! only says where to look, so runners never list every job ever made and
//! never hold the backlog in memory.

use bytes::Bytes;

use crate::Result;
use crate::model::Job;
use crate::model::id::is_valid_id;
use crate::storage::{Key, Storage, WriteMode};

pub(crate) const PREFIX: &str = "queue/";

/// The queue key of a job.
pub(crate) fn key(job: &Job) -> Result<Key> {
    Key::queue(&format!("{:013}.{}.{}", job.created_at, job.drama_id, job.job_id))
}

/// The drama and job ids named by a queue entry's path.
pub(crate) fn parse(path: &str) -> Option<(String, String)> {
    let name = path.strip_prefix(PREFIX)?.strip_suffix(".json")?;
    let mut parts = name.split('.');
    let (_, drama, job) = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && is_valid_id(drama) && is_valid_id(job)).then(|| (drama.to_string(), job.to_string()))
}

pub(crate) async fn push(storage: &dyn Storage, job: &Job) -> Result<()> {
    match storage
        .put(&key(job)?, Bytes::from_static(b"{}"), WriteMode::Create)
        .await
    {
        Ok(_) | Err(crate::Error::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

pub(crate) async fn remove(storage: &dyn Storage, job: &Job) {
    if let Ok(k) = key(job)
        && let Err(e) = storage.delete(&k, None).await
    {
        tracing::warn!(job = %job.job_id, error = %e, "could not remove a queue entry; it will be cleaned up later");
    }
}

/// Moves a queue entry that cannot be used (its name names no job, or its
/// job record is unreadable) to `dead-letter/`, with the reason, so runners
/// stop reading it and an operator can look at it. False when the entry's
/// name cannot even form a key (it was not written by sfd).
pub(crate) async fn dead_letter(storage: &dyn Storage, path: &str, reason: &str) -> bool {
    let name = path.trim_start_matches(PREFIX).trim_end_matches(".json");
    let (Ok(entry), Ok(aside)) = (Key::queue(name), Key::dead_letter(name)) else {
        return false;
    };
    let note = serde_json::json!({"entry": path, "reason": reason, "movedAt": crate::model::now_ms()});
    let moved = storage
        .put(&aside, Bytes::from(note.to_string()), WriteMode::Overwrite)
        .await;
    match moved {
        Ok(_) => {
            tracing::error!(
                entry = path,
                reason,
                aside = aside.path(),
                "moved an unusable queue entry aside"
            );
            let _ = storage.delete(&entry, None).await;
            true
        }
        Err(e) => {
            tracing::warn!(entry = path, error = %e, "could not move an unusable queue entry aside");
            false
        }
    }
}

/// Removes a queue entry by path (an entry whose job is gone or finished).
pub(crate) async fn remove_path(storage: &dyn Storage, path: &str) {
    let name = path.trim_start_matches(PREFIX).trim_end_matches(".json");
    if let Ok(k) = Key::queue(name) {
        let _ = storage.delete(&k, None).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JobType;

    #[test]
    fn keys_sort_by_time_and_parse_back() {
        let a = Job::new("job_a", JobType::GenerateDrama, "d-1", 5);
        let b = Job::new("job_b", JobType::GenerateDrama, "d_2", 40);
        let (ka, kb) = (key(&a).unwrap(), key(&b).unwrap());
        assert!(ka.path() < kb.path());
        assert_eq!(parse(ka.path()), Some(("d-1".into(), "job_a".into())));
        assert_eq!(parse("queue/x.json"), None);
        assert_eq!(parse("queue/1.a.b/c.json"), None);
    }
}
