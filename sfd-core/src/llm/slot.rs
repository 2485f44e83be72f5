//! A job's slot, given back while the job only waits on a provider.
//!
//! A runner's slots (`SFD_JOB_CONCURRENCY`) bound the jobs *working* at
//! once: writing documents, cutting media, parsing answers. A job that is
//! only waiting (on an LLM answer, a provider's task, a place under a
//! provider's limit, a pause the provider asked for) holds no slot, so it
//! never starves the jobs behind it; what bounds waiting work is each
//! provider's own limit. The runner scopes a [`WorkSlot`] around a job's
//! work; every wait on a provider runs inside [`waiting`], which gives the
//! slot back for its length and takes one again (waiting its turn) before
//! the job goes on working.
//!
//! The slot also keeps the job's work clock: it runs only while the job
//! works (holds its slot), so [`watchdog`] bounds the time a job works
//! (`SFD_JOB_TIMEOUT`), never the time it waits in the queue, on
//! providers or for a slot to work on again.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The slot of one job: held while it works, given back while it waits.
#[derive(Debug)]
pub(crate) struct WorkSlot {
    slots: Arc<Semaphore>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    permit: Option<OwnedSemaphorePermit>,
    /// Waits in progress (branches of one job may wait together).
    waits: usize,
    /// Time worked before the current stretch of work.
    worked: Duration,
    /// When the current stretch of work began (`None` while waiting).
    since: Option<Instant>,
}

impl State {
    fn worked(&self) -> Duration {
        self.worked + self.since.map_or(Duration::ZERO, |t| t.elapsed())
    }
}

tokio::task_local! {
    static SLOT: Arc<WorkSlot>;
}

impl WorkSlot {
    /// A job's slot, once one of `slots` is free (at once when they were
    /// closed: the runner is stopping and the job finishes).
    pub(crate) async fn take(slots: Arc<Semaphore>) -> Arc<Self> {
        let permit = Arc::clone(&slots).acquire_owned().await.ok();
        Arc::new(WorkSlot {
            slots,
            state: Mutex::new(State {
                permit,
                waits: 0,
                worked: Duration::ZERO,
                since: Some(Instant::now()),
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the job holds its slot now.
    #[cfg(test)]
    pub(crate) fn held(&self) -> bool {
        self.state().permit.is_some()
    }

    /// How long the job has worked (held its slot) so far.
    pub(crate) fn worked(&self) -> Duration {
        self.state().worked()
    }

    fn release(&self) {
        let mut s = self.state();
        s.waits += 1;
        if s.waits == 1 {
            s.permit = None;
            s.worked = s.worked();
            s.since = None;
        }
    }

    /// The last wait ended: takes a slot again before working on.
    async fn resume(&self) {
        if !self.end_wait() {
            return;
        }
        // A closed semaphore (the runner stopping) lets the job finish.
        let permit = Arc::clone(&self.slots).acquire_owned().await.ok();
        let mut s = self.state();
        if s.waits == 0 && s.since.is_none() {
            s.permit = permit;
            s.since = Some(Instant::now());
        }
    }

    /// Ends one wait; true when it was the last.
    fn end_wait(&self) -> bool {
        let mut s = self.state();
        s.waits = s.waits.saturating_sub(1);
        s.waits == 0
    }
}

/// Ends a wait whose future was dropped (a cancelled or timed-out job).
struct Waiting<'a>(&'a WorkSlot, bool);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if !self.1 {
            self.0.end_wait();
        }
    }
}

/// Runs a job's `work` holding `slot`.
pub(crate) async fn working<F: Future>(slot: Arc<WorkSlot>, work: F) -> F::Output {
    SLOT.scope(slot, work).await
}

/// Ends once `slot`'s job has worked longer than `limit`: raced against
/// the job's work, it stops a job that works too long, however long it
/// waits. It sleeps until the work left could be used up, then looks again.
pub(crate) async fn watchdog(slot: &WorkSlot, limit: Duration) {
    loop {
        let worked = slot.worked();
        if worked >= limit {
            return;
        }
        tokio::time::sleep(limit - worked).await;
    }
}

/// `task`, to be spawned by a job, run as part of that job: its waits
/// give the job's slot back and its work counts on the job's clock (a
/// spawned task does not see the job's slot otherwise).
pub(crate) fn carried<F: Future>(task: F) -> impl Future<Output = F::Output> {
    let slot = SLOT.try_with(Arc::clone).ok();
    async move {
        match slot {
            Some(slot) => SLOT.scope(slot, task).await,
            None => task.await,
        }
    }
}

/// Runs `wait` (a wait on a provider) without holding the job's slot.
/// Outside a job, or nested in another wait, it only runs `wait`.
pub(crate) async fn waiting<F: Future>(wait: F) -> F::Output {
    let Ok(slot) = SLOT.try_with(Arc::clone) else {
        return wait.await;
    };
    slot.release();
    let mut guard = Waiting(&slot, false);
    let out = wait.await;
    guard.1 = true;
    slot.resume().await;
    out
}

/// An [`Llm`](super::Llm) whose calls are waits: a job awaiting an answer
/// holds no slot, whatever the client (the HTTP one waits anyway; this
/// covers every other, such as a scripted or simulated model).
#[derive(Debug)]
pub(crate) struct WaitingLlm(Arc<dyn super::Llm>);

impl WaitingLlm {
    /// `llm`, its calls run as waits.
    pub(crate) fn wrap(llm: Arc<dyn super::Llm>) -> Arc<dyn super::Llm> {
        Arc::new(WaitingLlm(llm))
    }
}

#[async_trait::async_trait]
impl super::Llm for WaitingLlm {
    async fn chat(&self, request: super::ChatRequest) -> crate::Result<super::ChatResponse> {
        waiting(self.0.chat(request)).await
    }

    fn model(&self) -> &str {
        self.0.model()
    }

    fn provider(&self) -> &str {
        self.0.provider()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[tokio::test]
    async fn a_waiting_job_gives_its_slot_back_and_takes_one_before_working_on() {
        let slots = Arc::new(Semaphore::new(1));
        let slot = WorkSlot::take(Arc::clone(&slots)).await;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let job = working(Arc::clone(&slot), async {
            // Two branches wait together; the slot comes back once, after both.
            let (a, b) = futures::join!(waiting(rx), waiting(async { 7 }));
            (a.is_ok(), b)
        });
        let mut job = Box::pin(job);
        assert!((&mut job).now_or_never().is_none());
        assert!(!slot.held(), "a waiting job holds no slot");
        // Another job takes the free slot; the first cannot work on until it is back.
        let other = Arc::clone(&slots).acquire_owned().await.unwrap();
        tx.send(()).unwrap();
        assert!((&mut job).now_or_never().is_none(), "it waits for a slot to work on");
        drop(other);
        assert_eq!(job.await, (true, 7));
        assert!(slot.held());
        assert_eq!(waiting(async { 1 }).await, 1, "outside a job it only waits");
    }
}
