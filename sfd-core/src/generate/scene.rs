//! A scene as generation writes it: a heading, the action, its dialogue
//! lines and 2 to 4 shots. Its strict schema, its checks, and how it becomes
//! document assets (see [`crate::model::Scene::shots`] and
//! [`crate::model::Scene::lines`]).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::schemas::{array, nullable_string, object, string};
use crate::model::{Asset, AssetKind, Episode, Heading, Scene, line_id, shot_ids};

/// How many shots a scene has.
pub const SHOTS: (u32, u32) = (2, 4);
/// How many dialogue lines a scene has.
pub const LINES: (u32, u32) = (1, 6);

/// The framings a shot may ask for.
pub const FRAMINGS: &[&str] = &[
    "extreme close-up",
    "close-up",
    "medium close-up",
    "medium",
    "wide",
    "extreme wide",
    "over-the-shoulder",
    "insert",
];

/// The camera moves a shot may ask for.
pub const CAMERA_MOVES: &[&str] = &[
    "static", "push in", "pull out", "pan", "tilt", "tracking", "handheld", "crane", "orbit",
];

/// One line of dialogue as drafted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineDraft {
    /// The speaking character's id; null for a narrator.
    #[serde(default)]
    pub speaker: Option<String>,
    /// How it is said, in a few words.
    #[serde(default)]
    pub delivery: Option<String>,
    /// The spoken words.
    pub text: String,
}

/// One shot as drafted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShotDraft {
    /// Close-up, medium, wide…
    pub framing: String,
    /// Static, push in, pan…
    pub camera: String,
    /// Ids of the characters in the shot.
    pub characters: Vec<String>,
    /// 9:16 keyframe prompt.
    pub image_prompt: String,
    /// Video prompt.
    pub video_prompt: String,
    /// Seconds.
    pub duration: i64,
}

/// A scene as drafted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneDraft {
    /// Where and when.
    pub heading: Heading,
    /// The action.
    pub description: String,
    /// The dialogue, in order.
    pub lines: Vec<LineDraft>,
    /// The shots, in order.
    pub shots: Vec<ShotDraft>,
}

impl SceneDraft {
    /// A scene of one shot and no line, for answers in the old one-shot shape.
    pub(crate) fn single_shot(description: String, shot: ShotDraft) -> Self {
        SceneDraft {
            heading: Heading::new(crate::model::Setting::Interior, "", ""),
            description,
            lines: Vec::new(),
            shots: vec![shot],
        }
    }
}

const IMAGE_PROMPT: &str =
    "the prompt of the shot's 9:16 keyframe image, describing each character's look as in the character bible";
const VIDEO_PROMPT: &str = "the prompt of the shot that moves from that keyframe: action and sound";
const DURATION: &str = "the shot's length in seconds, one of the allowed values";

fn characters_in(character_ids: &[String]) -> Value {
    if character_ids.is_empty() {
        return array(string(), None, Some(0));
    }
    array(json!({"type": "string", "enum": character_ids}), None, Some(3))
}

/// The speaking character: a cast id, or null for a narrator.
fn speaker(character_ids: &[String]) -> Value {
    if character_ids.is_empty() {
        return json!({"type": "null"});
    }
    let mut ids: Vec<Value> = character_ids.iter().map(|c| json!(c)).collect();
    ids.push(Value::Null);
    json!({"type": ["string", "null"], "enum": ids})
}

fn heading() -> Value {
    object(vec![
        (
            "setting",
            "interior, exterior, or both (a car, a doorway)",
            json!({"type": "string", "enum": ["interior", "exterior", "both"]}),
        ),
        (
            "location",
            "where, in a few words (lighthouse, Corgi's garage)",
            string(),
        ),
        ("time", "the time of day (day, night, dawn, continuous)", string()),
    ])
}

fn line(character_ids: &[String]) -> Value {
    object(vec![
        (
            "speaker",
            "the id of the character who speaks; null for a narrator",
            speaker(character_ids),
        ),
        (
            "delivery",
            "how it is said, a few words (whispering, through tears), or null",
            nullable_string(),
        ),
        (
            "text",
            "the spoken words, short enough to say in a few seconds",
            string(),
        ),
    ])
}

fn shot(character_ids: &[String], durations: &[u32]) -> Value {
    object(vec![
        (
            "framing",
            "the shot's framing",
            json!({"type": "string", "enum": FRAMINGS}),
        ),
        (
            "camera",
            "the camera move",
            json!({"type": "string", "enum": CAMERA_MOVES}),
        ),
        (
            "characters",
            "the ids of the characters in the shot (at most 3, only ids from the character bible)",
            characters_in(character_ids),
        ),
        ("image_prompt", IMAGE_PROMPT, string()),
        ("video_prompt", VIDEO_PROMPT, string()),
        ("duration", DURATION, json!({"type": "integer", "enum": durations})),
    ])
}

