//! `/metrics`: the Prometheus text parses with the reference parser
//! (Python's `prometheus_client`), its counters move after traffic (a 412,
//! a failed job, storage writes, LLM calls), and it asks for the key.
//!
//! Metrics are per process and every test server here shares them, so each
//! check compares a counter before and after this test's own traffic.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sfd_core::{ChatRequest, ChatResponse, Llm, LlmErrorKind};

use crate::harness::{Options, TestServer, v5};

/// One sample: its name, labels and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"name": s.name, "labels": s.labels, "value": s.value})
json.dump(out, sys.stdout)
"#;

/// Parses Prometheus text with `prometheus_client.parser` (scripts/test installs it).
pub fn parse(text: &str) -> Vec<Sample> {
    let mut child = Command::new("python3")
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the /metrics tests");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "prometheus_client could not parse /metrics: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    raw.into_iter()
        .map(|s| Sample {
            name: s["name"].as_str().unwrap().to_string(),
            labels: serde_json::from_value(s["labels"].clone()).unwrap(),
            value: s["value"].as_f64().unwrap(),
        })
        .collect()
}

/// The value of the sample named `name` whose labels include `labels` (summed
/// over the rest), 0 when none.
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

/// GET /metrics (with `key` when given), checked and parsed.
async fn scrape(base: &str, key: Option<&str>) -> Vec<Sample> {
    let mut req = reqwest::Client::new().get(format!("{base}/metrics"));
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    parse(&r.text().await.unwrap())
}

/// An LLM whose every call is refused, so generation jobs fail.
#[derive(Debug)]
struct Refusing;

#[async_trait]
impl Llm for Refusing {
    async fn chat(&self, _req: ChatRequest) -> sfd_core::Result<ChatResponse> {
        Err(sfd_core::Error::llm(
            LlmErrorKind::BadRequest,
            Some(400),
            "unknown model (scripted)",
            1,
        ))
    }
    fn model(&self) -> &str {
        "refusing-model"
    }
    fn provider(&self) -> &str {
        "scripted"
    }
}

#[tokio::test]
async fn counters_move_after_traffic_including_a_412_and_a_failed_job() {
    let s = TestServer::with(Options {
        llm: Some(Arc::new(Refusing)),
        ..Default::default()
    })
    .await;
    let before = scrape(&s.base, None).await;

    let drama = v5();
    s.client.import_drama(&drama).await.unwrap();
    let stale = reqwest::Client::new()
        .patch(s.url(&format!("/dramas/{}", drama.id)))
        .header("if-match", "\"not-the-version\"")
        .json(&serde_json::json!({"title": "Stale"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    // Two reads of one drama: the second is served from the cache.
    for _ in 0..2 {
        s.client.get_drama(&drama.id).await.unwrap();
    }
    let job = s
        .client
        .generate_drama(&sfd_client::GenerationRequest::new("a corgi tycoon"))
        .await
        .unwrap();
    let done = s
        .client
        .wait_for_job(&job.drama_id, &job.job_id, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(done.status, sfd_client::JobStatus::Failed);

    // The job's end is counted just after its record is written: scrape until
    // it shows (no sleep; each scrape is a round trip).
    let failed = [("type", "generate_drama"), ("status", "failed")];
    let mut after = scrape(&s.base, None).await;
    for _ in 0..200 {
        if value(&after, "sfd_jobs_total", &failed) > value(&before, "sfd_jobs_total", &failed) {
            break;
        }
        tokio::task::yield_now().await;
        after = scrape(&s.base, None).await;
    }
    let moved = |name: &str, labels: &[(&str, &str)]| {
        let (b, a) = (value(&before, name, labels), value(&after, name, labels));
        assert!(a > b, "{name} {labels:?} did not move: {b} -> {a}");
    };
    let http_412 = [("route", "/dramas/{id}"), ("method", "PATCH"), ("status", "412")];
    moved("sfd_http_requests_total", &http_412);
    moved("sfd_http_request_seconds_count", &http_412);
    moved(
        "sfd_http_requests_total",
        &[("route", "/dramas"), ("method", "POST"), ("status", "201")],
    );
    moved("sfd_jobs_total", &failed);
    moved("sfd_jobs_total", &[("type", "generate_drama"), ("status", "pending")]);
    moved("sfd_job_duration_seconds_count", &failed);
    moved(
        "sfd_llm_calls_total",
        &[
            ("provider", "scripted"),
            ("model", "refusing-model"),
            ("outcome", "error"),
        ],
    );
    moved(
        "sfd_storage_operations_total",
        &[("op", "put_create"), ("outcome", "ok")],
    );
    moved("sfd_storage_operation_seconds_count", &[("op", "get")]);
    assert!(after.iter().any(|x| x.name == "sfd_jobs_queue_depth"));
    let cached = |samples: &[Sample], result: &str| value(samples, "sfd_cache_reads_total", &[("result", result)]);
    assert!(
        cached(&after, "revalidated") + cached(&after, "hit") > cached(&before, "revalidated") + cached(&before, "hit"),
        "no cache hit counted"
    );
    // Routes are templates, never raw paths.
    for x in after.iter().filter(|x| x.name == "sfd_http_requests_total") {
        let route = &x.labels["route"];
        assert!(!route.contains(&drama.id) && !route.contains(&job.job_id), "{route}");
    }
}

#[tokio::test]
async fn storage_conflicts_are_counted() {
    let s = TestServer::start().await;
    let before = scrape(&s.base, None).await;
    let drama = v5();
    s.client.import_drama(&drama).await.unwrap();
    // Importing the same id again loses the conditional create: a conflict.
    assert!(s.client.import_drama(&drama).await.unwrap_err().is_conflict());
    let after = scrape(&s.base, None).await;
    let labels = [("op", "put_create")];
    assert!(
        value(&after, "sfd_storage_conflicts_total", &labels) > value(&before, "sfd_storage_conflicts_total", &labels)
    );
}

#[tokio::test]
async fn metrics_need_the_key_when_keys_are_configured() {
    let s = TestServer::with_keys(&["k-metrics"]).await;
    let anonymous = reqwest::get(s.url("/metrics")).await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    let samples = scrape(&s.base, Some("k-metrics")).await;
    assert!(samples.iter().any(|x| x.name == "sfd_http_requests_total"));
}

#[tokio::test]
async fn metrics_public_opens_them_and_nothing_else() {
    let storage = Arc::new(sfd_core::StorageBuilder::memory().build().unwrap());
    let studio = sfd_core::Studio::builder(storage).start();
    let state = sfd_server::AppState::new(studio)
        .with_api_keys(vec!["k-private".into()])
        .with_metrics_public(true);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sfd_server::serve(listener, state, async {
        let _ = rx.await;
    }));
    scrape(&base, None).await;
    assert_eq!(reqwest::get(format!("{base}/dramas")).await.unwrap().status(), 401);
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}
