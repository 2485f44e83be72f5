//! SubRip subtitles from an episode's spoken lines.

use std::fmt::Write;

use crate::timeline::Cue;

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
