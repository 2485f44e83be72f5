//! [`SimulatedRenderer`]: a stand-in for every provider, making real files.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::prices::speech_seconds;
use super::{AspectRatio, Media, MediaRequest, Renderer, SpeechTiming, files, render_error};
use crate::model::{AssetKind, MediaType, MediaUsage};
use crate::storage::sha256_hex;
use crate::{LlmErrorKind, Result};

const PROVIDER: &str = "simulated";

/// How long a prompt marked `[hold]` takes.
const HOLD: Duration = Duration::from_secs(600);

/// One call the simulator answered with a file.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedCall {
    /// What was made.
    pub kind: AssetKind,
    /// The asset it was for.
    pub label: String,
    /// The prompt.
    pub prompt: String,
    /// The reference files' names (asset ids), in order.
    pub references: Vec<String>,
    /// The SHA-256 of each reference file, in order.
    pub reference_hashes: Vec<String>,
    /// The frame asked for.
    pub aspect_ratio: AspectRatio,
    /// Seconds asked for.
    pub duration: Option<u32>,
    /// The voice asked for.
    pub voice: Option<String>,
}

/// A renderer for demos, tests and benchmarks. It makes real, decodable
/// files, the same for the same prompt and inputs: a PNG in the asked
/// frame, a WAV of the asked (or spoken) length, and an MP4 made with the
/// `ffmpeg` CLI. It can take a fixed time per call, refuses prompts that
/// contain `[fail]`, and takes ten minutes over prompts that contain
/// `[hold]` (a job that stays running until it is cancelled).
#[derive(Debug)]
pub struct SimulatedRenderer {
    delays: [Duration; 3],
    ffmpeg: PathBuf,
    image_short_side: u32,
    video_short_side: u32,
    calls: Mutex<Vec<SimulatedCall>>,
}

impl Default for SimulatedRenderer {
    fn default() -> Self {
        Self::new()
    }
}

/// Removes a temporary file when dropped (also when the call is cancelled).
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl SimulatedRenderer {
    /// Answers as fast as it can, with `ffmpeg` from `PATH` (or `SFD_FFMPEG`).
    pub fn new() -> Self {
        SimulatedRenderer {
            delays: [Duration::ZERO; 3],
            ffmpeg: std::env::var_os("SFD_FFMPEG")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("ffmpeg")),
            image_short_side: 96,
            video_short_side: 72,
            calls: Mutex::new(Vec::new()),
        }
    }

    /// Every call of `kind` takes `delay` in all (the work included), like a provider would.
    pub fn with_delay(mut self, kind: AssetKind, delay: Duration) -> Self {
        self.delays[kind.index()] = delay;
        self
    }

    /// The `ffmpeg` program to make videos with.
    pub fn with_ffmpeg(mut self, path: impl Into<PathBuf>) -> Self {
        self.ffmpeg = path.into();
        self
    }

    /// The shorter side of images, in pixels (default 96).
    pub fn with_image_size(mut self, short_side: u32) -> Self {
        self.image_short_side = short_side.max(2);
        self
    }

    /// Every call answered with a file so far, in the order they finished.
    pub fn calls(&self) -> Vec<SimulatedCall> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn seed(request: &MediaRequest) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(request.kind.as_str());
        h.update([0]);
        h.update(request.prompt.as_bytes());
        for r in &request.references {
            h.update([0]);
            h.update(Sha256::digest(&r.bytes));
        }
        h.update(format!(
            "\0{}\0{:?}\0{:?}",
            request.aspect_ratio, request.duration, request.voice
        ));
        // Each candidate of a best-of-N render looks different.
        if request.candidate > 0 {
            h.update(format!("\0candidate {}", request.candidate));
        }
        h.finalize().into()
    }

    /// Draws the PNG on a blocking thread: large frames take a while to encode.
    async fn make_image(&self, request: &MediaRequest, seed: &[u8; 32]) -> Result<Vec<u8>> {
        let (w, h) = request.aspect_ratio.fit(self.image_short_side);
        let bg = [seed[0], seed[1], seed[2]];
        let refs: Vec<[u8; 3]> = request
            .references
            .iter()
            .map(|r| {
                let d = Sha256::digest(&r.bytes);
                [d[0], d[1], d[2]]
            })
            .collect();
        tokio::task::spawn_blocking(move || {
            files::png(w, h, |x, y| {
                // One band per reference along the bottom, a diagonal across the frame.
                if !refs.is_empty() && y >= h - h / 5 {
                    return refs[(x * refs.len() as u32 / w) as usize];
                }
                if (x + y) % 16 < 2 {
                    return [255 - bg[0], 255 - bg[1], 255 - bg[2]];
                }
                bg
            })
        })
        .await
        .map_err(|e| {
            render_error(
                PROVIDER,
                LlmErrorKind::Server,
                None,
                format!("the image encoder stopped: {e}"),
                1,
            )
        })
    }

    async fn make_video(&self, request: &MediaRequest, seed: &[u8; 32]) -> Result<Vec<u8>> {
        let seconds = request.duration.unwrap_or(10).max(1);
        let (w, h) = request.aspect_ratio.fit(self.video_short_side);
        let out = TempFile(std::env::temp_dir().join(format!("sfd-sim-{}.mp4", uuid::Uuid::new_v4().simple())));
        let source = format!(
            "color=c=0x{:02x}{:02x}{:02x}:s={w}x{h}:r=5:d={seconds}",
            seed[0], seed[1], seed[2]
        );
        let run = tokio::process::Command::new(&self.ffmpeg)
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-y",
                "-f",
                "lavfi",
                "-i",
            ])
            .arg(&source)
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-threads",
                "1",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
                "-fflags",
                "+bitexact",
                "-flags:v",
                "+bitexact",
                "-map_metadata",
                "-1",
                "-f",
                "mp4",
            ])
            .arg(&out.0)
            .kill_on_drop(true)
            .output()
            .await;
        let fail = |message: String| render_error(PROVIDER, LlmErrorKind::BadRequest, None, message, 1);
        match run {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(fail(format!(
                "simulated video needs the ffmpeg CLI, and '{}' was not found: install it \
                 (Debian: apt-get install ffmpeg) or set SFD_FFMPEG to its path",
                self.ffmpeg.display()
            ))),
            Err(e) => Err(fail(format!("could not run '{}': {e}", self.ffmpeg.display()))),
            Ok(o) if !o.status.success() => Err(fail(format!(
                "ffmpeg failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).chars().take(300).collect::<String>()
            ))),
            Ok(_) => tokio::fs::read(&out.0)
                .await
                .map_err(|e| fail(format!("ffmpeg wrote no file: {e}"))),
        }
    }
}

