//! # sfd-client
//!
//! The typed Rust client for the sfd HTTP API. **Not built yet**: the HTTP
//! server and its client come with their own issues. Until then this crate
//! only re-exports the wire types of `sfd-core` (built without storage), so
//! code can already be written against them.
//!
//! ```
//! let body: sfd_client::CreateDramaRequest = serde_json::from_str(r#"{"premise": "a corgi tycoon"}"#).unwrap();
//! assert!(matches!(body, sfd_client::CreateDramaRequest::Generate { .. }));
//! ```

pub use sfd_core::{
    Asset, AssetKind, Character, CreateDramaRequest, Drama, DramaPage, DramaSummary, Episode, ErrorBody, Job,
    JobResponse, JobStatus, JobType, Scene,
};
