//! Following a job: a snapshot, then every change, until the job ends or
//! its record is gone.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::broadcast;

use super::events::{JobEvent, JobEventKind};
use super::runner::{Inner, JobRunner};
use crate::model::Job;
use crate::storage::StorageExt;
use crate::{Error, Result};

/// What a fresh read of a followed job found.
enum Reread {
    /// It changed: here it is.
    Changed(Box<JobEvent>),
    /// Nothing new (or the store could not be read this time).
    Same,
    /// The record is gone: the stream ends.
    Gone,
}

/// The state of one subscription; releases its event channel when dropped.
struct Following {
    rx: broadcast::Receiver<JobEvent>,
    inner: Arc<Inner>,
    last: Job,
    first: Option<JobEvent>,
    done: bool,
}

impl Drop for Following {
    fn drop(&mut self) {
        // This subscription's receiver is the one still counted.
        self.inner.events.release(&self.last.job_id, 1);
    }
}

impl JobRunner {
    /// Events of a job: first a snapshot, then every change, ending with the
    /// final status, or as soon as the job's record is gone. Jobs run by
    /// another process are followed by polling.
    pub async fn subscribe(&self, drama_id: &str, job_id: &str) -> Result<BoxStream<'static, JobEvent>> {
        let inner = Arc::clone(&self.inner);
        let rx = inner.events.subscribe(job_id);
        let first = match self.get(drama_id, job_id).await {
            Ok(job) => job,
            Err(e) => {
                // No subscription after all: drop the channel made for it.
                drop(rx);
                inner.events.release(job_id, 0);
                return Err(e);
            }
        };
        let state = Following {
            rx,
            inner,
            last: first.clone(),
            first: Some(JobEvent {
                kind: JobEventKind::Status,
                job: first,
            }),
            done: false,
        };
        Ok(futures::stream::unfold(state, |mut st| async move {
            if st.done {
                return None;
            }
            if let Some(ev) = st.first.take() {
                st.done = ev.job.status.is_terminal();
                return Some((ev, st));
            }
            loop {
                let poll = tokio::time::sleep(st.inner.config.poll_interval);
                let found = tokio::select! {
                    r = st.rx.recv() => match r {
                        Ok(ev) => Reread::Changed(Box::new(ev)),
                        Err(broadcast::error::RecvError::Lagged(_)) => Reread::Same,
                        Err(broadcast::error::RecvError::Closed) => {
                            st.rx = st.inner.events.subscribe(&st.last.job_id);
                            st.inner.reread(&st.last).await
                        }
                    },
                    _ = poll => st.inner.reread(&st.last).await,
                };
                match found {
                    Reread::Changed(ev) => {
                        st.last = ev.job.clone();
                        st.done = ev.job.status.is_terminal();
                        return Some((*ev, st));
                    }
                    Reread::Same => {}
                    Reread::Gone => return None,
                }
            }
        })
        .boxed())
    }
}

impl Inner {
    /// Reads the job again and compares it with `last`.
    async fn reread(&self, last: &Job) -> Reread {
        match self.storage.get_job(&last.drama_id, &last.job_id).await {
            Ok(now) if now.value.status != last.status || now.value.progress != last.progress => {
                Reread::Changed(Box::new(JobEvent {
                    kind: JobEventKind::Status,
                    job: now.value,
                }))
            }
            Ok(_) => Reread::Same,
            Err(Error::NotFound { .. }) => Reread::Gone,
            Err(e) => {
                tracing::debug!(job = %last.job_id, error = %e, "could not read a followed job; trying again");
                Reread::Same
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::jobs::RunnerConfig;
    use crate::model::{JobStatus, JobType};
    use crate::storage::{Key, Storage, StorageBuilder, WriteMode};

    fn runner() -> (Arc<dyn Storage>, JobRunner) {
        let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
        let config = RunnerConfig {
            poll_interval: Duration::from_millis(10),
            ..Default::default()
        };
        (Arc::clone(&storage), JobRunner::start(storage, None, config))
    }

    #[tokio::test]
    async fn subscribing_to_an_unknown_job_leaves_no_channel() {
        let (_, runner) = runner();
        for _ in 0..3 {
            let e = runner.subscribe("d", "job_nope").await.err().unwrap();
            assert!(e.is_not_found());
        }
        assert_eq!(runner.inner.events.len(), 0);
    }

    #[tokio::test]
    async fn a_stream_ends_when_the_job_record_vanishes() {
        let (storage, runner) = runner();
        // A pending record with no queue entry: nothing will ever run it.
        let job = Job::new("job_orphan", JobType::GenerateDrama, "d", 1);
        storage.put_job(&job, WriteMode::Create).await.unwrap();
        let mut events = runner.subscribe("d", "job_orphan").await.unwrap();
        assert_eq!(events.next().await.unwrap().job.status, JobStatus::Pending);
        storage
            .delete(&Key::job("d", "job_orphan").unwrap(), None)
            .await
            .unwrap();
        assert!(events.next().await.is_none());
        drop(events);
        assert_eq!(runner.inner.events.len(), 0);
    }
}
