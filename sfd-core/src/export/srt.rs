//! SubRip subtitles from an episode's spoken lines.

use std::fmt::Write;

use super::timeline::Shot;

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
            let text = match s.speaker {
                Some(name) => format!("{}: {line}", name.trim()),
                None => line.to_string(),
            };
            // Blank lines would end the cue early in every player.
            let text = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            Some(Cue {
                start: s.start,
                end: s.start + length,
                text,
            })
        })
        .collect()
}

/// `HH:MM:SS,mmm`.
fn time(seconds: f64) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02},{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// The cues as an SRT file.
pub fn to_srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (i, c) in cues.iter().enumerate() {
        let _ = write!(out, "{}\n{} --> {}\n{}\n\n", i + 1, time(c.start), time(c.end), c.text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_blocks() {
        assert_eq!(time(3723.4567), "01:02:03,457");
        assert_eq!(time(-1.0), "00:00:00,000");
        let srt = to_srt(&[Cue {
            start: 0.0,
            end: 1.5,
            text: "AVA: Hi".into(),
        }]);
        assert_eq!(srt, "1\n00:00:00,000 --> 00:00:01,500\nAVA: Hi\n\n");
    }
}
