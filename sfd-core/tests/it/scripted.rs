//! A scripted `Llm` for pipeline tests: answers by schema name, counts
//! calls, and tracks how many calls are in flight at once.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use serde_json::Value;
use sfd_core::{ChatRequest, ChatResponse, FinishReason, Llm, SimulatedLlm, Usage};
use tokio::sync::Notify;

type Handler = dyn Fn(&ChatRequest, usize) -> Option<sfd_core::Result<String>> + Send + Sync;

/// Answers each request with `handler(request, call_number)`, or, when the
/// handler returns `None`, with what the simulator makes for the schema.
pub struct ScriptedLlm {
    handler: Box<Handler>,
    simulator: SimulatedLlm,
    pub calls: AtomicUsize,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    /// Calls of schema `episode_scenes` wait here until this many are in flight.
    gate: Option<(usize, Notify)>,
    gate_open: std::sync::atomic::AtomicBool,
    pub requests: std::sync::Mutex<Vec<ChatRequest>>,
}

impl std::fmt::Debug for ScriptedLlm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScriptedLlm")
    }
}

impl ScriptedLlm {
    pub fn new(
        handler: impl Fn(&ChatRequest, usize) -> Option<sfd_core::Result<String>> + Send + Sync + 'static,
    ) -> Self {
        ScriptedLlm {
            handler: Box::new(handler),
            simulator: SimulatedLlm::instant(),
            calls: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            gate: None,
            gate_open: std::sync::atomic::AtomicBool::new(false),
            requests: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Only the simulator's answers.
    pub fn simulated() -> Self {
        Self::new(|_, _| None)
    }

    /// The first episode calls block until `n` calls are in flight together;
    /// once that has happened the gate stays open.
    pub fn with_episode_gate(mut self, n: usize) -> Self {
        self.gate = Some((n, Notify::new()));
        self
    }

    pub fn calls_for(&self, schema: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.schema.as_ref().is_some_and(|s| s.name == schema))
            .count()
    }
}

pub fn schema_name(req: &ChatRequest) -> &str {
    req.schema.as_ref().map(|s| s.name.as_str()).unwrap_or("")
}

/// The last user message.
pub fn prompt(req: &ChatRequest) -> &str {
    req.messages
        .iter()
        .rev()
        .find(|m| m.role == sfd_core::Role::User)
        .map(|m| m.content.as_str())
        .unwrap_or("")
}

#[async_trait]
impl Llm for ScriptedLlm {
    async fn chat(&self, req: ChatRequest) -> sfd_core::Result<ChatResponse> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        self.requests.lock().unwrap().push(req.clone());
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if let Some((needed, notify)) = &self.gate
            && schema_name(&req) == "episode_scenes"
            && !self.gate_open.load(Ordering::SeqCst)
        {
            let waiter = notify.notified();
            if now >= *needed {
                self.gate_open.store(true, Ordering::SeqCst);
                notify.notify_waiters();
            } else {
                waiter.await;
            }
        }
        let out = match (self.handler)(&req, n) {
            Some(r) => r.map(|content| ChatResponse {
                content,
                finish_reason: FinishReason::Stop,
                usage: Usage {
                    calls: 1,
                    prompt_tokens: 10,
                    completion_tokens: 20,
                },
            }),
            None => self.simulator.chat(req).await,
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        out
    }

    fn model(&self) -> &str {
        "scripted"
    }
}

/// What the simulator would answer for this request, as a JSON value to tweak.
pub async fn simulated_answer(req: &ChatRequest) -> Value {
    let r = SimulatedLlm::instant().chat(req.clone()).await.unwrap();
    serde_json::from_str(&r.content).unwrap()
}
