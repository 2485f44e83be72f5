//! [`RenderConfig`]: a renderer per kind, how many calls of each kind run
//! at once, prices, media URLs and the default frame and clip length.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::chat_images::DEFAULT_CHAT_IMAGE_MODEL;
use super::images::DEFAULT_IMAGE_MODEL;
use super::speech::DEFAULT_SPEECH_MODEL;
use super::videos::DEFAULT_VIDEO_MODEL;
use super::{
    AspectRatio, ChatImages, OpenAiImages, OpenAiSpeech, OpenAiVideos, PriceTable, ProviderConfig, Renderer,
    VideoPolling,
};
use crate::llm::DEFAULT_API_BASE as OPENAI_API_BASE;
use crate::model::AssetKind;
use crate::{Error, Result};

/// Where media settings come from, and what they do.
///
/// | variable | meaning | default |
/// |---|---|---|
/// | `NANO_BANANA_API_KEY`, `NANO_BANANA_API_BASE`, `NANO_BANANA_MODEL` | images through an OpenAI-compatible chat model | model `gemini-2.5-flash-image` |
/// | `SFD_IMAGE_API_BASE`, `SFD_IMAGE_API_KEY`, `SFD_IMAGE_MODEL` | images through the OpenAI Images API | model `gpt-image-1` |
/// | `SFD_VIDEO_API_BASE`, `SFD_VIDEO_API_KEY`, `SFD_VIDEO_MODEL` | video through the `/v1/videos` shape | model `sora-2` |
/// | `SORA_API_KEY`, `SORA_API_BASE` | the old server's video settings | base `https://api.openai.com/v1` |
/// | `SFD_SPEECH_API_BASE`, `SFD_SPEECH_API_KEY`, `SFD_SPEECH_MODEL` | speech through `/v1/audio/speech` | model `gpt-4o-mini-tts` |
/// | `OPENAI_API_KEY` (with no `OPENAI_API_BASE`) | OpenAI images and speech when nothing above is set | |
/// | `SFD_VIDEO_TIMEOUT_SECS` | how long one video may take | 900 |
/// | `R2_PUBLIC_URL` | public base URL of the bucket: `url` is `{R2_PUBLIC_URL}/{key}` | `/media/{key}` |
/// | `DEFAULT_ASPECT_RATIO` | the frame asked for | `9:16` |
/// | `DEFAULT_VIDEO_DURATION` | seconds of a clip whose asset names none | 10 |
/// | `SFD_RENDER_CONCURRENCY` | calls at once: `4`, or per kind `image=4,video=2,audio=4` | image 4, video 2, audio 4 |
/// | `SFD_PRICES` | a JSON price file over the defaults | |
/// | `SFD_VIDEO_PROVIDER`, `SFD_IMAGE_PROVIDER`, `SFD_SPEECH_PROVIDER` | the provider of a kind (see [`crate::PROVIDERS`]); named, it wins over the simulated renderer | from whichever key is set |
/// | `ARK_API_KEY`, `ARK_API_BASE` | Seedance video on Volcengine Ark / BytePlus ModelArk | base `https://ark.cn-beijing.volces.com/api/v3` |
/// | `GEMINI_API_KEY`, `GEMINI_API_BASE` | Veo video through the Gemini API | |
/// | `KLING_ACCESS_KEY`, `KLING_SECRET_KEY`, `KLING_API_BASE` | Kling video (a signed token per call) | |
/// | `DASHSCOPE_API_KEY`, `DASHSCOPE_API_BASE` | Wan video on DashScope | |
/// | `MINIMAX_API_KEY`, `MINIMAX_API_BASE` | MiniMax Hailuo video | |
/// | `FAL_KEY`, `FAL_API_BASE` | any fal model (queue API), named in `SFD_{KIND}_MODEL` | |
/// | `REPLICATE_API_TOKEN`, `REPLICATE_API_BASE` | any Replicate model, named in `SFD_{KIND}_MODEL` | |
/// | `SFD_COMFYUI_URL`, `SFD_COMFYUI_WORKFLOW` | a ComfyUI server and a workflow file with placeholders | `http://127.0.0.1:8188` |
/// | `SFD_PROVIDER_CONCURRENCY` | tasks at once per task provider, for the whole process | 4 |
/// | `SFD_POLL_INTERVAL` | the first wait between polls of a task (backing off ×1.5 up to 8× or 15 s) | 2s |
pub const RENDER_ENV_VARS: &[&str] = &[
    "NANO_BANANA_API_KEY",
    "NANO_BANANA_API_BASE",
    "NANO_BANANA_MODEL",
    "SFD_IMAGE_API_BASE",
    "SFD_IMAGE_API_KEY",
    "SFD_IMAGE_MODEL",
    "SFD_VIDEO_API_BASE",
    "SFD_VIDEO_API_KEY",
    "SFD_VIDEO_MODEL",
    "SORA_API_KEY",
    "SORA_API_BASE",
    "SFD_SPEECH_API_BASE",
    "SFD_SPEECH_API_KEY",
    "SFD_SPEECH_MODEL",
    "SFD_VIDEO_TIMEOUT_SECS",
    "R2_PUBLIC_URL",
    "DEFAULT_ASPECT_RATIO",
    "DEFAULT_VIDEO_DURATION",
    "SFD_RENDER_CONCURRENCY",
    "SFD_PRICES",
    "SFD_VIDEO_PROVIDER",
    "SFD_IMAGE_PROVIDER",
    "SFD_SPEECH_PROVIDER",
    "ARK_API_KEY",
    "ARK_API_BASE",
    "GEMINI_API_KEY",
    "GEMINI_API_BASE",
    "KLING_ACCESS_KEY",
    "KLING_SECRET_KEY",
    "KLING_API_BASE",
    "DASHSCOPE_API_KEY",
    "DASHSCOPE_API_BASE",
    "MINIMAX_API_KEY",
    "MINIMAX_API_BASE",
    "FAL_KEY",
    "FAL_API_BASE",
    "REPLICATE_API_TOKEN",
    "REPLICATE_API_BASE",
    "SFD_COMFYUI_URL",
    "SFD_COMFYUI_WORKFLOW",
    "SFD_PROVIDER_CONCURRENCY",
    "SFD_POLL_INTERVAL",
];

