//! Where each word of a spoken line falls in its audio: kept on the line's
//! asset as `metadata.speech = {duration, words: [{text, start, end}]}`
//! (seconds), for timing scenes and word-level subtitles.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Asset;

/// The key of [`SpeechTiming`] in an asset's `metadata`.
pub const SPEECH_METADATA: &str = "speech";

/// One spoken word and its time in the line's audio, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpokenWord {
    /// The word as written.
    pub text: String,
    /// When it starts.
    pub start: f64,
    /// When it ends.
    pub end: f64,
}

/// The timing of one line's audio: its length and, where the provider gave
/// timestamps, its words.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SpeechTiming {
    /// The audio's length in seconds.
    pub duration: f64,
    /// Its words in order (empty when the provider gives no timestamps).
    #[serde(default)]
    pub words: Vec<SpokenWord>,
}

impl SpeechTiming {
    /// Words from per-character times (ElevenLabs' `alignment`): each run of
    /// non-space characters is a word, from its first start to its last end.
    pub fn from_characters(chars: &[String], starts: &[f64], ends: &[f64], duration: Option<f64>) -> Self {
        let mut words = Vec::new();
        let mut current: Option<SpokenWord> = None;
        for ((c, s), e) in chars.iter().zip(starts).zip(ends) {
            if c.trim().is_empty() {
                words.extend(current.take());
                continue;
            }
            match current.as_mut() {
                Some(w) => {
                    w.text.push_str(c);
                    w.end = round_ms(*e);
                }
                None => {
                    current = Some(SpokenWord {
                        text: c.clone(),
                        start: round_ms(*s),
                        end: round_ms(*e),
                    })
                }
            }
        }
        words.extend(current);
        let last = round_ms(ends.iter().copied().fold(0.0, f64::max));
        SpeechTiming {
            duration: duration.unwrap_or(last).max(last),
            words,
        }
    }

    /// Words spread evenly over `duration` by their length (a provider that
    /// gives only the length, or the simulator).
    pub fn spread(text: &str, duration: f64) -> Self {
        let words: Vec<&str> = text.split_whitespace().collect();
        let total: usize = words.iter().map(|w| w.chars().count()).sum();
        let mut at = 0.0;
        let words = words
            .iter()
            .map(|w| {
                let len = duration * w.chars().count() as f64 / total.max(1) as f64;
                let word = SpokenWord {
                    text: (*w).to_string(),
                    start: round_ms(at),
                    end: round_ms(at + len),
                };
                at += len;
                word
            })
            .collect();
        SpeechTiming { duration, words }
    }

    /// The timing stored on `asset`, if any.
    pub fn of(asset: &Asset) -> Option<SpeechTiming> {
        let v = asset.metadata.as_ref()?.get(SPEECH_METADATA)?;
        serde_json::from_value(v.clone()).ok()
    }

    /// Stores `timing` as `asset.metadata.speech`, or removes an old one
    /// (a line rendered again by a provider that gives none).
    pub fn store(timing: Option<&SpeechTiming>, asset: &mut Asset) {
        match timing.and_then(|t| serde_json::to_value(t).ok()) {
            Some(v) => {
                asset
                    .metadata
                    .get_or_insert_with(Default::default)
                    .insert(SPEECH_METADATA.into(), v);
            }
            None => {
                if let Some(m) = asset.metadata.as_mut() {
                    m.remove(SPEECH_METADATA);
                }
            }
        }
    }
}

fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// The characters of an ElevenLabs-style `alignment` object.
pub(crate) fn alignment(v: &Value) -> Option<(Vec<String>, Vec<f64>, Vec<f64>)> {
    let strings = |k: &str| -> Option<Vec<String>> {
        Some(
            v.get(k)?
                .as_array()?
                .iter()
                .map(|c| c.as_str().unwrap_or(" ").to_string())
                .collect(),
        )
    };
    let numbers = |k: &str| -> Option<Vec<f64>> {
        Some(
            v.get(k)?
                .as_array()?
                .iter()
                .map(|n| n.as_f64().unwrap_or(0.0))
                .collect(),
        )
    };
    Some((
        strings("characters")?,
        numbers("character_start_times_seconds")?,
        numbers("character_end_times_seconds")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_make_words_and_the_timing_round_trips_on_an_asset() {
        let chars: Vec<String> = "Hi you".chars().map(String::from).collect();
        let starts = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5];
        let ends = [0.1, 0.2, 0.3, 0.4, 0.5, 0.62];
        let t = SpeechTiming::from_characters(&chars, &starts, &ends, None);
        assert_eq!(t.duration, 0.62);
        let w: Vec<(&str, f64, f64)> = t.words.iter().map(|w| (w.text.as_str(), w.start, w.end)).collect();
        assert_eq!(w, [("Hi", 0.0, 0.2), ("you", 0.3, 0.62)]);
        let mut a = Asset::new("l1", crate::model::AssetKind::Audio, "Hi you");
        SpeechTiming::store(Some(&t), &mut a);
        assert_eq!(SpeechTiming::of(&a), Some(t));
        assert_eq!(a.metadata.as_ref().unwrap()["speech"]["words"][1]["text"], "you");
        SpeechTiming::store(None, &mut a);
        assert!(SpeechTiming::of(&a).is_none());
        let s = SpeechTiming::spread("one three", 2.0);
        assert_eq!((s.words[0].end, s.words[1].start, s.words[1].end), (0.75, 0.75, 2.0));
    }
}
