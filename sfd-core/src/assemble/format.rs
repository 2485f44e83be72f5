//! The cut's picture format, described once: its size, frame rate and
//! H.264 settings, the filter that brings any picture to it, and the mark a
//! clip already in it carries. A clip is brought to it once, when it is
//! rendered ([`normalise`]); an assembly then copies such clips' frames
//! instead of encoding them again.

use std::ffi::OsString;
use std::path::Path;

use bytes::Bytes;

use crate::ffmpeg::Ffmpeg;
use crate::timeline::{RATE, SHORT_SIDE};
use crate::{Error, Result};

/// The picture of a cut: `width` × `height` at [`RATE`] frames a second,
/// H.264 in yuv420p with the same encoder settings everywhere, so that
/// clips made apart join without re-encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CutFormat {
    pub width: u32,
    pub height: u32,
}

/// What starts the mark a clip in the cut's format carries in its
/// `comment` tag: `sfd-cut:{w}x{h}@{rate}:{frames};`.
const MARK: &[u8] = b"sfd-cut:";

/// How far into a file the mark is looked for (`+faststart` puts the
/// tags at the front).
const MARK_WITHIN: usize = 256 * 1024;

impl CutFormat {
    /// The format of a cut in `aspect_ratio`.
    pub fn of(aspect_ratio: crate::render::AspectRatio) -> Self {
        let (width, height) = aspect_ratio.fit(SHORT_SIDE);
        CutFormat { width, height }
    }

    /// The mark of a clip of `frames` frames in this format.
    pub fn mark(&self, frames: i64) -> String {
        format!("sfd-cut:{}x{}@{RATE}:{frames};", self.width, self.height)
    }

    /// The filter from input `input` (a clip, or a still looped) to this
    /// format for exactly `seconds`: scaled to fit, padded, at [`RATE`], its
    /// last frame held when it is shorter.
    pub fn picture_filter(&self, input: &str, seconds: f64, out: &str) -> String {
        let (w, h) = (self.width, self.height);
        let d = format!("{seconds:.6}");
        format!(
            "[{input}]scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,\
             fps={RATE},format=yuv420p,tpad=stop_mode=clone:stop_duration={d},trim=0:{d},setpts=PTS-STARTPTS[{out}]"
        )
    }

    /// The encoder arguments every clip in this format is written with.
    pub fn encoder_args() -> Vec<OsString> {
        [
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-r",
            &RATE.to_string(),
            "-pix_fmt",
            "yuv420p",
            "-video_track_timescale",
            &(RATE * 512).to_string(),
        ]
        .iter()
        .map(OsString::from)
        .collect()
    }

    /// Whether the file at `path` carries the mark of this format with
    /// exactly `frames` frames.
    pub async fn marks(&self, path: &Path, frames: i64) -> bool {
        let Ok(file) = tokio::fs::File::open(path).await else {
            return false;
        };
        let mut head = Vec::with_capacity(MARK_WITHIN);
        use tokio::io::AsyncReadExt;
        if file.take(MARK_WITHIN as u64).read_to_end(&mut head).await.is_err() {
            return false;
        }
        marked(&head).is_some_and(|m| m == self.mark(frames))
    }
}

/// The mark found in `head`, if any.
fn marked(head: &[u8]) -> Option<String> {
    let at = head.windows(MARK.len()).position(|w| w == MARK)?;
    let rest = &head[at..];
    let end = rest.iter().take(64).position(|b| *b == b';')?;
    String::from_utf8(rest[..=end].to_vec()).ok()
}

