//! Hierarchical generation, as Dramatron does it: an outline with the
//! character bible first, then every episode in parallel (bounded), each
//! call seeing the whole outline so characters stay consistent.

use futures::{StreamExt, TryStreamExt};
use serde_json::json;

use super::ask::{Ask, ask};
use super::mend::{Place, mend};
use super::scene::{build_scenes, scene_problems};
use super::schemas::{self, EpisodeDraft, MoreEpisodes, Outline, OutlineCharacter};
use super::{GenerateOptions, Generated, MAX_EPISODES, MAX_SCENES, ProgressFn, prompts};
use crate::llm::{Llm, Usage};
use crate::model::id::{new_drama_id, slugify, unique_id};
use crate::model::{Asset, AssetKind, Character, Drama, Episode, Progress, music_id, validate};
use crate::{Error, Result};

const NUMBER_WORDS: [&str; 20] = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

/// The count the text names for `unit` ("5 episodes", "five-episode", "3 scenes"), if any.
pub fn count_in_premise(text: &str, unit: &str) -> Option<u32> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.windows(2).find_map(|w| {
        if !(w[1] == unit || w[1] == format!("{unit}s")) {
            return None;
        }
        let n = w[0]
            .parse::<u32>()
            .ok()
            .or_else(|| NUMBER_WORDS.iter().position(|x| *x == w[0]).map(|i| i as u32 + 1))?;
        (n > 0).then_some(n)
    })
}

fn check_counts(opts: &GenerateOptions) -> Result<()> {
    let mut p = crate::model::count_problems(opts.episodes, opts.scenes_per_episode);
    if opts.video_durations.is_empty() || opts.video_durations.contains(&0) {
        p.0.push(crate::model::Problem {
            path: "video_durations".into(),
            message: "must list at least one positive duration".into(),
        });
    }
    if opts.max_parallel == 0 {
        p.0.push(crate::model::Problem {
            path: "max_parallel".into(),
            message: "must be at least 1".into(),
        });
    }
    if let Some(id) = &opts.id
        && let Some(msg) = crate::model::id::id_problem(id)
    {
        p.0.push(crate::model::Problem {
            path: "id".into(),
            message: msg,
        });
    }
    if p.is_empty() { Ok(()) } else { Err(Error::Invalid(p)) }
}

/// The cast with ids assigned (`char-{first name}`), in outline order.
pub(crate) fn build_characters(cast: &[OutlineCharacter]) -> Vec<Character> {
    let mut out: Vec<Character> = Vec::with_capacity(cast.len());
    for c in cast {
        let first = c.name.split_whitespace().next().unwrap_or(&c.name);
        let base = format!("char-{}", slugify(first, "character"));
        let id = unique_id(&base, |x| out.iter().any(|o| o.id == x));
        let mut ch = Character::new(id, c.name.clone(), c.description.clone());
        ch.gender = c.gender.clone();
        ch.voice_description = c.voice_description.clone();
        ch.main = c.main;
        out.push(ch);
    }
    out
}

/// Episode `episode_id` from its outline entry and its draft: the scenes
/// ([`build_scenes`]) and, when the draft names a mood, its music
/// (`{eid}-music`).
pub(crate) fn build_episode(episode_id: &str, title: String, synopsis: String, draft: EpisodeDraft) -> Episode {
    let mut ep = Episode::new(episode_id, title, synopsis);
    ep.scenes = build_scenes(episode_id, draft.scenes);
    set_music(&mut ep, draft.music);
    ep
}

/// Gives `episode` music of `mood`: its music asset's prompt becomes the
/// mood (the id stays), or a new `{eid}-music` is added.
pub(crate) fn set_music(episode: &mut Episode, mood: Option<String>) {
    let Some(mood) = mood.map(|m| m.trim().to_string()).filter(|m| !m.is_empty()) else {
        return;
    };
    match episode.assets.iter_mut().find(|a| a.kind == AssetKind::Audio) {
        Some(music) if music.prompt != mood => music.prompt = mood,
        Some(_) => {}
        None => episode
            .assets
            .push(Asset::new(music_id(&episode.id), AssetKind::Audio, mood)),
    }
}

/// The outline and character bible as the episode calls see it.
pub(crate) fn bible_json(title: &str, description: &str, cast: &[Character], episodes: &[(String, String)]) -> String {
    let characters: Vec<_> = cast
        .iter()
        .map(|c| {
            json!({"id": c.id, "name": c.name, "description": c.description, "gender": c.gender,
                        "main": c.main, "voice_description": c.voice_description})
        })
        .collect();
    let eps: Vec<_> = episodes
        .iter()
        .enumerate()
        .map(|(i, (t, s))| json!({"number": i + 1, "title": t, "synopsis": s}))
        .collect();
    json!({"title": title, "description": description, "characters": characters, "episodes": eps}).to_string()
}

/// Checks the assembled drama; a failure here is a bug in assembly, reported as such.
pub(crate) fn finish(drama: Drama, usage: Usage) -> Result<Generated> {
    let problems = validate(&drama);
    if !problems.is_empty() {
        return Err(Error::Invalid(problems).at_stage("assemble", None));
    }
    Ok(Generated { drama, usage })
}

