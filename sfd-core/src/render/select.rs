//! Choosing a provider per kind: `SFD_VIDEO_PROVIDER`, `SFD_IMAGE_PROVIDER`
//! and `SFD_SPEECH_PROVIDER` name one; without a name, a provider whose
//! key is set is used for the kinds nothing else renders. A kind named
//! explicitly wins over the simulated renderer for that kind (the server's
//! `--simulated-media`), so one kind can be real and the others simulated.

use std::sync::Arc;
use std::time::Duration;

use super::providers::{
    ARK_API_BASE, ComfyUi, DASHSCOPE_API_BASE, DEFAULT_KLING_MODEL, DEFAULT_MINIMAX_MODEL, DEFAULT_SEEDANCE_MODEL,
    DEFAULT_VEO_MODEL, DEFAULT_WAN_MODEL, FAL_QUEUE_BASE, Fal, GEMINI_API_BASE, KLING_API_BASE, Kling,
    MINIMAX_API_BASE, MiniMax, REPLICATE_API_BASE, Replicate, Seedance, Veo, Wan,
};
use super::{ProviderConfig, RenderConfig, Renderer, TaskApi, TaskRenderer, VideoPolling};
use crate::model::AssetKind;
use crate::{Error, Result};

/// Every provider name a `SFD_*_PROVIDER` variable takes, with the
/// variables it reads (for `--help`, the README and errors).
pub const PROVIDERS: &[(&str, &str)] = &[
    (
        "seedance",
        "ARK_API_KEY, ARK_API_BASE (default the public Ark v3 base), SFD_VIDEO_MODEL",
    ),
    (
        "openai",
        "SFD_{KIND}_API_BASE, SFD_{KIND}_API_KEY or OPENAI_API_KEY, SFD_{KIND}_MODEL",
    ),
    ("simulated", "none (files made locally; demos and tests)"),
    (
        "gemini",
        "images: GEMINI_API_KEY, GEMINI_API_BASE, SFD_IMAGE_MODEL (default gemini-2.5-flash-image)",
    ),
    (
        "seedream",
        "images: ARK_API_KEY, ARK_API_BASE, SFD_IMAGE_MODEL (default doubao-seedream-4-0-250828)",
    ),
    (
        "elevenlabs",
        "speech: ELEVENLABS_API_KEY, ELEVENLABS_API_BASE, SFD_SPEECH_MODEL (default eleven_multilingual_v2)",
    ),
    (
        "minimax",
        "video: MINIMAX_API_KEY, MINIMAX_API_BASE, SFD_VIDEO_MODEL; speech (t2a_v2): SFD_SPEECH_MODEL (default speech-02-hd)",
    ),
];

/// The variable that names the provider of `kind`.
pub fn provider_var(kind: AssetKind) -> &'static str {
    match kind {
        AssetKind::Image => "SFD_IMAGE_PROVIDER",
        AssetKind::Video => "SFD_VIDEO_PROVIDER",
        AssetKind::Audio => "SFD_SPEECH_PROVIDER",
    }
}

