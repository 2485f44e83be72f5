//! Storage keys. Every key is built from validated ids, so nothing like
//! `../` can reach the object store.

use crate::error::EntityKind;
use crate::model::id::id_problem;
use crate::{Error, Result};

/// The prefix under which drama documents are stored.
pub(crate) const DRAMAS: &str = "dramas/";
/// The prefix under which drama summaries are stored.
pub(crate) const SUMMARIES: &str = "summaries/";
/// The prefix under which job records are stored.
pub(crate) const JOBS: &str = "jobs/";
/// The prefix of the durable work queue.
pub(crate) const QUEUE: &str = "queue/";
/// Where queue entries that cannot be used are moved.
pub(crate) const DEAD_LETTER: &str = "dead-letter/";
/// The prefix under which sfd writes the asset library (see `crate::library`).
pub(crate) const LIBRARY: &str = "library/";
/// The prefix of the provider tasks renders are waiting on.
#[cfg(feature = "render")]
pub(crate) const TASKS: &str = "tasks/";
/// The file suffix of every document.
pub(crate) const SUFFIX: &str = ".json";

/// A validated storage key for one document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    kind: EntityKind,
    id: String,
    path: String,
}

fn check(field: &str, id: &str) -> Result<()> {
    match id_problem(id) {
        Some(msg) => Err(Error::invalid(field, msg)),
        None => Ok(()),
    }
}

impl Key {
    /// The key of drama `id`: `dramas/{id}.json`.
    pub fn drama(id: &str) -> Result<Key> {
        check("id", id)?;
        Ok(Key {
            kind: EntityKind::Drama,
            id: id.to_string(),
            path: format!("{DRAMAS}{id}{SUFFIX}"),
        })
    }

    /// The key of the summary of drama `id`: `summaries/{id}.json`.
    pub fn summary(id: &str) -> Result<Key> {
        check("id", id)?;
        Ok(Key {
            kind: EntityKind::Drama,
            id: id.to_string(),
            path: format!("{SUMMARIES}{id}{SUFFIX}"),
        })
    }

    /// The key of job `job_id` of drama `drama_id`: `jobs/{dramaId}/{jobId}.json`.
    pub fn job(drama_id: &str, job_id: &str) -> Result<Key> {
        check("dramaId", drama_id)?;
        check("jobId", job_id)?;
        Ok(Key {
            kind: EntityKind::Job,
            id: job_id.to_string(),
            path: format!("{JOBS}{drama_id}/{job_id}{SUFFIX}"),
        })
    }

    /// A work-queue entry: `queue/{name}.json`, where `name` is made of
    /// digits, ids and dots only.
    #[cfg(feature = "jobs")]
    pub(crate) fn queue(name: &str) -> Result<Key> {
        if name.is_empty() || !name.split('.').all(|part| id_problem(part).is_none()) {
            return Err(Error::invalid("queue", format!("'{name}' is not a queue entry name")));
        }
        Ok(Key {
            kind: EntityKind::Job,
            id: name.to_string(),
            path: format!("{QUEUE}{name}{SUFFIX}"),
        })
    }

    /// Where the queue entry `name` goes when it cannot be used:
    /// `dead-letter/{name}.json`.
    #[cfg(feature = "jobs")]
    pub(crate) fn dead_letter(name: &str) -> Result<Key> {
        let entry = Key::queue(name)?;
        Ok(Key {
            path: format!("{DEAD_LETTER}{name}{SUFFIX}"),
            ..entry
        })
    }

    /// An object of the asset library: `{root}{user}/{project}/{folder}/{asset_id}`
    /// with `.{ext}` unless `ext` is empty, where `root` is [`LIBRARY`] or,
    /// for the old server's layout, empty. Every part is checked: ids as
    /// ids, `folder` and `ext` as ASCII letters and digits.
    pub(crate) fn library(
        root: &str,
        user: &str,
        project: &str,
        folder: &str,
        asset_id: &str,
        ext: &str,
    ) -> Result<Key> {
        check("user_id", user)?;
        check("project_name", project)?;
        check("asset_id", asset_id)?;
        let plain = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
        if !(root.is_empty() || root == LIBRARY) || folder.is_empty() || !plain(folder) || !plain(ext) {
            return Err(Error::invalid("r2_key", "not a key of the asset library"));
        }
        let dot = if ext.is_empty() { "" } else { "." };
        Ok(Key {
            kind: EntityKind::LibraryAsset,
            id: asset_id.to_string(),
            path: format!("{root}{user}/{project}/{folder}/{asset_id}{dot}{ext}"),
        })
    }

