//! Finished episodes and exports: what an assembly asks for and returns,
//! and the export formats.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The provider recorded on an assembled cut; the render graph leaves such
/// assets alone.
pub const ASSEMBLED_BY: &str = "sfd-assemble";

/// How the subtitles of an assembled episode are delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubtitleMode {
    /// A subtitle track players can switch (`mov_text`); editable later.
    #[default]
    Track,
    /// Drawn into the picture.
    Burn,
    /// No subtitles.
    None,
}

/// Whose sound an assembled episode carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioMode {
    /// Each scene's rendered speech (silence where a scene has none).
    #[default]
    Speech,
    /// The clips' own sound.
    Video,
    /// Both: the clip's sound ducked under the speech.
    Mix,
}

/// Body of `POST /dramas/{id}/episodes/{eid}/assemble`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssembleRequest {
    /// Subtitles as a track (default), burned in, or none.
    pub subtitles: SubtitleMode,
    /// Speech (default), the clips' sound, or both.
    pub audio: AudioMode,
}

/// What an `assemble_episode` job leaves in its result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssembledEpisode {
    /// The episode.
    pub episode_id: String,
    /// The cut's URL, also the episode's `url` and its `{eid}-cut` asset's.
    pub url: String,
    /// The stored key, `media/…`.
    pub key: String,
    /// Seconds: the sum of the scenes' durations.
    pub duration: f64,
    /// Scenes with no rendered clip, shown as their image held still.
    pub stills: Vec<String>,
    /// Scenes with neither a clip nor an image, shown as black.
    pub blank: Vec<String>,
    /// Subtitle cues written.
    pub cues: usize,
    /// Bytes of the file.
    pub bytes: u64,
    /// Frames per second of the cut and of its timeline.
    #[serde(default)]
    pub rate: u32,
    /// Frames of the cut: its timeline's length.
    #[serde(default)]
    pub frames: i64,
}

/// A format of `GET /dramas/{id}/export?format=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// The screenplay in Fountain.
    Fountain,
    /// One episode's subtitles (SubRip).
    Srt,
    /// The shot list: episode, scene, asset, kind, prompt, duration, url.
    Csv,
    /// The drama JSON, every rendered file and the episode cuts.
    Zip,
    /// One episode's timeline as OpenTimelineIO JSON.
    Otio,
    /// One episode's timeline as Final Cut Pro XML 1.10.
    Fcpxml,
    /// One episode's picture track as a CMX 3600 EDL.
    Edl,
    /// One episode as a CapCut / Jianying draft folder, zipped with its media.
    Capcut,
}

impl ExportFormat {
    /// Every format.
    pub const ALL: [ExportFormat; 8] = [
        ExportFormat::Fountain,
        ExportFormat::Srt,
        ExportFormat::Csv,
        ExportFormat::Zip,
        ExportFormat::Otio,
        ExportFormat::Fcpxml,
        ExportFormat::Edl,
        ExportFormat::Capcut,
    ];

    /// The name on the wire (`format=…`).
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Capcut => "capcut",
            other => other.extension(),
        }
    }

    /// An editor's hand-off of one episode's timeline (OTIO, FCPXML, EDL,
    /// CapCut), rather than the script.
    pub fn is_timeline(self) -> bool {
        matches!(
            self,
            ExportFormat::Otio | ExportFormat::Fcpxml | ExportFormat::Edl | ExportFormat::Capcut
        )
    }

    /// The `Content-Type` of the export.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Fountain => "text/plain; charset=utf-8",
            ExportFormat::Srt => "application/x-subrip; charset=utf-8",
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Zip | ExportFormat::Capcut => "application/zip",
            ExportFormat::Otio => "application/json",
            ExportFormat::Fcpxml => "application/xml",
            ExportFormat::Edl => "text/plain; charset=utf-8",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Fountain => "fountain",
            ExportFormat::Srt => "srt",
            ExportFormat::Csv => "csv",
            ExportFormat::Zip | ExportFormat::Capcut => "zip",
            ExportFormat::Otio => "otio",
            ExportFormat::Fcpxml => "fcpxml",
            ExportFormat::Edl => "edl",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExportFormat::ALL.into_iter().find(|f| f.name() == s).ok_or_else(|| {
            format!("'{s}' is not an export format: use fountain, srt, csv, zip, otio, fcpxml, edl or capcut")
        })
    }
}

/// How `GET /dramas/{id}/export` is asked for beyond its format.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOptions {
    /// The episode (of an SRT or an editor's hand-off); may be left out
    /// when the drama has one episode.
    pub episode: Option<String>,
    /// An editor's hand-off as a ZIP holding its media, referenced by
    /// relative paths (`bundle=zip`), instead of by URL.
    pub bundle: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names() {
        let r: AssembleRequest = serde_json::from_str(r#"{"subtitles":"burn","audio":"mix"}"#).unwrap();
        assert_eq!((r.subtitles, r.audio), (SubtitleMode::Burn, AudioMode::Mix));
        assert_eq!(
            serde_json::from_str::<AssembleRequest>("{}").unwrap(),
            AssembleRequest::default()
        );
        assert!(serde_json::from_str::<AssembleRequest>(r#"{"audio":"loud"}"#).is_err());
        for f in ExportFormat::ALL {
            assert_eq!(f.to_string().parse::<ExportFormat>().unwrap(), f);
        }
        assert!("pdf".parse::<ExportFormat>().is_err());
    }
}
