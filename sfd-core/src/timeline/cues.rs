//! The subtitles of an episode: each spoken line as a cue, from its
//! scene's start for as long as it is heard.

use super::shots::Shot;

/// One subtitle: shown from `start` to `end` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    /// Seconds from the start.
    pub start: f64,
    /// Seconds from the start; after `start`.
    pub end: f64,
    /// What is said, with the speaker's name for dialogue.
    pub text: String,
}

/// The cues of `shots`: each line from its scene's start for `spoken(i)`
/// seconds (the speech's real length when known), within its scene.
pub fn cues(shots: &[Shot<'_>], spoken: impl Fn(usize) -> Option<f64>) -> Vec<Cue> {
    shots
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let line = s.line()?;
            let length = spoken(i).filter(|l| *l > 0.0).unwrap_or(s.duration).min(s.duration);
            let text = cue_text(s.speaker, line);
            Some(Cue {
                start: s.start,
                end: s.start + length,
                text,
            })
        })
        .collect()
}

/// A subtitle's text: `Name: line` (the line alone for a narrator or a
/// nameless speaker), without blank rows, which would end the cue early in
/// every player.
pub(crate) fn cue_text(speaker: Option<&str>, line: &str) -> String {
    let text = match speaker.map(str::trim) {
        Some(name) if !name.is_empty() => format!("{name}: {line}"),
        _ => line.to_string(),
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}
