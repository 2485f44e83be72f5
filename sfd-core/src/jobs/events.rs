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

const CAPACITY: usize = 64;

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

    /// Drops the channel of a job once its last subscriber is gone
    /// (called when a subscription ends; `receivers` is how many the caller still holds).
    pub(crate) fn release(&self, job_id: &str, receivers: usize) {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(job_id).is_some_and(|tx| tx.receiver_count() <= receivers) {
            map.remove(job_id);
        }
    }

    /// How many jobs have a channel (for tests of clean-up).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.channels.lock().unwrap_or_else(|e| e.into_inner()).len()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{JobStatus, JobType};

    #[test]
    fn channels_go_away_with_their_last_subscriber_or_the_end_of_the_job() {
        let hub = EventHub::default();
        let mut job = Job::new("j1", JobType::GenerateDrama, "d", 1);
        let rx = hub.subscribe("j1");
        hub.publish(JobEventKind::Status, &job);
        assert_eq!(hub.len(), 1);
        hub.release("j1", 1);
        assert_eq!(hub.len(), 0);
        drop(rx);
        let _rx = hub.subscribe("j1");
        job.status = JobStatus::Completed;
        hub.publish(JobEventKind::Status, &job);
        assert_eq!(hub.len(), 0);
    }
}