/// The strict schema of one scene.
pub(crate) fn scene(character_ids: &[String], durations: &[u32]) -> Value {
    object(vec![
        ("heading", "the scene heading", heading()),
        ("description", "what happens in the scene: the action", string()),
        (
            "lines",
            "the dialogue, in order, one item per line",
            array(line(character_ids), Some(LINES.0), Some(LINES.1)),
        ),
        (
            "shots",
            "the shots, in order; cut every few seconds",
            array(shot(character_ids, durations), Some(SHOTS.0), Some(SHOTS.1)),
        ),
    ])
}

/// What is wrong with drafted scenes, one by one (their count is mended
/// afterwards, never repaired).
pub(crate) fn scene_problems(scenes: &[SceneDraft], cast: &[String], durations: &[u32]) -> Vec<String> {
    let mut p = Vec::new();
    for (i, s) in scenes.iter().enumerate() {
        let n = i + 1;
        for (what, text) in [
            ("description", &s.description),
            ("heading.location", &s.heading.location),
        ] {
            if text.trim().is_empty() {
                p.push(format!("scene {n}: {what} is empty"));
            }
        }
        let count = |what: &str, have: usize, (min, max): (u32, u32)| {
            (have < min as usize || have > max as usize)
                .then(|| format!("scene {n}: write {min} to {max} {what}, not {have}"))
        };
        p.extend(count("shots", s.shots.len(), SHOTS));
        p.extend(count("lines", s.lines.len(), LINES));
        let unknown = |c: &String| format!("scene {n}: '{c}' is not a character id; use one of {cast:?}");
        for (k, shot) in s.shots.iter().enumerate() {
            p.extend(
                shot_problems(shot, durations)
                    .into_iter()
                    .map(|x| format!("scene {n}, shot {}: {x}", k + 1)),
            );
            p.extend(shot.characters.iter().filter(|c| !cast.contains(c)).map(unknown));
        }
        for (k, line) in s.lines.iter().enumerate() {
            if line.text.trim().is_empty() {
                p.push(format!("scene {n}, line {}: text is empty", k + 1));
            }
            p.extend(line.speaker.iter().filter(|c| !cast.contains(c)).map(unknown));
        }
    }
    p
}

fn shot_problems(shot: &ShotDraft, durations: &[u32]) -> Vec<String> {
    let mut p = Vec::new();
    for (what, text) in [
        ("image_prompt", &shot.image_prompt),
        ("video_prompt", &shot.video_prompt),
    ] {
        if text.trim().is_empty() {
            p.push(format!("{what} is empty"));
        }
    }
    if shot.characters.len() > 3 {
        p.push(format!("at most 3 characters, not {}", shot.characters.len()));
    }
    if !durations.iter().any(|d| i64::from(*d) == shot.duration) {
        p.push(format!("duration must be one of {durations:?}, not {}", shot.duration));
    }
    p
}

/// The scenes of episode `episode_id` with ids and assets: per shot a
/// keyframe image that depends on the shot's characters and a video that
/// depends on it (`{sid}-sh{n}-img`, `{sid}-sh{n}-vid`), then per line an
/// audio asset that depends on its speaker (`{sid}-ln{n}`).
pub(crate) fn build_scenes(episode_id: &str, drafts: Vec<SceneDraft>) -> Vec<Scene> {
    drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let sid = format!("{episode_id}-sc{}", i + 1);
            let mut scene = Scene::new(&sid, d.description);
            if !d.heading.location.trim().is_empty() {
                scene.heading = Some(d.heading);
            }
            for (k, shot) in d.shots.into_iter().enumerate() {
                let (image_id, video_id) = shot_ids(&sid, k + 1);
                let mut img = Asset::new(&image_id, AssetKind::Image, shot.image_prompt);
                let mut cast = shot.characters;
                cast.dedup();
                img.depends_on = cast;
                let mut vid = Asset::new(video_id, AssetKind::Video, shot.video_prompt);
                vid.depends_on = vec![image_id];
                vid.duration = Some(shot.duration);
                vid.framing = Some(shot.framing).filter(|f| !f.trim().is_empty());
                vid.camera = Some(shot.camera).filter(|c| !c.trim().is_empty());
                scene.assets.extend([img, vid]);
            }
            let lines = d.lines.into_iter().filter(|l| !l.text.trim().is_empty());
            for (k, l) in lines.enumerate() {
                let mut aud = Asset::new(line_id(&sid, k + 1), AssetKind::Audio, l.text.trim());
                aud.depends_on = l.speaker.into_iter().collect();
                aud.delivery = l.delivery.filter(|d| !d.trim().is_empty());
                scene.assets.push(aud);
            }
            scene
        })
        .collect()
}

