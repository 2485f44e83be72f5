//! Timing from the speech: a scene lasts as long as its lines plus short
//! pauses (a lead-in, gaps between lines and a tail, together at most
//! [`MAX_PAUSES`] seconds unless the video provider's clip lengths force
//! more), its shots split that length, each snapped to a length the
//! provider accepts, and each line starts at a known time in its scene.
//! The render writes the shots' lengths once the lines exist; the
//! timeline places the lines with the same rule.

use crate::model::{Asset, Scene};
use crate::render::Durations;

/// The most the pauses of a scene take together, when the provider's
/// clip lengths allow it.
pub const MAX_PAUSES: f64 = 2.0;
/// The pause before the first line.
const LEAD_IN: f64 = 0.4;
/// The pause between two lines.
const GAP: f64 = 0.4;
/// The least pause after the last line.
const TAIL: f64 = 0.3;
/// The pauses are kept under this before lengths are rounded up to whole
/// seconds, which adds less than one more.
const PAUSES_BEFORE_ROUNDING: f64 = MAX_PAUSES - 1.0;

/// The lead-in and the gap between lines for `lines` lines, scaled down
/// when they would take more than their share.
fn pauses(lines: usize) -> (f64, f64) {
    if lines == 0 {
        return (0.0, 0.0);
    }
    let want = LEAD_IN + GAP * (lines - 1) as f64 + TAIL;
    let scale = (PAUSES_BEFORE_ROUNDING / want).min(1.0);
    (LEAD_IN * scale, GAP * scale)
}

/// Where each of the lines of `lengths` seconds starts in its scene.
pub fn line_starts(lengths: &[f64]) -> Vec<f64> {
    let (lead, gap) = pauses(lengths.len());
    let mut at = lead;
    lengths
        .iter()
        .map(|l| {
            let start = at;
            at += l.max(0.0) + gap;
            start
        })
        .collect()
}

/// The seconds a scene needs for lines of `lengths` seconds: the speech
/// and its pauses. None without lines.
pub fn spoken_length(lengths: &[f64]) -> Option<f64> {
    if lengths.is_empty() {
        return None;
    }
    let (lead, gap) = pauses(lengths.len());
    let tail = TAIL * (lead / LEAD_IN);
    Some(lead + lengths.iter().map(|l| l.max(0.0)).sum::<f64>() + gap * (lengths.len() - 1) as f64 + tail)
}

/// The smallest length `durations` accepts that is at least `asked`, or
/// the longest it accepts.
fn snap_up(durations: &Durations, asked: u32) -> u32 {
    match durations {
        Durations::Any => asked.max(1),
        Durations::Range { min, max } => asked.clamp(*min, *max),
        Durations::Set(set) => set
            .iter()
            .copied()
            .find(|s| *s >= asked)
            .or_else(|| set.last().copied())
            .unwrap_or(asked),
    }
}

/// The whole-second lengths of `shots` shots that together last at least
/// `seconds` (a scene's [`spoken_length`]), as evenly split as whole
/// seconds allow, each one a length `durations` accepts.
pub fn shot_lengths(seconds: f64, shots: usize, durations: &Durations) -> Vec<u32> {
    if shots == 0 {
        return Vec::new();
    }
    let total = (seconds.max(1.0) - 1e-6).ceil() as u32;
    let n = shots as u32;
    let (base, extra) = (total / n, total % n);
    (0..n)
        .map(|i| snap_up(durations, (base + u32::from(i < extra)).max(1)))
        .collect()
}

/// The recorded length of a rendered line, in seconds: its speech
/// provider's `metadata.speech.duration`, else its render record's seconds.
pub fn recorded_length(line: &Asset) -> Option<f64> {
    let from_speech = line
        .metadata
        .as_ref()
        .and_then(|m| m.get("speech"))
        .and_then(|s| s.get("duration"))
        .and_then(|d| d.as_f64());
    let recorded = || {
        let record = crate::model::RenderRecord::of(line)?;
        // Only a record of the file the line plays now.
        let current = line.url.as_deref().is_some_and(|u| {
            record
                .key
                .as_deref()
                .is_some_and(|k| u.ends_with(k.trim_start_matches("media/")))
        });
        (current && record.usage.seconds > 0.0).then_some(record.usage.seconds)
    };
    from_speech.filter(|d| d.is_finite() && *d > 0.0).or_else(recorded)
}

