//! An OpenAI-compatible chat-completions server (wiremock) for real server
//! processes: it answers every structured call like the simulator, and
//! counts the calls of each generation stage of each job.
//!
//! A job is recognised by a `[job N]` tag in its premise; the outline's
//! title carries the tag on, so every episode call of the job names it too.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sfd_core::{ChatRequest, Llm, SimulatedLlm};
use tokio::sync::Notify;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Calls per `(job tag, stage)`, shared by every mock server of a test.
#[derive(Default)]
pub struct StageCalls {
    counts: Mutex<HashMap<(String, String), usize>>,
}

impl StageCalls {
    /// Every stage of `tag` with its number of calls.
    pub fn of(&self, tag: &str) -> HashMap<String, usize> {
        let counts = self.counts.lock().unwrap();
        counts
            .iter()
            .filter(|((t, _), _)| t == tag)
            .map(|((_, stage), n)| (stage.clone(), *n))
            .collect()
    }

    fn count(&self, req: &ChatRequest) {
        let text: String = req.messages.iter().map(|m| m.content.as_str()).collect();
        let tag = tag_in(&text).unwrap_or_default();
        let schema = req.schema.as_ref().map(|s| s.name.as_str()).unwrap_or("");
        let stage = match schema {
            "drama_outline" => "outline".to_string(),
            "episode_scenes" => {
                let n = text.split("Write episode ").nth(1).and_then(|t| t.split(' ').next());
                format!("episode {}", n.unwrap_or("?"))
            }
            other => other.to_string(),
        };
        *self.counts.lock().unwrap().entry((tag, stage)).or_default() += 1;
    }
}

/// The `[job N]` tag in a text.
fn tag_in(text: &str) -> Option<String> {
    let rest = text.split("[job ").nth(1)?;
    Some(format!("[job {}]", rest.split(']').next()?))
}

/// The request a chat-completions body makes.
fn chat_request(body: &Value) -> ChatRequest {
    sfd_core::chat_request_of(body)
}

/// What the simulator answers, with the job's tag put into an outline's title.
fn answer(req: ChatRequest) -> Value {
    let outline = req.schema.as_ref().is_some_and(|s| s.name == "drama_outline");
    let text: String = req.messages.iter().map(|m| m.content.as_str()).collect();
    let sim = futures::executor::block_on(SimulatedLlm::instant().chat(req)).unwrap();
    let mut content: Value = serde_json::from_str(&sim.content).unwrap();
    if outline && let Some(tag) = tag_in(&text) {
        content["title"] = json!(format!("{tag} {}", content["title"].as_str().unwrap_or_default()));
    }
    sfd_core::chat_completion_with(&content.to_string())
}

/// A mock LLM server answering after `latency`. Once it has answered
/// `hang_after` calls, it notifies `hung` and leaves every later call
/// unanswered (the process calling it is stuck in the middle of its jobs).
pub async fn start(calls: Arc<StageCalls>, latency: Duration, hang_after: Option<(usize, Arc<Notify>)>) -> MockServer {
    let server = MockServer::start().await;
    let served = AtomicUsize::new(0);
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(move |r: &Request| {
            let req = chat_request(&r.body_json::<Value>().unwrap_or_default());
            calls.count(&req);
            let n = served.fetch_add(1, Ordering::SeqCst);
            let reply = ResponseTemplate::new(200).set_body_json(answer(req));
            match &hang_after {
                Some((limit, hung)) if n >= *limit => {
                    hung.notify_one();
                    reply.set_delay(Duration::from_secs(3600))
                }
                _ => reply.set_delay(latency),
            }
        })
        .mount(&server)
        .await;
    server
}

/// A mock LLM server answering at once, except calls whose text holds
/// `marker`: those are never answered (a provider stuck on them), and each
/// one's arrival is counted in `stuck` and told through `arrived`.
pub async fn start_stalling(marker: &'static str, stuck: Arc<AtomicUsize>, arrived: Arc<Notify>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(move |r: &Request| {
            let req = chat_request(&r.body_json::<Value>().unwrap_or_default());
            let stalled = req.messages.iter().any(|m| m.content.contains(marker));
            let reply = ResponseTemplate::new(200).set_body_json(answer(req));
            if stalled {
                stuck.fetch_add(1, Ordering::SeqCst);
                arrived.notify_one();
                reply.set_delay(Duration::from_secs(3600))
            } else {
                reply
            }
        })
        .mount(&server)
        .await;
    server
}
