//! Whose turn it is to render a drama: renders of one drama in one process
//! run one after another, renders of different dramas side by side.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::storage::Storage;

/// A drama (on one store) and the lock of its renders, kept only while used.
type Turns = Mutex<HashMap<String, Weak<AsyncMutex<()>>>>;

static TURNS: LazyLock<Turns> = LazyLock::new(Turns::default);

/// Waits for the turn to render `drama_id` on `storage`; the turn passes on
/// when the guard is dropped (the render ended, failed or was cancelled).
pub(crate) async fn wait(storage: &dyn Storage, drama_id: &str) -> OwnedMutexGuard<()> {
    let key = format!("{}\u{0}{drama_id}", storage.describe());
    let lock = {
        let mut turns = TURNS.lock().unwrap_or_else(|e| e.into_inner());
        turns.retain(|_, w| w.strong_count() > 0);
        match turns.get(&key).and_then(Weak::upgrade) {
            Some(lock) => lock,
            None => {
                let lock = Arc::new(AsyncMutex::new(()));
                turns.insert(key, Arc::downgrade(&lock));
                lock
            }
        }
    };
    lock.lock_owned().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StorageBuilder;

    #[tokio::test]
    async fn one_drama_waits_and_others_do_not() {
        let storage = StorageBuilder::memory().build().unwrap();
        let first = wait(&storage, "d1").await;
        // Another drama's turn comes at once.
        let _other = wait(&storage, "d2").await;
        let mut second = Box::pin(wait(&storage, "d1"));
        assert!(futures::poll!(&mut second).is_pending());
        drop(first);
        let _second = second.await;
        assert!(TURNS.lock().unwrap().len() <= 2);
    }
}
