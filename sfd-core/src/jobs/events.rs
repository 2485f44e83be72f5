//! Live job events, published to subscribers in the same process.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::model::Job;

/// What happened to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobEventKind {
    /// The status changed (or this is the first snapshot).
    Status,
    /// The progress advanced.
    Progress,
}

/// One event: what happened, and the job as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEvent {
    /// What happened.
    pub kind: JobEventKind,
    /// The job after it happened.
    pub job: Job,
}

const CAPACITY: usize = 256;

/// Per-job broadcast channels, created on first use and dropped when the job ends.
#[derive(Debug, Default)]
pub(crate) struct EventHub {
    channels: Mutex<HashMap<String, broadcast::Sender<JobEvent>>>,
}

impl EventHub {
    pub(crate) fn subscribe(&self, job_id: &str) -> broadcast::Receiver<JobEvent> {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(job_id.to_string())
            .or_insert_with(|| broadcast::channel(CAPACITY).0)
            .subscribe()
    }

    pub(crate) fn publish(&self, kind: JobEventKind, job: &Job) {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = map.get(&job.job_id) {
            let _ = tx.send(JobEvent { kind, job: job.clone() });
            if job.status.is_terminal() || tx.receiver_count() == 0 {
                map.remove(&job.job_id);
            }
        }
    }
}
