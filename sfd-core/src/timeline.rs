//! One episode as an editor's timeline: tracks of clips, each with its
//! source, where it sits on the cut (record frames) and where it starts in
//! its source, at the cut's frame rate. The assembly cuts the MP4 from it
//! and every hand-off (OTIO, FCPXML, EDL, CapCut) writes it, so what an
//! editor opens matches the MP4 frame for frame.

use serde::Serialize;

use crate::model::{Asset, AssetKind, Drama, Episode};
use crate::{Error, Result};

mod cues;
mod shots;

pub use cues::{Cue, cues};
use shots::MAX_SCENE_SECONDS;
pub use shots::{Shot, timeline as shots_of};

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

/// The longest a subtitle cue built from word timestamps runs, in characters.
const CUE_CHARS: usize = 42;

/// The subtitle cues of one line spoken from `at` for `seconds` (seconds
/// from the cut's start): one cue while the line fits the two rows of
/// [`CUE_CHARS`] a subtitle holds; a longer line with word timestamps is
/// one cue per group of words that fits a row, each shown while its words
/// are spoken.
fn line_cues(text: &str, words: &[(String, f64, f64)], at: f64, seconds: f64) -> Vec<(f64, f64, String)> {
    if words.is_empty() || text.chars().count() <= 2 * CUE_CHARS {
        return vec![(at, at + seconds, text.to_string())];
    }
    let mut cues: Vec<(f64, f64, String)> = Vec::new();
    for (word, start, end) in words {
        let (start, end) = (at + start.min(seconds), at + end.min(seconds));
        match cues.last_mut() {
            Some(cue) if cue.2.chars().count() + 1 + word.chars().count() <= CUE_CHARS => {
                cue.2.push(' ');
                cue.2.push_str(word);
                cue.1 = end;
            }
            _ => cues.push((start, end, word.clone())),
        }
    }
    cues
}

