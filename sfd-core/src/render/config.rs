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

/// One media setting: its environment variable, the server's flag for it,
/// what its value looks like, what it does (with its default), and whether
/// it is a secret (its value is never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderSetting {
    /// The environment variable, e.g. `SFD_IMAGE_MODEL`.
    pub env: &'static str,
    /// The server's long flag, e.g. `image-model`.
    pub flag: &'static str,
    /// What its value looks like in `--help`, e.g. `MODEL`.
    pub value_name: &'static str,
    /// What it does, and its default.
    pub help: &'static str,
    /// Whether the value is a key.
    pub secret: bool,
}

const fn setting(env: &'static str, flag: &'static str, value_name: &'static str, help: &'static str) -> RenderSetting {
    let secret = matches!(value_name.as_bytes(), b"KEY");
    RenderSetting {
        env,
        flag,
        value_name,
        help,
        secret,
    }
}

/// Every media setting [`RenderConfig::from_env_vars`] reads, listed once:
/// the server makes a flag of each, and the environment names them. Images
/// and speech also fall back to `OPENAI_API_KEY` (with no `OPENAI_API_BASE`)
/// when nothing here names a provider for them.
pub const RENDER_SETTINGS: &[RenderSetting] = &[
    setting(
        "NANO_BANANA_API_KEY",
        "nano-banana-api-key",
        "KEY",
        "Key for images through an OpenAI-compatible chat model (the old server's setting)",
    ),
    setting(
        "NANO_BANANA_API_BASE",
        "nano-banana-api-base",
        "URL",
        "Base URL of that chat endpoint (default Google's OpenAI-compatible API)",
    ),
    setting(
        "NANO_BANANA_MODEL",
        "nano-banana-model",
        "MODEL",
        "The chat image model (default gemini-2.5-flash-image)",
    ),
    setting(
        "SFD_IMAGE_API_BASE",
        "image-api-base",
        "URL",
        "Base URL of an OpenAI Images API (default OpenAI when OPENAI_API_KEY is set)",
    ),
    setting(
        "SFD_IMAGE_API_KEY",
        "image-api-key",
        "KEY",
        "Key for the Images API (default OPENAI_API_KEY)",
    ),
    setting(
        "SFD_IMAGE_MODEL",
        "image-model",
        "MODEL",
        "The image model (default gpt-image-1)",
    ),
    setting(
        "SFD_VIDEO_API_BASE",
        "video-api-base",
        "URL",
        "Base URL of a /v1/videos API (create, poll, download)",
    ),
    setting("SFD_VIDEO_API_KEY", "video-api-key", "KEY", "Key for the videos API"),
    setting(
        "SFD_VIDEO_MODEL",
        "video-model",
        "MODEL",
        "The video model (default sora-2)",
    ),
    setting("SORA_API_KEY", "sora-api-key", "KEY", "The old server's video key"),
    setting(
        "SORA_API_BASE",
        "sora-api-base",
        "URL",
        "The old server's video base URL",
    ),
    setting(
        "SFD_VIDEO_TIMEOUT_SECS",
        "video-timeout-secs",
        "SECS",
        "How long one video may take, in seconds (default 900)",
    ),
    setting(
        "SFD_SPEECH_API_BASE",
        "speech-api-base",
        "URL",
        "Base URL of a /v1/audio/speech API (default OpenAI when OPENAI_API_KEY is set)",
    ),
    setting(
        "SFD_SPEECH_API_KEY",
        "speech-api-key",
        "KEY",
        "Key for the speech API (default OPENAI_API_KEY)",
    ),
    setting(
        "SFD_SPEECH_MODEL",
        "speech-model",
        "MODEL",
        "The speech model (default gpt-4o-mini-tts)",
    ),
    setting(
        "R2_PUBLIC_URL",
        "r2-public-url",
        "URL",
        "Public base URL of the bucket: asset URLs become {R2_PUBLIC_URL}/{key} instead of /media/{key}",
    ),
    setting(
        "DEFAULT_ASPECT_RATIO",
        "default-aspect-ratio",
        "W:H",
        "The frame asked for (default 9:16)",
    ),
    setting(
        "DEFAULT_VIDEO_DURATION",
        "default-video-duration",
        "SECS",
        "Seconds of a clip whose asset names none (default 10)",
    ),
    setting(
        "SFD_RENDER_CONCURRENCY",
        "render-concurrency",
        "SPEC",
        "Provider calls at once: 4, or per kind image=4,video=2,audio=4",
    ),
    setting(
        "SFD_PRICES",
        "prices",
        "FILE",
        "A JSON price file over the built-in prices (for cost estimates)",
    ),
    setting(
        "SFD_FETCH_ALLOW",
        "fetch-allow",
        "ORIGINS",
        "Origins (comma-separated) whose files may be fetched over plain http or at a private address, besides each provider's own base URL",
    ),
    setting(
        "SFD_MAX_CUT_SECONDS",
        "max-cut-seconds",
        "SECS",
        "The longest episode an assembly cuts, in seconds (default 1800)",
    ),
    setting(
        "SFD_VIDEO_PROVIDER",
        "video-provider",
        "NAME",
        "The video provider: seedance, veo, kling, wan, minimax, fal, replicate, comfyui, openai or simulated (default: whichever key is set; named, it wins over --simulated-media)",
    ),
    setting(
        "SFD_IMAGE_PROVIDER",
        "image-provider",
        "NAME",
        "The image provider: gemini, seedream, openai, fal, replicate, comfyui or simulated (default: whichever key is set)",
    ),
    setting(
        "SFD_SPEECH_PROVIDER",
        "speech-provider",
        "NAME",
        "The speech provider: elevenlabs, minimax, openai or simulated (default: whichever key is set)",
    ),
    setting(
        "ARK_API_KEY",
        "ark-api-key",
        "KEY",
        "Seedance video and Seedream image (Volcengine Ark / BytePlus ModelArk) key; models from SFD_VIDEO_MODEL / SFD_IMAGE_MODEL",
    ),
    setting(
        "ARK_API_BASE",
        "ark-api-base",
        "URL",
        "Ark base URL (default https://ark.cn-beijing.volces.com/api/v3)",
    ),
    setting(
        "GEMINI_API_KEY",
        "gemini-api-key",
        "KEY",
        "Veo video and Gemini image (Gemini API) key; models from SFD_VIDEO_MODEL / SFD_IMAGE_MODEL",
    ),
    setting(
        "GEMINI_API_BASE",
        "gemini-api-base",
        "URL",
        "Gemini API base (default https://generativelanguage.googleapis.com/v1beta)",
    ),
    setting(
        "KLING_ACCESS_KEY",
        "kling-access-key",
        "KEY",
        "Kling access key (signs a token per call with KLING_SECRET_KEY)",
    ),
    setting("KLING_SECRET_KEY", "kling-secret-key", "KEY", "Kling secret key"),
    setting(
        "KLING_API_BASE",
        "kling-api-base",
        "URL",
        "Kling API base (default https://api-singapore.klingai.com)",
    ),
    setting("DASHSCOPE_API_KEY", "dashscope-api-key", "KEY", "Wan (DashScope) key"),
    setting(
        "DASHSCOPE_API_BASE",
        "dashscope-api-base",
        "URL",
        "DashScope base (default https://dashscope-intl.aliyuncs.com)",
    ),
    setting(
        "MINIMAX_API_KEY",
        "minimax-api-key",
        "KEY",
        "MiniMax key: Hailuo video and t2a_v2 speech",
    ),
    setting(
        "MINIMAX_API_BASE",
        "minimax-api-base",
        "URL",
        "MiniMax base (default https://api.minimax.io)",
    ),
    setting(
        "FAL_KEY",
        "fal-key",
        "KEY",
        "fal key; the model id in SFD_VIDEO_MODEL / SFD_IMAGE_MODEL",
    ),
    setting(
        "FAL_API_BASE",
        "fal-api-base",
        "URL",
        "fal queue base (default https://queue.fal.run)",
    ),
    setting(
        "REPLICATE_API_TOKEN",
        "replicate-api-token",
        "KEY",
        "Replicate token; owner/name[:version] in SFD_VIDEO_MODEL / SFD_IMAGE_MODEL",
    ),
    setting(
        "REPLICATE_API_BASE",
        "replicate-api-base",
        "URL",
        "Replicate base (default https://api.replicate.com)",
    ),
    setting(
        "SFD_COMFYUI_URL",
        "comfyui-url",
        "URL",
        "ComfyUI server (default http://127.0.0.1:8188)",
    ),
    setting(
        "SFD_COMFYUI_WORKFLOW",
        "comfyui-workflow",
        "FILE",
        "ComfyUI workflow (API-format JSON) with {{prompt}}, {{image}}, {{width}}, {{height}}, {{seconds}}, {{seed}}",
    ),
    setting(
        "ELEVENLABS_API_KEY",
        "elevenlabs-api-key",
        "KEY",
        "ElevenLabs speech key (word timestamps); model from SFD_SPEECH_MODEL",
    ),
    setting(
        "ELEVENLABS_API_BASE",
        "elevenlabs-api-base",
        "URL",
        "ElevenLabs base (default https://api.elevenlabs.io)",
    ),
    setting(
        "SFD_PROVIDER_CONCURRENCY",
        "provider-concurrency",
        "N",
        "Tasks at once per task provider, for the whole process (default 4)",
    ),
    setting(
        "SFD_POLL_INTERVAL",
        "poll-interval",
        "DURATION",
        "First wait between polls of a provider task, backing off x1.5 up to 8x or 15s (default 2s)",
    ),
    setting(
        "SFD_RENDER_CANDIDATES",
        "render-candidates",
        "N",
        "Candidate images per image asset, the judge keeps the best (default 1, at most 8)",
    ),
    setting(
        "SFD_JUDGE_API_BASE",
        "judge-api-base",
        "URL",
        "Base URL of an OpenAI-compatible chat model with image input that judges candidates",
    ),
    setting("SFD_JUDGE_API_KEY", "judge-api-key", "KEY", "Key for the judge"),
    setting(
        "SFD_JUDGE_MODEL",
        "judge-model",
        "MODEL",
        "The judge's model (default gpt-4o-mini)",
    ),
    setting(
        "SFD_JUDGE_THRESHOLD",
        "judge-threshold",
        "SCORE",
        "The score (0 to 1) the best candidate must reach, else the image is rendered again (default 0.5)",
    ),
    setting(
        "SFD_JUDGE_RETRIES",
        "judge-retries",
        "N",
        "Rounds of candidates again below the threshold, before the best is kept with a warning (default 1)",
    ),
];

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
    ffmpeg: crate::Ffmpeg,
    fetch: super::FetchRules,
    max_cut_seconds: u32,
    best_of: super::BestOf,
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
            ffmpeg: crate::Ffmpeg::from_env(),
            fetch: super::FetchRules::default(),
            max_cut_seconds: 1800,
            best_of: super::BestOf::default(),
        }
    }
}

