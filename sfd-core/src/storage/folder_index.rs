//! [`FolderIndex`]: listings of the local folder that do not read the
//! whole directory for every page.
//!
//! `LocalFileSystem` lists a folder by walking and sorting all of it, so a
//! page costs as much as the folder is large. Here the names of a folder
//! (with their times and sizes) are read once and kept sorted in memory; a
//! page is then a range of that snapshot. The snapshot is used only while
//! the folder's own modification time is the one it was taken at: every
//! write, rename or removal in the folder, by any process, changes it. A
//! snapshot taken within [`RACY`] of the folder's last change is used once
//! and read again next time, since a change in the same clock tick would
//! leave the time as it was.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::Listed;
use super::key::SUFFIX;
use crate::{Error, Result};

/// How recent a folder change may be for a snapshot to be trusted again.
const RACY: Duration = Duration::from_secs(2);

/// Per folder, its sorted names with time and size (see the module docs).
#[derive(Debug)]
pub(crate) struct FolderIndex {
    root: PathBuf,
    /// The folders indexed (listing prefixes such as `dramas/`).
    prefixes: &'static [&'static str],
    /// A prefix whose sub-folders may each hold one document of this name,
    /// listed as `{sub-folder}.json` (the old server's later layout).
    nested: Option<(&'static str, &'static str)>,
    snapshots: Mutex<HashMap<String, Arc<Snapshot>>>,
}

#[derive(Debug)]
struct Snapshot {
    /// The folder's modification time when read.
    mtime: SystemTime,
    /// Whether it may be used again while `mtime` holds.
    reusable: bool,
    /// File name → (updated ms, size).
    entries: BTreeMap<String, (u64, u64)>,
}

impl FolderIndex {
    pub(crate) fn new(root: PathBuf, prefixes: &'static [&'static str]) -> Self {
        FolderIndex {
            root,
            prefixes,
            nested: None,
            snapshots: Mutex::new(HashMap::new()),
        }
    }

    /// Lists `{prefix}{name}/{document}` as `{prefix}{name}.json` too, unless
    /// `{prefix}{name}.json` itself exists.
    pub(crate) fn with_nested_document(mut self, prefix: &'static str, document: &'static str) -> Self {
        self.nested = Some((prefix, document));
        self
    }

    /// Whether listings of `prefix` go through the index.
    pub(crate) fn covers(&self, prefix: &str) -> bool {
        self.prefixes.contains(&prefix)
    }

    /// Up to `limit` documents directly under `prefix` whose path sorts
    /// after `after`, in ascending order, skipping those `keep` refuses.
    pub(crate) async fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&Listed) -> bool,
    ) -> Result<Vec<Listed>> {
        let snapshot = self.snapshot(prefix).await?;
        let start = match after.and_then(|a| a.strip_prefix(prefix)) {
            Some(name) => Bound::Excluded(name.to_string()),
            None if after.is_some_and(|a| a >= prefix) => return Ok(Vec::new()),
            None => Bound::Unbounded,
        };
        Ok(snapshot
            .entries
            .range((start, Bound::Unbounded))
            .map(|(name, &(updated_at, size))| Listed {
                path: format!("{prefix}{name}"),
                updated_at,
                size,
                version: None,
            })
            .filter(|l| keep(l))
            .take(limit)
            .collect())
    }

    async fn snapshot(&self, prefix: &str) -> Result<Arc<Snapshot>> {
        let dir = self.root.join(prefix.trim_end_matches('/'));
        let cached = self.lock().get(prefix).cloned();
        let prefix_owned = prefix.to_string();
        let nested = self.nested.filter(|(p, _)| *p == prefix).map(|(_, d)| d);
        let fresh = tokio::task::spawn_blocking(move || read_folder(&dir, cached, nested))
            .await
            .map_err(|e| storage_err(&prefix_owned, e))?
            .map_err(|e| storage_err(&prefix_owned, e))?;
        self.lock().insert(prefix.to_string(), Arc::clone(&fresh));
        Ok(fresh)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Snapshot>>> {
        // Nothing panics while the map is held; recover from poison anyway.
        self.snapshots.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The folder's snapshot: `cached` when the folder has not changed since,
/// otherwise read again (one stat of the folder in the first case).
fn read_folder(
    dir: &std::path::Path,
    cached: Option<Arc<Snapshot>>,
    nested: Option<&str>,
) -> std::io::Result<Arc<Snapshot>> {
    let mtime = match std::fs::metadata(dir) {
        Ok(m) => m.modified()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Arc::new(Snapshot {
                mtime: SystemTime::UNIX_EPOCH,
                reusable: false,
                entries: BTreeMap::new(),
            }));
        }
        Err(e) => return Err(e),
    };
    if let Some(c) = cached
        && c.reusable
        && c.mtime == mtime
    {
        return Ok(c);
    }
    let read_at = SystemTime::now();
    let mut entries = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if let Some(document) = nested
            && !name.ends_with(SUFFIX)
            && entry.file_type().is_ok_and(|t| t.is_dir())
        {
            if let Ok(meta) = std::fs::metadata(entry.path().join(document))
                && meta.is_file()
            {
                entries
                    .entry(format!("{name}{SUFFIX}"))
                    .or_insert((modified_ms(&meta), meta.len()));
            }
            continue;
        }
        if !name.ends_with(SUFFIX) {
            continue; // staging files and anything not a document
        }
        let meta = match entry.metadata() {
            Ok(m) if m.is_file() => m,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue, // removed meanwhile
            Err(e) => return Err(e),
        };
        entries.insert(name, (modified_ms(&meta), meta.len()));
    }
    // A change in the same tick as the folder's last one would not move its
    // time: trust the snapshot again only once that tick is long past.
    let reusable = read_at.duration_since(mtime).is_ok_and(|age| age > RACY);
    Ok(Arc::new(Snapshot {
        mtime,
        reusable,
        entries,
    }))
}

