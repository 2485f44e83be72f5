//! Hierarchical generation, as Dramatron does it: an outline with the
//! character bible first, then every episode in parallel (bounded), each
//! call seeing the whole outline so characters stay consistent.

use futures::{StreamExt, TryStreamExt};
use serde_json::json;

use super::ask::{Ask, ask};
use super::mend::{Place, mend};
use super::schemas::{self, EpisodeDraft, MoreEpisodes, Outline, OutlineCharacter, SceneDraft};
use super::{GenerateOptions, Generated, MAX_EPISODES, MAX_SCENES, ProgressFn, prompts};
use crate::llm::{Llm, Usage};
use crate::model::id::{new_drama_id, slugify, unique_id};
use crate::model::{Asset, AssetKind, Character, Drama, Episode, Progress, Scene, validate};
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

/// What is wrong with drafted scenes, one by one (their count is mended
/// afterwards, never repaired).
pub(crate) fn scene_problems(scenes: &[SceneDraft], cast: &[String], durations: &[u32]) -> Vec<String> {
    let mut p = Vec::new();
    for (i, s) in scenes.iter().enumerate() {
        let n = i + 1;
        for (what, text) in [
            ("description", &s.description),
            ("image_prompt", &s.image_prompt),
            ("video_prompt", &s.video_prompt),
        ] {
            if text.trim().is_empty() {
                p.push(format!("scene {n}: {what} is empty"));
            }
        }
        if s.characters.len() > 3 {
            p.push(format!("scene {n}: at most 3 characters, not {}", s.characters.len()));
        }
        for c in s.characters.iter().chain(&s.speaker) {
            if !cast.contains(c) {
                p.push(format!("scene {n}: '{c}' is not a character id; use one of {cast:?}"));
            }
        }
        if let Some(who) = &s.speaker
            && s.line.as_deref().is_none_or(|l| l.trim().is_empty())
        {
            p.push(format!(
                "scene {n}: speaker '{who}' has no line; write the line they speak, or set speaker to null"
            ));
        }
        if !durations.iter().any(|d| i64::from(*d) == s.duration) {
            p.push(format!(
                "scene {n}: duration must be one of {durations:?}, not {}",
                s.duration
            ));
        }
    }
    p
}

/// The scenes of episode `episode_id` with ids and assets: an image that
/// depends on the scene's characters, and a video that depends on the image.
pub(crate) fn build_scenes(episode_id: &str, drafts: Vec<SceneDraft>) -> Vec<Scene> {
    drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let sid = format!("{episode_id}-sc{}", i + 1);
            let mut img = Asset::new(format!("{sid}-img"), AssetKind::Image, d.image_prompt);
            let mut cast = d.characters;
            cast.dedup();
            img.depends_on = cast;
            let mut vid = Asset::new(format!("{sid}-vid"), AssetKind::Video, d.video_prompt);
            vid.depends_on = vec![img.id.clone()];
            vid.duration = Some(d.duration);
            let mut scene = Scene::new(&sid, d.description);
            scene.assets = vec![img, vid];
            scene.assets.extend(voice_over(&sid, d.speaker, d.line));
            scene
        })
        .collect()
}

