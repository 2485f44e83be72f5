//! The flags that choose a real provider per kind, and the task
//! providers' keys (so `--help` lists each with its variable).

use clap::Args;

/// Provider selection and the keys of the task providers.
#[derive(Clone, Args)]
#[command(next_help_heading = "Providers")]
pub struct ProviderFlags {
    /// The video provider: seedance, openai or simulated (default: whichever key is set; named, it wins over --simulated-media).
    #[arg(long, env = "SFD_VIDEO_PROVIDER", value_name = "NAME")]
    pub video_provider: Option<String>,
    /// The image provider: openai or simulated (default: whichever key is set).
    #[arg(long, env = "SFD_IMAGE_PROVIDER", value_name = "NAME")]
    pub image_provider: Option<String>,
    /// The speech provider: openai or simulated (default: whichever key is set).
    #[arg(long, env = "SFD_SPEECH_PROVIDER", value_name = "NAME")]
    pub speech_provider: Option<String>,
    /// Seedance (Volcengine Ark / BytePlus ModelArk) key; model from SFD_VIDEO_MODEL.
    #[arg(long, env = "ARK_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub ark_api_key: Option<String>,
    /// Ark base URL (default https://ark.cn-beijing.volces.com/api/v3).
    #[arg(long, env = "ARK_API_BASE", value_name = "URL")]
    pub ark_api_base: Option<String>,
    /// Tasks at once per task provider, for the whole process (default 4).
    #[arg(long, env = "SFD_PROVIDER_CONCURRENCY", value_name = "N")]
    pub provider_concurrency: Option<String>,
    /// First wait between polls of a provider task, backing off ×1.5 (default 2s).
    #[arg(long, env = "SFD_POLL_INTERVAL", value_name = "DURATION")]
    pub poll_interval: Option<String>,
}

impl ProviderFlags {
    /// The value of one variable, from its flag.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        let v = match name {
            "SFD_VIDEO_PROVIDER" => &self.video_provider,
            "SFD_IMAGE_PROVIDER" => &self.image_provider,
            "SFD_SPEECH_PROVIDER" => &self.speech_provider,
            "ARK_API_KEY" => &self.ark_api_key,
            "ARK_API_BASE" => &self.ark_api_base,
            "SFD_PROVIDER_CONCURRENCY" => &self.provider_concurrency,
            "SFD_POLL_INTERVAL" => &self.poll_interval,
            _ => return None,
        };
        v.clone()
    }

    /// Whether `kind` has a provider named explicitly (other than `simulated`).
    pub(crate) fn names_real(&self, kind: sfd_core::AssetKind) -> bool {
        self.var(sfd_core::provider_var(kind))
            .is_some_and(|n| !n.trim().is_empty() && !n.trim().eq_ignore_ascii_case("simulated"))
    }
}