/// Word timestamps of a rendered line (`metadata.speech.words`: `text`,
/// `start`, `end` in seconds from the line's start), when its provider gave them.
pub fn words(line: &Asset) -> Vec<(String, f64, f64)> {
    let Some(list) = line
        .metadata
        .as_ref()
        .and_then(|m| m.get("speech"))
        .and_then(|s| s.get("words"))
        .and_then(|w| w.as_array())
    else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|w| {
            let text = w.get("text")?.as_str()?.trim().to_string();
            let (start, end) = (w.get("start")?.as_f64()?, w.get("end")?.as_f64()?);
            (!text.is_empty() && start.is_finite() && end >= start).then_some((text, start, end))
        })
        .collect()
}

/// The new lengths of `scene`'s shots from its lines' lengths (`length`
/// of each line asset; none when a line has none yet), or None when the
/// scene has no lines, a line is not rendered, or nothing changes.
pub fn retimed(scene: &Scene, length: impl Fn(&Asset) -> Option<f64>, durations: &Durations) -> Option<Vec<i64>> {
    let lines = scene.lines();
    let shots = scene.shots();
    if lines.is_empty() || shots.is_empty() {
        return None;
    }
    let lengths: Vec<f64> = lines.iter().map(|l| length(l.audio)).collect::<Option<_>>()?;
    let new: Vec<i64> = shot_lengths(spoken_length(&lengths)?, shots.len(), durations)
        .into_iter()
        .map(i64::from)
        .collect();
    let old: Vec<Option<i64>> = shots.iter().map(|s| s.duration()).collect();
    (old.iter().zip(&new).any(|(o, n)| *o != Some(*n))).then_some(new)
}

