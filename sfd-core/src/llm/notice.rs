//! Waits and retries deep inside a provider call, told to whoever runs the
//! work (a job shows them in its progress) without threading a callback
//! through every layer: the job scopes a receiver around its work, and a
//! call reports to the receiver of the work it runs in, if any.

use std::future::Future;
use std::sync::Arc;

/// One wait or retry of a provider call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    /// What happens, in words.
    pub text: String,
    /// Whether a request is being sent again.
    pub retry: bool,
}

/// Receives the notices of the work it is scoped around.
pub(crate) type Receiver = Arc<dyn Fn(Notice) + Send + Sync>;

tokio::task_local! {
    static RECEIVER: Receiver;
}

/// Runs `work`, sending its notices to `receiver`.
pub(crate) async fn reporting<F: Future>(receiver: Receiver, work: F) -> F::Output {
    RECEIVER.scope(receiver, work).await
}

/// Runs `work` with its notices prefixed by `prefix` (say, the stage and episode).
pub(crate) async fn prefixed<F: Future>(prefix: String, work: F) -> F::Output {
    match RECEIVER.try_with(Arc::clone) {
        Ok(outer) => {
            let inner: Receiver = Arc::new(move |n: Notice| {
                outer(Notice {
                    text: format!("{prefix}: {}", n.text),
                    ..n
                })
            });
            reporting(inner, work).await
        }
        Err(_) => work.await,
    }
}

/// Tells the receiver of the current work, if any.
pub(crate) fn notice(text: String, retry: bool) {
    let _ = RECEIVER.try_with(|r| r(Notice { text, retry }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test]
    async fn notices_reach_the_receiver_of_their_work_only() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let receiver: Receiver = Arc::new(move |n: Notice| sink.lock().unwrap().push(n));
        notice("before".into(), false);
        reporting(receiver, async {
            prefixed("episode ep2".into(), async { notice("attempt 2".into(), true) }).await;
            notice("plain".into(), false);
        })
        .await;
        notice("after".into(), false);
        let seen = seen.lock().unwrap();
        let texts: Vec<(&str, bool)> = seen.iter().map(|n| (n.text.as_str(), n.retry)).collect();
        assert_eq!(texts, [("episode ep2: attempt 2", true), ("plain", false)]);
    }
}
