//! The screenplay inside a drama document: a scene's heading, its shots and
//! its dialogue lines, and an episode's music. Every layer (generation,
//! rendering, assembly, exports) reads them through these accessors.
//!
//! They are plain assets, told apart by kind and place:
//! - a **shot** is a scene's video asset, in the order of `assets`; its
//!   **keyframe** is the scene image it depends on; its **characters** are
//!   the character ids the video or its keyframe depends on;
//! - a **line** is a scene's audio asset, in order; its `prompt` is the
//!   spoken text, its first `depends_on` entry the speaker (none: a
//!   narrator), its `delivery` how it is spoken;
//! - an episode's **music** is its (first) episode-level audio asset; the
//!   prompt is the mood.
//!
//! An old document (one image, one video and maybe one voice per scene)
//! reads as one shot and at most one line.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Asset, AssetKind, Episode, Object, Scene, library_ref};

/// Where a scene plays: inside, outside, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Setting {
    /// `INT.`
    Interior,
    /// `EXT.`
    Exterior,
    /// `INT./EXT.`, e.g. a car or a doorway.
    Both,
}

impl Setting {
    /// The screenplay prefix: `INT.`, `EXT.` or `INT./EXT.`.
    pub fn prefix(self) -> &'static str {
        match self {
            Setting::Interior => "INT.",
            Setting::Exterior => "EXT.",
            Setting::Both => "INT./EXT.",
        }
    }
}

/// A scene heading (slugline): `INT. LIGHTHOUSE - NIGHT`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heading {
    /// Interior, exterior or both.
    pub setting: Setting,
    /// Where (`lighthouse`, `Corgi's garage`).
    pub location: String,
    /// Time of day (`night`, `dawn`, `continuous`).
    pub time: String,
    /// Fields this version does not know; kept as they are.
    #[serde(flatten)]
    pub extra: Object,
}

impl Heading {
    /// A heading with these parts.
    pub fn new(setting: Setting, location: impl Into<String>, time: impl Into<String>) -> Self {
        Heading {
            setting,
            location: location.into(),
            time: time.into(),
            extra: Object::new(),
        }
    }
}

impl fmt::Display for Heading {
    /// The slugline, upper case: `INT. LIGHTHOUSE - NIGHT` (no ` - ` part without a time).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (location, time) = (self.location.trim(), self.time.trim());
        write!(f, "{} {}", self.setting.prefix(), location.to_uppercase())?;
        if !time.is_empty() {
            write!(f, " - {}", time.to_uppercase())?;
        }
        Ok(())
    }
}

/// One shot of a scene: a video and the keyframe it starts from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shot<'a> {
    /// The video asset.
    pub video: &'a Asset,
    /// The keyframe image the video depends on, if any.
    pub keyframe: Option<&'a Asset>,
    scene: &'a Scene,
}

impl<'a> Shot<'a> {
    /// Framing (`close-up`, `medium`, `wide`…), when set.
    pub fn framing(&self) -> Option<&'a str> {
        self.video.framing.as_deref()
    }

    /// Camera move, when set.
    pub fn camera(&self) -> Option<&'a str> {
        self.video.camera.as_deref()
    }

    /// Length in seconds, when set.
    pub fn duration(&self) -> Option<i64> {
        self.video.duration
    }

    /// The characters in the shot: the character ids the video or its
    /// keyframe depends on, without repeats, in order.
    pub fn characters(&self) -> Vec<&'a str> {
        let mut out: Vec<&'a str> = Vec::new();
        let deps = self
            .video
            .depends_on
            .iter()
            .chain(self.keyframe.into_iter().flat_map(|k| k.depends_on.iter()));
        for dep in deps.filter(|d| is_person(self.scene, d)) {
            if !out.contains(&dep.as_str()) {
                out.push(dep);
            }
        }
        out
    }
}

/// One dialogue line of a scene: an audio asset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line<'a> {
    /// The audio asset.
    pub audio: &'a Asset,
    /// The speaking character's id; `None` for a narrator.
    pub speaker: Option<&'a str>,
}

impl<'a> Line<'a> {
    /// The spoken text (the asset's prompt).
    pub fn text(&self) -> &'a str {
        self.audio.prompt.trim()
    }

    /// How it is spoken, when set.
    pub fn delivery(&self) -> Option<&'a str> {
        self.audio.delivery.as_deref().map(str::trim).filter(|d| !d.is_empty())
    }
}

/// A `depends_on` entry that names no asset of the scene nor a library
/// asset: a character.
fn is_person(scene: &Scene, dep: &str) -> bool {
    library_ref(dep).is_none() && !scene.assets.iter().any(|a| a.id == dep)
}

impl Scene {
    /// Where and when the scene plays, when set.
    pub fn heading(&self) -> Option<&Heading> {
        self.heading.as_ref()
    }

    /// The shots in order: every video asset with its keyframe (the scene
    /// image it depends on; without one, the image at the same position
    /// among the scene's images that no other video uses).
    pub fn shots(&self) -> Vec<Shot<'_>> {
        let images: Vec<&Asset> = self.assets.iter().filter(|a| a.kind == AssetKind::Image).collect();
        let videos: Vec<&Asset> = self.assets.iter().filter(|a| a.kind == AssetKind::Video).collect();
        let linked = |img: &Asset| videos.iter().any(|v| v.depends_on.contains(&img.id));
        let free: Vec<&Asset> = images.iter().copied().filter(|i| !linked(i)).collect();
        let mut unlinked = 0;
        videos
            .iter()
            .map(|video| {
                let keyframe = images
                    .iter()
                    .copied()
                    .find(|i| video.depends_on.contains(&i.id))
                    .or_else(|| {
                        unlinked += 1;
                        free.get(unlinked - 1).copied()
                    });
                Shot {
                    video,
                    keyframe,
                    scene: self,
                }
            })
            .collect()
    }

    /// The dialogue lines in order: every audio asset, its speaker the
    /// first character it depends on.
    pub fn lines(&self) -> Vec<Line<'_>> {
        self.assets
            .iter()
            .filter(|a| a.kind == AssetKind::Audio)
            .map(|audio| Line {
                audio,
                speaker: audio.depends_on.iter().find(|d| is_person(self, d)).map(String::as_str),
            })
            .collect()
    }
}

