//! Best-of-N: a [`Judge`] scores each candidate image against the
//! references of the characters in it and against its prompt, so a render
//! keeps the one that looks most like the cast.
//!
//! - [`ChatJudge`]: any OpenAI-compatible chat model that takes images
//!   (`SFD_JUDGE_API_BASE`, `SFD_JUDGE_MODEL`, `SFD_JUDGE_API_KEY`), asked
//!   for a strict JSON `{score, reason}`. Request shape: images as
//!   `image_url` content parts with data URLs, and `response_format`
//!   `json_schema` with `strict: true`
//!   (<https://platform.openai.com/docs/guides/images-vision>,
//!   <https://platform.openai.com/docs/guides/structured-outputs>).
//! - `SimulatedJudge` (with the `simulator` feature): scores the simulated
//!   renderer's images by how close their colour is to the references'.

use std::fmt;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::provider::{Http, data_url};
use super::{ProviderConfig, Reference};
use crate::model::MediaUsage;
use crate::{LlmErrorKind, Result};

/// The model used when `SFD_JUDGE_MODEL` names none.
pub const DEFAULT_JUDGE_MODEL: &str = "gpt-4o-mini";

/// Tokens one judge call is estimated to take (images and instructions in,
/// a short JSON out), for the plan's estimate.
pub(crate) const ESTIMATED_JUDGE_TOKENS: (u64, u64) = (1_500, 120);

/// What a judge thought of one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// From 0 (unlike the references or the prompt) to 1 (a perfect match).
    pub score: f64,
    /// Why, in a sentence.
    pub reason: String,
    /// What the call spent.
    pub usage: MediaUsage,
}

/// Scores a candidate image. Used as `Arc<dyn Judge>`.
#[async_trait]
pub trait Judge: fmt::Debug + Send + Sync {
    /// How well `candidate` shows `prompt` with the characters of `references`.
    async fn judge(&self, prompt: &str, candidate: &Reference, references: &[Reference]) -> Result<Verdict>;

    /// The model, for prices and logs.
    fn model(&self) -> &str;
}

/// A judge through `POST {base}/chat/completions`.
#[derive(Debug, Clone)]
pub struct ChatJudge {
    http: Http,
}

/// The instructions every judge call carries.
const INSTRUCTIONS: &str = "You check images made for a drama. The first image is a candidate; the others are \
reference images of the characters who must appear in it. Score from 0 to 1 how well the candidate shows the \
described shot with the same characters (faces, hair, costume, colours) as the references. Answer only with JSON: \
{\"score\": number from 0 to 1, \"reason\": one short sentence}.";

impl ChatJudge {
    /// A judge for `config` (model default [`DEFAULT_JUDGE_MODEL`]).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(ChatJudge {
            http: Http::new("judge", config)?,
        })
    }

    /// The chat request for one candidate.
    pub fn request_body(&self, prompt: &str, candidate: &Reference, references: &[Reference]) -> Value {
        let mut content = vec![json!({"type": "text", "text": format!("{INSTRUCTIONS}\n\nThe shot: {prompt}")})];
        content.extend(
            std::iter::once(candidate)
                .chain(references)
                .map(|r| json!({"type": "image_url", "image_url": {"url": data_url(r.media_type, &r.bytes)}})),
        );
        json!({
            "model": self.http.config.model(),
            "messages": [{"role": "user", "content": content}],
            "response_format": {"type": "json_schema", "json_schema": {
                "name": "verdict",
                "strict": true,
                "schema": {
                    "type": "object",
                    "properties": {"score": {"type": "number"}, "reason": {"type": "string"}},
                    "required": ["score", "reason"],
                    "additionalProperties": false,
                },
            }},
        })
    }
}

/// The verdict in a chat answer's content, or what is wrong with it.
fn parse_verdict(content: &str) -> std::result::Result<(f64, String), String> {
    let said = || content.chars().take(120).collect::<String>();
    let v: Value = serde_json::from_str(content.trim())
        .map_err(|_| format!("the judge's answer is not the JSON asked for: '{}'", said()))?;
    let score = v["score"]
        .as_f64()
        .filter(|s| (0.0..=1.0).contains(s))
        .ok_or_else(|| format!("the judge's answer has no score from 0 to 1: '{}'", said()))?;
    let reason = v["reason"].as_str().unwrap_or_default().trim().to_string();
    Ok((score, reason))
}