/// Keeps the ids, and so the rendered media, of what a rewrite left as it
/// was: a new shot whose keyframe and video match an old shot of the
/// episode (prompts, characters, duration, framing, camera) becomes that old
/// shot again, and a line that matches an old line (text, speaker, delivery)
/// that old line. New shots and lines whose ids a kept one holds get fresh ones.
pub(crate) fn keep_untouched(old: &Episode, scenes: &mut [Scene]) {
    let mut old_shots: Vec<(Option<Asset>, Asset)> = old
        .scenes
        .iter()
        .flat_map(|s| s.shots().into_iter().map(|sh| (sh.keyframe.cloned(), sh.video.clone())))
        .collect();
    let mut old_lines: Vec<Asset> = old
        .scenes
        .iter()
        .flat_map(|s| s.lines().into_iter().map(|l| l.audio.clone()))
        .collect();
    let mut kept: Vec<Vec<usize>> = Vec::with_capacity(scenes.len());
    for scene in scenes.iter_mut() {
        let mut here = Vec::new();
        let shots: Vec<(Option<String>, String)> = scene
            .shots()
            .iter()
            .map(|sh| (sh.keyframe.map(|k| k.id.clone()), sh.video.id.clone()))
            .collect();
        for (keyframe, video) in shots {
            let find = |id: &str| scene.assets.iter().find(|a| a.id == id);
            let (k, v) = (keyframe.as_deref().and_then(find), find(&video));
            let Some(i) = old_shots.iter().position(|(ok, ov)| same_shot(ok.as_ref(), ov, k, v)) else {
                continue;
            };
            let (ok, ov) = old_shots.remove(i);
            for (id, asset) in keyframe.into_iter().zip(ok).chain([(video, ov)]) {
                here.extend(replace(scene, &id, asset));
            }
        }
        let lines: Vec<String> = scene.lines().iter().map(|l| l.audio.id.clone()).collect();
        for id in lines {
            let Some(new) = scene.assets.iter().find(|a| a.id == id) else {
                continue;
            };
            let same =
                |o: &Asset| o.prompt == new.prompt && o.depends_on == new.depends_on && o.delivery == new.delivery;
            if let Some(i) = old_lines.iter().position(same) {
                let asset = old_lines.remove(i);
                here.extend(replace(scene, &id, asset));
            }
        }
        kept.push(here);
    }
    fresh_ids(scenes, &kept);
}

fn same_shot(old_k: Option<&Asset>, old_v: &Asset, new_k: Option<&Asset>, new_v: Option<&Asset>) -> bool {
    let same_k = match (old_k, new_k) {
        (Some(o), Some(n)) => o.prompt == n.prompt && o.depends_on == n.depends_on,
        (None, None) => true,
        _ => false,
    };
    new_v.is_some_and(|n| {
        same_k
            && n.prompt == old_v.prompt
            && n.duration == old_v.duration
            && n.framing == old_v.framing
            && n.camera == old_v.camera
    })
}

/// Puts `asset` in the place of asset `id`, answering where.
fn replace(scene: &mut Scene, id: &str, asset: Asset) -> Option<usize> {
    let at = scene.assets.iter().position(|a| a.id == id)?;
    scene.assets[at] = asset;
    Some(at)
}

