//! The media settings of the server: one flag per variable of the render
//! core (so `--help` lists each), the upload limit, and the simulated
//! renderer for demos.

use clap::Args;
use sfd_core::{AssetKind, RenderConfig};

use crate::{Error, Result};

/// Renderers, media URLs and limits. Each flag can also be set by the
/// environment variable named in `--help`; the old server's names work.
#[derive(Clone, Args)]
#[command(next_help_heading = "Media")]
pub struct MediaConfig {
    /// Render media with the simulated renderer (real PNG, WAV and MP4 files
    /// made locally with ffmpeg from PATH or SFD_FFMPEG; for demos and tests,
    /// never the default).
    #[arg(long, env = "SFD_SIMULATED_MEDIA", default_value_t = false)]
    pub simulated_media: bool,
    /// Largest media upload in bytes (PUT …/content); default 200 MiB.
    #[arg(long, env = "SFD_MEDIA_LIMIT", value_name = "BYTES", default_value_t = crate::media::DEFAULT_MEDIA_LIMIT)]
    pub media_limit: u64,
    /// Key for images through an OpenAI-compatible chat model (the old server's setting).
    #[arg(long, env = "NANO_BANANA_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub nano_banana_api_key: Option<String>,
    /// Base URL of that chat endpoint (default Google's OpenAI-compatible API).
    #[arg(long, env = "NANO_BANANA_API_BASE", value_name = "URL")]
    pub nano_banana_api_base: Option<String>,
    /// The chat image model (default gemini-2.5-flash-image).
    #[arg(long, env = "NANO_BANANA_MODEL", value_name = "MODEL")]
    pub nano_banana_model: Option<String>,
    /// Base URL of an OpenAI Images API (default OpenAI when OPENAI_API_KEY is set).
    #[arg(long, env = "SFD_IMAGE_API_BASE", value_name = "URL")]
    pub image_api_base: Option<String>,
    /// Key for the Images API (default OPENAI_API_KEY).
    #[arg(long, env = "SFD_IMAGE_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub image_api_key: Option<String>,
    /// The image model (default gpt-image-1).
    #[arg(long, env = "SFD_IMAGE_MODEL", value_name = "MODEL")]
    pub image_model: Option<String>,
    /// Base URL of a /v1/videos API (create, poll, download).
    #[arg(long, env = "SFD_VIDEO_API_BASE", value_name = "URL")]
    pub video_api_base: Option<String>,
    /// Key for the videos API.
    #[arg(long, env = "SFD_VIDEO_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub video_api_key: Option<String>,
    /// The video model (default sora-2).
    #[arg(long, env = "SFD_VIDEO_MODEL", value_name = "MODEL")]
    pub video_model: Option<String>,
    /// The old server's video key.
    #[arg(long, env = "SORA_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub sora_api_key: Option<String>,
    /// The old server's video base URL.
    #[arg(long, env = "SORA_API_BASE", value_name = "URL")]
    pub sora_api_base: Option<String>,
    /// How long one video may take, in seconds (default 900).
    #[arg(long, env = "SFD_VIDEO_TIMEOUT_SECS", value_name = "SECS")]
    pub video_timeout_secs: Option<String>,
    /// Base URL of a /v1/audio/speech API (default OpenAI when OPENAI_API_KEY is set).
    #[arg(long, env = "SFD_SPEECH_API_BASE", value_name = "URL")]
    pub speech_api_base: Option<String>,
    /// Key for the speech API (default OPENAI_API_KEY).
    #[arg(long, env = "SFD_SPEECH_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub speech_api_key: Option<String>,
    /// The speech model (default gpt-4o-mini-tts).
    #[arg(long, env = "SFD_SPEECH_MODEL", value_name = "MODEL")]
    pub speech_model: Option<String>,
    /// Public base URL of the bucket: asset URLs become {R2_PUBLIC_URL}/{key} instead of /media/{key}.
    #[arg(long, env = "R2_PUBLIC_URL", value_name = "URL")]
    pub r2_public_url: Option<String>,
    /// The frame asked for (default 9:16).
    #[arg(long, env = "DEFAULT_ASPECT_RATIO", value_name = "W:H")]
    pub default_aspect_ratio: Option<String>,
    /// Seconds of a clip whose asset names none (default 10).
    #[arg(long, env = "DEFAULT_VIDEO_DURATION", value_name = "SECS")]
    pub default_video_duration: Option<String>,
    /// Provider calls at once: 4, or per kind image=4,video=2,audio=4.
    #[arg(long, env = "SFD_RENDER_CONCURRENCY", value_name = "SPEC")]
    pub render_concurrency: Option<String>,
    /// A JSON price file over the built-in prices (for cost estimates).
    #[arg(long, env = "SFD_PRICES", value_name = "FILE")]
    pub prices: Option<String>,
    /// Provider selection and the task providers' keys.
    #[command(flatten)]
    pub providers: crate::provider_flags::ProviderFlags,
}