fn slot(kind: AssetKind) -> usize {
    match kind {
        AssetKind::Image => 0,
        AssetKind::Video => 1,
        AssetKind::Audio => 2,
    }
}

/// Everything a render needs besides storage. [`RenderConfig::default`]
/// has no renderer: every render then fails with
/// [`Error::RendererNotConfigured`], naming the settings to set.
#[derive(Clone)]
pub struct RenderConfig {
    renderers: [Option<Arc<dyn Renderer>>; 3],
    concurrency: [usize; 3],
    public_url: Option<String>,
    aspect_ratio: AspectRatio,
    video_duration: u32,
    prices: PriceTable,
    ffmpeg: crate::assemble::Ffmpeg,
}

impl fmt::Debug for RenderConfig {
    // Renderers show only their provider and model: no keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r: Vec<String> = AssetKind::ALL
            .iter()
            .map(|k| match self.renderer(*k) {
                Some(r) => format!("{k}: {} {}", r.provider(), r.model()),
                None => format!("{k}: none"),
            })
            .collect();
        f.debug_struct("RenderConfig")
            .field("renderers", &r)
            .field("concurrency", &self.concurrency)
            .field("public_url", &self.public_url)
            .field("aspect_ratio", &self.aspect_ratio.to_string())
            .field("video_duration", &self.video_duration)
            .finish_non_exhaustive()
    }
}

impl Default for RenderConfig {
    fn default() -> Self {
        RenderConfig {
            renderers: [None, None, None],
            concurrency: [4, 2, 4],
            public_url: None,
            aspect_ratio: AspectRatio::PORTRAIT,
            video_duration: 10,
            prices: PriceTable::default(),
            ffmpeg: crate::assemble::Ffmpeg::from_env(),
        }
    }
}

impl RenderConfig {
    /// No renderer; set them with [`RenderConfig::with_renderer`].
    pub fn new() -> Self {
        Self::default()
    }

    /// One simulated renderer for every kind (demos, tests, benchmarks).
    #[cfg(feature = "simulator")]
    pub fn simulated() -> Self {
        let sim: Arc<dyn Renderer> = Arc::new(super::SimulatedRenderer::new());
        AssetKind::ALL
            .iter()
            .fold(Self::default(), |c, k| c.with_renderer(*k, Arc::clone(&sim)))
    }

