//! [`MediaStore`]: media files (images, videos, audio) in the same store as
//! the dramas, written once under a key that names their content, read as
//! streams with byte ranges.

use std::fmt;
use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, CopyMode, CopyOptions, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutMode,
    PutMultipartOptions, PutOptions, PutPayload, WriteMultipart,
};
use sha2::{Digest, Sha256};

use super::ObjectStorage;
use crate::error::EntityKind;
use crate::model::{ByteRange, MEDIA_PREFIX, MediaKey, MediaType, SNIFF_BYTES};
use crate::{Error, Result};

/// Where uploads are written while their hash is not yet known.
pub(crate) const STAGING_PREFIX: &str = "staging/";
/// The part size of streamed uploads.
const PART_SIZE: usize = 8 * 1024 * 1024;

/// A stream of byte chunks.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A stored media file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    /// Its key.
    pub key: MediaKey,
    /// Its size in bytes.
    pub size: u64,
    /// When it was written, in ms since the epoch.
    pub updated_at: u64,
}

impl MediaInfo {
    /// The `Content-Type` to serve it with.
    pub fn content_type(&self) -> &'static str {
        self.key.media_type().mime()
    }

    /// A strong `ETag` (the content hash).
    pub fn etag(&self) -> String {
        self.key.etag()
    }
}

/// A media file (or a range of it) being read.
pub struct MediaRead {
    /// The whole file.
    pub info: MediaInfo,
    /// The bytes `body` yields: `0..size` unless a range was asked for.
    pub range: Range<u64>,
    /// The bytes, streamed.
    pub body: ByteStream,
}

impl fmt::Debug for MediaRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaRead")
            .field("info", &self.info)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

/// An object under `media/` or `staging/`, as listed for clean-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaListed {
    /// Its full path.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was written, in ms since the epoch.
    pub updated_at: u64,
}

/// Media files next to the documents: written once, read as streams.
///
/// Reached through [`crate::Storage::media`]; typed helpers are in [`MediaStoreExt`].
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Writes `body` under `key` once (`PutMode::Create`). A file already
    /// under the key holds the same bytes (the key names them), so that counts as written.
    async fn write_media(&self, key: &MediaKey, body: Bytes) -> Result<MediaInfo>;

    /// Streams an upload of `media_type` for `asset_id` into storage, hashing
    /// it on the way, without holding it whole; fails with
    /// [`Error::MediaTooLarge`] past `limit` bytes, leaving nothing behind.
    async fn upload_media(
        &self,
        drama_id: &str,
        asset_id: &str,
        media_type: MediaType,
        body: ByteStream,
        limit: u64,
    ) -> Result<MediaInfo>;

    /// Reads a file, or `range` of it; [`Error::NotFound`] when missing,
    /// [`Error::RangeNotSatisfiable`] for a range outside it.
    async fn read_media(&self, key: &MediaKey, range: Option<ByteRange>) -> Result<MediaRead>;

    /// Deletes a file under `media/` or an upload leftover under `staging/`,
    /// by path; returns whether something was deleted.
    async fn delete_media(&self, path: &str) -> Result<bool>;

    /// Every object under `media/` and `staging/`.
    async fn list_media(&self) -> Result<Vec<MediaListed>>;
}

/// Typed helpers over any [`MediaStore`].
#[async_trait]
pub trait MediaStoreExt: MediaStore {
    /// Reads a whole file into memory.
    async fn read_media_bytes(&self, key: &MediaKey) -> Result<Bytes> {
        let read = self.read_media(key, None).await?;
        let chunks: Vec<Bytes> = read.body.try_collect().await?;
        let mut out = Vec::with_capacity(read.info.size as usize);
        for c in chunks {
            out.extend_from_slice(&c);
        }
        Ok(Bytes::from(out))
    }

