//! One call for the whole drama: the old server's way, kept as the
//! baseline that hierarchical generation is measured against.

use serde::Deserialize;

use super::ask::{Ask, ask};
use super::hierarchical::{build_characters, cast_problems, count_in_premise, finish};
use super::scene::{SceneDraft, ShotDraft, build_scenes};
use super::schemas::{self, OutlineCharacter};
use super::{GenerateOptions, Generated, prompts};
use crate::Result;
use crate::llm::Llm;
use crate::model::id::new_drama_id;
use crate::model::{Drama, Episode};

#[derive(Deserialize)]
struct Whole {
    title: String,
    description: String,
    characters: Vec<OutlineCharacter>,
    episodes: Vec<WholeEpisode>,
}

#[derive(Deserialize)]
struct WholeEpisode {
    title: String,
    synopsis: String,
    scenes: Vec<FlatScene>,
}

/// A scene in the old one-call shape: one shot, no lines.
#[derive(Deserialize)]
struct FlatScene {
    description: String,
    characters: Vec<String>,
    image_prompt: String,
    video_prompt: String,
    duration: i64,
}

/// Generates a drama in a single call (names in place of ids, then mapped).
/// Slower than [`super::generate_drama`] for any real size; use it only to compare.
pub async fn generate_one_shot(llm: &dyn Llm, premise: &str, opts: &GenerateOptions) -> Result<Generated> {
    let episodes = opts
        .episodes
        .or_else(|| count_in_premise(premise, "episode"))
        .unwrap_or(3);
    let scenes = opts
        .scenes_per_episode
        .or_else(|| count_in_premise(premise, "scene"))
        .unwrap_or(4);
    let (whole, usage) = ask(
        llm,
        Ask {
            stage: "one_shot",
            episode: None,
            prompt: prompts::one_shot(premise, episodes, scenes, &opts.video_durations),
            schema: schemas::one_shot(episodes, scenes, &opts.video_durations),
            budget: opts.outline_tokens + opts.episode_tokens * episodes,
            model: opts.model.as_deref(),
        },
        // Too many episodes or scenes are cut below; too few are repaired
        // (one call has no cheaper way to ask for the missing ones).
        |w: &Whole| {
            let mut p = cast_problems(&w.characters);
            if w.episodes.len() < episodes as usize {
                p.push(format!("write {episodes} episodes, not {}", w.episodes.len()));
            }
            p
        },
    )
    .await?;
    let mut whole = whole;
    whole.episodes.truncate(episodes as usize);
    for e in &mut whole.episodes {
        e.scenes.truncate(scenes as usize);
    }
    let cast = build_characters(&whole.characters);
    let id_of = |name: &str| {
        cast.iter()
            .find(|c| c.name == name || c.id == name)
            .map(|c| c.id.clone())
    };
    let mut drama = Drama::new(
        opts.id.clone().unwrap_or_else(new_drama_id),
        whole.title,
        whole.description,
        premise,
    );
    for (i, e) in whole.episodes.into_iter().enumerate() {
        let ep_id = format!("ep{}", i + 1);
        let drafts = e
            .scenes
            .into_iter()
            .map(|s| {
                let shot = ShotDraft {
                    framing: String::new(),
                    camera: String::new(),
                    characters: s.characters.iter().filter_map(|n| id_of(n)).collect(),
                    image_prompt: s.image_prompt,
                    video_prompt: s.video_prompt,
                    duration: s.duration,
                };
                SceneDraft::single_shot(s.description, shot)
            })
            .collect();
        let mut ep = Episode::new(&ep_id, e.title, e.synopsis);
        ep.scenes = build_scenes(&ep_id, drafts);
        drama.episodes.push(ep);
    }
    drama.characters = cast;
    super::make_renderable(&mut drama, &opts.aspect_ratio);
    finish(drama, usage)
}