/// Generates a drama from a premise: one outline call, then one call per
/// episode, at most `opts.max_parallel` at once. Each stage's answer is
/// validated and repaired once; a failing episode fails alone, and the
/// error names it. Progress goes to `progress` as `outline` then `episodes`.
pub async fn generate_drama(
    llm: &dyn Llm,
    premise: &str,
    opts: &GenerateOptions,
    progress: ProgressFn<'_>,
) -> Result<Generated> {
    check_counts(opts)?;
    if premise.trim().is_empty() {
        return Err(Error::invalid("premise", "the premise must not be empty"));
    }
    let count = |asked: Option<u32>, unit: &str, max: u32| {
        asked.or_else(|| count_in_premise(premise, unit)).map(|n| n.min(max))
    };
    let episodes = count(opts.episodes, "episode", MAX_EPISODES);
    let scenes = count(opts.scenes_per_episode, "scene", MAX_SCENES);
    progress(Progress::new("outline", 0, 1));
    let (outline, mut usage) = write_outline(llm, premise, episodes, opts).await?;
    let cast = build_characters(&outline.characters);
    let listing: Vec<(String, String)> = outline
        .episodes
        .iter()
        .map(|e| (e.title.clone(), e.synopsis.clone()))
        .collect();
    progress(Progress::new("outline", 1, 1));
    let writer = EpisodeWriter {
        llm,
        bible: bible_json(&outline.title, &outline.description, &cast, &listing),
        cast_ids: cast.iter().map(|c| c.id.clone()).collect(),
        scenes,
        opts,
    };
    let numbers = (0..outline.episodes.len()).collect();
    let mut drafts = each_episode(numbers, opts.max_parallel, progress, |i| writer.write(i)).await?;
    drafts.sort_by_key(|(i, _, _)| *i);
    let id = opts.id.clone().unwrap_or_else(new_drama_id);
    let mut drama = Drama::new(id, outline.title, outline.description, premise);
    if let Some(look) = outline.look.filter(|l| !l.trim().is_empty()) {
        drama
            .metadata
            .get_or_insert_with(Default::default)
            .insert("look".into(), json!(look));
    }
    drama.characters = cast;
    for ((i, draft, u), outlined) in drafts.into_iter().zip(outline.episodes) {
        usage += u;
        let ep_id = format!("ep{}", i + 1);
        drama
            .episodes
            .push(build_episode(&ep_id, outlined.title, outlined.synopsis, draft));
    }
    super::make_renderable(&mut drama, &opts.aspect_ratio);
    finish(drama, usage)
}

/// Stage 1: the outline, its episode count mended.
async fn write_outline(
    llm: &dyn Llm,
    premise: &str,
    episodes: Option<u32>,
    opts: &GenerateOptions,
) -> Result<(Outline, Usage)> {
    let model = opts.model.as_deref();
    let outline_ask = |prompt, schema| Ask {
        stage: "outline",
        episode: None,
        prompt,
        schema,
        budget: opts.outline_tokens,
        model,
    };
    let first = outline_ask(prompts::outline(premise, episodes), schemas::outline(episodes));
    let (mut outline, mut usage) = ask(llm, first, outline_problems).await?;
    let head = json!({"title": outline.title, "description": outline.description, "characters": outline.characters});
    let head = head.to_string();
    let place = Place {
        what: "episodes",
        stage: "outline",
        episode: None,
    };
    usage += mend(
        &mut outline.episodes,
        schemas::episode_bounds(episodes),
        place,
        |so_far, have, missing| {
            let prompt = prompts::more_episodes(premise, &format!("{head}\n{so_far}"), have, missing);
            let a = outline_ask(prompt, schemas::more_episodes(missing as u32));
            async move {
                let (more, u) = ask(llm, a, |_: &MoreEpisodes| Vec::new()).await?;
                Ok((more.episodes, u))
            }
        },
    )
    .await?;
    Ok((outline, usage))
}

/// Stage 2: what every episode call shares.
struct EpisodeWriter<'a> {
    llm: &'a dyn Llm,
    bible: String,
    cast_ids: Vec<String>,
    scenes: Option<u32>,
    opts: &'a GenerateOptions,
}