impl Timeline {
    /// The timeline of `episode` at [`RATE`], `size` pixels. Each scene's
    /// shots lie end to end, each as long as its video's `duration` (else
    /// `default_seconds`; a scene with no shot shows its image, or black,
    /// for as long as its lines need); its lines are placed one after the
    /// other with the pauses of [`crate::timing`], each as long as
    /// `spoken(line)` says (the speech's real length), else as recorded
    /// when it was rendered, and cut at its scene's end; subtitles follow
    /// the lines (by word groups where the speech has word timestamps); the
    /// episode's music runs under the whole cut.
    pub fn of_episode(
        drama: &Drama,
        episode: &Episode,
        default_seconds: u32,
        (width, height): (u32, u32),
        spoken: impl Fn(&Asset) -> Option<f64>,
    ) -> Timeline {
        let rate = RATE;
        let default = frames(f64::from(default_seconds.max(1)), rate);
        let seconds_of = |d: Option<i64>| {
            d.filter(|d| *d > 0)
                .map(|d| frames((d as f64).min(MAX_SCENE_SECONDS), rate))
        };
        let (mut picture, mut dialogue, mut subtitles) = (Vec::new(), Vec::new(), Vec::new());
        let mut at = 0;
        for scene in &episode.scenes {
            let lines = scene.lines();
            let lengths: Vec<f64> = lines
                .iter()
                .map(|l| {
                    spoken(l.audio)
                        .or_else(|| crate::timing::recorded_length(l.audio))
                        .filter(|s| s.is_finite() && *s > 0.0)
                        .unwrap_or_else(|| crate::render::speech_seconds(l.text()))
                        .min(MAX_SCENE_SECONDS)
                })
                .collect();
            let scene_start = at;
            let shots = scene.shots();
            if shots.is_empty() {
                // An old or unfinished scene: its image, or black, as long as
                // any asset asks, or its lines need.
                let asked = seconds_of(scene.assets.iter().find_map(|a| a.duration));
                let needed = crate::timing::spoken_length(&lengths).map(|s| frames(s.ceil(), rate));
                let duration = asked.or(needed).unwrap_or(default).max(1);
                let still = media(scene.assets.iter().find(|a| a.kind == AssetKind::Image));
                picture.push(Clip {
                    scene_id: scene.id.clone(),
                    record: Span { start: at, duration },
                    source_in: 0,
                    source: still.clone().map_or(ClipSource::Blank, ClipSource::Media),
                    still,
                });
                at += duration;
            }
            for shot in &shots {
                let duration = seconds_of(shot.duration()).unwrap_or(default).max(1);
                let clip = media(Some(shot.video));
                let still = media(shot.keyframe);
                picture.push(Clip {
                    scene_id: scene.id.clone(),
                    record: Span { start: at, duration },
                    source_in: 0,
                    source: match (&clip, &still) {
                        (Some(c), _) => ClipSource::Media(c.clone()),
                        (None, Some(s)) => ClipSource::Media(s.clone()),
                        (None, None) => ClipSource::Blank,
                    },
                    still,
                });
                at += duration;
            }
            let scene_end = at;
            for ((line, length), start) in lines.iter().zip(&lengths).zip(crate::timing::line_starts(&lengths)) {
                let from = scene_start + frames(start, rate);
                let duration = frames(*length, rate).max(1).min(scene_end - from);
                if duration <= 0 {
                    continue;
                }
                let record = Span { start: from, duration };
                if let Some(m) = media(Some(line.audio)) {
                    dialogue.push(Clip {
                        scene_id: scene.id.clone(),
                        record,
                        source_in: 0,
                        source: ClipSource::Media(m),
                        still: None,
                    });
                }
                let text = line.text();
                if text.is_empty() {
                    continue;
                }
                let speaker = line.speaker.and_then(|id| drama.character(id)).map(|c| c.name.as_str());
                let text = cues::cue_text(speaker, text);
                let words = crate::timing::words(line.audio);
                let (line_at, line_seconds) = (from as f64 / f64::from(rate), duration as f64 / f64::from(rate));
                let words = if words.is_empty() || speaker.is_none() {
                    words
                } else {
                    // The speaker's name goes with the first word.
                    let mut w = words;
                    w[0].0 = format!("{}: {}", speaker.unwrap_or_default(), w[0].0);
                    w
                };
                for (start, end, text) in line_cues(&text, &words, line_at, line_seconds) {
                    let (s, e) = (frames(start, rate).max(from), frames(end, rate).min(record.end()));
                    if e > s {
                        subtitles.push(Clip {
                            scene_id: scene.id.clone(),
                            record: Span {
                                start: s,
                                duration: e - s,
                            },
                            source_in: 0,
                            source: ClipSource::Text(text),
                            still: None,
                        });
                    }
                }
            }
        }
        let music = episode
            .music()
            .and_then(|m| media(Some(m)))
            .filter(|_| at > 0)
            .map(|m| Clip {
                scene_id: String::new(),
                record: Span { start: 0, duration: at },
                source_in: 0,
                source: ClipSource::Media(m),
                still: None,
            });
        let tracks = [
            (TrackKind::Video, picture),
            (TrackKind::Dialogue, dialogue),
            (TrackKind::Music, music.into_iter().collect()),
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
        let mut d = drama();
        let mut music = Asset::new("ep1-music", AssetKind::Audio, "tense strings");
        music.url = Some(format!("/media/media/drama_tl/ep1-music-{:032}.wav", 9));
        d.episodes[0].assets.push(music);
        let t = Timeline::of_episode(&d, &d.episodes[0], 4, (720, 1280), |a| {
            (a.id == "ep1-sc1-aud").then_some(1.5)
        });
        let picture = t.clips(TrackKind::Video);
        let spans: Vec<(i64, i64)> = picture.iter().map(|c| (c.record.start, c.record.duration)).collect();
        assert_eq!(spans, [(0, 60), (60, 90), (150, 120)]);
        assert_eq!(t.frames(), 270);
        assert_eq!(picture[2].media().map(|m| m.kind), Some(AssetKind::Image));
        // Each line after its scene's lead-in (0.4 s), as long as it is spoken
        // (the second as its text is estimated: not measured, not recorded).
        let lines: Vec<(i64, i64)> = t
            .clips(TrackKind::Dialogue)
            .iter()
            .map(|c| (c.record.start, c.record.duration))
            .collect();
        assert_eq!(lines, [(12, 45), (72, 30)]);
        let cues = t.cues();
        assert_eq!(cues.len(), 3);
        assert_eq!((cues[0].start, cues[0].end), (0.4, 1.9));
        assert_eq!(cues[2].text, "Line 3");
        assert!(matches!(t.check_rendered(), Err(Error::NotRendered { scenes, .. }) if scenes == ["ep1-sc3"]));
        // The music runs under the whole cut.
        let bed: Vec<(i64, i64)> = t
            .clips(TrackKind::Music)
            .iter()
            .map(|c| (c.record.start, c.record.duration))
            .collect();
        assert_eq!(bed, [(0, 270)]);
        // Two clips and a still on the picture track, two lines, the music.
        assert_eq!(t.media().len(), 6);
    }

    #[test]
    fn word_timestamps_make_cues_of_word_groups() {
        let words: Vec<(String, f64, f64)> = (0..12)
            .map(|i| (format!("word{i}"), i as f64 * 0.5, i as f64 * 0.5 + 0.4))
            .collect();
        let long = "a line too long for the two rows of one subtitle, so it is split into groups of words";
        let cues = line_cues(long, &words, 10.0, 5.5);
        assert!(cues.len() > 1, "{cues:?}");
        assert_eq!(cues[0].0, 10.0);
        assert!(cues.iter().all(|c| c.2.chars().count() <= CUE_CHARS && c.0 < c.1));
        let all: Vec<&str> = cues.iter().flat_map(|c| c.2.split(' ')).collect();
        assert_eq!(all.len(), 12);
        assert_eq!(cues.last().map(|c| c.1), Some(15.5));
        assert_eq!(line_cues("Hi", &[], 1.0, 2.0), [(1.0, 3.0, "Hi".to_string())]);
        // A line that fits one subtitle stays one cue, word timestamps or not.
        let words = [("Hi".to_string(), 0.0, 0.5), ("there".to_string(), 0.5, 1.0)];
        assert_eq!(
            line_cues("Hi there", &words, 1.0, 2.0),
            [(1.0, 3.0, "Hi there".to_string())]
        );
    }
}
