//! Rendering: turning an asset's prompt, and the files it depends on, into
//! an image, a video or speech.
//!
//! - [`Renderer`] is the provider boundary (object-safe, used as
//!   `Arc<dyn Renderer>`), with typed helpers in [`RendererExt`];
//! - providers: [`OpenAiImages`] (`/v1/images/generations` and `/edits`),
//!   [`ChatImages`] (an OpenAI-compatible chat image model such as
//!   `gemini-2.5-flash-image`), [`OpenAiVideos`] (the `/v1/videos` shape),
//!   [`OpenAiSpeech`] (`/v1/audio/speech`), and with the `simulator` feature
//!   `SimulatedRenderer`, which makes real PNG, WAV and MP4 files;
//! - [`RenderConfig`]: a renderer per kind, concurrency, prices and URLs,
//!   from code or from the environment;
//! - [`plan_render`]: the graph of `depends_on` in levels, what is missing
//!   or stale, and what it will cost, without calling or writing anything.
//!
//! The render job itself (every node started as soon as its inputs are
//! saved, each finished node saved at once with a CAS edit) runs through
//! `Studio::start_render`.
//!
//! ```
//! use sfd_core::{Asset, AssetKind, Character, Drama, PlanAction, RenderConfig, RenderRequest, plan_render};
//!
//! # fn main() -> sfd_core::Result<()> {
//! let mut drama = Drama::new("drama_plan01", "Fetch the Stars", "A corgi builds a rocket.", "corgi");
//! drama.characters.push(Character::new("char-ava", "Ava", "a border collie engineer"));
//! let mut shot = Asset::new("shot", AssetKind::Image, "Ava in the garage at night");
//! shot.depends_on = vec!["char-ava".into()]; // a character means its portrait
//! drama.assets.push(shot);
//!
//! // No provider configured (no environment): the plan shows what is blocked and why.
//! let config = RenderConfig::from_env_vars(|_| None)?;
//! let plan = plan_render(&drama, &RenderRequest::all(), &config)?;
//! let shot = plan.node("shot").expect("planned");
//! assert_eq!(shot.depends_on, ["char-ava-portrait"]);
//! assert_eq!((shot.level, shot.action), (1, PlanAction::Blocked));
//! # Ok(()) }
//! ```

mod aspect;
mod best_of;
#[cfg(feature = "jobs")]
mod candidates;
mod capabilities;
mod chat_images;
#[cfg(feature = "jobs")]
mod cloning;
mod config;
#[cfg(feature = "jobs")]
mod dag;
mod fetch;
#[cfg(feature = "simulator")]
mod files;
mod frame;
pub(crate) mod graph;
mod images;
mod judge;
mod ledger;
mod limits;
mod prices;
mod provider;
mod providers;
mod references;
#[cfg(feature = "jobs")]
pub(crate) mod run;
#[cfg(feature = "jobs")]
pub(crate) mod save;
#[cfg(feature = "jobs")]
mod schedule;
mod select;
#[cfg(feature = "simulator")]
mod simulated;
mod speech;
mod task;
#[cfg(feature = "jobs")]
pub(crate) mod timed;
mod timing;
#[cfg(feature = "jobs")]
mod turns;
mod videos;
mod voice;
mod voice_clone;

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;

use crate::Result;
use crate::model::{AssetKind, MediaType, MediaUsage, ReferenceRole};

