//! The task ledger: the provider task a render of one asset waits on,
//! saved durably (`tasks/{dramaId}/{assetId}.json`) before the first poll.
//!
//! It is kept per asset, not per job, so a crash, a restart, a lease
//! taken over by another process and a cancelled job retried all find
//! the task that was paid for and poll it, instead of paying again. It is
//! removed once the file is stored and the asset saved, or when the task
//! failed (a failed task is not paid for, and the next render makes a new one).

use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::model::now_ms;
use crate::storage::{Key, Storage, Version, WriteMode};
use crate::{Error, Result};

/// One saved provider task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskRecord {
    /// The provider (`seedance`, `veo`, …).
    pub provider: String,
    /// The model.
    pub model: String,
    /// The hash of what was asked (prompt, inputs, length, frame): a
    /// changed request never resumes an old task.
    pub request_hash: String,
    /// Sent with the create call where the API takes one, and the handle
    /// to look the task up by when the create's answer was lost.
    pub idempotency_key: String,
    /// The provider's task id; `None` while the create call is unanswered.
    pub task_id: Option<String>,
    /// The job that created it.
    pub job_id: String,
    /// When the create call was sent (ms since the epoch).
    pub created_at: u64,
}

impl TaskRecord {
    /// Whether this record is for the same request to the same provider.
    pub fn is_for(&self, provider: &str, model: &str, request_hash: &str) -> bool {
        self.provider == provider && self.model == model && self.request_hash == request_hash
    }
}

/// The ledger entry of one asset of one drama.
#[derive(Debug, Clone)]
pub(crate) struct TaskLedger {
    storage: Arc<dyn Storage>,
    key: Key,
    job_id: String,
}

impl TaskLedger {
    /// The entry of `asset_id` in drama `drama_id`, written for `job_id`.
    pub fn new(storage: Arc<dyn Storage>, drama_id: &str, asset_id: &str, job_id: &str) -> Result<Self> {
        Ok(TaskLedger {
            storage,
            key: Key::render_task(drama_id, asset_id)?,
            job_id: job_id.to_string(),
        })
    }

    /// The saved task and its version, if any. A record that cannot be
    /// read is an error that says so (never a silent second payment).
    pub async fn load(&self) -> Result<Option<(TaskRecord, Version)>> {
        let Some(stored) = self.storage.get(&self.key).await? else {
            return Ok(None);
        };
        let record = serde_json::from_slice(&stored.body).map_err(|e| Error::Storage {
            key: self.key.path().to_string(),
            source: format!("the saved provider task cannot be read: {e}").into(),
        })?;
        Ok(Some((record, stored.version)))
    }

    /// A new record for a create about to be sent, replacing `previous`
    /// (compare-and-swap: [`Error::VersionMismatch`] or
    /// [`Error::AlreadyExists`] when another writer was first).
    pub async fn begin(
        &self,
        provider: &str,
        model: &str,
        request_hash: &str,
        previous: Option<&Version>,
    ) -> Result<(TaskRecord, Version)> {
        let record = TaskRecord {
            provider: provider.to_string(),
            model: model.to_string(),
            request_hash: request_hash.to_string(),
            idempotency_key: format!("sfd-{}", uuid::Uuid::new_v4().simple()),
            task_id: None,
            job_id: self.job_id.clone(),
            created_at: now_ms(),
        };
        let version = self.write(&record, previous).await?;
        Ok((record, version))
    }

    /// Records the provider's task id (before the first poll).
    pub async fn created(&self, mut record: TaskRecord, task_id: &str, version: &Version) -> Result<TaskRecord> {
        record.task_id = Some(task_id.to_string());
        self.write(&record, Some(version)).await?;
        Ok(record)
    }

    /// Removes the entry (the file is saved, or the task failed).
    pub async fn clear(&self) -> Result<()> {
        self.storage.delete(&self.key, None).await.map(|_| ())
    }

    async fn write(&self, record: &TaskRecord, previous: Option<&Version>) -> Result<Version> {
        let body = serde_json::to_vec(record).map_err(|e| Error::Storage {
            key: self.key.path().to_string(),
            source: e.to_string().into(),
        })?;
        let mode = match previous {
            Some(v) => WriteMode::Update(v.clone()),
            None => WriteMode::Create,
        };
        self.storage.put(&self.key, Bytes::from(body), mode).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StorageBuilder;

    #[tokio::test]
    async fn a_task_is_saved_found_and_cleared() {
        let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
        let ledger = TaskLedger::new(Arc::clone(&storage), "drama_l1", "sc1-vid", "job_a").unwrap();
        assert!(ledger.load().await.unwrap().is_none());
        let (rec, v) = ledger.begin("seedance", "m", "h1", None).await.unwrap();
        // A second writer that also saw nothing loses the race.
        assert!(ledger.begin("seedance", "m", "h1", None).await.is_err());
        ledger.created(rec, "cgt-1", &v).await.unwrap();
        let (found, _) = ledger.load().await.unwrap().unwrap();
        assert_eq!(found.task_id.as_deref(), Some("cgt-1"));
        assert!(found.is_for("seedance", "m", "h1") && !found.is_for("seedance", "m", "h2"));
        ledger.clear().await.unwrap();
        assert!(ledger.load().await.unwrap().is_none());
        assert!(TaskLedger::new(storage, "drama_l1", "../x", "j").is_err());
    }
}