/// Applies the `SFD_*_PROVIDER` names (and the keys of task providers) to
/// `config`, built from the other settings. `get` reads a trimmed,
/// non-empty variable.
pub(crate) fn apply(mut config: RenderConfig, get: &dyn Fn(&str) -> Option<String>) -> Result<RenderConfig> {
    let limit = match get("SFD_PROVIDER_CONCURRENCY") {
        None => 4,
        Some(v) => v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
            Error::Config(format!(
                "SFD_PROVIDER_CONCURRENCY must be a positive whole number, got '{v}'"
            ))
        })?,
    };
    let first = match get("SFD_POLL_INTERVAL") {
        None => Duration::from_secs(2),
        Some(v) => humantime::parse_duration(&v)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| Error::Config(format!("SFD_POLL_INTERVAL must be a duration such as 2s, got '{v}'")))?,
    };
    let timeout = get("SFD_VIDEO_TIMEOUT_SECS")
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::from_secs(900), Duration::from_secs);
    let polling = VideoPolling {
        first,
        max_interval: (first * 8).min(Duration::from_secs(15)).max(first),
        timeout,
    };
    let task =
        |api: Arc<dyn TaskApi>| -> Arc<dyn Renderer> { Arc::new(TaskRenderer::new(api, limit).with_polling(polling)) };
    // Their result URLs are fetched under the same rules as every provider's.
    let allow: Vec<String> = config.fetch_rules().origins().collect();
    for kind in AssetKind::ALL {
        let var = provider_var(kind);
        let named = get(var).map(|n| n.to_ascii_lowercase());
        let chosen = match named.as_deref() {
            Some(name) => Some(name.to_string()),
            // A key set for a provider renders the kinds nothing else does.
            None if config.renderer(kind).is_none() => keyed(kind)
                .iter()
                .find(|(_, key)| get(key).is_some())
                .map(|(name, _)| name.to_string()),
            None => None,
        };
        let Some(name) = chosen else { continue };
        let renderer: Option<Arc<dyn Renderer>> = match (name.as_str(), kind) {
            ("openai", _) => {
                if config.renderer(kind).is_none() {
                    return Err(Error::Config(format!(
                        "{var}=openai needs SFD_{}_API_BASE or OPENAI_API_KEY",
                        kind_word(kind)
                    )));
                }
                None
            }
            ("simulated", _) => Some(simulated(var)?),
            (name, kind) => match (
                direct(name, kind, var, get, &allow)?,
                task_api(name, kind, var, get, &allow)?,
            ) {
                (Some(r), _) => Some(r),
                (None, Some(api)) => Some(task(api)),
                (None, None) if PROVIDERS.iter().any(|(n, _)| *n == name) => {
                    return Err(Error::Config(format!("{var}: {name} does not make {kind} files")));
                }
                (None, None) => {
                    let names: Vec<&str> = PROVIDERS.iter().map(|(n, _)| *n).collect();
                    return Err(Error::Config(format!(
                        "{var}: '{name}' is not a provider; use one of {}",
                        names.join(", ")
                    )));
                }
            },
        };
        if let Some(r) = renderer {
            config = config.with_renderer(kind, r);
        }
    }
    Ok(config)
}

/// The video providers a key alone selects, in this order.
const KEYED: &[(&str, &str)] = &[
    ("seedance", "ARK_API_KEY"),
    ("veo", "GEMINI_API_KEY"),
    ("kling", "KLING_ACCESS_KEY"),
    ("wan", "DASHSCOPE_API_KEY"),
    ("minimax", "MINIMAX_API_KEY"),
    ("fal", "FAL_KEY"),
    ("replicate", "REPLICATE_API_TOKEN"),
];

/// The providers a key alone selects for `kind`, in this order.
fn keyed(kind: AssetKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        AssetKind::Video => KEYED,
        AssetKind::Image => &[("gemini", "GEMINI_API_KEY"), ("seedream", "ARK_API_KEY")],
        AssetKind::Audio => &[("elevenlabs", "ELEVENLABS_API_KEY"), ("minimax", "MINIMAX_API_KEY")],
    }
}