impl Episode {
    /// The episode's music: its first episode-level audio asset (the prompt is the mood).
    pub fn music(&self) -> Option<&Asset> {
        self.assets.iter().find(|a| a.kind == AssetKind::Audio)
    }
}

/// The ids of shot `n` (from 1) of `scene_id`: (keyframe, video), e.g.
/// `ep1-sc2-sh1-img`, `ep1-sc2-sh1-vid`.
pub fn shot_ids(scene_id: &str, n: usize) -> (String, String) {
    (format!("{scene_id}-sh{n}-img"), format!("{scene_id}-sh{n}-vid"))
}

/// The id of line `n` (from 1) of `scene_id`: `ep1-sc2-ln1`.
pub fn line_id(scene_id: &str, n: usize) -> String {
    format!("{scene_id}-ln{n}")
}

/// The id of an episode's music: `ep1-music`.
pub fn music_id(episode_id: &str) -> String {
    format!("{episode_id}-music")
}

/// The id of a keyframe made for `video_id`: `…-vid` becomes `…-img`, other ids gain `-img`.
pub fn keyframe_id(video_id: &str) -> String {
    match video_id.strip_suffix("-vid") {
        Some(stem) => format!("{stem}-img"),
        None => format!("{video_id}-img"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn asset(id: &str, kind: AssetKind, deps: &[&str]) -> Asset {
        let mut a = Asset::new(id, kind, format!("{id} prompt"));
        a.depends_on = deps.iter().map(|d| d.to_string()).collect();
        a
    }

    #[test]
    fn headings_print_as_sluglines() {
        assert_eq!(
            Heading::new(Setting::Interior, "Lighthouse", "night").to_string(),
            "INT. LIGHTHOUSE - NIGHT"
        );
        assert_eq!(Heading::new(Setting::Both, "car", " ").to_string(), "INT./EXT. CAR");
        let h: Heading = serde_json::from_value(json!({"setting": "exterior", "location": "pier", "time": "dawn"}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.to_string(), "EXT. PIER - DAWN");
    }

    #[test]
    fn an_old_scene_reads_as_one_shot_and_one_line() {
        let mut s = Scene::new("ep1-sc1", "d");
        s.assets = vec![
            asset("ep1-sc1-img", AssetKind::Image, &["char-a", "char-b"]),
            asset("ep1-sc1-vid", AssetKind::Video, &["ep1-sc1-img"]),
            asset("ep1-sc1-aud", AssetKind::Audio, &["char-a"]),
        ];
        let shots = s.shots();
        assert_eq!(shots.len(), 1);
        assert_eq!(shots[0].keyframe.map(|k| k.id.as_str()), Some("ep1-sc1-img"));
        assert_eq!(shots[0].characters(), ["char-a", "char-b"]);
        let lines = s.lines();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].speaker, Some("char-a"));
        assert_eq!(lines[0].text(), "ep1-sc1-aud prompt");
        assert!(s.heading().is_none());
        // Without references (written before sfd rendered), the image is still the keyframe.
        s.assets[1].depends_on.clear();
        assert_eq!(s.shots()[0].keyframe.map(|k| k.id.as_str()), Some("ep1-sc1-img"));
    }

    #[test]
    fn shots_and_lines_keep_their_order() {
        let mut s = Scene::new("s", "d");
        let (i1, v1) = shot_ids("s", 1);
        let (i2, v2) = shot_ids("s", 2);
        s.assets = vec![
            asset(&i1, AssetKind::Image, &["char-a"]),
            asset(&v1, AssetKind::Video, &[&i1]),
            asset(&i2, AssetKind::Image, &["char-b"]),
            asset(&v2, AssetKind::Video, &[&i2, "char-c"]),
            asset(&line_id("s", 1), AssetKind::Audio, &[]),
            asset(&line_id("s", 2), AssetKind::Audio, &["library:x", "char-b"]),
        ];
        let shots = s.shots();
        assert_eq!(shots[1].video.id, "s-sh2-vid");
        assert_eq!(shots[1].keyframe.map(|k| k.id.as_str()), Some("s-sh2-img"));
        assert_eq!(shots[1].characters(), ["char-c", "char-b"]);
        let lines = s.lines();
        assert_eq!((lines[0].speaker, lines[1].speaker), (None, Some("char-b")));
        assert_eq!(lines[1].audio.id, "s-ln2");
    }

    #[test]
    fn music_is_the_episode_audio() {
        let mut e = Episode::new("ep1", "t", "d");
        assert!(e.music().is_none());
        e.assets.push(asset(&music_id("ep1"), AssetKind::Audio, &[]));
        assert_eq!(e.music().map(|m| m.id.as_str()), Some("ep1-music"));
        assert_eq!(keyframe_id("ep1-sc1-sh2-vid"), "ep1-sc1-sh2-img");
        assert_eq!(keyframe_id("clip"), "clip-img");
    }
}
