//! A small wrapper around the `ffmpeg` and `ffprobe` programs: arguments
//! in, progress out (from `-progress pipe:1`), failures as typed errors
//! that end with the tail of the program's stderr.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

use crate::{Error, Result};

/// How much of stderr a failure quotes.
const TAIL: usize = 2000;

/// Where `ffmpeg` and `ffprobe` are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ffmpeg {
    ffmpeg: PathBuf,
    ffprobe: PathBuf,
}

impl Default for Ffmpeg {
    fn default() -> Self {
        Self::from_env()
    }
}

impl Ffmpeg {
    /// `ffmpeg` at `path`; `ffprobe` beside it (or on `PATH` for a bare name).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let ffmpeg: PathBuf = path.into();
        let ffprobe = match ffmpeg.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => dir.join("ffprobe"),
            None => PathBuf::from("ffprobe"),
        };
        Ffmpeg { ffmpeg, ffprobe }
    }

    /// `SFD_FFMPEG`, or `ffmpeg` on `PATH`.
    pub fn from_env() -> Self {
        Self::new(
            std::env::var_os("SFD_FFMPEG")
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "ffmpeg".into()),
        )
    }

    /// The `ffmpeg` program.
    pub fn path(&self) -> &Path {
        &self.ffmpeg
    }

    fn missing(&self, tool: &Path) -> Error {
        Error::ToolMissing {
            tool: tool.display().to_string(),
            hint: "install ffmpeg (Debian: apt-get install ffmpeg) or set SFD_FFMPEG to its path".into(),
        }
    }

    fn spawn_error(&self, tool: &Path, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::NotFound || e.kind() == std::io::ErrorKind::PermissionDenied {
            self.missing(tool)
        } else {
            Error::Tool {
                tool: tool.display().to_string(),
                message: format!("could not start: {e}"),
            }
        }
    }

    /// [`Error::ToolMissing`] unless both programs run. Once they have
    /// run, later checks of the same programs pass without starting them
    /// again (a program removed since then fails when it is next run).
    pub async fn check(&self) -> Result<()> {
        static RAN: std::sync::Mutex<Vec<Ffmpeg>> = std::sync::Mutex::new(Vec::new());
        let ran = || RAN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if ran().contains(self) {
            return Ok(());
        }
        for tool in [&self.ffmpeg, &self.ffprobe] {
            let status = Command::new(tool)
                .arg("-version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .status()
                .await
                .map_err(|e| self.spawn_error(tool, e))?;
            if !status.success() {
                return Err(self.missing(tool));
            }
        }
        ran().push(self.clone());
        Ok(())
    }

    /// Runs `ffmpeg` with `args` (after `-y -nostdin` and progress
    /// reporting), telling `progress` the seconds of output written so far.
    /// Dropping the future kills the process.
    pub async fn run(&self, args: &[OsString], progress: &(dyn Fn(f64) + Send + Sync)) -> Result<()> {
        let mut child = Command::new(&self.ffmpeg)
            .args([
                "-hide_banner",
                "-nostdin",
                "-y",
                "-loglevel",
                "error",
                "-nostats",
                "-progress",
                "pipe:1",
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| self.spawn_error(&self.ffmpeg, e))?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let read_progress = async {
            let Some(out) = stdout else { return };
            let mut lines = BufReader::new(out).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(seconds) = progress_seconds(&line) {
                    progress(seconds);
                }
            }
        };
        let read_errors = async {
            let mut text = Vec::new();
            if let Some(mut err) = stderr {
                let _ = err.read_to_end(&mut text).await;
            }
            text
        };
        let (_, errors, status) = tokio::join!(read_progress, read_errors, child.wait());
        let status = status.map_err(|e| self.spawn_error(&self.ffmpeg, e))?;
        if status.success() {
            return Ok(());
        }
        Err(Error::Tool {
            tool: "ffmpeg".into(),
            message: format!("exited with {status}: {}", tail(&errors)),
        })
    }

    /// Runs `ffprobe` on `path` and returns its trimmed output.
    async fn probe(&self, path: &Path, args: &[&str]) -> Result<String> {
        let out = Command::new(&self.ffprobe)
            .args(["-v", "error"])
            .args(args)
            .arg(path)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| self.spawn_error(&self.ffprobe, e))?;
        if !out.status.success() {
            return Err(Error::Tool {
                tool: "ffprobe".into(),
                message: format!("could not read {}: {}", path.display(), tail(&out.stderr)),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// The length of a media file in seconds, when its container says.
    pub async fn duration(&self, path: &Path) -> Result<Option<f64>> {
        let text = self
            .probe(path, &["-show_entries", "format=duration", "-of", "csv=p=0"])
            .await?;
        Ok(text.parse::<f64>().ok().filter(|d| d.is_finite() && *d >= 0.0))
    }

    /// Whether a media file has a sound stream.
    pub async fn has_audio(&self, path: &Path) -> Result<bool> {
        Ok(self.sound(path).await?.is_some())
    }

    /// The first sound stream of a media file (`None` when it has none),
    /// with the file's length when its container says.
    pub(crate) async fn sound(&self, path: &Path) -> Result<Option<Sound>> {
        let text = self
            .probe(
                path,
                &[
                    "-select_streams",
                    "a:0",
                    "-show_entries",
                    "stream=sample_rate,channels:format=duration",
                    "-of",
                    "default=noprint_wrappers=1",
                ],
            )
            .await?;
        Ok(Sound::parse(&text))
    }
}

/// A sound stream as ffprobe or a WAV header describes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sound {
    /// Samples a second.
    pub rate: u32,
    /// Channels.
    pub channels: u32,
    /// Seconds of the file, when known.
    pub seconds: Option<f64>,
}

impl Sound {
    /// The sound described by ffprobe's `key=value` lines; `None` when they
    /// name no sound stream.
    fn parse(text: &str) -> Option<Sound> {
        let field = |key: &str| {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim())
        };
        let rate = field("sample_rate")?.parse::<u32>().ok().filter(|r| *r > 0)?;
        let channels = field("channels")?.parse::<u32>().ok().filter(|c| *c > 0)?;
        let seconds = field("duration")
            .and_then(|d| d.parse::<f64>().ok())
            .filter(|d| d.is_finite() && *d >= 0.0);
        Some(Sound {
            rate,
            channels,
            seconds,
        })
    }
}

/// The seconds of output a `-progress` line reports, if it is one.
fn progress_seconds(line: &str) -> Option<f64> {
    let (key, value) = line.split_once('=')?;
    // `out_time_ms` is microseconds too, despite its name.
    match key.trim() {
        "out_time_us" | "out_time_ms" => value.trim().parse::<f64>().ok().map(|us| (us / 1e6).max(0.0)),
        _ => None,
    }
}

/// The last part of a program's stderr, on one line.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    let start = text
        .char_indices()
        .map(|(i, _)| i)
        .find(|i| text.len() - i <= TAIL)
        .unwrap_or(0);
    let tail = text[start..].replace('\n', " | ");
    if tail.is_empty() { "no message".into() } else { tail }
}

