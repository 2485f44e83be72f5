//! Reads of one key that overlap share one round trip to the store.
//!
//! A read waits for a fetch that *started after it arrived*, never for an
//! older one, so it still sees every write that finished before it began
//! (the validated cache's promise); meanwhile the other readers of the key
//! queue behind that fetch and take its answer. Under load a key costs one
//! store request per round trip instead of one per read.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::Stored;
use crate::Result;

/// The answer of the last fetch of a key and when it started.
#[derive(Debug, Clone)]
struct Landed {
    started: u64,
    found: Option<Stored>,
}

type Gate = Arc<tokio::sync::Mutex<Option<Landed>>>;

/// The fetches in flight, by key path.
#[derive(Debug, Default)]
pub(crate) struct Flights {
    clock: AtomicU64,
    gates: Mutex<HashMap<String, Gate>>,
}

/// How a read was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// By its own fetch.
    Fetched,
    /// By a fetch another read started after this one arrived.
    Shared,
}

impl Flights {
    fn gates(&self) -> std::sync::MutexGuard<'_, HashMap<String, Gate>> {
        self.gates.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads `path` with `fetch`, or takes the answer of a fetch of it that
    /// started after this call did.
    pub(crate) async fn read<F, Fut>(&self, path: &str, fetch: F) -> Result<(Option<Stored>, Answer)>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<Stored>>>,
    {
        let arrived = self.clock.fetch_add(1, Ordering::SeqCst);
        let gate = Arc::clone(self.gates().entry(path.to_string()).or_default());
        // Leaves the map tidy however this read ends, cancelled included.
        let _leave = Leave {
            flights: self,
            path,
            gate: Arc::clone(&gate),
        };
        {
            let mut last = gate.lock().await;
            match &*last {
                Some(l) if l.started > arrived => Ok((l.found.clone(), Answer::Shared)),
                _ => {
                    let started = self.clock.fetch_add(1, Ordering::SeqCst);
                    let read = fetch().await;
                    if let Ok(found) = &read {
                        *last = Some(Landed {
                            started,
                            found: found.clone(),
                        });
                    }
                    read.map(|found| (found, Answer::Fetched))
                }
            }
        }
    }
}

/// Takes a key's gate out of the map when its last reader leaves.
struct Leave<'a> {
    flights: &'a Flights,
    path: &'a str,
    gate: Gate,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        let mut gates = self.flights.gates();
        // The map's, this guard's and the reader's own handle: no one else.
        if Arc::strong_count(&self.gate) == 3 {
            gates.remove(self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::sync::atomic::AtomicUsize;
    use tokio::sync::oneshot;

    fn stored(body: &'static str) -> Stored {
        Stored {
            body: Bytes::from_static(body.as_bytes()),
            version: super::super::Version::new(body),
            updated_at: 0,
        }
    }

    #[tokio::test]
    async fn overlapping_reads_share_a_later_fetch_and_never_an_earlier_one() {
        let flights = Arc::new(Flights::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        // A first read whose fetch is held open.
        let (release, held) = oneshot::channel::<()>();
        let (entered_tx, entered) = oneshot::channel::<()>();
        let first = {
            let (flights, fetches) = (Arc::clone(&flights), Arc::clone(&fetches));
            tokio::spawn(async move {
                flights
                    .read("dramas/a.json", || async move {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        let _ = entered_tx.send(());
                        let _ = held.await;
                        Ok(Some(stored("old")))
                    })
                    .await
            })
        };
        entered.await.unwrap();
        // Reads arriving while it is in flight must not take its (older) answer.
        let later: Vec<_> = (0..8)
            .map(|_| {
                let (flights, fetches) = (Arc::clone(&flights), Arc::clone(&fetches));
                tokio::spawn(async move {
                    flights
                        .read("dramas/a.json", || async move {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            Ok(Some(stored("new")))
                        })
                        .await
                })
            })
            .collect();
        // Let each of them reach the gate (two handles each: its own and its
        // guard's) before the first fetch lands.
        while Arc::strong_count(flights.gates().get("dramas/a.json").unwrap()) < 1 + 2 * 9 {
            tokio::task::yield_now().await;
        }
        release.send(()).unwrap();
        let (first, _) = first.await.unwrap().unwrap();
        assert_eq!(first.unwrap().body, "old");
        let mut answers = Vec::new();
        for l in later {
            let (found, answer) = l.await.unwrap().unwrap();
            assert_eq!(found.unwrap().body, "new");
            answers.push(answer);
        }
        // One of them fetched again; the other seven shared its answer.
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        assert_eq!(answers.iter().filter(|a| **a == Answer::Shared).count(), 7);
        assert!(flights.gates().is_empty(), "the gate is gone with its last reader");
    }
}
