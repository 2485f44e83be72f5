//! [`LibraryExt`]: the typed functions of the asset library on any [`Storage`].

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;

use super::checked_content;
use crate::error::EntityKind;
use crate::model::{DEFAULT_LIBRARY_USER, Drama, LibraryAsset, LibraryTag, LibraryType, MediaType, Object};
use crate::storage::key::{LIBRARY, SUFFIX};
use crate::storage::{Key, Storage, WriteMode};
use crate::{Error, Result};

/// Where the layouts keep a project's library: sfd's own first, then the
/// old server's (the bucket's root).
pub(crate) const ROOTS: [&str; 2] = [LIBRARY, ""];

/// Records fields an uploader's metadata may not replace.
const RESERVED: [&str; 12] = [
    "asset_id",
    "user_id",
    "project_name",
    "asset_type",
    "tag",
    "filename",
    "created_at",
    "updated_at",
    "file_size",
    "r2_key",
    "public_url",
    "content_type",
];

/// Makes a user or project name safe for keys, as the old server did:
/// anything but `[A-Za-z0-9_-]` becomes `_`, runs of `_` become one, `_`
/// is trimmed at both ends, and all is lowercased.
fn sanitize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    out.trim_matches('_').to_ascii_lowercase()
}

/// A file name made safe, as the old server did (lowercase, `[a-z0-9._-]`).
fn sanitize_filename(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.to_lowercase().chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '-') {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    match out.rsplit_once('.') {
        Some((stem, ext)) => format!("{}.{ext}", stem.trim_matches('_')),
        None => out.trim_matches('_').to_string(),
    }
}

/// Now, as the old server wrote times: ISO 8601 in UTC with microseconds and a `Z`.
fn now_iso() -> String {
    humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()
}

/// One user's project: the scope of a library.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LibraryProject {
    user_id: String,
    project_name: String,
}

impl LibraryProject {
    /// The project `project_name` of user `user_id`, both sanitised as the
    /// old server did; [`Error::Invalid`] when one is left empty or too long.
    pub fn new(user_id: &str, project_name: &str) -> Result<Self> {
        let (user, project) = (sanitize(user_id), sanitize(project_name));
        for (field, v) in [("user_id", &user), ("project_name", &project)] {
            if let Some(msg) = crate::model::id::id_problem(v) {
                return Err(Error::invalid(field, format!("'{v}' (sanitised): {msg}")));
            }
        }
        Ok(LibraryProject {
            user_id: user,
            project_name: project,
        })
    }

    /// The library a drama's `library:{asset_id}` references name: its
    /// `metadata.library` (`{"user_id", "project_name"}`, either optional),
    /// by default user `10000`'s project named after the drama's id (the
    /// old viewer's choice).
    pub fn of_drama(drama: &Drama) -> Result<Self> {
        let named = drama.metadata.as_ref().and_then(|m| m.get("library"));
        let field = |f: &str| named.and_then(|l| l.get(f)).and_then(|v| v.as_str());
        Self::new(
            field("user_id").unwrap_or(DEFAULT_LIBRARY_USER),
            field("project_name").unwrap_or(&drama.id),
        )
    }

    /// The user, sanitised.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The project, sanitised.
    pub fn project_name(&self) -> &str {
        &self.project_name
    }

    pub(super) fn key(&self, root: &str, t: LibraryType, asset_id: &str, ext: &str) -> Result<Key> {
        Key::library(root, &self.user_id, &self.project_name, t.folder(), asset_id, ext)
    }

    fn prefix(&self, root: &str, t: LibraryType) -> String {
        format!("{root}{}/{}/{}/", self.user_id, self.project_name, t.folder())
    }

    /// The key of a record's file: its `r2_key`, which must lie in the
    /// record's own folder of the same layout and name the same asset.
    pub(super) fn file_key(&self, root: &str, rec: &LibraryAsset) -> Result<Key> {
        let corrupt = || Error::Corrupt {
            key: rec.r2_key.clone(),
            reason: format!("library asset '{}' names a file outside its folder", rec.asset_id),
        };
        let rest = rec
            .r2_key
            .strip_prefix(&self.prefix(root, rec.asset_type))
            .and_then(|r| r.strip_prefix(rec.asset_id.as_str()))
            .ok_or_else(corrupt)?;
        let ext = match rest {
            "" => "",
            r => r.strip_prefix('.').ok_or_else(corrupt)?,
        };
        if ext == "json" {
            return Err(corrupt());
        }
        self.key(root, rec.asset_type, &rec.asset_id, ext)
            .map_err(|_| corrupt())
    }
}