/// A scene's spoken line as an audio asset that depends on its speaker (none for narration).
fn voice_over(scene_id: &str, speaker: Option<String>, line: Option<String>) -> Option<Asset> {
    let line = line.filter(|l| !l.trim().is_empty())?;
    let mut aud = Asset::new(format!("{scene_id}-aud"), AssetKind::Audio, line);
    aud.depends_on = speaker.into_iter().collect();
    Some(aud)
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
    let episodes = opts
        .episodes
        .or_else(|| count_in_premise(premise, "episode"))
        .map(|n| n.min(MAX_EPISODES));
    let scenes = opts
        .scenes_per_episode
        .or_else(|| count_in_premise(premise, "scene"))
        .map(|n| n.min(MAX_SCENES));
    let model = opts.model.as_deref();
    progress(Progress::new("outline", 0, 1));

    let (outline, mut usage) = ask(
        llm,
        Ask {
            stage: "outline",
            episode: None,
            prompt: prompts::outline(premise, episodes),
            schema: schemas::outline(episodes),
            budget: opts.outline_tokens,
            model,
        },
        outline_problems,
    )
    .await?;
    let mut outline = outline;
    let head = json!({"title": outline.title, "description": outline.description, "characters": outline.characters});
    let head = head.to_string();
    usage += mend(
        &mut outline.episodes,
        schemas::episode_bounds(episodes),
        Place {
            what: "episodes",
            stage: "outline",
            episode: None,
        },
        |so_far, have, missing| {
            let prompt = prompts::more_episodes(premise, &format!("{head}\n{so_far}"), have, missing);
            async move {
                let a = Ask {
                    stage: "outline",
                    episode: None,
                    prompt,
                    schema: schemas::more_episodes(missing as u32),
                    budget: opts.outline_tokens,
                    model,
                };
                let (more, u) = ask(llm, a, |_: &MoreEpisodes| Vec::new()).await?;
                Ok((more.episodes, u))
            }
        },
    )
    .await?;
    let cast = build_characters(&outline.characters);
    let cast_ids: Vec<String> = cast.iter().map(|c| c.id.clone()).collect();
    let listing: Vec<(String, String)> = outline
        .episodes
        .iter()
        .map(|e| (e.title.clone(), e.synopsis.clone()))
        .collect();
    let bible = bible_json(&outline.title, &outline.description, &cast, &listing);
    progress(Progress::new("outline", 1, 1));
    let durations = &opts.video_durations;
    let (bible, cast_ids) = (&bible, &cast_ids);
    let drafts: Vec<(usize, EpisodeDraft, Usage)> = each_episode(
        (0..outline.episodes.len()).collect(),
        opts.max_parallel,
        progress,
        |i| async move {
            let ep_id = format!("ep{}", i + 1);
            let check = |d: &EpisodeDraft| scene_problems(&d.scenes, cast_ids, durations);
            let (mut draft, mut u) = ask_episode(|| {
                ask(
                    llm,
                    Ask {
                        stage: "episode",
                        episode: Some(&ep_id),
                        prompt: prompts::episode(bible, i + 1, scenes, durations),
                        schema: schemas::episode(cast_ids, scenes, durations),
                        budget: opts.episode_tokens,
                        model,
                    },
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
                    let a = Ask {
                        stage: "episode",
                        episode: Some(&ep_id),
                        prompt: prompts::more_scenes(bible, i + 1, &so_far, have, missing, durations),
                        schema: schemas::more_scenes(cast_ids, missing as u32, durations),
                        budget: opts.episode_tokens,
                        model,
                    };
                    async move {
                        let (more, u) = ask(llm, a, check).await?;
                        Ok((more.scenes, u))
                    }
                },
            )
            .await?;
            Ok((i, draft, u))
        },
    )
    .await?;

    let mut ordered = drafts;
    ordered.sort_by_key(|(i, _, _)| *i);
    let id = opts.id.clone().unwrap_or_else(new_drama_id);
    let mut drama = Drama::new(id, outline.title, outline.description, premise);
    if let Some(look) = outline.look.filter(|l| !l.trim().is_empty()) {
        drama
            .metadata
            .get_or_insert_with(Default::default)
            .insert("look".into(), json!(look));
    }
    drama.characters = cast;
    for ((i, draft, u), outlined) in ordered.into_iter().zip(outline.episodes) {
        usage += u;
        let ep_id = format!("ep{}", i + 1);
        let mut ep = Episode::new(&ep_id, outlined.title, outlined.synopsis);
        ep.scenes = build_scenes(&ep_id, draft.scenes);
        drama.episodes.push(ep);
    }
    super::make_renderable(&mut drama, &opts.aspect_ratio);
    finish(drama, usage)
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

    #[test]
    fn scenes_get_assets_with_valid_references() {
        let d = SceneDraft {
            description: "d".into(),
            characters: vec!["char-a".into()],
            image_prompt: "i".into(),
            video_prompt: "v".into(),
            duration: 15,
            speaker: Some("char-a".into()),
            line: Some("Fetch the stars.".into()),
        };
        let silent = SceneDraft {
            line: None,
            ..d.clone()
        };
        let scenes = build_scenes("ep2", vec![silent, d]);
        assert_eq!(scenes[0].assets.len(), 2);
        assert_eq!(scenes[1].assets[2].id, "ep2-sc2-aud");
        assert_eq!(scenes[1].assets[2].depends_on, ["char-a"]);
        assert_eq!(scenes[1].id, "ep2-sc2");
        assert_eq!(scenes[1].assets[0].depends_on, ["char-a"]);
        assert_eq!(scenes[1].assets[1].depends_on, ["ep2-sc2-img"]);
        assert_eq!(scenes[1].assets[1].duration, Some(15));
    }

    #[test]
    fn scene_problems_cover_text_refs_and_durations() {
        let d = SceneDraft {
            description: " ".into(),
            characters: vec!["char-x".into(); 4],
            image_prompt: "i".into(),
            video_prompt: "v".into(),
            duration: 12,
            speaker: None,
            line: None,
        };
        let speechless = SceneDraft {
            speaker: Some("char-a".into()),
            ..d.clone()
        };
        let p = scene_problems(&[d, speechless], &["char-a".into()], &[10, 15]);
        assert!(
            p.iter().any(|x| x.contains("scene 2: speaker 'char-a' has no line")),
            "{p:?}"
        );
        assert!(p.iter().any(|x| x.contains("description is empty")));
        assert!(p.iter().any(|x| x.contains("at most 3")));
        assert!(p.iter().any(|x| x.contains("'char-x' is not a character id")));
        assert!(p.iter().any(|x| x.contains("duration must be one of")));
    }
}
