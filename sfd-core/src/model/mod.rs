//! Documents, ids, patches and validation. Knows nothing of storage or HTTP.

mod api;
mod assemble;
mod candidates;
mod character;
mod document;
pub(crate) mod error;
mod generation;
pub mod id;
mod job;
mod job_input;
mod level;
mod library;
mod limits;
mod locate;
mod media;
mod patch;
mod render;
mod renderable;
mod screenplay;
mod sheet;
mod validate;

pub use api::{
    AssetList, CharacterList, CreateDramaRequest, CriticRequest, DramaPage, DramaSummary, EpisodeList, ErrorBody,
    Health, ImproveDramaRequest, ImproveDramaResponse, JobList, JobResponse, SceneList, Success,
};
pub use assemble::{
    ASSEMBLED_BY, AssembleRequest, AssembledEpisode, AudioMode, ExportFormat, ExportOptions, SubtitleMode,
};
pub use candidates::{Candidate, Candidates, ChooseCandidate, PlanCandidates};
pub use character::Character;
pub use document::{Asset, AssetKind, CREATED_AT, Drama, Episode, Object, Scene};
pub use generation::{GenerationRequest, MAX_GENERATED_EPISODES, MAX_GENERATED_SCENES, count_problems};
pub use job::{Job, JobStatus, JobType, Progress, ProgressFn, no_progress, now_ms};
pub use job_input::{GenerateInput, JobInput};
pub use level::{Address, Level, LevelInfo, Nested, level_by_plural, levels};
pub use library::{
    DEFAULT_LIBRARY_USER, LIBRARY_REF_PREFIX, LibraryAsset, LibraryDeleted, LibraryListing, LibraryTag, LibraryType,
    LibraryUploaded, library_ref,
};
pub use limits::{
    MAX_ASSETS, MAX_CHARACTERS, MAX_DEPENDS_ON, MAX_DRAMA_EPISODES, MAX_EPISODE_SCENES, MAX_IDS, SizeLimits,
};
pub use locate::AssetOwner;
pub(crate) use media::SNIFF_BYTES;
pub use media::{ByteRange, MEDIA_PREFIX, MediaKey, MediaType};
pub use patch::{AssetPatch, CharacterPatch, DramaPatch, EpisodePatch, Patch, ScenePatch};
pub use render::{
    AssetRenderRequest, CollectedMedia, FailedAsset, MediaUsage, PlanAction, PlanNode, PlanSent, RENDER_METADATA,
    ReferenceRole, RenderPlan, RenderRecord, RenderRequest, RenderResult, RenderedAsset, SkippedAsset,
};
pub use renderable::{
    AUDITION_SECONDS, COVER_ID, audition_asset, audition_id, cover_prompt, look_of, make_renderable, portrait_id,
    portrait_prompt,
};
pub use screenplay::{Heading, Line, Setting, Shot, keyframe_id, line_id, music_id, shot_ids};
pub use sheet::{SHEET_METADATA, SheetEntry, sheet_of, sheet_prompt, variant_asked};
pub use validate::{Problem, Problems, validate};
