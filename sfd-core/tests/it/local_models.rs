//! Generation against OpenAI-compatible servers as local models serve them
//! (llama.cpp, Ollama, vLLM), mocked with wiremock in the shape of
//! https://platform.openai.com/docs/api-reference/chat/create (a
//! `response_format` of type `json_schema`, answered with
//! `choices[0].message.content`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};
use sfd_core::generate::no_progress;
use sfd_core::llm::RetryPolicy;
use sfd_core::{
    ChatRequest, ChatResponse, GenerateOptions, ImproveOptions, JobEventKind, JobRunner, JobStatus, JsonSchema, Llm,
    Message, OpenAiConfig, OpenAiLlm, RunnerConfig, SimulatedLlm, Storage, StorageBuilder, critique_drama,
    generate_drama, generate_one_shot, improve_drama,
};
use tokio::sync::Notify;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A chat completion whose message is `content`.
pub fn completion(content: &str) -> Value {
    json!({"id": "c1", "object": "chat.completion", "choices": [{"index": 0,
        "message": {"role": "assistant", "content": content, "refusal": null}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}})
}

/// The schema-driven mock: answers every call with what the simulator makes
/// for its `response_format` schema.
pub struct SchemaDriven;

impl Respond for SchemaDriven {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(completion(&simulated(req)))
    }
}

/// What the simulator answers to the schema of `req`.
pub fn simulated(req: &Request) -> String {
    let body: Value = req.body_json().unwrap_or_default();
    let schema = &body["response_format"]["json_schema"];
    let chat = ChatRequest {
        messages: vec![Message::user("x")],
        schema: Some(JsonSchema {
            name: schema["name"].as_str().unwrap_or_default().into(),
            schema: schema["schema"].clone(),
        }),
        max_completion_tokens: 1,
        model: None,
    };
    futures::executor::block_on(SimulatedLlm::instant().chat(chat))
        .unwrap()
        .content
}

/// A mock server answering every request with `responder`.
pub async fn serving(responder: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(responder).mount(&server).await;
    server
}

/// An OpenAI-compatible client of `server` with quick retries and `timeout`.
pub fn client(server: &MockServer, timeout: Duration) -> OpenAiLlm {
    OpenAiLlm::new(config(server, timeout)).unwrap()
}

/// The configuration of [`client`].
pub fn config(server: &MockServer, timeout: Duration) -> OpenAiConfig {
    let retry = RetryPolicy {
        max_retries: 2,
        base: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..Default::default()
    };
    OpenAiConfig::new("sk-test-abcdefghijklmnop")
        .with_api_base(format!("{}/v1", server.uri()))
        .with_retry(retry)
        .with_timeout(timeout)
}