/// The provider `name` for `kind` that answers in one call (no task);
/// `None` when it is not one.
fn direct(
    name: &str,
    kind: AssetKind,
    var: &str,
    get: &dyn Fn(&str) -> Option<String>,
    allow: &[String],
) -> Result<Option<Arc<dyn Renderer>>> {
    use super::providers::{
        DEFAULT_ELEVENLABS_MODEL, DEFAULT_GEMINI_IMAGE_MODEL, DEFAULT_MINIMAX_SPEECH_MODEL, DEFAULT_SEEDREAM_MODEL,
        ELEVENLABS_API_BASE, ElevenLabs, GeminiImages, MiniMaxSpeech, Seedream,
    };
    let (base_var, default_base, key_var, default_model) = match (name, kind) {
        ("gemini", AssetKind::Image) => (
            "GEMINI_API_BASE",
            GEMINI_API_BASE,
            "GEMINI_API_KEY",
            DEFAULT_GEMINI_IMAGE_MODEL,
        ),
        ("seedream", AssetKind::Image) => ("ARK_API_BASE", ARK_API_BASE, "ARK_API_KEY", DEFAULT_SEEDREAM_MODEL),
        ("elevenlabs", AssetKind::Audio) => (
            "ELEVENLABS_API_BASE",
            ELEVENLABS_API_BASE,
            "ELEVENLABS_API_KEY",
            DEFAULT_ELEVENLABS_MODEL,
        ),
        ("minimax", AssetKind::Audio) => (
            "MINIMAX_API_BASE",
            MINIMAX_API_BASE,
            "MINIMAX_API_KEY",
            DEFAULT_MINIMAX_SPEECH_MODEL,
        ),
        _ => return Ok(None),
    };
    let key = get(key_var).ok_or_else(|| Error::Config(format!("{var}={name} needs {key_var}")))?;
    let base = get(base_var).unwrap_or_else(|| default_base.to_string());
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(Error::Config(format!(
            "{base_var} must be an http(s) URL, got '{base}'"
        )));
    }
    let model = get(&format!("SFD_{}_MODEL", kind_word(kind))).unwrap_or_else(|| default_model.to_string());
    let config = ProviderConfig::new(base, Some(key), model)
        .with_timeout(Duration::from_secs(120))
        .with_fetch_allow(allow.to_vec());
    let renderer: Arc<dyn Renderer> = match name {
        "gemini" => Arc::new(GeminiImages::new(config)?),
        "seedream" => Arc::new(Seedream::new(config)?),
        "elevenlabs" => Arc::new(ElevenLabs::new(config)?),
        _ => Arc::new(MiniMaxSpeech::new(config)?),
    };
    Ok(Some(renderer))
}

/// The task API `name` for `kind`; `None` when it has none for that kind.
fn task_api(
    name: &str,
    kind: AssetKind,
    var: &str,
    get: &dyn Fn(&str) -> Option<String>,
    allow: &[String],
) -> Result<Option<Arc<dyn TaskApi>>> {
    let need = |k: &str| get(k).ok_or_else(|| Error::Config(format!("{var}={name} needs {k}")));
    let base = |k: &str, default: &str| -> Result<String> {
        let b = get(k).unwrap_or_else(|| default.to_string());
        if b.starts_with("http://") || b.starts_with("https://") {
            Ok(b)
        } else {
            Err(Error::Config(format!("{k} must be an http(s) URL, got '{b}'")))
        }
    };
    let model_var = format!("SFD_{}_MODEL", kind_word(kind));
    let model = |default: &str| get(&model_var).unwrap_or_else(|| default.to_string());
    let slow = Duration::from_secs(120);
    let cfg = |b: String, key: Option<String>, m: String| {
        ProviderConfig::new(b, key, m)
            .with_timeout(slow)
            .with_fetch_allow(allow.to_vec())
    };
    let video = kind == AssetKind::Video;
    let api: Arc<dyn TaskApi> = match name {
        "seedance" if video => Arc::new(Seedance::new(cfg(
            base("ARK_API_BASE", ARK_API_BASE)?,
            Some(need("ARK_API_KEY")?),
            model(DEFAULT_SEEDANCE_MODEL),
        ))?),
        "veo" if video => Arc::new(Veo::new(cfg(
            base("GEMINI_API_BASE", GEMINI_API_BASE)?,
            Some(need("GEMINI_API_KEY")?),
            model(DEFAULT_VEO_MODEL),
        ))?),
        "kling" if video => Arc::new(Kling::new(
            cfg(
                base("KLING_API_BASE", KLING_API_BASE)?,
                None,
                model(DEFAULT_KLING_MODEL),
            ),
            need("KLING_ACCESS_KEY")?,
            need("KLING_SECRET_KEY")?,
        )?),
        "wan" if video => Arc::new(Wan::new(cfg(
            base("DASHSCOPE_API_BASE", DASHSCOPE_API_BASE)?,
            Some(need("DASHSCOPE_API_KEY")?),
            model(DEFAULT_WAN_MODEL),
        ))?),
        "minimax" if video => Arc::new(MiniMax::new(cfg(
            base("MINIMAX_API_BASE", MINIMAX_API_BASE)?,
            Some(need("MINIMAX_API_KEY")?),
            model(DEFAULT_MINIMAX_MODEL),
        ))?),
        "fal" => Arc::new(Fal::new(cfg(
            base("FAL_API_BASE", FAL_QUEUE_BASE)?,
            Some(need("FAL_KEY")?),
            need(&model_var)?,
        ))?),
        "replicate" => Arc::new(Replicate::new(cfg(
            base("REPLICATE_API_BASE", REPLICATE_API_BASE)?,
            Some(need("REPLICATE_API_TOKEN")?),
            need(&model_var)?,
        ))?),
        "comfyui" => {
            let path = need("SFD_COMFYUI_WORKFLOW")?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::Config(format!("SFD_COMFYUI_WORKFLOW: cannot read '{path}': {e}")))?;
            let m = get(&model_var).unwrap_or_else(|| "comfyui-workflow".into());
            Arc::new(ComfyUi::new(
                cfg(base("SFD_COMFYUI_URL", "http://127.0.0.1:8188")?, None, m),
                &text,
            )?)
        }
        _ => return Ok(None),
    };
    Ok(Some(api))
}

