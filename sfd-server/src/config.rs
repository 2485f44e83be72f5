//! Configuration from flags and the old server's environment names, checked
//! whole at start so a bad value fails fast and names its variable.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use sfd_core::{Llm, ObjectStorage, OpenAiConfig, OpenAiLlm, RunnerConfig, Storage, StorageBuilder, Studio};

use crate::{AppState, Error, Result};

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Every setting of the server. Each flag can also be set by the
/// environment variable named in `--help`; an old `.env` works unchanged.
#[derive(Clone, Parser)]
#[command(
    name = "sfd-server",
    version,
    about = "The sfd HTTP/OpenAPI server for AI short-form dramas"
)]
pub struct Config {
    /// Address to listen on. Default: 127.0.0.1, or 0.0.0.0 when the
    /// platform sets PORT or ENVIRONMENT=production, so a container is
    /// reachable from outside.
    #[arg(long, env = "HOST", value_name = "ADDR")]
    pub host: Option<String>,
    /// Port to listen on.
    #[arg(long, env = "PORT", value_name = "PORT", default_value_t = 8000)]
    pub port: u16,
    /// Storage URL: a folder, memory://, or s3://bucket/prefix?endpoint=…; overrides R2_* and --data-dir.
    #[arg(long, env = "SFD_STORAGE", value_name = "URL")]
    pub storage: Option<String>,
    /// The local folder used when no S3 / R2 storage is configured.
    #[arg(long, env = "SFD_DATA_DIR", value_name = "DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Flush local writes to disk before answering (durable on power loss).
    #[arg(long, env = "SFD_FSYNC", default_value_t = false)]
    pub fsync: bool,
    /// Commit concurrent edits of one drama together: one read, one
    /// conditional write for the whole batch (`0` / `false` turns it off).
    #[arg(long, env = "SFD_GROUP_COMMIT", value_name = "BOOL", default_value = "true",
          action = clap::ArgAction::Set, value_parser = clap::builder::FalseyValueParser::new())]
    pub group_commit: bool,
    /// Bytes of memory for cached dramas (default 64 MiB); 0 turns the cache off.
    #[arg(long, env = "SFD_CACHE_BYTES", value_name = "BYTES", default_value_t = sfd_core::DEFAULT_CACHE_BYTES)]
    pub cache_bytes: usize,
    /// Serve a cached drama for this many ms without asking the store
    /// whether another process changed it; 0 (the default) asks on every read.
    #[arg(long, env = "SFD_CACHE_TTL_MS", value_name = "MS", default_value_t = 0)]
    pub cache_ttl_ms: u64,
    /// Keep each drama's summary in its own small object so a listing page
    /// reads `limit` small objects (`0` / `false` reads whole dramas; run
    /// --repair-summaries before turning it on again).
    #[arg(long, env = "SFD_SUMMARIES", value_name = "BOOL", default_value = "true",
          action = clap::ArgAction::Set, value_parser = clap::builder::FalseyValueParser::new())]
    pub summaries: bool,
    /// Rebuild missing or out-of-date drama summaries (and remove those of
    /// deleted dramas), print what was done as JSON, and exit.
    #[arg(long)]
    pub repair_summaries: bool,
    /// Comma-separated API keys; empty turns auth off.
    #[arg(
        long,
        env = "API_KEYS",
        value_name = "KEYS",
        default_value = "",
        hide_env_values = true
    )]
    pub api_keys: String,
    /// Deployment name (development, staging, production).
    #[arg(long, env = "ENVIRONMENT", default_value = "development")]
    pub environment: String,
    /// Run with ENVIRONMENT=production and no API_KEYS (auth off) on purpose;
    /// without it such a server refuses to start.
    #[arg(long, env = "SFD_ALLOW_OPEN", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_open: bool,
    /// Comma-separated origins allowed by CORS; `*` for any (never with
    /// credentials: the API key travels in a header, not a cookie).
    #[arg(long, env = "CORS_ORIGINS", value_name = "ORIGINS", default_value = "*")]
    pub cors_origins: String,
    /// Largest JSON request body in bytes (default 2 MiB).
    #[arg(long, env = "SFD_BODY_LIMIT", value_name = "BYTES", default_value_t = crate::http::DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// Requests per second allowed to each client (API key, or address when auth is off); 0 is unlimited.
    #[arg(long, env = "SFD_RATE_LIMIT", value_name = "PER_SECOND", default_value_t = 0.0)]
    pub rate_limit: f64,
    /// Jobs working at once in this process; a job only waiting on a
    /// provider (an LLM answer, a video task) holds no slot meanwhile.
    #[arg(long, env = "SFD_JOB_CONCURRENCY", value_name = "N", default_value_t = 16)]
    pub job_concurrency: usize,
    /// How long a job's claim holds without renewal (e.g. 30s); another
    /// process takes over a job whose runner died after this long.
    #[arg(long, env = "SFD_JOB_LEASE", value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    pub job_lease: std::time::Duration,
    /// The longest a job may run (e.g. 2h), counted from when a runner
    /// starts it, not while it waits in the queue.
    #[arg(long, env = "SFD_JOB_TIMEOUT", value_name = "DURATION", default_value = "30m", value_parser = job_timeout)]
    pub job_timeout: std::time::Duration,
    /// A stable name for this process's job runner, unique among live
    /// processes; after a crash and restart, the jobs it left running resume
    /// at once. Default: HOSTNAME:PORT (none when the port is 0).
    #[arg(long, env = "SFD_RUNNER_ID", value_name = "NAME")]
    pub runner_id: Option<String>,
    /// Serve /metrics without an API key even when API_KEYS is set.
    #[arg(long, env = "SFD_METRICS_PUBLIC", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub metrics_public: bool,
    /// Log format: `json` writes one JSON object per line, one per request
    /// with request_id, method, route, path, status, duration_ms, drama_id, job_id.
    #[arg(long, env = "SFD_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// OpenAI (or compatible) API key.
    #[arg(long, env = "OPENAI_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub openai_api_key: Option<String>,
    /// OpenAI-compatible API base URL (vLLM, llama.cpp, Ollama…).
    #[arg(long, env = "OPENAI_API_BASE", value_name = "URL")]
    pub openai_api_base: Option<String>,
    /// The model.
    #[arg(long, env = "GPT_MODEL", value_name = "MODEL")]
    pub gpt_model: Option<String>,
    /// Seconds one LLM call may take once sent (default 600). A local model
    /// writing a long episode may need more; the time a call waits its turn
    /// (--llm-concurrency) does not count.
    #[arg(long, env = "OPENAI_TIMEOUT_SECS", value_name = "SECONDS")]
    pub openai_timeout_secs: Option<String>,
    /// Requests per LLM call before it fails (default 5): 429s, 5xx answers
    /// and lost connections are retried; a call that timed out waiting for
    /// the model is sent again only once.
    #[arg(long, env = "SFD_LLM_ATTEMPTS", value_name = "N")]
    pub llm_attempts: Option<String>,
    /// The most LLM calls in flight at once to the LLM server (default: no
    /// limit). Set it to the server's parallel slots (llama.cpp --parallel,
    /// OLLAMA_NUM_PARALLEL; 1 for a server that answers one at a time).
    /// Calls beyond it wait their turn, and the wait is not part of their timeout.
    #[arg(long, env = "SFD_LLM_CONCURRENCY", value_name = "N")]
    pub llm_concurrency: Option<String>,
    /// The `provider` label of the LLM metrics (default: the host of
    /// OPENAI_API_BASE, e.g. api.openai.com or 127.0.0.1:8080).
    #[arg(long, env = "SFD_LLM_LABEL", value_name = "LABEL")]
    pub llm_label: Option<String>,
    /// Use the simulated LLM (demos and tests without a key; never the default).
    #[arg(long, env = "SFD_SIMULATED_LLM", default_value_t = false)]
    pub simulated_llm: bool,
    /// Renderers, media URLs and the upload limit.
    #[command(flatten)]
    pub media: crate::media_config::MediaConfig,
    /// Move what the old server's later versions stored (dramas at
    /// dramas/{id}/drama.json, job records at jobs/{jobId}.json, the listing
    /// index) into sfd's layout, print one line per item, and exit. Safe
    /// while servers run; sfd reads the old layout without it.
    #[arg(long, default_value_t = false)]
    pub migrate: bool,
    /// With --migrate: only report what would move; change nothing.
    #[arg(long, requires = "migrate", default_value_t = false)]
    pub dry_run: bool,
    /// Run something other than the HTTP server (`mcp`: MCP over stdio).
    #[command(subcommand)]
    pub command: Option<crate::mcp::Command>,
}

