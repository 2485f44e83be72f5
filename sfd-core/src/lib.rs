//! # sfd-core
//!
//! The embeddable core of sfd, a toolkit for AI short-form dramas: the
//! document types, and (with the default `storage` feature) versioned
//! storage of dramas on a local folder, in memory or on S3 / R2, with
//! compare-and-swap edits of every nested entity.
//!
//! ```
//! use sfd_core::{Drama, EditExt, Episode, Scene, ScenePatch, StorageBuilder, StorageExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> sfd_core::Result<()> {
//! let storage = StorageBuilder::memory().build()?;
//! let mut drama = Drama::new("drama_quickstart01", "Corgi Musk", "A dog builds rockets", "corgi tycoon");
//! let mut ep = Episode::new("ep1", "Garage", "It starts in a garage");
//! ep.scenes.push(Scene::new("ep1-sc1", "Night. A corgi stares at a star map."));
//! drama.episodes.push(ep);
//! storage.create_drama(&drama).await?;
//!
//! let patch = ScenePatch { description: Some("Dawn. The rocket hums.".into()), ..Default::default() };
//! let scene = storage.update_scene("drama_quickstart01", "ep1", "ep1-sc1", patch, None).await?;
//! assert_eq!(storage.get_drama("drama_quickstart01").await?.version, scene.version);
//! # Ok(()) }
//! ```
//!
//! Features:
//! - `storage` (default): [`Storage`], [`ObjectStorage`] and the edit functions;
//! - `llm` (default): the [`Llm`] trait, [`OpenAiLlm`], and generation,
//!   improvement and critique;
//! - `render` (default): the [`Renderer`] trait, image / video / speech
//!   providers, media files and the render graph ([`plan_render`]);
//! - `jobs` (default): [`JobRunner`], durable leased jobs with progress and
//!   events, including render jobs ([`Studio::start_render`]);
//! - `simulator`: `SimulatedLlm` and `SimulatedRenderer`, stand-ins for
//!   benchmarks and demos.
//!
//! Without default features only the serde document types remain, which is
//! what `sfd-client` uses.

#[cfg(feature = "render")]
pub mod assemble;
#[cfg(feature = "render")]
pub mod export;
#[cfg(feature = "render")]
mod ffmpeg;
pub mod model;

#[cfg(feature = "storage")]
mod edit;
#[cfg(feature = "llm")]
pub mod generate;
#[cfg(feature = "jobs")]
pub mod jobs;
#[cfg(feature = "storage")]
pub mod library;
#[cfg(feature = "llm")]
pub mod llm;
#[cfg(feature = "storage")]
mod metered;
#[cfg(feature = "render")]
pub mod render;
#[cfg(feature = "storage")]
pub mod storage;
#[cfg(feature = "jobs")]
mod studio;
#[cfg(any(feature = "storage", feature = "llm"))]
pub mod telemetry;
#[cfg(feature = "render")]
pub mod timeline;
#[cfg(feature = "render")]
pub mod timing;

/// The crate's one error type, beside the model whose kinds it names.
pub(crate) use model::error;
pub use model::error::{BoxError, EntityKind, Error, LlmErrorKind, Result};
pub use model::*;

#[cfg(feature = "storage")]
pub use edit::EditExt;
#[cfg(feature = "render")]
pub use ffmpeg::Ffmpeg;

#[cfg(feature = "llm")]
pub use generate::{
    Critique, GenerateOptions, Generated, ImproveOptions, Improved, Scores, critique_and_improve, critique_drama,
    generate_drama, generate_one_shot, improve_drama,
};
#[cfg(feature = "jobs")]
pub use jobs::{JobEvent, JobEventKind, JobRunner, RunnerConfig};
#[cfg(feature = "storage")]
pub use library::{LibraryExt, LibraryProject, LibraryUpload};
#[cfg(feature = "llm")]
pub use llm::{
    ChatRequest, ChatResponse, FinishReason, JsonSchema, Llm, Message, OpenAiConfig, OpenAiLlm, Role, Usage,
};
#[cfg(feature = "simulator")]
pub use llm::{SimulatedLlm, chat_completion_with, chat_request_of};
#[cfg(feature = "storage")]
pub use metered::MeteredStorage;
#[cfg(feature = "render")]
pub use render::FetchRules;
#[cfg(feature = "simulator")]
pub use render::SimulatedJudge;
#[cfg(feature = "render")]
pub use render::{
    AspectRatio, ChatImages, ComfyUi, Durations, Fal, Frames, Kling, Lookup, Media, MediaRequest, MiniMax,
    ModelCapabilities, OpenAiImages, OpenAiSpeech, OpenAiVideos, PROVIDERS, Price, PriceTable, ProviderConfig,
    ProviderLimit, RENDER_SETTINGS, Reference, RenderConfig, RenderSetting, Renderer, RendererExt, Replicate, Seedance,
    SpeechFormat, TaskApi, TaskPermit, TaskRenderer, TaskState, Veo, VideoPolling, Voice, Wan, fit, plan_render,
    provider_var,
};
pub use render::{BestOf, ChatJudge, DEFAULT_JUDGE_MODEL, Judge, MAX_CANDIDATES, Verdict};
#[cfg(feature = "render")]
pub use render::{
    CloneLimits, ClonedVoice, VOICE_CLONE_METADATA, VOICE_SAMPLE_METADATA, VoiceCloner, VoiceSample, clone_name,
};
#[cfg(feature = "render")]
pub use render::{ElevenLabs, GeminiImages, MiniMaxSpeech, SPEECH_METADATA, Seedream, SpeechTiming, SpokenWord};
#[cfg(feature = "simulator")]
pub use render::{SimulatedCall, SimulatedRenderer};
#[cfg(feature = "storage")]
pub use storage::{
    ByteStream, Capabilities, Cursor, DEFAULT_CACHE_BYTES, DramaCache, GroupCommit, Key, KeyLocks, LegacyJobs,
    ListOptions, Listed, MediaInfo, MediaListed, MediaRead, MediaStore, MediaStoreExt, Migration, MigrationAction,
    ObjectStorage, Storage, StorageBuilder, StorageExt, Stored, SummaryRepair, Version, Versioned, WriteMode,
    sha256_hex,
};
#[cfg(feature = "jobs")]
pub use studio::{CollectOptions, Export, Studio, StudioBuilder, VOICE_SAMPLE_LIMIT};
#[cfg(feature = "render")]
pub use timeline::{Clip, ClipMedia, ClipSource, Span, Timeline, Track, TrackKind};
