//! One episode as an editor's timeline: tracks of clips, each with its
//! source, where it sits on the cut (record frames) and where it starts in
//! its source, at the cut's frame rate. The assembly cuts the MP4 from it
//! and every hand-off (OTIO, FCPXML, EDL, CapCut) writes it, so what an
//! editor opens matches the MP4 frame for frame.

use serde::Serialize;

use crate::export::{Cue, cues, timeline as shots_of};
use crate::model::{Asset, AssetKind, Drama, Episode};
use crate::{Error, Result};

/// Frames per second of every cut and timeline.
pub const RATE: u32 = 30;
/// Pixels on the short side of every cut.
pub const SHORT_SIDE: u32 = 720;

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    /// The picture: one shot per scene, end to end.
    Video,
    /// The spoken lines, each from its scene's start.
    Dialogue,
    /// Music beds.
    Music,
    /// The subtitles: each line's text while it is spoken.
    Subtitles,
}

impl TrackKind {
    /// The track's name in an editor.
    pub fn label(self) -> &'static str {
        match self {
            TrackKind::Video => "Picture",
            TrackKind::Dialogue => "Dialogue",
            TrackKind::Music => "Music",
            TrackKind::Subtitles => "Subtitles",
        }
    }

    /// Whether its clips are sound.
    pub fn is_audio(self) -> bool {
        matches!(self, TrackKind::Dialogue | TrackKind::Music)
    }
}

/// A frame range: `start` and `duration` in frames at the timeline's rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    /// The first frame.
    pub start: i64,
    /// How many frames.
    pub duration: i64,
}

impl Span {
    /// The frame after the last.
    pub fn end(self) -> i64 {
        self.start + self.duration
    }
}

/// A media file a clip plays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClipMedia {
    /// The asset the file was rendered for.
    pub asset_id: String,
    /// A clip, a still image or sound.
    pub kind: AssetKind,
    /// The file's URL, as the drama records it.
    pub url: String,
}

/// What a clip shows or plays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum ClipSource {
    /// A media file.
    Media(ClipMedia),
    /// Text on screen (a subtitle).
    Text(String),
    /// Nothing rendered yet: black, or silence.
    Blank,
}

/// One clip on a track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clip {
    /// The scene it belongs to.
    pub scene_id: String,
    /// Where it sits on the cut.
    pub record: Span,
    /// The first frame used of its source.
    pub source_in: i64,
    /// What it plays.
    pub source: ClipSource,
    /// On the picture track, the scene's image, held when its video clip
    /// cannot be had.
    pub still: Option<ClipMedia>,
}

impl Clip {
    /// The media file it plays, if any.
    pub fn media(&self) -> Option<&ClipMedia> {
        match &self.source {
            ClipSource::Media(m) => Some(m),
            _ => None,
        }
    }

    /// The range of its source it uses.
    pub fn source_range(&self) -> Span {
        Span {
            start: self.source_in,
            duration: self.record.duration,
        }
    }
}

/// One track: clips in record order, never overlapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Track {
    /// What it carries.
    pub kind: TrackKind,
    /// Its clips.
    pub clips: Vec<Clip>,
}

/// An episode's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// The drama.
    pub drama_id: String,
    /// The episode.
    pub episode_id: String,
    /// A name for editors: the drama's and the episode's titles.
    pub name: String,
    /// Frames per second.
    pub rate: u32,
    /// The picture's size in pixels.
    pub width: u32,
    /// The picture's height in pixels.
    pub height: u32,
    /// Picture, dialogue, music and subtitles, in that order; a track with
    /// nothing on it is left out.
    pub tracks: Vec<Track>,
}

/// Whole frames nearest to `seconds` at `rate`.
pub fn frames(seconds: f64, rate: u32) -> i64 {
    (seconds * f64::from(rate)).round() as i64
}

fn media(asset: Option<&Asset>) -> Option<ClipMedia> {
    let a = asset?;
    let url = a.url.as_deref().filter(|u| !u.trim().is_empty())?;
    Some(ClipMedia {
        asset_id: a.id.clone(),
        kind: a.kind,
        url: url.to_string(),
    })
}