impl std::fmt::Debug for Config {
    // Keys stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "storage",
                &self.storage.as_ref().map(|s| s.split('?').next().unwrap_or_default()),
            )
            .field("data_dir", &self.data_dir)
            .field("group_commit", &self.group_commit)
            .field("cache_bytes", &self.cache_bytes)
            .field("cache_ttl_ms", &self.cache_ttl_ms)
            .field("summaries", &self.summaries)
            .field("api_keys", &format!("{} configured", self.keys().len()))
            .field("environment", &self.environment)
            .field("gpt_model", &self.gpt_model)
            .field("openai_timeout_secs", &self.openai_timeout_secs)
            .field("llm_attempts", &self.llm_attempts)
            .field("llm_concurrency", &self.llm_concurrency)
            .field("llm_label", &self.llm_label)
            .field("job_lease", &self.job_lease)
            .field("job_timeout", &self.job_timeout)
            .field("runner_id", &self.runner_id)
            .finish_non_exhaustive()
    }
}

/// The address to listen on when `HOST` is not set: every interface when
/// the platform chose the port (`PORT` in the environment) or in production,
/// the loopback otherwise.
fn default_host(port_from_environment: bool, environment: &str) -> &'static str {
    if port_from_environment || environment.trim().eq_ignore_ascii_case("production") {
        "0.0.0.0"
    } else {
        "127.0.0.1"
    }
}

