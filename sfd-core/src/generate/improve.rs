//! Improvement: a new drama from an old one and feedback, rewriting only
//! the episodes the feedback touches.

use serde_json::json;

use super::ask::{Ask, ask};
use super::hierarchical::{bible_json, count_in_premise, each_episode, finish, set_music};
use super::scene::{build_scenes, keep_untouched, scene_problems};
use super::schemas::{self, EpisodeChange, ImprovePlan, RewrittenEpisode};
use super::{MAX_SCENES, ProgressFn, prompts};
use crate::llm::{Llm, Usage};
use crate::model::{Drama, Progress, now_ms};
use crate::{Error, Result};

/// How to improve a drama.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImproveOptions {
    /// The new drama's id; `{id}_improved_{ms}` when absent.
    pub new_id: Option<String>,
    /// A model other than the LLM's default.
    pub model: Option<String>,
    /// Allowed video durations in seconds.
    pub video_durations: Vec<u32>,
    /// Episode calls in flight at once.
    pub max_parallel: usize,
    /// Completion budget of each call.
    pub tokens: u32,
}

impl Default for ImproveOptions {
    fn default() -> Self {
        ImproveOptions {
            new_id: None,
            model: None,
            video_durations: vec![10, 15],
            max_parallel: 4,
            tokens: 16_000,
        }
    }
}

/// The default id of an improvement of `id`.
pub fn improved_id(id: &str) -> String {
    let suffix = format!("_improved_{}", now_ms());
    let keep = crate::model::id::MAX_ID_LEN.saturating_sub(suffix.len());
    format!("{}{suffix}", &id[..id.len().min(keep)])
}

/// An improved drama and what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Improved {
    /// The new drama (new id; untouched parts keep their ids and text).
    pub drama: Drama,
    /// The ids of the episodes that were rewritten.
    pub changed_episodes: Vec<String>,
    /// Whether the title or description changed.
    pub changed_head: bool,
    /// The plan, in words.
    pub summary: String,
    /// Calls and tokens spent.
    pub usage: Usage,
}

/// Improves `drama` from `feedback`: plans which episodes change, rewrites
/// only those (in parallel), keeps the ids of the shots and lines a rewrite
/// left as they were, and records the change in the new drama's
/// `metadata.improvement`.
pub async fn improve_drama(
    llm: &dyn Llm,
    drama: &Drama,
    feedback: &str,
    opts: &ImproveOptions,
    progress: ProgressFn<'_>,
) -> Result<Improved> {
    if feedback.trim().is_empty() {
        return Err(Error::invalid("feedback", "the feedback must not be empty"));
    }
    let new_id = opts.new_id.clone().unwrap_or_else(|| improved_id(&drama.id));
    if let Some(msg) = crate::model::id::id_problem(&new_id) {
        return Err(Error::invalid("newDramaId", msg));
    }
    progress(Progress::new("plan", 0, 1));
    let (plan, mut usage) = plan_changes(llm, drama, feedback, opts).await?;
    let mut changes = plan.episodes.clone();
    changes.dedup_by(|a, b| a.episode_id == b.episode_id);
    progress(Progress::new("plan", 1, 1));
    let rewriter = Rewriter::new(llm, drama, feedback, opts);
    let rewritten = each_episode(changes, opts.max_parallel, progress, |c| rewriter.rewrite(c)).await?;

    let mut new = drama.clone();
    new.id = new_id;
    let changed_head = apply_head(&mut new, plan.title, plan.description);
    let mut changed_episodes = Vec::new();
    for (ep_id, r, u) in rewritten {
        usage += u;
        if apply_rewrite(&mut new, &ep_id, r) {
            changed_episodes.push(ep_id);
        }
    }
    let episode_ids: Vec<&str> = drama.episodes.iter().map(|e| e.id.as_str()).collect();
    changed_episodes.sort_by_key(|id| episode_ids.iter().position(|e| e == id));
    let mut meta = new.metadata.take().unwrap_or_default();
    meta.insert(
        "improvement".into(),
        json!({"from": drama.id, "changedEpisodes": changed_episodes, "changedHead": changed_head,
               "summary": plan.summary, "feedback": feedback}),
    );
    new.metadata = Some(meta);
    let generated = finish(new, usage)?;
    Ok(Improved {
        drama: generated.drama,
        changed_episodes,
        changed_head,
        summary: plan.summary,
        usage: generated.usage,
    })
}

/// Sets a new title and logline when given, non-empty and different;
/// answers whether either changed.
fn apply_head(drama: &mut Drama, title: Option<String>, description: Option<String>) -> bool {
    let mut changed = false;
    for (slot, value) in [(&mut drama.title, title), (&mut drama.description, description)] {
        if let Some(v) = value.filter(|v| !v.trim().is_empty() && v != slot) {
            *slot = v;
            changed = true;
        }
    }
    changed
}

/// Step 1: which episodes change, and how (ids checked against the drama's).
async fn plan_changes(
    llm: &dyn Llm,
    drama: &Drama,
    feedback: &str,
    opts: &ImproveOptions,
) -> Result<(ImprovePlan, Usage)> {
    let episode_ids: Vec<String> = drama.episodes.iter().map(|e| e.id.clone()).collect();
    let drama_json = serde_json::to_string(drama).unwrap_or_default();
    let call = Ask {
        stage: "improve_plan",
        episode: None,
        prompt: prompts::improve_plan(&drama_json, feedback),
        schema: schemas::improve_plan(&episode_ids),
        budget: opts.tokens,
        model: opts.model.as_deref(),
    };
    ask(llm, call, |p: &ImprovePlan| {
        p.episodes
            .iter()
            .filter(|c| !episode_ids.contains(&c.episode_id))
            .map(|c| format!("'{}' is not an episode id; use one of {episode_ids:?}", c.episode_id))
            .collect()
    })
    .await
}

