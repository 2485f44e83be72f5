//! The picture of a cut, shot by shot: a clip already in the cut's format
//! and exactly as long as its shot is used as it is (its frames are copied
//! into the cut); any other shot is encoded once into that format: its
//! clip trimmed or held, its image held still, or black.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::format::CutFormat;
use crate::Result;
use crate::ffmpeg::Ffmpeg;
use crate::timeline::RATE;

/// What a shot shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shown {
    /// Its clip, copied as it is.
    Copied,
    /// Its clip, encoded to the cut's format.
    Clip,
    /// Its image held still.
    Still,
    /// Black: nothing rendered.
    Blank,
}

/// One shot to put on the picture track.
pub(crate) struct ShotFiles<'a> {
    /// The shot's video clip, when it has one here.
    pub clip: Option<&'a Path>,
    /// Its image, when it has one here.
    pub still: Option<&'a Path>,
    /// Seconds into the clip it starts.
    pub from: f64,
    /// Frames it lasts on the cut.
    pub frames: i64,
}

/// The file that plays shot `i`, made in `dir` when it must be encoded.
pub(crate) async fn shot(
    ffmpeg: &Ffmpeg,
    format: CutFormat,
    dir: &Path,
    i: usize,
    files: &ShotFiles<'_>,
    progress: &(dyn Fn(f64) + Send + Sync),
) -> Result<(PathBuf, Shown)> {
    if let Some(clip) = files.clip
        && files.from <= 0.0
        && format.marks(clip, files.frames).await
    {
        return Ok((clip.to_path_buf(), Shown::Copied));
    }
    let seconds = files.frames as f64 / f64::from(RATE);
    let d = format!("{seconds:.6}");
    let mut args: Vec<OsString> = Vec::new();
    let shown = match (files.clip, files.still) {
        (Some(clip), _) => {
            if files.from > 0.0 {
                args.extend(["-ss".into(), format!("{:.6}", files.from).into()]);
            }
            args.extend(["-i".into(), clip.as_os_str().to_owned()]);
            Shown::Clip
        }
        (None, Some(still)) => {
            args.extend(["-loop", "1", "-framerate", &RATE.to_string(), "-t", &d, "-i"].map(OsString::from));
            args.push(still.as_os_str().to_owned());
            Shown::Still
        }
        (None, None) => {
            let black = format!("color=c=black:s={}x{}:r={RATE}", format.width, format.height);
            args.extend(["-f", "lavfi", "-t", &d, "-i", &black].map(OsString::from));
            Shown::Blank
        }
    };
    let out = dir.join(format!("{i:03}-shot.mp4"));
    let comment = format!("comment={}", format.mark(files.frames));
    args.extend(
        [
            "-filter_complex",
            &format.picture_filter("0:v", seconds, "v"),
            "-map",
            "[v]",
            "-an",
        ]
        .map(OsString::from),
    );
    args.extend(CutFormat::encoder_args());
    args.extend(
        [
            "-frames:v",
            &files.frames.to_string(),
            "-map_metadata",
            "-1",
            "-metadata",
            &comment,
        ]
        .map(OsString::from),
    );
    args.push(out.clone().into_os_string());
    ffmpeg.run(&args, progress).await?;
    Ok((out, shown))
}

/// The concat list of `shots` (each with its frames): every file exactly
/// as long as its shot, so each starts on its own frame.
pub(crate) fn concat_list(shots: &[(PathBuf, i64)]) -> String {
    shots
        .iter()
        .map(|(path, frames)| {
            format!(
                "file '{}'\nduration {:.6}\n",
                path.display().to_string().replace('\'', "'\\''"),
                *frames as f64 / f64::from(RATE)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_each_file_with_its_length() {
        let list = concat_list(&[("/t/a.mp4".into(), 45), ("/t/it's.mp4".into(), 30)]);
        assert_eq!(
            list,
            "file '/t/a.mp4'\nduration 1.500000\nfile '/t/it'\\''s.mp4'\nduration 1.000000\n"
        );
    }
}
