//! [`SimulatedLlm`]: a stand-in LLM for benchmarks, examples and demos
//! without a key. Never a default: it must be asked for by name.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::{ChatRequest, ChatResponse, FinishReason, Llm, Usage};
use crate::Result;

const WORDS: &[&str] = &[
    "corgi",
    "neon",
    "rooftop",
    "rain",
    "signal",
    "garage",
    "rocket",
    "secret",
    "glance",
    "city",
    "midnight",
    "door",
    "promise",
    "storm",
    "laughter",
    "shadow",
    "engine",
    "letter",
    "window",
    "starlight",
    "betrayal",
    "dawn",
    "wager",
    "tears",
    "camera",
    "close-up",
    "vertical",
    "frame",
    "whisper",
    "chase",
];

/// A simulated chat model that answers any strict JSON schema with valid
/// content (enums, `minItems` / `maxItems` and types honoured), taking time
/// in proportion to the tokens it writes.
#[derive(Debug)]
pub struct SimulatedLlm {
    tokens_per_second: f64,
    counter: AtomicU64,
}

impl Default for SimulatedLlm {
    fn default() -> Self {
        Self::instant()
    }
}

impl SimulatedLlm {
    /// Answers at once.
    pub fn instant() -> Self {
        SimulatedLlm {
            tokens_per_second: 0.0,
            counter: AtomicU64::new(0),
        }
    }

    /// Answers after `tokens / tokens_per_second` seconds, like a real model
    /// streaming at that rate (e.g. 80).
    pub fn with_tokens_per_second(tokens_per_second: f64) -> Self {
        SimulatedLlm {
            tokens_per_second,
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    fn text(&self, field: &str) -> String {
        let n = match field {
            "title" | "name" | "gender" | "location" | "delivery" => 3,
            "time" => 1,
            "text" | "music" => 10,
            "description" | "synopsis" | "image_prompt" | "video_prompt" | "prompt" | "summary" | "feedback"
            | "instructions" => 45,
            "voice_description" => 10,
            _ => 12,
        };
        let start = self.next() as usize;
        let words: Vec<&str> = (0..n).map(|i| WORDS[(start * 7 + i) % WORDS.len()]).collect();
        let mut s = words.join(" ");
        if let Some(first) = s.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        s
    }

    fn value(&self, schema: &Value, field: &str) -> Value {
        if let Some(Value::Array(options)) = schema.get("enum")
            && !options.is_empty()
        {
            return options[(self.next() as usize) % options.len()].clone();
        }
        let ty = match schema.get("type") {
            Some(Value::String(t)) => t.as_str(),
            // An optional number (such as a count the premise may not name) stays unset.
            Some(Value::Array(ts)) if ts.iter().any(|t| t == "integer") && ts.iter().any(|t| t == "null") => "null",
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null"),
            _ if schema.get("properties").is_some() => "object",
            _ => "string",
        };
        match ty {
            "object" => {
                let mut m = Map::new();
                if let Some(Value::Object(props)) = schema.get("properties") {
                    for (name, sub) in props {
                        m.insert(name.clone(), self.value(sub, name));
                    }
                }
                Value::Object(m)
            }
            "array" => {
                let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
                let max = schema.get("maxItems").and_then(Value::as_u64).unwrap_or(u64::MAX);
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                // Enum items are drawn without repeats, as far as the enum allows.
                if let Some(Value::Array(options)) = items.get("enum") {
                    let n = 2u64.clamp(min, max).min(options.len() as u64) as usize;
                    let start = self.next() as usize;
                    return Value::Array((0..n).map(|i| options[(start + i) % options.len()].clone()).collect());
                }
                let n = 3u64.clamp(min, max);
                Value::Array((0..n).map(|_| self.value(&items, field)).collect())
            }
            "string" => Value::String(self.text(field)),
            "integer" => {
                let lo = schema.get("minimum").and_then(Value::as_i64).unwrap_or(1);
                let hi = schema.get("maximum").and_then(Value::as_i64).unwrap_or(lo.max(10));
                Value::from(lo + (self.next() as i64).rem_euclid(hi - lo + 1))
            }
            "number" => Value::from(7.5),
            "boolean" => Value::Bool(self.next().is_multiple_of(2)),
            _ => Value::Null,
        }
    }
}

/// Roughly four characters to a token, as for English text.
fn tokens(chars: usize) -> u64 {
    (chars as u64).div_ceil(4)
}

#[async_trait]
impl Llm for SimulatedLlm {
    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse> {
        let content = match &req.schema {
            Some(s) => self.value(&s.schema, "").to_string(),
            None => (0..6).map(|_| self.text("description")).collect::<Vec<_>>().join(". "),
        };
        let usage = Usage {
            calls: 1,
            prompt_tokens: tokens(req.messages.iter().map(|m| m.content.len()).sum()),
            completion_tokens: tokens(content.len()),
        };
        if self.tokens_per_second > 0.0 {
            let secs = usage.completion_tokens as f64 / self.tokens_per_second;
            tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        }
        Ok(ChatResponse {
            content,
            finish_reason: FinishReason::Stop,
            usage,
        })
    }

    fn model(&self) -> &str {
        "simulated"
    }

    fn provider(&self) -> &str {
        "simulated"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{JsonSchema, Message};
    use serde_json::json;

    #[tokio::test]
    async fn answers_follow_the_schema() {
        let schema = json!({"type": "object", "additionalProperties": false, "required": ["xs", "d", "who", "n"],
        "properties": {
            "xs": {"type": "array", "minItems": 5, "maxItems": 5, "items": {"type": "string"}},
            "d": {"type": "integer", "enum": [10, 15]},
            "who": {"type": "array", "maxItems": 3, "items": {"type": "string", "enum": ["a", "b"]}},
            "n": {"type": ["string", "null"]}
        }});
        let llm = SimulatedLlm::instant();
        let req = ChatRequest {
            messages: vec![Message::user("go")],
            schema: Some(JsonSchema {
                name: "t".into(),
                schema,
            }),
            max_completion_tokens: 100,
            model: None,
        };
        let out: Value = serde_json::from_str(&llm.chat(req).await.unwrap().content).unwrap();
        assert_eq!(out["xs"].as_array().unwrap().len(), 5);
        assert!([10, 15].contains(&out["d"].as_i64().unwrap()));
        let who = out["who"].as_array().unwrap();
        assert!(who.len() <= 2 && who.iter().all(|w| w == "a" || w == "b"));
        assert!(out["n"].is_string());
    }
}
