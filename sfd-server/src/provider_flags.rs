//! The flags that choose a real provider per kind, and the task
//! providers' keys (so `--help` lists each with its variable).

use clap::Args;

/// Provider selection and the keys of the task providers.
#[derive(Clone, Args)]
#[command(next_help_heading = "Providers")]
pub struct ProviderFlags {
    /// The video provider: seedance, veo, kling, wan, minimax, fal, replicate, comfyui, openai or simulated (default: whichever key is set; named, it wins over --simulated-media).
    #[arg(long, env = "SFD_VIDEO_PROVIDER", value_name = "NAME")]
    pub video_provider: Option<String>,
    /// The image provider: fal, replicate, comfyui, openai or simulated (default: whichever key is set).
    #[arg(long, env = "SFD_IMAGE_PROVIDER", value_name = "NAME")]
    pub image_provider: Option<String>,
    /// The speech provider: fal, replicate, comfyui, openai or simulated (default: whichever key is set).
    #[arg(long, env = "SFD_SPEECH_PROVIDER", value_name = "NAME")]
    pub speech_provider: Option<String>,
    /// Seedance (Volcengine Ark / BytePlus ModelArk) key; model from SFD_VIDEO_MODEL.
    #[arg(long, env = "ARK_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub ark_api_key: Option<String>,
    /// Ark base URL (default https://ark.cn-beijing.volces.com/api/v3).
    #[arg(long, env = "ARK_API_BASE", value_name = "URL")]
    pub ark_api_base: Option<String>,
    /// Veo (Gemini API) key; model from SFD_VIDEO_MODEL.
    #[arg(long, env = "GEMINI_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub gemini_api_key: Option<String>,
    /// Gemini API base (default https://generativelanguage.googleapis.com/v1beta).
    #[arg(long, env = "GEMINI_API_BASE", value_name = "URL")]
    pub gemini_api_base: Option<String>,
    /// Kling access key (signs a token per call with KLING_SECRET_KEY).
    #[arg(long, env = "KLING_ACCESS_KEY", value_name = "KEY", hide_env_values = true)]
    pub kling_access_key: Option<String>,
    /// Kling secret key.
    #[arg(long, env = "KLING_SECRET_KEY", value_name = "KEY", hide_env_values = true)]
    pub kling_secret_key: Option<String>,
    /// Kling API base (default https://api-singapore.klingai.com).
    #[arg(long, env = "KLING_API_BASE", value_name = "URL")]
    pub kling_api_base: Option<String>,
    /// Wan (DashScope) key.
    #[arg(long, env = "DASHSCOPE_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub dashscope_api_key: Option<String>,
    /// DashScope base (default https://dashscope-intl.aliyuncs.com).
    #[arg(long, env = "DASHSCOPE_API_BASE", value_name = "URL")]
    pub dashscope_api_base: Option<String>,
    /// MiniMax Hailuo key.
    #[arg(long, env = "MINIMAX_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub minimax_api_key: Option<String>,
    /// MiniMax base (default https://api.minimax.io).
    #[arg(long, env = "MINIMAX_API_BASE", value_name = "URL")]
    pub minimax_api_base: Option<String>,
    /// fal key; the model id in SFD_VIDEO_MODEL / SFD_IMAGE_MODEL.
    #[arg(long, env = "FAL_KEY", value_name = "KEY", hide_env_values = true)]
    pub fal_key: Option<String>,
    /// fal queue base (default https://queue.fal.run).
    #[arg(long, env = "FAL_API_BASE", value_name = "URL")]
    pub fal_api_base: Option<String>,
    /// Replicate token; owner/name[:version] in SFD_VIDEO_MODEL / SFD_IMAGE_MODEL.
    #[arg(long, env = "REPLICATE_API_TOKEN", value_name = "KEY", hide_env_values = true)]
    pub replicate_api_token: Option<String>,
    /// Replicate base (default https://api.replicate.com).
    #[arg(long, env = "REPLICATE_API_BASE", value_name = "URL")]
    pub replicate_api_base: Option<String>,
    /// ComfyUI server (default http://127.0.0.1:8188).
    #[arg(long, env = "SFD_COMFYUI_URL", value_name = "URL")]
    pub comfyui_url: Option<String>,
    /// ComfyUI workflow (API-format JSON) with {{prompt}}, {{image}}, {{width}}, {{height}}, {{seconds}}, {{seed}}.
    #[arg(long, env = "SFD_COMFYUI_WORKFLOW", value_name = "FILE")]
    pub comfyui_workflow: Option<String>,
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
            "GEMINI_API_KEY" => &self.gemini_api_key,
            "GEMINI_API_BASE" => &self.gemini_api_base,
            "KLING_ACCESS_KEY" => &self.kling_access_key,
            "KLING_SECRET_KEY" => &self.kling_secret_key,
            "KLING_API_BASE" => &self.kling_api_base,
            "DASHSCOPE_API_KEY" => &self.dashscope_api_key,
            "DASHSCOPE_API_BASE" => &self.dashscope_api_base,
            "MINIMAX_API_KEY" => &self.minimax_api_key,
            "MINIMAX_API_BASE" => &self.minimax_api_base,
            "FAL_KEY" => &self.fal_key,
            "FAL_API_BASE" => &self.fal_api_base,
            "REPLICATE_API_TOKEN" => &self.replicate_api_token,
            "REPLICATE_API_BASE" => &self.replicate_api_base,
            "SFD_COMFYUI_URL" => &self.comfyui_url,
            "SFD_COMFYUI_WORKFLOW" => &self.comfyui_workflow,
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