    /// Stores rendered bytes for `asset_id` of `drama_id` under their content key.
    async fn store_media(
        &self,
        drama_id: &str,
        asset_id: &str,
        media_type: MediaType,
        body: Bytes,
    ) -> Result<MediaInfo> {
        // Large files are hashed off the async threads.
        let hash = if body.len() > 256 * 1024 {
            let b = body.clone();
            tokio::task::spawn_blocking(move || sha256_hex(&b))
                .await
                .map_err(|e| Error::Storage {
                    key: format!("{MEDIA_PREFIX}{drama_id}/{asset_id}"),
                    source: Box::new(e),
                })?
        } else {
            sha256_hex(&body)
        };
        let key = MediaKey::new(drama_id, asset_id, &hash, media_type)?;
        self.write_media(&key, body).await
    }
}

impl<T: MediaStore + ?Sized> MediaStoreExt for T {}

/// When an object was last written, in ms since the epoch.
fn ms(meta: &object_store::ObjectMeta) -> u64 {
    meta.last_modified.timestamp_millis().max(0) as u64
}

fn media_err(path: &str, e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { .. } => Error::NotFound {
            kind: EntityKind::Media,
            id: path.to_string(),
        },
        other => Error::Storage {
            key: path.to_string(),
            source: Box::new(other),
        },
    }
}

impl ObjectStorage {
    fn media_attributes(&self, media_type: MediaType) -> Attributes {
        let mut a = Attributes::new();
        if self.keeps_attributes() {
            a.insert(Attribute::ContentType, media_type.mime().into());
        }
        a
    }

    async fn head_media(&self, key: &MediaKey) -> Result<MediaInfo> {
        let meta = self
            .object_store()
            .head(&Path::from(key.path()))
            .await
            .map_err(|e| media_err(key.path(), e))?;
        Ok(MediaInfo {
            key: key.clone(),
            size: meta.size,
            updated_at: ms(&meta),
        })
    }

    /// Streams `body` into a multipart upload at `staging`, returning its hash and size.
    async fn stage(
        &self,
        staging: &Path,
        media_type: MediaType,
        mut body: ByteStream,
        limit: u64,
    ) -> Result<(String, u64)> {
        let opts = PutMultipartOptions {
            attributes: self.media_attributes(media_type),
            ..Default::default()
        };
        let store = self.object_store();
        let upload = store
            .put_multipart_opts(staging, opts)
            .await
            .map_err(|e| media_err(staging.as_ref(), e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let outcome: Result<()> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(Error::MediaTooLarge { limit });
                }
                hasher.update(&chunk);
                writer
                    .wait_for_capacity(2)
                    .await
                    .map_err(|e| media_err(staging.as_ref(), e))?;
                writer.put(chunk);
            }
            Ok(())
        }
        .await;
        if let Err(e) = outcome {
            let _ = writer.abort().await;
            return Err(e);
        }
        writer.finish().await.map_err(|e| media_err(staging.as_ref(), e))?;
        Ok((hex(&hasher.finalize()), size))
    }

    /// Moves a finished upload to its final key, never replacing other content.
    async fn publish(&self, staging: &Path, key: &MediaKey) -> Result<()> {
        let store = self.object_store();
        let to = Path::from(key.path());
        let create = CopyOptions {
            mode: CopyMode::Create,
            ..Default::default()
        };
        let copied = match store.copy_opts(staging, &to, create).await {
            Ok(()) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
            // S3 without a copy-if-not-exists setting: the key names the bytes,
            // so a plain copy can only ever write the same content.
            Err(object_store::Error::NotSupported { .. } | object_store::Error::NotImplemented { .. }) => {
                match store.head(&to).await {
                    Ok(_) => Ok(()),
                    Err(_) => store.copy(staging, &to).await,
                }
            }
            Err(e) => Err(e),
        };
        let _ = store.delete(staging).await;
        copied.map_err(|e| media_err(key.path(), e))
    }
}

#[async_trait]
impl MediaStore for ObjectStorage {
    async fn write_media(&self, key: &MediaKey, body: Bytes) -> Result<MediaInfo> {
        let size = body.len() as u64;
        let opts = PutOptions {
            mode: PutMode::Create,
            attributes: self.media_attributes(key.media_type()),
            ..Default::default()
        };
        match self
            .object_store()
            .put_opts(&Path::from(key.path()), PutPayload::from_bytes(body), opts)
            .await
        {
            Ok(_) => Ok(MediaInfo {
                key: key.clone(),
                size,
                updated_at: crate::model::now_ms(),
            }),
            Err(object_store::Error::AlreadyExists { .. }) => self.head_media(key).await,
            Err(e) => Err(media_err(key.path(), e)),
        }
    }