/// JSON as written, objects keeping the order of their keys.
enum Ordered {
    Object(Vec<(String, Ordered)>),
    Array(Vec<Ordered>),
    Leaf,
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = a.next_entry::<String, Ordered>()? {
                    out.push(e);
                }
                Ok(Ordered::Object(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = a.next_element()? {
                    out.push(e);
                }
                Ok(Ordered::Array(out))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Ordered, E> {
                Ok(Ordered::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Ordered, E> {
                Ok(Ordered::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Ordered, E> {
                Ok(Ordered::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Ordered, E> {
                Ok(Ordered::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<Ordered, E> {
                Ok(Ordered::Leaf)
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Leaf)
            }
        }
        d.deserialize_any(V)
    }
}

impl Ordered {
    fn get(&self, key: &str) -> Option<&Ordered> {
        match self {
            Ordered::Object(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The property names of every object schema inside, in the order sent.
    fn property_orders(&self, out: &mut Vec<Vec<String>>) {
        match self {
            Ordered::Object(kv) => {
                if let Some(Ordered::Object(props)) = self.get("properties") {
                    out.push(props.iter().map(|(k, _)| k.clone()).collect());
                }
                kv.iter().for_each(|(_, v)| v.property_orders(out));
            }
            Ordered::Array(xs) => xs.iter().for_each(|x| x.property_orders(out)),
            Ordered::Leaf => {}
        }
    }
}

/// Each schema sent to `server`, by name, with its objects' property orders as sent.
async fn schemas_sent(server: &MockServer) -> Vec<(String, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    for r in server.received_requests().await.unwrap() {
        let body: Value = r.body_json().unwrap();
        let name = body["response_format"]["json_schema"]["name"]
            .as_str()
            .unwrap()
            .to_string();
        let ordered: Ordered = serde_json::from_slice(&r.body).unwrap();
        let schema = ordered
            .get("response_format")
            .and_then(|f| f.get("json_schema"))
            .and_then(|s| s.get("schema"))
            .unwrap();
        let mut orders = Vec::new();
        schema.property_orders(&mut orders);
        out.push((name, orders));
    }
    out
}

#[tokio::test]
async fn every_schema_is_sent_in_the_order_the_model_writes() {
    let server = serving(SchemaDriven).await;
    let llm = client(&server, Duration::from_secs(30));
    // The metrics name the server, not "openai" for every compatible one.
    assert_eq!(llm.provider(), server.address().to_string());
    let opts = GenerateOptions {
        episodes: Some(2),
        scenes_per_episode: Some(2),
        ..Default::default()
    };
    let g = generate_drama(&llm, "a corgi in space", &opts, &no_progress)
        .await
        .unwrap();
    for e in &g.drama.episodes {
        assert!(e.music().is_some(), "{} has no music", e.id);
        for s in &e.scenes {
            assert!(
                s.heading().is_some() && s.shots().len() >= 2 && !s.lines().is_empty(),
                "{s:?}"
            );
        }
    }
    improve_drama(
        &llm,
        &g.drama,
        "sharper hooks",
        &ImproveOptions::default(),
        &no_progress,
    )
    .await
    .unwrap();
    critique_drama(&llm, &g.drama, None).await.unwrap();
    generate_one_shot(&llm, "a corgi in space", &opts).await.unwrap();

    let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let cast = v(&["name", "description", "gender", "main", "voice_description"]);
    let listed = v(&["title", "synopsis"]);
    let scene = vec![
        v(&["heading", "description", "lines", "shots"]),
        v(&["setting", "location", "time"]),
        v(&["speaker", "delivery", "text"]),
        v(&[
            "framing",
            "camera",
            "characters",
            "image_prompt",
            "video_prompt",
            "duration",
        ]),
    ];
    let old_scene = v(&["description", "characters", "image_prompt", "video_prompt", "duration"]);
    let expected: HashMap<&str, Vec<Vec<String>>> = HashMap::from([
        (
            "drama_outline",
            vec![
                v(&["title", "description", "look", "characters", "episodes"]),
                cast.clone(),
                listed.clone(),
            ],
        ),
        (
            "episode_scenes",
            [vec![v(&["scenes", "music"])], scene.clone()].concat(),
        ),
        (
            "improve_plan",
            vec![
                v(&["summary", "title", "description", "episodes"]),
                v(&["episode_id", "instructions"]),
            ],
        ),
        (
            "rewritten_episode",
            [vec![v(&["title", "synopsis", "scenes", "music"])], scene].concat(),
        ),
        (
            "drama_critique",
            vec![
                v(&[
                    "summary",
                    "strengths",
                    "weaknesses",
                    "suggestions",
                    "scores",
                    "feedback",
                ]),
                v(&[
                    "hook",
                    "pacing",
                    "character_consistency",
                    "cliffhangers",
                    "visual_clarity",
                ]),
            ],
        ),
        (
            "whole_drama",
            vec![
                v(&["title", "description", "characters", "episodes"]),
                cast,
                v(&["title", "synopsis", "scenes"]),
                old_scene,
            ],
        ),
    ]);
    let sent = schemas_sent(&server).await;
    let names: std::collections::BTreeSet<&str> = sent.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), expected.len(), "schemas sent: {names:?}");
    for (name, orders) in &sent {
        assert_eq!(Some(orders), expected.get(name.as_str()), "property order of {name}");
    }
}

/// The text of the last message of a chat request.
fn last_message(r: &Request) -> String {
    let body: Value = r.body_json().unwrap();
    let messages = body["messages"].as_array().unwrap();
    messages.last().unwrap()["content"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_server_ignoring_the_schema_gets_a_repair_with_every_error_and_the_schema() {
    // A server without schema enforcement: the model writes its own field names.
    let server = MockServer::start().await;
    let own = json!({"title": "Corgi", "logline": "A dog.", "cast": [{"name": "Corgi Musk"}]});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion(&own.to_string())))
        .mount(&server)
        .await;
    let llm = client(&server, Duration::from_secs(30));
    let err = generate_drama(&llm, "a corgi", &GenerateOptions::default(), &no_progress)
        .await
        .unwrap_err()
        .to_string();
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent.len(), 2, "one call and one repair");
    // The first prompt names every field, with its meaning.
    let first = last_message(&sent[0]);
    for field in [
        "title",
        "description",
        "look",
        "characters",
        "voice_description",
        "episodes",
        "synopsis",
    ] {
        assert!(first.contains(&format!("\"{field}\" (")), "{field} not named: {first}");
    }
    assert!(first.contains("the drama's logline"), "{first}");
    // The repair lists every error, not the parser's first, and carries the schema.
    let repair = last_message(&sent[1]);
    for problem in [
        "missing field 'description'",
        "missing field 'look'",
        "missing field 'characters'",
        "missing field 'episodes'",
        "unknown field 'logline'",
        "unknown field 'cast'",
    ] {
        assert!(repair.contains(problem), "{problem} not in the repair: {repair}");
    }
    assert!(
        repair.contains(r#""required":["title","description","look","characters","episodes"]"#),
        "the schema is not in the repair: {repair}"
    );
    // The final error says what is likely wrong and which setting to check.
    assert!(
        err.contains("response_format") && err.contains("OPENAI_API_BASE"),
        "{err}"
    );
    assert!(err.contains("missing field 'description'"), "{err}");
}

/// An LLM that hangs, until its call is dropped, for premises marked
/// `[hang]`, and asks `inner` otherwise: it holds a runner's only slot.
#[derive(Debug)]
struct Blocking {
    inner: OpenAiLlm,
    started: Notify,
}

#[async_trait]
impl Llm for Blocking {
    async fn chat(&self, req: ChatRequest) -> sfd_core::Result<ChatResponse> {
        if req.messages.iter().any(|m| m.content.contains("[hang]")) {
            self.started.notify_one();
            std::future::pending::<()>().await;
        }
        self.inner.chat(req).await
    }

    fn model(&self) -> &str {
        self.inner.model()
    }
}

#[tokio::test]
async fn a_call_slower_than_the_timeout_is_sent_again_once_and_the_progress_shows_it() {
    let server = MockServer::start().await;
    // The first call (the outline) takes far longer than the timeout; the
    // next answers at once.
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(completion("{}"))
                .set_delay(Duration::from_secs(600)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(SchemaDriven)
        .mount(&server)
        .await;
    let llm = Arc::new(Blocking {
        inner: client(&server, Duration::from_secs(2)),
        started: Notify::new(),
    });
    // One job slot, held by a job that hangs while we subscribe to the next.
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    let config = RunnerConfig {
        concurrency: 1,
        ..crate::jobs::fast_config()
    };
    let runner = JobRunner::start(storage, Some(llm.clone()), config);
    let blocker = runner
        .submit(crate::jobs::generate_job("drama_blocker24", "[hang]"))
        .await
        .unwrap();
    llm.started.notified().await;
    let job = runner
        .submit(crate::jobs::generate_job("drama_slow0024", "a corgi"))
        .await
        .unwrap();
    let events = runner.subscribe(&job.drama_id, &job.job_id).await.unwrap();
    runner.cancel(&blocker.drama_id, &blocker.job_id).await.unwrap();
    let events: Vec<_> = events.collect().await;

    let done = &events.last().unwrap().job;
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(done.progress.as_ref().unwrap().retries, 1, "the retry stays counted");
    let notes: Vec<String> = events
        .iter()
        .filter(|e| e.kind == JobEventKind::Progress)
        .filter_map(|e| e.job.progress.as_ref()?.note.clone())
        .collect();
    assert_eq!(
        notes,
        ["outline: no answer before the timeout; sending it again (attempt 2)"],
        "{events:?}"
    );
    // One retry of the outline, then the episode: three requests in all.
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn calls_queued_for_a_one_at_a_time_server_do_not_time_out() {
    // A server that answers one call at a time, each in a fraction of the
    // timeout; eight episode calls queued behind each other take longer
    // than the timeout in all, but the wait is not part of any call's.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(move |r: &Request| {
            ResponseTemplate::new(200)
                .set_body_json(completion(&simulated(r)))
                .set_delay(Duration::from_millis(600))
        })
        .mount(&server)
        .await;
    let llm = OpenAiLlm::new(config(&server, Duration::from_secs(3)).with_concurrency(1)).unwrap();
    let opts = GenerateOptions {
        episodes: Some(8),
        scenes_per_episode: Some(2),
        ..Default::default()
    };
    let g = generate_drama(&llm, "a corgi", &opts, &no_progress).await.unwrap();
    assert_eq!(g.drama.episodes.len(), 8);
    // Nothing was sent twice: one outline and eight episodes.
    assert_eq!(server.received_requests().await.unwrap().len(), 9);
    assert_eq!(g.usage.calls, 9);
}

/// Schema-driven, except that a rewritten episode always has 12 scenes,
/// whatever the schema allows (a server without schema enforcement).
struct TwelveScenes;

impl Respond for TwelveScenes {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = req.body_json().unwrap_or_default();
        let mut answer: Value = serde_json::from_str(&simulated(req)).unwrap();
        if body["response_format"]["json_schema"]["name"] == "rewritten_episode" {
            let scenes = answer["scenes"].as_array_mut().unwrap();
            let first = scenes[0].clone();
            scenes.resize(12, first);
        }
        ResponseTemplate::new(200).set_body_json(completion(&answer.to_string()))
    }
}

#[tokio::test]
async fn improving_a_two_scene_episode_without_asking_for_more_keeps_two_scenes() {
    let server = serving(TwelveScenes).await;
    let llm = client(&server, Duration::from_secs(30));
    let opts = GenerateOptions {
        episodes: Some(1),
        scenes_per_episode: Some(2),
        ..Default::default()
    };
    let g = generate_drama(&llm, "a corgi", &opts, &no_progress).await.unwrap();
    assert_eq!(g.drama.episodes[0].scenes.len(), 2);
    let feedback = "Sharpen the dialogue and keep everything else as it is.";
    let improved = improve_drama(&llm, &g.drama, feedback, &ImproveOptions::default(), &no_progress)
        .await
        .unwrap();
    assert_eq!(improved.changed_episodes, ["ep1"]);
    assert_eq!(improved.drama.episodes[0].scenes.len(), 2);
    // The schema and the prompt both asked for no more than the episode had.
    let sent = server.received_requests().await.unwrap();
    let rewrite: Value = sent
        .iter()
        .map(|r| r.body_json::<Value>().unwrap())
        .find(|b| b["response_format"]["json_schema"]["name"] == "rewritten_episode")
        .unwrap();
    let schema = &rewrite["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["properties"]["scenes"]["maxItems"], json!(2));
    let prompt = rewrite["messages"][1]["content"].as_str().unwrap();
    assert!(prompt.contains("in 1 to 2 scenes"), "{prompt}");
}
