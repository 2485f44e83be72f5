//! Generation: a drama from a premise (outline, then episodes in parallel),
//! improvement from feedback, and critique. Knows nothing of storage.

mod ask;
mod critique;
mod hierarchical;
mod improve;
mod mend;
mod one_shot;
mod prompts;
mod scene;
pub mod schemas;

pub use crate::model::{
    AUDITION_SECONDS, COVER_ID, ProgressFn, audition_asset, audition_id, cover_prompt, look_of, make_renderable,
    no_progress, portrait_id, portrait_prompt,
};
pub use critique::{Critique, Scores, critique_and_improve, critique_drama};
pub use hierarchical::{count_in_premise, generate_drama};
pub use improve::{ImproveOptions, Improved, improve_drama, improved_id};
pub use one_shot::generate_one_shot;

use crate::llm::Usage;
use crate::model::Drama;

/// How to generate a drama.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// The drama id; `drama_…` is made when absent.
    pub id: Option<String>,
    /// Episodes; read from the premise when absent (3 if it names none).
    pub episodes: Option<u32>,
    /// Scenes per episode; read from the premise when absent (3 to 6 otherwise).
    pub scenes_per_episode: Option<u32>,
    /// Allowed video durations in seconds.
    pub video_durations: Vec<u32>,
    /// A model other than the LLM's default.
    pub model: Option<String>,
    /// Episode calls in flight at once.
    pub max_parallel: usize,
    /// Completion budget of the outline call (reasoning included).
    pub outline_tokens: u32,
    /// Completion budget of each episode call (reasoning included).
    pub episode_tokens: u32,
    /// The frame written into portrait and cover prompts (`DEFAULT_ASPECT_RATIO`, 9:16).
    pub aspect_ratio: String,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            id: None,
            episodes: None,
            scenes_per_episode: None,
            video_durations: vec![10, 15],
            model: None,
            max_parallel: 8,
            outline_tokens: 16_000,
            episode_tokens: 16_000,
            aspect_ratio: "9:16".to_string(),
        }
    }
}

/// The most episodes and scenes per episode a request may ask for.
pub const MAX_EPISODES: u32 = crate::model::MAX_GENERATED_EPISODES;
/// The most scenes per episode.
pub const MAX_SCENES: u32 = crate::model::MAX_GENERATED_SCENES;

/// A generated drama and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The drama, with every id assigned and validated.
    pub drama: Drama,
    /// Calls and tokens over the whole generation.
    pub usage: Usage,
}
