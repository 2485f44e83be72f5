//! The sound of a cut as one ffmpeg filter graph: every line at its time,
//! the clips' own sound where asked, and the music under it all, ducked
//! (`sidechaincompress`, keyed by the speech) whenever someone speaks. The
//! mix is made and encoded at the sources' own rate and channels (mono
//! when every source is mono), so nothing is resampled up or widened only
//! to be encoded at a cost.

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
    /// Its format, when known.
    pub format: Option<Format>,
    /// Whether it is a WAV whose header told its format: ffmpeg then opens
    /// it without probing.
    pub wav: bool,
}

/// The sample rate and channels of a sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Format {
    /// Samples a second.
    pub rate: u32,
    /// 1 (mono) or 2 (stereo).
    pub channels: u32,
}

/// The sample rates AAC codes, lowest first.
const AAC_RATES: [u32; 9] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/// The highest rate and most channels a cut's sound is made at, and what
/// a source of unknown format counts as.
const FULL: Format = Format {
    rate: 48000,
    channels: 2,
};

impl Format {
    /// The format of a stream as ffprobe or a WAV header describes it.
    fn of(sound: &crate::ffmpeg::Sound) -> Self {
        Format {
            rate: sound.rate,
            channels: sound.channels.min(2),
        }
    }

    /// The format that carries every one of `sources` without loss: the
    /// lowest AAC rate at or above the highest of theirs (at most 48 kHz),
    /// mono when they all are. A cut without any is 48 kHz mono silence.
    pub fn for_sources<'a>(sources: impl IntoIterator<Item = &'a Placed>) -> Self {
        let (mut rate, mut channels, mut any) = (0, 1, false);
        for p in sources {
            let f = p.format.unwrap_or(FULL);
            rate = rate.max(f.rate);
            channels = channels.max(f.channels.min(2));
            any = true;
        }
        if !any {
            return Format {
                rate: FULL.rate,
                channels: 1,
            };
        }
        let rate = AAC_RATES.iter().copied().find(|r| *r >= rate).unwrap_or(FULL.rate);
        Format { rate, channels }
    }

    /// The channel layout ffmpeg names this format's channels by.
    fn layout(&self) -> &'static str {
        if self.channels == 1 { "mono" } else { "stereo" }
    }

    /// The AAC encoder arguments for a mix in this format: 64 kbps a
    /// channel at 48 kHz, less at lower rates (never under 16 kbps), with
    /// the `fast` coder. FFmpeg's own developers made it the default for a
    /// while as the one that "needs [much less] CPU" and sounds no worse
    /// above low bit rates
    /// (<https://ffmpeg.org/pipermail/ffmpeg-cvslog/2018-January/112166.html>);
    /// here it takes about 40% off the encode.
    pub fn encoder_args(&self) -> Vec<OsString> {
        let per_channel = (u64::from(self.rate) * 4 / 3).clamp(16_000, 64_000);
        let bits = per_channel * u64::from(self.channels);
        [
            "-c:a".to_string(),
            "aac".into(),
            "-aac_coder".into(),
            "fast".into(),
            "-b:a".into(),
            bits.to_string(),
            "-ar".into(),
            self.rate.to_string(),
            "-ac".into(),
            self.channels.to_string(),
        ]
        .into_iter()
        .map(OsString::from)
        .collect()
    }
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

impl Sound {
    /// The format the mix is made and encoded in.
    pub fn format(&self) -> Format {
        Format::for_sources(self.lines.iter().chain(&self.clips).chain(&self.music))
    }
}

/// What is known of a sound file before it is mixed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Source {
    /// Its sound stream.
    pub sound: crate::ffmpeg::Sound,
    /// Whether a WAV header told it.
    pub wav: bool,
}

/// The sound of the file at `path`: a WAV's from its header, any other
/// from ffprobe; `None` when it has none.
pub(crate) async fn heard(ffmpeg: &Ffmpeg, path: &Path) -> Result<Option<Source>> {
    if let Ok(bytes) = tokio::fs::read(path).await
        && let Some(seconds) = crate::render::wav_seconds(&bytes)
        && let Some((rate, channels)) = wav_format(&bytes)
    {
        let sound = crate::ffmpeg::Sound {
            rate,
            channels,
            seconds: Some(seconds),
        };
        return Ok(Some(Source { sound, wav: true }));
    }
    Ok(ffmpeg.sound(path).await?.map(|sound| Source { sound, wav: false }))
}

/// The sample rate and channels in a WAV's `fmt ` chunk.
fn wav_format(bytes: &[u8]) -> Option<(u32, u32)> {
    let u32_at = |i: usize| Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    if bytes.get(..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let size = u32_at(at + 4)? as usize;
        if bytes.get(at..at + 4)? == b"fmt " {
            let channels = u32::from(u16::from_le_bytes(bytes.get(at + 10..at + 12)?.try_into().ok()?));
            let rate = u32_at(at + 12)?;
            return (channels > 0 && rate > 0).then_some((rate, channels));
        }
        at = at.checked_add(8 + size + size % 2)?;
    }
    None
}