impl MediaConfig {
    /// The value of one render-core variable, from its flag.
    fn var(&self, name: &str) -> Option<String> {
        let v = match name {
            "NANO_BANANA_API_KEY" => &self.nano_banana_api_key,
            "NANO_BANANA_API_BASE" => &self.nano_banana_api_base,
            "NANO_BANANA_MODEL" => &self.nano_banana_model,
            "SFD_IMAGE_API_BASE" => &self.image_api_base,
            "SFD_IMAGE_API_KEY" => &self.image_api_key,
            "SFD_IMAGE_MODEL" => &self.image_model,
            "SFD_VIDEO_API_BASE" => &self.video_api_base,
            "SFD_VIDEO_API_KEY" => &self.video_api_key,
            "SFD_VIDEO_MODEL" => &self.video_model,
            "SORA_API_KEY" => &self.sora_api_key,
            "SORA_API_BASE" => &self.sora_api_base,
            "SFD_VIDEO_TIMEOUT_SECS" => &self.video_timeout_secs,
            "SFD_SPEECH_API_BASE" => &self.speech_api_base,
            "SFD_SPEECH_API_KEY" => &self.speech_api_key,
            "SFD_SPEECH_MODEL" => &self.speech_model,
            "R2_PUBLIC_URL" => &self.r2_public_url,
            "DEFAULT_ASPECT_RATIO" => &self.default_aspect_ratio,
            "DEFAULT_VIDEO_DURATION" => &self.default_video_duration,
            "SFD_RENDER_CONCURRENCY" => &self.render_concurrency,
            "SFD_PRICES" => &self.prices,
            other => return self.providers.var(other),
        };
        v.clone()
    }

    /// Checks every media setting and builds the renderers. `openai` gives
    /// the LLM's key and base, which images and speech fall back to.
    pub fn render_config(&self, openai_key: Option<&str>, openai_base: Option<&str>) -> Result<RenderConfig> {
        if self.media_limit == 0 {
            return Err(Error::Config("SFD_MEDIA_LIMIT must be at least 1 byte".into()));
        }
        let get = |k: &str| match k {
            "OPENAI_API_KEY" => openai_key.map(str::to_string),
            "OPENAI_API_BASE" => openai_base.map(str::to_string),
            other => self.var(other),
        };
        let mut config = RenderConfig::from_env_vars(get)?;
        if self.simulated_media {
            tracing::warn!("using the SIMULATED renderer: media files are placeholders made locally");
            let simulated = RenderConfig::simulated();
            // A kind whose provider is named stays real.
            for kind in AssetKind::ALL.into_iter().filter(|k| !self.providers.names_real(*k)) {
                if let Some(r) = simulated.renderer(kind) {
                    config = config.with_renderer(kind, r.clone());
                }
            }
        }
        for kind in AssetKind::ALL {
            match config.renderer(kind) {
                Some(r) => tracing::info!(%kind, provider = r.provider(), model = r.model(), "renderer configured"),
                None => tracing::warn!(%kind, "no {kind} renderer configured: {kind} renders will answer 503"),
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::Config;

    #[test]
    fn media_flags_reach_the_render_config_and_bad_values_name_their_variable() {
        let c = Config::try_parse_from(["sfd-server", "--simulated-media"]).unwrap();
        let rc = c.media.render_config(None, None).unwrap();
        assert!(sfd_core::AssetKind::ALL.iter().all(|k| rc.renderer(*k).is_some()));
        let c = Config::try_parse_from(["sfd-server", "--default-aspect-ratio", "wide"]).unwrap();
        let err = c.media.render_config(None, None).unwrap_err().to_string();
        assert!(err.contains("DEFAULT_ASPECT_RATIO"), "{err}");
        let c = Config::try_parse_from(["sfd-server", "--media-limit", "0"]).unwrap();
        let err = c.media.render_config(None, None).unwrap_err().to_string();
        assert!(err.contains("SFD_MEDIA_LIMIT"), "{err}");
        let c = Config::try_parse_from(["sfd-server", "--sora-api-key", "sk-sora-secret"]).unwrap();
        let rc = c.media.render_config(None, None).unwrap();
        assert!(rc.renderer(sfd_core::AssetKind::Video).is_some());
        assert!(!format!("{rc:?}").contains("sk-sora-secret"));
    }

    #[test]
    fn a_provider_named_for_a_kind_wins_over_simulated_media_for_that_kind() {
        let c = Config::try_parse_from([
            "sfd-server",
            "--simulated-media",
            "--video-provider",
            "seedance",
            "--ark-api-key",
            "ark-secret-9",
        ])
        .unwrap();
        let rc = c.media.render_config(None, None).unwrap();
        let provider = |k| rc.renderer(k).unwrap().provider().to_string();
        assert_eq!(provider(sfd_core::AssetKind::Video), "seedance");
        assert_eq!(provider(sfd_core::AssetKind::Image), "simulated");
        assert!(!format!("{rc:?}").contains("ark-secret-9"));
        let c = Config::try_parse_from(["sfd-server", "--video-provider", "seedance"]).unwrap();
        let err = c.media.render_config(None, None).unwrap_err().to_string();
        assert!(err.contains("ARK_API_KEY"), "{err}");
    }
}