/// A file's modification time in milliseconds since the epoch (0 when unknown).
fn modified_ms(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn storage_err(prefix: &str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Storage {
        key: prefix.to_string(),
        source: Box::new(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pages_come_from_the_sorted_names_and_follow_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("dramas");
        std::fs::create_dir_all(&folder).unwrap();
        for name in ["b.json", "a.json", "c.json", "c.json#sfd-staging", "notes.txt"] {
            std::fs::write(folder.join(name), b"{}").unwrap();
        }
        let index = FolderIndex::new(dir.path().to_path_buf(), &["dramas/"]);
        let all = |v: Vec<Listed>| v.into_iter().map(|l| l.path).collect::<Vec<_>>();
        let page = index.list("dramas/", None, 2, |_| true).await.unwrap();
        assert_eq!(all(page), ["dramas/a.json", "dramas/b.json"]);
        let page = index.list("dramas/", Some("dramas/b.json"), 2, |_| true).await.unwrap();
        assert_eq!(all(page), ["dramas/c.json"]);
        // Changes right after a read are seen: a fresh folder is never trusted.
        std::fs::remove_file(folder.join("a.json")).unwrap();
        std::fs::write(folder.join("d.json"), b"{}").unwrap();
        let page = index.list("dramas/", None, 10, |l| l.size > 0).await.unwrap();
        assert_eq!(all(page), ["dramas/b.json", "dramas/c.json", "dramas/d.json"]);
        assert!(index.list("other/", None, 10, |_| true).await.unwrap().is_empty());
        assert!(
            index
                .list("dramas/", Some("dramat"), 10, |_| true)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            index.list("dramas/", Some("dram"), 10, |_| true).await.unwrap().len(),
            3
        );
    }

    #[tokio::test]
    async fn a_folder_unchanged_since_long_ago_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("dramas");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("a.json"), b"{}").unwrap();
        let past = SystemTime::now() - Duration::from_secs(3600);
        let age = |t| std::fs::File::open(&folder).unwrap().set_modified(t).unwrap();
        age(past);
        let index = FolderIndex::new(dir.path().to_path_buf(), &["dramas/"]);
        assert_eq!(index.list("dramas/", None, 10, |_| true).await.unwrap().len(), 1);
        // A file slipped in with the folder's time put back: the snapshot
        // still answers, which shows the folder was not read again.
        std::fs::write(folder.join("b.json"), b"{}").unwrap();
        age(past);
        assert_eq!(index.list("dramas/", None, 10, |_| true).await.unwrap().len(), 1);
        // Any real change moves the folder's time and is seen.
        std::fs::write(folder.join("c.json"), b"{}").unwrap();
        assert_eq!(index.list("dramas/", None, 10, |_| true).await.unwrap().len(), 3);
    }
}
