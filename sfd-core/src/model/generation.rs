//! [`GenerationRequest`]: what a request to generate a drama asks for, and
//! the ranges it is checked against before any job starts.

use serde::{Deserialize, Serialize};

use super::id::id_problem;
use super::{Problem, Problems};

/// The most episodes a generation may ask for.
pub const MAX_GENERATED_EPISODES: u32 = 20;
/// The most scenes per episode a generation may ask for.
pub const MAX_GENERATED_SCENES: u32 = 12;

/// What a generation request asks for: the body of `POST /dramas` with a
/// premise, and the argument of `Studio::start_generation`.
///
/// ```
/// let req = sfd_core::GenerationRequest::new("a corgi tycoon").with_episodes(3).with_scenes_per_episode(4);
/// assert!(req.problems().is_empty());
/// assert!(!sfd_core::GenerationRequest::new("p").with_episodes(0).problems().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationRequest {
    /// The premise.
    pub premise: String,
    /// The drama id; `drama_…` when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// A model other than the configured one.
    #[serde(default)]
    pub model: Option<String>,
    /// Episodes, 1 to [`MAX_GENERATED_EPISODES`]; read from the premise when absent.
    #[serde(default)]
    pub episodes: Option<u32>,
    /// Scenes per episode, 1 to [`MAX_GENERATED_SCENES`]; read from the premise when absent.
    #[serde(default)]
    pub scenes_per_episode: Option<u32>,
}

impl GenerationRequest {
    /// A request for `premise`, everything else left to the server.
    pub fn new(premise: impl Into<String>) -> Self {
        GenerationRequest {
            premise: premise.into(),
            ..Default::default()
        }
    }

    /// Uses `id` as the drama id.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Uses `model` instead of the configured one.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Asks for `n` episodes.
    pub fn with_episodes(mut self, n: u32) -> Self {
        self.episodes = Some(n);
        self
    }

    /// Asks for `n` scenes per episode.
    pub fn with_scenes_per_episode(mut self, n: u32) -> Self {
        self.scenes_per_episode = Some(n);
        self
    }

    /// Everything wrong with the request (empty when it can start).
    pub fn problems(&self) -> Problems {
        let mut p = count_problems(self.episodes, self.scenes_per_episode);
        if self.premise.trim().is_empty() {
            p.0.push(Problem {
                path: "premise".into(),
                message: "the premise must not be empty".into(),
            });
        }
        if let Some(msg) = self.id.as_deref().and_then(id_problem) {
            p.0.push(Problem {
                path: "id".into(),
                message: msg,
            });
        }
        p
    }
}

/// Out-of-range episode and scene counts.
pub fn count_problems(episodes: Option<u32>, scenes_per_episode: Option<u32>) -> Problems {
    let mut p = Problems::default();
    for (path, value, max) in [
        ("episodes", episodes, MAX_GENERATED_EPISODES),
        ("scenes_per_episode", scenes_per_episode, MAX_GENERATED_SCENES),
    ] {
        if let Some(n) = value
            && !(1..=max).contains(&n)
        {
            p.0.push(Problem {
                path: path.into(),
                message: format!("must be between 1 and {max}, got {n}"),
            });
        }
    }
    p
}
