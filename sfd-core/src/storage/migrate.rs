//! [`ObjectStorage::migrate`]: moves what the old server's later versions
//! stored into sfd's own layout, or only reports it.

use std::fmt;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;

use super::key::{DRAMAS, JOBS, Key};
use super::object::Read;
use super::{ObjectStorage, Storage, WriteMode, legacy, legacy_jobs};
use crate::{Error, Result};

/// What a migration does with one stored object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MigrationAction {
    /// Moved to sfd's key for it (`to`).
    Move,
    /// Removed: a copy sfd no longer reads, or the old listing index.
    Remove,
    /// Left in place, for the reason given.
    Skip,
}

/// One line of a migration report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// What happens (or would happen) to the object.
    pub action: MigrationAction,
    /// Its key.
    pub from: String,
    /// Where it goes, for a move.
    pub to: Option<String>,
    /// Why, in words.
    pub reason: String,
}

impl fmt::Display for Migration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.action, &self.to) {
            (MigrationAction::Move, Some(to)) => write!(f, "move {} -> {} ({})", self.from, to, self.reason),
            (MigrationAction::Remove, _) => write!(f, "remove {} ({})", self.from, self.reason),
            _ => write!(f, "skip {}: {}", self.from, self.reason),
        }
    }
}

impl Migration {
    pub(crate) fn new(action: MigrationAction, from: &str, to: Option<&Key>, reason: impl Into<String>) -> Self {
        Migration {
            action,
            from: from.to_string(),
            to: to.map(|k| k.path().to_string()),
            reason: reason.into(),
        }
    }
}

impl ObjectStorage {
    /// Moves a bucket of the old server's later versions into sfd's layout:
    /// each drama from `dramas/{id}/drama.json` to `dramas/{id}.json`
    /// (bytes unchanged, with the same compare-and-swap as a first write,
    /// so it is safe while servers run), each job record from
    /// `jobs/{jobId}.json` to `jobs/{dramaId}/{jobId}.json`, and removes the
    /// old listing index, and moves the asset library under `library/`
    /// (see `crate::library`). With `dry_run`, changes nothing and only reports.
    ///
    /// sfd reads the old layout without this; migrating saves the fallback
    /// reads and makes job listings cheap. Running it twice is harmless.
    pub async fn migrate(&self, dry_run: bool) -> Result<Vec<Migration>> {
        let mut report = Vec::new();
        self.migrate_dramas(dry_run, &mut report).await?;
        self.migrate_jobs(dry_run, &mut report).await?;
        self.migrate_library(dry_run, &mut report).await?;
        Ok(report)
    }

    async fn migrate_dramas(&self, dry_run: bool, report: &mut Vec<Migration>) -> Result<()> {
        let dir = Path::from(DRAMAS.trim_end_matches('/'));
        let paths: Vec<String> = self
            .store
            .list(Some(&dir))
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
            .map_err(|e| Error::Storage {
                key: DRAMAS.to_string(),
                source: Box::new(e),
            })?;
        let mut paths = paths;
        paths.sort();
        for path in paths {
            if path == legacy::INDEX {
                let index = Key::drama("index")?;
                if let Read::Found(s) = self.read(&index).await?
                    && legacy::is_index(&index, &s.body)
                {
                    if !dry_run {
                        self.remove(&index).await?;
                    }
                    report.push(Migration::new(
                        MigrationAction::Remove,
                        &path,
                        None,
                        "the old server's listing index; sfd lists without it",
                    ));
                }
                continue;
            }
            let Some(id) = legacy::legacy_id(&path) else {
                let folder_document = path
                    .strip_suffix(legacy::LEGACY_DOCUMENT)
                    .is_some_and(|p| p.matches('/').count() == 2);
                if folder_document {
                    let why = "its folder is not a drama id sfd accepts ([A-Za-z0-9_-], 1 to 128)";
                    report.push(Migration::new(MigrationAction::Skip, &path, None, why));
                }
                continue;
            };
            let key = Key::drama(id)?;
            let old = key.at_path(path.clone());
            // A drama called `index` hides behind the old index, which goes first.
            let hidden = match self.read(&key).await? {
                Read::Found(s) => !legacy::is_index(&key, &s.body),
                Read::Deleted => true,
                Read::Absent => false,
            };
            if hidden {
                if !dry_run {
                    self.remove(&old).await?;
                }
                let why = "an old copy, hidden by what is stored at the drama's own key";
                report.push(Migration::new(MigrationAction::Remove, &path, None, why));
                continue;
            }
            let Read::Found(stored) = self.read(&old).await? else {
                continue;
            };
            if !dry_run {
                match self.put(&key, stored.body, WriteMode::Update(stored.version)).await {
                    Ok(_) => {}
                    // Written or deleted meanwhile: a server moved it already.
                    Err(Error::VersionMismatch { .. }) => {
                        let why = "changed while migrating; run the migration again";
                        report.push(Migration::new(MigrationAction::Skip, &path, None, why));
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            report.push(Migration::new(MigrationAction::Move, &path, Some(&key), "drama"));
        }
        Ok(())
    }

    async fn migrate_jobs(&self, dry_run: bool, report: &mut Vec<Migration>) -> Result<()> {
        for listed in self.list_folder(JOBS, None, usize::MAX).await? {
            let path = listed.path;
            let Some(job_id) = Key::id_from_path(JOBS, &path) else {
                report.push(Migration::new(MigrationAction::Skip, &path, None, "not a job id"));
                continue;
            };
            let flat = legacy_jobs::job_key(job_id)?;
            let Read::Found(stored) = self.read(&flat).await? else {
                continue;
            };
            let job = match legacy_jobs::parse(&stored.body) {
                Ok(job) => job,
                Err(reason) => {
                    report.push(Migration::new(MigrationAction::Skip, &path, None, reason));
                    continue;
                }
            };
            let key = match Key::job(&job.drama_id, &job.job_id) {
                Ok(key) => key,
                Err(e) => {
                    report.push(Migration::new(MigrationAction::Skip, &path, None, e.to_string()));
                    continue;
                }
            };
            if !dry_run {
                let body = serde_json::to_vec(&job).map_err(|e| Error::invalid("job", e.to_string()))?;
                match self.write(&key, Bytes::from(body), WriteMode::Create).await {
                    Ok(_) | Err(Error::AlreadyExists { .. }) => {}
                    Err(e) => return Err(e),
                }
                self.remove(&flat).await?;
            }
            report.push(Migration::new(MigrationAction::Move, &path, Some(&key), "job record"));
        }
        Ok(())
    }
}