#[async_trait]
impl Renderer for SimulatedRenderer {
    async fn render(&self, request: MediaRequest) -> Result<Media> {
        let started = Instant::now();
        request.aspect_ratio.checked()?;
        if request.prompt.contains("[fail]") {
            return Err(render_error(
                PROVIDER,
                LlmErrorKind::Refusal,
                Some(400),
                format!(
                    "the simulated provider refuses prompts marked [fail] ({})",
                    request.label
                ),
                1,
            ));
        }
        if request.prompt.contains("[hold]") {
            tokio::time::sleep(HOLD).await;
        }
        let seed = Self::seed(&request);
        let (bytes, media_type, usage) = match request.kind {
            AssetKind::Image => (
                self.make_image(&request, &seed).await?,
                MediaType::Png,
                MediaUsage {
                    images: 1,
                    ..Default::default()
                },
            ),
            AssetKind::Audio => {
                let seconds = request
                    .duration
                    .map(f64::from)
                    .unwrap_or_else(|| speech_seconds(&request.prompt));
                let freq = 180.0 + f64::from(seed[3]) * 2.0;
                let usage = MediaUsage {
                    seconds,
                    characters: request.prompt.chars().count() as u64,
                    ..Default::default()
                };
                (files::wav(seconds, 8000, freq), MediaType::Wav, usage)
            }
            AssetKind::Video => {
                let usage = MediaUsage {
                    seconds: f64::from(request.duration.unwrap_or(10).max(1)),
                    ..Default::default()
                };
                (self.make_video(&request, &seed).await?, MediaType::Mp4, usage)
            }
        };
        tokio::time::sleep_until((started + self.delays[request.kind.index()]).into()).await;
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(SimulatedCall {
                kind: request.kind,
                label: request.label.clone(),
                prompt: request.prompt.clone(),
                references: request.references.iter().map(|r| r.name.clone()).collect(),
                reference_hashes: request.references.iter().map(|r| sha256_hex(&r.bytes)).collect(),
                aspect_ratio: request.aspect_ratio,
                duration: request.duration,
                voice: request.voice.as_ref().map(|v| v.name.clone()),
            });
        // Speech comes with word times, as from a provider that gives them.
        let speech = (request.kind == AssetKind::Audio).then(|| SpeechTiming::spread(&request.prompt, usage.seconds));
        Ok(Media {
            bytes: Bytes::from(bytes),
            media_type,
            speech,
            usage: MediaUsage { calls: 1, ..usage },
            provider: PROVIDER.to_string(),
            model: "simulated".to_string(),
        })
    }

    fn provider(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        "simulated"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::RendererExt;

    #[tokio::test]
    async fn files_are_deterministic_and_missing_ffmpeg_is_named() {
        let sim = SimulatedRenderer::new();
        let a = sim.image("a corgi", vec![], AspectRatio::PORTRAIT).await.unwrap();
        let b = sim.image("a corgi", vec![], AspectRatio::PORTRAIT).await.unwrap();
        let c = sim.image("a cat", vec![], AspectRatio::PORTRAIT).await.unwrap();
        assert_eq!(a.bytes, b.bytes);
        assert_ne!(a.bytes, c.bytes);
        assert_eq!(MediaType::sniff(&a.bytes), Some(MediaType::Png));
        let err = SimulatedRenderer::new()
            .with_ffmpeg("/nonexistent/ffmpeg")
            .video("clip", None, AspectRatio::PORTRAIT, 2)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ffmpeg") && err.contains("apt-get install ffmpeg"),
            "{err}"
        );
        assert_eq!(sim.calls().len(), 3);
    }

    #[tokio::test]
    async fn extreme_aspect_ratios_are_refused_before_drawing() {
        let sim = SimulatedRenderer::new();
        let sliver = AspectRatio {
            width: 1,
            height: 10_000,
        };
        let err = sim.image("a sliver", vec![], sliver).await.unwrap_err();
        assert!(err.to_string().contains("1:10000"), "{err}");
        assert!(sim.calls().is_empty());
        let wide = AspectRatio { width: 21, height: 9 };
        assert!(sim.image("wide", vec![], wide).await.is_ok());
    }
}