impl Timeline {
    /// The timeline of `episode` at [`RATE`], `size` pixels: a scene lasts
    /// as its clip asks (see [`crate::export::timeline`]); a line is heard
    /// and shown for `spoken(i)` seconds of scene `i` when known (the
    /// speech's real length), else for its whole scene.
    pub fn of_episode(
        drama: &Drama,
        episode: &Episode,
        default_seconds: u32,
        (width, height): (u32, u32),
        spoken: impl Fn(&str) -> Option<f64>,
    ) -> Timeline {
        let shots = shots_of(drama, episode, default_seconds);
        let spoken = |i: usize| shots.get(i).and_then(|s| s.audio).and_then(|a| spoken(&a.id));
        let rate = RATE;
        let mut starts = Vec::with_capacity(shots.len());
        let mut picture = Vec::with_capacity(shots.len());
        let mut at = 0;
        for shot in &shots {
            let duration = frames(shot.duration, rate).max(1);
            let record = Span { start: at, duration };
            starts.push(record);
            at += duration;
            let clip = media(shot.video);
            let still = media(shot.image);
            picture.push(Clip {
                scene_id: shot.scene.id.clone(),
                record,
                source_in: 0,
                source: match (&clip, &still) {
                    (Some(c), _) => ClipSource::Media(c.clone()),
                    (None, Some(s)) => ClipSource::Media(s.clone()),
                    (None, None) => ClipSource::Blank,
                },
                still,
            });
        }
        // A line plays from its scene's start, cut at the scene's end.
        let heard = |i: usize| {
            let scene = starts[i];
            let length = spoken(i).filter(|l| *l > 0.0).map(|l| frames(l, rate));
            Span {
                start: scene.start,
                duration: length.map_or(scene.duration, |l| l.clamp(1, scene.duration)),
            }
        };
        let dialogue = shots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let m = media(s.audio)?;
                Some(Clip {
                    scene_id: s.scene.id.clone(),
                    record: heard(i),
                    source_in: 0,
                    source: ClipSource::Media(m),
                    still: None,
                })
            })
            .collect();
        let subtitles = cues(&shots, spoken)
            .into_iter()
            .zip(shots.iter().enumerate().filter(|(_, s)| s.line().is_some()))
            .map(|(cue, (i, s))| Clip {
                scene_id: s.scene.id.clone(),
                record: heard(i),
                source_in: 0,
                source: ClipSource::Text(cue.text),
                still: None,
            })
            .collect();
        let tracks = [
            (TrackKind::Video, picture),
            (TrackKind::Dialogue, dialogue),
            (TrackKind::Subtitles, subtitles),
        ]
        .into_iter()
        .filter(|(_, clips)| !clips.is_empty())
        .map(|(kind, clips)| Track { kind, clips })
        .collect();
        Timeline {
            drama_id: drama.id.clone(),
            episode_id: episode.id.clone(),
            name: format!("{} - {}", drama.title.trim(), episode.title.trim()),
            rate,
            width,
            height,
            tracks,
        }
    }

    /// The track of `kind`, if it has clips.
    pub fn track(&self, kind: TrackKind) -> Option<&Track> {
        self.tracks.iter().find(|t| t.kind == kind)
    }

    /// The clips of the track of `kind` (none when it is empty).
    pub fn clips(&self, kind: TrackKind) -> &[Clip] {
        self.track(kind).map_or(&[], |t| t.clips.as_slice())
    }

    /// Frames of the whole cut: where the picture ends.
    pub fn frames(&self) -> i64 {
        self.clips(TrackKind::Video).last().map_or(0, |c| c.record.end())
    }

    /// Seconds of `n` frames.
    pub fn seconds(&self, n: i64) -> f64 {
        n as f64 / f64::from(self.rate)
    }

    /// The subtitles as cues, in seconds.
    pub fn cues(&self) -> Vec<Cue> {
        self.clips(TrackKind::Subtitles)
            .iter()
            .filter_map(|c| match &c.source {
                ClipSource::Text(text) => Some(Cue {
                    start: self.seconds(c.record.start),
                    end: self.seconds(c.record.end()),
                    text: text.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Checks that every shot on the picture track plays a rendered video
    /// clip, as an editor's hand-off needs; [`Error::NotRendered`] names
    /// the scenes that do not.
    pub fn check_rendered(&self) -> Result<()> {
        let missing: Vec<String> = self
            .clips(TrackKind::Video)
            .iter()
            .filter(|c| c.media().is_none_or(|m| m.kind != AssetKind::Video))
            .map(|c| c.scene_id.clone())
            .collect();
        if missing.is_empty() && !self.clips(TrackKind::Video).is_empty() {
            return Ok(());
        }
        Err(Error::NotRendered {
            episode: self.episode_id.clone(),
            scenes: missing,
        })
    }

    /// Every media file the timeline plays, each once, in track order.
    pub fn media(&self) -> Vec<&ClipMedia> {
        let mut seen = std::collections::BTreeSet::new();
        self.tracks
            .iter()
            .flat_map(|t| t.clips.iter().filter_map(Clip::media))
            .filter(|m| seen.insert(m.url.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scene;

    /// Three scenes of 2, 3 and (default) 4 seconds; the first two with a
    /// rendered clip and a spoken line, the last with only an image.
    fn drama() -> Drama {
        let mut d = Drama::new("drama_tl", "Rocket Corgi", "A dog.", "corgi");
        let mut ep = Episode::new("ep1", "Liftoff", "The launch.");
        for (n, secs) in [(1, Some(2)), (2, Some(3)), (3, None)] {
            let sid = format!("ep1-sc{n}");
            let mut sc = Scene::new(&sid, format!("Scene {n}"));
            let mut img = Asset::new(format!("{sid}-img"), AssetKind::Image, "still");
            img.url = Some(format!("/media/media/drama_tl/{sid}-img-{:032}.png", n));
            let mut vid = Asset::new(format!("{sid}-vid"), AssetKind::Video, "clip");
            vid.duration = secs;
            if n < 3 {
                vid.url = Some(format!("/media/media/drama_tl/{sid}-vid-{:032}.mp4", n));
            }
            let mut aud = Asset::new(format!("{sid}-aud"), AssetKind::Audio, format!("Line {n}"));
            if n < 3 {
                aud.url = Some(format!("/media/media/drama_tl/{sid}-aud-{:032}.wav", n));
            }
            sc.assets = vec![img, vid, aud];
            ep.scenes.push(sc);
        }
        d.episodes.push(ep);
        d
    }

    #[test]
    fn shots_lie_end_to_end_and_lines_sit_at_their_scene() {
        let d = drama();
        let t = Timeline::of_episode(&d, &d.episodes[0], 4, (720, 1280), |id| {
            (id == "ep1-sc1-aud").then_some(1.5)
        });
        let picture = t.clips(TrackKind::Video);
        let spans: Vec<(i64, i64)> = picture.iter().map(|c| (c.record.start, c.record.duration)).collect();
        assert_eq!(spans, [(0, 60), (60, 90), (150, 120)]);
        assert_eq!(t.frames(), 270);
        assert_eq!(picture[2].media().map(|m| m.kind), Some(AssetKind::Image));
        let lines: Vec<(i64, i64)> = t
            .clips(TrackKind::Dialogue)
            .iter()
            .map(|c| (c.record.start, c.record.duration))
            .collect();
        assert_eq!(lines, [(0, 45), (60, 90)]);
        assert_eq!(t.cues().len(), 3);
        assert_eq!(t.cues()[0].end, 1.5);
        assert!(matches!(t.check_rendered(), Err(Error::NotRendered { scenes, .. }) if scenes == ["ep1-sc3"]));
        // Two clips and a still on the picture track, two lines.
        assert_eq!(t.media().len(), 5);
    }
}