/// An environment variable, unless it is unset or blank (an old `.env`
/// may hold `R2_ACCESS_KEY_ID=` lines).
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    /// The address to bind.
    pub fn addr(&self) -> String {
        let host = match self.host.as_deref().map(str::trim) {
            Some(h) if !h.is_empty() => h,
            _ => default_host(env_var("PORT").is_some(), &self.environment),
        };
        format!("{host}:{}", self.port)
    }

    /// The runner identity: `SFD_RUNNER_ID`, or `{hostname}:{port}`, which
    /// stays the same across restarts and no two live processes share.
    fn runner_identity(&self) -> Option<String> {
        if let Some(id) = self.runner_id.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
            return Some(id.to_string());
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| env_var("HOSTNAME"))
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())?;
        (self.port != 0).then(|| format!("{host}:{}", self.port))
    }

    fn keys(&self) -> Vec<String> {
        self.api_keys
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn storage(&self) -> Result<Arc<dyn Storage>> {
        Ok(Arc::new(self.object_storage()?))
    }

    /// The configured storage as its implementation (what `--migrate` works on).
    pub(crate) fn object_storage(&self) -> Result<ObjectStorage> {
        let builder = match &self.storage {
            Some(url) => StorageBuilder::from_url(url).map_err(|e| Error::Config(format!("SFD_STORAGE: {e}")))?,
            None if env_var("R2_ACCESS_KEY_ID").is_some() || env_var("R2_ENDPOINT_URL").is_some() => {
                StorageBuilder::from_env_vars(env_var)?
            }
            None => StorageBuilder::local(&self.data_dir),
        };
        let ttl = (self.cache_ttl_ms > 0).then(|| std::time::Duration::from_millis(self.cache_ttl_ms));
        let storage = builder
            .with_fsync(self.fsync)
            .with_group_commit(self.group_commit)
            .with_cache_bytes(self.cache_bytes)
            .with_cache_ttl(ttl)
            .with_summaries(self.summaries)
            .build()?;
        tracing::info!(backend = %sfd_core::Storage::describe(&storage), "storage ready");
        Ok(storage)
    }

    fn llm(&self) -> Result<Option<Arc<dyn Llm>>> {
        if self.simulated_llm {
            tracing::warn!("using the SIMULATED LLM: generated dramas are placeholders");
            return Ok(Some(Arc::new(sfd_core::SimulatedLlm::instant())));
        }
        let get = |k: &str| match k {
            "OPENAI_API_KEY" => self.openai_api_key.clone(),
            "OPENAI_API_BASE" => self.openai_api_base.clone(),
            "GPT_MODEL" => self.gpt_model.clone(),
            "OPENAI_TIMEOUT_SECS" => self.openai_timeout_secs.clone(),
            "SFD_LLM_ATTEMPTS" => self.llm_attempts.clone(),
            "SFD_LLM_CONCURRENCY" => self.llm_concurrency.clone(),
            "SFD_LLM_LABEL" => self.llm_label.clone(),
            other => std::env::var(other).ok(),
        };
        match OpenAiConfig::from_env_vars(get)? {
            Some(c) => {
                tracing::info!(api_base = c.api_base(), model = c.model(), "LLM configured");
                Ok(Some(Arc::new(OpenAiLlm::new(c)?)))
            }
            None => {
                tracing::warn!("no LLM configured (set OPENAI_API_KEY): generation requests will answer 503");
                Ok(None)
            }
        }
    }

    /// `--repair-summaries`: rebuilds the drama summaries of the configured
    /// storage and returns what was done.
    pub async fn repair_summaries(&self) -> Result<sfd_core::SummaryRepair> {
        let storage = self.storage()?;
        Ok(sfd_core::StorageExt::repair_summaries(storage.as_ref()).await?)
    }

    /// Checks every setting and builds the server state (storage, LLM, job runner).
    /// Must be called inside a tokio runtime.
    pub fn build_state(&self) -> Result<AppState> {
        if self.body_limit == 0 {
            return Err(Error::Config("SFD_BODY_LIMIT must be at least 1 byte".into()));
        }
        if !(self.rate_limit >= 0.0 && self.rate_limit.is_finite()) {
            return Err(Error::Config(
                "SFD_RATE_LIMIT must be a number of requests per second, 0 or more".into(),
            ));
        }
        if self.job_concurrency == 0 {
            return Err(Error::Config("SFD_JOB_CONCURRENCY must be at least 1".into()));
        }
        let production = self.environment.trim().eq_ignore_ascii_case("production");
        if production && self.keys().is_empty() && !self.allow_open {
            return Err(Error::Config(
                "ENVIRONMENT=production with no API_KEYS would serve every drama to anyone: \
                 set API_KEYS, or SFD_ALLOW_OPEN=1 to run without authentication on purpose"
                    .into(),
            ));
        }
        let render = self
            .media
            .render_config(self.openai_api_key.as_deref(), self.openai_api_base.as_deref())?;
        let storage = self.storage()?;
        let llm = self.llm()?;
        let keys = self.keys();
        if keys.is_empty() {
            tracing::warn!(environment = %self.environment, "API_KEYS is empty: authentication is OFF");
        }
        if self.job_timeout < std::time::Duration::from_secs(1) {
            return Err(Error::Config("SFD_JOB_TIMEOUT must be at least 1s".into()));
        }
        if self.job_lease < std::time::Duration::from_millis(300) {
            return Err(Error::Config("SFD_JOB_LEASE must be at least 300ms".into()));
        }
        let runner = RunnerConfig {
            concurrency: self.job_concurrency,
            lease: self.job_lease,
            job_timeout: self.job_timeout,
            identity: self.runner_identity(),
            ..Default::default()
        };
        let origins = self
            .cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect();
        let studio = Studio::builder(storage)
            .with_llm_option(llm)
            .with_render(render)
            .with_runner_config(runner)
            .start();
        Ok(AppState::new(studio)
            .with_media_limit(self.media.media_limit)
            .with_api_keys(keys)
            .with_body_limit(self.body_limit)
            .with_cors_origins(origins)
            .with_rate_limit(self.rate_limit)
            .with_metrics_public(self.metrics_public))
    }
}

