//! # sfd-client
//!
//! The typed Rust client for the sfd HTTP API: one method per route, the
//! `sfd-core` document types in and out, retries for idempotent calls,
//! ETags for safe concurrent edits, and job waiting over Server-Sent Events.
//!
//! ```no_run
//! use std::time::Duration;
//! use sfd_client::{Client, GenerationRequest, ScenePatch};
//!
//! # async fn run() -> sfd_client::Result<()> {
//! let client = Client::new("http://127.0.0.1:8000").with_api_key("my-key");
//! let started = client.generate_drama(&GenerationRequest::new("A corgi becomes a tycoon").with_episodes(3)).await?;
//! let job = client.wait_for_job(&started.drama_id, &started.job_id, Duration::from_secs(600)).await?;
//! println!("job ended: {:?}", job.status);
//! let drama = client.get_drama(&started.drama_id).await?;
//! println!("{}: {} episodes", drama.value.title, drama.value.episodes.len());
//! let patch = ScenePatch { description: Some("Dawn. The rocket hums.".into()), ..Default::default() };
//! let scene = client.update_scene(&started.drama_id, "ep1", "ep1-sc1", &patch, drama.etag.as_deref()).await?;
//! println!("scene now: {}", scene.value.description);
//! # Ok(()) }
//! ```

mod api;
mod client;
mod error;
mod export;
mod jobs;
mod library;
mod nested;
mod render;
mod sse;

pub use client::{Client, Versioned};
pub use error::{Error, Result};
pub use library::Library;
pub use sfd_core::{
    AssembleRequest, AssembledEpisode, Asset, AssetKind, AssetOwner, AssetPatch, AssetRenderRequest, AudioMode,
    Candidate, Candidates, Character, CharacterPatch, CreateDramaRequest, Drama, DramaPage, DramaPatch, DramaSummary,
    Episode, EpisodePatch, ErrorBody, ExportFormat, ExportOptions, GenerationRequest, Health, ImproveDramaResponse,
    Job, JobResponse, JobStatus, JobType, Level, LibraryAsset, LibraryListing, LibraryTag, LibraryType,
    LibraryUploaded, PlanAction, PlanCandidates, PlanNode, Progress, RenderPlan, RenderRecord, RenderRequest,
    RenderResult, Scene, ScenePatch, SubtitleMode,
};
