//! Critique: scores per dimension plus free text, and a critique → improve loop.

use serde::{Deserialize, Serialize};

use super::ask::{Ask, ask};
use super::improve::{ImproveOptions, improve_drama};
use super::{ProgressFn, prompts, schemas};
use crate::Result;
use crate::llm::{Llm, Usage};
use crate::model::{Drama, Progress};

/// Scores from 1 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    /// The first seconds.
    pub hook: u8,
    /// Pacing.
    pub pacing: u8,
    /// Characters stay themselves.
    pub character_consistency: u8,
    /// Episode endings.
    pub cliffhangers: u8,
    /// How well the prompts read as 9:16 shots.
    pub visual_clarity: u8,
}

/// A structured critique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Critique {
    /// Scores per dimension.
    pub scores: Scores,
    /// One paragraph.
    pub summary: String,
    /// What works.
    pub strengths: Vec<String>,
    /// What does not.
    pub weaknesses: Vec<String>,
    /// What to do.
    pub suggestions: Vec<String>,
    /// The full critique as free text (what an improvement takes as feedback).
    pub feedback: String,
}

/// Critiques a drama.
pub async fn critique_drama(llm: &dyn Llm, drama: &Drama, model: Option<&str>) -> Result<(Critique, Usage)> {
    let drama_json = serde_json::to_string(drama).unwrap_or_default();
    ask(
        llm,
        Ask {
            stage: "critique",
            episode: None,
            prompt: prompts::critique(&drama_json),
            schema: schemas::critique(),
            budget: 16_000,
            model,
        },
        |c: &Critique| {
            let s = c.scores;
            let mut p: Vec<String> = [
                ("hook", s.hook),
                ("pacing", s.pacing),
                ("character_consistency", s.character_consistency),
                ("cliffhangers", s.cliffhangers),
                ("visual_clarity", s.visual_clarity),
            ]
            .iter()
            .filter(|(_, v)| !(1..=10).contains(v))
            .map(|(k, v)| format!("score {k} must be between 1 and 10, not {v}"))
            .collect();
            if c.feedback.trim().is_empty() {
                p.push("feedback is empty".into());
            }
            p
        },
    )
    .await
}

/// Runs `rounds` of critique then improvement; returns the last drama, every
/// critique in order, and the total usage. Intermediate dramas are not
/// stored; each round's id is `{id}_improved_{ms}` unless `opts.new_id` is
/// set, which then names the final drama.
pub async fn critique_and_improve(
    llm: &dyn Llm,
    drama: &Drama,
    rounds: u32,
    opts: &ImproveOptions,
    progress: ProgressFn<'_>,
) -> Result<(Drama, Vec<Critique>, Usage)> {
    let mut current = drama.clone();
    let mut critiques = Vec::new();
    let mut usage = Usage::default();
    for round in 0..rounds {
        progress(Progress::new("critique", round, rounds));
        let (c, u) = critique_drama(llm, &current, opts.model.as_deref()).await?;
        usage += u;
        let mut round_opts = opts.clone();
        if round + 1 < rounds {
            round_opts.new_id = None;
        }
        let improved = improve_drama(llm, &current, &c.feedback, &round_opts, progress).await?;
        usage += improved.usage;
        critiques.push(c);
        current = improved.drama;
    }
    Ok((current, critiques, usage))
}
