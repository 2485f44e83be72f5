//! `--migrate` for the asset library: moves what the old server's later
//! versions kept at `{user}/{project}/{type}s/…` under `library/`.

use bytes::Bytes;
use futures::TryStreamExt;

use super::store::{LibraryProject, parse_record};
use crate::model::LibraryType;
use crate::storage::key::LIBRARY;
use crate::storage::{Migration, MigrationAction, ObjectStorage, Storage, WriteMode};
use crate::{Error, Result};

/// The project, type and asset id of an old-layout record path
/// `{user}/{project}/{type}s/{asset_id}.json`.
fn old_record(path: &str) -> Option<(LibraryProject, LibraryType, &str)> {
    let [user, project, folder, file] = path.split('/').collect::<Vec<_>>()[..] else {
        return None;
    };
    let t = LibraryType::ALL.into_iter().find(|t| t.folder() == folder)?;
    let id = file.strip_suffix(".json")?;
    let p = LibraryProject::new(user, project).ok()?;
    (p.user_id() == user && p.project_name() == project && format!("{user}/") != LIBRARY).then_some((p, t, id))
}

impl ObjectStorage {
    /// Moves each library asset of the old layout (file, then record, with
    /// `r2_key` and a `public_url` ending in it rewritten) under `library/`,
    /// then removes the old copies; with `dry_run`, only reports.
    pub(crate) async fn migrate_library(&self, dry_run: bool, report: &mut Vec<Migration>) -> Result<()> {
        let mut paths: Vec<String> = self
            .object_store()
            .list(None)
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
            .map_err(|e| Error::Storage {
                key: "/".to_string(),
                source: Box::new(e),
            })?;
        paths.sort();
        for path in paths {
            let Some((project, t, id)) = old_record(&path) else {
                continue;
            };
            let skip = |why: String| Migration::new(MigrationAction::Skip, &path, None, why);
            let old_key = project.key("", t, id, "json")?;
            let Some(stored) = self.get(&old_key).await? else {
                continue;
            };
            let mut rec = match parse_record(&old_key, &stored.body) {
                Ok(rec) if rec.asset_id == id && rec.asset_type == t => rec,
                Ok(_) => {
                    report.push(skip("its asset_id or asset_type does not match its key".into()));
                    continue;
                }
                Err(e) => {
                    report.push(skip(format!("not a library record: {e}")));
                    continue;
                }
            };
            let old_file = match project.file_key("", &rec) {
                Ok(k) => k,
                Err(e) => {
                    report.push(skip(e.to_string()));
                    continue;
                }
            };
            let ext = old_file
                .path()
                .rsplit_once('/')
                .and_then(|(_, f)| f.split_once('.'))
                .map_or("", |(_, e)| e);
            let new_file = project.key(LIBRARY, t, id, ext)?;
            let new_key = project.key(LIBRARY, t, id, "json")?;
            if !dry_run {
                let Some(file) = self.get(&old_file).await? else {
                    report.push(skip(format!("its file {} is missing", old_file.path())));
                    continue;
                };
                match self.put(&new_file, file.body, WriteMode::Create).await {
                    Ok(_) | Err(Error::AlreadyExists { .. }) => {}
                    Err(e) => return Err(e),
                }
                if let Some(url) = rec.public_url.as_mut()
                    && let Some(base) = url.strip_suffix(&rec.r2_key)
                {
                    *url = format!("{base}{}", new_file.path());
                }
                rec.r2_key = new_file.path().to_string();
                let body = serde_json::to_vec_pretty(&rec).map_err(|e| Error::invalid("record", e.to_string()))?;
                match self.put(&new_key, Bytes::from(body), WriteMode::Create).await {
                    Ok(_) | Err(Error::AlreadyExists { .. }) => {}
                    Err(e) => return Err(e),
                }
                self.delete(&old_file, None).await?;
                self.delete(&old_key, None).await?;
            }
            report.push(Migration::new(
                MigrationAction::Move,
                old_file.path(),
                Some(&new_file),
                "library file",
            ));
            report.push(Migration::new(
                MigrationAction::Move,
                &path,
                Some(&new_key),
                "library record",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_library_records_are_picked() {
        assert!(old_record("10000/proj/images/a1.json").is_some());
        assert!(old_record("10000/proj/images/a1.png").is_none());
        assert!(old_record("library/10000/proj/images/a1.json").is_none());
        assert!(old_record("library/proj/images/a1.json").is_none());
        assert!(old_record("dramas/d1/drama.json").is_none());
        assert!(old_record("Alice/proj/images/a1.json").is_none());
    }
}