/// Brings a rendered clip (`bytes`, an MP4 or any video ffmpeg reads) to
/// `format`, `seconds` long (trimmed, or its last frame held), keeping its
/// own sound; the result carries the format's mark. Run once per clip, when
/// it is rendered.
pub(crate) async fn normalise(ffmpeg: &Ffmpeg, bytes: &Bytes, format: CutFormat, seconds: u32) -> Result<Bytes> {
    let dir = super::cut::Workdir::new()?;
    let (input, output) = (dir.0.join("in"), dir.0.join("out.mp4"));
    tokio::fs::write(&input, bytes)
        .await
        .map_err(|e| tool(format!("cannot write the clip: {e}")))?;
    let has_audio = ffmpeg.has_audio(&input).await?;
    let seconds = f64::from(seconds.max(1));
    let frames = crate::timeline::frames(seconds, RATE);
    let mut args: Vec<OsString> = vec!["-i".into(), input.clone().into_os_string()];
    let mut graph = format.picture_filter("0:v", seconds, "v");
    if has_audio {
        graph.push_str(&format!(
            ";[0:a]aresample=48000,aformat=channel_layouts=stereo,apad,atrim=0:{seconds:.6}[a]"
        ));
    }
    args.extend(["-filter_complex".into(), graph.into(), "-map".into(), "[v]".into()]);
    if has_audio {
        args.extend(["-map", "[a]", "-c:a", "aac", "-b:a", "128k"].map(OsString::from));
    }
    args.extend(CutFormat::encoder_args());
    let comment = format!("comment={}", format.mark(frames));
    args.extend(
        [
            "-frames:v",
            &frames.to_string(),
            "-map_metadata",
            "-1",
            "-metadata",
            &comment,
            "-movflags",
            "+faststart",
        ]
        .map(OsString::from),
    );
    args.push(output.clone().into_os_string());
    ffmpeg.run(&args, &|_| {}).await?;
    let out = tokio::fs::read(&output)
        .await
        .map_err(|e| tool(format!("ffmpeg wrote no clip: {e}")))?;
    Ok(Bytes::from(out))
}

/// A rendered video clip brought to the cut's format (in its own aspect
/// ratio), `seconds` long; any other file as it came. A clip ffmpeg cannot
/// read, or a machine without ffmpeg, keeps the provider's file (an
/// assembly then encodes that shot): the clip is paid for either way.
pub(crate) async fn normalised(
    ffmpeg: &Ffmpeg,
    aspect_ratio: crate::render::AspectRatio,
    seconds: Option<u32>,
    media: crate::render::Media,
) -> crate::render::Media {
    if media.media_type.kind() != crate::model::AssetKind::Video {
        return media;
    }
    let seconds = seconds.unwrap_or(1);
    match normalise(ffmpeg, &media.bytes, CutFormat::of(aspect_ratio), seconds).await {
        Ok(bytes) => crate::render::Media {
            bytes,
            media_type: crate::model::MediaType::Mp4,
            ..media
        },
        Err(e) => {
            tracing::warn!(error = %e, "keeping the provider's clip as it came: it could not be brought to the cut's format");
            media
        }
    }
}

fn tool(message: String) -> Error {
    Error::Tool {
        tool: "normalise".into(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_name_size_rate_and_frames() {
        let f = CutFormat {
            width: 720,
            height: 1280,
        };
        assert_eq!(f.mark(90), "sfd-cut:720x1280@30:90;");
        let mut head = b"....moov....comment\0".to_vec();
        head.extend_from_slice(f.mark(90).as_bytes());
        head.extend_from_slice(b"trailing");
        assert_eq!(marked(&head).as_deref(), Some("sfd-cut:720x1280@30:90;"));
        assert_eq!(marked(b"no mark here"), None);
        assert_eq!(marked(b"sfd-cut:unterminated"), None);
    }

    #[tokio::test]
    async fn a_clip_is_brought_to_the_format_once_and_carries_its_mark() {
        let ff = Ffmpeg::from_env();
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src.mp4");
        let args = crate::ffmpeg::test_clip_args("color=c=red:s=72x128:r=5:d=3", &src);
        ff.run(&args, &|_| {}).await.unwrap();
        let bytes = Bytes::from(std::fs::read(&src).unwrap());
        let format = CutFormat {
            width: 720,
            height: 1280,
        };
        let out = normalise(&ff, &bytes, format, 2).await.unwrap();
        let path = dir.path().join("out.mp4");
        std::fs::write(&path, &out).unwrap();
        assert!(format.marks(&path, 60).await);
        assert!(!format.marks(&path, 61).await);
        assert!(!format.marks(&src, 60).await);
        let d = ff.duration(&path).await.unwrap().unwrap();
        assert!((d - 2.0).abs() < 0.05, "{d}");
    }
}