pub use crate::llm::ProviderConfig;
pub use aspect::AspectRatio;
pub use best_of::{BestOf, MAX_CANDIDATES};
pub use capabilities::{Durations, Frames, ModelCapabilities, fit};
pub use chat_images::{ChatImages, DEFAULT_CHAT_IMAGE_MODEL};
pub use config::{RENDER_SETTINGS, RenderConfig, RenderSetting};
pub use fetch::FetchRules;
pub use graph::{inputs_hash, plan_render, prompt_hash};
pub use images::{DEFAULT_IMAGE_MODEL, OpenAiImages};
#[cfg(feature = "simulator")]
pub use judge::SimulatedJudge;
pub use judge::{ChatJudge, DEFAULT_JUDGE_MODEL, Judge, Verdict};
pub use limits::{ProviderLimit, TaskPermit};
pub(crate) use prices::speech_seconds;
pub use prices::{Price, PriceTable};
pub use providers::{
    ARK_API_BASE, ComfyUi, DASHSCOPE_API_BASE, DEFAULT_KLING_MODEL, DEFAULT_MINIMAX_MODEL, DEFAULT_SEEDANCE_MODEL,
    DEFAULT_VEO_MODEL, DEFAULT_WAN_MODEL, FAL_QUEUE_BASE, Fal, GEMINI_API_BASE, KLING_API_BASE, Kling,
    MINIMAX_API_BASE, MiniMax, REPLICATE_API_BASE, Replicate, Seedance, Veo, Wan,
};
pub use providers::{
    DEFAULT_ELEVENLABS_MODEL, DEFAULT_GEMINI_IMAGE_MODEL, DEFAULT_MINIMAX_SPEECH_MODEL, DEFAULT_SEEDREAM_MODEL,
    ELEVENLABS_API_BASE, ElevenLabs, GeminiImages, MiniMaxSpeech, Seedream,
};
pub use select::{PROVIDERS, provider_var};
#[cfg(feature = "simulator")]
pub use simulated::{SimulatedCall, SimulatedRenderer};
pub(crate) use speech::wav_seconds;
pub use speech::{DEFAULT_SPEECH_MODEL, OpenAiSpeech, SpeechFormat};
pub use task::{Lookup, TaskApi, TaskRenderer, TaskState};
pub use timing::{SPEECH_METADATA, SpeechTiming, SpokenWord};
pub use videos::{DEFAULT_VIDEO_MODEL, OpenAiVideos, VideoPolling};
pub use voice::{NARRATOR, VOICES, voice_for};
pub use voice_clone::{
    CloneLimits, ClonedVoice, VOICE_CLONE_METADATA, VOICE_SAMPLE_METADATA, VoiceCloner, VoiceSample, clone_name,
};

/// A file given to a provider as an input: a portrait for a scene image,
/// the scene image for its clip.
#[derive(Clone, PartialEq, Eq)]
pub struct Reference {
    /// The asset it was rendered for (used as the file name).
    pub name: String,
    /// Its type.
    pub media_type: MediaType,
    /// Its bytes.
    pub bytes: Bytes,
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reference")
            .field("name", &self.name)
            .field("media_type", &self.media_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Who speaks, for speech.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Voice {
    /// The provider's voice name (e.g. `coral`).
    pub name: String,
    /// How to speak, from the character's `voice_description`.
    pub instructions: Option<String>,
    /// The character's reference clip, for providers that clone voices
    /// (its `metadata.voice_sample`); `None` for the narrator and for
    /// characters without one.
    pub sample: Option<VoiceSample>,
}

/// One render call.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRequest {
    /// What to make.
    pub kind: AssetKind,
    /// The asset it is for (logs and tests; providers may ignore it).
    pub label: String,
    /// What to show or say.
    pub prompt: String,
    /// Input files, most important first (see `references.rs`).
    pub references: Vec<Reference>,
    /// Which leading references are a video's frames, as the graph found them.
    pub frames: Frames,
    /// What each reference is sent as, once fitted to the provider
    /// (parallel to `references`); empty before, see [`MediaRequest::role`].
    pub roles: Vec<ReferenceRole>,
    /// The frame, asked of the provider as a size.
    pub aspect_ratio: AspectRatio,
    /// Seconds (video length; speech ignores it).
    pub duration: Option<u32>,
    /// The voice (speech).
    pub voice: Option<Voice>,
    /// Which candidate of a best-of-N render this call makes (0 for the
    /// first); providers that take a seed may use it to vary the result.
    pub candidate: u32,
}

impl MediaRequest {
    /// A request of `kind` for `prompt` at `aspect_ratio`, with no inputs.
    pub fn new(kind: AssetKind, prompt: impl Into<String>, aspect_ratio: AspectRatio) -> Self {
        MediaRequest {
            kind,
            label: String::new(),
            prompt: prompt.into(),
            references: Vec::new(),
            frames: Frames::default(),
            roles: Vec::new(),
            aspect_ratio,
            duration: None,
            voice: None,
            candidate: 0,
        }
    }

    /// What reference `i` is sent as: its fitted role, or before fitting
    /// a video's first input as its first frame and the rest as references.
    pub fn role(&self, i: usize) -> ReferenceRole {
        match self.roles.get(i) {
            Some(r) => *r,
            None if i == 0 && self.kind == AssetKind::Video => ReferenceRole::FirstFrame,
            None => ReferenceRole::Reference,
        }
    }