    /// Renders `kind` with `renderer`.
    pub fn with_renderer(mut self, kind: AssetKind, renderer: Arc<dyn Renderer>) -> Self {
        self.renderers[slot(kind)] = Some(renderer);
        self
    }

    /// At most `n` calls of `kind` at once (at least 1).
    pub fn with_concurrency(mut self, kind: AssetKind, n: usize) -> Self {
        self.concurrency[slot(kind)] = n.max(1);
        self
    }

    /// Media URLs become `{base}/{key}` (a public bucket), not `/media/{key}`.
    pub fn with_public_url(mut self, base: impl Into<String>) -> Self {
        self.public_url = Some(base.into().trim_end_matches('/').to_string());
        self
    }

    /// The frame asked for when an asset names none (default 9:16).
    pub fn with_aspect_ratio(mut self, ratio: AspectRatio) -> Self {
        self.aspect_ratio = ratio;
        self
    }

    /// Seconds of a clip whose asset names none (default 10).
    pub fn with_video_duration(mut self, seconds: u32) -> Self {
        self.video_duration = seconds.max(1);
        self
    }

    /// The price table.
    pub fn with_prices(mut self, prices: PriceTable) -> Self {
        self.prices = prices;
        self
    }

    /// The renderer of `kind`, if one is configured.
    pub fn renderer(&self, kind: AssetKind) -> Option<&Arc<dyn Renderer>> {
        self.renderers[slot(kind)].as_ref()
    }

    /// The renderer of `kind`, or [`Error::RendererNotConfigured`] naming the settings.
    pub fn require(&self, kind: AssetKind) -> Result<&Arc<dyn Renderer>> {
        self.renderer(kind).ok_or(Error::RendererNotConfigured { kind })
    }

    /// Calls of `kind` at once.
    pub fn concurrency(&self, kind: AssetKind) -> usize {
        self.concurrency[slot(kind)]
    }

    /// The public base URL of media, if set.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The default frame.
    pub fn aspect_ratio(&self) -> AspectRatio {
        self.aspect_ratio
    }

    /// The default clip length in seconds.
    pub fn video_duration(&self) -> u32 {
        self.video_duration
    }

    /// The `ffmpeg` that assembles episodes (`SFD_FFMPEG`, or from `PATH`).
    pub fn ffmpeg(&self) -> &crate::assemble::Ffmpeg {
        &self.ffmpeg
    }

    /// Assembles episodes with the `ffmpeg` at `path` (`ffprobe` beside it).
    pub fn with_ffmpeg(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ffmpeg = crate::assemble::Ffmpeg::new(path);
        self
    }

    /// The price table.
    pub fn prices(&self) -> &PriceTable {
        &self.prices
    }

    /// Reads every media setting (see [`RENDER_ENV_VARS`]); a wrong value
    /// fails here, naming its variable. Kinds with no settings have no renderer.
    ///
    /// `var` reads one variable; pass `|k| std::env::var(k).ok()`.
    pub fn from_env_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| var(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let base = |k: &str| -> Result<Option<String>> {
            match get(k) {
                Some(b) if !(b.starts_with("http://") || b.starts_with("https://")) => {
                    Err(Error::Config(format!("{k} must be an http(s) URL, got '{b}'")))
                }
                other => Ok(other),
            }
        };
        let positive = |k: &str| -> Result<Option<u32>> {
            get(k)
                .map(|v| {
                    v.parse::<u32>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| Error::Config(format!("{k} must be a positive whole number, got '{v}'")))
                })
                .transpose()
        };
        // `SFD_{what}_API_BASE` / `_API_KEY` / `_MODEL`; failing those, OpenAI
        // itself when its key is set for OpenAI (no other base).
        let openai_key = get("OPENAI_API_KEY").filter(|_| get("OPENAI_API_BASE").is_none());
        let openai_shaped = |what: &str, default_model: &str| -> Result<Option<ProviderConfig>> {
            let model = get(&format!("SFD_{what}_MODEL")).unwrap_or_else(|| default_model.into());
            let key = get(&format!("SFD_{what}_API_KEY")).or(openai_key.clone());
            Ok(match (base(&format!("SFD_{what}_API_BASE"))?, key) {
                (Some(b), key) => Some(ProviderConfig::new(b, key, model)),
                (None, Some(key)) => Some(ProviderConfig::new(OPENAI_API_BASE, Some(key), model)),
                (None, None) => None,
            })
        };
        let mut c = RenderConfig::default();

