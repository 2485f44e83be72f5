//! The sound of a cut as one ffmpeg filter graph: every line at its time,
//! the clips' own sound where asked, and the music under it all, ducked
//! (`sidechaincompress`, keyed by the speech) whenever someone speaks.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::Result;
use crate::ffmpeg::Ffmpeg;
use crate::model::{AssetKind, AudioMode};
use crate::timeline::{Clip, ClipMedia, Timeline, TrackKind};

/// One sound placed on the cut.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placed {
    /// The file.
    pub path: PathBuf,
    /// Seconds from the cut's start.
    pub at: f64,
    /// Seconds into the file it starts from.
    pub from: f64,
    /// Seconds it plays.
    pub seconds: f64,
}

/// What the cut's sound is made of.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sound {
    /// Seconds of the cut.
    pub total: f64,
    /// The spoken lines.
    pub lines: Vec<Placed>,
    /// The clips' own sound.
    pub clips: Vec<Placed>,
    /// The music bed (looped when shorter than it plays).
    pub music: Vec<Placed>,
}

/// The sound of `cut` in `audio` mode: its dialogue track (unless only
/// the clips' sound is asked for), its clips' own sound (when asked for and
/// they have any) and its music track, from the files fetched by URL.
pub(crate) async fn of_timeline(
    cut: &Timeline,
    audio: AudioMode,
    files: &HashMap<String, PathBuf>,
    ffmpeg: &Ffmpeg,
) -> Result<Sound> {
    let placed = |c: &Clip, kind: AssetKind| {
        file_of(files, c.media(), kind).map(|path| Placed {
            path: path.to_path_buf(),
            at: cut.seconds(c.record.start),
            from: cut.seconds(c.source_in),
            seconds: cut.seconds(c.record.duration),
        })
    };
    let mut sound = Sound {
        total: cut.seconds(cut.frames()),
        music: cut
            .clips(TrackKind::Music)
            .iter()
            .filter_map(|c| placed(c, AssetKind::Audio))
            .collect(),
        ..Default::default()
    };
    if audio != AudioMode::Video {
        sound.lines = cut
            .clips(TrackKind::Dialogue)
            .iter()
            .filter_map(|c| placed(c, AssetKind::Audio))
            .collect();
    }
    if audio != AudioMode::Speech {
        for c in cut.clips(TrackKind::Video) {
            if let Some(p) = placed(c, AssetKind::Video)
                && ffmpeg.has_audio(&p.path).await?
            {
                sound.clips.push(p);
            }
        }
    }
    Ok(sound)
}

/// The fetched file of `media` (fetched by URL into `files`) when it is
/// of `kind`.
pub(crate) fn file_of<'a>(
    files: &'a HashMap<String, PathBuf>,
    media: Option<&ClipMedia>,
    kind: AssetKind,
) -> Option<&'a Path> {
    media
        .filter(|m| m.kind == kind)
        .and_then(|m| files.get(&m.url))
        .map(PathBuf::as_path)
}

/// How loud the music is against the speech, before ducking.
const MUSIC_GAIN: f64 = 0.5;
/// How loud the clips' own sound is under the speech.
const CLIP_GAIN: f64 = 0.8;
/// The ducker: speech above about -34 dBFS pushes the bed down by up to
/// 20:1, within 10 ms, and lets it back up over 250 ms.
const DUCK: &str = "sidechaincompress=threshold=0.02:ratio=20:attack=10:release=250:makeup=1";