#[async_trait]
impl Judge for ChatJudge {
    async fn judge(&self, prompt: &str, candidate: &Reference, references: &[Reference]) -> Result<Verdict> {
        let url = self.http.url("chat/completions");
        let body = self.request_body(prompt, candidate, references);
        let reply = self.http.send(|c| Ok(c.post(&url).json(&body))).await?;
        let attempts = reply.attempts;
        let v: Value = serde_json::from_slice(&reply.body).map_err(|_| {
            self.http
                .error(LlmErrorKind::Decode, "the judge's answer is not JSON", attempts)
        })?;
        let message = &v["choices"][0]["message"];
        if let Some(refusal) = message["refusal"].as_str().filter(|r| !r.is_empty()) {
            return Err(self.http.error(LlmErrorKind::Refusal, refusal, attempts));
        }
        let content = message["content"].as_str().unwrap_or_default();
        let (score, reason) = parse_verdict(content).map_err(|m| self.http.error(LlmErrorKind::Decode, m, attempts))?;
        let tokens = |k: &str| v["usage"][k].as_u64().unwrap_or_default();
        Ok(Verdict {
            score,
            reason,
            usage: MediaUsage {
                calls: 1,
                input_tokens: tokens("prompt_tokens"),
                output_tokens: tokens("completion_tokens"),
                ..Default::default()
            },
        })
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }
}

/// A judge for demos, tests and benchmarks: it reads the main colour of
/// the simulated renderer's images and scores a candidate by how close it
/// is to the references' (1 = the same colour; no references: 0.5).
#[cfg(feature = "simulator")]
#[derive(Debug, Default, Clone)]
pub struct SimulatedJudge;

#[cfg(feature = "simulator")]
#[async_trait]
impl Judge for SimulatedJudge {
    async fn judge(&self, _prompt: &str, candidate: &Reference, references: &[Reference]) -> Result<Verdict> {
        let usage = MediaUsage {
            calls: 1,
            ..Default::default()
        };
        let colour = |r: &Reference| super::files::png_colour(&r.bytes);
        let Some(c) = colour(candidate) else {
            return Err(super::render_error(
                "simulated-judge",
                LlmErrorKind::Decode,
                None,
                format!("{} is not an image the simulated renderer made", candidate.name),
                1,
            ));
        };
        let refs: Vec<[u8; 3]> = references.iter().filter_map(colour).collect();
        if refs.is_empty() {
            return Ok(Verdict {
                score: 0.5,
                reason: "no references to compare with".into(),
                usage,
            });
        }
        let distance = |a: [u8; 3], b: [u8; 3]| {
            let d: f64 = (0..3).map(|i| (f64::from(a[i]) - f64::from(b[i])).powi(2)).sum();
            d.sqrt() / (3.0f64.sqrt() * 255.0)
        };
        let mean = refs.iter().map(|r| distance(c, *r)).sum::<f64>() / refs.len() as f64;
        let score = ((1.0 - mean) * 1000.0).round() / 1000.0;
        Ok(Verdict {
            score,
            reason: format!(
                "colour #{:02x}{:02x}{:02x} is {:.0}% away from the references'",
                c[0],
                c[1],
                c[2],
                mean * 100.0
            ),
            usage,
        })
    }

    fn model(&self) -> &str {
        "simulated-judge"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_must_be_the_json_asked_for() {
        assert_eq!(
            parse_verdict(r#" {"score": 0.8, "reason": "same face"} "#),
            Ok((0.8, "same face".to_string()))
        );
        assert!(parse_verdict("Looks great, 9/10").unwrap_err().contains("not the JSON"));
        assert!(parse_verdict(r#"{"score": 9}"#).unwrap_err().contains("0 to 1"));
        assert!(parse_verdict(r#"{"reason": "x"}"#).unwrap_err().contains("no score"));
    }

    #[cfg(feature = "simulator")]
    #[tokio::test]
    async fn the_simulated_judge_prefers_the_colour_of_the_references() {
        use crate::model::MediaType;
        let png = |name: &str, c: [u8; 3]| Reference {
            name: name.into(),
            media_type: MediaType::Png,
            bytes: super::super::files::png(24, 24, |_, _| c).into(),
        };
        let refs = [png("portrait", [200, 40, 40])];
        let near = SimulatedJudge
            .judge("x", &png("a", [190, 50, 40]), &refs)
            .await
            .unwrap();
        let far = SimulatedJudge
            .judge("x", &png("b", [20, 200, 240]), &refs)
            .await
            .unwrap();
        assert!(near.score > 0.9 && far.score < 0.5, "{near:?} {far:?}");
        let none = SimulatedJudge.judge("x", &png("a", [1, 2, 3]), &[]).await.unwrap();
        assert_eq!(none.score, 0.5);
        let wav = Reference {
            name: "line".into(),
            media_type: MediaType::Wav,
            bytes: bytes::Bytes::from_static(b"RIFF"),
        };
        let e = SimulatedJudge.judge("x", &wav, &refs).await.unwrap_err().to_string();
        assert!(e.contains("line is not an image"), "{e}");
    }
}
