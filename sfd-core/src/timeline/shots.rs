//! An episode as a timeline of shots: each scene's clip, still and voice,
//! where it starts and how long it lasts, and the line it speaks.

use crate::model::{Asset, AssetKind, Drama, Episode, Scene};

/// One scene on the episode's timeline.
#[derive(Debug, Clone)]
pub struct Shot<'a> {
    /// The scene.
    pub scene: &'a Scene,
    /// Seconds from the episode's start.
    pub start: f64,
    /// Seconds it lasts.
    pub duration: f64,
    /// The scene's first video asset.
    pub video: Option<&'a Asset>,
    /// The scene's first image asset.
    pub image: Option<&'a Asset>,
    /// The scene's first audio asset: its spoken line.
    pub audio: Option<&'a Asset>,
    /// Who speaks the line (a character's name); `None` for narration.
    pub speaker: Option<&'a str>,
}

impl Shot<'_> {
    /// The spoken line, when the scene has one.
    pub fn line(&self) -> Option<&str> {
        self.audio.map(|a| a.prompt.trim()).filter(|l| !l.is_empty())
    }
}

fn first(scene: &Scene, kind: AssetKind) -> Option<&Asset> {
    scene.assets.iter().find(|a| a.kind == kind)
}

/// The longest a scene lasts in a cut, a subtitle file or a shot list: a
/// duration past it (a typo, or hostile input) would have ffmpeg encode
/// hours of frames.
pub const MAX_SCENE_SECONDS: f64 = 600.0;

/// The shots of `episode`: a scene lasts as long as its clip asks
/// (`duration` of its video, else of any asset; at most
/// [`MAX_SCENE_SECONDS`]), else `default_seconds`.
pub fn timeline<'a>(drama: &'a Drama, episode: &'a Episode, default_seconds: u32) -> Vec<Shot<'a>> {
    let mut start = 0.0;
    episode
        .scenes
        .iter()
        .map(|scene| {
            let video = first(scene, AssetKind::Video);
            let duration = video
                .and_then(|v| v.duration)
                .or_else(|| scene.assets.iter().find_map(|a| a.duration))
                .filter(|d| *d > 0)
                .map_or(f64::from(default_seconds.max(1)), |d| (d as f64).min(MAX_SCENE_SECONDS));
            let audio = first(scene, AssetKind::Audio);
            let speaker = audio
                .and_then(|a| a.depends_on.iter().find_map(|id| drama.character(id)))
                .map(|c| c.name.as_str());
            let shot = Shot {
                scene,
                start,
                duration,
                video,
                image: first(scene, AssetKind::Image),
                audio,
                speaker,
            };
            start += duration;
            shot
        })
        .collect()
}