/// Step 2: what every episode rewrite shares.
struct Rewriter<'a> {
    llm: &'a dyn Llm,
    drama: &'a Drama,
    feedback: &'a str,
    opts: &'a ImproveOptions,
    bible: String,
    cast_ids: Vec<String>,
}

impl<'a> Rewriter<'a> {
    fn new(llm: &'a dyn Llm, drama: &'a Drama, feedback: &'a str, opts: &'a ImproveOptions) -> Self {
        let listing: Vec<(String, String)> = drama
            .episodes
            .iter()
            .map(|e| (e.title.clone(), e.description.clone()))
            .collect();
        Rewriter {
            llm,
            drama,
            feedback,
            opts,
            bible: bible_json(&drama.title, &drama.description, &drama.characters, &listing),
            cast_ids: drama.characters.iter().map(|c| c.id.clone()).collect(),
        }
    }

    /// One episode, rewritten whole.
    async fn rewrite(&self, change: EpisodeChange) -> Result<(String, RewrittenEpisode, Usage)> {
        let (cast_ids, durations) = (&self.cast_ids, &self.opts.video_durations);
        let episode = self.drama.episode(&change.episode_id);
        let current = episode.map(|e| json!(e).to_string()).unwrap_or_default();
        let scenes = rewrite_bounds(self.feedback, episode.map_or(0, |e| e.scenes.len()));
        let prompt = prompts::improve_episode(
            &self.bible,
            &current,
            self.feedback,
            &change.instructions,
            scenes,
            durations,
        );
        let call = Ask {
            stage: "improve_episode",
            episode: Some(&change.episode_id),
            prompt,
            schema: schemas::rewritten_episode(cast_ids, scenes, durations),
            budget: self.opts.tokens,
            model: self.opts.model.as_deref(),
        };
        let (mut ep, u) = ask(self.llm, call, |r: &RewrittenEpisode| {
            let mut p = scene_problems(&r.scenes, cast_ids, durations);
            if r.scenes.is_empty() {
                p.push("an episode needs at least one scene".into());
            }
            p
        })
        .await?;
        // A server that ignores the schema's maxItems still gets no more.
        ep.scenes.truncate(scenes.1 as usize);
        Ok((change.episode_id, ep, u))
    }
}

/// Puts a rewritten episode into `drama`, keeping what it left untouched
/// and its episode-level assets; answers whether the episode exists.
fn apply_rewrite(drama: &mut Drama, ep_id: &str, r: RewrittenEpisode) -> bool {
    let Ok(ep) = drama.episode_mut(ep_id) else {
        return false;
    };
    ep.title = r.title;
    ep.description = r.synopsis;
    let mut scenes = build_scenes(ep_id, r.scenes);
    keep_untouched(ep, &mut scenes);
    ep.scenes = scenes;
    set_music(ep, r.music);
    // Rewritten scenes may drop assets other parts referred to.
    let live: Vec<String> = drama.inner_ids().map(str::to_string).collect();
    for a in drama.assets_mut() {
        a.depends_on
            .retain(|d| live.contains(d) || crate::model::library_ref(d).is_some());
    }
    true
}

/// How many scenes a rewritten episode may have: no more than it has now
/// (`current`), unless the feedback asks for more scenes (then up to
/// [`MAX_SCENES`]) or names a larger count (then up to that count).
fn rewrite_bounds(feedback: &str, current: usize) -> (u32, u32) {
    let current = (current as u32).clamp(1, MAX_SCENES);
    if let Some(n) = count_in_premise(feedback, "scene") {
        return (1, n.clamp(current, MAX_SCENES));
    }
    if asks_for_more_scenes(feedback) {
        (1, MAX_SCENES)
    } else {
        (1, current)
    }
}

/// Whether a sentence of the feedback asks for more scenes ("add a scene
/// where…", "one more scene", "extend the chase with extra scenes"), and
/// does not say the opposite ("no new scenes").
fn asks_for_more_scenes(feedback: &str) -> bool {
    const MORE: [&str; 9] = [
        "add", "adding", "more", "extra", "another", "expand", "extend", "longer", "new",
    ];
    const NOT: [&str; 7] = ["no", "not", "don't", "dont", "without", "never", "nothing"];
    feedback
        .to_lowercase()
        .split(['.', '!', '?', ';', '\n'])
        .any(|sentence| {
            let words: Vec<&str> = sentence
                .split(|c: char| !(c.is_alphanumeric() || c == '\''))
                .filter(|w| !w.is_empty())
                .collect();
            words.iter().any(|w| w.starts_with("scene"))
                && words.iter().any(|w| MORE.contains(w))
                && !words.iter().any(|w| NOT.contains(w))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_keeps_its_scene_count_unless_the_feedback_asks_for_more() {
        assert_eq!(rewrite_bounds("Sharpen the dialogue. No new scenes.", 2), (1, 2));
        assert_eq!(rewrite_bounds("Make the hook punchier.", 2), (1, 2));
        assert_eq!(
            rewrite_bounds("Add a scene where the corgi meets the press.", 2),
            (1, MAX_SCENES)
        );
        assert_eq!(rewrite_bounds("Give episode 1 five scenes.", 2), (1, 5));
        assert_eq!(rewrite_bounds("Cut it to 1 scene.", 2), (1, 2));
        assert_eq!(rewrite_bounds("x", 0), (1, 1));
    }

    #[test]
    fn improved_ids_stay_valid() {
        let id = improved_id("corgi_musk_v4");
        assert!(id.starts_with("corgi_musk_v4_improved_"));
        assert!(crate::model::id::is_valid_id(&improved_id(&"x".repeat(128))));
    }
}