/// The arguments that write a silent H.264 test clip of `source` (a lavfi
/// `color=…` description) to `out`.
#[cfg(test)]
pub(crate) fn test_clip_args(source: &str, out: &Path) -> Vec<OsString> {
    ["-f", "lavfi", "-i", source, "-c:v", "libx264", "-preset", "ultrafast"]
        .iter()
        .map(OsString::from)
        .chain([out.as_os_str().to_owned()])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sound_stream_is_read_from_ffprobe_lines() {
        assert_eq!(
            Sound::parse("sample_rate=32000\nchannels=1\nduration=2.500000\n"),
            Some(Sound {
                rate: 32000,
                channels: 1,
                seconds: Some(2.5)
            })
        );
        assert_eq!(
            Sound::parse("sample_rate=48000\nchannels=2\nduration=N/A"),
            Some(Sound {
                rate: 48000,
                channels: 2,
                seconds: None
            })
        );
        assert_eq!(Sound::parse("duration=3.000000"), None);
    }

    #[test]
    fn progress_lines_and_tails() {
        assert_eq!(progress_seconds("out_time_us=2500000"), Some(2.5));
        assert_eq!(progress_seconds("out_time_ms=1000000"), Some(1.0));
        assert_eq!(progress_seconds("out_time_us=N/A"), None);
        assert_eq!(progress_seconds("frame=12"), None);
        assert_eq!(tail(b""), "no message");
        let long = "x".repeat(5000) + "\nlast line";
        let t = tail(long.as_bytes());
        assert!(t.len() <= TAIL + 10 && t.ends_with("last line"), "{t}");
        assert_eq!(Ffmpeg::new("/opt/ff/ffmpeg").ffprobe, PathBuf::from("/opt/ff/ffprobe"));
        assert_eq!(Ffmpeg::new("ffmpeg").ffprobe, PathBuf::from("ffprobe"));
    }

    #[tokio::test]
    async fn a_missing_program_is_named_and_a_failure_quotes_stderr() {
        let missing = Ffmpeg::new("/nonexistent/sfd/ffmpeg");
        let err = missing.check().await.unwrap_err();
        assert!(matches!(err, Error::ToolMissing { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/sfd/ffmpeg"), "{err}");
        let err = missing.run(&[], &|_| {}).await.unwrap_err();
        assert!(matches!(err, Error::ToolMissing { .. }), "{err}");

        let ff = Ffmpeg::from_env();
        ff.check().await.unwrap();
        let err = ff
            .run(&["-i".into(), "/nonexistent/input.mp4".into()], &|_| {})
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("nonexistent/input.mp4"), "{text}");
    }

    #[tokio::test]
    async fn progress_is_reported_while_encoding() {
        let ff = Ffmpeg::from_env();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("t.mp4");
        let seen = std::sync::Mutex::new(Vec::new());
        let args = test_clip_args("color=c=red:s=32x32:r=10:d=2", &out);
        ff.run(&args, &|s| seen.lock().unwrap().push(s)).await.unwrap();
        let seen = seen.into_inner().unwrap();
        assert!(seen.last().is_some_and(|s| (*s - 2.0).abs() < 0.2), "{seen:?}");
        let d = ff.duration(&out).await.unwrap().unwrap();
        assert!((d - 2.0).abs() < 0.2, "{d}");
        assert!(!ff.has_audio(&out).await.unwrap());
    }
}