        let nano = (get("NANO_BANANA_API_KEY"), base("NANO_BANANA_API_BASE")?);
        let image: Option<Arc<dyn Renderer>> = if nano.0.is_some() || nano.1.is_some() {
            let b = nano
                .1
                .unwrap_or_else(|| "https://generativelanguage.googleapis.com/v1beta/openai".into());
            let model = get("NANO_BANANA_MODEL").unwrap_or_else(|| DEFAULT_CHAT_IMAGE_MODEL.into());
            Some(Arc::new(ChatImages::new(ProviderConfig::new(b, nano.0, model))?))
        } else {
            openai_shaped("IMAGE", DEFAULT_IMAGE_MODEL)?
                .map(|c| OpenAiImages::new(c).map(|r| Arc::new(r) as Arc<dyn Renderer>))
                .transpose()?
        };

        let polling = VideoPolling {
            timeout: Duration::from_secs(u64::from(positive("SFD_VIDEO_TIMEOUT_SECS")?.unwrap_or(900))),
            ..Default::default()
        };
        let video_model = get("SFD_VIDEO_MODEL").unwrap_or_else(|| DEFAULT_VIDEO_MODEL.into());
        let video_config = match (base("SFD_VIDEO_API_BASE")?, base("SORA_API_BASE")?, get("SORA_API_KEY")) {
            (Some(b), _, sora_key) => Some(ProviderConfig::new(
                b,
                get("SFD_VIDEO_API_KEY").or(sora_key),
                video_model,
            )),
            (None, sora_base, Some(key)) => Some(ProviderConfig::new(
                sora_base.unwrap_or_else(|| OPENAI_API_BASE.into()),
                Some(key),
                video_model,
            )),
            (None, Some(sora_base), None) => Some(ProviderConfig::new(sora_base, None, video_model)),
            (None, None, None) => None,
        };
        let video: Option<Arc<dyn Renderer>> = match video_config {
            Some(vc) => Some(Arc::new(
                OpenAiVideos::new(vc.with_timeout(polling.timeout))?.with_polling(polling),
            )),
            None => None,
        };

        let speech: Option<Arc<dyn Renderer>> = openai_shaped("SPEECH", DEFAULT_SPEECH_MODEL)?
            .map(|c| OpenAiSpeech::new(c).map(|r| Arc::new(r) as Arc<dyn Renderer>))
            .transpose()?;