    async fn upload_media(
        &self,
        drama_id: &str,
        asset_id: &str,
        media_type: MediaType,
        body: ByteStream,
        limit: u64,
    ) -> Result<MediaInfo> {
        // Checked before anything is written.
        MediaKey::new(drama_id, asset_id, &"0".repeat(64), media_type)?;
        let staging = Path::from(format!("{STAGING_PREFIX}{}.part", uuid::Uuid::new_v4().simple()));
        let (hash, size) = self.stage(&staging, media_type, body, limit).await?;
        let key = MediaKey::new(drama_id, asset_id, &hash, media_type)?;
        self.publish(&staging, &key).await?;
        Ok(MediaInfo {
            key,
            size,
            updated_at: crate::model::now_ms(),
        })
    }

    async fn read_media(&self, key: &MediaKey, range: Option<ByteRange>) -> Result<MediaRead> {
        let path = Path::from(key.path());
        let (info, bounds) = match range {
            Some(r) => {
                let info = self.head_media(key).await?;
                let bounds = r.resolve(info.size)?;
                (Some(info), Some(bounds))
            }
            None => (None, None),
        };
        let opts = GetOptions {
            range: bounds.clone().map(GetRange::Bounded),
            ..Default::default()
        };
        let res = self
            .object_store()
            .get_opts(&path, opts)
            .await
            .map_err(|e| media_err(key.path(), e))?;
        let info = info.unwrap_or_else(|| MediaInfo {
            key: key.clone(),
            size: res.meta.size,
            updated_at: ms(&res.meta),
        });
        let range = res.range.clone();
        let owned = key.path().to_string();
        let body = res.into_stream().map_err(move |e| media_err(&owned, e)).boxed();
        Ok(MediaRead { info, range, body })
    }

    async fn delete_media(&self, path: &str) -> Result<bool> {
        let staged = path
            .strip_prefix(STAGING_PREFIX)
            .and_then(|p| p.strip_suffix(".part"))
            .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()));
        if !staged {
            MediaKey::parse(path)?;
        }
        // Stores report no difference between deleting a file and deleting nothing.
        let location = Path::from(path);
        match self.object_store().head(&location).await {
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(media_err(path, e)),
            Ok(_) => {}
        }
        match self.object_store().delete(&location).await {
            Ok(()) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(media_err(path, e)),
        }
    }

    async fn list_media(&self) -> Result<Vec<MediaListed>> {
        let mut out = Vec::new();
        for prefix in [MEDIA_PREFIX, STAGING_PREFIX] {
            let dir = Path::from(prefix.trim_end_matches('/'));
            let listed: Vec<object_store::ObjectMeta> = self
                .object_store()
                .list(Some(&dir))
                .try_collect()
                .await
                .map_err(|e| media_err(prefix, e))?;
            out.extend(listed.into_iter().map(|m| MediaListed {
                path: m.location.to_string(),
                size: m.size,
                updated_at: ms(&m),
            }));
        }
        Ok(out)
    }
}

/// `body`, once its first bytes show it is a `declared` file
/// ([`Error::UnsupportedMediaType`] otherwise: a page or a script sent as
/// an image is never stored, nor handed to ffmpeg).
pub(crate) async fn sniffed(mut body: ByteStream, declared: MediaType) -> Result<ByteStream> {
    let mut head: Vec<Bytes> = Vec::new();
    let mut len = 0;
    while len < SNIFF_BYTES {
        match body.next().await {
            Some(chunk) => {
                let chunk = chunk?;
                len += chunk.len();
                head.push(chunk);
            }
            None => break,
        }
    }
    let first: Vec<u8> = head.iter().flat_map(|c| c.iter().copied()).take(SNIFF_BYTES).collect();
    if MediaType::sniff(&first) != Some(declared) {
        return Err(Error::UnsupportedMediaType(format!(
            "the file's bytes are not {declared} (they do not start like one)"
        )));
    }
    Ok(futures::stream::iter(head.into_iter().map(Ok)).chain(body).boxed())
}