/// Writes on every scene of `drama` the shot lengths [`retimed`] gives from
/// its lines' [`recorded_length`]s; the number of shots changed.
pub fn retime_drama(drama: &mut crate::model::Drama, durations: &Durations) -> usize {
    let mut changed = 0;
    for scene in drama.episodes.iter_mut().flat_map(|e| e.scenes.iter_mut()) {
        let Some(lengths) = retimed(scene, recorded_length, durations) else {
            continue;
        };
        let ids: Vec<String> = scene.shots().iter().map(|s| s.video.id.clone()).collect();
        for (id, seconds) in ids.iter().zip(lengths) {
            if let Some(a) = scene.assets.iter_mut().find(|a| &a.id == id)
                && a.duration != Some(seconds)
            {
                a.duration = Some(seconds);
                changed += 1;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scene_lasts_its_speech_and_at_most_two_seconds_of_pauses() {
        for lengths in [vec![1.3], vec![2.0, 3.1, 0.7], vec![0.5; 9], vec![7.9, 4.2]] {
            let speech: f64 = lengths.iter().sum();
            let need = spoken_length(&lengths).unwrap();
            assert!(
                need > speech && need - speech <= PAUSES_BEFORE_ROUNDING + 1e-9,
                "{lengths:?}"
            );
            // (More shots than whole seconds force more: each lasts at least one.)
            for shots in (1..=4).filter(|n| *n as f64 <= need.ceil()) {
                let cut: u32 = shot_lengths(need, shots, &Durations::Any).iter().sum();
                let cut = f64::from(cut);
                assert!(cut >= need && cut - speech <= MAX_PAUSES, "{lengths:?} {shots}");
            }
            // Lines never overlap and end before the scene does.
            let starts = line_starts(&lengths);
            for (i, s) in starts.iter().enumerate() {
                let end = s + lengths[i];
                assert!(end <= need);
                if let Some(next) = starts.get(i + 1) {
                    assert!(end < *next);
                }
            }
        }
        assert_eq!(spoken_length(&[]), None);
    }

    #[test]
    fn shot_lengths_are_split_evenly_and_snapped_up() {
        assert_eq!(shot_lengths(7.2, 3, &Durations::Any), [3, 3, 2]);
        assert_eq!(shot_lengths(6.0, 3, &Durations::Any), [2, 2, 2]);
        assert_eq!(shot_lengths(7.2, 3, &Durations::Set(vec![5, 10])), [5, 5, 5]);
        assert_eq!(shot_lengths(30.0, 2, &Durations::Range { min: 4, max: 10 }), [10, 10]);
        assert_eq!(shot_lengths(2.5, 3, &Durations::Range { min: 4, max: 10 }), [4, 4, 4]);
        assert!(shot_lengths(3.0, 0, &Durations::Any).is_empty());
    }

    /// A scene of `shots` shots (no lengths yet) and lines named `ln1`, `ln2`…
    fn scene(shots: usize, lines: usize) -> Scene {
        use crate::model::AssetKind;
        let mut s = Scene::new("s", "x");
        for k in 1..=shots {
            let img = Asset::new(format!("sh{k}-img"), AssetKind::Image, "keyframe");
            let mut vid = Asset::new(format!("sh{k}-vid"), AssetKind::Video, "clip");
            vid.depends_on = vec![img.id.clone()];
            s.assets.extend([img, vid]);
        }
        for k in 1..=lines {
            s.assets.push(Asset::new(format!("ln{k}"), AssetKind::Audio, "words"));
        }
        s
    }

    /// Sets the lengths `retimed` gave on the scene's shots, as the render does.
    fn apply(scene: &mut Scene, lengths: &[i64]) {
        let ids: Vec<String> = scene.shots().iter().map(|s| s.video.id.clone()).collect();
        for (id, l) in ids.iter().zip(lengths) {
            scene.assets.iter_mut().find(|a| &a.id == id).unwrap().duration = Some(*l);
        }
    }

    #[test]
    fn shots_are_retimed_only_when_their_lines_lengths_change_them() {
        let lengths = |l: [f64; 2]| move |a: &Asset| Some(if a.id == "ln1" { l[0] } else { l[1] });
        let mut s = scene(3, 2);
        // Two lines of 2 s: 4 s of speech and 1 s of pauses make 5 s over 3 shots.
        let first = retimed(&s, lengths([2.0, 2.0]), &Durations::Any).unwrap();
        assert_eq!(first, [2, 2, 1]);
        apply(&mut s, &first);
        // Nothing changed: nothing to write (the clips stay up to date).
        assert_eq!(retimed(&s, lengths([2.0, 2.0]), &Durations::Any), None);
        // A line a little longer that still fits the same whole seconds.
        assert_eq!(retimed(&s, lengths([2.0, 1.9]), &Durations::Any), None);
        // The second line now lasts 3.2 s: 6.2 s need 7, the first and last
        // shots grow and the middle one keeps its length.
        let second = retimed(&s, lengths([2.0, 3.2]), &Durations::Any).unwrap();
        assert_eq!(second, [3, 2, 2]);
        // Lengths snap to what the provider accepts.
        assert_eq!(
            retimed(&s, lengths([2.0, 3.2]), &Durations::Set(vec![5, 10])).unwrap(),
            [5, 5, 5]
        );
        // A line not rendered yet, or a scene without lines or shots: no timing.
        let one_missing = |a: &Asset| (a.id == "ln1").then_some(2.0);
        assert_eq!(retimed(&s, one_missing, &Durations::Any), None);
        assert_eq!(retimed(&scene(2, 0), |_| Some(1.0), &Durations::Any), None);
        assert_eq!(retimed(&scene(0, 2), |_| Some(1.0), &Durations::Any), None);
        // Shots with lengths set by hand are retimed too: the speech decides.
        let mut s = scene(2, 1);
        apply(&mut s, &[10, 10]);
        assert_eq!(retimed(&s, |_| Some(2.6), &Durations::Any).unwrap(), [2, 2]);
    }

    #[test]
    fn recorded_lengths_and_words_come_from_the_speech_metadata() {
        let mut a = Asset::new("l", crate::model::AssetKind::Audio, "Hi there");
        assert_eq!(recorded_length(&a), None);
        a.metadata = serde_json::from_value(serde_json::json!({"speech": {"duration": 1.25, "words": [
            {"text": "Hi", "start": 0.1, "end": 0.4}, {"text": "there", "start": 0.5, "end": 1.1}, {"text": "", "start": 1.0, "end": 1.0}
        ]}}))
        .ok();
        assert_eq!(recorded_length(&a), Some(1.25));
        assert_eq!(
            words(&a),
            [("Hi".to_string(), 0.1, 0.4), ("there".to_string(), 0.5, 1.1)]
        );
    }
}
