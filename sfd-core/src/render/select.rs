//! Choosing a provider per kind: `SFD_VIDEO_PROVIDER`, `SFD_IMAGE_PROVIDER`
//! and `SFD_SPEECH_PROVIDER` name one; without a name, a provider whose
//! key is set is used for the kinds nothing else renders. A kind named
//! explicitly wins over the simulated renderer for that kind (the server's
//! `--simulated-media`), so one kind can be real and the others simulated.

use std::sync::Arc;
use std::time::Duration;

use super::providers::{ARK_API_BASE, DEFAULT_SEEDANCE_MODEL, Seedance};
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
    for kind in AssetKind::ALL {
        let var = provider_var(kind);
        let named = get(var).map(|n| n.to_ascii_lowercase());
        let chosen = match named.as_deref() {
            Some(name) => Some(name.to_string()),
            // A key set for a task provider renders the kinds nothing else does.
            None if config.renderer(kind).is_none() && kind == AssetKind::Video && get("ARK_API_KEY").is_some() => {
                Some("seedance".to_string())
            }
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
            ("seedance", AssetKind::Video) => {
                let key =
                    get("ARK_API_KEY").ok_or_else(|| Error::Config(format!("{var}=seedance needs ARK_API_KEY")))?;
                let base = get("ARK_API_BASE").unwrap_or_else(|| ARK_API_BASE.into());
                if !(base.starts_with("http://") || base.starts_with("https://")) {
                    return Err(Error::Config(format!(
                        "ARK_API_BASE must be an http(s) URL, got '{base}'"
                    )));
                }
                let model = get("SFD_VIDEO_MODEL").unwrap_or_else(|| DEFAULT_SEEDANCE_MODEL.into());
                let config = ProviderConfig::new(base, Some(key), model).with_timeout(Duration::from_secs(120));
                Some(task(Arc::new(Seedance::new(config)?)))
            }
            (other, _) if PROVIDERS.iter().any(|(n, _)| *n == other) => {
                return Err(Error::Config(format!("{var}: {other} does not make {kind} files")));
            }
            (other, _) => {
                let names: Vec<&str> = PROVIDERS.iter().map(|(n, _)| *n).collect();
                return Err(Error::Config(format!(
                    "{var}: '{other}' is not a provider; use one of {}",
                    names.join(", ")
                )));
            }
        };
        if let Some(r) = renderer {
            config = config.with_renderer(kind, r);
        }
    }
    Ok(config)
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
        ] {
            let e = RenderConfig::from_env_vars(env(pairs)).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }
}