fn kind_word(kind: AssetKind) -> &'static str {
    match kind {
        AssetKind::Image => "IMAGE",
        AssetKind::Video => "VIDEO",
        AssetKind::Audio => "SPEECH",
    }
}

#[cfg(feature = "simulator")]
fn simulated(_var: &str) -> Result<Arc<dyn Renderer>> {
    Ok(Arc::new(super::SimulatedRenderer::new()))
}

#[cfg(not(feature = "simulator"))]
fn simulated(var: &str) -> Result<Arc<dyn Renderer>> {
    Err(Error::Config(format!(
        "{var}=simulated needs sfd built with the simulator feature"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let owned: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn a_named_provider_or_a_key_chooses_and_mistakes_name_their_variable() {
        let c = RenderConfig::from_env_vars(env(&[("ARK_API_KEY", "ark-secret-1")])).unwrap();
        let video = c.renderer(AssetKind::Video).unwrap();
        assert_eq!((video.provider(), video.model()), ("seedance", DEFAULT_SEEDANCE_MODEL));
        assert!(video.tasks().is_some());
        assert!(!format!("{c:?} {video:?}").contains("ark-secret-1"));
        for (pairs, provider, model) in [
            (&[("GEMINI_API_KEY", "g-secret")][..], "veo", DEFAULT_VEO_MODEL),
            (
                &[("KLING_ACCESS_KEY", "ak"), ("KLING_SECRET_KEY", "k-secret")][..],
                "kling",
                DEFAULT_KLING_MODEL,
            ),
            (&[("DASHSCOPE_API_KEY", "d-secret")][..], "wan", DEFAULT_WAN_MODEL),
            (&[("MINIMAX_API_KEY", "m-secret")][..], "minimax", DEFAULT_MINIMAX_MODEL),
            (
                &[("FAL_KEY", "f-secret"), ("SFD_VIDEO_MODEL", "fal-ai/veo3")][..],
                "fal",
                "fal-ai/veo3",
            ),
            (
                &[("REPLICATE_API_TOKEN", "r-secret"), ("SFD_VIDEO_MODEL", "google/veo-3")][..],
                "replicate",
                "google/veo-3",
            ),
        ] {
            let c = RenderConfig::from_env_vars(env(pairs)).unwrap();
            let v = c.renderer(AssetKind::Video).unwrap();
            assert_eq!((v.provider(), v.model()), (provider, model));
            assert!(!format!("{c:?} {v:?}").contains("secret"), "{v:?}");
        }
        // Image and speech providers: named, or chosen by their key.
        for (pairs, kind, provider) in [
            (
                &[("SFD_IMAGE_PROVIDER", "gemini"), ("GEMINI_API_KEY", "g-secret")][..],
                AssetKind::Image,
                "gemini",
            ),
            (&[("ARK_API_KEY", "a-secret")][..], AssetKind::Image, "seedream"),
            (
                &[("ELEVENLABS_API_KEY", "e-secret")][..],
                AssetKind::Audio,
                "elevenlabs",
            ),
            (
                &[("SFD_SPEECH_PROVIDER", "minimax"), ("MINIMAX_API_KEY", "m-secret")][..],
                AssetKind::Audio,
                "minimax",
            ),
            (
                &[
                    ("SFD_IMAGE_PROVIDER", "fal"),
                    ("FAL_KEY", "f-secret"),
                    ("SFD_IMAGE_MODEL", "fal-ai/nano-banana/edit"),
                    ("SFD_VIDEO_MODEL", "fal-ai/veo3"),
                ][..],
                AssetKind::Image,
                "fal",
            ),
        ] {
            let c = RenderConfig::from_env_vars(env(pairs)).unwrap();
            let r = c.renderer(kind).unwrap();
            assert_eq!(r.provider(), provider);
            assert!(!format!("{c:?} {r:?}").contains("secret"), "{r:?}");
        }
        let e = RenderConfig::from_env_vars(env(&[("SFD_SPEECH_PROVIDER", "elevenlabs")])).unwrap_err();
        assert!(e.to_string().contains("ELEVENLABS_API_KEY"), "{e}");
        let c = RenderConfig::from_env_vars(env(&[("SFD_IMAGE_PROVIDER", "simulated")])).unwrap();
        assert_eq!(c.renderer(AssetKind::Image).unwrap().provider(), "simulated");
        for (pairs, needle) in [
            (&[("SFD_VIDEO_PROVIDER", "seedance")][..], "ARK_API_KEY"),
            (
                &[("SFD_VIDEO_PROVIDER", "sora9")][..],
                "SFD_VIDEO_PROVIDER: 'sora9' is not a provider",
            ),
            (
                &[("SFD_IMAGE_PROVIDER", "seedance"), ("ARK_API_KEY", "k")][..],
                "does not make image",
            ),
            (&[("SFD_POLL_INTERVAL", "soon")][..], "SFD_POLL_INTERVAL"),
            (&[("SFD_PROVIDER_CONCURRENCY", "0")][..], "SFD_PROVIDER_CONCURRENCY"),
            (
                &[("SFD_VIDEO_PROVIDER", "fal"), ("FAL_KEY", "k")][..],
                "needs SFD_VIDEO_MODEL",
            ),
            (&[("SFD_VIDEO_PROVIDER", "comfyui")][..], "SFD_COMFYUI_WORKFLOW"),
            (
                &[("SFD_VIDEO_PROVIDER", "kling"), ("KLING_ACCESS_KEY", "a")][..],
                "KLING_SECRET_KEY",
            ),
        ] {
            let e = RenderConfig::from_env_vars(env(pairs)).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn the_plan_costs_veo_and_fal_clips() {
        use crate::model::{Asset, Drama, Episode, Scene};
        let mut d = Drama::new("d", "t", "x", "p");
        let mut sc = Scene::new("s1", "x");
        sc.assets.push(Asset::new("s1-vid", AssetKind::Video, "a corgi runs"));
        let mut ep = Episode::new("ep1", "t", "x");
        ep.scenes.push(sc);
        d.episodes.push(ep);
        for pairs in [
            &[("GEMINI_API_KEY", "g")][..],
            &[
                ("FAL_KEY", "f"),
                ("SFD_VIDEO_MODEL", "fal-ai/kling-video/v2.5-turbo/pro/image-to-video"),
                // The shot gains a keyframe; fal here draws only clips.
                ("SFD_IMAGE_PROVIDER", "simulated"),
            ][..],
        ] {
            let c = RenderConfig::from_env_vars(env(pairs)).unwrap();
            let plan = super::super::plan_render(&d, &Default::default(), &c).unwrap();
            let node = plan.nodes.iter().find(|n| n.asset_id == "s1-vid").unwrap();
            let seconds = node
                .sent
                .as_ref()
                .and_then(|s| s.duration_seconds)
                .unwrap_or_else(|| panic!("{pairs:?}: {node:?}"));
            assert!(seconds > 0, "{node:?}");
            assert!(node.estimated_cost_usd > 0.0, "{pairs:?}: {node:?}");
            assert!(plan.estimated_cost_usd >= node.estimated_cost_usd);
        }
    }
}
