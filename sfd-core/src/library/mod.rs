//! The asset library: reusable images, videos and texts per user and
//! project (character sheets, storyboards, clips) that any drama can use
//! as references (`library:{asset_id}` in `depends_on`).
//!
//! Layout of keys, per project (`user` and `project` sanitised as the old
//! server did: lowercase, anything but `[a-z0-9_-]` made `_`):
//! - `library/{user}/{project}/{images|videos|texts}/{asset_id}.{ext}`: the file;
//! - `library/{user}/{project}/{images|videos|texts}/{asset_id}.json`: its
//!   record ([`LibraryAsset`]).
//!
//! The old server's later versions kept the same files at the bucket's
//! root (`{user}/{project}/{type}s/…`); sfd reads, lists and deletes them
//! there unchanged, writes new uploads under `library/` (so a user called
//! `media` or `dramas` never mixes with sfd's own keys), and
//! `sfd-server --migrate` moves the old ones (see `migrate`).

mod content;
mod migrate;
mod store;

pub use content::checked_content;
pub use store::{LibraryExt, LibraryProject, LibraryUpload};
