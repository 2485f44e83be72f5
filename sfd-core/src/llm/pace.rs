//! [`Pace`]: a pause a provider asked for (`Retry-After`, or a 429 without
//! one), shared by every call to that provider in the process, so one job
//! told to slow down slows every job using the provider, not just its own
//! next call.
//!
//! The owner of a provider's shared limit (a render provider's
//! `ProviderLimit`, the LLM client) scopes its pace around the calls it
//! makes with [`paced`]; every request [`super::http`] sends waits out the
//! pace of the work it runs in, and a 429 holds that pace for everyone.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// When the provider may be called again.
#[derive(Debug, Default)]
pub(crate) struct Pace {
    until: Mutex<Option<Instant>>,
}

tokio::task_local! {
    static PACE: Arc<Pace>;
}

impl Pace {
    /// Holds every caller for `pause` from now (a longer pause already
    /// asked for stands).
    pub(crate) fn hold(&self, pause: Duration) {
        let until = Instant::now() + pause;
        let mut u = self.until.lock().unwrap_or_else(|e| e.into_inner());
        if u.is_none_or(|t| t < until) {
            *u = Some(until);
        }
    }

    /// When the pause asked for ends, if it is still on.
    pub(crate) fn paused_until(&self) -> Option<Instant> {
        let until = *self.until.lock().unwrap_or_else(|e| e.into_inner());
        until.filter(|t| *t > Instant::now())
    }

    /// Waits out the pause asked for, if any (again if it grew meanwhile).
    pub(crate) async fn ready(&self) {
        while let Some(t) = self.paused_until() {
            tokio::time::sleep_until(t).await;
        }
    }
}

/// Runs `work` with its requests under `pace`; a pace already scoped
/// around the work (the provider's shared limit) stays in force.
pub(crate) async fn paced<F: Future>(pace: &Arc<Pace>, work: F) -> F::Output {
    if PACE.try_with(|_| ()).is_ok() {
        work.await
    } else {
        PACE.scope(Arc::clone(pace), work).await
    }
}

/// The pace of the current work, if any.
pub(crate) fn current() -> Option<Arc<Pace>> {
    PACE.try_with(Arc::clone).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_hold_delays_every_caller_and_the_longest_stands() {
        let pace = Arc::new(Pace::default());
        pace.hold(Duration::from_secs(5));
        pace.hold(Duration::from_secs(1));
        let start = Instant::now();
        pace.ready().await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        assert!(pace.paused_until().is_none());
        let inner = Arc::new(Pace::default());
        paced(&pace, async {
            paced(&inner, async {
                assert!(Arc::ptr_eq(&current().unwrap(), &pace), "the outer pace stays");
            })
            .await
        })
        .await;
    }
}