impl EpisodeWriter<'_> {
    fn call<'s>(&'s self, ep_id: &'s str, prompt: String, schema: crate::llm::JsonSchema) -> Ask<'s> {
        Ask {
            stage: "episode",
            episode: Some(ep_id),
            prompt,
            schema,
            budget: self.opts.episode_tokens,
            model: self.opts.model.as_deref(),
        }
    }

    /// Episode `i` (from 0): its scenes, checked, repaired and their count mended.
    async fn write(&self, i: usize) -> Result<(usize, EpisodeDraft, Usage)> {
        let ep_id = format!("ep{}", i + 1);
        let (llm, bible, cast_ids, scenes) = (self.llm, self.bible.as_str(), &self.cast_ids, self.scenes);
        let durations = &self.opts.video_durations;
        let check = |d: &EpisodeDraft| scene_problems(&d.scenes, cast_ids, durations);
        let (mut draft, mut u) = ask_episode(|| {
            let prompt = prompts::episode(bible, i + 1, scenes, durations);
            ask(
                llm,
                self.call(&ep_id, prompt, schemas::episode(cast_ids, scenes, durations)),
                check,
            )
        })
        .await?;
        let at = Place {
            what: "scenes",
            stage: "episode",
            episode: Some(&ep_id),
        };
        u += mend(
            &mut draft.scenes,
            schemas::scene_bounds(scenes),
            at,
            |so_far, have, missing| {
                let prompt = prompts::more_scenes(bible, i + 1, &so_far, have, missing, durations);
                let a = self.call(
                    &ep_id,
                    prompt,
                    schemas::more_scenes(cast_ids, missing as u32, durations),
                );
                async move {
                    let (more, u) = ask(llm, a, check).await?;
                    Ok((more.scenes, u))
                }
            },
        )
        .await?;
        Ok((i, draft, u))
    }
}

/// Runs `work` on every item, at most `parallel` at once, reporting
/// `episodes` progress as each one ends; the first error ends the run.
pub(crate) async fn each_episode<I, T, F, Fut>(
    items: Vec<I>,
    parallel: usize,
    progress: ProgressFn<'_>,
    work: F,
) -> Result<Vec<T>>
where
    F: Fn(I) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let total = items.len() as u32;
    progress(Progress::new("episodes", 0, total));
    let done = std::sync::atomic::AtomicU32::new(0);
    futures::stream::iter(items)
        .map(|item| {
            let (fut, done) = (work(item), &done);
            async move {
                let out = fut.await?;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                progress(Progress::new("episodes", n, total));
                Ok(out)
            }
        })
        .buffer_unordered(parallel.max(1))
        .try_collect()
        .await
}

/// How many fresh attempts one episode gets (each with its own repair)
/// before the drama fails; other episodes are never asked again.
pub(crate) const EPISODE_ATTEMPTS: u32 = 2;

/// Runs one episode's call, starting it afresh if its answer stayed unusable.
pub(crate) async fn ask_episode<T, F, Fut>(call: F) -> Result<(T, Usage)>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(T, Usage)>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(Error::Generation { ref source, .. })
                if attempt < EPISODE_ATTEMPTS
                    && matches!(
                        **source,
                        Error::Llm {
                            kind: crate::LlmErrorKind::InvalidOutput,
                            ..
                        }
                    ) =>
            {
                attempt += 1;
                tracing::warn!(
                    attempt,
                    "episode output unusable after a repair; asking again from scratch"
                );
            }
            other => return other,
        }
    }
}

/// What is wrong with an outline, apart from its episode count (mended
/// afterwards, never repaired).
fn outline_problems(o: &Outline) -> Vec<String> {
    let mut p = Vec::new();
    if o.characters.is_empty() {
        p.push("the cast needs at least one character".into());
    }
    if o.title.trim().is_empty() {
        p.push("the title is empty".into());
    }
    p.extend(cast_problems(&o.characters));
    p
}

/// Nameless characters, and names used twice (the same person twice, or
/// two people the viewer cannot tell apart).
pub(crate) fn cast_problems(cast: &[OutlineCharacter]) -> Vec<String> {
    let mut p = Vec::new();
    for (i, c) in cast.iter().enumerate() {
        let name = c.name.trim();
        if name.is_empty() {
            p.push(format!("character {} has no name", i + 1));
        } else if cast[..i].iter().any(|o| o.name.trim().eq_ignore_ascii_case(name)) {
            p.push(format!(
                "character {} is named '{name}' like an earlier one; every character needs a name of their own",
                i + 1
            ));
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_read_from_premises() {
        let p = "create a short drama script of 5 episodes, talking about Corgi Musk";
        assert_eq!(count_in_premise(p, "episode"), Some(5));
        assert_eq!(
            count_in_premise("a five-episode saga with 4 scenes each", "episode"),
            Some(5)
        );
        assert_eq!(
            count_in_premise("a five-episode saga with 4 scenes each", "scene"),
            Some(4)
        );
        assert_eq!(count_in_premise("an episode about dogs", "episode"), None);
        assert_eq!(count_in_premise("0 episodes", "episode"), None);
    }

    /// A cast member named `name`.
    fn c(name: &str) -> OutlineCharacter {
        OutlineCharacter {
            name: name.into(),
            description: "d".into(),
            gender: None,
            main: false,
            voice_description: None,
        }
    }

    #[test]
    fn a_name_used_twice_is_a_problem() {
        let p = cast_problems(&[c("Corgi Musk"), c("Ava"), c("corgi musk "), c(" ")]);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("character 3 is named 'corgi musk' like an earlier one"));
        assert_eq!(p[1], "character 4 has no name");
    }

    #[test]
    fn character_ids_are_unique_slugs() {
        let cast = build_characters(&[c("Corgi Musk"), c("Ava Byte"), c("Corgi Junior"), c("¿?")]);
        let ids: Vec<_> = cast.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["char-corgi", "char-ava", "char-corgi-2", "char-character"]);
    }
}
