//! Documents, ids, patches and validation. Knows nothing of storage or HTTP.

mod api;
mod assemble;
mod character;
mod document;
mod generation;
pub mod id;
mod job;
mod level;
mod limits;
mod locate;
mod media;
mod patch;
mod render;
mod validate;

pub use api::{
    AssetList, CharacterList, CreateDramaRequest, CriticRequest, DramaPage, DramaSummary, EpisodeList, ErrorBody,
    Health, ImproveDramaRequest, ImproveDramaResponse, JobList, JobResponse, SceneList, Success,
};
pub use assemble::{AssembleRequest, AssembledEpisode, AudioMode, ExportFormat, SubtitleMode};
pub use character::Character;
pub use document::{Asset, AssetKind, CREATED_AT, Drama, Episode, Object, Scene};
pub use generation::{GenerationRequest, MAX_GENERATED_EPISODES, MAX_GENERATED_SCENES, count_problems};
pub use job::{Job, JobInput, JobStatus, JobType, Progress, now_ms};
pub use level::{Address, Level, LevelInfo, Nested, level_by_plural, levels};
pub use limits::{
    MAX_ASSETS, MAX_CHARACTERS, MAX_DEPENDS_ON, MAX_DRAMA_EPISODES, MAX_EPISODE_SCENES, MAX_IDS, SizeLimits,
};
pub use locate::AssetOwner;
pub use media::{ByteRange, MEDIA_PREFIX, MediaKey, MediaType};
pub use patch::{AssetPatch, CharacterPatch, DramaPatch, EpisodePatch, Patch, ScenePatch};
pub use render::{
    AssetRenderRequest, CollectedMedia, FailedAsset, MediaUsage, PlanAction, PlanNode, PlanSent, RENDER_METADATA,
    RenderPlan, RenderRecord, RenderRequest, RenderResult, RenderedAsset, SkippedAsset,
};
pub use validate::{Problem, Problems, validate};