impl RenderConfig {
    /// No renderer; set them with [`RenderConfig::with_renderer`].
    pub fn new() -> Self {
        Self::default()
    }

    /// One simulated renderer for every kind, and the simulated judge
    /// (demos, tests, benchmarks).
    #[cfg(feature = "simulator")]
    pub fn simulated() -> Self {
        let sim: Arc<dyn Renderer> = Arc::new(super::SimulatedRenderer::new());
        let c = AssetKind::ALL
            .iter()
            .fold(Self::default(), |c, k| c.with_renderer(*k, Arc::clone(&sim)));
        c.with_judge(Arc::new(super::SimulatedJudge))
    }

    /// Judges best-of-N candidates with `judge`.
    pub fn with_judge(mut self, judge: Arc<dyn super::Judge>) -> Self {
        self.best_of.judge = Some(judge);
        self
    }

    /// Renders `kind` with `renderer`.
    pub fn with_renderer(mut self, kind: AssetKind, renderer: Arc<dyn Renderer>) -> Self {
        self.renderers[kind.index()] = Some(renderer);
        self
    }

    /// At most `n` calls of `kind` at once (at least 1).
    pub fn with_concurrency(mut self, kind: AssetKind, n: usize) -> Self {
        self.concurrency[kind.index()] = n.max(1);
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
        self.renderers[kind.index()].as_ref()
    }