/// The ffmpeg input arguments and the filter graph (ending in `[{out}]`)
/// of `sound`; its inputs are numbered from `first`.
pub(crate) fn mix(sound: &Sound, first: usize, out: &str) -> (Vec<OsString>, String) {
    let mut args: Vec<OsString> = Vec::new();
    let mut graph: Vec<String> = Vec::new();
    let mut next = first;
    let total = format!("{:.6}", sound.total.max(0.0));
    let mut place = |p: &Placed, looped: bool, gain: f64, label: String, args: &mut Vec<OsString>| {
        if looped {
            args.extend(["-stream_loop", "-1"].map(OsString::from));
        }
        args.push("-i".into());
        args.push(p.path.clone().into_os_string());
        let ms = (p.at.max(0.0) * 1000.0).round() as u64;
        let gain = if (gain - 1.0).abs() < f64::EPSILON {
            String::new()
        } else {
            format!(",volume={gain}")
        };
        graph.push(format!(
            "[{next}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,\
             atrim={:.6}:{:.6},asetpts=PTS-STARTPTS{gain},adelay={ms}:all=1[{label}]",
            p.from.max(0.0),
            p.from.max(0.0) + p.seconds.max(0.0),
        ));
        next += 1;
        label
    };
    let silence = |label: &str| format!("anullsrc=r=48000:cl=stereo,atrim=0:{total}[{label}]");
    let lines: Vec<String> = sound
        .lines
        .iter()
        .enumerate()
        .map(|(i, p)| place(p, false, 1.0, format!("l{i}"), &mut args))
        .collect();
    let mut bed: Vec<String> = sound
        .clips
        .iter()
        .enumerate()
        .map(|(i, p)| place(p, false, CLIP_GAIN, format!("c{i}"), &mut args))
        .collect();
    bed.extend(
        sound
            .music
            .iter()
            .enumerate()
            .map(|(i, p)| place(p, true, MUSIC_GAIN, format!("m{i}"), &mut args)),
    );
    // Each layer starts from silence as long as the cut, so it lasts
    // exactly that long whatever is placed on it.
    let layer = |name: &str, parts: &[String], graph: &mut Vec<String>| {
        graph.push(silence(&format!("{name}0")));
        let inputs: String = std::iter::once(format!("[{name}0]"))
            .chain(parts.iter().map(|p| format!("[{p}]")))
            .collect();
        graph.push(format!(
            "{inputs}amix=inputs={}:duration=first:dropout_transition=0:normalize=0[{name}]",
            parts.len() + 1
        ));
    };
    layer("speech", &lines, &mut graph);
    if bed.is_empty() {
        graph.push(format!("[speech]anull[{out}]"));
    } else {
        layer("bed", &bed, &mut graph);
        if lines.is_empty() {
            graph.push(format!("[bed]anull[{out}]"));
        } else {
            graph.push("[speech]asplit=2[voice][key]".into());
            graph.push(format!("[bed][key]{DUCK}[ducked]"));
            graph.push(format!(
                "[voice][ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[{out}]"
            ));
        }
    }
    (args, graph.join(";"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(name: &str, at: f64, seconds: f64) -> Placed {
        Placed {
            path: PathBuf::from(name),
            at,
            from: 0.0,
            seconds,
        }
    }

    #[test]
    fn lines_sit_at_their_times_and_music_ducks_under_them() {
        let sound = Sound {
            total: 6.0,
            lines: vec![placed("a.wav", 0.5, 1.5), placed("b.wav", 3.25, 2.0)],
            clips: vec![],
            music: vec![placed("m.wav", 0.0, 6.0)],
        };
        let (args, graph) = mix(&sound, 1, "a");
        let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(
            args,
            ["-i", "a.wav", "-i", "b.wav", "-stream_loop", "-1", "-i", "m.wav"]
        );
        assert!(
            graph.contains("[1:a]") && graph.contains("adelay=500:all=1[l0]"),
            "{graph}"
        );
        assert!(
            graph.contains("[2:a]") && graph.contains("adelay=3250:all=1[l1]"),
            "{graph}"
        );
        assert!(graph.contains("[3:a]") && graph.contains("volume=0.5"), "{graph}");
        assert!(graph.contains("[bed][key]sidechaincompress"), "{graph}");
        assert!(graph.ends_with("[a]"), "{graph}");
    }

    #[test]
    fn without_music_the_speech_is_the_sound() {
        let sound = Sound {
            total: 2.0,
            lines: vec![placed("a.wav", 0.0, 1.0)],
            ..Default::default()
        };
        let (_, graph) = mix(&sound, 0, "a");
        assert!(!graph.contains("sidechaincompress"), "{graph}");
        assert!(graph.contains("atrim=0:2.000000[speech0]"), "{graph}");
        let (args, graph) = mix(
            &Sound {
                total: 1.0,
                ..Default::default()
            },
            0,
            "a",
        );
        assert!(args.is_empty());
        assert!(graph.contains("amix=inputs=1"), "{graph}");
    }
}
