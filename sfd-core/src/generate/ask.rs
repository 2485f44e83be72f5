//! One structured call: ask, parse, check, and repair once.

use serde::de::DeserializeOwned;

use super::{prompts, schemas};
use crate::llm::{ChatRequest, JsonSchema, Llm, Message, Usage};
use crate::{Error, LlmErrorKind, Result};

/// The largest completion budget a call grows to after running out of tokens.
const MAX_BUDGET: u32 = 64_000;

/// What one structured call asks for.
pub(crate) struct Ask<'a> {
    pub stage: &'a str,
    pub episode: Option<&'a str>,
    pub prompt: String,
    pub schema: JsonSchema,
    pub budget: u32,
    pub model: Option<&'a str>,
}

/// Sends the call and returns the parsed answer once `check` finds no problem.
///
/// - An answer that does not parse, or that `check` faults, is sent back once
///   with the list of problems (a repair).
/// - An answer cut off by the token budget is asked again once with twice the budget.
/// - Provider failures (already retried by the [`Llm`]) end the call.
///
/// Every error names the stage and episode.
pub(crate) async fn ask<T: DeserializeOwned>(
    llm: &dyn Llm,
    a: Ask<'_>,
    check: impl Fn(&T) -> Vec<String>,
) -> Result<(T, Usage)> {
    let mut usage = Usage::default();
    // The fields are named in the prompt too: a server that ignores
    // `response_format` still learns what to write.
    let prompt = format!("{}\n\n{}", a.prompt, schemas::field_guide(&a.schema.schema));
    let mut messages = vec![Message::system(prompts::SYSTEM), Message::user(prompt)];
    let mut budget = a.budget;
    let (mut repaired, mut grown) = (false, false);
    loop {
        let req = ChatRequest {
            messages: messages.clone(),
            schema: Some(a.schema.clone()),
            max_completion_tokens: budget,
            model: a.model.map(str::to_string),
        };
        let model = req.model.clone();
        let started = std::time::Instant::now();
        let at = match a.episode {
            Some(e) => format!("{} {e}", a.stage),
            None => a.stage.to_string(),
        };
        let answer = crate::llm::notice::prefixed(at, llm.chat(req)).await;
        let tokens = answer
            .as_ref()
            .map(|r| (r.usage.prompt_tokens, r.usage.completion_tokens))
            .unwrap_or_default();
        let model = model.as_deref().unwrap_or_else(|| llm.model());
        crate::telemetry::llm_call(
            llm.provider(),
            model,
            crate::telemetry::outcome(&answer),
            started.elapsed(),
            tokens,
        );
        let resp = match answer {
            Ok(r) => r,
            Err(Error::Llm {
                kind: LlmErrorKind::Length,
                ..
            }) if !grown && budget < MAX_BUDGET => {
                grown = true;
                budget = budget.saturating_mul(2).min(MAX_BUDGET);
                tracing::warn!(
                    stage = a.stage,
                    episode = a.episode,
                    budget,
                    "answer cut off; asking again with a larger budget"
                );
                continue;
            }
            Err(e) => return Err(e.at_stage(a.stage, a.episode)),
        };
        usage += resp.usage;
        let (problems, off_schema) = match judge(&resp.content, &a.schema, &check) {
            Ok(v) => return Ok((v, usage)),
            Err(bad) => bad,
        };
        if repaired {
            return Err(Error::llm(
                LlmErrorKind::InvalidOutput,
                None,
                give_up(&problems, off_schema),
                usage.calls,
            )
            .at_stage(a.stage, a.episode));
        }
        tracing::info!(
            stage = a.stage,
            episode = a.episode,
            problems = problems.len(),
            "asking the model to repair its answer"
        );
        repaired = true;
        messages.push(Message::assistant(resp.content));
        let schema = crate::llm::to_ordered_json(&a.schema.schema);
        messages.push(Message::user(prompts::repair(&problems, &schema)));
    }
}

/// The answer, or everything wrong with it and whether it departs from the
/// schema's shape (not JSON, wrong or missing fields) rather than only
/// breaking a stage's rules.
fn judge<T: DeserializeOwned>(
    content: &str,
    schema: &JsonSchema,
    check: &impl Fn(&T) -> Vec<String>,
) -> Result<T, (Vec<String>, bool)> {
    let value: serde_json::Value =
        serde_json::from_str(content).map_err(|e| (vec![format!("the answer is not JSON: {e}")], true))?;
    let shape = crate::llm::shape_problems(&schema.schema, &value);
    if !shape.is_empty() {
        return Err((shape, true));
    }
    let v = serde_json::from_value::<T>(value)
        .map_err(|e| (vec![format!("the answer does not fit the schema: {e}")], true))?;
    let problems = check(&v);
    if problems.is_empty() {
        Ok(v)
    } else {
        Err((problems, false))
    }
}

/// The most problems a job's error lists (the repair message lists them all).
const LISTED: usize = 12;

/// The error after a repair failed: what is still wrong and, when the answer
/// ignored the schema, the likely cause and the setting to check.
fn give_up(problems: &[String], off_schema: bool) -> String {
    let mut listed = problems.iter().take(LISTED).cloned().collect::<Vec<_>>().join("; ");
    if problems.len() > LISTED {
        listed.push_str(&format!("; and {} more", problems.len() - LISTED));
    }
    if !off_schema {
        return format!("the answer still broke the rules after one repair: {listed}");
    }
    format!(
        "the answer still did not follow the JSON schema after one repair: {listed}. The LLM server may be \
ignoring `response_format` (structured output): check that the server OPENAI_API_BASE points at enforces \
`response_format: {{\"type\": \"json_schema\"}}` (recent llama.cpp llama-server, vLLM and Ollama 0.5+ do) \
and that GPT_MODEL names a model it serves"
    )
}