/// Sets up logging: `RUST_LOG` filters (default `info`), text or JSON lines.
/// A JSON line is `{"timestamp", "level", "fields": {"message", ...}}`;
/// the access log's fields are listed in the README.
pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// [`init_tracing`] writing to stderr, for when stdout carries a protocol (`sfd-server mcp`).
pub fn init_tracing_to_stderr(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// `SFD_JOB_TIMEOUT`: a duration such as `2h`, named in the error.
fn job_timeout(v: &str) -> std::result::Result<std::time::Duration, String> {
    humantime::parse_duration(v).map_err(|_| format!("SFD_JOB_TIMEOUT must be a duration such as 2h, got '{v}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_keys_stay_hidden() {
        let c = Config::try_parse_from([
            "sfd-server",
            "--port",
            "9000",
            "--api-keys",
            "k1, k2",
            "--openai-api-key",
            "sk-secret",
        ])
        .unwrap();
        assert_eq!(c.addr(), "127.0.0.1:9000");
        assert_eq!(c.keys(), ["k1", "k2"]);
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("sk-secret") && !dbg.contains("k1"), "{dbg}");
        let err = Config::try_parse_from(["sfd-server", "--port", "eighty"])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("PORT"), "{err}");
    }

    #[test]
    fn containers_listen_on_every_interface() {
        assert_eq!(default_host(false, "development"), "127.0.0.1");
        assert_eq!(default_host(true, "development"), "0.0.0.0");
        assert_eq!(default_host(false, "Production"), "0.0.0.0");
        let c = Config::try_parse_from(["sfd-server", "--host", "10.1.2.3", "--environment", "production"]).unwrap();
        assert!(c.addr().starts_with("10.1.2.3:"));
    }

    #[test]
    fn dry_run_needs_migrate() {
        let c = Config::try_parse_from(["sfd-server", "--migrate", "--dry-run"]).unwrap();
        assert!(c.migrate && c.dry_run);
        assert!(Config::try_parse_from(["sfd-server", "--dry-run"]).is_err());
    }

    #[test]
    fn group_commit_and_the_cache_can_be_switched_off() {
        let d = Config::try_parse_from(["sfd-server"]).unwrap();
        assert!(d.group_commit);
        assert_eq!((d.cache_bytes, d.cache_ttl_ms), (sfd_core::DEFAULT_CACHE_BYTES, 0));
        let off = [
            "sfd-server",
            "--group-commit",
            "0",
            "--cache-bytes",
            "0",
            "--cache-ttl-ms",
            "1000",
        ];
        let c = Config::try_parse_from(off).unwrap();
        assert!(!c.group_commit);
        assert_eq!((c.cache_bytes, c.cache_ttl_ms), (0, 1000));
        assert!(
            !Config::try_parse_from(["sfd-server", "--group-commit", "false"])
                .unwrap()
                .group_commit
        );
    }
}