    /// The provider task a render of asset `asset_id` of drama `drama_id`
    /// waits on: `tasks/{dramaId}/{assetId}.json`.
    #[cfg(feature = "render")]
    pub(crate) fn render_task(drama_id: &str, asset_id: &str) -> Result<Key> {
        check("dramaId", drama_id)?;
        check("assetId", asset_id)?;
        Ok(Key {
            kind: EntityKind::Asset,
            id: asset_id.to_string(),
            path: format!("{TASKS}{drama_id}/{asset_id}{SUFFIX}"),
        })
    }

    /// The listing prefix of the jobs of one drama: `jobs/{dramaId}/`.
    pub fn jobs_prefix(drama_id: &str) -> Result<String> {
        check("dramaId", drama_id)?;
        Ok(format!("{JOBS}{drama_id}/"))
    }

    /// What the key holds.
    pub fn kind(&self) -> EntityKind {
        self.kind
    }

    /// The id of the document.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The full key path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The same document stored at another path (a layout of the old
    /// server's later versions, see `legacy`).
    pub(super) fn at_path(&self, path: String) -> Key {
        Key { path, ..self.clone() }
    }

    /// Whether a delete on a store without conditional deletes must leave a
    /// tombstone: true for dramas and job records, which can be written
    /// again under the same key; false for queue entries, which never are,
    /// summaries, whose absence only sends a listing to the drama, and
    /// library objects, whose record is removed last.
    pub(crate) fn keeps_tombstone(&self) -> bool {
        !self.path.starts_with(QUEUE) && !self.path.starts_with(SUMMARIES) && self.kind != EntityKind::LibraryAsset
    }

    /// The id of the document stored at `path` under `prefix`, if `path` is one.
    pub(crate) fn id_from_path<'a>(prefix: &str, path: &'a str) -> Option<&'a str> {
        let id = path.strip_prefix(prefix)?.strip_suffix(SUFFIX)?;
        id_problem(id).is_none().then_some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_built_from_valid_ids_only() {
        assert_eq!(Key::drama("d1").unwrap().path(), "dramas/d1.json");
        assert_eq!(Key::job("d1", "job_1").unwrap().path(), "jobs/d1/job_1.json");
        for bad in ["../x", "a/b", "", "é"] {
            assert!(matches!(Key::drama(bad), Err(Error::Invalid(_))), "{bad}");
            assert!(Key::job("d", bad).is_err());
        }
    }

    #[test]
    fn library_keys_are_checked_part_by_part() {
        let k = Key::library(LIBRARY, "10000", "proj", "images", "a-1", "png").unwrap();
        assert_eq!(k.path(), "library/10000/proj/images/a-1.png");
        assert!(!k.keeps_tombstone());
        assert_eq!(
            Key::library("", "u", "p", "texts", "a", "").unwrap().path(),
            "u/p/texts/a"
        );
        assert!(Key::library("media/", "u", "p", "images", "a", "png").is_err());
        assert!(Key::library("", "..", "p", "images", "a", "png").is_err());
        assert!(Key::library("", "u", "p", "im/ages", "a", "png").is_err());
        assert!(Key::library("", "u", "p", "images", "a", "p.g").is_err());
    }

    #[test]
    fn ids_come_back_from_paths() {
        assert_eq!(Key::id_from_path(DRAMAS, "dramas/d1.json"), Some("d1"));
        assert_eq!(Key::id_from_path(DRAMAS, "dramas/d1.json#1"), None);
        assert_eq!(Key::id_from_path(DRAMAS, "dramas/x/y.json"), None);
    }
}
