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
}

impl ExportFormat {
    /// Every format.
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Fountain,
        ExportFormat::Srt,
        ExportFormat::Csv,
        ExportFormat::Zip,
    ];

    /// The `Content-Type` of the export.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Fountain => "text/plain; charset=utf-8",
            ExportFormat::Srt => "application/x-subrip; charset=utf-8",
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Zip => "application/zip",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Fountain => "fountain",
            ExportFormat::Srt => "srt",
            ExportFormat::Csv => "csv",
            ExportFormat::Zip => "zip",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.extension() == s)
            .ok_or_else(|| format!("'{s}' is not an export format: use fountain, srt, csv or zip"))
    }
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