    /// The references sent as `role`, in order.
    pub fn with_role(&self, role: ReferenceRole) -> impl Iterator<Item = &Reference> {
        self.references
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.role(*i) == role)
            .map(|(_, r)| r)
    }
}

/// What a provider made.
#[derive(Clone, PartialEq)]
pub struct Media {
    /// The file.
    pub bytes: Bytes,
    /// Its type.
    pub media_type: MediaType,
    /// What the call spent.
    pub usage: MediaUsage,
    /// The provider that made it.
    pub provider: String,
    /// The model that made it.
    pub model: String,
    /// Speech: its length and, where the provider gives them, word times
    /// (saved as the line's `metadata.speech`).
    pub speech: Option<SpeechTiming>,
}

impl fmt::Debug for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Media")
            .field("bytes", &self.bytes.len())
            .field("media_type", &self.media_type)
            .field("usage", &self.usage)
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("speech", &self.speech.as_ref().map(|s| s.duration))
            .finish()
    }
}

/// An image, video or speech provider. Used as `Arc<dyn Renderer>`.
///
/// Implementations turn provider failures into [`crate::Error::Render`] and
/// retry only 429, 5xx and connection errors, honouring `Retry-After`.
/// Dropping the future stops the call.
#[async_trait]
pub trait Renderer: fmt::Debug + Send + Sync {
    /// Makes one file.
    async fn render(&self, request: MediaRequest) -> Result<Media>;

    /// The provider's name, recorded in `metadata.render.provider`.
    fn provider(&self) -> &str;

    /// The model used, recorded in `metadata.render.model` and used for prices.
    fn model(&self) -> &str;

    /// What it accepts (durations, frames, references), checked by the
    /// plan and fitted before each call; by default the table's entry
    /// for [`Renderer::provider`] and [`Renderer::model`].
    fn capabilities(&self) -> ModelCapabilities {
        ModelCapabilities::of(self.provider(), self.model())
    }

    /// The task driver, for providers whose API is an asynchronous task:
    /// the render job then saves the task before polling it (paid once).
    fn tasks(&self) -> Option<&TaskRenderer> {
        None
    }

    /// The voice cloner, for speech providers that clone a voice from a
    /// character's reference clip (the render job clones once per sample).
    fn cloner(&self) -> Option<&dyn VoiceCloner> {
        None
    }
}

/// Typed helpers over any [`Renderer`].
#[async_trait]
pub trait RendererExt: Renderer {
    /// An image of `prompt`, drawn with `references` (e.g. portraits).
    async fn image(&self, prompt: &str, references: Vec<Reference>, aspect_ratio: AspectRatio) -> Result<Media> {
        let mut r = MediaRequest::new(AssetKind::Image, prompt, aspect_ratio);
        r.references = references;
        self.render(r).await
    }

    /// A clip of `seconds` seconds, moving from `image` when given.
    async fn video(
        &self,
        prompt: &str,
        image: Option<Reference>,
        aspect_ratio: AspectRatio,
        seconds: u32,
    ) -> Result<Media> {
        let mut r = MediaRequest::new(AssetKind::Video, prompt, aspect_ratio);
        r.references = image.into_iter().collect();
        r.duration = Some(seconds);
        self.render(r).await
    }

    /// `text` spoken in `voice`.
    async fn speech(&self, text: &str, voice: Voice) -> Result<Media> {
        let mut r = MediaRequest::new(AssetKind::Audio, text, AspectRatio::PORTRAIT);
        r.voice = Some(voice);
        self.render(r).await
    }
}

impl<T: Renderer + ?Sized> RendererExt for T {}

/// A [`crate::Error::Render`] from `provider`.
pub(crate) fn render_error(
    provider: &str,
    kind: crate::LlmErrorKind,
    status: Option<u16>,
    message: impl Into<String>,
    attempts: u32,
) -> crate::Error {
    crate::Error::Render {
        provider: provider.to_string(),
        kind,
        status,
        message: message.into(),
        attempts,
    }
}

/// The error of a provider asked for a kind it does not make.
pub(crate) fn wrong_kind(provider: &str, makes: AssetKind, asked: AssetKind) -> crate::Error {
    render_error(
        provider,
        crate::LlmErrorKind::BadRequest,
        None,
        format!("this renderer makes {makes} files, not {asked}"),
        0,
    )
}
