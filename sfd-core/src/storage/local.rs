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
    root: PathBuf,
    dir: PathBuf,
    stripes: KeyLocks,
    fsync: bool,
}

/// What a locked write found.
pub(crate) enum Outcome {
    /// Written; the new e-tag.
    Written(String),
    /// `Create`, but something is stored.
    Exists,
    /// `Update`, but the stored version is another one (or none).
    Mismatch(Option<String>),
}

/// The version of a local document: a hash of its content, so two different
/// contents never share a version (an `inode-mtime-size` tag can repeat:
/// same size, a reused inode, a coarse clock tick) and a stale `If-Match`
/// can never succeed. `"{first 16 bytes of SHA-256, hex}"`.
pub(crate) fn etag(body: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Held while a conditional write to the local folder is checked and done.
pub(crate) struct FileLockGuard {
    _file: File,
    _stripe: OwnedMutexGuard<()>,
}

impl FileLocks {
    pub(crate) fn new(root: PathBuf, fsync: bool) -> Self {
        FileLocks {
            dir: root.join(".locks"),
            root,
            stripes: KeyLocks::default(),
            fsync,
        }
    }

    /// A conditional write in one blocking step, under the key's locks:
    /// check the version, write a staging file, rename it into place.
    pub(crate) async fn write(&self, key: &Key, body: bytes::Bytes, mode: super::WriteMode) -> Result<Outcome> {
        use std::io::Write;
        let _stripe = self.stripes.lock(key).await;
        let lock_path = self.lock_path(key);
        let dest = self.root.join(key.path());
        let fsync = self.fsync;
        let run = move || -> std::io::Result<Outcome> {
            let _lock = open_locked(&lock_path)?;
            let current = match std::fs::read(&dest) {
                Ok(stored) => Some(etag(&stored)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            match (&mode, &current) {
                (super::WriteMode::Create, Some(_)) => return Ok(Outcome::Exists),
                (super::WriteMode::Update(v), cur)
                    if cur.as_ref().map(|c| super::Version::new(c.clone())) != Some(v.clone()) =>
                {
                    return Ok(Outcome::Mismatch(current));
                }
                _ => {}
            }
            let parent = dest
                .parent()
                .ok_or_else(|| std::io::Error::other("a key path has no folder"))?;
            let name = dest
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let staging = parent.join(format!("{name}#sfd-{}", uuid::Uuid::new_v4().simple()));
            let written = (|| -> std::io::Result<String> {
                let mut f = open_in_folder(&staging, OpenOptions::new().write(true).create_new(true))?;
                f.write_all(&body)?;
                if fsync {
                    f.sync_all()?;
                }
                let tag = etag(&body);
                std::fs::rename(&staging, &dest)?;
                if fsync {
                    File::open(parent)?.sync_all()?;
                }
                Ok(tag)
            })();
            if written.is_err() {
                let _ = std::fs::remove_file(&staging);
            }
            written.map(Outcome::Written)
        };
        tokio::task::spawn_blocking(run)
            .await
            .map_err(|e| storage_err(key, e))?
            .map_err(|e| storage_err(key, e))
    }

    /// Reads a document and its e-tag in one blocking step (no lock: a
    /// rename is atomic, so a reader sees the old file or the new one).
    pub(crate) async fn read(&self, key: &Key) -> Result<Option<(bytes::Bytes, String, u64)>> {
        use std::io::Read;
        let path = self.root.join(key.path());
        let run = move || -> std::io::Result<Option<(bytes::Bytes, String, u64)>> {
            let mut f = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            let meta = f.metadata()?;
            let mut buf = Vec::with_capacity(meta.len() as usize);
            f.read_to_end(&mut buf)?;
            let updated = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            let tag = etag(&buf);
            Ok(Some((bytes::Bytes::from(buf), tag, updated)))
        };
        tokio::task::spawn_blocking(run)
            .await
            .map_err(|e| storage_err(key, e))?
            .map_err(|e| storage_err(key, e))
    }

    fn lock_path(&self, key: &Key) -> PathBuf {
        // Key paths only hold `[A-Za-z0-9_./-]` with `/` as separator; flatten them.
        self.dir.join(format!("{}.lock", key.path().replace('/', "~")))
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

/// Opens `path`, creating its folder only when it is missing (once per
/// folder, not on every write).
fn open_in_folder(path: &std::path::Path, opts: &OpenOptions) -> std::io::Result<File> {
    match opts.open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            opts.open(path)
        }
        other => other,
    }
}

/// Opens (creating it if needed) and exclusively locks a lock file.
fn open_locked(path: &std::path::Path) -> std::io::Result<File> {
    let file = open_in_folder(path, OpenOptions::new().create(true).truncate(false).write(true))?;
    file.lock()?;
    Ok(file)
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
        let locks = Arc::new(FileLocks::new(dir.path().to_path_buf(), false));
        let key = Key::drama("d1").unwrap();
        let g = locks.lock(&key).await.unwrap();
        // A second lock on the same key from another FileLocks (as another
        // process would have) must not be granted while `g` is held.
        let other = FileLocks::new(dir.path().to_path_buf(), false);
        let path = dir.path().join(".locks/dramas~d1.json.lock");
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        assert!(f.try_lock().is_err());
        drop(g);
        assert!(f.try_lock().is_ok());
        drop(f);
        drop(other.lock(&key).await.unwrap());
    }
}
