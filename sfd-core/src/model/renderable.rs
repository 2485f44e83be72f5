//! What a drama needs to be rendered: a portrait per character (so every
//! shot draws the same face), a cover, and `depends_on` references.
//!
//! Generation calls [`make_renderable`] on every drama it writes; a render
//! calls it on older documents, which gain what they lack.

use serde_json::Value;

use crate::model::id::unique_id;
use crate::model::{Asset, AssetKind, Character, Drama, Episode, keyframe_id, music_id};

/// The id of the drama's cover asset.
pub const COVER_ID: &str = "cover";
/// The most portraits a cover or a scene image takes.
const MAX_REFERENCES: usize = 3;

/// The id of `character_id`'s portrait asset: `{cid}-portrait`.
pub fn portrait_id(character_id: &str) -> String {
    format!("{character_id}-portrait")
}

/// The id of `character_id`'s audition asset: `{cid}-audition`.
pub fn audition_id(character_id: &str) -> String {
    format!("{character_id}-audition")
}

/// The drama's visual style, `metadata.look`, when set.
pub fn look_of(drama: &Drama) -> Option<&str> {
    drama
        .metadata
        .as_ref()?
        .get("look")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|l| !l.is_empty())
}

fn style(look: Option<&str>, aspect_ratio: &str) -> String {
    match look {
        Some(l) => format!("Visual style: {l}. Frame: {aspect_ratio}."),
        None => format!("Frame: {aspect_ratio}."),
    }
}

/// The prompt of a character's reference portrait.
pub fn portrait_prompt(character: &Character, look: Option<&str>, aspect_ratio: &str) -> String {
    format!(
        "Character reference portrait of {}: {} Full figure with the face clearly visible, facing the camera, \
         plain background, the exact design to keep in every shot. {}",
        character.name,
        character.description.trim(),
        style(look, aspect_ratio)
    )
}

/// The seconds of an audition clip.
pub const AUDITION_SECONDS: i64 = 4;

/// A character's audition: a short clip from its portrait (`{cid}-audition`).
pub fn audition_asset(character: &Character, look: Option<&str>, aspect_ratio: &str) -> Asset {
    let voice = character
        .voice_description
        .as_deref()
        .map(|v| format!(" in their own voice ({})", v.trim()))
        .unwrap_or_default();
    let prompt = format!(
        "Audition clip of {}: {} They step into frame, look into the camera and introduce themselves{voice}, \
         exactly as drawn in their reference portrait. {}",
        character.name,
        character.description.trim(),
        style(look, aspect_ratio)
    );
    let mut a = Asset::new(audition_id(&character.id), AssetKind::Video, prompt);
    a.depends_on = vec![character.id.clone()];
    a.duration = Some(AUDITION_SECONDS);
    a
}

/// The prompt of the drama's cover, featuring `names`.
pub fn cover_prompt(drama: &Drama, names: &[&str], aspect_ratio: &str) -> String {
    format!(
        "Cover poster for the short drama \"{}\": {} Featuring {}, drawn exactly as in their reference \
         portraits. Cinematic key art with room for the title at the top. {}",
        drama.title,
        drama.description.trim(),
        names.join(", "),
        style(look_of(drama), aspect_ratio)
    )
}

/// Where `needle` first appears in `hay` as a whole word (ASCII case-insensitive).
fn word_at(hay: &str, needle: &str) -> Option<usize> {
    if needle.len() < 3 {
        return None;
    }
    let (hay_l, needle_l) = (hay.to_ascii_lowercase(), needle.to_ascii_lowercase());
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    let mut from = 0;
    while let Some(i) = hay_l[from..].find(&needle_l) {
        let at = from + i;
        let end = at + needle_l.len();
        if boundary(hay_l[..at].chars().next_back()) && boundary(hay_l[end..].chars().next()) {
            return Some(at);
        }
        from = end;
    }
    None
}

/// The characters named in `text`, in order of first mention, at most 3.
fn mentioned(characters: &[Character], text: &str) -> Vec<String> {
    let mut found: Vec<(usize, &str)> = characters
        .iter()
        .filter_map(|c| {
            let first = c.name.split_whitespace().next().unwrap_or_default();
            let slug = c.id.strip_prefix("char-").unwrap_or(&c.id);
            [c.name.as_str(), first, slug]
                .iter()
                .filter_map(|n| word_at(text, n))
                .min()
                .map(|at| (at, c.id.as_str()))
        })
        .collect();
    found.sort();
    found
        .into_iter()
        .take(MAX_REFERENCES)
        .map(|(_, id)| id.to_string())
        .collect()
}

