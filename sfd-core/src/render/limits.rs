//! [`ProviderLimit`]: one limit per provider for the whole process. Every
//! job using a provider shares its instance (the render config holds one
//! renderer per kind), so the bound is the provider's, not the job's; a
//! 429 or `Retry-After` from any call slows every job using it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::llm::pace::{Pace, paced};
use crate::llm::slot::waiting;

/// How many tasks a provider runs at once, and the pause it asked for.
#[derive(Debug)]
pub struct ProviderLimit {
    tasks: Arc<Semaphore>,
    size: usize,
    pace: Arc<Pace>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

/// One task's hold on its provider, released when dropped.
#[derive(Debug)]
pub struct TaskPermit<'a> {
    _permit: OwnedSemaphorePermit,
    limit: &'a ProviderLimit,
}

impl Drop for TaskPermit<'_> {
    fn drop(&mut self) {
        self.limit.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ProviderLimit {
    /// At most `tasks` tasks at once (at least 1).
    pub fn new(tasks: usize) -> Self {
        let size = tasks.max(1);
        ProviderLimit {
            tasks: Arc::new(Semaphore::new(size)),
            size,
            pace: Arc::default(),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// The limit.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Waits for a free place, held from the create call until the file is
    /// downloaded (or the task ends otherwise). The job waiting holds no
    /// job slot meanwhile: this limit is what bounds it.
    pub async fn task(&self) -> crate::Result<TaskPermit<'_>> {
        let permit = waiting(Arc::clone(&self.tasks).acquire_owned())
            .await
            .map_err(|_| crate::Error::Cancelled("the provider limit was closed".into()))?;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Ok(TaskPermit {
            _permit: permit,
            limit: self,
        })
    }

    /// The most tasks that were in flight together.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Every job using this provider waits `pause` before its next call.
    pub fn slow_down(&self, pause: Duration) {
        self.pace.hold(pause);
    }

    /// Whether a pause the provider asked for is on.
    pub fn paused(&self) -> bool {
        self.pace.paused_until().is_some()
    }

    /// Waits out a pause the provider asked for, if any.
    pub async fn ready(&self) {
        waiting(self.pace.ready()).await;
    }

    /// Runs `call` (a call to the provider) under this provider's pace: it
    /// waits out a pause any job was asked for, and a 429 or `Retry-After`
    /// it gets (on any retry) pauses every job using the provider.
    pub(crate) async fn paced<F: std::future::Future>(&self, call: F) -> F::Output {
        waiting(paced(&self.pace, async {
            self.pace.ready().await;
            call.await
        }))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn places_are_shared_and_a_pause_holds_every_caller() {
        let limit = ProviderLimit::new(2);
        let a = limit.task().await.unwrap();
        let b = limit.task().await.unwrap();
        assert!(
            tokio::time::timeout(Duration::ZERO, limit.task()).await.is_err(),
            "a third task got a place"
        );
        drop(a);
        let _c = limit.task().await.unwrap();
        drop(b);
        assert_eq!(limit.peak(), 2);
        // A pause holds the next call that long (the clock is paused).
        tokio::time::pause();
        limit.slow_down(Duration::from_secs(20));
        let start = tokio::time::Instant::now();
        limit.ready().await;
        assert!(start.elapsed() >= Duration::from_secs(20));
    }
}