/// The sound of `cut` in `audio` mode: its dialogue track (unless only
/// the clips' sound is asked for), its clips' own sound (when asked for and
/// they have any) and its music track, from the files fetched by URL
/// (`heard` holds what is known of the dialogue's and music's files, by URL).
pub(crate) async fn of_timeline(
    cut: &Timeline,
    audio: AudioMode,
    files: &HashMap<String, PathBuf>,
    heard: &HashMap<String, Source>,
    ffmpeg: &Ffmpeg,
) -> Result<Sound> {
    let placed = |c: &Clip, kind: AssetKind| {
        let source = c.media().and_then(|m| heard.get(&m.url));
        file_of(files, c.media(), kind).map(|path| Placed {
            path: path.to_path_buf(),
            at: cut.seconds(c.record.start),
            from: cut.seconds(c.source_in),
            seconds: cut.seconds(c.record.duration),
            format: source.map(|s| Format::of(&s.sound)),
            wav: source.is_some_and(|s| s.wav),
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
            if let Some(mut p) = placed(c, AssetKind::Video)
                && let Some(h) = ffmpeg.sound(&p.path).await?
            {
                p.format = Some(Format::of(&h));
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
/// of `sound`, made in its [`Sound::format`]; its inputs are numbered from
/// `first`.
pub(crate) fn mix(sound: &Sound, first: usize, out: &str) -> (Vec<OsString>, String) {
    let mut args: Vec<OsString> = Vec::new();
    let mut graph: Vec<String> = Vec::new();
    let mut next = first;
    let total = format!("{:.6}", sound.total.max(0.0));
    let format = sound.format();
    let (rate, layout) = (format.rate, format.layout());
    let mut place = |p: &Placed, looped: bool, gain: f64, label: String, args: &mut Vec<OsString>| {
        if looped {
            args.extend(["-stream_loop", "-1"].map(OsString::from));
        }
        if p.wav {
            args.extend(["-f", "wav", "-probesize", "32", "-analyzeduration", "0"].map(OsString::from));
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
            "[{next}:a]aformat=sample_fmts=fltp:sample_rates={rate}:channel_layouts={layout},\
             atrim={:.6}:{:.6},asetpts=PTS-STARTPTS{gain},adelay={ms}:all=1[{label}]",
            p.from.max(0.0),
            p.from.max(0.0) + p.seconds.max(0.0),
        ));
        next += 1;
        label
    };
    let silence = |label: &str| format!("anullsrc=r={rate}:cl={layout},atrim=0:{total}[{label}]");
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
            format: Some(Format {
                rate: 8000,
                channels: 1,
            }),
            wav: false,
        }
    }

    #[test]
    fn the_mix_keeps_the_sources_rate_and_channels() {
        let at = |rate, channels| Placed {
            format: Some(Format { rate, channels }),
            ..placed("a.wav", 0.0, 1.0)
        };
        let of = |v: Vec<Placed>| Format::for_sources(&v);
        assert_eq!(
            of(vec![at(8000, 1), at(8000, 1)]),
            Format {
                rate: 8000,
                channels: 1
            }
        );
        assert_eq!(
            of(vec![at(8000, 1), at(32000, 1)]),
            Format {
                rate: 32000,
                channels: 1
            }
        );
        assert_eq!(
            of(vec![at(22000, 1), at(44100, 2)]),
            Format {
                rate: 44100,
                channels: 2
            }
        );
        assert_eq!(of(vec![at(96000, 6)]), FULL);
        assert_eq!(
            of(vec![at(10000, 1)]),
            Format {
                rate: 11025,
                channels: 1
            }
        );
        assert_eq!(
            of(vec![Placed {
                format: None,
                ..at(8000, 1)
            }]),
            FULL
        );
        assert_eq!(
            of(vec![]),
            Format {
                rate: 48000,
                channels: 1
            }
        );
        let args: Vec<String> = Format {
            rate: 8000,
            channels: 1,
        }
        .encoder_args()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
        assert_eq!(
            args,
            [
                "-c:a",
                "aac",
                "-aac_coder",
                "fast",
                "-b:a",
                "16000",
                "-ar",
                "8000",
                "-ac",
                "1"
            ]
        );
        assert!(FULL.encoder_args().contains(&OsString::from("128000")));
        let wav = Sound {
            total: 1.0,
            lines: vec![Placed {
                wav: true,
                ..at(8000, 1)
            }],
            ..Default::default()
        };
        let (args, _) = mix(&wav, 0, "a");
        let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args[..4], ["-f", "wav", "-probesize", "32"]);
    }

    #[test]
    fn a_wav_header_gives_rate_and_channels() {
        // RIFF, a `LIST` chunk before `fmt ` (PCM, 1 channel, 8 kHz), then data.
        let mut wav = b"RIFF\0\0\0\0WAVELIST\x04\0\0\0abcdfmt \x10\0\0\0\x01\0\x01\0".to_vec();
        wav.extend_from_slice(&8000u32.to_le_bytes());
        wav.extend_from_slice(&16000u32.to_le_bytes());
        wav.extend_from_slice(b"\x02\0\x10\0data\x04\0\0\0\0\0\0\0");
        assert_eq!(wav_format(&wav), Some((8000, 1)));
        assert_eq!(wav_format(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(wav_format(b"ID3 not a wav"), None);
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
            graph.contains("[1:a]aformat=sample_fmts=fltp:sample_rates=8000:channel_layouts=mono")
                && graph.contains("adelay=500:all=1[l0]"),
            "{graph}"
        );
        assert!(graph.contains("anullsrc=r=8000:cl=mono"), "{graph}");
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