/// A new library asset.
#[derive(Debug, Clone)]
pub struct LibraryUpload {
    /// What it holds; the bytes are checked against it.
    pub asset_type: LibraryType,
    /// What it is for.
    pub tag: LibraryTag,
    /// The uploaded file's name, if any (kept sanitised in the record).
    pub filename: Option<String>,
    /// The file.
    pub bytes: Bytes,
    /// More fields for the record (its reserved fields cannot be replaced).
    pub metadata: Object,
}

fn not_found(asset_id: &str, t: LibraryType) -> Error {
    Error::NotFound {
        kind: EntityKind::LibraryAsset,
        id: format!("{asset_id} ({t})"),
    }
}

pub(super) fn parse_record(key: &Key, body: &[u8]) -> Result<LibraryAsset> {
    serde_json::from_slice(body).map_err(|e| Error::Corrupt {
        key: key.path().to_string(),
        reason: e.to_string(),
    })
}

/// The asset library on a [`Storage`]: list, upload, read and delete a
/// project's assets, in sfd's layout and in the old server's.
#[async_trait]
pub trait LibraryExt: Storage {
    /// A project's assets, images first, then videos, then texts (each in
    /// key order), only those of `asset_type` and `tag` when given.
    /// Records that cannot be read are left out, as the old server did.
    async fn list_library(
        &self,
        project: &LibraryProject,
        asset_type: Option<LibraryType>,
        tag: Option<LibraryTag>,
    ) -> Result<Vec<LibraryAsset>> {
        let mut out: Vec<LibraryAsset> = Vec::new();
        for t in LibraryType::ALL
            .into_iter()
            .filter(|t| asset_type.is_none_or(|a| a == *t))
        {
            let mut seen = std::collections::HashSet::new();
            for root in ROOTS {
                let listed = self.list(&project.prefix(root, t), None, usize::MAX).await?;
                let records: Vec<Option<LibraryAsset>> = futures::stream::iter(listed)
                    .map(|l| async move {
                        let id = l.path.rsplit('/').next()?.strip_suffix(SUFFIX)?;
                        let key = project.key(root, t, id, "json").ok()?;
                        let stored = self.get(&key).await.ok()??;
                        let rec = parse_record(&key, &stored.body).ok()?;
                        (rec.asset_id == id && rec.asset_type == t).then_some(rec)
                    })
                    .buffered(8)
                    .collect()
                    .await;
                for rec in records.into_iter().flatten() {
                    if tag.is_none_or(|g| g == rec.tag) && seen.insert(rec.asset_id.clone()) {
                        out.push(rec);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The record of one asset; [`Error::NotFound`] when missing.
    async fn library_asset(&self, project: &LibraryProject, t: LibraryType, asset_id: &str) -> Result<LibraryAsset> {
        Ok(find(self, project, t, asset_id).await?.0)
    }

    /// One asset's record and file; [`Error::NotFound`] when either is missing.
    async fn read_library(
        &self,
        project: &LibraryProject,
        t: LibraryType,
        asset_id: &str,
    ) -> Result<(LibraryAsset, Bytes)> {
        let (rec, root) = find(self, project, t, asset_id).await?;
        let file = project.file_key(root, &rec)?;
        match self.get(&file).await? {
            Some(stored) => Ok((rec, stored.body)),
            None => Err(not_found(asset_id, t)),
        }
    }

    /// An image or video of the library as a render reference: its type
    /// (sniffed) and bytes. Images are looked for first, then videos.
    async fn library_reference(&self, project: &LibraryProject, asset_id: &str) -> Result<(MediaType, Bytes)> {
        for t in [LibraryType::Image, LibraryType::Video] {
            match self.read_library(project, t, asset_id).await {
                Ok((_, bytes)) => {
                    let media_type = MediaType::sniff(&bytes).ok_or_else(|| {
                        Error::invalid(
                            "depends_on",
                            format!("library asset '{asset_id}' is not an image or video file"),
                        )
                    })?;
                    return Ok((media_type, bytes));
                }
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::NotFound {
            kind: EntityKind::LibraryAsset,
            id: format!(
                "{asset_id} (an image or video of project {}/{})",
                project.user_id, project.project_name
            ),
        })
    }

    /// Stores a new asset in sfd's layout: the bytes are checked against
    /// the type ([`Error::UnsupportedMediaType`]), written, then the record.
    /// With `public_base` (`R2_PUBLIC_URL`) its `public_url` is
    /// `{public_base}/{r2_key}`; without, the server's `/asset-library/{asset_id}?…` route.
    async fn upload_library(
        &self,
        project: &LibraryProject,
        upload: LibraryUpload,
        public_base: Option<&str>,
    ) -> Result<LibraryAsset> {
        let (ext, content_type) = checked_content(upload.asset_type, &upload.bytes)?;
        let asset_id = uuid::Uuid::new_v4().to_string();
        let t = upload.asset_type;
        let file = project.key(LIBRARY, t, &asset_id, ext)?;
        let record_key = project.key(LIBRARY, t, &asset_id, "json")?;
        let public_url = match public_base {
            Some(base) => format!("{}/{}", base.trim_end_matches('/'), file.path()),
            None => format!(
                "/asset-library/{asset_id}?user_id={}&project_name={}&asset_type={t}",
                project.user_id, project.project_name
            ),
        };
        let now = now_iso();
        let mut extra = upload.metadata;
        extra.retain(|k, _| !RESERVED.contains(&k.as_str()));
        let rec = LibraryAsset {
            asset_id: asset_id.clone(),
            asset_type: t,
            tag: upload.tag,
            user_id: Some(project.user_id.clone()),
            project_name: Some(project.project_name.clone()),
            filename: Some(match upload.filename.as_deref().map(sanitize_filename) {
                Some(f) if !f.is_empty() => f,
                _ => format!("{asset_id}.{ext}"),
            }),
            created_at: Some(now.clone()),
            updated_at: Some(now),
            file_size: Some(upload.bytes.len() as u64),
            r2_key: file.path().to_string(),
            public_url: Some(public_url),
            content_type: Some(content_type.to_string()),
            extra,
        };
        let body = serde_json::to_vec_pretty(&rec).map_err(|e| Error::invalid("metadata", e.to_string()))?;
        self.put(&file, upload.bytes, WriteMode::Create).await?;
        if let Err(e) = self.put(&record_key, Bytes::from(body), WriteMode::Create).await {
            let _ = self.delete(&file, None).await;
            return Err(e);
        }
        Ok(rec)
    }

    /// Deletes an asset's file, then its record (in whichever layout it
    /// is); [`Error::NotFound`] when there is no record.
    async fn delete_library(&self, project: &LibraryProject, t: LibraryType, asset_id: &str) -> Result<()> {
        let (rec, root) = find(self, project, t, asset_id).await?;
        // A record naming a file elsewhere is still removed; nothing else is.
        if let Ok(file) = project.file_key(root, &rec) {
            self.delete(&file, None).await?;
        }
        self.delete(&project.key(root, t, asset_id, "json")?, None).await?;
        Ok(())
    }
}

impl<S: Storage + ?Sized> LibraryExt for S {}

/// The record of `asset_id` and the layout root it was found in.
async fn find<S: Storage + ?Sized>(
    storage: &S,
    project: &LibraryProject,
    t: LibraryType,
    asset_id: &str,
) -> Result<(LibraryAsset, &'static str)> {
    for root in ROOTS {
        let key = project.key(root, t, asset_id, "json")?;
        if let Some(stored) = storage.get(&key).await? {
            return Ok((parse_record(&key, &stored.body)?, root));
        }
    }
    Err(not_found(asset_id, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitised_as_the_old_server_did() {
        assert_eq!(sanitize("Detective Drama!"), "detective_drama");
        assert_eq!(sanitize("__a  b__"), "a_b");
        assert_eq!(sanitize_filename("My Photo (1).PNG"), "my_photo_1.png");
        assert!(LibraryProject::new("10000", "!!!").is_err());
        let p = LibraryProject::new("Alice", "drama_x").unwrap();
        assert_eq!((p.user_id(), p.project_name()), ("alice", "drama_x"));
    }
}
