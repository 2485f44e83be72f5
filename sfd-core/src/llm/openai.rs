//! [`OpenAiLlm`]: chat completions over reqwest, for OpenAI and any
//! OpenAI-compatible server (vLLM, llama.cpp, Ollama).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::http::{self, Gate, scrub};
use super::{ChatRequest, ChatResponse, FinishReason, Llm, ProviderConfig, RetryPolicy, Usage};
use crate::{Error, LlmErrorKind, Result};

/// The OpenAI API.
pub const DEFAULT_API_BASE: &str = "https://api.openai.com/v1";
/// The model used when `GPT_MODEL` is not set.
pub const DEFAULT_MODEL: &str = "gpt-5";

/// The setting of one call's timeout, in seconds.
const TIMEOUT_SETTING: &str = "OPENAI_TIMEOUT_SECS";
/// The setting of the most calls in flight to the LLM server.
const CONCURRENCY_SETTING: &str = "SFD_LLM_CONCURRENCY";

/// How to reach an OpenAI-compatible chat-completions API.
#[derive(Clone)]
pub struct OpenAiConfig {
    endpoint: ProviderConfig,
    reasoning_effort: Option<String>,
    concurrency: Option<usize>,
    label: Option<String>,
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("endpoint", &self.endpoint)
            .field("reasoning_effort", &self.reasoning_effort)
            .field("concurrency", &self.concurrency)
            .field("label", &self.label)
            .finish()
    }
}

impl OpenAiConfig {
    /// OpenAI with this key, the default model and a 10-minute timeout.
    pub fn new(api_key: impl Into<String>) -> Self {
        OpenAiConfig {
            endpoint: ProviderConfig::new(DEFAULT_API_BASE, Some(api_key.into()), DEFAULT_MODEL)
                .with_timeout(Duration::from_secs(600)),
            reasoning_effort: None,
            concurrency: None,
            label: None,
        }
    }

    /// Reads `OPENAI_API_KEY`, `OPENAI_API_BASE` and `GPT_MODEL`, plus
    /// `OPENAI_TIMEOUT_SECS`, `OPENAI_REASONING_EFFORT`, `SFD_LLM_ATTEMPTS`,
    /// `SFD_LLM_CONCURRENCY` and `SFD_LLM_LABEL`. `None` when neither a key nor a base URL
    /// is set (no LLM configured).
    ///
    /// `var` reads one variable; pass `|k| std::env::var(k).ok()`.
    pub fn from_env_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let get = |k: &str| var(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let key = get("OPENAI_API_KEY");
        let base = get("OPENAI_API_BASE");
        if key.is_none() && base.is_none() {
            return Ok(None);
        }
        let mut c = OpenAiConfig::new(key.unwrap_or_default());
        if let Some(base) = base {
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return Err(Error::Config(format!(
                    "OPENAI_API_BASE must be an http(s) URL, got '{base}'"
                )));
            }
            c = c.with_api_base(base);
        }
        if let Some(model) = get("GPT_MODEL") {
            c = c.with_model(model);
        }
        let positive = |k: &str| -> Result<Option<u64>> {
            get(k)
                .map(|v| {
                    v.parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| Error::Config(format!("{k} must be a positive whole number, got '{v}'")))
                })
                .transpose()
        };
        if let Some(secs) = positive(TIMEOUT_SETTING)? {
            c = c.with_timeout(Duration::from_secs(secs));
        }
        if let Some(n) = positive("SFD_LLM_ATTEMPTS")? {
            c = c.with_retry(RetryPolicy::attempts(n.min(100) as u32));
        }
        if let Some(n) = positive(CONCURRENCY_SETTING)? {
            c = c.with_concurrency(n as usize);
        }
        c.reasoning_effort = get("OPENAI_REASONING_EFFORT");
        c.label = get("SFD_LLM_LABEL");
        Ok(Some(c))
    }

    /// A different API base URL (an OpenAI-compatible server).
    pub fn with_api_base(self, base: impl Into<String>) -> Self {
        self.map(|e| e.with_api_base(base))
    }

    /// A different default model.
    pub fn with_model(self, model: impl Into<String>) -> Self {
        self.map(|e| e.with_model(model))
    }

    /// The timeout of one request.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        self.map(|e| e.with_timeout(timeout))
    }

    /// How failed requests are retried.
    pub fn with_retry(self, retry: RetryPolicy) -> Self {
        self.map(|e| e.with_retry(retry))
    }

    /// At most `calls` requests in flight to this endpoint at once (a local
    /// server that answers one at a time wants 1). A call waiting its turn
    /// is not timed: its timeout starts when it is sent.
    pub fn with_concurrency(mut self, calls: usize) -> Self {
        self.concurrency = Some(calls.max(1));
        self
    }

    /// The `provider` label of this LLM's metrics (default: the host of the API base URL).
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// The `provider` label of this LLM's metrics: the configured label, or
    /// the API base URL's host (with its port when it names one), so two
    /// OpenAI-compatible servers are told apart.
    pub fn provider(&self) -> String {
        if let Some(label) = &self.label {
            return label.clone();
        }
        match reqwest::Url::parse(self.api_base()) {
            Ok(url) => match (url.host_str(), url.port()) {
                (Some(host), Some(port)) => format!("{host}:{port}"),
                (Some(host), None) => host.to_string(),
                _ => "openai-compatible".to_string(),
            },
            Err(_) => "openai-compatible".to_string(),
        }
    }

    /// Sends `reasoning_effort` (`minimal`, `low`, `medium`, `high`) with every request.
    pub fn with_reasoning_effort(mut self, effort: impl Into<String>) -> Self {
        self.reasoning_effort = Some(effort.into());
        self
    }

    fn map(mut self, f: impl FnOnce(ProviderConfig) -> ProviderConfig) -> Self {
        self.endpoint = f(self.endpoint);
        self
    }

    /// The API base URL.
    pub fn api_base(&self) -> &str {
        self.endpoint.api_base()
    }

    /// The default model.
    pub fn model(&self) -> &str {
        self.endpoint.model()
    }
}

