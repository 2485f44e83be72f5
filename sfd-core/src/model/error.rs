//! The one error type of `sfd-core`. It lives with the model because it
//! speaks of its kinds and problems, and the model's own checks return it.

use std::fmt;

use super::{AssetKind, Problems};

/// A boxed error from a lower layer (object storage, I/O).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The kind of entity an error speaks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntityKind {
    /// A whole drama document.
    Drama,
    /// A character inside a drama.
    Character,
    /// An episode inside a drama.
    Episode,
    /// A scene inside an episode.
    Scene,
    /// An asset inside a drama, character, episode or scene.
    Asset,
    /// A job record.
    Job,
    /// A media file (an image, video or audio file under `media/`).
    Media,
    /// An asset of the library (a reusable image, video or text of a project).
    LibraryAsset,
}

impl EntityKind {
    /// The lowercase name used in messages and HTTP error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Drama => "drama",
            EntityKind::Character => "character",
            EntityKind::Episode => "episode",
            EntityKind::Scene => "scene",
            EntityKind::Asset => "asset",
            EntityKind::Job => "job",
            EntityKind::Media => "media file",
            EntityKind::LibraryAsset => "library asset",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in `sfd-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The entity does not exist.
    #[error("{kind} '{id}' not found")]
    NotFound {
        /// What was looked for.
        kind: EntityKind,
        /// Its id.
        id: String,
    },
    /// An entity with this id already exists.
    #[error("{kind} '{id}' already exists")]
    AlreadyExists {
        /// What was created.
        kind: EntityKind,
        /// The id that is taken.
        id: String,
    },
    /// The caller's expected version is not the stored one.
    #[error("{kind} '{id}' has changed: expected version {expected}, found {}", actual.as_deref().unwrap_or("none"))]
    VersionMismatch {
        /// What was written.
        kind: EntityKind,
        /// Its id.
        id: String,
        /// The version the caller expected.
        expected: String,
        /// The version found in storage, when known.
        actual: Option<String>,
    },
    /// Concurrent writers kept winning; the edit was not applied.
    #[error("{kind} '{id}' is being edited concurrently; gave up after {attempts} attempts")]
    Conflict {
        /// What was written.
        kind: EntityKind,
        /// Its id.
        id: String,
        /// How many compare-and-swap attempts were made.
        attempts: u32,
    },
    /// The input breaks the document rules; every problem is listed.
    #[error("invalid input: {0}")]
    Invalid(Problems),
    /// A stored document exists but cannot be read.
    #[error("stored document '{key}' is unreadable: {reason}")]
    Corrupt {
        /// The storage key of the document.
        key: String,
        /// What the parser said.
        reason: String,
    },
    /// A listing cursor that this library did not issue.
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
    /// The storage configuration is wrong (names the setting at fault).
    #[error("storage configuration: {0}")]
    Config(String),
    /// No LLM is configured, so nothing can be generated.
    #[error(
        "no LLM is configured: set OPENAI_API_KEY (and optionally OPENAI_API_BASE and GPT_MODEL) \
         to use OpenAI or an OpenAI-compatible server"
    )]
    LlmNotConfigured,
    /// The LLM provider failed, or its output could not be used.
    #[error("LLM {kind}{}: {message} ({attempts} attempt{})", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), if *attempts == 1 { "" } else { "s" })]
    Llm {
        /// What kind of failure.
        kind: LlmErrorKind,
        /// The HTTP status, when the provider answered with one.
        status: Option<u16>,
        /// What the provider said (secrets removed).
        message: String,
        /// How many requests were made.
        attempts: u32,
    },
    /// A generation stage failed; says which stage and episode.
    #[error("generation failed at stage '{stage}'{}: {source}", episode.as_ref().map(|e| format!(", episode {e}")).unwrap_or_default())]
    Generation {
        /// `outline`, `episode`, `improve_plan`, `critique`, …
        stage: String,
        /// The episode id, for per-episode stages.
        episode: Option<String>,
        /// The underlying failure.
        source: Box<Error>,
    },
    /// The operation was cancelled.
    #[error("cancelled: {0}")]
    Cancelled(String),
    /// A render of the drama is already pending or running (in any process).
    #[error("drama '{drama_id}' is already rendering in job {job_id}; wait for it or cancel it")]
    AlreadyRendering {
        /// The drama.
        drama_id: String,
        /// The render job that holds it.
        job_id: String,
    },
    /// No renderer is configured for this kind of asset; the message names the settings to set.
    #[error("no {kind} renderer is configured: set {}", renderer_settings(*kind))]
    RendererNotConfigured {
        /// The kind of asset that cannot be rendered.
        kind: AssetKind,
    },
    /// A media provider (image, video or speech) failed or refused.
    #[error("{provider} {kind}{}: {message} ({attempts} attempt{})", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), if *attempts == 1 { "" } else { "s" })]
    Render {
        /// The provider, e.g. `openai-images` or `simulated`.
        provider: String,
        /// What kind of failure.
        kind: LlmErrorKind,
        /// The HTTP status, when the provider answered with one.
        status: Option<u16>,
        /// What the provider said (secrets removed).
        message: String,
        /// How many requests were made.
        attempts: u32,
    },
    /// A media type sfd does not store.
    #[error("unsupported media type '{0}': use image/png, image/jpeg, image/webp, video/mp4, audio/mpeg or audio/wav")]
    UnsupportedMediaType(String),
    /// A media file is larger than the limit.
    #[error("the media file is larger than the limit of {limit} bytes")]
    MediaTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A byte range that lies outside the file.
    #[error("range not satisfiable: the file has {size} bytes")]
    RangeNotSatisfiable {
        /// The size of the file.
        size: u64,
    },
    /// A media tool (`ffmpeg`, `ffprobe`) is not where sfd looks for it.
    #[error("{tool} is not installed: {hint}")]
    ToolMissing {
        /// The program looked for.
        tool: String,
        /// How to install or point at it.
        hint: String,
    },
    /// A media tool failed; the message ends with the tail of its stderr.
    #[error("{tool} failed: {message}")]
    Tool {
        /// The program.
        tool: String,
        /// What it said.
        message: String,
    },
    /// An editor's hand-off needs rendered clips that the episode lacks.
    #[error("episode '{episode}' has no rendered clip for scene{} {}: render them first (POST /dramas/{{id}}/render)", if scenes.len() == 1 { "" } else { "s" }, scenes.join(", "))]
    NotRendered {
        /// The episode.
        episode: String,
        /// The scenes without a rendered clip, in order.
        scenes: Vec<String>,
    },
    /// The storage backend failed or could not be reached.
    #[error("storage error on '{key}': {source}")]
    Storage {
        /// The key being accessed, or the prefix being listed.
        key: String,
        /// What the backend said.
        #[source]
        source: BoxError,
    },
}

/// The kinds of provider failure: the LLM, and the image, video and speech renderers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LlmErrorKind {
    /// 401 / 403: the key is missing, wrong or lacks access.
    Auth,
    /// 400 / 404 / 422: the request was refused (unknown model, bad parameter).
    BadRequest,
    /// 429 after every retry.
    RateLimited,
    /// The account has no quota left (`insufficient_quota`); never retried.
    Quota,
    /// 5xx after every retry.
    Server,
    /// No answer in time, after every retry.
    Timeout,
    /// The server could not be reached, after every retry.
    Connection,
    /// The token budget ran out (`finish_reason: "length"`).
    Length,
    /// The model refused (`message.refusal`).
    Refusal,
    /// The output was not valid JSON for the schema, or broke the rules, even after a repair.
    InvalidOutput,
    /// The provider's answer was not a chat completion.
    Decode,
}

impl fmt::Display for LlmErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LlmErrorKind::Auth => "authentication failed",
            LlmErrorKind::BadRequest => "request refused",
            LlmErrorKind::RateLimited => "rate limited",
            LlmErrorKind::Quota => "quota exhausted",
            LlmErrorKind::Server => "server error",
            LlmErrorKind::Timeout => "timed out",
            LlmErrorKind::Connection => "unreachable",
            LlmErrorKind::Length => "ran out of tokens",
            LlmErrorKind::Refusal => "refused",
            LlmErrorKind::InvalidOutput => "gave unusable output",
            LlmErrorKind::Decode => "answered in an unknown format",
        })
    }
}

/// The settings that configure a renderer for `kind`.
fn renderer_settings(kind: AssetKind) -> &'static str {
    match kind {
        AssetKind::Image => {
            "NANO_BANANA_API_KEY (and NANO_BANANA_API_BASE) for an OpenAI-compatible chat image model, \
             SFD_IMAGE_API_BASE (and SFD_IMAGE_API_KEY, SFD_IMAGE_MODEL) for the OpenAI Images API, \
             or OPENAI_API_KEY for OpenAI"
        }
        AssetKind::Video => {
            "SFD_VIDEO_API_BASE and SFD_VIDEO_MODEL (and SFD_VIDEO_API_KEY), or SORA_API_KEY and SORA_API_BASE"
        }
        AssetKind::Audio => "SFD_SPEECH_API_BASE (and SFD_SPEECH_API_KEY, SFD_SPEECH_MODEL), or OPENAI_API_KEY",
    }
}

impl Error {
    /// An [`Error::Llm`] of `kind` after `attempts` requests.
    pub fn llm(kind: LlmErrorKind, status: Option<u16>, message: impl Into<String>, attempts: u32) -> Self {
        Error::Llm {
            kind,
            status,
            message: message.into(),
            attempts,
        }
    }

    /// Wraps an error with the generation stage (and episode) it happened in.
    pub fn at_stage(self, stage: &str, episode: Option<&str>) -> Self {
        match self {
            e @ (Error::Generation { .. } | Error::Cancelled(_)) => e,
            e => Error::Generation {
                stage: stage.to_string(),
                episode: episode.map(str::to_string),
                source: Box::new(e),
            },
        }
    }

    /// Builds [`Error::Invalid`] from a single problem.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(Problems::one(path, message))
    }

    /// True for [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_entity() {
        let e = Error::NotFound {
            kind: EntityKind::Scene,
            id: "ep1-sc2".into(),
        };
        assert_eq!(e.to_string(), "scene 'ep1-sc2' not found");
        assert!(e.is_not_found());
        let e = Error::VersionMismatch {
            kind: EntityKind::Drama,
            id: "d".into(),
            expected: "\"1\"".into(),
            actual: None,
        };
        assert!(e.to_string().contains("found none"));
    }
}