/// Adds what rendering needs and `drama` lacks, and returns the ids of the
/// assets it added or gave references to:
/// - a `{cid}-portrait` image for every character, and the casting sheet
///   it asks for (see `sheet.rs`); portrait and sheet prompts sfd wrote are
///   written again when the character's description or the look changed;
/// - a `cover` image at drama level, depending on the main characters;
/// - in a document with no `depends_on` at all (written before sfd
///   rendered), scene images get the characters they name (at most 3) and
///   scene videos get their scene's image;
/// - every shot (a scene video) its keyframe: a video that depends on no
///   image gets the scene image no other shot uses, or a new keyframe image
///   ([`keyframe_id`]) drawn from its prompt, depending on the characters
///   the shot names (else those its scene names);
/// - every episode with dialogue its music (`{eid}-music`, the prompt a
///   mood); an episode without lines gets none, so a drama that was only
///   pictures does not start needing a speech provider.
///
/// `aspect_ratio` (such as `9:16`) goes into the prompts it writes.
pub fn make_renderable(drama: &mut Drama, aspect_ratio: &str) -> Vec<String> {
    let mut changed = Vec::new();
    let look = look_of(drama).map(str::to_string);
    let taken = |d: &Drama, id: &str| d.inner_ids().any(|x| x == id);
    for i in 0..drama.characters.len() {
        let id = portrait_id(&drama.characters[i].id);
        if !taken(drama, &id) {
            let prompt = portrait_prompt(&drama.characters[i], look.as_deref(), aspect_ratio);
            drama.characters[i]
                .assets
                .push(Asset::new(&id, AssetKind::Image, prompt));
            changed.push(id);
        }
    }
    super::sheet::complete_sheets(drama, aspect_ratio, &mut changed);
    if !taken(drama, COVER_ID) && !drama.characters.is_empty() {
        let mut leads: Vec<&Character> = drama.characters.iter().filter(|c| c.main).collect();
        if leads.is_empty() {
            leads = drama.characters.iter().take(1).collect();
        }
        leads.truncate(MAX_REFERENCES + 1);
        let names: Vec<&str> = leads.iter().map(|c| c.name.as_str()).collect();
        let mut cover = Asset::new(COVER_ID, AssetKind::Image, cover_prompt(drama, &names, aspect_ratio));
        cover.depends_on = leads.iter().map(|c| c.id.clone()).collect();
        drama.assets.push(cover);
        changed.push(COVER_ID.to_string());
    }
    let has_references = drama
        .episodes
        .iter()
        .flat_map(|e| e.scenes.iter().flat_map(|s| s.assets.iter()))
        .any(|a| !a.depends_on.is_empty());
    if !has_references {
        let cast = drama.characters.clone();
        for scene in drama.episodes.iter_mut().flat_map(|e| e.scenes.iter_mut()) {
            let image = scene
                .assets
                .iter()
                .find(|a| a.kind == AssetKind::Image)
                .map(|a| a.id.clone());
            for a in &mut scene.assets {
                let deps = match a.kind {
                    AssetKind::Image => mentioned(&cast, &format!("{} {}", scene.description, a.prompt)),
                    AssetKind::Video => image.iter().cloned().collect(),
                    AssetKind::Audio => Vec::new(),
                };
                if !deps.is_empty() {
                    a.depends_on = deps;
                    changed.push(a.id.clone());
                }
            }
        }
    }
    complete_shots(drama, look.as_deref(), aspect_ratio, &mut changed);
    for e in &mut drama.episodes {
        let speaks = e.scenes.iter().any(|s| !s.lines().is_empty());
        if speaks && e.music().is_none() {
            let id = music_id(&e.id);
            e.assets.push(Asset::new(&id, AssetKind::Audio, music_prompt(e)));
            changed.push(id);
        }
    }
    changed
}

/// The prompt of an episode's music when nobody wrote one: its mood from the synopsis.
pub fn music_prompt(episode: &Episode) -> String {
    format!(
        "Instrumental score under the dialogue of \"{}\", no vocals, following its mood: {}",
        episode.title,
        episode.description.trim()
    )
}

/// The prompt of a keyframe made for a shot that had none.
fn keyframe_prompt(video: &Asset, scene: &str, look: Option<&str>, aspect_ratio: &str) -> String {
    let framing = video
        .framing
        .as_deref()
        .map(|f| format!("{f} shot. "))
        .unwrap_or_default();
    format!(
        "The first frame of this shot, as a still: {framing}{} Scene: {} {}",
        video.prompt.trim(),
        scene.trim(),
        style(look, aspect_ratio)
    )
}