/// The OpenAI-compatible [`Llm`].
///
/// Sends `max_completion_tokens` (never `max_tokens`), no `temperature`,
/// and strict `json_schema` response formats. Retries 429, 5xx, timeouts and
/// connection errors with jittered exponential backoff, honouring
/// `Retry-After`; never retries 400, 401, 403 or `insufficient_quota`.
#[derive(Debug, Clone)]
pub struct OpenAiLlm {
    http: reqwest::Client,
    config: OpenAiConfig,
    /// The calls in flight, shared by the clones of this client.
    gate: Option<Arc<Gate>>,
    /// A pause the server asked for (`Retry-After`, 429), shared by the
    /// clones of this client: every job's calls wait it out.
    pace: Arc<super::pace::Pace>,
    /// [`OpenAiConfig::provider`].
    provider: String,
}

impl OpenAiLlm {
    /// A client for `config`.
    pub fn new(config: OpenAiConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.endpoint.timeout())
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client for the LLM: {e}")))?;
        let gate = config.concurrency.map(|n| Arc::new(Gate::new(n, CONCURRENCY_SETTING)));
        let provider = config.provider();
        Ok(OpenAiLlm {
            http,
            config,
            gate,
            pace: Arc::default(),
            provider,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    /// The JSON body sent for `req` (sent with each schema's properties in
    /// the order of its `required` list).
    pub fn request_body(&self, req: &ChatRequest) -> Value {
        let mut body = json!({
            "model": req.model.as_deref().unwrap_or(self.config.model()),
            "messages": req.messages,
            "max_completion_tokens": req.max_completion_tokens,
        });
        if let Some(schema) = &req.schema {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": schema.name, "strict": true, "schema": schema.schema},
            });
        }
        if let Some(effort) = &self.config.reasoning_effort {
            body["reasoning_effort"] = json!(effort);
        }
        body
    }

