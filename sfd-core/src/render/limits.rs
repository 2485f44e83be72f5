//! [`ProviderLimit`]: one limit per provider for the whole process. Every
//! job using a provider shares its instance (the render config holds one
//! renderer per kind), so the bound is the provider's, not the job's; a
//! 429 or `Retry-After` from any call slows every job using it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How many tasks a provider runs at once, and the pause it asked for.
#[derive(Debug)]
pub struct ProviderLimit {
    tasks: Arc<Semaphore>,
    size: usize,
    paused_until: std::sync::Mutex<Option<Instant>>,
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
            paused_until: std::sync::Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// The limit.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Waits for a free place, held from the create call until the file is
    /// downloaded (or the task ends otherwise).
    pub async fn task(&self) -> crate::Result<TaskPermit<'_>> {
        let permit = Arc::clone(&self.tasks)
            .acquire_owned()
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
        let until = Instant::now() + pause;
        let mut p = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if p.is_none_or(|t| t < until) {
            *p = Some(until);
        }
    }

    /// Waits out a pause the provider asked for, if any.
    pub async fn ready(&self) {
        let until = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = until
            && t > Instant::now()
        {
            tokio::time::sleep_until(t).await;
        }
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
        // A pause holds the next call at least that long (a lower bound only).
        limit.slow_down(Duration::from_millis(20));
        let start = Instant::now();
        limit.ready().await;
        assert!(start.elapsed() >= Duration::from_millis(20));
    }
}