/// Renames the assets not kept (`kept[scene]` holds the places of those
/// kept) whose id a kept asset or an earlier one holds, fixing the
/// references to them inside their scene.
fn fresh_ids(scenes: &mut [Scene], kept: &[Vec<usize>]) {
    let is_kept = |s: usize, a: usize| kept.get(s).is_some_and(|k| k.contains(&a));
    let mut taken: Vec<String> = Vec::new();
    for (s, scene) in scenes.iter().enumerate() {
        let ids = scene.assets.iter().enumerate().filter(|(a, _)| is_kept(s, *a));
        taken.extend(ids.map(|(_, x)| x.id.clone()));
    }
    for (s, scene) in scenes.iter_mut().enumerate() {
        let mut renamed: Vec<(String, String)> = Vec::new();
        for (_, a) in scene.assets.iter_mut().enumerate().filter(|(a, _)| !is_kept(s, *a)) {
            if taken.contains(&a.id) {
                let id = crate::model::id::unique_id(&a.id, |x| taken.iter().any(|t| t == x));
                renamed.push((std::mem::replace(&mut a.id, id), a.id.clone()));
            }
            taken.push(a.id.clone());
        }
        for (_, a) in scene.assets.iter_mut().enumerate().filter(|(a, _)| !is_kept(s, *a)) {
            for dep in &mut a.depends_on {
                if let Some((_, new)) = renamed.iter().find(|(old, _)| old == dep) {
                    dep.clone_from(new);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Setting;

    fn shot(chars: &[&str], duration: i64) -> ShotDraft {
        ShotDraft {
            framing: "close-up".into(),
            camera: "static".into(),
            characters: chars.iter().map(|c| c.to_string()).collect(),
            image_prompt: "i".into(),
            video_prompt: "v".into(),
            duration,
        }
    }

    fn draft() -> SceneDraft {
        SceneDraft {
            heading: Heading::new(Setting::Interior, "garage", "night"),
            description: "d".into(),
            lines: vec![
                LineDraft {
                    speaker: Some("char-a".into()),
                    delivery: Some("whispering".into()),
                    text: "Fetch the stars.".into(),
                },
                LineDraft {
                    speaker: None,
                    delivery: None,
                    text: "He never looked back.".into(),
                },
            ],
            shots: vec![shot(&["char-a"], 10), shot(&[], 15)],
        }
    }

    #[test]
    fn scenes_become_shots_and_lines_with_valid_references() {
        let scenes = build_scenes("ep2", vec![draft(), draft()]);
        let s = &scenes[1];
        assert_eq!(s.id, "ep2-sc2");
        assert_eq!(
            s.heading().map(ToString::to_string).as_deref(),
            Some("INT. GARAGE - NIGHT")
        );
        let shots = s.shots();
        assert_eq!(shots.len(), 2);
        assert_eq!(shots[0].video.id, "ep2-sc2-sh1-vid");
        assert_eq!(shots[0].keyframe.map(|k| k.id.as_str()), Some("ep2-sc2-sh1-img"));
        assert_eq!(shots[0].characters(), ["char-a"]);
        assert_eq!((shots[1].duration(), shots[1].framing()), (Some(15), Some("close-up")));
        let lines = s.lines();
        assert_eq!(lines[0].audio.id, "ep2-sc2-ln1");
        assert_eq!(
            (lines[0].speaker, lines[0].delivery()),
            (Some("char-a"), Some("whispering"))
        );
        assert_eq!((lines[1].speaker, lines[1].text()), (None, "He never looked back."));
    }

    #[test]
    fn a_rewrite_keeps_the_ids_of_untouched_shots_and_lines() {
        let mut old = Episode::new("ep1", "t", "s");
        old.scenes = build_scenes("ep1", vec![draft()]);
        old.scenes[0].assets[1].url = Some("/media/old-shot-1.mp4".into());
        // Shot 1 is new; old shot 1 moves to second place; the narrator's line changes.
        let mut d = draft();
        d.shots.insert(0, shot(&["char-a"], 15));
        d.shots[0].video_prompt = "a new opening".into();
        d.lines[1].text = "She never looked back.".into();
        let mut scenes = build_scenes("ep1", vec![d]);
        keep_untouched(&old, &mut scenes);
        let ids: Vec<&str> = scenes[0].assets.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "ep1-sc1-sh1-img-2",
                "ep1-sc1-sh1-vid-2",
                "ep1-sc1-sh1-img",
                "ep1-sc1-sh1-vid",
                "ep1-sc1-sh2-img",
                "ep1-sc1-sh2-vid",
                "ep1-sc1-ln1",
                "ep1-sc1-ln2"
            ]
        );
        let shots = scenes[0].shots();
        assert_eq!(shots[0].keyframe.map(|k| k.id.as_str()), Some("ep1-sc1-sh1-img-2"));
        assert_eq!(shots[1].video.url.as_deref(), Some("/media/old-shot-1.mp4"));
        assert_eq!(scenes[0].lines()[1].text(), "She never looked back.");
    }

    #[test]
    fn scene_problems_cover_text_refs_counts_and_durations() {
        let mut d = draft();
        d.description = " ".into();
        d.shots = vec![shot(&["char-x", "char-a", "char-a", "char-a"], 12)];
        d.lines[1].speaker = Some("char-y".into());
        let p = scene_problems(&[d], &["char-a".into()], &[10, 15]);
        let has = |s: &str| p.iter().any(|x| x.contains(s));
        assert!(has("scene 1: description is empty"), "{p:?}");
        assert!(has("scene 1: write 2 to 4 shots, not 1"), "{p:?}");
        assert!(has("scene 1, shot 1: at most 3 characters"), "{p:?}");
        assert!(
            has("scene 1, shot 1: duration must be one of [10, 15], not 12"),
            "{p:?}"
        );
        assert!(
            has("'char-x' is not a character id") && has("'char-y' is not a character id"),
            "{p:?}"
        );
    }
}