    fn parse_success(&self, text: &str, attempts: u32) -> Result<ChatResponse> {
        let decode = |why: &str| {
            let head: String = text.chars().take(200).collect();
            Error::llm(
                LlmErrorKind::Decode,
                Some(200),
                scrub(&format!("{why}: {head}"), self.config.endpoint.api_key()),
                attempts,
            )
        };
        let v: Value = serde_json::from_str(text).map_err(|_| decode("the answer is not JSON"))?;
        let choice = v["choices"].get(0).ok_or_else(|| decode("the answer has no choices"))?;
        let message = &choice["message"];
        if let Some(refusal) = message["refusal"].as_str().filter(|r| !r.is_empty()) {
            return Err(Error::llm(LlmErrorKind::Refusal, None, refusal, attempts));
        }
        let finish_reason = FinishReason::parse(choice["finish_reason"].as_str().unwrap_or("stop"));
        let usage = Usage {
            calls: 1,
            prompt_tokens: v["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
            completion_tokens: v["usage"]["completion_tokens"].as_u64().unwrap_or(0),
        };
        match finish_reason {
            FinishReason::Length => {
                return Err(Error::llm(
                    LlmErrorKind::Length,
                    None,
                    format!(
                        "the completion budget ran out after {} tokens (reasoning included); raise max_completion_tokens",
                        usage.completion_tokens
                    ),
                    attempts,
                ));
            }
            FinishReason::ContentFilter => {
                return Err(Error::llm(
                    LlmErrorKind::Refusal,
                    None,
                    "the provider's content filter stopped the answer",
                    attempts,
                ));
            }
            _ => {}
        }
        let content = message["content"].as_str().unwrap_or_default().to_string();
        Ok(ChatResponse {
            content,
            finish_reason,
            usage,
        })
    }
}

#[async_trait]
impl Llm for OpenAiLlm {
    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse> {
        let url = format!("{}/chat/completions", self.config.api_base());
        // Schema properties go out in the order the model must write them.
        let body = bytes::Bytes::from(super::ordered::to_ordered_json(&self.request_body(&req)));
        let key = self.config.endpoint.api_key();
        let gate = self.gate.as_deref();
        let send = http::send_through(self.config.endpoint.retry(), key, "LLM", gate, http::MAX_BODY, || {
            Ok(self
                .http
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone()))
        });
        let reply = super::pace::paced(&self.pace, send).await.map_err(|f| {
            let message = match f.kind {
                LlmErrorKind::Timeout => format!(
                    "no answer within {} s ({TIMEOUT_SETTING}): the model had not finished. Raise \
{TIMEOUT_SETTING} for a slow server, or lower {CONCURRENCY_SETTING} if the server queues calls",
                    self.config.endpoint.timeout().as_secs()
                ),
                _ => f.message,
            };
            Error::llm(f.kind, f.status, message, f.attempts)
        })?;
        self.parse_success(&String::from_utf8_lossy(&reply.body), reply.attempts)
    }

    fn model(&self) -> &str {
        self.config.model()
    }

    fn provider(&self) -> &str {
        &self.provider
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_config_reads_old_names_and_hides_the_key() {
        let env = |k: &str| match k {
            "OPENAI_API_KEY" => Some("sk-secret-123456".to_string()),
            "GPT_MODEL" => Some("gpt-5-mini".to_string()),
            _ => None,
        };
        let c = OpenAiConfig::from_env_vars(env).unwrap().unwrap();
        assert_eq!(c.model(), "gpt-5-mini");
        assert_eq!(c.api_base(), DEFAULT_API_BASE);
        assert!(!format!("{c:?}").contains("secret"));
        assert!(OpenAiConfig::from_env_vars(|_| None).unwrap().is_none());
        let bad = OpenAiConfig::from_env_vars(|k| (k == "OPENAI_API_BASE").then(|| "localhost:8000".to_string()));
        assert!(bad.unwrap_err().to_string().contains("OPENAI_API_BASE"));
        let local =
            OpenAiConfig::from_env_vars(|k| (k == "OPENAI_API_BASE").then(|| "http://127.0.0.1:11434/v1".into()));
        assert!(local.unwrap().unwrap().endpoint.api_key().is_none());
        let slow = OpenAiConfig::from_env_vars(|k| match k {
            "OPENAI_API_BASE" => Some("http://127.0.0.1:8080/v1".into()),
            "SFD_LLM_CONCURRENCY" => Some("1".into()),
            "SFD_LLM_ATTEMPTS" => Some("2".into()),
            _ => None,
        })
        .unwrap()
        .unwrap();
        assert_eq!(slow.concurrency, Some(1));
        assert_eq!(slow.provider(), "127.0.0.1:8080");
        assert_eq!(c.provider(), "api.openai.com");
        assert_eq!(c.with_label("studio-gpu").provider(), "studio-gpu");
        assert_eq!(slow.endpoint.retry().max_retries, 1);
        for k in ["SFD_LLM_CONCURRENCY", "SFD_LLM_ATTEMPTS", "OPENAI_TIMEOUT_SECS"] {
            let bad = OpenAiConfig::from_env_vars(|v| (v == k || v == "OPENAI_API_KEY").then(|| "0".to_string()));
            assert!(bad.unwrap_err().to_string().contains(k), "{k}");
        }
    }
}