    /// The renderer of `kind`, or [`Error::RendererNotConfigured`] naming the settings.
    pub fn require(&self, kind: AssetKind) -> Result<&Arc<dyn Renderer>> {
        self.renderer(kind).ok_or(Error::RendererNotConfigured { kind })
    }

    /// Calls of `kind` at once.
    pub fn concurrency(&self, kind: AssetKind) -> usize {
        self.concurrency[kind.index()]
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
    pub fn ffmpeg(&self) -> &crate::Ffmpeg {
        &self.ffmpeg
    }

    /// Assembles episodes with the `ffmpeg` at `path` (`ffprobe` beside it).
    pub fn with_ffmpeg(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ffmpeg = crate::Ffmpeg::new(path);
        self
    }

    /// Which URLs outside the media store may be fetched (a portrait's
    /// `url` on another host); set them before building providers from
    /// the same origins with [`ProviderConfig::with_fetch_allow`].
    pub fn with_fetch_rules(mut self, rules: super::FetchRules) -> Self {
        self.fetch = rules;
        self
    }

    /// The longest episode (in seconds) an assembly cuts (default 1800).
    pub fn with_max_cut_seconds(mut self, seconds: u32) -> Self {
        self.max_cut_seconds = seconds.max(1);
        self
    }

    /// The longest episode (in seconds) an assembly cuts.
    pub fn max_cut_seconds(&self) -> u32 {
        self.max_cut_seconds
    }

    /// Which URLs outside the media store may be fetched.
    pub fn fetch_rules(&self) -> &super::FetchRules {
        &self.fetch
    }

    /// Best-of-N: candidates per image and their judge.
    pub fn with_best_of(mut self, best_of: super::BestOf) -> Self {
        self.best_of = best_of;
        self
    }

    /// Best-of-N: candidates per image and their judge.
    pub fn best_of(&self) -> &super::BestOf {
        &self.best_of
    }

    /// The price table.
    pub fn prices(&self) -> &PriceTable {
        &self.prices
    }

    /// Reads every media setting (see [`RENDER_SETTINGS`]); a wrong value
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
        let allow: Vec<String> = get("SFD_FETCH_ALLOW")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let rules = super::FetchRules::new(&allow).map_err(|e| Error::Config(format!("SFD_FETCH_ALLOW: {e}")))?;
        let provider = |base: String, key: Option<String>, model: String| {
            ProviderConfig::new(base, key, model).with_fetch_allow(allow.clone())
        };
        let openai_key = get("OPENAI_API_KEY").filter(|_| get("OPENAI_API_BASE").is_none());
        let openai_shaped = |what: &str, default_model: &str| -> Result<Option<ProviderConfig>> {
            let model = get(&format!("SFD_{what}_MODEL")).unwrap_or_else(|| default_model.into());
            let key = get(&format!("SFD_{what}_API_KEY")).or(openai_key.clone());
            Ok(match (base(&format!("SFD_{what}_API_BASE"))?, key) {
                (Some(b), key) => Some(provider(b, key, model)),
                (None, Some(key)) => Some(provider(OPENAI_API_BASE.into(), Some(key), model)),
                (None, None) => None,
            })
        };
        let mut c = RenderConfig::default().with_fetch_rules(rules);

        let nano = (get("NANO_BANANA_API_KEY"), base("NANO_BANANA_API_BASE")?);
        let image: Option<Arc<dyn Renderer>> = if nano.0.is_some() || nano.1.is_some() {
            let b = nano
                .1
                .unwrap_or_else(|| "https://generativelanguage.googleapis.com/v1beta/openai".into());
            let model = get("NANO_BANANA_MODEL").unwrap_or_else(|| DEFAULT_CHAT_IMAGE_MODEL.into());
            Some(Arc::new(ChatImages::new(provider(b, nano.0, model))?))
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
            (Some(b), _, sora_key) => Some(provider(b, get("SFD_VIDEO_API_KEY").or(sora_key), video_model)),
            (None, sora_base, Some(key)) => Some(provider(
                sora_base.unwrap_or_else(|| OPENAI_API_BASE.into()),
                Some(key),
                video_model,
            )),
            (None, Some(sora_base), None) => Some(provider(sora_base, None, video_model)),
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
        if let Some(s) = positive("SFD_MAX_CUT_SECONDS")? {
            c = c.with_max_cut_seconds(s);
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
        c.best_of = super::BestOf::from_env(&get, &provider)?;
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

    #[test]
    fn render_settings_list_every_variable_the_config_reads() {
        let asked = std::sync::Mutex::new(std::collections::BTreeSet::new());
        let value = |s: &RenderSetting| match s.value_name {
            "URL" => "https://example.test/v1",
            "ORIGINS" => "https://files.example.test",
            "SECS" => "10",
            "W:H" => "9:16",
            "SPEC" => "4",
            "FILE" => "",
            "NAME" => "openai",
            "N" => "4",
            "DURATION" => "2s",
            "SCORE" => "0.5",
            _ => "x",
        };
        // Every setting given, then only an OpenAI key: between them, every
        // variable is read (a chat image key hides the Images API's).
        let read = RenderConfig::from_env_vars(|k| {
            asked.lock().unwrap().insert(k.to_string());
            RENDER_SETTINGS
                .iter()
                .find(|s| s.env == k)
                .map(|s| value(s).to_string())
        });
        assert!(read.is_ok(), "{read:?}");
        let read = RenderConfig::from_env_vars(|k| {
            asked.lock().unwrap().insert(k.to_string());
            (k == "OPENAI_API_KEY").then(|| "sk-test".to_string())
        });
        assert!(read.is_ok(), "{read:?}");
        // Each task provider named reads its own key and base.
        for name in [
            "seedance",
            "veo",
            "kling",
            "wan",
            "minimax",
            "fal",
            "replicate",
            "comfyui",
        ] {
            let _ = RenderConfig::from_env_vars(|k| {
                asked.lock().unwrap().insert(k.to_string());
                match k {
                    "SFD_VIDEO_PROVIDER" => Some(name.to_string()),
                    "SFD_IMAGE_PROVIDER" | "SFD_SPEECH_PROVIDER" => None,
                    // Any readable file: the URL is read before the workflow is parsed.
                    "SFD_COMFYUI_WORKFLOW" => Some(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml").to_string()),
                    _ => RENDER_SETTINGS
                        .iter()
                        .find(|s| s.env == k)
                        .map(|s| value(s).to_string()),
                }
            });
        }
        // And each speech provider.
        let _ = RenderConfig::from_env_vars(|k| {
            asked.lock().unwrap().insert(k.to_string());
            match k {
                "SFD_SPEECH_PROVIDER" => Some("elevenlabs".to_string()),
                "SFD_VIDEO_PROVIDER" | "SFD_IMAGE_PROVIDER" => None,
                _ => RENDER_SETTINGS
                    .iter()
                    .find(|s| s.env == k)
                    .map(|s| value(s).to_string()),
            }
        });
        let mut listed: std::collections::BTreeSet<String> =
            RENDER_SETTINGS.iter().map(|s| s.env.to_string()).collect();
        listed.extend(["OPENAI_API_KEY".to_string(), "OPENAI_API_BASE".to_string()]);
        assert_eq!(asked.into_inner().unwrap(), listed);
    }

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
