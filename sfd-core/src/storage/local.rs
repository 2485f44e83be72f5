//! Locks: in-process key locks, and the cross-process file locks that give
//! the local folder the compare-and-swap `LocalFileSystem` lacks.

use std::collections::hash_map::DefaultHasher;
use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard};

use super::Key;
use crate::{Error, Result};

const STRIPES: usize = 256;

/// A fixed table of async mutexes, picked by hashing the key.
///
/// Two keys may share a stripe; that only serialises them, never deadlocks,
/// because a holder never takes a second stripe.
#[derive(Debug)]
pub struct KeyLocks {
    stripes: Box<[Arc<Mutex<()>>]>,
}

impl Default for KeyLocks {
    fn default() -> Self {
        KeyLocks {
            stripes: (0..STRIPES).map(|_| Arc::new(Mutex::new(()))).collect(),
        }
    }
}

impl KeyLocks {
    /// Waits for the lock of `key`.
    pub async fn lock(&self, key: &Key) -> OwnedMutexGuard<()> {
        let mut h = DefaultHasher::new();
        key.path().hash(&mut h);
        let stripe = &self.stripes[(h.finish() as usize) % self.stripes.len()];
        Arc::clone(stripe).lock_owned().await
    }
}

/// Per-key exclusive locks that hold across threads and OS processes:
/// an in-process stripe first (so one process queues its own writers
/// without parking blocking threads), then `flock` on a lock file.
#[derive(Debug)]
pub(crate) struct FileLocks {
    dir: PathBuf,
    stripes: KeyLocks,
}

/// Held while a conditional write to the local folder is checked and done.
pub(crate) struct FileLockGuard {
    _file: File,
    _stripe: OwnedMutexGuard<()>,
}

impl FileLocks {
    pub(crate) fn new(root: PathBuf) -> Self {
        FileLocks {
            dir: root.join(".locks"),
            stripes: KeyLocks::default(),
        }
    }

    pub(crate) async fn lock(&self, key: &Key) -> Result<FileLockGuard> {
        let stripe = self.stripes.lock(key).await;
        // Key paths only hold `[A-Za-z0-9_./-]` with `/` as separator; flatten them.
        let path = self.dir.join(format!("{}.lock", key.path().replace('/', "~")));
        let file = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .map_err(|e| storage_err(key, e))?
        .map_err(|e| storage_err(key, e))?;
        Ok(FileLockGuard {
            _file: file,
            _stripe: stripe,
        })
    }
}

fn storage_err(key: &Key, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Storage {
        key: key.path().to_string(),
        source: Box::new(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_locks_exclude_each_other_and_release_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let locks = Arc::new(FileLocks::new(dir.path().to_path_buf()));
        let key = Key::drama("d1").unwrap();
        let g = locks.lock(&key).await.unwrap();
        // A second lock on the same key from another FileLocks (as another
        // process would have) must not be granted while `g` is held.
        let other = FileLocks::new(dir.path().to_path_buf());
        let path = dir.path().join(".locks/dramas~d1.json.lock");
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        assert!(f.try_lock().is_err());
        drop(g);
        assert!(f.try_lock().is_ok());
        drop(f);
        drop(other.lock(&key).await.unwrap());
    }
}