        for (kind, r) in [
            (AssetKind::Image, image),
            (AssetKind::Video, video),
            (AssetKind::Audio, speech),
        ] {
            if let Some(r) = r {
                c = c.with_renderer(kind, r);
            }
        }
        if let Some(url) = base("R2_PUBLIC_URL")? {
            c = c.with_public_url(url);
        }
        if let Some(ar) = get("DEFAULT_ASPECT_RATIO") {
            let ratio = ar
                .parse()
                .map_err(|_| Error::Config(format!("DEFAULT_ASPECT_RATIO must look like 9:16, got '{ar}'")))?;
            c = c.with_aspect_ratio(ratio);
        }
        if let Some(d) = positive("DEFAULT_VIDEO_DURATION")? {
            c = c.with_video_duration(d);
        }
        if let Some(spec) = get("SFD_RENDER_CONCURRENCY") {
            c = c.with_concurrency_spec(&spec)?;
        }
        if let Some(path) = get("SFD_PRICES") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::Config(format!("SFD_PRICES: cannot read '{path}': {e}")))?;
            let prices =
                PriceTable::from_json(&text).map_err(|e| Error::Config(format!("SFD_PRICES ('{path}'): {e}")))?;
            c = c.with_prices(prices);
        }
        super::select::apply(c, &get)
    }

    /// Applies `4` (every kind) or `image=4,video=2` (per kind), or both.
    fn with_concurrency_spec(mut self, spec: &str) -> Result<Self> {
        let bad = |part: &str| {
            Error::Config(format!(
                "SFD_RENDER_CONCURRENCY: '{part}' is not a count (such as 4) or kind=count (such as video=2)"
            ))
        };
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let count = |v: &str| {
                v.trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad(part))
            };
            match part.split_once('=') {
                None => {
                    let n = count(part)?;
                    for k in AssetKind::ALL {
                        self = self.with_concurrency(k, n);
                    }
                }
                Some((kind, n)) => {
                    let kind = AssetKind::ALL
                        .into_iter()
                        .find(|k| k.as_str() == kind.trim())
                        .ok_or_else(|| bad(part))?;
                    self = self.with_concurrency(kind, count(n)?);
                }
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let owned: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn old_names_select_providers_and_hide_keys() {
        let c = RenderConfig::from_env_vars(env(&[
            ("NANO_BANANA_API_KEY", "nb-secret-1"),
            ("NANO_BANANA_API_BASE", "https://gw.example/v1"),
            ("SORA_API_KEY", "sora-secret-2"),
            ("SORA_API_BASE", "https://sora.example/v1"),
            ("R2_PUBLIC_URL", "https://cdn.example/"),
            ("DEFAULT_ASPECT_RATIO", "16:9"),
            ("DEFAULT_VIDEO_DURATION", "8"),
            ("SFD_RENDER_CONCURRENCY", "3,video=1"),
        ]))
        .unwrap();
        let image = c.renderer(AssetKind::Image).unwrap();
        assert_eq!(
            (image.provider(), image.model()),
            ("chat-images", "gemini-2.5-flash-image")
        );
        assert_eq!(c.renderer(AssetKind::Video).unwrap().model(), "sora-2");
        assert!(c.renderer(AssetKind::Audio).is_none());
        assert_eq!(c.public_url(), Some("https://cdn.example"));
        assert_eq!(c.aspect_ratio().to_string(), "16:9");
        assert_eq!(c.video_duration(), 8);
        assert_eq!(
            (c.concurrency(AssetKind::Image), c.concurrency(AssetKind::Video)),
            (3, 1)
        );
        let dbg = format!("{c:?} {image:?}");
        assert!(!dbg.contains("secret"), "{dbg}");
        let e = c.require(AssetKind::Audio).unwrap_err().to_string();
        assert!(e.contains("SFD_SPEECH_API_BASE") && e.contains("OPENAI_API_KEY"), "{e}");
    }

    #[test]
    fn openai_key_gives_images_and_speech_and_bad_values_name_their_variable() {
        let c = RenderConfig::from_env_vars(env(&[("OPENAI_API_KEY", "sk-x")])).unwrap();
        assert_eq!(c.renderer(AssetKind::Image).unwrap().model(), "gpt-image-1");
        assert_eq!(c.renderer(AssetKind::Audio).unwrap().model(), "gpt-4o-mini-tts");
        assert!(c.renderer(AssetKind::Video).is_none());
        let local = RenderConfig::from_env_vars(env(&[
            ("OPENAI_API_KEY", "sk-x"),
            ("OPENAI_API_BASE", "http://127.0.0.1:8000/v1"),
        ]))
        .unwrap();
        assert!(local.renderer(AssetKind::Image).is_none());
        for (pairs, var) in [
            (&[("DEFAULT_ASPECT_RATIO", "tall")][..], "DEFAULT_ASPECT_RATIO"),
            (&[("DEFAULT_VIDEO_DURATION", "0")][..], "DEFAULT_VIDEO_DURATION"),
            (
                &[("SFD_RENDER_CONCURRENCY", "video=lots")][..],
                "SFD_RENDER_CONCURRENCY",
            ),
            (&[("SFD_VIDEO_API_BASE", "gw:80")][..], "SFD_VIDEO_API_BASE"),
            (&[("SFD_PRICES", "/nonexistent/prices.json")][..], "SFD_PRICES"),
            (&[("R2_PUBLIC_URL", "cdn")][..], "R2_PUBLIC_URL"),
        ] {
            let e = RenderConfig::from_env_vars(env(pairs)).unwrap_err().to_string();
            assert!(e.contains(var), "{e}");
        }
    }
}