/// Gives every scene video a keyframe image to depend on (see [`make_renderable`]).
fn complete_shots(drama: &mut Drama, look: Option<&str>, aspect_ratio: &str, changed: &mut Vec<String>) {
    let cast = drama.characters.clone();
    let mut ids: Vec<String> = drama.inner_ids().map(str::to_string).collect();
    for scene in drama.episodes.iter_mut().flat_map(|e| e.scenes.iter_mut()) {
        let mut missing: Vec<(String, Option<String>)> = Vec::new();
        for shot in scene.shots() {
            let linked = shot.keyframe.is_some_and(|k| shot.video.depends_on.contains(&k.id));
            if !linked {
                missing.push((shot.video.id.clone(), shot.keyframe.map(|k| k.id.clone())));
            }
        }
        for (video_id, free) in missing {
            let Some(at) = scene.assets.iter().position(|a| a.id == video_id) else {
                continue;
            };
            let image_id = match free {
                Some(id) => id,
                None => {
                    let video = &scene.assets[at];
                    let id = unique_id(&keyframe_id(&video.id), |x| ids.iter().any(|i| i == x));
                    let mut image = Asset::new(
                        &id,
                        AssetKind::Image,
                        keyframe_prompt(video, &scene.description, look, aspect_ratio),
                    );
                    let mut people = mentioned(&cast, &video.prompt);
                    if people.is_empty() {
                        people = mentioned(&cast, &scene.description);
                    }
                    image.depends_on = people;
                    scene.assets.insert(at, image);
                    ids.push(id.clone());
                    changed.push(id.clone());
                    id
                }
            };
            if let Some(video) = scene.assets.iter_mut().find(|a| a.id == video_id) {
                video.depends_on.insert(0, image_id);
                changed.push(video_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Episode, Scene, validate};

    fn old_drama() -> Drama {
        let mut d = Drama::new("d", "Corgi Musk", "A dog builds rockets.", "p");
        let mut corgi = Character::new("char-corgi", "Corgi Musk", "A corgi inventor.");
        corgi.main = true;
        d.characters = vec![
            corgi,
            Character::new("char-ava", "Ava Byte", "A border collie engineer."),
        ];
        let mut sc = Scene::new("ep1-sc1", "Corgi shows Ava the rocket.");
        sc.assets = vec![
            Asset::new("ep1-sc1-img", AssetKind::Image, "A garage; AVA grins; the corgi waves."),
            Asset::new("ep1-sc1-vid", AssetKind::Video, "Dolly in."),
        ];
        let mut ep = Episode::new("ep1", "t", "x");
        ep.scenes.push(sc);
        d.episodes.push(ep);
        d
    }

    #[test]
    fn old_documents_gain_portraits_cover_and_references() {
        let mut d = old_drama();
        let changed = make_renderable(&mut d, "9:16");
        assert_eq!(
            changed,
            [
                "char-corgi-portrait",
                "char-ava-portrait",
                "cover",
                "ep1-sc1-img",
                "ep1-sc1-vid"
            ]
        );
        assert!(validate(&d).is_empty(), "{}", validate(&d));
        assert!(
            d.characters[0].assets[0].prompt.contains("Corgi Musk")
                && d.characters[0].assets[0].prompt.contains("9:16")
        );
        assert_eq!(d.assets[0].depends_on, ["char-corgi"]);
        let scene = &d.episodes[0].scenes[0];
        assert_eq!(scene.assets[0].depends_on, ["char-corgi", "char-ava"]);
        assert_eq!(scene.assets[1].depends_on, ["ep1-sc1-img"]);
        assert!(d.episodes[0].music().is_none(), "no lines, no music");
        // A second pass changes nothing.
        assert!(make_renderable(&mut d, "9:16").is_empty());
        d.episodes[0].scenes[0]
            .assets
            .push(Asset::new("ep1-sc1-aud", AssetKind::Audio, "To the stars!"));
        assert_eq!(make_renderable(&mut d, "9:16"), ["ep1-music"]);
        assert!(d.episodes[0].music().is_some_and(|m| m.prompt.contains("no vocals")));
    }

    #[test]
    fn shots_without_keyframes_gain_one() {
        let mut d = old_drama();
        make_renderable(&mut d, "9:16");
        let scene = &mut d.episodes[0].scenes[0];
        let mut second = Asset::new("ep1-sc1-sh2-vid", AssetKind::Video, "Close on Ava's grin.");
        second.framing = Some("close-up".into());
        scene.assets.push(second);
        let changed = make_renderable(&mut d, "9:16");
        assert_eq!(changed, ["ep1-sc1-sh2-img", "ep1-sc1-sh2-vid"]);
        assert!(validate(&d).is_empty(), "{}", validate(&d));
        let shots = d.episodes[0].scenes[0].shots();
        assert_eq!(shots.len(), 2);
        let keyframe = shots[1].keyframe.map(|k| (k.id.as_str(), k.prompt.as_str()));
        assert!(keyframe.is_some_and(|(id, p)| id == "ep1-sc1-sh2-img" && p.contains("close-up shot.")));
        assert_eq!(shots[1].characters(), ["char-ava"]);
        assert!(make_renderable(&mut d, "9:16").is_empty());
    }

    #[test]
    fn names_match_whole_words_only() {
        assert_eq!(word_at("Avalanche and ava.", "Ava"), Some(14));
        assert_eq!(word_at("nothing here", "Ava"), None);
        assert_eq!(word_at("an ox", "ox"), None);
    }
}
