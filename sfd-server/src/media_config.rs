//! The media settings of the server: one flag per variable of the render
//! core (so `--help` lists each), the upload limit, and the simulated
//! renderer for demos.

use std::collections::BTreeMap;

use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};
use sfd_core::{AssetKind, RENDER_SETTINGS, RenderConfig};

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
    #[arg(long, env = "SFD_MEDIA_LIMIT", value_name = "BYTES", default_value_t = crate::http::DEFAULT_MEDIA_LIMIT)]
    pub media_limit: u64,
    /// The render core's settings, one flag each (see [`RENDER_SETTINGS`]).
    #[command(flatten)]
    pub render: RenderSettings,
}

/// The values of the render core's settings given as flags or in the
/// environment, by variable name. Not `Debug`: it holds keys.
#[derive(Clone, Default)]
pub struct RenderSettings(BTreeMap<&'static str, String>);

impl FromArgMatches for RenderSettings {
    fn from_arg_matches(matches: &ArgMatches) -> std::result::Result<Self, clap::Error> {
        let given = RENDER_SETTINGS
            .iter()
            .filter_map(|s| Some((s.env, matches.get_one::<String>(s.env)?.clone())));
        Ok(RenderSettings(given.collect()))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> std::result::Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for RenderSettings {
    fn augment_args(cmd: Command) -> Command {
        RENDER_SETTINGS.iter().fold(cmd, |cmd, s| {
            cmd.arg(
                Arg::new(s.env)
                    .long(s.flag)
                    .env(s.env)
                    .value_name(s.value_name)
                    .help(s.help)
                    .hide_env_values(s.secret),
            )
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl RenderSettings {
    /// Whether `kind` has a provider named explicitly (other than `simulated`).
    fn names_real(&self, kind: AssetKind) -> bool {
        self.0
            .get(sfd_core::provider_var(kind))
            .is_some_and(|n| !n.trim().is_empty() && !n.trim().eq_ignore_ascii_case("simulated"))
    }
}

impl MediaConfig {
    /// Checks every media setting and builds the renderers. `openai` gives
    /// the LLM's key and base, which images and speech fall back to.
    pub fn render_config(&self, openai_key: Option<&str>, openai_base: Option<&str>) -> Result<RenderConfig> {
        if self.media_limit == 0 {
            return Err(Error::Config("SFD_MEDIA_LIMIT must be at least 1 byte".into()));
        }
        let get = |k: &str| match k {
            "OPENAI_API_KEY" => openai_key.map(str::to_string),
            "OPENAI_API_BASE" => openai_base.map(str::to_string),
            other => self.render.0.get(other).cloned(),
        };
        let mut config = RenderConfig::from_env_vars(get)?;
        if self.simulated_media {
            tracing::warn!("using the SIMULATED renderer: media files are placeholders made locally");
            let simulated = RenderConfig::simulated();
            // A kind whose provider is named stays real.
            for kind in AssetKind::ALL.into_iter().filter(|k| !self.render.names_real(*k)) {
                if let Some(r) = simulated.renderer(kind) {
                    config = config.with_renderer(kind, r.clone());
                }
            }
            // Simulated images are judged by the simulated judge, unless one is named.
            if config.best_of().judge.is_none() && !self.render.names_real(AssetKind::Image) {
                config = config.with_judge(std::sync::Arc::new(sfd_core::SimulatedJudge));
            }
        }
        if config.best_of().candidates > 1 && config.best_of().judge.is_none() {
            return Err(Error::Config(
                "SFD_RENDER_CANDIDATES above 1 needs a judge: set SFD_JUDGE_API_BASE and SFD_JUDGE_MODEL".into(),
            ));
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
