//! One structured call: ask, parse, check, and repair once.

use serde::de::DeserializeOwned;

use super::prompts;
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
    let mut messages = vec![Message::system(prompts::SYSTEM), Message::user(a.prompt)];
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
        let answer = llm.chat(req).await;
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
        let problems = match serde_json::from_str::<T>(&resp.content) {
            Ok(v) => {
                let p = check(&v);
                if p.is_empty() {
                    return Ok((v, usage));
                }
                p
            }
            Err(e) => vec![format!("the answer is not valid JSON for the schema: {e}")],
        };
        if repaired {
            let msg = format!(
                "the answer still broke the rules after one repair: {}",
                problems.join("; ")
            );
            return Err(Error::llm(LlmErrorKind::InvalidOutput, None, msg, usage.calls).at_stage(a.stage, a.episode));
        }
        tracing::info!(
            stage = a.stage,
            episode = a.episode,
            problems = problems.len(),
            "asking the model to repair its answer"
        );
        repaired = true;
        messages.push(Message::assistant(resp.content));
        messages.push(Message::user(prompts::repair(&problems)));
    }
}
