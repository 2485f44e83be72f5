//! The LLM boundary: the [`Llm`] trait, the OpenAI-compatible client
//! [`OpenAiLlm`], and (with the `simulator` feature) [`SimulatedLlm`].

mod conform;
pub(crate) mod http;
pub(crate) mod notice;
mod openai;
mod ordered;
pub(crate) mod pace;
mod provider;
mod retry;
#[cfg(feature = "simulator")]
mod simulated;
pub(crate) mod slot;
mod strict;

use std::fmt;
use std::ops::AddAssign;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Result;

pub use conform::shape_problems;
pub use openai::{DEFAULT_API_BASE, DEFAULT_MODEL, OpenAiConfig, OpenAiLlm};
pub use provider::ProviderConfig;
pub use retry::RetryPolicy;
#[cfg(feature = "simulator")]
pub use simulated::{SimulatedLlm, chat_completion_with, chat_request_of};
pub use strict::strict_problems;

pub(crate) use ordered::to_ordered_json;

/// Who speaks a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions.
    System,
    /// The request.
    User,
    /// An earlier answer of the model (used when asking for a repair).
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who speaks.
    pub role: Role,
    /// What is said.
    pub content: String,
}

impl Message {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Message {
            role: Role::System,
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Message {
            role: Role::User,
            content: content.into(),
        }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Message {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// A named JSON schema the answer must follow (strict structured output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonSchema {
    /// `[a-zA-Z0-9_-]{1,64}`.
    pub name: String,
    /// The schema; must obey the strict-mode rules ([`strict_problems`]).
    /// Each object's `required` list gives the order the model writes its
    /// properties in; the OpenAI client sends `properties` in that order.
    pub schema: Value,
}

/// One chat request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// The conversation.
    pub messages: Vec<Message>,
    /// The schema of the answer, if it must be JSON.
    pub schema: Option<JsonSchema>,
    /// The most tokens the answer may use, reasoning included.
    pub max_completion_tokens: u32,
    /// A model other than the configured one.
    pub model: Option<String>,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    /// It finished its answer.
    Stop,
    /// The token budget ran out; the content is cut off or empty.
    Length,
    /// A content filter stopped it.
    ContentFilter,
    /// Anything else the provider said.
    Other(String),
}

impl FinishReason {
    /// Reads the wire value.
    pub fn parse(s: &str) -> Self {
        match s {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            other => FinishReason::Other(other.to_string()),
        }
    }
}

/// Tokens and calls spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Chat requests answered.
    pub calls: u32,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens (reasoning included).
    pub completion_tokens: u64,
}

impl AddAssign for Usage {
    fn add_assign(&mut self, o: Usage) {
        self.calls += o.calls;
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} calls, {} prompt + {} completion tokens",
            self.calls, self.prompt_tokens, self.completion_tokens
        )
    }
}

/// One chat answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The text (JSON when a schema was given).
    pub content: String,
    /// Why it stopped.
    pub finish_reason: FinishReason,
    /// What it cost (`calls` is 1).
    pub usage: Usage,
}

/// A chat-completion model. Used as `Arc<dyn Llm>`.
///
/// Implementations turn provider failures into [`crate::Error::Llm`]; they
/// may return a [`FinishReason::Length`] answer as it is, and callers treat
/// it as a failure.
#[async_trait]
pub trait Llm: fmt::Debug + Send + Sync {
    /// Sends one chat request.
    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse>;

    /// The model used when a request names none.
    fn model(&self) -> &str;

    /// The provider's name, a label of the LLM metrics (default `llm`).
    fn provider(&self) -> &str {
        "llm"
    }
}
